/* test_hours.c - chat availability (R-CHAN-7): always, status based, and business
 * hours in IANA zones across daylight saving changes, with the time taken from
 * the host's clock callback (R-AVAIL-3). Setting availability (bad input,
 * persistence, failure sweeps) is in test_hours_defs.c, custom zoneinfo
 * directories and the comparisons with the C library in test_zones.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/hourstest.h"

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
        CIB_TIME_MAX,
        CIB_TIME_MIN,
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
    /* ALWAYS does not read the clock: one beyond the time range is fine. */
    OPEN(e, "chat", INT64_MAX);
    OPEN(e, "chat", INT64_MIN);
    e->now = TENV_EPOCH_MS;
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
    /* The ends of the time range are answered; a clock beyond them is
     * refused (the call fails, changes nothing, and the next one works). */
    open_at(e, "many", CIB_TIME_MAX);
    open_at(e, "many", CIB_TIME_MIN);
    const int64_t beyond[] = {CIB_TIME_MAX + 1, CIB_TIME_MIN - 1, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < 4; i++) {
        e->now = beyond[i];
        int a = 99;
        expect_status(e, cib_chat_available(e->ctx, "many", CIB_NTS, &a), CIB_EINVAL,
                      "the clock returned");
        assert_int_equal(a, 0);
    }
    OPEN(e, "many", WEEKDAY(63 % 7, 21, 0, 0));
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
    set_status(e, "dave", CIB_AVAILABLE);
    CHATS(e, 0, 0, 1); /* dave is not on c's rule; he is o's fallback */
    set_status(e, "alice", CIB_AWAY);
    CHATS(e, 0, 0, 1);
    set_status(e, "alice", CIB_AVAILABLE);
    CHATS(e, 1, 0, 1);
    set_status(e, "alice", CIB_OFFLINE);
    CHATS(e, 0, 0, 1);
    set_status(e, "bob", CIB_AVAILABLE); /* through team t */
    CHATS(e, 1, 0, 1);
    set_status(e, "carol", CIB_AVAILABLE);
    CHATS(e, 1, 0, 1);
    set_status(e, "bob", CIB_OFFLINE);
    CHATS(e, 1, 0, 1);
    set_status(e, "carol", CIB_AWAY);
    CHATS(e, 0, 0, 1);
    set_status(e, "carol", CIB_AVAILABLE);
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
    set_status(e, "bob", CIB_AVAILABLE);
    CHATS(e, 1, 0, 1);
    /* The team is removed: the rule keeps alice only. */
    expect_status(e, cib_team_remove(e->ctx, "t", CIB_NTS), CIB_OK, NULL);
    CHATS(e, 0, 0, 1);
    set_status(e, "alice", CIB_AVAILABLE);
    CHATS(e, 1, 0, 1);
    /* Every user is available: the unassigned rule still names no one. */
    set_status(e, "bob", CIB_AVAILABLE);
    CHATS(e, 1, 0, 1);
    /* A rule that does not require available users: still by status. */
    const int uk[] = {CIB_TARGET_USER};
    const char *bob[] = {"bob"};
    rule_set(e, "u", CIB_ROUTE_SPECIFIC, uk, bob, 1, 0);
    CHATS(e, 1, 1, 1);
    set_status(e, "bob", CIB_OFFLINE);
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
    set_status(e, "bob", CIB_AVAILABLE);
    CHATS(e, 1, 1, 0);
    tenv_reopen(e);
    CHATS(e, 1, 1, 0);
    tenv_free(e);
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
    };
    return TENV_RUN(tests);
}
