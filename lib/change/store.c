/* store.c - transactions through the storage vtable, rows in and out. */
#include "store.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "conversation.h"
#include "error.h"

/* Map a vtable method's non-zero return to a status and a message. */
int cib__tx_failed(cib_ctx *ctx, const char *method, int rc)
{
    if (ctx->has_cbmsg)
        return cib__fail(ctx, rc == CIB_ENOMEM ? CIB_ENOMEM : CIB_ESTORAGE, "storage.%s: %s",
                         method, ctx->cbmsg);
    if (rc == CIB_ENOMEM)
        return cib__fail(ctx, CIB_ENOMEM, "out of memory in storage.%s", method);
    const char *why = ctx->store.errmsg ? ctx->store.errmsg(ctx->store.user_data) : NULL;
    if (why && *why)
        return cib__fail(ctx, CIB_ESTORAGE, "storage.%s: %s", method, why);
    return cib__fail(ctx, CIB_ESTORAGE, "storage.%s returned %d", method, rc);
}

/* ---- the store's own transaction (or, with apply(), the buffer) ---- */

int cib__tx_open(cib_ctx *ctx)
{
    if (ctx->store.apply) { /* changes are buffered until the commit */
        cib__txbuf_reset(ctx);
        return CIB_OK;
    }
    int rc = ctx->store.begin(ctx->store.user_data);
    return rc ? cib__tx_failed(ctx, "begin", rc) : CIB_OK;
}

int cib__tx_commit(cib_ctx *ctx)
{
    if (ctx->store.apply) {
        int rc = ctx->tx.n ? ctx->store.apply(ctx->store.user_data, ctx->tx.v, ctx->tx.n) : CIB_OK;
        if (rc)
            rc = cib__tx_failed(ctx, "apply", rc);
        cib__txbuf_reset(ctx);
        return rc;
    }
    int rc = ctx->store.commit(ctx->store.user_data);
    if (rc) {
        rc = cib__tx_failed(ctx, "commit", rc);
        ctx->store.rollback(ctx->store.user_data);
    }
    return rc;
}

void cib__tx_rollback(cib_ctx *ctx)
{
    if (ctx->store.apply)
        cib__txbuf_reset(ctx);
    else
        ctx->store.rollback(ctx->store.user_data);
}

int cib__tx_begin(cib_ctx *ctx)
{
    if (ctx->batch) { /* inside the batch's transaction */
        ctx->in_tx = 1;
        return CIB_OK;
    }
    int rc = cib__tx_open(ctx);
    if (rc)
        return rc;
    ctx->in_tx = 1;
    return CIB_OK;
}

int cib__tx_put(cib_ctx *ctx, const cib_row *row)
{
    if (!cib__store_keeps(ctx, row->kind))
        return CIB_OK;
    if (ctx->store.apply)
        return cib__txbuf_add(ctx, CIB_CHANGE_PUT, row);
    int rc = ctx->store.put(ctx->store.user_data, row);
    return rc ? cib__tx_failed(ctx, "put", rc) : CIB_OK;
}

int cib__tx_patch(cib_ctx *ctx, const cib_row *row)
{
    assert(ctx->store.apply); /* cib__store_patches() */
    return cib__txbuf_add(ctx, CIB_CHANGE_PATCH, row);
}

int cib__tx_del(cib_ctx *ctx, int kind, const char *key, size_t key_len)
{
    if (!cib__store_keeps(ctx, kind))
        return CIB_OK;
    if (ctx->store.apply) {
        cib_row r = {kind, key, key_len, NULL, 0};
        return cib__txbuf_add(ctx, CIB_CHANGE_DEL, &r);
    }
    int rc = ctx->store.del(ctx->store.user_data, kind, key, key_len);
    return rc ? cib__tx_failed(ctx, "del", rc) : CIB_OK;
}

int cib__tx_end(cib_ctx *ctx, int rc)
{
    if (ctx->batch) { /* the batch commits, or rolls back, as a whole */
        ctx->in_tx = 0;
        if (rc)
            ctx->batch_failed = rc;
        return rc;
    }
    if (rc == CIB_OK)
        rc = cib__tx_commit(ctx);
    else
        cib__tx_rollback(ctx);
    ctx->in_tx = 0;
    return rc;
}

struct scan_state {
    cib_ctx *ctx;
    int kind;
    cib__row_fn fn;
    void *arg;
    int cb_rc; /* the library's own refusal of a row, if any */
};

static int scan_cb(void *data, const cib_row *row)
{
    struct scan_state *st = data;
    if (!row || row->kind != st->kind)
        return st->cb_rc = cib__fail(st->ctx, CIB_ESTORAGE,
                                     "storage.scan passed a row of another kind, or none");
    st->cb_rc = st->fn(st->ctx, row, st->arg);
    return st->cb_rc;
}

int cib__store_scan(cib_ctx *ctx, int kind, cib__row_fn fn, void *arg)
{
    struct scan_state st = {ctx, kind, fn, arg, CIB_OK};
    int rc = ctx->store.scan(ctx->store.user_data, kind, scan_cb, &st);
    if (st.cb_rc)
        return st.cb_rc;
    return rc ? cib__tx_failed(ctx, "scan", rc) : CIB_OK;
}

struct find_state {
    cib_ctx *ctx;
    int kind;
    const char *field;
    const char *value;
    size_t len;
    cib__row_fn fn;
    void *arg;
    int cb_rc;
};

static const cib_field *row_field(const cib_row *r, const char *name);

static int find_cb(void *data, const cib_row *row)
{
    struct find_state *st = data;
    if (!row || row->kind != st->kind)
        return st->cb_rc = cib__fail(st->ctx, CIB_ESTORAGE,
                                     "storage.find passed a row of another kind, or none");
    const cib_field *f = row_field(row, st->field);
    if (!f || f->type != CIB_FIELD_TEXT || !cib__streq(f->text, f->len, st->value, st->len))
        return 0; /* a scanned row that does not match */
    st->cb_rc = st->fn(st->ctx, row, st->arg);
    return st->cb_rc;
}

int cib__store_find(cib_ctx *ctx, int kind, const char *field, const char *value, size_t len,
                    cib__row_fn fn, void *arg)
{
    struct find_state st = {ctx, kind, field, value, len, fn, arg, CIB_OK};
    int rc = ctx->store.find
                 ? ctx->store.find(ctx->store.user_data, kind, field, value, len, find_cb, &st)
                 : ctx->store.scan(ctx->store.user_data, kind, find_cb, &st);
    if (st.cb_rc)
        return st.cb_rc;
    return rc ? cib__tx_failed(ctx, ctx->store.find ? "find" : "scan", rc) : CIB_OK;
}

/* find_page(): what the library asked for, and checks of the answer. */
struct page_state {
    cib_ctx *ctx;
    int kind;
    const cib_match *match;
    size_t n_match, limit, seen;
    uint64_t last;
    cib__row_fn fn;
    void *arg;
    int cb_rc;
};

static int page_cb(void *data, const cib_row *row)
{
    struct page_state *st = data;
    uint64_t id;
    const char *bad = NULL;
    if (!row || row->kind != st->kind)
        bad = "a row of another kind, or none";
    else if (cib__id_parse(row->key, row->key_len, &id) || id <= st->last)
        bad = "a row whose key is not an id after the previous one";
    else if (++st->seen > st->limit)
        bad = "more rows than the limit";
    for (size_t i = 0; !bad && i < st->n_match; i++) {
        const cib_field *f = row_field(row, st->match[i].field);
        if (!f || f->type != CIB_FIELD_TEXT ||
            !cib__streq(f->text, f->len, st->match[i].value, st->match[i].len))
            bad = "a row that does not match";
    }
    if (bad)
        return st->cb_rc = cib__fail(st->ctx, CIB_ESTORAGE, "storage.find_page passed %s", bad);
    st->last = id;
    st->cb_rc = st->fn(st->ctx, row, st->arg);
    return st->cb_rc;
}

int cib__store_find_page(cib_ctx *ctx, int kind, const cib_match *match, size_t n_match,
                         uint64_t after, size_t limit, size_t *seen, uint64_t *last, cib__row_fn fn,
                         void *arg)
{
    struct page_state st = {ctx, kind, match, n_match, limit, 0, after, fn, arg, CIB_OK};
    assert(ctx->store.find_page && n_match && limit);
    int rc = ctx->store.find_page(ctx->store.user_data, kind, match, n_match, after, limit, page_cb,
                                  &st);
    *seen = st.seen;
    *last = st.last;
    if (st.cb_rc)
        return st.cb_rc;
    return rc ? cib__tx_failed(ctx, "find_page", rc) : CIB_OK;
}

struct get_state {
    cib_ctx *ctx;
    int kind;
    cib__row_fn fn;
    void *arg;
    int cb_rc, seen;
};

static int get_cb(void *data, const cib_row *row)
{
    struct get_state *st = data;
    if (!row || row->kind != st->kind || st->seen++)
        return st->cb_rc = cib__fail(st->ctx, CIB_ESTORAGE,
                                     "storage.get passed a wrong row, or more than one");
    st->cb_rc = st->fn(st->ctx, row, st->arg);
    return st->cb_rc;
}

int cib__store_get(cib_ctx *ctx, int kind, const char *key, size_t key_len, cib__row_fn fn,
                   void *arg)
{
    struct get_state st = {ctx, kind, fn, arg, CIB_OK, 0};
    /* A row the open transaction put or deleted, not yet applied. */
    const cib_change *c = ctx->store.apply && (ctx->in_tx || ctx->batch)
                              ? cib__txbuf_find(ctx, kind, key, key_len)
                              : NULL;
    if (c && c->op == CIB_CHANGE_DEL)
        return CIB_ENOTFOUND;
    if (c && c->op == CIB_CHANGE_PUT)
        return fn(ctx, &c->row, arg);
    int rc = ctx->store.get(ctx->store.user_data, kind, key, key_len, get_cb, &st);
    if (st.cb_rc)
        return st.cb_rc;
    if (rc == CIB_ENOTFOUND && !st.seen)
        return CIB_ENOTFOUND;
    if (!rc && !st.seen)
        return cib__fail(ctx, CIB_ESTORAGE, "storage.get returned 0 without a row");
    return rc ? cib__tx_failed(ctx, "get", rc) : CIB_OK;
}

static const cib_field *row_field(const cib_row *r, const char *name)
{
    for (size_t i = 0; i < r->n_fields; i++)
        if (r->fields[i].name && strcmp(r->fields[i].name, name) == 0)
            return &r->fields[i];
    return NULL;
}

static int row_bad(cib_ctx *ctx, const cib_row *r, const char *name, const char *what)
{
    const char *kind = cib_kind_name(r->kind);
    return cib__fail(ctx, CIB_ESTORAGE, "store holds a bad %s row '%.*s': field '%s' %s",
                     kind ? kind : "?", (int)(r->key_len > 200 ? 200 : r->key_len),
                     r->key ? r->key : "", name, what);
}

int cib__row_text(cib_ctx *ctx, const cib_row *r, const char *name, int optional, cib__str *out)
{
    const cib_field *f = row_field(r, name);
    out->p = NULL;
    out->n = 0;
    if (!f)
        return row_bad(ctx, r, name, "is missing");
    if (f->type == CIB_FIELD_NULL && optional)
        return CIB_OK;
    if (f->type != CIB_FIELD_TEXT || !f->text)
        return row_bad(ctx, r, name, optional ? "is not text or null" : "is not text");
    out->p = f->text;
    out->n = f->len;
    return CIB_OK;
}

int cib__row_int(cib_ctx *ctx, const cib_row *r, const char *name, int64_t *out)
{
    const cib_field *f = row_field(r, name);
    if (!f)
        return row_bad(ctx, r, name, "is missing");
    if (f->type != CIB_FIELD_INT)
        return row_bad(ctx, r, name, "is not an integer");
    *out = f->i;
    return CIB_OK;
}

int cib__row_int_or_null(cib_ctx *ctx, const cib_row *r, const char *name, int64_t *out)
{
    const cib_field *f = row_field(r, name);
    *out = 0;
    if (f && f->type == CIB_FIELD_NULL)
        return CIB_OK;
    return cib__row_int(ctx, r, name, out);
}

int cib__row_time(cib_ctx *ctx, const cib_row *r, const char *name, int nullable, int64_t *out)
{
    int rc = nullable ? cib__row_int_or_null(ctx, r, name, out) : cib__row_int(ctx, r, name, out);
    if (rc || cib__time_ok(*out))
        return rc;
    char what[96];
    snprintf(what, sizeof what, "is %lld, outside CIB_TIME_MIN..CIB_TIME_MAX", (long long)*out);
    *out = 0;
    return row_bad(ctx, r, name, what);
}

int cib__row_list(cib_ctx *ctx, const cib_row *r, const char *name, const cib_field **out)
{
    const cib_field *f = row_field(r, name);
    if (!f)
        return row_bad(ctx, r, name, "is missing");
    if (f->type != CIB_FIELD_LIST || (f->n_items && !f->items))
        return row_bad(ctx, r, name, "is not a list");
    *out = f;
    return CIB_OK;
}

int cib__row_refused(cib_ctx *ctx, const cib_row *r, int rc)
{
    if (rc == CIB_OK || rc == CIB_ENOMEM || rc == CIB_ESTORAGE)
        return rc;
    const char *kind = cib_kind_name(r->kind);
    return cib__wrap(ctx, CIB_ESTORAGE, "store holds a bad %s row '%.*s'", kind ? kind : "?",
                     (int)(r->key_len > 200 ? 200 : r->key_len), r->key ? r->key : "");
}

static const char *const seat_names[] = {NULL, "paid", "free"};
static const char *const role_names[] = {NULL, "member", "admin", "super_admin"};
static const char *const type_names[] = {NULL,        "email",  "chat",          "form",
                                         "messenger", "custom", "fallback_email"};
static const char *const status_names[] = {NULL, "enabled", "disabled"};
static const char *const reason_names[] = {"none",     "rule",   "owner",
                                           "fallback", "manual", "reassigned_offline"};
static const char *const message_kind_names[] = {NULL, "inbound", "reply", "comment"};
static const char *const attachment_names[] = {NULL,    "audio", "voice", "sticker",
                                               "image", "video", "file"};
static const char *const display_names[] = {NULL, "agent_and_company", "company"};
static const char *const threading_names[] = {NULL, "key", "new"};
static const char *const availability_names[] = {NULL, "available", "away", "offline"};

#define NAME_OF(table, v)                                                                          \
    ((v) > 0 && (size_t)(v) < sizeof(table) / sizeof(table[0]) ? table[(v)] : NULL)

static int parse(const char *const *table, size_t n, cib__str s)
{
    for (size_t i = 1; i < n; i++)
        if (cib__streq(table[i], strlen(table[i]), s.p, s.n))
            return (int)i;
    return 0;
}

#define PARSE(table, s) parse(table, sizeof(table) / sizeof(table[0]), s)

const char *cib__availability_name(int v)
{
    return NAME_OF(availability_names, v);
}

int cib__availability_parse(cib__str s)
{
    return PARSE(availability_names, s);
}

const char *cib__reason_name(int v)
{
    return v >= 0 && (size_t)v < sizeof reason_names / sizeof reason_names[0] ? reason_names[v]
                                                                              : NULL;
}

int cib__reason_parse(cib__str s)
{
    for (size_t i = 0; i < sizeof reason_names / sizeof reason_names[0]; i++)
        if (cib__streq(reason_names[i], strlen(reason_names[i]), s.p, s.n))
            return (int)i;
    return -1;
}

const char *cib__message_kind_name(int v)
{
    return NAME_OF(message_kind_names, v);
}

const char *cib__attachment_kind_name(int v)
{
    return NAME_OF(attachment_names, v);
}

const char *cib__display_name(int v)
{
    return NAME_OF(display_names, v);
}

const char *cib__threading_name(int v)
{
    return NAME_OF(threading_names, v);
}

int cib__message_kind_parse(cib__str s)
{
    return PARSE(message_kind_names, s);
}

int cib__attachment_kind_parse(cib__str s)
{
    return PARSE(attachment_names, s);
}

int cib__display_parse(cib__str s)
{
    return PARSE(display_names, s);
}

int cib__threading_parse(cib__str s)
{
    return PARSE(threading_names, s);
}

const char *cib__seat_name(int v)
{
    return NAME_OF(seat_names, v);
}
const char *cib__role_name(int v)
{
    return NAME_OF(role_names, v);
}
const char *cib__channel_type_name(int v)
{
    return NAME_OF(type_names, v);
}
const char *cib__channel_status_name(int v)
{
    return NAME_OF(status_names, v);
}
int cib__seat_parse(cib__str s)
{
    return PARSE(seat_names, s);
}
int cib__role_parse(cib__str s)
{
    return PARSE(role_names, s);
}
int cib__channel_type_parse(cib__str s)
{
    return PARSE(type_names, s);
}
int cib__channel_status_parse(cib__str s)
{
    return PARSE(status_names, s);
}

const char *cib_kind_name(int kind)
{
    static const char *const names[] = {NULL,       "account", "user",    "team",         "contact",
                                        "pipeline", "inbox",   "channel", "conversation", "message",
                                        "dedup",    "thread",  "routing", "ticket"};
    return NAME_OF(names, kind);
}
