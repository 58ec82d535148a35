/*
 * harness.c - repetitions, statistics, callgrind bracketing and output for
 * the benchmark programs (see harness.h).
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgrequests.h"

static struct {
    const char *program;
    int reps;
    int quick;
    int valgrind;
    int dumps; /* callgrind dumps made so far */
    FILE *jsonl;
} H;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int bh_init(const char *program, int argc, char **argv, int default_reps)
{
    H.program = program;
    H.reps = default_reps;
    H.valgrind = RUNNING_ON_VALGRIND ? 1 : 0;
    const char *jsonl = getenv("CIB_BENCH_JSONL");
    int out = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) {
            H.quick = 1;
        } else if (!strcmp(argv[i], "--reps") && i + 1 < argc) {
            H.reps = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--jsonl") && i + 1 < argc) {
            jsonl = argv[++i];
        } else {
            argv[out++] = argv[i];
        }
    }
    argv[out] = NULL;
    if (H.reps < 1 || H.reps > BH_MAX_REPS) {
        fprintf(stderr, "%s: --reps takes 1..%d\n", program, BH_MAX_REPS);
        exit(2);
    }
    if (H.quick || H.valgrind)
        H.reps = 1;
    if (jsonl && *jsonl) {
        H.jsonl = fopen(jsonl, "a");
        if (!H.jsonl) {
            perror(jsonl);
            exit(1);
        }
    }
    return out;
}

int bh_quick(void)
{
    return H.quick;
}

int bh_valgrind(void)
{
    return H.valgrind;
}

void bh_begin(bh_meas *m, const char *name, const char *params, long ops)
{
    memset(m, 0, sizeof *m);
    m->name = name;
    snprintf(m->params, sizeof m->params, "%s", params ? params : "");
    m->ops = ops;
    m->reps = H.reps;
    m->instr = -1;
}

int bh_next(bh_meas *m)
{
    return m->rep < m->reps;
}

void bh_start(bh_meas *m)
{
    if (H.valgrind) {
        CALLGRIND_START_INSTRUMENTATION;
        CALLGRIND_TOGGLE_COLLECT;
    }
    m->t0 = now_ns();
}

/* The "totals:" of callgrind's dump number `n` of this process. */
static double read_dump(int n)
{
    char path[600];
    const char *prefix = getenv("CIB_BENCH_CALLGRIND_OUT");
    if (prefix && *prefix)
        snprintf(path, sizeof path, "%s.%d", prefix, n);
    else
        snprintf(path, sizeof path, "callgrind.out.%ld.%d", (long)getpid(), n);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr,
                "%s: cannot read the callgrind dump %s (run with "
                "--collect-atstart=no --instr-atstart=no, in the working directory or "
                "with CIB_BENCH_CALLGRIND_OUT set to --callgrind-out-file)\n",
                H.program, path);
        return -1;
    }
    char line[256];
    double total = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "totals:", 7))
            total = strtod(line + 7, NULL);
    fclose(f);
    return total;
}

void bh_stop(bh_meas *m)
{
    double t = now_ns() - m->t0;
    if (H.valgrind) {
        CALLGRIND_TOGGLE_COLLECT;
        CALLGRIND_DUMP_STATS_AT(m->name);
        CALLGRIND_STOP_INSTRUMENTATION;
        double ir = read_dump(++H.dumps);
        if (ir >= 0 && m->ops > 0)
            m->instr = ir / (double)m->ops;
    }
    if (m->rep < BH_MAX_REPS)
        m->ns[m->rep] = m->ops > 0 ? t / (double)m->ops : 0;
    m->rep++;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void sorted(const bh_meas *m, double *v)
{
    memcpy(v, m->ns, (size_t)m->rep * sizeof *v);
    qsort(v, (size_t)m->rep, sizeof *v, by_value);
}

double bh_median(const bh_meas *m)
{
    if (m->rep < 1)
        return 0;
    double v[BH_MAX_REPS];
    sorted(m, v);
    return m->rep % 2 ? v[m->rep / 2] : (v[m->rep / 2 - 1] + v[m->rep / 2]) / 2;
}

static double p99(const bh_meas *m)
{
    double v[BH_MAX_REPS];
    sorted(m, v);
    int rank = (99 * m->rep + 99) / 100; /* nearest rank, 1-based */
    return v[rank - 1];
}

/* params "a=1 b=x" as a JSON object {"a":1,"b":"x"}. */
static void json_params(FILE *f, const char *params)
{
    fputc('{', f);
    const char *p = params;
    int first = 1;
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *eq = strchr(p, '='), *end = strchr(p, ' ');
        if (!end)
            end = p + strlen(p);
        if (!eq || eq > end)
            eq = end;
        const char *v = eq < end ? eq + 1 : eq;
        int numeric = v < end;
        for (const char *c = v; c < end; c++)
            if ((*c < '0' || *c > '9') && !(c == v && *c == '-'))
                numeric = 0;
        fprintf(f, "%s\"%.*s\":", first ? "" : ",", (int)(eq - p), p);
        if (numeric)
            fprintf(f, "%.*s", (int)(end - v), v);
        else
            fprintf(f, "\"%.*s\"", (int)(end - v), v);
        first = 0;
        p = end;
    }
    fputc('}', f);
}

void bh_table(const char *title)
{
    printf("\n%s\n\n", title);
    printf("| %-26s | %-60s | %9s | %12s | %12s | %10s |\n", "measurement", "parameters", "ops",
           "ns/op median", "ns/op p99", "instr/op");
    printf("|----------------------------|---------------------------------------------------------"
           "-----|----------"
           ":|-------------:|-------------:|-----------:|\n");
    fflush(stdout);
}

void bh_end(bh_meas *m)
{
    char instr[32] = "";
    if (m->instr >= 0)
        snprintf(instr, sizeof instr, "%.0f", m->instr);
    if (H.valgrind)
        printf("| %-26s | %-60s | %9ld | %12s | %12s | %10s |\n", m->name, m->params, m->ops, "",
               "", instr);
    else
        printf("| %-26s | %-60s | %9ld | %12.1f | %12.1f | %10s |\n", m->name, m->params, m->ops,
               bh_median(m), p99(m), instr);
    fflush(stdout);
    if (!H.jsonl)
        return;
    fprintf(H.jsonl, "{\"program\":\"%s\",\"name\":\"%s\",\"params\":", H.program, m->name);
    json_params(H.jsonl, m->params);
    fprintf(H.jsonl, ",\"ops\":%ld,\"reps\":%d,", m->ops, m->rep);
    if (H.valgrind)
        fprintf(H.jsonl, "\"ns_per_op\":null,");
    else
        fprintf(H.jsonl, "\"ns_per_op\":{\"median\":%.2f,\"p99\":%.2f},", bh_median(m), p99(m));
    if (m->instr >= 0)
        fprintf(H.jsonl, "\"instructions_per_op\":%.1f}\n", m->instr);
    else
        fprintf(H.jsonl, "\"instructions_per_op\":null}\n");
    fflush(H.jsonl);
}

void bh_value(const char *name, const char *params, double value, const char *unit)
{
    printf("| %-26s | %-60s | %9s | %12.1f | %-12s | %10s |\n", name, params, "", value, unit, "");
    fflush(stdout);
    if (!H.jsonl)
        return;
    fprintf(H.jsonl, "{\"program\":\"%s\",\"name\":\"%s\",\"params\":", H.program, name);
    json_params(H.jsonl, params);
    fprintf(H.jsonl, ",\"value\":%.3f,\"unit\":\"%s\"}\n", value, unit);
    fflush(H.jsonl);
}

void bh_check(int rc, cib_ctx *ctx, const char *what)
{
    if (rc) {
        fprintf(stderr, "%s: %s: %s: %s\n", H.program, what, cib_status_name(rc),
                ctx ? cib_errmsg(ctx) : "");
        exit(1);
    }
}

void *bh_alloc(size_t n)
{
    void *p = calloc(1, n ? n : 1);
    if (!p) {
        fprintf(stderr, "%s: out of memory (%zu bytes)\n", H.program, n);
        exit(1);
    }
    return p;
}

uint64_t bh_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}
