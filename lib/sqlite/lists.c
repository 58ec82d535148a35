/* lists.c - lists of strings as JSON arrays (see lists.h). */
#include "lists.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sq_buf_reserve(sq_buf *b, size_t more)
{
    if (b->cap - b->n >= more)
        return 0;
    if (more > SIZE_MAX / 2 - b->n)
        return -1; /* no buffer is that large (and doubling cap would wrap to 0) */
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->n < more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

void sq_buf_free(sq_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}

static int put(sq_buf *b, const char *s, size_t n)
{
    if (sq_buf_reserve(b, n))
        return -1;
    memcpy(b->p + b->n, s, n);
    b->n += n;
    return 0;
}

int sq_list_encode(sq_buf *b, const char *const *items, const size_t *lens, size_t n)
{
    if (put(b, "[", 1))
        return -1;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *s = (const unsigned char *)items[i];
        size_t len = lens ? lens[i] : strlen(items[i]);
        if ((i && put(b, ",", 1)) || put(b, "\"", 1))
            return -1;
        for (size_t k = 0; k < len; k++) {
            char esc[8];
            size_t en = 0;
            switch (s[k]) {
            case '"':
                en = (size_t)snprintf(esc, sizeof esc, "\\\"");
                break;
            case '\\':
                en = (size_t)snprintf(esc, sizeof esc, "\\\\");
                break;
            case '\n':
                en = (size_t)snprintf(esc, sizeof esc, "\\n");
                break;
            case '\t':
                en = (size_t)snprintf(esc, sizeof esc, "\\t");
                break;
            case '\r':
                en = (size_t)snprintf(esc, sizeof esc, "\\r");
                break;
            default:
                if (s[k] < 0x20)
                    en = (size_t)snprintf(esc, sizeof esc, "\\u%04x", s[k]);
            }
            if (en ? put(b, esc, en) : put(b, (const char *)&s[k], 1))
                return -1;
        }
        if (put(b, "\"", 1))
            return -1;
    }
    return put(b, "]", 1);
}

static void skip_ws(const char **p, const char *end)
{
    while (*p < end && (**p == ' ' || **p == '\t' || **p == '\n' || **p == '\r'))
        (*p)++;
}

static int hex4(const char *p, const char *end, unsigned *v)
{
    if (end - p < 4)
        return -1;
    *v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d = c >= '0' && c <= '9'   ? (unsigned)(c - '0')
                     : c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10)
                     : c >= 'A' && c <= 'F' ? (unsigned)(c - 'A' + 10)
                                            : 16u;
        if (d > 15)
            return -1;
        *v = *v * 16 + d;
    }
    return 0;
}

/* Append code point cp as UTF-8. */
static int put_utf8(sq_buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return put(b, u, n);
}

/* One string after its opening quote; *p ends after the closing quote. */
static int decode_string(const char **p, const char *end, sq_buf *text)
{
    while (*p < end && **p != '"') {
        char c = *(*p)++;
        if ((unsigned char)c < 0x20)
            return -1;
        if (c != '\\') {
            if (put(text, &c, 1))
                return -2;
            continue;
        }
        if (*p == end)
            return -1;
        char e = *(*p)++;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (simple && e) {
            static const char out[] = "\"\\/\b\f\n\r\t";
            char o = out[simple - "\"\\/bfnrt"];
            if (put(text, &o, 1))
                return -2;
            continue;
        }
        unsigned cp, lo;
        if (e != 'u' || hex4(*p, end, &cp))
            return -1;
        *p += 4;
        if (cp >= 0xD800 && cp < 0xDC00) {
            if (end - *p < 6 || (*p)[0] != '\\' || (*p)[1] != 'u' || hex4(*p + 2, end, &lo) ||
                lo < 0xDC00 || lo > 0xDFFF)
                return -1;
            *p += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
            return -1;
        }
        if (cp == 0)
            return -1; /* no NUL inside a text */
        if (put_utf8(text, cp))
            return -2;
    }
    if (*p == end)
        return -1;
    (*p)++;
    return 0;
}

long sq_list_decode(const char *json, size_t len, sq_buf *text, sq_buf *meta)
{
    const char *p = json, *end = json + len;
    long n = 0;
    skip_ws(&p, end);
    if (p == end || *p++ != '[')
        return -1;
    skip_ws(&p, end);
    if (p < end && *p == ']') {
        p++;
    } else {
        for (;;) {
            skip_ws(&p, end);
            if (p == end || *p++ != '"')
                return -1;
            size_t start = text->n;
            int rc = decode_string(&p, end, text);
            if (rc)
                return rc;
            size_t item[2] = {start, text->n - start};
            if (put(text, "", 1) || put(meta, (const char *)item, sizeof item))
                return -2;
            n++;
            skip_ws(&p, end);
            if (p < end && *p == ',') {
                p++;
                continue;
            }
            if (p < end && *p == ']') {
                p++;
                break;
            }
            return -1;
        }
    }
    skip_ws(&p, end);
    return p == end ? n : -1;
}
