/* test_strategies.c - how a rule picks among its eligible users (R-ROUTE-7):
 * round robin (fair, per rule, kept across a restart), least loaded (ties,
 * room made by closing and reassigning), capacity; and every allocation and
 * storage failure in a routing decision (round robin, least load, owner,
 * reassigned reply) leaving everything unchanged (R-HOST-1). Modes, seats,
 * reasons and explain are in test_routing.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/routingtest.h"

/* ---- R-ROUTE-7 ---- */

/* R-ROUTE-7: round robin over 3 available users and 300 conversations gives
 * exactly 100 each, in rotation; unavailable users are skipped; the turn
 * survives a restart. */
static void test_round_robin_fair_R_ROUTE_7(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 0,
                "user:alice user:bob user:carol");
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    set_status(e, "carol", CIB_AVAILABLE);
    static const char *const order[] = {"alice", "bob", "carol"};
    int count[3] = {0, 0, 0};
    for (int i = 0; i < 300; i++) {
        const char *u = route_one(e, "mail", NULL);
        assert_string_equal(u, order[i % 3]);
        for (int k = 0; k < 3; k++)
            count[k] += strcmp(u, order[k]) == 0;
    }
    assert_int_equal(count[0], 100);
    assert_int_equal(count[1], 100);
    assert_int_equal(count[2], 100);
    /* The turn survives a restart: after carol, alice. */
    assert_string_equal(route_one(e, "mail", NULL), "alice");
    tenv_reopen(e);
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    /* Bob away: skipped, the rotation goes on over the others. */
    set_status(e, "bob", CIB_AWAY);
    assert_string_equal(route_one(e, "mail", NULL), "carol");
    assert_string_equal(route_one(e, "mail", NULL), "alice");
    assert_string_equal(route_one(e, "mail", NULL), "carol");
    set_status(e, "bob", CIB_AVAILABLE);
    assert_string_equal(route_one(e, "mail", NULL), "alice");
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    /* An owner assignment does not take a turn (R-ROUTE-3 is not the list). */
    add_contact(e, "c-own", "owned@example.test", "alice");
    set_routing(e, "chat", CIB_ROUTE_CONTACT_OWNER, CIB_ROUND_ROBIN, 0,
                "user:alice user:bob user:carol");
    assert_string_equal(ingest_msg(e, "chat", "x1", "v1", NULL).assignee, "alice");
    assert_string_equal(ingest_msg(e, "chat", "x2", "v2", NULL).assignee, "bob");
    assert_string_equal(ingest_msg(e, "chat", "x3", "owned@example.test", NULL).assignee, "alice");
    assert_string_equal(ingest_msg(e, "chat", "x4", "v3", NULL).assignee, "carol");
    tenv_free(e);
}

/* Several rules keep separate turns. */
static void test_round_robin_per_rule_R_ROUTE_7(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 0, "user:alice user:bob");
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 0, "user:alice user:bob");
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    assert_string_equal(route_one(e, "mail", NULL), "alice");
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    assert_string_equal(ingest_msg(e, "chat", "c1", "v1", NULL).assignee, "alice");
    assert_string_equal(route_one(e, "mail", NULL), "alice");
    assert_string_equal(ingest_msg(e, "chat", "c2", "v2", NULL).assignee, "bob");
    tenv_free(e);
}

/* R-ROUTE-7: least loaded only ever picks a user with the minimum open load
 * (so the spread never exceeds 1 while nothing closes); ties go to the one
 * longest since their last assignment; closing work makes room at once. */
static void test_least_loaded_R_ROUTE_7(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_LEAST_LOADED, 0,
                "user:alice user:bob user:carol");
    static const char *const users[] = {"alice", "bob", "carol"};
    for (int k = 0; k < 3; k++)
        set_status(e, users[k], CIB_AVAILABLE);
    /* Ties: the longest since the last assignment (never: list order). */
    assert_string_equal(route_one(e, "mail", NULL), "alice");
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    assert_string_equal(route_one(e, "mail", NULL), "carol");
    assert_string_equal(route_one(e, "mail", NULL), "alice");
    uint64_t open[400];
    size_t n_open = 0;
    uint32_t seed = 12345;
    for (int i = 0; i < 400; i++) {
        seed = seed * 1103515245u + 12345u;
        if (n_open > 0 && (seed >> 16) % 3 == 0) {
            /* Close one: its assignee has room at once. */
            size_t pick = (seed >> 8) % n_open;
            close_conv(e, open[pick]);
            open[pick] = open[--n_open];
            continue;
        }
        uint32_t loads[3], min = UINT32_MAX;
        for (int k = 0; k < 3; k++) {
            loads[k] = load_of(e, users[k]);
            min = loads[k] < min ? loads[k] : min;
        }
        cib_ingest_result r;
        const char *u = route_one(e, "mail", &r);
        int found = 0;
        for (int k = 0; k < 3; k++)
            if (strcmp(u, users[k]) == 0) {
                assert_int_equal(loads[k], min); /* a minimum-load user */
                found = 1;
            }
        assert_true(found);
        open[n_open++] = r.conversation;
    }
    /* Without closes the spread stays within 1. */
    for (int i = 0; i < 30; i++) {
        route_one(e, "mail", NULL);
        uint32_t min = UINT32_MAX, max = 0;
        for (int k = 0; k < 3; k++) {
            uint32_t l = load_of(e, users[k]);
            min = l < min ? l : min;
            max = l > max ? l : max;
        }
        assert_true(max - min <= 1);
    }
    tenv_free(e);
}

/* Closing makes room at once: the user whose load drops below the others'
 * gets the next conversation. */
static void test_least_loaded_close_makes_room_R_ROUTE_7(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_LEAST_LOADED, 0, "user:alice user:bob");
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    cib_ingest_result a1, b1;
    assert_string_equal(route_one(e, "mail", &a1), "alice");
    assert_string_equal(route_one(e, "mail", &b1), "bob");
    assert_string_equal(route_one(e, "mail", NULL), "alice");
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    close_conv(e, b1.conversation);
    assert_int_equal(load_of(e, "bob"), 1);
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    /* A manual reassignment moves load too. */
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, a1.conversation, "bob", CIB_NTS), CIB_OK,
                  NULL);
    assert_int_equal(load_of(e, "alice"), 1);
    assert_int_equal(load_of(e, "bob"), 3);
    assert_string_equal(route_one(e, "mail", NULL), "alice");
    assert_string_equal(route_one(e, "mail", NULL), "alice");
    /* Loads and ties survive a restart. */
    tenv_reopen(e);
    assert_int_equal(load_of(e, "alice"), 3);
    assert_int_equal(load_of(e, "bob"), 3);
    assert_string_equal(route_one(e, "mail", NULL), "bob"); /* longer since its last */
    tenv_free(e);
}

/* R-ROUTE-7: a user at capacity is not eligible; room returns on close or a
 * higher capacity. */
static void test_capacity_R_ROUTE_7(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    routing_setup(e);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_FIRST_AVAILABLE, 0, "user:alice user:bob");
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    set_capacity(e, "alice", 2);
    set_capacity(e, "bob", 1);
    cib_ingest_result first;
    assert_string_equal(route_one(e, "mail", &first), "alice");
    assert_string_equal(route_one(e, "mail", NULL), "alice");
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    assert_string_equal(route_one(e, "mail", NULL), "-"); /* everyone full */
    close_conv(e, first.conversation);
    assert_string_equal(route_one(e, "mail", NULL), "alice");
    set_capacity(e, "bob", 3);
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    cib_user_info u = CIB_USER_INFO_INIT;
    expect_status(e, cib_user_get(e->ctx, "bob", CIB_NTS, &u), CIB_OK, NULL);
    assert_int_equal(u.capacity, 3);
    assert_int_equal(u.load, 2);
    tenv_reopen(e);
    expect_status(e, cib_user_get(e->ctx, "bob", CIB_NTS, &u), CIB_OK, NULL);
    assert_int_equal(u.capacity, 3);
    assert_string_equal(route_one(e, "mail", NULL), "bob");
    assert_string_equal(route_one(e, "mail", NULL), "-");
    /* Capacity does not hold back the owner (R-ROUTE-3) or an agent. */
    add_contact(e, "c-own", "owned@example.test", "alice");
    set_routing(e, "chat", CIB_ROUTE_CONTACT_OWNER, CIB_FIRST_AVAILABLE, 0, NULL);
    assert_string_equal(ingest_msg(e, "chat", "o1", "owned@example.test", NULL).assignee, "alice");
    tenv_free(e);
}

/* ---- failure sweeps (R-HOST-1) ---- */

static void sweep_setup(tenv *e)
{
    routing_setup(e);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 0, "user:alice user:bob");
    set_routing(e, "chat", CIB_ROUTE_SPECIFIC, CIB_LEAST_LOADED, 0, "user:alice user:bob");
    set_status(e, "alice", CIB_AVAILABLE);
    set_status(e, "bob", CIB_AVAILABLE);
    cib_contact_def c = CIB_CONTACT_DEF_INIT;
    c.id = "c-own";
    c.email = "owned@example.test";
    c.owner = "carol";
    expect_status(e, cib_contact_add(e->ctx, &c), CIB_OK, NULL);
    ingest_msg(e, "chat", "s0", "visitor-1", "s1");
    expect_status(e, cib_user_set_reassign_replies(e->ctx, "alice", CIB_NTS, 1), CIB_OK, NULL);
}

static int op_ingest(cib_ctx *ctx, void *arg)
{
    const char *const *m = arg;
    cib_inbound in = CIB_INBOUND_INIT;
    in.channel = m[0];
    in.msg_id = m[1];
    in.from = m[2];
    in.thread = m[3];
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    return cib_ingest(ctx, &in, &r);
}

static int op_routing(cib_ctx *ctx, void *arg)
{
    (void)arg;
    int kinds[] = {CIB_TARGET_USER, CIB_TARGET_USER};
    const char *ids[] = {"bob", "alice"};
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = CIB_ROUTE_CONTACT_OWNER;
    r.strategy = CIB_ROUND_ROBIN;
    r.target_kinds = kinds;
    r.target_ids = ids;
    r.n_targets = 2;
    return cib_channel_set_routing(ctx, "mail", CIB_NTS, &r);
}

static int op_status(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_user_set_status(ctx, "alice", CIB_NTS, CIB_AWAY);
}

static int op_remove_team(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_team_remove(ctx, "t", CIB_NTS);
}

static void team_setup(tenv *e)
{
    sweep_setup(e);
    const char *members[] = {"alice", "bob"};
    add_team(e, "t", members, 2);
    set_routing(e, "mail", CIB_ROUTE_SPECIFIC, CIB_ROUND_ROBIN, 0, "team:t user:carol");
}

/* Routing decisions are part of the ingest's one atomic step: a new
 * conversation picked by round robin (the turn is stored), by least load, by
 * owner with a notification, and a chat reassigned (R-AVAIL-2). */
static void test_sweep_routing_R_HOST_1_R_ROUTE_7(void **state)
{
    (void)state;
    const char *rr[] = {"mail", "n1", "new@example.test", NULL};
    sweep_op(sweep_setup, op_ingest, (void *)rr);
    const char *ll[] = {"chat", "n2", "visitor-2", NULL};
    sweep_op(sweep_setup, op_ingest, (void *)ll);
    sweep_op(sweep_setup, op_routing, NULL);
    sweep_op(sweep_setup, op_status, NULL);
    sweep_op(team_setup, op_remove_team, NULL);
}

static void owner_setup(tenv *e)
{
    sweep_setup(e);
    expect_status(e, op_routing(e->ctx, NULL), CIB_OK, NULL);
}

static void away_setup(tenv *e)
{
    sweep_setup(e);
    set_status(e, "alice", CIB_AWAY);
}

static void test_sweep_owner_and_reassign_R_HOST_1_R_ROUTE_3_R_AVAIL_2(void **state)
{
    (void)state;
    const char *owned[] = {"mail", "n3", "owned@example.test", NULL};
    sweep_op(owner_setup, op_ingest, (void *)owned);
    const char *again[] = {"chat", "n4", "visitor-1", "s1"};
    sweep_op(away_setup, op_ingest, (void *)again);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_robin_fair_R_ROUTE_7),
        cmocka_unit_test(test_round_robin_per_rule_R_ROUTE_7),
        cmocka_unit_test(test_least_loaded_R_ROUTE_7),
        cmocka_unit_test(test_least_loaded_close_makes_room_R_ROUTE_7),
        cmocka_unit_test(test_capacity_R_ROUTE_7),
        cmocka_unit_test(test_sweep_routing_R_HOST_1_R_ROUTE_7),
        cmocka_unit_test(test_sweep_owner_and_reassign_R_HOST_1_R_ROUTE_3_R_AVAIL_2),
    };
    return TENV_RUN(tests);
}
