/* conversation.c - open conversations in memory, their rows, and reading
 * closed ones from the store (see conversation.h). */
#include "conversation.h"

#include <stdio.h>
#include <string.h>

#include "account.h"
#include "caps.h"
#include "channel.h"
#include "contact.h"
#include "dedup.h"
#include "error.h"
#include "op.h"
#include "props.h"
#include "route.h"
#include "rule.h"
#include "user.h"

static const uint64_t pow10s[20] = {1ull,
                                    10ull,
                                    100ull,
                                    1000ull,
                                    10000ull,
                                    100000ull,
                                    1000000ull,
                                    10000000ull,
                                    100000000ull,
                                    1000000000ull,
                                    10000000000ull,
                                    100000000000ull,
                                    1000000000000ull,
                                    10000000000000ull,
                                    100000000000000ull,
                                    1000000000000000ull,
                                    10000000000000000ull,
                                    100000000000000000ull,
                                    1000000000000000000ull,
                                    10000000000000000000ull};

/* Decimal digits of v (1 for 0). */
static size_t n_digits(uint64_t v)
{
#if defined(__GNUC__)
    /* floor(log10(2^bits)) from the bit length, one less if v is below that
     * power of ten */
    size_t t = (size_t)(64 - __builtin_clzll(v | 1)) * 1233 >> 12;
    return t + ((v | 1) >= pow10s[t]);
#else
    size_t n = 1;
    while (n < 20 && v >= pow10s[n])
        n++;
    return n;
#endif
}

static const char digit_pairs[] = "00010203040506070809101112131415161718192021222324"
                                  "25262728293031323334353637383940414243444546474849"
                                  "50515253545556575859606162636465666768697071727374"
                                  "75767778798081828384858687888990919293949596979899";

/* The digits of v < 2^32 ending at end, two per division. */
static void put_u32(char *end, uint32_t v)
{
    while (v >= 100) {
        unsigned d = (v % 100) * 2;
        v /= 100;
        *--end = digit_pairs[d + 1];
        *--end = digit_pairs[d];
    }
    if (v >= 10) {
        *--end = digit_pairs[v * 2 + 1];
        *--end = digit_pairs[v * 2];
    } else {
        *--end = (char)('0' + v);
    }
}

size_t cib__id_key(uint64_t id, char *buf)
{
    /* Ids are formatted for every row key the hot path writes: the length
     * from the bit length, then two digits per division, in 32 bits once
     * the rest fits. */
    size_t n = n_digits(id);
    char *p = buf + n;
    *p = '\0';
    while (id > UINT32_MAX) {
        unsigned d = (unsigned)(id % 100) * 2;
        id /= 100;
        *--p = digit_pairs[d + 1];
        *--p = digit_pairs[d];
    }
    put_u32(p, (uint32_t)id);
    return n;
}

int cib__id_parse(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
        return -1;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

cib__conv *cib__conv_find(cib_ctx *ctx, uint64_t id)
{
    cib__conv *cv = NULL;
    CIB_HASH_FIND(ctx->seed, hh, ctx->convs, &id, sizeof id, cv);
    return cv;
}

cib__fp cib__thread_fp(cib_ctx *ctx, const cib__channel *ch, const char *key, size_t len)
{
    const char *parts[] = {"thread", ch->id, key};
    size_t lens[] = {6, ch->id_len, len};
    return cib__fingerprint(ctx->secret, parts, lens, 3);
}

cib__conv *cib__conv_by_thread(cib_ctx *ctx, cib__fp thread)
{
    void *cv = NULL;
    return cib__fptab_find(&ctx->threads, thread, &cv) ? cv : NULL;
}

static int has_thread(const cib__conv *cv)
{
    return cv->thread.lo || cv->thread.hi;
}

cib__conv *cib__conv_new(cib_ctx *ctx, uint64_t id, cib__channel *ch, cib__contact *c,
                         cib__props *props, int64_t now)
{
    cib__conv *cv = cib__calloc(&ctx->mem, 1, sizeof *cv);
    if (!cv)
        return NULL;
    cv->id = id;
    cv->channel = ch;
    cv->contact = c;
    cv->props = cib__props_ref(props);
    cv->created_at = now;
    cv->last_inbound_at = now;
    return cv;
}

void cib__conv_free(cib_ctx *ctx, cib__conv *cv)
{
    if (!cv)
        return;
    cib__free(&ctx->mem, cv->wait); /* a node not in a queue (a failed load) */
    cib__props_unref(ctx, cv->props);
    cib__free(&ctx->mem, cv);
}

int cib__conv_reserve(cib_ctx *ctx, cib__conv *cv)
{
    if (has_thread(cv) && cib__fptab_reserve(&ctx->mem, &ctx->threads, 1))
        return cib__nomem(ctx);
    int ok;
    CIB_HASH_ADD(&ctx->mem, ctx->seed, hh, ctx->convs, &cv->id, sizeof cv->id, cv, ok);
    return ok ? CIB_OK : cib__nomem(ctx);
}

void cib__conv_unreserve(cib_ctx *ctx, cib__conv *cv)
{
    CIB_HASH_DEL(&ctx->mem, hh, ctx->convs, cv);
}

static cib__tree *queue_of(cib__conv *cv)
{
    return cv->assignee ? &cv->assignee->assigned : &cv->channel->inbox->unassigned;
}

void cib__conv_link(cib_ctx *ctx, cib__conv *cv)
{
    cib__tree_insert(&cv->channel->inbox->open, &cv->in_inbox);
    cib__tree_insert(queue_of(cv), &cv->in_queue);
    if (has_thread(cv))
        cib__fptab_insert(&ctx->threads, cv->thread, cv);
    if (cv->assignee) /* its load grew */
        cib__rule_refresh_user(ctx, cv->assignee);
}

/* ---- the same steps inside an op, with their undo (op.h) ---- */

static void undo_own(cib_ctx *ctx, const cib__undo *u)
{
    cib__conv_free(ctx, u->p);
}

int cib__conv_own_op(cib__op *op, cib__conv *cv)
{
    int rc = cib__op_undo(op, undo_own, cv, NULL, 0, 0);
    if (rc)
        cib__conv_free(op->ctx, cv);
    return rc;
}

static void undo_reserve(cib_ctx *ctx, const cib__undo *u)
{
    cib__conv_unreserve(ctx, u->p);
}

int cib__conv_reserve_op(cib__op *op, cib__conv *cv)
{
    int rc = cib__op_undo(op, undo_reserve, cv, NULL, 0, 0);
    if (!rc && (rc = cib__conv_reserve(op->ctx, cv)))
        op->ctx->n_undo--; /* nothing to undo: drop the entry just made */
    return rc;
}

static void undo_link(cib_ctx *ctx, const cib__undo *u)
{
    cib__conv *cv = u->p;
    cib__tree_remove(&cv->channel->inbox->open, &cv->in_inbox);
    cib__tree_remove(queue_of(cv), &cv->in_queue);
    if (has_thread(cv))
        cib__fptab_remove(&ctx->threads, cv->thread);
    if (cv->assignee)
        cib__rule_refresh_user(ctx, cv->assignee);
}

int cib__conv_link_op(cib__op *op, cib__conv *cv)
{
    int rc = cib__op_undo(op, undo_link, cv, NULL, 0, 0);
    if (!rc)
        cib__conv_link(op->ctx, cv);
    return rc;
}

static void undo_assignee(cib_ctx *ctx, const cib__undo *u)
{
    cib__conv_set_assignee(ctx, u->p, u->q, (int)u->a);
}

int cib__conv_set_assignee_op(cib__op *op, cib__conv *cv, cib__user *u, int reason)
{
    int rc = cib__op_undo(op, undo_assignee, cv, cv->assignee, cv->reason, 0);
    if (!rc)
        cib__conv_set_assignee(op->ctx, cv, u, reason);
    return rc;
}

void cib__conv_evict(cib_ctx *ctx, cib__conv *cv)
{
    cib__user *u = cv->assignee;
    cib__wait_drop(ctx, cv);
    cib__tree_remove(&cv->channel->inbox->open, &cv->in_inbox);
    cib__tree_remove(queue_of(cv), &cv->in_queue);
    if (has_thread(cv))
        cib__fptab_remove(&ctx->threads, cv->thread);
    cib__conv_unreserve(ctx, cv);
    cib__conv_free(ctx, cv);
    if (u)
        cib__rule_refresh_user(ctx, u);
}

void cib__conv_set_assignee(cib_ctx *ctx, cib__conv *cv, cib__user *u, int reason)
{
    cib__user *old = cv->assignee;
    cib__tree_remove(queue_of(cv), &cv->in_queue);
    cv->assignee = u;
    cv->reason = (uint8_t)reason;
    cib__tree_insert(queue_of(cv), &cv->in_queue);
    if (old && old != u)
        cib__rule_refresh_user(ctx, old);
    if (u)
        cib__rule_refresh_user(ctx, u);
}

static void text_or_null_time(cib__rowb *b, const char *name, int64_t t)
{
    if (t)
        cib__rowb_int(b, name, t);
    else
        cib__rowb_text(b, name, NULL);
}

int cib__conv_write(cib_ctx *ctx, const cib__conv *cv, int status, int64_t closed_at)
{
    char key[21], hex[33];
    size_t n = cib__id_key(cv->id, key);
    /* The context's own store keeps closed conversations only: an open one
     * is in memory (and a reopened one's closed row goes). */
    if (status == CIB_STATUS_OPEN && ctx->store_skips_open)
        return cib__tx_del(ctx, CIB_KIND_CONVERSATION, key, n);
    const cib__inbox *ib = cv->channel->inbox;
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_CONVERSATION, key, n);
    cib__rowb_textn(&b, "inbox", ib->id, ib->id_len);
    cib__rowb_textn(&b, "channel", cv->channel->id, cv->channel->id_len);
    cib__rowb_textn(&b, "contact", cv->contact->id, cv->contact->id_len);
    if (cv->assignee)
        cib__rowb_textn(&b, "assignee", cv->assignee->id, cv->assignee->id_len);
    else
        cib__rowb_text(&b, "assignee", NULL);
    cib__rowb_text(&b, "reason", cib__reason_name(cv->reason));
    cib__rowb_text(&b, "status", status == CIB_STATUS_OPEN ? "open" : "closed");
    cib__rowb_int(&b, "created_at", cv->created_at);
    cib__rowb_int(&b, "last_inbound_at", cv->last_inbound_at);
    text_or_null_time(&b, "first_reply_at", cv->first_reply_at);
    text_or_null_time(&b, "closed_at", status == CIB_STATUS_CLOSED ? closed_at : 0);
    cib__rowb_int(&b, "n_messages", cv->n_messages);
    if (has_thread(cv)) {
        cib__fp_hex(cv->thread, hex);
        cib__rowb_textn(&b, "thread", hex, 32);
    } else {
        cib__rowb_text(&b, "thread", NULL);
    }
    cib__props_row(&b, cv->props);
    if (cv->wait && status == CIB_STATUS_OPEN)
        cib__rowb_int(&b, "queued", (int64_t)cv->wait->seq);
    else
        cib__rowb_text(&b, "queued", NULL);
    char ticket[21];
    if (cv->ticket)
        cib__rowb_textn(&b, "ticket", ticket, cib__id_key(cv->ticket, ticket));
    else
        cib__rowb_text(&b, "ticket", NULL);
    return cib__tx_put(ctx, &b.row);
}

int cib__conv_write_inbound(cib_ctx *ctx, const cib__conv *cv)
{
    char key[21];
    size_t n = cib__id_key(cv->id, key);
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_CONVERSATION, key, n);
    cib__rowb_textn(&b, "assignee", cv->assignee ? cv->assignee->id : NULL,
                    cv->assignee ? cv->assignee->id_len : 0);
    cib__rowb_text(&b, "reason", cib__reason_name(cv->reason));
    cib__rowb_int(&b, "last_inbound_at", cv->last_inbound_at);
    cib__rowb_int(&b, "n_messages", cv->n_messages);
    if (cv->wait)
        cib__rowb_int(&b, "queued", (int64_t)cv->wait->seq);
    else
        cib__rowb_text(&b, "queued", NULL);
    return cib__tx_patch(ctx, &b.row);
}

/* Property sets met while loading the open conversations: a conversation
 * whose properties equal its channel's, or those of one loaded before it,
 * shares that set, as it did before the restart (R-CHAN-10), instead of
 * holding a copy. A few recent sets are enough: a channel's conversations
 * hold its current set, or one of the few it had before an update. */
#define SEEN_SETS 16
typedef struct seen_sets {
    cib__props *v[SEEN_SETS]; /* references, released after the load */
    size_t next;
} seen_sets;

struct decoded {
    cib__conv *cv;
    int status;
    int64_t closed_at;
    seen_sets *seen; /* NULL: no sharing but with the channel */
};

/* A stored conversation row into a detached object. */
static int decode(cib_ctx *ctx, const cib_row *row, void *arg)
{
    struct decoded *d = arg;
    cib__str inbox, channel, contact, assignee, reason, status, thread, ticket;
    int64_t created, last_inbound, first_reply, closed_at, n_messages, queued;
    uint64_t id;
    int rc = cib__row_text(ctx, row, "inbox", 0, &inbox);
    if (!rc)
        rc = cib__row_text(ctx, row, "channel", 0, &channel);
    if (!rc)
        rc = cib__row_text(ctx, row, "contact", 0, &contact);
    if (!rc)
        rc = cib__row_text(ctx, row, "assignee", 1, &assignee);
    if (!rc)
        rc = cib__row_text(ctx, row, "reason", 0, &reason);
    if (!rc)
        rc = cib__row_text(ctx, row, "status", 0, &status);
    if (!rc)
        rc = cib__row_time(ctx, row, "created_at", 0, &created);
    if (!rc)
        rc = cib__row_time(ctx, row, "last_inbound_at", 0, &last_inbound);
    if (!rc)
        rc = cib__row_time(ctx, row, "first_reply_at", 1, &first_reply);
    if (!rc)
        rc = cib__row_time(ctx, row, "closed_at", 1, &closed_at);
    if (!rc)
        rc = cib__row_int(ctx, row, "n_messages", &n_messages);
    if (!rc)
        rc = cib__row_text(ctx, row, "thread", 1, &thread);
    if (!rc)
        rc = cib__row_int_or_null(ctx, row, "queued", &queued);
    if (!rc)
        rc = cib__row_text(ctx, row, "ticket", 1, &ticket);
    if (rc)
        return rc;
    uint64_t ticket_id = 0;
    cib__channel *ch = cib__channel_find(ctx, channel.p, channel.n);
    cib__contact *c = cib__contact_find(ctx, contact.p, contact.n);
    cib__user *u = assignee.p ? cib__user_find(ctx, assignee.p, assignee.n) : NULL;
    int why = cib__reason_parse(reason);
    cib__fp fp = {0, 0};
    const char *bad = NULL;
    if (cib__id_parse(row->key, row->key_len, &id) || id == 0)
        bad = "its key is not an id";
    else if (!ch || !cib__streq(ch->inbox->id, ch->inbox->id_len, inbox.p, inbox.n))
        bad = "its channel or inbox does not exist";
    else if (!c)
        bad = "its contact does not exist";
    else if (why < 0)
        bad = "its reason is unknown";
    else if (!cib__streq(status.p, status.n, "open", 4) &&
             !cib__streq(status.p, status.n, "closed", 6))
        bad = "its status is neither open nor closed";
    else if (thread.p && cib__fp_parse(thread.p, thread.n, &fp))
        bad = "its thread is not 32 hex digits";
    else if (n_messages < 0 || n_messages > UINT32_MAX || queued < 0)
        bad = "a counter is out of range";
    else if (ticket.p && (cib__id_parse(ticket.p, ticket.n, &ticket_id) || !ticket_id))
        bad = "its ticket is not an id";
    if (bad)
        return cib__fail(ctx, CIB_ESTORAGE, "store holds a bad conversation row '%.*s': %s",
                         (int)(row->key_len > 40 ? 40 : row->key_len), row->key, bad);
    cib__props *sets[1 + SEEN_SETS] = {ch->props};
    size_t n_sets = 1;
    for (size_t i = 0; d->seen && i < SEEN_SETS; i++)
        sets[n_sets++] = d->seen->v[i];
    cib__props *props = NULL;
    if ((rc = cib__props_load_shared(ctx, row, sets, n_sets, &props)))
        return cib__row_refused(ctx, row, rc);
    int known = 0;
    for (size_t i = 0; i < n_sets; i++)
        known |= props == sets[i];
    if (d->seen && props && !known) { /* a new set: remember it */
        cib__props_unref(ctx, d->seen->v[d->seen->next]);
        d->seen->v[d->seen->next] = cib__props_ref(props);
        d->seen->next = (d->seen->next + 1) % SEEN_SETS;
    }
    cib__conv *cv = cib__conv_new(ctx, id, ch, c, props, created);
    cib__props_unref(ctx, props);
    if (!cv)
        return cib__nomem(ctx);
    cv->assignee = u;
    cv->reason = (uint8_t)(u ? why : CIB_REASON_NONE);
    cv->last_inbound_at = last_inbound;
    cv->first_reply_at = first_reply;
    cv->n_messages = (uint32_t)n_messages;
    cv->thread = fp;
    cv->ticket = ticket_id;
    int open = status.p[0] == 'o';
    if (queued && open) { /* queued in order by cib__route_load_queues() */
        if (cib__wait_new(ctx, &cv->wait)) {
            cib__conv_free(ctx, cv);
            return CIB_ENOMEM;
        }
        cv->wait->seq = (uint64_t)queued;
        cv->wait->conv = cv;
    }
    d->cv = cv;
    d->status = status.p[0] == 'o' ? CIB_STATUS_OPEN : CIB_STATUS_CLOSED;
    d->closed_at = closed_at;
    return CIB_OK;
}

int cib__conv_read(cib_ctx *ctx, uint64_t id, cib__conv **out, int *status, int64_t *closed_at)
{
    char key[21];
    size_t n = cib__id_key(id, key);
    struct decoded d = {NULL, 0, 0, NULL};
    int rc = cib__store_get(ctx, CIB_KIND_CONVERSATION, key, n, decode, &d);
    if (rc)
        return rc;
    *out = d.cv;
    *status = d.status;
    *closed_at = d.closed_at;
    return CIB_OK;
}

static int load_open(cib_ctx *ctx, const cib_row *row, void *arg)
{
    struct decoded d = {NULL, 0, 0, arg};
    int rc = decode(ctx, row, &d);
    if (rc)
        return rc;
    int thread_taken = has_thread(d.cv) && cib__conv_by_thread(ctx, d.cv->thread);
    if (d.status != CIB_STATUS_OPEN || cib__conv_find(ctx, d.cv->id) || thread_taken) {
        cib__conv_free(ctx, d.cv);
        return cib__fail(ctx, CIB_ESTORAGE,
                         "store holds a bad conversation row '%.*s': it is stored twice, or its "
                         "thread is another open conversation's",
                         (int)row->key_len, row->key);
    }
    if ((rc = cib__conv_reserve(ctx, d.cv))) {
        cib__conv_free(ctx, d.cv);
        return rc;
    }
    cib__conv_link(ctx, d.cv);
    if (d.cv->id >= ctx->next_id)
        return cib__fail(ctx, CIB_ESTORAGE, "store holds conversation %llu beyond its next id",
                         (unsigned long long)d.cv->id);
    return CIB_OK;
}

int cib__conv_load_open(cib_ctx *ctx)
{
    seen_sets seen;
    memset(&seen, 0, sizeof seen);
    int rc = cib__store_find(ctx, CIB_KIND_CONVERSATION, "status", "open", 4, load_open, &seen);
    for (size_t i = 0; i < SEEN_SETS; i++)
        cib__props_unref(ctx, seen.v[i]);
    return rc;
}

/* The open conversations of a tree, in order, safe against unlinking the
 * current one. */
int cib__conv_write_without_user(cib_ctx *ctx, const cib__user *u)
{
    cib__conv *cv;
    FOR_EACH_CONV(&u->assigned, in_queue, cv)
    {
        cib__conv next = *cv;
        next.assignee = NULL;
        next.reason = CIB_REASON_NONE;
        int rc = cib__conv_write(ctx, &next, CIB_STATUS_OPEN, 0);
        if (rc)
            return rc;
    }
    return CIB_OK;
}

void cib__conv_drop_user(cib_ctx *ctx, cib__user *u)
{
    cib__conv *cv;
    FOR_EACH_CONV(&u->assigned, in_queue, cv)
    {
        cib__conv_set_assignee(ctx, cv, NULL, CIB_REASON_NONE);
        cib__conv_emit(ctx, CIB_EVENT_ASSIGNED, cv, NULL, 0, 0);
    }
}

/* Keys of rows to delete, collected before deleting. */
struct keys {
    cib_ctx *ctx;
    char **v;
    size_t n, cap;
};

static int collect_key(cib_ctx *ctx, const cib_row *row, void *arg)
{
    struct keys *k = arg;
    if (k->n == k->cap) {
        size_t cap = k->cap ? k->cap * 2 : 16;
        char **v = cib__realloc(&ctx->mem, k->v, cap * sizeof *v);
        if (!v)
            return cib__nomem(ctx);
        k->v = v;
        k->cap = cap;
    }
    if (!(k->v[k->n] = cib__strndup(&ctx->mem, row->key, row->key_len)))
        return cib__nomem(ctx);
    k->n++;
    return CIB_OK;
}

int cib__conv_write_delete_inbox(cib_ctx *ctx, const cib__inbox *ib, cib__fplist *dedup)
{
    /* Conversations last: a store may find the other rows of an inbox
     * through their conversation (the SQLite adapter does). */
    static const int kinds[] = {CIB_KIND_MESSAGE, CIB_KIND_DEDUP, CIB_KIND_THREAD, CIB_KIND_TICKET,
                                CIB_KIND_CONVERSATION};
    int rc = CIB_OK;
    dedup->v = NULL;
    dedup->n = 0;
    dedup->convs = 0;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0] && !rc; i++) {
        struct keys k = {ctx, NULL, 0, 0};
        rc = cib__store_find(ctx, kinds[i], "inbox", ib->id, ib->id_len, collect_key, &k);
        if (!rc && kinds[i] == CIB_KIND_DEDUP && k.n &&
            !(dedup->v = cib__calloc(&ctx->mem, k.n, sizeof *dedup->v)))
            rc = cib__nomem(ctx);
        if (kinds[i] == CIB_KIND_CONVERSATION)
            dedup->convs = k.n + (ctx->store_skips_open ? ib->open.count : 0);
        for (size_t j = 0; j < k.n; j++) {
            if (!rc)
                rc = cib__tx_del(ctx, kinds[i], k.v[j], strlen(k.v[j]));
            if (!rc && kinds[i] == CIB_KIND_DEDUP &&
                !cib__fp_parse(k.v[j], strlen(k.v[j]), &dedup->v[dedup->n]))
                dedup->n++;
            cib__free(&ctx->mem, k.v[j]);
        }
        cib__free(&ctx->mem, k.v);
    }
    if (rc) {
        cib__free(&ctx->mem, dedup->v);
        dedup->v = NULL;
        dedup->n = 0;
    }
    return rc;
}

int cib__conv_plan_inbox(cib_ctx *ctx, const cib__inbox *ib, cib__plan *p)
{
    p->gone = ib;
    cib__conv *cv;
    FOR_EACH_CONV(&ib->open, in_inbox, cv)
    {
        cib__user *u = cv->assignee;
        int rc = u ? cib__plan_user(ctx, p, u, u->status, u->seat, u->capacity, -1) : CIB_OK;
        if (rc)
            return rc;
    }
    return cib__plan_run(ctx, p);
}

void cib__conv_drop_inbox(cib_ctx *ctx, cib__inbox *ib, cib__fplist *dedup)
{
    cib__conv *cv;
    FOR_EACH_CONV(&ib->open, in_inbox, cv)
    {
        cib__conv_evict(ctx, cv);
    }
    cib__caps_conversations(ctx, 0, dedup->convs);
    for (size_t i = 0; i < dedup->n; i++)
        cib__dedup_forget(ctx, dedup->v[i]);
    cib__free(&ctx->mem, dedup->v);
    dedup->v = NULL;
    dedup->n = 0;
}

void cib__conv_emit(cib_ctx *ctx, int type, const cib__conv *cv, const cib__user *user,
                    uint64_t message, int kind)
{
    /* Without a listener an event is neither delivered nor queued in a
     * batch (cib__emit): build none. */
    if (!ctx->on_event)
        return;
    cib_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = type;
    ev.conversation = cv->id;
    ev.message = message;
    ev.inbox = cv->channel->inbox->id;
    ev.channel = cv->channel->id;
    ev.contact = cv->contact->id;
    ev.user = user ? user->id : NULL;
    ev.reason = type == CIB_EVENT_ASSIGNED ? cv->reason : 0;
    ev.message_kind = kind;
    ev.ticket = type == CIB_EVENT_TICKET_CREATED ? cv->ticket : 0;
    cib__emit(ctx, &ev);
}

void cib__conv_dump(cib_ctx *ctx, cib__buf *b)
{
    cib__conv *cv, *tmp;
    HASH_ITER (hh, ctx->convs, cv, tmp) {
        char hex[33] = "-";
        if (has_thread(cv))
            cib__fp_hex(cv->thread, hex);
        cib__buf_fmt(b, "conversation %020llu channel=", (unsigned long long)cv->id);
        cib__buf_quote(b, cv->channel->id, cv->channel->id_len);
        cib__buf_str(b, " contact=");
        cib__buf_quote(b, cv->contact->id, cv->contact->id_len);
        cib__buf_str(b, " assignee=");
        if (cv->assignee)
            cib__buf_quote(b, cv->assignee->id, cv->assignee->id_len);
        else
            cib__buf_str(b, "-");
        cib__buf_fmt(b,
                     " reason=%s created_at=%lld last_inbound_at=%lld first_reply_at=%lld "
                     "messages=%u thread=%s props=%zu ticket=%llu\n",
                     cib__reason_name(cv->reason), (long long)cv->created_at,
                     (long long)cv->last_inbound_at, (long long)cv->first_reply_at,
                     (unsigned)cv->n_messages, hex, cib__props_count(cv->props),
                     (unsigned long long)cv->ticket);
    }
}

void cib__conv_free_all(cib_ctx *ctx)
{
    cib__conv *cv, *tmp;
    HASH_ITER (hh, ctx->convs, cv, tmp) {
        CIB_HASH_DEL(&ctx->mem, hh, ctx->convs, cv);
        cib__conv_free(ctx, cv);
    }
    cib__fptab_free(&ctx->mem, &ctx->threads);
}
