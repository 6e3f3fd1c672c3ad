#pragma once

#include "decode.h"

/* Fill the derived fields of `m` from m->options. */
int mount_options_parse(struct dctx *c, struct spec_mount *m);

/* The i-th option carrel knows (for `features`), NULL past the last. */
const char *mount_option_name(size_t i);

/* "rprivate" -> MS_PRIVATE|MS_REC; 0 if `name` is not a propagation mode. */
unsigned long propagation_from_name(const char *name);
