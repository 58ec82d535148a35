/*
 * dedup.h - idempotency of inbound delivery (R-CONV-3).
 *
 * Each accepted (channel, message id) pair is stored as a DEDUP row in the
 * same transaction as its message, and remembered in memory as its keyed
 * fingerprint (in a set) and in a FIFO ring in order of expiry. A repeat is
 * found in O(1) and confirmed against the stored row. Keys expire after the
 * dedup window; each ingest drops at most a few expired keys from the head of
 * the ring, so expiry never scans. Memory: 56 bytes per key (a 16-byte slot at
 * most half full, and a 24-byte ring entry).
 */
#ifndef CIB_DEDUP_H
#define CIB_DEDUP_H

#include "convinbox.h"
#include "fptab.h"
#include "mem.h"

typedef struct cib__dedup_entry {
    cib__fp fp;
    int64_t expires_at;
} cib__dedup_entry;

typedef struct cib__dedup {
    cib__fptab set;
    cib__dedup_entry *ring;
    size_t head, len, cap; /* cap: a power of two, or 0 */
} cib__dedup;

struct cib__channel;

/* Expired keys dropped per accepted message, at most. */
#define CIB__DEDUP_BATCH 8

/* The fingerprint of a message id on a channel. */
cib__fp cib__dedup_fp(cib_ctx *ctx, const struct cib__channel *ch, const char *msg_id, size_t len);
/*
 * Was this message accepted before? *delivered = 1 and the first delivery's
 * message and conversation ids if so. *known = 1 if the fingerprint is in
 * memory (also when its row is gone: a deleted inbox's message). Reads the
 * store only when the fingerprint is known.
 */
int cib__dedup_check(cib_ctx *ctx, cib__fp fp, const struct cib__channel *ch, const char *msg_id,
                     size_t len, int *delivered, int *known, uint64_t *message,
                     uint64_t *conversation);
/* Room for one more key (before the transaction). */
int cib__dedup_reserve(cib_ctx *ctx);
/* Inside the transaction: the key's row, and the deletion of up to
 * CIB__DEDUP_BATCH expired keys' rows; *expired says how many. */
int cib__dedup_write(cib_ctx *ctx, cib__fp fp, const struct cib__channel *ch, const char *msg_id,
                     size_t len, uint64_t message, uint64_t conversation, int64_t now,
                     size_t *expired);
/* After the commit: remember the key (unless known), forget the expired. */
void cib__dedup_commit(cib_ctx *ctx, cib__fp fp, int known, int64_t now, size_t expired);

/* After the commit of an inbox's deletion: forget a key whose row was
 * deleted (its ring entry stays as a tombstone). O(keys): deletions are rare. */
void cib__dedup_forget(cib_ctx *ctx, cib__fp fp);

int cib__dedup_load(cib_ctx *ctx);
void cib__dedup_dump(cib_ctx *ctx, cib__buf *b);
void cib__dedup_free(cib_ctx *ctx);

#endif
