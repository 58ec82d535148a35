/*
 * test_restart.c - a context reopened on an existing SQLite database behaves
 * exactly like the one that wrote it (R-HOST-1, R-AVAIL-1, R-ROUTE-7,
 * R-ROUTE-8, R-CONV-3, R-CHAN-8).
 *
 * Two worlds run the same seeded stream of operations: one on the in-memory
 * store without a break, one on SQLite, closed and reopened from its file
 * along the way (the dumps before and after each restart must be equal).
 * Statuses, round-robin turns, loads and least-loaded order, waiting queues,
 * idempotency keys and Messenger windows all carry across: every operation
 * must give the same outcome in both worlds. Library ids jump after a
 * restart (documented), so outcomes name conversations by the order they
 * were created in.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/sqlitetest.h"

#define STEPS    420
#define MAX_CONV 400

typedef struct world {
    cib_ctx *ctx;
    cib_store st;
    int sqlite;
    char path[420];
    int64_t now;
    uint64_t conv[MAX_CONV]; /* by creation order */
    int n_conv;
    char events[2048];
    cib_sender sender;
} world;

static int64_t clock_fn(void *ud)
{
    return ((world *)ud)->now;
}

static int index_of(const world *w, uint64_t id)
{
    for (int i = 0; i < w->n_conv; i++)
        if (w->conv[i] == id)
            return i;
    return -1;
}

static void on_event(void *ud, const cib_event *ev)
{
    world *w = ud;
    size_t n = strlen(w->events);
    if (ev->type == CIB_EVENT_ASSIGNED || ev->type == CIB_EVENT_NOTIFICATION ||
        ev->type == CIB_EVENT_TICKET_CREATED)
        snprintf(w->events + n, sizeof w->events - n, " e%d:%d:%s:%d", ev->type,
                 index_of(w, ev->conversation), ev->user ? ev->user : "-", ev->reason);
}

static int send_ok(void *ud, const cib_outbound *m)
{
    (void)ud;
    (void)m;
    return 0;
}

static void open_world(world *w)
{
    cib_options o = CIB_OPTIONS_INIT;
    o.clock = clock_fn;
    o.clock_user_data = w;
    o.on_event = on_event;
    o.event_user_data = w;
    cib_sender s = CIB_SENDER_INIT;
    s.email = s.chat = s.messenger = s.form = send_ok;
    w->sender = s;
    o.sender = &w->sender;
    o.hash_seed = 7;
    char err[512];
    if (w->sqlite) {
        cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
        so.flags = CIB_SQLITE_CREATE; /* the first open creates the account */
        assert_int_equal(cib_sqlite_open(w->path, &so, &w->st, err, sizeof err), CIB_OK);
        o.store = &w->st;
    }
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    if (cib_ctx_new(&o, &w->ctx) != CIB_OK)
        fail_msg("cib_ctx_new: %s", err);
}

static void close_world(world *w)
{
    cib_ctx_free(w->ctx);
    if (w->sqlite)
        w->st.close(w->st.user_data);
    w->ctx = NULL;
}

static char *dump(world *w)
{
    char *d;
    size_t n;
    assert_int_equal(cib_dump(w->ctx, &d, &n), CIB_OK);
    char *copy = strdup(d);
    cib_free(w->ctx, d);
    return copy;
}

static void ok(world *w, int rc)
{
    if (rc != CIB_OK)
        fail_msg("set-up: %s: %s", cib_status_name(rc), cib_errmsg(w->ctx));
}

static void setup_account(world *w)
{
    const char *users[] = {"ann", "ben", "cid", "dee"};
    for (int i = 0; i < 4; i++) {
        cib_user_def u = CIB_USER_DEF_INIT;
        u.id = users[i];
        u.name = users[i];
        u.capacity = i == 1 ? 2 : 0;
        ok(w, cib_user_add(w->ctx, &u));
    }
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "crew";
    t.members = users;
    t.n_members = 3;
    ok(w, cib_team_add(w->ctx, &t));
    cib_pipeline_def p = CIB_PIPELINE_DEF_INIT;
    const char *stages[] = {"new"};
    p.id = "pipe";
    p.stages = stages;
    p.n_stages = 1;
    ok(w, cib_pipeline_add(w->ctx, &p));
    cib_contact_def c = CIB_CONTACT_DEF_INIT;
    c.id = "vip";
    c.email = "s1@example.test";
    c.owner = "dee";
    ok(w, cib_contact_add(w->ctx, &c));
    static const struct {
        const char *id;
        int type, mode, strategy;
        const char *target;
    } chans[] = {
        {"mail", CIB_CHANNEL_EMAIL, CIB_ROUTE_CONTACT_OWNER, CIB_ROUND_ROBIN, "crew"},
        {"chat", CIB_CHANNEL_CHAT, CIB_ROUTE_SPECIFIC, CIB_LEAST_LOADED, "crew"},
        {"fb", CIB_CHANNEL_MESSENGER, CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, "crew"},
        {"form", CIB_CHANNEL_FORM, CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, "crew"},
    };
    for (int i = 0; i < 4; i++) {
        int kind = CIB_TARGET_TEAM;
        const char *target = chans[i].target;
        cib_routing_def r = CIB_ROUTING_DEF_INIT;
        r.mode = chans[i].mode;
        r.strategy = chans[i].strategy;
        r.queue = 1;
        r.target_kinds = &kind;
        r.target_ids = &target;
        r.n_targets = 1;
        cib_ticket_def tk = CIB_TICKET_DEF_INIT;
        tk.automatic = 1;
        tk.pipeline = "pipe";
        tk.stage = "new";
        cib_channel_def d = CIB_CHANNEL_DEF_INIT;
        d.id = chans[i].id;
        d.inbox = "default";
        d.type = chans[i].type;
        d.address = i == 0 ? "help@acme.test" : i == 2 ? "page-1" : NULL;
        d.routing = &r;
        d.tickets = i == 3 ? &tk : NULL;
        ok(w, cib_channel_add(w->ctx, &d));
    }
    ok(w, cib_user_set_reassign_replies(w->ctx, "ann", CIB_NTS, 1));
}

/* splitmix64: the same stream for both worlds. */
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static const char *const chans[] = {"mail", "chat", "fb", "form"};
static const char *const users[] = {"ann", "ben", "cid", "dee"};

/* Step i of the stream on w; its outcome, in words both worlds share. */
static void step(world *w, uint64_t *rng, int i, char *out, size_t size)
{
    w->events[0] = '\0';
    int op = (int)(next(rng) % 9), rc = CIB_OK;
    int pick = (int)(next(rng) % 1000), who = (int)(next(rng) % 4);
    char extra[160] = "";
    char id[32], from[48], thread[32];
    if (op <= 2) { /* an inbound message: new, follow-up, or a re-delivery */
        int ch = pick % 4;
        cib_inbound m = CIB_INBOUND_INIT;
        if (op == 2 && i > 5) {
            snprintf(id, sizeof id, "m%d", pick % i); /* may be a duplicate */
            ch = (pick % i) % 4;
        } else {
            snprintf(id, sizeof id, "m%d", i);
        }
        int sender = pick % 12;
        snprintf(from, sizeof from, ch == 2 ? "psid-%d" : "s%d@example.test", sender);
        snprintf(thread, sizeof thread, "t%d", op == 1 ? pick % 20 : 1000 + i);
        m.channel = chans[ch];
        m.msg_id = id;
        m.from = from;
        m.thread = ch == 3 ? NULL : thread;
        m.text = "Hi";
        cib_ingest_result r = CIB_INGEST_RESULT_INIT;
        rc = cib_ingest(w->ctx, &m, &r);
        if (rc == CIB_OK) {
            if (r.created && !r.duplicate && index_of(w, r.conversation) < 0)
                w->conv[w->n_conv++] = r.conversation;
            snprintf(extra, sizeof extra, " c%d %s %d %d %d %d %s", index_of(w, r.conversation),
                     r.assignee ? r.assignee : "-", r.reason, r.queued, r.duplicate, r.created,
                     r.ticket ? "ticket" : "-");
        }
    } else if (op == 3) {
        rc = cib_user_set_status(w->ctx, users[who], CIB_NTS, 1 + pick % 3);
    } else if (op == 4 && w->n_conv) {
        rc = cib_close(w->ctx, "ann", CIB_NTS, w->conv[pick % w->n_conv]);
    } else if (op == 5 && w->n_conv) {
        rc = cib_reply(w->ctx, users[who % 3], CIB_NTS, w->conv[pick % w->n_conv], "ok", CIB_NTS,
                       NULL, 0, NULL);
    } else if (op == 6) {
        w->now += (int64_t)(1 + pick % 30) * 3600 * 1000 / (pick % 2 ? 1 : 60);
    } else if (op == 7) {
        cib_user_def u = CIB_USER_DEF_INIT;
        u.id = "ben";
        u.name = "ben";
        u.capacity = (uint32_t)(pick % 4);
        rc = cib_user_update(w->ctx, &u);
    } else if (op == 8 && w->n_conv) {
        rc = cib_assign(w->ctx, "dee", CIB_NTS, w->conv[pick % w->n_conv],
                        pick % 5 ? users[who] : NULL, CIB_NTS);
    }
    snprintf(out, size, "%d:%d:%s%s%s", i, op, cib_status_name(rc), extra, w->events);
}

/* The state of every conversation, by creation order. */
static void state_of(world *w, char *out, size_t size)
{
    size_t n = 0;
    out[0] = '\0';
    for (int i = 0; i < w->n_conv && n < size; i++) {
        cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
        assert_int_equal(cib_conversation_get(w->ctx, NULL, 0, w->conv[i], &ci), CIB_OK);
        n += (size_t)snprintf(out + n, size - n, "c%d:%s:%d:%u:%d:%d:%s;", i,
                              ci.assignee ? ci.assignee : "-", ci.status, ci.n_messages, ci.queued,
                              ci.reason, ci.ticket ? "t" : "-");
    }
}

static void run_worlds(const int *restarts, size_t n_restarts)
{
    static world a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.sqlite = 1;
    snprintf(a.path, sizeof a.path, "%s", sqlitetest_path());
    a.now = b.now = TENV_EPOCH_MS;
    open_world(&a);
    open_world(&b);
    setup_account(&a);
    setup_account(&b);
    uint64_t ra = 2026, rb = 2026;
    static char oa[STEPS][2600], ob[STEPS][2600];
    size_t k = 0;
    int restarted = 0;
    for (int i = 0; i < STEPS; i++) {
        if (k < n_restarts && i == restarts[k]) {
            char *before = dump(&a);
            close_world(&a);
            open_world(&a);
            char *after = dump(&a);
            assert_string_equal(before, after);
            free(before);
            free(after);
            k++;
            restarted++;
        }
        step(&a, &ra, i, oa[i], sizeof oa[i]);
        step(&b, &rb, i, ob[i], sizeof ob[i]);
        if (strcmp(oa[i], ob[i]))
            fail_msg("step %d after %d restart(s) differs:\n  sqlite: %s\n  memory: %s", i,
                     restarted, oa[i], ob[i]);
    }
    static char sa[65536], sb[65536];
    state_of(&a, sa, sizeof sa);
    state_of(&b, sb, sizeof sb);
    assert_string_equal(sa, sb);
    assert_true(a.n_conv > 40); /* the stream did real work */
    close_world(&a);
    close_world(&b);
}

/* One restart in the middle, and several in a row. */
static void test_reopened_behaves_the_same_R_HOST_1_R_ROUTE_8(void **state)
{
    (void)state;
    const int once[] = {STEPS / 2};
    run_worlds(once, 1);
    const int often[] = {10, 60, 61, 150, 151, 152, 300, 380};
    run_worlds(often, sizeof often / sizeof often[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reopened_behaves_the_same_R_HOST_1_R_ROUTE_8),
    };
    int rc = TENV_RUN(tests);
    sqlitetest_cleanup();
    return rc;
}
