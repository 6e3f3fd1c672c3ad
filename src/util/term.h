/* What a terminal relay (run's proxy, carrel console) sets up. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <termios.h>

/* Block the `n` signals in `sigs` and return a signalfd (CLOEXEC) that
 * receives them, or -errno. */
int signals_to_fd(const int *sigs, size_t n);

/* When `fd` is a terminal: save its modes in *ret_saved and put it in raw
 * mode. True when it is raw now and needs tcsetattr(fd, TCSANOW, ret_saved)
 * at the end. */
bool term_make_raw(int fd, struct termios *ret_saved);
