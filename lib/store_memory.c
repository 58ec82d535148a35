/*
 * store_memory.c - the built-in in-memory store.
 *
 * It implements the public storage vtable (convinbox/store.h) and nothing
 * more: the library talks to it exactly as it talks to a host's database.
 *
 * Each (kind, key) has one entry whose `cur` points at an immutable packed
 * copy of the row (rowpack.h). A new entry is one block: the entry, its key
 * and the row that created it. A transaction journals (entry, previous row)
 * pairs: put swaps in a new copy, del sets cur to NULL. Commit frees the
 * replaced copies and the entries left without a row, and moves a current
 * row that fits back into its entry's block (it skips the records of
 * entries the transaction created: their rows are home); rollback restores the previous
 * pointers and removes the entries the transaction created. Neither
 * allocates, so neither can fail.
 *
 * Field names are the library's string constants (convinbox/store.h), so a
 * packed row holds a byte per name, an index into the store's table of name
 * pointers.
 *
 * Each kind's entries are found through an open-addressing table of (hash,
 * entry) slots, linear probing, at most half full, deletion by backward
 * shift (no tombstones): a lookup reads one or two adjacent slots and the
 * entry it finds, where chained buckets cost a cache miss per link. The
 * entries also form a list in insertion order, which scan() follows.
 */
#include <stddef.h>
#include <string.h>

#include "convinbox/store.h"
#include "hash.h"
#include "rowpack.h"

typedef struct mentry {
    struct mentry *prev, *next; /* insertion order */
    uint64_t h;
    cib__prow *cur;      /* NULL: deleted in the open transaction */
    struct mentry *dead; /* commit: list of entries to free */
    uint32_t key_len;
    uint32_t cap; /* bytes for a row inside this block, after the key */
    uint8_t kind;
    uint8_t is_dead;
    char key[]; /* NUL-terminated, then the row that created the entry */
} mentry;

typedef struct mslot {
    uint64_t h;
    mentry *e; /* NULL: empty */
} mslot;

typedef struct mtable {
    mslot *s;
    size_t mask; /* capacity - 1; 0 with no slots yet */
    size_t n;
    mentry *first, *last;
} mtable;

typedef struct jrec {
    mentry *e;
    cib__prow *old;
    int created;
} jrec;

typedef struct memstore {
    cib__mem mem;
    uint64_t seed;
    mtable rows[CIB_KIND_END];
    cib__names names;
    cib__pbuf pack; /* the row being put, packed */
    int in_tx;
    jrec *j;
    size_t jn, jcap;
} memstore;

static int kind_ok(int kind)
{
    return kind > 0 && kind < CIB_KIND_END;
}

static size_t round8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}

/* The row space inside an entry's own block. */
static cib__prow *inline_row(const mentry *e)
{
    return (cib__prow *)(void *)((char *)(uintptr_t)e +
                                 round8(offsetof(mentry, key) + (size_t)e->key_len + 1));
}

/* Free a row version unless it lives inside its entry's block. */
static void row_free(memstore *ms, const mentry *e, cib__prow *p)
{
    if (p != inline_row(e))
        cib__free(&ms->mem, p);
}

static uint64_t key_hash(const memstore *ms, int kind, const char *key, size_t len)
{
    return XXH3_64bits_withSeed(key, len, ms->seed + (uint64_t)kind);
}

static mentry *table_find(const mtable *t, uint64_t h, const char *key, size_t len)
{
    if (!t->s)
        return NULL;
    for (size_t i = h & t->mask;; i = (i + 1) & t->mask) {
        mentry *e = t->s[i].e;
        if (!e)
            return NULL;
        if (t->s[i].h == h && e->key_len == len && memcmp(e->key, key, len) == 0)
            return e;
    }
}

static void slot_put(mtable *t, mentry *e)
{
    size_t i = e->h & t->mask;
    while (t->s[i].e)
        i = (i + 1) & t->mask;
    t->s[i] = (mslot){e->h, e};
}

/* Room for one more entry (the table stays at most half full). */
static int table_reserve(memstore *ms, mtable *t)
{
    size_t cap = t->s ? t->mask + 1 : 0;
    if ((t->n + 1) * 2 <= cap)
        return CIB_OK;
    size_t ncap = cap ? cap * 2 : 16;
    mslot *s = cib__calloc(&ms->mem, ncap, sizeof *s);
    if (!s)
        return CIB_ENOMEM;
    mslot *old = t->s;
    t->s = s;
    t->mask = ncap - 1;
    for (size_t i = 0; i < cap; i++)
        if (old[i].e)
            slot_put(t, old[i].e);
    cib__free(&ms->mem, old);
    return CIB_OK;
}

/* Adds e (room reserved). */
static void table_add(mtable *t, mentry *e)
{
    slot_put(t, e);
    t->n++;
    e->prev = t->last;
    e->next = NULL;
    if (t->last)
        t->last->next = e;
    else
        t->first = e;
    t->last = e;
}

/* An empty table gives its slots back, so that a failed or rolled-back
 * first put leaves no allocation behind. */
static void table_trim(memstore *ms, mtable *t)
{
    if (t->n == 0 && t->s) {
        cib__free(&ms->mem, t->s);
        t->s = NULL;
        t->mask = 0;
    }
}

/* Removes e; never allocates. */
static void table_del(memstore *ms, mtable *t, mentry *e)
{
    size_t i = e->h & t->mask;
    while (t->s[i].e != e)
        i = (i + 1) & t->mask;
    /* Backward shift: move up every later entry of the run that may sit in
     * the hole (its home slot is not cyclically within (i, j]). */
    for (size_t j = (i + 1) & t->mask; t->s[j].e; j = (j + 1) & t->mask) {
        size_t home = t->s[j].h & t->mask;
        int between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            t->s[i] = t->s[j];
            i = j;
        }
    }
    t->s[i] = (mslot){0, NULL};
    t->n--;
    if (e->prev)
        e->prev->next = e->next;
    else
        t->first = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        t->last = e->prev;
    table_trim(ms, t);
}

static mentry *entry_find(memstore *ms, int kind, const char *key, size_t len)
{
    return table_find(&ms->rows[kind], key_hash(ms, kind, key, len), key, len);
}

static int journal_reserve(memstore *ms)
{
    if (ms->jn < ms->jcap)
        return CIB_OK;
    size_t cap = ms->jcap ? ms->jcap * 2 : 16;
    jrec *j = cib__realloc(&ms->mem, ms->j, cap * sizeof *j);
    if (!j)
        return CIB_ENOMEM;
    ms->j = j;
    ms->jcap = cap;
    return CIB_OK;
}

/* Scratch kept between calls, at most: a row packing buffer of this many
 * bytes (rows are mostly well under 1 KB; a 256 KiB message would otherwise
 * keep 512 KiB of buffer for good), a journal of this many records (a
 * transaction writes about ten; a batch of thousands would keep its
 * journal). Larger ones are released after the put or the transaction. */
#define PACK_KEEP    16384u
#define JOURNAL_KEEP 512u

/* After a transaction: release a journal that grew past JOURNAL_KEEP. */
static void journal_trim(memstore *ms)
{
    if (ms->jcap > JOURNAL_KEEP) {
        cib__free(&ms->mem, ms->j);
        ms->j = NULL;
        ms->jcap = 0;
    }
}

static int ms_begin(void *ud)
{
    memstore *ms = ud;
    if (ms->in_tx)
        return CIB_EINVAL;
    ms->in_tx = 1;
    ms->jn = 0;
    return CIB_OK;
}

/* At commit, the current row moves back into its entry's block when it
 * fits there and is not there already. Whatever the block held is no longer
 * needed: the row in it was replaced in this or an earlier transaction, and
 * row_free() never frees the block's own row, so a later journal record
 * naming it as its old row is harmless. Idempotent. */
static void row_home(memstore *ms, mentry *e)
{
    cib__prow *in = inline_row(e);
    if (e->cur && e->cur != in && e->cur->size <= e->cap) {
        memcpy(in, e->cur, e->cur->size);
        cib__free(&ms->mem, e->cur);
        e->cur = in;
    }
}

static int ms_commit(void *ud)
{
    memstore *ms = ud;
    if (!ms->in_tx)
        return CIB_EINVAL;
    mentry *dead = NULL;
    for (size_t i = 0; i < ms->jn; i++) {
        jrec *r = &ms->j[i];
        /* A created entry holds its row in its own block; a later put or
         * del of it in this transaction has a record of its own, which
         * does whatever that needs. Not touching the entry here saves a
         * cache miss per new row when a transaction is large. */
        if (r->created)
            continue;
        if (r->old)
            row_free(ms, r->e, r->old);
        row_home(ms, r->e);
        if (!r->e->cur && !r->e->is_dead) {
            r->e->is_dead = 1;
            r->e->dead = dead;
            dead = r->e;
        }
    }
    while (dead) {
        mentry *next = dead->dead;
        table_del(ms, &ms->rows[dead->kind], dead);
        cib__free(&ms->mem, dead);
        dead = next;
    }
    ms->jn = 0;
    ms->in_tx = 0;
    journal_trim(ms);
    return CIB_OK;
}

static void ms_rollback(void *ud)
{
    memstore *ms = ud;
    if (!ms->in_tx)
        return;
    for (size_t i = ms->jn; i-- > 0;) {
        jrec *r = &ms->j[i];
        if (r->e->cur)
            row_free(ms, r->e, r->e->cur);
        r->e->cur = r->old;
        if (r->created) {
            table_del(ms, &ms->rows[r->e->kind], r->e);
            cib__free(&ms->mem, r->e);
        }
    }
    ms->jn = 0;
    ms->in_tx = 0;
    journal_trim(ms);
}

static int put_row(memstore *ms, const cib_row *row)
{
    int rc = cib__pack(&ms->names, &ms->pack, row);
    if (rc)
        return rc;
    const cib__prow *packed = (const cib__prow *)(void *)ms->pack.p;
    size_t size = packed->size;
    if ((rc = journal_reserve(ms)) != CIB_OK)
        return rc;
    mtable *t = &ms->rows[row->kind];
    uint64_t h = key_hash(ms, row->kind, row->key, row->key_len);
    mentry *e = table_find(t, h, row->key, row->key_len);
    if (e) {
        cib__prow *p = cib__malloc(&ms->mem, size);
        if (!p)
            return CIB_ENOMEM;
        memcpy(p, packed, size);
        ms->j[ms->jn++] = (jrec){e, e->cur, 0};
        e->cur = p;
        return CIB_OK;
    }
    /* A new entry: the key and the row in one block. */
    if ((rc = table_reserve(ms, t)) != CIB_OK)
        return rc;
    size_t cap = round8(size);
    e = cib__malloc(&ms->mem, round8(offsetof(mentry, key) + row->key_len + 1) + cap);
    if (!e) {
        table_trim(ms, t);
        return CIB_ENOMEM;
    }
    memset(e, 0, sizeof *e);
    e->h = h;
    e->kind = (uint8_t)row->kind;
    e->key_len = (uint32_t)row->key_len;
    e->cap = (uint32_t)cap;
    memcpy(e->key, row->key, row->key_len);
    e->key[row->key_len] = '\0';
    e->cur = inline_row(e);
    memcpy(e->cur, packed, size);
    table_add(t, e);
    ms->j[ms->jn++] = (jrec){e, NULL, 1};
    return CIB_OK;
}

static int ms_put(void *ud, const cib_row *row)
{
    memstore *ms = ud;
    if (!ms->in_tx || !row || !kind_ok(row->kind) || !row->key || row->key_len >= UINT32_MAX)
        return CIB_EINVAL;
    int rc = put_row(ms, row);
    if (ms->pack.cap > PACK_KEEP) /* a large row: its copy is made */
        cib__pbuf_free(&ms->pack);
    return rc;
}

static int ms_del(void *ud, int kind, const char *key, size_t key_len)
{
    memstore *ms = ud;
    if (!ms->in_tx || !kind_ok(kind) || !key)
        return CIB_EINVAL;
    mentry *e = entry_find(ms, kind, key, key_len);
    if (!e || !e->cur)
        return CIB_OK;
    int rc = journal_reserve(ms);
    if (rc)
        return rc;
    ms->j[ms->jn++] = (jrec){e, e->cur, 0};
    e->cur = NULL;
    return CIB_OK;
}

/* Call fn with e's current row, unpacked into the stack (or, for a row with
 * many fields or list items, a block freed before returning). */
enum { STACK_FIELDS = 48, STACK_ITEMS = 64 };

static int emit(memstore *ms, const mentry *e, cib_row_fn fn, void *cb_data)
{
    const cib__prow *p = e->cur;
    cib_field fields_s[STACK_FIELDS];
    const char *items_s[STACK_ITEMS];
    size_t lens_s[STACK_ITEMS];
    cib_field *fields = fields_s;
    const char **items = items_s;
    size_t *lens = lens_s;
    void *heap = NULL;
    if (p->n_fields > STACK_FIELDS || p->n_items > STACK_ITEMS) {
        size_t nf = p->n_fields, ni = p->n_items;
        heap = cib__malloc(&ms->mem, nf * sizeof *fields + ni * (sizeof *items + sizeof *lens));
        if (!heap)
            return CIB_ENOMEM;
        fields = heap;
        items = (const char **)(void *)(fields + nf);
        lens = (size_t *)(void *)(items + ni);
    }
    cib__unpack(&ms->names, p, fields, items, lens);
    cib_row row = {.kind = e->kind,
                   .key = e->key,
                   .key_len = e->key_len,
                   .fields = fields,
                   .n_fields = p->n_fields};
    int rc = fn(cb_data, &row);
    cib__free(&ms->mem, heap);
    return rc;
}

static int ms_get(void *ud, int kind, const char *key, size_t key_len, cib_row_fn fn, void *cb_data)
{
    memstore *ms = ud;
    if (!kind_ok(kind) || !key || !fn)
        return CIB_EINVAL;
    mentry *e = entry_find(ms, kind, key, key_len);
    if (!e || !e->cur)
        return CIB_ENOTFOUND;
    return emit(ms, e, fn, cb_data);
}

static int ms_scan(void *ud, int kind, cib_row_fn fn, void *cb_data)
{
    memstore *ms = ud;
    if (!kind_ok(kind) || !fn)
        return CIB_EINVAL;
    for (mentry *e = ms->rows[kind].first; e; e = e->next) {
        if (!e->cur)
            continue;
        int rc = emit(ms, e, fn, cb_data);
        if (rc)
            return rc;
    }
    return CIB_OK;
}

static void ms_close(void *ud)
{
    memstore *ms = ud;
    if (!ms)
        return;
    ms_rollback(ms);
    for (int k = 1; k < CIB_KIND_END; k++) {
        for (mentry *e = ms->rows[k].first, *next; e; e = next) {
            next = e->next;
            if (e->cur)
                row_free(ms, e, e->cur);
            cib__free(&ms->mem, e);
        }
        cib__free(&ms->mem, ms->rows[k].s);
    }
    cib__free(&ms->mem, ms->j);
    cib__pbuf_free(&ms->pack);
    cib__mem mem = ms->mem;
    cib__free(&mem, ms);
}

int cib_memstore_new(const cib_allocator *allocator, cib_store *out)
{
    if (!out)
        return CIB_EINVAL;
    cib__mem mem;
    if (cib__mem_init(&mem, allocator))
        return CIB_EINVAL;
    memstore *ms = cib__calloc(&mem, 1, sizeof *ms);
    if (!ms)
        return CIB_ENOMEM;
    ms->mem = mem;
    if (cib__pbuf_init(&ms->pack, &ms->mem) != CIB_OK) {
        cib__free(&mem, ms);
        return CIB_ENOMEM;
    }
    ms->seed = cib__random_seed();
    cib_store s = CIB_STORE_INIT;
    s.user_data = ms;
    s.begin = ms_begin;
    s.commit = ms_commit;
    s.rollback = ms_rollback;
    s.put = ms_put;
    s.del = ms_del;
    s.get = ms_get;
    s.scan = ms_scan;
    s.close = ms_close;
    *out = s;
    return CIB_OK;
}
