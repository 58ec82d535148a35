/* tree.c - intrusive AVL tree keyed by uint64 (see tree.h). */
#include "tree.h"

#include <string.h>

void cib__tree_init(cib__tree *t, ptrdiff_t key_delta)
{
    t->root = NULL;
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

/* Restore the AVL balance from n up to the root. */
static void rebalance(cib__tree *t, cib__tnode *n)
{
    while (n) {
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
        n = n->parent;
    }
}

void cib__tree_insert(cib__tree *t, cib__tnode *n)
{
    uint64_t key = cib__tree_key(t, n);
    cib__tnode *parent = NULL, **link = &t->root;
    while (*link) {
        parent = *link;
        link = key < cib__tree_key(t, parent) ? &parent->left : &parent->right;
    }
    n->left = n->right = NULL;
    n->parent = parent;
    n->height = 1;
    *link = n;
    t->count++;
    rebalance(t, parent);
}

void cib__tree_remove(cib__tree *t, cib__tnode *n)
{
    cib__tnode *start;
    if (n->left && n->right) {
        /* Swap in the successor s (leftmost of the right subtree). */
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
