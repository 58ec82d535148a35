/* test_time.c - the time range CIB_TIME_MIN..CIB_TIME_MAX (R-AVAIL-3): a
 * clock outside it fails the call and changes nothing, a stored time outside
 * it is refused when read, report ranges outside it are refused, and the
 * library's arithmetic on times stays right at both ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convinbox/store.h"
#include "support/storetest.h"
#include "support/testenv.h"

#define HOUR (3600LL * 1000)

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
    s.email = s.chat = s.messenger = send_ok;
    sender = s;
    e->opts.sender = &sender;
    tenv_reopen(e);
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_inbox(e, "support", "Support");
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    add_channel(e, "fb", "support", CIB_CHANNEL_MESSENGER, "page-1");
    add_channel(e, "chat", "support", CIB_CHANNEL_CHAT, NULL);
    return e;
}

static int try_open(tenv *e, char *err, size_t size);

/* Clocks just outside the range, and the int64 extremes. */
static const int64_t outside[] = {CIB_TIME_MIN - 1, CIB_TIME_MAX + 1, INT64_MIN, INT64_MAX};
#define N_OUTSIDE (sizeof outside / sizeof outside[0])

/* Calls that read the clock, each on a fresh name so that it can succeed. */
typedef int (*clock_call)(tenv *e, uint64_t conv, int n);

static int do_user_add(tenv *e, uint64_t conv, int n)
{
    (void)conv;
    char id[32];
    snprintf(id, sizeof id, "u%d", n);
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = id;
    d.name = "Someone";
    return cib_user_add(e->ctx, &d);
}

static int do_contact_add(tenv *e, uint64_t conv, int n)
{
    (void)conv;
    char id[32];
    snprintf(id, sizeof id, "k%d", n);
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = id;
    return cib_contact_add(e->ctx, &d);
}

static int do_inbox_add(tenv *e, uint64_t conv, int n)
{
    (void)conv;
    char id[32];
    snprintf(id, sizeof id, "ib%d", n);
    cib_inbox_def d = CIB_INBOX_DEF_INIT;
    d.id = id;
    d.name = id;
    return cib_inbox_add(e->ctx, &d);
}

static int do_channel_add(tenv *e, uint64_t conv, int n)
{
    (void)conv;
    char id[32];
    snprintf(id, sizeof id, "ch%d", n);
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = id;
    d.inbox = "support";
    d.type = CIB_CHANNEL_CHAT;
    return cib_channel_add(e->ctx, &d);
}

static int do_ingest(tenv *e, uint64_t conv, int n)
{
    (void)conv;
    char id[32];
    snprintf(id, sizeof id, "in%d", n);
    cib_inbound m = inbound_msg("fb", id, "psid-9", "psid-9");
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    return cib_ingest(e->ctx, &m, &r);
}

static int do_reply(tenv *e, uint64_t conv, int n)
{
    (void)n;
    return cib_reply(e->ctx, "alice", CIB_NTS, conv, "Hi", CIB_NTS, NULL, 0, NULL);
}

static int do_comment(tenv *e, uint64_t conv, int n)
{
    (void)n;
    return cib_comment(e->ctx, "alice", CIB_NTS, conv, "note", CIB_NTS, NULL);
}

static int do_close(tenv *e, uint64_t conv, int n)
{
    (void)n;
    int rc = cib_close(e->ctx, "alice", CIB_NTS, conv);
    if (rc == CIB_OK) /* open it again for the next round */
        assert_int_equal(cib_reopen(e->ctx, "alice", CIB_NTS, conv), CIB_OK);
    return rc;
}

/* R-AVAIL-3: every call that reads the clock refuses a time outside
 * CIB_TIME_MIN..CIB_TIME_MAX with CIB_EINVAL and changes nothing; at both
 * ends of the range it works, and what it stores reads back after a
 * restart. */
static void test_clock_outside_range_R_AVAIL_3(void **state)
{
    (void)state;
    const clock_call calls[] = {do_user_add, do_contact_add, do_inbox_add, do_channel_add,
                                do_ingest,   do_reply,       do_comment,   do_close};
    const char *names[] = {"user_add", "contact_add", "inbox_add", "channel_add",
                           "ingest",   "reply",       "comment",   "close"};
    const int64_t inside[] = {CIB_TIME_MIN, CIB_TIME_MAX, 0, -1};
    for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
        tenv *e = env();
        uint64_t conv = ingest_msg(e, "fb", "first", "psid-9", "psid-9").conversation;
        int n = 0;
        for (size_t i = 0; i < N_OUTSIDE; i++) {
            char *before = tenv_snapshot(e);
            e->now = outside[i];
            int rc = calls[c](e, conv, ++n);
            if (rc != CIB_EINVAL || !strstr(cib_errmsg(e->ctx), "the clock returned"))
                fail_msg("%s at clock %lld: %s (%s)", names[c], (long long)outside[i],
                         cib_status_name(rc), cib_errmsg(e->ctx));
            e->now = TENV_EPOCH_MS;
            expect_unchanged(e, before);
            free(before);
        }
        for (size_t i = 0; i < sizeof inside / sizeof inside[0]; i++) {
            e->now = inside[i];
            int rc = calls[c](e, conv, ++n);
            if (rc != CIB_OK)
                fail_msg("%s at clock %lld: %s (%s)", names[c], (long long)inside[i],
                         cib_status_name(rc), cib_errmsg(e->ctx));
        }
        /* What was stored at the ends of the range loads again. */
        char *live = tenv_snapshot(e);
        tenv_reopen(e);
        char *reopened = tenv_snapshot(e);
        assert_string_equal(live, reopened);
        free(live);
        free(reopened);
        tenv_free(e);
    }
}

/* R-AVAIL-3: a new account reads the clock once; outside the range the
 * context is not created and the store stays empty. A chat's business
 * hours read it too. */
static void test_clock_outside_range_new_account_R_AVAIL_3(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_OUTSIDE; i++) {
        cib_store st;
        assert_int_equal(cib_memstore_new(NULL, &st), CIB_OK);
        int64_t when = outside[i];
        cib_options o = CIB_OPTIONS_INIT;
        char err[256] = "";
        o.store = &st;
        o.clock = (cib_clock_fn)NULL;
        o.error_buffer = err;
        o.error_buffer_size = sizeof err;
        tenv *probe = tenv_new(); /* its clock function, pointed at `when` */
        probe->now = when;
        o.clock = probe->opts.clock;
        o.clock_user_data = probe;
        cib_ctx *ctx = NULL;
        assert_int_equal(cib_ctx_new(&o, &ctx), CIB_EINVAL);
        assert_null(ctx);
        assert_non_null(strstr(err, "the clock returned"));
        for (int k = 1; k < CIB_KIND_END; k++)
            assert_int_equal(count_kind(&st, k), 0);
        tenv_free(probe);
        st.close(st.user_data);
    }
}

/* R-CONV-3, R-AVAIL-3: the dedup window is added to clock times, so it is
 * at most CIB_TIME_MAX; the largest one works at the end of the range. */
static void test_dedup_window_bounded_R_CONV_3(void **state)
{
    (void)state;
    tenv *e = env();
    cib_ctx_free(e->ctx);
    e->ctx = NULL;
    char err[512];
    e->opts.dedup_window_ms = INT64_MAX;
    assert_int_equal(try_open(e, err, sizeof err), CIB_EINVAL);
    assert_non_null(strstr(err, "'opts->dedup_window_ms'"));
    e->opts.dedup_window_ms = CIB_TIME_MAX + 1;
    assert_int_equal(try_open(e, err, sizeof err), CIB_EINVAL);
    e->opts.dedup_window_ms = CIB_TIME_MAX;
    assert_int_equal(try_open(e, err, sizeof err), CIB_OK);
    e->now = CIB_TIME_MAX;
    cib_ingest_result r = ingest_msg(e, "mail", "m1", "x@example.test", NULL);
    assert_int_equal(r.duplicate, 0);
    r = ingest_msg(e, "mail", "m1", "x@example.test", NULL);
    assert_int_equal(r.duplicate, 1);
    tenv_free(e);
}

/* ---- stored times ---- */

/* A deep copy of one row, to put back with one INT field changed. */
typedef struct rowcopy {
    int kind;
    char *key;
    cib_field f[64];
    size_t n;
    char **texts; /* everything malloc'd, freed together */
    size_t n_texts;
} rowcopy;

static void *keep(rowcopy *c, void *p)
{
    c->texts = realloc(c->texts, (c->n_texts + 1) * sizeof *c->texts);
    assert_non_null(c->texts);
    return c->texts[c->n_texts++] = p;
}

static int copy_row(void *data, const cib_row *row)
{
    rowcopy *c = data;
    assert_true(row->n_fields <= 64);
    c->kind = row->kind;
    c->key = keep(c, strndup(row->key, row->key_len));
    c->n = row->n_fields;
    for (size_t i = 0; i < row->n_fields; i++) {
        cib_field f = row->fields[i]; /* names are the library's constants */
        if (f.type == CIB_FIELD_TEXT)
            f.text = keep(c, strndup(f.text, f.len));
        if (f.type == CIB_FIELD_LIST) {
            const char **items = keep(c, calloc(f.n_items + 1, sizeof *items));
            size_t *lens = keep(c, calloc(f.n_items + 1, sizeof *lens));
            for (size_t k = 0; k < f.n_items; k++) {
                lens[k] = f.item_lens ? f.item_lens[k] : strlen(f.items[k]);
                items[k] = keep(c, strndup(f.items[k], lens[k]));
            }
            f.items = items;
            f.item_lens = lens;
        }
        c->f[i] = f;
    }
    return 0;
}

/* Set field `name` of a stored row to the INT v, through the vtable. */
static void poke_time(const cib_store *st, int kind, const char *key, const char *name, int64_t v)
{
    rowcopy c;
    memset(&c, 0, sizeof c);
    assert_int_equal(st->get(st->user_data, kind, key, strlen(key), copy_row, &c), CIB_OK);
    int found = 0;
    for (size_t i = 0; i < c.n; i++)
        if (strcmp(c.f[i].name, name) == 0) {
            c.f[i].type = CIB_FIELD_INT;
            c.f[i].i = v;
            found = 1;
        }
    assert_true(found);
    cib_row row = {kind, c.key, strlen(c.key), c.f, c.n};
    assert_int_equal(st->begin(st->user_data), CIB_OK);
    assert_int_equal(st->put(st->user_data, &row), CIB_OK);
    assert_int_equal(st->commit(st->user_data), CIB_OK);
    for (size_t i = 0; i < c.n_texts; i++)
        free(c.texts[i]);
    free(c.texts);
}

/* An account with one of each row that holds a time: an answered, open
 * Messenger conversation (msg: its reply) and a closed email one. */
static tenv *stored_env(char *conv, char *closed, char *msg)
{
    tenv *e = env();
    cib_contact_def k = CIB_CONTACT_DEF_INIT;
    k.id = "carol";
    expect_status(e, cib_contact_add(e->ctx, &k), CIB_OK, NULL);
    cib_ingest_result r = ingest_msg(e, "fb", "m1", "psid-9", "psid-9");
    snprintf(conv, 24, "%llu", (unsigned long long)r.conversation);
    e->now += HOUR;
    uint64_t reply = 0;
    expect_status(
        e, cib_reply(e->ctx, "alice", CIB_NTS, r.conversation, "Hi", CIB_NTS, NULL, 0, &reply),
        CIB_OK, NULL);
    snprintf(msg, 24, "%llu", (unsigned long long)reply);
    uint64_t c2 = ingest_msg(e, "mail", "m2", "dave@example.test", NULL).conversation;
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, c2), CIB_OK, NULL);
    snprintf(closed, 24, "%llu", (unsigned long long)c2);
    return e;
}

/* Open a context on e's store; CIB_OK or the status, with the message. */
static int try_open(tenv *e, char *err, size_t size)
{
    cib_options o = e->opts;
    o.error_buffer = err;
    o.error_buffer_size = size;
    err[0] = '\0';
    cib_ctx *ctx = NULL;
    int rc = cib_ctx_new(&o, &ctx);
    e->ctx = ctx;
    e->fs.ctx = ctx;
    return rc;
}

/* R-AVAIL-3, R-HOST-1: a stored time outside CIB_TIME_MIN..CIB_TIME_MAX is
 * refused when the account is loaded, with a message naming the row and
 * the field; the ends of the range load. */
static void test_stored_time_outside_range_R_AVAIL_3(void **state)
{
    (void)state;
    char conv[24], closed[24], msg[24];
    struct {
        int kind;
        const char *key; /* NULL: the open conversation */
        const char *field, *row;
    } where[] = {
        {CIB_KIND_ACCOUNT, "account", "created_at", "account row 'account'"},
        {CIB_KIND_USER, "alice", "created_at", "user row 'alice'"},
        {CIB_KIND_INBOX, "support", "created_at", "inbox row 'support'"},
        {CIB_KIND_CHANNEL, "mail", "created_at", "channel row 'mail'"},
        {CIB_KIND_CONTACT, "carol", "created_at", "contact row 'carol'"},
        {CIB_KIND_CONTACT, "cib:c2", "window_at", "contact row 'cib:c2'"},
        {CIB_KIND_CONVERSATION, NULL, "created_at", "conversation row '"},
        {CIB_KIND_CONVERSATION, NULL, "last_inbound_at", "conversation row '"},
        {CIB_KIND_CONVERSATION, NULL, "first_reply_at", "conversation row '"},
        {CIB_KIND_CONVERSATION, NULL, "closed_at", "conversation row '"},
    };
    for (size_t w = 0; w < sizeof where / sizeof where[0]; w++) {
        for (size_t i = 0; i < N_OUTSIDE; i++) {
            tenv *e = stored_env(conv, closed, msg);
            const char *key = where[w].key ? where[w].key : conv;
            cib_ctx_free(e->ctx);
            e->ctx = NULL;
            poke_time(&e->mem, where[w].kind, key, where[w].field, outside[i]);
            char err[512];
            int rc = try_open(e, err, sizeof err);
            if (rc != CIB_ESTORAGE || !strstr(err, where[w].row) || !strstr(err, where[w].field) ||
                !strstr(err, "outside CIB_TIME_MIN..CIB_TIME_MAX"))
                fail_msg("%s %s = %lld: %s (%s)", key, where[w].field, (long long)outside[i],
                         cib_status_name(rc), err);
            tenv_free(e);
        }
        const int64_t ends[] = {CIB_TIME_MIN, CIB_TIME_MAX};
        for (size_t i = 0; i < 2; i++) {
            tenv *e = stored_env(conv, closed, msg);
            const char *key = where[w].key ? where[w].key : conv;
            cib_ctx_free(e->ctx);
            e->ctx = NULL;
            poke_time(&e->mem, where[w].kind, key, where[w].field, ends[i]);
            char err[512];
            if (try_open(e, err, sizeof err) != CIB_OK)
                fail_msg("%s %s = %lld: %s", key, where[w].field, (long long)ends[i], err);
            tenv_free(e);
        }
    }
}

static int count_message(void *ud, const cib_message_info *m)
{
    (void)ud;
    (void)m;
    return 0;
}

/* R-AVAIL-3: rows read on demand (a closed conversation, a message) are
 * refused the same way by the calls that read them; the account stays
 * usable. */
static void test_stored_time_read_on_demand_R_AVAIL_3_R_REPORT_1(void **state)
{
    (void)state;
    char conv[24], closed[24], msg[24];
    for (size_t i = 0; i < N_OUTSIDE; i++) {
        tenv *e = stored_env(conv, closed, msg);
        uint64_t closed_id = strtoull(closed, NULL, 10);
        poke_time(&e->mem, CIB_KIND_CONVERSATION, closed, "closed_at", outside[i]);
        cib_conversation_info info = CIB_CONVERSATION_INFO_INIT;
        expect_status(e, cib_conversation_get(e->ctx, NULL, 0, closed_id, &info), CIB_ESTORAGE,
                      "outside CIB_TIME_MIN..CIB_TIME_MAX");
        assert_non_null(strstr(cib_errmsg(e->ctx), "closed_at"));
        expect_status(e, cib_reopen(e->ctx, "alice", CIB_NTS, closed_id), CIB_ESTORAGE,
                      "closed_at");
        poke_time(&e->mem, CIB_KIND_MESSAGE, msg, "created_at", outside[i]);
        expect_status(e,
                      cib_conversation_messages(e->ctx, NULL, 0, strtoull(conv, NULL, 10),
                                                count_message, NULL),
                      CIB_ESTORAGE, "message row");
        cib_report_def q = CIB_REPORT_DEF_INIT;
        q.inbox = "support";
        q.from = CIB_TIME_MIN;
        q.to = CIB_TIME_MAX;
        cib_report rep = CIB_REPORT_INIT;
        expect_status(e, cib_report_get(e->ctx, &q, &rep, NULL, NULL), CIB_ESTORAGE, "message row");
        assert_non_null(strstr(cib_errmsg(e->ctx), "created_at"));
        add_user(e, "zed", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER); /* still usable */
        tenv_free(e);
    }
}

/* ---- reports ---- */

struct bob_row {
    int seen;
    int64_t median, p90;
};

static int on_user(void *ud, const cib_report_user *row)
{
    struct bob_row *bob = ud;
    if (strcmp(row->user, "bob") == 0) {
        bob->seen++;
        bob->median = row->first_response_median_ms;
        bob->p90 = row->first_response_p90_ms;
    }
    return 0;
}

/* R-REPORT-1: a range outside CIB_TIME_MIN..CIB_TIME_MAX is CIB_EINVAL,
 * naming the bound; the widest range works. First-response times at the
 * ends of the range are exact, and a reply stamped before its conversation
 * (a clock that went back) counts 0, never a negative time. */
static void test_report_range_and_extreme_times_R_REPORT_1(void **state)
{
    (void)state;
    tenv *e = env();
    cib_report_def q = CIB_REPORT_DEF_INIT;
    q.inbox = "support";
    cib_report rep = CIB_REPORT_INIT;
    for (size_t i = 0; i < N_OUTSIDE; i++) {
        q.from = outside[i] < 0 ? outside[i] : 0;
        q.to = outside[i] < 0 ? 0 : outside[i];
        expect_status(e, cib_report_get(e->ctx, &q, &rep, NULL, NULL), CIB_EINVAL,
                      outside[i] < 0 ? "'def->from'" : "'def->to'");
    }
    /* A conversation at the very start, answered at the very end; one
     * answered 3 ms after; one whose reply is stamped 3 ms before it. */
    add_user(e, "bob", "bob@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    e->now = CIB_TIME_MIN;
    uint64_t a = ingest_msg(e, "mail", "a", "a@example.test", NULL).conversation;
    e->now = CIB_TIME_MAX;
    expect_status(e, cib_reply(e->ctx, "alice", CIB_NTS, a, "late", CIB_NTS, NULL, 0, NULL), CIB_OK,
                  NULL);
    e->now = 0;
    uint64_t c = ingest_msg(e, "mail", "c", "c@example.test", NULL).conversation;
    e->now = 3;
    expect_status(e, cib_reply(e->ctx, "alice", CIB_NTS, c, "soon", CIB_NTS, NULL, 0, NULL), CIB_OK,
                  NULL);
    e->now = 1000;
    uint64_t b = ingest_msg(e, "mail", "b", "b@example.test", NULL).conversation;
    e->now = 997;
    expect_status(e, cib_reply(e->ctx, "bob", CIB_NTS, b, "back", CIB_NTS, NULL, 0, NULL), CIB_OK,
                  NULL);
    q.from = CIB_TIME_MIN;
    q.to = CIB_TIME_MAX;
    struct bob_row bob = {0, 99, 99};
    expect_status(e, cib_report_get(e->ctx, &q, &rep, on_user, &bob), CIB_OK, NULL);
    assert_int_equal(rep.received, 3);
    assert_int_equal(rep.first_responses, 3);
    assert_int_equal(rep.first_response_median_ms, 3);
    assert_int_equal(rep.first_response_p90_ms, CIB_TIME_MAX - CIB_TIME_MIN);
    assert_int_equal(bob.seen, 1);
    assert_int_equal(bob.median, 0);
    assert_int_equal(bob.p90, 0);
    /* The reply at CIB_TIME_MAX is outside [from, to) = [.., CIB_TIME_MAX). */
    assert_int_equal(rep.replies, 2);
    tenv_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clock_outside_range_R_AVAIL_3),
        cmocka_unit_test(test_clock_outside_range_new_account_R_AVAIL_3),
        cmocka_unit_test(test_dedup_window_bounded_R_CONV_3),
        cmocka_unit_test(test_stored_time_outside_range_R_AVAIL_3),
        cmocka_unit_test(test_stored_time_read_on_demand_R_AVAIL_3_R_REPORT_1),
        cmocka_unit_test(test_report_range_and_extreme_times_R_REPORT_1),
    };
    return TENV_RUN(tests);
}
