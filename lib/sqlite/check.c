/* check.c - the consistency of a database (see check.h). Every query reads
 * the table being checked itself (NOT INDEXED): an index that disagrees with
 * its table must not hide the rows it misses. */
#include "check.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "schema.h"

static int say(char *err, size_t size, int rc, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int say(char *err, size_t size, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && size)
        vsnprintf(err, size, fmt, ap);
    va_end(ap);
    return rc;
}

static int sql_failed(sqlite3 *db, char *err, size_t size, const char *what)
{
    return say(err, size, SQ_CHECK_ERROR, "%s: %s", what, sqlite3_errmsg(db));
}

static const char *text_or(sqlite3_stmt *st, int col, const char *none)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : none;
}

/* A column that names a row of another table. */
typedef struct ref {
    int deep;
    const char *table, *key, *col; /* table.col of the row keyed `key` ... */
    const char *target, *tkey;     /* ... names target.tkey */
    const char *what;              /* the named row, in the message */
} ref;

static const ref refs[] = {
    {0, "conversations", "id", "inbox", "inboxes", "id", "inbox"},
    {0, "conversations", "id", "channel", "channels", "id", "channel"},
    {0, "conversations", "id", "contact", "contacts", "id", "contact"},
    {0, "conversations", "id", "ticket", "tickets", "id", "ticket"},
    {0, "channels", "id", "inbox", "inboxes", "id", "inbox"},
    {0, "tickets", "id", "conversation", "conversations", "id", "conversation"},
    {0, "threads", "key", "conversation", "conversations", "id", "conversation"},
    {0, "dedup_keys", "key", "conversation", "conversations", "id", "conversation"},
    {1, "messages", "id", "conversation", "conversations", "id", "conversation"},
    {1, "dedup_keys", "key", "message", "messages", "id", "message"},
};

/* One query returning (key, value) of the first bad row, if any: "<table>
 * row <key>: <before>'<value>'<after>". */
static int first_bad(sqlite3 *db, const char *sql, const char *table, const char *before,
                     const char *after, char *err, size_t size)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return sql_failed(db, err, size, "preparing a consistency check");
    int rc = sqlite3_step(st), out = SQ_CHECK_OK;
    if (rc == SQLITE_ROW) {
        out = say(err, size, SQ_CHECK_BAD, "%s row %s: %s'%.100s'%s", table, text_or(st, 0, "NULL"),
                  before, text_or(st, 1, "NULL"), after);
    } else if (rc != SQLITE_DONE) {
        out = sql_failed(db, err, size, table);
    }
    sqlite3_finalize(st);
    return out;
}

static int check_refs(sqlite3 *db, int deep, char *err, size_t size)
{
    char sql[512], before[32];
    int rc = SQ_CHECK_OK;
    for (size_t i = 0; i < sizeof refs / sizeof refs[0] && rc == SQ_CHECK_OK; i++) {
        const ref *r = &refs[i];
        if (r->deep > deep)
            continue;
        snprintf(sql, sizeof sql,
                 "SELECT t.%s, t.%s FROM %s AS t NOT INDEXED WHERE t.%s IS NOT NULL AND NOT "
                 "EXISTS (SELECT 1 FROM %s AS x WHERE x.%s = t.%s) LIMIT 1",
                 r->key, r->col, r->table, r->col, r->target, r->tkey, r->col);
        snprintf(before, sizeof before, "%s ", r->what);
        rc = first_bad(db, sql, r->table, before, " does not exist", err, size);
    }
    /* A conversation's channel is in the conversation's inbox. */
    if (rc == SQ_CHECK_OK)
        rc = first_bad(db,
                       "SELECT c.id, c.channel FROM conversations AS c NOT INDEXED JOIN channels "
                       "AS ch ON ch.id = c.channel WHERE ch.inbox IS NOT c.inbox LIMIT 1",
                       "conversations", "channel ", " is in another inbox", err, size);
    return rc;
}

static int count_of(sqlite3 *db, const char *sql, long long *n, char *err, size_t size)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return sql_failed(db, err, size, "preparing an index check");
    int rc = sqlite3_step(st);
    *n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? SQ_CHECK_OK : sql_failed(db, err, size, "counting index entries");
}

/* Each index of the schema has one entry per row of its table (the rows
 * the library finds by its columns, `cols`: "a" or "a, b", named
 * idx_TABLE_a_b as schema.c names it); the first row missing from it
 * named. */
static int check_index(sqlite3 *db, const sq_table *t, const char *cols, char *err, size_t size)
{
    char sql[1024], idx[128], first[64], match[512];
    size_t n = 0, f = 0, m = 0;
    n = (size_t)snprintf(idx, sizeof idx, "idx_%s_", t->name);
    for (const char *c = cols; *c && n + 1 < sizeof idx; c++)
        if (*c != ' ')
            idx[n++] = *c == ',' ? '_' : *c;
    idx[n] = '\0';
    for (const char *c = cols; *c && *c != ',' && f + 1 < sizeof first; c++)
        if (*c != ' ')
            first[f++] = *c;
    first[f] = '\0';
    /* "u.a IS t.a AND u.b IS t.b AND " */
    for (const char *c = cols; *c;) {
        char col[64];
        size_t k = 0;
        while (*c == ' ' || *c == ',')
            c++;
        while (*c && *c != ',' && *c != ' ' && k + 1 < sizeof col)
            col[k++] = *c++;
        col[k] = '\0';
        if (k && m < sizeof match)
            m += (size_t)snprintf(match + m, sizeof match - m, "u.%s IS t.%s AND ", col, col);
    }
    long long in_index, in_table;
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s INDEXED BY %s WHERE %s IS NOT NULL", t->name,
             idx, first);
    int rc = count_of(db, sql, &in_index, err, size);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s NOT INDEXED WHERE %s IS NOT NULL", t->name,
             first);
    if (rc == SQ_CHECK_OK)
        rc = count_of(db, sql, &in_table, err, size);
    if (rc != SQ_CHECK_OK || in_index == in_table)
        return rc;
    snprintf(sql, sizeof sql,
             "SELECT t.%s, t.%s FROM %s AS t NOT INDEXED WHERE t.%s IS NOT NULL AND NOT EXISTS "
             "(SELECT 1 FROM %s AS u INDEXED BY %s WHERE %su.%s = t.%s) LIMIT 1",
             t->key, first, t->name, first, t->name, idx, match, t->key, t->key);
    char before[160], after[128];
    snprintf(before, sizeof before, "missing from index %s (%s ", idx, first);
    snprintf(after, sizeof after, "): the index disagrees with table %s", t->name);
    rc = first_bad(db, sql, t->name, before, after, err, size);
    if (rc == SQ_CHECK_OK)
        rc = say(err, size, SQ_CHECK_BAD,
                 "index %s disagrees with table %s: %lld entries for %lld rows", idx, t->name,
                 in_index, in_table);
    return rc;
}

static int check_indexes(sqlite3 *db, int deep, char *err, size_t size)
{
    int rc = SQ_CHECK_OK;
    for (size_t i = 0; i < sq_n_tables && rc == SQ_CHECK_OK; i++) {
        const sq_table *t = &sq_tables[i];
        if (!deep && strcmp(t->name, "conversations"))
            continue;
        for (size_t c = 0; t->indexed[c] && rc == SQ_CHECK_OK; c++)
            rc = check_index(db, t, t->indexed[c], err, size);
    }
    return rc;
}

static int integrity_check(sqlite3 *db, char *err, size_t size)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &st, NULL) != SQLITE_OK)
        return sql_failed(db, err, size, "preparing integrity_check");
    int rc = sqlite3_step(st), out = SQ_CHECK_OK;
    if (rc == SQLITE_ROW && strcmp(text_or(st, 0, ""), "ok"))
        out = say(err, size, SQ_CHECK_BAD, "integrity_check: %s", text_or(st, 0, ""));
    else if (rc != SQLITE_ROW)
        out = sql_failed(db, err, size, "integrity_check");
    sqlite3_finalize(st);
    return out;
}

int sq_check(sqlite3 *db, int deep, char *err, size_t size)
{
    int rc = deep ? integrity_check(db, err, size) : SQ_CHECK_OK;
    if (rc == SQ_CHECK_OK)
        rc = check_refs(db, deep, err, size);
    if (rc == SQ_CHECK_OK)
        rc = check_indexes(db, deep, err, size);
    return rc;
}

int sq_check_inbox_gone(sqlite3 *db, const char *inbox, size_t len, char *err, size_t size)
{
    char sql[256];
    int rc = SQ_CHECK_OK;
    for (size_t i = 0; i < sq_n_tables && rc == SQ_CHECK_OK; i++) {
        const sq_table *t = &sq_tables[i];
        int has_inbox = 0;
        for (size_t c = 0; c < t->n_cols; c++)
            has_inbox |= !strcmp(t->cols[c].name, "inbox");
        if (!has_inbox)
            continue;
        snprintf(sql, sizeof sql, "SELECT count(*), min(%s) FROM %s NOT INDEXED WHERE inbox = ?",
                 t->key, t->name);
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            return sql_failed(db, err, size, "preparing the check of an inbox's removal");
        sqlite3_bind_text(st, 1, inbox, (int)len, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step != SQLITE_ROW)
            rc = sql_failed(db, err, size, "checking an inbox's removal");
        else if (sqlite3_column_int64(st, 0) > 0)
            rc = say(err, size, SQ_CHECK_BAD,
                     "removing inbox '%.*s': table %s still holds %lld of its rows (row %s "
                     "first) after they were deleted: an index of the database disagrees with its "
                     "table (cib_sqlite_check() names it); nothing was removed",
                     (int)(len > 64 ? 64 : len), inbox, t->name, sqlite3_column_int64(st, 0),
                     text_or(st, 1, "NULL"));
        sqlite3_finalize(st);
    }
    return rc;
}
