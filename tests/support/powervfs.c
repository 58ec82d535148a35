/* powervfs.c - a SQLite VFS shim that simulates a power loss (see
 * powervfs.h). */
#include "powervfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testenv.h"

#define MAX_PATHS 16
#define SECTOR    512

/* A write or truncation since the file's last sync: what it replaced. */
typedef struct pv_change {
    sqlite3_int64 off;      /* a write: where; a truncation: the new size */
    sqlite3_int64 old_size; /* the file's size before */
    unsigned char *old;     /* the bytes it replaced, [off, min(off+len, old_size)) */
    unsigned char *data;    /* a write: its bytes; a truncation: NULL */
    int len;                /* a write: its length; a truncation: the bytes cut off */
} pv_change;

/* A file name, as the disk would have it after a power loss. */
typedef struct pv_path {
    char *name;
    int exists;         /* now */
    int durable;        /* in the directory as last synced */
    int dir_dirty;      /* created or deleted since */
    unsigned char *was; /* deleted, not yet synced: its synced content */
    sqlite3_int64 was_len;
    int has_was;
    pv_change *log; /* since its last sync */
    size_t n_log, cap_log;
} pv_path;

static struct {
    pv_path paths[MAX_PATHS];
    size_t n_paths;
    long at, calls;
    uint64_t rng;
} pv;

static sqlite3_vfs *real_vfs;

static void forget_log(pv_path *p);

void powervfs_arm(long at, uint64_t seed)
{
    /* From now on: what is on the disk now is durable. */
    for (size_t i = 0; i < pv.n_paths; i++) {
        pv_path *p = &pv.paths[i];
        forget_log(p);
        free(p->log);
        free(p->was);
        free(p->name);
    }
    pv.n_paths = 0;
    pv.at = at;
    pv.calls = 0;
    pv.rng = seed ? seed : 1;
}

long powervfs_calls(void)
{
    return pv.calls;
}

static uint64_t rnd(void)
{
    pv.rng ^= pv.rng << 13;
    pv.rng ^= pv.rng >> 7;
    pv.rng ^= pv.rng << 17;
    return pv.rng;
}

static pv_path *path_of(const char *name)
{
    for (size_t i = 0; i < pv.n_paths; i++)
        if (!strcmp(pv.paths[i].name, name))
            return &pv.paths[i];
    assert_true(pv.n_paths < MAX_PATHS);
    pv_path *p = &pv.paths[pv.n_paths++];
    memset(p, 0, sizeof *p);
    p->name = strdup(name);
    assert_non_null(p->name);
    /* What is there when first seen was there before this process. */
    p->exists = p->durable = access(name, F_OK) == 0;
    return p;
}

static void forget_log(pv_path *p)
{
    for (size_t i = 0; i < p->n_log; i++) {
        free(p->log[i].old);
        free(p->log[i].data);
    }
    p->n_log = 0;
}

/* The directory reached the disk: creations and deletions with it. */
static void dir_synced(void)
{
    for (size_t i = 0; i < pv.n_paths; i++) {
        pv_path *p = &pv.paths[i];
        p->durable = p->exists;
        p->dir_dirty = 0;
        free(p->was);
        p->was = NULL;
        p->has_was = 0;
    }
}

/* ---- the power loss ---- */

static void must_io(ssize_t got, ssize_t want)
{
    if (got != want)
        _exit(POWERVFS_EXIT + 1);
}

/* Undo every change since the last sync (newest first), then redo a random
 * subset of them (in order): each whole, dropped, or sector by sector. */
static void lose_writes(pv_path *p, int fd)
{
    for (size_t k = p->n_log; k-- > 0;) {
        const pv_change *c = &p->log[k];
        sqlite3_int64 kept = c->old_size > c->off ? c->old_size - c->off : 0;
        if (kept > c->len)
            kept = c->len;
        if (kept)
            must_io(pwrite(fd, c->old, (size_t)kept, c->off), (ssize_t)kept);
        must_io(ftruncate(fd, c->old_size), 0);
    }
    for (size_t k = 0; k < p->n_log; k++) {
        const pv_change *c = &p->log[k];
        int fate = (int)(rnd() % 3); /* 0 dropped, 1 whole, 2 torn */
        if (fate == 0)
            continue;
        if (!c->data) {
            must_io(ftruncate(fd, c->off), 0);
            continue;
        }
        for (int s = 0; s < c->len; s += SECTOR) {
            int n = c->len - s < SECTOR ? c->len - s : SECTOR;
            if (fate == 1 || (rnd() & 1))
                must_io(pwrite(fd, c->data + s, (size_t)n, c->off + s), n);
        }
    }
}

static void power_loss(void)
{
    for (size_t i = 0; i < pv.n_paths; i++) {
        pv_path *p = &pv.paths[i];
        /* A creation or deletion the directory never synced: undone, or
         * not. */
        int undo_dir = p->dir_dirty && (rnd() & 1);
        if (undo_dir && !p->durable) {
            unlink(p->name);
            continue;
        }
        if (undo_dir && p->has_was) {
            int fd = open(p->name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            must_io(fd >= 0 ? 0 : -1, 0);
            must_io(write(fd, p->was, (size_t)p->was_len), (ssize_t)p->was_len);
            close(fd);
            continue;
        }
        if (!p->exists)
            continue;
        int fd = open(p->name, O_RDWR);
        must_io(fd >= 0 ? 0 : -1, 0);
        lose_writes(p, fd);
        close(fd);
    }
    _exit(POWERVFS_EXIT);
}

/* A counted call: the power may go before it. */
static void counted(void)
{
    if (++pv.calls == pv.at)
        power_loss();
}

/* ---- the shim's files ---- */

typedef struct pv_file {
    sqlite3_file base;
    sqlite3_file *real;
    pv_path *path; /* NULL: a temporary file, not followed */
    int syncs_dir; /* its first sync syncs the directory too */
} pv_file;

static sqlite3_file *real_of(sqlite3_file *f)
{
    return ((pv_file *)(void *)f)->real;
}

static pv_change *new_change(pv_path *p)
{
    if (p->n_log == p->cap_log) {
        p->cap_log = p->cap_log ? p->cap_log * 2 : 64;
        p->log = realloc(p->log, p->cap_log * sizeof *p->log);
        assert_non_null(p->log);
    }
    pv_change *c = &p->log[p->n_log++];
    memset(c, 0, sizeof *c);
    return c;
}

/* The bytes [off, off+len) as they are (zeros past the end). */
static unsigned char *old_bytes(sqlite3_file *r, sqlite3_int64 off, int len)
{
    unsigned char *b = calloc((size_t)len + 1, 1);
    assert_non_null(b);
    int rc = r->pMethods->xRead(r, b, len, off);
    assert_true(rc == SQLITE_OK || rc == SQLITE_IOERR_SHORT_READ);
    return b;
}

static int pf_close(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xClose(r);
}

static int pf_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xRead(r, buf, n, off);
}

static int pf_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    pv_file *pf = (pv_file *)(void *)f;
    sqlite3_file *r = pf->real;
    if (pf->path) {
        counted();
        pv_change *c = new_change(pf->path);
        assert_int_equal(r->pMethods->xFileSize(r, &c->old_size), SQLITE_OK);
        c->off = off;
        c->len = n;
        c->old = old_bytes(r, off, n);
        c->data = malloc((size_t)n);
        assert_non_null(c->data);
        memcpy(c->data, buf, (size_t)n);
    }
    return r->pMethods->xWrite(r, buf, n, off);
}

static int pf_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    pv_file *pf = (pv_file *)(void *)f;
    sqlite3_file *r = pf->real;
    if (pf->path) {
        counted();
        pv_change *c = new_change(pf->path);
        assert_int_equal(r->pMethods->xFileSize(r, &c->old_size), SQLITE_OK);
        c->off = size;
        c->len = c->old_size > size ? (int)(c->old_size - size) : 0;
        c->old = old_bytes(r, size, c->len);
    }
    return r->pMethods->xTruncate(r, size);
}

/* Not passed through: the model decides what is on the disk. */
static int pf_sync(sqlite3_file *f, int flags)
{
    (void)flags;
    pv_file *pf = (pv_file *)(void *)f;
    if (pf->path) {
        counted();
        forget_log(pf->path);
        if (pf->syncs_dir) {
            pf->syncs_dir = 0;
            dir_synced();
        }
    }
    return SQLITE_OK;
}

static int pf_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xFileSize(r, size);
}

static int pf_lock(sqlite3_file *f, int level)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xLock(r, level);
}

static int pf_unlock(sqlite3_file *f, int level)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xUnlock(r, level);
}

static int pf_check_reserved(sqlite3_file *f, int *out)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xCheckReservedLock(r, out);
}

static int pf_file_control(sqlite3_file *f, int op, void *arg)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xFileControl(r, op, arg);
}

static int pf_sector_size(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xSectorSize(r);
}

static int pf_device_characteristics(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xDeviceCharacteristics(r);
}

static int pf_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmMap(r, page, size, extend, out);
}

static int pf_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmLock(r, offset, n, flags);
}

static void pf_shm_barrier(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    r->pMethods->xShmBarrier(r);
}

static int pf_shm_unmap(sqlite3_file *f, int delete_flag)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmUnmap(r, delete_flag);
}

/* Version 2: shared memory for WAL, no xFetch (no memory-mapped I/O that
 * would write around the shim). */
static const sqlite3_io_methods power_methods = {
    .iVersion = 2,
    .xClose = pf_close,
    .xRead = pf_read,
    .xWrite = pf_write,
    .xTruncate = pf_truncate,
    .xSync = pf_sync,
    .xFileSize = pf_file_size,
    .xLock = pf_lock,
    .xUnlock = pf_unlock,
    .xCheckReservedLock = pf_check_reserved,
    .xFileControl = pf_file_control,
    .xSectorSize = pf_sector_size,
    .xDeviceCharacteristics = pf_device_characteristics,
    .xShmMap = pf_shm_map,
    .xShmLock = pf_shm_lock,
    .xShmBarrier = pf_shm_barrier,
    .xShmUnmap = pf_shm_unmap,
};

static int pv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                   int *out_flags)
{
    (void)vfs;
    pv_file *p = (pv_file *)(void *)file;
    p->real = (sqlite3_file *)(void *)(p + 1);
    p->real->pMethods = NULL;
    p->path = NULL;
    p->syncs_dir = 0;
    pv_path *path = name && !(flags & SQLITE_OPEN_DELETEONCLOSE) ? path_of(name) : NULL;
    int rc = real_vfs->xOpen(real_vfs, name, p->real, flags, out_flags);
    p->base.pMethods = p->real->pMethods ? &power_methods : NULL;
    if (rc == SQLITE_OK && path) {
        p->path = path;
        if (!path->exists) {
            path->exists = 1;
            path->dir_dirty = 1;
        }
        p->syncs_dir =
            (flags & SQLITE_OPEN_CREATE) &&
            (flags & (SQLITE_OPEN_WAL | SQLITE_OPEN_MAIN_JOURNAL | SQLITE_OPEN_SUPER_JOURNAL)) != 0;
    }
    return rc;
}

static int pv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    pv_path *p = path_of(name);
    counted();
    if (p->exists && p->durable && !p->has_was) {
        /* What the directory still names: the synced content. */
        FILE *f = fopen(name, "rb");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        unsigned char *b = malloc((size_t)n + 1);
        assert_non_null(b);
        assert_true(fread(b, 1, (size_t)n, f) == (size_t)n);
        fclose(f);
        for (size_t k = p->n_log; k-- > 0;) {
            const pv_change *c = &p->log[k];
            sqlite3_int64 kept = c->old_size > c->off ? c->old_size - c->off : 0;
            if (kept > c->len)
                kept = c->len;
            if (c->old_size > n) {
                b = realloc(b, (size_t)c->old_size + 1);
                assert_non_null(b);
                memset(b + n, 0, (size_t)(c->old_size - n));
            }
            memcpy(b + c->off, c->old, (size_t)kept);
            n = (long)c->old_size;
        }
        p->was = b;
        p->was_len = n;
        p->has_was = 1;
    }
    forget_log(p);
    int rc = real_vfs->xDelete(real_vfs, name, 0);
    if (rc == SQLITE_OK) {
        p->exists = 0;
        p->dir_dirty = 1;
        if (sync_dir)
            dir_synced();
    }
    return rc;
}

static int pv_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int pv_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *pv_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xDlOpen(real_vfs, name);
}

static void pv_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    real_vfs->xDlError(real_vfs, n, out);
}

static void (*pv_dl_sym(sqlite3_vfs *vfs, void *handle, const char *sym))(void)
{
    (void)vfs;
    return real_vfs->xDlSym(real_vfs, handle, sym);
}

static void pv_dl_close(sqlite3_vfs *vfs, void *handle)
{
    (void)vfs;
    real_vfs->xDlClose(real_vfs, handle);
}

static int pv_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, n, out);
}

static int pv_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    return real_vfs->xSleep(real_vfs, us);
}

static int pv_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int pv_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError(real_vfs, n, out);
}

static int pv_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static sqlite3_vfs power_vfs;

void powervfs_register(void)
{
    if (real_vfs)
        return;
    real_vfs = sqlite3_vfs_find(NULL);
    assert_non_null(real_vfs);
    assert_true(real_vfs->iVersion >= 2);
    sqlite3_vfs v;
    memset(&v, 0, sizeof v);
    v.iVersion = 2;
    v.szOsFile = (int)sizeof(pv_file) + real_vfs->szOsFile;
    v.mxPathname = real_vfs->mxPathname;
    v.zName = "powervfs";
    v.xOpen = pv_open;
    v.xDelete = pv_delete;
    v.xAccess = pv_access;
    v.xFullPathname = pv_full_pathname;
    v.xDlOpen = pv_dl_open;
    v.xDlError = pv_dl_error;
    v.xDlSym = pv_dl_sym;
    v.xDlClose = pv_dl_close;
    v.xRandomness = pv_randomness;
    v.xSleep = pv_sleep;
    v.xCurrentTime = pv_current_time;
    v.xGetLastError = pv_get_last_error;
    v.xCurrentTimeInt64 = pv_current_time_int64;
    power_vfs = v;
    assert_int_equal(sqlite3_vfs_register(&power_vfs, 0), SQLITE_OK);
}
