/* test_op.c - white-box tests of the change object (lib/change/op.c): the undo log
 * runs newest first and restores exactly, deferred frees happen only when
 * an op is final, queued events are delivered only then and in order, and
 * the context's own store is given only what the working set does not hold
 * (R-HOST-1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctx.h"
#include "op.h"
#include "store.h"
#include "support/testenv.h"

/* ---- the log ---- */

static char order[64];

static void note(cib_ctx *ctx, const cib__undo *u)
{
    (void)ctx;
    size_t n = strlen(order);
    order[n] = (char)u->a;
    order[n + 1] = '\0';
}

static cib_event seen[8];
static size_t n_seen;

static void on_event(void *data, const cib_event *ev)
{
    (void)data;
    if (n_seen < 8)
        seen[n_seen++] = *ev;
}

static cib_ctx *new_ctx(int listen)
{
    cib_options o = CIB_OPTIONS_INIT;
    if (listen)
        o.on_event = on_event;
    o.heap_budget = UINT64_MAX; /* counts the heap */
    cib_ctx *ctx = NULL;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    return ctx;
}

/* R-HOST-1: undone newest first; saved bytes come back exactly; the queued
 * events are dropped; a deferred free does not happen. */
static void test_undo_newest_first(void **state)
{
    (void)state;
    cib_ctx *ctx = new_ctx(1);
    n_seen = 0;
    order[0] = '\0';
    uint64_t x = 7;
    struct {
        int64_t a;
        char b[24];
    } y = {-5, "before"};
    void *block = cib__malloc(&ctx->mem, 16);
    assert_non_null(block);
    cib__op op;
    assert_int_equal(cib__op_begin(ctx, &op), CIB_OK);
    assert_int_equal(cib__op_undo(&op, note, NULL, NULL, 'a', 0), CIB_OK);
    assert_int_equal(cib__op_save(&op, &x, sizeof x), CIB_OK);
    x = 8;
    assert_int_equal(cib__op_undo(&op, note, NULL, NULL, 'b', 0), CIB_OK);
    assert_int_equal(cib__op_save(&op, &y, sizeof y), CIB_OK);
    y.a = 99;
    strcpy(y.b, "after");
    assert_int_equal(cib__op_free_later(&op, block), CIB_OK);
    assert_int_equal(cib__op_undo(&op, note, NULL, NULL, 'c', 0), CIB_OK);
    cib_event ev = {.type = CIB_EVENT_ASSIGNED, .conversation = 1};
    assert_int_equal(cib__op_event(&op, &ev), CIB_OK);
    assert_int_equal(cib__op_end(&op, CIB_EINVAL), CIB_EINVAL);
    assert_string_equal(order, "cba");
    assert_int_equal(x, 7);
    assert_int_equal(y.a, -5);
    assert_string_equal(y.b, "before");
    assert_int_equal(n_seen, 0);
    assert_int_equal(ctx->n_undo, 0);
    assert_int_equal(ctx->n_events, 0);
    cib__free(&ctx->mem, block); /* still ours: the free was undone */
    cib_ctx_free(ctx);
}

/* R-HOST-1: a final op frees what it deferred and delivers its events in
 * order, once, after the commit; nothing is undone. */
static void test_final_frees_and_delivers(void **state)
{
    (void)state;
    cib_ctx *ctx = new_ctx(1);
    n_seen = 0;
    order[0] = '\0';
    void *block = cib__malloc(&ctx->mem, 16);
    assert_non_null(block);
    uint64_t live0 = 0;
    assert_int_equal(cib_memory_used(ctx, &live0, NULL), CIB_OK);
    cib__op op;
    assert_int_equal(cib__op_begin(ctx, &op), CIB_OK);
    assert_int_equal(cib__op_undo(&op, note, NULL, NULL, 'a', 0), CIB_OK);
    assert_int_equal(cib__op_free_later(&op, block), CIB_OK);
    for (uint64_t i = 1; i <= 6; i++) { /* more than the context's own 4 */
        cib_event ev = {.type = CIB_EVENT_MESSAGE_ADDED, .conversation = i};
        assert_int_equal(cib__op_event(&op, &ev), CIB_OK);
    }
    assert_int_equal(n_seen, 0); /* not before the end */
    assert_int_equal(cib__op_end(&op, CIB_OK), CIB_OK);
    assert_string_equal(order, "");
    assert_int_equal(n_seen, 6);
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(seen[i].conversation, i + 1);
        assert_int_equal(seen[i].size, sizeof(cib_event));
    }
    uint64_t live1 = 0;
    assert_int_equal(cib_memory_used(ctx, &live1, NULL), CIB_OK);
    assert_true(live1 < live0); /* the block was freed, the queue's heap block given back */
    assert_int_equal(ctx->n_undo, 0);
    assert_int_equal(ctx->n_free_later, 0);
    cib_ctx_free(ctx);
}

/* R-HOST-1: a log longer than the context's own array moves to the heap
 * and still undoes every entry. */
static void test_long_log(void **state)
{
    (void)state;
    cib_ctx *ctx = new_ctx(0);
    enum { N = 1000 };
    static uint32_t v[N];
    cib__op op;
    assert_int_equal(cib__op_begin(ctx, &op), CIB_OK);
    for (uint32_t i = 0; i < N; i++) {
        v[i] = i;
        assert_int_equal(cib__op_save(&op, &v[i], sizeof v[i]), CIB_OK);
        v[i] = i * 3 + 1;
    }
    assert_true(ctx->undo != ctx->undo_fixed);
    assert_int_equal(cib__op_end(&op, CIB_ENOMEM), CIB_ENOMEM);
    for (uint32_t i = 0; i < N; i++)
        assert_int_equal(v[i], i);
    assert_null(ctx->undo); /* the heap block is given back */
    cib_ctx_free(ctx);
}

/* ---- the transaction buffer (lib/change/txbuf.c) ---- */

static long fail_after = -1; /* allocations left before they fail; -1: never */

static void *t_malloc(void *u, size_t n)
{
    (void)u;
    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    return malloc(n);
}

static void *t_realloc(void *u, void *p, size_t n)
{
    (void)u;
    if (fail_after == 0)
        return NULL;
    if (fail_after > 0)
        fail_after--;
    return realloc(p, n);
}

static void t_free(void *u, void *p)
{
    (void)u;
    free(p);
}

/* R-HOST-1: a change is copied whole or not at all: every allocation of a
 * copy may fail, and the buffer is then as it was; the last change of a
 * row is the one found. */
static void test_txbuf_copies_whole_or_nothing(void **state)
{
    (void)state;
    cib_allocator al = CIB_ALLOCATOR_INIT;
    al.malloc_fn = t_malloc;
    al.realloc_fn = t_realloc;
    al.free_fn = t_free;
    cib_options o = CIB_OPTIONS_INIT;
    o.allocator = &al;
    cib_ctx *ctx = NULL;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    static char big[20000]; /* larger than a block: a block of its own */
    memset(big, 'b', sizeof big - 1);
    const char *items[] = {"one", big};
    cib_field f[2] = {{.name = "name", .type = CIB_FIELD_TEXT, .text = "Ann", .len = 3},
                      {.name = "members", .type = CIB_FIELD_LIST, .items = items, .n_items = 2}};
    cib_row row = {CIB_KIND_TEAM, "t1", 2, f, 2};
    int done = 0;
    for (long n = 0; n < 50 && !done; n++) {
        cib__txbuf_reset(ctx);
        assert_int_equal(cib__txbuf_add(ctx, CIB_CHANGE_PUT, &row), CIB_OK); /* one before */
        size_t had = ctx->tx.n;
        fail_after = n;
        int rc = cib__txbuf_add(ctx, CIB_CHANGE_PUT, &row);
        fail_after = -1;
        if (rc == CIB_OK) {
            done = 1;
            assert_int_equal(ctx->tx.n, had + 1);
        } else {
            assert_int_equal(rc, CIB_ENOMEM);
            assert_int_equal(ctx->tx.n, had);
        }
    }
    assert_true(done);
    const cib_change *c = cib__txbuf_find(ctx, CIB_KIND_TEAM, "t1", 2);
    assert_non_null(c);
    assert_int_equal(c->row.fields[1].item_lens[1], sizeof big - 1);
    assert_true(c->row.fields[1].items[1] != big); /* a copy */
    cib_row del = {CIB_KIND_TEAM, "t1", 2, NULL, 0};
    assert_int_equal(cib__txbuf_add(ctx, CIB_CHANGE_DEL, &del), CIB_OK);
    assert_int_equal(cib__txbuf_find(ctx, CIB_KIND_TEAM, "t1", 2)->op, CIB_CHANGE_DEL);
    assert_null(cib__txbuf_find(ctx, CIB_KIND_TEAM, "t2", 2));
    cib__txbuf_reset(ctx);
    cib_ctx_free(ctx);
}

/* ---- the context's own store ---- */

static int count_fn(void *data, const cib_row *row)
{
    (void)row;
    ++*(long *)data;
    return 0;
}

static long rows_of(cib_store *st, int kind)
{
    long n = 0;
    assert_int_equal(st->scan(st->user_data, kind, count_fn, &n), CIB_OK);
    return n;
}

static void fill(cib_ctx *ctx)
{
    cib_user_def u = CIB_USER_DEF_INIT;
    u.id = "alice";
    u.name = "Alice";
    assert_int_equal(cib_user_add(ctx, &u), CIB_OK);
    cib_channel_def c = CIB_CHANNEL_DEF_INIT;
    c.id = "mail";
    c.inbox = "default";
    c.type = CIB_CHANNEL_EMAIL;
    c.address = "help@acme.test";
    assert_int_equal(cib_channel_add(ctx, &c), CIB_OK);
    for (int i = 0; i < 2; i++) {
        cib_inbound m = CIB_INBOUND_INIT;
        m.channel = "mail";
        m.msg_id = i ? "m2" : "m1";
        m.from = "carol@example.test";
        m.thread = "th";
        m.text = "hello";
        cib_ingest_result r = CIB_INGEST_RESULT_INIT;
        assert_int_equal(cib_ingest(ctx, &m, &r), CIB_OK);
    }
}

/* R-HOST-1: without a host store, the context's own store holds only what
 * the working set does not: conversations, messages, message ids, threads
 * (and tickets). A host's in-memory store gets every kind. */
static void test_own_store_keeps_what_memory_does_not(void **state)
{
    (void)state;
    cib_ctx *ctx = new_ctx(0);
    fill(ctx);
    assert_true(ctx->owns_store);
    cib_store *st = &ctx->store;
    static const int skipped[] = {CIB_KIND_ACCOUNT, CIB_KIND_USER,     CIB_KIND_TEAM,
                                  CIB_KIND_CONTACT, CIB_KIND_PIPELINE, CIB_KIND_INBOX,
                                  CIB_KIND_CHANNEL, CIB_KIND_ROUTING};
    for (size_t i = 0; i < sizeof skipped / sizeof skipped[0]; i++)
        if (rows_of(st, skipped[i]))
            fail_msg("the context's own store holds %s rows", cib_kind_name(skipped[i]));
    assert_int_equal(rows_of(st, CIB_KIND_CONVERSATION), 0); /* open: in memory only */
    assert_int_equal(rows_of(st, CIB_KIND_MESSAGE), 2);
    assert_int_equal(rows_of(st, CIB_KIND_DEDUP), 2);
    assert_int_equal(rows_of(st, CIB_KIND_THREAD), 1);
    assert_int_equal(cib_close(ctx, "alice", CIB_NTS, 3), CIB_OK); /* closed: history */
    assert_int_equal(rows_of(st, CIB_KIND_CONVERSATION), 1);
    assert_int_equal(cib_reopen(ctx, "alice", CIB_NTS, 3), CIB_OK); /* open again: gone */
    assert_int_equal(rows_of(st, CIB_KIND_CONVERSATION), 0);
    cib_ctx_free(ctx);

    cib_store mem;
    assert_int_equal(cib_memstore_new(NULL, &mem), CIB_OK);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &mem;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    fill(ctx);
    static const int all[] = {CIB_KIND_ACCOUNT, CIB_KIND_USER,    CIB_KIND_CONTACT,
                              CIB_KIND_INBOX,   CIB_KIND_CHANNEL, CIB_KIND_CONVERSATION,
                              CIB_KIND_MESSAGE, CIB_KIND_DEDUP,   CIB_KIND_THREAD};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        if (!rows_of(&mem, all[i]))
            fail_msg("a host's store got no %s rows", cib_kind_name(all[i]));
    cib_ctx_free(ctx);
    mem.close(mem.user_data);
}

/* ---- the same account on both kinds of store ---- */

static int64_t now_ms;

static int64_t fixed_clock(void *data)
{
    (void)data;
    return now_ms;
}

static int send_ok(void *data, const cib_outbound *m)
{
    (void)data;
    (void)m;
    return 0;
}

typedef struct digest {
    char text[4096];
    size_t n;
} digest;

static int add_user_row(void *data, const cib_report_user *row)
{
    digest *d = data;
    d->n +=
        (size_t)snprintf(d->text + d->n, sizeof d->text - d->n, " %s:%llu/%llu/%lld", row->user,
                         (unsigned long long)row->replies, (unsigned long long)row->first_responses,
                         (long long)row->first_response_median_ms);
    return 0;
}

/* A day of work: conversations opened, answered, closed, reopened by a
 * follow-up, reopened by hand; then what the account says of it. */
static void work_and_read(cib_ctx *ctx, digest *d)
{
    now_ms = 1767571200000;
    fill(ctx); /* alice, "mail", carol's thread th: conversation 3 */
    cib_user_def u = CIB_USER_DEF_INIT;
    u.id = "bob";
    u.name = "Bob";
    assert_int_equal(cib_user_add(ctx, &u), CIB_OK);
    uint64_t convs[12];
    for (int i = 0; i < 12; i++) {
        now_ms += 60000;
        char id[16], from[48];
        snprintf(id, sizeof id, "w%d", i);
        snprintf(from, sizeof from, "c%d@example.test", i % 5);
        cib_inbound m = CIB_INBOUND_INIT;
        m.channel = "mail";
        m.msg_id = id;
        m.from = from;
        m.thread = id;
        m.text = "help";
        cib_ingest_result r = CIB_INGEST_RESULT_INIT;
        assert_int_equal(cib_ingest(ctx, &m, &r), CIB_OK);
        convs[i] = r.conversation;
    }
    for (int i = 0; i < 12; i++) {
        now_ms += 30000;
        if (i % 3 != 2)
            assert_int_equal(cib_reply(ctx, i % 2 ? "bob" : "alice", CIB_NTS, convs[i], "ok",
                                       CIB_NTS, NULL, 0, NULL),
                             CIB_OK);
        if (i % 2 == 0)
            assert_int_equal(cib_close(ctx, "alice", CIB_NTS, convs[i]), CIB_OK);
    }
    now_ms += 60000;
    cib_inbound m = CIB_INBOUND_INIT; /* a follow-up reopens w0 */
    m.channel = "mail";
    m.msg_id = "again";
    m.from = "c0@example.test";
    m.thread = "w0";
    m.text = "still broken";
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    assert_int_equal(cib_ingest(ctx, &m, &r), CIB_OK);
    assert_true(r.reopened);
    assert_int_equal(cib_reopen(ctx, "alice", CIB_NTS, convs[4]), CIB_OK);
    assert_int_equal(cib_reply(ctx, "bob", CIB_NTS, convs[4], "back", CIB_NTS, NULL, 0, NULL),
                     CIB_OK);
    /* What it says: the report, contacts that cannot go, the cap count. */
    cib_report_def q = CIB_REPORT_DEF_INIT;
    q.inbox = "default";
    q.from = 0;
    q.to = now_ms + 1;
    cib_report rep = CIB_REPORT_INIT;
    d->n = 0;
    assert_int_equal(cib_report_get(ctx, &q, &rep, add_user_row, d), CIB_OK);
    d->n += (size_t)snprintf(d->text + d->n, sizeof d->text - d->n,
                             " | received %llu replies %llu first %llu median %lld p90 %lld",
                             (unsigned long long)rep.received, (unsigned long long)rep.replies,
                             (unsigned long long)rep.first_responses,
                             (long long)rep.first_response_median_ms,
                             (long long)rep.first_response_p90_ms);
    assert_true(rep.replies > 0);
    const char *contacts[] = {"cib:c2", "cib:c6", "cib:c8"};
    for (size_t i = 0; i < 3; i++)
        d->n += (size_t)snprintf(d->text + d->n, sizeof d->text - d->n, " rm %s=%s", contacts[i],
                                 cib_status_name(cib_contact_remove(ctx, contacts[i], CIB_NTS)));
    assert_int_equal(cib_limit(ctx, CIB_LIMIT_CONVERSATIONS, 13, NULL), CIB_OK);
    cib_inbound over = CIB_INBOUND_INIT; /* 13 conversations exist: a 14th is refused */
    over.channel = "mail";
    over.msg_id = "over";
    over.from = "new@example.test";
    over.text = "hi";
    cib_ingest_result ro = CIB_INGEST_RESULT_INIT;
    d->n += (size_t)snprintf(d->text + d->n, sizeof d->text - d->n, " cap=%s",
                             cib_status_name(cib_ingest(ctx, &over, &ro)));
}

/* R-HOST-1, R-REPORT-1: a context's own store keeps no open conversations,
 * and every reader of conversations adds them from memory: reports (with
 * the replies in open conversations), the contacts that have conversations,
 * the conversation cap's count all say what they say on a store that keeps
 * everything. */
static void test_own_store_reads_like_a_full_one_R_REPORT_1(void **state)
{
    (void)state;
    cib_sender snd = CIB_SENDER_INIT;
    snd.email = send_ok;
    cib_options o = CIB_OPTIONS_INIT;
    o.clock = fixed_clock;
    o.sender = &snd;
    cib_ctx *own = NULL, *full = NULL;
    assert_int_equal(cib_ctx_new(&o, &own), CIB_OK);
    assert_true(own->store_skips_open);
    static digest a, b;
    work_and_read(own, &a);
    cib_store mem;
    assert_int_equal(cib_memstore_new(NULL, &mem), CIB_OK);
    o.store = &mem;
    assert_int_equal(cib_ctx_new(&o, &full), CIB_OK);
    work_and_read(full, &b);
    assert_string_equal(a.text, b.text);
    assert_non_null(strstr(a.text, "cap=limit"));
    assert_non_null(strstr(a.text, "rm cib:c2=conflict"));
    cib_ctx_free(own);
    cib_ctx_free(full);
    mem.close(mem.user_data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_undo_newest_first),
        cmocka_unit_test(test_final_frees_and_delivers),
        cmocka_unit_test(test_long_log),
        cmocka_unit_test(test_txbuf_copies_whole_or_nothing),
        cmocka_unit_test(test_own_store_keeps_what_memory_does_not),
        cmocka_unit_test(test_own_store_reads_like_a_full_one_R_REPORT_1),
    };
    return TENV_RUN(tests);
}
