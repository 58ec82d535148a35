/* outbound.h - rendering replies and handing them to the host (R-HOST-2). */
#ifndef CIB_OUTBOUND_H
#define CIB_OUTBOUND_H

#include "store.h"

/* CIB_OK if the host can deliver on channels of ch's type, else CIB_EINVAL. */
int cib__outbound_ready(cib_ctx *ctx, const cib__channel *ch);

/*
 * Render a reply (email: the sender display and the signature, R-CHAN-4) and
 * deliver it through the host's sender. Runs inside the reply's transaction;
 * a failure fails the reply.
 */
int cib__outbound_send(cib_ctx *ctx, const cib__channel *ch, const cib__conv *cv,
                       const cib__user *agent, const char *to, uint64_t message, cib__str text);

/* The sender display of an email reply by `agent` on ch, into b. */
void cib__outbound_from_name(const cib__channel *ch, const cib__user *agent, cib__buf *b);
/* The channel's signature rendered for `agent`, into b (nothing if none). */
void cib__outbound_signature(const cib__channel *ch, const cib__user *agent, cib__buf *b);

#endif
