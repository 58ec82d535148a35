/* props.h - key=value property sets (R-CHAN-10): immutable, shared. */
#ifndef CIB_PROPS_H
#define CIB_PROPS_H

#include "store.h"

/* Properties per set, at most. */
#define CIB__MAX_PROPS 64

/*
 * A checked set from parallel arrays (lens may be NULL: NUL-terminated).
 * Keys: 1..64 bytes of [A-Za-z0-9_.-], unique. Values: text without control
 * characters, at most max_name_len bytes, may be empty. `arg` names the
 * arrays in messages. *out is NULL for an empty set. CIB_OK, CIB_EINVAL,
 * CIB_ENOMEM.
 */
int cib__props_make(cib_ctx *ctx, const char *arg, const char *const *keys, const size_t *key_lens,
                    const char *const *values, const size_t *value_lens, size_t n,
                    cib__props **out);
/* The same from a stored row's property_keys and property_values. */
int cib__props_load(cib_ctx *ctx, const cib_row *row, cib__props **out);
/* As cib__props_load(), but when the row holds exactly the properties of
 * one of sets[0..n) (entries may be NULL), a new reference to that set: no
 * copy. Sets are immutable, so sharing them is safe. */
int cib__props_load_shared(cib_ctx *ctx, const cib_row *row, cib__props *const *sets, size_t n,
                           cib__props **out);
/* Add property_keys and property_values to a row. */
void cib__props_row(cib__rowb *b, const cib__props *p);
/* The same with other field names. */
int cib__props_load_as(cib_ctx *ctx, const cib_row *row, const char *keys, const char *values,
                       cib__props **out);
void cib__props_row_as(cib__rowb *b, const char *keys, const char *values, const cib__props *p);

/* Take and release a reference (NULL is the empty set). */
cib__props *cib__props_ref(cib__props *p);
void cib__props_unref(cib_ctx *ctx, cib__props *p);
/* Number of properties (0 for NULL). */
size_t cib__props_count(const cib__props *p);

#endif
