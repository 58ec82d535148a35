/*
 * test_threads.c - contexts share nothing and the library has no global
 * state (the header's thread rule): several contexts, each on its own
 * thread, its own store (in-memory, or SQLite with a file each), allocator,
 * clock, sender and event callback, do heavy traffic at the same time:
 * users, teams, inboxes, channels with routing and queues, many inbound
 * messages (with re-deliveries), replies, comments, assigns, closes, views
 * and reports.
 *
 * Each workload runs once on the main thread alone (the reference), then on
 * two threads at once, one per store, beside the other workloads. Every
 * thread checks its own account as it goes (counts of conversations,
 * messages, statuses, views and reports against what it did) and at the
 * end (a context reopened on its store equals the one that wrote it; every
 * block its allocator gave is freed). The main thread then asserts that
 * each thread's outcomes, event and delivery counts and final account are
 * those of the reference. Built with -Db_sanitize=thread, .ci/run runs it
 * under ThreadSanitizer, which reports any data race between them.
 *
 * Worker threads do not call cmocka (it is not thread-safe): they record
 * the first failure, and the main thread asserts.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/sqlitetest.h"

#define WORKLOADS 3
#define STEPS     3000
#define MAX_CONV  STEPS
#define N_USERS   8
#define N_INBOXES 3
#define N_CHANS   6

typedef struct conv {
    uint64_t id;
    int inbox;
    int open;
    uint32_t n_messages;
} conv;

typedef struct world {
    /* set before the run */
    int workload;
    int sqlite;
    char path[420];
    /* the run */
    cib_allocator alloc;
    long live, allocs;
    cib_store st;
    cib_ctx *ctx;
    int64_t now;
    uint64_t rng;
    cib_sender sender;
    long sent, events[8];
    conv convs[MAX_CONV];
    int n_conv;
    long received[N_INBOXES], replies[N_INBOXES], duplicates;
    uint64_t outcomes; /* a hash of every call's outcome, in order */
    /* the result */
    char failure[512];
    char *dump;
} world;

/* Record the first failure; returns 0 so callers can `return wfail(...)`. */
static int wfail(world *w, const char *fmt, ...)
{
    if (!w->failure[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->failure, sizeof w->failure, fmt, ap);
        va_end(ap);
    }
    return 0;
}

/* ---- this world's allocator, clock, sender and events ---- */

typedef struct block {
    size_t size;
    max_align_t pad[];
} block;

static void *w_malloc(void *ud, size_t n)
{
    world *w = ud;
    block *b = malloc(sizeof(block) + n);
    if (!b)
        return NULL;
    b->size = n;
    w->live++;
    w->allocs++;
    return b->pad;
}

static void *w_realloc(void *ud, void *p, size_t n)
{
    world *w = ud;
    if (!p)
        return w_malloc(ud, n);
    block *b = realloc((char *)p - offsetof(block, pad), sizeof(block) + n);
    if (!b)
        return NULL;
    b->size = n;
    w->allocs++;
    return b->pad;
}

static void w_free(void *ud, void *p)
{
    world *w = ud;
    if (!p)
        return;
    w->live--;
    free((char *)p - offsetof(block, pad));
}

static int64_t w_clock(void *ud)
{
    return ((world *)ud)->now;
}

static int w_send(void *ud, const cib_outbound *m)
{
    (void)m;
    ((world *)ud)->sent++;
    return 0;
}

static void w_event(void *ud, const cib_event *ev)
{
    world *w = ud;
    if (ev->type > 0 && ev->type < 8)
        w->events[ev->type]++;
}

/* splitmix64 */
static uint64_t next(world *w)
{
    uint64_t z = (w->rng += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void note(world *w, int64_t v)
{
    w->outcomes = (w->outcomes ^ (uint64_t)v) * 0x100000001b3ULL;
}

static int open_ctx(world *w)
{
    cib_options o = CIB_OPTIONS_INIT;
    o.allocator = &w->alloc;
    o.clock = w_clock;
    o.clock_user_data = w;
    o.on_event = w_event;
    o.event_user_data = w;
    o.sender = &w->sender;
    o.hash_seed = 1000 + (uint64_t)w->workload;
    o.store = &w->st;
    char err[512] = "";
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    int rc = cib_ctx_new(&o, &w->ctx);
    if (rc)
        return wfail(w, "cib_ctx_new: %s: %s", cib_status_name(rc), err);
    return 1;
}

static int ok(world *w, int rc, const char *what)
{
    if (rc != CIB_OK)
        return wfail(w, "%s: %s: %s", what, cib_status_name(rc), cib_errmsg(w->ctx));
    return 1;
}

static const char *const users[N_USERS] = {"ann", "ben", "cid", "dee", "eve", "fay", "gus", "hal"};
static const char *const inboxes[N_INBOXES] = {"default", "sales", "billing"};
static const struct {
    const char *id;
    int inbox, type, mode, strategy, queue;
    const char *address, *team;
} chans[N_CHANS] = {
    {"mail", 0, CIB_CHANNEL_EMAIL, CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 0, "help@acme.test", "l1"},
    {"chat", 0, CIB_CHANNEL_CHAT, CIB_ROUTE_SPECIFIC, CIB_LEAST_LOADED, 1, NULL, "l1"},
    {"sales-mail", 1, CIB_CHANNEL_EMAIL, CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0,
     "sales@acme.test", "l2"},
    {"sales-chat", 1, CIB_CHANNEL_CHAT, CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 1, NULL, "l2"},
    {"bill-form", 2, CIB_CHANNEL_FORM, CIB_ROUTE_SPECIFIC, CIB_LEAST_LOADED, 0, NULL, "l2"},
    {"bill-mail", 2, CIB_CHANNEL_EMAIL, CIB_ROUTE_UNASSIGNED, CIB_ROUND_ROBIN, 0,
     "billing@acme.test", NULL},
};

static int setup(world *w)
{
    for (int i = 0; i < N_USERS; i++) {
        cib_user_def u = CIB_USER_DEF_INIT;
        u.id = users[i];
        u.name = users[i];
        u.role = i == 0 ? CIB_ROLE_ADMIN : CIB_ROLE_MEMBER;
        u.capacity = (uint32_t)(i % 3 == 2 ? 3 + w->workload : 0);
        if (!ok(w, cib_user_add(w->ctx, &u), "user_add") ||
            !ok(w, cib_user_set_status(w->ctx, users[i], CIB_NTS, CIB_AVAILABLE), "status"))
            return 0;
    }
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "l1";
    t.members = users;
    t.n_members = 4;
    if (!ok(w, cib_team_add(w->ctx, &t), "team_add"))
        return 0;
    t.id = "l2";
    t.members = users + 3;
    t.n_members = 5;
    if (!ok(w, cib_team_add(w->ctx, &t), "team_add"))
        return 0;
    cib_pipeline_def p = CIB_PIPELINE_DEF_INIT;
    const char *stages[] = {"new", "done"};
    p.id = "billing";
    p.stages = stages;
    p.n_stages = 2;
    if (!ok(w, cib_pipeline_add(w->ctx, &p), "pipeline_add"))
        return 0;
    for (int i = 1; i < N_INBOXES; i++) {
        cib_inbox_def ib = CIB_INBOX_DEF_INIT;
        ib.id = inboxes[i];
        ib.name = inboxes[i];
        if (!ok(w, cib_inbox_add(w->ctx, &ib), "inbox_add"))
            return 0;
    }
    for (int i = 0; i < N_CHANS; i++) {
        int kind = CIB_TARGET_TEAM;
        const char *target = chans[i].team;
        cib_routing_def r = CIB_ROUTING_DEF_INIT;
        r.mode = chans[i].mode;
        r.strategy = chans[i].strategy;
        r.queue = chans[i].queue;
        r.target_kinds = &kind;
        r.target_ids = &target;
        r.n_targets = target ? 1 : 0;
        cib_ticket_def tk = CIB_TICKET_DEF_INIT;
        tk.automatic = 1;
        tk.pipeline = "billing";
        tk.stage = "new";
        cib_channel_def d = CIB_CHANNEL_DEF_INIT;
        d.id = chans[i].id;
        d.inbox = inboxes[chans[i].inbox];
        d.type = chans[i].type;
        d.address = chans[i].address;
        d.routing = &r;
        d.tickets = chans[i].type == CIB_CHANNEL_FORM ? &tk : NULL;
        if (!ok(w, cib_channel_add(w->ctx, &d), "channel_add"))
            return 0;
    }
    return 1;
}

static conv *find_conv(world *w, uint64_t id)
{
    for (int i = w->n_conv - 1; i >= 0; i--)
        if (w->convs[i].id == id)
            return &w->convs[i];
    return NULL;
}

/* How many conversations a view holds, page by page. */
static long view_count(world *w, int kind, const char *inbox, int status)
{
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.view = kind;
    q.inbox = inbox;
    q.status = status;
    q.user = kind == CIB_VIEW_MINE ? "ann" : NULL;
    uint64_t ids[37], after = 0;
    long total = 0;
    do {
        size_t n = 0;
        q.after = after;
        int rc = cib_view(w->ctx, &q, ids, 37, &n, &after);
        if (rc != CIB_OK) {
            wfail(w, "view: %s: %s", cib_status_name(rc), cib_errmsg(w->ctx));
            return -1;
        }
        total += (long)n;
    } while (after);
    return total;
}

/* The views and reports of every inbox against what this world did. */
static int check_account(world *w)
{
    for (int b = 0; b < N_INBOXES; b++) {
        long open = 0, closed = 0;
        for (int i = 0; i < w->n_conv; i++)
            if (w->convs[i].inbox == b)
                w->convs[i].open ? open++ : closed++;
        long vo = view_count(w, CIB_VIEW_ALL, inboxes[b], CIB_STATUS_OPEN);
        long vc = view_count(w, CIB_VIEW_ALL, inboxes[b], CIB_STATUS_CLOSED);
        long va = view_count(w, CIB_VIEW_ALL, inboxes[b], 0);
        long vu = view_count(w, CIB_VIEW_UNASSIGNED, inboxes[b], CIB_STATUS_OPEN);
        if (vo != open || vc != closed || va != open + closed || vu < 0 || vu > open)
            return wfail(w,
                         "inbox %s: views open %ld closed %ld all %ld unassigned %ld; did %ld "
                         "open, %ld closed",
                         inboxes[b], vo, vc, va, vu, open, closed);
        note(w, vu);
        cib_report_def d = CIB_REPORT_DEF_INIT;
        d.inbox = inboxes[b];
        d.from = 0;
        d.to = w->now + 1;
        cib_report r = CIB_REPORT_INIT;
        if (!ok(w, cib_report_get(w->ctx, &d, &r, NULL, NULL), "report"))
            return 0;
        if ((long)r.received != w->received[b] || (long)r.replies != w->replies[b])
            return wfail(w, "inbox %s: report received %llu replies %llu; did %ld, %ld", inboxes[b],
                         (unsigned long long)r.received, (unsigned long long)r.replies,
                         w->received[b], w->replies[b]);
        note(w, r.first_response_median_ms);
        note(w, r.first_response_p90_ms);
    }
    note(w, view_count(w, CIB_VIEW_MINE, NULL, 0));
    for (int i = 0; i < w->n_conv; i++) {
        cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
        if (!ok(w, cib_conversation_get(w->ctx, NULL, 0, w->convs[i].id, &ci), "conversation_get"))
            return 0;
        int status = w->convs[i].open ? CIB_STATUS_OPEN : CIB_STATUS_CLOSED;
        if (ci.status != status || ci.n_messages != w->convs[i].n_messages ||
            strcmp(ci.inbox, inboxes[w->convs[i].inbox]) != 0)
            return wfail(w, "conversation %d: status %d, %u messages, in %s; expected %d, %u, %s",
                         i, ci.status, ci.n_messages, ci.inbox, status, w->convs[i].n_messages,
                         inboxes[w->convs[i].inbox]);
    }
    return 1;
}

static int inbound(world *w, int i)
{
    int pick = (int)(next(w) % 1000);
    int ch = pick % N_CHANS, redeliver = pick % 10 == 0;
    char id[32], from[48], thread[32];
    snprintf(id, sizeof id, "%s%d", redeliver ? "r" : "m", i);
    if (chans[ch].type == CIB_CHANNEL_CHAT)
        snprintf(from, sizeof from, "visitor-%d", pick % 40);
    else
        snprintf(from, sizeof from, "s%d@example.test", pick % 40);
    snprintf(thread, sizeof thread, "t%d", pick % 150);
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = chans[ch].id;
    m.msg_id = id;
    m.from = from;
    m.thread = chans[ch].type == CIB_CHANNEL_FORM ? NULL : thread;
    m.text = "Hello, where is my order?";
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    int rc = cib_ingest(w->ctx, &m, &r);
    if (!ok(w, rc, "ingest"))
        return 0;
    /* A re-delivered message is sent twice: the second is a duplicate. */
    if (redeliver) {
        cib_ingest_result again = CIB_INGEST_RESULT_INIT;
        if (!ok(w, cib_ingest(w->ctx, &m, &again), "ingest again"))
            return 0;
        if (!again.duplicate || again.conversation != r.conversation)
            return wfail(w, "step %d: a re-delivery was not a duplicate", i);
        w->duplicates++;
    }
    if (r.duplicate)
        return wfail(w, "step %d: a new message id was a duplicate", i);
    conv *c = find_conv(w, r.conversation);
    if (r.created) {
        if (c || w->n_conv == MAX_CONV)
            return wfail(w, "step %d: created a conversation it had", i);
        c = &w->convs[w->n_conv++];
        *c = (conv){r.conversation, chans[ch].inbox, 1, 0};
        w->received[c->inbox]++;
    } else if (!c) {
        return wfail(w, "step %d: joined an unknown conversation", i);
    } else if (r.reopened != !c->open) {
        return wfail(w, "step %d: reopened %d, but the conversation was %s", i, r.reopened,
                     c->open ? "open" : "closed");
    }
    c->open = 1;
    c->n_messages++;
    note(w, r.created);
    note(w, r.assignee ? r.assignee[0] : '-');
    note(w, r.queued);
    note(w, r.ticket != 0);
    return 1;
}

static int step(world *w, int i)
{
    int op = (int)(next(w) % 100);
    int who = (int)(next(w) % N_USERS);
    conv *c = w->n_conv ? &w->convs[next(w) % (uint64_t)w->n_conv] : NULL;
    int rc = CIB_OK;
    if (op < 55 || !c)
        return inbound(w, i);
    if (op < 67) {
        rc = cib_reply(w->ctx, users[who], CIB_NTS, c->id, "On its way.", CIB_NTS, NULL, 0, NULL);
        if (rc == CIB_OK) { /* a reply reopens a closed conversation */
            c->n_messages++;
            c->open = 1;
            w->replies[c->inbox]++;
        }
    } else if (op < 72) {
        rc = cib_comment(w->ctx, users[who], CIB_NTS, c->id, "internal note", CIB_NTS, NULL);
        if (rc == CIB_OK)
            c->n_messages++;
    } else if (op < 80) {
        rc = cib_assign(w->ctx, "ann", CIB_NTS, c->id, who % 4 ? users[who] : NULL, CIB_NTS);
    } else if (op < 89) {
        rc = cib_close(w->ctx, "ann", CIB_NTS, c->id);
        if (rc == CIB_OK) {
            if (!c->open)
                return wfail(w, "step %d: closed a closed conversation", i);
            c->open = 0;
        }
    } else if (op < 92) {
        rc = cib_reopen(w->ctx, "ann", CIB_NTS, c->id);
        if (rc == CIB_OK)
            c->open = 1;
    } else if (op < 96) {
        rc = cib_user_set_status(w->ctx, users[who], CIB_NTS, 1 + (int)(next(w) % 3));
    } else if (op < 98) {
        long n = view_count(w, CIB_VIEW_UNASSIGNED, inboxes[who % N_INBOXES], CIB_STATUS_OPEN);
        if (n < 0)
            return 0;
        note(w, n);
    } else {
        w->now += (int64_t)(1 + next(w) % 90) * 60 * 1000;
    }
    note(w, rc);
    w->now += 1000;
    return 1;
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The dump with what depends on the account's random secret left out: the
 * fingerprints of thread keys and idempotency keys (replaced by '*'), and
 * so the order of the idempotency keys (lines sorted). */
static char *canonical(const char *dump)
{
    size_t n = strlen(dump), lines = 0;
    char *copy = malloc(n + 1), *out = malloc(n + 2);
    memcpy(copy, dump, n + 1);
    for (size_t i = 0; i < n; i++)
        lines += copy[i] == '\n';
    char **line = malloc((lines + 1) * sizeof *line);
    size_t k = 0;
    for (char *save = NULL, *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        static const char *const marks[] = {"thread=", "dedup "};
        for (int m = 0; m < 2; m++) {
            char *at = strstr(l, marks[m]);
            if (!at)
                continue;
            char *hex = at + strlen(marks[m]), *w = hex;
            while (strchr("0123456789abcdef", *w) && *w)
                *w++ = '*';
            memmove(hex + 1, w, strlen(w) + 1);
        }
        line[k++] = l;
    }
    qsort(line, k, sizeof *line, line_cmp);
    size_t o = 0;
    for (size_t i = 0; i < k; i++) {
        size_t len = strlen(line[i]);
        memcpy(out + o, line[i], len);
        o += len;
        out[o++] = '\n';
    }
    out[o] = '\0';
    free(line);
    free(copy);
    return out;
}

/* One world, start to end; the result is in w->failure and w->dump. */
static void *run(void *arg)
{
    world *w = arg;
    w->now = TENV_EPOCH_MS;
    w->rng = 2026 + (uint64_t)w->workload * 7919;
    w->alloc = (cib_allocator)CIB_ALLOCATOR_INIT;
    w->alloc.user_data = w;
    w->alloc.malloc_fn = w_malloc;
    w->alloc.realloc_fn = w_realloc;
    w->alloc.free_fn = w_free;
    cib_sender s = CIB_SENDER_INIT;
    s.email = s.chat = s.messenger = s.form = w_send;
    s.user_data = w;
    w->sender = s;
    char err[512] = "";
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.flags = CIB_SQLITE_CREATE; /* a new file */
    int rc = w->sqlite ? cib_sqlite_open(w->path, &so, &w->st, err, sizeof err)
                       : cib_memstore_new(&w->alloc, &w->st);
    if (rc) {
        wfail(w, "store: %s %s", cib_status_name(rc), err);
        return NULL;
    }
    if (open_ctx(w) && setup(w)) {
        for (int i = 0; i < STEPS && !w->failure[0]; i++) {
            step(w, i);
            if (i % 500 == 499)
                check_account(w);
        }
        if (!w->failure[0])
            check_account(w);
        if (!w->failure[0] && w->sent != w->replies[0] + w->replies[1] + w->replies[2])
            wfail(w, "%ld deliveries for %ld replies", w->sent,
                  w->replies[0] + w->replies[1] + w->replies[2]);
        char *d = NULL, *again = NULL;
        size_t n;
        if (!w->failure[0] && ok(w, cib_dump(w->ctx, &d, &n), "dump")) {
            w->dump = canonical(d);
            cib_free(w->ctx, d);
            /* Reopened on its store, the account is the same. */
            cib_ctx_free(w->ctx);
            w->ctx = NULL;
            if (open_ctx(w) && ok(w, cib_dump(w->ctx, &again, &n), "dump")) {
                char *c = canonical(again);
                if (strcmp(w->dump, c) != 0)
                    wfail(w, "the account reloaded from its store differs");
                free(c);
                cib_free(w->ctx, again);
                check_account(w);
            }
        }
    }
    cib_ctx_free(w->ctx);
    w->ctx = NULL;
    w->st.close(w->st.user_data);
    if (!w->failure[0] && w->live != 0)
        wfail(w, "%ld blocks of its allocator not freed", w->live);
    return NULL;
}

static void expect_same(const world *w, const world *ref)
{
    if (w->failure[0])
        fail_msg("workload %d on %s: %s", w->workload, w->sqlite ? "sqlite" : "memory", w->failure);
    assert_non_null(w->dump);
    if (w->outcomes != ref->outcomes || w->n_conv != ref->n_conv || w->sent != ref->sent ||
        w->duplicates != ref->duplicates || memcmp(w->events, ref->events, sizeof w->events) ||
        strcmp(w->dump, ref->dump) != 0)
        fail_msg("workload %d on %s, run beside the others, differs from its run alone: "
                 "outcomes %d, conversations %d/%d, deliveries %ld/%ld, duplicates %ld/%ld, "
                 "events %d, account %d",
                 w->workload, w->sqlite ? "sqlite" : "memory", w->outcomes == ref->outcomes,
                 w->n_conv, ref->n_conv, w->sent, ref->sent, w->duplicates, ref->duplicates,
                 !memcmp(w->events, ref->events, sizeof w->events), !strcmp(w->dump, ref->dump));
}

/* WORKLOADS references alone, then 2 * WORKLOADS threads at once. */
static void test_contexts_share_nothing_across_threads(void **state)
{
    (void)state;
    static world ref[WORKLOADS], w[2 * WORKLOADS];
    for (int k = 0; k < WORKLOADS; k++) {
        memset(&ref[k], 0, sizeof ref[k]);
        ref[k].workload = k;
        run(&ref[k]);
        if (ref[k].failure[0])
            fail_msg("workload %d alone: %s", k, ref[k].failure);
        /* The traffic was heavy and varied. */
        assert_true(ref[k].n_conv > 200);
        assert_true(ref[k].duplicates > 50);
        assert_true(ref[k].sent > 100);
        for (int e = CIB_EVENT_CONVERSATION_CREATED; e <= CIB_EVENT_REOPENED; e++)
            if (e != CIB_EVENT_NOTIFICATION && ref[k].events[e] == 0)
                fail_msg("workload %d had no event of type %d", k, e);
    }
    pthread_t th[2 * WORKLOADS];
    for (int i = 0; i < 2 * WORKLOADS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].workload = i / 2;
        w[i].sqlite = i % 2;
        snprintf(w[i].path, sizeof w[i].path, "%s", sqlitetest_path());
    }
    for (int i = 0; i < 2 * WORKLOADS; i++)
        assert_int_equal(pthread_create(&th[i], NULL, run, &w[i]), 0);
    for (int i = 0; i < 2 * WORKLOADS; i++)
        assert_int_equal(pthread_join(th[i], NULL), 0);
    for (int i = 0; i < 2 * WORKLOADS; i++)
        expect_same(&w[i], &ref[i / 2]);
    /* Different workloads did different things. */
    for (int k = 1; k < WORKLOADS; k++)
        assert_true(ref[k].outcomes != ref[0].outcomes);
    for (int i = 0; i < 2 * WORKLOADS; i++)
        free(w[i].dump);
    for (int k = 0; k < WORKLOADS; k++)
        free(ref[k].dump);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contexts_share_nothing_across_threads),
    };
    int rc = TENV_RUN(tests);
    sqlitetest_cleanup();
    return rc;
}
