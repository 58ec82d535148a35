/* test_store_faults.c - the built-in in-memory store (cib_memstore_new)
 * under allocation failure: every failing put or del leaves the store as it
 * was (R-HOST-1); and the rows a new account writes to a store can be read
 * back. The helpers are in support/storetest.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/storetest.h"

/* ---- allocation failure ---- */

typedef void (*prewrite_fn)(const cib_store *s);

/*
 * Sweep one put: fail the 1st, 2nd, ... allocation it makes, inside a
 * transaction that `pre` has already written to. Each failure must return
 * CIB_ENOMEM, and after the rollback the store must hold what it held before
 * begin. Ends with the put succeeding. Returns how many failures were
 * injected.
 */
static long sweep_put(counted_store *m, prewrite_fn pre, const cib_row *row)
{
    cib_store *s = &m->s;
    long n;
    for (n = 0;; n++) {
        assert_true(n < 1000);
        char *before = store_dump(s);
        long live = m->fa.live;
        assert_int_equal(s->begin(s->user_data), CIB_OK);
        if (pre)
            pre(s);
        long failed = m->fa.failed;
        m->fa.fail_at = m->fa.count + n;
        int rc = s->put(s->user_data, row);
        m->fa.fail_at = -1;
        int injected = m->fa.failed != failed;
        if (rc == CIB_OK) {
            assert_false(injected); /* a swallowed failure would be a bug */
            got_line g = {0, NULL};
            assert_int_equal(
                s->get(s->user_data, row->kind, row->key, row->key_len, got_line_cb, &g), CIB_OK);
            char *want = row_line(row);
            assert_string_equal(g.line, want);
            free(want);
            free(g.line);
            s->rollback(s->user_data);
            char *after = store_dump(s);
            assert_string_equal(before, after);
            free(before);
            free(after);
            break;
        }
        if (rc != CIB_ENOMEM)
            fail_msg("allocation %ld failed: want CIB_ENOMEM, got %d", n, rc);
        assert_true(injected);
        s->rollback(s->user_data);
        char *after = store_dump(s);
        if (strcmp(before, after) != 0)
            fail_msg("allocation failure %ld changed the store:\n--- before\n%s--- after\n%s", n,
                     before, after);
        /* The journal may have grown; nothing else may stay allocated. */
        assert_true(m->fa.live <= live + 1);
        free(before);
        free(after);
    }
    return n;
}

static void pre_replace_first(const cib_store *s)
{
    assert_int_equal(put_user(s, "k0", "changed"), CIB_OK);
    assert_int_equal(del_user(s, "k1"), CIB_OK);
}

static void pre_fill_journal(const cib_store *s)
{
    char key[16];
    for (int i = 0; i < 16; i++) {
        snprintf(key, sizeof key, "j%d", i);
        assert_int_equal(put_user(s, key, "j"), CIB_OK);
    }
}

static void pre_del_target(const cib_store *s)
{
    assert_int_equal(del_user(s, "k2"), CIB_OK);
}

static void test_put_allocation_sweep_R_HOST_1(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    const char *items[] = {"alice", "bob"};
    cib_field f[] = {ftext("name", "New"), fnull("email"), flist("teams", items, NULL, 2),
                     fint("created_at", 3)};
    char key[16];
    /* A new row, into stores of 0 .. 300 rows (the hash table grows). */
    long total = 0;
    for (int size = 0; size <= 300; size++) {
        snprintf(key, sizeof key, "new%d", size);
        cib_row r = mkrow(CIB_KIND_USER, key, f, 4);
        total += sweep_put(m, size >= 2 ? pre_replace_first : NULL, &r);
        snprintf(key, sizeof key, "k%d", size);
        assert_int_equal(s->begin(s->user_data), CIB_OK);
        assert_int_equal(put_user(s, key, "v"), CIB_OK);
        assert_int_equal(s->commit(s->user_data), CIB_OK);
    }
    assert_true(total >= 301); /* at least the row copy can fail every time */
    assert_int_equal(count_kind(s, CIB_KIND_USER), 301);

    /* Replacing an existing row. */
    cib_row r = mkrow(CIB_KIND_USER, "k5", f, 4);
    assert_true(sweep_put(m, NULL, &r) >= 1);
    /* Writing a row deleted earlier in the transaction. */
    r = mkrow(CIB_KIND_USER, "k2", f, 4);
    assert_true(sweep_put(m, pre_del_target, &r) >= 1);
    /* When the journal is full (16 writes already). */
    r = mkrow(CIB_KIND_USER, "k7", f, 4);
    assert_true(sweep_put(m, pre_fill_journal, &r) >= 1);
    r = mkrow(CIB_KIND_USER, "brand-new", f, 4);
    assert_true(sweep_put(m, pre_fill_journal, &r) >= 1);
    /* The first row of a kind (the kind's table is created). */
    cib_field cf[] = {ftext("email", "x@y.test"), fnull("owner"), fint("created_at", 1)};
    r = mkrow(CIB_KIND_CONTACT, "first", cf, 3);
    assert_true(sweep_put(m, NULL, &r) >= 2);

    /* Unchanged by all of it. */
    expect_user(s, "k5", "v");
    expect_user(s, "k0", "v");
    expect_user(s, "k2", "v");
    expect_user(s, "brand-new", NULL);
    assert_int_equal(count_kind(s, CIB_KIND_CONTACT), 0);
    counted_store_close(m);
}

/* del of an existing row when the journal must grow: failure, then rollback. */
static void test_del_allocation_failure(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    char *before = store_dump(s);
    for (long n = 0;; n++) {
        assert_true(n < 100);
        assert_int_equal(s->begin(s->user_data), CIB_OK);
        pre_fill_journal(s);
        long failed = m->fa.failed;
        m->fa.fail_at = m->fa.count + n;
        int rc = del_user(s, "alice");
        m->fa.fail_at = -1;
        if (rc == CIB_OK) {
            assert_int_equal(m->fa.failed, failed);
            expect_user(s, "alice", NULL);
            s->rollback(s->user_data);
            break;
        }
        assert_int_equal(rc, CIB_ENOMEM);
        s->rollback(s->user_data);
        char *after = store_dump(s);
        assert_string_equal(before, after);
        free(after);
    }
    expect_user(s, "alice", "A");
    free(before);
    counted_store_close(m);
}

/* ---- the ordered index of find_page ---- */

static int page_keys_cb(void *data, const cib_row *row)
{
    char *out = data;
    size_t n = strlen(out);
    snprintf(out + n, 2048 - n, "%.*s,", (int)row->key_len, row->key);
    return 0;
}

/* Every page the store answers for the inboxes and statuses used here. */
static char *pages(const cib_store *s)
{
    static const char *const inboxes[] = {"in1", "in2", "in3"}, *const st[] = {"open", "closed"};
    char *out = calloc(1, 8 * 2048);
    assert_non_null(out);
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 2; k++) {
            char buf[2048] = "";
            cib_match m[2] = {{"inbox", inboxes[i], 3}, {"status", st[k], strlen(st[k])}};
            assert_int_equal(
                s->find_page(s->user_data, CIB_KIND_CONVERSATION, m, 2, 0, 1000, page_keys_cb, buf),
                CIB_OK);
            strcat(out, buf);
            strcat(out, "|");
        }
    return out;
}

static cib_row conv_row(cib_field *f, const char *key, const char *inbox, const char *status)
{
    f[0] = ftext("inbox", inbox);
    f[1] = ftext("channel", "ch");
    f[2] = ftext("status", status);
    f[3] = fint("created_at", 1);
    return mkrow(CIB_KIND_CONVERSATION, key, f, 4);
}

static void pre_conv_changes(const cib_store *s)
{
    cib_field f[4];
    cib_row r = conv_row(f, "3", "in1", "closed"); /* moves between groups */
    assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    assert_int_equal(s->del(s->user_data, CIB_KIND_CONVERSATION, "4", 1), CIB_OK);
    r = conv_row(f, "77", "in2", "closed"); /* a new row in a new group */
    assert_int_equal(s->put(s->user_data, &r), CIB_OK);
}

/* R-HOST-1: a conversation put that fails on any allocation (its group,
 * its block, the journal) leaves the index as it was after the rollback;
 * a rollback moves every node back without allocating; and the groups left
 * empty are freed (close checks that every block is). */
static void test_index_allocation_sweep_R_HOST_1(void **state)
{
    (void)state;
    counted_store *m = memstore_open();
    cib_store *s = &m->s;
    cib_field f[4];
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    for (int i = 1; i <= 20; i++) {
        char key[8];
        snprintf(key, sizeof key, "%d", i);
        cib_row r = conv_row(f, key, i % 2 ? "in1" : "in2", i % 3 ? "open" : "closed");
        assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    }
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    char *before = pages(s);
    const struct {
        const char *key, *inbox, *status;
        prewrite_fn pre;
    } puts[] = {
        {"5", "in1", "closed", NULL},             /* an existing row, another group */
        {"5", "in3", "open", NULL},               /* a group that does not exist yet */
        {"100", "in3", "closed", NULL},           /* a new row, a new group */
        {"101", "in1", "open", pre_conv_changes}, /* after other moves */
        {"3", "in3", "open", pre_conv_changes},   /* a row moved twice */
        {"77", "in3", "closed", pre_conv_changes},
        {"102", "in2", "open", pre_fill_journal},
    };
    for (size_t i = 0; i < sizeof puts / sizeof puts[0]; i++) {
        cib_row r = conv_row(f, puts[i].key, puts[i].inbox, puts[i].status);
        assert_true(sweep_put(m, puts[i].pre, &r) >= 1);
        char *after = pages(s);
        assert_string_equal(before, after);
        free(after);
    }
    /* The same changes committed: the pages follow. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    pre_conv_changes(s);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    char *now = pages(s);
    assert_non_null(strstr(now, "18,77,|"));
    assert_string_not_equal(before, now);
    free(now);
    free(before);
    counted_store_close(m);
}

/* ---- the library's own rows ---- */

/*
 * R-HOST-1: whatever account cib_ctx_new() writes to a store, a context
 * with the same options rebuilds from it. Here with a small id limit: the
 * rows of the default inbox (R-INBOX-1) must be readable under the limit
 * that wrote them.
 */
static void test_account_reopens_under_id_limit_R_HOST_1(void **state)
{
    (void)state;
    const uint32_t limits[] = {7, 8, 12, 15, 16, 17, 255};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        counted_store *m = memstore_open();
        cib_options o = CIB_OPTIONS_INIT;
        o.store = &m->s;
        o.max_id_len = limits[i];
        char err[256] = "";
        o.error_buffer = err;
        o.error_buffer_size = sizeof err;
        cib_ctx *ctx = NULL;
        int rc = cib_ctx_new(&o, &ctx);
        if (limits[i] < 16) {
            /* Too small for the default inbox's own ids: refused up front,
             * and the store is left empty. */
            if (rc != CIB_EINVAL || ctx)
                fail_msg("max_id_len %u: want invalid, got %s", (unsigned)limits[i],
                         cib_status_name(rc));
            o.max_id_len = 0;
            assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
            cib_ctx_free(ctx);
            counted_store_close(m);
            continue;
        }
        if (rc != CIB_OK)
            fail_msg("max_id_len %u: new account: %s: %s", (unsigned)limits[i], cib_status_name(rc),
                     err);
        char *text = NULL;
        assert_int_equal(cib_dump(ctx, &text, NULL), CIB_OK);
        char *dump = strdup(text);
        assert_non_null(dump);
        cib_free(ctx, text);
        cib_ctx_free(ctx);
        ctx = NULL;
        rc = cib_ctx_new(&o, &ctx);
        if (rc != CIB_OK) {
            free(dump);
            counted_store_close(m);
            fail_msg("max_id_len %u: the account cannot be reopened: %s: %s", (unsigned)limits[i],
                     cib_status_name(rc), err);
        }
        char *again = NULL;
        assert_int_equal(cib_dump(ctx, &again, NULL), CIB_OK);
        assert_string_equal(dump, again);
        free(dump);
        cib_free(ctx, again);
        cib_ctx_free(ctx);
        counted_store_close(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_allocation_sweep_R_HOST_1),
        cmocka_unit_test(test_del_allocation_failure),
        cmocka_unit_test(test_index_allocation_sweep_R_HOST_1),
        cmocka_unit_test(test_account_reopens_under_id_limit_R_HOST_1),
    };
    return TENV_RUN(tests);
}
