/* test_sqlite_faults.c - the storage-failure sweep of the foundation against
 * the SQLite adapter, and failures of SQLite itself: SQLITE_FULL and I/O
 * errors injected through a VFS shim, SQLITE_BUSY from another connection
 * holding the write lock (R-HOST-1). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/sqlitetest.h"
#include "support/storetest.h"
#include "support/tickettest.h"

/* ---- a VFS shim that fails one chosen call ---- */

/* Which calls count towards the one that fails. */
enum fault_on { ON_NONE, ON_WRITE, ON_SYNC, ON_READ };

static struct {
    int on;           /* enum fault_on */
    long at;          /* the counted call (1, 2, ...) that fails */
    long calls;       /* calls counted since armed */
    int rc;           /* what the failing call returns */
    int sticky;       /* 1: every counted call from `at` on fails */
    long fired;       /* failures injected since armed */
    sqlite3 *release; /* xSleep: first end this connection's transaction */
    int release_rc;   /* what ending it returned */
    long sleeps;      /* xSleep calls (a busy handler waiting) */
} fault;

static sqlite3_vfs *real_vfs;

static void fault_arm(int on, long at, int rc)
{
    fault.on = on;
    fault.at = at;
    fault.calls = 0;
    fault.rc = rc;
    fault.sticky = 0;
    fault.fired = 0;
}

/* Every counted call from the at-th on fails, until disarmed. */
static void fault_arm_sticky(int on, long at, int rc)
{
    fault_arm(on, at, rc);
    fault.sticky = 1;
}

/* Disarm; how many failures were injected. */
static long fault_disarm(void)
{
    fault.on = ON_NONE;
    return fault.fired;
}

static int fault_hit(int on)
{
    if (fault.on != on)
        return 0;
    ++fault.calls;
    if (fault.calls != fault.at && !(fault.sticky && fault.calls > fault.at))
        return 0;
    fault.fired++;
    return 1;
}

/* A file of the shim: the real file follows it in the same block. */
typedef struct fault_file {
    sqlite3_file base;
    sqlite3_file *real;
} fault_file;

static sqlite3_file *real_of(sqlite3_file *f)
{
    return ((fault_file *)(void *)f)->real;
}

static int ff_close(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xClose(r);
}

static int ff_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    sqlite3_file *r = real_of(f);
    return fault_hit(ON_READ) ? fault.rc : r->pMethods->xRead(r, buf, n, off);
}

static int ff_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    sqlite3_file *r = real_of(f);
    return fault_hit(ON_WRITE) ? fault.rc : r->pMethods->xWrite(r, buf, n, off);
}

static int ff_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xTruncate(r, size);
}

static int ff_sync(sqlite3_file *f, int flags)
{
    sqlite3_file *r = real_of(f);
    return fault_hit(ON_SYNC) ? fault.rc : r->pMethods->xSync(r, flags);
}

static int ff_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xFileSize(r, size);
}

static int ff_lock(sqlite3_file *f, int level)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xLock(r, level);
}

static int ff_unlock(sqlite3_file *f, int level)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xUnlock(r, level);
}

static int ff_check_reserved(sqlite3_file *f, int *out)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xCheckReservedLock(r, out);
}

static int ff_file_control(sqlite3_file *f, int op, void *arg)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xFileControl(r, op, arg);
}

static int ff_sector_size(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xSectorSize(r);
}

static int ff_device_characteristics(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xDeviceCharacteristics(r);
}

static int ff_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmMap(r, page, size, extend, out);
}

static int ff_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmLock(r, offset, n, flags);
}

static void ff_shm_barrier(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    r->pMethods->xShmBarrier(r);
}

static int ff_shm_unmap(sqlite3_file *f, int delete_flag)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmUnmap(r, delete_flag);
}

/* Version 2: shared memory for WAL, but no xFetch, so that every page is
 * read with xRead. */
static const sqlite3_io_methods fault_methods = {
    .iVersion = 2,
    .xClose = ff_close,
    .xRead = ff_read,
    .xWrite = ff_write,
    .xTruncate = ff_truncate,
    .xSync = ff_sync,
    .xFileSize = ff_file_size,
    .xLock = ff_lock,
    .xUnlock = ff_unlock,
    .xCheckReservedLock = ff_check_reserved,
    .xFileControl = ff_file_control,
    .xSectorSize = ff_sector_size,
    .xDeviceCharacteristics = ff_device_characteristics,
    .xShmMap = ff_shm_map,
    .xShmLock = ff_shm_lock,
    .xShmBarrier = ff_shm_barrier,
    .xShmUnmap = ff_shm_unmap,
};

static int fv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                   int *out_flags)
{
    (void)vfs;
    fault_file *p = (fault_file *)(void *)file;
    p->real = (sqlite3_file *)(void *)(p + 1);
    p->real->pMethods = NULL;
    int rc = real_vfs->xOpen(real_vfs, name, p->real, flags, out_flags);
    /* A real file with methods is closed through ours, even after a failure. */
    p->base.pMethods = p->real->pMethods ? &fault_methods : NULL;
    return rc;
}

static int fv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int fv_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int fv_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *fv_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xDlOpen(real_vfs, name);
}

static void fv_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    real_vfs->xDlError(real_vfs, n, out);
}

static void (*fv_dl_sym(sqlite3_vfs *vfs, void *handle, const char *sym))(void)
{
    (void)vfs;
    return real_vfs->xDlSym(real_vfs, handle, sym);
}

static void fv_dl_close(sqlite3_vfs *vfs, void *handle)
{
    (void)vfs;
    real_vfs->xDlClose(real_vfs, handle);
}

static int fv_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, n, out);
}

/* A busy handler waits here: the other connection may let go first. */
static int fv_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    fault.sleeps++;
    if (fault.release) {
        sqlite3 *db = fault.release;
        fault.release = NULL;
        fault.release_rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    return real_vfs->xSleep(real_vfs, us);
}

static int fv_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int fv_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError(real_vfs, n, out);
}

static int fv_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static sqlite3_vfs fault_vfs;

/* Register "faultvfs" (not as the default) on top of the default VFS. */
static void fault_register(void)
{
    if (real_vfs)
        return;
    real_vfs = sqlite3_vfs_find(NULL);
    assert_non_null(real_vfs);
    assert_true(real_vfs->iVersion >= 2);
    sqlite3_vfs v;
    memset(&v, 0, sizeof v);
    v.iVersion = 2;
    v.szOsFile = (int)sizeof(fault_file) + real_vfs->szOsFile;
    v.mxPathname = real_vfs->mxPathname;
    v.zName = "faultvfs";
    v.xOpen = fv_open;
    v.xDelete = fv_delete;
    v.xAccess = fv_access;
    v.xFullPathname = fv_full_pathname;
    v.xDlOpen = fv_dl_open;
    v.xDlError = fv_dl_error;
    v.xDlSym = fv_dl_sym;
    v.xDlClose = fv_dl_close;
    v.xRandomness = fv_randomness;
    v.xSleep = fv_sleep;
    v.xCurrentTime = fv_current_time;
    v.xGetLastError = fv_get_last_error;
    v.xCurrentTimeInt64 = fv_current_time_int64;
    fault_vfs = v;
    assert_int_equal(sqlite3_vfs_register(&fault_vfs, 0), SQLITE_OK);
    assert_ptr_equal(sqlite3_vfs_find(NULL), real_vfs);
}

/* ---- stores on files whose names we keep ---- */

static char db_path[512];

/* sqlitetest_open(), remembering the file. */
static int open_recorded(const cib_allocator *alloc, cib_store *out)
{
    (void)alloc;
    snprintf(db_path, sizeof db_path, "%s", sqlitetest_path());
    char err[512];
    int rc = cib_sqlite_open(db_path, &sqlitetest_options, out, err, sizeof err);
    if (rc)
        fail_msg("cib_sqlite_open: %s", err);
    return rc;
}

/* Every later tenv_new() on a file of its own through the shim. */
static void use_fault_vfs(int synchronous, int busy_timeout_ms)
{
    fault_register();
    memset(&fault, 0, sizeof fault);
    cib_sqlite_options o = CIB_SQLITE_OPTIONS_INIT;
    o.vfs = "faultvfs";
    o.synchronous = synchronous;
    o.busy_timeout_ms = busy_timeout_ms;
    sqlitetest_options = o;
    tenv_set_store(open_recorded);
}

static void use_defaults(void)
{
    cib_sqlite_options o = CIB_SQLITE_OPTIONS_INIT;
    sqlitetest_options = o;
    tenv_set_store(NULL);
}

/* Remove the last database file and what SQLite keeps beside it. */
static void remove_db(void)
{
    char f[600];
    unlink(db_path);
    snprintf(f, sizeof f, "%s-wal", db_path);
    unlink(f);
    snprintf(f, sizeof f, "%s-shm", db_path);
    unlink(f);
}

static sqlite3 *raw_open(void)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        fail_msg("opening %s: %s", db_path, db ? sqlite3_errmsg(db) : "out of memory");
    return db;
}

static void raw_exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        char why[256];
        snprintf(why, sizeof why, "%s", err ? err : "?");
        sqlite3_free(err);
        fail_msg("%s: %s", sql, why);
    }
}

/* Another connection commits a transaction that changes a row and changes
 * it back (writing the same value would write nothing): the store's
 * connection must drop its page cache and read every page it needs again. */
static void make_cache_cold(void)
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

/*
 * Close everything of e; open the file again with a new connection and a new
 * context; it must hold exactly `want` (a tenv_snapshot of e). Frees e.
 */
static void expect_file_holds(tenv *e, const char *want)
{
    tenv_free(e);
    cib_store st;
    char err[512];
    if (cib_sqlite_open(db_path, &sqlitetest_options, &st, err, sizeof err))
        fail_msg("reopening %s: %s", db_path, err);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    o.clock = fixed_clock;
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
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

static uint64_t conv_alice;   /* open, alice's (her capacity is 1) */
static uint64_t conv_bob;     /* open, bob's */
static uint64_t conv_closed;  /* closed */
static uint64_t conv_waiting; /* a chat waiting for team t or alice */

static int send_ok(void *ud, const cib_outbound *m)
{
    (void)ud;
    (void)m;
    return 0;
}

static cib_sender sender;

/*
 * alice (available, capacity 1), bob (available) and carol (offline); team t
 * = {carol}; pipeline sales. Inbox "support": "mail" routes round robin to
 * alice and bob with a queue and opens a ticket in sales/lead for each new
 * conversation; "chat" routes to team t, then alice, with a queue. Inbox
 * "sales" with an open and a closed conversation.
 */
static void world_setup(tenv *e)
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

static cib_inbound msg(const char *channel, const char *msg_id, const char *from,
                       const char *thread)
{
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = channel;
    m.msg_id = msg_id;
    m.from = from;
    m.thread = thread;
    m.text = "Hello";
    return m;
}

static int ingest(cib_ctx *ctx, cib_inbound m)
{
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    return cib_ingest(ctx, &m, &r);
}

/* A new conversation from a new contact: routed round robin (to bob: alice
 * is full), with a ticket. */
static int op_new(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_inbound m = msg("mail", "n1", "new@example.test", "nt");
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
static int op_follow_up(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return ingest(ctx, msg("mail", "n2", "one@example.test", "t1"));
}

static int op_reply(cib_ctx *ctx, void *arg)
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
static int op_close(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return handed_to(ctx, cib_close(ctx, "alice", CIB_NTS, conv_alice), "alice");
}

/* carol becomes available: the waiting chat goes to her. */
static int op_status(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return handed_to(ctx, cib_user_set_status(ctx, "carol", CIB_NTS, CIB_AVAILABLE), "carol");
}

/* alice gets room for two: the waiting chat goes to her. */
static int op_user_update(cib_ctx *ctx, void *arg)
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
static int op_team_update(cib_ctx *ctx, void *arg)
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
static int op_channel_add(cib_ctx *ctx, void *arg)
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
    unsigned days[] = {CIB_WEEKDAYS}, from[] = {540}, to[] = {1020};
    cib_availability_def h = CIB_AVAILABILITY_DEF_INIT;
    h.mode = CIB_CHAT_BUSINESS_HOURS;
    h.tz = "Europe/Berlin";
    h.range_days = days;
    h.range_from = from;
    h.range_to = to;
    h.n_ranges = 1;
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
static int op_inbox_delete(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_inbox_remove(ctx, "sales", CIB_NTS, "Sales", CIB_NTS);
}

/* alice: an assignee, named by two routing rules. */
static int op_user_remove(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_user_remove(ctx, "alice", CIB_NTS);
}

/* New, joining, chat, refused and duplicate messages in one batch. */
static int op_batch(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_inbound m[6] = {
        msg("mail", "b1", "five@example.test", "t5"), msg("mail", "b2", "five@example.test", "t5"),
        msg("mail", "b3", "one@example.test", "t1"),  msg("chat", "b4", "visitor-2", NULL),
        msg("nope", "b5", "five@example.test", NULL), msg("mail", "m1", "one@example.test", "t1"),
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

struct named_op {
    const char *name;
    tenv_op op;
};

static const struct named_op sweep_ops[] = {
    {"new conversation", op_new},
    {"follow-up", op_follow_up},
    {"reply", op_reply},
    {"close handing out", op_close},
    {"status handing out", op_status},
    {"user update", op_user_update},
    {"team update", op_team_update},
    {"channel add", op_channel_add},
    {"inbox delete", op_inbox_delete},
    {"user removal", op_user_remove},
    {"batch", op_batch},
};

/* ---- 1. the foundation's sweep on SQLite ---- */

/* R-HOST-1: every allocation and every vtable call of each operation fails
 * in turn with the SQLite store underneath: each failure returns CIB_ENOMEM
 * or CIB_ESTORAGE and leaves the account and the database as they were;
 * the success survives a new context on the database. */
static void test_sweep_on_sqlite_R_HOST_1(void **state)
{
    (void)state;
    use_defaults();
    tenv_set_store(sqlitetest_open);
    for (size_t i = 0; i < sizeof sweep_ops / sizeof sweep_ops[0]; i++)
        sweep_op(world_setup, sweep_ops[i].op, NULL);
    use_defaults();
}

/* ---- 2. SQLite-level faults through the VFS ---- */

struct fault_kind {
    const char *name;
    int on;             /* enum fault_on */
    int rc;             /* the SQLite result the call fails with */
    int synchronous;    /* CIB_SQLITE_FULL: commits sync the WAL */
    int cold;           /* read with a cold page cache */
    const char *needle; /* in the library's message */
};

/*
 * One attempt: a fresh account on a new file; fail the n-th counted call of
 * op. Returns 0 when op made fewer calls than n (and succeeded), else 1 after
 * checking that it failed cleanly, that it then succeeds, and that the file
 * holds what the context holds.
 */
static int fault_attempt(const struct fault_kind *k, const struct named_op *o, long n)
{
    use_fault_vfs(k->synchronous, 0);
    tenv *e = tenv_new();
    world_setup(e);
    char *before = tenv_snapshot(e);
    if (k->cold)
        make_cache_cold(); /* after the snapshot, which reads every table */
    fault_arm(k->on, n, k->rc);
    int rc = o->op(e->ctx, NULL);
    long fired = fault_disarm();
    if (!fired) {
        if (rc != CIB_OK)
            fail_msg("%s: %s failed with nothing injected: %s (%s)", k->name, o->name,
                     cib_status_name(rc), cib_errmsg(e->ctx));
        char *done = tenv_snapshot(e);
        expect_file_holds(e, done);
        free(done);
        free(before);
        return 0;
    }
    if (rc == CIB_OK)
        fail_msg("%s: call %ld of %s failed, and the operation succeeded", k->name, n, o->name);
    if (rc != CIB_ESTORAGE || !strstr(cib_errmsg(e->ctx), k->needle))
        fail_msg("%s: call %ld of %s: want storage with '%s', got %s (%s)", k->name, n, o->name,
                 k->needle, cib_status_name(rc), cib_errmsg(e->ctx));
    assert_non_null(strstr(cib_errmsg(e->ctx), "storage."));
    char *after = tenv_snapshot(e);
    if (strcmp(before, after) != 0)
        fail_msg("%s: call %ld of %s changed the account:\n--- before\n%s--- after\n%s", k->name, n,
                 o->name, before, after);
    free(after);
    /* Disarmed, the same operation goes through at once. */
    rc = o->op(e->ctx, NULL);
    if (rc != CIB_OK)
        fail_msg("%s: after call %ld of %s failed, the next attempt failed too: %s (%s)", k->name,
                 n, o->name, cib_status_name(rc), cib_errmsg(e->ctx));
    char *done = tenv_snapshot(e);
    assert_string_not_equal(before, done);
    expect_file_holds(e, done);
    free(done);
    free(before);
    return 1;
}

/* Fail the 1st, 2nd, ... counted call of each operation; returns how many
 * failures were injected in all. */
static long fault_sweep(const struct fault_kind *k, const struct named_op *ops, size_t n_ops)
{
    long total = 0;
    for (size_t i = 0; i < n_ops; i++) {
        long n = 1;
        while (fault_attempt(k, &ops[i], n)) {
            assert_true(n < 10000);
            n++;
        }
        if (n == 1)
            fail_msg("%s: %s made no call that could fail", k->name, ops[i].name);
        total += n - 1;
    }
    return total;
}

static const struct named_op fault_ops[] = {
    {"new conversation", op_new},
    {"reply", op_reply},
    {"close handing out", op_close},
    {"batch", op_batch},
};
#define N_FAULT_OPS (sizeof fault_ops / sizeof fault_ops[0])

/* R-HOST-1: the disk fills up at any write of an operation (the WAL's
 * frames at commit): CIB_ESTORAGE saying so, nothing changed, and the next
 * attempt succeeds. */
static void test_disk_full_R_HOST_1(void **state)
{
    (void)state;
    const struct fault_kind k = {"SQLITE_FULL",     ON_WRITE, SQLITE_FULL,
                                 CIB_SQLITE_NORMAL, 0,        "database or disk is full"};
    assert_true(fault_sweep(&k, fault_ops, N_FAULT_OPS) > 0);
    use_defaults();
}

/* R-HOST-1: a failing write, sync or read anywhere in an operation. */
static void test_io_errors_R_HOST_1(void **state)
{
    (void)state;
    const struct fault_kind kinds[] = {
        {"SQLITE_IOERR_WRITE", ON_WRITE, SQLITE_IOERR_WRITE, CIB_SQLITE_NORMAL, 0,
         "disk I/O error"},
        /* Only FULL syncs the WAL at each commit. */
        {"SQLITE_IOERR_FSYNC", ON_SYNC, SQLITE_IOERR_FSYNC, CIB_SQLITE_FULL, 0, "disk I/O error"},
        /* Another connection wrote: every page is read again. */
        {"SQLITE_IOERR_READ", ON_READ, SQLITE_IOERR_READ, CIB_SQLITE_NORMAL, 1, "disk I/O error"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        assert_true(fault_sweep(&kinds[i], fault_ops, N_FAULT_OPS) > 0);
    use_defaults();
}

/* Read-only calls that read the database: what each found, as text. */
static int count_message(void *ud, const cib_message_info *m)
{
    (void)m;
    ++*(int *)ud;
    return 0;
}

static int read_closed(cib_ctx *ctx, char *out, size_t size)
{
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    int rc = cib_conversation_get(ctx, NULL, 0, conv_closed, &ci);
    if (rc == CIB_OK)
        snprintf(out, size, "status %d, %u messages, ticket %llu", ci.status,
                 (unsigned)ci.n_messages, (unsigned long long)ci.ticket);
    return rc;
}

static int read_view(cib_ctx *ctx, char *out, size_t size)
{
    cib_view_def v = CIB_VIEW_DEF_INIT;
    v.user = "bob";
    v.inbox = "support";
    v.status = CIB_STATUS_CLOSED;
    uint64_t ids[8];
    size_t n = 0;
    int rc = cib_view(ctx, &v, ids, 8, &n, NULL);
    if (rc == CIB_OK)
        snprintf(out, size, "%zu: %llu", n, n ? (unsigned long long)ids[0] : 0ULL);
    return rc;
}

static int read_messages(cib_ctx *ctx, char *out, size_t size)
{
    int n = 0;
    int rc = cib_conversation_messages(ctx, "bob", CIB_NTS, conv_closed, count_message, &n);
    if (rc == CIB_OK)
        snprintf(out, size, "%d messages", n);
    return rc;
}

typedef int (*read_fn)(cib_ctx *ctx, char *out, size_t size);

/* R-HOST-1: a read of the database that fails (a cold cache: another
 * connection wrote) fails the read-only call with CIB_ESTORAGE, changes
 * nothing, and the next call reads the same as before. */
static void test_read_errors_R_HOST_1(void **state)
{
    (void)state;
    use_fault_vfs(CIB_SQLITE_NORMAL, 0);
    tenv *e = tenv_new();
    world_setup(e);
    char *before = tenv_snapshot(e);
    const read_fn reads[] = {read_closed, read_view, read_messages};
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        char want[128], got[128];
        make_cache_cold();
        expect_status(e, reads[i](e->ctx, want, sizeof want), CIB_OK, NULL);
        long n;
        for (n = 1;; n++) {
            assert_true(n < 1000);
            make_cache_cold();
            fault_arm(ON_READ, n, SQLITE_IOERR_READ);
            int rc = reads[i](e->ctx, got, sizeof got);
            long fired = fault_disarm();
            if (!fired) {
                expect_status(e, rc, CIB_OK, NULL);
                assert_string_equal(got, want);
                break;
            }
            expect_status(e, rc, CIB_ESTORAGE, "disk I/O error");
            expect_unchanged(e, before);
            expect_status(e, reads[i](e->ctx, got, sizeof got), CIB_OK, NULL);
            assert_string_equal(got, want);
        }
        assert_true(n > 1); /* it did read the file */
    }
    expect_file_holds(e, before);
    free(before);
    use_defaults();
}

/* R-HOST-1: while the disk stays full every mutating call fails, changes
 * nothing, and reads go on; once there is room, they all succeed. */
static void test_disk_stays_full_R_HOST_1(void **state)
{
    (void)state;
    use_fault_vfs(CIB_SQLITE_NORMAL, 0);
    tenv *e = tenv_new();
    world_setup(e);
    char *before = tenv_snapshot(e);
    const tenv_op ops[] = {op_new,         op_follow_up,    op_reply,       op_close,
                           op_channel_add, op_inbox_delete, op_user_remove, op_batch};
    const size_t n_ops = sizeof ops / sizeof ops[0];
    fault_arm_sticky(ON_WRITE, 1, SQLITE_FULL);
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < n_ops; i++) {
            expect_status(e, ops[i](e->ctx, NULL), CIB_ESTORAGE, "database or disk is full");
            expect_unchanged(e, before);
        }
    }
    assert_true(fault.fired >= (long)(2 * n_ops));
    assert_int_equal(conv_info(e, conv_closed).status, CIB_STATUS_CLOSED);
    fault_disarm();
    for (size_t i = 0; i < n_ops; i++)
        expect_status(e, ops[i](e->ctx, NULL), CIB_OK, NULL);
    char *done = tenv_snapshot(e);
    expect_file_holds(e, done);
    free(done);
    free(before);
    use_defaults();
}

/* R-HOST-1: a batch fails on a read, and the reads of reloading the working
 * set fail too: the context says so and refuses every call; a new context
 * on the file finds the account as it was before the batch. Reads fail from
 * the 1st, 2nd, ... on (from the 1st: the batch cannot even begin). */
static void test_batch_reload_fails_R_HOST_1(void **state)
{
    (void)state;
    use_fault_vfs(CIB_SQLITE_NORMAL, 0);
    int broken = 0;
    for (long at = 1;; at++) {
        assert_true(at < 1000);
        tenv *e = tenv_new();
        world_setup(e);
        char *before = tenv_snapshot(e);
        make_cache_cold();
        fault_arm_sticky(ON_READ, at, SQLITE_IOERR_READ);
        int rc = op_batch(e->ctx, NULL);
        long fired = fault_disarm();
        if (!fired) {
            expect_status(e, rc, CIB_OK, NULL);
            tenv_free(e);
            remove_db();
            free(before);
            break;
        }
        expect_status(e, rc, CIB_ESTORAGE, "disk I/O error");
        if (strstr(cib_errmsg(e->ctx), "storage.begin")) {
            /* Nothing ran: nothing to reload. */
            expect_unchanged(e, before);
        } else {
            expect_status(e, rc, CIB_ESTORAGE, "reloading the working set failed too: ");
            /* ... and why: the reload's own failure, not the batch's again. */
            const char *why = strstr(cib_errmsg(e->ctx), "failed too: ") + strlen("failed too: ");
            if (strncmp(why, "storage.", 8) != 0 || strstr(why, "batch failed"))
                fail_msg("read %ld: the reload's failure is not named: %s", at, cib_errmsg(e->ctx));
            expect_status(e, op_status(e->ctx, NULL), CIB_ESTORAGE, "free it");
            broken++;
        }
        expect_file_holds(e, before);
        free(before);
    }
    assert_true(broken > 0);
    use_defaults();
}

/* R-HOST-1: a read that fails while a new context loads the account from
 * the file fails cib_ctx_new() with CIB_ESTORAGE and the reason, leaving no
 * context; otherwise the context loads the account exactly. */
static void test_load_errors_R_HOST_1(void **state)
{
    (void)state;
    use_fault_vfs(CIB_SQLITE_NORMAL, 0);
    tenv *e = tenv_new();
    world_setup(e);
    char *dump = NULL;
    assert_int_equal(cib_dump(e->ctx, &dump, NULL), CIB_OK);
    char *want = strdup(dump);
    assert_non_null(want);
    cib_free(e->ctx, dump);
    tenv_free(e);
    long n;
    for (n = 1;; n++) {
        assert_true(n < 1000);
        cib_store st;
        char err[512] = "";
        if (cib_sqlite_open(db_path, &sqlitetest_options, &st, err, sizeof err))
            fail_msg("reopening %s: %s", db_path, err);
        cib_options o = CIB_OPTIONS_INIT;
        o.store = &st;
        o.clock = fixed_clock;
        o.error_buffer = err;
        o.error_buffer_size = sizeof err;
        cib_ctx *ctx = NULL;
        fault_arm(ON_READ, n, SQLITE_IOERR_READ);
        int rc = cib_ctx_new(&o, &ctx);
        long fired = fault_disarm();
        if (fired) {
            if (rc != CIB_ESTORAGE || ctx || !strstr(err, "disk I/O error"))
                fail_msg("read %ld failed: want storage, got %s (%s)", n, cib_status_name(rc), err);
            st.close(st.user_data);
            continue;
        }
        assert_int_equal(rc, CIB_OK);
        assert_int_equal(cib_dump(ctx, &dump, NULL), CIB_OK);
        assert_string_equal(dump, want);
        cib_free(ctx, dump);
        cib_ctx_free(ctx);
        st.close(st.user_data);
        break;
    }
    assert_true(n > 1);
    free(want);
    remove_db();
    use_defaults();
}

/* ---- 3. SQLITE_BUSY: another connection holds the write lock ---- */

/* R-HOST-1: while another connection holds the write lock, a store that
 * does not wait fails each mutating call with CIB_ESTORAGE saying the
 * database is locked, and changes nothing; reads still work (WAL); once the
 * lock is released, the same calls succeed. */
static void test_busy_R_HOST_1(void **state)
{
    (void)state;
    use_fault_vfs(CIB_SQLITE_NORMAL, -1);
    tenv *e = tenv_new();
    world_setup(e);
    char *before = tenv_snapshot(e);
    sqlite3 *other = raw_open();
    raw_exec(other, "BEGIN IMMEDIATE");
    const tenv_op ops[] = {op_new, op_reply, op_close, op_user_update, op_batch};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        expect_status(e, ops[i](e->ctx, NULL), CIB_ESTORAGE, "database is locked");
        assert_non_null(strstr(cib_errmsg(e->ctx), "storage.begin"));
        expect_unchanged(e, before);
    }
    assert_int_equal(fault.sleeps, 0); /* it did not wait */
    /* Reads: a closed conversation and views that read closed ones from the
     * database. */
    cib_conversation_info ci = conv_info(e, conv_closed);
    assert_int_equal(ci.status, CIB_STATUS_CLOSED);
    cib_view_def v = CIB_VIEW_DEF_INIT;
    v.inbox = "support";
    v.status = CIB_STATUS_CLOSED;
    uint64_t ids[8];
    size_t n = 0;
    expect_status(e, cib_view(e->ctx, &v, ids, 8, &n, NULL), CIB_OK, NULL);
    assert_int_equal(n, 1);
    assert_true(ids[0] == conv_closed);
    v.status = 0;
    expect_status(e, cib_view(e->ctx, &v, ids, 8, &n, NULL), CIB_OK, NULL);
    assert_int_equal(n, 4);
    /* A new connection and context on the file load the account. */
    char *mine = NULL, *theirs = NULL;
    assert_int_equal(cib_dump(e->ctx, &mine, NULL), CIB_OK);
    cib_store st;
    char err[512];
    if (cib_sqlite_open(db_path, &sqlitetest_options, &st, err, sizeof err))
        fail_msg("opening a second store while locked: %s", err);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    o.clock = fixed_clock;
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    cib_ctx *ctx2 = NULL;
    if (cib_ctx_new(&o, &ctx2))
        fail_msg("a second context while locked: %s", err);
    assert_int_equal(cib_dump(ctx2, &theirs, NULL), CIB_OK);
    assert_string_equal(mine, theirs);
    cib_free(ctx2, theirs);
    cib_ctx_free(ctx2);
    st.close(st.user_data);
    cib_free(e->ctx, mine);
    /* Released: the calls go through, one after the other. */
    raw_exec(other, "ROLLBACK");
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        expect_status(e, ops[i](e->ctx, NULL), CIB_OK, NULL);
    /* Locked again in the middle: the account stays as it is now. */
    char *now = tenv_snapshot(e);
    raw_exec(other, "BEGIN IMMEDIATE");
    expect_status(e, op_channel_add(e->ctx, NULL), CIB_ESTORAGE, "database is locked");
    expect_unchanged(e, now);
    raw_exec(other, "COMMIT");
    expect_status(e, op_channel_add(e->ctx, NULL), CIB_OK, NULL);
    sqlite3_close(other);
    char *done = tenv_snapshot(e);
    expect_file_holds(e, done);
    free(done);
    free(now);
    free(before);
    use_defaults();
}

/* R-HOST-1: with a busy timeout, a lock released while the call waits lets
 * it succeed; a lock held past the timeout fails it as above. */
static void test_busy_timeout_R_HOST_1(void **state)
{
    (void)state;
    use_fault_vfs(CIB_SQLITE_NORMAL, 2000);
    tenv *e = tenv_new();
    world_setup(e);
    sqlite3 *other = raw_open();
    raw_exec(other, "BEGIN IMMEDIATE");
    fault.sleeps = 0;
    fault.release = other; /* committed by the first wait */
    fault.release_rc = -1;
    expect_status(e, op_new(e->ctx, NULL), CIB_OK, NULL);
    assert_true(fault.sleeps >= 1);
    assert_null(fault.release);
    assert_int_equal(fault.release_rc, SQLITE_OK);
    sqlite3_close(other);
    char *done = tenv_snapshot(e);
    expect_file_holds(e, done);
    free(done);

    use_fault_vfs(CIB_SQLITE_NORMAL, 30);
    e = tenv_new();
    world_setup(e);
    char *before = tenv_snapshot(e);
    other = raw_open();
    raw_exec(other, "BEGIN IMMEDIATE");
    fault.sleeps = 0;
    expect_status(e, op_close(e->ctx, NULL), CIB_ESTORAGE, "database is locked");
    assert_true(fault.sleeps >= 1); /* it waited, in vain */
    expect_unchanged(e, before);
    raw_exec(other, "ROLLBACK");
    sqlite3_close(other);
    expect_status(e, op_close(e->ctx, NULL), CIB_OK, NULL);
    done = tenv_snapshot(e);
    expect_file_holds(e, done);
    free(done);
    free(before);
    use_defaults();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_on_sqlite_R_HOST_1),
        cmocka_unit_test(test_disk_full_R_HOST_1),
        cmocka_unit_test(test_io_errors_R_HOST_1),
        cmocka_unit_test(test_read_errors_R_HOST_1),
        cmocka_unit_test(test_disk_stays_full_R_HOST_1),
        cmocka_unit_test(test_batch_reload_fails_R_HOST_1),
        cmocka_unit_test(test_load_errors_R_HOST_1),
        cmocka_unit_test(test_busy_R_HOST_1),
        cmocka_unit_test(test_busy_timeout_R_HOST_1),
    };
    int rc = TENV_RUN(tests);
    sqlitetest_cleanup();
    return rc;
}
