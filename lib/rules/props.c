/* props.c - key=value property sets. */
#include "props.h"

#include <string.h>

#include "error.h"

static int key_ok(const char *k, size_t n)
{
    if (n == 0 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return 0;
    }
    return 1;
}

size_t cib__props_count(const cib__props *p)
{
    return p ? p->n : 0;
}

cib__props *cib__props_ref(cib__props *p)
{
    if (p)
        p->refs++;
    return p;
}

static void props_free(cib_ctx *ctx, cib__props *p)
{
    for (size_t i = 0; i < p->n; i++) {
        cib__free(&ctx->mem, p->keys[i]);
        cib__free(&ctx->mem, p->values[i]);
    }
    cib__free(&ctx->mem, p->keys);
    cib__free(&ctx->mem, p->values);
    cib__free(&ctx->mem, p->key_lens);
    cib__free(&ctx->mem, p->value_lens);
    cib__free(&ctx->mem, p);
}

void cib__props_unref(cib_ctx *ctx, cib__props *p)
{
    if (p && --p->refs == 0)
        props_free(ctx, p);
}

int cib__props_make(cib_ctx *ctx, const char *arg, const char *const *keys, const size_t *key_lens,
                    const char *const *values, const size_t *value_lens, size_t n, cib__props **out)
{
    *out = NULL;
    if (n == 0)
        return CIB_OK;
    if (n > CIB__MAX_PROPS)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: '%s' holds %zu properties; at most %d",
                         arg, n, CIB__MAX_PROPS);
    if (!keys || !values)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: '%s' keys or values are NULL", arg);
    cib__str k[CIB__MAX_PROPS], v[CIB__MAX_PROPS];
    for (size_t i = 0; i < n; i++) {
        int rc = cib__check_text(ctx, "property key", (long)i, keys[i],
                                 key_lens ? key_lens[i] : CIB_NTS, 64, 0, &k[i]);
        if (!rc)
            rc = cib__check_text(ctx, "property value", (long)i, values[i],
                                 value_lens ? value_lens[i] : CIB_NTS, ctx->lim.max_name_len,
                                 CIB__TEXT_EMPTY_OK, &v[i]);
        if (rc)
            return rc;
        if (!key_ok(k[i].p, k[i].n))
            return cib__fail(ctx, CIB_EINVAL,
                             "invalid argument: property key %zu may hold only letters, digits, "
                             "'_', '.' and '-'",
                             i);
        for (size_t j = 0; j < i; j++)
            if (cib__streq(k[j].p, k[j].n, k[i].p, k[i].n))
                return cib__fail(ctx, CIB_EINVAL,
                                 "invalid argument: property key '%.*s' is given twice",
                                 (int)k[i].n, k[i].p);
    }
    cib__props *p = cib__calloc(&ctx->mem, 1, sizeof *p);
    if (!p)
        return cib__nomem(ctx);
    p->refs = 1;
    p->keys = cib__calloc(&ctx->mem, n, sizeof *p->keys);
    p->values = cib__calloc(&ctx->mem, n, sizeof *p->values);
    p->key_lens = cib__calloc(&ctx->mem, n, sizeof *p->key_lens);
    p->value_lens = cib__calloc(&ctx->mem, n, sizeof *p->value_lens);
    int ok = p->keys && p->values && p->key_lens && p->value_lens;
    for (size_t i = 0; ok && i < n; i++) {
        p->keys[i] = cib__strndup(&ctx->mem, k[i].p, k[i].n);
        p->values[i] = cib__strndup(&ctx->mem, v[i].p, v[i].n);
        p->key_lens[i] = k[i].n;
        p->value_lens[i] = v[i].n;
        p->n = i + 1;
        ok = p->keys[i] && p->values[i];
    }
    if (!ok) {
        if (!p->keys || !p->values || !p->key_lens || !p->value_lens)
            p->n = 0;
        props_free(ctx, p);
        return cib__nomem(ctx);
    }
    *out = p;
    return CIB_OK;
}

int cib__props_load(cib_ctx *ctx, const cib_row *row, cib__props **out)
{
    return cib__props_load_as(ctx, row, "property_keys", "property_values", out);
}

int cib__props_load_as(cib_ctx *ctx, const cib_row *row, const char *key_field,
                       const char *value_field, cib__props **out)
{
    const cib_field *keys, *values;
    int rc = cib__row_list(ctx, row, key_field, &keys);
    if (!rc)
        rc = cib__row_list(ctx, row, value_field, &values);
    if (!rc && keys->n_items != values->n_items)
        rc = cib__fail(ctx, CIB_ESTORAGE, "property_keys and property_values differ in length");
    if (!rc)
        rc = cib__props_make(ctx, "properties", keys->items, keys->item_lens, values->items,
                             values->item_lens, keys->n_items, out);
    return rc;
}

/* Does the list hold exactly these strings, in order? */
static int list_is(const cib_field *f, char *const *v, const size_t *lens, size_t n)
{
    if (f->n_items != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = f->item_lens ? f->item_lens[i] : strlen(f->items[i]);
        if (!cib__streq(f->items[i], len, v[i], lens[i]))
            return 0;
    }
    return 1;
}

int cib__props_load_shared(cib_ctx *ctx, const cib_row *row, cib__props *const *sets, size_t n,
                           cib__props **out)
{
    const cib_field *keys, *values;
    int rc = cib__row_list(ctx, row, "property_keys", &keys);
    if (!rc)
        rc = cib__row_list(ctx, row, "property_values", &values);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const cib__props *p = sets[i];
        if (p && list_is(keys, p->keys, p->key_lens, p->n) &&
            list_is(values, p->values, p->value_lens, p->n)) {
            *out = cib__props_ref(sets[i]);
            return CIB_OK;
        }
    }
    return cib__props_load(ctx, row, out);
}

void cib__props_row(cib__rowb *b, const cib__props *p)
{
    cib__props_row_as(b, "property_keys", "property_values", p);
}

void cib__props_row_as(cib__rowb *b, const char *key_field, const char *value_field,
                       const cib__props *p)
{
    cib__rowb_list(b, key_field, p ? (const char *const *)p->keys : NULL, p ? p->key_lens : NULL,
                   cib__props_count(p));
    cib__rowb_list(b, value_field, p ? (const char *const *)p->values : NULL,
                   p ? p->value_lens : NULL, cib__props_count(p));
}
