/*
 * auxv: dumps what the kernel handed the process at execve time.
 *
 * Prints argc, argv[], the environment (in order), then the auxiliary vector,
 * read both through getauxval() and by walking past envp on the initial stack.
 * Only values that a faithful Linux gives identically everywhere are printed
 * raw (AT_PAGESZ, AT_PHENT, AT_CLKTCK, ...); everything else is printed as a
 * relation (AT_ENTRY == _start, AT_UID == getuid(), ...).
 */
#include "guest.h"

#include <elf.h>
#include <link.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char _start[];
/* Provided by both GNU ld and lld: the ELF header of the executable, in memory. */
extern const ElfW(Ehdr) __ehdr_start;

static ElfW(auxv_t) *stack_auxv;

/* Look a type up in the auxv found on the initial stack; *found tells whether it is there. */
static unsigned long stack_aux(unsigned long type, int *found)
{
    for (ElfW(auxv_t) *a = stack_auxv; a->a_type != AT_NULL; a++) {
        if (a->a_type == type) {
            *found = 1;
            return a->a_un.a_val;
        }
    }
    *found = 0;
    return 0;
}

/* Fetch a type from the stack auxv and check that getauxval() agrees. */
static unsigned long aux(unsigned long type, const char *name)
{
    int found;
    unsigned long v = stack_aux(type, &found);
    if (!found) {
        guest_failures++;
        printf("FAIL %s missing from the stack auxv\n", name);
        return 0;
    }
    errno = 0;
    unsigned long g = getauxval(type);
    if (g != v) {
        guest_failures++;
        printf("FAIL %s: getauxval and the stack auxv disagree\n", name);
    }
    return v;
}

static const char *yes(int cond)
{
    if (!cond)
        guest_failures++;
    return cond ? "yes" : "NO";
}

int main(int argc, char **argv, char **envp)
{
    /* --- the initial stack layout: argc, argv[], NULL, envp[], NULL, auxv --- */
    printf("argc %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d] \"%s\"\n", i, argv[i]);
    CHECK(argv[argc] == NULL, "argv[argc] == NULL");
    CHECK(((uintptr_t)argv) % 8 == 0, "argv is 8-byte aligned");
    CHECK(((long *)argv)[-1] == argc, "argc sits at argv[-1]");
    CHECK(envp == argv + argc + 1, "envp follows argv's NULL");

    int nenv = 0;
    char **e = envp;
    for (; *e; e++, nenv++)
        printf("env[%d] \"%s\"\n", nenv, *e);
    printf("envc %d\n", nenv);
    stack_auxv = (ElfW(auxv_t) *)(e + 1);
    CHECK(((uintptr_t)stack_auxv) % 8 == 0, "auxv is 8-byte aligned");

    /* Every entry on the stack must agree with getauxval().  glibc answers
     * AT_HWCAP/AT_HWCAP2 from its own CPU detection rather than the auxv, so
     * those two are only checked for presence. */
    int n = 0, disagree = 0;
    for (ElfW(auxv_t) *a = stack_auxv; a->a_type != AT_NULL; a++, n++) {
        if (a->a_type == AT_HWCAP || a->a_type == AT_HWCAP2)
            continue;
        if (getauxval(a->a_type) != a->a_un.a_val) {
            disagree++;
            printf("FAIL auxv type %lu: getauxval disagrees with the stack\n",
                   (unsigned long)a->a_type);
        }
    }
    guest_failures += disagree;
    CHECK(n > 0 && disagree == 0, "getauxval agrees with every stack auxv entry");
    errno = 0;
    CHECK(getauxval(0x7fffffff) == 0 && errno == ENOENT, "getauxval of an absent type fails with ENOENT");

    /* --- the individual entries --- */
    unsigned long pagesz = aux(AT_PAGESZ, "AT_PAGESZ");
    printf("AT_PAGESZ %lu\n", pagesz);
    CHECK(pagesz == (unsigned long)sysconf(_SC_PAGESIZE), "AT_PAGESZ == sysconf(_SC_PAGESIZE)");

    printf("AT_UID == getuid() %s\n", yes(aux(AT_UID, "AT_UID") == getuid()));
    printf("AT_EUID == geteuid() %s\n", yes(aux(AT_EUID, "AT_EUID") == geteuid()));
    printf("AT_GID == getgid() %s\n", yes(aux(AT_GID, "AT_GID") == getgid()));
    printf("AT_EGID == getegid() %s\n", yes(aux(AT_EGID, "AT_EGID") == getegid()));
    printf("AT_SECURE %lu\n", aux(AT_SECURE, "AT_SECURE"));

    unsigned long phent = aux(AT_PHENT, "AT_PHENT");
    unsigned long phnum = aux(AT_PHNUM, "AT_PHNUM");
    unsigned long phdr_addr = aux(AT_PHDR, "AT_PHDR");
    printf("AT_PHENT %lu\n", phent);

    const ElfW(Ehdr) *eh = &__ehdr_start;
    int magic = memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0;
    printf("ELF header in memory %s\n", yes(magic));
    printf("AT_PHNUM == e_phnum %s\n", yes(phnum == eh->e_phnum));
    printf("AT_PHENT == e_phentsize %s\n", yes(phent == eh->e_phentsize));
    printf("AT_PHDR == ehdr + e_phoff %s\n",
           yes(phdr_addr == (uintptr_t)eh + eh->e_phoff));

    /* Walk the program headers through AT_PHDR: find the load bias (from the
     * PT_LOAD that maps file offset 0, i.e. the ELF header), check PT_PHDR
     * when present, and check the entry point lies in an executable segment. */
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)phdr_addr;
    int have_bias = 0, phdr_ok = 1, entry_in_x = 0;
    uintptr_t bias = 0;
    for (unsigned long i = 0; i < phnum; i++) {
        if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0 && !have_bias) {
            bias = (uintptr_t)eh - ph[i].p_vaddr;
            have_bias = 1;
        }
    }
    unsigned long entry = aux(AT_ENTRY, "AT_ENTRY");
    for (unsigned long i = 0; i < phnum; i++) {
        if (ph[i].p_type == PT_PHDR && bias + ph[i].p_vaddr != phdr_addr)
            phdr_ok = 0;
        if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) &&
            entry >= bias + ph[i].p_vaddr && entry < bias + ph[i].p_vaddr + ph[i].p_memsz)
            entry_in_x = 1;
    }
    printf("load bias found %s\n", yes(have_bias));
    printf("PT_PHDR (if any) matches AT_PHDR %s\n", yes(phdr_ok));
    printf("ELF type %s, bias %s\n", eh->e_type == ET_DYN ? "ET_DYN" : eh->e_type == ET_EXEC ? "ET_EXEC" : "other",
           bias == 0 ? "zero" : "nonzero");

    printf("AT_ENTRY == _start %s\n", yes(entry == (uintptr_t)_start));
    printf("AT_ENTRY == bias + e_entry %s\n", yes(entry == bias + eh->e_entry));
    printf("AT_ENTRY in an executable PT_LOAD %s\n", yes(entry_in_x));

    const unsigned char *rnd = (const unsigned char *)aux(AT_RANDOM, "AT_RANDOM");
    if (rnd) {
        unsigned sum = 0;
        for (int i = 0; i < 16; i++)
            sum += rnd[i];
        (void)sum;
        printf("AT_RANDOM 16 readable bytes\n");
    } else {
        guest_failures++;
        printf("FAIL AT_RANDOM is NULL\n");
    }

    int found;
    stack_aux(AT_HWCAP, &found);
    printf("AT_HWCAP %s\n", found ? "present" : "absent");
    if (!found)
        guest_failures++;

    printf("AT_CLKTCK %lu\n", aux(AT_CLKTCK, "AT_CLKTCK"));
    CHECK(aux(AT_CLKTCK, "AT_CLKTCK") == (unsigned long)sysconf(_SC_CLK_TCK), "AT_CLKTCK == sysconf(_SC_CLK_TCK)");

    const char *plat = (const char *)aux(AT_PLATFORM, "AT_PLATFORM");
    printf("AT_PLATFORM \"%s\"\n", plat ? plat : "(null)");
    const char *execfn = (const char *)aux(AT_EXECFN, "AT_EXECFN");
    printf("AT_EXECFN \"%s\"\n", execfn ? execfn : "(null)");
    printf("AT_EXECFN == argv[0] %s\n", execfn && strcmp(execfn, argv[0]) == 0 ? "yes" : "no");
    printf("AT_FLAGS %lu\n", aux(AT_FLAGS, "AT_FLAGS"));
    printf("AT_BASE %lu\n", aux(AT_BASE, "AT_BASE"));

    /* The strings the auxv points at live on the stack, above the pointer arrays. */
    CHECK((uintptr_t)rnd > (uintptr_t)stack_auxv, "AT_RANDOM bytes lie above the auxv");
    CHECK(execfn && (uintptr_t)execfn > (uintptr_t)stack_auxv, "AT_EXECFN string lies above the auxv");
    CHECK(argc == 0 || (uintptr_t)argv[0] > (uintptr_t)stack_auxv, "argv strings lie above the auxv");

    return guest_exit();
}
