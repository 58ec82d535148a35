/* test_hours.c - chat availability (R-CHAN-7): always, status based, and business
 * hours in IANA zones across daylight saving changes, with the time taken from
 * the host's clock callback (R-AVAIL-3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "support/testenv.h"

/* ---- time helpers (independent of the library) ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t civil_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* A UTC civil time in milliseconds since the epoch. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    return ((civil_days(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)s * 1000;
}

#define HM(h, m)            ((unsigned)((h)*60 + (m)))
#define MINUTE_MS           60000LL
#define HOUR_MS             3600000LL
#define DAY_MS              86400000LL
#define WEEK_MS             (7 * DAY_MS)
/* Day k (0: Monday 2026-01-05) of the test clock's first week, at h:m:s UTC. */
#define WEEKDAY(k, h, m, s) (TENV_EPOCH_MS + (k)*DAY_MS + ((h)*3600LL + (m)*60LL + (s)) * 1000)

/* ---- availability defs ---- */

typedef struct range {
    unsigned days, from, to;
} range;

/* A def with its range arrays; `def` points into the struct: do not copy it. */
typedef struct hours {
    unsigned days[80], from[80], to[80];
    cib_availability_def def;
} hours;

static void hours_init(hours *h, int mode, const char *tz, const range *r, size_t n)
{
    assert_true(n <= 80);
    for (size_t i = 0; i < n; i++) {
        h->days[i] = r[i].days;
        h->from[i] = r[i].from;
        h->to[i] = r[i].to;
    }
    cib_availability_def d = CIB_AVAILABILITY_DEF_INIT;
    d.mode = mode;
    d.tz = tz;
    if (n) {
        d.range_days = h->days;
        d.range_from = h->from;
        d.range_to = h->to;
    }
    d.n_ranges = n;
    h->def = d;
}

static void hours_set(tenv *e, const char *ch, const char *tz, const range *r, size_t n)
{
    hours h;
    hours_init(&h, CIB_CHAT_BUSINESS_HOURS, tz, r, n);
    expect_status(e, cib_channel_set_availability(e->ctx, ch, CIB_NTS, &h.def), CIB_OK, NULL);
}

static void mode_set(tenv *e, const char *ch, int mode)
{
    cib_availability_def d = CIB_AVAILABILITY_DEF_INIT;
    d.mode = mode;
    expect_status(e, cib_channel_set_availability(e->ctx, ch, CIB_NTS, &d), CIB_OK, NULL);
}

static void chat_add(tenv *e, const char *id)
{
    add_channel(e, id, "sales", CIB_CHANNEL_CHAT, NULL);
}

/* A chat channel in "sales" with business hours. */
static void hours_chat_add(tenv *e, const char *id, const char *tz, const range *r, size_t n)
{
    chat_add(e, id);
    hours_set(e, id, tz, r, n);
}

/* Is channel ch available at `when` (ms)? Sets the clock and asks. */
static int open_at(tenv *e, const char *ch, int64_t when)
{
    e->now = when;
    int a = 99;
    expect_status(e, cib_chat_available(e->ctx, ch, CIB_NTS, &a), CIB_OK, NULL);
    if (a != 0 && a != 1)
        fail_msg("cib_chat_available('%s') set %d", ch, a);
    return a;
}

static void expect_open_at(tenv *e, const char *ch, int64_t when, int want, int line)
{
    int got = open_at(e, ch, when);
    if (got != want) {
        time_t t = (time_t)(when / 1000 - (when % 1000 < 0));
        struct tm tm;
        char buf[64] = "?";
        if (gmtime_r(&t, &tm))
            strftime(buf, sizeof buf, "%Y-%m-%d %a %H:%M:%S", &tm);
        fail_msg("line %d: channel '%s' at %sZ (+%lld ms): want %s, got %s", line, ch, buf,
                 (long long)(((when % 1000) + 1000) % 1000), want ? "open" : "closed",
                 got ? "open" : "closed");
    }
}

#define OPEN(e, ch, when)   expect_open_at((e), (ch), (when), 1, __LINE__)
#define CLOSED(e, ch, when) expect_open_at((e), (ch), (when), 0, __LINE__)

/* Minutes open in [from, to), sampled at the start of every minute. */
static long minutes_open(tenv *e, const char *ch, int64_t from, int64_t to)
{
    long n = 0;
    for (int64_t t = from; t < to; t += MINUTE_MS)
        n += open_at(e, ch, t);
    return n;
}

static void chat_info(tenv *e, const char *ch, cib_channel_info *out)
{
    cib_channel_info init = CIB_CHANNEL_INFO_INIT;
    *out = init;
    expect_status(e, cib_channel_get(e->ctx, ch, CIB_NTS, out), CIB_OK, NULL);
}

static tenv *env_sales(void)
{
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    return e;
}

/* ---- always ---- */

/* R-CHAN-7: a chat channel without availability is always available, at any
 * instant the clock gives (R-AVAIL-3); so is one set to ALWAYS explicitly. */
static void test_always_R_CHAN_7_R_AVAIL_3(void **state)
{
    (void)state;
    tenv *e = env_sales();
    chat_add(e, "chat");
    add_channel(e, "mail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    cib_channel_info ch;
    chat_info(e, "chat", &ch);
    assert_int_equal(ch.chat_mode, CIB_CHAT_ALWAYS);
    assert_null(ch.tz);
    chat_info(e, "mail", &ch);
    assert_int_equal(ch.chat_mode, 0);
    assert_null(ch.tz);
    const int64_t instants[] = {
        TENV_EPOCH_MS,
        0,
        -1,
        utc(1969, 7, 20, 20, 17, 40),
        utc(2026, 3, 29, 1, 30, 0), /* inside Berlin's skipped hour */
        utc(2026, 10, 25, 0, 30, 0),
        utc(2026, 1, 10, 3, 0, 0), /* a Saturday night */
        utc(2099, 12, 31, 23, 59, 59),
        INT64_MAX,
        INT64_MIN,
    };
    for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++)
        OPEN(e, "chat", instants[i]);
    /* Explicitly ALWAYS, after business hours that were closed. */
    const range night[] = {{CIB_SUNDAY, HM(3, 0), HM(4, 0)}};
    hours_set(e, "chat", "Europe/Berlin", night, 1);
    CLOSED(e, "chat", TENV_EPOCH_MS);
    mode_set(e, "chat", CIB_CHAT_ALWAYS);
    chat_info(e, "chat", &ch);
    assert_int_equal(ch.chat_mode, CIB_CHAT_ALWAYS);
    assert_null(ch.tz);
    for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++)
        OPEN(e, "chat", instants[i]);
    /* A new channel with an explicit ALWAYS def. */
    cib_availability_def a = CIB_AVAILABILITY_DEF_INIT;
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "chat2";
    d.inbox = "sales";
    d.type = CIB_CHANNEL_CHAT;
    d.availability = &a;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    chat_info(e, "chat2", &ch);
    assert_int_equal(ch.chat_mode, CIB_CHAT_ALWAYS);
    OPEN(e, "chat2", utc(2026, 3, 29, 1, 30, 0));
    tenv_free(e);
}

/* ---- business hours across daylight saving changes ---- */

/* R-CHAN-7, R-AVAIL-3: Europe/Berlin in 2026. CEST starts on Sunday 03-29 at
 * 01:00Z (02:00 CET becomes 03:00 CEST); CET returns on Sunday 10-25 at 01:00Z
 * (03:00 CEST becomes 02:00 CET). The same local hours are different UTC
 * instants before and after; a range includes its start and excludes its
 * end, to the millisecond. */
static void test_berlin_dst_R_CHAN_7_R_AVAIL_3(void **state)
{
    (void)state;
    tenv *e = env_sales();
    const range office[] = {{CIB_WEEKDAYS, HM(9, 0), HM(17, 0)}};
    hours_chat_add(e, "office", "Europe/Berlin", office, 1);
    cib_channel_info ch;
    chat_info(e, "office", &ch);
    assert_int_equal(ch.chat_mode, CIB_CHAT_BUSINESS_HOURS);
    assert_string_equal(ch.tz, "Europe/Berlin");

    /* Friday 03-27, CET (UTC+1). */
    CLOSED(e, "office", utc(2026, 3, 27, 7, 59, 59));   /* 08:59:59 */
    CLOSED(e, "office", utc(2026, 3, 27, 8, 0, 0) - 1); /* 08:59:59.999 */
    OPEN(e, "office", utc(2026, 3, 27, 8, 0, 0));       /* 09:00:00 */
    OPEN(e, "office", utc(2026, 3, 27, 15, 59, 59));    /* 16:59:59 */
    OPEN(e, "office", utc(2026, 3, 27, 16, 0, 0) - 1);  /* 16:59:59.999 */
    CLOSED(e, "office", utc(2026, 3, 27, 16, 0, 0));    /* 17:00:00 */
    CLOSED(e, "office", utc(2026, 3, 27, 7, 30, 0));    /* 08:30 */
    OPEN(e, "office", utc(2026, 3, 27, 15, 30, 0));     /* 16:30 */
    /* The weekend of the change: closed. */
    CLOSED(e, "office", utc(2026, 3, 28, 10, 0, 0));
    CLOSED(e, "office", utc(2026, 3, 29, 10, 0, 0));
    /* Monday 03-30, CEST (UTC+2): the same local hours, an hour earlier in UTC. */
    CLOSED(e, "office", utc(2026, 3, 30, 6, 59, 59)); /* 08:59:59 */
    OPEN(e, "office", utc(2026, 3, 30, 7, 0, 0));     /* 09:00:00 */
    OPEN(e, "office", utc(2026, 3, 30, 7, 30, 0));    /* 09:30, was 08:30 on Friday */
    OPEN(e, "office", utc(2026, 3, 30, 14, 59, 59));  /* 16:59:59 */
    CLOSED(e, "office", utc(2026, 3, 30, 15, 0, 0));  /* 17:00:00 */
    CLOSED(e, "office", utc(2026, 3, 30, 15, 30, 0)); /* 17:30, was 16:30 on Friday */
    /* Friday 10-23, CEST. */
    CLOSED(e, "office", utc(2026, 10, 23, 6, 59, 59));
    OPEN(e, "office", utc(2026, 10, 23, 7, 0, 0));
    OPEN(e, "office", utc(2026, 10, 23, 14, 59, 59));
    CLOSED(e, "office", utc(2026, 10, 23, 15, 0, 0));
    /* Monday 10-26, CET again. */
    CLOSED(e, "office", utc(2026, 10, 26, 7, 0, 0));   /* 08:00 */
    CLOSED(e, "office", utc(2026, 10, 26, 7, 59, 59)); /* 08:59:59 */
    OPEN(e, "office", utc(2026, 10, 26, 8, 0, 0));     /* 09:00 */
    OPEN(e, "office", utc(2026, 10, 26, 15, 59, 59));  /* 16:59:59 */
    CLOSED(e, "office", utc(2026, 10, 26, 16, 0, 0));  /* 17:00 */
    /* Eight hours a day, five days a week, in every week of the year. */
    assert_int_equal(
        minutes_open(e, "office", utc(2026, 3, 23, 0, 0, 0), utc(2026, 3, 30, 0, 0, 0)),
        5 * 8 * 60);
    assert_int_equal(
        minutes_open(e, "office", utc(2026, 10, 26, 0, 0, 0), utc(2026, 11, 2, 0, 0, 0)),
        5 * 8 * 60);

    /* Sunday 01:00-04:00 spans each change: on 03-29 it lasts two hours
     * (02:00-03:00 does not exist), on 10-25 four (02:00-03:00 twice). */
    const range span[] = {{CIB_SUNDAY, HM(1, 0), HM(4, 0)}};
    hours_chat_add(e, "span", "Europe/Berlin", span, 1);
    CLOSED(e, "span", utc(2026, 3, 28, 23, 59, 59)); /* 00:59:59 CET */
    OPEN(e, "span", utc(2026, 3, 29, 0, 0, 0));      /* 01:00:00 CET */
    OPEN(e, "span", utc(2026, 3, 29, 0, 59, 59));    /* 01:59:59 CET */
    OPEN(e, "span", utc(2026, 3, 29, 1, 0, 0));      /* 03:00:00 CEST */
    OPEN(e, "span", utc(2026, 3, 29, 1, 59, 59));    /* 03:59:59 CEST */
    CLOSED(e, "span", utc(2026, 3, 29, 2, 0, 0));    /* 04:00:00 CEST */
    assert_int_equal(
        minutes_open(e, "span", utc(2026, 3, 28, 12, 0, 0), utc(2026, 3, 29, 12, 0, 0)), 120);
    CLOSED(e, "span", utc(2026, 10, 24, 22, 59, 59)); /* 00:59:59 CEST */
    OPEN(e, "span", utc(2026, 10, 24, 23, 0, 0));     /* 01:00:00 CEST */
    OPEN(e, "span", utc(2026, 10, 25, 0, 59, 59));    /* 02:59:59 CEST */
    OPEN(e, "span", utc(2026, 10, 25, 1, 0, 0));      /* 02:00:00 CET */
    OPEN(e, "span", utc(2026, 10, 25, 2, 59, 59));    /* 03:59:59 CET */
    CLOSED(e, "span", utc(2026, 10, 25, 3, 0, 0));    /* 04:00:00 CET */
    assert_int_equal(
        minutes_open(e, "span", utc(2026, 10, 24, 12, 0, 0), utc(2026, 10, 25, 12, 0, 0)), 240);
    /* An ordinary Sunday: three hours. */
    assert_int_equal(
        minutes_open(e, "span", utc(2026, 3, 21, 12, 0, 0), utc(2026, 3, 22, 12, 0, 0)), 180);

    /* Sunday 02:00-03:00 exactly: never on 03-29, twice on 10-25. */
    const range gap[] = {{CIB_SUNDAY, HM(2, 0), HM(3, 0)}};
    hours_chat_add(e, "gap", "Europe/Berlin", gap, 1);
    assert_int_equal(minutes_open(e, "gap", utc(2026, 3, 28, 12, 0, 0), utc(2026, 3, 29, 12, 0, 0)),
                     0);
    for (int64_t t = utc(2026, 3, 29, 0, 59, 0); t < utc(2026, 3, 29, 1, 1, 0); t += 1000)
        CLOSED(e, "gap", t);
    CLOSED(e, "gap", utc(2026, 10, 24, 23, 59, 59)); /* 01:59:59 CEST */
    OPEN(e, "gap", utc(2026, 10, 25, 0, 0, 0));      /* 02:00:00 CEST */
    OPEN(e, "gap", utc(2026, 10, 25, 1, 0, 0) - 1);  /* 02:59:59.999 CEST */
    OPEN(e, "gap", utc(2026, 10, 25, 1, 0, 0));      /* 02:00:00 CET */
    OPEN(e, "gap", utc(2026, 10, 25, 2, 0, 0) - 1);  /* 02:59:59.999 CET */
    CLOSED(e, "gap", utc(2026, 10, 25, 2, 0, 0));    /* 03:00:00 CET */
    assert_int_equal(
        minutes_open(e, "gap", utc(2026, 10, 24, 12, 0, 0), utc(2026, 10, 25, 12, 0, 0)), 120);
    assert_int_equal(minutes_open(e, "gap", utc(2026, 3, 21, 12, 0, 0), utc(2026, 3, 22, 12, 0, 0)),
                     60);

    /* A range past midnight across each change: Saturday 22:00 to 04:00. */
    const range night[] = {{CIB_SATURDAY, HM(22, 0), HM(4, 0)}};
    hours_chat_add(e, "night", "Europe/Berlin", night, 1);
    CLOSED(e, "night", utc(2026, 3, 28, 20, 59, 59)); /* 21:59:59 CET */
    OPEN(e, "night", utc(2026, 3, 28, 21, 0, 0));     /* 22:00 CET */
    OPEN(e, "night", utc(2026, 3, 29, 1, 59, 59));    /* 03:59:59 CEST */
    CLOSED(e, "night", utc(2026, 3, 29, 2, 0, 0));    /* 04:00 CEST */
    CLOSED(e, "night", utc(2026, 10, 24, 19, 59, 59));
    OPEN(e, "night", utc(2026, 10, 24, 20, 0, 0));  /* 22:00 CEST */
    OPEN(e, "night", utc(2026, 10, 25, 2, 59, 59)); /* 03:59:59 CET */
    CLOSED(e, "night", utc(2026, 10, 25, 3, 0, 0)); /* 04:00 CET */
    assert_int_equal(
        minutes_open(e, "night", utc(2026, 3, 28, 12, 0, 0), utc(2026, 3, 29, 12, 0, 0)), 5 * 60);
    assert_int_equal(
        minutes_open(e, "night", utc(2026, 10, 24, 12, 0, 0), utc(2026, 10, 25, 12, 0, 0)), 7 * 60);

    /* After the last transition of the zone file (2037) the zone's rule
     * applies: 2040 changes on 03-25 and 10-28, both at 01:00Z. */
    CLOSED(e, "span", utc(2040, 3, 24, 23, 59, 59));
    OPEN(e, "span", utc(2040, 3, 25, 0, 0, 0));
    OPEN(e, "span", utc(2040, 3, 25, 1, 59, 59));
    CLOSED(e, "span", utc(2040, 3, 25, 2, 0, 0));
    assert_int_equal(
        minutes_open(e, "gap", utc(2040, 10, 27, 12, 0, 0), utc(2040, 10, 28, 12, 0, 0)), 120);
    OPEN(e, "office", utc(2040, 3, 26, 7, 0, 0));   /* Monday 09:00 CEST */
    CLOSED(e, "office", utc(2040, 3, 23, 7, 0, 0)); /* Friday 08:00 CET */
    tenv_free(e);
}

/* R-CHAN-7: America/New_York in 2026. EDT starts on Sunday 03-08 at 07:00Z
 * (02:00 EST becomes 03:00 EDT); EST returns on Sunday 11-01 at 06:00Z (02:00
 * EDT becomes 01:00 EST), so 01:00-02:00 local happens twice. */
static void test_new_york_dst_R_CHAN_7(void **state)
{
    (void)state;
    tenv *e = env_sales();
    const range office[] = {{CIB_WEEKDAYS, HM(9, 0), HM(17, 0)}};
    hours_chat_add(e, "office", "America/New_York", office, 1);
    /* Friday 03-06, EST (UTC-5). */
    CLOSED(e, "office", utc(2026, 3, 6, 13, 59, 59));
    OPEN(e, "office", utc(2026, 3, 6, 14, 0, 0));
    OPEN(e, "office", utc(2026, 3, 6, 21, 59, 59));
    CLOSED(e, "office", utc(2026, 3, 6, 22, 0, 0));
    /* Monday 03-09, EDT (UTC-4). */
    CLOSED(e, "office", utc(2026, 3, 9, 12, 59, 59));
    OPEN(e, "office", utc(2026, 3, 9, 13, 0, 0));
    OPEN(e, "office", utc(2026, 3, 9, 20, 59, 59));
    CLOSED(e, "office", utc(2026, 3, 9, 21, 0, 0));
    /* Friday 10-30, EDT; Monday 11-02, EST. */
    CLOSED(e, "office", utc(2026, 10, 30, 12, 59, 59));
    OPEN(e, "office", utc(2026, 10, 30, 13, 0, 0));
    CLOSED(e, "office", utc(2026, 10, 30, 21, 0, 0));
    CLOSED(e, "office", utc(2026, 11, 2, 13, 0, 0)); /* 08:00 EST */
    OPEN(e, "office", utc(2026, 11, 2, 14, 0, 0));   /* 09:00 EST */
    OPEN(e, "office", utc(2026, 11, 2, 21, 30, 0));  /* 16:30 EST */
    CLOSED(e, "office", utc(2026, 11, 2, 22, 0, 0)); /* 17:00 EST */
    /* Between 03-08 and 03-29 New York is on summer time and Berlin is not:
     * the zones are kept apart. */
    const range berlin[] = {{CIB_WEEKDAYS, HM(15, 0), HM(16, 0)}};
    hours_chat_add(e, "berlin", "Europe/Berlin", berlin, 1);
    OPEN(e, "office", utc(2026, 3, 16, 14, 0, 0)); /* 10:00 EDT */
    OPEN(e, "berlin", utc(2026, 3, 16, 14, 0, 0)); /* 15:00 CET */
    CLOSED(e, "berlin", utc(2026, 3, 16, 13, 0, 0));

    /* Sunday 01:00-02:00: the repeated hour on 11-01 counts twice. */
    const range rep[] = {{CIB_SUNDAY, HM(1, 0), HM(2, 0)}};
    hours_chat_add(e, "rep", "America/New_York", rep, 1);
    CLOSED(e, "rep", utc(2026, 11, 1, 4, 59, 59)); /* 00:59:59 EDT */
    OPEN(e, "rep", utc(2026, 11, 1, 5, 0, 0));     /* 01:00:00 EDT */
    OPEN(e, "rep", utc(2026, 11, 1, 5, 59, 59));   /* 01:59:59 EDT */
    OPEN(e, "rep", utc(2026, 11, 1, 6, 0, 0));     /* 01:00:00 EST */
    OPEN(e, "rep", utc(2026, 11, 1, 6, 59, 59));   /* 01:59:59 EST */
    CLOSED(e, "rep", utc(2026, 11, 1, 7, 0, 0));   /* 02:00:00 EST */
    assert_int_equal(
        minutes_open(e, "rep", utc(2026, 10, 31, 12, 0, 0), utc(2026, 11, 1, 12, 0, 0)), 120);
    /* On 03-08 it is an ordinary hour, just before the change. */
    CLOSED(e, "rep", utc(2026, 3, 8, 5, 59, 59)); /* 00:59:59 EST */
    OPEN(e, "rep", utc(2026, 3, 8, 6, 0, 0));     /* 01:00:00 EST */
    OPEN(e, "rep", utc(2026, 3, 8, 6, 59, 59));   /* 01:59:59 EST */
    CLOSED(e, "rep", utc(2026, 3, 8, 7, 0, 0));   /* 03:00:00 EDT */
    assert_int_equal(minutes_open(e, "rep", utc(2026, 3, 7, 12, 0, 0), utc(2026, 3, 8, 12, 0, 0)),
                     60);

    /* Sunday 02:00-03:00: does not exist on 03-08; once (EST) on 11-01. */
    const range gap[] = {{CIB_SUNDAY, HM(2, 0), HM(3, 0)}};
    hours_chat_add(e, "gap", "America/New_York", gap, 1);
    assert_int_equal(minutes_open(e, "gap", utc(2026, 3, 7, 12, 0, 0), utc(2026, 3, 8, 12, 0, 0)),
                     0);
    CLOSED(e, "gap", utc(2026, 3, 8, 7, 0, 0) - 1);
    CLOSED(e, "gap", utc(2026, 3, 8, 7, 0, 0));
    CLOSED(e, "gap", utc(2026, 11, 1, 6, 59, 59)); /* 01:59:59 EST */
    OPEN(e, "gap", utc(2026, 11, 1, 7, 0, 0));     /* 02:00:00 EST */
    OPEN(e, "gap", utc(2026, 11, 1, 7, 59, 59));   /* 02:59:59 EST */
    CLOSED(e, "gap", utc(2026, 11, 1, 8, 0, 0));   /* 03:00:00 EST */
    assert_int_equal(
        minutes_open(e, "gap", utc(2026, 10, 31, 12, 0, 0), utc(2026, 11, 1, 12, 0, 0)), 60);

    /* Sunday 01:00-04:00: two hours on 03-08, four on 11-01. */
    const range span[] = {{CIB_SUNDAY, HM(1, 0), HM(4, 0)}};
    hours_chat_add(e, "span", "America/New_York", span, 1);
    OPEN(e, "span", utc(2026, 3, 8, 6, 0, 0));      /* 01:00 EST */
    OPEN(e, "span", utc(2026, 3, 8, 7, 59, 59));    /* 03:59:59 EDT */
    CLOSED(e, "span", utc(2026, 3, 8, 8, 0, 0));    /* 04:00 EDT */
    OPEN(e, "span", utc(2026, 11, 1, 5, 0, 0));     /* 01:00 EDT */
    OPEN(e, "span", utc(2026, 11, 1, 8, 59, 59));   /* 03:59:59 EST */
    CLOSED(e, "span", utc(2026, 11, 1, 9, 0, 0));   /* 04:00 EST */
    CLOSED(e, "span", utc(2026, 11, 1, 4, 59, 59)); /* 00:59:59 EDT */
    assert_int_equal(minutes_open(e, "span", utc(2026, 3, 7, 12, 0, 0), utc(2026, 3, 8, 12, 0, 0)),
                     120);
    assert_int_equal(
        minutes_open(e, "span", utc(2026, 10, 31, 12, 0, 0), utc(2026, 11, 1, 12, 0, 0)), 240);
    /* The footer rule, after the file's transitions: 2040-11-04 06:00Z. */
    assert_int_equal(minutes_open(e, "rep", utc(2040, 11, 3, 12, 0, 0), utc(2040, 11, 4, 12, 0, 0)),
                     120);
    assert_int_equal(minutes_open(e, "gap", utc(2040, 3, 10, 12, 0, 0), utc(2040, 3, 11, 12, 0, 0)),
                     0);
    tenv_free(e);
}

/* ---- ranges ---- */

/* R-CHAN-7: ranges past midnight (to <= from), ranges ending at 1440, several
 * ranges a day, a Sunday night that runs into Monday (the week wraps), day
 * sets. In UTC, so local time is the clock's. */
static void test_ranges_R_CHAN_7(void **state)
{
    (void)state;
    tenv *e = env_sales();
    /* Friday 22:00 to Saturday 02:00, on Fridays only. */
    const range fri[] = {{CIB_FRIDAY, HM(22, 0), HM(2, 0)}};
    hours_chat_add(e, "fri", "UTC", fri, 1);
    CLOSED(e, "fri", WEEKDAY(4, 21, 59, 59));
    OPEN(e, "fri", WEEKDAY(4, 22, 0, 0));
    OPEN(e, "fri", WEEKDAY(4, 23, 59, 59));
    OPEN(e, "fri", WEEKDAY(5, 0, 0, 0));
    OPEN(e, "fri", WEEKDAY(5, 2, 0, 0) - 1);
    CLOSED(e, "fri", WEEKDAY(5, 2, 0, 0));
    CLOSED(e, "fri", WEEKDAY(4, 1, 0, 0));   /* the night before: Thursday's */
    CLOSED(e, "fri", WEEKDAY(5, 22, 30, 0)); /* Saturday night */
    CLOSED(e, "fri", WEEKDAY(3, 23, 0, 0));
    assert_int_equal(minutes_open(e, "fri", TENV_EPOCH_MS, TENV_EPOCH_MS + WEEK_MS), 240);

    /* A range to 1440 ends at midnight. */
    const range eve[] = {{CIB_WEDNESDAY, HM(18, 0), 1440}};
    hours_chat_add(e, "eve", "UTC", eve, 1);
    CLOSED(e, "eve", WEEKDAY(2, 17, 59, 59));
    OPEN(e, "eve", WEEKDAY(2, 18, 0, 0));
    OPEN(e, "eve", WEEKDAY(3, 0, 0, 0) - 1);
    CLOSED(e, "eve", WEEKDAY(3, 0, 0, 0));
    assert_int_equal(minutes_open(e, "eve", TENV_EPOCH_MS, TENV_EPOCH_MS + WEEK_MS), 360);

    /* Two ranges on one day: a lunch break. */
    const range split[] = {{CIB_TUESDAY, HM(9, 0), HM(12, 0)}, {CIB_TUESDAY, HM(13, 0), HM(17, 0)}};
    hours_chat_add(e, "split", "UTC", split, 2);
    CLOSED(e, "split", WEEKDAY(1, 8, 59, 59));
    OPEN(e, "split", WEEKDAY(1, 9, 0, 0));
    OPEN(e, "split", WEEKDAY(1, 11, 59, 59));
    CLOSED(e, "split", WEEKDAY(1, 12, 0, 0));
    CLOSED(e, "split", WEEKDAY(1, 12, 30, 0));
    CLOSED(e, "split", WEEKDAY(1, 12, 59, 59));
    OPEN(e, "split", WEEKDAY(1, 13, 0, 0));
    OPEN(e, "split", WEEKDAY(1, 16, 59, 59));
    CLOSED(e, "split", WEEKDAY(1, 17, 0, 0));
    CLOSED(e, "split", WEEKDAY(2, 10, 0, 0)); /* Wednesday */
    assert_int_equal(minutes_open(e, "split", TENV_EPOCH_MS, TENV_EPOCH_MS + WEEK_MS), 7 * 60);

    /* Sunday 22:00 to Monday 06:00: the week wraps. 2026-01-05 follows a
     * Sunday, so its early hours are open too. */
    const range sun[] = {{CIB_SUNDAY, HM(22, 0), HM(6, 0)}};
    hours_chat_add(e, "sun", "UTC", sun, 1);
    OPEN(e, "sun", WEEKDAY(0, 0, 0, 0));
    OPEN(e, "sun", WEEKDAY(0, 5, 59, 59));
    CLOSED(e, "sun", WEEKDAY(0, 6, 0, 0));
    CLOSED(e, "sun", WEEKDAY(6, 21, 59, 59));
    OPEN(e, "sun", WEEKDAY(6, 22, 0, 0));
    OPEN(e, "sun", WEEKDAY(7, 5, 59, 59));
    CLOSED(e, "sun", WEEKDAY(7, 6, 0, 0));
    CLOSED(e, "sun", WEEKDAY(5, 23, 0, 0)); /* Saturday night */
    CLOSED(e, "sun", WEEKDAY(1, 3, 0, 0));  /* Monday night */
    assert_int_equal(minutes_open(e, "sun", TENV_EPOCH_MS, TENV_EPOCH_MS + WEEK_MS), 8 * 60);

    /* Day sets: Monday, Wednesday and Saturday at 10:00-11:00. */
    const range mws[] = {{CIB_MONDAY | CIB_WEDNESDAY | CIB_SATURDAY, HM(10, 0), HM(11, 0)}};
    hours_chat_add(e, "mws", "UTC", mws, 1);
    const int want_mws[7] = {1, 0, 1, 0, 0, 1, 0};
    for (int k = 0; k < 7; k++) {
        expect_open_at(e, "mws", WEEKDAY(k, 10, 30, 0), want_mws[k], __LINE__);
        CLOSED(e, "mws", WEEKDAY(k, 11, 0, 0));
        CLOSED(e, "mws", WEEKDAY(k, 9, 59, 59));
    }
    /* Every single day bit, and every day. */
    for (int k = 0; k < 7; k++) {
        char id[16];
        snprintf(id, sizeof id, "day%d", k);
        const range one[] = {{1u << k, HM(0, 0), HM(0, 1)}};
        hours_chat_add(e, id, "UTC", one, 1);
        for (int j = 0; j < 7; j++) {
            expect_open_at(e, id, WEEKDAY(j, 0, 0, 30), j == k, __LINE__);
            CLOSED(e, id, WEEKDAY(j, 0, 1, 0));
        }
    }
    const range all[] = {{CIB_EVERY_DAY, HM(7, 0), HM(7, 30)}};
    hours_chat_add(e, "all", "UTC", all, 1);
    assert_int_equal(minutes_open(e, "all", TENV_EPOCH_MS, TENV_EPOCH_MS + WEEK_MS), 7 * 30);
    const range weekend[] = {{CIB_SATURDAY | CIB_SUNDAY, 0, 1440}};
    hours_chat_add(e, "weekend", "UTC", weekend, 1);
    assert_int_equal(minutes_open(e, "weekend", TENV_EPOCH_MS, TENV_EPOCH_MS + WEEK_MS), 2 * 1440);
    CLOSED(e, "weekend", WEEKDAY(5, 0, 0, 0) - 1);
    OPEN(e, "weekend", WEEKDAY(5, 0, 0, 0));
    OPEN(e, "weekend", WEEKDAY(7, 0, 0, 0) - 1);
    CLOSED(e, "weekend", WEEKDAY(7, 0, 0, 0));

    /* End equal to start: 24 hours from the start. 00:00-00:00: the whole day. */
    const range thu[] = {{CIB_THURSDAY, HM(8, 0), HM(8, 0)}};
    hours_chat_add(e, "thu", "UTC", thu, 1);
    CLOSED(e, "thu", WEEKDAY(3, 7, 59, 59));
    OPEN(e, "thu", WEEKDAY(3, 8, 0, 0));
    OPEN(e, "thu", WEEKDAY(4, 7, 59, 59));
    CLOSED(e, "thu", WEEKDAY(4, 8, 0, 0));
    assert_int_equal(minutes_open(e, "thu", TENV_EPOCH_MS, TENV_EPOCH_MS + WEEK_MS), 1440);
    const range mon[] = {{CIB_MONDAY, 0, 0}};
    hours_chat_add(e, "mon", "UTC", mon, 1);
    OPEN(e, "mon", WEEKDAY(0, 0, 0, 0));
    OPEN(e, "mon", WEEKDAY(1, 0, 0, 0) - 1);
    CLOSED(e, "mon", WEEKDAY(1, 0, 0, 0));
    CLOSED(e, "mon", WEEKDAY(0, 0, 0, 0) - 1);
    assert_int_equal(minutes_open(e, "mon", TENV_EPOCH_MS, TENV_EPOCH_MS + WEEK_MS), 1440);
    /* A range past midnight ending at 00:00 ends at midnight. */
    const range sat[] = {{CIB_SATURDAY, HM(20, 0), 0}};
    hours_chat_add(e, "sat", "UTC", sat, 1);
    OPEN(e, "sat", WEEKDAY(6, 0, 0, 0) - 1);
    CLOSED(e, "sat", WEEKDAY(6, 0, 0, 0));
    assert_int_equal(minutes_open(e, "sat", TENV_EPOCH_MS, TENV_EPOCH_MS + WEEK_MS), 4 * 60);

    /* Overlapping ranges: their union. The last minute of the day. */
    const range lap[] = {{CIB_TUESDAY, HM(10, 0), HM(12, 0)},
                         {CIB_TUESDAY, HM(11, 0), HM(13, 0)},
                         {CIB_MONDAY, HM(23, 59), 1440}};
    hours_chat_add(e, "lap", "UTC", lap, 3);
    OPEN(e, "lap", WEEKDAY(1, 12, 30, 0));
    CLOSED(e, "lap", WEEKDAY(1, 13, 0, 0));
    OPEN(e, "lap", WEEKDAY(0, 23, 59, 0));
    CLOSED(e, "lap", WEEKDAY(0, 23, 58, 59));
    assert_int_equal(minutes_open(e, "lap", TENV_EPOCH_MS, TENV_EPOCH_MS + WEEK_MS), 3 * 60 + 1);

    /* The same answers in any week, before 1970 too: 1969-12-31 was a
     * Wednesday; a millisecond before midnight is still Wednesday. */
    OPEN(e, "split", WEEKDAY(1, 9, 0, 0) + 1000 * WEEK_MS);
    CLOSED(e, "split", WEEKDAY(1, 12, 0, 0) - 1000 * WEEK_MS);
    OPEN(e, "fri", WEEKDAY(5, 1, 0, 0) - 3000 * WEEK_MS);
    OPEN(e, "eve", -500);
    OPEN(e, "eve", -1);
    CLOSED(e, "eve", 0);
    const range thu0[] = {{CIB_THURSDAY, 0, HM(1, 0)}};
    hours_chat_add(e, "thu0", "UTC", thu0, 1);
    CLOSED(e, "thu0", -1);
    OPEN(e, "thu0", 0);
    CLOSED(e, "thu0", -WEEK_MS - 1);
    OPEN(e, "thu0", -WEEK_MS);

    /* 64 ranges are allowed, each counted. */
    range many[64];
    for (unsigned i = 0; i < 64; i++)
        many[i] = (range){1u << (i % 7), i * 20, i * 20 + 10};
    hours_chat_add(e, "many", "UTC", many, 64);
    assert_int_equal(minutes_open(e, "many", TENV_EPOCH_MS, TENV_EPOCH_MS + WEEK_MS), 64 * 10);
    OPEN(e, "many", WEEKDAY(63 % 7, 21, 0, 0)); /* range 63: 21:00-21:10 */
    CLOSED(e, "many", WEEKDAY(63 % 7, 21, 10, 0));
    /* Extreme clocks do not break anything. */
    open_at(e, "many", INT64_MAX);
    open_at(e, "many", INT64_MIN);
    tenv_free(e);
}

/* R-AVAIL-3, R-CHAN-7: the answer follows the host's clock, read at each call,
 * with no other call in between. */
static void test_clock_R_AVAIL_3_R_CHAN_7(void **state)
{
    (void)state;
    tenv *e = env_sales();
    const range office[] = {{CIB_WEEKDAYS, HM(9, 0), HM(17, 0)}};
    hours_chat_add(e, "office", "Europe/Berlin", office, 1);
    int a = -1;
    e->now = utc(2026, 1, 5, 8, 0, 0); /* Monday 09:00 CET */
    expect_status(e, cib_chat_available(e->ctx, "office", CIB_NTS, &a), CIB_OK, NULL);
    assert_int_equal(a, 1);
    e->now = utc(2026, 1, 5, 7, 0, 0);
    expect_status(e, cib_chat_available(e->ctx, "office", CIB_NTS, &a), CIB_OK, NULL);
    assert_int_equal(a, 0);
    e->now = utc(2026, 1, 5, 8, 0, 0);
    expect_status(e, cib_chat_available(e->ctx, "office", 6, &a), CIB_OK, NULL);
    assert_int_equal(a, 1);
    /* Explicit lengths: only the first tz_len bytes name the zone. */
    hours h;
    hours_init(&h, CIB_CHAT_BUSINESS_HOURS, "America/New_York!!", office, 1);
    h.def.tz_len = strlen("America/New_York");
    expect_status(e, cib_channel_set_availability(e->ctx, "office!", 6, &h.def), CIB_OK, NULL);
    cib_channel_info ch;
    chat_info(e, "office", &ch);
    assert_string_equal(ch.tz, "America/New_York");
    CLOSED(e, "office", utc(2026, 1, 5, 8, 0, 0)); /* 03:00 EST */
    OPEN(e, "office", utc(2026, 1, 5, 14, 0, 0));  /* 09:00 EST */
    tenv_free(e);
}

/* ---- status based ---- */

static void user_status(tenv *e, const char *user, int status)
{
    expect_status(e, cib_user_set_status(e->ctx, user, CIB_NTS, status), CIB_OK, NULL);
}

static void rule_set(tenv *e, const char *ch, int mode, const int *kinds, const char *const *ids,
                     size_t n, int only_available)
{
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = mode;
    r.target_kinds = kinds;
    r.target_ids = ids;
    r.n_targets = n;
    r.only_available = only_available;
    expect_status(e, cib_channel_set_routing(e->ctx, ch, CIB_NTS, &r), CIB_OK, NULL);
}

static void expect_chats(tenv *e, int c, int u, int o, int line)
{
    /* Status-based availability does not depend on the time of day. */
    const int64_t at[] = {TENV_EPOCH_MS, utc(2026, 3, 29, 1, 30, 0), utc(2026, 1, 10, 23, 0, 0)};
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        expect_open_at(e, "c", at[i], c, line);
        expect_open_at(e, "u", at[i], u, line);
        expect_open_at(e, "o", at[i], o, line);
    }
}

#define CHATS(e, c, u, o) expect_chats((e), (c), (u), (o), __LINE__)

static void setup_status(tenv *e)
{
    const char *users[] = {"alice", "bob", "carol", "dave"};
    for (size_t i = 0; i < 4; i++) {
        char email[32];
        snprintf(email, sizeof email, "%s@acme.test", users[i]);
        add_user(e, users[i], email, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    }
    const char *members[] = {"bob", "carol"};
    add_team(e, "t", members, 2);
    add_inbox(e, "sales", "Sales");
    /* c: alice and team t; u: unassigned; o: contact owner, else dave. */
    for (size_t i = 0; i < 3; i++) {
        const char *id = (const char *[]){"c", "u", "o"}[i];
        chat_add(e, id);
        mode_set(e, id, CIB_CHAT_STATUS_BASED);
    }
    const int kinds[] = {CIB_TARGET_USER, CIB_TARGET_TEAM};
    const char *ids[] = {"alice", "t"};
    rule_set(e, "c", CIB_ROUTE_SPECIFIC, kinds, ids, 2, 1);
    const int dk[] = {CIB_TARGET_USER};
    const char *dave[] = {"dave"};
    rule_set(e, "o", CIB_ROUTE_CONTACT_OWNER, dk, dave, 1, 1);
}

/* R-CHAN-7: status based: available while at least one user the routing rule
 * names, directly or as a member of a named team, is available (not away,
 * not offline); it follows every change of status, team and rule. A rule
 * that names no one (unassigned) is never available. */
static void test_status_based_R_CHAN_7(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup_status(e);
    cib_channel_info ch;
    chat_info(e, "c", &ch);
    assert_int_equal(ch.chat_mode, CIB_CHAT_STATUS_BASED);
    assert_null(ch.tz);
    CHATS(e, 0, 0, 0); /* new users are offline */
    user_status(e, "dave", CIB_AVAILABLE);
    CHATS(e, 0, 0, 1); /* dave is not on c's rule; he is o's fallback */
    user_status(e, "alice", CIB_AWAY);
    CHATS(e, 0, 0, 1);
    user_status(e, "alice", CIB_AVAILABLE);
    CHATS(e, 1, 0, 1);
    user_status(e, "alice", CIB_OFFLINE);
    CHATS(e, 0, 0, 1);
    user_status(e, "bob", CIB_AVAILABLE); /* through team t */
    CHATS(e, 1, 0, 1);
    user_status(e, "carol", CIB_AVAILABLE);
    CHATS(e, 1, 0, 1);
    user_status(e, "bob", CIB_OFFLINE);
    CHATS(e, 1, 0, 1);
    user_status(e, "carol", CIB_AWAY);
    CHATS(e, 0, 0, 1);
    user_status(e, "carol", CIB_AVAILABLE);
    CHATS(e, 1, 0, 1);
    /* carol leaves the team, and comes back. */
    const char *just_bob[] = {"bob"}, *both[] = {"bob", "carol"};
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "t";
    t.members = just_bob;
    t.n_members = 1;
    expect_status(e, cib_team_update(e->ctx, &t), CIB_OK, NULL);
    CHATS(e, 0, 0, 1);
    t.members = both;
    t.n_members = 2;
    expect_status(e, cib_team_update(e->ctx, &t), CIB_OK, NULL);
    CHATS(e, 1, 0, 1);
    /* The answer survives a restart (statuses are stored). */
    tenv_reopen(e);
    CHATS(e, 1, 0, 1);
    /* carol is removed from the account. */
    expect_status(e, cib_user_remove(e->ctx, "carol", CIB_NTS), CIB_OK, NULL);
    CHATS(e, 0, 0, 1);
    user_status(e, "bob", CIB_AVAILABLE);
    CHATS(e, 1, 0, 1);
    /* The team is removed: the rule keeps alice only. */
    expect_status(e, cib_team_remove(e->ctx, "t", CIB_NTS), CIB_OK, NULL);
    CHATS(e, 0, 0, 1);
    user_status(e, "alice", CIB_AVAILABLE);
    CHATS(e, 1, 0, 1);
    /* Every user is available: the unassigned rule still names no one. */
    user_status(e, "bob", CIB_AVAILABLE);
    CHATS(e, 1, 0, 1);
    /* A rule that does not require available users: still by status. */
    const int uk[] = {CIB_TARGET_USER};
    const char *bob[] = {"bob"};
    rule_set(e, "u", CIB_ROUTE_SPECIFIC, uk, bob, 1, 0);
    CHATS(e, 1, 1, 1);
    user_status(e, "bob", CIB_OFFLINE);
    CHATS(e, 1, 0, 1);
    /* c's rule is switched to unassigned: never available. */
    rule_set(e, "c", CIB_ROUTE_UNASSIGNED, NULL, NULL, 0, 1);
    CHATS(e, 0, 0, 1);
    /* A contact-owner rule without a fallback list names no one. */
    rule_set(e, "o", CIB_ROUTE_CONTACT_OWNER, NULL, NULL, 0, 1);
    CHATS(e, 0, 0, 0);
    /* Switching to status based after the rule was set works the same. */
    rule_set(e, "c", CIB_ROUTE_SPECIFIC, uk, bob, 1, 1);
    mode_set(e, "c", CIB_CHAT_ALWAYS);
    CHATS(e, 1, 0, 0);
    mode_set(e, "c", CIB_CHAT_STATUS_BASED);
    CHATS(e, 0, 0, 0);
    user_status(e, "bob", CIB_AVAILABLE);
    CHATS(e, 1, 1, 0);
    tenv_reopen(e);
    CHATS(e, 1, 1, 0);
    tenv_free(e);
}

/* ---- bad input ---- */

typedef struct bad_case {
    const char *what;
    int mode;
    const char *tz;
    size_t n;
    unsigned days, from, to; /* of every range */
    int null_array;          /* 1: days, 2: from, 3: to NULL */
    const char *needle;
} bad_case;

static const bad_case bad_cases[] = {
    {"unknown zone", CIB_CHAT_BUSINESS_HOURS, "Europe/Nowhere", 1, 1, 0, 60, 0, "unknown"},
    {"zone case", CIB_CHAT_BUSINESS_HOURS, "europe/berlin", 1, 1, 0, 60, 0, "unknown"},
    {"dot dot", CIB_CHAT_BUSINESS_HOURS, "../etc/passwd", 1, 1, 0, 60, 0, "'tz'"},
    {"deep dot dot", CIB_CHAT_BUSINESS_HOURS, "../../../../../../etc/passwd", 1, 1, 0, 60, 0,
     "'tz'"},
    {"absolute", CIB_CHAT_BUSINESS_HOURS, "/etc/localtime", 1, 1, 0, 60, 0, "'tz'"},
    {"absolute zone", CIB_CHAT_BUSINESS_HOURS, "/usr/share/zoneinfo/Europe/Berlin", 1, 1, 0, 60, 0,
     "'tz'"},
    {"inner dot dot", CIB_CHAT_BUSINESS_HOURS, "Europe/../Europe/Berlin", 1, 1, 0, 60, 0, "'tz'"},
    {"trailing dot dot", CIB_CHAT_BUSINESS_HOURS, "Europe/..", 1, 1, 0, 60, 0, "'tz'"},
    {"dot", CIB_CHAT_BUSINESS_HOURS, "./Europe/Berlin", 1, 1, 0, 60, 0, "'tz'"},
    {"inner dot", CIB_CHAT_BUSINESS_HOURS, "Europe/./Berlin", 1, 1, 0, 60, 0, "'tz'"},
    {"double slash", CIB_CHAT_BUSINESS_HOURS, "Europe//Berlin", 1, 1, 0, 60, 0, "'tz'"},
    {"trailing slash", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin/", 1, 1, 0, 60, 0, "'tz'"},
    {"backslash", CIB_CHAT_BUSINESS_HOURS, "Europe\\Berlin", 1, 1, 0, 60, 0, "'tz'"},
    {"space", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin ", 1, 1, 0, 60, 0, "'tz'"},
    {"a directory", CIB_CHAT_BUSINESS_HOURS, "Europe", 1, 1, 0, 60, 0, "'Europe'"},
    {"not a TZif file", CIB_CHAT_BUSINESS_HOURS, "zone.tab", 1, 1, 0, 60, 0, "'zone.tab'"},
    {"empty tz", CIB_CHAT_BUSINESS_HOURS, "", 1, 1, 0, 60, 0, "'tz' is empty"},
    {"NULL tz", CIB_CHAT_BUSINESS_HOURS, NULL, 1, 1, 0, 60, 0, "'tz' is NULL"},
    {"tz for always", CIB_CHAT_ALWAYS, "Europe/Berlin", 0, 0, 0, 0, 0, "business hours only"},
    {"tz for status", CIB_CHAT_STATUS_BASED, "Europe/Berlin", 0, 0, 0, 0, 0, "business hours only"},
    {"ranges for always", CIB_CHAT_ALWAYS, NULL, 1, 1, 0, 60, 0, "business hours only"},
    {"ranges for status", CIB_CHAT_STATUS_BASED, NULL, 1, 1, 0, 60, 0, "business hours only"},
    {"no ranges", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", 0, 0, 0, 0, 0, "1 to 64 ranges"},
    {"65 ranges", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", 65, 1, 0, 60, 0, "1 to 64 ranges"},
    {"too many ranges", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", (size_t)-1, 1, 0, 60, 0,
     "1 to 64 ranges"},
    {"days 0", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", 1, 0, 0, 60, 0, "days 0"},
    {"days 128", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", 1, 128, 0, 60, 0, "days 128"},
    {"days 255", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", 1, 255, 0, 60, 0, "days 255"},
    {"from 1440", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", 1, 1, 1440, 60, 0, "from 1440"},
    {"from huge", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", 1, 1, 0xffffffffu, 60, 0, "range 0"},
    {"to 1441", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", 1, 1, 0, 1441, 0, "to 1441"},
    {"to huge", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", 1, 1, 0, 0xffffffffu, 0, "range 0"},
    {"NULL days", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", 1, 1, 0, 60, 1, "NULL"},
    {"NULL from", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", 1, 1, 0, 60, 2, "NULL"},
    {"NULL to", CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", 1, 1, 0, 60, 3, "NULL"},
    {"mode 0", 0, NULL, 0, 0, 0, 0, 0, "'availability->mode' is 0"},
    {"mode 4", 4, NULL, 0, 0, 0, 0, 0, "'availability->mode' is 4"},
    {"mode -1", -1, "Europe/Berlin", 1, 1, 0, 60, 0, "'availability->mode' is -1"},
};

static void bad_def(hours *h, const bad_case *c)
{
    range r[80];
    size_t n = c->n < 80 ? c->n : 80;
    for (size_t i = 0; i < n; i++)
        r[i] = (range){c->days, c->from, c->to};
    hours_init(h, c->mode, c->tz, r, n);
    h->def.n_ranges = c->n;
    if (c->n) {
        h->def.range_days = h->days;
        h->def.range_from = h->from;
        h->def.range_to = h->to;
    }
    if (c->null_array == 1)
        h->def.range_days = NULL;
    else if (c->null_array == 2)
        h->def.range_from = NULL;
    else if (c->null_array == 3)
        h->def.range_to = NULL;
}

static void expect_refused(tenv *e, int rc, int status, const char *needle, const char *what,
                           const char *call)
{
    if (rc != status || (needle && !strstr(cib_errmsg(e->ctx), needle)))
        fail_msg("%s, %s: want %s '...%s...', got %s '%s'", what, call, cib_status_name(status),
                 needle ? needle : "", cib_status_name(rc), cib_errmsg(e->ctx));
}

/* R-CHAN-7: bad availability is refused with CIB_EINVAL and changes nothing,
 * through each of the three calls that take it. Zone names that are unknown
 * or try to leave the zoneinfo directory are among them. */
static void test_bad_availability_R_CHAN_7(void **state)
{
    (void)state;
    tenv *e = env_sales();
    const range office[] = {{CIB_WEEKDAYS, HM(9, 0), HM(17, 0)}};
    hours_chat_add(e, "chat", "Europe/Berlin", office, 1);
    add_channel(e, "mail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    char *before = tenv_snapshot(e);
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        hours h;
        bad_def(&h, c);
        expect_refused(e, cib_channel_set_availability(e->ctx, "chat", CIB_NTS, &h.def), CIB_EINVAL,
                       c->needle, c->what, "set_availability");
        expect_unchanged(e, before);
        cib_channel_def d = CIB_CHANNEL_DEF_INIT;
        d.id = "chat";
        d.inbox = "sales";
        d.type = CIB_CHANNEL_CHAT;
        d.availability = &h.def;
        expect_refused(e, cib_channel_update(e->ctx, &d), CIB_EINVAL, c->needle, c->what, "update");
        expect_unchanged(e, before);
        d.id = "chat2";
        expect_refused(e, cib_channel_add(e->ctx, &d), CIB_EINVAL, c->needle, c->what, "add");
        expect_unchanged(e, before);
    }
    /* The old hours are still in force. */
    OPEN(e, "chat", utc(2026, 1, 5, 8, 0, 0));
    CLOSED(e, "chat", utc(2026, 1, 5, 7, 59, 59));

    /* A def whose size is not set, or that sets members this version does not
     * know. */
    hours h;
    hours_init(&h, CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", office, 1);
    h.def.size = 0;
    expect_status(e, cib_channel_set_availability(e->ctx, "chat", CIB_NTS, &h.def), CIB_EINVAL,
                  "'availability->size' is 0");
    struct {
        cib_availability_def def;
        uint64_t extra;
    } bigger;
    memset(&bigger, 0, sizeof bigger);
    hours_init(&h, CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", office, 1);
    bigger.def = h.def;
    bigger.def.size = sizeof bigger;
    bigger.extra = 1;
    expect_status(e, cib_channel_set_availability(e->ctx, "chat", CIB_NTS, &bigger.def), CIB_EINVAL,
                  "does not know");
    expect_unchanged(e, before);
    bigger.extra = 0;
    expect_status(e, cib_channel_set_availability(e->ctx, "chat", CIB_NTS, &bigger.def), CIB_OK,
                  NULL);
    expect_unchanged(e, before); /* the same hours again */

    /* Availability on channels that are not chat channels. */
    cib_availability_def always = CIB_AVAILABILITY_DEF_INIT;
    hours_init(&h, CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", office, 1);
    const cib_availability_def *defs[] = {&always, &h.def};
    const char *non_chat[] = {"mail", "default-fallback"};
    for (size_t i = 0; i < 2; i++) {
        for (size_t k = 0; k < 2; k++) {
            expect_status(e, cib_channel_set_availability(e->ctx, non_chat[k], CIB_NTS, defs[i]),
                          CIB_EINVAL, "is not a chat channel");
            expect_unchanged(e, before);
        }
        const int types[] = {CIB_CHANNEL_EMAIL, CIB_CHANNEL_MESSENGER, CIB_CHANNEL_CUSTOM,
                             CIB_CHANNEL_FALLBACK_EMAIL};
        const char *addresses[] = {"new@acme.test", "page-1", "acct-1", NULL};
        for (size_t k = 0; k < 4; k++) {
            cib_channel_def d = CIB_CHANNEL_DEF_INIT;
            d.id = "other";
            d.inbox = "sales";
            d.type = types[k];
            d.address = addresses[k];
            d.availability = defs[i];
            expect_status(e, cib_channel_add(e->ctx, &d), CIB_EINVAL,
                          "'availability' does not apply");
            expect_unchanged(e, before);
        }
        cib_channel_def d = CIB_CHANNEL_DEF_INIT;
        d.id = "mail";
        d.inbox = "sales";
        d.type = CIB_CHANNEL_EMAIL;
        d.address = "sales@acme.test";
        d.availability = defs[i];
        expect_status(e, cib_channel_update(e->ctx, &d), CIB_EINVAL,
                      "'availability' does not apply");
        expect_unchanged(e, before);
    }
    /* The setter needs a def; unknown channels. */
    expect_status(e, cib_channel_set_availability(e->ctx, "chat", CIB_NTS, NULL), CIB_EINVAL,
                  "'availability' is NULL");
    expect_status(e, cib_channel_set_availability(e->ctx, "nope", CIB_NTS, &h.def), CIB_ENOTFOUND,
                  "channel 'nope' not found");
    expect_unchanged(e, before);

    /* Asking: not a chat channel, unknown channel, NULL out. */
    int a = 7;
    expect_status(e, cib_chat_available(e->ctx, "mail", CIB_NTS, &a), CIB_EINVAL,
                  "channel 'mail' is not a chat channel");
    expect_status(e, cib_chat_available(e->ctx, "default-fallback", CIB_NTS, &a), CIB_EINVAL,
                  "not a chat channel");
    expect_status(e, cib_chat_available(e->ctx, "nope", CIB_NTS, &a), CIB_ENOTFOUND,
                  "channel 'nope' not found");
    expect_status(e, cib_chat_available(e->ctx, "chat", CIB_NTS, NULL), CIB_EINVAL,
                  "'available' is NULL");
    expect_status(e, cib_chat_available(NULL, "chat", CIB_NTS, &a), CIB_EINVAL, NULL);
    expect_unchanged(e, before);
    free(before);
    tenv_free(e);
}

enum { B_AVAILABLE_ID, B_SET_ID, B_TZ };

static int call_string(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    const range office[] = {{CIB_WEEKDAYS, HM(9, 0), HM(17, 0)}};
    hours h;
    hours_init(&h, CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", office, 1);
    switch (*(const int *)arg) {
    case B_AVAILABLE_ID: {
        int a = 0;
        return cib_chat_available(ctx, s, n, &a);
    }
    case B_SET_ID:
        return cib_channel_set_availability(ctx, s, n, &h.def);
    default:
        h.def.tz = s;
        h.def.tz_len = n;
        return cib_channel_set_availability(ctx, "chat", CIB_NTS, &h.def);
    }
}

/* R-CHAN-7: channel ids and zone names are checked as strings. */
static void test_bad_strings_R_CHAN_7(void **state)
{
    (void)state;
    tenv *e = env_sales();
    chat_add(e, "chat");
    static const int available = B_AVAILABLE_ID, set = B_SET_ID, tz = B_TZ;
    expect_bad_strings(e, "id", call_string, (void *)&available);
    expect_bad_strings(e, "id", call_string, (void *)&set);
    expect_bad_strings(e, "tz", call_string, (void *)&tz);
    tenv_free(e);
}

/* ---- persistence ---- */

typedef struct answers {
    int open[3][40];
} answers;

static const char *const persist_ids[3] = {"b", "a", "s"};

static void collect(tenv *e, answers *out)
{
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 40; i++)
            out->open[k][i] =
                open_at(e, persist_ids[k], utc(2026, 10, 21, 0, 0, 0) + i * 5 * HOUR_MS);
}

/* R-CHAN-7: availability is stored: a context reopened on the same store
 * gives the same answers and the same channel info. */
static void test_persistence_R_CHAN_7(void **state)
{
    (void)state;
    tenv *e = env_sales();
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    const range r[] = {{CIB_WEEKDAYS, HM(9, 0), HM(12, 0)},
                       {CIB_WEEKDAYS, HM(13, 0), HM(17, 30)},
                       {CIB_FRIDAY | CIB_SUNDAY, HM(22, 15), HM(2, 45)},
                       {CIB_SATURDAY, HM(10, 0), 1440},
                       {CIB_EVERY_DAY, 0, HM(0, 1)},
                       {CIB_THURSDAY, HM(6, 0), HM(6, 0)}};
    hours_chat_add(e, "b", "America/New_York", r, 6);
    chat_add(e, "a");
    chat_add(e, "s");
    mode_set(e, "s", CIB_CHAT_STATUS_BASED);
    const int kinds[] = {CIB_TARGET_USER};
    const char *ids[] = {"alice"};
    rule_set(e, "s", CIB_ROUTE_SPECIFIC, kinds, ids, 1, 1);
    user_status(e, "alice", CIB_AVAILABLE);
    answers first, again;
    collect(e, &first);
    /* Strings of an info are the context's: keep copies across the reopen. */
    int modes[3];
    char tzs[3][64];
    for (int k = 0; k < 3; k++) {
        cib_channel_info ch;
        chat_info(e, persist_ids[k], &ch);
        modes[k] = ch.chat_mode;
        snprintf(tzs[k], sizeof tzs[k], "%s", ch.tz ? ch.tz : "(none)");
    }
    assert_int_equal(modes[0], CIB_CHAT_BUSINESS_HOURS);
    assert_string_equal(tzs[0], "America/New_York");
    assert_int_equal(modes[1], CIB_CHAT_ALWAYS);
    assert_string_equal(tzs[1], "(none)");
    assert_int_equal(modes[2], CIB_CHAT_STATUS_BASED);
    assert_string_equal(tzs[2], "(none)");
    char *snap = tenv_snapshot(e);
    tenv_reopen(e);
    expect_unchanged(e, snap);
    collect(e, &again);
    assert_memory_equal(&first, &again, sizeof first);
    for (int k = 0; k < 3; k++) {
        cib_channel_info after;
        chat_info(e, persist_ids[k], &after);
        assert_int_equal(after.chat_mode, modes[k]);
        assert_string_equal(after.tz ? after.tz : "(none)", tzs[k]);
    }
    /* Spot checks of the reopened hours: Wednesday 10-21 12:30 EDT is lunch. */
    CLOSED(e, "b", utc(2026, 10, 21, 16, 30, 0));
    OPEN(e, "b", utc(2026, 10, 21, 17, 0, 0));
    OPEN(e, "b", utc(2026, 10, 21, 21, 29, 59));
    CLOSED(e, "b", utc(2026, 10, 21, 21, 30, 0));
    OPEN(e, "b", utc(2026, 10, 24, 6, 44, 59)); /* Saturday 02:44:59, from Friday */
    CLOSED(e, "b", utc(2026, 10, 24, 6, 45, 0));
    OPEN(e, "b", utc(2026, 10, 25, 3, 59, 59)); /* Saturday 23:59:59 EDT */
    OPEN(e, "b", utc(2026, 10, 25, 4, 0, 0));   /* Sunday 00:00 EDT: every day */
    CLOSED(e, "b", utc(2026, 10, 25, 4, 1, 0));
    OPEN(e, "b", utc(2026, 10, 22, 10, 0, 0));  /* Thursday 06:00 EDT, 24 hours */
    OPEN(e, "b", utc(2026, 10, 23, 9, 59, 59)); /* Friday 05:59:59 */
    CLOSED(e, "b", utc(2026, 10, 23, 10, 0, 0));
    OPEN(e, "s", TENV_EPOCH_MS);
    /* An update that leaves availability NULL keeps it; one that gives it
     * replaces it. Both survive a restart. */
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "b";
    d.inbox = "sales";
    d.type = CIB_CHANNEL_CHAT;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
    tenv_reopen(e);
    collect(e, &again);
    assert_memory_equal(&first, &again, sizeof first);
    /* A disabled chat takes no messages (R-CHAN-3): never available. */
    d.status = CIB_CHANNEL_DISABLED;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
    for (int i = 0; i < 40; i++)
        assert_int_equal(open_at(e, "b", utc(2026, 10, 21, 0, 0, 0) + i * 5 * HOUR_MS), 0);
    d.status = CIB_CHANNEL_ENABLED;
    hours h;
    const range late[] = {{CIB_EVERY_DAY, HM(20, 0), HM(21, 0)}};
    hours_init(&h, CIB_CHAT_BUSINESS_HOURS, "Asia/Kolkata", late, 1);
    d.availability = &h.def;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
    tenv_reopen(e);
    cib_channel_info after;
    chat_info(e, "b", &after);
    assert_string_equal(after.tz, "Asia/Kolkata");
    assert_int_equal(after.status, CIB_CHANNEL_ENABLED);
    OPEN(e, "b", utc(2026, 10, 21, 14, 30, 0)); /* 20:00 IST */
    CLOSED(e, "b", utc(2026, 10, 21, 14, 29, 59));
    CLOSED(e, "b", utc(2026, 10, 21, 15, 30, 0));
    free(snap);
    tenv_free(e);
}

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
    snprintf(d->path, sizeof d->path, "%s/cib-test-hours.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    assert_non_null(mkdtemp(d->path));
}

static void tmpdir_mkdir(tmpdir *d, const char *name)
{
    assert_true(d->n_dirs < 8);
    char base[sizeof d->path];
    memcpy(base, d->path, sizeof base);
    char *path = d->dirs[d->n_dirs];
    snprintf(path, sizeof d->dirs[0], "%s/%s", base, name);
    assert_int_equal(mkdir(path, 0700), 0);
    d->n_dirs++;
}

static void tmpdir_write(tmpdir *d, const char *name, const void *data, size_t n)
{
    assert_true(d->n_files < 32);
    char *path = d->files[d->n_files++];
    char base[sizeof d->path];
    memcpy(base, d->path, sizeof base);
    snprintf(path, sizeof d->files[0], "%s/%s", base, name);
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

/* R-CHAN-7: opts->zoneinfo_dir is where zones are found; names still may not
 * leave it, and a file there that is not a zone is refused. A file without
 * transitions follows its POSIX TZ rule. */
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
    snprintf(path, sizeof path, "%s/Test/Zone", d->path);
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

/* ---- failure sweeps ---- */

static void setup_chat(tenv *e)
{
    add_inbox(e, "sales", "Sales");
    chat_add(e, "chat");
}

static const range sweep_ranges[] = {{CIB_WEEKDAYS, HM(9, 0), HM(17, 0)},
                                     {CIB_SATURDAY, HM(22, 0), HM(2, 0)}};

static int op_set(cib_ctx *ctx, void *arg)
{
    (void)arg;
    hours h;
    hours_init(&h, CIB_CHAT_BUSINESS_HOURS, "Europe/Berlin", sweep_ranges, 2);
    return cib_channel_set_availability(ctx, "chat", CIB_NTS, &h.def);
}

static int op_add(cib_ctx *ctx, void *arg)
{
    (void)arg;
    hours h;
    hours_init(&h, CIB_CHAT_BUSINESS_HOURS, "America/New_York", sweep_ranges, 2);
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "new";
    d.inbox = "sales";
    d.type = CIB_CHANNEL_CHAT;
    d.availability = &h.def;
    return cib_channel_add(ctx, &d);
}

static int op_update(cib_ctx *ctx, void *arg)
{
    (void)arg;
    hours h;
    hours_init(&h, CIB_CHAT_BUSINESS_HOURS, "Asia/Kolkata", sweep_ranges, 2);
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "chat";
    d.inbox = "sales";
    d.type = CIB_CHANNEL_CHAT;
    d.availability = &h.def;
    return cib_channel_update(ctx, &d);
}

static int op_status_based(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_availability_def d = CIB_AVAILABILITY_DEF_INIT;
    d.mode = CIB_CHAT_STATUS_BASED;
    return cib_channel_set_availability(ctx, "chat", CIB_NTS, &d);
}

/* R-CHAN-7, R-HOST-1: every allocation and storage failure while setting
 * availability leaves everything unchanged. */
static void test_sweep_set_R_CHAN_7_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(setup_chat, op_set, NULL);
    sweep_op(setup_chat, op_status_based, NULL);
}

static void test_sweep_add_R_CHAN_7_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(setup_chat, op_add, NULL);
}

static void test_sweep_update_R_CHAN_7_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(setup_chat, op_update, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_always_R_CHAN_7_R_AVAIL_3),
        cmocka_unit_test(test_berlin_dst_R_CHAN_7_R_AVAIL_3),
        cmocka_unit_test(test_new_york_dst_R_CHAN_7),
        cmocka_unit_test(test_ranges_R_CHAN_7),
        cmocka_unit_test(test_clock_R_AVAIL_3_R_CHAN_7),
        cmocka_unit_test(test_status_based_R_CHAN_7),
        cmocka_unit_test(test_bad_availability_R_CHAN_7),
        cmocka_unit_test(test_bad_strings_R_CHAN_7),
        cmocka_unit_test(test_persistence_R_CHAN_7),
        cmocka_unit_test_setup_teardown(test_zoneinfo_dir_R_CHAN_7, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_vanished_zone_R_CHAN_7, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_zones_like_libc_R_CHAN_7, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test_setup_teardown(test_tz_rules_like_libc_R_CHAN_7, fixture_setup,
                                        fixture_teardown),
        cmocka_unit_test(test_sweep_set_R_CHAN_7_R_HOST_1),
        cmocka_unit_test(test_sweep_add_R_CHAN_7_R_HOST_1),
        cmocka_unit_test(test_sweep_update_R_CHAN_7_R_HOST_1),
    };
    return TENV_RUN(tests);
}
