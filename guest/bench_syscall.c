/* bench_syscall: argv[1] iterations (default 100000) of a bare `syscall` instruction with rax = getpid,
 * issued by inline assembly so no libc code (musl's variadic syscall() stores ~15 words per call, which
 * Unicorn runs slowly) is timed: a benchmark of the pure trap + hook + register round trip. */
#include <stdio.h>
#include <stdlib.h>

static inline long raw_getpid(void)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(39L) : "rcx", "r11", "memory");
    return ret;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 0) : 100000L;
    long first = raw_getpid();
    long diff = 0;
    for (long i = 0; i < n; i++)
        diff |= raw_getpid() ^ first;
    printf(diff ? "FAIL getpid changed\n" : "done\n");
    return diff ? 1 : 0;
}
