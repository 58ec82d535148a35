/* test_zones.c - chat business hours (R-CHAN-7) in zones from elsewhere: a
 * zoneinfo directory of the host's (opts->zoneinfo_dir), a stored zone whose
 * file has vanished, and every kind of zone and POSIX TZ rule checked against
 * the C library's localtime_r() on the same files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "support/hourstest.h"

/* ---- a zoneinfo directory of the host's ---- */

typedef struct tmpdir {
    char path[256];
    char files[32][320];
    size_t n_files;
    char dirs[8][320];
    size_t n_dirs;
} tmpdir;

static void tmpdir_new(tmpdir *d)
{
    memset(d, 0, sizeof *d);
    const char *tmp = getenv("TMPDIR");
    /* Formatted on the stack, then copied: gcc's -Wformat-truncation, with
     * UBSan's null checks at -O2, takes d->path for a possible NULL. */
    char path[sizeof d->path];
    int len = snprintf(path, sizeof path, "%s/cib-test-hours.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_true(len > 0 && (size_t)len < sizeof path); /* the path fits */
    memcpy(d->path, path, sizeof path);
    assert_non_null(mkdtemp(d->path));
}

static void tmpdir_mkdir(tmpdir *d, const char *name)
{
    assert_true(d->n_dirs < 8);
    char base[sizeof d->path];
    memcpy(base, d->path, sizeof base);
    char *path = d->dirs[d->n_dirs];
    int len = snprintf(path, sizeof d->dirs[0], "%s/%s", base, name);
    assert_true(len > 0 && (size_t)len < sizeof d->dirs[0]); /* the path fits */
    assert_int_equal(mkdir(path, 0700), 0);
    d->n_dirs++;
}

static void tmpdir_write(tmpdir *d, const char *name, const void *data, size_t n)
{
    assert_true(d->n_files < 32);
    char *path = d->files[d->n_files++];
    char base[sizeof d->path];
    memcpy(base, d->path, sizeof base);
    int len = snprintf(path, sizeof d->files[0], "%s/%s", base, name);
    assert_true(len > 0 && (size_t)len < sizeof d->files[0]); /* the path fits */
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void tmpdir_free(tmpdir *d)
{
    for (size_t i = 0; i < d->n_files; i++)
        remove(d->files[i]);
    for (size_t i = d->n_dirs; i-- > 0;)
        rmdir(d->dirs[i]);
    rmdir(d->path);
}

/* A case's fixture: a temporary directory, and TZ restored afterwards, even
 * when the case fails. */
typedef struct fixture {
    tmpdir dir;
    char *saved_tz; /* NULL: TZ was not set */
} fixture;

static int fixture_setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    tmpdir_new(&f->dir);
    const char *tz = getenv("TZ");
    f->saved_tz = tz ? strdup(tz) : NULL;
    *state = f;
    return 0;
}

static int fixture_teardown(void **state)
{
    fixture *f = *state;
    if (f->saved_tz)
        setenv("TZ", f->saved_tz, 1);
    else
        unsetenv("TZ");
    tzset();
    tmpdir_free(&f->dir);
    free(f->saved_tz);
    free(f);
    return 0;
}

/* The whole of a file; *n its size. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *buf = malloc(1 << 20);
    assert_non_null(buf);
    *n = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

static size_t put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return 4;
}

/* A version-2 TZif file without transitions: one local time type (std_off
 * seconds east of UTC), so every instant follows the POSIX TZ footer. */
static size_t tzif_rule(unsigned char *buf, int32_t std_off, const char *footer)
{
    size_t n = 0;
    for (int block = 0; block < 2; block++) {
        memcpy(buf + n, "TZif2", 5);
        memset(buf + n + 5, 0, 15);
        n += 20;
        const uint32_t counts[6] = {0, 0, 0, 0, 1, 4}; /* isut isstd leap time type char */
        for (int i = 0; i < 6; i++)
            n += put32(buf + n, counts[i]);
        n += put32(buf + n, (uint32_t)std_off);
        buf[n++] = 0; /* isdst */
        buf[n++] = 0; /* designation index */
        memcpy(buf + n, "STD", 4);
        n += 4;
    }
    n += (size_t)sprintf((char *)buf + n, "\n%s\n", footer);
    return n;
}

/* A stored zone whose file is gone (a tzdata upgrade dropped the name): the
 * account still opens, the chat shows as closed with a clear error, its
 * settings read back unchanged, and setting the availability again repairs
 * it. */
static void test_vanished_zone_R_CHAN_7(void **state)
{
    tmpdir *d = &((fixture *)*state)->dir;
    tmpdir_mkdir(d, "Test");
    size_t n;
    unsigned char *berlin = slurp("/usr/share/zoneinfo/Europe/Berlin", &n);
    tmpdir_write(d, "Test/Zone", berlin, n);
    tmpdir_write(d, "Test/Other", berlin, n);
    free(berlin);
    tenv *e = tenv_new();
    e->opts.zoneinfo_dir = d->path;
    tenv_reopen(e);
    add_inbox(e, "sales", "Sales");
    const range office[] = {{CIB_WEEKDAYS, HM(9, 0), HM(17, 0)}};
    hours_chat_add(e, "zone", "Test/Zone", office, 1);
    OPEN(e, "zone", utc(2026, 3, 27, 8, 0, 0));
    char path[512];
    int len = snprintf(path, sizeof path, "%s/Test/Zone", d->path);
    assert_true(len > 0 && (size_t)len < sizeof path); /* the path fits */
    assert_int_equal(unlink(path), 0);
    tenv_reopen(e); /* the account opens */
    e->now = utc(2026, 3, 27, 8, 0, 0);
    int a = 7;
    expect_status(e, cib_chat_available(e->ctx, "zone", CIB_NTS, &a), CIB_ENOTFOUND, "Test/Zone");
    assert_int_equal(a, 0);
    cib_channel_info ch;
    chat_info(e, "zone", &ch);
    assert_int_equal(ch.chat_mode, CIB_CHAT_BUSINESS_HOURS);
    assert_string_equal(ch.tz, "Test/Zone");
    /* A new setting still refuses the missing zone; another one repairs. */
    hours h;
    hours_init(&h, CIB_CHAT_BUSINESS_HOURS, "Test/Zone", office, 1);
    expect_status(e, cib_channel_set_availability(e->ctx, "zone", CIB_NTS, &h.def), CIB_EINVAL,
                  "Test/Zone");
    hours_init(&h, CIB_CHAT_BUSINESS_HOURS, "Test/Other", office, 1);
    expect_status(e, cib_channel_set_availability(e->ctx, "zone", CIB_NTS, &h.def), CIB_OK, NULL);
    OPEN(e, "zone", utc(2026, 3, 27, 8, 0, 0));
    tenv_free(e);
}

/* R-CHAN-7: opts->zoneinfo_dir is where zones are found; names still may not
 * leave it, and a file there that is not a zone is refused. A file without
 * transitions follows its POSIX TZ rule. */
static void test_zoneinfo_dir_R_CHAN_7(void **state)
{
    tmpdir *d = &((fixture *)*state)->dir;
    tmpdir_mkdir(d, "Test");
    size_t n;
    unsigned char *berlin = slurp("/usr/share/zoneinfo/Europe/Berlin", &n);
    tmpdir_write(d, "Test/Zone", berlin, n);
    tmpdir_write(d, "Test/Short", berlin, 60);
    tmpdir_write(d, "Test/Text", "hello, world\n", 13);
    tmpdir_write(d, "Test/Empty", "", 0);
    unsigned char rule[512];
    tmpdir_write(d, "Test/Rule", rule, tzif_rule(rule, 3600, "CET-1CEST,M3.5.0,M10.5.0/3"));
    tmpdir_write(d, "Test/South", rule, tzif_rule(rule, 36000, "AEST-10AEDT,M10.1.0,M4.1.0/3"));
    tmpdir_write(d, "Test/Year-End", rule, tzif_rule(rule, -10800, "XXX3YYY,J59/1:30,J365/23"));
    tmpdir_write(d, "Test/Bad-Rule", rule, tzif_rule(rule, 3600, "CET-1CEST,M13.5.0,M10.5.0"));
    free(berlin);

    tenv *e = tenv_new();
    e->opts.zoneinfo_dir = d->path; /* options are read when a context opens */
    tenv_reopen(e);
    add_inbox(e, "sales", "Sales");
    const range office[] = {{CIB_WEEKDAYS, HM(9, 0), HM(17, 0)}};
    const range span[] = {{CIB_SUNDAY, HM(1, 0), HM(4, 0)}};
    hours_chat_add(e, "zone", "Test/Zone", office, 1);
    hours_chat_add(e, "rule", "Test/Rule", span, 1);
    hours_chat_add(e, "south", "Test/South", span, 1);
    cib_channel_info ch;
    chat_info(e, "zone", &ch);
    assert_string_equal(ch.tz, "Test/Zone");
    /* A copy of Berlin behaves as Berlin. */
    CLOSED(e, "zone", utc(2026, 3, 27, 7, 59, 59));
    OPEN(e, "zone", utc(2026, 3, 27, 8, 0, 0));
    CLOSED(e, "zone", utc(2026, 3, 30, 6, 59, 59));
    OPEN(e, "zone", utc(2026, 3, 30, 7, 0, 0));
    /* The rule alone gives Berlin's 2026 changes (and any other year's). */
    assert_int_equal(
        minutes_open(e, "rule", utc(2026, 3, 28, 12, 0, 0), utc(2026, 3, 29, 12, 0, 0)), 120);
    assert_int_equal(
        minutes_open(e, "rule", utc(2026, 10, 24, 12, 0, 0), utc(2026, 10, 25, 12, 0, 0)), 240);
    OPEN(e, "rule", utc(2026, 3, 29, 0, 0, 0));
    CLOSED(e, "rule", utc(2026, 3, 29, 2, 0, 0));
    assert_int_equal(
        minutes_open(e, "rule", utc(1985, 3, 30, 12, 0, 0), utc(1985, 3, 31, 12, 0, 0)), 120);
    /* Southern hemisphere: AEDT ends on 2026-04-05 (03:00 AEDT = 16:00Z on
     * the 4th) and starts on 2026-10-04 (02:00 AEST = 16:00Z on the 3rd). */
    assert_int_equal(minutes_open(e, "south", utc(2026, 4, 4, 0, 0, 0), utc(2026, 4, 5, 0, 0, 0)),
                     240);
    OPEN(e, "south", utc(2026, 4, 4, 14, 0, 0));     /* 01:00 AEDT */
    OPEN(e, "south", utc(2026, 4, 4, 17, 59, 59));   /* 03:59:59 AEST */
    CLOSED(e, "south", utc(2026, 4, 4, 18, 0, 0));   /* 04:00 AEST */
    CLOSED(e, "south", utc(2026, 4, 4, 13, 59, 59)); /* 00:59:59 AEDT */
    assert_int_equal(minutes_open(e, "south", utc(2026, 10, 3, 0, 0, 0), utc(2026, 10, 4, 0, 0, 0)),
                     120);
    OPEN(e, "south", utc(2026, 10, 3, 15, 0, 0));   /* 01:00 AEST */
    OPEN(e, "south", utc(2026, 10, 3, 16, 0, 0));   /* 03:00 AEDT */
    CLOSED(e, "south", utc(2026, 10, 3, 17, 0, 0)); /* 04:00 AEDT */
    /* Summer in January, winter in July. */
    OPEN(e, "south", utc(2026, 1, 3, 14, 0, 0));     /* Sunday 01:00 AEDT */
    CLOSED(e, "south", utc(2026, 1, 3, 17, 0, 0));   /* 04:00 AEDT */
    OPEN(e, "south", utc(2026, 7, 4, 17, 0, 0));     /* Sunday 03:00 AEST */
    CLOSED(e, "south", utc(2026, 7, 4, 14, 59, 59)); /* 00:59:59 AEST */

    /* Summer time that ends at 23:00 on December 31 (UTC-2), which is 01:00Z
     * on January 1: 22:00-23:00 local happens twice, once in each year's
     * UTC. */
    const range late[] = {{CIB_EVERY_DAY, HM(22, 0), HM(23, 0)}};
    hours_chat_add(e, "year-end", "Test/Year-End", late, 1);
    OPEN(e, "year-end", utc(2026, 1, 1, 0, 30, 0));       /* 22:30 UTC-2 */
    OPEN(e, "year-end", utc(2026, 1, 1, 1, 30, 0));       /* 22:30 UTC-3 */
    CLOSED(e, "year-end", utc(2025, 12, 31, 23, 59, 59)); /* 21:59:59 UTC-2 */
    CLOSED(e, "year-end", utc(2026, 1, 1, 2, 0, 0));      /* 23:00 UTC-3 */
    assert_int_equal(
        minutes_open(e, "year-end", utc(2025, 12, 31, 12, 0, 0), utc(2026, 1, 1, 12, 0, 0)), 120);
    OPEN(e, "year-end", utc(2026, 7, 1, 0, 30, 0)); /* 22:30 UTC-2 in summer */
    CLOSED(e, "year-end", utc(2026, 7, 1, 1, 30, 0));

    /* Zones of the default directory are not found here; names may not
     * leave this one either; files that are not zones are refused. */
    char *before = tenv_snapshot(e);
    const struct {
        const char *tz, *needle;
    } bad[] = {
        {"Europe/Berlin", "unknown"},       {"Test", "not a valid TZif"},
        {"Test/Short", "not a valid TZif"}, {"Test/Text", "not a valid TZif"},
        {"Test/Empty", "not a valid TZif"}, {"Test/Bad-Rule", "not a valid TZif"},
        {"Test/Nope", "unknown"},           {"../Test/Zone", "'tz'"},
        {"Test/../Test/Zone", "'tz'"},      {"/usr/share/zoneinfo/UTC", "'tz'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hours h;
        hours_init(&h, CIB_CHAT_BUSINESS_HOURS, bad[i].tz, office, 1);
        expect_refused(e, cib_channel_set_availability(e->ctx, "zone", CIB_NTS, &h.def), CIB_EINVAL,
                       bad[i].needle, bad[i].tz, "set_availability");
        expect_unchanged(e, before);
    }
    free(before);
    /* The zone is stored by name and read again from the same directory. */
    tenv_reopen(e);
    chat_info(e, "rule", &ch);
    assert_string_equal(ch.tz, "Test/Rule");
    OPEN(e, "zone", utc(2026, 3, 30, 7, 0, 0));
    assert_int_equal(
        minutes_open(e, "rule", utc(2026, 10, 24, 12, 0, 0), utc(2026, 10, 25, 12, 0, 0)), 240);
    tenv_free(e);
}

/* ---- every zone against the C library's local time ---- */

/* The spec's rule on a civil local time: range i covers, on each day in
 * days, from (included) to to (excluded); to <= from runs into the next day. */
static int spec_open(const range *r, size_t n, const struct tm *tm)
{
    unsigned minute = (unsigned)(tm->tm_hour * 60 + tm->tm_min);
    unsigned today = 1u << ((tm->tm_wday + 6) % 7); /* tm_wday 0: Sunday */
    unsigned yesterday = 1u << ((tm->tm_wday + 5) % 7);
    for (size_t i = 0; i < n; i++) {
        if (r[i].from < r[i].to) {
            if ((r[i].days & today) && minute >= r[i].from && minute < r[i].to)
                return 1;
        } else if (((r[i].days & today) && minute >= r[i].from) ||
                   ((r[i].days & yesterday) && minute < r[i].to)) {
            return 1;
        }
    }
    return 0;
}

/* Local time of day in 45-minute steps: 20 minutes open, 25 closed. */
static range comb[32];
/* Days of the week, past midnight, to 1440, 24 hours. */
static const range week[] = {
    {CIB_MONDAY | CIB_WEDNESDAY | CIB_FRIDAY, HM(9, 0), HM(17, 0)},
    {CIB_TUESDAY | CIB_SATURDAY, HM(20, 0), HM(3, 0)},
    {CIB_SUNDAY, HM(1, 30), HM(2, 30)},
    {CIB_THURSDAY, HM(23, 0), 1440},
    {CIB_SUNDAY, HM(23, 0), HM(0, 30)},
    {CIB_THURSDAY, HM(12, 0), HM(12, 0)},
};

static int64_t local_offset(time_t t, struct tm *tm)
{
    assert_non_null(localtime_r(&t, tm));
    int64_t local =
        (civil_days(tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday) * 24 + tm->tm_hour) * 3600 +
        tm->tm_min * 60 + tm->tm_sec;
    return local - (int64_t)t;
}

static long oracle_checks; /* instants compared */

static void oracle_check(tenv *e, const char *zone, time_t t)
{
    oracle_checks++;
    struct tm tm;
    local_offset(t, &tm);
    const char *ids[2] = {"comb", "week"};
    const range *rs[2] = {comb, week};
    size_t ns[2] = {32, sizeof week / sizeof week[0]};
    for (int k = 0; k < 2; k++) {
        int want = spec_open(rs[k], ns[k], &tm);
        int got = open_at(e, ids[k], (int64_t)t * 1000);
        if (got != want) {
            char buf[64];
            strftime(buf, sizeof buf, "%Y-%m-%d %a %H:%M:%S %Z", &tm);
            fail_msg("%s, channel %s, at %lld (local %s): want %s, got %s", zone, ids[k],
                     (long long)t, buf, want ? "open" : "closed", got ? "open" : "closed");
        }
    }
}

/* Compare the library with the C library's localtime_r(), for TZ=tz_env, over
 * the given years: at regular instants, and densely around every change of
 * the UTC offset. Returns how many offset changes were seen. */
static int oracle_zone(tenv *e, const char *zone, const char *tz_env, const int *years,
                       size_t n_years)
{
    hours_set(e, "comb", zone, comb, 32);
    hours_set(e, "week", zone, week, sizeof week / sizeof week[0]);
    assert_int_equal(setenv("TZ", tz_env, 1), 0);
    tzset();
    int changes = 0;
    const int64_t step = 5 * 3600 + 7 * 60 + 13;
    for (size_t y = 0; y < n_years; y++) {
        int64_t start = civil_days(years[y], 1, 1) * 86400 - 86400;
        int64_t end = civil_days(years[y] + 1, 1, 1) * 86400 + 86400;
        struct tm tm;
        int64_t prev = local_offset((time_t)start, &tm);
        for (int64_t t = start; t < end; t += step) {
            oracle_check(e, zone, (time_t)t);
            int64_t off = local_offset((time_t)t, &tm);
            if (off == prev)
                continue;
            /* The first second with the new offset, in (t - step, t]. */
            int64_t lo = t - step, hi = t;
            while (hi - lo > 1) {
                int64_t mid = lo + (hi - lo) / 2;
                if (local_offset((time_t)mid, &tm) == prev)
                    lo = mid;
                else
                    hi = mid;
            }
            for (int64_t k = -30; k <= 30; k++)
                oracle_check(e, zone, (time_t)(hi + k * 7 * 60));
            const int64_t near[] = {-3601, -3600, -1801, -1800, -1, 1, 1799, 1800, 3599, 3600};
            for (size_t i = 0; i < sizeof near / sizeof near[0]; i++)
                oracle_check(e, zone, (time_t)(hi + near[i]));
            prev = off;
            changes++;
        }
    }
    return changes;
}

/* R-CHAN-7: local time follows each zone's daylight saving rules, checked
 * against the C library's localtime_r() on the same zoneinfo files: zones
 * with half-hour and 45-minute offsets, a 30-minute DST (Lord Howe), changes
 * at 24:00 (Santiago), at -1:00 (Nuuk), 50 hours after a Thursday (Gaza),
 * negative DST (Dublin), southern summers. 2026 comes from the files'
 * transition tables, 2040 from their POSIX TZ footers. */
static void test_zones_like_libc_R_CHAN_7(void **state)
{
    (void)state;
    for (unsigned i = 0; i < 32; i++)
        comb[i] = (range){CIB_EVERY_DAY, i * 45, i * 45 + 20};
    tenv *e = env_sales();
    chat_add(e, "comb");
    chat_add(e, "week");
    const struct {
        const char *zone;
        int changes; /* offset changes in 2026 and 2040 */
    } zones[] = {
        {"Europe/Berlin", 4},       {"America/New_York", 4},  {"Australia/Sydney", 4},
        {"Australia/Lord_Howe", 4}, {"Pacific/Chatham", 4},   {"America/Santiago", 4},
        {"America/Nuuk", 4},        {"Europe/Dublin", 4},     {"Asia/Gaza", -1},
        {"America/St_Johns", 4},    {"Asia/Kolkata", 0},      {"Africa/Casablanca", -1},
        {"Pacific/Kiritimati", 0},  {"America/Sao_Paulo", 0}, {"UTC", 0},
    };
    const int years[] = {2026, 2040};
    oracle_checks = 0;
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        char env[128];
        snprintf(env, sizeof env, ":%s", zones[i].zone);
        int changes = oracle_zone(e, zones[i].zone, env, years, 2);
        if (zones[i].changes >= 0 && changes != zones[i].changes)
            fail_msg("%s: %d offset changes in 2026 and 2040, expected %d", zones[i].zone, changes,
                     zones[i].changes);
    }
    /* History, before 1970: offsets that are not whole minutes (Amsterdam
     * +0:19:32 and its summer time, Dublin Mean Time, local mean time before
     * a zone's first transition), double summer time, war time. */
    const struct {
        const char *zone;
        int year;
    } past[] = {
        {"Europe/Amsterdam", 1937}, {"Europe/Dublin", 1916}, {"Europe/Berlin", 1890},
        {"America/New_York", 1883}, {"Europe/London", 1941}, {"Europe/Moscow", 1919},
        {"Asia/Kolkata", 1942},     {"Pacific/Apia", 2011},  {"America/Caracas", 2016},
    };
    for (size_t i = 0; i < sizeof past / sizeof past[0]; i++) {
        char env[128];
        snprintf(env, sizeof env, ":%s", past[i].zone);
        oracle_zone(e, past[i].zone, env, &past[i].year, 1);
    }
    assert_true(oracle_checks > 50000);
    tenv_free(e);
}

/* R-CHAN-7: POSIX TZ rules (a zone file's footer, here without any
 * transition) of every form, against the C library's reading of the same
 * rule as TZ: Mm.w.d with times past 24:00 and negative, Jn and n (leap years
 * differ), offsets with minutes, DST that is not one hour, or negative. */
static void test_tz_rules_like_libc_R_CHAN_7(void **state)
{
    for (unsigned i = 0; i < 32; i++)
        comb[i] = (range){CIB_EVERY_DAY, i * 45, i * 45 + 20};
    const struct {
        int32_t std_off;
        const char *rule;
    } rules[] = {
        {3600, "CET-1CEST,M3.5.0,M10.5.0/3"},
        {-18000, "EST5EDT,M3.2.0,M11.1.0"},
        {36000, "AEST-10AEDT,M10.1.0,M4.1.0/3"},
        {-7200, "<-02>2<-01>,M3.5.0/-1,M10.5.0/0"},
        {-14400, "<-04>4<-03>,M9.1.6/24,M4.1.6/24"},
        {37800, "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0"},
        {45900, "<+1245>-12:45<+1345>,M9.5.0/2:45,M4.1.0/3:45"},
        {3600, "IST-1GMT0,M10.5.0,M3.5.0/1"},
        {7200, "EET-2EEST,M3.4.4/50,M10.4.4/50"},
        {-12600, "NST3:30NDT,M3.2.0,M11.1.0"},
        {-10800, "XXX3YYY,J60/1:30,J300/5"},
        {-10800, "XXX3YYY,J59/1:30,J365/20"},
        {-10800, "XXX3YYY,59/1:30,299/5"},
        {-10800, "XXX3YYY-1,M2.5.4/23,M12.5.0/20"},
        {50400, "<+14>-14"},
        {-34200, "<-0930>9:30"},
        {1172, "<+0019>-0:19:32<+0119>-1:19:32,M5.3.0/2:30:15,M10.1.0/3:00:45"},
    };
    const size_t n_rules = sizeof rules / sizeof rules[0];
    tmpdir *d = &((fixture *)*state)->dir;
    tmpdir_mkdir(d, "Rule");
    unsigned char buf[512];
    for (size_t i = 0; i < n_rules; i++) {
        char name[32];
        snprintf(name, sizeof name, "Rule/%zu", i);
        tmpdir_write(d, name, buf, tzif_rule(buf, rules[i].std_off, rules[i].rule));
    }
    tenv *e = tenv_new();
    e->opts.zoneinfo_dir = d->path;
    tenv_reopen(e);
    add_inbox(e, "sales", "Sales");
    chat_add(e, "comb");
    chat_add(e, "week");
    const int years[] = {2026, 2028, 2100};
    for (size_t i = 0; i < n_rules; i++) {
        char name[32];
        snprintf(name, sizeof name, "Rule/%zu", i);
        int changes = oracle_zone(e, name, rules[i].rule, years, 3);
        int dst = strchr(rules[i].rule, ',') != NULL;
        if (dst ? changes < 6 : changes != 0)
            fail_msg("%s: %d offset changes in 3 years", rules[i].rule, changes);
    }
    tenv_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_zoneinfo_dir_R_CHAN_7, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_vanished_zone_R_CHAN_7, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_zones_like_libc_R_CHAN_7, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tz_rules_like_libc_R_CHAN_7, fixture_setup,
                                        fixture_teardown),
    };
    return TENV_RUN(tests);
}
