/* list.c - reading the lists inside objects (members, stages, access, channels). */
#include <string.h>

#include "channel.h"
#include "contact.h"
#include "error.h"
#include "props.h"
#include "rule.h"
#include "inbox.h"
#include "pipeline.h"
#include "team.h"

/* Find the list: its length, and item i's text (when i < length). */
static int list_find(cib_ctx *ctx, int list, const char *owner, size_t owner_len, size_t i,
                     size_t *count, const char **item)
{
    cib__str id;
    int rc = cib__arg_id(ctx, "owner", owner, owner_len, &id);
    if (rc)
        return rc;
    *item = NULL;
    switch (list) {
    case CIB_LIST_TEAM_MEMBERS: {
        cib__team *t = cib__team_find(ctx, id.p, id.n);
        if (!t)
            break;
        *count = t->n_members;
        if (i < *count)
            *item = t->members[i]->id;
        return CIB_OK;
    }
    case CIB_LIST_PIPELINE_STAGES: {
        cib__pipeline *p = cib__pipeline_find(ctx, id.p, id.n);
        if (!p)
            break;
        *count = p->n_stages;
        if (i < *count)
            *item = p->stages[i];
        return CIB_OK;
    }
    case CIB_LIST_CHANNEL_PROPERTIES: {
        cib__channel *ch = cib__channel_find(ctx, id.p, id.n);
        if (!ch)
            break;
        *count = 2 * cib__props_count(ch->props);
        if (i < *count)
            *item = i % 2 ? ch->props->values[i / 2] : ch->props->keys[i / 2];
        return CIB_OK;
    }
    case CIB_LIST_CHANNEL_TARGETS: {
        cib__channel *ch = cib__channel_find(ctx, id.p, id.n);
        if (!ch)
            break;
        *count = ch->rule->n_targets;
        if (i < *count)
            *item = ch->rule->labels[i];
        return CIB_OK;
    }
    case CIB_LIST_CONTACT_ADDRESSES: {
        cib__contact *c = cib__contact_find(ctx, id.p, id.n);
        if (!c)
            break;
        *count = cib__contact_n_addrs(c);
        if (i < *count)
            *item = c->more->addrs[i];
        return CIB_OK;
    }
    case CIB_LIST_INBOX_USERS:
    case CIB_LIST_INBOX_TEAMS:
    case CIB_LIST_INBOX_CHANNELS: {
        cib__inbox *ib = cib__inbox_find(ctx, id.p, id.n);
        if (!ib)
            break;
        if (list == CIB_LIST_INBOX_USERS) {
            *count = ib->n_users;
            if (i < *count)
                *item = ib->users[i]->id;
        } else if (list == CIB_LIST_INBOX_TEAMS) {
            *count = ib->n_teams;
            if (i < *count)
                *item = ib->teams[i]->id;
        } else {
            *count = ib->n_channels;
            if (i < *count)
                *item = ib->channels[i]->id;
        }
        return CIB_OK;
    }
    default:
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'list' is %d, not a cib_list", list);
    }
    return cib__fail(ctx, CIB_ENOTFOUND, "owner '%.*s' not found", (int)id.n, id.p);
}

int cib_list_count(cib_ctx *ctx, int list, const char *owner, size_t owner_len, size_t *out_count)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, out_count, "out_count");
    const char *item;
    return list_find(ctx, list, owner, owner_len, 0, out_count, &item);
}

int cib_list_item(cib_ctx *ctx, int list, const char *owner, size_t owner_len, size_t index,
                  const char **out)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, out, "out");
    *out = NULL;
    size_t count = 0;
    int rc = list_find(ctx, list, owner, owner_len, index, &count, out);
    if (!rc && index >= count)
        rc = cib__fail(ctx, CIB_ENOTFOUND, "index %zu is past the end of the list (%zu items)",
                       index, count);
    return rc;
}
