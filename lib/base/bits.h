/*
 * bits.h - a hierarchical bitmap: find the first set bit, or the next one
 * after a position, in O(levels) word operations (at most 4 levels: up to
 * 64^4 bits). Routing keeps one bit per rule member: "eligible now".
 */
#ifndef CIB_BITS_H
#define CIB_BITS_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

#define CIB__BITS_LEVELS 4

typedef struct cib__bits {
    uint64_t *words;                   /* all levels in one block */
    uint64_t *level[CIB__BITS_LEVELS]; /* level 0: one bit per position */
    size_t nwords[CIB__BITS_LEVELS];   /* words per level */
    size_t n;                          /* positions */
    int levels;
} cib__bits;

/* Room for n positions, all clear. CIB_OK or CIB_ENOMEM (bits untouched). */
int cib__bits_init(const cib__mem *m, cib__bits *b, size_t n);
void cib__bits_free(const cib__mem *m, cib__bits *b);
void cib__bits_set(cib__bits *b, size_t i);
void cib__bits_clear(cib__bits *b, size_t i);
int cib__bits_test(const cib__bits *b, size_t i);
/* The first set position >= i, or SIZE_MAX. */
size_t cib__bits_next(const cib__bits *b, size_t i);

#endif
