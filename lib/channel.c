/* channel.c - channels: link to an inbox, external addresses, status. */
#include "channel.h"

#include <string.h>

#include "error.h"
#include "inbox.h"

typedef struct channel_spec {
    cib__str id;
    cib__inbox *inbox;
    int type, status;
    cib__str address; /* not normalised */
    cib__email email; /* email and fallback email: the normalised address */
    cib__str sender;  /* fallback email: the sender name */
} channel_spec;

cib__channel *cib__channel_find(cib_ctx *ctx, const char *id, size_t len)
{
    cib__channel *ch = NULL;
    CIB_HASH_FIND(ctx->seed, hh, ctx->channels, id, len, ch);
    return ch;
}

static int is_email_type(int type)
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
    if (is_email_type(s->type)) {
        *len = s->email.n;
        return s->email.n ? s->email.s : NULL;
    }
    *len = s->address.n;
    return s->address.p;
}

/* Check a spec against the account: the inbox, the address, the sender. */
static int spec_check(cib_ctx *ctx, channel_spec *s, const char *inbox, size_t inbox_len,
                      const char *address, size_t address_len, const char *sender,
                      size_t sender_len)
{
    cib__str sinbox;
    int rc = cib__arg_id(ctx, "inbox", inbox, inbox_len, &sinbox);
    if (rc)
        return rc;
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
    s->sender.p = NULL;
    s->sender.n = 0;
    if (is_email_type(s->type))
        rc = cib__arg_email(ctx, "address", address, address_len, !required, &s->email);
    else
        rc = cib__check_text(ctx, "address", -1, address, address_len, ctx->lim.max_id_len,
                             required ? 0 : CIB__TEXT_OPTIONAL, &s->address);
    if (!rc && s->type == CIB_CHANNEL_FALLBACK_EMAIL)
        rc = cib__check_text(ctx, "sender_name", -1, sender, sender_len, ctx->lim.max_name_len,
                             CIB__TEXT_OPTIONAL, &s->sender);
    else if (!rc && sender)
        rc = cib__fail(ctx, CIB_EINVAL,
                       "invalid argument: 'sender_name' is only for fallback email channels");
    if (rc)
        return rc;
    if (!(s->inbox = cib__inbox_find(ctx, sinbox.p, sinbox.n)))
        return cib__fail(ctx, CIB_ENOTFOUND, "inbox '%.*s' not found", (int)sinbox.n, sinbox.p);
    if (s->type == CIB_CHANNEL_FALLBACK_EMAIL && !s->sender.p) {
        s->sender.p = s->inbox->name;
        s->sender.n = s->inbox->name_len;
    }
    return CIB_OK;
}

/* R-CHAN-2 and R-CHAN-5: the address and the fallback sender name are free. */
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
        cib__user *u =
            is_email_type(s->type) ? cib__ref_find(ctx->seed, ctx->user_emails, addr, len) : NULL;
        if (u)
            return cib__fail(ctx, CIB_ECONFLICT,
                             "address '%.*s' is the email of user '%s'; a team email may not be "
                             "a user's own address",
                             (int)len, addr, u->id);
    }
    if (s->type != CIB_CHANNEL_FALLBACK_EMAIL)
        return CIB_OK;
    cib__channel *ch, *tmp;
    HASH_ITER (hh, ctx->channels, ch, tmp) {
        if (ch->type == CIB_CHANNEL_FALLBACK_EMAIL &&
            cib__ascii_caseeq(ch->sender_name, strlen(ch->sender_name), s->sender.p, s->sender.n))
            return cib__fail(ctx, CIB_ECONFLICT,
                             "sender name '%.*s' is already used by fallback email channel '%s'",
                             (int)s->sender.n, s->sender.p, ch->id);
    }
    return CIB_OK;
}

static void channel_free(cib_ctx *ctx, cib__channel *ch)
{
    if (!ch)
        return;
    cib__free(&ctx->mem, ch->id);
    cib__free(&ctx->mem, ch->address);
    cib__free(&ctx->mem, ch->sender_name);
    cib__free(&ctx->mem, ch);
}

void cib__channel_destroy(cib_ctx *ctx, cib__channel *ch)
{
    cib__ref_del(&ctx->mem, &ctx->channel_addrs, ch->addr_ref);
    CIB_HASH_DEL(&ctx->mem, hh, ctx->channels, ch);
    channel_free(ctx, ch);
}

/* Create and index a channel (not yet in its inbox's array). Fallible; on
 * failure nothing changed. */
static int channel_create(cib_ctx *ctx, const channel_spec *s, int64_t created_at,
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
    ch->status = s->status;
    ch->created_at = created_at;
    ch->address = addr ? cib__strndup(&ctx->mem, addr, alen) : NULL;
    ch->sender_name = s->sender.p ? cib__strndup(&ctx->mem, s->sender.p, s->sender.n) : NULL;
    int ok = 0;
    if (ch->id && (ch->address || !addr) && (ch->sender_name || !s->sender.p))
        CIB_HASH_ADD(&ctx->mem, ctx->seed, hh, ctx->channels, ch->id, ch->id_len, ch, ok);
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
    *out = ch;
    return CIB_OK;
}

static int channel_put(cib_ctx *ctx, const cib__channel *ch)
{
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_CHANNEL, ch->id, ch->id_len);
    cib__rowb_textn(&b, "inbox", ch->inbox->id, ch->inbox->id_len);
    cib__rowb_text(&b, "type", cib__channel_type_name(ch->type));
    cib__rowb_text(&b, "address", ch->address);
    cib__rowb_text(&b, "status", cib__channel_status_name(ch->status));
    cib__rowb_text(&b, "sender_name", ch->sender_name);
    cib__rowb_int(&b, "created_at", ch->created_at);
    return cib__tx_put(ctx, &b.row);
}

/* How channel_install() writes the new channel's row. */
enum { WRITE_NONE, WRITE_IN_TX, WRITE_OWN_TX };

/* Create a channel, write it (see above) and add it to its inbox. The inbox's
 * array is swapped in last, after the commit, so on failure nothing is left
 * in memory. */
static int channel_install(cib_ctx *ctx, const channel_spec *s, int64_t created_at, int write)
{
    cib__channel *ch;
    int rc = channel_create(ctx, s, created_at, &ch);
    if (rc)
        return rc;
    cib__channel **arr = cib__inbox_channels_with(ctx, s->inbox, ch);
    rc = arr ? CIB_OK : cib__nomem(ctx);
    if (!rc && write == WRITE_IN_TX)
        rc = channel_put(ctx, ch);
    if (!rc && write == WRITE_OWN_TX && !(rc = cib__tx_begin(ctx)))
        rc = cib__tx_end(ctx, channel_put(ctx, ch));
    if (rc) {
        cib__free(&ctx->mem, arr);
        cib__channel_destroy(ctx, ch);
        return rc;
    }
    cib__inbox_set_channels(ctx, s->inbox, arr);
    return CIB_OK;
}

int cib_channel_add(cib_ctx *ctx, const cib_channel_def *def)
{
    CIB__ENTER_WRITE(ctx, "cib_channel_add");
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    channel_spec s;
    int rc = cib__def_read(ctx, "def", def, sizeof d, &d);
    if (!rc)
        rc = cib__arg_id(ctx, "id", d.id, d.id_len, &s.id);
    if (rc)
        return rc;
    s.type = d.type;
    s.status = d.status;
    rc = spec_check(ctx, &s, d.inbox, d.inbox_len, d.address, d.address_len, d.sender_name,
                    d.sender_name_len);
    if (!rc)
        rc = spec_available(ctx, &s);
    if (rc)
        return rc;
    return channel_install(ctx, &s, cib__now(ctx), WRITE_OWN_TX);
}

int cib__channel_create_fallback(cib_ctx *ctx, cib__inbox *ib, const char *id,
                                 const char *sender_name)
{
    channel_spec s;
    memset(&s, 0, sizeof s);
    s.id.p = id;
    s.id.n = strlen(id);
    s.type = CIB_CHANNEL_FALLBACK_EMAIL;
    s.status = CIB_CHANNEL_ENABLED;
    int rc = spec_check(ctx, &s, ib->id, ib->id_len, NULL, 0, sender_name, CIB_NTS);
    if (!rc)
        rc = spec_available(ctx, &s);
    return rc ? rc : channel_install(ctx, &s, ib->created_at, WRITE_IN_TX);
}

static int find_arg(cib_ctx *ctx, const char *id, size_t id_len, cib__channel **out)
{
    cib__str sid;
    int rc = cib__arg_id(ctx, "id", id, id_len, &sid);
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
    int rc = find_arg(ctx, id, id_len, &ch);
    if (rc)
        return rc;
    if (!cib__channel_status_name(status))
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'status' is %d, not a cib_channel_status", status);
    cib__channel next = *ch;
    next.status = status;
    rc = cib__tx_begin(ctx);
    if (rc == CIB_OK)
        rc = cib__tx_end(ctx, channel_put(ctx, &next));
    if (rc == CIB_OK)
        ch->status = status;
    return rc;
}

int cib_channel_get(cib_ctx *ctx, const char *id, size_t id_len, cib_channel_info *out)
{
    CIB__ENTER(ctx);
    CIB__NOT_NULL(ctx, out, "out");
    cib__channel *ch;
    int rc = find_arg(ctx, id, id_len, &ch);
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
    return cib__info_write(ctx, "out", out, &info, sizeof info);
}

int cib__channel_write_delete(cib_ctx *ctx, const cib__channel *ch)
{
    return cib__tx_del(ctx, CIB_KIND_CHANNEL, ch->id, ch->id_len);
}

int cib__channel_load(cib_ctx *ctx, const cib_row *row)
{
    cib__str inbox, type, address, status, sender;
    int64_t created_at;
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
        rc = cib__row_int(ctx, row, "created_at", &created_at);
    if (rc)
        return rc;
    channel_spec s;
    s.type = cib__channel_type_parse(type);
    s.status = cib__channel_status_parse(status);
    rc = cib__arg_id(ctx, "id", row->key, row->key_len, &s.id);
    if (!rc)
        rc = spec_check(ctx, &s, inbox.p, inbox.n, address.p, address.n, sender.p, sender.n);
    if (!rc)
        rc = spec_available(ctx, &s);
    if (rc)
        return cib__row_refused(ctx, row, rc);
    return channel_install(ctx, &s, created_at, WRITE_NONE);
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
        if (ch->address)
            cib__buf_quote(b, ch->address, strlen(ch->address));
        else
            cib__buf_str(b, "-");
        cib__buf_str(b, " sender_name=");
        if (ch->sender_name)
            cib__buf_quote(b, ch->sender_name, strlen(ch->sender_name));
        else
            cib__buf_str(b, "-");
        cib__buf_fmt(b, " created_at=%lld\n", (long long)ch->created_at);
    }
}

void cib__channel_free_all(cib_ctx *ctx)
{
    cib__channel *ch, *tmp;
    HASH_ITER (hh, ctx->channels, ch, tmp) {
        cib__channel_destroy(ctx, ch);
    }
}
