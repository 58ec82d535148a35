/* ops_account.c - ops that set up the account: the clock, users, teams,
 * pipelines, contacts, statuses, inboxes and channels. */
#include <stdlib.h>
#include <string.h>

#include "replay.h"

/* ---- time ---- */

static int op_clock(rp *r, json_t *in, json_t *out)
{
    const char *now = NULL;
    if (arg_str(in, out, "now", 1, &now))
        return -1;
    int64_t ms;
    if (rp_parse_time(now, &ms))
        return rp_fail(out, "invalid", "key 'now' is not an RFC 3339 time: '%s'", now);
    r->now = ms;
    return 0;
}

static int op_advance(rp *r, json_t *in, json_t *out)
{
    long long s = 0;
    if (arg_int(in, out, "seconds", 1, 0, 100LL * 365 * 86400, &s))
        return -1;
    r->now += s * 1000;
    return 0;
}

/* ---- users, teams, pipelines, contacts ---- */

static const char *const seats[] = {NULL, "paid", "free"};
static const char *const roles[] = {NULL, "member", "admin", "super_admin"};
static const char *const statuses[] = {NULL, "available", "away", "offline"};

/* A new user, or new values for an existing one (keys not given keep their
 * values). */
static int op_user(rp *r, json_t *in, json_t *out)
{
    const char *id = NULL;
    if (arg_str(in, out, "id", 1, &id))
        return -1;
    cib_user_info cur = CIB_USER_INFO_INIT;
    int exists = cib_user_get(r->ctx, id, CIB_NTS, &cur) == CIB_OK;
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = id;
    d.name = exists ? cur.name : id;
    d.email = exists ? cur.email : NULL;
    d.seat = exists ? cur.seat : CIB_SEAT_PAID;
    d.role = exists ? cur.role : CIB_ROLE_MEMBER;
    long long capacity = exists ? cur.capacity : 0;
    if (arg_str(in, out, "name", 0, &d.name) || arg_str(in, out, "email", 0, &d.email) ||
        arg_enum(in, out, "seat", 0, seats, 3, &d.seat) ||
        arg_enum(in, out, "role", 0, roles, 4, &d.role) ||
        arg_int(in, out, "capacity", 0, 0, UINT32_MAX, &capacity))
        return -1;
    if (json_is_null(json_object_get(in, "email")))
        d.email = NULL;
    d.capacity = (uint32_t)capacity;
    int rc = exists ? cib_user_update(r->ctx, &d) : cib_user_add(r->ctx, &d);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

static int op_team(rp *r, json_t *in, json_t *out)
{
    const char *id = NULL;
    const char **members = NULL;
    size_t n = 0;
    if (arg_str(in, out, "id", 1, &id) || arg_strs(in, out, "members", 1, &members, &n))
        return -1;
    cib_team_def d = CIB_TEAM_DEF_INIT;
    d.id = id;
    d.members = members;
    d.n_members = n;
    size_t count;
    int exists = cib_list_count(r->ctx, CIB_LIST_TEAM_MEMBERS, id, CIB_NTS, &count) == CIB_OK;
    int rc = exists ? cib_team_update(r->ctx, &d) : cib_team_add(r->ctx, &d);
    free(members);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

static int op_pipeline(rp *r, json_t *in, json_t *out)
{
    const char *id = NULL;
    const char **stages = NULL;
    size_t n = 0;
    if (arg_str(in, out, "id", 1, &id) || arg_strs(in, out, "stages", 1, &stages, &n))
        return -1;
    cib_pipeline_def d = CIB_PIPELINE_DEF_INIT;
    d.id = id;
    d.stages = stages;
    d.n_stages = n;
    int rc = cib_pipeline_add(r->ctx, &d);
    free(stages);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

static int op_contact(rp *r, json_t *in, json_t *out)
{
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    if (arg_str(in, out, "id", 1, &d.id) || arg_str(in, out, "email", 0, &d.email) ||
        arg_str(in, out, "owner", 0, &d.owner))
        return -1;
    int rc = cib_contact_add(r->ctx, &d);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

/* Status, and the reassign-replies switch when given (set first: with the
 * status checked beforehand, the second call can only fail for want of
 * memory or storage). */
static int op_status(rp *r, json_t *in, json_t *out)
{
    const char *user = NULL;
    int status = 0, reassign = -1;
    if (arg_str(in, out, "user", 1, &user) ||
        arg_enum(in, out, "status", 1, statuses, 4, &status) ||
        arg_bool(in, out, "reassign_replies", 0, &reassign))
        return -1;
    cib_user_info u = CIB_USER_INFO_INIT;
    int rc = cib_user_get(r->ctx, user, CIB_NTS, &u);
    if (!rc && reassign >= 0 && reassign != u.reassign_replies)
        rc = cib_user_set_reassign_replies(r->ctx, user, CIB_NTS, reassign);
    if (!rc)
        rc = cib_user_set_status(r->ctx, user, CIB_NTS, status);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

/* ---- inboxes ---- */

typedef struct access_buf {
    cib_access_def def;
    const char **users, **teams;
} access_buf;

/* "everyone" or {"users":[…],"teams":[…]}. */
static int read_access(json_t *in, json_t *out, access_buf *a)
{
    cib_access_def init = CIB_ACCESS_DEF_INIT;
    a->def = init;
    a->users = a->teams = NULL;
    json_t *v = json_object_get(in, "access");
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v)) {
        if (strcmp(json_string_value(v), "everyone"))
            return rp_fail(out, "invalid", "key 'access' is \"everyone\" or an object");
        return 0;
    }
    static const char *const keys[] = {"users", "teams", NULL};
    if (!json_is_object(v))
        return rp_fail(out, "invalid", "key 'access' is \"everyone\" or an object");
    if (arg_only(v, out, keys) || arg_strs(v, out, "users", 0, &a->users, &a->def.n_users))
        return -1;
    if (arg_strs(v, out, "teams", 0, &a->teams, &a->def.n_teams)) {
        free(a->users);
        return -1;
    }
    a->def.everyone = 0;
    a->def.users = a->users;
    a->def.teams = a->teams;
    return 0;
}

static int op_inbox(rp *r, json_t *in, json_t *out)
{
    cib_inbox_def d = CIB_INBOX_DEF_INIT;
    access_buf a;
    if (arg_str(in, out, "id", 1, &d.id) || arg_str(in, out, "name", 1, &d.name) ||
        read_access(in, out, &a))
        return -1;
    d.access = &a.def;
    int rc = cib_inbox_add(r->ctx, &d);
    free(a.users);
    free(a.teams);
    if (rc)
        return rp_lib_fail(r, out, rc);
    json_object_set_new(r->stats.inboxes, d.id, json_true());
    return 0;
}

static int op_inbox_rename(rp *r, json_t *in, json_t *out)
{
    const char *id = NULL, *name = NULL;
    if (arg_str(in, out, "inbox", 1, &id) || arg_str(in, out, "name", 1, &name))
        return -1;
    int rc = cib_inbox_rename(r->ctx, id, CIB_NTS, name, CIB_NTS);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

static int op_inbox_delete(rp *r, json_t *in, json_t *out)
{
    const char *id = NULL, *confirm = NULL;
    if (arg_str(in, out, "inbox", 1, &id) || arg_str(in, out, "confirm", 1, &confirm))
        return -1;
    int rc = cib_inbox_remove(r->ctx, id, CIB_NTS, confirm, CIB_NTS);
    if (rc)
        return rp_lib_fail(r, out, rc);
    json_object_del(r->stats.inboxes, id);
    return 0;
}

static int op_inbox_access(rp *r, json_t *in, json_t *out)
{
    const char *id = NULL;
    access_buf a;
    if (arg_str(in, out, "inbox", 1, &id))
        return -1;
    if (!json_object_get(in, "access"))
        return rp_fail(out, "invalid", "missing key 'access'");
    if (read_access(in, out, &a))
        return -1;
    int rc = cib_inbox_set_access(r->ctx, id, CIB_NTS, &a.def);
    free(a.users);
    free(a.teams);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

/* ---- channels ---- */

#include "settings.h"

static int op_channel(rp *r, json_t *in, json_t *out)
{
    channel_buf b;
    if (read_channel(in, out, &b))
        return -1;
    int rc = cib_channel_add(r->ctx, &b.def);
    channel_buf_free(&b);
    if (rc)
        return rp_lib_fail(r, out, rc);
    json_object_set_new(r->stats.channels, b.def.id, json_string(b.def.inbox));
    return 0;
}

static int op_channel_status(rp *r, json_t *in, json_t *out)
{
    static const char *const names[] = {NULL, "enabled", "disabled"};
    const char *id = NULL;
    int status = 0;
    if (arg_str(in, out, "channel", 1, &id) || arg_enum(in, out, "status", 1, names, 3, &status))
        return -1;
    int rc = cib_channel_set_status(r->ctx, id, CIB_NTS, status);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

static int op_channel_routing(rp *r, json_t *in, json_t *out)
{
    const char *id = NULL;
    json_t *v = NULL;
    routing_buf b;
    if (arg_str(in, out, "channel", 1, &id) || arg_obj(in, out, "routing", 1, &v) ||
        read_routing(v, out, &b))
        return -1;
    int rc = cib_channel_set_routing(r->ctx, id, CIB_NTS, &b.def);
    routing_buf_free(&b);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

static int op_channel_tickets(rp *r, json_t *in, json_t *out)
{
    const char *id = NULL;
    json_t *v = NULL;
    tickets_buf b;
    if (arg_str(in, out, "channel", 1, &id) || arg_obj(in, out, "tickets", 0, &v))
        return -1;
    if (v && read_tickets(v, out, &b))
        return -1;
    int rc = cib_channel_set_tickets(r->ctx, id, CIB_NTS, v ? &b.def : NULL);
    if (v)
        tickets_buf_free(&b);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

static int op_channel_availability(rp *r, json_t *in, json_t *out)
{
    const char *id = NULL;
    json_t *v = NULL;
    hours_buf b;
    if (arg_str(in, out, "channel", 1, &id) || arg_obj(in, out, "availability", 1, &v) ||
        read_hours(v, out, &b))
        return -1;
    int rc = cib_channel_set_availability(r->ctx, id, CIB_NTS, &b.def);
    return rc ? rp_lib_fail(r, out, rc) : 0;
}

#define KEYS(...) ((const char *const[]){__VA_ARGS__, NULL})

const rp_op rp_account_ops[] = {
    {"clock", op_clock, KEYS("now"), 0},
    {"advance", op_advance, KEYS("seconds"), 0},
    {"user", op_user, KEYS("id", "name", "email", "seat", "role", "capacity"), 1},
    {"team", op_team, KEYS("id", "members"), 1},
    {"pipeline", op_pipeline, KEYS("id", "stages"), 0},
    {"contact", op_contact, KEYS("id", "email", "owner"), 0},
    {"status", op_status, KEYS("user", "status", "reassign_replies"), 1},
    {"inbox", op_inbox, KEYS("id", "name", "access"), 0},
    {"inbox.rename", op_inbox_rename, KEYS("inbox", "name"), 0},
    {"inbox.delete", op_inbox_delete, KEYS("inbox", "confirm"), 1},
    {"inbox.access", op_inbox_access, KEYS("inbox", "access"), 1},
    {"channel", op_channel,
     KEYS("id", "inbox", "type", "address", "status", "routing", "tickets", "availability",
          "threading", "sender", "log_forward_to_original", "properties"),
     0},
    {"channel.status", op_channel_status, KEYS("channel", "status"), 0},
    {"channel.routing", op_channel_routing, KEYS("channel", "routing"), 1},
    {"channel.tickets", op_channel_tickets, KEYS("channel", "tickets"), 0},
    {"channel.availability", op_channel_availability, KEYS("channel", "availability"), 0},
    {NULL, NULL, NULL, 0},
};
