/* Which sysctl keys and values a container may set (CVE-2022-0811 class). */
#include <stdbool.h>

#include "spec/sysctl_check.h"
#include "tap.h"

static bool allowed(const char *k, const char *v)
{
        char why[128];
        return sysctl_allowed(k, v, true, true, true, why, sizeof why);
}

int main(void)
{
        char why[128];
        ok(allowed("net.ipv4.ip_forward", "1"), "a net key with a network namespace");
        ok(!sysctl_allowed("net.ipv4.ip_forward", "1", false, true, true, why, sizeof why),
           "a net key without a network namespace: %s", why);
        ok(allowed("kernel.shmmax", "1000"), "an ipc key");
        ok(!sysctl_allowed("kernel.shmmax", "1", true, false, true, why, sizeof why), "an ipc key without ipc ns");
        ok(allowed("fs.mqueue.msg_max", "10"), "fs.mqueue");
        ok(!allowed("kernel.core_pattern", "|/tmp/x"), "kernel.core_pattern is not namespaced");
        ok(!allowed("kernel.shm_rmid_forced", "1+kernel.core_pattern=|/x"), "the += trick in a value");
        ok(!allowed("kernel.shm_rmid_forced+kernel.core_pattern", "1"), "a + in a key");
        ok(!allowed("net/../../kernel/core_pattern", "1"), "slashes in a key");
        ok(!allowed("net.ipv4..ip_forward", "1"), "an empty component");
        ok(!allowed("net.ipv4.ip_forward", "1\nkernel.core_pattern=x"), "a newline in a value");
        ok(!allowed("", "1"), "an empty key");
        ok(allowed("net.ipv4.conf.eth0.forwarding", "1"), "an interface name in a key");
        return tap_done();
}
