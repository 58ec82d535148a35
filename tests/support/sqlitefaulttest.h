/*
 * sqlitefaulttest.h - what the SQLite fault tests (test_sqlite_faults.c,
 * test_sqlite_vfs.c) share: stores on database files whose names are kept
 * (through the fault-injecting VFS of faultvfs.h), raw connections to the
 * file, a check that the file holds what the context held, and the account
 * the operations under test run on, with those operations (R-HOST-1).
 */
#ifndef SQLITEFAULTTEST_H
#define SQLITEFAULTTEST_H

#include <sqlite3.h>

#include "faultvfs.h"
#include "sqlitetest.h"

/* ---- stores on files whose names we keep ---- */

/* The file of the last store tenv_new() opened after use_fault_vfs(). */
extern char db_path[512];

/* Every later tenv_new() on a file of its own through the shim, which is
 * reset (disarmed, counters zero). busy_timeout_ms as in
 * cib_sqlite_options. */
void use_fault_vfs(int synchronous, int busy_timeout_ms);
/* Back to the default options and the in-memory store. */
void use_defaults(void);
/* Remove the last database file and what SQLite keeps beside it. */
void remove_db(void);
/* A plain read-write connection to db_path; raw_exec fails the test on an
 * error. */
sqlite3 *raw_open(void);
void raw_exec(sqlite3 *db, const char *sql);
/* Another connection commits a transaction that changes a row and changes
 * it back (writing the same value would write nothing): the store's
 * connection must drop its page cache and read every page it needs again. */
void make_cache_cold(void);
/* A new store on db_path (sqlitetest_options), and the options of a new
 * context on it: tenv's clock, messages into err. Fails the test, saying
 * "<what> <db_path>: <why>", when the file cannot be opened. */
cib_options reopen_db(cib_store *st, char *err, size_t size, const char *what);
/*
 * Close everything of e; open the file again with a new connection and a new
 * context; it must hold exactly `want` (a tenv_snapshot of e). Frees e, and
 * removes the file.
 */
void expect_file_holds(tenv *e, const char *want);

/* ---- the account the operations run on ---- */

extern uint64_t conv_alice;   /* open, alice's (her capacity is 1) */
extern uint64_t conv_bob;     /* open, bob's */
extern uint64_t conv_closed;  /* closed */
extern uint64_t conv_waiting; /* a chat waiting for team t or alice */

/*
 * alice (available, capacity 1), bob (available) and carol (offline); team t
 * = {carol}; pipeline sales. Inbox "support": "mail" routes round robin to
 * alice and bob with a queue and opens a ticket in sales/lead for each new
 * conversation; "chat" routes to team t, then alice, with a queue. Inbox
 * "sales" with an open and a closed conversation.
 */
void world_setup(tenv *e);

/* Operations on that account (tenv_op; arg unused). Each checks, when it
 * succeeds, what it promises. */
/* A new conversation from a new contact: routed round robin (to bob: alice
 * is full), with a ticket. */
int op_new(cib_ctx *ctx, void *arg);
/* A follow-up joining alice's conversation. */
int op_follow_up(cib_ctx *ctx, void *arg);
/* bob replies in his conversation. */
int op_reply(cib_ctx *ctx, void *arg);
/* alice closes hers: her room takes the waiting chat. */
int op_close(cib_ctx *ctx, void *arg);
/* carol becomes available: the waiting chat goes to her. */
int op_status(cib_ctx *ctx, void *arg);
/* alice gets room for two: the waiting chat goes to her. */
int op_user_update(cib_ctx *ctx, void *arg);
/* bob joins team t: the waiting chat goes to him. */
int op_team_update(cib_ctx *ctx, void *arg);
/* A chat channel with a routing rule, a ticket rule and business hours. */
int op_channel_add(cib_ctx *ctx, void *arg);
/* An inbox with an open and a closed conversation. */
int op_inbox_delete(cib_ctx *ctx, void *arg);
/* alice: an assignee, named by two routing rules. */
int op_user_remove(cib_ctx *ctx, void *arg);
/* New, joining, chat, refused and duplicate messages in one batch. */
int op_batch(cib_ctx *ctx, void *arg);

/* An operation with its name, for messages. */
struct named_op {
    const char *name;
    tenv_op op;
};

#endif
