/* inbox.c - inboxes: create, rename, delete, access lists, permission checks. */
#include "inbox.h"

#include <stdio.h>
#include <string.h>

#include "channel.h"
#include "conversation.h"
#include "error.h"
#include "op.h"
#include "route.h"
#include "team.h"
#include "user.h"

/* An access list, checked and resolved, before it is installed. */
typedef struct access_spec {
    int everyone;
    cib__user **users;
    size_t n_users;
    cib__team **teams;
    size_t n_teams;
} access_spec;

cib__inbox *cib__inbox_find(cib_ctx *ctx, const char *id, size_t len)
{
    cib__inbox *ib = NULL;
    CIB_HASH_FIND(ctx->seed, hh, ctx->inboxes, id, len, ib);
    return ib;
}

static int listed(const cib__inbox *ib, const cib__user *u)
{
    for (size_t i = 0; i < ib->n_users; i++)
        if (ib->users[i] == u)
            return 1;
    for (size_t i = 0; i < ib->n_teams; i++)
        if (cib__team_has(ib->teams[i], u))
            return 1;
    return 0;
}

int cib__inbox_may(const cib__inbox *ib, const cib__user *u, int action)
{
    if (!(ib->everyone || listed(ib, u))) /* R-ACCESS-2, R-ACCESS-3 */
        return action == CIB_ACTION_VIEW &&
               (u->role == CIB_ROLE_ADMIN || u->role == CIB_ROLE_SUPER_ADMIN);
    if (u->seat == CIB_SEAT_PAID)
        return 1;
    switch (action) { /* R-ACCESS-4: what a free seat may do */
    case CIB_ACTION_VIEW:
    case CIB_ACTION_REPLY:
    case CIB_ACTION_COMMENT:
    case CIB_ACTION_ASSIGN:
        return 1;
    default:
        return 0;
    }
}

/* Order of ctx->inboxes and of an inbox's channels: creation, then id. */
static int inbox_cmp(const cib__inbox *a, const cib__inbox *b)
{
    if (a->created_at != b->created_at)
        return a->created_at < b->created_at ? -1 : 1;
    size_t n = a->id_len < b->id_len ? a->id_len : b->id_len;
    int c = memcmp(a->id, b->id, n);
    return c ? c : (a->id_len > b->id_len) - (a->id_len < b->id_len);
}

static int channel_cmp(const cib__channel *a, const cib__channel *b)
{
    if (a->created_at != b->created_at)
        return a->created_at < b->created_at ? -1 : 1;
    size_t n = a->id_len < b->id_len ? a->id_len : b->id_len;
    int c = memcmp(a->id, b->id, n);
    return c ? c : (a->id_len > b->id_len) - (a->id_len < b->id_len);
}

static void access_free(cib_ctx *ctx, access_spec *a)
{
    cib__free(&ctx->mem, a->users);
    cib__free(&ctx->mem, a->teams);
    memset(a, 0, sizeof *a);
}

static int access_resolve(cib_ctx *ctx, const char *arg, const cib_access_def *d, access_spec *a)
{
    char users_arg[64], teams_arg[64];
    snprintf(users_arg, sizeof users_arg, "%s->users", arg);
    snprintf(teams_arg, sizeof teams_arg, "%s->teams", arg);
    if (d->everyone) {
        if (d->n_users || d->n_teams)
            return cib__fail(ctx, CIB_EINVAL,
                             "invalid argument: '%s' is everyone but also lists users or teams",
                             arg);
        a->everyone = 1;
        return CIB_OK;
    }
    int rc = cib__users_resolve(ctx, users_arg, d->users, d->user_lens, d->n_users, &a->users);
    if (!rc)
        rc = cib__teams_resolve(ctx, teams_arg, d->teams, d->team_lens, d->n_teams, &a->teams);
    if (rc) {
        access_free(ctx, a);
        return rc;
    }
    a->n_users = d->n_users;
    a->n_teams = d->n_teams;
    return CIB_OK;
}

/* Read an optional access def (NULL: everyone). */
static int access_read(cib_ctx *ctx, const char *arg, const cib_access_def *def, access_spec *a)
{
    memset(a, 0, sizeof *a);
    if (!def) {
        a->everyone = 1;
        return CIB_OK;
    }
    cib_access_def d = CIB_ACCESS_DEF_INIT;
    int rc = cib__def_read(ctx, arg, def, sizeof d, &d);
    return rc ? rc : access_resolve(ctx, arg, &d, a);
}

/* Another inbox with this name, ignoring ASCII case (R-INBOX-2). */
static cib__inbox *name_taken(cib_ctx *ctx, cib__str name, const cib__inbox *self)
{
    cib__inbox *ib, *tmp;
    HASH_ITER (hh, ctx->inboxes, ib, tmp) {
        if (ib != self && cib__ascii_caseeq(ib->name, ib->name_len, name.p, name.n))
            return ib;
    }
    return NULL;
}

/* Write an inbox row from `ib`, leaving out `skip_user` and `skip_team`. */
static int inbox_put(cib_ctx *ctx, const cib__inbox *ib, const cib__user *skip_user,
                     const cib__team *skip_team)
{
    cib__idlist users, teams;
    int rc = cib__user_ids(ctx, ib->users, ib->n_users, skip_user, &users);
    if (rc)
        return rc;
    if ((rc = cib__team_ids(ctx, ib->teams, ib->n_teams, skip_team, &teams))) {
        cib__idlist_free(ctx, &users);
        return rc;
    }
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_INBOX, ib->id, ib->id_len);
    cib__rowb_textn(&b, "name", ib->name, ib->name_len);
    cib__rowb_int(&b, "is_default", ib->is_default);
    cib__rowb_text(&b, "access", ib->everyone ? "everyone" : "specific");
    cib__rowb_list(&b, "access_users", users.items, users.lens, users.n);
    cib__rowb_list(&b, "access_teams", teams.items, teams.lens, teams.n);
    cib__rowb_int(&b, "created_at", ib->created_at);
    rc = cib__tx_put(ctx, &b.row);
    cib__idlist_free(ctx, &users);
    cib__idlist_free(ctx, &teams);
    return rc;
}

static void inbox_free(cib_ctx *ctx, cib__inbox *ib)
{
    if (!ib)
        return;
    cib__free(&ctx->mem, ib->id);
    cib__free(&ctx->mem, ib->name);
    cib__free(&ctx->mem, ib->users);
    cib__free(&ctx->mem, ib->teams);
    cib__free(&ctx->mem, ib->channels);
    cib__free(&ctx->mem, ib);
}

/* Create and index an inbox, taking over the access arrays. Fallible; on
 * failure nothing changed and the arrays are still the caller's. */
static int inbox_create(cib_ctx *ctx, cib__str id, cib__str name, int is_default, access_spec *a,
                        int64_t created_at, cib__inbox **out)
{
    cib__inbox *ib = cib__calloc(&ctx->mem, 1, sizeof *ib);
    if (!ib)
        return cib__nomem(ctx);
    ib->id = cib__strndup(&ctx->mem, id.p, id.n);
    ib->id_len = id.n;
    ib->name = cib__strndup(&ctx->mem, name.p, name.n);
    ib->name_len = name.n;
    ib->is_default = is_default;
    ib->created_at = created_at;
    cib__tree_init(&ib->open, CIB__CONV_TREE(in_inbox));
    cib__tree_init(&ib->unassigned, CIB__CONV_TREE(in_queue));
    int ok = 0;
    if (ib->id && ib->name)
        CIB_HASH_ADD_INORDER(&ctx->mem, ctx->seed, hh, ctx->inboxes, ib->id, ib->id_len, ib,
                             inbox_cmp, ok);
    if (!ok) {
        inbox_free(ctx, ib);
        return cib__nomem(ctx);
    }
    ib->everyone = a->everyone;
    ib->users = a->users;
    ib->n_users = a->n_users;
    ib->teams = a->teams;
    ib->n_teams = a->n_teams;
    memset(a, 0, sizeof *a);
    if (is_default)
        ctx->default_inbox = ib;
    *out = ib;
    return CIB_OK;
}

static void inbox_destroy(cib_ctx *ctx, cib__inbox *ib)
{
    if (ctx->default_inbox == ib)
        ctx->default_inbox = NULL;
    CIB_HASH_DEL(&ctx->mem, hh, ctx->inboxes, ib);
    inbox_free(ctx, ib);
}

int cib_inbox_add(cib_ctx *ctx, const cib_inbox_def *def)
{
    CIB__ENTER_WRITE(ctx, "cib_inbox_add");
    cib_inbox_def d = CIB_INBOX_DEF_INIT;
    cib__str id, name;
    int rc = cib__def_read(ctx, "def", def, sizeof d, &d);
    if (!rc)
        rc = cib__arg_id(ctx, "id", d.id, d.id_len, &id);
    if (!rc)
        rc = cib__arg_name(ctx, "name", d.name, d.name_len, &name);
    if (rc)
        return rc;
    if (cib__inbox_find(ctx, id.p, id.n))
        return cib__fail(ctx, CIB_ECONFLICT, "inbox '%.*s' already exists", (int)id.n, id.p);
    cib__inbox *other = name_taken(ctx, name, NULL);
    if (other)
        return cib__fail(ctx, CIB_ECONFLICT, "inbox '%s' is already named '%s'", other->id,
                         other->name);
    if (HASH_COUNT(ctx->inboxes) >= ctx->lim.max_inboxes)
        return cib__fail(ctx, CIB_ELIMIT, "the account has %u inboxes, the most it may have",
                         ctx->lim.max_inboxes);
    int64_t now;
    if ((rc = cib__now(ctx, &now)))
        return rc;
    access_spec a;
    if ((rc = access_read(ctx, "access", d.access, &a)))
        return rc;
    cib__inbox *ib;
    if ((rc = inbox_create(ctx, id, name, 0, &a, now, &ib))) {
        access_free(ctx, &a);
        return rc;
    }
    cib__op op;
    if (!(rc = cib__op_begin(ctx, &op)))
        rc = cib__op_end(&op, inbox_put(ctx, ib, NULL, NULL));
    if (rc)
        inbox_destroy(ctx, ib);
    return rc;
}

int cib__inbox_arg(cib_ctx *ctx, const char *name, const char *id, size_t id_len, cib__inbox **out)
{
    cib__str sid;
    int rc = cib__arg_id(ctx, name, id, id_len, &sid);
    if (rc)
        return rc;
    if (!(*out = cib__inbox_find(ctx, sid.p, sid.n)))
        return cib__fail(ctx, CIB_ENOTFOUND, "inbox '%.*s' not found", (int)sid.n, sid.p);
    return CIB_OK;
}

int cib_inbox_rename(cib_ctx *ctx, const char *id, size_t id_len, const char *name, size_t name_len)
{
    CIB__ENTER_WRITE(ctx, "cib_inbox_rename");
    cib__inbox *ib;
    cib__str sname;
    int rc = cib__inbox_arg(ctx, "id", id, id_len, &ib);
    if (!rc)
        rc = cib__arg_name(ctx, "name", name, name_len, &sname);
    if (rc)
        return rc;
    cib__inbox *other = name_taken(ctx, sname, ib);
    if (other)
        return cib__fail(ctx, CIB_ECONFLICT, "inbox '%s' is already named '%s'", other->id,
                         other->name);
    char *copy = cib__strndup(&ctx->mem, sname.p, sname.n);
    if (!copy)
        return cib__nomem(ctx);
    cib__inbox next = *ib;
    next.name = copy;
    next.name_len = sname.n;
    cib__op op;
    if (!(rc = cib__op_begin(ctx, &op)))
        rc = cib__op_end(&op, inbox_put(ctx, &next, NULL, NULL));
    if (rc) {
        cib__free(&ctx->mem, copy);
        return rc;
    }
    cib__free(&ctx->mem, ib->name);
    ib->name = copy;
    ib->name_len = sname.n;
    return CIB_OK;
}

int cib_inbox_remove(cib_ctx *ctx, const char *id, size_t id_len, const char *confirm,
                     size_t confirm_len)
{
    CIB__ENTER_WRITE(ctx, "cib_inbox_remove");
    cib__inbox *ib;
    cib__str conf;
    int rc = cib__inbox_arg(ctx, "id", id, id_len, &ib);
    if (!rc)
        rc = cib__arg_name(ctx, "confirm", confirm, confirm_len, &conf);
    if (rc)
        return rc;
    if (!cib__streq(conf.p, conf.n, ib->name, ib->name_len)) /* R-INBOX-3 */
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'confirm' is not the exact name of inbox '%s'; "
                         "nothing was deleted",
                         ib->id);
    if (ib->is_default)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: inbox '%s' is the account's default inbox and "
                         "cannot be deleted",
                         ib->id);
    /* Written in the op, applied after it (nothing of that can fail). */
    cib__plan plan;
    cib__plan_init(ctx, &plan);
    cib__op op;
    if ((rc = cib__conv_plan_inbox(ctx, ib, &plan)) || (rc = cib__op_begin(ctx, &op))) {
        cib__plan_free(ctx, &plan);
        return rc;
    }
    cib__fplist dedup;
    rc = cib__conv_write_delete_inbox(ctx, ib, &dedup);
    for (size_t i = 0; i < ib->n_channels && !rc; i++)
        rc = cib__channel_write_delete(ctx, ib->channels[i]);
    if (!rc)
        rc = cib__tx_del(ctx, CIB_KIND_INBOX, ib->id, ib->id_len);
    if (!rc)
        rc = cib__plan_write(ctx, &plan);
    if ((rc = cib__op_end(&op, rc))) {
        cib__free(&ctx->mem, dedup.v);
        cib__plan_free(ctx, &plan);
        return rc;
    }
    cib__conv_drop_inbox(ctx, ib, &dedup);
    for (size_t i = 0; i < ib->n_channels; i++)
        cib__channel_destroy(ctx, ib->channels[i]);
    inbox_destroy(ctx, ib);
    cib__plan_apply(ctx, &plan);
    cib__plan_emit(ctx, &plan);
    cib__plan_free(ctx, &plan);
    return CIB_OK;
}

int cib_inbox_set_access(cib_ctx *ctx, const char *id, size_t id_len, const cib_access_def *access)
{
    CIB__ENTER_WRITE(ctx, "cib_inbox_set_access");
    cib__inbox *ib;
    int rc = cib__inbox_arg(ctx, "id", id, id_len, &ib);
    if (rc)
        return rc;
    CIB__NOT_NULL(ctx, access, "access");
    access_spec a;
    if ((rc = access_read(ctx, "access", access, &a)))
        return rc;
    cib__inbox next = *ib;
    next.everyone = a.everyone;
    next.users = a.users;
    next.n_users = a.n_users;
    next.teams = a.teams;
    next.n_teams = a.n_teams;
    /* The rules rebuilt with the new access as the change: users who gain
     * access may take waiting conversations (R-ROUTE-8). Written in the op,
     * applied after it (nothing of that can fail). */
    cib__plan plan;
    cib__rebuild rb = {NULL, 0};
    cib__plan_init(ctx, &plan);
    cib__change c = CIB__CHANGE_NONE;
    c.inbox = ib;
    c.access = &next;
    rc = cib__plan_rebuild(ctx, &plan, &rb, &c);
    if (!rc)
        rc = cib__plan_run(ctx, &plan);
    cib__op op;
    if (!rc && !(rc = cib__op_begin(ctx, &op))) {
        rc = inbox_put(ctx, &next, NULL, NULL);
        if (!rc)
            rc = cib__plan_write(ctx, &plan);
        rc = cib__op_end(&op, rc);
    }
    if (rc) {
        cib__rules_discard(ctx, &rb);
        cib__plan_free(ctx, &plan);
        access_free(ctx, &a);
        return rc;
    }
    cib__free(&ctx->mem, ib->users);
    cib__free(&ctx->mem, ib->teams);
    ib->everyone = a.everyone;
    ib->users = a.users;
    ib->n_users = a.n_users;
    ib->teams = a.teams;
    ib->n_teams = a.n_teams;
    cib__rules_install(ctx, &rb);
    cib__plan_apply(ctx, &plan);
    cib__plan_emit(ctx, &plan);
    cib__plan_free(ctx, &plan);
    return CIB_OK;
}

static void inbox_info(const cib__inbox *ib, cib_inbox_info *info)
{
    cib_inbox_info full = CIB_INBOX_INFO_INIT;
    full.id = ib->id;
    full.name = ib->name;
    full.is_default = ib->is_default;
    full.everyone = ib->everyone;
    full.created_at = ib->created_at;
    *info = full;
}

int cib_inbox_get(cib_ctx *ctx, const char *id, size_t id_len, cib_inbox_info *out)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, out, "out");
    cib__inbox *ib;
    int rc = cib__inbox_arg(ctx, "id", id, id_len, &ib);
    if (rc)
        return rc;
    cib_inbox_info info;
    inbox_info(ib, &info);
    return cib__info_write(ctx, "out", out, &info, sizeof info);
}

int cib_inbox_foreach(cib_ctx *ctx, const char *user, size_t user_len, cib_inbox_fn fn,
                      void *user_data)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, fn, "fn");
    cib__user *u;
    int rc = cib__user_opt_arg(ctx, "user", user, user_len, &u);
    if (rc)
        return rc;
    cib__inbox *ib, *tmp;
    HASH_ITER (hh, ctx->inboxes, ib, tmp) {
        if (u && !cib__inbox_may(ib, u, CIB_ACTION_VIEW)) /* R-ACCESS-3 */
            continue;
        cib_inbox_info info;
        inbox_info(ib, &info);
        ctx->in_callback++;
        int stop = fn(user_data, &info);
        ctx->in_callback--;
        if (stop)
            break;
    }
    return CIB_OK;
}

int cib_access_check(cib_ctx *ctx, const char *user, size_t user_len, const char *inbox,
                     size_t inbox_len, int action, int *allowed)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, allowed, "allowed");
    *allowed = 0;
    cib__str su;
    int rc = cib__arg_id(ctx, "user", user, user_len, &su);
    if (rc)
        return rc;
    cib__inbox *ib;
    if ((rc = cib__inbox_arg(ctx, "inbox", inbox, inbox_len, &ib)))
        return rc;
    if (action < CIB_ACTION_VIEW || action > CIB_ACTION_CLOSE)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'action' is %d, not a cib_action",
                         action);
    cib__user *u;
    if ((rc = cib__user_arg(ctx, "user", su.p, su.n, &u)))
        return rc;
    *allowed = cib__inbox_may(ib, u, action);
    return CIB_OK;
}

int cib__inbox_create_default(cib_ctx *ctx, const char *name)
{
    cib__str id = {"default", 7}, sname;
    int rc = cib__arg_name(ctx, "opts->default_inbox_name", name, CIB_NTS, &sname);
    if (rc)
        return rc;
    access_spec a = {1, NULL, 0, NULL, 0};
    cib__inbox *ib;
    if ((rc = inbox_create(ctx, id, sname, 1, &a, ctx->created_at, &ib)))
        return rc;
    rc = inbox_put(ctx, ib, NULL, NULL);
    if (!rc)
        rc = cib__channel_create_fallback(ctx, ib, "default-fallback", ib->name);
    return rc; /* on failure the caller frees the whole account */
}

int cib__inbox_write_without(cib_ctx *ctx, const cib__user *u, const cib__team *t)
{
    cib__inbox *ib, *tmp;
    HASH_ITER (hh, ctx->inboxes, ib, tmp) {
        int named = 0;
        for (size_t i = 0; i < ib->n_users; i++)
            named |= ib->users[i] == u;
        for (size_t i = 0; i < ib->n_teams; i++)
            named |= ib->teams[i] == t;
        if (!named)
            continue;
        int rc = inbox_put(ctx, ib, u, t);
        if (rc)
            return rc;
    }
    return CIB_OK;
}

void cib__inbox_drop(cib_ctx *ctx, const cib__user *u, const cib__team *t)
{
    cib__inbox *ib, *tmp;
    HASH_ITER (hh, ctx->inboxes, ib, tmp) {
        size_t k = 0;
        for (size_t i = 0; i < ib->n_users; i++)
            if (ib->users[i] != u)
                ib->users[k++] = ib->users[i];
        ib->n_users = k;
        k = 0;
        for (size_t i = 0; i < ib->n_teams; i++)
            if (ib->teams[i] != t)
                ib->teams[k++] = ib->teams[i];
        ib->n_teams = k;
    }
}

cib__channel **cib__inbox_channels_with(cib_ctx *ctx, const cib__inbox *ib, cib__channel *ch)
{
    cib__channel **arr = cib__calloc(&ctx->mem, ib->n_channels + 1, sizeof *arr);
    if (!arr)
        return NULL;
    size_t k = 0, i = 0;
    while (i < ib->n_channels && channel_cmp(ib->channels[i], ch) < 0)
        arr[k++] = ib->channels[i++];
    arr[k++] = ch;
    while (i < ib->n_channels)
        arr[k++] = ib->channels[i++];
    return arr;
}

void cib__inbox_set_channels(cib_ctx *ctx, cib__inbox *ib, cib__channel **arr)
{
    cib__free(&ctx->mem, ib->channels);
    ib->channels = arr;
    ib->n_channels++;
}

int cib__inbox_load(cib_ctx *ctx, const cib_row *row)
{
    cib__str name, access;
    const cib_field *users, *teams;
    int64_t is_default, created_at;
    int rc = cib__row_text(ctx, row, "name", 0, &name);
    if (!rc)
        rc = cib__row_int(ctx, row, "is_default", &is_default);
    if (!rc)
        rc = cib__row_text(ctx, row, "access", 0, &access);
    if (!rc)
        rc = cib__row_list(ctx, row, "access_users", &users);
    if (!rc)
        rc = cib__row_list(ctx, row, "access_teams", &teams);
    if (!rc)
        rc = cib__row_time(ctx, row, "created_at", 0, &created_at);
    if (rc)
        return rc;
    cib__str id;
    rc = cib__arg_id(ctx, "id", row->key, row->key_len, &id);
    if (!rc)
        rc = cib__arg_name(ctx, "name", name.p, name.n, &name);
    if (!rc && cib__inbox_find(ctx, id.p, id.n))
        rc = cib__fail(ctx, CIB_ECONFLICT, "the id is stored twice");
    if (!rc && name_taken(ctx, name, NULL))
        rc = cib__fail(ctx, CIB_ECONFLICT, "another inbox has its name");
    if (!rc && (is_default < 0 || is_default > 1 || (is_default && ctx->default_inbox)))
        rc = cib__fail(ctx, CIB_EINVAL, "'is_default' is not 0 or 1, or not the only one");
    int everyone = cib__streq(access.p, access.n, "everyone", 8);
    if (!rc && !everyone && !cib__streq(access.p, access.n, "specific", 8))
        rc = cib__fail(ctx, CIB_EINVAL, "'access' is neither everyone nor specific");
    cib_access_def d = CIB_ACCESS_DEF_INIT;
    d.everyone = everyone;
    d.users = users->items;
    d.user_lens = users->item_lens;
    d.n_users = users->n_items;
    d.teams = teams->items;
    d.team_lens = teams->item_lens;
    d.n_teams = teams->n_items;
    access_spec a = {0, NULL, 0, NULL, 0};
    if (!rc)
        rc = access_resolve(ctx, "access", &d, &a);
    if (rc)
        return cib__row_refused(ctx, row, rc);
    cib__inbox *ib;
    if ((rc = inbox_create(ctx, id, name, (int)is_default, &a, created_at, &ib)))
        access_free(ctx, &a);
    return rc;
}

void cib__inbox_dump(cib_ctx *ctx, cib__buf *b)
{
    cib__inbox *ib, *tmp;
    HASH_ITER (hh, ctx->inboxes, ib, tmp) {
        cib__buf_str(b, "inbox ");
        cib__buf_quote(b, ib->id, ib->id_len);
        cib__buf_str(b, " name=");
        cib__buf_quote(b, ib->name, ib->name_len);
        cib__buf_fmt(b, " default=%d access=%s users=[", ib->is_default,
                     ib->everyone ? "everyone" : "specific");
        for (size_t i = 0; i < ib->n_users; i++) {
            if (i)
                cib__buf_str(b, ",");
            cib__buf_quote(b, ib->users[i]->id, ib->users[i]->id_len);
        }
        cib__buf_str(b, "] teams=[");
        for (size_t i = 0; i < ib->n_teams; i++) {
            if (i)
                cib__buf_str(b, ",");
            cib__buf_quote(b, ib->teams[i]->id, ib->teams[i]->id_len);
        }
        cib__buf_str(b, "] channels=[");
        for (size_t i = 0; i < ib->n_channels; i++) {
            if (i)
                cib__buf_str(b, ",");
            cib__buf_quote(b, ib->channels[i]->id, ib->channels[i]->id_len);
        }
        cib__buf_fmt(b, "] created_at=%lld\n", (long long)ib->created_at);
    }
}

void cib__inbox_free_all(cib_ctx *ctx)
{
    cib__inbox *ib, *tmp;
    HASH_ITER (hh, ctx->inboxes, ib, tmp) {
        inbox_destroy(ctx, ib);
    }
}
