/* bench_yield: argv[1] thread switches (default 10000).  Two threads of one process hand a turn counter
 * back and forth; a thread whose turn it is not calls sched_yield, so each handoff is one sched_yield plus
 * one switch to the other thread.  Natively both threads are pinned to one CPU so sched_yield really
 * switches (on two CPUs it would return at once and the loop would measure cache-line ping-pong). */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

static volatile long turn;
static long n;
static long spins[2];

static void handoffs(int k)
{
    for (long i = k; i < n; i += 2) {
        while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != i) {
            sched_yield();
            spins[k]++;
        }
        __atomic_store_n(&turn, i + 1, __ATOMIC_RELEASE);
    }
}

static void *second(void *arg)
{
    (void)arg;
    handoffs(1);
    return NULL;
}

int main(int argc, char **argv)
{
    n = argc > 1 ? strtol(argv[1], NULL, 0) : 10000L;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof one, &one); /* threads inherit it */
    pthread_t t;
    if (pthread_create(&t, NULL, second, NULL) != 0) {
        printf("FAIL pthread_create\n");
        return 1;
    }
    handoffs(0);
    pthread_join(t, NULL);
    printf(turn == n ? "done\n" : "FAIL turn\n");
    if (getenv("BENCH_VERBOSE"))
        fprintf(stderr, "yields: %ld + %ld for %ld switches\n", spins[0], spins[1], n);
    return turn == n ? 0 : 1;
}
