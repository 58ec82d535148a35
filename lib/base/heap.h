/*
 * heap.h - the heap budget: a counting wrapper around the host's allocator.
 *
 * With cib_options.heap_budget set, every block the context allocates (its
 * working set, its scratch buffers, the built-in store when the context
 * owns it) goes through this wrapper. Each block carries a header with its
 * size, so the wrapper knows the live bytes; an allocation or a growing
 * realloc that would take them past the budget fails as an allocation
 * failure (CIB_ENOMEM): every call already undoes itself cleanly on one.
 * Without a budget the wrapper is not installed and costs nothing.
 */
#ifndef CIB_HEAP_H
#define CIB_HEAP_H

#include <stddef.h>
#include <stdint.h>

#include "mem.h"

/* Bytes of the header in front of every counted block. */
#define CIB__HEAP_HEADER 16u

typedef struct cib__heap {
    cib_allocator raw; /* the host's allocator, underneath */
    uint64_t budget;   /* live bytes allowed; UINT64_MAX: count only */
    uint64_t live;     /* bytes asked of raw (headers included), live */
    uint64_t peak;     /* the most live bytes seen */
    uint64_t base;     /* bytes counted that the wrapper did not allocate */
    uint64_t asked;    /* the size of the last refused request */
    int hit;           /* the budget refused a request since the last clear */
    int suspended;     /* > 0: the budget is not enforced (a reload) */
} cib__heap;

/*
 * Install the counting wrapper on m (which holds the raw allocator). `base`
 * bytes already allocated through the raw allocator (the context struct)
 * are counted as live. Returns the heap state, allocated with the raw
 * allocator, or NULL (out of memory; m unchanged).
 */
cib__heap *cib__heap_wrap(cib__mem *m, uint64_t budget, uint64_t base);
/* Remove the wrapper: m is the raw allocator again, the state is freed.
 * Everything the wrapper allocated must be freed before. */
void cib__heap_unwrap(cib__mem *m, cib__heap *h);

/* Append why an allocation failed to msg (size bytes), if the budget
 * refused it: ": the heap budget of N bytes is reached (...)". */
void cib__heap_explain(const cib__heap *h, char *msg, size_t size);

#endif
