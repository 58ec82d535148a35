/*
 * closed_pages.c - a page of 50 closed conversations of an inbox (cib_view,
 * status closed, from a cursor) as the inbox's closed conversations grow,
 * on each store, with and without the store's find_page (convinbox/store.h):
 *
 *   memory, find_page        the in-memory store's ordered index
 *   memory, scan             find_page NULL: every closed conversation of
 *                            the inbox read and sorted for each page (the
 *                            library before store version 2)
 *   sqlite, find_page        an ordered, limited SELECT on the index on
 *                            conversations (inbox, status)
 *   sqlite, find             find_page NULL: find by inbox, every
 *                            conversation of the inbox, then sorted
 *
 * The account: one chat channel of the default inbox, N conversations from
 * N contacts, all closed, and 100 open ones. Each page starts after a
 * cursor drawn at random among the closed ids (the same cursors for every
 * row), and its ids are checked against the expected ones.
 *
 *   closed_pages [--quick] [--reps N] [--jsonl FILE] [N...]
 *
 * N defaults to 5000 20000 100000 (--quick: 500). The SQLite database is a
 * fresh file in TMPDIR (or /tmp), removed afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "convinbox/sqlite.h"
#include "harness.h"

enum { PAGE = 50, CURSORS = 64 };

/* Ingest n conversations (batches of 1000), close them; then 100 open. */
static uint64_t *fill(cib_ctx *ctx, long n)
{
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "chat";
    d.inbox = "default";
    d.type = CIB_CHANNEL_CHAT;
    bh_check(cib_channel_add(ctx, &d), ctx, "cib_channel_add");
    cib_user_def u = CIB_USER_DEF_INIT;
    u.id = "admin";
    u.name = "Admin";
    u.role = CIB_ROLE_ADMIN;
    bh_check(cib_user_add(ctx, &u), ctx, "cib_user_add");
    enum { B = 1000 };
    static cib_inbound msgs[B];
    static cib_ingest_result res[B];
    static int statuses[B];
    static char ids[B][24], from[B][48];
    uint64_t *closed = bh_alloc((size_t)n * sizeof *closed);
    long total = n + 100;
    for (long done = 0; done < total; done += B) {
        long k = total - done < B ? total - done : B;
        for (long i = 0; i < k; i++) {
            cib_inbound m = CIB_INBOUND_INIT;
            cib_ingest_result r = CIB_INGEST_RESULT_INIT;
            snprintf(ids[i], sizeof ids[i], "m%ld", done + i);
            snprintf(from[i], sizeof from[i], "visitor-%ld", done + i);
            m.channel = "chat";
            m.msg_id = ids[i];
            m.from = from[i];
            m.text = "Hello";
            msgs[i] = m;
            res[i] = r;
        }
        bh_check(cib_ingest_batch(ctx, msgs, (size_t)k, res, statuses), ctx, "cib_ingest_batch");
        for (long i = 0; i < k; i++) {
            bh_check(statuses[i], ctx, "a message of the batch");
            if (done + i < n) {
                closed[done + i] = res[i].conversation;
                bh_check(cib_close(ctx, "admin", CIB_NTS, res[i].conversation), ctx, "cib_close");
            }
        }
    }
    return closed;
}

/* One page after closed[from]; checks it. */
static void page(cib_ctx *ctx, const uint64_t *closed, long n, long from)
{
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.inbox = "default";
    q.status = CIB_STATUS_CLOSED;
    q.after = closed[from];
    uint64_t out[PAGE], next;
    size_t got;
    bh_check(cib_view(ctx, &q, out, PAGE, &got, &next), ctx, "cib_view");
    long want = n - 1 - from < PAGE ? n - 1 - from : PAGE;
    int bad = (long)got != want || (next != 0) != (from + PAGE < n - 1);
    for (long i = 0; !bad && i < want; i++)
        bad = out[i] != closed[from + 1 + i];
    if (bad) {
        fprintf(stderr, "closed_pages: a page after %llu is wrong\n", (unsigned long long)q.after);
        exit(1);
    }
}

/* Pages through `st` (find_page kept or taken away). */
static void measure(const char *store, int use_page, cib_store st, const uint64_t *closed, long n,
                    const long *cursors)
{
    if (!use_page)
        st.find_page = NULL;
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    o.hash_seed = 7;
    cib_ctx *ctx;
    bh_check(cib_ctx_new(&o, &ctx), NULL, "cib_ctx_new");
    /* The old path reads every closed conversation for a page: fewer pages. */
    long ops = use_page ? 2000 : n >= 50000 ? 4 : 20;
    if (bh_quick())
        ops = 4;
    char params[160];
    snprintf(params, sizeof params, "store=%s method=%s closed=%ld page=%d", store,
             use_page ? "find_page" : (st.find ? "find" : "scan"), n, PAGE);
    bh_meas m;
    bh_begin(&m, "view.closed_page", params, ops);
    while (bh_next(&m)) {
        bh_start(&m);
        for (long i = 0; i < ops; i++)
            page(ctx, closed, n, cursors[i % CURSORS]);
        bh_stop(&m);
    }
    bh_end(&m);
    cib_ctx_free(ctx);
}

static void run(int sqlite, long n)
{
    cib_store st;
    char path[600] = "";
    if (sqlite) {
        const char *tmp = getenv("TMPDIR");
        snprintf(path, sizeof path, "%s/closed-pages-%ld-%d.sqlite", tmp && *tmp ? tmp : "/tmp", n,
                 (int)getpid());
        char err[512];
        cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
        so.flags = CIB_SQLITE_CREATE;
        if (cib_sqlite_open(path, &so, &st, err, sizeof err)) {
            fprintf(stderr, "closed_pages: %s\n", err);
            exit(1);
        }
    } else {
        bh_check(cib_memstore_new(NULL, &st), NULL, "cib_memstore_new");
    }
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    o.hash_seed = 7;
    cib_ctx *ctx;
    bh_check(cib_ctx_new(&o, &ctx), NULL, "cib_ctx_new");
    uint64_t *closed = fill(ctx, n);
    cib_ctx_free(ctx);
    long cursors[CURSORS];
    uint64_t seed = 99;
    for (int i = 0; i < CURSORS; i++)
        cursors[i] = (long)(bh_rand(&seed) % (uint64_t)n);
    const char *name = sqlite ? "sqlite" : "memory";
    measure(name, 1, st, closed, n, cursors);
    measure(name, 0, st, closed, n, cursors);
    free(closed);
    st.close(st.user_data);
    if (sqlite) {
        char side[640];
        unlink(path);
        snprintf(side, sizeof side, "%s-wal", path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", path);
        unlink(side);
    }
}

int main(int argc, char **argv)
{
    argc = bh_init("closed_pages", argc, argv, 5);
    long sizes[16] = {5000, 20000, 100000};
    int n_sizes = 3;
    if (bh_quick()) {
        sizes[0] = 500;
        n_sizes = 1;
    }
    if (argc > 1) {
        n_sizes = 0;
        for (int i = 1; i < argc && n_sizes < 16; i++)
            sizes[n_sizes++] = atol(argv[i]);
    }
    bh_table("A page of 50 closed conversations (cib_view)");
    for (int i = 0; i < n_sizes; i++) {
        if (sizes[i] < 2) {
            fprintf(stderr, "closed_pages: N must be 2 or more\n");
            return 2;
        }
        run(0, sizes[i]);
        run(1, sizes[i]);
    }
    return 0;
}
