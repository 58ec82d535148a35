/* schema.c - tables, versions and migrations (see schema.h). */
#include "schema.h"

#include <stdio.h>
#include <string.h>

#include "convinbox/sqlite.h"

#define COLS(...)                                                                                  \
    ((const sq_col[]){__VA_ARGS__}), (sizeof((const sq_col[]){__VA_ARGS__}) / sizeof(sq_col))
#define IDX(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_IDX   ((const char *const[]){NULL})

/* Columns in the order the library writes its fields (puts bind faster). */
const sq_table sq_tables[] = {
    {CIB_KIND_ACCOUNT, "account", "key", 0,
     COLS({"format", 'I'}, {"created_at", 'I'}, {"next_id", 'I'}, {"secret", 'I'}), NO_IDX},
    {CIB_KIND_USER, "users", "id", 0,
     COLS({"name", 'T'}, {"email", 'T'}, {"seat", 'T'}, {"role", 'T'}, {"created_at", 'I'},
          {"status", 'T'}, {"reassign_replies", 'I'}, {"capacity", 'I'}, {"seq", 'I'}),
     NO_IDX},
    {CIB_KIND_TEAM, "teams", "id", 0, COLS({"members", 'L'}), NO_IDX},
    {CIB_KIND_CONTACT, "contacts", "id", 0,
     COLS({"email", 'T'}, {"owner", 'T'}, {"created_at", 'I'}, {"addresses", 'L'},
          {"window_at", 'I'}, {"window_extra", 'I'}),
     NO_IDX},
    {CIB_KIND_PIPELINE, "pipelines", "id", 0, COLS({"stages", 'L'}), NO_IDX},
    {CIB_KIND_INBOX, "inboxes", "id", 0,
     COLS({"name", 'T'}, {"is_default", 'I'}, {"access", 'T'}, {"access_users", 'L'},
          {"access_teams", 'L'}, {"created_at", 'I'}),
     NO_IDX},
    {CIB_KIND_CHANNEL, "channels", "id", 0,
     COLS({"inbox", 'T'}, {"type", 'T'}, {"address", 'T'}, {"status", 'T'}, {"sender_name", 'T'},
          {"created_at", 'I'}, {"sender_display", 'T'}, {"company", 'T'}, {"signature", 'T'},
          {"log_forward_to_original", 'I'}, {"threading", 'T'}, {"property_keys", 'L'},
          {"property_values", 'L'}, {"tickets_auto", 'I'}, {"ticket_pipeline", 'T'},
          {"ticket_stage", 'T'}, {"ticket_owner", 'T'}, {"ticket_property_keys", 'L'},
          {"ticket_property_values", 'L'}, {"routing_mode", 'T'}, {"routing_targets", 'L'},
          {"only_available", 'I'}, {"strategy", 'T'}, {"queue", 'I'}, {"availability", 'T'},
          {"tz", 'T'}, {"hours", 'L'}),
     NO_IDX},
    {CIB_KIND_CONVERSATION, "conversations", "id", 1,
     COLS({"inbox", 'T'}, {"channel", 'T'}, {"contact", 'T'}, {"assignee", 'T'}, {"reason", 'T'},
          {"status", 'T'}, {"created_at", 'I'}, {"last_inbound_at", 'I'}, {"first_reply_at", 'I'},
          {"closed_at", 'I'}, {"n_messages", 'I'}, {"thread", 'T'}, {"property_keys", 'L'},
          {"property_values", 'L'}, {"queued", 'I'}, {"ticket", 'D'}),
     IDX("inbox, status", "contact", "status")},
    {CIB_KIND_MESSAGE, "messages", "id", 1,
     COLS({"conversation", 'D'}, {"inbox", 'T'}, {"channel", 'T'}, {"kind", 'T'}, {"author", 'T'},
          {"contact", 'T'}, {"msg_id", 'T'}, {"text", 'T'}, {"created_at", 'I'},
          {"forwarded_by", 'T'}, {"cc", 'L'}, {"attachments", 'L'}),
     IDX("conversation")},
    {CIB_KIND_DEDUP, "dedup_keys", "key", 0,
     COLS({"inbox", 'T'}, {"channel", 'T'}, {"msg_id", 'T'}, {"message", 'D'},
          {"conversation", 'D'}, {"expires_at", 'I'}),
     NO_IDX},
    {CIB_KIND_THREAD, "threads", "key", 0,
     COLS({"inbox", 'T'}, {"channel", 'T'}, {"thread", 'T'}, {"conversation", 'D'}), NO_IDX},
    {CIB_KIND_ROUTING, "routing", "channel", 0, COLS({"cursor", 'T'}), NO_IDX},
    {CIB_KIND_TICKET, "tickets", "id", 1,
     COLS({"conversation", 'D'}, {"inbox", 'T'}, {"channel", 'T'}, {"pipeline", 'T'},
          {"stage", 'T'}, {"owner", 'T'}, {"created_at", 'I'}, {"property_keys", 'L'},
          {"property_values", 'L'}),
     NO_IDX},
};
const size_t sq_n_tables = sizeof sq_tables / sizeof sq_tables[0];

const sq_table *sq_table_of(int kind)
{
    for (size_t i = 0; i < sq_n_tables; i++)
        if (sq_tables[i].kind == kind)
            return &sq_tables[i];
    return NULL;
}

static int exec(sqlite3 *db, const char *sql)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* A table of the current version, under `name` (the table's own, or a
 * temporary one during a migration). Tables keyed by library ids are rowid
 * tables, appended in id order; others are stored in key order (WITHOUT
 * ROWID): one b-tree each, not a table and an index of its keys. */
static int create_table(sqlite3 *db, const sq_table *tb, const char *name)
{
    char sql[2048];
    size_t n = (size_t)snprintf(sql, sizeof sql, "CREATE TABLE %s (%s %s PRIMARY KEY", name,
                                tb->key, tb->int_key ? "INTEGER" : "TEXT");
    for (size_t c = 0; c < tb->n_cols; c++) {
        char t = tb->cols[c].type;
        n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s %s", tb->cols[c].name,
                              t == 'I' || t == 'D' ? "INTEGER" : "TEXT");
    }
    snprintf(sql + n, sizeof sql - n, ")%s", tb->int_key ? "" : " WITHOUT ROWID");
    return exec(db, sql);
}

/* An index on "a, b" is named idx_TABLE_a_b. */
static int create_indexes(sqlite3 *db, const sq_table *tb)
{
    char sql[512], name[128];
    int rc = SQLITE_OK;
    for (size_t i = 0; tb->indexed[i] && rc == SQLITE_OK; i++) {
        size_t n = 0;
        for (const char *c = tb->indexed[i]; *c && n + 1 < sizeof name; c++)
            if (*c != ' ')
                name[n++] = *c == ',' ? '_' : *c;
        name[n] = '\0';
        snprintf(sql, sizeof sql, "CREATE INDEX IF NOT EXISTS idx_%s_%s ON %s (%s)", tb->name, name,
                 tb->name, tb->indexed[i]);
        rc = exec(db, sql);
    }
    return rc;
}

int sq_schema_create(sqlite3 *db)
{
    char sql[256];
    int rc = exec(db, "CREATE TABLE convinbox_meta (key TEXT PRIMARY KEY, value)");
    for (size_t t = 0; t < sq_n_tables && rc == SQLITE_OK; t++) {
        rc = create_table(db, &sq_tables[t], sq_tables[t].name);
        if (rc == SQLITE_OK)
            rc = create_indexes(db, &sq_tables[t]);
    }
    if (rc == SQLITE_OK) {
        snprintf(sql, sizeof sql,
                 "INSERT INTO convinbox_meta VALUES ('schema_version', %d), "
                 "('written_by', 'libconvinbox')",
                 CIB_SQLITE_SCHEMA_VERSION);
        rc = exec(db, sql);
    }
    return rc;
}

/* Version 1, frozen: the Messenger window lived on conversations. */
static const char v1[] =
    "CREATE TABLE convinbox_meta (key TEXT PRIMARY KEY, value);"
    "CREATE TABLE account (key TEXT PRIMARY KEY, format INTEGER, created_at INTEGER, next_id "
    "INTEGER, secret INTEGER);"
    "CREATE TABLE users (id TEXT PRIMARY KEY, name TEXT, email TEXT, seat TEXT, role TEXT, "
    "created_at INTEGER, status TEXT, reassign_replies INTEGER, capacity INTEGER, seq INTEGER);"
    "CREATE TABLE teams (id TEXT PRIMARY KEY, members TEXT);"
    "CREATE TABLE contacts (id TEXT PRIMARY KEY, email TEXT, owner TEXT, created_at INTEGER, "
    "addresses TEXT);"
    "CREATE TABLE pipelines (id TEXT PRIMARY KEY, stages TEXT);"
    "CREATE TABLE inboxes (id TEXT PRIMARY KEY, name TEXT, is_default INTEGER, access TEXT, "
    "access_users TEXT, access_teams TEXT, created_at INTEGER);"
    "CREATE TABLE channels (id TEXT PRIMARY KEY, inbox TEXT, type TEXT, address TEXT, status "
    "TEXT, sender_name TEXT, created_at INTEGER, sender_display TEXT, company TEXT, signature "
    "TEXT, log_forward_to_original INTEGER, threading TEXT, property_keys TEXT, property_values "
    "TEXT, tickets_auto INTEGER, ticket_pipeline TEXT, ticket_stage TEXT, ticket_owner TEXT, "
    "ticket_property_keys TEXT, ticket_property_values TEXT, routing_mode TEXT, routing_targets "
    "TEXT, only_available INTEGER, strategy TEXT, queue INTEGER, availability TEXT, tz TEXT, "
    "hours TEXT);"
    "CREATE TABLE conversations (id TEXT PRIMARY KEY, inbox TEXT, channel TEXT, contact TEXT, "
    "assignee TEXT, reason TEXT, status TEXT, created_at INTEGER, last_inbound_at INTEGER, "
    "first_reply_at INTEGER, closed_at INTEGER, n_messages INTEGER, window_extra_used INTEGER, "
    "thread TEXT, property_keys TEXT, property_values TEXT, queued INTEGER, ticket TEXT);"
    "CREATE INDEX idx_conversations_inbox ON conversations (inbox);"
    "CREATE INDEX idx_conversations_contact ON conversations (contact);"
    "CREATE INDEX idx_conversations_status ON conversations (status);"
    "CREATE TABLE messages (id TEXT PRIMARY KEY, conversation TEXT, inbox TEXT, channel TEXT, "
    "kind TEXT, author TEXT, contact TEXT, msg_id TEXT, text TEXT, created_at INTEGER, "
    "forwarded_by TEXT, cc TEXT, attachments TEXT);"
    "CREATE INDEX idx_messages_conversation ON messages (conversation);"
    "CREATE INDEX idx_messages_inbox ON messages (inbox);"
    "CREATE TABLE dedup_keys (key TEXT PRIMARY KEY, inbox TEXT, channel TEXT, msg_id TEXT, "
    "message TEXT, conversation TEXT, expires_at INTEGER);"
    "CREATE INDEX idx_dedup_keys_inbox ON dedup_keys (inbox);"
    "CREATE TABLE threads (key TEXT PRIMARY KEY, inbox TEXT, channel TEXT, thread TEXT, "
    "conversation TEXT);"
    "CREATE INDEX idx_threads_inbox ON threads (inbox);"
    "CREATE TABLE routing (channel TEXT PRIMARY KEY, cursor TEXT);"
    "CREATE TABLE tickets (id TEXT PRIMARY KEY, conversation TEXT, inbox TEXT, channel TEXT, "
    "pipeline TEXT, stage TEXT, owner TEXT, created_at INTEGER, property_keys TEXT, "
    "property_values TEXT);"
    "CREATE INDEX idx_tickets_inbox ON tickets (inbox);"
    "INSERT INTO convinbox_meta VALUES ('schema_version', 1), ('written_by', 'libconvinbox');";

int sq_schema_create_v1(sqlite3 *db)
{
    return exec(db, v1);
}

/* How a column of version 2 is filled from version 1 (NULL: the column of
 * the same name). The Messenger window moves from conversations to
 * contacts: the contact's last Messenger message, and whether the one extra
 * reply of their latest Messenger conversation was sent. */
static const char *v2_from_v1(const char *table, const char *col)
{
    if (strcmp(table, "contacts"))
        return NULL;
    if (!strcmp(col, "window_at"))
        return "coalesce((SELECT max(c.last_inbound_at) FROM conversations c JOIN channels ch "
               "ON ch.id = c.channel WHERE c.contact = contacts.id AND ch.type = 'messenger'), 0)";
    if (!strcmp(col, "window_extra"))
        return "coalesce((SELECT c.window_extra_used FROM conversations c JOIN channels ch ON "
               "ch.id = c.channel WHERE c.contact = contacts.id AND ch.type = 'messenger' ORDER "
               "BY c.last_inbound_at DESC LIMIT 1), 0)";
    return NULL;
}

/* 1 -> 2: every table is rebuilt in key order (WITHOUT ROWID), with the
 * window's columns moved. New tables are filled first (they may read any
 * old one), then the old ones give way. */
static int v1_to_v2(sqlite3 *db)
{
    char sql[4096];
    int rc = SQLITE_OK;
    for (size_t t = 0; t < sq_n_tables && rc == SQLITE_OK; t++) {
        const sq_table *tb = &sq_tables[t];
        snprintf(sql, sizeof sql, "v2_%s", tb->name);
        rc = create_table(db, tb, sql);
        size_t n =
            (size_t)snprintf(sql, sizeof sql, "INSERT INTO v2_%s SELECT %s", tb->name, tb->key);
        for (size_t c = 0; c < tb->n_cols; c++) {
            const char *expr = v2_from_v1(tb->name, tb->cols[c].name);
            n += (size_t)snprintf(sql + n, sizeof sql - n, ", %s", expr ? expr : tb->cols[c].name);
        }
        snprintf(sql + n, sizeof sql - n, " FROM %s", tb->name);
        if (rc == SQLITE_OK)
            rc = exec(db, sql);
    }
    for (size_t t = 0; t < sq_n_tables && rc == SQLITE_OK; t++) {
        const sq_table *tb = &sq_tables[t];
        snprintf(sql, sizeof sql, "DROP TABLE %s; ALTER TABLE v2_%s RENAME TO %s", tb->name,
                 tb->name, tb->name);
        rc = exec(db, sql);
        if (rc == SQLITE_OK)
            rc = create_indexes(db, tb);
    }
    if (rc == SQLITE_OK)
        rc = exec(db, "UPDATE convinbox_meta SET value = 2 WHERE key = 'schema_version'");
    return rc;
}

/* 2 -> 3: conversations are found by (inbox, status) in id order, a page
 * of a view at a time (find_page): the index on (inbox, status), which also
 * serves lookups by inbox alone, replaces the one on inbox. */
static const char v2_to_v3_sql[] =
    "DROP INDEX IF EXISTS idx_conversations_inbox;"
    "CREATE INDEX IF NOT EXISTS idx_conversations_inbox_status ON conversations (inbox, status);"
    "UPDATE convinbox_meta SET value = 3 WHERE key = 'schema_version'";

static int v2_to_v3(sqlite3 *db)
{
    return exec(db, v2_to_v3_sql);
}

int sq_schema_create_v2(sqlite3 *db)
{
    /* The tables of version 2 are those of version 3; its indexes were on
     * one column each. */
    int rc = sq_schema_create(db);
    if (rc == SQLITE_OK)
        rc = exec(db, "DROP INDEX idx_conversations_inbox_status;"
                      "CREATE INDEX idx_conversations_inbox ON conversations (inbox);"
                      "UPDATE convinbox_meta SET value = 2 WHERE key = 'schema_version'");
    return rc;
}

/* [v]: from version v to v + 1. */
static int (*const migrations[])(sqlite3 *) = {NULL, v1_to_v2, v2_to_v3};

int sq_schema_migrate(sqlite3 *db, int from)
{
    int rc = SQLITE_OK;
    for (int v = from; v < CIB_SQLITE_SCHEMA_VERSION && rc == SQLITE_OK; v++)
        rc = migrations[v](db);
    return rc;
}

int sq_schema_version(sqlite3 *db, int *version)
{
    sqlite3_stmt *st;
    *version = 0;
    int rc = sqlite3_prepare_v2(db,
                                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND "
                                "name = 'convinbox_meta'",
                                -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    int has_meta = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1;
    rc = sqlite3_finalize(st);
    if (rc != SQLITE_OK || !has_meta)
        return rc;
    rc = sqlite3_prepare_v2(db, "SELECT value FROM convinbox_meta WHERE key = 'schema_version'", -1,
                            &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_INTEGER)
        *version = sqlite3_column_int(st, 0);
    else
        *version = -1; /* a meta table without a version: not ours */
    return sqlite3_finalize(st);
}
