/*
 * spinflag: threads that spin on memory without making a system call.
 *
 * The scheduler has to take the CPU away from a spinning thread (preemption),
 * or the thread that would set the flag never runs.  Main spins on a flag set
 * by a worker after some computing; then a chain of spinners hands a token
 * along (each waits for its predecessor's flag, no syscalls at all); then a
 * worker spins while main computes.
 */
#include "guest.h"

#include <pthread.h>
#include <stdint.h>

static volatile int flag;
static volatile unsigned long long result;

static unsigned long long work(unsigned long long seed, int n)
{
    unsigned long long s = seed, acc = 0;
    for (int i = 0; i < n; i++)
        acc ^= lcg_next(&s) >> 17;
    return acc;
}

static void *setter(void *arg)
{
    (void)arg;
    result = work(1, 20000);
    __atomic_store_n(&flag, 1, __ATOMIC_RELEASE);
    return NULL;
}

#define CHAIN 4
static volatile int token[CHAIN + 1];
static volatile unsigned long long chain_acc;

static void *link_fn(void *arg)
{
    long i = (long)(intptr_t)arg;
    while (!__atomic_load_n(&token[i], __ATOMIC_ACQUIRE))
        ; /* spin: no syscall */
    chain_acc = chain_acc * 31 + (unsigned long long)i;
    __atomic_store_n(&token[i + 1], 1, __ATOMIC_RELEASE);
    return NULL;
}

static volatile int main_done;

static void *spinner(void *arg)
{
    (void)arg;
    while (!__atomic_load_n(&main_done, __ATOMIC_ACQUIRE))
        ; /* spin */
    return NULL;
}

int main(void)
{
    pthread_t t;

    /* 1. main spins, a worker sets the flag after computing. */
    pthread_create(&t, NULL, setter, NULL);
    while (!__atomic_load_n(&flag, __ATOMIC_ACQUIRE))
        ; /* spin */
    unsigned long long want = work(1, 20000);
    CHECK(result == want, "main saw the flag, and the worker's result (%llx)", result);
    pthread_join(t, NULL);

    /* 2. a chain of spinners, started in reverse order, passes a token along. */
    pthread_t th[CHAIN];
    for (long i = CHAIN - 1; i >= 0; i--)
        pthread_create(&th[i], NULL, link_fn, (void *)(intptr_t)i);
    __atomic_store_n(&token[0], 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&token[CHAIN], __ATOMIC_ACQUIRE))
        ; /* spin */
    for (int i = 0; i < CHAIN; i++)
        pthread_join(th[i], NULL);
    unsigned long long chain_want = 0;
    for (int i = 0; i < CHAIN; i++)
        chain_want = chain_want * 31 + (unsigned long long)i;
    CHECK(chain_acc == chain_want, "the token went through %d spinning threads in order", CHAIN);

    /* 3. a worker spins while main computes. */
    pthread_create(&t, NULL, spinner, NULL);
    unsigned long long r = work(2, 20000);
    __atomic_store_n(&main_done, 1, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    CHECK(r == work(2, 20000), "main finished its work while a thread spun");
    printf("ok the spinner saw main's flag and stopped\n"); /* (or the join above never returns) */
    return guest_exit();
}
