/*
 * sqlrouter.c - the library's routing and ingest against a reference SQL
 * router, the way SQL-backed help desks and call-centre queues do it: the
 * same account, the same message stream, the same decisions.
 *
 * The reference router keeps everything in SQLite (a ":memory:" database,
 * statements prepared once, one transaction per message, as cib_ingest()
 * makes one atomic step per message):
 *
 *   agents(id, name, load, last_assigned, available)
 *       index agents_pick on (load, last_assigned) where available = 1
 *   contacts(id, email unique, case-insensitive)
 *   conversations(id, contact, agent, status, created_at)
 *   messages(id, conversation, msg_id unique, body, created_at)
 *   tickets(id, conversation, pipeline, stage, owner)
 *
 * and for each message: BEGIN; find the contact by email (create it when
 * unknown); pick the agent
 *   SELECT id FROM agents WHERE available = 1 ORDER BY load, last_assigned LIMIT 1
 * (read off the index: checked at start-up with EXPLAIN QUERY PLAN);
 * UPDATE the agent's load and last assignment; INSERT the conversation;
 * INSERT the message (its unique msg_id is the duplicate check: a repeat
 * rolls the transaction back); INSERT the ticket; COMMIT. SQLite runs
 * single-threaded without memory statistics (no mutexes), which is the
 * cheapest it gets in one process: a help desk talking to a database server
 * adds a round trip per statement on top.
 *
 * The library's side is wl_account(): N available users in one team, an
 * email channel routed to it least loaded, a ticket per new conversation.
 * Least loaded is "fewest open assigned conversations; ties: the longest
 * since the last assignment", where a user never assigned counts from their
 * creation: the library orders users by one sequence that creating a user
 * and assigning a conversation both advance (u1 = 1 .. uN = N, then N + 1,
 * N + 2, .. per assignment). The SQL router mirrors it: agent K starts with
 * last_assigned = K and each assignment takes the next number.
 *
 * Per scale, both start from the same state and first run a verification
 * stream side by side, comparing every decision (the library's assignee
 * "uK" against agent K, and whether the contact was created) and one
 * repeated message (a duplicate on both sides); any difference exits 1.
 * Then each repetition builds a fresh stream (new message ids) and times
 * each side over it, alternating which goes first; open conversations
 * accumulate on both. A last short stream checks that the two still decide
 * alike after the timed runs.
 *
 *   sqlrouter.library, sqlrouter.sql   new conversations from warm contacts
 *   sqlrouter.ratio                    SQL median / library median, same run
 *   sqlrouter.*_create                 the same, every sender new (each
 *                                      message creates its contact)
 *
 * Under callgrind, the ratio is of instructions (sqlrouter.instr_ratio).
 *
 *   sqlrouter [--quick] [--reps N] [--jsonl FILE] [USERS [CONTACTS [MESSAGES]]]
 *
 * Without USERS: 10, 1,000 and 100,000 users, 1,000 contacts, 20,000
 * messages per repetition.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "workload.h"

#define USAGE "usage: sqlrouter [--quick] [--reps N] [--jsonl FILE] [USERS [CONTACTS [MESSAGES]]]\n"

/* ---- the reference SQL router ---- */

typedef struct sqlr {
    sqlite3 *db;
    sqlite3_stmt *begin, *commit, *rollback;
    sqlite3_stmt *contact_find, *contact_add;
    sqlite3_stmt *pick, *assign;
    sqlite3_stmt *conv_add, *msg_add, *ticket_add;
    int64_t seq; /* the last assignment order handed out */
} sqlr;

/* What sqlr_ingest() did. */
typedef struct sqlr_result {
    int64_t agent; /* 0: no agent available */
    int duplicate;
    int contact_created;
} sqlr_result;

static _Noreturn void sq_fail(const sqlr *r, const char *what)
{
    fprintf(stderr, "sqlrouter: %s: %s\n", what, sqlite3_errmsg(r->db));
    exit(1);
}

static void sq_exec(const sqlr *r, const char *sql)
{
    if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        sq_fail(r, sql);
}

static sqlite3_stmt *sq_prepare(const sqlr *r, const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
        sq_fail(r, sql);
    return st;
}

/* Runs a statement that returns no row. */
static void sq_done(const sqlr *r, sqlite3_stmt *st)
{
    if (sqlite3_step(st) != SQLITE_DONE)
        sq_fail(r, sqlite3_sql(st));
    sqlite3_reset(st);
}

static const char *const pick_sql =
    "SELECT id FROM agents WHERE available = 1 ORDER BY load, last_assigned LIMIT 1";

/* Exits unless the pick reads the first entry of agents_pick (no sort). */
static void check_pick_plan(const sqlr *r)
{
    char sql[256];
    snprintf(sql, sizeof sql, "EXPLAIN QUERY PLAN %s", pick_sql);
    sqlite3_stmt *st = sq_prepare(r, sql);
    int indexed = 0, sorted = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        indexed |= detail && strstr(detail, "agents_pick") != NULL;
        sorted |= detail && strstr(detail, "TEMP B-TREE") != NULL;
    }
    if (rc != SQLITE_DONE)
        sq_fail(r, sql);
    sqlite3_finalize(st);
    if (!indexed || sorted) {
        fprintf(stderr, "sqlrouter: SQLite does not read the pick off its index\n");
        exit(1);
    }
}

/* A database with `users` available agents 1..N (agent K is user "uK") and
 * `contacts` contacts "c0@example.test".. . */
static void sqlr_open(sqlr *r, long users, long contacts)
{
    memset(r, 0, sizeof *r);
    if (sqlite3_open_v2(":memory:", &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK)
        sq_fail(r, "sqlite3_open_v2");
    sq_exec(r, "CREATE TABLE agents(id INTEGER PRIMARY KEY, name TEXT, load INTEGER,"
               " last_assigned INTEGER, available INTEGER);"
               "CREATE INDEX agents_pick ON agents(load, last_assigned) WHERE available = 1;"
               "CREATE TABLE contacts(id INTEGER PRIMARY KEY, email TEXT UNIQUE COLLATE NOCASE);"
               "CREATE TABLE conversations(id INTEGER PRIMARY KEY, contact INTEGER,"
               " agent INTEGER, status TEXT, created_at INTEGER);"
               "CREATE TABLE messages(id INTEGER PRIMARY KEY, conversation INTEGER,"
               " msg_id TEXT UNIQUE, body TEXT, created_at INTEGER);"
               "CREATE TABLE tickets(id INTEGER PRIMARY KEY, conversation INTEGER,"
               " pipeline TEXT, stage TEXT, owner INTEGER);");
    check_pick_plan(r);

    sq_exec(r, "BEGIN");
    sqlite3_stmt *st = sq_prepare(r, "INSERT INTO agents VALUES(?1, ?2, 0, ?1, 1)");
    for (long k = 1; k <= users; k++) {
        char name[24];
        snprintf(name, sizeof name, "u%ld", k);
        sqlite3_bind_int64(st, 1, k); /* never assigned: the order of creation */
        sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
        sq_done(r, st);
    }
    sqlite3_finalize(st);
    st = sq_prepare(r, "INSERT INTO contacts(email) VALUES(?1)");
    for (long i = 0; i < contacts; i++) {
        char email[40];
        snprintf(email, sizeof email, "c%ld@example.test", i);
        sqlite3_bind_text(st, 1, email, -1, SQLITE_TRANSIENT);
        sq_done(r, st);
    }
    sqlite3_finalize(st);
    sq_exec(r, "COMMIT");
    r->seq = users;

    r->begin = sq_prepare(r, "BEGIN");
    r->commit = sq_prepare(r, "COMMIT");
    r->rollback = sq_prepare(r, "ROLLBACK");
    r->contact_find = sq_prepare(r, "SELECT id FROM contacts WHERE email = ?1");
    r->contact_add = sq_prepare(r, "INSERT INTO contacts(email) VALUES(?1)");
    r->pick = sq_prepare(r, pick_sql);
    r->assign =
        sq_prepare(r, "UPDATE agents SET load = load + 1, last_assigned = ?1 WHERE id = ?2");
    r->conv_add = sq_prepare(r, "INSERT INTO conversations(contact, agent, status, created_at)"
                                " VALUES(?1, ?2, 'open', ?3)");
    r->msg_add = sq_prepare(r, "INSERT INTO messages(conversation, msg_id, body, created_at)"
                               " VALUES(?1, ?2, ?3, ?4)");
    r->ticket_add = sq_prepare(r, "INSERT INTO tickets(conversation, pipeline, stage, owner)"
                                  " VALUES(?1, ?2, ?3, ?4)");
    /* The channel's ticket settings: bound once, kept across resets. */
    sqlite3_bind_text(r->ticket_add, 2, "support", -1, SQLITE_STATIC);
    sqlite3_bind_text(r->ticket_add, 3, "new", -1, SQLITE_STATIC);
}

static void sqlr_close(sqlr *r)
{
    sqlite3_stmt *all[] = {r->begin, r->commit, r->rollback, r->contact_find, r->contact_add,
                           r->pick,  r->assign, r->conv_add, r->msg_add,      r->ticket_add};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        sqlite3_finalize(all[i]);
    if (sqlite3_close(r->db) != SQLITE_OK)
        sq_fail(r, "sqlite3_close");
    memset(r, 0, sizeof *r);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One inbound message opening a new conversation, in one transaction. */
static void sqlr_ingest(sqlr *r, const cib_inbound *m, sqlr_result *out)
{
    int64_t now = now_ms(), contact, conv;
    out->agent = 0;
    out->duplicate = 0;
    out->contact_created = 0;
    sq_done(r, r->begin);

    sqlite3_bind_text(r->contact_find, 1, m->from, (int)m->from_len, SQLITE_STATIC);
    int rc = sqlite3_step(r->contact_find);
    if (rc == SQLITE_ROW) {
        contact = sqlite3_column_int64(r->contact_find, 0);
    } else if (rc == SQLITE_DONE) {
        sqlite3_bind_text(r->contact_add, 1, m->from, (int)m->from_len, SQLITE_STATIC);
        sq_done(r, r->contact_add);
        contact = sqlite3_last_insert_rowid(r->db);
        out->contact_created = 1;
    } else {
        sq_fail(r, "contact lookup");
    }
    sqlite3_reset(r->contact_find);

    rc = sqlite3_step(r->pick);
    if (rc == SQLITE_ROW)
        out->agent = sqlite3_column_int64(r->pick, 0);
    else if (rc != SQLITE_DONE)
        sq_fail(r, "pick");
    sqlite3_reset(r->pick);
    if (out->agent) {
        sqlite3_bind_int64(r->assign, 1, r->seq + 1);
        sqlite3_bind_int64(r->assign, 2, out->agent);
        sq_done(r, r->assign);
    }

    sqlite3_bind_int64(r->conv_add, 1, contact);
    if (out->agent)
        sqlite3_bind_int64(r->conv_add, 2, out->agent);
    else
        sqlite3_bind_null(r->conv_add, 2);
    sqlite3_bind_int64(r->conv_add, 3, now);
    sq_done(r, r->conv_add);
    conv = sqlite3_last_insert_rowid(r->db);

    sqlite3_bind_int64(r->msg_add, 1, conv);
    sqlite3_bind_text(r->msg_add, 2, m->msg_id, (int)m->msg_id_len, SQLITE_STATIC);
    sqlite3_bind_text(r->msg_add, 3, m->text, (int)m->text_len, SQLITE_STATIC);
    sqlite3_bind_int64(r->msg_add, 4, now);
    rc = sqlite3_step(r->msg_add);
    sqlite3_reset(r->msg_add);
    if (rc == SQLITE_CONSTRAINT) { /* this msg_id was already accepted */
        sq_done(r, r->rollback);
        out->agent = 0;
        out->duplicate = 1;
        out->contact_created = 0;
        return;
    }
    if (rc != SQLITE_DONE)
        sq_fail(r, "message insert");

    sqlite3_bind_int64(r->ticket_add, 1, conv);
    if (out->agent)
        sqlite3_bind_int64(r->ticket_add, 4, out->agent);
    else
        sqlite3_bind_null(r->ticket_add, 4);
    sq_done(r, r->ticket_add);
    sq_done(r, r->commit);
    if (out->agent)
        r->seq++;
}

/* ---- the comparison ---- */

/* Runs s through both side by side; exits at the first decision that
 * differs. Ends with the stream's first message again, a duplicate. */
static void verify(cib_ctx *ctx, sqlr *q, const wl_stream *s, const char *what)
{
    for (long i = 0; i <= s->n; i++) {
        const cib_inbound *m = &s->msgs[i < s->n ? i : 0];
        cib_ingest_result r = CIB_INGEST_RESULT_INIT;
        bh_check(cib_ingest(ctx, m, &r), ctx, "cib_ingest");
        sqlr_result w;
        sqlr_ingest(q, m, &w);
        char lib[32], sql[32];
        snprintf(lib, sizeof lib, "%s", r.assignee ? r.assignee : "nobody");
        if (w.agent)
            snprintf(sql, sizeof sql, "u%lld", (long long)w.agent);
        else
            snprintf(sql, sizeof sql, "nobody");
        const char *differs = NULL;
        if (i == s->n) {
            if (!r.duplicate || !w.duplicate)
                differs = "a repeated message id is not a duplicate on both sides";
        } else if (r.duplicate || w.duplicate || !r.created || !r.ticket) {
            differs = "a message did not open a new conversation with a ticket";
        } else if (strcmp(lib, sql)) {
            differs = "the decisions differ";
        } else if (r.contact_created != w.contact_created) {
            differs = "one side created the contact, the other did not";
        }
        if (differs) {
            fprintf(stderr,
                    "sqlrouter: %s, message %ld (%.*s from %.*s): %s: library: assignee %s, "
                    "duplicate %d, contact created %d; SQL router: assignee %s, duplicate %d, "
                    "contact created %d\n",
                    what, i, (int)m->msg_id_len, m->msg_id, (int)m->from_len, m->from, differs, lib,
                    r.duplicate, r.contact_created, sql, w.duplicate, w.contact_created);
            exit(1);
        }
    }
}

static long run_library(cib_ctx *ctx, const wl_stream *s)
{
    long bad = 0;
    for (long i = 0; i < s->n; i++) {
        cib_ingest_result r = CIB_INGEST_RESULT_INIT;
        int rc = cib_ingest(ctx, &s->msgs[i], &r);
        if (rc)
            bh_check(rc, ctx, "cib_ingest");
        bad += !r.created | !r.ticket | !r.assignee;
    }
    return bad;
}

static long run_sql(sqlr *q, const wl_stream *s)
{
    long bad = 0;
    for (long i = 0; i < s->n; i++) {
        sqlr_result w;
        sqlr_ingest(q, &s->msgs[i], &w);
        bad += w.duplicate | !w.agent;
    }
    return bad;
}

/* Both sides over the same streams: `create` makes every sender new. */
static void compare(long users, long contacts, long ops, int create, long n_verify)
{
    wl_spec spec = {users, CIB_LEAST_LOADED, 0, 1, contacts};
    cib_ctx *ctx = wl_account(&spec);
    sqlr q;
    sqlr_open(&q, users, contacts);
    long senders = create ? 0 : contacts, first = 0;
    uint64_t seed = 42;
    char params[256], what[300];
    snprintf(params, sizeof params, "strategy=least_loaded users=%ld contacts=%ld tickets=1", users,
             contacts);
    snprintf(what, sizeof what, "%s%s", params, create ? " (new senders)" : "");

    wl_stream s;
    wl_stream_make(&s, n_verify, "m", first, senders, 0, &seed);
    first += n_verify;
    verify(ctx, &q, &s, what);
    wl_stream_free(&s);

    bh_meas lib, sql;
    bh_begin(&lib, create ? "sqlrouter.library_create" : "sqlrouter.library", params, ops);
    bh_begin(&sql, create ? "sqlrouter.sql_create" : "sqlrouter.sql", params, ops);
    long bad_lib = 0, bad_sql = 0;
    for (int rep = 0; bh_next(&lib) && bh_next(&sql); rep++) {
        wl_stream_make(&s, ops, "m", first, senders, 0, &seed);
        first += ops;
        for (int side = 0; side < 2; side++) {
            if ((side ^ rep) & 1) {
                bh_start(&sql);
                bad_sql += run_sql(&q, &s);
                bh_stop(&sql);
            } else {
                bh_start(&lib);
                bad_lib += run_library(ctx, &s);
                bh_stop(&lib);
            }
        }
        wl_stream_free(&s);
    }
    bh_end(&lib);
    bh_end(&sql);
    if (bad_lib || bad_sql) {
        fprintf(stderr,
                "sqlrouter: %s: %ld library and %ld SQL messages did not open an assigned "
                "conversation\n",
                what, bad_lib, bad_sql);
        exit(1);
    }
    if (!bh_valgrind())
        bh_value(create ? "sqlrouter.ratio_create" : "sqlrouter.ratio", params,
                 bh_median(&sql) / bh_median(&lib), "x");
    else if (lib.instr > 0 && sql.instr >= 0)
        bh_value(create ? "sqlrouter.instr_ratio_create" : "sqlrouter.instr_ratio", params,
                 sql.instr / lib.instr, "x");

    /* After the timed runs, still in step. */
    wl_stream_make(&s, n_verify / 5 + 1, "m", first, senders, 0, &seed);
    verify(ctx, &q, &s, what);
    wl_stream_free(&s);

    sqlr_close(&q);
    cib_ctx_free(ctx);
}

/* A decimal count in [min, max], or -1. */
static long parse_count(const char *s, long min, long max)
{
    if (*s < '0' || *s > '9')
        return -1;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    return v;
}

int main(int argc, char **argv)
{
    argc = bh_init("sqlrouter", argc, argv, 9);
    int q = bh_quick();
    long users = 0, contacts = 1000, ops = q ? 300 : 20000;
    static const long limits[][2] = {{1, 10000000}, {1, 100000000}, {1, 10000000}};
    long *const args[] = {&users, &contacts, &ops};
    if (argc > 4) {
        fputs(USAGE, stderr);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            fputs(USAGE, stdout);
            return 0;
        }
        long v = parse_count(argv[i], limits[i - 1][0], limits[i - 1][1]);
        if (v < 0) {
            fprintf(stderr, "sqlrouter: bad argument '%s'\n" USAGE, argv[i]);
            return 2;
        }
        *args[i - 1] = v;
    }
    /* One thread, no allocation statistics: SQLite without mutexes. */
    if (sqlite3_config(SQLITE_CONFIG_SINGLETHREAD) != SQLITE_OK ||
        sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) != SQLITE_OK ||
        sqlite3_initialize() != SQLITE_OK) {
        fprintf(stderr, "sqlrouter: cannot set SQLite up\n");
        return 1;
    }
    long n_verify = q ? 300 : 5000;
    bh_table("Least-loaded routing and ingest: the library and a reference SQL router (SQLite, "
             ":memory:)");
    static const long scales[] = {10, 1000, 100000};
    for (int create = 0; create < 2; create++) {
        if (users)
            compare(users, contacts, ops, create, n_verify);
        else
            for (int k = 0; k < (q ? 1 : 3); k++)
                compare(scales[k], contacts, ops, create, n_verify);
    }
    sqlite3_shutdown();
    return 0;
}
