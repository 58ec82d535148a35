/* test_store.c - the built-in in-memory store (cib_memstore_new) against the
 * storage vtable contract of <convinbox/store.h> (R-HOST-1): transactions,
 * reads, deep copies, refusals, allocation failure, and cleanup. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

/* ---- helpers ---- */

/* A memstore on a counting allocator. */
typedef struct mstore {
    failalloc fa;
    cib_allocator alloc;
    cib_store s;
} mstore;

static mstore *mstore_open(void)
{
    mstore *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->fa.fail_at = -1;
    m->alloc = failalloc_allocator(&m->fa);
    assert_int_equal(cib_memstore_new(&m->alloc, &m->s), CIB_OK);
    assert_int_equal(m->s.version, CIB_STORE_VERSION);
    assert_non_null(m->s.begin);
    assert_non_null(m->s.commit);
    assert_non_null(m->s.rollback);
    assert_non_null(m->s.put);
    assert_non_null(m->s.del);
    assert_non_null(m->s.get);
    assert_non_null(m->s.scan);
    assert_non_null(m->s.close);
    assert_true(m->fa.live > 0);
    return m;
}

/* Close the store; every block it allocated must be freed. */
static void mstore_close(mstore *m)
{
    m->s.close(m->s.user_data);
    assert_int_equal(m->fa.live, 0);
    free(m);
}

static cib_field fint(const char *name, int64_t v)
{
    cib_field f;
    memset(&f, 0, sizeof f);
    f.name = name;
    f.type = CIB_FIELD_INT;
    f.i = v;
    return f;
}

static cib_field ftext(const char *name, const char *v)
{
    cib_field f;
    memset(&f, 0, sizeof f);
    f.name = name;
    f.type = CIB_FIELD_TEXT;
    f.text = v;
    f.len = v ? strlen(v) : 0;
    return f;
}

static cib_field fnull(const char *name)
{
    cib_field f;
    memset(&f, 0, sizeof f);
    f.name = name;
    f.type = CIB_FIELD_NULL;
    return f;
}

static cib_field flist(const char *name, const char *const *items, const size_t *lens, size_t n)
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

static cib_row mkrow(int kind, const char *key, const cib_field *f, size_t n)
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

static void put_text(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    fwrite(s, 1, n, f);
    fputc('"', f);
}

/* One line for a row: kind "key" name=value ... (lists: [..]). */
static char *row_line(const cib_row *row)
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

typedef struct lines {
    char **v;
    size_t n, cap;
    int kind;      /* the kind being scanned */
    int wrong;     /* rows of another kind seen */
    long stop_at;  /* return non-zero on this call (-1: never) */
    int stop_with; /* what to return then */
} lines;

static int collect(void *data, const cib_row *row)
{
    lines *l = data;
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

static void lines_free(lines *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every row of every kind, one sorted line each. Free with free(). */
static char *store_dump(const cib_store *s)
{
    lines l;
    memset(&l, 0, sizeof l);
    l.stop_at = -1;
    for (int k = 1; k < CIB_KIND_END; k++) {
        l.kind = k;
        assert_int_equal(s->scan(s->user_data, k, collect, &l), CIB_OK);
    }
    assert_int_equal(l.wrong, 0);
    qsort(l.v, l.n, sizeof *l.v, str_cmp);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    assert_non_null(f);
    for (size_t i = 0; i < l.n; i++)
        fprintf(f, "%s\n", l.v[i]);
    fclose(f);
    lines_free(&l);
    return out;
}

/* Number of rows of a kind. */
static size_t count_kind(const cib_store *s, int kind)
{
    lines l;
    memset(&l, 0, sizeof l);
    l.stop_at = -1;
    l.kind = kind;
    assert_int_equal(s->scan(s->user_data, kind, collect, &l), CIB_OK);
    assert_int_equal(l.wrong, 0);
    size_t n = l.n;
    lines_free(&l);
    return n;
}

typedef struct got {
    int calls;
    char *line;
} got;

static int get_cb(void *data, const cib_row *row)
{
    got *g = data;
    g->calls++;
    free(g->line);
    g->line = row_line(row);
    return 0;
}

/* get() as text: the row's line, or NULL when get returns CIB_ENOTFOUND. */
static char *get_line(const cib_store *s, int kind, const char *key)
{
    got g = {0, NULL};
    int rc = s->get(s->user_data, kind, key, strlen(key), get_cb, &g);
    if (rc == CIB_ENOTFOUND) {
        assert_int_equal(g.calls, 0);
        return NULL;
    }
    assert_int_equal(rc, CIB_OK);
    assert_int_equal(g.calls, 1);
    return g.line;
}

static void expect_row(const cib_store *s, int kind, const char *key, const char *want)
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

/* A user-like row whose name is `v`. */
static int put_user(const cib_store *s, const char *key, const char *v)
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

static void expect_user(const cib_store *s, const char *key, const char *v)
{
    char *want = v ? user_line(key, v) : NULL;
    expect_row(s, CIB_KIND_USER, key, want);
    free(want);
}

static int del_user(const cib_store *s, const char *key)
{
    return s->del(s->user_data, CIB_KIND_USER, key, strlen(key));
}

static void commit_users(const cib_store *s, const char *const *kv, size_t n)
{
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    for (size_t i = 0; i + 1 < n; i += 2)
        assert_int_equal(put_user(s, kv[i], kv[i + 1]), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
}

/* ---- tests ---- */

static void test_kind_names(void **state)
{
    (void)state;
    assert_string_equal(cib_kind_name(CIB_KIND_ACCOUNT), "account");
    assert_string_equal(cib_kind_name(CIB_KIND_USER), "user");
    assert_string_equal(cib_kind_name(CIB_KIND_TEAM), "team");
    assert_string_equal(cib_kind_name(CIB_KIND_CONTACT), "contact");
    assert_string_equal(cib_kind_name(CIB_KIND_PIPELINE), "pipeline");
    assert_string_equal(cib_kind_name(CIB_KIND_INBOX), "inbox");
    assert_string_equal(cib_kind_name(CIB_KIND_CHANNEL), "channel");
    /* Every kind below CIB_KIND_END has a name. */
    for (int k = 1; k < CIB_KIND_END; k++)
        assert_non_null(cib_kind_name(k));
    assert_null(cib_kind_name(0));
    assert_null(cib_kind_name(-1));
    assert_null(cib_kind_name(CIB_KIND_END));
    assert_null(cib_kind_name(CIB_KIND_END + 1));
    assert_null(cib_kind_name(1000));
    assert_null(cib_kind_name(-2147483647 - 1));
}

static void *never(void *ud, size_t n)
{
    (void)ud;
    (void)n;
    return NULL;
}

static void *never_realloc(void *ud, void *p, size_t n)
{
    (void)ud;
    (void)p;
    (void)n;
    return NULL;
}

static void never_free(void *ud, void *p)
{
    (void)ud;
    (void)p;
}

static void test_memstore_new(void **state)
{
    (void)state;
    /* NULL out. */
    assert_int_equal(cib_memstore_new(NULL, NULL), CIB_EINVAL);
    failalloc fa = {0, -1, 0, 0};
    cib_allocator a = failalloc_allocator(&fa);
    assert_int_equal(cib_memstore_new(&a, NULL), CIB_EINVAL);
    assert_int_equal(fa.live, 0);

    /* NULL allocator: the C library's; the store works. */
    cib_store s;
    memset(&s, 0, sizeof s);
    assert_int_equal(cib_memstore_new(NULL, &s), CIB_OK);
    assert_int_equal(s.version, CIB_STORE_VERSION);
    assert_int_equal(s.begin(s.user_data), CIB_OK);
    assert_int_equal(put_user(&s, "alice", "Alice"), CIB_OK);
    assert_int_equal(s.commit(s.user_data), CIB_OK);
    expect_user(&s, "alice", "Alice");
    s.close(s.user_data);

    /* A bad allocator is refused and nothing is allocated through it. */
    cib_store untouched;
    memset(&untouched, 0xab, sizeof untouched);
    cib_store snapshot = untouched;
    cib_allocator bad = a;
    bad.version = CIB_ALLOCATOR_VERSION + 1;
    assert_int_equal(cib_memstore_new(&bad, &untouched), CIB_EINVAL);
    bad.version = 0;
    assert_int_equal(cib_memstore_new(&bad, &untouched), CIB_EINVAL);
    bad = a;
    bad.malloc_fn = NULL;
    assert_int_equal(cib_memstore_new(&bad, &untouched), CIB_EINVAL);
    bad = a;
    bad.realloc_fn = NULL;
    assert_int_equal(cib_memstore_new(&bad, &untouched), CIB_EINVAL);
    bad = a;
    bad.free_fn = NULL;
    assert_int_equal(cib_memstore_new(&bad, &untouched), CIB_EINVAL);
    assert_int_equal(fa.count, 0);
    assert_memory_equal(&untouched, &snapshot, sizeof untouched);

    /* Out of memory at once. */
    cib_allocator none = CIB_ALLOCATOR_INIT;
    none.malloc_fn = never;
    none.realloc_fn = never_realloc;
    none.free_fn = never_free;
    assert_int_equal(cib_memstore_new(&none, &s), CIB_ENOMEM);
    fa.fail_at = 0;
    assert_int_equal(cib_memstore_new(&a, &s), CIB_ENOMEM);
    assert_int_equal(fa.failed, 1);
    assert_int_equal(fa.live, 0);

    /* The allocator is copied: the caller's struct may go away. */
    fa.fail_at = -1;
    cib_allocator *heap = malloc(sizeof *heap);
    assert_non_null(heap);
    *heap = a;
    assert_int_equal(cib_memstore_new(heap, &s), CIB_OK);
    memset(heap, 0, sizeof *heap);
    free(heap);
    assert_int_equal(s.begin(s.user_data), CIB_OK);
    assert_int_equal(put_user(&s, "alice", "Alice"), CIB_OK);
    assert_int_equal(s.commit(s.user_data), CIB_OK);
    assert_true(fa.live > 1);
    s.close(s.user_data);
    assert_int_equal(fa.live, 0);
}

/* Two stores share nothing. */
static void test_stores_are_independent(void **state)
{
    (void)state;
    mstore *a = mstore_open();
    mstore *b = mstore_open();
    const char *kv[] = {"alice", "A"};
    commit_users(&a->s, kv, 2);
    expect_user(&a->s, "alice", "A");
    expect_user(&b->s, "alice", NULL);
    /* b is not in a's transaction. */
    assert_int_equal(a->s.begin(a->s.user_data), CIB_OK);
    assert_int_equal(b->s.begin(b->s.user_data), CIB_OK);
    assert_int_equal(put_user(&b->s, "bob", "B"), CIB_OK);
    b->s.rollback(b->s.user_data);
    assert_int_equal(put_user(&a->s, "carol", "C"), CIB_OK);
    assert_int_equal(a->s.commit(a->s.user_data), CIB_OK);
    expect_user(&a->s, "carol", "C");
    expect_user(&b->s, "bob", NULL);
    mstore_close(a);
    mstore_close(b);
}

/* Reads inside a transaction see its writes; commit keeps them. */
static void test_put_then_read_and_commit_R_HOST_1(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    char *empty = store_dump(s);
    assert_string_equal(empty, "");
    free(empty);

    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "alice", "Alice"), CIB_OK);
    const char *members[] = {"alice", "bob"};
    cib_field tf[] = {flist("members", members, NULL, 2)};
    cib_row team = mkrow(CIB_KIND_TEAM, "support", tf, 1);
    assert_int_equal(s->put(s->user_data, &team), CIB_OK);
    cib_field af[] = {fint("format", 1), fint("created_at", -5)};
    cib_row acc = mkrow(CIB_KIND_ACCOUNT, "account", af, 2);
    assert_int_equal(s->put(s->user_data, &acc), CIB_OK);

    /* Visible inside the transaction, through get and scan. */
    expect_user(s, "alice", "Alice");
    expect_row(s, CIB_KIND_TEAM, "support", "team \"support\" members=[\"alice\",\"bob\"]");
    expect_row(s, CIB_KIND_ACCOUNT, "account", "account \"account\" format=1 created_at=-5");
    assert_int_equal(count_kind(s, CIB_KIND_USER), 1);
    assert_int_equal(count_kind(s, CIB_KIND_TEAM), 1);
    assert_int_equal(count_kind(s, CIB_KIND_CONTACT), 0);
    char *inside = store_dump(s);
    assert_string_equal(inside, "account \"account\" format=1 created_at=-5\n"
                                "team \"support\" members=[\"alice\",\"bob\"]\n"
                                "user \"alice\" name=\"Alice\" email=null created_at=7\n");
    assert_int_equal(s->commit(s->user_data), CIB_OK);

    /* Kept after the commit. */
    char *after = store_dump(s);
    assert_string_equal(inside, after);
    free(inside);
    free(after);

    /* A later rollback does not undo a committed transaction. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    s->rollback(s->user_data);
    expect_user(s, "alice", "Alice");
    /* Nor does a rollback outside a transaction. */
    s->rollback(s->user_data);
    expect_user(s, "alice", "Alice");

    /* put replaces a row with the same kind and key. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "alice", "Alice Adams"), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_user(s, "alice", "Alice Adams");
    assert_int_equal(count_kind(s, CIB_KIND_USER), 1);

    /* del removes it, inside the transaction and after the commit. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(del_user(s, "alice"), CIB_OK);
    expect_user(s, "alice", NULL);
    assert_int_equal(count_kind(s, CIB_KIND_USER), 0);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_user(s, "alice", NULL);
    assert_int_equal(count_kind(s, CIB_KIND_USER), 0);
    /* A deleted row can be written again. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "alice", "Alice again"), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_user(s, "alice", "Alice again");
    mstore_close(m);
}

/* The committed state before each rollback test. */
static const char *const base_users[] = {"a", "a1", "b", "b1", "c", "c1", "g", "g1", "h", "h1"};

/* One transaction doing every kind of write. */
static void mixed_writes(const cib_store *s)
{
    assert_int_equal(put_user(s, "a", "a2"), CIB_OK); /* an existing row put twice */
    assert_int_equal(put_user(s, "a", "a3"), CIB_OK);
    assert_int_equal(del_user(s, "b"), CIB_OK);       /* an existing row deleted */
    assert_int_equal(put_user(s, "c", "c2"), CIB_OK); /* an existing row put, then deleted */
    assert_int_equal(del_user(s, "c"), CIB_OK);
    assert_int_equal(put_user(s, "d", "d1"), CIB_OK); /* a new row */
    assert_int_equal(put_user(s, "e", "e1"), CIB_OK); /* a new row put twice */
    assert_int_equal(put_user(s, "e", "e2"), CIB_OK);
    assert_int_equal(put_user(s, "f", "f1"), CIB_OK); /* a new row put, then deleted */
    assert_int_equal(del_user(s, "f"), CIB_OK);
    assert_int_equal(del_user(s, "g"), CIB_OK); /* an existing row deleted, then put */
    assert_int_equal(put_user(s, "g", "g2"), CIB_OK);
    assert_int_equal(del_user(s, "zz"), CIB_OK); /* a missing row deleted */
    assert_int_equal(del_user(s, "c"), CIB_OK);  /* deleted twice */
    assert_int_equal(del_user(s, "f"), CIB_OK);
    /* Another kind with the same key as a user. */
    cib_field f[] = {fnull("email"), fnull("owner"), fint("created_at", 1)};
    cib_row r = mkrow(CIB_KIND_CONTACT, "a", f, 3);
    assert_int_equal(s->put(s->user_data, &r), CIB_OK);

    /* The transaction sees all of it. */
    expect_user(s, "a", "a3");
    expect_user(s, "b", NULL);
    expect_user(s, "c", NULL);
    expect_user(s, "d", "d1");
    expect_user(s, "e", "e2");
    expect_user(s, "f", NULL);
    expect_user(s, "g", "g2");
    expect_user(s, "h", "h1");
    expect_user(s, "zz", NULL);
    expect_row(s, CIB_KIND_CONTACT, "a", "contact \"a\" email=null owner=null created_at=1");
    assert_int_equal(count_kind(s, CIB_KIND_USER), 5);
    assert_int_equal(count_kind(s, CIB_KIND_CONTACT), 1);
}

/* R-HOST-1: rollback undoes every put and del since begin. */
static void test_rollback_undoes_everything_R_HOST_1(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    commit_users(s, base_users, sizeof base_users / sizeof base_users[0]);
    char *before = store_dump(s);

    assert_int_equal(s->begin(s->user_data), CIB_OK);
    mixed_writes(s);
    s->rollback(s->user_data);

    char *after = store_dump(s);
    assert_string_equal(before, after);
    expect_user(s, "a", "a1");
    expect_user(s, "b", "b1");
    expect_user(s, "c", "c1");
    expect_user(s, "d", NULL);
    expect_user(s, "e", NULL);
    expect_user(s, "f", NULL);
    expect_user(s, "g", "g1");
    expect_row(s, CIB_KIND_CONTACT, "a", NULL);

    /* The store is usable afterwards, and the rollback is final. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "d", "d9"), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_user(s, "d", "d9");
    expect_user(s, "e", NULL);
    expect_user(s, "a", "a1");

    /* A new row alone, rolled back. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "new", "n"), CIB_OK);
    s->rollback(s->user_data);
    expect_user(s, "new", NULL);
    assert_int_equal(count_kind(s, CIB_KIND_USER), 6);

    /* Many writes (more than any initial journal), rolled back. */
    free(before);
    before = store_dump(s);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    char key[32];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "k%d", i % 70);
        if (i % 3 == 2)
            assert_int_equal(del_user(s, key), CIB_OK);
        else
            assert_int_equal(put_user(s, key, i % 2 ? "odd" : "even"), CIB_OK);
        assert_int_equal(put_user(s, "a", key), CIB_OK);
    }
    assert_int_equal(del_user(s, "b"), CIB_OK);
    s->rollback(s->user_data);
    free(after);
    after = store_dump(s);
    assert_string_equal(before, after);
    free(before);
    free(after);
    /* Rollbacks leaked nothing: close frees every block. */
    mstore_close(m);
}

/* The same writes committed leave exactly the rows the transaction saw. */
static void test_commit_keeps_everything_R_HOST_1(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    commit_users(s, base_users, sizeof base_users / sizeof base_users[0]);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    mixed_writes(s);
    char *inside = store_dump(s);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    char *after = store_dump(s);
    assert_string_equal(inside, after);

    /* Equal to a fresh store holding the expected rows. */
    mstore *w = mstore_open();
    const char *want[] = {"a", "a3", "d", "d1", "e", "e2", "g", "g2", "h", "h1"};
    assert_int_equal(w->s.begin(w->s.user_data), CIB_OK);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i += 2)
        assert_int_equal(put_user(&w->s, want[i], want[i + 1]), CIB_OK);
    cib_field f[] = {fnull("email"), fnull("owner"), fint("created_at", 1)};
    cib_row r = mkrow(CIB_KIND_CONTACT, "a", f, 3);
    assert_int_equal(w->s.put(w->s.user_data, &r), CIB_OK);
    assert_int_equal(w->s.commit(w->s.user_data), CIB_OK);
    char *expected = store_dump(&w->s);
    assert_string_equal(after, expected);

    /* A rollback after the commit changes nothing. */
    s->rollback(s->user_data);
    char *again = store_dump(s);
    assert_string_equal(after, again);
    free(inside);
    free(after);
    free(expected);
    free(again);
    mstore_close(w);
    mstore_close(m);
}

static void test_del_missing_is_ok(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    char *before = store_dump(s);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(del_user(s, "nobody"), CIB_OK);
    /* Same key, another kind. */
    assert_int_equal(s->del(s->user_data, CIB_KIND_TEAM, "alice", 5), CIB_OK);
    /* A prefix of an existing key is another key. */
    assert_int_equal(s->del(s->user_data, CIB_KIND_USER, "alice", 4), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    char *after = store_dump(s);
    assert_string_equal(before, after);
    expect_user(s, "alice", "A");
    free(before);
    free(after);
    mstore_close(m);
}

static int count_cb(void *data, const cib_row *row)
{
    (void)row;
    ++*(int *)data;
    return 0;
}

static void test_get_missing_is_not_found(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    int calls = 0;
    /* An empty store. */
    for (int k = 1; k < CIB_KIND_END; k++)
        assert_int_equal(s->get(s->user_data, k, "x", 1, count_cb, &calls), CIB_ENOTFOUND);
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "bob", 3, count_cb, &calls),
                     CIB_ENOTFOUND);
    /* Same key, another kind. */
    assert_int_equal(s->get(s->user_data, CIB_KIND_TEAM, "alice", 5, count_cb, &calls),
                     CIB_ENOTFOUND);
    /* Keys are compared with their lengths. */
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "alice", 4, count_cb, &calls),
                     CIB_ENOTFOUND);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "alicex", 6, count_cb, &calls),
                     CIB_ENOTFOUND);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "Alice", 5, count_cb, &calls),
                     CIB_ENOTFOUND);
    assert_int_equal(calls, 0);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "alicex", 5, count_cb, &calls), CIB_OK);
    assert_int_equal(calls, 1);
    /* A row deleted in the open transaction is not found; after a rollback it is. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(del_user(s, "alice"), CIB_OK);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "alice", 5, count_cb, &calls),
                     CIB_ENOTFOUND);
    s->rollback(s->user_data);
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "alice", 5, count_cb, &calls), CIB_OK);
    assert_int_equal(calls, 2);
    mstore_close(m);
}

/* Keys are byte strings with a length: not NUL-terminated, may be long. */
static void test_keys_are_counted_bytes(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    cib_field f[] = {ftext("name", "x")};
    const char buf[] = "abcdef";
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    for (size_t n = 1; n <= 6; n++) {
        cib_row r = mkrow(CIB_KIND_USER, buf, f, 1);
        r.key_len = n; /* "a", "ab", ... without a NUL after them */
        assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    }
    static char big[5000];
    memset(big, 'k', sizeof big);
    cib_row rb = mkrow(CIB_KIND_USER, big, f, 1);
    rb.key_len = sizeof big;
    assert_int_equal(s->put(s->user_data, &rb), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    assert_int_equal(count_kind(s, CIB_KIND_USER), 7);
    got g = {0, NULL};
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, "abc", 3, get_cb, &g), CIB_OK);
    assert_string_equal(g.line, "user \"abc\" name=\"x\"");
    assert_int_equal(s->get(s->user_data, CIB_KIND_USER, big, sizeof big, get_cb, &g), CIB_OK);
    assert_int_equal(g.calls, 2);
    assert_int_equal(strlen(g.line), strlen("user \"\" name=\"x\"") + sizeof big);
    free(g.line);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->del(s->user_data, CIB_KIND_USER, buf, 2), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    assert_int_equal(count_kind(s, CIB_KIND_USER), 6);
    expect_row(s, CIB_KIND_USER, "a", "user \"a\" name=\"x\"");
    expect_row(s, CIB_KIND_USER, "ab", NULL);
    expect_row(s, CIB_KIND_USER, "abc", "user \"abc\" name=\"x\"");
    mstore_close(m);
}

/* scan returns only rows of its kind; a non-zero callback return stops it. */
static void test_scan_kind_and_stop(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    char key[16];
    for (int i = 0; i < 10; i++) {
        snprintf(key, sizeof key, "u%d", i);
        assert_int_equal(put_user(s, key, "x"), CIB_OK);
    }
    for (int i = 0; i < 3; i++) {
        snprintf(key, sizeof key, "p%d", i);
        const char *stages[] = {"new"};
        cib_field f[] = {flist("stages", stages, NULL, 1)};
        cib_row r = mkrow(CIB_KIND_PIPELINE, key, f, 1);
        assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    }
    assert_int_equal(s->commit(s->user_data), CIB_OK);

    assert_int_equal(count_kind(s, CIB_KIND_USER), 10);
    assert_int_equal(count_kind(s, CIB_KIND_PIPELINE), 3);
    for (int k = 1; k < CIB_KIND_END; k++)
        if (k != CIB_KIND_USER && k != CIB_KIND_PIPELINE)
            assert_int_equal(count_kind(s, k), 0);

    /* Each row once. */
    lines l;
    memset(&l, 0, sizeof l);
    l.stop_at = -1;
    l.kind = CIB_KIND_USER;
    assert_int_equal(s->scan(s->user_data, CIB_KIND_USER, collect, &l), CIB_OK);
    qsort(l.v, l.n, sizeof *l.v, str_cmp);
    for (size_t i = 1; i < l.n; i++)
        assert_string_not_equal(l.v[i - 1], l.v[i]);
    lines_free(&l);

    /* Stop after the 1st, 4th and 10th row: the callback's value comes back. */
    const long stops[] = {0, 3, 9};
    const int values[] = {42, -7, 1};
    for (size_t i = 0; i < 3; i++) {
        memset(&l, 0, sizeof l);
        l.kind = CIB_KIND_USER;
        l.stop_at = stops[i];
        l.stop_with = values[i];
        assert_int_equal(s->scan(s->user_data, CIB_KIND_USER, collect, &l), values[i]);
        assert_int_equal(l.n, (size_t)stops[i] + 1);
        assert_int_equal(l.wrong, 0);
        lines_free(&l);
    }
    /* A status code from the callback comes back unchanged too. */
    memset(&l, 0, sizeof l);
    l.kind = CIB_KIND_PIPELINE;
    l.stop_at = 0;
    l.stop_with = CIB_ESTORAGE;
    assert_int_equal(s->scan(s->user_data, CIB_KIND_PIPELINE, collect, &l), CIB_ESTORAGE);
    assert_int_equal(l.n, 1);
    lines_free(&l);
    /* A stopped scan changes nothing. */
    assert_int_equal(count_kind(s, CIB_KIND_USER), 10);
    mstore_close(m);
}

/* Rows are deep copies: the caller's buffers may change or go away. */
static void test_rows_are_deep_copies(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    char key[] = "support";
    char fname[] = "members";
    char iname[] = "created_at";
    char tname[] = "note";
    char text[] = "hello";
    char item0[] = "alice", item1[] = "bob";
    const char *items[] = {item0, item1};
    size_t lens[] = {5, 3};
    cib_field f[3];
    f[0] = flist(fname, items, lens, 2);
    f[1] = fint(iname, 99);
    f[2] = ftext(tname, text);
    cib_row r = mkrow(CIB_KIND_TEAM, key, f, 3);
    const char *want = "team \"support\" members=[\"alice\",\"bob\"] created_at=99 note=\"hello\"";

    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    /* Scribble over everything the row pointed at. */
    memset(key, 'X', sizeof key - 1);
    memset(fname, 'Y', sizeof fname - 1);
    memset(iname, 'Y', sizeof iname - 1);
    memset(tname, 'Y', sizeof tname - 1);
    memset(text, 'Z', sizeof text - 1);
    memset(item0, 'Q', sizeof item0 - 1);
    memset(item1, 'Q', sizeof item1 - 1);
    items[0] = item1;
    lens[0] = 1;
    lens[1] = 0;
    f[1].i = -1;
    f[2].len = 1;
    f[0].n_items = 0;
    r.n_fields = 0;
    expect_row(s, CIB_KIND_TEAM, "support", want);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_row(s, CIB_KIND_TEAM, "support", want);
    expect_row(s, CIB_KIND_TEAM, "XXXXXXX", NULL);

    /* A row handed to a callback does not change when the caller's buffers do. */
    got g = {0, NULL};
    assert_int_equal(s->get(s->user_data, CIB_KIND_TEAM, "support", 7, get_cb, &g), CIB_OK);
    assert_string_equal(g.line, want);
    free(g.line);
    mstore_close(m);
}

static int check_list_row(void *data, const cib_row *row)
{
    int *seen = data;
    (*seen)++;
    assert_int_equal(row->n_fields, 2);
    const cib_field *f = &row->fields[0];
    assert_string_equal(f->name, "stages");
    assert_int_equal(f->type, CIB_FIELD_LIST);
    assert_int_equal(f->n_items, 3);
    /* Handed back with correct lengths. */
    assert_non_null(f->item_lens);
    assert_int_equal(f->item_lens[0], 3);
    assert_int_equal(f->item_lens[1], 7);
    assert_int_equal(f->item_lens[2], 6);
    assert_memory_equal(f->items[0], "new", 3);
    assert_memory_equal(f->items[1], "waiting", 7);
    assert_memory_equal(f->items[2], "closed", 6);
    const cib_field *e = &row->fields[1];
    assert_string_equal(e->name, "empty");
    assert_int_equal(e->type, CIB_FIELD_LIST);
    assert_int_equal(e->n_items, 0);
    return 0;
}

/* LIST fields with item_lens NULL hold NUL-terminated items; empty lists. */
static void test_list_items_nul_terminated(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    const char *stages[] = {"new", "waiting", "closed"};
    cib_field f[] = {flist("stages", stages, NULL, 3), flist("empty", NULL, NULL, 0)};
    cib_row r = mkrow(CIB_KIND_PIPELINE, "support", f, 2);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    int seen = 0;
    assert_int_equal(s->get(s->user_data, CIB_KIND_PIPELINE, "support", 7, check_list_row, &seen),
                     CIB_OK);
    assert_int_equal(s->scan(s->user_data, CIB_KIND_PIPELINE, check_list_row, &seen), CIB_OK);
    assert_int_equal(seen, 2);
    /* With lengths, items need no NUL and may be prefixes of longer buffers. */
    const char *long_items[] = {"newer", "waiting for", "closedX"};
    size_t lens[] = {3, 7, 6};
    f[0] = flist("stages", long_items, lens, 3);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    assert_int_equal(s->get(s->user_data, CIB_KIND_PIPELINE, "support", 7, check_list_row, &seen),
                     CIB_OK);
    assert_int_equal(seen, 3);
    mstore_close(m);
}

/* A row is handed back with every field, in order, including fields the
 * library does not know (store.h: an adapter must store them). Text is
 * counted bytes: an empty text is not NULL. */
static void test_fields_handed_back_exactly(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    cib_field f[] = {
        fint("created_at", INT64_MIN), fint("big", INT64_MAX), ftext("empty", ""), fnull("nothing"),
        ftext("future_column", "v2"),  fint("zero", 0)};
    f[4].len = 1; /* only "v" */
    cib_row r = mkrow(CIB_KIND_CHANNEL, "chat", f, 6);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &r), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_row(s, CIB_KIND_CHANNEL, "chat",
               "channel \"chat\" created_at=-9223372036854775808 big=9223372036854775807 "
               "empty=\"\" nothing=null future_column=\"v\" zero=0");
    /* A row without fields. */
    cib_row bare = mkrow(CIB_KIND_INBOX, "bare", NULL, 0);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->put(s->user_data, &bare), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_row(s, CIB_KIND_INBOX, "bare", "inbox \"bare\"");
    mstore_close(m);
}

/* put and del need a transaction; begin does not nest. */
static void test_writes_need_a_transaction(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    char *before = store_dump(s);

    assert_int_not_equal(put_user(s, "bob", "B"), CIB_OK);
    assert_int_not_equal(del_user(s, "alice"), CIB_OK);
    assert_int_not_equal(s->commit(s->user_data), CIB_OK);
    char *after = store_dump(s);
    assert_string_equal(before, after);
    free(after);

    /* begin twice: the second is refused, the first transaction goes on. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "bob", "B"), CIB_OK);
    assert_int_not_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "carol", "C"), CIB_OK);
    expect_user(s, "bob", "B");
    s->rollback(s->user_data);
    after = store_dump(s);
    assert_string_equal(before, after);
    free(after);

    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "bob", "B"), CIB_OK);
    assert_int_not_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_user(s, "bob", "B");

    /* After the commit, writes are refused again. */
    assert_int_not_equal(put_user(s, "carol", "C"), CIB_OK);
    assert_int_not_equal(del_user(s, "bob"), CIB_OK);
    expect_user(s, "carol", NULL);
    expect_user(s, "bob", "B");
    /* And after a rollback. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    s->rollback(s->user_data);
    assert_int_not_equal(put_user(s, "carol", "C"), CIB_OK);
    expect_user(s, "carol", NULL);
    free(before);
    mstore_close(m);
}

/* Malformed rows are refused and change nothing. */
static void test_malformed_rows_refused(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    const char *kv[] = {"alice", "A", "bob", "B"};
    commit_users(s, kv, 4);
    char *before = store_dump(s);

    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(put_user(s, "carol", "C"), CIB_OK);
    char *inside = store_dump(s);

    cib_field good[] = {ftext("name", "Z")};
    cib_row r;
    /* NULL row. */
    assert_int_not_equal(s->put(s->user_data, NULL), CIB_OK);
    /* NULL key, also for an existing row's length. */
    r = mkrow(CIB_KIND_USER, NULL, good, 1);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    r.key_len = 5;
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    /* Unknown kinds. */
    const int kinds[] = {0, -1, CIB_KIND_END, CIB_KIND_END + 1, 1000};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        r = mkrow(kinds[i], "alice", good, 1);
        assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
        /* A row of an unknown kind is not there: del may refuse or do
         * nothing, but must not touch the user "alice" (checked below). */
        (void)s->del(s->user_data, kinds[i], "alice", 5);
    }
    /* A TEXT field with NULL text, replacing an existing row. */
    cib_field nulltext[] = {ftext("name", "ok"), ftext("email", NULL)};
    r = mkrow(CIB_KIND_USER, "alice", nulltext, 2);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    nulltext[1].len = 3;
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    /* ... and as a new row. */
    r = mkrow(CIB_KIND_USER, "dave", nulltext, 2);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    /* Unknown field types. */
    const int types[] = {4, -1, 99};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        cib_field odd[] = {ftext("name", "ok"), fint("x", 1)};
        odd[1].type = types[i];
        r = mkrow(CIB_KIND_USER, "alice", odd, 2);
        assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
        r = mkrow(CIB_KIND_USER, "erin", odd, 2);
        assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    }
    /* A field without a name. */
    cib_field noname[] = {ftext(NULL, "x")};
    r = mkrow(CIB_KIND_USER, "alice", noname, 1);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    /* Fields NULL with n_fields > 0. */
    r = mkrow(CIB_KIND_USER, "alice", NULL, 2);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    /* A LIST with NULL items, or a NULL item. */
    cib_field nolist[] = {flist("members", NULL, NULL, 2)};
    r = mkrow(CIB_KIND_TEAM, "t", nolist, 1);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    const char *holes[] = {"alice", NULL};
    cib_field holey[] = {flist("members", holes, NULL, 2)};
    r = mkrow(CIB_KIND_TEAM, "t", holey, 1);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    /* del with a NULL key. */
    assert_int_not_equal(s->del(s->user_data, CIB_KIND_USER, NULL, 5), CIB_OK);

    /* Nothing changed inside the transaction ... */
    char *now = store_dump(s);
    assert_string_equal(inside, now);
    free(now);
    /* ... the transaction goes on and commits what it wrote ... */
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    expect_user(s, "carol", "C");
    expect_user(s, "alice", "A");
    expect_user(s, "dave", NULL);
    expect_user(s, "erin", NULL);
    /* ... and a rollback after refusals restores the state before begin. */
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    assert_int_equal(del_user(s, "carol"), CIB_OK);
    r = mkrow(CIB_KIND_USER, "carol", nulltext, 2);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    r = mkrow(0, "carol", good, 1);
    assert_int_not_equal(s->put(s->user_data, &r), CIB_OK);
    s->rollback(s->user_data);
    expect_user(s, "carol", "C");

    /* Reads with bad arguments. */
    int calls = 0;
    assert_int_not_equal(s->get(s->user_data, 0, "alice", 5, count_cb, &calls), CIB_OK);
    assert_int_not_equal(s->get(s->user_data, CIB_KIND_END, "alice", 5, count_cb, &calls), CIB_OK);
    assert_int_not_equal(s->scan(s->user_data, 0, count_cb, &calls), CIB_OK);
    assert_int_not_equal(s->scan(s->user_data, CIB_KIND_END, count_cb, &calls), CIB_OK);
    assert_int_equal(calls, 0);

    free(before);
    free(inside);
    mstore_close(m);
}

/* Closing frees everything, also with a transaction open. */
static void test_close_frees_everything(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    char key[16];
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    for (int i = 0; i < 100; i++) {
        snprintf(key, sizeof key, "u%d", i);
        assert_int_equal(put_user(s, key, "x"), CIB_OK);
    }
    assert_int_equal(s->commit(s->user_data), CIB_OK);
    assert_int_equal(s->begin(s->user_data), CIB_OK);
    for (int i = 50; i < 150; i++) {
        snprintf(key, sizeof key, "u%d", i);
        assert_int_equal(put_user(s, key, "y"), CIB_OK);
        snprintf(key, sizeof key, "u%d", i - 50);
        assert_int_equal(del_user(s, key), CIB_OK);
    }
    assert_true(m->fa.live > 100);
    mstore_close(m); /* asserts live == 0 */

    /* A store that was never written to. */
    m = mstore_open();
    mstore_close(m);
}

/* ---- allocation failure ---- */

typedef void (*prewrite_fn)(const cib_store *s);

/*
 * Sweep one put: fail the 1st, 2nd, ... allocation it makes, inside a
 * transaction that `pre` has already written to. Each failure must return
 * CIB_ENOMEM, and after the rollback the store must hold what it held before
 * begin. Ends with the put succeeding. Returns how many failures were
 * injected.
 */
static long sweep_put(mstore *m, prewrite_fn pre, const cib_row *row)
{
    cib_store *s = &m->s;
    long n;
    for (n = 0;; n++) {
        assert_true(n < 1000);
        char *before = store_dump(s);
        long live = m->fa.live;
        assert_int_equal(s->begin(s->user_data), CIB_OK);
        if (pre)
            pre(s);
        long failed = m->fa.failed;
        m->fa.fail_at = m->fa.count + n;
        int rc = s->put(s->user_data, row);
        m->fa.fail_at = -1;
        int injected = m->fa.failed != failed;
        if (rc == CIB_OK) {
            assert_false(injected); /* a swallowed failure would be a bug */
            got g = {0, NULL};
            assert_int_equal(s->get(s->user_data, row->kind, row->key, row->key_len, get_cb, &g),
                             CIB_OK);
            char *want = row_line(row);
            assert_string_equal(g.line, want);
            free(want);
            free(g.line);
            s->rollback(s->user_data);
            char *after = store_dump(s);
            assert_string_equal(before, after);
            free(before);
            free(after);
            break;
        }
        if (rc != CIB_ENOMEM)
            fail_msg("allocation %ld failed: want CIB_ENOMEM, got %d", n, rc);
        assert_true(injected);
        s->rollback(s->user_data);
        char *after = store_dump(s);
        if (strcmp(before, after) != 0)
            fail_msg("allocation failure %ld changed the store:\n--- before\n%s--- after\n%s", n,
                     before, after);
        /* The journal may have grown; nothing else may stay allocated. */
        assert_true(m->fa.live <= live + 1);
        free(before);
        free(after);
    }
    return n;
}

static void pre_replace_first(const cib_store *s)
{
    assert_int_equal(put_user(s, "k0", "changed"), CIB_OK);
    assert_int_equal(del_user(s, "k1"), CIB_OK);
}

static void pre_fill_journal(const cib_store *s)
{
    char key[16];
    for (int i = 0; i < 16; i++) {
        snprintf(key, sizeof key, "j%d", i);
        assert_int_equal(put_user(s, key, "j"), CIB_OK);
    }
}

static void pre_del_target(const cib_store *s)
{
    assert_int_equal(del_user(s, "k2"), CIB_OK);
}

static void test_put_allocation_sweep_R_HOST_1(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    const char *items[] = {"alice", "bob"};
    cib_field f[] = {ftext("name", "New"), fnull("email"), flist("teams", items, NULL, 2),
                     fint("created_at", 3)};
    char key[16];
    /* A new row, into stores of 0 .. 300 rows (the hash table grows). */
    long total = 0;
    for (int size = 0; size <= 300; size++) {
        snprintf(key, sizeof key, "new%d", size);
        cib_row r = mkrow(CIB_KIND_USER, key, f, 4);
        total += sweep_put(m, size >= 2 ? pre_replace_first : NULL, &r);
        snprintf(key, sizeof key, "k%d", size);
        assert_int_equal(s->begin(s->user_data), CIB_OK);
        assert_int_equal(put_user(s, key, "v"), CIB_OK);
        assert_int_equal(s->commit(s->user_data), CIB_OK);
    }
    assert_true(total >= 301); /* at least the row copy can fail every time */
    assert_int_equal(count_kind(s, CIB_KIND_USER), 301);

    /* Replacing an existing row. */
    cib_row r = mkrow(CIB_KIND_USER, "k5", f, 4);
    assert_true(sweep_put(m, NULL, &r) >= 1);
    /* Writing a row deleted earlier in the transaction. */
    r = mkrow(CIB_KIND_USER, "k2", f, 4);
    assert_true(sweep_put(m, pre_del_target, &r) >= 1);
    /* When the journal is full (16 writes already). */
    r = mkrow(CIB_KIND_USER, "k7", f, 4);
    assert_true(sweep_put(m, pre_fill_journal, &r) >= 1);
    r = mkrow(CIB_KIND_USER, "brand-new", f, 4);
    assert_true(sweep_put(m, pre_fill_journal, &r) >= 1);
    /* The first row of a kind (the kind's table is created). */
    cib_field cf[] = {ftext("email", "x@y.test"), fnull("owner"), fint("created_at", 1)};
    r = mkrow(CIB_KIND_CONTACT, "first", cf, 3);
    assert_true(sweep_put(m, NULL, &r) >= 2);

    /* Unchanged by all of it. */
    expect_user(s, "k5", "v");
    expect_user(s, "k0", "v");
    expect_user(s, "k2", "v");
    expect_user(s, "brand-new", NULL);
    assert_int_equal(count_kind(s, CIB_KIND_CONTACT), 0);
    mstore_close(m);
}

/* del of an existing row when the journal must grow: failure, then rollback. */
static void test_del_allocation_failure(void **state)
{
    (void)state;
    mstore *m = mstore_open();
    cib_store *s = &m->s;
    const char *kv[] = {"alice", "A"};
    commit_users(s, kv, 2);
    char *before = store_dump(s);
    for (long n = 0;; n++) {
        assert_true(n < 100);
        assert_int_equal(s->begin(s->user_data), CIB_OK);
        pre_fill_journal(s);
        long failed = m->fa.failed;
        m->fa.fail_at = m->fa.count + n;
        int rc = del_user(s, "alice");
        m->fa.fail_at = -1;
        if (rc == CIB_OK) {
            assert_int_equal(m->fa.failed, failed);
            expect_user(s, "alice", NULL);
            s->rollback(s->user_data);
            break;
        }
        assert_int_equal(rc, CIB_ENOMEM);
        s->rollback(s->user_data);
        char *after = store_dump(s);
        assert_string_equal(before, after);
        free(after);
    }
    expect_user(s, "alice", "A");
    free(before);
    mstore_close(m);
}

/* ---- the library's own rows ---- */

/*
 * R-HOST-1: whatever account cib_ctx_new() writes to a store, a context
 * with the same options rebuilds from it. Here with a small id limit: the
 * rows of the default inbox (R-INBOX-1) must be readable under the limit
 * that wrote them.
 */
static void test_account_reopens_under_id_limit_R_HOST_1(void **state)
{
    (void)state;
    const uint32_t limits[] = {7, 8, 12, 15, 16, 17, 255};
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        mstore *m = mstore_open();
        cib_options o = CIB_OPTIONS_INIT;
        o.store = &m->s;
        o.max_id_len = limits[i];
        char err[256] = "";
        o.error_buffer = err;
        o.error_buffer_size = sizeof err;
        cib_ctx *ctx = NULL;
        int rc = cib_ctx_new(&o, &ctx);
        if (limits[i] < 16) {
            /* Too small for the default inbox's own ids: refused up front,
             * and the store is left empty. */
            if (rc != CIB_EINVAL || ctx)
                fail_msg("max_id_len %u: want invalid, got %s", (unsigned)limits[i],
                         cib_status_name(rc));
            o.max_id_len = 0;
            assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
            cib_ctx_free(ctx);
            mstore_close(m);
            continue;
        }
        if (rc != CIB_OK)
            fail_msg("max_id_len %u: new account: %s: %s", (unsigned)limits[i], cib_status_name(rc),
                     err);
        char *text = NULL;
        assert_int_equal(cib_dump(ctx, &text, NULL), CIB_OK);
        char *dump = strdup(text);
        assert_non_null(dump);
        cib_free(ctx, text);
        cib_ctx_free(ctx);
        ctx = NULL;
        rc = cib_ctx_new(&o, &ctx);
        if (rc != CIB_OK) {
            free(dump);
            mstore_close(m);
            fail_msg("max_id_len %u: the account cannot be reopened: %s: %s", (unsigned)limits[i],
                     cib_status_name(rc), err);
        }
        char *again = NULL;
        assert_int_equal(cib_dump(ctx, &again, NULL), CIB_OK);
        assert_string_equal(dump, again);
        free(dump);
        cib_free(ctx, again);
        cib_ctx_free(ctx);
        mstore_close(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_names),
        cmocka_unit_test(test_memstore_new),
        cmocka_unit_test(test_stores_are_independent),
        cmocka_unit_test(test_put_then_read_and_commit_R_HOST_1),
        cmocka_unit_test(test_rollback_undoes_everything_R_HOST_1),
        cmocka_unit_test(test_commit_keeps_everything_R_HOST_1),
        cmocka_unit_test(test_del_missing_is_ok),
        cmocka_unit_test(test_get_missing_is_not_found),
        cmocka_unit_test(test_keys_are_counted_bytes),
        cmocka_unit_test(test_scan_kind_and_stop),
        cmocka_unit_test(test_rows_are_deep_copies),
        cmocka_unit_test(test_list_items_nul_terminated),
        cmocka_unit_test(test_fields_handed_back_exactly),
        cmocka_unit_test(test_writes_need_a_transaction),
        cmocka_unit_test(test_malformed_rows_refused),
        cmocka_unit_test(test_close_frees_everything),
        cmocka_unit_test(test_put_allocation_sweep_R_HOST_1),
        cmocka_unit_test(test_del_allocation_failure),
        cmocka_unit_test(test_account_reopens_under_id_limit_R_HOST_1),
    };
    return TENV_RUN(tests);
}
