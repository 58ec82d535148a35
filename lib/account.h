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
typedef struct cib__ids_mark {
    uint64_t next, limit;
} cib__ids_mark;

/* Take n ids (inside a transaction): *first to *first + n - 1. */
int cib__ids_take(cib_ctx *ctx, size_t n, uint64_t *first);
/* Before a change that takes ids; restore on failure. */
cib__ids_mark cib__ids_save(const cib_ctx *ctx);
void cib__ids_restore(cib_ctx *ctx, cib__ids_mark m);

/* Deliver an event to the host (after a commit). */
void cib__emit(cib_ctx *ctx, cib_event *ev);

#endif
