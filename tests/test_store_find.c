/* test_store_find.c - the conformance suite's cases of find() and
 * find_page() (see test_store.c), on conversations and messages over two
 * inboxes, checked against a model. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/storeconf.h"

#define BEGIN(s)    assert_int_equal((s)->begin((s)->user_data), CIB_OK)
#define COMMIT(s)   assert_int_equal((s)->commit((s)->user_data), CIB_OK)
#define ROLLBACK(s) (s)->rollback((s)->user_data)
#define PUT(s, r)   assert_int_equal((s)->put((s)->user_data, (r)), CIB_OK)

void case_find(void **state);
void case_find_page(void **state);
void case_find_page_other_conditions(void **state);

typedef struct mconv {
    uint64_t id;
    const char *inbox, *channel, *contact, *status;
    int present;
} mconv;

enum { NCONV = 40 };
static mconv model[NCONV + 4];
static size_t n_model;

static void put_conv(const cib_store *s, const mconv *m)
{
    char key[24];
    snprintf(key, sizeof key, "%llu", (unsigned long long)m->id);
    cib_field f[] = {ftext("inbox", m->inbox),     ftext("channel", m->channel),
                     ftext("contact", m->contact), fnull("assignee"),
                     ftext("reason", "none"),      ftext("status", m->status),
                     fint("created_at", 1),        fint("n_messages", 0)};
    cib_row r = mkrow(CIB_KIND_CONVERSATION, key, f, sizeof f / sizeof f[0]);
    PUT(s, &r);
}

static void del_conv(const cib_store *s, uint64_t id)
{
    char key[24];
    snprintf(key, sizeof key, "%llu", (unsigned long long)id);
    assert_int_equal(s->del(s->user_data, CIB_KIND_CONVERSATION, key, strlen(key)), CIB_OK);
}

static mconv *model_find(uint64_t id)
{
    for (size_t i = 0; i < n_model; i++)
        if (model[i].id == id)
            return &model[i];
    return NULL;
}

/* Ids in a scrambled order (numeric order differs from text order: 9, 10,
 * 100), two inboxes, three channels, closed one in three. */
static void conv_setup(const cib_store *s)
{
    static const char *const inboxes[] = {"in1", "in2"}, *const channels[] = {"ch1", "ch2", "ch3"};
    static char contacts[NCONV][8];
    n_model = 0;
    BEGIN(s);
    for (int i = 0; i < NCONV; i++) {
        snprintf(contacts[i], sizeof contacts[i], "c%d", i % 7);
        mconv m = {(uint64_t)((i * 37) % 101 + 1) * (i % 5 == 4 ? 10 : 1),
                   inboxes[i % 2],
                   channels[i % 3],
                   contacts[i],
                   i % 3 == 0 ? "closed" : "open",
                   1};
        if (model_find(m.id))
            continue;
        model[n_model++] = m;
        put_conv(s, &m);
    }
    /* Messages of conversations, in their inboxes. */
    for (size_t i = 0; i < 6; i++) {
        char key[24], conv[24];
        snprintf(key, sizeof key, "%zu", 5000 + i);
        snprintf(conv, sizeof conv, "%llu", (unsigned long long)model[i % 3].id);
        cib_field f[] = {ftext("conversation", conv), ftext("inbox", model[i % 3].inbox),
                         ftext("text", "hi"), fint("created_at", 1)};
        cib_row r = mkrow(CIB_KIND_MESSAGE, key, f, 4);
        PUT(s, &r);
    }
    COMMIT(s);
}

static int id_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The model's answer: ids of present conversations matching, after `after`,
 * ascending, at most limit, as "id,id,". */
static void model_page(const cib_match *m, size_t n, uint64_t after, size_t limit, char *out,
                       size_t size)
{
    uint64_t v[NCONV + 4];
    size_t nv = 0;
    for (size_t i = 0; i < n_model; i++) {
        const mconv *c = &model[i];
        int ok = c->present && c->id > after;
        for (size_t k = 0; ok && k < n; k++) {
            const char *f = m[k].field;
            const char *val = !strcmp(f, "inbox")     ? c->inbox
                              : !strcmp(f, "channel") ? c->channel
                              : !strcmp(f, "contact") ? c->contact
                              : !strcmp(f, "status")  ? c->status
                                                      : NULL;
            ok = val && strlen(val) == m[k].len && !memcmp(val, m[k].value, m[k].len);
        }
        if (ok)
            v[nv++] = c->id;
    }
    qsort(v, nv, sizeof *v, id_cmp);
    out[0] = '\0';
    for (size_t i = 0; i < nv && i < limit; i++) {
        size_t len = strlen(out);
        snprintf(out + len, size - len, "%llu,", (unsigned long long)v[i]);
    }
}

typedef struct keys {
    char out[4096];
    int kind, calls, stop_at, stop_with;
} keys;

static int keys_cb(void *data, const cib_row *row)
{
    keys *k = data;
    assert_int_equal(row->kind, k->kind);
    size_t len = strlen(k->out);
    snprintf(k->out + len, sizeof k->out - len, "%.*s,", (int)row->key_len, row->key);
    return ++k->calls == k->stop_at ? k->stop_with : 0;
}

static void store_page(const cib_store *s, const cib_match *m, size_t n, uint64_t after,
                       size_t limit, char *out, size_t size)
{
    keys k = {"", CIB_KIND_CONVERSATION, 0, -1, 0};
    assert_int_equal(
        s->find_page(s->user_data, CIB_KIND_CONVERSATION, m, n, after, limit, keys_cb, &k), CIB_OK);
    snprintf(out, size, "%s", k.out);
}

/* find_page and the model agree, for every cursor and several limits. */
static void expect_pages(const cib_store *s, const cib_match *m, size_t n)
{
    char want[4096], got[4096];
    const size_t limits[] = {1, 3, 1000};
    for (size_t l = 0; l < 3; l++) {
        for (size_t i = 0; i <= n_model; i++) {
            uint64_t after = i < n_model ? model[i].id : 0;
            model_page(m, n, after, limits[l], want, sizeof want);
            store_page(s, m, n, after, limits[l], got, sizeof got);
            if (strcmp(want, got))
                fail_msg("after %llu, limit %zu: want %s got %s", (unsigned long long)after,
                         limits[l], want, got);
        }
        /* Page by page from the start: every row once, in order. */
        model_page(m, n, 0, SIZE_MAX, want, sizeof want);
        char all[4096] = "";
        uint64_t after = 0;
        for (;;) {
            store_page(s, m, n, after, limits[l], got, sizeof got);
            size_t len = strlen(all);
            snprintf(all + len, sizeof all - len, "%s", got);
            size_t rows = 0;
            const char *last = NULL;
            for (const char *p = got; *p; p++)
                if (*p == ',') {
                    rows++;
                    last = p;
                }
            if (rows < limits[l])
                break;
            while (last > got && last[-1] != ',')
                last--;
            after = strtoull(last, NULL, 10);
        }
        assert_string_equal(all, want);
    }
}

/* find() (optional) hands over exactly the rows whose field matches, and
 * sees the transaction's writes. */
static void expect_find(const cib_store *s, int kind, const char *field, const char *value)
{
    keys k = {"", kind, 0, -1, 0};
    assert_int_equal(s->find(s->user_data, kind, field, value, strlen(value), keys_cb, &k), CIB_OK);
    /* The reference: scan and filter. */
    row_lines l;
    row_lines_init(&l, kind);
    assert_int_equal(s->scan(s->user_data, kind, conf_lines_cb, &l), CIB_OK);
    char pat[64];
    snprintf(pat, sizeof pat, " %s=\"%s\"", field, value);
    uint64_t want[64], got[64];
    size_t nw = 0, ng = 0;
    for (size_t i = 0; i < l.n; i++)
        if (strstr(l.v[i], pat))
            want[nw++] = strtoull(strchr(l.v[i], '"') + 1, NULL, 10);
    row_lines_free(&l);
    for (char *p = k.out; *p; p = strchr(p, ',') + 1)
        got[ng++] = strtoull(p, NULL, 10);
    qsort(want, nw, sizeof *want, id_cmp);
    qsort(got, ng, sizeof *got, id_cmp);
    if (nw != ng || memcmp(want, got, nw * sizeof *want))
        fail_msg("find %s=%s: %zu rows, want %zu", field, value, ng, nw);
    assert_true(nw > 0 || !strcmp(value, "none"));
}

static void find_all(const cib_store *s)
{
    expect_find(s, CIB_KIND_CONVERSATION, "inbox", "in1");
    expect_find(s, CIB_KIND_CONVERSATION, "inbox", "in2");
    expect_find(s, CIB_KIND_CONVERSATION, "contact", "c3");
    expect_find(s, CIB_KIND_CONVERSATION, "status", "closed");
    expect_find(s, CIB_KIND_CONVERSATION, "inbox", "none");
    char conv[24];
    snprintf(conv, sizeof conv, "%llu", (unsigned long long)model[1].id);
    expect_find(s, CIB_KIND_MESSAGE, "conversation", conv);
    expect_find(s, CIB_KIND_MESSAGE, "inbox", model[1].inbox);
}

/* Changes inside a transaction: a conversation closed, one reopened, one
 * deleted, one added (the largest id), one moved to the other inbox. */
static void conv_changes(const cib_store *s)
{
    mconv *m;
    for (size_t i = 0; i < n_model; i++)
        if (!strcmp(model[i].status, "open") && !strcmp(model[i].inbox, "in1")) {
            model[i].status = "closed";
            put_conv(s, &model[i]);
            break;
        }
    for (size_t i = 0; i < n_model; i++)
        if (!strcmp(model[i].status, "closed") && !strcmp(model[i].inbox, "in1")) {
            model[i].status = "open";
            put_conv(s, &model[i]);
            break;
        }
    m = &model[n_model - 1];
    m->present = 0;
    del_conv(s, m->id);
    del_conv(s, 99999); /* missing */
    mconv add = {100000, "in1", "ch1", "c9", "closed", 1};
    model[n_model++] = add;
    put_conv(s, &add);
    for (size_t i = 0; i < n_model; i++)
        if (!strcmp(model[i].status, "closed") && !strcmp(model[i].inbox, "in2")) {
            model[i].inbox = "in1";
            put_conv(s, &model[i]);
            break;
        }
}

void case_find(void **state)
{
    conf_store *c = conf_open(*state);
    cib_store *s = &c->s;
    conv_setup(s);
    find_all(s);
    BEGIN(s);
    conv_changes(s);
    find_all(s);
    ROLLBACK(s);
    find_all(s);
    /* A non-zero return stops it and comes back. */
    keys k = {"", CIB_KIND_CONVERSATION, 0, 2, 77};
    assert_int_equal(s->find(s->user_data, CIB_KIND_CONVERSATION, "inbox", "in1", 3, keys_cb, &k),
                     77);
    assert_int_equal(k.calls, 2);
    conf_close(c);
}

/* find_page (version 2, optional): conversations by inbox and status, in id
 * order after a cursor, at most limit; the transaction's writes seen,
 * rollback undoing them, a restart keeping what was committed. */
void case_find_page(void **state)
{
    conf_store *c = conf_open(*state);
    cib_store *s = &c->s;
    conv_setup(s);
    mconv saved[NCONV + 4];
    size_t n_saved = n_model;
    memcpy(saved, model, sizeof saved);
    const char *const inboxes[] = {"in1", "in2", "in3"}, *const statuses[] = {"closed", "open"};
    for (int pass = 0; pass < 4; pass++) {
        /* 0: committed; 1: inside a transaction; 2: rolled back; 3: the
         * changes committed, after a restart. */
        if (pass == 1 || pass == 3) {
            BEGIN(s);
            conv_changes(s);
        }
        if (pass == 2) {
            ROLLBACK(s);
            n_model = n_saved;
            memcpy(model, saved, sizeof saved);
        }
        if (pass == 3) {
            COMMIT(s);
            conf_reopen(c);
        }
        for (int i = 0; i < 3; i++)
            for (int k = 0; k < 2; k++) {
                cib_match m[2] = {{"inbox", inboxes[i], 3},
                                  {"status", statuses[k], strlen(statuses[k])}};
                expect_pages(s, m, 2);
                cib_match r[2] = {m[1], m[0]}; /* the order of the conditions is free */
                expect_pages(s, r, 2);
            }
    }
    cib_match m[2] = {{"inbox", "in1", 3}, {"status", "closed", 6}};
    char got[64];
    store_page(s, m, 2, UINT64_MAX - 1, 10, got, sizeof got);
    assert_string_equal(got, "");
    store_page(s, m, 2, (uint64_t)INT64_MAX, 10, got, sizeof got);
    assert_string_equal(got, "");
    /* A prefix of a value is another value. */
    cib_match p[2] = {{"inbox", "in1", 2}, {"status", "closed", 6}};
    store_page(s, p, 2, 0, 10, got, sizeof got);
    assert_string_equal(got, "");
    /* Refused: no conditions, limit 0, no callback; nothing is called. */
    keys none = {"", CIB_KIND_CONVERSATION, 0, -1, 0};
    assert_int_not_equal(
        s->find_page(s->user_data, CIB_KIND_CONVERSATION, m, 0, 0, 10, keys_cb, &none), CIB_OK);
    assert_int_not_equal(
        s->find_page(s->user_data, CIB_KIND_CONVERSATION, NULL, 2, 0, 10, keys_cb, &none), CIB_OK);
    assert_int_not_equal(
        s->find_page(s->user_data, CIB_KIND_CONVERSATION, m, 2, 0, 0, keys_cb, &none), CIB_OK);
    assert_int_not_equal(
        s->find_page(s->user_data, CIB_KIND_CONVERSATION, m, 2, 0, 10, NULL, &none), CIB_OK);
    assert_int_equal(none.calls, 0);
    /* A non-zero return stops it and comes back. */
    keys k = {"", CIB_KIND_CONVERSATION, 0, 2, -5};
    assert_int_equal(s->find_page(s->user_data, CIB_KIND_CONVERSATION, m, 2, 0, 100, keys_cb, &k),
                     -5);
    assert_int_equal(k.calls, 2);
    conf_close(c);
}

/* Other conditions than (inbox, status): one, three, on other fields; an
 * adapter may answer them more slowly, never differently. */
void case_find_page_other_conditions(void **state)
{
    conf_store *c = conf_open(*state);
    cib_store *s = &c->s;
    conv_setup(s);
    const cib_match one[] = {{"status", "closed", 6}};
    expect_pages(s, one, 1);
    const cib_match three[] = {{"inbox", "in2", 3}, {"status", "open", 4}, {"channel", "ch2", 3}};
    expect_pages(s, three, 3);
    const cib_match contact[] = {{"contact", "c4", 2}};
    expect_pages(s, contact, 1);
    BEGIN(s);
    conv_changes(s);
    expect_pages(s, one, 1);
    expect_pages(s, three, 3);
    ROLLBACK(s);
    /* A field no conversation has matches nothing. */
    const cib_match none[] = {{"no_such_field", "x", 1}};
    char got[64];
    store_page(s, none, 1, 0, 10, got, sizeof got);
    assert_string_equal(got, "");
    conf_close(c);
}
