/*
 * hash.h - uthash, configured for a library.
 *
 *  - Allocation goes through the context's allocator, never malloc().
 *  - HASH_NONFATAL_OOM: a failed allocation makes an add fail cleanly
 *    (uthash's default is exit(-1)).
 *  - Hashes are XXH3, seeded per context, so that attacker-chosen keys
 *    (email addresses, visitor ids) cannot force collisions. uthash's own
 *    HASH_FUNCTION is poisoned: every lookup and insert goes through the
 *    CIB_HASH_* wrappers below, which take the seed and the allocator
 *    explicitly. Using a bare HASH_ADD/HASH_FIND does not compile.
 */
#ifndef CIB_HASH_H
#define CIB_HASH_H

#include <stdint.h>
#include <xxhash.h>

#include "mem.h"

#define HASH_NONFATAL_OOM                    1
#define uthash_malloc(sz)                    cib__malloc(cib__ut_mem, (sz))
#define uthash_free(ptr, sz)                 cib__free(cib__ut_mem, (ptr))
#define HASH_FUNCTION(keyptr, keylen, hashv) CIB__UNSEEDED_HASH_IS_FORBIDDEN
#include <uthash.h>

static inline unsigned cib__hash(uint64_t seed, const void *key, size_t len)
{
    return (unsigned)XXH3_64bits_withSeed(key, len, seed);
}

/* out = the item of `head` whose key is key[0..len), or NULL. */
#define CIB_HASH_FIND(seed, hh, head, key, len, out)                                               \
    do {                                                                                           \
        unsigned cib__hv = cib__hash((seed), (key), (len));                                        \
        HASH_FIND_BYHASHVALUE(hh, (head), (key), (unsigned)(len), cib__hv, (out));                 \
    } while (0)

/* Add item under the key it points to (the key must live as long as the
 * item). ok = 1 on success, 0 when out of memory (nothing changed). */
#define CIB_HASH_ADD(mem, seed, hh, head, key, len, item, ok)                                      \
    do {                                                                                           \
        const cib__mem *cib__ut_mem = (mem);                                                       \
        unsigned cib__hv = cib__hash((seed), (key), (len));                                        \
        HASH_ADD_KEYPTR_BYHASHVALUE(hh, head, (key), (unsigned)(len), cib__hv, (item));            \
        (ok) = (item)->hh.tbl != NULL;                                                             \
    } while (0)

/* As CIB_HASH_ADD, keeping the iteration order sorted by cmp(a, b). */
#define CIB_HASH_ADD_INORDER(mem, seed, hh, head, key, len, item, cmp, ok)                         \
    do {                                                                                           \
        const cib__mem *cib__ut_mem = (mem);                                                       \
        unsigned cib__hv = cib__hash((seed), (key), (len));                                        \
        HASH_ADD_KEYPTR_BYHASHVALUE_INORDER(hh, head, (key), (unsigned)(len), cib__hv, (item),     \
                                            cmp);                                                  \
        (ok) = (item)->hh.tbl != NULL;                                                             \
    } while (0)

/* Remove item; never allocates, never fails. */
#define CIB_HASH_DEL(mem, hh, head, item)                                                          \
    do {                                                                                           \
        const cib__mem *cib__ut_mem = (mem);                                                       \
        HASH_DELETE(hh, head, (item));                                                             \
    } while (0)

/*
 * A secondary index entry: key -> target. Used where an object's key can
 * change (an email address), so that the new key is added before a change is
 * committed and the old one removed after, without touching the object's own
 * hash handle.
 */
typedef struct cib__ref {
    UT_hash_handle hh;
    void *target;
    size_t key_len;
    char key[];
} cib__ref;

/* Add key -> target to *table. Returns the entry, or NULL when out of memory. */
cib__ref *cib__ref_add(const cib__mem *m, uint64_t seed, cib__ref **table, const char *key,
                       size_t len, void *target);
/* The target of key, or NULL. */
void *cib__ref_find(uint64_t seed, cib__ref *table, const char *key, size_t len);
/* Remove and free an entry (NULL: no-op). */
void cib__ref_del(const cib__mem *m, cib__ref **table, cib__ref *ref);
/* Remove and free every entry. */
void cib__ref_clear(const cib__mem *m, cib__ref **table);

/*
 * Changing an indexed key (an email) atomically. Before the commit,
 * cib__rekey_prepare() copies the new key and adds it to the table (when it
 * differs from the old one); after the commit cib__rekey_finish() swaps it
 * into the object's slots and drops the old entry; on failure
 * cib__rekey_abort() undoes the preparation. Only prepare can fail.
 */
typedef struct cib__rekey {
    int changed;   /* the key differs from the old one */
    char *key;     /* the new key (NULL: none), owned until finish */
    cib__ref *ref; /* its entry, or NULL */
} cib__rekey;

/* old: the current key or NULL; next[0..next_len): the new key (next_len 0:
 * none). Returns 0, or -1 when out of memory (nothing changed). */
int cib__rekey_prepare(const cib__mem *m, uint64_t seed, cib__ref **table, const char *old,
                       const char *next, size_t next_len, void *target, cib__rekey *rk);
void cib__rekey_finish(const cib__mem *m, cib__ref **table, char **slot, cib__ref **slot_ref,
                       cib__rekey *rk);
void cib__rekey_abort(const cib__mem *m, cib__ref **table, cib__rekey *rk);

/*
 * Seeds. Each context draws a fresh 64-bit seed when it is created and never
 * stores it (cib_options.hash_seed may fix it, for reproducible runs): it
 * keys every in-memory table, the uthash tables here and the fingerprint
 * tables of fptab.h. A store key is a different thing: DEDUP and THREAD rows
 * are keyed by fingerprints that must stay the same from one context to the
 * next, so they use the account's stored salt (ACCOUNT.secret), which no
 * in-memory table is indexed by (see fptab.h).
 *
 * A source of entropy: fill buf[0..n) with random bytes; 0 on success, else
 * an errno value. cib__os_entropy asks getrandom() (blocking only until the
 * kernel's pool is first initialised), then /dev/urandom. There is no
 * fallback to the clock: a predictable seed would let chosen keys collide,
 * so callers fail instead (cib_ctx_new with CIB_ENOMEM and a message).
 */
typedef int (*cib__entropy_fn)(void *buf, size_t n);
int cib__os_entropy(void *buf, size_t n);
/* n bytes read from a file such as /dev/urandom: 0, or an errno value (EIO
 * when it ends first). */
int cib__file_entropy(void *buf, size_t n, const char *path);

#endif
