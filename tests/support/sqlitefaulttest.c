/* sqlitefaulttest.c - what the SQLite fault tests share (see
 * sqlitefaulttest.h). */
#include "sqlitefaulttest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storetest.h"
#include "tickettest.h"

/* ---- stores on files whose names we keep ---- */

char db_path[512];

/* sqlitetest_open(), remembering the file. */
static int open_recorded(const cib_allocator *alloc, cib_store *out)
{
    (void)alloc;
    snprintf(db_path, sizeof db_path, "%s", sqlitetest_path());
    char err[512];
    cib_sqlite_options o = sqlitetest_options;
    o.flags |= CIB_SQLITE_CREATE;
    int rc = cib_sqlite_open(db_path, &o, out, err, sizeof err);
    if (rc)
        fail_msg("cib_sqlite_open: %s", err);
    return rc;
}

void use_fault_vfs(int synchronous, int busy_timeout_ms)
{
    faultvfs_register();
    faultvfs_reset();
    cib_sqlite_options o = CIB_SQLITE_OPTIONS_INIT;
    o.vfs = "faultvfs";
    o.synchronous = synchronous;
    o.busy_timeout_ms = busy_timeout_ms;
    sqlitetest_options = o;
    tenv_set_store(open_recorded);
}

void use_defaults(void)
{
    cib_sqlite_options o = CIB_SQLITE_OPTIONS_INIT;
    sqlitetest_options = o;
    tenv_set_store(NULL);
}

void remove_db(void)
{
    char f[600];
    unlink(db_path);
    snprintf(f, sizeof f, "%s-wal", db_path);
    unlink(f);
    snprintf(f, sizeof f, "%s-shm", db_path);
    unlink(f);
}

sqlite3 *raw_open(void)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        fail_msg("opening %s: %s", db_path, db ? sqlite3_errmsg(db) : "out of memory");
    return db;
}

void raw_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        char why[256];
        snprintf(why, sizeof why, "%s", err ? err : "?");
        sqlite3_free(err);
        fail_msg("%s: %s", sql, why);
    }
}

void make_cache_cold(void)
{
    sqlite3 *db = raw_open();
    raw_exec(db, "BEGIN; UPDATE account SET next_id = next_id + 1; "
                 "UPDATE account SET next_id = next_id - 1; COMMIT");
    sqlite3_close(db);
}

static int64_t fixed_clock(void *ud)
{
    (void)ud;
    return TENV_EPOCH_MS;
}

cib_options reopen_db(cib_store *st, char *err, size_t size, const char *what)
{
    if (cib_sqlite_open(db_path, &sqlitetest_options, st, err, size))
        fail_msg("%s %s: %s", what, db_path, err);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = st;
    o.clock = fixed_clock;
    o.error_buffer = err;
    o.error_buffer_size = size;
    return o;
}

void expect_file_holds(tenv *e, const char *want)
{
    tenv_free(e);
    cib_store st;
    char err[512];
    cib_options o = reopen_db(&st, err, sizeof err, "reopening");
    cib_ctx *ctx = NULL;
    if (cib_ctx_new(&o, &ctx))
        fail_msg("a new context on %s: %s", db_path, err);
    char *dump = NULL;
    assert_int_equal(cib_dump(ctx, &dump, NULL), CIB_OK);
    char *rows = store_dump(&st);
    size_t n = strlen(dump) + strlen(rows) + 64;
    char *got = malloc(n);
    assert_non_null(got);
    snprintf(got, n, "== account ==\n%s== store ==\n%s", dump, rows);
    cib_free(ctx, dump);
    free(rows);
    cib_ctx_free(ctx);
    st.close(st.user_data);
    if (strcmp(want, got) != 0) {
        fail_msg("the file differs from the context that wrote it:\n--- context\n%s--- file\n%s",
                 want, got);
    }
    free(got);
    remove_db();
}

/* ---- the account the operations run on ---- */

static const char *const STAGES[] = {"lead", "qualified", "won"};

uint64_t conv_alice;   /* open, alice's (her capacity is 1) */
uint64_t conv_bob;     /* open, bob's */
uint64_t conv_closed;  /* closed */
uint64_t conv_waiting; /* a chat waiting for team t or alice */

static int send_ok(void *ud, const cib_outbound *m)
{
    (void)ud;
    (void)m;
    return 0;
}

static cib_sender sender;

void world_setup(tenv *e)
{
    cib_sender s = CIB_SENDER_INIT;
    s.email = s.chat = s.messenger = s.custom = s.form = send_ok;
    sender = s;
    e->opts.sender = &sender;
    tenv_reopen(e);
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", "bob@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "carol", "carol@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    const char *members[] = {"carol"};
    add_team(e, "t", members, 1);
    add_pipeline(e, "sales", STAGES, 3);
    add_inbox(e, "support", "Support");
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 1, "user:alice user:bob");
    cib_ticket_def t = rule("sales", "lead");
    set_tickets(e, "mail", &t);
    add_channel(e, "chat", "support", CIB_CHANNEL_CHAT, NULL);
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, "team:t user:alice");
    set_status(e, "alice", CIB_AVAILABLE);
    set_capacity(e, "alice", 1);
    set_status(e, "bob", CIB_AVAILABLE);
    cib_ingest_result r = ingest_msg(e, "mail", "m1", "one@example.test", "t1");
    assert_string_equal(r.assignee, "alice");
    conv_alice = r.conversation;
    r = ingest_msg(e, "chat", "c1", "visitor-1", NULL);
    assert_int_equal(r.queued, 1);
    conv_waiting = r.conversation;
    r = ingest_msg(e, "mail", "m2", "two@example.test", "t2");
    assert_string_equal(r.assignee, "bob");
    conv_bob = r.conversation;
    r = ingest_msg(e, "mail", "m3", "three@example.test", NULL);
    conv_closed = r.conversation;
    expect_status(e, cib_close(e->ctx, "bob", CIB_NTS, conv_closed), CIB_OK, NULL);
    add_inbox(e, "sales", "Sales");
    add_channel(e, "salesmail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    set_routing(e, "salesmail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "user:bob");
    ingest_msg(e, "salesmail", "s1", "buyer@example.test", NULL);
    r = ingest_msg(e, "salesmail", "s2", "seller@example.test", NULL);
    expect_status(e, cib_close(e->ctx, "bob", CIB_NTS, r.conversation), CIB_OK, NULL);
}

static int ingest(cib_ctx *ctx, cib_inbound m)
{
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    return cib_ingest(ctx, &m, &r);
}

/* A new conversation from a new contact: routed round robin (to bob: alice
 * is full), with a ticket. */
int op_new(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_inbound m = inbound_msg("mail", "n1", "new@example.test", "nt");
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    int rc = cib_ingest(ctx, &m, &r);
    if (rc == CIB_OK) {
        assert_int_equal(r.created, 1);
        assert_string_equal(r.assignee, "bob");
        assert_true(r.ticket != 0);
    }
    return rc;
}

/* A follow-up joining alice's conversation. */
int op_follow_up(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return ingest(ctx, inbound_msg("mail", "n2", "one@example.test", "t1"));
}

int op_reply(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_reply(ctx, "bob", CIB_NTS, conv_bob, "On it", CIB_NTS, NULL, 0, NULL);
}

/* After a call that succeeded: the waiting chat went to `user`. */
static int handed_to(cib_ctx *ctx, int rc, const char *user)
{
    if (rc == CIB_OK) {
        cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
        assert_int_equal(cib_conversation_get(ctx, NULL, 0, conv_waiting, &ci), CIB_OK);
        assert_int_equal(ci.queued, 0);
        assert_non_null(ci.assignee);
        assert_string_equal(ci.assignee, user);
    }
    return rc;
}

/* alice closes hers: her room takes the waiting chat. */
int op_close(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return handed_to(ctx, cib_close(ctx, "alice", CIB_NTS, conv_alice), "alice");
}

/* carol becomes available: the waiting chat goes to her. */
int op_status(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return handed_to(ctx, cib_user_set_status(ctx, "carol", CIB_NTS, CIB_AVAILABLE), "carol");
}

/* alice gets room for two: the waiting chat goes to her. */
int op_user_update(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "alice";
    d.name = "Alice Adams";
    d.email = "alice@acme.test";
    d.seat = CIB_SEAT_PAID;
    d.role = CIB_ROLE_MEMBER;
    d.capacity = 2;
    return handed_to(ctx, cib_user_update(ctx, &d), "alice");
}

/* bob joins team t: the waiting chat goes to him. */
int op_team_update(cib_ctx *ctx, void *arg)
{
    (void)arg;
    const char *members[] = {"carol", "bob"};
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "t";
    t.members = members;
    t.n_members = 2;
    return handed_to(ctx, cib_team_update(ctx, &t), "bob");
}

/* A chat channel with a routing rule, a ticket rule and business hours. */
int op_channel_add(cib_ctx *ctx, void *arg)
{
    (void)arg;
    const int kinds[] = {CIB_TARGET_USER, CIB_TARGET_TEAM};
    const char *ids[] = {"bob", "t"};
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = CIB_ROUTE_SPECIFIC;
    r.strategy = CIB_LEAST_LOADED;
    r.queue = 1;
    r.target_kinds = kinds;
    r.target_ids = ids;
    r.n_targets = 2;
    cib_ticket_def t = rule_props("sales", "qualified");
    cib_availability_def h = sqlitetest_office_hours();
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "web";
    d.inbox = "support";
    d.type = CIB_CHANNEL_CHAT;
    d.routing = &r;
    d.tickets = &t;
    d.availability = &h;
    return cib_channel_add(ctx, &d);
}

/* An inbox with an open and a closed conversation. */
int op_inbox_delete(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_inbox_remove(ctx, "sales", CIB_NTS, "Sales", CIB_NTS);
}

/* alice: an assignee, named by two routing rules. */
int op_user_remove(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_user_remove(ctx, "alice", CIB_NTS);
}

/* New, joining, chat, refused and duplicate messages in one batch. */
int op_batch(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_inbound m[6] = {
        inbound_msg("mail", "b1", "five@example.test", "t5"),
        inbound_msg("mail", "b2", "five@example.test", "t5"),
        inbound_msg("mail", "b3", "one@example.test", "t1"),
        inbound_msg("chat", "b4", "visitor-2", NULL),
        inbound_msg("nope", "b5", "five@example.test", NULL),
        inbound_msg("mail", "m1", "one@example.test", "t1"),
    };
    cib_ingest_result r[6];
    int st[6];
    for (int i = 0; i < 6; i++) {
        cib_ingest_result init = CIB_INGEST_RESULT_INIT;
        r[i] = init;
    }
    int rc = cib_ingest_batch(ctx, m, 6, r, st);
    if (rc == CIB_OK) {
        assert_int_equal(st[4], CIB_ENOTFOUND);
        assert_int_equal(r[5].duplicate, 1);
    }
    return rc;
}
