/* test_inbox.c - inboxes: create, the limit, names, rename, delete. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

/* R-INBOX-2, R-ACCESS-1: inboxes are created with everyone's access. */
static void test_create_R_INBOX_2_R_ACCESS_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    e->now += 1000;
    add_inbox(e, "sales", "Sales");
    cib_inbox_info ib = CIB_INBOX_INFO_INIT;
    expect_status(e, cib_inbox_get(e->ctx, "sales", CIB_NTS, &ib), CIB_OK, NULL);
    assert_string_equal(ib.id, "sales");
    assert_string_equal(ib.name, "Sales");
    assert_int_equal(ib.is_default, 0);
    assert_int_equal(ib.everyone, 1); /* R-ACCESS-1: the default is everyone */
    assert_int_equal(ib.created_at, TENV_EPOCH_MS + 1000);
    size_t n = 9;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_INBOX_CHANNELS, "sales", CIB_NTS, &n), CIB_OK,
                  NULL);
    assert_int_equal(n, 0);
    tenv_free(e);
}

/* R-INBOX-2: names are non-empty and unique (ignoring case); ids unique. */
static void test_names_unique_R_INBOX_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    char *before = tenv_snapshot(e);
    cib_inbox_def d = CIB_INBOX_DEF_INIT;
    d.id = "sales2";
    d.name = "SALES";
    expect_status(e, cib_inbox_add(e->ctx, &d), CIB_ECONFLICT, "inbox 'sales' is already named");
    d.name = "inbox"; /* the default inbox is "Inbox" */
    expect_status(e, cib_inbox_add(e->ctx, &d), CIB_ECONFLICT, "inbox 'default'");
    d.id = "sales";
    d.name = "Other";
    expect_status(e, cib_inbox_add(e->ctx, &d), CIB_ECONFLICT, "inbox 'sales' already exists");
    expect_status(e, cib_inbox_rename(e->ctx, "default", CIB_NTS, "sAlEs", CIB_NTS), CIB_ECONFLICT,
                  "inbox 'sales'");
    expect_unchanged(e, before);
    free(before);
    /* Renaming to its own name in another case is fine. */
    expect_status(e, cib_inbox_rename(e->ctx, "sales", CIB_NTS, "SALES", CIB_NTS), CIB_OK, NULL);
    tenv_free(e);
}

/* R-INBOX-2: at most max_inboxes (default 100) including the default. */
static void test_limit_default_100_R_INBOX_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    char id[16], name[16];
    for (int i = 1; i < 100; i++) {
        snprintf(id, sizeof id, "ib%d", i);
        snprintf(name, sizeof name, "Inbox %d", i);
        add_inbox(e, id, name);
    }
    char *before = tenv_snapshot(e);
    cib_inbox_def d = CIB_INBOX_DEF_INIT;
    d.id = "one-too-many";
    d.name = "One too many";
    expect_status(e, cib_inbox_add(e->ctx, &d), CIB_ELIMIT, "100 inboxes");
    expect_unchanged(e, before);
    /* Deleting one makes room. */
    expect_status(e, cib_inbox_remove(e->ctx, "ib7", CIB_NTS, "Inbox 7", CIB_NTS), CIB_OK, NULL);
    expect_status(e, cib_inbox_add(e->ctx, &d), CIB_OK, NULL);
    free(before);
    tenv_free(e);
}

/* R-INBOX-2: the limit is configurable. */
static void test_limit_configurable_R_INBOX_2(void **state)
{
    (void)state;
    cib_options o = CIB_OPTIONS_INIT;
    o.max_inboxes = 2;
    cib_ctx *ctx = NULL;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    cib_inbox_def d = CIB_INBOX_DEF_INIT;
    d.id = "a";
    d.name = "A";
    assert_int_equal(cib_inbox_add(ctx, &d), CIB_OK);
    d.id = "b";
    d.name = "B";
    assert_int_equal(cib_inbox_add(ctx, &d), CIB_ELIMIT);
    cib_ctx_free(ctx);
}

static void test_rename_R_INBOX_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    expect_status(e, cib_inbox_rename(e->ctx, "sales", CIB_NTS, "Sales EU", CIB_NTS), CIB_OK, NULL);
    cib_inbox_info ib = CIB_INBOX_INFO_INIT;
    expect_status(e, cib_inbox_get(e->ctx, "sales", CIB_NTS, &ib), CIB_OK, NULL);
    assert_string_equal(ib.name, "Sales EU");
    /* The old name is free again. */
    add_inbox(e, "sales-us", "Sales");
    expect_status(e, cib_inbox_rename(e->ctx, "nope", CIB_NTS, "X", CIB_NTS), CIB_ENOTFOUND,
                  "inbox 'nope' not found");
    /* The default inbox can be renamed. */
    expect_status(e, cib_inbox_rename(e->ctx, "default", CIB_NTS, "General", CIB_NTS), CIB_OK,
                  NULL);
    tenv_free(e);
}

/* R-INBOX-3: deletion needs the exact name and removes the channels. */
static void test_delete_needs_exact_name_R_INBOX_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales EU");
    add_channel(e, "mail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    add_channel(e, "chat", "sales", CIB_CHANNEL_CHAT, "widget-1");
    char *before = tenv_snapshot(e);
    const char *wrong[] = {"Sales", "sales eu", "SALES EU", "Sales EU ", "sales"};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        expect_status(e, cib_inbox_remove(e->ctx, "sales", CIB_NTS, wrong[i], CIB_NTS), CIB_EINVAL,
                      "nothing was deleted");
        expect_unchanged(e, before);
    }
    free(before);
    expect_status(e, cib_inbox_remove(e->ctx, "sales", CIB_NTS, "Sales EU", CIB_NTS), CIB_OK, NULL);
    cib_inbox_info ib = CIB_INBOX_INFO_INIT;
    expect_status(e, cib_inbox_get(e->ctx, "sales", CIB_NTS, &ib), CIB_ENOTFOUND, "sales");
    cib_channel_info ch = CIB_CHANNEL_INFO_INIT;
    expect_status(e, cib_channel_get(e->ctx, "mail", CIB_NTS, &ch), CIB_ENOTFOUND, "mail");
    expect_status(e, cib_channel_get(e->ctx, "chat", CIB_NTS, &ch), CIB_ENOTFOUND, "chat");
    /* Permanently: gone from the store, and the address is free again. */
    char *rows = tenv_store_dump(e);
    assert_null(strstr(rows, "\"sales\""));
    assert_null(strstr(rows, "\"mail\""));
    free(rows);
    add_inbox(e, "sales2", "Sales EU");
    add_channel(e, "mail", "sales2", CIB_CHANNEL_EMAIL, "sales@acme.test");
    tenv_free(e);
}

/* R-INBOX-1: the default inbox stays. */
static void test_default_inbox_cannot_be_deleted_R_INBOX_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    expect_status(e, cib_inbox_remove(e->ctx, "default", CIB_NTS, "Inbox", CIB_NTS), CIB_EINVAL,
                  "default inbox");
    cib_inbox_info ib = CIB_INBOX_INFO_INIT;
    expect_status(e, cib_inbox_get(e->ctx, "default", CIB_NTS, &ib), CIB_OK, NULL);
    tenv_free(e);
}

static int collect(void *ud, const cib_inbox_info *ib)
{
    char *buf = ud;
    strcat(buf, ib->id);
    strcat(buf, ",");
    return 0;
}

static int stop_after_one(void *ud, const cib_inbox_info *ib)
{
    (void)ib;
    ++*(int *)ud;
    return 1;
}

/* Listing is in creation order, and survives a restart. */
static void test_foreach_order(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    e->now += 10;
    add_inbox(e, "zeta", "Zeta");
    e->now += 10;
    add_inbox(e, "alpha", "Alpha");
    add_inbox(e, "beta", "Beta"); /* same millisecond: then by id */
    char got[256] = "";
    expect_status(e, cib_inbox_foreach(e->ctx, NULL, 0, collect, got), CIB_OK, NULL);
    assert_string_equal(got, "default,zeta,alpha,beta,");
    tenv_reopen(e);
    got[0] = '\0';
    expect_status(e, cib_inbox_foreach(e->ctx, NULL, 0, collect, got), CIB_OK, NULL);
    assert_string_equal(got, "default,zeta,alpha,beta,");
    int calls = 0;
    expect_status(e, cib_inbox_foreach(e->ctx, NULL, 0, stop_after_one, &calls), CIB_OK, NULL);
    assert_int_equal(calls, 1);
    expect_status(e, cib_inbox_foreach(e->ctx, NULL, 0, NULL, NULL), CIB_EINVAL, "'fn' is NULL");
    expect_status(e, cib_inbox_foreach(e->ctx, "ghost", CIB_NTS, collect, got), CIB_ENOTFOUND,
                  "user 'ghost'");
    tenv_free(e);
}

struct reentry {
    cib_ctx *ctx;
    int add_rc, remove_rc, get_rc;
};

static int try_changes(void *ud, const cib_inbox_info *ib)
{
    struct reentry *r = ud;
    if (ib->is_default)
        return 0; /* the default inbox cannot be deleted anyway */
    cib_inbox_def d = CIB_INBOX_DEF_INIT;
    d.id = "inner";
    d.name = "Inner";
    r->add_rc = cib_inbox_add(r->ctx, &d);
    r->remove_rc = cib_inbox_remove(r->ctx, ib->id, CIB_NTS, ib->name, CIB_NTS);
    cib_inbox_info info = CIB_INBOX_INFO_INIT;
    r->get_rc = cib_inbox_get(r->ctx, ib->id, CIB_NTS, &info); /* reading is fine */
    return 1;
}

/* A callback may read the context but not change it under the iteration. */
static void test_foreach_callback_cannot_change_the_context(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    char *before = tenv_snapshot(e);
    struct reentry r = {e->ctx, 0, 0, -1};
    expect_status(e, cib_inbox_foreach(e->ctx, NULL, 0, try_changes, &r), CIB_OK, NULL);
    assert_int_equal(r.add_rc, CIB_EINVAL);
    assert_int_equal(r.remove_rc, CIB_EINVAL);
    assert_int_equal(r.get_rc, CIB_OK);
    expect_unchanged(e, before);
    free(before);
    add_inbox(e, "after", "After"); /* and afterwards it can */
    tenv_free(e);
}

enum {
    C_ADD_ID,
    C_ADD_NAME,
    C_RENAME_ID,
    C_RENAME_NAME,
    C_REMOVE_ID,
    C_REMOVE_CONFIRM,
    C_GET,
    C_ACCESS_ID,
    C_FOREACH_USER
};

static int noop(void *ud, const cib_inbox_info *ib)
{
    (void)ud;
    (void)ib;
    return 0;
}

static int call(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    cib_inbox_def d = CIB_INBOX_DEF_INIT;
    d.id = "new";
    d.name = "New";
    cib_inbox_info ib = CIB_INBOX_INFO_INIT;
    cib_access_def a = CIB_ACCESS_DEF_INIT;
    switch (*(int *)arg) {
    case C_ADD_ID:
        d.id = s;
        d.id_len = n;
        return cib_inbox_add(ctx, &d);
    case C_ADD_NAME:
        d.name = s;
        d.name_len = n;
        return cib_inbox_add(ctx, &d);
    case C_RENAME_ID:
        return cib_inbox_rename(ctx, s, n, "X", CIB_NTS);
    case C_RENAME_NAME:
        return cib_inbox_rename(ctx, "sales", CIB_NTS, s, n);
    case C_REMOVE_ID:
        return cib_inbox_remove(ctx, s, n, "Sales", CIB_NTS);
    case C_REMOVE_CONFIRM:
        return cib_inbox_remove(ctx, "sales", CIB_NTS, s, n);
    case C_GET:
        return cib_inbox_get(ctx, s, n, &ib);
    case C_ACCESS_ID:
        return cib_inbox_set_access(ctx, s, n, &a);
    default:
        return cib_inbox_foreach(ctx, s, n, noop, NULL);
    }
}

static void test_bad_inputs(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    const struct {
        int which;
        const char *arg;
    } cases[] = {
        {C_ADD_ID, "id"},        {C_ADD_NAME, "name"}, {C_RENAME_ID, "id"},
        {C_RENAME_NAME, "name"}, {C_REMOVE_ID, "id"},  {C_REMOVE_CONFIRM, "confirm"},
        {C_GET, "id"},           {C_ACCESS_ID, "id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        expect_bad_strings(e, cases[i].arg, call, (void *)&cases[i].which);
    static const int foreach_user = C_FOREACH_USER;
    expect_bad_optional_strings(e, "user", call, (void *)&foreach_user);
    expect_status(e, cib_inbox_add(e->ctx, NULL), CIB_EINVAL, "'def' is NULL");
    size_t count = 7;
    const char *item = "x";
    expect_status(e, cib_list_count(e->ctx, 0, "sales", CIB_NTS, &count), CIB_EINVAL,
                  "'list' is 0");
    expect_status(e, cib_list_item(e->ctx, 99, "sales", CIB_NTS, 0, &item), CIB_EINVAL,
                  "'list' is 99");
    assert_null(item);
    expect_status(e, cib_list_item(e->ctx, CIB_LIST_INBOX_USERS, "sales", CIB_NTS, 0, NULL),
                  CIB_EINVAL, "'out' is NULL");
    expect_status(e, cib_inbox_get(e->ctx, "sales", CIB_NTS, NULL), CIB_EINVAL, "'out' is NULL");
    expect_status(e, cib_inbox_set_access(e->ctx, "sales", CIB_NTS, NULL), CIB_EINVAL,
                  "'access' is NULL");
    cib_inbox_def d = CIB_INBOX_DEF_INIT;
    d.id = "x";
    d.name = "X";
    d.size = 1;
    expect_status(e, cib_inbox_add(e->ctx, &d), CIB_EINVAL, "'def->size' is 1");
    tenv_free(e);
}

static void setup_inboxes(tenv *e)
{
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    const char *m[] = {"alice"};
    add_team(e, "support", m, 1);
    add_inbox_access(e, "sales", "Sales", m, 1, NULL, 0);
    add_channel(e, "mail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    add_channel(e, "chat", "sales", CIB_CHANNEL_CHAT, NULL);
    add_channel(e, "fb", "sales", CIB_CHANNEL_MESSENGER, "page-1");
}

static int op_add(cib_ctx *ctx, void *arg)
{
    (void)arg;
    const char *teams[] = {"support"};
    cib_access_def a = CIB_ACCESS_DEF_INIT;
    a.everyone = 0;
    a.teams = teams;
    a.n_teams = 1;
    cib_inbox_def d = CIB_INBOX_DEF_INIT;
    d.id = "billing";
    d.name = "Billing";
    d.access = &a;
    return cib_inbox_add(ctx, &d);
}

static int op_rename(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_inbox_rename(ctx, "sales", CIB_NTS, "Sales EU", CIB_NTS);
}

static int op_remove(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_inbox_remove(ctx, "sales", CIB_NTS, "Sales", CIB_NTS);
}

static int op_access(cib_ctx *ctx, void *arg)
{
    (void)arg;
    const char *teams[] = {"support"};
    cib_access_def a = CIB_ACCESS_DEF_INIT;
    a.everyone = 0;
    a.teams = teams;
    a.n_teams = 1;
    return cib_inbox_set_access(ctx, "sales", CIB_NTS, &a);
}

static void test_sweep_add_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(setup_inboxes, op_add, NULL);
}

static void test_sweep_rename_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(setup_inboxes, op_rename, NULL);
}

static void test_sweep_remove_R_HOST_1_R_INBOX_3(void **state)
{
    (void)state;
    sweep_op(setup_inboxes, op_remove, NULL);
}

static void test_sweep_set_access_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(setup_inboxes, op_access, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_R_INBOX_2_R_ACCESS_1),
        cmocka_unit_test(test_names_unique_R_INBOX_2),
        cmocka_unit_test(test_limit_default_100_R_INBOX_2),
        cmocka_unit_test(test_limit_configurable_R_INBOX_2),
        cmocka_unit_test(test_rename_R_INBOX_2),
        cmocka_unit_test(test_delete_needs_exact_name_R_INBOX_3),
        cmocka_unit_test(test_default_inbox_cannot_be_deleted_R_INBOX_1),
        cmocka_unit_test(test_foreach_order),
        cmocka_unit_test(test_foreach_callback_cannot_change_the_context),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_sweep_add_R_HOST_1),
        cmocka_unit_test(test_sweep_rename_R_HOST_1),
        cmocka_unit_test(test_sweep_remove_R_HOST_1_R_INBOX_3),
        cmocka_unit_test(test_sweep_set_access_R_HOST_1),
    };
    return TENV_RUN(tests);
}
