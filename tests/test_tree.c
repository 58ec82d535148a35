/* test_tree.c - white-box tests of the intrusive AVL tree (lib/base/tree.c):
 * randomized operations against a reference model, the AVL invariants read
 * from the nodes, one object in two trees, and the removal cases. */
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"
#include "tree.h"

/* An object that sits in two trees under one key, like a conversation in its
 * inbox's view and in a queue. The key lies after one node and before the
 * other, so one tree has a positive key_delta and the other a negative. */
typedef struct item {
    cib__tnode a;
    uint64_t key;
    cib__tnode b;
} item;

#define DELTA_A ((ptrdiff_t)offsetof(item, key) - (ptrdiff_t)offsetof(item, a))
#define DELTA_B ((ptrdiff_t)offsetof(item, key) - (ptrdiff_t)offsetof(item, b))

static item *item_of_a(const cib__tnode *n)
{
    return n ? (item *)((char *)(uintptr_t)n - offsetof(item, a)) : NULL;
}

static item *item_of_b(const cib__tnode *n)
{
    return n ? (item *)((char *)(uintptr_t)n - offsetof(item, b)) : NULL;
}

/* splitmix64: a fixed-seed generator independent of the C library. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t rng_below(uint64_t *s, size_t n)
{
    return (size_t)(rng_next(s) % n);
}

/* ---- invariant checker ------------------------------------------------- */

/* Check the subtree at n (whose parent must be `parent`) and return its
 * height: parent links, stored heights, balance, and that every key lies in
 * (lo, hi) (exclusive bounds, with has_lo/has_hi when they apply). */
static int check_subtree(const cib__tree *t, const cib__tnode *n, const cib__tnode *parent,
                         int has_lo, uint64_t lo, int has_hi, uint64_t hi, size_t *count)
{
    if (!n)
        return 0;
    assert_ptr_equal(n->parent, parent);
    uint64_t k = cib__tree_key(t, n);
    if (has_lo)
        assert_true(k > lo);
    if (has_hi)
        assert_true(k < hi);
    int hl = check_subtree(t, n->left, n, has_lo, lo, 1, k, count);
    int hr = check_subtree(t, n->right, n, 1, k, has_hi, hi, count);
    int h = (hl > hr ? hl : hr) + 1;
    assert_int_equal(n->height, h);
    assert_true(hl - hr <= 1 && hr - hl <= 1);
    ++*count;
    return h;
}

/* All the AVL invariants of t, and its height in an AVL bound. */
static void check_avl(const cib__tree *t)
{
    size_t count = 0;
    int h = check_subtree(t, t->root, NULL, 0, 0, 0, 0, &count);
    assert_int_equal(count, t->count);
    /* An AVL tree of n nodes has height < 1.4405 log2(n + 2). */
    size_t minsize[64] = {0, 1};
    for (int i = 2; i < 64; i++)
        minsize[i] = minsize[i - 1] + minsize[i - 2] + 1;
    assert_true(h < 64);
    assert_true(count >= minsize[h]);
    /* The cached ends, and the walk backwards from the largest. */
    const cib__tnode *lo = t->root, *hi = t->root;
    while (lo && lo->left)
        lo = lo->left;
    while (hi && hi->right)
        hi = hi->right;
    assert_ptr_equal(t->first, lo);
    assert_ptr_equal(t->last, hi);
    size_t back = 0;
    for (const cib__tnode *x = t->last; x; x = cib__tree_prev(x)) {
        const cib__tnode *p = cib__tree_prev(x);
        if (p)
            assert_true(cib__tree_key(t, p) < cib__tree_key(t, x));
        back++;
    }
    assert_int_equal(back, t->count);
}

static cib__tnode *leftmost(const cib__tree *t)
{
    cib__tnode *n = t->root;
    while (n && n->left)
        n = n->left;
    return n;
}

/* The keys of t in order by cib__tree_after(t, 0) and cib__tree_next. */
static size_t walk_keys(const cib__tree *t, uint64_t *out, size_t max)
{
    size_t n = 0;
    for (cib__tnode *x = cib__tree_after(t, 0); x; x = cib__tree_next(x)) {
        assert_true(n < max);
        out[n++] = cib__tree_key(t, x);
    }
    return n;
}

static void expect_keys(const cib__tree *t, const uint64_t *want, size_t n)
{
    uint64_t got[64];
    assert_true(n <= 64);
    assert_int_equal(walk_keys(t, got, 64), n);
    for (size_t i = 0; i < n; i++)
        assert_true(got[i] == want[i]);
    assert_int_equal(t->count, n);
}

/* ---- randomized test against a model ----------------------------------- */

/* The model: pool[] sorted by key (all distinct, all >= 1); in[i] says
 * whether pool[i] is in the tree. */
typedef struct model {
    item *pool;
    unsigned char *in;
    size_t n, count;
} model;

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

static void model_init(model *m, uint64_t *rng, size_t want)
{
    uint64_t *keys = calloc(want, sizeof *keys);
    assert_non_null(keys);
    /* Extremes, a dense run of small keys, and keys from the whole range. */
    size_t n = 0;
    keys[n++] = 1;
    keys[n++] = 2;
    keys[n++] = UINT64_MAX;
    keys[n++] = UINT64_MAX - 1;
    for (; n < want; n++)
        keys[n] = n % 2 ? 1 + rng_next(rng) % (want * 2) : rng_next(rng);
    qsort(keys, n, sizeof *keys, cmp_u64);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (keys[i] != 0 && (u == 0 || keys[i] != keys[u - 1]))
            keys[u++] = keys[i];
    m->pool = calloc(u, sizeof *m->pool);
    m->in = calloc(u, 1);
    assert_non_null(m->pool);
    assert_non_null(m->in);
    for (size_t i = 0; i < u; i++)
        m->pool[i].key = keys[i];
    m->n = u;
    m->count = 0;
    free(keys);
}

static void model_free(model *m)
{
    free(m->pool);
    free(m->in);
}

/* The model's cib__tree_after: the first member with a key above k. */
static item *model_after(const model *m, uint64_t k)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->pool[mid].key <= k)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i < m->n; i++)
        if (m->in[i])
            return &m->pool[i];
    return NULL;
}

static void check_against_model(const cib__tree *t, const model *m, uint64_t *rng)
{
    check_avl(t);
    assert_int_equal(t->count, m->count);
    /* In-order walk equals the model's members, in key order. */
    cib__tnode *x = cib__tree_after(t, 0);
    assert_ptr_equal(x, leftmost(t));
    for (size_t i = 0; i < m->n; i++) {
        if (!m->in[i]) {
            assert_int_equal(m->pool[i].a.height, 0);
            continue;
        }
        assert_non_null(x);
        assert_ptr_equal(item_of_a(x), &m->pool[i]);
        assert_true(m->pool[i].a.height >= 1);
        x = cib__tree_next(x);
    }
    assert_null(x);
    /* cib__tree_after for keys present, absent, their neighbours and the
     * extremes. */
    const uint64_t fixed[] = {0, 1, 2, UINT64_MAX, UINT64_MAX - 1, UINT64_MAX - 2};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        assert_ptr_equal(item_of_a(cib__tree_after(t, fixed[i])), model_after(m, fixed[i]));
    for (int q = 0; q < 40; q++) {
        uint64_t k = m->pool[rng_below(rng, m->n)].key;
        switch (q % 5) {
        case 1:
            k--;
            break;
        case 2:
            k++;
            break;
        case 3:
            k = rng_next(rng);
            break;
        case 4:
            k = rng_next(rng) % (m->n * 2 + 2);
            break;
        default:
            break;
        }
        assert_ptr_equal(item_of_a(cib__tree_after(t, k)), model_after(m, k));
    }
}

/* Thousands of random inserts and removes, in phases that fill the tree,
 * churn it and drain it; everything is checked after each batch. */
static void test_random_operations_match_sorted_model(void **state)
{
    (void)state;
    uint64_t rng = 0x5eed0001;
    model m;
    model_init(&m, &rng, 1200);
    cib__tree t;
    cib__tree_init(&t, DELTA_A);
    assert_null(t.root);
    assert_int_equal(t.count, 0);
    check_against_model(&t, &m, &rng);

    /* Percent of operations that insert, per phase. */
    const int insert_pct[] = {90, 50, 20, 70, 50, 5};
    size_t ops = 0, inserts = 0, removes = 0;
    for (size_t phase = 0; phase < sizeof insert_pct / sizeof insert_pct[0]; phase++) {
        for (int batch = 0; batch < 40; batch++) {
            for (int op = 0; op < 64; op++, ops++) {
                size_t i = rng_below(&rng, m.n);
                int want_insert = (int)rng_below(&rng, 100) < insert_pct[phase];
                /* Find the nearest item in the wanted state. */
                size_t tries = 0;
                while (m.in[i] == want_insert && tries++ < m.n)
                    i = (i + 1) % m.n;
                if (m.in[i] == want_insert)
                    continue;
                if (want_insert) {
                    assert_int_equal(m.pool[i].a.height, 0);
                    cib__tree_insert(&t, &m.pool[i].a);
                    m.in[i] = 1;
                    m.count++;
                    inserts++;
                } else {
                    cib__tree_remove(&t, &m.pool[i].a);
                    assert_int_equal(m.pool[i].a.height, 0);
                    m.in[i] = 0;
                    m.count--;
                    removes++;
                }
                /* Catch a broken link before the next operation follows it. */
                check_avl(&t);
            }
            check_against_model(&t, &m, &rng);
        }
    }
    assert_true(inserts >= 5000);
    assert_true(removes >= 5000);
    /* Drain: remove everything, the root each time. */
    while (t.root) {
        item *it = item_of_a(t.root);
        cib__tree_remove(&t, t.root);
        assert_int_equal(it->a.height, 0);
        m.in[it - m.pool] = 0;
        m.count--;
        if (m.count % 50 == 0)
            check_against_model(&t, &m, &rng);
    }
    assert_int_equal(t.count, 0);
    assert_null(cib__tree_after(&t, 0));
    model_free(&m);
}

/* Inserting ascending, then descending keys is the rotation-heavy worst case
 * for an unbalanced tree: the height stays logarithmic. */
static void test_sorted_inserts_stay_balanced(void **state)
{
    (void)state;
    enum { N = 1000 };
    item *items = calloc(N, sizeof *items);
    assert_non_null(items);
    cib__tree t;
    for (int dir = 0; dir < 2; dir++) {
        cib__tree_init(&t, DELTA_A);
        for (int i = 0; i < N; i++) {
            int k = dir ? N - i : i + 1;
            items[k - 1].key = (uint64_t)k;
            cib__tree_insert(&t, &items[k - 1].a);
            if (i % 97 == 0)
                check_avl(&t);
        }
        check_avl(&t);
        assert_int_equal(t.count, N);
        assert_true(t.root->height <= 11); /* ceil(1.44 log2(1002)) */
        uint64_t prev = 0;
        size_t n = 0;
        for (cib__tnode *x = cib__tree_after(&t, 0); x; x = cib__tree_next(x), n++) {
            assert_true(cib__tree_key(&t, x) == prev + 1);
            prev = cib__tree_key(&t, x);
        }
        assert_int_equal(n, N);
        /* Remove from one end: again rotation-heavy. */
        for (int i = 0; i < N; i++) {
            cib__tree_remove(&t, dir ? &items[i].a : &items[N - 1 - i].a);
            if (i % 89 == 0)
                check_avl(&t);
        }
        assert_null(t.root);
        assert_int_equal(t.count, 0);
    }
    free(items);
}

/* cib__tree_after is strictly greater; the keys 0 and UINT64_MAX work. */
static void test_after_is_strict_and_handles_extreme_keys(void **state)
{
    (void)state;
    item it[4] = {{.key = 0}, {.key = 7}, {.key = UINT64_MAX - 1}, {.key = UINT64_MAX}};
    cib__tree t;
    cib__tree_init(&t, DELTA_A);
    assert_null(cib__tree_after(&t, 0));
    assert_null(cib__tree_after(&t, UINT64_MAX));
    for (int i = 3; i >= 0; i--)
        cib__tree_insert(&t, &it[i].a);
    check_avl(&t);
    assert_ptr_equal(cib__tree_after(&t, 0), &it[1].a); /* not the key 0 itself */
    assert_ptr_equal(cib__tree_next(&it[0].a), &it[1].a);
    assert_ptr_equal(cib__tree_after(&t, 6), &it[1].a);
    assert_ptr_equal(cib__tree_after(&t, 7), &it[2].a);
    assert_ptr_equal(cib__tree_after(&t, UINT64_MAX - 2), &it[2].a);
    assert_ptr_equal(cib__tree_after(&t, UINT64_MAX - 1), &it[3].a);
    assert_null(cib__tree_after(&t, UINT64_MAX));
    assert_null(cib__tree_next(&it[3].a));
    assert_true(cib__tree_key(&t, &it[3].a) == UINT64_MAX);
}

/* One object in two trees (two nodes, one key, key_delta of either sign):
 * removing it from one tree leaves the other intact. */
static void test_object_in_two_trees_removal_leaves_other_intact(void **state)
{
    (void)state;
    enum { N = 300 };
    item *items = calloc(N, sizeof *items);
    assert_non_null(items);
    cib__tree ta, tb;
    cib__tree_init(&ta, DELTA_A);
    cib__tree_init(&tb, DELTA_B);
    assert_true(DELTA_A > 0);
    assert_true(DELTA_B < 0);
    uint64_t rng = 0x7700;
    /* Insert in a shuffled order, different for the two trees. */
    size_t order[N];
    for (size_t i = 0; i < N; i++) {
        items[i].key = 10 * (i + 1);
        order[i] = i;
    }
    for (size_t i = N - 1; i > 0; i--) {
        size_t j = rng_below(&rng, i + 1), tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    for (size_t i = 0; i < N; i++) {
        cib__tree_insert(&ta, &items[order[i]].a);
        cib__tree_insert(&tb, &items[order[N - 1 - i]].b);
    }
    check_avl(&ta);
    check_avl(&tb);
    assert_true(cib__tree_key(&ta, &items[5].a) == 60);
    assert_true(cib__tree_key(&tb, &items[5].b) == 60);

    /* Remove every third object from ta only. */
    for (size_t i = 0; i < N; i += 3) {
        cib__tree_remove(&ta, &items[i].a);
        assert_int_equal(items[i].a.height, 0);
        assert_true(items[i].b.height >= 1);
        assert_true(items[i].key == 10 * (i + 1));
    }
    check_avl(&ta);
    check_avl(&tb);
    assert_int_equal(ta.count, N - (N + 2) / 3);
    assert_int_equal(tb.count, N);
    size_t i = 0;
    for (cib__tnode *x = cib__tree_after(&tb, 0); x; x = cib__tree_next(x), i++)
        assert_ptr_equal(item_of_b(x), &items[i]);
    assert_int_equal(i, N);
    i = 1;
    for (cib__tnode *x = cib__tree_after(&ta, 0); x; x = cib__tree_next(x)) {
        assert_ptr_equal(item_of_a(x), &items[i]);
        i += i % 3 == 1 ? 1 : 2;
    }
    /* cib__tree_after answers each tree by its own members. */
    assert_ptr_equal(item_of_a(cib__tree_after(&ta, 0)), &items[1]);
    assert_ptr_equal(item_of_b(cib__tree_after(&tb, 0)), &items[0]);
    assert_ptr_equal(item_of_a(cib__tree_after(&ta, 35)), &items[4]);
    assert_ptr_equal(item_of_b(cib__tree_after(&tb, 35)), &items[3]);

    /* An object removed from ta can go back in; removing all from tb leaves
     * ta intact. */
    cib__tree_insert(&ta, &items[0].a);
    for (size_t k = 0; k < N; k++)
        cib__tree_remove(&tb, &items[k].b);
    assert_null(tb.root);
    assert_int_equal(tb.count, 0);
    check_avl(&ta);
    assert_int_equal(ta.count, N - (N + 2) / 3 + 1);
    assert_ptr_equal(item_of_a(cib__tree_after(&ta, 0)), &items[0]);
    free(items);
}

/* Shapes of small trees, checked node by node. Keys are 10, 20, ... */
static void build(cib__tree *t, item *items, const uint64_t *keys, size_t n)
{
    cib__tree_init(t, DELTA_A);
    for (size_t i = 0; i < n; i++) {
        memset(&items[i], 0, sizeof items[i]);
        items[i].key = keys[i];
        cib__tree_insert(t, &items[i].a);
    }
    check_avl(t);
}

static item *find(item *items, size_t n, uint64_t key)
{
    for (size_t i = 0; i < n; i++)
        if (items[i].key == key)
            return &items[i];
    fail_msg("no key %llu", (unsigned long long)key);
    return NULL;
}

#define KEY_OF(n) (item_of_a(n) ? item_of_a(n)->key : 0)

static void test_remove_root_of_single_and_small_trees(void **state)
{
    (void)state;
    item it[7];
    cib__tree t;
    /* The only node. */
    build(&t, it, (const uint64_t[]){10}, 1);
    cib__tree_remove(&t, t.root);
    assert_null(t.root);
    assert_int_equal(t.count, 0);
    assert_int_equal(it[0].a.height, 0);
    assert_null(it[0].a.parent);
    assert_null(cib__tree_after(&t, 0));
    /* A root with one child: the child becomes the root. */
    build(&t, it, (const uint64_t[]){10, 20}, 2);
    assert_ptr_equal(t.root, &it[0].a);
    cib__tree_remove(&t, &it[0].a);
    assert_ptr_equal(t.root, &it[1].a);
    assert_null(it[1].a.parent);
    assert_int_equal(it[1].a.height, 1);
    check_avl(&t);
    expect_keys(&t, (const uint64_t[]){20}, 1);
    /* A root with two children, repeatedly, down to empty. */
    build(&t, it, (const uint64_t[]){40, 20, 60, 10, 30, 50, 70}, 7);
    uint64_t left[7] = {10, 20, 30, 40, 50, 60, 70};
    size_t n = 7;
    while (t.root) {
        uint64_t k = KEY_OF(t.root);
        item *gone = item_of_a(t.root);
        cib__tree_remove(&t, t.root);
        assert_int_equal(gone->a.height, 0);
        assert_null(gone->a.left);
        assert_null(gone->a.right);
        assert_null(gone->a.parent);
        size_t j = 0;
        for (size_t i = 0; i < n; i++)
            if (left[i] != k)
                left[j++] = left[i];
        assert_int_equal(j, n - 1);
        n = j;
        check_avl(&t);
        expect_keys(&t, left, n);
    }
}

static void test_remove_leaf_rebalances_up(void **state)
{
    (void)state;
    item it[12];
    cib__tree t;
    /* Perfect tree of 7, then removing leaves. */
    build(&t, it, (const uint64_t[]){40, 20, 60, 10, 30, 50, 70}, 7);
    item *leaf = find(it, 7, 10);
    assert_null(leaf->a.left);
    assert_null(leaf->a.right);
    cib__tree_remove(&t, &leaf->a);
    assert_int_equal(leaf->a.height, 0);
    check_avl(&t);
    expect_keys(&t, (const uint64_t[]){20, 30, 40, 50, 60, 70}, 6);
    assert_null(find(it, 7, 20)->a.left);
    /* Removing the leaves 30 and then 20 leaves the root's left side 2
     * lower than its right: the root must rotate. */
    cib__tree_remove(&t, &find(it, 7, 30)->a);
    check_avl(&t);
    assert_ptr_equal(t.root, &find(it, 7, 40)->a);
    cib__tree_remove(&t, &find(it, 7, 20)->a);
    check_avl(&t);
    expect_keys(&t, (const uint64_t[]){40, 50, 60, 70}, 4);
    assert_ptr_equal(t.root, &find(it, 7, 60)->a);
    assert_ptr_equal(t.root->left, &find(it, 7, 40)->a);
    assert_ptr_equal(find(it, 7, 40)->a.right, &find(it, 7, 50)->a);
    /* A leaf removal that needs a double rotation: 20 with children 10 and
     * 40, and 30 under 40. */
    build(&t, it, (const uint64_t[]){20, 10, 40, 30}, 4);
    cib__tree_remove(&t, &find(it, 4, 10)->a);
    check_avl(&t);
    assert_ptr_equal(t.root, &find(it, 4, 30)->a);
    expect_keys(&t, (const uint64_t[]){20, 30, 40}, 3);
}

static void test_remove_two_children_successor_is_right_child(void **state)
{
    (void)state;
    item it[8];
    cib__tree t;
    /* 20's children are 10 and 30; its successor 30 is its right child. */
    build(&t, it, (const uint64_t[]){40, 20, 60, 10, 30, 50, 70}, 7);
    item *n = find(it, 7, 20), *s = find(it, 7, 30);
    assert_ptr_equal(n->a.right, &s->a);
    assert_null(s->a.left);
    cib__tree_remove(&t, &n->a);
    assert_int_equal(n->a.height, 0);
    check_avl(&t);
    assert_ptr_equal(t.root->left, &s->a);
    assert_ptr_equal(s->a.left, &find(it, 7, 10)->a);
    assert_null(s->a.right);
    expect_keys(&t, (const uint64_t[]){10, 30, 40, 50, 60, 70}, 6);
    /* The same at the root, where the successor also has a right child. */
    build(&t, it, (const uint64_t[]){20, 10, 30, 5, 40}, 5);
    n = find(it, 5, 20);
    s = find(it, 5, 30);
    assert_ptr_equal(t.root, &n->a);
    assert_ptr_equal(n->a.right, &s->a);
    cib__tree_remove(&t, &n->a);
    check_avl(&t);
    assert_ptr_equal(t.root, &s->a);
    assert_null(s->a.parent);
    assert_ptr_equal(s->a.right, &find(it, 5, 40)->a);
    expect_keys(&t, (const uint64_t[]){5, 10, 30, 40}, 4);
}

static void test_remove_two_children_successor_is_deeper(void **state)
{
    (void)state;
    item it[13];
    cib__tree t;
    /* The root 40's successor 50 is the left child of 60 (a leaf). */
    build(&t, it, (const uint64_t[]){40, 20, 60, 10, 30, 50, 70}, 7);
    item *n = find(it, 7, 40), *s = find(it, 7, 50);
    assert_ptr_equal(s->a.parent, &find(it, 7, 60)->a);
    cib__tree_remove(&t, &n->a);
    assert_int_equal(n->a.height, 0);
    check_avl(&t);
    assert_ptr_equal(t.root, &s->a);
    assert_null(find(it, 7, 60)->a.left);
    expect_keys(&t, (const uint64_t[]){10, 20, 30, 50, 60, 70}, 6);
    /* The successor 50 has a right child 55 that takes its place. */
    build(&t, it, (const uint64_t[]){40, 20, 60, 10, 30, 50, 70, 55}, 8);
    n = find(it, 8, 40);
    s = find(it, 8, 50);
    item *c = find(it, 8, 55), *p = find(it, 8, 60);
    assert_ptr_equal(s->a.right, &c->a);
    assert_ptr_equal(s->a.parent, &p->a);
    cib__tree_remove(&t, &n->a);
    check_avl(&t);
    assert_ptr_equal(t.root, &s->a);
    assert_ptr_equal(p->a.left, &c->a);
    assert_ptr_equal(c->a.parent, &p->a);
    expect_keys(&t, (const uint64_t[]){10, 20, 30, 50, 55, 60, 70}, 7);
    /* A non-root node 20 whose successor 30 is two levels down, as the left
     * child of 40 whose right side is 2 high: taking 30 out unbalances 40,
     * which must rotate. */
    build(&t, it, (const uint64_t[]){50, 20, 80, 10, 40, 70, 90, 5, 30, 45, 60, 95, 47}, 13);
    n = find(it, 13, 20);
    s = find(it, 13, 30);
    p = find(it, 13, 40);
    item *q = find(it, 13, 45), *r = find(it, 13, 47);
    assert_ptr_equal(n->a.right, &p->a);
    assert_ptr_equal(s->a.parent, &p->a);
    assert_ptr_equal(p->a.right, &q->a);
    assert_ptr_equal(q->a.right, &r->a);
    cib__tree_remove(&t, &n->a);
    assert_int_equal(n->a.height, 0);
    check_avl(&t);
    assert_ptr_equal(t.root->left, &s->a);
    assert_ptr_equal(s->a.right, &q->a);
    assert_ptr_equal(q->a.left, &p->a);
    assert_ptr_equal(q->a.right, &r->a);
    expect_keys(&t, (const uint64_t[]){5, 10, 30, 40, 45, 47, 50, 60, 70, 80, 90, 95}, 12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_operations_match_sorted_model),
        cmocka_unit_test(test_sorted_inserts_stay_balanced),
        cmocka_unit_test(test_after_is_strict_and_handles_extreme_keys),
        cmocka_unit_test(test_object_in_two_trees_removal_leaves_other_intact),
        cmocka_unit_test(test_remove_root_of_single_and_small_trees),
        cmocka_unit_test(test_remove_leaf_rebalances_up),
        cmocka_unit_test(test_remove_two_children_successor_is_right_child),
        cmocka_unit_test(test_remove_two_children_successor_is_deeper),
    };
    return TENV_RUN(tests);
}
