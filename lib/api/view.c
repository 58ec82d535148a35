/* view.c - reading conversations: views (R-CONV-5), one conversation, its
 * messages and its properties, always as a given user may see them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "channel.h"
#include "conversation.h"
#include "error.h"
#include "inbox.h"
#include "message.h"
#include "props.h"
#include "user.h"

/* ---- one conversation ---- */

/* The conversation as `user` (NULL: the account) may see it: open from
 * memory, closed read from the store into a detached copy (*detached). */
static int see(cib_ctx *ctx, const char *user, size_t user_len, uint64_t id, cib__conv **out,
               int *detached, int *status, int64_t *closed_at)
{
    cib__user *u;
    int rc = cib__user_opt_arg(ctx, "user", user, user_len, &u);
    if (rc)
        return rc;
    *detached = 0;
    *status = CIB_STATUS_OPEN;
    *closed_at = 0;
    if (!(*out = cib__conv_find(ctx, id))) {
        rc = id ? cib__conv_read(ctx, id, out, status, closed_at) : CIB_ENOTFOUND;
        if (rc == CIB_ENOTFOUND)
            return cib__fail(ctx, CIB_ENOTFOUND, "conversation %llu not found",
                             (unsigned long long)id);
        if (rc)
            return rc;
        *detached = 1;
    }
    if (u && !cib__inbox_may((*out)->channel->inbox, u, CIB_ACTION_VIEW)) { /* R-ACCESS-3 */
        if (*detached)
            cib__conv_free(ctx, *out);
        return cib__fail(ctx, CIB_ENOTFOUND, "conversation %llu not found", (unsigned long long)id);
    }
    return CIB_OK;
}

int cib_conversation_get(cib_ctx *ctx, const char *user, size_t user_len, uint64_t conversation,
                         cib_conversation_info *out)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, out, "out");
    cib__conv *cv;
    int detached = 0, status = 0;
    int64_t closed_at;
    int rc = see(ctx, user, user_len, conversation, &cv, &detached, &status, &closed_at);
    if (rc)
        return rc;
    cib_conversation_info info = CIB_CONVERSATION_INFO_INIT;
    info.id = cv->id;
    info.inbox = cv->channel->inbox->id;
    info.channel = cv->channel->id;
    info.contact = cv->contact->id;
    info.assignee = cv->assignee ? cv->assignee->id : NULL;
    info.status = status;
    info.reason = cv->reason;
    info.n_messages = cv->n_messages;
    info.created_at = cv->created_at;
    info.last_inbound_at = cv->last_inbound_at;
    info.first_reply_at = cv->first_reply_at;
    info.closed_at = closed_at;
    info.n_properties = cib__props_count(cv->props);
    info.ticket = cv->ticket;
    info.queued = cv->wait != NULL && !detached;
    if (detached)
        cib__conv_free(ctx, cv);
    return cib__info_write(ctx, "out", out, &info, sizeof info);
}

int cib_conversation_messages(cib_ctx *ctx, const char *user, size_t user_len,
                              uint64_t conversation, cib_message_fn fn, void *user_data)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, fn, "fn");
    cib__conv *cv;
    int detached = 0, status = 0;
    int64_t closed_at;
    int rc = see(ctx, user, user_len, conversation, &cv, &detached, &status, &closed_at);
    if (rc)
        return rc;
    if (detached)
        cib__conv_free(ctx, cv);
    return cib__message_each(ctx, conversation, fn, user_data);
}

int cib_conversation_properties(cib_ctx *ctx, const char *user, size_t user_len,
                                uint64_t conversation, cib_property_fn fn, void *user_data)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, fn, "fn");
    cib__conv *cv;
    int detached = 0, status = 0;
    int64_t closed_at;
    int rc = see(ctx, user, user_len, conversation, &cv, &detached, &status, &closed_at);
    if (rc)
        return rc;
    ctx->in_callback++;
    for (size_t i = 0; i < cib__props_count(cv->props); i++)
        if (fn(user_data, cv->props->keys[i], cv->props->values[i]))
            break;
    ctx->in_callback--;
    if (detached)
        cib__conv_free(ctx, cv);
    return CIB_OK;
}

/* ---- views ---- */

typedef struct query {
    cib__user *user;
    int view;
    cib__inbox *inbox;
    cib__channel *channel;
    int status;
    uint64_t after;
} query;

static int query_read(cib_ctx *ctx, const cib_view_def *def, query *q)
{
    cib_view_def d = CIB_VIEW_DEF_INIT;
    cib__str user, inbox, channel;
    int rc = cib__def_read(ctx, "query", def, sizeof d, &d);
    if (!rc)
        rc = cib__check_text(ctx, "user", -1, d.user, d.user_len, ctx->lim.max_id_len,
                             CIB__TEXT_OPTIONAL, &user);
    if (!rc)
        rc = cib__check_text(ctx, "inbox", -1, d.inbox, d.inbox_len, ctx->lim.max_id_len,
                             CIB__TEXT_OPTIONAL, &inbox);
    if (!rc)
        rc = cib__check_text(ctx, "channel", -1, d.channel, d.channel_len, ctx->lim.max_id_len,
                             CIB__TEXT_OPTIONAL, &channel);
    if (rc)
        return rc;
    if (d.view < CIB_VIEW_ALL || d.view > CIB_VIEW_MINE)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'view' is %d, not a cib_view_kind",
                         d.view);
    if (d.status < 0 || d.status > CIB_STATUS_CLOSED)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'status' is %d: 0 (any), open or closed", d.status);
    if (d.view == CIB_VIEW_MINE && !user.p)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: the MINE view needs a 'user'");
    if (d.view != CIB_VIEW_MINE && !inbox.p)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: this view needs an 'inbox'");
    q->user = user.p ? cib__user_find(ctx, user.p, user.n) : NULL;
    q->inbox = inbox.p ? cib__inbox_find(ctx, inbox.p, inbox.n) : NULL;
    q->channel = channel.p ? cib__channel_find(ctx, channel.p, channel.n) : NULL;
    if (user.p && !q->user)
        return cib__fail(ctx, CIB_ENOTFOUND, "user '%.*s' not found", (int)user.n, user.p);
    if (inbox.p && !q->inbox)
        return cib__fail(ctx, CIB_ENOTFOUND, "inbox '%.*s' not found", (int)inbox.n, inbox.p);
    if (channel.p && !q->channel)
        return cib__fail(ctx, CIB_ENOTFOUND, "channel '%.*s' not found", (int)channel.n, channel.p);
    if (q->channel && q->inbox && q->channel->inbox != q->inbox)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: channel '%s' is not in inbox '%s'",
                         q->channel->id, q->inbox->id);
    q->view = d.view;
    q->status = d.status;
    q->after = d.after;
    return CIB_OK;
}

/* May the query's user see conversations of this inbox? */
static int visible(const query *q, const cib__inbox *ib)
{
    return !q->user || cib__inbox_may(ib, q->user, CIB_ACTION_VIEW);
}

static int open_matches(const query *q, const cib__conv *cv)
{
    if (q->channel && cv->channel != q->channel)
        return 0;
    if (q->inbox && cv->channel->inbox != q->inbox)
        return 0;
    return visible(q, cv->channel->inbox);
}

/* The tree of open conversations the view walks, and its node field. */
static const cib__tree *open_tree(const query *q, size_t *node_offset)
{
    if (q->view == CIB_VIEW_MINE) {
        *node_offset = offsetof(cib__conv, in_queue);
        return &q->user->assigned;
    }
    if (q->view == CIB_VIEW_UNASSIGNED) {
        *node_offset = offsetof(cib__conv, in_queue);
        return &q->inbox->unassigned;
    }
    *node_offset = offsetof(cib__conv, in_inbox);
    return &q->inbox->open;
}

/* The next matching open conversation after `id`, or NULL. */
static cib__conv *next_open(const query *q, uint64_t id)
{
    size_t off;
    const cib__tree *t = open_tree(q, &off);
    for (cib__tnode *n = cib__tree_after(t, id); n; n = cib__tree_next(n)) {
        cib__conv *cv = (cib__conv *)((char *)n - off);
        if (open_matches(q, cv))
            return cv;
    }
    return NULL;
}

/* Closed conversations matching the query, ids after the cursor, sorted. */
struct closed {
    const query *q;
    uint64_t *v;
    size_t n, cap;
};

static int collect_closed(cib_ctx *ctx, const cib_row *row, void *arg)
{
    struct closed *c = arg;
    const query *q = c->q;
    cib__str status, channel, assignee;
    uint64_t id;
    int rc = cib__row_text(ctx, row, "status", 0, &status);
    if (!rc)
        rc = cib__row_text(ctx, row, "channel", 0, &channel);
    if (!rc)
        rc = cib__row_text(ctx, row, "assignee", 1, &assignee);
    if (rc)
        return rc;
    if (cib__id_parse(row->key, row->key_len, &id))
        return cib__fail(ctx, CIB_ESTORAGE, "store holds a conversation whose key is not an id");
    if (id <= q->after || !cib__streq(status.p, status.n, "closed", 6))
        return CIB_OK;
    const cib__channel *ch = cib__channel_find(ctx, channel.p, channel.n);
    if (!ch || (q->channel && ch != q->channel) || (q->inbox && ch->inbox != q->inbox) ||
        !visible(q, ch->inbox))
        return CIB_OK;
    if (q->view == CIB_VIEW_UNASSIGNED && assignee.p)
        return CIB_OK;
    if (q->view == CIB_VIEW_MINE &&
        !(assignee.p && cib__streq(assignee.p, assignee.n, q->user->id, q->user->id_len)))
        return CIB_OK;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        uint64_t *v = cib__realloc(&ctx->mem, c->v, cap * sizeof *v);
        if (!v)
            return cib__nomem(ctx);
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = id;
    return CIB_OK;
}

static int cmp_id(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* With the store's find_page: only as many closed conversations of the
 * inbox as a page can use (`want`), read in order from the cursor, in
 * batches while the query's other conditions (channel, assignee) turn rows
 * away. O(want + log n) on a store with an ordered index. */
static int closed_page(cib_ctx *ctx, const query *q, size_t want, struct closed *c)
{
    const cib_match m[2] = {{"inbox", q->inbox->id, q->inbox->id_len}, {"status", "closed", 6}};
    uint64_t after = q->after;
    while (c->n < want) {
        size_t limit = want - c->n, seen;
        int rc = cib__store_find_page(ctx, CIB_KIND_CONVERSATION, m, 2, after, limit, &seen, &after,
                                      collect_closed, c);
        if (rc || seen < limit)
            return rc;
    }
    return CIB_OK;
}

/* Closed conversations for a page of at most `cap` ids: all of them, sorted,
 * or (find_page) the first cap + 1, which tell whether a next page exists. */
static int closed_ids(cib_ctx *ctx, const query *q, size_t cap, struct closed *c)
{
    if (q->inbox && ctx->store.find_page)
        return closed_page(ctx, q, cap < SIZE_MAX ? cap + 1 : cap, c);
    int rc = q->inbox ? cib__store_find(ctx, CIB_KIND_CONVERSATION, "inbox", q->inbox->id,
                                        q->inbox->id_len, collect_closed, c)
                      : cib__store_find(ctx, CIB_KIND_CONVERSATION, "status", "closed", 6,
                                        collect_closed, c);
    if (!rc && c->n)
        qsort(c->v, c->n, sizeof *c->v, cmp_id);
    return rc;
}

int cib_view(cib_ctx *ctx, const cib_view_def *query_def, uint64_t *ids, size_t cap, size_t *n,
             uint64_t *next)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, ids, "ids");
    CIB__NOT_NULL(ctx, n, "n");
    *n = 0;
    if (next)
        *next = 0;
    if (cap == 0)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'cap' is 0");
    query q;
    int rc = query_read(ctx, query_def, &q);
    if (rc)
        return rc;
    if (q.inbox && !visible(&q, q.inbox))
        return CIB_OK; /* R-ACCESS-3: nothing of that inbox */
    struct closed c = {&q, NULL, 0, 0};
    if (q.status != CIB_STATUS_OPEN && (rc = closed_ids(ctx, &q, cap, &c)))
        goto done;
    /* Merge the open tree and the sorted closed ids, oldest first. */
    cib__conv *o = q.status != CIB_STATUS_CLOSED ? next_open(&q, q.after) : NULL;
    size_t k = 0;
    while (*n < cap && (o || k < c.n)) {
        if (o && (k == c.n || o->id < c.v[k])) {
            ids[(*n)++] = o->id;
            o = next_open(&q, o->id);
        } else {
            ids[(*n)++] = c.v[k++];
        }
    }
    if (next && (o || k < c.n))
        *next = ids[*n - 1];
done:
    cib__free(&ctx->mem, c.v);
    return rc;
}
