/* message.h - message rows: bodies live in the store only. */
#ifndef CIB_MESSAGE_H
#define CIB_MESSAGE_H

#include "store.h"

/* A message about to be written. */
typedef struct cib__msg {
    uint64_t id;
    const cib__conv *conv;
    int kind;                    /* enum cib_message_kind */
    const cib__channel *channel; /* where it came or went */
    const cib__user *author;     /* reply, comment */
    const cib__contact *contact; /* inbound */
    cib__str msg_id;             /* inbound: the host's id */
    cib__str text;
    int64_t created_at;
    cib__str forwarded_by; /* inbound email, or {NULL, 0} */
    const cib__str *cc;
    size_t n_cc;
    const cib_attachment *attachments; /* checked */
    size_t n_attachments;
} cib__msg;

/* Write a message row (inside a transaction). */
int cib__message_write(cib_ctx *ctx, const cib__msg *m);

/* Call fn with each stored message of a conversation, oldest first. */
int cib__message_each(cib_ctx *ctx, uint64_t conversation, cib_message_fn fn, void *user_data);

#endif
