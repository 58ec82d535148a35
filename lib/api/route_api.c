/* route_api.c - reading routing state: explain (R-ROUTE-9), waiting queues
 * (R-ROUTE-8) and chat availability (R-CHAN-7). */
#include <string.h>

#include "channel.h"
#include "error.h"
#include "hours.h"
#include "route.h"
#include "team.h"

/* Is u a member of a team target before target `before`? (Free-seat team
 * members are not rule members; this drops their repeats.) */
static int in_earlier_team(const cib__rule *r, size_t before, const cib__user *u)
{
    for (size_t i = 0; i < before; i++) {
        const cib__team *t = r->tteams[i];
        for (size_t k = 0; t && k < t->n_members; k++)
            if (t->members[k] == u)
                return 1;
    }
    return 0;
}

static int report(cib_ctx *ctx, cib_candidate_fn fn, void *user_data, const cib__user *u, int why)
{
    cib_candidate c = {sizeof c, u->id, why, (uint32_t)u->assigned.count};
    ctx->in_callback++;
    int stop = fn(user_data, &c);
    ctx->in_callback--;
    return stop;
}

int cib_explain(cib_ctx *ctx, const char *channel, size_t channel_len, cib_candidate_fn fn,
                void *user_data)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, fn, "fn");
    cib__channel *ch;
    int rc = cib__channel_arg(ctx, "channel", channel, channel_len, &ch);
    if (rc)
        return rc;
    const cib__rule *r = ch->rule;
    /* Walk the targets as the rule expanded them: a member's first
     * appearance is the one at its position. */
    size_t next = 0;
    for (size_t i = 0; i < r->n_targets; i++) {
        cib__user *const *users = r->tusers[i] ? &r->tusers[i] : r->tteams[i]->members;
        size_t count = r->tusers[i] ? 1 : r->tteams[i]->n_members;
        for (size_t k = 0; k < count; k++) {
            const cib__user *u = users[k];
            const cib__member *m = cib__rule_member(r, u);
            int why;
            if (m) {
                if (m->pos != next)
                    continue; /* a repeat */
                next++;
                why = m->why;
            } else {
                /* A team's free seat, skipped by the rule (R-ROUTE-5). */
                if (in_earlier_team(r, i, u))
                    continue;
                why = CIB_WHY_FREE_SEAT;
            }
            if (report(ctx, fn, user_data, u, why))
                return CIB_OK;
        }
    }
    return CIB_OK;
}

int cib_waiting(cib_ctx *ctx, const char *channel, size_t channel_len, size_t offset, uint64_t *ids,
                size_t cap, size_t *n, size_t *total)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, n, "n");
    *n = 0;
    if (total)
        *total = 0;
    if (cap && !ids)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'ids' is NULL but 'cap' is %zu", cap);
    cib__channel *ch;
    int rc = cib__channel_arg(ctx, "channel", channel, channel_len, &ch);
    if (rc)
        return rc;
    const cib__rule *r = ch->rule;
    if (total)
        *total = r->n_waiting;
    if (offset >= r->n_waiting)
        return CIB_OK;
    const cib__wait *w = r->wait_head;
    /* From the nearer end. */
    if (offset > r->n_waiting / 2) {
        w = r->wait_tail;
        for (size_t i = r->n_waiting - 1; i > offset; i--)
            w = w->prev;
    } else {
        for (size_t i = 0; i < offset; i++)
            w = w->next;
    }
    for (; w && *n < cap; w = w->next)
        ids[(*n)++] = w->conv->id;
    return CIB_OK;
}

int cib_chat_available(cib_ctx *ctx, const char *id, size_t id_len, int *available)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, available, "available");
    *available = 0;
    cib__channel *ch;
    int rc = cib__channel_arg(ctx, "id", id, id_len, &ch);
    if (rc)
        return rc;
    if (ch->type != CIB_CHANNEL_CHAT)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: channel '%s' is not a chat channel",
                         ch->id);
    if (ch->status == CIB_CHANNEL_DISABLED)
        return CIB_OK; /* R-CHAN-3: it takes no messages */
    switch (ch->hours ? ch->hours->mode : CIB_CHAT_ALWAYS) {
    case CIB_CHAT_STATUS_BASED:
        *available = ch->rule->n_available > 0;
        break;
    case CIB_CHAT_BUSINESS_HOURS: {
        int64_t now;
        if ((rc = cib__now(ctx, &now)))
            return rc;
        int open = cib__hours_open(ch->hours, now);
        if (open < 0)
            return cib__fail(ctx, CIB_ENOTFOUND,
                             "time zone '%s' of channel '%s' cannot be loaded from '%s' any "
                             "more; the chat shows as closed until its availability is set again",
                             ch->hours->tz, ch->id, ctx->zoneinfo_dir);
        *available = open;
        break;
    }
    default:
        *available = 1;
    }
    return CIB_OK;
}
