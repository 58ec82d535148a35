/* contact.h - contacts: the people who write in. */
#ifndef CIB_CONTACT_H
#define CIB_CONTACT_H

#include "mem.h"
#include "store.h"

/* Removing user u: write every contact u owns without an owner (inside a
 * transaction), then, after the commit, clear the owner in memory. */
int cib__contact_write_without_owner(cib_ctx *ctx, const cib__user *u);
void cib__contact_drop_owner(cib_ctx *ctx, const cib__user *u);

int cib__contact_load(cib_ctx *ctx, const cib_row *row);
void cib__contact_dump(cib_ctx *ctx, cib__buf *b);
void cib__contact_free_all(cib_ctx *ctx);

#endif
