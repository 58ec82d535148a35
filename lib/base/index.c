/* index.c - resolving lists of host ids to objects, and back. */
#include "index.h"

#include "error.h"

int cib__list_resolve(cib_ctx *ctx, const cib__list_ops *ops, const char *arg,
                      const char *const *ids, const size_t *lens, size_t n, void **out)
{
    *out = NULL;
    if (n && !ids)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: '%s' is NULL but its count is %zu",
                         arg, n);
    if (n == 0)
        return CIB_OK;
    void *arr = cib__calloc(&ctx->mem, n, ops->elem_size);
    if (!arr)
        return cib__nomem(ctx);
    int rc = CIB_OK;
    size_t i;
    for (i = 0; i < n && rc == CIB_OK; i++) {
        cib__str s;
        rc = cib__arg_item(ctx, arg, ids, lens, i, ctx->lim.max_id_len, &s);
        if (rc)
            break;
        void *obj = ops->find(ctx, s.p, s.n);
        if (!obj) {
            rc = cib__fail(ctx, CIB_ENOTFOUND, "'%s[%zu]' names unknown %s '%.*s'", arg, i,
                           ops->what, (int)s.n, s.p);
        } else if (*ops->mark(obj)) {
            rc = cib__fail(ctx, CIB_EINVAL, "invalid argument: '%s[%zu]' lists %s '%.*s' twice",
                           arg, i, ops->what, (int)s.n, s.p);
        } else {
            *ops->mark(obj) = 1;
            ops->set(arr, i, obj);
        }
    }
    /* Clear the marks of the objects resolved before any failure. */
    for (size_t k = 0; k < n; k++) {
        void *obj = ops->get(arr, k);
        if (obj)
            *ops->mark(obj) = 0;
    }
    if (rc) {
        cib__free(&ctx->mem, arr);
        return rc;
    }
    *out = arr;
    return CIB_OK;
}

int cib__list_ids(cib_ctx *ctx, const cib__list_ops *ops, const void *array, size_t n,
                  const void *skip, cib__idlist *out)
{
    int rc = cib__idlist_init(ctx, out, n);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const void *obj = ops->get(array, i);
        if (obj == skip)
            continue;
        size_t len;
        const char *id = ops->id(obj, &len);
        cib__idlist_push(out, id, len);
    }
    return CIB_OK;
}

int cib__idlist_init(cib_ctx *ctx, cib__idlist *l, size_t cap)
{
    l->n = 0;
    l->items = NULL;
    l->lens = NULL;
    if (cap == 0)
        return CIB_OK; /* nothing to hold: no allocation */
    if (cap > SIZE_MAX / (sizeof(char *) + sizeof(size_t)))
        return cib__nomem(ctx);
    void *p = cib__malloc(&ctx->mem, cap * (sizeof(char *) + sizeof(size_t)));
    if (!p)
        return cib__nomem(ctx);
    l->items = p;
    l->lens = (size_t *)(l->items + cap);
    return CIB_OK;
}

void cib__idlist_push(cib__idlist *l, const char *s, size_t n)
{
    l->items[l->n] = s;
    l->lens[l->n] = n;
    l->n++;
}

void cib__idlist_free(cib_ctx *ctx, cib__idlist *l)
{
    cib__free(&ctx->mem, l->items);
    l->items = NULL;
    l->lens = NULL;
    l->n = 0;
}
