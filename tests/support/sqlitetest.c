/* sqlitetest.c - database files for the SQLite tests (see sqlitetest.h). */
#include "sqlitetest.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];
static char path[320];
static unsigned counter;
cib_sqlite_options sqlitetest_options = CIB_SQLITE_OPTIONS_INIT;

const char *sqlitetest_dir(void)
{
    if (!dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(dir, sizeof dir, "%s/cib-sqlite-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        assert_non_null(mkdtemp(dir));
    }
    return dir;
}

const char *sqlitetest_path(void)
{
    snprintf(path, sizeof path, "%s/db-%u.sqlite", sqlitetest_dir(), ++counter);
    return path;
}

const char *sqlitetest_last_path(void)
{
    return path;
}

int sqlitetest_open(const cib_allocator *alloc, cib_store *out)
{
    (void)alloc;
    char err[512];
    cib_sqlite_options o = sqlitetest_options;
    o.flags |= CIB_SQLITE_CREATE;
    int rc = cib_sqlite_open(sqlitetest_path(), &o, out, err, sizeof err);
    if (rc)
        fail_msg("cib_sqlite_open: %s", err);
    return rc;
}

void sqlitetest_cleanup(void)
{
    if (!dir[0])
        return;
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *ent;
        char file[600];
        while ((ent = readdir(d)))
            if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, "..")) {
                snprintf(file, sizeof file, "%s/%s", dir, ent->d_name);
                unlink(file);
            }
        closedir(d);
    }
    rmdir(dir);
    dir[0] = '\0';
}

cib_availability_def sqlitetest_office_hours(void)
{
    static const unsigned days[] = {CIB_WEEKDAYS}, from[] = {540}, to[] = {1020};
    cib_availability_def h = CIB_AVAILABILITY_DEF_INIT;
    h.mode = CIB_CHAT_BUSINESS_HOURS;
    h.tz = "Europe/Berlin";
    h.range_days = days;
    h.range_from = from;
    h.range_to = to;
    h.n_ranges = 1;
    return h;
}
