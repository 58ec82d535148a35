/*
 * routingtest.h - what the routing tests (test_routing.c, test_strategies.c)
 * share: the account they start from, new conversations from fresh senders
 * and their assignees, users' open load, closing, and contacts with owners
 * (R-ROUTE-*, R-AVAIL-*).
 */
#ifndef ROUTINGTEST_H
#define ROUTINGTEST_H

#include "testenv.h"

/* Paid members alice, bob and carol, dave on a free seat (all offline), the
 * inbox "support" open to everyone with channels "mail" (email) and "chat". */
void routing_setup(tenv *e);

/* The user's open load (cib_user_info.load). */
uint32_t load_of(tenv *e, const char *user);
/* A new conversation on a channel from a fresh sender; its assignee ("-":
 * none). out, if not NULL, gets the ingest's result. */
const char *route_one(tenv *e, const char *channel, cib_ingest_result *out);
/* alice closes the conversation. */
void close_conv(tenv *e, uint64_t conv);
void add_contact(tenv *e, const char *id, const char *email, const char *owner);

#endif
