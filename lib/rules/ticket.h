/* ticket.h - ticket rules per channel and the tickets they open (R-TICKET-*). */
#ifndef CIB_TICKET_H
#define CIB_TICKET_H

#include "store.h"

struct cib__tickets {
    int automatic;
    cib__pipeline *pipeline; /* automatic: not NULL */
    size_t stage;            /* index in pipeline->stages */
    int owner;               /* enum cib_ticket_owner */
    cib__user *owner_user;   /* OWNER_USER */
    cib__props *props;
};

/* Check a def (NULL: no tickets) for a channel of `type`: a pipeline and one
 * of its stages (R-TICKET-2), a known owner, and for a form an automatic
 * rule (R-TICKET-4). *out is NULL for "no tickets". */
int cib__tickets_make(cib_ctx *ctx, const cib_ticket_def *def, int type, cib__tickets **out);
void cib__tickets_free(cib_ctx *ctx, cib__tickets *t);
/* The def stored in a channel row (strings and lists borrowed from the row).
 * *has: 0 when the row has no ticket rule. */
int cib__tickets_def_from_row(cib_ctx *ctx, const cib_row *row, cib_ticket_def *d, int *has);
/* Add the ticket fields to a channel row (t NULL: none). */
void cib__tickets_row(cib__rowb *b, const cib__tickets *t, char *owner_buf, size_t buf_size);

/* The owner a new ticket gets (R-TICKET-3), given the conversation's
 * assignee after routing. */
cib__user *cib__ticket_owner(const cib__tickets *t, cib__user *assignee);
/* Write a new ticket for conversation cv (inside the transaction). */
int cib__ticket_write(cib_ctx *ctx, uint64_t id, const cib__conv *cv, const cib__tickets *t,
                      const cib__user *owner, int64_t now);

/* Free what the last cib_ticket_get() left on the context. */
void cib__ticket_scratch_free(cib_ctx *ctx);
/* 1 if a channel's ticket rule uses pipeline p. */
int cib__tickets_use_pipeline(cib_ctx *ctx, const cib__pipeline *p, const cib__channel **by);

#endif
