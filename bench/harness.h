/*
 * harness.h - what every benchmark program shares: repetitions, the median
 * and p99 of nanoseconds per operation, instructions per operation under
 * callgrind, and the two outputs (a Markdown table on stdout, JSON Lines).
 *
 * A measurement is a block of `ops` operations run `reps` times:
 *
 *     bh_meas m;
 *     bh_begin(&m, "ingest.new", "strategy=round_robin users=10", 20000);
 *     while (bh_next(&m)) {      // one repetition per iteration
 *         ...untimed setup...
 *         bh_start(&m);
 *         ...m.ops operations...
 *         bh_stop(&m);
 *     }
 *     bh_end(&m);                // prints the row and the JSON record
 *
 * Every program takes the common options, before its own arguments:
 *   --reps N      repetitions per measurement (default: the program's)
 *   --quick       a seconds-long smoke run (small sizes, 1 repetition)
 *   --jsonl FILE  append one JSON record per measurement to FILE (also taken
 *                 from the environment variable CIB_BENCH_JSONL)
 *
 * Under callgrind (valgrind --tool=callgrind --collect-atstart=no
 * --instr-atstart=no) each measurement runs once; only the block between
 * bh_start() and bh_stop() is instrumented and collected, dumped as a part
 * named after the measurement, and read back from the dump file
 * (callgrind.out.PID.N in the working directory, or the prefix in the
 * environment variable CIB_BENCH_CALLGRIND_OUT when --callgrind-out-file is
 * given) to report instructions per operation. The dumps are left in place
 * for callgrind_annotate (dump N is the Nth measurement). Wall-clock figures under
 * valgrind mean nothing and are not reported.
 *
 * JSON record, one line per measurement:
 *   {"program":"hotpath","name":"ingest.new","params":{"strategy":
 *    "round_robin","users":10},"ops":20000,"reps":9,"ns_per_op":{"median":
 *    312.5,"p99":401.2},"instructions_per_op":null}
 * p99 is over the repetitions (the nearest-rank 99th percentile, which is the
 * slowest repetition when there are fewer than 100). Values that are not
 * times (bytes, ratios) are records with "value" and "unit" instead.
 */
#ifndef BENCH_HARNESS_H
#define BENCH_HARNESS_H

#include <stddef.h>
#include <stdint.h>

#include "convinbox.h"

#define BH_MAX_REPS 101

typedef struct bh_meas {
    const char *name;
    char params[256];
    long ops;
    int reps, rep;
    double t0;
    double ns[BH_MAX_REPS]; /* ns per operation, per repetition */
    double instr;           /* per operation, < 0: not measured */
} bh_meas;

/* Parses and removes the common options from argv; returns the new argc.
 * `program` names the records; `default_reps` applies without --reps. */
int bh_init(const char *program, int argc, char **argv, int default_reps);
/* 1 under --quick. */
int bh_quick(void);
/* 1 when running under valgrind. */
int bh_valgrind(void);

/* Starts a measurement; `params` is "key=value key=value" (values that are
 * decimal integers become JSON numbers). */
void bh_begin(bh_meas *m, const char *name, const char *params, long ops);
/* 1 while repetitions remain (advances the repetition). */
int bh_next(bh_meas *m);
void bh_start(bh_meas *m);
void bh_stop(bh_meas *m);
/* Prints the table row and writes the JSON record. */
void bh_end(bh_meas *m);

/* A value that is not a time per operation (bytes per object, a ratio, a
 * rate): printed as a row and recorded with its unit. */
void bh_value(const char *name, const char *params, double value, const char *unit);

/* The median of the measurement's repetitions, in ns per operation. */
double bh_median(const bh_meas *m);

/* Prints a heading before a group of rows (a Markdown table header). */
void bh_table(const char *title);

/* Exits with a message when rc is not CIB_OK. */
void bh_check(int rc, cib_ctx *ctx, const char *what);
/* malloc that exits on failure. */
void *bh_alloc(size_t n);
/* A deterministic 64-bit generator (splitmix64). */
uint64_t bh_rand(uint64_t *state);

#endif
