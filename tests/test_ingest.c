/* test_ingest.c - inbound messages: contacts, threads, duplicates, disabled
 * channels, forwarding, custom channels, default properties, events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

static cib_ingest_result ingest_ok(tenv *e, const cib_inbound *m)
{
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    expect_status(e, cib_ingest(e->ctx, m, &r), CIB_OK, NULL);
    return r;
}

static cib_ingest_result in(tenv *e, const char *channel, const char *msg_id, const char *from,
                            const char *thread)
{
    cib_inbound m = inbound_msg(channel, msg_id, from, thread);
    return ingest_ok(e, &m);
}

static void setup(tenv *e)
{
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_inbox(e, "support", "Support");
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    add_channel(e, "mail2", "support", CIB_CHANNEL_EMAIL, "help2@acme.test");
    add_channel(e, "chat", "support", CIB_CHANNEL_CHAT, NULL);
    add_channel(e, "fb", "support", CIB_CHANNEL_MESSENGER, "page-1");
    add_channel(e, "fb2", "support", CIB_CHANNEL_MESSENGER, "page-2");
}

static int conv_status(tenv *e, uint64_t id)
{
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    expect_status(e, cib_conversation_get(e->ctx, NULL, 0, id, &ci), CIB_OK, NULL);
    return ci.status;
}

static uint32_t conv_messages(tenv *e, uint64_t id)
{
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    expect_status(e, cib_conversation_get(e->ctx, NULL, 0, id, &ci), CIB_OK, NULL);
    return ci.n_messages;
}

/* R-CONV-1: an unknown address creates a contact; a known one (email in any
 * case) is reused. R-CONV-2: without a thread key, a new conversation. */
static void test_contacts_R_CONV_1_R_CONV_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ingest_result a = in(e, "mail", "m1", "Carol@Example.test", NULL);
    assert_int_equal(a.duplicate, 0);
    assert_int_equal(a.created, 1);
    assert_int_equal(a.contact_created, 1);
    assert_true(strncmp(a.contact, "cib:c", 5) == 0);
    assert_null(a.assignee);
    assert_int_equal(a.reason, CIB_REASON_NONE);
    assert_true(a.conversation > 0 && a.message > 0 && a.conversation != a.message);
    char carol[32];
    snprintf(carol, sizeof carol, "%s", a.contact);
    cib_contact_info ci = CIB_CONTACT_INFO_INIT;
    expect_status(e, cib_contact_get(e->ctx, carol, CIB_NTS, &ci), CIB_OK, NULL);
    assert_string_equal(ci.email, "carol@example.test");
    assert_int_equal(ci.created_at, TENV_EPOCH_MS);
    cib_ingest_result b = in(e, "mail2", "m2", "CAROL@EXAMPLE.TEST", NULL);
    assert_int_equal(b.contact_created, 0);
    assert_string_equal(b.contact, carol);
    assert_int_equal(b.created, 1); /* no thread key: a new conversation */
    assert_true(b.conversation > a.conversation);
    /* A contact the host created is reused by its email. */
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    d.id = "dave";
    d.email = "dave@example.test";
    expect_status(e, cib_contact_add(e->ctx, &d), CIB_OK, NULL);
    cib_ingest_result c = in(e, "mail", "m3", "Dave@Example.TEST", NULL);
    assert_int_equal(c.contact_created, 0);
    assert_string_equal(c.contact, "dave");
    /* Messenger ids are scoped to their page: two pages, two contacts. */
    cib_ingest_result f1 = in(e, "fb", "x1", "psid-9", "psid-9");
    cib_ingest_result f2 = in(e, "fb2", "x1", "psid-9", "psid-9");
    assert_int_equal(f1.contact_created, 1);
    assert_int_equal(f2.contact_created, 1);
    assert_string_not_equal(f1.contact, f2.contact);
    size_t n = 0;
    const char *addr = NULL;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_CONTACT_ADDRESSES, f1.contact, CIB_NTS, &n),
                  CIB_OK, NULL);
    assert_int_equal(n, 1);
    expect_status(e,
                  cib_list_item(e->ctx, CIB_LIST_CONTACT_ADDRESSES, f1.contact, CIB_NTS, 0, &addr),
                  CIB_OK, NULL);
    assert_string_equal(addr, "messenger\nfb\npsid-9");
    tenv_free(e);
}

/* Chat visitors are known by their key, or by their email when they give one. */
static void test_chat_senders_R_CONV_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ingest_result v1 = in(e, "chat", "c1", "visitor-77", "session-1");
    cib_ingest_result v2 = in(e, "chat", "c2", "visitor-77", "session-2");
    assert_int_equal(v1.contact_created, 1);
    assert_int_equal(v2.contact_created, 0);
    assert_string_equal(v1.contact, v2.contact);
    cib_ingest_result m = in(e, "mail", "m1", "eve@example.test", NULL);
    cib_ingest_result c = in(e, "chat", "c3", "Eve@example.test", "session-3");
    assert_int_equal(c.contact_created, 0);
    assert_string_equal(c.contact, m.contact);
    tenv_free(e);
}

/* R-CONV-2: the same thread key joins; a closed conversation reopens; keys
 * belong to their channel. */
static void test_threads_R_CONV_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ingest_result a = in(e, "mail", "m1", "carol@example.test", "<t1@mail>");
    cib_ingest_result b = in(e, "mail", "m2", "carol@example.test", "<t1@mail>");
    assert_int_equal(b.created, 0);
    assert_int_equal(b.reopened, 0);
    assert_true(b.conversation == a.conversation);
    assert_int_equal(conv_messages(e, a.conversation), 2);
    /* Another channel's thread with the same key is another conversation. */
    cib_ingest_result c = in(e, "mail2", "m3", "carol@example.test", "<t1@mail>");
    assert_int_equal(c.created, 1);
    assert_true(c.conversation != a.conversation);
    /* Closed, then the contact writes again on the thread: reopened. */
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, a.conversation), CIB_OK, NULL);
    assert_int_equal(conv_status(e, a.conversation), CIB_STATUS_CLOSED);
    e->now += 60000;
    cib_ingest_result d = in(e, "mail", "m4", "carol@example.test", "<t1@mail>");
    assert_int_equal(d.created, 0);
    assert_int_equal(d.reopened, 1);
    assert_true(d.conversation == a.conversation);
    assert_int_equal(conv_status(e, a.conversation), CIB_STATUS_OPEN);
    assert_int_equal(conv_messages(e, a.conversation), 3);
    /* ... also after a restart, and closed again. */
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, a.conversation), CIB_OK, NULL);
    tenv_reopen(e);
    cib_ingest_result f = in(e, "mail", "m5", "carol@example.test", "<t1@mail>");
    assert_int_equal(f.reopened, 1);
    assert_true(f.conversation == a.conversation);
    cib_ingest_result g = in(e, "mail", "m6", "carol@example.test", "<t1@mail>");
    assert_int_equal(g.created + g.reopened, 0);
    tenv_free(e);
}

/* R-CONV-3: the same message id on a channel is accepted once. */
static void test_duplicates_R_CONV_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ingest_result a = in(e, "mail", "m1", "carol@example.test", NULL);
    char *before = tenv_snapshot(e);
    cib_ingest_result b = in(e, "mail", "m1", "carol@example.test", NULL);
    assert_int_equal(b.duplicate, 1);
    assert_true(b.conversation == a.conversation);
    assert_true(b.message == a.message);
    assert_string_equal(b.contact, a.contact);
    /* It describes the first delivery: that one created both. */
    assert_int_equal(b.created, 1);
    assert_int_equal(b.contact_created, 1);
    expect_unchanged(e, before);
    /* The key is the id, whatever the rest of the message says. */
    cib_ingest_result c = in(e, "mail", "m1", "mallory@example.test", "other");
    assert_int_equal(c.duplicate, 1);
    expect_unchanged(e, before);
    /* The same id on another channel is another message. */
    cib_ingest_result d = in(e, "mail2", "m1", "carol@example.test", NULL);
    assert_int_equal(d.duplicate, 0);
    /* A follow-up on the thread, delivered twice: neither created. */
    in(e, "mail", "m2", "carol@example.test", "t9");
    cib_ingest_result j = in(e, "mail", "m3", "carol@example.test", "t9");
    cib_ingest_result j2 = in(e, "mail", "m3", "carol@example.test", "t9");
    assert_int_equal(j2.duplicate, 1);
    assert_true(j2.conversation == j.conversation);
    assert_int_equal(j2.created, 0);
    assert_int_equal(j2.contact_created, 0);
    free(before);
    /* Remembered across a restart. */
    tenv_reopen(e);
    cib_ingest_result f = in(e, "mail", "m1", "carol@example.test", NULL);
    assert_int_equal(f.duplicate, 1);
    assert_true(f.message == a.message);
    /* Its conversation closed: read back from the store. */
    add_user(e, "zed", "zed@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    expect_status(e, cib_close(e->ctx, "zed", CIB_NTS, a.conversation), CIB_OK, NULL);
    cib_ingest_result g = in(e, "mail", "m1", "carol@example.test", NULL);
    assert_int_equal(g.duplicate, 1);
    assert_int_equal(g.created, 1);
    assert_int_equal(g.contact_created, 1);
    assert_string_equal(g.contact, f.contact);
    tenv_free(e);
}

/* R-CONV-3: a delivery that failed left nothing, so the retry is new. */
static void test_duplicate_after_failed_attempt_R_CONV_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    char *before = tenv_snapshot(e);
    cib_inbound m = inbound_msg("mail", "m1", "carol@example.test", "t");
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    e->fs.fail_at = e->fs.calls + 3; /* a storage call inside the write */
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_ESTORAGE, "storage.");
    expect_unchanged(e, before);
    cib_ingest_result ok = ingest_ok(e, &m);
    assert_int_equal(ok.duplicate, 0);
    assert_int_equal(ok.created, 1);
    assert_int_equal(ok.contact_created, 1);
    assert_int_equal(in(e, "mail", "m1", "carol@example.test", "t").duplicate, 1);
    free(before);
    tenv_free(e);
}

static size_t count_rows(tenv *e, const char *prefix)
{
    char *rows = tenv_store_dump(e);
    size_t n = 0;
    for (char *p = rows; (p = strstr(p, prefix)); p++)
        if (p == rows || p[-1] == '\n')
            n++;
    free(rows);
    return n;
}

/* R-CONV-3: with no window (the default) an id is a duplicate forever: past
 * the 7 days of the old default, and a year later after a restart. */
static void test_dedup_forever_R_CONV_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ingest_result a = in(e, "mail", "old-0", "carol@example.test", NULL);
    e->now += 7LL * 24 * 3600 * 1000 + 1;
    in(e, "mail", "new-0", "carol@example.test", NULL); /* traffic goes on */
    cib_ingest_result b = in(e, "mail", "old-0", "carol@example.test", NULL);
    assert_int_equal(b.duplicate, 1);
    assert_true(b.conversation == a.conversation);
    e->now += 358LL * 24 * 3600 * 1000;
    tenv_reopen(e);
    in(e, "mail", "new-1", "carol@example.test", NULL);
    assert_int_equal(in(e, "mail", "old-0", "carol@example.test", NULL).duplicate, 1);
    assert_int_equal(count_rows(e, "dedup "), 3);
    tenv_free(e);
}

/* R-CONV-3: with dedup_window_ms an id is a duplicate within the window and
 * accepted again after it; its row is replaced, and rows are not deleted for
 * age. */
static void test_dedup_window_R_CONV_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    e->opts.dedup_window_ms = 60000;
    tenv_reopen(e);
    setup(e);
    char id[16];
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof id, "old-%d", i);
        in(e, "mail", id, "carol@example.test", NULL);
    }
    assert_int_equal(count_rows(e, "dedup "), 20);
    e->now += 59999; /* inside the window */
    assert_int_equal(in(e, "mail", "old-0", "carol@example.test", NULL).duplicate, 1);
    e->now += 1; /* the window has passed */
    in(e, "mail", "new-1", "carol@example.test", NULL);
    assert_int_equal(count_rows(e, "dedup "), 21);
    /* An expired id is a new message again, in the same row. */
    cib_ingest_result again = in(e, "mail", "old-5", "carol@example.test", NULL);
    assert_int_equal(again.duplicate, 0);
    assert_int_equal(again.created, 1);
    assert_int_equal(count_rows(e, "dedup "), 21);
    /* And a duplicate for a window from now, also after a restart. */
    tenv_reopen(e);
    e->now += 59999;
    assert_int_equal(in(e, "mail", "old-5", "carol@example.test", NULL).duplicate, 1);
    assert_int_equal(in(e, "mail", "old-6", "carol@example.test", NULL).duplicate, 0);
    tenv_free(e);
}

/* R-CHAN-3: a disabled channel shows and logs nothing of an inbound message. */
static void test_disabled_channel_R_CHAN_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    expect_status(e, cib_channel_set_status(e->ctx, "mail", CIB_NTS, CIB_CHANNEL_DISABLED), CIB_OK,
                  NULL);
    char *before = tenv_snapshot(e);
    cib_inbound m = inbound_msg("mail", "m1", "carol@example.test", "t");
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_EDISABLED, "channel 'mail' is disabled");
    expect_unchanged(e, before); /* no contact, no conversation, no key */
    const char *id = NULL;
    expect_status(e, cib_contact_find_email(e->ctx, "carol@example.test", CIB_NTS, &id),
                  CIB_ENOTFOUND, NULL);
    free(before);
    expect_status(e, cib_channel_set_status(e->ctx, "mail", CIB_NTS, CIB_CHANNEL_ENABLED), CIB_OK,
                  NULL);
    cib_ingest_result ok = ingest_ok(e, &m);
    assert_int_equal(ok.duplicate, 0);
    assert_int_equal(ok.created, 1);
    tenv_free(e);
}

struct first_msg {
    char forwarded_by[64];
    size_t n_cc, n_attachments;
    char contact[64];
    int kind;
};

static int take_first(void *ud, const cib_message_info *m)
{
    struct first_msg *f = ud;
    snprintf(f->forwarded_by, sizeof f->forwarded_by, "%s", m->forwarded_by ? m->forwarded_by : "");
    snprintf(f->contact, sizeof f->contact, "%s", m->contact ? m->contact : "");
    f->n_cc = m->n_cc;
    f->n_attachments = m->n_attachments;
    f->kind = m->kind;
    return 1;
}

/* R-CHAN-6: forwarded email is logged against the original sender unless
 * the channel says otherwise; the original CC addresses are kept. */
static void test_forwarded_email_R_CHAN_6(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "fwd";
    d.inbox = "support";
    d.type = CIB_CHANNEL_EMAIL;
    d.address = "fwd@acme.test";
    d.log_forward_to_original = 0;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    const char *cc[] = {"cc1@example.test", "cc2@example.test"};
    cib_inbound m = inbound_msg("mail", "m1", "customer@example.test", NULL);
    m.forwarded_by = "Boss@Acme-Partner.test";
    m.cc = cc;
    m.n_cc = 2;
    cib_ingest_result a = ingest_ok(e, &m);
    const char *customer = NULL, *boss = NULL;
    expect_status(e, cib_contact_find_email(e->ctx, "customer@example.test", CIB_NTS, &customer),
                  CIB_OK, NULL);
    assert_string_equal(a.contact, customer);
    expect_status(e, cib_contact_find_email(e->ctx, "boss@acme-partner.test", CIB_NTS, &boss),
                  CIB_ENOTFOUND, NULL);
    struct first_msg f;
    expect_status(e, cib_conversation_messages(e->ctx, NULL, 0, a.conversation, take_first, &f),
                  CIB_OK, NULL);
    assert_string_equal(f.forwarded_by, "Boss@Acme-Partner.test");
    assert_int_equal(f.n_cc, 2);
    assert_string_equal(f.contact, customer);
    /* Switched off: the forwarder is the contact. */
    m.channel = "fwd";
    m.msg_id = "m2";
    cib_ingest_result b = ingest_ok(e, &m);
    expect_status(e, cib_contact_find_email(e->ctx, "boss@acme-partner.test", CIB_NTS, &boss),
                  CIB_OK, NULL);
    assert_string_equal(b.contact, boss);
    tenv_free(e);
}

/* R-CHAN-9: a custom channel opens a conversation per message or threads by
 * key; inbound messages carry attachments of the known kinds. */
static void test_custom_channels_R_CHAN_9(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "app-new";
    d.inbox = "support";
    d.type = CIB_CHANNEL_CUSTOM;
    d.address = "acct-1";
    d.threading = CIB_THREADING_NEW;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    d.id = "app-key";
    d.address = "acct-2";
    d.threading = CIB_THREADING_KEY;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    cib_ingest_result a1 = in(e, "app-new", "1", "u-1", "thread-9");
    cib_ingest_result a2 = in(e, "app-new", "2", "u-1", "thread-9");
    assert_int_equal(a2.created, 1);
    assert_true(a1.conversation != a2.conversation);
    cib_ingest_result b1 = in(e, "app-key", "1", "u-1", "thread-9");
    cib_ingest_result b2 = in(e, "app-key", "2", "u-1", "thread-9");
    assert_int_equal(b2.created, 0);
    assert_true(b1.conversation == b2.conversation);
    /* Custom sender ids are scoped to the channel. */
    assert_string_not_equal(a1.contact, b1.contact);
    cib_attachment atts[6];
    for (int k = 0; k < 6; k++) {
        cib_attachment a = CIB_ATTACHMENT_INIT;
        a.kind = CIB_ATTACH_AUDIO + k;
        a.name = k == CIB_ATTACH_STICKER - 1 ? NULL : "file.bin";
        a.bytes = 1000u * (unsigned)k;
        atts[k] = a;
    }
    cib_inbound m = inbound_msg("app-key", "3", "u-2", NULL);
    m.attachments = atts;
    m.n_attachments = 6;
    m.text = NULL; /* attachments only */
    cib_ingest_result r = ingest_ok(e, &m);
    struct first_msg f;
    expect_status(e, cib_conversation_messages(e->ctx, NULL, 0, r.conversation, take_first, &f),
                  CIB_OK, NULL);
    assert_int_equal(f.n_attachments, 6);
    char *rows = tenv_store_dump(e);
    assert_non_null(strstr(rows, "attachments=[\"audio:0:file.bin\",\"voice:1000:file.bin\","
                                 "\"sticker:2000:\",\"image:3000:file.bin\""));
    free(rows);
    atts[2].kind = 7;
    m.msg_id = "4";
    cib_ingest_result bad = CIB_INGEST_RESULT_INIT;
    expect_status(e, cib_ingest(e->ctx, &m, &bad), CIB_EINVAL, "'attachments[2]' has kind 7");
    tenv_free(e);
}

struct props {
    char text[256];
};

static int collect_prop(void *ud, const char *key, const char *value)
{
    struct props *p = ud;
    size_t n = strlen(p->text);
    snprintf(p->text + n, sizeof p->text - n, "%s=%s;", key, value);
    return 0;
}

static void props_of(tenv *e, uint64_t conv, const char *want)
{
    struct props p = {""};
    expect_status(e, cib_conversation_properties(e->ctx, NULL, 0, conv, collect_prop, &p), CIB_OK,
                  NULL);
    assert_string_equal(p.text, want);
}

/* R-CHAN-10: new conversations get the channel's default properties. */
static void test_default_properties_R_CHAN_10(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    const char *keys[] = {"priority", "source"}, *values[] = {"high", "web form"};
    const char *stages[] = {"new"};
    cib_pipeline_def p = CIB_PIPELINE_DEF_INIT;
    p.id = "forms";
    p.stages = stages;
    p.n_stages = 1;
    expect_status(e, cib_pipeline_add(e->ctx, &p), CIB_OK, NULL);
    cib_ticket_def t = CIB_TICKET_DEF_INIT;
    t.automatic = 1;
    t.pipeline = "forms";
    t.stage = "new";
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "web";
    d.inbox = "support";
    d.type = CIB_CHANNEL_FORM;
    d.tickets = &t;
    d.property_keys = keys;
    d.property_values = values;
    d.n_properties = 2;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    cib_ingest_result a = in(e, "web", "f1", "carol@example.test", NULL);
    props_of(e, a.conversation, "priority=high;source=web form;");
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    expect_status(e, cib_conversation_get(e->ctx, NULL, 0, a.conversation, &ci), CIB_OK, NULL);
    assert_int_equal(ci.n_properties, 2);
    /* The channel's defaults change; earlier conversations keep theirs. */
    values[0] = "low";
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
    cib_ingest_result b = in(e, "web", "f2", "carol@example.test", NULL);
    props_of(e, b.conversation, "priority=low;source=web form;");
    props_of(e, a.conversation, "priority=high;source=web form;");
    /* Also once closed (read from the store) and after a restart. */
    add_user(e, "agent", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    expect_status(e, cib_close(e->ctx, "agent", CIB_NTS, a.conversation), CIB_OK, NULL);
    tenv_reopen(e);
    props_of(e, a.conversation, "priority=high;source=web form;");
    props_of(e, b.conversation, "priority=low;source=web form;");
    /* Channels without defaults give none. */
    cib_ingest_result c = in(e, "mail", "m1", "carol@example.test", NULL);
    props_of(e, c.conversation, "");
    tenv_free(e);
}

struct events {
    char log[1024];
    cib_ctx *ctx;
    int change_rc;
};

static void on_event(void *ud, const cib_event *ev)
{
    struct events *ev_log = ud;
    static const char *names[] = {"?",      "created", "message", "assigned",
                                  "ticket", "notify",  "closed",  "reopened"};
    size_t n = strlen(ev_log->log);
    snprintf(ev_log->log + n, sizeof ev_log->log - n, "%s:%llu:%s:%s;", names[ev->type],
             (unsigned long long)ev->conversation, ev->channel ? ev->channel : "-",
             ev->user ? ev->user : "-");
    /* Events come after the commit: the change is visible, and the context
     * cannot be changed from here. */
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    assert_int_equal(cib_conversation_get(ev_log->ctx, NULL, 0, ev->conversation, &ci), CIB_OK);
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "intruder";
    d.name = "Intruder";
    ev_log->change_rc = cib_user_add(ev_log->ctx, &d);
}

/* R-HOST-3: events after the commit, in order; none for a failed change. */
static void test_events_R_HOST_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    struct events log = {"", NULL, 0};
    e->opts.on_event = on_event;
    e->opts.event_user_data = &log;
    tenv_reopen(e);
    log.ctx = e->ctx;
    setup(e);
    cib_ingest_result a = in(e, "mail", "m1", "carol@example.test", "t");
    in(e, "mail", "m2", "carol@example.test", "t");
    in(e, "mail", "m2", "carol@example.test", "t"); /* duplicate: no event */
    char want[256];
    snprintf(want, sizeof want, "created:%llu:mail:-;message:%llu:mail:-;message:%llu:mail:-;",
             (unsigned long long)a.conversation, (unsigned long long)a.conversation,
             (unsigned long long)a.conversation);
    assert_string_equal(log.log, want);
    assert_int_equal(log.change_rc, CIB_EINVAL);
    log.log[0] = '\0';
    cib_inbound m = inbound_msg("mail", "m3", "carol@example.test", "t");
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    e->fs.fail_at = e->fs.calls + 2;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_ESTORAGE, NULL);
    assert_string_equal(log.log, "");
    cib_user_info u = CIB_USER_INFO_INIT;
    assert_int_equal(cib_user_get(e->ctx, "intruder", CIB_NTS, &u), CIB_ENOTFOUND);
    tenv_free(e);
}

/* Which field of the inbound message a bad string goes into. */
enum { F_CHANNEL, F_MSG_ID, F_FROM, F_THREAD, F_FWD, F_ATTACH_NAME };

static int call_field(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    cib_inbound m = inbound_msg("mail", "m-bad", "carol@example.test", NULL);
    cib_attachment a = CIB_ATTACHMENT_INIT;
    a.kind = CIB_ATTACH_FILE;
    switch (*(const int *)arg) {
    case F_CHANNEL:
        m.channel = s;
        m.channel_len = n;
        break;
    case F_MSG_ID:
        m.msg_id = s;
        m.msg_id_len = n;
        break;
    case F_FROM:
        m.channel = "chat"; /* a visitor key: an id */
        m.from = s;
        m.from_len = n;
        break;
    case F_THREAD:
        m.thread = s;
        m.thread_len = n;
        break;
    case F_FWD:
        m.forwarded_by = s;
        m.forwarded_by_len = n;
        break;
    default:
        a.name = s;
        a.name_len = n;
        m.attachments = &a;
        m.n_attachments = 1;
        break;
    }
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    return cib_ingest(ctx, &m, &r);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    static const int ch = F_CHANNEL, id = F_MSG_ID, from = F_FROM, thread = F_THREAD, fwd = F_FWD,
                     att = F_ATTACH_NAME;
    expect_bad_strings(e, "channel", call_field, (void *)&ch);
    expect_bad_strings(e, "msg_id", call_field, (void *)&id);
    expect_bad_strings(e, "from", call_field, (void *)&from);
    expect_bad_optional_strings(e, "thread", call_field, (void *)&thread);
    expect_bad_optional_strings(e, "forwarded_by", call_field, (void *)&fwd);
    expect_bad_optional_strings(e, "attachment name", call_field, (void *)&att);
    char *before = tenv_snapshot(e);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    cib_inbound m = inbound_msg("mail", "m1", "carol@example.test", NULL);
    expect_status(e, cib_ingest(e->ctx, NULL, &r), CIB_EINVAL, "'msg' is NULL");
    expect_status(e, cib_ingest(e->ctx, &m, NULL), CIB_EINVAL, "'out' is NULL");
    m.channel = "nope";
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_ENOTFOUND, "channel 'nope' not found");
    m.channel = "mail";
    m.from = "not an email";
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_EINVAL, "'from'");
    m.from = "carol@example.test";
    /* Text: at most max_text_len bytes, UTF-8, no NUL; newlines are fine. */
    char *big = malloc(262145);
    memset(big, 'x', 262145);
    m.text = big;
    m.text_len = 262145;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_ELIMIT,
                  "'text' is longer than max_text_len (262144");
    free(big);
    m.text = "line\0more";
    m.text_len = 9;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_EINVAL, "'text' contains a NUL byte");
    m.text = "bad \xff";
    m.text_len = CIB_NTS;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_EINVAL, "'text' is not valid UTF-8");
    m.text = "ok\n\tfine";
    /* Email-only fields on other channels. */
    m.channel = "chat";
    m.from = "visitor-1";
    m.forwarded_by = "boss@acme.test";
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_EINVAL, "for email channels only");
    m.forwarded_by = NULL;
    const char *cc[] = {"a@b.test"};
    m.cc = cc;
    m.n_cc = 1;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_EINVAL, "for email channels only");
    m.channel = "mail";
    m.from = "carol@example.test";
    const char *bad_cc[] = {"a@b.test", "nope"};
    m.cc = bad_cc;
    m.n_cc = 2;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_EINVAL, "'cc[1]'");
    m.cc = NULL;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_EINVAL, "'cc' is NULL");
    m.n_cc = 101;
    m.cc = cc;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_EINVAL, "at most 100");
    m.n_cc = 0;
    m.n_attachments = 2;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_EINVAL, "'attachments' is NULL");
    m.n_attachments = 0;
    m.size = 3;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_EINVAL, "'msg->size' is 3");
    expect_unchanged(e, before);
    free(before);
    tenv_free(e);
}

/* ---- failure sweeps (R-HOST-1) ---- */

static void setup_traffic(tenv *e)
{
    setup(e);
    in(e, "mail", "m1", "carol@example.test", "open-thread");
    cib_ingest_result c = in(e, "mail", "m2", "carol@example.test", "closed-thread");
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, c.conversation), CIB_OK, NULL);
}

struct op_msg {
    const char *channel, *msg_id, *from, *thread;
};

static int op_ingest(cib_ctx *ctx, void *arg)
{
    const struct op_msg *o = arg;
    cib_inbound m = inbound_msg(o->channel, o->msg_id, o->from, o->thread);
    const char *cc[] = {"cc@example.test"};
    m.cc = strcmp(o->channel, "mail") == 0 ? cc : NULL;
    m.n_cc = m.cc ? 1 : 0;
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    return cib_ingest(ctx, &m, &r);
}

static void test_sweep_new_contact_and_conversation_R_HOST_1(void **state)
{
    (void)state;
    struct op_msg o = {"mail", "m9", "new@example.test", "new-thread"};
    sweep_op(setup_traffic, op_ingest, &o);
}

static void test_sweep_join_R_HOST_1(void **state)
{
    (void)state;
    struct op_msg o = {"mail", "m9", "carol@example.test", "open-thread"};
    sweep_op(setup_traffic, op_ingest, &o);
}

static void test_sweep_reopen_R_HOST_1(void **state)
{
    (void)state;
    struct op_msg o = {"mail", "m9", "carol@example.test", "closed-thread"};
    sweep_op(setup_traffic, op_ingest, &o);
}

static void test_sweep_visitor_R_HOST_1(void **state)
{
    (void)state;
    struct op_msg o = {"fb", "x9", "psid-1", "psid-1"};
    sweep_op(setup_traffic, op_ingest, &o);
}

/* The number after "next_id=" in a text. */
static unsigned long long next_id_in(const char *text)
{
    const char *p = strstr(text, "next_id=");
    assert_non_null(p);
    return strtoull(p + 8, NULL, 10);
}

/* Traffic until the next new conversation with a new contact (3 ids) runs
 * past the block of ids the store has reserved (the stored limit), so that
 * the account row is rewritten inside the swept call. */
static void setup_many(tenv *e)
{
    setup(e);
    char id[16];
    for (int i = 0;; i++) {
        assert_true(i < 5000);
        snprintf(id, sizeof id, "bulk-%d", i);
        cib_ingest_result r = in(e, "mail", id, "carol@example.test", "one-thread");
        char *rows = tenv_store_dump(e);
        unsigned long long limit = next_id_in(rows);
        free(rows);
        if (limit - r.message - 1 < 3)
            return;
    }
}

static void test_sweep_across_id_block_R_HOST_1(void **state)
{
    (void)state;
    struct op_msg o = {"mail", "m9", "zed@example.test", NULL};
    sweep_op(setup_many, op_ingest, &o);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contacts_R_CONV_1_R_CONV_2),
        cmocka_unit_test(test_chat_senders_R_CONV_1),
        cmocka_unit_test(test_threads_R_CONV_2),
        cmocka_unit_test(test_duplicates_R_CONV_3),
        cmocka_unit_test(test_duplicate_after_failed_attempt_R_CONV_3),
        cmocka_unit_test(test_dedup_forever_R_CONV_3),
        cmocka_unit_test(test_dedup_window_R_CONV_3),
        cmocka_unit_test(test_disabled_channel_R_CHAN_3),
        cmocka_unit_test(test_forwarded_email_R_CHAN_6),
        cmocka_unit_test(test_custom_channels_R_CHAN_9),
        cmocka_unit_test(test_default_properties_R_CHAN_10),
        cmocka_unit_test(test_events_R_HOST_3),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_sweep_new_contact_and_conversation_R_HOST_1),
        cmocka_unit_test(test_sweep_join_R_HOST_1),
        cmocka_unit_test(test_sweep_reopen_R_HOST_1),
        cmocka_unit_test(test_sweep_visitor_R_HOST_1),
        cmocka_unit_test(test_sweep_across_id_block_R_HOST_1),
    };
    return TENV_RUN(tests);
}
