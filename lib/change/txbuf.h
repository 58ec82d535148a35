/*
 * txbuf.h - the changes of an open transaction, for a store that is given
 * whole transactions (convinbox/store.h, version 3: apply()).
 *
 * Rows are copied in (the library builds them in buffers of the moment),
 * into blocks that never move, so a change stays valid until the buffer is
 * reset after the transaction commits or rolls back.
 */
#ifndef CIB_TXBUF_H
#define CIB_TXBUF_H

#include <stddef.h>

#include "convinbox/store.h"

typedef struct cib__txblock cib__txblock;

typedef struct cib__txbuf {
    cib_change *v;
    size_t n, cap;
    cib__txblock *blocks; /* the copies; newest first */
} cib__txbuf;

typedef struct cib_ctx cib_ctx;

/* Append a copy of a change (op of enum cib_change_op; DEL: no fields).
 * CIB_OK or CIB_ENOMEM (message set; the buffer is as it was). */
int cib__txbuf_add(cib_ctx *ctx, int op, const cib_row *row);
/* The last change of the row (kind, key), or NULL. */
const cib_change *cib__txbuf_find(const cib_ctx *ctx, int kind, const char *key, size_t len);
/* Empty the buffer and give its memory back. */
void cib__txbuf_reset(cib_ctx *ctx);

#endif
