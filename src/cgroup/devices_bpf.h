/* The device filter: linux.resources.devices as a BPF_PROG_TYPE_CGROUP_DEVICE
 * program. The builder is pure (rules in, instructions out) and tested as
 * data; attaching is a separate small step. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "carrel/error.h"
#include "carrel/spec.h"

struct bpf_insn;

struct devices_prog {
        struct bpf_insn *insns;
        size_t len;
};

/* The rules that are always allowed (null, zero, full, random, urandom, tty,
 * console, ptmx and the pts devices), appended after the spec's rules. */
extern const struct spec_device_rule devices_default_allow[];
extern const size_t devices_default_allow_n;

/* Build the program for `rules` (the last matching rule wins; no match
 * denies). Returns 0 or -ENOMEM. */
int devices_prog_build(const struct spec_device_rule *rules, size_t n, struct devices_prog *ret);
void devices_prog_free(struct devices_prog *p);

/* Interpret the program for one access (what the kernel would answer); for tests. */
int devices_prog_run(const struct devices_prog *p, char type, unsigned major, unsigned minor, const char *access);

/* The full rule list for a container: spec rules, then the defaults, then
 * each linux.devices node. Caller frees. */
int devices_rules_for(const struct spec *s, struct spec_device_rule **ret, size_t *ret_n);

/* Load the program and attach it to the cgroup, replacing a previous one atomically. */
int devices_prog_attach(int cgroup_fd, const struct devices_prog *p, struct carrel_error *err);
