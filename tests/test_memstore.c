/* test_memstore.c - what the built-in in-memory store (cib_memstore_new)
 * does beyond the storage contract that tests/test_store.c checks on every
 * adapter: its constructor, rows handed back exactly as put (names kept by
 * pointer, fields in order), refusal of malformed rows, and freeing every
 * block. Allocation failure is in test_store_faults.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/storetest.h"

static int count_cb(void *data, const cib_row *row)
{
    (void)row;
    ++*(int *)data;
    return 0;
}

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
        cmocka_unit_test(test_rows_are_deep_copies),
        cmocka_unit_test(test_fields_handed_back_exactly),
        cmocka_unit_test(test_malformed_rows_refused),
        cmocka_unit_test(test_close_frees_everything),
    };
    return TENV_RUN(tests);
}
