/*
 * tztest.h - what the white-box time zone tests (test_tz.c, test_tz_offsets.c)
 * share: UTC instants, a context on a counting allocator, loading a zone and
 * checking its offsets, a temporary zoneinfo directory, and synthetic TZif
 * files (RFC 8536). Built into those programs, not into testenv: it uses the
 * internals of lib/rules/tz.h.
 */
#ifndef TZTEST_H
#define TZTEST_H

#include "tz.h"
#include "testenv.h"

#define DAY  INT64_C(86400)
#define HOUR 3600

/* y-mo-d h:mi:s UTC in seconds since the epoch. */
static inline int64_t utc(int64_t y, unsigned mo, unsigned d, int h, int mi, int s)
{
    return cib__days_from_civil(y, mo, d) * DAY + h * 3600 + mi * 60 + s;
}

/* ---- contexts ---- */

typedef struct tzenv {
    failalloc fa;
    cib_allocator a;
    cib_ctx *ctx;
} tzenv;

/* A context on a counting allocator; dir NULL: the default directory. */
void env_open(tzenv *e, const char *dir);
/* Free the context; nothing may be left allocated. */
void env_close(tzenv *e);

/* Load zone `name`, which must succeed and carry that name. */
cib__zone *load_ok(tzenv *e, const char *name);

void expect_offset(const cib__zone *z, int64_t t, int32_t want);
/* The offset is `before` at t - 1 and `after` from t on. */
void expect_switch(const cib__zone *z, int64_t t, int32_t before, int32_t after);

/* ---- temporary zoneinfo directories ---- */

/* A fresh directory under /tmp; tmp_remove (a cmocka teardown) removes it
 * and everything tmp_mkdir and tmp_write made in it, even after a failed
 * assertion. */
void tmp_init(void);
const char *tmp_dir(void);
/* rel is relative to the directory. */
void tmp_mkdir(const char *rel);
void tmp_write(const char *rel, const void *p, size_t n);
int tmp_remove(void **state);

/* ---- synthetic TZif files (RFC 8536) ---- */

typedef struct tzblock {
    size_t n_trans;
    const int64_t *trans;
    const unsigned char *idx;
    size_t n_types;
    const int32_t *offs;
    size_t n_leap;  /* leap-second records, all zero */
    int indicators; /* standard/wall and UT/local indicators, one per type */
} tzblock;

typedef struct tzbuf {
    unsigned char p[1 << 14];
    size_t n;
} tzbuf;

/* Append n bytes. */
void put(tzbuf *b, const void *s, size_t n);

/* Version '\0': v1 alone. Otherwise v1, v2 and, unless NULL, the footer. */
void make_tzif(tzbuf *b, char version, const tzblock *v1, const tzblock *v2, const char *footer);

/* No transitions, one type of offset 0. */
extern const tzblock minimal_v1;

#endif
