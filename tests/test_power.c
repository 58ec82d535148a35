/*
 * test_power.c - libconvinbox-sqlite and power loss (R-HOST-1).
 *
 * A child process runs the crash test's stream (support/crashchild.c:
 * ingests, batches, replies, comments, closes, assignments, inbox creation)
 * on the database through the VFS shim of support/powervfs.h, which cuts
 * the power at a chosen write, sync, truncation or deletion: every write
 * since its file's last sync is dropped, kept or torn, a creation or
 * deletion the directory never synced may be undone, and the child is gone.
 * The parent reopens the file and checks it as after a kill
 * (support/crashcheck.c), then the next child continues the stream.
 *
 * With synchronous FULL (the default) every call that returned CIB_OK must
 * be there exactly once, nothing half-applied, and the account loads. With
 * NORMAL (the opt-in) the same, except that calls acknowledged since the
 * last check may be lost: the test counts them and prints the count.
 *
 * A new database losing power anywhere in its first calls (creating the
 * file, its schema, the account, its first inboxes) is either refused on
 * reopen, with a message, or holds everything that was acknowledged; once
 * cib_ctx_new() returned, it is never refused, and never a fresh account.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "support/crashcheck.h"
#include "support/crashchild.h"
#include "support/powervfs.h"
#include "support/sqlitetest.h"

static uint64_t rng_next(uint64_t *rng)
{
    *rng = mix64(*rng);
    return *rng;
}

/* Everything the child wrote to fd, NUL-terminated. */
static char *read_all(int fd, size_t *n)
{
    size_t cap = 65536;
    char *p = malloc(cap);
    assert_non_null(p);
    *n = 0;
    for (;;) {
        if (cap - *n < 4096) {
            cap *= 2;
            p = realloc(p, cap);
            assert_non_null(p);
        }
        ssize_t r = read(fd, p + *n, cap - *n - 1);
        if (r < 0 && errno == EINTR)
            continue;
        assert_true(r >= 0);
        if (r == 0)
            break;
        *n += (size_t)r;
    }
    p[*n] = '\0';
    return p;
}

/* Fork a child that runs fn(arg, fd) with the power cut at the at-th
 * counted call; returns its records (free them) and whether the power was
 * cut (0: the child finished). */
static char *run_child(void (*fn)(void *arg, int fd), void *arg, long at, uint64_t seed, size_t *n,
                       int *cut)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        powervfs_register();
        powervfs_arm(at, seed);
        fn(arg, fds[1]);
        _exit(0);
    }
    close(fds[1]);
    char *text = read_all(fds[0], n);
    close(fds[0]);
    int status;
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    assert_int_equal(w, pid);
    if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != POWERVFS_EXIT))
        fail_msg("the child ended with status %d; its records:\n%s", status, text);
    *cut = WEXITSTATUS(status) == POWERVFS_EXIT;
    return text;
}

/* ---- a run of the stream ---- */

static void stream_child(void *arg, int fd)
{
    const crashrun *cr = arg;
    child_main(cr->path, cr->sync, "powervfs", cr->start, fd);
}

static void run_power(const char *label, int sync, long losses, long max_at, uint64_t seed)
{
    crashrun *cr = calloc(1, sizeof *cr);
    assert_non_null(cr);
    cr->label = label;
    cr->sync = sync;
    cr->lossy = sync == CIB_SQLITE_NORMAL;
    cr->rng = seed;
    /* The parent's own opens through the shim, never cut: they skip the
     * real syncs (only the child's disk is simulated; what the parent
     * leaves is what the next child starts from). */
    powervfs_register();
    powervfs_arm(0, 1);
    cr->vfs = "powervfs";
    snprintf(cr->path, sizeof cr->path, "%s", sqlitetest_path());
    cr->flags = calloc(STREAM_LEN, 1);
    cr->count = calloc(STREAM_LEN, 1);
    cr->dedup = calloc(STREAM_LEN, 1);
    cr->stored = calloc(STREAM_LEN, sizeof *cr->stored);
    cr->reported = calloc(STREAM_LEN, sizeof *cr->reported);
    cr->cur = calloc(STREAM_LEN, sizeof *cr->cur);
    assert_true(cr->flags && cr->count && cr->dedup && cr->stored && cr->reported && cr->cur);
    crash_create_account(cr);
    long cuts = 0, in_call = 0, calls = 0, rounds_lossless = 0;
    while (cuts < losses) {
        uint64_t r = rng_next(&cr->rng);
        /* Mostly cuts after tens of calls (up to max_at counted calls:
         * NORMAL needs runs past a checkpoint, every 1,000 pages); some in
         * the first few (opening the database recovers what the last cut
         * left). */
        long at = r % 8 == 0 ? 1 + (long)((r >> 8) % 40) : 40 + (long)((r >> 8) % (uint64_t)max_at);
        cr->start = cr->next;
        size_t n;
        int cut;
        char *text = run_child(stream_child, cr, at, r >> 3, &n, &cut);
        crash_take_records(cr, text, n);
        free(text);
        if (!cut)
            fail_msg("%s: the child finished the stream before the power was cut", label);
        cuts++;
        in_call += cr->in_call;
        calls += (long)cr->n_round;
        crash_verify(cr);
        rounds_lossless += cr->lost_round == 0;
    }
    fprintf(stderr,
            "# %s: %ld power losses (%ld during a call), %ld messages stored, %ld reported "
            "in all, %ld batches cut short, %ld replies and comments, %ld inboxes, %ld closes\n",
            label, cuts, in_call, cr->stored_msgs, calls, cr->in_call_batches, cr->replies,
            cr->inboxes_made, cr->closes_made);
    if (cr->lossy)
        fprintf(stderr,
                "# %s: acknowledged calls lost per power loss: at most %ld, %.1f on average "
                "(%ld in all); %ld of %ld losses lost nothing\n",
                label, cr->lost_max, (double)cr->lost_total / (double)cuts, cr->lost_total,
                rounds_lossless, cuts);
    /* The cuts hit calls at work, in a database with messages, of every
     * kind of call. */
    assert_true(in_call > 0);
    assert_true(cr->stored_msgs > 0);
    assert_true(cr->in_call_batches > 0);
    assert_true(cr->replies > 0 && cr->inboxes_made > 0 && cr->closes_made > 0);
    free(cr->flags);
    free(cr->count);
    free(cr->dedup);
    free(cr->stored);
    free(cr->reported);
    free(cr->cur);
    free(cr->acts);
    free(cr->inboxes);
    free(cr->closes);
    free(cr->round_pos);
    free(cr->round_started);
    free(cr);
}

/* R-HOST-1: synchronous FULL, the default: nothing acknowledged is lost. */
static void test_power_loss_full_loses_nothing_R_HOST_1(void **state)
{
    (void)state;
    run_power("full", CIB_SQLITE_FULL, 200, 600, 0x70e7c0deULL);
}

/* R-HOST-1: synchronous NORMAL: consistent after every loss; what it loses
 * is measured. */
static void test_power_loss_normal_measured_R_HOST_1(void **state)
{
    (void)state;
    run_power("normal", CIB_SQLITE_NORMAL, 60, 4000, 0xabad1deaULL);
}

/* ---- a new database ---- */

/* The child's clock: the account it creates has this created_at. */
#define CHILD_EPOCH_MS 1767571200000LL

static int64_t child_clock(void *ud)
{
    (void)ud;
    return CHILD_EPOCH_MS;
}

typedef struct newdb {
    char path[420];
    int sync;
} newdb;

/* Create the database and its account, then 20 inboxes, or until the power
 * goes; "opened CALLS", "ready CALLS", "inbox N" after each call returned
 * (CALLS: the shim's counted calls so far). */
static void newdb_child(void *arg, int fd)
{
    const newdb *d = arg;
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.synchronous = d->sync;
    so.vfs = "powervfs";
    so.flags = CIB_SQLITE_CREATE;
    cib_store st;
    char err[512];
    if (cib_sqlite_open(d->path, &so, &st, err, sizeof err) != CIB_OK) {
        dprintf(fd, "err %s\n", err);
        _exit(3);
    }
    dprintf(fd, "opened %ld\n", powervfs_calls());
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    o.clock = child_clock;
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    cib_ctx *ctx;
    if (cib_ctx_new(&o, &ctx) != CIB_OK) {
        dprintf(fd, "err %s\n", err);
        _exit(3);
    }
    dprintf(fd, "ready %ld\n", powervfs_calls());
    for (int i = 0; i < 20; i++) {
        char id[16];
        snprintf(id, sizeof id, "x%d", i);
        cib_inbox_def ib = CIB_INBOX_DEF_INIT;
        ib.id = id;
        ib.name = id;
        if (cib_inbox_add(ctx, &ib) != CIB_OK) {
            dprintf(fd, "err %s\n", cib_errmsg(ctx));
            _exit(3);
        }
        dprintf(fd, "inbox %d\n", i);
    }
    cib_ctx_free(ctx);
    st.close(st.user_data);
}

static void remove_files(const char *path)
{
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < 4; i++) {
        char f[512];
        snprintf(f, sizeof f, "%s%s", path, suffixes[i]);
        unlink(f);
    }
}

static void run_new_databases(const char *label, int sync, uint64_t seed)
{
    long refused = 0, loaded = 0, lost_inboxes = 0, unacked_refused = 0;
    /* How many counted calls the whole run makes, uncut. */
    newdb d;
    snprintf(d.path, sizeof d.path, "%s", sqlitetest_path());
    d.sync = sync;
    size_t n;
    int cut;
    char *text = run_child(newdb_child, &d, 0, 1, &n, &cut);
    assert_false(cut);
    const char *ready_at = strstr(text, "ready ");
    assert_non_null(ready_at);
    long ready_calls = strtol(ready_at + 6, NULL, 10);
    free(text);
    remove_files(d.path);
    long total = 0;
    int rounds = (int)ready_calls + 40;
    for (int round = 0; round < rounds; round++) {
        snprintf(d.path, sizeof d.path, "%s", sqlitetest_path());
        uint64_t r = mix64(seed + (uint64_t)round);
        long at = 1 + round; /* every point up to the account, and 40 after */
        text = run_child(newdb_child, &d, at, r, &n, &cut);
        total++;
        if (!cut)
            fail_msg("%s: cut at %ld: the child finished first", label, at);
        if (strstr(text, "err "))
            fail_msg("%s: cut at %ld: the child failed: %s", label, at, text);
        int opened = strstr(text, "opened ") != NULL, ready = strstr(text, "ready ") != NULL;
        int inboxes = 0;
        for (const char *p = text; (p = strstr(p, "inbox ")); p++)
            inboxes++;
        free(text);
        /* Reopened as a host would: without CIB_SQLITE_CREATE. */
        cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
        so.synchronous = sync;
        cib_store st;
        char err[512] = "";
        int rc = cib_sqlite_open(d.path, &so, &st, err, sizeof err);
        cib_ctx *ctx = NULL;
        if (rc == CIB_OK) {
            cib_options o = CIB_OPTIONS_INIT;
            o.store = &st;
            o.error_buffer = err;
            o.error_buffer_size = sizeof err;
            rc = cib_ctx_new(&o, &ctx);
            if (rc != CIB_OK)
                st.close(st.user_data);
        }
        if (rc != CIB_OK) {
            if (ready)
                fail_msg("%s: cut at %ld after cib_ctx_new() returned: reopening refused: %s",
                         label, at, err);
            if (!strstr(err, "refusing") && !strstr(err, "cannot open"))
                fail_msg("%s: cut at %ld: refused without saying why: %s", label, at, err);
            refused++;
            unacked_refused += !opened;
            remove_files(d.path);
            continue;
        }
        /* It loaded: then it is the child's account (its created_at), not
         * a fresh one made now. */
        loaded++;
        char *dump = NULL;
        assert_int_equal(cib_dump(ctx, &dump, NULL), CIB_OK);
        char want[64];
        snprintf(want, sizeof want, "account created_at=%lld\n", CHILD_EPOCH_MS);
        if (!strstr(dump, want))
            fail_msg("%s: cut at %ld (%s): reopened as a fresh account", label, at,
                     ready ? "after cib_ctx_new() returned" : "before the account");
        cib_free(ctx, dump);
        int found = 0;
        for (int i = 0; i < inboxes + 1; i++) {
            char id[16];
            snprintf(id, sizeof id, "x%d", i);
            cib_inbox_info info = CIB_INBOX_INFO_INIT;
            int got = cib_inbox_get(ctx, id, CIB_NTS, &info) == CIB_OK;
            if (i < inboxes && !got) {
                if (sync == CIB_SQLITE_FULL)
                    fail_msg("%s: cut at %ld: inbox %s returned OK and is lost", label, at, id);
                lost_inboxes++;
            }
            found += got;
        }
        (void)found;
        char sqlerr[512];
        assert_int_equal(cib_sqlite_check(&st, sqlerr, sizeof sqlerr), CIB_OK);
        cib_ctx_free(ctx);
        st.close(st.user_data);
        remove_files(d.path);
    }
    fprintf(stderr,
            "# %s: %ld new databases cut at each of their first %d counted calls (the account "
            "is in after %ld): %ld reopened with their account, %ld refused (%ld before "
            "cib_sqlite_open() returned); %ld acknowledged inboxes lost\n",
            label, total, rounds, ready_calls, loaded, refused, unacked_refused, lost_inboxes);
    assert_true(loaded > 0);
}

/* R-HOST-1: a new database cut at every point of its first calls. */
static void test_power_loss_new_database_R_HOST_1(void **state)
{
    (void)state;
    run_new_databases("new, full", CIB_SQLITE_FULL, 0x11ULL);
    run_new_databases("new, normal", CIB_SQLITE_NORMAL, 0x22ULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_power_loss_new_database_R_HOST_1),
        cmocka_unit_test(test_power_loss_full_loses_nothing_R_HOST_1),
        cmocka_unit_test(test_power_loss_normal_measured_R_HOST_1),
    };
    int rc = TENV_RUN(tests);
    sqlitetest_cleanup();
    return rc;
}
