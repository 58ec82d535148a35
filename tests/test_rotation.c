/* test_rotation.c - a round-robin rule's turn (R-ROUTE-7) through every
 * change that rebuilds rules (seats, team membership, inbox access, user
 * removal, rule edits, team removal): the context that keeps running and a
 * context reopened on the same store pick the same users next. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/routingtest.h"
#include "support/testenv.h"

static const char *const all4[] = {"a", "b", "c", "d"};

static void set_seat(tenv *e, const char *id, int seat)
{
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = id;
    d.name = id;
    d.seat = seat;
    expect_status(e, cib_user_update(e->ctx, &d), CIB_OK, NULL);
}

static void team_of(tenv *e, const char *const *members, size_t n)
{
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "t";
    t.members = members;
    t.n_members = n;
    expect_status(e, cib_team_update(e->ctx, &t), CIB_OK, NULL);
}

static void add_agent(tenv *e, const char *id)
{
    add_user(e, id, NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    set_status(e, id, CIB_AVAILABLE);
}

/* Team t = a, b, c, d (paid, available); chat routes round robin to it.
 * Two conversations: a, then b: the turn is at b. */
static tenv *world(void)
{
    tenv *e = tenv_new();
    for (size_t i = 0; i < 4; i++)
        add_agent(e, all4[i]);
    add_team(e, "t", all4, 4);
    add_inbox(e, "support", "Support");
    add_channel(e, "chat", "support", CIB_CHANNEL_CHAT, NULL);
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 0, "team:t");
    assert_string_equal(route_one(e, "chat", NULL), "a");
    assert_string_equal(route_one(e, "chat", NULL), "b");
    return e;
}

/* A change that rebuilds rules, in steps; each step leaves the account
 * consistent (a restart may come after any of them). */
typedef void (*step_fn)(tenv *e);

static void seat_free(tenv *e)
{
    set_seat(e, "b", CIB_SEAT_FREE); /* b leaves the team's members */
}
static void seat_paid(tenv *e)
{
    set_seat(e, "b", CIB_SEAT_PAID);
}
static void team_without_b(tenv *e)
{
    const char *m[] = {"a", "c", "d"};
    team_of(e, m, 3);
}
static void team_with_b(tenv *e)
{
    team_of(e, all4, 4);
}
static void access_without_b(tenv *e)
{
    const char *users[] = {"a", "c", "d"};
    cib_access_def a = CIB_ACCESS_DEF_INIT;
    a.everyone = 0;
    a.users = users;
    a.n_users = 3;
    expect_status(e, cib_inbox_set_access(e->ctx, "support", CIB_NTS, &a), CIB_OK, NULL);
}
static void access_everyone(tenv *e)
{
    cib_access_def a = CIB_ACCESS_DEF_INIT;
    expect_status(e, cib_inbox_set_access(e->ctx, "support", CIB_NTS, &a), CIB_OK, NULL);
}
static void remove_b(tenv *e)
{
    expect_status(e, cib_user_remove(e->ctx, "b", CIB_NTS), CIB_OK, NULL);
}
static void add_b_again(tenv *e)
{
    add_agent(e, "b"); /* a new user under the old id */
}
static void rule_without_b(tenv *e)
{
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 0, "user:a user:c user:d");
}
static void rule_team(tenv *e)
{
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 0, "team:t");
}
static void rule_first_available(tenv *e)
{
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "team:t");
}
static void remove_team(tenv *e)
{
    expect_status(e, cib_team_remove(e->ctx, "t", CIB_NTS), CIB_OK, NULL);
}
static void add_team_again(tenv *e)
{
    add_team(e, "t", all4, 4);
}
static void channel_update_team(tenv *e)
{
    int kinds[] = {CIB_TARGET_TEAM};
    const char *ids[] = {"t"};
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = CIB_ROUTE_SPECIFIC;
    r.strategy = CIB_ROUND_ROBIN;
    r.target_kinds = kinds;
    r.target_ids = ids;
    r.n_targets = 1;
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "chat";
    d.inbox = "support";
    d.type = CIB_CHANNEL_CHAT;
    d.routing = &r;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
}
static void pick(tenv *e)
{
    route_one(e, "chat", NULL);
}

#define MAX_STEPS 4
typedef struct cause {
    const char *name;
    step_fn steps[MAX_STEPS];
    const char *next; /* the picks that follow (R-ROUTE-7) */
} cause;

/*
 * The turn stays with the last user the rule picked, whatever the rebuild
 * did to them (R-ROUTE-7: round robin continues after the last one this
 * rule picked); while that user is not a member the next pick starts from
 * the top. A removed user's turn is gone: a user added later under the same
 * id is someone else.
 */
static const cause causes[] = {
    {"seat free, then paid", {seat_free, seat_paid}, "cdabcd"},
    {"seat free, a pick, paid", {seat_free, pick, seat_paid}, "bcdabc"},
    {"team without b, then with", {team_without_b, team_with_b}, "cdabcd"},
    {"access without b, then everyone", {access_without_b, access_everyone}, "cdabcd"},
    {"b removed, added again", {remove_b, add_b_again, team_with_b}, "abcdab"},
    {"rule without b, then the team", {rule_without_b, rule_team}, "cdabcd"},
    {"first available, then round robin", {rule_first_available, rule_team}, "cdabcd"},
    {"team removed, added, named again", {remove_team, add_team_again, rule_team}, "cdabcd"},
    {"channel update", {rule_without_b, channel_update_team}, "cdabcd"},
};

static void picks(tenv *e, char *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *who = route_one(e, "chat", NULL);
        out[i] = who[0] && !who[1] ? who[0] : '?';
    }
    out[n] = '\0';
}

/* R-ROUTE-7, R-HOST-1: for each cause of a rebuild, memory and store agree
 * on the turn: a context reopened after any step equals the one before the
 * restart, and picks the same users next as a context that never stopped. */
static void test_turn_survives_rebuilds_R_ROUTE_7(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof causes / sizeof causes[0]; c++) {
        tenv *running = world(), *restarted = world();
        for (size_t s = 0; s < MAX_STEPS && causes[c].steps[s]; s++) {
            causes[c].steps[s](running);
            causes[c].steps[s](restarted);
            char *before = tenv_snapshot(restarted);
            tenv_reopen(restarted);
            char *after = tenv_snapshot(restarted);
            if (strcmp(before, after) != 0)
                fail_msg("%s, step %zu: the reopened context differs:\n%s\n-- after --\n%s",
                         causes[c].name, s + 1, before, after);
            free(before);
            free(after);
        }
        size_t n = strlen(causes[c].next);
        char a[16], b[16];
        picks(running, a, n);
        picks(restarted, b, n);
        if (strcmp(a, b) != 0 || strcmp(a, causes[c].next) != 0)
            fail_msg("%s: running picks %s, restarted %s, want %s", causes[c].name, a, b,
                     causes[c].next);
        tenv_free(running);
        tenv_free(restarted);
    }
}

/* R-HOST-1: removing the user a turn names clears it in the same atomic step
 * (the allocation and storage failure sweep). */
static void remove_setup(tenv *e)
{
    for (size_t i = 0; i < 4; i++)
        add_agent(e, all4[i]);
    add_team(e, "t", all4, 4);
    add_inbox(e, "support", "Support");
    add_channel(e, "chat", "support", CIB_CHANNEL_CHAT, NULL);
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 0, "team:t");
    route_one(e, "chat", NULL);
    route_one(e, "chat", NULL);
}

static int op_remove_b(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_user_remove(ctx, "b", CIB_NTS);
}

static void test_sweep_remove_turn_user_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(remove_setup, op_remove_b, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_turn_survives_rebuilds_R_ROUTE_7),
        cmocka_unit_test(test_sweep_remove_turn_user_R_HOST_1),
    };
    return TENV_RUN(tests);
}
