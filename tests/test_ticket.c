/* test_ticket.c - the tickets new conversations open (R-TICKET-1, 3, 5): a
 * ticket for each new conversation while a channel's rule is on, its owner,
 * one atomic step with the conversation and its failure sweeps, distinct ids,
 * duplicates (R-CONV-3) and events (R-HOST-3). The rules themselves (checks,
 * forms, persistence, removals) and reading tickets are in
 * test_ticket_rules.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/storetest.h"
#include "support/tickettest.h"

/* ---- R-TICKET-1: a ticket for each new conversation ---- */

/* R-TICKET-1: each new conversation on a channel with an automatic rule opens
 * exactly one ticket in the rule's pipeline and stage, with its default
 * properties, the clock's time and the conversation; joining, reopening and
 * other channels open none. */
static void test_new_conversations_open_tickets_R_TICKET_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    ticket_setup(e);
    expect_rule(e, "auto", 1, "sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    expect_rule(e, "mail", 0, NULL, NULL, 0, NULL);
    e->now += 12345;
    cib_ingest_result a = ingest_msg(e, "auto", "a1", "carol@example.test", "<t1@mail>");
    assert_int_equal(a.created, 1);
    assert_true(a.ticket != 0);
    assert_true(conv_info(e, a.conversation).ticket == a.ticket);
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", NULL);
    expect_ticket_props(e, a.ticket, 2);
    cib_ticket_info t = ticket_of(e, a.ticket);
    assert_int_equal(t.created_at, TENV_EPOCH_MS + 12345);
    assert_int_equal(n_tickets(e), 1);

    /* The same thread joins the conversation: no second ticket. */
    e->now += 1000;
    cib_ingest_result b = ingest_msg(e, "auto", "a2", "carol@example.test", "<t1@mail>");
    assert_int_equal(b.created, 0);
    assert_true(b.conversation == a.conversation);
    assert_true(b.ticket == 0);
    assert_true(conv_info(e, a.conversation).ticket == a.ticket);
    assert_int_equal(n_tickets(e), 1);
    /* The first ticket is as it was (created_at did not move). */
    assert_int_equal(ticket_of(e, a.ticket).created_at, TENV_EPOCH_MS + 12345);

    /* Another thread: another conversation, another ticket. */
    cib_ingest_result c = ingest_msg(e, "auto", "a3", "carol@example.test", "<t2@mail>");
    assert_int_equal(c.created, 1);
    assert_true(c.ticket != 0 && c.ticket != a.ticket);
    assert_int_equal(ticket_of(e, c.ticket).created_at, TENV_EPOCH_MS + 13345);
    expect_ticket(e, c.ticket, c.conversation, "sales", "lead", NULL);
    assert_int_equal(n_tickets(e), 2);

    /* Without a thread key every message is a new conversation: each opens
     * its own ticket. */
    cib_ingest_result d1 = ingest_msg(e, "auto", "a4", "dave@example.test", NULL);
    cib_ingest_result d2 = ingest_msg(e, "auto", "a5", "dave@example.test", NULL);
    assert_true(d1.ticket != 0 && d2.ticket != 0 && d1.ticket != d2.ticket);
    assert_int_equal(n_tickets(e), 4);

    /* A closed conversation that reopens is not new: no ticket. */
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, a.conversation), CIB_OK, NULL);
    assert_true(conv_info(e, a.conversation).ticket == a.ticket); /* read from the store */
    cib_ingest_result r = ingest_msg(e, "auto", "a6", "carol@example.test", "<t1@mail>");
    assert_int_equal(r.reopened, 1);
    assert_true(r.ticket == 0);
    assert_true(conv_info(e, a.conversation).ticket == a.ticket);
    assert_int_equal(n_tickets(e), 4);

    /* A channel without a rule opens none. */
    cib_ingest_result m = ingest_msg(e, "mail", "m1", "carol@example.test", NULL);
    assert_int_equal(m.created, 1);
    assert_true(m.ticket == 0);
    assert_true(conv_info(e, m.conversation).ticket == 0);
    assert_int_equal(n_tickets(e), 4);

    /* A disabled channel keeps nothing, so opens no ticket. */
    expect_status(e, cib_channel_set_status(e->ctx, "auto", CIB_NTS, CIB_CHANNEL_DISABLED), CIB_OK,
                  NULL);
    cib_inbound dm = inbound_msg("auto", "a7", "erin@example.test", NULL);
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
    ticket_setup(e);
    cib_ingest_result before = ingest_msg(e, "mail", "m1", "carol@example.test", "<old@mail>");
    assert_true(before.ticket == 0);

    cib_ticket_def t = rule("support", "open");
    set_tickets(e, "mail", &t);
    expect_rule(e, "mail", 1, "support", "open", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    /* The conversation from before stays without a ticket, also when its
     * thread goes on. */
    cib_ingest_result join = ingest_msg(e, "mail", "m2", "carol@example.test", "<old@mail>");
    assert_int_equal(join.created, 0);
    assert_true(join.ticket == 0);
    assert_true(conv_info(e, before.conversation).ticket == 0);
    assert_int_equal(n_tickets(e), 0);
    /* New conversations get one, without default properties. */
    cib_ingest_result after = ingest_msg(e, "mail", "m3", "carol@example.test", "<new@mail>");
    assert_true(after.ticket != 0);
    expect_ticket(e, after.ticket, after.conversation, "support", "open", NULL);
    expect_ticket_props(e, after.ticket, 0);

    /* Replaced by another rule: later tickets follow it, earlier ones keep
     * what they got. */
    t = rule_props("sales", "won");
    set_tickets(e, "mail", &t);
    cib_ingest_result won = ingest_msg(e, "mail", "m4", "carol@example.test", NULL);
    expect_ticket(e, won.ticket, won.conversation, "sales", "won", NULL);
    expect_ticket_props(e, won.ticket, 2);
    expect_ticket(e, after.ticket, after.conversation, "support", "open", NULL);
    expect_ticket_props(e, after.ticket, 0);

    /* Switched off: none, and the rule is gone. */
    t = rule_off();
    set_tickets(e, "mail", &t);
    expect_rule(e, "mail", 0, NULL, NULL, 0, NULL);
    cib_ingest_result off = ingest_msg(e, "mail", "m5", "carol@example.test", NULL);
    assert_int_equal(off.created, 1);
    assert_true(off.ticket == 0);
    assert_true(conv_info(e, off.conversation).ticket == 0);
    assert_int_equal(n_tickets(e), 2);
    expect_ticket(e, after.ticket, after.conversation, "support", "open", NULL);
    /* NULL switches it off too. */
    t = rule("sales", "won");
    set_tickets(e, "mail", &t);
    expect_status(e, cib_channel_set_tickets(e->ctx, "mail", CIB_NTS, NULL), CIB_OK, NULL);
    expect_rule(e, "mail", 0, NULL, NULL, 0, NULL);
    assert_true(ingest_msg(e, "mail", "m6", "carol@example.test", NULL).ticket == 0);

    /* A channel can also be created with its rule, or with one that is off. */
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "chat";
    d.inbox = "support";
    d.type = CIB_CHANNEL_CHAT;
    t = rule("support", "new");
    d.tickets = &t;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    expect_rule(e, "chat", 1, "support", "new", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    cib_ingest_result ch = ingest_msg(e, "chat", "c1", "visitor-1", "session-1");
    expect_ticket(e, ch.ticket, ch.conversation, "support", "new", NULL);
    d.id = "chat2";
    t = rule_off();
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    expect_rule(e, "chat2", 0, NULL, NULL, 0, NULL);
    assert_true(ingest_msg(e, "chat2", "c1", "visitor-2", "session-2").ticket == 0);
    tenv_free(e);
}

/* R-TICKET-1: cib_channel_update keeps the ticket rule when def->tickets is
 * NULL, and replaces it (as cib_channel_set_tickets) when it is given. */
static void test_update_keeps_or_replaces_rule_R_TICKET_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    ticket_setup(e);
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
    cib_ingest_result a = ingest_msg(e, "auto", "a1", "carol@example.test", NULL);
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", NULL);
    expect_ticket_props(e, a.ticket, 2); /* the ticket's, not the conversation's */
    assert_int_equal(conv_info(e, a.conversation).n_properties, 1);

    cib_ticket_def t = rule("support", "done");
    t.owner = CIB_TICKET_OWNER_NONE;
    d.tickets = &t;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
    expect_rule(e, "auto", 1, "support", "done", CIB_TICKET_OWNER_NONE, NULL);
    cib_ingest_result b = ingest_msg(e, "auto", "a2", "carol@example.test", NULL);
    expect_ticket(e, b.ticket, b.conversation, "support", "done", NULL);
    expect_ticket_props(e, b.ticket, 0);

    t = rule_off();
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
    expect_rule(e, "auto", 0, NULL, NULL, 0, NULL);
    assert_true(ingest_msg(e, "auto", "a3", "carol@example.test", NULL).ticket == 0);
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
    cib_ingest_result r = ingest_msg(e, channel, msg_id, "carol@example.test", NULL);
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
    ticket_setup(e);
    route_to(e, "auto", "alice");
    set_status(e, "alice", CIB_AVAILABLE);
    /* ASSIGNEE: the user routing picked. */
    uint64_t t1 = expect_owner(e, &log, "auto", "a1", "alice", "alice");
    /* ... and nobody when nobody is available. */
    set_status(e, "alice", CIB_OFFLINE);
    uint64_t t2 = expect_owner(e, &log, "auto", "a2", NULL, NULL);
    /* ... also on a channel that assigns no one. */
    cib_ticket_def t = rule("sales", "lead");
    set_tickets(e, "mail", &t);
    expect_owner(e, &log, "mail", "m1", NULL, NULL);

    /* NONE: no owner, though alice is assigned. */
    set_status(e, "alice", CIB_AVAILABLE);
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
    set_status(e, "alice", CIB_OFFLINE);
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
    expect_str(conv_info(e, c2).assignee, "bob");
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
    ticket_setup(e);
    cib_contact_def c = CIB_CONTACT_DEF_INIT;
    c.id = "carol";
    c.email = "carol@example.test";
    c.owner = "bob";
    expect_status(e, cib_contact_add(e->ctx, &c), CIB_OK, NULL);
    set_status(e, "bob", CIB_AVAILABLE);
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = CIB_ROUTE_CONTACT_OWNER;
    expect_status(e, cib_channel_set_routing(e->ctx, "auto", CIB_NTS, &r), CIB_OK, NULL);
    cib_ingest_result a = ingest_msg(e, "auto", "a1", "carol@example.test", NULL);
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
    cib_ingest_result w = ingest_msg(e, "auto", "a2", "dave@example.test", NULL);
    assert_int_equal(w.queued, 1);
    assert_null(w.assignee);
    expect_ticket(e, w.ticket, w.conversation, "sales", "lead", NULL);
    set_status(e, "alice", CIB_AVAILABLE);
    expect_str(conv_info(e, w.conversation).assignee, "alice");
    expect_ticket(e, w.ticket, w.conversation, "sales", "lead", NULL);
    tenv_free(e);
}

/* ---- R-TICKET-5: one atomic step; ids ---- */

/* Library ids come from one sequence: tickets, conversations and messages
 * never share an id, and one kind's id is not found as another kind. */
static void test_ids_distinct_R_TICKET_5(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    ticket_setup(e);
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
        cib_ingest_result r =
            ingest_msg(e, "auto", traffic[i].msg_id, traffic[i].from, traffic[i].thread);
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
    cib_ingest_result r = ingest_msg(e, "auto", "b1", "frank@example.test", NULL);
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
    ticket_setup(e);
    route_to(e, "auto", "alice");
    set_status(e, "alice", CIB_AVAILABLE);
    ingest_msg(e, "auto", "a1", "carol@example.test", "open-thread");
    cib_ingest_result c = ingest_msg(e, "auto", "a2", "carol@example.test", "closed-thread");
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
    cib_inbound m = inbound_msg(o->channel, o->msg_id, o->from, o->thread);
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
    cib_inbound m = inbound_msg("auto", "x1", "new@example.test", NULL);
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
    assert_true(conv_info(e, r.conversation).ticket == r.ticket);
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
    ticket_setup(e);
    cib_ingest_result a = ingest_msg(e, "auto", "a1", "carol@example.test", NULL);
    assert_true(a.ticket != 0);
    assert_int_equal(n_tickets(e), 1);
    char *before = tenv_snapshot(e);
    log.n = 0;
    cib_ingest_result b = ingest_msg(e, "auto", "a1", "carol@example.test", NULL);
    assert_int_equal(b.duplicate, 1);
    assert_true(b.conversation == a.conversation);
    assert_true(b.message == a.message);
    assert_int_equal(n_tickets(e), 1);
    assert_int_equal(log.n, 0); /* no events */
    expect_unchanged(e, before);
    /* With a thread key on the repeat, still the same message. */
    cib_ingest_result c = ingest_msg(e, "auto", "a1", "carol@example.test", "thread");
    assert_int_equal(c.duplicate, 1);
    expect_unchanged(e, before);
    free(before);
    assert_true(conv_info(e, a.conversation).ticket == a.ticket);
    /* Also a form (every submission is new, but not a repeated one). */
    cib_ticket_def t = rule("support", "new");
    add_form(e, "form", "support", &t);
    cib_ingest_result f = ingest_msg(e, "form", "f1", "carol@example.test", NULL);
    cib_ingest_result g = ingest_msg(e, "form", "f1", "carol@example.test", NULL);
    assert_int_equal(g.duplicate, 1);
    assert_true(g.conversation == f.conversation);
    assert_int_equal(n_tickets(e), 2);
    /* Remembered across a restart. */
    tenv_reopen(e);
    log.ctx = e->ctx;
    cib_ingest_result h = ingest_msg(e, "auto", "a1", "carol@example.test", NULL);
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
    ticket_setup(e);
    cib_ingest_result a = ingest_msg(e, "auto", "a1", "carol@example.test", "t");
    cib_ingest_result j = ingest_msg(e, "auto", "a2", "carol@example.test", "t");
    assert_true(j.ticket == 0);
    cib_ingest_result b = ingest_msg(e, "auto", "a1", "carol@example.test", "t");
    assert_int_equal(b.duplicate, 1);
    assert_true(b.ticket == a.ticket);
    /* The joining message opened none, and its repeat says so. */
    cib_ingest_result k = ingest_msg(e, "auto", "a2", "carol@example.test", "t");
    assert_int_equal(k.duplicate, 1);
    assert_true(k.ticket == 0);
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
    ticket_setup(e);
    route_to(e, "auto", "alice");
    set_status(e, "alice", CIB_AVAILABLE);
    cib_ticket_def t = rule("sales", "won");
    t.owner = CIB_TICKET_OWNER_USER;
    t.owner_user = "bob";
    set_tickets(e, "mail", &t);
    route_to(e, "mail", "alice");
    log.n = 0;

    cib_ingest_result a = ingest_msg(e, "auto", "a1", "carol@example.test", "t1");
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
    cib_ingest_result m = ingest_msg(e, "mail", "m1", "dave@example.test", NULL);
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
    set_status(e, "alice", CIB_OFFLINE);
    log.n = 0;
    cib_ingest_result u = ingest_msg(e, "auto", "a2", "erin@example.test", NULL);
    assert_int_equal(log.n, 3);
    assert_int_equal(log.v[0].type, CIB_EVENT_CONVERSATION_CREATED);
    assert_int_equal(log.v[1].type, CIB_EVENT_TICKET_CREATED);
    assert_int_equal(log.v[2].type, CIB_EVENT_MESSAGE_ADDED);
    assert_true(log.v[1].ticket == u.ticket);
    assert_string_equal(log.v[1].user, "-");

    /* A join: the message only. */
    log.n = 0;
    ingest_msg(e, "auto", "a3", "carol@example.test", "t1");
    assert_int_equal(log.n, 1);
    assert_int_equal(log.v[0].type, CIB_EVENT_MESSAGE_ADDED);

    /* Failed attempts report nothing; the one that succeeds reports all. */
    cib_inbound fm = inbound_msg("auto", "a4", "frank@example.test", NULL);
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
        cmocka_unit_test(test_owner_policy_R_TICKET_3),
        cmocka_unit_test(test_owner_from_other_routing_R_TICKET_3),
        cmocka_unit_test(test_ids_distinct_R_TICKET_5),
        cmocka_unit_test(test_sweep_ingest_R_TICKET_5),
        cmocka_unit_test(test_ingest_failures_leave_nothing_R_TICKET_5),
        cmocka_unit_test(test_sweep_set_tickets_R_TICKET_5),
        cmocka_unit_test(test_sweep_removals_R_TICKET_3),
        cmocka_unit_test(test_duplicates_R_CONV_3),
        cmocka_unit_test(test_duplicate_reports_first_ticket_R_CONV_3),
        cmocka_unit_test(test_events_R_HOST_3),
    };
    return TENV_RUN(tests);
}
