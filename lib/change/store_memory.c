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
 *
 * find_page() (convinbox/store.h) of conversations by inbox and status reads
 * an ordered index: a group per (inbox, status) pair of values, each an AVL
 * tree (tree.h) of its conversations by id. A conversation entry whose key
 * is an id carries its tree node at the end of its block (56 bytes); other
 * kinds carry none. put() and del() move the node to the group of the row
 * they leave current, and journal the group it was in, so rollback() moves
 * it back without allocating. A put that needs a new group allocates it
 * before changing anything; groups left empty are freed at the end of
 * commit() and rollback(), never during a transaction (a rollback may move
 * nodes back into them). A lookup walks the few groups (inboxes times two
 * statuses) after a check of the last one used; a page is O(log n + limit).
 * Other find_page() requests are answered by a filtered, sorted scan.
 *
 * find() answers the library's requests (convinbox/store.h) in O(rows
 * returned), never visiting a row it does not hand over:
 *  - MESSAGE by conversation, CONVERSATION by contact, DEDUP, THREAD and
 *    TICKET by inbox: a value index. Each row of those kinds carries a
 *    24-byte xnode after its block's row space (and after the mnode of a
 *    conversation) linking it into the doubly linked list of its value's
 *    group; a group (32 bytes, the value, a NUL) per distinct value, found
 *    through one open-addressing table of (hash, group) slots for all kinds,
 *    at most half full (16 to 32 bytes of slots per group). put() and del()
 *    move the xnode in O(1) and journal the group it was in, as for the
 *    ordered index; a put that needs a new group allocates it (and the
 *    table's room) before changing anything. A group left empty is put on a
 *    pending list and freed at the end of commit() or rollback() if it is
 *    still empty then.
 *  - CONVERSATION by inbox or status: the ordered index, walking the groups
 *    of that inbox or status. It holds every current conversation unless
 *    one has a key that is not an id or no inbox or status text; a count of
 *    those (kept through put, del and rollback) makes find() scan and filter
 *    while it is not 0.
 *  - MESSAGE by inbox: the conversations of the inbox, then the messages
 *    of each that name the inbox (a message is in its conversation's inbox:
 *    convinbox/store.h); no index of its own.
 * Any other find() is a scan that filters.
 */
#include <stddef.h>
#include <string.h>

#include <stdlib.h>

#include "convinbox/store.h"
#include "hash.h"
#include "rowpack.h"
#include "store.h"
#include "tree.h"

typedef struct mentry {
    struct mentry *prev, *next; /* insertion order */
    uint64_t h;
    cib__prow *cur;      /* NULL: deleted in the open transaction */
    struct mentry *dead; /* commit: list of entries to free */
    uint32_t key_len;
    uint32_t cap; /* bytes for a row inside this block, after the key */
    uint8_t kind;
    uint8_t is_dead;
    uint8_t has_node;  /* an mnode after the row space (ordered index) */
    uint8_t has_xnode; /* an xnode after that (value index of find()) */
    char key[];        /* NUL-terminated, then the row that created the entry,
                          then (has_node) its mnode, then (has_xnode) its xnode */
} mentry;

/* The ordered index of find_page(): conversations by (inbox, status), by id. */
#define IX_KIND CIB_KIND_CONVERSATION
static const char ix_a[] = "inbox", ix_b[] = "status";

typedef struct mgroup {
    cib__tree t; /* mnodes by id */
    struct mgroup *next;
    uint32_t a_len, b_len;
    char text[]; /* the inbox, NUL, the status, NUL */
} mgroup;

typedef struct mnode {
    cib__tnode t;
    uint64_t id;
    mentry *e;
    mgroup *g; /* the group whose tree holds it; NULL: none */
} mnode;

/* The value indexes of find(): per kind at most one field, and a group per
 * value holding the list of its rows. */
static const char *const vx_field[CIB_KIND_END] = {
    [CIB_KIND_CONVERSATION] = "contact", [CIB_KIND_MESSAGE] = "conversation",
    [CIB_KIND_DEDUP] = "inbox",          [CIB_KIND_THREAD] = "inbox",
    [CIB_KIND_TICKET] = "inbox",
};

typedef struct xgroup {
    uint64_t h;
    mentry *head;           /* its rows, through their xnodes */
    struct xgroup *pending; /* the list of groups that may be empty */
    uint32_t len;
    uint8_t kind;
    uint8_t is_pending;
    char text[]; /* the value, NUL */
} xgroup;

typedef struct xnode {
    mentry *next, *prev;
    xgroup *g; /* NULL: in no group */
} xnode;

typedef struct xslot {
    uint64_t h;
    xgroup *g; /* NULL: empty */
} xslot;

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
    mgroup *old_g; /* the group of e's node before this write */
    xgroup *old_x; /* the group of e's xnode before this write */
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
    mgroup *groups, *glast; /* the index's groups; the last one found */
    int gsweep;             /* a group became empty */
    size_t conv_outside;    /* current conversations in no group of the index */
    xslot *xs;              /* the value indexes' groups, all kinds */
    size_t xmask, xn;
    xgroup *xlast[CIB_KIND_END];       /* per kind, the last group found */
    xgroup *xpending;                  /* groups that may be empty, to free */
    const char *vx_name[CIB_KIND_END]; /* per kind, the index field's name */
    uint8_t vx_pos[CIB_KIND_END];      /* and where it was last */
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

/* ---- the ordered index ---- */

/* A library id: decimal digits, no leading zero, at most UINT64_MAX. */
static int key_id(const char *s, size_t n, uint64_t *out)
{
    if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
        return 0;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > 9 || v > (UINT64_MAX - d) / 10)
            return 0;
        v = v * 10 + d;
    }
    *out = v;
    return 1;
}

static mnode *node_of(const mentry *e)
{
    return (mnode *)(void *)((char *)inline_row(e) + e->cap);
}

static int group_is(const mgroup *g, const char *a, size_t a_len, const char *b, size_t b_len)
{
    if (g->a_len != a_len || g->b_len != b_len)
        return 0;
    for (size_t i = 0; i < b_len; i++) /* a few bytes: no call */
        if (g->text[a_len + 1 + i] != b[i])
            return 0;
    return !memcmp(g->text, a, a_len);
}

static mgroup *group_find(memstore *ms, const char *a, size_t a_len, const char *b, size_t b_len)
{
    if (ms->glast && group_is(ms->glast, a, a_len, b, b_len))
        return ms->glast;
    for (mgroup *g = ms->groups; g; g = g->next)
        if (group_is(g, a, a_len, b, b_len))
            return ms->glast = g;
    return NULL;
}

static int name_is(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

/* The row's TEXT fields ix_a and ix_b (NULL if missing), in one pass that
 * stops when both are found (put() of every conversation runs it). */
static void index_fields(const cib_row *row, const cib_field **a, const cib_field **b)
{
    /* Where the library writes them (convinbox/store.h's field order). */
    const cib_field *f = row->fields;
    if (row->n_fields > 5 && f[0].type == CIB_FIELD_TEXT && f[5].type == CIB_FIELD_TEXT &&
        name_is(f[0].name, ix_a) && name_is(f[5].name, ix_b)) {
        *a = &f[0];
        *b = &f[5];
        return;
    }
    *a = *b = NULL;
    for (size_t i = 0; i < row->n_fields && !(*a && *b); i++) {
        f = &row->fields[i];
        if (f->type != CIB_FIELD_TEXT)
            continue;
        if (!*a && f->name[0] == ix_a[0] && name_is(f->name, ix_a))
            *a = f;
        else if (!*b && f->name[0] == ix_b[0] && name_is(f->name, ix_b))
            *b = f;
    }
}

/* The group a row put of the indexed kind belongs to, created if need be
 * (*out NULL: the row has no inbox or status text). CIB_OK or CIB_ENOMEM. */
static int group_for(memstore *ms, const cib_row *row, mgroup **out)
{
    const cib_field *a, *b;
    index_fields(row, &a, &b);
    *out = NULL;
    if (!a || !b || a->len >= UINT32_MAX || b->len >= UINT32_MAX)
        return CIB_OK;
    if ((*out = group_find(ms, a->text, a->len, b->text, b->len)))
        return CIB_OK;
    if (a->len + b->len > SIZE_MAX - sizeof(mgroup) - 2)
        return CIB_ENOMEM;
    mgroup *g = cib__malloc(&ms->mem, sizeof *g + a->len + b->len + 2);
    if (!g)
        return CIB_ENOMEM;
    cib__tree_init(&g->t, (ptrdiff_t)offsetof(mnode, id) - (ptrdiff_t)offsetof(mnode, t));
    g->a_len = (uint32_t)a->len;
    g->b_len = (uint32_t)b->len;
    memcpy(g->text, a->text, a->len);
    g->text[a->len] = '\0';
    memcpy(g->text + a->len + 1, b->text, b->len);
    g->text[a->len + 1 + b->len] = '\0';
    g->next = ms->groups;
    ms->groups = ms->glast = *out = g;
    ms->gsweep = 1; /* empty until a node moves in */
    return CIB_OK;
}

/* Move e's node (if any) into group g (NULL: out of the index). */
static void node_move(memstore *ms, mentry *e, mgroup *g)
{
    if (!e->has_node)
        return;
    mnode *n = node_of(e);
    if (n->g == g)
        return;
    if (n->g) {
        cib__tree_remove(&n->g->t, &n->t);
        if (n->g->t.count == 0)
            ms->gsweep = 1;
    }
    if (g)
        cib__tree_insert(&g->t, &n->t);
    n->g = g;
}

static mgroup *node_group(const mentry *e)
{
    return e->has_node ? node_of(e)->g : NULL;
}

/* Free the groups left empty (end of a transaction; never allocates). */
static void group_sweep(memstore *ms)
{
    if (!ms->gsweep)
        return;
    for (mgroup **p = &ms->groups; *p;) {
        mgroup *g = *p;
        if (g->t.count == 0) {
            *p = g->next;
            cib__free(&ms->mem, g);
        } else {
            p = &g->next;
        }
    }
    ms->glast = NULL;
    ms->gsweep = 0;
}

/* A current conversation that the ordered index misses (a key that is not
 * an id, no inbox or status text): while there is one, find() of
 * conversations by inbox or status scans. */
static size_t conv_out(const mentry *e)
{
    return e->kind == IX_KIND && e->cur && !(e->has_node && node_of(e)->g);
}

/* ---- the value indexes of find() ---- */

static xnode *xnode_of(const mentry *e)
{
    return (xnode *)(void *)((char *)inline_row(e) + e->cap + (e->has_node ? sizeof(mnode) : 0));
}

static xgroup *xnode_group(const mentry *e)
{
    return e->has_xnode ? xnode_of(e)->g : NULL;
}

static uint64_t value_hash(const memstore *ms, int kind, const char *v, size_t len)
{
    return XXH3_64bits_withSeed(v, len, ~ms->seed + (uint64_t)kind);
}

static int xgroup_is(const xgroup *g, int kind, uint64_t h, const char *v, size_t len)
{
    return g->h == h && g->kind == kind && g->len == len && !memcmp(g->text, v, len);
}

static xgroup *xgroup_find(memstore *ms, int kind, const char *v, size_t len)
{
    xgroup *g = ms->xlast[kind];
    if (g && g->len == len && !memcmp(g->text, v, len))
        return g;
    if (!ms->xs)
        return NULL;
    uint64_t h = value_hash(ms, kind, v, len);
    for (size_t i = h & ms->xmask;; i = (i + 1) & ms->xmask) {
        if (!(g = ms->xs[i].g))
            return NULL;
        if (ms->xs[i].h == h && xgroup_is(g, kind, h, v, len))
            return ms->xlast[kind] = g;
    }
}

static void xslot_put(xslot *s, size_t mask, xgroup *g)
{
    size_t i = g->h & mask;
    while (s[i].g)
        i = (i + 1) & mask;
    s[i] = (xslot){g->h, g};
}

/* Room for one more group (the table stays at most half full). */
static int xtable_reserve(memstore *ms)
{
    size_t cap = ms->xs ? ms->xmask + 1 : 0;
    if ((ms->xn + 1) * 2 <= cap)
        return CIB_OK;
    size_t ncap = cap ? cap * 2 : 16;
    xslot *s = cib__calloc(&ms->mem, ncap, sizeof *s);
    if (!s)
        return CIB_ENOMEM;
    for (size_t i = 0; i < cap; i++)
        if (ms->xs[i].g)
            xslot_put(s, ncap - 1, ms->xs[i].g);
    cib__free(&ms->mem, ms->xs);
    ms->xs = s;
    ms->xmask = ncap - 1;
    return CIB_OK;
}

/* Removes g from the table (backward shift, as table_del); never allocates. */
static void xtable_del(memstore *ms, xgroup *g)
{
    size_t i = g->h & ms->xmask, mask = ms->xmask;
    while (ms->xs[i].g != g)
        i = (i + 1) & mask;
    for (size_t j = (i + 1) & mask; ms->xs[j].g; j = (j + 1) & mask) {
        size_t home = ms->xs[j].h & mask;
        int between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!between) {
            ms->xs[i] = ms->xs[j];
            i = j;
        }
    }
    ms->xs[i] = (xslot){0, NULL};
    ms->xn--;
}

static void xgroup_pend(memstore *ms, xgroup *g)
{
    if (!g->is_pending) {
        g->is_pending = 1;
        g->pending = ms->xpending;
        ms->xpending = g;
    }
}

/* The row's TEXT field `name`, or NULL. */
static const cib_field *text_field(const cib_row *row, const char *name)
{
    for (size_t i = 0; i < row->n_fields; i++) {
        const cib_field *f = &row->fields[i];
        if (f->type == CIB_FIELD_TEXT && f->name[0] == name[0] && name_is(f->name, name))
            return f;
    }
    return NULL;
}

/* The row's TEXT field of its kind's value index, or NULL. Put runs it on
 * every row of those kinds: the library writes the field at the same place
 * with the same name pointer each time, which is tried first. */
static const cib_field *vx_text(memstore *ms, const cib_row *row)
{
    int k = row->kind;
    size_t pos = ms->vx_pos[k];
    const cib_field *f = pos < row->n_fields ? &row->fields[pos] : NULL;
    if (f && f->name == ms->vx_name[k] && f->type == CIB_FIELD_TEXT) {
        const char *name = vx_field[k];
        size_t i = 0; /* the first field of that name counts */
        while (i < pos &&
               !(row->fields[i].name[0] == name[0] && name_is(row->fields[i].name, name)))
            i++;
        if (i == pos)
            return f;
    }
    if (!(f = text_field(row, vx_field[k])))
        return NULL;
    ms->vx_pos[k] = (uint8_t)(f - row->fields < 255 ? f - row->fields : 255);
    ms->vx_name[k] = f->name;
    return f;
}

/* The value group a row put of a kind with a value index belongs to,
 * created if need be (*out NULL: the row has no text in that field); e is
 * the row's entry, if it has one. CIB_OK or CIB_ENOMEM; a group created
 * stays empty until the put moves the row in, and is freed at the end of
 * the transaction if it is still empty. */
static int xgroup_for(memstore *ms, const cib_row *row, const mentry *e, xgroup **out)
{
    const cib_field *f = vx_text(ms, row);
    *out = NULL;
    if (!f || f->len >= UINT32_MAX)
        return CIB_OK;
    xgroup *now = e ? xnode_group(e) : NULL; /* a row rewritten keeps its value */
    if (now && now->len == f->len && !memcmp(now->text, f->text, f->len))
        return *out = now, CIB_OK;
    if ((*out = xgroup_find(ms, row->kind, f->text, f->len)))
        return CIB_OK;
    if (f->len > SIZE_MAX - sizeof(xgroup) - 1 || xtable_reserve(ms) != CIB_OK)
        return CIB_ENOMEM;
    xgroup *g = cib__malloc(&ms->mem, sizeof *g + f->len + 1);
    if (!g)
        return CIB_ENOMEM;
    g->h = value_hash(ms, row->kind, f->text, f->len);
    g->head = NULL;
    g->len = (uint32_t)f->len;
    g->kind = (uint8_t)row->kind;
    g->is_pending = 0;
    memcpy(g->text, f->text, f->len);
    g->text[f->len] = '\0';
    xslot_put(ms->xs, ms->xmask, g);
    ms->xn++;
    xgroup_pend(ms, g); /* empty until a row moves in */
    ms->xlast[row->kind] = *out = g;
    return CIB_OK;
}

/* Move e's xnode (if any) into group g (NULL: out of the index). O(1). */
static void xnode_move(memstore *ms, mentry *e, xgroup *g)
{
    if (!e->has_xnode)
        return;
    xnode *n = xnode_of(e);
    if (n->g == g)
        return;
    if (n->g) {
        if (n->prev)
            xnode_of(n->prev)->next = n->next;
        else if (!(n->g->head = n->next))
            xgroup_pend(ms, n->g);
        if (n->next)
            xnode_of(n->next)->prev = n->prev;
    }
    if (g) {
        n->prev = NULL;
        n->next = g->head;
        if (g->head)
            xnode_of(g->head)->prev = e;
        g->head = e;
    }
    n->g = g;
}

/* Free the value groups left empty (end of a transaction; never allocates). */
static void xgroup_sweep(memstore *ms)
{
    for (xgroup *g = ms->xpending, *next; g; g = next) {
        next = g->pending;
        g->is_pending = 0;
        if (g->head)
            continue;
        if (ms->xlast[g->kind] == g)
            ms->xlast[g->kind] = NULL;
        xtable_del(ms, g);
        cib__free(&ms->mem, g);
    }
    ms->xpending = NULL;
    if (ms->xn == 0 && ms->xs) {
        cib__free(&ms->mem, ms->xs);
        ms->xs = NULL;
        ms->xmask = 0;
    }
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
        node_move(ms, dead, NULL); /* already out: del moved it */
        xnode_move(ms, dead, NULL);
        table_del(ms, &ms->rows[dead->kind], dead);
        cib__free(&ms->mem, dead);
        dead = next;
    }
    group_sweep(ms);
    xgroup_sweep(ms);
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
        ms->conv_outside -= conv_out(r->e);
        if (r->e->cur)
            row_free(ms, r->e, r->e->cur);
        r->e->cur = r->old;
        node_move(ms, r->e, r->old_g);
        xnode_move(ms, r->e, r->old_x);
        ms->conv_outside += conv_out(r->e);
        if (r->created) {
            table_del(ms, &ms->rows[r->e->kind], r->e);
            cib__free(&ms->mem, r->e);
        }
    }
    group_sweep(ms);
    xgroup_sweep(ms);
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
    uint64_t id = 0;
    int indexed = row->kind == IX_KIND && (e ? e->has_node : key_id(row->key, row->key_len, &id));
    mgroup *g = NULL;
    if (indexed && (rc = group_for(ms, row, &g)) != CIB_OK)
        return rc;
    int xindexed = vx_field[row->kind] != NULL;
    xgroup *xg = NULL;
    if (xindexed && (rc = xgroup_for(ms, row, e, &xg)) != CIB_OK)
        return rc;
    if (e) {
        cib__prow *p = cib__malloc(&ms->mem, size);
        if (!p)
            return CIB_ENOMEM;
        memcpy(p, packed, size);
        ms->j[ms->jn++] = (jrec){e, e->cur, node_group(e), xnode_group(e), 0};
        ms->conv_outside -= conv_out(e);
        e->cur = p;
        node_move(ms, e, g);
        xnode_move(ms, e, xg);
        ms->conv_outside += conv_out(e);
        return CIB_OK;
    }
    /* A new entry: the key, the row (and the index node) in one block. */
    if ((rc = table_reserve(ms, t)) != CIB_OK)
        return rc;
    size_t cap = round8(size);
    e = cib__malloc(&ms->mem, round8(offsetof(mentry, key) + row->key_len + 1) + cap +
                                  (indexed ? sizeof(mnode) : 0) + (xindexed ? sizeof(xnode) : 0));
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
    if (indexed) {
        e->has_node = 1;
        mnode *n = node_of(e);
        memset(n, 0, sizeof *n);
        n->id = id;
        n->e = e;
        node_move(ms, e, g);
    }
    if (xindexed) {
        e->has_xnode = 1;
        memset(xnode_of(e), 0, sizeof(xnode));
        xnode_move(ms, e, xg);
    }
    table_add(t, e);
    ms->conv_outside += conv_out(e);
    ms->j[ms->jn++] = (jrec){e, NULL, NULL, NULL, 1};
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
    ms->j[ms->jn++] = (jrec){e, e->cur, node_group(e), xnode_group(e), 0};
    ms->conv_outside -= conv_out(e);
    e->cur = NULL;
    node_move(ms, e, NULL);
    xnode_move(ms, e, NULL);
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

/* find_page() other than through the index: a filtered, sorted scan. */
typedef struct page_hit {
    uint64_t id;
    const mentry *e;
} page_hit;

typedef struct page_match {
    const cib_match *m;
    size_t n;
    int hit;
} page_match;

static int match_cb(void *data, const cib_row *row)
{
    page_match *pm = data;
    pm->hit = 1;
    for (size_t i = 0; i < pm->n && pm->hit; i++) {
        pm->hit = 0;
        for (size_t k = 0; k < row->n_fields; k++) {
            const cib_field *f = &row->fields[k];
            if (f->type == CIB_FIELD_TEXT && !strcmp(f->name, pm->m[i].field) &&
                f->len == pm->m[i].len && !memcmp(f->text, pm->m[i].value, f->len)) {
                pm->hit = 1;
                break;
            }
        }
    }
    return 0;
}

static int cmp_hit(const void *a, const void *b)
{
    uint64_t x = ((const page_hit *)a)->id, y = ((const page_hit *)b)->id;
    return (x > y) - (x < y);
}

static int page_scan(memstore *ms, int kind, const cib_match *m, size_t n, uint64_t after,
                     size_t limit, cib_row_fn fn, void *cb_data)
{
    page_hit *v = NULL;
    size_t nv = 0, cap = 0;
    int rc = CIB_OK;
    for (const mentry *e = ms->rows[kind].first; e && !rc; e = e->next) {
        uint64_t id;
        if (!e->cur || !key_id(e->key, e->key_len, &id) || id <= after)
            continue;
        page_match pm = {m, n, 0};
        if ((rc = emit(ms, e, match_cb, &pm)) != CIB_OK || !pm.hit)
            continue;
        if (nv == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            page_hit *nvp = cib__realloc(&ms->mem, v, ncap * sizeof *v);
            if (!nvp) {
                rc = CIB_ENOMEM;
                break;
            }
            v = nvp;
            cap = ncap;
        }
        v[nv++] = (page_hit){id, e};
    }
    if (!rc && nv)
        qsort(v, nv, sizeof *v, cmp_hit);
    for (size_t i = 0; !rc && i < nv && i < limit; i++)
        rc = emit(ms, v[i].e, fn, cb_data);
    cib__free(&ms->mem, v);
    return rc;
}

/* find(): the rows whose TEXT field equals a value go to fn. */
typedef struct find_filter {
    const char *field, *value;
    size_t len;
    cib_row_fn fn;
    void *cb_data;
} find_filter;

static int filter_cb(void *data, const cib_row *row)
{
    const find_filter *ff = data;
    const cib_field *f = text_field(row, ff->field);
    if (!f || f->len != ff->len || memcmp(f->text, ff->value, f->len))
        return 0;
    return ff->fn(ff->cb_data, row);
}

/* Every row of a value group; O(its rows). */
static int xgroup_each(memstore *ms, const xgroup *g, cib_row_fn fn, void *cb_data)
{
    for (mentry *e = g ? g->head : NULL, *next; e; e = next) {
        next = xnode_of(e)->next;
        int rc = emit(ms, e, fn, cb_data);
        if (rc)
            return rc;
    }
    return CIB_OK;
}

typedef int (*entry_fn)(memstore *ms, const mentry *e, void *data);

typedef struct row_to {
    cib_row_fn fn;
    void *cb_data;
} row_to;

static int entry_emit(memstore *ms, const mentry *e, void *data)
{
    const row_to *to = data;
    return emit(ms, e, to->fn, to->cb_data);
}

/* The messages of conversation e that name the inbox ff->value. */
static int entry_messages(memstore *ms, const mentry *e, void *data)
{
    return xgroup_each(ms, xgroup_find(ms, CIB_KIND_MESSAGE, e->key, e->key_len), filter_cb, data);
}

/* Every conversation whose inbox (by_status: status) is v, through the
 * ordered index, which holds every current conversation while
 * conv_outside is 0: O(groups + rows). */
static int conv_each(memstore *ms, int by_status, const char *v, size_t len, entry_fn fn,
                     void *data)
{
    mentry *zero = entry_find(ms, IX_KIND, "0", 1); /* id 0: before every cursor */
    for (mgroup *g = ms->groups; g; g = g->next) {
        if (by_status ? g->b_len != len || memcmp(g->text + g->a_len + 1, v, len)
                      : g->a_len != len || memcmp(g->text, v, len))
            continue;
        int rc;
        if (zero && node_group(zero) == g && (rc = fn(ms, zero, data)) != CIB_OK)
            return rc;
        for (cib__tnode *t = cib__tree_after(&g->t, 0), *next; t; t = next) {
            next = cib__tree_next(t);
            const mnode *nd = (const mnode *)(void *)((char *)t - offsetof(mnode, t));
            if ((rc = fn(ms, nd->e, data)) != CIB_OK)
                return rc;
        }
    }
    return CIB_OK;
}

static int ms_find(void *ud, int kind, const char *field, const char *value, size_t len,
                   cib_row_fn fn, void *cb_data)
{
    memstore *ms = ud;
    if (!kind_ok(kind) || !field || (!value && len) || !fn)
        return CIB_EINVAL;
    if (!value)
        value = "";
    find_filter ff = {field, value, len, fn, cb_data};
    if (vx_field[kind] && !strcmp(field, vx_field[kind]))
        return len < UINT32_MAX ? xgroup_each(ms, xgroup_find(ms, kind, value, len), fn, cb_data)
                                : CIB_OK;
    int by_inbox = !strcmp(field, ix_a), by_status = !by_inbox && !strcmp(field, ix_b);
    if (kind == IX_KIND && (by_inbox || by_status) && !ms->conv_outside) {
        row_to to = {fn, cb_data};
        return conv_each(ms, by_status, value, len, entry_emit, &to);
    }
    /* convinbox/store.h: a message is in the inbox of its conversation. */
    if (kind == CIB_KIND_MESSAGE && by_inbox && !ms->conv_outside)
        return conv_each(ms, 0, value, len, entry_messages, &ff);
    for (const mentry *e = ms->rows[kind].first, *next; e; e = next) {
        next = e->next;
        int rc = e->cur ? emit(ms, e, filter_cb, &ff) : CIB_OK;
        if (rc)
            return rc;
    }
    return CIB_OK;
}

static int ms_find_page(void *ud, int kind, const cib_match *m, size_t n, uint64_t after,
                        size_t limit, cib_row_fn fn, void *cb_data)
{
    memstore *ms = ud;
    if (!kind_ok(kind) || !m || n == 0 || limit == 0 || !fn)
        return CIB_EINVAL;
    for (size_t i = 0; i < n; i++)
        if (!m[i].field || (!m[i].value && m[i].len))
            return CIB_EINVAL;
    const cib_match *a = NULL, *b = NULL;
    for (size_t i = 0; kind == IX_KIND && n == 2 && i < 2; i++) {
        if (!strcmp(m[i].field, ix_a))
            a = &m[i];
        else if (!strcmp(m[i].field, ix_b))
            b = &m[i];
    }
    if (!a || !b)
        return page_scan(ms, kind, m, n, after, limit, fn, cb_data);
    mgroup *g = group_find(ms, a->value ? a->value : "", a->len, b->value ? b->value : "", b->len);
    if (!g)
        return CIB_OK;
    for (cib__tnode *t = cib__tree_after(&g->t, after); t && limit; limit--) {
        cib__tnode *next = cib__tree_next(t);
        const mnode *nd = (const mnode *)(void *)((char *)t - offsetof(mnode, t));
        int rc = emit(ms, nd->e, fn, cb_data);
        if (rc)
            return rc;
        t = next;
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
    for (mgroup *g = ms->groups, *next; g; g = next) {
        next = g->next;
        cib__free(&ms->mem, g);
    }
    for (size_t i = 0; ms->xs && i <= ms->xmask; i++)
        cib__free(&ms->mem, ms->xs[i].g);
    cib__free(&ms->mem, ms->xs);
    cib__free(&ms->mem, ms->j);
    cib__pbuf_free(&ms->pack);
    cib__mem mem = ms->mem;
    cib__free(&mem, ms);
}

int cib_memstore_new(const cib_allocator *allocator, cib_store *out)
{
    uint64_t seed;
    if (!out)
        return CIB_EINVAL;
    if (cib__os_entropy(&seed, sizeof seed))
        return CIB_ENOMEM; /* no guessable seed instead (hash.h) */
    return cib__memstore_new_seeded(allocator, seed, out);
}

int cib__memstore_new_seeded(const cib_allocator *allocator, uint64_t seed, cib_store *out)
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
    ms->seed = seed;
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
    s.find = ms_find;
    s.find_page = ms_find_page;
    *out = s;
    return CIB_OK;
}
