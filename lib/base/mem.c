/* mem.c - allocation through the host's hooks. */
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *std_malloc(void *ud, size_t n)
{
    (void)ud;
    return malloc(n);
}

static void *std_realloc(void *ud, void *p, size_t n)
{
    (void)ud;
    return realloc(p, n);
}

static void std_free(void *ud, void *p)
{
    (void)ud;
    free(p);
}

/* Bytes of a cib_allocator of each version (slots are only appended). */
static size_t allocator_size(int version)
{
    (void)version; /* 1: the whole struct of this header */
    return sizeof(cib_allocator);
}

int cib__mem_init_arg(cib__mem *m, const cib_allocator *a, const char *arg, char *why, size_t n)
{
    if (!a)
        return cib__mem_init(m, NULL);
    if (a->version < 1 || a->version > CIB_ALLOCATOR_VERSION) {
        if (why && n)
            snprintf(why, n,
                     "invalid argument: '%s->version' is %d: this library accepts versions 1 "
                     "to %d (CIB_ALLOCATOR_VERSION)",
                     arg, a->version, CIB_ALLOCATOR_VERSION);
        return CIB_EINVAL;
    }
    cib_allocator c;
    memset(&c, 0, sizeof c);
    memcpy(&c, a, allocator_size(a->version));
    const char *missing = !c.malloc_fn    ? "malloc_fn"
                          : !c.realloc_fn ? "realloc_fn"
                          : !c.free_fn    ? "free_fn"
                                          : NULL;
    if (missing) {
        if (why && n)
            snprintf(why, n,
                     "invalid argument: '%s->%s' is NULL: an allocator needs malloc_fn, "
                     "realloc_fn and free_fn",
                     arg, missing);
        return CIB_EINVAL;
    }
    m->a = c;
    return CIB_OK;
}

int cib__mem_init(cib__mem *m, const cib_allocator *a)
{
    if (a)
        return cib__mem_init_arg(m, a, "allocator", NULL, 0);
    m->a.version = CIB_ALLOCATOR_VERSION;
    m->a.user_data = NULL;
    m->a.malloc_fn = std_malloc;
    m->a.realloc_fn = std_realloc;
    m->a.free_fn = std_free;
    return CIB_OK;
}

void *cib__malloc(const cib__mem *m, size_t n)
{
    return m->a.malloc_fn(m->a.user_data, n ? n : 1);
}

void *cib__calloc(const cib__mem *m, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    size_t n = count * size;
    void *p = cib__malloc(m, n);
    if (p)
        memset(p, 0, n ? n : 1);
    return p;
}

void *cib__realloc(const cib__mem *m, void *p, size_t n)
{
    return m->a.realloc_fn(m->a.user_data, p, n ? n : 1);
}

void cib__free(const cib__mem *m, void *p)
{
    if (p)
        m->a.free_fn(m->a.user_data, p);
}

char *cib__strndup(const cib__mem *m, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = cib__malloc(m, n + 1);
    if (p) {
        if (n)
            memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

void cib__buf_init(cib__buf *b, const cib__mem *m)
{
    b->mem = m;
    b->p = NULL;
    b->n = b->cap = 0;
    b->failed = 0;
}

static int buf_reserve(cib__buf *b, size_t extra)
{
    if (b->failed)
        return 0;
    if (extra > SIZE_MAX - b->n - 1) {
        b->failed = 1;
        return 0;
    }
    size_t need = b->n + extra + 1;
    if (need <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = cib__realloc(b->mem, b->p, cap);
    if (!p) {
        b->failed = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void cib__buf_add(cib__buf *b, const char *s, size_t n)
{
    if (!buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

void cib__buf_str(cib__buf *b, const char *s)
{
    cib__buf_add(b, s, strlen(s));
}

void cib__buf_fmt(cib__buf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = 1;
        return;
    }
    if ((size_t)n < sizeof tmp) {
        cib__buf_add(b, tmp, (size_t)n);
        return;
    }
    if (!buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void cib__buf_quote(cib__buf *b, const char *s, size_t n)
{
    cib__buf_add(b, "\"", 1);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        const char *esc = s[i] == '"'    ? "\\\""
                          : s[i] == '\\' ? "\\\\"
                          : s[i] == '\n' ? "\\n"
                          : s[i] == '\t' ? "\\t"
                          : s[i] == '\r' ? "\\r"
                                         : NULL;
        if (!esc)
            continue;
        cib__buf_add(b, s + start, i - start);
        cib__buf_str(b, esc);
        start = i + 1;
    }
    cib__buf_add(b, s + start, n - start);
    cib__buf_add(b, "\"", 1);
}

void cib__buf_free(cib__buf *b)
{
    cib__free(b->mem, b->p);
    cib__buf_init(b, b->mem);
}
