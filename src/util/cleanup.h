/* Cleanup attributes for fds and memory, with explicit hand-off. */
#pragma once

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void close_fdp(int *fd)
{
        if (*fd >= 0) {
                int saved = errno;
                close(*fd); /* never retried on EINTR */
                errno = saved;
        }
}

static inline void freep(void *p)
{
        free(*(void **) p);
}

static inline void fclosep(FILE **f)
{
        if (*f)
                fclose(*f);
}

static inline void closedirp(DIR **d)
{
        if (*d)
                closedir(*d);
}

/* Free a NULL-terminated vector of strings and the vector. */
static inline void strv_free(char **v)
{
        if (!v)
                return;
        for (char **s = v; *s; s++)
                free(*s);
        free(v);
}

static inline void strv_freep(char ***v)
{
        strv_free(*v);
}

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _cleanup_close_ _cleanup_(close_fdp)
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_fclose_ _cleanup_(fclosep)
#define _cleanup_closedir_ _cleanup_(closedirp)
#define _cleanup_strv_ _cleanup_(strv_freep)

static inline int take_fd(int *fd)
{
        int r = *fd;
        *fd = -1;
        return r;
}

static inline void *take_ptr(void *pp)
{
        void **p = pp;
        void *r = *p;
        *p = NULL;
        return r;
}

#define TAKE_FD(fd) take_fd(&(fd))
#define TAKE_PTR(p) take_ptr(&(p))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
