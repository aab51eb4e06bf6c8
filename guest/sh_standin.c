/*
 * sh_standin: a stand-in for /bin/sh, just enough for system() and popen():
 *
 *   sh -c "WORD WORD ..."
 *
 * splits the command on spaces (no quoting, no expansion), runs the builtin
 * "exit [N]", or execs the first word (searched on PATH when it has no '/').
 * Bound at /bin/sh under emukernel so that libc's hard-coded /bin/sh works.
 */
#include "guest.h"

#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 3 || strcmp(argv[1], "-c") != 0) {
        fprintf(stderr, "sh_standin: usage: sh -c COMMAND\n");
        return 2;
    }
    static char cmd[65536];
    snprintf(cmd, sizeof cmd, "%s", argv[2]);
    char *words[256];
    int n = 0;
    for (char *w = strtok(cmd, " \t\n"); w && n < 255; w = strtok(NULL, " \t\n"))
        words[n++] = w;
    words[n] = NULL;
    if (n == 0)
        return 0;
    if (strcmp(words[0], "exit") == 0)
        return n > 1 ? atoi(words[1]) : 0;
    execvp(words[0], words);
    int e = errno;
    fprintf(stderr, "sh: %s: %s\n", words[0], errno_name(e));
    return e == ENOENT ? 127 : 126;
}
