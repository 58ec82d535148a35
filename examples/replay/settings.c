/* settings.c - channel settings from JSON (see settings.h). */
#include <stdlib.h>
#include <string.h>

#include "settings.h"

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})

/* "user:ID" / "team:ID" targets. */
static int read_targets(json_t *v, json_t *out, routing_buf *b)
{
    const char **items = NULL;
    size_t n = 0;
    if (arg_strs(v, out, "targets", 0, &items, &n))
        return -1;
    b->kinds = malloc((n ? n : 1) * sizeof *b->kinds);
    b->ids = malloc((n ? n : 1) * sizeof *b->ids);
    if (!b->kinds || !b->ids) {
        free(items);
        routing_buf_free(b);
        return rp_fail(out, "nomem", "out of memory reading 'targets'");
    }
    for (size_t i = 0; i < n; i++) {
        if (strncmp(items[i], "user:", 5) && strncmp(items[i], "team:", 5)) {
            rp_fail(out, "invalid", "key 'targets': '%s' is not \"user:ID\" or \"team:ID\"",
                    items[i]);
            free(items);
            routing_buf_free(b);
            return -1;
        }
        b->kinds[i] = items[i][0] == 'u' ? CIB_TARGET_USER : CIB_TARGET_TEAM;
        b->ids[i] = items[i] + 5;
    }
    free(items);
    b->def.target_kinds = b->kinds;
    b->def.target_ids = b->ids;
    b->def.n_targets = n;
    return 0;
}

int read_routing(json_t *v, json_t *out, routing_buf *b)
{
    static const char *const modes[] = {NULL, "unassigned", "specific", "contact_owner"};
    static const char *const strategies[] = {NULL, "first_available", "round_robin",
                                             "least_loaded"};
    cib_routing_def init = CIB_ROUTING_DEF_INIT;
    b->def = init;
    b->kinds = NULL;
    b->ids = NULL;
    int queue = 0, only = 1;
    json_t *fallback = NULL;
    if (arg_only(v, out,
                 KEYS("mode", "targets", "fallback", "only_available", "strategy", "queue")) ||
        arg_enum(v, out, "mode", 1, modes, 4, &b->def.mode) ||
        arg_enum(v, out, "strategy", 0, strategies, 4, &b->def.strategy) ||
        arg_bool(v, out, "only_available", 0, &only) || arg_bool(v, out, "queue", 0, &queue) ||
        arg_obj(v, out, "fallback", 0, &fallback))
        return -1;
    b->def.only_available = only;
    b->def.queue = queue;
    if (b->def.mode == CIB_ROUTE_CONTACT_OWNER) {
        if (json_object_get(v, "targets"))
            return rp_fail(out, "invalid", "key 'targets': an owner rule takes 'fallback'");
        if (fallback &&
            (arg_only(fallback, out, KEYS("targets")) || read_targets(fallback, out, b)))
            return -1;
    } else if (fallback) {
        return rp_fail(out, "invalid", "key 'fallback' is for mode contact_owner");
    } else if (read_targets(v, out, b)) {
        return -1;
    }
    return 0;
}

void routing_buf_free(routing_buf *b)
{
    free(b->kinds);
    free(b->ids);
    b->kinds = NULL;
    b->ids = NULL;
}

int read_props(json_t *v, json_t *out, const char *key, props_buf *b)
{
    b->keys = b->values = NULL;
    b->n = 0;
    json_t *obj = NULL;
    if (arg_obj(v, out, key, 0, &obj))
        return -1;
    if (!obj)
        return 0;
    size_t n = json_object_size(obj);
    b->keys = malloc((n ? n : 1) * sizeof *b->keys);
    b->values = malloc((n ? n : 1) * sizeof *b->values);
    if (!b->keys || !b->values) {
        props_buf_free(b);
        return rp_fail(out, "nomem", "out of memory reading '%s'", key);
    }
    const char *k;
    json_t *val;
    json_object_foreach(obj, k, val)
    {
        if (!json_is_string(val)) {
            props_buf_free(b);
            return rp_fail(out, "invalid", "key '%s': the value of '%s' must be a string", key, k);
        }
        b->keys[b->n] = k;
        b->values[b->n++] = json_string_value(val);
    }
    return 0;
}

void props_buf_free(props_buf *b)
{
    free(b->keys);
    free(b->values);
    b->keys = b->values = NULL;
    b->n = 0;
}

int read_tickets(json_t *v, json_t *out, tickets_buf *b)
{
    cib_ticket_def init = CIB_TICKET_DEF_INIT;
    b->def = init;
    b->props.keys = b->props.values = NULL;
    b->props.n = 0;
    const char *owner = NULL;
    if (arg_only(v, out, KEYS("auto", "pipeline", "stage", "owner", "properties")) ||
        arg_bool(v, out, "auto", 1, &b->def.automatic) ||
        arg_str(v, out, "pipeline", 0, &b->def.pipeline) ||
        arg_str(v, out, "stage", 0, &b->def.stage) || arg_str(v, out, "owner", 0, &owner))
        return -1;
    if (!owner || !strcmp(owner, "assignee")) {
        b->def.owner = CIB_TICKET_OWNER_ASSIGNEE;
    } else if (!strcmp(owner, "none")) {
        b->def.owner = CIB_TICKET_OWNER_NONE;
    } else if (!strncmp(owner, "user:", 5)) {
        b->def.owner = CIB_TICKET_OWNER_USER;
        b->def.owner_user = owner + 5;
    } else {
        return rp_fail(out, "invalid", "key 'owner' is \"assignee\", \"none\" or \"user:ID\"");
    }
    if (read_props(v, out, "properties", &b->props))
        return -1;
    b->def.property_keys = b->props.keys;
    b->def.property_values = b->props.values;
    b->def.n_properties = b->props.n;
    return 0;
}

void tickets_buf_free(tickets_buf *b)
{
    props_buf_free(&b->props);
}

static int read_days(json_t *range, json_t *out, size_t i, unsigned *days)
{
    static const char *const names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
    json_t *a = json_object_get(range, "days");
    if (!json_is_array(a) || json_array_size(a) == 0)
        return rp_fail(out, "invalid", "key 'hours': range %zu needs 'days', e.g. [\"mon\"]", i);
    *days = 0;
    for (size_t k = 0; k < json_array_size(a); k++) {
        const char *d = json_string_value(json_array_get(a, k));
        int found = -1;
        for (int n = 0; d && n < 7; n++)
            if (!strcmp(d, names[n]))
                found = n;
        if (found < 0)
            return rp_fail(out, "invalid",
                           "key 'hours': range %zu has a day that is not one of "
                           "mon, tue, wed, thu, fri, sat, sun",
                           i);
        *days |= 1u << found;
    }
    return 0;
}

int read_hours(json_t *v, json_t *out, hours_buf *b)
{
    static const char *const modes[] = {NULL, "always", "status_based", "business_hours"};
    cib_availability_def init = CIB_AVAILABILITY_DEF_INIT;
    b->def = init;
    if (arg_only(v, out, KEYS("mode", "tz", "hours")) ||
        arg_enum(v, out, "mode", 1, modes, 4, &b->def.mode) || arg_str(v, out, "tz", 0, &b->def.tz))
        return -1;
    json_t *hours = json_object_get(v, "hours");
    if (hours && !json_is_array(hours))
        return rp_fail(out, "invalid", "key 'hours' must be an array of ranges");
    size_t n = hours ? json_array_size(hours) : 0;
    if (n > 64)
        return rp_fail(out, "invalid", "key 'hours' has %zu ranges; at most 64", n);
    for (size_t i = 0; i < n; i++) {
        json_t *range = json_array_get(hours, i);
        const char *from = NULL, *to = NULL;
        if (!json_is_object(range))
            return rp_fail(out, "invalid", "key 'hours': range %zu must be an object", i);
        if (arg_only(range, out, KEYS("days", "from", "to")) ||
            read_days(range, out, i, &b->days[i]) || arg_str(range, out, "from", 1, &from) ||
            arg_str(range, out, "to", 1, &to))
            return -1;
        if (rp_parse_hhmm(from, &b->from[i]) || rp_parse_hhmm(to, &b->to[i]) || b->from[i] >= 1440)
            return rp_fail(out, "invalid",
                           "key 'hours': range %zu needs times \"HH:MM\" "
                           "(from 00:00 to 23:59, to up to 24:00)",
                           i);
    }
    b->def.range_days = b->days;
    b->def.range_from = b->from;
    b->def.range_to = b->to;
    b->def.n_ranges = n;
    return 0;
}

static int read_sender(json_t *in, json_t *out, cib_channel_def *d)
{
    static const char *const displays[] = {NULL, "agent_and_company", "company"};
    json_t *s = NULL;
    if (arg_obj(in, out, "sender", 0, &s))
        return -1;
    if (!s)
        return 0;
    return arg_only(s, out, KEYS("display", "company", "signature", "name")) ||
                   arg_enum(s, out, "display", 0, displays, 3, &d->sender_display) ||
                   arg_str(s, out, "company", 0, &d->company) ||
                   arg_str(s, out, "signature", 0, &d->signature) ||
                   arg_str(s, out, "name", 0, &d->sender_name)
               ? -1
               : 0;
}

int read_channel(json_t *in, json_t *out, channel_buf *b)
{
    static const char *const types[] = {NULL,        "email",  "chat",          "form",
                                        "messenger", "custom", "fallback_email"};
    static const char *const statuses[] = {NULL, "enabled", "disabled"};
    static const char *const threadings[] = {NULL, "key", "new"};
    cib_channel_def init = CIB_CHANNEL_DEF_INIT;
    memset(b, 0, sizeof *b);
    b->def = init;
    json_t *routing = NULL, *tickets = NULL, *hours = NULL;
    if (arg_str(in, out, "id", 1, &b->def.id) || arg_str(in, out, "inbox", 1, &b->def.inbox) ||
        arg_enum(in, out, "type", 1, types, 7, &b->def.type) ||
        arg_str(in, out, "address", 0, &b->def.address) ||
        arg_enum(in, out, "status", 0, statuses, 3, &b->def.status) ||
        arg_enum(in, out, "threading", 0, threadings, 3, &b->def.threading) ||
        arg_bool(in, out, "log_forward_to_original", 0, &b->def.log_forward_to_original) ||
        read_sender(in, out, &b->def) || arg_obj(in, out, "routing", 0, &routing) ||
        arg_obj(in, out, "tickets", 0, &tickets) || arg_obj(in, out, "availability", 0, &hours))
        return -1;
    if (routing) {
        if (read_routing(routing, out, &b->routing))
            return -1;
        b->has_routing = 1;
        b->def.routing = &b->routing.def;
    }
    if (tickets) {
        if (read_tickets(tickets, out, &b->tickets)) {
            channel_buf_free(b);
            return -1;
        }
        b->has_tickets = 1;
        b->def.tickets = &b->tickets.def;
    }
    if (hours) {
        if (read_hours(hours, out, &b->hours)) {
            channel_buf_free(b);
            return -1;
        }
        b->def.availability = &b->hours.def;
    }
    if (read_props(in, out, "properties", &b->props)) {
        channel_buf_free(b);
        return -1;
    }
    b->def.property_keys = b->props.keys;
    b->def.property_values = b->props.values;
    b->def.n_properties = b->props.n;
    return 0;
}

void channel_buf_free(channel_buf *b)
{
    if (b->has_routing)
        routing_buf_free(&b->routing);
    if (b->has_tickets)
        tickets_buf_free(&b->tickets);
    props_buf_free(&b->props);
    b->has_routing = b->has_tickets = 0;
}
