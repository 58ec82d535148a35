/* check.h - the consistency of a database: what cib_sqlite_check() runs, the
 * part of it cib_sqlite_open() runs before it hands out a store, and the
 * check that removing an inbox left none of its rows behind. */
#ifndef CIB_SQLITE_CHECK_H
#define CIB_SQLITE_CHECK_H

#include <sqlite3.h>
#include <stddef.h>

/* Results of the checks below. */
enum { SQ_CHECK_OK = 0, SQ_CHECK_BAD = 1, SQ_CHECK_ERROR = 2 };

/*
 * Check the database. `deep` 0 (at open): the rows the library loads name
 * rows that exist (conversations: their inbox, channel, contact and ticket;
 * channels: their inbox; tickets, idempotency keys, threads: their
 * conversation), and the conversations' indexes hold as many entries as the
 * table has rows. `deep` 1 adds SQLite's integrity_check (every index
 * against its table, every page), every message's conversation and every
 * idempotency key's message, and the messages' index.
 * SQ_CHECK_OK; SQ_CHECK_BAD with the first problem in err ("conversations
 * row 17: inbox 'x' does not exist"); SQ_CHECK_ERROR when SQLite failed
 * (the reason in err).
 */
int sq_check(sqlite3 *db, int deep, char *err, size_t size);

/*
 * After the rows of inbox[0..len) were deleted (the library deletes its
 * channels, conversations and everything in them before the inbox row):
 * whether any row of a table with an inbox column still names it, read from
 * the tables themselves, not through an index (a damaged index would hide
 * them from the library's deletes). Same results as sq_check().
 */
int sq_check_inbox_gone(sqlite3 *db, const char *inbox, size_t len, char *err, size_t size);

#endif
