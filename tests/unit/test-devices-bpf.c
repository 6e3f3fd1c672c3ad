/* The eBPF device filter as data: built from rules, run by a small
 * interpreter of the same instructions, without the kernel. */
#include <linux/bpf.h>
#include <stdbool.h>

#include "cgroup/devices_bpf.h"
#include "tap.h"

/* What the kernel verifier insists on beyond semantics: only jumps use the
 * offset field, only register-source instructions name a source register. */
static bool encoding_ok(const struct devices_prog *p)
{
        for (size_t i = 0; i < p->len; i++) {
                const struct bpf_insn *in = &p->insns[i];
                if (BPF_CLASS(in->code) == BPF_ALU && (in->off != 0 || (BPF_SRC(in->code) == BPF_K && in->src_reg)))
                        return false;
                if (BPF_CLASS(in->code) == BPF_JMP && BPF_OP(in->code) == BPF_JNE &&
                    (in->off <= 0 || i + 1 + (size_t) in->off >= p->len))
                        return false;
        }
        return true;
}

static struct devices_prog build(const struct spec_device_rule *r, size_t n)
{
        struct devices_prog p = { 0 };
        if (devices_prog_build(r, n, &p) < 0)
                printf("# build failed\n");
        ok(encoding_ok(&p), "the %zu instructions are encoded as the verifier requires", p.len);
        return p;
}

int main(void)
{
        struct devices_prog p = build(NULL, 0);
        ok(devices_prog_run(&p, 'c', 1, 3, "rw") == 0, "no rules: everything is denied");
        devices_prog_free(&p);

        const struct spec_device_rule podman[] = {
                { false, 'a', -1, -1, "rwm" },
                { true, 'c', 1, 3, "rwm" },
                { true, 'c', 136, -1, "rw" },
                { true, 'b', 8, 0, "r" },
        };
        p = build(podman, 4);
        ok(devices_prog_run(&p, 'c', 1, 3, "rwm") == 1, "c 1:3 allowed");
        ok(devices_prog_run(&p, 'c', 1, 5, "r") == 0, "c 1:5 denied by the deny-all rule");
        ok(devices_prog_run(&p, 'c', 136, 7, "rw") == 1, "any pts minor, rw");
        ok(devices_prog_run(&p, 'c', 136, 7, "m") == 0, "but not mknod");
        ok(devices_prog_run(&p, 'b', 8, 0, "r") == 1, "block 8:0 read");
        ok(devices_prog_run(&p, 'b', 8, 0, "w") == 0, "block 8:0 write denied");
        ok(devices_prog_run(&p, 'c', 8, 0, "r") == 0, "the type matters: char 8:0 denied");
        /* The deny-all rule matches everything: nothing before it in the program may follow it. */
        ok(p.len > 0 && p.len < 6 + 4 * 8 + 2, "compact program (%zu instructions)", p.len);
        devices_prog_free(&p);

        const struct spec_device_rule later_deny[] = {
                { true, 'a', -1, -1, "rwm" },
                { false, 'c', 10, 200, "rwm" },
        };
        p = build(later_deny, 2);
        ok(devices_prog_run(&p, 'c', 10, 200, "r") == 0, "a later deny wins over an earlier allow-all");
        ok(devices_prog_run(&p, 'c', 10, 229, "r") == 1, "other devices stay allowed");
        devices_prog_free(&p);

        struct spec s = { 0 };
        struct spec_resources res = { .devices = (struct spec_device_rule *) podman, .n_devices = 1 };
        struct spec_device tun = { .path = "/dev/net/tun", .type = 'c', .major = 10, .minor = 200 };
        s.resources = &res;
        s.devices = &tun;
        s.n_devices = 1;
        struct spec_device_rule *rules;
        size_t n;
        ok(devices_rules_for(&s, &rules, &n) == 0 && n == 1 + devices_default_allow_n + 2, "spec + defaults + devices");
        p = build(rules, n);
        ok(devices_prog_run(&p, 'c', 1, 9, "rw") == 1, "urandom is a default");
        ok(devices_prog_run(&p, 'c', 5, 2, "rw") == 1, "ptmx is a default");
        ok(devices_prog_run(&p, 'c', 10, 200, "rw") == 0, "a deny-all rule covers a linux.devices node too (runc)");
        ok(devices_prog_run(&p, 'c', 10, 200, "m") == 1, "but the init may still make it");
        ok(devices_prog_run(&p, 'b', 8, 0, "r") == 0, "a disk is not allowed");
        devices_prog_free(&p);
        free(rules);
        const struct spec_device_rule allow_tun[] = { { false, 'a', -1, -1, "rwm" }, { true, 'c', 10, 200, "rw" } };
        res.devices = (struct spec_device_rule *) allow_tun;
        res.n_devices = 2;
        ok(devices_rules_for(&s, &rules, &n) == 0, "deny-all, then allow the node");
        p = build(rules, n);
        ok(devices_prog_run(&p, 'c', 10, 200, "rw") == 1, "a linux.devices node allowed by resources.devices");
        devices_prog_free(&p);
        free(rules);
        s.resources = NULL;
        ok(devices_rules_for(&s, &rules, &n) == 0, "no resources.devices");
        p = build(rules, n);
        ok(devices_prog_run(&p, 'c', 10, 200, "rw") == 1, "without device rules a linux.devices node is allowed");
        ok(devices_prog_run(&p, 'b', 8, 0, "r") == 0, "and a disk is not");
        devices_prog_free(&p);
        free(rules);
        return tap_done();
}
