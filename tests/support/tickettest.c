/* tickettest.c - the helpers of tickettest.h. */
#include "storetest.h"
#include "tickettest.h"

const char *const SALES[3] = {"lead", "qualified", "won"};
static const char *const SUPPORT[] = {"new", "open", "done"};
/* The default properties of "auto". */
static const char *const KEYS[] = {"priority", "source"};
static const char *const VALUES[] = {"high", "web form"};

void add_pipeline(tenv *e, const char *id, const char *const *stages, size_t n)
{
    cib_pipeline_def d = CIB_PIPELINE_DEF_INIT;
    d.id = id;
    d.stages = stages;
    d.n_stages = n;
    expect_status(e, cib_pipeline_add(e->ctx, &d), CIB_OK, NULL);
}

cib_ticket_def rule(const char *pipeline, const char *stage)
{
    cib_ticket_def t = CIB_TICKET_DEF_INIT;
    t.automatic = 1;
    t.pipeline = pipeline;
    t.stage = stage;
    return t;
}

cib_ticket_def rule_props(const char *pipeline, const char *stage)
{
    cib_ticket_def t = rule(pipeline, stage);
    t.property_keys = KEYS;
    t.property_values = VALUES;
    t.n_properties = 2;
    return t;
}

cib_ticket_def rule_off(void)
{
    cib_ticket_def t = CIB_TICKET_DEF_INIT;
    t.automatic = 0;
    return t;
}

void set_tickets(tenv *e, const char *channel, const cib_ticket_def *t)
{
    expect_status(e, cib_channel_set_tickets(e->ctx, channel, CIB_NTS, t), CIB_OK, NULL);
}

void route_to(tenv *e, const char *channel, const char *user)
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

void add_form(tenv *e, const char *id, const char *inbox, const cib_ticket_def *t)
{
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = id;
    d.inbox = inbox;
    d.type = CIB_CHANNEL_FORM;
    d.tickets = t;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
}

void ticket_setup(tenv *e)
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

cib_ticket_info ticket_of(tenv *e, uint64_t id)
{
    cib_ticket_info t = CIB_TICKET_INFO_INIT;
    expect_status(e, cib_ticket_get(e->ctx, NULL, 0, id, &t), CIB_OK, NULL);
    assert_true(t.id == id);
    return t;
}

void expect_str(const char *got, const char *want)
{
    if (want)
        assert_string_equal(got ? got : "(null)", want);
    else if (got)
        fail_msg("want NULL, got '%s'", got);
}

void expect_ticket(tenv *e, uint64_t id, uint64_t conversation, const char *pipeline,
                   const char *stage, const char *owner)
{
    cib_ticket_info t = ticket_of(e, id);
    assert_true(t.conversation == conversation);
    expect_str(t.pipeline, pipeline);
    expect_str(t.stage, stage);
    expect_str(t.owner, owner);
}

void expect_ticket_props(tenv *e, uint64_t id, size_t n)
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

void expect_rule(tenv *e, const char *channel, int on, const char *pipeline, const char *stage,
                 int owner, const char *owner_user)
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

size_t n_tickets(tenv *e)
{
    return count_kind(&e->mem, CIB_KIND_TICKET);
}
