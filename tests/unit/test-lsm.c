/* LSM plumbing that this host cannot run for real (no SELinux policy, no
 * AppArmor here): the attr paths, the attr writes (into a fake procfs tree
 * under a temp dir), the context= mount option and its splitting. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux/lsm.h"
#include "linux/mounts.h"
#include "util/fd.h"
#include "tap.h"

static char base[PATH_MAX];

static int fake_proc(const char *name, const char *files)
{
        char cmd[PATH_MAX * 4];
        snprintf(cmd, sizeof cmd, "mkdir -p %s/%s/task/1/attr/apparmor && ln -s task/1 %s/%s/thread-self && cd %s/%s "
                 "&& touch %s", base, name, base, name, base, name, files);
        if (system(cmd) != 0)
                printf("# command failed: %s\n", cmd);
        snprintf(cmd, sizeof cmd, "%s/%s", base, name);
        return open(cmd, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

static const char *read_back(int dir, const char *path)
{
        static char buf[256];
        return read_file_at(dir, path, buf, sizeof buf) >= 0 ? buf : "(missing)";
}

static void test_paths(void)
{
        char p[64];
        lsm_attr_path(LSM_APPARMOR, "exec", false, p, sizeof p);
        is_str(p, "thread-self/attr/apparmor/exec", "AppArmor: its own attr directory");
        lsm_attr_path(LSM_APPARMOR, "exec", true, p, sizeof p);
        is_str(p, "thread-self/attr/exec", "AppArmor before 5.8: the shared attr file");
        lsm_attr_path(LSM_SELINUX, "exec", false, p, sizeof p);
        is_str(p, "thread-self/attr/exec", "SELinux: the shared attr file");
        lsm_attr_path(LSM_SELINUX, "keycreate", true, p, sizeof p);
        is_str(p, "thread-self/attr/keycreate", "SELinux: keycreate");
}

static void test_mount_data(void)
{
        char buf[128];
        ok(lsm_mount_data(NULL, "system_u:object_r:container_file_t:s0", buf, sizeof buf) == 0, "no data");
        is_str(buf, "context=\"system_u:object_r:container_file_t:s0\"", "no data: only the context");
        lsm_mount_data("", "a:b:c:s0", buf, sizeof buf);
        is_str(buf, "context=\"a:b:c:s0\"", "empty data: only the context");
        lsm_mount_data("mode=755,size=65536k", "a:b:c:s0:c1,c2", buf, sizeof buf);
        is_str(buf, "mode=755,size=65536k,context=\"a:b:c:s0:c1,c2\"", "data, then the quoted context");
        ok(lsm_mount_data("mode=755", "a\"b", buf, sizeof buf) == -EINVAL, "a label with a quote is refused");
        ok(lsm_mount_data("mode=755", "a:b:c:s0", buf, 16) == -ENAMETOOLONG, "too long for the buffer");
        ok(lsm_mount_labelled("tmpfs") && lsm_mount_labelled("mqueue") && lsm_mount_labelled("devpts"),
           "tmpfs, mqueue and devpts get the mount label");
        ok(!lsm_mount_labelled("proc") && !lsm_mount_labelled("sysfs") && !lsm_mount_labelled(NULL),
           "proc and sysfs do not");

        char data[] = "mode=755,,context=\"a:b:c:s0:c1,c2\",size=1m,nosuid";
        char *cur = data, *o;
        const char *want[] = { "mode=755", "context=a:b:c:s0:c1,c2", "size=1m", "nosuid" };
        size_t n = 0;
        bool same = true;
        while ((o = mount_data_next(&cur)))
                same = same && n < 4 && strcmp(o, want[n++]) == 0;
        ok(same && n == 4, "mount data splits at commas outside quotes, quotes removed (%zu options)", n);
}

static void test_writes(void)
{
        struct spec s = { 0 };
        struct init_ctx ctx = { .spec = &s };
        struct carrel_error err = { 0 };

        /* Kernel 5.8+: attr/apparmor/exec. */
        int dir = fake_proc("new", "task/1/attr/apparmor/exec task/1/attr/exec");
        ok(lsm_attr_write(dir, "thread-self/attr/exec", "x:y:z:s0") == 0, "a write through thread-self");
        is_str(read_back(dir, "task/1/attr/exec"), "x:y:z:s0", "the value lands in the attr file");
        ok(lsm_attr_write(dir, "thread-self/attr/nothere", "v") == -ENOENT, "a missing attr file: ENOENT");
        s.process.apparmor_profile = "carrel-test";
        ctx.proc_fd = -1;
        ok(lsm_apply_exec(&ctx, &err) < 0, "no proc fd: fails");
        err = (struct carrel_error){ 0 };
        ctx.proc_fd = dir;
        ok(lsm_apply_exec(&ctx, &err) == 0, "AppArmor exec profile applied (%s)", err.msg);
        is_str(read_back(dir, "task/1/attr/apparmor/exec"), "exec carrel-test", "written as \"exec NAME\" to attr/apparmor/exec");
        close(dir);

        /* Older kernels: only attr/exec. */
        dir = fake_proc("old", "task/1/attr/exec");
        rmdir(strcat(strcpy((char[PATH_MAX + 32]){ 0 }, base), "/old/task/1/attr/apparmor"));
        ctx.proc_fd = dir;
        ok(lsm_apply_exec(&ctx, &err) == 0, "AppArmor on an older kernel (%s)", err.msg);
        is_str(read_back(dir, "task/1/attr/exec"), "exec carrel-test", "written to attr/exec");
        close(dir);

        /* SELinux: attr/exec and attr/keycreate. */
        dir = fake_proc("se", "task/1/attr/exec task/1/attr/keycreate");
        ctx.proc_fd = dir;
        s.process.apparmor_profile = NULL;
        s.process.selinux_label = "system_u:system_r:container_t:s0:c1,c2";
        ok(lsm_apply_exec(&ctx, &err) == 0 && lsm_apply_keycreate(&ctx, &err) == 0, "SELinux labels applied");
        is_str(read_back(dir, "task/1/attr/exec"), "system_u:system_r:container_t:s0:c1,c2", "process label in attr/exec");
        is_str(read_back(dir, "task/1/attr/keycreate"), "system_u:system_r:container_t:s0:c1,c2",
               "keyring label in attr/keycreate");
        close(dir);

        /* No attr file at all (no LSM): the error names the label. */
        dir = fake_proc("none", "task/1/x");
        ctx.proc_fd = dir;
        err = (struct carrel_error){ 0 };
        ok(lsm_apply_exec(&ctx, &err) < 0 && strstr(err.msg, "container_t:s0:c1,c2"), "failure names the label: %s",
           err.msg);
        s.process.selinux_label = NULL;
        s.process.apparmor_profile = "missing-profile";
        err = (struct carrel_error){ 0 };
        ok(lsm_apply_exec(&ctx, &err) < 0 && strstr(err.msg, "\"missing-profile\" is not loaded"),
           "a profile that cannot be applied is named: %s", err.msg);
        close(dir);

        /* No label: nothing is written. */
        dir = fake_proc("empty", "task/1/attr/exec");
        ctx.proc_fd = dir;
        s.process.apparmor_profile = NULL;
        ok(lsm_apply_exec(&ctx, &err) == 0 && lsm_apply_keycreate(&ctx, &err) == 0, "no labels: no writes");
        is_str(read_back(dir, "task/1/attr/exec"), "", "attr/exec untouched");
        close(dir);
}

static void test_check(void)
{
        struct spec s = { 0 };
        struct carrel_error err = { 0 };
        s.process.selinux_label = "";
        s.mount_label = "";
        ok(lsm_labels_check(&s, &err) == 0 && !s.process.selinux_label && !s.mount_label, "empty labels are no labels");
        struct stat st;
        if (stat("/sys/fs/selinux/enforce", &st) < 0) {
                s.process.selinux_label = "a:b:c:s0";
                s.mount_label = "a:b:d:s0";
                ok(lsm_labels_check(&s, &err) == 0 && !s.process.selinux_label && !s.mount_label,
                   "SELinux not enabled: labels ignored");
        } else {
                ok(1, "# SKIP SELinux is enabled here");
        }
        if (access("/sys/kernel/security/apparmor", F_OK) < 0) {
                s.process.apparmor_profile = "nonexistent";
                ok(lsm_labels_check(&s, &err) == 0 && !s.process.apparmor_profile, "AppArmor not enabled: ignored");
        } else {
                s.process.apparmor_profile = "carrel-no-such-profile";
                ok(lsm_labels_check(&s, &err) < 0 && strstr(err.msg, "carrel-no-such-profile"),
                   "AppArmor enabled: a profile that is not loaded fails with its name");
        }
}

int main(void)
{
        snprintf(base, sizeof base, "%s/carrel-lsm-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(base))
                return 1;
        test_paths();
        test_mount_data();
        test_writes();
        test_check();
        char cmd[PATH_MAX + 16];
        snprintf(cmd, sizeof cmd, "rm -rf %s", base);
        if (system(cmd) != 0)
                printf("# could not remove %s\n", base);
        return tap_done();
}
