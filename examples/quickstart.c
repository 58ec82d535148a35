/*
 * quickstart.c - a small account built step by step with libconvinbox:
 * users, a team, two inboxes with their channels and access lists, who may
 * do what, how the library refuses what breaks the rules, a first
 * conversation (inbound mail, a duplicate delivery, a reply, views), then
 * routing with a waiting queue, explain, a ticket and chat business hours.
 *
 * Build and run (from the repository root):
 *   meson setup build && meson compile -C build && build/examples/quickstart
 */
#include <stdio.h>
#include <stdlib.h>

#include "convinbox.h"

static cib_ctx *ctx;

/* Stop on an unexpected failure, printing the library's explanation. */
static void check(int rc, const char *what)
{
    if (rc != CIB_OK) {
        fprintf(stderr, "%s failed: %s: %s\n", what, cib_status_name(rc), cib_errmsg(ctx));
        cib_ctx_free(ctx);
        exit(1);
    }
}

/* Show a call that the library refuses, and why. */
static void refused(int rc, const char *what)
{
    printf("   %-44s -> %s: %s\n", what, cib_status_name(rc), cib_errmsg(ctx));
}

static void user(const char *id, const char *name, const char *email, int seat, int role)
{
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = id;
    d.name = name;
    d.email = email;
    d.seat = seat;
    d.role = role;
    check(cib_user_add(ctx, &d), "cib_user_add");
    printf("   %-6s %-16s %-20s %s seat, %s\n", id, name, email ? email : "-",
           seat == CIB_SEAT_PAID ? "paid" : "free",
           role == CIB_ROLE_MEMBER  ? "member"
           : role == CIB_ROLE_ADMIN ? "admin"
                                    : "super admin");
}

static void channel(const char *id, const char *inbox, int type, const char *address,
                    const char *label)
{
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = id;
    d.inbox = inbox;
    d.type = type;
    d.address = address;
    /* A form opens a ticket for every submission. */
    cib_ticket_def tickets = CIB_TICKET_DEF_INIT;
    tickets.automatic = 1;
    tickets.pipeline = "support";
    tickets.stage = "new";
    if (type == CIB_CHANNEL_FORM)
        d.tickets = &tickets;
    check(cib_channel_add(ctx, &d), "cib_channel_add");
    printf("   %-8s %-12s %s\n", id, label, address ? address : "");
}

/* The host's outbound email: here, print what would be sent. */
static int send_email(void *ud, const cib_outbound *m)
{
    (void)ud;
    printf("   [outbound email] from \"%s\" <%s> to <%s>:\n", m->from_name, m->from_address, m->to);
    printf("      %.*s\n", (int)m->text_len, m->text);
    return 0;
}

static uint64_t inbound(const char *msg_id, const char *from, const char *thread, const char *text)
{
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = "mail";
    m.msg_id = msg_id;
    m.from = from;
    m.thread = thread;
    m.text = text;
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    check(cib_ingest(ctx, &m, &r), "cib_ingest");
    printf("   %-12s from %-22s -> conversation %llu%s, contact %s%s%s\n", msg_id, from,
           (unsigned long long)r.conversation,
           r.duplicate ? " (duplicate: nothing changed)"
           : r.created ? " (new)"
                       : " (joined)",
           r.contact ? r.contact : "?", r.contact_created ? " (new)" : "",
           r.assignee ? "" : ", unassigned");
    return r.conversation;
}

static void show_view(const char *label, const char *user, int kind)
{
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.user = user;
    q.view = kind;
    q.inbox = "sales";
    uint64_t ids[16];
    size_t n = 0;
    check(cib_view(ctx, &q, ids, 16, &n, NULL), "cib_view");
    printf("   %-28s", label);
    for (size_t i = 0; i < n; i++)
        printf(" %llu", (unsigned long long)ids[i]);
    printf("%s\n", n ? "" : " (none)");
}

/* Events: print assignments, tickets and notifications as they happen. */
static void on_event(void *ud, const cib_event *ev)
{
    static const char *const reasons[] = {"none",     "rule",   "owner",
                                          "fallback", "manual", "reassigned_offline"};
    (void)ud;
    if (ev->type == CIB_EVENT_ASSIGNED)
        printf("   [event] conversation %llu assigned to %s (reason: %s)\n",
               (unsigned long long)ev->conversation, ev->user ? ev->user : "nobody",
               reasons[ev->reason]);
    else if (ev->type == CIB_EVENT_TICKET_CREATED)
        printf("   [event] ticket %llu opened for conversation %llu\n",
               (unsigned long long)ev->ticket, (unsigned long long)ev->conversation);
}

static uint64_t visitor(const char *msg_id, const char *from)
{
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = "chat";
    m.msg_id = msg_id;
    m.from = from;
    m.text = "Hi, anyone there?";
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    check(cib_ingest(ctx, &m, &r), "cib_ingest");
    printf("   visitor %-10s -> conversation %llu, %s%s\n", from,
           (unsigned long long)r.conversation,
           r.assignee ? "assigned to "
           : r.queued ? "waiting in the queue"
                      : "unassigned",
           r.assignee ? r.assignee : "");
    return r.conversation;
}

static int print_candidate(void *ud, const cib_candidate *c)
{
    static const char *const why[] = {"eligible",  "away",        "offline",
                                      "free seat", "at capacity", "no access"};
    (void)ud;
    printf("   %-6s %-12s load %u\n", c->user, why[c->why], (unsigned)c->load);
    return 0;
}

static int print_inbox(void *ud, const cib_inbox_info *ib)
{
    (void)ud;
    size_t n = 0;
    check(cib_list_count(ctx, CIB_LIST_INBOX_CHANNELS, ib->id, CIB_NTS, &n), "cib_list_count");
    printf("   %-8s \"%s\"%s, access %s, %zu channel%s\n", ib->id, ib->name,
           ib->is_default ? " (default)" : "", ib->everyone ? "everyone" : "specific", n,
           n == 1 ? "" : "s");
    return 0;
}

int main(void)
{
    printf("libconvinbox %s quickstart\n\n", cib_version());
    cib_sender sender = CIB_SENDER_INIT;
    sender.email = send_email;
    cib_options opts = CIB_OPTIONS_INIT;
    opts.sender = &sender;
    opts.on_event = on_event;
    check(cib_ctx_new(&opts, &ctx), "cib_ctx_new");

    printf("1. A new account starts with its default inbox:\n");
    check(cib_inbox_foreach(ctx, NULL, 0, print_inbox, NULL), "cib_inbox_foreach");
    cib_channel_info fb = CIB_CHANNEL_INFO_INIT;
    check(cib_channel_get(ctx, "default-fallback", CIB_NTS, &fb), "cib_channel_get");
    printf("   with fallback email channel '%s' sending as \"%s\"\n\n", fb.id, fb.sender_name);

    printf("2. Users (agents):\n");
    user("alice", "Alice Adams", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    user("bob", "Bob Brown", "bob@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    user("carol", "Carol Chen", "carol@acme.test", CIB_SEAT_FREE, CIB_ROLE_MEMBER);
    user("dana", "Dana Diaz", "dana@acme.test", CIB_SEAT_PAID, CIB_ROLE_ADMIN);
    user("erin", "Erin Evans", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);

    printf("\n3. Team 'support': alice, carol\n");
    const char *members[] = {"alice", "carol"};
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "support";
    t.members = members;
    t.n_members = 2;
    check(cib_team_add(ctx, &t), "cib_team_add");

    printf("\n4. Inbox 'sales', open to everyone, with three channels:\n");
    cib_inbox_def sales = CIB_INBOX_DEF_INIT;
    sales.id = "sales";
    sales.name = "Sales";
    check(cib_inbox_add(ctx, &sales), "cib_inbox_add");
    channel("mail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test", "team email");
    channel("chat", "sales", CIB_CHANNEL_CHAT, NULL, "live chat");
    channel("fb", "sales", CIB_CHANNEL_MESSENGER, "acme-page-1", "Messenger");

    const char *stages[] = {"new", "waiting", "closed"};
    cib_pipeline_def pipeline = CIB_PIPELINE_DEF_INIT;
    pipeline.id = "support";
    pipeline.stages = stages;
    pipeline.n_stages = 3;
    check(cib_pipeline_add(ctx, &pipeline), "cib_pipeline_add");

    printf("\n5. Inbox 'help', for team 'support' and user bob only:\n");
    const char *users[] = {"bob"}, *teams[] = {"support"};
    cib_access_def access = CIB_ACCESS_DEF_INIT;
    access.everyone = 0;
    access.users = users;
    access.n_users = 1;
    access.teams = teams;
    access.n_teams = 1;
    cib_inbox_def help = CIB_INBOX_DEF_INIT;
    help.id = "help";
    help.name = "Help Desk";
    help.access = &access;
    check(cib_inbox_add(ctx, &help), "cib_inbox_add");
    channel("form", "help", CIB_CHANNEL_FORM, NULL, "support form");
    channel("help-mail", "help", CIB_CHANNEL_EMAIL, "help@acme.test", "team email");

    printf("\n6. Who may do what in 'help' (V view, R reply, C comment, A assign,\n"
           "   X reassign, Z close):\n");
    const char *who[] = {"alice", "bob", "carol", "dana", "erin"};
    const char *why[] = {"via team support", "listed", "via team, free seat",
                         "admin, not listed: view only", "no access"};
    for (int i = 0; i < 5; i++) {
        char rights[7] = "------";
        for (int a = CIB_ACTION_VIEW; a <= CIB_ACTION_CLOSE; a++) {
            int allowed = 0;
            check(cib_access_check(ctx, who[i], CIB_NTS, "help", CIB_NTS, a, &allowed),
                  "cib_access_check");
            if (allowed)
                rights[a - 1] = "VRCAXZ"[a - 1];
        }
        printf("   %-6s %s   %s\n", who[i], rights, why[i]);
    }

    printf("\n7. What the account refuses:\n");
    cib_channel_def again = CIB_CHANNEL_DEF_INIT;
    again.id = "mail2";
    again.inbox = "help";
    again.type = CIB_CHANNEL_EMAIL;
    again.address = "SALES@acme.test";
    refused(cib_channel_add(ctx, &again), "link sales@acme.test a second time");
    again.address = "alice@acme.test";
    refused(cib_channel_add(ctx, &again), "link a user's own email as team email");
    cib_inbox_def dup = CIB_INBOX_DEF_INIT;
    dup.id = "sales2";
    dup.name = "SALES";
    refused(cib_inbox_add(ctx, &dup), "a second inbox named \"SALES\"");
    refused(cib_inbox_remove(ctx, "help", CIB_NTS, "Help", CIB_NTS),
            "delete 'help' confirming the wrong name");

    printf("\n8. Bob leaves the company; nothing keeps pointing at him:\n");
    check(cib_user_remove(ctx, "bob", CIB_NTS), "cib_user_remove");
    size_t n = 0;
    check(cib_list_count(ctx, CIB_LIST_INBOX_USERS, "help", CIB_NTS, &n), "cib_list_count");
    printf("   users on help's access list now: %zu\n", n);

    printf("\n9. Inboxes dana may see:\n");
    check(cib_inbox_foreach(ctx, "dana", CIB_NTS, print_inbox, NULL), "cib_inbox_foreach");

    printf("\n10. A customer writes to sales@acme.test, twice on one thread; the host\n"
           "    delivers the second message twice (at-least-once):\n");
    uint64_t c =
        inbound("<a1@mail>", "Carol@Example.test", "<thread-1@mail>", "Where is my order?");
    inbound("<a2@mail>", "carol@example.test", "<thread-1@mail>", "Order #1234, sorry.");
    inbound("<a2@mail>", "carol@example.test", "<thread-1@mail>", "Order #1234, sorry.");
    inbound("<b1@mail>", "dave@example.test", NULL, "Do you ship to Norway?");

    printf("\n11. Views of 'sales' for alice:\n");
    show_view("unassigned:", "alice", CIB_VIEW_UNASSIGNED);
    show_view("mine:", "alice", CIB_VIEW_MINE);

    printf("\n12. Alice assigns Carol's conversation to herself and replies:\n");
    check(cib_assign(ctx, "alice", CIB_NTS, c, "alice", CIB_NTS), "cib_assign");
    check(cib_reply(ctx, "alice", CIB_NTS, c, "It ships today.", CIB_NTS, NULL, 0, NULL),
          "cib_reply");
    show_view("unassigned:", "alice", CIB_VIEW_UNASSIGNED);
    show_view("mine:", "alice", CIB_VIEW_MINE);
    check(cib_close(ctx, "alice", CIB_NTS, c), "cib_close");
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    check(cib_conversation_get(ctx, "alice", CIB_NTS, c, &ci), "cib_conversation_get");
    printf("   closed, and read back from the store: %s, %u messages, assignee %s\n",
           ci.status == CIB_STATUS_CLOSED ? "closed" : "open", ci.n_messages, ci.assignee);

    printf("\n13. Chat in 'sales' is routed round robin to team support and erin, at\n"
           "    most 1 open chat each; when nobody can take one, it waits:\n");
    int kinds[] = {CIB_TARGET_TEAM, CIB_TARGET_USER};
    const char *targets[] = {"support", "erin"};
    cib_routing_def rr = CIB_ROUTING_DEF_INIT;
    rr.mode = CIB_ROUTE_SPECIFIC;
    rr.strategy = CIB_ROUND_ROBIN;
    rr.queue = 1;
    rr.target_kinds = kinds;
    rr.target_ids = targets;
    rr.n_targets = 2;
    check(cib_channel_set_routing(ctx, "chat", CIB_NTS, &rr), "cib_channel_set_routing");
    const char *ids[] = {"alice", "erin"};
    for (int i = 0; i < 2; i++) {
        cib_user_info ui = CIB_USER_INFO_INIT;
        check(cib_user_get(ctx, ids[i], CIB_NTS, &ui), "cib_user_get");
        cib_user_def ud = CIB_USER_DEF_INIT;
        ud.id = ui.id;
        ud.name = ui.name;
        ud.email = ui.email;
        ud.seat = ui.seat;
        ud.role = ui.role;
        ud.capacity = 1;
        check(cib_user_update(ctx, &ud), "cib_user_update");
    }
    printf("   who could take a chat now (cib_explain):\n");
    check(cib_explain(ctx, "chat", CIB_NTS, print_candidate, NULL), "cib_explain");
    visitor("<v1>", "visitor-1");
    visitor("<v2>", "visitor-2");
    printf("   alice comes online:\n");
    check(cib_user_set_status(ctx, "alice", CIB_NTS, CIB_AVAILABLE), "cib_user_set_status");
    printf("   erin comes online:\n");
    check(cib_user_set_status(ctx, "erin", CIB_NTS, CIB_AVAILABLE), "cib_user_set_status");
    visitor("<v3>", "visitor-3");
    size_t waiting = 0, shown = 0;
    uint64_t first = 0;
    check(cib_waiting(ctx, "chat", CIB_NTS, 0, &first, 1, &shown, &waiting), "cib_waiting");
    printf("   waiting now: %zu\n", waiting);

    printf("\n14. A support form submission opens a ticket in the same step:\n");
    cib_inbound f = CIB_INBOUND_INIT;
    f.channel = "form";
    f.msg_id = "form-1";
    f.from = "frank@example.test";
    f.text = "My invoice is wrong.";
    cib_ingest_result fr = CIB_INGEST_RESULT_INIT;
    check(cib_ingest(ctx, &f, &fr), "cib_ingest");
    cib_ticket_info ti = CIB_TICKET_INFO_INIT;
    check(cib_ticket_get(ctx, NULL, 0, fr.ticket, &ti), "cib_ticket_get");
    printf("   ticket %llu: pipeline %s, stage %s, owner %s\n", (unsigned long long)ti.id,
           ti.pipeline, ti.stage, ti.owner ? ti.owner : "none (unassigned)");

    printf("\n15. The chat widget shows the chat during business hours in Berlin\n"
           "    (Mon-Fri 9:00-17:00, and Saturday 10:00-14:00):\n");
    unsigned days[] = {CIB_WEEKDAYS, CIB_SATURDAY};
    unsigned from[] = {9 * 60, 10 * 60};
    unsigned to[] = {17 * 60, 14 * 60};
    cib_availability_def hours = CIB_AVAILABILITY_DEF_INIT;
    hours.mode = CIB_CHAT_BUSINESS_HOURS;
    hours.tz = "Europe/Berlin";
    hours.range_days = days;
    hours.range_from = from;
    hours.range_to = to;
    hours.n_ranges = 2;
    int rc = cib_channel_set_availability(ctx, "chat", CIB_NTS, &hours);
    if (rc == CIB_OK) {
        int open = 0;
        check(cib_chat_available(ctx, "chat", CIB_NTS, &open), "cib_chat_available");
        printf("   right now the chat is %s\n", open ? "open" : "closed");
    } else {
        printf("   time zones unavailable: %s\n", cib_errmsg(ctx)); /* no tzdata */
    }

    printf("\n16. The whole account, as cib_dump() prints it:\n");
    char *dump = NULL;
    check(cib_dump(ctx, &dump, NULL), "cib_dump");
    printf("%s", dump);
    cib_free(ctx, dump);
    cib_ctx_free(ctx);
    return 0;
}
