/* schema.h - the SQLite schema: one table per row kind, one column per field
 * (convinbox/store.h), its version, and the migrations between versions. */
#ifndef CIB_SQLITE_SCHEMA_H
#define CIB_SQLITE_SCHEMA_H

#include <sqlite3.h>
#include <stddef.h>

/* A column: 'I' integer, 'T' text, 'L' list (a JSON array of strings), 'D'
 * a library id: a TEXT field of decimal digits, stored as an INTEGER (so a
 * host joins on it) and handed back as text. */
typedef struct sq_col {
    const char *name;
    char type;
} sq_col;

typedef struct sq_table {
    int kind;         /* enum cib_kind */
    const char *name; /* the table */
    const char *key;  /* its primary key column */
    int int_key;      /* keys are library ids: an INTEGER PRIMARY KEY (rowid) */
    const sq_col *cols;
    size_t n_cols;
    const char *const *indexed; /* columns the library finds rows by */
} sq_table;

/* The tables of the current version, by kind (NULL for an unknown kind). */
const sq_table *sq_table_of(int kind);
/* The kinds, for iteration: sq_tables[0 .. sq_n_tables). */
extern const sq_table sq_tables[];
extern const size_t sq_n_tables;

/* Create the current schema in an empty database (inside a transaction).
 * SQLITE_OK or an SQLite error code. */
int sq_schema_create(sqlite3 *db);
/* Bring a database of version `from` up to the current one (inside a
 * transaction). SQLITE_OK or an error code. */
int sq_schema_migrate(sqlite3 *db, int from);
/* Create version 1, as it was (for the tests of the migrations). */
int sq_schema_create_v1(sqlite3 *db);
/* Create version 2, as it was: version 3 without its (inbox, status) index. */
int sq_schema_create_v2(sqlite3 *db);
/* The version recorded in the database, 0 when there is no schema. */
int sq_schema_version(sqlite3 *db, int *version);

#endif
