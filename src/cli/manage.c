/* pause, resume, ps, update, events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "carrel/spec.h"
#include "cli/cli.h"
#include "core/manage.h"
#include "spec/shell.h"
#include "util/cleanup.h"

static const struct option help_only[] = { { "help", no_argument, NULL, 'h' }, { 0 } };

static int no_opt(int c, const char *arg, void *data)
{
        return -EINVAL;
}

static int one_id(const char *verb, int argc, char **argv, struct carrel_error *err)
{
        int r = parse_verb_options(verb, argc, argv, "", help_only, no_opt, NULL, err);
        if (r != 0)
                return r;
        return expect_args(verb, argc, 1, 1, err);
}

int cmd_pause(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        int r = one_id("pause", argc, argv, err);
        return r != 0 ? (r < 0 ? r : 0) : container_pause(cli->root, argv[optind], true, err);
}

int cmd_resume(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        int r = one_id("resume", argc, argv, err);
        return r != 0 ? (r < 0 ? r : 0) : container_pause(cli->root, argv[optind], false, err);
}

struct events_opts {
        bool stats;
        int interval_ms;
};

static int on_events(int c, const char *arg, void *data)
{
        struct events_opts *o = data;
        if (c == 's') {
                o->stats = true;
                return 0;
        }
        char *end;
        double v = strtod(arg, &end);
        double scale = strcmp(end, "ms") == 0 ? 1 : strcmp(end, "m") == 0 ? 60000 : (!*end || !strcmp(end, "s")) ? 1000 : -1;
        if (scale < 0 || v <= 0)
                return -EINVAL;
        o->interval_ms = (int) (v * scale);
        return 0;
}

int cmd_events(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        static const struct option opts[] = { { "stats", no_argument, NULL, 's' },
                                              { "interval", required_argument, NULL, 'i' },
                                              { "help", no_argument, NULL, 'h' }, { 0 } };
        struct events_opts o = { .interval_ms = 5000 };
        int r = parse_verb_options("events", argc, argv, "", opts, on_events, &o, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("events", argc, 1, 1, err)) < 0)
                return r;
        return container_events(cli->root, argv[optind], o.stats, o.interval_ms, err);
}

/* ---- update ---- */

enum { U_RESOURCES = 256, U_MEMORY, U_SWAP, U_RESERVATION, U_CPU_QUOTA, U_CPU_PERIOD, U_CPU_SHARE, U_CPUS, U_MEMS,
       U_PIDS, U_BLKIO, U_KERNEL, U_RT_PERIOD, U_RT_RUNTIME, U_RDT };

struct update_opts {
        const char *resources_file;
        struct spec_resources flags;
        const char *cpus, *mems;
        bool any_flag;
};

static int on_update(int c, const char *arg, void *data)
{
        struct update_opts *o = data;
        struct spec_resources *f = &o->flags;
        long long v;
        char *end;
        if (c == U_RESOURCES || c == 'r') {
                o->resources_file = arg;
                return 0;
        }
        o->any_flag = true;
        switch (c) {
        case U_CPUS: o->cpus = arg; return 0;
        case U_MEMS: o->mems = arg; return 0;
        case U_KERNEL:
        case U_RDT: return -ENOTSUP;
        case U_MEMORY: case U_SWAP: case U_RESERVATION:
                if (strcmp(arg, "-1") == 0)
                        v = -1;
                else if (parse_size(arg, &v) < 0)
                        return -EINVAL;
                break;
        default:
                v = strtoll(arg, &end, 10);
                if (*end)
                        return -EINVAL;
        }
        switch (c) {
        case U_MEMORY: f->has_memory_limit = true; f->memory_limit = v; break;
        case U_SWAP: f->has_memory_swap = true; f->memory_swap = v; break;
        case U_RESERVATION: f->has_memory_reservation = true; f->memory_reservation = v; break;
        case U_CPU_QUOTA: f->has_cpu_quota = true; f->cpu_quota = v; break;
        case U_CPU_PERIOD: f->has_cpu_period = true; f->cpu_period = (uint64_t) v; break;
        case U_CPU_SHARE: f->has_cpu_shares = true; f->cpu_shares = (uint64_t) v; break;
        case U_PIDS: f->has_pids_limit = true; f->pids_limit = v; break;
        /* 0 leaves the value as it is (runc: "0 to use system default") */
        case U_RT_PERIOD:
                if (v < 0)
                        return -ERANGE;
                f->has_cpu_rt_period = v != 0;
                f->cpu_rt_period = (uint64_t) v;
                break;
        case U_RT_RUNTIME:
                f->has_cpu_rt_runtime = v != 0;
                f->cpu_rt_runtime = v;
                break;
        case U_BLKIO:
                if (v < 10 || v > 1000)
                        return -ERANGE;
                f->has_blkio_weight = true;
                f->blkio_weight = (uint16_t) v;
                break;
        default: return -EINVAL;
        }
        return 0;
}

/* Flags override what --resources gave. */
static void merge_flags(struct spec_resources *r, const struct update_opts *o)
{
        const struct spec_resources *f = &o->flags;
#define TAKE(has, field) \
        if (f->has) {    \
                r->has = true; \
                r->field = f->field; \
        }
        TAKE(has_memory_limit, memory_limit);
        TAKE(has_memory_swap, memory_swap);
        TAKE(has_memory_reservation, memory_reservation);
        TAKE(has_cpu_quota, cpu_quota);
        TAKE(has_cpu_period, cpu_period);
        TAKE(has_cpu_shares, cpu_shares);
        TAKE(has_pids_limit, pids_limit);
        TAKE(has_blkio_weight, blkio_weight);
        TAKE(has_cpu_rt_period, cpu_rt_period);
        TAKE(has_cpu_rt_runtime, cpu_rt_runtime);
#undef TAKE
        r->has_cpu_realtime = r->has_cpu_rt_runtime || r->has_cpu_rt_period;
        /* No memory limit takes the swap limit with it (runc: a swap limit
         * cannot stay without one). */
        if (r->has_memory_limit && r->memory_limit == -1 && !r->has_memory_swap) {
                r->has_memory_swap = true;
                r->memory_swap = -1;
        }
        if (o->cpus)
                r->cpus = o->cpus;
        if (o->mems)
                r->mems = o->mems;
}

static int read_resources(struct spec *s, const char *file, struct carrel_error *err)
{
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        if (strcmp(file, "-") == 0) {
                size_t cap = 0;
                for (;;) {
                        if (len + 4096 > cap) {
                                char *n = realloc(text, cap = cap * 2 + 8192);
                                if (!n)
                                        return carrel_error_set(err, ENOMEM, "out of memory");
                                text = n;
                        }
                        ssize_t got = read(STDIN_FILENO, text + len, cap - len - 1);
                        if (got < 0)
                                return carrel_error_errno(err, errno, "update: cannot read stdin");
                        if (got == 0)
                                break;
                        len += (size_t) got;
                }
        } else {
                int r = read_config_file(file, &text, &len, err);
                if (r < 0)
                        return r;
        }
        return spec_decode_resources(s, text ? text : "", len, strcmp(file, "-") == 0 ? "stdin" : file, err);
}

int cmd_update(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        static const struct option opts[] = {
                { "resources", required_argument, NULL, U_RESOURCES }, { "memory", required_argument, NULL, U_MEMORY },
                { "memory-swap", required_argument, NULL, U_SWAP },
                { "memory-reservation", required_argument, NULL, U_RESERVATION },
                { "kernel-memory", required_argument, NULL, U_KERNEL },
                { "kernel-memory-tcp", required_argument, NULL, U_KERNEL },
                { "cpu-quota", required_argument, NULL, U_CPU_QUOTA }, { "cpu-period", required_argument, NULL, U_CPU_PERIOD },
                { "cpu-share", required_argument, NULL, U_CPU_SHARE }, { "cpuset-cpus", required_argument, NULL, U_CPUS },
                { "cpuset-mems", required_argument, NULL, U_MEMS }, { "pids-limit", required_argument, NULL, U_PIDS },
                { "blkio-weight", required_argument, NULL, U_BLKIO },
                { "cpu-rt-period", required_argument, NULL, U_RT_PERIOD },
                { "cpu-rt-runtime", required_argument, NULL, U_RT_RUNTIME },
                /* Intel RDT (resctrl): not supported, refused */
                { "l3-cache-schema", required_argument, NULL, U_RDT }, { "mem-bw-schema", required_argument, NULL, U_RDT },
                { "help", no_argument, NULL, 'h' }, { 0 },
        };
        struct update_opts o = { 0 };
        int r = parse_verb_options("update", argc, argv, "r:", opts, on_update, &o, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("update", argc, 1, 1, err)) < 0)
                return r;
        if (!o.resources_file && !o.any_flag)
                return carrel_error_set(err, EINVAL, "update: nothing to change (--resources FILE|- or a limit flag)");
        struct spec *s = calloc(1, sizeof *s);
        if (!s)
                return carrel_error_set(err, ENOMEM, "out of memory");
        if (o.resources_file && (r = read_resources(s, o.resources_file, err)) < 0) {
                spec_free(s);
                return r;
        }
        if (!s->resources)
                s->resources = spec_alloc(s, sizeof *s->resources);
        merge_flags(s->resources, &o);
        r = container_update(cli->root, argv[optind], s, err);
        spec_free(s);
        return r;
}
