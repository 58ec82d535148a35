/*
 * crashcheck.h - the parent side of the crash test (test_crash.c, R-HOST-1):
 * what the children reported (their records, see crashchild.h), and the
 * checks of the database reopened after each kill: nothing reported lost,
 * nothing stored twice or half, and messages stored come back as duplicates
 * when sent again.
 */
#ifndef CRASHCHECK_H
#define CRASHCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "convinbox/sqlite.h"

/* crashrun.flags[] */
enum { F_STARTED = 1, F_REPORTED = 2 };

/* One test's run of kills: its database, what the children reported per
 * position and in the last round, and totals. */
typedef struct crashrun {
    const char *label;
    char path[400];
    int sync;
    uint64_t rng;
    int slow; /* running under valgrind: longer delays */
    /* Per position. */
    unsigned char *flags;
    uint64_t *stored;   /* its message id at the last check; 0: not stored */
    uint64_t *reported; /* the message id the child reported */
    unsigned char *count, *dedup;
    uint64_t *cur;
    unsigned hi; /* one past the highest position ever started */
    /* Replies and comments reported OK: they must stay. */
    uint64_t *acts;
    size_t n_acts, cap_acts;
    /* This round. */
    unsigned *round_pos; /* positions reported (ok or dup) */
    size_t n_round;
    unsigned *round_started;
    size_t n_started, cap_started;
    unsigned call_pos, call_n; /* the call in progress at the kill, if any */
    int in_call;
    int ready, done;
    unsigned start; /* where this round's child began */
    unsigned next;  /* where the next one begins */
    /* Totals. */
    long rounds, kills, kills_in_call, kills_opening, finished;
    long stored_msgs, dups, resent, unreported, redelivered, in_call_batches;
    long replies;
} crashrun;

/* Open the run's database (cr->path, with cr->sync; `create`: with
 * CIB_SQLITE_CREATE) and a new context on it, messages into err. Fails the
 * test if either fails, naming `when` (" after the kill", or ""). */
cib_ctx *crash_open(const crashrun *cr, int create, cib_store *st, char *err, size_t size,
                    const char *when);
/* One record of the child: a line, without its newline. */
void crash_take_record(crashrun *cr, char *line);
/* Reopen the database after a kill and check everything; what is stored now
 * must stay from now on. */
void crash_verify(crashrun *cr);

#endif
