/* caps.c - configurable caps and the heap budget: reading them from the
 * options, cib_limit(), cib_memory_used(), and the checks (caps.h). */
#include "caps.h"

#include <string.h>

#include "error.h"
#include "hash.h"
#include "heap.h"
#include "store.h"

/* The name of each cap in messages: its cib_options member. */
static const char *cap_name(int which)
{
    switch (which) {
    case CIB_LIMIT_INBOXES:
        return "max_inboxes";
    case CIB_LIMIT_CONTACTS:
        return "max_contacts";
    case CIB_LIMIT_OPEN_CONVERSATIONS:
        return "max_open_conversations";
    case CIB_LIMIT_CONVERSATIONS:
        return "max_conversations";
    case CIB_LIMIT_TEXT:
        return "max_text_len";
    case CIB_LIMIT_ATTACHMENTS:
        return "max_attachments";
    case CIB_LIMIT_HEAP:
        return "heap_budget";
    default:
        return NULL;
    }
}

int cib__caps_init(cib_ctx *ctx, const cib_options *o)
{
    ctx->lim.max_contacts = o->max_contacts;
    ctx->lim.max_open = o->max_open_conversations;
    ctx->lim.max_convs = o->max_conversations;
    ctx->lim.max_attachments = o->max_attachments ? o->max_attachments : CIB__ATTACHMENTS_DEFAULT;
    if (ctx->lim.max_attachments > CIB__ATTACHMENTS_MAX)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'opts->max_attachments' is %u; at most %u",
                         o->max_attachments, CIB__ATTACHMENTS_MAX);
    if (!o->heap_budget)
        return CIB_OK;
    uint64_t base = sizeof *ctx;
    if (o->heap_budget < base + sizeof(cib__heap))
        return cib__fail(ctx, CIB_ENOMEM,
                         "out of memory: the heap budget of %llu bytes is less than the "
                         "context itself takes (%llu bytes)",
                         (unsigned long long)o->heap_budget,
                         (unsigned long long)(base + sizeof(cib__heap)));
    if (!(ctx->heap = cib__heap_wrap(&ctx->mem, o->heap_budget, base)))
        return cib__nomem(ctx);
    return CIB_OK;
}

static int count_row(cib_ctx *ctx, const cib_row *row, void *arg)
{
    (void)ctx;
    (void)row;
    ++*(uint64_t *)arg;
    return CIB_OK;
}

/* Count the conversations, open and closed. */
static int count_conversations(cib_ctx *ctx, uint64_t *n)
{
    *n = 0;
    int rc = cib__store_scan(ctx, CIB_KIND_CONVERSATION, count_row, n);
    if (!rc && ctx->store_skips_open) /* the open ones are in memory only */
        *n += HASH_COUNT(ctx->convs);
    return rc;
}

int cib__caps_load(cib_ctx *ctx)
{
    ctx->n_convs_known = 0;
    if (!ctx->lim.max_convs)
        return CIB_OK;
    int rc = count_conversations(ctx, &ctx->n_convs);
    if (rc)
        return cib__wrap(ctx, rc, "counting the conversations for max_conversations");
    ctx->n_convs_known = 1;
    return CIB_OK;
}

void cib__caps_conversations(cib_ctx *ctx, uint64_t created, uint64_t deleted)
{
    if (!ctx->n_convs_known)
        return;
    ctx->n_convs += created;
    ctx->n_convs = deleted > ctx->n_convs ? 0 : ctx->n_convs - deleted;
}

int cib__cap_contact(cib_ctx *ctx)
{
    size_t n = HASH_COUNT(ctx->contacts);
    if (ctx->lim.max_contacts && n >= ctx->lim.max_contacts)
        return cib__fail(ctx, CIB_ELIMIT,
                         "the account has %zu contacts, the most max_contacts (%u) allows", n,
                         ctx->lim.max_contacts);
    return CIB_OK;
}

int cib__cap_conversation(cib_ctx *ctx, int new_conv)
{
    size_t open = HASH_COUNT(ctx->convs);
    if (ctx->lim.max_open && open >= ctx->lim.max_open)
        return cib__fail(ctx, CIB_ELIMIT,
                         "the account has %zu open conversations, the most "
                         "max_open_conversations (%u) allows",
                         open, ctx->lim.max_open);
    if (new_conv && ctx->lim.max_convs && ctx->n_convs_known && ctx->n_convs >= ctx->lim.max_convs)
        return cib__fail(ctx, CIB_ELIMIT,
                         "the account has %llu conversations, the most max_conversations (%u) "
                         "allows",
                         (unsigned long long)ctx->n_convs, ctx->lim.max_convs);
    return CIB_OK;
}

int cib__cap_text(cib_ctx *ctx, const char *arg, const char *p, size_t n)
{
    size_t max = ctx->lim.max_text_len;
    if (p && n == CIB_NTS)
        n = strnlen(p, max + 1);
    if (p && n > max)
        return cib__fail(ctx, CIB_ELIMIT, "'%s' is longer than max_text_len (%zu bytes)", arg, max);
    return CIB_OK;
}

int cib__cap_attachments(cib_ctx *ctx, size_t n)
{
    if (n > ctx->lim.max_attachments)
        return cib__fail(ctx, CIB_ELIMIT,
                         "'attachments' has %zu items, more than max_attachments (%u)", n,
                         ctx->lim.max_attachments);
    return CIB_OK;
}

/* ---- cib_limit() ---- */

/* The cap's current value as cib_limit() reports it. */
static int64_t cap_get(const cib_ctx *ctx, int which)
{
    switch (which) {
    case CIB_LIMIT_INBOXES:
        return ctx->lim.max_inboxes;
    case CIB_LIMIT_CONTACTS:
        return ctx->lim.max_contacts;
    case CIB_LIMIT_OPEN_CONVERSATIONS:
        return ctx->lim.max_open;
    case CIB_LIMIT_CONVERSATIONS:
        return ctx->lim.max_convs;
    case CIB_LIMIT_TEXT:
        return ctx->lim.max_text_len;
    case CIB_LIMIT_ATTACHMENTS:
        return ctx->lim.max_attachments;
    default:
        return !ctx->heap || ctx->heap->budget > INT64_MAX ? 0 : (int64_t)ctx->heap->budget;
    }
}

/* Check v for the cap (0 already replaced by the default); its bounds. */
static int cap_set(cib_ctx *ctx, int which, int64_t v)
{
    int64_t lo = 0, hi = UINT32_MAX;
    if (which == CIB_LIMIT_INBOXES)
        lo = 1;
    else if (which == CIB_LIMIT_TEXT)
        lo = 1, hi = CIB__TEXT_MAX;
    else if (which == CIB_LIMIT_ATTACHMENTS)
        lo = 1, hi = CIB__ATTACHMENTS_MAX;
    else if (which == CIB_LIMIT_HEAP)
        hi = INT64_MAX;
    if (v < lo || v > hi)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'new_value' %lld for %s is outside %lld..%lld",
                         (long long)v, cap_name(which), (long long)lo, (long long)hi);
    if (which == CIB_LIMIT_HEAP && !ctx->heap && v == 0)
        return CIB_OK; /* no budget, and none asked for */
    if (which == CIB_LIMIT_HEAP && !ctx->heap)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: this context does not count its heap: a heap budget "
                         "needs cib_options.heap_budget when the context is created");
    if (which == CIB_LIMIT_CONVERSATIONS && v && !ctx->n_convs_known) {
        uint64_t n;
        int rc = count_conversations(ctx, &n);
        if (rc)
            return cib__wrap(ctx, rc, "counting the conversations for max_conversations");
        ctx->n_convs = n;
        ctx->n_convs_known = 1;
    }
    uint32_t u = (uint32_t)v;
    switch (which) {
    case CIB_LIMIT_INBOXES:
        ctx->lim.max_inboxes = u;
        break;
    case CIB_LIMIT_CONTACTS:
        ctx->lim.max_contacts = u;
        break;
    case CIB_LIMIT_OPEN_CONVERSATIONS:
        ctx->lim.max_open = u;
        break;
    case CIB_LIMIT_CONVERSATIONS:
        ctx->lim.max_convs = u;
        break;
    case CIB_LIMIT_TEXT:
        ctx->lim.max_text_len = u;
        break;
    case CIB_LIMIT_ATTACHMENTS:
        ctx->lim.max_attachments = u;
        break;
    default:
        ctx->heap->budget = v ? (uint64_t)v : UINT64_MAX;
        break;
    }
    return CIB_OK;
}

int cib_limit(cib_ctx *ctx, int which, int64_t new_value, int64_t *old_value)
{
    CIB__ENTER(ctx);
    if (!cap_name(which))
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'which' is %d, not a cib_limit_kind",
                         which);
    int64_t old = cap_get(ctx, which);
    if (new_value >= 0) {
        if (ctx->in_tx || ctx->in_callback)
            return cib__fail(ctx, CIB_EINVAL,
                             "invalid argument: cib_limit was called from inside a callback of "
                             "another call on the same context");
        if (new_value == 0 && which == CIB_LIMIT_INBOXES)
            new_value = 100;
        else if (new_value == 0 && which == CIB_LIMIT_TEXT)
            new_value = CIB__TEXT_DEFAULT;
        else if (new_value == 0 && which == CIB_LIMIT_ATTACHMENTS)
            new_value = CIB__ATTACHMENTS_DEFAULT;
        int rc = cap_set(ctx, which, new_value);
        if (rc)
            return rc;
    }
    if (old_value)
        *old_value = old;
    return CIB_OK;
}

int cib_memory_used(cib_ctx *ctx, uint64_t *live, uint64_t *peak)
{
    CIB__ENTER(ctx);
    if (!ctx->heap)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: this context does not count its heap: create it "
                         "with cib_options.heap_budget (UINT64_MAX: count without a budget)");
    if (live)
        *live = ctx->heap->live;
    if (peak)
        *peak = ctx->heap->peak;
    return CIB_OK;
}
