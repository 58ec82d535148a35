/* storeconf.c - the conformance suite's adapter table, the in-memory
 * adapter, canonical rows and the runner (see storeconf.h). */
#include "storeconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the adapters ---- */

static void *memory_open(cib_store *out)
{
    counted_store *m = memstore_open();
    *out = m->s;
    return m;
}

static void memory_reopen(void *h, cib_store *s)
{
    (void)h;
    s->rollback(s->user_data); /* the store outlives the context */
}

static void memory_close(void *h, cib_store *s)
{
    (void)s;
    counted_store_close(h); /* every block freed */
}

const store_adapter storeconf_memory = {"memory", CONF_KEEPS_UNKNOWN_FIELDS | CONF_EXACT_FIELDS,
                                        memory_open, memory_reopen, memory_close};

const store_adapter *const storeconf_adapters[] = {&storeconf_memory,
#ifdef STORECONF_SQLITE
                                                   &storeconf_sqlite,
#endif
                                                   NULL};

#ifndef STORECONF_SQLITE
void storeconf_cleanup(void)
{
}
#endif

conf_store *conf_open(const store_adapter *a)
{
    conf_store *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->a = a;
    c->h = a->open(&c->s);
    assert_true(c->s.version >= 1 && c->s.version <= CIB_STORE_VERSION);
    assert_non_null(c->s.begin);
    assert_non_null(c->s.commit);
    assert_non_null(c->s.rollback);
    assert_non_null(c->s.put);
    assert_non_null(c->s.del);
    assert_non_null(c->s.get);
    assert_non_null(c->s.scan);
    return c;
}

void conf_reopen(conf_store *c)
{
    c->a->reopen(c->h, &c->s);
}

void conf_close(conf_store *c)
{
    c->a->close(c->h, &c->s);
    free(c);
}

/* ---- canonical rows ---- */

static int field_cmp(const void *a, const void *b)
{
    return strcmp((*(const cib_field *const *)a)->name, (*(const cib_field *const *)b)->name);
}

static void put_text(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    fwrite(s, 1, n, f);
    fputc('"', f);
}

char *conf_line(const cib_row *row)
{
    const cib_field **v = calloc(row->n_fields + 1, sizeof *v);
    assert_non_null(v);
    size_t n = 0;
    for (size_t i = 0; i < row->n_fields; i++) {
        assert_non_null(row->fields[i].name);
        if (row->fields[i].type != CIB_FIELD_NULL)
            v[n++] = &row->fields[i];
    }
    qsort(v, n, sizeof *v, field_cmp);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    const char *kind = cib_kind_name(row->kind);
    fprintf(f, "%s ", kind ? kind : "?");
    put_text(f, row->key, row->key_len);
    for (size_t i = 0; i < n; i++) {
        const cib_field *fl = v[i];
        fprintf(f, " %s=", fl->name);
        if (fl->type == CIB_FIELD_INT) {
            fprintf(f, "%lld", (long long)fl->i);
        } else if (fl->type == CIB_FIELD_TEXT) {
            put_text(f, fl->text, fl->len);
        } else if (fl->type == CIB_FIELD_LIST) {
            fputc('[', f);
            for (size_t k = 0; k < fl->n_items; k++) {
                if (k)
                    fputc(',', f);
                /* Handed back with lengths (store.h). */
                assert_non_null(fl->item_lens);
                put_text(f, fl->items[k], fl->item_lens[k]);
            }
            fputc(']', f);
        } else {
            fprintf(f, "?%d", fl->type);
        }
    }
    fclose(f);
    free(v);
    return buf;
}

int conf_lines_cb(void *data, const cib_row *row)
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
    l->v[l->n++] = conf_line(row);
    if (l->stop_at >= 0 && (long)l->n == l->stop_at + 1)
        return l->stop_with;
    return 0;
}

char *conf_dump(const cib_store *s)
{
    row_lines l;
    row_lines_init(&l, 0);
    for (int k = 1; k < CIB_KIND_END; k++) {
        l.kind = k;
        assert_int_equal(s->scan(s->user_data, k, conf_lines_cb, &l), CIB_OK);
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

char *conf_get(const cib_store *s, int kind, const char *key, size_t key_len)
{
    row_lines l;
    row_lines_init(&l, kind);
    int rc = s->get(s->user_data, kind, key, key_len, conf_lines_cb, &l);
    if (rc == CIB_ENOTFOUND) {
        assert_int_equal(l.n, 0);
        row_lines_free(&l);
        return NULL;
    }
    assert_int_equal(rc, CIB_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.wrong, 0);
    char *line = l.v[0];
    free(l.v);
    return line;
}

void conf_expect(const cib_store *s, int kind, const char *key, const char *want)
{
    char *line = conf_get(s, kind, key, strlen(key));
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

void conf_expect_user(const cib_store *s, const char *key, const char *v)
{
    char want[512];
    snprintf(want, sizeof want, "user \"%s\" created_at=7 name=\"%s\"", key, v ? v : "");
    conf_expect(s, CIB_KIND_USER, key, v ? want : NULL);
}

/* ---- running ---- */

/* What the adapter's stores offer of the optional methods. */
static unsigned offers(const store_adapter *a)
{
    conf_store *c = conf_open(a);
    unsigned o = (c->s.find ? CONF_NEEDS_FIND : 0) |
                 (c->s.version >= 2 && c->s.find_page ? CONF_NEEDS_FIND_PAGE : 0) |
                 (c->s.version >= 3 && c->s.apply ? CONF_NEEDS_APPLY : 0);
    conf_close(c);
    return o;
}

int storeconf_run(const struct CMUnitTest *cases, const unsigned *needs, size_t n)
{
    size_t n_adapters = 0;
    while (storeconf_adapters[n_adapters])
        n_adapters++;
    struct CMUnitTest *all = calloc(n * n_adapters, sizeof *all);
    assert_non_null(all);
    size_t k = 0;
    for (size_t a = 0; a < n_adapters; a++) {
        unsigned has = offers(storeconf_adapters[a]);
        for (size_t i = 0; i < n; i++) {
            if (needs && (needs[i] & ~has)) {
                printf("# %s: %s: not offered, not run\n", storeconf_adapters[a]->name,
                       cases[i].name);
                continue;
            }
            all[k] = cases[i];
            char *name = malloc(strlen(cases[i].name) + 64);
            assert_non_null(name);
            sprintf(name, "%s: %s", storeconf_adapters[a]->name, cases[i].name);
            all[k].name = name;
            all[k++].initial_state = (void *)(uintptr_t)storeconf_adapters[a];
        }
    }
    cmocka_set_message_output(CM_OUTPUT_TAP);
    int rc = _cmocka_run_group_tests("store conformance", all, k, NULL, NULL);
    for (size_t i = 0; i < k; i++)
        free((void *)(uintptr_t)all[i].name);
    free(all);
    storeconf_cleanup();
    return rc;
}
