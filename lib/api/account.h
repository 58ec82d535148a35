/* account.h - the account as a whole: open (load or create), free, dump. */
#ifndef CIB_ACCOUNT_H
#define CIB_ACCOUNT_H

#include "ctx.h"

/* Load the account from the store, or create a new one (the default inbox
 * with its fallback email channel) if the store is empty. */
int cib__account_open(cib_ctx *ctx, const char *default_inbox_name);
/* Free the working set (not the store). */
void cib__account_free(cib_ctx *ctx);

/*
 * Library ids (conversations, messages, contacts the library creates) come
 * from one counter. The store keeps a reserved limit; ids are handed out
 * below it without a write, and when the limit is reached the ACCOUNT row is
 * rewritten with the next block, inside the caller's transaction. An id is
 * never handed out twice, even across a crash.
 */
/* Take n ids (inside an op, whose undo log has saved next_id and id_limit):
 * *first to *first + n - 1. */
int cib__ids_take(cib_ctx *ctx, size_t n, uint64_t *first);
/* The same, saving them first: undone with the op (op.h). */
typedef struct cib__op cib__op;
int cib__ids_take_op(cib__op *op, size_t n, uint64_t *first);

/* Deliver an event to the host: queued while an op is open, delivered when
 * it is final (op.h); at once otherwise. */
void cib__emit(cib_ctx *ctx, cib_event *ev);

#endif
