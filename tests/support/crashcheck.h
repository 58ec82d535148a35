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
    const char *vfs; /* the parent's opens: SQLite VFS (NULL: the default) */
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
    /* Inboxes created (positions), conversations closed (id, messages). */
    unsigned *inboxes;
    size_t n_inboxes, cap_inboxes;
    uint64_t *closes;
    size_t n_closes, cap_closes; /* pairs */
    /* 1: a loss of acknowledged calls is counted (synchronous NORMAL and a
     * power loss), not a failure; what was lost is expected no more. */
    int lossy;
    long lost_round, lost_max, lost_total, lossy_rounds;
    /* How many of acts, inboxes and closes the last check found: those
     * may never be lost. */
    size_t acts_seen, inboxes_seen, closes_seen;
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
    long replies, inboxes_made, closes_made;
} crashrun;

/* Open the run's database (cr->path, with cr->sync; `create`: with
 * CIB_SQLITE_CREATE) and a new context on it, messages into err. Fails the
 * test if either fails, naming `when` (" after the kill", or ""). */
cib_ctx *crash_open(const crashrun *cr, int create, cib_store *st, char *err, size_t size,
                    const char *when);
/* Create the run's account: agents u0..u3 (u0..u2 available, u2 and u3
 * with small capacities), an inbox with an email channel (round robin over
 * a team, a ticket with each conversation) and a chat channel (least loaded
 * over u2 and u3, with a waiting queue). */
void crash_create_account(const crashrun *cr);
/* One record of the child: a line, without its newline. */
void crash_take_record(crashrun *cr, char *line);
/* A round's records: text[0..n), NUL-terminated, lines cut in place. */
void crash_take_records(crashrun *cr, char *text, size_t n);
/* Reopen the database after a kill and check everything; what is stored now
 * must stay from now on. */
void crash_verify(crashrun *cr);

#endif
