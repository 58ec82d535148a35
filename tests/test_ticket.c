/* test_ticket.c - ticket rules per channel and the tickets they open
 * (R-TICKET-1..5): rules and their checks, owners, form channels, one atomic
 * step with the conversation, duplicates, persistence, pipeline and user
 * removal, reading tickets, events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/storetest.h"

/* ---- helpers ---- */

static const char *const SALES[] = {"lead", "qualified", "won"};
static const char *const SUPPORT[] = {"new", "open", "done"};
static const char *const KEYS[] = {"priority", "source"};
static const char *const VALUES[] = {"high", "web form"};

static void add_pipeline(tenv *e, const char *id, const char *const *stages, size_t n)
{
    cib_pipeline_def d = CIB_PIPELINE_DEF_INIT;
    d.id = id;
    d.stages = stages;
    d.n_stages = n;
    expect_status(e, cib_pipeline_add(e->ctx, &d), CIB_OK, NULL);
}

/* An automatic rule without default properties. */
static cib_ticket_def rule(const char *pipeline, const char *stage)
{
    cib_ticket_def t = CIB_TICKET_DEF_INIT;
    t.automatic = 1;
    t.pipeline = pipeline;
    t.stage = stage;
    return t;
}

/* An automatic rule with the default properties KEYS = VALUES. */
static cib_ticket_def rule_props(const char *pipeline, const char *stage)
{
    cib_ticket_def t = rule(pipeline, stage);
    t.property_keys = KEYS;
    t.property_values = VALUES;
    t.n_properties = 2;
    return t;
}

static cib_ticket_def rule_off(void)
{
    cib_ticket_def t = CIB_TICKET_DEF_INIT;
    t.automatic = 0;
    return t;
}

static void set_tickets(tenv *e, const char *channel, const cib_ticket_def *t)
{
    expect_status(e, cib_channel_set_tickets(e->ctx, channel, CIB_NTS, t), CIB_OK, NULL);
}

/* Route the channel's new conversations to exactly `user` (R-ROUTE-2). */
static void route_to(tenv *e, const char *channel, const char *user)
{
    static const int kinds[] = {CIB_TARGET_USER};
    const char *ids[] = {user};
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = CIB_ROUTE_SPECIFIC;
    r.target_kinds = kinds;
    r.target_ids = ids;
    r.n_targets = 1;
    expect_status(e, cib_channel_set_routing(e->ctx, channel, CIB_NTS, &r), CIB_OK, NULL);
}

static void user_status(tenv *e, const char *user, int status)
{
    expect_status(e, cib_user_set_status(e->ctx, user, CIB_NTS, status), CIB_OK, NULL);
}

/* A form channel with the rule a form needs (R-TICKET-4). */
static void add_form(tenv *e, const char *id, const char *inbox, const cib_ticket_def *t)
{
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = id;
    d.inbox = inbox;
    d.type = CIB_CHANNEL_FORM;
    d.tickets = t;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
}

/*
 * The account: alice and bob may act in "support"; carl (a member) and dana
 * (an admin) are not on its access list, so carl may see nothing of it and
 * dana may only view it (R-ACCESS-2). "mail" has no ticket rule; "auto" opens
 * a ticket in sales/lead with the default properties KEYS = VALUES.
 */
static void setup(tenv *e)
{
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", "bob@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "carl", "carl@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "dana", "dana@acme.test", CIB_SEAT_PAID, CIB_ROLE_ADMIN);
    const char *access[] = {"alice", "bob"};
    add_inbox_access(e, "support", "Support", access, 2, NULL, 0);
    add_pipeline(e, "sales", SALES, 3);
    add_pipeline(e, "support", SUPPORT, 3);
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    add_channel(e, "auto", "support", CIB_CHANNEL_EMAIL, "auto@acme.test");
    cib_ticket_def t = rule_props("sales", "lead");
    set_tickets(e, "auto", &t);
}

static cib_inbound msg(const char *channel, const char *msg_id, const char *from,
                       const char *thread)
{
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = channel;
    m.msg_id = msg_id;
    m.from = from;
    m.thread = thread;
    m.text = "Hello";
    return m;
}

static cib_ingest_result in(tenv *e, const char *channel, const char *msg_id, const char *from,
                            const char *thread)
{
    cib_inbound m = msg(channel, msg_id, from, thread);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_OK, NULL);
    return r;
}

static cib_conversation_info conv_of(tenv *e, uint64_t id)
{
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    expect_status(e, cib_conversation_get(e->ctx, NULL, 0, id, &ci), CIB_OK, NULL);
    return ci;
}

/* The ticket as the account sees it; strings valid until the next change or
 * cib_ticket_get(). */
static cib_ticket_info ticket_of(tenv *e, uint64_t id)
{
    cib_ticket_info t = CIB_TICKET_INFO_INIT;
    expect_status(e, cib_ticket_get(e->ctx, NULL, 0, id, &t), CIB_OK, NULL);
    assert_true(t.id == id);
    return t;
}

static void expect_str(const char *got, const char *want)
{
    if (want)
        assert_string_equal(got ? got : "(null)", want);
    else if (got)
        fail_msg("want NULL, got '%s'", got);
}

/* The ticket's pipeline, stage and owner. */
static void expect_ticket(tenv *e, uint64_t id, uint64_t conversation, const char *pipeline,
                          const char *stage, const char *owner)
{
    cib_ticket_info t = ticket_of(e, id);
    assert_true(t.conversation == conversation);
    expect_str(t.pipeline, pipeline);
    expect_str(t.stage, stage);
    expect_str(t.owner, owner);
}

/* The ticket's default properties are exactly KEYS = VALUES (n == 2) or
 * none (n == 0). */
static void expect_ticket_props(tenv *e, uint64_t id, size_t n)
{
    cib_ticket_info t = ticket_of(e, id);
    assert_int_equal(t.n_properties, n);
    if (n == 0)
        return;
    assert_non_null(t.property_keys);
    assert_non_null(t.property_values);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(t.property_keys[i], KEYS[i]);
        assert_string_equal(t.property_values[i], VALUES[i]);
    }
}

/* The channel's ticket rule as cib_channel_get() reports it (on == 0: none). */
static void expect_rule(tenv *e, const char *channel, int on, const char *pipeline,
                        const char *stage, int owner, const char *owner_user)
{
    cib_channel_info ch = CIB_CHANNEL_INFO_INIT;
    expect_status(e, cib_channel_get(e->ctx, channel, CIB_NTS, &ch), CIB_OK, NULL);
    assert_int_equal(ch.tickets, on);
    if (!on) {
        assert_null(ch.ticket_pipeline);
        assert_null(ch.ticket_stage);
        assert_null(ch.ticket_owner_user);
        return;
    }
    expect_str(ch.ticket_pipeline, pipeline);
    expect_str(ch.ticket_stage, stage);
    assert_int_equal(ch.ticket_owner, owner);
    expect_str(ch.ticket_owner_user, owner_user);
}

static size_t n_tickets(tenv *e)
{
    return count_kind(&e->mem, CIB_KIND_TICKET);
}

/* ---- R-TICKET-1: a ticket for each new conversation ---- */

/* R-TICKET-1: each new conversation on a channel with an automatic rule opens
 * exactly one ticket in the rule's pipeline and stage, with its default
 * properties, the clock's time and the conversation; joining, reopening and
 * other channels open none. */
static void test_new_conversations_open_tickets_R_TICKET_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    expect_rule(e, "auto", 1, "sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    expect_rule(e, "mail", 0, NULL, NULL, 0, NULL);
    e->now += 12345;
    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", "<t1@mail>");
    assert_int_equal(a.created, 1);
    assert_true(a.ticket != 0);
    assert_true(conv_of(e, a.conversation).ticket == a.ticket);
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", NULL);
    expect_ticket_props(e, a.ticket, 2);
    cib_ticket_info t = ticket_of(e, a.ticket);
    assert_int_equal(t.created_at, TENV_EPOCH_MS + 12345);
    assert_int_equal(n_tickets(e), 1);

    /* The same thread joins the conversation: no second ticket. */
    e->now += 1000;
    cib_ingest_result b = in(e, "auto", "a2", "carol@example.test", "<t1@mail>");
    assert_int_equal(b.created, 0);
    assert_true(b.conversation == a.conversation);
    assert_true(b.ticket == 0);
    assert_true(conv_of(e, a.conversation).ticket == a.ticket);
    assert_int_equal(n_tickets(e), 1);
    /* The first ticket is as it was (created_at did not move). */
    assert_int_equal(ticket_of(e, a.ticket).created_at, TENV_EPOCH_MS + 12345);

    /* Another thread: another conversation, another ticket. */
    cib_ingest_result c = in(e, "auto", "a3", "carol@example.test", "<t2@mail>");
    assert_int_equal(c.created, 1);
    assert_true(c.ticket != 0 && c.ticket != a.ticket);
    assert_int_equal(ticket_of(e, c.ticket).created_at, TENV_EPOCH_MS + 13345);
    expect_ticket(e, c.ticket, c.conversation, "sales", "lead", NULL);
    assert_int_equal(n_tickets(e), 2);

    /* Without a thread key every message is a new conversation: each opens
     * its own ticket. */
    cib_ingest_result d1 = in(e, "auto", "a4", "dave@example.test", NULL);
    cib_ingest_result d2 = in(e, "auto", "a5", "dave@example.test", NULL);
    assert_true(d1.ticket != 0 && d2.ticket != 0 && d1.ticket != d2.ticket);
    assert_int_equal(n_tickets(e), 4);

    /* A closed conversation that reopens is not new: no ticket. */
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, a.conversation), CIB_OK, NULL);
    assert_true(conv_of(e, a.conversation).ticket == a.ticket); /* read from the store */
    cib_ingest_result r = in(e, "auto", "a6", "carol@example.test", "<t1@mail>");
    assert_int_equal(r.reopened, 1);
    assert_true(r.ticket == 0);
    assert_true(conv_of(e, a.conversation).ticket == a.ticket);
    assert_int_equal(n_tickets(e), 4);

    /* A channel without a rule opens none. */
    cib_ingest_result m = in(e, "mail", "m1", "carol@example.test", NULL);
    assert_int_equal(m.created, 1);
    assert_true(m.ticket == 0);
    assert_true(conv_of(e, m.conversation).ticket == 0);
    assert_int_equal(n_tickets(e), 4);

    /* A disabled channel keeps nothing, so opens no ticket. */
    expect_status(e, cib_channel_set_status(e->ctx, "auto", CIB_NTS, CIB_CHANNEL_DISABLED), CIB_OK,
                  NULL);
    cib_inbound dm = msg("auto", "a7", "erin@example.test", NULL);
    cib_ingest_result dr = CIB_INGEST_RESULT_INIT;
    expect_status(e, cib_ingest(e->ctx, &dm, &dr), CIB_EDISABLED, NULL);
    assert_int_equal(n_tickets(e), 4);
    tenv_free(e);
}

/* R-TICKET-1: a rule switched on later applies to later conversations only;
 * switched off, new conversations open none; tickets already opened stay. */
static void test_switched_on_and_off_R_TICKET_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ingest_result before = in(e, "mail", "m1", "carol@example.test", "<old@mail>");
    assert_true(before.ticket == 0);

    cib_ticket_def t = rule("support", "open");
    set_tickets(e, "mail", &t);
    expect_rule(e, "mail", 1, "support", "open", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    /* The conversation from before stays without a ticket, also when its
     * thread goes on. */
    cib_ingest_result join = in(e, "mail", "m2", "carol@example.test", "<old@mail>");
    assert_int_equal(join.created, 0);
    assert_true(join.ticket == 0);
    assert_true(conv_of(e, before.conversation).ticket == 0);
    assert_int_equal(n_tickets(e), 0);
    /* New conversations get one, without default properties. */
    cib_ingest_result after = in(e, "mail", "m3", "carol@example.test", "<new@mail>");
    assert_true(after.ticket != 0);
    expect_ticket(e, after.ticket, after.conversation, "support", "open", NULL);
    expect_ticket_props(e, after.ticket, 0);

    /* Replaced by another rule: later tickets follow it, earlier ones keep
     * what they got. */
    t = rule_props("sales", "won");
    set_tickets(e, "mail", &t);
    cib_ingest_result won = in(e, "mail", "m4", "carol@example.test", NULL);
    expect_ticket(e, won.ticket, won.conversation, "sales", "won", NULL);
    expect_ticket_props(e, won.ticket, 2);
    expect_ticket(e, after.ticket, after.conversation, "support", "open", NULL);
    expect_ticket_props(e, after.ticket, 0);

    /* Switched off: none, and the rule is gone. */
    t = rule_off();
    set_tickets(e, "mail", &t);
    expect_rule(e, "mail", 0, NULL, NULL, 0, NULL);
    cib_ingest_result off = in(e, "mail", "m5", "carol@example.test", NULL);
    assert_int_equal(off.created, 1);
    assert_true(off.ticket == 0);
    assert_true(conv_of(e, off.conversation).ticket == 0);
    assert_int_equal(n_tickets(e), 2);
    expect_ticket(e, after.ticket, after.conversation, "support", "open", NULL);

    /* A channel can also be created with its rule, or with one that is off. */
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "chat";
    d.inbox = "support";
    d.type = CIB_CHANNEL_CHAT;
    t = rule("support", "new");
    d.tickets = &t;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    expect_rule(e, "chat", 1, "support", "new", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    cib_ingest_result ch = in(e, "chat", "c1", "visitor-1", "session-1");
    expect_ticket(e, ch.ticket, ch.conversation, "support", "new", NULL);
    d.id = "chat2";
    t = rule_off();
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    expect_rule(e, "chat2", 0, NULL, NULL, 0, NULL);
    assert_true(in(e, "chat2", "c1", "visitor-2", "session-2").ticket == 0);
    tenv_free(e);
}

/* R-TICKET-1: cib_channel_update keeps the ticket rule when def->tickets is
 * NULL, and replaces it (as cib_channel_set_tickets) when it is given. */
static void test_update_keeps_or_replaces_rule_R_TICKET_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    const char *keys[] = {"team"}, *values[] = {"emea"};
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "auto";
    d.inbox = "support";
    d.type = CIB_CHANNEL_EMAIL;
    d.address = "auto@acme.test";
    d.property_keys = keys;
    d.property_values = values;
    d.n_properties = 1;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
    expect_rule(e, "auto", 1, "sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", NULL);
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", NULL);
    expect_ticket_props(e, a.ticket, 2); /* the ticket's, not the conversation's */
    assert_int_equal(conv_of(e, a.conversation).n_properties, 1);

    cib_ticket_def t = rule("support", "done");
    t.owner = CIB_TICKET_OWNER_NONE;
    d.tickets = &t;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
    expect_rule(e, "auto", 1, "support", "done", CIB_TICKET_OWNER_NONE, NULL);
    cib_ingest_result b = in(e, "auto", "a2", "carol@example.test", NULL);
    expect_ticket(e, b.ticket, b.conversation, "support", "done", NULL);
    expect_ticket_props(e, b.ticket, 0);

    t = rule_off();
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
    expect_rule(e, "auto", 0, NULL, NULL, 0, NULL);
    assert_true(in(e, "auto", "a3", "carol@example.test", NULL).ticket == 0);
    tenv_free(e);
}

/* ---- R-TICKET-2: rules are checked against the account's pipelines ---- */

enum { VIA_ADD, VIA_UPDATE, VIA_SET };

/* Apply a ticket rule to channel "mail" (update, set) or to a new email
 * channel "new" (add). */
static int apply_rule(cib_ctx *ctx, int via, const cib_ticket_def *t)
{
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = via == VIA_ADD ? "new" : "mail";
    d.inbox = "support";
    d.type = CIB_CHANNEL_EMAIL;
    d.address = via == VIA_ADD ? "new@acme.test" : "help@acme.test";
    d.tickets = t;
    switch (via) {
    case VIA_ADD:
        return cib_channel_add(ctx, &d);
    case VIA_UPDATE:
        return cib_channel_update(ctx, &d);
    default:
        return cib_channel_set_tickets(ctx, "mail", CIB_NTS, t);
    }
}

/* R-TICKET-2: an unknown pipeline, a stage not in its pipeline, a missing
 * pipeline or stage, a bad owner policy or property list are invalid; an
 * unknown owner is not found. Through every call that takes a rule, nothing
 * changes. */
static void test_rule_checked_R_TICKET_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    static const char *dup_keys[] = {"a", "a"}, *bad_keys[] = {"bad key"}, *two[] = {"1", "2"};
    const struct {
        const char *pipeline, *stage;
        int owner;
        const char *owner_user;
        const char *const *keys, *const *values;
        size_t n_props;
        int status;
        const char *needle;
    } cases[] = {
        {"nope", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL, NULL, NULL, 0, CIB_EINVAL,
         "pipeline 'nope' does not exist"},
        {"sales", "new", CIB_TICKET_OWNER_ASSIGNEE, NULL, NULL, NULL, 0, CIB_EINVAL,
         "stage 'new' is not in pipeline 'sales'"},
        {"sales", "Lead", CIB_TICKET_OWNER_ASSIGNEE, NULL, NULL, NULL, 0, CIB_EINVAL,
         "stage 'Lead' is not in pipeline 'sales'"}, /* byte for byte */
        {"Sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL, NULL, NULL, 0, CIB_EINVAL,
         "pipeline 'Sales' does not exist"},
        {NULL, "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL, NULL, NULL, 0, CIB_EINVAL,
         "'tickets->pipeline' is NULL"},
        {"sales", NULL, CIB_TICKET_OWNER_ASSIGNEE, NULL, NULL, NULL, 0, CIB_EINVAL,
         "'tickets->stage' is NULL"},
        {"sales", "lead", 0, NULL, NULL, NULL, 0, CIB_EINVAL, "'tickets->owner' is 0"},
        {"sales", "lead", 4, NULL, NULL, NULL, 0, CIB_EINVAL, "'tickets->owner' is 4"},
        {"sales", "lead", CIB_TICKET_OWNER_USER, NULL, NULL, NULL, 0, CIB_EINVAL,
         "'tickets->owner_user' is NULL"},
        {"sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, "bob", NULL, NULL, 0, CIB_EINVAL,
         "'tickets->owner_user' needs owner CIB_TICKET_OWNER_USER"},
        {"sales", "lead", CIB_TICKET_OWNER_NONE, "bob", NULL, NULL, 0, CIB_EINVAL,
         "'tickets->owner_user' needs owner CIB_TICKET_OWNER_USER"},
        {"sales", "lead", CIB_TICKET_OWNER_USER, "zed", NULL, NULL, 0, CIB_ENOTFOUND,
         "ticket owner 'zed' not found"},
        {"sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL, dup_keys, two, 2, CIB_EINVAL,
         "given twice"},
        {"sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL, bad_keys, two, 1, CIB_EINVAL,
         "only letters, digits"},
        {"sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL, NULL, two, 1, CIB_EINVAL,
         "keys or values are NULL"},
        {"sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL, two, NULL, 1, CIB_EINVAL,
         "keys or values are NULL"},
        {"sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL, two, two, 65, CIB_EINVAL, "at most 64"},
    };
    char *before = tenv_snapshot(e);
    for (int via = VIA_ADD; via <= VIA_SET; via++) {
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            cib_ticket_def t = rule(cases[i].pipeline, cases[i].stage);
            t.owner = cases[i].owner;
            t.owner_user = cases[i].owner_user;
            t.property_keys = cases[i].keys;
            t.property_values = cases[i].values;
            t.n_properties = cases[i].n_props;
            int rc = apply_rule(e->ctx, via, &t);
            if (rc != cases[i].status || !strstr(cib_errmsg(e->ctx), cases[i].needle))
                fail_msg("via %d, case %zu: want %s '%s', got %s '%s'", via, i,
                         cib_status_name(cases[i].status), cases[i].needle, cib_status_name(rc),
                         cib_errmsg(e->ctx));
            expect_unchanged(e, before);
        }
        /* A def of an unknown size. */
        cib_ticket_def t = rule("sales", "lead");
        t.size = 3;
        expect_status(e, apply_rule(e->ctx, via, &t), CIB_EINVAL, "'tickets->size' is 3");
        expect_unchanged(e, before);
    }
    /* set_tickets needs a rule: NULL is invalid (a rule that is off is
     * automatic = 0), and the channel must exist. */
    expect_status(e, cib_channel_set_tickets(e->ctx, "mail", CIB_NTS, NULL), CIB_EINVAL,
                  "'tickets' is NULL");
    cib_ticket_def ok = rule("sales", "lead");
    expect_status(e, cib_channel_set_tickets(e->ctx, "nope", CIB_NTS, &ok), CIB_ENOTFOUND,
                  "channel 'nope' not found");
    expect_unchanged(e, before);
    free(before);
    /* And the valid rule that all of them came close to is accepted. */
    ok.owner = CIB_TICKET_OWNER_USER;
    ok.owner_user = "bob";
    expect_status(e, apply_rule(e->ctx, VIA_SET, &ok), CIB_OK, NULL);
    expect_rule(e, "mail", 1, "sales", "lead", CIB_TICKET_OWNER_USER, "bob");
    tenv_free(e);
}

enum { R_PIPELINE, R_STAGE, R_OWNER_USER, R_KEY, R_CHANNEL };

static int call_rule(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    cib_ticket_def t = rule_props("sales", "lead");
    const char *k[] = {"priority", "source"};
    size_t kl[] = {CIB_NTS, CIB_NTS};
    t.property_keys = k;
    t.property_key_lens = kl;
    switch (*(const int *)arg) {
    case R_PIPELINE:
        t.pipeline = s;
        t.pipeline_len = n;
        break;
    case R_STAGE:
        t.stage = s;
        t.stage_len = n;
        break;
    case R_OWNER_USER:
        t.owner = CIB_TICKET_OWNER_USER;
        t.owner_user = s;
        t.owner_user_len = n;
        break;
    case R_KEY:
        k[1] = s;
        kl[1] = n;
        break;
    default:
        return cib_channel_set_tickets(ctx, s, n, &t);
    }
    return cib_channel_set_tickets(ctx, "mail", CIB_NTS, &t);
}

/* R-TICKET-2: the strings of a rule are checked like every other. */
static void test_rule_bad_strings_R_TICKET_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    static const int pipeline = R_PIPELINE, stage = R_STAGE, owner = R_OWNER_USER, key = R_KEY,
                     channel = R_CHANNEL;
    expect_bad_strings(e, "tickets->pipeline", call_rule, (void *)&pipeline);
    expect_bad_strings(e, "tickets->stage", call_rule, (void *)&stage);
    expect_bad_strings(e, "tickets->owner_user", call_rule, (void *)&owner);
    expect_bad_text(e, "property key", call_rule, (void *)&key, 64, 0);
    expect_bad_strings(e, "id", call_rule, (void *)&channel);
    /* Counted strings name the pipeline, stage and owner exactly. */
    cib_ticket_def t = rule("salesXX", "leadYY");
    t.pipeline_len = 5;
    t.stage_len = 4;
    t.owner = CIB_TICKET_OWNER_USER;
    t.owner_user = "bobZZ";
    t.owner_user_len = 3;
    set_tickets(e, "mail", &t);
    expect_rule(e, "mail", 1, "sales", "lead", CIB_TICKET_OWNER_USER, "bob");
    tenv_free(e);
}

/* ---- R-TICKET-3: the ticket's owner ---- */

struct ev {
    int type;
    uint64_t conversation, message, ticket;
    char inbox[32], channel[32], contact[32], user[32];
};

struct evlog {
    struct ev v[64];
    size_t n;
    cib_ctx *ctx;
    int ticket_rc;         /* cib_ticket_get from the TICKET_CREATED callback */
    uint64_t ticket_conv;  /* ... the conversation it reported */
    char ticket_owner[32]; /* ... and the owner */
};

static void copy_str(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "-");
}

static void on_event(void *ud, const cib_event *event)
{
    struct evlog *log = ud;
    assert_true(log->n < sizeof log->v / sizeof log->v[0]);
    struct ev *v = &log->v[log->n++];
    v->type = event->type;
    v->conversation = event->conversation;
    v->message = event->message;
    v->ticket = event->ticket;
    copy_str(v->inbox, sizeof v->inbox, event->inbox);
    copy_str(v->channel, sizeof v->channel, event->channel);
    copy_str(v->contact, sizeof v->contact, event->contact);
    copy_str(v->user, sizeof v->user, event->user);
    if (event->type == CIB_EVENT_TICKET_CREATED) {
        /* Committed before the event: readable from the callback. */
        cib_ticket_info t = CIB_TICKET_INFO_INIT;
        log->ticket_rc = cib_ticket_get(log->ctx, NULL, 0, event->ticket, &t);
        log->ticket_conv = t.conversation;
        copy_str(log->ticket_owner, sizeof log->ticket_owner, t.owner);
    }
}

static tenv *tenv_with_events(struct evlog *log)
{
    tenv *e = tenv_new();
    memset(log, 0, sizeof *log);
    log->ticket_rc = -999;
    e->opts.on_event = on_event;
    e->opts.event_user_data = log;
    tenv_reopen(e);
    log->ctx = e->ctx;
    return e;
}

/* The last TICKET_CREATED event in the log, or NULL. */
static const struct ev *last_ticket_event(const struct evlog *log)
{
    for (size_t i = log->n; i > 0; i--)
        if (log->v[i - 1].type == CIB_EVENT_TICKET_CREATED)
            return &log->v[i - 1];
    return NULL;
}

/* Ingest a new conversation and check its assignee, its ticket's owner and
 * the user of the TICKET_CREATED event. */
static uint64_t expect_owner(tenv *e, struct evlog *log, const char *channel, const char *msg_id,
                             const char *assignee, const char *owner)
{
    log->n = 0;
    cib_ingest_result r = in(e, channel, msg_id, "carol@example.test", NULL);
    assert_int_equal(r.created, 1);
    expect_str(r.assignee, assignee);
    assert_true(r.ticket != 0);
    expect_ticket(e, r.ticket, r.conversation, "sales", "lead", owner);
    const struct ev *ev = last_ticket_event(log);
    assert_non_null(ev);
    assert_true(ev->ticket == r.ticket);
    assert_string_equal(ev->user, owner ? owner : "-");
    return r.ticket;
}

/* R-TICKET-3: the owner is the assignee by default (none when the
 * conversation stays unassigned), nobody under NONE, the named user under
 * USER whoever is assigned; it is recorded when the ticket opens. */
static void test_owner_policy_R_TICKET_3(void **state)
{
    (void)state;
    struct evlog log;
    tenv *e = tenv_with_events(&log);
    setup(e);
    route_to(e, "auto", "alice");
    user_status(e, "alice", CIB_AVAILABLE);
    /* ASSIGNEE: the user routing picked. */
    uint64_t t1 = expect_owner(e, &log, "auto", "a1", "alice", "alice");
    /* ... and nobody when nobody is available. */
    user_status(e, "alice", CIB_OFFLINE);
    uint64_t t2 = expect_owner(e, &log, "auto", "a2", NULL, NULL);
    /* ... also on a channel that assigns no one. */
    cib_ticket_def t = rule("sales", "lead");
    set_tickets(e, "mail", &t);
    expect_owner(e, &log, "mail", "m1", NULL, NULL);

    /* NONE: no owner, though alice is assigned. */
    user_status(e, "alice", CIB_AVAILABLE);
    t.owner = CIB_TICKET_OWNER_NONE;
    set_tickets(e, "auto", &t);
    expect_rule(e, "auto", 1, "sales", "lead", CIB_TICKET_OWNER_NONE, NULL);
    expect_owner(e, &log, "auto", "a3", "alice", NULL);

    /* USER: bob, while alice is assigned, and while nobody is. */
    t.owner = CIB_TICKET_OWNER_USER;
    t.owner_user = "bob";
    set_tickets(e, "auto", &t);
    expect_rule(e, "auto", 1, "sales", "lead", CIB_TICKET_OWNER_USER, "bob");
    uint64_t t4 = expect_owner(e, &log, "auto", "a4", "alice", "bob");
    user_status(e, "alice", CIB_OFFLINE);
    expect_owner(e, &log, "auto", "a5", NULL, "bob");
    /* The named owner need not have access to the inbox, nor be available. */
    t.owner_user = "carl";
    set_tickets(e, "auto", &t);
    expect_owner(e, &log, "auto", "a6", NULL, "carl");

    /* Recorded at creation: a later assignment does not change it. */
    uint64_t c1 = ticket_of(e, t1).conversation, c2 = ticket_of(e, t2).conversation;
    uint64_t c4 = ticket_of(e, t4).conversation;
    expect_status(e, cib_assign(e->ctx, "bob", CIB_NTS, c2, "bob", CIB_NTS), CIB_OK, NULL);
    expect_status(e, cib_assign(e->ctx, "bob", CIB_NTS, c1, "bob", CIB_NTS), CIB_OK, NULL);
    expect_str(conv_of(e, c2).assignee, "bob");
    expect_ticket(e, t2, c2, "sales", "lead", NULL);
    expect_ticket(e, t1, c1, "sales", "lead", "alice");
    expect_ticket(e, t4, c4, "sales", "lead", "bob");
    tenv_free(e);
}

/* R-TICKET-3: the assignee a contact-owner rule picks owns the ticket; a
 * conversation that waits in a queue has no assignee yet, so its ticket has
 * no owner, also after it is handed out. */
static void test_owner_from_other_routing_R_TICKET_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_contact_def c = CIB_CONTACT_DEF_INIT;
    c.id = "carol";
    c.email = "carol@example.test";
    c.owner = "bob";
    expect_status(e, cib_contact_add(e->ctx, &c), CIB_OK, NULL);
    user_status(e, "bob", CIB_AVAILABLE);
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = CIB_ROUTE_CONTACT_OWNER;
    expect_status(e, cib_channel_set_routing(e->ctx, "auto", CIB_NTS, &r), CIB_OK, NULL);
    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", NULL);
    expect_str(a.assignee, "bob");
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", "bob");

    /* Queued: alice is offline, the conversation waits. */
    static const int kinds[] = {CIB_TARGET_USER};
    const char *ids[] = {"alice"};
    cib_routing_def q = CIB_ROUTING_DEF_INIT;
    q.mode = CIB_ROUTE_SPECIFIC;
    q.target_kinds = kinds;
    q.target_ids = ids;
    q.n_targets = 1;
    q.queue = 1;
    expect_status(e, cib_channel_set_routing(e->ctx, "auto", CIB_NTS, &q), CIB_OK, NULL);
    cib_ingest_result w = in(e, "auto", "a2", "dave@example.test", NULL);
    assert_int_equal(w.queued, 1);
    assert_null(w.assignee);
    expect_ticket(e, w.ticket, w.conversation, "sales", "lead", NULL);
    user_status(e, "alice", CIB_AVAILABLE);
    expect_str(conv_of(e, w.conversation).assignee, "alice");
    expect_ticket(e, w.ticket, w.conversation, "sales", "lead", NULL);
    tenv_free(e);
}

/* ---- R-TICKET-4: form channels ---- */

static int add_form_with(cib_ctx *ctx, const cib_ticket_def *t)
{
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "form";
    d.inbox = "support";
    d.type = CIB_CHANNEL_FORM;
    d.tickets = t;
    return cib_channel_add(ctx, &d);
}

/* R-TICKET-4: a form channel's rule is always on, valid, and cannot be
 * switched off; every submission opens a ticket. */
static void test_form_channel_R_TICKET_4(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    char *before = tenv_snapshot(e);
    expect_status(e, add_form_with(e->ctx, NULL), CIB_EINVAL, "needs an automatic ticket rule");
    cib_ticket_def t = rule_off();
    expect_status(e, add_form_with(e->ctx, &t), CIB_EINVAL, "needs an automatic ticket rule");
    t = rule_off();
    t.pipeline = "sales";
    t.stage = "lead"; /* a valid pipeline is not enough: it must be on */
    expect_status(e, add_form_with(e->ctx, &t), CIB_EINVAL, "needs an automatic ticket rule");
    t = rule("nope", "lead");
    expect_status(e, add_form_with(e->ctx, &t), CIB_EINVAL, "pipeline 'nope' does not exist");
    t = rule("sales", "new");
    expect_status(e, add_form_with(e->ctx, &t), CIB_EINVAL, "not in pipeline 'sales'");
    t = rule("sales", NULL);
    expect_status(e, add_form_with(e->ctx, &t), CIB_EINVAL, "'tickets->stage' is NULL");
    t = rule(NULL, "lead");
    expect_status(e, add_form_with(e->ctx, &t), CIB_EINVAL, "'tickets->pipeline' is NULL");
    expect_unchanged(e, before);
    free(before);

    t = rule_props("support", "new");
    add_form(e, "form", "support", &t);
    expect_rule(e, "form", 1, "support", "new", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    before = tenv_snapshot(e);
    /* Switching it off, in every way, is refused. */
    expect_status(e, cib_channel_set_tickets(e->ctx, "form", CIB_NTS, NULL), CIB_EINVAL,
                  "'tickets' is NULL");
    t = rule_off();
    expect_status(e, cib_channel_set_tickets(e->ctx, "form", CIB_NTS, &t), CIB_EINVAL,
                  "needs an automatic ticket rule");
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "form";
    d.inbox = "support";
    d.type = CIB_CHANNEL_FORM;
    d.tickets = &t;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_EINVAL, "needs an automatic ticket rule");
    /* So is a bad replacement. */
    t = rule("support", "lead");
    expect_status(e, cib_channel_set_tickets(e->ctx, "form", CIB_NTS, &t), CIB_EINVAL,
                  "stage 'lead' is not in pipeline 'support'");
    expect_unchanged(e, before);
    free(before);
    /* A valid replacement is fine. */
    t = rule("sales", "qualified");
    set_tickets(e, "form", &t);
    expect_rule(e, "form", 1, "sales", "qualified", CIB_TICKET_OWNER_ASSIGNEE, NULL);

    /* Every submission (no thread key) is a new conversation with a ticket,
     * from the same person too. */
    uint64_t seen[3];
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof id, "f%d", i);
        cib_ingest_result r = in(e, "form", id, "carol@example.test", NULL);
        assert_int_equal(r.created, 1);
        assert_true(r.ticket != 0);
        expect_ticket(e, r.ticket, r.conversation, "sales", "qualified", NULL);
        for (int j = 0; j < i; j++)
            assert_true(seen[j] != r.ticket);
        seen[i] = r.ticket;
    }
    assert_int_equal(n_tickets(e), 3);
    /* The rule survives a restart, still on. */
    tenv_reopen(e);
    expect_rule(e, "form", 1, "sales", "qualified", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    assert_true(in(e, "form", "f9", "carol@example.test", NULL).ticket != 0);
    tenv_free(e);
}

/* R-TICKET-4 with the manual's cib_channel_update: "the ticket rule is left
 * as it is when def->tickets is NULL". A form's settings (its default
 * properties) can be updated without repeating its rule, which stays on. */
static void test_form_update_keeps_rule_R_TICKET_4(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ticket_def t = rule("support", "new");
    add_form(e, "form", "support", &t);
    const char *keys[] = {"origin"}, *values[] = {"website"};
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "form";
    d.inbox = "support";
    d.type = CIB_CHANNEL_FORM;
    d.property_keys = keys;
    d.property_values = values;
    d.n_properties = 1;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
    expect_rule(e, "form", 1, "support", "new", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    cib_ingest_result r = in(e, "form", "f1", "carol@example.test", NULL);
    assert_true(r.ticket != 0);
    assert_int_equal(conv_of(e, r.conversation).n_properties, 1);
    tenv_free(e);
}

/* ---- R-TICKET-5: one atomic step; ids ---- */

/* Library ids come from one sequence: tickets, conversations and messages
 * never share an id, and one kind's id is not found as another kind. */
static void test_ids_distinct_R_TICKET_5(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    uint64_t ids[64];
    size_t n = 0;
    const struct {
        const char *msg_id, *from, *thread;
    } traffic[] = {
        {"a1", "carol@example.test", "t1"}, /* new contact, new conversation */
        {"a2", "carol@example.test", "t1"}, /* joins */
        {"a3", "carol@example.test", "t2"}, /* known contact, new conversation */
        {"a4", "dave@example.test", NULL},  {"a5", "erin@example.test", "t3"},
        {"a6", "erin@example.test", "t3"},  {"a7", "erin@example.test", NULL},
    };
    uint64_t a_ticket = 0, a_conv = 0;
    for (size_t i = 0; i < sizeof traffic / sizeof traffic[0]; i++) {
        cib_ingest_result r = in(e, "auto", traffic[i].msg_id, traffic[i].from, traffic[i].thread);
        if (r.created) {
            ids[n++] = r.conversation;
            assert_true(r.ticket != 0);
            ids[n++] = r.ticket;
            if (!a_ticket) {
                a_ticket = r.ticket;
                a_conv = r.conversation;
            }
        } else {
            assert_true(r.ticket == 0);
        }
        ids[n++] = r.message;
    }
    /* After a restart ids go on from the store's reserved block. */
    tenv_reopen(e);
    cib_ingest_result r = in(e, "auto", "b1", "frank@example.test", NULL);
    ids[n++] = r.conversation;
    ids[n++] = r.ticket;
    ids[n++] = r.message;
    for (size_t i = 0; i < n; i++) {
        assert_true(ids[i] != 0);
        for (size_t j = 0; j < i; j++)
            if (ids[i] == ids[j])
                fail_msg("id %llu is used twice", (unsigned long long)ids[i]);
    }
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    expect_status(e, cib_conversation_get(e->ctx, NULL, 0, a_ticket, &ci), CIB_ENOTFOUND, NULL);
    cib_ticket_info ti = CIB_TICKET_INFO_INIT;
    expect_status(e, cib_ticket_get(e->ctx, NULL, 0, a_conv, &ti), CIB_ENOTFOUND, "not found");
    expect_status(e, cib_ticket_get(e->ctx, NULL, 0, r.message, &ti), CIB_ENOTFOUND, "not found");
    tenv_free(e);
}

/* Sweep setups: the account, some traffic, and alice available to a rule
 * that routes "auto" to her. */
static void setup_traffic(tenv *e)
{
    setup(e);
    route_to(e, "auto", "alice");
    user_status(e, "alice", CIB_AVAILABLE);
    in(e, "auto", "a1", "carol@example.test", "open-thread");
    cib_ingest_result c = in(e, "auto", "a2", "carol@example.test", "closed-thread");
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, c.conversation), CIB_OK, NULL);
    cib_ticket_def t = rule("support", "new");
    add_form(e, "form", "support", &t);
    t = rule_props("sales", "won");
    t.owner = CIB_TICKET_OWNER_USER;
    t.owner_user = "bob";
    set_tickets(e, "mail", &t);
}

struct op_msg {
    const char *channel, *msg_id, *from, *thread;
};

static int op_ingest(cib_ctx *ctx, void *arg)
{
    const struct op_msg *o = arg;
    cib_inbound m = msg(o->channel, o->msg_id, o->from, o->thread);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    int rc = cib_ingest(ctx, &m, &r);
    if (rc == CIB_OK && r.created)
        assert_true(r.ticket != 0);
    return rc;
}

/* R-TICKET-5: the conversation (with its new contact, routing and message)
 * and its ticket are written in one step: every allocation or storage
 * failure leaves no conversation, no ticket, no message, no contact. */
static void test_sweep_ingest_R_TICKET_5(void **state)
{
    (void)state;
    struct op_msg routed = {"auto", "x1", "new@example.test", "new-thread"};
    sweep_op(setup_traffic, op_ingest, &routed);
    struct op_msg known = {"auto", "x1", "carol@example.test", NULL};
    sweep_op(setup_traffic, op_ingest, &known);
    struct op_msg owned = {"mail", "x1", "new@example.test", NULL};
    sweep_op(setup_traffic, op_ingest, &owned);
    struct op_msg form = {"form", "x1", "new@example.test", NULL};
    sweep_op(setup_traffic, op_ingest, &form);
}

/* R-TICKET-5 counted directly: after each storage failure of a routed
 * ingest there are as many conversations, messages and tickets as before;
 * the attempt that succeeds adds one of each, pointing at each other, owned
 * by the assignee. */
static void test_ingest_failures_leave_nothing_R_TICKET_5(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup_traffic(e);
    size_t tickets = n_tickets(e);
    size_t convs = count_kind(&e->mem, CIB_KIND_CONVERSATION);
    size_t msgs = count_kind(&e->mem, CIB_KIND_MESSAGE);
    cib_inbound m = msg("auto", "x1", "new@example.test", NULL);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    int rc;
    for (long n = 0;; n++) {
        assert_true(n < 1000);
        e->fs.fail_at = e->fs.calls + n;
        rc = cib_ingest(e->ctx, &m, &r);
        e->fs.fail_at = -1;
        if (rc == CIB_OK)
            break;
        expect_status(e, rc, CIB_ESTORAGE, NULL);
        assert_int_equal(n_tickets(e), tickets);
        assert_int_equal(count_kind(&e->mem, CIB_KIND_CONVERSATION), convs);
        assert_int_equal(count_kind(&e->mem, CIB_KIND_MESSAGE), msgs);
    }
    assert_int_equal(r.duplicate, 0);
    assert_int_equal(n_tickets(e), tickets + 1);
    assert_int_equal(count_kind(&e->mem, CIB_KIND_CONVERSATION), convs + 1);
    assert_true(conv_of(e, r.conversation).ticket == r.ticket);
    expect_ticket(e, r.ticket, r.conversation, "sales", "lead", "alice");
    tenv_free(e);
}

struct op_rule {
    const char *channel;
    cib_ticket_def def;
};

static int op_set_tickets(cib_ctx *ctx, void *arg)
{
    const struct op_rule *o = arg;
    return cib_channel_set_tickets(ctx, o->channel, CIB_NTS, &o->def);
}

/* R-TICKET-5 (and R-HOST-1) for changing rules: switching on, replacing and
 * switching off are each all or nothing. */
static void test_sweep_set_tickets_R_TICKET_5(void **state)
{
    (void)state;
    struct op_rule on = {"auto", rule_props("support", "open")};
    on.def.owner = CIB_TICKET_OWNER_USER;
    on.def.owner_user = "carl";
    sweep_op(setup_traffic, op_set_tickets, &on);
    struct op_rule off = {"auto", rule_off()};
    sweep_op(setup_traffic, op_set_tickets, &off);
    struct op_rule form = {"form", rule_props("sales", "qualified")};
    sweep_op(setup_traffic, op_set_tickets, &form);
}

static int op_remove_user(cib_ctx *ctx, void *arg)
{
    return cib_user_remove(ctx, (const char *)arg, CIB_NTS);
}

static int op_remove_pipeline(cib_ctx *ctx, void *arg)
{
    return cib_pipeline_remove(ctx, (const char *)arg, CIB_NTS);
}

/* No rule uses "sales" any more; tickets opened in it remain. */
static void setup_rule_off(tenv *e)
{
    setup_traffic(e);
    cib_ticket_def t = rule_off();
    set_tickets(e, "auto", &t);
    set_tickets(e, "mail", &t);
}

/* A user named as ticket owner is removed, and the rule reverts, in one
 * step; an unused pipeline with tickets in it is removed in one step. */
static void test_sweep_removals_R_TICKET_3(void **state)
{
    (void)state;
    sweep_op(setup_traffic, op_remove_user, (void *)"bob");
    sweep_op(setup_traffic, op_remove_user, (void *)"alice");
    sweep_op(setup_rule_off, op_remove_pipeline, (void *)"sales");
}

/* ---- R-CONV-3: duplicates ---- */

/* R-CONV-3: the same message id twice opens one ticket; the repeat is
 * reported as a duplicate and changes nothing, also after a restart. */
static void test_duplicates_R_CONV_3(void **state)
{
    (void)state;
    struct evlog log;
    tenv *e = tenv_with_events(&log);
    setup(e);
    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", NULL);
    assert_true(a.ticket != 0);
    assert_int_equal(n_tickets(e), 1);
    char *before = tenv_snapshot(e);
    log.n = 0;
    cib_ingest_result b = in(e, "auto", "a1", "carol@example.test", NULL);
    assert_int_equal(b.duplicate, 1);
    assert_true(b.conversation == a.conversation);
    assert_true(b.message == a.message);
    assert_int_equal(n_tickets(e), 1);
    assert_int_equal(log.n, 0); /* no events */
    expect_unchanged(e, before);
    /* With a thread key on the repeat, still the same message. */
    cib_ingest_result c = in(e, "auto", "a1", "carol@example.test", "thread");
    assert_int_equal(c.duplicate, 1);
    expect_unchanged(e, before);
    free(before);
    assert_true(conv_of(e, a.conversation).ticket == a.ticket);
    /* Also a form (every submission is new, but not a repeated one). */
    cib_ticket_def t = rule("support", "new");
    add_form(e, "form", "support", &t);
    cib_ingest_result f = in(e, "form", "f1", "carol@example.test", NULL);
    cib_ingest_result g = in(e, "form", "f1", "carol@example.test", NULL);
    assert_int_equal(g.duplicate, 1);
    assert_true(g.conversation == f.conversation);
    assert_int_equal(n_tickets(e), 2);
    /* Remembered across a restart. */
    tenv_reopen(e);
    log.ctx = e->ctx;
    cib_ingest_result h = in(e, "auto", "a1", "carol@example.test", NULL);
    assert_int_equal(h.duplicate, 1);
    assert_int_equal(n_tickets(e), 2);
    tenv_free(e);
}

/* R-CONV-3 with the manual's cib_ingest_result: for a duplicate "the fields
 * below describe the first delivery", so `ticket` is the ticket the first
 * delivery opened (a host that lost the first answer learns it this way). */
static void test_duplicate_reports_first_ticket_R_CONV_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", "t");
    cib_ingest_result j = in(e, "auto", "a2", "carol@example.test", "t");
    assert_true(j.ticket == 0);
    cib_ingest_result b = in(e, "auto", "a1", "carol@example.test", "t");
    assert_int_equal(b.duplicate, 1);
    assert_true(b.ticket == a.ticket);
    /* The joining message opened none, and its repeat says so. */
    cib_ingest_result k = in(e, "auto", "a2", "carol@example.test", "t");
    assert_int_equal(k.duplicate, 1);
    assert_true(k.ticket == 0);
    tenv_free(e);
}

/* ---- persistence ---- */

/* Rules and tickets survive a restart: cib_channel_get and cib_ticket_get
 * say the same, closed conversations' tickets included, and new tickets get
 * new ids. */
static void test_persistence_R_TICKET_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ticket_def t = rule_props("support", "done");
    t.owner = CIB_TICKET_OWNER_USER;
    t.owner_user = "bob";
    set_tickets(e, "mail", &t);
    cib_ticket_def none = rule("sales", "won");
    none.owner = CIB_TICKET_OWNER_NONE;
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "chat";
    d.inbox = "support";
    d.type = CIB_CHANNEL_CHAT;
    d.tickets = &none;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    add_channel(e, "plain", "support", CIB_CHANNEL_CHAT, NULL);
    e->now += 777;
    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", NULL);
    cib_ingest_result m = in(e, "mail", "m1", "carol@example.test", NULL);
    cib_ingest_result c = in(e, "chat", "c1", "visitor-1", "s1");
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, m.conversation), CIB_OK, NULL);
    char *snap = tenv_snapshot(e);

    tenv_reopen(e);
    char *again = tenv_snapshot(e);
    assert_string_equal(snap, again);
    free(snap);
    free(again);
    expect_rule(e, "auto", 1, "sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    expect_rule(e, "mail", 1, "support", "done", CIB_TICKET_OWNER_USER, "bob");
    expect_rule(e, "chat", 1, "sales", "won", CIB_TICKET_OWNER_NONE, NULL);
    expect_rule(e, "plain", 0, NULL, NULL, 0, NULL);
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", NULL);
    expect_ticket_props(e, a.ticket, 2);
    assert_int_equal(ticket_of(e, a.ticket).created_at, TENV_EPOCH_MS + 777);
    expect_ticket(e, m.ticket, m.conversation, "support", "done", "bob");
    expect_ticket_props(e, m.ticket, 2);
    expect_ticket(e, c.ticket, c.conversation, "sales", "won", NULL);
    assert_true(conv_of(e, a.conversation).ticket == a.ticket);
    assert_true(conv_of(e, m.conversation).ticket == m.ticket); /* closed */
    /* The rules still work, and the new tickets are new. */
    cib_ingest_result a2 = in(e, "auto", "a2", "dave@example.test", NULL);
    cib_ingest_result m2 = in(e, "mail", "m2", "dave@example.test", NULL);
    assert_true(a2.ticket > c.ticket && m2.ticket > c.ticket && a2.ticket != m2.ticket);
    expect_ticket(e, m2.ticket, m2.conversation, "support", "done", "bob");
    expect_ticket_props(e, m2.ticket, 2);
    expect_ticket_props(e, a2.ticket, 2);
    assert_true(in(e, "plain", "p1", "visitor-2", "s2").ticket == 0);
    /* The thread of a restored conversation joins it: no new ticket. */
    assert_true(in(e, "chat", "c2", "visitor-1", "s1").ticket == 0);
    tenv_free(e);
}

/* ---- pipeline and user removal ---- */

/* A pipeline a rule uses cannot be removed; once the rule is off (or uses
 * another pipeline) it can, and tickets opened in it keep its name. */
static void test_pipeline_removal_R_TICKET_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ticket_def t = rule("sales", "won");
    set_tickets(e, "mail", &t);
    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", NULL);
    char *before = tenv_snapshot(e);
    int rc = cib_pipeline_remove(e->ctx, "sales", CIB_NTS);
    expect_status(e, rc, CIB_ECONFLICT, "pipeline 'sales' is used by the ticket rule of channel");
    expect_unchanged(e, before);
    free(before);
    /* One rule moves away: the other still holds it. */
    t = rule("support", "new");
    set_tickets(e, "auto", &t);
    expect_status(e, cib_pipeline_remove(e->ctx, "sales", CIB_NTS), CIB_ECONFLICT,
                  "ticket rule of channel 'mail'");
    /* A form's rule holds its pipeline too. */
    add_form(e, "form", "support", &t);
    t = rule_off();
    set_tickets(e, "mail", &t);
    expect_status(e, cib_pipeline_remove(e->ctx, "sales", CIB_NTS), CIB_OK, NULL);
    expect_status(e, cib_pipeline_remove(e->ctx, "support", CIB_NTS), CIB_ECONFLICT,
                  "pipeline 'support' is used by the ticket rule of channel");
    /* The removed pipeline cannot be named by a rule any more. */
    t = rule("sales", "won");
    expect_status(e, cib_channel_set_tickets(e->ctx, "mail", CIB_NTS, &t), CIB_EINVAL,
                  "pipeline 'sales' does not exist");
    /* Tickets opened in it keep its name, also after a restart. */
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", NULL);
    tenv_reopen(e);
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", NULL);
    expect_ticket_props(e, a.ticket, 2);
    /* Added again, it can be used again. */
    add_pipeline(e, "sales", SALES, 3);
    t = rule("sales", "won");
    set_tickets(e, "mail", &t);
    tenv_free(e);
}

/* A rule naming a removed user reverts to the assignee policy, in memory
 * and in the store; tickets they owned keep the id recorded. */
static void test_user_removal_R_TICKET_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    route_to(e, "auto", "alice");
    user_status(e, "alice", CIB_AVAILABLE);
    cib_ticket_def t = rule_props("sales", "lead");
    t.owner = CIB_TICKET_OWNER_USER;
    t.owner_user = "carl";
    set_tickets(e, "auto", &t);
    t.owner_user = "bob";
    set_tickets(e, "mail", &t);
    expect_rule(e, "auto", 1, "sales", "lead", CIB_TICKET_OWNER_USER, "carl");
    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", NULL);
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", "carl");

    /* carl is in no routing rule and no access list: only the ticket rule
     * names them. */
    expect_status(e, cib_user_remove(e->ctx, "carl", CIB_NTS), CIB_OK, NULL);
    expect_rule(e, "auto", 1, "sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    expect_rule(e, "mail", 1, "sales", "lead", CIB_TICKET_OWNER_USER, "bob");
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", "carl");
    cib_ingest_result b = in(e, "auto", "a2", "carol@example.test", NULL);
    expect_ticket(e, b.ticket, b.conversation, "sales", "lead", "alice");
    expect_ticket_props(e, b.ticket, 2); /* the rest of the rule is kept */
    tenv_reopen(e);
    expect_rule(e, "auto", 1, "sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", "carl");

    /* bob is on the inbox's access list as well. */
    expect_status(e, cib_user_remove(e->ctx, "bob", CIB_NTS), CIB_OK, NULL);
    expect_rule(e, "mail", 1, "sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    tenv_reopen(e);
    expect_rule(e, "mail", 1, "sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    expect_rule(e, "auto", 1, "sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    cib_ingest_result m = in(e, "mail", "m1", "dave@example.test", NULL);
    expect_ticket(e, m.ticket, m.conversation, "sales", "lead", NULL);
    /* A user added again with the same id is not the rule's owner. */
    add_user(e, "bob", "bob@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    expect_rule(e, "mail", 1, "sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL);

    /* The assignee who owns tickets is removed: the tickets keep the id. */
    expect_status(e, cib_user_remove(e->ctx, "alice", CIB_NTS), CIB_OK, NULL);
    expect_ticket(e, b.ticket, b.conversation, "sales", "lead", "alice");
    tenv_free(e);
}

/* ---- reading tickets ---- */

/* A ticket is read as its conversation is: a user who may not view the
 * inbox gets not found, for open and closed conversations alike. */
static void test_ticket_access_R_ACCESS_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", NULL);
    cib_ingest_result b = in(e, "auto", "a2", "carol@example.test", NULL);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, b.conversation), CIB_OK, NULL);
    const uint64_t tickets[] = {a.ticket, b.ticket}, convs[] = {a.conversation, b.conversation};
    for (size_t i = 0; i < 2; i++) {
        cib_ticket_info t = CIB_TICKET_INFO_INIT;
        const char *viewers[] = {"alice", "bob", "dana"};
        for (size_t k = 0; k < 3; k++) {
            expect_status(e, cib_ticket_get(e->ctx, viewers[k], CIB_NTS, tickets[i], &t), CIB_OK,
                          NULL);
            assert_true(t.id == tickets[i]);
            assert_true(t.conversation == convs[i]);
            assert_string_equal(t.pipeline, "sales");
        }
        char want[64];
        snprintf(want, sizeof want, "ticket %llu not found", (unsigned long long)tickets[i]);
        cib_ticket_info none = CIB_TICKET_INFO_INIT;
        expect_status(e, cib_ticket_get(e->ctx, "carl", CIB_NTS, tickets[i], &none), CIB_ENOTFOUND,
                      want);
        assert_true(none.id == 0);
        assert_null(none.pipeline);
        /* The same answer as for a ticket that does not exist. */
        cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
        expect_status(e, cib_conversation_get(e->ctx, "carl", CIB_NTS, convs[i], &ci),
                      CIB_ENOTFOUND, NULL);
    }
    /* Access given: carl sees them; taken away: not any more. */
    const char *users[] = {"alice", "bob", "carl"};
    cib_access_def acc = CIB_ACCESS_DEF_INIT;
    acc.everyone = 0;
    acc.users = users;
    acc.n_users = 3;
    expect_status(e, cib_inbox_set_access(e->ctx, "support", CIB_NTS, &acc), CIB_OK, NULL);
    cib_ticket_info t = CIB_TICKET_INFO_INIT;
    expect_status(e, cib_ticket_get(e->ctx, "carl", CIB_NTS, b.ticket, &t), CIB_OK, NULL);
    acc.n_users = 2;
    expect_status(e, cib_inbox_set_access(e->ctx, "support", CIB_NTS, &acc), CIB_OK, NULL);
    expect_status(e, cib_ticket_get(e->ctx, "carl", CIB_NTS, a.ticket, &t), CIB_ENOTFOUND, NULL);
    tenv_free(e);
}

static int call_get_user(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    cib_ticket_info t = CIB_TICKET_INFO_INIT;
    return cib_ticket_get(ctx, s, n, *(const uint64_t *)arg, &t);
}

/* cib_ticket_get's arguments: unknown ids, users and bad strings. */
static void test_ticket_get_bad_inputs(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", NULL);
    char *before = tenv_snapshot(e);
    cib_ticket_info t = CIB_TICKET_INFO_INIT;
    expect_status(e, cib_ticket_get(e->ctx, NULL, 0, 0, &t), CIB_ENOTFOUND, "ticket 0 not found");
    expect_status(e, cib_ticket_get(e->ctx, NULL, 0, a.ticket + 1000, &t), CIB_ENOTFOUND,
                  "not found");
    expect_status(e, cib_ticket_get(e->ctx, NULL, 0, UINT64_MAX, &t), CIB_ENOTFOUND, "not found");
    expect_status(e, cib_ticket_get(e->ctx, "zed", CIB_NTS, a.ticket, &t), CIB_ENOTFOUND,
                  "user 'zed' not found");
    expect_status(e, cib_ticket_get(e->ctx, NULL, 0, a.ticket, NULL), CIB_EINVAL, "'out' is NULL");
    /* An unknown user is not found even for a ticket that does not exist. */
    expect_status(e, cib_ticket_get(e->ctx, "zed", CIB_NTS, 0, &t), CIB_ENOTFOUND, "user 'zed'");
    cib_ticket_info small = CIB_TICKET_INFO_INIT;
    small.size = 3;
    expect_status(e, cib_ticket_get(e->ctx, NULL, 0, a.ticket, &small), CIB_EINVAL, "'out");
    expect_bad_optional_strings(e, "user", call_get_user, &a.ticket);
    expect_unchanged(e, before);
    free(before);
    /* A counted user id. */
    expect_status(e, cib_ticket_get(e->ctx, "aliceXYZ", 5, a.ticket, &t), CIB_OK, NULL);
    assert_true(t.id == a.ticket);
    tenv_free(e);
}

/* The strings of a ticket outlive read-only calls and stay valid until the
 * next cib_ticket_get() (run it under ASan or valgrind). */
static void test_ticket_strings_lifetime(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", NULL);
    cib_ingest_result b = in(e, "auto", "a2", "carol@example.test", NULL);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, b.conversation), CIB_OK, NULL);
    cib_ticket_info t = ticket_of(e, b.ticket);
    conv_of(e, a.conversation);
    conv_of(e, b.conversation);
    cib_ticket_info bad = CIB_TICKET_INFO_INIT;
    expect_status(e, cib_ticket_get(e->ctx, "carl", CIB_NTS, a.ticket, &bad), CIB_ENOTFOUND, NULL);
    assert_string_equal(t.pipeline, "sales");
    assert_string_equal(t.stage, "lead");
    assert_string_equal(t.property_keys[1], "source");
    assert_string_equal(t.property_values[1], "web form");
    tenv_free(e);
}

/* Reading a ticket under allocation and storage failures: each fails
 * cleanly (nomem or storage, nothing leaked, nothing changed), then works. */
static void read_sweep(tenv *e, uint64_t ticket, const char *user, int store)
{
    char *before = tenv_snapshot(e);
    for (long n = 0;; n++) {
        assert_true(n < 10000);
        long live = e->fa.live;
        if (store)
            e->fs.fail_at = e->fs.calls + n;
        else
            e->fa.fail_at = e->fa.count + n;
        cib_ticket_info t = CIB_TICKET_INFO_INIT;
        int rc = cib_ticket_get(e->ctx, user, CIB_NTS, ticket, &t);
        e->fa.fail_at = -1;
        e->fs.fail_at = -1;
        if (rc == CIB_OK) {
            assert_true(t.id == ticket);
            assert_string_equal(t.pipeline, "sales");
            break;
        }
        expect_status(e, rc, store ? CIB_ESTORAGE : CIB_ENOMEM, NULL);
        assert_true(cib_errmsg(e->ctx)[0] != '\0');
        assert_int_equal(e->fa.live, live);
        expect_unchanged(e, before);
    }
    free(before);
}

static void test_ticket_get_failures(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", NULL);
    cib_ingest_result b = in(e, "auto", "a2", "carol@example.test", NULL);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, b.conversation), CIB_OK, NULL);
    for (int store = 0; store < 2; store++) {
        read_sweep(e, a.ticket, NULL, store);
        read_sweep(e, b.ticket, NULL, store); /* its conversation is read from the store */
        read_sweep(e, b.ticket, "alice", store);
    }
    tenv_free(e);
}

/* R-TICKET-1: default properties as given: counted strings, empty values,
 * up to 64 of them, copied from the caller. */
static void test_rule_properties_R_TICKET_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    char kbuf[64][8], vbuf[64][8];
    const char *keys[64], *values[64];
    for (int i = 0; i < 64; i++) {
        snprintf(kbuf[i], sizeof kbuf[i], "k%02d", i);
        snprintf(vbuf[i], sizeof vbuf[i], "v%d", i);
        keys[i] = kbuf[i];
        values[i] = vbuf[i];
    }
    values[1] = ""; /* a value may be empty */
    cib_ticket_def t = rule("sales", "lead");
    t.property_keys = keys;
    t.property_values = values;
    t.n_properties = 64;
    set_tickets(e, "mail", &t);
    memset(kbuf, 'x', sizeof kbuf); /* the rule holds copies */
    memset(vbuf, 'x', sizeof vbuf);
    cib_ingest_result r = in(e, "mail", "m1", "carol@example.test", NULL);
    cib_ticket_info ti = ticket_of(e, r.ticket);
    assert_int_equal(ti.n_properties, 64);
    for (size_t i = 0; i < 64; i++) {
        char k[8], v[8];
        snprintf(k, sizeof k, "k%02zu", i);
        snprintf(v, sizeof v, "v%zu", i);
        assert_string_equal(ti.property_keys[i], k);
        assert_string_equal(ti.property_values[i], i == 1 ? "" : v);
    }
    /* Counted keys and values. */
    const char *ck[] = {"regionXX", "tier"}, *cv[] = {"emeaYY", "gold"};
    const size_t ckl[] = {6, CIB_NTS}, cvl[] = {4, CIB_NTS};
    cib_ticket_def c = rule("sales", "lead");
    c.property_keys = ck;
    c.property_key_lens = ckl;
    c.property_values = cv;
    c.property_value_lens = cvl;
    c.n_properties = 2;
    set_tickets(e, "mail", &c);
    tenv_reopen(e);
    cib_ingest_result r2 = in(e, "mail", "m2", "carol@example.test", NULL);
    ti = ticket_of(e, r2.ticket);
    assert_int_equal(ti.n_properties, 2);
    assert_string_equal(ti.property_keys[0], "region");
    assert_string_equal(ti.property_values[0], "emea");
    assert_string_equal(ti.property_keys[1], "tier");
    assert_string_equal(ti.property_values[1], "gold");
    /* The earlier ticket kept all 64. */
    assert_int_equal(ticket_of(e, r.ticket).n_properties, 64);
    tenv_free(e);
}

static char *dump(tenv *e)
{
    char *text = NULL;
    expect_status(e, cib_dump(e->ctx, &text, NULL), CIB_OK, NULL);
    char *copy = strdup(text);
    cib_free(e->ctx, text);
    assert_non_null(copy);
    return copy;
}

/* cib_dump shows "every stored property": two rules that differ only in
 * their default ticket properties are two different accounts. */
static void test_dump_shows_rule_R_TICKET_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    char *with = dump(e);
    cib_ticket_def t = rule("sales", "lead"); /* "auto" without its properties */
    set_tickets(e, "auto", &t);
    char *without = dump(e);
    assert_string_not_equal(with, without);
    free(with);
    free(without);
    tenv_free(e);
}

/* R-INBOX-3: deleting an inbox deletes its conversations' tickets with
 * them, and frees the pipelines its channels' rules used. */
static void test_inbox_removal_R_TICKET_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    setup(e);
    add_inbox(e, "other", "Other");
    cib_ticket_def t = rule("support", "new");
    add_form(e, "form", "other", &t);
    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", NULL);
    cib_ingest_result f = in(e, "form", "f1", "carol@example.test", NULL);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, f.conversation), CIB_OK, NULL);
    cib_ingest_result g = in(e, "form", "f2", "carol@example.test", NULL);
    assert_int_equal(n_tickets(e), 3);
    expect_status(e, cib_pipeline_remove(e->ctx, "support", CIB_NTS), CIB_ECONFLICT, "'form'");
    expect_status(e, cib_inbox_remove(e->ctx, "other", CIB_NTS, "Other", CIB_NTS), CIB_OK, NULL);
    assert_int_equal(n_tickets(e), 1);
    cib_ticket_info ti = CIB_TICKET_INFO_INIT;
    expect_status(e, cib_ticket_get(e->ctx, NULL, 0, f.ticket, &ti), CIB_ENOTFOUND, NULL);
    expect_status(e, cib_ticket_get(e->ctx, NULL, 0, g.ticket, &ti), CIB_ENOTFOUND, NULL);
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", NULL);
    expect_status(e, cib_pipeline_remove(e->ctx, "support", CIB_NTS), CIB_OK, NULL);
    tenv_reopen(e);
    expect_status(e, cib_ticket_get(e->ctx, NULL, 0, g.ticket, &ti), CIB_ENOTFOUND, NULL);
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", NULL);
    tenv_free(e);
}

/* ---- R-HOST-3: events ---- */

/* R-HOST-3: a new conversation that is routed and opens a ticket reports
 * CONVERSATION_CREATED, ASSIGNED, TICKET_CREATED, MESSAGE_ADDED in this
 * order, after the commit; TICKET_CREATED names the conversation, inbox,
 * channel, contact, ticket and owner. A join reports only MESSAGE_ADDED; a
 * failed attempt reports nothing. */
static void test_events_R_HOST_3(void **state)
{
    (void)state;
    struct evlog log;
    tenv *e = tenv_with_events(&log);
    setup(e);
    route_to(e, "auto", "alice");
    user_status(e, "alice", CIB_AVAILABLE);
    cib_ticket_def t = rule("sales", "won");
    t.owner = CIB_TICKET_OWNER_USER;
    t.owner_user = "bob";
    set_tickets(e, "mail", &t);
    route_to(e, "mail", "alice");
    log.n = 0;

    cib_ingest_result a = in(e, "auto", "a1", "carol@example.test", "t1");
    assert_int_equal(log.n, 4);
    static const int order[] = {CIB_EVENT_CONVERSATION_CREATED, CIB_EVENT_ASSIGNED,
                                CIB_EVENT_TICKET_CREATED, CIB_EVENT_MESSAGE_ADDED};
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(log.v[i].type, order[i]);
        assert_true(log.v[i].conversation == a.conversation);
        assert_string_equal(log.v[i].inbox, "support");
        assert_string_equal(log.v[i].channel, "auto");
    }
    const struct ev *tk = &log.v[2];
    assert_true(tk->ticket == a.ticket);
    assert_string_equal(tk->contact, a.contact);
    assert_string_equal(tk->user, "alice");
    assert_true(tk->message == 0);
    assert_true(log.v[0].ticket == 0 && log.v[1].ticket == 0 && log.v[3].ticket == 0);
    assert_string_equal(log.v[1].user, "alice");
    assert_true(log.v[3].message == a.message);
    /* The ticket was readable from the callback. */
    assert_int_equal(log.ticket_rc, CIB_OK);
    assert_true(log.ticket_conv == a.conversation);
    assert_string_equal(log.ticket_owner, "alice");

    /* Owner bob, assignee alice: each event names its own user. */
    log.n = 0;
    cib_ingest_result m = in(e, "mail", "m1", "dave@example.test", NULL);
    assert_int_equal(log.n, 4);
    assert_int_equal(log.v[1].type, CIB_EVENT_ASSIGNED);
    assert_string_equal(log.v[1].user, "alice");
    assert_int_equal(log.v[2].type, CIB_EVENT_TICKET_CREATED);
    assert_true(log.v[2].ticket == m.ticket);
    assert_string_equal(log.v[2].user, "bob");
    assert_string_equal(log.v[2].channel, "mail");
    assert_string_equal(log.v[2].contact, m.contact);
    assert_string_equal(log.ticket_owner, "bob");

    /* Unassigned: no ASSIGNED, and the ticket has no owner. */
    user_status(e, "alice", CIB_OFFLINE);
    log.n = 0;
    cib_ingest_result u = in(e, "auto", "a2", "erin@example.test", NULL);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.v[0].type, CIB_EVENT_CONVERSATION_CREATED);
    assert_int_equal(log.v[1].type, CIB_EVENT_TICKET_CREATED);
    assert_int_equal(log.v[2].type, CIB_EVENT_MESSAGE_ADDED);
    assert_true(log.v[1].ticket == u.ticket);
    assert_string_equal(log.v[1].user, "-");

    /* A join: the message only. */
    log.n = 0;
    in(e, "auto", "a3", "carol@example.test", "t1");
    assert_int_equal(log.n, 1);
    assert_int_equal(log.v[0].type, CIB_EVENT_MESSAGE_ADDED);

    /* Failed attempts report nothing; the one that succeeds reports all. */
    cib_inbound fm = msg("auto", "a4", "frank@example.test", NULL);
    cib_ingest_result fr = CIB_INGEST_RESULT_INIT;
    for (long n = 0;; n++) {
        assert_true(n < 1000);
        log.n = 0;
        e->fs.fail_at = e->fs.calls + n;
        int rc = cib_ingest(e->ctx, &fm, &fr);
        e->fs.fail_at = -1;
        if (rc == CIB_OK)
            break;
        expect_status(e, rc, CIB_ESTORAGE, NULL);
        assert_int_equal(log.n, 0);
    }
    assert_int_equal(log.n, 3);
    assert_int_equal(log.v[1].type, CIB_EVENT_TICKET_CREATED);
    assert_true(log.v[1].ticket == fr.ticket);
    /* Changing the rule emits nothing. */
    log.n = 0;
    t = rule_off();
    set_tickets(e, "auto", &t);
    assert_int_equal(log.n, 0);
    tenv_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_conversations_open_tickets_R_TICKET_1),
        cmocka_unit_test(test_switched_on_and_off_R_TICKET_1),
        cmocka_unit_test(test_update_keeps_or_replaces_rule_R_TICKET_1),
        cmocka_unit_test(test_rule_checked_R_TICKET_2),
        cmocka_unit_test(test_rule_bad_strings_R_TICKET_2),
        cmocka_unit_test(test_owner_policy_R_TICKET_3),
        cmocka_unit_test(test_owner_from_other_routing_R_TICKET_3),
        cmocka_unit_test(test_form_channel_R_TICKET_4),
        cmocka_unit_test(test_form_update_keeps_rule_R_TICKET_4),
        cmocka_unit_test(test_ids_distinct_R_TICKET_5),
        cmocka_unit_test(test_sweep_ingest_R_TICKET_5),
        cmocka_unit_test(test_ingest_failures_leave_nothing_R_TICKET_5),
        cmocka_unit_test(test_sweep_set_tickets_R_TICKET_5),
        cmocka_unit_test(test_sweep_removals_R_TICKET_3),
        cmocka_unit_test(test_duplicates_R_CONV_3),
        cmocka_unit_test(test_duplicate_reports_first_ticket_R_CONV_3),
        cmocka_unit_test(test_persistence_R_TICKET_1),
        cmocka_unit_test(test_pipeline_removal_R_TICKET_2),
        cmocka_unit_test(test_user_removal_R_TICKET_3),
        cmocka_unit_test(test_ticket_access_R_ACCESS_3),
        cmocka_unit_test(test_ticket_get_bad_inputs),
        cmocka_unit_test(test_ticket_strings_lifetime),
        cmocka_unit_test(test_ticket_get_failures),
        cmocka_unit_test(test_rule_properties_R_TICKET_1),
        cmocka_unit_test(test_dump_shows_rule_R_TICKET_1),
        cmocka_unit_test(test_inbox_removal_R_TICKET_2),
        cmocka_unit_test(test_events_R_HOST_3),
    };
    return TENV_RUN(tests);
}
