/* test_store.c - the built-in in-memory store (cib_memstore_new) against the
 * storage vtable contract of <convinbox/store.h> (R-HOST-1): transactions,
 * reads, deep copies, refusals, and cleanup. Allocation failure is in
 * test_store_faults.c; the helpers are in support/storetest.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/storetest.h"

/* ---- tests ---- */

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(cib_kind_name(CIB_KIND_ACCOUNT), "account");
    assert_string_equal(cib_kind_name(CIB_KIND_USER), "user");
    assert_string_equal(cib_kind_name(CIB_KIND_TEAM), "team");
    assert_string_equal(cib_kind_name(CIB_KIND_CONTACT), "contact");
    assert_string_equal(cib_kind_name(CIB_KIND_PIPELINE), "pipeline");
    assert_string_equal(cib_kind_name(CIB_KIND_INBOX), "inbox");
    assert_string_equal(cib_kind_name(CIB_KIND_CHANNEL), "channel");
    /* Every kind below CIB_KIND_END has a name. */
    for (int k = 1; k < CIB_KIND_END; k++)
        assert_non_null(cib_kind_name(k));
    assert_null(cib_kind_name(0));
    assert_null(cib_kind_name(-1));
    assert_null(cib_kind_name(CIB_KIND_END));
    assert_null(cib_kind_name(CIB_KIND_END + 1));
    assert_null(cib_kind_name(1000));
    assert_null(cib_kind_name(-2147483647 - 1));
}

static void test_memstore_new(void **state)
{
    (void)state;
    /* NULL out. */
    assert_int_equal(cib_memstore_new(NULL, NULL), CIB_EINVAL);
    failalloc fa = {0, -1, 0, 0};
    cib_allocator a = failalloc_allocator(&fa);
    assert_int_equal(cib_memstore_new(&a, NULL), CIB_EINVAL);
    assert_int_equal(fa.live, 0);

    /* NULL allocator: the C library's; the store works. */
    cib_store s;
    memset(&s, 0, sizeof s);
    assert_int_equal(cib_memstore_new(NULL, &s), CIB_OK);
    assert_int_equal(s.version, CIB_STORE_VERSION);
    assert_int_equal(s.begin(s.user_data), CIB_OK);
    assert_int_equal(put_user(&s, "alice", "Alice"), CIB_OK);
    assert_int_equal(s.commit(s.user_data), CIB_OK);
    expect_user(&s, "alice", "Alice");
    s.close(s.user_data);

    /* A bad allocator is refused and nothing is allocated through it. */
    cib_store untouched;
    memset(&untouched, 0xab, sizeof untouched);
    cib_store snapshot = untouched;
    cib_allocator bad = a;
    bad.version = CIB_ALLOCATOR_VERSION + 1;
    assert_int_equal(cib_memstore_new(&bad, &untouched), CIB_EINVAL);
    bad.version = 0;
    assert_int_equal(cib_memstore_new(&bad, &untouched), CIB_EINVAL);
    bad = a;
    bad.malloc_fn = NULL;
    assert_int_equal(cib_memstore_new(&bad, &untouched), CIB_EINVAL);
    bad = a;
    bad.realloc_fn = NULL;
    assert_int_equal(cib_memstore_new(&bad, &untouched), CIB_EINVAL);
    bad = a;
    bad.free_fn = NULL;
    assert_int_equal(cib_memstore_new(&bad, &untouched), CIB_EINVAL);
    assert_int_equal(fa.count, 0);
    assert_memory_equal(&untouched, &snapshot, sizeof untouched);

    /* Out of memory at once. */
    cib_allocator none = nomem_allocator();
    assert_int_equal(cib_memstore_new(&none, &s), CIB_ENOMEM);
    fa.fail_at = 0;
    assert_int_equal(cib_memstore_new(&a, &s), CIB_ENOMEM);
    assert_int_equal(fa.failed, 1);
    assert_int_equal(fa.live, 0);

    /* The allocator is copied: the caller's struct may go away. */
    fa.fail_at = -1;
    cib_allocator *heap = malloc(sizeof *heap);
    assert_non_null(heap);
    *heap = a;
    assert_int_equal(cib_memstore_new(heap, &s), CIB_OK);
    memset(heap, 0, sizeof *heap);
    free(heap);
    assert_int_equal(s.begin(s.user_data), CIB_OK);
    assert_int_equal(put_user(&s, "alice", "Alice"), CIB_OK);
    assert_int_equal(s.commit(s.user_data), CIB_OK);
    assert_true(fa.live > 1);
    s.close(s.user_data);
    assert_int_equal(fa.live, 0);
}

/* Two stores share nothing. */
static void test_stores_are_independent(void **state)
{
    (void)state;
    counted_store *a = memstore_open();
    counted_store *b = memstore_open();
    const char *kv[] = {"alice", "A"};
    commit_users(&a->s, kv, 2);
    expect_user(&a->s, "alice", "A");
    expect_user(&b->s, "alice", NULL);
    /* b is not in a's transaction. */
    assert_int_equal(a->s.begin(a->s.user_data), CIB_OK);
    assert_int_equal(b->s.begin(b->s.user_data), CIB_OK);
    assert_int_equal(put_user(&b->s, "bob", "B"), CIB_OK);
    b->s.rollback(b->s.user_data);
    assert_int_equal(put_user(&a->s, "carol", "C"), CIB_OK);
    assert_int_equal(a->s.commit(a->s.user_data), CIB_OK);
    expect_user(&a->s, "carol", "C");
    expect_user(&b->s, "bob", NULL);
    counted_store_close(a);
    counted_store_close(b);
}

/* Reads inside a transaction see its writes; commit keeps them. */
static void test_put_then_read_and_commit_R_HOST_1(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    char *empty = store_dump(s);
    assert_string_equal(empty, "");
    free(empty);

    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "alice", "Alice"), CIB_OK);
    const char *members[] = {"alice", "bob"};
    cib_field tf[] = {flist("members", members, NULL, 2)};
    cib_row team = mkrow(CIB_KIND_TEAM, "support", tf, 1);
    assert_int_equal(s->put(s->user_data, &team), CIB_OK);
    cib_field af[] = {fint("format", 1), fint("created_at", -5)};
    cib_row acc = mkrow(CIB_KIND_ACCOUNT, "account", af, 2);
    assert_int_equal(s->put(s->user_data, &acc), CIB_OK);

    /* Visible inside the transaction, through get and scan. */
    expect_user(s, "alice", "Alice");
    expect_row(s, CIB_KIND_TEAM, "support", "team \"support\" members=[\"alice\",\"bob\"]");
    expect_row(s, CIB_KIND_ACCOUNT, "account", "account \"account\" format=1 created_at=-5");
    assert_int_equal(count_kind(s, CIB_KIND_USER), 1);
    assert_int_equal(count_kind(s, CIB_KIND_TEAM), 1);
    assert_int_equal(count_kind(s, CIB_KIND_CONTACT), 0);
    char *inside = store_dump(s);
    assert_string_equal(inside, "account \"account\" format=1 created_at=-5\n"
                                "team \"support\" members=[\"alice\",\"bob\"]\n"
                                "user \"alice\" name=\"Alice\" email=null created_at=7\n");
    assert_int_equal(s->commit(s->user_data), CIB_OK);

    /* Kept after the commit. */
    char *after = store_dump(s);
    assert_string_equal(inside, after);
    free(inside);
    free(after);

    /* A later rollback does not undo a committed transaction. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    s->rollback(s->user_data);
    expect_user(s, "alice", "Alice");
    /* Nor does a rollback outside a transaction. */
    s->rollback(s->user_data);
    expect_user(s, "alice", "Alice");

    /* put replaces a row with the same kind and key. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "alice", "Alice Adams"), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_user(s, "alice", "Alice Adams");
    assert_int_equal(count_kind(s, CIB_KIND_USER), 1);

    /* del removes it, inside the transaction and after the commit. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(del_user(s, "alice"), CIB_OK);
    expect_user(s, "alice", NULL);
    assert_int_equal(count_kind(s, CIB_KIND_USER), 0);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_user(s, "alice", NULL);
    assert_int_equal(count_kind(s, CIB_KIND_USER), 0);
    /* A deleted row can be written again. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "alice", "Alice again"), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_user(s, "alice", "Alice again");
    counted_store_close(m);
}

/* The committed state before each rollback test. */
static const char *const base_users[] = {"a", "a1", "b", "b1", "c", "c1", "g", "g1", "h", "h1"};

/* One transaction doing every kind of write. */
static void mixed_writes(const cib_store *s)
{
    assert_int_equal(put_user(s, "a", "a2"), CIB_OK); /* an existing row put twice */
    assert_int_equal(put_user(s, "a", "a3"), CIB_OK);
    assert_int_equal(del_user(s, "b"), CIB_OK);       /* an existing row deleted */
    assert_int_equal(put_user(s, "c", "c2"), CIB_OK); /* an existing row put, then deleted */
    assert_int_equal(del_user(s, "c"), CIB_OK);
    assert_int_equal(put_user(s, "d", "d1"), CIB_OK); /* a new row */
    assert_int_equal(put_user(s, "e", "e1"), CIB_OK); /* a new row put twice */
    assert_int_equal(put_user(s, "e", "e2"), CIB_OK);
    assert_int_equal(put_user(s, "f", "f1"), CIB_OK); /* a new row put, then deleted */
    assert_int_equal(del_user(s, "f"), CIB_OK);
    assert_int_equal(del_user(s, "g"), CIB_OK); /* an existing row deleted, then put */
    assert_int_equal(put_user(s, "g", "g2"), CIB_OK);
    assert_int_equal(del_user(s, "zz"), CIB_OK); /* a missing row deleted */
    assert_int_equal(del_user(s, "c"), CIB_OK);  /* deleted twice */
    assert_int_equal(del_user(s, "f"), CIB_OK);
    /* Another kind with the same key as a user. */
    cib_field f[] = {fnull("email"), fnull("owner"), fint("created_at", 1)};
    cib_row r = mkrow(CIB_KIND_CONTACT, "a", f, 3);
    assert_int_equal(s->put(s->user_data, &r), CIB_OK);

    /* The transaction sees all of it. */
    expect_user(s, "a", "a3");
    expect_user(s, "b", NULL);
    expect_user(s, "c", NULL);
    expect_user(s, "d", "d1");
    expect_user(s, "e", "e2");
    expect_user(s, "f", NULL);
    expect_user(s, "g", "g2");
    expect_user(s, "h", "h1");
    expect_user(s, "zz", NULL);
    expect_row(s, CIB_KIND_CONTACT, "a", "contact \"a\" email=null owner=null created_at=1");
    assert_int_equal(count_kind(s, CIB_KIND_USER), 5);
    assert_int_equal(count_kind(s, CIB_KIND_CONTACT), 1);
}

/* R-HOST-1: rollback undoes every put and del since begin. */
static void test_rollback_undoes_everything_R_HOST_1(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    commit_users(s, base_users, sizeof base_users / sizeof base_users[0]);
    char *before = store_dump(s);

    assert_int_equal(s->begin(s->user_data), CIB_OK);
    mixed_writes(s);
    s->rollback(s->user_data);

    char *after = store_dump(s);
    assert_string_equal(before, after);
    expect_user(s, "a", "a1");
    expect_user(s, "b", "b1");
    expect_user(s, "c", "c1");
    expect_user(s, "d", NULL);
    expect_user(s, "e", NULL);
    expect_user(s, "f", NULL);
    expect_user(s, "g", "g1");
    expect_row(s, CIB_KIND_CONTACT, "a", NULL);

    /* The store is usable afterwards, and the rollback is final. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "d", "d9"), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_user(s, "d", "d9");
    expect_user(s, "e", NULL);
    expect_user(s, "a", "a1");

    /* A new row alone, rolled back. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "new", "n"), CIB_OK);
    s->rollback(s->user_data);
    expect_user(s, "new", NULL);
    assert_int_equal(count_kind(s, CIB_KIND_USER), 6);

    /* Many writes (more than any initial journal), rolled back. */
    free(before);
    before = store_dump(s);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
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
    s->rollback(s->user_data);
    free(after);
    after = store_dump(s);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* Rollbacks leaked nothing: close frees every block. */
    counted_store_close(m);
}

/* The same writes committed leave exactly the rows the transaction saw. */
static void test_commit_keeps_everything_R_HOST_1(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    commit_users(s, base_users, sizeof base_users / sizeof base_users[0]);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    mixed_writes(s);
    char *inside = store_dump(s);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    char *after = store_dump(s);
    assert_string_equal(inside, after);

    /* Equal to a fresh store holding the expected rows. */
    counted_store *w = memstore_open();
    const char *want[] = {"a", "a3", "d", "d1", "e", "e2", "g", "g2", "h", "h1"};
    assert_int_equal(w->s.begin(w->s.user_data), CIB_OK);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i += 2)
        assert_int_equal(put_user(&w->s, want[i], want[i + 1]), CIB_OK);
    cib_field f[] = {fnull("email"), fnull("owner"), fint("created_at", 1)};
    cib_row r = mkrow(CIB_KIND_CONTACT, "a", f, 3);
    assert_int_equal(w->s.put(w->s.user_data, &r), CIB_OK);
    assert_int_equal(w->s.commit(w->s.user_data), CIB_OK);
    char *expected = store_dump(&w->s);
    assert_string_equal(after, expected);

    /* A rollback after the commit changes nothing. */
    s->rollback(s->user_data);
    char *again = store_dump(s);
    assert_string_equal(after, again);
    free(inside);
    free(after);
    free(expected);
    free(again);
    counted_store_close(w);
    counted_store_close(m);
}

static void test_del_missing_is_ok(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    char *before = store_dump(s);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(del_user(s, "nobody"), CIB_OK);
    /* Same key, another kind. */
    assert_int_equal(s->del(s->user_data, CIB_KIND_TEAM, "alice", 5), CIB_OK);
    /* A prefix of an existing key is another key. */
    assert_int_equal(s->del(s->user_data, CIB_KIND_USER, "alice", 4), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    char *after = store_dump(s);
    assert_string_equal(before, after);
    expect_user(s, "alice", "A");
    free(before);
    free(after);
    counted_store_close(m);
}

static int count_cb(void *data, const cib_row *row)
{
    (void)row;
    ++*(int *)data;
    return 0;
}

static void test_get_missing_is_not_found(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    int calls = 0;
    /* An empty store. */
    for (int k = 1; k < CIB_KIND_END; k++)
        assert_int_equal(s->get(s->user_data, k, "x", 1, count_cb, &calls), CIB_ENOTFOUND);
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "bob", 3, count_cb, &calls),
                     CIB_ENOTFOUND);
    /* Same key, another kind. */
    assert_int_equal(s->get(s->user_data, CIB_KIND_TEAM, "alice", 5, count_cb, &calls),
                     CIB_ENOTFOUND);
    /* Keys are compared with their lengths. */
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "alice", 4, count_cb, &calls),
                     CIB_ENOTFOUND);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "alicex", 6, count_cb, &calls),
                     CIB_ENOTFOUND);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "Alice", 5, count_cb, &calls),
                     CIB_ENOTFOUND);
    assert_int_equal(calls, 0);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "alicex", 5, count_cb, &calls), CIB_OK);
    assert_int_equal(calls, 1);
    /* A row deleted in the open transaction is not found; after a rollback it is. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(del_user(s, "alice"), CIB_OK);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "alice", 5, count_cb, &calls),
                     CIB_ENOTFOUND);
    s->rollback(s->user_data);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "alice", 5, count_cb, &calls), CIB_OK);
    assert_int_equal(calls, 2);
    counted_store_close(m);
}

/* Keys are byte strings with a length: not NUL-terminated, may be long. */
static void test_keys_are_counted_bytes(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    cib_field f[] = {ftext("name", "x")};
    const char buf[] = "abcdef";
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    for (size_t n = 1; n <= 6; n++) {
        cib_row r = mkrow(CIB_KIND_USER, buf, f, 1);
        r.key_len = n; /* "a", "ab", ... without a NUL after them */
        assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    }
    static char big[5000];
    memset(big, 'k', sizeof big);
    cib_row rb = mkrow(CIB_KIND_USER, NULL, f, 1); /* big has no NUL: no strlen */
    rb.key = big;
    rb.key_len = sizeof big;
    assert_int_equal(s->put(s->user_data, &rb), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    assert_int_equal(count_kind(s, CIB_KIND_USER), 7);
    got_line g = {0, NULL};
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "abc", 3, got_line_cb, &g), CIB_OK);
    assert_string_equal(g.line, "user \"abc\" name=\"x\"");
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, big, sizeof big, got_line_cb, &g), CIB_OK);
    assert_int_equal(g.calls, 2);
    assert_int_equal(strlen(g.line), strlen("user \"\" name=\"x\"") + sizeof big);
    free(g.line);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->del(s->user_data, CIB_KIND_USER, buf, 2), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    assert_int_equal(count_kind(s, CIB_KIND_USER), 6);
    expect_row(s, CIB_KIND_USER, "a", "user \"a\" name=\"x\"");
    expect_row(s, CIB_KIND_USER, "ab", NULL);
    expect_row(s, CIB_KIND_USER, "abc", "user \"abc\" name=\"x\"");
    counted_store_close(m);
}

/* scan returns only rows of its kind; a non-zero callback return stops it. */
static void test_scan_kind_and_stop(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    char key[16];
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "u%d", i);
        assert_int_equal(put_user(s, key, "x"), CIB_OK);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "p%d", i);
        const char *stages[] = {"new"};
        cib_field f[] = {flist("stages", stages, NULL, 1)};
        cib_row r = mkrow(CIB_KIND_PIPELINE, key, f, 1);
        assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    }
    assert_int_equal(s->commit(s->user_data), CIB_OK);

    assert_int_equal(count_kind(s, CIB_KIND_USER), 10);
    assert_int_equal(count_kind(s, CIB_KIND_PIPELINE), 3);
    for (int k = 1; k < CIB_KIND_END; k++)
        if (k != CIB_KIND_USER && k != CIB_KIND_PIPELINE)
            assert_int_equal(count_kind(s, k), 0);

    /* Each row once. */
    row_lines l;
    row_lines_init(&l, CIB_KIND_USER);
    assert_int_equal(s->scan(s->user_data, CIB_KIND_USER, row_lines_cb, &l), CIB_OK);
    row_lines_sort(&l);
    for (size_t i = 1; i < l.n; i++)
        assert_string_not_equal(l.v[i - 1], l.v[i]);
    row_lines_free(&l);

    /* Stop after the 1st, 4th and 10th row: the callback's value comes back. */
    const long stops[] = {0, 3, 9};
    const int values[] = {42, -7, 1};
    for (size_t i = 0; i < 3; i++) {
        row_lines_init(&l, CIB_KIND_USER);
        l.stop_at = stops[i];
        l.stop_with = values[i];
        assert_int_equal(s->scan(s->user_data, CIB_KIND_USER, row_lines_cb, &l), values[i]);
        assert_int_equal(l.n, (size_t)stops[i] + 1);
        assert_int_equal(l.wrong, 0);
        row_lines_free(&l);
    }
    /* A status code from the callback comes back unchanged too. */
    row_lines_init(&l, CIB_KIND_PIPELINE);
    l.stop_at = 0;
    l.stop_with = CIB_ESTORAGE;
    assert_int_equal(s->scan(s->user_data, CIB_KIND_PIPELINE, row_lines_cb, &l), CIB_ESTORAGE);
    assert_int_equal(l.n, 1);
    row_lines_free(&l);
    /* A stopped scan changes nothing. */
    assert_int_equal(count_kind(s, CIB_KIND_USER), 10);
    counted_store_close(m);
}

/* Rows are deep copies: the caller's buffers may change or go away. */
static void test_rows_are_deep_copies(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    /* Field names are string constants (convinbox/store.h): the store may
     * keep them. Everything else must be copied. */
    char key[] = "support";
    const char *fname = "members", *iname = "created_at", *tname = "note";
    char text[] = "hello";
    char item0[] = "alice", item1[] = "bob";
    const char *items[] = {item0, item1};
    size_t lens[] = {5, 3};
    cib_field f[3];
    f[0] = flist(fname, items, lens, 2);
    f[1] = fint(iname, 99);
    f[2] = ftext(tname, text);
    cib_row r = mkrow(CIB_KIND_TEAM, key, f, 3);
    const char *want = "team \"support\" members=[\"alice\",\"bob\"] created_at=99 note=\"hello\"";

    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    /* Scribble over everything the row pointed at. */
    memset(key, 'X', sizeof key - 1);
    memset(text, 'Z', sizeof text - 1);
    memset(item0, 'Q', sizeof item0 - 1);
    memset(item1, 'Q', sizeof item1 - 1);
    items[0] = item1;
    lens[0] = 1;
    lens[1] = 0;
    f[1].i = -1;
    f[2].len = 1;
    f[0].n_items = 0;
    r.n_fields = 0;
    expect_row(s, CIB_KIND_TEAM, "support", want);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_row(s, CIB_KIND_TEAM, "support", want);
    expect_row(s, CIB_KIND_TEAM, "XXXXXXX", NULL);

    /* A row handed to a callback does not change when the caller's buffers do. */
    got_line g = {0, NULL};
    assert_int_equal(s->get(s->user_data, CIB_KIND_TEAM, "support", 7, got_line_cb, &g), CIB_OK);
    assert_string_equal(g.line, want);
    free(g.line);
    counted_store_close(m);
}

static int check_list_row(void *data, const cib_row *row)
{
    int *seen = data;
    (*seen)++;
    assert_int_equal(row->n_fields, 2);
    const cib_field *f = &row->fields[0];
    assert_string_equal(f->name, "stages");
    assert_int_equal(f->type, CIB_FIELD_LIST);
    assert_int_equal(f->n_items, 3);
    /* Handed back with correct lengths. */
    assert_non_null(f->item_lens);
    assert_int_equal(f->item_lens[0], 3);
    assert_int_equal(f->item_lens[1], 7);
    assert_int_equal(f->item_lens[2], 6);
    assert_memory_equal(f->items[0], "new", 3);
    assert_memory_equal(f->items[1], "waiting", 7);
    assert_memory_equal(f->items[2], "closed", 6);
    const cib_field *e = &row->fields[1];
    assert_string_equal(e->name, "empty");
    assert_int_equal(e->type, CIB_FIELD_LIST);
    assert_int_equal(e->n_items, 0);
    return 0;
}

static int count_row(void *data, const cib_row *row)
{
    (void)row;
    ++*(int *)data;
    return 0;
}

/* Thousands of keys put and deleted at random, committed or rolled back,
 * against a model: the in-memory store's open-addressing index (growth,
 * probing runs that wrap, deletion by backward shift) finds exactly the rows
 * that exist, and scan() visits each once (R-HOST-1). */
static void test_many_keys_against_a_model(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    enum { N = 3000 };
    static char present[N], saved[N];
    memset(present, 0, sizeof present);
    uint64_t x = 12345;
    for (int round = 0; round < 8; round++) {
        memcpy(saved, present, sizeof saved);
        assert_int_equal(s->begin(s->user_data), CIB_OK);
        for (int i = 0; i < 2 * N; i++) {
            x = x * 6364136223846793005u + 1442695040888963407u;
            int k = (int)((x >> 33) % N);
            char key[16];
            snprintf(key, sizeof key, "k%d", k);
            if (((x >> 20) & 3) != 0) { /* three puts for each delete */
                assert_int_equal(put_user(s, key, "V"), CIB_OK);
                present[k] = 1;
            } else {
                assert_int_equal(s->del(s->user_data, CIB_KIND_USER, key, strlen(key)), CIB_OK);
                present[k] = 0;
            }
        }
        if (round % 3 == 2) {
            s->rollback(s->user_data);
            memcpy(present, saved, sizeof present);
        } else {
            assert_int_equal(s->commit(s->user_data), CIB_OK);
        }
        int want = 0;
        for (int k = 0; k < N; k++) {
            char key[16];
            snprintf(key, sizeof key, "k%d", k);
            char *line = get_line(s, CIB_KIND_USER, key);
            if ((line != NULL) != present[k])
                fail_msg("round %d: key %s is %s, want %s", round, key, line ? "there" : "missing",
                         present[k] ? "there" : "missing");
            free(line);
            want += present[k];
        }
        int seen = 0;
        assert_int_equal(s->scan(s->user_data, CIB_KIND_USER, count_row, &seen), CIB_OK);
        assert_int_equal(seen, want);
    }
    counted_store_close(m);
}

/* LIST fields with item_lens NULL hold NUL-terminated items; empty lists. */
static void test_list_items_nul_terminated(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    const char *stages[] = {"new", "waiting", "closed"};
    cib_field f[] = {flist("stages", stages, NULL, 3), flist("empty", NULL, NULL, 0)};
    cib_row r = mkrow(CIB_KIND_PIPELINE, "support", f, 2);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    int seen = 0;
    assert_int_equal(s->get(s->user_data, CIB_KIND_PIPELINE, "support", 7, check_list_row, &seen),
                     CIB_OK);
    assert_int_equal(s->scan(s->user_data, CIB_KIND_PIPELINE, check_list_row, &seen), CIB_OK);
    assert_int_equal(seen, 2);
    /* With lengths, items need no NUL and may be prefixes of longer buffers. */
    const char *long_items[] = {"newer", "waiting for", "closedX"};
    size_t lens[] = {3, 7, 6};
    f[0] = flist("stages", long_items, lens, 3);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    assert_int_equal(s->get(s->user_data, CIB_KIND_PIPELINE, "support", 7, check_list_row, &seen),
                     CIB_OK);
    assert_int_equal(seen, 3);
    counted_store_close(m);
}

/* A row is handed back with every field, in order, including fields the
 * library does not know (store.h: an adapter must store them). Text is
 * counted bytes: an empty text is not NULL. */
static void test_fields_handed_back_exactly(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    cib_field f[] = {
        fint("created_at", INT64_MIN), fint("big", INT64_MAX), ftext("empty", ""), fnull("nothing"),
        ftext("future_column", "v2"),  fint("zero", 0)};
    f[4].len = 1; /* only "v" */
    cib_row r = mkrow(CIB_KIND_CHANNEL, "chat", f, 6);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_row(s, CIB_KIND_CHANNEL, "chat",
               "channel \"chat\" created_at=-9223372036854775808 big=9223372036854775807 "
               "empty=\"\" nothing=null future_column=\"v\" zero=0");
    /* A row without fields. */
    cib_row bare = mkrow(CIB_KIND_INBOX, "bare", NULL, 0);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &bare), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_row(s, CIB_KIND_INBOX, "bare", "inbox \"bare\"");
    counted_store_close(m);
}

/* put and del need a transaction; begin does not nest. */
static void test_writes_need_a_transaction(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    char *before = store_dump(s);

    assert_int_not_equal(put_user(s, "bob", "B"), CIB_OK);
    assert_int_not_equal(del_user(s, "alice"), CIB_OK);
    assert_int_not_equal(s->commit(s->user_data), CIB_OK);
    char *after = store_dump(s);
    assert_string_equal(before, after);
    free(after);

    /* begin twice: the second is refused, the first transaction goes on. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "bob", "B"), CIB_OK);
    assert_int_not_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "carol", "C"), CIB_OK);
    expect_user(s, "bob", "B");
    s->rollback(s->user_data);
    after = store_dump(s);
    assert_string_equal(before, after);
    free(after);

    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "bob", "B"), CIB_OK);
    assert_int_not_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_user(s, "bob", "B");

    /* After the commit, writes are refused again. */
    assert_int_not_equal(put_user(s, "carol", "C"), CIB_OK);
    assert_int_not_equal(del_user(s, "bob"), CIB_OK);
    expect_user(s, "carol", NULL);
    expect_user(s, "bob", "B");
    /* And after a rollback. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    s->rollback(s->user_data);
    assert_int_not_equal(put_user(s, "carol", "C"), CIB_OK);
    expect_user(s, "carol", NULL);
    free(before);
    counted_store_close(m);
}

/* Malformed rows are refused and change nothing. */
static void test_malformed_rows_refused(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    const char *kv[] = {"alice", "A", "bob", "B"};
    commit_users(s, kv, 4);
    char *before = store_dump(s);

    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "carol", "C"), CIB_OK);
    char *inside = store_dump(s);

    cib_field good[] = {ftext("name", "Z")};
    cib_row r;
    /* NULL row. */
    assert_int_not_equal(s->put(s->user_data, NULL), CIB_OK);
    /* NULL key, also for an existing row's length. */
    r = mkrow(CIB_KIND_USER, NULL, good, 1);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    r.key_len = 5;
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    /* Unknown kinds. */
    const int kinds[] = {0, -1, CIB_KIND_END, CIB_KIND_END + 1, 1000};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        r = mkrow(kinds[i], "alice", good, 1);
        assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
        /* A row of an unknown kind is not there: del may refuse or do
         * nothing, but must not touch the user "alice" (checked below). */
        (void)s->del(s->user_data, kinds[i], "alice", 5);
    }
    /* A TEXT field with NULL text, replacing an existing row. */
    cib_field nulltext[] = {ftext("name", "ok"), ftext("email", NULL)};
    r = mkrow(CIB_KIND_USER, "alice", nulltext, 2);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    nulltext[1].len = 3;
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    /* ... and as a new row. */
    r = mkrow(CIB_KIND_USER, "dave", nulltext, 2);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    /* Unknown field types. */
    const int types[] = {4, -1, 99};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        cib_field odd[] = {ftext("name", "ok"), fint("x", 1)};
        odd[1].type = types[i];
        r = mkrow(CIB_KIND_USER, "alice", odd, 2);
        assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
        r = mkrow(CIB_KIND_USER, "erin", odd, 2);
        assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    }
    /* A field without a name. */
    cib_field noname[] = {ftext(NULL, "x")};
    r = mkrow(CIB_KIND_USER, "alice", noname, 1);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    /* Fields NULL with n_fields > 0. */
    r = mkrow(CIB_KIND_USER, "alice", NULL, 2);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    /* A LIST with NULL items, or a NULL item. */
    cib_field nolist[] = {flist("members", NULL, NULL, 2)};
    r = mkrow(CIB_KIND_TEAM, "t", nolist, 1);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    const char *holes[] = {"alice", NULL};
    cib_field holey[] = {flist("members", holes, NULL, 2)};
    r = mkrow(CIB_KIND_TEAM, "t", holey, 1);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    /* del with a NULL key. */
    assert_int_not_equal(s->del(s->user_data, CIB_KIND_USER, NULL, 5), CIB_OK);

    /* Nothing changed inside the transaction ... */
    char *now = store_dump(s);
    assert_string_equal(inside, now);
    free(now);
    /* ... the transaction goes on and commits what it wrote ... */
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_user(s, "carol", "C");
    expect_user(s, "alice", "A");
    expect_user(s, "dave", NULL);
    expect_user(s, "erin", NULL);
    /* ... and a rollback after refusals restores the state before begin. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(del_user(s, "carol"), CIB_OK);
    r = mkrow(CIB_KIND_USER, "carol", nulltext, 2);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    r = mkrow(0, "carol", good, 1);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    s->rollback(s->user_data);
    expect_user(s, "carol", "C");

    /* Reads with bad arguments. */
    int calls = 0;
    assert_int_not_equal(s->get(s->user_data, 0, "alice", 5, count_cb, &calls), CIB_OK);
    assert_int_not_equal(s->get(s->user_data, CIB_KIND_END, "alice", 5, count_cb, &calls), CIB_OK);
    assert_int_not_equal(s->scan(s->user_data, 0, count_cb, &calls), CIB_OK);
    assert_int_not_equal(s->scan(s->user_data, CIB_KIND_END, count_cb, &calls), CIB_OK);
    assert_int_equal(calls, 0);

    free(before);
    free(inside);
    counted_store_close(m);
}

/* Closing frees everything, also with a transaction open. */
static void test_close_frees_everything(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    char key[16];
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "u%d", i);
        assert_int_equal(put_user(s, key, "x"), CIB_OK);
    }
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    for (int i = 50; i < 150; i++) {
        snprintf(key, sizeof key, "u%d", i);
        assert_int_equal(put_user(s, key, "y"), CIB_OK);
        snprintf(key, sizeof key, "u%d", i - 50);
        assert_int_equal(del_user(s, key), CIB_OK);
    }
    assert_true(m->fa.live > 100);
    counted_store_close(m); /* asserts live == 0 */

    /* A store that was never written to. */
    m = memstore_open();
    counted_store_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_memstore_new),
        cmocka_unit_test(test_stores_are_independent),
        cmocka_unit_test(test_put_then_read_and_commit_R_HOST_1),
        cmocka_unit_test(test_rollback_undoes_everything_R_HOST_1),
        cmocka_unit_test(test_commit_keeps_everything_R_HOST_1),
        cmocka_unit_test(test_del_missing_is_ok),
        cmocka_unit_test(test_get_missing_is_not_found),
        cmocka_unit_test(test_keys_are_counted_bytes),
        cmocka_unit_test(test_scan_kind_and_stop),
        cmocka_unit_test(test_rows_are_deep_copies),
        cmocka_unit_test(test_list_items_nul_terminated),
        cmocka_unit_test(test_many_keys_against_a_model),
        cmocka_unit_test(test_fields_handed_back_exactly),
        cmocka_unit_test(test_writes_need_a_transaction),
        cmocka_unit_test(test_malformed_rows_refused),
        cmocka_unit_test(test_close_frees_everything),
    };
    return TENV_RUN(tests);
}
