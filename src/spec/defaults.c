/* The default config.json that `carrel spec` writes. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "carrel/spec.h"
#include "carrel/version.h"

static const char default_spec[] =
        "{"
        "\"ociVersion\": \"" CARREL_OCI_VERSION "\","
        "\"process\": {"
        "  \"terminal\": true,"
        "  \"user\": {\"uid\": 0, \"gid\": 0},"
        "  \"args\": [\"sh\"],"
        "  \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\"],"
        "  \"cwd\": \"/\","
        "  \"capabilities\": {"
        "    \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
        "    \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
        "    \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]"
        "  },"
        "  \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],"
        "  \"noNewPrivileges\": true"
        "},"
        "\"root\": {\"path\": \"rootfs\", \"readonly\": true},"
        "\"hostname\": \"carrel\","
        "\"mounts\": ["
        "  {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
        "  {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
        "   \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
        "  {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
        "   \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", \"gid=5\"]},"
        "  {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
        "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
        "  {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
        "   \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
        "  {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
        "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
        "  {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
        "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}"
        "],"
        "\"linux\": {"
        "  \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"},"
        "                  {\"type\": \"uts\"}, {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],"
        "  \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\","
        "    \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\","
        "    \"/sys/firmware\", \"/proc/scsi\", \"/sys/devices/virtual/powercap\"],"
        "  \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\"]"
        "}"
        "}";

extern const char carrel_default_seccomp_json[];

char *spec_default_json(bool rootless, uid_t uid, gid_t gid)
{
        json_t *root = json_loads(default_spec, 0, NULL);
        if (!root)
                return NULL;
        /* profiles/seccomp/default.json, embedded at build time; drop its comments. */
        json_t *seccomp = json_loads(carrel_default_seccomp_json, 0, NULL);
        if (seccomp) {
                json_object_del(seccomp, "comment");
                size_t i;
                json_t *rule;
                json_array_foreach(json_object_get(seccomp, "syscalls"), i, rule) json_object_del(rule, "comment");
                json_object_set_new(json_object_get(root, "linux"), "seccomp", seccomp);
        }
        if (rootless) {
                json_t *linux_obj = json_object_get(root, "linux");
                json_array_append_new(json_object_get(linux_obj, "namespaces"), json_pack("{s:s}", "type", "user"));
                json_object_set_new(linux_obj, "uidMappings",
                                    json_pack("[{s:i,s:i,s:i}]", "containerID", 0, "hostID", (json_int_t) uid, "size", 1));
                json_object_set_new(linux_obj, "gidMappings",
                                    json_pack("[{s:i,s:i,s:i}]", "containerID", 0, "hostID", (json_int_t) gid, "size", 1));
                /* Without a network namespace of our own, sysfs cannot be mounted: bind the host's. */
                json_t *mounts = json_object_get(root, "mounts");
                size_t i;
                json_t *m;
                json_array_foreach(mounts, i, m) {
                        if (strcmp(json_string_value(json_object_get(m, "destination")), "/sys") == 0) {
                                json_object_set_new(m, "type", json_string("none"));
                                json_object_set_new(m, "source", json_string("/sys"));
                                json_object_set_new(m, "options", json_pack("[s,s,s,s,s]", "rbind", "nosuid", "noexec",
                                                                             "nodev", "ro"));
                        }
                        if (strcmp(json_string_value(json_object_get(m, "destination")), "/dev/pts") == 0) {
                                json_array_remove(json_object_get(m, "options"), 5); /* gid=5 may be unmapped */
                        }
                }
        }
        char *out = json_dumps(root, JSON_INDENT(8) | JSON_PRESERVE_ORDER);
        json_decref(root);
        return out;
}
