/* storetest.c - store-testing helpers for any store behind the vtable. */
#include "storetest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- stores ---- */

counted_store *counted_store_open(store_open_fn open)
{
    counted_store *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->fa.fail_at = -1;
    m->alloc = failalloc_allocator(&m->fa);
    assert_int_equal(open(&m->alloc, &m->s), CIB_OK);
    assert_int_equal(m->s.version, CIB_STORE_VERSION);
    assert_non_null(m->s.begin);
    assert_non_null(m->s.commit);
    assert_non_null(m->s.rollback);
    assert_non_null(m->s.put);
    assert_non_null(m->s.del);
    assert_non_null(m->s.get);
    assert_non_null(m->s.scan);
    return m;
}

counted_store *memstore_open(void)
{
    counted_store *m = counted_store_open(cib_memstore_new);
    assert_non_null(m->s.close);
    assert_true(m->fa.live > 0);
    return m;
}

void counted_store_close(counted_store *m)
{
    if (m->s.close)
        m->s.close(m->s.user_data);
    assert_int_equal(m->fa.live, 0);
    free(m);
}

/* ---- fields and rows ---- */

cib_field fint(const char *name, int64_t v)
{
    cib_field f;
    memset(&f, 0, sizeof f);
    f.name = name;
    f.type = CIB_FIELD_INT;
    f.i = v;
    return f;
}

cib_field ftext(const char *name, const char *v)
{
    cib_field f;
    memset(&f, 0, sizeof f);
    f.name = name;
    f.type = CIB_FIELD_TEXT;
    f.text = v;
    f.len = v ? strlen(v) : 0;
    return f;
}

cib_field fnull(const char *name)
{
    cib_field f;
    memset(&f, 0, sizeof f);
    f.name = name;
    f.type = CIB_FIELD_NULL;
    return f;
}

cib_field flist(const char *name, const char *const *items, const size_t *lens, size_t n)
{
    cib_field f;
    memset(&f, 0, sizeof f);
    f.name = name;
    f.type = CIB_FIELD_LIST;
    f.items = items;
    f.item_lens = lens;
    f.n_items = n;
    return f;
}

cib_row mkrow(int kind, const char *key, const cib_field *f, size_t n)
{
    cib_row r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.key = key;
    r.key_len = key ? strlen(key) : 0;
    r.fields = f;
    r.n_fields = n;
    return r;
}

/* ---- rows as text ---- */

static void put_text(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    fwrite(s, 1, n, f);
    fputc('"', f);
}

char *row_line(const cib_row *row)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    const char *kind = cib_kind_name(row->kind);
    fprintf(f, "%s ", kind ? kind : "?");
    put_text(f, row->key, row->key_len);
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
            put_text(f, fl->text, fl->len);
            break;
        case CIB_FIELD_LIST:
            fputc('[', f);
            for (size_t k = 0; k < fl->n_items; k++) {
                if (k)
                    fputc(',', f);
                put_text(f, fl->items[k], fl->item_lens ? fl->item_lens[k] : strlen(fl->items[k]));
            }
            fputc(']', f);
            break;
        default:
            fprintf(f, "?%d", fl->type);
        }
    }
    fclose(f);
    return buf;
}

void row_lines_init(row_lines *l, int kind)
{
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->stop_at = -1;
}

int row_lines_cb(void *data, const cib_row *row)
{
    row_lines *l = data;
    assert_non_null(row);
    if (row->kind != l->kind)
        l->wrong++;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        assert_non_null(l->v);
    }
    l->v[l->n++] = row_line(row);
    if (l->stop_at >= 0 && (long)l->n == l->stop_at + 1)
        return l->stop_with;
    return 0;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void row_lines_sort(row_lines *l)
{
    if (l->n)
        qsort(l->v, l->n, sizeof *l->v, str_cmp);
}

void row_lines_free(row_lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

char *store_dump(const cib_store *s)
{
    row_lines l;
    row_lines_init(&l, 0);
    for (int k = 1; k < CIB_KIND_END; k++) {
        l.kind = k;
        assert_int_equal(s->scan(s->user_data, k, row_lines_cb, &l), CIB_OK);
    }
    assert_int_equal(l.wrong, 0);
    row_lines_sort(&l);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    for (size_t i = 0; i < l.n; i++)
        fprintf(f, "%s\n", l.v[i]);
    fclose(f);
    row_lines_free(&l);
    return out;
}

size_t count_kind(const cib_store *s, int kind)
{
    row_lines l;
    row_lines_init(&l, kind);
    assert_int_equal(s->scan(s->user_data, kind, row_lines_cb, &l), CIB_OK);
    assert_int_equal(l.wrong, 0);
    size_t n = l.n;
    row_lines_free(&l);
    return n;
}

/* ---- reads ---- */

int got_line_cb(void *data, const cib_row *row)
{
    got_line *g = data;
    g->calls++;
    free(g->line);
    g->line = row_line(row);
    return 0;
}

char *get_line(const cib_store *s, int kind, const char *key)
{
    got_line g = {0, NULL};
    int rc = s->get(s->user_data, kind, key, strlen(key), got_line_cb, &g);
    if (rc == CIB_ENOTFOUND) {
        assert_int_equal(g.calls, 0);
        return NULL;
    }
    assert_int_equal(rc, CIB_OK);
    assert_int_equal(g.calls, 1);
    return g.line;
}

void expect_row(const cib_store *s, int kind, const char *key, const char *want)
{
    char *line = get_line(s, kind, key);
    if (!want) {
        if (line)
            fail_msg("want no %s row '%s', got %s", cib_kind_name(kind), key, line);
        return;
    }
    if (!line)
        fail_msg("want %s, got not found", want);
    assert_string_equal(line, want);
    free(line);
}

/* ---- user rows ---- */

int put_user(const cib_store *s, const char *key, const char *v)
{
    cib_field f[] = {ftext("name", v), fnull("email"), fint("created_at", 7)};
    cib_row r = mkrow(CIB_KIND_USER, key, f, 3);
    return s->put(s->user_data, &r);
}

static char *user_line(const char *key, const char *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fprintf(f, "user \"%s\" name=\"%s\" email=null created_at=7", key, v);
    fclose(f);
    return buf;
}

void expect_user(const cib_store *s, const char *key, const char *v)
{
    char *want = v ? user_line(key, v) : NULL;
    expect_row(s, CIB_KIND_USER, key, want);
    free(want);
}

int del_user(const cib_store *s, const char *key)
{
    return s->del(s->user_data, CIB_KIND_USER, key, strlen(key));
}

void commit_users(const cib_store *s, const char *const *kv, size_t n)
{
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    for (size_t i = 0; i + 1 < n; i += 2)
        assert_int_equal(put_user(s, kv[i], kv[i + 1]), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
}
