/* test_user.c - users: add, update, remove (leaving nothing dangling), read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

static void test_add_and_get(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "alice";
    d.name = "Alice Adams";
    d.email = "Alice@ACME.test";
    d.seat = CIB_SEAT_FREE;
    d.role = CIB_ROLE_SUPER_ADMIN;
    expect_status(e, cib_user_add(e->ctx, &d), CIB_OK, NULL);
    cib_user_info u = CIB_USER_INFO_INIT;
    expect_status(e, cib_user_get(e->ctx, "alice", CIB_NTS, &u), CIB_OK, NULL);
    assert_string_equal(u.id, "alice");
    assert_string_equal(u.name, "Alice Adams");
    assert_string_equal(u.email, "alice@acme.test");
    assert_int_equal(u.seat, CIB_SEAT_FREE);
    assert_int_equal(u.role, CIB_ROLE_SUPER_ADMIN);
    assert_int_equal(u.created_at, TENV_EPOCH_MS);
    /* Defaults: paid member, no email. Ids with explicit lengths. */
    cib_user_def b = CIB_USER_DEF_INIT;
    b.id = "bob-and-more";
    b.id_len = 3;
    b.name = "Bob";
    expect_status(e, cib_user_add(e->ctx, &b), CIB_OK, NULL);
    expect_status(e, cib_user_get(e->ctx, "bob", CIB_NTS, &u), CIB_OK, NULL);
    assert_null(u.email);
    assert_int_equal(u.seat, CIB_SEAT_PAID);
    assert_int_equal(u.role, CIB_ROLE_MEMBER);
    /* UTF-8 names and ids are fine. */
    cib_user_def c = CIB_USER_DEF_INIT;
    c.id = "j\xc3\xbcrgen";
    c.name = "J\xc3\xbcrgen M\xc3\xbcller \xe2\x9c\x93";
    expect_status(e, cib_user_add(e->ctx, &c), CIB_OK, NULL);
    tenv_free(e);
}

static void test_duplicates_conflict(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    char *before = tenv_snapshot(e);
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "alice";
    d.name = "Another Alice";
    expect_status(e, cib_user_add(e->ctx, &d), CIB_ECONFLICT, "user 'alice' already exists");
    d.id = "alice2";
    d.email = "ALICE@acme.test";
    expect_status(e, cib_user_add(e->ctx, &d), CIB_ECONFLICT,
                  "email 'alice@acme.test' is already the email of user 'alice'");
    expect_unchanged(e, before);
    free(before);
    tenv_free(e);
}

/* R-CHAN-2: a user's email may not be a linked team-email address. */
static void test_email_may_not_be_a_channel_address_R_CHAN_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    add_channel(e, "mail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "alice";
    d.name = "Alice";
    d.email = "Sales@Acme.test";
    expect_status(e, cib_user_add(e->ctx, &d), CIB_ECONFLICT, "channel 'mail'");
    d.email = "alice@acme.test";
    expect_status(e, cib_user_add(e->ctx, &d), CIB_OK, NULL);
    d.email = "sales@acme.test";
    expect_status(e, cib_user_update(e->ctx, &d), CIB_ECONFLICT, "channel 'mail'");
    tenv_free(e);
}

static void test_update(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", "bob@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "alice";
    d.name = "Alice B.";
    d.email = "alice.b@acme.test";
    d.seat = CIB_SEAT_FREE;
    d.role = CIB_ROLE_ADMIN;
    expect_status(e, cib_user_update(e->ctx, &d), CIB_OK, NULL);
    cib_user_info u = CIB_USER_INFO_INIT;
    expect_status(e, cib_user_get(e->ctx, "alice", CIB_NTS, &u), CIB_OK, NULL);
    assert_string_equal(u.name, "Alice B.");
    assert_string_equal(u.email, "alice.b@acme.test");
    assert_int_equal(u.seat, CIB_SEAT_FREE);
    assert_int_equal(u.role, CIB_ROLE_ADMIN);
    assert_int_equal(u.created_at, TENV_EPOCH_MS);
    /* The old email is free again; the new one is taken. */
    d.id = "bob";
    d.name = "Bob";
    d.email = "alice.b@acme.test";
    expect_status(e, cib_user_update(e->ctx, &d), CIB_ECONFLICT, "user 'alice'");
    d.email = "alice@acme.test";
    expect_status(e, cib_user_update(e->ctx, &d), CIB_OK, NULL);
    /* Keeping one's own email is not a conflict; dropping it is allowed. */
    expect_status(e, cib_user_update(e->ctx, &d), CIB_OK, NULL);
    d.email = NULL;
    expect_status(e, cib_user_update(e->ctx, &d), CIB_OK, NULL);
    expect_status(e, cib_user_get(e->ctx, "bob", CIB_NTS, &u), CIB_OK, NULL);
    assert_null(u.email);
    d.id = "carol";
    expect_status(e, cib_user_update(e->ctx, &d), CIB_ENOTFOUND, "user 'carol' not found");
    tenv_free(e);
}

/* Removing a user leaves nothing pointing at them. */
static void test_remove_leaves_nothing_dangling(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    const char *members[] = {"alice", "bob"};
    add_team(e, "support", members, 2);
    const char *users[] = {"bob", "alice"};
    add_inbox_access(e, "sales", "Sales", users, 2, NULL, 0);
    const char *only[] = {"alice"};
    add_inbox_access(e, "vip", "VIP", only, 1, NULL, 0);
    cib_contact_def c = CIB_CONTACT_DEF_INIT;
    c.id = "carol";
    c.owner = "alice";
    expect_status(e, cib_contact_add(e->ctx, &c), CIB_OK, NULL);

    expect_status(e, cib_user_remove(e->ctx, "alice", CIB_NTS), CIB_OK, NULL);
    cib_user_info u = CIB_USER_INFO_INIT;
    expect_status(e, cib_user_get(e->ctx, "alice", CIB_NTS, &u), CIB_ENOTFOUND, "alice");
    size_t n = 9;
    const char *item = NULL;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_TEAM_MEMBERS, "support", CIB_NTS, &n), CIB_OK,
                  NULL);
    assert_int_equal(n, 1);
    expect_status(e, cib_list_item(e->ctx, CIB_LIST_TEAM_MEMBERS, "support", CIB_NTS, 0, &item),
                  CIB_OK, NULL);
    assert_string_equal(item, "bob");
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_INBOX_USERS, "sales", CIB_NTS, &n), CIB_OK,
                  NULL);
    assert_int_equal(n, 1);
    /* An access list left empty stays specific: nobody but admins. */
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_INBOX_USERS, "vip", CIB_NTS, &n), CIB_OK,
                  NULL);
    assert_int_equal(n, 0);
    cib_inbox_info ib = CIB_INBOX_INFO_INIT;
    expect_status(e, cib_inbox_get(e->ctx, "vip", CIB_NTS, &ib), CIB_OK, NULL);
    assert_int_equal(ib.everyone, 0);
    cib_contact_info ci = CIB_CONTACT_INFO_INIT;
    expect_status(e, cib_contact_get(e->ctx, "carol", CIB_NTS, &ci), CIB_OK, NULL);
    assert_null(ci.owner);
    /* Her email is free again, and her id can be reused. */
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    assert_int_equal(may(e, "alice", "vip", CIB_ACTION_VIEW), 0);
    /* The store agrees: a restart shows the same account. */
    char *before = tenv_snapshot(e);
    tenv_reopen(e);
    char *after = tenv_snapshot(e);
    assert_string_equal(before, after);
    assert_null(strstr(after, "owner=\"alice\""));
    free(before);
    free(after);
    expect_status(e, cib_user_remove(e->ctx, "nobody", CIB_NTS), CIB_ENOTFOUND,
                  "user 'nobody' not found");
    tenv_free(e);
}

static int call_remove(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    return cib_user_remove(ctx, s, n);
}

static int call_get(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    cib_user_info u = CIB_USER_INFO_INIT;
    return cib_user_get(ctx, s, n, &u);
}

/* Which member of the def a bad string goes into. */
enum { F_ID, F_NAME, F_EMAIL };
struct defcall {
    int field;
    int update;
};

static int call_def(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    const struct defcall *c = arg;
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "alice";
    d.name = "Alice";
    d.email = "alice@acme.test";
    if (c->field == F_ID) {
        d.id = s;
        d.id_len = n;
    } else if (c->field == F_NAME) {
        d.name = s;
        d.name_len = n;
    } else {
        d.email = s;
        d.email_len = n;
    }
    return c->update ? cib_user_update(ctx, &d) : cib_user_add(ctx, &d);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    for (int update = 0; update < 2; update++) {
        struct defcall id = {F_ID, update}, name = {F_NAME, update}, email = {F_EMAIL, update};
        expect_bad_strings(e, "id", call_def, &id);
        expect_bad_strings(e, "name", call_def, &name);
        expect_bad_optional_strings(e, "email", call_def, &email);
    }
    expect_bad_strings(e, "id", call_remove, NULL);
    expect_bad_strings(e, "id", call_get, NULL);

    char *before = tenv_snapshot(e);
    expect_status(e, cib_user_add(e->ctx, NULL), CIB_EINVAL, "'def' is NULL");
    expect_status(e, cib_user_update(e->ctx, NULL), CIB_EINVAL, "'def' is NULL");
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "zed";
    d.name = "Zed";
    d.size = 0;
    expect_status(e, cib_user_add(e->ctx, &d), CIB_EINVAL, "'def->size' is 0");
    d.size = sizeof d;
    d.seat = 0;
    expect_status(e, cib_user_add(e->ctx, &d), CIB_EINVAL, "'seat' is 0");
    d.seat = CIB_SEAT_PAID;
    d.role = 7;
    expect_status(e, cib_user_add(e->ctx, &d), CIB_EINVAL, "'role' is 7");
    d.role = CIB_ROLE_MEMBER;
    const char *bad_emails[] = {"no-at-sign", "@acme.test", "zed@",      "zed@@acme.test",
                                "z ed@acme",  "zed@a..b",   ".zed@acme", "zed.@acme",
                                "zed@.acme",  "zed@acme.",  "<zed>@acme"};
    for (size_t i = 0; i < sizeof bad_emails / sizeof bad_emails[0]; i++) {
        d.email = bad_emails[i];
        int rc = cib_user_add(e->ctx, &d);
        if (rc != CIB_EINVAL || !strstr(cib_errmsg(e->ctx), "'email'"))
            fail_msg("email '%s': %s %s", bad_emails[i], cib_status_name(rc), cib_errmsg(e->ctx));
    }
    d.email = NULL;
    expect_status(e, cib_user_get(e->ctx, "alice", CIB_NTS, NULL), CIB_EINVAL, "'out' is NULL");
    cib_user_info u = CIB_USER_INFO_INIT;
    u.size = 0;
    expect_status(e, cib_user_get(e->ctx, "alice", CIB_NTS, &u), CIB_EINVAL, "'out->size'");
    expect_unchanged(e, before);
    free(before);
    tenv_free(e);
}

/* A caller built against an older, smaller info struct gets only its part. */
static void test_info_from_older_header(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_FREE, CIB_ROLE_ADMIN);
    struct {
        cib_user_info u;
        char canary[8];
    } buf;
    memset(&buf, 0x5a, sizeof buf);
    buf.u.size = offsetof(cib_user_info, seat);
    expect_status(e, cib_user_get(e->ctx, "alice", CIB_NTS, &buf.u), CIB_OK, NULL);
    assert_string_equal(buf.u.id, "alice");
    assert_string_equal(buf.u.email, "alice@acme.test");
    const unsigned char *tail = (const unsigned char *)&buf.u.seat;
    for (size_t i = 0; i < sizeof buf - offsetof(cib_user_info, seat); i++)
        assert_int_equal(tail[i], 0x5a);
    tenv_free(e);
}

/* R-HOST-1: growing the hash tables (uthash doubles its buckets as it
 * fills) fails cleanly too: 400 users, each added under an allocation sweep,
 * so that some bucket expansion is refused along the way. */
static void test_table_growth_under_allocation_failure_R_HOST_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    char id[32], email[64], prev[32] = "";
    long failures = 0;
    for (int i = 0; i < 400; i++) {
        snprintf(id, sizeof id, "user-%d", i);
        snprintf(email, sizeof email, "user-%d@acme.test", i);
        cib_user_def d = CIB_USER_DEF_INIT;
        d.id = id;
        d.name = id;
        d.email = email;
        for (long n = 0;; n++) {
            long live = e->fa.live;
            e->fa.fail_at = e->fa.count + n;
            int rc = cib_user_add(e->ctx, &d);
            e->fa.fail_at = -1;
            if (rc == CIB_OK)
                break;
            failures++;
            expect_status(e, rc, CIB_ENOMEM, "out of memory");
            assert_int_equal(e->fa.live, live);
            cib_user_info u = CIB_USER_INFO_INIT;
            assert_int_equal(cib_user_get(e->ctx, id, CIB_NTS, &u), CIB_ENOTFOUND);
            if (prev[0])
                assert_int_equal(cib_user_get(e->ctx, prev, CIB_NTS, &u), CIB_OK);
        }
        snprintf(prev, sizeof prev, "%s", id);
    }
    assert_true(failures >= 400 * 4);
    /* Every user is there, findable by id and by email, and the store agrees. */
    char *before = tenv_snapshot(e);
    tenv_reopen(e);
    expect_unchanged(e, before);
    for (int i = 0; i < 400; i += 7) {
        cib_user_def d = CIB_USER_DEF_INIT;
        snprintf(id, sizeof id, "dup-%d", i);
        snprintf(email, sizeof email, "USER-%d@acme.test", i);
        d.id = id;
        d.name = id;
        d.email = email;
        expect_status(e, cib_user_add(e->ctx, &d), CIB_ECONFLICT, "is already the email");
    }
    free(before);
    tenv_free(e);
}

static void setup_people(tenv *e)
{
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", "bob@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    const char *members[] = {"alice", "bob"};
    add_team(e, "support", members, 2);
    add_team(e, "tier2", members, 1);
    const char *users[] = {"alice"}, *teams[] = {"support"};
    add_inbox_access(e, "sales", "Sales", users, 1, teams, 1);
    add_inbox_access(e, "vip", "VIP", users, 1, NULL, 0);
    cib_contact_def c = CIB_CONTACT_DEF_INIT;
    c.id = "carol";
    c.owner = "alice";
    expect_status(e, cib_contact_add(e->ctx, &c), CIB_OK, NULL);
    c.id = "dan";
    expect_status(e, cib_contact_add(e->ctx, &c), CIB_OK, NULL);
}

static int op_add(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "zoe";
    d.name = "Zoe";
    d.email = "zoe@acme.test";
    return cib_user_add(ctx, &d);
}

static int op_update(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "alice";
    d.name = "Alice Again";
    d.email = "alice2@acme.test";
    d.seat = CIB_SEAT_FREE;
    return cib_user_update(ctx, &d);
}

static int op_remove(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_user_remove(ctx, "alice", CIB_NTS);
}

/* R-HOST-1: each mutating user call is atomic under allocation and
 * storage failure. */
static void test_sweep_add_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(setup_people, op_add, NULL);
}

static void test_sweep_update_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(setup_people, op_update, NULL);
}

static void test_sweep_remove_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(setup_people, op_remove, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_get),
        cmocka_unit_test(test_duplicates_conflict),
        cmocka_unit_test(test_email_may_not_be_a_channel_address_R_CHAN_2),
        cmocka_unit_test(test_update),
        cmocka_unit_test(test_remove_leaves_nothing_dangling),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_info_from_older_header),
        cmocka_unit_test(test_table_growth_under_allocation_failure_R_HOST_1),
        cmocka_unit_test(test_sweep_add_R_HOST_1),
        cmocka_unit_test(test_sweep_update_R_HOST_1),
        cmocka_unit_test(test_sweep_remove_R_HOST_1),
    };
    return TENV_RUN(tests);
}
