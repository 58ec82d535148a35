/* test_tz.c - white-box tests of time zones (lib/tz.c), which business hours
 * (R-CHAN-7) use to find local time: offsets of real zones against glibc's
 * localtime_r() from 1800 to year 100000, exact 2026 switches, the POSIX TZ
 * footer rules (M, J and n dates, negative and over-24 h times, negative
 * DST), civil day numbers, refused names and files, a custom zoneinfo
 * directory and allocation failures. */
#define _DEFAULT_SOURCE 1 /* struct tm's tm_gmtoff */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tz.h"
#include "support/testenv.h"

#define DAY  INT64_C(86400)
#define HOUR 3600

/* 1800-01-01, 1970-01-01, 2100-01-01, 2400-01-01 at 00:00 UTC (date -u +%s). */
#define T1800 INT64_C(-5364662400)
#define T1970 INT64_C(0)
#define T2100 INT64_C(4102444800)
#define T2400 INT64_C(13569465600)

static int64_t utc(int64_t y, unsigned mo, unsigned d, int h, int mi, int s)
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
static void env_open(tzenv *e, const char *dir)
{
    memset(e, 0, sizeof *e);
    e->fa.fail_at = -1;
    e->a = failalloc_allocator(&e->fa);
    cib_options o = CIB_OPTIONS_INIT;
    o.allocator = &e->a;
    o.zoneinfo_dir = dir;
    o.hash_seed = 1;
    assert_int_equal(cib_ctx_new(&o, &e->ctx), CIB_OK);
}

static void env_close(tzenv *e)
{
    cib_ctx_free(e->ctx);
    e->ctx = NULL;
    assert_int_equal(e->fa.live, 0);
}

static cib__zone *load_ok(tzenv *e, const char *name)
{
    cib__zone *z = NULL;
    int rc = cib__zone_load(e->ctx, name, strlen(name), &z);
    if (rc != CIB_OK)
        fail_msg("loading '%s': %d, %s", name, rc, cib_errmsg(e->ctx));
    assert_non_null(z);
    assert_string_equal(z->name, name);
    return z;
}

/* Loading s[0..n) fails with CIB_EINVAL, a message containing `needle`, no
 * zone and nothing left allocated. */
static void load_refused(tzenv *e, const char *s, size_t n, const char *needle)
{
    long live = e->fa.live;
    cib__zone *z = (cib__zone *)&z; /* must be reset to NULL */
    int rc = cib__zone_load(e->ctx, s, n, &z);
    if (rc != CIB_EINVAL) {
        if (rc == CIB_OK)
            cib__zone_free(e->ctx, z);
        fail_msg("loading '%.*s' (%zu bytes): %d, want CIB_EINVAL", (int)n, s, n, rc);
    }
    assert_null(z);
    const char *msg = cib_errmsg(e->ctx);
    if (!strstr(msg, needle))
        fail_msg("loading '%.*s': message '%s' lacks '%s'", (int)n, s, msg, needle);
    assert_int_equal(e->fa.live, live);
}

static void expect_offset(const cib__zone *z, int64_t t, int32_t want)
{
    int32_t got = cib__zone_offset(z, t);
    if (got != want)
        fail_msg("%s at %lld: offset %d, want %d", z->name, (long long)t, (int)got, (int)want);
}

/* The offset is `before` at t - 1 and `after` from t on. */
static void expect_switch(const cib__zone *z, int64_t t, int32_t before, int32_t after)
{
    expect_offset(z, t - 1, before);
    expect_offset(z, t, after);
    expect_offset(z, t + 1, after);
}

/* ---- glibc as the oracle ---- */

static void glibc_zone(const char *tz)
{
    assert_int_equal(setenv("TZ", tz, 1), 0);
    tzset();
}

static int32_t glibc_offset(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    assert_non_null(localtime_r(&tt, &tm));
    return (int32_t)tm.tm_gmtoff;
}

static void same_as_glibc(const cib__zone *z, const char *label, int64_t t, int32_t g)
{
    int32_t c = cib__zone_offset(z, t);
    if (c != g) {
        time_t tt = (time_t)t;
        struct tm tm;
        char when[64] = "?";
        if (gmtime_r(&tt, &tm))
            strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
        fail_msg("%s at %lld (%s): cib__zone_offset %d, glibc %d", label, (long long)t, when,
                 (int)c, (int)g);
    }
}

/*
 * Compare with glibc on [from, to) every `step` seconds and, where glibc's
 * offset changed since the previous step, one second before, at and after
 * the instant of the change (found by bisection). Returns the changes seen.
 */
static long sweep(const cib__zone *z, const char *label, int64_t from, int64_t to, int64_t step)
{
    long changes = 0;
    int32_t prev = glibc_offset(from);
    same_as_glibc(z, label, from, prev);
    for (int64_t t = from + step; t < to; t += step) {
        int32_t g = glibc_offset(t);
        same_as_glibc(z, label, t, g);
        if (g != prev) {
            int64_t lo = t - step, hi = t; /* glibc: not g at lo, g at hi */
            while (hi - lo > 1) {
                int64_t mid = lo + (hi - lo) / 2;
                if (glibc_offset(mid) == g)
                    hi = mid;
                else
                    lo = mid;
            }
            same_as_glibc(z, label, hi - 1, glibc_offset(hi - 1));
            same_as_glibc(z, label, hi, glibc_offset(hi));
            same_as_glibc(z, label, hi + 1, glibc_offset(hi + 1));
            changes++;
        }
        prev = g;
    }
    return changes;
}

typedef struct zcase {
    const char *name;
    long min_changes; /* offset changes glibc shows from 1970 to 2100, at least */
    long max_changes; /* and at most */
} zcase;

/* Every ~6 hours from 1970 to 2100 (past the files' last transitions in 2037
 * or earlier: the footer rules), weekly from 1800 to 1970 (the first
 * transitions and the time before them), every 11 days to 2400, and every
 * other day in the years 3000, 10000 and 100000. */
static void zones_match_glibc(const zcase *zc, size_t n)
{
    assert_int_equal(sizeof(time_t), 8);
    tzenv e;
    env_open(&e, NULL);
    for (size_t i = 0; i < n; i++) {
        cib__zone *z = load_ok(&e, zc[i].name);
        char tz[128];
        snprintf(tz, sizeof tz, ":%s", zc[i].name);
        glibc_zone(tz);
        sweep(z, zc[i].name, T1800, T1970, 7 * DAY);
        long changes = sweep(z, zc[i].name, T1970, T2100, 6 * HOUR - 7);
        if (changes < zc[i].min_changes || changes > zc[i].max_changes)
            fail_msg("%s: %ld changes from 1970 to 2100, want %ld to %ld", zc[i].name, changes,
                     zc[i].min_changes, zc[i].max_changes);
        sweep(z, zc[i].name, T2100, T2400, 11 * DAY + 5 * HOUR);
        static const int64_t far[] = {3000, 10000, 100000};
        for (size_t k = 0; k < sizeof far / sizeof far[0]; k++)
            sweep(z, zc[i].name, utc(far[k], 1, 1, 0, 0, 0), utc(far[k] + 1, 1, 1, 0, 0, 0),
                  2 * DAY + HOUR);
        cib__zone_free(e.ctx, z);
    }
    env_close(&e);
}

/* ---- temporary zoneinfo directories ---- */

static struct tmpzone {
    char dir[64];
    char made[64][192]; /* files and directories, in creation order */
    int n;
} tmp;

static void tmp_path(char *out, size_t size, const char *rel)
{
    int len = snprintf(out, size, "%s/%s", tmp.dir, rel);
    assert_true(len > 0 && (size_t)len < size);
}

static void tmp_init(void)
{
    memset(&tmp, 0, sizeof tmp);
    strcpy(tmp.dir, "/tmp/cib-tz-XXXXXX");
    assert_non_null(mkdtemp(tmp.dir));
}

static void tmp_remember(const char *path)
{
    for (int i = 0; i < tmp.n; i++)
        if (strcmp(tmp.made[i], path) == 0)
            return;
    assert_true(tmp.n < 64);
    strcpy(tmp.made[tmp.n++], path);
}

static void tmp_mkdir(const char *rel)
{
    char path[192];
    tmp_path(path, sizeof path, rel);
    assert_int_equal(mkdir(path, 0700), 0);
    tmp_remember(path);
}

static void tmp_write(const char *rel, const void *p, size_t n)
{
    char path[192];
    tmp_path(path, sizeof path, rel);
    unlink(path); /* not truncated: ext4 would flush the old data */
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    tmp_remember(path);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Teardown: remove what the test made, even after a failed assertion. */
static int tmp_remove(void **state)
{
    (void)state;
    for (int i = tmp.n - 1; i >= 0; i--)
        if (unlink(tmp.made[i]) != 0)
            rmdir(tmp.made[i]);
    if (tmp.dir[0])
        rmdir(tmp.dir);
    memset(&tmp, 0, sizeof tmp);
    return 0;
}

/* A whole file into a malloc()ed buffer. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16;
    unsigned char *p = malloc(cap);
    assert_non_null(p);
    *n = fread(p, 1, cap, f);
    assert_true(*n > 44 && *n < cap);
    fclose(f);
    return p;
}

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

static void put(tzbuf *b, const void *s, size_t n)
{
    assert_true(b->n + n <= sizeof b->p);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void put32(tzbuf *b, uint32_t v)
{
    unsigned char q[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    put(b, q, 4);
}

static void put64(tzbuf *b, uint64_t v)
{
    put32(b, (uint32_t)(v >> 32));
    put32(b, (uint32_t)v);
}

/* A header and data block with 4- or 8-byte times. */
static void put_block(tzbuf *b, char version, const tzblock *k, int tsize)
{
    static const unsigned char zero[16];
    put(b, "TZif", 4);
    put(b, &version, 1);
    put(b, zero, 15);
    uint32_t ind = k->indicators ? (uint32_t)k->n_types : 0;
    put32(b, ind);
    put32(b, ind);
    put32(b, (uint32_t)k->n_leap);
    put32(b, (uint32_t)k->n_trans);
    put32(b, (uint32_t)k->n_types);
    put32(b, 4); /* "ZZZ\0" */
    for (size_t i = 0; i < k->n_trans; i++) {
        if (tsize == 8)
            put64(b, (uint64_t)k->trans[i]);
        else
            put32(b, (uint32_t)(int32_t)k->trans[i]);
    }
    if (k->n_trans)
        put(b, k->idx, k->n_trans);
    for (size_t i = 0; i < k->n_types; i++) {
        put32(b, (uint32_t)k->offs[i]);
        put(b, zero, 2); /* isdst, designation index */
    }
    put(b, "ZZZ", 4);
    for (size_t i = 0; i < k->n_leap; i++) {
        put(b, zero, (size_t)tsize);
        put32(b, (uint32_t)(i + 1));
    }
    for (size_t i = 0; k->indicators && i < 2 * k->n_types; i++)
        put(b, zero, 1);
}

/* Version '\0': v1 alone. Otherwise v1, v2 and, unless NULL, the footer. */
static void make_tzif(tzbuf *b, char version, const tzblock *v1, const tzblock *v2,
                      const char *footer)
{
    b->n = 0;
    put_block(b, version, v1, 4);
    if (version == '\0')
        return;
    put_block(b, version, v2, 8);
    if (footer) {
        put(b, "\n", 1);
        put(b, footer, strlen(footer));
        put(b, "\n", 1);
    }
}

static const int32_t utc_off[] = {0};
static const tzblock minimal_v1 = {0, NULL, NULL, 1, utc_off, 0, 0};

/* A version 2 file: no transitions, one type of offset `off`, the footer. */
static void make_rule_file(tzbuf *b, int32_t off, const char *footer)
{
    const int32_t offs[] = {off};
    const tzblock v2 = {0, NULL, NULL, 1, offs, 0, 0};
    make_tzif(b, '2', &minimal_v1, &v2, footer);
}

/* ---- civil day numbers ---- */

static int leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return d[m - 1] + (m == 2 && leap(y));
}

static void test_days_from_civil_known_dates_and_leap_years_R_CHAN_7(void **state)
{
    (void)state;
    assert_int_equal(cib__days_from_civil(1970, 1, 1), 0);
    assert_int_equal(cib__days_from_civil(1970, 1, 2), 1);
    assert_int_equal(cib__days_from_civil(1969, 12, 31), -1);
    assert_int_equal(cib__days_from_civil(1970, 3, 1), 59);
    assert_int_equal(cib__days_from_civil(2000, 1, 1), 10957);
    assert_int_equal(cib__days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(cib__days_from_civil(2026, 3, 29), 20541);
    assert_int_equal(cib__days_from_civil(1900, 1, 1), -25567);
    assert_int_equal(cib__days_from_civil(1800, 1, 1), -62091);
    assert_int_equal(cib__days_from_civil(2100, 1, 1), 47482);
    assert_int_equal(cib__days_from_civil(2400, 1, 1), 157054);
    /* Before the common era: 0001-01-01, 0000-03-01 (the algorithm's era
     * start), 0000-01-01 (year 0 is leap), 1 BC and 400 years earlier. */
    assert_int_equal(cib__days_from_civil(1, 1, 1), -719162);
    assert_int_equal(cib__days_from_civil(0, 3, 1), -719468);
    assert_int_equal(cib__days_from_civil(0, 1, 1), -719528);
    assert_int_equal(cib__days_from_civil(-1, 1, 1), -719893);
    assert_int_equal(cib__days_from_civil(-400, 3, 1), -719468 - 146097);
    assert_int_equal(cib__days_from_civil(-1000000, 1, 1), -719528 - 2500 * INT64_C(146097));
    assert_int_equal(cib__days_from_civil(1000000, 1, 1), -719528 + 2500 * INT64_C(146097));
    /* Feb 29 exists in 2000, 2024, 1600, 0, -4 and -400, not in 1900,
     * 2100, 2023 or -100. */
    static const struct {
        int64_t y;
        int64_t feb;
    } years[] = {{1900, 28}, {2000, 29}, {2100, 28}, {2023, 28}, {2024, 29},
                 {1600, 29}, {0, 29},    {-4, 29},   {-100, 28}, {-400, 29}};
    for (size_t i = 0; i < sizeof years / sizeof years[0]; i++) {
        int64_t y = years[i].y;
        assert_int_equal(cib__days_from_civil(y, 3, 1) - cib__days_from_civil(y, 2, 1),
                         years[i].feb);
        assert_int_equal(cib__days_from_civil(y + 1, 1, 1) - cib__days_from_civil(y, 1, 1),
                         337 + years[i].feb);
    }
}

/* Every date from 1000 BC to AD 3000 is one day after the previous one. */
static void test_days_from_civil_matches_day_by_day_calendar_walk_R_CHAN_7(void **state)
{
    (void)state;
    int64_t n = 0;
    for (int64_t y = 1970; y <= 3000; y++)
        for (unsigned m = 1; m <= 12; m++)
            for (unsigned d = 1; d <= month_days(y, m); d++)
                if (cib__days_from_civil(y, m, d) != n++)
                    fail_msg("%lld-%02u-%02u: %lld, want %lld", (long long)y, m, d,
                             (long long)cib__days_from_civil(y, m, d), (long long)(n - 1));
    n = -1;
    for (int64_t y = 1969; y >= -1000; y--)
        for (unsigned m = 12; m >= 1; m--)
            for (unsigned d = month_days(y, m); d >= 1; d--)
                if (cib__days_from_civil(y, m, d) != n--)
                    fail_msg("%lld-%02u-%02u: %lld, want %lld", (long long)y, m, d,
                             (long long)cib__days_from_civil(y, m, d), (long long)(n + 1));
}

/* ---- exact switches ---- */

static void test_berlin_2026_switches_at_exact_utc_seconds_R_CHAN_7(void **state)
{
    (void)state;
    assert_int_equal(utc(2026, 3, 29, 1, 0, 0), INT64_C(1774746000));
    tzenv e;
    env_open(&e, NULL);
    cib__zone *z = load_ok(&e, "Europe/Berlin");
    expect_switch(z, utc(2026, 3, 29, 1, 0, 0), 3600, 7200);
    expect_switch(z, utc(2026, 10, 25, 1, 0, 0), 7200, 3600);
    expect_offset(z, utc(2026, 1, 5, 12, 0, 0), 3600);
    expect_offset(z, utc(2026, 7, 1, 12, 0, 0), 7200);
    /* 2040 is past the file's transitions: the footer CET-1CEST,M3.5.0,M10.5.0/3. */
    assert_true(z->has_rule && z->has_dst);
    assert_true(z->trans[z->n_trans - 1] < utc(2040, 1, 1, 0, 0, 0));
    expect_switch(z, utc(2040, 3, 25, 1, 0, 0), 3600, 7200);
    expect_switch(z, utc(2040, 10, 28, 1, 0, 0), 7200, 3600);
    /* And before the first transition: local mean time, +0:53:28. */
    expect_offset(z, z->trans[0] - 1, 3208);
    expect_offset(z, INT64_C(-9000000000000000), 3208);
    expect_offset(z, utc(100000000, 1, 15, 12, 0, 0), 3600);
    expect_offset(z, utc(100000000, 7, 15, 12, 0, 0), 7200);
    cib__zone_free(e.ctx, z);
    env_close(&e);
}

static void test_new_york_2026_switches_at_exact_utc_seconds_R_CHAN_7(void **state)
{
    (void)state;
    tzenv e;
    env_open(&e, NULL);
    cib__zone *z = load_ok(&e, "America/New_York");
    expect_switch(z, utc(2026, 3, 8, 7, 0, 0), -18000, -14400);
    expect_switch(z, utc(2026, 11, 1, 6, 0, 0), -14400, -18000);
    /* Through the footer EST5EDT,M3.2.0,M11.1.0: 2040-03-11 and 2040-11-04. */
    expect_switch(z, utc(2040, 3, 11, 7, 0, 0), -18000, -14400);
    expect_switch(z, utc(2040, 11, 4, 6, 0, 0), -14400, -18000);
    cib__zone_free(e.ctx, z);
    env_close(&e);
}

/* ---- real zones against glibc ---- */

static void test_northern_dst_zones_match_glibc_R_CHAN_7(void **state)
{
    (void)state;
    static const zcase zc[] = {
        {"Europe/Berlin", 230, 260},    /* CET-1CEST,M3.5.0,M10.5.0/3 */
        {"America/New_York", 250, 270}, /* EST5EDT,M3.2.0,M11.1.0 */
        {"America/St_Johns", 250, 270}, /* -3:30 */
        {"Europe/London", 250, 270},    /* GMT0BST,M3.5.0/1,M10.5.0 */
        {"Europe/Dublin", 250, 270},    /* negative DST: IST-1GMT0,M10.5.0,M3.5.0/1 */
        {"America/Havana", 240, 270},   /* at midnight: CST5CDT,M3.2.0/0,M11.1.0/1 */
        {"America/Nuuk", 230, 270},     /* negative time: M3.5.0/-1 */
        {"Asia/Jerusalem", 230, 270},   /* 26 h: M3.4.4/26 */
        {"Asia/Gaza", 250, 320},        /* 50 h: M3.4.4/50,M10.4.4/50 */
        {"Africa/Cairo", 100, 270},     /* M4.5.5/0,M10.5.4/24 */
        {"Antarctica/Troll", 150, 270}, /* a 2 h DST */
    };
    zones_match_glibc(zc, sizeof zc / sizeof zc[0]);
}

static void test_southern_dst_zones_match_glibc_R_CHAN_7(void **state)
{
    (void)state;
    static const zcase zc[] = {
        {"Australia/Sydney", 250, 270},    /* AEST-10AEDT,M10.1.0,M4.1.0/3 */
        {"Australia/Lord_Howe", 220, 270}, /* a 30-minute DST */
        {"Australia/Adelaide", 250, 270},  /* +9:30 */
        {"Pacific/Auckland", 250, 270},    /* NZST-12NZDT,M9.5.0,M4.1.0/3 */
        {"Pacific/Chatham", 250, 270},     /* +12:45/+13:45, at 2:45 */
        {"America/Santiago", 250, 270},    /* at 24:00: M9.1.6/24,M4.1.6/24 */
        {"Pacific/Easter", 250, 270},      /* M9.1.6/22,M4.1.6/22 */
        {"Pacific/Norfolk", 150, 200},     /* DST since 2019 */
    };
    zones_match_glibc(zc, sizeof zc / sizeof zc[0]);
}

static void test_fixed_and_abolished_dst_zones_match_glibc_R_CHAN_7(void **state)
{
    (void)state;
    static const zcase zc[] = {
        {"Asia/Kolkata", 0, 0},          /* +5:30 */
        {"Asia/Kathmandu", 1, 1},        /* +5:30, then +5:45 */
        {"Australia/Eucla", 10, 20},     /* +8:45 */
        {"America/Sao_Paulo", 50, 80},   /* DST abolished in 2019 */
        {"Pacific/Apia", 15, 30},        /* skipped 2011-12-30 */
        {"Africa/Casablanca", 100, 270}, /* Ramadan switches to 2087 */
        {"Pacific/Kiritimati", 2, 2},    /* +14 */
        {"Asia/Tehran", 50, 100},        /* DST abolished in 2022 */
        {"Europe/Moscow", 40, 80},       /* DST abolished in 2011 */
        {"Etc/GMT+5", 0, 0},
        {"UTC", 0, 0},
    };
    zones_match_glibc(zc, sizeof zc / sizeof zc[0]);
}

/* ---- POSIX TZ footer rules ---- */

typedef struct rcase {
    const char *rule;
    long changes; /* glibc's, from 1970 to 2100 */
} rcase;

static const rcase rule_cases[] = {
    {"CET-1CEST,M3.5.0,M10.5.0/3", 260},
    {"EST5EDT,M3.2.0,M11.1.0", 260},
    {"<-02>2<-01>,M3.5.0/-1,M10.5.0/0", 260},              /* negative time */
    {"EET-2EEST,M3.4.4/50,M10.4.4/50", 260},               /* 50 h */
    {"EET-2EEST,M4.5.5/0,M10.5.4/24", 260},                /* 24 h */
    {"<-04>4<-03>,M9.1.6/24,M4.1.6/24", 260},              /* southern, 24 h */
    {"IST-1GMT0,M10.5.0,M3.5.0/1", 260},                   /* negative DST */
    {"<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45", 260}, /* minutes */
    {"<+1030>-10:30<+11>-11,M10.1.0,M4.1.0", 260},         /* 30-minute DST */
    {"<+00>0<+02>-2,M3.5.0/1,M10.5.0/3", 260},             /* 2 h DST */
    {"XXX3YYY,J60/2,J300/2", 260},                         /* J: no Feb 29 */
    {"XXX3YYY,59/2,299/2", 260},                           /* n: counts Feb 29 */
    {"XXX+3YYY+2,J1/5,J365/20", 259}, /* J1, J365; the last switch, at 22:00 UTC on
                                         2099-12-31, falls after the last sample */
    {"AAA-5:30:15BBB-6:45:30,M2.5.0/1:02:03,M11.5.6/23:59:59", 260}, /* seconds */
    {"AAA3BBB,M5.1.0/167,M8.5.3/-167", 260},                         /* +-167 h */
    {"<+0530>-5:30", 0},
    {"<-0930>9:30", 0},
    {"UTC0", 0},
};

/* Each rule, as the footer of a file without transitions and of one whose
 * last transition is in 1960, against glibc reading the same TZ string. */
static void test_posix_rule_forms_match_glibc_R_CHAN_7(void **state)
{
    (void)state;
    tmp_init();
    tmp_mkdir("Rule");
    tzenv e;
    env_open(&e, tmp.dir);
    static tzbuf b;
    for (size_t i = 0; i < sizeof rule_cases / sizeof rule_cases[0]; i++) {
        const char *rule = rule_cases[i].rule;
        glibc_zone(rule);
        make_rule_file(&b, 0, rule);
        tmp_write("Rule/Only", b.p, b.n);
        const int64_t trans[] = {utc(1960, 1, 1, 0, 0, 0)};
        const unsigned char idx[] = {1};
        const int32_t offs[] = {-12345, 0}; /* the rule takes over at once */
        const tzblock v2 = {1, trans, idx, 2, offs, 0, 0};
        make_tzif(&b, '3', &minimal_v1, &v2, rule);
        tmp_write("Rule/After", b.p, b.n);

        cib__zone *only = load_ok(&e, "Rule/Only");
        cib__zone *after = load_ok(&e, "Rule/After");
        assert_true(only->has_rule && after->has_rule);
        assert_int_equal(only->n_trans, 0);
        assert_int_equal(after->n_trans, 1);
        long changes = sweep(only, rule, T1970, T2100, 6 * HOUR - 7);
        if (changes != rule_cases[i].changes)
            fail_msg("%s: %ld changes from 1970 to 2100", rule, changes);
        sweep(after, rule, T1970, T2100, 3 * DAY + 5 * HOUR);
        sweep(only, rule, T2100, T2400, 11 * DAY + 5 * HOUR);
        expect_offset(after, trans[0] - 1, -12345);
        cib__zone_free(e.ctx, only);
        cib__zone_free(e.ctx, after);
    }
    env_close(&e);
}

/* Rule instants worked out by hand, also where glibc cannot serve: before
 * 1970 and for year-round DST. */
static void test_posix_rule_exact_instants_R_CHAN_7(void **state)
{
    (void)state;
    tmp_init();
    tmp_mkdir("R");
    tzenv e;
    env_open(&e, tmp.dir);
    static tzbuf b;

    /* J60 is March 1 in every year; J300 is October 27. At 02:00 local. */
    make_rule_file(&b, -3 * HOUR, "XXX3YYY,J60/2,J300/2");
    tmp_write("R/J", b.p, b.n);
    cib__zone *z = load_ok(&e, "R/J");
    assert_int_equal(z->start.kind, 'J');
    expect_switch(z, utc(2024, 3, 1, 5, 0, 0), -3 * HOUR, -2 * HOUR);
    expect_switch(z, utc(2025, 3, 1, 5, 0, 0), -3 * HOUR, -2 * HOUR);
    expect_switch(z, utc(2024, 10, 27, 4, 0, 0), -2 * HOUR, -3 * HOUR);
    expect_switch(z, utc(2025, 10, 27, 4, 0, 0), -2 * HOUR, -3 * HOUR);
    cib__zone_free(e.ctx, z);

    /* Day 59 counted from 0 is Feb 29 in leap years, else March 1; day 299
     * is October 26 or 27. */
    make_rule_file(&b, -3 * HOUR, "XXX3YYY,59/2,299/2");
    tmp_write("R/N", b.p, b.n);
    z = load_ok(&e, "R/N");
    assert_int_equal(z->start.kind, 'N');
    expect_switch(z, utc(2024, 2, 29, 5, 0, 0), -3 * HOUR, -2 * HOUR);
    expect_switch(z, utc(2025, 3, 1, 5, 0, 0), -3 * HOUR, -2 * HOUR);
    expect_switch(z, utc(2024, 10, 26, 4, 0, 0), -2 * HOUR, -3 * HOUR);
    expect_switch(z, utc(2025, 10, 27, 4, 0, 0), -2 * HOUR, -3 * HOUR);
    expect_switch(z, utc(2000, 2, 29, 5, 0, 0), -3 * HOUR, -2 * HOUR);
    expect_switch(z, utc(2100, 3, 1, 5, 0, 0), -3 * HOUR, -2 * HOUR);
    cib__zone_free(e.ctx, z);

    /* US rules before 1970: 1900-03-11 and 1600-03-12 are second Sundays
     * of March, 1969-11-02 the first Sunday of November. */
    make_rule_file(&b, -5 * HOUR, "EST5EDT,M3.2.0,M11.1.0");
    tmp_write("R/US", b.p, b.n);
    z = load_ok(&e, "R/US");
    expect_switch(z, utc(1900, 3, 11, 7, 0, 0), -5 * HOUR, -4 * HOUR);
    expect_switch(z, utc(1600, 3, 12, 7, 0, 0), -5 * HOUR, -4 * HOUR);
    expect_switch(z, utc(1969, 11, 2, 6, 0, 0), -4 * HOUR, -5 * HOUR);
    expect_offset(z, utc(1969, 12, 31, 23, 59, 59), -5 * HOUR);
    expect_offset(z, -1, -5 * HOUR);
    cib__zone_free(e.ctx, z);

    /* Negative and over-24 h times move the switch to the day before or
     * after: last Sunday of March 2026 (the 29th) at -1:00 local std
     * (UTC-2) is 2026-03-28 23:00 local, 2026-03-29 01:00 UTC; the 4th
     * Thursday of March 2026 (the 26th) at 50:00 is Saturday 02:00. */
    make_rule_file(&b, -2 * HOUR, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0");
    tmp_write("R/Neg", b.p, b.n);
    z = load_ok(&e, "R/Neg");
    assert_int_equal(z->start.time, -HOUR);
    expect_switch(z, utc(2026, 3, 29, 1, 0, 0), -2 * HOUR, -1 * HOUR);
    expect_switch(z, utc(2026, 10, 25, 1, 0, 0), -1 * HOUR, -2 * HOUR);
    cib__zone_free(e.ctx, z);
    make_rule_file(&b, 2 * HOUR, "EET-2EEST,M3.4.4/50,M10.4.4/50");
    tmp_write("R/Gaza", b.p, b.n);
    z = load_ok(&e, "R/Gaza");
    assert_int_equal(z->start.time, 50 * HOUR);
    expect_switch(z, utc(2026, 3, 28, 0, 0, 0), 2 * HOUR, 3 * HOUR);
    expect_switch(z, utc(2026, 10, 23, 23, 0, 0), 3 * HOUR, 2 * HOUR); /* Thu 22nd + 50 h */
    cib__zone_free(e.ctx, z);

    /* Year-round DST (tzfile(5)): from Jan 1 00:00 to Dec 31 at 24:00 plus
     * the DST amount, here -4 h all the time, also around New Year. */
    make_rule_file(&b, -5 * HOUR, "EST5EDT,0/0,J365/25");
    tmp_write("R/Perm", b.p, b.n);
    z = load_ok(&e, "R/Perm");
    for (int64_t y = 1968; y <= 2101; y++) {
        int64_t ny = utc(y, 1, 1, 0, 0, 0);
        for (int64_t t = ny - 6 * HOUR; t <= ny + 6 * HOUR; t += 1799)
            expect_offset(z, t, -4 * HOUR);
        expect_offset(z, utc(y, 7, 1, 0, 0, 0), -4 * HOUR);
    }
    cib__zone_free(e.ctx, z);

    /* No DST part: the standard offset always; and Etc-style zones. */
    make_rule_file(&b, 0, "<+0530>-5:30");
    tmp_write("R/Fixed", b.p, b.n);
    z = load_ok(&e, "R/Fixed");
    assert_false(z->has_dst);
    expect_offset(z, INT64_C(-9000000000000000), 19800);
    expect_offset(z, 0, 19800);
    expect_offset(z, INT64_C(9000000000000000), 19800);
    cib__zone_free(e.ctx, z);
    env_close(&e);
}

/* ---- the file format ---- */

/* Version 1 files (32-bit times), version 2+ files whose 32-bit block must
 * be skipped, 64-bit times before 1901, leap-second records and
 * indicators that the parser must step over to find the footer. */
static void test_tzif_versions_time_sizes_and_skipped_records_R_CHAN_7(void **state)
{
    (void)state;
    tmp_init();
    tmp_mkdir("F");
    tzenv e;
    env_open(&e, tmp.dir);
    static tzbuf b;
    const int64_t t32[] = {-2000000000, 1000000000};
    const unsigned char i32[] = {1, 2};
    const int32_t o32[] = {100, -3600, 7200};
    const tzblock v1 = {2, t32, i32, 3, o32, 2, 1};

    make_tzif(&b, '\0', &v1, NULL, NULL);
    tmp_write("F/V1", b.p, b.n);
    cib__zone *z = load_ok(&e, "F/V1");
    assert_int_equal(z->n_trans, 2);
    assert_int_equal(z->trans[0], -2000000000); /* sign-extended */
    assert_false(z->has_rule);
    expect_offset(z, INT64_C(-9000000000000000), 100);
    expect_switch(z, -2000000000, 100, -3600);
    expect_switch(z, 1000000000, -3600, 7200);
    expect_offset(z, INT64_C(9000000000000000), 7200);
    cib__zone_free(e.ctx, z);

    /* The v2 block disagrees with the v1 block: the v2 block counts. */
    const int64_t t64[] = {INT64_C(-5000000000), 0, INT64_C(5000000000)};
    const unsigned char i64[] = {1, 0, 1};
    const int32_t o64[] = {3600, 5400};
    const tzblock v2 = {3, t64, i64, 2, o64, 3, 1};
    for (char version = '2'; version <= '4'; version++) {
        make_tzif(&b, version, &v1, &v2, "<+01>-1<+0130>-1:30,M3.5.0,M10.5.0/3");
        tmp_write("F/V2", b.p, b.n);
        z = load_ok(&e, "F/V2");
        assert_int_equal(z->n_trans, 3);
        assert_int_equal(z->n_types, 2);
        assert_true(z->has_rule && z->has_dst);
        assert_int_equal(z->std_off, 3600);
        assert_int_equal(z->dst_off, 5400);
        expect_switch(z, INT64_C(-5000000000), 3600, 5400);
        expect_switch(z, 0, 5400, 3600);
        expect_offset(z, -2000000000, 5400);
        expect_offset(z, 1000000000, 3600);
        /* From the last transition (2128-06-11, in summer) the rule. */
        expect_offset(z, INT64_C(5000000000), 5400);
        expect_switch(z, utc(2128, 10, 31, 1, 30, 0), 5400, 3600); /* 03:00 at +1:30 */
        expect_switch(z, utc(2129, 3, 27, 1, 0, 0), 3600, 5400);
        cib__zone_free(e.ctx, z);
    }

    /* An empty footer: no rule, the last type stays. */
    make_tzif(&b, '2', &v1, &v2, "");
    tmp_write("F/Empty", b.p, b.n);
    z = load_ok(&e, "F/Empty");
    assert_false(z->has_rule);
    expect_offset(z, INT64_C(9000000000000000), 5400);
    cib__zone_free(e.ctx, z);

    /* No transitions, no rule: type 0 always. */
    const tzblock none = {0, NULL, NULL, 1, o32, 0, 0};
    make_tzif(&b, '2', &minimal_v1, &none, "");
    tmp_write("F/None", b.p, b.n);
    z = load_ok(&e, "F/None");
    expect_offset(z, INT64_C(-9000000000000000), 100);
    expect_offset(z, INT64_C(9000000000000000), 100);
    cib__zone_free(e.ctx, z);
    env_close(&e);
}

/* ---- refused names and files ---- */

static void test_bad_zone_names_refused_R_CHAN_7(void **state)
{
    (void)state;
    tzenv e;
    env_open(&e, NULL);
    const char *bad_name = "not a time zone name";
    static const char *const names[] = {
        "",
        "../etc/passwd",
        "/etc/localtime",
        "/usr/share/zoneinfo/UTC",
        "Europe/../Europe/Berlin",
        "Europe/./Berlin",
        "Europe//Berlin",
        "Europe/Berlin/",
        "./UTC",
        ".",
        "..",
        "America/New York",
        "Europe/Z\xc3\xbcrich",
        "Europe/Berlin\n",
        "Europe\\Berlin",
        "UTC;rm",
        "Etc/GMT+5*",
        "~/UTC",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        load_refused(&e, names[i], strlen(names[i]), bad_name);
    /* The length counts, not a NUL: an embedded NUL, and a name whose
     * first bytes alone would be valid. */
    load_refused(&e, "Europe/Berlin\0x", 15, bad_name);
    load_refused(&e, "UTC\0", 4, bad_name);
    load_refused(&e, "Europe/Berlin", 14, bad_name);
    /* 255 bytes is the limit: 256 is a bad name, 255 merely unknown. */
    char longname[300];
    memset(longname, 'a', sizeof longname);
    for (size_t i = 1; i < sizeof longname; i += 10)
        longname[i] = '/';
    load_refused(&e, longname, 256, bad_name);
    load_refused(&e, longname, 299, bad_name);
    load_refused(&e, longname, 255, "is unknown");
    /* Valid names with '+', '-', '_' and '.' load. */
    static const char *const good[] = {"Etc/GMT+5", "Etc/GMT-14", "America/Port-au-Prince",
                                       "America/Port_of_Spain", "UTC"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        long live = e.fa.live;
        cib__zone *z = load_ok(&e, good[i]);
        cib__zone_free(e.ctx, z);
        assert_int_equal(e.fa.live, live);
    }
    /* A name that is a prefix of a longer argument loads by its length. */
    cib__zone *z = NULL;
    assert_int_equal(cib__zone_load(e.ctx, "UTCxyz", 3, &z), CIB_OK);
    assert_string_equal(z->name, "UTC");
    cib__zone_free(e.ctx, z);
    cib__zone_free(e.ctx, NULL);
    env_close(&e);
}

static void test_unknown_zones_directories_and_non_tzif_files_refused_R_CHAN_7(void **state)
{
    (void)state;
    tzenv e;
    env_open(&e, NULL);
    load_refused(&e, "Nope/Nowhere", 12, "is unknown");
    load_refused(&e, "Europe/Nowhere", 14, "is unknown");
    load_refused(&e, "europe/berlin", 13, "is unknown");
    load_refused(&e, "Europe", 6, "not a valid TZif file");
    load_refused(&e, "America/Argentina", 17, "not a valid TZif file");
    load_refused(&e, "zone.tab", 8, "not a valid TZif file");
    load_refused(&e, "iso3166.tab", 11, "not a valid TZif file");
    load_refused(&e, "tzdata.zi", 9, "not a valid TZif file");
    /* The message names the zone. */
    load_refused(&e, "Nope/Nowhere", 12, "'Nope/Nowhere'");
    load_refused(&e, "zone.tab", 8, "'zone.tab'");
    env_close(&e);
}

/* A copy of Europe/Berlin under a made-up name in a directory of our own;
 * the directory is the only one searched. */
static void test_custom_zoneinfo_dir_is_used_R_CHAN_7(void **state)
{
    (void)state;
    size_t n;
    unsigned char *p = slurp("/usr/share/zoneinfo/Europe/Berlin", &n);
    tmp_init();
    tmp_mkdir("Test");
    tmp_write("Test/Zone", p, n);
    free(p);
    tzenv e;
    env_open(&e, tmp.dir);
    cib__zone *z = load_ok(&e, "Test/Zone");
    expect_switch(z, utc(2026, 3, 29, 1, 0, 0), 3600, 7200);
    expect_switch(z, utc(2026, 10, 25, 1, 0, 0), 7200, 3600);
    expect_switch(z, utc(2040, 3, 25, 1, 0, 0), 3600, 7200);
    cib__zone_free(e.ctx, z);
    load_refused(&e, "Europe/Berlin", 13, "is unknown");
    load_refused(&e, "Test", 4, "not a valid TZif file");
    env_close(&e);
    /* The default directory knows no Test/Zone. */
    env_open(&e, NULL);
    load_refused(&e, "Test/Zone", 9, "is unknown");
    env_close(&e);
    /* A directory that does not exist. */
    env_open(&e, "/nonexistent/zoneinfo");
    load_refused(&e, "UTC", 3, "is unknown");
    env_close(&e);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Where a version 2+ file's second header starts: after the first header
 * and the 32-bit data block (RFC 8536 3.2). */
static size_t second_header(const unsigned char *p)
{
    uint32_t isut = get32(p + 20), isstd = get32(p + 24), leapcnt = get32(p + 28);
    uint32_t timecnt = get32(p + 32), typecnt = get32(p + 36), charcnt = get32(p + 40);
    size_t at = 44 + timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstd + isut;
    assert_memory_equal(p + at, "TZif", 4);
    return at;
}

/* The offset of the footer's leading newline in a TZif file. */
static size_t footer_at(const unsigned char *p, size_t n)
{
    assert_int_equal(p[n - 1], '\n');
    size_t f = n - 2;
    while (p[f] != '\n')
        f--;
    return f;
}

/* Every proper prefix of a real file but one (see the next test), and
 * synthetic files broken in each way the parser checks. */
static void test_truncated_and_corrupt_tzif_files_refused_R_CHAN_7(void **state)
{
    (void)state;
    const char *invalid = "not a valid TZif file";
    size_t n;
    unsigned char *p = slurp("/usr/share/zoneinfo/Europe/Berlin", &n);
    size_t footer = footer_at(p, n);
    tmp_init();
    tmp_mkdir("Test");
    tzenv e;
    env_open(&e, tmp.dir);
    for (size_t len = 0; len < n; len++) {
        if (len == footer)
            continue;
        tmp_write("Test/Cut", p, len);
        load_refused(&e, "Test/Cut", 8, invalid);
    }
    /* A bad magic in the first or the second header. */
    p[0] = 'X';
    tmp_write("Test/Bad", p, n);
    load_refused(&e, "Test/Bad", 8, invalid);
    p[0] = 'T';
    tmp_write("Test/Bad", p, n);
    cib__zone *z = load_ok(&e, "Test/Bad");
    cib__zone_free(e.ctx, z);
    p[second_header(p) + 3] = 'F';
    tmp_write("Test/Bad", p, n);
    load_refused(&e, "Test/Bad", 8, invalid);
    free(p);

    static tzbuf b;
    const int64_t trans[] = {-100, 0, 100};
    const unsigned char idx[] = {1, 0, 1};
    const unsigned char bad_idx[] = {1, 2, 1};
    const int64_t same[] = {-100, 0, 0};
    const int64_t down[] = {-100, 100, 0};
    const int32_t offs[] = {3600, 7200};
    const int32_t too_east[] = {3600, 26 * 3600 + 1};
    const int32_t too_west[] = {-25 * 3600 - 1, 7200};
    const int32_t edges[] = {-25 * 3600, 26 * 3600};
    const tzblock good = {3, trans, idx, 2, offs, 1, 1};
    const struct {
        tzblock k;
        int ok;
    } blocks[] = {
        {good, 1},
        {{3, trans, bad_idx, 2, offs, 1, 1}, 0}, /* a type index >= typecnt */
        {{3, same, idx, 2, offs, 0, 0}, 0},      /* transitions not increasing */
        {{3, down, idx, 2, offs, 0, 0}, 0},
        {{3, trans, idx, 2, too_east, 0, 0}, 0}, /* offsets beyond -25 h .. +26 h */
        {{3, trans, idx, 2, too_west, 0, 0}, 0},
        {{3, trans, idx, 2, edges, 0, 0}, 1},
    };
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        make_tzif(&b, '2', &minimal_v1, &blocks[i].k, "CET-1CEST,M3.5.0,M10.5.0/3");
        tmp_write("Test/Syn", b.p, b.n);
        if (blocks[i].ok) {
            z = load_ok(&e, "Test/Syn");
            cib__zone_free(e.ctx, z);
        } else {
            load_refused(&e, "Test/Syn", 8, invalid);
        }
        /* The same in a version 1 file. */
        make_tzif(&b, '\0', &blocks[i].k, NULL, NULL);
        tmp_write("Test/Syn1", b.p, b.n);
        if (blocks[i].ok) {
            z = load_ok(&e, "Test/Syn1");
            cib__zone_free(e.ctx, z);
        } else {
            load_refused(&e, "Test/Syn1", 9, invalid);
        }
    }

    /* Header counts: typecnt 0, indicator counts other than 0 or typecnt,
     * and counts beyond the limits or the file. The v2 header's counts
     * start at byte 20 of the second header. */
    static const struct {
        size_t field; /* 0 isut, 1 isstd, 2 leap, 3 time, 4 type, 5 chr */
        uint32_t value;
    } counts[] = {{4, 0},     {4, 257},   {0, 1}, {1, 3}, {3, 100001},
                  {5, 65537}, {2, 10001}, {3, 4}, {2, 5}, {5, 1000}};
    make_tzif(&b, '2', &minimal_v1, &good, "CET-1CEST,M3.5.0,M10.5.0/3");
    size_t v2_header = second_header(b.p);
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        for (int which = 0; which < 2; which++) {
            static tzbuf c;
            c = b;
            unsigned char *q = c.p + (which ? v2_header : 0) + 20 + 4 * counts[i].field;
            uint32_t v = counts[i].value;
            q[0] = (unsigned char)(v >> 24);
            q[1] = (unsigned char)(v >> 16);
            q[2] = (unsigned char)(v >> 8);
            q[3] = (unsigned char)v;
            tmp_write("Test/Hdr", c.p, c.n);
            load_refused(&e, "Test/Hdr", 8, invalid);
        }
    }

    /* Footers the rule parser refuses. */
    static const char *const footers[] = {
        "!!!",
        "CET",                            /* no offset */
        "CE-1",                           /* a name of 2 letters */
        "<+01-1",                         /* an unterminated <name> */
        "CET+25",                         /* more than 24 hours */
        "CET-1:60",                       /* 60 minutes */
        "CET-1:00:60",                    /* 60 seconds */
        "CET-1CEST",                      /* DST without rules */
        "CET-1CEST,M3.5.0",               /* one rule */
        "CET-1CEST,M13.5.0,M10.5.0/3",    /* month 13 */
        "CET-1CEST,M0.5.0,M10.5.0/3",     /* month 0 */
        "CET-1CEST,M3.0.0,M10.5.0/3",     /* week 0 */
        "CET-1CEST,M3.6.0,M10.5.0/3",     /* week 6 */
        "CET-1CEST,M3.5.7,M10.5.0/3",     /* weekday 7 */
        "CET-1CEST,M3.5,M10.5.0/3",       /* no weekday */
        "CET-1CEST,J0,J300",              /* J counts from 1 */
        "CET-1CEST,J366,J300",            /* up to 365 */
        "CET-1CEST,366,300",              /* n: 0 to 365 */
        "CET-1CEST,M3.5.0/168,M10.5.0/3", /* times within +-167 h */
        "CET-1CEST,M3.5.0/-168,M10.5.0/3",
        "CET-1CEST,M3.5.0,M10.5.0/3x", /* trailing text */
        "CET-1CEST,M3.5.0,M10.5.0/",   /* no time after '/' */
        "CET-1CEST-2x,M3.5.0,M10.5.0", /* text after the DST offset */
        "CET-1CEST+25,M3.5.0,M10.5.0",
        "CET-1 CEST,M3.5.0,M10.5.0",
    };
    for (size_t i = 0; i < sizeof footers / sizeof footers[0]; i++) {
        make_tzif(&b, '2', &minimal_v1, &good, footers[i]);
        tmp_write("Test/Foot", b.p, b.n);
        load_refused(&e, "Test/Foot", 9, invalid);
    }
    /* A footer without its closing newline. */
    make_tzif(&b, '2', &minimal_v1, &good, NULL);
    put(&b, "\nCET-1CEST,M3.5.0,M10.5.0/3", 27);
    tmp_write("Test/Foot", b.p, b.n);
    load_refused(&e, "Test/Foot", 9, invalid);
    /* The limits themselves are accepted. */
    make_tzif(&b, '2', &minimal_v1, &good, "<-24>24<+24>-24,M3.5.0/167,M10.5.0/-167");
    tmp_write("Test/Foot", b.p, b.n);
    z = load_ok(&e, "Test/Foot");
    assert_int_equal(z->std_off, -24 * 3600);
    assert_int_equal(z->dst_off, 24 * 3600);
    assert_int_equal(z->start.time, 167 * 3600);
    assert_int_equal(z->end.time, -167 * 3600);
    cib__zone_free(e.ctx, z);
    env_close(&e);
}

/* RFC 8536 3.3: a version 2+ file ends with a footer, a TZ string (maybe
 * empty) between newlines. A copy cut just before it, or one where other
 * bytes follow the data block, is not a valid TZif file: accepting it
 * silently drops the zone's DST after its last transition. */
static void test_v2_file_without_footer_refused_R_CHAN_7(void **state)
{
    (void)state;
    size_t n;
    unsigned char *p = slurp("/usr/share/zoneinfo/Europe/Berlin", &n);
    size_t footer = footer_at(p, n);
    tmp_init();
    tmp_mkdir("Test");
    tmp_write("Test/Cut", p, footer);
    p[footer] = 'X';
    tmp_write("Test/NoNL", p, n);
    free(p);
    /* Load both before asserting, so that a failure leaks nothing. */
    static const char *const names[] = {"Test/Cut", "Test/NoNL"};
    int rc[2];
    char msg[2][512];
    tzenv e;
    env_open(&e, tmp.dir);
    for (int i = 0; i < 2; i++) {
        cib__zone *z = NULL;
        rc[i] = cib__zone_load(e.ctx, names[i], strlen(names[i]), &z);
        snprintf(msg[i], sizeof msg[i], "%s", rc[i] ? cib_errmsg(e.ctx) : "");
        cib__zone_free(e.ctx, z);
    }
    env_close(&e);
    for (int i = 0; i < 2; i++) {
        if (rc[i] != CIB_EINVAL)
            fail_msg("loading '%s': %d, want CIB_EINVAL", names[i], rc[i]);
        assert_non_null(strstr(msg[i], "not a valid TZif file"));
    }
}

/* ---- allocation failures ---- */

/* Fail the 1st, 2nd, ... allocation of a load until it succeeds: each is
 * CIB_ENOMEM with "out of memory", no zone, nothing leaked. */
static void zone_load_sweep(const char *dir, const char *name, long min_allocs)
{
    tzenv e;
    env_open(&e, dir);
    long k = 0;
    for (;; k++) {
        long live = e.fa.live, failed = e.fa.failed;
        e.fa.fail_at = e.fa.count + k;
        cib__zone *z = (cib__zone *)&z;
        int rc = cib__zone_load(e.ctx, name, strlen(name), &z);
        e.fa.fail_at = -1;
        if (e.fa.failed == failed) {
            assert_int_equal(rc, CIB_OK);
            assert_string_equal(z->name, name);
            cib__zone_free(e.ctx, z);
            assert_int_equal(e.fa.live, live);
            break;
        }
        if (rc != CIB_ENOMEM)
            fail_msg("%s, allocation %ld failing: %d", name, k + 1, rc);
        assert_null(z);
        assert_string_equal(cib_errmsg(e.ctx), "out of memory");
        assert_int_equal(e.fa.live, live);
    }
    if (k < min_allocs)
        fail_msg("%s: only %ld allocations", name, k);
    env_close(&e);
}

static void test_zone_load_out_of_memory_at_each_allocation_R_CHAN_7(void **state)
{
    (void)state;
    zone_load_sweep(NULL, "Europe/Berlin", 6); /* file, zone, 3 arrays, name */
    zone_load_sweep(NULL, "UTC", 6);           /* no transitions */
    tmp_init();
    tmp_mkdir("T");
    static tzbuf b;
    make_tzif(&b, '\0', &minimal_v1, NULL, NULL);
    tmp_write("T/V1", b.p, b.n);
    zone_load_sweep(tmp.dir, "T/V1", 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_days_from_civil_known_dates_and_leap_years_R_CHAN_7),
        cmocka_unit_test(test_days_from_civil_matches_day_by_day_calendar_walk_R_CHAN_7),
        cmocka_unit_test(test_berlin_2026_switches_at_exact_utc_seconds_R_CHAN_7),
        cmocka_unit_test(test_new_york_2026_switches_at_exact_utc_seconds_R_CHAN_7),
        cmocka_unit_test(test_northern_dst_zones_match_glibc_R_CHAN_7),
        cmocka_unit_test(test_southern_dst_zones_match_glibc_R_CHAN_7),
        cmocka_unit_test(test_fixed_and_abolished_dst_zones_match_glibc_R_CHAN_7),
        cmocka_unit_test_teardown(test_posix_rule_forms_match_glibc_R_CHAN_7, tmp_remove),
        cmocka_unit_test_teardown(test_posix_rule_exact_instants_R_CHAN_7, tmp_remove),
        cmocka_unit_test_teardown(test_tzif_versions_time_sizes_and_skipped_records_R_CHAN_7,
                                  tmp_remove),
        cmocka_unit_test(test_bad_zone_names_refused_R_CHAN_7),
        cmocka_unit_test(test_unknown_zones_directories_and_non_tzif_files_refused_R_CHAN_7),
        cmocka_unit_test_teardown(test_custom_zoneinfo_dir_is_used_R_CHAN_7, tmp_remove),
        cmocka_unit_test_teardown(test_truncated_and_corrupt_tzif_files_refused_R_CHAN_7,
                                  tmp_remove),
        cmocka_unit_test_teardown(test_v2_file_without_footer_refused_R_CHAN_7, tmp_remove),
        cmocka_unit_test_teardown(test_zone_load_out_of_memory_at_each_allocation_R_CHAN_7,
                                  tmp_remove),
    };
    return TENV_RUN(tests);
}
