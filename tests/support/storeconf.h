/*
 * storeconf.h - the storage conformance suite's adapters (R-HOST-1).
 *
 * Every case of tests/test_store.c runs on every adapter of
 * storeconf_adapters[], through the vtable of <convinbox/store.h> only. An
 * adapter says how to open a fresh store, how to reopen it (what a restart
 * of the host does), how to close it, and which of the freedoms the
 * contract leaves it takes. Another adapter (a PostgreSQL one, say) is one
 * more file defining a store_adapter and one more entry in the table
 * (storeconf.c).
 *
 * Rows are compared as canonical lines: fields sorted by name, NULL fields
 * left out (an adapter with fixed columns hands back every column, NULL
 * where nothing was put).
 */
#ifndef STORECONF_H
#define STORECONF_H

#include "storetest.h"

/* What the contract leaves an adapter free to do. */
enum {
    /* Keeps fields it does not know and hands them back; without it, put()
     * refuses such a row and changes nothing (store.h allows both). */
    CONF_KEEPS_UNKNOWN_FIELDS = 1,
    /* Hands back exactly the fields put, NULL ones included, in their
     * order (the in-memory store); without it, as canonical lines. */
    CONF_EXACT_FIELDS = 2,
    /* reopen() keeps the committed rows of a closed store (a database);
     * without it the store stays open across a restart (a memory store
     * shared by successive contexts). */
    CONF_DURABLE = 4
};

typedef struct store_adapter {
    const char *name; /* in every test's name: "memory", "sqlite" */
    unsigned flags;   /* CONF_... */
    /* A new, empty store; returns the adapter's handle. */
    void *(*open)(cib_store *out);
    /* A restart: an open transaction is lost (rolled back), and a durable
     * store is closed and opened again on the same data; *s is updated. */
    void (*reopen)(void *handle, cib_store *s);
    /* Close the store; checks what the adapter can (nothing leaked). */
    void (*close)(void *handle, cib_store *s);
} store_adapter;

/* The adapters built into this test program, NULL-terminated. */
extern const store_adapter *const storeconf_adapters[];
extern const store_adapter storeconf_memory;
#ifdef STORECONF_SQLITE
extern const store_adapter storeconf_sqlite;
#endif

/* A store of an adapter, for one case. */
typedef struct conf_store {
    const store_adapter *a;
    void *h;
    cib_store s;
} conf_store;

conf_store *conf_open(const store_adapter *a);
void conf_reopen(conf_store *c);
void conf_close(conf_store *c);
/* Release what the adapters keep between cases (temporary files). */
void storeconf_cleanup(void);

/* A row as a canonical line: kind "key" then name=value for each non-NULL
 * field, sorted by name. Free with free(). */
char *conf_line(const cib_row *row);
/* A cib_row_fn appending canonical lines to a row_lines. */
int conf_lines_cb(void *data, const cib_row *row);
/* Every row of every kind, one sorted canonical line each. */
char *conf_dump(const cib_store *s);
/* get() as a canonical line, or NULL when not found. */
char *conf_get(const cib_store *s, int kind, const char *key, size_t key_len);
/* The row reads as `want` (canonical), or is not found when want is NULL. */
void conf_expect(const cib_store *s, int kind, const char *key, const char *want);
/* The user row of put_user(): name `v`, or not found when v is NULL. */
void conf_expect_user(const cib_store *s, const char *key, const char *v);

/* What a case needs of a store beyond the required methods: the optional
 * find(), find_page() (version 2), apply() (version 3). */
enum { CONF_NEEDS_FIND = 1, CONF_NEEDS_FIND_PAGE = 2, CONF_NEEDS_APPLY = 4 };

/* Run every case on every adapter, each as "<adapter>: <case>", TAP; a case
 * needing an optional method runs only where the adapter's store has it
 * (needs[i], CONF_NEEDS_...; needs may be NULL). */
int storeconf_run(const struct CMUnitTest *cases, const unsigned *needs, size_t n);

#endif
