/*
 * crashchild.h - the child side of the crash test (test_crash.c, R-HOST-1):
 * the deterministic stream of inbound messages and actions, a pure function
 * of the position, and the child's loop, which runs the stream on the
 * database and reports each call through a pipe until it is killed.
 *
 * Records, one line each, written with write(2) as soon as a call returns:
 *   ready                 the context is open
 *   start P N             a call on stream positions P .. P+N-1 begins
 *   ok P ID               the inbound message at P was stored as message ID
 *   dup P ID              ... was a duplicate of message ID
 *   reply P ID, comment P ID, act P, skip P STATUS
 *                         an action returned (skip: refused as expected)
 *   close P CONV N        conversation CONV was closed with N messages
 *   inbox P               inbox "x<P, 6 digits>" was created
 *   done                  the stream is finished
 *   err P STATUS TEXT     an unexpected status; the child exits 3
 */
#ifndef CRASHCHILD_H
#define CRASHCHILD_H

#include <stdint.h>

#include "convinbox.h"

/* Positions of the stream; message ids are "m%06u". */
#define STREAM_LEN 100000u
/* Batches cover whole blocks of positions (from the resume point on). */
#define BLOCK      8u
/* The agents the actions name: u0 .. u(USERS-1). */
#define USERS      4u

/* A 64-bit mixing function (splitmix64's finalizer). */
uint64_t mix64(uint64_t x);

/* The strings of one inbound message. */
typedef struct msgbuf {
    char msg_id[16];
    char from[40];
    char thread[24];
    char text[48];
} msgbuf;

/* The inbound message at a position: email or chat; a new thread, a
 * follow-up on an earlier position's thread key, or no thread; a repeat
 * sender or a new one. m's strings point into b. */
void message_at(unsigned pos, msgbuf *b, cib_inbound *m);

/* Never returns: opens the database at `path` with `sync` (a
 * CIB_SQLITE_... value) through SQLite VFS `vfs` (NULL: the default) and
 * runs the stream from `start` until killed, or to its end, writing its
 * records to fd. */
void child_main(const char *path, int sync, const char *vfs, unsigned start, int fd);

#endif
