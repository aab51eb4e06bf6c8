/*
 * vfork: the parent is suspended until the child _exits (or execs), and the
 * child runs in the parent's memory.
 *
 * The child does a long run of work on a shared variable before _exit; the
 * parent, once vfork returns, must see the finished result (a parent that ran
 * concurrently would see a partial one).  Also clone(CLONE_VM|CLONE_VFORK)
 * with a separate stack, and a vfork child killed by a signal.
 */
#include "guest.h"

#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile long shared_counter;
static volatile int shared_flag;
static volatile pid_t child_saw_ppid;

#define WORK 20000

static int clone_fn(void *arg)
{
    long n = (long)(intptr_t)arg;
    for (long i = 0; i < n; i++)
        shared_counter++;
    shared_flag = 2;
    return 33; /* the return value becomes the exit status */
}

int main(void)
{
    guest_line_buffered();
    int st;
    pid_t me = getpid();

    /* 1. vfork + _exit: the parent sees everything the child wrote. */
    shared_counter = 0;
    shared_flag = 0;
    fflush(stdout);
    pid_t pid = vfork();
    if (pid == 0) {
        for (long i = 0; i < WORK; i++)
            shared_counter++;
        child_saw_ppid = getppid();
        shared_flag = 1;
        _exit(7);
    }
    /* The child has _exited by now: no waiting needed to see its writes. */
    long seen = shared_counter;
    int flag = shared_flag;
    CHECK(pid > 0, "vfork returned a pid in the parent");
    CHECK(seen == WORK, "parent resumed after the child's work (counter %ld)", seen);
    CHECK(flag == 1, "the child's last write before _exit is visible");
    CHECK(child_saw_ppid == me, "the child saw us as its parent");
    CHECK(waitpid(pid, &st, 0) == pid, "waitpid reaps the vfork child");
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7, "vfork child %s", status_str(st));

    /* 2. Several vforks in a row, each child exiting with its own code. */
    for (int i = 0; i < 5; i++) {
        pid = vfork();
        if (pid == 0) {
            shared_counter = 1000 + i;
            _exit(50 + i);
        }
        long v = shared_counter;
        int ok = waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 50 + i;
        CHECK(ok && v == 1000 + i, "vfork #%d: value %ld, %s", i, v, status_str(st));
    }

    /* 3. A vfork child killed by a signal also releases the parent. */
    shared_flag = 0;
    pid = vfork();
    if (pid == 0) {
        shared_flag = 5;
        syscall(SYS_kill, syscall(SYS_getpid), SIGKILL);
        shared_flag = 6; /* never reached */
        _exit(1);
    }
    flag = shared_flag;
    CHECK(flag == 5, "the killed vfork child's writes are visible");
    CHECK(waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
          "killed vfork child: %s", status_str(st));

    /* 4. clone(CLONE_VM | CLONE_VFORK | SIGCHLD) on its own stack. */
    static char stack[64 * 1024] __attribute__((aligned(16)));
    shared_counter = 0;
    shared_flag = 0;
    pid = clone(clone_fn, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, (void *)(intptr_t)WORK);
    seen = shared_counter;
    flag = shared_flag;
    CHECK(pid > 0, "clone(CLONE_VM|CLONE_VFORK) returned a pid");
    CHECK(seen == WORK && flag == 2, "clone(CLONE_VFORK): parent resumed after the child finished (%ld)", seen);
    CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 33,
          "clone(CLONE_VFORK) child %s", status_str(st));

    /* 5. clone(CLONE_VM) without CLONE_VFORK: shared memory, parent not suspended;
     *    waitpid orders it. */
    shared_counter = 0;
    pid = clone(clone_fn, stack + sizeof stack, CLONE_VM | SIGCHLD, (void *)(intptr_t)100);
    CHECK(waitpid(pid, &st, 0) == pid && WEXITSTATUS(st) == 33, "clone(CLONE_VM) child %s", status_str(st));
    CHECK(shared_counter == 100, "clone(CLONE_VM) child wrote our memory (%ld)", (long)shared_counter);

    /* 6. fork (not vfork) does not share memory. */
    shared_counter = 0;
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        shared_counter = 99;
        _exit(0);
    }
    waitpid(pid, &st, 0);
    CHECK(shared_counter == 0, "a fork child's writes are not visible");

    EXPECT_ERRNO(waitpid(-1, &st, 0), ECHILD, "all children reaped");
    return guest_exit();
}
