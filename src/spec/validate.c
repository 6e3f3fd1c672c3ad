/* Checks that need more than one field. Pure: no syscalls. */
#include <jansson.h>
#include <string.h>

#include "carrel/spec.h"
#include "sysctl_check.h"

#define FAIL(path, ...) carrel_error_set(err, EINVAL, "%s: " path ": " __VA_ARGS__)

static bool ns_new(const struct spec *s, enum ns_type t)
{
        return s->ns[t].present && !s->ns[t].path;
}

static int check_not_yet(const struct spec *s, const char *origin, struct carrel_error *err)
{
        if (s->has_intel_rdt)
                return FAIL("linux.intelRdt", "not supported", origin);
        return 0;
}

static int check_process(const struct spec *s, const char *origin, struct carrel_error *err)
{
        const struct spec_process *p = &s->process;
        if (!s->has_process)
                return FAIL("process", "is required", origin);
        if (p->n_args == 0)
                return FAIL("process.args", "must not be empty", origin);
        if (!p->cwd || p->cwd[0] != '/')
                return FAIL("process.cwd", "must be an absolute path", origin);
        for (size_t i = 0; i < p->n_env; i++)
                if (!strchr(p->env[i], '='))
                        return carrel_error_set(err, EINVAL, "%s: process.env[%zu]: \"%s\" is not KEY=VALUE",
                                                origin, i, p->env[i]);
        if (p->has_umask && p->umask > 0777)
                return FAIL("process.user.umask", "%o is not a file mode mask", origin, p->umask);
        if (p->has_oom_score_adj && (p->oom_score_adj < -1000 || p->oom_score_adj > 1000))
                return FAIL("process.oomScoreAdj", "%d is out of range (-1000..1000)", origin, p->oom_score_adj);
        return 0;
}

static const char *annotation(const struct spec *s, const char *key)
{
        json_t *v = s->annotations ? json_object_get(s->annotations, key) : NULL;
        return v ? json_string_value(v) : NULL;
}

bool spec_init_reaper(const struct spec *s)
{
        const char *v = annotation(s, CARREL_INIT_ANNOTATION);
        return v && strcmp(v, "reaper") == 0;
}

static int check_carrel_annotations(const struct spec *s, const char *origin, struct carrel_error *err)
{
        const char *init = annotation(s, CARREL_INIT_ANNOTATION);
        if (init && strcmp(init, "reaper") != 0)
                return FAIL("annotations." CARREL_INIT_ANNOTATION, "expected \"reaper\", got \"%s\"", origin, init);
        const char *stop = annotation(s, CARREL_STOP_SIGNAL_ANNOTATION);
        if (stop && signal_from_name(stop) < 0)
                return FAIL("annotations." CARREL_STOP_SIGNAL_ANNOTATION, "unknown signal \"%s\"", origin, stop);
        return 0;
}

const char *spec_userns_mode(const struct spec *s)
{
        json_t *v = s->annotations ? json_object_get(s->annotations, "org.carrel.userns") : NULL;
        return v ? json_string_value(v) : NULL;
}

static int check_idmaps(const struct spec *s, const char *origin, struct carrel_error *err)
{
        bool userns_new = ns_new(s, NS_USER);
        const char *mode = spec_userns_mode(s);
        if (mode) {
                /* The runtime allocates the mappings from its pool. */
                if (strcmp(mode, "auto") != 0 && strcmp(mode, "private") != 0)
                        return FAIL("annotations.org.carrel.userns", "expected auto or private, got \"%s\"", origin,
                                    mode);
                if (!userns_new)
                        return FAIL("annotations.org.carrel.userns", "needs a new user namespace", origin);
                if (s->n_uid_mappings || s->n_gid_mappings)
                        return FAIL("annotations.org.carrel.userns", "the id mappings are allocated by carrel; "
                                    "remove linux.uidMappings and linux.gidMappings", origin);
                return 0;
        }
        if ((s->n_uid_mappings || s->n_gid_mappings) && !userns_new)
                return FAIL("linux.uidMappings", "mappings need a new user namespace", origin);
        if (userns_new && (!s->n_uid_mappings || !s->n_gid_mappings))
                return FAIL("linux.namespaces", "a new user namespace needs uidMappings and gidMappings", origin);
        return 0;
}

/* idmap without mappings maps the mount into the container's own user namespace. */
static int check_mount_idmaps(const struct spec *s, const char *origin, struct carrel_error *err)
{
        for (size_t i = 0; i < s->n_mounts; i++)
                if (s->mounts[i].idmap && !s->mounts[i].has_idmap && !ns_new(s, NS_USER) && !spec_userns_mode(s))
                        return carrel_error_set(err, EINVAL, "%s: mounts[%zu]: idmap without uidMappings and "
                                                "gidMappings needs a new user namespace to take them from", origin, i);
        return 0;
}

static int check_names(const struct spec *s, const char *origin, struct carrel_error *err)
{
        /* As runc: a uts namespace of the container's, new or joined by path. */
        if (s->has_hostname && *s->hostname && !s->ns[NS_UTS].present)
                return FAIL("hostname", "setting the hostname needs a uts namespace", origin);
        if (s->has_domainname && *s->domainname && !s->ns[NS_UTS].present)
                return FAIL("domainname", "setting the domainname needs a uts namespace", origin);
        if (s->has_hostname && strlen(s->hostname) > 64)
                return FAIL("hostname", "longer than 64 bytes", origin);
        if (s->has_domainname && strlen(s->domainname) > 64)
                return FAIL("domainname", "longer than 64 bytes", origin);
        if (s->n_time_offsets && !ns_new(s, NS_TIME))
                return FAIL("linux.timeOffsets", "time offsets need a new time namespace", origin);
        if (s->n_net_devices && !s->ns[NS_NET].present)
                return FAIL("linux.netDevices", "moving network devices needs a network namespace (it would move "
                            "them within the host's)", origin);
        for (size_t i = 0; i < s->n_net_devices; i++)
                for (size_t j = 0; j < i; j++)
                        if (strcmp(s->net_devices[i].name, s->net_devices[j].name) == 0)
                                return FAIL("linux.netDevices", "two devices are both named \"%s\" in the container",
                                            origin, s->net_devices[i].name);
        return 0;
}

int spec_validate(const struct spec *s, const char *origin, struct carrel_error *err)
{
        int r;
        if (!s->oci_version || !*s->oci_version)
                return FAIL("ociVersion", "is required", origin);
        if (strncmp(s->oci_version, "1.", 2) != 0)
                return FAIL("ociVersion", "unsupported version \"%s\" (1.x expected)", origin, s->oci_version);
        if (!s->root_path || !*s->root_path)
                return FAIL("root.path", "is required", origin);
        if ((r = check_carrel_annotations(s, origin, err)) < 0)
                return r;
        if ((r = check_process(s, origin, err)) < 0)
                return r;
        if ((r = check_idmaps(s, origin, err)) < 0)
                return r;
        if ((r = check_names(s, origin, err)) < 0)
                return r;
        if ((r = check_mount_idmaps(s, origin, err)) < 0)
                return r;
        for (size_t i = 0; i < s->n_sysctl; i++) {
                char why[128];
                if (!sysctl_allowed(s->sysctl[i].key, s->sysctl[i].value, ns_new(s, NS_NET), ns_new(s, NS_IPC),
                                    ns_new(s, NS_UTS), why, sizeof why))
                        return carrel_error_set(err, EINVAL, "%s: linux.sysctl.%s: %s", origin, s->sysctl[i].key, why);
        }
        return check_not_yet(s, origin, err);
}
