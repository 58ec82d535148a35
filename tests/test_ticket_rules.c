/* test_ticket_rules.c - ticket rules per channel (R-TICKET-1, 2, 4): checked
 * against the account's pipelines and as strings, form channels whose rule is
 * always on, default properties, rules and tickets kept across a restart,
 * pipelines, users and inboxes removed under rules and tickets, and reading a
 * ticket (cib_ticket_get: access, bad input, failures). The tickets new
 * conversations open are in test_ticket.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/tickettest.h"

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
    ticket_setup(e);
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
    /* The channel must exist. */
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
    ticket_setup(e);
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
    ticket_setup(e);
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
                  "needs an automatic ticket rule");
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
        cib_ingest_result r = ingest_msg(e, "form", id, "carol@example.test", NULL);
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
    assert_true(ingest_msg(e, "form", "f9", "carol@example.test", NULL).ticket != 0);
    tenv_free(e);
}

/* R-TICKET-4 with the manual's cib_channel_update: "the ticket rule is left
 * as it is when def->tickets is NULL". A form's settings (its default
 * properties) can be updated without repeating its rule, which stays on. */
static void test_form_update_keeps_rule_R_TICKET_4(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    ticket_setup(e);
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
    cib_ingest_result r = ingest_msg(e, "form", "f1", "carol@example.test", NULL);
    assert_true(r.ticket != 0);
    assert_int_equal(conv_info(e, r.conversation).n_properties, 1);
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
    ticket_setup(e);
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
    cib_ingest_result a = ingest_msg(e, "auto", "a1", "carol@example.test", NULL);
    cib_ingest_result m = ingest_msg(e, "mail", "m1", "carol@example.test", NULL);
    cib_ingest_result c = ingest_msg(e, "chat", "c1", "visitor-1", "s1");
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
    assert_true(conv_info(e, a.conversation).ticket == a.ticket);
    assert_true(conv_info(e, m.conversation).ticket == m.ticket); /* closed */
    /* The rules still work, and the new tickets are new. */
    cib_ingest_result a2 = ingest_msg(e, "auto", "a2", "dave@example.test", NULL);
    cib_ingest_result m2 = ingest_msg(e, "mail", "m2", "dave@example.test", NULL);
    assert_true(a2.ticket > c.ticket && m2.ticket > c.ticket && a2.ticket != m2.ticket);
    expect_ticket(e, m2.ticket, m2.conversation, "support", "done", "bob");
    expect_ticket_props(e, m2.ticket, 2);
    expect_ticket_props(e, a2.ticket, 2);
    assert_true(ingest_msg(e, "plain", "p1", "visitor-2", "s2").ticket == 0);
    /* The thread of a restored conversation joins it: no new ticket. */
    assert_true(ingest_msg(e, "chat", "c2", "visitor-1", "s1").ticket == 0);
    tenv_free(e);
}

/* ---- pipeline and user removal ---- */

/* A pipeline a rule uses cannot be removed; once the rule is off (or uses
 * another pipeline) it can, and tickets opened in it keep its name. */
static void test_pipeline_removal_R_TICKET_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    ticket_setup(e);
    cib_ticket_def t = rule("sales", "won");
    set_tickets(e, "mail", &t);
    cib_ingest_result a = ingest_msg(e, "auto", "a1", "carol@example.test", NULL);
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
    ticket_setup(e);
    route_to(e, "auto", "alice");
    set_status(e, "alice", CIB_AVAILABLE);
    cib_ticket_def t = rule_props("sales", "lead");
    t.owner = CIB_TICKET_OWNER_USER;
    t.owner_user = "carl";
    set_tickets(e, "auto", &t);
    t.owner_user = "bob";
    set_tickets(e, "mail", &t);
    expect_rule(e, "auto", 1, "sales", "lead", CIB_TICKET_OWNER_USER, "carl");
    cib_ingest_result a = ingest_msg(e, "auto", "a1", "carol@example.test", NULL);
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", "carl");

    /* carl is in no routing rule and no access list: only the ticket rule
     * names them. */
    expect_status(e, cib_user_remove(e->ctx, "carl", CIB_NTS), CIB_OK, NULL);
    expect_rule(e, "auto", 1, "sales", "lead", CIB_TICKET_OWNER_ASSIGNEE, NULL);
    expect_rule(e, "mail", 1, "sales", "lead", CIB_TICKET_OWNER_USER, "bob");
    expect_ticket(e, a.ticket, a.conversation, "sales", "lead", "carl");
    cib_ingest_result b = ingest_msg(e, "auto", "a2", "carol@example.test", NULL);
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
    cib_ingest_result m = ingest_msg(e, "mail", "m1", "dave@example.test", NULL);
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

/* The account of ticket_setup() with two tickets from "auto": a's
 * conversation is open, b's closed. */
static tenv *two_tickets(cib_ingest_result *a, cib_ingest_result *b)
{
    tenv *e = tenv_new();
    ticket_setup(e);
    *a = ingest_msg(e, "auto", "a1", "carol@example.test", NULL);
    *b = ingest_msg(e, "auto", "a2", "carol@example.test", NULL);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, b->conversation), CIB_OK, NULL);
    return e;
}

/* A ticket is read as its conversation is: a user who may not view the
 * inbox gets not found, for open and closed conversations alike. */
static void test_ticket_access_R_ACCESS_3(void **state)
{
    (void)state;
    cib_ingest_result a, b;
    tenv *e = two_tickets(&a, &b);
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
    ticket_setup(e);
    cib_ingest_result a = ingest_msg(e, "auto", "a1", "carol@example.test", NULL);
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
    cib_ingest_result a, b;
    tenv *e = two_tickets(&a, &b);
    cib_ticket_info t = ticket_of(e, b.ticket);
    conv_info(e, a.conversation);
    conv_info(e, b.conversation);
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
    cib_ingest_result a, b;
    tenv *e = two_tickets(&a, &b);
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
    ticket_setup(e);
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
    cib_ingest_result r = ingest_msg(e, "mail", "m1", "carol@example.test", NULL);
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
    cib_ingest_result r2 = ingest_msg(e, "mail", "m2", "carol@example.test", NULL);
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
    ticket_setup(e);
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
    ticket_setup(e);
    add_inbox(e, "other", "Other");
    cib_ticket_def t = rule("support", "new");
    add_form(e, "form", "other", &t);
    cib_ingest_result a = ingest_msg(e, "auto", "a1", "carol@example.test", NULL);
    cib_ingest_result f = ingest_msg(e, "form", "f1", "carol@example.test", NULL);
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, f.conversation), CIB_OK, NULL);
    cib_ingest_result g = ingest_msg(e, "form", "f2", "carol@example.test", NULL);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_checked_R_TICKET_2),
        cmocka_unit_test(test_rule_bad_strings_R_TICKET_2),
        cmocka_unit_test(test_form_channel_R_TICKET_4),
        cmocka_unit_test(test_form_update_keeps_rule_R_TICKET_4),
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
    };
    return TENV_RUN(tests);
}
