/*
 * sig_fpu: the x87 register stack across a signal.
 *
 * A signal arrives while two values sit on the x87 stack (pushed and popped inside one asm block around
 * a raw kill syscall).  The handler sees them in its frame's FXSAVE image, in stack order, with TOP in the
 * status word and the abridged tag word; it computes with long double itself; after rt_sigreturn the
 * interrupted code pops exactly what it pushed.  A handler that edits ST(0) in the frame changes what
 * the interrupted code pops, as on Linux (the frame is what sigreturn restores).  With an empty x87 stack
 * the handler sees TOP 0 and an empty tag word.
 */
#include "guest.h"

#include <stdint.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int edit_st0, drop_fpstate;
static volatile long double handler_result;
static char seen[256];

static long double slot(const unsigned char *fx, int i)
{
    long double v = 0;
    memcpy(&v, fx + 32 + 16 * i, 10);
    return v;
}

static void handler(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    unsigned char *fx = (unsigned char *)uc->uc_mcontext.fpregs;
    unsigned short swd, cwd;
    memcpy(&cwd, fx, 2);
    memcpy(&swd, fx + 2, 2);
    snprintf(seen, sizeof seen, "cwd=%#x TOP=%d ftw=%#x st0=%.6Lf st1=%.6Lf", cwd, (swd >> 11) & 7, fx[4],
             slot(fx, 0), slot(fx, 1));
    /* x87 work of the handler's own (balanced, as compiled code always is) */
    volatile long double x = 1.25L;
    for (int i = 0; i < 4; i++)
        x = x * x + 0.5L;
    handler_result = x;
    if (drop_fpstate)
        uc->uc_mcontext.fpregs = NULL; /* sigreturn then resets the FPU (fpu__clear_user_states) */
    if (edit_st0) {
        long double two = 2.0L;
        memcpy(fx + 32, &two, 10);
    }
}

/* push 1 and pi, kill(me, SIGUSR1) with the values on the stack, pop them into *top and *below */
static void signal_with_stack(double *top, double *below)
{
    long pid = getpid();
    __asm__ volatile("fld1\n\t"
                     "fldpi\n\t"
                     "mov $62, %%eax\n\t"
                     "mov %[pid], %%rdi\n\t"
                     "mov $10, %%esi\n\t"
                     "syscall\n\t"
                     "fstpl %[a]\n\t"
                     "fstpl %[b]\n\t"
                     : [a] "=m"(*top), [b] "=m"(*below)
                     : [pid] "r"(pid)
                     : "rax", "rcx", "rdx", "rsi", "rdi", "r11", "memory");
}

int main(void)
{
    guest_line_buffered();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);

    double a = 0, b = 0;
    signal_with_stack(&a, &b);
    printf("handler saw: %s\n", seen);
    printf("handler computed %.6Lf\n", handler_result);
    printf("after sigreturn: popped %.6f then %.6f\n", a, b);

    edit_st0 = 1;
    signal_with_stack(&a, &b);
    printf("handler edited ST(0) in the frame: popped %.6f then %.6f\n", a, b);
    edit_st0 = 0;

    kill(getpid(), SIGUSR1);
    printf("empty stack: handler saw: %s\n", seen);

    unsigned mxcsr = 0x7f80; /* round toward zero */
    unsigned short fcw = 0x0f7f;
    __asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mxcsr), "m"(fcw));
    drop_fpstate = 1;
    kill(getpid(), SIGUSR1);
    drop_fpstate = 0;
    __asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mxcsr), "=m"(fcw));
    printf("a frame without fpstate: after sigreturn mxcsr=%#x fcw=%#x\n", mxcsr, fcw);
    volatile long double y = 3.0L;
    y = y / 7.0L;
    printf("x87 after: %.9Lf\n", y);
    return guest_failures ? 1 : 0;
}
