/* heap.c - the heap budget's counting allocator (see heap.h). */
#include "heap.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The header keeps a block's size, and the alignment malloc gives. */
typedef union header {
    size_t size;
    unsigned char pad[CIB__HEAP_HEADER];
} header;

_Static_assert(sizeof(header) == CIB__HEAP_HEADER, "the heap header has its documented size");
_Static_assert(CIB__HEAP_HEADER % _Alignof(max_align_t) == 0,
               "the heap header keeps blocks aligned as malloc does");

/* May live grow from `old` to `old - freed + n` bytes? */
static int allowed(cib__heap *h, size_t freed, size_t n)
{
    uint64_t after = h->live - freed + n;
    if (n <= freed || h->suspended || after <= h->budget)
        return 1;
    h->hit = 1;
    h->asked = n;
    return 0;
}

static void grew(cib__heap *h, size_t freed, size_t n)
{
    h->live = h->live - freed + n;
    if (h->live > h->peak)
        h->peak = h->live;
}

static void *heap_malloc(void *ud, size_t n)
{
    cib__heap *h = ud;
    if (n > SIZE_MAX - sizeof(header))
        return NULL;
    size_t total = n + sizeof(header);
    if (!allowed(h, 0, total))
        return NULL;
    header *p = h->raw.malloc_fn(h->raw.user_data, total);
    if (!p)
        return NULL;
    p->size = total;
    grew(h, 0, total);
    return p + 1;
}

static void *heap_realloc(void *ud, void *ptr, size_t n)
{
    cib__heap *h = ud;
    if (!ptr)
        return heap_malloc(ud, n);
    if (n > SIZE_MAX - sizeof(header))
        return NULL;
    header *old = (header *)ptr - 1;
    size_t was = old->size, total = n + sizeof(header);
    if (!allowed(h, was, total))
        return NULL;
    header *p = h->raw.realloc_fn(h->raw.user_data, old, total);
    if (!p)
        return NULL;
    p->size = total;
    grew(h, was, total);
    return p + 1;
}

static void heap_free(void *ud, void *ptr)
{
    cib__heap *h = ud;
    if (!ptr)
        return;
    header *p = (header *)ptr - 1;
    h->live -= p->size;
    h->raw.free_fn(h->raw.user_data, p);
}

cib__heap *cib__heap_wrap(cib__mem *m, uint64_t budget, uint64_t base)
{
    cib__heap *h = m->a.malloc_fn(m->a.user_data, sizeof *h);
    if (!h)
        return NULL;
    memset(h, 0, sizeof *h);
    h->raw = m->a;
    h->budget = budget;
    h->base = base + sizeof *h;
    h->live = h->peak = h->base;
    m->a.user_data = h;
    m->a.malloc_fn = heap_malloc;
    m->a.realloc_fn = heap_realloc;
    m->a.free_fn = heap_free;
    return h;
}

void cib__heap_unwrap(cib__mem *m, cib__heap *h)
{
    if (!h)
        return;
    m->a = h->raw;
    m->a.free_fn(m->a.user_data, h);
}

void cib__heap_explain(const cib__heap *h, char *msg, size_t size)
{
    if (!h || !h->hit)
        return;
    size_t n = strnlen(msg, size);
    if (n + 1 >= size)
        return;
    snprintf(msg + n, size - n,
             ": the heap budget of %llu bytes is reached (%llu bytes in use, %llu more asked)",
             (unsigned long long)h->budget, (unsigned long long)h->live,
             (unsigned long long)h->asked);
}
