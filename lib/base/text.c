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

/* 1 if all n bytes at s are printable ASCII (0x20..0x7E). */
static int printable_ascii(const unsigned char *s, size_t n)
{
    const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
    uint64_t w;
    if (n < 8) {
        if (n < 4) {
            for (size_t i = 0; i < n; i++)
                if (s[i] < 0x20 || s[i] >= 0x7F)
                    return 0;
            return 1;
        }
        uint32_t first, last; /* 4 to 7 bytes: the first four and the last four */
        memcpy(&first, s, 4);
        memcpy(&last, s + n - 4, 4);
        w = first | (uint64_t)last << 32;
        return !(((w - ones * 0x20) & ~w & highs) | (((w + ones) | w) & highs));
    }
    /* eight at a time, the last eight overlapping the ones before */
    for (size_t i = 0;; i += 8) {
        if (i + 8 > n)
            i = n - 8;
        memcpy(&w, s + i, 8);
        /* some byte < 0x20, or > 0x7E (0x7F and up: its high bit after +1) */
        if (((w - ones * 0x20) & ~w & highs) | (((w + ones) | w) & highs))
            return 0;
        if (i + 8 == n)
            return 1;
    }
}

static int check_text_full(cib_ctx *ctx, const char *arg, long index, const char *p, size_t n,
                           size_t max, int flags, cib__str *out);

int cib__check_text(cib_ctx *ctx, const char *arg, long index, const char *p, size_t n, size_t max,
                    int flags, cib__str *out)
{
    /* The common cases first: a given length, within bounds, all printable
     * ASCII; an optional string left out. Anything else takes the full
     * check, from the start. */
    if (p && n != CIB_NTS && n <= max && (n || (flags & CIB__TEXT_EMPTY_OK)) &&
        printable_ascii((const unsigned char *)p, n)) {
        out->p = p;
        out->n = n;
        return CIB_OK;
    }
    if (!p && (flags & CIB__TEXT_OPTIONAL)) {
        out->p = NULL;
        out->n = 0;
        return CIB_OK;
    }
    return check_text_full(ctx, arg, index, p, n, max, flags, out);
}

/* Not inlined: the common case above does without its stack frame. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static int
check_text_full(cib_ctx *ctx, const char *arg, long index, const char *p, size_t n, size_t max,
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

#define ONES  0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* The high bit of each byte of w (all below 0x80) that lies in lo..hi. */
static uint64_t bytes_in(uint64_t w, unsigned lo, unsigned hi)
{
    return (w + ONES * (0x80 - lo)) & ~(w + ONES * (0x7F - hi)) & HIGHS;
}

/* The high bit of each byte of w equal to c. */
static uint64_t bytes_eq(uint64_t w, unsigned c)
{
    uint64_t x = w ^ (ONES * c);
    return ~(((x & ~HIGHS) + ~HIGHS) | x) & HIGHS;
}

/* Eight bytes of an address at s + i, the '@' at `local`, checked, scanned
 * for ".." and lower-cased into dst + i, if they are all ASCII letters,
 * digits, '-', '.', '/' or that '@': 0 if not (they are then left to the
 * byte-wise check). *dots gets a pair of dots inside the eight. */
static int email_word(const unsigned char *s, size_t i, size_t local, char *dst, int *dots)
{
    uint64_t w;
    memcpy(&w, s + i, 8);
    if (w & HIGHS)
        return 0;
    uint64_t t = w | ONES * 0x20; /* A-Z to a-z; digits, '-', '.', '/' stay */
    uint64_t ok = bytes_in(t, 'a', 'z') | bytes_in(t, '-', '9');
    if (local - i < 8) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        ok |= 0x80ull << (8 * (7 - (local - i)));
#else
        ok |= 0x80ull << (8 * (local - i));
#endif
    }
    if (ok != HIGHS)
        return 0;
    uint64_t d = bytes_eq(w, '.');
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    *dots |= (d & d >> 8) != 0;
#else
    *dots |= (d & d << 8) != 0;
#endif
    w += bytes_in(w, 'A', 'Z') >> 2; /* 0x80 >> 2 == 'a' - 'A' */
    memcpy(dst + i, &w, 8);
    return 1;
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
    /* One pass: the characters, pairs of dots, the lower-case copy; eight
     * bytes at a time while they are plain (the last eight may overlap the
     * ones before), byte by byte through the next eight where they are not. */
    const unsigned char *u = (const unsigned char *)s.p;
    int dots = 0;
    size_t i = 0;
    while (i < s.n) {
        if (s.n >= 8) {
            size_t w = i + 8 <= s.n ? i : s.n - 8;
            if (email_word(u, w, local, out->s, &dots)) {
                i = w + 8;
                continue;
            }
        }
        size_t end = i + 8 < s.n ? i + 8 : s.n;
        for (; i < end; i++) {
            unsigned char c = u[i];
            if (i != local && !email_char_ok(c)) {
                out->s[0] = '\0';
                return cib__fail(ctx, CIB_EINVAL,
                                 "invalid argument: '%s' has a character not allowed in an "
                                 "email address at offset %zu",
                                 arg, i);
            }
            dots |= i > 0 && c == '.' && u[i - 1] == '.';
            out->s[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : (char)c;
        }
    }
    /* pairs across the eight-byte words */
    for (size_t j = 8; j < s.n && !dots; j += 8)
        dots |= u[j] == '.' && u[j - 1] == '.';
    const char *dom = at + 1;
    size_t dn = s.n - local - 1;
    dots |= dom[0] == '.' || dom[dn - 1] == '.' || s.p[0] == '.' || s.p[local - 1] == '.';
    if (dots) {
        out->s[0] = '\0';
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: '%s' has a misplaced '.' in an email address", arg);
    }
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
