/* An unimplemented syscall returns -ENOSYS (and the kernel reports it once). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(void)
{
    for (int i = 0; i < 3; i++) {
        errno = 0;
        long r = syscall(180); /* nfsservctl: removed from Linux, ENOSYS there too */
        printf("nfsservctl: %ld %s\n", r, errno == ENOSYS ? "ENOSYS" : "other");
    }
    errno = 0;
    long r = syscall(9999);
    printf("syscall 9999: %ld %s\n", r, errno == ENOSYS ? "ENOSYS" : "other");
    return 0;
}
