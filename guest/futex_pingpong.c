/*
 * futex_pingpong: the raw futex(2) operations.
 *
 * Two threads ping-pong over FUTEX_WAIT/FUTEX_WAKE on private words; then
 * the error cases (EAGAIN, ETIMEDOUT, EFAULT, EINVAL, ENOSYS), FUTEX_WAKE_OP
 * and FUTEX_REQUEUE / FUTEX_CMP_REQUEUE with their returned counts.
 *
 * Waking a waiter is only deterministic once it is really asleep in the
 * kernel.  wait_asleep() finds that out without waking anybody: FUTEX_REQUEUE
 * with nr_wake 0 moves sleepers from one word to a parking word and returns
 * how many it moved; once all of them are parked they are moved back.
 */
#include "guest.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long futex(void *uaddr, int op, int val, const void *timeout_or_val2, void *uaddr2, int val3)
{
    return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

#define P(op) ((op) | FUTEX_PRIVATE_FLAG)
#define VAL2(n) ((const void *)(uintptr_t)(n))

static int load(int *p)
{
    return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}

static void store(int *p, int v)
{
    __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}

/*
 * Wait until n threads sleep on word (in FUTEX_WAIT on it); they stay asleep on it.
 * Each probe moves every sleeper to a parking word and straight back, counting
 * both ways; done once both counts are n.  (A sleeper woken spuriously while
 * parked -- futex allows that -- re-queues itself on its own word; the next
 * probe counts it again.)
 */
static void wait_asleep(int *word, int n)
{
    static int parking;
    for (;;) {
        long moved = futex(word, P(FUTEX_REQUEUE), 0, VAL2(INT_MAX), &parking, 0);
        long back = futex(&parking, P(FUTEX_REQUEUE), 0, VAL2(INT_MAX), word, 0);
        if (moved == n && back == n)
            return;
        if (moved > n || back > n) {
            printf("FAIL wait_asleep: want %d asleep, moved %ld, moved back %ld\n", n, moved, back);
            guest_failures++;
            return;
        }
        sched_yield();
    }
}

/* ------------------------------------------------------------ ping-pong */

#define ROUNDS 300

static int ball; /* 0: ping's turn, 1: pong's turn */
static int pong_hits;

static void *pong(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        while (load(&ball) != 1)
            futex(&ball, P(FUTEX_WAIT), 0, NULL, NULL, 0);
        pong_hits++;
        store(&ball, 0);
        futex(&ball, P(FUTEX_WAKE), 1, NULL, NULL, 0);
    }
    return NULL;
}

static void test_pingpong(void)
{
    printf("-- ping-pong\n");
    pthread_t t;
    pthread_create(&t, NULL, pong, NULL);
    int ping_hits = 0, in_order = 1;
    for (int i = 0; i < ROUNDS; i++) {
        while (load(&ball) != 0)
            futex(&ball, P(FUTEX_WAIT), 1, NULL, NULL, 0);
        in_order &= pong_hits == i;
        ping_hits++;
        store(&ball, 1);
        futex(&ball, P(FUTEX_WAKE), 1, NULL, NULL, 0);
    }
    while (load(&ball) != 0)
        futex(&ball, P(FUTEX_WAIT), 1, NULL, NULL, 0);
    pthread_join(t, NULL);
    CHECK(ping_hits == ROUNDS && pong_hits == ROUNDS, "%d rounds each way", ROUNDS);
    CHECK(in_order, "strict alternation");
}

/* ------------------------------------------------------------ errors */

static void test_errors(void)
{
    printf("-- errors\n");
    int w = 5;
    EXPECT_ERRNO(futex(&w, P(FUTEX_WAIT), 6, NULL, NULL, 0), EAGAIN, "FUTEX_WAIT with a mismatched value");
    EXPECT_ERRNO(futex(&w, FUTEX_WAIT, 6, NULL, NULL, 0), EAGAIN, "shared FUTEX_WAIT, mismatched value");
    struct timespec ts = {0, 2 * 1000 * 1000};
    EXPECT_ERRNO(futex(&w, P(FUTEX_WAIT), 5, &ts, NULL, 0), ETIMEDOUT, "FUTEX_WAIT with a 2 ms timeout");
    struct timespec zero = {0, 0};
    EXPECT_ERRNO(futex(&w, P(FUTEX_WAIT), 5, &zero, NULL, 0), ETIMEDOUT, "FUTEX_WAIT with a zero timeout");
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    EXPECT_ERRNO(futex(&w, P(FUTEX_WAIT_BITSET), 5, &now, NULL, FUTEX_BITSET_MATCH_ANY), ETIMEDOUT,
                 "FUTEX_WAIT_BITSET with an absolute deadline already past");
    clock_gettime(CLOCK_REALTIME, &now);
    EXPECT_ERRNO(futex(&w, P(FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME), 5, &now, NULL, FUTEX_BITSET_MATCH_ANY),
                 ETIMEDOUT, "FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME, deadline past");
    EXPECT_ERRNO(futex(&w, P(FUTEX_WAIT_BITSET), 5, NULL, NULL, 0), EINVAL, "FUTEX_WAIT_BITSET with bitset 0");
    struct timespec bad = {0, 1000000000};
    EXPECT_ERRNO(futex(&w, P(FUTEX_WAIT), 5, &bad, NULL, 0), EINVAL, "FUTEX_WAIT with tv_nsec = 1e9");
    struct timespec neg = {-1, 0};
    EXPECT_ERRNO(futex(&w, P(FUTEX_WAIT), 5, &neg, NULL, 0), EINVAL, "FUTEX_WAIT with tv_sec = -1");
    EXPECT_ERRNO(futex(&w, P(FUTEX_WAIT), 5, (void *)8, NULL, 0), EFAULT, "FUTEX_WAIT with a bad timeout pointer");
    EXPECT_ERRNO(futex((void *)8, P(FUTEX_WAIT), 0, NULL, NULL, 0), EFAULT, "FUTEX_WAIT on a bad address");
    EXPECT_ERRNO(futex((void *)8, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT, "shared FUTEX_WAIT on a bad address");
    EXPECT_ERRNO(futex((void *)8, FUTEX_WAKE, 1, NULL, NULL, 0), EFAULT, "shared FUTEX_WAKE on a bad address");
    CHECK(futex((void *)8, P(FUTEX_WAKE), 1, NULL, NULL, 0) == 0,
          "private FUTEX_WAKE on a bad address wakes nobody (the word is not read)");
    char *unaligned = (char *)&w + 1;
    EXPECT_ERRNO(futex(unaligned, P(FUTEX_WAIT), 0, NULL, NULL, 0), EINVAL, "FUTEX_WAIT on an unaligned address");
    EXPECT_ERRNO(futex(unaligned, P(FUTEX_WAKE), 1, NULL, NULL, 0), EINVAL, "FUTEX_WAKE on an unaligned address");
    EXPECT_ERRNO(futex(&w, P(99), 0, NULL, NULL, 0), ENOSYS, "an unknown futex op");
    EXPECT_ERRNO(futex(&w, P(FUTEX_WAIT) | FUTEX_CLOCK_REALTIME, 5, &ts, NULL, 0), ENOSYS,
                 "FUTEX_CLOCK_REALTIME with plain FUTEX_WAIT");
    CHECK(futex(&w, P(FUTEX_WAKE), 1, NULL, NULL, 0) == 0, "FUTEX_WAKE with no waiters returns 0");
    CHECK(futex(&w, P(FUTEX_WAKE), 0, NULL, NULL, 0) == 0, "FUTEX_WAKE of 0 returns 0");
    CHECK(w == 5, "the word is unchanged");
}

/* ------------------------------------------------------------ waiters */

struct waiter {
    int *word;      /* sleeps while *word == 0 */
    int *woken;     /* incremented once it saw *word != 0 */
    unsigned bitset;
};

static void *waiter_fn(void *arg)
{
    struct waiter *w = arg;
    while (load(w->word) == 0) {
        if (w->bitset)
            futex(w->word, P(FUTEX_WAIT_BITSET), 0, NULL, NULL, (int)w->bitset);
        else
            futex(w->word, P(FUTEX_WAIT), 0, NULL, NULL, 0);
    }
    __atomic_fetch_add(w->woken, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

/* Start n waiters on word; `already` others sleep on it before. Returns once all sleep. */
static void start_waiters(pthread_t *t, struct waiter *w, int n, int *word, int *woken, unsigned bitset, int already)
{
    for (int i = 0; i < n; i++) {
        w[i] = (struct waiter){word, woken, bitset};
        pthread_create(&t[i], NULL, waiter_fn, &w[i]);
    }
    wait_asleep(word, already + n);
}

static void join_all(pthread_t *t, int n)
{
    for (int i = 0; i < n; i++)
        pthread_join(t[i], NULL);
}

static void test_wake_counts(void)
{
    printf("-- FUTEX_WAKE counts\n");
    static int a, woken;
    pthread_t t[4];
    struct waiter w[4];
    start_waiters(t, w, 4, &a, &woken, 0, 0);
    store(&a, 1);
    CHECK_EQ(futex(&a, P(FUTEX_WAKE), 1, NULL, NULL, 0), 1, "FUTEX_WAKE 1 of 4 sleepers returns 1");
    CHECK_EQ(futex(&a, P(FUTEX_WAKE), 2, NULL, NULL, 0), 2, "FUTEX_WAKE 2 of the 3 left returns 2");
    CHECK_EQ(futex(&a, P(FUTEX_WAKE), INT_MAX, NULL, NULL, 0), 1, "FUTEX_WAKE INT_MAX returns the last 1");
    join_all(t, 4);
    CHECK_EQ(woken, 4, "all 4 woke");

    /* A shared (non-private) FUTEX_WAKE of private waiters: printed, whatever Linux does. */
    static int b, woken_b;
    start_waiters(t, w, 2, &b, &woken_b, 0, 0);
    store(&b, 1);
    long n = futex(&b, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    printf("shared FUTEX_WAKE of 2 private waiters returns %ld\n", n);
    if (n != 2)
        futex(&b, P(FUTEX_WAKE), INT_MAX, NULL, NULL, 0);
    join_all(t, 2);
    CHECK_EQ(woken_b, 2, "both woke");

    /* Bitsets: FUTEX_WAKE_BITSET wakes only waiters whose bitset intersects. */
    static int c, woken_c;
    pthread_t t2[2];
    struct waiter w2[2];
    start_waiters(t, w, 2, &c, &woken_c, 0x1, 0);
    start_waiters(t2, w2, 2, &c, &woken_c, 0x2, 2);
    store(&c, 1);
    CHECK_EQ(futex(&c, P(FUTEX_WAKE_BITSET), INT_MAX, NULL, NULL, 0x2), 2, "FUTEX_WAKE_BITSET 0x2 wakes the two 0x2 waiters");
    join_all(t2, 2);
    CHECK_EQ(futex(&c, P(FUTEX_WAKE_BITSET), INT_MAX, NULL, NULL, 0x4), 0, "FUTEX_WAKE_BITSET 0x4 wakes nobody");
    EXPECT_ERRNO(futex(&c, P(FUTEX_WAKE_BITSET), INT_MAX, NULL, NULL, 0), EINVAL, "FUTEX_WAKE_BITSET with bitset 0");
    CHECK_EQ(futex(&c, P(FUTEX_WAKE), INT_MAX, NULL, NULL, 0), 2, "plain FUTEX_WAKE wakes the two 0x1 waiters");
    join_all(t, 2);
    CHECK_EQ(woken_c, 4, "all 4 woke");
}

static void test_wake_op(void)
{
    printf("-- FUTEX_WAKE_OP\n");
    static int a, b, woken_a, woken_b;
    pthread_t ta[2], tb[2];
    struct waiter wa[2], wb[2];
    start_waiters(ta, wa, 2, &a, &woken_a, 0, 0);
    start_waiters(tb, wb, 2, &b, &woken_b, 0, 0);
    store(&a, 1);
    /* *b = 1 (old 0); old == 0 -> also wake up to val2 waiters on b. */
    long r = futex(&a, P(FUTEX_WAKE_OP), 1, VAL2(1), &b, FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0));
    CHECK_EQ(r, 2, "WAKE_OP SET 1, CMP_EQ 0 (true): wakes 1 on uaddr and 1 on uaddr2, returns 2");
    CHECK_EQ(load(&b), 1, "uaddr2 was set to 1");
    /* *b += 5 (old 1); old == 0 is false -> only uaddr waiters. */
    r = futex(&a, P(FUTEX_WAKE_OP), 1, VAL2(1), &b, FUTEX_OP(FUTEX_OP_ADD, 5, FUTEX_OP_CMP_EQ, 0));
    CHECK_EQ(r, 1, "WAKE_OP ADD 5, CMP_EQ 0 (false): wakes only the uaddr waiter, returns 1");
    CHECK_EQ(load(&b), 6, "uaddr2 was increased to 6");
    join_all(ta, 2);
    CHECK_EQ(woken_a, 2, "both uaddr waiters woke");
    CHECK_EQ(futex(&b, P(FUTEX_WAKE), INT_MAX, NULL, NULL, 0), 1, "one waiter was left on uaddr2");
    join_all(tb, 2);
    CHECK_EQ(woken_b, 2, "both uaddr2 waiters woke");

    /* The other operations and comparisons on a word with no waiters. */
    static int x, y;
    struct {
        int op, oparg, cmp, cmparg, start, want_val;
        long want_ret;
        const char *what;
    } cases[] = {
        {FUTEX_OP_OR, 0x30, FUTEX_OP_CMP_NE, 0, 0x5, 0x35, 0, "OR 0x30"},
        {FUTEX_OP_ANDN, 0x4, FUTEX_OP_CMP_LT, 10, 0x7, 0x3, 0, "ANDN 0x4"},
        {FUTEX_OP_XOR, 0xff, FUTEX_OP_CMP_GE, 0, 0x0f, 0xf0, 0, "XOR 0xff"},
        {FUTEX_OP_ADD, -3, FUTEX_OP_CMP_GT, 0, 10, 7, 0, "ADD -3"},
        {FUTEX_OP_SET, 42, FUTEX_OP_CMP_LE, 0, 99, 42, 0, "SET 42"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        y = cases[i].start;
        r = futex(&x, P(FUTEX_WAKE_OP), 1, VAL2(1), &y,
                  FUTEX_OP(cases[i].op, cases[i].oparg & 0xfff, cases[i].cmp, cases[i].cmparg));
        CHECK(r == cases[i].want_ret && y == cases[i].want_val, "WAKE_OP %s: %#x -> %#x, returns %ld",
              cases[i].what, cases[i].start, y, r);
    }
    y = 1;
    r = futex(&x, P(FUTEX_WAKE_OP), 1, VAL2(1), &y,
              FUTEX_OP((FUTEX_OP_SET | FUTEX_OP_OPARG_SHIFT), 4, FUTEX_OP_CMP_EQ, 1));
    CHECK(r == 0 && y == 16, "WAKE_OP SET with FUTEX_OP_OPARG_SHIFT: 1 << 4 = %d", y);
    EXPECT_ERRNO(futex(&x, P(FUTEX_WAKE_OP), 1, VAL2(1), (void *)8, FUTEX_OP(FUTEX_OP_SET, 1, FUTEX_OP_CMP_EQ, 0)),
                 EFAULT, "WAKE_OP with a bad uaddr2");
    EXPECT_ERRNO(futex(&x, P(FUTEX_WAKE_OP), 1, VAL2(1), &y, FUTEX_OP(7, 1, FUTEX_OP_CMP_EQ, 0)), ENOSYS,
                 "WAKE_OP with an unknown operation");
}

static void test_requeue(void)
{
    printf("-- FUTEX_CMP_REQUEUE\n");
    static int a, b, woken;
    pthread_t t[4];
    struct waiter w[4];
    start_waiters(t, w, 4, &a, &woken, 0, 0);
    store(&a, 1); /* the waiters slept with 0: changing it wakes nobody */
    EXPECT_ERRNO(futex(&a, P(FUTEX_CMP_REQUEUE), 1, VAL2(1), &b, 0), EAGAIN,
                 "CMP_REQUEUE with a mismatched val3");
    long r = futex(&a, P(FUTEX_CMP_REQUEUE), 1, VAL2(2), &b, 1);
    CHECK_EQ(r, 3, "CMP_REQUEUE wake 1, requeue 2 of 4: returns 3");
    CHECK_EQ(futex(&a, P(FUTEX_WAKE), INT_MAX, NULL, NULL, 0), 1, "one waiter is left on the source word");
    CHECK_EQ(futex(&b, P(FUTEX_WAKE), 1, NULL, NULL, 0), 1, "the requeued ones sleep on the target word");
    CHECK_EQ(futex(&b, P(FUTEX_WAKE), INT_MAX, NULL, NULL, 0), 1, "and the other one");
    join_all(t, 4);
    CHECK_EQ(woken, 4, "all 4 woke (each saw its own word set)");
    CHECK_EQ(futex(&a, P(FUTEX_CMP_REQUEUE), 1, VAL2(1), &b, 1), 0, "CMP_REQUEUE with no waiters returns 0");
    EXPECT_ERRNO(futex(&a, P(FUTEX_CMP_REQUEUE), -1, VAL2(1), &b, 1), EINVAL, "CMP_REQUEUE with nr_wake < 0");
    EXPECT_ERRNO(futex(&a, P(FUTEX_CMP_REQUEUE), 1, VAL2(-1), &b, 1), EINVAL, "CMP_REQUEUE with nr_requeue < 0");
    errno = 0;
    r = futex(&a, P(FUTEX_CMP_REQUEUE), 1, VAL2(1), (void *)8, 1);
    printf("private CMP_REQUEUE with no waiters to a bad uaddr2: %ld/%s\n", r, errno_name(r < 0 ? errno : 0));
    EXPECT_ERRNO(futex((void *)8, P(FUTEX_CMP_REQUEUE), 1, VAL2(1), &b, 1), EFAULT,
                 "CMP_REQUEUE from a bad uaddr (the word is compared)");
}

int main(void)
{
    guest_line_buffered();
    test_pingpong();
    test_errors();
    test_wake_counts();
    test_wake_op();
    test_requeue();
    return guest_exit();
}
