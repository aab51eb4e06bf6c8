/* bench_thread: argv[1] times (default 1000) pthread_create a thread that returns at once, then
 * pthread_join it. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void *body(void *arg)
{
    return (void *)((uintptr_t)arg + 1);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 0) : 1000L;
    long bad = 0;
    for (long i = 0; i < n; i++) {
        pthread_t t;
        void *ret = NULL;
        if (pthread_create(&t, NULL, body, (void *)(uintptr_t)i) != 0 || pthread_join(t, &ret) != 0
            || ret != (void *)(uintptr_t)(i + 1))
            bad++;
    }
    printf(bad ? "FAIL create/join\n" : "done\n");
    return bad ? 1 : 0;
}
