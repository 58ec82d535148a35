/*
 * session.c - a convinbox-replay session without main(): the context with
 * its clock, events and senders (rp_open, rp_close), and one line of a
 * scenario run against it (rp_line), which main.c calls for each line it
 * reads and the replay fuzz target (tests/fuzz) for arbitrary bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "replay.h"
#ifdef HAVE_SQLITE
#include "convinbox/sqlite.h"
#endif

const rp_op *rp_find_op(const char *name)
{
    const rp_op *const tables[] = {rp_account_ops, rp_traffic_ops, rp_query_ops};
    for (size_t t = 0; t < 3; t++)
        for (const rp_op *op = tables[t]; op->name; op++)
            if (!strcmp(op->name, name))
                return op;
    return NULL;
}

/* ---- the context, its clock, events and senders ---- */

static int64_t clock_fn(void *ud)
{
    return ((rp *)ud)->now;
}

static void on_event(void *ud, const cib_event *ev)
{
    rp *r = ud;
    if (ev->type == CIB_EVENT_ASSIGNED) {
        if (r->n_assigned == r->cap_assigned) {
            size_t cap = r->cap_assigned ? r->cap_assigned * 2 : 16;
            rp_assigned *v = realloc(r->assigned, cap * sizeof *v);
            if (!v) {
                r->event_nomem = 1;
                return;
            }
            r->assigned = v;
            r->cap_assigned = cap;
        }
        rp_assigned *a = &r->assigned[r->n_assigned++];
        a->conversation = ev->conversation;
        snprintf(a->user, sizeof a->user, "%s", ev->user ? ev->user : "");
        a->reason = ev->reason;
        if (ev->user) {
            json_t *n = json_object_get(r->stats.assignments, ev->user);
            json_object_set_new(r->stats.assignments, ev->user,
                                json_integer(n ? json_integer_value(n) + 1 : 1));
        }
    } else if (ev->type == CIB_EVENT_NOTIFICATION && ev->user) {
        json_array_append_new(r->notified, json_string(ev->user));
    } else if (ev->type == CIB_EVENT_TICKET_CREATED) {
        /* From memory only: a store read here would use up injected faults.
         * The channel's rule is the one that just opened the ticket. */
        cib_channel_info ch = CIB_CHANNEL_INFO_INIT;
        r->ticket = ev->ticket;
        snprintf(r->ticket_owner, sizeof r->ticket_owner, "%s", ev->user ? ev->user : "");
        r->ticket_pipeline[0] = r->ticket_stage[0] = '\0';
        if (cib_channel_get(r->ctx, ev->channel, CIB_NTS, &ch) == CIB_OK && ch.ticket_pipeline) {
            snprintf(r->ticket_pipeline, sizeof r->ticket_pipeline, "%s", ch.ticket_pipeline);
            snprintf(r->ticket_stage, sizeof r->ticket_stage, "%s", ch.ticket_stage);
            char key[600];
            snprintf(key, sizeof key, "%s\t%s", ch.ticket_pipeline, ch.ticket_stage);
            json_t *n = json_object_get(r->stats.tickets, key);
            json_object_set_new(r->stats.tickets, key,
                                json_integer(n ? json_integer_value(n) + 1 : 1));
        }
    }
}

/* Outbound messages are accepted and dropped: the host's side. */
static int send_fn(void *ud, const cib_outbound *m)
{
    (void)ud;
    (void)m;
    return 0;
}

void rp_events_reset(rp *r)
{
    r->n_assigned = 0;
    json_array_clear(r->notified);
    r->ticket = 0;
    r->ticket_owner[0] = '\0';
    r->event_nomem = 0;
}

/* --sync (main.c): the database's synchronous mode (a CIB_SQLITE_... value; 0: the
 * library's default). */
int rp_db_sync;

int rp_open(rp *r, const char *zoneinfo_dir, const char *db)
{
    memset(r, 0, sizeof *r);
    r->now = 1767571200000LL; /* 2026-01-05T00:00:00Z */
    r->conv_ids = json_object();
    r->conv_names = json_object();
    r->contact_addrs = json_object();
    r->notified = json_array();
    rp_stats_init(&r->stats);
    if (db) {
#ifdef HAVE_SQLITE
        char why[512];
        /* A new account only where there is no file yet: a file that lost
         * its account is refused, not started over. */
        struct stat sb;
        cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
        so.flags = stat(db, &sb) != 0 && errno == ENOENT ? CIB_SQLITE_CREATE : 0;
        so.synchronous = rp_db_sync;
        if (cib_sqlite_open(db, &so, &r->mem, why, sizeof why) != CIB_OK) {
            fprintf(stderr, "convinbox-replay: %s\n", why);
            return -1;
        }
#else
        fprintf(stderr, "convinbox-replay: --db needs libconvinbox-sqlite (not built)\n");
        return -1;
#endif
    } else if (cib_memstore_new(NULL, &r->mem) != CIB_OK) {
        return -1;
    }
    rp_faults_wrap(r, &r->mem, &r->faulty);
    static cib_sender sender;
    cib_sender s = CIB_SENDER_INIT;
    s.email = s.chat = s.form = s.messenger = s.custom = send_fn;
    sender = s;
    cib_options o = CIB_OPTIONS_INIT;
    o.clock = clock_fn;
    o.clock_user_data = r;
    o.store = &r->faulty;
    o.on_event = on_event;
    o.event_user_data = r;
    o.sender = &sender;
    o.zoneinfo_dir = zoneinfo_dir;
    o.hash_seed = 0x5eed;
    char err[256] = "";
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    if (cib_ctx_new(&o, &r->ctx) != CIB_OK) {
        fprintf(stderr, "convinbox-replay: %s\n", err);
        r->mem.close(r->mem.user_data);
        return -1;
    }
    json_object_set_new(r->stats.inboxes, "default", json_true());
    r->stats.first_ms = r->stats.last_ms = r->now;
    return 0;
}

void rp_close(rp *r)
{
    cib_ctx_free(r->ctx);
    r->mem.close(r->mem.user_data);
    json_decref(r->conv_ids);
    json_decref(r->conv_names);
    json_decref(r->contact_addrs);
    json_decref(r->notified);
    free(r->assigned);
    rp_stats_free(&r->stats);
}

/* ---- one line ---- */

double rp_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run one parsed line into `out` (which holds line, op and ok already). */
static void run_line(rp *r, json_t *in, json_t *out)
{
    if (!json_is_object(in)) {
        rp_fail(out, "invalid", "the line is not a JSON object");
        return;
    }
    json_t *opv = json_object_get(in, "op");
    if (!json_is_string(opv)) {
        rp_fail(out, "invalid", opv ? "key 'op' must be a string" : "missing key 'op'");
        return;
    }
    const rp_op *op = rp_find_op(json_string_value(opv));
    json_t *expect = json_object_get(in, "expect");
    if (!op) {
        rp_fail(out, "invalid", "unknown op '%s'", json_string_value(opv));
    } else if (expect && !json_is_object(expect)) {
        rp_fail(out, "invalid", "key 'expect' must be an object");
    } else if (!arg_only(in, out, op->keys)) {
        rp_events_reset(r);
        double t0 = rp_now_s();
        int rc = op->fn(r, in, out);
        r->stats.seconds += rp_now_s() - t0;
        if (rc == 0 && op->reports_assigned && !json_object_get(out, "assigned"))
            json_object_set_new(out, "assigned", rp_assigned_list(r, 0));
        if (rc == 0 && r->event_nomem)
            fprintf(stderr, "convinbox-replay: line %ld: out of memory recording events\n",
                    r->line);
    }
    r->stats.ops++;
    if (json_is_false(json_object_get(out, "ok")))
        r->stats.failed_ops++;
    if (r->now > r->stats.last_ms)
        r->stats.last_ms = r->now;
}

/* The keys of `expect` whose values differ from the result's. */
static json_t *check_expect(json_t *in, json_t *out)
{
    json_t *expect = json_object_get(in, "expect");
    if (!json_is_object(expect))
        return NULL;
    json_t *failed = NULL;
    const char *key;
    json_t *want;
    json_object_foreach(expect, key, want)
    {
        json_t *got = json_object_get(out, key);
        if (!got || !json_equal(got, want)) {
            if (!failed)
                failed = json_array();
            json_array_append_new(failed, json_string(key));
        }
    }
    return failed;
}

static int is_blank_or_comment(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i == n || s[i] == '\0' || s[i] == '#';
}

int rp_line(rp *r, const char *buf, size_t len, json_t **result, json_error_t *jerr)
{
    *result = NULL;
    if (is_blank_or_comment(buf, len))
        return RP_LINE_SKIPPED;
    json_t *in = json_loadb(buf, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, jerr);
    if (!in)
        return RP_LINE_NOT_JSON;
    json_t *out = json_object();
    json_object_set_new(out, "line", json_integer(r->line));
    json_t *opv = json_is_object(in) ? json_object_get(in, "op") : NULL;
    json_object_set_new(out, "op", json_is_string(opv) ? json_copy(opv) : json_null());
    json_object_set_new(out, "ok", json_true());
    run_line(r, in, out);
    json_t *failed = check_expect(in, out);
    json_decref(in);
    *result = out;
    if (!failed)
        return RP_LINE_OK;
    json_object_set_new(out, "expect_failed", failed);
    return RP_LINE_EXPECT_FAILED;
}
