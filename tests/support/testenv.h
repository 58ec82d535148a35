/*
 * testenv.h - what the test programs share: a context on a fault-injecting
 * allocator and store, account snapshots, failure sweeps and bad-input checks.
 */
#ifndef TESTENV_H
#define TESTENV_H

/* cmocka needs these before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "convinbox.h"
#include "convinbox/store.h"

/* An allocator that counts, tracks live blocks, and fails one chosen call. */
typedef struct failalloc {
    long count;   /* allocations so far (malloc and realloc) */
    long fail_at; /* the allocation with this count fails; -1: none */
    long failed;  /* how many failed */
    long live;    /* blocks not yet freed */
} failalloc;

cib_allocator failalloc_allocator(failalloc *fa);
/* An allocator whose every allocation fails. */
cib_allocator nomem_allocator(void);

/* A store that forwards to another and fails one chosen call with -100.
 * begin, commit, put, del, get and scan count as calls; rollback and close
 * do not (a rollback must not fail). */
typedef struct faultstore {
    cib_store inner;
    long calls;
    long fail_at;            /* the call with this count fails; -1: none */
    const char *last_failed; /* name of the method that failed last */
    int cb_message;          /* non-zero: set a message with cib_set_callback_error */
    const char *cb_text;     /* that message (NULL: "disk on fire") */
    size_t cb_len;           /* its length argument */
    int cb_rc;               /* what cib_set_callback_error returned */
    cib_ctx *ctx;            /* for cb_message */
} faultstore;

cib_store faultstore_wrap(faultstore *fs, const cib_store *inner);

/* 2026-01-05T00:00:00Z, a Monday, in milliseconds. */
#define TENV_EPOCH_MS 1767571200000LL

typedef struct tenv {
    failalloc fa;
    cib_allocator alloc; /* on fa */
    cib_store mem;       /* the built-in store, on fa */
    faultstore fs;       /* wraps mem */
    cib_store store;     /* the wrapper's vtable */
    int64_t now;         /* the clock */
    cib_options opts;
    cib_ctx *ctx;
} tenv;

/* Opens a new, empty store (cib_memstore_new's signature). */
typedef int (*tenv_store_fn)(const cib_allocator *alloc, cib_store *out);
/* The store of every later tenv_new(): NULL, the built-in in-memory one. */
void tenv_set_store(tenv_store_fn open);

/* A new context on a fresh store, with a fixed clock. */
tenv *tenv_new(void);
/* Free the context (not the store) and open a new one on the same store. */
void tenv_reopen(tenv *e);
void tenv_free(tenv *e);

/* Canonical text of the account (cib_dump) and of every stored row
 * (store_dump of storetest.h). Free with free(). Never injects faults. */
char *tenv_snapshot(tenv *e);
/* Assert that the account and the store are as in `before` (a snapshot). */
void expect_unchanged(tenv *e, const char *before);
char *tenv_store_dump(tenv *e);

/* A mutating call under test. */
typedef int (*tenv_op)(cib_ctx *ctx, void *arg);
typedef void (*tenv_setup)(tenv *e);

/*
 * Run op against fresh environments built by setup: once failing the 1st,
 * 2nd, ... allocation it makes, once failing its 1st, 2nd, ... storage call,
 * until it succeeds. Each failure must return CIB_ENOMEM or CIB_ESTORAGE with
 * a message, leave the account and the store exactly as before, and leak
 * nothing; the final success must change the account, and a context reopened
 * on the store must equal the one that made the change.
 */
void sweep_op(tenv_setup setup, tenv_op op, void *arg);

/* A call with one string argument under test. */
typedef int (*tenv_strcall)(cib_ctx *ctx, const char *s, size_t n, void *arg);

/*
 * Call with NULL, empty, over-long (limit + 1 bytes), embedded-NUL, invalid
 * UTF-8 and control-character strings: each must fail with CIB_EINVAL, a
 * message naming `argname`, and no change.
 */
void expect_bad_strings(tenv *e, const char *argname, tenv_strcall call, void *arg);
/* The same for an optional argument, where NULL means "none" and is valid. */
void expect_bad_optional_strings(tenv *e, const char *argname, tenv_strcall call, void *arg);

enum {
    BAD_OPTIONAL = 1,  /* NULL is valid */
    BAD_MULTILINE = 2, /* tab, CR and LF are valid (message text) */
    BAD_CAP = 4        /* the length is a cap: over it is CIB_ELIMIT */
};
/* The general form: `max` is the argument's length limit. */
void expect_bad_text(tenv *e, const char *argname, tenv_strcall call, void *arg, size_t max,
                     int flags);

/* Assert that rc is `status` and the message contains `needle`. */
#define expect_status(e, rc, status, needle)                                                       \
    tenv_expect_status((e), (rc), (status), (needle), __FILE__, __LINE__)
void tenv_expect_status(tenv *e, int rc, int status, const char *needle, const char *file,
                        int line);

/* Shorthands that build defs and assert CIB_OK. */
void add_user(tenv *e, const char *id, const char *email, int seat, int role);
void add_team(tenv *e, const char *id, const char *const *members, size_t n);
void add_inbox(tenv *e, const char *id, const char *name);
void add_inbox_access(tenv *e, const char *id, const char *name, const char *const *users,
                      size_t n_users, const char *const *teams, size_t n_teams);
void add_channel(tenv *e, const char *id, const char *inbox, int type, const char *address);
int may(tenv *e, const char *user, const char *inbox, int action);
void set_status(tenv *e, const char *user, int status);
void set_capacity(tenv *e, const char *user, uint32_t capacity);
/* A routing rule from a spec: targets separated by spaces, each "user:ID" or
 * "team:ID" (NULL: none). Returns cib_channel_set_routing()'s status. */
int try_routing(tenv *e, const char *channel, int mode, int strategy, int only_available, int queue,
                const char *targets);
void set_routing(tenv *e, const char *channel, int mode, int strategy, int queue,
                 const char *targets);
/* A message with text "Hello" on the channel, from the sender, in the thread
 * (NULL: none). */
cib_inbound inbound_msg(const char *channel, const char *msg_id, const char *from,
                        const char *thread);
/* Ingests inbound_msg(...), asserting CIB_OK. */
cib_ingest_result ingest_msg(tenv *e, const char *channel, const char *msg_id, const char *from,
                             const char *thread);
/* A conversation as the account sees it. */
cib_conversation_info conv_info(tenv *e, uint64_t id);

/* Run a group with TAP output (meson counts each case). */
#define TENV_RUN(tests)                                                                            \
    (cmocka_set_message_output(CM_OUTPUT_TAP), cmocka_run_group_tests(tests, NULL, NULL))

#endif
