/* channel.h - channels: the paths by which contacts reach an inbox. */
#ifndef CIB_CHANNEL_H
#define CIB_CHANNEL_H

#include "mem.h"
#include "store.h"

cib__channel *cib__channel_find(cib_ctx *ctx, const char *id, size_t len);
/* Argument `name` names an existing channel: CIB_OK, CIB_EINVAL,
 * CIB_ENOTFOUND. */
int cib__channel_arg(cib_ctx *ctx, const char *name, const char *id, size_t id_len,
                     cib__channel **out);
/* 1 for email and fallback email. */
int cib__channel_is_email(int type);
/* Write the channel's row (inside a transaction). */
int cib__channel_write(cib_ctx *ctx, const cib__channel *ch);
/* The channel linked to this external address of a channel type's namespace
 * (email addresses: lower case), or NULL. */
cib__channel *cib__channel_find_address(cib_ctx *ctx, int type, const char *addr, size_t len);

/* Create a channel inside the caller's transaction (the default inbox's
 * fallback email). On success the channel is linked and written; on failure
 * nothing is left in memory. */
int cib__channel_create_fallback(cib_ctx *ctx, cib__inbox *ib, const char *id,
                                 const char *sender_name);

/* Deleting an inbox: delete its channels' rows (inside a transaction), then,
 * after the commit, unlink and free them. */
int cib__channel_write_delete(cib_ctx *ctx, const cib__channel *ch);
void cib__channel_destroy(cib_ctx *ctx, cib__channel *ch);

int cib__channel_load(cib_ctx *ctx, const cib_row *row);
void cib__channel_dump(cib_ctx *ctx, cib__buf *b);
void cib__channel_free_all(cib_ctx *ctx);

#endif
