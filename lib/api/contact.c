/* contact.c - contacts: add, update, remove, read, find by address; the
 * address index; load and dump. */
#include "contact.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "caps.h"
#include "conversation.h"
#include "error.h"
#include "op.h"
#include "user.h"

/* Learned addresses a contact may have, at most. */
#define MAX_ADDRS 64

static const char *const kind_words[] = {"email", "visitor", "messenger", "custom"};

typedef struct contact_spec {
    cib__str id;
    cib__email email;
    cib__user *owner;
} contact_spec;

cib__contact *cib__contact_find(cib_ctx *ctx, const char *id, size_t len)
{
    cib__contact *c = NULL;
    CIB_HASH_FIND(ctx->seed, hh, ctx->contacts, id, len, c);
    return c;
}

static size_t join(char *buf, const char *word, const char *scope, size_t scope_len,
                   const char *value, size_t len)
{
    size_t n = strlen(word);
    memcpy(buf, word, n);
    buf[n++] = '\n';
    if (scope) {
        memcpy(buf + n, scope, scope_len);
        n += scope_len;
        buf[n++] = '\n';
    }
    memcpy(buf + n, value, len);
    n += len;
    buf[n] = '\0';
    return n;
}

size_t cib__address(char *buf, const cib__channel *ch, const char *value, size_t len, int is_email)
{
    if (is_email)
        return join(buf, "email", NULL, 0, value, len);
    switch (ch->type) {
    case CIB_CHANNEL_MESSENGER:
        return join(buf, "messenger", ch->id, ch->id_len, value, len);
    case CIB_CHANNEL_CUSTOM:
        return join(buf, "custom", ch->id, ch->id_len, value, len);
    default:
        return join(buf, "visitor", NULL, 0, value, len);
    }
}

static cib__fp addr_fp(cib_ctx *ctx, const char *addr, size_t len)
{
    return cib__fingerprint(ctx->secret, &addr, &len, 1);
}

static int has_address(const cib__contact *c, const char *addr, size_t len)
{
    if (len > 6 && memcmp(addr, "email\n", 6) == 0)
        return c->email && cib__streq(c->email, strlen(c->email), addr + 6, len - 6);
    for (size_t i = 0; i < cib__contact_n_addrs(c); i++)
        if (cib__streq(c->more->addrs[i], strlen(c->more->addrs[i]), addr, len))
            return 1;
    return 0;
}

cib__contact *cib__contact_by_address(cib_ctx *ctx, const char *addr, size_t len)
{
    void *c = NULL;
    if (!cib__fptab_find(&ctx->contact_index, addr_fp(ctx, addr, len), &c))
        return NULL;
    /* Confirm: a fingerprint is not the address itself. */
    return has_address(c, addr, len) ? c : NULL;
}

cib__fp cib__contact_prefetch_slot(cib_ctx *ctx, const char *addr, size_t len)
{
    cib__fp fp = addr_fp(ctx, addr, len);
    cib__fptab_prefetch(&ctx->contact_index, fp);
    return fp;
}

void cib__contact_prefetch(cib_ctx *ctx, cib__fp fp)
{
    void *c = NULL;
#if defined(__GNUC__)
    if (cib__fptab_find(&ctx->contact_index, fp, &c))
        __builtin_prefetch(c);
#else
    (void)ctx;
    (void)fp;
    (void)c;
#endif
}

const char *cib__contact_address_for(const cib__contact *c, const cib__channel *ch)
{
    if (ch->type == CIB_CHANNEL_EMAIL || ch->type == CIB_CHANNEL_FALLBACK_EMAIL ||
        ch->type == CIB_CHANNEL_FORM)
        return c->email;
    char prefix[CIB__ID_MAX + 16];
    size_t n = ch->type == CIB_CHANNEL_CHAT ? join(prefix, "visitor", NULL, 0, "", 0)
                                            : cib__address(prefix, ch, "", 0, 0);
    for (size_t i = 0; i < cib__contact_n_addrs(c); i++)
        if (strncmp(c->more->addrs[i], prefix, n) == 0)
            return c->more->addrs[i] + n;
    return ch->type == CIB_CHANNEL_CHAT ? c->email : NULL;
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
    if (!e->n)
        return CIB_OK;
    char addr[CIB__EMAIL_MAX + 8];
    size_t n = join(addr, "email", NULL, 0, e->s, e->n);
    cib__contact *other = cib__contact_by_address(ctx, addr, n);
    if (other && other != self)
        return cib__fail(ctx, CIB_ECONFLICT, "email '%s' is already the email of contact '%s'",
                         e->s, other->id);
    return CIB_OK;
}

static void contact_free(cib_ctx *ctx, cib__contact *c)
{
    if (!c)
        return;
    cib__free(&ctx->mem, c->more);
    cib__free(&ctx->mem, c->email);
    cib__free(&ctx->mem, c);
}

/* One block: the header, n address pointers, the addresses. NULL when out
 * of memory. */
static cib__contact_more *more_new(cib_ctx *ctx, const cib__str *addrs, size_t n)
{
    size_t size = sizeof(cib__contact_more) + n * sizeof(char *);
    for (size_t i = 0; i < n; i++)
        size += addrs[i].n + 1;
    cib__contact_more *m = cib__calloc(&ctx->mem, 1, size);
    if (!m)
        return NULL;
    char *at = (char *)&m->addrs[n];
    for (size_t i = 0; i < n; i++) {
        m->addrs[i] = at;
        memcpy(at, addrs[i].p, addrs[i].n);
        at[addrs[i].n] = '\0';
        at += addrs[i].n + 1;
    }
    m->n_addrs = (uint32_t)n;
    return m;
}

int cib__contact_window_reserve(cib_ctx *ctx, cib__contact *c)
{
    if (!c->more && !(c->more = more_new(ctx, NULL, 0)))
        return cib__nomem(ctx);
    return CIB_OK;
}

void cib__contact_window_set(cib__contact *c, int64_t at, int extra)
{
    c->more->window_at = at;
    c->more->window_extra = extra != 0;
}

/* Create a contact and add it to the contacts table (not to the address
 * index). `addrs` are canonical learned addresses. Fallible; on failure
 * nothing changed. */
static int contact_create(cib_ctx *ctx, cib__str id, const cib__email *email, cib__user *owner,
                          const cib__str *addrs, size_t n_addrs, int64_t created_at,
                          cib__contact **out)
{
    cib__contact *c = cib__malloc(&ctx->mem, offsetof(cib__contact, id) + id.n + 1);
    if (!c)
        return cib__nomem(ctx);
    memset(c, 0, offsetof(cib__contact, id));
    memcpy(c->id, id.p, id.n);
    c->id[id.n] = '\0';
    c->id_len = (uint32_t)id.n;
    c->email = email->n ? cib__strndup(&ctx->mem, email->s, email->n) : NULL;
    c->owner = owner;
    c->created_at = created_at;
    int ok = c->email || !email->n;
    if (ok && n_addrs)
        ok = (c->more = more_new(ctx, addrs, n_addrs)) != NULL;
    if (ok)
        CIB_HASH_ADD(&ctx->mem, ctx->seed, hh, ctx->contacts, c->id, c->id_len, c, ok);
    if (!ok) {
        contact_free(ctx, c);
        return cib__nomem(ctx);
    }
    if (c->owner)
        c->owner->n_owned++;
    *out = c;
    return CIB_OK;
}

int cib__contact_reserve(cib_ctx *ctx, size_t n)
{
    if (cib__fptab_reserve(&ctx->mem, &ctx->contact_index, n))
        return cib__nomem(ctx);
    return CIB_OK;
}

static void index_email(cib_ctx *ctx, cib__contact *c, int add)
{
    char addr[CIB__EMAIL_MAX + 8];
    size_t n = join(addr, "email", NULL, 0, c->email, strlen(c->email));
    if (add)
        cib__fptab_insert(&ctx->contact_index, addr_fp(ctx, addr, n), c);
    else
        cib__fptab_remove(&ctx->contact_index, addr_fp(ctx, addr, n));
}

static void index_all(cib_ctx *ctx, cib__contact *c, int add)
{
    if (c->email)
        index_email(ctx, c, add);
    for (size_t i = 0; i < cib__contact_n_addrs(c); i++) {
        cib__fp fp = addr_fp(ctx, c->more->addrs[i], strlen(c->more->addrs[i]));
        if (add)
            cib__fptab_insert(&ctx->contact_index, fp, c);
        else
            cib__fptab_remove(&ctx->contact_index, fp);
    }
}

void cib__contact_index(cib_ctx *ctx, cib__contact *c)
{
    index_all(ctx, c, 1);
}

void cib__contact_discard(cib_ctx *ctx, cib__contact *c)
{
    if (c->owner)
        c->owner->n_owned--;
    CIB_HASH_DEL(&ctx->mem, hh, ctx->contacts, c);
    contact_free(ctx, c);
}

/* ---- the same steps inside an op, with their undo (op.h) ---- */

static void undo_create(cib_ctx *ctx, const cib__undo *u)
{
    cib__contact_discard(ctx, u->p);
}

int cib__contact_create_auto_op(cib__op *op, uint64_t number, const char *addr, size_t len,
                                int64_t now, cib__contact **out)
{
    int rc = cib__contact_create_auto(op->ctx, number, addr, len, now, out);
    if (!rc && (rc = cib__op_undo(op, undo_create, *out, NULL, 0, 0)))
        cib__contact_discard(op->ctx, *out);
    return rc;
}

static void undo_index(cib_ctx *ctx, const cib__undo *u)
{
    index_all(ctx, u->p, 0);
}

int cib__contact_index_op(cib__op *op, cib__contact *c)
{
    int rc = cib__op_undo(op, undo_index, c, NULL, 0, 0);
    if (!rc)
        index_all(op->ctx, c, 1);
    return rc;
}

/* Remove an indexed contact from memory. */
static void contact_destroy(cib_ctx *ctx, cib__contact *c)
{
    index_all(ctx, c, 0);
    cib__contact_discard(ctx, c);
}

int cib__contact_create_auto(cib_ctx *ctx, uint64_t number, const char *addr, size_t len,
                             int64_t now, cib__contact **out)
{
    char id[32] = "cib:c";
    cib__str sid = {id, 5 + cib__id_key(number, id + 5)};
    cib__email email = {"", 0};
    cib__str learned = {addr, len};
    if (len > 6 && memcmp(addr, "email\n", 6) == 0) {
        memcpy(email.s, addr + 6, len - 6);
        email.s[len - 6] = '\0';
        email.n = len - 6;
        return contact_create(ctx, sid, &email, NULL, NULL, 0, now, out);
    }
    return contact_create(ctx, sid, &email, NULL, &learned, 1, now, out);
}

cib__contact_state cib__contact_state_of(const cib__contact *c)
{
    cib__contact_state st = {c->email, c->owner, cib__contact_window_at(c),
                             cib__contact_window_extra(c)};
    return st;
}

int cib__contact_write(cib_ctx *ctx, const cib__contact *c, const cib__contact_state *st)
{
    if (!cib__store_keeps(ctx, CIB_KIND_CONTACT))
        return CIB_OK;
    cib__contact_state own = cib__contact_state_of(c);
    if (!st)
        st = &own;
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_CONTACT, c->id, c->id_len);
    cib__rowb_text(&b, "email", st->email);
    cib__rowb_text(&b, "owner", st->owner ? st->owner->id : NULL);
    cib__rowb_int(&b, "created_at", c->created_at);
    cib__rowb_list(&b, "addresses", c->more ? (const char *const *)c->more->addrs : NULL, NULL,
                   cib__contact_n_addrs(c));
    cib__rowb_int(&b, "window_at", st->window_at);
    cib__rowb_int(&b, "window_extra", st->window_extra != 0);
    return cib__tx_put(ctx, &b.row);
}

static int spec_from_def(cib_ctx *ctx, const cib_contact_def *def, contact_spec *s)
{
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    int rc = cib__def_read(ctx, "def", def, sizeof d, &d);
    if (!rc)
        rc = spec_check(ctx, s, d.id, d.id_len, d.email, d.email_len, d.owner, d.owner_len);
    if (!rc && s->id.n >= 4 && memcmp(s->id.p, "cib:", 4) == 0)
        rc = cib__fail(ctx, CIB_EINVAL,
                       "invalid argument: 'id' begins with 'cib:', which is reserved for the "
                       "contacts cib_ingest() creates");
    return rc;
}

int cib_contact_add(cib_ctx *ctx, const cib_contact_def *def)
{
    CIB__ENTER_WRITE(ctx, "cib_contact_add");
    contact_spec s;
    int rc = spec_from_def(ctx, def, &s);
    if (rc)
        return rc;
    if (cib__contact_find(ctx, s.id.p, s.id.n))
        return cib__fail(ctx, CIB_ECONFLICT, "contact '%.*s' already exists", (int)s.id.n, s.id.p);
    int64_t now;
    if ((rc = email_available(ctx, &s.email, NULL)) || (rc = cib__cap_contact(ctx)) ||
        (rc = cib__now(ctx, &now)) || (rc = cib__contact_reserve(ctx, 1)))
        return rc;
    cib__contact *c;
    if ((rc = contact_create(ctx, s.id, &s.email, s.owner, NULL, 0, now, &c)))
        return rc;
    cib__op op;
    if (!(rc = cib__op_begin(ctx, &op)))
        rc = cib__op_end(&op, cib__contact_write(ctx, c, NULL));
    if (rc) {
        cib__contact_discard(ctx, c);
        return rc;
    }
    cib__contact_index(ctx, c);
    return CIB_OK;
}

int cib_contact_update(cib_ctx *ctx, const cib_contact_def *def)
{
    CIB__ENTER_WRITE(ctx, "cib_contact_update");
    contact_spec s;
    int rc = spec_from_def(ctx, def, &s);
    if (rc)
        return rc;
    cib__contact *c = cib__contact_find(ctx, s.id.p, s.id.n);
    if (!c)
        return cib__fail(ctx, CIB_ENOTFOUND, "contact '%.*s' not found", (int)s.id.n, s.id.p);
    if ((rc = email_available(ctx, &s.email, c)) || (rc = cib__contact_reserve(ctx, 1)))
        return rc;
    int changed = !cib__streq(c->email ? c->email : "", c->email ? strlen(c->email) : 0, s.email.s,
                              s.email.n);
    char *email = NULL;
    if (changed && s.email.n && !(email = cib__strndup(&ctx->mem, s.email.s, s.email.n)))
        return cib__nomem(ctx);
    cib__contact_state next = cib__contact_state_of(c);
    next.email = changed ? email : c->email;
    next.owner = s.owner;
    cib__op op;
    if (!(rc = cib__op_begin(ctx, &op)))
        rc = cib__op_end(&op, cib__contact_write(ctx, c, &next));
    if (rc) {
        cib__free(&ctx->mem, email);
        return rc;
    }
    if (changed) {
        if (c->email)
            index_email(ctx, c, 0);
        cib__free(&ctx->mem, c->email);
        c->email = email;
        if (c->email)
            index_email(ctx, c, 1);
    }
    if (c->owner)
        c->owner->n_owned--;
    if ((c->owner = s.owner))
        c->owner->n_owned++;
    return CIB_OK;
}

static int count_row(cib_ctx *ctx, const cib_row *row, void *arg)
{
    (void)ctx;
    (void)row;
    ++*(size_t *)arg;
    return 1; /* one is enough */
}

static int contact_arg(cib_ctx *ctx, const char *id, size_t id_len, cib__contact **out)
{
    cib__str sid;
    int rc = cib__arg_id(ctx, "id", id, id_len, &sid);
    if (!rc && !(*out = cib__contact_find(ctx, sid.p, sid.n)))
        rc = cib__fail(ctx, CIB_ENOTFOUND, "contact '%.*s' not found", (int)sid.n, sid.p);
    return rc;
}

int cib_contact_remove(cib_ctx *ctx, const char *id, size_t id_len)
{
    CIB__ENTER_WRITE(ctx, "cib_contact_remove");
    cib__contact *c;
    int rc = contact_arg(ctx, id, id_len, &c);
    if (rc)
        return rc;
    size_t convs = 0;
    rc =
        cib__store_find(ctx, CIB_KIND_CONVERSATION, "contact", c->id, c->id_len, count_row, &convs);
    if (rc && rc != 1)
        return rc;
    cib__conv *cv, *tmp;
    if (ctx->store_skips_open && !convs) /* open ones are in memory only */
        HASH_ITER (hh, ctx->convs, cv, tmp)
            if (cv->contact == c && ++convs)
                break;
    if (convs)
        return cib__fail(ctx, CIB_ECONFLICT, "contact '%s' has conversations and cannot be removed",
                         c->id);
    cib__op op;
    if (!(rc = cib__op_begin(ctx, &op)))
        rc = cib__op_end(&op, cib__tx_del(ctx, CIB_KIND_CONTACT, c->id, c->id_len));
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
    cib__contact *c;
    int rc = contact_arg(ctx, id, id_len, &c);
    if (rc)
        return rc;
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
    char addr[CIB__EMAIL_MAX + 8];
    size_t n = join(addr, "email", NULL, 0, e.s, e.n);
    cib__contact *c = cib__contact_by_address(ctx, addr, n);
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
        cib__contact_state next = cib__contact_state_of(c);
        next.owner = NULL;
        int rc = cib__contact_write(ctx, c, &next);
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

/* A stored learned address: one of the forms in contact.h, not email. */
static int address_ok(const char *a, size_t n)
{
    const char *nl = memchr(a, '\n', n);
    if (!nl)
        return 0;
    size_t w = (size_t)(nl - a), rest = n - w - 1;
    for (size_t k = 1; k < sizeof kind_words / sizeof kind_words[0]; k++) {
        if (!cib__streq(a, w, kind_words[k], strlen(kind_words[k])))
            continue;
        const char *nl2 = memchr(nl + 1, '\n', rest);
        if (k == 1)
            return rest > 0 && !nl2;
        return nl2 && nl2 > nl + 1 && nl2 < a + n - 1 && !memchr(nl2 + 1, '\n', a + n - nl2 - 1);
    }
    return 0;
}

int cib__contact_load(cib_ctx *ctx, const cib_row *row)
{
    cib__str email, owner;
    int64_t created_at, window_at, window_extra;
    const cib_field *addrs;
    int rc = cib__row_text(ctx, row, "email", 1, &email);
    if (!rc)
        rc = cib__row_text(ctx, row, "owner", 1, &owner);
    if (!rc)
        rc = cib__row_time(ctx, row, "created_at", 0, &created_at);
    if (!rc)
        rc = cib__row_time(ctx, row, "window_at", 0, &window_at);
    if (!rc)
        rc = cib__row_int(ctx, row, "window_extra", &window_extra);
    if (!rc)
        rc = cib__row_list(ctx, row, "addresses", &addrs);
    if (rc)
        return rc;
    contact_spec s;
    cib__str learned[MAX_ADDRS];
    rc = spec_check(ctx, &s, row->key, row->key_len, email.p, email.n, owner.p, owner.n);
    if (!rc && cib__contact_find(ctx, s.id.p, s.id.n))
        rc = cib__fail(ctx, CIB_ECONFLICT, "the id is stored twice");
    if (!rc)
        rc = email_available(ctx, &s.email, NULL);
    if (!rc && addrs->n_items > MAX_ADDRS)
        rc = cib__fail(ctx, CIB_EINVAL, "more than %d addresses", MAX_ADDRS);
    for (size_t i = 0; !rc && i < addrs->n_items; i++) {
        learned[i].p = addrs->items[i];
        learned[i].n = addrs->item_lens ? addrs->item_lens[i] : strlen(addrs->items[i]);
        if (!address_ok(learned[i].p, learned[i].n) ||
            cib__contact_by_address(ctx, learned[i].p, learned[i].n))
            rc = cib__fail(ctx, CIB_EINVAL, "address %zu is malformed or another contact's", i);
    }
    if (rc)
        return cib__row_refused(ctx, row, rc);
    cib__contact *c;
    if ((rc = cib__contact_reserve(ctx, addrs->n_items + 1)) ||
        (rc =
             contact_create(ctx, s.id, &s.email, s.owner, learned, addrs->n_items, created_at, &c)))
        return rc;
    if ((window_at || window_extra) && (rc = cib__contact_window_reserve(ctx, c))) {
        cib__contact_discard(ctx, c);
        return rc;
    }
    if (c->more)
        cib__contact_window_set(c, window_at, window_extra != 0);
    cib__contact_index(ctx, c);
    return CIB_OK;
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
        cib__buf_fmt(b, " created_at=%lld window=%lld/%d addresses=[", (long long)c->created_at,
                     (long long)cib__contact_window_at(c), cib__contact_window_extra(c));
        for (size_t i = 0; i < cib__contact_n_addrs(c); i++) {
            if (i)
                cib__buf_str(b, ",");
            cib__buf_quote(b, c->more->addrs[i], strlen(c->more->addrs[i]));
        }
        cib__buf_str(b, "]\n");
    }
}

void cib__contact_free_all(cib_ctx *ctx)
{
    cib__contact *c, *tmp;
    HASH_ITER (hh, ctx->contacts, c, tmp) {
        cib__contact_discard(ctx, c);
    }
    cib__fptab_free(&ctx->mem, &ctx->contact_index);
}
