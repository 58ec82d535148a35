/* contact.c - contacts: add, update, remove, read, find by email; load, dump. */
#include "contact.h"

#include <string.h>

#include "error.h"
#include "user.h"

typedef struct contact_spec {
    cib__str id;
    cib__email email;
    cib__user *owner;
} contact_spec;

static cib__contact *contact_find(cib_ctx *ctx, const char *id, size_t len)
{
    cib__contact *c = NULL;
    CIB_HASH_FIND(ctx->seed, hh, ctx->contacts, id, len, c);
    return c;
}

static int spec_check(cib_ctx *ctx, contact_spec *s, const char *id, size_t id_len,
                      const char *email, size_t email_len, const char *owner, size_t owner_len)
{
    int rc = cib__arg_id(ctx, "id", id, id_len, &s->id);
    if (!rc)
        rc = cib__arg_email(ctx, "email", email, email_len, 1, &s->email);
    cib__str o = {NULL, 0};
    if (!rc)
        rc = cib__check_text(ctx, "owner", -1, owner, owner_len, ctx->lim.max_id_len,
                             CIB__TEXT_OPTIONAL, &o);
    if (rc)
        return rc;
    s->owner = NULL;
    if (o.p && !(s->owner = cib__user_find(ctx, o.p, o.n)))
        return cib__fail(ctx, CIB_ENOTFOUND, "owner '%.*s' is not a user", (int)o.n, o.p);
    return CIB_OK;
}

static int email_available(cib_ctx *ctx, const cib__email *e, const cib__contact *self)
{
    cib__contact *other = e->n ? cib__ref_find(ctx->seed, ctx->contact_emails, e->s, e->n) : NULL;
    if (other && other != self)
        return cib__fail(ctx, CIB_ECONFLICT, "email '%s' is already the email of contact '%s'",
                         e->s, other->id);
    return CIB_OK;
}

static void contact_free(cib_ctx *ctx, cib__contact *c)
{
    if (!c)
        return;
    cib__free(&ctx->mem, c->id);
    cib__free(&ctx->mem, c->email);
    cib__free(&ctx->mem, c);
}

/* Create and index a contact. Fallible; on failure nothing changed. */
static int contact_create(cib_ctx *ctx, const contact_spec *s, int64_t created_at,
                          cib__contact **out)
{
    cib__contact *c = cib__calloc(&ctx->mem, 1, sizeof *c);
    if (!c)
        return cib__nomem(ctx);
    c->id = cib__strndup(&ctx->mem, s->id.p, s->id.n);
    c->id_len = s->id.n;
    c->email = s->email.n ? cib__strndup(&ctx->mem, s->email.s, s->email.n) : NULL;
    c->owner = s->owner;
    c->created_at = created_at;
    int ok = 0;
    if (c->id && (c->email || !s->email.n))
        CIB_HASH_ADD(&ctx->mem, ctx->seed, hh, ctx->contacts, c->id, c->id_len, c, ok);
    if (ok && c->email) {
        c->email_ref =
            cib__ref_add(&ctx->mem, ctx->seed, &ctx->contact_emails, c->email, s->email.n, c);
        if (!c->email_ref) {
            CIB_HASH_DEL(&ctx->mem, hh, ctx->contacts, c);
            ok = 0;
        }
    }
    if (!ok) {
        contact_free(ctx, c);
        return cib__nomem(ctx);
    }
    if (c->owner)
        c->owner->n_owned++;
    *out = c;
    return CIB_OK;
}

static void contact_destroy(cib_ctx *ctx, cib__contact *c)
{
    if (c->owner)
        c->owner->n_owned--;
    cib__ref_del(&ctx->mem, &ctx->contact_emails, c->email_ref);
    CIB_HASH_DEL(&ctx->mem, hh, ctx->contacts, c);
    contact_free(ctx, c);
}

static int contact_put(cib_ctx *ctx, const cib__contact *c)
{
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_CONTACT, c->id, c->id_len);
    cib__rowb_text(&b, "email", c->email);
    cib__rowb_text(&b, "owner", c->owner ? c->owner->id : NULL);
    cib__rowb_int(&b, "created_at", c->created_at);
    return cib__tx_put(ctx, &b.row);
}

static int spec_from_def(cib_ctx *ctx, const cib_contact_def *def, contact_spec *s)
{
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    int rc = cib__def_read(ctx, "def", def, sizeof d, &d);
    if (rc)
        return rc;
    return spec_check(ctx, s, d.id, d.id_len, d.email, d.email_len, d.owner, d.owner_len);
}

int cib_contact_add(cib_ctx *ctx, const cib_contact_def *def)
{
    CIB__ENTER_WRITE(ctx, "cib_contact_add");
    contact_spec s;
    int rc = spec_from_def(ctx, def, &s);
    if (rc)
        return rc;
    if (contact_find(ctx, s.id.p, s.id.n))
        return cib__fail(ctx, CIB_ECONFLICT, "contact '%.*s' already exists", (int)s.id.n, s.id.p);
    if ((rc = email_available(ctx, &s.email, NULL)))
        return rc;
    cib__contact *c;
    if ((rc = contact_create(ctx, &s, cib__now(ctx), &c)))
        return rc;
    rc = cib__tx_begin(ctx);
    if (rc == CIB_OK)
        rc = cib__tx_end(ctx, contact_put(ctx, c));
    if (rc)
        contact_destroy(ctx, c);
    return rc;
}

int cib_contact_update(cib_ctx *ctx, const cib_contact_def *def)
{
    CIB__ENTER_WRITE(ctx, "cib_contact_update");
    contact_spec s;
    int rc = spec_from_def(ctx, def, &s);
    if (rc)
        return rc;
    cib__contact *c = contact_find(ctx, s.id.p, s.id.n);
    if (!c)
        return cib__fail(ctx, CIB_ENOTFOUND, "contact '%.*s' not found", (int)s.id.n, s.id.p);
    if ((rc = email_available(ctx, &s.email, c)))
        return rc;
    cib__rekey rk;
    if (cib__rekey_prepare(&ctx->mem, ctx->seed, &ctx->contact_emails, c->email, s.email.s,
                           s.email.n, c, &rk))
        return cib__nomem(ctx);
    cib__contact next = *c;
    next.email = rk.changed ? rk.key : c->email;
    next.owner = s.owner;
    rc = cib__tx_begin(ctx);
    if (rc == CIB_OK)
        rc = cib__tx_end(ctx, contact_put(ctx, &next));
    if (rc) {
        cib__rekey_abort(&ctx->mem, &ctx->contact_emails, &rk);
        return rc;
    }
    cib__rekey_finish(&ctx->mem, &ctx->contact_emails, &c->email, &c->email_ref, &rk);
    if (c->owner)
        c->owner->n_owned--;
    if ((c->owner = s.owner))
        c->owner->n_owned++;
    return CIB_OK;
}

int cib_contact_remove(cib_ctx *ctx, const char *id, size_t id_len)
{
    CIB__ENTER_WRITE(ctx, "cib_contact_remove");
    cib__str sid;
    int rc = cib__arg_id(ctx, "id", id, id_len, &sid);
    if (rc)
        return rc;
    cib__contact *c = contact_find(ctx, sid.p, sid.n);
    if (!c)
        return cib__fail(ctx, CIB_ENOTFOUND, "contact '%.*s' not found", (int)sid.n, sid.p);
    rc = cib__tx_begin(ctx);
    if (rc == CIB_OK)
        rc = cib__tx_end(ctx, cib__tx_del(ctx, CIB_KIND_CONTACT, c->id, c->id_len));
    if (rc == CIB_OK)
        contact_destroy(ctx, c);
    return rc;
}

static int contact_info(cib_ctx *ctx, const cib__contact *c, cib_contact_info *out)
{
    cib_contact_info info = CIB_CONTACT_INFO_INIT;
    info.id = c->id;
    info.email = c->email;
    info.owner = c->owner ? c->owner->id : NULL;
    info.created_at = c->created_at;
    return cib__info_write(ctx, "out", out, &info, sizeof info);
}

int cib_contact_get(cib_ctx *ctx, const char *id, size_t id_len, cib_contact_info *out)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, out, "out");
    cib__str sid;
    int rc = cib__arg_id(ctx, "id", id, id_len, &sid);
    if (rc)
        return rc;
    cib__contact *c = contact_find(ctx, sid.p, sid.n);
    if (!c)
        return cib__fail(ctx, CIB_ENOTFOUND, "contact '%.*s' not found", (int)sid.n, sid.p);
    return contact_info(ctx, c, out);
}

int cib_contact_find_email(cib_ctx *ctx, const char *email, size_t email_len, const char **out_id)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, out_id, "out_id");
    *out_id = NULL;
    cib__email e;
    int rc = cib__arg_email(ctx, "email", email, email_len, 0, &e);
    if (rc)
        return rc;
    cib__contact *c = cib__ref_find(ctx->seed, ctx->contact_emails, e.s, e.n);
    if (!c)
        return cib__fail(ctx, CIB_ENOTFOUND, "no contact has email '%s'", e.s);
    *out_id = c->id;
    return CIB_OK;
}

int cib__contact_write_without_owner(cib_ctx *ctx, const cib__user *u)
{
    if (!u->n_owned)
        return CIB_OK;
    cib__contact *c, *tmp;
    HASH_ITER (hh, ctx->contacts, c, tmp) {
        if (c->owner != u)
            continue;
        cib__contact next = *c;
        next.owner = NULL;
        int rc = contact_put(ctx, &next);
        if (rc)
            return rc;
    }
    return CIB_OK;
}

void cib__contact_drop_owner(cib_ctx *ctx, const cib__user *u)
{
    if (!u->n_owned)
        return;
    cib__contact *c, *tmp;
    HASH_ITER (hh, ctx->contacts, c, tmp) {
        if (c->owner == u) {
            c->owner->n_owned--;
            c->owner = NULL;
        }
    }
}

int cib__contact_load(cib_ctx *ctx, const cib_row *row)
{
    cib__str email, owner;
    int64_t created_at;
    int rc = cib__row_text(ctx, row, "email", 1, &email);
    if (!rc)
        rc = cib__row_text(ctx, row, "owner", 1, &owner);
    if (!rc)
        rc = cib__row_int(ctx, row, "created_at", &created_at);
    if (rc)
        return rc;
    contact_spec s;
    rc = spec_check(ctx, &s, row->key, row->key_len, email.p, email.n, owner.p, owner.n);
    if (!rc && contact_find(ctx, s.id.p, s.id.n))
        rc = cib__fail(ctx, CIB_ECONFLICT, "the id is stored twice");
    if (!rc)
        rc = email_available(ctx, &s.email, NULL);
    if (rc)
        return cib__row_refused(ctx, row, rc);
    cib__contact *c;
    return contact_create(ctx, &s, created_at, &c);
}

void cib__contact_dump(cib_ctx *ctx, cib__buf *b)
{
    cib__contact *c, *tmp;
    HASH_ITER (hh, ctx->contacts, c, tmp) {
        cib__buf_str(b, "contact ");
        cib__buf_quote(b, c->id, c->id_len);
        cib__buf_str(b, " email=");
        if (c->email)
            cib__buf_quote(b, c->email, strlen(c->email));
        else
            cib__buf_str(b, "-");
        cib__buf_str(b, " owner=");
        if (c->owner)
            cib__buf_quote(b, c->owner->id, c->owner->id_len);
        else
            cib__buf_str(b, "-");
        cib__buf_fmt(b, " created_at=%lld\n", (long long)c->created_at);
    }
}

void cib__contact_free_all(cib_ctx *ctx)
{
    cib__contact *c, *tmp;
    HASH_ITER (hh, ctx->contacts, c, tmp) {
        contact_destroy(ctx, c);
    }
}
