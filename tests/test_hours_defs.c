/* test_hours_defs.c - setting chat availability (R-CHAN-7): bad defs and
 * strings refused through every call that takes them, availability stored
 * and read back after a restart, and every allocation and storage failure
 * while setting it leaving everything unchanged (R-HOST-1). How the answer
 * follows the clock is in test_hours.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/hourstest.h"

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
    set_status(e, "alice", CIB_AVAILABLE);
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

/* A def of chat channel `id` in "sales" with the sweep's hours in zone tz,
 * which h holds. */
static cib_channel_def sweep_chat_def(const char *id, hours *h, const char *tz)
{
    hours_init(h, CIB_CHAT_BUSINESS_HOURS, tz, sweep_ranges, 2);
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = id;
    d.inbox = "sales";
    d.type = CIB_CHANNEL_CHAT;
    d.availability = &h->def;
    return d;
}

static int op_add(cib_ctx *ctx, void *arg)
{
    (void)arg;
    hours h;
    cib_channel_def d = sweep_chat_def("new", &h, "America/New_York");
    return cib_channel_add(ctx, &d);
}

static int op_update(cib_ctx *ctx, void *arg)
{
    (void)arg;
    hours h;
    cib_channel_def d = sweep_chat_def("chat", &h, "Asia/Kolkata");
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
        cmocka_unit_test(test_bad_availability_R_CHAN_7),
        cmocka_unit_test(test_bad_strings_R_CHAN_7),
        cmocka_unit_test(test_persistence_R_CHAN_7),
        cmocka_unit_test(test_sweep_set_R_CHAN_7_R_HOST_1),
        cmocka_unit_test(test_sweep_add_R_CHAN_7_R_HOST_1),
        cmocka_unit_test(test_sweep_update_R_CHAN_7_R_HOST_1),
    };
    return TENV_RUN(tests);
}
