/* test_store.c - the storage conformance suite (R-HOST-1): every case runs
 * on every store adapter of support/storeconf.c (the in-memory store, and
 * the SQLite adapter when it is built), as "<adapter>: <case>", through the
 * vtable of <convinbox/store.h> only: transactions, put/del/get/scan/find/
 * find_page, reads that see the transaction's own writes, rollback, field
 * types and their edge values, unknown fields, and the refusals. What only
 * the in-memory store promises is in test_memstore.c. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/storeconf.h"

#define BEGIN(s)    assert_int_equal((s)->begin((s)->user_data), CIB_OK)
#define COMMIT(s)   assert_int_equal((s)->commit((s)->user_data), CIB_OK)
#define ROLLBACK(s) (s)->rollback((s)->user_data)
#define PUT(s, r)   assert_int_equal((s)->put((s)->user_data, (r)), CIB_OK)

static conf_store *open_case(void **state)
{
    return conf_open(*state);
}

static int count_cb(void *data, const cib_row *row)
{
    (void)row;
    ++*(int *)data;
    return 0;
}

/* Reads inside a transaction see its writes; commit keeps them; put
 * replaces; del removes; a deleted row can be written again. */
static void case_put_read_commit(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    char *empty = conf_dump(s);
    assert_string_equal(empty, "");
    free(empty);

    BEGIN(s);
    assert_int_equal(put_user(s, "alice", "Alice"), CIB_OK);
    const char *members[] = {"alice", "bob"};
    cib_field tf[] = {flist("members", members, NULL, 2)};
    cib_row team = mkrow(CIB_KIND_TEAM, "support", tf, 1);
    PUT(s, &team);
    cib_field af[] = {fint("format", 1), fint("created_at", -5)};
    cib_row acc = mkrow(CIB_KIND_ACCOUNT, "account", af, 2);
    PUT(s, &acc);
    conf_expect_user(s, "alice", "Alice");
    conf_expect(s, CIB_KIND_TEAM, "support", "team \"support\" members=[\"alice\",\"bob\"]");
    conf_expect(s, CIB_KIND_ACCOUNT, "account", "account \"account\" created_at=-5 format=1");
    assert_int_equal(count_kind(s, CIB_KIND_USER), 1);
    assert_int_equal(count_kind(s, CIB_KIND_CONTACT), 0);
    char *inside = conf_dump(s);
    assert_string_equal(inside, "account \"account\" created_at=-5 format=1\n"
                                "team \"support\" members=[\"alice\",\"bob\"]\n"
                                "user \"alice\" created_at=7 name=\"Alice\"\n");
    COMMIT(s);
    char *after = conf_dump(s);
    assert_string_equal(inside, after);
    free(inside);
    free(after);

    /* A later rollback undoes nothing committed; nor does one outside a
     * transaction. */
    BEGIN(s);
    ROLLBACK(s);
    ROLLBACK(s);
    conf_expect_user(s, "alice", "Alice");

    BEGIN(s);
    assert_int_equal(put_user(s, "alice", "Alice Adams"), CIB_OK);
    COMMIT(s);
    conf_expect_user(s, "alice", "Alice Adams");
    assert_int_equal(count_kind(s, CIB_KIND_USER), 1);

    BEGIN(s);
    assert_int_equal(del_user(s, "alice"), CIB_OK);
    conf_expect_user(s, "alice", NULL);
    assert_int_equal(count_kind(s, CIB_KIND_USER), 0);
    COMMIT(s);
    conf_expect_user(s, "alice", NULL);
    BEGIN(s);
    assert_int_equal(put_user(s, "alice", "Alice again"), CIB_OK);
    COMMIT(s);
    conf_expect_user(s, "alice", "Alice again");
    conf_close(c);
}

/* The committed state before each rollback case. */
static const char *const base_users[] = {"a", "a1", "b", "b1", "c", "c1", "g", "g1", "h", "h1"};

/* One transaction doing every kind of write, checking what it sees. */
static void mixed_writes(const cib_store *s)
{
    assert_int_equal(put_user(s, "a", "a2"), CIB_OK); /* an existing row put twice */
    assert_int_equal(put_user(s, "a", "a3"), CIB_OK);
    assert_int_equal(del_user(s, "b"), CIB_OK);       /* an existing row deleted */
    assert_int_equal(put_user(s, "c", "c2"), CIB_OK); /* put, then deleted */
    assert_int_equal(del_user(s, "c"), CIB_OK);
    assert_int_equal(put_user(s, "d", "d1"), CIB_OK); /* a new row */
    assert_int_equal(put_user(s, "e", "e1"), CIB_OK); /* a new row put twice */
    assert_int_equal(put_user(s, "e", "e2"), CIB_OK);
    assert_int_equal(put_user(s, "f", "f1"), CIB_OK); /* a new row put, then deleted */
    assert_int_equal(del_user(s, "f"), CIB_OK);
    assert_int_equal(del_user(s, "g"), CIB_OK); /* deleted, then put */
    assert_int_equal(put_user(s, "g", "g2"), CIB_OK);
    assert_int_equal(del_user(s, "zz"), CIB_OK); /* a missing row deleted */
    assert_int_equal(del_user(s, "c"), CIB_OK);  /* deleted twice */
    assert_int_equal(del_user(s, "f"), CIB_OK);
    cib_field f[] = {fnull("email"), fnull("owner"), fint("created_at", 1)};
    cib_row r = mkrow(CIB_KIND_CONTACT, "a", f, 3); /* another kind, the same key */
    PUT(s, &r);

    conf_expect_user(s, "a", "a3");
    conf_expect_user(s, "b", NULL);
    conf_expect_user(s, "c", NULL);
    conf_expect_user(s, "d", "d1");
    conf_expect_user(s, "e", "e2");
    conf_expect_user(s, "f", NULL);
    conf_expect_user(s, "g", "g2");
    conf_expect_user(s, "h", "h1");
    conf_expect_user(s, "zz", NULL);
    conf_expect(s, CIB_KIND_CONTACT, "a", "contact \"a\" created_at=1");
    assert_int_equal(count_kind(s, CIB_KIND_USER), 5);
    assert_int_equal(count_kind(s, CIB_KIND_CONTACT), 1);
}

/* Rollback undoes every put and del since begin, and is final. */
static void case_rollback_undoes_everything(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    commit_users(s, base_users, sizeof base_users / sizeof base_users[0]);
    char *before = conf_dump(s);
    BEGIN(s);
    mixed_writes(s);
    ROLLBACK(s);
    char *after = conf_dump(s);
    assert_string_equal(before, after);
    free(after);
    conf_expect_user(s, "a", "a1");
    conf_expect_user(s, "d", NULL);
    conf_expect(s, CIB_KIND_CONTACT, "a", NULL);

    BEGIN(s);
    assert_int_equal(put_user(s, "d", "d9"), CIB_OK);
    COMMIT(s);
    conf_expect_user(s, "d", "d9");
    conf_expect_user(s, "e", NULL);

    /* Many writes, more than any initial journal, rolled back. */
    free(before);
    before = conf_dump(s);
    BEGIN(s);
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "k%d", i % 70);
        if (i % 3 == 2)
            assert_int_equal(del_user(s, key), CIB_OK);
        else
            assert_int_equal(put_user(s, key, i % 2 ? "odd" : "even"), CIB_OK);
        assert_int_equal(put_user(s, "a", key), CIB_OK);
    }
    assert_int_equal(del_user(s, "b"), CIB_OK);
    ROLLBACK(s);
    after = conf_dump(s);
    assert_string_equal(before, after);
    free(before);
    free(after);
    conf_close(c);
}

/* The same writes committed leave exactly the rows the transaction saw,
 * equal to a fresh store of the adapter holding them. */
static void case_commit_keeps_everything(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    commit_users(s, base_users, sizeof base_users / sizeof base_users[0]);
    BEGIN(s);
    mixed_writes(s);
    char *inside = conf_dump(s);
    COMMIT(s);
    char *after = conf_dump(s);
    assert_string_equal(inside, after);

    conf_store *w = conf_open(c->a);
    const char *want[] = {"a", "a3", "d", "d1", "e", "e2", "g", "g2", "h", "h1"};
    commit_users(&w->s, want, sizeof want / sizeof want[0]);
    BEGIN(&w->s);
    cib_field f[] = {fnull("email"), fnull("owner"), fint("created_at", 1)};
    cib_row r = mkrow(CIB_KIND_CONTACT, "a", f, 3);
    PUT(&w->s, &r);
    COMMIT(&w->s);
    char *expected = conf_dump(&w->s);
    assert_string_equal(after, expected);
    ROLLBACK(s);
    char *again = conf_dump(s);
    assert_string_equal(after, again);
    free(inside);
    free(after);
    free(expected);
    free(again);
    conf_close(w);
    conf_close(c);
}

/* Deleting a missing row is not an error and changes nothing. */
static void case_del_missing_is_ok(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    char *before = conf_dump(s);
    BEGIN(s);
    assert_int_equal(del_user(s, "nobody"), CIB_OK);
    assert_int_equal(s->del(s->user_data, CIB_KIND_TEAM, "alice", 5), CIB_OK);
    assert_int_equal(s->del(s->user_data, CIB_KIND_USER, "alice", 4), CIB_OK); /* a prefix */
    assert_int_equal(s->del(s->user_data, CIB_KIND_CONVERSATION, "42", 2), CIB_OK);
    COMMIT(s);
    char *after = conf_dump(s);
    assert_string_equal(before, after);
    free(before);
    free(after);
    conf_close(c);
}

/* get of a missing row is CIB_ENOTFOUND, with no call; keys are compared
 * with their lengths; a row deleted in the open transaction is not found. */
static void case_get_missing_is_not_found(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    int calls = 0;
    for (int k = 1; k < CIB_KIND_END; k++)
        assert_int_equal(s->get(s->user_data, k, "1", 1, count_cb, &calls), CIB_ENOTFOUND);
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    const struct {
        int kind;
        const char *key;
        size_t len;
    } miss[] = {{CIB_KIND_USER, "bob", 3},
                {CIB_KIND_TEAM, "alice", 5},
                {CIB_KIND_USER, "alice", 4},
                {CIB_KIND_USER, "alicex", 6},
                {CIB_KIND_USER, "Alice", 5}};
    for (size_t i = 0; i < sizeof miss / sizeof miss[0]; i++)
        assert_int_equal(
            s->get(s->user_data, miss[i].kind, miss[i].key, miss[i].len, count_cb, &calls),
            CIB_ENOTFOUND);
    assert_int_equal(calls, 0);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "alicex", 5, count_cb, &calls), CIB_OK);
    assert_int_equal(calls, 1);
    BEGIN(s);
    assert_int_equal(del_user(s, "alice"), CIB_OK);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "alice", 5, count_cb, &calls),
                     CIB_ENOTFOUND);
    ROLLBACK(s);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "alice", 5, count_cb, &calls), CIB_OK);
    assert_int_equal(calls, 2);
    conf_close(c);
}

/* Keys are counted bytes: not NUL-terminated, may be long. */
static void case_keys_are_counted_bytes(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    cib_field f[] = {ftext("name", "x")};
    const char buf[] = "abcdef";
    BEGIN(s);
    for (size_t n = 1; n <= 6; n++) {
        cib_row r = mkrow(CIB_KIND_USER, buf, f, 1);
        r.key_len = n;
        PUT(s, &r);
    }
    static char big[5000];
    memset(big, 'k', sizeof big);
    cib_row rb = mkrow(CIB_KIND_USER, NULL, f, 1);
    rb.key = big;
    rb.key_len = sizeof big;
    PUT(s, &rb);
    COMMIT(s);
    assert_int_equal(count_kind(s, CIB_KIND_USER), 7);
    char *line = conf_get(s, CIB_KIND_USER, "abc", 3);
    assert_string_equal(line, "user \"abc\" name=\"x\"");
    free(line);
    line = conf_get(s, CIB_KIND_USER, big, sizeof big);
    assert_non_null(line);
    assert_int_equal(strlen(line), strlen("user \"\" name=\"x\"") + sizeof big);
    free(line);
    BEGIN(s);
    assert_int_equal(s->del(s->user_data, CIB_KIND_USER, buf, 2), CIB_OK);
    COMMIT(s);
    assert_int_equal(count_kind(s, CIB_KIND_USER), 6);
    conf_expect(s, CIB_KIND_USER, "a", "user \"a\" name=\"x\"");
    conf_expect(s, CIB_KIND_USER, "ab", NULL);
    conf_close(c);
}

/* scan hands over each row of its kind once; a non-zero return stops it
 * and comes back. */
static void case_scan_kind_and_stop(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    BEGIN(s);
    char key[16];
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "u%d", i);
        assert_int_equal(put_user(s, key, key), CIB_OK);
    }
    const char *stages[] = {"new"};
    cib_field f[] = {flist("stages", stages, NULL, 1)};
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "p%d", i);
        cib_row r = mkrow(CIB_KIND_PIPELINE, key, f, 1);
        PUT(s, &r);
    }
    COMMIT(s);
    for (int k = 1; k < CIB_KIND_END; k++)
        assert_int_equal(count_kind(s, k), k == CIB_KIND_USER       ? 10
                                           : k == CIB_KIND_PIPELINE ? 3
                                                                    : 0);
    row_lines l;
    row_lines_init(&l, CIB_KIND_USER);
    assert_int_equal(s->scan(s->user_data, CIB_KIND_USER, conf_lines_cb, &l), CIB_OK);
    row_lines_sort(&l);
    for (size_t i = 1; i < l.n; i++)
        assert_string_not_equal(l.v[i - 1], l.v[i]);
    row_lines_free(&l);
    const long stops[] = {0, 3, 9};
    const int values[] = {42, -7, 1};
    for (size_t i = 0; i < 3; i++) {
        row_lines_init(&l, CIB_KIND_USER);
        l.stop_at = stops[i];
        l.stop_with = values[i];
        assert_int_equal(s->scan(s->user_data, CIB_KIND_USER, conf_lines_cb, &l), values[i]);
        assert_int_equal(l.n, stops[i] + 1);
        row_lines_free(&l);
    }
    conf_close(c);
}

/* A row put is copied: the caller's buffers may change at once. */
static void case_rows_are_copies(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    char key[] = "c1", text[] = "x@example.test", item0[] = "visitor\nK", item1[] = "b";
    const char *items[] = {item0, item1};
    size_t lens[] = {9, 1};
    cib_field f[] = {ftext("email", text), fint("created_at", 99),
                     flist("addresses", items, lens, 2)};
    cib_row r = mkrow(CIB_KIND_CONTACT, key, f, 3);
    const char *want =
        "contact \"c1\" addresses=[\"visitor\nK\",\"b\"] created_at=99 email=\"x@example.test\"";
    BEGIN(s);
    PUT(s, &r);
    memset(key, 'X', sizeof key - 1);
    memset(text, 'Z', sizeof text - 1);
    memset(item0, 'Q', sizeof item0 - 1);
    items[0] = item1;
    lens[0] = 0;
    f[1].i = -1;
    r.n_fields = 0;
    conf_expect(s, CIB_KIND_CONTACT, "c1", want);
    COMMIT(s);
    conf_expect(s, CIB_KIND_CONTACT, "c1", want);
    conf_expect(s, CIB_KIND_CONTACT, "XX", NULL);
    conf_close(c);
}

/* NULL, INT, TEXT and LIST fields with their edge values come back as put. */
static void case_field_values_and_edges(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    BEGIN(s);
    cib_field af[] = {fint("format", 0), fint("created_at", INT64_MIN), fint("next_id", INT64_MAX),
                      fint("secret", -1)};
    cib_row acc = mkrow(CIB_KIND_ACCOUNT, "account", af, 4);
    PUT(s, &acc);
    /* An empty text is not NULL; NULL fields read back as NULL or absent. */
    cib_field uf[] = {ftext("name", ""), fnull("email"), fint("created_at", 0)};
    cib_row user = mkrow(CIB_KIND_USER, "u", uf, 3);
    PUT(s, &user);
    /* Lists: empty, one empty item, many items, characters an encoding must
     * escape; texts with the same. */
    enum { MANY = 150 };
    static char many_buf[MANY][8];
    const char *many[MANY];
    for (int i = 0; i < MANY; i++) {
        snprintf(many_buf[i], sizeof many_buf[i], "m%d", i);
        many[i] = many_buf[i];
    }
    const char *odd[] = {
        "",      "\"quoted\"", "back\\slash", "line\nbreak\ttab", "caf\xc3\xa9 \xe2\x82\xac",
        "[1,2]", "{\"a\":1}",  "a,b"};
    const char *one_empty[] = {""};
    cib_field tf[] = {flist("members", NULL, NULL, 0)};
    cib_row t0 = mkrow(CIB_KIND_TEAM, "none", tf, 1);
    PUT(s, &t0);
    tf[0] = flist("members", one_empty, NULL, 1);
    cib_row t1 = mkrow(CIB_KIND_TEAM, "one-empty", tf, 1);
    PUT(s, &t1);
    tf[0] = flist("members", many, NULL, MANY);
    cib_row t2 = mkrow(CIB_KIND_TEAM, "many", tf, 1);
    PUT(s, &t2);
    tf[0] = flist("members", odd, NULL, sizeof odd / sizeof odd[0]);
    cib_row t3 = mkrow(CIB_KIND_TEAM, "odd", tf, 1);
    PUT(s, &t3);
    /* A long text, and a text of every character an encoding must escape;
     * a library id in a column that names one. */
    size_t long_n = 200000;
    char *long_text = malloc(long_n + 1);
    assert_non_null(long_text);
    for (size_t i = 0; i < long_n; i++)
        long_text[i] = (char)('a' + i % 26);
    long_text[long_n] = '\0';
    cib_field mf[] = {ftext("conversation", "17"), ftext("inbox", "default"),
                      ftext("text", long_text), fint("created_at", 1)};
    cib_row msg = mkrow(CIB_KIND_MESSAGE, "18", mf, 4);
    PUT(s, &msg);
    mf[2] = ftext("text", "\"q\" \\ \n\t\r caf\xc3\xa9 ' %s");
    cib_row msg2 = mkrow(CIB_KIND_MESSAGE, "19", mf, 4);
    PUT(s, &msg2);

    for (int pass = 0; pass < 2; pass++) { /* in the transaction, then committed */
        conf_expect(s, CIB_KIND_ACCOUNT, "account",
                    "account \"account\" created_at=-9223372036854775808 format=0 "
                    "next_id=9223372036854775807 secret=-1");
        conf_expect(s, CIB_KIND_USER, "u", "user \"u\" created_at=0 name=\"\"");
        conf_expect(s, CIB_KIND_TEAM, "none", "team \"none\" members=[]");
        conf_expect(s, CIB_KIND_TEAM, "one-empty", "team \"one-empty\" members=[\"\"]");
        conf_expect(
            s, CIB_KIND_TEAM, "odd",
            "team \"odd\" members=[\"\",\"\"quoted\"\",\"back\\slash\",\"line\nbreak\ttab\","
            "\"caf\xc3\xa9 \xe2\x82\xac\",\"[1,2]\",\"{\"a\":1}\",\"a,b\"]");
        char *line = conf_get(s, CIB_KIND_TEAM, "many", 4);
        assert_non_null(line);
        assert_non_null(strstr(line, "[\"m0\",\"m1\","));
        assert_non_null(strstr(line, ",\"m149\"]"));
        free(line);
        line = conf_get(s, CIB_KIND_MESSAGE, "18", 2);
        assert_non_null(line);
        assert_non_null(strstr(line, "conversation=\"17\""));
        assert_non_null(strstr(line, long_text));
        free(line);
        conf_expect(s, CIB_KIND_MESSAGE, "19",
                    "message \"19\" conversation=\"17\" created_at=1 inbox=\"default\" "
                    "text=\"\"q\" \\ \n\t\r caf\xc3\xa9 ' %s\"");
        if (pass == 0)
            COMMIT(s);
    }
    /* The NULL field: NULL, or not there at all. */
    got_line g = {0, NULL};
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "u", 1, got_line_cb, &g), CIB_OK);
    assert_true(strstr(g.line, "email=null") || !strstr(g.line, "email="));
    free(g.line);
    free(long_text);
    conf_close(c);
}

/* A field the adapter does not know is kept and handed back, or the row is
 * refused and nothing changes (store.h allows both; each adapter says which). */
static void case_unknown_fields(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    cib_field f[] = {ftext("name", "B"), fint("created_at", 7), ftext("future_column", "v2"),
                     fint("future_int", -3)};
    BEGIN(s);
    cib_row r = mkrow(CIB_KIND_USER, "alice", f, 4);
    cib_row n = mkrow(CIB_KIND_USER, "bob", f, 4);
    int rc1 = s->put(s->user_data, &r), rc2 = s->put(s->user_data, &n);
    if (c->a->flags & CONF_KEEPS_UNKNOWN_FIELDS) {
        assert_int_equal(rc1, CIB_OK);
        assert_int_equal(rc2, CIB_OK);
    } else {
        assert_int_not_equal(rc1, CIB_OK);
        assert_int_not_equal(rc2, CIB_OK);
    }
    /* The transaction goes on either way. */
    assert_int_equal(put_user(s, "carol", "C"), CIB_OK);
    COMMIT(s);
    conf_expect_user(s, "carol", "C");
    if (c->a->flags & CONF_KEEPS_UNKNOWN_FIELDS) {
        conf_expect(s, CIB_KIND_USER, "alice",
                    "user \"alice\" created_at=7 future_column=\"v2\" future_int=-3 name=\"B\"");
        conf_expect(s, CIB_KIND_USER, "bob",
                    "user \"bob\" created_at=7 future_column=\"v2\" future_int=-3 name=\"B\"");
    } else {
        conf_expect_user(s, "alice", "A");
        conf_expect_user(s, "bob", NULL);
    }
    conf_close(c);
}

/* put and del need a transaction; begin does not nest; commit needs one. */
static void case_writes_need_a_transaction(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    char *before = conf_dump(s);
    assert_int_not_equal(put_user(s, "bob", "B"), CIB_OK);
    assert_int_not_equal(del_user(s, "alice"), CIB_OK);
    assert_int_not_equal(s->commit(s->user_data), CIB_OK);
    /* Not committed on their own: also not after a restart. */
    conf_reopen(c);
    char *after = conf_dump(s);
    assert_string_equal(before, after);
    free(after);

    BEGIN(s);
    assert_int_equal(put_user(s, "bob", "B"), CIB_OK);
    assert_int_not_equal(s->begin(s->user_data), CIB_OK); /* refused; the first goes on */
    assert_int_equal(put_user(s, "carol", "C"), CIB_OK);
    conf_expect_user(s, "bob", "B");
    ROLLBACK(s);
    after = conf_dump(s);
    assert_string_equal(before, after);
    free(after);

    BEGIN(s);
    assert_int_equal(put_user(s, "bob", "B"), CIB_OK);
    assert_int_not_equal(s->begin(s->user_data), CIB_OK);
    COMMIT(s);
    conf_expect_user(s, "bob", "B");
    assert_int_not_equal(put_user(s, "carol", "C"), CIB_OK); /* after a commit */
    assert_int_not_equal(del_user(s, "bob"), CIB_OK);
    BEGIN(s);
    ROLLBACK(s);
    assert_int_not_equal(put_user(s, "carol", "C"), CIB_OK); /* after a rollback */
    conf_reopen(c);
    conf_expect_user(s, "carol", NULL);
    conf_expect_user(s, "bob", "B");
    free(before);
    conf_close(c);
}

/* A restart keeps what was committed and loses the open transaction. */
static void case_reopen_keeps_committed_rows(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    const char *kv[] = {"alice", "A", "bob", "B"};
    commit_users(s, kv, 4);
    BEGIN(s);
    assert_int_equal(put_user(s, "carol", "C"), CIB_OK);
    assert_int_equal(del_user(s, "alice"), CIB_OK);
    conf_reopen(c);
    conf_expect_user(s, "alice", "A");
    conf_expect_user(s, "bob", "B");
    conf_expect_user(s, "carol", NULL);
    BEGIN(s); /* and writes go on */
    assert_int_equal(put_user(s, "dave", "D"), CIB_OK);
    COMMIT(s);
    conf_reopen(c);
    conf_expect_user(s, "dave", "D");
    assert_int_equal(count_kind(s, CIB_KIND_USER), 3);
    conf_close(c);
}

/* Two stores of an adapter share nothing. */
static void case_stores_are_independent(void **state)
{
    conf_store *a = open_case(state), *b = conf_open(*state);
    const char *kv[] = {"alice", "A"};
    commit_users(&a->s, kv, 2);
    conf_expect_user(&b->s, "alice", NULL);
    BEGIN(&a->s);
    BEGIN(&b->s);
    assert_int_equal(put_user(&b->s, "bob", "B"), CIB_OK);
    ROLLBACK(&b->s);
    assert_int_equal(put_user(&a->s, "carol", "C"), CIB_OK);
    COMMIT(&a->s);
    conf_expect_user(&a->s, "carol", "C");
    conf_expect_user(&b->s, "bob", NULL);
    conf_close(b);
    conf_close(a);
}

/* Thousands of keys put and deleted at random, committed or rolled back,
 * against a model: get finds exactly the rows that exist, scan each once. */
static void case_many_keys_against_a_model(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    enum { N = 2000 };
    static char present[N], saved[N];
    memset(present, 0, sizeof present);
    uint64_t x = 12345;
    for (int round = 0; round < 6; round++) {
        memcpy(saved, present, sizeof saved);
        BEGIN(s);
        for (int i = 0; i < 2 * N; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            int k = (int)((x >> 33) % N);
            char key[16];
            snprintf(key, sizeof key, "k%d", k);
            if (((x >> 20) & 3) != 0) {
                assert_int_equal(put_user(s, key, "V"), CIB_OK);
                present[k] = 1;
            } else {
                assert_int_equal(del_user(s, key), CIB_OK);
                present[k] = 0;
            }
        }
        if (round % 3 == 2) {
            ROLLBACK(s);
            memcpy(present, saved, sizeof present);
        } else {
            COMMIT(s);
        }
        int want = 0, calls = 0;
        for (int k = 0; k < N; k++) {
            char key[16];
            snprintf(key, sizeof key, "k%d", k);
            int rc = s->get(s->user_data, CIB_KIND_USER, key, strlen(key), count_cb, &calls);
            if ((rc == CIB_OK) != present[k])
                fail_msg("round %d: key %s is %s", round, key, rc == CIB_OK ? "there" : "missing");
            want += present[k];
        }
        int seen = 0;
        assert_int_equal(s->scan(s->user_data, CIB_KIND_USER, count_cb, &seen), CIB_OK);
        assert_int_equal(seen, want);
    }
    conf_close(c);
}

/* In test_store_find.c. */
void case_find(void **state);
void case_find_page(void **state);
void case_find_page_other_conditions(void **state);

/* ---- version 3: apply() ---- */

static cib_change change(int op, cib_row row)
{
    cib_change c = {op, row};
    return c;
}

/* A whole transaction in one call: puts, a patch that sets only its fields
 * and leaves the others, a delete, later changes of a row winning; durable
 * across a reopen; no transaction left open. */
static void case_apply_transaction(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    const char *kv[] = {"alice", "A", "bob", "B"};
    commit_users(s, kv, 4);
    cib_field uf[] = {ftext("name", "Carol"), fint("created_at", 7)};
    cib_field pf[] = {ftext("name", "Alice Ames")};
    cib_field cf[] = {ftext("name", "Carol C")};
    cib_field tf[] = {fint("format", 1), fint("created_at", 3)};
    cib_change v[] = {
        change(CIB_CHANGE_PUT, mkrow(CIB_KIND_USER, "carol", uf, 2)),
        change(CIB_CHANGE_PATCH, mkrow(CIB_KIND_USER, "alice", pf, 1)),
        change(CIB_CHANGE_DEL, mkrow(CIB_KIND_USER, "bob", NULL, 0)),
        change(CIB_CHANGE_PATCH, mkrow(CIB_KIND_USER, "carol", cf, 1)), /* after its put */
        change(CIB_CHANGE_PUT, mkrow(CIB_KIND_ACCOUNT, "account", tf, 2)),
    };
    assert_int_equal(s->apply(s->user_data, v, 5), CIB_OK);
    conf_expect_user(s, "alice", "Alice Ames"); /* created_at kept: 7 */
    conf_expect_user(s, "bob", NULL);
    conf_expect_user(s, "carol", "Carol C");
    conf_expect(s, CIB_KIND_ACCOUNT, "account", "account \"account\" created_at=3 format=1");
    /* Nothing is left open: a transaction of the old methods works. */
    BEGIN(s);
    assert_int_equal(put_user(s, "dave", "D"), CIB_OK);
    COMMIT(s);
    char *before = conf_dump(s);
    conf_reopen(c);
    s = &c->s;
    char *after = conf_dump(s);
    if (c->a->flags & CONF_DURABLE)
        assert_string_equal(before, after);
    free(before);
    free(after);
    conf_close(c);
}

/* All or nothing: a patch of a missing row, or a change the store refuses,
 * fails the call, and none of its changes stays, those before it included.
 * Refused too: no changes, an unknown op. */
static void case_apply_all_or_nothing(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    char *before = conf_dump(s);
    cib_field uf[] = {ftext("name", "Zed"), fint("created_at", 7)};
    cib_field pf[] = {ftext("name", "Nobody")};
    cib_field af[] = {ftext("name", "Alice 2")};
    cib_change v[] = {
        change(CIB_CHANGE_PUT, mkrow(CIB_KIND_USER, "zed", uf, 2)),
        change(CIB_CHANGE_PATCH, mkrow(CIB_KIND_USER, "alice", af, 1)),
        change(CIB_CHANGE_DEL, mkrow(CIB_KIND_USER, "alice", NULL, 0)),
        change(CIB_CHANGE_PUT, mkrow(CIB_KIND_USER, "alice", uf, 2)),
        change(CIB_CHANGE_PATCH, mkrow(CIB_KIND_USER, "nobody", pf, 1)), /* missing */
    };
    assert_int_not_equal(s->apply(s->user_data, v, 5), CIB_OK);
    char *after = conf_dump(s);
    assert_string_equal(before, after);
    free(after);
    cib_change bad = change(99, mkrow(CIB_KIND_USER, "zed", uf, 2));
    cib_change ok_then_bad[] = {v[0], bad};
    assert_int_not_equal(s->apply(s->user_data, ok_then_bad, 2), CIB_OK);
    assert_int_not_equal(s->apply(s->user_data, v, 0), CIB_OK);
    after = conf_dump(s);
    assert_string_equal(before, after);
    free(after);
    /* Still usable: the first change alone goes through. */
    assert_int_equal(s->apply(s->user_data, v, 1), CIB_OK);
    conf_expect_user(s, "zed", "Zed");
    free(before);
    conf_close(c);
}

/* Patches the store must refuse (a field it has no column for, a field of
 * the wrong type, the same field twice, an unknown kind), each failing the
 * call with nothing of it kept; a patch of a list; the same columns patched
 * in either order. */
static void case_apply_patch_edges(void **state)
{
    conf_store *c = open_case(state);
    cib_store *s = &c->s;
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    const char *members[] = {"alice", "bob"};
    cib_field tf[] = {flist("members", members, NULL, 2)};
    cib_change put_team = change(CIB_CHANGE_PUT, mkrow(CIB_KIND_TEAM, "t1", tf, 1));
    assert_int_equal(s->apply(s->user_data, &put_team, 1), CIB_OK);
    char *before = conf_dump(s);
    cib_field unknown[] = {ftext("nope", "x")};
    cib_field wrong[] = {fint("name", 3)};
    cib_field twice[] = {ftext("name", "B"), ftext("name", "C")};
    cib_row bad[] = {mkrow(CIB_KIND_USER, "alice", unknown, 1),
                     mkrow(CIB_KIND_USER, "alice", wrong, 1),
                     mkrow(CIB_KIND_USER, "alice", twice, 2), mkrow(99, "alice", twice, 1)};
    cib_field okf[] = {ftext("name", "Alice 2")};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cib_change v[] = {change(CIB_CHANGE_PATCH, mkrow(CIB_KIND_USER, "alice", okf, 1)),
                          change(CIB_CHANGE_PATCH, bad[i])};
        assert_int_not_equal(s->apply(s->user_data, v, 2), CIB_OK);
        char *after = conf_dump(s);
        assert_string_equal(before, after);
        free(after);
    }
    free(before);
    const char *three[] = {"carol", "dave", "erin"};
    cib_field lf[] = {flist("members", three, NULL, 3)};
    cib_change pl = change(CIB_CHANGE_PATCH, mkrow(CIB_KIND_TEAM, "t1", lf, 1));
    assert_int_equal(s->apply(s->user_data, &pl, 1), CIB_OK);
    char *team = conf_get(s, CIB_KIND_TEAM, "t1", 2);
    assert_non_null(team);
    assert_non_null(strstr(team, "erin"));
    assert_null(strstr(team, "bob"));
    free(team);
    cib_field ab[] = {ftext("name", "N1"), fint("created_at", 11)};
    cib_field ba[] = {fint("created_at", 12), ftext("name", "N2")};
    cib_change p1 = change(CIB_CHANGE_PATCH, mkrow(CIB_KIND_USER, "alice", ab, 2));
    cib_change p2 = change(CIB_CHANGE_PATCH, mkrow(CIB_KIND_USER, "alice", ba, 2));
    assert_int_equal(s->apply(s->user_data, &p1, 1), CIB_OK);
    assert_int_equal(s->apply(s->user_data, &p2, 1), CIB_OK);
    assert_int_equal(s->apply(s->user_data, &p1, 1), CIB_OK);
    conf_expect(s, CIB_KIND_USER, "alice", "user \"alice\" created_at=11 name=\"N1\"");
    conf_close(c);
}

int main(void)
{
    const struct CMUnitTest cases[] = {
        cmocka_unit_test(case_put_read_commit),
        cmocka_unit_test(case_rollback_undoes_everything),
        cmocka_unit_test(case_commit_keeps_everything),
        cmocka_unit_test(case_del_missing_is_ok),
        cmocka_unit_test(case_get_missing_is_not_found),
        cmocka_unit_test(case_keys_are_counted_bytes),
        cmocka_unit_test(case_scan_kind_and_stop),
        cmocka_unit_test(case_rows_are_copies),
        cmocka_unit_test(case_field_values_and_edges),
        cmocka_unit_test(case_unknown_fields),
        cmocka_unit_test(case_writes_need_a_transaction),
        cmocka_unit_test(case_reopen_keeps_committed_rows),
        cmocka_unit_test(case_stores_are_independent),
        cmocka_unit_test(case_many_keys_against_a_model),
        cmocka_unit_test(case_find),
        cmocka_unit_test(case_find_page),
        cmocka_unit_test(case_find_page_other_conditions),
        cmocka_unit_test(case_apply_transaction),
        cmocka_unit_test(case_apply_all_or_nothing),
        cmocka_unit_test(case_apply_patch_edges),
    };
    /* find and find_page are optional: their cases run where a store has
     * them (without, the library scans, or finds and sorts). */
    unsigned needs[sizeof cases / sizeof cases[0]] = {0};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        needs[i] = cases[i].test_func == case_find ? CONF_NEEDS_FIND
                   : cases[i].test_func == case_find_page ||
                           cases[i].test_func == case_find_page_other_conditions
                       ? CONF_NEEDS_FIND_PAGE
                   : cases[i].test_func == case_apply_transaction ||
                           cases[i].test_func == case_apply_all_or_nothing ||
                           cases[i].test_func == case_apply_patch_edges
                       ? CONF_NEEDS_APPLY
                       : 0;
    return storeconf_run(cases, needs, sizeof cases / sizeof cases[0]);
}
