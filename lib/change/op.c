/* op.c - the change object: the undo log, queued events, commit or undo. */
#include "op.h"

#include <string.h>

#include "ctx.h"
#include "error.h"
#include "store.h"

#define N_FIXED_UNDO   (sizeof((cib_ctx *)0)->undo_fixed / sizeof(cib__undo))
#define N_FIXED_EVENTS (sizeof((cib_ctx *)0)->events_fixed / sizeof(cib_event))

/* Room for one more entry: the context's own array first, then a heap
 * block (a long batch). */
static int grow(cib_ctx *ctx, void **v, size_t *cap, void *fixed, size_t n_fixed, size_t each)
{
    if (!*v) {
        *v = fixed;
        *cap = n_fixed;
        return CIB_OK;
    }
    size_t n = *cap * 2;
    void *p =
        *v == fixed ? cib__malloc(&ctx->mem, n * each) : cib__realloc(&ctx->mem, *v, n * each);
    if (!p)
        return cib__nomem(ctx);
    if (*v == fixed)
        memcpy(p, fixed, *cap * each);
    *v = p;
    *cap = n;
    return CIB_OK;
}

static int grow_log(cib_ctx *ctx)
{
    if (ctx->n_undo < ctx->cap_undo)
        return CIB_OK;
    void *v = ctx->undo;
    int rc = grow(ctx, &v, &ctx->cap_undo, ctx->undo_fixed, N_FIXED_UNDO, sizeof(cib__undo));
    ctx->undo = v;
    return rc;
}

/* An empty log and queue give their heap blocks back. */
static void release(cib_ctx *ctx)
{
    if (!ctx->n_undo && ctx->undo != ctx->undo_fixed) {
        cib__free(&ctx->mem, ctx->undo);
        ctx->undo = NULL;
        ctx->cap_undo = 0;
    }
    if (!ctx->n_events && ctx->events != ctx->events_fixed) {
        cib__free(&ctx->mem, ctx->events);
        ctx->events = NULL;
        ctx->cap_events = 0;
    }
}

void cib__op_free_all(cib_ctx *ctx)
{
    ctx->n_undo = ctx->n_events = ctx->n_free_later = 0;
    release(ctx);
}

int cib__op_begin(cib_ctx *ctx, cib__op *op)
{
    op->ctx = ctx;
    op->undo_mark = ctx->n_undo;
    op->event_mark = ctx->n_events;
    ctx->op_failed = CIB_OK;
    int rc = cib__tx_begin(ctx);
    if (!rc)
        ctx->ops_open++;
    return rc;
}

cib__undo *cib__op_grow(cib__op *op)
{
    cib_ctx *ctx = op->ctx;
    if (grow_log(ctx))
        return NULL;
    return &ctx->undo[ctx->n_undo++];
}

static void keep(cib_ctx *ctx, const cib__undo *u)
{
    (void)ctx;
    (void)u; /* a deferred free that is undone: the object stays */
}

int cib__op_free_later(cib__op *op, void *p)
{
    int rc = cib__op_undo(op, keep, p, NULL, 0, 0);
    if (!rc) {
        op->ctx->undo[op->ctx->n_undo - 1].final_free = 1;
        op->ctx->n_free_later++;
    }
    return rc;
}

int cib__op_event(cib__op *op, const cib_event *ev)
{
    cib_ctx *ctx = op->ctx;
    if (!ctx->on_event)
        return CIB_OK;
    if (ctx->n_events == ctx->cap_events) {
        void *v = ctx->events;
        int rc =
            grow(ctx, &v, &ctx->cap_events, ctx->events_fixed, N_FIXED_EVENTS, sizeof(cib_event));
        ctx->events = v;
        if (rc)
            return rc;
    }
    ctx->events[ctx->n_events] = *ev;
    ctx->events[ctx->n_events++].size = sizeof *ev;
    return CIB_OK;
}

void cib__op_undo_to(cib_ctx *ctx, size_t mark, size_t event_mark)
{
    while (ctx->n_undo > mark) {
        const cib__undo *u = &ctx->undo[--ctx->n_undo];
        ctx->n_free_later -= u->final_free;
        if (u->fn)
            u->fn(ctx, u);
        else
            memcpy(u->p, u->bytes, u->n);
    }
    if (ctx->n_events > event_mark)
        ctx->n_events = event_mark;
    release(ctx);
}

void cib__op_finish(cib_ctx *ctx)
{
    for (size_t i = 0; ctx->n_free_later && i < ctx->n_undo; i++)
        if (ctx->undo[i].final_free) {
            cib__free(&ctx->mem, ctx->undo[i].p);
            ctx->n_free_later--;
        }
    ctx->n_undo = 0;
    /* The events, in order; a listener may not change the account, and
     * nothing it does adds to the queue. */
    size_t n = ctx->n_events;
    for (size_t i = 0; i < n; i++) {
        ctx->in_callback++;
        ctx->on_event(ctx->event_user_data, &ctx->events[i]);
        ctx->in_callback--;
    }
    ctx->n_events = 0;
    release(ctx);
}

int cib__op_end(cib__op *op, int rc)
{
    cib_ctx *ctx = op->ctx;
    ctx->ops_open--;
    if (!rc && ctx->op_failed)
        rc = ctx->op_failed; /* an event could not be queued */
    rc = cib__tx_end(ctx, rc);
    if (rc) {
        cib__op_undo_to(ctx, op->undo_mark, op->event_mark);
        return rc;
    }
    if (!ctx->batch)
        cib__op_finish(ctx);
    return CIB_OK;
}
