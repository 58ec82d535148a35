/* account.c - open an account (load it, or create it in an empty store),
 * free it, and dump it. */
#include "account.h"

#include <stdlib.h>
#include <string.h>

#include "caps.h"
#include "channel.h"
#include "contact.h"
#include "conversation.h"
#include "dedup.h"
#include "error.h"
#include "inbox.h"
#include "op.h"
#include "pipeline.h"
#include "route.h"
#include "store.h"
#include "team.h"
#include "user.h"

/* The format of the rows this version writes (ACCOUNT.format). */
#define FORMAT   1
/* Ids reserved per write of the ACCOUNT row. */
#define ID_BLOCK 1024

/* Kinds in load order: each refers only to kinds before it. */
static const struct {
    int kind;
    int (*load)(cib_ctx *, const cib_row *);
} loaders[] = {
    {CIB_KIND_USER, cib__user_load},
    {CIB_KIND_TEAM, cib__team_load},
    {CIB_KIND_CONTACT, cib__contact_load},
    {CIB_KIND_PIPELINE, cib__pipeline_load},
    {CIB_KIND_INBOX, cib__inbox_load},
    {CIB_KIND_CHANNEL, cib__channel_load},
    {CIB_KIND_ROUTING, cib__route_load_cursor},
};

static int load_one(cib_ctx *ctx, const cib_row *row, void *arg)
{
    const size_t *i = arg;
    return loaders[*i].load(ctx, row);
}

struct account_row {
    int64_t format, next_id, secret;
};

static int read_account(cib_ctx *ctx, const cib_row *row, void *arg)
{
    struct account_row *a = arg;
    if (!cib__streq(row->key, row->key_len, "account", 7))
        return cib__fail(ctx, CIB_ESTORAGE,
                         "store holds an account row with a key other than "
                         "'account'");
    if (a->format)
        return cib__fail(ctx, CIB_ESTORAGE, "store holds two account rows");
    int rc = cib__row_int(ctx, row, "format", &a->format);
    if (!rc && a->format != FORMAT)
        return cib__fail(ctx, CIB_ESTORAGE,
                         "store has format %lld; this library (%s) reads format %d only",
                         (long long)a->format, CIB_VERSION_STRING, FORMAT);
    if (!rc)
        rc = cib__row_time(ctx, row, "created_at", 0, &ctx->created_at);
    if (!rc)
        rc = cib__row_int(ctx, row, "next_id", &a->next_id);
    if (!rc)
        rc = cib__row_int(ctx, row, "secret", &a->secret);
    if (!rc && a->next_id < 1)
        rc = cib__fail(ctx, CIB_ESTORAGE, "store holds an account row with next_id below 1");
    return rc;
}

static int account_write(cib_ctx *ctx, uint64_t limit)
{
    if (!cib__store_keeps(ctx, CIB_KIND_ACCOUNT))
        return CIB_OK;
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_ACCOUNT, "account", 7);
    cib__rowb_int(&b, "format", FORMAT);
    cib__rowb_int(&b, "created_at", ctx->created_at);
    cib__rowb_int(&b, "next_id", (int64_t)limit);
    cib__rowb_int(&b, "secret", (int64_t)ctx->secret);
    return cib__tx_put(ctx, &b.row);
}

int cib__ids_take(cib_ctx *ctx, size_t n, uint64_t *first)
{
    if (ctx->next_id + n > ctx->id_limit) {
        uint64_t limit = ctx->next_id + n + ID_BLOCK;
        int rc = account_write(ctx, limit);
        if (rc)
            return rc;
        ctx->id_limit = limit;
    }
    *first = ctx->next_id;
    ctx->next_id += n;
    return CIB_OK;
}

int cib__ids_take_op(cib__op *op, size_t n, uint64_t *first)
{
    cib_ctx *ctx = op->ctx;
    /* next_id and id_limit, side by side, in one entry */
    _Static_assert(offsetof(cib_ctx, id_limit) == offsetof(cib_ctx, next_id) + sizeof(uint64_t),
                   "next_id and id_limit are adjacent");
    int rc = cib__op_save(op, &ctx->next_id, 2 * sizeof(uint64_t));
    return rc ? rc : cib__ids_take(ctx, n, first);
}

void cib__emit(cib_ctx *ctx, cib_event *ev)
{
    if (!ctx->on_event)
        return;
    ev->size = sizeof *ev;
    if (ctx->ops_open || ctx->batch) { /* delivered when the op is final */
        cib__op op = {ctx, 0, 0};
        if (cib__op_event(&op, ev)) {
            ctx->op_failed = CIB_ENOMEM;
            if (ctx->batch)
                ctx->batch_failed = CIB_ENOMEM;
        }
        return;
    }
    ctx->in_callback++;
    ctx->on_event(ctx->event_user_data, ev);
    ctx->in_callback--;
}

static int count_row(cib_ctx *ctx, const cib_row *row, void *arg)
{
    (void)ctx;
    (void)row;
    ++*(size_t *)arg;
    return CIB_OK;
}

/* A new account: the ACCOUNT row, the default inbox and its fallback email
 * channel, in one transaction (R-INBOX-1). */
static int account_create(cib_ctx *ctx, const char *default_inbox_name)
{
    int rc = cib__now(ctx, &ctx->created_at);
    if (rc)
        return rc;
    /* The salt of stable store keys: random, stored, and unrelated to the
     * tables' seed (which is never stored, hash.h). */
    int erc = ctx->entropy(&ctx->secret, sizeof ctx->secret);
    if (erc)
        return cib__fail(ctx, CIB_ENOMEM,
                         "no random salt for the new account: the operating system gave no "
                         "random bytes (%s)",
                         strerror(erc));
    ctx->next_id = ctx->id_limit = 1;
    /* No undo entries: on failure the caller frees the whole account. */
    cib__op op;
    if ((rc = cib__op_begin(ctx, &op)))
        return rc;
    rc = account_write(ctx, ctx->id_limit);
    if (!rc)
        rc = cib__inbox_create_default(ctx, default_inbox_name);
    return cib__op_end(&op, rc);
}

int cib__account_open(cib_ctx *ctx, const char *default_inbox_name)
{
    struct account_row a = {0, 0, 0};
    int rc = cib__store_scan(ctx, CIB_KIND_ACCOUNT, read_account, &a);
    if (rc)
        return rc;
    if (!a.format) {
        size_t rows = 0;
        for (size_t i = 0; i < sizeof loaders / sizeof loaders[0] && !rc; i++)
            rc = cib__store_scan(ctx, loaders[i].kind, count_row, &rows);
        if (!rc && rows)
            rc = cib__fail(ctx, CIB_ESTORAGE,
                           "store holds %zu rows but no account row: not an account", rows);
        if (!rc)
            rc = account_create(ctx, default_inbox_name);
        if (!rc)
            rc = cib__dedup_ready(ctx);
        return rc ? rc : cib__caps_load(ctx);
    }
    ctx->secret = (uint64_t)a.secret;
    ctx->next_id = ctx->id_limit = (uint64_t)a.next_id;
    for (size_t i = 0; i < sizeof loaders / sizeof loaders[0] && !rc; i++)
        rc = cib__store_scan(ctx, loaders[i].kind, load_one, &i);
    if (!rc && !ctx->default_inbox)
        rc = cib__fail(ctx, CIB_ESTORAGE, "store holds no default inbox");
    if (!rc)
        rc = cib__conv_load_open(ctx);
    if (!rc)
        rc = cib__route_load_queues(ctx);
    if (!rc)
        rc = cib__dedup_load(ctx);
    if (!rc)
        rc = cib__caps_load(ctx);
    return rc;
}

void cib__account_free(cib_ctx *ctx)
{
    cib__conv_free_all(ctx);
    cib__dedup_free(ctx);
    cib__channel_free_all(ctx);
    cib__inbox_free_all(ctx);
    cib__contact_free_all(ctx);
    cib__pipeline_free_all(ctx);
    cib__team_free_all(ctx);
    cib__user_free_all(ctx);
}

static int line_cmp(const void *a, const void *b)
{
    const cib__str *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

int cib_dump(cib_ctx *ctx, char **out, size_t *out_len)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, out, "out");
    *out = NULL;
    cib__buf lines;
    cib__buf_init(&lines, &ctx->mem);
    cib__user_dump(ctx, &lines);
    cib__team_dump(ctx, &lines);
    cib__contact_dump(ctx, &lines);
    cib__pipeline_dump(ctx, &lines);
    cib__inbox_dump(ctx, &lines);
    cib__channel_dump(ctx, &lines);
    cib__conv_dump(ctx, &lines);
    cib__dedup_dump(ctx, &lines);
    if (lines.failed) {
        cib__buf_free(&lines);
        return cib__nomem(ctx);
    }
    size_t n = 0;
    for (size_t i = 0; i < lines.n; i++)
        n += lines.p[i] == '\n';
    cib__str *idx = cib__calloc(&ctx->mem, n ? n : 1, sizeof *idx);
    cib__buf res;
    cib__buf_init(&res, &ctx->mem);
    cib__buf_fmt(&res, "account created_at=%lld\n", (long long)ctx->created_at);
    if (idx) {
        size_t k = 0, start = 0;
        for (size_t i = 0; i < lines.n; i++)
            if (lines.p[i] == '\n') {
                idx[k++] = (cib__str){lines.p + start, i + 1 - start};
                start = i + 1;
            }
        qsort(idx, n, sizeof *idx, line_cmp);
        for (size_t i = 0; i < n; i++)
            cib__buf_add(&res, idx[i].p, idx[i].n);
    }
    int failed = !idx || res.failed;
    cib__free(&ctx->mem, idx);
    cib__buf_free(&lines);
    if (failed) {
        cib__buf_free(&res);
        return cib__nomem(ctx);
    }
    *out = res.p;
    if (out_len)
        *out_len = res.n;
    return CIB_OK;
}
