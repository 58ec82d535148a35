/* storeconf_sqlite.c - the SQLite adapter in the conformance suite
 * (storeconf.h): a store on a new database file, reopened on the same file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sqlitetest.h"
#include "storeconf.h"

typedef struct sq_handle {
    char path[512];
} sq_handle;

static void sq_open_path(sq_handle *h, cib_store *out)
{
    char err[512];
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.flags = CIB_SQLITE_CREATE; /* rows of any kind, account or not */
    if (cib_sqlite_open(h->path, &so, out, err, sizeof err) != CIB_OK)
        fail_msg("cib_sqlite_open: %s", err);
}

static void *sq_open(cib_store *out)
{
    sq_handle *h = calloc(1, sizeof *h);
    assert_non_null(h);
    snprintf(h->path, sizeof h->path, "%s", sqlitetest_path());
    sq_open_path(h, out);
    return h;
}

static void sq_reopen(void *handle, cib_store *s)
{
    s->close(s->user_data); /* an open transaction is lost */
    sq_open_path(handle, s);
}

static void sq_close(void *handle, cib_store *s)
{
    s->close(s->user_data);
    free(handle);
}

const store_adapter storeconf_sqlite = {"sqlite", CONF_DURABLE, sq_open, sq_reopen, sq_close};

void storeconf_cleanup(void)
{
    sqlitetest_cleanup();
}
