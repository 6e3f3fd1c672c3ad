/* Syscalls newer than a profile. A profile lists the calls its author knew;
 * one the kernel gained later would get the default action (EPERM, say),
 * and a libc that tries the new call first (clone3, faccessat2, ...) takes
 * EPERM as final instead of falling back to the old one. As runc does, a
 * syscall whose number is above the highest one the profile names for its
 * architecture fails with ENOSYS instead: a short stub in front of
 * libseccomp's program checks the architecture and the number and
 * otherwise falls through to it. Not for a default action that allows. */
#include "linux/seccomp_enosys.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define X32_BIT 0x40000000U

/* The highest number the profile names for `arch`, or 0. */
static uint32_t highest(const struct spec_seccomp *sc, uint32_t arch)
{
        uint32_t max = 0;
        for (size_t i = 0; i < sc->n_rules; i++)
                for (size_t n = 0; n < sc->rules[i].n_names; n++) {
                        int nr = seccomp_syscall_resolve_name_arch(arch, sc->rules[i].names[n]);
                        if (nr >= 0 && (uint32_t) nr > max)
                                max = (uint32_t) nr;
                }
        return max;
}

enum { TO_ENOSYS = -1, TO_PROG = -2 };

struct stub {
        struct sock_filter v[64];
        int target[64][2]; /* jt, jf: an index, or TO_ENOSYS / TO_PROG; -3 = as written */
        int n;
};

static void emit(struct stub *s, uint16_t code, uint32_t k, int jt, int jf)
{
        s->v[s->n] = (struct sock_filter) BPF_STMT(code, k);
        s->target[s->n][0] = jt;
        s->target[s->n][1] = jf;
        s->n++;
}

/* A relative jump from instruction `at` to `to` (an index, or a label). */
static uint8_t rel(const struct stub *s, int at, int to)
{
        int dest = to == TO_ENOSYS ? s->n : to == TO_PROG ? s->n + 1 : to;
        return (uint8_t) (dest - at - 1);
}

int seccomp_enosys_prepend(void *filter, const struct spec_seccomp *sc, uint32_t default_action,
                           struct seccomp_program *p)
{
        if (default_action == SCMP_ACT_ALLOW || default_action == SCMP_ACT_LOG)
                return 0;
        static const uint32_t arches[] = { SCMP_ARCH_X86_64, SCMP_ARCH_X86, SCMP_ARCH_AARCH64, SCMP_ARCH_ARM };
        uint32_t x32_max = seccomp_arch_exist(filter, SCMP_ARCH_X32) == 0 ? highest(sc, SCMP_ARCH_X32) : 0;
        struct stub s = { .n = 0 };
        emit(&s, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), -3, -3);
        for (size_t a = 0; a < sizeof arches / sizeof *arches; a++) {
                uint32_t max = seccomp_arch_exist(filter, arches[a]) == 0 ? highest(sc, arches[a]) : 0;
                if (!max)
                        continue;
                bool x86_64 = arches[a] == SCMP_ARCH_X86_64;
                /* this architecture's block: its size, to skip it for another one */
                int size = 3 + (x86_64 ? (x32_max ? 2 : 1) : 0);
                int next = s.n + size;
                emit(&s, BPF_JMP | BPF_JEQ | BPF_K, arches[a], s.n + 1, next);
                emit(&s, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), -3, -3);
                if (x86_64 && x32_max) {
                        emit(&s, BPF_JMP | BPF_JSET | BPF_K, X32_BIT, s.n + 1, s.n + 2);
                        emit(&s, BPF_JMP | BPF_JGT | BPF_K, x32_max, TO_ENOSYS, TO_PROG);
                } else if (x86_64) {
                        /* x32 calls with no x32 in the profile: libseccomp's program decides */
                        emit(&s, BPF_JMP | BPF_JSET | BPF_K, X32_BIT, TO_PROG, s.n + 1);
                }
                emit(&s, BPF_JMP | BPF_JGT | BPF_K, max, TO_ENOSYS, TO_PROG);
        }
        if (s.n == 1)
                return 0; /* no architecture with a named syscall */
        /* no block matched: libseccomp's program (a jump over the ENOSYS return) */
        s.v[s.n] = (struct sock_filter) BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0);
        s.target[s.n][0] = s.target[s.n][1] = -3;
        s.n++;
        /* resolve the jumps against the stub's final size, then the ENOSYS return */
        int size = s.n;
        for (int i = 0; i < size; i++) {
                if (BPF_CLASS(s.v[i].code) != BPF_JMP || BPF_OP(s.v[i].code) == BPF_JA)
                        continue;
                s.v[i].jt = rel(&s, i, s.target[i][0]);
                s.v[i].jf = rel(&s, i, s.target[i][1]);
        }
        s.v[s.n++] = (struct sock_filter) BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA));
        if (p->len + s.n > BPF_MAXINSNS)
                return -E2BIG;
        struct sock_filter *v = malloc((p->len + (size_t) s.n) * sizeof *v);
        if (!v)
                return -ENOMEM;
        memcpy(v, s.v, (size_t) s.n * sizeof *v);
        memcpy(v + s.n, p->insns, p->len * sizeof *v);
        free(p->insns);
        p->insns = v;
        p->len = (unsigned short) (p->len + s.n);
        return 0;
}
