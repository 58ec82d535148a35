/*
 * dedup.h - idempotency of inbound delivery (R-CONV-3), with no time limit.
 *
 * Each accepted (channel, message id) pair is stored as a DEDUP row in the
 * same transaction as its message. Its key is the pair's stable fingerprint
 * (keyed by the account's stored salt, fptab.h), the same in every context.
 * Memory holds two things, so that it does not grow by much with history:
 *
 *  - Recent ids: the last `max` accepted (cib_options.dedup_recent, default
 *    16,384), exactly, with the message and conversation of their first
 *    delivery, in a fingerprint table and a FIFO ring (about 90 bytes each:
 *    a 24-byte slot at most half full and a 40-byte ring entry). A repeat of
 *    one is answered from memory without a store read: the host's retries
 *    come seconds or minutes later. The count, not a time, is the bound, so
 *    the memory is known in advance; the oldest is dropped for each new one.
 *  - A filter over every stored id (fptab.h, cib__fpfilter): one 32-bit
 *    keyed value per id, 5.3 to 10.7 bytes per id (8.4 at a million). A
 *    new message, the common case, is not in it and costs no store read. An
 *    id it may hold is confirmed by one store get of its row: a redelivery
 *    weeks later is found there. With n ids, about n / 2^32 of new messages
 *    are false positives (2.3e-4 at a million, 2.3e-2 at a hundred
 *    million): their get finds no row, or a row of another id, and the
 *    message is accepted as new. The filter's values are keyed by the
 *    context's seed, so a sender cannot choose ids that all cost a get.
 *    (A Bloom filter at 1% would take 1.2 bytes per id, but it could not
 *    forget a deleted inbox's ids nor grow without reading every row again.)
 *
 * Loading rebuilds the filter from one scan of the DEDUP rows, reading only
 * their keys (bench/README.md: its cost per row); the recent ids start empty,
 * so after a restart a repeat is confirmed in the store.
 *
 * Time limit. cib_options.dedup_window_ms 0 (the default) means forever,
 * and rows are written with expires_at 0 ("never"); a row's expires_at is
 * then not read at all, so ids accepted by a version with a window count
 * forever too. With a window of N ms, rows carry now + N and an id whose row
 * has expired is accepted again (its row replaced). Rows are never deleted
 * for age: storage keeps every id, as it keeps every message.
 *
 * Deleting an inbox deletes its DEDUP rows in the same transaction and then
 * forgets each key in O(1) (cib__dedup_forget): a recent id's ring entry is
 * marked free through the table, and the filter drops one copy of its value.
 */
#ifndef CIB_DEDUP_H
#define CIB_DEDUP_H

#include "convinbox.h"
#include "fptab.h"
#include "mem.h"

/* cib_options.dedup_recent: its default and largest value. */
#define CIB__DEDUP_RECENT_DEFAULT 16384u
#define CIB__DEDUP_RECENT_MAX     16777216u

typedef struct cib__dedup_entry {
    cib__fp fp; /* {0, 0}: forgotten (its inbox was deleted) */
    uint64_t message, conversation;
    int64_t expires_at; /* 0: never */
} cib__dedup_entry;

typedef struct cib__dedup {
    cib__fpfilter filter;   /* every stored key */
    cib__fptab set;         /* recent keys -> ring position + 1 */
    cib__dedup_entry *ring; /* cap entries, head the oldest */
    size_t head, len, cap;  /* cap grows to max, then stays */
    size_t max;             /* recent ids kept */
    size_t work;            /* entries touched by forget (tests count them) */
} cib__dedup;

struct cib__channel;

/* Flags of cib__dedup_check's *known. */
#define CIB__DEDUP_STORED 1 /* the key's row exists: the filter counts it */
#define CIB__DEDUP_RECENT 2 /* the key is a recent id */

void cib__dedup_init(cib_ctx *ctx, size_t max);
/* The fingerprint of a message id on a channel: the stable key of its row. */
cib__fp cib__dedup_fp(cib_ctx *ctx, const struct cib__channel *ch, const char *msg_id, size_t len);
/* A hint that fp is checked soon (cib_ingest_batch's look-ahead). */
void cib__dedup_prefetch(cib_ctx *ctx, cib__fp fp);
/*
 * Was this message accepted before (and, with a window, not expired)?
 * *delivered = 1 and the first delivery's message and conversation ids if
 * so. *known: CIB__DEDUP_* flags for the commit. Reads the store only when
 * the id is not recent and the filter may hold it.
 */
int cib__dedup_check(cib_ctx *ctx, cib__fp fp, const struct cib__channel *ch, const char *msg_id,
                     size_t len, int *delivered, int *known, uint64_t *message,
                     uint64_t *conversation);
/* Room for one more key (inside the transaction, before the commit). */
int cib__dedup_reserve(cib_ctx *ctx);
/* Inside the transaction: the key's row. */
int cib__dedup_write(cib_ctx *ctx, cib__fp fp, const struct cib__channel *ch, const char *msg_id,
                     size_t len, uint64_t message, uint64_t conversation, int64_t now);
/* Inside the op that writes the key's row: count the key in the filter
 * (unless its row existed) and make it the newest recent id, logging the
 * undo (op.h). CIB_OK or CIB_ENOMEM (after a reserve, only the log can
 * fail). */
typedef struct cib__op cib__op;
int cib__dedup_commit_op(cib__op *op, cib__fp fp, int known, uint64_t message,
                         uint64_t conversation, int64_t now);

/* After the commit of an inbox's deletion: forget a key whose row was
 * deleted. O(1). */
void cib__dedup_forget(cib_ctx *ctx, cib__fp fp);

/* Rebuild the filter from the stored keys (one scan), then as
 * cib__dedup_ready(). */
int cib__dedup_load(cib_ctx *ctx);
/* Allocate the recent ids' table and ring at their first size, so that a
 * context holds the same blocks whether it was just loaded or not. */
int cib__dedup_ready(cib_ctx *ctx);
/* One line: the number of stored keys (the recent ids are a cache: a
 * reloaded context has none yet). */
void cib__dedup_dump(cib_ctx *ctx, cib__buf *b);
/* Free the memory; the recent count stays for a reload. */
void cib__dedup_free(cib_ctx *ctx);

#endif
