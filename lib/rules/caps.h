/*
 * caps.h - the account's configurable caps (cib_options, cib_limit()):
 * contacts, open and total conversations, message text, attachments per
 * message, and the heap budget (heap.h).
 *
 * A cap refuses what would pass it with CIB_ELIMIT, before anything is
 * written, and a message naming the cap and its value. An account loaded
 * over a cap (a lower cap than the one it was written under) is loaded
 * whole; the cap refuses new objects until it is under it again.
 */
#ifndef CIB_CAPS_H
#define CIB_CAPS_H

#include "ctx.h"

/* The defaults and hard bounds. */
#define CIB__TEXT_DEFAULT        262144u /* 256 KiB */
#define CIB__ATTACHMENTS_DEFAULT 100u
#define CIB__ATTACHMENTS_MAX     100u

/* cib_ctx_new(): read the caps of o and install the heap budget. On
 * failure ctx->errmsg says why and nothing is installed. */
int cib__caps_init(cib_ctx *ctx, const cib_options *o);
/* Opening or reloading the account: count the stored conversations when a
 * cap on them is set (a scan of the CONVERSATION rows). */
int cib__caps_load(cib_ctx *ctx);

/* Room for one more contact (CIB_OK) or CIB_ELIMIT. */
int cib__cap_contact(cib_ctx *ctx);
/* Room for a new conversation: `new_conv` counts against the total too;
 * every new or reopened one against the open ones. */
int cib__cap_conversation(cib_ctx *ctx, int new_conv);
/* A message body of n bytes (CIB_NTS: NUL-terminated) within max_text_len;
 * CIB_ELIMIT names `arg`. Other checks of the text are cib__check_text's. */
int cib__cap_text(cib_ctx *ctx, const char *arg, const char *p, size_t n);
/* n attachments within max_attachments. */
int cib__cap_attachments(cib_ctx *ctx, size_t n);

/* After a commit: conversations created and deleted (when counted). */
void cib__caps_conversations(cib_ctx *ctx, uint64_t created, uint64_t deleted);

#endif
