/* dedup.c - idempotency keys (see dedup.h). */
#include "dedup.h"

#include <stddef.h>
#include <string.h>

#include "conversation.h"
#include "error.h"
#include "op.h"
#include "store.h"

void cib__dedup_init(cib_ctx *ctx, size_t max)
{
    cib__dedup *d = &ctx->dedup;
    memset(d, 0, sizeof *d);
    cib__fpfilter_init(&d->filter, ctx->seed);
    cib__fptab_init(&d->set, 1, ctx->seed);
    d->max = max;
}

cib__fp cib__dedup_fp(cib_ctx *ctx, const cib__channel *ch, const char *msg_id, size_t len)
{
    const char *parts[] = {"dedup", ch->id, msg_id};
    size_t lens[] = {5, ch->id_len, len};
    return cib__fingerprint(ctx->secret, parts, lens, 3);
}

void cib__dedup_prefetch(cib_ctx *ctx, cib__fp fp)
{
    cib__fptab_prefetch(&ctx->dedup.set, fp);
    cib__fpfilter_prefetch(&ctx->dedup.filter, cib__fpfilter_value(&ctx->dedup.filter, fp));
}

static int expired(const cib_ctx *ctx, int64_t expires_at, int64_t now)
{
    return ctx->dedup_window && expires_at && expires_at <= now;
}

/* The recent entry of fp, or NULL. */
static cib__dedup_entry *recent(cib__dedup *d, cib__fp fp)
{
    void *pos;
    if (!cib__fptab_find(&d->set, fp, &pos))
        return NULL;
    return &d->ring[(uintptr_t)pos - 1];
}

struct stored {
    const cib__channel *ch;
    const char *msg_id;
    size_t len;
    int match;
    uint64_t message, conversation;
    int64_t expires_at;
};

static int read_row(cib_ctx *ctx, const cib_row *row, void *arg)
{
    struct stored *st = arg;
    cib__str channel, msg_id, message, conversation;
    int rc = cib__row_text(ctx, row, "channel", 0, &channel);
    if (!rc)
        rc = cib__row_text(ctx, row, "msg_id", 0, &msg_id);
    if (!rc)
        rc = cib__row_text(ctx, row, "message", 0, &message);
    if (!rc)
        rc = cib__row_text(ctx, row, "conversation", 0, &conversation);
    if (!rc && ctx->dedup_window)
        rc = cib__row_int(ctx, row, "expires_at", &st->expires_at);
    if (rc)
        return rc;
    if (cib__id_parse(message.p, message.n, &st->message) ||
        cib__id_parse(conversation.p, conversation.n, &st->conversation))
        return cib__fail(ctx, CIB_ESTORAGE, "store holds a dedup row with a malformed id");
    st->match = cib__streq(channel.p, channel.n, st->ch->id, st->ch->id_len) &&
                cib__streq(msg_id.p, msg_id.n, st->msg_id, st->len);
    return CIB_OK;
}

int cib__dedup_check(cib_ctx *ctx, cib__fp fp, const cib__channel *ch, const char *msg_id,
                     size_t len, int *delivered, int *known, uint64_t *message,
                     uint64_t *conversation)
{
    cib__dedup *d = &ctx->dedup;
    int64_t now = 0;
    if (ctx->dedup_window) {
        int rc = cib__now(ctx, &now);
        if (rc)
            return rc;
    }
    *delivered = 0;
    *known = 0;
    const cib__dedup_entry *e = recent(d, fp);
    if (e) { /* exact up to a 128-bit fingerprint: no store read */
        *known = CIB__DEDUP_STORED | CIB__DEDUP_RECENT;
        if (expired(ctx, e->expires_at, now))
            return CIB_OK;
        *delivered = 1;
        *message = e->message;
        *conversation = e->conversation;
        return CIB_OK;
    }
    if (!cib__fpfilter_has(&d->filter, cib__fpfilter_value(&d->filter, fp)))
        return CIB_OK; /* never accepted: the common case */
    char hex[33];
    cib__fp_hex(fp, hex);
    struct stored st = {ch, msg_id, len, 0, 0, 0, 0};
    int rc = cib__store_get(ctx, CIB_KIND_DEDUP, hex, 32, read_row, &st);
    if (rc == CIB_ENOTFOUND)
        return CIB_OK; /* a false positive of the filter */
    if (rc)
        return rc;
    *known = CIB__DEDUP_STORED;
    /* A different message with the same 128-bit fingerprint would not match;
     * it is then processed as new and takes the key's row over. */
    if (st.match && !expired(ctx, st.expires_at, now)) {
        *delivered = 1;
        *message = st.message;
        *conversation = st.conversation;
    }
    return CIB_OK;
}

/* Room for one more recent id. */
static int recent_reserve(cib_ctx *ctx)
{
    cib__dedup *d = &ctx->dedup;
    if (cib__fptab_reserve(&ctx->mem, &d->set, 1))
        return cib__nomem(ctx);
    if (d->len < d->cap || d->cap == d->max)
        return CIB_OK;
    /* Still growing: the ring has never wrapped (head is 0), so positions
     * stay where they are. */
    size_t cap = d->cap ? d->cap * 2 : 64;
    if (cap > d->max)
        cap = d->max;
    cib__dedup_entry *ring = cib__realloc(&ctx->mem, d->ring, cap * sizeof *ring);
    if (!ring)
        return cib__nomem(ctx);
    d->ring = ring;
    d->cap = cap;
    return CIB_OK;
}

int cib__dedup_reserve(cib_ctx *ctx)
{
    if (cib__fpfilter_reserve(&ctx->mem, &ctx->dedup.filter, 1))
        return cib__nomem(ctx);
    return recent_reserve(ctx);
}

int cib__dedup_ready(cib_ctx *ctx)
{
    return recent_reserve(ctx);
}

int cib__dedup_write(cib_ctx *ctx, cib__fp fp, const cib__channel *ch, const char *msg_id,
                     size_t len, uint64_t message, uint64_t conversation, int64_t now)
{
    char hex[33], mkey[21], ckey[21];
    cib__fp_hex(fp, hex);
    size_t mn = cib__id_key(message, mkey), cn = cib__id_key(conversation, ckey);
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_DEDUP, hex, 32);
    cib__rowb_textn(&b, "inbox", ch->inbox->id, ch->inbox->id_len);
    cib__rowb_textn(&b, "channel", ch->id, ch->id_len);
    cib__rowb_textn(&b, "msg_id", msg_id, len);
    cib__rowb_textn(&b, "message", mkey, mn);
    cib__rowb_textn(&b, "conversation", ckey, cn);
    cib__rowb_int(&b, "expires_at", ctx->dedup_window ? now + ctx->dedup_window : 0);
    return cib__tx_put(ctx, &b.row);
}

/* Undo actions of cib__dedup_commit_op(): a = fp.lo, b = fp.hi. */
static void undo_filter_add(cib_ctx *ctx, const cib__undo *u)
{
    cib__fpfilter *f = &ctx->dedup.filter;
    cib__fpfilter_remove(f, cib__fpfilter_value(f, (cib__fp){u->a, u->b}));
}

static void undo_set_insert(cib_ctx *ctx, const cib__undo *u)
{
    cib__fptab_remove(&ctx->dedup.set, (cib__fp){u->a, u->b});
}

static void undo_set_remove(cib_ctx *ctx, const cib__undo *u)
{
    cib__fptab_insert(&ctx->dedup.set, (cib__fp){u->a, u->b}, u->p);
}

int cib__dedup_commit_op(cib__op *op, cib__fp fp, int known, uint64_t message,
                         uint64_t conversation, int64_t now)
{
    cib_ctx *ctx = op->ctx;
    cib__dedup *d = &ctx->dedup;
    cib__dedup_entry next = {fp, message, conversation,
                             ctx->dedup_window ? now + ctx->dedup_window : 0};
    int rc;
    if (!(known & CIB__DEDUP_STORED)) {
        if ((rc = cib__op_undo(op, undo_filter_add, NULL, NULL, fp.lo, fp.hi)))
            return rc;
        cib__fpfilter_add(&d->filter, cib__fpfilter_value(&d->filter, fp));
    }
    if (known & CIB__DEDUP_RECENT) { /* re-accepted after its window */
        cib__dedup_entry *e = recent(d, fp);
        if ((rc = cib__op_save(op, e, sizeof *e)))
            return rc;
        *e = next;
        return CIB_OK;
    }
    _Static_assert(offsetof(cib__dedup, len) == offsetof(cib__dedup, head) + sizeof(size_t),
                   "head and len are adjacent");
    if ((rc = cib__op_save(op, &d->head, 2 * sizeof(size_t)))) /* head and len */
        return rc;
    if (d->len == d->max) { /* the oldest makes room */
        cib__dedup_entry *old = &d->ring[d->head];
        if (old->fp.lo || old->fp.hi) {
            if ((rc = cib__op_undo(op, undo_set_remove, (void *)(uintptr_t)(d->head + 1), NULL,
                                   old->fp.lo, old->fp.hi)))
                return rc;
            cib__fptab_remove(&d->set, old->fp);
        }
        d->head = (d->head + 1) % d->cap;
        d->len--;
    }
    size_t pos = (d->head + d->len) % d->cap;
    if ((rc = cib__op_save(op, &d->ring[pos], sizeof d->ring[pos])) ||
        (rc = cib__op_undo(op, undo_set_insert, NULL, NULL, fp.lo, fp.hi)))
        return rc;
    d->ring[pos] = next;
    d->len++;
    cib__fptab_insert(&d->set, fp, (void *)(uintptr_t)(pos + 1));
    return CIB_OK;
}

void cib__dedup_forget(cib_ctx *ctx, cib__fp fp)
{
    cib__dedup *d = &ctx->dedup;
    cib__dedup_entry *e = recent(d, fp);
    d->work++;
    if (e) { /* its ring entry is dropped when its turn comes */
        e->fp = (cib__fp){0, 0};
        cib__fptab_remove(&d->set, fp);
    }
    cib__fpfilter_remove(&d->filter, cib__fpfilter_value(&d->filter, fp));
}

static int load_row(cib_ctx *ctx, const cib_row *row, void *arg)
{
    (void)arg;
    cib__fp fp;
    if (cib__fp_parse(row->key, row->key_len, &fp))
        return cib__fail(ctx, CIB_ESTORAGE, "store holds a dedup row with a bad key");
    cib__fpfilter *f = &ctx->dedup.filter;
    if (cib__fpfilter_reserve(&ctx->mem, f, 1))
        return cib__nomem(ctx);
    cib__fpfilter_add(f, cib__fpfilter_value(f, fp));
    return CIB_OK;
}

int cib__dedup_load(cib_ctx *ctx)
{
    int rc = cib__store_scan(ctx, CIB_KIND_DEDUP, load_row, NULL);
    return rc ? rc : cib__dedup_ready(ctx);
}

void cib__dedup_dump(cib_ctx *ctx, cib__buf *b)
{
    cib__buf_fmt(b, "dedup keys=%zu\n", ctx->dedup.filter.count);
}

void cib__dedup_free(cib_ctx *ctx)
{
    cib__dedup *d = &ctx->dedup;
    size_t max = d->max;
    cib__fpfilter_free(&ctx->mem, &d->filter);
    cib__fptab_free(&ctx->mem, &d->set);
    cib__free(&ctx->mem, d->ring);
    memset(d, 0, sizeof *d);
    d->max = max;
}
