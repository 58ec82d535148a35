/*
 * fuzz_api.c - the api fuzz target. The input is a program: a few bytes of
 * options, then calls of the public API (api_ops.c) with arbitrary bytes in
 * every string, interleaved with control steps that move the clock (to any
 * int64 time, the ends of CIB_TIME_MIN..CIB_TIME_MAX among them), make the
 * clock tick on every read, arm an
 * allocation or storage failure at a point of the next call the input
 * chooses, and restart the context from its store.
 *
 * Checked after every call, with abort() on a violation:
 *  - a call that failed returned a message, leaked nothing and changed
 *    nothing: cib_dump() of the account and the dump of every stored row are
 *    byte for byte as before; an injected allocation failure gives
 *    CIB_ENOMEM and a storage one CIB_ESTORAGE (or the store's CIB_ENOMEM),
 *    and a call that succeeded did not swallow one;
 *  - nothing leaks: every block is freed with the context (LeakSanitizer
 *    finds a block lost on the way);
 *  - a query changed nothing, failed or not;
 *  - the context stays usable (every later call runs on it);
 *  - every 16 calls and at the end, a context freshly loaded from the store
 *    has the same cib_dump() as the one in memory, and loading changes no
 *    row; a load that fails by an injected fault fails cleanly;
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

enum { MAX_OPS = 256, RESTART_EVERY = 16 };

static int64_t clock_fn(void *ud)
{
    api *a = ud;
    int64_t t = a->now;
    if (a->clock_step && a->now <= INT64_MAX - a->clock_step)
        a->now += a->clock_step;
    return t;
}

static int send_fn(void *ud, const cib_outbound *m)
{
    api *a = ud;
    FZ_CHECK(m->text && m->channel && m->to, "outbound message without text, channel or to");
    return a->send_rc;
}

static void on_event(void *ud, const cib_event *ev)
{
    api *a = ud;
    a->events++;
    FZ_CHECK(ev->type >= CIB_EVENT_CONVERSATION_CREATED && ev->type <= CIB_EVENT_REOPENED,
             "event type %d", ev->type);
    if (ev->conversation)
        api_seen_conv(a, ev->conversation);
    if (!a->probe_events)
        return;
    /* A callback may read the context but not change it. No fault may hit
     * these: the call that delivers the event has already succeeded. */
    long fa = a->fa.fail_at, fs = a->fs.fail_at;
    a->fa.fail_at = a->fs.fail_at = -1;
    int rc = cib_user_set_status(a->ctx, "u0", CIB_NTS, CIB_AWAY);
    FZ_CHECK(rc == CIB_EINVAL, "a change from an event callback returned %s", cib_status_name(rc));
    char *d = NULL;
    rc = cib_dump(a->ctx, &d, NULL);
    FZ_CHECK(rc == CIB_OK, "cib_dump from an event callback: %s", cib_status_name(rc));
    cib_free(a->ctx, d);
    a->fa.fail_at = fa;
    a->fs.fail_at = fs;
}

/* Open a context on the store; with a fault armed it may fail, cleanly. */
static int open_ctx(api *a, int may_fail)
{
    char err[256] = "";
    a->opts.error_buffer = err;
    a->opts.error_buffer_size = sizeof err;
    a->ctx = (cib_ctx *)a; /* must be reset */
    a->fs.ctx = NULL;
    int rc = cib_ctx_new(&a->opts, &a->ctx);
    a->opts.error_buffer = NULL;
    a->opts.error_buffer_size = 0;
    if (rc != CIB_OK) {
        FZ_CHECK(may_fail, "cib_ctx_new: %s: %s", cib_status_name(rc), err);
        FZ_CHECK(a->ctx == NULL, "a failed cib_ctx_new left a context");
        FZ_CHECK(err[0] != '\0', "a failed cib_ctx_new left no message");
        return rc;
    }
    a->fs.ctx = a->ctx;
    return CIB_OK;
}

static void disarm(api *a)
{
    a->fa.fail_at = -1;
    a->fs.fail_at = -1;
}

/* Apply the armed faults to the next call. */
static void arm(api *a)
{
    if (a->arm_alloc >= 0)
        a->fa.fail_at = a->fa.count + a->arm_alloc;
    if (a->arm_store >= 0)
        a->fs.fail_at = a->fs.calls + a->arm_store;
    a->arm_alloc = a->arm_store = -1;
}

static char *dump_ctx(api *a)
{
    char *d = NULL;
    int rc = cib_dump(a->ctx, &d, NULL);
    FZ_CHECK(rc == CIB_OK, "cib_dump: %s (%s)", cib_status_name(rc), cib_errmsg(a->ctx));
    char *copy = strdup(d);
    FZ_CHECK(copy != NULL, "out of memory");
    cib_free(a->ctx, d);
    return copy;
}

/* Free the context and load a new one from the store: the same account. */
static void restart(api *a)
{
    disarm(a);
    char *mem = dump_ctx(a);
    char *rows = fz_store_dump(&a->mem);
    cib_ctx_free(a->ctx);
    a->ctx = NULL;
    long live = a->fa.live;
    arm(a);
    if (open_ctx(a, 1) != CIB_OK) {
        FZ_CHECK(a->fa.failed || a->fs.failed, "cib_ctx_new failed with no fault injected");
        FZ_CHECK(a->fa.live == live, "a failed cib_ctx_new leaked %ld blocks", a->fa.live - live);
        disarm(a);
        char *again = fz_store_dump(&a->mem);
        fz_expect_same(rows, again, "a failed load changed the store");
        free(again);
        open_ctx(a, 0);
    }
    disarm(a);
    char *loaded = dump_ctx(a);
    fz_expect_same(mem, loaded, "the account loaded from the store differs from memory");
    char *rows2 = fz_store_dump(&a->mem);
    fz_expect_same(rows, rows2, "loading the account changed the store");
    free(mem);
    free(loaded);
    free(rows);
    free(rows2);
}

/* A control step: clock, faults, restart, event probes. */
static void control(api *a, uint8_t b)
{
    switch (b % 8) {
    case 0: { /* minutes to days later */
        int64_t d = (int64_t)fz_u8(&a->in) * 60000 * (fz_u8(&a->in) % 8 == 0 ? 1440 : 1);
        a->now = a->now <= INT64_MAX - d ? a->now + d : INT64_MAX;
        break;
    }
    case 1:
        a->now = api_time(a);
        break;
    case 2:
        a->clock_step = fz_u8(&a->in) % 4 ? 0 : (int64_t)fz_u32(&a->in) % 100000000;
        break;
    case 3:
    case 4:
        a->arm_alloc = fz_u8(&a->in);
        break;
    case 5: {
        a->arm_store = fz_u8(&a->in) % 64;
        static const int with[] = {-100, CIB_ENOMEM, CIB_ESTORAGE, 7, CIB_EINVAL};
        a->fs.fail_with = with[fz_u8(&a->in) % 5];
        size_t n;
        const uint8_t *p = fz_bytes(&a->in, API_RAW_MAX, &n);
        char *s = a->pool[47];
        memcpy(s, p, n);
        s[n] = '\0';
        a->fs.msg = n && p[0] == 0xff ? NULL : s;
        a->fs.msg_len = n && p[0] & 1 ? CIB_NTS : n;
        break;
    }
    case 6:
        restart(a);
        break;
    default:
        a->probe_events = !a->probe_events;
        break;
    }
}

/* One call with its checks. */
static void step(api *a, unsigned op)
{
    disarm(a);
    char *before = fz_snapshot(a->ctx, &a->mem);
    long fa_failed = a->fa.failed, fs_failed = a->fs.failed;
    int with = a->fs.fail_with;
    a->pool_next = 0;
    arm(a);
    int mutating = 0;
    int rc = api_call(a, op, &mutating);
    disarm(a);
    int alloc_hit = a->fa.failed != fa_failed, store_hit = a->fs.failed != fs_failed;
    const char *name = api_op_name(op);
    const char *msg = cib_errmsg(a->ctx);
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FUZZ_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "%ld %s: %s %s%s\n", a->ops, name, cib_status_name(rc), msg,
                alloc_hit || store_hit ? " (injected)" : "");
    if (rc == CIB_OK) {
        /* (A refused change tried from an event callback leaves its own
         * message.) */
        FZ_CHECK(msg[0] == '\0' || a->probe_events, "%s succeeded with message '%s'", name, msg);
        FZ_CHECK(!alloc_hit && !store_hit, "%s succeeded over an injected %s failure", name,
                 alloc_hit ? "allocation" : "storage");
    } else {
        FZ_CHECK(rc < 0 && rc >= CIB_ENOMEM, "%s returned %d", name, rc);
        FZ_CHECK(msg[0] != '\0', "%s failed with %s and no message", name, cib_status_name(rc));
        if (alloc_hit && !store_hit)
            FZ_CHECK(rc == CIB_ENOMEM, "%s: an injected allocation failure gave %s (%s)", name,
                     cib_status_name(rc), msg);
        if (store_hit && !alloc_hit)
            FZ_CHECK(rc == (with == CIB_ENOMEM ? CIB_ENOMEM : CIB_ESTORAGE),
                     "%s: an injected storage failure (%d) gave %s (%s)", name, with,
                     cib_status_name(rc), msg);
        /* A failed call may keep capacity it reserved ahead (the first
         * contact table, say): blocks the context still owns and frees. A
         * block lost is a leak for LeakSanitizer, and every block must be
         * freed with the context (checked at the end). */
    }
    if (rc != CIB_OK || !mutating) {
        char *after = fz_snapshot(a->ctx, &a->mem);
        if (strcmp(before, after) != 0) {
            fprintf(stderr, "%s returned %s (%s)\n", name, cib_status_name(rc), msg);
            fz_expect_same(before, after,
                           mutating ? "a failed call changed the account"
                                    : "a query changed the account");
        }
        free(after);
    }
    free(before);
}

/* A starting account, so that short inputs reach deep states: two paid
 * users, a team, a pipeline, and email and chat channels. */
static void baseline(api *a)
{
    static const char *const stages[] = {"new", "open"};
    static const char *const members[] = {"u0", "u1"};
    cib_user_def u = CIB_USER_DEF_INIT;
    u.id = "u0", u.name = "Ann Ames", u.email = "u0@x.test";
    int rc = cib_user_add(a->ctx, &u);
    u.id = "u1", u.name = "Bo Bell", u.email = NULL, u.role = CIB_ROLE_ADMIN;
    rc |= cib_user_add(a->ctx, &u);
    rc |= cib_user_set_status(a->ctx, "u0", CIB_NTS, CIB_AVAILABLE);
    cib_team_def t = CIB_TEAM_DEF_INIT;
    t.id = "t0", t.members = members, t.n_members = 2;
    rc |= cib_team_add(a->ctx, &t);
    cib_pipeline_def p = CIB_PIPELINE_DEF_INIT;
    p.id = "p0", p.stages = stages, p.n_stages = 2;
    rc |= cib_pipeline_add(a->ctx, &p);
    cib_channel_def c = CIB_CHANNEL_DEF_INIT;
    c.id = "e1", c.inbox = "default", c.type = CIB_CHANNEL_EMAIL, c.address = "sales@x.test";
    rc |= cib_channel_add(a->ctx, &c);
    cib_channel_def ch = CIB_CHANNEL_DEF_INIT;
    static const int kinds[] = {CIB_TARGET_TEAM};
    static const char *const ids[] = {"t0"};
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = CIB_ROUTE_SPECIFIC, r.target_kinds = kinds, r.target_ids = ids, r.n_targets = 1;
    r.strategy = CIB_ROUND_ROBIN, r.queue = 1;
    ch.id = "ch1", ch.inbox = "default", ch.type = CIB_CHANNEL_CHAT, ch.routing = &r;
    rc |= cib_channel_add(a->ctx, &ch);
    FZ_CHECK(rc == CIB_OK, "the baseline account: %s", cib_errmsg(a->ctx));
}

static void read_options(api *a)
{
    cib_options o = CIB_OPTIONS_INIT;
    a->opts = o;
    a->opts.allocator = &a->alloc;
    a->opts.clock = clock_fn;
    a->opts.clock_user_data = a;
    a->opts.store = &a->store;
    a->opts.on_event = on_event;
    a->opts.event_user_data = a;
    cib_sender s = CIB_SENDER_INIT;
    s.user_data = a;
    s.email = s.chat = s.form = s.messenger = s.custom = send_fn;
    a->sender = s;
    a->opts.sender = &a->sender;
    snprintf(a->zoneinfo, sizeof a->zoneinfo, "%s",
             getenv("CONVINBOX_ZONEINFO") ? getenv("CONVINBOX_ZONEINFO") : "/usr/share/zoneinfo");
    a->opts.zoneinfo_dir = a->zoneinfo;
    uint8_t f = fz_u8(&a->in);
    a->opts.hash_seed = 1 + fz_u8(&a->in);
    if (f & 2)
        a->opts.max_inboxes = 2 + fz_u8(&a->in) % 4;
    if (f & 4) {
        a->opts.max_id_len = 16 + fz_u8(&a->in) % 32;
        a->opts.max_name_len = 16 + fz_u8(&a->in) % 32;
    }
    if (f & 8)
        a->opts.max_text_len = 1 + fz_u8(&a->in) % 64;
    if (f & 16)
        a->opts.dedup_window_ms = (int64_t)fz_u32(&a->in) * 1000;
    if (f & 32)
        a->opts.default_inbox_name = "Support";
    if (f & 64) { /* caps, small ones, and counting the heap */
        uint8_t c = fz_u8(&a->in);
        a->opts.max_contacts = c & 1 ? 1 + c % 4 : 0;
        a->opts.max_open_conversations = c & 2 ? 1 + c % 5 : 0;
        a->opts.max_conversations = c & 4 ? 1 + c % 7 : 0;
        a->opts.max_attachments = c & 8 ? 1 + c % 3 : 0;
        a->opts.heap_budget = c & 16 ? UINT64_MAX : 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static api a; /* large: the string pool */
    memset(&a, 0, sizeof a);
    a.in.p = data;
    a.in.n = size;
    a.now = 1767571200000LL; /* 2026-01-05T00:00:00Z */
    a.arm_alloc = a.arm_store = -1;
    a.fa.fail_at = -1;
    a.alloc = fz_allocator(&a.fa);
    FZ_CHECK(cib_memstore_new(&a.alloc, &a.mem) == CIB_OK, "cib_memstore_new");
    a.store = fz_store_wrap(&a.fs, &a.mem);
    read_options(&a);
    int with_baseline = !(fz_u8(&a.in) & 1);
    open_ctx(&a, 0);
    if (with_baseline)
        baseline(&a);
    while (!fz_done(&a.in) && a.ops < MAX_OPS) {
        uint8_t b = fz_u8(&a.in);
        if (b >= 224) {
            control(&a, b);
            continue;
        }
        step(&a, b % api_n_ops);
        if (++a.ops % RESTART_EVERY == 0)
            restart(&a);
    }
    a.arm_alloc = a.arm_store = -1;
    restart(&a);
    cib_ctx_free(a.ctx);
    a.mem.close(a.mem.user_data);
    FZ_CHECK(a.fa.live == 0, "%ld blocks never freed", a.fa.live);
    return 0;
}
