/* fuzzenv.c - the fuzz targets' reader, failing allocator and store, dumps. */
#include "fuzzenv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    fflush(stdout);
    fprintf(stderr, "%s:%d: invariant violated: %s\n  ", file, line, cond);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

/* ---- reader ---- */

uint8_t fz_u8(fz_in *in)
{
    if (!in->n)
        return 0;
    in->n--;
    return *in->p++;
}

uint32_t fz_u32(fz_in *in)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | fz_u8(in);
    return v;
}

uint64_t fz_u64(fz_in *in)
{
    uint64_t hi = fz_u32(in);
    return hi << 32 | fz_u32(in);
}

const uint8_t *fz_bytes(fz_in *in, size_t max, size_t *len)
{
    size_t n = fz_u8(in);
    if (n > max)
        n %= max + 1;
    if (n > in->n)
        n = in->n;
    const uint8_t *p = in->p;
    in->p += n;
    in->n -= n;
    *len = n;
    return p;
}

int fz_done(const fz_in *in)
{
    return in->n == 0;
}

/* ---- allocator ---- */

static void *fa_malloc(void *ud, size_t n)
{
    fz_alloc *fa = ud;
    if (fa->count++ == fa->fail_at) {
        fa->failed++;
        return NULL;
    }
    void *p = malloc(n);
    if (p)
        fa->live++;
    return p;
}

static void *fa_realloc(void *ud, void *ptr, size_t n)
{
    fz_alloc *fa = ud;
    if (fa->count++ == fa->fail_at) {
        fa->failed++;
        return NULL;
    }
    void *p = realloc(ptr, n);
    if (p && !ptr)
        fa->live++;
    return p;
}

static void fa_free(void *ud, void *ptr)
{
    fz_alloc *fa = ud;
    if (ptr) {
        fa->live--;
        free(ptr);
    }
}

cib_allocator fz_allocator(fz_alloc *fa)
{
    cib_allocator a = CIB_ALLOCATOR_INIT;
    a.user_data = fa;
    a.malloc_fn = fa_malloc;
    a.realloc_fn = fa_realloc;
    a.free_fn = fa_free;
    return a;
}

/* ---- store ---- */

static int fs_fail(fz_store *fs)
{
    if (fs->calls++ != fs->fail_at)
        return 0;
    fs->failed++;
    if (fs->ctx && fs->msg)
        cib_set_callback_error(fs->ctx, fs->msg, fs->msg_len);
    return 1;
}

static int fs_begin(void *ud)
{
    fz_store *fs = ud;
    return fs_fail(fs) ? fs->fail_with : fs->inner.begin(fs->inner.user_data);
}

static int fs_commit(void *ud)
{
    fz_store *fs = ud;
    return fs_fail(fs) ? fs->fail_with : fs->inner.commit(fs->inner.user_data);
}

static void fs_rollback(void *ud)
{
    fz_store *fs = ud;
    fs->inner.rollback(fs->inner.user_data);
}

static int fs_put(void *ud, const cib_row *row)
{
    fz_store *fs = ud;
    return fs_fail(fs) ? fs->fail_with : fs->inner.put(fs->inner.user_data, row);
}

static int fs_del(void *ud, int kind, const char *key, size_t len)
{
    fz_store *fs = ud;
    return fs_fail(fs) ? fs->fail_with : fs->inner.del(fs->inner.user_data, kind, key, len);
}

static int fs_get(void *ud, int kind, const char *key, size_t len, cib_row_fn fn, void *data)
{
    fz_store *fs = ud;
    return fs_fail(fs) ? fs->fail_with
                       : fs->inner.get(fs->inner.user_data, kind, key, len, fn, data);
}

static int fs_scan(void *ud, int kind, cib_row_fn fn, void *data)
{
    fz_store *fs = ud;
    return fs_fail(fs) ? fs->fail_with : fs->inner.scan(fs->inner.user_data, kind, fn, data);
}

static int fs_find(void *ud, int kind, const char *field, const char *value, size_t len,
                   cib_row_fn fn, void *data)
{
    fz_store *fs = ud;
    return fs_fail(fs) ? fs->fail_with
                       : fs->inner.find(fs->inner.user_data, kind, field, value, len, fn, data);
}

static const char *fs_errmsg(void *ud)
{
    fz_store *fs = ud;
    return fs->inner.errmsg ? fs->inner.errmsg(fs->inner.user_data) : NULL;
}

cib_store fz_store_wrap(fz_store *fs, const cib_store *inner)
{
    memset(fs, 0, sizeof *fs);
    fs->inner = *inner;
    fs->fail_at = -1;
    fs->fail_with = -100;
    cib_store s = CIB_STORE_INIT;
    s.user_data = fs;
    s.begin = fs_begin;
    s.commit = fs_commit;
    s.rollback = fs_rollback;
    s.put = fs_put;
    s.del = fs_del;
    s.get = fs_get;
    s.scan = fs_scan;
    s.find = inner->find ? fs_find : NULL;
    s.errmsg = inner->errmsg ? fs_errmsg : NULL;
    return s;
}

/* ---- dumps ---- */

typedef struct lines {
    char **v;
    size_t n, cap;
    int kind;
} lines;

static void put_bytes(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
            fputc(c, f);
        else
            fprintf(f, "\\x%02x", c);
    }
    fputc('"', f);
}

static int line_cb(void *data, const cib_row *row)
{
    lines *l = data;
    FZ_CHECK(row->kind == l->kind, "scan of kind %d gave a row of kind %d", l->kind, row->kind);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    FZ_CHECK(f != NULL, "open_memstream failed");
    fprintf(f, "%d ", row->kind);
    put_bytes(f, row->key, row->key_len);
    for (size_t i = 0; i < row->n_fields; i++) {
        const cib_field *fl = &row->fields[i];
        fprintf(f, " %s=", fl->name);
        switch (fl->type) {
        case CIB_FIELD_NULL:
            fputs("null", f);
            break;
        case CIB_FIELD_INT:
            fprintf(f, "%lld", (long long)fl->i);
            break;
        case CIB_FIELD_TEXT:
            put_bytes(f, fl->text, fl->len);
            break;
        case CIB_FIELD_LIST:
            fputc('[', f);
            for (size_t k = 0; k < fl->n_items; k++) {
                if (k)
                    fputc(',', f);
                put_bytes(f, fl->items[k], fl->item_lens ? fl->item_lens[k] : strlen(fl->items[k]));
            }
            fputc(']', f);
            break;
        default:
            fprintf(f, "?%d", fl->type);
        }
    }
    fclose(f);
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        FZ_CHECK(l->v != NULL, "out of memory");
    }
    l->v[l->n++] = buf;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char *fz_store_dump(const cib_store *s)
{
    lines l = {NULL, 0, 0, 0};
    for (int k = 1; k < CIB_KIND_END; k++) {
        l.kind = k;
        int rc = s->scan(s->user_data, k, line_cb, &l);
        FZ_CHECK(rc == CIB_OK, "scan of kind %d: %d", k, rc);
    }
    qsort(l.v, l.n, sizeof *l.v, cmp_str);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    FZ_CHECK(f != NULL, "open_memstream failed");
    for (size_t i = 0; i < l.n; i++) {
        fprintf(f, "%s\n", l.v[i]);
        free(l.v[i]);
    }
    fclose(f);
    free(l.v);
    return out;
}

char *fz_snapshot(cib_ctx *ctx, const cib_store *s)
{
    char *dump = NULL;
    size_t n = 0;
    int rc = cib_dump(ctx, &dump, &n);
    FZ_CHECK(rc == CIB_OK, "cib_dump: %s (%s)", cib_status_name(rc), cib_errmsg(ctx));
    FZ_CHECK(strlen(dump) == n, "cib_dump: length %zu, strlen %zu", n, strlen(dump));
    char *rows = fz_store_dump(s);
    size_t nr = strlen(rows);
    char *out = malloc(n + nr + 32);
    FZ_CHECK(out != NULL, "out of memory");
    memcpy(out, "== account ==\n", 14);
    memcpy(out + 14, dump, n);
    memcpy(out + 14 + n, "== store ==\n", 12);
    memcpy(out + 26 + n, rows, nr + 1);
    cib_free(ctx, dump);
    free(rows);
    return out;
}

void fz_expect_same(const char *before, const char *after, const char *what)
{
    if (strcmp(before, after) != 0)
        fz_fail(__FILE__, __LINE__, "before == after", "%s:\n--- before\n%s--- after\n%s", what,
                before, after);
}
