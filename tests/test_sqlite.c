/* test_sqlite.c - libconvinbox-sqlite: the schema and its versions, plain
 * SQL tables, a full account surviving close and reopen, refusals of files
 * it must not load (R-HOST-1). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"
#include "support/sqlitetest.h"

static sqlite3 *raw(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    return db;
}

static long long query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static char *query_text(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    const char *t = (const char *)sqlite3_column_text(st, 0);
    char *copy = strdup(t ? t : "(null)");
    sqlite3_finalize(st);
    return copy;
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
}

/* The bytes of a file. */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc(*n + 1);
    assert_true(fread(b, 1, *n, f) == *n);
    fclose(f);
    return b;
}

/* An account that uses every row kind. */
static void build_account(tenv *e)
{
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", "bob@acme.test", CIB_SEAT_PAID, CIB_ROLE_ADMIN);
    const char *members[] = {"alice", "bob"};
    add_team(e, "tier1", members, 2);
    cib_pipeline_def p = CIB_PIPELINE_DEF_INIT;
    const char *stages[] = {"new", "done"};
    p.id = "support";
    p.stages = stages;
    p.n_stages = 2;
    expect_status(e, cib_pipeline_add(e->ctx, &p), CIB_OK, NULL);
    const char *teams[] = {"tier1"};
    add_inbox_access(e, "help", "Help \"desk\"", NULL, 0, teams, 1);
    cib_contact_def c = CIB_CONTACT_DEF_INIT;
    c.id = "acme-1";
    c.email = "buyer@example.test";
    c.owner = "alice";
    expect_status(e, cib_contact_add(e->ctx, &c), CIB_OK, NULL);
    cib_ticket_def t = CIB_TICKET_DEF_INIT;
    t.automatic = 1;
    t.pipeline = "support";
    t.stage = "new";
    const char *pk[] = {"source"}, *pv[] = {"mail \"box\" \\ ü"};
    t.property_keys = pk;
    t.property_values = pv;
    t.n_properties = 1;
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "mail";
    d.inbox = "help";
    d.type = CIB_CHANNEL_EMAIL;
    d.address = "help@acme.test";
    d.tickets = &t;
    d.signature = "— {full_name}";
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    cib_availability_def h = sqlitetest_office_hours();
    cib_channel_def k = CIB_CHANNEL_DEF_INIT;
    k.id = "chat";
    k.inbox = "help";
    k.type = CIB_CHANNEL_CHAT;
    k.availability = &h;
    expect_status(e, cib_channel_add(e->ctx, &k), CIB_OK, NULL);
    add_channel(e, "fb", "help", CIB_CHANNEL_MESSENGER, "page-1");
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 1, "team:tier1");
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_LEAST_LOADED, 1, "user:alice");
    set_status(e, "bob", CIB_AVAILABLE);
    ingest_msg(e, "mail", "m1", "buyer@example.test", "t1");
    ingest_msg(e, "mail", "m2", "carol@example.test", "t2");
    ingest_msg(e, "chat", "c1", "visitor-1", "s1"); /* waits for alice */
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = "fb";
    m.msg_id = "f1";
    m.from = "psid-7";
    m.text = "Ünïcödé \"quotes\" and\ttabs";
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_OK, NULL);
    cib_comment(e->ctx, "bob", CIB_NTS, r.conversation, "note", CIB_NTS, NULL);
}

/* Options that create a missing database. */
static const cib_sqlite_options creating = {sizeof(cib_sqlite_options), CIB_SQLITE_FULL, 0, NULL,
                                            CIB_SQLITE_CREATE};

/* A new database gets the current schema, in WAL mode, with plain tables. */
static void test_new_database_R_HOST_1(void **state)
{
    (void)state;
    const char *path = sqlitetest_path();
    char keep[400];
    snprintf(keep, sizeof keep, "%s", path);
    cib_store st;
    char err[256];
    assert_int_equal(cib_sqlite_open(keep, &creating, &st, err, sizeof err), CIB_OK);
    int version = -9;
    assert_int_equal(cib_sqlite_schema_version(keep, &version, err, sizeof err), CIB_OK);
    assert_int_equal(version, CIB_SQLITE_SCHEMA_VERSION);
    sqlite3 *db = raw(keep);
    char *mode = query_text(db, "PRAGMA journal_mode");
    assert_string_equal(mode, "wal");
    free(mode);
    for (size_t i = 0; i < sq_n_tables; i++) {
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
                 sq_tables[i].name);
        assert_int_equal(query_int(db, sql), 1);
    }
    sqlite3_close(db);
    st.close(st.user_data);
    /* Without CIB_SQLITE_CREATE a missing file is refused, not created. */
    assert_int_equal(cib_sqlite_open(sqlitetest_path(), NULL, &st, err, sizeof err), CIB_ESTORAGE);
    assert_non_null(strstr(err, "cannot open"));
    assert_non_null(strstr(err, "CIB_SQLITE_CREATE"));
}

static tenv *sqlite_env(void)
{
    tenv_set_store(sqlitetest_open);
    tenv *e = tenv_new();
    tenv_set_store(NULL);
    return e;
}

/* A full account survives: the same context reopened on the store, and a
 * new store on the same file, hold exactly what was written. */
static void test_account_survives_reopen_R_HOST_1(void **state)
{
    (void)state;
    tenv *e = sqlite_env();
    build_account(e);
    char *before = tenv_snapshot(e);
    tenv_reopen(e);
    expect_unchanged(e, before);
    /* And on a new connection to the file. */
    char *lib_dump, *dump2;
    size_t n;
    assert_int_equal(cib_dump(e->ctx, &lib_dump, &n), CIB_OK);
    char *dump1 = strdup(lib_dump);
    cib_free(e->ctx, lib_dump);
    char path[420];
    snprintf(path, sizeof path, "%s", sqlitetest_last_path());
    tenv_free(e);
    free(before);
    cib_store st;
    char err[256];
    assert_int_equal(cib_sqlite_open(path, NULL, &st, err, sizeof err), CIB_OK);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    cib_ctx *ctx;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    assert_int_equal(cib_dump(ctx, &dump2, &n), CIB_OK);
    assert_string_equal(dump1, dump2);
    cib_free(ctx, dump2);
    cib_ctx_free(ctx);
    st.close(st.user_data);
    free(dump1);
}

/* R-CONV-3: on SQLite, a redelivery 30 and 365 days later is a duplicate,
 * once the id has left the recent ids and after the file is reopened; the
 * row keeps its expires_at column (0: never) and nothing is added. */
static void test_redelivery_months_later_R_CONV_3(void **state)
{
    (void)state;
    tenv *e = sqlite_env();
    e->opts.dedup_recent = 2;
    tenv_reopen(e);
    add_inbox(e, "help", "Help");
    add_channel(e, "mail", "help", CIB_CHANNEL_EMAIL, "help@acme.test");
    cib_ingest_result first = ingest_msg(e, "mail", "<crash@mail>", "carol@example.test", NULL);
    const int64_t day = 24LL * 3600 * 1000;
    e->now += 30 * day;
    assert_int_equal(ingest_msg(e, "mail", "<crash@mail>", "carol@example.test", NULL).duplicate,
                     1);
    ingest_msg(e, "mail", "n1", "dave@example.test", NULL);
    ingest_msg(e, "mail", "n2", "dave@example.test", NULL);
    e->now += 335 * day;
    char *before = tenv_snapshot(e);
    cib_ingest_result r = ingest_msg(e, "mail", "<crash@mail>", "carol@example.test", NULL);
    assert_int_equal(r.duplicate, 1);
    assert_true(r.conversation == first.conversation);
    expect_unchanged(e, before);
    tenv_reopen(e);
    expect_unchanged(e, before);
    r = ingest_msg(e, "mail", "<crash@mail>", "carol@example.test", NULL);
    assert_int_equal(r.duplicate, 1);
    assert_true(r.message == first.message);
    free(before);
    char path[420];
    snprintf(path, sizeof path, "%s", sqlitetest_last_path());
    tenv_free(e);
    sqlite3 *db = raw(path);
    assert_int_equal(query_int(db, "SELECT count(*) FROM dedup_keys"), 3);
    assert_int_equal(query_int(db, "SELECT count(*) FROM dedup_keys WHERE expires_at = 0"), 3);
    assert_int_equal(query_int(db, "SELECT count(*) FROM messages"), 3);
    sqlite3_close(db);
}

/* Plain tables: a host reads conversations, messages with their bodies,
 * tickets and lists with SQL. */
static void test_plain_sql_tables_R_HOST_1(void **state)
{
    (void)state;
    tenv_set_store(sqlitetest_open);
    tenv *e = tenv_new();
    tenv_set_store(NULL);
    build_account(e);
    tenv_free(e);
    sqlite3 *db = raw(sqlitetest_last_path());
    assert_int_equal(query_int(db, "SELECT count(*) FROM conversations"), 4);
    assert_int_equal(query_int(db, "SELECT count(*) FROM messages WHERE kind = 'inbound'"), 4);
    char *text = query_text(db, "SELECT text FROM messages WHERE msg_id = 'f1'");
    assert_string_equal(text, "Ünïcödé \"quotes\" and\ttabs");
    free(text);
    assert_int_equal(query_int(db, "SELECT count(*) FROM tickets WHERE stage = 'new'"), 2);
    char *prop =
        query_text(db, "SELECT value FROM channels, json_each(channels.ticket_property_values) "
                       "WHERE channels.id = 'mail'");
    assert_string_equal(prop, "mail \"box\" \\ ü");
    free(prop);
    assert_int_equal(query_int(db, "SELECT json_array_length(stages) FROM pipelines"), 2);
    char *name = query_text(db, "SELECT name FROM inboxes WHERE id = 'help'");
    assert_string_equal(name, "Help \"desk\"");
    free(name);
    assert_int_equal(query_int(db, "SELECT count(*) FROM conversations WHERE queued IS NOT NULL"),
                     1);
    sqlite3_close(db);
}

/* Ids are INTEGER columns a host joins on, and removing an inbox (R-INBOX-3)
 * leaves none of its rows behind: messages, idempotency keys, threads and
 * tickets go with their conversations. */
static void test_inbox_removed_leaves_no_rows_R_INBOX_3(void **state)
{
    (void)state;
    tenv *e = sqlite_env();
    build_account(e);
    add_inbox(e, "other", "Other");
    add_channel(e, "other-mail", "other", CIB_CHANNEL_EMAIL, "other@acme.test");
    ingest_msg(e, "other-mail", "o1", "buyer@example.test", "ot1");
    char path[420];
    snprintf(path, sizeof path, "%s", sqlitetest_last_path());
    sqlite3 *db = raw(path);
    assert_int_equal(query_int(db, "SELECT count(*) FROM messages m JOIN conversations c "
                                   "ON c.id = m.conversation JOIN tickets t ON t.id = c.ticket "
                                   "WHERE t.conversation = c.id AND typeof(m.conversation) = "
                                   "'integer'"),
                     2);
    assert_int_equal(query_int(db, "SELECT count(*) FROM threads WHERE inbox = 'help'"), 3);
    assert_int_equal(query_int(db, "SELECT count(*) FROM dedup_keys WHERE inbox = 'help'"), 4);
    sqlite3_close(db);
    expect_status(e, cib_inbox_remove(e->ctx, "help", CIB_NTS, "Help \"desk\"", CIB_NTS), CIB_OK,
                  NULL);
    tenv_free(e);
    db = raw(path);
    static const char *const tables[] = {"conversations", "messages", "dedup_keys", "threads",
                                         "tickets"};
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++) {
        char sql[200];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE inbox = 'help'", tables[i]);
        if (query_int(db, sql) != 0)
            fail_msg("%s keeps rows of the removed inbox", tables[i]);
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE inbox = 'other'", tables[i]);
        if (query_int(db, sql) < 1 && strcmp(tables[i], "tickets") != 0)
            fail_msg("%s lost the rows of another inbox", tables[i]);
    }
    sqlite3_close(db);
}

/* A file this library must not load is refused and left as it was: not a
 * database, another program's tables under our meta name, a newer schema. */
static void test_refused_files_R_HOST_1(void **state)
{
    (void)state;
    char err[512];
    cib_store st;
    /* Not a database. */
    char garbage[420];
    snprintf(garbage, sizeof garbage, "%s", sqlitetest_path());
    FILE *f = fopen(garbage, "wb");
    for (int i = 0; i < 4096; i++)
        fputc(i * 7 % 251, f);
    fclose(f);
    size_t n1, n2;
    char *b1 = slurp(garbage, &n1);
    assert_int_equal(cib_sqlite_open(garbage, NULL, &st, err, sizeof err), CIB_ESTORAGE);
    assert_non_null(strstr(err, "not a usable SQLite database"));
    char *b2 = slurp(garbage, &n2);
    assert_true(n1 == n2 && memcmp(b1, b2, n1) == 0);
    free(b1);
    free(b2);
    /* A newer schema. */
    char newer[420];
    snprintf(newer, sizeof newer, "%s", sqlitetest_path());
    assert_int_equal(cib_sqlite_open(newer, &creating, &st, err, sizeof err), CIB_OK);
    st.close(st.user_data);
    sqlite3 *db = raw(newer);
    char bump[128], newer_v[32];
    snprintf(bump, sizeof bump, "UPDATE convinbox_meta SET value = %d WHERE key = 'schema_version'",
             CIB_SQLITE_SCHEMA_VERSION + 1);
    snprintf(newer_v, sizeof newer_v, "schema version %d", CIB_SQLITE_SCHEMA_VERSION + 1);
    exec_sql(db, bump);
    sqlite3_close(db);
    b1 = slurp(newer, &n1);
    assert_int_equal(cib_sqlite_open(newer, NULL, &st, err, sizeof err), CIB_ESTORAGE);
    assert_non_null(strstr(err, newer_v));
    b2 = slurp(newer, &n2);
    assert_true(n1 == n2 && memcmp(b1, b2, n1) == 0);
    free(b1);
    free(b2);
    /* A meta table without a version. */
    db = raw(newer);
    exec_sql(db, "DELETE FROM convinbox_meta");
    sqlite3_close(db);
    assert_int_equal(cib_sqlite_open(newer, NULL, &st, err, sizeof err), CIB_ESTORAGE);
    assert_non_null(strstr(err, "no schema version"));
    /* Bad arguments. */
    assert_int_equal(cib_sqlite_open(NULL, NULL, &st, err, sizeof err), CIB_EINVAL);
    assert_non_null(strstr(err, "'path'"));
    assert_int_equal(cib_sqlite_open(newer, NULL, NULL, err, sizeof err), CIB_EINVAL);
    cib_sqlite_options o = CIB_SQLITE_OPTIONS_INIT;
    o.synchronous = 7;
    assert_int_equal(cib_sqlite_open(newer, &o, &st, err, sizeof err), CIB_EINVAL);
    assert_non_null(strstr(err, "synchronous"));
    o.synchronous = CIB_SQLITE_FULL;
    o.size = 3;
    assert_int_equal(cib_sqlite_open(newer, &o, &st, err, sizeof err), CIB_EINVAL);
    int v;
    assert_int_equal(cib_sqlite_schema_version(NULL, &v, err, sizeof err), CIB_EINVAL);
}

/* A corrupt database is never loaded half: opening a context on it fails
 * with a storage error that says so. */
static void test_corrupt_file_not_loaded_R_HOST_1(void **state)
{
    (void)state;
    char path[420];
    snprintf(path, sizeof path, "%s", sqlitetest_path());
    cib_store st;
    char err[512];
    assert_int_equal(cib_sqlite_open(path, &creating, &st, err, sizeof err), CIB_OK);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    cib_ctx *ctx;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    cib_user_def u = CIB_USER_DEF_INIT;
    char id[32];
    for (int i = 0; i < 400; i++) {
        snprintf(id, sizeof id, "user-%04d", i);
        u.id = id;
        u.name = "A name long enough to fill pages of the users table";
        assert_int_equal(cib_user_add(ctx, &u), CIB_OK);
    }
    cib_ctx_free(ctx);
    st.close(st.user_data);
    /* Scribble over pages in the middle of the file (not the header). */
    FILE *f = fopen(path, "r+b");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    assert_true(size > 8 * 4096);
    for (long off = 2 * 4096; off < size - 4096; off += 4 * 4096) {
        fseek(f, off + 100, SEEK_SET);
        for (int i = 0; i < 2000; i++)
            fputc(0xA5, f);
    }
    fclose(f);
    char buf[512] = "";
    o.error_buffer = buf;
    o.error_buffer_size = sizeof buf;
    int rc = cib_sqlite_open(path, NULL, &st, err, sizeof err);
    if (rc == CIB_OK) {
        o.store = &st;
        ctx = NULL;
        rc = cib_ctx_new(&o, &ctx);
        assert_null(ctx);
        st.close(st.user_data);
        assert_int_equal(rc, CIB_ESTORAGE);
        assert_true(strstr(buf, "malformed") || strstr(buf, "corrupt") || strstr(buf, "storage"));
    } else {
        assert_int_equal(rc, CIB_ESTORAGE);
    }
}

/* Version 1 kept the Messenger window on conversations; opening such a
 * database migrates it in one transaction, to the same account. */
static void test_migration_from_v1_R_HOST_1(void **state)
{
    (void)state;
    char path[420];
    snprintf(path, sizeof path, "%s", sqlitetest_path());
    cib_store st;
    char err[512];
    assert_int_equal(cib_sqlite_open(path, &creating, &st, err, sizeof err), CIB_OK);
    int64_t now = TENV_EPOCH_MS;
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    o.hash_seed = 42;
    cib_ctx *ctx;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "fb";
    d.inbox = "default";
    d.type = CIB_CHANNEL_MESSENGER;
    d.address = "page-1";
    assert_int_equal(cib_channel_add(ctx, &d), CIB_OK);
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = "fb";
    m.msg_id = "f1";
    m.from = "psid-1";
    m.text = "Hi";
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    assert_int_equal(cib_ingest(ctx, &m, &r), CIB_OK);
    char *want;
    size_t n;
    assert_int_equal(cib_dump(ctx, &want, &n), CIB_OK);
    cib_ctx_free(ctx);
    st.close(st.user_data);
    (void)now;
    /* Turn it into the version 1 shape: the window back on conversations,
     * rowid tables. */
    char v1path[430];
    snprintf(v1path, sizeof v1path, "%s.v1", path);
    sqlite3 *v1 = raw(v1path);
    assert_int_equal(sq_schema_create_v1(v1), SQLITE_OK);
    char attach[512];
    snprintf(attach, sizeof attach, "ATTACH '%s' AS cur", path);
    exec_sql(v1, attach);
    for (size_t i = 0; i < sq_n_tables; i++) {
        const char *t = sq_tables[i].name;
        char sql[1024];
        if (!strcmp(t, "contacts"))
            snprintf(sql, sizeof sql,
                     "INSERT INTO contacts SELECT id, email, owner, created_at, addresses FROM "
                     "cur.contacts");
        else if (!strcmp(t, "conversations"))
            snprintf(sql, sizeof sql,
                     "INSERT INTO conversations SELECT id, inbox, channel, contact, assignee, "
                     "reason, status, created_at, last_inbound_at, first_reply_at, closed_at, "
                     "n_messages, (SELECT window_extra FROM cur.contacts c WHERE c.id = "
                     "x.contact), thread, property_keys, property_values, queued, ticket FROM "
                     "cur.conversations x");
        else
            snprintf(sql, sizeof sql, "INSERT INTO %s SELECT * FROM cur.%s", t, t);
        exec_sql(v1, sql);
    }
    exec_sql(v1, "DETACH cur");
    sqlite3_close(v1);
    int version;
    assert_int_equal(cib_sqlite_schema_version(v1path, &version, err, sizeof err), CIB_OK);
    assert_int_equal(version, 1);
    assert_int_equal(cib_sqlite_open(v1path, NULL, &st, err, sizeof err), CIB_OK);
    assert_int_equal(cib_sqlite_schema_version(v1path, &version, err, sizeof err), CIB_OK);
    assert_int_equal(version, CIB_SQLITE_SCHEMA_VERSION);
    o.store = &st;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    char *got;
    assert_int_equal(cib_dump(ctx, &got, &n), CIB_OK);
    assert_string_equal(got, want);
    cib_free(ctx, got);
    cib_free(ctx, want);
    cib_ctx_free(ctx);
    st.close(st.user_data);
    /* The migrated schema is the fresh one: the same columns, keys and
     * indexes, table by table. */
    sqlite3 *a = raw(v1path), *b = raw(path);
    for (size_t i = 0; i < sq_n_tables; i++) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT group_concat(name || ':' || type || ':' || pk, ',') FROM "
                 "pragma_table_info('%s')",
                 sq_tables[i].name);
        char *x = query_text(a, sql), *y = query_text(b, sql);
        assert_string_equal(x, y);
        free(x);
        free(y);
        snprintf(sql, sizeof sql,
                 "SELECT group_concat(name || ':' || origin, ',') FROM (SELECT * FROM "
                 "pragma_index_list('%s') ORDER BY name)",
                 sq_tables[i].name);
        x = query_text(a, sql);
        y = query_text(b, sql);
        assert_string_equal(x, y);
        free(x);
        free(y);
        snprintf(sql, sizeof sql,
                 "SELECT sql LIKE '%%WITHOUT ROWID%%' FROM sqlite_master WHERE name = '%s'",
                 sq_tables[i].name);
        if (query_int(a, sql) != !sq_tables[i].int_key)
            fail_msg("table %s: WITHOUT ROWID should be %d", sq_tables[i].name,
                     !sq_tables[i].int_key);
    }
    sqlite3_close(a);
    sqlite3_close(b);
}

/* Version 2 had no (inbox, status) index, so a page of closed conversations
 * read every conversation of the inbox; opening a version-2 database adds
 * it (and drops the inbox index it covers), keeping the account, and pages
 * are then answered from it. */
static void test_migration_from_v2_adds_the_page_index_R_HOST_1(void **state)
{
    (void)state;
    char path[420], v2path[430];
    snprintf(path, sizeof path, "%s", sqlitetest_path());
    snprintf(v2path, sizeof v2path, "%s.v2", path);
    cib_store st;
    char err[512];
    assert_int_equal(cib_sqlite_open(path, &creating, &st, err, sizeof err), CIB_OK);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    o.hash_seed = 42;
    cib_ctx *ctx;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
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
    uint64_t ids[6];
    for (int i = 0; i < 6; i++) {
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
        if (i % 2 == 0)
            assert_int_equal(cib_close(ctx, "alice", CIB_NTS, ids[i]), CIB_OK);
    }
    char *want;
    size_t n;
    assert_int_equal(cib_dump(ctx, &want, &n), CIB_OK);
    cib_ctx_free(ctx);
    st.close(st.user_data);
    /* The same rows in a database of version 2. */
    sqlite3 *v2 = raw(v2path);
    assert_int_equal(sq_schema_create_v2(v2), SQLITE_OK);
    char sql[1024];
    snprintf(sql, sizeof sql, "ATTACH '%s' AS cur", path);
    exec_sql(v2, sql);
    for (size_t i = 0; i < sq_n_tables; i++) {
        snprintf(sql, sizeof sql, "INSERT INTO %s SELECT * FROM cur.%s", sq_tables[i].name,
                 sq_tables[i].name);
        exec_sql(v2, sql);
    }
    exec_sql(v2, "DETACH cur");
    assert_int_equal(query_int(v2, "SELECT count(*) FROM sqlite_master WHERE name = "
                                   "'idx_conversations_inbox_status'"),
                     0);
    sqlite3_close(v2);
    int version;
    assert_int_equal(cib_sqlite_schema_version(v2path, &version, err, sizeof err), CIB_OK);
    assert_int_equal(version, 2);
    assert_int_equal(cib_sqlite_open(v2path, NULL, &st, err, sizeof err), CIB_OK);
    assert_int_equal(cib_sqlite_schema_version(v2path, &version, err, sizeof err), CIB_OK);
    assert_int_equal(version, CIB_SQLITE_SCHEMA_VERSION);
    o.store = &st;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    char *got;
    assert_int_equal(cib_dump(ctx, &got, &n), CIB_OK);
    assert_string_equal(got, want);
    cib_free(ctx, got);
    cib_free(ctx, want);
    /* Pages of two closed conversations, from the index. */
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.inbox = "default";
    q.status = CIB_STATUS_CLOSED;
    uint64_t page[2], next;
    assert_int_equal(cib_view(ctx, &q, page, 2, &n, &next), CIB_OK);
    assert_int_equal(n, 2);
    assert_true(page[0] == ids[0] && page[1] == ids[2] && next == ids[2]);
    q.after = next;
    assert_int_equal(cib_view(ctx, &q, page, 2, &n, &next), CIB_OK);
    assert_true(n == 1 && page[0] == ids[4] && next == 0);
    cib_ctx_free(ctx);
    st.close(st.user_data);
    /* The migrated indexes are the fresh ones, and the page query reads the
     * new one in id order (no sort). */
    sqlite3 *a = raw(v2path), *b = raw(path);
    const char *idx = "SELECT group_concat(name, ',') FROM (SELECT name FROM sqlite_master WHERE "
                      "type = 'index' AND sql IS NOT NULL ORDER BY name)";
    char *x = query_text(a, idx), *y = query_text(b, idx);
    assert_string_equal(x, y);
    assert_non_null(strstr(x, "idx_conversations_inbox_status"));
    assert_null(strstr(x, "idx_conversations_inbox,"));
    free(x);
    free(y);
    sqlite3_stmt *plan;
    assert_int_equal(sqlite3_prepare_v2(a,
                                        "EXPLAIN QUERY PLAN SELECT id FROM conversations WHERE "
                                        "inbox = 'default' AND status = 'closed' AND id > 0 "
                                        "ORDER BY id LIMIT 50",
                                        -1, &plan, NULL),
                     SQLITE_OK);
    char details[512] = "";
    while (sqlite3_step(plan) == SQLITE_ROW) {
        size_t len = strlen(details);
        snprintf(details + len, sizeof details - len, "%s;",
                 (const char *)sqlite3_column_text(plan, 3));
    }
    sqlite3_finalize(plan);
    x = details;
    if (!x || !strstr(x, "idx_conversations_inbox_status") || strstr(x, "TEMP B-TREE"))
        fail_msg("page query plan: %s", x);
    sqlite3_close(a);
    sqlite3_close(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_database_R_HOST_1),
        cmocka_unit_test(test_account_survives_reopen_R_HOST_1),
        cmocka_unit_test(test_redelivery_months_later_R_CONV_3),
        cmocka_unit_test(test_plain_sql_tables_R_HOST_1),
        cmocka_unit_test(test_inbox_removed_leaves_no_rows_R_INBOX_3),
        cmocka_unit_test(test_refused_files_R_HOST_1),
        cmocka_unit_test(test_corrupt_file_not_loaded_R_HOST_1),
        cmocka_unit_test(test_migration_from_v1_R_HOST_1),
        cmocka_unit_test(test_migration_from_v2_adds_the_page_index_R_HOST_1),
    };
    int rc = TENV_RUN(tests);
    sqlitetest_cleanup();
    return rc;
}
