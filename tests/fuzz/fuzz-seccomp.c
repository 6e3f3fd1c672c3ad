/* libFuzzer target: linux.seccomp from decoder to compiled BPF. The input
 * is the seccomp object itself; it is wrapped into a minimal config. */
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "carrel/spec.h"
#include "linux/seccomp_filter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char head[] = "{\"ociVersion\":\"1.2.0\",\"linux\":{\"seccomp\":";
        char *text = malloc(sizeof head + size + 3);
        if (!text)
                return 0;
        memcpy(text, head, sizeof head - 1);
        memcpy(text + sizeof head - 1, data, size);
        memcpy(text + sizeof head - 1 + size, "}}", 3);
        struct carrel_error err = { 0 };
        struct spec *s = NULL;
        if (spec_decode(text, sizeof head - 1 + size + 2, "config.json", &s, &err) == 0 && s->seccomp) {
                struct seccomp_program p;
                if (seccomp_program_get(s, NULL, &p, &err) == 0)
                        seccomp_program_free(&p);
        }
        spec_free(s);
        free(text);
        return 0;
}
