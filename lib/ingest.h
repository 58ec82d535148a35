/* ingest.h - accepting inbound messages, one at a time or in batches. */
#ifndef CIB_INGEST_H
#define CIB_INGEST_H

#include "ctx.h"

/* cib_ingest() without its entry checks: inside a batch, the batch's
 * transaction holds its writes and its events wait for the commit. */
int cib__ingest_one(cib_ctx *ctx, const cib_inbound *msg, cib_ingest_result *out);

#endif
