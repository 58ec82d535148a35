/* ingest.h - accepting inbound messages, one at a time or in batches. */
#ifndef CIB_INGEST_H
#define CIB_INGEST_H

#include "ctx.h"
#include "fptab.h"

/* cib_ingest() without its entry checks: inside a batch, the batch's
 * transaction holds its writes and its events wait for the commit. */
int cib__ingest_one(cib_ctx *ctx, const cib_inbound *msg, cib_ingest_result *out);

/*
 * Looking ahead in a batch. At 1,000,000 contacts a message's lookups are
 * cache misses; a batch knows its next messages, so it starts loading their
 * memory while it works on the current one. cib__ingest_prefetch() reads a
 * message a few places ahead, as far as it is well formed, and prefetches
 * the index slots of its idempotency key and of its sender's address (email
 * types only); cib__ingest_prefetch_contact(), a place or two later,
 * prefetches the contact that slot now names. Hints only: they change
 * nothing, and a message they cannot read is simply not looked at.
 */
typedef struct cib__ahead {
    cib__fp contact;
    int has_contact;
} cib__ahead;

void cib__ingest_prefetch(cib_ctx *ctx, const cib_inbound *msg, cib__ahead *a);
void cib__ingest_prefetch_contact(cib_ctx *ctx, const cib__ahead *a);

#endif
