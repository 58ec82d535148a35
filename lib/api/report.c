/*
 * report.c - reports over a time range (R-REPORT-1): conversations received,
 * replies sent, first-response times, per inbox and per user.
 *
 * Reports read the store, not the working set: closed conversations and
 * every message live there. Two passes over the inbox's rows (conversations,
 * then messages, through the store's optional `find`), memory in proportion
 * to the conversations received in the range and the users who replied.
 */
#include <stdlib.h>
#include <string.h>

#include "conversation.h"
#include "error.h"
#include "hash.h"
#include "inbox.h"
#include "store.h"

/* A conversation received in the range. */
typedef struct received {
    uint64_t id;
    int64_t created_at;
    int64_t first_at; /* its earliest reply: time and message id, 0: none */
    uint64_t first_msg;
    struct author *first_by;
} received;

/* A user who replied (their id as recorded: they may have been removed). */
typedef struct author {
    UT_hash_handle hh;
    uint64_t replies, first_responses;
    int64_t *times; /* first-response times, ms */
    size_t n_times, cap_times;
    size_t id_len;
    char id[];
} author;

typedef struct report {
    cib_ctx *ctx;
    const cib_report_def *q;
    received *conv;
    size_t n_conv, cap_conv;
    author *authors;
    uint64_t replies;
    /* A store without the open conversations (a context's own): every
     * conversation of the inbox, whose messages are read one conversation
     * at a time. */
    uint64_t *all;
    size_t n_all, cap_all;
} report;

static int note_id(report *r, uint64_t id)
{
    if (r->n_all == r->cap_all) {
        size_t cap = r->cap_all ? r->cap_all * 2 : 64;
        uint64_t *v = cib__realloc(&r->ctx->mem, r->all, cap * sizeof *v);
        if (!v)
            return cib__nomem(r->ctx);
        r->all = v;
        r->cap_all = cap;
    }
    r->all[r->n_all++] = id;
    return CIB_OK;
}

static int in_range(const report *r, int64_t t)
{
    return t >= r->q->from && t < r->q->to;
}

static int row_id(cib_ctx *ctx, const cib_row *row, const char *field, uint64_t *out)
{
    cib__str s;
    int rc = cib__row_text(ctx, row, field, 0, &s);
    if (!rc && cib__id_parse(s.p, s.n, out))
        rc = cib__fail(ctx, CIB_ESTORAGE, "store holds a malformed %s id", field);
    return rc;
}

static int add_conversation(report *r, uint64_t id, int64_t created_at);

static int on_conversation(cib_ctx *ctx, const cib_row *row, void *arg)
{
    report *r = arg;
    int64_t created_at;
    uint64_t id;
    int rc = cib__row_time(ctx, row, "created_at", 0, &created_at);
    if (!rc && cib__id_parse(row->key, row->key_len, &id))
        rc = cib__fail(ctx, CIB_ESTORAGE, "store holds a malformed conversation key");
    if (!rc && ctx->store_skips_open)
        rc = note_id(r, id);
    if (rc)
        return rc;
    return add_conversation(r, id, created_at);
}

static int add_conversation(report *r, uint64_t id, int64_t created_at)
{
    cib_ctx *ctx = r->ctx;
    if (!in_range(r, created_at))
        return CIB_OK;
    if (r->n_conv == r->cap_conv) {
        size_t cap = r->cap_conv ? r->cap_conv * 2 : 64;
        received *v = cib__realloc(&ctx->mem, r->conv, cap * sizeof *v);
        if (!v)
            return cib__nomem(ctx);
        r->conv = v;
        r->cap_conv = cap;
    }
    r->conv[r->n_conv++] = (received){id, created_at, 0, 0, NULL};
    return CIB_OK;
}

static int by_id(const void *a, const void *b)
{
    const received *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static author *author_get(report *r, const char *id, size_t len)
{
    cib_ctx *ctx = r->ctx;
    author *a;
    CIB_HASH_FIND(ctx->seed, hh, r->authors, id, len, a);
    if (a)
        return a;
    if (!(a = cib__calloc(&ctx->mem, 1, sizeof *a + len + 1)))
        return NULL;
    memcpy(a->id, id, len);
    a->id_len = len;
    int ok;
    CIB_HASH_ADD(&ctx->mem, ctx->seed, hh, r->authors, a->id, len, a, ok);
    if (!ok) {
        cib__free(&ctx->mem, a);
        return NULL;
    }
    return a;
}

static int on_message(cib_ctx *ctx, const cib_row *row, void *arg)
{
    report *r = arg;
    cib__str kind, by;
    int64_t at;
    uint64_t conv, id;
    int rc = cib__row_text(ctx, row, "kind", 0, &kind);
    if (rc || !cib__streq(kind.p, kind.n, "reply", 5))
        return rc;
    rc = cib__row_text(ctx, row, "author", 0, &by);
    if (!rc)
        rc = cib__row_time(ctx, row, "created_at", 0, &at);
    if (!rc)
        rc = row_id(ctx, row, "conversation", &conv);
    if (!rc && cib__id_parse(row->key, row->key_len, &id))
        rc = cib__fail(ctx, CIB_ESTORAGE, "store holds a malformed message key");
    if (rc)
        return rc;
    received key = {conv, 0, 0, 0, NULL};
    received *c = r->n_conv ? bsearch(&key, r->conv, r->n_conv, sizeof key, by_id) : NULL;
    int counts = in_range(r, at);
    int earlier =
        c && (!c->first_by || at < c->first_at || (at == c->first_at && id < c->first_msg));
    if (!counts && !earlier)
        return CIB_OK;
    author *a = author_get(r, by.p, by.n);
    if (!a)
        return cib__nomem(ctx);
    if (counts) {
        a->replies++;
        r->replies++;
    }
    if (earlier) {
        c->first_at = at;
        c->first_msg = id;
        c->first_by = a;
    }
    return CIB_OK;
}

static int push_time(cib_ctx *ctx, author *a, int64_t t)
{
    if (a->n_times == a->cap_times) {
        size_t cap = a->cap_times ? a->cap_times * 2 : 16;
        int64_t *v = cib__realloc(&ctx->mem, a->times, cap * sizeof *v);
        if (!v)
            return cib__nomem(ctx);
        a->times = v;
        a->cap_times = cap;
    }
    a->times[a->n_times++] = t;
    a->first_responses++;
    return CIB_OK;
}

static int by_time(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest value with at least p% of values at or below. */
static void percentiles(int64_t *v, size_t n, int64_t *median, int64_t *p90)
{
    *median = *p90 = -1;
    if (!n)
        return;
    qsort(v, n, sizeof *v, by_time);
    *median = v[(n + 1) / 2 - 1];
    *p90 = v[(9 * n + 9) / 10 - 1];
}

/* Most replies first; ties by id. */
static int by_replies(const void *a, const void *b)
{
    const author *x = *(author *const *)a, *y = *(author *const *)b;
    if (x->replies != y->replies)
        return x->replies > y->replies ? -1 : 1;
    size_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
    int c = memcmp(x->id, y->id, n);
    return c ? c : (x->id_len > y->id_len) - (x->id_len < y->id_len);
}

static void report_free(report *r)
{
    cib_ctx *ctx = r->ctx;
    author *a, *tmp;
    HASH_ITER (hh, r->authors, a, tmp) {
        CIB_HASH_DEL(&ctx->mem, hh, r->authors, a);
        cib__free(&ctx->mem, a->times);
        cib__free(&ctx->mem, a);
    }
    cib__free(&ctx->mem, r->conv);
    cib__free(&ctx->mem, r->all);
}

/* Everything but the output: the passes, the per-user times, the totals. */
static int gather(report *r, const cib__inbox *ib, int64_t **all, size_t *n_all)
{
    cib_ctx *ctx = r->ctx;
    int rc = cib__store_find(ctx, CIB_KIND_CONVERSATION, "inbox", ib->id, ib->id_len,
                             on_conversation, r);
    /* A store that keeps only closed conversations (a context's own): the
     * open ones from memory. */
    cib__conv *cv;
    if (ctx->store_skips_open)
        FOR_EACH_CONV(&ib->open, in_inbox, cv)
        {
            if (rc)
                break;
            if (!(rc = note_id(r, cv->id)))
                rc = add_conversation(r, cv->id, cv->created_at);
        }
    if (!rc && r->n_conv)
        qsort(r->conv, r->n_conv, sizeof *r->conv, by_id);
    if (!rc && !ctx->store_skips_open)
        rc = cib__store_find(ctx, CIB_KIND_MESSAGE, "inbox", ib->id, ib->id_len, on_message, r);
    for (size_t i = 0; i < r->n_all && !rc; i++) { /* the messages of each */
        char key[21];
        size_t kn = cib__id_key(r->all[i], key);
        rc = cib__store_find(ctx, CIB_KIND_MESSAGE, "conversation", key, kn, on_message, r);
    }
    size_t n = 0;
    for (size_t i = 0; i < r->n_conv && !rc; i++)
        n += r->conv[i].first_by != NULL;
    *all = rc || !n ? NULL : cib__malloc(&ctx->mem, n * sizeof **all);
    if (!rc && n && !*all)
        rc = cib__nomem(ctx);
    *n_all = 0;
    for (size_t i = 0; i < r->n_conv && !rc; i++) {
        received *c = &r->conv[i];
        if (!c->first_by)
            continue;
        /* Both times are in CIB_TIME_MIN..CIB_TIME_MAX (checked when read):
         * the difference fits. A reply stamped before its conversation (the
         * host's clock went back) counts as an immediate answer. */
        int64_t t = c->first_at > c->created_at ? c->first_at - c->created_at : 0;
        (*all)[(*n_all)++] = t;
        rc = push_time(ctx, c->first_by, t);
    }
    return rc;
}

int cib_report_get(cib_ctx *ctx, const cib_report_def *def, cib_report *out, cib_report_user_fn fn,
                   void *user_data)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, out, "out");
    cib_report res = CIB_REPORT_INIT;
    int rc = cib__info_write(ctx, "out", out, &res, sizeof res);
    cib_report_def q = CIB_REPORT_DEF_INIT;
    if (!rc)
        rc = cib__def_read(ctx, "def", def, sizeof q, &q);
    cib__inbox *ib = NULL;
    if (!rc)
        rc = cib__inbox_arg(ctx, "inbox", q.inbox, q.inbox_len, &ib);
    if (!rc && !cib__time_ok(q.from))
        rc = cib__fail(ctx, CIB_EINVAL,
                       "invalid argument: 'def->from' is %lld, outside CIB_TIME_MIN..CIB_TIME_MAX",
                       (long long)q.from);
    if (!rc && !cib__time_ok(q.to))
        rc = cib__fail(ctx, CIB_EINVAL,
                       "invalid argument: 'def->to' is %lld, outside CIB_TIME_MIN..CIB_TIME_MAX",
                       (long long)q.to);
    if (!rc && q.from > q.to)
        rc = cib__fail(ctx, CIB_EINVAL, "invalid argument: 'from' is after 'to'");
    if (rc)
        return rc;
    report r;
    memset(&r, 0, sizeof r);
    r.ctx = ctx;
    r.q = &q;
    int64_t *all = NULL;
    size_t n_all = 0;
    author **rows = NULL;
    rc = gather(&r, ib, &all, &n_all);
    size_t n_rows = HASH_COUNT(r.authors);
    if (!rc && n_rows && !(rows = cib__malloc(&ctx->mem, n_rows * sizeof *rows)))
        rc = cib__nomem(ctx);
    if (!rc) {
        size_t k = 0;
        author *a, *tmp;
        HASH_ITER (hh, r.authors, a, tmp) {
            rows[k++] = a;
        }
        if (n_rows)
            qsort(rows, n_rows, sizeof *rows, by_replies);
        res.received = r.n_conv;
        res.replies = r.replies;
        res.first_responses = n_all;
        percentiles(all, n_all, &res.first_response_median_ms, &res.first_response_p90_ms);
        ctx->in_callback++;
        for (size_t i = 0; fn && i < n_rows; i++) {
            cib_report_user row = CIB_REPORT_USER_INIT;
            row.user = rows[i]->id;
            row.replies = rows[i]->replies;
            row.first_responses = rows[i]->first_responses;
            percentiles(rows[i]->times, rows[i]->n_times, &row.first_response_median_ms,
                        &row.first_response_p90_ms);
            if (fn(user_data, &row))
                break;
        }
        ctx->in_callback--;
        rc = cib__info_write(ctx, "out", out, &res, sizeof res);
    }
    cib__free(&ctx->mem, rows);
    cib__free(&ctx->mem, all);
    report_free(&r);
    return rc;
}
