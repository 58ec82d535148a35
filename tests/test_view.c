/* test_view.c - views (R-CONV-5): unassigned, mine, all; per inbox; by
 * channel and status; oldest first; pages with cursors; only what the user
 * may view. Also reading one conversation and its messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

static uint64_t inbound(tenv *e, const char *channel, const char *msg_id, const char *from,
                        const char *thread, const char *text)
{
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = channel;
    m.msg_id = msg_id;
    m.from = from;
    m.thread = thread;
    m.text = text;
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_OK, NULL);
    return r.conversation;
}

/* A view as a string of indexes into ids[] ("0,2,"), in the order given. */
static char *view(tenv *e, const char *user, int kind, const char *inbox, const char *channel,
                  int status, const uint64_t *ids, size_t n_ids)
{
    static char out[512];
    out[0] = '\0';
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.user = user;
    q.view = kind;
    q.inbox = inbox;
    q.channel = channel;
    q.status = status;
    uint64_t page[3];
    size_t n;
    uint64_t next;
    do {
        expect_status(e, cib_view(e->ctx, &q, page, 3, &n, &next), CIB_OK, NULL);
        for (size_t i = 0; i < n; i++) {
            size_t k = 0;
            while (k < n_ids && ids[k] != page[i])
                k++;
            size_t len = strlen(out);
            snprintf(out + len, sizeof out - len, "%zu,", k);
        }
        assert_true(next == 0 || n == 3);
        q.after = next;
    } while (next);
    return out;
}

/* Ten conversations over two inboxes, three channels, two agents, open and
 * closed; ids[i] in creation order. */
static uint64_t ids[10];

static void setup(tenv *e)
{
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "carl", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "admin", NULL, CIB_SEAT_PAID, CIB_ROLE_ADMIN);
    const char *team[] = {"alice", "bob"};
    add_inbox_access(e, "support", "Support", team, 2, NULL, 0);
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    add_channel(e, "chat", "support", CIB_CHANNEL_CHAT, NULL);
    add_inbox(e, "sales", "Sales");
    add_channel(e, "sales-mail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    const char *chan[] = {"mail", "chat", "mail",       "sales-mail", "mail",
                          "chat", "mail", "sales-mail", "mail",       "chat"};
    char id[16], from[32];
    for (int i = 0; i < 10; i++) {
        snprintf(id, sizeof id, "m%d", i);
        snprintf(from, sizeof from, "c%d@example.test", i);
        ids[i] = inbound(e, chan[i], id, from, NULL, "Hi");
    }
    /* Assign 1, 2 to alice; 4 to bob; close 2, 5, 6. */
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, ids[1], "alice", CIB_NTS), CIB_OK, NULL);
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, ids[2], "alice", CIB_NTS), CIB_OK, NULL);
    expect_status(e, cib_assign(e->ctx, "bob", CIB_NTS, ids[4], "bob", CIB_NTS), CIB_OK, NULL);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, ids[2]), CIB_OK, NULL);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, ids[5]), CIB_OK, NULL);
    expect_status(e, cib_close(e->ctx, "bob", CIB_NTS, ids[6]), CIB_OK, NULL);
}

/* R-CONV-5: every view, filter and status, oldest first, across pages. */
static void test_views_R_CONV_5(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    /* support holds 0,1,2,4,5,6,8,9; sales 3,7. */
    assert_string_equal(view(e, "alice", CIB_VIEW_ALL, "support", NULL, 0, ids, 10),
                        "0,1,2,4,5,6,8,9,");
    assert_string_equal(view(e, "alice", CIB_VIEW_ALL, "support", NULL, CIB_STATUS_OPEN, ids, 10),
                        "0,1,4,8,9,");
    assert_string_equal(view(e, "alice", CIB_VIEW_ALL, "support", NULL, CIB_STATUS_CLOSED, ids, 10),
                        "2,5,6,");
    assert_string_equal(view(e, "alice", CIB_VIEW_ALL, "support", "chat", 0, ids, 10), "1,5,9,");
    assert_string_equal(view(e, "alice", CIB_VIEW_ALL, "support", "mail", CIB_STATUS_OPEN, ids, 10),
                        "0,4,8,");
    assert_string_equal(view(e, "alice", CIB_VIEW_UNASSIGNED, "support", NULL, 0, ids, 10),
                        "0,5,6,8,9,");
    assert_string_equal(
        view(e, "alice", CIB_VIEW_UNASSIGNED, "support", NULL, CIB_STATUS_OPEN, ids, 10), "0,8,9,");
    assert_string_equal(view(e, "alice", CIB_VIEW_MINE, NULL, NULL, 0, ids, 10), "1,2,");
    assert_string_equal(view(e, "alice", CIB_VIEW_MINE, "support", NULL, CIB_STATUS_OPEN, ids, 10),
                        "1,");
    assert_string_equal(view(e, "bob", CIB_VIEW_MINE, "support", NULL, 0, ids, 10), "4,");
    assert_string_equal(view(e, NULL, CIB_VIEW_ALL, "sales", NULL, 0, ids, 10), "3,7,");
    /* A reopened conversation keeps its place (by creation). */
    expect_status(e, cib_reopen(e->ctx, "bob", CIB_NTS, ids[5]), CIB_OK, NULL);
    assert_string_equal(view(e, "bob", CIB_VIEW_ALL, "support", NULL, CIB_STATUS_OPEN, ids, 10),
                        "0,1,4,5,8,9,");
    /* Reassignment moves a conversation between queues. */
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, ids[1], "bob", CIB_NTS), CIB_OK, NULL);
    assert_string_equal(view(e, "bob", CIB_VIEW_MINE, NULL, NULL, CIB_STATUS_OPEN, ids, 10),
                        "1,4,");
    /* The same after a restart. */
    tenv_reopen(e);
    assert_string_equal(view(e, "alice", CIB_VIEW_ALL, "support", NULL, 0, ids, 10),
                        "0,1,2,4,5,6,8,9,");
    assert_string_equal(view(e, "bob", CIB_VIEW_MINE, NULL, NULL, CIB_STATUS_OPEN, ids, 10),
                        "1,4,");
    tenv_free(e);
}

/* R-CONV-5, R-ACCESS-3: only what the user may view. */
static void test_views_respect_access_R_ACCESS_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    /* carl has no access to support: nothing of it, from any view. */
    assert_string_equal(view(e, "carl", CIB_VIEW_ALL, "support", NULL, 0, ids, 10), "");
    assert_string_equal(view(e, "carl", CIB_VIEW_UNASSIGNED, "support", NULL, 0, ids, 10), "");
    assert_string_equal(view(e, "carl", CIB_VIEW_ALL, "sales", NULL, 0, ids, 10), "3,7,");
    /* Admins view every inbox (R-ACCESS-2). */
    assert_string_equal(view(e, "admin", CIB_VIEW_ALL, "support", NULL, CIB_STATUS_OPEN, ids, 10),
                        "0,1,4,8,9,");
    /* Losing access hides even one's own assignments. */
    const char *only_bob[] = {"bob"};
    cib_access_def a = CIB_ACCESS_DEF_INIT;
    a.everyone = 0;
    a.users = only_bob;
    a.n_users = 1;
    expect_status(e, cib_inbox_set_access(e->ctx, "support", CIB_NTS, &a), CIB_OK, NULL);
    assert_string_equal(view(e, "alice", CIB_VIEW_MINE, NULL, NULL, 0, ids, 10), "");
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    expect_status(e, cib_conversation_get(e->ctx, "alice", CIB_NTS, ids[1], &ci), CIB_ENOTFOUND,
                  "not found");
    expect_status(e, cib_conversation_get(e->ctx, "bob", CIB_NTS, ids[1], &ci), CIB_OK, NULL);
    tenv_free(e);
}

/* Pages: a cursor survives changes between pages. */
static void test_cursor_pages_R_CONV_5(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.inbox = "support";
    q.status = CIB_STATUS_OPEN;
    uint64_t page[2];
    size_t n = 0;
    uint64_t next = 0;
    expect_status(e, cib_view(e->ctx, &q, page, 2, &n, &next), CIB_OK, NULL);
    assert_int_equal(n, 2);
    assert_true(page[0] == ids[0] && page[1] == ids[1] && next == ids[1]);
    /* The last conversation of the page closes; the next page goes on. */
    expect_status(e, cib_close(e->ctx, "bob", CIB_NTS, ids[1]), CIB_OK, NULL);
    q.after = next;
    expect_status(e, cib_view(e->ctx, &q, page, 2, &n, &next), CIB_OK, NULL);
    assert_int_equal(n, 2);
    assert_true(page[0] == ids[4] && page[1] == ids[8] && next == ids[8]);
    q.after = next;
    expect_status(e, cib_view(e->ctx, &q, page, 2, &n, &next), CIB_OK, NULL);
    assert_int_equal(n, 1);
    assert_true(page[0] == ids[9] && next == 0);
    /* A page that ends exactly at the last conversation says so. */
    q.after = ids[4];
    expect_status(e, cib_view(e->ctx, &q, page, 2, &n, &next), CIB_OK, NULL);
    assert_int_equal(n, 2);
    assert_true(next == 0);
    tenv_free(e);
}

static void test_view_bad_inputs(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_view_def q = CIB_VIEW_DEF_INIT;
    uint64_t page[4];
    size_t n = 9;
    expect_status(e, cib_view(e->ctx, &q, page, 4, &n, NULL), CIB_EINVAL, "needs an 'inbox'");
    q.inbox = "support";
    expect_status(e, cib_view(e->ctx, &q, page, 0, &n, NULL), CIB_EINVAL, "'cap' is 0");
    expect_status(e, cib_view(e->ctx, &q, NULL, 4, &n, NULL), CIB_EINVAL, "'ids' is NULL");
    expect_status(e, cib_view(e->ctx, &q, page, 4, NULL, NULL), CIB_EINVAL, "'n' is NULL");
    expect_status(e, cib_view(e->ctx, NULL, page, 4, &n, NULL), CIB_EINVAL, "'query' is NULL");
    q.view = 9;
    expect_status(e, cib_view(e->ctx, &q, page, 4, &n, NULL), CIB_EINVAL, "'view' is 9");
    q.view = CIB_VIEW_MINE;
    expect_status(e, cib_view(e->ctx, &q, page, 4, &n, NULL), CIB_EINVAL, "needs a 'user'");
    q.view = CIB_VIEW_ALL;
    q.status = 3;
    expect_status(e, cib_view(e->ctx, &q, page, 4, &n, NULL), CIB_EINVAL, "'status' is 3");
    q.status = 0;
    q.user = "ghost";
    expect_status(e, cib_view(e->ctx, &q, page, 4, &n, NULL), CIB_ENOTFOUND, "user 'ghost'");
    q.user = NULL;
    q.inbox = "nope";
    expect_status(e, cib_view(e->ctx, &q, page, 4, &n, NULL), CIB_ENOTFOUND, "inbox 'nope'");
    q.inbox = "support";
    q.channel = "sales-mail";
    expect_status(e, cib_view(e->ctx, &q, page, 4, &n, NULL), CIB_EINVAL,
                  "channel 'sales-mail' is not in inbox 'support'");
    q.channel = "a\x01";
    expect_status(e, cib_view(e->ctx, &q, page, 4, &n, NULL), CIB_EINVAL, "'channel'");
    assert_int_equal(n, 0);
    tenv_free(e);
}

/* Reading views of closed conversations allocates: out of memory is an
 * error that leaks nothing. */
static void test_view_out_of_memory(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.inbox = "support";
    uint64_t page[16];
    size_t n;
    for (long k = 0;; k++) {
        long live = e->fa.live;
        e->fa.fail_at = e->fa.count + k;
        int rc = cib_view(e->ctx, &q, page, 16, &n, NULL);
        e->fa.fail_at = -1;
        assert_int_equal(e->fa.live, live);
        if (rc == CIB_OK)
            break;
        expect_status(e, rc, CIB_ENOMEM, NULL);
    }
    assert_int_equal(n, 8);
    tenv_free(e);
}

struct msgs {
    char text[512];
};

static int collect(void *ud, const cib_message_info *m)
{
    struct msgs *l = ud;
    static const char *kinds[] = {"?", "in", "reply", "note"};
    size_t len = strlen(l->text);
    snprintf(l->text + len, sizeof l->text - len, "%s:%s:%.*s;", kinds[m->kind],
             m->author ? m->author : (m->contact ? "contact" : "-"), (int)m->text_len, m->text);
    return 0;
}

static int send_ok(void *ud, const cib_outbound *m)
{
    (void)ud;
    (void)m;
    return 0;
}

/* Messages come back from the store, oldest first, bodies intact. */
static void test_conversation_and_messages_R_CONV_4(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    cib_sender s = CIB_SENDER_INIT;
    s.email = send_ok;
    e->opts.sender = &s;
    tenv_reopen(e);
    setup(e);
    e->now += 7000;
    uint64_t c = inbound(e, "mail", "t1", "dana@example.test", "thread", "Line one\nline two");
    expect_status(e, cib_comment(e->ctx, "alice", CIB_NTS, c, "Checking", CIB_NTS, NULL), CIB_OK,
                  NULL);
    expect_status(e, cib_reply(e->ctx, "bob", CIB_NTS, c, "Fixed", CIB_NTS, NULL, 0, NULL), CIB_OK,
                  NULL);
    inbound(e, "mail", "t2", "dana@example.test", "thread", "Thanks!");
    struct msgs l = {""};
    expect_status(e, cib_conversation_messages(e->ctx, "alice", CIB_NTS, c, collect, &l), CIB_OK,
                  NULL);
    assert_string_equal(l.text, "in:contact:Line one\nline two;note:alice:Checking;reply:bob:Fixed;"
                                "in:contact:Thanks!;");
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    expect_status(e, cib_conversation_get(e->ctx, "alice", CIB_NTS, c, &ci), CIB_OK, NULL);
    assert_true(ci.id == c);
    assert_string_equal(ci.inbox, "support");
    assert_string_equal(ci.channel, "mail");
    assert_int_equal(ci.status, CIB_STATUS_OPEN);
    assert_int_equal(ci.n_messages, 4);
    assert_int_equal(ci.created_at, TENV_EPOCH_MS + 7000);
    /* Nothing for a user without access; closed ones from the store. */
    l.text[0] = '\0';
    expect_status(e, cib_conversation_messages(e->ctx, "carl", CIB_NTS, c, collect, &l),
                  CIB_ENOTFOUND, "not found");
    assert_string_equal(l.text, "");
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, c), CIB_OK, NULL);
    tenv_reopen(e);
    expect_status(e, cib_conversation_messages(e->ctx, NULL, 0, c, collect, &l), CIB_OK, NULL);
    assert_non_null(strstr(l.text, "reply:bob:Fixed;"));
    expect_status(e, cib_conversation_messages(e->ctx, NULL, 0, c, NULL, NULL), CIB_EINVAL,
                  "'fn' is NULL");
    expect_status(e, cib_conversation_get(e->ctx, NULL, 0, c, NULL), CIB_EINVAL, "'out' is NULL");
    tenv_free(e);
}

enum { R_GET, R_MESSAGES, R_PROPERTIES };

static int any_msg(void *ud, const cib_message_info *m)
{
    (void)ud;
    (void)m;
    return 0;
}

static int any_prop(void *ud, const char *k, const char *v)
{
    (void)ud;
    (void)k;
    (void)v;
    return 0;
}

static int call_read(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    switch (*(const int *)arg) {
    case R_GET:
        return cib_conversation_get(ctx, s, n, ids[0], &ci);
    case R_MESSAGES:
        return cib_conversation_messages(ctx, s, n, ids[0], any_msg, NULL);
    default:
        return cib_conversation_properties(ctx, s, n, ids[0], any_prop, NULL);
    }
}

static int call_view_user(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.user = s;
    q.user_len = n;
    q.inbox = "sales";
    uint64_t page[4];
    size_t got;
    return cib_view(ctx, &q, page, 4, &got, NULL);
}

static void test_read_bad_users(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    static const int get = R_GET, messages = R_MESSAGES, properties = R_PROPERTIES;
    expect_bad_optional_strings(e, "user", call_read, (void *)&get);
    expect_bad_optional_strings(e, "user", call_read, (void *)&messages);
    expect_bad_optional_strings(e, "user", call_read, (void *)&properties);
    expect_bad_optional_strings(e, "user", call_view_user, NULL);
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    expect_status(e, cib_conversation_get(e->ctx, NULL, 0, 0, &ci), CIB_ENOTFOUND,
                  "conversation 0 not found");
    expect_status(e, cib_conversation_get(e->ctx, "ghost", CIB_NTS, ids[0], &ci), CIB_ENOTFOUND,
                  "user 'ghost' not found");
    expect_status(e, cib_conversation_properties(e->ctx, NULL, 0, ids[0], NULL, NULL), CIB_EINVAL,
                  "'fn' is NULL");
    tenv_free(e);
}

/* ---- the store's find_page: optional, used when present, its answer checked ---- */

static int page_mode; /* 0: no find_page; 1: honest; 2..6: wrong answers */
static int (*mem_find_page)(void *, int, const cib_match *, size_t, uint64_t, size_t, cib_row_fn,
                            void *);

struct kind_swap {
    cib_row_fn fn;
    void *cb;
};

static int swap_kind(void *data, const cib_row *row)
{
    struct kind_swap *k = data;
    cib_row r = *row;
    r.kind = CIB_KIND_MESSAGE;
    return k->fn(k->cb, &r);
}

static int odd_find_page(void *ud, int kind, const cib_match *m, size_t n, uint64_t after,
                         size_t limit, cib_row_fn fn, void *cb)
{
    cib_match other[2] = {m[0], {"status", "open", 4}};
    struct kind_swap k = {fn, cb};
    int rc;
    switch (page_mode) {
    case 2: /* more rows than asked for */
        return mem_find_page(ud, kind, m, n, after, limit + 5, fn, cb);
    case 3: /* rows that do not match */
        return mem_find_page(ud, kind, other, n, after, limit, fn, cb);
    case 4: /* the first row again, after the others */
        rc = mem_find_page(ud, kind, m, n, after, limit, fn, cb);
        return rc ? rc : mem_find_page(ud, kind, m, n, after, 1, fn, cb);
    case 5: /* rows of another kind */
        return mem_find_page(ud, kind, m, n, after, limit, swap_kind, &k);
    case 6:
        return -7;
    default:
        return mem_find_page(ud, kind, m, n, after, limit, fn, cb);
    }
}

static int open_paged_store(const cib_allocator *a, cib_store *out)
{
    int rc = cib_memstore_new(a, out);
    if (!rc) {
        mem_find_page = out->find_page;
        out->find_page = page_mode ? odd_find_page : NULL;
    }
    return rc;
}

/* R-CONV-5: the same views, pages and cursors without the store's
 * find_page (the library finds and sorts) and through a wrapper of it. */
static void test_views_with_and_without_find_page_R_CONV_5(void **state)
{
    for (page_mode = 0; page_mode < 2; page_mode++) {
        tenv_set_store(open_paged_store);
        test_views_R_CONV_5(state);
        test_cursor_pages_R_CONV_5(state);
        test_views_respect_access_R_ACCESS_3(state);
    }
    tenv_set_store(NULL);
}

/* A store whose find_page answers wrongly fails the view with
 * CIB_ESTORAGE, saying what it passed. */
static void test_view_checks_find_page_R_HOST_1(void **state)
{
    (void)state;
    static const struct {
        int mode;
        size_t cap;
        const char *needle;
    } cases[] = {{2, 1, "storage.find_page passed more rows than the limit"},
                 {3, 4, "storage.find_page passed a row that does not match"},
                 {4, 4, "storage.find_page passed a row whose key is not an id after"},
                 {5, 4, "storage.find_page passed a row of another kind"},
                 {6, 4, "storage.find_page returned -7"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        page_mode = cases[i].mode;
        tenv_set_store(open_paged_store);
        tenv *e = tenv_new();
        setup(e);
        cib_view_def q = CIB_VIEW_DEF_INIT;
        q.inbox = "support";
        q.status = CIB_STATUS_CLOSED;
        uint64_t page[4];
        size_t n = 9;
        expect_status(e, cib_view(e->ctx, &q, page, cases[i].cap, &n, NULL), CIB_ESTORAGE,
                      cases[i].needle);
        assert_int_equal(n, 0);
        tenv_free(e);
    }
    tenv_set_store(NULL);
    page_mode = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_views_R_CONV_5),
        cmocka_unit_test(test_views_respect_access_R_ACCESS_3),
        cmocka_unit_test(test_cursor_pages_R_CONV_5),
        cmocka_unit_test(test_view_bad_inputs),
        cmocka_unit_test(test_view_out_of_memory),
        cmocka_unit_test(test_conversation_and_messages_R_CONV_4),
        cmocka_unit_test(test_read_bad_users),
        cmocka_unit_test(test_views_with_and_without_find_page_R_CONV_5),
        cmocka_unit_test(test_view_checks_find_page_R_HOST_1),
    };
    return TENV_RUN(tests);
}
