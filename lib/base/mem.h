/* mem.h - the context's allocator, owned strings and a growable text buffer. */
#ifndef CIB_MEM_H
#define CIB_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "convinbox.h"

/* The allocator every internal allocation goes through. */
typedef struct cib__mem {
    cib_allocator a;
} cib__mem;

/* Copy and check a host allocator (NULL: the C library's). CIB_OK/CIB_EINVAL. */
int cib__mem_init(cib__mem *m, const cib_allocator *a);
/* The same, and on CIB_EINVAL why, naming the argument `arg`, in why[0..n)
 * (why may be NULL). Versions 1 to CIB_ALLOCATOR_VERSION are read by
 * version: only the slots that version has. */
int cib__mem_init_arg(cib__mem *m, const cib_allocator *a, const char *arg, char *why, size_t n);

void *cib__malloc(const cib__mem *m, size_t n);
void *cib__calloc(const cib__mem *m, size_t count, size_t size);
void *cib__realloc(const cib__mem *m, void *p, size_t n);
void cib__free(const cib__mem *m, void *p);
/* A NUL-terminated copy of s[0..n), or NULL when out of memory. */
char *cib__strndup(const cib__mem *m, const char *s, size_t n);

/* An owned text buffer that grows; `failed` latches the first failure. */
typedef struct cib__buf {
    const cib__mem *mem;
    char *p;
    size_t n, cap;
    int failed;
} cib__buf;

void cib__buf_init(cib__buf *b, const cib__mem *m);
void cib__buf_add(cib__buf *b, const char *s, size_t n);
void cib__buf_str(cib__buf *b, const char *s);
void cib__buf_fmt(cib__buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Append s[0..n) in double quotes, escaping '"', '\\', newline, tab and CR. */
void cib__buf_quote(cib__buf *b, const char *s, size_t n);
void cib__buf_free(cib__buf *b);

#endif
