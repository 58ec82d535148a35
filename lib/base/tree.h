/*
 * tree.h - an intrusive AVL tree ordered by a 64-bit key.
 *
 * The node lives inside the object (no allocation: insert and remove cannot
 * fail). The key is read from the object at a fixed distance from the node,
 * so one object can sit in several trees under the same key. Used for the
 * oldest-first views of open conversations, with cursors that survive any
 * insertion or removal.
 */
#ifndef CIB_TREE_H
#define CIB_TREE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cib__tnode {
    struct cib__tnode *left, *right, *parent;
    int height; /* 0: not in a tree */
} cib__tnode;

typedef struct cib__tree {
    cib__tnode *root;
    cib__tnode *first, *last; /* smallest and largest keys, or NULL */
    ptrdiff_t key_delta;      /* key address minus node address */
    size_t count;
} cib__tree;

/* A tree whose objects keep their key `key_delta` bytes after the node. */
void cib__tree_init(cib__tree *t, ptrdiff_t key_delta);
/* Insert a node not in any tree; keys must be unique within a tree. A key
 * beyond either end (ids that only grow) is O(1) amortized; else O(log n). */
void cib__tree_insert(cib__tree *t, cib__tnode *n);
/* O(1) amortized for the smallest or largest node; else O(log n). */
void cib__tree_remove(cib__tree *t, cib__tnode *n);
/* The node with the smallest key greater than `key`, or NULL. */
cib__tnode *cib__tree_after(const cib__tree *t, uint64_t key);
/* The next and the previous node in key order, or NULL. */
cib__tnode *cib__tree_next(const cib__tnode *n);
cib__tnode *cib__tree_prev(const cib__tnode *n);
uint64_t cib__tree_key(const cib__tree *t, const cib__tnode *n);

#endif
