/*
 * smoke: a libc smoke test - printf formatting, the allocator, string
 * functions, qsort, __thread, file and directory operations, and the errno
 * of common failing calls.  Everything it creates under /tmp is removed again
 * (and leftovers of an interrupted run are removed first), so reruns work.
 */
#include "guest.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Paths under /tmp, fixed except for an optional tag from argv[1] (default "0") so
 * that concurrent test runs can keep apart.  The paths are never printed. */
static char SMOKE_FILE[256], SMOKE_FILE2[256], SMOKE_DIR[256];

/* ------------------------------------------------------------------ printf */

static void test_printf(void)
{
    printf("-- printf\n");
    printf("d/i/u: %d %i %u %d %u\n", 42, -17, 3000000000u, -2147483647 - 1, 0u);
    printf("x/X/o: %x %X %o %#x %#o %08x\n", 0xdeadbeefu, 0xcafeu, 0755u, 255u, 8u, 0x1234u);
    printf("c/s: [%c] [%s] [%.3s] [%10s] [%-10s] [%%]\n", 'Z', "text", "truncate", "right", "left");
    printf("l/ll/z: %ld %lld %zu %lu %llx %zd\n", -1234567890123L, 9223372036854775807LL,
           (size_t)18446744073709551615ULL, 18446744073709551615UL, 0x0123456789abcdefULL, (ssize_t)-5);
    printf("width/flags: [%5d] [%-5d] [%05d] [%+d] [% d] [%+.3d] [%*d] [%-*d]\n",
           42, 42, 42, 42, 42, 7, 6, 99, 6, 99);
    printf("hh/h: %hhd %hhu %hd %hu\n", (signed char)-128, (unsigned char)255, (short)-32768, (unsigned short)65535);

    static const double ds[] = {0.0, -0.0, 1.0, -1.5, 3.14159265358979, 1e-10, 123456789.125,
                                6.02214076e23, -999.98095703125, 0.1, 2.5, 1e300, 2.2250738585072014e-308};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        double d = ds[i];
        printf("double[%zu]: %f | %.2f | %g | %.10g | %e | %.3e | %a | %12.4f | %-12.3g|\n",
               i, d, d, d, d, d, d, d, d, d);
    }
    volatile double zero = 0.0;
    /* x86's default NaN has the sign bit set, so 0/0 prints "-nan" with both libcs. */
    printf("special: %f %f %f %e\n", 1.0 / zero, -1.0 / zero, zero / zero, 1e-5);
    /* The smallest subnormal; not with %a, which musl and glibc normalise differently. */
    double sub = 4.9406564584124654e-324;
    printf("subnormal: %g %.17e %f\n", sub, sub, sub);
    long double ld = 1.0L / 3.0L;
    printf("long double: %Lf %.18Lf %Lg %.6Le\n", ld, ld, 2.0L / 7.0L, 12345.6789L);
    printf("float arith: %.17g %.17g\n", 0.1 + 0.2, 1.0 / 3.0);

    char buf[16];
    const char *volatile longstr = "abcdefghijklmnop"; /* volatile: no compile-time truncation warning */
    int n = snprintf(buf, sizeof buf, "%s-%d", longstr, 12345);
    printf("snprintf truncation: n=%d buf=\"%s\" len=%zu\n", n, buf, strlen(buf));
    n = snprintf(NULL, 0, "%d%s", 100, "xyz");
    printf("snprintf(NULL, 0): n=%d\n", n);
}

/* ------------------------------------------------------------------ malloc */

/* Fill (or check) a block with a size-dependent byte pattern.  Blocks up to
 * 1 MiB are fully written; larger ones get every byte of their first and last
 * 4 KiB page plus one 8-byte word per page in between (the point is to touch
 * every page, not to benchmark the emulator's store loop). */
static int pattern(unsigned char *p, size_t n, unsigned seed, int check)
{
    const size_t full = 1u << 20;
    size_t head = n <= full ? n : 4096;
    for (size_t i = 0; i < head; i++) {
        unsigned char v = (unsigned char)(i * 31 + seed);
        if (check ? p[i] != v : (p[i] = v, 0))
            return 0;
    }
    if (n > full) {
        for (size_t off = 4096; off + 8 <= n - 4096; off += 4096) {
            uint64_t v = (uint64_t)off * 0x9e3779b97f4a7c15ULL + seed;
            if (check ? memcmp(p + off, &v, 8) != 0 : (memcpy(p + off, &v, 8), 0))
                return 0;
        }
        for (size_t i = n - 4096; i < n; i++) {
            unsigned char v = (unsigned char)(i * 31 + seed);
            if (check ? p[i] != v : (p[i] = v, 0))
                return 0;
        }
    }
    return 1;
}

static int all_zero(const unsigned char *p, size_t n)
{
    const size_t full = 1u << 20;
    if (n <= full) {
        for (size_t i = 0; i < n; i++)
            if (p[i])
                return 0;
        return 1;
    }
    for (size_t off = 0; off < n; off += 4096)
        if (p[off] || p[off + 4095 < n ? off + 4095 : n - 1])
            return 0;
    return p[n - 1] == 0;
}

static void test_malloc(void)
{
    printf("-- malloc\n");
    const size_t max = 64u << 20;
    int ok = 1, count = 0;
    for (size_t sz = 1; sz <= max; sz <<= 1) {
        size_t sizes[3] = {sz, sz + 1, sz * 3 / 2 + 7};
        for (int k = 0; k < 3; k++) {
            if (sizes[k] > max)
                continue;
            unsigned char *p = malloc(sizes[k]);
            if (!p || !pattern(p, sizes[k], (unsigned)sizes[k], 0) || !pattern(p, sizes[k], (unsigned)sizes[k], 1)) {
                printf("FAIL malloc(%zu)\n", sizes[k]);
                ok = 0;
            }
            free(p);
            count++;
        }
    }
    CHECK(ok, "malloc/write/verify/free of %d sizes from 1 B to 64 MiB", count);

    /* Many live blocks at once, freed in a scrambled order. */
    enum { NBLK = 500 };
    static unsigned char *blk[NBLK];
    unsigned long long st = 7;
    ok = 1;
    for (int i = 0; i < NBLK; i++) {
        size_t n = 1 + lcg_next(&st) % 3000;
        blk[i] = malloc(n);
        if (!blk[i]) { ok = 0; continue; }
        memset(blk[i], i & 0xff, n);
        blk[i][0] = (unsigned char)i;
    }
    for (int i = 0; i < NBLK; i++) {
        int j = (i * 7919) % NBLK;
        if (blk[j] && blk[j][0] != (unsigned char)j)
            ok = 0;
        free(blk[j]);
    }
    CHECK(ok, "%d live blocks, freed in scrambled order", NBLK);

    /* realloc: grow a block from 1 byte to 64 MiB, then shrink it; contents survive. */
    ok = 1;
    unsigned char *r = malloc(1);
    size_t have = 1;
    r[0] = 0xa5;
    for (size_t n = 2; r && n <= max; n <<= 1) {
        unsigned char *q = realloc(r, n);
        if (!q) { ok = 0; break; }
        r = q;
        if (r[0] != 0xa5 || (have > 1 && r[have - 1] != (unsigned char)(have * 13)))
            ok = 0;
        r[n - 1] = (unsigned char)(n * 13);
        have = n;
    }
    CHECK(ok, "realloc growth 1 B -> 64 MiB keeps contents");
    unsigned char *q = realloc(r, 100);
    CHECK(q && q[0] == 0xa5, "realloc shrink to 100 B keeps contents");
    free(q);
    free(realloc(NULL, 0));

    /* calloc zeroes, even memory that a previous allocation dirtied. */
    ok = 1;
    static const size_t csz[] = {1, 7, 64, 4096, 100000, 1u << 20, 5u << 20, 64u << 20};
    for (size_t i = 0; i < sizeof csz / sizeof csz[0]; i++) {
        unsigned char *d = malloc(csz[i]);
        if (d)
            memset(d, 0xee, csz[i] < 65536 ? csz[i] : 65536);
        free(d);
        unsigned char *z = calloc(1, csz[i]);
        if (!z || !all_zero(z, csz[i])) {
            printf("FAIL calloc(%zu) not zeroed\n", csz[i]);
            ok = 0;
        }
        free(z);
    }
    CHECK(ok, "calloc returns zeroed memory");
    /* Not checked: calloc(1 << 62, 8) returning NULL.  zig 0.17.1's libc calloc
     * (its own allocator, not musl's) wraps the size multiplication and returns a
     * small block once the allocator is initialised. */
}

/* ------------------------------------------------------------------ strings */

static void test_strings(void)
{
    printf("-- strings\n");
    CHECK(strlen("") == 0 && strlen("hello") == 5, "strlen");
    CHECK(strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0 && strcmp("same", "same") == 0, "strcmp");
    CHECK(strncmp("abcdef", "abcxyz", 3) == 0, "strncmp");

    char dst[8];
    memset(dst, 'X', sizeof dst);
    strncpy(dst, "ab", sizeof dst);
    int pad = 1;
    for (size_t i = 2; i < sizeof dst; i++)
        pad &= dst[i] == 0;
    CHECK(dst[0] == 'a' && dst[1] == 'b' && pad, "strncpy pads with NULs");
    const char *volatile ten = "0123456789";
    volatile size_t dn = sizeof dst;
    strncpy(dst, ten, dn);
    CHECK(memcmp(dst, "01234567", 8) == 0, "strncpy truncates without a NUL");

    const char *hay = "the quick brown fox jumps over the lazy dog";
    CHECK(strstr(hay, "fox") == hay + 16 && strstr(hay, "cat") == NULL && strstr(hay, "") == hay, "strstr");
    CHECK(strchr(hay, 'q') == hay + 4 && strrchr(hay, 't') == hay + 31, "strchr/strrchr");

    char toks[] = "  alpha,beta;;gamma , delta";
    char *save = NULL;
    printf("strtok_r:");
    for (char *t = strtok_r(toks, " ,;", &save); t; t = strtok_r(NULL, " ,;", &save))
        printf(" [%s]", t);
    printf("\n");

    char mv[32] = "0123456789abcdef";
    memmove(mv + 4, mv, 10);
    CHECK(memcmp(mv, "01230123456789ef", 16) == 0, "memmove forward overlap");
    memmove(mv, mv + 6, 10);
    CHECK(memcmp(mv, "23456789ef6789ef", 16) == 0, "memmove backward overlap");

    char big[300];
    for (int i = 0; i < 300; i++)
        big[i] = (char)('a' + i % 26);
    big[299] = 0;
    char *dup = strdup(big);
    CHECK(dup && strcmp(dup, big) == 0, "strdup of %zu bytes", strlen(big));
    free(dup);
    CHECK(strtol("-0x1f", NULL, 16) == -31 && strtoul("777", NULL, 8) == 511, "strtol/strtoul");
    CHECK(atoi("  123abc") == 123, "atoi");
    double d = strtod("2.5e-3", NULL);
    CHECK(d == 0.0025, "strtod");
}

/* ------------------------------------------------------------------ qsort */

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void test_qsort(void)
{
    printf("-- qsort\n");
    enum { N = 10000 };
    static int v[N];
    unsigned long long st = 2024;
    long long sum = 0;
    for (int i = 0; i < N; i++) {
        v[i] = (int)(lcg_next(&st) >> 33) % 100000 - 50000;
        sum += v[i];
    }
    qsort(v, N, sizeof v[0], cmp_int);
    int sorted = 1;
    long long sum2 = 0;
    for (int i = 0; i < N; i++) {
        sum2 += v[i];
        if (i && v[i - 1] > v[i])
            sorted = 0;
    }
    CHECK(sorted && sum == sum2, "qsort of %d ints", N);
    printf("qsort: min %d median %d max %d sum %lld\n", v[0], v[N / 2], v[N - 1], sum2);
}

/* ------------------------------------------------------------------ __thread */

static __thread int tls_init = 1234;
static __thread long tls_zero;
static __thread char tls_buf[64] = "tls-string";

static void test_tls(void)
{
    printf("-- __thread\n");
    CHECK(tls_init == 1234 && tls_zero == 0 && strcmp(tls_buf, "tls-string") == 0, "__thread initial values");
    tls_init += 1;
    tls_zero = -7;
    strcat(tls_buf, "+more");
    CHECK(tls_init == 1235 && tls_zero == -7 && strcmp(tls_buf, "tls-string+more") == 0, "__thread updates");
    CHECK((uintptr_t)&tls_zero % _Alignof(long) == 0, "__thread alignment");
}

/* ------------------------------------------------------------------ files */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* SMOKE_DIR "/" name, in a static buffer. */
static const char *in_dir(const char *name)
{
    static char path[300];
    snprintf(path, sizeof path, "%s/%s", SMOKE_DIR, name);
    return path;
}

static void cleanup(void)
{
    unlink(SMOKE_FILE);
    unlink(SMOKE_FILE2);
    unlink(in_dir("charlie"));
    unlink(in_dir("alpha"));
    unlink(in_dir("bravo"));
    rmdir(in_dir("sub"));
    rmdir(SMOKE_DIR);
}

static void test_files(void)
{
    printf("-- files\n");
    cleanup();
    umask(022);
    int fd = open(SMOKE_FILE, O_CREAT | O_EXCL | O_RDWR, 0644);
    CHECK(fd >= 0, "open O_CREAT|O_EXCL");
    EXPECT_ERRNO(open(SMOKE_FILE, O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST, "open O_EXCL of an existing file");
    const char msg[] = "hello from the smoke test\n";
    CHECK(write(fd, msg, sizeof msg - 1) == (ssize_t)(sizeof msg - 1), "write %zu bytes", sizeof msg - 1);
    CHECK(lseek(fd, 0, SEEK_CUR) == (off_t)(sizeof msg - 1), "lseek SEEK_CUR is at the end");
    CHECK(lseek(fd, 6, SEEK_SET) == 6, "lseek SEEK_SET");
    char rb[64] = {0};
    CHECK(read(fd, rb, sizeof rb) == (ssize_t)(sizeof msg - 1 - 6), "read back the rest");
    CHECK(strcmp(rb, msg + 6) == 0, "read back matches");
    CHECK(read(fd, rb, sizeof rb) == 0, "read at EOF returns 0");
    CHECK(lseek(fd, 100, SEEK_END) == (off_t)(sizeof msg - 1 + 100), "lseek past the end");
    CHECK(write(fd, "!", 1) == 1, "write after a hole");
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == (off_t)(sizeof msg - 1 + 101), "fstat size");
    CHECK(S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0644, "fstat mode is a regular file 0644");
    CHECK(pread(fd, rb, 4, sizeof msg - 1 + 10) == 4 && memcmp(rb, "\0\0\0\0", 4) == 0, "the hole reads as zeros");
    CHECK(ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5, "ftruncate");
    CHECK(close(fd) == 0, "close");
    EXPECT_ERRNO(read(fd, rb, 1), EBADF, "read on a closed fd");
    EXPECT_ERRNO(close(fd), EBADF, "close of a closed fd");

    CHECK(stat(SMOKE_FILE, &st) == 0 && st.st_size == 5 && S_ISREG(st.st_mode), "stat");
    CHECK(rename(SMOKE_FILE, SMOKE_FILE2) == 0, "rename");
    EXPECT_ERRNO(stat(SMOKE_FILE, &st), ENOENT, "stat of the old name");
    CHECK(stat(SMOKE_FILE2, &st) == 0 && st.st_size == 5, "stat of the new name");
    CHECK(unlink(SMOKE_FILE2) == 0, "unlink");
    EXPECT_ERRNO(unlink(SMOKE_FILE2), ENOENT, "unlink again");

    /* stdio on a file */
    FILE *f = fopen(SMOKE_FILE, "w+");
    CHECK(f != NULL, "fopen w+");
    if (f) {
        for (int i = 0; i < 1000; i++)
            fprintf(f, "line %d\n", i);
        rewind(f);
        char line[64];
        int lines = 0;
        long total = 0;
        while (fgets(line, sizeof line, f)) {
            lines++;
            total += atoi(line + 5);
        }
        CHECK(lines == 1000 && total == 499500, "fprintf/fgets round trip");
        CHECK(fclose(f) == 0, "fclose");
    }
    CHECK(unlink(SMOKE_FILE) == 0, "unlink the stdio file");

    /* directories */
    CHECK(mkdir(SMOKE_DIR, 0755) == 0, "mkdir");
    EXPECT_ERRNO(mkdir(SMOKE_DIR, 0755), EEXIST, "mkdir of an existing dir");
    static const char *names[] = {"charlie", "alpha", "bravo"};
    for (int i = 0; i < 3; i++) {
        int dfd = open(in_dir(names[i]), O_CREAT | O_WRONLY | O_TRUNC, 0600);
        if (dfd < 0 || write(dfd, names[i], strlen(names[i])) < 0 || close(dfd) != 0)
            CHECK(0, "create %s", names[i]);
    }
    CHECK(mkdir(in_dir("sub"), 0700) == 0, "mkdir a subdirectory");
    DIR *d = opendir(SMOKE_DIR);
    CHECK(d != NULL, "opendir");
    if (d) {
        char *seen[16];
        int n = 0, dots = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
                dots++;
                continue;
            }
            if (n < 16)
                seen[n++] = strdup(de->d_name);
        }
        closedir(d);
        qsort(seen, n, sizeof seen[0], cmp_str);
        printf("readdir (sorted, %d dot entries):", dots);
        for (int i = 0; i < n; i++) {
            printf(" %s", seen[i]);
            free(seen[i]);
        }
        printf("\n");
    }
    EXPECT_ERRNO(rmdir(SMOKE_DIR), ENOTEMPTY, "rmdir of a non-empty dir");
    EXPECT_ERRNO(unlink(in_dir("sub")), EISDIR, "unlink of a directory");
    DIR *nd;
    EXPECT_ERRNO((nd = opendir(in_dir("alpha"))) ? (closedir(nd), 0) : -1, ENOTDIR, "opendir of a file");
    cleanup();
    EXPECT_ERRNO(stat(SMOKE_DIR, &st), ENOENT, "everything cleaned up");
}

/* ------------------------------------------------------------------ errno */

static void test_errno(void)
{
    printf("-- errno\n");
    EXPECT_ERRNO(open("/nonexistent/emukernel/file", O_RDONLY), ENOENT, "open of a missing file");
    EXPECT_ERRNO(close(-1), EBADF, "close(-1)");
    EXPECT_ERRNO(syscall(SYS_write, 1, (void *)1, 10), EFAULT, "write from a bad pointer");
    CHECK(syscall(SYS_read, 0, NULL, 0) == 0, "read of 0 bytes into NULL");
    EXPECT_ERRNO(lseek(0 + 1000, 0, SEEK_SET), EBADF, "lseek on a bad fd");
    int fd = open("/tmp", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0, "open /tmp O_DIRECTORY");
    EXPECT_ERRNO(lseek(fd, 0, 12345), EINVAL, "lseek with a bad whence");
    EXPECT_ERRNO(read(fd, (char[8]){0}, 8), EISDIR, "read of a directory");
    close(fd);
    EXPECT_ERRNO(open("/tmp", O_WRONLY), EISDIR, "open a directory for writing");
    EXPECT_ERRNO(open("/tmp/", O_RDONLY | O_CREAT, 0600), EISDIR, "O_CREAT on a directory path");
}

int main(int argc, char **argv)
{
    const char *tag = argc > 1 ? argv[1] : "0";
    snprintf(SMOKE_FILE, sizeof SMOKE_FILE, "/tmp/emukernel-smoke-%s-file", tag);
    snprintf(SMOKE_FILE2, sizeof SMOKE_FILE2, "/tmp/emukernel-smoke-%s-file.renamed", tag);
    snprintf(SMOKE_DIR, sizeof SMOKE_DIR, "/tmp/emukernel-smokedir-%s", tag);
    test_printf();
    test_malloc();
    test_strings();
    test_qsort();
    test_tls();
    test_files();
    test_errno();
    return guest_exit();
}
