/*
 * fptab.h - open-addressing tables keyed by 128-bit fingerprints.
 *
 * Where a key can be long (an email thread key, a host's message id) and
 * there are millions of them, memory holds only a keyed XXH3-128 fingerprint
 * of it: 16 bytes, plus an optional pointer. Fingerprints that name store
 * rows (DEDUP, THREAD keys) must be the same in every context, so they are
 * keyed by the account's stored salt (ACCOUNT.secret); two different keys
 * share one with probability about 2^-128.
 *
 * Hash flooding. The salt is stored, so it must be assumed known, and XXH3
 * is not built to resist collisions by someone who knows its seed. A table
 * therefore never places a fingerprint by its own bits: its home slot is a
 * keyed hash of the fingerprint under keys drawn from the context's seed,
 * which is fresh in every context and never stored (hash.h). Someone who
 * can compute fingerprints still cannot tell which of them share a slot, so
 * probe runs stay short (the keyed hash is the 64x64->128-bit multiply-fold
 * of wyhash, which Go's runtime uses for the same purpose when it has no
 * AES hash). Fingerprints that are exactly equal are one key to a table, so
 * a full collision cannot grow a run either. The store indexes the stable
 * keys itself (SQLite in a B-tree; the in-memory store hashes them with its
 * own fresh seed), not with our tables.
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
    uint64_t k[3]; /* keys of the home-slot hash, from the context's seed */
} cib__fptab;

/* Keys for cib__fp_keyed() from a seed; `use` tells tables apart. */
void cib__fp_keys(uint64_t seed, uint64_t use, uint64_t k[3]);

static inline uint64_t cib__mum(uint64_t a, uint64_t b)
{
#ifdef __SIZEOF_INT128__
    __extension__ typedef unsigned __int128 u128;
    u128 p = (u128)a * b;
    return (uint64_t)p ^ (uint64_t)(p >> 64);
#else
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    uint64_t lo = (mid << 32) | (uint32_t)ll;
    uint64_t hi = hh + (lh >> 32) + (hl >> 32) + (mid >> 32);
    return lo ^ hi;
#endif
}

/* A keyed 64-bit hash of a fingerprint: two multiply-folds. */
static inline uint64_t cib__fp_keyed(const uint64_t k[3], cib__fp fp)
{
    return cib__mum(cib__mum(fp.lo ^ k[0], fp.hi ^ k[1]) ^ k[2], 0x9e3779b97f4a7c15ull);
}

/* The fingerprint of parts[0..n) joined (each part's length is hashed too). */
cib__fp cib__fingerprint(uint64_t seed, const char *const *parts, const size_t *lens, size_t n);

/* with_value: store a pointer with each fingerprint. seed: the context's
 * (ctx->seed), never a stored value. */
void cib__fptab_init(cib__fptab *t, int with_value, uint64_t seed);
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
/* The slot where fp's probe starts (t->cap > 0); for tests. */
size_t cib__fptab_home(const cib__fptab *t, cib__fp fp);

/*
 * A filter over fingerprints: a multiset of 32-bit values, each a keyed hash
 * of one fingerprint (cib__fpfilter_value), in an open-addressing table of
 * 4-byte slots at most 3/4 full (5.3 to 10.7 bytes per value). A value's home
 * slot is its top bits, so the table doubles from the values alone. It says
 * "maybe present" for a fingerprint that was never added when another's value
 * is equal: with n values, for about n / 2^32 of new fingerprints (2.3e-4 at
 * a million). Values are counted: a value added twice is removed twice, so
 * removing one fingerprint never hides another with an equal value. 0 marks
 * a free slot (values are never 0). At most 2^31 slots.
 */
typedef struct cib__fpfilter {
    uint32_t *slots;
    size_t cap; /* a power of two, or 0 */
    size_t count;
    unsigned bits; /* log2(cap) */
    uint64_t k[3]; /* keys of the values, from the context's seed */
} cib__fpfilter;

void cib__fpfilter_init(cib__fpfilter *f, uint64_t seed);
void cib__fpfilter_free(const cib__mem *m, cib__fpfilter *f);
uint32_t cib__fpfilter_value(const cib__fpfilter *f, cib__fp fp);
/* Room for `extra` more values: CIB_OK or CIB_ENOMEM (unchanged). */
int cib__fpfilter_reserve(const cib__mem *m, cib__fpfilter *f, size_t extra);
/* After a reserve. */
void cib__fpfilter_add(cib__fpfilter *f, uint32_t v);
int cib__fpfilter_has(const cib__fpfilter *f, uint32_t v);
/* Remove one copy of v, if present. */
void cib__fpfilter_remove(cib__fpfilter *f, uint32_t v);
void cib__fpfilter_prefetch(const cib__fpfilter *f, uint32_t v);

/* Fingerprint as 32 lower-case hex digits (buf: at least 33 bytes). */
void cib__fp_hex(cib__fp fp, char *buf);
/* Parse 32 hex digits; 0 on success, -1 if malformed. */
int cib__fp_parse(const char *s, size_t n, cib__fp *out);

#endif
