/*
 * text.c — text that goes into results must be valid UTF-8 JSON strings:
 * model output (random or byte-level tokens can end mid-sequence) is copied
 * with every invalid byte sequence replaced by U+FFFD.
 *
 * Invariant: the result is always valid UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF) and NUL-terminated; valid input is copied unchanged.
 */
#include <stdlib.h>
#include <string.h>

#include "results/results.h"

/* Length of the valid UTF-8 sequence at p (1..4), or 0 when invalid. */
static int valid_sequence(const unsigned char *p)
{
    if (p[0] < 0x80)
        return 1;
    int len = p[0] >= 0xF0 ? 4 : p[0] >= 0xE0 ? 3 : p[0] >= 0xC2 ? 2 : 0;
    if (len == 0 || p[0] > 0xF4)
        return 0;
    for (int i = 1; i < len; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    if (len == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
        return 0; /* overlong or surrogate */
    if (len == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
        return 0; /* overlong or above U+10FFFF */
    return len;
}

char *res_utf8_sanitize(const char *text)
{
    size_t n = strlen(text);
    char *out = malloc(n * 3 + 1);
    if (!out)
        return NULL;
    const unsigned char *p = (const unsigned char *)text;
    size_t o = 0;
    while (*p) {
        int len = valid_sequence(p);
        if (len > 0) {
            memcpy(out + o, p, (size_t)len);
            o += (size_t)len;
            p += len;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            p++;
        }
    }
    out[o] = '\0';
    return out;
}
