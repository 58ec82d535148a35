/*
 * ingest_store.c - new conversations per second through each store: the
 * built-in in-memory store, SQLite with synchronous=FULL and NORMAL (one
 * transaction per message), and SQLite NORMAL and FULL with
 * cib_ingest_batch() of 100 and 1,000 messages (one transaction per batch).
 *
 * Every message opens a new conversation from a new contact on an email
 * channel (contact creation, the conversation, the message, its idempotency
 * key: the rows of a first contact). The database is a fresh file in a
 * temporary directory (TMPDIR, or /tmp), removed afterwards.
 *
 *   ingest_store [MESSAGES [REPS [MODE]]]   MODE: 0..6, one row of the table
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "convinbox.h"
#include "convinbox/sqlite.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void check(int rc, cib_ctx *ctx, const char *what)
{
    if (rc) {
        fprintf(stderr, "%s: %s: %s\n", what, cib_status_name(rc), ctx ? cib_errmsg(ctx) : "");
        exit(1);
    }
}

typedef struct mode {
    const char *name;
    int sqlite, sync, batch;
} mode;

static const mode modes[] = {
    {"memory", 0, 0, 1},
    {"sqlite FULL", 1, CIB_SQLITE_FULL, 1},
    {"sqlite NORMAL", 1, CIB_SQLITE_NORMAL, 1},
    {"sqlite NORMAL, batches of 100", 1, CIB_SQLITE_NORMAL, 100},
    {"sqlite NORMAL, batches of 1000", 1, CIB_SQLITE_NORMAL, 1000},
    {"sqlite FULL, batches of 100", 1, CIB_SQLITE_FULL, 100},
    {"sqlite FULL, batches of 1000", 1, CIB_SQLITE_FULL, 1000},
};

/* Messages per second for one run of `n` messages in mode m. */
static double run(const mode *m, long n, const char *dir, int rep)
{
    char path[600];
    snprintf(path, sizeof path, "%s/bench-%d.sqlite", dir, rep);
    cib_store st;
    cib_options o = CIB_OPTIONS_INIT;
    char err[512];
    if (m->sqlite) {
        cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
        so.synchronous = m->sync;
        so.flags = CIB_SQLITE_CREATE;
        if (cib_sqlite_open(path, &so, &st, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            exit(1);
        }
        o.store = &st;
    }
    cib_ctx *ctx;
    check(cib_ctx_new(&o, &ctx), NULL, "cib_ctx_new");
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "mail";
    d.inbox = "default";
    d.type = CIB_CHANNEL_EMAIL;
    d.address = "help@acme.test";
    check(cib_channel_add(ctx, &d), ctx, "cib_channel_add");
    long batch = m->batch;
    cib_inbound *msgs = calloc((size_t)batch, sizeof *msgs);
    cib_ingest_result *res = calloc((size_t)batch, sizeof *res);
    int *statuses = calloc((size_t)batch, sizeof *statuses);
    char(*ids)[24] = calloc((size_t)batch, sizeof *ids);
    char(*from)[48] = calloc((size_t)batch, sizeof *from);
    if (!msgs || !res || !statuses || !ids || !from) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    double t0 = now_s();
    for (long done = 0; done < n; done += batch) {
        long k = n - done < batch ? n - done : batch;
        for (long i = 0; i < k; i++) {
            cib_inbound mi = CIB_INBOUND_INIT;
            cib_ingest_result ri = CIB_INGEST_RESULT_INIT;
            snprintf(ids[i], sizeof ids[i], "m%ld", done + i);
            snprintf(from[i], sizeof from[i], "customer%ld@example.test", done + i);
            mi.channel = "mail";
            mi.msg_id = ids[i];
            mi.from = from[i];
            mi.text = "Where is my order?";
            msgs[i] = mi;
            res[i] = ri;
        }
        if (batch == 1)
            check(cib_ingest(ctx, &msgs[0], &res[0]), ctx, "cib_ingest");
        else
            check(cib_ingest_batch(ctx, msgs, (size_t)k, res, statuses), ctx, "cib_ingest_batch");
    }
    double t = now_s() - t0;
    cib_ctx_free(ctx);
    if (m->sqlite) {
        st.close(st.user_data);
        char side[640];
        unlink(path);
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
    }
    free(msgs);
    free(res);
    free(statuses);
    free(ids);
    free(from);
    return (double)n / t;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 20000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    int only = argc > 3 ? atoi(argv[3]) : -1;
    int n_modes = (int)(sizeof modes / sizeof modes[0]);
    if (n < 1 || reps < 1 || reps > 99 || only >= n_modes) {
        fprintf(stderr, "usage: ingest_store [MESSAGES [REPS [MODE]]]\n");
        return 2;
    }
    const char *tmp = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/cib-bench-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    printf("New conversations per second, %ld messages per run, median of %d runs\n\n", n, reps);
    printf("| %-32s | %14s | %10s |\n", "store", "messages/s", "us/message");
    printf("|----------------------------------|---------------:|-----------:|\n");
    for (int i = 0; i < n_modes; i++) {
        if (only >= 0 && i != only)
            continue;
        double v[99];
        for (int r = 0; r < reps; r++)
            v[r] = run(&modes[i], n, dir, r);
        qsort(v, (size_t)reps, sizeof v[0], by_value);
        double med = v[reps / 2];
        printf("| %-32s | %14.0f | %10.2f |\n", modes[i].name, med, 1e6 / med);
        fflush(stdout);
    }
    rmdir(dir);
    return 0;
}
