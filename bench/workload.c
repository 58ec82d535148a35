/*
 * workload.c - benchmark accounts and message streams (see workload.h).
 */
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *wl_user(long i)
{
    static char id[24];
    snprintf(id, sizeof id, "u%ld", i + 1);
    return id;
}

static void add_users_and_team(cib_ctx *ctx, long n)
{
    char(*ids)[24] = bh_alloc((size_t)n * sizeof *ids);
    const char **members = bh_alloc((size_t)n * sizeof *members);
    for (long i = 0; i < n; i++) {
        char name[32];
        snprintf(ids[i], sizeof ids[i], "%s", wl_user(i));
        snprintf(name, sizeof name, "User %ld", i + 1);
        cib_user_def u = CIB_USER_DEF_INIT;
        u.id = ids[i];
        u.name = name;
        bh_check(cib_user_add(ctx, &u), ctx, "cib_user_add");
        bh_check(cib_user_set_status(ctx, ids[i], CIB_NTS, CIB_AVAILABLE), ctx,
                 "cib_user_set_status");
        members[i] = ids[i];
    }
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "everyone";
    t.members = members;
    t.n_members = (size_t)n;
    bh_check(cib_team_add(ctx, &t), ctx, "cib_team_add");
    free(members);
    free(ids);
}

static void add_contacts(cib_ctx *ctx, long n)
{
    for (long i = 0; i < n; i++) {
        char id[24], email[40];
        snprintf(id, sizeof id, "k%ld", i);
        snprintf(email, sizeof email, "c%ld@example.test", i);
        cib_contact_def c = CIB_CONTACT_DEF_INIT;
        c.id = id;
        c.email = email;
        bh_check(cib_contact_add(ctx, &c), ctx, "cib_contact_add");
    }
}

cib_ctx *wl_account(const wl_spec *spec)
{
    cib_ctx *ctx;
    bh_check(cib_ctx_new(NULL, &ctx), NULL, "cib_ctx_new");
    if (spec->users > 0)
        add_users_and_team(ctx, spec->users);
    cib_inbox_def ib = CIB_INBOX_DEF_INIT;
    ib.id = "support";
    ib.name = "Support";
    bh_check(cib_inbox_add(ctx, &ib), ctx, "cib_inbox_add");
    const char *stages[] = {"new", "open", "solved"};
    cib_pipeline_def p = CIB_PIPELINE_DEF_INIT;
    p.id = "support";
    p.stages = stages;
    p.n_stages = 3;
    bh_check(cib_pipeline_add(ctx, &p), ctx, "cib_pipeline_add");

    int kind = CIB_TARGET_TEAM;
    const char *team = "everyone";
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    if (spec->strategy && spec->users > 0) {
        r.mode = CIB_ROUTE_SPECIFIC;
        r.target_kinds = &kind;
        r.target_ids = &team;
        r.n_targets = 1;
        r.strategy = spec->strategy;
        r.queue = spec->queue;
    }
    cib_ticket_def t = CIB_TICKET_DEF_INIT;
    t.automatic = 1;
    t.pipeline = "support";
    t.stage = "new";
    cib_channel_def ch = CIB_CHANNEL_DEF_INIT;
    ch.id = "mail";
    ch.inbox = "support";
    ch.type = CIB_CHANNEL_EMAIL;
    ch.address = "help@acme.test";
    ch.routing = &r;
    ch.tickets = spec->tickets ? &t : NULL;
    bh_check(cib_channel_add(ctx, &ch), ctx, "cib_channel_add");
    add_contacts(ctx, spec->contacts);
    return ctx;
}

void wl_stream_make(wl_stream *s, long n, const char *prefix, long first, long contacts,
                    long thread_keys, uint64_t *seed)
{
    memset(s, 0, sizeof *s);
    s->n = n;
    s->msg_id = bh_alloc((size_t)n * sizeof *s->msg_id);
    s->from = bh_alloc((size_t)n * sizeof *s->from);
    s->msgs = bh_alloc((size_t)n * sizeof *s->msgs);
    if (thread_keys > 0)
        s->thread = bh_alloc((size_t)n * sizeof *s->thread);
    for (long i = 0; i < n; i++) {
        snprintf(s->msg_id[i], sizeof s->msg_id[i], "%s%ld", prefix, first + i);
        if (contacts > 0)
            snprintf(s->from[i], sizeof s->from[i], "c%ld@example.test",
                     (long)(bh_rand(seed) % (uint64_t)contacts));
        else
            snprintf(s->from[i], sizeof s->from[i], "n%ld@example.test", first + i);
        cib_inbound m = CIB_INBOUND_INIT;
        m.channel = "mail";
        m.channel_len = 4;
        m.msg_id = s->msg_id[i];
        m.msg_id_len = strlen(s->msg_id[i]);
        m.from = s->from[i];
        m.from_len = strlen(s->from[i]);
        m.text = "Where is my order?";
        m.text_len = 18;
        if (s->thread) {
            snprintf(s->thread[i], sizeof s->thread[i], "t%ld",
                     (long)(bh_rand(seed) % (uint64_t)thread_keys));
            m.thread = s->thread[i];
            m.thread_len = strlen(s->thread[i]);
        }
        s->msgs[i] = m;
    }
}

void wl_stream_free(wl_stream *s)
{
    free(s->msg_id);
    free(s->from);
    free(s->thread);
    free(s->msgs);
    memset(s, 0, sizeof *s);
}

void wl_ingest_all(cib_ctx *ctx, const wl_stream *s)
{
    for (long i = 0; i < s->n; i++) {
        cib_ingest_result r = CIB_INGEST_RESULT_INIT;
        bh_check(cib_ingest(ctx, &s->msgs[i], &r), ctx, "cib_ingest");
    }
}
