/* undo.h - an entry of the change object's undo log (op.h). */
#ifndef CIB_UNDO_H
#define CIB_UNDO_H

#include <stdint.h>

typedef struct cib_ctx cib_ctx;

/* An undo entry's action: called with the entry when the log is undone
 * (newest first). Infallible. */
typedef struct cib__undo cib__undo;
typedef void (*cib__undo_fn)(cib_ctx *ctx, const cib__undo *u);

#define CIB__UNDO_BYTES 40 /* the largest saved: a recent message id (dedup.h) */

struct cib__undo {
    cib__undo_fn fn; /* NULL: copy bytes[0..n) back to p */
    void *p;
    union {
        struct { /* fn's arguments */
            void *q;
            uint64_t a, b;
        };
        unsigned char bytes[CIB__UNDO_BYTES]; /* fn NULL: the saved bytes */
    };
    uint32_t n;
    uint8_t final_free; /* p is freed when the op is final, kept if undone */
};

#endif
