/*
 * replay.h - convinbox-replay: a scenario tool that drives libconvinbox
 * through its public API, one JSON line at a time (see --help, and
 * REPLAY.md in the project's shared documents).
 *
 * The pieces: main.c reads the file; session.c holds the context and runs
 * each line, checking its expectations; args.c reads typed
 * keys and refuses unknown ones; names.c maps scenario names to library ids;
 * faults.c is the storage wrapper behind "fail_storage"; ops_*.c carry out
 * the ops; summary.c prints the tables of --summary.
 */
#ifndef REPLAY_H
#define REPLAY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "convinbox.h"
#include "convinbox/store.h"

/* An ASSIGNED event seen during one op. */
typedef struct rp_assigned {
    uint64_t conversation;
    char user[256]; /* "" when unassigned */
    int reason;
} rp_assigned;

/* What the tool counts for --summary. */
typedef struct rp_stats {
    json_t *created;     /* channel id -> conversations created */
    json_t *assignments; /* user id -> assignments (any reason) */
    json_t *tickets;     /* "pipeline\tstage" -> tickets opened */
    json_t *inboxes;     /* inbox id -> true, in creation order */
    json_t *channels;    /* channel id -> inbox id, in creation order */
    uint64_t inbound, duplicates, ops, failed_ops;
    int64_t first_ms, last_ms; /* the clock's first and last values */
    double seconds;            /* wall time spent in ops */
} rp_stats;

typedef struct rp {
    cib_ctx *ctx;
    cib_store mem;    /* the built-in store */
    cib_store faulty; /* wraps mem: the one the context uses */
    long fail_after;  /* fail_storage: storage calls to let through first */
    long fail_calls;  /* then how many to fail */
    int64_t now;      /* the injected clock, ms since the epoch */
    long line;
    /* Scenario names of conversations, both ways, and the addresses of
     * contacts the library created ("cib:c12" -> "carol@example.test"). */
    json_t *conv_ids;   /* name -> id (integer) */
    json_t *conv_names; /* decimal id -> name */
    json_t *contact_addrs;
    /* Events of the current op. */
    rp_assigned *assigned;
    size_t n_assigned, cap_assigned;
    json_t *notified; /* user ids */
    uint64_t ticket;  /* TICKET_CREATED: its id, owner, pipeline and stage */
    char ticket_owner[256], ticket_pipeline[256], ticket_stage[256];
    int event_nomem;
    rp_stats stats;
} rp;

/* Set up a context on the fault-wrapped in-memory store. 0 or -1. */
/* db: a SQLite file to keep the account in, or NULL (in memory). */
int rp_open(rp *r, const char *zoneinfo_dir, const char *db);
void rp_close(rp *r);
/* Forget the current op's events. */
void rp_events_reset(rp *r);
/* Monotonic seconds. */
double rp_now_s(void);
/* --sync: the database's synchronous mode for rp_open (a CIB_SQLITE_...
 * value; 0: the library's default). */
extern int rp_db_sync;

/* What rp_line() did with a line. */
enum {
    RP_LINE_OK = 0,            /* ran; *result is the result line */
    RP_LINE_EXPECT_FAILED = 1, /* ran, and an expectation failed */
    RP_LINE_NOT_JSON = 2,      /* not JSON: nothing ran, *jerr says why */
    RP_LINE_SKIPPED = 3        /* blank or a comment */
};
/* Run one line of a scenario, buf[0..len) (a NUL ends it early), as line
 * r->line: parse it, run its op, check its expectations. *result (NULL
 * unless it ran) is the result object; json_decref() it. */
int rp_line(rp *r, const char *buf, size_t len, json_t **result, json_error_t *jerr);

/* ---- results ---- */

/* The line failed: "ok":false with an error name and a message. Returns -1. */
int rp_fail(json_t *out, const char *error, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* A library call failed with status rc: its name and the context's message. */
int rp_lib_fail(rp *r, json_t *out, int rc);

/* ---- reading keys (args.c) ----
 * Each returns 0, or -1 after rp_fail(out, "invalid", ...) naming the key.
 * With `required` 0, a missing key (or a JSON null) leaves *v as it was. */

/* Refuse keys of `in` outside `allowed` (NULL-terminated; "op" and
 * "expect" are always allowed). */
int arg_only(json_t *in, json_t *out, const char *const *allowed);
int arg_str(json_t *in, json_t *out, const char *key, int required, const char **v);
int arg_int(json_t *in, json_t *out, const char *key, int required, long long min, long long max,
            long long *v);
int arg_bool(json_t *in, json_t *out, const char *key, int required, int *v);
/* The value is an object (or null when !required: *v = NULL). */
int arg_obj(json_t *in, json_t *out, const char *key, int required, json_t **v);
/* An array of strings: *v points into the JSON (valid with it), *n set;
 * the array is allocated with malloc (free it). */
int arg_strs(json_t *in, json_t *out, const char *key, int required, const char ***v, size_t *n);
/* One of names[1..]: *v is its index (names[0] unused). */
int arg_enum(json_t *in, json_t *out, const char *key, int required, const char *const *names,
             size_t count, int *v);
/* RFC 3339 time ("2026-11-23T09:00:00Z", "...+01:00", fractions) -> ms. */
int rp_parse_time(const char *s, int64_t *ms);
/* "HH:MM" (00:00 .. 24:00) -> minutes. */
int rp_parse_hhmm(const char *s, unsigned *minutes);

/* ---- names (names.c) ---- */

/* The scenario name of a conversation id ("#<id>" if it has none). The
 * string is json-owned by r (valid until the next call). */
const char *rp_conv_name(rp *r, uint64_t id);
/* Give a new conversation its name ("as"; NULL: keep the default). */
int rp_conv_bind(rp *r, uint64_t id, const char *name);
/* Look a name up: 0, or -1 after rp_fail(out, "not_found"). Accepts "#<id>". */
int rp_conv_find(rp *r, json_t *out, const char *name, uint64_t *id);
/* The scenario form of a contact id: its own id, or for a contact the
 * library created, the address it came from. */
const char *rp_contact_name(rp *r, const char *id);
void rp_contact_bind(rp *r, const char *id, const char *address);

/* ---- storage faults (faults.c) ---- */

/* Wrap `inner` so that while r->fail_calls > 0 each call fails. */
void rp_faults_wrap(rp *r, const cib_store *inner, cib_store *out);

/* ---- ops ---- */

typedef int (*rp_op_fn)(rp *r, json_t *in, json_t *out);
typedef struct rp_op {
    const char *name;
    rp_op_fn fn;
    const char *const *keys; /* allowed keys besides "op" and "expect" */
    int reports_assigned;    /* adds "assigned": hand-outs from queues */
} rp_op;

extern const rp_op rp_account_ops[];
extern const rp_op rp_traffic_ops[];
extern const rp_op rp_query_ops[];
const rp_op *rp_find_op(const char *name);

/* Hand-outs seen during the op, leaving out conversation `except`. */
json_t *rp_assigned_list(rp *r, uint64_t except);
/* A ticket as REPLAY.md shows it (json null for 0), read from the store:
 * 0, or -1 after rp_lib_fail(). */
int rp_ticket_json(rp *r, json_t *out, uint64_t ticket, json_t **v);
/* Names of statuses and reasons. */
const char *rp_reason_name(int reason);

/* ---- summary (summary.c) ---- */

void rp_stats_init(rp_stats *s);
void rp_stats_free(rp_stats *s);
void rp_summary_print(rp *r);

#endif
