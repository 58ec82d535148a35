/* test_access.c - who may view and act in an inbox (R-ACCESS-1..4). */
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

static const int all_actions[] = {CIB_ACTION_VIEW,   CIB_ACTION_REPLY,    CIB_ACTION_COMMENT,
                                  CIB_ACTION_ASSIGN, CIB_ACTION_REASSIGN, CIB_ACTION_CLOSE};
#define N_ACTIONS (sizeof all_actions / sizeof all_actions[0])

/* The six answers for a user in an inbox, as "VRCAXZ" letters or '-'. */
static void expect_rights(tenv *e, const char *user, const char *inbox, const char *want)
{
    char got[N_ACTIONS + 1];
    for (size_t i = 0; i < N_ACTIONS; i++)
        got[i] = may(e, user, inbox, all_actions[i]) ? "VRCAXZ"[i] : '-';
    got[N_ACTIONS] = '\0';
    if (strcmp(got, want) != 0)
        fail_msg("%s in %s: want %s, got %s", user, inbox, want, got);
}

#define ALL       "VRCAXZ"
#define NONE      "------"
#define VIEW_ONLY "V-----"
#define FREE_SEAT "VRCA--"

static void setup(tenv *e)
{
    add_user(e, "member", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "listed", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "teamed", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "admin", NULL, CIB_SEAT_PAID, CIB_ROLE_ADMIN);
    add_user(e, "super", NULL, CIB_SEAT_PAID, CIB_ROLE_SUPER_ADMIN);
    add_user(e, "admin-listed", NULL, CIB_SEAT_PAID, CIB_ROLE_ADMIN);
    add_user(e, "free", NULL, CIB_SEAT_FREE, CIB_ROLE_MEMBER);
    add_user(e, "free-listed", NULL, CIB_SEAT_FREE, CIB_ROLE_MEMBER);
    add_user(e, "free-admin", NULL, CIB_SEAT_FREE, CIB_ROLE_ADMIN);
    const char *team[] = {"teamed", "admin-listed"};
    add_team(e, "support", team, 2);
    const char *users[] = {"listed", "free-listed"}, *teams[] = {"support"};
    add_inbox_access(e, "vip", "VIP", users, 2, teams, 1);
    add_inbox(e, "open", "Open");
}

/* R-ACCESS-1: everyone, or exactly the listed users and teams' members. */
static void test_everyone_or_list_R_ACCESS_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    expect_rights(e, "member", "open", ALL);
    expect_rights(e, "member", "default", ALL);
    expect_rights(e, "listed", "vip", ALL);
    expect_rights(e, "teamed", "vip", ALL);
    expect_rights(e, "member", "vip", NONE);
    /* Access follows team membership as it changes. */
    const char *team[] = {"member"};
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "support";
    t.members = team;
    t.n_members = 1;
    expect_status(e, cib_team_update(e->ctx, &t), CIB_OK, NULL);
    expect_rights(e, "member", "vip", ALL);
    expect_rights(e, "teamed", "vip", NONE);
    /* Switching an inbox to everyone and back. */
    cib_access_def a = CIB_ACCESS_DEF_INIT;
    expect_status(e, cib_inbox_set_access(e->ctx, "vip", CIB_NTS, &a), CIB_OK, NULL);
    expect_rights(e, "teamed", "vip", ALL);
    size_t n = 9;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_INBOX_USERS, "vip", CIB_NTS, &n), CIB_OK,
                  NULL);
    assert_int_equal(n, 0);
    const char *users[] = {"teamed"};
    a.everyone = 0;
    a.users = users;
    a.n_users = 1;
    expect_status(e, cib_inbox_set_access(e->ctx, "vip", CIB_NTS, &a), CIB_OK, NULL);
    expect_rights(e, "teamed", "vip", ALL);
    expect_rights(e, "listed", "vip", NONE);
    cib_inbox_info ib = CIB_INBOX_INFO_INIT;
    expect_status(e, cib_inbox_get(e->ctx, "vip", CIB_NTS, &ib), CIB_OK, NULL);
    assert_int_equal(ib.everyone, 0);
    tenv_free(e);
}

/* R-ACCESS-2: admins not on a specific list may view, not act. */
static void test_admins_view_only_R_ACCESS_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    expect_rights(e, "admin", "vip", VIEW_ONLY);
    expect_rights(e, "super", "vip", VIEW_ONLY);
    expect_rights(e, "admin-listed", "vip", ALL); /* through the team */
    expect_rights(e, "admin", "open", ALL);
    /* Listing the admin directly gives the right to act. */
    const char *users[] = {"admin"};
    cib_access_def a = CIB_ACCESS_DEF_INIT;
    a.everyone = 0;
    a.users = users;
    a.n_users = 1;
    expect_status(e, cib_inbox_set_access(e->ctx, "vip", CIB_NTS, &a), CIB_OK, NULL);
    expect_rights(e, "admin", "vip", ALL);
    expect_rights(e, "super", "vip", VIEW_ONLY);
    tenv_free(e);
}

static int collect(void *ud, const cib_inbox_info *ib)
{
    strcat(ud, ib->id);
    strcat(ud, ",");
    return 0;
}

/* R-ACCESS-3: no access, no view, no action; listings leave the inbox out. */
static void test_no_access_sees_nothing_R_ACCESS_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    expect_rights(e, "member", "vip", NONE);
    expect_rights(e, "free", "vip", NONE);
    char got[256] = "";
    expect_status(e, cib_inbox_foreach(e->ctx, "member", CIB_NTS, collect, got), CIB_OK, NULL);
    assert_string_equal(got, "default,open,");
    got[0] = '\0';
    expect_status(e, cib_inbox_foreach(e->ctx, "admin", CIB_NTS, collect, got), CIB_OK, NULL);
    assert_string_equal(got, "default,open,vip,"); /* same ms: by id */
    got[0] = '\0';
    expect_status(e, cib_inbox_foreach(e->ctx, "teamed", CIB_NTS, collect, got), CIB_OK, NULL);
    assert_string_equal(got, "default,open,vip,"); /* same ms: by id */
    tenv_free(e);
}

/* R-ACCESS-4: free seats with access may view, reply, comment and assign
 * unassigned conversations; not reassign or close. */
static void test_free_seats_R_ACCESS_4(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    expect_rights(e, "free-listed", "vip", FREE_SEAT);
    expect_rights(e, "free", "open", FREE_SEAT);
    expect_rights(e, "free-admin", "vip", VIEW_ONLY);
    expect_rights(e, "free-admin", "open", FREE_SEAT);
    /* Upgrading the seat gives the rest. */
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "free-listed";
    d.name = "Now paid";
    expect_status(e, cib_user_update(e->ctx, &d), CIB_OK, NULL);
    expect_rights(e, "free-listed", "vip", ALL);
    tenv_free(e);
}

/* Access lists are stored: a restart keeps every right. */
static void test_access_survives_restart_R_ACCESS_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    tenv_reopen(e);
    expect_rights(e, "teamed", "vip", ALL);
    expect_rights(e, "listed", "vip", ALL);
    expect_rights(e, "member", "vip", NONE);
    expect_rights(e, "admin", "vip", VIEW_ONLY);
    expect_rights(e, "free-listed", "vip", FREE_SEAT);
    tenv_free(e);
}

static void test_access_def_refused(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    char *before = tenv_snapshot(e);
    const char *users[] = {"listed"}, *ghost[] = {"ghost"}, *twice[] = {"support", "support"};
    cib_access_def a = CIB_ACCESS_DEF_INIT;
    a.users = users;
    a.n_users = 1; /* everyone is still 1 */
    expect_status(e, cib_inbox_set_access(e->ctx, "vip", CIB_NTS, &a), CIB_EINVAL,
                  "'access' is everyone but also lists users or teams");
    a.everyone = 0;
    a.users = ghost;
    expect_status(e, cib_inbox_set_access(e->ctx, "vip", CIB_NTS, &a), CIB_ENOTFOUND,
                  "'access->users[0]' names unknown user 'ghost'");
    a.users = NULL;
    a.n_users = 0;
    a.teams = ghost;
    a.n_teams = 1;
    expect_status(e, cib_inbox_set_access(e->ctx, "vip", CIB_NTS, &a), CIB_ENOTFOUND,
                  "'access->teams[0]' names unknown team 'ghost'");
    a.teams = twice;
    a.n_teams = 2;
    expect_status(e, cib_inbox_set_access(e->ctx, "vip", CIB_NTS, &a), CIB_EINVAL,
                  "'access->teams[1]' lists team 'support' twice");
    a.size = 0;
    expect_status(e, cib_inbox_set_access(e->ctx, "vip", CIB_NTS, &a), CIB_EINVAL,
                  "'access->size' is 0");
    expect_status(e, cib_inbox_set_access(e->ctx, "nope", CIB_NTS, &a), CIB_ENOTFOUND,
                  "inbox 'nope'");
    /* The same refusals when creating an inbox. */
    cib_access_def b = CIB_ACCESS_DEF_INIT;
    b.everyone = 0;
    b.users = ghost;
    b.n_users = 1;
    cib_inbox_def d = CIB_INBOX_DEF_INIT;
    d.id = "new";
    d.name = "New";
    d.access = &b;
    expect_status(e, cib_inbox_add(e->ctx, &d), CIB_ENOTFOUND, "unknown user 'ghost'");
    expect_unchanged(e, before);
    free(before);
    tenv_free(e);
}

static int call_check(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    int allowed = 0;
    if (arg)
        return cib_access_check(ctx, s, n, "vip", CIB_NTS, CIB_ACTION_VIEW, &allowed);
    return cib_access_check(ctx, "listed", CIB_NTS, s, n, CIB_ACTION_VIEW, &allowed);
}

static void test_check_bad_inputs(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    static int user_arg = 1;
    expect_bad_strings(e, "user", call_check, &user_arg);
    expect_bad_strings(e, "inbox", call_check, NULL);
    int allowed = 7;
    expect_status(e, cib_access_check(e->ctx, "listed", CIB_NTS, "vip", CIB_NTS, 0, &allowed),
                  CIB_EINVAL, "'action' is 0");
    assert_int_equal(allowed, 0);
    expect_status(e, cib_access_check(e->ctx, "listed", CIB_NTS, "vip", CIB_NTS, 7, &allowed),
                  CIB_EINVAL, "'action' is 7");
    expect_status(
        e, cib_access_check(e->ctx, "listed", CIB_NTS, "vip", CIB_NTS, CIB_ACTION_VIEW, NULL),
        CIB_EINVAL, "'allowed' is NULL");
    expect_status(
        e, cib_access_check(e->ctx, "ghost", CIB_NTS, "vip", CIB_NTS, CIB_ACTION_VIEW, &allowed),
        CIB_ENOTFOUND, "user 'ghost' not found");
    expect_status(
        e, cib_access_check(e->ctx, "listed", CIB_NTS, "nope", CIB_NTS, CIB_ACTION_VIEW, &allowed),
        CIB_ENOTFOUND, "inbox 'nope' not found");
    tenv_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_everyone_or_list_R_ACCESS_1),
        cmocka_unit_test(test_admins_view_only_R_ACCESS_2),
        cmocka_unit_test(test_no_access_sees_nothing_R_ACCESS_3),
        cmocka_unit_test(test_free_seats_R_ACCESS_4),
        cmocka_unit_test(test_access_survives_restart_R_ACCESS_1),
        cmocka_unit_test(test_access_def_refused),
        cmocka_unit_test(test_check_bad_inputs),
    };
    return TENV_RUN(tests);
}
