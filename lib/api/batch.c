/*
 * batch.c - many inbound messages in one store transaction (group commit).
 *
 * Messages run one after the other exactly as cib_ingest() runs them, each
 * seeing the ones before (a second message of a thread joins the
 * conversation the first opened), but the store's transaction stays open
 * until the last: one commit for the batch. Events wait for that commit.
 *
 * A message refused for what it is (bad input, an unknown or disabled
 * channel) wrote nothing: it gets its status and the batch goes on. A
 * failure of memory or storage anywhere, or a clock outside the time range,
 * fails the batch: every such failure inside the transaction sets
 * ctx->batch_failed, which is checked after each message, whatever its own
 * status, and before the commit. The transaction is rolled back, and the
 * earlier messages' changes of memory, each an op whose undo log stays
 * until the batch ends (op.h), are undone newest first.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "account.h"
#include "error.h"
#include "ingest.h"
#include "op.h"
#include "store.h"

/* Refused for what the message is (or a cap it would pass): nothing was
 * written. */
static int message_refused(int rc)
{
    return rc == CIB_EINVAL || rc == CIB_ENOTFOUND || rc == CIB_EDISABLED || rc == CIB_ELIMIT;
}

/* Read element i of an array of versioned structs whose stride is the
 * first element's size. */
static const void *element(const void *base, size_t stride, size_t i)
{
    return (const char *)base + i * stride;
}

static int check_args(cib_ctx *ctx, const cib_inbound *msgs, size_t n, cib_ingest_result *results,
                      int *statuses, size_t *in_stride, size_t *out_stride)
{
    if (n > CIB_BATCH_MAX)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'n' is %zu; a batch holds at most %d",
                         n, CIB_BATCH_MAX);
    if (n && (!msgs || !results || !statuses))
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'msgs', 'results' and 'statuses' may not be NULL");
    *in_stride = n ? msgs[0].size : 0;
    *out_stride = n ? results[0].size : 0;
    if (n && (*in_stride < sizeof(size_t) || *out_stride < sizeof(size_t)))
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'msgs[0].size' and 'results[0].size' must be set");
    for (size_t i = 1; i < n; i++) {
        const cib_inbound *m = element(msgs, *in_stride, i);
        const cib_ingest_result *r = element(results, *out_stride, i);
        if (m->size != *in_stride || r->size != *out_stride)
            return cib__fail(ctx, CIB_EINVAL,
                             "invalid argument: element %zu of 'msgs' or 'results' has another "
                             "size than element 0",
                             i);
    }
    return CIB_OK;
}

/* The batch failed: nothing of it stays, in the store or in memory. */
static int fail_batch(cib_ctx *ctx, int rc, size_t at)
{
    char why[sizeof ctx->errmsg];
    memcpy(why, ctx->errmsg, sizeof why);
    cib__tx_rollback(ctx);
    ctx->batch = 0;
    ctx->in_tx = 0;
    /* Every message that ended well is still in the log (op.h): undone
     * newest first, with its queued events. */
    cib__op_undo_to(ctx, 0, 0);
    char where[48];
    if (at == SIZE_MAX)
        snprintf(where, sizeof where, "at its commit");
    else
        snprintf(where, sizeof where, "at message %zu", at);
    return cib__fail(ctx, rc, "batch failed %s, nothing was kept: %s", where, why);
}

int cib_ingest_batch(cib_ctx *ctx, const cib_inbound *msgs, size_t n, cib_ingest_result *results,
                     int *statuses)
{
    CIB__ENTER_WRITE(ctx, "cib_ingest_batch");
    size_t in_stride = 0, out_stride = 0;
    int rc = check_args(ctx, msgs, n, results, statuses, &in_stride, &out_stride);
    if (rc || n == 0)
        return rc;
    if ((rc = cib__tx_open(ctx)))
        return rc;
    ctx->batch = 1;
    ctx->batch_failed = CIB_OK;
    ctx->n_events = 0;
    ctx->n_undo = 0;
    /* Look ahead (ingest.h): index slots LOOK_SLOT messages ahead, the
     * contact they name LOOK_CONTACT ahead. */
    enum { LOOK_SLOT = 3, LOOK_CONTACT = 1, RING = 4 };
    cib__ahead ahead[RING];
    for (size_t i = 0; i < n && i < LOOK_SLOT; i++)
        cib__ingest_prefetch(ctx, element(msgs, in_stride, i), &ahead[i % RING]);
    for (size_t i = 0; i < n; i++) {
        if (i + LOOK_SLOT < n)
            cib__ingest_prefetch(ctx, element(msgs, in_stride, i + LOOK_SLOT),
                                 &ahead[(i + LOOK_SLOT) % RING]);
        if (i + LOOK_CONTACT < n)
            cib__ingest_prefetch_contact(ctx, &ahead[(i + LOOK_CONTACT) % RING]);
        cib_ingest_result *r = (cib_ingest_result *)(void *)((char *)results + i * out_stride);
        rc = cib__ingest_one(ctx, element(msgs, in_stride, i), r);
        statuses[i] = rc;
        /* The flag: a step inside the batch's transaction failed (a write,
         * an event that could not be queued, the clock). Whatever status the
         * message itself got, what it wrote cannot be committed. */
        if (ctx->batch_failed)
            return fail_batch(ctx, rc && !message_refused(rc) ? rc : ctx->batch_failed, i);
        if (rc && !message_refused(rc))
            return fail_batch(ctx, rc, i);
    }
    ctx->batch = 0;
    if (ctx->batch_failed) /* never commit a transaction with a failed step */
        return fail_batch(ctx, ctx->batch_failed, SIZE_MAX);
    if ((rc = cib__tx_commit(ctx))) /* rolled back already */
        return fail_batch(ctx, rc, SIZE_MAX);
    /* Committed: every message is final, and the events are delivered in
     * order. */
    cib__op_finish(ctx);
    ctx->errmsg[0] = '\0';
    return CIB_OK;
}
