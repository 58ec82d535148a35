/* test_dedup.c - white-box tests of message-id idempotency without a time
 * limit (R-CONV-3, lib/rules/dedup.c): recent ids, the filter over every stored id
 * and its store confirms, the optional window, forgetting a deleted inbox's
 * ids in one pass, failure sweeps over ingest and load; and the per-context
 * hash seed (lib/base/hash.c, lib/base/fptab.c): fresh, never stored, and no context
 * without entropy. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "ctx.h"
#include "support/testenv.h"

#define DAY_MS (24LL * 3600 * 1000)

static void setup(tenv *e)
{
    add_inbox(e, "support", "Support");
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    add_inbox(e, "sales", "Sales");
    add_channel(e, "smail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
}

/* A store wrapper that counts get() calls. */
typedef struct getcount {
    cib_store inner;
    long gets;
} getcount;

static int gc_begin(void *u)
{
    getcount *g = u;
    return g->inner.begin(g->inner.user_data);
}
static int gc_commit(void *u)
{
    getcount *g = u;
    return g->inner.commit(g->inner.user_data);
}
static void gc_rollback(void *u)
{
    getcount *g = u;
    g->inner.rollback(g->inner.user_data);
}
static int gc_put(void *u, const cib_row *r)
{
    getcount *g = u;
    return g->inner.put(g->inner.user_data, r);
}
static int gc_del(void *u, int kind, const char *key, size_t n)
{
    getcount *g = u;
    return g->inner.del(g->inner.user_data, kind, key, n);
}
static int gc_get(void *u, int kind, const char *key, size_t n, cib_row_fn fn, void *cb)
{
    getcount *g = u;
    g->gets++;
    return g->inner.get(g->inner.user_data, kind, key, n, fn, cb);
}
static int gc_scan(void *u, int kind, cib_row_fn fn, void *cb)
{
    getcount *g = u;
    return g->inner.scan(g->inner.user_data, kind, fn, cb);
}

/* A tenv whose store counts gets: the faultstore wraps the counter, which
 * wraps the built-in store. */
static getcount gcount;

static void counted_env(tenv *e)
{
    cib_ctx_free(e->ctx);
    gcount.inner = e->mem;
    gcount.gets = 0;
    cib_store s = CIB_STORE_INIT;
    s.user_data = &gcount;
    s.begin = gc_begin;
    s.commit = gc_commit;
    s.rollback = gc_rollback;
    s.put = gc_put;
    s.del = gc_del;
    s.get = gc_get;
    s.scan = gc_scan;
    static cib_store counted;
    counted = s;
    e->store = faultstore_wrap(&e->fs, &counted);
    e->opts.store = &e->store;
    assert_int_equal(cib_ctx_new(&e->opts, &e->ctx), CIB_OK);
}

static cib_ingest_result in(tenv *e, const char *channel, const char *msg_id)
{
    return ingest_msg(e, channel, msg_id, "carol@example.test", NULL);
}

static cib__fp fp_of(tenv *e, const char *channel, const char *msg_id)
{
    cib__channel *ch = cib__channel_find(e->ctx, channel, strlen(channel));
    assert_non_null(ch);
    return cib__dedup_fp(e->ctx, ch, msg_id, strlen(msg_id));
}

static int is_recent(tenv *e, const char *channel, const char *msg_id)
{
    return cib__fptab_find(&e->ctx->dedup.set, fp_of(e, channel, msg_id), NULL);
}

/* R-CONV-3: a redelivery 30 and 365 days later is a duplicate: while the id
 * is recent (from memory, no store read), after it left the recent ids
 * (through the filter and one store get), and after a restart. Nothing
 * changes. */
static void test_redelivery_months_later_R_CONV_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    e->opts.dedup_recent = 8;
    counted_env(e);
    setup(e);
    cib_ingest_result first = in(e, "mail", "<crash@mail>");
    char *before = tenv_snapshot(e);
    e->now += 30 * DAY_MS;
    long gets = gcount.gets;
    cib_ingest_result again = in(e, "mail", "<crash@mail>");
    assert_int_equal(again.duplicate, 1);
    assert_true(again.message == first.message && again.conversation == first.conversation);
    assert_int_equal(gcount.gets, gets); /* recent: answered from memory */
    expect_unchanged(e, before);
    free(before);
    /* Eight newer ids push it out of the recent ones. */
    char id[32];
    for (int i = 0; i < 8; i++) {
        snprintf(id, sizeof id, "later-%d", i);
        in(e, "mail", id);
    }
    assert_false(is_recent(e, "mail", "<crash@mail>"));
    assert_true(e->ctx->dedup.len <= 8);
    e->now += 335 * DAY_MS; /* 365 days after the first delivery */
    before = tenv_snapshot(e);
    gets = gcount.gets;
    again = in(e, "mail", "<crash@mail>");
    assert_int_equal(again.duplicate, 1);
    assert_true(again.message == first.message && again.conversation == first.conversation);
    assert_int_equal(gcount.gets, gets + 1); /* the filter said maybe; the row confirmed */
    expect_unchanged(e, before);
    free(before);
    /* After a restart: the filter is rebuilt from the rows. */
    tenv_reopen(e);
    before = tenv_snapshot(e);
    again = in(e, "mail", "<crash@mail>");
    assert_int_equal(again.duplicate, 1);
    assert_true(again.message == first.message);
    expect_unchanged(e, before);
    free(before);
    /* The same id on another channel is still another message. */
    assert_int_equal(in(e, "smail", "<crash@mail>").duplicate, 0);
    tenv_free(e);
}

/* R-CONV-3: a new message, the common case, costs no store read, whatever
 * the number of ids stored before it. */
static void test_new_message_reads_nothing_R_CONV_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    e->opts.dedup_recent = 16;
    e->opts.hash_seed = 99; /* no filter false positive among these */
    counted_env(e);
    setup(e);
    char id[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(id, sizeof id, "m-%d", i);
        in(e, "mail", id);
    }
    assert_int_equal(gcount.gets, 0);
    assert_int_equal(e->ctx->dedup.filter.count, 3000);
    tenv_reopen(e);
    for (int i = 3000; i < 4000; i++) {
        snprintf(id, sizeof id, "m-%d", i);
        in(e, "mail", id);
    }
    assert_int_equal(gcount.gets, 0);
    tenv_free(e);
}

/* R-CONV-3: when the filter holds the value of a new id (another id's equal
 * value: a false positive), one store get finds no row and the message is
 * accepted as new; the filter then counts the value twice. */
static void test_filter_false_positive_confirms_R_CONV_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    counted_env(e);
    setup(e);
    cib__fpfilter *f = &e->ctx->dedup.filter;
    uint32_t v = cib__fpfilter_value(f, fp_of(e, "mail", "fresh"));
    assert_int_equal(cib__fpfilter_reserve(&e->ctx->mem, f, 1), CIB_OK);
    cib__fpfilter_add(f, v); /* as if an earlier id had this value */
    size_t count = f->count;
    /* The confirm is the first store call: failing it fails the ingest
     * cleanly, naming get. */
    char *before = tenv_snapshot(e);
    cib_inbound m = inbound_msg("mail", "fresh", "carol@example.test", NULL);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    e->fs.fail_at = e->fs.calls;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_ESTORAGE, "storage.get");
    expect_unchanged(e, before);
    free(before);
    long gets = gcount.gets;
    r = in(e, "mail", "fresh");
    assert_int_equal(gcount.gets, gets + 1);
    assert_int_equal(r.duplicate, 0);
    assert_int_equal(r.created, 1);
    assert_int_equal(f->count, count + 1);
    /* Its repeat is a duplicate (recent), and so after a restart (filter,
     * then the row). */
    assert_int_equal(in(e, "mail", "fresh").duplicate, 1);
    tenv_reopen(e);
    assert_int_equal(in(e, "mail", "fresh").duplicate, 1);
    tenv_free(e);
}

/* R-CONV-3: dedup_window_ms > 0 keeps a time limit: within it a repeat is a
 * duplicate, after it the id is accepted again (its row replaced, not a
 * second one), whether the id is recent or only stored. */
static void test_window_option_R_CONV_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    e->opts.dedup_window_ms = 60000;
    e->opts.dedup_recent = 2;
    tenv_reopen(e);
    setup(e);
    cib_ingest_result a = in(e, "mail", "w1");
    in(e, "mail", "w2");
    e->now += 59999;
    assert_int_equal(in(e, "mail", "w1").duplicate, 1);
    e->now += 1;
    assert_true(is_recent(e, "mail", "w2"));
    cib_ingest_result b = in(e, "mail", "w2"); /* recent, expired */
    assert_int_equal(b.duplicate, 0);
    assert_int_equal(b.created, 1);
    in(e, "mail", "w3"); /* w1 leaves the recent ids */
    assert_false(is_recent(e, "mail", "w1"));
    cib_ingest_result c = in(e, "mail", "w1"); /* stored, expired */
    assert_int_equal(c.duplicate, 0);
    assert_true(c.conversation != a.conversation);
    assert_int_equal(e->ctx->dedup.filter.count, 3);
    assert_int_equal(in(e, "mail", "w1").duplicate, 1);
    tenv_reopen(e);
    assert_int_equal(in(e, "mail", "w2").duplicate, 1);
    /* A context without a window reads no expiry: every stored id stays a
     * duplicate, ids accepted under a window included. */
    e->opts.dedup_window_ms = 0;
    tenv_reopen(e);
    e->now += 365 * DAY_MS;
    assert_int_equal(in(e, "mail", "w1").duplicate, 1);
    assert_int_equal(in(e, "mail", "w3").duplicate, 1);
    tenv_free(e);
}

/* Options: dedup_recent beyond its range and a negative window are refused. */
static void test_options_refused(void **state)
{
    (void)state;
    cib_options o = CIB_OPTIONS_INIT;
    char err[256];
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    cib_ctx *ctx = (cib_ctx *)&o;
    o.dedup_recent = CIB__DEDUP_RECENT_MAX + 1;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_EINVAL);
    assert_null(ctx);
    assert_non_null(strstr(err, "limit"));
    o.dedup_recent = CIB__DEDUP_RECENT_MAX;
    o.dedup_window_ms = -1;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_EINVAL);
    assert_non_null(strstr(err, "dedup_window_ms"));
    o.dedup_window_ms = 0;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    assert_int_equal(ctx->dedup.max, CIB__DEDUP_RECENT_MAX);
    cib_ctx_free(ctx);
    o.dedup_recent = 0;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    assert_int_equal(ctx->dedup.max, CIB__DEDUP_RECENT_DEFAULT);
    cib_ctx_free(ctx);
}

/* ---- deleting an inbox forgets its ids, in one pass ---- */

static void fill(tenv *e, const char *channel, int n)
{
    char id[32];
    for (int i = 0; i < n; i++) {
        snprintf(id, sizeof id, "%s-%d", channel, i);
        in(e, channel, id);
    }
}

/* Deleting an inbox with k ids, beside another inbox with as many: the ring
 * entries and slots forgetting touches, counted. */
static size_t forget_work(int k)
{
    tenv *e = tenv_new();
    e->opts.dedup_recent = (uint32_t)(4 * k);
    tenv_reopen(e);
    setup(e);
    fill(e, "smail", k);
    fill(e, "mail", k);
    size_t work = e->ctx->dedup.work;
    expect_status(e, cib_inbox_remove(e->ctx, "sales", CIB_NTS, "Sales", CIB_NTS), CIB_OK, NULL);
    work = e->ctx->dedup.work - work;
    assert_int_equal(e->ctx->dedup.filter.count, k);
    assert_int_equal(e->ctx->dedup.set.count, k); /* only mail's */
    assert_true(is_recent(e, "mail", "mail-0"));
    tenv_free(e);
    return work;
}

/* R-INBOX-3, R-CONV-3: forgetting is linear in the inbox's ids (it was
 * quadratic: each key scanned every recent id), and a re-created channel
 * of the same id takes those ids as new messages. */
static void test_inbox_delete_forgets_in_one_pass_R_INBOX_3_R_CONV_3(void **state)
{
    (void)state;
    size_t w1 = forget_work(500), w4 = forget_work(2000);
    assert_true(w1 <= 500);
    assert_true(w4 <= 2000);
    assert_true(w4 <= 4 * w1 + 4);
    tenv *e = tenv_new();
    e->opts.dedup_recent = 3;
    tenv_reopen(e);
    setup(e);
    fill(e, "smail", 10); /* 7 only stored, 3 recent */
    fill(e, "mail", 2);
    expect_status(e, cib_inbox_remove(e->ctx, "sales", CIB_NTS, "Sales", CIB_NTS), CIB_OK, NULL);
    assert_int_equal(e->ctx->dedup.filter.count, 2);
    add_inbox(e, "sales", "Sales");
    add_channel(e, "smail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    assert_int_equal(in(e, "smail", "smail-0").duplicate, 0);
    assert_int_equal(in(e, "smail", "smail-9").duplicate, 0);
    assert_int_equal(in(e, "mail", "mail-1").duplicate, 1);
    tenv_reopen(e);
    assert_int_equal(in(e, "smail", "smail-5").duplicate, 0);
    assert_int_equal(in(e, "smail", "smail-0").duplicate, 1);
    tenv_free(e);
}

/* ---- failure sweeps ---- */

static void setup_full(tenv *e)
{
    e->opts.dedup_recent = 4;
    e->opts.dedup_window_ms = 0;
    tenv_reopen(e);
    setup(e);
    fill(e, "mail", 6); /* the recent ids are full: a new one evicts */
}

static int op_new(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_inbound m = inbound_msg("mail", "brand-new", "dave@example.test", NULL);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    return cib_ingest(ctx, &m, &r);
}

static void setup_window(tenv *e)
{
    e->opts.dedup_recent = 2;
    e->opts.dedup_window_ms = 1000;
    tenv_reopen(e);
    setup(e);
    fill(e, "mail", 4); /* mail-0, mail-1 only stored; mail-2, mail-3 recent */
    e->now += 1000;
}

static int op_again(cib_ctx *ctx, void *arg)
{
    cib_inbound m = inbound_msg("mail", arg, "dave@example.test", NULL);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    return cib_ingest(ctx, &m, &r);
}

/* R-HOST-1, R-CONV-3: ingest stays atomic on every path of the keys: a new
 * id that evicts a recent one, an expired stored id and an expired recent
 * one taken again. */
static void test_sweeps_ingest_R_HOST_1_R_CONV_3(void **state)
{
    (void)state;
    sweep_op(setup_full, op_new, NULL);
    sweep_op(setup_window, op_again, "mail-0");
    sweep_op(setup_window, op_again, "mail-3");
}

/* R-HOST-1, R-CONV-3: loading an account with old ids fails cleanly at every
 * allocation and every storage call, and then finds them. */
static void test_sweeps_load_R_HOST_1_R_CONV_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup_full(e);
    e->now += 400 * DAY_MS;
    cib_ctx_free(e->ctx);
    e->ctx = NULL;
    long n;
    for (n = 0;; n++) {
        assert_true(n < 100000);
        long live = e->fa.live;
        e->fa.fail_at = e->fa.count + n;
        int rc = cib_ctx_new(&e->opts, &e->ctx);
        e->fa.fail_at = -1;
        if (rc == CIB_OK)
            break;
        assert_int_equal(rc, CIB_ENOMEM);
        assert_null(e->ctx);
        assert_int_equal(e->fa.live, live);
    }
    assert_true(n > 3);
    assert_int_equal(in(e, "mail", "mail-0").duplicate, 1);
    cib_ctx_free(e->ctx);
    e->ctx = NULL;
    for (n = 0;; n++) {
        assert_true(n < 100000);
        long live = e->fa.live;
        e->fs.fail_at = e->fs.calls + n;
        int rc = cib_ctx_new(&e->opts, &e->ctx);
        e->fs.fail_at = -1;
        if (rc == CIB_OK)
            break;
        assert_int_equal(rc, CIB_ESTORAGE);
        assert_null(e->ctx);
        assert_int_equal(e->fa.live, live);
    }
    assert_true(n > 3);
    assert_int_equal(in(e, "mail", "mail-5").duplicate, 1);
    tenv_free(e);
}

/* ---- the hash seed ---- */

/* Two contexts on the same store draw different seeds, neither the
 * account's stored salt, and their tables place the same fingerprints
 * differently. */
static void test_seed_per_context(void **state)
{
    (void)state;
    cib_store mem;
    assert_int_equal(cib_memstore_new(NULL, &mem), CIB_OK);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &mem;
    cib_ctx *a, *b;
    assert_int_equal(cib_ctx_new(&o, &a), CIB_OK);
    assert_int_equal(cib_ctx_new(&o, &b), CIB_OK);
    assert_true(a->seed != b->seed);
    assert_true(a->secret == b->secret); /* the stable keys' salt is shared */
    assert_true(a->seed != a->secret && b->seed != b->secret);
    /* 200 fingerprints that share one home slot of 4096 in a's table spread
     * over b's. */
    cib__fptab ta = a->contact_index, tb = b->contact_index;
    ta.cap = tb.cap = 4096;
    size_t homes[4096] = {0}, found = 0, most = 0;
    for (uint64_t lo = 1; found < 200; lo++) {
        cib__fp fp = {lo, 0x1234};
        if (cib__fptab_home(&ta, fp) != 7)
            continue;
        found++;
        size_t h = cib__fptab_home(&tb, fp);
        if (++homes[h] > most)
            most = homes[h];
    }
    assert_true(most <= 4);
    cib_ctx_free(a);
    cib_ctx_free(b);
    mem.close(mem.user_data);
}

struct needle {
    uint64_t seed;
    char dec[24], hex[24];
    int hits;
};

static int look(void *arg, const cib_row *row)
{
    struct needle *n = arg;
    for (size_t i = 0; i < row->n_fields; i++) {
        const cib_field *f = &row->fields[i];
        if (f->type == CIB_FIELD_INT && (uint64_t)f->i == n->seed)
            n->hits++;
        if (f->type == CIB_FIELD_TEXT && (strstr(f->text, n->dec) || strstr(f->text, n->hex)))
            n->hits++;
        for (size_t j = 0; f->type == CIB_FIELD_LIST && j < f->n_items; j++)
            if (strstr(f->items[j], n->dec) || strstr(f->items[j], n->hex))
                n->hits++;
    }
    return 0;
}

/* The context's seed is in no stored row, after every kind of row was
 * written (contacts, threads, keys, tickets...). */
static void test_seed_not_stored(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    ingest_msg(e, "mail", "m1", "carol@example.test", "<t1@mail>");
    ingest_msg(e, "mail", "m2", "carol@example.test", "<t1@mail>");
    ingest_msg(e, "smail", "m3", "dave@example.test", NULL);
    struct needle n = {e->ctx->seed, "", "", 0};
    snprintf(n.dec, sizeof n.dec, "%llu", (unsigned long long)n.seed);
    snprintf(n.hex, sizeof n.hex, "%016llx", (unsigned long long)n.seed);
    for (int kind = 1; kind < CIB_KIND_END; kind++)
        assert_int_equal(e->mem.scan(e->mem.user_data, kind, look, &n), 0);
    assert_int_equal(n.hits, 0);
    /* The check itself finds a value that is stored: the salt. */
    struct needle salt = {e->ctx->secret, "", "", 0};
    snprintf(salt.dec, sizeof salt.dec, "%llu", (unsigned long long)salt.seed);
    snprintf(salt.hex, sizeof salt.hex, "%016llx", (unsigned long long)salt.seed);
    assert_int_equal(e->mem.scan(e->mem.user_data, CIB_KIND_ACCOUNT, look, &salt), 0);
    assert_int_equal(salt.hits, 1);
    tenv_free(e);
}

static int no_entropy(void *buf, size_t n)
{
    (void)buf;
    (void)n;
    return ENOSYS;
}

static int count_rows(void *arg, const cib_row *row)
{
    (void)row;
    ++*(int *)arg;
    return 0;
}

/* Without entropy there is no context: cib_ctx_new fails with a message,
 * leaks nothing and writes nothing, instead of taking a guessable seed. A
 * host's hash_seed stands in for the tables' seed (an existing account then
 * opens), but a new account still needs a random salt. */
static void test_no_entropy_fails_cleanly(void **state)
{
    (void)state;
    tenv *e = tenv_new(); /* an account exists in e's store */
    cib_ctx_free(e->ctx);
    e->ctx = NULL;
    char err[256] = "";
    e->opts.error_buffer = err;
    e->opts.error_buffer_size = sizeof err;
    long live = e->fa.live, calls = e->fs.calls;
    cib_ctx *ctx = (cib_ctx *)e;
    assert_int_equal(cib__ctx_new_with(&e->opts, &ctx, no_entropy), CIB_ENOMEM);
    assert_null(ctx);
    assert_non_null(strstr(err, "no random seed"));
    assert_non_null(strstr(err, "hash_seed"));
    assert_int_equal(e->fa.live, live);
    assert_int_equal(e->fs.calls, calls); /* the store was not touched */
    e->opts.hash_seed = 12345;
    assert_int_equal(cib__ctx_new_with(&e->opts, &ctx, no_entropy), CIB_OK);
    assert_int_equal(ctx->seed, 12345);
    cib_ctx_free(ctx);
    /* An empty store: the new account's salt needs entropy too. */
    cib_store mem;
    assert_int_equal(cib_memstore_new(NULL, &mem), CIB_OK);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &mem;
    o.hash_seed = 7;
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    assert_int_equal(cib__ctx_new_with(&o, &ctx, no_entropy), CIB_ENOMEM);
    assert_null(ctx);
    assert_non_null(strstr(err, "no random salt"));
    int rows = 0;
    for (int kind = 1; kind < CIB_KIND_END; kind++)
        assert_int_equal(mem.scan(mem.user_data, kind, count_rows, &rows), 0);
    assert_int_equal(rows, 0);
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    cib_ctx_free(ctx);
    mem.close(mem.user_data);
    /* The real source gives different bytes each time. */
    uint64_t x = 0, y = 0;
    assert_int_equal(cib__os_entropy(&x, sizeof x), 0);
    assert_int_equal(cib__os_entropy(&y, sizeof y), 0);
    assert_true(x != y);
    /* Its fallback when getrandom is missing: a file of random bytes. */
    assert_int_equal(cib__file_entropy(&x, sizeof x, "/dev/urandom"), 0);
    assert_int_equal(cib__file_entropy(&y, sizeof y, "/dev/urandom"), 0);
    assert_true(x != y);
    assert_int_equal(cib__file_entropy(&x, sizeof x, "/dev/null"), EIO); /* it ends */
    assert_int_equal(cib__file_entropy(&x, sizeof x, "/nonexistent/rnd"), ENOENT);
    assert_int_equal(cib__file_entropy(&x, sizeof x, "/"), EISDIR);
    tenv_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redelivery_months_later_R_CONV_3),
        cmocka_unit_test(test_new_message_reads_nothing_R_CONV_3),
        cmocka_unit_test(test_filter_false_positive_confirms_R_CONV_3),
        cmocka_unit_test(test_window_option_R_CONV_3),
        cmocka_unit_test(test_options_refused),
        cmocka_unit_test(test_inbox_delete_forgets_in_one_pass_R_INBOX_3_R_CONV_3),
        cmocka_unit_test(test_sweeps_ingest_R_HOST_1_R_CONV_3),
        cmocka_unit_test(test_sweeps_load_R_HOST_1_R_CONV_3),
        cmocka_unit_test(test_seed_per_context),
        cmocka_unit_test(test_seed_not_stored),
        cmocka_unit_test(test_no_entropy_fails_cleanly),
    };
    return TENV_RUN(tests);
}
