/* ops_traffic.c - inbound messages and what agents do with conversations. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})

const char *rp_reason_name(int reason)
{
    static const char *const names[] = {NULL,       "rule",   "owner",
                                        "fallback", "manual", "reassigned_offline"};
    return reason > 0 && reason <= 5 ? names[reason] : NULL;
}

static json_t *ticket_obj(const char *pipeline, const char *stage, const char *owner)
{
    json_t *o = json_object();
    json_object_set_new(o, "pipeline", json_string(pipeline));
    json_object_set_new(o, "stage", json_string(stage));
    json_object_set_new(o, "owner", owner && *owner ? json_string(owner) : json_null());
    return o;
}

int rp_ticket_json(rp *r, json_t *out, uint64_t ticket, json_t **v)
{
    cib_ticket_info t = CIB_TICKET_INFO_INIT;
    *v = json_null();
    if (!ticket)
        return 0;
    int rc = cib_ticket_get(r->ctx, NULL, 0, ticket, &t);
    if (rc)
        return rp_lib_fail(r, out, rc);
    *v = ticket_obj(t.pipeline, t.stage, t.owner);
    return 0;
}

json_t *rp_assigned_list(rp *r, uint64_t except)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->n_assigned; i++) {
        const rp_assigned *x = &r->assigned[i];
        if (x->conversation == except || !x->user[0])
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "conversation", json_string(rp_conv_name(r, x->conversation)));
        json_object_set_new(o, "assignee", json_string(x->user));
        json_array_append_new(a, o);
    }
    return a;
}

static int read_attachments(json_t *in, json_t *out, cib_attachment **atts, size_t *n)
{
    static const char *const kinds[] = {NULL,    "audio", "voice", "sticker",
                                        "image", "video", "file"};
    json_t *a = json_object_get(in, "attachments");
    *atts = NULL;
    *n = 0;
    if (!a || json_is_null(a))
        return 0;
    if (!json_is_array(a))
        return rp_fail(out, "invalid", "key 'attachments' must be an array of objects");
    size_t count = json_array_size(a);
    *atts = calloc(count ? count : 1, sizeof **atts);
    if (!*atts)
        return rp_fail(out, "nomem", "out of memory reading 'attachments'");
    for (size_t i = 0; i < count; i++) {
        json_t *o = json_array_get(a, i);
        cib_attachment x = CIB_ATTACHMENT_INIT;
        long long bytes = 0;
        if (!json_is_object(o)) {
            free(*atts);
            return rp_fail(out, "invalid", "key 'attachments': item %zu must be an object", i);
        }
        if (arg_only(o, out, KEYS("kind", "name", "bytes")) ||
            arg_enum(o, out, "kind", 1, kinds, 7, &x.kind) || arg_str(o, out, "name", 0, &x.name) ||
            arg_int(o, out, "bytes", 0, 0, INT64_MAX, &bytes)) {
            free(*atts);
            return -1;
        }
        x.bytes = (uint64_t)bytes;
        (*atts)[i] = x;
    }
    *n = count;
    return 0;
}

static int op_inbound(rp *r, json_t *in, json_t *out)
{
    cib_inbound m = CIB_INBOUND_INIT;
    const char *as = NULL;
    const char **cc = NULL;
    cib_attachment *atts = NULL;
    if (arg_str(in, out, "channel", 1, &m.channel) || arg_str(in, out, "msg_id", 1, &m.msg_id) ||
        arg_str(in, out, "from", 1, &m.from) || arg_str(in, out, "text", 0, &m.text) ||
        arg_str(in, out, "as", 0, &as) || arg_str(in, out, "thread", 0, &m.thread) ||
        arg_str(in, out, "forwarded_by", 0, &m.forwarded_by) ||
        arg_strs(in, out, "cc", 0, &cc, &m.n_cc))
        return -1;
    if (read_attachments(in, out, &atts, &m.n_attachments)) {
        free(cc);
        return -1;
    }
    m.cc = cc;
    m.attachments = atts;
    cib_ingest_result res = CIB_INGEST_RESULT_INIT;
    int rc = cib_ingest(r->ctx, &m, &res);
    free(cc);
    free(atts);
    if (rc)
        return rp_lib_fail(r, out, rc);
    r->stats.inbound++;
    if (res.duplicate)
        r->stats.duplicates++;
    if (res.created && !res.duplicate) {
        if (as && !json_object_get(r->conv_ids, as)) /* a name, once given, stays */
            rp_conv_bind(r, res.conversation, as);
        json_t *n = json_object_get(r->stats.created, m.channel);
        json_object_set_new(r->stats.created, m.channel,
                            json_integer(n ? json_integer_value(n) + 1 : 1));
    }
    if (res.contact_created && !res.duplicate) {
        /* Its address: the email it was created with (the sender's, or a
         * forwarder's, R-CHAN-6), else the sender's key. */
        cib_contact_info c = CIB_CONTACT_INFO_INIT;
        int known = cib_contact_get(r->ctx, res.contact, CIB_NTS, &c) == CIB_OK && c.email;
        rp_contact_bind(r, res.contact, known ? c.email : m.from);
    }
    json_object_set_new(out, "conversation", json_string(rp_conv_name(r, res.conversation)));
    json_object_set_new(out, "created", json_boolean(res.created));
    json_object_set_new(out, "contact",
                        res.contact ? json_string(rp_contact_name(r, res.contact)) : json_null());
    json_object_set_new(out, "contact_created", json_boolean(res.contact_created));
    json_object_set_new(out, "assignee", res.assignee ? json_string(res.assignee) : json_null());
    const char *reason = res.duplicate ? NULL : rp_reason_name(res.reason);
    json_object_set_new(out, "reason", reason ? json_string(reason) : json_null());
    json_object_set_new(out, "notified", json_deep_copy(r->notified));
    /* The ticket this message opened, from its event (no store read). */
    json_object_set_new(out, "ticket",
                        res.ticket && !res.duplicate && r->ticket == res.ticket
                            ? ticket_obj(r->ticket_pipeline, r->ticket_stage, r->ticket_owner)
                            : json_null());
    json_object_set_new(out, "duplicate", json_boolean(res.duplicate));
    json_object_set_new(out, "queued", json_boolean(res.queued));
    json_object_set_new(out, "assigned", rp_assigned_list(r, res.conversation));
    return 0;
}

/* The acting user and the conversation of an agent op. */
static int agent_args(rp *r, json_t *in, json_t *out, const char **user, uint64_t *conv)
{
    const char *name = NULL;
    if (arg_str(in, out, "user", 1, user) || arg_str(in, out, "conversation", 1, &name))
        return -1;
    return rp_conv_find(r, out, name, conv);
}

static int op_reply(rp *r, json_t *in, json_t *out)
{
    const char *user, *text = NULL, *channel = NULL;
    uint64_t conv;
    if (agent_args(r, in, out, &user, &conv) || arg_str(in, out, "text", 1, &text) ||
        arg_str(in, out, "channel", 0, &channel))
        return -1;
    int rc = cib_reply(r->ctx, user, CIB_NTS, conv, text, CIB_NTS, channel, CIB_NTS, NULL);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

static int op_comment(rp *r, json_t *in, json_t *out)
{
    const char *user, *text = NULL;
    uint64_t conv;
    if (agent_args(r, in, out, &user, &conv) || arg_str(in, out, "text", 1, &text))
        return -1;
    int rc = cib_comment(r->ctx, user, CIB_NTS, conv, text, CIB_NTS, NULL);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

static int op_assign(rp *r, json_t *in, json_t *out)
{
    const char *user, *to = NULL;
    uint64_t conv;
    if (agent_args(r, in, out, &user, &conv))
        return -1;
    if (!json_object_get(in, "to"))
        return rp_fail(out, "invalid", "missing key 'to' (null unassigns)");
    if (arg_str(in, out, "to", 0, &to))
        return -1;
    int rc = cib_assign(r->ctx, user, CIB_NTS, conv, to, CIB_NTS);
    if (rc)
        return rp_lib_fail(r, out, rc);
    json_object_set_new(out, "assigned", rp_assigned_list(r, conv));
    return 0;
}

static int op_close(rp *r, json_t *in, json_t *out)
{
    const char *user;
    uint64_t conv;
    if (agent_args(r, in, out, &user, &conv))
        return -1;
    int rc = cib_close(r->ctx, user, CIB_NTS, conv);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

static int op_reopen(rp *r, json_t *in, json_t *out)
{
    const char *user;
    uint64_t conv;
    if (agent_args(r, in, out, &user, &conv))
        return -1;
    int rc = cib_reopen(r->ctx, user, CIB_NTS, conv);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

const rp_op rp_traffic_ops[] = {
    {"inbound", op_inbound,
     KEYS("channel", "msg_id", "from", "text", "as", "thread", "forwarded_by", "cc", "attachments"),
     0},
    {"reply", op_reply, KEYS("user", "conversation", "text", "channel"), 0},
    {"comment", op_comment, KEYS("user", "conversation", "text"), 0},
    {"assign", op_assign, KEYS("user", "conversation", "to"), 0},
    {"close", op_close, KEYS("user", "conversation"), 1},
    {"reopen", op_reopen, KEYS("user", "conversation"), 0},
    {NULL, NULL, NULL, 0},
};
