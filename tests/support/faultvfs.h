/*
 * faultvfs.h - a SQLite VFS shim that fails one chosen call (R-HOST-1):
 * "faultvfs", registered on top of the default VFS (not as the default).
 * Armed, it counts the calls of one kind (xWrite, xSync or xRead of any file)
 * and fails the N-th (or every one from the N-th on) with a chosen result
 * code; disarmed, it passes every call through. It also counts xSleep calls
 * (a busy handler waiting) and can end another connection's transaction at
 * the first of them. Open a database through it with the VFS name
 * "faultvfs" (cib_sqlite_options.vfs).
 */
#ifndef FAULTVFS_H
#define FAULTVFS_H

#include <sqlite3.h>

/* Which calls count towards the one that fails. */
enum faultvfs_on { FAULTVFS_NONE, FAULTVFS_WRITE, FAULTVFS_SYNC, FAULTVFS_READ };

/* Register "faultvfs" (once; later calls do nothing). */
void faultvfs_register(void);
/* Disarm, and zero every counter; no connection to release. */
void faultvfs_reset(void);

/* Fail the at-th counted call (1, 2, ...) of kind `on` with `rc`. */
void faultvfs_arm(int on, long at, int rc);
/* Every counted call from the at-th on fails, until disarmed. */
void faultvfs_arm_sticky(int on, long at, int rc);
/* Disarm; how many failures were injected since armed. */
long faultvfs_disarm(void);
/* How many failures were injected since last armed. */
long faultvfs_fired(void);
/* How many calls of the armed kind were counted since armed (a count far
 * out of reach counts them without failing any). */
long faultvfs_calls(void);

/* xSleep calls since the last reset or faultvfs_zero_sleeps(). */
long faultvfs_sleeps(void);
void faultvfs_zero_sleeps(void);
/* At the next xSleep, first COMMIT db's transaction (the result code is -1
 * until then). */
void faultvfs_release_on_sleep(sqlite3 *db);
/* The connection still to be released at the next xSleep, or NULL. */
sqlite3 *faultvfs_release_pending(void);
/* What the COMMIT at the xSleep returned. */
int faultvfs_release_rc(void);

#endif
