/*
 * fuzz_sqlite.c - the sqlite fuzz target: a valid account database (built at
 * startup: users, a team, a pipeline, email, chat and form channels in two
 * inboxes, conversations with replies, a closed one, tickets), damaged as
 * the input says, then opened with cib_sqlite_open(), loaded into a
 * context, used and reopened.
 *
 * The first input byte picks the damage: SQL statements run on the file
 * (rows changed, inserted or deleted with arbitrary values, columns and
 * indexes dropped, the schema version or the schema text rewritten), bytes
 * of the file overwritten, or both.
 *
 * Checked, with abort() on a violation: each step either refuses cleanly
 * (a status, and a non-empty message in the error buffer or cib_errmsg) or
 * works; a call on the loaded account that fails changes nothing in memory
 * (cib_dump); when the account loads, a context reopened on the file after
 * the calls loads too or refuses cleanly, and when it loads it holds the
 * account the first context had in memory; and nothing leaks.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convinbox/sqlite.h"
#include "fuzzenv.h"

static char dir[4096], path[4200], wal[4300], shm[4300];
static unsigned char *tmpl;
static size_t tmpl_len;

static void remove_files(void)
{
    unlink(path);
    unlink(wal);
    unlink(shm);
}

static void cleanup(void)
{
    remove_files();
    rmdir(dir);
}

static int64_t clock_ms = 1767571200000LL;

static int64_t clock_fn(void *ud)
{
    (void)ud;
    return clock_ms;
}

static int send_ok(void *ud, const cib_outbound *m)
{
    (void)ud;
    (void)m;
    return 0;
}

static void options(cib_options *o, const cib_store *st, const cib_allocator *al,
                    const cib_sender *snd, char *err, size_t n)
{
    cib_options d = CIB_OPTIONS_INIT;
    *o = d;
    o->store = st;
    o->allocator = al;
    o->clock = clock_fn;
    o->sender = snd;
    o->hash_seed = 7;
    o->error_buffer = err;
    o->error_buffer_size = n;
}

static void must(cib_ctx *ctx, int rc, const char *what)
{
    FZ_CHECK(rc == CIB_OK, "building the template: %s: %s", what, cib_errmsg(ctx));
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *e = NULL;
    FZ_CHECK(sqlite3_exec(db, sql, NULL, NULL, &e) == SQLITE_OK, "%s: %s", sql, e ? e : "?");
}

/* The account every input starts from, as the bytes of its file. */
static void build_template(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/cib-fuzz-sqlite-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    FZ_CHECK(mkdtemp(dir) != NULL, "cannot make a temporary directory");
    snprintf(path, sizeof path, "%s/account.db", dir);
    snprintf(wal, sizeof wal, "%s-wal", path);
    snprintf(shm, sizeof shm, "%s-shm", path);
    atexit(cleanup);

    cib_store st;
    char err[256] = "";
    cib_sqlite_options create = CIB_SQLITE_OPTIONS_INIT;
    create.flags = CIB_SQLITE_CREATE;
    create.synchronous = CIB_SQLITE_NORMAL;
    FZ_CHECK(cib_sqlite_open(path, &create, &st, err, sizeof err) == CIB_OK, "open: %s", err);
    cib_sender snd = CIB_SENDER_INIT;
    snd.email = snd.chat = snd.form = send_ok;
    cib_options o;
    options(&o, &st, NULL, &snd, err, sizeof err);
    cib_ctx *ctx;
    FZ_CHECK(cib_ctx_new(&o, &ctx) == CIB_OK, "cib_ctx_new: %s", err);
    static const char *const members[] = {"u0", "u1"};
    static const char *const stages[] = {"new", "done"};
    cib_user_def u = CIB_USER_DEF_INIT;
    u.id = "u0", u.name = "Ann Ames", u.email = "ann@x.test", u.capacity = 5;
    must(ctx, cib_user_add(ctx, &u), "user u0");
    u.id = "u1", u.name = "Bo Bell", u.email = NULL, u.seat = CIB_SEAT_FREE, u.capacity = 0;
    must(ctx, cib_user_add(ctx, &u), "user u1");
    must(ctx, cib_user_set_status(ctx, "u0", CIB_NTS, CIB_AVAILABLE), "status");
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "t0", t.members = members, t.n_members = 2;
    must(ctx, cib_team_add(ctx, &t), "team");
    cib_pipeline_def p = CIB_PIPELINE_DEF_INIT;
    p.id = "p0", p.stages = stages, p.n_stages = 2;
    must(ctx, cib_pipeline_add(ctx, &p), "pipeline");
    cib_contact_def k = CIB_CONTACT_DEF_INIT;
    k.id = "k0", k.email = "carol@y.test", k.owner = "u0";
    must(ctx, cib_contact_add(ctx, &k), "contact");
    cib_inbox_def ib = CIB_INBOX_DEF_INIT;
    cib_access_def ac = CIB_ACCESS_DEF_INIT;
    ac.everyone = 0, ac.users = members, ac.n_users = 1;
    ib.id = "i1", ib.name = "Sales", ib.access = &ac;
    must(ctx, cib_inbox_add(ctx, &ib), "inbox");
    static const int kinds[] = {CIB_TARGET_TEAM};
    static const char *const ids[] = {"t0"};
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = CIB_ROUTE_SPECIFIC, r.target_kinds = kinds, r.target_ids = ids, r.n_targets = 1;
    r.strategy = CIB_ROUND_ROBIN, r.queue = 1;
    cib_ticket_def tk = CIB_TICKET_DEF_INIT;
    tk.automatic = 1, tk.pipeline = "p0", tk.stage = "new";
    static const char *const pk[] = {"prio"}, *const pv[] = {"high"};
    cib_channel_def c = CIB_CHANNEL_DEF_INIT;
    c.id = "e1", c.inbox = "i1", c.type = CIB_CHANNEL_EMAIL, c.address = "sales@x.test";
    c.routing = &r, c.tickets = &tk, c.property_keys = pk, c.property_values = pv;
    c.n_properties = 1, c.signature = "-- {full_name}";
    must(ctx, cib_channel_add(ctx, &c), "channel e1");
    cib_channel_def ch = CIB_CHANNEL_DEF_INIT;
    static const unsigned days[] = {CIB_WEEKDAYS}, from[] = {540}, to[] = {1020};
    cib_availability_def av = CIB_AVAILABILITY_DEF_INIT;
    av.mode = CIB_CHAT_BUSINESS_HOURS, av.tz = "UTC", av.range_days = days;
    av.range_from = from, av.range_to = to, av.n_ranges = 1;
    ch.id = "ch1", ch.inbox = "default", ch.type = CIB_CHANNEL_CHAT, ch.availability = &av;
    ch.routing = &r;
    if (cib_channel_add(ctx, &ch) != CIB_OK) { /* no tzdata: always */
        ch.availability = NULL;
        must(ctx, cib_channel_add(ctx, &ch), "channel ch1");
    }
    cib_channel_def f = CIB_CHANNEL_DEF_INIT;
    f.id = "f1", f.inbox = "default", f.type = CIB_CHANNEL_FORM, f.tickets = &tk;
    must(ctx, cib_channel_add(ctx, &f), "channel f1");
    static const char *const from_[] = {"carol@y.test", "dan@y.test", "visitor-9", "eve@y.test"};
    static const char *const chans[] = {"e1", "e1", "ch1", "f1"};
    uint64_t convs[4];
    for (int i = 0; i < 4; i++) {
        char id[16], th[16];
        snprintf(id, sizeof id, "m%d", i);
        snprintf(th, sizeof th, "t%d", i % 3);
        cib_inbound m = CIB_INBOUND_INIT;
        m.channel = chans[i], m.msg_id = id, m.from = from_[i], m.thread = th;
        m.text = "Hello\nthere";
        cib_ingest_result res = CIB_INGEST_RESULT_INIT;
        must(ctx, cib_ingest(ctx, &m, &res), "ingest");
        convs[i] = res.conversation;
        clock_ms += 60000;
    }
    must(ctx, cib_assign(ctx, "u0", CIB_NTS, convs[0], "u0", CIB_NTS), "assign");
    must(ctx, cib_reply(ctx, "u0", CIB_NTS, convs[0], "On it", CIB_NTS, NULL, 0, NULL), "reply");
    must(ctx, cib_comment(ctx, "u0", CIB_NTS, convs[1], "note", CIB_NTS, NULL), "comment");
    must(ctx, cib_close(ctx, "u0", CIB_NTS, convs[3]), "close");
    cib_ctx_free(ctx);
    st.close(st.user_data);

    /* Small pages, so that byte damage hits every structure. */
    sqlite3 *db;
    FZ_CHECK(sqlite3_open(path, &db) == SQLITE_OK, "sqlite3_open");
    exec_sql(db, "PRAGMA journal_mode=DELETE; PRAGMA page_size=512; VACUUM;"
                 "PRAGMA journal_mode=WAL;");
    sqlite3_close(db);
    FILE *fp = fopen(path, "rb");
    FZ_CHECK(fp != NULL, "cannot read the template");
    fseek(fp, 0, SEEK_END);
    tmpl_len = (size_t)ftell(fp);
    rewind(fp);
    tmpl = malloc(tmpl_len);
    FZ_CHECK(tmpl && fread(tmpl, 1, tmpl_len, fp) == tmpl_len, "cannot read the template");
    fclose(fp);
}

/* ---- damage ---- */

static const char *const tables[] = {
    "convinbox_meta", "account", "users",    "teams",         "contacts",
    "pipelines",      "inboxes", "channels", "conversations", "messages",
    "dedup_keys",     "threads", "routing",  "tickets",       "sqlite_master",
};
#define N_TABLES (sizeof tables / sizeof tables[0])

/* The name of column `i` (mod the count) of a table, into buf. */
static int column(sqlite3 *db, const char *table, unsigned i, char *buf, size_t n)
{
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s')", table);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    char names[64][64];
    unsigned count = 0;
    while (count < 64 && sqlite3_step(st) == SQLITE_ROW)
        snprintf(names[count++], 64, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (!count)
        return -1;
    snprintf(buf, n, "%s", names[i % count]);
    return 0;
}

static void bind_value(sqlite3_stmt *st, int idx, fz_in *in)
{
    static const char *const texts[] = {
        "[]",
        "[\"u0\"]",
        "[\"user:u0\",\"team:zz\"]",
        "[1,2]",
        "{\"a\":1}",
        "[\"\\u0000\"]",
        "open",
        "closed",
        "rule",
        "paid",
        "free",
        "admin",
        "u0",
        "nobody",
        "i1",
        "default",
        "e1",
        "ch1",
        "-1",
        "99999999999999999999",
        "[\"mon 09:00-17:00\"]",
        "Nope/Zone",
    };
    uint8_t k = fz_u8(in);
    size_t n;
    const uint8_t *p;
    switch (k % 8) {
    case 0:
        sqlite3_bind_null(st, idx);
        break;
    case 1:
        sqlite3_bind_int64(st, idx, (int64_t)fz_u64(in));
        break;
    case 2: {
        static const int64_t ints[] = {0, 1, -1, 2, INT64_MAX, INT64_MIN, 1 << 20, 255, 256};
        sqlite3_bind_int64(st, idx, ints[fz_u8(in) % 9]);
        break;
    }
    case 3:
    case 4:
        sqlite3_bind_text(st, idx, texts[fz_u8(in) % (sizeof texts / sizeof texts[0])], -1,
                          SQLITE_STATIC);
        break;
    case 5:
        p = fz_bytes(in, 200, &n);
        sqlite3_bind_text(st, idx, (const char *)p, (int)n, SQLITE_TRANSIENT);
        break;
    case 6:
        p = fz_bytes(in, 200, &n);
        sqlite3_bind_blob(st, idx, p, (int)n, SQLITE_TRANSIENT);
        break;
    default:
        sqlite3_bind_double(st, idx, (double)(int32_t)fz_u32(in) / 7.0);
        break;
    }
}

/* One statement, its parameters from the input; errors are ignored. */
static void run(sqlite3 *db, const char *sql, int params, fz_in *in)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return;
    for (int i = 1; i <= params; i++)
        bind_value(st, i, in);
    while (sqlite3_step(st) == SQLITE_ROW)
        ;
    sqlite3_finalize(st);
}

static void damage_sql(fz_in *in)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) {
        sqlite3_close(db);
        return;
    }
    unsigned n = 1 + fz_u8(in) % 6;
    for (unsigned s = 0; s < n && !fz_done(in); s++) {
        uint8_t op = fz_u8(in);
        const char *t = tables[fz_u8(in) % (N_TABLES - 1)];
        char col[64], col2[64], sql[512];
        if (column(db, t, fz_u8(in), col, sizeof col) || column(db, t, 0, col2, sizeof col2))
            continue;
        unsigned off = fz_u8(in) % 8;
        switch (op % 10) {
        case 0:
        case 1:
        case 2: /* a value changed */
            snprintf(sql, sizeof sql,
                     "UPDATE %s SET %s = ?1 WHERE %s = (SELECT %s FROM %s LIMIT 1 OFFSET %u)", t,
                     col, col2, col2, t, off);
            run(db, sql, 1, in);
            break;
        case 3: /* a row gone */
            snprintf(sql, sizeof sql,
                     "DELETE FROM %s WHERE %s = (SELECT %s FROM %s LIMIT 1 OFFSET %u)", t, col2,
                     col2, t, off);
            run(db, sql, 0, in);
            break;
        case 4: /* a row with one value */
            snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO %s (%s, %s) VALUES (?1, ?2)", t, col2,
                     col);
            run(db, sql, 2, in);
            break;
        case 5: /* a copy of a row under another key */
            snprintf(sql, sizeof sql,
                     "CREATE TEMP TABLE c AS SELECT * FROM %s LIMIT 1 OFFSET %u;"
                     "UPDATE c SET %s = ?1;",
                     t, off, col2);
            exec_sql(db, "DROP TABLE IF EXISTS temp.c");
            run(db, sql, 0, in);
            run(db, strchr(sql, ';') + 1, 1, in);
            snprintf(sql, sizeof sql, "INSERT OR REPLACE INTO %s SELECT * FROM temp.c", t);
            run(db, sql, 0, in);
            break;
        case 6: { /* an index dropped, or the schema's text changed */
            static const char *const ddl[] = {
                "DROP INDEX idx_conversations_inbox",
                "DROP INDEX idx_conversations_status",
                "DROP INDEX idx_messages_conversation",
                "DROP TABLE routing",
                "DROP TABLE tickets",
                "CREATE INDEX x ON users (name)",
                "CREATE TABLE extra (a)",
                "PRAGMA writable_schema=ON; UPDATE sqlite_master SET sql = replace(sql, "
                "'INTEGER', 'TEXT') WHERE name = 'conversations'; PRAGMA writable_schema=OFF",
                "PRAGMA writable_schema=ON; DELETE FROM sqlite_master WHERE name = "
                "'idx_conversations_contact'; PRAGMA writable_schema=OFF",
                "PRAGMA journal_mode=DELETE",
            };
            sqlite3_exec(db, ddl[off % (sizeof ddl / sizeof ddl[0])], NULL, NULL, NULL);
            break;
        }
        case 7: /* a column dropped, renamed or added */
            snprintf(sql, sizeof sql,
                     off & 1   ? "ALTER TABLE %s DROP COLUMN %s"
                     : off & 2 ? "ALTER TABLE %s RENAME COLUMN %s TO renamed"
                               : "ALTER TABLE %s ADD COLUMN extra_%s DEFAULT 1",
                     t, col);
            sqlite3_exec(db, sql, NULL, NULL, NULL);
            break;
        case 8: /* the schema version */
            run(db, "UPDATE convinbox_meta SET value = ?1 WHERE key = 'schema_version'", 1, in);
            break;
        default: /* every row of a kind gone */
            snprintf(sql, sizeof sql, "DELETE FROM %s", t);
            run(db, sql, 0, in);
            break;
        }
    }
    sqlite3_close(db);
}

static void damage_bytes(fz_in *in)
{
    FILE *f = fopen(path, "r+b");
    if (!f)
        return;
    unsigned n = 1 + fz_u8(in) % 16;
    for (unsigned i = 0; i < n && !fz_done(in); i++) {
        uint32_t at = fz_u32(in) % (uint32_t)tmpl_len;
        size_t len;
        const uint8_t *p = fz_bytes(in, 8, &len);
        fseek(f, (long)at, SEEK_SET);
        fwrite(p, 1, len, f);
    }
    fclose(f);
}

/* ---- use ---- */

static void checked(cib_ctx *ctx, int rc, const char *what, const char *before)
{
    if (rc == CIB_OK)
        return;
    FZ_CHECK(rc < 0 && rc >= CIB_ENOMEM, "%s returned %d", what, rc);
    FZ_CHECK(cib_errmsg(ctx)[0], "%s failed with %s and no message", what, cib_status_name(rc));
    char *after = NULL;
    FZ_CHECK(cib_dump(ctx, &after, NULL) == CIB_OK, "cib_dump after %s", what);
    if (before)
        fz_expect_same(before, after, what);
    cib_free(ctx, after);
}

static int count_cb(void *ud, const cib_message_info *m)
{
    (void)m;
    ++*(int *)ud;
    return 0;
}

static void use(cib_ctx *ctx, fz_in *in)
{
    char *d = NULL;
    FZ_CHECK(cib_dump(ctx, &d, NULL) == CIB_OK, "cib_dump: %s", cib_errmsg(ctx));
    uint64_t ids[8] = {0};
    size_t n = 0;
    for (int view = 1; view <= 2; view++) {
        static const char *const inboxes[] = {"default", "i1"};
        cib_view_def q = CIB_VIEW_DEF_INIT;
        q.inbox = inboxes[view - 1];
        q.status = view == 2 ? CIB_STATUS_CLOSED : 0;
        size_t got = 0;
        checked(ctx, cib_view(ctx, &q, ids + n, 4, &got, NULL), "cib_view", d);
        n += got;
    }
    for (size_t i = 0; i < n; i++) {
        cib_conversation_info info = CIB_CONVERSATION_INFO_INIT;
        int k = 0;
        checked(ctx, cib_conversation_get(ctx, NULL, 0, ids[i], &info), "cib_conversation_get", d);
        checked(ctx, cib_conversation_messages(ctx, NULL, 0, ids[i], count_cb, &k),
                "cib_conversation_messages", d);
    }
    cib_report_def rd = CIB_REPORT_DEF_INIT;
    rd.inbox = "i1";
    rd.from = 0;
    rd.to = clock_ms + 86400000;
    cib_report rep = CIB_REPORT_INIT;
    checked(ctx, cib_report_get(ctx, &rd, &rep, NULL, NULL), "cib_report_get", d);
    int avail;
    cib_chat_available(ctx, "ch1", CIB_NTS, &avail);

    /* A few changes; each one that fails must change nothing. */
    unsigned steps = 2 + fz_u8(in) % 6;
    for (unsigned s = 0; s < steps; s++) {
        uint8_t op = fz_u8(in);
        uint64_t c = n ? ids[fz_u8(in) % n] : 1;
        int rc;
        const char *what;
        clock_ms += 1000;
        switch (op % 8) {
        case 7:
            rc = cib_inbox_remove(ctx, "i1", CIB_NTS, "Sales", CIB_NTS), what = "cib_inbox_remove";
            break;
        case 0:
        case 1: {
            char id[24], th[16];
            snprintf(id, sizeof id, "new-%u-%u", s, op);
            snprintf(th, sizeof th, "t%u", op % 4);
            cib_inbound m = CIB_INBOUND_INIT;
            m.channel = op & 8 ? "ch1" : "e1";
            m.msg_id = id, m.from = op & 16 ? "carol@y.test" : "new@y.test", m.thread = th;
            m.text = "again";
            cib_ingest_result r = CIB_INGEST_RESULT_INIT;
            rc = cib_ingest(ctx, &m, &r), what = "cib_ingest";
            break;
        }
        case 2:
            rc = cib_reply(ctx, "u0", CIB_NTS, c, "ok", CIB_NTS, NULL, 0, NULL), what = "cib_reply";
            break;
        case 3:
            rc = cib_close(ctx, "u0", CIB_NTS, c), what = "cib_close";
            break;
        case 4:
            rc = cib_assign(ctx, "u0", CIB_NTS, c, "u0", CIB_NTS), what = "cib_assign";
            break;
        case 5:
            rc = cib_user_set_status(ctx, op & 8 ? "u1" : "u0", CIB_NTS, 1 + (op >> 4) % 3),
            what = "cib_user_set_status";
            break;
        default: {
            cib_user_def u = CIB_USER_DEF_INIT;
            char id[16];
            snprintf(id, sizeof id, "n%u", s);
            u.id = id, u.name = "New One";
            rc = cib_user_add(ctx, &u), what = "cib_user_add";
            break;
        }
        }
        checked(ctx, rc, what, d);
        if (rc == CIB_OK) {
            cib_free(ctx, d);
            d = NULL;
            FZ_CHECK(cib_dump(ctx, &d, NULL) == CIB_OK, "cib_dump: %s", cib_errmsg(ctx));
        }
    }
    cib_free(ctx, d);
}

/* Open the file and load the account: a context, or NULL after a clean
 * refusal. */
static cib_ctx *open_account(cib_store *st, cib_options *o, const cib_allocator *al,
                             const cib_sender *snd)
{
    char err[256] = "";
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.synchronous = CIB_SQLITE_NORMAL; /* tmpfs: the sync mode changes nothing else */
    so.busy_timeout_ms = -1;
    int rc = cib_sqlite_open(path, &so, st, err, sizeof err);
    if (rc != CIB_OK) {
        FZ_CHECK(rc == CIB_ESTORAGE || rc == CIB_ENOMEM, "cib_sqlite_open: %d", rc);
        FZ_CHECK(err[0], "cib_sqlite_open refused with no message");
        return NULL;
    }
    options(o, st, al, snd, err, sizeof err);
    cib_ctx *ctx = NULL;
    rc = cib_ctx_new(o, &ctx);
    if (rc != CIB_OK) {
        FZ_CHECK(rc == CIB_ESTORAGE || rc == CIB_ENOMEM, "cib_ctx_new: %d (%s)", rc, err);
        FZ_CHECK(err[0], "cib_ctx_new refused with no message");
        FZ_CHECK(ctx == NULL, "a refused cib_ctx_new left a context");
        st->close(st->user_data);
        return NULL;
    }
    return ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!tmpl)
        build_template();
    fz_in in = {data, size};
    remove_files();
    FILE *f = fopen(path, "wb");
    FZ_CHECK(f && fwrite(tmpl, 1, tmpl_len, f) == tmpl_len && fclose(f) == 0, "cannot write");
    uint8_t mode = fz_u8(&in);
    if (mode % 3 != 1)
        damage_sql(&in);
    if (mode % 3 != 0)
        damage_bytes(&in);
    clock_ms = 1767571200000LL + (int64_t)(mode >> 2) * 3600000;

    fz_alloc fa = {0, -1, 0, 0};
    cib_allocator al = fz_allocator(&fa);
    cib_sender snd = CIB_SENDER_INIT;
    snd.email = snd.chat = snd.form = send_ok;
    cib_store st;
    cib_options o;
    cib_ctx *ctx = open_account(&st, &o, &al, &snd);
    if (ctx) {
        use(ctx, &in);
        char *mem = NULL;
        FZ_CHECK(cib_dump(ctx, &mem, NULL) == CIB_OK, "cib_dump");
        char *copy = strdup(mem);
        cib_free(ctx, mem);
        cib_ctx_free(ctx);
        st.close(st.user_data);
        ctx = open_account(&st, &o, &al, &snd);
        if (ctx) {
            char *again = NULL;
            FZ_CHECK(cib_dump(ctx, &again, NULL) == CIB_OK, "cib_dump after reopening");
            fz_expect_same(copy, again, "the reopened account differs from the one in memory");
            cib_free(ctx, again);
            cib_ctx_free(ctx);
            st.close(st.user_data);
        }
        free(copy);
    }
    FZ_CHECK(fa.live == 0, "%ld blocks never freed", fa.live);
    return 0;
}
