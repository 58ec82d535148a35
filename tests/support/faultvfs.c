/* faultvfs.c - a SQLite VFS shim that fails one chosen call (see faultvfs.h). */
#include "faultvfs.h"

#include <string.h>

#include "testenv.h"

static struct {
    int on;           /* enum faultvfs_on */
    long at;          /* the counted call (1, 2, ...) that fails */
    long calls;       /* calls counted since armed */
    int rc;           /* what the failing call returns */
    int sticky;       /* 1: every counted call from `at` on fails */
    long fired;       /* failures injected since armed */
    sqlite3 *release; /* xSleep: first end this connection's transaction */
    int release_rc;   /* what ending it returned */
    long sleeps;      /* xSleep calls (a busy handler waiting) */
} fault;

static sqlite3_vfs *real_vfs;

void faultvfs_reset(void)
{
    memset(&fault, 0, sizeof fault);
}

void faultvfs_arm(int on, long at, int rc)
{
    fault.on = on;
    fault.at = at;
    fault.calls = 0;
    fault.rc = rc;
    fault.sticky = 0;
    fault.fired = 0;
}

void faultvfs_arm_sticky(int on, long at, int rc)
{
    faultvfs_arm(on, at, rc);
    fault.sticky = 1;
}

long faultvfs_disarm(void)
{
    fault.on = FAULTVFS_NONE;
    return fault.fired;
}

/* A counted call of kind `on`: whether it fails. */
static int fault_hit(int on)
{
    if (fault.on != on)
        return 0;
    ++fault.calls;
    if (fault.calls != fault.at && !(fault.sticky && fault.calls > fault.at))
        return 0;
    fault.fired++;
    return 1;
}

/* A file of the shim: the real file follows it in the same block. */
typedef struct fault_file {
    sqlite3_file base;
    sqlite3_file *real;
} fault_file;

static sqlite3_file *real_of(sqlite3_file *f)
{
    return ((fault_file *)(void *)f)->real;
}

static int ff_close(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xClose(r);
}

static int ff_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    sqlite3_file *r = real_of(f);
    return fault_hit(FAULTVFS_READ) ? fault.rc : r->pMethods->xRead(r, buf, n, off);
}

static int ff_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    sqlite3_file *r = real_of(f);
    return fault_hit(FAULTVFS_WRITE) ? fault.rc : r->pMethods->xWrite(r, buf, n, off);
}

static int ff_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xTruncate(r, size);
}

static int ff_sync(sqlite3_file *f, int flags)
{
    sqlite3_file *r = real_of(f);
    return fault_hit(FAULTVFS_SYNC) ? fault.rc : r->pMethods->xSync(r, flags);
}

static int ff_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xFileSize(r, size);
}

static int ff_lock(sqlite3_file *f, int level)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xLock(r, level);
}

static int ff_unlock(sqlite3_file *f, int level)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xUnlock(r, level);
}

static int ff_check_reserved(sqlite3_file *f, int *out)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xCheckReservedLock(r, out);
}

static int ff_file_control(sqlite3_file *f, int op, void *arg)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xFileControl(r, op, arg);
}

static int ff_sector_size(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xSectorSize(r);
}

static int ff_device_characteristics(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xDeviceCharacteristics(r);
}

static int ff_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **out)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmMap(r, page, size, extend, out);
}

static int ff_shm_lock(sqlite3_file *f, int offset, int n, int flags)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmLock(r, offset, n, flags);
}

static void ff_shm_barrier(sqlite3_file *f)
{
    sqlite3_file *r = real_of(f);
    r->pMethods->xShmBarrier(r);
}

static int ff_shm_unmap(sqlite3_file *f, int delete_flag)
{
    sqlite3_file *r = real_of(f);
    return r->pMethods->xShmUnmap(r, delete_flag);
}

/* Version 2: shared memory for WAL, but no xFetch, so that every page is
 * read with xRead. */
static const sqlite3_io_methods fault_methods = {
    .iVersion = 2,
    .xClose = ff_close,
    .xRead = ff_read,
    .xWrite = ff_write,
    .xTruncate = ff_truncate,
    .xSync = ff_sync,
    .xFileSize = ff_file_size,
    .xLock = ff_lock,
    .xUnlock = ff_unlock,
    .xCheckReservedLock = ff_check_reserved,
    .xFileControl = ff_file_control,
    .xSectorSize = ff_sector_size,
    .xDeviceCharacteristics = ff_device_characteristics,
    .xShmMap = ff_shm_map,
    .xShmLock = ff_shm_lock,
    .xShmBarrier = ff_shm_barrier,
    .xShmUnmap = ff_shm_unmap,
};

static int fv_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
                   int *out_flags)
{
    (void)vfs;
    fault_file *p = (fault_file *)(void *)file;
    p->real = (sqlite3_file *)(void *)(p + 1);
    p->real->pMethods = NULL;
    int rc = real_vfs->xOpen(real_vfs, name, p->real, flags, out_flags);
    /* A real file with methods is closed through ours, even after a failure. */
    p->base.pMethods = p->real->pMethods ? &fault_methods : NULL;
    return rc;
}

static int fv_delete(sqlite3_vfs *vfs, const char *name, int sync_dir)
{
    (void)vfs;
    return real_vfs->xDelete(real_vfs, name, sync_dir);
}

static int fv_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int fv_full_pathname(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *fv_dl_open(sqlite3_vfs *vfs, const char *name)
{
    (void)vfs;
    return real_vfs->xDlOpen(real_vfs, name);
}

static void fv_dl_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    real_vfs->xDlError(real_vfs, n, out);
}

static void (*fv_dl_sym(sqlite3_vfs *vfs, void *handle, const char *sym))(void)
{
    (void)vfs;
    return real_vfs->xDlSym(real_vfs, handle, sym);
}

static void fv_dl_close(sqlite3_vfs *vfs, void *handle)
{
    (void)vfs;
    real_vfs->xDlClose(real_vfs, handle);
}

static int fv_randomness(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xRandomness(real_vfs, n, out);
}

/* A busy handler waits here: the other connection may let go first. */
static int fv_sleep(sqlite3_vfs *vfs, int us)
{
    (void)vfs;
    fault.sleeps++;
    if (fault.release) {
        sqlite3 *db = fault.release;
        fault.release = NULL;
        fault.release_rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    }
    return real_vfs->xSleep(real_vfs, us);
}

static int fv_current_time(sqlite3_vfs *vfs, double *out)
{
    (void)vfs;
    return real_vfs->xCurrentTime(real_vfs, out);
}

static int fv_get_last_error(sqlite3_vfs *vfs, int n, char *out)
{
    (void)vfs;
    return real_vfs->xGetLastError(real_vfs, n, out);
}

static int fv_current_time_int64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
    (void)vfs;
    return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static sqlite3_vfs fault_vfs;

/* Register "faultvfs" (not as the default) on top of the default VFS. */
void faultvfs_register(void)
{
    if (real_vfs)
        return;
    real_vfs = sqlite3_vfs_find(NULL);
    assert_non_null(real_vfs);
    assert_true(real_vfs->iVersion >= 2);
    sqlite3_vfs v;
    memset(&v, 0, sizeof v);
    v.iVersion = 2;
    v.szOsFile = (int)sizeof(fault_file) + real_vfs->szOsFile;
    v.mxPathname = real_vfs->mxPathname;
    v.zName = "faultvfs";
    v.xOpen = fv_open;
    v.xDelete = fv_delete;
    v.xAccess = fv_access;
    v.xFullPathname = fv_full_pathname;
    v.xDlOpen = fv_dl_open;
    v.xDlError = fv_dl_error;
    v.xDlSym = fv_dl_sym;
    v.xDlClose = fv_dl_close;
    v.xRandomness = fv_randomness;
    v.xSleep = fv_sleep;
    v.xCurrentTime = fv_current_time;
    v.xGetLastError = fv_get_last_error;
    v.xCurrentTimeInt64 = fv_current_time_int64;
    fault_vfs = v;
    assert_int_equal(sqlite3_vfs_register(&fault_vfs, 0), SQLITE_OK);
    assert_ptr_equal(sqlite3_vfs_find(NULL), real_vfs);
}

long faultvfs_fired(void)
{
    return fault.fired;
}

long faultvfs_calls(void)
{
    return fault.calls;
}

long faultvfs_sleeps(void)
{
    return fault.sleeps;
}

void faultvfs_zero_sleeps(void)
{
    fault.sleeps = 0;
}

void faultvfs_release_on_sleep(sqlite3 *db)
{
    fault.release = db;
    fault.release_rc = -1;
}

sqlite3 *faultvfs_release_pending(void)
{
    return fault.release;
}

int faultvfs_release_rc(void)
{
    return fault.release_rc;
}
