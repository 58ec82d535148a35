/* test_memstore_reads.c - the built-in in-memory store's find()
 * (convinbox/store.h, R-HOST-1): the rows it hands over are exactly those a
 * scan and filter would, inside a transaction, after a rollback (the index
 * restored exactly) and after a commit; it visits only the rows it returns
 * (a row with more than 48 fields is unpacked into an allocated block, so a
 * visit of one shows on the counting allocator, and fails when the
 * allocator does); and a put that fails to allocate leaves what find()
 * returns unchanged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/storetest.h"

#define BEGIN(s)       assert_int_equal((s)->begin((s)->user_data), CIB_OK)
#define COMMIT(s)      assert_int_equal((s)->commit((s)->user_data), CIB_OK)
#define ROLLBACK(s)    (s)->rollback((s)->user_data)
#define PUT(s, r)      assert_int_equal((s)->put((s)->user_data, (r)), CIB_OK)
#define DEL(s, k, key) assert_int_equal((s)->del((s)->user_data, (k), (key), strlen(key)), CIB_OK)

/* ---- rows ---- */

static void put_conv(const cib_store *s, const char *key, const char *inbox, const char *contact,
                     const char *status)
{
    cib_field f[] = {ftext("inbox", inbox),     ftext("channel", "ch"),
                     ftext("contact", contact), fnull("assignee"),
                     ftext("reason", "none"),   status ? ftext("status", status) : fnull("status"),
                     fint("created_at", 1),     fint("n_messages", 0)};
    cib_row r = mkrow(CIB_KIND_CONVERSATION, key, f, sizeof f / sizeof f[0]);
    PUT(s, &r);
}

static void put_msg(const cib_store *s, const char *key, const char *conv, const char *inbox,
                    const char *text)
{
    cib_field f[] = {ftext("conversation", conv), ftext("inbox", inbox), ftext("channel", "ch"),
                     ftext("kind", "inbound"),    ftext("text", text),   fint("created_at", 1)};
    cib_row r = mkrow(CIB_KIND_MESSAGE, key, f, sizeof f / sizeof f[0]);
    PUT(s, &r);
}

/* DEDUP, THREAD or TICKET row of a conversation. */
static void put_other(const cib_store *s, int kind, const char *key, const char *conv,
                      const char *inbox)
{
    cib_field f[] = {ftext("conversation", conv), ftext("inbox", inbox), ftext("channel", "ch")};
    cib_row r = mkrow(kind, key, f, 3);
    PUT(s, &r);
}

/* ---- find() against scan-and-filter ---- */

typedef struct keys {
    char out[8192];
    int kind, calls, wrong;
} keys;

static int keys_cb(void *data, const cib_row *row)
{
    keys *k = data;
    if (row->kind != k->kind)
        k->wrong++;
    size_t len = strlen(k->out);
    snprintf(k->out + len, sizeof k->out - len, "%.*s\n", (int)row->key_len, row->key);
    k->calls++;
    return 0;
}

typedef struct filter {
    keys k;
    const char *field, *value;
} filter;

static int filter_cb(void *data, const cib_row *row)
{
    filter *f = data;
    for (size_t i = 0; i < row->n_fields; i++) {
        const cib_field *x = &row->fields[i];
        if (!strcmp(x->name, f->field)) {
            if (x->type == CIB_FIELD_TEXT && x->len == strlen(f->value) &&
                !memcmp(x->text, f->value, x->len))
                return keys_cb(&f->k, row);
            return 0;
        }
    }
    return 0;
}

static int line_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of s, sorted, in place. */
static void sort_lines(char *s)
{
    char *v[1024], copy[8192];
    size_t n = 0;
    snprintf(copy, sizeof copy, "%s", s);
    for (char *p = strtok(copy, "\n"); p && n < 1024; p = strtok(NULL, "\n"))
        v[n++] = p;
    qsort(v, n, sizeof *v, line_cmp);
    s[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        strcat(s, v[i]);
        strcat(s, "\n");
    }
}

/* find() hands over each matching row once, and nothing else; returns how
 * many. */
static int expect_find(const cib_store *s, int kind, const char *field, const char *value)
{
    keys got = {"", kind, 0, 0};
    assert_non_null(s->find);
    assert_int_equal(s->find(s->user_data, kind, field, value, strlen(value), keys_cb, &got),
                     CIB_OK);
    filter want = {{"", kind, 0, 0}, field, value};
    assert_int_equal(s->scan(s->user_data, kind, filter_cb, &want), CIB_OK);
    assert_int_equal(got.wrong, 0);
    sort_lines(got.out);
    sort_lines(want.k.out);
    if (strcmp(got.out, want.k.out) || got.calls != want.k.calls)
        fail_msg("find %s %s=%s: got %d rows\n%swant %d\n%s", cib_kind_name(kind), field, value,
                 got.calls, got.out, want.k.calls, want.k.out);
    return got.calls;
}

static const char *const inboxes[] = {"in1", "in2", "in3"};

/* Every request of the library (convinbox/store.h), for every value used. */
static void find_all(const cib_store *s)
{
    char v[16];
    for (int c = 0; c <= 12; c++) {
        snprintf(v, sizeof v, "%d", c);
        expect_find(s, CIB_KIND_MESSAGE, "conversation", v);
        snprintf(v, sizeof v, "k%d", c);
        expect_find(s, CIB_KIND_CONVERSATION, "contact", v);
    }
    for (int i = 0; i < 3; i++) {
        expect_find(s, CIB_KIND_CONVERSATION, "inbox", inboxes[i]);
        expect_find(s, CIB_KIND_MESSAGE, "inbox", inboxes[i]);
        expect_find(s, CIB_KIND_DEDUP, "inbox", inboxes[i]);
        expect_find(s, CIB_KIND_THREAD, "inbox", inboxes[i]);
        expect_find(s, CIB_KIND_TICKET, "inbox", inboxes[i]);
    }
    expect_find(s, CIB_KIND_CONVERSATION, "status", "open");
    expect_find(s, CIB_KIND_CONVERSATION, "status", "closed");
    /* Requests the library does not make are answered too. */
    expect_find(s, CIB_KIND_MESSAGE, "text", "hi");
    expect_find(s, CIB_KIND_CONVERSATION, "channel", "ch");
    expect_find(s, CIB_KIND_DEDUP, "conversation", "3");
}

/* Conversations 0..9 (0 is an id too) over inboxes in1, in2; 4 messages
 * each (conversation 5: none), a DEDUP, THREAD and TICKET row each. */
static void setup(const cib_store *s)
{
    char key[16], conv[16], contact[16];
    BEGIN(s);
    for (int c = 0; c < 10; c++) {
        snprintf(conv, sizeof conv, "%d", c);
        snprintf(contact, sizeof contact, "k%d", c % 4);
        const char *inbox = inboxes[c % 2];
        put_conv(s, conv, inbox, contact, c % 3 ? "open" : "closed");
        for (int m = 0; m < 4 && c != 5; m++) {
            snprintf(key, sizeof key, "%d", 1000 + c * 10 + m);
            put_msg(s, key, conv, inbox, m % 2 ? "hi" : "hello");
        }
        snprintf(key, sizeof key, "d%d", c);
        put_other(s, CIB_KIND_DEDUP, key, conv, inbox);
        snprintf(key, sizeof key, "t%d", c);
        put_other(s, CIB_KIND_THREAD, key, conv, inbox);
        snprintf(key, sizeof key, "%d", 500 + c);
        put_other(s, CIB_KIND_TICKET, key, conv, inbox);
    }
    COMMIT(s);
}

/* Changes of one transaction, checked as they are made. */
static void changes(const cib_store *s)
{
    /* Every message of conversation 2 deleted (its group empties), one of 3. */
    for (int m = 0; m < 4; m++)
        DEL(s, CIB_KIND_MESSAGE, m == 0 ? "1020" : m == 1 ? "1021" : m == 2 ? "1022" : "1023");
    DEL(s, CIB_KIND_MESSAGE, "1031");
    DEL(s, CIB_KIND_MESSAGE, "424242"); /* missing */
    find_all(s);
    /* Messages of a new conversation 11, in in3; one put twice. */
    put_conv(s, "11", "in3", "k11", "open");
    put_msg(s, "2000", "11", "in3", "hi");
    put_msg(s, "2001", "11", "in3", "hi");
    put_msg(s, "2001", "11", "in3", "hello");
    /* A message moved from conversation 4 to 6 (same inbox), one replaced
     * in place, one deleted then put again, one put then deleted. */
    put_msg(s, "1040", "6", "in1", "hi");
    put_msg(s, "1041", "4", "in1", "replaced");
    DEL(s, CIB_KIND_MESSAGE, "1042");
    put_msg(s, "1042", "4", "in1", "back");
    put_msg(s, "2002", "11", "in3", "gone");
    DEL(s, CIB_KIND_MESSAGE, "2002");
    /* The first messages of conversation 5. */
    put_msg(s, "1050", "5", "in2", "hi");
    find_all(s);
    /* Conversations: a contact changed, one closed, one moved to in3 with
     * its messages, one deleted after its other rows. */
    put_conv(s, "1", "in2", "k9", "open");
    put_conv(s, "4", "in1", "k0", "closed");
    put_conv(s, "8", "in3", "k0", "closed");
    for (int m = 0; m < 4; m++) {
        char key[16];
        snprintf(key, sizeof key, "%d", 1080 + m);
        put_msg(s, key, "8", "in3", "moved");
    }
    for (int m = 0; m < 4; m++) {
        char key[16];
        snprintf(key, sizeof key, "%d", 1070 + m);
        DEL(s, CIB_KIND_MESSAGE, key);
    }
    DEL(s, CIB_KIND_DEDUP, "d7");
    DEL(s, CIB_KIND_THREAD, "t7");
    DEL(s, CIB_KIND_TICKET, "507");
    DEL(s, CIB_KIND_CONVERSATION, "7");
    put_other(s, CIB_KIND_DEDUP, "d8", "8", "in3");
    put_other(s, CIB_KIND_TICKET, "508", "8", "in3");
    find_all(s);
    /* Rows the ordered index of conversations misses: a key that is not an
     * id, a status that is NULL. */
    put_conv(s, "x1", "in1", "k1", "open");
    put_conv(s, "12", "in2", "k12", NULL);
    find_all(s);
}

/* Rollback restores every answer of find() exactly; a commit keeps them. */
static void test_find_after_rollback_and_commit_R_HOST_1(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    setup(s);
    find_all(s);
    assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "conversation", "3"), 4);
    char *before = store_dump(s);
    long live = m->fa.live;

    BEGIN(s);
    changes(s);
    assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "conversation", "2"), 0);
    assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "conversation", "3"), 3);
    assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "conversation", "6"), 5);
    assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "conversation", "11"), 2);
    assert_int_equal(expect_find(s, CIB_KIND_CONVERSATION, "inbox", "in1"), 5);
    ROLLBACK(s);
    find_all(s);
    char *after = store_dump(s);
    assert_string_equal(before, after);
    free(after);
    assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "conversation", "2"), 4);
    assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "conversation", "3"), 4);
    assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "conversation", "6"), 4);
    assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "conversation", "11"), 0);
    assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "conversation", "5"), 0);
    assert_int_equal(expect_find(s, CIB_KIND_CONVERSATION, "inbox", "in1"), 5);
    assert_int_equal(expect_find(s, CIB_KIND_CONVERSATION, "inbox", "in3"), 0);
    /* Groups created by the transaction are gone (the journal may stay). */
    assert_true(m->fa.live <= live + 1);

    BEGIN(s);
    changes(s);
    COMMIT(s);
    find_all(s);
    assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "conversation", "11"), 2);
    assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "inbox", "in3"), 6);
    /* Everything deleted, conversations last (convinbox/store.h), in a
     * transaction rolled back then committed. */
    for (int pass = 0; pass < 2; pass++) {
        BEGIN(s);
        for (int j = 1; j < CIB_KIND_END; j++) {
            int k = j == CIB_KIND_CONVERSATION ? CIB_KIND_END - 1
                    : j == CIB_KIND_END - 1    ? CIB_KIND_CONVERSATION
                                               : j;
            row_lines l;
            row_lines_init(&l, k);
            assert_int_equal(s->scan(s->user_data, k, row_lines_cb, &l), CIB_OK);
            for (size_t i = 0; i < l.n; i++) {
                char key[64];
                const char *q = strchr(l.v[i], '"') + 1;
                snprintf(key, sizeof key, "%.*s", (int)(strchr(q, '"') - q), q);
                DEL(s, k, key);
            }
            row_lines_free(&l);
        }
        find_all(s);
        if (pass == 0) {
            ROLLBACK(s);
            find_all(s);
            assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "conversation", "11"), 2);
        } else {
            COMMIT(s);
        }
    }
    free(before);
    counted_store_close(m); /* every group freed */
}

/* ---- visits ---- */

enum { BIG_FIELDS = 50 };
static const char *const big_names[BIG_FIELDS] = {
    "conversation", "inbox", "contact", "status", "f4",  "f5",  "f6",  "f7",  "f8",  "f9",
    "f10",          "f11",   "f12",     "f13",    "f14", "f15", "f16", "f17", "f18", "f19",
    "f20",          "f21",   "f22",     "f23",    "f24", "f25", "f26", "f27", "f28", "f29",
    "f30",          "f31",   "f32",     "f33",    "f34", "f35", "f36", "f37", "f38", "f39",
    "f40",          "f41",   "f42",     "f43",    "f44", "f45", "f46", "f47", "f48", "f49"};

/* A row of 50 fields (unpacked into an allocated block): the first four
 * are conversation, inbox, contact and status. */
static void put_big(const cib_store *s, int kind, const char *key, const char *conv,
                    const char *inbox, const char *contact, const char *status)
{
    cib_field f[BIG_FIELDS];
    for (int i = 0; i < BIG_FIELDS; i++)
        f[i] = fint(big_names[i], i);
    f[0] = ftext("conversation", conv);
    f[1] = ftext("inbox", inbox);
    f[2] = ftext("contact", contact);
    f[3] = ftext("status", status);
    cib_row r = mkrow(kind, key, f, BIG_FIELDS);
    PUT(s, &r);
}

/* find() with every allocation failing: it may allocate only to hand over
 * big rows, and visits no other row. Returns the rows handed over. */
static int find_no_alloc(counted_store *m, int kind, const char *field, const char *value)
{
    cib_store *s = &m->s;
    long count = m->fa.count;
    m->fa.fail_at = count;
    keys k = {"", kind, 0, 0};
    int rc = s->find(s->user_data, kind, field, value, strlen(value), keys_cb, &k);
    m->fa.fail_at = -1;
    assert_int_equal(rc, CIB_OK);
    assert_int_equal(m->fa.count, count);
    assert_int_equal(k.wrong, 0);
    return k.calls;
}

/* The small rows of conversation "1" (in1) and its contact, and 300 big
 * rows of conversations 2..31 in in2: reading the small ones visits none of
 * the big ones. */
static void test_find_visits_only_its_rows_R_HOST_1(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    assert_non_null(s->find);
    BEGIN(s);
    put_conv(s, "1", "in1", "k1", "open");
    put_msg(s, "10", "1", "in1", "a");
    put_msg(s, "11", "1", "in1", "b");
    put_msg(s, "12", "1", "in1", "c");
    put_other(s, CIB_KIND_DEDUP, "d1", "1", "in1");
    put_other(s, CIB_KIND_THREAD, "t1", "1", "in1");
    put_other(s, CIB_KIND_TICKET, "101", "1", "in1");
    char key[16], conv[16], contact[16];
    for (int c = 2; c < 32; c++) {
        snprintf(conv, sizeof conv, "%d", c);
        snprintf(contact, sizeof contact, "k%d", c);
        put_big(s, CIB_KIND_CONVERSATION, conv, "", "in2", contact, c % 2 ? "open" : "closed");
        for (int i = 0; i < 10; i++) {
            snprintf(key, sizeof key, "%d", c * 100 + i);
            put_big(s, CIB_KIND_MESSAGE, key, conv, "in2", "", "");
        }
        snprintf(key, sizeof key, "d%d", c);
        put_big(s, CIB_KIND_DEDUP, key, conv, "in2", "", "");
        snprintf(key, sizeof key, "t%d", c);
        put_big(s, CIB_KIND_THREAD, key, conv, "in2", "", "");
        snprintf(key, sizeof key, "%d", 100 + c);
        put_big(s, CIB_KIND_TICKET, key, conv, "in2", "", "");
    }
    COMMIT(s);
    for (int pass = 0; pass < 3; pass++) {
        /* 0: committed; 1: inside a transaction that adds a conversation
         * with a key that is not an id (conversations by inbox and status
         * then scan, the others do not); 2: after its rollback. */
        if (pass == 1) {
            BEGIN(s);
            put_conv(s, "x", "in1", "k1", "open");
        }
        if (pass == 2)
            ROLLBACK(s);
        assert_int_equal(find_no_alloc(m, CIB_KIND_MESSAGE, "conversation", "1"), 3);
        assert_int_equal(find_no_alloc(m, CIB_KIND_MESSAGE, "conversation", "99"), 0);
        assert_int_equal(find_no_alloc(m, CIB_KIND_CONVERSATION, "contact", "k1"),
                         pass == 1 ? 2 : 1);
        assert_int_equal(find_no_alloc(m, CIB_KIND_DEDUP, "inbox", "in1"), 1);
        assert_int_equal(find_no_alloc(m, CIB_KIND_THREAD, "inbox", "in1"), 1);
        assert_int_equal(find_no_alloc(m, CIB_KIND_TICKET, "inbox", "in1"), 1);
        if (pass != 1) {
            assert_int_equal(find_no_alloc(m, CIB_KIND_CONVERSATION, "inbox", "in1"), 1);
            assert_int_equal(find_no_alloc(m, CIB_KIND_CONVERSATION, "inbox", "in3"), 0);
            assert_int_equal(find_no_alloc(m, CIB_KIND_MESSAGE, "inbox", "in1"), 3);
        }
        /* The check sees visits: a big row handed over needs its block. */
        long count = m->fa.count;
        m->fa.fail_at = count;
        keys k = {"", CIB_KIND_MESSAGE, 0, 0};
        assert_int_equal(
            s->find(s->user_data, CIB_KIND_MESSAGE, "conversation", "7", 1, keys_cb, &k),
            CIB_ENOMEM);
        m->fa.fail_at = -1;
        assert_int_equal(k.calls, 0);
        assert_int_equal(m->fa.count, count + 1);
        /* ... and every row of the answer is there. */
        assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "conversation", "7"), 10);
        assert_int_equal(expect_find(s, CIB_KIND_MESSAGE, "inbox", "in2"), 300);
        assert_int_equal(expect_find(s, CIB_KIND_CONVERSATION, "status", "open"),
                         pass == 1 ? 17 : 16);
        assert_int_equal(expect_find(s, CIB_KIND_CONVERSATION, "inbox", "in1"), pass == 1 ? 2 : 1);
    }
    counted_store_close(m);
}

/* ---- allocation failure ---- */

/* Fail the 1st, 2nd, ... allocation of put(row) inside a transaction: each
 * failure returns CIB_ENOMEM and leaves find()'s answers as they were, also
 * before the rollback; then the put succeeds and is rolled back. */
static long sweep(counted_store *m, const cib_row *row)
{
    cib_store *s = &m->s;
    long n;
    for (n = 0;; n++) {
        assert_true(n < 100);
        char *before = store_dump(s);
        long live = m->fa.live;
        BEGIN(s);
        m->fa.fail_at = m->fa.count + n;
        long failed = m->fa.failed;
        int rc = s->put(s->user_data, row);
        m->fa.fail_at = -1;
        if (rc == CIB_OK) {
            assert_int_equal(m->fa.failed, failed);
            find_all(s);
            ROLLBACK(s);
            find_all(s);
            free(before);
            break;
        }
        assert_int_equal(rc, CIB_ENOMEM);
        char *inside = store_dump(s);
        assert_string_equal(before, inside);
        free(inside);
        find_all(s);
        ROLLBACK(s);
        find_all(s);
        char *after = store_dump(s);
        assert_string_equal(before, after);
        free(after);
        free(before);
        /* A group made for the row is freed with the rollback (the journal
         * has its room from earlier transactions). */
        assert_int_equal(m->fa.live, live);
    }
    return n;
}

static void test_put_allocation_failure_keeps_find_R_HOST_1(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    setup(s);
    long total = 0;
    /* The first message of each new conversation, committed one after
     * another: a group per conversation, and the
     * table of groups grows on the way. */
    for (int c = 20; c < 60; c++) {
        char key[16], conv[16];
        snprintf(key, sizeof key, "%d", 5000 + c);
        snprintf(conv, sizeof conv, "%d", c);
        cib_field f[] = {ftext("conversation", conv), ftext("inbox", "in1"), ftext("text", "hi")};
        cib_row r = mkrow(CIB_KIND_MESSAGE, key, f, 3);
        BEGIN(s);
        put_conv(s, conv, "in1", "k1", "open");
        COMMIT(s);
        total += sweep(m, &r);
        BEGIN(s);
        PUT(s, &r);
        COMMIT(s);
    }
    assert_true(total >= 80); /* the group and the row, at least */
    BEGIN(s);
    put_conv(s, "77", "in1", "k1", "open");
    COMMIT(s);
    find_all(s);
    /* A message moved to another conversation, new and existing. */
    cib_field f[] = {ftext("conversation", "77"), ftext("inbox", "in1"), ftext("text", "hi")};
    cib_row r = mkrow(CIB_KIND_MESSAGE, "1000", f, 3);
    assert_true(sweep(m, &r) >= 2);
    f[0] = ftext("conversation", "4");
    assert_true(sweep(m, &r) >= 1);
    /* A conversation with a new contact. */
    cib_field cf[] = {ftext("inbox", "in1"), ftext("channel", "ch"), ftext("contact", "k77"),
                      ftext("status", "open")};
    r = mkrow(CIB_KIND_CONVERSATION, "2", cf, 4);
    assert_true(sweep(m, &r) >= 2);
    r = mkrow(CIB_KIND_CONVERSATION, "88", cf, 4);
    assert_true(sweep(m, &r) >= 2);
    counted_store_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_after_rollback_and_commit_R_HOST_1),
        cmocka_unit_test(test_find_visits_only_its_rows_R_HOST_1),
        cmocka_unit_test(test_put_allocation_failure_keeps_find_R_HOST_1),
    };
    return TENV_RUN(tests);
}
