/* ticket.c - ticket rules and tickets (R-TICKET-1..5). */
#include "ticket.h"

#include <stdio.h>
#include <string.h>

#include "channel.h"
#include "conversation.h"
#include "error.h"
#include "inbox.h"
#include "pipeline.h"
#include "props.h"
#include "user.h"

static const char *const owner_names[] = {NULL, "assignee", "none", "user"};

void cib__tickets_free(cib_ctx *ctx, cib__tickets *t)
{
    if (!t)
        return;
    cib__props_unref(ctx, t->props);
    cib__free(&ctx->mem, t);
}

int cib__tickets_make(cib_ctx *ctx, const cib_ticket_def *def, int type, cib__tickets **out)
{
    *out = NULL;
    cib_ticket_def d = CIB_TICKET_DEF_INIT;
    int rc = def ? cib__def_read(ctx, "tickets", def, sizeof d, &d) : CIB_OK;
    if (rc)
        return rc;
    if (type == CIB_CHANNEL_FORM && !d.automatic) /* R-TICKET-4 */
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: a form channel opens a ticket for every "
                         "submission: it needs an automatic ticket rule");
    if (!d.automatic) {
        if (d.pipeline || d.stage || d.owner_user || d.n_properties ||
            d.owner != CIB_TICKET_OWNER_ASSIGNEE)
            return cib__fail(ctx, CIB_EINVAL,
                             "invalid argument: a ticket rule that is off (automatic 0) takes no "
                             "pipeline, stage, owner or properties");
        return CIB_OK;
    }
    cib__str pipeline, stage, owner = {NULL, 0};
    rc = cib__arg_id(ctx, "tickets->pipeline", d.pipeline, d.pipeline_len, &pipeline);
    if (!rc)
        rc = cib__arg_name(ctx, "tickets->stage", d.stage, d.stage_len, &stage);
    if (!rc && (d.owner < CIB_TICKET_OWNER_ASSIGNEE || d.owner > CIB_TICKET_OWNER_USER))
        rc = cib__fail(ctx, CIB_EINVAL,
                       "invalid argument: 'tickets->owner' is %d, not a cib_ticket_owner", d.owner);
    if (!rc && d.owner == CIB_TICKET_OWNER_USER)
        rc = cib__arg_id(ctx, "tickets->owner_user", d.owner_user, d.owner_user_len, &owner);
    else if (!rc && d.owner_user)
        rc = cib__fail(ctx, CIB_EINVAL,
                       "invalid argument: 'tickets->owner_user' needs owner CIB_TICKET_OWNER_USER");
    if (rc)
        return rc;
    cib__pipeline *p = cib__pipeline_find(ctx, pipeline.p, pipeline.n);
    if (!p) /* R-TICKET-2 */
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: pipeline '%.*s' does not exist",
                         (int)pipeline.n, pipeline.p);
    size_t si = p->n_stages;
    for (size_t i = 0; i < p->n_stages; i++)
        if (cib__streq(p->stages[i], p->stage_lens[i], stage.p, stage.n))
            si = i;
    if (si == p->n_stages)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: stage '%.*s' is not in pipeline '%s'",
                         (int)stage.n, stage.p, p->id);
    cib__user *u = NULL;
    if (owner.p && !(u = cib__user_find(ctx, owner.p, owner.n)))
        return cib__fail(ctx, CIB_ENOTFOUND, "ticket owner '%.*s' not found", (int)owner.n,
                         owner.p);
    cib__props *props = NULL;
    rc = cib__props_make(ctx, "tickets->properties", d.property_keys, d.property_key_lens,
                         d.property_values, d.property_value_lens, d.n_properties, &props);
    if (rc)
        return rc;
    cib__tickets *t = cib__calloc(&ctx->mem, 1, sizeof *t);
    if (!t) {
        cib__props_unref(ctx, props);
        return cib__nomem(ctx);
    }
    t->automatic = 1;
    t->pipeline = p;
    t->stage = si;
    t->owner = d.owner;
    t->owner_user = u;
    t->props = props;
    *out = t;
    return CIB_OK;
}

void cib__tickets_row(cib__rowb *b, const cib__tickets *t, char *owner_buf, size_t buf_size)
{
    cib__rowb_int(b, "tickets_auto", t != NULL);
    cib__rowb_text(b, "ticket_pipeline", t ? t->pipeline->id : NULL);
    cib__rowb_text(b, "ticket_stage", t ? t->pipeline->stages[t->stage] : NULL);
    if (t && t->owner == CIB_TICKET_OWNER_USER) {
        snprintf(owner_buf, buf_size, "user:%s", t->owner_user->id);
        cib__rowb_text(b, "ticket_owner", owner_buf);
    } else {
        cib__rowb_text(b, "ticket_owner", t ? owner_names[t->owner] : NULL);
    }
    cib__props_row_as(b, "ticket_property_keys", "ticket_property_values", t ? t->props : NULL);
}

int cib__tickets_def_from_row(cib_ctx *ctx, const cib_row *row, cib_ticket_def *d, int *has)
{
    int64_t automatic;
    cib__str pipeline, stage, owner;
    const cib_field *keys, *values;
    int rc = cib__row_int(ctx, row, "tickets_auto", &automatic);
    if (!rc)
        rc = cib__row_text(ctx, row, "ticket_pipeline", 1, &pipeline);
    if (!rc)
        rc = cib__row_text(ctx, row, "ticket_stage", 1, &stage);
    if (!rc)
        rc = cib__row_text(ctx, row, "ticket_owner", 1, &owner);
    if (!rc)
        rc = cib__row_list(ctx, row, "ticket_property_keys", &keys);
    if (!rc)
        rc = cib__row_list(ctx, row, "ticket_property_values", &values);
    if (rc)
        return rc;
    cib_ticket_def init = CIB_TICKET_DEF_INIT;
    *d = init;
    *has = automatic != 0;
    d->automatic = (int)automatic;
    d->pipeline = pipeline.p;
    d->pipeline_len = pipeline.n;
    d->stage = stage.p;
    d->stage_len = stage.n;
    if (owner.p && owner.n > 5 && memcmp(owner.p, "user:", 5) == 0) {
        d->owner = CIB_TICKET_OWNER_USER;
        d->owner_user = owner.p + 5;
        d->owner_user_len = owner.n - 5;
    } else if (owner.p && cib__streq(owner.p, owner.n, "none", 4)) {
        d->owner = CIB_TICKET_OWNER_NONE;
    }
    if (keys->n_items != values->n_items)
        return cib__fail(ctx, CIB_EINVAL, "its ticket property lists differ in length");
    d->property_keys = keys->items;
    d->property_key_lens = keys->item_lens;
    d->property_values = values->items;
    d->property_value_lens = values->item_lens;
    d->n_properties = keys->n_items;
    return CIB_OK;
}

cib__user *cib__ticket_owner(const cib__tickets *t, cib__user *assignee)
{
    if (t->owner == CIB_TICKET_OWNER_USER)
        return t->owner_user;
    return t->owner == CIB_TICKET_OWNER_ASSIGNEE ? assignee : NULL;
}

int cib__ticket_write(cib_ctx *ctx, uint64_t id, const cib__conv *cv, const cib__tickets *t,
                      const cib__user *owner, int64_t now)
{
    char key[21], conv[21];
    size_t kn = cib__id_key(id, key), cn = cib__id_key(cv->id, conv);
    const cib__channel *ch = cv->channel;
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_TICKET, key, kn);
    cib__rowb_textn(&b, "conversation", conv, cn);
    cib__rowb_textn(&b, "inbox", ch->inbox->id, ch->inbox->id_len);
    cib__rowb_textn(&b, "channel", ch->id, ch->id_len);
    cib__rowb_textn(&b, "pipeline", t->pipeline->id, t->pipeline->id_len);
    cib__rowb_text(&b, "stage", t->pipeline->stages[t->stage]);
    if (owner)
        cib__rowb_textn(&b, "owner", owner->id, owner->id_len);
    else
        cib__rowb_text(&b, "owner", NULL);
    cib__rowb_int(&b, "created_at", now);
    cib__props_row(&b, t->props);
    return cib__tx_put(ctx, &b.row);
}

int cib__tickets_use_pipeline(cib_ctx *ctx, const cib__pipeline *p, const cib__channel **by)
{
    cib__channel *ch, *tmp;
    HASH_ITER (hh, ctx->channels, ch, tmp) {
        if (ch->tickets && ch->tickets->pipeline == p) {
            *by = ch;
            return 1;
        }
    }
    return 0;
}

/* ---- reading tickets ---- */

struct ticket_read {
    cib_ticket_info info;
    cib__props *props;
    uint64_t conversation;
    char pipeline[CIB__ID_MAX + 1], stage[CIB__ID_MAX + 1], owner[CIB__ID_MAX + 1];
};

static int copy(char *dst, size_t cap, cib__str s)
{
    if (s.n >= cap)
        return -1;
    memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
    return 0;
}

static int read_ticket(cib_ctx *ctx, const cib_row *row, void *arg)
{
    struct ticket_read *t = arg;
    cib__str conv, pipeline, stage, owner;
    int64_t created_at;
    int rc = cib__row_text(ctx, row, "conversation", 0, &conv);
    if (!rc)
        rc = cib__row_text(ctx, row, "pipeline", 0, &pipeline);
    if (!rc)
        rc = cib__row_text(ctx, row, "stage", 0, &stage);
    if (!rc)
        rc = cib__row_text(ctx, row, "owner", 1, &owner);
    if (!rc)
        rc = cib__row_time(ctx, row, "created_at", 0, &created_at);
    if (rc)
        return rc;
    if (cib__id_parse(conv.p, conv.n, &t->conversation) ||
        copy(t->pipeline, sizeof t->pipeline, pipeline) || copy(t->stage, sizeof t->stage, stage) ||
        (owner.p && copy(t->owner, sizeof t->owner, owner)))
        return cib__fail(ctx, CIB_ESTORAGE, "store holds a malformed ticket row");
    if ((rc = cib__props_load(ctx, row, &t->props)))
        return rc == CIB_ENOMEM ? rc : cib__row_refused(ctx, row, rc);
    t->info.created_at = created_at;
    t->info.owner = owner.p ? t->owner : NULL;
    t->info.n_properties = cib__props_count(t->props);
    t->info.property_keys = t->props ? (const char *const *)t->props->keys : NULL;
    t->info.property_values = t->props ? (const char *const *)t->props->values : NULL;
    return CIB_OK;
}

void cib__ticket_scratch_free(cib_ctx *ctx)
{
    struct ticket_read *tr = ctx->ticket_scratch;
    if (tr)
        cib__props_unref(ctx, tr->props);
    cib__free(&ctx->mem, tr);
    ctx->ticket_scratch = NULL;
}

int cib_ticket_get(cib_ctx *ctx, const char *user, size_t user_len, uint64_t ticket,
                   cib_ticket_info *out)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, out, "out");
    cib__user *u;
    int rc = cib__user_opt_arg(ctx, "user", user, user_len, &u);
    if (rc)
        return rc;
    char key[21];
    size_t kn = cib__id_key(ticket, key);
    struct ticket_read *tr = cib__calloc(&ctx->mem, 1, sizeof *tr);
    if (!tr)
        return cib__nomem(ctx);
    rc = ticket ? cib__store_get(ctx, CIB_KIND_TICKET, key, kn, read_ticket, tr) : CIB_ENOTFOUND;
    /* The conversation decides who may see it. */
    cib__conv *cv = NULL;
    int detached = 0, status;
    int64_t closed_at;
    if (!rc && !(cv = cib__conv_find(ctx, tr->conversation))) {
        rc = cib__conv_read(ctx, tr->conversation, &cv, &status, &closed_at);
        detached = rc == CIB_OK;
    }
    if (!rc && u && !cib__inbox_may(cv->channel->inbox, u, CIB_ACTION_VIEW))
        rc = CIB_ENOTFOUND;
    if (rc == CIB_ENOTFOUND)
        rc = cib__fail(ctx, CIB_ENOTFOUND, "ticket %llu not found", (unsigned long long)ticket);
    if (!rc) {
        /* The strings must outlive this call: keep them on the context. */
        cib__ticket_scratch_free(ctx);
        ctx->ticket_scratch = tr;
        tr->info.size = sizeof tr->info;
        tr->info.id = ticket;
        tr->info.conversation = tr->conversation;
        tr->info.pipeline = tr->pipeline;
        tr->info.stage = tr->stage;
        rc = cib__info_write(ctx, "out", out, &tr->info, sizeof tr->info);
    } else {
        cib__props_unref(ctx, tr->props);
        cib__free(&ctx->mem, tr);
    }
    if (detached)
        cib__conv_free(ctx, cv);
    return rc;
}
