/* test_op.c - white-box tests of the change object (lib/op.c): the undo log
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
    assert_int_equal(rows_of(st, CIB_KIND_CONVERSATION), 1);
    assert_int_equal(rows_of(st, CIB_KIND_MESSAGE), 2);
    assert_int_equal(rows_of(st, CIB_KIND_DEDUP), 2);
    assert_int_equal(rows_of(st, CIB_KIND_THREAD), 1);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_undo_newest_first),
        cmocka_unit_test(test_final_frees_and_delivers),
        cmocka_unit_test(test_long_log),
        cmocka_unit_test(test_own_store_keeps_what_memory_does_not),
    };
    return TENV_RUN(tests);
}
