/* test_report.c - reports over a time range (R-REPORT-1): conversations
 * received, replies sent, first-response times, who answers the most. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

#define MIN (60LL * 1000)

static int send_ok(void *ud, const cib_outbound *m)
{
    (void)ud;
    (void)m;
    return 0;
}

static cib_sender sender;

static tenv *env(void)
{
    tenv *e = tenv_new();
    cib_sender s = CIB_SENDER_INIT;
    s.email = s.chat = send_ok;
    sender = s;
    e->opts.sender = &sender;
    tenv_reopen(e);
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", "bob@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "carol", "carol@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_inbox(e, "support", "Support");
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    add_inbox(e, "sales", "Sales");
    add_channel(e, "salesmail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    return e;
}

/* A conversation received at `at` (ms after the epoch of the test). */
static uint64_t received_at(tenv *e, const char *channel, int64_t at)
{
    static unsigned n;
    char id[32], from[48];
    snprintf(id, sizeof id, "r%u", ++n);
    snprintf(from, sizeof from, "c%u@example.test", n);
    e->now = TENV_EPOCH_MS + at;
    return ingest_msg(e, channel, id, from, NULL).conversation;
}

static void reply_at(tenv *e, const char *user, uint64_t conv, int64_t at)
{
    e->now = TENV_EPOCH_MS + at;
    expect_status(e, cib_reply(e->ctx, user, CIB_NTS, conv, "ok", CIB_NTS, NULL, 0, NULL), CIB_OK,
                  NULL);
}

struct rows {
    char text[512];
    int stop_after, calls;
};

static int on_row(void *ud, const cib_report_user *r)
{
    struct rows *x = ud;
    size_t n = strlen(x->text);
    snprintf(x->text + n, sizeof x->text - n, "%s:%llu/%llu/%lld/%lld;", r->user,
             (unsigned long long)r->replies, (unsigned long long)r->first_responses,
             (long long)(r->first_response_median_ms < 0 ? -1 : r->first_response_median_ms / MIN),
             (long long)(r->first_response_p90_ms < 0 ? -1 : r->first_response_p90_ms / MIN));
    return ++x->calls == x->stop_after;
}

static cib_report report(tenv *e, const char *inbox, int64_t from, int64_t to, struct rows *x)
{
    cib_report_def q = CIB_REPORT_DEF_INIT;
    q.inbox = inbox;
    q.from = TENV_EPOCH_MS + from;
    q.to = TENV_EPOCH_MS + to;
    cib_report r = CIB_REPORT_INIT;
    if (x) {
        x->text[0] = '\0';
        x->calls = 0;
    }
    expect_status(e, cib_report_get(e->ctx, &q, &r, x ? on_row : NULL, x), CIB_OK, NULL);
    return r;
}

/* R-REPORT-1: received counts conversations created in the range; replies
 * count replies sent in it (comments do not); first-response times run from
 * receipt to the first reply, whenever it came; per user, most replies
 * first. */
static void test_figures_R_REPORT_1(void **state)
{
    (void)state;
    tenv *e = env();
    struct rows x = {"", 0, 0};
    cib_report r = report(e, "support", 0, 1000 * MIN, &x);
    assert_int_equal(r.received, 0);
    assert_int_equal(r.first_response_median_ms, -1);
    assert_int_equal(r.first_response_p90_ms, -1);
    assert_string_equal(x.text, "");
    /* Before the range: received earlier, answered inside. */
    uint64_t early = received_at(e, "mail", 0);
    /* In the range [100, 200) minutes: three conversations. */
    uint64_t a = received_at(e, "mail", 100 * MIN);
    uint64_t b = received_at(e, "mail", 110 * MIN);
    uint64_t c = received_at(e, "mail", 120 * MIN);
    received_at(e, "salesmail", 130 * MIN); /* another inbox */
    reply_at(e, "bob", early, 101 * MIN);
    reply_at(e, "alice", a, 102 * MIN); /* a: 2 min, alice */
    reply_at(e, "bob", a, 103 * MIN);   /* not a's first */
    reply_at(e, "carol", b, 118 * MIN); /* b: 8 min, carol */
    expect_status(e, cib_comment(e->ctx, "alice", CIB_NTS, c, "internal", CIB_NTS, NULL), CIB_OK,
                  NULL);
    reply_at(e, "alice", c, 250 * MIN); /* c: 130 min, after the range */
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, a), CIB_OK, NULL); /* closed counts */
    r = report(e, "support", 100 * MIN, 200 * MIN, &x);
    assert_int_equal(r.received, 3);
    assert_int_equal(r.replies, 4); /* bob x2, alice, carol; not the one at 250 */
    assert_int_equal(r.first_responses, 3);
    assert_int_equal(r.first_response_median_ms, 8 * MIN);
    assert_int_equal(r.first_response_p90_ms, 130 * MIN);
    assert_string_equal(x.text, "bob:2/0/-1/-1;alice:1/2/2/130;carol:1/1/8/8;");
    /* The callback can stop; the figures stay. */
    x.stop_after = 1;
    r = report(e, "support", 100 * MIN, 200 * MIN, &x);
    assert_string_equal(x.text, "bob:2/0/-1/-1;");
    assert_int_equal(r.received, 3);
    x.stop_after = 0;
    /* The range is half open; an empty range is empty. */
    r = report(e, "support", 100 * MIN, 110 * MIN, NULL);
    assert_int_equal(r.received, 1);
    r = report(e, "support", 110 * MIN, 110 * MIN, NULL);
    assert_int_equal(r.received, 0);
    assert_int_equal(r.replies, 0);
    /* The other inbox has its own. */
    r = report(e, "sales", 0, 1000 * MIN, &x);
    assert_int_equal(r.received, 1);
    assert_int_equal(r.replies, 0);
    assert_string_equal(x.text, "");
    /* Reports read the store: the same after a restart. */
    tenv_reopen(e);
    r = report(e, "support", 100 * MIN, 200 * MIN, &x);
    assert_int_equal(r.received, 3);
    assert_string_equal(x.text, "bob:2/0/-1/-1;alice:1/2/2/130;carol:1/1/8/8;");
    tenv_free(e);
}

/* Nearest-rank percentiles over 10 conversations answered after 1..10
 * minutes: median 5, p90 9; and a removed user keeps their figures. */
static void test_percentiles_and_removed_users_R_REPORT_1(void **state)
{
    (void)state;
    tenv *e = env();
    for (int i = 1; i <= 10; i++) {
        uint64_t c = received_at(e, "mail", i * 1000 * MIN);
        reply_at(e, i % 2 ? "alice" : "bob", c, i * 1000 * MIN + i * MIN);
    }
    struct rows x = {"", 0, 0};
    cib_report r = report(e, "support", 0, 100000 * MIN, &x);
    assert_int_equal(r.received, 10);
    assert_int_equal(r.first_responses, 10);
    assert_int_equal(r.first_response_median_ms, 5 * MIN);
    assert_int_equal(r.first_response_p90_ms, 9 * MIN);
    /* Ties: by id. alice answered 1,3,5,7,9; bob 2,4,6,8,10. */
    assert_string_equal(x.text, "alice:5/5/5/9;bob:5/5/6/10;");
    expect_status(e, cib_user_remove(e->ctx, "alice", CIB_NTS), CIB_OK, NULL);
    r = report(e, "support", 0, 100000 * MIN, &x);
    assert_string_equal(x.text, "alice:5/5/5/9;bob:5/5/6/10;");
    tenv_free(e);
}

static int call_inbox(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    cib_report_def q = CIB_REPORT_DEF_INIT;
    q.inbox = s;
    q.inbox_len = n;
    q.to = 1;
    cib_report r = CIB_REPORT_INIT;
    return cib_report_get(ctx, &q, &r, NULL, NULL);
}

/* Bad input is refused with a message; reading changes nothing. */
static void test_bad_inputs_R_REPORT_1(void **state)
{
    (void)state;
    tenv *e = env();
    expect_bad_strings(e, "inbox", call_inbox, NULL);
    cib_report r = CIB_REPORT_INIT;
    cib_report_def q = CIB_REPORT_DEF_INIT;
    q.inbox = "support";
    q.from = 10;
    q.to = 5;
    expect_status(e, cib_report_get(e->ctx, &q, &r, NULL, NULL), CIB_EINVAL, "'from'");
    expect_status(e, cib_report_get(e->ctx, NULL, &r, NULL, NULL), CIB_EINVAL, "'def'");
    q.to = 20;
    expect_status(e, cib_report_get(e->ctx, &q, NULL, NULL, NULL), CIB_EINVAL, "'out'");
    q.inbox = "nope";
    expect_status(e, cib_report_get(e->ctx, &q, &r, NULL, NULL), CIB_ENOTFOUND, "nope");
    q.size = 3;
    expect_status(e, cib_report_get(e->ctx, &q, &r, NULL, NULL), CIB_EINVAL, "size");
    tenv_free(e);
}

/* Allocation and storage failures: a clean error, nothing leaked. */
static void test_failures_R_REPORT_1_R_HOST_1(void **state)
{
    (void)state;
    tenv *e = env();
    for (int i = 0; i < 40; i++) {
        uint64_t c = received_at(e, "mail", i * MIN);
        reply_at(e, i % 3 ? "alice" : "bob", c, i * MIN + 30000);
    }
    char *before = tenv_snapshot(e);
    cib_report_def q = CIB_REPORT_DEF_INIT;
    q.inbox = "support";
    q.to = TENV_EPOCH_MS + 1000 * MIN;
    struct rows x = {"", 0, 0};
    for (int mode = 0; mode < 2; mode++) {
        for (long n = 0;; n++) {
            assert_true(n < 10000);
            long live = e->fa.live;
            if (mode == 0)
                e->fa.fail_at = e->fa.count + n;
            else
                e->fs.fail_at = e->fs.calls + n;
            cib_report r = CIB_REPORT_INIT;
            x.text[0] = '\0';
            int rc = cib_report_get(e->ctx, &q, &r, on_row, &x);
            e->fa.fail_at = -1;
            e->fs.fail_at = -1;
            if (rc == CIB_OK) {
                assert_int_equal(r.received, 40);
                break;
            }
            assert_int_equal(rc, mode == 0 ? CIB_ENOMEM : CIB_ESTORAGE);
            assert_true(cib_errmsg(e->ctx)[0] != '\0');
            assert_int_equal(e->fa.live, live);
        }
    }
    expect_unchanged(e, before);
    free(before);
    tenv_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_figures_R_REPORT_1),
        cmocka_unit_test(test_percentiles_and_removed_users_R_REPORT_1),
        cmocka_unit_test(test_bad_inputs_R_REPORT_1),
        cmocka_unit_test(test_failures_R_REPORT_1_R_HOST_1),
    };
    return TENV_RUN(tests);
}
