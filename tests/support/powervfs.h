/*
 * powervfs.h - a SQLite VFS shim that simulates a power loss (SQLite's
 * crash-test idea, test6.c): "powervfs", registered on top of the default
 * VFS (not as the default).
 *
 * It passes every call through and remembers, per file, what was written
 * since the file's last xSync (the bytes each write or truncation replaced),
 * and, for the directory, the files created or deleted since it was last
 * synced. It models the directory syncs of SQLite's unix VFS: the first
 * xSync of a WAL or journal opened with SQLITE_OPEN_CREATE also syncs the
 * directory, and so does an xDelete asked to (dirSync); the main database
 * file is never synced with its directory by itself. xSync is not passed
 * through: what the model says reached the disk is what counts.
 *
 * Armed with a count, the shim cuts the power at that write, sync,
 * truncation or deletion (before it happens): every file gets back what it
 * held at its last sync, plus a random subset of the writes since (each
 * whole, dropped, or torn into 512-byte sectors that each made it or not);
 * a creation or deletion the directory never synced may be undone (a
 * deleted file coming back with its synced content). Then the process
 * exits at once with POWERVFS_EXIT. Meant for a forked child whose parent
 * then opens the files and checks them.
 */
#ifndef POWERVFS_H
#define POWERVFS_H

#include <sqlite3.h>
#include <stdint.h>

/* The exit status of a process whose power was cut. */
#define POWERVFS_EXIT 42

/* Register "powervfs" (once; later calls do nothing). */
void powervfs_register(void);
/* Cut the power at the at-th counted call (1, 2, ...) from now; the
 * outcome of each unsynced write is drawn from `seed`. 0: never (then the
 * shim only saves the real syncs). Files are followed from now on: what
 * is on the disk now counts as synced. Not while a connection through the
 * shim is open. */
void powervfs_arm(long at, uint64_t seed);
/* Counted calls (writes, syncs, truncations, deletions) since armed. */
long powervfs_calls(void);

#endif
