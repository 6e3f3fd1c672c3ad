#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1;
static enum log_format log_fmt = LOG_FORMAT_TEXT;
static bool log_dbg;

int log_setup(const char *path, enum log_format format, bool debug)
{
        log_fmt = format;
        log_dbg = debug;
        if (!path)
                return 0;
        log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        return log_fd < 0 ? -errno : 0;
}

bool log_debug_enabled(void)
{
        return log_dbg;
}

void log_timestamp(char *buf, unsigned long size)
{
        struct timespec ts;
        struct tm tm;
        clock_gettime(CLOCK_REALTIME, &ts);
        gmtime_r(&ts.tv_sec, &tm);
        size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
}

/* Write one line to the log file, if there is one. */
static void emit(const char *level, const char *msg)
{
        if (log_fd < 0)
                return;
        char ts[64];
        log_timestamp(ts, sizeof ts);
        if (log_fmt == LOG_FORMAT_JSON) {
                json_t *o = json_pack("{s:s,s:s,s:s}", "level", level, "msg", msg, "time", ts);
                char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
                if (line)
                        dprintf(log_fd, "%s\n", line);
                free(line);
                json_decref(o);
        } else {
                dprintf(log_fd, "%s %s: %s\n", ts, level, msg);
        }
}

void log_error(const char *msg)
{
        dprintf(STDERR_FILENO, "carrel: %s\n", msg);
        emit("error", msg);
}

static void vlog(const char *level, bool to_stderr, const char *fmt, va_list ap)
{
        char msg[1024];
        vsnprintf(msg, sizeof msg, fmt, ap);
        if (to_stderr)
                dprintf(STDERR_FILENO, "carrel: %s: %s\n", level, msg);
        emit(level, msg);
}

void log_warning(const char *fmt, ...)
{
        va_list ap;
        va_start(ap, fmt);
        vlog("warning", true, fmt, ap);
        va_end(ap);
}

void log_debug(const char *fmt, ...)
{
        if (!log_dbg)
                return;
        va_list ap;
        va_start(ap, fmt);
        vlog("debug", log_fd < 0, fmt, ap);
        va_end(ap);
}
