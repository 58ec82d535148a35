/* user.c - users (agents): add, update, remove, read; load and dump. */
#include "user.h"

#include <string.h>

#include "channel.h"
#include "contact.h"
#include "conversation.h"
#include "error.h"
#include "inbox.h"
#include "op.h"
#include "route.h"
#include "rule.h"
#include "team.h"

/* A user's properties, checked, before they become an object. */
typedef struct user_spec {
    cib__str id, name;
    cib__email email;
    int seat, role;
    uint32_t capacity;
} user_spec;

cib__user *cib__user_find(cib_ctx *ctx, const char *id, size_t len)
{
    cib__user *u = NULL;
    CIB_HASH_FIND(ctx->seed, hh, ctx->users, id, len, u);
    return u;
}

static int spec_check(cib_ctx *ctx, user_spec *s, const char *id, size_t id_len, const char *name,
                      size_t name_len, const char *email, size_t email_len)
{
    int rc = cib__arg_id(ctx, "id", id, id_len, &s->id);
    if (!rc)
        rc = cib__arg_name(ctx, "name", name, name_len, &s->name);
    if (!rc)
        rc = cib__arg_email(ctx, "email", email, email_len, 1, &s->email);
    if (rc)
        return rc;
    if (!cib__seat_name(s->seat))
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'seat' is %d, not a cib_seat",
                         s->seat);
    if (!cib__role_name(s->role))
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'role' is %d, not a cib_role",
                         s->role);
    return CIB_OK;
}

/* The email must not be another user's, nor a linked channel address. */
static int email_available(cib_ctx *ctx, const cib__email *e, const cib__user *self)
{
    if (!e->n)
        return CIB_OK;
    cib__user *other = cib__ref_find(ctx->seed, ctx->user_emails, e->s, e->n);
    if (other && other != self)
        return cib__fail(ctx, CIB_ECONFLICT, "email '%s' is already the email of user '%s'", e->s,
                         other->id);
    cib__channel *ch = cib__channel_find_address(ctx, CIB_CHANNEL_EMAIL, e->s, e->n);
    if (ch)
        return cib__fail(ctx, CIB_ECONFLICT,
                         "email '%s' is linked as the address of channel '%s'; a team email "
                         "may not be a user's own address",
                         e->s, ch->id);
    return CIB_OK;
}

static void user_free(cib_ctx *ctx, cib__user *u)
{
    if (!u)
        return;
    cib__free(&ctx->mem, u->id);
    cib__free(&ctx->mem, u->name);
    cib__free(&ctx->mem, u->email);
    cib__free(&ctx->mem, u);
}

static cib__user *user_new(cib_ctx *ctx, const user_spec *s, int64_t created_at)
{
    cib__user *u = cib__calloc(&ctx->mem, 1, sizeof *u);
    if (!u)
        return NULL;
    u->id = cib__strndup(&ctx->mem, s->id.p, s->id.n);
    u->id_len = s->id.n;
    u->name = cib__strndup(&ctx->mem, s->name.p, s->name.n);
    u->email = s->email.n ? cib__strndup(&ctx->mem, s->email.s, s->email.n) : NULL;
    u->seat = s->seat;
    u->role = s->role;
    u->capacity = s->capacity;
    u->status = CIB_OFFLINE; /* R-AVAIL-1 */
    u->created_at = created_at;
    cib__tree_init(&u->assigned, CIB__CONV_TREE(in_queue));
    if (!u->id || !u->name || (s->email.n && !u->email)) {
        user_free(ctx, u);
        return NULL;
    }
    return u;
}

/* Index a new user by id and email. Fallible; on failure nothing changed. */
static int user_link(cib_ctx *ctx, cib__user *u)
{
    int ok;
    CIB_HASH_ADD(&ctx->mem, ctx->seed, hh, ctx->users, u->id, u->id_len, u, ok);
    if (!ok)
        return cib__nomem(ctx);
    if (u->email) {
        u->email_ref =
            cib__ref_add(&ctx->mem, ctx->seed, &ctx->user_emails, u->email, strlen(u->email), u);
        if (!u->email_ref) {
            CIB_HASH_DEL(&ctx->mem, hh, ctx->users, u);
            return cib__nomem(ctx);
        }
    }
    return CIB_OK;
}

static void user_unlink(cib_ctx *ctx, cib__user *u)
{
    cib__ref_del(&ctx->mem, &ctx->user_emails, u->email_ref);
    u->email_ref = NULL;
    CIB_HASH_DEL(&ctx->mem, hh, ctx->users, u);
}

int cib__user_write(cib_ctx *ctx, const cib__user *u)
{
    if (!cib__store_keeps(ctx, CIB_KIND_USER))
        return CIB_OK;
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_USER, u->id, u->id_len);
    cib__rowb_text(&b, "name", u->name);
    cib__rowb_text(&b, "email", u->email);
    cib__rowb_text(&b, "seat", cib__seat_name(u->seat));
    cib__rowb_text(&b, "role", cib__role_name(u->role));
    cib__rowb_int(&b, "created_at", u->created_at);
    cib__rowb_text(&b, "status", cib__availability_name(u->status));
    cib__rowb_int(&b, "reassign_replies", u->reassign_replies);
    cib__rowb_int(&b, "capacity", u->capacity);
    cib__rowb_int(&b, "seq", (int64_t)u->seq);
    return cib__tx_put(ctx, &b.row);
}

static int spec_from_def(cib_ctx *ctx, const cib_user_def *def, user_spec *s)
{
    cib_user_def d = CIB_USER_DEF_INIT;
    int rc = cib__def_read(ctx, "def", def, sizeof d, &d);
    if (rc)
        return rc;
    s->seat = d.seat;
    s->role = d.role;
    s->capacity = d.capacity;
    return spec_check(ctx, s, d.id, d.id_len, d.name, d.name_len, d.email, d.email_len);
}

int cib_user_add(cib_ctx *ctx, const cib_user_def *def)
{
    CIB__ENTER_WRITE(ctx, "cib_user_add");
    user_spec s;
    int rc = spec_from_def(ctx, def, &s);
    if (rc)
        return rc;
    if (cib__user_find(ctx, s.id.p, s.id.n))
        return cib__fail(ctx, CIB_ECONFLICT, "user '%.*s' already exists", (int)s.id.n, s.id.p);
    int64_t now;
    if ((rc = email_available(ctx, &s.email, NULL)) || (rc = cib__now(ctx, &now)))
        return rc;
    cib__user *u = user_new(ctx, &s, now);
    if (!u)
        return cib__nomem(ctx);
    if ((rc = user_link(ctx, u))) {
        user_free(ctx, u);
        return rc;
    }
    /* The order of creation breaks least-loaded ties between users never
     * assigned. */
    u->seq = ctx->seq + 1;
    cib__op op;
    if (!(rc = cib__op_begin(ctx, &op)))
        rc = cib__op_end(&op, cib__user_write(ctx, u));
    if (rc) {
        user_unlink(ctx, u);
        user_free(ctx, u);
        return rc;
    }
    ctx->seq = u->seq;
    return CIB_OK;
}

/*
 * A change of a user's routing state (status, seat, capacity), in one op
 * with the conversations it hands out (R-ROUTE-8). A new seat rebuilds the
 * rules: a team's member joins them when the seat becomes paid. Written in
 * the op, applied after it (nothing of that can fail).
 */
static int change_routing_state(cib_ctx *ctx, cib__user *u, const cib__user *next)
{
    cib__plan plan;
    cib__rebuild rb = {NULL, 0};
    cib__plan_init(ctx, &plan);
    int reseat = next->seat != u->seat, rc = CIB_OK;
    if (reseat) {
        /* Teams expand with u's new seat. */
        cib__change c = CIB__CHANGE_NONE;
        c.user = u;
        c.seat = next->seat;
        rc = cib__plan_rebuild(ctx, &plan, &rb, &c);
    }
    if (!rc)
        rc = cib__plan_user(ctx, &plan, u, next->status, next->seat, next->capacity, 0);
    if (!rc)
        rc = cib__plan_run(ctx, &plan);
    cib__user row = *next;
    row.seq = cib__plan_own_row(&plan, u);
    cib__op op;
    if (!rc && !(rc = cib__op_begin(ctx, &op))) {
        rc = cib__user_write(ctx, &row);
        if (!rc)
            rc = cib__plan_write(ctx, &plan);
        rc = cib__op_end(&op, rc);
    }
    if (rc) {
        cib__rules_discard(ctx, &rb);
        cib__plan_free(ctx, &plan);
        return rc;
    }
    u->status = next->status;
    u->seat = next->seat;
    u->capacity = next->capacity;
    u->reassign_replies = next->reassign_replies;
    if (reseat)
        cib__rules_install(ctx, &rb);
    cib__rule_refresh_user(ctx, u);
    cib__plan_apply(ctx, &plan);
    cib__plan_emit(ctx, &plan);
    cib__plan_free(ctx, &plan);
    return CIB_OK;
}

int cib__user_opt_arg(cib_ctx *ctx, const char *name, const char *id, size_t id_len,
                      cib__user **out)
{
    cib__str sid;
    *out = NULL;
    int rc =
        cib__check_text(ctx, name, -1, id, id_len, ctx->lim.max_id_len, CIB__TEXT_OPTIONAL, &sid);
    if (!rc && sid.p && !(*out = cib__user_find(ctx, sid.p, sid.n)))
        rc = cib__fail(ctx, CIB_ENOTFOUND, "user '%.*s' not found", (int)sid.n, sid.p);
    return rc;
}

int cib__user_arg(cib_ctx *ctx, const char *name, const char *id, size_t id_len, cib__user **out)
{
    cib__str sid;
    int rc = cib__arg_id(ctx, name, id, id_len, &sid);
    if (rc)
        return rc;
    if (!(*out = cib__user_find(ctx, sid.p, sid.n)))
        return cib__fail(ctx, CIB_ENOTFOUND, "user '%.*s' not found", (int)sid.n, sid.p);
    return CIB_OK;
}

int cib_user_set_status(cib_ctx *ctx, const char *id, size_t id_len, int status)
{
    CIB__ENTER_WRITE(ctx, "cib_user_set_status");
    cib__user *u;
    int rc = cib__user_arg(ctx, "id", id, id_len, &u);
    if (rc)
        return rc;
    if (!cib__availability_name(status))
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'status' is %d, not a cib_availability", status);
    cib__user next = *u;
    next.status = status;
    return change_routing_state(ctx, u, &next);
}

int cib_user_set_reassign_replies(cib_ctx *ctx, const char *id, size_t id_len, int on)
{
    CIB__ENTER_WRITE(ctx, "cib_user_set_reassign_replies");
    cib__user *u;
    int rc = cib__user_arg(ctx, "id", id, id_len, &u);
    if (rc)
        return rc;
    cib__user next = *u;
    next.reassign_replies = on != 0;
    cib__op op;
    if (!(rc = cib__op_begin(ctx, &op)))
        rc = cib__op_end(&op, cib__user_write(ctx, &next));
    if (rc == CIB_OK)
        u->reassign_replies = next.reassign_replies;
    return rc;
}

int cib_user_update(cib_ctx *ctx, const cib_user_def *def)
{
    CIB__ENTER_WRITE(ctx, "cib_user_update");
    user_spec s;
    int rc = spec_from_def(ctx, def, &s);
    if (rc)
        return rc;
    cib__user *u = cib__user_find(ctx, s.id.p, s.id.n);
    if (!u)
        return cib__fail(ctx, CIB_ENOTFOUND, "user '%.*s' not found", (int)s.id.n, s.id.p);
    if ((rc = email_available(ctx, &s.email, u)))
        return rc;
    char *name = cib__strndup(&ctx->mem, s.name.p, s.name.n);
    cib__rekey rk;
    if (!name)
        return cib__nomem(ctx);
    if (cib__rekey_prepare(&ctx->mem, ctx->seed, &ctx->user_emails, u->email, s.email.s, s.email.n,
                           u, &rk)) {
        cib__free(&ctx->mem, name);
        return cib__nomem(ctx);
    }
    cib__user next = *u;
    next.name = name;
    next.email = rk.changed ? rk.key : u->email;
    next.seat = s.seat;
    next.role = s.role;
    next.capacity = s.capacity;
    if ((rc = change_routing_state(ctx, u, &next))) {
        cib__rekey_abort(&ctx->mem, &ctx->user_emails, &rk);
        cib__free(&ctx->mem, name);
        return rc;
    }
    cib__rekey_finish(&ctx->mem, &ctx->user_emails, &u->email, &u->email_ref, &rk);
    cib__free(&ctx->mem, u->name);
    u->name = name;
    u->role = s.role;
    return CIB_OK;
}

int cib_user_remove(cib_ctx *ctx, const char *id, size_t id_len)
{
    CIB__ENTER_WRITE(ctx, "cib_user_remove");
    cib__user *u;
    int rc = cib__user_arg(ctx, "id", id, id_len, &u);
    if (rc)
        return rc;
    /* The rules without them (removing a user makes nobody eligible: no
     * conversations are handed out). */
    cib__rebuild rb;
    cib__change c = CIB__CHANGE_NONE;
    c.drop_user = u;
    if ((rc = cib__rules_remake(ctx, &c, &rb)))
        return rc;
    cib__op op;
    if ((rc = cib__op_begin(ctx, &op))) {
        cib__rules_discard(ctx, &rb);
        return rc;
    }
    rc = cib__rules_write(ctx, &rb, u);
    if (!rc)
        rc = cib__team_write_without_user(ctx, u);
    if (!rc)
        rc = cib__inbox_write_without(ctx, u, NULL);
    if (!rc)
        rc = cib__contact_write_without_owner(ctx, u);
    if (!rc)
        rc = cib__conv_write_without_user(ctx, u);
    if (!rc)
        rc = cib__route_write_forget(ctx, u);
    if (!rc)
        rc = cib__tx_del(ctx, CIB_KIND_USER, u->id, u->id_len);
    if ((rc = cib__op_end(&op, rc))) {
        cib__rules_discard(ctx, &rb);
        return rc;
    }
    cib__rules_install(ctx, &rb);
    cib__route_apply_forget(ctx, u);
    cib__rules_drop_owner(ctx, u);
    cib__conv_drop_user(ctx, u);
    cib__team_drop_user(ctx, u);
    cib__inbox_drop(ctx, u, NULL);
    cib__contact_drop_owner(ctx, u);
    user_unlink(ctx, u);
    user_free(ctx, u);
    return CIB_OK;
}

int cib_user_get(cib_ctx *ctx, const char *id, size_t id_len, cib_user_info *out)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, out, "out");
    cib__user *u;
    int rc = cib__user_arg(ctx, "id", id, id_len, &u);
    if (rc)
        return rc;
    cib_user_info info = CIB_USER_INFO_INIT;
    info.id = u->id;
    info.name = u->name;
    info.email = u->email;
    info.seat = u->seat;
    info.role = u->role;
    info.created_at = u->created_at;
    info.status = u->status;
    info.reassign_replies = u->reassign_replies;
    info.capacity = u->capacity;
    info.load = (uint32_t)u->assigned.count;
    return cib__info_write(ctx, "out", out, &info, sizeof info);
}

static void *ops_find(cib_ctx *ctx, const char *id, size_t len)
{
    return cib__user_find(ctx, id, len);
}

static unsigned *ops_mark(void *obj)
{
    return &((cib__user *)obj)->mark;
}

static const char *ops_id(const void *obj, size_t *len)
{
    *len = ((const cib__user *)obj)->id_len;
    return ((const cib__user *)obj)->id;
}

static void ops_set(void *array, size_t i, void *obj)
{
    ((cib__user **)array)[i] = obj;
}

static void *ops_get(const void *array, size_t i)
{
    return ((cib__user *const *)array)[i];
}

static const cib__list_ops user_ops = {"user",  ops_find, ops_mark, ops_id, sizeof(cib__user *),
                                       ops_set, ops_get};

int cib__users_resolve(cib_ctx *ctx, const char *arg, const char *const *ids, const size_t *lens,
                       size_t n, cib__user ***out)
{
    void *arr;
    int rc = cib__list_resolve(ctx, &user_ops, arg, ids, lens, n, &arr);
    *out = arr;
    return rc;
}

int cib__user_ids(cib_ctx *ctx, cib__user *const *users, size_t n, const cib__user *skip,
                  cib__idlist *out)
{
    return cib__list_ids(ctx, &user_ops, users, n, skip, out);
}

int cib__user_load(cib_ctx *ctx, const cib_row *row)
{
    cib__str name, email, seat, role, status;
    int64_t created_at, reassign, capacity, seq;
    int rc = cib__row_text(ctx, row, "name", 0, &name);
    if (!rc)
        rc = cib__row_text(ctx, row, "email", 1, &email);
    if (!rc)
        rc = cib__row_text(ctx, row, "seat", 0, &seat);
    if (!rc)
        rc = cib__row_text(ctx, row, "role", 0, &role);
    if (!rc)
        rc = cib__row_time(ctx, row, "created_at", 0, &created_at);
    if (!rc)
        rc = cib__row_text(ctx, row, "status", 0, &status);
    if (!rc)
        rc = cib__row_int(ctx, row, "reassign_replies", &reassign);
    if (!rc)
        rc = cib__row_int(ctx, row, "capacity", &capacity);
    if (!rc)
        rc = cib__row_int(ctx, row, "seq", &seq);
    if (rc)
        return rc;
    user_spec s;
    s.seat = cib__seat_parse(seat);
    s.role = cib__role_parse(role);
    s.capacity = (uint32_t)capacity;
    if (!cib__availability_parse(status) || capacity < 0 || capacity > UINT32_MAX || seq < 0 ||
        (reassign != 0 && reassign != 1))
        return cib__row_refused(ctx, row,
                                cib__fail(ctx, CIB_EINVAL, "its status, capacity or order is bad"));
    rc = spec_check(ctx, &s, row->key, row->key_len, name.p, name.n, email.p, email.n);
    if (!rc && cib__user_find(ctx, s.id.p, s.id.n))
        rc = cib__fail(ctx, CIB_ECONFLICT, "the id is stored twice");
    if (!rc)
        rc = email_available(ctx, &s.email, NULL);
    if (rc)
        return cib__row_refused(ctx, row, rc);
    cib__user *u = user_new(ctx, &s, created_at);
    if (!u)
        return cib__nomem(ctx);
    u->status = cib__availability_parse(status);
    u->reassign_replies = (int)reassign;
    u->seq = (uint64_t)seq;
    if (u->seq > ctx->seq)
        ctx->seq = u->seq;
    if ((rc = user_link(ctx, u)))
        user_free(ctx, u);
    return rc;
}

void cib__user_dump(cib_ctx *ctx, cib__buf *b)
{
    cib__user *u, *tmp;
    HASH_ITER (hh, ctx->users, u, tmp) {
        cib__buf_str(b, "user ");
        cib__buf_quote(b, u->id, u->id_len);
        cib__buf_str(b, " name=");
        cib__buf_quote(b, u->name, strlen(u->name));
        cib__buf_str(b, " email=");
        if (u->email)
            cib__buf_quote(b, u->email, strlen(u->email));
        else
            cib__buf_str(b, "-");
        cib__buf_fmt(b,
                     " seat=%s role=%s created_at=%lld owns=%zu status=%s reassign=%d "
                     "capacity=%u seq=%llu load=%zu\n",
                     cib__seat_name(u->seat), cib__role_name(u->role), (long long)u->created_at,
                     u->n_owned, cib__availability_name(u->status), u->reassign_replies,
                     (unsigned)u->capacity, (unsigned long long)u->seq, u->assigned.count);
    }
}

void cib__user_free_all(cib_ctx *ctx)
{
    cib__user *u, *tmp;
    HASH_ITER (hh, ctx->users, u, tmp) {
        user_unlink(ctx, u);
        user_free(ctx, u);
    }
}
