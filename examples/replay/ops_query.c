/* ops_query.c - questions that change nothing, and storage faults. */
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})

static int op_get(rp *r, json_t *in, json_t *out)
{
    const char *user = NULL, *name = NULL;
    uint64_t conv;
    if (arg_str(in, out, "user", 0, &user) || arg_str(in, out, "conversation", 1, &name) ||
        rp_conv_find(r, out, name, &conv))
        return -1;
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    int rc = cib_conversation_get(r->ctx, user, CIB_NTS, conv, &ci);
    if (rc)
        return rp_lib_fail(r, out, rc);
    json_t *ticket;
    if (rp_ticket_json(r, out, ci.ticket, &ticket))
        return -1;
    json_object_set_new(out, "inbox", json_string(ci.inbox));
    json_object_set_new(out, "channel", json_string(ci.channel));
    json_object_set_new(out, "status",
                        json_string(ci.status == CIB_STATUS_OPEN ? "open" : "closed"));
    json_object_set_new(out, "assignee", ci.assignee ? json_string(ci.assignee) : json_null());
    json_object_set_new(out, "messages", json_integer(ci.n_messages));
    json_object_set_new(out, "ticket", ticket);
    return 0;
}

static int op_view(rp *r, json_t *in, json_t *out)
{
    static const char *const views[] = {NULL, "all", "unassigned", "mine"};
    static const char *const statuses[] = {NULL, "open", "closed"};
    cib_view_def q = CIB_VIEW_DEF_INIT;
    if (arg_str(in, out, "user", 0, &q.user) || arg_enum(in, out, "view", 1, views, 4, &q.view) ||
        arg_str(in, out, "inbox", 0, &q.inbox) || arg_str(in, out, "channel", 0, &q.channel) ||
        arg_enum(in, out, "status", 0, statuses, 3, &q.status))
        return -1;
    json_t *names = json_array();
    uint64_t ids[256], next = 0;
    do {
        size_t n = 0;
        q.after = next;
        int rc = cib_view(r->ctx, &q, ids, 256, &n, &next);
        if (rc) {
            json_decref(names);
            return rp_lib_fail(r, out, rc);
        }
        for (size_t i = 0; i < n; i++)
            json_array_append_new(names, json_string(rp_conv_name(r, ids[i])));
    } while (next);
    json_object_set_new(out, "conversations", names);
    return 0;
}

static int op_chat_available(rp *r, json_t *in, json_t *out)
{
    const char *id = NULL;
    if (arg_str(in, out, "channel", 1, &id))
        return -1;
    int available = 0;
    int rc = cib_chat_available(r->ctx, id, CIB_NTS, &available);
    if (rc)
        return rp_lib_fail(r, out, rc);
    json_object_set_new(out, "available", json_boolean(available));
    return 0;
}

static int on_candidate(void *ud, const cib_candidate *c)
{
    static const char *const why[] = {NULL,        "away",        "offline",
                                      "free_seat", "at_capacity", "no_access"};
    json_t *o = json_object();
    json_object_set_new(o, "user", json_string(c->user));
    json_object_set_new(o, "eligible", json_boolean(c->why == CIB_WHY_ELIGIBLE));
    json_object_set_new(o, "reason",
                        c->why > 0 && c->why <= 5 ? json_string(why[c->why]) : json_null());
    json_array_append_new(ud, o);
    return 0;
}

static int op_explain(rp *r, json_t *in, json_t *out)
{
    const char *id = NULL;
    if (arg_str(in, out, "channel", 1, &id))
        return -1;
    json_t *list = json_array();
    int rc = cib_explain(r->ctx, id, CIB_NTS, on_candidate, list);
    if (rc) {
        json_decref(list);
        return rp_lib_fail(r, out, rc);
    }
    json_object_set_new(out, "candidates", list);
    return 0;
}

static int op_waiting(rp *r, json_t *in, json_t *out)
{
    const char *id = NULL;
    if (arg_str(in, out, "channel", 1, &id))
        return -1;
    json_t *names = json_array();
    uint64_t ids[256];
    size_t offset = 0, n = 0, total = 0;
    do {
        int rc = cib_waiting(r->ctx, id, CIB_NTS, offset, ids, 256, &n, &total);
        if (rc) {
            json_decref(names);
            return rp_lib_fail(r, out, rc);
        }
        for (size_t i = 0; i < n; i++)
            json_array_append_new(names, json_string(rp_conv_name(r, ids[i])));
        offset += n;
    } while (n && offset < total);
    json_object_set_new(out, "conversations", names);
    return 0;
}

/* ms as seconds: an integer when whole, else a number. */
static json_t *seconds(int64_t ms)
{
    if (ms < 0)
        return json_null();
    return ms % 1000 ? json_real((double)ms / 1000.0) : json_integer(ms / 1000);
}

static int on_report_row(void *ud, const cib_report_user *row)
{
    if (row->replies) /* users who only answered first, later than `to`, sent none */
        json_object_set_new(ud, row->user, json_integer((json_int_t)row->replies));
    return 0;
}

static int op_report(rp *r, json_t *in, json_t *out)
{
    cib_report_def q = CIB_REPORT_DEF_INIT;
    const char *from = NULL, *to = NULL;
    if (arg_str(in, out, "inbox", 1, &q.inbox) || arg_str(in, out, "from", 1, &from) ||
        arg_str(in, out, "to", 1, &to))
        return -1;
    if (rp_parse_time(from, &q.from))
        return rp_fail(out, "invalid", "key 'from' is not an RFC 3339 time: '%s'", from);
    if (rp_parse_time(to, &q.to))
        return rp_fail(out, "invalid", "key 'to' is not an RFC 3339 time: '%s'", to);
    json_t *replies = json_object();
    cib_report rep = CIB_REPORT_INIT;
    int rc = cib_report_get(r->ctx, &q, &rep, on_report_row, replies);
    if (rc) {
        json_decref(replies);
        return rp_lib_fail(r, out, rc);
    }
    json_object_set_new(out, "received", json_integer((json_int_t)rep.received));
    json_object_set_new(out, "replies", replies);
    json_t *frt = json_object();
    json_object_set_new(frt, "median", seconds(rep.first_response_median_ms));
    json_object_set_new(frt, "p90", seconds(rep.first_response_p90_ms));
    json_object_set_new(out, "first_response_s", frt);
    return 0;
}

static int op_fail_storage(rp *r, json_t *in, json_t *out)
{
    long long n = 0, after = 0;
    if (arg_int(in, out, "calls", 1, 0, 1000000, &n) ||
        arg_int(in, out, "after", 0, 0, 1000000, &after))
        return -1;
    r->fail_calls = (long)n;
    r->fail_after = (long)after;
    return 0;
}

const rp_op rp_query_ops[] = {
    {"get", op_get, KEYS("user", "conversation"), 0},
    {"view", op_view, KEYS("user", "view", "inbox", "channel", "status"), 0},
    {"chat.available", op_chat_available, KEYS("channel"), 0},
    {"explain", op_explain, KEYS("channel"), 0},
    {"waiting", op_waiting, KEYS("channel"), 0},
    {"report", op_report, KEYS("inbox", "from", "to"), 0},
    {"fail_storage", op_fail_storage, KEYS("calls", "after"), 0},
    {NULL, NULL, NULL, 0},
};
