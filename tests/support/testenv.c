/* testenv.c - fault-injecting allocator and store, snapshots, sweeps. */
#include "testenv.h"
#include "storetest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- allocator ---- */

static void *fa_malloc(void *ud, size_t n)
{
    failalloc *fa = ud;
    if (fa->count++ == fa->fail_at) {
        fa->failed++;
        return NULL;
    }
    void *p = malloc(n);
    if (p)
        fa->live++;
    return p;
}

static void *fa_realloc(void *ud, void *ptr, size_t n)
{
    failalloc *fa = ud;
    if (fa->count++ == fa->fail_at) {
        fa->failed++;
        return NULL;
    }
    void *p = realloc(ptr, n);
    if (p && !ptr)
        fa->live++;
    return p;
}

static void fa_free(void *ud, void *ptr)
{
    failalloc *fa = ud;
    if (ptr) {
        fa->live--;
        free(ptr);
    }
}

cib_allocator failalloc_allocator(failalloc *fa)
{
    cib_allocator a = CIB_ALLOCATOR_INIT;
    a.user_data = fa;
    a.malloc_fn = fa_malloc;
    a.realloc_fn = fa_realloc;
    a.free_fn = fa_free;
    return a;
}

static void *nomem_malloc(void *ud, size_t n)
{
    (void)ud;
    (void)n;
    return NULL;
}

static void *nomem_realloc(void *ud, void *ptr, size_t n)
{
    (void)ud;
    (void)ptr;
    (void)n;
    return NULL;
}

static void nomem_free(void *ud, void *ptr)
{
    (void)ud;
    (void)ptr;
}

cib_allocator nomem_allocator(void)
{
    cib_allocator a = CIB_ALLOCATOR_INIT;
    a.malloc_fn = nomem_malloc;
    a.realloc_fn = nomem_realloc;
    a.free_fn = nomem_free;
    return a;
}

/* ---- store ---- */

static int fs_fail(faultstore *fs, const char *method)
{
    if (fs->calls++ != fs->fail_at)
        return 0;
    fs->last_failed = method;
    if (fs->cb_message && fs->ctx)
        fs->cb_rc = fs->cb_text ? cib_set_callback_error(fs->ctx, fs->cb_text, fs->cb_len)
                                : cib_set_callback_error(fs->ctx, "disk on fire", CIB_NTS);
    return 1;
}

static int fs_begin(void *ud)
{
    faultstore *fs = ud;
    return fs_fail(fs, "begin") ? -100 : fs->inner.begin(fs->inner.user_data);
}

static int fs_commit(void *ud)
{
    faultstore *fs = ud;
    return fs_fail(fs, "commit") ? -100 : fs->inner.commit(fs->inner.user_data);
}

static void fs_rollback(void *ud)
{
    faultstore *fs = ud;
    fs->inner.rollback(fs->inner.user_data);
}

static int fs_put(void *ud, const cib_row *row)
{
    faultstore *fs = ud;
    return fs_fail(fs, "put") ? -100 : fs->inner.put(fs->inner.user_data, row);
}

static int fs_del(void *ud, int kind, const char *key, size_t len)
{
    faultstore *fs = ud;
    return fs_fail(fs, "del") ? -100 : fs->inner.del(fs->inner.user_data, kind, key, len);
}

static int fs_get(void *ud, int kind, const char *key, size_t len, cib_row_fn fn, void *data)
{
    faultstore *fs = ud;
    return fs_fail(fs, "get") ? -100 : fs->inner.get(fs->inner.user_data, kind, key, len, fn, data);
}

static int fs_scan(void *ud, int kind, cib_row_fn fn, void *data)
{
    faultstore *fs = ud;
    return fs_fail(fs, "scan") ? -100 : fs->inner.scan(fs->inner.user_data, kind, fn, data);
}

static int fs_find(void *ud, int kind, const char *field, const char *value, size_t len,
                   cib_row_fn fn, void *data)
{
    faultstore *fs = ud;
    return fs_fail(fs, "find")
               ? -100
               : fs->inner.find(fs->inner.user_data, kind, field, value, len, fn, data);
}

static int fs_find_page(void *ud, int kind, const cib_match *m, size_t n, uint64_t after,
                        size_t limit, cib_row_fn fn, void *data)
{
    faultstore *fs = ud;
    return fs_fail(fs, "find_page")
               ? -100
               : fs->inner.find_page(fs->inner.user_data, kind, m, n, after, limit, fn, data);
}

static int fs_apply(void *ud, const cib_change *v, size_t n)
{
    faultstore *fs = ud;
    return fs_fail(fs, "apply") ? -100 : fs->inner.apply(fs->inner.user_data, v, n);
}

static const char *fs_errmsg(void *ud)
{
    faultstore *fs = ud;
    return fs->inner.errmsg ? fs->inner.errmsg(fs->inner.user_data) : NULL;
}

cib_store faultstore_wrap(faultstore *fs, const cib_store *inner)
{
    memset(fs, 0, sizeof *fs);
    fs->inner = *inner;
    fs->fail_at = -1;
    cib_store s = CIB_STORE_INIT;
    s.user_data = fs;
    s.begin = fs_begin;
    s.commit = fs_commit;
    s.rollback = fs_rollback;
    s.put = fs_put;
    s.del = fs_del;
    s.get = fs_get;
    s.scan = fs_scan;
    s.find = inner->find ? fs_find : NULL;
    s.find_page = inner->find_page ? fs_find_page : NULL;
    s.apply = inner->version >= 3 && inner->apply ? fs_apply : NULL; /* as the inner store */
    s.errmsg = inner->errmsg ? fs_errmsg : NULL;
    s.close = NULL;
    return s;
}

/* ---- environment ---- */

static int64_t tenv_clock(void *ud)
{
    return ((tenv *)ud)->now;
}

static void tenv_open(tenv *e)
{
    e->ctx = NULL;
    char err[256] = "";
    e->opts.error_buffer = err;
    e->opts.error_buffer_size = sizeof err;
    int rc = cib_ctx_new(&e->opts, &e->ctx);
    e->opts.error_buffer = NULL;
    e->opts.error_buffer_size = 0;
    if (rc)
        fail_msg("cib_ctx_new: %s: %s", cib_status_name(rc), err);
    e->fs.ctx = e->ctx;
}

static tenv_store_fn store_opener;

void tenv_set_store(tenv_store_fn open)
{
    store_opener = open;
}

tenv *tenv_new(void)
{
    tenv *e = calloc(1, sizeof *e);
    assert_non_null(e);
    e->fa.fail_at = -1;
    e->now = TENV_EPOCH_MS;
    e->alloc = failalloc_allocator(&e->fa);
    assert_int_equal((store_opener ? store_opener : cib_memstore_new)(&e->alloc, &e->mem), CIB_OK);
    e->store = faultstore_wrap(&e->fs, &e->mem);
    cib_options o = CIB_OPTIONS_INIT;
    e->opts = o;
    e->opts.allocator = &e->alloc;
    e->opts.clock = tenv_clock;
    e->opts.clock_user_data = e;
    e->opts.store = &e->store;
    tenv_open(e);
    return e;
}

void tenv_reopen(tenv *e)
{
    cib_ctx_free(e->ctx);
    tenv_open(e);
}

void tenv_free(tenv *e)
{
    if (!e)
        return;
    cib_ctx_free(e->ctx);
    e->mem.close(e->mem.user_data);
    assert_int_equal(e->fa.live, 0);
    free(e);
}

/* ---- snapshots ---- */

/* The built-in store itself, not the fault-injecting wrapper. */
char *tenv_store_dump(tenv *e)
{
    return store_dump(&e->mem);
}

char *tenv_snapshot(tenv *e)
{
    long saved = e->fa.fail_at, saved_fs = e->fs.fail_at;
    e->fa.fail_at = -1;
    e->fs.fail_at = -1;
    char *dump = NULL;
    assert_int_equal(cib_dump(e->ctx, &dump, NULL), CIB_OK);
    char *rows = tenv_store_dump(e);
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    fprintf(f, "== account ==\n%s== store ==\n%s", dump, rows);
    fclose(f);
    cib_free(e->ctx, dump);
    free(rows);
    e->fa.fail_at = saved;
    e->fs.fail_at = saved_fs;
    return out;
}

void expect_unchanged(tenv *e, const char *before)
{
    char *after = tenv_snapshot(e);
    if (strcmp(before, after) != 0)
        fail_msg("the account changed:\n--- before\n%s--- after\n%s", before, after);
    free(after);
}

/* ---- sweeps ---- */

enum { SWEEP_ALLOC, SWEEP_STORE };

static void sweep_one(tenv_setup setup, tenv_op op, void *arg, int mode)
{
    tenv *e = tenv_new();
    if (setup)
        setup(e);
    char *start = tenv_snapshot(e);
    long n;
    for (n = 0;; n++) {
        assert_true(n < 100000);
        char *before = tenv_snapshot(e);
        long live = e->fa.live;
        if (mode == SWEEP_ALLOC)
            e->fa.fail_at = e->fa.count + n;
        else
            e->fs.fail_at = e->fs.calls + n;
        int rc = op(e->ctx, arg);
        int injected =
            mode == SWEEP_ALLOC ? e->fa.fail_at < e->fa.count : e->fs.fail_at < e->fs.calls;
        e->fa.fail_at = -1;
        e->fs.fail_at = -1;
        if (rc == CIB_OK) {
            assert_false(injected); /* a swallowed failure would be a bug */
            free(before);
            break;
        }
        if (mode == SWEEP_ALLOC) {
            if (rc != CIB_ENOMEM)
                fail_msg("allocation %ld failed: want nomem, got %s (%s)", n, cib_status_name(rc),
                         cib_errmsg(e->ctx));
        } else if (rc != CIB_ESTORAGE) {
            fail_msg("storage call %ld (%s) failed: want storage, got %s (%s)", n,
                     e->fs.last_failed, cib_status_name(rc), cib_errmsg(e->ctx));
        }
        assert_true(cib_errmsg(e->ctx)[0] != '\0');
        assert_int_equal(e->fa.live, live); /* nothing leaked */
        char *after = tenv_snapshot(e);
        if (strcmp(before, after) != 0)
            fail_msg("%s failure %ld changed the account:\n--- before\n%s--- after\n%s",
                     mode == SWEEP_ALLOC ? "allocation" : "storage", n, before, after);
        free(before);
        free(after);
    }
    /* Every mutating call writes to the store, so a storage sweep injected at
     * least one failure; an allocation sweep may legitimately find a call
     * that allocates nothing (n == 0). */
    if (mode == SWEEP_STORE)
        assert_true(n > 0);
    /* The success changed the account, and survives a restart exactly. */
    char *done = tenv_snapshot(e);
    assert_string_not_equal(start, done);
    tenv_reopen(e);
    char *reopened = tenv_snapshot(e);
    assert_string_equal(done, reopened);
    free(start);
    free(done);
    free(reopened);
    tenv_free(e);
}

void sweep_op(tenv_setup setup, tenv_op op, void *arg)
{
    sweep_one(setup, op, arg, SWEEP_ALLOC);
    sweep_one(setup, op, arg, SWEEP_STORE);
}

/* ---- bad input ---- */

void tenv_expect_status(tenv *e, int rc, int status, const char *needle, const char *file, int line)
{
    if (rc != status)
        fail_msg("%s:%d: want %s, got %s (%s)", file, line, cib_status_name(status),
                 cib_status_name(rc), e ? cib_errmsg(e->ctx) : "");
    if (needle && e && !strstr(cib_errmsg(e->ctx), needle))
        fail_msg("%s:%d: message '%s' does not contain '%s'", file, line, cib_errmsg(e->ctx),
                 needle);
}

void expect_bad_text(tenv *e, const char *argname, tenv_strcall call, void *arg, size_t max,
                     int flags)
{
    char *longer = malloc(max + 2);
    assert_non_null(longer);
    memset(longer, 'a', max + 1);
    longer[max + 1] = '\0';
    const struct {
        const char *s;
        size_t n;
        const char *what;
        int skip; /* flags under which this string is valid */
    } bad[] = {
        {NULL, CIB_NTS, "is NULL", BAD_OPTIONAL},
        {"", CIB_NTS, "is empty", 0},
        {"abc", 0, "is empty", 0},
        {longer, CIB_NTS, "is longer than", 0},
        {longer, max + 1, "is longer than", 0},
        {"ab\0cd", 5, "NUL byte", 0},
        {"a\xff", 2, "not valid UTF-8", 0},
        {"\xc3", 1, "not valid UTF-8", 0},
        {"\xed\xa0\x80", 3, "not valid UTF-8", 0},
        {"a\x01z", 3, "control character", 0},
        {"a\nz", 3, "control character", BAD_MULTILINE},
        {"a\x1bz", 3, "control character", 0},
    };
    char *before = tenv_snapshot(e);
    char quoted[128];
    snprintf(quoted, sizeof quoted, "'%s", argname);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (bad[i].skip & flags)
            continue;
        int rc = call(e->ctx, bad[i].s, bad[i].n, arg);
        int want = (flags & BAD_CAP) && bad[i].s == longer ? CIB_ELIMIT : CIB_EINVAL;
        if (rc != want || !strstr(cib_errmsg(e->ctx), quoted) ||
            !strstr(cib_errmsg(e->ctx), bad[i].what))
            fail_msg("bad %s #%zu (%s): got %s '%s'", argname, i, bad[i].what, cib_status_name(rc),
                     cib_errmsg(e->ctx));
        expect_unchanged(e, before);
    }
    free(before);
    free(longer);
}

void expect_bad_strings(tenv *e, const char *argname, tenv_strcall call, void *arg)
{
    expect_bad_text(e, argname, call, arg, 255, 0);
}

void expect_bad_optional_strings(tenv *e, const char *argname, tenv_strcall call, void *arg)
{
    expect_bad_text(e, argname, call, arg, 255, BAD_OPTIONAL);
}

/* ---- shorthands ---- */

void add_user(tenv *e, const char *id, const char *email, int seat, int role)
{
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = id;
    d.name = id;
    d.email = email;
    d.seat = seat;
    d.role = role;
    expect_status(e, cib_user_add(e->ctx, &d), CIB_OK, NULL);
}

void add_team(tenv *e, const char *id, const char *const *members, size_t n)
{
    cib_team_def d = CIB_TEAM_DEF_INIT;
    d.id = id;
    d.members = members;
    d.n_members = n;
    expect_status(e, cib_team_add(e->ctx, &d), CIB_OK, NULL);
}

void add_inbox(tenv *e, const char *id, const char *name)
{
    cib_inbox_def d = CIB_INBOX_DEF_INIT;
    d.id = id;
    d.name = name;
    expect_status(e, cib_inbox_add(e->ctx, &d), CIB_OK, NULL);
}

void add_inbox_access(tenv *e, const char *id, const char *name, const char *const *users,
                      size_t n_users, const char *const *teams, size_t n_teams)
{
    cib_access_def a = CIB_ACCESS_DEF_INIT;
    a.everyone = 0;
    a.users = users;
    a.n_users = n_users;
    a.teams = teams;
    a.n_teams = n_teams;
    cib_inbox_def d = CIB_INBOX_DEF_INIT;
    d.id = id;
    d.name = name;
    d.access = &a;
    expect_status(e, cib_inbox_add(e->ctx, &d), CIB_OK, NULL);
}

void add_channel(tenv *e, const char *id, const char *inbox, int type, const char *address)
{
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = id;
    d.inbox = inbox;
    d.type = type;
    d.address = address;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
}

void set_status(tenv *e, const char *user, int status)
{
    expect_status(e, cib_user_set_status(e->ctx, user, CIB_NTS, status), CIB_OK, NULL);
}

void set_capacity(tenv *e, const char *user, uint32_t capacity)
{
    cib_user_info u = CIB_USER_INFO_INIT;
    expect_status(e, cib_user_get(e->ctx, user, CIB_NTS, &u), CIB_OK, NULL);
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = u.id;
    d.name = u.name;
    d.email = u.email;
    d.seat = u.seat;
    d.role = u.role;
    d.capacity = capacity;
    expect_status(e, cib_user_update(e->ctx, &d), CIB_OK, NULL);
}

int try_routing(tenv *e, const char *channel, int mode, int strategy, int only_available, int queue,
                const char *targets)
{
    enum { MAX = 64 };
    char buf[MAX * 40];
    const char *ids[MAX];
    int kinds[MAX];
    size_t n = 0;
    snprintf(buf, sizeof buf, "%s", targets ? targets : "");
    for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
        assert_true(n < MAX && (strncmp(t, "user:", 5) == 0 || strncmp(t, "team:", 5) == 0));
        kinds[n] = t[0] == 'u' ? CIB_TARGET_USER : CIB_TARGET_TEAM;
        ids[n++] = t + 5;
    }
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = mode;
    r.strategy = strategy;
    r.only_available = only_available;
    r.queue = queue;
    r.target_kinds = kinds;
    r.target_ids = ids;
    r.n_targets = n;
    return cib_channel_set_routing(e->ctx, channel, CIB_NTS, &r);
}

void set_routing(tenv *e, const char *channel, int mode, int strategy, int queue,
                 const char *targets)
{
    expect_status(e, try_routing(e, channel, mode, strategy, 1, queue, targets), CIB_OK, NULL);
}

cib_inbound inbound_msg(const char *channel, const char *msg_id, const char *from,
                        const char *thread)
{
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = channel;
    m.msg_id = msg_id;
    m.from = from;
    m.thread = thread;
    m.text = "Hello";
    return m;
}

cib_ingest_result ingest_msg(tenv *e, const char *channel, const char *msg_id, const char *from,
                             const char *thread)
{
    cib_inbound m = inbound_msg(channel, msg_id, from, thread);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    expect_status(e, cib_ingest(e->ctx, &m, &r), CIB_OK, NULL);
    return r;
}

cib_conversation_info conv_info(tenv *e, uint64_t id)
{
    cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
    expect_status(e, cib_conversation_get(e->ctx, NULL, 0, id, &ci), CIB_OK, NULL);
    return ci;
}

int may(tenv *e, const char *user, const char *inbox, int action)
{
    int allowed = -1;
    expect_status(e, cib_access_check(e->ctx, user, CIB_NTS, inbox, CIB_NTS, action, &allowed),
                  CIB_OK, NULL);
    assert_true(allowed == 0 || allowed == 1);
    return allowed;
}
