/* dedup.c - idempotency keys (see dedup.h). */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

#include "conversation.h"
#include "error.h"
#include "store.h"

cib__fp cib__dedup_fp(cib_ctx *ctx, const cib__channel *ch, const char *msg_id, size_t len)
{
    const char *parts[] = {"dedup", ch->id, msg_id};
    size_t lens[] = {5, ch->id_len, len};
    return cib__fingerprint(ctx->secret, parts, lens, 3);
}

struct stored {
    const cib__channel *ch;
    const char *msg_id;
    size_t len;
    int match;
    uint64_t message, conversation;
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
    *delivered = 0;
    *known = cib__fptab_find(&ctx->dedup.set, fp, NULL);
    if (!*known)
        return CIB_OK;
    char hex[33];
    cib__fp_hex(fp, hex);
    struct stored st = {ch, msg_id, len, 0, 0, 0};
    int rc = cib__store_get(ctx, CIB_KIND_DEDUP, hex, 32, read_row, &st);
    if (rc == CIB_ENOTFOUND)
        return CIB_OK; /* the row went with a deleted inbox */
    if (rc)
        return rc;
    /* A different message with the same 128-bit fingerprint would not match;
     * it is then processed as new (and, as its key is taken, is not
     * remembered). */
    if (st.match) {
        *delivered = 1;
        *message = st.message;
        *conversation = st.conversation;
    }
    return CIB_OK;
}

static int ring_reserve(cib_ctx *ctx, size_t extra)
{
    cib__dedup *d = &ctx->dedup;
    if (d->len + extra <= d->cap)
        return CIB_OK;
    size_t cap = d->cap ? d->cap : 16;
    while (cap < d->len + extra)
        cap *= 2;
    cib__dedup_entry *ring = cib__calloc(&ctx->mem, cap, sizeof *ring);
    if (!ring)
        return cib__nomem(ctx);
    for (size_t i = 0; i < d->len; i++)
        ring[i] = d->ring[(d->head + i) & (d->cap - 1)];
    cib__free(&ctx->mem, d->ring);
    d->ring = ring;
    d->cap = cap;
    d->head = 0;
    return CIB_OK;
}

int cib__dedup_reserve(cib_ctx *ctx)
{
    if (cib__fptab_reserve(&ctx->mem, &ctx->dedup.set, 1))
        return cib__nomem(ctx);
    return ring_reserve(ctx, 1);
}

static int is_tombstone(const cib__dedup_entry *e)
{
    return !e->fp.lo && !e->fp.hi;
}

static cib__dedup_entry *ring_at(cib__dedup *d, size_t i)
{
    return &d->ring[(d->head + i) & (d->cap - 1)];
}

int cib__dedup_write(cib_ctx *ctx, cib__fp fp, const cib__channel *ch, const char *msg_id,
                     size_t len, uint64_t message, uint64_t conversation, int64_t now,
                     size_t *expired)
{
    cib__dedup *d = &ctx->dedup;
    char hex[33], mkey[21], ckey[21];
    *expired = 0;
    while (*expired < CIB__DEDUP_BATCH && *expired < d->len &&
           ring_at(d, *expired)->expires_at <= now) {
        const cib__dedup_entry *e = ring_at(d, *expired);
        if (!is_tombstone(e)) {
            cib__fp_hex(e->fp, hex);
            int rc = cib__tx_del(ctx, CIB_KIND_DEDUP, hex, 32);
            if (rc)
                return rc;
        }
        ++*expired;
    }
    cib__fp_hex(fp, hex);
    size_t mn = cib__id_key(message, mkey), cn = cib__id_key(conversation, ckey);
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_DEDUP, hex, 32);
    cib__rowb_textn(&b, "inbox", ch->inbox->id, ch->inbox->id_len);
    cib__rowb_textn(&b, "channel", ch->id, ch->id_len);
    cib__rowb_textn(&b, "msg_id", msg_id, len);
    cib__rowb_textn(&b, "message", mkey, mn);
    cib__rowb_textn(&b, "conversation", ckey, cn);
    cib__rowb_int(&b, "expires_at", now + ctx->dedup_window);
    return cib__tx_put(ctx, &b.row);
}

void cib__dedup_commit(cib_ctx *ctx, cib__fp fp, int known, int64_t now, size_t expired)
{
    cib__dedup *d = &ctx->dedup;
    for (size_t i = 0; i < expired; i++) {
        if (!is_tombstone(&d->ring[d->head]))
            cib__fptab_remove(&d->set, d->ring[d->head].fp);
        d->head = (d->head + 1) & (d->cap - 1);
        d->len--;
    }
    if (known)
        return;
    cib__fptab_insert(&d->set, fp, NULL);
    *ring_at(d, d->len) = (cib__dedup_entry){fp, now + ctx->dedup_window};
    d->len++;
}

void cib__dedup_forget(cib_ctx *ctx, cib__fp fp)
{
    cib__dedup *d = &ctx->dedup;
    cib__fptab_remove(&d->set, fp);
    for (size_t i = 0; i < d->len; i++) {
        cib__dedup_entry *e = ring_at(d, i);
        if (e->fp.lo == fp.lo && e->fp.hi == fp.hi)
            e->fp = (cib__fp){0, 0};
    }
}

static int load_row(cib_ctx *ctx, const cib_row *row, void *arg)
{
    (void)arg;
    cib__fp fp;
    int64_t expires_at;
    int rc = cib__row_int(ctx, row, "expires_at", &expires_at);
    if (rc)
        return rc;
    if (cib__fp_parse(row->key, row->key_len, &fp) || cib__fptab_find(&ctx->dedup.set, fp, NULL))
        return cib__fail(ctx, CIB_ESTORAGE, "store holds a dedup row with a bad or repeated key");
    if (cib__fptab_reserve(&ctx->mem, &ctx->dedup.set, 1) || ring_reserve(ctx, 1))
        return cib__nomem(ctx);
    cib__fptab_insert(&ctx->dedup.set, fp, NULL);
    *ring_at(&ctx->dedup, ctx->dedup.len) = (cib__dedup_entry){fp, expires_at};
    ctx->dedup.len++;
    return CIB_OK;
}

static int by_expiry(const void *a, const void *b)
{
    const cib__dedup_entry *x = a, *y = b;
    if (x->expires_at != y->expires_at)
        return x->expires_at < y->expires_at ? -1 : 1;
    if (x->fp.hi != y->fp.hi)
        return x->fp.hi < y->fp.hi ? -1 : 1;
    return (x->fp.lo > y->fp.lo) - (x->fp.lo < y->fp.lo);
}

int cib__dedup_load(cib_ctx *ctx)
{
    int rc = cib__store_scan(ctx, CIB_KIND_DEDUP, load_row, NULL);
    /* Loaded in store order, from head 0: put the ring in expiry order. */
    if (!rc && ctx->dedup.len)
        qsort(ctx->dedup.ring, ctx->dedup.len, sizeof *ctx->dedup.ring, by_expiry);
    return rc;
}

void cib__dedup_dump(cib_ctx *ctx, cib__buf *b)
{
    cib__dedup *d = &ctx->dedup;
    for (size_t i = 0; i < d->len; i++) {
        char hex[33];
        if (is_tombstone(ring_at(d, i)))
            continue;
        cib__fp_hex(ring_at(d, i)->fp, hex);
        cib__buf_fmt(b, "dedup %s expires_at=%lld\n", hex, (long long)ring_at(d, i)->expires_at);
    }
}

void cib__dedup_free(cib_ctx *ctx)
{
    cib__fptab_free(&ctx->mem, &ctx->dedup.set);
    cib__free(&ctx->mem, ctx->dedup.ring);
    memset(&ctx->dedup, 0, sizeof ctx->dedup);
}
