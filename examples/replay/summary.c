/* summary.c - the tables of --summary, printed after the run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

void rp_stats_init(rp_stats *s)
{
    memset(s, 0, sizeof *s);
    s->created = json_object();
    s->assignments = json_object();
    s->tickets = json_object();
    s->inboxes = json_object();
    s->channels = json_object();
}

void rp_stats_free(rp_stats *s)
{
    json_decref(s->created);
    json_decref(s->assignments);
    json_decref(s->tickets);
    json_decref(s->inboxes);
    json_decref(s->channels);
}

static long long count_of(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return v ? (long long)json_integer_value(v) : 0;
}

/* Open conversations of a view in an inbox. */
static long long open_count(rp *r, const char *inbox, int view)
{
    cib_view_def q = CIB_VIEW_DEF_INIT;
    q.view = view;
    q.inbox = inbox;
    q.status = CIB_STATUS_OPEN;
    uint64_t ids[512], next = 0;
    long long total = 0;
    do {
        size_t n = 0;
        q.after = next;
        if (cib_view(r->ctx, &q, ids, 512, &n, &next) != CIB_OK)
            return -1;
        total += (long long)n;
    } while (next);
    return total;
}

static void print_minutes(int64_t ms)
{
    if (ms < 0)
        printf(" %10s", "-");
    else
        printf(" %7.1f min", (double)ms / 60000.0);
}

static void conversations_table(rp *r)
{
    printf("\nConversations per inbox and channel\n\n");
    printf("  %-14s %-16s %14s %10s %10s\n", "inbox", "channel", "conversations", "open",
           "waiting");
    const char *inbox;
    json_t *v;
    long long total = 0;
    json_object_foreach(r->stats.inboxes, inbox, v)
    {
        (void)v;
        const char *ch;
        json_t *owner;
        long long in_inbox = 0;
        json_object_foreach(r->stats.channels, ch, owner)
        {
            if (strcmp(json_string_value(owner), inbox))
                continue;
            size_t n = 0, waiting = 0;
            uint64_t id;
            cib_waiting(r->ctx, ch, CIB_NTS, 0, &id, 1, &n, &waiting);
            long long c = count_of(r->stats.created, ch);
            in_inbox += c;
            printf("  %-14s %-16s %14lld %10s %10zu\n", inbox, ch, c, "", waiting);
        }
        printf("  %-14s %-16s %14lld %10lld\n", inbox, "(all)", in_inbox,
               open_count(r, inbox, CIB_VIEW_ALL));
        total += in_inbox;
    }
    printf("  %-14s %-16s %14lld\n", "total", "", total);
}

typedef struct agent {
    const char *id;
    long long assignments;
} agent;

static int by_assignments(const void *a, const void *b)
{
    const agent *x = a, *y = b;
    if (x->assignments != y->assignments)
        return x->assignments > y->assignments ? -1 : 1;
    return strcmp(x->id, y->id);
}

static void agents_table(rp *r)
{
    size_t n = json_object_size(r->stats.assignments), k = 0;
    agent *v = calloc(n ? n : 1, sizeof *v);
    if (!v)
        return;
    const char *id;
    json_t *c;
    json_object_foreach(r->stats.assignments, id, c)
    {
        v[k].id = id;
        v[k++].assignments = json_integer_value(c);
    }
    qsort(v, n, sizeof *v, by_assignments);
    static const char *const statuses[] = {"?", "available", "away", "offline"};
    printf("\nAssignments per agent (every assignment, any reason)\n\n");
    printf("  %-12s %12s %12s %12s\n", "agent", "assignments", "open now", "status now");
    for (size_t i = 0; i < n; i++) {
        cib_user_info u = CIB_USER_INFO_INIT;
        int ok = cib_user_get(r->ctx, v[i].id, CIB_NTS, &u) == CIB_OK;
        printf("  %-12s %12lld %12u %12s\n", v[i].id, v[i].assignments, ok ? u.load : 0,
               ok && u.status >= 1 && u.status <= 3 ? statuses[u.status] : "-");
    }
    free(v);
}

static void end_of_day_table(rp *r)
{
    printf("\nAt the end: open, unassigned and waiting\n\n");
    printf("  %-14s %10s %12s %10s\n", "inbox", "open", "unassigned", "waiting");
    const char *inbox;
    json_t *v;
    json_object_foreach(r->stats.inboxes, inbox, v)
    {
        (void)v;
        size_t waiting = 0;
        const char *ch;
        json_t *owner;
        json_object_foreach(r->stats.channels, ch, owner)
        {
            size_t n = 0, total = 0;
            uint64_t id;
            if (!strcmp(json_string_value(owner), inbox) &&
                cib_waiting(r->ctx, ch, CIB_NTS, 0, &id, 1, &n, &total) == CIB_OK)
                waiting += total;
        }
        printf("  %-14s %10lld %12lld %10zu\n", inbox, open_count(r, inbox, CIB_VIEW_ALL),
               open_count(r, inbox, CIB_VIEW_UNASSIGNED), waiting);
    }
}

static void tickets_table(rp *r)
{
    printf("\nTickets per pipeline and stage\n\n");
    printf("  %-16s %-16s %10s\n", "pipeline", "stage", "tickets");
    const char *key;
    json_t *n;
    json_object_foreach(r->stats.tickets, key, n)
    {
        const char *tab = strchr(key, '\t');
        printf("  %-16.*s %-16s %10lld\n", (int)(tab - key), key, tab + 1,
               (long long)json_integer_value(n));
    }
}

static void response_table(rp *r)
{
    printf("\nFirst responses (conversations received during the run)\n\n");
    printf("  %-14s %10s %10s %10s %14s %14s\n", "inbox", "received", "answered", "replies",
           "median", "p90");
    const char *inbox;
    json_t *v;
    json_object_foreach(r->stats.inboxes, inbox, v)
    {
        (void)v;
        cib_report_def q = CIB_REPORT_DEF_INIT;
        q.inbox = inbox;
        q.from = r->stats.first_ms;
        q.to = r->stats.last_ms + 1;
        cib_report rep = CIB_REPORT_INIT;
        if (cib_report_get(r->ctx, &q, &rep, NULL, NULL) != CIB_OK)
            continue;
        printf("  %-14s %10llu %10llu %10llu", inbox, (unsigned long long)rep.received,
               (unsigned long long)rep.first_responses, (unsigned long long)rep.replies);
        print_minutes(rep.first_response_median_ms);
        print_minutes(rep.first_response_p90_ms);
        printf("\n");
    }
}

void rp_summary_print(rp *r)
{
    rp_stats *s = &r->stats;
    conversations_table(r);
    agents_table(r);
    end_of_day_table(r);
    tickets_table(r);
    response_table(r);
    printf("\nThroughput\n\n");
    printf("  %llu lines run (%llu failed, as scenarios may intend), %llu inbound messages "
           "(%llu duplicates)\n",
           (unsigned long long)s->ops, (unsigned long long)s->failed_ops,
           (unsigned long long)s->inbound, (unsigned long long)s->duplicates);
    if (s->seconds > 0)
        printf("  %.0f inbound messages per second, %.0f lines per second (library time "
               "%.3f s)\n",
               (double)s->inbound / s->seconds, (double)s->ops / s->seconds, s->seconds);
}
