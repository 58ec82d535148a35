/* test_action.c - agent actions: reply (and its delivery), comment, assign,
 * close, reopen, with permissions; what removals do to conversations. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

#define HOUR (3600LL * 1000)

/* A host sender that records what it is asked to deliver. */
typedef struct outbox {
    int calls;
    int fail; /* returned when non-zero */
    const char *explain;
    cib_ctx *ctx;
    int type;
    char channel[64], to[128], from_name[128], from_address[128], user[64], text[1024];
    uint64_t conversation, message;
} outbox;

static outbox box;

static int send_any(void *ud, const cib_outbound *m)
{
    outbox *b = ud;
    b->calls++;
    b->type = m->channel_type;
    snprintf(b->channel, sizeof b->channel, "%s", m->channel);
    snprintf(b->to, sizeof b->to, "%s", m->to ? m->to : "");
    snprintf(b->from_name, sizeof b->from_name, "%s", m->from_name ? m->from_name : "");
    snprintf(b->from_address, sizeof b->from_address, "%s", m->from_address ? m->from_address : "");
    snprintf(b->user, sizeof b->user, "%s", m->user);
    snprintf(b->text, sizeof b->text, "%.*s", (int)m->text_len, m->text);
    b->conversation = m->conversation;
    b->message = m->message;
    if (b->fail && b->explain)
        cib_set_callback_error(b->ctx, b->explain, CIB_NTS);
    return b->fail;
}

static cib_sender sender;

static tenv *env(void)
{
    memset(&box, 0, sizeof box);
    tenv *e = tenv_new();
    cib_sender s = CIB_SENDER_INIT;
    s.user_data = &box;
    s.email = s.chat = s.messenger = s.custom = s.form = send_any;
    sender = s;
    e->opts.sender = &sender;
    tenv_reopen(e);
    box.ctx = e->ctx;
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", "bob@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "ann";
    d.name = "Ann Marie Baker";
    expect_status(e, cib_user_add(e->ctx, &d), CIB_OK, NULL);
    add_inbox(e, "support", "Support");
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    add_channel(e, "chat", "support", CIB_CHANNEL_CHAT, NULL);
    add_channel(e, "fb", "support", CIB_CHANNEL_MESSENGER, "page-1");
    add_inbox(e, "other", "Other");
    add_channel(e, "other-mail", "other", CIB_CHANNEL_EMAIL, "other@acme.test");
    return e;
}

static uint64_t inbound(tenv *e, const char *channel, const char *msg_id, const char *from,
                        const char *thread)
{
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = channel;
    m.msg_id = msg_id;
    m.from = from;
    m.thread = thread;
    m.text = "Help please";
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_OK, NULL);
    return r.conversation;
}

static cib_conversation_info info(tenv *e, uint64_t id)
{
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    expect_status(e, cib_conversation_get(e->ctx, NULL, 0, id, &ci), CIB_OK, NULL);
    return ci;
}

static int reply(tenv *e, const char *user, uint64_t conv, const char *text, const char *channel)
{
    return cib_reply(e->ctx, user, CIB_NTS, conv, text, CIB_NTS, channel, CIB_NTS, NULL);
}

/* R-CONV-4, R-HOST-2: a reply is delivered through the host, then recorded. */
static void test_reply_R_CONV_4_R_HOST_2(void **state)
{
    (void)state;
    tenv *e = env();
    uint64_t c = inbound(e, "mail", "m1", "carol@example.test", "t1");
    e->now += 90000;
    uint64_t mid = 0;
    expect_status(e, cib_reply(e->ctx, "alice", CIB_NTS, c, "On it.", CIB_NTS, NULL, 0, &mid),
                  CIB_OK, NULL);
    assert_int_equal(box.calls, 1);
    assert_int_equal(box.type, CIB_CHANNEL_EMAIL);
    assert_string_equal(box.channel, "mail");
    assert_string_equal(box.to, "carol@example.test");
    assert_string_equal(box.from_address, "help@acme.test");
    assert_string_equal(box.from_name, "alice at Support"); /* the inbox name by default */
    assert_string_equal(box.user, "alice");
    assert_string_equal(box.text, "On it.");
    assert_true(box.conversation == c && box.message == mid && mid > c);
    cib_conversation_info ci = info(e, c);
    assert_int_equal(ci.n_messages, 2);
    assert_int_equal(ci.first_reply_at, TENV_EPOCH_MS + 90000);
    e->now += 1000;
    expect_status(e, reply(e, "bob", c, "Second", NULL), CIB_OK, NULL);
    ci = info(e, c);
    assert_int_equal(ci.first_reply_at, TENV_EPOCH_MS + 90000); /* the first stays */
    assert_int_equal(ci.n_messages, 3);
    tenv_free(e);
}

/* R-HOST-2: a sender that fails fails the reply, and nothing is recorded. */
static void test_sender_failure_records_nothing_R_HOST_2(void **state)
{
    (void)state;
    tenv *e = env();
    uint64_t c = inbound(e, "mail", "m1", "carol@example.test", "t1");
    char *before = tenv_snapshot(e);
    box.fail = 7;
    expect_status(e, reply(e, "alice", c, "Hi", NULL), CIB_ESTORAGE, "sender.email returned 7");
    expect_unchanged(e, before);
    box.fail = CIB_EWINDOW;
    expect_status(e, reply(e, "alice", c, "Hi", NULL), CIB_EWINDOW,
                  "sender.email returned window_closed");
    box.fail = -3;
    box.explain = "mailbox full";
    expect_status(e, reply(e, "alice", c, "Hi", NULL), CIB_ECONFLICT, "sender.email: mailbox full");
    expect_unchanged(e, before);
    assert_int_equal(box.calls, 3);
    box.fail = 0;
    box.explain = NULL;
    expect_status(e, reply(e, "alice", c, "Hi", NULL), CIB_OK, NULL);
    free(before);
    tenv_free(e);
}

/* Without a sender for the channel's type, a reply cannot be sent. */
static void test_no_sender_R_HOST_2(void **state)
{
    (void)state;
    tenv *e = env();
    uint64_t c = inbound(e, "chat", "c1", "visitor-1", "s1");
    sender.chat = NULL;
    tenv_reopen(e);
    box.ctx = e->ctx;
    expect_status(e, reply(e, "alice", c, "Hi", NULL), CIB_EINVAL, "no sender for chat channels");
    e->opts.sender = NULL;
    tenv_reopen(e);
    expect_status(e, reply(e, "alice", c, "Hi", NULL), CIB_EINVAL, "no sender for chat channels");
    tenv_free(e);
}

/* R-CHAN-4: the sender display and the signature with the agent's names. */
static void test_signature_and_display_R_CHAN_4(void **state)
{
    (void)state;
    tenv *e = env();
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "brand";
    d.inbox = "support";
    d.type = CIB_CHANNEL_EMAIL;
    d.address = "brand@acme.test";
    d.company = "Acme Ltd";
    d.signature = "--\n{full_name} ({first_name} {last_name})\n{unknown} {full_name";
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    uint64_t c = inbound(e, "brand", "m1", "carol@example.test", NULL);
    expect_status(e, reply(e, "ann", c, "Hello", NULL), CIB_OK, NULL);
    assert_string_equal(box.from_name, "Ann Marie Baker at Acme Ltd");
    assert_string_equal(box.text, "Hello\n\n--\nAnn Marie Baker (Ann Baker)\n{unknown} {full_name");
    /* Company only; a one-word name has no last name. */
    d.sender_display = CIB_DISPLAY_COMPANY;
    d.signature = "{first_name}|{last_name}|";
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
    expect_status(e, reply(e, "alice", c, "Hi", NULL), CIB_OK, NULL);
    assert_string_equal(box.from_name, "Acme Ltd");
    assert_string_equal(box.text, "Hi\n\nalice||");
    /* Other channel types get the text as written. */
    uint64_t chat = inbound(e, "chat", "c1", "visitor-1", "s");
    expect_status(e, reply(e, "ann", chat, "Hi there", NULL), CIB_OK, NULL);
    assert_string_equal(box.text, "Hi there");
    assert_string_equal(box.from_name, "");
    assert_string_equal(box.to, "visitor-1");
    tenv_free(e);
}

/* R-CHAN-3: a disabled channel sends nothing. */
static void test_disabled_channel_refuses_outbound_R_CHAN_3(void **state)
{
    (void)state;
    tenv *e = env();
    uint64_t c = inbound(e, "mail", "m1", "carol@example.test", NULL);
    expect_status(e, cib_channel_set_status(e->ctx, "mail", CIB_NTS, CIB_CHANNEL_DISABLED), CIB_OK,
                  NULL);
    char *before = tenv_snapshot(e);
    expect_status(e, reply(e, "alice", c, "Hi", NULL), CIB_EDISABLED, "channel 'mail' is disabled");
    expect_unchanged(e, before);
    assert_int_equal(box.calls, 0);
    free(before);
    tenv_free(e);
}

/* R-CHAN-8: Messenger: any number of replies within 24 hours of the
 * contact's last message, then exactly one more, until the contact writes. */
static void test_messenger_window_R_CHAN_8(void **state)
{
    (void)state;
    tenv *e = env();
    uint64_t c = inbound(e, "fb", "x1", "psid-1", "psid-1");
    for (int i = 0; i < 5; i++) {
        e->now += HOUR;
        expect_status(e, reply(e, "alice", c, "Within the window", NULL), CIB_OK, NULL);
    }
    e->now = TENV_EPOCH_MS + 24 * HOUR - 1; /* 1 ms before 24 hours: inside */
    expect_status(e, reply(e, "alice", c, "Last in window", NULL), CIB_OK, NULL);
    e->now += 1; /* exactly 24 hours: closed, the one extra message */
    expect_status(e, reply(e, "alice", c, "The one extra", NULL), CIB_OK, NULL);
    char *before = tenv_snapshot(e);
    expect_status(e, reply(e, "alice", c, "One too many", NULL), CIB_EWINDOW, "window");
    expect_unchanged(e, before);
    free(before);
    /* The rule survives a restart. */
    tenv_reopen(e);
    box.ctx = e->ctx;
    expect_status(e, reply(e, "alice", c, "Still too many", NULL), CIB_EWINDOW, NULL);
    /* Comments are internal: not limited. */
    expect_status(e, cib_comment(e->ctx, "alice", CIB_NTS, c, "note", CIB_NTS, NULL), CIB_OK, NULL);
    /* The contact writes again: the window opens again. */
    e->now += 10 * HOUR;
    assert_true(inbound(e, "fb", "x2", "psid-1", "psid-1") == c);
    expect_status(e, reply(e, "alice", c, "Welcome back", NULL), CIB_OK, NULL);
    e->now += 25 * HOUR;
    expect_status(e, reply(e, "alice", c, "Extra again", NULL), CIB_OK, NULL);
    expect_status(e, reply(e, "alice", c, "No more", NULL), CIB_EWINDOW, NULL);
    /* The window is the contact's: a message in another conversation (a new
     * thread) opens it for this one too, and the extra message is spent
     * across conversations. */
    e->now += 30 * HOUR;
    uint64_t other = inbound(e, "fb", "x3", "psid-1", "another-thread");
    assert_true(other != c);
    expect_status(e, reply(e, "alice", c, "Back in the first", NULL), CIB_OK, NULL);
    e->now += 25 * HOUR;
    expect_status(e, reply(e, "alice", other, "The extra, in the second", NULL), CIB_OK, NULL);
    expect_status(e, reply(e, "alice", c, "None left in the first", NULL), CIB_EWINDOW, NULL);
    tenv_free(e);
}

/* R-CHAN-8 (decided): the 24 hours include their start and exclude their
 * end. At 24 h - 1 ms any number of replies; at exactly 24 h, and at
 * 24 h + 1 ms, the window is closed: one extra reply, then CIB_EWINDOW. */
static void test_messenger_window_boundary_R_CHAN_8(void **state)
{
    (void)state;
    const int64_t at[] = {24 * HOUR - 1, 24 * HOUR, 24 * HOUR + 1};
    const int extra_only[] = {0, 1, 1};
    for (int i = 0; i < 3; i++) {
        tenv *e = env();
        uint64_t c = inbound(e, "fb", "x1", "psid-1", "psid-1");
        e->now = TENV_EPOCH_MS + at[i];
        expect_status(e, reply(e, "alice", c, "First", NULL), CIB_OK, NULL);
        char *before = tenv_snapshot(e);
        int rc = reply(e, "alice", c, "Second", NULL);
        if (extra_only[i]) {
            expect_status(e, rc, CIB_EWINDOW, "closed");
            expect_unchanged(e, before);
        } else {
            expect_status(e, rc, CIB_OK, NULL);
            expect_status(e, reply(e, "alice", c, "Third", NULL), CIB_OK, NULL);
        }
        free(before);
        /* A context reopened on the store draws the same line. */
        tenv_reopen(e);
        box.ctx = e->ctx;
        expect_status(e, reply(e, "alice", c, "After a restart", NULL),
                      extra_only[i] ? CIB_EWINDOW : CIB_OK, NULL);
        tenv_free(e);
    }
}

/* R-CHAN-11: a reply may go out on another channel of the inbox where the
 * contact has an address. */
static void test_reply_on_another_channel_R_CHAN_11(void **state)
{
    (void)state;
    tenv *e = env();
    uint64_t known = inbound(e, "chat", "c1", "carol@example.test", "s1");
    expect_status(e, reply(e, "alice", known, "By email", "mail"), CIB_OK, NULL);
    assert_int_equal(box.type, CIB_CHANNEL_EMAIL);
    assert_string_equal(box.channel, "mail");
    assert_string_equal(box.to, "carol@example.test");
    uint64_t anon = inbound(e, "chat", "c2", "visitor-9", "s2");
    char *before = tenv_snapshot(e);
    expect_status(e, reply(e, "alice", anon, "By email?", "mail"), CIB_EINVAL,
                  "has no address on channel 'mail'");
    expect_status(e, reply(e, "alice", anon, "By Messenger?", "fb"), CIB_EINVAL,
                  "has no address on channel 'fb'");
    expect_status(e, reply(e, "alice", known, "Elsewhere", "other-mail"), CIB_EINVAL,
                  "not in the conversation's inbox");
    expect_status(e, reply(e, "alice", known, "Nowhere", "nope"), CIB_ENOTFOUND,
                  "channel 'nope' not found");
    expect_unchanged(e, before);
    free(before);
    tenv_free(e);
}

/* R-CONV-4: comments are internal; a comment on a closed conversation
 * leaves it closed, a reply reopens it. */
static void test_comment_and_closed_R_CONV_4(void **state)
{
    (void)state;
    tenv *e = env();
    uint64_t c = inbound(e, "mail", "m1", "carol@example.test", NULL);
    uint64_t mid = 0;
    expect_status(e, cib_comment(e->ctx, "alice", CIB_NTS, c, "Internal", CIB_NTS, &mid), CIB_OK,
                  NULL);
    assert_true(mid > c);
    assert_int_equal(box.calls, 0);
    assert_int_equal(info(e, c).n_messages, 2);
    assert_int_equal(info(e, c).first_reply_at, 0);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, c), CIB_OK, NULL);
    e->now += 5000;
    expect_status(e, cib_comment(e->ctx, "bob", CIB_NTS, c, "After close", CIB_NTS, NULL), CIB_OK,
                  NULL);
    cib_conversation_info ci = info(e, c);
    assert_int_equal(ci.status, CIB_STATUS_CLOSED);
    assert_int_equal(ci.n_messages, 3);
    assert_int_equal(ci.closed_at, TENV_EPOCH_MS);
    expect_status(e, reply(e, "bob", c, "Following up", NULL), CIB_OK, NULL);
    ci = info(e, c);
    assert_int_equal(ci.status, CIB_STATUS_OPEN);
    assert_int_equal(ci.n_messages, 4);
    assert_int_equal(ci.closed_at, 0);
    tenv_free(e);
}

struct events {
    char log[1024];
};

static void log_event(void *ud, const cib_event *ev)
{
    struct events *l = ud;
    static const char *names[] = {"?",      "created", "message", "assigned",
                                  "ticket", "notify",  "closed",  "reopened"};
    size_t n = strlen(l->log);
    snprintf(l->log + n, sizeof l->log - n, "%s:%s:%d;", names[ev->type], ev->user ? ev->user : "-",
             ev->type == CIB_EVENT_ASSIGNED ? ev->reason : ev->message_kind);
}

/* R-CONV-4, R-ROUTE-6 (manual), R-HOST-3: assign, reassign, unassign. */
static void test_assign_R_CONV_4_R_HOST_3(void **state)
{
    (void)state;
    tenv *e = env();
    struct events log = {""};
    e->opts.on_event = log_event;
    e->opts.event_user_data = &log;
    tenv_reopen(e);
    add_inbox_access(e, "vip", "VIP", (const char *[]){"alice"}, 1, NULL, 0);
    add_channel(e, "vip-mail", "vip", CIB_CHANNEL_EMAIL, "vip@acme.test");
    uint64_t c = inbound(e, "mail", "m1", "carol@example.test", NULL);
    log.log[0] = '\0';
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, c, "alice", CIB_NTS), CIB_OK, NULL);
    cib_conversation_info ci = info(e, c);
    assert_string_equal(ci.assignee, "alice");
    assert_int_equal(ci.reason, CIB_REASON_MANUAL);
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, c, "alice", CIB_NTS), CIB_OK, NULL);
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, c, "bob", CIB_NTS), CIB_OK, NULL);
    assert_string_equal(info(e, c).assignee, "bob");
    expect_status(e, cib_assign(e->ctx, "bob", CIB_NTS, c, NULL, 0), CIB_OK, NULL);
    ci = info(e, c);
    assert_null(ci.assignee);
    assert_int_equal(ci.reason, CIB_REASON_NONE);
    assert_string_equal(log.log, "assigned:alice:4;assigned:bob:4;assigned:-:0;");
    /* The assignee must be able to act in the inbox. */
    uint64_t v = inbound(e, "vip-mail", "v1", "carol@example.test", NULL);
    char *before = tenv_snapshot(e);
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, v, "bob", CIB_NTS), CIB_EFORBIDDEN,
                  "user 'bob' may not act in inbox 'vip'");
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, v, "ghost", CIB_NTS), CIB_ENOTFOUND,
                  "user 'ghost' not found");
    expect_unchanged(e, before);
    free(before);
    /* Closed conversations cannot be assigned. */
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, c), CIB_OK, NULL);
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, c, "alice", CIB_NTS), CIB_EINVAL,
                  "is closed");
    /* Removing an assignee unassigns their open conversations, with events. */
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, v, "alice", CIB_NTS), CIB_OK, NULL);
    log.log[0] = '\0';
    expect_status(e, cib_user_remove(e->ctx, "alice", CIB_NTS), CIB_OK, NULL);
    assert_string_equal(log.log, "assigned:-:0;");
    assert_null(info(e, v).assignee);
    tenv_free(e);
}

/* R-CONV-4, R-HOST-3: close and reopen. */
static void test_close_reopen_R_CONV_4(void **state)
{
    (void)state;
    tenv *e = env();
    struct events log = {""};
    e->opts.on_event = log_event;
    e->opts.event_user_data = &log;
    tenv_reopen(e);
    uint64_t c = inbound(e, "mail", "m1", "carol@example.test", NULL);
    expect_status(e, cib_assign(e->ctx, "bob", CIB_NTS, c, "bob", CIB_NTS), CIB_OK, NULL);
    log.log[0] = '\0';
    e->now += 1000;
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, c), CIB_OK, NULL);
    cib_conversation_info ci = info(e, c);
    assert_int_equal(ci.status, CIB_STATUS_CLOSED);
    assert_int_equal(ci.closed_at, TENV_EPOCH_MS + 1000);
    assert_string_equal(ci.assignee, "bob");
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, c), CIB_EINVAL, "already closed");
    expect_status(e, cib_reopen(e->ctx, "alice", CIB_NTS, c), CIB_OK, NULL);
    ci = info(e, c);
    assert_int_equal(ci.status, CIB_STATUS_OPEN);
    assert_string_equal(ci.assignee, "bob"); /* the assignee stays */
    expect_status(e, cib_reopen(e->ctx, "alice", CIB_NTS, c), CIB_EINVAL, "already open");
    assert_string_equal(log.log, "closed:alice:0;reopened:alice:0;");
    /* Closed and reopened across a restart; a removed assignee is gone. */
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, c), CIB_OK, NULL);
    expect_status(e, cib_user_remove(e->ctx, "bob", CIB_NTS), CIB_OK, NULL);
    tenv_reopen(e);
    expect_status(e, cib_reopen(e->ctx, "alice", CIB_NTS, c), CIB_OK, NULL);
    assert_null(info(e, c).assignee);
    tenv_free(e);
}

/* R-ACCESS-2, 3, 4 applied to actions and reads. */
static void test_permissions_R_ACCESS_2_R_ACCESS_3_R_ACCESS_4(void **state)
{
    (void)state;
    tenv *e = env();
    add_user(e, "admin", NULL, CIB_SEAT_PAID, CIB_ROLE_ADMIN);
    add_user(e, "free", NULL, CIB_SEAT_FREE, CIB_ROLE_MEMBER);
    add_user(e, "outsider", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    const char *listed[] = {"alice", "free"};
    add_inbox_access(e, "vip", "VIP", listed, 2, NULL, 0);
    add_channel(e, "vip-mail", "vip", CIB_CHANNEL_EMAIL, "vip@acme.test");
    uint64_t c = inbound(e, "vip-mail", "m1", "carol@example.test", NULL);
    char *before = tenv_snapshot(e);
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    /* R-ACCESS-3: no access: reading returns nothing, an action is
     * forbidden; nothing changes. */
    expect_status(e, cib_conversation_get(e->ctx, "outsider", CIB_NTS, c, &ci), CIB_ENOTFOUND,
                  "not found");
    expect_status(e, reply(e, "outsider", c, "Hi", NULL), CIB_EFORBIDDEN, "no access");
    expect_status(e, cib_comment(e->ctx, "outsider", CIB_NTS, c, "x", CIB_NTS, NULL),
                  CIB_EFORBIDDEN, "no access");
    expect_status(e, cib_assign(e->ctx, "outsider", CIB_NTS, c, "alice", CIB_NTS), CIB_EFORBIDDEN,
                  "no access");
    expect_status(e, cib_close(e->ctx, "outsider", CIB_NTS, c), CIB_EFORBIDDEN, "no access");
    /* R-ACCESS-2: the admin may view, not act. */
    expect_status(e, cib_conversation_get(e->ctx, "admin", CIB_NTS, c, &ci), CIB_OK, NULL);
    expect_status(e, reply(e, "admin", c, "Hi", NULL), CIB_EFORBIDDEN, "may not reply");
    expect_status(e, cib_comment(e->ctx, "admin", CIB_NTS, c, "x", CIB_NTS, NULL), CIB_EFORBIDDEN,
                  "may not comment");
    expect_status(e, cib_assign(e->ctx, "admin", CIB_NTS, c, "alice", CIB_NTS), CIB_EFORBIDDEN,
                  "may not assign");
    expect_status(e, cib_close(e->ctx, "admin", CIB_NTS, c), CIB_EFORBIDDEN, "may not close");
    /* R-ACCESS-4: a free seat may not reassign or close... */
    expect_status(e, cib_close(e->ctx, "free", CIB_NTS, c), CIB_EFORBIDDEN, "may not close");
    expect_unchanged(e, before);
    free(before);
    /* ... but may reply, comment, and assign an unassigned conversation. */
    expect_status(e, reply(e, "free", c, "Hi", NULL), CIB_OK, NULL);
    expect_status(e, cib_comment(e->ctx, "free", CIB_NTS, c, "x", CIB_NTS, NULL), CIB_OK, NULL);
    expect_status(e, cib_assign(e->ctx, "free", CIB_NTS, c, "free", CIB_NTS), CIB_OK, NULL);
    expect_status(e, cib_assign(e->ctx, "free", CIB_NTS, c, "alice", CIB_NTS), CIB_EFORBIDDEN,
                  "may not reassign");
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, c, "alice", CIB_NTS), CIB_OK, NULL);
    tenv_free(e);
}

/* Removing a user unassigns their open conversations; removing a contact
 * with conversations is refused; deleting an inbox deletes its
 * conversations, messages, threads and keys (R-INBOX-3). */
static void test_removals_R_INBOX_3(void **state)
{
    (void)state;
    tenv *e = env();
    uint64_t c = inbound(e, "mail", "m1", "carol@example.test", "t");
    expect_status(e, cib_assign(e->ctx, "bob", CIB_NTS, c, "bob", CIB_NTS), CIB_OK, NULL);
    expect_status(e, cib_user_remove(e->ctx, "bob", CIB_NTS), CIB_OK, NULL);
    assert_null(info(e, c).assignee);
    cib_conversation_info ci = info(e, c);
    expect_status(e, cib_contact_remove(e->ctx, ci.contact, CIB_NTS), CIB_ECONFLICT,
                  "has conversations");
    uint64_t closed = inbound(e, "mail", "m2", "dan@example.test", "t2");
    expect_status(e, reply(e, "alice", closed, "Done", NULL), CIB_OK, NULL);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, closed), CIB_OK, NULL);
    inbound(e, "other-mail", "o1", "carol@example.test", "t");
    expect_status(e, cib_inbox_remove(e->ctx, "support", CIB_NTS, "Support", CIB_NTS), CIB_OK,
                  NULL);
    expect_status(e, cib_conversation_get(e->ctx, NULL, 0, c, &ci), CIB_ENOTFOUND, "not found");
    expect_status(e, cib_conversation_get(e->ctx, NULL, 0, closed, &ci), CIB_ENOTFOUND,
                  "not found");
    char *rows = tenv_store_dump(e);
    assert_null(strstr(rows, "inbox=\"support\""));
    assert_non_null(strstr(rows, "inbox=\"other\"")); /* the other inbox's stay */
    free(rows);
    /* The contacts stay; dan's has no conversation left and can go. */
    const char *dan = NULL;
    expect_status(e, cib_contact_find_email(e->ctx, "dan@example.test", CIB_NTS, &dan), CIB_OK,
                  NULL);
    expect_status(e, cib_contact_remove(e->ctx, dan, CIB_NTS), CIB_OK, NULL);
    /* A redelivered message of the deleted inbox is new on a new channel. */
    add_inbox(e, "support", "Support");
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    assert_true(inbound(e, "mail", "m1", "carol@example.test", "t") > c);
    tenv_free(e);
}

enum { C_USER, C_TEXT, C_CHANNEL, C_TO, C_CLOSE_USER, C_REOPEN_USER };

static int call(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    uint64_t c = 0;
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.inbox = "support";
    size_t got = 0;
    cib_view(ctx, &q, &c, 1, &got, NULL);
    switch (*(const int *)arg) {
    case C_USER:
        return cib_reply(ctx, s, n, c, "x", CIB_NTS, NULL, 0, NULL);
    case C_TEXT:
        return cib_comment(ctx, "alice", CIB_NTS, c, s, n, NULL);
    case C_CHANNEL:
        return cib_reply(ctx, "alice", CIB_NTS, c, "x", CIB_NTS, s, n, NULL);
    case C_CLOSE_USER:
        return cib_close(ctx, s, n, c);
    case C_REOPEN_USER:
        return cib_reopen(ctx, s, n, c);
    default:
        return cib_assign(ctx, "alice", CIB_NTS, c, s, n);
    }
}

static void test_bad_inputs(void **state)
{
    (void)state;
    tenv *e = env();
    uint64_t c = inbound(e, "mail", "m1", "carol@example.test", NULL);
    static const int user = C_USER, text = C_TEXT, channel = C_CHANNEL, to = C_TO;
    expect_bad_strings(e, "user", call, (void *)&user);
    expect_bad_text(e, "text", call, (void *)&text, 262144, BAD_MULTILINE | BAD_CAP);
    expect_bad_optional_strings(e, "channel", call, (void *)&channel);
    expect_bad_optional_strings(e, "to", call, (void *)&to);
    static const int close_user = C_CLOSE_USER, reopen_user = C_REOPEN_USER;
    expect_bad_strings(e, "user", call, (void *)&close_user);
    expect_bad_strings(e, "user", call, (void *)&reopen_user);
    char *before = tenv_snapshot(e);
    expect_status(e, reply(e, "alice", 0, "x", NULL), CIB_ENOTFOUND, "conversation 0 not found");
    expect_status(e, reply(e, "alice", c + 1000, "x", NULL), CIB_ENOTFOUND, "not found");
    expect_status(e, reply(e, "ghost", c, "x", NULL), CIB_ENOTFOUND, "user 'ghost' not found");
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, 999999), CIB_ENOTFOUND, "not found");
    expect_status(e, cib_reopen(e->ctx, NULL, 0, c), CIB_EINVAL, "'user' is NULL");
    expect_status(e, cib_comment(e->ctx, "alice", CIB_NTS, c, "tab\tand\nnewline", CIB_NTS, NULL),
                  CIB_OK, NULL);
    free(before);
    tenv_free(e);
}

/* ---- failure sweeps (R-HOST-1) ---- */

static uint64_t open_c, closed_c;

static void setup_actions(tenv *e)
{
    cib_sender s = CIB_SENDER_INIT;
    s.user_data = &box;
    s.email = s.chat = s.messenger = s.custom = s.form = send_any;
    sender = s;
    memset(&box, 0, sizeof box);
    e->opts.sender = &sender;
    tenv_reopen(e);
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_inbox(e, "support", "Support");
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    open_c = inbound(e, "mail", "m1", "carol@example.test", "t1");
    expect_status(e, cib_assign(e->ctx, "alice", CIB_NTS, open_c, "alice", CIB_NTS), CIB_OK, NULL);
    closed_c = inbound(e, "mail", "m2", "dan@example.test", "t2");
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, closed_c), CIB_OK, NULL);
    inbound(e, "mail", "m3", "erin@example.test", NULL); /* open, unassigned */
}

static int op_reply_open(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_reply(ctx, "bob", CIB_NTS, open_c, "Reply", CIB_NTS, NULL, 0, NULL);
}

static int op_reply_closed(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_reply(ctx, "bob", CIB_NTS, closed_c, "Reply", CIB_NTS, NULL, 0, NULL);
}

static int op_comment_closed(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_comment(ctx, "bob", CIB_NTS, closed_c, "Note", CIB_NTS, NULL);
}

static int op_comment_open(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_comment(ctx, "bob", CIB_NTS, open_c, "Note", CIB_NTS, NULL);
}

static int op_take_unassigned(cib_ctx *ctx, void *arg)
{
    (void)arg;
    uint64_t id = 0;
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.inbox = "support";
    q.view = CIB_VIEW_UNASSIGNED;
    q.status = CIB_STATUS_OPEN;
    size_t n = 0;
    int rc = cib_view(ctx, &q, &id, 1, &n, NULL);
    return rc ? rc : cib_assign(ctx, "bob", CIB_NTS, id, "bob", CIB_NTS);
}

static int op_unassign(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_assign(ctx, "alice", CIB_NTS, open_c, NULL, 0);
}

static int op_reassign(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_assign(ctx, "alice", CIB_NTS, open_c, "bob", CIB_NTS);
}

static int op_close(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_close(ctx, "bob", CIB_NTS, open_c);
}

static int op_reopen(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_reopen(ctx, "bob", CIB_NTS, closed_c);
}

static int op_remove_user(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_user_remove(ctx, "alice", CIB_NTS);
}

static int op_remove_inbox(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_inbox_remove(ctx, "support", CIB_NTS, "Support", CIB_NTS);
}

static void test_sweeps_R_HOST_1(void **state)
{
    (void)state;
    tenv_op ops[] = {op_reply_open,      op_reply_closed, op_comment_open, op_comment_closed,
                     op_take_unassigned, op_unassign,     op_reassign,     op_close,
                     op_reopen,          op_remove_user,  op_remove_inbox};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        sweep_op(setup_actions, ops[i], NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_R_CONV_4_R_HOST_2),
        cmocka_unit_test(test_sender_failure_records_nothing_R_HOST_2),
        cmocka_unit_test(test_no_sender_R_HOST_2),
        cmocka_unit_test(test_signature_and_display_R_CHAN_4),
        cmocka_unit_test(test_disabled_channel_refuses_outbound_R_CHAN_3),
        cmocka_unit_test(test_messenger_window_R_CHAN_8),
        cmocka_unit_test(test_messenger_window_boundary_R_CHAN_8),
        cmocka_unit_test(test_reply_on_another_channel_R_CHAN_11),
        cmocka_unit_test(test_comment_and_closed_R_CONV_4),
        cmocka_unit_test(test_assign_R_CONV_4_R_HOST_3),
        cmocka_unit_test(test_close_reopen_R_CONV_4),
        cmocka_unit_test(test_permissions_R_ACCESS_2_R_ACCESS_3_R_ACCESS_4),
        cmocka_unit_test(test_removals_R_INBOX_3),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_sweeps_R_HOST_1),
    };
    return TENV_RUN(tests);
}
