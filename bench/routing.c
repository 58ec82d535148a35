/*
 * routing.c - the cost of one routing decision, in nanoseconds and in
 * instructions, for a rule naming one team of N users, per strategy.
 *
 * The account is built with the public API (N paid users, all available, one
 * team of all of them, an inbox, an email channel routed to the team); that
 * setup is not measured. The decision loop then drives the library's internal
 * routing structures directly (lib/rules/route.h, lib/rules/rule.h):
 *
 *   decide     cib__route_new() alone (changes nothing)
 *   decision   cib__route_new(), cib__route_apply_pick() and the load change
 *              the assignment makes (a dummy conversation linked into the
 *              assignee's `assigned` tree, then cib__rule_refresh_user()):
 *              everything routing does for one new conversation
 *   close      the oldest open dummy conversation leaves its user's tree,
 *              then cib__rule_refresh_user(): what closing does to routing
 *
 * A warm-up of N decisions (not measured) opens N conversations, so every
 * user has work; each repetition then makes DECISIONS decisions and closes
 * as many conversations, back to N open.
 *
 *   routing                                  every strategy, N = 10, 1000, 100000
 *   routing STRATEGY|all N[,N...] [DECISIONS [REPS]]
 *
 * Wall clock: the median over REPS repetitions of DECISIONS decisions.
 * Under callgrind (valgrind --tool=callgrind --collect-atstart=no
 * --instr-atstart=no) only the measured loops are instrumented, one
 * repetition each, dumped as "decide+apply" and "decide" parts: divide a
 * part's Ir total by DECISIONS.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "channel.h"
#include "conversation.h"
#include "route.h"
#include "rule.h"
#include "tree.h"
#include "user.h"

#include "cgrequests.h"

#define MAX_REPS 101

static const char *const strategy_names[] = {NULL, "first_available", "round_robin",
                                             "least_loaded"};

typedef struct bench {
    cib_ctx *ctx;
    long n_users;
    cib__channel *ch;
    cib__conv *pool; /* dummy conversations, a ring of cap */
    size_t cap, head, tail, open;
    uint64_t next_key;
    int link; /* load changes link dummy conversations (else: the count) */
} bench;

static void check(int rc, cib_ctx *ctx, const char *what)
{
    if (rc) {
        fprintf(stderr, "%s: %s: %s\n", what, cib_status_name(rc), cib_errmsg(ctx));
        exit(1);
    }
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void set_strategy(bench *b, int strategy)
{
    int kind = CIB_TARGET_TEAM;
    const char *team = "everyone";
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = CIB_ROUTE_SPECIFIC;
    r.target_kinds = &kind;
    r.target_ids = &team;
    r.n_targets = 1;
    r.strategy = strategy;
    check(cib_channel_set_routing(b->ctx, "mail", CIB_NTS, &r), b->ctx, "cib_channel_set_routing");
    b->ch = cib__channel_find(b->ctx, "mail", 4);
    if (!b->ch || b->ch->rule->n_members != (size_t)b->n_users ||
        b->ch->rule->strategy != strategy) {
        fprintf(stderr, "the channel's rule is not the one set up\n");
        exit(1);
    }
}

/* An account of n available paid users in one team, and a channel routed to
 * that team. */
static void setup(bench *b, long n, long decisions)
{
    memset(b, 0, sizeof *b);
    b->n_users = n;
    check(cib_ctx_new(NULL, &b->ctx), NULL, "cib_ctx_new");
    char *ids = malloc((size_t)n * 8);
    const char **members = malloc((size_t)n * sizeof *members);
    if (!ids || !members) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (long i = 0; i < n; i++) {
        char *id = ids + i * 8, name[32];
        snprintf(id, 8, "u%06ld", (i + 1) % 1000000);
        snprintf(name, sizeof name, "User %ld", i + 1);
        cib_user_def u = CIB_USER_DEF_INIT;
        u.id = id;
        u.name = name;
        check(cib_user_add(b->ctx, &u), b->ctx, "cib_user_add");
        check(cib_user_set_status(b->ctx, id, CIB_NTS, CIB_AVAILABLE), b->ctx,
              "cib_user_set_status");
        members[i] = id;
    }
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "everyone";
    t.members = members;
    t.n_members = (size_t)n;
    check(cib_team_add(b->ctx, &t), b->ctx, "cib_team_add");
    cib_inbox_def ib = CIB_INBOX_DEF_INIT;
    ib.id = "support";
    ib.name = "Support";
    check(cib_inbox_add(b->ctx, &ib), b->ctx, "cib_inbox_add");
    cib_channel_def ch = CIB_CHANNEL_DEF_INIT;
    ch.id = "mail";
    ch.inbox = "support";
    ch.type = CIB_CHANNEL_EMAIL;
    ch.address = "help@acme.test";
    check(cib_channel_add(b->ctx, &ch), b->ctx, "cib_channel_add");
    cib__user *u0 = cib__user_find(b->ctx, ids, 7);
    if (!u0 || u0->assigned.key_delta != CIB__CONV_TREE(in_queue)) {
        fprintf(stderr, "a user's assigned tree is not keyed as expected\n");
        exit(1);
    }
    free(members);
    free(ids);
    /* Room for N open dummy conversations plus a repetition's decisions. The
     * tree reads a node's key (the conversation id) at the same distance as
     * from a real conversation's in_queue node. */
    b->cap = (size_t)n + (size_t)decisions + 1;
    b->pool = calloc(b->cap, sizeof *b->pool);
    if (!b->pool) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
}

static void teardown(bench *b)
{
    cib_ctx_free(b->ctx);
    free(b->pool);
}

/* The member the strategy should pick, by scanning every member from the
 * users' own state (a check of the live structures, outside measurements). */
static cib__user *expected_pick(const cib__rule *r)
{
    const cib__member *best = NULL, *cursor = r->cursor ? cib__rule_member(r, r->cursor) : NULL;
    for (size_t i = 0; i < r->n_members; i++) {
        const cib__member *m = &r->members[i];
        const cib__user *u = m->user;
        uint32_t load = (uint32_t)u->assigned.count;
        if (cib__rule_why(r, m, u->status, u->seat, u->capacity, load) != CIB_WHY_ELIGIBLE)
            continue;
        if (!best) {
            best = m;
        } else if (r->strategy == CIB_LEAST_LOADED) {
            if (cib__rule_key(load, u->seq) <
                cib__rule_key((uint32_t)best->user->assigned.count, best->user->seq))
                best = m;
        } else if (r->strategy == CIB_ROUND_ROBIN && cursor) {
            int m_after = m->pos > cursor->pos, b_after = best->pos > cursor->pos;
            if (m_after && !b_after)
                best = m;
        }
    }
    return best ? best->user : NULL;
}

/* `count` decisions, each applied. With `verify`, each decision is checked
 * against a scan of all members. With b->link, the assignee's load grows by
 * linking a dummy conversation into their `assigned` tree, as ingest does;
 * without, by the count alone (the routing work only). */
static void decide_apply(bench *b, long count, int verify)
{
    cib_ctx *ctx = b->ctx;
    cib__channel *ch = b->ch;
    for (long i = 0; i < count; i++) {
        cib__decision d;
        cib__route_new(ctx, ch, NULL, &d);
        cib__user *u = d.assignee;
        if (!u || (verify && u != expected_pick(d.rule))) {
            fprintf(stderr, "%s: decision %ld: %s\n", strategy_names[ch->rule->strategy], i,
                    u ? "not the expected user" : "no assignee");
            exit(1);
        }
        cib__route_apply_pick(ctx, d.rule, u, ctx->seq + 1);
        cib__conv *cv = &b->pool[b->head];
        b->head = b->head + 1 == b->cap ? 0 : b->head + 1;
        cv->assignee = u;
        if (b->link) {
            cv->id = ++b->next_key;
            cib__tree_insert(&u->assigned, &cv->in_queue);
        } else {
            u->assigned.count++;
        }
        cib__rule_refresh_user(ctx, u);
        b->open++;
    }
}

/* `count` decisions that change nothing. */
static void decide_only(bench *b, long count)
{
    for (long i = 0; i < count; i++) {
        cib__decision d;
        cib__route_new(b->ctx, b->ch, NULL, &d);
        if (!d.assignee) {
            fprintf(stderr, "decide: no assignee\n");
            exit(1);
        }
    }
}

/* Close the `count` oldest open dummy conversations. */
static void close_oldest(bench *b, size_t count)
{
    for (size_t i = 0; i < count && b->open; i++) {
        cib__conv *old = &b->pool[b->tail];
        b->tail = b->tail + 1 == b->cap ? 0 : b->tail + 1;
        if (b->link)
            cib__tree_remove(&old->assignee->assigned, &old->in_queue);
        else
            old->assignee->assigned.count--;
        cib__rule_refresh_user(b->ctx, old->assignee);
        b->open--;
    }
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, by_value);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

typedef struct result {
    double decide_ns, decision_ns, close_ns, linked_ns;
} result;

/* Open N conversations so that every user has work; check the first
 * decisions against a scan of all members. */
static void warm_up(bench *b)
{
    long checked = b->n_users <= 1000 ? b->n_users : 100;
    decide_apply(b, checked, 1);
    decide_apply(b, b->n_users - checked, 0);
    decide_apply(b, 1000, b->n_users <= 1000);
    close_oldest(b, 1000);
}

/* One instrumented loop under callgrind, dumped as part `name`. */
#define MEASURED(name, call)                                                                       \
    do {                                                                                           \
        CALLGRIND_ZERO_STATS;                                                                      \
        CALLGRIND_TOGGLE_COLLECT;                                                                  \
        call;                                                                                      \
        CALLGRIND_TOGGLE_COLLECT;                                                                  \
        CALLGRIND_DUMP_STATS_AT(name);                                                             \
    } while (0)

static result run(bench *b, int strategy, long decisions, int reps)
{
    set_strategy(b, strategy);
    result res = {0, 0, 0, 0};
    if (RUNNING_ON_VALGRIND) {
        /* One repetition of each loop, and nothing else, instrumented. */
        CALLGRIND_START_INSTRUMENTATION;
        for (b->link = 0; b->link <= 1; b->link++) {
            warm_up(b);
            MEASURED(b->link ? "decision+link" : "decision", decide_apply(b, decisions, 0));
            MEASURED(b->link ? "close+unlink" : "close", close_oldest(b, (size_t)decisions));
            if (!b->link)
                MEASURED("decide", decide_only(b, decisions));
            close_oldest(b, b->open);
        }
        CALLGRIND_STOP_INSTRUMENTATION;
        fprintf(stderr,
                "%s N=%ld: callgrind parts 1 decision, 2 close, 3 decide, 4 decision+link, 5 "
                "close+unlink; %ld each\n",
                strategy_names[strategy], b->n_users, decisions);
        return res;
    }
    double t_dec[MAX_REPS], t_close[MAX_REPS], t_decide[MAX_REPS], t_link[MAX_REPS];
    for (b->link = 0; b->link <= 1; b->link++) {
        warm_up(b);
        for (int r = 0; r < reps; r++) {
            double t0 = now_s();
            decide_apply(b, decisions, 0);
            double t1 = now_s();
            close_oldest(b, (size_t)decisions);
            double t2 = now_s();
            if (b->link) {
                t_link[r] = (t1 - t0) * 1e9 / (double)decisions;
                continue;
            }
            decide_only(b, decisions);
            double t3 = now_s();
            t_dec[r] = (t1 - t0) * 1e9 / (double)decisions;
            t_close[r] = (t2 - t1) * 1e9 / (double)decisions;
            t_decide[r] = (t3 - t2) * 1e9 / (double)decisions;
        }
        close_oldest(b, b->open);
    }
    res.decide_ns = median(t_decide, reps);
    res.decision_ns = median(t_dec, reps);
    res.close_ns = median(t_close, reps);
    res.linked_ns = median(t_link, reps);
    return res;
}

static int parse_strategy(const char *s)
{
    for (int i = 1; i <= 3; i++)
        if (!strcmp(s, strategy_names[i]))
            return i;
    return strcmp(s, "all") ? -1 : 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: routing [first_available|round_robin|least_loaded|all "
                    "N[,N...] [DECISIONS [REPS]]]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int only = 0;
    long ns[16] = {10, 1000, 100000};
    int n_ns = 3;
    long decisions = 200000;
    int reps = 9;
    if (argc > 1) {
        if (argc < 3 || argc > 5 || (only = parse_strategy(argv[1])) < 0)
            usage();
        n_ns = 0;
        for (char *p = argv[2], *end; *p; p = *end ? end + 1 : end) {
            long v = strtol(p, &end, 10);
            if (end == p || (*end && *end != ',') || v < 1 || v > 999999 || n_ns == 16)
                usage();
            ns[n_ns++] = v;
        }
        if (argc > 3 && (decisions = atol(argv[3])) < 1)
            usage();
        if (argc > 4 && ((reps = atoi(argv[4])) < 1 || reps > MAX_REPS))
            usage();
    }
    if (!RUNNING_ON_VALGRIND) {
        printf("Routing decisions: a rule naming one team of N users; ns: median of %d x %ld\n\n",
               reps, decisions);
        printf("| %-15s | %7s | %9s | %11s | %8s | %18s |\n", "strategy", "N", "decide ns",
               "decision ns", "close ns", "decision+link ns");
        printf("|-----------------|--------:|----------:|------------:|---------:|"
               "-------------------:|\n");
    }
    result first[4] = {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}}, last[4];
    for (int k = 0; k < n_ns; k++) {
        bench b;
        double t0 = now_s();
        setup(&b, ns[k], decisions);
        fprintf(stderr, "N=%ld: setup %.2f s\n", ns[k], now_s() - t0);
        for (int s = 1; s <= 3; s++) {
            if (only && s != only)
                continue;
            result r = run(&b, s, decisions, reps);
            if (k == 0)
                first[s] = r;
            last[s] = r;
            if (!RUNNING_ON_VALGRIND)
                printf("| %-15s | %7ld | %9.1f | %11.1f | %8.1f | %18.1f |\n", strategy_names[s],
                       ns[k], r.decide_ns, r.decision_ns, r.close_ns, r.linked_ns);
            fflush(stdout);
        }
        teardown(&b);
    }
    if (n_ns > 1 && !RUNNING_ON_VALGRIND) {
        printf("\nratio N=%ld / N=%ld:\n", ns[n_ns - 1], ns[0]);
        for (int s = 1; s <= 3; s++)
            if (!only || s == only)
                printf("  %-15s decide %.2fx, decision %.2fx, close %.2fx, decision+link %.2fx\n",
                       strategy_names[s], last[s].decide_ns / first[s].decide_ns,
                       last[s].decision_ns / first[s].decision_ns,
                       last[s].close_ns / first[s].close_ns,
                       last[s].linked_ns / first[s].linked_ns);
    }
    return 0;
}
