/*
 * determinism: 4 threads append "thread i step j" lines to a shared buffer
 * under a mutex, yielding between steps; main prints the buffer.
 *
 * The interleaving is whatever the scheduler makes it, so the output is not
 * comparable with a native run.  Under emukernel the same seed must give the
 * same bytes every time, and different seeds (usually) different orders.
 */
#include "guest.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>

#define NTHREADS 4
#define STEPS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char buf[NTHREADS * STEPS * 32];
static size_t len;

static void *worker(void *arg)
{
    long i = (long)(intptr_t)arg;
    for (int j = 0; j < STEPS; j++) {
        pthread_mutex_lock(&lock);
        len += (size_t)snprintf(buf + len, sizeof buf - len, "thread %ld step %d\n", i, j);
        pthread_mutex_unlock(&lock);
        sched_yield();
    }
    return NULL;
}

int main(void)
{
    pthread_t t[NTHREADS];
    for (long i = 0; i < NTHREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(t[i], NULL);
    fputs(buf, stdout);
    int lines = 0;
    for (size_t k = 0; k < len; k++)
        lines += buf[k] == '\n';
    CHECK_EQ(lines, NTHREADS * STEPS, "every step recorded once");
    return guest_exit();
}
