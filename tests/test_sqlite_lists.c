/* test_sqlite_lists.c - libconvinbox-sqlite's JSON lists (lib/sqlite/lists.c):
 * the decoder fed valid, malformed, truncated, over-long, escaped, unicode
 * and surrogate lists directly, every allocation failure of the encoder and
 * the decoder, and lists edited on disk with SQL, then loaded by a context:
 * each is refused with a message naming the row, or read back exactly
 * (R-HOST-1).
 *
 * Built with -Wl,--wrap=realloc: lists.c allocates with realloc() and has
 * no allocator hook, so this program fails it on demand. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lists.h"
#include "support/sqlitetest.h"

/* ---- realloc, failed on demand ---- */

void *__real_realloc(void *p, size_t n);
void *__wrap_realloc(void *p, size_t n);
static int realloc_fails;
static long realloc_calls;

void *__wrap_realloc(void *p, size_t n)
{
    realloc_calls++;
    return realloc_fails ? NULL : __real_realloc(p, n);
}

/* ---- the decoder, directly ---- */

typedef struct decoded {
    long n;
    sq_buf text, meta;
} decoded;

/* Decode json[0..len) from a block of exactly that size, so that a read
 * past its end is an AddressSanitizer error. */
static decoded decode_n(const char *json, size_t len)
{
    decoded d = {0};
    char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, json, len);
    d.n = sq_list_decode(copy, len, &d.text, &d.meta);
    free(copy);
    return d;
}

static void decoded_free(decoded *d)
{
    sq_buf_free(&d->text);
    sq_buf_free(&d->meta);
}

static const size_t *meta_of(const decoded *d, long i)
{
    return (const size_t *)(const void *)d->meta.p + 2 * i;
}

/* json decodes to exactly the n items (lens NULL: NUL-terminated), each
 * NUL-terminated in the text buffer. */
static void expect_items_n(const char *json, size_t json_len, const char *const *items,
                           const size_t *lens, long n)
{
    decoded d = decode_n(json, json_len);
    if (d.n != n)
        fail_msg("%.*s: %ld items, not %ld", (int)json_len, json, d.n, n);
    assert_int_equal(d.meta.n, (size_t)n * 2 * sizeof(size_t));
    size_t at = 0;
    for (long i = 0; i < n; i++) {
        size_t len = lens ? lens[i] : strlen(items[i]);
        const size_t *m = meta_of(&d, i);
        assert_int_equal(m[0], at);
        if (m[1] != len || memcmp(d.text.p + m[0], items[i], len) != 0)
            fail_msg("%.*s: item %ld is wrong (%zu bytes, not %zu)", (int)json_len, json, i, m[1],
                     len);
        assert_int_equal(d.text.p[m[0] + len], '\0');
        at += len + 1;
    }
    assert_int_equal(d.text.n, at);
    decoded_free(&d);
}

static void expect_items(const char *json, const char *const *items, long n)
{
    expect_items_n(json, strlen(json), items, NULL, n);
}

static void expect_one(const char *json, const char *item)
{
    expect_items(json, &item, 1);
}

static void expect_refused_n(const char *json, size_t len)
{
    decoded d = decode_n(json, len);
    if (d.n != -1)
        fail_msg("%.*s: decoded (%ld), not refused", (int)len, json, d.n);
    decoded_free(&d);
}

static void expect_refused(const char *json)
{
    expect_refused_n(json, strlen(json));
}

/* Well-formed lists: empty, whitespace where JSON allows it, empty items. */
static void test_decode_valid_R_HOST_1(void **state)
{
    (void)state;
    expect_items("[]", NULL, 0);
    expect_items(" \t\r\n[ \t\r\n] \t\r\n", NULL, 0);
    expect_one("[\"a\"]", "a");
    expect_one("[\"\"]", "");
    const char *two[] = {"alice", "bob"};
    expect_items("[\"alice\",\"bob\"]", two, 2);
    expect_items("\n[ \"alice\" ,\r\n\t\"bob\" ]\n", two, 2);
    const char *empties[] = {"", "", "x", ""};
    expect_items("[\"\",\"\",\"x\",\"\"]", empties, 4);
    /* Raw UTF-8 and DEL pass as they are. */
    expect_one("[\"Grüße, 世界 😀 \x7f\"]", "Grüße, 世界 😀 \x7f");
}

/* The eight simple escapes, and \u escapes at each UTF-8 length boundary. */
static void test_decode_escapes_R_HOST_1(void **state)
{
    (void)state;
    expect_one("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]", "\"\\/\b\f\n\r\t");
    expect_one("[\"a\\nb\"]", "a\nb");
    expect_one("[\"\\u0001\\u001f\\u0020\\u0041\"]", "\x01\x1f A");
    expect_one("[\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"]",
               "\x7f\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf");
    expect_one("[\"\\u00e9\\u00E9\\u20ac\\u20AC\"]", "éé€€");
    expect_one("[\"caf\\u00e9\"]", "café");
    /* \uE000, the first code point after the surrogates. */
    expect_one("[\"\\ue000\\ud7ff\"]", "\xee\x80\x80\xed\x9f\xbf");
}

/* Surrogate pairs give 4-byte UTF-8; a lone or ill-paired surrogate is not a
 * character and is refused. */
static void test_decode_surrogates_R_HOST_1(void **state)
{
    (void)state;
    expect_one("[\"\\ud83d\\ude00\"]", "😀");
    expect_one("[\"\\uD83D\\uDE00\"]", "😀");
    expect_one("[\"\\ud800\\udc00\"]", "\xf0\x90\x80\x80"); /* U+10000 */
    expect_one("[\"\\udbff\\udfff\"]", "\xf4\x8f\xbf\xbf"); /* U+10FFFF */
    expect_one("[\"x\\ud83d\\ude00y\"]", "x😀y");
    expect_refused("[\"\\ud83d\"]");          /* high, then the end of the text */
    expect_refused("[\"\\ud83dx\"]");         /* high, then a character */
    expect_refused("[\"\\ud83d\\n\"]");       /* high, then another escape */
    expect_refused("[\"\\ud83d\\ud83d\"]");   /* two highs */
    expect_refused("[\"\\ud83d\\u0041\"]");   /* high, then not a low */
    expect_refused("[\"\\ud83d\\ue000\"]");   /* high, then past the lows */
    expect_refused("[\"\\ude00\"]");          /* a lone low */
    expect_refused("[\"\\udfff\\ud83d\"]");   /* the pair reversed */
    expect_refused("[\"\\ud83d\\ude0\"]");    /* a truncated low */
    expect_refused("[\"\\ud83d\\ude0g\"]");   /* a low that is not hex */
    expect_refused("[\"\\ud83d\\\\ude00\"]"); /* an escaped backslash is no low */
}

/* Escapes JSON does not have, bad hex, raw control characters and NUL. */
static void test_decode_bad_strings_R_HOST_1(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "[\"\\x41\"]",   "[\"\\a\"]",     "[\"\\'\"]",   "[\"\\U0041\"]", "[\"\\u12g4\"]",
        "[\"\\u-123\"]", "[\"\\u 123\"]", "[\"\\u12\"]", "[\"\\u\"]",     "[\"\\u0000\"]",
        "[\"a\nb\"]",    "[\"a\tb\"]",    "[\"a\rb\"]",  "[\"\x01\"]",    "[\"\x1f\"]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_refused(bad[i]);
    /* A NUL byte: inside an item, after a backslash, and between items. */
    expect_refused_n("[\"a\0b\"]", 7);
    expect_refused_n("[\"a\\\0\"]", 7);
    expect_refused_n("[\"a\",\0\"b\"]", 10);
    expect_refused_n("[\"a\"]\0", 6);
}

/* Whatever is not exactly an array of strings: other JSON values, nested
 * arrays, wrong element types, missing or extra punctuation. */
static void test_decode_not_a_list_R_HOST_1(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        " ",
        "null",
        "\"a\"",
        "{}",
        "{\"a\":\"b\"}",
        "[",
        "]",
        "[,]",
        "[\"a\",]",
        "[,\"a\"]",
        "[\"a\" \"b\"]",
        "[\"a\"]x",
        "[\"a\"]]",
        "[\"a\"][]",
        "[[\"a\"]]",
        "[\"a\",[\"b\"]]",
        "[[]]",
        "[1]",
        "[\"a\",1]",
        "[null]",
        "[true]",
        "[false]",
        "[{\"a\":\"b\"}]",
        "['a']",
        "[a]",
        "[\"a\"\"b\"]",
        "[\"a\";\"b\"]",
        "[\"a\":\"b\"]",
        "\xef\xbb\xbf[]",
        "\f[]",
        "[\v]",
        "[\"a\"]\f",
        "1.5",
        "[\"a\"] ,",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_refused(bad[i]);
}

/* Every proper prefix of a list is refused, and none is read past its end
 * (each is decoded from a block of its exact size). */
static void test_decode_truncated_R_HOST_1(void **state)
{
    (void)state;
    static const char *const lists[] = {
        "[\"alice\",\"b\\\"o\\\\b\",\"\\u00e9\\ud83d\\ude00\\n\",\"\"]",
        "[ \"x\" , \"\\/\\b\\f\\r\\t\" ]",
        "[]",
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        size_t len = strlen(lists[i]);
        decoded whole = decode_n(lists[i], len);
        assert_true(whole.n >= 0);
        decoded_free(&whole);
        for (size_t k = 0; k < len; k++)
            expect_refused_n(lists[i], k);
    }
}

/* Long items and long lists decode whole: a megabyte item with escapes, and
 * 100,000 items. */
static void test_decode_over_long_R_HOST_1(void **state)
{
    (void)state;
    size_t big = 1 << 20;
    char *item = malloc(big + 1), *json = malloc(2 * big + 8);
    assert_non_null(item);
    assert_non_null(json);
    size_t j = 0;
    json[j++] = '[';
    json[j++] = '"';
    for (size_t i = 0; i < big; i++) {
        item[i] = (char)(i % 7 == 0 ? '\n' : 'a' + i % 26);
        if (item[i] == '\n') {
            json[j++] = '\\';
            json[j++] = 'n';
        } else {
            json[j++] = item[i];
        }
    }
    item[big] = '\0';
    json[j++] = '"';
    json[j++] = ']';
    expect_items_n(json, j, (const char *const *)&item, &big, 1);
    free(item);
    free(json);

    long n = 100000;
    sq_buf in = {0};
    char **items = malloc((size_t)n * sizeof *items);
    assert_non_null(items);
    for (long i = 0; i < n; i++) {
        items[i] = malloc(16);
        snprintf(items[i], 16, "u-%ld", i);
    }
    assert_int_equal(sq_list_encode(&in, (const char *const *)items, NULL, (size_t)n), 0);
    expect_items_n(in.p, in.n, (const char *const *)items, NULL, n);
    for (long i = 0; i < n; i++)
        free(items[i]);
    free(items);
    sq_buf_free(&in);
}

/* Decoding appends: a second list's offsets follow the first one's text, as
 * when a row has several list columns. */
static void test_decode_appends_R_HOST_1(void **state)
{
    (void)state;
    sq_buf text = {0}, meta = {0};
    assert_int_equal(sq_list_decode("[\"ab\",\"c\"]", 10, &text, &meta), 2);
    assert_int_equal(sq_list_decode("[]", 2, &text, &meta), 0);
    assert_int_equal(sq_list_decode("[\"\\u00e9\"]", 10, &text, &meta), 1);
    assert_int_equal(text.n, 3 + 2 + 3);
    assert_memory_equal(text.p, "ab\0c\0\xc3\xa9\0", 8);
    const size_t *m = (const size_t *)(const void *)meta.p;
    assert_int_equal(meta.n, 3 * 2 * sizeof(size_t));
    size_t want[] = {0, 2, 3, 1, 5, 2};
    for (int i = 0; i < 6; i++)
        assert_int_equal(m[i], want[i]);
    sq_buf_free(&text);
    sq_buf_free(&meta);
}

/* Every byte string without NUL survives encode then decode; control bytes
 * are escaped on the way out. */
static void test_encode_round_trip_R_HOST_1(void **state)
{
    (void)state;
    char all[255];
    for (int i = 0; i < 255; i++)
        all[i] = (char)(i + 1);
    const char *items[] = {all, "", "\"\\/", "plain", "\b\f\n\r\t"};
    size_t lens[] = {sizeof all, 0, 3, 5, 5};
    sq_buf b = {0};
    assert_int_equal(sq_list_encode(&b, items, lens, 5), 0);
    for (size_t i = 0; i < b.n; i++)
        if ((unsigned char)b.p[i] < 0x20)
            fail_msg("a raw control byte 0x%02x at %zu", (unsigned char)b.p[i], i);
    expect_items_n(b.p, b.n, items, lens, 5);
    /* The exact text for the escapes, and NULL lens. */
    b.n = 0;
    const char *esc[] = {"a\"b\\c\nd\te\rf\x01g\x7f", "\b\f"};
    assert_int_equal(sq_list_encode(&b, esc, NULL, 2), 0);
    const char *want = "[\"a\\\"b\\\\c\\nd\\te\\rf\\u0001g\x7f\",\"\\u0008\\u000c\"]";
    assert_int_equal(b.n, strlen(want));
    assert_memory_equal(b.p, want, b.n);
    b.n = 0;
    assert_int_equal(sq_list_encode(&b, NULL, NULL, 0), 0);
    assert_int_equal(b.n, 2);
    assert_memory_equal(b.p, "[]", 2);
    sq_buf_free(&b);
}

/* ---- allocation failures ---- */

/* A buffer of capacity cap holding cap - room bytes ('#'). */
static sq_buf filled(size_t cap, size_t room)
{
    sq_buf b = {malloc(cap), cap - room, cap};
    assert_non_null(b.p);
    memset(b.p, '#', cap - room);
    return b;
}

/* With realloc failing, a buffer with `room` free bytes takes appends up to
 * room and refuses the next: every append of the encoder and the decoder is
 * failed once, and each failure is reported (-1 from the encoder, -2 from the
 * decoder), the buffer kept. */
static void test_nomem_every_append_R_HOST_1(void **state)
{
    (void)state;
    const char *items[] = {"a\"b\\c\nd\te\rf\x01g", "", "h"};
    sq_buf want = {0};
    assert_int_equal(sq_list_encode(&want, items, NULL, 3), 0);
    realloc_fails = 1;
    for (size_t room = 0; room <= want.n; room++) {
        sq_buf b = filled(want.n + 8, room);
        size_t keep = b.n;
        realloc_calls = 0;
        int rc = sq_list_encode(&b, items, NULL, 3);
        if (room < want.n) {
            assert_int_equal(rc, -1);
            assert_true(realloc_calls > 0);
            assert_true(b.n <= keep + room);
        } else {
            assert_int_equal(rc, 0);
            assert_memory_equal(b.p + keep, want.p, want.n);
        }
        assert_int_equal(b.cap, want.n + 8);
        sq_buf_free(&b);
    }
    /* The decoder: its text buffer short, then its meta buffer. */
    const char *json = "[\"ab\\n\\u00e9\\ud83d\\ude00\",\"\",\"c\\/\"]";
    const char *out[] = {"ab\né😀", "", "c/"};
    size_t text_need = strlen(out[0]) + 1 + 1 + 3, meta_need = 3 * 2 * sizeof(size_t);
    for (int which = 0; which < 2; which++) {
        size_t need = which ? meta_need : text_need;
        for (size_t room = 0; room <= need; room++) {
            sq_buf text = which ? filled(64, 64) : filled(need + 4, room);
            sq_buf meta = which ? filled(need + 4, room) : filled(64, 64);
            size_t text0 = text.n, meta0 = meta.n;
            long n = sq_list_decode(json, strlen(json), &text, &meta);
            assert_int_equal(n, room < need ? -2 : 3);
            if (n == 3) {
                assert_int_equal(text.n, text0 + text_need);
                assert_memory_equal(text.p + text0, "ab\n\xc3\xa9\xf0\x9f\x98\x80\0\0c/\0",
                                    text_need);
                size_t m[6]; /* meta0 need not be aligned here */
                assert_int_equal(meta.n, meta0 + sizeof m);
                memcpy(m, meta.p + meta0, sizeof m);
                assert_int_equal(m[0], text0);
                assert_int_equal(m[5], 2);
            }
            sq_buf_free(&text);
            sq_buf_free(&meta);
        }
    }
    /* An empty buffer that cannot grow. */
    sq_buf e = {0};
    assert_int_equal(sq_buf_reserve(&e, 1), -1);
    assert_null(e.p);
    assert_int_equal(e.cap, 0);
    sq_buf e2 = {0};
    assert_int_equal(sq_list_decode("[\"a\"]", 5, &e, &e2), -2);
    assert_int_equal(sq_list_decode("[]", 2, &e, &e2), 0);
    assert_null(e2.p);
    assert_int_equal(sq_list_encode(&e, items, NULL, 1), -1);
    realloc_fails = 0;
    /* And the same calls succeed once it can. */
    assert_int_equal(sq_buf_reserve(&e, 1), 0);
    assert_int_equal(e.cap, 256);
    sq_buf_free(&e);
    sq_buf_free(&want);
}

/* ---- lists edited on disk, then loaded ---- */

/* A database holding a user, a team, a pipeline, an inbox with an access
 * list, a channel with properties, a contact and an email with a cc. Its
 * path is in `path`; *conv: the email's conversation. */
static void make_db(char *path, size_t cap, uint64_t *conv)
{
    snprintf(path, cap, "%s", sqlitetest_path());
    cib_store st;
    char err[256];
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.flags = CIB_SQLITE_CREATE;
    assert_int_equal(cib_sqlite_open(path, &so, &st, err, sizeof err), CIB_OK);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    o.hash_seed = 7;
    cib_ctx *ctx;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    cib_user_def u = CIB_USER_DEF_INIT;
    u.id = "alice";
    u.name = "Alice";
    assert_int_equal(cib_user_add(ctx, &u), CIB_OK);
    u.id = "bob";
    u.name = "Bob";
    assert_int_equal(cib_user_add(ctx, &u), CIB_OK);
    cib_team_def t = CIB_TEAM_DEF_INIT;
    const char *members[] = {"alice"};
    t.id = "tier1";
    t.members = members;
    t.n_members = 1;
    assert_int_equal(cib_team_add(ctx, &t), CIB_OK);
    cib_pipeline_def p = CIB_PIPELINE_DEF_INIT;
    const char *stages[] = {"new", "done"};
    p.id = "support";
    p.stages = stages;
    p.n_stages = 2;
    assert_int_equal(cib_pipeline_add(ctx, &p), CIB_OK);
    cib_contact_def c = CIB_CONTACT_DEF_INIT;
    c.id = "acme-1";
    c.email = "buyer@example.test";
    assert_int_equal(cib_contact_add(ctx, &c), CIB_OK);
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    const char *pk[] = {"source"}, *pv[] = {"mail"};
    d.id = "mail";
    d.inbox = "default";
    d.type = CIB_CHANNEL_EMAIL;
    d.address = "help@acme.test";
    d.property_keys = pk;
    d.property_values = pv;
    d.n_properties = 1;
    assert_int_equal(cib_channel_add(ctx, &d), CIB_OK);
    cib_inbound m = CIB_INBOUND_INIT;
    const char *cc[] = {"carol@example.test"};
    m.channel = "mail";
    m.msg_id = "m1";
    m.from = "buyer@example.test";
    m.text = "Hello";
    m.cc = cc;
    m.n_cc = 1;
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    assert_int_equal(cib_ingest(ctx, &m, &r), CIB_OK);
    *conv = r.conversation;
    cib_ctx_free(ctx);
    st.close(st.user_data);
}

/* Set table.column of the row with this id to a value of SQLite type
 * `type` ('T' text of `len` bytes, 'B' blob, 'I' integer, 'R' real). */
static void poke(const char *path, const char *table, const char *column, const char *id, int type,
                 const char *value, size_t len)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE %s SET %s = ?1 WHERE id = ?2", table, column);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        fail_msg("%s: %s", sql, sqlite3_errmsg(db));
    if (type == 'T')
        sqlite3_bind_text(st, 1, value, (int)len, SQLITE_TRANSIENT);
    else if (type == 'B')
        sqlite3_bind_blob(st, 1, value, (int)len, SQLITE_TRANSIENT);
    else if (type == 'I')
        sqlite3_bind_int64(st, 1, atoll(value));
    else
        sqlite3_bind_double(st, 1, atof(value));
    if (strcmp(table, "messages") == 0)
        sqlite3_bind_int64(st, 2, atoll(id));
    else
        sqlite3_bind_text(st, 2, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_DONE);
    assert_int_equal(sqlite3_changes(db), 1);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

typedef struct loaded {
    cib_store st;
    cib_ctx *ctx;
    int rc;
    char err[512];
} loaded;

/* A context on the file, or the refusal; the file is never changed. */
static void load(const char *path, loaded *l)
{
    char serr[256];
    assert_int_equal(cib_sqlite_open(path, NULL, &l->st, serr, sizeof serr), CIB_OK);
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &l->st;
    o.hash_seed = 7;
    o.error_buffer = l->err;
    o.error_buffer_size = sizeof l->err;
    l->err[0] = '\0';
    l->ctx = NULL;
    l->rc = cib_ctx_new(&o, &l->ctx);
}

static void unload(loaded *l)
{
    cib_ctx_free(l->ctx);
    l->st.close(l->st.user_data);
}

/* A stored list the decoder refuses: the context is not created, and the
 * message names the table, the column and the row. */
static void expect_load_refused(const char *table, const char *column, const char *id, int type,
                                const char *value, size_t len, const char *needle)
{
    char path[420];
    uint64_t conv;
    make_db(path, sizeof path, &conv);
    poke(path, table, column, id, type, value, len);
    loaded l;
    load(path, &l);
    if (l.rc != CIB_ESTORAGE || !strstr(l.err, needle))
        fail_msg("%s.%s = %.*s: %s (%s), not a refusal saying \"%s\"", table, column, (int)len,
                 value, cib_status_name(l.rc), l.err, needle);
    assert_null(l.ctx);
    unload(&l);
}

static const char *item_of(cib_ctx *ctx, int list, const char *owner, size_t i)
{
    const char *s = NULL;
    assert_int_equal(cib_list_item(ctx, list, owner, CIB_NTS, i, &s), CIB_OK);
    return s;
}

/* Escaped, unicode-escaped and surrogate stages written with SQL are read
 * back exactly; so are a team and an access list with whitespace, and a
 * contact's learned address with an escaped newline. */
static void test_disk_lists_read_exactly_R_HOST_1(void **state)
{
    (void)state;
    char path[420];
    uint64_t conv;
    make_db(path, sizeof path, &conv);
    const char *stages = "[\"new\",\"caf\\u00e9 \\\"ok\\\" \\\\ \\/\",\"\\ud83d\\ude00 "
                         "done\",\"\\u4e16\\u754C\",\"Grüße\"]";
    poke(path, "pipelines", "stages", "support", 'T', stages, strlen(stages));
    const char *members = " [ \"bob\" ,\n\t\"alice\" ] ";
    poke(path, "teams", "members", "tier1", 'T', members, strlen(members));
    poke(path, "inboxes", "access_users", "default", 'T', "[\"bob\"]", 7);
    poke(path, "inboxes", "access", "default", 'T', "specific", 8);
    const char *addrs = "[\"visitor\\nk-1\",\"messenger\\npage\\u002d1\\npsid-9\"]";
    poke(path, "contacts", "addresses", "acme-1", 'T', addrs, strlen(addrs));
    loaded l;
    load(path, &l);
    if (l.rc != CIB_OK)
        fail_msg("refused: %s", l.err);
    size_t n;
    assert_int_equal(cib_list_count(l.ctx, CIB_LIST_PIPELINE_STAGES, "support", CIB_NTS, &n),
                     CIB_OK);
    assert_int_equal(n, 5);
    assert_string_equal(item_of(l.ctx, CIB_LIST_PIPELINE_STAGES, "support", 1), "café \"ok\" \\ /");
    assert_string_equal(item_of(l.ctx, CIB_LIST_PIPELINE_STAGES, "support", 2), "😀 done");
    assert_string_equal(item_of(l.ctx, CIB_LIST_PIPELINE_STAGES, "support", 3), "世界");
    assert_string_equal(item_of(l.ctx, CIB_LIST_PIPELINE_STAGES, "support", 4), "Grüße");
    assert_int_equal(cib_list_count(l.ctx, CIB_LIST_TEAM_MEMBERS, "tier1", CIB_NTS, &n), CIB_OK);
    assert_int_equal(n, 2);
    assert_string_equal(item_of(l.ctx, CIB_LIST_TEAM_MEMBERS, "tier1", 0), "bob");
    assert_string_equal(item_of(l.ctx, CIB_LIST_TEAM_MEMBERS, "tier1", 1), "alice");
    assert_int_equal(cib_list_count(l.ctx, CIB_LIST_INBOX_USERS, "default", CIB_NTS, &n), CIB_OK);
    assert_int_equal(n, 1);
    assert_string_equal(item_of(l.ctx, CIB_LIST_INBOX_USERS, "default", 0), "bob");
    assert_string_equal(item_of(l.ctx, CIB_LIST_CONTACT_ADDRESSES, "acme-1", 0), "visitor\nk-1");
    assert_string_equal(item_of(l.ctx, CIB_LIST_CONTACT_ADDRESSES, "acme-1", 1),
                        "messenger\npage-1\npsid-9");
    unload(&l);
}

/* Lists that are not JSON arrays of strings, in each SQLite type: the
 * account is not loaded, and the message says which row and column. */
static void test_disk_malformed_refused_R_HOST_1(void **state)
{
    (void)state;
    const char *want = "pipelines.stages of row 'support' is not a JSON array of strings";
    static const char *const bad[] = {
        "",                     /* empty */
        "[\"new\",\"done\"",    /* truncated */
        "[\"new\",\"do",        /* truncated in an item */
        "[\"new\",\"done\\",    /* truncated in an escape */
        "[\"new\",\"\\u00e\"]", /* a short \u escape */
        "[\"\\ud83d\"]",        /* a lone high surrogate */
        "[\"\\ude00\"]",        /* a lone low surrogate */
        "[\"\\ud83d\\u0041\"]", /* a high surrogate and no low */
        "[\"\\u0000\"]",        /* NUL */
        "[\"a\\qb\"]",          /* no such escape */
        "[\"a\tb\"]",           /* a raw tab */
        "[[\"new\"]]",          /* nested */
        "[\"new\",[\"done\"]]", /* nested later */
        "[\"new\",1]",          /* a number item */
        "[null]",               /* a null item */
        "{\"new\":\"done\"}",   /* an object */
        "\"new\"",              /* a string */
        "[\"new\",\"done\",]",  /* a trailing comma */
        "[\"new\"] [\"done\"]", /* two arrays */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        expect_load_refused("pipelines", "stages", "support", 'T', bad[i], strlen(bad[i]), want);
    /* Other types: the columns have TEXT affinity, so an INTEGER or a REAL
     * written there is stored as its text; a BLOB is read as its bytes, and
     * a NUL among them is refused too. */
    expect_load_refused("pipelines", "stages", "support", 'I', "42", 2, want);
    expect_load_refused("pipelines", "stages", "support", 'R', "1.5", 3, want);
    expect_load_refused("pipelines", "stages", "support", 'B', "[\"new\"\0]", 8, want);
    expect_load_refused("pipelines", "stages", "support", 'T', "[\"n\0w\"]", 7, want);
    expect_load_refused("teams", "members", "tier1", 'T', "[\"alice\"", 8,
                        "teams.members of row 'tier1' is not a JSON array of strings");
    expect_load_refused("channels", "property_values", "mail", 'T', "[\"mail\",]", 9,
                        "channels.property_values of row 'mail' is not a JSON array");
    /* A BLOB that holds a valid list is read like its text. */
    char path[420];
    uint64_t conv;
    make_db(path, sizeof path, &conv);
    poke(path, "pipelines", "stages", "support", 'B', "[\"a\",\"b\\u00e9\"]", 15);
    loaded l;
    load(path, &l);
    assert_int_equal(l.rc, CIB_OK);
    assert_string_equal(item_of(l.ctx, CIB_LIST_PIPELINE_STAGES, "support", 1), "bé");
    unload(&l);
}

/* Lists the decoder reads but the library must not accept: invalid UTF-8,
 * a control character through an escape, an over-long item, too many items,
 * a repeated stage, an unknown member, lists of different lengths. */
static void test_disk_decoded_but_refused_R_HOST_1(void **state)
{
    (void)state;
    const char *bad_row = "store holds a bad pipeline row 'support'";
    expect_load_refused("pipelines", "stages", "support", 'T', "[\"\xc3\"]", 5, bad_row);
    expect_load_refused("pipelines", "stages", "support", 'T', "[\"\xc0\x80\"]", 6, bad_row);
    expect_load_refused("pipelines", "stages", "support", 'T', "[\"\\u0007\"]", 10, bad_row);
    expect_load_refused("pipelines", "stages", "support", 'T', "[\"a\",\"a\"]", 9, bad_row);
    expect_load_refused("pipelines", "stages", "support", 'T', "[]", 2, bad_row);
    char *json = malloc(4096 * 8);
    assert_non_null(json);
    size_t j = 0;
    json[j++] = '[';
    json[j++] = '"';
    for (int i = 0; i < 4000; i++)
        json[j++] = 'x';
    json[j++] = '"';
    json[j++] = ']';
    expect_load_refused("pipelines", "stages", "support", 'T', json, j, bad_row);
    j = 0;
    json[j++] = '[';
    for (int i = 0; i < 101; i++)
        j += (size_t)sprintf(json + j, "%s\"s%d\"", i ? "," : "", i);
    json[j++] = ']';
    expect_load_refused("pipelines", "stages", "support", 'T', json, j, bad_row);
    free(json);
    expect_load_refused("teams", "members", "tier1", 'T', "[\"alice\",\"nobody\"]", 18,
                        "store holds a bad team row 'tier1'");
    expect_load_refused("channels", "property_values", "mail", 'T', "[\"mail\",\"x\"]", 12,
                        "property_keys and property_values differ in length");
}

static int count_cc(void *ud, const cib_message_info *m)
{
    *(size_t *)ud = m->n_cc;
    return 0;
}

/* Message rows are read when asked for, not at load: a malformed cc is a
 * storage error of that read, with the row named; a well-formed one is
 * counted exactly. */
static void test_disk_message_list_read_later_R_HOST_1(void **state)
{
    (void)state;
    char path[420];
    uint64_t conv;
    make_db(path, sizeof path, &conv);
    sqlite3 *db;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM messages", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)sqlite3_column_int64(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    poke(path, "messages", "cc", id, 'T', "[\"a@x.test\", \"b@x.test\",\"c\\u0040x.test\"]", 40);
    loaded l;
    load(path, &l);
    assert_int_equal(l.rc, CIB_OK);
    size_t n_cc = 99;
    assert_int_equal(cib_conversation_messages(l.ctx, NULL, 0, conv, count_cc, &n_cc), CIB_OK);
    assert_int_equal(n_cc, 3);
    unload(&l);
    poke(path, "messages", "cc", id, 'T', "[\"a@x.test\",", 12);
    load(path, &l);
    assert_int_equal(l.rc, CIB_OK);
    assert_int_equal(cib_conversation_messages(l.ctx, NULL, 0, conv, count_cc, &n_cc),
                     CIB_ESTORAGE);
    char want[96];
    snprintf(want, sizeof want, "messages.cc of row '%s' is not a JSON array", id);
    if (!strstr(cib_errmsg(l.ctx), want))
        fail_msg("message: %s", cib_errmsg(l.ctx));
    unload(&l);
}

/* A size no buffer can have is refused, not looped on: asking for more
 * than half the address space, from an empty buffer and from a used one. */
static void test_reserve_impossible_size_R_HOST_1(void **state)
{
    (void)state;
    alarm(30); /* the loop it used to enter never ends: end the program */
    sq_buf b = {0};
    realloc_calls = 0;
    assert_int_equal(sq_buf_reserve(&b, SIZE_MAX), -1);
    assert_int_equal(sq_buf_reserve(&b, SIZE_MAX / 2 + 1), -1);
    assert_int_equal(realloc_calls, 0);
    assert_null(b.p);
    assert_int_equal(sq_buf_reserve(&b, 10), 0);
    b.n = 10;
    assert_int_equal(sq_buf_reserve(&b, SIZE_MAX - 20), -1);
    assert_int_equal(sq_buf_reserve(&b, SIZE_MAX / 2 - 9), -1);
    assert_int_equal(b.cap, 256);
    assert_int_equal(b.n, 10);
    assert_int_equal(sq_buf_reserve(&b, 1000), 0);
    assert_int_equal(b.cap, 1024);
    sq_buf_free(&b);
    alarm(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_valid_R_HOST_1),
        cmocka_unit_test(test_decode_escapes_R_HOST_1),
        cmocka_unit_test(test_decode_surrogates_R_HOST_1),
        cmocka_unit_test(test_decode_bad_strings_R_HOST_1),
        cmocka_unit_test(test_decode_not_a_list_R_HOST_1),
        cmocka_unit_test(test_decode_truncated_R_HOST_1),
        cmocka_unit_test(test_decode_over_long_R_HOST_1),
        cmocka_unit_test(test_decode_appends_R_HOST_1),
        cmocka_unit_test(test_encode_round_trip_R_HOST_1),
        cmocka_unit_test(test_nomem_every_append_R_HOST_1),
        cmocka_unit_test(test_reserve_impossible_size_R_HOST_1),
        cmocka_unit_test(test_disk_lists_read_exactly_R_HOST_1),
        cmocka_unit_test(test_disk_malformed_refused_R_HOST_1),
        cmocka_unit_test(test_disk_decoded_but_refused_R_HOST_1),
        cmocka_unit_test(test_disk_message_list_read_later_R_HOST_1),
    };
    int rc = TENV_RUN(tests);
    sqlitetest_cleanup();
    return rc;
}
