/* The v1 devices controller: linux.resources.devices onto devices.allow and
 * devices.deny. The rules are ordered (the last match wins, no match
 * denies). A cgroup that already denies by default (a running container's,
 * on update) gets only the difference between what devices.list allows and
 * what the rules allow, added before removed: the workload never sees a
 * device it keeps lose access for a moment, as it would with a reset to
 * deny-all and the allows written again. Anything else (a new cgroup, which
 * allows all, or rules that allow all) is reset and written rule by rule. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup/internal.h"
#include "util/cleanup.h"
#include "util/fd.h"

enum { ACC_R = 1, ACC_W = 2, ACC_M = 4 };

struct dev_exception {
        char type; /* 'c' or 'b' */
        int64_t major, minor; /* -1 = any */
        unsigned access;
};

struct dev_state {
        bool allow_all; /* the default */
        struct dev_exception *v;
        size_t n, cap;
};

static unsigned access_bits(const char *s)
{
        unsigned a = 0;
        for (; *s; s++)
                a |= *s == 'r' ? ACC_R : *s == 'w' ? ACC_W : *s == 'm' ? ACC_M : 0;
        return a;
}

static void access_text(unsigned a, char out[4])
{
        int i = 0;
        if (a & ACC_R)
                out[i++] = 'r';
        if (a & ACC_W)
                out[i++] = 'w';
        if (a & ACC_M)
                out[i++] = 'm';
        out[i] = '\0';
}

static struct dev_exception *find(struct dev_state *st, char type, int64_t major, int64_t minor)
{
        for (size_t i = 0; i < st->n; i++)
                if (st->v[i].type == type && st->v[i].major == major && st->v[i].minor == minor)
                        return &st->v[i];
        return NULL;
}

/* The kernel's list operations: add merges the access bits of the same
 * type:major:minor, remove takes bits away (and the entry with the last). */
static int ex_add(struct dev_state *st, char type, int64_t major, int64_t minor, unsigned access)
{
        struct dev_exception *e = find(st, type, major, minor);
        if (e) {
                e->access |= access;
                return 0;
        }
        if (st->n == st->cap) {
                size_t cap = st->cap ? st->cap * 2 : 16;
                struct dev_exception *v = realloc(st->v, cap * sizeof *v);
                if (!v)
                        return -ENOMEM;
                st->v = v;
                st->cap = cap;
        }
        st->v[st->n++] = (struct dev_exception) { type, major, minor, access };
        return 0;
}

static void ex_remove(struct dev_state *st, char type, int64_t major, int64_t minor, unsigned access)
{
        struct dev_exception *e = find(st, type, major, minor);
        if (e && !(e->access &= ~access))
                *e = st->v[--st->n];
}

/* What the rules leave, as the kernel would after a reset to deny-all. */
static int emulate(const struct spec_device_rule *rules, size_t n, struct dev_state *st)
{
        for (size_t i = 0; i < n; i++) {
                const struct spec_device_rule *d = &rules[i];
                unsigned acc = access_bits(d->access);
                if (d->type == 'a' && d->major < 0 && d->minor < 0 && acc == (ACC_R | ACC_W | ACC_M)) {
                        st->allow_all = d->allow;
                        st->n = 0;
                        continue;
                }
                for (const char *t = d->type == 'a' ? "cb" : (char[]) { d->type, '\0' }; *t; t++) {
                        /* an allow adds to a deny-all list, a deny to an allow-all one */
                        if (d->allow != st->allow_all) {
                                if (ex_add(st, *t, d->major, d->minor, acc) < 0)
                                        return -ENOMEM;
                        } else {
                                ex_remove(st, *t, d->major, d->minor, acc);
                        }
                }
        }
        return 0;
}

static int64_t number_or_any(const char *s, char **end)
{
        if (*s == '*') {
                *end = (char *) s + 1;
                return -1;
        }
        return strtoll(s, end, 10);
}

/* devices.list: "a *:* rwm" alone for allow-all, else the exceptions. */
static int parse_list(const char *text, struct dev_state *st)
{
        for (const char *line = text; *line;) {
                const char *nl = strchrnul(line, '\n');
                if (nl > line) {
                        char type = line[0];
                        char *end;
                        if ((type != 'a' && type != 'c' && type != 'b') || line[1] != ' ')
                                return -EINVAL;
                        int64_t major = number_or_any(line + 2, &end);
                        if (*end != ':')
                                return -EINVAL;
                        int64_t minor = number_or_any(end + 1, &end);
                        if (*end != ' ')
                                return -EINVAL;
                        char acc[8] = "";
                        snprintf(acc, sizeof acc, "%.*s", (int) (nl - end - 1), end + 1);
                        if (type == 'a')
                                st->allow_all = true;
                        else if (ex_add(st, type, major, minor, access_bits(acc)) < 0)
                                return -ENOMEM;
                }
                line = *nl ? nl + 1 : nl;
        }
        return 0;
}

static void ex_text(char type, int64_t major, int64_t minor, unsigned access, char *buf, size_t size)
{
        char maj[24] = "*", min[24] = "*", acc[4];
        if (major >= 0)
                snprintf(maj, sizeof maj, "%lld", (long long) major);
        if (minor >= 0)
                snprintf(min, sizeof min, "%lld", (long long) minor);
        access_text(access, acc);
        snprintf(buf, size, "%c %s:%s %s", type, maj, min, acc);
}

static int write_rule(int fd, const char *file, const char *text, const char *where, struct carrel_error *err)
{
        int r = write_file_at(fd, file, text);
        if (r < 0)
                return carrel_error_set(err, -r, "linux.resources.devices%s: cannot write \"%s\" to %s: %s", where,
                                        text, file, strerror(-r));
        return 0;
}

/* Write to `file` the access each exception of `a` has beyond the same one in `b`. */
static int write_beyond(int fd, const char *file, const struct dev_state *a, const struct dev_state *b,
                        struct carrel_error *err)
{
        char text[96];
        for (size_t i = 0; i < a->n; i++) {
                const struct dev_exception *x = &a->v[i];
                const struct dev_exception *y = find((struct dev_state *) b, x->type, x->major, x->minor);
                unsigned bits = x->access & ~(y ? y->access : 0);
                if (!bits)
                        continue;
                ex_text(x->type, x->major, x->minor, bits, text, sizeof text);
                int r = write_rule(fd, file, text, "", err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* From the current exceptions to the wanted ones: the new access first. */
static int apply_diff(int fd, const struct dev_state *cur, const struct dev_state *want, struct carrel_error *err)
{
        int r = write_beyond(fd, "devices.allow", want, cur, err);
        return r < 0 ? r : write_beyond(fd, "devices.deny", cur, want, err);
}

/* Reset to deny-all, then each rule in order ("a" to devices.deny resets; from
 * there an allow adds an exception and a deny takes it away, and the other way
 * round after an allow-all). A rule of type "a" that is not all of rwm is split
 * into c and b. */
static int apply_reset(int fd, const struct spec_device_rule *rules, size_t n, struct carrel_error *err)
{
        int r = write_rule(fd, "devices.deny", "a", "", err);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                const struct spec_device_rule *d = &rules[i];
                const char *file = d->allow ? "devices.allow" : "devices.deny";
                char where[32], text[96];
                snprintf(where, sizeof where, "[%zu]", i);
                if (d->type == 'a' && d->major < 0 && d->minor < 0 && strlen(d->access) == 3) {
                        if ((r = write_rule(fd, file, "a", where, err)) < 0)
                                return r;
                        continue;
                }
                for (const char *t = d->type == 'a' ? "cb" : (char[]) { d->type, '\0' }; *t; t++) {
                        ex_text(*t, d->major, d->minor, access_bits(d->access), text, sizeof text);
                        if ((r = write_rule(fd, file, text, where, err)) < 0)
                                return r;
                }
        }
        return 0;
}

int cgroup_v1_devices_apply(int fd, const struct spec_device_rule *rules, size_t n, struct carrel_error *err)
{
        struct dev_state want = { 0 }, cur = { 0 };
        if (emulate(rules, n, &want) < 0) {
                free(want.v);
                return carrel_error_set(err, ENOMEM, "out of memory");
        }
        char list[65536];
        ssize_t got = read_file_at(fd, "devices.list", list, sizeof list);
        bool diff = !want.allow_all && got >= 0 && (size_t) got < sizeof list - 1 &&
                    parse_list(list, &cur) == 0 && !cur.allow_all;
        int r = diff ? apply_diff(fd, &cur, &want, err) : apply_reset(fd, rules, n, err);
        free(want.v);
        free(cur.v);
        return r;
}
