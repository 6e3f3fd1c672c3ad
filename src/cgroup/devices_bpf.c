#include "cgroup/devices_bpf.h"

#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/cleanup.h"

const struct spec_device_rule devices_default_allow[] = {
        { true, 'c', 1, 3, "rwm" },   /* null */
        { true, 'c', 1, 5, "rwm" },   /* zero */
        { true, 'c', 1, 7, "rwm" },   /* full */
        { true, 'c', 1, 8, "rwm" },   /* random */
        { true, 'c', 1, 9, "rwm" },   /* urandom */
        { true, 'c', 5, 0, "rwm" },   /* tty */
        { true, 'c', 5, 1, "rwm" },   /* console */
        { true, 'c', 5, 2, "rwm" },   /* ptmx */
        { true, 'c', 136, -1, "rwm" }, /* the pts devices */
};
const size_t devices_default_allow_n = sizeof devices_default_allow / sizeof *devices_default_allow;

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
        return (struct bpf_insn) { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

static unsigned access_mask(const char *a)
{
        unsigned m = 0;
        for (; *a; a++)
                m |= *a == 'm' ? BPF_DEVCG_ACC_MKNOD : *a == 'r' ? BPF_DEVCG_ACC_READ : BPF_DEVCG_ACC_WRITE;
        return m;
}

/* Registers: r2 = device type, r3 = requested access, r4 = major, r5 = minor. */
int devices_prog_build(const struct spec_device_rule *rules, size_t n, struct devices_prog *ret)
{
        struct bpf_insn *v = calloc(6 + n * 8 + 2, sizeof *v);
        if (!v)
                return -ENOMEM;
        size_t k = 0;
        v[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, 2, 1, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
        v[k++] = insn(BPF_ALU | BPF_MOV | BPF_X, 3, 2, 0, 0);
        v[k++] = insn(BPF_ALU | BPF_AND | BPF_K, 2, 0, 0, 0xffff);
        v[k++] = insn(BPF_ALU | BPF_RSH | BPF_K, 3, 0, 0, 16);
        v[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, 4, 1, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
        v[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, 5, 1, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
        /* Last rule wins: test them from the end and return at the first match. */
        for (size_t i = n; i-- > 0;) {
                const struct spec_device_rule *r = &rules[i];
                struct bpf_insn block[8]; /* type, 3 for access, major, minor, mov, exit */
                size_t b = 0;
                unsigned acc = access_mask(r->access);
                if (r->type != 'a')
                        block[b++] = insn(BPF_JMP | BPF_JNE | BPF_K, 2, 0, 0,
                                          r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
                if (acc != (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)) {
                        /* Every requested access bit must be in the rule. */
                        block[b++] = insn(BPF_ALU | BPF_MOV | BPF_X, 0, 3, 0, 0);
                        block[b++] = insn(BPF_ALU | BPF_AND | BPF_K, 0, 0, 0, (int32_t) ~acc);
                        block[b++] = insn(BPF_JMP | BPF_JNE | BPF_K, 0, 0, 0, 0);
                }
                if (r->major >= 0)
                        block[b++] = insn(BPF_JMP | BPF_JNE | BPF_K, 4, 0, 0, (int32_t) r->major);
                if (r->minor >= 0)
                        block[b++] = insn(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, (int32_t) r->minor);
                /* The conditional jumps skip to the end of this block. */
                for (size_t j = 0; j < b; j++)
                        if (BPF_CLASS(block[j].code) == BPF_JMP && BPF_OP(block[j].code) == BPF_JNE)
                                block[j].off = (int16_t) (b - j - 1 + 2);
                bool unconditional = b == 0;
                block[b++] = insn(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0);
                block[b++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
                memcpy(v + k, block, b * sizeof *block);
                k += b;
                /* Nothing after a rule that matches everything could run; the verifier
                 * refuses unreachable code. */
                if (unconditional)
                        goto done;
        }
        v[k++] = insn(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, 0);
        v[k++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
done:
        ret->insns = v;
        ret->len = k;
        return 0;
}

void devices_prog_free(struct devices_prog *p)
{
        free(p->insns);
        p->insns = NULL;
        p->len = 0;
}

/* A tiny interpreter for exactly the instructions the builder emits. */
int devices_prog_run(const struct devices_prog *p, char type, unsigned major, unsigned minor, const char *access)
{
        uint64_t reg[11] = { 0 };
        uint32_t ctx[3] = { (access_mask(access) << 16) | (type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR),
                            major, minor };
        for (size_t pc = 0; pc < p->len; pc++) {
                const struct bpf_insn *i = &p->insns[pc];
                uint64_t src = BPF_SRC(i->code) == BPF_X ? reg[i->src_reg] : (uint64_t) (uint32_t) i->imm;
                switch (BPF_CLASS(i->code)) {
                case BPF_LDX: reg[i->dst_reg] = ctx[i->off / 4]; break;
                case BPF_ALU:
                        switch (BPF_OP(i->code)) {
                        case BPF_MOV: reg[i->dst_reg] = (uint32_t) src; break;
                        case BPF_AND: reg[i->dst_reg] = (uint32_t) (reg[i->dst_reg] & src); break;
                        case BPF_RSH: reg[i->dst_reg] = (uint32_t) reg[i->dst_reg] >> src; break;
                        default: return -1;
                        }
                        break;
                case BPF_JMP:
                        if (BPF_OP(i->code) == BPF_EXIT)
                                return (int) reg[0];
                        if (BPF_OP(i->code) == BPF_JNE && reg[i->dst_reg] != src)
                                pc += (size_t) i->off;
                        break;
                default: return -1;
                }
        }
        return -1;
}

static struct spec_device_rule node_rule(const struct spec_device *d, const char *access)
{
        struct spec_device_rule r = { true, d->type == 'b' ? 'b' : 'c', d->major, d->minor, "" };
        snprintf(r.access, sizeof r.access, "%s", access);
        return r;
}

int devices_rules_for(const struct spec *s, struct spec_device_rule **ret, size_t *ret_n)
{
        size_t spec_n = s->resources ? s->resources->n_devices : 0;
        size_t n = spec_n + devices_default_allow_n + 2 * s->n_devices;
        struct spec_device_rule *v = calloc(n ? n : 1, sizeof *v);
        if (!v)
                return -ENOMEM;
        size_t k = 0;
        /* linux.devices first: the spec's own rules come after and win, so a
         * deny there covers the nodes linux.devices made (runc allows them
         * only through resources.devices). Fifos are not devices. */
        for (size_t i = 0; i < s->n_devices; i++)
                if (s->devices[i].type != 'p')
                        v[k++] = node_rule(&s->devices[i], "rwm");
        for (size_t i = 0; i < spec_n; i++)
                v[k++] = s->resources->devices[i];
        for (size_t i = 0; i < devices_default_allow_n; i++)
                v[k++] = devices_default_allow[i];
        /* The init makes those nodes after the filter is attached: mknod of
         * them stays allowed, opening them is up to the rules above. */
        for (size_t i = 0; i < s->n_devices; i++)
                if (s->devices[i].type != 'p')
                        v[k++] = node_rule(&s->devices[i], "m");
        *ret = v;
        *ret_n = k;
        return 0;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
        return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

/* The device program carrel attached earlier, for an atomic replace. */
static int attached_prog(int cgroup_fd)
{
        uint32_t ids[8] = { 0 };
        union bpf_attr q = { 0 };
        q.query.target_fd = (uint32_t) cgroup_fd;
        q.query.attach_type = BPF_CGROUP_DEVICE;
        q.query.prog_ids = (uint64_t) (uintptr_t) ids;
        q.query.prog_cnt = 8;
        if (sys_bpf(BPF_PROG_QUERY, &q) < 0 || q.query.prog_cnt != 1)
                return -1;
        union bpf_attr g = { 0 };
        g.prog_id = ids[0];
        return (int) sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
}

int devices_prog_attach(int cgroup_fd, const struct devices_prog *p, struct carrel_error *err)
{
        union bpf_attr load = { 0 };
        load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        load.insns = (uint64_t) (uintptr_t) p->insns;
        load.insn_cnt = (uint32_t) p->len;
        load.license = (uint64_t) (uintptr_t) "GPL";
        _cleanup_close_ int prog = (int) sys_bpf(BPF_PROG_LOAD, &load);
        if (prog < 0) {
                /* Only now ask for the verifier's words: a verbose log that overflows fails the load. */
                int e = errno;
                static char log[65536];
                load.log_buf = (uint64_t) (uintptr_t) log;
                load.log_size = sizeof log;
                load.log_level = 1;
                log[0] = '\0';
                if (sys_bpf(BPF_PROG_LOAD, &load) >= 0)
                        log[0] = '\0';
                char *last = strrchr(log, '\n');
                while (last && last > log && last[1] == '\0') {
                        *last = '\0';
                        last = strrchr(log, '\n');
                }
                return carrel_error_set(err, e, "linux.resources.devices: cannot load the device filter: %s%s%s",
                                        strerror(e), last ? ": " : "", last ? last + 1 : "");
        }
        _cleanup_close_ int old = attached_prog(cgroup_fd);
        union bpf_attr at = { 0 };
        at.target_fd = (uint32_t) cgroup_fd;
        at.attach_bpf_fd = (uint32_t) prog;
        at.attach_type = BPF_CGROUP_DEVICE;
        at.attach_flags = BPF_F_ALLOW_MULTI;
        if (old >= 0) {
                at.attach_flags |= BPF_F_REPLACE;
                at.replace_bpf_fd = (uint32_t) old;
        }
        if (sys_bpf(BPF_PROG_ATTACH, &at) < 0)
                return carrel_error_errno(err, errno, "linux.resources.devices: cannot attach the device filter");
        return 0;
}
