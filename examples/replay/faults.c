/* faults.c - the storage wrapper behind "fail_storage": while calls are left
 * to fail, each call into the store (begin, commit, put, del, get, scan,
 * find) fails instead of reaching it. Rollback always goes through: the
 * library must always be able to undo. */
#include "replay.h"

static rp *self(void *ud)
{
    return ud;
}

/* 1 if this call must fail (and count it). */
static int trip(rp *r)
{
    if (r->fail_calls <= 0)
        return 0;
    if (r->fail_after > 0) {
        r->fail_after--;
        return 0;
    }
    r->fail_calls--;
    cib_set_callback_error(r->ctx, "fail_storage: injected failure", CIB_NTS);
    return 1;
}

static int f_begin(void *ud)
{
    rp *r = self(ud);
    return trip(r) ? -1 : r->mem.begin(r->mem.user_data);
}

static int f_commit(void *ud)
{
    rp *r = self(ud);
    return trip(r) ? -1 : r->mem.commit(r->mem.user_data);
}

static void f_rollback(void *ud)
{
    rp *r = self(ud);
    r->mem.rollback(r->mem.user_data);
}

static int f_put(void *ud, const cib_row *row)
{
    rp *r = self(ud);
    return trip(r) ? -1 : r->mem.put(r->mem.user_data, row);
}

static int f_del(void *ud, int kind, const char *key, size_t len)
{
    rp *r = self(ud);
    return trip(r) ? -1 : r->mem.del(r->mem.user_data, kind, key, len);
}

static int f_get(void *ud, int kind, const char *key, size_t len, cib_row_fn fn, void *cb)
{
    rp *r = self(ud);
    return trip(r) ? -1 : r->mem.get(r->mem.user_data, kind, key, len, fn, cb);
}

static int f_scan(void *ud, int kind, cib_row_fn fn, void *cb)
{
    rp *r = self(ud);
    return trip(r) ? -1 : r->mem.scan(r->mem.user_data, kind, fn, cb);
}

static int f_find(void *ud, int kind, const char *field, const char *value, size_t len,
                  cib_row_fn fn, void *cb)
{
    rp *r = self(ud);
    return trip(r) ? -1 : r->mem.find(r->mem.user_data, kind, field, value, len, fn, cb);
}

static int f_find_page(void *ud, int kind, const cib_match *m, size_t n, uint64_t after,
                       size_t limit, cib_row_fn fn, void *cb)
{
    rp *r = self(ud);
    return trip(r) ? -1 : r->mem.find_page(r->mem.user_data, kind, m, n, after, limit, fn, cb);
}

void rp_faults_wrap(rp *r, const cib_store *inner, cib_store *out)
{
    cib_store s = CIB_STORE_INIT;
    s.user_data = r;
    s.begin = f_begin;
    s.commit = f_commit;
    s.rollback = f_rollback;
    s.put = f_put;
    s.del = f_del;
    s.get = f_get;
    s.scan = f_scan;
    s.find = inner->find ? f_find : NULL;
    s.find_page = inner->find_page ? f_find_page : NULL;
    *out = s;
}
