/*
 * dedup.c - message-id idempotency over a long history (R-CONV-3): what
 * loading costs per stored id (the filter is rebuilt from one scan of the
 * DEDUP rows' keys), what a repeat costs once its id is no longer recent
 * (the filter, then one store get), and what a new message costs with N ids
 * stored, in the in-memory store and in SQLite.
 *
 *   dedup [--quick] [--reps N] [--jsonl FILE] [N]
 *
 * N stored ids: default 1,000,000, --quick 2,000. The account: one email
 * channel; N messages on one thread (so that one conversation holds them and
 * the history is only messages and keys), ingested in batches of 1,000. Then
 *   load              cib_ctx_new() on that store, per stored id (the rest of
 *                     the account is one contact and one conversation);
 *   repeat.old        a repeat of an id accepted long ago (not recent);
 *   ingest.new        a new message on the thread, with N ids stored.
 * SQLite (when built): a file in $TMPDIR (or /tmp), synchronous=NORMAL,
 * removed afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convinbox/store.h"
#include "harness.h"
#ifdef HAVE_SQLITE_STORE
#include "convinbox/sqlite.h"
#endif

#define BATCH 1000

static int64_t now_ms = 1767571200000LL;

static int64_t bench_clock(void *ud)
{
    (void)ud;
    return now_ms;
}

static cib_ctx *open_ctx(const cib_store *st)
{
    cib_options o = CIB_OPTIONS_INIT;
    o.store = st;
    o.clock = bench_clock;
    cib_ctx *ctx = NULL;
    char err[256] = "";
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    if (cib_ctx_new(&o, &ctx) != CIB_OK) {
        fprintf(stderr, "dedup: cib_ctx_new: %s\n", err);
        exit(1);
    }
    return ctx;
}

static void msg_id(char *buf, size_t n, const char *prefix, long i)
{
    snprintf(buf, n, "<%s-%ld@mail.example.test>", prefix, i);
}

static void ingest_one(cib_ctx *ctx, const char *id)
{
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = "mail";
    m.msg_id = id;
    m.from = "carol@example.test";
    m.thread = "<thread@mail.example.test>";
    m.text = "Hello";
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    bh_check(cib_ingest(ctx, &m, &r), ctx, "cib_ingest");
}

static void fill(cib_ctx *ctx, long n)
{
    cib_channel_def ch = CIB_CHANNEL_DEF_INIT;
    ch.id = "mail";
    ch.inbox = "default";
    ch.type = CIB_CHANNEL_EMAIL;
    ch.address = "help@acme.test";
    bh_check(cib_channel_add(ctx, &ch), ctx, "cib_channel_add");
    static char ids[BATCH][64];
    static cib_inbound msgs[BATCH];
    static cib_ingest_result res[BATCH];
    static int st[BATCH];
    for (long at = 0; at < n; at += BATCH) {
        size_t k = (size_t)(n - at < BATCH ? n - at : BATCH);
        for (size_t i = 0; i < k; i++) {
            msg_id(ids[i], sizeof ids[i], "old", at + (long)i);
            cib_inbound m = CIB_INBOUND_INIT;
            m.channel = "mail";
            m.msg_id = ids[i];
            m.from = "carol@example.test";
            m.thread = "<thread@mail.example.test>";
            m.text = "Hello";
            msgs[i] = m;
            cib_ingest_result r = CIB_INGEST_RESULT_INIT;
            res[i] = r;
        }
        bh_check(cib_ingest_batch(ctx, msgs, k, res, st), ctx, "cib_ingest_batch");
    }
}

static void run(const char *store_name, const cib_store *st, long n, int reps)
{
    char params[128];
    snprintf(params, sizeof params, "store=%s ids=%ld", store_name, n);
    cib_ctx *ctx = open_ctx(st);
    fill(ctx, n);
    cib_ctx_free(ctx);

    bh_meas m;
    bh_begin(&m, "dedup.load", params, n);
    while (bh_next(&m)) {
        bh_start(&m);
        ctx = open_ctx(st);
        bh_stop(&m);
        cib_ctx_free(ctx);
    }
    bh_end(&m);

    ctx = open_ctx(st);
    long ops = n < 20000 ? n : 20000;
    char id[64];
    bh_begin(&m, "dedup.repeat.old", params, ops);
    while (bh_next(&m)) {
        bh_start(&m);
        for (long i = 0; i < ops; i++) {
            msg_id(id, sizeof id, "old", (i * 7919) % n);
            ingest_one(ctx, id);
        }
        bh_stop(&m);
    }
    bh_end(&m);

    long fresh = 0;
    bh_begin(&m, "dedup.ingest.new", params, ops);
    while (bh_next(&m)) {
        bh_start(&m);
        for (long i = 0; i < ops; i++) {
            msg_id(id, sizeof id, "new", fresh++);
            ingest_one(ctx, id);
        }
        bh_stop(&m);
    }
    bh_end(&m);
    cib_ctx_free(ctx);
    (void)reps;
}

int main(int argc, char **argv)
{
    argc = bh_init("dedup", argc, argv, 3);
    long n = bh_quick() ? 2000 : 1000000;
    if (argc > 1)
        n = strtol(argv[1], NULL, 10);
    if (n < 1000 || n > 100000000) {
        fprintf(stderr, "usage: dedup [--quick] [--reps N] [--jsonl FILE] [N]\n"
                        "  N: stored ids, 1000 to 100000000 (default 1000000)\n");
        return 2;
    }
    bh_table("Message ids over a long history (R-CONV-3)");
    cib_store mem;
    bh_check(cib_memstore_new(NULL, &mem), NULL, "cib_memstore_new");
    run("memory", &mem, n, 3);
    mem.close(mem.user_data);
#ifdef HAVE_SQLITE_STORE
    const char *dir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/cib-bench-dedup-%ld.sqlite", dir && *dir ? dir : "/tmp",
             (long)getpid());
    cib_store sq;
    char err[256];
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.flags = CIB_SQLITE_CREATE;
    if (cib_sqlite_open(path, &so, &sq, err, sizeof err) != CIB_OK) {
        fprintf(stderr, "dedup: %s\n", err);
        return 1;
    }
    run("sqlite", &sq, n, 3);
    sq.close(sq.user_data);
    char side[540];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
#endif
    printf("\n(load: cib_ctx_new() on the store, per stored id; repeat.old: a repeat of an\n"
           " id that is no longer recent, found through the filter and one store get;\n"
           " ingest.new: a new message on the same thread with the ids stored)\n");
    return 0;
}
