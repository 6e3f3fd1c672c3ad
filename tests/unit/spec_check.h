/* Decode and validate config.json text, as `carrel create` does before it
 * changes anything: the spec, or NULL with the reason in *err. */
#pragma once

#include <string.h>

#include "carrel/spec.h"

static inline struct spec *spec_check_text(const char *text, struct carrel_error *err)
{
        struct spec *s = NULL;
        carrel_error_clear(err);
        if (spec_decode(text, strlen(text), "config.json", &s, err) < 0)
                return NULL;
        if (spec_validate(s, "config.json", err) < 0) {
                spec_free(s);
                return NULL;
        }
        return s;
}
