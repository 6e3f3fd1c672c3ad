#include "util/idlist.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int parse_id(const char **p, unsigned long *ret)
{
        if (!isdigit((unsigned char) **p))
                return -EINVAL;
        char *end;
        errno = 0;
        *ret = strtoul(*p, &end, 10);
        if (errno)
                return -ERANGE;
        *p = end;
        return 0;
}

int idlist_parse(const char *list, uint64_t *bits, size_t n_words)
{
        memset(bits, 0, n_words * sizeof *bits);
        const char *p = list;
        int top = 0;
        while (*p) {
                unsigned long lo, hi;
                if (parse_id(&p, &lo) < 0)
                        return -EINVAL;
                hi = lo;
                if (*p == '-') {
                        p++;
                        if (parse_id(&p, &hi) < 0 || hi < lo)
                                return -EINVAL;
                }
                if (*p == ',' && p[1])
                        p++;
                else if (*p)
                        return -EINVAL;
                if (hi >= n_words * 64)
                        return -ERANGE;
                for (unsigned long i = lo; i <= hi; i++)
                        bits[i / 64] |= 1ULL << (i % 64);
                if ((int) hi + 1 > top)
                        top = (int) hi + 1;
        }
        return top;
}
