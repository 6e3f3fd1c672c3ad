/* The spec decoder: the default spec decodes, and every kind of bad input is
 * refused with the file, the JSON path and the reason. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include <jansson.h>

#include "carrel/spec.h"
#include "spec_check.h"
#include "tap.h"
#include "util/idlist.h"

static struct carrel_error err;

static struct spec *decode(const char *text)
{
        return spec_check_text(text, &err);
}

/* Decode the default spec with one jq-like edit applied by string replacement. */
static struct spec *decode_edit(const char *from, const char *to)
{
        /* One line with ", " and ": " separators, so edits are plain substrings. */
        char *pretty = spec_default_json(false, 0, 0);
        json_t *j = json_loads(pretty, 0, NULL);
        char *text = json_dumps(j, JSON_PRESERVE_ORDER);
        json_decref(j);
        free(pretty);
        char *at = strstr(text, from);
        if (!at) {
                printf("# edit target not found: %s\n", from);
                free(text);
                return NULL;
        }
        size_t len = strlen(text) - strlen(from) + strlen(to) + 1;
        char *out = malloc(len);
        memcpy(out, text, (size_t) (at - text));
        strcpy(out + (at - text), to);
        strcat(out, at + strlen(from));
        struct spec *s = decode(out);
        free(out);
        free(text);
        return s;
}

static void expect_error(const char *from, const char *to, const char *want)
{
        struct spec *s = decode_edit(from, to);
        ok(!s && strstr(err.msg, want) != NULL, "refused: %s", want);
        if (s || !strstr(err.msg, want))
                printf("#   got: %s\n", s ? "(accepted)" : err.msg);
        spec_free(s);
}

int main(void)
{
        char *text = spec_default_json(false, 0, 0);
        struct spec *s = decode(text);
        free(text);
        ok(s != NULL, "the default spec decodes and validates (%s)", err.msg);
        if (s) {
                is_str(s->process.args[0], "sh", "process.args[0]");
                ok(s->process.args[1] == NULL, "args are NULL-terminated");
                ok(s->root_readonly, "root.readonly");
                ok(s->ns[NS_PID].present && !s->ns[NS_PID].path, "a new pid namespace");
                ok(!s->ns[NS_USER].present, "no user namespace by default");
                ok(s->process.caps.bounding == ((1ULL << 5) | (1ULL << 10) | (1ULL << 29)), "bounding set");
                ok(s->process.caps.inheritable == 0 && s->process.caps.ambient == 0, "inheritable and ambient empty");
                ok(s->n_mounts == 7, "seven mounts");
                const struct spec_mount *sys = &s->mounts[5];
                is_str(sys->destination, "/sys", "mounts[5] is /sys");
                ok(sys->attr_set & MOUNT_ATTR_RDONLY, "/sys is read-only");
                ok(sys->attr_set & MOUNT_ATTR_NOSUID, "/sys is nosuid");
                is_str(s->mounts[1].data, "mode=755,size=65536k", "fs options pass through as data");
                ok(s->process.n_rlimits == 1 && s->process.rlimits[0].soft == 1024, "rlimits");
                spec_free(s);
        }

        text = spec_default_json(true, 1000, 1000);
        s = decode(text);
        free(text);
        ok(s && s->ns[NS_USER].present && s->n_uid_mappings == 1 && s->uid_mappings[0].host_id == 1000,
           "the rootless spec maps the caller");
        spec_free(s);

        s = decode("{\"ociVersion\": \"1.0.2\", \"root\": {\"path\": \"r\"}, \"process\": {\"args\": [\"x\"], "
                   "\"cwd\": \"/\", \"futureField\": {\"a\": 1}}, \"someNewKey\": [1, 2]}");
        ok(s != NULL, "unknown keys are ignored (%s)", err.msg);
        spec_free(s);

        ok(decode("{\"ociVersion\": ") == NULL && strstr(err.msg, "config.json: invalid JSON at line 1"),
           "malformed JSON names the line: %s", err.msg);
        ok(decode("[1]") == NULL && strstr(err.msg, "config.json: expected an object"), "top level must be an object");

        expect_error("\"namespaces\"", "\"netDevices\": {\"eth/0\": {}}, \"namespaces\"",
                     "config.json: linux.netDevices.eth/0: invalid network interface name");
        expect_error("\"namespaces\"", "\"netDevices\": {\"eth0\": {\"name\": \"a-name-far-too-long\"}}, \"namespaces\"",
                     "config.json: linux.netDevices.eth0: name: invalid network interface name");
        /* objects keyed by name: timeOffsets, netDevices, rdma */
        expect_error("\"namespaces\"", "\"timeOffsets\": {\"realtime\": {\"secs\": 1}}, \"namespaces\"",
                     "config.json: linux.timeOffsets.realtime: unknown clock");
        expect_error("\"namespaces\"", "\"timeOffsets\": {\"boottime\": {\"nanosecs\": 1000000000}}, \"namespaces\"",
                     "config.json: linux.timeOffsets.boottime: nanosecs must be below");
        {
                carrel_error_clear(&err);
                struct spec *rs = calloc(1, sizeof *rs);
                const char *res = "{\"rdma\": {\"mlx5_0\": {\"hcaHandles\": 3}, \"mlx5_1\": {\"hcaObjects\": 9}}}";
                int rc = spec_decode_resources(rs, res, strlen(res), "stdin", &err);
                ok(rc == 0 && rs->resources && rs->resources->n_rdma == 2 &&
                           strcmp(rs->resources->rdma[0].device, "mlx5_0") == 0 && rs->resources->rdma[0].handles == 3 &&
                           rs->resources->rdma[1].has_objects && !rs->resources->rdma[1].has_handles,
                   "rdma: two devices by name (%s)", err.msg);
                spec_free(rs);
        }
        {
                /* the fields only cgroup v1 serves */
                carrel_error_clear(&err);
                struct spec *rs = calloc(1, sizeof *rs);
                const char *res = "{\"network\": {\"classID\": 1048577, \"priorities\": [{\"name\": \"eth0\", "
                                  "\"priority\": 5}]}, \"cpu\": {\"period\": 100000, \"realtimePeriod\": 1000000, "
                                  "\"realtimeRuntime\": 950000}, \"memory\": {\"kernelTCP\": 1048576}, "
                                  "\"blockIO\": {\"leafWeight\": 200, \"weightDevice\": [{\"major\": 8, \"minor\": 0, "
                                  "\"leafWeight\": 300}]}}";
                int rc = spec_decode_resources(rs, res, strlen(res), "stdin", &err);
                const struct spec_resources *r = rs->resources;
                ok(rc == 0 && r && r->has_network && r->has_net_classid && r->net_classid == 1048577 &&
                           r->n_net_prios == 1 && strcmp(r->net_prios[0].name, "eth0") == 0 &&
                           r->net_prios[0].priority == 5,
                   "network: classID and priorities (%s)", err.msg);
                ok(r && r->has_cpu_realtime && r->cpu_rt_period == 1000000 && r->cpu_rt_runtime == 950000 &&
                           r->cpu_period == 100000 && !r->has_cpu_idle,
                   "cpu: the real-time fields are their own, not the period's or idle's");
                ok(r && r->has_kernel_tcp && r->kernel_tcp == 1048576, "memory.kernelTCP");
                ok(r && r->has_blkio_leaf_weight && r->blkio_leaf_weight == 200 && r->n_weight_devices == 1 &&
                           r->weight_devices[0].has_leaf_weight && r->weight_devices[0].leaf_weight == 300 &&
                           !r->weight_devices[0].has_weight,
                   "blockIO: leafWeight, and per device");
                spec_free(rs);
        }
        {
                uint64_t bits[2];
                ok(idlist_parse("0-2,5,64", bits, 2) == 65 && bits[0] == 0x27 && bits[1] == 1, "idlist: ranges and ids");
                ok(idlist_parse("", bits, 2) == 0 && !bits[0] && !bits[1], "idlist: empty");
                ok(idlist_parse("3-1", bits, 2) == -EINVAL, "idlist: a backwards range");
                ok(idlist_parse("1,,2", bits, 2) == -EINVAL && idlist_parse("1,", bits, 2) == -EINVAL &&
                           idlist_parse("x", bits, 2) == -EINVAL && idlist_parse("-1", bits, 2) == -EINVAL,
                   "idlist: bad syntax");
                ok(idlist_parse("128", bits, 2) == -ERANGE, "idlist: beyond the words given");
        }
        /* scheduler, ioPriority, memoryPolicy: bad values are refused by path */
        expect_error("\"cwd\": \"/\"", "\"cwd\": \"/\", \"ioPriority\": {\"class\": \"IOPRIO_CLASS_NOPE\"}",
                     "config.json: process.ioPriority.class: unknown value \"IOPRIO_CLASS_NOPE\"");
        expect_error("\"cwd\": \"/\"", "\"cwd\": \"/\", \"scheduler\": {\"policy\": \"SCHED_ISO\"}",
                     "config.json: process.scheduler.policy: SCHED_ISO is not implemented by Linux");
        expect_error("\"namespaces\"", "\"memoryPolicy\": {\"mode\": \"MPOL_BIND\"}, \"namespaces\"",
                     "config.json: linux.memoryPolicy.nodes: is required");
        expect_error("\"namespaces\"", "\"memoryPolicy\": {\"mode\": \"MPOL_BIND\", \"nodes\": \"0-\"}, \"namespaces\"",
                     "config.json: linux.memoryPolicy.nodes: \"0-\" is not a NUMA node list");
        {
                struct spec *ok_s = decode_edit("\"cwd\": \"/\"", "\"cwd\": \"/\", \"scheduler\": {\"policy\": "
                                                "\"SCHED_RR\", \"priority\": 5, \"flags\": [\"SCHED_FLAG_RESET_ON_FORK\"]}, "
                                                "\"execCPUAffinity\": {\"final\": \"0-1,3\"}");
                ok(ok_s && ok_s->process.has_scheduler && ok_s->process.scheduler.policy == 2 &&
                           ok_s->process.scheduler.priority == 5 && ok_s->process.scheduler.flags == 1 &&
                           strcmp(ok_s->process.cpus_final, "0-1,3") == 0,
                   "scheduler and execCPUAffinity decoded (%s)", ok_s ? "" : err.msg);
                spec_free(ok_s);
        }
        expect_error("{\"type\": \"uts\"}", "{\"type\": \"pidd\"}",
                     "config.json: linux.namespaces[3].type: unknown namespace \"pidd\"");
        expect_error("{\"type\": \"uts\"}", "{\"type\": \"pid\"}",
                     "config.json: linux.namespaces[3].type: duplicate namespace \"pid\"");
        expect_error("{\"type\": \"uts\"}", "{\"type\": \"uts\", \"path\": \"proc/1/ns/uts\"}",
                     "linux.namespaces[3].path: \"proc/1/ns/uts\" is not an absolute path");
        expect_error("\"args\": [\"sh\"]", "\"args\": \"sh\"",
                     "config.json: process.args: expected an array of strings, got a string");
        expect_error("\"args\": [\"sh\"]", "\"args\": [\"sh\", 5]", "process.args[1]: expected a string, got an integer");
        expect_error("\"args\": [\"sh\"]", "\"args\": []", "process.args: must not be empty");
        expect_error("\"destination\": \"/proc\"", "\"destination\": \"proc\"",
                     "config.json: mounts[0].destination: \"proc\" is not an absolute path");
        expect_error("\"uid\": 0", "\"uid\": -1", "process.user.uid: -1 is out of range");
        expect_error("\"uid\": 0", "\"uid\": \"root\"", "process.user.uid: expected an integer, got a string");
        s = decode_edit("\"CAP_KILL\",", "\"CAP_KILLL\",");
        ok(s && s->n_warnings == 1 &&
           strstr(s->warnings[0], "process.capabilities.bounding[1]: unknown capability \"CAP_KILLL\" dropped"),
           "an unknown capability is dropped with a warning");
        spec_free(s);
        expect_error("\"RLIMIT_NOFILE\"", "\"RLIMIT_NOFILES\"", "process.rlimits[0].type: unknown rlimit \"RLIMIT_NOFILES\"");
        expect_error("\"soft\": 1024", "\"soft\": 4096", "process.rlimits[0]: soft limit 4096 is above hard limit 1024");
        expect_error("\"readonly\": true", "\"readonly\": \"yes\"", "root.readonly: expected a boolean, got a string");
        expect_error("\"cwd\": \"/\"", "\"cwd\": \"tmp\"", "process.cwd: must be an absolute path");
        expect_error("\"ociVersion\": \"1.2.0\"", "\"ociVersion\": \"2.0.0\"", "ociVersion: unsupported version");
        expect_error("{\"type\": \"uts\"},", "",
                     "hostname: setting the hostname needs a uts namespace");
        expect_error("\"maskedPaths\"", "\"sysctl\": {\"kernel.core_pattern\": \"|/x\"}, \"maskedPaths\"",
                     "linux.sysctl.kernel.core_pattern: not a namespaced sysctl");
        expect_error("\"maskedPaths\"", "\"resources\": {\"memory\": {\"limit\": \"1G\"}}, \"maskedPaths\"",
                     "linux.resources.memory.limit: expected an integer, got a string");
        expect_error("\"maskedPaths\"", "\"resources\": {\"devices\": [{\"allow\": true, \"type\": \"x\"}]}, "
                     "\"maskedPaths\"", "linux.resources.devices[0].type: must be a, c or b");
        expect_error("\"maskedPaths\"", "\"resources\": {\"blockIO\": {\"weight\": 5}}, \"maskedPaths\"",
                     "linux.resources.blockIO.weight: 5 is out of range (10..1000)");
        expect_error("\"maskedPaths\"", "\"resources\": {\"unified\": {\"cgroup.procs\": \"1\"}}, \"maskedPaths\"",
                     "linux.resources.unified.cgroup.procs: not a controller file name");
        s = decode_edit("\"maskedPaths\"", "\"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]}, "
                                           "\"maskedPaths\"");
        ok(s != NULL, "a devices-only linux.resources is accepted (%s)", err.msg);
        spec_free(s);
        expect_error("\"defaultAction\": \"SCMP_ACT_ERRNO\"", "\"defaultAction\": \"SCMP_ACT_ERRNOO\"",
                     "linux.seccomp.defaultAction: unknown seccomp action \"SCMP_ACT_ERRNOO\"");
        expect_error("\"op\": \"SCMP_CMP_MASKED_EQ\"", "\"op\": \"SCMP_CMP_MASKED\"",
                     "linux.seccomp.syscalls[1].args[0].op: unknown seccomp operator \"SCMP_CMP_MASKED\"");
        expect_error("\"action\": \"SCMP_ACT_ALLOW\"", "\"action\": \"SCMP_ACT_NOTIFY\"",
                     "linux.seccomp.listenerPath: is required when an action is SCMP_ACT_NOTIFY");
        expect_error("\"maskedPaths\"", "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}], "
                                        "\"maskedPaths\"", "linux.uidMappings: mappings need a new user namespace");
        expect_error("\"options\": [\"nosuid\", \"strictatime\"", "\"options\": [\"nosuid\", \"mode=1,x\"",
                     "mounts[1].options[1]: invalid mount option");
        expect_error("\"rootfs\"", "\"\"", "root.path: is required");
        expect_error("\"destination\": \"/proc\"", "\"uidMappings\": [], \"destination\": \"/proc\"",
                     "mounts[0]: an idmapped mount needs both uidMappings and gidMappings");
        /* ids: (uid_t)-1 means "no change" to setresuid and chown, never an id */
        expect_error("\"uid\": 0", "\"uid\": 4294967295", "process.user.uid: 4294967295 is not a valid id");
        expect_error("\"gid\": 0", "\"gid\": 4294967295", "process.user.gid: 4294967295 is not a valid id");
        expect_error("\"gid\": 0", "\"gid\": 0, \"additionalGids\": [5, 4294967295]",
                     "process.user.additionalGids[1]: 4294967295 is not a valid id");
        expect_error("\"maskedPaths\"", "\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, "
                     "\"minor\": 3, \"uid\": 4294967295}], \"maskedPaths\"",
                     "linux.devices[0].uid: 4294967295 is not a valid id");
        /* id maps: what the kernel would refuse, refused by JSON path */
        {
                char *maps = malloc(341 * 64 + 64), *p = maps;
                p += sprintf(p, "\"uidMappings\": [");
                for (int i = 0; i < 341; i++)
                        p += sprintf(p, "%s{\"containerID\": %d, \"hostID\": %d, \"size\": 10}", i ? ", " : "",
                                     i * 10, 100000 + i * 10);
                strcpy(p, "], \"maskedPaths\"");
                expect_error("\"maskedPaths\"", maps, "linux.uidMappings: 341 mappings; the kernel accepts at most 340");
                free(maps);
        }
        expect_error("\"maskedPaths\"", "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 4294967295, \"size\": 1}], "
                     "\"maskedPaths\"", "linux.gidMappings[0].hostID: 4294967295 is not a valid id");
        expect_error("\"maskedPaths\"", "\"uidMappings\": [{\"containerID\": 4294967290, \"hostID\": 1000, "
                     "\"size\": 10}], \"maskedPaths\"", "linux.uidMappings[0]: containerID 4294967290 + size 10 goes past");
        expect_error("\"maskedPaths\"", "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 10}, "
                     "{\"containerID\": 5, \"hostID\": 5000, \"size\": 10}], \"maskedPaths\"",
                     "linux.uidMappings[1]: its containerID range overlaps that of [0]");
        expect_error("\"maskedPaths\"", "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 10}, "
                     "{\"containerID\": 50, \"hostID\": 1009, \"size\": 10}], \"maskedPaths\"",
                     "linux.uidMappings[1]: its hostID range overlaps that of [0]");
        return tap_done();
}
