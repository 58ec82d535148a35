/* routingtest.c - the helpers of routingtest.h. */
#include <stdio.h>

#include "routingtest.h"

void routing_setup(tenv *e)
{
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "bob", "bob@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "carol", "carol@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_user(e, "dave", "dave@acme.test", CIB_SEAT_FREE, CIB_ROLE_MEMBER);
    add_inbox(e, "support", "Support");
    add_channel(e, "mail", "support", CIB_CHANNEL_EMAIL, "help@acme.test");
    add_channel(e, "chat", "support", CIB_CHANNEL_CHAT, NULL);
}

uint32_t load_of(tenv *e, const char *user)
{
    cib_user_info u = CIB_USER_INFO_INIT;
    expect_status(e, cib_user_get(e->ctx, user, CIB_NTS, &u), CIB_OK, NULL);
    return u.load;
}

const char *route_one(tenv *e, const char *channel, cib_ingest_result *out)
{
    static unsigned n;
    char id[32], from[48];
    snprintf(id, sizeof id, "m%u", ++n);
    snprintf(from, sizeof from, "sender%u@example.test", n);
    cib_ingest_result r = ingest_msg(e, channel, id, from, NULL);
    assert_int_equal(r.created, 1);
    if (out)
        *out = r;
    return r.assignee ? r.assignee : "-";
}

void close_conv(tenv *e, uint64_t conv)
{
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, conv), CIB_OK, NULL);
}

void add_contact(tenv *e, const char *id, const char *email, const char *owner)
{
    cib_contact_def c = CIB_CONTACT_DEF_INIT;
    c.id = id;
    c.email = email;
    c.owner = owner;
    expect_status(e, cib_contact_add(e->ctx, &c), CIB_OK, NULL);
}
