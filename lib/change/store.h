/* store.h - writing through the storage vtable, and reading rows back. */
#ifndef CIB_STORE_H
#define CIB_STORE_H

#include <assert.h>
#include <string.h>

#include "ctx.h"
#include "text.h"

/* ---- building rows ---- */

#define CIB__ROW_MAX_FIELDS 40

typedef struct cib__rowb {
    cib_row row;
    cib_field f[CIB__ROW_MAX_FIELDS];
} cib__rowb;

/* Inline: a row is built field by field on every write of the hot path. */
static inline void cib__rowb_init(cib__rowb *b, int kind, const char *key, size_t key_len)
{
    b->row = (cib_row){.kind = kind, .key = key, .key_len = key_len, .fields = b->f};
}

static inline cib_field *cib__rowb_next(cib__rowb *b, const char *name, int type)
{
    /* The field sets are fixed by this library; overflowing is a bug. */
    assert(b->row.n_fields < CIB__ROW_MAX_FIELDS);
    cib_field *f = &b->f[b->row.n_fields < CIB__ROW_MAX_FIELDS ? b->row.n_fields++ : 0];
    *f = (cib_field){.name = name, .type = type};
    return f;
}

static inline void cib__rowb_int(cib__rowb *b, const char *name, int64_t v)
{
    cib__rowb_next(b, name, CIB_FIELD_INT)->i = v;
}

static inline void cib__rowb_textn(cib__rowb *b, const char *name, const char *s, size_t n)
{
    cib_field *f = cib__rowb_next(b, name, s ? CIB_FIELD_TEXT : CIB_FIELD_NULL);
    f->text = s;
    f->len = s ? n : 0;
}

/* s NULL gives a NULL field. */
static inline void cib__rowb_text(cib__rowb *b, const char *name, const char *s)
{
    cib__rowb_textn(b, name, s, s ? strlen(s) : 0);
}

static inline void cib__rowb_list(cib__rowb *b, const char *name, const char *const *items,
                                  const size_t *lens, size_t n)
{
    cib_field *f = cib__rowb_next(b, name, CIB_FIELD_LIST);
    f->items = items;
    f->item_lens = lens;
    f->n_items = n;
}

/* ---- transactions: every change is an op (op.h): begin, put/del..., end ---- */

/* cib_memstore_new() with the seed of its tables given. */
int cib__memstore_new_seeded(const cib_allocator *allocator, uint64_t seed, cib_store *out);

/* Whether rows of this kind go to the store: all of them for a host's
 * store; for the context's own store (which dies with the context) only
 * what the working set does not hold: closed conversations (an open one's
 * row is deleted instead: ctx->store_skips_open; readers of conversation
 * rows add the open ones from memory), messages, message ids, threads and
 * tickets. A writer may test this before building a row; cib__tx_put()
 * and cib__tx_del() drop the others anyway. */
static inline int cib__store_keeps(const cib_ctx *ctx, int kind)
{
    return !(ctx->store_skips >> kind & 1u);
}

/* Whether the store takes patches (only the changed fields of a row):
 * a store with apply() (convinbox/store.h, version 3). Otherwise write the
 * whole row. */
static inline int cib__store_patches(const cib_ctx *ctx)
{
    return ctx->store.apply != NULL;
}

/* The store's transaction itself (for batches, which hold one open across
 * many operations): begin, or start buffering for apply(); commit, or
 * apply the buffer (on failure: rolled back, the status returned); roll
 * back, or drop the buffer. */
int cib__tx_open(cib_ctx *ctx);
int cib__tx_commit(cib_ctx *ctx);
void cib__tx_rollback(cib_ctx *ctx);

/* Internal to op.c: cib__op_begin() opens the transaction, cib__op_end()
 * ends it (with the undo log). Nothing else calls these two. */
int cib__tx_begin(cib_ctx *ctx);
/* A store method failed: the status and the message to report. */
int cib__tx_failed(cib_ctx *ctx, const char *method, int rc);
int cib__tx_put(cib_ctx *ctx, const cib_row *row);
int cib__tx_del(cib_ctx *ctx, int kind, const char *key, size_t key_len);
/* Only the fields of `row` that changed, of a row that exists; only when
 * cib__store_patches(). */
int cib__tx_patch(cib_ctx *ctx, const cib_row *row);
/* Internal to op.c (see cib__tx_begin()). rc == CIB_OK: commit (and roll
 * back if the commit fails); otherwise roll back. Returns the operation's
 * final status. */
int cib__tx_end(cib_ctx *ctx, int rc);

/* ---- reading rows (loading an account) ---- */

typedef int (*cib__row_fn)(cib_ctx *ctx, const cib_row *row, void *arg);
/* Scan a kind, calling fn for each row; maps store failures to statuses. A
 * non-zero return of fn stops the scan and is returned as it is. */
int cib__store_scan(cib_ctx *ctx, int kind, cib__row_fn fn, void *arg);

/* Rows of a kind whose TEXT field equals value: through the store's find
 * method, or a scan with a filter. fn as for cib__store_scan(). */
int cib__store_find(cib_ctx *ctx, int kind, const char *field, const char *value, size_t len,
                    cib__row_fn fn, void *arg);
/* One page of rows of a kind whose TEXT fields equal match[0..n_match)
 * through the store's find_page (which must not be NULL): keys that are
 * library ids after `after`, ascending, at most `limit`. The answer is
 * checked (kind, order, limit, match). *seen: rows passed, *last: the
 * largest key passed (after, if none). fn as for cib__store_scan(). */
int cib__store_find_page(cib_ctx *ctx, int kind, const cib_match *match, size_t n_match,
                         uint64_t after, size_t limit, size_t *seen, uint64_t *last, cib__row_fn fn,
                         void *arg);
/* The row of kind/key through fn; CIB_ENOTFOUND (no message set) if none. */
int cib__store_get(cib_ctx *ctx, int kind, const char *key, size_t key_len, cib__row_fn fn,
                   void *arg);

/* Field accessors; a missing field or a wrong type is CIB_ESTORAGE. */
int cib__row_text(cib_ctx *ctx, const cib_row *r, const char *name, int optional, cib__str *out);
int cib__row_int(cib_ctx *ctx, const cib_row *r, const char *name, int64_t *out);
/* An INT field that may be NULL (read as 0). */
int cib__row_int_or_null(cib_ctx *ctx, const cib_row *r, const char *name, int64_t *out);
/* A time field (INT; NULL too, as 0, when nullable) in
 * CIB_TIME_MIN..CIB_TIME_MAX, else CIB_ESTORAGE naming the row and field. */
int cib__row_time(cib_ctx *ctx, const cib_row *r, const char *name, int nullable, int64_t *out);
int cib__row_list(cib_ctx *ctx, const cib_row *r, const char *name, const cib_field **out);
/* Turn a failure to accept a stored row into CIB_ESTORAGE naming the row. */
int cib__row_refused(cib_ctx *ctx, const cib_row *r, int rc);

/* Names of enum values as stored ("paid", "email", ...); NULL if unknown. */
const char *cib__seat_name(int seat);
const char *cib__role_name(int role);
const char *cib__channel_type_name(int type);
const char *cib__channel_status_name(int status);
const char *cib__reason_name(int reason);
const char *cib__availability_name(int status);
int cib__availability_parse(cib__str s);
const char *cib__message_kind_name(int kind);
const char *cib__attachment_kind_name(int kind);
const char *cib__display_name(int display);
const char *cib__threading_name(int threading);
/* Parse a stored name; 0 if unknown. */
int cib__seat_parse(cib__str s);
int cib__role_parse(cib__str s);
int cib__channel_type_parse(cib__str s);
int cib__channel_status_parse(cib__str s);
int cib__reason_parse(cib__str s); /* -1 if unknown (0 is "none") */
int cib__message_kind_parse(cib__str s);
int cib__attachment_kind_parse(cib__str s);
int cib__display_parse(cib__str s);
int cib__threading_parse(cib__str s);

#endif
