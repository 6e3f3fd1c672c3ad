/* The decoding policy (README, "What carrel accepts"): every config.json that
 * Docker, podman, buildah and containerd really wrote decodes and validates,
 * asks for exactly the cgroup controllers its non-zero limits need, and
 * drops (with a warning) only what cannot be granted; values runc reads as
 * "not set" are not set; what is really wrong is still refused.
 *
 * Usage: test-decode-policy DIR (the captured configs, tests/data/engine-configs). */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carrel/spec.h"
#include "cgroup/cgroup.h"
#include "util/cleanup.h"
#include "spec_check.h"
#include "tap.h"

static struct carrel_error err;

static struct spec *decode_text(const char *text)
{
        return spec_check_text(text, &err);
}

/* What each captured config must give: the controllers its limits need and
 * how many things the decoder dropped with a warning. */
static const struct {
        const char *file;
        unsigned controllers;
        size_t warnings;
} table[] = {
        { "buildah-1.28-bud-run-step.json", 0, 1 },  /* ambient caps without inheritable */
        { "buildah-1.28-run.json", 0, 1 },
        { "containerd-1.6-ctr-run.json", CG_CPU, 0 }, /* cpu.shares 1024 */
        { "docker-20.10-build-run-step.json", 0, 0 }, /* cpu.shares 0, blockIO.weight 0: not set */
        { "docker-20.10-run-bind.json", 0, 0 },
        { "docker-20.10-run-cap-drop-all.json", 0, 0 },
        { "docker-20.10-run-echo.json", 0, 0 },
        { "docker-20.10-run-init.json", 0, 0 },
        { "docker-20.10-run-memory.json", CG_MEMORY, 0 },
        { "docker-20.10-run-no-new-privileges.json", 0, 0 },
        { "docker-20.10-run-pids-limit.json", CG_PIDS, 0 },
        { "docker-20.10-run-read-only.json", 0, 0 },
        { "docker-20.10-run-tmpfs.json", 0, 0 },
        { "docker-20.10-run-user.json", 0, 0 },
        { "podman-4.3-run-memory.json", CG_MEMORY, 0 },
        { "podman-4.3-run-pids-limit.json", CG_PIDS, 0 },
        { "podman-4.3-run.json", CG_PIDS, 0 }, /* podman's default pids.limit 2048 */
};

static void check_engine_configs(const char *dir)
{
        bool seen[ARRAY_SIZE(table)] = { false };
        DIR *d = opendir(dir);
        ok(d != NULL, "open %s", dir);
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d))) {
                size_t len = strlen(e->d_name);
                if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
                        continue;
                size_t row = 0;
                while (row < ARRAY_SIZE(table) && strcmp(table[row].file, e->d_name) != 0)
                        row++;
                ok(row < ARRAY_SIZE(table), "%s is in the table", e->d_name);
                if (row == ARRAY_SIZE(table))
                        continue;
                seen[row] = true;
                char path[4096];
                snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
                struct spec *s = NULL;
                carrel_error_clear(&err);
                int r = spec_load_file(path, &s, &err);
                if (r == 0)
                        r = spec_validate(s, e->d_name, &err);
                ok(r == 0, "%s decodes and validates", e->d_name);
                if (r < 0) {
                        printf("#   %s\n", err.msg);
                        spec_free(s);
                        continue;
                }
                unsigned need = s->resources ? cgroup_controllers_needed(s->resources) : 0;
                ok(need == table[row].controllers, "%s needs controllers 0x%x (got 0x%x)", e->d_name,
                   table[row].controllers, need);
                ok(s->n_warnings == table[row].warnings, "%s: %zu warnings (got %zu)", e->d_name,
                   table[row].warnings, s->n_warnings);
                for (size_t i = 0; i < s->n_warnings; i++)
                        printf("#   warning: %s\n", s->warnings[i]);
                spec_free(s);
        }
        closedir(d);
        for (size_t i = 0; i < ARRAY_SIZE(table); i++)
                ok(seen[i], "%s exists in %s", table[i].file, dir);
}

/* A minimal valid config with `resources` as linux.resources and `caps` as
 * process.capabilities. */
static struct spec *decode_with(const char *resources, const char *caps)
{
        char text[4096];
        snprintf(text, sizeof text,
                 "{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
                 " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0},"
                 " \"capabilities\": %s},"
                 " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"resources\": %s}}",
                 caps ? caps : "{}", resources ? resources : "{}");
        return decode_text(text);
}

static void check_zero_means_unset(void)
{
        struct spec *s = decode_with("{\"memory\": {\"limit\": 0, \"reservation\": 0, \"swap\": 0, "
                                     "\"kernel\": 0, \"kernelTCP\": 0, \"disableOOMKiller\": false},"
                                     " \"cpu\": {\"shares\": 0, \"quota\": 0, \"period\": 0, \"cpus\": \"\", \"mems\": \"\","
                                     " \"realtimeRuntime\": 0, \"realtimePeriod\": 0},"
                                     " \"blockIO\": {\"weight\": 0, \"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 0}]},"
                                     " \"network\": {\"classID\": 0, \"priorities\": []},"
                                     " \"hugepageLimits\": [], \"devices\": []}",
                                     NULL);
        ok(s != NULL, "every zero, false, empty string, array and object is accepted (%s)", err.msg);
        if (s) {
                const struct spec_resources *r = s->resources;
                ok(!r->has_memory_limit && !r->has_memory_reservation && !r->has_memory_swap &&
                   !r->has_kernel_memory && !r->has_kernel_tcp,
                   "memory limit, reservation, swap, kernel and kernelTCP 0: not set");
                ok(!r->has_cpu_shares && !r->has_cpu_quota && !r->has_cpu_period && !r->cpus && !r->mems &&
                   !r->has_cpu_realtime,
                   "cpu shares, quota, period, real-time runtime and period 0 and empty cpus/mems: not set");
                ok(!r->has_blkio_weight && r->n_weight_devices == 0,
                   "blockIO weights 0: not set");
                ok(!r->has_network, "an empty network object asks for nothing");
                ok(cgroup_controllers_needed(r) == 0, "so no controller is needed");
        }
        spec_free(s);
        /* pids.limit 0 is a real limit: no new process (runtime-spec, runc 1.4) */
        s = decode_with("{\"pids\": {\"limit\": 0}}", NULL);
        ok(s && s->resources->has_pids_limit && s->resources->pids_limit == 0, "pids.limit 0: pids.max 0");
        spec_free(s);

        s = decode_with("{\"memory\": {\"limit\": -1, \"swap\": -1}, \"pids\": {\"limit\": -1}, "
                        "\"cpu\": {\"quota\": -1, \"shares\": 2}, \"blockIO\": {\"weight\": 10}}", NULL);
        ok(s && s->resources->has_memory_limit && s->resources->has_memory_swap && s->resources->has_pids_limit &&
           s->resources->has_cpu_quota && s->resources->has_cpu_shares && s->resources->has_blkio_weight,
           "-1 (max), shares 2 and weight 10 stay set (%s)", err.msg);
        spec_free(s);
}

static void expect_refused(const char *resources, const char *want)
{
        struct spec *s = decode_with(resources, NULL);
        ok(!s && strstr(err.msg, want), "still refused: %s", want);
        if (s || !strstr(err.msg, want))
                printf("#   got: %s\n", s ? "(accepted)" : err.msg);
        spec_free(s);
}

static void check_still_strict(void)
{
        expect_refused("{\"blockIO\": {\"weight\": 5}}", "linux.resources.blockIO.weight: 5 is out of range (10..1000)");
        expect_refused("{\"blockIO\": {\"weightDevice\": [{\"major\": 8, \"minor\": 0, \"weight\": 1001}]}}",
                       "linux.resources.blockIO.weightDevice[0]: 1001 is out of range");
        expect_refused("{\"cpu\": {\"shares\": -1}}", "linux.resources.cpu.shares: -1 is negative");
        expect_refused("{\"memory\": {\"limit\": false}}", "linux.resources.memory.limit: expected an integer, got a boolean");
        expect_refused("{\"pids\": []}", "linux.resources.pids: expected an object, got an array");
        expect_refused("{\"network\": 1}", "linux.resources.network: expected an object");
        expect_refused("{\"cpu\": {\"realtimeRuntime\": \"x\"}}", "linux.resources.cpu.realtimeRuntime: expected an integer");
        struct spec *s = decode_with("{\"cpu\": {\"idle\": 1, \"realtimeRuntime\": 0}}", NULL);
        ok(s && s->resources->has_cpu_idle && s->resources->cpu_idle == 1 && !s->resources->has_cpu_realtime,
           "cpu.idle is kept next to a real-time runtime of 0");
        spec_free(s);
        s = decode_with("{\"cpu\": {\"realtimeRuntime\": 950000}}", NULL);
        ok(s && s->resources->has_cpu_realtime, "a real-time runtime is recorded (to be refused by name)");
        spec_free(s);
}

static void check_caps(void)
{
        /* buildah's shape: ambient, no inheritable. */
        struct spec *s = decode_with(NULL, "{\"bounding\": [\"CAP_CHOWN\", \"CAP_KILL\"], "
                                           "\"permitted\": [\"CAP_CHOWN\", \"CAP_KILL\"], "
                                           "\"inheritable\": [\"CAP_KILL\"], "
                                           "\"ambient\": [\"CAP_CHOWN\", \"CAP_KILL\", \"CAP_NOT_A_CAP\"]}");
        ok(s != NULL, "ambient without inheritable and an unknown name are accepted (%s)", err.msg);
        if (s) {
                ok(s->process.caps.ambient == 1ULL << 5, "only CAP_KILL (permitted and inheritable) stays ambient");
                ok(s->process.caps.permitted == ((1ULL << 0) | (1ULL << 5)), "the permitted set is untouched");
                ok(s->n_warnings == 2, "two warnings (got %zu)", s->n_warnings);
                if (s->n_warnings == 2) {
                        is_str(s->warnings[0],
                               "config.json: process.capabilities.ambient[2]: unknown capability \"CAP_NOT_A_CAP\" dropped",
                               "the unknown name is named with its JSON path");
                        is_str(s->warnings[1],
                               "config.json: process.capabilities.ambient: CAP_CHOWN dropped: an ambient capability "
                               "must also be permitted and inheritable",
                               "the ambient capability that cannot be raised is named");
                }
                /* A kernel whose last capability is CAP_AUDIT_READ (37) does not know BPF (39). */
                s->process.caps.bounding |= 1ULL << 39;
                s->process.caps.effective |= 1ULL << 39;
                spec_caps_fit_kernel(s, 37);
                ok(!(s->process.caps.bounding & (1ULL << 39)) && !(s->process.caps.effective & (1ULL << 39)),
                   "a capability above cap_last_cap is dropped from every set");
                ok(s->n_warnings == 3 && strstr(s->warnings[2], "CAP_BPF dropped: this kernel does not know it"),
                   "with a warning naming it");
                spec_caps_fit_kernel(s, 40);
                ok(s->n_warnings == 3, "nothing to drop, no warning");
        }
        spec_free(s);

        s = decode_with(NULL, "{\"bounding\": \"CAP_KILL\"}");
        ok(!s && strstr(err.msg, "process.capabilities.bounding: expected an array of strings, got a string"),
           "a capability set of the wrong type is still refused");
        spec_free(s);
}

/* What `docker update --memory 32m --memory-swap 64m` sends: its kernel: 0
 * once overwrote the limit before it. */
static void check_docker_update(void)
{
        struct spec *s = decode_with("{\"memory\": {\"limit\": 33554432, \"reservation\": 0, \"kernel\": 0, "
                                     "\"swap\": 67108864}, \"cpu\": {\"shares\": 0, \"quota\": 0, \"period\": 0, "
                                     "\"cpus\": \"\", \"mems\": \"\"}, \"blockIO\": {\"weight\": 0}}",
                                     NULL);
        ok(s != NULL, "docker update's resources decode (%s)", err.msg);
        if (s) {
                const struct spec_resources *r = s->resources;
                ok(r->has_memory_limit && r->memory_limit == 33554432 && r->has_memory_swap &&
                   r->memory_swap == 67108864 && !r->has_kernel_memory,
                   "its memory limit and swap stay as sent; kernel 0 is not set");
                ok(cgroup_controllers_needed(r) == CG_MEMORY, "only the memory controller is needed");
        }
        spec_free(s);
}

/* buildah run -v writes an empty mount option: it asks for nothing, as with runc. */
static void check_empty_mount_option(void)
{
        struct spec *s = decode_text("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"rootfs\"},"
                                     " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}},"
                                     " \"mounts\": [{\"destination\": \"/sync\", \"type\": \"bind\", \"source\": \"/tmp\","
                                     " \"options\": [\"\", \"rbind\", \"nosuid\", \"\"]}],"
                                     " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}]}}");
        ok(s != NULL, "an empty mount option is accepted (%s)", err.msg);
        if (s)
                ok(s->n_mounts == 1 && s->mounts[0].data && s->mounts[0].data[0] == '\0' && s->mounts[0].rbind,
                   "and asks for nothing: no filesystem data, the other options apply");
        spec_free(s);
}

int main(int argc, char **argv)
{
        if (argc < 2) {
                fprintf(stderr, "usage: %s DIR\n", argv[0]);
                return 2;
        }
        check_engine_configs(argv[1]);
        check_zero_means_unset();
        check_empty_mount_option();
        check_docker_update();
        check_still_strict();
        check_caps();
        return tap_done();
}
