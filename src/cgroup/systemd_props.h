/* The pure part of the systemd cgroup driver: unit and slice names, and
 * linux.resources as transient unit properties. No D-Bus here (tests/unit). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "carrel/error.h"
#include "carrel/spec.h"

#define SD_INFINITY UINT64_MAX
#define SD_MASK_MAX 128 /* bytes of an AllowedCPUs/AllowedMemoryNodes mask: 1024 cpus */
#define SD_PROPS_MAX 16

enum sd_prop_type { SD_U64 = 't', SD_BYTES = 'y' };

struct sd_prop {
        const char *name;
        enum sd_prop_type type;
        uint64_t u;
        uint8_t bytes[SD_MASK_MAX];
        size_t n_bytes;
};

struct sd_props {
        struct sd_prop p[SD_PROPS_MAX];
        size_t n;
};

/* linux.cgroupsPath "slice:prefix:name" into the slice ("" = `fallback`,
 * system.slice or user.slice) and the unit "<prefix>-<name>.scope" (just
 * "<name>.scope" without a prefix). With no cgroupsPath: `fallback`,
 * carrel-<id>.scope. A path of another form is an error. */
int systemd_unit_for(const char *cgroups_path, const char *id, const char *fallback, char *slice, size_t slice_size,
                     char *unit, size_t unit_size, struct carrel_error *err);

/* Where a slice lives in the hierarchy: "a-b.slice" is "/a.slice/a-b.slice",
 * "-.slice" is "". */
int systemd_slice_path(const char *slice, char *buf, size_t size, struct carrel_error *err);

/* runc's conversions to the cgroup v2 values systemd takes. */
uint64_t systemd_cpu_weight(uint64_t shares);   /* 2..262144 -> 1..10000, 0 = unset */
uint64_t systemd_io_weight(uint16_t blkio);     /* 10..1000 -> 1..10000, 0 = unset */
uint64_t systemd_cpu_quota_usec(int64_t quota, uint64_t period); /* per second, rounded up to 10ms */

/* "0-3,8" into a little-endian bit mask (byte i bit j = cpu 8i+j). */
int systemd_cpu_mask(const char *list, uint8_t *bytes, size_t max, size_t *ret_n, struct carrel_error *err);

/* The unit properties for `r` (cgroup v2 names: MemoryMax, TasksMax, ...).
 * Everything (these too) is also written to the delegated cgroup, as runc
 * does, so a field without a property still applies. */
int systemd_resource_props(const struct spec_resources *r, struct sd_props *out, struct carrel_error *err);
