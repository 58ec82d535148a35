/*
 * op.h - the change object: how a mutating call changes the account.
 *
 * A call that changes the account runs as one op:
 *
 *   check the inputs                nothing changes yet; refuse with a status
 *   cib__op_begin()                 the store's transaction opens (in a batch:
 *                                   the batch's transaction is already open)
 *   write rows, change memory       every change of memory is preceded by its
 *                                   undo entry (cib__op_save(), cib__op_undo());
 *                                   events are queued, not delivered
 *   cib__op_end(op, rc)             rc == CIB_OK: the store commits, then the
 *                                   op is final: deferred frees run, events
 *                                   are delivered. Otherwise, or when the
 *                                   commit fails: the store rolls back and
 *                                   the undo log runs backwards, leaving
 *                                   memory exactly as it was.
 *
 * The log is written ahead: an undo entry is recorded before the change it
 * undoes, and recording can fail (CIB_ENOMEM). A failed record means the
 * change was not made; the op fails and what was logged before is undone.
 * So a step of an op may fail anywhere, in the store or in memory, and
 * nothing of the op stays.
 *
 * In a batch (cib_ingest_batch()) each message is an op inside the batch's
 * store transaction. A message's op that ends well stays in the log; when
 * the batch fails, cib__op_undo_to() undoes every message in reverse order
 * and the store rolls back once; when the batch commits, cib__op_finish()
 * makes them all final and delivers their events in order.
 *
 * Objects an op takes out of memory (a queue node, say) are not freed while
 * they may come back: cib__op_free_later() frees them when the op is final,
 * and never if it is undone.
 *
 * How to write an operation. Every mutating call is one op; the store's
 * transaction (cib__tx_begin/end, store.h) is opened and ended only here.
 * Check everything first and prepare what can fail (new objects, room in
 * tables, rebuilt rules and plans: cib__plan_rebuild() takes the change as a
 * cib__change and edits no live object); free it by hand if the call stops
 * before or in the op. Then choose, per call, the simpler of two shapes:
 *
 *   - Write in the op, apply after it. When applying the change to memory
 *     cannot fail (the usual case: installing prepared objects, plan
 *     hand-outs), the op holds the writes only and memory changes after a
 *     successful cib__op_end(); the events are emitted then, and delivered
 *     at once since no op is open. No undo entries are needed:
 *
 *         cib__op op;
 *         if (!rc && !(rc = cib__op_begin(ctx, &op))) {
 *             rc = cib__user_write(ctx, &next);
 *             if (!rc)
 *                 rc = cib__plan_write(ctx, &plan);
 *             rc = cib__op_end(&op, rc);
 *         }
 *         if (rc) { discard what was prepared; return rc; }
 *         apply; cib__plan_apply(ctx, &plan); cib__plan_emit(ctx, &plan);
 *
 *   - Everything in the op. When a memory step can fail, or when the call
 *     already has *_op steps (ids, reserving and linking a conversation),
 *     change memory inside the op, each change after its undo entry, and
 *     emit inside it too: the events are queued and delivered by
 *     cib__op_end() only if the op is final (cib_reopen(), ingest.c):
 *
 *         if (!(rc = cib__op_begin(ctx, &op))) {
 *             rc = cib__conv_reserve_op(&op, cv);
 *             if (!rc)
 *                 rc = cib__conv_write(ctx, cv, CIB_STATUS_OPEN, 0);
 *             if (!rc)
 *                 rc = cib__conv_link_op(&op, cv);
 *             if (!rc)
 *                 cib__conv_emit(ctx, CIB_EVENT_REOPENED, cv, u, 0, 0);
 *             rc = cib__op_end(&op, rc);
 *         }
 *
 * The two mix as add_message() in action.c does: fallible memory steps in
 * the op with their undo (cib__ids_take_op(), cib__conv_reserve_op()), the
 * infallible rest after it. Never apply after the op what can fail, and
 * never emit an event for a change before its op is final.
 */
#ifndef CIB_OP_H
#define CIB_OP_H

#include <stddef.h>
#include <stdint.h>

#include <assert.h>
#include <string.h>

#include "ctx.h"

typedef struct cib__op {
    cib_ctx *ctx;
    size_t undo_mark;  /* the log's length when the op began */
    size_t event_mark; /* the queued events' count when the op began */
} cib__op;

/* Begin an op: the store's transaction, unless a batch's is open. */
int cib__op_begin(cib_ctx *ctx, cib__op *op);

/* The log's next free entry, growing it when full; NULL on CIB_ENOMEM
 * (message set). */
cib__undo *cib__op_grow(cib__op *op);

static inline cib__undo *cib__op_entry(cib__op *op)
{
    cib_ctx *ctx = op->ctx;
    if (ctx->n_undo < ctx->cap_undo)
        return &ctx->undo[ctx->n_undo++];
    return cib__op_grow(op);
}

/* Record before changing `n` (<= CIB__UNDO_BYTES: more is a bug of the
 * caller) bytes at p: undoing copies them back. CIB_OK or CIB_ENOMEM
 * (message set). Inline: with a constant n the copy is a move or two. */
static inline int cib__op_save(cib__op *op, void *p, size_t n)
{
    assert(n <= CIB__UNDO_BYTES);
    cib__undo *u = cib__op_entry(op);
    if (!u)
        return CIB_ENOMEM;
    u->fn = NULL;
    u->p = p;
    u->n = (uint32_t)n;
    u->final_free = 0;
    memcpy(u->bytes, p, n < CIB__UNDO_BYTES ? n : CIB__UNDO_BYTES);
    return CIB_OK;
}

/* Record an undo action with its arguments. CIB_OK or CIB_ENOMEM. */
static inline int cib__op_undo(cib__op *op, cib__undo_fn fn, void *p, void *q, uint64_t a,
                               uint64_t b)
{
    cib__undo *u = cib__op_entry(op);
    if (!u)
        return CIB_ENOMEM;
    u->fn = fn;
    u->p = p;
    u->q = q;
    u->a = a;
    u->b = b;
    u->n = 0;
    u->final_free = 0;
    return CIB_OK;
}
/* Free p (of ctx->mem) when the op is final; keep it if the op is undone.
 * CIB_OK or CIB_ENOMEM (then p is not recorded, and stays where it is). */
int cib__op_free_later(cib__op *op, void *p);

/* Queue an event for delivery when the op is final (none without a
 * listener). CIB_OK or CIB_ENOMEM. */
int cib__op_event(cib__op *op, const cib_event *ev);

/* End the op: commit (rc == CIB_OK) or undo. Returns the op's status: rc,
 * or the commit's failure. Outside a batch a final op's events are
 * delivered before this returns. */
int cib__op_end(cib__op *op, int rc);

/* ---- the log as a whole (batches) ---- */

/* Undo every entry recorded after `mark`, newest first, and drop the events
 * queued after `event_mark`. */
void cib__op_undo_to(cib_ctx *ctx, size_t mark, size_t event_mark);
/* Make everything logged final: deferred frees, then the queued events in
 * order; the log and the queue are emptied. */
void cib__op_finish(cib_ctx *ctx);

/* Free the log's and the queue's heap blocks (freeing the context). */
void cib__op_free_all(cib_ctx *ctx);

#endif
