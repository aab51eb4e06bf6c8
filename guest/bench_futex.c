/* bench_futex: argv[1] round trips (default 10000) between two threads over FUTEX_WAIT / FUTEX_WAKE on
 * private words.  Thread A posts word[1] and waits on word[0]; B waits on word[1] and posts word[0].
 * A post is store 1 + FUTEX_WAKE; a wait is FUTEX_WAIT while the word is 0, then store 0.
 * Natively both threads are pinned to one CPU (emukernel runs every guest thread on one host thread). */
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

static int word[2];
static long n;

static void post(int *w)
{
    __atomic_store_n(w, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void wait_for(int *w)
{
    while (__atomic_load_n(w, __ATOMIC_SEQ_CST) == 0)
        syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    __atomic_store_n(w, 0, __ATOMIC_SEQ_CST);
}

static void *responder(void *arg)
{
    (void)arg;
    for (long i = 0; i < n; i++) {
        wait_for(&word[1]);
        post(&word[0]);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    n = argc > 1 ? strtol(argv[1], NULL, 0) : 10000L;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one);
    pthread_t t;
    if (pthread_create(&t, NULL, responder, NULL) != 0) {
        printf("FAIL pthread_create\n");
        return 1;
    }
    for (long i = 0; i < n; i++) {
        post(&word[1]);
        wait_for(&word[0]);
    }
    pthread_join(t, NULL);
    printf("done\n");
    return 0;
}
