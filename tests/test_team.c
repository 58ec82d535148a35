/* test_team.c - teams: add, update members, remove (leaving nothing dangling). */
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

static void members_are(tenv *e, const char *team, const char *const *want, size_t n)
{
    size_t count = 99;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_TEAM_MEMBERS, team, CIB_NTS, &count), CIB_OK,
                  NULL);
    assert_int_equal(count, n);
    for (size_t i = 0; i < n; i++) {
        const char *id = NULL;
        expect_status(e, cib_list_item(e->ctx, CIB_LIST_TEAM_MEMBERS, team, CIB_NTS, i, &id),
                      CIB_OK, NULL);
        assert_string_equal(id, want[i]);
    }
    const char *id = NULL;
    expect_status(e, cib_list_item(e->ctx, CIB_LIST_TEAM_MEMBERS, team, CIB_NTS, n, &id),
                  CIB_ENOTFOUND, "past the end");
    assert_null(id);
}

static void setup_users(tenv *e)
{
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "carol", NULL, CIB_SEAT_FREE, CIB_ROLE_MEMBER);
}

static void test_add_keeps_order(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup_users(e);
    const char *m[] = {"carol", "alice", "bob"};
    add_team(e, "support", m, 3);
    members_are(e, "support", m, 3);
    add_team(e, "empty", NULL, 0);
    members_are(e, "empty", NULL, 0);
    /* Explicit lengths for member ids. */
    const char *raw[] = {"alice-x", "bobby"};
    size_t lens[] = {5, 3};
    cib_team_def d = CIB_TEAM_DEF_INIT;
    d.id = "pair";
    d.members = raw;
    d.member_lens = lens;
    d.n_members = 2;
    expect_status(e, cib_team_add(e->ctx, &d), CIB_OK, NULL);
    const char *want[] = {"alice", "bob"};
    members_are(e, "pair", want, 2);
    tenv_free(e);
}

static void test_add_refuses(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup_users(e);
    add_team(e, "support", NULL, 0);
    char *before = tenv_snapshot(e);
    cib_team_def d = CIB_TEAM_DEF_INIT;
    d.id = "support";
    expect_status(e, cib_team_add(e->ctx, &d), CIB_ECONFLICT, "team 'support' already exists");
    const char *ghost[] = {"alice", "ghost"};
    d.id = "tier2";
    d.members = ghost;
    d.n_members = 2;
    expect_status(e, cib_team_add(e->ctx, &d), CIB_ENOTFOUND,
                  "'members[1]' names unknown user 'ghost'");
    const char *twice[] = {"alice", "bob", "alice"};
    d.members = twice;
    d.n_members = 3;
    expect_status(e, cib_team_add(e->ctx, &d), CIB_EINVAL, "'members[2]' lists user 'alice' twice");
    d.members = NULL;
    d.n_members = 2;
    expect_status(e, cib_team_add(e->ctx, &d), CIB_EINVAL, "'members' is NULL");
    expect_unchanged(e, before);
    /* A refused list leaves no scratch state behind: the same ids work. */
    d.members = twice;
    d.n_members = 2;
    expect_status(e, cib_team_add(e->ctx, &d), CIB_OK, NULL);
    free(before);
    tenv_free(e);
}

static void test_update_replaces_members(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup_users(e);
    const char *m[] = {"alice", "bob"};
    add_team(e, "support", m, 2);
    const char *next[] = {"bob", "carol"};
    cib_team_def d = CIB_TEAM_DEF_INIT;
    d.id = "support";
    d.members = next;
    d.n_members = 2;
    expect_status(e, cib_team_update(e->ctx, &d), CIB_OK, NULL);
    members_are(e, "support", next, 2);
    d.id = "nope";
    expect_status(e, cib_team_update(e->ctx, &d), CIB_ENOTFOUND, "team 'nope' not found");
    const char *bad[] = {"bob", "bob"};
    d.id = "support";
    d.members = bad;
    expect_status(e, cib_team_update(e->ctx, &d), CIB_EINVAL, "twice");
    members_are(e, "support", next, 2);
    tenv_free(e);
}

/* Removing a team takes it off every access list; its users stay. */
static void test_remove_leaves_nothing_dangling(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup_users(e);
    const char *m[] = {"alice", "bob"};
    add_team(e, "support", m, 2);
    add_team(e, "tier2", m, 1);
    const char *teams[] = {"tier2", "support"};
    add_inbox_access(e, "sales", "Sales", NULL, 0, teams, 2);
    assert_int_equal(may(e, "bob", "sales", CIB_ACTION_REPLY), 1);
    expect_status(e, cib_team_remove(e->ctx, "support", CIB_NTS), CIB_OK, NULL);
    assert_int_equal(may(e, "bob", "sales", CIB_ACTION_REPLY), 0);
    assert_int_equal(may(e, "alice", "sales", CIB_ACTION_REPLY), 1);
    size_t n = 0;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_INBOX_TEAMS, "sales", CIB_NTS, &n), CIB_OK,
                  NULL);
    assert_int_equal(n, 1);
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_TEAM_MEMBERS, "support", CIB_NTS, &n),
                  CIB_ENOTFOUND, "owner 'support' not found");
    cib_user_info u = CIB_USER_INFO_INIT;
    expect_status(e, cib_user_get(e->ctx, "bob", CIB_NTS, &u), CIB_OK, NULL);
    char *before = tenv_snapshot(e);
    tenv_reopen(e);
    expect_unchanged(e, before);
    free(before);
    expect_status(e, cib_team_remove(e->ctx, "support", CIB_NTS), CIB_ENOTFOUND, "not found");
    tenv_free(e);
}

static int call_remove(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    return cib_team_remove(ctx, s, n);
}

static int call_def_id(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    cib_team_def d = CIB_TEAM_DEF_INIT;
    d.id = s;
    d.id_len = n;
    return arg ? cib_team_update(ctx, &d) : cib_team_add(ctx, &d);
}

static int call_def_member(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    const char *m[] = {"alice", s};
    size_t lens[] = {CIB_NTS, n};
    cib_team_def d = CIB_TEAM_DEF_INIT;
    d.id = "support";
    d.members = m;
    d.member_lens = lens;
    d.n_members = 2;
    return arg ? cib_team_update(ctx, &d) : cib_team_add(ctx, &d);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup_users(e);
    add_team(e, "support", NULL, 0);
    static int update = 1;
    expect_bad_strings(e, "id", call_def_id, NULL);
    expect_bad_strings(e, "id", call_def_id, &update);
    expect_bad_strings(e, "members[1]", call_def_member, NULL);
    expect_bad_strings(e, "members[1]", call_def_member, &update);
    expect_bad_strings(e, "id", call_remove, NULL);
    expect_status(e, cib_team_add(e->ctx, NULL), CIB_EINVAL, "'def' is NULL");
    expect_status(e, cib_team_update(e->ctx, NULL), CIB_EINVAL, "'def' is NULL");
    cib_team_def d = CIB_TEAM_DEF_INIT;
    d.id = "x";
    d.size = 3;
    expect_status(e, cib_team_add(e->ctx, &d), CIB_EINVAL, "'def->size' is 3");
    tenv_free(e);
}

static void setup_teams(tenv *e)
{
    setup_users(e);
    const char *m[] = {"alice", "bob"};
    add_team(e, "support", m, 2);
    const char *teams[] = {"support"};
    add_inbox_access(e, "sales", "Sales", NULL, 0, teams, 1);
    add_inbox_access(e, "vip", "VIP", m, 1, teams, 1);
}

static int op_add(cib_ctx *ctx, void *arg)
{
    (void)arg;
    const char *m[] = {"carol", "alice"};
    cib_team_def d = CIB_TEAM_DEF_INIT;
    d.id = "billing";
    d.members = m;
    d.n_members = 2;
    return cib_team_add(ctx, &d);
}

static int op_update(cib_ctx *ctx, void *arg)
{
    (void)arg;
    const char *m[] = {"carol"};
    cib_team_def d = CIB_TEAM_DEF_INIT;
    d.id = "support";
    d.members = m;
    d.n_members = 1;
    return cib_team_update(ctx, &d);
}

static int op_remove(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_team_remove(ctx, "support", CIB_NTS);
}

static void test_sweep_add_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(setup_teams, op_add, NULL);
}

static void test_sweep_update_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(setup_teams, op_update, NULL);
}

static void test_sweep_remove_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(setup_teams, op_remove, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_keeps_order),
        cmocka_unit_test(test_add_refuses),
        cmocka_unit_test(test_update_replaces_members),
        cmocka_unit_test(test_remove_leaves_nothing_dangling),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_sweep_add_R_HOST_1),
        cmocka_unit_test(test_sweep_update_R_HOST_1),
        cmocka_unit_test(test_sweep_remove_R_HOST_1),
    };
    return TENV_RUN(tests);
}
