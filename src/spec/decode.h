/* Table-driven JSON decoding: rows of key, kind, offset and callback.
 * Unknown keys are ignored, as the runtime-spec asks. */
#pragma once

#include <jansson.h>
#include <stddef.h>

#include "carrel/error.h"
#include "carrel/spec.h"

struct dctx {
        struct spec *spec;
        struct carrel_error *err;
        const char *origin;
        char path[512];
        size_t path_len;
};

enum field_kind {
        F_STRING,  /* const char * */
        F_BOOL,    /* bool */
        F_U32,     /* uint32_t */
        F_ID,      /* uint32_t uid or gid: 0..4294967294 */
        F_I32,     /* int */
        F_I64,     /* int64_t */
        F_U64,     /* uint64_t */
        F_STRV,    /* const char ** plus size_t count at .aux */
        F_OBJECT,  /* nested table decoded into the same base pointer */
        F_CUSTOM,  /* .fn decodes the value */
};

struct field;
typedef int (*field_fn)(struct dctx *c, json_t *v, void *base);

struct field {
        const char *key;
        enum field_kind kind;
        ptrdiff_t offset;     /* where the value goes, relative to base */
        ptrdiff_t has_offset; /* bool set when the key is present, or -1 */
        ptrdiff_t aux;        /* count offset for F_STRV */
        field_fn fn;
        const struct field *sub;
};

#define FIELD_END { .key = NULL }

/* Decode `obj` (must be an object) with `table` into `base`. */
int decode_object(struct dctx *c, json_t *obj, const struct field *table, void *base);

/* Path helpers: push returns the previous length for pop. */
size_t dctx_push_key(struct dctx *c, const char *key);
size_t dctx_push_index(struct dctx *c, size_t i);
void dctx_pop(struct dctx *c, size_t old_len);

/* Record "origin: path: reason" and return -EINVAL. */
int dctx_fail(struct dctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Record "origin: path: reason" as a warning of the spec (decoding goes on). */
void dctx_warn(struct dctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Decode a JSON array of objects with `table` into a new array of `elem` bytes each. */
int decode_array(struct dctx *c, json_t *v, const struct field *table, size_t elem, void **ret, size_t *ret_n);

/* The same for an object whose keys name its entries ({"eth0": {...}}): then
 * `each` records the key in the entry and checks it, with the key on the path. */
int decode_map(struct dctx *c, json_t *v, const struct field *table, size_t elem,
               int (*each)(struct dctx *c, const char *key, void *entry), void **ret, size_t *ret_n);

int decode_u32(struct dctx *c, json_t *v, uint32_t *ret);
/* A uid or gid: (uid_t)-1 means "no change" to setresuid and chown, never an id. */
int decode_id(struct dctx *c, json_t *v, uint32_t *ret);
int decode_string(struct dctx *c, json_t *v, const char **ret);
int decode_strv(struct dctx *c, json_t *v, const char ***ret, size_t *ret_n);

/* decode_sched.c: how the process runs. Into struct spec_process: */
int decode_scheduler(struct dctx *c, json_t *v, void *base);
int decode_io_priority(struct dctx *c, json_t *v, void *base);
int decode_exec_cpu_affinity(struct dctx *c, json_t *v, void *base);
/* Into struct spec: */
int decode_memory_policy(struct dctx *c, json_t *v, void *base);
int decode_personality(struct dctx *c, json_t *v, void *base);
