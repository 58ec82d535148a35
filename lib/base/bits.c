/* bits.c - hierarchical bitmap (see bits.h). */
#include "bits.h"

#include <string.h>

#include "convinbox.h"

static size_t words_for(size_t n)
{
    return n / 64 + (n % 64 != 0); /* no overflow near SIZE_MAX */
}

int cib__bits_init(const cib__mem *m, cib__bits *b, size_t n)
{
    size_t counts[CIB__BITS_LEVELS], total = 0, bits = n ? n : 1;
    int levels = 0;
    do {
        counts[levels] = words_for(bits);
        total += counts[levels];
        bits = counts[levels++];
    } while (bits > 1 && levels < CIB__BITS_LEVELS);
    if (bits > 1)
        return CIB_ENOMEM; /* more than 64^4 positions */
    uint64_t *w = cib__calloc(m, total, sizeof *w);
    if (!w)
        return CIB_ENOMEM;
    memset(b, 0, sizeof *b);
    b->words = w;
    b->n = n;
    b->levels = levels;
    for (int l = 0; l < levels; l++) {
        b->level[l] = w;
        b->nwords[l] = counts[l];
        w += counts[l];
    }
    return CIB_OK;
}

void cib__bits_free(const cib__mem *m, cib__bits *b)
{
    cib__free(m, b->words);
    memset(b, 0, sizeof *b);
}

void cib__bits_set(cib__bits *b, size_t i)
{
    for (int l = 0; l < b->levels; l++) {
        uint64_t *w = &b->level[l][i / 64], was = *w;
        *w |= UINT64_C(1) << (i % 64);
        if (was)
            return; /* the levels above already know this word is not empty */
        i /= 64;
    }
}

void cib__bits_clear(cib__bits *b, size_t i)
{
    for (int l = 0; l < b->levels; l++) {
        uint64_t *w = &b->level[l][i / 64];
        *w &= ~(UINT64_C(1) << (i % 64));
        if (*w)
            return;
        i /= 64;
    }
}

int cib__bits_test(const cib__bits *b, size_t i)
{
    return i < b->n && (b->level[0][i / 64] >> (i % 64)) & 1;
}

/* The first set bit at level l at or after index i, or SIZE_MAX. */
static size_t next_at(const cib__bits *b, int l, size_t i)
{
    size_t w = i / 64;
    if (w >= b->nwords[l])
        return SIZE_MAX;
    uint64_t bits = b->level[l][w] & (~UINT64_C(0) << (i % 64));
    if (bits)
        return w * 64 + (size_t)__builtin_ctzll(bits);
    if (l + 1 >= b->levels)
        return SIZE_MAX; /* the top level is a single word */
    size_t up = next_at(b, l + 1, w + 1);
    if (up == SIZE_MAX)
        return SIZE_MAX;
    return up * 64 + (size_t)__builtin_ctzll(b->level[l][up]);
}

size_t cib__bits_next(const cib__bits *b, size_t i)
{
    if (i >= b->n)
        return SIZE_MAX;
    size_t r = next_at(b, 0, i);
    return r < b->n ? r : SIZE_MAX;
}
