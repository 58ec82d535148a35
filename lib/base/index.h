/*
 * index.h - lists of host ids: resolving them to objects (each must exist and
 * appear once), and writing objects' ids back out for LIST fields.
 */
#ifndef CIB_INDEX_H
#define CIB_INDEX_H

#include "ctx.h"
#include "text.h"

/* How to treat one kind of object in an id list. */
typedef struct cib__list_ops {
    const char *what; /* "user", "team": used in messages */
    void *(*find)(cib_ctx *ctx, const char *id, size_t len);
    unsigned *(*mark)(void *obj); /* scratch flag, 0 between calls */
    const char *(*id)(const void *obj, size_t *len);
    size_t elem_size;                              /* sizeof an array element */
    void (*set)(void *array, size_t i, void *obj); /* array[i] = obj */
    void *(*get)(const void *array, size_t i);     /* array[i] */
} cib__list_ops;

/*
 * Resolve ids[0..n) (lens may be NULL: NUL-terminated): each must name an
 * object (CIB_ENOTFOUND) and appear once (CIB_EINVAL). *out is a new array of
 * n objects (NULL when n is 0), freed by the caller with cib__free().
 */
int cib__list_resolve(cib_ctx *ctx, const cib__list_ops *ops, const char *arg,
                      const char *const *ids, const size_t *lens, size_t n, void **out);

/* Temporary id lists for LIST fields. */
typedef struct cib__idlist {
    const char **items;
    size_t *lens;
    size_t n;
} cib__idlist;

/* The ids of array[0..n) except `skip`, as a new list. CIB_OK or CIB_ENOMEM. */
int cib__list_ids(cib_ctx *ctx, const cib__list_ops *ops, const void *array, size_t n,
                  const void *skip, cib__idlist *out);
/* Room for cap ids (one allocation). CIB_OK or CIB_ENOMEM (message set). */
int cib__idlist_init(cib_ctx *ctx, cib__idlist *l, size_t cap);
void cib__idlist_push(cib__idlist *l, const char *s, size_t n);
void cib__idlist_free(cib_ctx *ctx, cib__idlist *l);

#endif
