/*
 * route.h - routing decisions (R-ROUTE-*, R-AVAIL-2) and waiting queues
 * (R-ROUTE-8).
 *
 * A decision for a new conversation reads the rule's live structures: the
 * eligibility bitmap (first available, round robin) or the load tree (least
 * loaded), O(1) or O(log n). It changes nothing: the caller writes the
 * outcome in its op (op.h) and applies it after the commit.
 *
 * Queues keep one invariant: a rule's queue is not empty only while none of
 * its members is eligible. So when a change makes users eligible (a status,
 * a load that drops, a capacity, a rebuilt rule), only those users can take
 * waiting conversations. A plan works that out without touching the live
 * state: register the changed users' new state and the rebuilt rules, run it,
 * write its rows in the op, apply it after the commit.
 */
#ifndef CIB_ROUTE_H
#define CIB_ROUTE_H

#include "rule.h"

typedef struct cib__decision {
    cib__rule *rule;
    cib__user *assignee; /* NULL: none */
    int reason;          /* enum cib_reason */
    int queue;           /* 1: waits in the rule's queue */
    cib__user *notify;   /* the contact owner to notify (R-ROUTE-3), or NULL */
} cib__decision;

/* Route a new conversation of channel ch with this contact. */
void cib__route_new(cib_ctx *ctx, cib__channel *ch, const cib__contact *contact, cib__decision *d);
/* R-AVAIL-2: route again a chat conversation whose assignee is away and
 * reassigns replies. d->assignee NULL: it stays. */
void cib__route_again(cib_ctx *ctx, const cib__conv *cv, cib__decision *d);

/* Inside the transaction: the rows a pick changes besides the conversation:
 * the user's assignment order, a round-robin rule's cursor. */
int cib__route_write_pick(cib_ctx *ctx, cib__rule *r, cib__user *u, uint64_t seq);
/* After the commit, before the assignment itself (linking or reassigning the
 * conversation), whose load change refreshes u's place in every rule. */
void cib__route_apply_pick(cib_ctx *ctx, cib__rule *r, cib__user *u, uint64_t seq);
/* The same inside an op (op.h), logging its undo. CIB_OK or CIB_ENOMEM. */
typedef struct cib__op cib__op;
int cib__route_apply_pick_op(cib__op *op, cib__rule *r, cib__user *u, uint64_t seq);
/* Write a user's row with another status and order (inside a transaction). */
int cib__route_write_user(cib_ctx *ctx, const cib__user *u, int status, uint64_t seq);

/* ---- queues ---- */

int cib__wait_new(cib_ctx *ctx, cib__wait **out);
/* After the commit: append cv to its channel's queue with order seq. */
void cib__wait_push(cib__conv *cv, cib__wait *w, uint64_t seq);
/* The same inside an op, logging its undo. CIB_OK or CIB_ENOMEM. */
int cib__wait_push_op(cib__op *op, cib__conv *cv, cib__wait *w, uint64_t seq);
/* After the commit: take cv out of its queue (if it is in one). */
void cib__wait_drop(cib_ctx *ctx, cib__conv *cv);
/* Opening: rebuild every queue in order from the loaded conversations. */
int cib__route_load_queues(cib_ctx *ctx);
/* Opening: a stored ROUTING row (a round-robin cursor). */
int cib__route_load_cursor(cib_ctx *ctx, const cib_row *row);
/* Removing user u: inside the transaction, clear the stored cursors that
 * name u (a user later added with the same id is someone else); after the
 * commit (and after installing rebuilt rules), the same in memory. */
int cib__route_write_forget(cib_ctx *ctx, const cib__user *u);
void cib__route_apply_forget(cib_ctx *ctx, const cib__user *u);

/* ---- hand-out plans ---- */

typedef struct cib__handout {
    cib__conv *conv;
    cib__user *user;
    cib__rule *rule; /* after the plan's rules are installed: the live rule */
    uint64_t seq;
    int reason;
} cib__handout;

typedef struct cib__ustate {
    cib__user *user;
    int status, seat;
    uint32_t capacity, load;
    uint64_t seq;
    int changed; /* registered by the caller: may take conversations */
    int own_row; /* the caller writes the user's row */
} cib__ustate;

typedef struct cib__plan {
    cib__ustate *users;
    size_t n_users, cap_users;
    cib__rule **prepared, **live; /* rebuilt rules and the ones they replace */
    size_t n_rules, cap_rules;
    cib__handout *v;
    size_t n, cap;
    uint64_t seq;
    const cib__inbox *gone; /* an inbox being deleted: its queues are left out */
} cib__plan;

void cib__plan_init(cib_ctx *ctx, cib__plan *p);
/* A user's state after the change (load_delta: open conversations gained or
 * lost). */
int cib__plan_user(cib_ctx *ctx, cib__plan *p, cib__user *u, int status, int seat,
                   uint32_t capacity, int load_delta);
/* A rule replaced by a rebuilt one (prepared, not installed). */
int cib__plan_rule(cib_ctx *ctx, cib__plan *p, cib__rule *prepared, cib__rule *live);
/* Rebuild every rule from the account as it is now with change c in it
 * (rule.h: the live objects are not edited) into rb, and register them with
 * the plan. Nothing installed yet. */
int cib__plan_rebuild(cib_ctx *ctx, cib__plan *p, cib__rebuild *rb, const cib__change *c);
/* Work out the hand-outs. CIB_OK or CIB_ENOMEM. */
int cib__plan_run(cib_ctx *ctx, cib__plan *p);
/* An open conversation moves from `from` to `to` (either may be NULL; `to`
 * takes it at order seq and the caller writes to's row): register both and
 * run the plan, so that `from`'s freed room takes waiting work. */
int cib__plan_move(cib_ctx *ctx, cib__plan *p, cib__user *from, cib__user *to, uint64_t seq);
/* For a caller that writes u's row itself (a changed user): the order the
 * plan gives u, which that row must hold. The plan leaves the row out. */
uint64_t cib__plan_own_row(cib__plan *p, cib__user *u);
/* Inside the transaction: their rows. */
int cib__plan_write(cib_ctx *ctx, cib__plan *p);
/* After the commit, after the change itself is applied (rules installed):
 * hand them out. */
void cib__plan_apply(cib_ctx *ctx, cib__plan *p);
/* The same inside an op, logging the undo of every step (a queue node taken
 * out is freed when the op is final). CIB_OK or CIB_ENOMEM. */
int cib__plan_apply_op(cib__op *op, cib__plan *p);
/* Then, after the change's own events: an ASSIGNED event per hand-out. */
void cib__plan_emit(cib_ctx *ctx, cib__plan *p);
void cib__plan_free(cib_ctx *ctx, cib__plan *p);

#endif
