/* api_ops.c - the calls of the api fuzz target, their arguments read from the
 * input: every mutating call of convinbox.h and every query. */
#include <stdio.h>
#include <string.h>

#include "api.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const d_user[] = {"u0", "u1", "u2", "u3"};
static const char *const d_team[] = {"t0", "t1"};
static const char *const d_contact[] = {"k0", "k1", "cib:c1", "cib:c2"};
static const char *const d_pipeline[] = {"p0", "p1"};
static const char *const d_stage[] = {"new", "open", "done"};
static const char *const d_inbox[] = {"default", "i1", "i2"};
static const char *const d_channel[] = {"default-fallback", "e1", "ch1", "f1", "m1", "x1"};
static const char *const d_email[] = {"a@x.test", "b@x.test", "sales@x.test", "A@X.test",
                                      "u0@x.test"};
static const char *const d_name[] = {"Alice Adams", "Support", "Sales", "support", "Inbox"};
static const char *const d_text[] = {"Hello", "", "two\nlines\tand tab",
                                     "{first_name} {full_name}"};
static const char *const d_zone[] = {
    "UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "../zone", "Nope/Zone"};
static const char *const d_propkey[] = {"prio", "src", "a.b-c_d"};
static const char *const d_msgid[] = {"m1", "m2", "m3", "<x@y>"};
static const char *const d_thread[] = {"th1", "th2", "th3"};
static const char *const d_from[] = {"a@x.test", "b@x.test", "visitor-1", "12345", "B@X.TEST"};
static const char *const d_target[] = {"user:u0", "user:u1", "team:t0", "team:t1", "user:u9"};

static const struct {
    const char *const *v;
    size_t n;
} dict[S_CLASSES] = {
    {d_user, N_OF(d_user)},         {d_team, N_OF(d_team)},     {d_contact, N_OF(d_contact)},
    {d_pipeline, N_OF(d_pipeline)}, {d_stage, N_OF(d_stage)},   {d_inbox, N_OF(d_inbox)},
    {d_channel, N_OF(d_channel)},   {d_email, N_OF(d_email)},   {d_name, N_OF(d_name)},
    {d_text, N_OF(d_text)},         {d_zone, N_OF(d_zone)},     {d_propkey, N_OF(d_propkey)},
    {d_msgid, N_OF(d_msgid)},       {d_thread, N_OF(d_thread)}, {d_from, N_OF(d_from)},
    {d_target, N_OF(d_target)},
};

/* Malformed strings: empty, a NUL inside, invalid UTF-8, a control
 * character, an overlong encoding, a surrogate. */
static const struct {
    const char *s;
    size_t n;
} bad[] = {
    {"", 0},         {"a\0b", 3},         {"\xff\xfe", 2},    {"a\x01", 2},
    {"\xc0\xaf", 2}, {"\xed\xa0\x80", 3}, {"caf\xc3\xa9", 5}, {"\xe2\x82", 2},
};

static char *pool_slot(api *a)
{
    return a->pool[a->pool_next++ % N_OF(a->pool)];
}

fz_str api_str(api *a, int cls)
{
    fz_str r = {NULL, CIB_NTS};
    uint8_t b = fz_u8(&a->in);
    if (b < 224) {
        r.s = dict[cls].v[b % dict[cls].n];
        r.n = (b & 0x80) ? strlen(r.s) : CIB_NTS;
    } else if (b < 244) {
        size_t n;
        const uint8_t *p = fz_bytes(&a->in, API_RAW_MAX, &n);
        char *s = pool_slot(a);
        memcpy(s, p, n);
        s[n] = '\0';
        r.s = s;
        r.n = (b & 1) ? CIB_NTS : n;
    } else if (b < 252) {
        r.s = bad[b - 244].s;
        r.n = bad[b - 244].n;
    } else if (b < 254) {
        /* Longer than the default limits (255): 256 or more bytes. */
        char *s = pool_slot(a);
        size_t n = 256 + (b & 1) * 40;
        memset(s, 'x', n);
        s[n] = '\0';
        r.s = s;
        r.n = n;
    }
    return r;
}

void api_seen_conv(api *a, uint64_t id)
{
    if (id)
        a->convs[a->n_convs++ % N_OF(a->convs)] = id;
}

uint64_t api_conv(api *a)
{
    uint8_t b = fz_u8(&a->in);
    if (b < 200)
        return a->convs[b % N_OF(a->convs)];
    if (b < 250)
        return a->msgs[b % N_OF(a->msgs)];
    return b == 250 ? fz_u64(&a->in) : b - 250u;
}

uint64_t api_ticket(api *a)
{
    uint8_t b = fz_u8(&a->in);
    return b < 250 ? a->tickets[b % N_OF(a->tickets)] : fz_u64(&a->in);
}

int64_t api_time(api *a)
{
    uint8_t b = fz_u8(&a->in);
    if (b < 200) { /* around now, hours to weeks away (saturating) */
        int64_t d = ((int64_t)b - 100) * 3600000 * (b & 1 ? 1 : 24);
        if (d > 0 && a->now > INT64_MAX - d)
            return INT64_MAX;
        if (d < 0 && a->now < INT64_MIN - d)
            return INT64_MIN;
        return a->now + d;
    }
    if (b < 210) { /* the ends of the clock's range */
        static const int64_t ends[] = {
            CIB_TIME_MIN - 1, CIB_TIME_MIN,     CIB_TIME_MIN + 1, 0,         CIB_TIME_MAX - 1,
            CIB_TIME_MAX,     CIB_TIME_MAX + 1, INT64_MIN,        INT64_MAX, -1};
        return ends[b - 200];
    }
    return (int64_t)fz_u64(&a->in);
}

/* ---- lists ---- */

typedef struct strs {
    const char *v[8];
    size_t n[8];
    size_t count;
    int with_lens;
} strs;

static void read_strs(api *a, int cls, strs *l, size_t max)
{
    uint8_t b = fz_u8(&a->in);
    l->count = (size_t)(b & 0x0f) % (max + 1);
    l->with_lens = b & 0x10;
    for (size_t i = 0; i < l->count; i++) {
        fz_str s = api_str(a, cls);
        if (!s.s && !l->with_lens) /* NULL items only where lengths come too */
            s.s = "u0", s.n = CIB_NTS;
        l->v[i] = s.s;
        l->n[i] = s.n;
    }
}

static const size_t *lens(const strs *l)
{
    return l->with_lens ? l->n : NULL;
}

/* ---- defs ---- */

static int small(api *a, int n)
{
    return fz_u8(&a->in) % n;
}

static int call_user(api *a, int update)
{
    cib_user_def d = CIB_USER_DEF_INIT;
    fz_str id = api_str(a, S_USER), name = api_str(a, S_NAME), email = api_str(a, S_EMAIL);
    d.id = id.s, d.id_len = id.n;
    d.name = name.s, d.name_len = name.n;
    if (small(a, 2))
        d.email = email.s, d.email_len = email.n;
    d.seat = small(a, 4);
    d.role = small(a, 5);
    d.capacity = small(a, 2) ? 0 : fz_u8(&a->in) % 4;
    return update ? cib_user_update(a->ctx, &d) : cib_user_add(a->ctx, &d);
}

static int call_team(api *a, int update)
{
    cib_team_def d = CIB_TEAM_DEF_INIT;
    fz_str id = api_str(a, S_TEAM);
    strs m;
    read_strs(a, S_USER, &m, 6);
    d.id = id.s, d.id_len = id.n;
    d.members = m.count ? m.v : NULL;
    d.member_lens = lens(&m);
    d.n_members = m.count;
    return update ? cib_team_update(a->ctx, &d) : cib_team_add(a->ctx, &d);
}

static int call_contact(api *a, int update)
{
    cib_contact_def d = CIB_CONTACT_DEF_INIT;
    fz_str id = api_str(a, S_CONTACT), email = api_str(a, S_EMAIL), owner = api_str(a, S_USER);
    d.id = id.s, d.id_len = id.n;
    if (small(a, 2))
        d.email = email.s, d.email_len = email.n;
    if (small(a, 2))
        d.owner = owner.s, d.owner_len = owner.n;
    return update ? cib_contact_update(a->ctx, &d) : cib_contact_add(a->ctx, &d);
}

static int call_pipeline(api *a)
{
    cib_pipeline_def d = CIB_PIPELINE_DEF_INIT;
    fz_str id = api_str(a, S_PIPELINE);
    strs st;
    read_strs(a, S_STAGE, &st, 4);
    d.id = id.s, d.id_len = id.n;
    d.stages = st.count ? st.v : NULL;
    d.stage_lens = lens(&st);
    d.n_stages = st.count;
    return cib_pipeline_add(a->ctx, &d);
}

typedef struct access_buf {
    cib_access_def d;
    strs users, teams;
} access_buf;

static const cib_access_def *read_access(api *a, access_buf *b)
{
    cib_access_def d = CIB_ACCESS_DEF_INIT;
    b->d = d;
    uint8_t k = fz_u8(&a->in);
    if (k < 64)
        return NULL;
    b->d.everyone = k < 128;
    read_strs(a, S_USER, &b->users, 4);
    read_strs(a, S_TEAM, &b->teams, 2);
    if (b->d.everyone && k & 1)
        b->users.count = b->teams.count = 0;
    b->d.users = b->users.count ? b->users.v : NULL;
    b->d.user_lens = lens(&b->users);
    b->d.n_users = b->users.count;
    b->d.teams = b->teams.count ? b->teams.v : NULL;
    b->d.team_lens = lens(&b->teams);
    b->d.n_teams = b->teams.count;
    return &b->d;
}

typedef struct routing_buf {
    cib_routing_def d;
    strs ids;
    int kinds[8];
} routing_buf;

static const cib_routing_def *read_routing(api *a, routing_buf *b)
{
    cib_routing_def d = CIB_ROUTING_DEF_INIT;
    b->d = d;
    uint8_t k = fz_u8(&a->in);
    if (k < 32)
        return NULL;
    b->d.mode = k % 4;
    read_strs(a, S_USER, &b->ids, 6);
    for (size_t i = 0; i < b->ids.count; i++) {
        uint8_t t = fz_u8(&a->in);
        b->kinds[i] = t % 3;
        if (b->kinds[i] == CIB_TARGET_TEAM && t >= 128) {
            fz_str s = api_str(a, S_TEAM);
            b->ids.v[i] = s.s ? s.s : "t0";
            b->ids.n[i] = s.s ? s.n : CIB_NTS;
        }
    }
    b->d.target_kinds = b->ids.count ? b->kinds : NULL;
    b->d.target_ids = b->ids.count ? b->ids.v : NULL;
    b->d.target_id_lens = lens(&b->ids);
    b->d.n_targets = b->ids.count;
    uint8_t f = fz_u8(&a->in);
    b->d.only_available = f & 1 ? 0 : (f & 2 ? 1 : 2);
    b->d.strategy = (f >> 2) % 4;
    b->d.queue = (f >> 4) & 1;
    return &b->d;
}

typedef struct tickets_buf {
    cib_ticket_def d;
    strs keys, values;
} tickets_buf;

static const cib_ticket_def *read_tickets(api *a, tickets_buf *b)
{
    cib_ticket_def d = CIB_TICKET_DEF_INIT;
    b->d = d;
    uint8_t k = fz_u8(&a->in);
    if (k < 32)
        return NULL;
    b->d.automatic = k % 3 != 0;
    fz_str p = api_str(a, S_PIPELINE), s = api_str(a, S_STAGE), o = api_str(a, S_USER);
    if (k & 8)
        b->d.pipeline = p.s, b->d.pipeline_len = p.n;
    if (k & 16)
        b->d.stage = s.s, b->d.stage_len = s.n;
    b->d.owner = small(a, 4);
    if (b->d.owner == CIB_TICKET_OWNER_USER)
        b->d.owner_user = o.s, b->d.owner_user_len = o.n;
    read_strs(a, S_PROPKEY, &b->keys, 3);
    read_strs(a, S_TEXT, &b->values, 3);
    size_t n = b->keys.count < b->values.count ? b->keys.count : b->values.count;
    b->d.property_keys = n ? b->keys.v : NULL;
    b->d.property_key_lens = lens(&b->keys);
    b->d.property_values = n ? b->values.v : NULL;
    b->d.property_value_lens = lens(&b->values);
    b->d.n_properties = n;
    return &b->d;
}

typedef struct hours_buf {
    cib_availability_def d;
    unsigned days[4], from[4], to[4];
} hours_buf;

static const cib_availability_def *read_hours(api *a, hours_buf *b)
{
    cib_availability_def d = CIB_AVAILABILITY_DEF_INIT;
    b->d = d;
    uint8_t k = fz_u8(&a->in);
    if (k < 32)
        return NULL;
    b->d.mode = k % 4;
    fz_str z = api_str(a, S_ZONE);
    if (b->d.mode == CIB_CHAT_BUSINESS_HOURS || k & 4)
        b->d.tz = z.s, b->d.tz_len = z.n;
    b->d.n_ranges = fz_u8(&a->in) % 5;
    for (size_t i = 0; i < b->d.n_ranges; i++) {
        b->days[i] = fz_u8(&a->in);
        b->from[i] = fz_u8(&a->in) * 6u;
        b->to[i] = fz_u8(&a->in) * 6u;
    }
    if (b->d.n_ranges) {
        b->d.range_days = b->days;
        b->d.range_from = b->from;
        b->d.range_to = b->to;
    }
    return &b->d;
}

static int call_channel(api *a, int update)
{
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    fz_str id = api_str(a, S_CHANNEL), inbox = api_str(a, S_INBOX), addr = api_str(a, S_EMAIL);
    d.id = id.s, d.id_len = id.n;
    d.inbox = inbox.s, d.inbox_len = inbox.n;
    d.type = small(a, 8);
    uint8_t f = fz_u8(&a->in);
    if (f & 1) {
        if (f & 2)
            addr = api_str(a, S_FROM);
        d.address = addr.s, d.address_len = addr.n;
    }
    if (f & 4)
        d.status = small(a, 3);
    if (f & 8) {
        fz_str s = api_str(a, S_NAME);
        d.sender_name = s.s, d.sender_name_len = s.n;
    }
    if (f & 16) {
        fz_str c = api_str(a, S_NAME), s = api_str(a, S_TEXT);
        d.sender_display = small(a, 3);
        d.company = c.s, d.company_len = c.n;
        d.signature = s.s, d.signature_len = s.n;
    }
    if (f & 32) {
        d.log_forward_to_original = small(a, 3);
        d.threading = small(a, 3);
    }
    strs keys, values;
    if (f & 64) {
        read_strs(a, S_PROPKEY, &keys, 3);
        read_strs(a, S_TEXT, &values, 3);
        size_t n = keys.count < values.count ? keys.count : values.count;
        d.property_keys = n ? keys.v : NULL;
        d.property_key_lens = lens(&keys);
        d.property_values = n ? values.v : NULL;
        d.property_value_lens = lens(&values);
        d.n_properties = n;
    }
    routing_buf rb;
    tickets_buf tb;
    hours_buf hb;
    if (f & 128) {
        d.routing = read_routing(a, &rb);
        d.tickets = read_tickets(a, &tb);
        d.availability = read_hours(a, &hb);
    } else if (d.type == CIB_CHANNEL_FORM) {
        cib_ticket_def t = CIB_TICKET_DEF_INIT;
        t.automatic = 1;
        t.pipeline = "p0";
        t.stage = "new";
        tb.d = t;
        d.tickets = &tb.d;
    }
    return update ? cib_channel_update(a->ctx, &d) : cib_channel_add(a->ctx, &d);
}

typedef struct inbound_buf {
    cib_inbound m;
    strs cc;
    cib_attachment att[3];
} inbound_buf;

static void read_inbound(api *a, inbound_buf *b)
{
    cib_inbound m = CIB_INBOUND_INIT;
    fz_str ch = api_str(a, S_CHANNEL), id = api_str(a, S_MSGID), from = api_str(a, S_FROM);
    m.channel = ch.s, m.channel_len = ch.n;
    m.msg_id = id.s, m.msg_id_len = id.n;
    m.from = from.s, m.from_len = from.n;
    uint8_t f = fz_u8(&a->in);
    if (f & 1) {
        fz_str t = api_str(a, S_THREAD);
        m.thread = t.s, m.thread_len = t.n;
    }
    fz_str text = api_str(a, S_TEXT);
    m.text = text.s, m.text_len = text.n;
    if (f & 2) {
        fz_str fw = api_str(a, S_EMAIL);
        m.forwarded_by = fw.s, m.forwarded_by_len = fw.n;
    }
    if (f & 4) {
        read_strs(a, S_EMAIL, &b->cc, 3);
        m.cc = b->cc.count ? b->cc.v : NULL;
        m.cc_lens = lens(&b->cc);
        m.n_cc = b->cc.count;
    }
    if (f & 8) {
        m.n_attachments = fz_u8(&a->in) % 4;
        for (size_t i = 0; i < m.n_attachments; i++) {
            cib_attachment at = CIB_ATTACHMENT_INIT;
            fz_str nm = api_str(a, S_NAME);
            at.kind = small(a, 8);
            at.name = nm.s, at.name_len = nm.n;
            at.bytes = fz_u32(&a->in);
            b->att[i] = at;
        }
        m.attachments = m.n_attachments ? b->att : NULL;
    }
    b->m = m;
}

static void seen_result(api *a, const cib_ingest_result *r)
{
    api_seen_conv(a, r->conversation);
    if (r->message)
        a->msgs[a->n_msgs++ % N_OF(a->msgs)] = r->message;
    if (r->ticket)
        a->tickets[a->n_tickets++ % N_OF(a->tickets)] = r->ticket;
}

static int call_ingest(api *a)
{
    inbound_buf b;
    read_inbound(a, &b);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    int rc = cib_ingest(a->ctx, &b.m, &r);
    if (rc == CIB_OK)
        seen_result(a, &r);
    return rc;
}

static int call_batch(api *a)
{
    inbound_buf b[4];
    cib_inbound m[4];
    cib_ingest_result r[4];
    int st[4];
    size_t n = fz_u8(&a->in) % 5;
    for (size_t i = 0; i < n; i++) {
        read_inbound(a, &b[i]);
        m[i] = b[i].m;
        cib_ingest_result z = CIB_INGEST_RESULT_INIT;
        r[i] = z;
    }
    int rc = cib_ingest_batch(a->ctx, n ? m : NULL, n, n ? r : NULL, n ? st : NULL);
    for (size_t i = 0; rc == CIB_OK && i < n; i++)
        if (st[i] == CIB_OK)
            seen_result(a, &r[i]);
    return rc;
}

/* ---- queries ---- */

static int count_cb(void *ud, const void *x)
{
    (void)x;
    return ++*(long *)ud > 1000;
}

static int inbox_cb(void *ud, const cib_inbox_info *i)
{
    FZ_CHECK(i->id && i->name, "inbox without id or name");
    return count_cb(ud, i);
}

static int cand_cb(void *ud, const cib_candidate *c)
{
    FZ_CHECK(c->user && c->why >= CIB_WHY_ELIGIBLE && c->why <= CIB_WHY_NO_ACCESS, "bad candidate");
    return count_cb(ud, c);
}

static int msg_cb(void *ud, const cib_message_info *m)
{
    FZ_CHECK(m->text && m->kind >= CIB_MESSAGE_INBOUND && m->kind <= CIB_MESSAGE_COMMENT,
             "bad message");
    return count_cb(ud, m);
}

static int prop_cb(void *ud, const char *k, const char *v)
{
    FZ_CHECK(k && v, "property without key or value");
    return count_cb(ud, k);
}

static int report_cb(void *ud, const cib_report_user *u)
{
    FZ_CHECK(u->user != NULL, "report row without a user");
    return count_cb(ud, u);
}

static int query_view(api *a)
{
    cib_view_def q = CIB_VIEW_DEF_INIT;
    fz_str u = api_str(a, S_USER), i = api_str(a, S_INBOX), c = api_str(a, S_CHANNEL);
    uint8_t f = fz_u8(&a->in);
    if (f & 1)
        q.user = u.s, q.user_len = u.n;
    q.view = small(a, 4);
    if (f & 2)
        q.inbox = i.s, q.inbox_len = i.n;
    if (f & 4)
        q.channel = c.s, q.channel_len = c.n;
    q.status = small(a, 3);
    q.after = f & 8 ? api_conv(a) : 0;
    uint64_t ids[5];
    size_t cap = 1 + (f >> 5) % 5, n = 99;
    uint64_t next = 99;
    int rc = cib_view(a->ctx, &q, ids, cap, &n, &next);
    if (rc == CIB_OK) {
        FZ_CHECK(n <= cap, "view wrote %zu ids into room for %zu", n, cap);
        for (size_t k = 0; k < n; k++) {
            FZ_CHECK(ids[k] > q.after && (k == 0 || ids[k] > ids[k - 1]), "view ids out of order");
            api_seen_conv(a, ids[k]);
        }
        FZ_CHECK(next == 0 || (n > 0 && next == ids[n - 1]), "view cursor %llu after %zu ids",
                 (unsigned long long)next, n);
    }
    return rc;
}

static int query_report(api *a)
{
    cib_report_def d = CIB_REPORT_DEF_INIT;
    fz_str i = api_str(a, S_INBOX);
    d.inbox = i.s, d.inbox_len = i.n;
    d.from = api_time(a);
    d.to = api_time(a);
    cib_report r = CIB_REPORT_INIT;
    long k = 0;
    int rc = cib_report_get(a->ctx, &d, &r, small(a, 2) ? report_cb : NULL, &k);
    if (rc == CIB_OK)
        FZ_CHECK(r.first_responses <= r.received, "report: %llu first responses of %llu received",
                 (unsigned long long)r.first_responses, (unsigned long long)r.received);
    return rc;
}

static int query(api *a, unsigned q)
{
    long k = 0;
    int x = 0;
    size_t n = 0;
    const char *s = NULL;
    fz_str id, u;
    switch (q) {
    case 0: {
        char *out = NULL;
        size_t len = 0;
        int rc = cib_dump(a->ctx, &out, &len);
        cib_free(a->ctx, out);
        return rc;
    }
    case 1: {
        cib_user_info i = CIB_USER_INFO_INIT;
        id = api_str(a, S_USER);
        return cib_user_get(a->ctx, id.s, id.n, &i);
    }
    case 2: {
        cib_contact_info i = CIB_CONTACT_INFO_INIT;
        id = api_str(a, S_CONTACT);
        return cib_contact_get(a->ctx, id.s, id.n, &i);
    }
    case 3:
        id = api_str(a, S_EMAIL);
        return cib_contact_find_email(a->ctx, id.s, id.n, &s);
    case 4: {
        cib_inbox_info i = CIB_INBOX_INFO_INIT;
        id = api_str(a, S_INBOX);
        return cib_inbox_get(a->ctx, id.s, id.n, &i);
    }
    case 5:
        u = api_str(a, S_USER);
        if (small(a, 2))
            u.s = NULL;
        return cib_inbox_foreach(a->ctx, u.s, u.n, inbox_cb, &k);
    case 6:
        u = api_str(a, S_USER);
        id = api_str(a, S_INBOX);
        return cib_access_check(a->ctx, u.s, u.n, id.s, id.n, small(a, 8), &x);
    case 7: {
        cib_channel_info i = CIB_CHANNEL_INFO_INIT;
        id = api_str(a, S_CHANNEL);
        return cib_channel_get(a->ctx, id.s, id.n, &i);
    }
    case 8:
        id = api_str(a, S_CHANNEL);
        return cib_chat_available(a->ctx, id.s, id.n, &x);
    case 9:
        id = api_str(a, S_CHANNEL);
        return cib_explain(a->ctx, id.s, id.n, cand_cb, &k);
    case 10: {
        uint64_t ids[4];
        size_t total = 0, off = fz_u8(&a->in) % 8, cap = 1 + fz_u8(&a->in) % 4;
        id = api_str(a, S_CHANNEL);
        int rc = cib_waiting(a->ctx, id.s, id.n, off, ids, cap, &n, &total);
        if (rc == CIB_OK)
            FZ_CHECK(n <= cap && (n == 0 || off + n <= total), "waiting: %zu of %zu at %zu", n,
                     total, off);
        return rc;
    }
    case 11:
    case 12:
    case 13: {
        cib_conversation_info i = CIB_CONVERSATION_INFO_INIT;
        u = api_str(a, S_USER);
        if (small(a, 2))
            u.s = NULL;
        uint64_t c = api_conv(a);
        if (q == 11)
            return cib_conversation_get(a->ctx, u.s, u.n, c, &i);
        if (q == 12)
            return cib_conversation_messages(a->ctx, u.s, u.n, c, msg_cb, &k);
        return cib_conversation_properties(a->ctx, u.s, u.n, c, prop_cb, &k);
    }
    case 14: {
        cib_ticket_info i = CIB_TICKET_INFO_INIT;
        u = api_str(a, S_USER);
        if (small(a, 2))
            u.s = NULL;
        return cib_ticket_get(a->ctx, u.s, u.n, api_ticket(a), &i);
    }
    case 15:
        return query_view(a);
    case 16:
        return query_report(a);
    case 17: {
        uint64_t live = 0, peak = 0;
        int rc = cib_memory_used(a->ctx, &live, small(a, 2) ? &peak : NULL);
        if (rc == CIB_OK)
            FZ_CHECK(live > 0 && (peak == 0 || peak >= live), "memory used %llu, peak %llu",
                     (unsigned long long)live, (unsigned long long)peak);
        return rc;
    }
    default: {
        int list = small(a, 10);
        static const int owner_cls[] = {S_USER,  S_TEAM,    S_PIPELINE, S_INBOX,   S_INBOX,
                                        S_INBOX, S_CHANNEL, S_CONTACT,  S_CHANNEL, S_USER};
        id = api_str(a, owner_cls[list]);
        if (small(a, 2))
            return cib_list_count(a->ctx, list, id.s, id.n, &n);
        return cib_list_item(a->ctx, list, id.s, id.n, fz_u8(&a->in) % 4, &s);
    }
    }
}

/* ---- the opcodes ---- */

static const char *const names[] = {
    "user_add",
    "user_update",
    "user_remove",
    "user_set_status",
    "set_reassign",
    "team_add",
    "team_update",
    "team_remove",
    "contact_add",
    "contact_update",
    "contact_remove",
    "pipeline_add",
    "pipeline_remove",
    "inbox_add",
    "inbox_rename",
    "inbox_remove",
    "inbox_set_access",
    "channel_add",
    "channel_update",
    "channel_set_routing",
    "channel_set_tickets",
    "channel_set_availability",
    "channel_set_status",
    "ingest",
    "ingest",
    "ingest_batch",
    "reply",
    "comment",
    "assign",
    "close",
    "reopen",
    "limit",
    "query",
};
const unsigned api_n_ops = N_OF(names);

const char *api_op_name(unsigned op)
{
    return op < api_n_ops ? names[op] : "?";
}

int api_call(api *a, unsigned op, int *mutating)
{
    fz_str id, s2, u;
    *mutating = 1;
    switch (op) {
    case 0:
    case 1:
        return call_user(a, op == 1);
    case 2:
        id = api_str(a, S_USER);
        return cib_user_remove(a->ctx, id.s, id.n);
    case 3:
        id = api_str(a, S_USER);
        return cib_user_set_status(a->ctx, id.s, id.n, small(a, 5));
    case 4:
        id = api_str(a, S_USER);
        return cib_user_set_reassign_replies(a->ctx, id.s, id.n, small(a, 3));
    case 5:
    case 6:
        return call_team(a, op == 6);
    case 7:
        id = api_str(a, S_TEAM);
        return cib_team_remove(a->ctx, id.s, id.n);
    case 8:
    case 9:
        return call_contact(a, op == 9);
    case 10:
        id = api_str(a, S_CONTACT);
        return cib_contact_remove(a->ctx, id.s, id.n);
    case 11:
        return call_pipeline(a);
    case 12:
        id = api_str(a, S_PIPELINE);
        return cib_pipeline_remove(a->ctx, id.s, id.n);
    case 13: {
        cib_inbox_def d = CIB_INBOX_DEF_INIT;
        access_buf b;
        id = api_str(a, S_INBOX);
        s2 = api_str(a, S_NAME);
        d.id = id.s, d.id_len = id.n;
        d.name = s2.s, d.name_len = s2.n;
        d.access = read_access(a, &b);
        return cib_inbox_add(a->ctx, &d);
    }
    case 14:
    case 15:
        id = api_str(a, S_INBOX);
        s2 = api_str(a, S_NAME);
        return op == 14 ? cib_inbox_rename(a->ctx, id.s, id.n, s2.s, s2.n)
                        : cib_inbox_remove(a->ctx, id.s, id.n, s2.s, s2.n);
    case 16: {
        access_buf b;
        id = api_str(a, S_INBOX);
        return cib_inbox_set_access(a->ctx, id.s, id.n, read_access(a, &b));
    }
    case 17:
    case 18:
        return call_channel(a, op == 18);
    case 19: {
        routing_buf b;
        id = api_str(a, S_CHANNEL);
        return cib_channel_set_routing(a->ctx, id.s, id.n, read_routing(a, &b));
    }
    case 20: {
        tickets_buf b;
        id = api_str(a, S_CHANNEL);
        return cib_channel_set_tickets(a->ctx, id.s, id.n, read_tickets(a, &b));
    }
    case 21: {
        hours_buf b;
        id = api_str(a, S_CHANNEL);
        return cib_channel_set_availability(a->ctx, id.s, id.n, read_hours(a, &b));
    }
    case 22:
        id = api_str(a, S_CHANNEL);
        return cib_channel_set_status(a->ctx, id.s, id.n, small(a, 4));
    case 23:
    case 24:
        return call_ingest(a);
    case 25:
        return call_batch(a);
    case 26:
    case 27: {
        uint64_t m = 0, c;
        u = api_str(a, S_USER);
        c = api_conv(a);
        s2 = api_str(a, S_TEXT);
        a->send_rc = small(a, 8) ? 0 : (small(a, 2) ? CIB_ECONFLICT : 7);
        int rc;
        if (op == 26) {
            id = api_str(a, S_CHANNEL);
            if (small(a, 2))
                id.s = NULL, id.n = 0;
            rc = cib_reply(a->ctx, u.s, u.n, c, s2.s, s2.n, id.s, id.n, small(a, 2) ? &m : NULL);
        } else {
            rc = cib_comment(a->ctx, u.s, u.n, c, s2.s, s2.n, &m);
        }
        a->send_rc = 0;
        return rc;
    }
    case 28:
        u = api_str(a, S_USER);
        id = api_str(a, S_USER);
        if (small(a, 3) == 0)
            id.s = NULL;
        return cib_assign(a->ctx, u.s, u.n, api_conv(a), id.s, id.n);
    case 29:
    case 30:
        u = api_str(a, S_USER);
        return op == 29 ? cib_close(a->ctx, u.s, u.n, api_conv(a))
                        : cib_reopen(a->ctx, u.s, u.n, api_conv(a));
    case 31: {
        /* Caps, at values around their ranges' ends; the heap budget only
         * large (a small one would make the checks' own dumps fail). */
        static const int64_t values[] = {
            -1,       0, 1, 2, 3, 100, 101, 16777216, 16777217, UINT32_MAX, (int64_t)UINT32_MAX + 1,
            INT64_MAX};
        int which = small(a, 9);
        int64_t v = values[fz_u8(&a->in) % (sizeof values / sizeof values[0])], old = 0;
        if (which == CIB_LIMIT_HEAP && v > 0 && v < (INT64_C(1) << 32))
            v = INT64_C(1) << 32;
        return cib_limit(a->ctx, which, v, small(a, 2) ? &old : NULL);
    }
    default:
        *mutating = 0;
        return query(a, fz_u8(&a->in) % 19);
    }
}
