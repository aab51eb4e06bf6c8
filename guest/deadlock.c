/*
 * deadlock: two threads each wait forever on a futex that only the other
 * would wake, and main waits for them in pthread_join.  Natively this hangs
 * (never run it natively); emukernel must notice that every task is blocked
 * with no timer pending, report "guest deadlock" with a line per task, and
 * end the run with a non-zero status.
 */
#include "guest.h"

#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static int word_a, word_b; /* each thread sleeps on one while it is 0 */

static void *waiter(void *arg)
{
    int *mine = arg;
    int *other = mine == &word_a ? &word_b : &word_a;
    while (__atomic_load_n(mine, __ATOMIC_SEQ_CST) == 0)
        syscall(SYS_futex, mine, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    /* never reached: it would wake the other one */
    __atomic_store_n(other, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, other, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return NULL;
}

int main(void)
{
    pthread_t a, b;
    printf("starting two threads that wait on each other\n");
    fflush(stdout);
    pthread_create(&a, NULL, waiter, &word_a);
    pthread_create(&b, NULL, waiter, &word_b);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("unreachable\n");
    return 0;
}
