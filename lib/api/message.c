/* message.c - writing and reading message rows. */
#include "message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conversation.h"
#include "error.h"
#include "index.h"

/* "KIND:BYTES:NAME" for each attachment, in one allocation. */
static int attachment_items(cib_ctx *ctx, const cib__msg *m, cib__idlist *out, char **block)
{
    *block = NULL;
    int rc = cib__idlist_init(ctx, out, m->n_attachments);
    if (rc || !m->n_attachments)
        return rc;
    size_t size = 0;
    for (size_t i = 0; i < m->n_attachments; i++)
        size += 40 + (m->attachments[i].name ? m->attachments[i].name_len : 0);
    char *p = *block = cib__malloc(&ctx->mem, size);
    if (!p) {
        cib__idlist_free(ctx, out);
        return cib__nomem(ctx);
    }
    for (size_t i = 0; i < m->n_attachments; i++) {
        const cib_attachment *a = &m->attachments[i];
        int n = sprintf(p, "%s:%llu:", cib__attachment_kind_name(a->kind),
                        (unsigned long long)a->bytes);
        if (a->name)
            memcpy(p + n, a->name, a->name_len);
        size_t len = (size_t)n + (a->name ? a->name_len : 0);
        p[len] = '\0';
        cib__idlist_push(out, p, len);
        p += len + 1;
    }
    return CIB_OK;
}

int cib__message_write(cib_ctx *ctx, const cib__msg *m)
{
    char key[21], conv[21];
    size_t kn = cib__id_key(m->id, key), cn = cib__id_key(m->conv->id, conv);
    cib__idlist atts, cc;
    char *block;
    int rc = attachment_items(ctx, m, &atts, &block);
    if (rc)
        return rc;
    if ((rc = cib__idlist_init(ctx, &cc, m->n_cc))) {
        cib__idlist_free(ctx, &atts);
        cib__free(&ctx->mem, block);
        return rc;
    }
    for (size_t i = 0; i < m->n_cc; i++)
        cib__idlist_push(&cc, m->cc[i].p, m->cc[i].n);
    const cib__inbox *ib = m->conv->channel->inbox;
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_MESSAGE, key, kn);
    cib__rowb_textn(&b, "conversation", conv, cn);
    cib__rowb_textn(&b, "inbox", ib->id, ib->id_len);
    cib__rowb_textn(&b, "channel", m->channel->id, m->channel->id_len);
    cib__rowb_text(&b, "kind", cib__message_kind_name(m->kind));
    if (m->author)
        cib__rowb_textn(&b, "author", m->author->id, m->author->id_len);
    else
        cib__rowb_text(&b, "author", NULL);
    if (m->contact)
        cib__rowb_textn(&b, "contact", m->contact->id, m->contact->id_len);
    else
        cib__rowb_text(&b, "contact", NULL);
    cib__rowb_textn(&b, "msg_id", m->msg_id.p, m->msg_id.n);
    cib__rowb_textn(&b, "text", m->text.p ? m->text.p : "", m->text.n);
    cib__rowb_int(&b, "created_at", m->created_at);
    cib__rowb_textn(&b, "forwarded_by", m->forwarded_by.p, m->forwarded_by.n);
    cib__rowb_list(&b, "cc", cc.items, cc.lens, cc.n);
    cib__rowb_list(&b, "attachments", atts.items, atts.lens, atts.n);
    rc = cib__tx_put(ctx, &b.row);
    cib__idlist_free(ctx, &cc);
    cib__idlist_free(ctx, &atts);
    cib__free(&ctx->mem, block);
    return rc;
}

/* Message ids of a conversation, collected to be sorted. */
struct ids {
    uint64_t *v;
    size_t n, cap;
};

static int collect(cib_ctx *ctx, const cib_row *row, void *arg)
{
    struct ids *ids = arg;
    uint64_t id;
    if (cib__id_parse(row->key, row->key_len, &id))
        return cib__fail(ctx, CIB_ESTORAGE, "store holds a message row whose key is not an id");
    if (ids->n == ids->cap) {
        size_t cap = ids->cap ? ids->cap * 2 : 32;
        uint64_t *v = cib__realloc(&ctx->mem, ids->v, cap * sizeof *v);
        if (!v)
            return cib__nomem(ctx);
        ids->v = v;
        ids->cap = cap;
    }
    ids->v[ids->n++] = id;
    return CIB_OK;
}

static int cmp_id(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

struct deliver {
    cib_message_fn fn;
    void *user_data;
    int stop;
};

static int deliver(cib_ctx *ctx, const cib_row *row, void *arg)
{
    struct deliver *d = arg;
    cib__str conv, channel, kind, author, contact, msg_id, text, fwd;
    int64_t created_at;
    const cib_field *cc, *atts;
    int rc = cib__row_text(ctx, row, "conversation", 0, &conv);
    if (!rc)
        rc = cib__row_text(ctx, row, "channel", 0, &channel);
    if (!rc)
        rc = cib__row_text(ctx, row, "kind", 0, &kind);
    if (!rc)
        rc = cib__row_text(ctx, row, "author", 1, &author);
    if (!rc)
        rc = cib__row_text(ctx, row, "contact", 1, &contact);
    if (!rc)
        rc = cib__row_text(ctx, row, "msg_id", 1, &msg_id);
    if (!rc)
        rc = cib__row_text(ctx, row, "text", 0, &text);
    if (!rc)
        rc = cib__row_time(ctx, row, "created_at", 0, &created_at);
    if (!rc)
        rc = cib__row_text(ctx, row, "forwarded_by", 1, &fwd);
    if (!rc)
        rc = cib__row_list(ctx, row, "cc", &cc);
    if (!rc)
        rc = cib__row_list(ctx, row, "attachments", &atts);
    if (rc)
        return rc;
    /* The host sees NUL-terminated strings: copy the short ones. */
    char cbuf[CIB__ID_MAX + 1], abuf[CIB__ID_MAX + 1], kbuf[CIB__ID_MAX + 1], mbuf[CIB__ID_MAX + 1],
        fbuf[CIB__EMAIL_MAX + 1];
    const cib__str *src[] = {&channel, &author, &contact, &msg_id, &fwd};
    char *dst[] = {cbuf, abuf, kbuf, mbuf, fbuf};
    size_t cap[] = {sizeof cbuf, sizeof abuf, sizeof kbuf, sizeof mbuf, sizeof fbuf};
    for (int i = 0; i < 5; i++) {
        if (src[i]->p && src[i]->n >= cap[i])
            return cib__fail(ctx, CIB_ESTORAGE, "store holds a message with an over-long id");
        if (src[i]->p) {
            memcpy(dst[i], src[i]->p, src[i]->n);
            dst[i][src[i]->n] = '\0';
        }
    }
    char *body = cib__strndup(&ctx->mem, text.p, text.n);
    if (!body)
        return cib__nomem(ctx);
    cib_message_info m;
    memset(&m, 0, sizeof m);
    m.size = sizeof m;
    cib__id_parse(row->key, row->key_len, &m.id);
    cib__id_parse(conv.p, conv.n, &m.conversation);
    m.kind = cib__message_kind_parse(kind);
    m.channel = cbuf;
    m.author = author.p ? abuf : NULL;
    m.contact = contact.p ? kbuf : NULL;
    m.msg_id = msg_id.p ? mbuf : NULL;
    m.text = body;
    m.text_len = text.n;
    m.created_at = created_at;
    m.forwarded_by = fwd.p ? fbuf : NULL;
    m.n_cc = cc->n_items;
    m.n_attachments = atts->n_items;
    ctx->in_callback++;
    d->stop = d->fn(d->user_data, &m);
    ctx->in_callback--;
    cib__free(&ctx->mem, body);
    return CIB_OK;
}

int cib__message_each(cib_ctx *ctx, uint64_t conversation, cib_message_fn fn, void *user_data)
{
    char key[21];
    size_t n = cib__id_key(conversation, key);
    struct ids ids = {NULL, 0, 0};
    int rc = cib__store_find(ctx, CIB_KIND_MESSAGE, "conversation", key, n, collect, &ids);
    if (!rc && ids.n)
        qsort(ids.v, ids.n, sizeof *ids.v, cmp_id);
    struct deliver d = {fn, user_data, 0};
    for (size_t i = 0; !rc && !d.stop && i < ids.n; i++) {
        char mkey[21];
        size_t mn = cib__id_key(ids.v[i], mkey);
        rc = cib__store_get(ctx, CIB_KIND_MESSAGE, mkey, mn, deliver, &d);
        if (rc == CIB_ENOTFOUND)
            rc = cib__fail(ctx, CIB_ESTORAGE, "storage.get lost message %s", mkey);
    }
    cib__free(&ctx->mem, ids.v);
    return rc;
}
