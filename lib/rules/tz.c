/* tz.c - reading TZif files and POSIX TZ rules (see tz.h). */
#include "tz.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

/* TZif files larger than this are refused. */
#define MAX_FILE (1u << 20)

int64_t cib__days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* H. Hinnant's algorithm: exact for every Gregorian date. */
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The civil year of a day number. */
static int64_t year_of_days(int64_t z)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    return (int64_t)yoe + era * 400 + (mp >= 10);
}

static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n > 255 || s[0] == '/' || s[n - 1] == '/')
        return 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '/') {
            size_t len = i - start;
            if (len == 0 || (len == 1 && s[start] == '.') ||
                (len == 2 && s[start] == '.' && s[start + 1] == '.'))
                return 0;
            start = i + 1;
            continue;
        }
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '.'))
            return 0;
    }
    return 1;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* ---- POSIX TZ strings ---- */

typedef struct cursor {
    const char *p, *end;
} cursor;

static int peek(const cursor *c)
{
    return c->p < c->end ? (unsigned char)*c->p : -1;
}

static int parse_name(cursor *c)
{
    if (peek(c) == '<') {
        while (c->p < c->end && *c->p != '>')
            c->p++;
        if (peek(c) != '>')
            return -1;
        c->p++;
        return 0;
    }
    const char *s = c->p;
    while (c->p < c->end && ((*c->p >= 'a' && *c->p <= 'z') || (*c->p >= 'A' && *c->p <= 'Z')))
        c->p++;
    return c->p - s >= 3 ? 0 : -1;
}

static int parse_num(cursor *c, int max, int *out)
{
    int v = 0, digits = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9' && digits < 4) {
        v = v * 10 + (*c->p++ - '0');
        digits++;
    }
    if (!digits || v > max)
        return -1;
    *out = v;
    return 0;
}

/* [+-]hh[:mm[:ss]] in seconds; hours up to max_h. */
static int parse_hms(cursor *c, int max_h, int32_t *out)
{
    int sign = 1, h, m = 0, s = 0;
    if (peek(c) == '+' || peek(c) == '-')
        sign = *c->p++ == '-' ? -1 : 1;
    if (parse_num(c, max_h, &h))
        return -1;
    if (peek(c) == ':') {
        c->p++;
        if (parse_num(c, 59, &m))
            return -1;
        if (peek(c) == ':') {
            c->p++;
            if (parse_num(c, 59, &s))
                return -1;
        }
    }
    *out = sign * (h * 3600 + m * 60 + s);
    return 0;
}

static int parse_date(cursor *c, cib__tzdate *d)
{
    d->time = 2 * 3600;
    if (peek(c) == 'M') {
        c->p++;
        d->kind = 'M';
        if (parse_num(c, 12, &d->month) || d->month < 1 || peek(c) != '.')
            return -1;
        c->p++;
        if (parse_num(c, 5, &d->week) || d->week < 1 || peek(c) != '.')
            return -1;
        c->p++;
        if (parse_num(c, 6, &d->day))
            return -1;
    } else if (peek(c) == 'J') {
        c->p++;
        d->kind = 'J';
        if (parse_num(c, 365, &d->day) || d->day < 1)
            return -1;
    } else {
        d->kind = 'N';
        if (parse_num(c, 365, &d->day))
            return -1;
    }
    if (peek(c) == '/') {
        c->p++;
        if (parse_hms(c, 167, &d->time))
            return -1;
    }
    return 0;
}

static int parse_rule(cib__zone *z, const char *s, size_t n)
{
    cursor c = {s, s + n};
    int32_t off;
    if (parse_name(&c) || parse_hms(&c, 24, &off))
        return -1;
    z->std_off = -off; /* POSIX offsets count west of UTC */
    z->has_rule = 1;
    if (c.p == c.end)
        return 0;
    if (parse_name(&c))
        return -1;
    z->has_dst = 1;
    z->dst_off = z->std_off + 3600;
    if (peek(&c) != ',' && c.p != c.end) {
        if (parse_hms(&c, 24, &off))
            return -1;
        z->dst_off = -off;
    }
    if (peek(&c) != ',')
        return -1; /* a DST name without rules: not supported */
    c.p++;
    if (parse_date(&c, &z->start) || peek(&c) != ',')
        return -1;
    c.p++;
    if (parse_date(&c, &z->end))
        return -1;
    return c.p == c.end ? 0 : -1;
}

/* The UTC instant of a rule date in year y, given the offset in force. */
static int64_t rule_instant(const cib__tzdate *d, int64_t y, int32_t offset)
{
    int64_t day;
    if (d->kind == 'J') {
        day = cib__days_from_civil(y, 1, 1) + d->day - 1;
        if (is_leap(y) && d->day >= 60)
            day++;
    } else if (d->kind == 'N') {
        day = cib__days_from_civil(y, 1, 1) + d->day;
    } else {
        static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int64_t first = cib__days_from_civil(y, (unsigned)d->month, 1);
        int wday_first = (int)(((first % 7) + 7 + 4) % 7); /* 1970-01-01: Thursday */
        int delta = (d->day - wday_first + 7) % 7;
        int64_t mday = 1 + delta + (int64_t)(d->week - 1) * 7;
        int len = mdays[d->month - 1] + (d->month == 2 && is_leap(y));
        while (mday > len)
            mday -= 7;
        day = first + mday - 1;
    }
    return day * 86400 + d->time - offset;
}

static int32_t rule_offset(const cib__zone *z, int64_t t)
{
    if (!z->has_dst)
        return z->std_off;
    int64_t y = year_of_days((t + z->std_off) / 86400 - ((t + z->std_off) % 86400 < 0));
    int64_t start = rule_instant(&z->start, y, z->std_off);
    int64_t end = rule_instant(&z->end, y, z->dst_off);
    int dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? z->dst_off : z->std_off;
}

int32_t cib__zone_offset(const cib__zone *z, int64_t t)
{
    if (z->n_trans == 0 || t < z->trans[0]) {
        if (z->n_trans == 0 && z->has_rule)
            return rule_offset(z, t);
        return z->offsets[0];
    }
    if (t >= z->trans[z->n_trans - 1] && z->has_rule)
        return rule_offset(z, t);
    size_t lo = 0, hi = z->n_trans; /* the last transition <= t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->trans[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->offsets[z->types[lo]];
}

/* ---- TZif ---- */

typedef struct counts {
    uint32_t isut, isstd, leap, time, type, chr;
} counts;

static int read_counts(const unsigned char *p, size_t n, counts *c)
{
    if (n < 44 || memcmp(p, "TZif", 4) != 0)
        return -1;
    c->isut = be32(p + 20);
    c->isstd = be32(p + 24);
    c->leap = be32(p + 28);
    c->time = be32(p + 32);
    c->type = be32(p + 36);
    c->chr = be32(p + 40);
    if (c->type == 0 || c->type > 256 || c->time > 100000 || c->chr > 65536 || c->leap > 10000 ||
        (c->isut && c->isut != c->type) || (c->isstd && c->isstd != c->type))
        return -1;
    return 0;
}

static size_t block_size(const counts *c, size_t tsize)
{
    return c->time * tsize + c->time + c->type * 6 + c->chr + c->leap * (tsize + 4) + c->isstd +
           c->isut;
}

/* Parse a file into z; -1 if it is not a valid TZif file. */
static int parse_file(cib_ctx *ctx, cib__zone *z, const unsigned char *p, size_t n)
{
    counts c;
    if (read_counts(p, n, &c))
        return -1;
    size_t tsize = 4, at = 44;
    const unsigned char *data = p + at;
    if (p[4] >= '2') { /* skip the 32-bit block, use the 64-bit one */
        at += block_size(&c, 4);
        if (at > n || read_counts(p + at, n - at, &c))
            return -1;
        at += 44;
        data = p + at;
        tsize = 8;
    }
    size_t size = block_size(&c, tsize);
    if (at + size > n)
        return -1;
    z->n_trans = c.time;
    z->n_types = c.type;
    z->trans = cib__calloc(&ctx->mem, c.time ? c.time : 1, sizeof *z->trans);
    z->types = cib__calloc(&ctx->mem, c.time ? c.time : 1, 1);
    z->offsets = cib__calloc(&ctx->mem, c.type, sizeof *z->offsets);
    if (!z->trans || !z->types || !z->offsets)
        return -2;
    for (size_t i = 0; i < c.time; i++) {
        z->trans[i] = tsize == 8 ? be64(data + i * 8) : (int32_t)be32(data + i * 4);
        if (i && z->trans[i] <= z->trans[i - 1])
            return -1;
    }
    const unsigned char *idx = data + c.time * tsize;
    for (size_t i = 0; i < c.time; i++) {
        if (idx[i] >= c.type)
            return -1;
        z->types[i] = idx[i];
    }
    const unsigned char *info = idx + c.time;
    for (size_t i = 0; i < c.type; i++) {
        int32_t off = (int32_t)be32(info + i * 6);
        if (off < -25 * 3600 || off > 26 * 3600)
            return -1;
        z->offsets[i] = off;
    }
    if (tsize == 8) { /* the footer: "\n<POSIX TZ string>\n" */
        const unsigned char *f = data + size, *end = p + n;
        /* RFC 8536 3.3: version 2+ ends with "\n" TZ-string "\n". */
        if (f >= end || *f != '\n')
            return -1;
        const unsigned char *nl = memchr(f + 1, '\n', (size_t)(end - f - 1));
        if (!nl)
            return -1;
        if (nl > f + 1 && parse_rule(z, (const char *)f + 1, (size_t)(nl - f - 1)))
            return -1;
    }
    return 0;
}

void cib__zone_free(cib_ctx *ctx, cib__zone *z)
{
    if (!z)
        return;
    cib__free(&ctx->mem, z->name);
    cib__free(&ctx->mem, z->trans);
    cib__free(&ctx->mem, z->types);
    cib__free(&ctx->mem, z->offsets);
    cib__free(&ctx->mem, z);
}

int cib__zone_load(cib_ctx *ctx, const char *name, size_t len, cib__zone **out)
{
    *out = NULL;
    if (!name_ok(name, len))
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'tz' is not a time zone name like Europe/Berlin");
    char path[4096 + 256 + 2];
    snprintf(path, sizeof path, "%s/%.*s", ctx->zoneinfo_dir, (int)len, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: time zone '%.*s' is unknown", (int)len,
                         name);
    unsigned char *buf = cib__malloc(&ctx->mem, MAX_FILE);
    size_t n = buf ? fread(buf, 1, MAX_FILE, f) : 0;
    fclose(f);
    if (!buf)
        return cib__nomem(ctx);
    cib__zone *z = cib__calloc(&ctx->mem, 1, sizeof *z);
    int rc = z ? parse_file(ctx, z, buf, n) : -2;
    cib__free(&ctx->mem, buf);
    if (rc == 0 && !(z->name = cib__strndup(&ctx->mem, name, len)))
        rc = -2;
    if (rc) {
        cib__zone_free(ctx, z);
        if (rc == -2)
            return cib__nomem(ctx);
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: time zone '%.*s' is not a valid TZif file", (int)len,
                         name);
    }
    *out = z;
    return CIB_OK;
}
