/* team.h - teams: named, ordered sets of users. */
#ifndef CIB_TEAM_H
#define CIB_TEAM_H

#include "mem.h"
#include "index.h"
#include "store.h"

cib__team *cib__team_find(cib_ctx *ctx, const char *id, size_t len);
/* 1 if u is a member of t. */
int cib__team_has(const cib__team *t, const cib__user *u);

/* As cib__users_resolve(), for team ids. */
int cib__teams_resolve(cib_ctx *ctx, const char *arg, const char *const *ids, const size_t *lens,
                       size_t n, cib__team ***out);
/* Push the ids of teams[0..n) except `skip` onto a new list. */
int cib__team_ids(cib_ctx *ctx, cib__team *const *teams, size_t n, const cib__team *skip,
                  cib__idlist *out);

/* Removing user u: write every team that lists u, without u (inside a
 * transaction), then, after the commit, drop u from them in memory. */
int cib__team_write_without_user(cib_ctx *ctx, const cib__user *u);
void cib__team_drop_user(cib_ctx *ctx, const cib__user *u);

int cib__team_load(cib_ctx *ctx, const cib_row *row);
void cib__team_dump(cib_ctx *ctx, cib__buf *b);
void cib__team_free_all(cib_ctx *ctx);

#endif
