/* Error and debug output: one line on stderr, and with --log a text or JSON
 * line per message in the log file ({"level":...,"msg":...,"time":...}). */
#pragma once

#include <stdbool.h>

enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* Returns 0 or -errno when the log file cannot be opened. */
int log_setup(const char *path, enum log_format format, bool debug);
bool log_debug_enabled(void);

void log_error(const char *msg);
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* RFC 3339 time with nanoseconds, UTC, into buf (at least 40 bytes). */
void log_timestamp(char *buf, unsigned long size);
