/*
 * storetest.h - helpers for testing a store through the storage vtable of
 * <convinbox/store.h> (R-HOST-1): a store on a counting allocator, field and
 * row builders, rows as one line of text, sorted dumps, and checked reads.
 * Everything but memstore_open() takes a `const cib_store *` and uses only
 * the vtable, so the same conformance tests can run against any adapter (the
 * built-in in-memory store, a durable one), and the same text is used for
 * every store dump (tenv_store_dump).
 */
#ifndef STORETEST_H
#define STORETEST_H

#include "testenv.h"

/* Opens a new, empty store whose memory comes from `alloc`, as
 * cib_memstore_new() does. */
typedef int (*store_open_fn)(const cib_allocator *alloc, cib_store *out);

/* A store on a counting allocator. */
typedef struct counted_store {
    failalloc fa;        /* counts the store's allocations; can fail one */
    cib_allocator alloc; /* on fa */
    cib_store s;
} counted_store;

/* Open a store with `open` and check its vtable: the version, and every
 * method but the optional close. */
counted_store *counted_store_open(store_open_fn open);
/* The built-in store (cib_memstore_new), which also has a close and
 * allocates its state through the allocator up front. */
counted_store *memstore_open(void);
/* Close the store; every block it allocated must have been freed. */
void counted_store_close(counted_store *m);

/* Fields and rows; texts, keys and list items are NUL-terminated (set len,
 * key_len or pass lens for counted bytes). ftext(name, NULL) has len 0. */
cib_field fint(const char *name, int64_t v);
cib_field ftext(const char *name, const char *v);
cib_field fnull(const char *name);
cib_field flist(const char *name, const char *const *items, const size_t *lens, size_t n);
cib_row mkrow(int kind, const char *key, const cib_field *f, size_t n);

/* One line for a row: kind "key" name=value ..., where a value is null, an
 * integer, "text" or ["item",...], and text is written as is. Free with
 * free(). */
char *row_line(const cib_row *row);

/* The lines of the rows a scan hands to row_lines_cb. */
typedef struct row_lines {
    char **v;
    size_t n, cap;
    int kind;      /* the kind being scanned */
    int wrong;     /* rows of another kind seen */
    long stop_at;  /* return non-zero on this call (-1: never) */
    int stop_with; /* what to return then */
} row_lines;

/* Empty, for a scan of `kind` that never stops. */
void row_lines_init(row_lines *l, int kind);
/* A cib_row_fn; data is a row_lines. */
int row_lines_cb(void *data, const cib_row *row);
void row_lines_sort(row_lines *l);
void row_lines_free(row_lines *l);

/* Every row of every kind, one sorted line each. Free with free(). */
char *store_dump(const cib_store *s);
/* Number of rows of a kind. */
size_t count_kind(const cib_store *s, int kind);

/* What get() handed to got_line_cb: how many calls, and the last row's line
 * (free with free()). */
typedef struct got_line {
    int calls;
    char *line;
} got_line;

int got_line_cb(void *data, const cib_row *row);
/* get() as text: the row's line, or NULL when get returns CIB_ENOTFOUND. */
char *get_line(const cib_store *s, int kind, const char *key);
/* The row reads as `want`, or is not found when want is NULL. */
void expect_row(const cib_store *s, int kind, const char *key, const char *want);

/* User-like rows: name `v`, email null, created_at 7. */
int put_user(const cib_store *s, const char *key, const char *v);
int del_user(const cib_store *s, const char *key);
/* The user row has name `v`, or is not found when v is NULL. */
void expect_user(const cib_store *s, const char *key, const char *v);
/* One committed transaction putting the users kv[0] = kv[1], kv[2] = kv[3], ... */
void commit_users(const cib_store *s, const char *const *kv, size_t n);

#endif
