/* user.h - users (agents). */
#ifndef CIB_USER_H
#define CIB_USER_H

#include "mem.h"
#include "index.h"
#include "store.h"

cib__user *cib__user_find(cib_ctx *ctx, const char *id, size_t len);
/* Argument `name` names an existing user: CIB_OK, CIB_EINVAL, CIB_ENOTFOUND. */
int cib__user_arg(cib_ctx *ctx, const char *name, const char *id, size_t id_len, cib__user **out);
/* The same for an optional argument: NULL gives *out NULL. */
int cib__user_opt_arg(cib_ctx *ctx, const char *name, const char *id, size_t id_len,
                      cib__user **out);

/*
 * Resolve a list of user ids: each must exist (CIB_ENOTFOUND) and appear once
 * (CIB_EINVAL). *out is an allocated array of n pointers (NULL when n is 0),
 * freed by the caller with cib__free().
 */
int cib__users_resolve(cib_ctx *ctx, const char *arg, const char *const *ids, const size_t *lens,
                       size_t n, cib__user ***out);

/* Push the ids of users[0..n) except `skip` onto a new list. */
int cib__user_ids(cib_ctx *ctx, cib__user *const *users, size_t n, const cib__user *skip,
                  cib__idlist *out);

/* Write the user's row (inside a transaction). */
int cib__user_write(cib_ctx *ctx, const cib__user *u);

int cib__user_load(cib_ctx *ctx, const cib_row *row);
void cib__user_dump(cib_ctx *ctx, cib__buf *b);
void cib__user_free_all(cib_ctx *ctx);

#endif
