/* account.h - the account as a whole: open (load or create), free, dump. */
#ifndef CIB_ACCOUNT_H
#define CIB_ACCOUNT_H

#include "ctx.h"

/* Load the account from the store, or create a new one (the default inbox
 * with its fallback email channel) if the store is empty. */
int cib__account_open(cib_ctx *ctx, const char *default_inbox_name);
/* Free the working set (not the store). */
void cib__account_free(cib_ctx *ctx);

#endif
