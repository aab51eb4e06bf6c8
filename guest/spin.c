/* spin: argv[1] iterations (default 1000000) of an integer LCG; prints the final state.
 * Pure user-mode compute: a benchmark of the emulator's CPU speed. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    unsigned long long n = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000ULL;
    unsigned long long x = 12345;
    unsigned long long acc = 0;
    for (unsigned long long i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        acc ^= x >> 33;
        /* Keep the compiler from collapsing the loop into a closed form. */
        __asm__ volatile("" : "+r"(x), "+r"(acc));
    }
    printf("spin %llu -> %016llx %016llx\n", n, x, acc);
    return 0;
}
