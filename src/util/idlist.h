/* CPU and NUMA node lists as the kernel prints them: "0-3,7,9-10". Pure. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Set bit n of `bits` (n_words 64-bit words, zeroed first) for every id in
 * `list`. Returns the highest id + 1, or -EINVAL for bad syntax, -ERANGE for
 * an id that does not fit. An empty list is valid (returns 0). */
int idlist_parse(const char *list, uint64_t *bits, size_t n_words);
