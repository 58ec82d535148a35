/* channel.c - channels: link to an inbox, external addresses, status and
 * per-type settings. */
#include "channel.h"

#include <string.h>

#include "conversation.h"
#include "error.h"
#include "hours.h"
#include "inbox.h"
#include "op.h"
#include "props.h"
#include "route.h"
#include "rule.h"
#include "ticket.h"

/* A channel's checked definition, before it becomes an object. */
typedef struct channel_spec {
    cib__str id;
    cib__inbox *inbox;
    int type, status;
    cib__str address; /* not normalised */
    cib__email email; /* email and fallback email: the normalised address */
    cib__str sender;  /* fallback email: the sender name */
    int display;      /* email types; else 0 */
    cib__str company, signature;
    int log_forward;
    int threading; /* custom; else 0 */
    cib__props *props;
    const cib_routing_def *routing; /* as given; made into a rule on creation */
    cib__tickets *tickets;          /* made; NULL: none */
    cib__hours *hours;              /* made (chat); NULL: not a chat */
    int set_tickets, set_hours;     /* update: replace them */
    int adding;                     /* cib_channel_add(), not an update */
    int loading;                    /* a stored row */
} channel_spec;

static void spec_free(cib_ctx *ctx, channel_spec *s)
{
    cib__props_unref(ctx, s->props);
    cib__tickets_free(ctx, s->tickets);
    cib__hours_free(ctx, s->hours);
    s->props = NULL;
    s->tickets = NULL;
    s->hours = NULL;
}

cib__channel *cib__channel_find(cib_ctx *ctx, const char *id, size_t len)
{
    cib__channel *ch = NULL;
    CIB_HASH_FIND(ctx->seed, hh, ctx->channels, id, len, ch);
    return ch;
}

int cib__channel_is_email(int type)
{
    return type == CIB_CHANNEL_EMAIL || type == CIB_CHANNEL_FALLBACK_EMAIL;
}

/* The address index key: "<namespace>:<address>". Email and fallback email
 * share a namespace; each other type has its own (R-CHAN-2). */
static size_t address_key(char *buf, int type, const char *addr, size_t len)
{
    static const char ns[] = {'?', 'e', 'h', 'f', 'm', 'c', 'e'};
    buf[0] = ns[type];
    buf[1] = ':';
    memcpy(buf + 2, addr, len);
    return len + 2;
}

cib__channel *cib__channel_find_address(cib_ctx *ctx, int type, const char *addr, size_t len)
{
    char key[CIB__ID_MAX + 2];
    if (len > CIB__ID_MAX)
        return NULL;
    size_t n = address_key(key, type, addr, len);
    return cib__ref_find(ctx->seed, ctx->channel_addrs, key, n);
}

static const char *addr_of(const channel_spec *s, size_t *len)
{
    if (cib__channel_is_email(s->type)) {
        *len = s->email.n;
        return s->email.n ? s->email.s : NULL;
    }
    *len = s->address.n;
    return s->address.p;
}

/* Settings of one type set on a channel of another: refused, unless left at
 * their CIB_CHANNEL_DEF_INIT default. */
static int foreign_setting(cib_ctx *ctx, const char *name)
{
    return cib__fail(ctx, CIB_EINVAL,
                     "invalid argument: '%s' does not apply to this type of channel", name);
}

/* Check the per-type settings of a def into s. */
static int settings_check(cib_ctx *ctx, channel_spec *s, const cib_channel_def *d)
{
    int email = cib__channel_is_email(s->type), rc = CIB_OK;
    s->sender.p = s->company.p = s->signature.p = NULL;
    s->sender.n = s->company.n = s->signature.n = 0;
    s->display = s->threading = 0;
    s->log_forward = 0;
    s->props = NULL;
    if (s->type == CIB_CHANNEL_FALLBACK_EMAIL)
        rc = cib__check_text(ctx, "sender_name", -1, d->sender_name, d->sender_name_len,
                             ctx->lim.max_name_len, CIB__TEXT_OPTIONAL, &s->sender);
    else if (d->sender_name)
        rc = foreign_setting(ctx, "sender_name");
    if (rc)
        return rc;
    if (email) {
        if (!cib__display_name(d->sender_display))
            return cib__fail(ctx, CIB_EINVAL,
                             "invalid argument: 'sender_display' is %d, not a cib_sender_display",
                             d->sender_display);
        s->display = d->sender_display;
        s->log_forward = d->log_forward_to_original != 0;
        rc = cib__check_text(ctx, "company", -1, d->company, d->company_len, ctx->lim.max_name_len,
                             CIB__TEXT_OPTIONAL, &s->company);
        if (!rc)
            rc = cib__check_text(ctx, "signature", -1, d->signature, d->signature_len, 4096,
                                 CIB__TEXT_OPTIONAL | CIB__TEXT_MULTILINE, &s->signature);
    } else if (d->sender_display != CIB_DISPLAY_AGENT_AND_COMPANY) {
        rc = foreign_setting(ctx, "sender_display");
    } else if (d->company) {
        rc = foreign_setting(ctx, "company");
    } else if (d->signature) {
        rc = foreign_setting(ctx, "signature");
    } else if (d->log_forward_to_original != 1) {
        rc = foreign_setting(ctx, "log_forward_to_original");
    }
    if (rc)
        return rc;
    if (s->type == CIB_CHANNEL_CUSTOM) {
        if (!cib__threading_name(d->threading))
            return cib__fail(ctx, CIB_EINVAL,
                             "invalid argument: 'threading' is %d, not a cib_threading",
                             d->threading);
        s->threading = d->threading;
    } else if (d->threading != CIB_THREADING_KEY) {
        return foreign_setting(ctx, "threading");
    }
    s->routing = d->routing;
    s->tickets = NULL;
    s->hours = NULL;
    /* A new form needs its rule (R-TICKET-4); an update without one keeps it. */
    s->set_tickets = d->tickets != NULL || (s->adding && s->type == CIB_CHANNEL_FORM);
    s->set_hours = s->type == CIB_CHANNEL_CHAT;
    if (s->type != CIB_CHANNEL_CHAT && d->availability)
        return foreign_setting(ctx, "availability");
    rc = cib__props_make(ctx, "properties", d->property_keys, d->property_key_lens,
                         d->property_values, d->property_value_lens, d->n_properties, &s->props);
    if (!rc && s->set_tickets)
        rc = cib__tickets_make(ctx, d->tickets, s->type, &s->tickets);
    if (!rc && s->set_hours)
        rc = cib__hours_make(ctx, d->availability, s->loading, &s->hours);
    return rc;
}

/* Check a def against the account: the inbox, the type, the address. */
static int spec_check(cib_ctx *ctx, channel_spec *s, const cib_channel_def *d)
{
    cib__str sinbox;
    int rc = cib__arg_id(ctx, "inbox", d->inbox, d->inbox_len, &sinbox);
    if (rc)
        return rc;
    s->type = d->type;
    s->status = d->status;
    if (!cib__channel_type_name(s->type))
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'type' is %d, not a cib_channel_type",
                         s->type);
    if (!cib__channel_status_name(s->status))
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'status' is %d, not a cib_channel_status", s->status);
    int required = s->type == CIB_CHANNEL_EMAIL || s->type == CIB_CHANNEL_MESSENGER ||
                   s->type == CIB_CHANNEL_CUSTOM;
    s->email.n = 0;
    s->address.p = NULL;
    s->address.n = 0;
    if (cib__channel_is_email(s->type))
        rc = cib__arg_email(ctx, "address", d->address, d->address_len, !required, &s->email);
    else
        rc = cib__check_text(ctx, "address", -1, d->address, d->address_len, ctx->lim.max_id_len,
                             required ? 0 : CIB__TEXT_OPTIONAL, &s->address);
    if (!rc && !(s->inbox = cib__inbox_find(ctx, sinbox.p, sinbox.n)))
        rc = cib__fail(ctx, CIB_ENOTFOUND, "inbox '%.*s' not found", (int)sinbox.n, sinbox.p);
    if (!rc)
        rc = settings_check(ctx, s, d);
    if (!rc && s->type == CIB_CHANNEL_FALLBACK_EMAIL && !s->sender.p) {
        s->sender.p = s->inbox->name;
        s->sender.n = s->inbox->name_len;
    }
    return rc;
}

/* R-CHAN-5: the fallback sender name is free (ignoring `self`). */
static int sender_available(cib_ctx *ctx, const channel_spec *s, const cib__channel *self)
{
    if (s->type != CIB_CHANNEL_FALLBACK_EMAIL)
        return CIB_OK;
    cib__channel *ch, *tmp;
    HASH_ITER (hh, ctx->channels, ch, tmp) {
        if (ch != self && ch->type == CIB_CHANNEL_FALLBACK_EMAIL &&
            cib__ascii_caseeq(ch->sender_name, strlen(ch->sender_name), s->sender.p, s->sender.n))
            return cib__fail(ctx, CIB_ECONFLICT,
                             "sender name '%.*s' is already used by fallback email channel '%s'",
                             (int)s->sender.n, s->sender.p, ch->id);
    }
    return CIB_OK;
}

/* R-CHAN-2 and R-CHAN-5 for a new channel: the id, address and sender name
 * are free. */
static int spec_available(cib_ctx *ctx, const channel_spec *s)
{
    if (cib__channel_find(ctx, s->id.p, s->id.n))
        return cib__fail(ctx, CIB_ECONFLICT, "channel '%.*s' already exists", (int)s->id.n,
                         s->id.p);
    size_t len;
    const char *addr = addr_of(s, &len);
    if (addr) {
        cib__channel *other = cib__channel_find_address(ctx, s->type, addr, len);
        if (other)
            return cib__fail(ctx, CIB_ECONFLICT, "address '%.*s' is already linked as channel '%s'",
                             (int)len, addr, other->id);
        cib__user *u = cib__channel_is_email(s->type)
                           ? cib__ref_find(ctx->seed, ctx->user_emails, addr, len)
                           : NULL;
        if (u)
            return cib__fail(ctx, CIB_ECONFLICT,
                             "address '%.*s' is the email of user '%s'; a team email may not be "
                             "a user's own address",
                             (int)len, addr, u->id);
    }
    return sender_available(ctx, s, NULL);
}

/* Owned copies of a spec's settings, installed together. */
typedef struct settings {
    char *sender, *company, *signature;
} settings;

static void settings_free(cib_ctx *ctx, settings *t)
{
    cib__free(&ctx->mem, t->sender);
    cib__free(&ctx->mem, t->company);
    cib__free(&ctx->mem, t->signature);
}

static int settings_copy(cib_ctx *ctx, const channel_spec *s, settings *t)
{
    t->sender = s->sender.p ? cib__strndup(&ctx->mem, s->sender.p, s->sender.n) : NULL;
    t->company = s->company.p ? cib__strndup(&ctx->mem, s->company.p, s->company.n) : NULL;
    t->signature = s->signature.p ? cib__strndup(&ctx->mem, s->signature.p, s->signature.n) : NULL;
    if ((s->sender.p && !t->sender) || (s->company.p && !t->company) ||
        (s->signature.p && !t->signature)) {
        settings_free(ctx, t);
        *t = (settings){NULL, NULL, NULL};
        return cib__nomem(ctx);
    }
    return CIB_OK;
}

/* Move settings into a channel; the spec's props reference moves too. */
static void settings_install(cib_ctx *ctx, cib__channel *ch, channel_spec *s, settings *t)
{
    settings old = {ch->sender_name, ch->company, ch->signature};
    settings_free(ctx, &old);
    cib__props_unref(ctx, ch->props);
    ch->sender_name = t->sender;
    ch->company = t->company;
    ch->signature = t->signature;
    ch->status = s->status;
    ch->sender_display = s->display;
    ch->log_forward_to_original = s->log_forward;
    ch->threading = s->threading;
    ch->props = s->props;
    s->props = NULL;
}

static void channel_free(cib_ctx *ctx, cib__channel *ch)
{
    if (!ch)
        return;
    settings t = {ch->sender_name, ch->company, ch->signature};
    settings_free(ctx, &t);
    cib__props_unref(ctx, ch->props);
    cib__rule_free(ctx, ch->rule);
    cib__tickets_free(ctx, ch->tickets);
    cib__hours_free(ctx, ch->hours);
    cib__free(&ctx->mem, ch->id);
    cib__free(&ctx->mem, ch->address);
    cib__free(&ctx->mem, ch);
}

void cib__channel_destroy(cib_ctx *ctx, cib__channel *ch)
{
    cib__ref_del(&ctx->mem, &ctx->channel_addrs, ch->addr_ref);
    CIB_HASH_DEL(&ctx->mem, hh, ctx->channels, ch);
    channel_free(ctx, ch);
}

/* Create and index a channel (not yet in its inbox's array); it takes the
 * spec's props. Fallible; on failure nothing changed. */
static int channel_create(cib_ctx *ctx, channel_spec *s, int64_t created_at, int loading,
                          cib__channel **out)
{
    cib__channel *ch = cib__calloc(&ctx->mem, 1, sizeof *ch);
    if (!ch)
        return cib__nomem(ctx);
    size_t alen;
    const char *addr = addr_of(s, &alen);
    ch->id = cib__strndup(&ctx->mem, s->id.p, s->id.n);
    ch->id_len = s->id.n;
    ch->inbox = s->inbox;
    ch->type = s->type;
    ch->created_at = created_at;
    ch->address = addr ? cib__strndup(&ctx->mem, addr, alen) : NULL;
    settings t;
    int ok = ch->id && (ch->address || !addr) && settings_copy(ctx, s, &t) == CIB_OK;
    if (ok) {
        settings_install(ctx, ch, s, &t);
        CIB_HASH_ADD(&ctx->mem, ctx->seed, hh, ctx->channels, ch->id, ch->id_len, ch, ok);
    }
    if (ok && addr) {
        char key[CIB__ID_MAX + 2];
        size_t n = address_key(key, ch->type, addr, alen);
        ch->addr_ref = cib__ref_add(&ctx->mem, ctx->seed, &ctx->channel_addrs, key, n, ch);
        if (!ch->addr_ref) {
            CIB_HASH_DEL(&ctx->mem, hh, ctx->channels, ch);
            ok = 0;
        }
    }
    if (!ok) {
        channel_free(ctx, ch);
        return cib__nomem(ctx);
    }
    ch->tickets = s->tickets;
    ch->hours = s->hours;
    s->tickets = NULL;
    s->hours = NULL;
    /* The rule, not linked to its users until installed. */
    int rc = loading ? cib__rule_load(ctx, ch, s->routing, &ch->rule)
                     : cib__rule_make(ctx, ch, s->routing, &ch->rule);
    if (rc) {
        cib__channel_destroy(ctx, ch);
        return rc;
    }
    *out = ch;
    return CIB_OK;
}

int cib__channel_write(cib_ctx *ctx, const cib__channel *ch)
{
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_CHANNEL, ch->id, ch->id_len);
    cib__rowb_textn(&b, "inbox", ch->inbox->id, ch->inbox->id_len);
    cib__rowb_text(&b, "type", cib__channel_type_name(ch->type));
    cib__rowb_text(&b, "address", ch->address);
    cib__rowb_text(&b, "status", cib__channel_status_name(ch->status));
    cib__rowb_text(&b, "sender_name", ch->sender_name);
    cib__rowb_int(&b, "created_at", ch->created_at);
    cib__rowb_text(&b, "sender_display", cib__display_name(ch->sender_display));
    cib__rowb_text(&b, "company", ch->company);
    cib__rowb_text(&b, "signature", ch->signature);
    cib__rowb_int(&b, "log_forward_to_original", ch->log_forward_to_original);
    cib__rowb_text(&b, "threading", cib__threading_name(ch->threading));
    cib__props_row(&b, ch->props);
    char owner[CIB__ID_MAX + 8];
    cib__tickets_row(&b, ch->tickets, owner, sizeof owner);
    cib__rule_row(&b, ch->rule);
    cib__hours_tmp hours;
    int rc = cib__hours_row(ctx, &b, ch->hours, &hours);
    if (!rc) {
        rc = cib__tx_put(ctx, &b.row);
        cib__hours_row_free(ctx, &hours);
    }
    return rc;
}

/* How channel_install() writes the new channel's row: not (loading), in
 * the caller's op (creating an account), in an op of its own. */
enum { WRITE_NONE, WRITE_IN_OP, WRITE_OWN_OP };

/* Create a channel, write it (see above) and add it to its inbox. The inbox's
 * array is swapped in last, after the commit, so on failure nothing is left
 * in memory. */
static int channel_install(cib_ctx *ctx, channel_spec *s, int64_t created_at, int write)
{
    cib__channel *ch;
    int rc = channel_create(ctx, s, created_at, write == WRITE_NONE, &ch);
    if (rc)
        return rc;
    cib__channel **arr = cib__inbox_channels_with(ctx, s->inbox, ch);
    rc = arr ? CIB_OK : cib__nomem(ctx);
    if (!rc && write == WRITE_IN_OP)
        rc = cib__channel_write(ctx, ch);
    cib__op op;
    if (!rc && write == WRITE_OWN_OP && !(rc = cib__op_begin(ctx, &op)))
        rc = cib__op_end(&op, cib__channel_write(ctx, ch));
    if (rc) {
        cib__free(&ctx->mem, arr);
        cib__channel_destroy(ctx, ch);
        return rc;
    }
    cib__inbox_set_channels(ctx, s->inbox, arr);
    cib__rule_install(ctx, ch, ch->rule);
    return CIB_OK;
}

static int def_read(cib_ctx *ctx, const cib_channel_def *def, cib_channel_def *d, channel_spec *s,
                    int adding)
{
    s->adding = adding;
    s->loading = 0;
    cib_channel_def init = CIB_CHANNEL_DEF_INIT;
    *d = init;
    s->props = NULL;
    s->tickets = NULL;
    s->hours = NULL;
    int rc = cib__def_read(ctx, "def", def, sizeof *d, d);
    if (!rc)
        rc = cib__arg_id(ctx, "id", d->id, d->id_len, &s->id);
    if (!rc)
        rc = spec_check(ctx, s, d);
    return rc;
}

int cib_channel_add(cib_ctx *ctx, const cib_channel_def *def)
{
    CIB__ENTER_WRITE(ctx, "cib_channel_add");
    cib_channel_def d;
    channel_spec s;
    int rc = def_read(ctx, def, &d, &s, 1);
    if (!rc)
        rc = spec_available(ctx, &s);
    int64_t now;
    if (!rc)
        rc = cib__now(ctx, &now);
    if (!rc)
        rc = channel_install(ctx, &s, now, WRITE_OWN_OP);
    spec_free(ctx, &s);
    return rc;
}

/*
 * Replace parts of a channel in one transaction: its settings (s, or NULL to
 * keep them), its routing rule (routing, or NULL), its ticket rule and its
 * availability (when set_*). Users eligible under a new rule take its
 * waiting conversations (R-ROUTE-8); a rule without a queue releases them.
 */
static int channel_reconfigure(cib_ctx *ctx, cib__channel *ch, channel_spec *s,
                               const cib_routing_def *routing, int set_tickets,
                               cib__tickets *tickets, int set_hours, cib__hours *hours)
{
    settings t = {NULL, NULL, NULL};
    cib__rule *rule = NULL;
    cib__plan plan;
    cib__plan_init(ctx, &plan);
    int rc = s ? settings_copy(ctx, s, &t) : CIB_OK;
    if (!rc && routing)
        rc = cib__rule_make(ctx, ch, routing, &rule);
    if (!rc && rule)
        rc = cib__plan_rule(ctx, &plan, rule, ch->rule);
    if (!rc)
        rc = cib__plan_run(ctx, &plan);
    int release = rule && !rule->queue && ch->rule->n_waiting;
    cib__channel next = *ch;
    if (s) {
        next.status = s->status;
        next.sender_name = t.sender;
        next.company = t.company;
        next.signature = t.signature;
        next.sender_display = s->display;
        next.log_forward_to_original = s->log_forward;
        next.threading = s->threading;
        next.props = s->props;
    }
    if (rule)
        next.rule = rule;
    if (set_tickets)
        next.tickets = tickets;
    if (set_hours)
        next.hours = hours;
    /* Written in the op, applied after it (nothing of that can fail). */
    cib__op op;
    if (!rc && !(rc = cib__op_begin(ctx, &op))) {
        rc = cib__channel_write(ctx, &next);
        if (!rc)
            rc = cib__plan_write(ctx, &plan);
        for (cib__wait *w = release ? ch->rule->wait_head : NULL; w && !rc; w = w->next) {
            cib__conv free_conv = *w->conv;
            free_conv.wait = NULL;
            rc = cib__conv_write(ctx, &free_conv, CIB_STATUS_OPEN, 0);
        }
        rc = cib__op_end(&op, rc);
    }
    if (rc) {
        settings_free(ctx, &t);
        cib__rule_free(ctx, rule);
        cib__plan_free(ctx, &plan);
        return rc;
    }
    if (s)
        settings_install(ctx, ch, s, &t);
    if (rule)
        cib__rule_install(ctx, ch, rule);
    while (release && ch->rule->wait_head)
        cib__wait_drop(ctx, ch->rule->wait_head->conv);
    if (set_tickets) {
        cib__tickets_free(ctx, ch->tickets);
        ch->tickets = tickets;
    }
    if (set_hours) {
        cib__hours_free(ctx, ch->hours);
        ch->hours = hours;
    }
    cib__plan_apply(ctx, &plan);
    cib__plan_emit(ctx, &plan);
    cib__plan_free(ctx, &plan);
    return CIB_OK;
}

int cib_channel_update(cib_ctx *ctx, const cib_channel_def *def)
{
    CIB__ENTER_WRITE(ctx, "cib_channel_update");
    cib_channel_def d;
    channel_spec s;
    int rc = def_read(ctx, def, &d, &s, 0);
    cib__channel *ch = rc ? NULL : cib__channel_find(ctx, s.id.p, s.id.n);
    if (!rc && !ch)
        rc = cib__fail(ctx, CIB_ENOTFOUND, "channel '%.*s' not found", (int)s.id.n, s.id.p);
    size_t alen = 0;
    const char *addr = rc ? NULL : addr_of(&s, &alen);
    if (!rc && (s.inbox != ch->inbox || s.type != ch->type ||
                !cib__streq(addr ? addr : "", alen, ch->address ? ch->address : "",
                            ch->address ? strlen(ch->address) : 0)))
        rc = cib__fail(ctx, CIB_EINVAL,
                       "invalid argument: a channel's inbox, type and address cannot change");
    if (!rc)
        rc = sender_available(ctx, &s, ch);
    /* Rules are replaced only when given (a form's is checked on any update). */
    int set_tickets = d.tickets != NULL, set_hours = d.availability != NULL;
    if (!rc) {
        rc =
            channel_reconfigure(ctx, ch, &s, d.routing, set_tickets, s.tickets, set_hours, s.hours);
        if (!rc) {
            if (set_tickets)
                s.tickets = NULL;
            if (set_hours)
                s.hours = NULL;
        }
    }
    spec_free(ctx, &s);
    return rc;
}

int cib__channel_create_fallback(cib_ctx *ctx, cib__inbox *ib, const char *id,
                                 const char *sender_name)
{
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = id;
    d.inbox = ib->id;
    d.inbox_len = ib->id_len;
    d.type = CIB_CHANNEL_FALLBACK_EMAIL;
    d.sender_name = sender_name;
    channel_spec s;
    s.adding = 1;
    s.loading = 0;
    s.id.p = id;
    s.id.n = strlen(id);
    s.props = NULL;
    s.tickets = NULL;
    s.hours = NULL;
    int rc = spec_check(ctx, &s, &d);
    if (!rc)
        rc = spec_available(ctx, &s);
    if (!rc)
        rc = channel_install(ctx, &s, ib->created_at, WRITE_IN_OP);
    spec_free(ctx, &s);
    return rc;
}

int cib__channel_arg(cib_ctx *ctx, const char *name, const char *id, size_t id_len,
                     cib__channel **out)
{
    cib__str sid;
    int rc = cib__arg_id(ctx, name, id, id_len, &sid);
    if (rc)
        return rc;
    if (!(*out = cib__channel_find(ctx, sid.p, sid.n)))
        return cib__fail(ctx, CIB_ENOTFOUND, "channel '%.*s' not found", (int)sid.n, sid.p);
    return CIB_OK;
}

int cib_channel_set_status(cib_ctx *ctx, const char *id, size_t id_len, int status)
{
    CIB__ENTER_WRITE(ctx, "cib_channel_set_status");
    cib__channel *ch;
    int rc = cib__channel_arg(ctx, "id", id, id_len, &ch);
    if (rc)
        return rc;
    if (!cib__channel_status_name(status))
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'status' is %d, not a cib_channel_status", status);
    cib__channel next = *ch;
    next.status = status;
    cib__op op;
    if (!(rc = cib__op_begin(ctx, &op)))
        rc = cib__op_end(&op, cib__channel_write(ctx, &next));
    if (rc == CIB_OK)
        ch->status = status;
    return rc;
}

int cib_channel_set_routing(cib_ctx *ctx, const char *id, size_t id_len,
                            const cib_routing_def *routing)
{
    CIB__ENTER_WRITE(ctx, "cib_channel_set_routing");
    cib__channel *ch;
    int rc = cib__channel_arg(ctx, "id", id, id_len, &ch);
    if (rc)
        return rc;
    CIB__NOT_NULL(ctx, routing, "routing");
    return channel_reconfigure(ctx, ch, NULL, routing, 0, NULL, 0, NULL);
}

int cib_channel_set_tickets(cib_ctx *ctx, const char *id, size_t id_len,
                            const cib_ticket_def *tickets)
{
    CIB__ENTER_WRITE(ctx, "cib_channel_set_tickets");
    cib__channel *ch;
    int rc = cib__channel_arg(ctx, "id", id, id_len, &ch);
    if (rc)
        return rc;
    cib__tickets *t; /* tickets NULL: off */
    if ((rc = cib__tickets_make(ctx, tickets, ch->type, &t)))
        return rc;
    if ((rc = channel_reconfigure(ctx, ch, NULL, NULL, 1, t, 0, NULL)))
        cib__tickets_free(ctx, t);
    return rc;
}

int cib_channel_set_availability(cib_ctx *ctx, const char *id, size_t id_len,
                                 const cib_availability_def *availability)
{
    CIB__ENTER_WRITE(ctx, "cib_channel_set_availability");
    cib__channel *ch;
    int rc = cib__channel_arg(ctx, "id", id, id_len, &ch);
    if (rc)
        return rc;
    CIB__NOT_NULL(ctx, availability, "availability");
    if (ch->type != CIB_CHANNEL_CHAT)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: channel '%s' is not a chat channel",
                         ch->id);
    cib__hours *h;
    if ((rc = cib__hours_make(ctx, availability, 0, &h)))
        return rc;
    if ((rc = channel_reconfigure(ctx, ch, NULL, NULL, 0, NULL, 1, h)))
        cib__hours_free(ctx, h);
    return rc;
}

int cib_channel_get(cib_ctx *ctx, const char *id, size_t id_len, cib_channel_info *out)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, out, "out");
    cib__channel *ch;
    int rc = cib__channel_arg(ctx, "id", id, id_len, &ch);
    if (rc)
        return rc;
    cib_channel_info info = CIB_CHANNEL_INFO_INIT;
    info.id = ch->id;
    info.inbox = ch->inbox->id;
    info.type = ch->type;
    info.address = ch->address;
    info.status = ch->status;
    info.sender_name = ch->sender_name;
    info.created_at = ch->created_at;
    info.sender_display = ch->sender_display;
    info.company = ch->company;
    info.signature = ch->signature;
    info.log_forward_to_original = ch->log_forward_to_original;
    info.threading = ch->threading;
    info.n_properties = cib__props_count(ch->props);
    info.routing_mode = ch->rule->mode;
    info.strategy = ch->rule->strategy;
    info.only_available = ch->rule->only_available;
    info.queue = ch->rule->queue;
    if (ch->tickets) {
        info.tickets = 1;
        info.ticket_pipeline = ch->tickets->pipeline->id;
        info.ticket_stage = ch->tickets->pipeline->stages[ch->tickets->stage];
        info.ticket_owner = ch->tickets->owner;
        info.ticket_owner_user = ch->tickets->owner_user ? ch->tickets->owner_user->id : NULL;
    }
    if (ch->hours) {
        info.chat_mode = ch->hours->mode;
        info.tz = ch->hours->tz;
    }
    return cib__info_write(ctx, "out", out, &info, sizeof info);
}

int cib__channel_write_delete(cib_ctx *ctx, const cib__channel *ch)
{
    int rc = cib__tx_del(ctx, CIB_KIND_CHANNEL, ch->id, ch->id_len);
    return rc ? rc : cib__tx_del(ctx, CIB_KIND_ROUTING, ch->id, ch->id_len);
}

int cib__channel_load(cib_ctx *ctx, const cib_row *row)
{
    cib__str inbox, type, address, status, sender, display, company, signature, threading;
    int64_t created_at, log_forward;
    int rc = cib__row_text(ctx, row, "inbox", 0, &inbox);
    if (!rc)
        rc = cib__row_text(ctx, row, "type", 0, &type);
    if (!rc)
        rc = cib__row_text(ctx, row, "address", 1, &address);
    if (!rc)
        rc = cib__row_text(ctx, row, "status", 0, &status);
    if (!rc)
        rc = cib__row_text(ctx, row, "sender_name", 1, &sender);
    if (!rc)
        rc = cib__row_time(ctx, row, "created_at", 0, &created_at);
    if (!rc)
        rc = cib__row_text(ctx, row, "sender_display", 1, &display);
    if (!rc)
        rc = cib__row_text(ctx, row, "company", 1, &company);
    if (!rc)
        rc = cib__row_text(ctx, row, "signature", 1, &signature);
    if (!rc)
        rc = cib__row_int(ctx, row, "log_forward_to_original", &log_forward);
    if (!rc)
        rc = cib__row_text(ctx, row, "threading", 1, &threading);
    /* The rules stored with it, read into defs like the host's. */
    cib_routing_def routing;
    cib_ticket_def tickets;
    cib_availability_def hours;
    int kinds[CIB__MAX_TARGETS], has_tickets = 0, has_hours = 0;
    const char *ids[CIB__MAX_TARGETS];
    size_t lens[CIB__MAX_TARGETS];
    unsigned days[CIB__MAX_RANGES], from[CIB__MAX_RANGES], to[CIB__MAX_RANGES];
    if (!rc)
        rc = cib__rule_def_from_row(ctx, row, &routing, kinds, ids, lens);
    if (!rc)
        rc = cib__tickets_def_from_row(ctx, row, &tickets, &has_tickets);
    if (!rc)
        rc = cib__hours_def_from_row(ctx, row, &hours, days, from, to, &has_hours);
    if (rc)
        return cib__row_refused(ctx, row, rc);
    /* Rebuild the def the channel was made from and check it like new. */
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = row->key;
    d.id_len = row->key_len;
    d.inbox = inbox.p;
    d.inbox_len = inbox.n;
    d.type = cib__channel_type_parse(type);
    d.address = address.p;
    d.address_len = address.n;
    d.status = cib__channel_status_parse(status);
    d.sender_name = sender.p;
    d.sender_name_len = sender.n;
    if (display.p)
        d.sender_display = cib__display_parse(display);
    d.company = company.p;
    d.company_len = company.n;
    d.signature = signature.p;
    d.signature_len = signature.n;
    if (cib__channel_is_email(d.type))
        d.log_forward_to_original = (int)log_forward;
    if (threading.p)
        d.threading = cib__threading_parse(threading);
    d.routing = &routing;
    d.tickets = has_tickets ? &tickets : NULL;
    d.availability = has_hours ? &hours : NULL;
    channel_spec s;
    s.adding = 1; /* a stored form has its rule */
    s.loading = 1;
    s.props = NULL;
    s.tickets = NULL;
    s.hours = NULL;
    rc = cib__arg_id(ctx, "id", d.id, d.id_len, &s.id);
    if (!rc)
        rc = spec_check(ctx, &s, &d);
    cib__props *props = NULL;
    if (!rc)
        rc = cib__props_load(ctx, row, &props);
    if (!rc) {
        cib__props_unref(ctx, s.props);
        s.props = props;
        rc = spec_available(ctx, &s);
    }
    if (!rc)
        rc = channel_install(ctx, &s, created_at, WRITE_NONE);
    spec_free(ctx, &s);
    return rc ? cib__row_refused(ctx, row, rc) : CIB_OK;
}

static void props_dump(cib__buf *b, const cib__props *p)
{
    for (size_t i = 0; i < cib__props_count(p); i++) {
        if (i)
            cib__buf_str(b, ",");
        cib__buf_quote(b, p->keys[i], p->key_lens[i]);
        cib__buf_str(b, "=");
        cib__buf_quote(b, p->values[i], p->value_lens[i]);
    }
}

void cib__channel_dump(cib_ctx *ctx, cib__buf *b)
{
    cib__channel *ch, *tmp;
    HASH_ITER (hh, ctx->channels, ch, tmp) {
        cib__buf_str(b, "channel ");
        cib__buf_quote(b, ch->id, ch->id_len);
        cib__buf_str(b, " inbox=");
        cib__buf_quote(b, ch->inbox->id, ch->inbox->id_len);
        cib__buf_fmt(b, " type=%s status=%s address=", cib__channel_type_name(ch->type),
                     cib__channel_status_name(ch->status));
        const char *texts[] = {ch->address, ch->sender_name, ch->company, ch->signature};
        const char *names[] = {"", " sender_name=", " company=", " signature="};
        for (int i = 0; i < 4; i++) {
            cib__buf_str(b, names[i]);
            if (texts[i])
                cib__buf_quote(b, texts[i], strlen(texts[i]));
            else
                cib__buf_str(b, "-");
        }
        const char *display = cib__display_name(ch->sender_display);
        const char *threading = cib__threading_name(ch->threading);
        cib__buf_fmt(b, " created_at=%lld display=%s forward_to_original=%d threading=%s props=[",
                     (long long)ch->created_at, display ? display : "-",
                     ch->log_forward_to_original, threading ? threading : "-");
        props_dump(b, ch->props);
        cib__buf_str(b, "]");
        const cib__rule *r = ch->rule;
        cib__buf_fmt(b, " routing=%d/%d/%d/%d targets=[", r->mode, r->strategy, r->only_available,
                     r->queue);
        for (size_t i = 0; i < r->n_targets; i++) {
            cib__buf_str(b, i ? "," : "");
            cib__buf_str(b, r->tusers[i] ? "user:" : "team:");
            cib__buf_str(b, r->tusers[i] ? r->tusers[i]->id : r->tteams[i]->id);
        }
        cib__buf_fmt(b, "] members=%zu available=%zu cursor=", r->n_members, r->n_available);
        cib__buf_str(b, r->cursor ? r->cursor->id : "-");
        cib__buf_str(b, " waiting=[");
        for (const cib__wait *w = r->wait_head; w; w = w->next)
            cib__buf_fmt(b, "%s%llu@%llu", w == r->wait_head ? "" : ",",
                         (unsigned long long)w->conv->id, (unsigned long long)w->seq);
        cib__buf_str(b, "]");
        if (ch->tickets) {
            const cib__tickets *t = ch->tickets;
            cib__buf_fmt(b, " tickets=%d/%s/%s/%d/%s [", t->automatic,
                         t->pipeline ? t->pipeline->id : "-",
                         t->pipeline ? t->pipeline->stages[t->stage] : "-", t->owner,
                         t->owner_user ? t->owner_user->id : "-");
            props_dump(b, t->props);
            cib__buf_str(b, "]");
        }
        if (ch->hours) {
            cib__buf_fmt(b, " chat=%d/%s", ch->hours->mode, ch->hours->tz ? ch->hours->tz : "-");
            for (size_t i = 0; i < ch->hours->n_ranges; i++)
                cib__buf_fmt(b, ",%u:%u-%u", ch->hours->ranges[i].days, ch->hours->ranges[i].from,
                             ch->hours->ranges[i].to);
        }
        cib__buf_str(b, "\n");
    }
}

void cib__channel_free_all(cib_ctx *ctx)
{
    cib__channel *ch, *tmp;
    HASH_ITER (hh, ctx->channels, ch, tmp) {
        cib__channel_destroy(ctx, ch);
    }
}
