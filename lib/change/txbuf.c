/* txbuf.c - the changes of an open transaction, copied for apply(). */
#include "txbuf.h"

#include <stdint.h>
#include <string.h>

#include "ctx.h"
#include "error.h"

struct cib__txblock {
    cib__txblock *next;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char bytes[];
};

#define BLOCK_MIN 16384

/* n bytes, aligned for any field, from the newest block or a new one. */
static void *take(cib_ctx *ctx, size_t n)
{
    cib__txbuf *t = &ctx->tx;
    n = (n + (_Alignof(max_align_t) - 1)) & ~(size_t)(_Alignof(max_align_t) - 1);
    cib__txblock *b = t->blocks;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > BLOCK_MIN ? n : BLOCK_MIN;
        if (!(b = cib__malloc(&ctx->mem, sizeof *b + cap)))
            return NULL;
        b->next = t->blocks;
        b->used = 0;
        b->cap = cap;
        t->blocks = b;
    }
    void *p = b->bytes + b->used;
    b->used += n;
    return p;
}

static char *copy_bytes(cib_ctx *ctx, const char *s, size_t n)
{
    char *p = take(ctx, n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Copy one field's value (the name is a constant of the library). */
static int copy_field(cib_ctx *ctx, cib_field *f)
{
    if (f->type == CIB_FIELD_TEXT) {
        if (!(f->text = copy_bytes(ctx, f->text, f->len)))
            return CIB_ENOMEM;
    } else if (f->type == CIB_FIELD_LIST && f->n_items) {
        const char **items = take(ctx, f->n_items * sizeof *items);
        size_t *lens = take(ctx, f->n_items * sizeof *lens);
        if (!items || !lens)
            return CIB_ENOMEM;
        for (size_t i = 0; i < f->n_items; i++) {
            lens[i] = f->item_lens ? f->item_lens[i] : strlen(f->items[i]);
            if (!(items[i] = copy_bytes(ctx, f->items[i], lens[i])))
                return CIB_ENOMEM;
        }
        f->items = items;
        f->item_lens = lens;
    }
    return CIB_OK;
}

int cib__txbuf_add(cib_ctx *ctx, int op, const cib_row *row)
{
    cib__txbuf *t = &ctx->tx;
    /* Where the buffer was: a failure takes back what this call copied. */
    cib__txblock *mark_block = t->blocks;
    size_t mark_used = mark_block ? mark_block->used : 0;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        cib_change *v = cib__realloc(&ctx->mem, t->v, cap * sizeof *v);
        if (!v)
            return cib__nomem(ctx);
        t->v = v;
        t->cap = cap;
    }
    cib_change c = {op, *row};
    size_t nf = op == CIB_CHANGE_DEL ? 0 : row->n_fields;
    cib_field *f = nf ? take(ctx, nf * sizeof *f) : NULL;
    int rc =
        (nf && !f) || !(c.row.key = copy_bytes(ctx, row->key, row->key_len)) ? CIB_ENOMEM : CIB_OK;
    for (size_t i = 0; i < nf && !rc; i++) {
        f[i] = row->fields[i];
        rc = copy_field(ctx, &f[i]);
    }
    if (rc) {
        while (t->blocks != mark_block) {
            cib__txblock *b = t->blocks;
            t->blocks = b->next;
            cib__free(&ctx->mem, b);
        }
        if (mark_block)
            mark_block->used = mark_used;
        return cib__nomem(ctx);
    }
    c.row.fields = f;
    c.row.n_fields = nf;
    t->v[t->n++] = c;
    return CIB_OK;
}

const cib_change *cib__txbuf_find(const cib_ctx *ctx, int kind, const char *key, size_t len)
{
    const cib__txbuf *t = &ctx->tx;
    for (size_t i = t->n; i-- > 0;) {
        const cib_row *r = &t->v[i].row;
        if (r->kind == kind && r->key_len == len && !memcmp(r->key, key, len))
            return &t->v[i];
    }
    return NULL;
}

void cib__txbuf_reset(cib_ctx *ctx)
{
    cib__txbuf *t = &ctx->tx;
    while (t->blocks) {
        cib__txblock *b = t->blocks;
        t->blocks = b->next;
        cib__free(&ctx->mem, b);
    }
    cib__free(&ctx->mem, t->v);
    t->v = NULL;
    t->n = t->cap = 0;
}
