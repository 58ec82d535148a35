/*
 * conversation.h - conversations: the open ones in memory (by id, in their
 * inbox's and queue's trees, by thread), their rows, and reading closed ones
 * back from the store.
 */
#ifndef CIB_CONVERSATION_H
#define CIB_CONVERSATION_H

#include "mem.h"
#include "store.h"

/* The key_delta of a tree of conversations through their `field` node. */
#define CIB__CONV_TREE(field)                                                                      \
    ((ptrdiff_t)offsetof(cib__conv, id) - (ptrdiff_t)offsetof(cib__conv, field))

/* Every conversation of a tree, in order of id (the body may remove the
 * current one). */
#define FOR_EACH_CONV(tree, field, cv)                                                             \
    for (cib__tnode *cib__n = cib__tree_after((tree), 0), *cib__nx = NULL;                         \
         cib__n && ((cib__nx = cib__tree_next(cib__n)), 1) &&                                      \
         ((cv) = (cib__conv *)((char *)cib__n - offsetof(cib__conv, field)), 1);                   \
         cib__n = cib__nx)

/* An open conversation, or NULL. */
cib__conv *cib__conv_find(cib_ctx *ctx, uint64_t id);
/* The open conversation of a thread, or NULL. */
cib__conv *cib__conv_by_thread(cib_ctx *ctx, cib__fp thread);
/* The fingerprint of (channel, thread key). */
cib__fp cib__thread_fp(cib_ctx *ctx, const cib__channel *ch, const char *key, size_t len);

/* A new, detached conversation object (takes a reference on props). */
cib__conv *cib__conv_new(cib_ctx *ctx, uint64_t id, cib__channel *ch, cib__contact *c,
                         cib__props *props, int64_t now);
void cib__conv_free(cib_ctx *ctx, cib__conv *cv);

/* Make room for a conversation to become open: its id entry (added now, so
 * fallible) and its thread. Undo with cib__conv_unreserve(). */
int cib__conv_reserve(cib_ctx *ctx, cib__conv *cv);
void cib__conv_unreserve(cib_ctx *ctx, cib__conv *cv);
/* After the commit: into the views and the thread index. Infallible. */
void cib__conv_link(cib_ctx *ctx, cib__conv *cv);
/* Inside an op (op.h), each with its undo; CIB_OK or CIB_ENOMEM, and on
 * failure nothing changed:
 *   own            a detached object the op made or read: freed if the op is
 *                  undone (on failure, at once);
 *   reserve        cib__conv_reserve();
 *   link           cib__conv_link();
 *   set_assignee   cib__conv_set_assignee(). */
typedef struct cib__op cib__op;
int cib__conv_own_op(cib__op *op, cib__conv *cv);
int cib__conv_reserve_op(cib__op *op, cib__conv *cv);
int cib__conv_link_op(cib__op *op, cib__conv *cv);
int cib__conv_set_assignee_op(cib__op *op, cib__conv *cv, cib__user *u, int reason);
/* After the commit of a close: out of memory altogether. */
void cib__conv_evict(cib_ctx *ctx, cib__conv *cv);
/* After the commit: move to another assignee's queue (NULL: unassigned). */
void cib__conv_set_assignee(cib_ctx *ctx, cib__conv *cv, cib__user *u, int reason);

/* Write the conversation's row with this status (inside a transaction). */
int cib__conv_write(cib_ctx *ctx, const cib__conv *cv, int status, int64_t closed_at);
/* An inbound message into an open conversation (a store that takes
 * patches): only what it changes, the assignee and reason (routed again),
 * last_inbound_at, n_messages and the queue order. */
int cib__conv_write_inbound(cib_ctx *ctx, const cib__conv *cv);
/* Read any conversation from the store into a detached object. *status and
 * *closed_at out. CIB_ENOTFOUND (no message) if there is none. */
int cib__conv_read(cib_ctx *ctx, uint64_t id, cib__conv **out, int *status, int64_t *closed_at);

/* Opening: load every open conversation. */
int cib__conv_load_open(cib_ctx *ctx);
/* Removing user u: write u's open conversations unassigned (inside a
 * transaction), then, after the commit, move them to the unassigned views. */
int cib__conv_write_without_user(cib_ctx *ctx, const cib__user *u);
void cib__conv_drop_user(cib_ctx *ctx, cib__user *u);
/* Deleting an inbox: delete every stored row of its conversations (inside a
 * transaction), then, after the commit, drop the open ones from memory. */
typedef struct cib__fplist {
    cib__fp *v;
    size_t n;
    size_t convs; /* conversations deleted (max_conversations counts them) */
} cib__fplist;
int cib__conv_write_delete_inbox(cib_ctx *ctx, const cib__inbox *ib, cib__fplist *dedup);
void cib__conv_drop_inbox(cib_ctx *ctx, cib__inbox *ib, cib__fplist *dedup);
/* Before deleting an inbox: plan what its assignees' freed room takes from
 * other inboxes' queues (R-ROUTE-8). */
struct cib__plan;
int cib__conv_plan_inbox(cib_ctx *ctx, const cib__inbox *ib, struct cib__plan *p);

/* Decimal key of an id (buf: at least 21 bytes); returns its length. */
size_t cib__id_key(uint64_t id, char *buf);
/* Parse a decimal id; 0 on success. */
int cib__id_parse(const char *s, size_t n, uint64_t *out);

/* Deliver a conversation event (after a commit): inbox, channel and contact
 * from cv; reason from cv for ASSIGNED; kind for MESSAGE_ADDED. */
void cib__conv_emit(cib_ctx *ctx, int type, const cib__conv *cv, const cib__user *user,
                    uint64_t message, int kind);

void cib__conv_dump(cib_ctx *ctx, cib__buf *b);
void cib__conv_free_all(cib_ctx *ctx);

#endif
