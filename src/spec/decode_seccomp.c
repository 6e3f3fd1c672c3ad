/* linux.seccomp -> struct spec_seccomp. Names of actions and operators are
 * checked here; syscall and architecture names are left to the builder,
 * because only libseccomp knows them. */
#include <string.h>

#include "decode.h"
#include "util/cleanup.h"

static const char *const action_names[] = {
        [SECCOMP_KILL] = "SCMP_ACT_KILL",         [SECCOMP_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
        [SECCOMP_KILL_THREAD] = "SCMP_ACT_KILL_THREAD", [SECCOMP_TRAP] = "SCMP_ACT_TRAP",
        [SECCOMP_ERRNO] = "SCMP_ACT_ERRNO",       [SECCOMP_TRACE] = "SCMP_ACT_TRACE",
        [SECCOMP_ALLOW] = "SCMP_ACT_ALLOW",       [SECCOMP_LOG] = "SCMP_ACT_LOG",
        [SECCOMP_NOTIFY] = "SCMP_ACT_NOTIFY",
};

static const char *const op_names[] = {
        [SECCOMP_OP_NE] = "SCMP_CMP_NE", [SECCOMP_OP_LT] = "SCMP_CMP_LT", [SECCOMP_OP_LE] = "SCMP_CMP_LE",
        [SECCOMP_OP_EQ] = "SCMP_CMP_EQ", [SECCOMP_OP_GE] = "SCMP_CMP_GE", [SECCOMP_OP_GT] = "SCMP_CMP_GT",
        [SECCOMP_OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

const char *seccomp_action_name(int action)
{
        return action >= 0 && (size_t) action < ARRAY_SIZE(action_names) ? action_names[action] : "?";
}

static int lookup(struct dctx *c, json_t *v, const char *const *names, size_t n, const char *what, int *ret)
{
        const char *s;
        int r = decode_string(c, v, &s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (strcmp(names[i], s) == 0) {
                        *ret = (int) i;
                        return 0;
                }
        return dctx_fail(c, "unknown %s \"%s\"", what, s);
}

static int dec_action(struct dctx *c, json_t *v, void *base)
{
        return lookup(c, v, action_names, ARRAY_SIZE(action_names), "seccomp action",
                      &((struct spec_seccomp_rule *) base)->action);
}

static int dec_default_action(struct dctx *c, json_t *v, void *base)
{
        return lookup(c, v, action_names, ARRAY_SIZE(action_names), "seccomp action",
                      &((struct spec_seccomp *) base)->default_action);
}

static int dec_op(struct dctx *c, json_t *v, void *base)
{
        return lookup(c, v, op_names, ARRAY_SIZE(op_names), "seccomp operator",
                      &((struct spec_seccomp_arg *) base)->op);
}

#define OFF(t, m) offsetof(t, m)

static const struct field arg_fields[] = {
        { "index", F_U32, OFF(struct spec_seccomp_arg, index), -1, 0, NULL, NULL },
        { "value", F_U64, OFF(struct spec_seccomp_arg, value), -1, 0, NULL, NULL },
        { "valueTwo", F_U64, OFF(struct spec_seccomp_arg, value_two), -1, 0, NULL, NULL },
        { "op", F_CUSTOM, 0, -1, 0, dec_op, NULL },
        FIELD_END,
};

static int dec_args(struct dctx *c, json_t *v, void *base)
{
        struct spec_seccomp_rule *rule = base;
        if (!json_is_array(v))
                return dctx_fail(c, "expected an array");
        size_t n = json_array_size(v);
        rule->args = spec_alloc(c->spec, (n ? n : 1) * sizeof *rule->args);
        if (!rule->args)
                return carrel_error_set(c->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                size_t old = dctx_push_index(c, i);
                rule->args[i].op = -1;
                int r = decode_object(c, json_array_get(v, i), arg_fields, &rule->args[i]);
                if (r < 0)
                        return r;
                if (rule->args[i].index > 5) {
                        dctx_push_key(c, "index");
                        return dctx_fail(c, "%u is out of range (0..5)", rule->args[i].index);
                }
                if (rule->args[i].op < 0) {
                        dctx_push_key(c, "op");
                        return dctx_fail(c, "is required");
                }
                dctx_pop(c, old);
        }
        rule->n_args = n;
        return 0;
}

static const struct field rule_fields[] = {
        { "names", F_STRV, OFF(struct spec_seccomp_rule, names), -1, OFF(struct spec_seccomp_rule, n_names), NULL, NULL },
        { "action", F_CUSTOM, 0, -1, 0, dec_action, NULL },
        { "errnoRet", F_U32, OFF(struct spec_seccomp_rule, errno_ret), OFF(struct spec_seccomp_rule, has_errno_ret), 0,
          NULL, NULL },
        { "args", F_CUSTOM, 0, -1, 0, dec_args, NULL },
        FIELD_END,
};

static int dec_rules(struct dctx *c, json_t *v, void *base)
{
        struct spec_seccomp *sc = base;
        if (!json_is_array(v))
                return dctx_fail(c, "expected an array");
        size_t n = json_array_size(v);
        sc->rules = spec_alloc(c->spec, (n ? n : 1) * sizeof *sc->rules);
        if (!sc->rules)
                return carrel_error_set(c->err, ENOMEM, "out of memory");
        for (size_t i = 0; i < n; i++) {
                size_t old = dctx_push_index(c, i);
                struct spec_seccomp_rule *rule = &sc->rules[i];
                rule->action = -1;
                int r = decode_object(c, json_array_get(v, i), rule_fields, rule);
                if (r < 0)
                        return r;
                if (rule->action < 0) {
                        dctx_push_key(c, "action");
                        return dctx_fail(c, "is required");
                }
                if (!rule->names) {
                        rule->names = spec_alloc(c->spec, sizeof *rule->names);
                        if (!rule->names)
                                return carrel_error_set(c->err, ENOMEM, "out of memory");
                }
                dctx_pop(c, old);
        }
        sc->n_rules = n;
        return 0;
}

static const struct field seccomp_fields[] = {
        { "defaultAction", F_CUSTOM, 0, -1, 0, dec_default_action, NULL },
        { "defaultErrnoRet", F_U32, OFF(struct spec_seccomp, default_errno_ret),
          OFF(struct spec_seccomp, has_default_errno_ret), 0, NULL, NULL },
        { "architectures", F_STRV, OFF(struct spec_seccomp, architectures), -1,
          OFF(struct spec_seccomp, n_architectures), NULL, NULL },
        { "flags", F_STRV, OFF(struct spec_seccomp, flags), -1, OFF(struct spec_seccomp, n_flags), NULL, NULL },
        { "listenerPath", F_STRING, OFF(struct spec_seccomp, listener_path), -1, 0, NULL, NULL },
        { "listenerMetadata", F_STRING, OFF(struct spec_seccomp, listener_metadata), -1, 0, NULL, NULL },
        { "syscalls", F_CUSTOM, 0, -1, 0, dec_rules, NULL },
        FIELD_END,
};

int decode_seccomp(struct dctx *c, json_t *v, void *base)
{
        struct spec *s = base;
        struct spec_seccomp *sc = spec_alloc(c->spec, sizeof *sc);
        if (!sc)
                return carrel_error_set(c->err, ENOMEM, "out of memory");
        sc->default_action = -1;
        int r = decode_object(c, v, seccomp_fields, sc);
        if (r < 0)
                return r;
        if (sc->default_action < 0) {
                dctx_push_key(c, "defaultAction");
                return dctx_fail(c, "is required");
        }
        static const char *const known_flags[] = { "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                                                   "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                                   "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV" };
        for (size_t i = 0; i < sc->n_flags; i++) {
                bool known = false;
                for (size_t j = 0; j < ARRAY_SIZE(known_flags); j++)
                        known |= strcmp(sc->flags[i], known_flags[j]) == 0;
                if (!known) {
                        dctx_push_key(c, "flags");
                        dctx_push_index(c, i);
                        return dctx_fail(c, "unknown seccomp flag \"%s\"", sc->flags[i]);
                }
        }
        bool notify = sc->default_action == SECCOMP_NOTIFY;
        for (size_t i = 0; i < sc->n_rules; i++)
                notify |= sc->rules[i].action == SECCOMP_NOTIFY;
        if (notify && (!sc->listener_path || !*sc->listener_path)) {
                dctx_push_key(c, "listenerPath");
                return dctx_fail(c, "is required when an action is SCMP_ACT_NOTIFY");
        }
        if (sc->default_action == SECCOMP_NOTIFY) {
                dctx_push_key(c, "defaultAction");
                return dctx_fail(c, "SCMP_ACT_NOTIFY cannot be the default action");
        }
        s->seccomp = sc;
        return 0;
}
