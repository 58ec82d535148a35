/*
 * test_crash.c - libconvinbox-sqlite survives SIGKILL (R-HOST-1).
 *
 * A child process opens the database, ingests a deterministic stream of
 * inbound messages and acts on them (replies, comments, closes, assignments,
 * status flips, batches), reporting each call through a pipe: "start" before
 * it, a result record after it returned CIB_OK. The parent kills it with
 * SIGKILL after a random delay, reopens the database and checks, with the
 * library and with SQL, that every message whose call returned OK is stored
 * exactly once, that nothing is stored twice or half (a conversation without
 * its first message, a ticket without its conversation, an idempotency key
 * without its message, a batch in part), and that a message stored without
 * being reported comes back as a duplicate when it is sent again. The next
 * child continues after the last reported position.
 *
 * Records, one line each, written with write(2) as soon as a call returns:
 *   ready                 the context is open
 *   start P N             a call on stream positions P .. P+N-1 begins
 *   ok P ID               the inbound message at P was stored as message ID
 *   dup P ID              ... was a duplicate of message ID
 *   reply P ID, comment P ID, act P, skip P STATUS
 *                         an action returned (skip: refused as expected)
 *   done                  the stream is finished
 *   err P STATUS TEXT     an unexpected status; the child exits 3
 */
#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "support/sqlitetest.h"

/* Positions of the stream; message ids are "m%06u". */
#define STREAM_LEN  100000u
/* Batches cover whole blocks of positions (from the resume point on). */
#define BLOCK       8u
/* The stream's fixed seed (each test seeds its delays itself). */
#define STREAM_SEED 0x5eedc0ffee123457ULL
#define USERS       4u

/* ------------------------------------------------------------------------ */
/* The stream: a pure function of the position                              */
/* ------------------------------------------------------------------------ */

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t hash_at(unsigned pos, unsigned salt)
{
    return mix64(STREAM_SEED ^ ((uint64_t)pos << 8) ^ salt);
}

enum step_kind {
    STEP_INBOUND = 1,
    STEP_BATCH,
    STEP_REPLY,
    STEP_COMMENT,
    STEP_CLOSE,
    STEP_ASSIGN,
    STEP_STATUS
};

static int in_batch_block(unsigned pos)
{
    return hash_at(pos / BLOCK, 1) % 4 == 0;
}

static int step_kind(unsigned pos)
{
    if (in_batch_block(pos))
        return STEP_BATCH;
    unsigned h = (unsigned)(hash_at(pos, 2) % 100);
    return h < 78   ? STEP_INBOUND
           : h < 86 ? STEP_REPLY
           : h < 89 ? STEP_COMMENT
           : h < 94 ? STEP_CLOSE
           : h < 97 ? STEP_ASSIGN
                    : STEP_STATUS;
}

typedef struct msgbuf {
    char msg_id[16];
    char from[40];
    char thread[24];
    char text[48];
} msgbuf;

/* The inbound message at a position: email or chat; a new thread, a
 * follow-up on an earlier position's thread key, or no thread; a repeat
 * sender or a new one. */
static void message_at(unsigned pos, msgbuf *b, cib_inbound *m)
{
    uint64_t h = hash_at(pos, 3);
    int chat = h % 10 < 3;
    unsigned r = (unsigned)(h >> 8) % 100, who = (unsigned)(h >> 16) % 50;
    unsigned t = (unsigned)(h >> 24) % 100, back = 1 + (unsigned)(h >> 32) % 40;
    snprintf(b->msg_id, sizeof b->msg_id, "m%06u", pos);
    if (chat && r < 45)
        snprintf(b->from, sizeof b->from, "v%u", who % 30);
    else if (r < 80)
        snprintf(b->from, sizeof b->from, "s%u@example.com", who);
    else
        snprintf(b->from, sizeof b->from, "n%u@example.com", pos);
    if (t < 40 || (t < 85 && pos < back))
        snprintf(b->thread, sizeof b->thread, "t%u", pos);
    else if (t < 85)
        snprintf(b->thread, sizeof b->thread, "t%u", pos - back);
    else
        b->thread[0] = '\0';
    snprintf(b->text, sizeof b->text, "message %u\nsecond line", pos);
    cib_inbound init = CIB_INBOUND_INIT;
    *m = init;
    m->channel = chat ? "chat" : "mail";
    m->msg_id = b->msg_id;
    m->from = b->from;
    m->thread = b->thread[0] ? b->thread : NULL;
    m->text = b->text;
}

/* ------------------------------------------------------------------------ */
/* The child                                                                */
/* ------------------------------------------------------------------------ */

static void say(int fd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* One record, in one write(2): a record is shorter than PIPE_BUF, so it is
 * in the pipe whole or not at all. */
static void say(int fd, const char *fmt, ...)
{
    char line[384];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        _exit(5);
    size_t left = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    const char *p = line;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(4);
        p += w;
        left -= (size_t)w;
    }
}

static int send_ok(void *user_data, const cib_outbound *msg)
{
    (void)user_data;
    (void)msg;
    return 0;
}

/* Conversations this child has seen, the targets of its actions. */
typedef struct recent {
    uint64_t ids[32];
    size_t n, next;
} recent;

static void recent_add(recent *r, uint64_t id)
{
    if (!id) /* a duplicate whose conversation is gone */
        return;
    for (size_t i = 0; i < r->n; i++)
        if (r->ids[i] == id)
            return;
    r->ids[r->next] = id;
    r->next = (r->next + 1) % 32;
    if (r->n < 32)
        r->n++;
}

static void child_fail(int fd, cib_ctx *ctx, unsigned pos, int rc)
{
    say(fd, "err %u %d %s\n", pos, rc, cib_errmsg(ctx));
    _exit(3);
}

static void child_inbound(cib_ctx *ctx, int fd, unsigned pos, recent *rc_convs)
{
    msgbuf b;
    cib_inbound m;
    message_at(pos, &b, &m);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    say(fd, "start %u 1\n", pos);
    int rc = cib_ingest(ctx, &m, &r);
    if (rc != CIB_OK)
        child_fail(fd, ctx, pos, rc);
    say(fd, "%s %u %llu\n", r.duplicate ? "dup" : "ok", pos, (unsigned long long)r.message);
    recent_add(rc_convs, r.conversation);
}

static void child_batch(cib_ctx *ctx, int fd, unsigned pos, unsigned end, recent *rc_convs)
{
    msgbuf b[BLOCK];
    cib_inbound m[BLOCK];
    cib_ingest_result r[BLOCK];
    int statuses[BLOCK];
    unsigned n = end - pos;
    for (unsigned i = 0; i < n; i++) {
        cib_ingest_result init = CIB_INGEST_RESULT_INIT;
        message_at(pos + i, &b[i], &m[i]);
        r[i] = init;
    }
    say(fd, "start %u %u\n", pos, n);
    int rc = cib_ingest_batch(ctx, m, n, r, statuses);
    if (rc != CIB_OK)
        child_fail(fd, ctx, pos, rc);
    for (unsigned i = 0; i < n; i++) {
        if (statuses[i] != CIB_OK)
            child_fail(fd, ctx, pos + i, statuses[i]);
        say(fd, "%s %u %llu\n", r[i].duplicate ? "dup" : "ok", pos + i,
            (unsigned long long)r[i].message);
        recent_add(rc_convs, r[i].conversation);
    }
}

static void child_action(cib_ctx *ctx, int fd, unsigned pos, int kind, const recent *convs)
{
    uint64_t h = hash_at(pos, 4);
    char user[8], to[8];
    snprintf(user, sizeof user, "u%u", (unsigned)(h % USERS));
    snprintf(to, sizeof to, "u%u", (unsigned)((h >> 8) % USERS));
    if (kind == STEP_STATUS) {
        say(fd, "start %u 1\n", pos);
        int rc = cib_user_set_status(ctx, user, CIB_NTS, (h >> 16) & 1 ? CIB_AVAILABLE : CIB_AWAY);
        if (rc != CIB_OK)
            child_fail(fd, ctx, pos, rc);
        say(fd, "act %u\n", pos);
        return;
    }
    if (!convs->n) {
        say(fd, "skip %u 0\n", pos);
        return;
    }
    uint64_t cv = convs->ids[(h >> 24) % convs->n];
    uint64_t msg = 0;
    char text[64];
    snprintf(text, sizeof text, "answer %u", pos);
    say(fd, "start %u 1\n", pos);
    int rc;
    switch (kind) {
    case STEP_REPLY:
        rc = cib_reply(ctx, user, CIB_NTS, cv, text, CIB_NTS, NULL, 0, &msg);
        break;
    case STEP_COMMENT:
        rc = cib_comment(ctx, user, CIB_NTS, cv, text, CIB_NTS, &msg);
        break;
    case STEP_CLOSE:
        rc = cib_close(ctx, user, CIB_NTS, cv);
        break;
    default:
        rc = cib_assign(ctx, user, CIB_NTS, cv, to, CIB_NTS);
        break;
    }
    /* Closing a closed conversation, assigning one: refused, as documented. */
    if (rc == CIB_EINVAL && (kind == STEP_CLOSE || kind == STEP_ASSIGN)) {
        say(fd, "skip %u %d\n", pos, rc);
        return;
    }
    if (rc != CIB_OK)
        child_fail(fd, ctx, pos, rc);
    if (kind == STEP_REPLY || kind == STEP_COMMENT)
        say(fd, "%s %u %llu\n", kind == STEP_REPLY ? "reply" : "comment", pos,
            (unsigned long long)msg);
    else
        say(fd, "act %u\n", pos);
}

/* Never returns: runs the stream from `start` until killed, or to its end. */
static void child_main(const char *path, int sync, unsigned start, int fd)
{
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.synchronous = sync;
    cib_store st;
    char err[512];
    if (cib_sqlite_open(path, &so, &st, err, sizeof err) != CIB_OK) {
        say(fd, "err %u -10 cib_sqlite_open: %s\n", start, err);
        _exit(2);
    }
    cib_sender snd = CIB_SENDER_INIT;
    snd.email = send_ok;
    snd.chat = send_ok;
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    o.sender = &snd;
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    cib_ctx *ctx = NULL;
    int rc = cib_ctx_new(&o, &ctx);
    if (rc != CIB_OK) {
        say(fd, "err %u %d cib_ctx_new: %s\n", start, rc, err);
        _exit(2);
    }
    say(fd, "ready\n");
    recent convs = {{0}, 0, 0};
    unsigned pos = start;
    while (pos < STREAM_LEN) {
        int kind = step_kind(pos);
        if (kind == STEP_BATCH) {
            unsigned end = (pos / BLOCK + 1) * BLOCK;
            if (end > STREAM_LEN)
                end = STREAM_LEN;
            child_batch(ctx, fd, pos, end, &convs);
            pos = end;
            continue;
        }
        if (kind == STEP_INBOUND)
            child_inbound(ctx, fd, pos, &convs);
        else
            child_action(ctx, fd, pos, kind, &convs);
        pos++;
    }
    say(fd, "done\n");
    cib_ctx_free(ctx);
    st.close(st.user_data);
    _exit(0);
}

/* ------------------------------------------------------------------------ */
/* The parent                                                               */
/* ------------------------------------------------------------------------ */

/* flags[] */
enum { F_STARTED = 1, F_REPORTED = 2 };

typedef struct crashrun {
    const char *label;
    char path[400];
    int sync;
    uint64_t rng;
    int slow; /* running under valgrind: longer delays */
    /* Per position. */
    unsigned char *flags;
    uint64_t *stored;   /* its message id at the last check; 0: not stored */
    uint64_t *reported; /* the message id the child reported */
    unsigned char *count, *dedup;
    uint64_t *cur;
    unsigned hi; /* one past the highest position ever started */
    /* Replies and comments reported OK: they must stay. */
    uint64_t *acts;
    size_t n_acts, cap_acts;
    /* This round. */
    unsigned *round_pos; /* positions reported (ok or dup) */
    size_t n_round;
    unsigned *round_started;
    size_t n_started, cap_started;
    unsigned call_pos, call_n; /* the call in progress at the kill, if any */
    int in_call;
    int ready, done;
    unsigned start; /* where this round's child began */
    unsigned next;  /* where the next one begins */
    /* Totals. */
    long rounds, kills, kills_in_call, kills_opening, finished;
    long stored_msgs, dups, resent, unreported, redelivered, in_call_batches;
    long replies;
} crashrun;

static uint64_t rng_next(crashrun *cr)
{
    cr->rng = mix64(cr->rng);
    return cr->rng;
}

static int under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A growing buffer of the child's records. */
typedef struct inbuf {
    char *p;
    size_t n, cap;
} inbuf;

/* Read what is there; returns 0 at end of file. */
static int inbuf_read(inbuf *b, int fd)
{
    if (b->cap - b->n < 4096) {
        b->cap = b->cap ? b->cap * 2 : 65536;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    ssize_t r;
    do
        r = read(fd, b->p + b->n, b->cap - b->n - 1);
    while (r < 0 && errno == EINTR);
    assert_true(r >= 0);
    b->n += (size_t)r;
    b->p[b->n] = '\0';
    return r > 0;
}

/* Wait until the child says "ready" or exits, at most `ms`. Returns 0 on a
 * timeout or a read error: the caller kills the child before failing. */
static int wait_ready(inbuf *b, int fd, int64_t ms)
{
    int64_t until = now_ms() + ms;
    while (!(b->p && strstr(b->p, "ready\n"))) {
        int64_t left = until - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return 0;
        if (r > 0 && !inbuf_read(b, fd))
            return 1; /* it exited: its status tells why */
    }
    return 1;
}

static void push_uint(unsigned **v, size_t *n, size_t *cap, unsigned x)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *v = realloc(*v, *cap * sizeof **v);
        assert_non_null(*v);
    }
    (*v)[(*n)++] = x;
}

static void push_act(crashrun *cr, uint64_t id)
{
    if (cr->n_acts == cr->cap_acts) {
        cr->cap_acts = cr->cap_acts ? cr->cap_acts * 2 : 256;
        cr->acts = realloc(cr->acts, cr->cap_acts * sizeof *cr->acts);
        assert_non_null(cr->acts);
    }
    cr->acts[cr->n_acts++] = id;
}

static void check_pos(const crashrun *cr, unsigned p, const char *line)
{
    if (p >= STREAM_LEN)
        fail_msg("%s: record for position %u out of the stream: %s", cr->label, p, line);
}

/* One record of the child. */
static void take_record(crashrun *cr, char *line)
{
    char word[16];
    unsigned p = 0, n = 0;
    unsigned long long id = 0;
    if (sscanf(line, "%15s", word) != 1)
        fail_msg("%s: empty record", cr->label);
    if (!strcmp(word, "ready")) {
        cr->ready = 1;
    } else if (!strcmp(word, "done")) {
        cr->done = 1;
    } else if (!strcmp(word, "err")) {
        fail_msg("%s: the child failed: %s", cr->label, line);
    } else if (!strcmp(word, "start")) {
        if (sscanf(line, "start %u %u", &p, &n) != 2 || n == 0 || n > BLOCK || p + n > STREAM_LEN)
            fail_msg("%s: bad record: %s", cr->label, line);
        for (unsigned i = p; i < p + n; i++) {
            if (cr->flags[i] & F_STARTED)
                cr->resent++; /* sent again: after the last reported position */
            cr->flags[i] |= F_STARTED;
            push_uint(&cr->round_started, &cr->n_started, &cr->cap_started, i);
        }
        if (p + n > cr->hi)
            cr->hi = p + n;
        cr->in_call = 1;
        cr->call_pos = p;
        cr->call_n = n;
    } else if (!strcmp(word, "ok") || !strcmp(word, "dup")) {
        if (sscanf(line, "%*s %u %llu", &p, &id) != 2 || id == 0)
            fail_msg("%s: bad record: %s", cr->label, line);
        check_pos(cr, p, line);
        if (!(cr->flags[p] & F_STARTED))
            fail_msg("%s: reported before it started: %s", cr->label, line);
        /* A new message was not stored before this round; a duplicate was,
         * as that message. */
        if (word[0] == 'o' && cr->stored[p])
            fail_msg("%s: position %u was stored as message %llu before, and accepted again as "
                     "new message %llu",
                     cr->label, p, (unsigned long long)cr->stored[p], id);
        if (word[0] == 'd') {
            cr->dups++;
            if (cr->stored[p] != id)
                fail_msg("%s: position %u reported as a duplicate of message %llu, but %s",
                         cr->label, p, id,
                         cr->stored[p] ? "it was stored as another" : "it was not stored");
        }
        cr->flags[p] |= F_REPORTED;
        cr->reported[p] = id;
        cr->round_pos[cr->n_round++] = p;
        cr->in_call = 0;
        if (p + 1 > cr->next)
            cr->next = p + 1;
    } else if (!strcmp(word, "reply") || !strcmp(word, "comment")) {
        if (sscanf(line, "%*s %u %llu", &p, &id) != 2 || id == 0)
            fail_msg("%s: bad record: %s", cr->label, line);
        check_pos(cr, p, line);
        push_act(cr, id);
        cr->replies++;
        cr->in_call = 0;
        if (p + 1 > cr->next)
            cr->next = p + 1;
    } else if (!strcmp(word, "act") || !strcmp(word, "skip")) {
        if (sscanf(line, "%*s %u", &p) != 1)
            fail_msg("%s: bad record: %s", cr->label, line);
        check_pos(cr, p, line);
        cr->in_call = 0;
        if (p + 1 > cr->next)
            cr->next = p + 1;
    } else {
        fail_msg("%s: unknown record: %s", cr->label, line);
    }
}

/* ---- checks of the reopened database ---- */

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("preparing %s: %s", sql, sqlite3_errmsg(db));
    return st;
}

static long long sql_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = prep(db, sql);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static uint64_t col_id(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? strtoull((const char *)t, NULL, 10) : 0;
}

static const char *col_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t ? (const char *)t : "";
}

/* "m%06u": its position, or -1. */
static long pos_of(const char *msg_id)
{
    if (msg_id[0] != 'm' || strlen(msg_id) != 7)
        return -1;
    char *end;
    unsigned long v = strtoul(msg_id + 1, &end, 10);
    return *end || v >= STREAM_LEN ? -1 : (long)v;
}

/* Messages: each inbound one is a message of the stream that some child
 * started, stored once; every message's conversation and contact exist;
 * replies and comments reported OK are there. */
static void check_messages(crashrun *cr, sqlite3 *db)
{
    memset(cr->count, 0, STREAM_LEN);
    memset(cr->dedup, 0, STREAM_LEN);
    sqlite3_stmt *st =
        prep(db, "SELECT m.id, m.msg_id, m.kind, m.channel, "
                 "(SELECT count(*) FROM conversations c WHERE c.id = m.conversation), "
                 "m.contact IS NULL OR "
                 "(SELECT count(*) FROM contacts k WHERE k.id = m.contact) "
                 "FROM messages m");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t id = col_id(st, 0);
        const char *kind = col_text(st, 2);
        if (sqlite3_column_int(st, 4) != 1)
            fail_msg("%s: message %llu has no conversation", cr->label, (unsigned long long)id);
        if (sqlite3_column_int(st, 5) != 1)
            fail_msg("%s: message %llu has no contact", cr->label, (unsigned long long)id);
        if (strcmp(kind, "inbound"))
            continue;
        long p = pos_of(col_text(st, 1));
        if (p < 0)
            fail_msg("%s: message %llu has msg_id '%s', not one of the stream's", cr->label,
                     (unsigned long long)id, col_text(st, 1));
        if (!(cr->flags[p] & F_STARTED))
            fail_msg("%s: message m%06ld is stored but no child ever sent it", cr->label, p);
        if (cr->count[p]++)
            fail_msg("%s: message m%06ld is stored twice (messages %llu and %llu)", cr->label, p,
                     (unsigned long long)cr->cur[p], (unsigned long long)id);
        cr->cur[p] = id;
    }
    if (rc != SQLITE_DONE)
        fail_msg("%s: reading messages: %s", cr->label, sqlite3_errmsg(db));
    sqlite3_finalize(st);

    /* The same question in SQL, per channel. */
    assert_int_equal(sql_int(db, "SELECT count(*) FROM (SELECT channel, msg_id FROM messages "
                                 "WHERE msg_id IS NOT NULL GROUP BY channel, msg_id "
                                 "HAVING count(*) > 1)"),
                     0);

    st = prep(db, "SELECT kind FROM messages WHERE id = ?");
    for (size_t i = 0; i < cr->n_acts; i++) {
        char key[24];
        snprintf(key, sizeof key, "%llu", (unsigned long long)cr->acts[i]);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_ROW)
            fail_msg("%s: reply or comment %s returned OK but is not stored", cr->label, key);
        const char *kind = col_text(st, 0);
        if (strcmp(kind, "reply") && strcmp(kind, "comment"))
            fail_msg("%s: message %s is a %s, not a reply or comment", cr->label, key, kind);
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
}

/* Idempotency keys: each names a stored message of its conversation, with
 * the same channel and msg_id; each stored inbound message has one. */
static void check_dedup(crashrun *cr, sqlite3 *db)
{
    sqlite3_stmt *st =
        prep(db, "SELECT d.key, d.msg_id, d.message, "
                 "(SELECT count(*) FROM messages m WHERE m.id = d.message AND m.conversation = "
                 "d.conversation AND m.msg_id = d.msg_id AND m.channel = d.channel "
                 "AND m.kind = 'inbound'), "
                 "(SELECT count(*) FROM conversations c WHERE c.id = d.conversation) "
                 "FROM dedup_keys d");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int(st, 3) != 1 || sqlite3_column_int(st, 4) != 1)
            fail_msg("%s: idempotency key %s (msg_id %s) without its message %s or its "
                     "conversation",
                     cr->label, col_text(st, 0), col_text(st, 1), col_text(st, 2));
        long p = pos_of(col_text(st, 1));
        assert_true(p >= 0); /* its message exists, so it is one of the stream's */
        if (cr->dedup[p]++)
            fail_msg("%s: message m%06ld has two idempotency keys", cr->label, p);
    }
    if (rc != SQLITE_DONE)
        fail_msg("%s: reading dedup_keys: %s", cr->label, sqlite3_errmsg(db));
    sqlite3_finalize(st);
}

/* Conversations: each has its messages (n_messages of them, the first one
 * inbound), its contact, its ticket (an email conversation: the channel's
 * rule opens one with every conversation) and its thread row; the library
 * reads each as stored. Tickets and threads each have their conversation. */
static void check_conversations(crashrun *cr, sqlite3 *db, cib_ctx *ctx)
{
    sqlite3_stmt *st =
        prep(db, "SELECT c.id, c.channel, c.n_messages, c.ticket, c.thread, c.status, "
                 "(SELECT count(*) FROM messages m WHERE m.conversation = c.id), "
                 "(SELECT kind FROM messages m WHERE m.conversation = c.id "
                 " ORDER BY CAST(m.id AS INTEGER) LIMIT 1), "
                 "c.ticket IS NULL OR (SELECT count(*) FROM tickets t WHERE t.id = c.ticket "
                 " AND t.conversation = c.id), "
                 "c.thread IS NULL OR (SELECT count(*) FROM threads h WHERE h.key = c.thread "
                 " AND h.conversation = c.id), "
                 "(SELECT count(*) FROM contacts k WHERE k.id = c.contact) "
                 "FROM conversations c");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t id = col_id(st, 0);
        unsigned long long uid = (unsigned long long)id;
        long long n_messages = sqlite3_column_int64(st, 2), rows = sqlite3_column_int64(st, 6);
        if (rows < 1)
            fail_msg("%s: conversation %llu has no message", cr->label, uid);
        if (n_messages != rows)
            fail_msg("%s: conversation %llu says %lld messages but has %lld", cr->label, uid,
                     n_messages, rows);
        if (strcmp(col_text(st, 7), "inbound"))
            fail_msg("%s: the first message of conversation %llu is a %s", cr->label, uid,
                     col_text(st, 7));
        if (sqlite3_column_int(st, 8) != 1)
            fail_msg("%s: conversation %llu names ticket %s, which is not its", cr->label, uid,
                     col_text(st, 3));
        if (!strcmp(col_text(st, 1), "mail") && sqlite3_column_type(st, 3) == SQLITE_NULL)
            fail_msg("%s: email conversation %llu has no ticket", cr->label, uid);
        if (sqlite3_column_int(st, 9) != 1)
            fail_msg("%s: conversation %llu has no thread row %s", cr->label, uid, col_text(st, 4));
        if (sqlite3_column_int(st, 10) != 1)
            fail_msg("%s: conversation %llu has no contact", cr->label, uid);
        cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
        int grc = cib_conversation_get(ctx, NULL, 0, id, &ci);
        if (grc != CIB_OK)
            fail_msg("%s: cib_conversation_get(%llu): %s", cr->label, uid, cib_errmsg(ctx));
        assert_int_equal(ci.n_messages, n_messages);
        assert_int_equal(ci.ticket, col_id(st, 3));
        assert_int_equal(ci.status,
                         strcmp(col_text(st, 5), "open") ? CIB_STATUS_CLOSED : CIB_STATUS_OPEN);
    }
    if (rc != SQLITE_DONE)
        fail_msg("%s: reading conversations: %s", cr->label, sqlite3_errmsg(db));
    sqlite3_finalize(st);

    st = prep(db, "SELECT t.id, t.conversation, (SELECT count(*) FROM conversations c WHERE "
                  "c.id = t.conversation AND c.ticket = t.id) FROM tickets t");
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        uint64_t id = col_id(st, 0);
        if (sqlite3_column_int(st, 2) != 1)
            fail_msg("%s: ticket %llu without its conversation %s", cr->label,
                     (unsigned long long)id, col_text(st, 1));
        cib_ticket_info ti = CIB_TICKET_INFO_INIT;
        if (cib_ticket_get(ctx, NULL, 0, id, &ti) != CIB_OK)
            fail_msg("%s: cib_ticket_get(%llu): %s", cr->label, (unsigned long long)id,
                     cib_errmsg(ctx));
        assert_int_equal(ti.conversation, col_id(st, 1));
    }
    if (rc != SQLITE_DONE)
        fail_msg("%s: reading tickets: %s", cr->label, sqlite3_errmsg(db));
    sqlite3_finalize(st);

    assert_int_equal(sql_int(db, "SELECT count(*) FROM threads h WHERE NOT EXISTS (SELECT 1 FROM "
                                 "conversations c WHERE c.id = h.conversation)"),
                     0);
    /* Library ids are never reused: the account's next id is past them. */
    long long next_id = sql_int(db, "SELECT next_id FROM account");
    assert_true(sql_int(db, "SELECT coalesce(max(CAST(id AS INTEGER)), 0) FROM messages") <
                next_id);
    assert_true(sql_int(db, "SELECT coalesce(max(CAST(id AS INTEGER)), 0) FROM conversations") <
                next_id);
    assert_true(sql_int(db, "SELECT coalesce(max(CAST(id AS INTEGER)), 0) FROM tickets") < next_id);
    assert_true(sql_int(db, "SELECT coalesce(max(CAST(substr(id, 6) AS INTEGER)), 0) FROM "
                            "contacts WHERE id LIKE 'cib:c%'") < next_id);
}

/* Per position: what was reported is stored once, as reported, with its
 * key; what was stored stays; a call cut short by the kill stored all of
 * its messages or none. */
static void check_positions(crashrun *cr)
{
    long stored = 0;
    for (unsigned p = 0; p < cr->hi; p++) {
        uint64_t now = cr->count[p] ? cr->cur[p] : 0;
        if (cr->count[p] != cr->dedup[p])
            fail_msg("%s: message m%06u is stored %d times with %d idempotency keys", cr->label, p,
                     cr->count[p], cr->dedup[p]);
        if ((cr->flags[p] & F_REPORTED) && now != cr->reported[p])
            fail_msg("%s: message m%06u returned OK as message %llu, but %s", cr->label, p,
                     (unsigned long long)cr->reported[p],
                     now ? "another message holds it" : "it is not stored");
        if (cr->stored[p] && now != cr->stored[p])
            fail_msg("%s: message m%06u (message %llu) was stored and is now lost", cr->label, p,
                     (unsigned long long)cr->stored[p]);
        stored += now != 0;
    }
    if (cr->in_call && cr->call_n > 1) {
        unsigned fresh = 0, kept = 0;
        for (unsigned p = cr->call_pos; p < cr->call_pos + cr->call_n; p++)
            if (!cr->stored[p]) {
                fresh++;
                kept += cr->count[p] != 0;
            }
        if (kept && kept != fresh)
            fail_msg("%s: a batch cut short at m%06u kept %u of its %u new messages", cr->label,
                     cr->call_pos, kept, fresh);
        cr->in_call_batches++;
    }
    /* Stored without being reported: the next child sends them again. */
    for (size_t i = 0; i < cr->n_started; i++) {
        unsigned p = cr->round_started[i];
        if (cr->count[p] && !cr->stored[p] && !(cr->flags[p] & F_REPORTED))
            cr->unreported++;
    }
    cr->stored_msgs = stored;
}

static void redeliver_one(crashrun *cr, cib_ctx *ctx, unsigned p)
{
    msgbuf b;
    cib_inbound m;
    message_at(p, &b, &m);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    if (cib_ingest(ctx, &m, &r) != CIB_OK)
        fail_msg("%s: sending m%06u again: %s", cr->label, p, cib_errmsg(ctx));
    if (!r.duplicate || r.message != cr->cur[p])
        fail_msg("%s: m%06u sent again: duplicate %d, message %llu (stored: %llu)", cr->label, p,
                 r.duplicate, (unsigned long long)r.message, (unsigned long long)cr->cur[p]);
    cr->redelivered++;
}

/* Send messages known to be stored again (a sample of those reported this
 * round, all of those stored without being reported): each is a duplicate
 * of its message, and nothing changes (a duplicate is a read-only path). */
static void redeliver(crashrun *cr, cib_ctx *ctx, sqlite3 *db)
{
    char *before = NULL, *after = NULL;
    assert_int_equal(cib_dump(ctx, &before, NULL), CIB_OK);
    long long version = sql_int(db, "PRAGMA data_version");
    size_t step = cr->n_round > 24 ? cr->n_round / 24 : 1;
    for (size_t i = 0; i < cr->n_round; i += step)
        redeliver_one(cr, ctx, cr->round_pos[i]);
    for (size_t i = 0; i < cr->n_started; i++) {
        unsigned p = cr->round_started[i];
        if (cr->count[p] && !(cr->flags[p] & F_REPORTED))
            redeliver_one(cr, ctx, p);
    }
    assert_int_equal(sql_int(db, "PRAGMA data_version"), version);
    assert_int_equal(cib_dump(ctx, &after, NULL), CIB_OK);
    assert_string_equal(before, after);
    cib_free(ctx, before);
    cib_free(ctx, after);
}

/* Reopen the database after a kill and check everything. */
static void verify(crashrun *cr)
{
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.synchronous = cr->sync;
    so.must_exist = 1;
    cib_store st;
    char err[512];
    if (cib_sqlite_open(cr->path, &so, &st, err, sizeof err) != CIB_OK)
        fail_msg("%s: reopening after the kill: %s", cr->label, err);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    cib_ctx *ctx = NULL;
    if (cib_ctx_new(&o, &ctx) != CIB_OK)
        fail_msg("%s: cib_ctx_new after the kill: %s", cr->label, err);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(cr->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("%s: sqlite3_open_v2: %s", cr->label, db ? sqlite3_errmsg(db) : "no memory");
    sqlite3_stmt *qc = prep(db, "PRAGMA quick_check");
    assert_int_equal(sqlite3_step(qc), SQLITE_ROW);
    assert_string_equal(col_text(qc, 0), "ok");
    sqlite3_finalize(qc);

    check_messages(cr, db);
    check_dedup(cr, db);
    check_conversations(cr, db, ctx);
    check_positions(cr);
    redeliver(cr, ctx, db);

    char *dump = NULL;
    assert_int_equal(cib_dump(ctx, &dump, NULL), CIB_OK);
    assert_non_null(strstr(dump, "account created_at="));
    cib_free(ctx, dump);
    assert_int_equal(sqlite3_close(db), SQLITE_OK);
    cib_ctx_free(ctx);
    st.close(st.user_data);
    /* What is stored now must stay. */
    for (unsigned p = 0; p < cr->hi; p++)
        cr->stored[p] = cr->count[p] ? cr->cur[p] : 0;
}

/* ---- the account ---- */

static void must(cib_ctx *ctx, int rc, const char *what)
{
    if (rc != CIB_OK)
        fail_msg("%s: %s", what, cib_errmsg(ctx));
}

/* Agents u0..u3 (u0..u2 available, u2 and u3 with small capacities), an
 * inbox with an email channel (round robin over a team, a ticket with each
 * conversation) and a chat channel (least loaded over u2 and u3, with a
 * waiting queue). */
static void create_account(const crashrun *cr)
{
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.synchronous = cr->sync;
    cib_store st;
    char err[512];
    if (cib_sqlite_open(cr->path, &so, &st, err, sizeof err) != CIB_OK)
        fail_msg("cib_sqlite_open: %s", err);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    cib_ctx *ctx = NULL;
    if (cib_ctx_new(&o, &ctx) != CIB_OK)
        fail_msg("cib_ctx_new: %s", err);

    for (unsigned i = 0; i < USERS; i++) {
        char id[8], name[32], email[40];
        snprintf(id, sizeof id, "u%u", i);
        snprintf(name, sizeof name, "Agent %c", 'A' + i);
        snprintf(email, sizeof email, "u%u@staff.example", i);
        cib_user_def u = CIB_USER_DEF_INIT;
        u.id = id;
        u.name = name;
        u.email = email;
        u.capacity = i == 2 ? 3 : i == 3 ? 4 : 0;
        must(ctx, cib_user_add(ctx, &u), "cib_user_add");
        must(ctx, cib_user_set_status(ctx, id, CIB_NTS, i < 3 ? CIB_AVAILABLE : CIB_AWAY),
             "cib_user_set_status");
    }
    static const char *const members[] = {"u0", "u1", "u2"};
    cib_team_def team = CIB_TEAM_DEF_INIT;
    team.id = "agents";
    team.members = members;
    team.n_members = 3;
    must(ctx, cib_team_add(ctx, &team), "cib_team_add");
    static const char *const stages[] = {"new", "open", "done"};
    cib_pipeline_def pl = CIB_PIPELINE_DEF_INIT;
    pl.id = "support";
    pl.stages = stages;
    pl.n_stages = 3;
    must(ctx, cib_pipeline_add(ctx, &pl), "cib_pipeline_add");
    cib_inbox_def ib = CIB_INBOX_DEF_INIT;
    ib.id = "support";
    ib.name = "Support";
    must(ctx, cib_inbox_add(ctx, &ib), "cib_inbox_add");

    static const int team_kind[] = {CIB_TARGET_TEAM};
    static const char *const team_ids[] = {"agents"};
    cib_routing_def rr = CIB_ROUTING_DEF_INIT;
    rr.mode = CIB_ROUTE_SPECIFIC;
    rr.strategy = CIB_ROUND_ROBIN;
    rr.target_kinds = team_kind;
    rr.target_ids = team_ids;
    rr.n_targets = 1;
    cib_ticket_def tk = CIB_TICKET_DEF_INIT;
    tk.automatic = 1;
    tk.pipeline = "support";
    tk.stage = "new";
    cib_channel_def mail = CIB_CHANNEL_DEF_INIT;
    mail.id = "mail";
    mail.inbox = "support";
    mail.type = CIB_CHANNEL_EMAIL;
    mail.address = "help@acme.example";
    mail.routing = &rr;
    mail.tickets = &tk;
    must(ctx, cib_channel_add(ctx, &mail), "cib_channel_add mail");

    static const int user_kinds[] = {CIB_TARGET_USER, CIB_TARGET_USER};
    static const char *const user_ids[] = {"u2", "u3"};
    cib_routing_def ll = CIB_ROUTING_DEF_INIT;
    ll.mode = CIB_ROUTE_SPECIFIC;
    ll.strategy = CIB_LEAST_LOADED;
    ll.target_kinds = user_kinds;
    ll.target_ids = user_ids;
    ll.n_targets = 2;
    ll.queue = 1;
    cib_channel_def chat = CIB_CHANNEL_DEF_INIT;
    chat.id = "chat";
    chat.inbox = "support";
    chat.type = CIB_CHANNEL_CHAT;
    chat.routing = &ll;
    must(ctx, cib_channel_add(ctx, &chat), "cib_channel_add chat");

    cib_ctx_free(ctx);
    st.close(st.user_data);
}

/* ---- the loop ---- */

static void round_once(crashrun *cr)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    cr->start = cr->next;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_main(cr->path, cr->sync, cr->start, fds[1]);
    }
    close(fds[1]);
    inbuf in = {NULL, 0, 0};
    uint64_t r = rng_next(cr);
    /* Mostly wait until the child is at work; sometimes kill it while it
     * opens the database (recovering what the last one left). */
    int at_work = r % 8 != 0;
    long scale = cr->slow ? 30 : 1;
    int64_t limit = cr->slow ? 120000 : 10000;
    int hung = at_work && !wait_ready(&in, fds[0], limit);
    /* Mixed delays: very short ones land inside a call, longer ones after
     * many calls. */
    unsigned band = (unsigned)(r >> 8) % 10;
    long us = band < 3   ? (long)((r >> 16) % 150)
              : band < 7 ? 150 + (long)((r >> 16) % 1200)
              : band < 9 ? 1000 + (long)((r >> 16) % 4000)
                         : 5000 + (long)((r >> 16) % 15000);
    sleep_us(us * scale);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    assert_int_equal(w, pid);
    while (inbuf_read(&in, fds[0]))
        ;
    close(fds[0]);
    if (hung)
        fail_msg("%s: the child did not open the database within %lld ms", cr->label,
                 (long long)limit);

    cr->n_round = 0;
    cr->n_started = 0;
    cr->in_call = cr->ready = cr->done = 0;
    size_t lines = 0;
    for (size_t i = 0; i < in.n; i++)
        lines += in.p[i] == '\n';
    cr->round_pos = realloc(cr->round_pos, (lines + 1) * sizeof *cr->round_pos);
    assert_non_null(cr->round_pos);
    char *save = NULL;
    for (char *line = in.n ? strtok_r(in.p, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save))
        take_record(cr, line);
    free(in.p);

    cr->rounds++;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        cr->kills++;
        if (!cr->ready)
            cr->kills_opening++;
        else if (cr->in_call)
            cr->kills_in_call++;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && cr->done) {
        cr->finished++;
    } else {
        fail_msg("%s: the child ended with status %d", cr->label, status);
    }
    verify(cr);
}

static void run_kills(const char *label, int sync, long kills, long slow_kills, uint64_t seed)
{
    crashrun *cr = calloc(1, sizeof *cr);
    assert_non_null(cr);
    cr->label = label;
    cr->sync = sync;
    cr->rng = seed;
    cr->slow = under_valgrind();
    long want = cr->slow ? slow_kills : kills;
    snprintf(cr->path, sizeof cr->path, "%s", sqlitetest_path());
    cr->flags = calloc(STREAM_LEN, 1);
    cr->count = calloc(STREAM_LEN, 1);
    cr->dedup = calloc(STREAM_LEN, 1);
    cr->stored = calloc(STREAM_LEN, sizeof *cr->stored);
    cr->reported = calloc(STREAM_LEN, sizeof *cr->reported);
    cr->cur = calloc(STREAM_LEN, sizeof *cr->cur);
    assert_true(cr->flags && cr->count && cr->dedup && cr->stored && cr->reported && cr->cur);
    create_account(cr);
    while (cr->kills < want) {
        if (cr->rounds >= 4 * want)
            fail_msg("%s: only %ld kills in %ld runs: the children finish the stream (%u "
                     "positions) before they are killed",
                     label, cr->kills, cr->rounds, STREAM_LEN);
        round_once(cr);
    }
    fprintf(stderr,
            "# %s: %ld kills (%ld during a call, %ld while opening), %ld runs finished; "
            "%ld messages stored, %ld re-sent (%ld stored but unreported), %ld came back as "
            "duplicates, %ld checked again; %ld batches cut short; %ld replies and comments\n",
            label, cr->kills, cr->kills_in_call, cr->kills_opening, cr->finished, cr->stored_msgs,
            cr->resent, cr->unreported, cr->dups, cr->redelivered, cr->in_call_batches,
            cr->replies);
    /* The kills must have hit calls at work, in a database with messages. */
    assert_true(cr->kills >= want);
    assert_true(cr->kills_in_call > 0);
    assert_true(cr->stored_msgs > 0);
    free(cr->flags);
    free(cr->count);
    free(cr->dedup);
    free(cr->stored);
    free(cr->reported);
    free(cr->cur);
    free(cr->acts);
    free(cr->round_pos);
    free(cr->round_started);
    free(cr);
}

static void test_kill9_nothing_lost_or_doubled_R_HOST_1(void **state)
{
    (void)state;
    run_kills("normal", CIB_SQLITE_NORMAL, 150, 50, 0x1234abcdULL);
}

static void test_kill9_full_sync_R_HOST_1(void **state)
{
    (void)state;
    run_kills("full", CIB_SQLITE_FULL, 50, 12, 0x9876fedcULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_nothing_lost_or_doubled_R_HOST_1),
        cmocka_unit_test(test_kill9_full_sync_R_HOST_1),
    };
    int rc = TENV_RUN(tests);
    sqlitetest_cleanup();
    return rc;
}
