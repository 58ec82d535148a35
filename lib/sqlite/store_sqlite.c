/*
 * store_sqlite.c - the storage vtable on SQLite (see convinbox/sqlite.h).
 *
 * Rows map to tables by kind and fields to columns by name (schema.c). Each
 * table's put, delete, get and scan statements are prepared when the store
 * opens; find statements when first used. A read made from inside another
 * read's row callback (the library may look a row up while it scans) gets a
 * statement and decode buffers of its own.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "convinbox/sqlite.h"
#include "lists.h"
#include "schema.h"

#define MAX_COLS  40
#define MAX_DEPTH 4 /* reads nested in row callbacks */
#define MAX_PAGE  4 /* conditions of a find_page */

/* A prepared statement, and whether a read in progress holds it. */
typedef struct sq_stmt {
    sqlite3_stmt *st;
    int busy;
} sq_stmt;

#define MAX_PATCH 16 /* columns of a patch statement that is kept */

typedef struct sq_tab {
    const sq_table *t;
    sq_stmt put, del, get, scan;
    sq_stmt find[MAX_COLS]; /* by column, prepared on first use */
    sq_stmt page;           /* find_page by page_cols[0..page_n) */
    int page_cols[MAX_PAGE];
    size_t page_n;
    /* Patches (apply()): an UPDATE of the columns of one set, kept for the
     * last few sets (bit c: column c), prepared on first use. */
    struct {
        unsigned char col[MAX_PATCH]; /* the columns set, in order */
        size_t n;
        sq_stmt st;
    } patch[4];
    size_t patch_next;
} sq_tab;

/* Buffers for the rows of one read depth. */
typedef struct sq_rowbuf {
    cib_field fields[MAX_COLS];
    sq_buf text, meta, items;
} sq_rowbuf;

typedef struct sq_store {
    sqlite3 *db;
    sq_tab tabs[16];
    sq_stmt begin, commit, rollback;
    int in_tx;
    /* The account is not in the database yet: the first commit that puts
     * its row also records it in convinbox_meta ('account'), so that a
     * database whose account is gone is refused, never taken for a new one;
     * until then every commit is synced (`normal_later`: NORMAL after). */
    int need_marker, marker_in_tx, normal_later, add_marker;
    int depth;
    sq_rowbuf rows[MAX_DEPTH];
    sq_buf lists; /* put: the row's lists, encoded */
    char err[512];
} sq_store;

static int failed(sq_store *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Record why a call failed; the library reads it through errmsg(). */
static int failed(sq_store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    int code = s->db ? sqlite3_errcode(s->db) : SQLITE_ERROR;
    return code == SQLITE_NOMEM ? CIB_ENOMEM : CIB_ESTORAGE;
}

static const char *db_error(sq_store *s)
{
    return sqlite3_errmsg(s->db);
}

static sq_tab *tab_of(sq_store *s, int kind)
{
    for (size_t i = 0; i < sq_n_tables; i++)
        if (s->tabs[i].t->kind == kind)
            return &s->tabs[i];
    return NULL;
}

/* ---- statements ---- */

static int prepare(sq_store *s, sq_stmt *x, const char *sql)
{
    x->busy = 0;
    if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &x->st, NULL) != SQLITE_OK)
        return failed(s, "preparing \"%.80s\": %s", sql, db_error(s));
    return CIB_OK;
}

/* "col1, col2, ..." of a table, after its key. */
static size_t column_list(const sq_table *t, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "%s", t->key);
    for (size_t c = 0; c < t->n_cols; c++)
        n += (size_t)snprintf(buf + n, size - n, ", %s", t->cols[c].name);
    return n;
}

static int prepare_table(sq_store *s, sq_tab *x)
{
    const sq_table *t = x->t;
    char cols[1024], sql[4096];
    column_list(t, cols, sizeof cols);
    /* An upsert, not INSERT OR REPLACE: an update leaves the index entries
     * of unchanged columns alone. */
    size_t n = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (%s) VALUES (?", t->name, cols);
    for (size_t c = 0; c < t->n_cols; c++)
        n += (size_t)snprintf(sql + n, sizeof sql - n, ", ?");
    n += (size_t)snprintf(sql + n, sizeof sql - n, ") ON CONFLICT (%s) DO UPDATE SET ", t->key);
    for (size_t c = 0; c < t->n_cols; c++)
        n += (size_t)snprintf(sql + n, sizeof sql - n, "%s%s = excluded.%s", c ? ", " : "",
                              t->cols[c].name, t->cols[c].name);
    int rc = prepare(s, &x->put, sql);
    if (!rc) {
        snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s = ?", t->name, t->key);
        rc = prepare(s, &x->del, sql);
    }
    if (!rc) {
        snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE %s = ?", cols, t->name, t->key);
        rc = prepare(s, &x->get, sql);
    }
    if (!rc) {
        snprintf(sql, sizeof sql, "SELECT %s FROM %s", cols, t->name);
        rc = prepare(s, &x->scan, sql);
    }
    return rc;
}

/* The statement for a read: the cached one, or a fresh one when a read in
 * progress holds it (finalised by release()). */
static int acquire(sq_store *s, sq_stmt *cached, const char *sql_if_busy, sq_stmt *out)
{
    if (!cached->busy) {
        cached->busy = 1;
        *out = *cached;
        return CIB_OK;
    }
    out->busy = 2; /* transient */
    if (sqlite3_prepare_v2(s->db, sql_if_busy, -1, &out->st, NULL) != SQLITE_OK)
        return failed(s, "preparing a nested read: %s", db_error(s));
    return CIB_OK;
}

static void release(sq_stmt *cached, sq_stmt *used)
{
    if (used->busy == 2) {
        sqlite3_finalize(used->st);
        return;
    }
    sqlite3_reset(used->st);
    sqlite3_clear_bindings(used->st);
    cached->busy = 0;
}

/* ---- transactions ---- */

static int run(sq_store *s, sq_stmt *x, const char *what)
{
    int rc = sqlite3_step(x->st);
    sqlite3_reset(x->st);
    if (rc != SQLITE_DONE)
        return failed(s, "%s: %s", what, db_error(s));
    return CIB_OK;
}

/* Writes only inside a transaction (convinbox/store.h): outside one SQLite
 * would commit each statement on its own. */
static int refused(sq_store *s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static int refused(sq_store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return CIB_EINVAL;
}

static int m_begin(void *ud)
{
    sq_store *s = ud;
    if (s->in_tx)
        return refused(s, "begin: a transaction is already open");
    int rc = run(s, &s->begin, "begin");
    s->in_tx = rc == CIB_OK;
    return rc;
}

static int m_commit(void *ud)
{
    sq_store *s = ud;
    int rc = run(s, &s->commit, "commit");
    if (rc == CIB_OK)
        s->in_tx = 0;
    if (rc == CIB_OK && s->marker_in_tx) {
        /* The account is durable: from now on, the synchronous asked for. */
        s->need_marker = s->marker_in_tx = 0;
        if (s->normal_later)
            sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
        s->normal_later = 0;
    }
    return rc; /* on failure the library rolls back */
}

static void m_rollback(void *ud)
{
    sq_store *s = ud;
    if (sqlite3_get_autocommit(s->db) == 0)
        (void)run(s, &s->rollback, "rollback");
    s->in_tx = 0;
    s->marker_in_tx = 0;
}

/* ---- library ids ---- */

/* A library id in text ("17"): 1, and its value; 0 for anything else. */
static int decimal_id(const char *s, size_t n, sqlite3_int64 *v)
{
    if (n == 0 || n > 18 || (s[0] == '0' && n > 1))
        return 0;
    sqlite3_int64 x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return 1;
}

/* Bind a key, or a value of a 'D' column (`as_id`): an integer when it is a
 * library id. Anything else stays text: an INTEGER column refuses it. */
static void bind_maybe_id(sqlite3_stmt *st, int p, const char *s, size_t n, int as_id)
{
    sqlite3_int64 v;
    if (as_id && decimal_id(s, n, &v))
        sqlite3_bind_int64(st, p, v);
    else
        sqlite3_bind_text(st, p, s, (int)n, SQLITE_STATIC);
}

/* ---- writes ---- */

/* The column of a field: the one after the last match first (the library
 * writes fields in column order), else a search. */
static int column_of(const sq_table *t, const char *name, size_t hint)
{
    if (hint < t->n_cols && !strcmp(t->cols[hint].name, name))
        return (int)hint;
    for (size_t c = 0; c < t->n_cols; c++)
        if (!strcmp(t->cols[c].name, name))
            return (int)c;
    return -1;
}

static int m_put(void *ud, const cib_row *row)
{
    sq_store *s = ud;
    if (!s->in_tx || sqlite3_get_autocommit(s->db))
        return refused(s, "put: no transaction is open");
    if (!row)
        return refused(s, "put: the row is NULL");
    sq_tab *x = tab_of(s, row->kind);
    if (!x)
        return failed(s, "put: unknown row kind %d", row->kind);
    const sq_table *t = x->t;
    sqlite3_stmt *st = x->put.st;
    size_t list_off[MAX_COLS], list_len[MAX_COLS];
    int is_list[MAX_COLS] = {0};
    s->lists.n = 0;
    bind_maybe_id(st, 1, row->key, row->key_len, t->int_key);
    size_t hint = 0;
    int rc = CIB_OK;
    for (size_t i = 0; i < row->n_fields && !rc; i++) {
        const cib_field *f = &row->fields[i];
        int c = column_of(t, f->name, hint);
        if (c < 0) {
            rc = failed(s, "put: table %s has no column '%s'", t->name, f->name);
            break;
        }
        hint = (size_t)c + 1;
        char want = t->cols[c].type;
        int ok = f->type == CIB_FIELD_NULL || (f->type == CIB_FIELD_INT && want == 'I') ||
                 (f->type == CIB_FIELD_TEXT && (want == 'T' || want == 'D')) ||
                 (f->type == CIB_FIELD_LIST && want == 'L');
        if (!ok) {
            rc = failed(s, "put: %s.%s gets a field of type %d", t->name, f->name, f->type);
            break;
        }
        int p = c + 2;
        if (f->type == CIB_FIELD_NULL) {
            sqlite3_bind_null(st, p);
        } else if (f->type == CIB_FIELD_INT) {
            sqlite3_bind_int64(st, p, f->i);
        } else if (f->type == CIB_FIELD_TEXT) {
            bind_maybe_id(st, p, f->text, f->len, want == 'D');
        } else {
            list_off[c] = s->lists.n;
            if (sq_list_encode(&s->lists, f->items, f->item_lens, f->n_items)) {
                rc = failed(s, "put: out of memory encoding %s.%s", t->name, f->name);
                break;
            }
            list_len[c] = s->lists.n - list_off[c];
            is_list[c] = 1;
        }
    }
    /* The lists' buffer has stopped moving: bind them now. */
    for (size_t c = 0; c < t->n_cols && !rc; c++)
        if (is_list[c])
            sqlite3_bind_text(st, (int)c + 2, s->lists.p + list_off[c], (int)list_len[c],
                              SQLITE_STATIC);
    if (!rc && sqlite3_step(st) != SQLITE_DONE)
        rc = failed(s, "put into %s: %s", t->name, db_error(s));
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (!rc && s->need_marker && !s->marker_in_tx && row->kind == CIB_KIND_ACCOUNT) {
        if (sqlite3_exec(s->db, "INSERT OR REPLACE INTO convinbox_meta VALUES ('account', 1)", NULL,
                         NULL, NULL) != SQLITE_OK)
            rc = failed(s, "put into convinbox_meta: %s", db_error(s));
        s->marker_in_tx = rc == CIB_OK;
    }
    return rc;
}

static int m_del(void *ud, int kind, const char *key, size_t key_len)
{
    sq_store *s = ud;
    if (!s->in_tx || sqlite3_get_autocommit(s->db))
        return refused(s, "del: no transaction is open");
    sq_tab *x = tab_of(s, kind);
    if (!x)
        return failed(s, "del: unknown row kind %d", kind);
    bind_maybe_id(x->del.st, 1, key, key_len, x->t->int_key);
    int rc = run(s, &x->del, "del");
    sqlite3_clear_bindings(x->del.st);
    /* An inbox goes after everything in it: check that nothing is left. */
    if (!rc && kind == CIB_KIND_INBOX &&
        sq_check_inbox_gone(s->db, key, key_len, s->err, sizeof s->err) != SQ_CHECK_OK)
        rc = CIB_ESTORAGE;
    return rc;
}

static void finalize(sq_stmt *x);

/* A patch: the fields given, of a row that exists. */
static int m_patch(sq_store *s, const cib_row *row)
{
    sq_tab *x = tab_of(s, row->kind);
    if (!x)
        return failed(s, "patch: unknown row kind %d", row->kind);
    const sq_table *t = x->t;
    if (row->n_fields == 0 || row->n_fields > t->n_cols || row->n_fields > 64)
        return failed(s, "patch of %s: %zu fields", t->name, row->n_fields);
    int col[MAX_COLS];
    uint64_t seen = 0;
    for (size_t i = 0; i < row->n_fields; i++) {
        const cib_field *f = &row->fields[i];
        if ((col[i] = column_of(t, f->name, 0)) < 0)
            return failed(s, "patch: table %s has no column '%s'", t->name, f->name);
        char want = t->cols[col[i]].type;
        int ok = f->type == CIB_FIELD_NULL || (f->type == CIB_FIELD_INT && want == 'I') ||
                 (f->type == CIB_FIELD_TEXT && (want == 'T' || want == 'D')) ||
                 (f->type == CIB_FIELD_LIST && want == 'L');
        if (!ok || (seen >> col[i] & 1))
            return failed(s, "patch: %s.%s gets a field of type %d, or twice", t->name, f->name,
                          f->type);
        seen |= (uint64_t)1 << col[i];
    }
    /* The statement for these columns in this order: kept, or made. */
    sq_stmt *st = NULL, fresh = {NULL, 0};
    size_t nk = sizeof x->patch / sizeof x->patch[0];
    for (size_t k = 0; k < nk && !st && row->n_fields <= MAX_PATCH; k++) {
        int same = x->patch[k].st.st && x->patch[k].n == row->n_fields;
        for (size_t i = 0; same && i < row->n_fields; i++)
            same = x->patch[k].col[i] == col[i];
        if (same)
            st = &x->patch[k].st;
    }
    if (!st) {
        char sql[4096];
        size_t n = (size_t)snprintf(sql, sizeof sql, "UPDATE %s ", t->name);
        for (size_t i = 0; i < row->n_fields; i++)
            n += (size_t)snprintf(sql + n, sizeof sql - n, "%s%s = ?%zu", i ? ", " : "SET ",
                                  t->cols[col[i]].name, i + 1);
        snprintf(sql + n, sizeof sql - n, " WHERE %s = ?%zu", t->key, row->n_fields + 1);
        if (row->n_fields <= MAX_PATCH) {
            size_t k = x->patch_next++ % nk;
            finalize(&x->patch[k].st);
            x->patch[k].n = 0;
            if (prepare(s, &x->patch[k].st, sql))
                return CIB_ESTORAGE;
            for (size_t i = 0; i < row->n_fields; i++)
                x->patch[k].col[i] = (unsigned char)col[i];
            x->patch[k].n = row->n_fields;
            st = &x->patch[k].st;
        } else {
            if (prepare(s, &fresh, sql))
                return CIB_ESTORAGE;
            st = &fresh;
        }
    }
    size_t list_off[MAX_COLS], list_len[MAX_COLS];
    s->lists.n = 0;
    int rc = CIB_OK;
    for (size_t i = 0; i < row->n_fields && !rc; i++) {
        const cib_field *f = &row->fields[i];
        int p = (int)i + 1;
        list_len[i] = SIZE_MAX;
        if (f->type == CIB_FIELD_NULL)
            sqlite3_bind_null(st->st, p);
        else if (f->type == CIB_FIELD_INT)
            sqlite3_bind_int64(st->st, p, f->i);
        else if (f->type == CIB_FIELD_TEXT)
            bind_maybe_id(st->st, p, f->text, f->len, t->cols[col[i]].type == 'D');
        else {
            list_off[i] = s->lists.n;
            if (sq_list_encode(&s->lists, f->items, f->item_lens, f->n_items))
                rc = failed(s, "patch: out of memory encoding %s.%s", t->name, f->name);
            list_len[i] = s->lists.n - list_off[i];
        }
    }
    for (size_t i = 0; i < row->n_fields && !rc; i++)
        if (row->fields[i].type == CIB_FIELD_LIST)
            sqlite3_bind_text(st->st, (int)i + 1, s->lists.p + list_off[i], (int)list_len[i],
                              SQLITE_STATIC);
    if (!rc)
        bind_maybe_id(st->st, (int)row->n_fields + 1, row->key, row->key_len, t->int_key);
    if (!rc && sqlite3_step(st->st) != SQLITE_DONE)
        rc = failed(s, "patch of %s: %s", t->name, db_error(s));
    if (!rc && sqlite3_changes(s->db) != 1)
        rc = failed(s, "patch of %s '%.*s': no such row", t->name, (int)row->key_len, row->key);
    sqlite3_reset(st->st);
    sqlite3_clear_bindings(st->st);
    if (st == &fresh)
        finalize(&fresh);
    return rc;
}

/* A whole transaction (convinbox/store.h, version 3): begin, the changes in
 * order, commit; any failure rolls it all back. */
static int m_apply(void *ud, const cib_change *v, size_t n)
{
    sq_store *s = ud;
    if (s->in_tx)
        return refused(s, "apply: a transaction is open");
    if (!v || n == 0)
        return refused(s, "apply: no changes");
    int rc = m_begin(s);
    for (size_t i = 0; i < n && !rc; i++) {
        const cib_change *c = &v[i];
        if (c->op == CIB_CHANGE_PUT)
            rc = m_put(s, &c->row);
        else if (c->op == CIB_CHANGE_DEL)
            rc = m_del(s, c->row.kind, c->row.key, c->row.key_len);
        else if (c->op == CIB_CHANGE_PATCH)
            rc = m_patch(s, &c->row);
        else
            rc = refused(s, "apply: change %zu has op %d", i, c->op);
    }
    if (!rc)
        rc = m_commit(s);
    if (rc && s->in_tx)
        m_rollback(s);
    return rc;
}

/* ---- reads ---- */

/* The current result row of st as a library row; buffers of `b`. */
static int read_row(sq_store *s, const sq_table *t, sqlite3_stmt *st, sq_rowbuf *b, cib_row *row)
{
    b->text.n = b->meta.n = 0;
    long counts[MAX_COLS];
    size_t meta_start[MAX_COLS];
    for (size_t c = 0; c < t->n_cols; c++) {
        cib_field *f = &b->fields[c];
        int p = (int)c + 1;
        memset(f, 0, sizeof *f);
        f->name = t->cols[c].name;
        int type = sqlite3_column_type(st, p);
        if (type == SQLITE_NULL) {
            f->type = CIB_FIELD_NULL;
        } else if (type == SQLITE_INTEGER && t->cols[c].type == 'D') {
            f->type = CIB_FIELD_TEXT; /* a library id, as text */
            f->text = (const char *)sqlite3_column_text(st, p);
            f->len = (size_t)sqlite3_column_bytes(st, p);
        } else if (type == SQLITE_INTEGER) {
            f->type = CIB_FIELD_INT;
            f->i = sqlite3_column_int64(st, p);
        } else if (t->cols[c].type == 'L') {
            const char *json = (const char *)sqlite3_column_text(st, p);
            meta_start[c] = b->meta.n;
            long n = sq_list_decode(json ? json : "", (size_t)sqlite3_column_bytes(st, p), &b->text,
                                    &b->meta);
            if (n == -2)
                return failed(s, "out of memory reading %s.%s", t->name, f->name);
            if (n < 0)
                return failed(s, "%s.%s of row '%s' is not a JSON array of strings", t->name,
                              f->name, (const char *)sqlite3_column_text(st, 0));
            f->type = CIB_FIELD_LIST;
            counts[c] = n;
        } else {
            f->type = CIB_FIELD_TEXT;
            f->text = (const char *)sqlite3_column_text(st, p);
            f->len = (size_t)sqlite3_column_bytes(st, p);
        }
    }
    /* Item pointers, now that the decoded text stays where it is. */
    b->items.n = 0;
    size_t total = b->meta.n / (2 * sizeof(size_t));
    if (sq_buf_reserve(&b->items, (total ? total : 1) * (sizeof(char *) + sizeof(size_t))))
        return failed(s, "out of memory reading %s", t->name);
    const char **ptrs = (const char **)(void *)b->items.p;
    size_t *lens = (size_t *)(void *)(b->items.p + (total ? total : 1) * sizeof(char *));
    const size_t *meta = (const size_t *)(void *)b->meta.p;
    for (size_t c = 0, k = 0; c < t->n_cols; c++) {
        cib_field *f = &b->fields[c];
        if (f->type != CIB_FIELD_LIST)
            continue;
        size_t first = meta_start[c] / (2 * sizeof(size_t));
        f->items = ptrs + k;
        f->item_lens = lens + k;
        f->n_items = (size_t)counts[c];
        for (long i = 0; i < counts[c]; i++, k++) {
            ptrs[k] = b->text.p + meta[2 * (first + (size_t)i)];
            lens[k] = meta[2 * (first + (size_t)i) + 1];
        }
    }
    row->kind = t->kind;
    row->key = (const char *)sqlite3_column_text(st, 0);
    row->key_len = (size_t)sqlite3_column_bytes(st, 0);
    row->fields = b->fields;
    row->n_fields = t->n_cols;
    return CIB_OK;
}

/* Step st and hand each row to fn; `once`: a get (CIB_ENOTFOUND if none). */
static int deliver(sq_store *s, const sq_table *t, sqlite3_stmt *st, cib_row_fn fn, void *cb,
                   int once)
{
    if (s->depth == MAX_DEPTH)
        return failed(s, "reads nested more than %d deep", MAX_DEPTH);
    sq_rowbuf *b = &s->rows[s->depth];
    int found = 0, rc = CIB_OK, step;
    while (rc == CIB_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
        cib_row row;
        found = 1;
        if ((rc = read_row(s, t, st, b, &row)))
            break;
        s->depth++;
        rc = fn(cb, &row);
        s->depth--;
        if (once)
            break;
    }
    if (rc == CIB_OK && !once && step != SQLITE_DONE)
        rc = failed(s, "reading %s: %s", t->name, db_error(s));
    if (rc == CIB_OK && once && !found && step != SQLITE_DONE)
        rc = failed(s, "reading %s: %s", t->name, db_error(s));
    if (rc == CIB_OK && once && !found)
        rc = CIB_ENOTFOUND;
    return rc;
}

static int m_get(void *ud, int kind, const char *key, size_t key_len, cib_row_fn fn, void *cb)
{
    sq_store *s = ud;
    sq_tab *x = tab_of(s, kind);
    if (!x)
        return failed(s, "get: unknown row kind %d", kind);
    sq_stmt st;
    int rc = acquire(s, &x->get, sqlite3_sql(x->get.st), &st);
    if (rc)
        return rc;
    bind_maybe_id(st.st, 1, key, key_len, x->t->int_key);
    rc = deliver(s, x->t, st.st, fn, cb, 1);
    release(&x->get, &st);
    return rc;
}

static int m_scan(void *ud, int kind, cib_row_fn fn, void *cb)
{
    sq_store *s = ud;
    sq_tab *x = tab_of(s, kind);
    if (!x)
        return failed(s, "scan: unknown row kind %d", kind);
    sq_stmt st;
    int rc = acquire(s, &x->scan, sqlite3_sql(x->scan.st), &st);
    if (rc)
        return rc;
    rc = deliver(s, x->t, st.st, fn, cb, 0);
    release(&x->scan, &st);
    return rc;
}

static int m_find(void *ud, int kind, const char *field, const char *value, size_t len,
                  cib_row_fn fn, void *cb)
{
    sq_store *s = ud;
    sq_tab *x = tab_of(s, kind);
    if (!x)
        return failed(s, "find: unknown row kind %d", kind);
    int c = column_of(x->t, field, 0);
    if (c < 0)
        return failed(s, "find: table %s has no column '%s'", x->t->name, field);
    if (!x->find[c].st) {
        char cols[1024], sql[4096];
        column_list(x->t, cols, sizeof cols);
        if (kind != CIB_KIND_CONVERSATION && !strcmp(field, "inbox") &&
            column_of(x->t, "conversation", 0) >= 0)
            /* A message, idempotency key, thread or ticket is in its
             * conversation's inbox: found through the conversations' inbox
             * index, so their tables need no index of their own (one page
             * less to write per row). */
            snprintf(sql, sizeof sql,
                     "SELECT %s FROM %s WHERE conversation IN (SELECT id FROM conversations "
                     "WHERE inbox = ?)",
                     cols, x->t->name);
        else
            snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE %s = ?", cols, x->t->name, field);
        int rc = prepare(s, &x->find[c], sql);
        if (rc)
            return rc;
    }
    sq_stmt st;
    int rc = acquire(s, &x->find[c], sqlite3_sql(x->find[c].st), &st);
    if (rc)
        return rc;
    bind_maybe_id(st.st, 1, value, len, x->t->cols[c].type == 'D');
    rc = deliver(s, x->t, st.st, fn, cb, 0);
    release(&x->find[c], &st);
    return rc;
}

static void finalize(sq_stmt *x);

/* An ordered page: SELECT ... WHERE c1 = ? AND ... AND key > ? ORDER BY key
 * LIMIT ?, from an index on (c1, ..., key) when there is one (the library
 * asks for conversations by (inbox, status): schema.c has that index). The
 * statement of the last set of columns asked for is kept. */
static int m_find_page(void *ud, int kind, const cib_match *m, size_t n, uint64_t after,
                       size_t limit, cib_row_fn fn, void *cb)
{
    sq_store *s = ud;
    sq_tab *x = tab_of(s, kind);
    if (!x)
        return failed(s, "find_page: unknown row kind %d", kind);
    if (!m || n == 0 || n > MAX_PAGE || limit == 0 || !fn)
        return refused(s,
                       "find_page: %zu conditions, limit %zu: 1 to %d conditions, limit 1 or "
                       "more",
                       n, limit, MAX_PAGE);
    const sq_table *t = x->t;
    if (!t->int_key)
        return refused(s, "find_page: table %s is not keyed by library ids", t->name);
    int cols[MAX_PAGE];
    for (size_t i = 0; i < n; i++) {
        if (!m[i].field || (!m[i].value && m[i].len))
            return refused(s, "find_page: condition %zu has no field or value", i);
        cols[i] = column_of(t, m[i].field, 0);
        /* A field the table cannot hold as text is on no row. */
        if (cols[i] < 0 || t->cols[cols[i]].type == 'I' || t->cols[cols[i]].type == 'L')
            return CIB_OK;
    }
    if (after >= (uint64_t)INT64_MAX)
        return CIB_OK; /* no key is greater */
    int same = x->page.st && x->page_n == n && !memcmp(x->page_cols, cols, n * sizeof *cols);
    char sql[4096] = "";
    if (!same) {
        char colnames[1024];
        column_list(t, colnames, sizeof colnames);
        size_t k = (size_t)snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE ", colnames, t->name);
        for (size_t i = 0; i < n; i++)
            k += (size_t)snprintf(sql + k, sizeof sql - k, "%s = ? AND ", t->cols[cols[i]].name);
        snprintf(sql + k, sizeof sql - k, "%s > ? ORDER BY %s LIMIT ?", t->key, t->key);
    }
    sq_stmt other = {NULL, 1}; /* other columns while the kept statement is busy */
    sq_stmt *cached = same || !x->page.busy ? &x->page : &other;
    if (cached == &x->page && !same) {
        finalize(&x->page);
        int rc = prepare(s, &x->page, sql);
        if (rc)
            return rc;
        memcpy(x->page_cols, cols, n * sizeof *cols);
        x->page_n = n;
    }
    sq_stmt st;
    int rc = acquire(s, cached, cached->st ? sqlite3_sql(cached->st) : sql, &st);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        bind_maybe_id(st.st, (int)i + 1, m[i].value ? m[i].value : "", m[i].len,
                      t->cols[cols[i]].type == 'D');
    sqlite3_bind_int64(st.st, (int)n + 1, (sqlite3_int64)after);
    sqlite3_bind_int64(st.st, (int)n + 2,
                       limit > (size_t)INT64_MAX ? INT64_MAX : (sqlite3_int64)limit);
    rc = deliver(s, t, st.st, fn, cb, 0);
    release(cached, &st);
    return rc;
}

static const char *m_errmsg(void *ud)
{
    return ((sq_store *)ud)->err;
}

/* ---- opening and closing ---- */

static void finalize(sq_stmt *x)
{
    if (x->st)
        sqlite3_finalize(x->st);
    x->st = NULL;
}

static void m_close(void *ud)
{
    sq_store *s = ud;
    if (!s)
        return;
    for (size_t i = 0; i < sq_n_tables; i++) {
        sq_tab *x = &s->tabs[i];
        finalize(&x->put);
        finalize(&x->del);
        finalize(&x->get);
        finalize(&x->scan);
        for (size_t c = 0; c < MAX_COLS; c++)
            finalize(&x->find[c]);
        finalize(&x->page);
        for (size_t k = 0; k < sizeof x->patch / sizeof x->patch[0]; k++)
            finalize(&x->patch[k].st);
    }
    finalize(&s->begin);
    finalize(&s->commit);
    finalize(&s->rollback);
    sqlite3_close(s->db);
    for (int d = 0; d < MAX_DEPTH; d++) {
        sq_buf_free(&s->rows[d].text);
        sq_buf_free(&s->rows[d].meta);
        sq_buf_free(&s->rows[d].items);
    }
    sq_buf_free(&s->lists);
    free(s);
}

static void set_err(char *errbuf, size_t size, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void set_err(char *errbuf, size_t size, const char *fmt, ...)
{
    if (!errbuf || !size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, size, fmt, ap);
    va_end(ap);
}

/* The size of path + suffix, -1 when there is no such file. */
static long long file_size(const char *path, const char *suffix)
{
    char name[4096];
    struct stat sb;
    if ((size_t)snprintf(name, sizeof name, "%s%s", path, suffix) >= sizeof name)
        return -1;
    return stat(name, &sb) ? -1 : (long long)sb.st_size;
}

/* Before SQLite opens the file: a missing file is created only when asked
 * to, and never where a database was lost. SQLite writes the main file's
 * first page before its WAL or journal holds anything, so a missing or
 * empty main file beside a WAL or journal that is not empty is what is left
 * of a database: creating a new account there would hide the loss. */
static int refuse_before_open(const char *path, int create, char *errbuf, size_t errsize)
{
    long long main = file_size(path, "");
    const char *suffixes[] = {"-wal", "-journal"};
    for (size_t i = 0; i < 2 && main <= 0; i++)
        if (file_size(path, suffixes[i]) > 0) {
            set_err(errbuf, errsize,
                    "refusing '%s': it is %s but '%s%s' is not: the database was lost (restore "
                    "it from a backup); nothing was created",
                    path, main < 0 ? "missing" : "empty", path, suffixes[i]);
            return CIB_ESTORAGE;
        }
    if (main < 0 && !create) {
        set_err(errbuf, errsize,
                "cannot open '%s': no such file (pass CIB_SQLITE_CREATE to create a new account)",
                path);
        return CIB_ESTORAGE;
    }
    return CIB_OK;
}

/* One integer an SQL query returns; -1 when it fails. */
static sqlite3_int64 query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_int64 v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/* Whether the database holds its account: refuse one whose account is gone,
 * and one that holds none yet unless creating (`create`). */
static int account_state(sq_store *s, const char *path, int create, char *errbuf, size_t errsize)
{
    sqlite3_int64 marker =
        query_int(s->db, "SELECT count(*) FROM convinbox_meta WHERE key = 'account'");
    sqlite3_int64 rows = query_int(s->db, "SELECT count(*) FROM account");
    if (marker < 0 || rows < 0) {
        set_err(errbuf, errsize, "'%s': reading the account: %s", path, db_error(s));
        return CIB_ESTORAGE;
    }
    if (marker && !rows) {
        set_err(errbuf, errsize,
                "refusing '%s': its account is gone (convinbox_meta records one, table account "
                "has no row): the file was damaged or rolled back; restore it from a backup",
                path);
        return CIB_ESTORAGE;
    }
    if (!marker && !rows && !create) {
        set_err(errbuf, errsize,
                "refusing '%s': it holds no account yet (pass CIB_SQLITE_CREATE to create one)",
                path);
        return CIB_ESTORAGE;
    }
    s->need_marker = !marker && !rows;
    s->add_marker = !marker && rows; /* written before the marker existed */
    return CIB_OK;
}

/* Settings, then the schema: created, migrated, or refused; then the
 * account and the consistency of what the library loads. */
static int setup(sq_store *s, const char *path, const cib_sqlite_options *o, char *errbuf,
                 size_t errsize)
{
    int create = (o->flags & CIB_SQLITE_CREATE) != 0;
    int timeout = o->busy_timeout_ms == 0 ? 5000 : o->busy_timeout_ms < 0 ? 0 : o->busy_timeout_ms;
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, timeout);
    int version, rc = sq_schema_version(s->db, &version);
    if (rc != SQLITE_OK) {
        set_err(errbuf, errsize, "'%s' is not a usable SQLite database: %s", path, db_error(s));
        return CIB_ESTORAGE;
    }
    if (version < 0 || version > CIB_SQLITE_SCHEMA_VERSION || (version == 0 && !create)) {
        char why[160];
        if (version < 0)
            snprintf(why, sizeof why, "its convinbox_meta table has no schema version");
        else if (version == 0)
            snprintf(why, sizeof why,
                     "it holds no convinbox schema (pass CIB_SQLITE_CREATE to create a new "
                     "account in it)");
        else
            snprintf(why, sizeof why,
                     "it was written by schema version %d; this library reads versions up to %d",
                     version, CIB_SQLITE_SCHEMA_VERSION);
        set_err(errbuf, errsize, "refusing '%s': %s", path, why);
        return CIB_ESTORAGE;
    }
    /* WAL; a 16 MiB page cache; SQLite's own checkpoints (every 1,000
     * pages: README.md has the measurements). Every commit is synced until
     * the account is in the database, whatever was asked for: creating a
     * database is durable once cib_sqlite_open() and cib_ctx_new() returned
     * (the WAL's first sync also syncs the directory that holds it and the
     * main file: SQLite's unix VFS does so for every WAL it creates). */
    if (sqlite3_exec(s->db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
                     "PRAGMA cache_size=-16384;",
                     NULL, NULL, NULL) != SQLITE_OK) {
        set_err(errbuf, errsize, "'%s': setting WAL mode: %s", path, db_error(s));
        return CIB_ESTORAGE;
    }
    if (version < CIB_SQLITE_SCHEMA_VERSION) {
        rc = sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            rc = version == 0 ? sq_schema_create(s->db) : sq_schema_migrate(s->db, version);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            set_err(errbuf, errsize, "'%s': %s", path,
                    version == 0 ? "creating the schema failed" : "migrating the schema failed");
            size_t n = errbuf ? strlen(errbuf) : 0;
            if (errbuf && n < errsize)
                snprintf(errbuf + n, errsize - n, ": %s", db_error(s));
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return CIB_ESTORAGE;
        }
    }
    if ((rc = account_state(s, path, create, errbuf, errsize)))
        return rc;
    /* What a context would load, when there is an account to load (a store
     * used for rows alone, before any account, is not checked). */
    char why[400];
    int bad = s->need_marker ? SQ_CHECK_OK : sq_check(s->db, 0, why, sizeof why);
    if (bad != SQ_CHECK_OK) {
        set_err(errbuf, errsize, "refusing '%s': %s%s", path, why,
                bad == SQ_CHECK_BAD ? " (the database is damaged: restore it from a backup)" : "");
        return CIB_ESTORAGE;
    }
    if (s->add_marker && sqlite3_exec(s->db, "INSERT INTO convinbox_meta VALUES ('account', 1)",
                                      NULL, NULL, NULL) != SQLITE_OK) {
        set_err(errbuf, errsize, "'%s': recording its account: %s", path, db_error(s));
        return CIB_ESTORAGE;
    }
    if (o->synchronous == CIB_SQLITE_NORMAL) {
        if (s->need_marker)
            s->normal_later = 1;
        else if (sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL) != SQLITE_OK) {
            set_err(errbuf, errsize, "'%s': setting synchronous: %s", path, db_error(s));
            return CIB_ESTORAGE;
        }
    }
    rc = prepare(s, &s->begin, "BEGIN IMMEDIATE");
    if (!rc)
        rc = prepare(s, &s->commit, "COMMIT");
    if (!rc)
        rc = prepare(s, &s->rollback, "ROLLBACK");
    for (size_t i = 0; i < sq_n_tables && !rc; i++) {
        s->tabs[i].t = &sq_tables[i];
        rc = prepare_table(s, &s->tabs[i]);
    }
    if (rc)
        set_err(errbuf, errsize, "'%s': %s", path, s->err);
    return rc;
}

int cib_sqlite_open(const char *path, const cib_sqlite_options *opts, cib_store *out, char *errbuf,
                    size_t errbuf_size)
{
    cib_sqlite_options o = CIB_SQLITE_OPTIONS_INIT;
    if (errbuf && errbuf_size)
        errbuf[0] = '\0';
    if (!path || !out) {
        set_err(errbuf, errbuf_size, "invalid argument: '%s' is NULL", path ? "out" : "path");
        return CIB_EINVAL;
    }
    if (opts) {
        if (opts->size < sizeof(size_t) || opts->size > sizeof o) {
            set_err(errbuf, errbuf_size,
                    "invalid argument: 'opts->size' is not sizeof(cib_sqlite_options)");
            return CIB_EINVAL;
        }
        memcpy(&o, opts, opts->size);
    }
    if (o.synchronous == 0)
        o.synchronous = CIB_SQLITE_FULL;
    if (o.synchronous != CIB_SQLITE_NORMAL && o.synchronous != CIB_SQLITE_FULL) {
        set_err(
            errbuf, errbuf_size,
            "invalid argument: 'opts->synchronous' is not CIB_SQLITE_NORMAL or CIB_SQLITE_FULL");
        return CIB_EINVAL;
    }
    if (o.flags & ~CIB_SQLITE_CREATE) {
        set_err(errbuf, errbuf_size,
                "invalid argument: 'opts->flags' has bits other than CIB_SQLITE_CREATE");
        return CIB_EINVAL;
    }
    int create = (o.flags & CIB_SQLITE_CREATE) != 0;
    if (refuse_before_open(path, create, errbuf, errbuf_size))
        return CIB_ESTORAGE;
    sq_store *s = calloc(1, sizeof *s);
    if (!s) {
        set_err(errbuf, errbuf_size, "out of memory opening '%s'", path);
        return CIB_ENOMEM;
    }
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
    if (sqlite3_open_v2(path, &s->db, flags, o.vfs) != SQLITE_OK) {
        set_err(errbuf, errbuf_size, "cannot open '%s': %s", path,
                s->db ? sqlite3_errmsg(s->db) : "out of memory");
        m_close(s);
        return CIB_ESTORAGE;
    }
    int rc = setup(s, path, &o, errbuf, errbuf_size);
    if (rc) {
        m_close(s);
        return rc;
    }
    cib_store st = CIB_STORE_INIT;
    st.user_data = s;
    st.begin = m_begin;
    st.commit = m_commit;
    st.rollback = m_rollback;
    st.put = m_put;
    st.del = m_del;
    st.get = m_get;
    st.scan = m_scan;
    st.close = m_close;
    st.find = m_find;
    st.errmsg = m_errmsg;
    st.find_page = m_find_page;
    st.apply = m_apply;
    *out = st;
    return CIB_OK;
}

int cib_sqlite_schema_version(const char *path, int *version, char *errbuf, size_t errbuf_size)
{
    if (errbuf && errbuf_size)
        errbuf[0] = '\0';
    if (!path || !version) {
        set_err(errbuf, errbuf_size, "invalid argument: '%s' is NULL", path ? "version" : "path");
        return CIB_EINVAL;
    }
    sqlite3 *db;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        set_err(errbuf, errbuf_size, "cannot open '%s': %s", path, sqlite3_errmsg(db));
        sqlite3_close(db);
        return CIB_ESTORAGE;
    }
    int rc = sq_schema_version(db, version);
    if (rc != SQLITE_OK)
        set_err(errbuf, errbuf_size, "'%s' is not a usable SQLite database: %s", path,
                sqlite3_errmsg(db));
    sqlite3_close(db);
    return rc == SQLITE_OK ? CIB_OK : CIB_ESTORAGE;
}

int cib_sqlite_check(const cib_store *st, char *errbuf, size_t errbuf_size)
{
    if (errbuf && errbuf_size)
        errbuf[0] = '\0';
    if (!st || st->close != m_close || !st->user_data) {
        set_err(errbuf, errbuf_size, "invalid argument: 'st' is %s",
                st ? "not a store of cib_sqlite_open()" : "NULL");
        return CIB_EINVAL;
    }
    sq_store *s = st->user_data;
    int own_tx = sqlite3_get_autocommit(s->db);
    if (own_tx && sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
        set_err(errbuf, errbuf_size, "checking the database: begin: %s", db_error(s));
        return CIB_ESTORAGE;
    }
    char why[512];
    int bad = sq_check(s->db, 1, why, sizeof why);
    int nomem = bad == SQ_CHECK_ERROR && sqlite3_errcode(s->db) == SQLITE_NOMEM;
    if (own_tx)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    if (bad == SQ_CHECK_OK)
        return CIB_OK;
    set_err(errbuf, errbuf_size, "%s%s", bad == SQ_CHECK_BAD ? "damaged: " : "checking: ", why);
    return nomem ? CIB_ENOMEM : CIB_ESTORAGE;
}
