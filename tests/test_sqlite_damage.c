/* test_sqlite_damage.c - libconvinbox-sqlite and a damaged file (R-HOST-1,
 * R-INBOX-3): an index that disagrees with its table while quick_check
 * still says ok, rows naming rows that do not exist. Removing an inbox
 * fails cleanly instead of leaving rows behind, opening refuses naming the
 * table and row, and cib_sqlite_check() reports the problem. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/sqlitetest.h"

/* The index the library's lookups by inbox go through. */
#define IDX "idx_conversations_inbox_status"

static sqlite3 *raw(const char *path)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    return db;
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
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

/* A store and context on a new file: inbox "x" (name "Sales") with an
 * email channel and `n` conversations, one conversation in the default
 * inbox. */
typedef struct acct {
    char path[420];
    cib_store st;
    cib_ctx *ctx;
    char err[512];
} acct;

static void ingest(acct *a, const char *channel, const char *msg_id, const char *from)
{
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = channel;
    m.msg_id = msg_id;
    m.from = from;
    m.text = "hello";
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    if (cib_ingest(a->ctx, &m, &r) != CIB_OK)
        fail_msg("cib_ingest: %s", cib_errmsg(a->ctx));
}

static void open_acct(acct *a, int create)
{
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.flags = create ? CIB_SQLITE_CREATE : 0;
    if (cib_sqlite_open(a->path, &so, &a->st, a->err, sizeof a->err) != CIB_OK)
        fail_msg("cib_sqlite_open: %s", a->err);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &a->st;
    o.error_buffer = a->err;
    o.error_buffer_size = sizeof a->err;
    if (cib_ctx_new(&o, &a->ctx) != CIB_OK)
        fail_msg("cib_ctx_new: %s", a->err);
}

static void close_acct(acct *a)
{
    cib_ctx_free(a->ctx);
    a->st.close(a->st.user_data);
    a->ctx = NULL;
}

static void build(acct *a, int n)
{
    snprintf(a->path, sizeof a->path, "%s", sqlitetest_path());
    open_acct(a, 1);
    cib_inbox_def ib = CIB_INBOX_DEF_INIT;
    ib.id = "x";
    ib.name = "Sales";
    if (cib_inbox_add(a->ctx, &ib) != CIB_OK)
        fail_msg("cib_inbox_add: %s", cib_errmsg(a->ctx));
    const char *chans[] = {"xm", "dm"}, *inboxes[] = {"x", "default"};
    const char *addrs[] = {"sales@acme.test", "help@acme.test"};
    for (int i = 0; i < 2; i++) {
        cib_channel_def d = CIB_CHANNEL_DEF_INIT;
        d.id = chans[i];
        d.inbox = inboxes[i];
        d.type = CIB_CHANNEL_EMAIL;
        d.address = addrs[i];
        if (cib_channel_add(a->ctx, &d) != CIB_OK)
            fail_msg("cib_channel_add: %s", cib_errmsg(a->ctx));
    }
    for (int i = 0; i < n; i++) {
        char id[16], from[32];
        snprintf(id, sizeof id, "m%d", i);
        snprintf(from, sizeof from, "buyer%d@example.test", i);
        ingest(a, "xm", id, from);
    }
    ingest(a, "dm", "d0", "someone@example.test");
}

/* Damage the index of conversations that finds them by inbox (on inbox
 * and status): rebuilt without the entry of conversation `victim`, then
 * declared as the full index again. The table and its index still pass
 * quick_check, not integrity_check. */
static void damage_index(const char *path, long long victim)
{
    sqlite3 *db = raw(path);
    char sql[512];
    snprintf(sql, sizeof sql,
             "DROP INDEX " IDX "; CREATE INDEX " IDX " ON conversations (inbox, status) WHERE "
             "id <> %lld; PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = 'CREATE "
             "INDEX " IDX " ON conversations (inbox, status)' WHERE name = '" IDX "'; PRAGMA "
             "writable_schema = OFF",
             victim);
    exec_sql(db, sql);
    sqlite3_close(db);
    db = raw(path);
    char *qc = query_text(db, "PRAGMA quick_check");
    assert_string_equal(qc, "ok");
    free(qc);
    char *ic = query_text(db, "PRAGMA integrity_check");
    assert_string_not_equal(ic, "ok");
    free(ic);
    /* Through the index, inbox x has one conversation less. */
    assert_int_equal(
        query_int(db, "SELECT count(*) FROM conversations INDEXED BY " IDX " WHERE inbox = 'x'") +
            1,
        query_int(db, "SELECT count(*) FROM conversations NOT INDEXED WHERE inbox = "
                      "'x'"));
    sqlite3_close(db);
}

static long long victim_of(const char *path)
{
    sqlite3 *db = raw(path);
    long long v = query_int(db, "SELECT max(id) FROM conversations WHERE inbox = 'x'");
    sqlite3_close(db);
    return v;
}

/* What the file holds, table by table (row counts). */
static char *counts(const char *path)
{
    sqlite3 *db = raw(path);
    char *t = query_text(db, "SELECT (SELECT count(*) FROM inboxes) || ' ' || (SELECT count(*) "
                             "FROM channels) || ' ' || (SELECT count(*) FROM conversations "
                             "NOT INDEXED) || ' ' || (SELECT count(*) FROM messages) || ' ' || "
                             "(SELECT count(*) FROM dedup_keys) || ' ' || (SELECT count(*) FROM "
                             "threads)");
    sqlite3_close(db);
    return t;
}

/* R-INBOX-3: an index hides a conversation of the inbox from the deletes:
 * cib_inbox_remove() fails with CIB_ESTORAGE naming the table, and changes
 * nothing, in the file or in the context. */
static void test_inbox_remove_damaged_index_changes_nothing_R_INBOX_3(void **state)
{
    (void)state;
    acct a;
    build(&a, 4);
    long long victim = victim_of(a.path);
    damage_index(a.path, victim); /* while the store is open */
    char *file_before = counts(a.path);
    char *dump_before = NULL;
    assert_int_equal(cib_dump(a.ctx, &dump_before, NULL), CIB_OK);
    int rc = cib_inbox_remove(a.ctx, "x", CIB_NTS, "Sales", CIB_NTS);
    if (rc != CIB_ESTORAGE)
        fail_msg("cib_inbox_remove on a damaged index: %s (%s)", cib_status_name(rc),
                 cib_errmsg(a.ctx));
    const char *msg = cib_errmsg(a.ctx);
    assert_non_null(strstr(msg, "table conversations still holds 1 of its rows"));
    assert_non_null(strstr(msg, "nothing was removed"));
    char *file_after = counts(a.path);
    assert_string_equal(file_before, file_after);
    char *dump_after = NULL;
    assert_int_equal(cib_dump(a.ctx, &dump_after, NULL), CIB_OK);
    assert_string_equal(dump_before, dump_after);
    cib_free(a.ctx, dump_before);
    cib_free(a.ctx, dump_after);
    free(file_before);
    free(file_after);
    /* The check names the damage. */
    char err[512];
    assert_int_equal(cib_sqlite_check(&a.st, err, sizeof err), CIB_ESTORAGE);
    assert_non_null(strstr(err, "damaged: integrity_check"));
    assert_non_null(strstr(err, IDX));
    close_acct(&a);
    /* Opening refuses it, naming the index, the table and the row. */
    cib_store st;
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    assert_int_equal(cib_sqlite_open(a.path, &so, &st, err, sizeof err), CIB_ESTORAGE);
    char row[64];
    snprintf(row, sizeof row, "conversations row %lld: missing from index", victim);
    if (!strstr(err, row) || !strstr(err, IDX) ||
        !strstr(err, "disagrees with table conversations"))
        fail_msg("want '%s ...', got: %s", row, err);
    /* Repaired (REINDEX), the inbox goes, with all of its rows. */
    sqlite3 *db = raw(a.path);
    exec_sql(db, "REINDEX " IDX);
    sqlite3_close(db);
    open_acct(&a, 0);
    assert_int_equal(cib_sqlite_check(&a.st, err, sizeof err), CIB_OK);
    if (cib_inbox_remove(a.ctx, "x", CIB_NTS, "Sales", CIB_NTS) != CIB_OK)
        fail_msg("cib_inbox_remove after REINDEX: %s", cib_errmsg(a.ctx));
    close_acct(&a);
    db = raw(a.path);
    assert_int_equal(query_int(db, "SELECT count(*) FROM conversations NOT INDEXED WHERE inbox "
                                   "= 'x'"),
                     0);
    sqlite3_close(db);
}

/* R-HOST-1: rows that name rows that do not exist: opening refuses with
 * the table and the row; rows a context does not load (a message without
 * its conversation) are what cib_sqlite_check() finds. */
static void test_dangling_rows_named_R_HOST_1(void **state)
{
    (void)state;
    acct a;
    build(&a, 2);
    char err[512];
    assert_int_equal(cib_sqlite_check(&a.st, err, sizeof err), CIB_OK);
    assert_string_equal(err, "");
    close_acct(&a);
    sqlite3 *db = raw(a.path);
    long long victim = query_int(db, "SELECT min(id) FROM conversations WHERE inbox = 'x'");
    /* A message whose conversation is gone: opens (a context does not load
     * messages), and the check names it. */
    exec_sql(db, "UPDATE messages SET conversation = 999999 WHERE id = (SELECT max(id) FROM "
                 "messages)");
    long long msg = query_int(db, "SELECT max(id) FROM messages");
    sqlite3_close(db);
    open_acct(&a, 0);
    assert_int_equal(cib_sqlite_check(&a.st, err, sizeof err), CIB_ESTORAGE);
    char want[128];
    snprintf(want, sizeof want, "damaged: messages row %lld: conversation '999999' does not exist",
             msg);
    assert_string_equal(err, want);
    close_acct(&a);
    /* The inbox row is gone and its conversations stay: refused at open. */
    db = raw(a.path);
    exec_sql(db, "DELETE FROM inboxes WHERE id = 'x'");
    sqlite3_close(db);
    cib_store st;
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    assert_int_equal(cib_sqlite_open(a.path, &so, &st, err, sizeof err), CIB_ESTORAGE);
    snprintf(want, sizeof want, "conversations row %lld: inbox 'x' does not exist", victim);
    if (!strstr(err, want) || !strstr(err, "damaged"))
        fail_msg("want '%s', got: %s", want, err);
    /* Bad arguments. */
    assert_int_equal(cib_sqlite_check(NULL, err, sizeof err), CIB_EINVAL);
    assert_non_null(strstr(err, "'st'"));
    cib_store mem;
    assert_int_equal(cib_memstore_new(NULL, &mem), CIB_OK);
    assert_int_equal(cib_sqlite_check(&mem, err, sizeof err), CIB_EINVAL);
    assert_non_null(strstr(err, "not a store of cib_sqlite_open()"));
    mem.close(mem.user_data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inbox_remove_damaged_index_changes_nothing_R_INBOX_3),
        cmocka_unit_test(test_dangling_rows_named_R_HOST_1),
    };
    int rc = TENV_RUN(tests);
    sqlitetest_cleanup();
    return rc;
}
