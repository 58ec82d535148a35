/* test_routing.c - who gets a new conversation: routing modes, seats,
 * reasons, explain and bad rules (R-ROUTE-1..6, 9), user availability and
 * reassign replies (R-AVAIL-1..3). Strategies, capacity and the failure
 * sweeps of routing decisions are in test_strategies.c, waiting queues in
 * test_queue.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/routingtest.h"

/* ---- events ---- */

struct log {
    char text[4096];
};

static void on_event(void *ud, const cib_event *ev)
{
    static const char *names[] = {"?",      "created", "message", "assigned",
                                  "ticket", "notify",  "closed",  "reopened"};
    struct log *l = ud;
    size_t n = strlen(l->text);
    if (ev->type == CIB_EVENT_ASSIGNED)
        snprintf(l->text + n, sizeof l->text - n, "%s:%s:%d;", names[ev->type],
                 ev->user ? ev->user : "-", ev->reason);
    else
        snprintf(l->text + n, sizeof l->text - n, "%s:%s;", names[ev->type],
                 ev->user ? ev->user : "-");
}

static tenv *logged_env(struct log *l)
{
    tenv *e = tenv_new();
    l->text[0] = '\0';
    e->opts.on_event = on_event;
    e->opts.event_user_data = l;
    tenv_reopen(e);
    routing_setup(e);
    return e;
}

/* ---- R-AVAIL-1 ---- */

/* R-AVAIL-1: three statuses; new users are offline; statuses are stored. */
static void test_status_R_AVAIL_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    cib_user_info u = CIB_USER_INFO_INIT;
    expect_status(e, cib_user_get(e->ctx, "alice", CIB_NTS, &u), CIB_OK, NULL);
    assert_int_equal(u.status, CIB_OFFLINE);
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AWAY);
    tenv_reopen(e);
    expect_status(e, cib_user_get(e->ctx, "alice", CIB_NTS, &u), CIB_OK, NULL);
    assert_int_equal(u.status, CIB_AVAILABLE);
    expect_status(e, cib_user_get(e->ctx, "bob", CIB_NTS, &u), CIB_OK, NULL);
    assert_int_equal(u.status, CIB_AWAY);
    expect_status(e, cib_user_get(e->ctx, "carol", CIB_NTS, &u), CIB_OK, NULL);
    assert_int_equal(u.status, CIB_OFFLINE);
    /* Bad statuses and users change nothing. */
    char *before = tenv_snapshot(e);
    expect_status(e, cib_user_set_status(e->ctx, "alice", CIB_NTS, 0), CIB_EINVAL, "'status'");
    expect_status(e, cib_user_set_status(e->ctx, "alice", CIB_NTS, 4), CIB_EINVAL, "'status'");
    expect_status(e, cib_user_set_status(e->ctx, "nobody", CIB_NTS, CIB_AWAY), CIB_ENOTFOUND,
                  "nobody");
    expect_status(e, cib_user_set_reassign_replies(e->ctx, "nobody", CIB_NTS, 1), CIB_ENOTFOUND,
                  "nobody");
    expect_unchanged(e, before);
    free(before);
    tenv_free(e);
}

static int call_set_status(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    return cib_user_set_status(ctx, s, n, CIB_AVAILABLE);
}

static int call_set_reassign(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    return cib_user_set_reassign_replies(ctx, s, n, 1);
}

static void test_status_bad_strings_R_AVAIL_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    expect_bad_strings(e, "id", call_set_status, NULL);
    expect_bad_strings(e, "id", call_set_reassign, NULL);
    tenv_free(e);
}

/* ---- R-ROUTE-1, 2, 4 ---- */

/* R-ROUTE-1: the default rule leaves new conversations unassigned, even with
 * everyone available. */
static void test_unassigned_default_R_ROUTE_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    set_status(e, "alice", CIB_AVAILABLE);
    cib_ingest_result r;
    assert_string_equal(route_one(e, "mail", &r), "-");
    assert_int_equal(r.reason, CIB_REASON_NONE);
    assert_int_equal(r.queued, 0);
    cib_channel_info ci = CIB_CHANNEL_INFO_INIT;
    expect_status(e, cib_channel_get(e->ctx, "mail", CIB_NTS, &ci), CIB_OK, NULL);
    assert_int_equal(ci.routing_mode, CIB_ROUTE_UNASSIGNED);
    /* An explicit unassigned rule: the same; it takes no targets or queue. */
    set_routing(e, "mail", CIB_ROUTE_UNASSIGNED, CIB_FIRST_AVAILABLE, 0, NULL);
    assert_string_equal(route_one(e, "mail", NULL), "-");
    expect_status(
        e, try_routing(e, "mail", CIB_ROUTE_UNASSIGNED, CIB_FIRST_AVAILABLE, 1, 0, "user:alice"),
        CIB_EINVAL, "unassigned");
    expect_status(e, try_routing(e, "mail", CIB_ROUTE_UNASSIGNED, CIB_FIRST_AVAILABLE, 1, 1, NULL),
                  CIB_EINVAL, "unassigned");
    tenv_free(e);
}

/* R-ROUTE-2: the first available user in list order; a team stands for its
 * members in their order. R-ROUTE-4: only available users, unless switched
 * off; nobody available leaves it unassigned. */
static void test_specific_first_available_R_ROUTE_2_R_ROUTE_4(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    const char *members[] = {"carol", "alice"};
    add_team(e, "tier2", members, 2);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "user:bob team:tier2");
    cib_ingest_result r;
    assert_string_equal(route_one(e, "mail", &r), "-"); /* all offline */
    assert_int_equal(r.reason, CIB_REASON_NONE);
    set_status(e, "alice", CIB_AVAILABLE);
    assert_string_equal(route_one(e, "mail", &r), "alice");
    assert_int_equal(r.reason, CIB_REASON_RULE);
    set_status(e, "carol", CIB_AVAILABLE);
    assert_string_equal(route_one(e, "mail", NULL), "carol"); /* team order */
    set_status(e, "bob", CIB_AVAILABLE);
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    assert_string_equal(route_one(e, "mail", NULL), "bob"); /* always the first */
    set_status(e, "bob", CIB_AWAY);
    assert_string_equal(route_one(e, "mail", NULL), "carol");
    /* R-ROUTE-4 off: availability is ignored; the first in order. */
    set_status(e, "carol", CIB_OFFLINE);
    expect_status(e,
                  try_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, 0,
                              "user:bob team:tier2"),
                  CIB_OK, NULL);
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    cib_channel_info ci = CIB_CHANNEL_INFO_INIT;
    expect_status(e, cib_channel_get(e->ctx, "mail", CIB_NTS, &ci), CIB_OK, NULL);
    assert_int_equal(ci.only_available, 0);
    assert_int_equal(ci.routing_mode, CIB_ROUTE_SPECIFIC);
    /* The rule's targets read back in order, and survive a restart. */
    tenv_reopen(e);
    size_t n = 0;
    const char *item = NULL;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_CHANNEL_TARGETS, "mail", CIB_NTS, &n), CIB_OK,
                  NULL);
    assert_int_equal(n, 2);
    expect_status(e, cib_list_item(e->ctx, CIB_LIST_CHANNEL_TARGETS, "mail", CIB_NTS, 0, &item),
                  CIB_OK, NULL);
    assert_string_equal(item, "user:bob");
    expect_status(e, cib_list_item(e->ctx, CIB_LIST_CHANNEL_TARGETS, "mail", CIB_NTS, 1, &item),
                  CIB_OK, NULL);
    assert_string_equal(item, "team:tier2");
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    tenv_free(e);
}

/* A team changes, the rule follows: new members are candidates at once,
 * removed ones are not; a removed team leaves the rule. */
static void test_team_changes_follow_R_ROUTE_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    const char *one[] = {"alice"};
    add_team(e, "t", one, 1);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "team:t");
    set_status(e, "bob", CIB_AVAILABLE);
    assert_string_equal(route_one(e, "mail", NULL), "-");
    const char *two[] = {"alice", "bob"};
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "t";
    t.members = two;
    t.n_members = 2;
    expect_status(e, cib_team_update(e->ctx, &t), CIB_OK, NULL);
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    t.members = one;
    t.n_members = 1;
    expect_status(e, cib_team_update(e->ctx, &t), CIB_OK, NULL);
    assert_string_equal(route_one(e, "mail", NULL), "-");
    expect_status(e, cib_team_remove(e->ctx, "t", CIB_NTS), CIB_OK, NULL);
    size_t n = 9;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_CHANNEL_TARGETS, "mail", CIB_NTS, &n), CIB_OK,
                  NULL);
    assert_int_equal(n, 0);
    assert_string_equal(route_one(e, "mail", NULL), "-");
    tenv_reopen(e);
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_CHANNEL_TARGETS, "mail", CIB_NTS, &n), CIB_OK,
                  NULL);
    assert_int_equal(n, 0);
    tenv_free(e);
}

/* Removing a user takes them out of every rule, directly or through teams. */
static void test_user_removal_leaves_rules_R_ROUTE_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    const char *members[] = {"alice", "bob"};
    add_team(e, "t", members, 2);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "user:alice team:t");
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    assert_string_equal(route_one(e, "mail", NULL), "alice");
    expect_status(e, cib_user_remove(e->ctx, "alice", CIB_NTS), CIB_OK, NULL);
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    const char *item = NULL;
    size_t n = 0;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_CHANNEL_TARGETS, "mail", CIB_NTS, &n), CIB_OK,
                  NULL);
    assert_int_equal(n, 1);
    expect_status(e, cib_list_item(e->ctx, CIB_LIST_CHANNEL_TARGETS, "mail", CIB_NTS, 0, &item),
                  CIB_OK, NULL);
    assert_string_equal(item, "team:t");
    tenv_reopen(e);
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    tenv_free(e);
}

/* Only users who may act in the inbox are assigned; access changes follow. */
static void test_access_R_ROUTE_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    const char *users[] = {"bob"};
    add_inbox_access(e, "vip", "VIP", users, 1, NULL, 0);
    add_channel(e, "vipmail", "vip", CIB_CHANNEL_EMAIL, "vip@acme.test");
    set_routing(e, "vipmail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "user:alice user:bob");
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    assert_string_equal(route_one(e, "vipmail", NULL), "bob");
    const char *both[] = {"alice", "bob"};
    cib_access_def a = CIB_ACCESS_DEF_INIT;
    a.everyone = 0;
    a.users = both;
    a.n_users = 2;
    expect_status(e, cib_inbox_set_access(e->ctx, "vip", CIB_NTS, &a), CIB_OK, NULL);
    assert_string_equal(route_one(e, "vipmail", NULL), "alice");
    tenv_free(e);
}

/* ---- R-ROUTE-3 ---- */

/* R-ROUTE-3: to the contact's owner, available or not (then notified); no
 * owner: the fallback list, or unassigned. A free-seat owner counts as none. */
static void test_contact_owner_R_ROUTE_3(void **state)
{
    (void)state;
    struct log l;
    tenv *e = logged_env(&l);
    add_contact(e, "c-own", "owned@example.test", "alice");
    add_contact(e, "c-free", "freeowned@example.test", "dave");
    set_routing(e, "mail", CIB_ROUTE_CONTACT_OWNER, CIB_FIRST_AVAILABLE, 0, "user:bob");
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    l.text[0] = '\0';
    /* The owner, available: no notification. */
    cib_ingest_result r = ingest_msg(e, "mail", "o1", "owned@example.test", NULL);
    assert_string_equal(r.assignee, "alice");
    assert_int_equal(r.reason, CIB_REASON_OWNER);
    assert_null(r.notified);
    assert_string_equal(l.text, "created:-;assigned:alice:2;message:-;");
    /* The owner, away: still the owner, and notified. */
    set_status(e, "alice", CIB_AWAY);
    l.text[0] = '\0';
    r = ingest_msg(e, "mail", "o2", "owned@example.test", NULL);
    assert_string_equal(r.assignee, "alice");
    assert_int_equal(r.reason, CIB_REASON_OWNER);
    assert_string_equal(r.notified, "alice");
    assert_string_equal(l.text, "created:-;assigned:alice:2;notify:alice;message:-;");
    assert_int_equal(conv_info(e, r.conversation).reason, CIB_REASON_OWNER);
    /* Offline: the same. */
    set_status(e, "alice", CIB_OFFLINE);
    r = ingest_msg(e, "mail", "o3", "owned@example.test", NULL);
    assert_string_equal(r.assignee, "alice");
    assert_string_equal(r.notified, "alice");
    /* A new visitor (no owner): the fallback list. */
    r = ingest_msg(e, "mail", "o4", "stranger@example.test", NULL);
    assert_string_equal(r.assignee, "bob");
    assert_int_equal(r.reason, CIB_REASON_FALLBACK);
    assert_null(r.notified);
    /* A free-seat owner counts as no owner (decided). */
    r = ingest_msg(e, "mail", "o5", "freeowned@example.test", NULL);
    assert_string_equal(r.assignee, "bob");
    assert_int_equal(r.reason, CIB_REASON_FALLBACK);
    /* Fallback with nobody available: unassigned. */
    set_status(e, "bob", CIB_AWAY);
    r = ingest_msg(e, "mail", "o6", "stranger2@example.test", NULL);
    assert_null(r.assignee);
    /* No fallback list: unassigned. */
    set_routing(e, "mail", CIB_ROUTE_CONTACT_OWNER, CIB_FIRST_AVAILABLE, 0, NULL);
    set_status(e, "bob", CIB_AVAILABLE);
    r = ingest_msg(e, "mail", "o7", "stranger3@example.test", NULL);
    assert_null(r.assignee);
    r = ingest_msg(e, "mail", "o8", "owned@example.test", NULL);
    assert_string_equal(r.assignee, "alice");
    tenv_free(e);
}

/* An owner who may not act in the inbox counts as no owner. */
static void test_owner_without_access_R_ROUTE_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    const char *users[] = {"bob"};
    add_inbox_access(e, "vip", "VIP", users, 1, NULL, 0);
    add_channel(e, "vipmail", "vip", CIB_CHANNEL_EMAIL, "vip@acme.test");
    add_contact(e, "c-own", "owned@example.test", "alice");
    set_routing(e, "vipmail", CIB_ROUTE_CONTACT_OWNER, CIB_FIRST_AVAILABLE, 0, "user:bob");
    set_status(e, "bob", CIB_AVAILABLE);
    cib_ingest_result r = ingest_msg(e, "vipmail", "o1", "owned@example.test", NULL);
    assert_string_equal(r.assignee, "bob");
    assert_int_equal(r.reason, CIB_REASON_FALLBACK);
    tenv_free(e);
}

/* ---- R-ROUTE-5 ---- */

/* R-ROUTE-5: a rule naming a free-seat user is refused; a team's free seats
 * are skipped; a user whose seat becomes free is no longer picked. */
static void test_paid_seats_only_R_ROUTE_5(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    set_status(e, "dave", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    char *before = tenv_snapshot(e);
    expect_status(
        e,
        try_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, 0, "user:bob user:dave"),
        CIB_ESEAT, "dave");
    expect_unchanged(e, before);
    free(before);
    const char *members[] = {"dave", "bob"};
    add_team(e, "mixed", members, 2);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "team:mixed");
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    /* Bob becomes a free seat: nobody paid is left. */
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "user:bob");
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "bob";
    d.name = "bob";
    d.email = "bob@acme.test";
    d.seat = CIB_SEAT_FREE;
    expect_status(e, cib_user_update(e->ctx, &d), CIB_OK, NULL);
    assert_string_equal(route_one(e, "mail", NULL), "-");
    cib_ingest_result r = ingest_msg(e, "chat", "c1", "visitor-1", NULL);
    assert_null(r.assignee);
    tenv_reopen(e);
    assert_string_equal(route_one(e, "mail", NULL), "-");
    /* Paid again: picked again. */
    d.seat = CIB_SEAT_PAID;
    expect_status(e, cib_user_update(e->ctx, &d), CIB_OK, NULL);
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    r = ingest_msg(e, "chat", "c2", "visitor-2", NULL);
    assert_string_equal(r.assignee, "bob");
    tenv_free(e);
}

/* ---- R-ROUTE-6 ---- */

/* R-ROUTE-6: every assignment records its reason, reported to the host. */
static void test_reasons_R_ROUTE_6(void **state)
{
    (void)state;
    struct log l;
    tenv *e = logged_env(&l);
    add_contact(e, "c-own", "owned@example.test", "carol");
    set_routing(e, "mail", CIB_ROUTE_CONTACT_OWNER, CIB_FIRST_AVAILABLE, 0, "user:bob");
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "user:alice user:bob");
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    set_status(e, "carol", CIB_AVAILABLE);
    l.text[0] = '\0';
    cib_ingest_result owner = ingest_msg(e, "mail", "r1", "owned@example.test", NULL);
    cib_ingest_result fallback = ingest_msg(e, "mail", "r2", "new@example.test", NULL);
    cib_ingest_result rule = ingest_msg(e, "chat", "r3", "visitor-9", "s1");
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, fallback.conversation, "carol", CIB_NTS),
                  CIB_OK, NULL);
    expect_status(e, cib_user_set_reassign_replies(e->ctx, "alice", CIB_NTS, 1), CIB_OK, NULL);
    set_status(e, "alice", CIB_AWAY);
    cib_ingest_result again = ingest_msg(e, "chat", "r4", "visitor-9", "s1");
    assert_int_equal(again.reason, CIB_REASON_REASSIGNED_OFFLINE);
    assert_string_equal(l.text, "created:-;assigned:carol:2;message:-;"
                                "created:-;assigned:bob:3;message:-;"
                                "created:-;assigned:alice:1;message:-;"
                                "assigned:carol:4;"
                                "assigned:bob:5;message:-;");
    assert_int_equal(conv_info(e, owner.conversation).reason, CIB_REASON_OWNER);
    assert_int_equal(conv_info(e, fallback.conversation).reason, CIB_REASON_MANUAL);
    assert_int_equal(conv_info(e, rule.conversation).reason, CIB_REASON_REASSIGNED_OFFLINE);
    tenv_reopen(e);
    assert_int_equal(conv_info(e, owner.conversation).reason, CIB_REASON_OWNER);
    assert_int_equal(conv_info(e, rule.conversation).reason, CIB_REASON_REASSIGNED_OFFLINE);
    tenv_free(e);
}

/* ---- R-ROUTE-9 ---- */

struct explained {
    char text[512];
    int stop_after;
    int calls;
};

static int on_candidate(void *ud, const cib_candidate *c)
{
    static const char *why[] = {"eligible",  "away",        "offline",
                                "free_seat", "at_capacity", "no_access"};
    struct explained *x = ud;
    size_t n = strlen(x->text);
    snprintf(x->text + n, sizeof x->text - n, "%s=%s/%u;", c->user, why[c->why], (unsigned)c->load);
    return ++x->calls == x->stop_after;
}

static const char *explain(tenv *e, const char *channel, struct explained *x)
{
    x->text[0] = '\0';
    x->calls = 0;
    expect_status(e, cib_explain(e->ctx, channel, CIB_NTS, on_candidate, x), CIB_OK, NULL);
    return x->text;
}

/* R-ROUTE-9: each user the rule names, in order, once, with why they are or
 * are not eligible now. */
static void test_explain_R_ROUTE_9(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    add_user(e, "erin", "erin@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "fred", "fred@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    const char *members[] = {"bob", "dave", "carol", "erin", "fred"};
    add_team(e, "t", members, 5);
    const char *access[] = {"alice", "bob", "carol", "dave", "erin"};
    add_inbox_access(e, "vip", "VIP", access, 5, NULL, 0);
    add_channel(e, "vipmail", "vip", CIB_CHANNEL_EMAIL, "vip@acme.test");
    struct explained x = {"", 0, 0};
    assert_string_equal(explain(e, "vipmail", &x), ""); /* unassigned: nobody */
    set_routing(e, "vipmail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0,
                "user:alice team:t user:carol");
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AWAY);
    set_status(e, "erin", CIB_AVAILABLE);
    set_status(e, "fred", CIB_AVAILABLE);
    set_capacity(e, "erin", 1);
    cib_ingest_result r = ingest_msg(e, "vipmail", "x1", "a@example.test", NULL);
    assert_string_equal(r.assignee, "alice");
    set_status(e, "alice", CIB_AVAILABLE);
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, r.conversation, "erin", CIB_NTS), CIB_OK,
                  NULL);
    assert_string_equal(explain(e, "vipmail", &x), "alice=eligible/0;bob=away/0;dave=free_seat/0;"
                                                   "carol=offline/0;erin=at_capacity/1;"
                                                   "fred=no_access/0;");
    /* The callback can stop early. */
    x.stop_after = 2;
    assert_string_equal(explain(e, "vipmail", &x), "alice=eligible/0;bob=away/0;");
    x.stop_after = 0;
    /* With availability ignored, away and offline users are eligible. */
    expect_status(e,
                  try_routing(e, "vipmail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, 0,
                              "user:alice team:t"),
                  CIB_OK, NULL);
    assert_string_equal(explain(e, "vipmail", &x), "alice=eligible/0;bob=eligible/0;"
                                                   "dave=free_seat/0;carol=eligible/0;"
                                                   "erin=at_capacity/1;fred=no_access/0;");
    /* An owner rule explains its fallback list. */
    set_routing(e, "mail", CIB_ROUTE_CONTACT_OWNER, CIB_FIRST_AVAILABLE, 0, "user:bob");
    assert_string_equal(explain(e, "mail", &x), "bob=away/0;");
    /* Read-only, and refuses bad input. */
    char *before = tenv_snapshot(e);
    expect_status(e, cib_explain(e->ctx, "mail", CIB_NTS, NULL, NULL), CIB_EINVAL, "'fn'");
    expect_status(e, cib_explain(e->ctx, "nope", CIB_NTS, on_candidate, &x), CIB_ENOTFOUND, "nope");
    expect_unchanged(e, before);
    free(before);
    tenv_free(e);
}

/* R-ROUTE-2, R-ROUTE-9: a removed user leaves the rules that name a team
 * of theirs at once, not only when the team drops them: the rebuilt rule
 * names the team's other members. */
static void test_removed_member_leaves_team_rules_R_ROUTE_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    const char *members[] = {"alice", "bob"};
    add_team(e, "t", members, 2);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "team:t");
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    struct explained x = {"", 0, 0};
    assert_string_equal(explain(e, "mail", &x), "alice=eligible/0;bob=eligible/0;");
    expect_status(e, cib_user_remove(e->ctx, "alice", CIB_NTS), CIB_OK, NULL);
    assert_string_equal(explain(e, "mail", &x), "bob=eligible/0;");
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    tenv_reopen(e);
    assert_string_equal(explain(e, "mail", &x), "bob=eligible/1;");
    tenv_free(e);
}

static int call_explain(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    return cib_explain(ctx, s, n, on_candidate, arg);
}

static int call_set_routing(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    return cib_channel_set_routing(ctx, s, n, &r);
}

static int call_target(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    int kinds[] = {CIB_TARGET_USER};
    const char *ids[] = {s};
    size_t lens[] = {n};
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = CIB_ROUTE_SPECIFIC;
    r.target_kinds = kinds;
    r.target_ids = ids;
    r.target_id_lens = lens;
    r.n_targets = 1;
    return cib_channel_set_routing(ctx, "mail", CIB_NTS, &r);
}

/* Bad routing rules are refused with a message, and change nothing. */
static void test_routing_bad_inputs_R_ROUTE_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    add_team(e, "t", NULL, 0);
    struct explained x = {"", 0, 0};
    expect_bad_strings(e, "channel", call_explain, &x);
    expect_bad_strings(e, "id", call_set_routing, NULL);
    expect_bad_strings(e, "routing->targets", call_target, NULL);
    char *before = tenv_snapshot(e);
    expect_status(e, cib_channel_set_routing(e->ctx, "mail", CIB_NTS, NULL), CIB_EINVAL,
                  "'routing'");
    expect_status(e, cib_channel_set_routing(e->ctx, "nope", CIB_NTS, NULL), CIB_ENOTFOUND, "nope");
    expect_status(e, try_routing(e, "mail", 0, CIB_FIRST_AVAILABLE, 1, 0, NULL), CIB_EINVAL,
                  "mode");
    expect_status(e, try_routing(e, "mail", 4, CIB_FIRST_AVAILABLE, 1, 0, NULL), CIB_EINVAL,
                  "mode");
    expect_status(e, try_routing(e, "mail", CIB_ROUTE_SPECIFIC, 0, 1, 0, "user:alice"), CIB_EINVAL,
                  "strategy");
    expect_status(e, try_routing(e, "mail", CIB_ROUTE_SPECIFIC, 4, 1, 0, "user:alice"), CIB_EINVAL,
                  "strategy");
    expect_status(e,
                  try_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, 0,
                              "user:alice user:alice"),
                  CIB_EINVAL, "repeats");
    expect_status(
        e, try_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, 0, "team:t team:t"),
        CIB_EINVAL, "repeats");
    expect_status(
        e, try_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, 0, "user:nobody"),
        CIB_ENOTFOUND, "nobody");
    expect_status(
        e, try_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 1, 0, "team:nothing"),
        CIB_ENOTFOUND, "nothing");
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = CIB_ROUTE_SPECIFIC;
    r.n_targets = 1;
    expect_status(e, cib_channel_set_routing(e->ctx, "mail", CIB_NTS, &r), CIB_EINVAL, "NULL");
    int kinds[1] = {7};
    const char *ids[1] = {"alice"};
    r.target_kinds = kinds;
    r.target_ids = ids;
    expect_status(e, cib_channel_set_routing(e->ctx, "mail", CIB_NTS, &r), CIB_EINVAL, "kind 7");
    static int many_kinds[1001];
    static const char *many_ids[1001];
    for (int i = 0; i < 1001; i++) {
        many_kinds[i] = CIB_TARGET_USER;
        many_ids[i] = "alice";
    }
    r.target_kinds = many_kinds;
    r.target_ids = many_ids;
    r.n_targets = 1001;
    expect_status(e, cib_channel_set_routing(e->ctx, "mail", CIB_NTS, &r), CIB_EINVAL, "1000");
    r.size = 3;
    expect_status(e, cib_channel_set_routing(e->ctx, "mail", CIB_NTS, &r), CIB_EINVAL, "size");
    expect_unchanged(e, before);
    free(before);
    tenv_free(e);
}

/* ---- R-AVAIL-2 ---- */

/* R-AVAIL-2: while its user is not available, a new message on a chat
 * conversation assigned to them goes to another available user of the rule;
 * with nobody else, or on email, or with the switch off, it stays. */
static void test_reassign_replies_R_AVAIL_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "user:alice user:bob");
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "user:alice user:bob");
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    cib_ingest_result c = ingest_msg(e, "chat", "c1", "visitor-1", "s1");
    cib_ingest_result m = ingest_msg(e, "mail", "m1", "x@example.test", "t1");
    assert_string_equal(c.assignee, "alice");
    assert_string_equal(m.assignee, "alice");
    /* Switch off: stays, though away. */
    set_status(e, "alice", CIB_AWAY);
    cib_ingest_result r = ingest_msg(e, "chat", "c2", "visitor-1", "s1");
    assert_string_equal(r.assignee, "alice");
    assert_int_equal(r.reason, CIB_REASON_NONE); /* unchanged by this message */
    /* Switch on: the chat moves; the email stays. */
    expect_status(e, cib_user_set_reassign_replies(e->ctx, "alice", CIB_NTS, 1), CIB_OK, NULL);
    r = ingest_msg(e, "mail", "m2", "x@example.test", "t1");
    assert_string_equal(r.assignee, "alice");
    r = ingest_msg(e, "chat", "c3", "visitor-1", "s1");
    assert_string_equal(r.assignee, "bob");
    assert_int_equal(r.reason, CIB_REASON_REASSIGNED_OFFLINE);
    assert_int_equal(conv_info(e, c.conversation).reason, CIB_REASON_REASSIGNED_OFFLINE);
    assert_int_equal(load_of(e, "alice"), 1);
    assert_int_equal(load_of(e, "bob"), 1);
    /* Bob now: available, so it stays with him. */
    r = ingest_msg(e, "chat", "c4", "visitor-1", "s1");
    assert_string_equal(r.assignee, "bob");
    /* Nobody else available: it stays with its away assignee. */
    cib_ingest_result c2 = ingest_msg(e, "chat", "c5", "visitor-2", "s2");
    assert_string_equal(c2.assignee, "bob");
    expect_status(e, cib_user_set_reassign_replies(e->ctx, "bob", CIB_NTS, 1), CIB_OK, NULL);
    set_status(e, "bob", CIB_OFFLINE);
    r = ingest_msg(e, "chat", "c6", "visitor-2", "s2");
    assert_string_equal(r.assignee, "bob");
    /* The switch is stored. */
    tenv_reopen(e);
    cib_user_info u = CIB_USER_INFO_INIT;
    expect_status(e, cib_user_get(e->ctx, "alice", CIB_NTS, &u), CIB_OK, NULL);
    assert_int_equal(u.reassign_replies, 1);
    set_status(e, "carol", CIB_AVAILABLE);
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "user:bob user:carol");
    r = ingest_msg(e, "chat", "c7", "visitor-2", "s2");
    assert_string_equal(r.assignee, "carol");
    /* A closed chat reopened by the visitor is routed again too. */
    cib_ingest_result c3 = ingest_msg(e, "chat", "c8", "visitor-3", "s3");
    assert_string_equal(c3.assignee, "carol");
    close_conv(e, c3.conversation);
    expect_status(e, cib_user_set_reassign_replies(e->ctx, "carol", CIB_NTS, 1), CIB_OK, NULL);
    set_status(e, "carol", CIB_AWAY);
    set_status(e, "bob", CIB_AVAILABLE);
    r = ingest_msg(e, "chat", "c9", "visitor-3", "s3");
    assert_int_equal(r.reopened, 1);
    assert_string_equal(r.assignee, "bob");
    assert_int_equal(r.reason, CIB_REASON_REASSIGNED_OFFLINE);
    tenv_free(e);
}

/* ---- R-AVAIL-3 ---- */

/* R-AVAIL-3: time comes from the host's clock: stamps follow it exactly. */
static void test_clock_R_AVAIL_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    e->now = TENV_EPOCH_MS + 12345;
    cib_ingest_result a = ingest_msg(e, "mail", "t1", "x@example.test", "t");
    e->now = TENV_EPOCH_MS + 99999;
    ingest_msg(e, "mail", "t2", "x@example.test", "t");
    cib_conversation_info ci = conv_info(e, a.conversation);
    assert_int_equal(ci.created_at, TENV_EPOCH_MS + 12345);
    assert_int_equal(ci.last_inbound_at, TENV_EPOCH_MS + 99999);
    tenv_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_R_AVAIL_1),
        cmocka_unit_test(test_status_bad_strings_R_AVAIL_1),
        cmocka_unit_test(test_unassigned_default_R_ROUTE_1),
        cmocka_unit_test(test_specific_first_available_R_ROUTE_2_R_ROUTE_4),
        cmocka_unit_test(test_team_changes_follow_R_ROUTE_2),
        cmocka_unit_test(test_user_removal_leaves_rules_R_ROUTE_2),
        cmocka_unit_test(test_access_R_ROUTE_2),
        cmocka_unit_test(test_contact_owner_R_ROUTE_3),
        cmocka_unit_test(test_owner_without_access_R_ROUTE_3),
        cmocka_unit_test(test_paid_seats_only_R_ROUTE_5),
        cmocka_unit_test(test_reasons_R_ROUTE_6),
        cmocka_unit_test(test_explain_R_ROUTE_9),
        cmocka_unit_test(test_removed_member_leaves_team_rules_R_ROUTE_2),
        cmocka_unit_test(test_routing_bad_inputs_R_ROUTE_2),
        cmocka_unit_test(test_reassign_replies_R_AVAIL_2),
        cmocka_unit_test(test_clock_R_AVAIL_3),
    };
    return TENV_RUN(tests);
}
