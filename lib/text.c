/* text.c - argument checks for strings. */
#include "text.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid;
 * *cp receives the code point. */
static size_t utf8_seq(const unsigned char *s, size_t n, unsigned long *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    unsigned long v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
        v = c & 0x1F;
        min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        v = c & 0x0F;
        min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

static int is_control(unsigned long cp, int flags)
{
    if ((flags & CIB__TEXT_MULTILINE) && (cp == '\t' || cp == '\n' || cp == '\r'))
        return 0;
    return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
}

/* Refuses the argument: "invalid argument: 'arg' <what>", where the name
 * reads "arg[index]" for an item of a list. The name is only built here, on
 * the failing path. */
static int text_fail(cib_ctx *ctx, const char *arg, long index, const char *what, size_t at)
{
    char name[96];
    if (index < 0)
        snprintf(name, sizeof name, "%s", arg);
    else
        snprintf(name, sizeof name, "%s[%ld]", arg, index);
    if (at == (size_t)-1)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: '%s' %s", name, what);
    return cib__fail(ctx, CIB_EINVAL, "invalid argument: '%s' %s %zu", name, what, at);
}

int cib__check_text(cib_ctx *ctx, const char *arg, long index, const char *p, size_t n, size_t max,
                    int flags, cib__str *out)
{
    out->p = NULL;
    out->n = 0;
    if (!p) {
        if (flags & CIB__TEXT_OPTIONAL)
            return CIB_OK;
        return text_fail(ctx, arg, index, "is NULL", (size_t)-1);
    }
    if (n == CIB_NTS)
        n = strnlen(p, max + 1);
    if (n == 0 && !(flags & CIB__TEXT_EMPTY_OK))
        return text_fail(ctx, arg, index, "is empty", (size_t)-1);
    if (n > max) {
        char what[64];
        snprintf(what, sizeof what, "is longer than %zu bytes", max);
        return text_fail(ctx, arg, index, what, (size_t)-1);
    }
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) { /* eight printable ASCII bytes at a time */
        uint64_t w;
        memcpy(&w, s + i, 8);
        const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
        /* some byte < 0x20, or > 0x7E (0x7F and up: its high bit after +1) */
        if (((w - ones * 0x20) & ~w & highs) | (((w + ones) | w) & highs))
            break;
    }
    while (i < n) {
        unsigned long cp;
        if (s[i] >= 0x20 && s[i] < 0x7F) { /* printable ASCII: the common case */
            i++;
            continue;
        }
        if (s[i] == 0)
            return text_fail(ctx, arg, index, "contains a NUL byte at offset", i);
        size_t len = utf8_seq(s + i, n - i, &cp);
        if (!len)
            return text_fail(ctx, arg, index, "is not valid UTF-8 at offset", i);
        if (is_control(cp, flags))
            return text_fail(ctx, arg, index, "contains a control character at offset", i);
        i += len;
    }
    out->p = p;
    out->n = n;
    return CIB_OK;
}

int cib__arg_id(cib_ctx *ctx, const char *arg, const char *p, size_t n, cib__str *out)
{
    return cib__check_text(ctx, arg, -1, p, n, ctx->lim.max_id_len, 0, out);
}

int cib__arg_name(cib_ctx *ctx, const char *arg, const char *p, size_t n, cib__str *out)
{
    return cib__check_text(ctx, arg, -1, p, n, ctx->lim.max_name_len, 0, out);
}

int cib__arg_item(cib_ctx *ctx, const char *arg, const char *const *items, const size_t *lens,
                  size_t index, size_t max, cib__str *out)
{
    return cib__check_text(ctx, arg, (long)index, items[index], lens ? lens[index] : CIB_NTS, max,
                           0, out);
}

static int email_char_ok(unsigned char c)
{
    if (c >= 0x80)
        return 1; /* UTF-8, already checked */
    switch (c) {
    case '"':
    case '(':
    case ')':
    case ',':
    case ':':
    case ';':
    case '<':
    case '>':
    case '[':
    case '\\':
    case ']':
    case '@':
        return 0;
    default:
        return c > ' ';
    }
}

int cib__arg_email(cib_ctx *ctx, const char *arg, const char *p, size_t n, int optional,
                   cib__email *out)
{
    cib__str s;
    out->n = 0;
    out->s[0] = '\0';
    int rc =
        cib__check_text(ctx, arg, -1, p, n, CIB__EMAIL_MAX, optional ? CIB__TEXT_OPTIONAL : 0, &s);
    if (rc || !s.p)
        return rc;
    const char *at = memchr(s.p, '@', s.n);
    size_t local = at ? (size_t)(at - s.p) : 0;
    if (!at || local == 0 || local > 64 || local + 1 == s.n)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: '%s' is not an email address (local@domain)", arg);
    const unsigned char *u = (const unsigned char *)s.p;
    for (size_t i = 0; i < s.n; i++) {
        if (i == local)
            continue;
        if (!email_char_ok(u[i]))
            return cib__fail(ctx, CIB_EINVAL,
                             "invalid argument: '%s' has a character not allowed in an email "
                             "address at offset %zu",
                             arg, i);
    }
    const char *dom = at + 1;
    size_t dn = s.n - local - 1;
    int dots = dom[0] == '.' || dom[dn - 1] == '.' || s.p[0] == '.' || s.p[local - 1] == '.';
    for (size_t i = 1; i < s.n; i++) /* no ".." in either part (RFC 5322 dot-atom) */
        dots |= s.p[i] == '.' && s.p[i - 1] == '.';
    if (dots)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: '%s' has a misplaced '.' in an email address", arg);
    cib__ascii_lower(out->s, s.p, s.n);
    out->s[s.n] = '\0';
    out->n = s.n;
    return CIB_OK;
}

void cib__ascii_lower(char *dst, const char *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = src[i];
        dst[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
}

int cib__ascii_caseeq(const char *a, size_t an, const char *b, size_t bn)
{
    if (an != bn)
        return 0;
    for (size_t i = 0; i < an; i++) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (char)(x - 'A' + 'a');
        if (y >= 'A' && y <= 'Z')
            y = (char)(y - 'A' + 'a');
        if (x != y)
            return 0;
    }
    return 1;
}

int cib__streq(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}
