/* test_sqlite_vfs.c - failures of SQLite itself, injected through the VFS
 * shim of support/faultvfs.h: SQLITE_FULL and I/O errors at each write, sync
 * or read of an operation, reads failing under read-only calls, a disk that
 * stays full, a batch whose reload fails too, and a new context failing to
 * load the account (R-HOST-1). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/sqlitefaulttest.h"

struct fault_kind {
    const char *name;
    int on;             /* enum faultvfs_on */
    int rc;             /* the SQLite result the call fails with */
    int synchronous;    /* CIB_SQLITE_FULL: commits sync the WAL */
    int cold;           /* read with a cold page cache */
    const char *needle; /* in the library's message */
};

/*
 * One attempt: a fresh account on a new file; fail the n-th counted call of
 * op. Returns 0 when op made fewer calls than n (and succeeded), else 1 after
 * checking that it failed cleanly, that it then succeeds, and that the file
 * holds what the context holds.
 */
static int fault_attempt(const struct fault_kind *k, const struct named_op *o, long n)
{
    use_fault_vfs(k->synchronous, 0);
    tenv *e = tenv_new();
    world_setup(e);
    char *before = tenv_snapshot(e);
    if (k->cold)
        make_cache_cold(); /* after the snapshot, which reads every table */
    faultvfs_arm(k->on, n, k->rc);
    int rc = o->op(e->ctx, NULL);
    long fired = faultvfs_disarm();
    if (!fired) {
        if (rc != CIB_OK)
            fail_msg("%s: %s failed with nothing injected: %s (%s)", k->name, o->name,
                     cib_status_name(rc), cib_errmsg(e->ctx));
        char *done = tenv_snapshot(e);
        expect_file_holds(e, done);
        free(done);
        free(before);
        return 0;
    }
    if (rc == CIB_OK)
        fail_msg("%s: call %ld of %s failed, and the operation succeeded", k->name, n, o->name);
    if (rc != CIB_ESTORAGE || !strstr(cib_errmsg(e->ctx), k->needle))
        fail_msg("%s: call %ld of %s: want storage with '%s', got %s (%s)", k->name, n, o->name,
                 k->needle, cib_status_name(rc), cib_errmsg(e->ctx));
    assert_non_null(strstr(cib_errmsg(e->ctx), "storage."));
    char *after = tenv_snapshot(e);
    if (strcmp(before, after) != 0)
        fail_msg("%s: call %ld of %s changed the account:\n--- before\n%s--- after\n%s", k->name, n,
                 o->name, before, after);
    free(after);
    /* Disarmed, the same operation goes through at once. */
    rc = o->op(e->ctx, NULL);
    if (rc != CIB_OK)
        fail_msg("%s: after call %ld of %s failed, the next attempt failed too: %s (%s)", k->name,
                 n, o->name, cib_status_name(rc), cib_errmsg(e->ctx));
    char *done = tenv_snapshot(e);
    assert_string_not_equal(before, done);
    expect_file_holds(e, done);
    free(done);
    free(before);
    return 1;
}

/* Fail the 1st, 2nd, ... counted call of each operation; returns how many
 * failures were injected in all. */
static long fault_sweep(const struct fault_kind *k, const struct named_op *ops, size_t n_ops)
{
    long total = 0;
    for (size_t i = 0; i < n_ops; i++) {
        long n = 1;
        while (fault_attempt(k, &ops[i], n)) {
            assert_true(n < 10000);
            n++;
        }
        if (n == 1)
            fail_msg("%s: %s made no call that could fail", k->name, ops[i].name);
        total += n - 1;
    }
    return total;
}

static const struct named_op fault_ops[] = {
    {"new conversation", op_new},
    {"reply", op_reply},
    {"close handing out", op_close},
    {"batch", op_batch},
    /* Its deletes, then the check that none of its rows is left. */
    {"inbox removal", op_inbox_delete},
};
#define N_FAULT_OPS (sizeof fault_ops / sizeof fault_ops[0])

/* R-HOST-1: the disk fills up at any write of an operation (the WAL's
 * frames at commit): CIB_ESTORAGE saying so, nothing changed, and the next
 * attempt succeeds. */
static void test_disk_full_R_HOST_1(void **state)
{
    (void)state;
    const struct fault_kind k = {"SQLITE_FULL",
                                 FAULTVFS_WRITE,
                                 SQLITE_FULL,
                                 CIB_SQLITE_NORMAL,
                                 0,
                                 "database or disk is full"};
    assert_true(fault_sweep(&k, fault_ops, N_FAULT_OPS) > 0);
    use_defaults();
}

/* R-HOST-1: a failing write, sync or read anywhere in an operation. */
static void test_io_errors_R_HOST_1(void **state)
{
    (void)state;
    const struct fault_kind kinds[] = {
        {"SQLITE_IOERR_WRITE", FAULTVFS_WRITE, SQLITE_IOERR_WRITE, CIB_SQLITE_NORMAL, 0,
         "disk I/O error"},
        /* Only FULL syncs the WAL at each commit. */
        {"SQLITE_IOERR_FSYNC", FAULTVFS_SYNC, SQLITE_IOERR_FSYNC, CIB_SQLITE_FULL, 0,
         "disk I/O error"},
        /* Another connection wrote: every page is read again. */
        {"SQLITE_IOERR_READ", FAULTVFS_READ, SQLITE_IOERR_READ, CIB_SQLITE_NORMAL, 1,
         "disk I/O error"},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        assert_true(fault_sweep(&kinds[i], fault_ops, N_FAULT_OPS) > 0);
    use_defaults();
}

/* Read-only calls that read the database: what each found, as text. */
static int count_message(void *ud, const cib_message_info *m)
{
    (void)m;
    ++*(int *)ud;
    return 0;
}

static int read_closed(cib_ctx *ctx, char *out, size_t size)
{
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    int rc = cib_conversation_get(ctx, NULL, 0, conv_closed, &ci);
    if (rc == CIB_OK)
        snprintf(out, size, "status %d, %u messages, ticket %llu", ci.status,
                 (unsigned)ci.n_messages, (unsigned long long)ci.ticket);
    return rc;
}

static int read_view(cib_ctx *ctx, char *out, size_t size)
{
    cib_view_def v = CIB_VIEW_DEF_INIT;
    v.user = "bob";
    v.inbox = "support";
    v.status = CIB_STATUS_CLOSED;
    uint64_t ids[8];
    size_t n = 0;
    int rc = cib_view(ctx, &v, ids, 8, &n, NULL);
    if (rc == CIB_OK)
        snprintf(out, size, "%zu: %llu", n, n ? (unsigned long long)ids[0] : 0ULL);
    return rc;
}

static int read_messages(cib_ctx *ctx, char *out, size_t size)
{
    int n = 0;
    int rc = cib_conversation_messages(ctx, "bob", CIB_NTS, conv_closed, count_message, &n);
    if (rc == CIB_OK)
        snprintf(out, size, "%d messages", n);
    return rc;
}

typedef int (*read_fn)(cib_ctx *ctx, char *out, size_t size);

/* R-HOST-1: a read of the database that fails (a cold cache: another
 * connection wrote) fails the read-only call with CIB_ESTORAGE, changes
 * nothing, and the next call reads the same as before. */
static void test_read_errors_R_HOST_1(void **state)
{
    (void)state;
    use_fault_vfs(CIB_SQLITE_NORMAL, 0);
    tenv *e = tenv_new();
    world_setup(e);
    char *before = tenv_snapshot(e);
    const read_fn reads[] = {read_closed, read_view, read_messages};
    for (size_t i = 0; i < sizeof reads / sizeof reads[0]; i++) {
        char want[128], got[128];
        make_cache_cold();
        expect_status(e, reads[i](e->ctx, want, sizeof want), CIB_OK, NULL);
        long n;
        for (n = 1;; n++) {
            assert_true(n < 1000);
            make_cache_cold();
            faultvfs_arm(FAULTVFS_READ, n, SQLITE_IOERR_READ);
            int rc = reads[i](e->ctx, got, sizeof got);
            long fired = faultvfs_disarm();
            if (!fired) {
                expect_status(e, rc, CIB_OK, NULL);
                assert_string_equal(got, want);
                break;
            }
            expect_status(e, rc, CIB_ESTORAGE, "disk I/O error");
            expect_unchanged(e, before);
            expect_status(e, reads[i](e->ctx, got, sizeof got), CIB_OK, NULL);
            assert_string_equal(got, want);
        }
        assert_true(n > 1); /* it did read the file */
    }
    expect_file_holds(e, before);
    free(before);
    use_defaults();
}

/* R-HOST-1: while the disk stays full every mutating call fails, changes
 * nothing, and reads go on; once there is room, they all succeed. */
static void test_disk_stays_full_R_HOST_1(void **state)
{
    (void)state;
    use_fault_vfs(CIB_SQLITE_NORMAL, 0);
    tenv *e = tenv_new();
    world_setup(e);
    char *before = tenv_snapshot(e);
    const tenv_op ops[] = {op_new,         op_follow_up,    op_reply,       op_close,
                           op_channel_add, op_inbox_delete, op_user_remove, op_batch};
    const size_t n_ops = sizeof ops / sizeof ops[0];
    faultvfs_arm_sticky(FAULTVFS_WRITE, 1, SQLITE_FULL);
    for (int round = 0; round < 2; round++) {
        for (size_t i = 0; i < n_ops; i++) {
            expect_status(e, ops[i](e->ctx, NULL), CIB_ESTORAGE, "database or disk is full");
            expect_unchanged(e, before);
        }
    }
    assert_true(faultvfs_fired() >= (long)(2 * n_ops));
    assert_int_equal(conv_info(e, conv_closed).status, CIB_STATUS_CLOSED);
    faultvfs_disarm();
    for (size_t i = 0; i < n_ops; i++)
        expect_status(e, ops[i](e->ctx, NULL), CIB_OK, NULL);
    char *done = tenv_snapshot(e);
    expect_file_holds(e, done);
    free(done);
    free(before);
    use_defaults();
}

/* R-HOST-1: a batch fails on a read, and every read after it fails too: the
 * batch is undone in memory from its log (nothing is read back), the
 * context works again once the disk does, and the file holds what the
 * context holds. Reads fail from the 1st, 2nd, ... on (from the 1st: the
 * batch cannot even begin). */
static void test_batch_undone_while_reads_fail_R_HOST_1(void **state)
{
    (void)state;
    use_fault_vfs(CIB_SQLITE_NORMAL, 0);
    int undone = 0;
    for (long at = 1;; at++) {
        assert_true(at < 1000);
        tenv *e = tenv_new();
        world_setup(e);
        char *before = tenv_snapshot(e);
        make_cache_cold();
        faultvfs_arm_sticky(FAULTVFS_READ, at, SQLITE_IOERR_READ);
        int rc = op_batch(e->ctx, NULL);
        long fired = faultvfs_disarm();
        if (!fired) {
            expect_status(e, rc, CIB_OK, NULL);
            tenv_free(e);
            remove_db();
            free(before);
            break;
        }
        expect_status(e, rc, CIB_ESTORAGE, "disk I/O error");
        /* Undone from the log, not read back: memory is as it was, and the
         * context works again now that the disk reads. */
        expect_unchanged(e, before);
        if (!strstr(cib_errmsg(e->ctx), "storage.begin"))
            undone++;
        expect_status(e, op_batch(e->ctx, NULL), CIB_OK, NULL);
        char *done = tenv_snapshot(e);
        expect_file_holds(e, done); /* frees e and the file */
        free(done);
        free(before);
    }
    assert_true(undone > 0);
    use_defaults();
}

/* R-HOST-1: a read that fails while a new context loads the account from
 * the file fails cib_ctx_new() with CIB_ESTORAGE and the reason, leaving no
 * context; otherwise the context loads the account exactly. */
static void test_load_errors_R_HOST_1(void **state)
{
    (void)state;
    use_fault_vfs(CIB_SQLITE_NORMAL, 0);
    tenv *e = tenv_new();
    world_setup(e);
    char *dump = NULL;
    assert_int_equal(cib_dump(e->ctx, &dump, NULL), CIB_OK);
    char *want = strdup(dump);
    assert_non_null(want);
    cib_free(e->ctx, dump);
    tenv_free(e);
    long n;
    for (n = 1;; n++) {
        assert_true(n < 1000);
        cib_store st;
        char err[512] = "";
        cib_options o = reopen_db(&st, err, sizeof err, "reopening");
        cib_ctx *ctx = NULL;
        faultvfs_arm(FAULTVFS_READ, n, SQLITE_IOERR_READ);
        int rc = cib_ctx_new(&o, &ctx);
        long fired = faultvfs_disarm();
        if (fired) {
            if (rc != CIB_ESTORAGE || ctx || !strstr(err, "disk I/O error"))
                fail_msg("read %ld failed: want storage, got %s (%s)", n, cib_status_name(rc), err);
            st.close(st.user_data);
            continue;
        }
        assert_int_equal(rc, CIB_OK);
        assert_int_equal(cib_dump(ctx, &dump, NULL), CIB_OK);
        assert_string_equal(dump, want);
        cib_free(ctx, dump);
        cib_ctx_free(ctx);
        st.close(st.user_data);
        break;
    }
    assert_true(n > 1);
    free(want);
    remove_db();
    use_defaults();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_disk_full_R_HOST_1),
        cmocka_unit_test(test_io_errors_R_HOST_1),
        cmocka_unit_test(test_read_errors_R_HOST_1),
        cmocka_unit_test(test_disk_stays_full_R_HOST_1),
        cmocka_unit_test(test_batch_undone_while_reads_fail_R_HOST_1),
        cmocka_unit_test(test_load_errors_R_HOST_1),
    };
    int rc = TENV_RUN(tests);
    sqlitetest_cleanup();
    return rc;
}
