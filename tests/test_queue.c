/* test_queue.c - waiting queues (R-ROUTE-8): conversations that find nobody
 * eligible wait, and the oldest is handed out the moment an eligible user
 * becomes available or gets room. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

struct log {
    char text[4096];
};

static void on_event(void *ud, const cib_event *ev)
{
    struct log *l = ud;
    size_t n = strlen(l->text);
    if (ev->type == CIB_EVENT_ASSIGNED)
        snprintf(l->text + n, sizeof l->text - n, "%llu>%s:%d;",
                 (unsigned long long)ev->conversation, ev->user ? ev->user : "-", ev->reason);
}

static void setup(tenv *e)
{
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", "bob@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "carol", "carol@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_inbox(e, "support", "Support");
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    add_channel(e, "chat", "support", CIB_CHANNEL_CHAT, NULL);
}

static tenv *env(struct log *l)
{
    tenv *e = tenv_new();
    l->text[0] = '\0';
    e->opts.on_event = on_event;
    e->opts.event_user_data = l;
    tenv_reopen(e);
    setup(e);
    return e;
}

/* A new conversation on a channel from a fresh sender. */
static cib_ingest_result arrive(tenv *e, const char *channel)
{
    static unsigned n;
    char id[32], from[48];
    snprintf(id, sizeof id, "q%u", ++n);
    snprintf(from, sizeof from, "sender%u@example.test", n);
    return ingest_msg(e, channel, id, from, NULL);
}

/* The waiting conversations of a channel as "id,id,..." */
static const char *waiting(tenv *e, const char *channel)
{
    static char text[512];
    uint64_t ids[32];
    size_t n = 99, total = 99;
    expect_status(e, cib_waiting(e->ctx, channel, CIB_NTS, 0, ids, 32, &n, &total), CIB_OK, NULL);
    assert_int_equal(n, total);
    text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof text - len, "%s%llu", i ? "," : "", (unsigned long long)ids[i]);
    }
    return text;
}

static const char *assignee(tenv *e, uint64_t conv)
{
    cib_conversation_info ci = conv_info(e, conv);
    return ci.assignee ? ci.assignee : "-";
}

/* "1>bob:1;2>bob:1;" for conversations a, b handed to bob by the rule. */
static const char *handed(const cib_ingest_result *const *convs, const char *const *users, size_t n)
{
    static char text[512];
    text[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(text);
        snprintf(text + len, sizeof text - len, "%llu>%s:%d;",
                 (unsigned long long)convs[i]->conversation, users[i], CIB_REASON_RULE);
    }
    return text;
}

/* R-ROUTE-8: off by default; on, a conversation that finds nobody waits
 * (queued, unassigned), in arrival order. */
static void test_waits_when_nobody_R_ROUTE_8(void **state)
{
    (void)state;
    struct log l;
    tenv *e = env(&l);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "user:alice");
    cib_ingest_result r = arrive(e, "mail");
    assert_null(r.assignee);
    assert_int_equal(r.queued, 0); /* off by default */
    assert_string_equal(waiting(e, "mail"), "");
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, "user:alice");
    assert_string_equal(waiting(e, "mail"), ""); /* the earlier one stays as it was */
    cib_ingest_result a = arrive(e, "mail"), b = arrive(e, "mail");
    assert_int_equal(a.queued, 1);
    assert_null(a.assignee);
    assert_int_equal(conv_info(e, a.conversation).queued, 1);
    assert_int_equal(conv_info(e, r.conversation).queued, 0);
    char want[64];
    snprintf(want, sizeof want, "%llu,%llu", (unsigned long long)a.conversation,
             (unsigned long long)b.conversation);
    assert_string_equal(waiting(e, "mail"), want);
    cib_channel_info ci = CIB_CHANNEL_INFO_INIT;
    expect_status(e, cib_channel_get(e->ctx, "mail", CIB_NTS, &ci), CIB_OK, NULL);
    assert_int_equal(ci.queue, 1);
    /* Queues survive a restart, in order. */
    tenv_reopen(e);
    assert_string_equal(waiting(e, "mail"), want);
    assert_int_equal(conv_info(e, b.conversation).queued, 1);
    /* Someone eligible: new conversations do not wait. */
    set_status(e, "alice", CIB_AVAILABLE);
    cib_ingest_result c = arrive(e, "mail");
    assert_string_equal(c.assignee, "alice");
    assert_int_equal(c.queued, 0);
    tenv_free(e);
}

/* R-ROUTE-8: a user who becomes available takes the backlog, oldest first,
 * up to their capacity; the rest waits for room. */
static void test_status_change_hands_out_oldest_first_R_ROUTE_8(void **state)
{
    (void)state;
    struct log l;
    tenv *e = env(&l);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, "user:alice user:bob");
    set_capacity(e, "bob", 2);
    cib_ingest_result a = arrive(e, "mail"), b = arrive(e, "mail"), c = arrive(e, "mail");
    l.text[0] = '\0';
    set_status(e, "bob", CIB_AVAILABLE);
    const cib_ingest_result *got[] = {&a, &b};
    const char *to[] = {"bob", "bob"};
    assert_string_equal(l.text, handed(got, to, 2));
    assert_string_equal(assignee(e, a.conversation), "bob");
    assert_int_equal(conv_info(e, a.conversation).reason, CIB_REASON_RULE);
    assert_int_equal(conv_info(e, a.conversation).queued, 0);
    char want[32];
    snprintf(want, sizeof want, "%llu", (unsigned long long)c.conversation);
    assert_string_equal(waiting(e, "mail"), want);
    /* Closing one of bob's makes room at once: the last one goes to him. */
    l.text[0] = '\0';
    expect_status(e, cib_close(e->ctx, "bob", CIB_NTS, a.conversation), CIB_OK, NULL);
    const cib_ingest_result *got2[] = {&c};
    assert_string_equal(l.text, handed(got2, to, 1));
    assert_string_equal(waiting(e, "mail"), "");
    tenv_reopen(e);
    assert_string_equal(assignee(e, c.conversation), "bob");
    assert_int_equal(conv_info(e, c.conversation).queued, 0);
    tenv_free(e);
}

/* R-ROUTE-8: room from a capacity change, and from a reassignment. */
static void test_capacity_and_reassignment_hand_out_R_ROUTE_8(void **state)
{
    (void)state;
    struct log l;
    tenv *e = env(&l);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, "user:bob");
    set_status(e, "bob", CIB_AVAILABLE);
    set_capacity(e, "bob", 1);
    cib_ingest_result a = arrive(e, "mail"), b = arrive(e, "mail"), c = arrive(e, "mail");
    assert_string_equal(a.assignee, "bob");
    assert_int_equal(b.queued, 1);
    assert_int_equal(c.queued, 1);
    l.text[0] = '\0';
    set_capacity(e, "bob", 2);
    const cib_ingest_result *got[] = {&b};
    const char *to[] = {"bob"};
    assert_string_equal(l.text, handed(got, to, 1));
    /* Reassigning one of bob's to alice (not in the rule) frees his room. */
    l.text[0] = '\0';
    expect_status(e, cib_assign(e->ctx, "bob", CIB_NTS, a.conversation, "alice", CIB_NTS), CIB_OK,
                  NULL);
    char want[64];
    snprintf(want, sizeof want, "%llu>alice:%d;%llu>bob:%d;", (unsigned long long)a.conversation,
             CIB_REASON_MANUAL, (unsigned long long)c.conversation, CIB_REASON_RULE);
    assert_string_equal(l.text, want);
    assert_string_equal(waiting(e, "mail"), "");
    tenv_free(e);
}

/* A waiting conversation leaves the queue when closed or taken by hand. */
static void test_close_or_take_leaves_queue_R_ROUTE_8(void **state)
{
    (void)state;
    struct log l;
    tenv *e = env(&l);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, "user:bob");
    cib_ingest_result a = arrive(e, "mail"), b = arrive(e, "mail"), c = arrive(e, "mail");
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, a.conversation), CIB_OK, NULL);
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, b.conversation, "alice", CIB_NTS), CIB_OK,
                  NULL);
    char want[32];
    snprintf(want, sizeof want, "%llu", (unsigned long long)c.conversation);
    assert_string_equal(waiting(e, "mail"), want);
    assert_int_equal(conv_info(e, b.conversation).queued, 0);
    tenv_reopen(e);
    assert_string_equal(waiting(e, "mail"), want);
    /* Reopened, a closed conversation does not queue again. */
    expect_status(e, cib_reopen(e->ctx, "alice", CIB_NTS, a.conversation), CIB_OK, NULL);
    assert_string_equal(waiting(e, "mail"), want);
    l.text[0] = '\0';
    set_status(e, "bob", CIB_AVAILABLE);
    snprintf(want, sizeof want, "%llu>bob:%d;", (unsigned long long)c.conversation,
             CIB_REASON_RULE);
    assert_string_equal(l.text, want);
    assert_string_equal(assignee(e, a.conversation), "-");
    tenv_free(e);
}

/* Rule and account changes that make users eligible hand out at once: a new
 * rule, a team member added, access granted; a rule without a queue
 * releases its waiting conversations unassigned. */
static void test_rule_changes_hand_out_R_ROUTE_8(void **state)
{
    (void)state;
    struct log l;
    tenv *e = env(&l);
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    set_status(e, "carol", CIB_AVAILABLE);
    add_team(e, "t", NULL, 0);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, "team:t");
    cib_ingest_result a = arrive(e, "mail"), b = arrive(e, "mail");
    assert_int_equal(a.queued, 1);
    /* A member joins the team: eligible, takes both. */
    l.text[0] = '\0';
    const char *members[] = {"bob"};
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "t";
    t.members = members;
    t.n_members = 1;
    expect_status(e, cib_team_update(e->ctx, &t), CIB_OK, NULL);
    const cib_ingest_result *got[] = {&a, &b};
    const char *to[] = {"bob", "bob"};
    assert_string_equal(l.text, handed(got, to, 2));
    /* A new rule naming an eligible user: hands out. */
    set_capacity(e, "bob", 2);
    cib_ingest_result c = arrive(e, "mail");
    assert_int_equal(c.queued, 1);
    l.text[0] = '\0';
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 1, "team:t user:carol");
    const cib_ingest_result *got2[] = {&c};
    const char *to2[] = {"carol"};
    assert_string_equal(l.text, handed(got2, to2, 1));
    /* Access: a VIP inbox whose rule names alice, who has no access yet. */
    const char *only_bob[] = {"bob"};
    add_inbox_access(e, "vip", "VIP", only_bob, 1, NULL, 0);
    add_channel(e, "vipmail", "vip", CIB_CHANNEL_EMAIL, "vip@acme.test");
    set_routing(e, "vipmail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, "user:alice");
    cib_ingest_result d = arrive(e, "vipmail");
    assert_int_equal(d.queued, 1);
    l.text[0] = '\0';
    const char *both[] = {"bob", "alice"};
    cib_access_def acc = CIB_ACCESS_DEF_INIT;
    acc.everyone = 0;
    acc.users = both;
    acc.n_users = 2;
    expect_status(e, cib_inbox_set_access(e->ctx, "vip", CIB_NTS, &acc), CIB_OK, NULL);
    const cib_ingest_result *got3[] = {&d};
    const char *to3[] = {"alice"};
    assert_string_equal(l.text, handed(got3, to3, 1));
    /* A rule without a queue releases the waiting ones, unassigned. */
    set_status(e, "alice", CIB_AWAY);
    cib_ingest_result f = arrive(e, "vipmail");
    assert_int_equal(f.queued, 1);
    set_routing(e, "vipmail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "user:alice");
    assert_string_equal(waiting(e, "vipmail"), "");
    assert_int_equal(conv_info(e, f.conversation).queued, 0);
    assert_string_equal(assignee(e, f.conversation), "-");
    tenv_reopen(e);
    assert_int_equal(conv_info(e, f.conversation).queued, 0);
    tenv_free(e);
}

/* One user in two rules with waiting work takes the globally oldest first. */
static void test_oldest_across_rules_R_ROUTE_8(void **state)
{
    (void)state;
    struct log l;
    tenv *e = env(&l);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, "user:bob");
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, "user:bob");
    set_capacity(e, "bob", 3);
    cib_ingest_result m1 = arrive(e, "mail");
    cib_ingest_result c1 = ingest_msg(e, "chat", "c1", "visitor-1", NULL);
    cib_ingest_result m2 = arrive(e, "mail");
    cib_ingest_result c2 = ingest_msg(e, "chat", "c2", "visitor-2", NULL);
    tenv_reopen(e); /* the order survives a restart */
    l.text[0] = '\0';
    set_status(e, "bob", CIB_AVAILABLE);
    const cib_ingest_result *got[] = {&m1, &c1, &m2};
    const char *to[] = {"bob", "bob", "bob"};
    assert_string_equal(l.text, handed(got, to, 3));
    char want[32];
    snprintf(want, sizeof want, "%llu", (unsigned long long)c2.conversation);
    assert_string_equal(waiting(e, "chat"), want);
    assert_string_equal(waiting(e, "mail"), "");
    tenv_free(e);
}

/* Several users become eligible by one change (a team's rule rebuilt): the
 * strategy spreads the backlog. */
static void test_strategy_spreads_backlog_R_ROUTE_8_R_ROUTE_7(void **state)
{
    (void)state;
    struct log l;
    tenv *e = env(&l);
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 1, "user:carol");
    cib_ingest_result a = arrive(e, "mail"), b = arrive(e, "mail"), c = arrive(e, "mail");
    l.text[0] = '\0';
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 1, "user:alice user:bob");
    const cib_ingest_result *got[] = {&a, &b, &c};
    const char *to[] = {"alice", "bob", "alice"};
    assert_string_equal(l.text, handed(got, to, 3));
    /* The turn continues after the hand-out. */
    assert_string_equal(arrive(e, "mail").assignee, "bob");
    tenv_free(e);
}

/* Deleting an inbox frees its assignees' room for other inboxes' queues. */
static void test_inbox_removal_frees_room_R_ROUTE_8(void **state)
{
    (void)state;
    struct log l;
    tenv *e = env(&l);
    add_inbox(e, "sales", "Sales");
    add_channel(e, "salesmail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    set_status(e, "bob", CIB_AVAILABLE);
    set_capacity(e, "bob", 1);
    set_routing(e, "salesmail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, "user:bob");
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, "user:bob");
    cib_ingest_result s = arrive(e, "salesmail"), s2 = arrive(e, "salesmail");
    cib_ingest_result m = arrive(e, "mail");
    assert_string_equal(s.assignee, "bob");
    assert_int_equal(s2.queued, 1);
    assert_int_equal(m.queued, 1);
    l.text[0] = '\0';
    expect_status(e, cib_inbox_remove(e->ctx, "sales", CIB_NTS, "Sales", CIB_NTS), CIB_OK, NULL);
    const cib_ingest_result *got[] = {&m};
    const char *to[] = {"bob"};
    assert_string_equal(l.text, handed(got, to, 1));
    tenv_reopen(e);
    assert_string_equal(assignee(e, m.conversation), "bob");
    tenv_free(e);
}

/* Reading a queue: pages, totals, bad input. */
static void test_waiting_reads_R_ROUTE_8(void **state)
{
    (void)state;
    struct log l;
    tenv *e = env(&l);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, "user:bob");
    uint64_t all[10];
    for (int i = 0; i < 10; i++)
        all[i] = arrive(e, "mail").conversation;
    uint64_t ids[4];
    size_t n, total;
    for (size_t off = 0; off <= 11; off++) {
        expect_status(e, cib_waiting(e->ctx, "mail", CIB_NTS, off, ids, 4, &n, &total), CIB_OK,
                      NULL);
        assert_int_equal(total, 10);
        size_t want = off >= 10 ? 0 : (10 - off < 4 ? 10 - off : 4);
        assert_int_equal(n, want);
        for (size_t i = 0; i < n; i++)
            assert_true(ids[i] == all[off + i]);
    }
    expect_status(e, cib_waiting(e->ctx, "mail", CIB_NTS, 0, NULL, 0, &n, NULL), CIB_OK, NULL);
    assert_int_equal(n, 0);
    expect_status(e, cib_waiting(e->ctx, "mail", CIB_NTS, 0, NULL, 3, &n, &total), CIB_EINVAL,
                  "'ids'");
    expect_status(e, cib_waiting(e->ctx, "mail", CIB_NTS, 0, ids, 4, NULL, &total), CIB_EINVAL,
                  "'n'");
    expect_status(e, cib_waiting(e->ctx, "nope", CIB_NTS, 0, ids, 4, &n, &total), CIB_ENOTFOUND,
                  "nope");
    tenv_free(e);
}

static int call_waiting(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    uint64_t ids[2];
    size_t got;
    return cib_waiting(ctx, s, n, 0, ids, 2, &got, NULL);
}

static void test_waiting_bad_strings_R_ROUTE_8(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    expect_bad_strings(e, "channel", call_waiting, NULL);
    tenv_free(e);
}

/* ---- failure sweeps: every hand-out path is atomic (R-HOST-1) ---- */

static void backlog_setup(tenv *e)
{
    setup(e);
    const char *members[] = {"alice"};
    add_team(e, "t", members, 1);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 1, "team:t user:bob");
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_LEAST_LOADED, 1, "user:bob user:carol");
    set_status(e, "bob", CIB_AVAILABLE);
    set_capacity(e, "bob", 1);
    ingest_msg(e, "mail", "b1", "one@example.test", NULL);  /* bob */
    ingest_msg(e, "mail", "b2", "two@example.test", NULL);  /* waits */
    ingest_msg(e, "chat", "b3", "visitor-3", NULL);         /* waits */
    ingest_msg(e, "mail", "b4", "four@example.test", NULL); /* waits */
}

static int op_status(cib_ctx *ctx, void *arg)
{
    return cib_user_set_status(ctx, (const char *)arg, CIB_NTS, CIB_AVAILABLE);
}

static int op_capacity(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "bob";
    d.name = "bob";
    d.email = "bob@acme.test";
    d.capacity = 3;
    return cib_user_update(ctx, &d);
}

static uint64_t first_conv(cib_ctx *ctx, const char *user)
{
    cib_view_def v = CIB_VIEW_DEF_INIT;
    v.view = CIB_VIEW_MINE;
    v.user = user;
    v.status = CIB_STATUS_OPEN; /* from memory: no store calls */
    uint64_t ids[1];
    size_t n = 0;
    assert_int_equal(cib_view(ctx, &v, ids, 1, &n, NULL), CIB_OK);
    assert_int_equal(n, 1);
    return ids[0];
}

static int op_close(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_close(ctx, "bob", CIB_NTS, first_conv(ctx, "bob"));
}

static int op_assign(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_assign(ctx, "bob", CIB_NTS, first_conv(ctx, "bob"), "alice", CIB_NTS);
}

static int op_team(cib_ctx *ctx, void *arg)
{
    (void)arg;
    const char *members[] = {"alice", "carol"};
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "t";
    t.members = members;
    t.n_members = 2;
    return cib_team_update(ctx, &t);
}

static int op_routing(cib_ctx *ctx, void *arg)
{
    (void)arg;
    int kinds[] = {CIB_TARGET_USER};
    const char *ids[] = {"carol"};
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = CIB_ROUTE_SPECIFIC;
    r.only_available = 0;
    r.queue = 1;
    r.target_kinds = kinds;
    r.target_ids = ids;
    r.n_targets = 1;
    return cib_channel_set_routing(ctx, "mail", CIB_NTS, &r);
}

static int op_release(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    return cib_channel_set_routing(ctx, "mail", CIB_NTS, &r);
}

static int op_queue_new(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = "mail";
    m.msg_id = "b9";
    m.from = "nine@example.test";
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    return cib_ingest(ctx, &m, &r);
}

static void test_sweep_handouts_R_HOST_1_R_ROUTE_8(void **state)
{
    (void)state;
    sweep_op(backlog_setup, op_status, (void *)"alice");
    sweep_op(backlog_setup, op_status, (void *)"carol");
    sweep_op(backlog_setup, op_capacity, NULL);
    sweep_op(backlog_setup, op_close, NULL);
    sweep_op(backlog_setup, op_assign, NULL);
    sweep_op(backlog_setup, op_team, NULL);
    sweep_op(backlog_setup, op_routing, NULL);
    sweep_op(backlog_setup, op_release, NULL);
    sweep_op(backlog_setup, op_queue_new, NULL);
}

static void inbox_setup(tenv *e)
{
    backlog_setup(e);
    add_inbox(e, "sales", "Sales");
    add_channel(e, "salesmail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    set_capacity(e, "bob", 2);
    set_routing(e, "salesmail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, "user:bob");
    ingest_msg(e, "salesmail", "s1", "s@example.test", NULL); /* bob is full */
}

static int op_remove_inbox(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_inbox_remove(ctx, "sales", CIB_NTS, "Sales", CIB_NTS);
}

static int op_access(cib_ctx *ctx, void *arg)
{
    (void)arg;
    const char *users[] = {"alice"};
    cib_access_def a = CIB_ACCESS_DEF_INIT;
    a.everyone = 0;
    a.users = users;
    a.n_users = 1;
    return cib_inbox_set_access(ctx, "support", CIB_NTS, &a);
}

static void test_sweep_account_handouts_R_HOST_1_R_ROUTE_8(void **state)
{
    (void)state;
    sweep_op(inbox_setup, op_remove_inbox, NULL);
    sweep_op(backlog_setup, op_access, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waits_when_nobody_R_ROUTE_8),
        cmocka_unit_test(test_status_change_hands_out_oldest_first_R_ROUTE_8),
        cmocka_unit_test(test_capacity_and_reassignment_hand_out_R_ROUTE_8),
        cmocka_unit_test(test_close_or_take_leaves_queue_R_ROUTE_8),
        cmocka_unit_test(test_rule_changes_hand_out_R_ROUTE_8),
        cmocka_unit_test(test_oldest_across_rules_R_ROUTE_8),
        cmocka_unit_test(test_strategy_spreads_backlog_R_ROUTE_8_R_ROUTE_7),
        cmocka_unit_test(test_inbox_removal_frees_room_R_ROUTE_8),
        cmocka_unit_test(test_waiting_reads_R_ROUTE_8),
        cmocka_unit_test(test_waiting_bad_strings_R_ROUTE_8),
        cmocka_unit_test(test_sweep_handouts_R_HOST_1_R_ROUTE_8),
        cmocka_unit_test(test_sweep_account_handouts_R_HOST_1_R_ROUTE_8),
    };
    return TENV_RUN(tests);
}
