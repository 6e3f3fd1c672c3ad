#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
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

/* `msg` in double quotes, with \\, \", \n, \t and other control bytes escaped
 * (the text format's msg="..."). */
static void quote(const char *msg, char *out, size_t size)
{
        size_t o = 0;
        if (size < 8)
                return;
        out[o++] = '"';
        for (const unsigned char *p = (const unsigned char *) msg; *p && o + 6 < size; p++) {
                if (*p == '"' || *p == '\\') {
                        out[o++] = '\\';
                        out[o++] = (char) *p;
                } else if (*p == '\n') {
                        out[o++] = '\\';
                        out[o++] = 'n';
                } else if (*p == '\t') {
                        out[o++] = '\\';
                        out[o++] = 't';
                } else if (*p < 0x20 || *p == 0x7f) {
                        o += (size_t) snprintf(out + o, size - o, "\\x%02x", *p);
                } else {
                        out[o++] = (char) *p;
                }
        }
        out[o++] = '"';
        out[o] = '\0';
}

/* One line as runc's text log has it: time="..." level=... msg="...". */
static void text_line(int fd, const char *level, const char *msg)
{
        char ts[64], q[4200];
        log_timestamp(ts, sizeof ts);
        quote(msg, q, sizeof q);
        dprintf(fd, "time=\"%s\" level=%s msg=%s\n", ts, level, q);
}

/* Write one line to the log file, if there is one. */
static void emit(const char *level, const char *msg)
{
        if (log_fd < 0)
                return;
        if (log_fmt == LOG_FORMAT_JSON) {
                char ts[64];
                log_timestamp(ts, sizeof ts);
                json_t *o = json_pack("{s:s,s:s,s:s}", "level", level, "msg", msg, "time", ts);
                char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
                if (line)
                        dprintf(log_fd, "%s\n", line);
                free(line);
                json_decref(o);
        } else {
                text_line(log_fd, level, msg);
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
        char msg[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        /* without --log, on stderr in the text format */
        if (log_fd < 0)
                text_line(STDERR_FILENO, "debug", msg);
        emit("debug", msg);
}
