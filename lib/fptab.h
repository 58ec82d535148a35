/*
 * fptab.h - open-addressing tables keyed by 128-bit fingerprints.
 *
 * Where a key can be long (an email thread key, a host's message id) and
 * there are millions of them, memory holds only a keyed XXH3-128 fingerprint
 * of it: 16 bytes, plus an optional pointer. The fingerprint's seed is a
 * secret of the account, so chosen keys cannot be made to collide; two
 * different keys share a fingerprint with probability about 2^-128.
 *
 * Linear probing; removal shifts the following entries back, so there are
 * no tombstones. Growing is the only step that allocates: reserve room
 * before a change is committed, then insert and remove cannot fail.
 */
#ifndef CIB_FPTAB_H
#define CIB_FPTAB_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

typedef struct cib__fp {
    uint64_t lo, hi; /* never both zero: {0, 0} marks a free slot */
} cib__fp;

typedef struct cib__fptab {
    unsigned char *slots; /* cap slots of `stride` bytes: fingerprint, value */
    size_t cap;           /* a power of two, or 0 */
    size_t count;
    size_t stride; /* 16, or 24 with a pointer value */
} cib__fptab;

/* The fingerprint of parts[0..n) joined (each part's length is hashed too). */
cib__fp cib__fingerprint(uint64_t seed, const char *const *parts, const size_t *lens, size_t n);

/* with_value: store a pointer with each fingerprint. */
void cib__fptab_init(cib__fptab *t, int with_value);
void cib__fptab_free(const cib__mem *m, cib__fptab *t);
/* Make room for `extra` more entries. CIB_OK or CIB_ENOMEM; on failure the
 * table is unchanged. */
int cib__fptab_reserve(const cib__mem *m, cib__fptab *t, size_t extra);
/* Insert after a reserve; a fingerprint may be present once only. */
void cib__fptab_insert(cib__fptab *t, cib__fp fp, void *value);
/* 1 and *value (if wanted) if present, else 0. */
int cib__fptab_find(const cib__fptab *t, cib__fp fp, void **value);
/* Remove if present; never fails. */
void cib__fptab_remove(cib__fptab *t, cib__fp fp);
/* Replace the value of a present fingerprint. */
void cib__fptab_set(cib__fptab *t, cib__fp fp, void *value);

/* A hint that fp is looked up soon: start loading its home slot. */
void cib__fptab_prefetch(const cib__fptab *t, cib__fp fp);

/* Fingerprint as 32 lower-case hex digits (buf: at least 33 bytes). */
void cib__fp_hex(cib__fp fp, char *buf);
/* Parse 32 hex digits; 0 on success, -1 if malformed. */
int cib__fp_parse(const char *s, size_t n, cib__fp *out);

#endif
