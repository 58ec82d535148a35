/* tztest.c - the helpers of tztest.h: contexts and zones, a temporary
 * zoneinfo directory, synthetic TZif files. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tztest.h"

/* ---- contexts ---- */

void env_open(tzenv *e, const char *dir)
{
    memset(e, 0, sizeof *e);
    e->fa.fail_at = -1;
    e->a = failalloc_allocator(&e->fa);
    cib_options o = CIB_OPTIONS_INIT;
    o.allocator = &e->a;
    o.zoneinfo_dir = dir;
    o.hash_seed = 1;
    assert_int_equal(cib_ctx_new(&o, &e->ctx), CIB_OK);
}

void env_close(tzenv *e)
{
    cib_ctx_free(e->ctx);
    e->ctx = NULL;
    assert_int_equal(e->fa.live, 0);
}

cib__zone *load_ok(tzenv *e, const char *name)
{
    cib__zone *z = NULL;
    int rc = cib__zone_load(e->ctx, name, strlen(name), &z);
    if (rc != CIB_OK)
        fail_msg("loading '%s': %d, %s", name, rc, cib_errmsg(e->ctx));
    assert_non_null(z);
    assert_string_equal(z->name, name);
    return z;
}

void expect_offset(const cib__zone *z, int64_t t, int32_t want)
{
    int32_t got = cib__zone_offset(z, t);
    if (got != want)
        fail_msg("%s at %lld: offset %d, want %d", z->name, (long long)t, (int)got, (int)want);
}

void expect_switch(const cib__zone *z, int64_t t, int32_t before, int32_t after)
{
    expect_offset(z, t - 1, before);
    expect_offset(z, t, after);
    expect_offset(z, t + 1, after);
}

/* ---- temporary zoneinfo directories ---- */

static struct tmpzone {
    char dir[64];
    char made[64][192]; /* files and directories, in creation order */
    int n;
} tmp;

static void tmp_path(char *out, size_t size, const char *rel)
{
    int len = snprintf(out, size, "%s/%s", tmp.dir, rel);
    assert_true(len > 0 && (size_t)len < size);
}

void tmp_init(void)
{
    memset(&tmp, 0, sizeof tmp);
    strcpy(tmp.dir, "/tmp/cib-tz-XXXXXX");
    assert_non_null(mkdtemp(tmp.dir));
}

const char *tmp_dir(void)
{
    return tmp.dir;
}

static void tmp_remember(const char *path)
{
    for (int i = 0; i < tmp.n; i++)
        if (strcmp(tmp.made[i], path) == 0)
            return;
    assert_true(tmp.n < 64);
    strcpy(tmp.made[tmp.n++], path);
}

void tmp_mkdir(const char *rel)
{
    char path[192];
    tmp_path(path, sizeof path, rel);
    assert_int_equal(mkdir(path, 0700), 0);
    tmp_remember(path);
}

void tmp_write(const char *rel, const void *p, size_t n)
{
    char path[192];
    tmp_path(path, sizeof path, rel);
    unlink(path); /* not truncated: ext4 would flush the old data */
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    tmp_remember(path);
    assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* Teardown: remove what the test made, even after a failed assertion. */
int tmp_remove(void **state)
{
    (void)state;
    for (int i = tmp.n - 1; i >= 0; i--)
        if (unlink(tmp.made[i]) != 0)
            rmdir(tmp.made[i]);
    if (tmp.dir[0])
        rmdir(tmp.dir);
    memset(&tmp, 0, sizeof tmp);
    return 0;
}

/* ---- synthetic TZif files (RFC 8536) ---- */

void put(tzbuf *b, const void *s, size_t n)
{
    assert_true(b->n + n <= sizeof b->p);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void put32(tzbuf *b, uint32_t v)
{
    unsigned char q[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 8), (unsigned char)v};
    put(b, q, 4);
}

static void put64(tzbuf *b, uint64_t v)
{
    put32(b, (uint32_t)(v >> 32));
    put32(b, (uint32_t)v);
}

/* A header and data block with 4- or 8-byte times. */
static void put_block(tzbuf *b, char version, const tzblock *k, int tsize)
{
    static const unsigned char zero[16];
    put(b, "TZif", 4);
    put(b, &version, 1);
    put(b, zero, 15);
    uint32_t ind = k->indicators ? (uint32_t)k->n_types : 0;
    put32(b, ind);
    put32(b, ind);
    put32(b, (uint32_t)k->n_leap);
    put32(b, (uint32_t)k->n_trans);
    put32(b, (uint32_t)k->n_types);
    put32(b, 4); /* "ZZZ\0" */
    for (size_t i = 0; i < k->n_trans; i++) {
        if (tsize == 8)
            put64(b, (uint64_t)k->trans[i]);
        else
            put32(b, (uint32_t)(int32_t)k->trans[i]);
    }
    if (k->n_trans)
        put(b, k->idx, k->n_trans);
    for (size_t i = 0; i < k->n_types; i++) {
        put32(b, (uint32_t)k->offs[i]);
        put(b, zero, 2); /* isdst, designation index */
    }
    put(b, "ZZZ", 4);
    for (size_t i = 0; i < k->n_leap; i++) {
        put(b, zero, (size_t)tsize);
        put32(b, (uint32_t)(i + 1));
    }
    for (size_t i = 0; k->indicators && i < 2 * k->n_types; i++)
        put(b, zero, 1);
}

void make_tzif(tzbuf *b, char version, const tzblock *v1, const tzblock *v2, const char *footer)
{
    b->n = 0;
    put_block(b, version, v1, 4);
    if (version == '\0')
        return;
    put_block(b, version, v2, 8);
    if (footer) {
        put(b, "\n", 1);
        put(b, footer, strlen(footer));
        put(b, "\n", 1);
    }
}

static const int32_t utc_off[] = {0};
const tzblock minimal_v1 = {0, NULL, NULL, 1, utc_off, 0, 0};
