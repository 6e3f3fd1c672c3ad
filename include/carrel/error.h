/* One error convention: functions return 0 or a negative errno, and the
 * human-readable reason is written once, at the source, into a
 * struct carrel_error that the caller passes down. */
#pragma once

#include <errno.h>
#include <stdarg.h>

#define CARREL_ERROR_MAX 1024

struct carrel_error {
        int code;                    /* positive errno, 0 = no error recorded */
        char msg[CARREL_ERROR_MAX];  /* complete message, no trailing newline */
};

/* Record an error and return -code (code is a positive errno; 0 becomes EINVAL).
 * Only the first error is kept: later calls return -code but leave msg alone,
 * so the message written at the source survives every layer above it. */
int carrel_error_set(struct carrel_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Like carrel_error_set, with ": strerror(code)" appended. */
int carrel_error_errno(struct carrel_error *err, int code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Prefix an already recorded message with more context ("create: ..."). */
void carrel_error_prefix(struct carrel_error *err, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static inline void carrel_error_clear(struct carrel_error *err)
{
        err->code = 0;
        err->msg[0] = '\0';
}
