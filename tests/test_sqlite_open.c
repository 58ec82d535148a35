/* test_sqlite_open.c - libconvinbox-sqlite: creating vs opening (R-HOST-1).
 * An account is created only with CIB_SQLITE_CREATE; a file whose account
 * is lost is refused, never taken for a new one; commits are synced by
 * default (FULL), and a new account is synced in NORMAL too. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/faultvfs.h"
#include "support/sqlitetest.h"

static void exec_sql(const char *path, const char *sql)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        fail_msg("%s: %s", sql, err);
    sqlite3_close(db);
}

static int open_with(const char *path, int flags, cib_store *st, char *err, size_t size)
{
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.flags = flags;
    return cib_sqlite_open(path, &so, st, err, size);
}

/* A context on the store: its account, created or loaded. */
static void with_account(cib_store *st)
{
    cib_options o = CIB_OPTIONS_INIT;
    o.store = st;
    char err[512];
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    cib_ctx *ctx;
    if (cib_ctx_new(&o, &ctx) != CIB_OK)
        fail_msg("cib_ctx_new: %s", err);
    cib_ctx_free(ctx);
    st->close(st->user_data);
}

static long long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) ? -1 : (long long)sb.st_size;
}

static void expect_refused(const char *path, int flags, const char *needle)
{
    cib_store st;
    char err[512] = "";
    int rc = open_with(path, flags, &st, err, sizeof err);
    if (rc != CIB_ESTORAGE || !strstr(err, needle))
        fail_msg("open '%s' (flags %d): want storage with '%s', got %s: %s", path, flags, needle,
                 cib_status_name(rc), err);
}

/* R-HOST-1: without CIB_SQLITE_CREATE, nothing is created: a missing file,
 * an empty one, a schema without an account are refused; with it they
 * become a new account, and an existing one opens as without it. */
static void test_create_is_explicit_R_HOST_1(void **state)
{
    (void)state;
    char path[420];
    snprintf(path, sizeof path, "%s", sqlitetest_path());
    expect_refused(path, 0, "pass CIB_SQLITE_CREATE");
    assert_int_equal(file_size(path), -1);
    /* An empty file (a host's touch): no schema. */
    FILE *f = fopen(path, "wb");
    fclose(f);
    expect_refused(path, 0, "holds no convinbox schema (pass CIB_SQLITE_CREATE");
    assert_int_equal(file_size(path), 0);
    /* The schema, and no account yet (a host stopped before its first
     * context). */
    cib_store st;
    char err[512];
    assert_int_equal(open_with(path, CIB_SQLITE_CREATE, &st, err, sizeof err), CIB_OK);
    st.close(st.user_data);
    expect_refused(path, 0, "holds no account yet (pass CIB_SQLITE_CREATE");
    assert_int_equal(open_with(path, CIB_SQLITE_CREATE, &st, err, sizeof err), CIB_OK);
    with_account(&st);
    /* Now it opens either way. */
    assert_int_equal(open_with(path, 0, &st, err, sizeof err), CIB_OK);
    with_account(&st);
    assert_int_equal(open_with(path, CIB_SQLITE_CREATE, &st, err, sizeof err), CIB_OK);
    with_account(&st);
    /* The old must_exist bit, and others, are refused as arguments. */
    assert_int_equal(open_with(path, 1, &st, err, sizeof err), CIB_EINVAL);
    assert_non_null(strstr(err, "'opts->flags'"));
    assert_int_equal(open_with(path, 0x100, &st, err, sizeof err), CIB_EINVAL);
}

/* R-HOST-1: a file that lost its account is refused with a reason, with or
 * without CIB_SQLITE_CREATE, and left as it is. */
static void test_lost_account_refused_R_HOST_1(void **state)
{
    (void)state;
    char path[420], side[440];
    snprintf(path, sizeof path, "%s", sqlitetest_path());
    cib_store st;
    char err[512];
    assert_int_equal(open_with(path, CIB_SQLITE_CREATE, &st, err, sizeof err), CIB_OK);
    with_account(&st);
    /* The account row is gone (the rest of the file rolled back, or
     * deleted): refused, not a fresh account. */
    exec_sql(path, "DELETE FROM account");
    expect_refused(path, 0, "its account is gone");
    expect_refused(path, CIB_SQLITE_CREATE, "its account is gone");
    /* The main file is lost and its WAL is still there. */
    snprintf(path, sizeof path, "%s", sqlitetest_path());
    snprintf(side, sizeof side, "%s-wal", path);
    FILE *f = fopen(side, "wb");
    fputs("frames of a database that is gone", f);
    fclose(f);
    expect_refused(path, CIB_SQLITE_CREATE, "is missing but");
    assert_int_equal(file_size(path), -1);
    /* ... or emptied. */
    f = fopen(path, "wb");
    fclose(f);
    expect_refused(path, CIB_SQLITE_CREATE, "is empty but");
    assert_int_equal(file_size(path), 0);
    unlink(side);
    /* A rollback journal left beside an empty file: the same. */
    snprintf(side, sizeof side, "%s-journal", path);
    f = fopen(side, "wb");
    fputs("x", f);
    fclose(f);
    expect_refused(path, CIB_SQLITE_CREATE, "-journal' is not");
    unlink(side);
    /* An account written before the marker existed opens, and is marked. */
    snprintf(path, sizeof path, "%s", sqlitetest_path());
    assert_int_equal(open_with(path, CIB_SQLITE_CREATE, &st, err, sizeof err), CIB_OK);
    with_account(&st);
    exec_sql(path, "DELETE FROM convinbox_meta WHERE key = 'account'");
    assert_int_equal(open_with(path, 0, &st, err, sizeof err), CIB_OK);
    with_account(&st);
    exec_sql(path, "DELETE FROM account");
    expect_refused(path, 0, "its account is gone");
}

/* Syncs of the WAL while op runs on a store opened with `sync`. */
static long syncs_of(const char *path, int sync, int flags, int (*op)(cib_ctx *ctx))
{
    faultvfs_register();
    faultvfs_reset();
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.synchronous = sync; /* 0: the default */
    so.vfs = "faultvfs";
    so.flags = flags;
    cib_store st;
    char err[512];
    if (cib_sqlite_open(path, &so, &st, err, sizeof err) != CIB_OK)
        fail_msg("cib_sqlite_open: %s", err);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    cib_ctx *ctx;
    faultvfs_arm(FAULTVFS_SYNC, 1L << 40, SQLITE_IOERR_FSYNC); /* counts, never fails */
    long n = -1;
    if (!op) {
        assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
        n = faultvfs_calls();
    } else {
        assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
        /* The first commit into a new WAL syncs its header in any mode:
         * count from the second. */
        cib_team_def t = CIB_TEAM_DEF_INIT;
        t.id = "warm-up";
        assert_int_equal(cib_team_add(ctx, &t), CIB_OK);
        faultvfs_arm(FAULTVFS_SYNC, 1L << 40, SQLITE_IOERR_FSYNC);
        assert_int_equal(op(ctx), CIB_OK);
        n = faultvfs_calls();
    }
    faultvfs_disarm();
    cib_ctx_free(ctx);
    st.close(st.user_data);
    return n;
}

static int op_add_user(cib_ctx *ctx)
{
    cib_user_def u = CIB_USER_DEF_INIT;
    u.id = "alice";
    u.name = "Alice";
    return cib_user_add(ctx, &u);
}

/* R-HOST-1: by default every commit syncs the WAL (FULL); with NORMAL a
 * commit does not, except the one that creates the account. */
static void test_full_by_default_R_HOST_1(void **state)
{
    (void)state;
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    assert_int_equal(so.synchronous, CIB_SQLITE_FULL);
    char path[420];
    snprintf(path, sizeof path, "%s", sqlitetest_path());
    /* Default options (synchronous 0 and INIT alike): the account's commit
     * and a user's are synced. */
    assert_true(syncs_of(path, 0, CIB_SQLITE_CREATE, NULL) >= 1);
    assert_true(syncs_of(path, 0, 0, op_add_user) >= 1);
    /* NORMAL: creating the account is synced, a later commit is not. */
    snprintf(path, sizeof path, "%s", sqlitetest_path());
    assert_true(syncs_of(path, CIB_SQLITE_NORMAL, CIB_SQLITE_CREATE, NULL) >= 1);
    assert_int_equal(syncs_of(path, CIB_SQLITE_NORMAL, 0, op_add_user), 0);
}

/* R-HOST-1: creating the account fails at each write or sync of its
 * commit: cib_ctx_new() fails, the file holds no account (refused without
 * CIB_SQLITE_CREATE), and the next attempt creates it, marked. */
static void test_account_creation_faults_R_HOST_1(void **state)
{
    (void)state;
    const int kinds[] = {FAULTVFS_WRITE, FAULTVFS_SYNC};
    faultvfs_register();
    for (size_t k = 0; k < 2; k++) {
        long n;
        for (n = 1;; n++) {
            assert_true(n < 1000);
            char path[420];
            snprintf(path, sizeof path, "%s", sqlitetest_path());
            faultvfs_reset();
            cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
            so.vfs = "faultvfs";
            so.flags = CIB_SQLITE_CREATE;
            cib_store st;
            char err[512];
            assert_int_equal(cib_sqlite_open(path, &so, &st, err, sizeof err), CIB_OK);
            cib_options o = CIB_OPTIONS_INIT;
            o.store = &st;
            o.error_buffer = err;
            o.error_buffer_size = sizeof err;
            cib_ctx *ctx = NULL;
            faultvfs_arm(kinds[k], n,
                         kinds[k] == FAULTVFS_SYNC ? SQLITE_IOERR_FSYNC : SQLITE_IOERR_WRITE);
            int rc = cib_ctx_new(&o, &ctx);
            long fired = faultvfs_disarm();
            if (!fired) {
                assert_int_equal(rc, CIB_OK);
                cib_ctx_free(ctx);
                st.close(st.user_data);
                break;
            }
            if (rc != CIB_ESTORAGE || ctx)
                fail_msg("fault %zu at %ld: cib_ctx_new: %s (%s)", k, n, cib_status_name(rc), err);
            /* Nothing of the account is in the file. */
            cib_store other;
            char why[512];
            assert_int_equal(open_with(path, 0, &other, why, sizeof why), CIB_ESTORAGE);
            assert_non_null(strstr(why, "holds no account yet"));
            /* The next attempt on the same store creates it, marked. */
            assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
            cib_ctx_free(ctx);
            st.close(st.user_data);
            sqlite3 *db;
            assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
            sqlite3_stmt *q;
            assert_int_equal(sqlite3_prepare_v2(db,
                                                "SELECT count(*) FROM convinbox_meta WHERE key = "
                                                "'account'",
                                                -1, &q, NULL),
                             SQLITE_OK);
            assert_int_equal(sqlite3_step(q), SQLITE_ROW);
            assert_int_equal(sqlite3_column_int(q, 0), 1);
            sqlite3_finalize(q);
            sqlite3_close(db);
            assert_int_equal(open_with(path, 0, &st, err, sizeof err), CIB_OK);
            with_account(&st);
        }
        assert_true(n > 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_is_explicit_R_HOST_1),
        cmocka_unit_test(test_lost_account_refused_R_HOST_1),
        cmocka_unit_test(test_full_by_default_R_HOST_1),
        cmocka_unit_test(test_account_creation_faults_R_HOST_1),
    };
    int rc = TENV_RUN(tests);
    sqlitetest_cleanup();
    return rc;
}
