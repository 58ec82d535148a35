/* route.c - routing decisions, waiting queues and hand-out plans (see
 * route.h). */
#include "route.h"

#include <stdlib.h>
#include <string.h>

#include "conversation.h"
#include "error.h"
#include "op.h"
#include "inbox.h"
#include "user.h"

/* ---- decisions on the live structures ---- */

static cib__member *member_at(const cib__rule *r, size_t pos)
{
    return pos < r->n_members ? &r->members[pos] : NULL;
}

/* The next eligible position at or after `from`, skipping `exclude`,
 * wrapping once when `wrap`. */
static cib__member *next_eligible(const cib__rule *r, size_t from, const cib__user *exclude,
                                  int wrap)
{
    size_t start = from;
    for (int pass = 0; pass < 2; pass++) {
        size_t i = cib__bits_next(&r->eligible, start);
        while (i != SIZE_MAX && r->members[i].user == exclude)
            i = cib__bits_next(&r->eligible, i + 1);
        if (i != SIZE_MAX && (pass == 0 || i < from))
            return member_at(r, i);
        if (!wrap || from == 0)
            return NULL;
        start = 0;
    }
    return NULL;
}

/* The member the rule's strategy picks now, other than `exclude`. */
static cib__member *pick_live(const cib__rule *r, const cib__user *exclude)
{
    if (r->mode == CIB_ROUTE_UNASSIGNED || r->n_members == 0)
        return NULL;
    switch (r->strategy) {
    case CIB_ROUND_ROBIN: {
        const cib__member *last = r->cursor ? cib__rule_member(r, r->cursor) : NULL;
        return next_eligible(r, last ? last->pos + 1 : 0, exclude, 1);
    }
    case CIB_LEAST_LOADED:
        for (cib__tnode *n = r->by_load.first; n; n = cib__tree_next(n)) {
            cib__member *m = (cib__member *)((char *)n - offsetof(cib__member, by_load));
            if (m->user != exclude)
                return m;
        }
        return NULL;
    default:
        return next_eligible(r, 0, exclude, 0);
    }
}

void cib__route_new(cib_ctx *ctx, cib__channel *ch, const cib__contact *contact, cib__decision *d)
{
    cib__rule *r = ch->rule;
    memset(d, 0, sizeof *d);
    d->rule = r;
    if (r->mode == CIB_ROUTE_UNASSIGNED) /* R-ROUTE-1 */
        return;
    if (r->mode == CIB_ROUTE_CONTACT_OWNER) { /* R-ROUTE-3 */
        cib__user *o = contact ? contact->owner : NULL;
        if (o && o->seat == CIB_SEAT_PAID && cib__inbox_may(ch->inbox, o, CIB_ACTION_REPLY)) {
            d->assignee = o;
            d->reason = CIB_REASON_OWNER;
            if (o->status != CIB_AVAILABLE)
                d->notify = o;
            return;
        }
    }
    cib__member *m = pick_live(r, NULL); /* R-ROUTE-2, 4, 5, 7 */
    if (m) {
        d->assignee = m->user;
        d->reason = r->mode == CIB_ROUTE_CONTACT_OWNER ? CIB_REASON_FALLBACK : CIB_REASON_RULE;
    } else if (r->queue) {
        d->queue = 1; /* R-ROUTE-8 */
    }
    (void)ctx;
}

void cib__route_again(cib_ctx *ctx, const cib__conv *cv, cib__decision *d)
{
    (void)ctx;
    memset(d, 0, sizeof *d);
    cib__user *u = cv->assignee;
    d->rule = cv->channel->rule;
    if (cv->channel->type != CIB_CHANNEL_CHAT || !u || u->status == CIB_AVAILABLE ||
        !u->reassign_replies)
        return;
    cib__member *m = pick_live(d->rule, u);
    if (m) {
        d->assignee = m->user;
        d->reason = CIB_REASON_REASSIGNED_OFFLINE;
    }
}

int cib__route_write_user(cib_ctx *ctx, const cib__user *u, int status, uint64_t seq)
{
    if (!cib__store_keeps(ctx, CIB_KIND_USER))
        return CIB_OK;
    if (cib__store_patches(ctx)) { /* only what an assignment changes */
        cib__rowb b;
        cib__rowb_init(&b, CIB_KIND_USER, u->id, u->id_len);
        cib__rowb_text(&b, "status", cib__availability_name(status));
        cib__rowb_int(&b, "seq", (int64_t)seq);
        return cib__tx_patch(ctx, &b.row);
    }
    cib__user next = *u;
    next.status = status;
    next.seq = seq;
    return cib__user_write(ctx, &next);
}

static int write_cursor(cib_ctx *ctx, const cib__rule *r, const cib__user *u)
{
    if (!cib__store_keeps(ctx, CIB_KIND_ROUTING))
        return CIB_OK;
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_ROUTING, r->channel->id, r->channel->id_len);
    cib__rowb_text(&b, "cursor", u ? u->id : NULL);
    return cib__tx_put(ctx, &b.row);
}

int cib__route_write_pick(cib_ctx *ctx, cib__rule *r, cib__user *u, uint64_t seq)
{
    int rc = cib__route_write_user(ctx, u, u->status, seq);
    if (!rc && r && r->strategy == CIB_ROUND_ROBIN && cib__rule_member(r, u))
        rc = write_cursor(ctx, r, u);
    return rc;
}

void cib__route_apply_pick(cib_ctx *ctx, cib__rule *r, cib__user *u, uint64_t seq)
{
    u->seq = seq;
    if (seq > ctx->seq)
        ctx->seq = seq;
    if (r && r->strategy == CIB_ROUND_ROBIN && cib__rule_member(r, u))
        r->cursor = u;
}

/* ---- queues ---- */

int cib__wait_new(cib_ctx *ctx, cib__wait **out)
{
    *out = cib__calloc(&ctx->mem, 1, sizeof **out);
    return *out ? CIB_OK : cib__nomem(ctx);
}

void cib__wait_push(cib__conv *cv, cib__wait *w, uint64_t seq)
{
    cib__rule *r = cv->channel->rule;
    w->conv = cv;
    w->seq = seq;
    w->next = NULL;
    w->prev = r->wait_tail;
    if (r->wait_tail)
        r->wait_tail->next = w;
    else
        r->wait_head = w;
    r->wait_tail = w;
    r->n_waiting++;
    cv->wait = w;
}

/* Take w out of its rule's queue; w keeps its neighbours, so that undoing
 * in reverse order can put it back (wait_relink). */
static void wait_unlink(cib__rule *r, cib__wait *w)
{
    if (w->prev)
        w->prev->next = w->next;
    else
        r->wait_head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        r->wait_tail = w->prev;
    r->n_waiting--;
    w->conv->wait = NULL;
}

static void wait_relink(cib__rule *r, cib__wait *w)
{
    if (w->prev)
        w->prev->next = w;
    else
        r->wait_head = w;
    if (w->next)
        w->next->prev = w;
    else
        r->wait_tail = w;
    r->n_waiting++;
    w->conv->wait = w;
}

void cib__wait_drop(cib_ctx *ctx, cib__conv *cv)
{
    cib__wait *w = cv->wait;
    if (!w)
        return;
    wait_unlink(cv->channel->rule, w);
    cib__free(&ctx->mem, w);
}

/* ---- the same steps inside an op, with their undo (op.h) ---- */

static void undo_wait_push(cib_ctx *ctx, const cib__undo *u)
{
    (void)ctx;
    cib__wait *w = u->p;
    wait_unlink(w->conv->channel->rule, w);
}

int cib__wait_push_op(cib__op *op, cib__conv *cv, cib__wait *w, uint64_t seq)
{
    int rc = cib__op_undo(op, undo_wait_push, w, NULL, 0, 0);
    if (!rc)
        cib__wait_push(cv, w, seq);
    return rc;
}

static void undo_wait_drop(cib_ctx *ctx, const cib__undo *u)
{
    (void)ctx;
    cib__wait *w = u->p;
    wait_relink(w->conv->channel->rule, w);
}

static int wait_drop_op(cib__op *op, cib__conv *cv)
{
    cib__wait *w = cv->wait;
    if (!w)
        return CIB_OK;
    int rc = cib__op_free_later(op, w);
    if (!rc && (rc = cib__op_undo(op, undo_wait_drop, w, NULL, 0, 0)))
        op->ctx->n_undo--; /* the free too: w stays */
    if (!rc)
        wait_unlink(cv->channel->rule, w);
    return rc;
}

static void undo_refresh(cib_ctx *ctx, const cib__undo *u)
{
    cib__rule_refresh_user(ctx, u->p);
}

int cib__route_apply_pick_op(cib__op *op, cib__rule *r, cib__user *u, uint64_t seq)
{
    cib_ctx *ctx = op->ctx;
    /* Logged first, so undone last: u's place in the rules after its order
     * (and whatever the rest of the op changed) is back. */
    int rc = cib__op_undo(op, undo_refresh, u, NULL, 0, 0);
    if (!rc)
        rc = cib__op_save(op, &u->seq, sizeof u->seq);
    if (!rc)
        rc = cib__op_save(op, &ctx->seq, sizeof ctx->seq);
    if (!rc && r)
        rc = cib__op_save(op, &r->cursor, sizeof r->cursor);
    if (!rc)
        cib__route_apply_pick(ctx, r, u, seq);
    return rc;
}

static int by_seq(const void *a, const void *b)
{
    const cib__wait *x = *(cib__wait *const *)a, *y = *(cib__wait *const *)b;
    return (x->seq > y->seq) - (x->seq < y->seq);
}

int cib__route_load_queues(cib_ctx *ctx)
{
    size_t n = 0;
    cib__conv *cv, *tmp;
    HASH_ITER (hh, ctx->convs, cv, tmp) {
        n += cv->wait != NULL;
    }
    if (!n)
        return CIB_OK;
    cib__wait **all = cib__calloc(&ctx->mem, n, sizeof *all);
    if (!all)
        return cib__nomem(ctx);
    size_t k = 0;
    HASH_ITER (hh, ctx->convs, cv, tmp) {
        if (cv->wait)
            all[k++] = cv->wait;
    }
    qsort(all, n, sizeof *all, by_seq);
    for (size_t i = 0; i < n; i++) {
        if (all[i]->seq > ctx->seq)
            ctx->seq = all[i]->seq;
        cib__wait_push(all[i]->conv, all[i], all[i]->seq);
    }
    cib__free(&ctx->mem, all);
    return CIB_OK;
}

int cib__route_load_cursor(cib_ctx *ctx, const cib_row *row)
{
    cib__str cursor;
    int rc = cib__row_text(ctx, row, "cursor", 1, &cursor);
    if (rc)
        return rc;
    extern cib__channel *cib__channel_find(cib_ctx *, const char *, size_t);
    cib__channel *ch = cib__channel_find(ctx, row->key, row->key_len);
    cib__user *u = cursor.p ? cib__user_find(ctx, cursor.p, cursor.n) : NULL;
    if (ch && u)
        ch->rule->cursor = u; /* kept, member or not, as cib__rule_install does */
    return CIB_OK;
}

int cib__route_write_forget(cib_ctx *ctx, const cib__user *u)
{
    cib__channel *ch, *tmp;
    HASH_ITER (hh, ctx->channels, ch, tmp) {
        if (ch->rule->cursor == u) {
            int rc = write_cursor(ctx, ch->rule, NULL);
            if (rc)
                return rc;
        }
    }
    return CIB_OK;
}

void cib__route_apply_forget(cib_ctx *ctx, const cib__user *u)
{
    cib__channel *ch, *tmp;
    HASH_ITER (hh, ctx->channels, ch, tmp) {
        if (ch->rule->cursor == u)
            ch->rule->cursor = NULL;
    }
}

/* ---- hand-out plans ---- */

void cib__plan_init(cib_ctx *ctx, cib__plan *p)
{
    memset(p, 0, sizeof *p);
    p->seq = ctx->seq;
}

/* The plan's state of u (added from the live state if new). */
static cib__ustate *ustate(cib_ctx *ctx, cib__plan *p, cib__user *u)
{
    if (u->plan_slot)
        return &p->users[u->plan_slot - 1];
    if (p->n_users == p->cap_users) {
        size_t cap = p->cap_users ? p->cap_users * 2 : 8;
        cib__ustate *v = cib__realloc(&ctx->mem, p->users, cap * sizeof *v);
        if (!v)
            return NULL;
        p->users = v;
        p->cap_users = cap;
    }
    cib__ustate *s = &p->users[p->n_users++];
    s->user = u;
    s->status = u->status;
    s->seat = u->seat;
    s->capacity = u->capacity;
    s->load = (uint32_t)u->assigned.count;
    s->seq = u->seq;
    s->changed = 0;
    s->own_row = 0;
    u->plan_slot = (uint32_t)p->n_users;
    return s;
}

int cib__plan_user(cib_ctx *ctx, cib__plan *p, cib__user *u, int status, int seat,
                   uint32_t capacity, int load_delta)
{
    cib__ustate *s = ustate(ctx, p, u);
    if (!s)
        return cib__nomem(ctx);
    s->status = status;
    s->seat = seat;
    s->capacity = capacity;
    s->load = (uint32_t)((int64_t)s->load + load_delta);
    s->changed = 1;
    return CIB_OK;
}

int cib__plan_rule(cib_ctx *ctx, cib__plan *p, cib__rule *prepared, cib__rule *live)
{
    if (p->n_rules == p->cap_rules) {
        size_t cap = p->cap_rules ? p->cap_rules * 2 : 8;
        cib__rule **a = cib__realloc(&ctx->mem, p->prepared, cap * sizeof *a);
        if (!a)
            return cib__nomem(ctx);
        p->prepared = a;
        cib__rule **b = cib__realloc(&ctx->mem, p->live, cap * sizeof *b);
        if (!b)
            return cib__nomem(ctx);
        p->live = b;
        p->cap_rules = cap;
    }
    p->prepared[p->n_rules] = prepared;
    p->live[p->n_rules++] = live;
    return CIB_OK;
}

/* A rule whose queue the plan works on: the rule that decides (prepared,
 * when rebuilt), the live queue, the candidates. */
typedef struct plan_rule {
    cib__rule *rule;
    cib__wait *head;
    cib__member **cands;
    size_t n_cands;
    cib__user *cursor;
    const cib__member *cursor_m;
} plan_rule;

static int is_rebuilt(const cib__plan *p, const cib__rule *live)
{
    for (size_t i = 0; i < p->n_rules; i++)
        if (p->live[i] == live)
            return 1;
    return 0;
}

static int eligible_now(const cib__plan *p, const cib__member *m)
{
    const cib__ustate *s = &p->users[m->user->plan_slot - 1];
    return cib__rule_why(m->rule, m, s->status, s->seat, s->capacity, s->load) == CIB_WHY_ELIGIBLE;
}

/* The strategy's pick among a rule's candidates under the plan's state. */
static cib__member *plan_pick(const cib__plan *p, plan_rule *pr)
{
    cib__member *best = NULL;
    int rr = pr->rule->strategy == CIB_ROUND_ROBIN;
    uint32_t after = pr->cursor_m ? pr->cursor_m->pos : 0;
    for (size_t i = 0; i < pr->n_cands; i++) {
        cib__member *m = pr->cands[i];
        if (!eligible_now(p, m))
            continue;
        if (!best) {
            best = m;
            continue;
        }
        if (pr->rule->strategy == CIB_LEAST_LOADED) {
            const cib__ustate *a = &p->users[m->user->plan_slot - 1],
                              *b = &p->users[best->user->plan_slot - 1];
            if (cib__rule_key(a->load, a->seq) < cib__rule_key(b->load, b->seq))
                best = m;
        } else if (rr && pr->cursor_m) {
            /* The first position after the cursor, wrapping. */
            int m_after = m->pos > after, b_after = best->pos > after;
            if ((m_after && !b_after) || (m_after == b_after && m->pos < best->pos))
                best = m;
        } else if (m->pos < best->pos) {
            best = m;
        }
    }
    return best;
}

static int add_cand(cib_ctx *ctx, cib__plan *p, plan_rule *pr, cib__member *m, size_t cap)
{
    if (!ustate(ctx, p, m->user))
        return cib__nomem(ctx);
    if (pr->n_cands < cap)
        pr->cands[pr->n_cands++] = m;
    return CIB_OK;
}

static int handout_push(cib_ctx *ctx, cib__plan *p, cib__handout h)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 8;
        cib__handout *v = cib__realloc(&ctx->mem, p->v, cap * sizeof *v);
        if (!v)
            return cib__nomem(ctx);
        p->v = v;
        p->cap = cap;
    }
    p->v[p->n++] = h;
    return CIB_OK;
}

/* Gather the rules with waiting conversations that the plan can affect. */
static int gather(cib_ctx *ctx, cib__plan *p, plan_rule **out, size_t *n_out)
{
    size_t cap = p->n_rules;
    for (size_t i = 0; i < p->n_users; i++)
        if (p->users[i].changed)
            for (cib__member *m = p->users[i].user->memberships; m; m = m->next_of_user)
                cap++;
    plan_rule *prs = cap ? cib__calloc(&ctx->mem, cap, sizeof *prs) : NULL;
    if (cap && !prs)
        return cib__nomem(ctx);
    size_t n = 0;
    int rc = CIB_OK;
    /* Rebuilt rules: every member may be eligible now. */
    for (size_t i = 0; i < p->n_rules && !rc; i++) {
        cib__rule *r = p->prepared[i], *live = p->live[i];
        if (!live || !live->wait_head || r->mode == CIB_ROUTE_UNASSIGNED || !r->queue)
            continue;
        plan_rule *pr = &prs[n++];
        pr->rule = r;
        pr->head = live->wait_head;
        pr->cursor = live->cursor;
        pr->cands = r->n_members ? cib__calloc(&ctx->mem, r->n_members, sizeof *pr->cands) : NULL;
        if (r->n_members && !pr->cands)
            rc = cib__nomem(ctx);
        for (size_t k = 0; k < r->n_members && !rc; k++) {
            cib__member *m = &r->members[k];
            if (m->user == pr->cursor)
                pr->cursor_m = m;
            rc = add_cand(ctx, p, pr, m, r->n_members);
        }
    }
    /* Live rules of changed users: those users may be eligible now. */
    for (size_t i = 0; i < p->n_users && !rc; i++) {
        if (!p->users[i].changed)
            continue;
        for (cib__member *m = p->users[i].user->memberships; m && !rc; m = m->next_of_user) {
            cib__rule *r = m->rule;
            if (!r->wait_head || is_rebuilt(p, r) || r->channel->inbox == p->gone)
                continue;
            plan_rule *pr = NULL;
            for (size_t k = 0; k < n && !pr; k++)
                if (prs[k].rule == r)
                    pr = &prs[k];
            if (!pr) {
                pr = &prs[n++];
                pr->rule = r;
                pr->head = r->wait_head;
                pr->cursor = r->cursor;
                pr->cursor_m = r->cursor ? cib__rule_member(r, r->cursor) : NULL;
                pr->cands = cib__calloc(&ctx->mem, p->n_users, sizeof *pr->cands);
                if (!pr->cands)
                    rc = cib__nomem(ctx);
            }
            if (!rc)
                rc = add_cand(ctx, p, pr, m, p->n_users);
        }
    }
    *out = prs;
    *n_out = n;
    return rc;
}

int cib__plan_run(cib_ctx *ctx, cib__plan *p)
{
    plan_rule *prs = NULL;
    size_t n = 0;
    int rc = gather(ctx, p, &prs, &n);
    while (!rc) {
        /* The oldest waiting conversation that someone can take. */
        plan_rule *best = NULL;
        cib__member *who = NULL;
        for (size_t i = 0; i < n; i++) {
            if (!prs[i].head || (best && prs[i].head->seq >= best->head->seq))
                continue;
            cib__member *m = plan_pick(p, &prs[i]);
            if (m) {
                best = &prs[i];
                who = m;
            }
        }
        if (!best)
            break;
        cib__ustate *s = &p->users[who->user->plan_slot - 1];
        s->load++;
        s->seq = ++p->seq;
        cib__handout h = {best->head->conv, who->user, best->rule, s->seq,
                          best->rule->mode == CIB_ROUTE_CONTACT_OWNER ? CIB_REASON_FALLBACK
                                                                      : CIB_REASON_RULE};
        rc = handout_push(ctx, p, h);
        best->cursor = who->user;
        best->cursor_m = who;
        best->head = best->head->next;
    }
    for (size_t i = 0; i < n; i++)
        cib__free(&ctx->mem, prs[i].cands);
    cib__free(&ctx->mem, prs);
    return rc;
}

int cib__plan_rebuild(cib_ctx *ctx, cib__plan *p, cib__rebuild *rb, const cib__change *c)
{
    int rc = cib__rules_remake(ctx, c, rb);
    for (size_t i = 0; i < rb->n && !rc; i++)
        rc = cib__plan_rule(ctx, p, rb->v[i], rb->v[i]->channel->rule);
    return rc;
}

int cib__plan_move(cib_ctx *ctx, cib__plan *p, cib__user *from, cib__user *to, uint64_t seq)
{
    if (to) {
        cib__ustate *s = ustate(ctx, p, to);
        if (!s)
            return cib__nomem(ctx);
        s->load++;
        s->seq = seq;
        s->own_row = 1;
        if (seq > p->seq)
            p->seq = seq;
    }
    int rc =
        from ? cib__plan_user(ctx, p, from, from->status, from->seat, from->capacity, -1) : CIB_OK;
    return rc ? rc : cib__plan_run(ctx, p);
}

uint64_t cib__plan_own_row(cib__plan *p, cib__user *u)
{
    if (!u->plan_slot)
        return u->seq;
    cib__ustate *s = &p->users[u->plan_slot - 1];
    s->own_row = 1;
    return s->seq;
}

int cib__plan_write(cib_ctx *ctx, cib__plan *p)
{
    int rc = CIB_OK;
    for (size_t i = 0; i < p->n && !rc; i++) {
        cib__handout *h = &p->v[i];
        cib__conv next = *h->conv;
        next.assignee = h->user;
        next.reason = (uint8_t)h->reason;
        next.wait = NULL;
        rc = cib__conv_write(ctx, &next, CIB_STATUS_OPEN, 0);
    }
    /* Each user's row once, with the last order the plan gave them. */
    for (size_t i = 0; i < p->n_users && !rc; i++) {
        cib__ustate *s = &p->users[i];
        if (s->seq != s->user->seq && !s->own_row)
            rc = cib__route_write_user(ctx, s->user, s->changed ? s->status : s->user->status,
                                       s->seq);
    }
    /* Each round-robin rule's last cursor. */
    for (size_t i = p->n; i-- > 0 && !rc;) {
        cib__rule *r = p->v[i].rule;
        int later = 0;
        for (size_t k = i + 1; k < p->n; k++)
            later |= p->v[k].rule == r;
        if (!later && r->strategy == CIB_ROUND_ROBIN)
            rc = write_cursor(ctx, r, p->v[i].user);
    }
    return rc;
}

void cib__plan_apply(cib_ctx *ctx, cib__plan *p)
{
    for (size_t i = 0; i < p->n; i++) {
        cib__handout *h = &p->v[i];
        cib__wait_drop(ctx, h->conv);
        cib__route_apply_pick(ctx, h->conv->channel->rule, h->user, h->seq);
        cib__conv_set_assignee(ctx, h->conv, h->user, h->reason);
    }
}

int cib__plan_apply_op(cib__op *op, cib__plan *p)
{
    int rc = CIB_OK;
    for (size_t i = 0; i < p->n && !rc; i++) {
        cib__handout *h = &p->v[i];
        rc = wait_drop_op(op, h->conv);
        if (!rc)
            rc = cib__route_apply_pick_op(op, h->conv->channel->rule, h->user, h->seq);
        if (!rc)
            rc = cib__conv_set_assignee_op(op, h->conv, h->user, h->reason);
    }
    return rc;
}

void cib__plan_emit(cib_ctx *ctx, cib__plan *p)
{
    for (size_t i = 0; i < p->n; i++)
        cib__conv_emit(ctx, CIB_EVENT_ASSIGNED, p->v[i].conv, p->v[i].user, 0, 0);
}

void cib__plan_free(cib_ctx *ctx, cib__plan *p)
{
    for (size_t i = 0; i < p->n_users; i++)
        p->users[i].user->plan_slot = 0;
    cib__free(&ctx->mem, p->users);
    cib__free(&ctx->mem, p->prepared);
    cib__free(&ctx->mem, p->live);
    cib__free(&ctx->mem, p->v);
    memset(p, 0, sizeof *p);
}
