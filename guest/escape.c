/* Try to read a host file from outside the guest root through every path given in argv.
 * Prints, for each path, whether the file could be opened and whether its first line is the secret. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        char buf[64] = {0};
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) {
            printf("%s: cannot open\n", argv[i]);
            continue;
        }
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        printf("%s: %s\n", argv[i], n > 0 && strstr(buf, "HOST-SECRET") ? "READ THE SECRET" : "opened, no secret");
    }
    return 0;
}
