/* ctx.h - the context: one account, its hooks, limits and working set. */
#ifndef CIB_CTX_H
#define CIB_CTX_H

#include "convinbox.h"
#include "convinbox/store.h"
#include "dedup.h"
#include "hash.h"
#include "mem.h"
#include "model.h"
#include "txbuf.h"
#include "undo.h"

/* The range a limit may be configured to. The smallest id and name limits
 * hold the fixed ids of the default inbox ("default-fallback"). */
#define CIB__LIMIT_MIN 16u
#define CIB__ID_MAX    4096u
#define CIB__TEXT_MAX  16777216u
#define CIB__EMAIL_MAX 254u

struct cib_ctx {
    cib__mem mem;
    uint64_t seed;           /* keys every in-memory table; fresh, never stored (hash.h) */
    cib__entropy_fn entropy; /* cib__os_entropy, or a test's */
    cib_clock_fn clock;
    void *clock_user_data;
    cib_event_fn on_event;
    void *event_user_data;
    cib_store store;
    int owns_store; /* the built-in store, closed by cib_ctx_free() */
    /* Kinds (bit per enum cib_kind) not written to the store: the
     * context's own store is given only what the working set does not
     * hold, since it dies with the context (store.h). */
    uint32_t store_skips;
    int store_skips_open; /* ... nor the rows of open conversations */
    cib__txbuf tx;        /* the open transaction's changes, for a store with apply() */
    int in_tx;            /* between cib__tx_begin() and cib__tx_end() */
    int in_callback;      /* inside a host callback of an iteration */
    struct {
        uint32_t max_inboxes, max_id_len, max_name_len, max_text_len;
        uint32_t max_contacts, max_open, max_convs, max_attachments; /* caps.h */
    } lim;
    struct cib__heap *heap; /* the heap budget's counter (heap.h), or NULL */
    uint64_t n_convs;       /* stored conversations, when n_convs_known */
    int n_convs_known;
    int64_t created_at;

    cib__user *users;
    cib__team *teams;
    cib__contact *contacts;
    cib__pipeline *pipelines;
    cib__inbox *inboxes;
    cib__channel *channels;
    cib__conv *convs;         /* open conversations, by id */
    cib__ref *user_emails;    /* lower-case email -> cib__user */
    cib__ref *channel_addrs;  /* "<namespace>:<address>" -> cib__channel */
    cib__fptab contact_index; /* fingerprint of an address -> cib__contact */
    cib__fptab threads;       /* fingerprint of (channel, thread) -> cib__conv */
    cib__dedup dedup;         /* delivered message ids (R-CONV-3) */
    cib__inbox *default_inbox;

    uint64_t secret;      /* the account's salt of stable store keys (DEDUP,
                             THREAD): stored; no in-memory table is keyed by it */
    uint64_t next_id;     /* the next conversation, message or contact number */
    uint64_t id_limit;    /* ids below it are reserved in the store */
    int64_t dedup_window; /* 0: message ids are duplicates forever */
    cib_sender sender;
    int has_sender;
    char zoneinfo_dir[4096];
    uint64_t seq;         /* the last assignment or queue order handed out */
    void *ticket_scratch; /* the strings of the last cib_ticket_get() */

    /* A batch (cib_ingest_batch): one store transaction around many
     * operations; their events wait for the commit. */
    int batch;
    int batch_failed; /* a failure inside: the batch cannot commit */
    cib_event *events;
    size_t n_events, cap_events;

    /* The change object (op.h): its undo log, shared by the ops of a
     * batch, and the ops open now (their events are queued in `events`).
     * Both start in the context's own arrays, so that an op allocates
     * nothing for them; a batch that outgrows them takes heap blocks,
     * released when it ends. */
    cib__undo *undo;
    size_t n_undo, cap_undo;
    size_t n_free_later; /* entries of the log with final_free set */
    int ops_open;
    int op_failed; /* an event of the open op could not be queued */
    cib__undo undo_fixed[32];
    cib_event events_fixed[4];

    char errmsg[512];
    char cbmsg[256]; /* set by a callback through cib_set_callback_error() */
    int has_cbmsg;
};

/* cib_ctx_new() with another source of entropy (tests). */
int cib__ctx_new_with(const cib_options *opts, cib_ctx **out, cib__entropy_fn entropy);

/* Now, from the context's clock: CIB_OK, or CIB_EINVAL when the clock
 * returned a time outside CIB_TIME_MIN..CIB_TIME_MAX (the message says so;
 * inside a batch the batch fails). */
int cib__now(cib_ctx *ctx, int64_t *out);
/* 1 if t is inside CIB_TIME_MIN..CIB_TIME_MAX. */
int cib__time_ok(int64_t t);

/*
 * Read a versioned input struct. `out` holds the defaults (its CIB_*_INIT
 * value); the caller's first `def->size` bytes are copied over it. A struct
 * larger than this version's is accepted if the unknown tail is zero.
 */
int cib__def_read(cib_ctx *ctx, const char *arg, const void *def, size_t known, void *out);
/* Fill a versioned output struct from a complete one. */
int cib__info_write(cib_ctx *ctx, const char *arg, void *out, const void *full, size_t known);

#endif
