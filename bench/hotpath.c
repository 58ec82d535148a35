/*
 * hotpath.c - cib_ingest() and cib_view() through the public API, against
 * the in-memory store, one core:
 *
 *   new        (a) new conversations: contact lookup among warm contacts,
 *              routing (each strategy, 10 .. 100,000 users), a ticket each
 *   create     (a) the same, every sender new (contact creation)
 *   followup   (b) follow-up messages into open conversations
 *   churn      (c) users flipping available/away, interleaved with new
 *              conversations, the rule's waiting queue on
 *   views      (d) pages of views over 1,000,000 open conversations
 *   random1m   new conversations from 1,000,000 warm contacts in random
 *              order, one cib_ingest() per message and cib_ingest_batch()
 *   random10m  the same at 10,000,000 contacts (not in the default run:
 *              about 8 GB and a minute of set-up)
 *
 *   hotpath [--quick] [--reps N] [--jsonl FILE] [WORKLOAD...]
 *
 * Each repetition ingests a fresh stream (new message ids) into the same
 * account, so open conversations accumulate as they would in a day.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workload.h"

static const char *const strategy_names[] = {"none", "first_available", "round_robin",
                                             "least_loaded"};

/* Ingests s, checking each message made what `want_*` says. */
static long ingest_checked(cib_ctx *ctx, const wl_stream *s, int want_created, int want_ticket,
                           int want_assignee)
{
    long bad = 0;
    for (long i = 0; i < s->n; i++) {
        cib_ingest_result r = CIB_INGEST_RESULT_INIT;
        int rc = cib_ingest(ctx, &s->msgs[i], &r);
        if (rc)
            bh_check(rc, ctx, "cib_ingest");
        bad += (r.created != want_created) | ((r.ticket != 0) != want_ticket) |
               ((r.assignee != NULL) < want_assignee);
    }
    return bad;
}

static void fail_if(long bad, const char *what)
{
    if (bad) {
        fprintf(stderr, "hotpath: %s: %ld messages did not do what was expected\n", what, bad);
        exit(1);
    }
}

/* (a): new conversations from `contacts` warm contacts (0: new senders). */
static void new_conversations(const char *name, int strategy, long users, long contacts,
                              int tickets, long ops)
{
    wl_spec spec = {users, strategy, 0, tickets, contacts};
    cib_ctx *ctx = wl_account(&spec);
    char params[256];
    snprintf(params, sizeof params, "strategy=%s users=%ld contacts=%ld tickets=%d",
             strategy_names[strategy], users, contacts, tickets);
    uint64_t seed = 42;
    bh_meas m;
    bh_begin(&m, name, params, ops);
    long bad = 0;
    while (bh_next(&m)) {
        wl_stream s;
        wl_stream_make(&s, ops, "m", (long)m.rep * ops, contacts, 0, &seed);
        bh_start(&m);
        bad += ingest_checked(ctx, &s, 1, tickets, strategy != 0);
        bh_stop(&m);
        wl_stream_free(&s);
    }
    bh_end(&m);
    fail_if(bad, name);
    cib_ctx_free(ctx);
}

/* The same through cib_ingest_batch(), `batch` messages per call. */
static void new_conversations_batched(const char *name, long contacts, long batch, long ops)
{
    wl_spec spec = {10, CIB_ROUND_ROBIN, 0, 1, contacts};
    cib_ctx *ctx = wl_account(&spec);
    char params[256];
    snprintf(params, sizeof params, "strategy=round_robin users=10 contacts=%ld batch=%ld",
             contacts, batch);
    uint64_t seed = 42;
    cib_ingest_result *res = bh_alloc((size_t)batch * sizeof *res);
    int *statuses = bh_alloc((size_t)batch * sizeof *statuses);
    bh_meas m;
    bh_begin(&m, name, params, ops);
    long bad = 0;
    while (bh_next(&m)) {
        wl_stream s;
        wl_stream_make(&s, ops, "m", (long)m.rep * ops, contacts, 0, &seed);
        for (long i = 0; i < batch; i++)
            res[i] = (cib_ingest_result)CIB_INGEST_RESULT_INIT;
        bh_start(&m);
        for (long done = 0; done < ops; done += batch) {
            size_t k = (size_t)(ops - done < batch ? ops - done : batch);
            bh_check(cib_ingest_batch(ctx, s.msgs + done, k, res, statuses), ctx,
                     "cib_ingest_batch");
            for (size_t i = 0; i < k; i++)
                bad += statuses[i] != CIB_OK || !res[i].created || !res[i].ticket;
        }
        bh_stop(&m);
        wl_stream_free(&s);
    }
    bh_end(&m);
    fail_if(bad, name);
    free(res);
    free(statuses);
    cib_ctx_free(ctx);
}

/* (b): follow-ups into `open` open conversations (thread keys t0..). */
static void followups(long open, long ops)
{
    wl_spec spec = {10, CIB_ROUND_ROBIN, 0, 1, 1000};
    cib_ctx *ctx = wl_account(&spec);
    uint64_t seed = 7;
    wl_stream first;
    wl_stream_make(&first, open, "f", 0, 1000, open, &seed);
    for (long i = 0; i < open; i++) { /* one conversation per key */
        snprintf(first.thread[i], sizeof first.thread[i], "t%ld", i);
        first.msgs[i].thread_len = strlen(first.thread[i]);
    }
    fail_if(ingest_checked(ctx, &first, 1, 1, 1), "followup set-up");
    wl_stream_free(&first);
    char params[128];
    snprintf(params, sizeof params, "open=%ld users=10 contacts=1000", open);
    bh_meas m;
    bh_begin(&m, "followup", params, ops);
    long bad = 0;
    while (bh_next(&m)) {
        wl_stream s;
        wl_stream_make(&s, ops, "r", (long)m.rep * ops, 1000, open, &seed);
        bh_start(&m);
        bad += ingest_checked(ctx, &s, 0, 0, 1);
        bh_stop(&m);
        wl_stream_free(&s);
    }
    bh_end(&m);
    fail_if(bad, "followup");
    cib_ctx_free(ctx);
}

/* (c): per operation one user's status flips and one new conversation
 * arrives. User i % users goes away in even rounds and comes back in odd
 * ones, so the team empties (conversations queue) and refills (the queue
 * drains to the users who return). */
static void churn(long users, long ops)
{
    wl_spec spec = {users, CIB_ROUND_ROBIN, 1, 1, 1000};
    cib_ctx *ctx = wl_account(&spec);
    char(*ids)[24] = bh_alloc((size_t)users * sizeof *ids);
    for (long i = 0; i < users; i++)
        snprintf(ids[i], sizeof ids[i], "%s", wl_user(i));
    uint64_t seed = 9;
    char params[128];
    snprintf(params, sizeof params, "strategy=round_robin queue=1 users=%ld contacts=1000", users);
    bh_meas m;
    bh_begin(&m, "churn", params, ops);
    long step = 0, queued = 0;
    while (bh_next(&m)) {
        wl_stream s;
        wl_stream_make(&s, ops, "m", (long)m.rep * ops, 1000, 0, &seed);
        bh_start(&m);
        for (long i = 0; i < ops; i++, step++) {
            long u = step % users;
            int status = (step / users) % 2 ? CIB_AVAILABLE : CIB_AWAY;
            bh_check(cib_user_set_status(ctx, ids[u], CIB_NTS, status), ctx, "cib_user_set_status");
            cib_ingest_result r = CIB_INGEST_RESULT_INIT;
            bh_check(cib_ingest(ctx, &s.msgs[i], &r), ctx, "cib_ingest");
            queued += r.queued;
        }
        bh_stop(&m);
        wl_stream_free(&s);
    }
    bh_end(&m);
    if (!queued && ops >= 2 * users)
        fail_if(1, "churn (nothing ever waited in the queue)");
    free(ids);
    cib_ctx_free(ctx);
}

/* (d): `open` open conversations spread over 100 users; pages of 50. */
static void views(long open, long ops)
{
    wl_spec spec = {100, CIB_ROUND_ROBIN, 0, 0, 1000};
    cib_ctx *ctx = wl_account(&spec);
    uint64_t seed = 11;
    for (long done = 0; done < open; done += 100000) {
        wl_stream s;
        wl_stream_make(&s, open - done < 100000 ? open - done : 100000, "v", done, 1000, 0, &seed);
        wl_ingest_all(ctx, &s);
        wl_stream_free(&s);
    }
    static const struct {
        const char *name;
        int kind;
    } kinds[] = {{"view.all", CIB_VIEW_ALL}, {"view.mine", CIB_VIEW_MINE}};
    uint64_t ids[50];
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char params[128];
        snprintf(params, sizeof params, "open=%ld page=50 users=100", open);
        bh_meas m;
        bh_begin(&m, kinds[k].name, params, ops);
        long short_pages = 0;
        while (bh_next(&m)) {
            uint64_t *after = bh_alloc((size_t)ops * sizeof *after);
            char(*user)[24] = bh_alloc((size_t)ops * sizeof *user);
            for (long i = 0; i < ops; i++) {
                after[i] = bh_rand(&seed) % (uint64_t)(open / 2);
                snprintf(user[i], sizeof user[i], "%s", wl_user((long)(bh_rand(&seed) % 100)));
            }
            bh_start(&m);
            for (long i = 0; i < ops; i++) {
                cib_view_def q = CIB_VIEW_DEF_INIT;
                q.view = kinds[k].kind;
                q.user = kinds[k].kind == CIB_VIEW_MINE ? user[i] : NULL;
                q.inbox = "support";
                q.status = CIB_STATUS_OPEN;
                q.after = after[i];
                size_t n = 0;
                bh_check(cib_view(ctx, &q, ids, 50, &n, NULL), ctx, "cib_view");
                short_pages += n == 0 || (kinds[k].kind == CIB_VIEW_ALL && n != 50);
            }
            bh_stop(&m);
            free(after);
            free(user);
        }
        bh_end(&m);
        fail_if(short_pages, kinds[k].name);
    }
    cib_ctx_free(ctx);
}

static int wanted(int argc, char **argv, const char *name, int by_default)
{
    if (argc < 2)
        return by_default;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], name))
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    argc = bh_init("hotpath", argc, argv, 9);
    static const char *const known[] = {"new",   "create",   "followup", "churn",
                                        "views", "random1m", "random10m"};
    for (int i = 1; i < argc; i++) {
        size_t k = 0;
        while (k < sizeof known / sizeof known[0] && strcmp(argv[i], known[k]) != 0)
            k++;
        if (k == sizeof known / sizeof known[0]) {
            fprintf(stderr,
                    "hotpath: unknown workload '%s'\nusage: hotpath [--quick] [--reps N] "
                    "[--jsonl FILE] [new|create|followup|churn|views|random1m|random10m]...\n",
                    argv[i]);
            return 2;
        }
    }
    int q = bh_quick();
    long ops = q ? 500 : 20000;
    bh_table("Hot path (in-memory store)");
    if (wanted(argc, argv, "new", 1)) {
        static const long scales[] = {10, 1000, 100000};
        for (int s = 1; s <= 3; s++)
            for (int k = 0; k < 3; k++)
                if (!q || k == 0)
                    new_conversations("ingest.new", s, scales[k], 1000, 1, ops);
        new_conversations("ingest.new", 0, 10, 1000, 0, ops); /* no routing, no ticket */
    }
    if (wanted(argc, argv, "create", 1))
        new_conversations("ingest.new_contact", CIB_ROUND_ROBIN, 10, 0, 1, ops);
    if (wanted(argc, argv, "followup", 1)) {
        followups(1000, ops);
        if (!q)
            followups(100000, ops);
    }
    if (wanted(argc, argv, "churn", 1)) {
        churn(10, ops);
        if (!q)
            churn(1000, ops);
    }
    if (wanted(argc, argv, "views", 1))
        views(q ? 2000 : 1000000, q ? 100 : 10000);
    if (wanted(argc, argv, "random1m", 1)) {
        long contacts = q ? 2000 : 1000000, n = q ? 500 : 200000;
        new_conversations("ingest.new", CIB_ROUND_ROBIN, 10, contacts, 1, n);
        new_conversations_batched("ingest.new_batch", contacts, 1000, n);
    }
    if (wanted(argc, argv, "random10m", 0)) {
        new_conversations("ingest.new", CIB_ROUND_ROBIN, 10, 10000000, 1, 200000);
        new_conversations_batched("ingest.new_batch", 10000000, 1000, 200000);
    }
    return 0;
}
