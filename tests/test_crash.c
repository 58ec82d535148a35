/*
 * test_crash.c - libconvinbox-sqlite survives SIGKILL (R-HOST-1).
 *
 * A child process opens the database, ingests a deterministic stream of
 * inbound messages and acts on them (replies, comments, closes, assignments,
 * status flips, batches, new inboxes), reporting each call through a pipe: "start" before
 * it, a result record after it returned CIB_OK. The parent kills it with
 * SIGKILL after a random delay, reopens the database and checks, with the
 * library and with SQL, that every message whose call returned OK is stored
 * exactly once, that nothing is stored twice or half (a conversation without
 * its first message, a ticket without its conversation, an idempotency key
 * without its message, a batch in part), and that a message stored without
 * being reported comes back as a duplicate when it is sent again. The next
 * child continues after the last reported position.
 *
 * This file holds the parent's loop (fork, wait, kill, read the records) and
 * the cases. The child, its stream and its records are in
 * support/crashchild.c; the account and the checks after each kill in
 * support/crashcheck.c (test_power.c shares them).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/crashcheck.h"
#include "support/crashchild.h"
#include "support/sqlitetest.h"

/* ---- the parent's tools ---- */

static uint64_t rng_next(crashrun *cr)
{
    cr->rng = mix64(cr->rng);
    return cr->rng;
}

static int under_valgrind(void)
{
    const char *p = getenv("LD_PRELOAD");
    return p && strstr(p, "vgpreload") != NULL;
}

static void sleep_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
        ;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A growing buffer of the child's records. */
typedef struct inbuf {
    char *p;
    size_t n, cap;
} inbuf;

/* Read what is there; returns 0 at end of file. */
static int inbuf_read(inbuf *b, int fd)
{
    if (b->cap - b->n < 4096) {
        b->cap = b->cap ? b->cap * 2 : 65536;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    ssize_t r;
    do
        r = read(fd, b->p + b->n, b->cap - b->n - 1);
    while (r < 0 && errno == EINTR);
    assert_true(r >= 0);
    b->n += (size_t)r;
    b->p[b->n] = '\0';
    return r > 0;
}

/* Wait until the child says "ready" or exits, at most `ms`. Returns 0 on a
 * timeout or a read error: the caller kills the child before failing. */
static int wait_ready(inbuf *b, int fd, int64_t ms)
{
    int64_t until = now_ms() + ms;
    while (!(b->p && strstr(b->p, "ready\n"))) {
        int64_t left = until - now_ms();
        if (left <= 0)
            return 0;
        struct pollfd pfd = {fd, POLLIN, 0};
        int r = poll(&pfd, 1, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return 0;
        if (r > 0 && !inbuf_read(b, fd))
            return 1; /* it exited: its status tells why */
    }
    return 1;
}

/* ---- the loop ---- */

static void round_once(crashrun *cr)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    fflush(stdout);
    fflush(stderr);
    cr->start = cr->next;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        child_main(cr->path, cr->sync, NULL, cr->start, fds[1]);
    }
    close(fds[1]);
    inbuf in = {NULL, 0, 0};
    uint64_t r = rng_next(cr);
    /* Mostly wait until the child is at work; sometimes kill it while it
     * opens the database (recovering what the last one left). */
    int at_work = r % 8 != 0;
    long scale = cr->slow ? 30 : 1;
    int64_t limit = cr->slow ? 120000 : 10000;
    int hung = at_work && !wait_ready(&in, fds[0], limit);
    /* Mixed delays: very short ones land inside a call, longer ones after
     * many calls. */
    unsigned band = (unsigned)(r >> 8) % 10;
    long us = band < 3   ? (long)((r >> 16) % 150)
              : band < 7 ? 150 + (long)((r >> 16) % 1200)
              : band < 9 ? 1000 + (long)((r >> 16) % 4000)
                         : 5000 + (long)((r >> 16) % 15000);
    sleep_us(us * scale);
    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    assert_int_equal(w, pid);
    while (inbuf_read(&in, fds[0]))
        ;
    close(fds[0]);
    if (hung)
        fail_msg("%s: the child did not open the database within %lld ms", cr->label,
                 (long long)limit);

    crash_take_records(cr, in.p, in.n);
    free(in.p);

    cr->rounds++;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
        cr->kills++;
        if (!cr->ready)
            cr->kills_opening++;
        else if (cr->in_call)
            cr->kills_in_call++;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && cr->done) {
        cr->finished++;
    } else {
        fail_msg("%s: the child ended with status %d", cr->label, status);
    }
    crash_verify(cr);
}

static void run_kills(const char *label, int sync, long kills, long slow_kills, uint64_t seed)
{
    crashrun *cr = calloc(1, sizeof *cr);
    assert_non_null(cr);
    cr->label = label;
    cr->sync = sync;
    cr->rng = seed;
    cr->slow = under_valgrind();
    long want = cr->slow ? slow_kills : kills;
    snprintf(cr->path, sizeof cr->path, "%s", sqlitetest_path());
    cr->flags = calloc(STREAM_LEN, 1);
    cr->count = calloc(STREAM_LEN, 1);
    cr->dedup = calloc(STREAM_LEN, 1);
    cr->stored = calloc(STREAM_LEN, sizeof *cr->stored);
    cr->reported = calloc(STREAM_LEN, sizeof *cr->reported);
    cr->cur = calloc(STREAM_LEN, sizeof *cr->cur);
    assert_true(cr->flags && cr->count && cr->dedup && cr->stored && cr->reported && cr->cur);
    crash_create_account(cr);
    while (cr->kills < want) {
        if (cr->rounds >= 4 * want)
            fail_msg("%s: only %ld kills in %ld runs: the children finish the stream (%u "
                     "positions) before they are killed",
                     label, cr->kills, cr->rounds, STREAM_LEN);
        round_once(cr);
    }
    fprintf(stderr,
            "# %s: %ld kills (%ld during a call, %ld while opening), %ld runs finished; "
            "%ld messages stored, %ld re-sent (%ld stored but unreported), %ld came back as "
            "duplicates, %ld checked again; %ld batches cut short; %ld replies and comments\n",
            label, cr->kills, cr->kills_in_call, cr->kills_opening, cr->finished, cr->stored_msgs,
            cr->resent, cr->unreported, cr->dups, cr->redelivered, cr->in_call_batches,
            cr->replies);
    /* The kills must have hit calls at work, in a database with messages. */
    assert_true(cr->kills >= want);
    assert_true(cr->kills_in_call > 0);
    assert_true(cr->stored_msgs > 0);
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

static void test_kill9_nothing_lost_or_doubled_R_HOST_1(void **state)
{
    (void)state;
    run_kills("normal", CIB_SQLITE_NORMAL, 150, 50, 0x1234abcdULL);
}

static void test_kill9_full_sync_R_HOST_1(void **state)
{
    (void)state;
    run_kills("full", CIB_SQLITE_FULL, 50, 12, 0x9876fedcULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_nothing_lost_or_doubled_R_HOST_1),
        cmocka_unit_test(test_kill9_full_sync_R_HOST_1),
    };
    int rc = TENV_RUN(tests);
    sqlitetest_cleanup();
    return rc;
}
