/* error.c - status names, messages, and the version. */
#include "error.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CIB__NAME_CASE(sym, val, name, text)                                                       \
    case sym:                                                                                      \
        return name;
#define CIB__TEXT_CASE(sym, val, name, text)                                                       \
    case sym:                                                                                      \
        return text;

const char *cib_status_name(int status)
{
    switch (status) {
        CIB_STATUS_TABLE(CIB__NAME_CASE)
    }
    return "unknown";
}

const char *cib_strerror(int status)
{
    switch (status) {
        CIB_STATUS_TABLE(CIB__TEXT_CASE)
    }
    return "unknown status";
}

const char *cib_version(void)
{
    return CIB_VERSION_STRING;
}

int cib_version_number(void)
{
    return CIB_VERSION_NUMBER;
}

const char *cib_errmsg(const cib_ctx *ctx)
{
    if (!ctx)
        return "invalid argument: 'ctx' is NULL";
    return ctx->errmsg;
}

int cib__fail(cib_ctx *ctx, int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->errmsg, sizeof ctx->errmsg, fmt, ap);
    va_end(ap);
    if (status == CIB_ENOMEM && !strstr(ctx->errmsg, "heap budget"))
        cib__heap_explain(ctx->heap, ctx->errmsg, sizeof ctx->errmsg);
    return status;
}

int cib__nomem(cib_ctx *ctx)
{
    static const char msg[] = "out of memory";
    memcpy(ctx->errmsg, msg, sizeof msg);
    cib__heap_explain(ctx->heap, ctx->errmsg, sizeof ctx->errmsg);
    return CIB_ENOMEM;
}

int cib__wrap(cib_ctx *ctx, int status, const char *fmt, ...)
{
    char prefix[256], old[sizeof ctx->errmsg];
    memcpy(old, ctx->errmsg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    snprintf(ctx->errmsg, sizeof ctx->errmsg, "%s: %s", prefix, old);
    return status;
}

int cib_set_callback_error(cib_ctx *ctx, const char *msg, size_t msg_len)
{
    if (!ctx)
        return CIB_EINVAL;
    if (!msg)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'msg' is NULL");
    size_t keep = sizeof ctx->cbmsg - 1;
    size_t n = msg_len == CIB_NTS ? strnlen(msg, keep + 1) : msg_len;
    const char *nul = memchr(msg, '\0', n);
    if (nul)
        n = (size_t)(nul - msg); /* the message ends at a NUL byte */
    if (n > keep) {              /* cut it short, between two characters */
        n = keep;
        while (n && ((unsigned char)msg[n] & 0xC0) == 0x80)
            n--;
    }
    cib__str s;
    int rc = cib__check_text(ctx, "msg", -1, msg, n, keep, CIB__TEXT_MULTILINE, &s);
    if (rc)
        return rc;
    memcpy(ctx->cbmsg, s.p, s.n);
    ctx->cbmsg[s.n] = '\0';
    ctx->has_cbmsg = 1;
    return CIB_OK;
}
