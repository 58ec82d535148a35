/*
 * sqlitetest.h - tests on libconvinbox-sqlite: fresh database files in a
 * private temporary directory (removed by sqlitetest_cleanup()), and a
 * store opener for tenv_set_store().
 */
#ifndef SQLITETEST_H
#define SQLITETEST_H

#include "testenv.h"
#include "convinbox/sqlite.h"

/* The private directory, created on first use. */
const char *sqlitetest_dir(void);
/* A new file name in it ("<dir>/db-<n>.sqlite"), not yet created. */
const char *sqlitetest_path(void);
/* The name sqlitetest_path() gave last. */
const char *sqlitetest_last_path(void);
/* Open a store on a new file, sqlitetest_options with CIB_SQLITE_CREATE (a
 * tenv_store_fn; the allocator is unused: SQLite allocates with malloc). */
int sqlitetest_open(const cib_allocator *alloc, cib_store *out);
/* The options sqlitetest_open() uses (synchronous, vfs ...). */
extern cib_sqlite_options sqlitetest_options;
/* Remove the directory and everything in it. */
void sqlitetest_cleanup(void);

/* Business hours for a chat channel: weekdays 09:00 to 17:00, Europe/Berlin. */
cib_availability_def sqlitetest_office_hours(void);

#endif
