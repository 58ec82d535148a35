/* tree.c - intrusive AVL tree keyed by uint64 (see tree.h). */
#include "tree.h"

#include <string.h>

void cib__tree_init(cib__tree *t, ptrdiff_t key_delta)
{
    t->root = t->first = t->last = NULL;
    t->key_delta = key_delta;
    t->count = 0;
}

uint64_t cib__tree_key(const cib__tree *t, const cib__tnode *n)
{
    uint64_t k;
    memcpy(&k, (const char *)n + t->key_delta, sizeof k);
    return k;
}

static int height(const cib__tnode *n)
{
    return n ? n->height : 0;
}

static void update(cib__tnode *n)
{
    int l = height(n->left), r = height(n->right);
    n->height = (l > r ? l : r) + 1;
}

/* Point the parent's link (or the root) that held `old` at `new`. */
static void replace_child(cib__tree *t, cib__tnode *parent, cib__tnode *old, cib__tnode *new)
{
    if (!parent)
        t->root = new;
    else if (parent->left == old)
        parent->left = new;
    else
        parent->right = new;
    if (new)
        new->parent = parent;
}

static cib__tnode *rotate_left(cib__tree *t, cib__tnode *x)
{
    cib__tnode *y = x->right;
    replace_child(t, x->parent, x, y);
    x->right = y->left;
    if (x->right)
        x->right->parent = x;
    y->left = x;
    x->parent = y;
    update(x);
    update(y);
    return y;
}

static cib__tnode *rotate_right(cib__tree *t, cib__tnode *x)
{
    cib__tnode *y = x->left;
    replace_child(t, x->parent, x, y);
    x->left = y->right;
    if (x->left)
        x->left->parent = x;
    y->right = x;
    x->parent = y;
    update(x);
    update(y);
    return y;
}

/* Restore the AVL balance from n upwards. A subtree whose height comes out
 * as it was leaves everything above it as it was: stop there. */
static void rebalance(cib__tree *t, cib__tnode *n)
{
    while (n) {
        int before = n->height;
        update(n);
        int bal = height(n->left) - height(n->right);
        if (bal > 1) {
            if (height(n->left->left) < height(n->left->right))
                rotate_left(t, n->left);
            n = rotate_right(t, n);
        } else if (bal < -1) {
            if (height(n->right->right) < height(n->right->left))
                rotate_right(t, n->right);
            n = rotate_left(t, n);
        }
        if (n->height == before)
            return;
        n = n->parent;
    }
}

/* After inserting leaf n: heights grow up the path until a node was already
 * taller than the child that grew; at most one (double) rotation. */
static void insert_fixup(cib__tree *t, cib__tnode *n)
{
    for (cib__tnode *p = n->parent; p; n = p, p = p->parent) {
        int hn = n->height;
        if (p->height > hn)
            return; /* p's height holds */
        cib__tnode *sibling = p->left == n ? p->right : p->left;
        if (hn - height(sibling) < 2) {
            p->height = hn + 1;
            continue;
        }
        if (p->left == n) {
            if (height(n->left) < height(n->right))
                rotate_left(t, n);
            rotate_right(t, p);
        } else {
            if (height(n->right) < height(n->left))
                rotate_right(t, n);
            rotate_left(t, p);
        }
        return; /* the subtree has its old height again */
    }
}

void cib__tree_insert(cib__tree *t, cib__tnode *n)
{
    uint64_t key = cib__tree_key(t, n);
    cib__tnode *parent = NULL, **link = &t->root;
    if (t->last && key > cib__tree_key(t, t->last)) {
        parent = t->last; /* the largest has no right child */
        link = &parent->right;
    } else if (t->first && key < cib__tree_key(t, t->first)) {
        parent = t->first;
        link = &parent->left;
    } else {
        while (*link) {
            parent = *link;
            link = key < cib__tree_key(t, parent) ? &parent->left : &parent->right;
        }
    }
    n->left = n->right = NULL;
    n->parent = parent;
    n->height = 1;
    *link = n;
    t->count++;
    if (!t->first || link == &t->first->left)
        t->first = n;
    if (!t->last || link == &t->last->right)
        t->last = n;
    insert_fixup(t, n);
}

void cib__tree_remove(cib__tree *t, cib__tnode *n)
{
    if (n == t->first)
        t->first = cib__tree_next(n);
    if (n == t->last)
        t->last = cib__tree_prev(n);
    cib__tnode *start;
    if (n->left && n->right) {
        /* Swap in the successor s (leftmost of the right subtree); it takes
         * n's place and height, so the walk up sees what changed. */
        cib__tnode *s = n->right;
        while (s->left)
            s = s->left;
        start = s->parent == n ? s : s->parent;
        if (s->parent != n) {
            replace_child(t, s->parent, s, s->right);
            s->right = n->right;
            s->right->parent = s;
        }
        replace_child(t, n->parent, n, s);
        s->left = n->left;
        s->left->parent = s;
        s->height = n->height;
    } else {
        start = n->parent;
        replace_child(t, n->parent, n, n->left ? n->left : n->right);
    }
    n->left = n->right = n->parent = NULL;
    n->height = 0;
    t->count--;
    rebalance(t, start);
}

cib__tnode *cib__tree_after(const cib__tree *t, uint64_t key)
{
    if (t->first && cib__tree_key(t, t->first) > key)
        return t->first;
    cib__tnode *n = t->root, *best = NULL;
    while (n) {
        if (cib__tree_key(t, n) > key) {
            best = n;
            n = n->left;
        } else {
            n = n->right;
        }
    }
    return best;
}

cib__tnode *cib__tree_next(const cib__tnode *n)
{
    if (n->right) {
        n = n->right;
        while (n->left)
            n = n->left;
        return (cib__tnode *)n;
    }
    while (n->parent && n->parent->right == n)
        n = n->parent;
    return n->parent;
}

cib__tnode *cib__tree_prev(const cib__tnode *n)
{
    if (n->left) {
        n = n->left;
        while (n->right)
            n = n->right;
        return (cib__tnode *)n;
    }
    while (n->parent && n->parent->left == n)
        n = n->parent;
    return n->parent;
}
