/* Which sysctl keys a container may set, and what a safe key and value look like. */
#include <stdio.h>
#include <string.h>

#include "sysctl_check.h"

static bool refuse(char *why, size_t len, const char *reason)
{
        snprintf(why, len, "%s", reason);
        return false;
}

static bool key_chars_ok(const char *key)
{
        if (!*key || *key == '.' || key[strlen(key) - 1] == '.')
                return false;
        for (const char *p = key; *p; p++) {
                bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                          *p == '_' || *p == '-' || *p == '.' || *p == '@' || *p == ':';
                if (!ok)
                        return false;
                if (p[0] == '.' && p[1] == '.')
                        return false;
        }
        return true;
}

bool sysctl_allowed(const char *key, const char *value, bool netns, bool ipcns, bool utsns, char *why, size_t len)
{
        static const char *const ipc_keys[] = {
                "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
                "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
        };
        if (!key_chars_ok(key))
                return refuse(why, len, "invalid key (only letters, digits and _-.@: without \"..\" are allowed)");
        /* No namespaced sysctl value needs '+' or '=': refusing them stops
         * "1+kernel.core_pattern=..." smuggling (CVE-2022-0811). */
        if (strpbrk(value, "\n\r=+"))
                return refuse(why, len, "invalid value (newlines, '+' and '=' are not allowed)");
        for (size_t i = 0; i < sizeof ipc_keys / sizeof *ipc_keys; i++)
                if (strcmp(key, ipc_keys[i]) == 0)
                        return ipcns ? true : refuse(why, len, "needs a new ipc namespace");
        if (strncmp(key, "fs.mqueue.", 10) == 0)
                return ipcns ? true : refuse(why, len, "needs a new ipc namespace");
        if (strncmp(key, "net.", 4) == 0)
                return netns ? true : refuse(why, len, "needs a new network namespace");
        if (strcmp(key, "kernel.hostname") == 0 || strcmp(key, "kernel.domainname") == 0)
                return utsns ? true : refuse(why, len, "needs a new uts namespace");
        return refuse(why, len, "not a namespaced sysctl; it would change the host");
}
