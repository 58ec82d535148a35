/*
 * convinbox.h - libconvinbox, a shared conversations inbox for host applications.
 *
 * The host application owns the network, the UI and the database; libconvinbox
 * owns the model (account, inboxes, channels, contacts, conversations) and every
 * decision (access, routing, tickets). This header is the manual: every public
 * function is documented where it is declared.
 *
 * Conventions that hold for every function unless its comment says otherwise:
 *
 *  - Status.  Functions return an int status: CIB_OK (0) or a negative CIB_E*
 *    code from the table below. On failure nothing has changed, neither in
 *    memory nor in storage, and cib_errmsg(ctx) describes the problem.
 *  - Strings.  Every string argument is a pointer plus a byte length; pass
 *    CIB_NTS as the length for a NUL-terminated string. Strings are UTF-8.
 *    Ids and names are refused (CIB_EINVAL) when NULL, empty, longer than the
 *    context's limit, when they contain a NUL byte, a control character, or
 *    invalid UTF-8. Strings are copied; the caller keeps ownership.
 *  - Ids.  Users, teams, contacts, pipelines, inboxes and channels are named by
 *    the host's own ids (database keys, UUIDs). Ids are compared byte for byte.
 *  - Structs.  Input and output structs begin with a `size` member; initialise
 *    them with their CIB_*_INIT macro. A struct from an older header (smaller
 *    size) is accepted; a larger one is accepted only if the members this
 *    library does not know are zero.
 *  - Borrowed pointers.  Strings returned through output structs belong to the
 *    context and stay valid until the next call that changes the context
 *    (any function not documented as read-only) or cib_ctx_free().
 *  - Callbacks.  A host callback (an iteration function, a storage method,
 *    the event callback) may call read-only functions on the same context;
 *    a function that would change it returns CIB_EINVAL instead.
 *  - Threads.  A context is used by one thread at a time. Different contexts
 *    share nothing and may be used on different threads at once. The library
 *    has no global state.
 *  - Time.  All times are int64 milliseconds since 1970-01-01T00:00:00Z, read
 *    from the context's clock callback (R-AVAIL-3).
 *  - Library ids.  Conversations and messages get uint64 ids from one
 *    sequence: unique, increasing with creation, never 0, never reused. They
 *    are reserved from the store in blocks, so after a restart they may skip
 *    ahead.
 */
#ifndef CONVINBOX_H
#define CONVINBOX_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CIB_BUILDING) && defined(__GNUC__)
#define CIB_API __attribute__((visibility("default")))
#else
#define CIB_API
#endif

/* ------------------------------------------------------------------------ */
/* Version                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * Versions follow semantic versioning. Two releases with the same
 * CIB_VERSION_MAJOR are ABI-compatible: a program built against the older one
 * runs against the newer one without rebuilding. The shared library's
 * soversion is the major version.
 */
#define CIB_VERSION_MAJOR  0
#define CIB_VERSION_MINOR  1
#define CIB_VERSION_PATCH  0
#define CIB_VERSION_STRING "0.1.0"
#define CIB_VERSION_NUMBER (CIB_VERSION_MAJOR * 10000 + CIB_VERSION_MINOR * 100 + CIB_VERSION_PATCH)

/* The version of the linked library as "MAJOR.MINOR.PATCH" (static string). */
CIB_API const char *cib_version(void);
/* The version of the linked library as MAJOR*10000 + MINOR*100 + PATCH. */
CIB_API int cib_version_number(void);

/* ------------------------------------------------------------------------ */
/* Status codes (R-HOST-4)                                                   */
/* ------------------------------------------------------------------------ */

/*
 * X(symbol, value, name, description). Values are pinned: they never change
 * and are never reused. `name` is the stable machine-readable error name.
 */
#define CIB_STATUS_TABLE(X)                                                                        \
    X(CIB_OK, 0, "ok", "success")                                                                  \
    X(CIB_EINVAL, -1, "invalid", "invalid argument")                                               \
    X(CIB_ENOTFOUND, -2, "not_found", "no such object")                                            \
    X(CIB_ECONFLICT, -3, "conflict", "conflicts with an existing object")                          \
    X(CIB_EFORBIDDEN, -4, "forbidden", "the user may not do this")                                 \
    X(CIB_EDISABLED, -5, "disabled", "the channel is disabled")                                    \
    X(CIB_ESEAT, -6, "seat_required", "a paid seat is required")                                   \
    X(CIB_ELIMIT, -7, "limit", "a configured limit is reached")                                    \
    X(CIB_EWINDOW, -8, "window_closed", "the messaging window is closed")                          \
    X(CIB_EDUPLICATE, -9, "duplicate", "this message was already delivered")                       \
    X(CIB_ESTORAGE, -10, "storage", "a storage callback failed")                                   \
    X(CIB_ENOMEM, -11, "nomem", "out of memory")

/*
 * CIB_EDUPLICATE names the condition of R-CONV-3; cib_ingest() reports a
 * duplicate delivery with CIB_OK and result->duplicate = 1, so that a host
 * with at-least-once delivery acknowledges it instead of retrying forever.
 * No function of this version returns CIB_EDUPLICATE.
 */
#define CIB__STATUS_ENUM(sym, val, name, text) sym = val,
enum cib_status { CIB_STATUS_TABLE(CIB__STATUS_ENUM) };
#undef CIB__STATUS_ENUM

/* Stable name of a status ("invalid", "not_found", ...), "unknown" for others.
 * Static string; never NULL. */
CIB_API const char *cib_status_name(int status);
/* One-line English description of a status. Static string; never NULL. */
CIB_API const char *cib_strerror(int status);

/* Length sentinel: the string is NUL-terminated. */
#define CIB_NTS ((size_t)-1)

/* ------------------------------------------------------------------------ */
/* Host hooks: allocator, clock, events                                      */
/* ------------------------------------------------------------------------ */

/* Versions of the host vtables (cib_allocator, cib_sender, cib_store): the
 * host sets `version` to the *_VERSION of the header it was built with; the
 * library accepts 1 to its own *_VERSION, reads only the slots that version
 * has (later slots count as NULL), and refuses 0, a negative version or a
 * newer one with CIB_EINVAL naming the argument ('opts->allocator->version').
 * Slots are only appended. Allocator version 1: malloc_fn, realloc_fn,
 * free_fn (all required). */
#define CIB_ALLOCATOR_VERSION 1

/*
 * Memory hooks. Every allocation the context makes goes through them,
 * including its hash tables and the built-in store. All three functions are
 * required. realloc_fn(ud, NULL, n) must behave like malloc_fn(ud, n);
 * free_fn(ud, NULL) must do nothing.
 */
typedef struct cib_allocator {
    int version; /* CIB_ALLOCATOR_VERSION */
    void *user_data;
    void *(*malloc_fn)(void *user_data, size_t size);
    void *(*realloc_fn)(void *user_data, void *ptr, size_t size);
    void (*free_fn)(void *user_data, void *ptr);
} cib_allocator;
#define CIB_ALLOCATOR_INIT                                                                         \
    {                                                                                              \
        CIB_ALLOCATOR_VERSION, NULL, NULL, NULL, NULL                                              \
    }

/*
 * Clock: milliseconds since the Unix epoch (UTC), in
 * CIB_TIME_MIN..CIB_TIME_MAX (0001-01-01T00:00:00.000Z to
 * 9999-12-31T23:59:59.999Z): every time the library keeps, stores or takes
 * lies there, so that every sum and difference it makes fits in an int64.
 * A call that reads the clock and gets a value outside fails with
 * CIB_EINVAL ("the clock returned ...") and changes nothing (a batch fails
 * as a whole); cib_ctx_new() for a new account likewise. A stored time
 * outside the range is refused when it is read: cib_ctx_new() fails with
 * CIB_ESTORAGE naming the row and field. 0 doubles as "none" in the
 * library's time fields (first_reply_at, closed_at).
 */
typedef int64_t (*cib_clock_fn)(void *user_data);
#define CIB_TIME_MIN (-INT64_C(62135596800000))
#define CIB_TIME_MAX INT64_C(253402300799999)

/* Event types delivered to cib_options.on_event (R-HOST-3). */
enum cib_event_type {
    CIB_EVENT_CONVERSATION_CREATED = 1,
    CIB_EVENT_MESSAGE_ADDED = 2,
    CIB_EVENT_ASSIGNED = 3,
    CIB_EVENT_TICKET_CREATED = 4,
    CIB_EVENT_NOTIFICATION = 5,
    CIB_EVENT_CLOSED = 6,
    CIB_EVENT_REOPENED = 7
};

/* Why a conversation has its assignee (R-ROUTE-6). */
enum cib_reason {
    CIB_REASON_NONE = 0,              /* unassigned */
    CIB_REASON_RULE = 1,              /* the channel's routing rule */
    CIB_REASON_OWNER = 2,             /* the contact's owner */
    CIB_REASON_FALLBACK = 3,          /* the owner rule's fallback list */
    CIB_REASON_MANUAL = 4,            /* an agent assigned it */
    CIB_REASON_REASSIGNED_OFFLINE = 5 /* routed again: the assignee was away */
};

/*
 * An event (R-HOST-3), valid only during the callback. Events are delivered
 * after the change they report is committed to storage, in the order the
 * changes were made; an event callback may read the context but not change
 * it. The account-model calls (users, teams, contacts, pipelines, inboxes,
 * channels) emit no events of their own; they report the conversations they
 * hand out from waiting queues (R-ROUTE-8) as ASSIGNED events. Fields that
 * do not apply are 0 or NULL:
 *  CONVERSATION_CREATED  conversation, inbox, channel, contact
 *  MESSAGE_ADDED         conversation, message, inbox, channel, contact,
 *                        user (the author of a reply or comment),
 *                        message_kind
 *  ASSIGNED              conversation, inbox, channel, user (NULL when
 *                        unassigned), reason
 *  CLOSED, REOPENED      conversation, inbox, channel, user (who did it;
 *                        NULL when a contact's message reopened it)
 *  TICKET_CREATED        conversation, inbox, channel, contact, ticket, user
 *                        (the ticket's owner or NULL)
 *  NOTIFICATION          conversation, inbox, channel, contact, user (whom
 *                        to tell): the contact owner got a conversation while
 *                        not available (R-ROUTE-3)
 * Conversations that a change hands out from a waiting queue (R-ROUTE-8) are
 * reported as ASSIGNED events with reason RULE or FALLBACK.
 */
typedef struct cib_event {
    size_t size;
    int type;              /* enum cib_event_type */
    uint64_t conversation; /* library id of the conversation */
    uint64_t message;      /* library id of the message */
    const char *inbox;     /* inbox id */
    const char *channel;   /* channel id */
    const char *user;      /* assignee, notified user, author */
    int reason;            /* enum cib_reason */
    const char *contact;   /* contact id */
    int message_kind;      /* enum cib_message_kind */
    uint64_t ticket;       /* TICKET_CREATED: the ticket's id */
} cib_event;

typedef void (*cib_event_fn)(void *user_data, const cib_event *event);

/*
 * An outbound message for the host to deliver (R-HOST-2), valid only during
 * the call. For email channels the text already ends with the channel's
 * rendered signature and from_name is the sender display (R-CHAN-4).
 */
typedef struct cib_outbound {
    size_t size;
    int channel_type;         /* enum cib_channel_type */
    const char *channel;      /* channel id */
    const char *from_address; /* the channel's address, or NULL */
    const char *from_name;    /* email: "Alice Adams at Acme" or "Acme"; else NULL */
    const char *to;           /* the contact's address on this channel */
    const char *user;         /* the agent who replied */
    uint64_t conversation;
    uint64_t message;
    const char *text;
    size_t text_len;
} cib_outbound;

typedef int (*cib_send_fn)(void *user_data, const cib_outbound *msg);

/* Sender version 1: email ... custom (see the versions of
 * CIB_ALLOCATOR_VERSION; 'opts->sender->version'). */
#define CIB_SENDER_VERSION 1

/*
 * Outbound delivery, one callback per channel type (R-HOST-2); a NULL slot
 * means replies cannot be sent on channels of that type. Fallback email
 * channels use `email`. A callback runs inside the reply's transaction,
 * before the commit: returning non-zero fails the reply and nothing is
 * recorded. If it returns a CIB_E* status, the reply returns it; any other
 * non-zero value is reported as CIB_ESTORAGE ("sender.email returned 7").
 * Should the commit fail after a successful delivery, the reply returns
 * CIB_ESTORAGE and the host has the message id to reconcile.
 */
typedef struct cib_sender {
    int version; /* CIB_SENDER_VERSION */
    void *user_data;
    cib_send_fn email;
    cib_send_fn chat;
    cib_send_fn form;
    cib_send_fn messenger;
    cib_send_fn custom;
} cib_sender;
#define CIB_SENDER_INIT                                                                            \
    {                                                                                              \
        CIB_SENDER_VERSION, NULL, NULL, NULL, NULL, NULL, NULL                                     \
    }

/* ------------------------------------------------------------------------ */
/* Context                                                                   */
/* ------------------------------------------------------------------------ */

/* One account: its users, teams, contacts, pipelines, inboxes and channels. */
typedef struct cib_ctx cib_ctx;
/* Storage vtable; defined in <convinbox/store.h>. */
typedef struct cib_store cib_store;

/*
 * Options for cib_ctx_new(). Zero members mean "the default".
 */
typedef struct cib_options {
    size_t size;                    /* sizeof(cib_options) */
    const cib_allocator *allocator; /* NULL: the C library's malloc family;
                                       copied, must outlive nothing */
    cib_clock_fn clock;             /* NULL: the system clock (CLOCK_REALTIME) */
    void *clock_user_data;
    const cib_store *store; /* NULL: a private in-memory store, freed
                               with the context, given only what the
                               working set does not hold (conversations,
                               messages, message ids, threads, tickets:
                               users, teams, contacts, inboxes, channels
                               and the rest live in the working set
                               alone). To restart on the same rows, pass
                               cib_memstore_new()'s, which keeps all.
                               Otherwise the vtable is copied; the host
                               keeps the store open until cib_ctx_free()
                               returns and then closes it itself. */
    cib_event_fn on_event;  /* NULL: no events */
    void *event_user_data;
    uint32_t max_inboxes;           /* inboxes per account incl. the default
                                       inbox; 0: 100 (R-INBOX-2) */
    uint32_t max_id_len;            /* bytes per id; 0: 255; 16 to 4096 */
    uint32_t max_name_len;          /* bytes per name; 0: 255; 16 to 4096 */
    uint32_t max_text_len;          /* bytes per message text (inbound,
                                       replies, comments); 0: 262144
                                       (256 KiB); at most 16777216 */
    uint64_t hash_seed;             /* seed of the context's in-memory hash
                                       tables; 0: fresh random bytes from
                                       the OS (getrandom), drawn per context
                                       and never stored. A fixed seed is for
                                       reproducible runs only: it makes the
                                       tables' layout predictable */
    const char *default_inbox_name; /* NUL-terminated; NULL: "Inbox" */
    char *error_buffer;             /* NULL, or where cib_ctx_new() writes why
                                       it failed (NUL-terminated, truncated) */
    size_t error_buffer_size;
    const cib_sender *sender; /* NULL: replies cannot be delivered;
                                 copied */
    int64_t dedup_window_ms;  /* 0 (the default): a delivered message id
                             is a duplicate forever (R-CONV-3). N > 0:
                             only for N ms after its delivery, then a
                             redelivery is accepted as new; at most
                             CIB_TIME_MAX */
    const char *zoneinfo_dir; /* TZif files for business hours;
                                 NUL-terminated, copied;
                                 NULL: "/usr/share/zoneinfo" */
    /* Caps (see "Limits" below and cib_limit()); 0: the default. */
    uint32_t max_contacts;           /* contacts per account; 0: no cap */
    uint32_t max_open_conversations; /* open conversations; 0: no cap */
    uint32_t max_conversations;      /* conversations ever stored, open and
                                        closed; 0: no cap */
    uint32_t max_attachments;        /* per inbound message; 0: 100;
                                        1 to 100 */
    uint64_t heap_budget;            /* bytes the context may hold through
                                        its allocator; 0: no budget (and no
                                        counting); UINT64_MAX: count only */
    uint32_t dedup_recent;           /* message ids kept exactly in memory
                                        with their first delivery, so that a
                                        repeat of one is answered without a
                                        store read (about 90 bytes each);
                                        older ids are found through a filter
                                        and the store. The filter holds every
                                        stored id, 5 to 11 bytes each, and no
                                        cap bounds it (R-CONV-3 has no time
                                        limit). 0: 16384; at most 16777216 */
} cib_options;
#define CIB_OPTIONS_INIT                                                                           \
    {                                                                                              \
        sizeof(cib_options), NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, 0,     \
            NULL, 0, NULL, 0, 0, 0, 0, 0, 0                                                        \
    }

/*
 * Create a context for one account.
 *  opts  in, may be NULL for all defaults.
 *  out   out, not NULL: the new context, or NULL on failure.
 * If the store holds an account, the context is rebuilt from it. If the store
 * is empty, a new account is written to it: the default inbox (id "default")
 * with a fallback email channel (id "default-fallback") (R-INBOX-1).
 * Returns CIB_OK, CIB_EINVAL (bad options; for a new account, a clock
 * outside CIB_TIME_MIN..CIB_TIME_MAX), CIB_ENOMEM (also when
 * opts->hash_seed is 0 and the operating system gives no random bytes: the
 * library never falls back to a guessable seed), CIB_ESTORAGE (the store
 * failed, or holds data this version cannot read: a newer format, rows that
 * break the account's rules, a time outside the range). No context exists to hold the message
 * of a failure, so it is written to opts->error_buffer when one is given.
 * The new context owns nothing of the caller's; free it with cib_ctx_free().
 */
CIB_API int cib_ctx_new(const cib_options *opts, cib_ctx **out);

/* Free a context and everything it owns. NULL is a no-op. A host-supplied
 * store is not closed. */
CIB_API void cib_ctx_free(cib_ctx *ctx);

/* ------------------------------------------------------------------------ */
/* Limits                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * Caps on what an account holds, set in cib_options and changed at run time
 * with cib_limit() (after sqlite3_limit()). A call that would pass a cap is
 * refused with CIB_ELIMIT and a message naming the cap and its value
 * ("the account has 500 contacts, the most max_contacts (500) allows"), and
 * changes nothing. Where they bite:
 *  CONTACTS            cib_contact_add(), and cib_ingest() from an unknown
 *                      sender (R-CONV-1). Default: no cap.
 *  OPEN_CONVERSATIONS  a new conversation (cib_ingest()), and reopening a
 *                      closed one: cib_reopen(), a reply to it, or an inbound
 *                      message on its thread. Open conversations are the
 *                      working set in memory (about 250 bytes each), so this
 *                      is the cap that bounds memory. Default: no cap.
 *  CONVERSATIONS       a new conversation; open and closed ones count, and
 *                      an inbox's removal gives room back. The context then
 *                      counts the stored conversations once when it opens
 *                      (or when the cap is first set), a scan of the store's
 *                      conversations: O(history), paid only with this cap.
 *                      Default: no cap.
 *  TEXT                max_text_len: the bytes of an inbound message's text,
 *                      a reply or a comment. Default 262144 (256 KiB: long
 *                      HTML-stripped mail threads fit), at most 16 MiB.
 *  ATTACHMENTS         attachments of one inbound message. Default and most
 *                      100: far more than a chat or mail client sends in one
 *                      message, and it bounds the message row's attachment
 *                      list (100 names of at most max_name_len bytes).
 *  INBOXES             max_inboxes (R-INBOX-2), default 100.
 *  HEAP                the heap budget, below.
 * In cib_ingest_batch() a message over a cap gets CIB_ELIMIT in its status
 * and the batch goes on, as for other messages refused for what they are.
 * An account that already holds more than a cap allows (it was written under
 * a larger cap, or the cap was lowered at run time) is loaded whole and
 * works; only new contacts or conversations are refused until it is under
 * the cap again.
 *
 * The heap budget (after sqlite3_hard_heap_limit64()). With heap_budget set,
 * every block the context allocates goes through a counting wrapper around
 * its allocator: the working set, scratch buffers, and the built-in store
 * when the context made it (opts->store NULL). A host's store, including
 * the SQLite adapter, is not counted (see <convinbox/sqlite.h>). An
 * allocation that would take the live bytes past the budget fails like any
 * allocation failure: the call returns CIB_ENOMEM, changes nothing, and its
 * message ends with "the heap budget of N bytes is reached (...)"; the
 * context stays usable and calls that need less memory still succeed.
 * CIB_ENOMEM rather than CIB_ELIMIT because the budget bites wherever
 * memory is asked for, and every call already undoes itself cleanly on an
 * allocation failure (a failed batch undoes its messages from its log,
 * which allocates nothing). Counting costs a 16-byte header per block,
 * counted too (a contact with an email then takes about 227 bytes instead of
 * 191.5); the context's own struct (about 8 KB, with room for a call's undo log
 * and events) counts from the start.
 * A budget below what the account needs to load makes cib_ctx_new() fail
 * with CIB_ENOMEM. Without a budget nothing is counted and nothing is added.
 *
 * Scratch buffers that grow with one call (the built-in store's row packing
 * buffer and transaction journal) are released after that call when they
 * grew past a few kilobytes, so a 256 KiB message does not stay in memory
 * after it is stored.
 */
enum cib_limit_kind {
    CIB_LIMIT_INBOXES = 1,            /* max_inboxes: 1 .. UINT32_MAX */
    CIB_LIMIT_CONTACTS = 2,           /* max_contacts: 0 (none) .. UINT32_MAX */
    CIB_LIMIT_OPEN_CONVERSATIONS = 3, /* max_open_conversations: the same */
    CIB_LIMIT_CONVERSATIONS = 4,      /* max_conversations: the same */
    CIB_LIMIT_TEXT = 5,               /* max_text_len: 1 .. 16777216 */
    CIB_LIMIT_ATTACHMENTS = 6,        /* max_attachments: 1 .. 100 */
    CIB_LIMIT_HEAP = 7                /* heap_budget in bytes: 0 (none) ..
                                         INT64_MAX */
};

/*
 * Read or change a cap at run time.
 *  which      enum cib_limit_kind.
 *  new_value  < 0: only read; 0: the default of cib_options (no cap, or the
 *             default value); else the new value, within the range above.
 *  old_value  out, may be NULL: the value before the call (0: no cap).
 * Unlike sqlite3_limit(), it returns a status and refuses a value outside
 * the range (CIB_EINVAL) instead of clamping it. A cap may be set below what
 * the account holds: nothing is removed, new objects are refused. The heap
 * budget can be changed only on a context created with one (its blocks are
 * counted from the start); 0 then means no budget, still counting. Setting
 * max_conversations on a context that does not count its conversations yet
 * counts them (a scan of the store: CIB_ESTORAGE, CIB_ENOMEM possible).
 * Reading is allowed anywhere; changing is refused inside a callback
 * (CIB_EINVAL). Returns CIB_OK, CIB_EINVAL (unknown which, value out of
 * range, heap budget on a context without one), CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_limit(cib_ctx *ctx, int which, int64_t new_value, int64_t *old_value);

/*
 * The bytes the context holds through its allocator now (*live) and at most
 * so far (*peak), headers included; either pointer may be NULL. Only a
 * context created with a heap_budget counts them (UINT64_MAX: count without
 * a budget); others return CIB_EINVAL. Read-only. Returns CIB_OK, CIB_EINVAL.
 */
CIB_API int cib_memory_used(cib_ctx *ctx, uint64_t *live, uint64_t *peak);

/*
 * The detail of the last failed call on this context, e.g.
 * "invalid argument: 'id' is empty". After a successful call it is "".
 * Borrowed: valid until the next call on ctx. Never NULL; for a NULL ctx a
 * static string.
 */
CIB_API const char *cib_errmsg(const cib_ctx *ctx);

/*
 * For use inside a host callback (storage, outbound delivery) that is about to
 * return an error: the message replaces the generic "storage.put returned -5"
 * in cib_errmsg(). msg: UTF-8, tabs and newlines allowed; it ends at msg_len
 * bytes (CIB_NTS: at its NUL) or at a NUL byte before, and at most 255 bytes
 * are kept (cut between two characters). Returns CIB_OK, or CIB_EINVAL
 * (ctx or msg NULL; msg empty, not UTF-8, or holding a control character)
 * with a message naming the argument, keeping any message set before.
 */
CIB_API int cib_set_callback_error(cib_ctx *ctx, const char *msg, size_t msg_len);

/* Free memory this library returned to the caller (e.g. from cib_dump()).
 * NULL is a no-op. */
CIB_API void cib_free(cib_ctx *ctx, void *ptr);

/*
 * A canonical, human-readable text dump of the whole account: one line per
 * object, sorted by kind and id, every stored property included. Two contexts
 * hold the same account exactly when their dumps are equal.
 *  out      out, not NULL: NUL-terminated text, free with cib_free().
 *  out_len  out, may be NULL: its length in bytes.
 * Read-only. Returns CIB_OK, CIB_EINVAL, CIB_ENOMEM.
 */
CIB_API int cib_dump(cib_ctx *ctx, char **out, size_t *out_len);

/* ------------------------------------------------------------------------ */
/* Users                                                                     */
/* ------------------------------------------------------------------------ */

enum cib_seat { CIB_SEAT_PAID = 1, CIB_SEAT_FREE = 2 };
enum cib_role { CIB_ROLE_MEMBER = 1, CIB_ROLE_ADMIN = 2, CIB_ROLE_SUPER_ADMIN = 3 };

typedef struct cib_user_def {
    size_t size;
    const char *id; /* required */
    size_t id_len;
    const char *name; /* required: full name, e.g. "Alice Adams" */
    size_t name_len;
    const char *email; /* optional (NULL): the user's personal email */
    size_t email_len;
    int seat;          /* enum cib_seat, default CIB_SEAT_PAID */
    int role;          /* enum cib_role, default CIB_ROLE_MEMBER */
    uint32_t capacity; /* most open conversations assigned to the user that
                          routing will add to (R-ROUTE-7); 0: no limit */
} cib_user_def;
#define CIB_USER_DEF_INIT                                                                          \
    {                                                                                              \
        sizeof(cib_user_def), NULL, CIB_NTS, NULL, CIB_NTS, NULL, CIB_NTS, CIB_SEAT_PAID,          \
            CIB_ROLE_MEMBER, 0                                                                     \
    }

/* A user's availability (R-AVAIL-1). New users are offline. */
enum cib_availability { CIB_AVAILABLE = 1, CIB_AWAY = 2, CIB_OFFLINE = 3 };

/*
 * Add a user (agent). New users are offline (R-AVAIL-1).
 * Returns CIB_OK; CIB_EINVAL (bad def, malformed email, unknown seat or role);
 * CIB_ECONFLICT (the id exists; the email is another user's, or is linked as
 * a team-email channel address, R-CHAN-2); CIB_ENOMEM; CIB_ESTORAGE.
 */
CIB_API int cib_user_add(cib_ctx *ctx, const cib_user_def *def);

/*
 * Replace the name, email, seat, role and capacity of the user def->id.
 * Raising the capacity, or a free seat becoming paid, can hand waiting
 * conversations to the user (R-ROUTE-8, reported as ASSIGNED events).
 * Returns as cib_user_add(), and CIB_ENOTFOUND for an unknown id.
 */
CIB_API int cib_user_update(cib_ctx *ctx, const cib_user_def *def);

/*
 * Remove a user. Nothing is left pointing at them: they leave every team and
 * every inbox access list (an inbox whose list becomes empty keeps specific
 * access: only admins can view it, nobody can act), every contact they
 * owned has no owner afterwards, and their open conversations become
 * unassigned (event ASSIGNED with user NULL for each). Closed conversations
 * keep the id in their stored row; reopened, they are unassigned. All of it
 * happens in one atomic step.
 * Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND, CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_user_remove(cib_ctx *ctx, const char *id, size_t id_len);

typedef struct cib_user_info {
    size_t size;
    const char *id;
    const char *name;
    const char *email; /* NULL if none */
    int seat;
    int role;
    int64_t created_at;
    int status;           /* enum cib_availability */
    int reassign_replies; /* R-AVAIL-2 */
    uint32_t capacity;    /* 0: no limit */
    uint32_t load;        /* open conversations assigned to the user */
} cib_user_info;
#define CIB_USER_INFO_INIT                                                                         \
    {                                                                                              \
        sizeof(cib_user_info), NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0                               \
    }

/* Read a user. out: in/out, not NULL, its size set. Read-only.
 * Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND. */
CIB_API int cib_user_get(cib_ctx *ctx, const char *id, size_t id_len, cib_user_info *out);

/*
 * Set a user's availability (R-AVAIL-1; stored, so it survives a restart).
 * A user who becomes available takes waiting conversations of the rules
 * that name them (R-ROUTE-8), in the same atomic step; each is reported as an
 * ASSIGNED event. Returns CIB_OK, CIB_EINVAL (unknown status), CIB_ENOTFOUND,
 * CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_user_set_status(cib_ctx *ctx, const char *id, size_t id_len, int status);

/*
 * Switch "reassign replies" on or off (R-AVAIL-2): while the user is not
 * available, a new inbound message on a chat conversation assigned to them is
 * routed again by the conversation's rule, to another eligible user (reason
 * REASSIGNED_OFFLINE); if there is none it stays with them. Conversations on
 * other channel types never move. Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND,
 * CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_user_set_reassign_replies(cib_ctx *ctx, const char *id, size_t id_len, int on);

/* ------------------------------------------------------------------------ */
/* Teams                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct cib_team_def {
    size_t size;
    const char *id; /* required */
    size_t id_len;
    const char *const *members; /* user ids, in order; may be NULL if n is 0 */
    const size_t *member_lens;  /* NULL: every member id is NUL-terminated */
    size_t n_members;
} cib_team_def;
#define CIB_TEAM_DEF_INIT                                                                          \
    {                                                                                              \
        sizeof(cib_team_def), NULL, CIB_NTS, NULL, NULL, 0                                         \
    }

/*
 * Add a team: a named, ordered set of users. Members must exist and appear
 * once. Returns CIB_OK; CIB_EINVAL (bad def, a member listed twice);
 * CIB_ENOTFOUND (unknown member); CIB_ECONFLICT (the id exists); CIB_ENOMEM;
 * CIB_ESTORAGE.
 */
CIB_API int cib_team_add(cib_ctx *ctx, const cib_team_def *def);

/* Replace the member list of team def->id. Routing rules that name the team
 * and inboxes it gives access to follow at once; new members who are
 * eligible take waiting conversations (R-ROUTE-8, ASSIGNED events).
 * Returns as cib_team_add(), and CIB_ENOTFOUND for an unknown team. */
CIB_API int cib_team_update(cib_ctx *ctx, const cib_team_def *def);

/*
 * Remove a team. It leaves every inbox access list and every routing rule
 * it is on (an inbox whose list becomes empty keeps specific access; a rule
 * left with no targets assigns no one). Its users stay.
 * Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND, CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_team_remove(cib_ctx *ctx, const char *id, size_t id_len);

/* ------------------------------------------------------------------------ */
/* Contacts                                                                  */
/* ------------------------------------------------------------------------ */

typedef struct cib_contact_def {
    size_t size;
    const char *id; /* required */
    size_t id_len;
    const char *email; /* optional; unique among contacts, case-insensitive */
    size_t email_len;
    const char *owner; /* optional user id: the contact owner */
    size_t owner_len;
} cib_contact_def;
#define CIB_CONTACT_DEF_INIT                                                                       \
    {                                                                                              \
        sizeof(cib_contact_def), NULL, CIB_NTS, NULL, CIB_NTS, NULL, CIB_NTS                       \
    }

/*
 * Add a contact (a person who writes in). Ids beginning with "cib:" are
 * reserved for the contacts cib_ingest() creates.
 * Returns CIB_OK; CIB_EINVAL; CIB_ENOTFOUND (unknown owner); CIB_ECONFLICT
 * (the id exists, or another contact has this email); CIB_ELIMIT
 * (max_contacts); CIB_ENOMEM; CIB_ESTORAGE.
 */
CIB_API int cib_contact_add(cib_ctx *ctx, const cib_contact_def *def);

/* Replace the email and owner of contact def->id. Returns as
 * cib_contact_add(), and CIB_ENOTFOUND for an unknown contact. */
CIB_API int cib_contact_update(cib_ctx *ctx, const cib_contact_def *def);

/* Remove a contact that has no conversations (else CIB_ECONFLICT: its
 * conversations would lose their contact). Returns CIB_OK, CIB_EINVAL,
 * CIB_ENOTFOUND, CIB_ECONFLICT, CIB_ENOMEM, CIB_ESTORAGE. */
CIB_API int cib_contact_remove(cib_ctx *ctx, const char *id, size_t id_len);

typedef struct cib_contact_info {
    size_t size;
    const char *id;
    const char *email; /* normalised to lower case; NULL if none */
    const char *owner; /* user id; NULL if none */
    int64_t created_at;
} cib_contact_info;
#define CIB_CONTACT_INFO_INIT                                                                      \
    {                                                                                              \
        sizeof(cib_contact_info), NULL, NULL, NULL, 0                                              \
    }

/* Read a contact. Read-only. Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND. */
CIB_API int cib_contact_get(cib_ctx *ctx, const char *id, size_t id_len, cib_contact_info *out);

/* Find the contact with this email (case-insensitive). *out_id: borrowed.
 * Read-only. Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND. */
CIB_API int cib_contact_find_email(cib_ctx *ctx, const char *email, size_t email_len,
                                   const char **out_id);

/* ------------------------------------------------------------------------ */
/* Pipelines                                                                 */
/* ------------------------------------------------------------------------ */

typedef struct cib_pipeline_def {
    size_t size;
    const char *id; /* required */
    size_t id_len;
    const char *const *stages; /* stage names in order; at least one */
    const size_t *stage_lens;  /* NULL: every stage is NUL-terminated */
    size_t n_stages;
} cib_pipeline_def;
#define CIB_PIPELINE_DEF_INIT                                                                      \
    {                                                                                              \
        sizeof(cib_pipeline_def), NULL, CIB_NTS, NULL, NULL, 0                                     \
    }

/*
 * Add a ticket pipeline with its ordered stages: 1 to 100 names, unique
 * within the pipeline (compared byte for byte). Returns CIB_OK; CIB_EINVAL
 * (no stages, more than 100, a stage named twice, a bad name); CIB_ECONFLICT
 * (the id exists); CIB_ENOMEM; CIB_ESTORAGE.
 */
CIB_API int cib_pipeline_add(cib_ctx *ctx, const cib_pipeline_def *def);

/* Remove a pipeline. A pipeline that a channel's ticket rule uses cannot be
 * removed (CIB_ECONFLICT); tickets already opened in it keep its name.
 * Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND, CIB_ECONFLICT, CIB_ENOMEM,
 * CIB_ESTORAGE. */
CIB_API int cib_pipeline_remove(cib_ctx *ctx, const char *id, size_t id_len);

/* ------------------------------------------------------------------------ */
/* Inboxes and access (R-INBOX-*, R-ACCESS-*)                                */
/* ------------------------------------------------------------------------ */

/*
 * Who may use an inbox (R-ACCESS-1). everyone != 0: every user of the
 * account, and the lists must be empty. everyone == 0: exactly the users
 * listed and the members of the teams listed; the lists may be empty.
 */
typedef struct cib_access_def {
    size_t size;
    int everyone;
    const char *const *users;
    const size_t *user_lens; /* NULL: NUL-terminated */
    size_t n_users;
    const char *const *teams;
    const size_t *team_lens; /* NULL: NUL-terminated */
    size_t n_teams;
} cib_access_def;
#define CIB_ACCESS_DEF_INIT                                                                        \
    {                                                                                              \
        sizeof(cib_access_def), 1, NULL, NULL, 0, NULL, NULL, 0                                    \
    }

typedef struct cib_inbox_def {
    size_t size;
    const char *id; /* required */
    size_t id_len;
    const char *name; /* required; unique in the account, ignoring ASCII case */
    size_t name_len;
    const cib_access_def *access; /* NULL: everyone (R-ACCESS-1) */
} cib_inbox_def;
#define CIB_INBOX_DEF_INIT                                                                         \
    {                                                                                              \
        sizeof(cib_inbox_def), NULL, CIB_NTS, NULL, CIB_NTS, NULL                                  \
    }

/*
 * Create an inbox (R-INBOX-2). Returns CIB_OK; CIB_EINVAL; CIB_ENOTFOUND (an
 * access list names an unknown user or team); CIB_ECONFLICT (the id or the
 * name exists); CIB_ELIMIT (the account has max_inboxes inboxes already);
 * CIB_ENOMEM; CIB_ESTORAGE.
 */
CIB_API int cib_inbox_add(cib_ctx *ctx, const cib_inbox_def *def);

/* Rename an inbox. Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND, CIB_ECONFLICT
 * (another inbox has the name), CIB_ENOMEM, CIB_ESTORAGE. */
CIB_API int cib_inbox_rename(cib_ctx *ctx, const char *id, size_t id_len, const char *name,
                             size_t name_len);

/*
 * Delete an inbox permanently with all its channels (and their conversations,
 * messages and tickets) (R-INBOX-3). The room this frees for their assignees
 * can take waiting conversations of other inboxes (R-ROUTE-8, ASSIGNED
 * events). `confirm` must be the inbox's exact current name
 * (byte for byte); otherwise nothing is deleted and CIB_EINVAL is returned.
 * The default inbox cannot be deleted (CIB_EINVAL).
 * Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND, CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_inbox_remove(cib_ctx *ctx, const char *id, size_t id_len, const char *confirm,
                             size_t confirm_len);

/* Replace an inbox's access (R-ACCESS-1). Routing in the inbox follows at
 * once: users who lose access are no longer assigned automatically (their
 * open conversations stay theirs); users who gain it and are eligible take
 * waiting conversations (R-ROUTE-8, ASSIGNED events). Returns CIB_OK,
 * CIB_EINVAL, CIB_ENOTFOUND, CIB_ENOMEM, CIB_ESTORAGE. */
CIB_API int cib_inbox_set_access(cib_ctx *ctx, const char *id, size_t id_len,
                                 const cib_access_def *access);

typedef struct cib_inbox_info {
    size_t size;
    const char *id;
    const char *name;
    int is_default; /* 1 for the account's default inbox */
    int everyone;   /* 1: access is everyone */
    int64_t created_at;
} cib_inbox_info;
#define CIB_INBOX_INFO_INIT                                                                        \
    {                                                                                              \
        sizeof(cib_inbox_info), NULL, NULL, 0, 0, 0                                                \
    }

/* Read an inbox. Read-only. Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND. */
CIB_API int cib_inbox_get(cib_ctx *ctx, const char *id, size_t id_len, cib_inbox_info *out);

/* Called once per inbox; return non-zero to stop the iteration. */
typedef int (*cib_inbox_fn)(void *user_data, const cib_inbox_info *inbox);

/*
 * Call fn for each inbox, in creation order. With `user` set, only the inboxes
 * that user may view (R-ACCESS-3); with user NULL, all of them (the account's
 * own view). The context must not be changed from inside fn.
 * Read-only. Returns CIB_OK (also when fn stopped early), CIB_EINVAL,
 * CIB_ENOTFOUND (unknown user).
 */
CIB_API int cib_inbox_foreach(cib_ctx *ctx, const char *user, size_t user_len, cib_inbox_fn fn,
                              void *user_data);

/*
 * Things a user may do in an inbox. Access to the inbox (R-ACCESS-1) gives
 * all of them to paid seats. Free seats with access may view, reply, comment
 * and assign unassigned conversations (R-ACCESS-4), but not reassign,
 * unassign, close or reopen (decided). Admins and super admins who are not on
 * a specific access list may view only (R-ACCESS-2). Others: nothing
 * (R-ACCESS-3).
 */
enum cib_action {
    CIB_ACTION_VIEW = 1,     /* list and read conversations */
    CIB_ACTION_REPLY = 2,    /* send a reply */
    CIB_ACTION_COMMENT = 3,  /* add an internal comment */
    CIB_ACTION_ASSIGN = 4,   /* assign an unassigned conversation */
    CIB_ACTION_REASSIGN = 5, /* reassign or unassign an assigned one */
    CIB_ACTION_CLOSE = 6     /* close or reopen */
};

/*
 * May `user` do `action` in `inbox`? *allowed is set to 1 or 0. Read-only.
 * Returns CIB_OK, CIB_EINVAL (unknown action), CIB_ENOTFOUND (user or inbox).
 */
CIB_API int cib_access_check(cib_ctx *ctx, const char *user, size_t user_len, const char *inbox,
                             size_t inbox_len, int action, int *allowed);

/* ------------------------------------------------------------------------ */
/* Channels (R-CHAN-*)                                                       */
/* ------------------------------------------------------------------------ */

enum cib_channel_type {
    CIB_CHANNEL_EMAIL = 1,         /* team email; address: an email address */
    CIB_CHANNEL_CHAT = 2,          /* live chat or bot; address optional */
    CIB_CHANNEL_FORM = 3,          /* support form; address optional */
    CIB_CHANNEL_MESSENGER = 4,     /* Messenger; address: the page id */
    CIB_CHANNEL_CUSTOM = 5,        /* custom channel; address: its account */
    CIB_CHANNEL_FALLBACK_EMAIL = 6 /* fallback email; address optional */
};
enum cib_channel_status { CIB_CHANNEL_ENABLED = 1, CIB_CHANNEL_DISABLED = 2 };
/* How an email reply shows its sender (R-CHAN-4). */
enum cib_sender_display {
    CIB_DISPLAY_AGENT_AND_COMPANY = 1, /* "Alice Adams at Acme" */
    CIB_DISPLAY_COMPANY = 2            /* "Acme" */
};
/* How a custom channel groups inbound messages (R-CHAN-9). */
enum cib_threading {
    CIB_THREADING_KEY = 1, /* messages with the same thread key join */
    CIB_THREADING_NEW = 2  /* every message opens a new conversation */
};

/* How a channel's new conversations get an assignee (R-ROUTE-*). */
enum cib_routing_mode {
    CIB_ROUTE_UNASSIGNED = 1,   /* stay unassigned until taken (R-ROUTE-1) */
    CIB_ROUTE_SPECIFIC = 2,     /* the listed users and teams (R-ROUTE-2) */
    CIB_ROUTE_CONTACT_OWNER = 3 /* the contact's owner, else the list (R-ROUTE-3) */
};
/* Who among the eligible users gets it (R-ROUTE-7). */
enum cib_strategy {
    CIB_FIRST_AVAILABLE = 1, /* the first in list order (a team: its members) */
    CIB_ROUND_ROBIN = 2,     /* the next after the last one this rule picked
                                (kept through rule, team, seat and access
                                changes and restarts; while that user is not
                                on the rule, from the top; forgotten when the
                                user is removed) */
    CIB_LEAST_LOADED = 3     /* fewest open assigned conversations; ties: the
                                longest since their last assignment */
};
enum cib_target_kind { CIB_TARGET_USER = 1, CIB_TARGET_TEAM = 2 };

/*
 * A routing rule. A user is eligible when they are on the list (directly or
 * through a team), have a paid seat (R-ROUTE-5), may act in the inbox, are
 * available unless only_available is 0 (R-ROUTE-4), and are below their
 * capacity (R-ROUTE-7).
 */
typedef struct cib_routing_def {
    size_t size;
    int mode;                      /* enum cib_routing_mode */
    const int *target_kinds;       /* SPECIFIC: the list; CONTACT_OWNER: */
    const char *const *target_ids; /* the fallback (none: unassigned)    */
    const size_t *target_id_lens;  /* NULL: NUL-terminated */
    size_t n_targets;              /* at most 1000 */
    int only_available;            /* default 1 */
    int strategy;                  /* enum cib_strategy */
    int queue;                     /* 1: wait for an eligible user instead
                                      of staying unassigned (R-ROUTE-8) */
} cib_routing_def;
#define CIB_ROUTING_DEF_INIT                                                                       \
    {                                                                                              \
        sizeof(cib_routing_def), CIB_ROUTE_UNASSIGNED, NULL, NULL, NULL, 0, 1,                     \
            CIB_FIRST_AVAILABLE, 0                                                                 \
    }

/* Who owns the tickets a channel opens (R-TICKET-3). */
enum cib_ticket_owner {
    CIB_TICKET_OWNER_ASSIGNEE = 1, /* the conversation's assignee (default) */
    CIB_TICKET_OWNER_NONE = 2,
    CIB_TICKET_OWNER_USER = 3 /* owner_user */
};

/* A channel's ticket rule (R-TICKET-1). */
typedef struct cib_ticket_def {
    size_t size;
    int automatic;        /* 1: a ticket for each new conversation */
    const char *pipeline; /* required when automatic */
    size_t pipeline_len;
    const char *stage; /* a stage of that pipeline */
    size_t stage_len;
    int owner;              /* enum cib_ticket_owner */
    const char *owner_user; /* OWNER_USER: a user id */
    size_t owner_user_len;
    const char *const *property_keys; /* default ticket properties */
    const size_t *property_key_lens;
    const char *const *property_values;
    const size_t *property_value_lens;
    size_t n_properties;
} cib_ticket_def;
#define CIB_TICKET_DEF_INIT                                                                        \
    {                                                                                              \
        sizeof(cib_ticket_def), 0, NULL, CIB_NTS, NULL, CIB_NTS, CIB_TICKET_OWNER_ASSIGNEE, NULL,  \
            CIB_NTS, NULL, NULL, NULL, NULL, 0                                                     \
    }

/* When a chat channel shows as available (R-CHAN-7). */
enum cib_chat_mode {
    CIB_CHAT_ALWAYS = 1,
    CIB_CHAT_STATUS_BASED = 2, /* while a user its routing rule names (team
                                  members included) is available and could
                                  be assigned: a paid seat and access to
                                  the inbox (capacity aside) */
    CIB_CHAT_BUSINESS_HOURS = 3
};
/* Days of a business-hours range: a bit set. */
enum cib_days {
    CIB_MONDAY = 1,
    CIB_TUESDAY = 2,
    CIB_WEDNESDAY = 4,
    CIB_THURSDAY = 8,
    CIB_FRIDAY = 16,
    CIB_SATURDAY = 32,
    CIB_SUNDAY = 64,
    CIB_WEEKDAYS = 31,
    CIB_EVERY_DAY = 127
};

/*
 * A chat channel's availability. Business hours: ranges of local time in an
 * IANA zone, several per day if wanted. Range i covers, on each day in
 * range_days[i], the minutes range_from[i] (included) to range_to[i]
 * (excluded) after local midnight; when range_to is not after range_from the
 * range runs past midnight into the next day. Local time follows the zone's
 * daylight saving rules.
 */
typedef struct cib_availability_def {
    size_t size;
    int mode;       /* enum cib_chat_mode, default ALWAYS */
    const char *tz; /* business hours: e.g. "Europe/Berlin" */
    size_t tz_len;
    const unsigned *range_days; /* enum cib_days bits */
    const unsigned *range_from; /* 0..1439 */
    const unsigned *range_to;   /* 0..1440 */
    size_t n_ranges;            /* business hours: 1..64 */
} cib_availability_def;
#define CIB_AVAILABILITY_DEF_INIT                                                                  \
    {                                                                                              \
        sizeof(cib_availability_def), CIB_CHAT_ALWAYS, NULL, CIB_NTS, NULL, NULL, NULL, 0          \
    }

typedef struct cib_channel_def {
    size_t size;
    const char *id; /* required */
    size_t id_len;
    const char *inbox; /* required: the inbox it is linked to */
    size_t inbox_len;
    int type;            /* enum cib_channel_type, required */
    const char *address; /* external address, see enum cib_channel_type */
    size_t address_len;
    int status;              /* enum cib_channel_status, default enabled */
    const char *sender_name; /* fallback email only: the sender name; NULL:
                                the inbox's name */
    size_t sender_name_len;
    /* Email and fallback email (R-CHAN-4, R-CHAN-6): */
    int sender_display;  /* enum cib_sender_display, default
                            CIB_DISPLAY_AGENT_AND_COMPANY */
    const char *company; /* company name in the sender display; NULL:
                            the inbox's name */
    size_t company_len;
    const char *signature; /* team signature appended to replies; tokens
                              {full_name}, {first_name}, {last_name} are
                              the replying agent's; NULL: none */
    size_t signature_len;
    int log_forward_to_original; /* 1 (default): forwarded email is logged
                                    against the original sender; 0: against
                                    the forwarder */
    /* Custom channels (R-CHAN-9): */
    int threading; /* enum cib_threading, default CIB_THREADING_KEY */
    /* Default properties of the conversations it creates (R-CHAN-10): */
    const char *const *property_keys; /* [A-Za-z0-9_.-], unique */
    const size_t *property_key_lens;  /* NULL: NUL-terminated */
    const char *const *property_values;
    const size_t *property_value_lens;        /* NULL: NUL-terminated */
    size_t n_properties;                      /* at most 64 */
    const cib_routing_def *routing;           /* NULL: unassigned (R-ROUTE-1) */
    const cib_ticket_def *tickets;            /* NULL: no tickets; form channels
                                                 need one (R-TICKET-4) */
    const cib_availability_def *availability; /* chat only; NULL: always */
} cib_channel_def;
#define CIB_CHANNEL_DEF_INIT                                                                       \
    {                                                                                              \
        sizeof(cib_channel_def), NULL, CIB_NTS, NULL, CIB_NTS, 0, NULL, CIB_NTS,                   \
            CIB_CHANNEL_ENABLED, NULL, CIB_NTS, CIB_DISPLAY_AGENT_AND_COMPANY, NULL, CIB_NTS,      \
            NULL, CIB_NTS, 1, CIB_THREADING_KEY, NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL       \
    }

/*
 * Link a channel to an inbox (R-CHAN-1). External addresses are unique across
 * the account (R-CHAN-2): email and fallback-email addresses share one
 * namespace and are compared ignoring case; Messenger pages, custom-channel
 * accounts, chat and form addresses each have their own. An email address may
 * not be any user's email (R-CHAN-2). A fallback email's sender name is unique
 * among the account's fallback email channels, ignoring ASCII case (R-CHAN-5).
 * Settings that belong to other channel types (sender display, company,
 * signature, sender_name, threading, availability) are refused when set.
 * The routing rule, ticket rule and availability are checked as by
 * cib_channel_set_routing(), _set_tickets() and _set_availability(); a form
 * channel must come with an automatic ticket rule (R-TICKET-4).
 * Returns CIB_OK; CIB_EINVAL (bad def, unknown type, status, display or
 * threading, a missing or malformed address, a setting of another type, a
 * bad or repeated property key); CIB_ENOTFOUND (unknown inbox);
 * CIB_ECONFLICT (the id, address or sender name is taken, or the address is
 * a user's email); CIB_ENOMEM; CIB_ESTORAGE.
 */
CIB_API int cib_channel_add(cib_ctx *ctx, const cib_channel_def *def);

/*
 * Replace the settings of channel def->id: status, sender name, sender
 * display, company, signature, forwarding, threading and default properties.
 * Its inbox, type and address cannot change: def must repeat them (else
 * CIB_EINVAL). Conversations created before keep the properties they got.
 * The routing and ticket rules and the availability are left as they are
 * when def's pointers are NULL, else replaced as by the setters below.
 * Returns as cib_channel_add(), and CIB_ENOTFOUND for an unknown channel.
 */
CIB_API int cib_channel_update(cib_ctx *ctx, const cib_channel_def *def);

/*
 * Replace a channel's routing rule (R-ROUTE-1..8). Targets must exist
 * (CIB_ENOTFOUND) and appear once (CIB_EINVAL); a user named directly needs a
 * paid seat (CIB_ESEAT, R-ROUTE-5); free-seat members of a team are skipped.
 * Users who are eligible under the new rule take the conversations waiting in
 * it, in the same step; with queue 0, waiting conversations stay unassigned.
 * Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND, CIB_ESEAT, CIB_ENOMEM,
 * CIB_ESTORAGE.
 */
CIB_API int cib_channel_set_routing(cib_ctx *ctx, const char *id, size_t id_len,
                                    const cib_routing_def *routing);

/*
 * Replace a channel's ticket rule (R-TICKET-1..4); NULL or automatic 0
 * switches tickets off (a rule that is off takes no other field: CIB_EINVAL).
 * An automatic rule needs a pipeline and one of its stages (else CIB_EINVAL,
 * R-TICKET-2); a named owner must exist (CIB_ENOTFOUND). A form channel's
 * rule cannot be switched off (CIB_EINVAL, R-TICKET-4). Tickets already
 * opened keep what they got. Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND,
 * CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_channel_set_tickets(cib_ctx *ctx, const char *id, size_t id_len,
                                    const cib_ticket_def *tickets);

/*
 * Replace a chat channel's availability (R-CHAN-7). A zone name that is
 * unknown, or that tries to leave the zoneinfo directory, is CIB_EINVAL.
 * Returns CIB_OK, CIB_EINVAL (also: not a chat channel), CIB_ENOTFOUND,
 * CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_channel_set_availability(cib_ctx *ctx, const char *id, size_t id_len,
                                         const cib_availability_def *availability);

/* Is this chat channel available now, for the host's chat widget (R-CHAN-7)?
 * *available is set to 1 or 0; a disabled channel is never available. Read
 * the clock once (business hours only). Read-only. Returns CIB_OK, CIB_EINVAL
 * (not a chat channel; the clock outside CIB_TIME_MIN..CIB_TIME_MAX),
 * CIB_ENOTFOUND (an unknown channel; or business hours whose
 * stored zone can no longer be loaded from the zoneinfo directory, e.g.
 * after a tzdata upgrade dropped the name: *available is 0; the account
 * still opens, and setting the availability again repairs it). */
CIB_API int cib_chat_available(cib_ctx *ctx, const char *id, size_t id_len, int *available);

/* Why a user is not eligible for a rule (R-ROUTE-9). */
enum cib_why {
    CIB_WHY_ELIGIBLE = 0,
    CIB_WHY_AWAY = 1,
    CIB_WHY_OFFLINE = 2,
    CIB_WHY_FREE_SEAT = 3,
    CIB_WHY_AT_CAPACITY = 4,
    CIB_WHY_NO_ACCESS = 5
};

/* One user a rule names, and whether they could be picked now. */
typedef struct cib_candidate {
    size_t size;
    const char *user;
    int why;       /* enum cib_why; CIB_WHY_ELIGIBLE: eligible */
    uint32_t load; /* open conversations assigned to them */
} cib_candidate;

/* Called once per candidate; return non-zero to stop. */
typedef int (*cib_candidate_fn)(void *user_data, const cib_candidate *candidate);

/*
 * For each user the channel's rule names (the fallback list of an owner rule),
 * in rule order with teams expanded and repeats dropped, say whether they
 * are eligible now and if not, why (R-ROUTE-9). An unassigned rule names no
 * one. Read-only. Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND.
 */
CIB_API int cib_explain(cib_ctx *ctx, const char *channel, size_t channel_len, cib_candidate_fn fn,
                        void *user_data);

/*
 * The conversations waiting in a channel's queue (R-ROUTE-8), oldest first,
 * starting at position `offset`. ids: out, room for cap; *n: how many were
 * written; *total (may be NULL): how many wait. Read-only. Returns CIB_OK,
 * CIB_EINVAL, CIB_ENOTFOUND.
 */
CIB_API int cib_waiting(cib_ctx *ctx, const char *channel, size_t channel_len, size_t offset,
                        uint64_t *ids, size_t cap, size_t *n, size_t *total);

/*
 * Enable or disable a channel (R-CHAN-3). A disabled channel refuses inbound
 * and outbound messages with CIB_EDISABLED.
 * Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND, CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_channel_set_status(cib_ctx *ctx, const char *id, size_t id_len, int status);

typedef struct cib_channel_info {
    size_t size;
    const char *id;
    const char *inbox;
    int type;
    const char *address; /* NULL if none; emails in lower case */
    int status;
    const char *sender_name; /* fallback email only, else NULL */
    int64_t created_at;
    int sender_display;    /* email types; else 0 */
    const char *company;   /* email types; else NULL */
    const char *signature; /* NULL if none */
    int log_forward_to_original;
    int threading;       /* custom channels; else 0 */
    size_t n_properties; /* read them with CIB_LIST_CHANNEL_PROPERTIES */
    int routing_mode;    /* enum cib_routing_mode */
    int strategy;        /* enum cib_strategy */
    int only_available;
    int queue;   /* read the targets with CIB_LIST_CHANNEL_TARGETS */
    int tickets; /* 1: automatic tickets */
    const char *ticket_pipeline;
    const char *ticket_stage;
    int ticket_owner; /* enum cib_ticket_owner */
    const char *ticket_owner_user;
    int chat_mode;  /* chat: enum cib_chat_mode; else 0 */
    const char *tz; /* business hours: the zone */
} cib_channel_info;
#define CIB_CHANNEL_INFO_INIT                                                                      \
    {                                                                                              \
        sizeof(cib_channel_info), NULL, NULL, 0, NULL, 0, NULL, 0, 0, NULL, NULL, 0, 0, 0, 0, 0,   \
            0, 0, 0, NULL, NULL, 0, NULL, 0, NULL                                                  \
    }

/* Read a channel. Read-only. Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND. */
CIB_API int cib_channel_get(cib_ctx *ctx, const char *id, size_t id_len, cib_channel_info *out);

/* ------------------------------------------------------------------------ */
/* Conversations: inbound messages (R-CONV-*, R-CHAN-3..11)                  */
/* ------------------------------------------------------------------------ */

/* Attachment kinds (R-CHAN-9). */
enum cib_attachment_kind {
    CIB_ATTACH_AUDIO = 1,
    CIB_ATTACH_VOICE = 2,
    CIB_ATTACH_STICKER = 3,
    CIB_ATTACH_IMAGE = 4,
    CIB_ATTACH_VIDEO = 5,
    CIB_ATTACH_FILE = 6
};

/* Metadata of an attachment; the bytes stay with the host. */
typedef struct cib_attachment {
    size_t size;
    int kind;         /* enum cib_attachment_kind */
    const char *name; /* optional file name */
    size_t name_len;
    uint64_t bytes; /* its size in bytes */
} cib_attachment;
#define CIB_ATTACHMENT_INIT                                                                        \
    {                                                                                              \
        sizeof(cib_attachment), 0, NULL, CIB_NTS, 0                                                \
    }

/*
 * An inbound message as the host received it.
 *  from: the sender's address on the channel. Email, fallback email and form
 *    channels: an email address. Chat: an email address if the visitor is
 *    identified by one, else the visitor key. Messenger: the sender's id on
 *    that page. Custom: the sender's id on that channel.
 *  thread: the key that groups messages into a conversation (email reply
 *    headers, a chat session, a custom thread); messages with the same key
 *    on the same channel join one conversation (R-CONV-2); without a key a
 *    message opens a new conversation.
 */
typedef struct cib_inbound {
    size_t size;
    const char *channel; /* required: channel id */
    size_t channel_len;
    const char *msg_id; /* required: the host's id of this message */
    size_t msg_id_len;
    const char *from; /* required: see above */
    size_t from_len;
    const char *thread; /* optional */
    size_t thread_len;
    const char *text; /* the body: UTF-8, may be empty, may hold tabs and
                         newlines, at most max_text_len bytes */
    size_t text_len;
    const char *forwarded_by; /* email types: who forwarded it (R-CHAN-6) */
    size_t forwarded_by_len;
    const char *const *cc; /* email types: the original CC addresses */
    const size_t *cc_lens; /* NULL: NUL-terminated */
    size_t n_cc;           /* at most 100 */
    const cib_attachment *attachments;
    size_t n_attachments; /* at most max_attachments (100) */
} cib_inbound;
#define CIB_INBOUND_INIT                                                                           \
    {                                                                                              \
        sizeof(cib_inbound), NULL, CIB_NTS, NULL, CIB_NTS, NULL, CIB_NTS, NULL, CIB_NTS, NULL,     \
            CIB_NTS, NULL, CIB_NTS, NULL, NULL, 0, NULL, 0                                         \
    }

/* What cib_ingest() did. Strings are borrowed (see the conventions). */
typedef struct cib_ingest_result {
    size_t size;
    int duplicate; /* 1: this msg_id was already accepted on this
                      channel; nothing changed, and the fields below
                      describe the first delivery */
    uint64_t conversation;
    int created;  /* 1: the message opened a new conversation */
    int reopened; /* 1: it reopened a closed conversation */
    uint64_t message;
    const char *contact;  /* contact id */
    int contact_created;  /* 1: the sender was unknown (R-CONV-1) */
    const char *assignee; /* after the message; NULL: unassigned */
    int reason;           /* enum cib_reason, set only when this message
                             changed the assignee */
    int queued;           /* 1: it waits in the rule's queue (R-ROUTE-8) */
    const char *notified; /* the contact owner told of it (R-ROUTE-3), or
                             NULL */
    uint64_t ticket;      /* the ticket this message opened (R-TICKET-1), or
                             0; see cib_ticket_get() */
} cib_ingest_result;
#define CIB_INGEST_RESULT_INIT                                                                     \
    {                                                                                              \
        sizeof(cib_ingest_result), 0, 0, 0, 0, 0, NULL, 0, NULL, 0, 0, NULL, 0                     \
    }

/*
 * Accept an inbound message. In one atomic step: check the channel (a
 * disabled channel refuses with CIB_EDISABLED and keeps nothing, R-CHAN-3),
 * check the message id (R-CONV-3: a repeat, however long after, is reported
 * with CIB_OK and out->duplicate, and changes nothing; see
 * cib_options.dedup_window_ms and dedup_recent), find or
 * create the contact (R-CONV-1; forwarded email per R-CHAN-6), join the
 * thread's conversation (reopening it if closed) or open a new one with the
 * channel's default properties (R-CONV-2, R-CHAN-9, R-CHAN-10), and store
 * the message with its id. A new conversation is then routed by the
 * channel's rule (R-ROUTE-*) and, if the channel says so, opens a ticket
 * (R-TICKET-1, 5) in the same step. A message on a chat conversation whose
 * assignee is not available and reassigns replies is routed again
 * (R-AVAIL-2). Contacts created here get ids "cib:c<N>"; host ids may not
 * begin with "cib:". Events: CONVERSATION_CREATED or REOPENED, ASSIGNED,
 * NOTIFICATION, TICKET_CREATED, then MESSAGE_ADDED.
 *  msg  in, not NULL.   out  out, not NULL, its size set.
 * Returns CIB_OK; CIB_EINVAL (bad message: unknown attachment kind,
 * forwarded_by or cc on a non-email channel, ...); CIB_ENOTFOUND (unknown
 * channel); CIB_EDISABLED; CIB_ELIMIT (a text longer than max_text_len, more
 * than max_attachments, or a new contact or conversation past its cap: see
 * "Limits"); CIB_ENOMEM; CIB_ESTORAGE.
 */
CIB_API int cib_ingest(cib_ctx *ctx, const cib_inbound *msg, cib_ingest_result *out);

/* Messages per cib_ingest_batch(), at most. */
#define CIB_BATCH_MAX 10000

/*
 * Accept msgs[0..n) in one store transaction (group commit): one commit for
 * the batch instead of one per message, which a durable store makes much
 * faster. Each message runs exactly as cib_ingest() would run it, in order,
 * seeing the ones before it (a second message on a thread joins the
 * conversation the first one opened; a repeated msg_id is a duplicate).
 *
 * All or nothing, per batch: either every accepted message is stored, or,
 * when memory or storage fails anywhere in the batch (including its
 * commit), or the clock returns a time outside CIB_TIME_MIN..CIB_TIME_MAX,
 * none is. The call then returns CIB_ENOMEM, CIB_ESTORAGE or CIB_EINVAL
 * (the clock), naming the message where it failed, and every message of the
 * batch is undone in memory, newest first, from the batch's undo log
 * (O(the batch), with no store reads: it works even when the store can no
 * longer be read; tables may keep room they grew). A message refused for
 * what it is (CIB_EINVAL, CIB_ENOTFOUND, CIB_EDISABLED, CIB_ELIMIT: bad
 * input, an unknown or disabled channel, a cap) changes nothing, gets its status in
 * statuses[i], and does not stop the batch; send it alone to read why.
 * Events are delivered after the commit, in order; none for a failed batch.
 *
 * With many contacts, a batch is also faster in memory: while it works on
 * one message it prefetches what the next few will look up (their sender's
 * contact, their idempotency key), at the cost of some hashing per message.
 * It only reads msgs[i] within the lengths given and changes nothing while
 * doing so; the outcome is exactly that of the messages one by one.
 *
 *  msgs      in: n messages, each with .size set (all the same).
 *  results   out: n results, each with .size set; results[i] is valid when
 *            statuses[i] is CIB_OK and the call returned CIB_OK.
 *  statuses  out: n statuses.
 * n may be 0 (nothing happens) up to CIB_BATCH_MAX.
 * Returns CIB_OK (the batch is stored; check statuses), CIB_EINVAL (bad
 * arguments: nothing ran; or the clock, as above), CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_ingest_batch(cib_ctx *ctx, const cib_inbound *msgs, size_t n,
                             cib_ingest_result *results, int *statuses);

/* ------------------------------------------------------------------------ */
/* Conversations: agent actions (R-CONV-4, R-ACCESS-*)                       */
/* ------------------------------------------------------------------------ */

/*
 * Every action names the acting user, who needs the matching cib_action in
 * the conversation's inbox (see enum cib_action); without it the action
 * returns CIB_EFORBIDDEN and changes nothing; so does a user without any
 * access to the inbox (R-ACCESS-3; reads such as cib_conversation_get()
 * report CIB_ENOTFOUND instead: they return nothing of that inbox). Actions
 * on a closed conversation: a reply reopens it; a comment is
 * added and it stays closed; assigning is refused (CIB_EINVAL); close and
 * reopen are refused when it already has that status (CIB_EINVAL).
 */

/*
 * Reply to the contact (R-CONV-4), on the conversation's channel or, with
 * `channel` set, on another channel of the same inbox where the contact has an
 * address (R-CHAN-11). The channel must be enabled (CIB_EDISABLED); on
 * Messenger the 24-hour window applies (R-CHAN-8: the window runs from the
 * contact's last message, included, to 24 hours later, excluded; from then on
 * one more reply, then CIB_EWINDOW). The window is
 * the contact's, across their conversations: a message in any of them opens
 * it again (Messenger ids are per page, so a contact writes on one page). The reply is
 * delivered through the host's sender before it is recorded (R-HOST-2).
 *  text: 1..max_text_len bytes (longer: CIB_ELIMIT).  out_message: out, may
 *  be NULL. A reply that reopens a closed conversation counts against
 *  max_open_conversations (CIB_ELIMIT).
 * Returns CIB_OK, CIB_EINVAL (no sender for the channel type, the contact has
 * no address there, another inbox's channel), CIB_ENOTFOUND, CIB_EFORBIDDEN,
 * CIB_EDISABLED, CIB_EWINDOW, CIB_ELIMIT, CIB_ENOMEM, CIB_ESTORAGE, or the
 * sender's status.
 */
CIB_API int cib_reply(cib_ctx *ctx, const char *user, size_t user_len, uint64_t conversation,
                      const char *text, size_t text_len, const char *channel, size_t channel_len,
                      uint64_t *out_message);

/* Add an internal comment, never delivered (it does not reopen, so only
 * max_text_len applies). Returns as cib_reply(), without the channel and
 * sender statuses. */
CIB_API int cib_comment(cib_ctx *ctx, const char *user, size_t user_len, uint64_t conversation,
                        const char *text, size_t text_len, uint64_t *out_message);

/*
 * Assign an open conversation to `to` (the user themselves: "assign to me"),
 * or unassign it with to NULL. `to` must be allowed to reply in the inbox
 * (else CIB_EFORBIDDEN). Taking an unassigned conversation needs
 * CIB_ACTION_ASSIGN, changing or removing an assignee CIB_ACTION_REASSIGN.
 * Assigning to the current assignee changes nothing and returns CIB_OK.
 * A conversation waiting in a queue leaves it (R-ROUTE-8); the previous
 * assignee's freed room can take waiting work, in the same atomic step.
 * Capacity does not limit an agent's own assignments. The new assignee's
 * last-assignment time (least loaded ties, R-ROUTE-7) moves.
 * Events: ASSIGNED with reason MANUAL (or NONE when unassigned), then
 * ASSIGNED for each conversation handed out from a queue.
 * Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND, CIB_EFORBIDDEN, CIB_ENOMEM,
 * CIB_ESTORAGE.
 */
CIB_API int cib_assign(cib_ctx *ctx, const char *user, size_t user_len, uint64_t conversation,
                       const char *to, size_t to_len);

/* Close an open conversation. Its working-set entry is released; it stays in
 * storage. It leaves its waiting queue if in one; its assignee's freed room
 * takes the oldest waiting conversation they are eligible for (R-ROUTE-8),
 * in the same atomic step. Events: CLOSED, then ASSIGNED for each hand-out.
 * Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND, CIB_EFORBIDDEN, CIB_ENOMEM,
 * CIB_ESTORAGE. */
CIB_API int cib_close(cib_ctx *ctx, const char *user, size_t user_len, uint64_t conversation);

/* Reopen a closed conversation, keeping its assignee if they still exist
 * (it is not routed again, and does not queue). Event: REOPENED. Returns as
 * cib_close(), and CIB_ELIMIT (max_open_conversations). */
CIB_API int cib_reopen(cib_ctx *ctx, const char *user, size_t user_len, uint64_t conversation);

/* ------------------------------------------------------------------------ */
/* Conversations: reading (R-CONV-5)                                         */
/* ------------------------------------------------------------------------ */

enum cib_conversation_status { CIB_STATUS_OPEN = 1, CIB_STATUS_CLOSED = 2 };
enum cib_message_kind {
    CIB_MESSAGE_INBOUND = 1, /* from the contact */
    CIB_MESSAGE_REPLY = 2,   /* from an agent, delivered to the contact */
    CIB_MESSAGE_COMMENT = 3  /* internal */
};

typedef struct cib_conversation_info {
    size_t size;
    uint64_t id;
    const char *inbox;
    const char *channel;
    const char *contact;
    const char *assignee; /* NULL: unassigned */
    int status;           /* enum cib_conversation_status */
    int reason;           /* enum cib_reason of the current assignment */
    uint32_t n_messages;  /* inbound, replies and comments */
    int64_t created_at;
    int64_t last_inbound_at;
    int64_t first_reply_at; /* 0: no reply yet */
    int64_t closed_at;      /* 0: open */
    size_t n_properties;
    uint64_t ticket; /* its ticket, or 0 */
    int queued;      /* 1: waiting in its rule's queue */
} cib_conversation_info;
#define CIB_CONVERSATION_INFO_INIT                                                                 \
    {                                                                                              \
        sizeof(cib_conversation_info), 0, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0     \
    }

/*
 * Read a conversation as `user` sees it (user NULL: the account's view, no
 * permission check). A conversation the user may not view is CIB_ENOTFOUND
 * (R-ACCESS-3). Open conversations are read from memory, closed ones from
 * the store. Read-only. Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND,
 * CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_conversation_get(cib_ctx *ctx, const char *user, size_t user_len,
                                 uint64_t conversation, cib_conversation_info *out);

typedef struct cib_message_info {
    size_t size;
    uint64_t id;
    uint64_t conversation;
    int kind; /* enum cib_message_kind */
    const char *channel;
    const char *author;  /* reply or comment: user id */
    const char *contact; /* inbound: contact id */
    const char *msg_id;  /* inbound: the host's id */
    const char *text;
    size_t text_len;
    int64_t created_at;
    const char *forwarded_by; /* inbound email: the forwarder, or NULL */
    size_t n_cc;
    size_t n_attachments;
} cib_message_info;

/* Called once per message; return non-zero to stop. The message and its
 * strings are valid only during the call. */
typedef int (*cib_message_fn)(void *user_data, const cib_message_info *msg);

/*
 * Call fn for each message of a conversation, oldest first, reading the
 * store (message bodies are never kept in memory). Permissions as
 * cib_conversation_get(). Read-only. Returns CIB_OK, CIB_EINVAL,
 * CIB_ENOTFOUND, CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_conversation_messages(cib_ctx *ctx, const char *user, size_t user_len,
                                      uint64_t conversation, cib_message_fn fn, void *user_data);

/* Called once per property; return non-zero to stop. Valid during the call. */
typedef int (*cib_property_fn)(void *user_data, const char *key, const char *value);

/* Call fn for each property of a conversation (R-CHAN-10). Permissions as
 * cib_conversation_get(). Read-only. Returns as cib_conversation_get(). */
CIB_API int cib_conversation_properties(cib_ctx *ctx, const char *user, size_t user_len,
                                        uint64_t conversation, cib_property_fn fn, void *user_data);

typedef struct cib_ticket_info {
    size_t size;
    uint64_t id;
    uint64_t conversation;
    const char *pipeline;
    const char *stage;
    const char *owner; /* user id as recorded at creation, or NULL */
    int64_t created_at;
    size_t n_properties; /* the ticket rule's default properties */
    const char *const *property_keys;
    const char *const *property_values;
} cib_ticket_info;
#define CIB_TICKET_INFO_INIT                                                                       \
    {                                                                                              \
        sizeof(cib_ticket_info), 0, 0, NULL, NULL, NULL, 0, 0, NULL, NULL                          \
    }

/*
 * Read a ticket (R-TICKET-*) as `user` sees it (NULL: the account's view; a
 * ticket of a conversation the user may not view is CIB_ENOTFOUND). Tickets
 * live in the store; the strings of *out stay valid until the next
 * cib_ticket_get() or change of the context. Read-only. Returns CIB_OK,
 * CIB_EINVAL, CIB_ENOTFOUND, CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_ticket_get(cib_ctx *ctx, const char *user, size_t user_len, uint64_t ticket,
                           cib_ticket_info *out);

enum cib_view_kind {
    CIB_VIEW_ALL = 1,        /* every conversation of the inbox */
    CIB_VIEW_UNASSIGNED = 2, /* those without an assignee */
    CIB_VIEW_MINE = 3        /* those assigned to the user */
};

/* A view query (R-CONV-5). */
typedef struct cib_view_def {
    size_t size;
    const char *user; /* whose view; NULL: the account's (not for MINE) */
    size_t user_len;
    int view;          /* enum cib_view_kind */
    const char *inbox; /* required, except for MINE (NULL: all inboxes) */
    size_t inbox_len;
    const char *channel; /* optional filter */
    size_t channel_len;
    int status;     /* 0: any; or enum cib_conversation_status */
    uint64_t after; /* cursor: only conversations with a larger id;
                       0 to start */
} cib_view_def;
#define CIB_VIEW_DEF_INIT                                                                          \
    {                                                                                              \
        sizeof(cib_view_def), NULL, CIB_NTS, CIB_VIEW_ALL, NULL, CIB_NTS, NULL, CIB_NTS, 0, 0      \
    }

/*
 * One page of a view: conversation ids, oldest first (ids grow with
 * creation). Only conversations the user may view (R-ACCESS-3).
 *  ids      out, room for `cap` (>= 1) ids.   n  out: how many were written.
 *  next     out, may be NULL: the cursor for the next page (pass it as
 *           `after`), or 0 when this page is the last.
 * Open conversations come from memory: a page costs O(page + log n), however
 * many conversations there are. Closed ones (status 0 or CLOSED) are read
 * from the store: for a view of an inbox, through the store's find_page
 * (convinbox/store.h: both built-in stores have it), only the cap + 1 next
 * closed ones in id order, so a page costs O(page + log n) there too (plus
 * the closed rows a channel, UNASSIGNED or MINE filter turns away); without
 * find_page, and for MINE over all inboxes, every closed conversation of the
 * inbox (or the account) is read and sorted: O(n log n) per page. An inbox the user
 * may not view gives an empty page (R-ACCESS-3). Read-only. Returns CIB_OK,
 * CIB_EINVAL, CIB_ENOTFOUND (unknown user, inbox or channel), CIB_ENOMEM,
 * CIB_ESTORAGE.
 */
CIB_API int cib_view(cib_ctx *ctx, const cib_view_def *query, uint64_t *ids, size_t cap, size_t *n,
                     uint64_t *next);

/* ------------------------------------------------------------------------ */
/* Reports (R-REPORT-1)                                                      */
/* ------------------------------------------------------------------------ */

/* A report's scope: one inbox, times in [from, to) (ms since the epoch; both
 * in CIB_TIME_MIN..CIB_TIME_MAX). */
typedef struct cib_report_def {
    size_t size;
    const char *inbox; /* required */
    size_t inbox_len;
    int64_t from;
    int64_t to;
} cib_report_def;
#define CIB_REPORT_DEF_INIT                                                                        \
    {                                                                                              \
        sizeof(cib_report_def), NULL, CIB_NTS, 0, 0                                                \
    }

/*
 * The inbox's figures. A conversation is received when it is created (by an
 * inbound message) in the range; its first-response time runs from then to
 * its first reply, whenever that came (0 for a reply stamped before it, as
 * when the host's clock went back). Times are ms; -1 when there is none.
 * Percentiles are nearest-rank: the median is the smallest time with at
 * least half the times at or below it, p90 the same with 90%.
 */
typedef struct cib_report {
    size_t size;
    uint64_t received;        /* conversations received in the range */
    uint64_t replies;         /* replies sent in the range, by everyone */
    uint64_t first_responses; /* received conversations answered so far */
    int64_t first_response_median_ms;
    int64_t first_response_p90_ms;
} cib_report;
#define CIB_REPORT_INIT                                                                            \
    {                                                                                              \
        sizeof(cib_report), 0, 0, 0, -1, -1                                                        \
    }

/* One user's figures in a report. */
typedef struct cib_report_user {
    size_t size;
    const char *user;                 /* the user's id, as recorded with their
                                         replies (they may have been removed since) */
    uint64_t replies;                 /* replies they sent in the range */
    uint64_t first_responses;         /* received conversations they answered first */
    int64_t first_response_median_ms; /* of those; -1: none */
    int64_t first_response_p90_ms;
} cib_report_user;
#define CIB_REPORT_USER_INIT                                                                       \
    {                                                                                              \
        sizeof(cib_report_user), NULL, 0, 0, -1, -1                                                \
    }

/* Called once per user who replied; return non-zero to stop. */
typedef int (*cib_report_user_fn)(void *user_data, const cib_report_user *row);

/*
 * Report on an inbox over a time range (R-REPORT-1): conversations received,
 * replies sent, first-response time (median, p90), and per user (fn may be
 * NULL): who answers the most comes first (most replies in the range; ties
 * by id), then the others. Reports read the store (closed conversations and
 * messages live there): O(the inbox's conversations and messages), through
 * the store's `find` when it has one. Read-only; the row strings are valid
 * during the callback. Returns CIB_OK, CIB_EINVAL (bad def; from after to;
 * from or to outside CIB_TIME_MIN..CIB_TIME_MAX), CIB_ENOTFOUND (unknown
 * inbox), CIB_ENOMEM, CIB_ESTORAGE (also: a stored time outside the range,
 * naming its row).
 */
CIB_API int cib_report_get(cib_ctx *ctx, const cib_report_def *def, cib_report *out,
                           cib_report_user_fn fn, void *user_data);

/* ------------------------------------------------------------------------ */
/* Lists inside objects                                                      */
/* ------------------------------------------------------------------------ */

enum cib_list {
    CIB_LIST_TEAM_MEMBERS = 1,       /* owner: team id; items: user ids in order */
    CIB_LIST_PIPELINE_STAGES = 2,    /* owner: pipeline id; items: stage names */
    CIB_LIST_INBOX_USERS = 3,        /* owner: inbox id; items: access user ids */
    CIB_LIST_INBOX_TEAMS = 4,        /* owner: inbox id; items: access team ids */
    CIB_LIST_INBOX_CHANNELS = 5,     /* owner: inbox id; items: channel ids */
    CIB_LIST_CHANNEL_PROPERTIES = 6, /* owner: channel id; items: key, value,
                                        key, value, ... (2 per property) */
    CIB_LIST_CHANNEL_TARGETS = 8,    /* owner: channel id; items: the routing
                                        targets as "user:ID" or "team:ID" */
    CIB_LIST_CONTACT_ADDRESSES = 7   /* owner: contact id; items: addresses
                                        learned from inbound messages, fields
                                        separated by newlines (ids hold none):
                                        "visitor\nKEY", "messenger\nCHANNEL\nID"
                                        or "custom\nCHANNEL\nID" */
};

/* Number of items in a list of an object. Read-only.
 * Returns CIB_OK, CIB_EINVAL (unknown list), CIB_ENOTFOUND (unknown owner). */
CIB_API int cib_list_count(cib_ctx *ctx, int list, const char *owner, size_t owner_len,
                           size_t *out_count);

/* Item `index` (from 0) of a list; *out: borrowed. Read-only.
 * Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND (unknown owner, or index past the
 * end). */
CIB_API int cib_list_item(cib_ctx *ctx, int list, const char *owner, size_t owner_len, size_t index,
                          const char **out);

#ifdef __cplusplus
}
#endif

#endif /* CONVINBOX_H */
