/* The table walker behind spec decoding, and the arena that owns its arrays. */
#include "decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena {
        void **ptrs;
        size_t n, cap;
};

void *spec_alloc(struct spec *s, size_t size)
{
        struct arena *a = s->arena;
        if (!a) {
                a = calloc(1, sizeof *a);
                if (!a)
                        return NULL;
                s->arena = a;
        }
        if (a->n == a->cap) {
                size_t cap = a->cap ? a->cap * 2 : 16;
                void **p = realloc(a->ptrs, cap * sizeof *p);
                if (!p)
                        return NULL;
                a->ptrs = p;
                a->cap = cap;
        }
        void *mem = calloc(1, size ? size : 1);
        if (!mem)
                return NULL;
        a->ptrs[a->n++] = mem;
        return mem;
}

void spec_free(struct spec *s)
{
        if (!s)
                return;
        struct arena *a = s->arena;
        if (a) {
                for (size_t i = 0; i < a->n; i++)
                        free(a->ptrs[i]);
                free(a->ptrs);
                free(a);
        }
        json_decref(s->json);
        json_decref(s->process_json);
        free(s);
}

size_t dctx_push_key(struct dctx *c, const char *key)
{
        size_t old = c->path_len;
        int n = snprintf(c->path + old, sizeof c->path - old, "%s%s", old ? "." : "", key);
        if (n > 0 && old + (size_t) n < sizeof c->path)
                c->path_len = old + (size_t) n;
        return old;
}

size_t dctx_push_index(struct dctx *c, size_t i)
{
        size_t old = c->path_len;
        int n = snprintf(c->path + old, sizeof c->path - old, "[%zu]", i);
        if (n > 0 && old + (size_t) n < sizeof c->path)
                c->path_len = old + (size_t) n;
        return old;
}

void dctx_pop(struct dctx *c, size_t old_len)
{
        c->path_len = old_len;
        c->path[old_len] = '\0';
}

/* "origin: path: reason" (or "origin: reason" at the top) into out. */
static void vformat_at(struct dctx *c, char *out, size_t size, const char *fmt, va_list ap)
{
        char reason[512];
        vsnprintf(reason, sizeof reason, fmt, ap);
        if (c->path_len)
                snprintf(out, size, "%s: %s: %s", c->origin, c->path, reason);
        else
                snprintf(out, size, "%s: %s", c->origin, reason);
}

int dctx_fail(struct dctx *c, const char *fmt, ...)
{
        char msg[1536];
        va_list ap;
        va_start(ap, fmt);
        vformat_at(c, msg, sizeof msg, fmt, ap);
        va_end(ap);
        return carrel_error_set(c->err, EINVAL, "%s", msg);
}

static void add_warning(struct spec *s, const char *msg)
{
        const char **w = spec_alloc(s, (s->n_warnings + 1) * sizeof *w);
        char *copy = spec_alloc(s, strlen(msg) + 1);
        if (!w || !copy)
                return; /* a warning lost to an allocation failure is not worth failing for */
        if (s->n_warnings)
                memcpy(w, s->warnings, s->n_warnings * sizeof *w);
        w[s->n_warnings++] = strcpy(copy, msg);
        s->warnings = w;
}

void spec_warn(struct spec *s, const char *fmt, ...)
{
        char msg[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        add_warning(s, msg);
}

void dctx_warn(struct dctx *c, const char *fmt, ...)
{
        char msg[1536];
        va_list ap;
        va_start(ap, fmt);
        vformat_at(c, msg, sizeof msg, fmt, ap);
        va_end(ap);
        add_warning(c->spec, msg);
}

static const char *type_name(json_t *v)
{
        switch (json_typeof(v)) {
        case JSON_OBJECT: return "an object";
        case JSON_ARRAY: return "an array";
        case JSON_STRING: return "a string";
        case JSON_INTEGER: return "an integer";
        case JSON_REAL: return "a number";
        case JSON_TRUE:
        case JSON_FALSE: return "a boolean";
        case JSON_NULL: return "null";
        }
        return "unknown";
}

int decode_string(struct dctx *c, json_t *v, const char **ret)
{
        if (!json_is_string(v))
                return dctx_fail(c, "expected a string, got %s", type_name(v));
        const char *s = json_string_value(v);
        if (strlen(s) != json_string_length(v))
                return dctx_fail(c, "string contains a NUL byte");
        *ret = s;
        return 0;
}

int decode_u32(struct dctx *c, json_t *v, uint32_t *ret)
{
        if (!json_is_integer(v))
                return dctx_fail(c, "expected an integer, got %s", type_name(v));
        json_int_t i = json_integer_value(v);
        if (i < 0 || i > UINT32_MAX)
                return dctx_fail(c, "%lld is out of range (0..4294967295)", (long long) i);
        *ret = (uint32_t) i;
        return 0;
}

int decode_id(struct dctx *c, json_t *v, uint32_t *ret)
{
        int r = decode_u32(c, v, ret);
        if (r == 0 && *ret == UINT32_MAX)
                return dctx_fail(c, "4294967295 is not a valid id (it is (uid_t)-1, \"no change\" to the kernel)");
        return r;
}

int decode_strv(struct dctx *c, json_t *v, const char ***ret, size_t *ret_n)
{
        if (!json_is_array(v))
                return dctx_fail(c, "expected an array of strings, got %s", type_name(v));
        size_t n = json_array_size(v);
        const char **out = spec_alloc(c->spec, (n + 1) * sizeof *out);
        if (!out)
                return carrel_error_set(c->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                size_t old = dctx_push_index(c, i);
                int r = decode_string(c, json_array_get(v, i), &out[i]);
                if (r < 0)
                        return r;
                dctx_pop(c, old);
        }
        *ret = out;
        *ret_n = n;
        return 0;
}

static int decode_field(struct dctx *c, const struct field *f, json_t *v, void *base)
{
        char *p = (char *) base + f->offset;
        switch (f->kind) {
        case F_STRING:
                return decode_string(c, v, (const char **) p);
        case F_BOOL:
                if (!json_is_boolean(v))
                        return dctx_fail(c, "expected a boolean, got %s", type_name(v));
                *(bool *) p = json_is_true(v);
                return 0;
        case F_U32:
                return decode_u32(c, v, (uint32_t *) p);
        case F_ID:
                return decode_id(c, v, (uint32_t *) p);
        case F_I32:
                if (!json_is_integer(v))
                        return dctx_fail(c, "expected an integer, got %s", type_name(v));
                if (json_integer_value(v) < INT32_MIN || json_integer_value(v) > INT32_MAX)
                        return dctx_fail(c, "%lld is out of range", (long long) json_integer_value(v));
                *(int *) p = (int) json_integer_value(v);
                return 0;
        case F_I64:
                if (!json_is_integer(v))
                        return dctx_fail(c, "expected an integer, got %s", type_name(v));
                *(int64_t *) p = json_integer_value(v);
                return 0;
        case F_U64:
                if (!json_is_integer(v))
                        return dctx_fail(c, "expected an integer, got %s", type_name(v));
                if (json_integer_value(v) < 0)
                        return dctx_fail(c, "%lld is negative", (long long) json_integer_value(v));
                *(uint64_t *) p = (uint64_t) json_integer_value(v);
                return 0;
        case F_STRV:
                return decode_strv(c, v, (const char ***) p, (size_t *) ((char *) base + f->aux));
        case F_OBJECT:
                return decode_object(c, v, f->sub, base);
        case F_CUSTOM:
                return f->fn(c, v, base);
        }
        return dctx_fail(c, "internal error: bad field kind");
}

int decode_object(struct dctx *c, json_t *obj, const struct field *table, void *base)
{
        if (!json_is_object(obj))
                return dctx_fail(c, "expected an object, got %s", type_name(obj));
        for (const struct field *f = table; f->key; f++) {
                json_t *v = json_object_get(obj, f->key);
                if (!v)
                        continue;
                size_t old = dctx_push_key(c, f->key);
                /* An explicit null is treated as absent, as Go's decoder does for runc. */
                if (!json_is_null(v)) {
                        int r = decode_field(c, f, v, base);
                        if (r < 0)
                                return r;
                        if (f->has_offset >= 0)
                                *(bool *) ((char *) base + f->has_offset) = true;
                }
                dctx_pop(c, old);
        }
        return 0;
}
