/*
 * clock: checks the time syscalls for monotonicity, sleep length, resolution
 * and mutual agreement.  Prints only ok/FAIL lines (never a time).
 */
#include "guest.h"

#include <stdint.h>
#include <sys/time.h>
#include <time.h>

static int64_t ns(const struct timespec *t)
{
    return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int64_t now(clockid_t c)
{
    struct timespec t;
    if (clock_gettime(c, &t) != 0)
        return -1;
    return ns(&t);
}

int main(void)
{
    struct timespec t;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &t) == 0 && t.tv_nsec >= 0 && t.tv_nsec < 1000000000L,
          "clock_gettime(CLOCK_MONOTONIC) with a normalised tv_nsec");
    CHECK(clock_gettime(CLOCK_REALTIME, &t) == 0 && t.tv_nsec >= 0 && t.tv_nsec < 1000000000L,
          "clock_gettime(CLOCK_REALTIME) with a normalised tv_nsec");

    int64_t prev = now(CLOCK_MONOTONIC), backwards = 0;
    for (int i = 0; i < 1000; i++) {
        int64_t cur = now(CLOCK_MONOTONIC);
        if (cur < prev)
            backwards++;
        prev = cur;
    }
    CHECK(backwards == 0, "CLOCK_MONOTONIC non-decreasing over 1000 reads");

    int64_t r0 = now(CLOCK_REALTIME);
    struct timespec ms1 = {0, 1000000};
    CHECK(nanosleep(&ms1, NULL) == 0, "nanosleep 1 ms");
    int64_t r1 = now(CLOCK_REALTIME);
    CHECK(r1 >= r0, "CLOCK_REALTIME non-decreasing across a 1 ms sleep");

    int64_t m0 = now(CLOCK_MONOTONIC);
    struct timespec ms10 = {0, 10000000};
    CHECK(nanosleep(&ms10, NULL) == 0, "nanosleep 10 ms");
    int64_t m1 = now(CLOCK_MONOTONIC);
    CHECK(m1 - m0 >= 10000000, "a 10 ms nanosleep advances CLOCK_MONOTONIC by >= 10 ms");

    struct timespec rq = {0, -1};
    errno = 0;
    EXPECT_ERRNO(nanosleep(&rq, NULL), EINVAL, "nanosleep with a negative tv_nsec");

    struct timespec res;
    CHECK(clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0 &&
              res.tv_nsec <= 1000000,
          "clock_getres(CLOCK_MONOTONIC) <= 1 ms");
    CHECK(clock_getres(CLOCK_REALTIME, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0 &&
              res.tv_nsec <= 1000000,
          "clock_getres(CLOCK_REALTIME) <= 1 ms");

    struct timeval tv;
    int64_t rt = now(CLOCK_REALTIME);
    CHECK(gettimeofday(&tv, NULL) == 0 && tv.tv_usec >= 0 && tv.tv_usec < 1000000, "gettimeofday");
    int64_t gt = (int64_t)tv.tv_sec * 1000000000LL + (int64_t)tv.tv_usec * 1000;
    CHECK(gt - rt > -1000000000LL && gt - rt < 1000000000LL, "gettimeofday agrees with CLOCK_REALTIME within 1 s");
    time_t tt = time(NULL);
    int64_t rt2 = now(CLOCK_REALTIME) / 1000000000LL;
    CHECK(tt - rt2 >= -1 && tt - rt2 <= 1, "time() agrees with CLOCK_REALTIME within 1 s");
    time_t tt2;
    CHECK(time(&tt2) >= tt && tt2 >= tt, "time(&t) stores the time too");

    struct timespec cpu0, cpu1;
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0) == 0, "clock_gettime(CLOCK_PROCESS_CPUTIME_ID)");
    volatile unsigned long spin = 0;
    for (int i = 0; i < 200000; i++)
        spin += i;
    CHECK(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1) == 0 && ns(&cpu1) >= ns(&cpu0),
          "CLOCK_PROCESS_CPUTIME_ID non-decreasing");

    EXPECT_ERRNO(clock_gettime((clockid_t)12345, &t), EINVAL, "clock_gettime of a bad clock id");

    return guest_exit();
}
