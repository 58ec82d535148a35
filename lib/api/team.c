/* team.c - teams: add, update members, remove; load and dump. */
#include "team.h"

#include <string.h>

#include "error.h"
#include "inbox.h"
#include "op.h"
#include "route.h"
#include "user.h"

cib__team *cib__team_find(cib_ctx *ctx, const char *id, size_t len)
{
    cib__team *t = NULL;
    CIB_HASH_FIND(ctx->seed, hh, ctx->teams, id, len, t);
    return t;
}

int cib__team_has(const cib__team *t, const cib__user *u)
{
    for (size_t i = 0; i < t->n_members; i++)
        if (t->members[i] == u)
            return 1;
    return 0;
}

static int team_put(cib_ctx *ctx, const cib__team *t, cib__user *const *members, size_t n,
                    const cib__user *skip)
{
    cib__idlist ids;
    int rc = cib__user_ids(ctx, members, n, skip, &ids);
    if (rc)
        return rc;
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_TEAM, t->id, t->id_len);
    cib__rowb_list(&b, "members", ids.items, ids.lens, ids.n);
    rc = cib__tx_put(ctx, &b.row);
    cib__idlist_free(ctx, &ids);
    return rc;
}

static void team_free(cib_ctx *ctx, cib__team *t)
{
    if (!t)
        return;
    cib__free(&ctx->mem, t->members);
    cib__free(&ctx->mem, t->id);
    cib__free(&ctx->mem, t);
}

/* Read a def: its id, and its members resolved to users. */
static int def_read(cib_ctx *ctx, const cib_team_def *def, cib__str *id, cib__user ***members,
                    size_t *n)
{
    cib_team_def d = CIB_TEAM_DEF_INIT;
    int rc = cib__def_read(ctx, "def", def, sizeof d, &d);
    if (!rc)
        rc = cib__arg_id(ctx, "id", d.id, d.id_len, id);
    if (!rc)
        rc = cib__users_resolve(ctx, "members", d.members, d.member_lens, d.n_members, members);
    *n = d.n_members;
    return rc;
}

/* Create and index a team that owns `members`. Fallible; on failure the
 * members array is still the caller's. */
static int team_create(cib_ctx *ctx, cib__str id, cib__user **members, size_t n, cib__team **out)
{
    cib__team *t = cib__calloc(&ctx->mem, 1, sizeof *t);
    if (!t)
        return cib__nomem(ctx);
    t->id = cib__strndup(&ctx->mem, id.p, id.n);
    t->id_len = id.n;
    int ok = 0;
    if (t->id)
        CIB_HASH_ADD(&ctx->mem, ctx->seed, hh, ctx->teams, t->id, t->id_len, t, ok);
    if (!ok) {
        team_free(ctx, t);
        return cib__nomem(ctx);
    }
    t->members = members;
    t->n_members = n;
    *out = t;
    return CIB_OK;
}

static void team_unlink_free(cib_ctx *ctx, cib__team *t)
{
    CIB_HASH_DEL(&ctx->mem, hh, ctx->teams, t);
    team_free(ctx, t);
}

int cib_team_add(cib_ctx *ctx, const cib_team_def *def)
{
    CIB__ENTER_WRITE(ctx, "cib_team_add");
    cib__str id;
    cib__user **members = NULL;
    size_t n = 0;
    int rc = def_read(ctx, def, &id, &members, &n);
    if (rc)
        return rc;
    if (cib__team_find(ctx, id.p, id.n)) {
        cib__free(&ctx->mem, members);
        return cib__fail(ctx, CIB_ECONFLICT, "team '%.*s' already exists", (int)id.n, id.p);
    }
    cib__team *t;
    if ((rc = team_create(ctx, id, members, n, &t))) {
        cib__free(&ctx->mem, members);
        return rc;
    }
    cib__op op;
    if (!(rc = cib__op_begin(ctx, &op)))
        rc = cib__op_end(&op, team_put(ctx, t, t->members, t->n_members, NULL));
    if (rc)
        team_unlink_free(ctx, t);
    return rc;
}

int cib_team_update(cib_ctx *ctx, const cib_team_def *def)
{
    CIB__ENTER_WRITE(ctx, "cib_team_update");
    cib__str id;
    cib__user **members = NULL;
    size_t n = 0;
    int rc = def_read(ctx, def, &id, &members, &n);
    if (rc)
        return rc;
    cib__team *t = cib__team_find(ctx, id.p, id.n);
    if (!t) {
        cib__free(&ctx->mem, members);
        return cib__fail(ctx, CIB_ENOTFOUND, "team '%.*s' not found", (int)id.n, id.p);
    }
    /* Rules that name the team, or inboxes it gives access to, change: new
     * members may take waiting conversations (R-ROUTE-8). Rebuilt with the
     * new members as the change; written in the op, applied after it
     * (nothing of that can fail). */
    cib__plan plan;
    cib__rebuild rb = {NULL, 0};
    cib__plan_init(ctx, &plan);
    cib__change c = CIB__CHANGE_NONE;
    c.team = t;
    c.members = members;
    c.n_members = n;
    rc = cib__plan_rebuild(ctx, &plan, &rb, &c);
    if (!rc)
        rc = cib__plan_run(ctx, &plan);
    cib__op op;
    if (!rc && !(rc = cib__op_begin(ctx, &op))) {
        rc = team_put(ctx, t, members, n, NULL);
        if (!rc)
            rc = cib__plan_write(ctx, &plan);
        rc = cib__op_end(&op, rc);
    }
    if (rc) {
        cib__rules_discard(ctx, &rb);
        cib__plan_free(ctx, &plan);
        cib__free(&ctx->mem, members);
        return rc;
    }
    cib__free(&ctx->mem, t->members);
    t->members = members;
    t->n_members = n;
    cib__rules_install(ctx, &rb);
    cib__plan_apply(ctx, &plan);
    cib__plan_emit(ctx, &plan);
    cib__plan_free(ctx, &plan);
    return CIB_OK;
}

int cib_team_remove(cib_ctx *ctx, const char *id, size_t id_len)
{
    CIB__ENTER_WRITE(ctx, "cib_team_remove");
    cib__str sid;
    int rc = cib__arg_id(ctx, "id", id, id_len, &sid);
    if (rc)
        return rc;
    cib__team *t = cib__team_find(ctx, sid.p, sid.n);
    if (!t)
        return cib__fail(ctx, CIB_ENOTFOUND, "team '%.*s' not found", (int)sid.n, sid.p);
    /* Rules without the team and its access (nobody becomes eligible). */
    cib__rebuild rb;
    cib__change c = CIB__CHANGE_NONE;
    c.drop_team = t;
    if ((rc = cib__rules_remake(ctx, &c, &rb)))
        return rc;
    cib__op op;
    if ((rc = cib__op_begin(ctx, &op))) {
        cib__rules_discard(ctx, &rb);
        return rc;
    }
    rc = cib__rules_write(ctx, &rb, NULL);
    if (!rc)
        rc = cib__inbox_write_without(ctx, NULL, t);
    if (!rc)
        rc = cib__tx_del(ctx, CIB_KIND_TEAM, t->id, t->id_len);
    if ((rc = cib__op_end(&op, rc))) {
        cib__rules_discard(ctx, &rb);
        return rc;
    }
    cib__rules_install(ctx, &rb);
    cib__inbox_drop(ctx, NULL, t);
    team_unlink_free(ctx, t);
    return CIB_OK;
}

static void *ops_find(cib_ctx *ctx, const char *id, size_t len)
{
    return cib__team_find(ctx, id, len);
}

static unsigned *ops_mark(void *obj)
{
    return &((cib__team *)obj)->mark;
}

static const char *ops_id(const void *obj, size_t *len)
{
    *len = ((const cib__team *)obj)->id_len;
    return ((const cib__team *)obj)->id;
}

static void ops_set(void *array, size_t i, void *obj)
{
    ((cib__team **)array)[i] = obj;
}

static void *ops_get(const void *array, size_t i)
{
    return ((cib__team *const *)array)[i];
}

static const cib__list_ops team_ops = {"team",  ops_find, ops_mark, ops_id, sizeof(cib__team *),
                                       ops_set, ops_get};

int cib__teams_resolve(cib_ctx *ctx, const char *arg, const char *const *ids, const size_t *lens,
                       size_t n, cib__team ***out)
{
    void *arr;
    int rc = cib__list_resolve(ctx, &team_ops, arg, ids, lens, n, &arr);
    *out = arr;
    return rc;
}

int cib__team_ids(cib_ctx *ctx, cib__team *const *teams, size_t n, const cib__team *skip,
                  cib__idlist *out)
{
    return cib__list_ids(ctx, &team_ops, teams, n, skip, out);
}

int cib__team_write_without_user(cib_ctx *ctx, const cib__user *u)
{
    cib__team *t, *tmp;
    HASH_ITER (hh, ctx->teams, t, tmp) {
        if (!cib__team_has(t, u))
            continue;
        int rc = team_put(ctx, t, t->members, t->n_members, u);
        if (rc)
            return rc;
    }
    return CIB_OK;
}

void cib__team_drop_user(cib_ctx *ctx, const cib__user *u)
{
    cib__team *t, *tmp;
    HASH_ITER (hh, ctx->teams, t, tmp) {
        size_t k = 0;
        for (size_t i = 0; i < t->n_members; i++)
            if (t->members[i] != u)
                t->members[k++] = t->members[i];
        t->n_members = k;
    }
}

int cib__team_load(cib_ctx *ctx, const cib_row *row)
{
    const cib_field *f;
    int rc = cib__row_list(ctx, row, "members", &f);
    if (rc)
        return rc;
    cib__str id;
    cib__user **members = NULL;
    rc = cib__arg_id(ctx, "id", row->key, row->key_len, &id);
    if (!rc && cib__team_find(ctx, id.p, id.n))
        rc = cib__fail(ctx, CIB_ECONFLICT, "the id is stored twice");
    if (!rc)
        rc = cib__users_resolve(ctx, "members", f->items, f->item_lens, f->n_items, &members);
    if (rc)
        return cib__row_refused(ctx, row, rc);
    cib__team *t;
    if ((rc = team_create(ctx, id, members, f->n_items, &t)))
        cib__free(&ctx->mem, members);
    return rc;
}

void cib__team_dump(cib_ctx *ctx, cib__buf *b)
{
    cib__team *t, *tmp;
    HASH_ITER (hh, ctx->teams, t, tmp) {
        cib__buf_str(b, "team ");
        cib__buf_quote(b, t->id, t->id_len);
        cib__buf_str(b, " members=[");
        for (size_t i = 0; i < t->n_members; i++) {
            if (i)
                cib__buf_str(b, ",");
            cib__buf_quote(b, t->members[i]->id, t->members[i]->id_len);
        }
        cib__buf_str(b, "]\n");
    }
}

void cib__team_free_all(cib_ctx *ctx)
{
    cib__team *t, *tmp;
    HASH_ITER (hh, ctx->teams, t, tmp) {
        team_unlink_free(ctx, t);
    }
}
