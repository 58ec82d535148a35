/* test_batch.c - cib_ingest_batch: many messages in one store transaction,
 * all or nothing per batch (R-HOST-1, R-CONV-2, R-CONV-3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

static void setup(tenv *e)
{
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_inbox(e, "support", "Support");
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    add_channel(e, "chat", "support", CIB_CHANNEL_CHAT, NULL);
    add_channel(e, "off", "support", CIB_CHANNEL_EMAIL, "off@acme.test");
    expect_status(e, cib_channel_set_status(e->ctx, "off", CIB_NTS, CIB_CHANNEL_DISABLED), CIB_OK,
                  NULL);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 1, "user:alice");
    set_status(e, "alice", CIB_AVAILABLE);
}

struct log {
    char text[2048];
    cib_ctx *ctx;
    int stored; /* conversations readable from inside the events */
};

static void on_event(void *ud, const cib_event *ev)
{
    static const char *names[] = {"?",      "created", "message", "assigned",
                                  "ticket", "notify",  "closed",  "reopened"};
    struct log *l = ud;
    size_t n = strlen(l->text);
    snprintf(l->text + n, sizeof l->text - n, "%s:%llu;", names[ev->type],
             (unsigned long long)ev->conversation);
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    l->stored += cib_conversation_get(l->ctx, NULL, 0, ev->conversation, &ci) == CIB_OK;
}

/* A batch runs its messages in order, each seeing the ones before; refused
 * messages get their status and change nothing; events come after the
 * commit, in order. */
static void test_batch_in_order_R_CONV_2_R_CONV_3(void **state)
{
    (void)state;
    struct log l = {"", NULL, 0};
    tenv *e = tenv_new();
    e->opts.on_event = on_event;
    e->opts.event_user_data = &l;
    tenv_reopen(e);
    l.ctx = e->ctx;
    setup(e);
    l.text[0] = '\0';
    cib_inbound m[6] = {
        inbound_msg("mail", "b1", "carol@example.test", "t1"),
        inbound_msg("mail", "b2", "carol@example.test", "t1"), /* joins b1's */
        inbound_msg("nope", "b3", "carol@example.test", NULL), /* unknown channel */
        inbound_msg("mail", "b1", "carol@example.test", "t1"), /* a duplicate of b1 */
        inbound_msg("off", "b4", "dave@example.test", NULL),   /* disabled */
        inbound_msg("chat", "b5", "visitor-9", "s9"),
    };
    m[2].text = NULL;
    cib_ingest_result r[6];
    for (int i = 0; i < 6; i++) {
        cib_ingest_result init = CIB_INGEST_RESULT_INIT;
        r[i] = init;
    }
    int st[6] = {9, 9, 9, 9, 9, 9};
    expect_status(e, cib_ingest_batch(e->ctx, m, 6, r, st), CIB_OK, NULL);
    assert_int_equal(st[0], CIB_OK);
    assert_int_equal(st[1], CIB_OK);
    assert_int_equal(st[2], CIB_ENOTFOUND);
    assert_int_equal(st[3], CIB_OK);
    assert_int_equal(st[4], CIB_EDISABLED);
    assert_int_equal(st[5], CIB_OK);
    assert_int_equal(r[0].created, 1);
    assert_string_equal(r[0].assignee, "alice");
    assert_true(r[1].conversation == r[0].conversation);
    assert_int_equal(r[1].created, 0);
    assert_int_equal(r[3].duplicate, 1);
    assert_true(r[3].message == r[0].message);
    assert_int_equal(r[5].created, 1);
    assert_int_equal(conv_info(e, r[0].conversation).n_messages, 2);
    char want[256];
    unsigned long long a = (unsigned long long)r[0].conversation,
                       b = (unsigned long long)r[5].conversation;
    snprintf(want, sizeof want,
             "created:%llu;assigned:%llu;message:%llu;message:%llu;created:%llu;message:%llu;", a,
             a, a, a, b, b);
    assert_string_equal(l.text, want);
    assert_int_equal(l.stored, 6); /* every event saw its conversation stored */
    /* The same after a restart. */
    char *before = tenv_snapshot(e);
    tenv_reopen(e);
    l.ctx = e->ctx;
    expect_unchanged(e, before);
    free(before);
    /* An empty batch does nothing. */
    expect_status(e, cib_ingest_batch(e->ctx, NULL, 0, NULL, NULL), CIB_OK, NULL);
    tenv_free(e);
}

/* Bad arguments: refused before anything runs. */
static void test_batch_bad_arguments_R_HOST_4(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    char *before = tenv_snapshot(e);
    cib_inbound m[2] = {inbound_msg("mail", "x1", "a@example.test", NULL),
                        inbound_msg("mail", "x2", "b@example.test", NULL)};
    cib_ingest_result r[2] = {CIB_INGEST_RESULT_INIT, CIB_INGEST_RESULT_INIT};
    int st[2];
    expect_status(e, cib_ingest_batch(e->ctx, NULL, 2, r, st), CIB_EINVAL, "NULL");
    expect_status(e, cib_ingest_batch(e->ctx, m, 2, NULL, st), CIB_EINVAL, "NULL");
    expect_status(e, cib_ingest_batch(e->ctx, m, 2, r, NULL), CIB_EINVAL, "NULL");
    expect_status(e, cib_ingest_batch(e->ctx, m, CIB_BATCH_MAX + 1, r, st), CIB_EINVAL, "at most");
    m[1].size = 8;
    expect_status(e, cib_ingest_batch(e->ctx, m, 2, r, st), CIB_EINVAL, "another size");
    m[1].size = sizeof m[1];
    r[0].size = 0;
    expect_status(e, cib_ingest_batch(e->ctx, m, 2, r, st), CIB_EINVAL, "must be set");
    expect_unchanged(e, before);
    free(before);
    tenv_free(e);
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A snapshot without what depends on the account's random secret (its
 * value, and the fingerprints it keys: 32 hex digits), lines sorted. */
static char *normalised(char *snap)
{
    for (char *p = snap; *p; p++) {
        size_t n = strspn(p, "0123456789abcdef");
        if (n == 32)
            memset(p, 'f', n);
        if (strncmp(p, "secret=", 7) == 0) { /* drop the value */
            char *eol = p + 7 + strcspn(p + 7, "\n");
            memmove(p + 7, eol, strlen(eol) + 1);
        }
        p += n ? n - 1 : 0;
        if (!*p)
            break;
    }
    char *lines[512];
    size_t n = 0, len = strlen(snap);
    for (char *save = NULL, *l = strtok_r(snap, "\n", &save); l && n < 512;
         l = strtok_r(NULL, "\n", &save))
        lines[n++] = l;
    assert_true(n < 512);
    qsort(lines, n, sizeof *lines, line_cmp);
    char *out = malloc(len + 2);
    assert_non_null(out);
    out[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(out, lines[i]);
        strcat(out, "\n");
    }
    free(snap);
    return out;
}

/* R-HOST-1, R-CONV-1, R-CONV-3: a batch looks ahead at the messages after
 * the current one (prefetching their lookups), also at malformed ones and at
 * senders whose contact an earlier message of the batch creates; the
 * outcome is exactly that of the same messages ingested one by one. */
static void test_batch_same_as_one_by_one_R_HOST_1(void **state)
{
    (void)state;
    static char long_from[400], long_id[5000];
    memset(long_from, 'x', 300);
    strcpy(long_from + 300, "@example.test");
    memset(long_id, 'k', sizeof long_id - 1);
    enum { N = 16 };
    cib_inbound m[N] = {
        inbound_msg("mail", "a1", "Ann@Example.TEST", "t1"),
        inbound_msg("mail", "a2", "ann@example.test", NULL), /* ann's contact, from a1 */
        inbound_msg("mail", "a1", "ann@example.test", "t1"), /* a duplicate */
        inbound_msg("chat", "c1", "visitor-9", NULL),
        inbound_msg(NULL, "n1", "bob@example.test", NULL),
        inbound_msg("mail", NULL, "bob@example.test", NULL),
        inbound_msg("mail", "n3", NULL, NULL),
        inbound_msg("mail", "n4", long_from, NULL),
        inbound_msg("mail", long_id, "bob@example.test", NULL),
        inbound_msg("mail", "n6", "bob@example.test", NULL),
        inbound_msg("mailbox", "n7", "bob@example.test", NULL),
        inbound_msg("mail", "n8", "carol@example.test", NULL),
        inbound_msg("off", "n9", "dave@example.test", NULL),
        inbound_msg("chat", "c2", "visitor-9", NULL),
        inbound_msg("chat", "c3", "Erin@Example.test", NULL),
        inbound_msg("mail", "n10", "erin@example.test", NULL),
    };
    static const char unterminated[4] = {'a', '@', 'b', 'c'}; /* read by its length only */
    m[9].from = unterminated;
    m[9].from_len = sizeof unterminated;
    m[10].channel_len = 4; /* "mail" */
    m[11].forwarded_by = "Fwd@Example.test";

    tenv *one = tenv_new(), *batch = tenv_new();
    setup(one);
    setup(batch);
    int want[N], got[N];
    cib_ingest_result r[N];
    for (int i = 0; i < N; i++) {
        cib_ingest_result init = CIB_INGEST_RESULT_INIT;
        r[i] = init;
        want[i] = cib_ingest(one->ctx, &m[i], &r[i]);
    }
    expect_status(batch, cib_ingest_batch(batch->ctx, m, N, r, got), CIB_OK, NULL);
    for (int i = 0; i < N; i++)
        if (want[i] != got[i])
            fail_msg("message %d: %s one by one, %s in a batch", i, cib_status_name(want[i]),
                     cib_status_name(got[i]));
    /* Both kinds of outcome are present. */
    assert_int_equal(want[0], CIB_OK);
    assert_int_equal(want[4], CIB_EINVAL);
    char *a = normalised(tenv_snapshot(one)), *b = normalised(tenv_snapshot(batch));
    assert_string_equal(a, b);
    free(a);
    free(b);
    tenv_free(one);
    tenv_free(batch);
}

/* ---- all or nothing ---- */

static int op_batch(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_inbound m[5] = {
        inbound_msg("mail", "s1", "one@example.test", "t1"),
        inbound_msg("mail", "s2", "one@example.test", "t1"),
        inbound_msg("mail", "s3", "two@example.test", NULL),
        inbound_msg("chat", "s4", "visitor-1", "v1"),
        inbound_msg("nope", "s5", "two@example.test", NULL),
    };
    cib_ingest_result r[5];
    int st[5];
    for (int i = 0; i < 5; i++) {
        cib_ingest_result init = CIB_INGEST_RESULT_INIT;
        r[i] = init;
    }
    return cib_ingest_batch(ctx, m, 5, r, st);
}

static void busy_setup(tenv *e)
{
    setup(e);
    ingest_msg(e, "mail", "s0", "zero@example.test", "t0");
}

static void noop(void *ud, const cib_event *ev)
{
    (void)ud;
    (void)ev;
}

static void events_setup(tenv *e)
{
    e->opts.on_event = noop;
    tenv_reopen(e);
    busy_setup(e);
}

/* R-HOST-1: every allocation and storage failure anywhere in a batch (its
 * messages, the queued events, the commit) leaves the account and the store
 * as they were, and the context working. */
static void test_sweep_batch_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(busy_setup, op_batch, NULL);
    sweep_op(events_setup, op_batch, NULL);
}

/* A clock that goes out of range on one call. */
typedef struct bad_clock {
    int calls, bad_at;
} bad_clock;

static int64_t clock_going_bad(void *ud)
{
    bad_clock *c = ud;
    return ++c->calls == c->bad_at ? INT64_MAX : TENV_EPOCH_MS;
}

/* R-HOST-1, R-AVAIL-3: a failure inside the batch's transaction fails the
 * whole batch, whatever status the message where it happened got: here the
 * clock, outside CIB_TIME_MIN..CIB_TIME_MAX at the third message (which
 * alone would be refused with CIB_EINVAL). Nothing of the batch is kept, no
 * event is delivered, and the context works on. */
static void test_failure_flag_rolls_back_R_HOST_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    struct log l = {"", NULL, 0};
    e->opts.on_event = on_event;
    e->opts.event_user_data = &l;
    tenv_reopen(e);
    l.ctx = e->ctx;
    busy_setup(e);
    bad_clock c = {0, 3};
    e->opts.clock = clock_going_bad;
    e->opts.clock_user_data = &c;
    tenv_reopen(e);
    l.ctx = e->ctx;
    char *before = tenv_snapshot(e);
    c.calls = 0;
    l.text[0] = '\0';
    expect_status(e, op_batch(e->ctx, NULL), CIB_EINVAL, "at message 2");
    assert_non_null(strstr(cib_errmsg(e->ctx), "the clock returned"));
    assert_string_equal(l.text, "");
    expect_unchanged(e, before);
    free(before);
    /* With a good clock the same batch goes through, once. */
    c.bad_at = -1;
    expect_status(e, op_batch(e->ctx, NULL), CIB_OK, NULL);
    assert_non_null(strstr(l.text, "created:"));
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    tenv_reopen(e);
    l.ctx = e->ctx;
    uint64_t ids[8];
    size_t n = 0;
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.inbox = "support";
    expect_status(e, cib_view(e->ctx, &q, ids, 8, &n, NULL), CIB_OK, NULL);
    assert_int_equal(n, 4); /* s0's, t1's, s3's and the chat's */
    expect_status(e, cib_conversation_get(e->ctx, NULL, 0, ids[1], &ci), CIB_OK, NULL);
    assert_int_equal(ci.n_messages, 2);
    tenv_free(e);
}

/* A store that fails every call from a given one on (the batch, then the
 * reload of the working set). */
typedef struct failing {
    cib_store inner;
    long calls, from;
} failing;

static int f_fail(failing *f)
{
    return ++f->calls >= f->from && f->from >= 0;
}
static int f_begin(void *ud)
{
    failing *f = ud;
    return f_fail(f) ? -1 : f->inner.begin(f->inner.user_data);
}
static int f_commit(void *ud)
{
    failing *f = ud;
    return f_fail(f) ? -1 : f->inner.commit(f->inner.user_data);
}
static void f_rollback(void *ud)
{
    failing *f = ud;
    f->inner.rollback(f->inner.user_data);
}
static int f_put(void *ud, const cib_row *row)
{
    failing *f = ud;
    return f_fail(f) ? -1 : f->inner.put(f->inner.user_data, row);
}
static int f_del(void *ud, int kind, const char *key, size_t len)
{
    failing *f = ud;
    return f_fail(f) ? -1 : f->inner.del(f->inner.user_data, kind, key, len);
}
static int f_get(void *ud, int kind, const char *key, size_t len, cib_row_fn fn, void *cb)
{
    failing *f = ud;
    return f_fail(f) ? -1 : f->inner.get(f->inner.user_data, kind, key, len, fn, cb);
}
static int f_scan(void *ud, int kind, cib_row_fn fn, void *cb)
{
    failing *f = ud;
    return f_fail(f) ? -1 : f->inner.scan(f->inner.user_data, kind, fn, cb);
}

/* A failed batch is undone in memory from its log, without reading the
 * store back: even when every store call from a few into the batch on
 * fails (reads too), the context is as it was before the batch and stays
 * usable, and a new context on the store finds it as it was. */
static void test_undone_without_the_store_R_HOST_1(void **state)
{
    (void)state;
    cib_store mem;
    assert_int_equal(cib_memstore_new(NULL, &mem), CIB_OK);
    failing f = {mem, 0, -1};
    cib_store st = CIB_STORE_INIT;
    st.user_data = &f;
    st.begin = f_begin;
    st.commit = f_commit;
    st.rollback = f_rollback;
    st.put = f_put;
    st.del = f_del;
    st.get = f_get;
    st.scan = f_scan;
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    cib_ctx *ctx;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "mail";
    d.inbox = "default";
    d.type = CIB_CHANNEL_EMAIL;
    d.address = "help@acme.test";
    assert_int_equal(cib_channel_add(ctx, &d), CIB_OK);
    char *before;
    size_t len;
    assert_int_equal(cib_dump(ctx, &before, &len), CIB_OK);
    f.from = f.calls + 3; /* a few calls into the batch, and everything after */
    assert_int_equal(op_batch(ctx, NULL), CIB_ESTORAGE);
    assert_non_null(strstr(cib_errmsg(ctx), "nothing was kept"));
    char *undone;
    assert_int_equal(cib_dump(ctx, &undone, &len), CIB_OK);
    assert_string_equal(before, undone);
    cib_free(ctx, undone);
    /* Usable: refused while the store fails, working once it is back. */
    cib_user_def u = CIB_USER_DEF_INIT;
    u.id = "zed";
    u.name = "Zed";
    assert_int_equal(cib_user_add(ctx, &u), CIB_ESTORAGE);
    f.from = -1;
    assert_int_equal(op_batch(ctx, NULL), CIB_OK);
    assert_int_equal(cib_user_add(ctx, &u), CIB_OK);
    char *done;
    assert_int_equal(cib_dump(ctx, &done, &len), CIB_OK);
    cib_ctx_free(ctx);
    /* The store holds exactly what memory held. */
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    char *after;
    assert_int_equal(cib_dump(ctx, &after, &len), CIB_OK);
    assert_string_equal(done, after);
    cib_free(ctx, before);
    cib_free(ctx, done);
    cib_free(ctx, after);
    cib_ctx_free(ctx);
    mem.close(mem.user_data);
}

/* A store whose commit reports CIB_ENOMEM while `armed`. */
typedef struct nomem_commit {
    cib_store inner;
    int armed;
} nomem_commit;

static int nc_commit(void *ud)
{
    nomem_commit *n = ud;
    return n->armed ? CIB_ENOMEM : n->inner.commit(n->inner.user_data);
}
static int nc_begin(void *ud)
{
    nomem_commit *n = ud;
    return n->inner.begin(n->inner.user_data);
}
static void nc_rollback(void *ud)
{
    nomem_commit *n = ud;
    n->inner.rollback(n->inner.user_data);
}
static int nc_put(void *ud, const cib_row *row)
{
    nomem_commit *n = ud;
    return n->inner.put(n->inner.user_data, row);
}
static int nc_del(void *ud, int kind, const char *key, size_t len)
{
    nomem_commit *n = ud;
    return n->inner.del(n->inner.user_data, kind, key, len);
}
static int nc_get(void *ud, int kind, const char *key, size_t len, cib_row_fn fn, void *cb)
{
    nomem_commit *n = ud;
    return n->inner.get(n->inner.user_data, kind, key, len, fn, cb);
}
static int nc_scan(void *ud, int kind, cib_row_fn fn, void *cb)
{
    nomem_commit *n = ud;
    return n->inner.scan(n->inner.user_data, kind, fn, cb);
}

/* R-HOST-1 (store.h): a commit that fails with CIB_ENOMEM fails the batch
 * with CIB_ENOMEM, as any other call reports it, and keeps nothing. */
static void test_batch_commit_nomem_is_nomem_R_HOST_1(void **state)
{
    (void)state;
    cib_store mem;
    assert_int_equal(cib_memstore_new(NULL, &mem), CIB_OK);
    nomem_commit n = {mem, 0};
    cib_store st = CIB_STORE_INIT;
    st.user_data = &n;
    st.begin = nc_begin;
    st.commit = nc_commit;
    st.rollback = nc_rollback;
    st.put = nc_put;
    st.del = nc_del;
    st.get = nc_get;
    st.scan = nc_scan;
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    cib_ctx *ctx;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "mail";
    d.inbox = "default";
    d.type = CIB_CHANNEL_EMAIL;
    d.address = "help@acme.test";
    assert_int_equal(cib_channel_add(ctx, &d), CIB_OK);
    char *before, *after;
    assert_int_equal(cib_dump(ctx, &before, NULL), CIB_OK);
    n.armed = 1;
    assert_int_equal(op_batch(ctx, NULL), CIB_ENOMEM);
    assert_non_null(strstr(cib_errmsg(ctx), "commit"));
    n.armed = 0;
    assert_int_equal(cib_dump(ctx, &after, NULL), CIB_OK);
    assert_string_equal(before, after);
    cib_free(ctx, before);
    cib_free(ctx, after);
    cib_ctx_free(ctx);
    mem.close(mem.user_data);
}

static void count_event(void *ud, const cib_event *ev)
{
    (void)ev;
    ++*(int *)ud;
}

/* Events reach a listener, one message at a time and in a batch (after the
 * commit); without a listener none is built or queued: the same batch makes
 * fewer allocations, none for an event queue. */
static void test_events_only_with_a_listener(void **state)
{
    (void)state;
    long allocs[2];
    for (int listen = 0; listen < 2; listen++) {
        int events = 0;
        tenv *e = tenv_new();
        if (listen) {
            e->opts.on_event = count_event;
            e->opts.event_user_data = &events;
            tenv_reopen(e);
        }
        setup(e);
        /* One message: created, assigned, message. */
        ingest_msg(e, "mail", "one", "carol@example.test", NULL);
        assert_int_equal(events, listen ? 3 : 0);
        /* A batch of 20 new conversations: 60 events, more than the
         * context's own room for queued events. */
        enum { N = 20 };
        cib_inbound m[N];
        cib_ingest_result r[N];
        char ids[N][16], from[N][32];
        for (int i = 0; i < N; i++) {
            snprintf(ids[i], sizeof ids[i], "b%d", i);
            snprintf(from[i], sizeof from[i], "c%d@example.test", i);
            m[i] = inbound_msg("mail", ids[i], from[i], NULL);
            cib_ingest_result init = CIB_INGEST_RESULT_INIT;
            r[i] = init;
        }
        int st[N];
        long before = e->fa.count;
        expect_status(e, cib_ingest_batch(e->ctx, m, N, r, st), CIB_OK, NULL);
        allocs[listen] = e->fa.count - before;
        /* created, assigned, message for each */
        assert_int_equal(events, listen ? 3 + 3 * N : 0);
        tenv_free(e);
    }
    /* With a listener, more: the queue of the batch's events. */
    assert_true(allocs[1] > allocs[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_in_order_R_CONV_2_R_CONV_3),
        cmocka_unit_test(test_batch_bad_arguments_R_HOST_4),
        cmocka_unit_test(test_batch_same_as_one_by_one_R_HOST_1),
        cmocka_unit_test(test_sweep_batch_R_HOST_1),
        cmocka_unit_test(test_failure_flag_rolls_back_R_HOST_1),
        cmocka_unit_test(test_undone_without_the_store_R_HOST_1),
        cmocka_unit_test(test_batch_commit_nomem_is_nomem_R_HOST_1),
        cmocka_unit_test(test_events_only_with_a_listener),
    };
    return TENV_RUN(tests);
}
