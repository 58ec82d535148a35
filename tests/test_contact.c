/* test_contact.c - contacts through the public API: add, update, remove, get,
 * find by email (R-CONV-1: email addresses are case-insensitive), owners,
 * bad input, and failure sweeps. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

/* ---- helpers ---- */

static int contact_add(tenv *e, const char *id, const char *email, const char *owner)
{
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = id;
    d.email = email;
    d.owner = owner;
    return cib_contact_add(e->ctx, &d);
}

static int contact_update(tenv *e, const char *id, const char *email, const char *owner)
{
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = id;
    d.email = email;
    d.owner = owner;
    return cib_contact_update(e->ctx, &d);
}

static void add_contact(tenv *e, const char *id, const char *email, const char *owner)
{
    expect_status(e, contact_add(e, id, email, owner), CIB_OK, NULL);
    assert_string_equal(cib_errmsg(e->ctx), "");
}

static void expect_str_or_null(const char *got, const char *want)
{
    if (!want)
        assert_null(got);
    else if (!got)
        fail_msg("want '%s', got NULL", want);
    else
        assert_string_equal(got, want);
}

/* The contact exists with this email and owner (NULL: none). */
static void contact_is(tenv *e, const char *id, const char *email, const char *owner)
{
    cib_contact_info c = CIB_CONTACT_INFO_INIT;
    expect_status(e, cib_contact_get(e->ctx, id, CIB_NTS, &c), CIB_OK, NULL);
    assert_int_equal(c.size, sizeof c);
    assert_string_equal(c.id, id);
    expect_str_or_null(c.email, email);
    expect_str_or_null(c.owner, owner);
}

static void contact_missing(tenv *e, const char *id)
{
    cib_contact_info c = CIB_CONTACT_INFO_INIT;
    expect_status(e, cib_contact_get(e->ctx, id, CIB_NTS, &c), CIB_ENOTFOUND, id);
    assert_null(c.id);
}

/* The contact whose email this is, or NULL (CIB_ENOTFOUND). */
static const char *find_email(tenv *e, const char *email)
{
    const char *id = "sentinel";
    int rc = cib_contact_find_email(e->ctx, email, CIB_NTS, &id);
    if (rc == CIB_ENOTFOUND) {
        assert_null(id);
        assert_non_null(strstr(cib_errmsg(e->ctx), "no contact has email"));
        return NULL;
    }
    expect_status(e, rc, CIB_OK, NULL);
    assert_non_null(id);
    return id;
}

static void expect_find(tenv *e, const char *email, const char *want_id)
{
    const char *id = find_email(e, email);
    if (!want_id) {
        if (id)
            fail_msg("email '%s' should be nobody's, is '%s'", email, id);
        return;
    }
    if (!id)
        fail_msg("email '%s' should be '%s', is nobody's", email, want_id);
    assert_string_equal(id, want_id);
}

static int has(const char *haystack, const char *needle)
{
    return strstr(haystack, needle) != NULL;
}

/* ---- add and get ---- */

static void test_add_and_get(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);

    /* Neither email nor owner. */
    add_contact(e, "c1", NULL, NULL);
    cib_contact_info c = CIB_CONTACT_INFO_INIT;
    expect_status(e, cib_contact_get(e->ctx, "c1", CIB_NTS, &c), CIB_OK, NULL);
    assert_string_equal(c.id, "c1");
    assert_null(c.email);
    assert_null(c.owner);
    assert_int_equal(c.created_at, TENV_EPOCH_MS);

    /* Both, at a later time. */
    e->now += 1000;
    add_contact(e, "c2", "c2@example.test", "alice");
    cib_contact_info c2 = CIB_CONTACT_INFO_INIT;
    expect_status(e, cib_contact_get(e->ctx, "c2", CIB_NTS, &c2), CIB_OK, NULL);
    assert_string_equal(c2.id, "c2");
    assert_string_equal(c2.email, "c2@example.test");
    assert_string_equal(c2.owner, "alice");
    assert_int_equal(c2.created_at, TENV_EPOCH_MS + 1000);

    /* Only one of them. */
    add_contact(e, "c3", "c3@example.test", NULL);
    add_contact(e, "c4", NULL, "alice");
    contact_is(e, "c3", "c3@example.test", NULL);
    contact_is(e, "c4", NULL, "alice");
    contact_is(e, "c1", NULL, NULL);

    /* Ids are compared byte for byte. */
    add_contact(e, "C1", NULL, NULL);
    contact_is(e, "C1", NULL, NULL);
    contact_missing(e, "c");
    contact_missing(e, "c11");

    /* Strings with explicit lengths. */
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = "c5-and-more";
    d.id_len = 2;
    d.email = "c5@example.testXYZ";
    d.email_len = 15;
    d.owner = "alicebob";
    d.owner_len = 5;
    expect_status(e, cib_contact_add(e->ctx, &d), CIB_OK, NULL);
    contact_is(e, "c5", "c5@example.test", "alice");
    expect_status(e, cib_contact_get(e->ctx, "c5-and-more", 2, &c), CIB_OK, NULL);
    assert_string_equal(c.id, "c5");
    contact_missing(e, "c5-and-more");

    /* In the account dump and in the store. */
    char *snap = tenv_snapshot(e);
    assert_true(has(snap, "contact \"c2\" email=\"c2@example.test\" owner=\"alice\""));
    assert_true(has(snap, "contact \"c1\" email=- owner=-"));
    char *rows = tenv_store_dump(e);
    assert_true(has(rows, "contact \"c2\" email=\"c2@example.test\" owner=\"alice\" "
                          "created_at=1767571201000"));
    assert_true(has(rows, "contact \"c1\" email=null owner=null created_at=1767571200000"));
    free(rows);

    /* A restart rebuilds every contact exactly. */
    tenv_reopen(e);
    char *again = tenv_snapshot(e);
    assert_string_equal(snap, again);
    contact_is(e, "c2", "c2@example.test", "alice");
    expect_find(e, "c2@example.test", "c2");
    free(snap);
    free(again);
    tenv_free(e);
}

/* Output structs from an older header get the members they have. */
static void test_get_older_info_struct(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_contact(e, "carol", "carol@example.test", "alice");
    cib_contact_info c;
    memset(&c, 0, sizeof c);
    c.size = offsetof(cib_contact_info, owner);
    c.owner = "untouched";
    c.created_at = 77;
    expect_status(e, cib_contact_get(e->ctx, "carol", CIB_NTS, &c), CIB_OK, NULL);
    assert_int_equal(c.size, offsetof(cib_contact_info, owner));
    assert_string_equal(c.id, "carol");
    assert_string_equal(c.email, "carol@example.test");
    assert_string_equal(c.owner, "untouched");
    assert_int_equal(c.created_at, 77);
    tenv_free(e);
}

/* A def from an older header: the members it lacks take their defaults. */
static void test_add_older_def_struct(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.size = offsetof(cib_contact_def, email);
    d.id = "carol";
    d.email = "garbage"; /* beyond size: not read */
    d.email_len = 3;
    d.owner = "ghost";
    expect_status(e, cib_contact_add(e->ctx, &d), CIB_OK, NULL);
    contact_is(e, "carol", NULL, NULL);
    tenv_free(e);
}

/* ---- emails ---- */

/* R-CONV-1: a known email address is recognised in any case. */
static void test_email_case_insensitive_R_CONV_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_contact(e, "carol", "Carol.Smith@Example.TEST", NULL);
    /* Normalised to lower case. */
    contact_is(e, "carol", "carol.smith@example.test", NULL);
    char *rows = tenv_store_dump(e);
    assert_true(has(rows, "contact \"carol\" email=\"carol.smith@example.test\""));
    free(rows);
    /* Found in any case. */
    expect_find(e, "carol.smith@example.test", "carol");
    expect_find(e, "Carol.Smith@Example.TEST", "carol");
    expect_find(e, "CAROL.SMITH@EXAMPLE.TEST", "carol");
    expect_find(e, "cArOl.SmItH@eXaMpLe.TeSt", "carol");
    const char *id = NULL;
    expect_status(e, cib_contact_find_email(e->ctx, "CAROL.SMITH@EXAMPLE.TESTING", 24, &id), CIB_OK,
                  NULL);
    assert_string_equal(id, "carol");
    /* Other addresses are not. */
    expect_find(e, "carol.smith@example.tes", NULL);
    expect_find(e, "carol.smith@example.test.org", NULL);
    expect_find(e, "carol@example.test", NULL);
    id = "sentinel";
    expect_status(e, cib_contact_find_email(e->ctx, "Nobody@Example.test", CIB_NTS, &id),
                  CIB_ENOTFOUND, "nobody@example.test");
    assert_null(id);
    /* Non-ASCII bytes survive unchanged, ASCII around them is folded. */
    add_contact(e, "jose", "José@Exämple.TEST", NULL);
    contact_is(e, "jose", "josé@exämple.test", NULL);
    expect_find(e, "JOSé@EXäMPLE.test", "jose");
    /* An update normalises too, and the old case-folded key is gone. */
    expect_status(e, contact_update(e, "carol", "NEW.Carol@Example.Test", NULL), CIB_OK, NULL);
    contact_is(e, "carol", "new.carol@example.test", NULL);
    expect_find(e, "new.carol@EXAMPLE.test", "carol");
    expect_find(e, "CAROL.SMITH@EXAMPLE.TEST", NULL);
    /* The index is rebuilt on restart. */
    tenv_reopen(e);
    expect_find(e, "NEW.CAROL@EXAMPLE.TEST", "carol");
    expect_find(e, "josé@exämple.test", "jose");
    tenv_free(e);
}

/* R-CONV-1: one address, one contact, ignoring case. */
static void test_email_unique_ignoring_case_R_CONV_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_contact(e, "a", "dup@example.test", NULL);
    add_contact(e, "b", NULL, NULL);
    char *before = tenv_snapshot(e);
    expect_status(e, contact_add(e, "c", "dup@example.test", NULL), CIB_ECONFLICT, "contact 'a'");
    expect_status(e, contact_add(e, "c", "DUP@Example.Test", NULL), CIB_ECONFLICT,
                  "dup@example.test");
    expect_status(e, contact_update(e, "b", "Dup@EXAMPLE.test", NULL), CIB_ECONFLICT,
                  "contact 'a'");
    expect_unchanged(e, before);
    contact_missing(e, "c");
    contact_is(e, "b", NULL, NULL);
    /* A contact may keep its own email, in another case. */
    expect_status(e, contact_update(e, "a", "DUP@EXAMPLE.TEST", NULL), CIB_OK, NULL);
    contact_is(e, "a", "dup@example.test", NULL);
    expect_find(e, "dup@example.test", "a");
    /* Still unique after a restart. */
    tenv_reopen(e);
    expect_status(e, contact_add(e, "c", "dUp@example.TEST", NULL), CIB_ECONFLICT, "contact 'a'");
    free(before);
    tenv_free(e);
}

/* Malformed email addresses are refused by every function taking one. */
static void test_malformed_emails(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_contact(e, "carol", "carol@example.test", NULL);
    char *before = tenv_snapshot(e);
    const char *bad[] = {"no-at-sign", "@x",    "a@",   "a@@b",   "a b@c", "a@b..c", ".a@b",
                         "a.@b",       "a@.b",  "a@b.", "a..b@c", "a@b c", "a<b@c",  "a@b>",
                         "a,b@c",      "a@b@c", "@",    "a@b;",   "a:b@c", "a\\b@c", "a\tb@c"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_status(e, contact_add(e, "dave", bad[i], NULL), CIB_EINVAL, "'email'");
        expect_status(e, contact_update(e, "carol", bad[i], NULL), CIB_EINVAL, "'email'");
        const char *id = "sentinel";
        expect_status(e, cib_contact_find_email(e->ctx, bad[i], CIB_NTS, &id), CIB_EINVAL,
                      "'email'");
        assert_null(id);
        expect_unchanged(e, before);
    }
    contact_missing(e, "dave");
    contact_is(e, "carol", "carol@example.test", NULL);
    /* Well-formed ones, for contrast. */
    add_contact(e, "d1", "a@b", NULL);
    add_contact(e, "d2", "first.last+tag@sub.example.test", NULL);
    add_contact(e, "d3", "o'brien_x-y@example.test", NULL);
    expect_find(e, "A@B", "d1");
    free(before);
    tenv_free(e);
}

/* ---- conflicts and owners ---- */

static void test_duplicate_id_conflicts(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_contact(e, "carol", "carol@example.test", NULL);
    char *before = tenv_snapshot(e);
    expect_status(e, contact_add(e, "carol", NULL, NULL), CIB_ECONFLICT, "'carol' already exists");
    expect_status(e, contact_add(e, "carol", "other@example.test", "alice"), CIB_ECONFLICT,
                  "'carol' already exists");
    expect_unchanged(e, before);
    contact_is(e, "carol", "carol@example.test", NULL);
    /* The refused contact's email was not taken. */
    expect_find(e, "other@example.test", NULL);
    add_contact(e, "dave", "other@example.test", NULL);
    free(before);
    tenv_free(e);
}

static void test_unknown_owner_not_found(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_contact(e, "carol", "carol@example.test", "alice");
    char *before = tenv_snapshot(e);
    expect_status(e, contact_add(e, "dave", "dave@example.test", "ghost"), CIB_ENOTFOUND,
                  "'ghost'");
    /* Owner ids are compared byte for byte. */
    expect_status(e, contact_add(e, "dave", NULL, "Alice"), CIB_ENOTFOUND, "'Alice'");
    expect_status(e, contact_update(e, "carol", "carol@example.test", "ghost"), CIB_ENOTFOUND,
                  "'ghost'");
    /* A contact is not a user. */
    expect_status(e, contact_add(e, "dave", NULL, "carol"), CIB_ENOTFOUND, "'carol'");
    expect_unchanged(e, before);
    contact_missing(e, "dave");
    expect_find(e, "dave@example.test", NULL);
    contact_is(e, "carol", "carol@example.test", "alice");
    free(before);
    tenv_free(e);
}

/* ---- update ---- */

static void test_update_replaces_email_and_owner(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", NULL, CIB_SEAT_FREE, CIB_ROLE_MEMBER);
    add_contact(e, "carol", "old@example.test", "alice");
    e->now += 5000;

    expect_status(e, contact_update(e, "carol", "New@Example.test", "bob"), CIB_OK, NULL);
    cib_contact_info c = CIB_CONTACT_INFO_INIT;
    expect_status(e, cib_contact_get(e->ctx, "carol", CIB_NTS, &c), CIB_OK, NULL);
    assert_string_equal(c.email, "new@example.test");
    assert_string_equal(c.owner, "bob");
    assert_int_equal(c.created_at, TENV_EPOCH_MS); /* unchanged by an update */
    expect_find(e, "new@example.test", "carol");
    /* The old email is free for another contact. */
    expect_find(e, "old@example.test", NULL);
    add_contact(e, "dave", "OLD@example.test", NULL);
    expect_find(e, "old@example.test", "dave");

    /* Only the owner changes. */
    expect_status(e, contact_update(e, "carol", "new@example.test", "alice"), CIB_OK, NULL);
    contact_is(e, "carol", "new@example.test", "alice");
    /* Both removed. */
    expect_status(e, contact_update(e, "carol", NULL, NULL), CIB_OK, NULL);
    contact_is(e, "carol", NULL, NULL);
    expect_find(e, "new@example.test", NULL);
    add_contact(e, "erin", "new@example.test", NULL);
    /* Set again. */
    expect_status(e, contact_update(e, "carol", "carol@example.test", "bob"), CIB_OK, NULL);
    contact_is(e, "carol", "carol@example.test", "bob");
    /* Two contacts swap nothing: dave cannot take carol's email. */
    expect_status(e, contact_update(e, "dave", "carol@example.test", NULL), CIB_ECONFLICT,
                  "contact 'carol'");
    contact_is(e, "dave", "old@example.test", NULL);

    /* In the store, and after a restart. */
    char *rows = tenv_store_dump(e);
    assert_true(has(rows, "contact \"carol\" email=\"carol@example.test\" owner=\"bob\" "
                          "created_at=1767571200000"));
    free(rows);
    char *snap = tenv_snapshot(e);
    tenv_reopen(e);
    char *again = tenv_snapshot(e);
    assert_string_equal(snap, again);
    expect_find(e, "carol@example.test", "carol");
    expect_find(e, "old@example.test", "dave");
    expect_find(e, "new@example.test", "erin");
    free(snap);
    free(again);
    tenv_free(e);
}

static void test_update_unknown_not_found(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_contact(e, "carol", NULL, NULL);
    char *before = tenv_snapshot(e);
    expect_status(e, contact_update(e, "dave", "dave@example.test", NULL), CIB_ENOTFOUND,
                  "'dave' not found");
    expect_status(e, contact_update(e, "Carol", NULL, NULL), CIB_ENOTFOUND, "'Carol' not found");
    expect_unchanged(e, before);
    expect_find(e, "dave@example.test", NULL);
    contact_missing(e, "dave");
    free(before);
    tenv_free(e);
}

/* ---- remove ---- */

static void test_remove(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_contact(e, "carol", "carol@example.test", "alice");
    add_contact(e, "dave", "dave@example.test", NULL);
    expect_status(e, cib_contact_remove(e->ctx, "carol", CIB_NTS), CIB_OK, NULL);
    contact_missing(e, "carol");
    contact_is(e, "dave", "dave@example.test", NULL);
    expect_find(e, "carol@example.test", NULL);
    char *rows = tenv_store_dump(e);
    assert_false(has(rows, "contact \"carol\""));
    assert_true(has(rows, "contact \"dave\""));
    free(rows);
    /* Gone: a second remove, and unknown ids, are not found. */
    char *before = tenv_snapshot(e);
    expect_status(e, cib_contact_remove(e->ctx, "carol", CIB_NTS), CIB_ENOTFOUND,
                  "'carol' not found");
    expect_status(e, cib_contact_remove(e->ctx, "Dave", CIB_NTS), CIB_ENOTFOUND,
                  "'Dave' not found");
    expect_status(e, cib_contact_remove(e->ctx, "dav", CIB_NTS), CIB_ENOTFOUND, NULL);
    expect_unchanged(e, before);
    /* The owner is not affected. */
    cib_user_info u = CIB_USER_INFO_INIT;
    expect_status(e, cib_user_get(e->ctx, "alice", CIB_NTS, &u), CIB_OK, NULL);
    /* The id and the email may be used again. */
    add_contact(e, "erin", "CAROL@example.test", NULL);
    add_contact(e, "carol", NULL, "alice");
    contact_is(e, "carol", NULL, "alice");
    /* By explicit length. */
    expect_status(e, cib_contact_remove(e->ctx, "davexyz", 4), CIB_OK, NULL);
    contact_missing(e, "dave");
    /* Survives a restart. */
    tenv_reopen(e);
    contact_missing(e, "dave");
    expect_find(e, "dave@example.test", NULL);
    expect_find(e, "carol@example.test", "erin");
    free(before);
    tenv_free(e);
}

/* Removing a user who owns contacts leaves them without an owner. */
static void test_removing_owner_clears_contacts(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_contact(e, "c1", NULL, "alice");
    add_contact(e, "c2", "c2@example.test", "alice");
    add_contact(e, "c3", "c3@example.test", "bob");
    add_contact(e, "c4", NULL, NULL);
    expect_status(e, cib_user_remove(e->ctx, "alice", CIB_NTS), CIB_OK, NULL);
    contact_is(e, "c1", NULL, NULL);
    contact_is(e, "c2", "c2@example.test", NULL);
    contact_is(e, "c3", "c3@example.test", "bob");
    contact_is(e, "c4", NULL, NULL);
    expect_find(e, "c2@example.test", "c2");
    char *rows = tenv_store_dump(e);
    assert_true(has(rows, "contact \"c1\" email=null owner=null"));
    assert_true(has(rows, "contact \"c2\" email=\"c2@example.test\" owner=null"));
    assert_true(has(rows, "contact \"c3\" email=\"c3@example.test\" owner=\"bob\""));
    assert_false(has(rows, "user \"alice\""));
    free(rows);

    /* Survives a restart. */
    char *snap = tenv_snapshot(e);
    tenv_reopen(e);
    char *again = tenv_snapshot(e);
    assert_string_equal(snap, again);
    contact_is(e, "c1", NULL, NULL);
    contact_is(e, "c2", "c2@example.test", NULL);
    contact_is(e, "c3", "c3@example.test", "bob");

    /* A new user with the old id does not inherit the contacts. */
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    contact_is(e, "c1", NULL, NULL);
    contact_is(e, "c2", "c2@example.test", NULL);
    /* The contacts can be given owners again, and removing bob now clears c3. */
    expect_status(e, contact_update(e, "c1", NULL, "alice"), CIB_OK, NULL);
    expect_status(e, cib_user_remove(e->ctx, "bob", CIB_NTS), CIB_OK, NULL);
    contact_is(e, "c1", NULL, "alice");
    contact_is(e, "c3", "c3@example.test", NULL);
    tenv_reopen(e);
    contact_is(e, "c1", NULL, "alice");
    contact_is(e, "c3", "c3@example.test", NULL);
    free(snap);
    free(again);
    tenv_free(e);
}

/* An owner who was reassigned away owns nothing: removing them later leaves
 * the contact's new owner alone. */
static void test_owner_change_then_remove_old_owner(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_contact(e, "carol", NULL, "alice");
    expect_status(e, contact_update(e, "carol", NULL, "bob"), CIB_OK, NULL);
    expect_status(e, cib_user_remove(e->ctx, "alice", CIB_NTS), CIB_OK, NULL);
    contact_is(e, "carol", NULL, "bob");
    /* A removed contact's owner can be removed. */
    expect_status(e, cib_contact_remove(e->ctx, "carol", CIB_NTS), CIB_OK, NULL);
    expect_status(e, cib_user_remove(e->ctx, "bob", CIB_NTS), CIB_OK, NULL);
    tenv_reopen(e);
    contact_missing(e, "carol");
    tenv_free(e);
}

/* ---- bad input ---- */

typedef struct strarg {
    const char *which; /* "id", "email" or "owner" */
    int update;
} strarg;

static int call_def(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    const strarg *a = arg;
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = a->update ? "carol" : "dave"; /* an existing contact, or a new one */
    d.email = "carol@example.test";
    d.owner = "alice";
    if (strcmp(a->which, "id") == 0) {
        d.id = s;
        d.id_len = n;
    } else if (strcmp(a->which, "email") == 0) {
        d.email = s;
        d.email_len = n;
    } else {
        d.owner = s;
        d.owner_len = n;
    }
    return a->update ? cib_contact_update(ctx, &d) : cib_contact_add(ctx, &d);
}

static int call_remove(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    return cib_contact_remove(ctx, s, n);
}

static int call_get(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    cib_contact_info c = CIB_CONTACT_INFO_INIT;
    int rc = cib_contact_get(ctx, s, n, &c);
    *(int *)arg += c.id != NULL;
    return rc;
}

static int call_find(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    const char *id = "sentinel";
    int rc = cib_contact_find_email(ctx, s, n, &id);
    *(int *)arg += id != NULL;
    return rc;
}

static void bad_input_setup(tenv *e)
{
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_contact(e, "carol", "old@example.test", NULL);
}

static void test_bad_strings_add(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    bad_input_setup(e);
    strarg id = {"id", 0}, email = {"email", 0}, owner = {"owner", 0};
    expect_bad_strings(e, "id", call_def, &id);
    expect_bad_optional_strings(e, "email", call_def, &email);
    expect_bad_optional_strings(e, "owner", call_def, &owner);
    contact_missing(e, "dave");
    /* Email and owner are optional: NULL is none. */
    expect_status(e, call_def(e->ctx, NULL, CIB_NTS, &email), CIB_OK, NULL);
    contact_is(e, "dave", NULL, "alice");
    tenv_free(e);
}

static void test_bad_strings_update(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    bad_input_setup(e);
    strarg id = {"id", 1}, email = {"email", 1}, owner = {"owner", 1};
    expect_bad_strings(e, "id", call_def, &id);
    expect_bad_optional_strings(e, "email", call_def, &email);
    expect_bad_optional_strings(e, "owner", call_def, &owner);
    contact_is(e, "carol", "old@example.test", NULL);
    expect_status(e, call_def(e->ctx, NULL, CIB_NTS, &owner), CIB_OK, NULL);
    contact_is(e, "carol", "carol@example.test", NULL);
    expect_status(e, call_def(e->ctx, NULL, CIB_NTS, &email), CIB_OK, NULL);
    contact_is(e, "carol", NULL, "alice");
    tenv_free(e);
}

static void test_bad_strings_remove_get_find(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    bad_input_setup(e);
    expect_bad_strings(e, "id", call_remove, NULL);
    int filled = 0;
    expect_bad_strings(e, "id", call_get, &filled);
    expect_bad_strings(e, "email", call_find, &filled);
    assert_int_equal(filled, 0); /* no output on failure */
    contact_is(e, "carol", "old@example.test", NULL);
    tenv_free(e);
}

static void test_bad_structs_and_pointers(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    bad_input_setup(e);
    char *before = tenv_snapshot(e);

    /* NULL def. */
    expect_status(e, cib_contact_add(e->ctx, NULL), CIB_EINVAL, "'def' is NULL");
    expect_status(e, cib_contact_update(e->ctx, NULL), CIB_EINVAL, "'def' is NULL");
    /* def->size 0, or too small to hold the size. */
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = "dave";
    d.size = 0;
    expect_status(e, cib_contact_add(e->ctx, &d), CIB_EINVAL, "'def->size' is 0");
    d.id = "carol";
    expect_status(e, cib_contact_update(e->ctx, &d), CIB_EINVAL, "'def->size' is 0");
    d.size = sizeof(size_t) - 1;
    expect_status(e, cib_contact_add(e->ctx, &d), CIB_EINVAL, "'def->size'");
    /* A def from a newer header that sets members this version does not know. */
    struct {
        cib_contact_def d;
        uint64_t future;
    } big;
    memset(&big, 0, sizeof big);
    cib_contact_def init = CIB_CONTACT_DEF_INIT;
    big.d = init;
    big.d.size = sizeof big;
    big.d.id = "dave";
    big.future = 1;
    expect_status(e, cib_contact_add(e->ctx, &big.d), CIB_EINVAL, "does not know");
    big.d.id = "carol";
    expect_status(e, cib_contact_update(e->ctx, &big.d), CIB_EINVAL, "does not know");
    expect_unchanged(e, before);

    /* NULL out pointers. */
    expect_status(e, cib_contact_get(e->ctx, "carol", CIB_NTS, NULL), CIB_EINVAL, "'out' is NULL");
    cib_contact_info c = CIB_CONTACT_INFO_INIT;
    c.size = 0;
    expect_status(e, cib_contact_get(e->ctx, "carol", CIB_NTS, &c), CIB_EINVAL, "'out->size' is 0");
    assert_null(c.id);
    expect_status(e, cib_contact_find_email(e->ctx, "old@example.test", CIB_NTS, NULL), CIB_EINVAL,
                  "'out_id' is NULL");

    /* NULL context: refused, no crash. */
    const char *id = "sentinel";
    cib_contact_def ok = CIB_CONTACT_DEF_INIT;
    ok.id = "dave";
    assert_int_equal(cib_contact_add(NULL, &ok), CIB_EINVAL);
    assert_int_equal(cib_contact_update(NULL, &ok), CIB_EINVAL);
    assert_int_equal(cib_contact_remove(NULL, "carol", CIB_NTS), CIB_EINVAL);
    assert_int_equal(cib_contact_get(NULL, "carol", CIB_NTS, &c), CIB_EINVAL);
    assert_int_equal(cib_contact_find_email(NULL, "old@example.test", CIB_NTS, &id), CIB_EINVAL);
    expect_unchanged(e, before);

    /* The same zeroed tail is accepted. */
    big.future = 0;
    big.d.id = "dave";
    expect_status(e, cib_contact_add(e->ctx, &big.d), CIB_OK, NULL);
    contact_is(e, "dave", NULL, NULL);
    free(before);
    tenv_free(e);
}

/* ---- failure sweeps ---- */

static void sweep_setup(tenv *e)
{
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", NULL, CIB_SEAT_FREE, CIB_ROLE_MEMBER);
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = "carol";
    d.email = "Carol@Example.test";
    d.owner = "alice";
    expect_status(e, cib_contact_add(e->ctx, &d), CIB_OK, NULL);
    d.id = "dave";
    d.email = NULL;
    d.owner = "alice";
    expect_status(e, cib_contact_add(e->ctx, &d), CIB_OK, NULL);
}

static int op_add(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = "erin";
    d.email = "Erin@Example.test";
    d.owner = "bob";
    return cib_contact_add(ctx, &d);
}

static int op_add_bare(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = "frank";
    return cib_contact_add(ctx, &d);
}

static int op_update(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = "carol";
    d.email = "carol.new@example.test";
    d.owner = "bob";
    return cib_contact_update(ctx, &d);
}

static int op_update_clear(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = "carol";
    return cib_contact_update(ctx, &d);
}

static int op_update_owner_only(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = "carol";
    d.email = "CAROL@example.test"; /* the same email */
    d.owner = "bob";
    return cib_contact_update(ctx, &d);
}

static int op_remove(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_contact_remove(ctx, "carol", CIB_NTS);
}

static int op_remove_owner(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_user_remove(ctx, "alice", CIB_NTS);
}

static void test_add_sweep(void **state)
{
    (void)state;
    sweep_op(sweep_setup, op_add, NULL);
    sweep_op(sweep_setup, op_add_bare, NULL);
}

static void test_update_sweep(void **state)
{
    (void)state;
    sweep_op(sweep_setup, op_update, NULL);
    sweep_op(sweep_setup, op_update_clear, NULL);
    sweep_op(sweep_setup, op_update_owner_only, NULL);
}

static void test_remove_sweep(void **state)
{
    (void)state;
    sweep_op(sweep_setup, op_remove, NULL);
}

/* Removing an owner rewrites their contacts in the same atomic step. */
static void test_remove_owner_sweep(void **state)
{
    (void)state;
    sweep_op(sweep_setup, op_remove_owner, NULL);
}

/* After each sweep's success the account is exactly what it should be. */
static void test_sweep_results(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    sweep_setup(e);
    expect_status(e, op_update(e->ctx, NULL), CIB_OK, NULL);
    contact_is(e, "carol", "carol.new@example.test", "bob");
    expect_find(e, "carol@example.test", NULL);
    expect_status(e, op_add(e->ctx, NULL), CIB_OK, NULL);
    contact_is(e, "erin", "erin@example.test", "bob");
    expect_status(e, op_remove_owner(e->ctx, NULL), CIB_OK, NULL);
    contact_is(e, "dave", NULL, NULL);
    contact_is(e, "carol", "carol.new@example.test", "bob");
    expect_status(e, op_remove(e->ctx, NULL), CIB_OK, NULL);
    contact_missing(e, "carol");
    tenv_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_and_get),
        cmocka_unit_test(test_get_older_info_struct),
        cmocka_unit_test(test_add_older_def_struct),
        cmocka_unit_test(test_email_case_insensitive_R_CONV_1),
        cmocka_unit_test(test_email_unique_ignoring_case_R_CONV_1),
        cmocka_unit_test(test_malformed_emails),
        cmocka_unit_test(test_duplicate_id_conflicts),
        cmocka_unit_test(test_unknown_owner_not_found),
        cmocka_unit_test(test_update_replaces_email_and_owner),
        cmocka_unit_test(test_update_unknown_not_found),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_removing_owner_clears_contacts),
        cmocka_unit_test(test_owner_change_then_remove_old_owner),
        cmocka_unit_test(test_bad_strings_add),
        cmocka_unit_test(test_bad_strings_update),
        cmocka_unit_test(test_bad_strings_remove_get_find),
        cmocka_unit_test(test_bad_structs_and_pointers),
        cmocka_unit_test(test_add_sweep),
        cmocka_unit_test(test_update_sweep),
        cmocka_unit_test(test_remove_sweep),
        cmocka_unit_test(test_remove_owner_sweep),
        cmocka_unit_test(test_sweep_results),
    };
    return TENV_RUN(tests);
}
