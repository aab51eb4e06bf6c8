/* bench_true: the smallest static program: exits 0 (the program bench_exec execs). */
int main(void)
{
    return 0;
}
