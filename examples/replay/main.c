/*
 * main.c - convinbox-replay: read a scenario (JSON Lines), run each line
 * against libconvinbox, print one result line per input line, check the
 * lines' expectations. Exit 0: every expectation held; 1: some did not; 2:
 * the file could not be read, or a line is not JSON.
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

/* The manual, in parts (C limits the length of one string literal). */
static const char *const usage[] = {
    "usage: convinbox-replay [--db PATH] [--summary] [--quiet] FILE.jsonl | -\n"
    "\n"
    "Runs a scenario against libconvinbox through its public API: one JSON\n"
    "object per line in, one JSON result per line out (stdout). '-' reads\n"
    "standard input. Empty lines and lines starting with '#' are skipped.\n"
    "\n"
    "  --summary  after the run, print tables: conversations per inbox and\n"
    "             channel, assignments per agent, unassigned and waiting at the\n"
    "             end, tickets per pipeline and stage, first-response times,\n"
    "             messages processed per second\n"
    "  --quiet    print only the results whose expectations failed\n"
    "  --db PATH  keep the account in this SQLite database (created if\n"
    "             there is no such file): a second run continues the same\n"
    "             account; a file that lost its account is refused\n"
    "  --sync full|normal  how --db commits: full (the default) survives\n"
    "             power loss; normal is faster and may lose the last calls\n"
    "  --help     this text\n"
    "\n"
    "Every line has \"op\", and may have \"expect\":{...}: each key in it must\n"
    "equal the same key of the line's result (JSON deep equality, arrays in\n"
    "order); a line that fails prints \"expect_failed\":[keys] and the run exits\n"
    "1 at the end. A line that is not JSON stops the run with exit 2, naming the\n"
    "line. A line that is JSON but breaks the rules below (not an object, an\n"
    "unknown op, an unknown, missing or mistyped key) gets\n"
    "{\"ok\":false,\"error\":\"invalid\",\"message\":...} naming the key, and the run\n"
    "goes on. Results: {\"line\":N,\"op\":...,\"ok\":true,...} or\n"
    "{\"line\":N,\"op\":...,\"ok\":false,\"error\":NAME,\"message\":...}; NAME is\n"
    "invalid, not_found, conflict, forbidden, disabled, seat_required, limit,\n"
    "window_closed, duplicate, storage or nomem. A failed line changes nothing.\n"
    "\n",
    "Time (the clock starts at 2026-01-05T00:00:00Z, a Monday):\n"
    "  clock    now: RFC 3339 time (\"2026-11-23T09:00:00Z\", \"...+01:00\")\n"
    "  advance  seconds: N >= 0\n"
    "Account (ids are the scenario's own and are kept):\n"
    "  user     id, name (default: the id), email, seat paid|free, role\n"
    "           member|admin|super_admin, capacity (0: none). On an existing\n"
    "           id: changes the keys given (e.g. capacity). New users are\n"
    "           offline.\n"
    "  team     id, members: [user ids]. On an existing id: new members.\n"
    "  pipeline id, stages: [names]\n"
    "  contact  id, email, owner (a user id)\n"
    "  status   user, status available|away|offline, reassign_replies: bool\n",
    "Inboxes and channels (the default inbox has id \"default\"):\n"
    "  inbox          id, name, access: \"everyone\" (default) or\n"
    "                 {\"users\":[...],\"teams\":[...]}\n"
    "  inbox.rename   inbox, name\n"
    "  inbox.delete   inbox, confirm (the exact name)\n"
    "  inbox.access   inbox, access\n"
    "  channel        id, inbox, type email|chat|form|messenger|custom|\n"
    "                 fallback_email, address, status enabled|disabled,\n"
    "                 routing, tickets, availability (chat), threading\n"
    "                 key|new (custom), sender {display agent_and_company|\n"
    "                 company, company, signature, name (fallback email's\n"
    "                 sender name)}, log_forward_to_original: bool,\n"
    "                 properties: {key: value}\n"
    "  channel.status       channel, status\n"
    "  channel.routing      channel, routing\n"
    "  channel.tickets      channel, tickets (null: off)\n"
    "  channel.availability channel, availability\n"
    "  routing: {\"mode\":\"unassigned\"} | {\"mode\":\"specific\",\"targets\":\n"
    "    [\"user:ID\",\"team:ID\"],\"only_available\":true,\"strategy\":\n"
    "    first_available|round_robin|least_loaded,\"queue\":false} |\n"
    "    {\"mode\":\"contact_owner\",\"fallback\":{\"targets\":[...]} or null,\n"
    "    \"only_available\":true,\"strategy\":...,\"queue\":false}\n"
    "  tickets: {\"auto\":true,\"pipeline\":ID,\"stage\":NAME,\"owner\":\n"
    "    \"assignee\"|\"none\"|\"user:ID\",\"properties\":{...}}\n"
    "  availability: {\"mode\":\"always\"} | {\"mode\":\"status_based\"} |\n"
    "    {\"mode\":\"business_hours\",\"tz\":\"Europe/Berlin\",\"hours\":\n"
    "    [{\"days\":[\"mon\",...],\"from\":\"09:00\",\"to\":\"17:30\"}]} (from\n"
    "    included, to excluded, \"24:00\" allowed; to not after from runs past\n"
    "    midnight)\n",
    "Traffic:\n"
    "  inbound  channel, msg_id, from, text, as (names the conversation it\n"
    "           creates), thread, forwarded_by, cc: [emails], attachments:\n"
    "           [{\"kind\":audio|voice|sticker|image|video|file,\"name\":...,\n"
    "           \"bytes\":N}]. Result: conversation, created, contact (its\n"
    "           scenario id, or for a contact the library created, its email or\n"
    "           sender key), contact_created, assignee, reason (rule|owner|\n"
    "           fallback|reassigned_offline|null: set only when this message\n"
    "           changed the assignee), notified: [user ids], ticket\n"
    "           {pipeline,stage,owner} or null, duplicate, queued, assigned.\n"
    "  reply    user, conversation, text, channel (answer on another channel)\n"
    "  comment  user, conversation, text\n"
    "  assign   user, conversation, to (a user id; null unassigns)\n"
    "  close    user, conversation\n"
    "  reopen   user, conversation\n"
    "  Conversations are named by \"as\"; one created without a name is\n"
    "  \"#<library id>\", which other lines may use too. A name, once given,\n"
    "  stays with its conversation: \"as\" on a message that joins one, or on\n"
    "  a duplicate, names nothing. Messages name conversations this way too.\n"
    "  \"assigned\":[{\"conversation\":...,\"assignee\":...}] lists the waiting\n"
    "  conversations an op handed out (R-ROUTE-8); it is in the results of\n"
    "  inbound, user, team, status, inbox.delete, inbox.access,\n"
    "  channel.routing, assign and close.\n",
    "Questions (change nothing):\n"
    "  get             conversation, user (optional: the account's view) ->\n"
    "                  inbox, channel, status open|closed, assignee, messages,\n"
    "                  ticket\n"
    "  view            view all|unassigned|mine, user, inbox, channel, status\n"
    "                  open|closed -> conversations: [names], oldest first\n"
    "  chat.available  channel -> available\n"
    "  explain         channel -> candidates: [{user, eligible, reason}]\n"
    "  waiting         channel -> conversations: [names], oldest first\n"
    "  report          inbox, from, to (RFC 3339; [from, to)) -> received,\n"
    "                  replies: {user: N}, first_response_s: {median, p90}\n"
    "                  (nearest rank; null when none)\n"
    "Faults:\n"
    "  fail_storage    calls: N, after: K (default 0). After K more calls go\n"
    "                  through, the next N calls into the storage callbacks\n"
    "                  fail; the ops they belong to fail with \"storage\" and\n"
    "                  change nothing. \"calls\":0 cancels.\n",
    NULL,
};

static void print_usage(FILE *f)
{
    for (size_t i = 0; usage[i]; i++)
        fputs(usage[i], f);
}

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

/* --sync: the database's synchronous mode (a CIB_SQLITE_... value; 0: the
 * library's default). */
static int db_sync;

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
        so.synchronous = db_sync;
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

static double now_s(void)
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
        double t0 = now_s();
        int rc = op->fn(r, in, out);
        r->stats.seconds += now_s() - t0;
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

static int is_blank_or_comment(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return *s == '\0' || *s == '#';
}

int main(int argc, char **argv)
{
    int summary = 0, quiet = 0;
    const char *path = NULL, *db = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--summary")) {
            summary = 1;
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strcmp(argv[i], "--sync") && i + 1 < argc &&
                   (!strcmp(argv[i + 1], "full") || !strcmp(argv[i + 1], "normal"))) {
            db_sync = !strcmp(argv[++i], "full") ? 2 : 1; /* CIB_SQLITE_FULL, _NORMAL */
        } else if (!path && (argv[i][0] != '-' || !strcmp(argv[i], "-"))) {
            path = argv[i];
        } else {
            fprintf(stderr, "convinbox-replay: unknown argument '%s'\n", argv[i]);
            print_usage(stderr);
            return 2;
        }
    }
    if (!path) {
        print_usage(stderr);
        return 2;
    }
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) {
        fprintf(stderr, "convinbox-replay: cannot read '%s'\n", path);
        return 2;
    }
    rp r;
    if (rp_open(&r, getenv("CONVINBOX_ZONEINFO"), db)) {
        if (f != stdin)
            fclose(f);
        return 2;
    }
    int status = 0;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    double started = now_s();
    while ((len = getline(&buf, &cap, f)) >= 0) {
        r.line++;
        if (is_blank_or_comment(buf))
            continue;
        json_error_t jerr;
        json_t *in = json_loadb(buf, (size_t)len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (!in) {
            fflush(stdout);
            fprintf(stderr, "convinbox-replay: line %ld is not JSON: %s (column %d)\n", r.line,
                    jerr.text, jerr.column);
            status = 2;
            break;
        }
        json_t *out = json_object();
        json_object_set_new(out, "line", json_integer(r.line));
        json_t *opv = json_is_object(in) ? json_object_get(in, "op") : NULL;
        json_object_set_new(out, "op", json_is_string(opv) ? json_copy(opv) : json_null());
        json_object_set_new(out, "ok", json_true());
        run_line(&r, in, out);
        json_t *failed = check_expect(in, out);
        if (failed) {
            json_object_set_new(out, "expect_failed", failed);
            status = 1;
        }
        if (!quiet || failed) {
            char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
            if (text)
                puts(text);
            free(text);
        }
        json_decref(out);
        json_decref(in);
    }
    double elapsed = now_s() - started;
    if (status != 2 && ferror(f)) {
        fprintf(stderr, "convinbox-replay: error reading '%s'\n", path);
        status = 2;
    }
    free(buf);
    if (f != stdin)
        fclose(f);
    if (summary && status != 2) {
        r.stats.seconds = r.stats.seconds > 0 ? r.stats.seconds : elapsed;
        rp_summary_print(&r);
    }
    rp_close(&r);
    return status;
}
