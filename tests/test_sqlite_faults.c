/* test_sqlite_faults.c - the storage-failure sweep of the foundation against
 * the SQLite adapter, and SQLITE_BUSY from another connection holding the
 * write lock (R-HOST-1). Failures of SQLite itself injected through the VFS
 * shim (disk full, I/O errors) are in test_sqlite_vfs.c. */
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "support/sqlitefaulttest.h"

static const struct named_op sweep_ops[] = {
    {"new conversation", op_new},
    {"follow-up", op_follow_up},
    {"reply", op_reply},
    {"close handing out", op_close},
    {"status handing out", op_status},
    {"user update", op_user_update},
    {"team update", op_team_update},
    {"channel add", op_channel_add},
    {"inbox delete", op_inbox_delete},
    {"user removal", op_user_remove},
    {"batch", op_batch},
};

/* ---- the foundation's sweep on SQLite ---- */

/* R-HOST-1: every allocation and every vtable call of each operation fails
 * in turn with the SQLite store underneath: each failure returns CIB_ENOMEM
 * or CIB_ESTORAGE and leaves the account and the database as they were;
 * the success survives a new context on the database. */
static void test_sweep_on_sqlite_R_HOST_1(void **state)
{
    (void)state;
    use_defaults();
    tenv_set_store(sqlitetest_open);
    for (size_t i = 0; i < sizeof sweep_ops / sizeof sweep_ops[0]; i++)
        sweep_op(world_setup, sweep_ops[i].op, NULL);
    use_defaults();
}

/* ---- SQLITE_BUSY: another connection holds the write lock ---- */

/* R-HOST-1: while another connection holds the write lock, a store that
 * does not wait fails each mutating call with CIB_ESTORAGE saying the
 * database is locked, and changes nothing; reads still work (WAL); once the
 * lock is released, the same calls succeed. */
static void test_busy_R_HOST_1(void **state)
{
    (void)state;
    use_fault_vfs(CIB_SQLITE_NORMAL, -1);
    tenv *e = tenv_new();
    world_setup(e);
    char *before = tenv_snapshot(e);
    sqlite3 *other = raw_open();
    raw_exec(other, "BEGIN IMMEDIATE");
    const tenv_op ops[] = {op_new, op_reply, op_close, op_user_update, op_batch};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        expect_status(e, ops[i](e->ctx, NULL), CIB_ESTORAGE, "database is locked");
        /* The adapter takes each transaction whole (store.h, version 3):
         * its BEGIN, inside apply(), is what meets the lock. */
        assert_non_null(strstr(cib_errmsg(e->ctx), "storage.apply: begin"));
        expect_unchanged(e, before);
    }
    assert_int_equal(faultvfs_sleeps(), 0); /* it did not wait */
    /* Reads: a closed conversation and views that read closed ones from the
     * database. */
    cib_conversation_info ci = conv_info(e, conv_closed);
    assert_int_equal(ci.status, CIB_STATUS_CLOSED);
    cib_view_def v = CIB_VIEW_DEF_INIT;
    v.inbox = "support";
    v.status = CIB_STATUS_CLOSED;
    uint64_t ids[8];
    size_t n = 0;
    expect_status(e, cib_view(e->ctx, &v, ids, 8, &n, NULL), CIB_OK, NULL);
    assert_int_equal(n, 1);
    assert_true(ids[0] == conv_closed);
    v.status = 0;
    expect_status(e, cib_view(e->ctx, &v, ids, 8, &n, NULL), CIB_OK, NULL);
    assert_int_equal(n, 4);
    /* A new connection and context on the file load the account. */
    char *mine = NULL, *theirs = NULL;
    assert_int_equal(cib_dump(e->ctx, &mine, NULL), CIB_OK);
    cib_store st;
    char err[512];
    cib_options o = reopen_db(&st, err, sizeof err, "opening a second store while locked:");
    cib_ctx *ctx2 = NULL;
    if (cib_ctx_new(&o, &ctx2))
        fail_msg("a second context while locked: %s", err);
    assert_int_equal(cib_dump(ctx2, &theirs, NULL), CIB_OK);
    assert_string_equal(mine, theirs);
    cib_free(ctx2, theirs);
    cib_ctx_free(ctx2);
    st.close(st.user_data);
    cib_free(e->ctx, mine);
    /* Released: the calls go through, one after the other. */
    raw_exec(other, "ROLLBACK");
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        expect_status(e, ops[i](e->ctx, NULL), CIB_OK, NULL);
    /* Locked again in the middle: the account stays as it is now. */
    char *now = tenv_snapshot(e);
    raw_exec(other, "BEGIN IMMEDIATE");
    expect_status(e, op_channel_add(e->ctx, NULL), CIB_ESTORAGE, "database is locked");
    expect_unchanged(e, now);
    raw_exec(other, "COMMIT");
    expect_status(e, op_channel_add(e->ctx, NULL), CIB_OK, NULL);
    sqlite3_close(other);
    char *done = tenv_snapshot(e);
    expect_file_holds(e, done);
    free(done);
    free(now);
    free(before);
    use_defaults();
}

/* R-HOST-1: with a busy timeout, a lock released while the call waits lets
 * it succeed; a lock held past the timeout fails it as above. */
static void test_busy_timeout_R_HOST_1(void **state)
{
    (void)state;
    use_fault_vfs(CIB_SQLITE_NORMAL, 2000);
    tenv *e = tenv_new();
    world_setup(e);
    sqlite3 *other = raw_open();
    raw_exec(other, "BEGIN IMMEDIATE");
    faultvfs_zero_sleeps();
    faultvfs_release_on_sleep(other); /* committed by the first wait */
    expect_status(e, op_new(e->ctx, NULL), CIB_OK, NULL);
    assert_true(faultvfs_sleeps() >= 1);
    assert_null(faultvfs_release_pending());
    assert_int_equal(faultvfs_release_rc(), SQLITE_OK);
    sqlite3_close(other);
    char *done = tenv_snapshot(e);
    expect_file_holds(e, done);
    free(done);

    use_fault_vfs(CIB_SQLITE_NORMAL, 30);
    e = tenv_new();
    world_setup(e);
    char *before = tenv_snapshot(e);
    other = raw_open();
    raw_exec(other, "BEGIN IMMEDIATE");
    faultvfs_zero_sleeps();
    expect_status(e, op_close(e->ctx, NULL), CIB_ESTORAGE, "database is locked");
    assert_true(faultvfs_sleeps() >= 1); /* it waited, in vain */
    expect_unchanged(e, before);
    raw_exec(other, "ROLLBACK");
    sqlite3_close(other);
    expect_status(e, op_close(e->ctx, NULL), CIB_OK, NULL);
    done = tenv_snapshot(e);
    expect_file_holds(e, done);
    free(done);
    free(before);
    use_defaults();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sweep_on_sqlite_R_HOST_1),
        cmocka_unit_test(test_busy_R_HOST_1),
        cmocka_unit_test(test_busy_timeout_R_HOST_1),
    };
    int rc = TENV_RUN(tests);
    sqlitetest_cleanup();
    return rc;
}
