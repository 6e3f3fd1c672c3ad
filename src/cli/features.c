/* features: what this build of carrel supports, in the OCI features format. */
#include <jansson.h>
#include <stdio.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "carrel/spec.h"
#include "carrel/version.h"
#include "cli/cli.h"
#include "spec/mount_options.h"

const char *cap_name(int cap);
int cap_last_known(void);

static const struct option help_only[] = { { "help", no_argument, NULL, 'h' }, { 0 } };

static int by_name(const void *a, const void *b)
{
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static int no_opt(int c, const char *arg, void *data)
{
        return -EINVAL;
}

static json_t *names(enum placement_names table)
{
        json_t *a = json_array();
        const char *name;
        for (size_t i = 0; (name = spec_placement_name(table, i)); i++)
                json_array_append_new(a, json_string(name));
        return a;
}

int cmd_features(struct cli *cli, int argc, char **argv, struct carrel_error *err)
{
        int r = parse_verb_options("features", argc, argv, "", help_only, no_opt, NULL, err);
        if (r != 0)
                return r < 0 ? r : 0;
        if ((r = expect_args("features", argc, 0, 0, err)) < 0)
                return r;
        /* The decoder's own table, sorted as runc prints it. */
        const char *mount_opts[128];
        size_t n_opts = 0;
        for (const char *name; n_opts < 128 && (name = mount_option_name(n_opts));)
                mount_opts[n_opts++] = name;
        qsort(mount_opts, n_opts, sizeof *mount_opts, by_name);
        json_t *o = json_pack("{s:s,s:s,s:[s,s,s,s,s,s],s:[],s:{}}", "ociVersionMin", "1.0.0", "ociVersionMax",
                              CARREL_OCI_VERSION, "hooks", "prestart", "createRuntime", "createContainer",
                              "startContainer", "poststart", "poststop", "mountOptions", "linux");
        json_t *mo = json_object_get(o, "mountOptions");
        for (size_t i = 0; i < n_opts; i++)
                json_array_append_new(mo, json_string(mount_opts[i]));
        json_t *lx = json_object_get(o, "linux");
        json_t *ns = json_array(), *caps = json_array();
        for (int t = 0; t < NS__COUNT; t++)
                json_array_append_new(ns, json_string(ns_type_name(t)));
        for (int c = 0; c <= cap_last_known(); c++) {
                char name[64];
                snprintf(name, sizeof name, "CAP_%s", cap_name(c));
                json_array_append_new(caps, json_string(name));
        }
        json_object_set_new(lx, "namespaces", ns);
        json_object_set_new(lx, "capabilities", caps);
        json_object_set_new(lx, "cgroup", json_pack("{s:b,s:b,s:b,s:b,s:b}", "v1", 1, "v2", 1, "systemd", 1,
                                                    "systemdUser", 1, "rdma", 1));
        json_t *sc = json_pack("{s:b,s:[s,s,s,s,s,s,s,s,s],s:[s,s,s,s,s,s,s],s:[s,s,s],s:[s,s,s,s]}", "enabled", 1,
                               "actions", "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                               "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY", "SCMP_ACT_TRACE",
                               "SCMP_ACT_TRAP", "operators", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
                               "SCMP_CMP_LE", "SCMP_CMP_LT", "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE", "archs",
                               "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "supportedFlags",
                               "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                               "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
        json_object_set_new(lx, "seccomp", sc);
        /* Not (yet) in the OCI features schema: what carrel accepts for these fields. */
        json_object_set_new(lx, "scheduler", json_pack("{s:o,s:o}", "policies", names(NAMES_SCHED_POLICY),
                                                       "flags", names(NAMES_SCHED_FLAG)));
        json_object_set_new(lx, "ioPriority", json_pack("{s:o}", "classes", names(NAMES_IOPRIO_CLASS)));
        json_object_set_new(lx, "execCPUAffinity", json_pack("{s:b}", "enabled", 1));
        json_object_set_new(lx, "memoryPolicy", json_pack("{s:o,s:o}", "modes", names(NAMES_MPOL_MODE), "flags",
                                                          names(NAMES_MPOL_FLAG)));
        json_object_set_new(lx, "personality", json_pack("{s:o,s:o}", "domains", names(NAMES_PERSONALITY_DOMAIN),
                                                         "flags", names(NAMES_PERSONALITY_FLAG)));
        json_object_set_new(lx, "apparmor", json_pack("{s:b}", "enabled", 1));
        json_object_set_new(lx, "selinux", json_pack("{s:b}", "enabled", 1));
        json_object_set_new(lx, "intelRdt", json_pack("{s:b}", "enabled", 0));
        json_object_set_new(lx, "netDevices", json_pack("{s:b}", "enabled", 1));
        json_object_set_new(lx, "mountExtensions", json_pack("{s:{s:b}}", "idmap", "enabled", 1));
        const struct scmp_version *lv = seccomp_version();
        char libseccomp[32];
        snprintf(libseccomp, sizeof libseccomp, "%u.%u.%u", lv->major, lv->minor, lv->micro);
        json_object_set_new(o, "annotations", json_pack("{s:s,s:s,s:s}", "io.github.carrel.version", carrel_version,
                                                        "io.github.carrel.commit", carrel_commit,
                                                        "io.github.seccomp.libseccomp.version", libseccomp));
        /* Which cgroup driver serves each controller on this host: "cpu=v1,hugetlb=v2,...". */
        json_t *drivers = cgroup_drivers_json();
        char served[512] = "";
        const char *ctrl;
        json_t *drv;
        json_object_foreach(drivers, ctrl, drv)
                snprintf(served + strlen(served), sizeof served - strlen(served), "%s%s=%s", served[0] ? "," : "", ctrl,
                         json_string_value(drv));
        json_object_set_new(json_object_get(o, "annotations"), "io.github.carrel.cgroup.drivers", json_string(served));
        json_decref(drivers);
        char *text = json_dumps(o, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
        json_decref(o);
        if (!text)
                return carrel_error_set(err, ENOMEM, "out of memory");
        puts(text);
        free(text);
        return 0;
}
