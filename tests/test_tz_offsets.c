/* test_tz_offsets.c - white-box tests of the UTC offsets that time zones
 * (lib/rules/tz.c) give business hours (R-CHAN-7): real zones against glibc's
 * localtime_r() from 1800 to year 100000, exact 2026 switches, the POSIX TZ
 * footer rules (M, J and n dates, negative and over-24 h times, negative DST)
 * against glibc and at instants worked out by hand, and civil day numbers.
 * Zone names, files and allocation failures are in test_tz.c. */
#define _DEFAULT_SOURCE 1 /* struct tm's tm_gmtoff */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/tztest.h"

/* 1800-01-01, 1970-01-01, 2100-01-01, 2400-01-01 at 00:00 UTC (date -u +%s). */
#define T1800 INT64_C(-5364662400)
#define T1970 INT64_C(0)
#define T2100 INT64_C(4102444800)
#define T2400 INT64_C(13569465600)

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
        /* The counts prove the comparison crossed transitions. tzdata
         * updates change them (Casablanca's predicted Ramadan switches
         * have), so only a quarter of the expected minimum is required;
         * zones without changes must stay without. */
        long at_least = (zc[i].min_changes + 3) / 4;
        if (zc[i].max_changes == 0 ? changes != 0 : changes < at_least)
            fail_msg("%s: %ld changes from 1970 to 2100, want %s%ld", zc[i].name, changes,
                     zc[i].max_changes == 0 ? "" : "at least ",
                     zc[i].max_changes == 0 ? 0L : at_least);
        sweep(z, zc[i].name, T2100, T2400, 11 * DAY + 5 * HOUR);
        static const int64_t far[] = {3000, 10000, 100000};
        for (size_t k = 0; k < sizeof far / sizeof far[0]; k++)
            sweep(z, zc[i].name, utc(far[k], 1, 1, 0, 0, 0), utc(far[k] + 1, 1, 1, 0, 0, 0),
                  2 * DAY + HOUR);
        cib__zone_free(e.ctx, z);
    }
    env_close(&e);
}

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
    env_open(&e, tmp_dir());
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
    env_open(&e, tmp_dir());
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
    };
    return TENV_RUN(tests);
}
