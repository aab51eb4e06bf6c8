/* `int $0x80` from 64-bit code: the ia32 syscall ABI (number in eax, arguments in ebx ecx edx esi edi
 * ebp, result in eax), the registers it must keep (all but eax; r8-r11 are left out), a signal sent through it, and a number it does not
 * have. */
#include "guest.h"

#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int got_usr1;
static void on_usr1(int sig) { got_usr1 = sig; }

struct regs32 { long nr, b, c, d, si, di; };

static void int80(struct regs32 *r)
{
    __asm__ volatile("int $0x80"
                     : "+a"(r->nr), "+b"(r->b), "+c"(r->c), "+d"(r->d), "+S"(r->si), "+D"(r->di)
                     : : "r8", "r9", "r10", "r11", "memory");
}

static int kept(const struct regs32 *r, long b, long c)
{
    return r->b == b && r->c == c && r->d == 12 && r->si == 13 && r->di == 14;
}

int main(void)
{
    struct regs32 r = {224, 10, 11, 12, 13, 14}; /* gettid */
    int80(&r);
    CHECK(r.nr == syscall(SYS_gettid) && kept(&r, 10, 11), "ia32 gettid (224): our tid, registers kept");
    r = (struct regs32){20, 10, 11, 12, 13, 14}; /* getpid */
    int80(&r);
    CHECK(r.nr == getpid() && kept(&r, 10, 11), "ia32 getpid (20)");

    signal(SIGUSR1, on_usr1);
    r = (struct regs32){37, getpid(), SIGUSR1, 12, 13, 14}; /* kill */
    int80(&r);
    CHECK(r.nr == 0 && got_usr1 == SIGUSR1 && kept(&r, getpid(), SIGUSR1),
          "ia32 kill (37) to ourselves: 0, the handler ran, registers kept");

    r = (struct regs32){270, getpid(), 0x7fffffff, 0, 13, 14}; /* tgkill to no such thread */
    int80(&r);
    CHECK(r.nr == -ESRCH, "ia32 tgkill (270) to a thread that does not exist: -ESRCH");

    r = (struct regs32){499, 10, 11, 12, 13, 14}; /* past the ia32 table */
    int80(&r);
    CHECK(r.nr == -ENOSYS && kept(&r, 10, 11), "a number past the ia32 table: -ENOSYS");
    return guest_exit();
}
