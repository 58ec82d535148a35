/*
 * convinbox/sqlite.h - a durable store on SQLite (libconvinbox-sqlite).
 *
 * An adapter written only against the storage vtable of convinbox/store.h:
 * the library does not know it is talking to a database. Link with
 * `pkg-config --libs libconvinbox-sqlite`.
 *
 *   cib_store st;
 *   char err[256];
 *   cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
 *   so.flags = first_run ? CIB_SQLITE_CREATE : 0;
 *   if (cib_sqlite_open("inbox.db", &so, &st, err, sizeof err) != CIB_OK)
 *       ...                                   // err says why
 *   cib_options o = CIB_OPTIONS_INIT;
 *   o.store = &st;
 *   cib_ctx_new(&o, &ctx);                    // loads the account, or creates it
 *   ...
 *   cib_ctx_free(ctx);
 *   st.close(st.user_data);
 *
 * The database. WAL journal mode; one SQLite transaction per library
 * operation (BEGIN IMMEDIATE ... COMMIT), synced before it returns
 * (synchronous FULL, unless CIB_SQLITE_NORMAL is asked for); SQLite's own
 * checkpoints (every 1,000 pages of WAL); statements prepared once per
 * connection. Plain tables a host may query with SQL (read them freely; write
 * them only through the library): account, users, teams, contacts,
 * pipelines, inboxes, channels, conversations, messages (with their text),
 * dedup_keys, threads, routing, tickets; columns are the fields documented
 * in convinbox/store.h. Lists are JSON arrays of strings (SQLite's
 * json_each() reads them). Conversations, messages and tickets are keyed by
 * their library id as an INTEGER PRIMARY KEY, and the columns that name one
 * (messages.conversation, tickets.conversation, conversations.ticket,
 * threads.conversation, dedup_keys.message and .conversation) are INTEGER
 * too, so joins need no casts; the other tables are WITHOUT ROWID tables
 * keyed by their TEXT key. Indexes: conversations by (inbox, status) (a page
 * of a view reads it in id order: version 3), contact and status, messages
 * by conversation. Writes outside a transaction are refused
 * (convinbox/store.h), never committed on their own. A table convinbox_meta holds the schema
 * version: a database of an older version is migrated in one transaction when opened; one of a
 * newer version, or a file that is not a database of this schema, is refused and left untouched.
 *
 * Creating vs opening. An account is created only when asked for
 * (CIB_SQLITE_CREATE): without it a missing file, a file without the schema
 * or without an account is refused. The commit that first writes the
 * account also records in convinbox_meta that the file has one: a file
 * whose account row is gone is refused ("its account is gone"), and so is a
 * missing or empty file beside a non-empty -wal or -journal file (what is
 * left of a lost database), with or without CIB_SQLITE_CREATE: never a
 * fresh account in place of a lost one. Creating the schema and the account
 * is synced in either mode (the WAL's first sync also syncs its directory,
 * which holds the new file), so once cib_sqlite_open() and cib_ctx_new()
 * returned, the new account survives power loss.
 *
 * One connection, one thread: use a store from the thread that uses its
 * context. Other processes may read the file at the same time (WAL).
 *
 * Memory. SQLite allocates through its own malloc, not through the
 * context's allocator, so cib_options.heap_budget and cib_memory_used() do
 * not see it: its page cache (PRAGMA cache_size=-16384: up to 16 MiB per
 * connection, filled as pages are read), its prepared statements and
 * schema, and the adapter's own row buffers (list decoding; message text is
 * handed over from SQLite's memory, not copied). The WAL index (the -shm
 * file) is memory-mapped, outside both. Measured on the README's main job
 * (one helpdesk day replayed into a file: 11.5 MB, 17,293 conversations of
 * which 2,947 open, 41,328 messages, 5,000 contacts), sqlite3_memory_used()
 * is 0.35 MB after cib_sqlite_open(), 5.4 MB once cib_ctx_new() has loaded
 * the account, and 10.1 MB after a report over its 10,243-conversation
 * inbox; the context itself holds 4.06 MB (cib_memory_used(), counting
 * headers). To bound SQLite's share, use its own process-wide limits
 * (sqlite3_hard_heap_limit64(), sqlite3_soft_heap_limit64()): the heap
 * budget covers the library's part only. An allocation SQLite refuses
 * (SQLITE_NOMEM) fails the call with CIB_ENOMEM and changes nothing, as any
 * other storage failure.
 */
#ifndef CONVINBOX_SQLITE_H
#define CONVINBOX_SQLITE_H

#include "store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The schema version this build writes. */
#define CIB_SQLITE_SCHEMA_VERSION 3

/* How hard each commit waits for the disk (SQLite's synchronous pragma). */
enum cib_sqlite_sync {
    CIB_SQLITE_NORMAL = 1, /* opt-in: WAL + NORMAL. A committed operation
                              survives a crash of the process, but a power
                              loss (or an OS crash) may lose the last
                              acknowledged ones, never half of one: every
                              commit since the last checkpoint (up to 1,000
                              pages of WAL) is at risk. The test suite's
                              power-loss simulation lost at most 132
                              acknowledged calls per power loss, 46 on
                              average. Faster when each call is its own
                              transaction (about 20 times on a disk whose
                              fsync takes milliseconds); batches narrow the
                              gap. Creating the database and its account is
                              synced all the same. */
    CIB_SQLITE_FULL = 2    /* the default: every commit syncs the WAL before
                              it returns: an operation that returned CIB_OK
                              survives power loss too */
};

/* cib_sqlite_options.flags: create the file, the schema and (with the
 * first context) a new account when the file is missing or holds neither a
 * schema nor an account yet; an existing account is opened as without it.
 * (0x1, once must_exist, is refused with CIB_EINVAL.) */
#define CIB_SQLITE_CREATE 0x2

typedef struct cib_sqlite_options {
    size_t size;
    int synchronous;     /* enum cib_sqlite_sync; 0: FULL */
    int busy_timeout_ms; /* how long to wait for another writer; 0: 5000,
                            -1: do not wait (SQLITE_BUSY at once) */
    const char *vfs;     /* SQLite VFS name; NULL: the default */
    int flags;           /* CIB_SQLITE_CREATE, or 0: open an existing account
                            only (any other bit: CIB_EINVAL) */
} cib_sqlite_options;
#define CIB_SQLITE_OPTIONS_INIT                                                                    \
    {                                                                                              \
        sizeof(cib_sqlite_options), CIB_SQLITE_FULL, 0, NULL, 0                                    \
    }

/*
 * Open (or, with CIB_SQLITE_CREATE, create) the database at `path` and fill
 * *out with a store on it. Release it with out->close(out->user_data) after
 * every context using it is freed. On failure nothing is left open, the
 * file is not changed, and `errbuf` (may be NULL) says why.
 * Returns CIB_OK; CIB_EINVAL (NULL path or out, bad options); CIB_ESTORAGE
 * (cannot open or create; missing, without a schema or without an account
 * and no CIB_SQLITE_CREATE; its account is gone; what is left of a lost
 * database; not a database; corrupt or damaged: "refusing 'f':
 * conversations row 17: inbox 'x' does not exist (the database is damaged:
 * ...)", see cib_sqlite_check(); written by a newer schema; a failed
 * migration); CIB_ENOMEM.
 */
CIB_API int cib_sqlite_open(const char *path, const cib_sqlite_options *opts, cib_store *out,
                            char *errbuf, size_t errbuf_size);

/* The schema version of the database at `path` (0: no convinbox schema yet),
 * without changing it. Returns CIB_OK, CIB_EINVAL, CIB_ESTORAGE. */
CIB_API int cib_sqlite_schema_version(const char *path, int *version, char *errbuf,
                                      size_t errbuf_size);

/*
 * Check the database of a store opened by cib_sqlite_open(): SQLite's
 * integrity_check (every page, every index against its table), then the
 * adapter's own checks: every conversation's inbox, channel (in that
 * inbox), contact and ticket exist; every channel's inbox; every message's,
 * ticket's, idempotency key's and thread's conversation; every idempotency
 * key's message; and every index holds one entry per row of its table.
 * Reads the whole file: a maintenance call, not one for every operation.
 * Changes nothing; may run while a context uses the store (from its
 * thread, not from inside one of its callbacks).
 * Returns CIB_OK; CIB_ESTORAGE with the first problem in `errbuf` ("damaged:
 * conversations row 17: inbox 'x' does not exist", "damaged:
 * integrity_check: row 17 missing from index idx_conversations_inbox_status")
 * or why the check could not run; CIB_EINVAL (st NULL or not such a store);
 * CIB_ENOMEM.
 *
 * cib_sqlite_open() runs, on a file that holds an account, the part of
 * these checks that covers what a context loads (the conversations,
 * channels, tickets, idempotency keys and threads, the conversations'
 * indexes) and refuses a damaged database with the same message. A damaged
 * index may hide rows from the library's deletes: removing an inbox checks,
 * through the tables themselves, that none of its rows is left, and fails
 * with CIB_ESTORAGE and nothing removed when one is.
 */
CIB_API int cib_sqlite_check(const cib_store *st, char *errbuf, size_t errbuf_size);

#ifdef __cplusplus
}
#endif

#endif /* CONVINBOX_SQLITE_H */
