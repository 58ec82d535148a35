/* test_limits.c - configurable caps (cib_options, cib_limit()), the heap
 * budget, and scratch buffers released after a call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

/* ---- set-up ---- */

static int send_ok(void *ud, const cib_outbound *m)
{
    (void)ud;
    (void)m;
    return CIB_OK;
}

static cib_sender sender;

/* An account with an agent, an inbox and a mail channel; replies go out. */
static void setup(tenv *e)
{
    cib_sender s = CIB_SENDER_INIT;
    s.email = s.chat = send_ok;
    sender = s;
    e->opts.sender = &sender;
    tenv_reopen(e);
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_inbox(e, "support", "Support");
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    add_inbox(e, "other", "Other");
    add_channel(e, "other-mail", "other", CIB_CHANNEL_EMAIL, "other@acme.test");
}

static tenv *env(void)
{
    tenv *e = tenv_new();
    setup(e);
    return e;
}

static int64_t limit_of(tenv *e, int which)
{
    int64_t v = -2;
    expect_status(e, cib_limit(e->ctx, which, -1, &v), CIB_OK, NULL);
    return v;
}

static void set_limit(tenv *e, int which, int64_t v)
{
    expect_status(e, cib_limit(e->ctx, which, v, NULL), CIB_OK, NULL);
}

static int try_ingest(tenv *e, const char *channel, const char *msg_id, const char *from,
                      const char *thread, cib_ingest_result *r)
{
    cib_inbound m = inbound_msg(channel, msg_id, from, thread);
    cib_ingest_result res = CIB_INGEST_RESULT_INIT;
    *r = res;
    return cib_ingest(e->ctx, &m, r);
}

static int add_contact(tenv *e, const char *id)
{
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = id;
    return cib_contact_add(e->ctx, &d);
}

/* Assert that the call was refused by a cap, named in the message, and
 * that nothing changed. */
#define expect_cap(e, before, rc, needle)                                                          \
    do {                                                                                           \
        expect_status((e), (rc), CIB_ELIMIT, (needle));                                            \
        expect_unchanged((e), (before));                                                           \
    } while (0)

/* ---- defaults and arguments ---- */

static void test_defaults(void **state)
{
    (void)state;
    tenv *e = env();
    assert_int_equal(limit_of(e, CIB_LIMIT_INBOXES), 100);
    assert_int_equal(limit_of(e, CIB_LIMIT_CONTACTS), 0);
    assert_int_equal(limit_of(e, CIB_LIMIT_OPEN_CONVERSATIONS), 0);
    assert_int_equal(limit_of(e, CIB_LIMIT_CONVERSATIONS), 0);
    assert_int_equal(limit_of(e, CIB_LIMIT_TEXT), 262144);
    assert_int_equal(limit_of(e, CIB_LIMIT_ATTACHMENTS), 100);
    assert_int_equal(limit_of(e, CIB_LIMIT_HEAP), 0);
    /* 256 KiB of text is accepted, one byte more is a cap. */
    char *big = malloc(262145);
    assert_non_null(big);
    memset(big, 'x', 262145);
    cib_inbound m = inbound_msg("mail", "m1", "carol@example.test", NULL);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    m.text = big;
    m.text_len = 262145;
    char *before = tenv_snapshot(e);
    expect_cap(e, before, cib_ingest(e->ctx, &m, &r), "max_text_len (262144 bytes)");
    m.text_len = 262144;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_OK, NULL);
    free(before);
    /* 100 attachments, not 101. */
    cib_attachment atts[101];
    for (size_t i = 0; i < 101; i++) {
        cib_attachment a = CIB_ATTACHMENT_INIT;
        a.kind = CIB_ATTACH_FILE;
        atts[i] = a;
    }
    m = inbound_msg("mail", "m2", "carol@example.test", NULL);
    m.attachments = atts;
    m.n_attachments = 101;
    before = tenv_snapshot(e);
    expect_cap(e, before, cib_ingest(e->ctx, &m, &r), "max_attachments (100)");
    m.n_attachments = 100;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_OK, NULL);
    free(before);
    free(big);
    /* No budget: nothing is counted. */
    uint64_t live = 1;
    expect_status(e, cib_memory_used(e->ctx, &live, NULL), CIB_EINVAL, "heap_budget");
    tenv_free(e);
}

static void test_arguments(void **state)
{
    (void)state;
    tenv *e = env();
    int64_t old = 7;
    assert_int_equal(cib_limit(NULL, CIB_LIMIT_CONTACTS, -1, &old), CIB_EINVAL);
    expect_status(e, cib_limit(e->ctx, 0, -1, &old), CIB_EINVAL, "'which' is 0");
    expect_status(e, cib_limit(e->ctx, 8, 5, &old), CIB_EINVAL, "'which' is 8");
    expect_status(e, cib_limit(e->ctx, CIB_LIMIT_TEXT, 16777217, &old), CIB_EINVAL,
                  "max_text_len is outside 1..16777216");
    expect_status(e, cib_limit(e->ctx, CIB_LIMIT_ATTACHMENTS, 101, &old), CIB_EINVAL,
                  "max_attachments is outside 1..100");
    expect_status(e, cib_limit(e->ctx, CIB_LIMIT_CONTACTS, 4294967296LL, &old), CIB_EINVAL,
                  "max_contacts");
    expect_status(e, cib_limit(e->ctx, CIB_LIMIT_HEAP, 1 << 20, &old), CIB_EINVAL,
                  "does not count its heap");
    assert_int_equal(old, 7); /* refused calls write nothing */
    expect_status(e, cib_limit(e->ctx, CIB_LIMIT_HEAP, 0, &old), CIB_OK, NULL);
    assert_int_equal(old, 0);
    /* Setting returns the old value; 0 is the default again. */
    expect_status(e, cib_limit(e->ctx, CIB_LIMIT_TEXT, 10, &old), CIB_OK, NULL);
    assert_int_equal(old, 262144);
    expect_status(e, cib_limit(e->ctx, CIB_LIMIT_TEXT, 0, &old), CIB_OK, NULL);
    assert_int_equal(old, 10);
    assert_int_equal(limit_of(e, CIB_LIMIT_TEXT), 262144);
    set_limit(e, CIB_LIMIT_INBOXES, 5);
    set_limit(e, CIB_LIMIT_INBOXES, 0);
    assert_int_equal(limit_of(e, CIB_LIMIT_INBOXES), 100);
    tenv_free(e);

    /* Options: out of range refused; an older, smaller struct keeps working. */
    cib_options o = CIB_OPTIONS_INIT;
    o.max_attachments = 101;
    char err[256] = "";
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    cib_ctx *ctx = NULL;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_EINVAL);
    assert_non_null(strstr(err, "max_attachments"));
    cib_options old_opts = CIB_OPTIONS_INIT;
    old_opts.size = offsetof(cib_options, max_contacts);
    assert_int_equal(cib_ctx_new(&old_opts, &ctx), CIB_OK);
    int64_t v = 0;
    assert_int_equal(cib_limit(ctx, CIB_LIMIT_ATTACHMENTS, -1, &v), CIB_OK);
    assert_int_equal(v, 100);
    assert_int_equal(cib_limit(ctx, CIB_LIMIT_CONTACTS, -1, &v), CIB_OK);
    assert_int_equal(v, 0);
    cib_ctx_free(ctx);
}

/* ---- contacts ---- */

static void test_contacts_cap(void **state)
{
    (void)state;
    tenv *e = env();
    e->opts.max_contacts = 3;
    tenv_reopen(e);
    assert_int_equal(limit_of(e, CIB_LIMIT_CONTACTS), 3);
    expect_status(e, add_contact(e, "k1"), CIB_OK, NULL);
    expect_status(e, add_contact(e, "k2"), CIB_OK, NULL); /* N-1 */
    cib_ingest_result r;
    expect_status(e, try_ingest(e, "mail", "m1", "carol@example.test", NULL, &r), CIB_OK, NULL);
    assert_true(r.contact_created); /* N */
    char *before = tenv_snapshot(e);
    expect_cap(e, before, add_contact(e, "k4"), "max_contacts (3)"); /* N+1 */
    expect_cap(e, before, try_ingest(e, "mail", "m2", "dave@example.test", NULL, &r),
               "the account has 3 contacts");
    /* A known sender still writes in. */
    expect_status(e, try_ingest(e, "mail", "m3", "carol@example.test", NULL, &r), CIB_OK, NULL);
    assert_false(r.contact_created);
    /* Room again: a contact removed, or the cap raised at run time. */
    expect_status(e, cib_contact_remove(e->ctx, "k1", CIB_NTS), CIB_OK, NULL);
    expect_status(e, add_contact(e, "k4"), CIB_OK, NULL);
    free(before);
    before = tenv_snapshot(e);
    expect_cap(e, before, add_contact(e, "k5"), "max_contacts (3)");
    int64_t old;
    expect_status(e, cib_limit(e->ctx, CIB_LIMIT_CONTACTS, 4, &old), CIB_OK, NULL);
    assert_int_equal(old, 3);
    expect_status(e, add_contact(e, "k5"), CIB_OK, NULL);
    set_limit(e, CIB_LIMIT_CONTACTS, 0); /* no cap */
    expect_status(e, add_contact(e, "k6"), CIB_OK, NULL);
    free(before);
    tenv_free(e);
}

/* ---- open conversations ---- */

static void test_open_conversations_cap(void **state)
{
    (void)state;
    tenv *e = env();
    e->opts.max_open_conversations = 3;
    tenv_reopen(e);
    cib_ingest_result r1, r2, r3, r;
    expect_status(e, try_ingest(e, "mail", "m1", "a@example.test", "t1", &r1), CIB_OK, NULL);
    expect_status(e, try_ingest(e, "mail", "m2", "b@example.test", "t2", &r2), CIB_OK, NULL);
    expect_status(e, try_ingest(e, "mail", "m3", "c@example.test", "t3", &r3), CIB_OK, NULL);
    char *before = tenv_snapshot(e);
    expect_cap(e, before, try_ingest(e, "mail", "m4", "d@example.test", "t4", &r),
               "max_open_conversations (3)");
    /* Joining an open conversation opens nothing. */
    expect_status(e, try_ingest(e, "mail", "m5", "a@example.test", "t1", &r), CIB_OK, NULL);
    assert_int_equal(r.conversation, r1.conversation);
    /* Closing makes room (N-1); then each way of reopening counts. */
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, r1.conversation), CIB_OK, NULL);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, r2.conversation), CIB_OK, NULL);
    expect_status(e, cib_reopen(e->ctx, "alice", CIB_NTS, r1.conversation), CIB_OK, NULL);
    free(before);
    before = tenv_snapshot(e); /* 2 open (r1, r3): room for one */
    expect_status(e, try_ingest(e, "mail", "m6", "d@example.test", "t4", &r), CIB_OK, NULL);
    free(before);
    before = tenv_snapshot(e);
    expect_cap(e, before, cib_reopen(e->ctx, "alice", CIB_NTS, r2.conversation),
               "max_open_conversations (3)");
    expect_cap(e, before,
               cib_reply(e->ctx, "alice", CIB_NTS, r2.conversation, "hi", CIB_NTS, NULL, 0, NULL),
               "max_open_conversations (3)");
    expect_cap(e, before, try_ingest(e, "mail", "m7", "b@example.test", "t2", &r),
               "max_open_conversations (3)");
    /* A comment does not reopen: no cap. */
    expect_status(e, cib_comment(e->ctx, "alice", CIB_NTS, r2.conversation, "note", CIB_NTS, NULL),
                  CIB_OK, NULL);
    /* Raised by one: a reply reopens. */
    set_limit(e, CIB_LIMIT_OPEN_CONVERSATIONS, 4);
    expect_status(
        e, cib_reply(e->ctx, "alice", CIB_NTS, r2.conversation, "hi", CIB_NTS, NULL, 0, NULL),
        CIB_OK, NULL);
    assert_int_equal(conv_info(e, r2.conversation).status, CIB_STATUS_OPEN);
    free(before);
    tenv_free(e);
}

/* ---- conversations ever stored ---- */

static void test_conversations_cap(void **state)
{
    (void)state;
    tenv *e = env();
    e->opts.max_conversations = 3;
    tenv_reopen(e);
    cib_ingest_result r1, r2, r;
    expect_status(e, try_ingest(e, "mail", "m1", "a@example.test", "t1", &r1), CIB_OK, NULL);
    expect_status(e, try_ingest(e, "other-mail", "m2", "b@example.test", NULL, &r2), CIB_OK,
                  NULL); /* N-1 */
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, r1.conversation), CIB_OK, NULL);
    expect_status(e, try_ingest(e, "mail", "m3", "c@example.test", NULL, &r), CIB_OK, NULL); /* N */
    char *before = tenv_snapshot(e);
    /* Closed ones count too. */
    expect_cap(e, before, try_ingest(e, "mail", "m4", "d@example.test", NULL, &r),
               "the account has 3 conversations, the most max_conversations (3)");
    /* Reopening creates nothing. */
    expect_status(e, try_ingest(e, "mail", "m5", "a@example.test", "t1", &r), CIB_OK, NULL);
    assert_true(r.reopened);
    /* The count survives a restart. */
    free(before);
    tenv_reopen(e);
    before = tenv_snapshot(e);
    expect_cap(e, before, try_ingest(e, "mail", "m4", "d@example.test", NULL, &r),
               "max_conversations (3)");
    /* Removing an inbox gives its conversations' room back. */
    expect_status(e, cib_inbox_remove(e->ctx, "other", CIB_NTS, "Other", CIB_NTS), CIB_OK, NULL);
    expect_status(e, try_ingest(e, "mail", "m4", "d@example.test", NULL, &r), CIB_OK, NULL);
    free(before);
    before = tenv_snapshot(e);
    expect_cap(e, before, try_ingest(e, "mail", "m6", "f@example.test", NULL, &r),
               "max_conversations (3)");
    free(before);
    tenv_free(e);

    /* Set at run time on a context that did not count: it counts then. */
    e = env();
    expect_status(e, try_ingest(e, "mail", "m1", "a@example.test", NULL, &r), CIB_OK, NULL);
    expect_status(e, try_ingest(e, "mail", "m2", "b@example.test", NULL, &r), CIB_OK, NULL);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, r.conversation), CIB_OK, NULL);
    e->fs.fail_at = e->fs.calls; /* the count's scan fails: nothing changes */
    expect_status(e, cib_limit(e->ctx, CIB_LIMIT_CONVERSATIONS, 2, NULL), CIB_ESTORAGE,
                  "counting the conversations");
    assert_int_equal(limit_of(e, CIB_LIMIT_CONVERSATIONS), 0);
    set_limit(e, CIB_LIMIT_CONVERSATIONS, 2);
    before = tenv_snapshot(e);
    expect_cap(e, before, try_ingest(e, "mail", "m3", "c@example.test", NULL, &r),
               "max_conversations (2)");
    set_limit(e, CIB_LIMIT_CONVERSATIONS, 3);
    expect_status(e, try_ingest(e, "mail", "m3", "c@example.test", NULL, &r), CIB_OK, NULL);
    free(before);
    tenv_free(e);
}

/* ---- text and attachments ---- */

static void test_text_cap(void **state)
{
    (void)state;
    tenv *e = env();
    e->opts.max_text_len = 10;
    tenv_reopen(e);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    cib_inbound m = inbound_msg("mail", "m1", "a@example.test", NULL);
    m.text = "123456789"; /* N-1 */
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_OK, NULL);
    uint64_t c = r.conversation;
    m.msg_id = "m2";
    m.text = "1234567890"; /* N */
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_OK, NULL);
    char *before = tenv_snapshot(e);
    m.msg_id = "m3";
    m.text = "12345678901"; /* N+1, NUL-terminated */
    expect_cap(e, before, cib_ingest(e->ctx, &m, &r), "'text' is longer than max_text_len (10");
    m.text_len = 11;
    expect_cap(e, before, cib_ingest(e->ctx, &m, &r), "max_text_len (10 bytes)");
    expect_cap(e, before,
               cib_reply(e->ctx, "alice", CIB_NTS, c, "12345678901", CIB_NTS, NULL, 0, NULL),
               "max_text_len (10 bytes)");
    expect_cap(e, before, cib_comment(e->ctx, "alice", CIB_NTS, c, "12345678901", 11, NULL),
               "max_text_len (10 bytes)");
    expect_status(e, cib_reply(e->ctx, "alice", CIB_NTS, c, "1234567890", 10, NULL, 0, NULL),
                  CIB_OK, NULL);
    expect_status(e, cib_comment(e->ctx, "alice", CIB_NTS, c, "123456789", CIB_NTS, NULL), CIB_OK,
                  NULL);
    free(before);
    tenv_free(e);
}

static void test_attachments_cap(void **state)
{
    (void)state;
    tenv *e = env();
    set_limit(e, CIB_LIMIT_ATTACHMENTS, 2);
    cib_attachment atts[3];
    for (size_t i = 0; i < 3; i++) {
        cib_attachment a = CIB_ATTACHMENT_INIT;
        a.kind = CIB_ATTACH_IMAGE;
        a.bytes = 1000 + i;
        atts[i] = a;
    }
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    cib_inbound m = inbound_msg("mail", "m1", "a@example.test", NULL);
    m.attachments = atts;
    m.n_attachments = 1;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_OK, NULL);
    m.msg_id = "m2";
    m.n_attachments = 2;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_OK, NULL);
    char *before = tenv_snapshot(e);
    m.msg_id = "m3";
    m.n_attachments = 3;
    expect_cap(e, before, cib_ingest(e->ctx, &m, &r),
               "'attachments' has 3 items, more than max_attachments (2)");
    free(before);
    tenv_free(e);
}

/* ---- batches ---- */

static void test_batch_caps(void **state)
{
    (void)state;
    tenv *e = env();
    e->opts.max_contacts = 2;
    e->opts.max_text_len = 8;
    tenv_reopen(e);
    cib_inbound msgs[5] = {
        inbound_msg("mail", "b1", "a@example.test", NULL),
        inbound_msg("mail", "b2", "b@example.test", NULL), /* the 2nd contact: N */
        inbound_msg("mail", "b3", "c@example.test", NULL), /* the 3rd: refused */
        inbound_msg("mail", "b4", "a@example.test", NULL), /* known: fine */
        inbound_msg("mail", "b5", "b@example.test", NULL), /* text too long */
    };
    msgs[4].text = "123456789";
    cib_ingest_result res[5];
    int st[5];
    for (int i = 0; i < 5; i++) {
        cib_ingest_result r = CIB_INGEST_RESULT_INIT;
        res[i] = r;
    }
    expect_status(e, cib_ingest_batch(e->ctx, msgs, 5, res, st), CIB_OK, NULL);
    assert_int_equal(st[0], CIB_OK);
    assert_int_equal(st[1], CIB_OK);
    assert_int_equal(st[2], CIB_ELIMIT);
    assert_int_equal(st[3], CIB_OK);
    assert_int_equal(st[4], CIB_ELIMIT);
    assert_true(res[3].contact_created == 0);
    /* Stored: three conversations, two contacts, and they survive a restart. */
    char *before = tenv_snapshot(e);
    tenv_reopen(e);
    expect_unchanged(e, before);
    const char *id;
    expect_status(e, cib_contact_find_email(e->ctx, "c@example.test", CIB_NTS, &id), CIB_ENOTFOUND,
                  NULL);
    cib_ingest_result r;
    expect_cap(e, before, try_ingest(e, "mail", "b3", "c@example.test", NULL, &r),
               "max_contacts (2)");
    free(before);
    tenv_free(e);
}

/* ---- an account over its caps ---- */

static void test_reload_over_caps(void **state)
{
    (void)state;
    tenv *e = env();
    cib_ingest_result r1, r2, r3, r;
    expect_status(e, try_ingest(e, "mail", "m1", "a@example.test", NULL, &r1), CIB_OK, NULL);
    expect_status(e, try_ingest(e, "mail", "m2", "b@example.test", NULL, &r2), CIB_OK, NULL);
    expect_status(e, try_ingest(e, "mail", "m3", "c@example.test", NULL, &r3), CIB_OK, NULL);
    char *before = tenv_snapshot(e);
    /* Reopened under lower caps: loaded whole, nothing dropped. */
    e->opts.max_contacts = 2;
    e->opts.max_open_conversations = 2;
    e->opts.max_conversations = 2;
    tenv_reopen(e);
    expect_unchanged(e, before);
    expect_cap(e, before, add_contact(e, "k1"), "the account has 3 contacts");
    expect_cap(e, before, try_ingest(e, "mail", "m4", "a@example.test", NULL, &r),
               "the account has 3 open conversations");
    /* It works: replies, closing. */
    expect_status(
        e, cib_reply(e->ctx, "alice", CIB_NTS, r1.conversation, "hi", CIB_NTS, NULL, 0, NULL),
        CIB_OK, NULL);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, r1.conversation), CIB_OK, NULL);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, r2.conversation), CIB_OK, NULL);
    /* Under the open cap now, still over the total. */
    free(before);
    before = tenv_snapshot(e);
    expect_cap(e, before, try_ingest(e, "mail", "m6", "a@example.test", NULL, &r),
               "the account has 3 conversations, the most max_conversations (2)");
    expect_status(e, cib_reopen(e->ctx, "alice", CIB_NTS, r1.conversation), CIB_OK, NULL);
    free(before);
    tenv_free(e);
}

/* ---- sweeps over the new paths ---- */

static void capped_setup(tenv *e)
{
    e->opts.max_contacts = 5;
    e->opts.max_open_conversations = 5;
    e->opts.max_conversations = 5;
    setup(e);
    /* With a thread: a context's first thread sizes its thread index, which
     * a failed call leaves sized (capacity, not state). */
    ingest_msg(e, "other-mail", "s1", "a@example.test", "ts");
}

static int op_ingest(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_inbound m = inbound_msg("mail", "x1", "new@example.test", "tx");
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    return cib_ingest(ctx, &m, &r);
}

static int op_contact(cib_ctx *ctx, void *arg)
{
    (void)arg;
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = "k1";
    return cib_contact_add(ctx, &d);
}

static int op_remove_inbox(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_inbox_remove(ctx, "other", CIB_NTS, "Other", CIB_NTS);
}

static void test_sweep_ingest(void **state)
{
    (void)state;
    sweep_op(capped_setup, op_ingest, NULL);
}

static void test_sweep_contact(void **state)
{
    (void)state;
    sweep_op(capped_setup, op_contact, NULL);
}

static void test_sweep_remove_inbox(void **state)
{
    (void)state;
    sweep_op(capped_setup, op_remove_inbox, NULL);
}

/* ---- the heap budget ---- */

static void budget(tenv *e, uint64_t bytes)
{
    set_limit(e, CIB_LIMIT_HEAP, (int64_t)bytes);
}

static uint64_t live_bytes(tenv *e)
{
    uint64_t live = 0;
    expect_status(e, cib_memory_used(e->ctx, &live, NULL), CIB_OK, NULL);
    return live;
}

/* One step of a program of calls. */
typedef int (*step_fn)(tenv *e, int i);

static int step_user(tenv *e, int i)
{
    char id[32];
    snprintf(id, sizeof id, "agent%d", i);
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = id;
    d.name = "An Agent";
    return cib_user_add(e->ctx, &d);
}

static int step_ingest(tenv *e, int i)
{
    char msg_id[32], from[64];
    snprintf(msg_id, sizeof msg_id, "p%d", i);
    snprintf(from, sizeof from, "visitor%d@example.test", i % 3);
    cib_inbound m = inbound_msg("mail", msg_id, from, i % 2 ? "thread" : NULL);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    return cib_ingest(e->ctx, &m, &r);
}

static int step_batch(tenv *e, int i)
{
    enum { N = 20 };
    cib_inbound msgs[N];
    cib_ingest_result res[N];
    int st[N];
    char ids[N][32], froms[N][64];
    for (int k = 0; k < N; k++) {
        snprintf(ids[k], sizeof ids[k], "b%d-%d", i, k);
        snprintf(froms[k], sizeof froms[k], "batch%d@example.test", k % 7);
        msgs[k] = inbound_msg("mail", ids[k], froms[k], NULL);
        cib_ingest_result r = CIB_INGEST_RESULT_INIT;
        res[k] = r;
    }
    return cib_ingest_batch(e->ctx, msgs, N, res, st);
}

static int step_reply(tenv *e, int i)
{
    (void)i;
    uint64_t ids[1];
    size_t n = 0;
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.inbox = "support";
    int rc = cib_view(e->ctx, &q, ids, 1, &n, NULL);
    if (rc || !n)
        return rc ? rc : CIB_ENOTFOUND;
    return cib_reply(e->ctx, "alice", CIB_NTS, ids[0], "On its way.", CIB_NTS, NULL, 0, NULL);
}

static int step_close_reopen(tenv *e, int i)
{
    (void)i;
    uint64_t ids[1];
    size_t n = 0;
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.inbox = "support";
    int rc = cib_view(e->ctx, &q, ids, 1, &n, NULL);
    if (!rc)
        rc = cib_close(e->ctx, "alice", CIB_NTS, ids[0]);
    if (!rc)
        rc = cib_reopen(e->ctx, "alice", CIB_NTS, ids[0]);
    return rc;
}

/*
 * Run each step under a budget of what the context holds plus d bytes, d
 * growing, until it succeeds. Each refusal must be CIB_ENOMEM naming the
 * budget, change nothing, leak nothing; the context stays usable (the next
 * try, with more room, succeeds at last).
 */
static void run_budgeted(tenv *e, step_fn fn, int i, long *refusals)
{
    for (uint64_t d = 0;; d += 96) {
        assert_true(d < 4u << 20);
        budget(e, 0);
        char *before = tenv_snapshot(e);
        long blocks = e->fa.live;
        uint64_t live = live_bytes(e);
        budget(e, live + d);
        int rc = fn(e, i);
        if (rc != CIB_OK && (rc != CIB_ENOMEM || !strstr(cib_errmsg(e->ctx), "heap budget")))
            fail_msg("budget +%llu: want nomem naming the heap budget, got %s (%s)",
                     (unsigned long long)d, cib_status_name(rc), cib_errmsg(e->ctx));
        budget(e, 0);
        if (rc == CIB_OK) {
            free(before);
            return;
        }
        assert_int_equal(e->fa.live, blocks);
        /* A failed batch is undone from its log; its tables may keep the
         * room they grew for the messages it tried (a later message uses
         * it), and nothing else. */
        uint64_t now_live = live_bytes(e);
        if (fn == step_batch)
            assert_in_range(now_live - live, 0, 4096);
        else
            assert_int_equal(now_live, live);
        expect_unchanged(e, before);
        free(before);
        ++*refusals;
    }
}

static void test_heap_budget_program(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    e->opts.heap_budget = UINT64_MAX; /* count, no budget yet */
    setup(e);
    ingest_msg(e, "other-mail", "s1", "a@example.test", "ts"); /* as capped_setup */
    assert_int_equal(limit_of(e, CIB_LIMIT_HEAP), 0);
    static const step_fn steps[] = {step_user,  step_ingest, step_ingest,       step_ingest,
                                    step_batch, step_reply,  step_close_reopen, step_ingest};
    long refusals = 0;
    for (int i = 0; i < (int)(sizeof steps / sizeof steps[0]); i++)
        run_budgeted(e, steps[i], i, &refusals);
    assert_true(refusals > 20); /* the budget bit at many places */
    /* What was done survives a restart exactly. */
    char *done = tenv_snapshot(e);
    tenv_reopen(e);
    expect_unchanged(e, done);
    free(done);
    tenv_free(e);
}

static void test_heap_budget_limits(void **state)
{
    (void)state;
    /* Too small to open the account: refused, and said so. */
    cib_options o = CIB_OPTIONS_INIT;
    char err[256] = "";
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    o.heap_budget = 1000;
    cib_ctx *ctx = NULL;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_ENOMEM);
    assert_non_null(strstr(err, "heap budget of 1000 bytes"));
    o.heap_budget = 10000;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_ENOMEM);
    if (!strstr(err, "heap budget of 10000 bytes is reached"))
        fail_msg("%s", err);
    /* The private store counts: a 256 KiB message does not fit 128 KiB. */
    o.heap_budget = UINT64_MAX;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    cib_inbound warm = CIB_INBOUND_INIT; /* sizes the indexes (capacity stays) */
    warm.channel = "default-fallback";
    warm.msg_id = "warm";
    warm.from = "a@example.test";
    warm.text = "hi";
    cib_ingest_result wr = CIB_INGEST_RESULT_INIT;
    assert_int_equal(cib_ingest(ctx, &warm, &wr), CIB_OK);
    uint64_t live0 = 0, peak = 0;
    assert_int_equal(cib_memory_used(ctx, &live0, &peak), CIB_OK);
    assert_true(live0 > 5000 && peak >= live0);
    char *big = malloc(262144);
    assert_non_null(big);
    memset(big, 'y', 262144);
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = "default-fallback";
    m.msg_id = "big";
    m.from = "a@example.test";
    m.text = big;
    m.text_len = 262144;
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    assert_int_equal(cib_limit(ctx, CIB_LIMIT_HEAP, (int64_t)(live0 + 131072), NULL), CIB_OK);
    assert_int_equal(cib_ingest(ctx, &m, &r), CIB_ENOMEM);
    assert_non_null(strstr(cib_errmsg(ctx), "heap budget"));
    uint64_t live = 0;
    assert_int_equal(cib_memory_used(ctx, &live, NULL), CIB_OK);
    assert_int_equal(live, live0);
    /* Lowering the budget below what is live refuses growth, not reads. */
    assert_int_equal(cib_limit(ctx, CIB_LIMIT_HEAP, 1, NULL), CIB_OK);
    cib_inbox_info ib = CIB_INBOX_INFO_INIT;
    assert_int_equal(cib_inbox_get(ctx, "default", CIB_NTS, &ib), CIB_OK);
    assert_int_equal(cib_limit(ctx, CIB_LIMIT_HEAP, 0, NULL), CIB_OK);
    assert_int_equal(cib_ingest(ctx, &m, &r), CIB_OK);
    assert_int_equal(cib_memory_used(ctx, &live, NULL), CIB_OK);
    assert_true(live >= live0 + 262144); /* the row, in the counted store */
    free(big);
    cib_ctx_free(ctx);
}

/* A batch refused by the budget keeps nothing and leaves the context
 * whole: its reload is not held to the budget. */
static void test_heap_budget_batch(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    e->opts.heap_budget = UINT64_MAX;
    setup(e);
    char *before = tenv_snapshot(e);
    budget(e, live_bytes(e) + 2048);
    expect_status(e, step_batch(e, 1), CIB_ENOMEM, "heap budget");
    budget(e, 0);
    expect_unchanged(e, before);
    expect_status(e, step_batch(e, 1), CIB_OK, NULL);
    free(before);
    tenv_free(e);
}

/* ---- scratch buffers ---- */

/* Counts live bytes (a size header per block). */
typedef struct bytecount {
    long long live;
} bytecount;

static void *bc_malloc(void *ud, size_t n)
{
    size_t *p = malloc(n + 16);
    if (!p)
        return NULL;
    *p = n;
    ((bytecount *)ud)->live += (long long)n;
    return (char *)p + 16;
}

static void bc_free(void *ud, void *ptr)
{
    if (!ptr)
        return;
    size_t *p = (size_t *)(void *)((char *)ptr - 16);
    ((bytecount *)ud)->live -= (long long)*p;
    free(p);
}

static void *bc_realloc(void *ud, void *ptr, size_t n)
{
    if (!ptr)
        return bc_malloc(ud, n);
    size_t *p = (size_t *)(void *)((char *)ptr - 16);
    size_t old = *p;
    size_t *q = realloc(p, n + 16);
    if (!q)
        return NULL;
    *q = n;
    ((bytecount *)ud)->live += (long long)n - (long long)old;
    return (char *)q + 16;
}

static void test_scratch_released(void **state)
{
    (void)state;
    bytecount cs = {0}, cc = {0};
    cib_allocator sa = {CIB_ALLOCATOR_VERSION, &cs, bc_malloc, bc_realloc, bc_free};
    cib_allocator ca = {CIB_ALLOCATOR_VERSION, &cc, bc_malloc, bc_realloc, bc_free};
    cib_store st;
    assert_int_equal(cib_memstore_new(&sa, &st), CIB_OK);
    cib_options o = CIB_OPTIONS_INIT;
    o.allocator = &ca;
    o.store = &st;
    cib_ctx *ctx;
    assert_int_equal(cib_ctx_new(&o, &ctx), CIB_OK);
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = "default-fallback";
    m.msg_id = "warm";
    m.from = "a@example.test";
    m.thread = "t";
    m.text = "warm up";
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    assert_int_equal(cib_ingest(ctx, &m, &r), CIB_OK);
    long long ctx0 = cc.live, store0 = cs.live;
    char *big = malloc(262144);
    assert_non_null(big);
    memset(big, 'z', 262144);
    m.msg_id = "big";
    m.text = big;
    m.text_len = 262144;
    assert_int_equal(cib_ingest(ctx, &m, &r), CIB_OK);
    /* The context keeps no copy of the text; the store keeps the row, and
     * not a 512 KiB packing buffer besides. */
    assert_true(cc.live - ctx0 < 4096);
    assert_true(cs.live - store0 >= 262144);
    assert_true(cs.live - store0 < 262144 + 16384);
    free(big);
    cib_ctx_free(ctx);
    st.close(st.user_data);
    assert_int_equal(cs.live, 0);
    assert_int_equal(cc.live, 0);
}

/* One context on its own counted store. */
typedef struct world {
    bytecount cs, cc;
    cib_allocator sa, ca;
    cib_store st;
    cib_ctx *ctx;
} world;

static void world_open(world *w)
{
    memset(w, 0, sizeof *w);
    cib_allocator sa = {CIB_ALLOCATOR_VERSION, &w->cs, bc_malloc, bc_realloc, bc_free};
    cib_allocator ca = {CIB_ALLOCATOR_VERSION, &w->cc, bc_malloc, bc_realloc, bc_free};
    w->sa = sa;
    w->ca = ca;
    assert_int_equal(cib_memstore_new(&w->sa, &w->st), CIB_OK);
    cib_options o = CIB_OPTIONS_INIT;
    o.allocator = &w->ca;
    o.store = &w->st;
    o.hash_seed = 42;
    assert_int_equal(cib_ctx_new(&o, &w->ctx), CIB_OK);
}

static void world_close(world *w)
{
    cib_ctx_free(w->ctx);
    w->st.close(w->st.user_data);
    assert_int_equal(w->cs.live, 0);
    assert_int_equal(w->cc.live, 0);
}

/* A batch leaves no journal or event array behind: afterwards the store and
 * the context hold what the same messages one by one leave. */
static void test_batch_scratch_released(void **state)
{
    (void)state;
    enum { N = 2000 };
    cib_inbound *msgs = calloc(N, sizeof *msgs);
    cib_ingest_result *res = calloc(N, sizeof *res);
    int *sts = calloc(N, sizeof *sts);
    char(*ids)[16] = calloc(N, sizeof *ids);
    assert_true(msgs && res && sts && ids);
    for (int i = 0; i < N; i++) {
        snprintf(ids[i], sizeof ids[i], "n%d", i);
        cib_inbound x = CIB_INBOUND_INIT;
        x.channel = "default-fallback";
        x.msg_id = ids[i];
        x.from = "a@example.test";
        x.thread = "t";
        x.text = "more";
        msgs[i] = x;
        cib_ingest_result y = CIB_INGEST_RESULT_INIT;
        res[i] = y;
    }
    world one, batch;
    world_open(&one);
    world_open(&batch);
    for (int i = 0; i < N; i++)
        assert_int_equal(cib_ingest(one.ctx, &msgs[i], &res[i]), CIB_OK);
    assert_int_equal(cib_ingest_batch(batch.ctx, msgs, N, res, sts), CIB_OK);
    /* (one by one keeps a 16-record journal; the batch released its own) */
    assert_true(batch.cs.live <= one.cs.live);
    assert_true(batch.cc.live - one.cc.live < 1024);
    free(msgs);
    free(res);
    free(sts);
    free(ids);
    world_close(&one);
    world_close(&batch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_contacts_cap),
        cmocka_unit_test(test_open_conversations_cap),
        cmocka_unit_test(test_conversations_cap),
        cmocka_unit_test(test_text_cap),
        cmocka_unit_test(test_attachments_cap),
        cmocka_unit_test(test_batch_caps),
        cmocka_unit_test(test_reload_over_caps),
        cmocka_unit_test(test_sweep_ingest),
        cmocka_unit_test(test_sweep_contact),
        cmocka_unit_test(test_sweep_remove_inbox),
        cmocka_unit_test(test_heap_budget_program),
        cmocka_unit_test(test_heap_budget_limits),
        cmocka_unit_test(test_heap_budget_batch),
        cmocka_unit_test(test_scratch_released),
        cmocka_unit_test(test_batch_scratch_released),
    };
    return TENV_RUN(tests);
}
