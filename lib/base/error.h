/* error.h - setting the context's last error. */
#ifndef CIB_ERROR_H
#define CIB_ERROR_H

#include "ctx.h"
#include "heap.h"

#if defined(__GNUC__)
#define CIB__PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CIB__PRINTF(a, b)
#endif

/* Record a formatted message and return status. */
int cib__fail(cib_ctx *ctx, int status, const char *fmt, ...) CIB__PRINTF(3, 4);
/* Record the static out-of-memory message and return CIB_ENOMEM. */
int cib__nomem(cib_ctx *ctx);
/* Prefix the current message ("<prefix>: <message>") and return status. */
int cib__wrap(cib_ctx *ctx, int status, const char *fmt, ...) CIB__PRINTF(3, 4);

/* Start of every public entry point: refuse a NULL context, clear the last
 * error (and the heap budget's note of a refusal). */
#define CIB__ENTER(ctx)                                                                            \
    do {                                                                                           \
        if (!(ctx))                                                                                \
            return CIB_EINVAL;                                                                     \
        (ctx)->errmsg[0] = '\0';                                                                   \
        (ctx)->has_cbmsg = 0;                                                                      \
        if ((ctx)->heap)                                                                           \
            (ctx)->heap->hit = 0;                                                                  \
    } while (0)

/* Start of every public call that changes the context: as CIB__ENTER, and
 * refuse to run from inside a callback of another call on the same context
 * (an iteration, a storage method), which would see or leave a half-made
 * change. */
#define CIB__ENTER_WRITE(ctx, fn)                                                                  \
    do {                                                                                           \
        CIB__ENTER(ctx);                                                                           \
        if ((ctx)->in_tx || (ctx)->in_callback)                                                    \
            return cib__fail((ctx), CIB_EINVAL,                                                    \
                             "invalid argument: %s was called from inside a "                      \
                             "callback of another call on the same context",                       \
                             fn);                                                                  \
    } while (0)

/* Refuse a NULL pointer argument by name. */
#define CIB__NOT_NULL(ctx, p, name)                                                                \
    do {                                                                                           \
        if (!(p))                                                                                  \
            return cib__fail((ctx), CIB_EINVAL, "invalid argument: '%s' is NULL", name);           \
    } while (0)

#endif
