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

/* Clock: milliseconds since the Unix epoch (UTC). */
typedef int64_t (*cib_clock_fn)(void *user_data);

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

/*
 * An event, valid only during the callback. Events are delivered after the
 * change they report is committed to storage, in the order the changes were
 * made. The account-model calls of this version (users, teams, contacts,
 * pipelines, inboxes, channels) emit no events; conversations and routing do.
 * Fields that do not apply to an event type are 0 or NULL.
 */
typedef struct cib_event {
    size_t size;
    int type;              /* enum cib_event_type */
    uint64_t conversation; /* library id of the conversation */
    uint64_t message;      /* library id of the message */
    const char *inbox;     /* inbox id */
    const char *channel;   /* channel id */
    const char *user;      /* assignee, notified user, author */
    int reason;            /* assignment reason */
} cib_event;

typedef void (*cib_event_fn)(void *user_data, const cib_event *event);

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
                               with the context. Otherwise the vtable
                               is copied; the host keeps the store open
                               until cib_ctx_free() returns and then
                               closes it itself. */
    cib_event_fn on_event;  /* NULL: no events */
    void *event_user_data;
    uint32_t max_inboxes;           /* inboxes per account incl. the default
                                       inbox; 0: 100 (R-INBOX-2) */
    uint32_t max_id_len;            /* bytes per id; 0: 255; 16 to 4096 */
    uint32_t max_name_len;          /* bytes per name; 0: 255; 16 to 4096 */
    uint32_t max_text_len;          /* bytes per message text; 0: 65536;
                                       at most 16777216 */
    uint64_t hash_seed;             /* seed of the context's hash tables;
                                       0: a random seed from the OS */
    const char *default_inbox_name; /* NUL-terminated; NULL: "Inbox" */
    char *error_buffer;             /* NULL, or where cib_ctx_new() writes why
                                       it failed (NUL-terminated, truncated) */
    size_t error_buffer_size;
} cib_options;
#define CIB_OPTIONS_INIT                                                                           \
    {                                                                                              \
        sizeof(cib_options), NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL, 0      \
    }

/*
 * Create a context for one account.
 *  opts  in, may be NULL for all defaults.
 *  out   out, not NULL: the new context, or NULL on failure.
 * If the store holds an account, the context is rebuilt from it. If the store
 * is empty, a new account is written to it: the default inbox (id "default")
 * with a fallback email channel (id "default-fallback") (R-INBOX-1).
 * Returns CIB_OK, CIB_EINVAL (bad options), CIB_ENOMEM, CIB_ESTORAGE (the
 * store failed, or holds data this version cannot read: a newer format, or
 * rows that break the account's rules). No context exists to hold the message
 * of a failure, so it is written to opts->error_buffer when one is given.
 * The new context owns nothing of the caller's; free it with cib_ctx_free().
 */
CIB_API int cib_ctx_new(const cib_options *opts, cib_ctx **out);

/* Free a context and everything it owns. NULL is a no-op. A host-supplied
 * store is not closed. */
CIB_API void cib_ctx_free(cib_ctx *ctx);

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
 * in cib_errmsg(). At most 255 bytes are kept. Returns CIB_OK or CIB_EINVAL.
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
    int seat; /* enum cib_seat, default CIB_SEAT_PAID */
    int role; /* enum cib_role, default CIB_ROLE_MEMBER */
} cib_user_def;
#define CIB_USER_DEF_INIT                                                                          \
    {                                                                                              \
        sizeof(cib_user_def), NULL, CIB_NTS, NULL, CIB_NTS, NULL, CIB_NTS, CIB_SEAT_PAID,          \
            CIB_ROLE_MEMBER                                                                        \
    }

/*
 * Add a user (agent).
 * Returns CIB_OK; CIB_EINVAL (bad def, malformed email, unknown seat or role);
 * CIB_ECONFLICT (the id exists; the email is another user's, or is linked as
 * a team-email channel address, R-CHAN-2); CIB_ENOMEM; CIB_ESTORAGE.
 */
CIB_API int cib_user_add(cib_ctx *ctx, const cib_user_def *def);

/*
 * Replace the name, email, seat and role of the user def->id.
 * Returns as cib_user_add(), and CIB_ENOTFOUND for an unknown id.
 */
CIB_API int cib_user_update(cib_ctx *ctx, const cib_user_def *def);

/*
 * Remove a user. Nothing is left pointing at them: they leave every team and
 * every inbox access list (an inbox whose list becomes empty keeps specific
 * access: only admins can view it, nobody can act), and every contact they
 * owned has no owner afterwards. All of it happens in one atomic step.
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
} cib_user_info;
#define CIB_USER_INFO_INIT                                                                         \
    {                                                                                              \
        sizeof(cib_user_info), NULL, NULL, NULL, 0, 0, 0                                           \
    }

/* Read a user. out: in/out, not NULL, its size set. Read-only.
 * Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND. */
CIB_API int cib_user_get(cib_ctx *ctx, const char *id, size_t id_len, cib_user_info *out);

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

/* Replace the member list of team def->id. Returns as cib_team_add(), and
 * CIB_ENOTFOUND for an unknown team. */
CIB_API int cib_team_update(cib_ctx *ctx, const cib_team_def *def);

/*
 * Remove a team. It leaves every inbox access list it is on (an inbox whose
 * list becomes empty keeps specific access). Its users stay.
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
 * Add a contact (a person who writes in).
 * Returns CIB_OK; CIB_EINVAL; CIB_ENOTFOUND (unknown owner); CIB_ECONFLICT
 * (the id exists, or another contact has this email); CIB_ENOMEM; CIB_ESTORAGE.
 */
CIB_API int cib_contact_add(cib_ctx *ctx, const cib_contact_def *def);

/* Replace the email and owner of contact def->id. Returns as
 * cib_contact_add(), and CIB_ENOTFOUND for an unknown contact. */
CIB_API int cib_contact_update(cib_ctx *ctx, const cib_contact_def *def);

/* Remove a contact. Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND, CIB_ENOMEM,
 * CIB_ESTORAGE. */
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

/* Remove a pipeline. Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND, CIB_ENOMEM,
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
 * Delete an inbox permanently with all its channels (and their conversations
 * and messages) (R-INBOX-3). `confirm` must be the inbox's exact current name
 * (byte for byte); otherwise nothing is deleted and CIB_EINVAL is returned.
 * The default inbox cannot be deleted (CIB_EINVAL).
 * Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND, CIB_ENOMEM, CIB_ESTORAGE.
 */
CIB_API int cib_inbox_remove(cib_ctx *ctx, const char *id, size_t id_len, const char *confirm,
                             size_t confirm_len);

/* Replace an inbox's access (R-ACCESS-1). Returns CIB_OK, CIB_EINVAL,
 * CIB_ENOTFOUND, CIB_ENOMEM, CIB_ESTORAGE. */
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
} cib_channel_def;
#define CIB_CHANNEL_DEF_INIT                                                                       \
    {                                                                                              \
        sizeof(cib_channel_def), NULL, CIB_NTS, NULL, CIB_NTS, 0, NULL, CIB_NTS,                   \
            CIB_CHANNEL_ENABLED, NULL, CIB_NTS                                                     \
    }

/*
 * Link a channel to an inbox (R-CHAN-1). External addresses are unique across
 * the account (R-CHAN-2): email and fallback-email addresses share one
 * namespace and are compared ignoring case; Messenger pages, custom-channel
 * accounts, chat and form addresses each have their own. An email address may
 * not be any user's email (R-CHAN-2). A fallback email's sender name is unique
 * among the account's fallback email channels, ignoring ASCII case (R-CHAN-5).
 * Returns CIB_OK; CIB_EINVAL (bad def, unknown type or status, a missing or
 * malformed address, sender_name on another type); CIB_ENOTFOUND (unknown
 * inbox); CIB_ECONFLICT (the id, address or sender name is taken, or the
 * address is a user's email); CIB_ENOMEM; CIB_ESTORAGE.
 */
CIB_API int cib_channel_add(cib_ctx *ctx, const cib_channel_def *def);

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
} cib_channel_info;
#define CIB_CHANNEL_INFO_INIT                                                                      \
    {                                                                                              \
        sizeof(cib_channel_info), NULL, NULL, 0, NULL, 0, NULL, 0                                  \
    }

/* Read a channel. Read-only. Returns CIB_OK, CIB_EINVAL, CIB_ENOTFOUND. */
CIB_API int cib_channel_get(cib_ctx *ctx, const char *id, size_t id_len, cib_channel_info *out);

/* ------------------------------------------------------------------------ */
/* Lists inside objects                                                      */
/* ------------------------------------------------------------------------ */

enum cib_list {
    CIB_LIST_TEAM_MEMBERS = 1,    /* owner: team id; items: user ids in order */
    CIB_LIST_PIPELINE_STAGES = 2, /* owner: pipeline id; items: stage names */
    CIB_LIST_INBOX_USERS = 3,     /* owner: inbox id; items: access user ids */
    CIB_LIST_INBOX_TEAMS = 4,     /* owner: inbox id; items: access team ids */
    CIB_LIST_INBOX_CHANNELS = 5   /* owner: inbox id; items: channel ids */
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
