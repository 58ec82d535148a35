/* rule.c - routing rules and their candidate structures (see rule.h). */
#include "rule.h"

#include <stdio.h>
#include <string.h>

#include "channel.h"
#include "error.h"
#include "ticket.h"
#include "inbox.h"
#include "team.h"
#include "user.h"

static const char *const mode_names[] = {NULL, "unassigned", "specific", "contact_owner"};
static const char *const strategy_names[] = {NULL, "first_available", "round_robin",
                                             "least_loaded"};

uint64_t cib__rule_key(uint32_t load, uint64_t seq)
{
    return (uint64_t)load << 40 | (seq & ((UINT64_C(1) << 40) - 1));
}

int cib__rule_why(const cib__rule *r, const cib__member *m, int status, int seat, uint32_t capacity,
                  uint32_t load)
{
    if (seat != CIB_SEAT_PAID)
        return CIB_WHY_FREE_SEAT;
    if (!m->has_access)
        return CIB_WHY_NO_ACCESS;
    if (r->only_available && status != CIB_AVAILABLE)
        return status == CIB_AWAY ? CIB_WHY_AWAY : CIB_WHY_OFFLINE;
    if (capacity && load >= capacity)
        return CIB_WHY_AT_CAPACITY;
    return CIB_WHY_ELIGIBLE;
}

static uint32_t load_of(const cib__user *u)
{
    return (uint32_t)u->assigned.count;
}

/* Would node n, keyed `old`, keep its place under key `key`? */
static int keeps_place(const cib__tree *t, const cib__tnode *n, uint64_t old, uint64_t key)
{
    const cib__tnode *side = key > old ? cib__tree_next(n) : cib__tree_prev(n);
    return !side || (key > old ? key < cib__tree_key(t, side) : key > cib__tree_key(t, side));
}

/* A least-loaded member's node: in the tree while eligible, at its key. */
static void member_place(cib__rule *r, cib__member *m, int is, uint64_t key)
{
    int in = m->by_load.height != 0;
    if (in && is && key != m->key && keeps_place(&r->by_load, &m->by_load, m->key, key)) {
        m->key = key; /* the order holds: no need to move */
        return;
    }
    if (in && (!is || key != m->key))
        cib__tree_remove(&r->by_load, &m->by_load);
    m->key = key;
    if (is && m->by_load.height == 0)
        cib__tree_insert(&r->by_load, &m->by_load);
}

/* Bring a member's cached state, bit, tree node and counts up to date, for
 * its user with seat `seat`. */
static void member_update_as(cib__member *m, int seat)
{
    cib__rule *r = m->rule;
    cib__user *u = m->user;
    int was = m->why == CIB_WHY_ELIGIBLE;
    int why = cib__rule_why(r, m, u->status, seat, u->capacity, load_of(u));
    int is = why == CIB_WHY_ELIGIBLE;
    uint64_t key = cib__rule_key(load_of(u), u->seq);
    if (r->strategy == CIB_LEAST_LOADED)
        member_place(r, m, is, key);
    else
        m->key = key;
    if (is && !was)
        cib__bits_set(&r->eligible, m->pos);
    else if (!is && was)
        cib__bits_clear(&r->eligible, m->pos);
    m->why = (uint8_t)why;
    /* Status-based chat (R-CHAN-7): someone who could be assigned is there. */
    int available = u->status == CIB_AVAILABLE && seat == CIB_SEAT_PAID && m->has_access;
    if (available != m->available) {
        r->n_available = available ? r->n_available + 1 : r->n_available - 1;
        m->available = (uint8_t)available;
    }
}

static void member_update(cib__member *m)
{
    member_update_as(m, m->user->seat);
}

static void member_init(cib__member *m, int seat)
{
    m->why = CIB_WHY_FREE_SEAT; /* "not eligible": member_update decides */
    m->by_load.height = 0;
    member_update_as(m, seat);
}

/* What a rebuild reads of the account, with its change in (rule.h). */
static int seat_of(const cib__change *c, const cib__user *u)
{
    return c && c->user == u ? c->seat : u->seat;
}

static cib__user *const *members_of(const cib__change *c, const cib__team *t, size_t *n)
{
    if (c && c->team == t) {
        *n = c->n_members;
        return c->members;
    }
    *n = t->n_members;
    return t->members;
}

static const cib__inbox *access_of(const cib__change *c, const cib__inbox *ib)
{
    return c && c->inbox == ib ? c->access : ib;
}

void cib__rule_refresh_user(cib_ctx *ctx, cib__user *u)
{
    (void)ctx;
    for (cib__member *m = u->memberships; m; m = m->next_of_user)
        member_update(m);
}

cib__member *cib__rule_member(const cib__rule *r, const cib__user *u)
{
    for (cib__member *m = u->memberships; m; m = m->next_of_user)
        if (m->rule == r)
            return m;
    return NULL;
}

void cib__rule_free(cib_ctx *ctx, cib__rule *r)
{
    if (!r)
        return;
    if (r->linked)
        for (size_t i = 0; i < r->n_members; i++) {
            cib__member *m = &r->members[i];
            if (m->prev_of_user)
                m->prev_of_user->next_of_user = m->next_of_user;
            else
                m->user->memberships = m->next_of_user;
            if (m->next_of_user)
                m->next_of_user->prev_of_user = m->prev_of_user;
        }
    cib__bits_free(&ctx->mem, &r->eligible);
    cib__free(&ctx->mem, r->members);
    cib__free(&ctx->mem, r->tusers);
    cib__free(&ctx->mem, r->tteams);
    cib__free(&ctx->mem, r->labels);
    cib__free(&ctx->mem, r);
}

/* Mark (access_mark = 1) every user who may act in ib with change c in;
 * unmark with 0. */
static void mark_access(cib_ctx *ctx, const cib__inbox *ib, const cib__change *c, unsigned v)
{
    const cib__team *drop_team = c ? c->drop_team : NULL;
    ib = access_of(c, ib);
    if (ib->everyone) {
        cib__user *u, *tmp;
        HASH_ITER (hh, ctx->users, u, tmp) {
            u->access_mark = v;
        }
        return;
    }
    for (size_t i = 0; i < ib->n_users; i++)
        ib->users[i]->access_mark = v;
    for (size_t i = 0; i < ib->n_teams; i++) {
        size_t n;
        cib__user *const *members = members_of(c, ib->teams[i], &n);
        for (size_t k = 0; ib->teams[i] != drop_team && k < n; k++)
            members[k]->access_mark = v;
    }
}

/* Expand the targets into members with change c in (NULL: none): users
 * once, in order, free team seats skipped. Fallible (allocations); on
 * failure r's members are freed. */
static int expand(cib_ctx *ctx, cib__rule *r, const cib__change *c)
{
    const cib__user *drop_user = c ? c->drop_user : NULL;
    size_t cap = 0;
    for (size_t i = 0; i < r->n_targets; i++) {
        size_t count = 1;
        if (!r->tusers[i])
            members_of(c, r->tteams[i], &count);
        cap += count;
    }
    r->members = cap ? cib__calloc(&ctx->mem, cap, sizeof *r->members) : NULL;
    if (cap && !r->members)
        return cib__nomem(ctx);
    mark_access(ctx, r->channel->inbox, c, 1);
    size_t n = 0;
    for (size_t i = 0; i < r->n_targets; i++) {
        size_t count = 1;
        cib__user *const *users =
            r->tusers[i] ? &r->tusers[i] : members_of(c, r->tteams[i], &count);
        for (size_t k = 0; k < count; k++) {
            cib__user *u = users[k];
            /* drop_user named directly is out of the targets already; as a
             * team's member it leaves the team after the commit. */
            if (u->mark || u == drop_user || (!r->tusers[i] && seat_of(c, u) != CIB_SEAT_PAID))
                continue; /* a repeat, or a team's free seat (R-ROUTE-5) */
            u->mark = 1;
            cib__member *m = &r->members[n];
            m->user = u;
            m->rule = r;
            m->pos = (uint32_t)n++;
            m->has_access = u->access_mark == 1;
        }
    }
    for (size_t i = 0; i < n; i++)
        r->members[i].user->mark = 0;
    mark_access(ctx, r->channel->inbox, c, 0);
    r->n_members = n;
    int rc = cib__bits_init(&ctx->mem, &r->eligible, n);
    if (rc)
        return cib__nomem(ctx);
    cib__tree_init(&r->by_load, (ptrdiff_t)offsetof(cib__member, key) -
                                    (ptrdiff_t)offsetof(cib__member, by_load));
    for (size_t i = 0; i < n; i++)
        member_init(&r->members[i], seat_of(c, r->members[i].user));
    return CIB_OK;
}

/* Label the targets "user:ID" / "team:ID": the pointers, then the text, in
 * one block. */
static int make_labels(cib_ctx *ctx, cib__rule *r)
{
    size_t size = (r->n_targets ? r->n_targets : 1) * sizeof *r->labels;
    for (size_t i = 0; i < r->n_targets; i++)
        size += 6 + (r->tusers[i] ? r->tusers[i]->id_len : r->tteams[i]->id_len);
    r->labels = cib__malloc(&ctx->mem, size);
    if (!r->labels)
        return cib__nomem(ctx);
    char *p = (char *)(r->labels + (r->n_targets ? r->n_targets : 1));
    for (size_t i = 0; i < r->n_targets; i++) {
        r->labels[i] = p;
        p += sprintf(p, "%s:%s", r->tusers[i] ? "user" : "team",
                     r->tusers[i] ? r->tusers[i]->id : r->tteams[i]->id) +
             1;
    }
    return CIB_OK;
}

static cib__rule *rule_new(cib_ctx *ctx, cib__channel *ch, size_t n_targets)
{
    cib__rule *r = cib__calloc(&ctx->mem, 1, sizeof *r);
    if (!r)
        return NULL;
    r->channel = ch;
    r->n_targets = n_targets;
    r->tusers = cib__calloc(&ctx->mem, n_targets ? n_targets : 1, sizeof *r->tusers);
    r->tteams = cib__calloc(&ctx->mem, n_targets ? n_targets : 1, sizeof *r->tteams);
    if (!r->tusers || !r->tteams) {
        cib__rule_free(ctx, r);
        return NULL;
    }
    return r;
}

static int rule_make(cib_ctx *ctx, cib__channel *ch, const cib_routing_def *def, int check_seats,
                     cib__rule **out);

int cib__rule_make(cib_ctx *ctx, cib__channel *ch, const cib_routing_def *def, cib__rule **out)
{
    return rule_make(ctx, ch, def, 1, out);
}

int cib__rule_load(cib_ctx *ctx, cib__channel *ch, const cib_routing_def *def, cib__rule **out)
{
    return rule_make(ctx, ch, def, 0, out);
}

static int rule_make(cib_ctx *ctx, cib__channel *ch, const cib_routing_def *def, int check_seats,
                     cib__rule **out)
{
    *out = NULL;
    cib_routing_def d = CIB_ROUTING_DEF_INIT;
    int rc = def ? cib__def_read(ctx, "routing", def, sizeof d, &d) : CIB_OK;
    if (rc)
        return rc;
    if (d.mode < CIB_ROUTE_UNASSIGNED || d.mode > CIB_ROUTE_CONTACT_OWNER)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'routing->mode' is %d, not a cib_routing_mode", d.mode);
    if (d.strategy < CIB_FIRST_AVAILABLE || d.strategy > CIB_LEAST_LOADED)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'routing->strategy' is %d, not a cib_strategy",
                         d.strategy);
    if (d.mode == CIB_ROUTE_UNASSIGNED && (d.n_targets || d.queue))
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: an unassigned rule has no targets and no queue");
    if (d.n_targets > CIB__MAX_TARGETS)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: at most %d routing targets, not %zu",
                         CIB__MAX_TARGETS, d.n_targets);
    if (d.n_targets && (!d.target_kinds || !d.target_ids))
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'routing' target arrays are NULL");
    cib__rule *r = rule_new(ctx, ch, d.n_targets);
    if (!r)
        return cib__nomem(ctx);
    r->mode = d.mode;
    r->strategy = d.strategy;
    r->only_available = d.only_available != 0;
    r->queue = d.queue != 0;
    for (size_t i = 0; i < d.n_targets && !rc; i++) {
        cib__str id;
        rc = cib__arg_item(ctx, "routing->targets", d.target_ids, d.target_id_lens, i,
                           ctx->lim.max_id_len, &id);
        if (rc)
            break;
        if (d.target_kinds[i] == CIB_TARGET_USER) {
            cib__user *u = cib__user_find(ctx, id.p, id.n);
            if (!u)
                rc = cib__fail(ctx, CIB_ENOTFOUND, "routing target %zu: user '%.*s' not found", i,
                               (int)id.n, id.p);
            else if (check_seats && u->seat != CIB_SEAT_PAID)
                rc = cib__fail(ctx, CIB_ESEAT,
                               "routing target %zu: user '%s' has a free seat; only paid seats are "
                               "assigned automatically",
                               i, u->id);
            else if (u->mark)
                rc = cib__fail(ctx, CIB_EINVAL,
                               "invalid argument: routing target %zu repeats "
                               "user '%s'",
                               i, u->id);
            else
                (r->tusers[i] = u)->mark = 1;
        } else if (d.target_kinds[i] == CIB_TARGET_TEAM) {
            cib__team *t = cib__team_find(ctx, id.p, id.n);
            if (!t)
                rc = cib__fail(ctx, CIB_ENOTFOUND, "routing target %zu: team '%.*s' not found", i,
                               (int)id.n, id.p);
            else if (t->mark)
                rc = cib__fail(ctx, CIB_EINVAL,
                               "invalid argument: routing target %zu repeats "
                               "team '%s'",
                               i, t->id);
            else
                (r->tteams[i] = t)->mark = 1;
        } else {
            rc = cib__fail(ctx, CIB_EINVAL,
                           "invalid argument: routing target %zu has kind %d, not a "
                           "cib_target_kind",
                           i, d.target_kinds[i]);
        }
    }
    for (size_t i = 0; i < d.n_targets; i++) {
        if (r->tusers[i])
            r->tusers[i]->mark = 0;
        if (r->tteams[i])
            r->tteams[i]->mark = 0;
    }
    if (!rc)
        rc = make_labels(ctx, r);
    if (!rc)
        rc = expand(ctx, r, NULL);
    if (rc) {
        cib__rule_free(ctx, r);
        return rc;
    }
    *out = r;
    return CIB_OK;
}

int cib__rule_remake(cib_ctx *ctx, const cib__rule *old, const cib__change *c, cib__rule **out)
{
    const cib__user *drop_user = c->drop_user;
    const cib__team *drop_team = c->drop_team;
    cib__rule *r = rule_new(ctx, old->channel, old->n_targets);
    if (!r)
        return cib__nomem(ctx);
    r->mode = old->mode;
    r->strategy = old->strategy;
    r->only_available = old->only_available;
    r->queue = old->queue;
    size_t n = 0;
    for (size_t i = 0; i < old->n_targets; i++) {
        if ((old->tusers[i] && old->tusers[i] == drop_user) ||
            (old->tteams[i] && old->tteams[i] == drop_team))
            continue;
        r->tusers[n] = old->tusers[i];
        r->tteams[n] = old->tteams[i];
        n++;
    }
    r->n_targets = n;
    int rc = make_labels(ctx, r);
    if (!rc)
        rc = expand(ctx, r, c);
    if (rc) {
        cib__rule_free(ctx, r);
        return rc;
    }
    *out = r;
    return CIB_OK;
}

void cib__rules_discard(cib_ctx *ctx, cib__rebuild *rb)
{
    for (size_t i = 0; i < rb->n; i++)
        cib__rule_free(ctx, rb->v[i]);
    cib__free(&ctx->mem, rb->v);
    rb->v = NULL;
    rb->n = 0;
}

int cib__rules_remake(cib_ctx *ctx, const cib__change *c, cib__rebuild *rb)
{
    rb->n = 0;
    size_t n = HASH_COUNT(ctx->channels);
    rb->v = n ? cib__calloc(&ctx->mem, n, sizeof *rb->v) : NULL;
    if (n && !rb->v)
        return cib__nomem(ctx);
    cib__channel *ch, *tmp;
    HASH_ITER (hh, ctx->channels, ch, tmp) {
        int rc = cib__rule_remake(ctx, ch->rule, c, &rb->v[rb->n]);
        if (rc) {
            cib__rules_discard(ctx, rb);
            return rc;
        }
        rb->n++;
    }
    return CIB_OK;
}

int cib__rules_write(cib_ctx *ctx, const cib__rebuild *rb, const cib__user *drop_owner)
{
    for (size_t i = 0; i < rb->n; i++) {
        cib__rule *r = rb->v[i];
        const cib__tickets *t = r->channel->tickets;
        int owner = t && drop_owner && t->owner_user == drop_owner;
        if (r->n_targets == r->channel->rule->n_targets && !owner)
            continue;
        cib__channel next = *r->channel;
        next.rule = r;
        cib__tickets tickets;
        if (owner) {
            tickets = *t;
            tickets.owner = CIB_TICKET_OWNER_ASSIGNEE;
            tickets.owner_user = NULL;
            next.tickets = &tickets;
        }
        int rc = cib__channel_write(ctx, &next);
        if (rc)
            return rc;
    }
    return CIB_OK;
}

void cib__rules_drop_owner(cib_ctx *ctx, const cib__user *drop_owner)
{
    cib__channel *ch, *tmp;
    HASH_ITER (hh, ctx->channels, ch, tmp) {
        if (ch->tickets && ch->tickets->owner_user == drop_owner) {
            ch->tickets->owner = CIB_TICKET_OWNER_ASSIGNEE;
            ch->tickets->owner_user = NULL;
        }
    }
}

void cib__rules_install(cib_ctx *ctx, cib__rebuild *rb)
{
    for (size_t i = 0; i < rb->n; i++)
        cib__rule_install(ctx, rb->v[i]->channel, rb->v[i]);
    cib__free(&ctx->mem, rb->v);
    rb->v = NULL;
    rb->n = 0;
}

void cib__rule_install(cib_ctx *ctx, cib__channel *ch, cib__rule *r)
{
    cib__rule *old = ch->rule;
    if (old == r)
        old = NULL;
    for (size_t i = 0; i < r->n_members; i++) {
        cib__member *m = &r->members[i];
        m->prev_of_user = NULL;
        m->next_of_user = m->user->memberships;
        if (m->next_of_user)
            m->next_of_user->prev_of_user = m;
        m->user->memberships = m;
    }
    r->linked = 1;
    if (old) {
        /* The turn is kept whatever the rebuild did to its user (R-ROUTE-7:
         * round robin goes on after the last user the rule picked; a user who
         * left the list and comes back is still that user). The store keeps
         * it too, so a restart sees the same turn. */
        r->cursor = old->cursor;
        r->wait_head = old->wait_head;
        r->wait_tail = old->wait_tail;
        r->n_waiting = old->n_waiting;
        old->wait_head = old->wait_tail = NULL;
        old->n_waiting = 0;
        cib__rule_free(ctx, old);
    }
    ch->rule = r;
}

void cib__rule_row(cib__rowb *b, const cib__rule *r)
{
    cib__rowb_text(b, "routing_mode", mode_names[r->mode]);
    cib__rowb_list(b, "routing_targets", (const char *const *)r->labels, NULL, r->n_targets);
    cib__rowb_int(b, "only_available", r->only_available);
    cib__rowb_text(b, "strategy", strategy_names[r->strategy]);
    cib__rowb_int(b, "queue", r->queue);
}

static int parse_name(const char *const *names, size_t count, cib__str s)
{
    for (size_t i = 1; i < count; i++)
        if (cib__streq(names[i], strlen(names[i]), s.p, s.n))
            return (int)i;
    return 0;
}

int cib__rule_def_from_row(cib_ctx *ctx, const cib_row *row, cib_routing_def *d, int *kinds,
                           const char **ids, size_t *lens)
{
    cib__str mode, strategy;
    const cib_field *targets;
    int64_t only, queue;
    int rc = cib__row_text(ctx, row, "routing_mode", 0, &mode);
    if (!rc)
        rc = cib__row_list(ctx, row, "routing_targets", &targets);
    if (!rc)
        rc = cib__row_int(ctx, row, "only_available", &only);
    if (!rc)
        rc = cib__row_text(ctx, row, "strategy", 0, &strategy);
    if (!rc)
        rc = cib__row_int(ctx, row, "queue", &queue);
    if (rc)
        return rc;
    if (targets->n_items > CIB__MAX_TARGETS)
        return cib__fail(ctx, CIB_EINVAL, "more than %d routing targets", CIB__MAX_TARGETS);
    cib_routing_def init = CIB_ROUTING_DEF_INIT;
    *d = init;
    d->mode = parse_name(mode_names, 4, mode);
    d->strategy = parse_name(strategy_names, 4, strategy);
    d->only_available = (int)only;
    d->queue = (int)queue;
    for (size_t i = 0; i < targets->n_items; i++) {
        const char *t = targets->items[i];
        size_t n = targets->item_lens ? targets->item_lens[i] : strlen(t);
        if (n < 6 || (memcmp(t, "user:", 5) && memcmp(t, "team:", 5)))
            return cib__fail(ctx, CIB_EINVAL, "routing target %zu is neither user: nor team:", i);
        kinds[i] = t[0] == 'u' ? CIB_TARGET_USER : CIB_TARGET_TEAM;
        ids[i] = t + 5;
        lens[i] = n - 5;
    }
    d->target_kinds = kinds;
    d->target_ids = ids;
    d->target_id_lens = lens;
    d->n_targets = targets->n_items;
    return CIB_OK;
}
