/* Per-tenant user-namespace id ranges: 65536 host ids per container from a
 * pool (the `carrel` entries of /etc/subuid and /etc/subgid, or a built-in
 * default), allocated under a lock in --root so parallel creates never
 * collide, freed on delete. Host id 0 is never handed out. */
#pragma once

#include <stdint.h>

#include "carrel/error.h"

#define IDRANGE_SIZE 65536U
/* Used when /etc/subuid has no carrel entry: ids 2^28 .. 2^28 + 4096 * 65536. */
#define IDRANGE_DEFAULT_START 268435456U
#define IDRANGE_DEFAULT_COUNT (4096U * IDRANGE_SIZE)

struct id_range {
        int slot;
        uint32_t uid_start, gid_start;
};

/* The pool from a subuid/subgid file (pure parsing of `text`): the first
 * "carrel:START:COUNT" line. Returns 0, or -ENOENT when there is none. */
int idrange_parse_pool(const char *text, uint32_t *ret_start, uint32_t *ret_count);

/* A slot is a file --root/.userns/<slot> holding its owner's id, made with
 * O_EXCL under a lock. A slot that is empty (its create was killed while
 * writing it) or whose owner has no state directory any more is reclaimed;
 * one already owned by `id` is reused. */
int idrange_alloc(const char *root, const char *id, struct id_range *ret, struct carrel_error *err);
/* Free a slot (-1: none). -errno if it could not be removed. */
int idrange_free(const char *root, int slot);
/* Free every slot owned by `id` (a create killed before it recorded its
 * slot), and every empty one (a create killed while writing it). */
int idrange_free_owner(const char *root, const char *id);
