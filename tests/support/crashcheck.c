/* crashcheck.c - the parent side of the crash test (see crashcheck.h): the
 * children's records taken in, and the reopened database checked with the
 * library and with SQL. */
#include "crashcheck.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "crashchild.h"
#include "sqlitetest.h"

/* ---- the records ---- */

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

static void push_close(crashrun *cr, uint64_t conv, uint64_t n)
{
    if (cr->n_closes + 2 > cr->cap_closes) {
        cr->cap_closes = cr->cap_closes ? cr->cap_closes * 2 : 256;
        cr->closes = realloc(cr->closes, cr->cap_closes * sizeof *cr->closes);
        assert_non_null(cr->closes);
    }
    cr->closes[cr->n_closes++] = conv;
    cr->closes[cr->n_closes++] = n;
}

/* An acknowledged call whose effect is not in the database: a failure, or,
 * when the run is lossy and the call was acknowledged since the last check
 * (`fresh`), one more loss counted; 1 when counted. */
static int lost(crashrun *cr, int fresh, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int lost(crashrun *cr, int fresh, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (!cr->lossy || !fresh)
        fail_msg("%s: %s", cr->label, why);
    cr->lost_round++;
    return 1;
}

static void check_pos(const crashrun *cr, unsigned p, const char *line)
{
    if (p >= STREAM_LEN)
        fail_msg("%s: record for position %u out of the stream: %s", cr->label, p, line);
}

void crash_take_record(crashrun *cr, char *line)
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
    } else if (!strcmp(word, "inbox")) {
        if (sscanf(line, "inbox %u", &p) != 1)
            fail_msg("%s: bad record: %s", cr->label, line);
        check_pos(cr, p, line);
        push_uint(&cr->inboxes, &cr->n_inboxes, &cr->cap_inboxes, p);
        cr->inboxes_made++;
        cr->in_call = 0;
        if (p + 1 > cr->next)
            cr->next = p + 1;
    } else if (!strcmp(word, "close")) {
        unsigned long long nm = 0;
        if (sscanf(line, "close %u %llu %llu", &p, &id, &nm) != 3 || id == 0)
            fail_msg("%s: bad record: %s", cr->label, line);
        check_pos(cr, p, line);
        push_close(cr, id, nm);
        cr->closes_made++;
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

void crash_take_records(crashrun *cr, char *text, size_t n)
{
    cr->n_round = 0;
    cr->n_started = 0;
    cr->in_call = cr->ready = cr->done = 0;
    size_t lines = 0;
    for (size_t i = 0; i < n; i++)
        lines += text[i] == '\n';
    cr->round_pos = realloc(cr->round_pos, (lines + 1) * sizeof *cr->round_pos);
    assert_non_null(cr->round_pos);
    char *save = NULL;
    for (char *line = n ? strtok_r(text, "\n", &save) : NULL; line;
         line = strtok_r(NULL, "\n", &save))
        crash_take_record(cr, line);
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
void crash_create_account(const crashrun *cr)
{
    cib_store st;
    char err[512];
    cib_ctx *ctx = crash_open(cr, 1, &st, err, sizeof err, "");

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
    size_t kept = 0;
    for (size_t i = 0; i < cr->n_acts; i++) {
        char key[24];
        snprintf(key, sizeof key, "%llu", (unsigned long long)cr->acts[i]);
        sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
        int found = sqlite3_step(st) == SQLITE_ROW;
        const char *kind = found ? col_text(st, 0) : "";
        if (found && strcmp(kind, "reply") && strcmp(kind, "comment"))
            fail_msg("%s: message %s is a %s, not a reply or comment", cr->label, key, kind);
        sqlite3_reset(st);
        if (!found &&
            lost(cr, i >= cr->acts_seen, "reply or comment %s returned OK but is not stored", key))
            continue;
        cr->acts[kept++] = cr->acts[i];
    }
    cr->n_acts = kept;
    sqlite3_finalize(st);
}

/* Inboxes created are there; conversations closed are closed, or have had
 * messages since (a follow-up reopens one). */
static void check_inboxes_and_closes(crashrun *cr, sqlite3 *db)
{
    sqlite3_stmt *st = prep(db, "SELECT count(*) FROM inboxes WHERE id = ?");
    size_t kept = 0;
    for (size_t i = 0; i < cr->n_inboxes; i++) {
        char id[16];
        snprintf(id, sizeof id, "x%06u", cr->inboxes[i]);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        int found = sqlite3_column_int(st, 0) == 1;
        sqlite3_reset(st);
        if (!found &&
            lost(cr, i >= cr->inboxes_seen, "inbox %s was created, and is not stored", id))
            continue;
        cr->inboxes[kept++] = cr->inboxes[i];
    }
    cr->n_inboxes = kept;
    sqlite3_finalize(st);
    st = prep(db, "SELECT status, n_messages FROM conversations WHERE id = ?");
    kept = 0;
    for (size_t i = 0; i < cr->n_closes; i += 2) {
        sqlite3_bind_int64(st, 1, (sqlite3_int64)cr->closes[i]);
        int found = sqlite3_step(st) == SQLITE_ROW;
        int ok = found && (!strcmp(col_text(st, 0), "closed") ||
                           (uint64_t)sqlite3_column_int64(st, 1) > cr->closes[i + 1]);
        sqlite3_reset(st);
        if (!ok && lost(cr, i >= cr->closes_seen,
                        "conversation %llu was closed with %llu messages, and is %s",
                        (unsigned long long)cr->closes[i], (unsigned long long)cr->closes[i + 1],
                        found ? "open with no more" : "not stored"))
            continue;
        cr->closes[kept++] = cr->closes[i];
        cr->closes[kept++] = cr->closes[i + 1];
    }
    cr->n_closes = kept;
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
        if ((cr->flags[p] & F_REPORTED) && now && now != cr->reported[p])
            fail_msg("%s: message m%06u returned OK as message %llu, but another message holds "
                     "it",
                     cr->label, p, (unsigned long long)cr->reported[p]);
        if (cr->stored[p] && now && now != cr->stored[p])
            fail_msg("%s: message m%06u (message %llu) was stored and is now message %llu",
                     cr->label, p, (unsigned long long)cr->stored[p], (unsigned long long)now);
        if (!now && ((cr->flags[p] & F_REPORTED) || cr->stored[p]) &&
            lost(cr, !cr->stored[p], "message m%06u (message %llu) %s and is not stored", p,
                 (unsigned long long)(cr->stored[p] ? cr->stored[p] : cr->reported[p]),
                 (cr->flags[p] & F_REPORTED) ? "returned OK" : "was stored")) {
            cr->flags[p] &= (unsigned char)~F_REPORTED;
            cr->reported[p] = 0;
        }
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
        if (cr->count[cr->round_pos[i]]) /* not lost (lossy) */
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

cib_ctx *crash_open(const crashrun *cr, int create, cib_store *st, char *err, size_t size,
                    const char *when)
{
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.synchronous = cr->sync;
    so.vfs = cr->vfs;
    so.flags = create ? CIB_SQLITE_CREATE : 0;
    if (cib_sqlite_open(cr->path, &so, st, err, size) != CIB_OK)
        fail_msg("%s: cib_sqlite_open%s: %s", cr->label, when, err);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = st;
    o.error_buffer = err;
    o.error_buffer_size = size;
    cib_ctx *ctx = NULL;
    if (cib_ctx_new(&o, &ctx) != CIB_OK)
        fail_msg("%s: cib_ctx_new%s: %s", cr->label, when, err);
    return ctx;
}

void crash_verify(crashrun *cr)
{
    cib_store st;
    char err[512];
    cib_ctx *ctx = crash_open(cr, 0, &st, err, sizeof err, " after the kill");
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(cr->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        fail_msg("%s: sqlite3_open_v2: %s", cr->label, db ? sqlite3_errmsg(db) : "no memory");
    sqlite3_stmt *qc = prep(db, "PRAGMA quick_check");
    assert_int_equal(sqlite3_step(qc), SQLITE_ROW);
    assert_string_equal(col_text(qc, 0), "ok");
    sqlite3_finalize(qc);

    cr->lost_round = 0;
    check_messages(cr, db);
    check_inboxes_and_closes(cr, db);
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
    if (cr->lossy) {
        cr->lossy_rounds++;
        cr->lost_total += cr->lost_round;
        if (cr->lost_round > cr->lost_max)
            cr->lost_max = cr->lost_round;
    }
    cr->acts_seen = cr->n_acts;
    cr->inboxes_seen = cr->n_inboxes;
    cr->closes_seen = cr->n_closes;
    /* What is stored now must stay. */
    for (unsigned p = 0; p < cr->hi; p++)
        cr->stored[p] = cr->count[p] ? cr->cur[p] : 0;
}
