/*
 * convinbox/store.h - the storage vtable, for writers of storage adapters.
 *
 * The library keeps its working set in memory and writes every change through
 * this vtable (R-HOST-1). A store holds rows: a row has a kind (a table), a
 * text key unique within its kind, and named, typed fields (columns). The
 * built-in in-memory store (cib_memstore_new) is written against this vtable
 * and nothing else; durable adapters do the same.
 *
 * Transactions. Every library operation that changes the account calls
 * begin(), then put() and del() any number of times, then commit(). If any of
 * them fails, or anything else fails before commit() returns, the library
 * calls rollback() and the operation fails with CIB_ESTORAGE (or CIB_ENOMEM
 * when the method returned CIB_ENOMEM); the library's memory is left as it
 * was. rollback() must undo every put() and del() since begin(), and must not
 * fail. Transactions do not nest, and a store writes only inside one: put()
 * and del() outside a transaction are refused, never committed on their own.
 * Reads (get, scan, find, find_page) may happen inside or outside a
 * transaction and see the transaction's own writes. A store of version 3
 * may instead take each transaction whole, in one apply() call (see
 * "Version 3" below).
 *
 * Return values. Methods return CIB_OK (0) on success. Any other value is a
 * failure; CIB_ENOMEM is reported as such, everything else as CIB_ESTORAGE with
 * the message "storage.<method> returned <value>" unless the callback set one
 * with cib_set_callback_error().
 *
 * Rows passed to put() and to row callbacks are valid only during the call,
 * except the field names of put(): they are string constants of the library,
 * valid and unchanged for the life of the process, so an adapter may keep the
 * pointers instead of copying the names (the in-memory store does; a host
 * calling its put() itself must pass names that live as long).
 * Text and list items are UTF-8 without NUL bytes; each is also
 * NUL-terminated when the library passes it, but an adapter handing rows back
 * need only give correct lengths.
 */
#ifndef CONVINBOX_STORE_H
#define CONVINBOX_STORE_H

#include "../convinbox.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Row kinds, with their fields. Field names are stable column names. A field
 * that has no value is passed as CIB_FIELD_NULL. New kinds and new fields are
 * only ever added; an adapter must store fields it does not know and hand
 * them back (or refuse the row with an error).
 *
 * ACCOUNT   key "account": format (INT, 1), created_at (INT), next_id (INT:
 *           library ids below it may be in use), secret (INT: the salt of
 *           the fingerprints that key DEDUP and THREAD rows, so that those
 *           keys stay the same in every context; keep it private. The
 *           library's in-memory tables are keyed by a seed of each context,
 *           which is never stored)
 * USER      key user id: name (TEXT), email (TEXT|NULL), seat (TEXT paid|free),
 *           role (TEXT member|admin|super_admin), created_at (INT), status
 *           (TEXT available|away|offline), reassign_replies (INT), capacity
 *           (INT, 0: none), seq (INT: the order of their last assignment)
 * TEAM      key team id: members (LIST of user ids)
 * CONTACT   key contact id: email (TEXT|NULL), owner (TEXT user id|NULL),
 *           created_at (INT), addresses (LIST of learned addresses such as
 *           "visitor\nKEY" or "messenger\nCHANNEL\nID"), window_at (INT: their
 *           last Messenger message, 0: none), window_extra (INT 0|1: the one
 *           message after 24 hours is sent)
 * PIPELINE  key pipeline id: stages (LIST)
 * INBOX     key inbox id: name (TEXT), is_default (INT 0|1),
 *           access (TEXT everyone|specific), access_users (LIST),
 *           access_teams (LIST), created_at (INT)
 * CHANNEL   key channel id: inbox (TEXT), type (TEXT email|chat|form|
 *           messenger|custom|fallback_email), address (TEXT|NULL),
 *           status (TEXT enabled|disabled), sender_name (TEXT|NULL),
 *           created_at (INT), sender_display (TEXT agent_and_company|company
 *           |NULL), company (TEXT|NULL), signature (TEXT|NULL),
 *           log_forward_to_original (INT), threading (TEXT key|new|NULL),
 *           property_keys (LIST), property_values (LIST), routing_mode (TEXT
 *           unassigned|specific|contact_owner), routing_targets (LIST of
 *           "user:ID"/"team:ID"), only_available (INT), strategy (TEXT
 *           first_available|round_robin|least_loaded), queue (INT),
 *           tickets_auto (INT), ticket_pipeline, ticket_stage (TEXT|NULL),
 *           ticket_owner (TEXT assignee|none|user:ID|NULL),
 *           ticket_property_keys, ticket_property_values (LIST), availability
 *           (TEXT always|status_based|business_hours|NULL), tz (TEXT|NULL),
 *           hours (LIST of "mon,tue 09:00-17:30")
 * CONVERSATION  key decimal id: inbox, channel, contact (TEXT), assignee
 *           (TEXT|NULL), reason (TEXT none|rule|owner|fallback|manual|
 *           reassigned_offline), status (TEXT open|closed), created_at,
 *           last_inbound_at (INT), first_reply_at, closed_at (INT|NULL),
 *           n_messages (INT), thread (TEXT: the key of
 *           its THREAD row|NULL), property_keys, property_values (LIST),
 *           queued (INT: its order in the waiting queue|NULL), ticket (TEXT
 *           decimal id|NULL)
 * MESSAGE   key decimal id: conversation (TEXT decimal id), inbox, channel,
 *           kind (TEXT inbound|reply|comment), author (TEXT user id|NULL),
 *           contact (TEXT|NULL), msg_id (TEXT: the host's id|NULL), text
 *           (TEXT, may be empty), created_at (INT), forwarded_by (TEXT|NULL),
 *           cc (LIST), attachments (LIST of "KIND:BYTES:NAME")
 * DEDUP     key: 32 hex digits: inbox, channel, msg_id (TEXT), message,
 *           conversation (TEXT decimal ids), expires_at (INT: when the id
 *           stops being a duplicate, 0: never; read only by a context with
 *           cib_options.dedup_window_ms set). One per accepted message id,
 *           kept until its inbox is deleted. A context reads every key once
 *           when it loads (scan) and then gets a row by its key only to
 *           confirm a repeat: give get() an index on the key
 * THREAD    key: 32 hex digits: inbox, channel, thread (TEXT: the host's
 *           thread key), conversation (TEXT decimal id)
 * ROUTING   key channel id: cursor (TEXT: the user a round-robin rule picked
 *           last|NULL)
 * TICKET    key decimal id: conversation (TEXT decimal id), inbox, channel,
 *           pipeline, stage (TEXT), owner (TEXT user id|NULL), created_at
 *           (INT), property_keys, property_values (LIST)
 */
enum cib_kind {
    CIB_KIND_ACCOUNT = 1,
    CIB_KIND_USER = 2,
    CIB_KIND_TEAM = 3,
    CIB_KIND_CONTACT = 4,
    CIB_KIND_PIPELINE = 5,
    CIB_KIND_INBOX = 6,
    CIB_KIND_CHANNEL = 7,
    CIB_KIND_CONVERSATION = 8,
    CIB_KIND_MESSAGE = 9,
    CIB_KIND_DEDUP = 10,
    CIB_KIND_THREAD = 11,
    CIB_KIND_ROUTING = 12,
    CIB_KIND_TICKET = 13
};
/* One more than the largest kind of this version. */
#define CIB_KIND_END 14

/* The kind's lower-case name ("user", ...), usable as a table name; NULL for
 * an unknown kind. Static string. */
CIB_API const char *cib_kind_name(int kind);

enum cib_field_type {
    CIB_FIELD_NULL = 0,
    CIB_FIELD_INT = 1,  /* i */
    CIB_FIELD_TEXT = 2, /* text, len */
    CIB_FIELD_LIST = 3  /* items, item_lens, n_items: a list of texts */
};

typedef struct cib_field {
    const char *name; /* column name, NUL-terminated */
    int type;         /* enum cib_field_type */
    int64_t i;
    const char *text;
    size_t len;
    const char *const *items;
    const size_t *item_lens;
    size_t n_items;
} cib_field;

typedef struct cib_row {
    int kind; /* enum cib_kind */
    const char *key;
    size_t key_len;
    const cib_field *fields;
    size_t n_fields;
} cib_row;

/* Row callback of get() and scan(); a non-zero return stops a scan, and the
 * method returns that value. */
typedef int (*cib_row_fn)(void *cb_data, const cib_row *row);

/* One condition of find_page(): the TEXT field `field` equals value[0..len). */
typedef struct cib_match {
    const char *field; /* NUL-terminated field name */
    const char *value; /* len bytes, not NUL-terminated */
    size_t len;
} cib_match;

/*
 * Versions. A host sets `version` to the CIB_STORE_VERSION of the header it
 * was built with. The library accepts every version from 1 to its own
 * CIB_STORE_VERSION and reads only the slots that version has: a host built
 * against an older header (a shorter struct) keeps working, and the slots
 * added later are taken as NULL. Version 0, a negative version and one newer
 * than the library's are refused by cib_ctx_new() with CIB_EINVAL naming
 * 'opts->store->version', as is a store whose begin, commit, rollback, put,
 * del, get or scan is NULL (the message names the slot). New slots are only
 * ever appended, and are optional.
 *   1  begin ... errmsg
 *   2  find_page
 *   3  apply
 */
#define CIB_STORE_VERSION 3

/*
 * Version 3: a transaction in one call. A store that sets apply() is given
 * each transaction whole, as an array of changes, when the library commits
 * it: no begin(), put(), del(), commit() or rollback() is called for
 * writes (they stay required slots, so that the same store works with an
 * older library). A change:
 *
 *   CIB_CHANGE_PUT    insert or replace the row: every field of the kind,
 *                     in the order this header lists them (so field i is
 *                     column i of the kind's table, and the names say so)
 *   CIB_CHANGE_PATCH  the row exists: set only the fields given (by name,
 *                     in any order), leave the others as they are; a patch
 *                     of a missing row is an error (the transaction fails)
 *   CIB_CHANGE_DEL    delete the row (kind and key; no fields); a missing
 *                     row is not an error
 *
 * Why it looks like this: a network store (a database server) can send the
 * whole transaction in one round trip, BEGIN, the statements, COMMIT,
 * instead of one per row; a patch says what changed, so a follow-up
 * message updates two columns of its conversation instead of rewriting
 * seventeen, and an assignment one column of its user. Rows stay the
 * self-describing rows of version 1 (kind, key, named typed fields), so an
 * adapter maps a change to a statement by the same table as before, and a
 * store can implement apply() on top of its own put() and del().
 *
 * apply() is all or nothing: it returns CIB_OK only when every change is
 * durable, and on any failure leaves the store as it was before the call
 * (CIB_ENOMEM or another non-zero value, reported as for the other
 * methods: "storage.apply ..."). The changes and everything they point to
 * are valid only during the call. Changes of the same row come in the order
 * they were made; the last one wins. Reads during a transaction need not
 * see its changes: the library answers a get() of a row the open
 * transaction put or deleted from the changes themselves, and does not
 * otherwise read what a transaction wrote. n is at least 1: a transaction
 * without writes is not applied.
 */
enum cib_change_op { CIB_CHANGE_PUT = 1, CIB_CHANGE_PATCH = 2, CIB_CHANGE_DEL = 3 };

typedef struct cib_change {
    int op;      /* enum cib_change_op */
    cib_row row; /* PUT: every field; PATCH: the changed ones; DEL: none */
} cib_change;

struct cib_store {
    int version; /* CIB_STORE_VERSION of the host's header; 1 or more */
    void *user_data;
    /* Start a transaction. A begin() while one is open is refused (non-zero)
     * and leaves the open transaction as it was. */
    int (*begin)(void *user_data);
    /* Make the transaction's writes durable and end it. Outside a
     * transaction it fails. */
    int (*commit)(void *user_data);
    /* Undo every put() and del() since begin() and end the transaction;
     * never fails; outside a transaction it does nothing. */
    void (*rollback)(void *user_data);
    /* Insert or replace the row with this kind and key. put() and del()
     * outside a transaction are refused (CIB_EINVAL) and change nothing:
     * a store never commits a write on its own. */
    int (*put)(void *user_data, const cib_row *row);
    /* Delete a row; deleting a missing row is not an error. */
    int (*del)(void *user_data, int kind, const char *key, size_t key_len);
    /* Call fn once with the row, or return CIB_ENOTFOUND. */
    int (*get)(void *user_data, int kind, const char *key, size_t key_len, cib_row_fn fn,
               void *cb_data);
    /* Call fn for every row of a kind, in any order. */
    int (*scan)(void *user_data, int kind, cib_row_fn fn, void *cb_data);
    /* Release the store. May be NULL. */
    void (*close)(void *user_data);
    /* Optional (NULL: the library scans and filters): call fn for every row
     * of a kind whose TEXT field `field` equals value[0..len), in any order.
     * The library asks for: CONVERSATION by inbox, contact and status;
     * MESSAGE by conversation and inbox; DEDUP, THREAD and TICKET by inbox. A
     * database answers from an index on those columns. A MESSAGE, DEDUP,
     * THREAD or TICKET row is always in the inbox of the conversation it
     * names, and when an inbox is removed the library deletes its
     * conversations after all their other rows, in the same transaction: a
     * store may answer "by inbox" for those kinds through the conversations
     * (the SQLite adapter does, and keeps no inbox index on them). */
    int (*find)(void *user_data, int kind, const char *field, const char *value, size_t len,
                cib_row_fn fn, void *cb_data);
    /* Optional (NULL: none): why the last call failed, NUL-terminated, valid
     * until the next call. The library puts it in its message when the
     * method did not set one with cib_set_callback_error(). */
    const char *(*errmsg)(void *user_data);

    /* ---- version 2 ---- */

    /* Optional (NULL: the library finds every matching row, through find()
     * or scan(), and sorts them): one page of an ordered find. Call fn, in
     * ascending order of the key read as a library id, for at most `limit`
     * (1 or more) rows of `kind` whose key is a library id (decimal digits,
     * no leading zero) greater than `after` and whose TEXT fields equal
     * every match[0..n_match) (n_match 1 or more, the library passes at
     * most 4; a field that is NULL or missing matches nothing). Rows whose
     * key is not an id are never found. As for find(), a non-zero return of
     * fn stops the call and is returned, and the transaction's own writes
     * are seen. The library asks for: CONVERSATION by inbox and status, for
     * a page of closed conversations in an inbox's views. With this method
     * such a page costs O(limit + log n) for n conversations; without it,
     * O(n log n), every page. A database answers from an index on (inbox,
     * status, id) (the SQLite adapter does); the in-memory store keeps an
     * ordered tree per (inbox, status). A store may answer other requests
     * by filtering and sorting. No conditions, limit 0 or a NULL fn are
     * refused (non-zero). */
    int (*find_page)(void *user_data, int kind, const cib_match *match, size_t n_match,
                     uint64_t after, size_t limit, cib_row_fn fn, void *cb_data);

    /* ---- version 3 ---- */

    /* Optional (NULL: the library writes through begin, put, del, commit
     * and rollback): apply a whole transaction, n changes (n >= 1), all or
     * nothing (see "Version 3" above). The SQLite adapter sets it. */
    int (*apply)(void *user_data, const cib_change *changes, size_t n);
};
#define CIB_STORE_INIT                                                                             \
    {                                                                                              \
        CIB_STORE_VERSION, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, \
            NULL                                                                                   \
    }

/*
 * Create the built-in in-memory store, e.g. to share one store between
 * successive contexts (a restart) or to wrap it with a host's own vtable.
 * It keeps every row it is given. (A context opened without a store makes
 * one of these for itself and gives it only the kinds its working set does
 * not hold: CONVERSATION, MESSAGE, DEDUP, THREAD and TICKET; that store
 * dies with the context, so it needs no copy of the rest.)
 *  allocator  in, may be NULL (the C library's malloc family); copied.
 *  out        out, not NULL: the filled vtable. Release the store with
 *             out->close(out->user_data) after every context using it is freed.
 * Returns CIB_OK, CIB_EINVAL, CIB_ENOMEM (also when the operating system
 * gives no random bytes for the seed of the store's hash tables).
 *
 * The store keeps each row packed in one block (a byte for the field's name,
 * one for its type, then its value) and unpacks it for get(), scan() and
 * find(); a row with more than 48 fields or 64 list items in all is
 * unpacked into a temporary block, so those three may then return
 * CIB_ENOMEM. A conversation row (key a library id) also carries a 56-byte
 * node of the ordered index its find_page() reads: a tree per (inbox,
 * status). Its find() costs O(rows returned) for every request of the
 * library: conversations by inbox or status read that tree (and scan while
 * a conversation has a key that is not an id, or no inbox or status text);
 * messages by conversation, conversations by contact, and DEDUP, THREAD and
 * TICKET rows by inbox read a value index: 24 bytes more per row of those
 * kinds, and about 50 to 70 bytes plus the value per distinct value (for
 * messages, per conversation); messages by inbox go through the inbox's
 * conversations. Other finds scan and filter. put() refuses a malformed row
 * (a NULL key, name, text or item; an unknown type) and a row over 4 GiB
 * packed with CIB_EINVAL.
 */
CIB_API int cib_memstore_new(const cib_allocator *allocator, cib_store *out);

#ifdef __cplusplus
}
#endif

#endif /* CONVINBOX_STORE_H */
