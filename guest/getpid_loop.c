/* getpid_loop: argv[1] iterations (default 100000) of a raw getpid syscall, then "done".
 * A benchmark of the emulator's syscall round-trip cost. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 0) : 100000L;
    long first = syscall(SYS_getpid);
    int same = 1;
    for (long i = 0; i < n; i++)
        if (syscall(SYS_getpid) != first)
            same = 0;
    printf(same ? "done\n" : "FAIL getpid changed\n");
    return same ? 0 : 1;
}
