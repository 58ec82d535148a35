/* test_rowpack.c - the in-memory store's packed rows (lib/change/rowpack.h): every
 * integer width, text and list lengths across the varint and copy
 * boundaries, rows larger than the packing buffer, more field names than the
 * name table holds, rows moving back into their entry's block at commit, and
 * allocation failures on the way (R-HOST-1: a row is handed back exactly as
 * it was put, and a failed put changes nothing). */
#include "support/storetest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put_one(const cib_store *s, const cib_row *r)
{
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, r), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
}

/* The row reads back (get and scan) as the line of what was put. */
static void expect_same(const cib_store *s, const cib_row *r)
{
    char *want = row_line(r);
    expect_row(s, r->kind, r->key, want);
    row_lines l;
    row_lines_init(&l, r->kind);
    assert_int_equal(s->scan(s->user_data, r->kind, row_lines_cb, &l), CIB_OK);
    int seen = 0;
    for (size_t i = 0; i < l.n; i++)
        seen += strcmp(l.v[i], want) == 0;
    assert_int_equal(seen, 1);
    row_lines_free(&l);
    free(want);
}

static void test_integers_of_every_width_R_HOST_1(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    static const int64_t v[] = {0,
                                1,
                                -1,
                                127,
                                128,
                                -128,
                                -129,
                                255,
                                32767,
                                -32769,
                                INT32_MAX,
                                (int64_t)INT32_MAX + 1,
                                INT32_MIN,
                                (int64_t)INT32_MIN - 1,
                                1700000000000,
                                INT64_MAX,
                                INT64_MIN};
    static const char *const names[] = {"a", "b", "c", "d", "e", "f", "g", "h", "i",
                                        "j", "k", "l", "m", "n", "o", "p", "q"};
    enum { N = sizeof v / sizeof v[0] };
    cib_field f[N];
    for (size_t i = 0; i < N; i++)
        f[i] = fint(names[i], v[i]);
    cib_row r = mkrow(CIB_KIND_USER, "ints", f, N);
    put_one(&m->s, &r);
    expect_same(&m->s, &r);
    expect_row(&m->s, CIB_KIND_USER, "ints",
               "user \"ints\" a=0 b=1 c=-1 d=127 e=128 f=-128 g=-129 h=255 i=32767 j=-32769 "
               "k=2147483647 l=2147483648 m=-2147483648 n=-2147483649 o=1700000000000 "
               "p=9223372036854775807 q=-9223372036854775808");
    counted_store_close(m);
}

/* Bytes 'a'..'z' repeated, n of them. */
static char *text_of(size_t n)
{
    char *t = malloc(n + 1);
    assert_non_null(t);
    for (size_t i = 0; i < n; i++)
        t[i] = (char)('a' + i % 26);
    t[n] = '\0';
    return t;
}

static void test_text_and_list_lengths_R_HOST_1(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    /* Around the small-copy cases (4, 8, 16), the one-byte varint (127) and
     * the packing buffer's first size (1,024). */
    static const size_t lens[] = {0,   1,   3,    4,    7,    8,    9,     15,    16,    17,
                                  127, 128, 1000, 1023, 1024, 2000, 16383, 16384, 100000};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        char *t = text_of(lens[i]);
        char key[32];
        snprintf(key, sizeof key, "t%zu", lens[i]);
        cib_field f[] = {ftext("before", "x"), ftext("text", t), fint("after", 7)};
        cib_row r = mkrow(CIB_KIND_MESSAGE, key, f, 3);
        put_one(&m->s, &r);
        expect_same(&m->s, &r);
        free(t);
    }
    /* Lists of 0 to 1,000 items (more than get() unpacks on the stack), of
     * every length above, given with and without lengths. */
    static const size_t counts[] = {0, 1, 64, 65, 1000};
    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
        size_t n = counts[c];
        char **items = calloc(n + 1, sizeof *items);
        size_t *il = calloc(n + 1, sizeof *il);
        assert_true(items && il);
        for (size_t k = 0; k < n; k++) {
            il[k] = lens[k % (sizeof lens / sizeof lens[0] - 1)];
            items[k] = text_of(il[k] + 3); /* the lengths cut 3 bytes off */
        }
        char key[32];
        snprintf(key, sizeof key, "l%zu", n);
        cib_field f[] = {flist("counted", (const char *const *)items, il, n),
                         flist("nul", (const char *const *)items, NULL, n), fnull("z")};
        cib_row r = mkrow(CIB_KIND_TEAM, key, f, 3);
        put_one(&m->s, &r);
        expect_same(&m->s, &r);
        for (size_t k = 0; k < n; k++)
            free(items[k]);
        free(items);
        free(il);
    }
    counted_store_close(m);
}

/* More distinct field names than the store's name table holds (255): the
 * later ones are kept as pointers, and a row with hundreds of fields is
 * unpacked off the stack. */
static char many_names[600][8];

static void test_more_names_than_the_table_R_HOST_1(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    enum { N = 300 };
    cib_field *f = calloc(N, sizeof *f);
    assert_non_null(f);
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < N; i++) {
            char *name = many_names[round * N + i];
            snprintf(name, sizeof many_names[0], "f%d", round * N + i);
            f[i] = i % 3 == 0   ? fint(name, i * 1000003LL)
                   : i % 3 == 1 ? ftext(name, name)
                                : fnull(name);
        }
        cib_row r = mkrow(CIB_KIND_CHANNEL, round ? "second" : "first", f, N);
        put_one(&m->s, &r);
        expect_same(&m->s, &r);
    }
    /* The first row still reads back with the names of its own round. */
    char *line = get_line(&m->s, CIB_KIND_CHANNEL, "first");
    assert_non_null(strstr(line, " f0=0 f1=\"f1\" f2=null "));
    assert_non_null(strstr(line, " f299=null"));
    assert_null(strstr(line, "f300"));
    free(line);
    free(f);
    counted_store_close(m);
}

/* A new entry is one block with its row; a replacing row that fits moves
 * back into that block at commit, so a row rewritten in place costs no
 * block of its own. Rollbacks and rows put twice in a transaction. */
static void test_rows_move_home_at_commit_R_HOST_1(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    char *big = text_of(500);
    cib_field small_f[] = {ftext("name", "first"), fint("seq", 1)};
    cib_field same_f[] = {ftext("name", "again"), fint("seq", 2)};
    cib_field big_f[] = {ftext("name", big), fint("seq", 3)};
    cib_row small = mkrow(CIB_KIND_USER, "u", small_f, 2);
    cib_row same = mkrow(CIB_KIND_USER, "u", same_f, 2);
    cib_row large = mkrow(CIB_KIND_USER, "u", big_f, 2);

    /* Another row first, so that the kind's table and the journal exist. */
    cib_row warm = mkrow(CIB_KIND_USER, "warm", small_f, 2);
    put_one(s, &warm);
    long base = m->fa.live;
    put_one(s, &small);
    assert_int_equal(m->fa.live, base + 1); /* entry, key and row: one block */
    put_one(s, &same);
    assert_int_equal(m->fa.live, base + 1); /* moved home */
    expect_same(s, &same);
    put_one(s, &large);
    assert_int_equal(m->fa.live, base + 2); /* does not fit: its own block */
    expect_same(s, &large);
    put_one(s, &small);
    assert_int_equal(m->fa.live, base + 1); /* fits again */
    expect_same(s, &small);

    /* Twice in one transaction, the second replacing the first. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &large), CIB_OK);
    assert_int_equal(s->put(s->user_data, &same), CIB_OK);
    expect_same(s, &same);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    assert_int_equal(m->fa.live, base + 1);
    expect_same(s, &same);

    /* Replaced, deleted and put again, then rolled back: the home row. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &large), CIB_OK);
    assert_int_equal(s->del(s->user_data, CIB_KIND_USER, "u", 1), CIB_OK);
    expect_row(s, CIB_KIND_USER, "u", NULL);
    assert_int_equal(s->put(s->user_data, &small), CIB_OK);
    s->rollback(s->user_data);
    assert_int_equal(m->fa.live, base + 1);
    expect_same(s, &same);

    /* The same, committed. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &large), CIB_OK);
    assert_int_equal(s->del(s->user_data, CIB_KIND_USER, "u", 1), CIB_OK);
    assert_int_equal(s->put(s->user_data, &small), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    assert_int_equal(m->fa.live, base + 1);
    expect_same(s, &small);

    /* Created and replaced in one transaction, rolled back: nothing. */
    cib_row other = mkrow(CIB_KIND_USER, "v", small_f, 2);
    cib_row other2 = mkrow(CIB_KIND_USER, "v", big_f, 2);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &other), CIB_OK);
    assert_int_equal(s->put(s->user_data, &other2), CIB_OK);
    s->rollback(s->user_data);
    expect_row(s, CIB_KIND_USER, "v", NULL);
    assert_int_equal(m->fa.live, base + 1);

    /* Deleted: the whole block goes. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->del(s->user_data, CIB_KIND_USER, "u", 1), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    assert_int_equal(m->fa.live, base);
    free(big);
    counted_store_close(m);
}

/* Every allocation of a put (the packing buffer growing for a large row,
 * the row's block, the entry, the table, the journal) may fail: the put
 * returns CIB_ENOMEM and the store is as it was. A get of a row with many
 * fields that cannot get its unpacking block returns CIB_ENOMEM and leaks
 * nothing. */
static void test_allocation_failures_change_nothing_R_HOST_1(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    char *big = text_of(5000);
    cib_field old_f[] = {ftext("text", "old")};
    cib_row old = mkrow(CIB_KIND_MESSAGE, "1", old_f, 1);
    put_one(s, &old);
    cib_field f[] = {ftext("text", big), fint("n", 1)};
    cib_row rows[] = {mkrow(CIB_KIND_MESSAGE, "1", f, 2), mkrow(CIB_KIND_MESSAGE, "2", f, 2)};
    for (size_t k = 0; k < 2; k++) {
        int failed_once = 0;
        for (long n = 0;; n++) {
            assert_true(n < 100);
            char *before = store_dump(s);
            long live = m->fa.live;
            assert_int_equal(s->begin(s->user_data), CIB_OK);
            m->fa.fail_at = m->fa.count + n;
            int rc = s->put(s->user_data, &rows[k]);
            m->fa.fail_at = -1;
            if (rc == CIB_OK) {
                assert_int_equal(s->commit(s->user_data), CIB_OK);
                free(before);
                break;
            }
            failed_once = 1;
            assert_int_equal(rc, CIB_ENOMEM);
            s->rollback(s->user_data);
            char *after = store_dump(s);
            assert_string_equal(before, after);
            assert_int_equal(m->fa.live, live);
            free(before);
            free(after);
        }
        assert_true(failed_once);
        expect_same(s, &rows[k]);
    }

    /* 100 fields do not fit get()'s stack buffers. */
    static char names[100][8];
    cib_field wide[100];
    for (int i = 0; i < 100; i++) {
        snprintf(names[i], sizeof names[i], "w%d", i);
        wide[i] = fint(names[i], i);
    }
    cib_row wide_row = mkrow(CIB_KIND_CHANNEL, "wide", wide, 100);
    put_one(s, &wide_row);
    long live = m->fa.live;
    got_line g = {0, NULL};
    m->fa.fail_at = m->fa.count;
    assert_int_equal(s->get(s->user_data, CIB_KIND_CHANNEL, "wide", 4, got_line_cb, &g),
                     CIB_ENOMEM);
    m->fa.fail_at = m->fa.count;
    assert_int_equal(s->scan(s->user_data, CIB_KIND_CHANNEL, got_line_cb, &g), CIB_ENOMEM);
    m->fa.fail_at = -1;
    assert_int_equal(g.calls, 0);
    assert_int_equal(m->fa.live, live);
    expect_same(s, &wide_row);
    free(big);
    counted_store_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integers_of_every_width_R_HOST_1),
        cmocka_unit_test(test_text_and_list_lengths_R_HOST_1),
        cmocka_unit_test(test_more_names_than_the_table_R_HOST_1),
        cmocka_unit_test(test_rows_move_home_at_commit_R_HOST_1),
        cmocka_unit_test(test_allocation_failures_change_nothing_R_HOST_1),
    };
    return TENV_RUN(tests);
}
