/*
 * tickettest.h - what the ticket tests (test_ticket.c, test_ticket_rules.c)
 * share: the account they start from, ticket rules and form channels, and
 * checks of a ticket and of a channel's rule as the account reports them
 * (R-TICKET-1..5).
 */
#ifndef TICKETTEST_H
#define TICKETTEST_H

#include "testenv.h"

/* The stages of pipeline "sales". */
extern const char *const SALES[3];

/*
 * The account: alice and bob may act in "support"; carl (a member) and dana
 * (an admin) are not on its access list, so carl may see nothing of it and
 * dana may only view it (R-ACCESS-2). Pipelines "sales" (SALES) and
 * "support" (new, open, done). "mail" has no ticket rule; "auto" opens a
 * ticket in sales/lead with the default properties priority = high, source =
 * web form.
 */
void ticket_setup(tenv *e);

void add_pipeline(tenv *e, const char *id, const char *const *stages, size_t n);

/* An automatic rule without default properties. */
cib_ticket_def rule(const char *pipeline, const char *stage);
/* An automatic rule with the default properties of "auto". */
cib_ticket_def rule_props(const char *pipeline, const char *stage);
/* A rule that is off. */
cib_ticket_def rule_off(void);
/* cib_channel_set_tickets, asserting CIB_OK. */
void set_tickets(tenv *e, const char *channel, const cib_ticket_def *t);
/* A form channel with the rule a form needs (R-TICKET-4). */
void add_form(tenv *e, const char *id, const char *inbox, const cib_ticket_def *t);
/* Route the channel's new conversations to exactly `user` (R-ROUTE-2). */
void route_to(tenv *e, const char *channel, const char *user);

/* The ticket as the account sees it; strings valid until the next change or
 * cib_ticket_get(). */
cib_ticket_info ticket_of(tenv *e, uint64_t id);
/* got equals want, both maybe NULL. */
void expect_str(const char *got, const char *want);
/* The ticket's conversation, pipeline, stage and owner. */
void expect_ticket(tenv *e, uint64_t id, uint64_t conversation, const char *pipeline,
                   const char *stage, const char *owner);
/* The ticket's default properties are exactly those of "auto" (n == 2) or
 * none (n == 0). */
void expect_ticket_props(tenv *e, uint64_t id, size_t n);
/* The channel's ticket rule as cib_channel_get() reports it (on == 0: none). */
void expect_rule(tenv *e, const char *channel, int on, const char *pipeline, const char *stage,
                 int owner, const char *owner_user);
/* Tickets in the store. */
size_t n_tickets(tenv *e);

#endif
