#include "carrel/error.h"

#include <stdio.h>
#include <string.h>

static int record(struct carrel_error *err, int code, int with_errno, const char *fmt, va_list ap)
{
        if (code <= 0)
                code = code < 0 ? -code : EINVAL;
        if (!err)
                return -code;
        if (err->code != 0)
                return -code;
        err->code = code;
        int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        if (with_errno && n >= 0 && (size_t) n < sizeof err->msg)
                snprintf(err->msg + n, sizeof err->msg - n, ": %s", strerror(code));
        return -code;
}

int carrel_error_set(struct carrel_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = record(err, code, 0, fmt, ap);
        va_end(ap);
        return r;
}

int carrel_error_errno(struct carrel_error *err, int code, const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        int r = record(err, code, 1, fmt, ap);
        va_end(ap);
        return r;
}

void carrel_error_prefix(struct carrel_error *err, const char *fmt, ...)
{
        char prefix[256], old[CARREL_ERROR_MAX];
        va_list ap;

        if (!err || err->code == 0)
                return;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, ap);
        va_end(ap);
        memcpy(old, err->msg, sizeof old);
        size_t n = strlen(prefix);
        if (n + 2 >= sizeof err->msg)
                return;
        memcpy(err->msg, prefix, n);
        memcpy(err->msg + n, ": ", 2);
        snprintf(err->msg + n + 2, sizeof err->msg - n - 2, "%.*s", (int) (sizeof err->msg - n - 3), old);
}
