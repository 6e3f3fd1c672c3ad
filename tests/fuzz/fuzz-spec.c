/* libFuzzer target: the spec decoder and validator must accept or refuse
 * any bytes without crashing, leaking or reading out of bounds. */
#include <stddef.h>
#include <stdint.h>

#include "carrel/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct carrel_error err = { 0 };
        struct spec *s = NULL;
        if (spec_decode((const char *) data, size, "config.json", &s, &err) == 0) {
                spec_validate(s, "config.json", &err);
                spec_free(s);
        }
        return 0;
}
