/*
 * threads: pthreads on top of clone(CLONE_THREAD) and futexes.
 *
 * create/join of 64 threads, a mutex-protected counter, a condition-variable
 * producer/consumer queue, a barrier, __thread variables, detached threads
 * (counted through a semaphore), and finally pthread_exit from main while the
 * other threads run: the process ends (exit 0) only after the last of them,
 * which prints the final line.
 */
#include "guest.h"

#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

/* ------------------------------------------------------------ create/join */

#define NCREATE 64

static pid_t tids[NCREATE];
static pid_t pids[NCREATE];

static void *ident(void *arg)
{
    long i = (long)(intptr_t)arg;
    tids[i] = gettid_();
    pids[i] = getpid();
    return (void *)(intptr_t)(i * 3 + 1);
}

#define NALIVE 8

static pthread_barrier_t alive_barrier;

static void *alive(void *arg)
{
    tids[(long)(intptr_t)arg] = gettid_();
    pthread_barrier_wait(&alive_barrier);
    pthread_barrier_wait(&alive_barrier);
    return NULL;
}

static void test_create_join(void)
{
    printf("-- create/join\n");
    pthread_t th[NCREATE];
    int created = 0;
    for (long i = 0; i < NCREATE; i++)
        if (pthread_create(&th[i], NULL, ident, (void *)(intptr_t)i) == 0)
            created++;
    CHECK_EQ(created, NCREATE, "64 threads created");
    long sum = 0, want = 0;
    for (long i = 0; i < created; i++) {
        void *ret;
        if (pthread_join(th[i], &ret) == 0)
            sum += (long)(intptr_t)ret;
        want += i * 3 + 1;
    }
    CHECK_EQ(sum, want, "joined all, return values add up");
    int same_pid = 1, not_main = 1;
    for (int i = 0; i < NCREATE; i++) {
        same_pid &= pids[i] == getpid();
        not_main &= tids[i] != getpid() && tids[i] > 0;
    }
    CHECK(same_pid, "every thread has the process's pid");
    CHECK(not_main, "no thread has the main thread's tid");
    CHECK(gettid_() == getpid(), "the main thread's tid is the pid");

    /* Threads alive at the same time have distinct tids (finished ones' may be reused). */
    pthread_barrier_init(&alive_barrier, NULL, NALIVE + 1);
    pthread_t t[NALIVE];
    for (long i = 0; i < NALIVE; i++)
        pthread_create(&t[i], NULL, alive, (void *)(intptr_t)i);
    pthread_barrier_wait(&alive_barrier); /* all NALIVE have recorded their tid and still run */
    int distinct = 1;
    for (int i = 0; i < NALIVE; i++)
        for (int j = 0; j < i; j++)
            distinct &= tids[i] != tids[j];
    pthread_barrier_wait(&alive_barrier);
    for (int i = 0; i < NALIVE; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&alive_barrier);
    CHECK(distinct, "%d threads alive at once have distinct tids", NALIVE);
}

/* ------------------------------------------------------------ mutex counter */

#define NCOUNT 8
#define ITERS 2000

static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;

static void *count_worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&count_lock);
        long v = counter;
        if ((i & 63) == 0)
            sched_yield(); /* hold the lock across a switch now and then */
        counter = v + 1;
        pthread_mutex_unlock(&count_lock);
    }
    return NULL;
}

static void test_mutex(void)
{
    printf("-- mutex counter\n");
    pthread_t th[NCOUNT];
    for (int i = 0; i < NCOUNT; i++)
        pthread_create(&th[i], NULL, count_worker, NULL);
    for (int i = 0; i < NCOUNT; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ(counter, NCOUNT * ITERS, "8 threads x 2000 locked increments");
    CHECK(pthread_mutex_trylock(&count_lock) == 0, "trylock of a free mutex");
    CHECK(pthread_mutex_trylock(&count_lock) == EBUSY, "trylock of a held mutex -> EBUSY");
    pthread_mutex_unlock(&count_lock);
}

/* ------------------------------------------------------------ condvar queue */

#define QCAP 4
#define NPROD 2
#define NCONS 3
#define PER_PROD 300

static pthread_mutex_t q_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t q_not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t q_not_full = PTHREAD_COND_INITIALIZER;
static long queue[QCAP];
static int q_head, q_len, producers_left = NPROD;
static long consumed_sum, consumed_count;

static void *producer(void *arg)
{
    long base = (long)(intptr_t)arg * 100000;
    for (long i = 1; i <= PER_PROD; i++) {
        pthread_mutex_lock(&q_lock);
        while (q_len == QCAP)
            pthread_cond_wait(&q_not_full, &q_lock);
        queue[(q_head + q_len) % QCAP] = base + i;
        q_len++;
        pthread_cond_signal(&q_not_empty);
        pthread_mutex_unlock(&q_lock);
    }
    pthread_mutex_lock(&q_lock);
    producers_left--;
    pthread_cond_broadcast(&q_not_empty);
    pthread_mutex_unlock(&q_lock);
    return NULL;
}

static void *consumer(void *arg)
{
    long *mine = arg;
    for (;;) {
        pthread_mutex_lock(&q_lock);
        while (q_len == 0 && producers_left > 0)
            pthread_cond_wait(&q_not_empty, &q_lock);
        if (q_len == 0) {
            pthread_mutex_unlock(&q_lock);
            return NULL;
        }
        long v = queue[q_head];
        q_head = (q_head + 1) % QCAP;
        q_len--;
        consumed_sum += v;
        consumed_count++;
        (*mine)++;
        pthread_cond_signal(&q_not_full);
        pthread_mutex_unlock(&q_lock);
    }
}

static void test_condvar(void)
{
    printf("-- condvar producer/consumer\n");
    pthread_t p[NPROD], c[NCONS];
    long per_consumer[NCONS] = {0};
    for (int i = 0; i < NCONS; i++)
        pthread_create(&c[i], NULL, consumer, &per_consumer[i]);
    for (long i = 0; i < NPROD; i++)
        pthread_create(&p[i], NULL, producer, (void *)(intptr_t)(i + 1));
    for (int i = 0; i < NPROD; i++)
        pthread_join(p[i], NULL);
    for (int i = 0; i < NCONS; i++)
        pthread_join(c[i], NULL);
    long want = 0;
    for (long k = 1; k <= NPROD; k++)
        for (long i = 1; i <= PER_PROD; i++)
            want += k * 100000 + i;
    CHECK_EQ(consumed_count, NPROD * PER_PROD, "every item consumed once");
    CHECK_EQ(consumed_sum, want, "item checksum");
    long total = 0;
    for (int i = 0; i < NCONS; i++)
        total += per_consumer[i];
    CHECK_EQ(total, NPROD * PER_PROD, "per-consumer counts add up");
    CHECK(q_len == 0, "queue empty at the end");
}

/* ------------------------------------------------------------ barrier */

#define NBAR 5
#define ROUNDS 4

static pthread_barrier_t barrier;
static int serial_count[ROUNDS];
static int arrived[ROUNDS];
static int order_ok = 1;
static pthread_mutex_t bar_lock = PTHREAD_MUTEX_INITIALIZER;

static void *bar_worker(void *arg)
{
    (void)arg;
    for (int r = 0; r < ROUNDS; r++) {
        pthread_mutex_lock(&bar_lock);
        arrived[r]++;
        pthread_mutex_unlock(&bar_lock);
        int rc = pthread_barrier_wait(&barrier);
        pthread_mutex_lock(&bar_lock);
        if (arrived[r] != NBAR) /* nobody passes before everyone arrived */
            order_ok = 0;
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD)
            serial_count[r]++;
        else if (rc != 0)
            order_ok = 0;
        pthread_mutex_unlock(&bar_lock);
        pthread_barrier_wait(&barrier); /* keep rounds apart */
    }
    return NULL;
}

static void test_barrier(void)
{
    printf("-- barrier\n");
    pthread_t th[NBAR];
    pthread_barrier_init(&barrier, NULL, NBAR);
    for (int i = 0; i < NBAR; i++)
        pthread_create(&th[i], NULL, bar_worker, NULL);
    for (int i = 0; i < NBAR; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&barrier);
    CHECK(order_ok, "no thread passed a barrier before all %d arrived", NBAR);
    int serial_ok = 1;
    for (int r = 0; r < ROUNDS; r++)
        serial_ok &= serial_count[r] == 1;
    CHECK(serial_ok, "exactly one PTHREAD_BARRIER_SERIAL_THREAD per round");
}

/* ------------------------------------------------------------ __thread, once, keys */

static __thread long tls_value = 7;
static __thread char tls_buf[64];
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;
static pthread_key_t key;
static int key_destructor_runs;
static pthread_mutex_t misc_lock = PTHREAD_MUTEX_INITIALIZER;

static void once_fn(void)
{
    once_runs++;
}

static void key_dtor(void *p)
{
    pthread_mutex_lock(&misc_lock);
    if (p == (void *)&tls_value || p != NULL)
        key_destructor_runs++;
    pthread_mutex_unlock(&misc_lock);
}

static void *tls_worker(void *arg)
{
    long i = (long)(intptr_t)arg;
    int ok = tls_value == 7 && tls_buf[0] == 0; /* fresh copies of the initial values */
    tls_value = 100 + i;
    snprintf(tls_buf, sizeof tls_buf, "thread %ld", i);
    pthread_once(&once, once_fn);
    pthread_setspecific(key, &tls_value);
    for (int k = 0; k < 20; k++)
        sched_yield();
    char want[64];
    snprintf(want, sizeof want, "thread %ld", i);
    ok &= tls_value == 100 + i && strcmp(tls_buf, want) == 0 && pthread_getspecific(key) == &tls_value;
    return (void *)(intptr_t)ok;
}

static void test_tls(void)
{
    printf("-- __thread, pthread_once, keys\n");
    pthread_key_create(&key, key_dtor);
    tls_value = 1;
    pthread_t th[6];
    for (long i = 0; i < 6; i++)
        pthread_create(&th[i], NULL, tls_worker, (void *)(intptr_t)i);
    int all = 1;
    for (int i = 0; i < 6; i++) {
        void *ret;
        pthread_join(th[i], &ret);
        all &= (long)(intptr_t)ret;
    }
    CHECK(all, "each thread has its own __thread copies, initialised from the template");
    CHECK(tls_value == 1, "the main thread's copy is untouched");
    CHECK_EQ(once_runs, 1, "pthread_once ran once");
    CHECK_EQ(key_destructor_runs, 6, "key destructors ran once per thread");
    pthread_key_delete(key);
}

/* ------------------------------------------------------------ detached */

#define NDET 10

static sem_t det_sem;
static int det_count;

static void *det_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&misc_lock);
    det_count++;
    pthread_mutex_unlock(&misc_lock);
    sem_post(&det_sem);
    return NULL;
}

static void test_detached(void)
{
    printf("-- detached threads\n");
    sem_init(&det_sem, 0, 0);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int created = 0;
    for (int i = 0; i < NDET; i++) {
        pthread_t t;
        if (pthread_create(&t, &attr, det_worker, NULL) == 0)
            created++;
    }
    /* one more, detached after creation */
    pthread_t t;
    if (pthread_create(&t, NULL, det_worker, NULL) == 0) {
        created++;
        pthread_detach(t);
    }
    pthread_attr_destroy(&attr);
    for (int i = 0; i < created; i++)
        sem_wait(&det_sem);
    CHECK_EQ(created, NDET + 1, "detached threads created");
    pthread_mutex_lock(&misc_lock);
    CHECK_EQ(det_count, NDET + 1, "every detached thread ran (counted through a semaphore)");
    pthread_mutex_unlock(&misc_lock);
    CHECK(sem_trywait(&det_sem) == -1 && errno == EAGAIN, "the semaphore is drained (sem_trywait -> EAGAIN)");
}

/* ------------------------------------------------------------ small stacks */

static void *deep(void *arg)
{
    volatile char pad[16 * 1024];
    pad[0] = (char)(intptr_t)arg;
    pad[sizeof pad - 1] = pad[0];
    return (void *)(intptr_t)(pad[sizeof pad - 1] + 1);
}

static void test_attrs(void)
{
    printf("-- attributes\n");
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 * 1024);
    pthread_t t;
    void *ret = NULL;
    CHECK(pthread_create(&t, &attr, deep, (void *)(intptr_t)41) == 0, "create with a 64 KiB stack");
    pthread_join(t, &ret);
    CHECK((long)(intptr_t)ret == 42, "the thread used its stack");
    pthread_attr_destroy(&attr);

    static char mystack[128 * 1024] __attribute__((aligned(64)));
    pthread_attr_init(&attr);
    pthread_attr_setstack(&attr, mystack, sizeof mystack);
    ret = NULL;
    CHECK(pthread_create(&t, &attr, deep, (void *)(intptr_t)9) == 0, "create on a caller-provided stack");
    pthread_join(t, &ret);
    CHECK((long)(intptr_t)ret == 10, "the thread ran on it");
    pthread_attr_destroy(&attr);
    CHECK(pthread_equal(pthread_self(), pthread_self()), "pthread_equal(self, self)");
}

/* ------------------------------------------------------------ pthread_exit from main */

#define NLAST 4

static pthread_t main_thread;
static sem_t last_go;
static pthread_mutex_t last_lock = PTHREAD_MUTEX_INITIALIZER;
static int last_left = NLAST;
static int joined_main;

static void *last_worker(void *arg)
{
    long i = (long)(intptr_t)arg;
    if (i == 0) {
        /* Wait for the main thread to be gone, then let the others go. */
        void *ret = NULL;
        int rc = pthread_join(main_thread, &ret);
        joined_main = rc == 0 && ret == (void *)(intptr_t)0x1234;
        for (int k = 1; k < NLAST; k++)
            sem_post(&last_go);
    } else {
        sem_wait(&last_go);
    }
    for (int k = 0; k < 10; k++)
        sched_yield();
    pthread_mutex_lock(&last_lock);
    int last = --last_left == 0;
    pthread_mutex_unlock(&last_lock);
    if (last) {
        /* Every other thread, main included, is finished (or about to return). */
        printf("%s the last thread joined the exited main thread (pthread_exit value)\n",
               joined_main ? "ok" : "FAIL");
        printf("last thread done: %d workers finished after main called pthread_exit\n", NLAST);
        if (!joined_main || guest_failures)
            exit(1);
        fflush(stdout);
    }
    return NULL;
}

int main(void)
{
    guest_line_buffered();
    test_create_join();
    test_mutex();
    test_condvar();
    test_barrier();
    test_tls();
    test_detached();
    test_attrs();

    printf("-- pthread_exit from main\n");
    if (guest_failures)
        return guest_exit();
    main_thread = pthread_self();
    sem_init(&last_go, 0, 0);
    for (long i = 0; i < NLAST; i++) {
        pthread_t t;
        pthread_create(&t, NULL, last_worker, (void *)(intptr_t)i);
        pthread_detach(t);
    }
    printf("main: calling pthread_exit\n");
    fflush(stdout);
    pthread_exit((void *)(intptr_t)0x1234);
}
