/*
 * store_memory.c - the built-in in-memory store.
 *
 * It implements the public storage vtable (convinbox/store.h) and nothing
 * more: the library talks to it exactly as it talks to a host's database.
 *
 * Each (kind, key) has one entry whose `cur` points at an immutable copy of
 * the row. A transaction journals (entry, previous row) pairs: put swaps in a
 * new copy, del sets cur to NULL. Commit frees the replaced copies and the
 * entries left without a row; rollback restores the previous pointers and
 * removes the entries the transaction created. Neither allocates, so neither
 * can fail.
 *
 * Field names are the library's string constants (convinbox/store.h), so a
 * row keeps the caller's name pointers rather than copies.
 *
 * Each kind's entries are found through an open-addressing table of (hash,
 * entry) slots, linear probing, at most half full, deletion by backward
 * shift (no tombstones): a lookup reads one or two adjacent slots and the
 * entry it finds, where chained buckets cost a cache miss per link. The
 * entries also form a list in insertion order, which scan() follows.
 */
#include <string.h>

#include "convinbox/store.h"
#include "hash.h"

typedef struct mrow {
    cib_row row;
    cib_field fields[]; /* then item pointers, lengths and text bytes */
} mrow;

typedef struct mentry {
    struct mentry *prev, *next; /* insertion order */
    uint64_t h;
    mrow *cur;           /* NULL: deleted in the open transaction */
    struct mentry *dead; /* commit: list of entries to free */
    int is_dead;
    int kind;
    size_t key_len;
    char key[];
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
    mrow *old;
    int created;
} jrec;

typedef struct memstore {
    cib__mem mem;
    uint64_t seed;
    mtable rows[CIB_KIND_END];
    int in_tx;
    jrec *j;
    size_t jn, jcap;
} memstore;

static int kind_ok(int kind)
{
    return kind > 0 && kind < CIB_KIND_END;
}

/* Bytes needed to copy a row into one block, or 0 if the row is malformed. */
static size_t row_size(const cib_row *r)
{
    if (!r->key || (r->n_fields && !r->fields))
        return 0;
    size_t n = sizeof(mrow) + r->n_fields * sizeof(cib_field) + r->key_len + 1;
    for (size_t i = 0; i < r->n_fields; i++) {
        const cib_field *f = &r->fields[i];
        if (!f->name)
            return 0;
        switch (f->type) {
        case CIB_FIELD_NULL:
        case CIB_FIELD_INT:
            break;
        case CIB_FIELD_TEXT:
            if (!f->text)
                return 0;
            n += f->len + 1;
            break;
        case CIB_FIELD_LIST:
            if (f->n_items && !f->items)
                return 0;
            n += f->n_items * (sizeof(char *) + sizeof(size_t));
            for (size_t k = 0; k < f->n_items; k++) {
                if (!f->items[k])
                    return 0;
                n += (f->item_lens ? f->item_lens[k] : strlen(f->items[k])) + 1;
            }
            break;
        default:
            return 0;
        }
    }
    return n;
}

static char *copy_text(char **tail, const char *s, size_t n)
{
    char *p = *tail;
    memcpy(p, s, n);
    p[n] = '\0';
    *tail += n + 1;
    return p;
}

static mrow *row_copy(memstore *ms, const cib_row *r, int *rc)
{
    size_t size = row_size(r);
    if (!size) {
        *rc = CIB_EINVAL;
        return NULL;
    }
    mrow *m = cib__malloc(&ms->mem, size);
    if (!m) {
        *rc = CIB_ENOMEM;
        return NULL;
    }
    /* Layout: header, fields, pointer arrays, length arrays, bytes. */
    char *tail = (char *)(m->fields + r->n_fields);
    size_t n_items = 0;
    for (size_t i = 0; i < r->n_fields; i++)
        if (r->fields[i].type == CIB_FIELD_LIST)
            n_items += r->fields[i].n_items;
    const char **ptrs = (const char **)tail;
    size_t *lens = (size_t *)(ptrs + n_items);
    tail = (char *)(lens + n_items);

    m->row.kind = r->kind;
    m->row.key_len = r->key_len;
    m->row.key = copy_text(&tail, r->key, r->key_len);
    m->row.fields = m->fields;
    m->row.n_fields = r->n_fields;
    for (size_t i = 0; i < r->n_fields; i++) {
        const cib_field *f = &r->fields[i];
        cib_field *g = &m->fields[i];
        *g = (cib_field){.name = f->name, .type = f->type};
        if (f->type == CIB_FIELD_INT) {
            g->i = f->i;
        } else if (f->type == CIB_FIELD_TEXT) {
            g->text = copy_text(&tail, f->text, f->len);
            g->len = f->len;
        } else if (f->type == CIB_FIELD_LIST) {
            g->items = ptrs;
            g->item_lens = lens;
            g->n_items = f->n_items;
            for (size_t k = 0; k < f->n_items; k++) {
                size_t len = f->item_lens ? f->item_lens[k] : strlen(f->items[k]);
                *ptrs++ = copy_text(&tail, f->items[k], len);
                *lens++ = len;
            }
        }
    }
    return m;
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

static int ms_begin(void *ud)
{
    memstore *ms = ud;
    if (ms->in_tx)
        return CIB_EINVAL;
    ms->in_tx = 1;
    ms->jn = 0;
    return CIB_OK;
}

static int ms_commit(void *ud)
{
    memstore *ms = ud;
    if (!ms->in_tx)
        return CIB_EINVAL;
    mentry *dead = NULL;
    for (size_t i = 0; i < ms->jn; i++) {
        jrec *r = &ms->j[i];
        cib__free(&ms->mem, r->old);
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
    return CIB_OK;
}

static void ms_rollback(void *ud)
{
    memstore *ms = ud;
    if (!ms->in_tx)
        return;
    for (size_t i = ms->jn; i-- > 0;) {
        jrec *r = &ms->j[i];
        cib__free(&ms->mem, r->e->cur);
        r->e->cur = r->old;
        if (r->created) {
            table_del(ms, &ms->rows[r->e->kind], r->e);
            cib__free(&ms->mem, r->e);
        }
    }
    ms->jn = 0;
    ms->in_tx = 0;
}

static int ms_put(void *ud, const cib_row *row)
{
    memstore *ms = ud;
    if (!ms->in_tx || !row || !kind_ok(row->kind) || !row->key)
        return CIB_EINVAL;
    int rc = journal_reserve(ms);
    if (rc)
        return rc;
    mtable *t = &ms->rows[row->kind];
    uint64_t h = key_hash(ms, row->kind, row->key, row->key_len);
    mentry *e = table_find(t, h, row->key, row->key_len);
    if (!e && (rc = table_reserve(ms, t)) != CIB_OK)
        return rc;
    mrow *m = row_copy(ms, row, &rc);
    if (!m) {
        table_trim(ms, t);
        return rc;
    }
    if (e) {
        ms->j[ms->jn++] = (jrec){e, e->cur, 0};
        e->cur = m;
        return CIB_OK;
    }
    e = cib__malloc(&ms->mem, sizeof *e + row->key_len + 1);
    if (!e) {
        cib__free(&ms->mem, m);
        table_trim(ms, t);
        return CIB_ENOMEM;
    }
    memset(e, 0, sizeof *e);
    e->h = h;
    e->kind = row->kind;
    e->key_len = row->key_len;
    memcpy(e->key, row->key, row->key_len);
    e->key[row->key_len] = '\0';
    table_add(t, e);
    e->cur = m;
    ms->j[ms->jn++] = (jrec){e, NULL, 1};
    return CIB_OK;
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

static int ms_get(void *ud, int kind, const char *key, size_t key_len, cib_row_fn fn, void *cb_data)
{
    memstore *ms = ud;
    if (!kind_ok(kind) || !key || !fn)
        return CIB_EINVAL;
    mentry *e = entry_find(ms, kind, key, key_len);
    if (!e || !e->cur)
        return CIB_ENOTFOUND;
    return fn(cb_data, &e->cur->row);
}

static int ms_scan(void *ud, int kind, cib_row_fn fn, void *cb_data)
{
    memstore *ms = ud;
    if (!kind_ok(kind) || !fn)
        return CIB_EINVAL;
    for (mentry *e = ms->rows[kind].first; e; e = e->next) {
        if (!e->cur)
            continue;
        int rc = fn(cb_data, &e->cur->row);
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
            cib__free(&ms->mem, e->cur);
            cib__free(&ms->mem, e);
        }
        cib__free(&ms->mem, ms->rows[k].s);
    }
    cib__free(&ms->mem, ms->j);
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
