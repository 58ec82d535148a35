/* inbox.h - inboxes, their access lists and the permission checks. */
#ifndef CIB_INBOX_H
#define CIB_INBOX_H

#include "mem.h"
#include "store.h"

cib__inbox *cib__inbox_find(cib_ctx *ctx, const char *id, size_t len);
/* Argument `name` names an existing inbox: CIB_OK, CIB_EINVAL, CIB_ENOTFOUND. */
int cib__inbox_arg(cib_ctx *ctx, const char *name, const char *id, size_t id_len, cib__inbox **out);

/* May user u do `action` (enum cib_action) in inbox ib? 1 or 0. */
int cib__inbox_may(const cib__inbox *ib, const cib__user *u, int action);

/* Create the default inbox and its fallback email channel (inside the
 * caller's transaction). */
int cib__inbox_create_default(cib_ctx *ctx, const char *name);

/* Removing user u or team t: write every inbox whose access lists name it,
 * without it (inside a transaction); after the commit, drop it in memory. */
int cib__inbox_write_without(cib_ctx *ctx, const cib__user *u, const cib__team *t);
void cib__inbox_drop(cib_ctx *ctx, const cib__user *u, const cib__team *t);

/* The inbox's channel array with ch added in order, newly allocated (NULL
 * when out of memory); install it with cib__inbox_set_channels() after the
 * commit, or free it. */
cib__channel **cib__inbox_channels_with(cib_ctx *ctx, const cib__inbox *ib, cib__channel *ch);
void cib__inbox_set_channels(cib_ctx *ctx, cib__inbox *ib, cib__channel **arr);

int cib__inbox_load(cib_ctx *ctx, const cib_row *row);
void cib__inbox_dump(cib_ctx *ctx, cib__buf *b);
void cib__inbox_free_all(cib_ctx *ctx);

#endif
