/* test_ctx.c - contexts: options, the default inbox, the clock, loading from a
 * store, creation under allocation and storage failure, dumps. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/testenv.h"

/* R-INBOX-1: a new account has the default inbox with a fallback email. */
static void test_new_account_has_default_inbox_R_INBOX_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    cib_inbox_info ib = CIB_INBOX_INFO_INIT;
    expect_status(e, cib_inbox_get(e->ctx, "default", CIB_NTS, &ib), CIB_OK, NULL);
    assert_string_equal(ib.id, "default");
    assert_string_equal(ib.name, "Inbox");
    assert_int_equal(ib.is_default, 1);
    assert_int_equal(ib.everyone, 1);
    assert_int_equal(ib.created_at, TENV_EPOCH_MS);
    size_t n = 0;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_INBOX_CHANNELS, "default", CIB_NTS, &n),
                  CIB_OK, NULL);
    assert_int_equal(n, 1);
    const char *chid = NULL;
    expect_status(e, cib_list_item(e->ctx, CIB_LIST_INBOX_CHANNELS, "default", CIB_NTS, 0, &chid),
                  CIB_OK, NULL);
    assert_string_equal(chid, "default-fallback");
    cib_channel_info ch = CIB_CHANNEL_INFO_INIT;
    expect_status(e, cib_channel_get(e->ctx, chid, CIB_NTS, &ch), CIB_OK, NULL);
    assert_int_equal(ch.type, CIB_CHANNEL_FALLBACK_EMAIL);
    assert_int_equal(ch.status, CIB_CHANNEL_ENABLED);
    assert_string_equal(ch.sender_name, "Inbox");
    assert_string_equal(ch.inbox, "default");
    /* The default inbox is written to the store. */
    char *rows = tenv_store_dump(e);
    assert_non_null(strstr(rows, "inbox \"default\" name=\"Inbox\" is_default=1"));
    assert_non_null(strstr(rows, "channel \"default-fallback\" inbox=\"default\" "
                                 "type=\"fallback_email\""));
    free(rows);
    tenv_free(e);
}

static void test_default_inbox_name_option_R_INBOX_1(void **state)
{
    (void)state;
    cib_options o = CIB_OPTIONS_INIT;
    o.default_inbox_name = "Support";
    cib_ctx *ctx = NULL;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    cib_inbox_info ib = CIB_INBOX_INFO_INIT;
    assert_int_equal(cib_inbox_get(ctx, "default", CIB_NTS, &ib), CIB_OK);
    assert_string_equal(ib.name, "Support");
    cib_ctx_free(ctx);
    o.default_inbox_name = "";
    char err[200];
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_EINVAL);
    assert_null(ctx);
    assert_non_null(strstr(err, "'opts->default_inbox_name' is empty"));
}

/* R-AVAIL-3: time comes from the host's clock callback. */
static void test_clock_is_injected_R_AVAIL_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    e->now = 1800000000123LL;
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    e->now = 1700000000456LL; /* the host may even move it backwards */
    add_inbox(e, "sales", "Sales");
    cib_user_info u = CIB_USER_INFO_INIT;
    assert_int_equal(cib_user_get(e->ctx, "alice", CIB_NTS, &u), CIB_OK);
    assert_int_equal(u.created_at, 1800000000123LL);
    cib_inbox_info ib = CIB_INBOX_INFO_INIT;
    assert_int_equal(cib_inbox_get(e->ctx, "sales", CIB_NTS, &ib), CIB_OK);
    assert_int_equal(ib.created_at, 1700000000456LL);
    tenv_free(e);
}

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* R-AVAIL-3: without a callback, the system clock. */
static void test_default_clock_is_system_R_AVAIL_3(void **state)
{
    (void)state;
    cib_ctx *ctx = NULL;
    assert_int_equal(cib_ctx_new(NULL, &ctx), CIB_OK);
    int64_t before = wall_ms();
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "alice";
    d.name = "Alice";
    assert_int_equal(cib_user_add(ctx, &d), CIB_OK);
    int64_t after = wall_ms();
    cib_user_info u = CIB_USER_INFO_INIT;
    assert_int_equal(cib_user_get(ctx, "alice", CIB_NTS, &u), CIB_OK);
    assert_true(u.created_at >= before && u.created_at <= after);
    cib_ctx_free(ctx);
}

static void expect_new_fails(cib_options *o, int status, const char *needle)
{
    char err[256] = "";
    o->error_buffer = err;
    o->error_buffer_size = sizeof err;
    cib_ctx *ctx = (cib_ctx *)o; /* must be reset to NULL */
    int rc = cib_ctx_new(o, &ctx);
    if (rc != status || ctx != NULL || !strstr(err, needle))
        fail_msg("want %s '%s', got %s '%s'", cib_status_name(status), needle, cib_status_name(rc),
                 err);
    o->error_buffer = NULL;
    o->error_buffer_size = 0;
}

static void test_bad_options(void **state)
{
    (void)state;
    assert_int_equal(cib_ctx_new(NULL, NULL), CIB_EINVAL);
    cib_options o = CIB_OPTIONS_INIT;
    o.size = 0;
    cib_ctx *ctx = NULL;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_EINVAL);
    assert_null(ctx);

    cib_allocator a = nomem_allocator();
    a.realloc_fn = NULL;
    a.free_fn = NULL;
    cib_options o2 = CIB_OPTIONS_INIT;
    o2.allocator = &a; /* no realloc_fn, no free_fn */
    expect_new_fails(&o2, CIB_EINVAL, "'opts->allocator->realloc_fn' is NULL");

    cib_store s = CIB_STORE_INIT; /* no methods */
    cib_options o3 = CIB_OPTIONS_INIT;
    o3.store = &s;
    expect_new_fails(&o3, CIB_EINVAL, "'opts->store->begin' is NULL");
    cib_memstore_new(NULL, &s);
    s.version = 99;
    expect_new_fails(&o3, CIB_EINVAL, "'opts->store->version' is 99");
    s.version = CIB_STORE_VERSION;
    s.close(s.user_data);

    cib_options o4 = CIB_OPTIONS_INIT;
    o4.max_id_len = 5000;
    expect_new_fails(&o4, CIB_EINVAL, "limit");
    cib_options o5 = CIB_OPTIONS_INIT;
    o5.max_text_len = 16777217;
    expect_new_fails(&o5, CIB_EINVAL, "limit");

    cib_allocator none = nomem_allocator();
    cib_options o6 = CIB_OPTIONS_INIT;
    o6.allocator = &none;
    expect_new_fails(&o6, CIB_ENOMEM, "out of memory");
}

/* An options struct from a newer header: accepted when the tail is zero. */
static void test_options_from_newer_header(void **state)
{
    (void)state;
    struct {
        cib_options o;
        uint64_t future;
    } big;
    memset(&big, 0, sizeof big);
    cib_options o = CIB_OPTIONS_INIT;
    big.o = o;
    big.o.size = sizeof big;
    cib_ctx *ctx = NULL;
    assert_int_equal(cib_ctx_new(&big.o, &ctx), CIB_OK);
    cib_ctx_free(ctx);
    big.future = 1;
    ctx = NULL;
    assert_int_equal(cib_ctx_new(&big.o, &ctx), CIB_EINVAL);
    assert_null(ctx);
}

static void test_id_limit_option(void **state)
{
    (void)state;
    cib_options o = CIB_OPTIONS_INIT;
    o.max_id_len = 16;
    cib_ctx *ctx = NULL;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "0123456789abcdef";
    d.name = "Sixteen";
    assert_int_equal(cib_user_add(ctx, &d), CIB_OK);
    d.id = "0123456789abcdefg";
    assert_int_equal(cib_user_add(ctx, &d), CIB_EINVAL);
    assert_non_null(strstr(cib_errmsg(ctx), "'id' is longer than 16 bytes"));
    cib_ctx_free(ctx);
    /* Below the minimum of 16, the default inbox's own ids would not fit. */
    o.max_id_len = 15;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_EINVAL);
    assert_null(ctx);
    o.max_id_len = 0;
    o.max_name_len = 15;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_EINVAL);
}

/* Two contexts share nothing. */
static void test_contexts_are_independent(void **state)
{
    (void)state;
    tenv *a = tenv_new();
    tenv *b = tenv_new();
    add_user(a, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    cib_user_info u = CIB_USER_INFO_INIT;
    expect_status(b, cib_user_get(b->ctx, "alice", CIB_NTS, &u), CIB_ENOTFOUND, "alice");
    add_user(b, "alice", "alice@acme.test", CIB_SEAT_FREE, CIB_ROLE_ADMIN);
    assert_int_equal(cib_user_get(a->ctx, "alice", CIB_NTS, &u), CIB_OK);
    assert_int_equal(u.seat, CIB_SEAT_PAID);
    tenv_free(a);
    tenv_free(b);
}

static void build_account(tenv *e)
{
    add_user(e, "alice", "Alice@Acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", NULL, CIB_SEAT_FREE, CIB_ROLE_ADMIN);
    const char *members[] = {"bob", "alice"};
    add_team(e, "support", members, 2);
    const char *users[] = {"alice"}, *teams[] = {"support"};
    add_inbox_access(e, "sales", "Sales", users, 1, teams, 1);
    add_channel(e, "mail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    add_channel(e, "chat", "sales", CIB_CHANNEL_CHAT, NULL);
    cib_contact_def c = CIB_CONTACT_DEF_INIT;
    c.id = "carol";
    c.email = "carol@example.test";
    c.owner = "alice";
    expect_status(e, cib_contact_add(e->ctx, &c), CIB_OK, NULL);
    const char *stages[] = {"new", "waiting", "closed"};
    cib_pipeline_def p = CIB_PIPELINE_DEF_INIT;
    p.id = "support";
    p.stages = stages;
    p.n_stages = 3;
    expect_status(e, cib_pipeline_add(e->ctx, &p), CIB_OK, NULL);
    expect_status(e, cib_channel_set_status(e->ctx, "chat", CIB_NTS, CIB_CHANNEL_DISABLED), CIB_OK,
                  NULL);
}

/* R-HOST-1: the store holds the truth; a new context rebuilds it exactly. */
static void test_reopen_rebuilds_account_R_HOST_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    build_account(e);
    char *before = tenv_snapshot(e);
    e->now += 3600000;
    tenv_reopen(e);
    expect_unchanged(e, before);
    /* The reloaded account still enforces its rules. */
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "dave";
    d.name = "Dave";
    d.email = "ALICE@acme.test";
    expect_status(e, cib_user_add(e->ctx, &d), CIB_ECONFLICT, "alice");
    free(before);
    tenv_free(e);
}

static void raw_put(cib_store *s, int kind, const char *key, const cib_field *f, size_t n)
{
    cib_row r = {kind, key, strlen(key), f, n};
    assert_int_equal(s->begin(s->user_data), 0);
    assert_int_equal(s->put(s->user_data, &r), 0);
    assert_int_equal(s->commit(s->user_data), 0);
}

static void raw_del(cib_store *s, int kind, const char *key)
{
    assert_int_equal(s->begin(s->user_data), 0);
    assert_int_equal(s->del(s->user_data, kind, key, strlen(key)), 0);
    assert_int_equal(s->commit(s->user_data), 0);
}

static void expect_open_fails(cib_store *s, const char *needle)
{
    cib_options o = CIB_OPTIONS_INIT;
    o.store = s;
    char err[512] = "";
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    cib_ctx *ctx = NULL;
    int rc = cib_ctx_new(&o, &ctx);
    if (rc != CIB_ESTORAGE || ctx || !strstr(err, needle))
        fail_msg("want storage '%s', got %s '%s'", needle, cib_status_name(rc), err);
}

static cib_field text_field(const char *name, const char *v)
{
    cib_field f;
    memset(&f, 0, sizeof f);
    f.name = name;
    f.type = v ? CIB_FIELD_TEXT : CIB_FIELD_NULL;
    f.text = v;
    f.len = v ? strlen(v) : 0;
    return f;
}

static cib_field int_field(const char *name, int64_t v)
{
    cib_field f;
    memset(&f, 0, sizeof f);
    f.name = name;
    f.type = CIB_FIELD_INT;
    f.i = v;
    return f;
}

/* A store from a newer version, or with broken rows, is refused whole. */
static void test_open_refuses_bad_stores_R_HOST_1(void **state)
{
    (void)state;
    cib_store s;
    assert_int_equal(cib_memstore_new(NULL, &s), CIB_OK);

    /* Rows but no account row. */
    cib_field user[] = {text_field("name", "A"),
                        text_field("email", NULL),
                        text_field("seat", "paid"),
                        text_field("role", "member"),
                        int_field("created_at", 1),
                        text_field("status", "offline"),
                        int_field("reassign_replies", 0),
                        int_field("capacity", 0),
                        int_field("seq", 1)};
    raw_put(&s, CIB_KIND_USER, "alice", user, 9);
    expect_open_fails(&s, "no account row");

    /* A newer format. */
    cib_field acc[] = {int_field("format", 2), int_field("created_at", 1), int_field("next_id", 1),
                       int_field("secret", 42)};
    raw_put(&s, CIB_KIND_ACCOUNT, "account", acc, 4);
    expect_open_fails(&s, "format 2");

    /* Format 1, but no default inbox. */
    acc[0] = int_field("format", 1);
    raw_put(&s, CIB_KIND_ACCOUNT, "account", acc, 4);
    expect_open_fails(&s, "no default inbox");

    /* A user with an unknown seat. */
    user[2] = text_field("seat", "gold");
    raw_put(&s, CIB_KIND_USER, "alice", user, 9);
    expect_open_fails(&s, "bad user row 'alice'");
    user[2] = text_field("seat", "paid");
    /* A missing field. */
    raw_put(&s, CIB_KIND_USER, "alice", user, 4);
    expect_open_fails(&s, "field 'created_at' is missing");
    /* A field of the wrong type. */
    user[4] = text_field("created_at", "yesterday");
    raw_put(&s, CIB_KIND_USER, "alice", user, 9);
    expect_open_fails(&s, "field 'created_at' is not an integer");
    user[4] = int_field("created_at", 1);
    raw_put(&s, CIB_KIND_USER, "alice", user, 9);

    /* A contact whose owner does not exist. */
    cib_field contact[] = {text_field("email", NULL), text_field("owner", "ghost"),
                           int_field("created_at", 1)};
    raw_put(&s, CIB_KIND_CONTACT, "carol", contact, 3);
    expect_open_fails(&s, "bad contact row 'carol'");
    raw_del(&s, CIB_KIND_CONTACT, "carol");

    /* A channel in an inbox that does not exist. */
    cib_field chan[] = {text_field("inbox", "nowhere"),  text_field("type", "chat"),
                        text_field("address", NULL),     text_field("status", "enabled"),
                        text_field("sender_name", NULL), int_field("created_at", 1)};
    raw_put(&s, CIB_KIND_CHANNEL, "chat", chan, 6);
    expect_open_fails(&s, "bad channel row 'chat'");
    s.close(s.user_data);
}

/* Creating a context fails cleanly at every allocation. */
static void test_ctx_new_allocation_sweep_R_HOST_1(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        assert_true(n < 10000);
        failalloc fa = {0, n, 0, 0};
        cib_allocator a = failalloc_allocator(&fa);
        cib_options o = CIB_OPTIONS_INIT;
        o.allocator = &a;
        cib_ctx *ctx = NULL;
        int rc = cib_ctx_new(&o, &ctx);
        if (rc == CIB_OK) {
            assert_true(n > 3);
            assert_int_equal(fa.failed, 0);
            cib_ctx_free(ctx);
            assert_int_equal(fa.live, 0);
            break;
        }
        assert_int_equal(rc, CIB_ENOMEM);
        assert_null(ctx);
        assert_int_equal(fa.live, 0);
    }
}

static void expect_in_dump(cib_ctx *ctx, const char *line)
{
    char *dump = NULL;
    assert_int_equal(cib_dump(ctx, &dump, NULL), CIB_OK);
    if (!strstr(dump, line))
        fail_msg("dump lacks '%s':\n%s", line, dump);
    cib_free(ctx, dump);
}

/* R-CHAN-8, R-HOST-1: a stored Messenger window survives a reload and a
 * rewrite of its contact's row, also on a contact without learned addresses
 * (whose window then needs a block of its own), and loading it fails
 * cleanly at every allocation. */
static void test_contact_window_reload_R_CHAN_8(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    cib_field f[] = {text_field("email", "dora@example.test"),
                     text_field("owner", NULL),
                     int_field("created_at", 1),
                     {.name = "addresses", .type = CIB_FIELD_LIST},
                     int_field("window_at", 5),
                     int_field("window_extra", INT64_C(1) << 32)}; /* any non-zero: sent */
    raw_put(&e->mem, CIB_KIND_CONTACT, "dora", f, 6);
    tenv_reopen(e);
    expect_in_dump(e->ctx, "contact \"dora\" email=\"dora@example.test\" owner=- created_at=1 "
                           "window=5/1 addresses=[]");

    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = "dora";
    d.email = "dora2@example.test";
    assert_int_equal(cib_contact_update(e->ctx, &d), CIB_OK);
    tenv_reopen(e);
    expect_in_dump(e->ctx, "contact \"dora\" email=\"dora2@example.test\" owner=- created_at=1 "
                           "window=5/1 addresses=[]");

    cib_ctx_free(e->ctx);
    e->ctx = NULL;
    for (long n = 0;; n++) {
        assert_true(n < 10000);
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
    expect_in_dump(e->ctx, "window=5/1 addresses=[]");
    tenv_free(e);
}

/* Creating a context fails cleanly at every storage call, and leaves an
 * empty store empty, so that the next attempt starts over. */
static void test_ctx_new_storage_sweep_R_HOST_1(void **state)
{
    (void)state;
    for (long n = 0;; n++) {
        assert_true(n < 1000);
        cib_store mem;
        assert_int_equal(cib_memstore_new(NULL, &mem), CIB_OK);
        faultstore fs;
        cib_store s = faultstore_wrap(&fs, &mem);
        fs.fail_at = n;
        cib_options o = CIB_OPTIONS_INIT;
        o.store = &s;
        char err[256] = "";
        o.error_buffer = err;
        o.error_buffer_size = sizeof err;
        cib_ctx *ctx = NULL;
        int rc = cib_ctx_new(&o, &ctx);
        if (rc == CIB_OK) {
            assert_true(n > 3);
            cib_ctx_free(ctx);
            mem.close(mem.user_data);
            break;
        }
        assert_int_equal(rc, CIB_ESTORAGE);
        assert_non_null(strstr(err, "storage."));
        assert_non_null(strstr(err, "returned -100"));
        assert_null(ctx);
        /* The store is still empty: a retry creates the account. */
        fs.fail_at = -1;
        o.error_buffer = NULL;
        assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
        cib_inbox_info ib = CIB_INBOX_INFO_INIT;
        assert_int_equal(cib_inbox_get(ctx, "default", CIB_NTS, &ib), CIB_OK);
        cib_ctx_free(ctx);
        mem.close(mem.user_data);
    }
}

static int fail_user_add(cib_ctx *ctx, tenv *e)
{
    (void)e;
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "zed";
    d.name = "Zed";
    return cib_user_add(ctx, &d);
}

/* R-HOST-1: a failing storage call names itself; a callback may explain. */
static void test_storage_error_messages_R_HOST_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    e->fs.fail_at = e->fs.calls + 1; /* begin, then put */
    expect_status(e, fail_user_add(e->ctx, e), CIB_ESTORAGE, "storage.put returned -100");
    e->fs.cb_message = 1;
    e->fs.fail_at = e->fs.calls + 2; /* begin, put, then commit */
    expect_status(e, fail_user_add(e->ctx, e), CIB_ESTORAGE, "storage.commit: disk on fire");
    e->fs.cb_message = 0;
    expect_status(e, fail_user_add(e->ctx, e), CIB_OK, NULL);
    tenv_free(e);
}

/* A store whose put tries to change the context it is serving. */
struct meddler {
    cib_store inner;
    cib_ctx *ctx;
    int rc;
};

static int meddle_put(void *ud, const cib_row *row)
{
    struct meddler *m = ud;
    if (m->ctx) {
        cib_user_def d = CIB_USER_DEF_INIT;
        d.id = "sneaky";
        d.name = "Sneaky";
        m->rc = cib_user_add(m->ctx, &d);
    }
    return m->inner.put(m->inner.user_data, row);
}

static int meddle_begin(void *ud)
{
    struct meddler *m = ud;
    return m->inner.begin(m->inner.user_data);
}

static int meddle_commit(void *ud)
{
    struct meddler *m = ud;
    return m->inner.commit(m->inner.user_data);
}

static void meddle_rollback(void *ud)
{
    struct meddler *m = ud;
    m->inner.rollback(m->inner.user_data);
}

static int meddle_del(void *ud, int kind, const char *key, size_t len)
{
    struct meddler *m = ud;
    return m->inner.del(m->inner.user_data, kind, key, len);
}

static int meddle_scan(void *ud, int kind, cib_row_fn fn, void *data)
{
    struct meddler *m = ud;
    return m->inner.scan(m->inner.user_data, kind, fn, data);
}

static int meddle_get(void *ud, int kind, const char *key, size_t len, cib_row_fn fn, void *data)
{
    struct meddler *m = ud;
    return m->inner.get(m->inner.user_data, kind, key, len, fn, data);
}

/* A storage method cannot change the context in the middle of a write. */
static void test_store_callback_cannot_change_the_context_R_HOST_1(void **state)
{
    (void)state;
    struct meddler m;
    memset(&m, 0, sizeof m);
    assert_int_equal(cib_memstore_new(NULL, &m.inner), CIB_OK);
    cib_store s = CIB_STORE_INIT;
    s.user_data = &m;
    s.begin = meddle_begin;
    s.commit = meddle_commit;
    s.rollback = meddle_rollback;
    s.put = meddle_put;
    s.del = meddle_del;
    s.scan = meddle_scan;
    s.get = meddle_get;
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &s;
    cib_ctx *ctx = NULL;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    m.ctx = ctx;
    m.rc = 1;
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "alice";
    d.name = "Alice";
    assert_int_equal(cib_user_add(ctx, &d), CIB_OK);
    assert_int_equal(m.rc, CIB_EINVAL);
    cib_user_info u = CIB_USER_INFO_INIT;
    assert_int_equal(cib_user_get(ctx, "alice", CIB_NTS, &u), CIB_OK);
    assert_int_equal(cib_user_get(ctx, "sneaky", CIB_NTS, &u), CIB_ENOTFOUND);
    cib_ctx_free(ctx);
    m.inner.close(m.inner.user_data);
}

static void test_dump_R_HOST_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    build_account(e);
    char *dump = NULL;
    size_t len = 0;
    expect_status(e, cib_dump(e->ctx, NULL, NULL), CIB_EINVAL, "'out' is NULL");
    expect_status(e, cib_dump(e->ctx, &dump, &len), CIB_OK, NULL);
    assert_int_equal(len, strlen(dump));
    assert_true(strncmp(dump, "account created_at=", 19) == 0);
    const char *want[] = {
        "user \"alice\" name=\"alice\" email=\"alice@acme.test\" seat=paid role=member",
        "user \"bob\" name=\"bob\" email=- seat=free role=admin",
        "team \"support\" members=[\"bob\",\"alice\"]",
        "contact \"carol\" email=\"carol@example.test\" owner=\"alice\"",
        "pipeline \"support\" stages=[\"new\",\"waiting\",\"closed\"]",
        "inbox \"sales\" name=\"Sales\" default=0 access=specific users=[\"alice\"] "
        "teams=[\"support\"] channels=[\"chat\",\"mail\"]",
        "channel \"chat\" inbox=\"sales\" type=chat status=disabled address=-",
        "channel \"mail\" inbox=\"sales\" type=email status=enabled address=\"sales@acme.test\"",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(dump, want[i]))
            fail_msg("dump lacks '%s':\n%s", want[i], dump);
    /* Sorted: channel lines before contact, inbox, pipeline, team, user. */
    assert_true(strstr(dump, "channel \"chat\"") < strstr(dump, "channel \"mail\""));
    assert_true(strstr(dump, "contact ") < strstr(dump, "inbox "));
    assert_true(strstr(dump, "team ") < strstr(dump, "user "));
    cib_free(e->ctx, dump);
    tenv_free(e);
}

/* ---- versions of the host vtables (libgit2's rule: 1 <= version <= current) ---- */

/* A small account on ctx: a channel of the default inbox, three
 * conversations, two of them closed; the closed ones through a view. */
static void use_account(cib_ctx *ctx)
{
    cib_user_def u = CIB_USER_DEF_INIT;
    u.id = "alice";
    u.name = "Alice";
    u.role = CIB_ROLE_ADMIN;
    assert_int_equal(cib_user_add(ctx, &u), CIB_OK);
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "chat";
    d.inbox = "default";
    d.type = CIB_CHANNEL_CHAT;
    assert_int_equal(cib_channel_add(ctx, &d), CIB_OK);
    uint64_t ids[3];
    for (int i = 0; i < 3; i++) {
        char id[8], from[32];
        snprintf(id, sizeof id, "m%d", i);
        snprintf(from, sizeof from, "c%d@example.test", i);
        cib_inbound m = CIB_INBOUND_INIT;
        m.channel = "chat";
        m.msg_id = id;
        m.from = from;
        m.text = "Hi";
        cib_ingest_result r = CIB_INGEST_RESULT_INIT;
        assert_int_equal(cib_ingest(ctx, &m, &r), CIB_OK);
        ids[i] = r.conversation;
    }
    assert_int_equal(cib_close(ctx, "alice", CIB_NTS, ids[0]), CIB_OK);
    assert_int_equal(cib_close(ctx, "alice", CIB_NTS, ids[2]), CIB_OK);
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.inbox = "default";
    q.status = CIB_STATUS_CLOSED;
    uint64_t page[1], next = 0;
    size_t n = 0;
    assert_int_equal(cib_view(ctx, &q, page, 1, &n, &next), CIB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(page[0], ids[0]);
    assert_int_equal(next, ids[0]);
    q.after = next;
    assert_int_equal(cib_view(ctx, &q, page, 1, &n, &next), CIB_OK);
    assert_int_equal(n, 1);
    assert_int_equal(page[0], ids[2]);
    assert_int_equal(next, 0);
}

/* A host built against the version-1 header passes a struct that ends after
 * errmsg: the library reads no further, takes find_page as NULL, and works
 * (also on a store it shares with a version-2 context). */
static void test_store_version_1_from_an_older_header_R_HOST_1(void **state)
{
    (void)state;
    cib_store mem;
    assert_int_equal(cib_memstore_new(NULL, &mem), CIB_OK);
    size_t v1_size = offsetof(cib_store, find_page);
    /* Exactly the old size (a sanitizer sees any read beyond it) ... */
    cib_store *exact = malloc(v1_size);
    assert_non_null(exact);
    const int one = 1;
    memcpy(exact, &mem, v1_size);
    memcpy(exact, &one, sizeof one); /* version, the first member */
    /* ... and in a larger block whose tail is garbage, which must not be
     * called. */
    unsigned char block[sizeof(cib_store) + 16];
    memset(block, 0xa5, sizeof block);
    memcpy(block, exact, v1_size);
    const cib_store *hosts[] = {exact, (const cib_store *)(void *)block};
    for (int h = 0; h < 2; h++) {
        cib_store fresh;
        assert_int_equal(cib_memstore_new(NULL, &fresh), CIB_OK);
        memcpy((void *)(uintptr_t)hosts[h], &fresh, v1_size);
        memcpy((void *)(uintptr_t)hosts[h], &one, sizeof one);
        cib_options o = CIB_OPTIONS_INIT;
        o.store = hosts[h];
        char err[256] = "";
        o.error_buffer = err;
        o.error_buffer_size = sizeof err;
        cib_ctx *ctx = NULL;
        if (cib_ctx_new(&o, &ctx) != CIB_OK)
            fail_msg("version 1 refused: %s", err);
        use_account(ctx);
        cib_ctx_free(ctx);
        /* The account reloads through the version-1 vtable. */
        assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
        cib_user_info ui = CIB_USER_INFO_INIT;
        assert_int_equal(cib_user_get(ctx, "alice", CIB_NTS, &ui), CIB_OK);
        cib_ctx_free(ctx);
        fresh.close(fresh.user_data);
    }
    free(exact);
    mem.close(mem.user_data);
}

/* Version 0, negative, and newer than this library: refused, naming the
 * argument and the versions accepted. */
static void test_vtable_versions_out_of_range_refused(void **state)
{
    (void)state;
    cib_store s;
    assert_int_equal(cib_memstore_new(NULL, &s), CIB_OK);
    const int bad[] = {0, -1, CIB_STORE_VERSION + 1, 2147483647};
    char want[128];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cib_store v = s;
        v.version = bad[i];
        cib_options o = CIB_OPTIONS_INIT;
        o.store = &v;
        snprintf(want, sizeof want,
                 "'opts->store->version' is %d: this library accepts versions 1 to %d", bad[i],
                 CIB_STORE_VERSION);
        expect_new_fails(&o, CIB_EINVAL, want);
    }
    /* Every version from 1 to the current one is accepted. */
    for (int v = 1; v <= CIB_STORE_VERSION; v++) {
        cib_store ok = s;
        ok.version = v;
        cib_options o = CIB_OPTIONS_INIT;
        o.store = &ok;
        cib_ctx *ctx = NULL;
        assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
        cib_ctx_free(ctx);
    }
    s.close(s.user_data);

    const int bad_one[] = {0, -1, 2, 2147483647}; /* allocator and sender: version 1 */
    for (size_t i = 0; i < sizeof bad_one / sizeof bad_one[0]; i++) {
        cib_allocator a = nomem_allocator();
        a.version = bad_one[i];
        cib_options o = CIB_OPTIONS_INIT;
        o.allocator = &a;
        snprintf(want, sizeof want,
                 "'opts->allocator->version' is %d: this library accepts versions 1 to %d",
                 bad_one[i], CIB_ALLOCATOR_VERSION);
        expect_new_fails(&o, CIB_EINVAL, want);
        cib_sender snd = CIB_SENDER_INIT;
        snd.version = bad_one[i];
        cib_options o2 = CIB_OPTIONS_INIT;
        o2.sender = &snd;
        snprintf(want, sizeof want,
                 "'opts->sender->version' is %d: this library accepts versions 1 to %d", bad_one[i],
                 CIB_SENDER_VERSION);
        expect_new_fails(&o2, CIB_EINVAL, want);
    }
    /* Version-1 allocator and sender passed in blocks of exactly their size. */
    cib_allocator std = CIB_ALLOCATOR_INIT;
    failalloc fa = {0, -1, 0, 0};
    std = failalloc_allocator(&fa);
    cib_allocator *a1 = malloc(sizeof *a1);
    cib_sender *s1 = malloc(sizeof *s1);
    assert_non_null(a1);
    assert_non_null(s1);
    *a1 = std;
    *s1 = (cib_sender)CIB_SENDER_INIT;
    cib_options o = CIB_OPTIONS_INIT;
    o.allocator = a1;
    o.sender = s1;
    cib_ctx *ctx = NULL;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    free(a1);
    free(s1);
    assert_true(fa.live > 0);
    cib_ctx_free(ctx);
    assert_int_equal(fa.live, 0);
}

/* A store missing a required slot is refused at cib_ctx_new, naming it;
 * the optional ones (close, find, errmsg, find_page) may be NULL. */
static void test_store_missing_slot_refused(void **state)
{
    (void)state;
    cib_store s;
    assert_int_equal(cib_memstore_new(NULL, &s), CIB_OK);
    const char *names[] = {"begin", "commit", "rollback", "put", "del", "get", "scan"};
    char want[96];
    for (int i = 0; i < 7; i++) {
        for (int v = 1; v <= CIB_STORE_VERSION; v++) {
            cib_store x = s;
            x.version = v;
            switch (i) {
            case 0:
                x.begin = NULL;
                break;
            case 1:
                x.commit = NULL;
                break;
            case 2:
                x.rollback = NULL;
                break;
            case 3:
                x.put = NULL;
                break;
            case 4:
                x.del = NULL;
                break;
            case 5:
                x.get = NULL;
                break;
            default:
                x.scan = NULL;
                break;
            }
            cib_options o = CIB_OPTIONS_INIT;
            o.store = &x;
            snprintf(want, sizeof want, "'opts->store->%s' is NULL", names[i]);
            expect_new_fails(&o, CIB_EINVAL, want);
        }
    }
    cib_store opt = s;
    opt.close = NULL;
    opt.find = NULL;
    opt.errmsg = NULL;
    opt.find_page = NULL;
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &opt;
    cib_ctx *ctx = NULL;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    use_account(ctx);
    cib_ctx_free(ctx);
    s.close(s.user_data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_account_has_default_inbox_R_INBOX_1),
        cmocka_unit_test(test_default_inbox_name_option_R_INBOX_1),
        cmocka_unit_test(test_clock_is_injected_R_AVAIL_3),
        cmocka_unit_test(test_default_clock_is_system_R_AVAIL_3),
        cmocka_unit_test(test_bad_options),
        cmocka_unit_test(test_store_version_1_from_an_older_header_R_HOST_1),
        cmocka_unit_test(test_vtable_versions_out_of_range_refused),
        cmocka_unit_test(test_store_missing_slot_refused),
        cmocka_unit_test(test_options_from_newer_header),
        cmocka_unit_test(test_id_limit_option),
        cmocka_unit_test(test_contexts_are_independent),
        cmocka_unit_test(test_reopen_rebuilds_account_R_HOST_1),
        cmocka_unit_test(test_open_refuses_bad_stores_R_HOST_1),
        cmocka_unit_test(test_ctx_new_allocation_sweep_R_HOST_1),
        cmocka_unit_test(test_ctx_new_storage_sweep_R_HOST_1),
        cmocka_unit_test(test_storage_error_messages_R_HOST_1),
        cmocka_unit_test(test_store_callback_cannot_change_the_context_R_HOST_1),
        cmocka_unit_test(test_dump_R_HOST_1),
        cmocka_unit_test(test_contact_window_reload_R_CHAN_8),
    };
    return TENV_RUN(tests);
}
