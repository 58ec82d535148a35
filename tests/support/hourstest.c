/* hourstest.c - the helpers of hourstest.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hourstest.h"

/* ---- time helpers (independent of the library) ---- */

int64_t civil_days(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    return ((civil_days(y, mo, d) * 24 + h) * 60 + mi) * 60000 + (int64_t)s * 1000;
}

/* ---- availability defs ---- */

void hours_init(hours *h, int mode, const char *tz, const range *r, size_t n)
{
    assert_true(n <= 80);
    for (size_t i = 0; i < n; i++) {
        h->days[i] = r[i].days;
        h->from[i] = r[i].from;
        h->to[i] = r[i].to;
    }
    cib_availability_def d = CIB_AVAILABILITY_DEF_INIT;
    d.mode = mode;
    d.tz = tz;
    if (n) {
        d.range_days = h->days;
        d.range_from = h->from;
        d.range_to = h->to;
    }
    d.n_ranges = n;
    h->def = d;
}

void hours_set(tenv *e, const char *ch, const char *tz, const range *r, size_t n)
{
    hours h;
    hours_init(&h, CIB_CHAT_BUSINESS_HOURS, tz, r, n);
    expect_status(e, cib_channel_set_availability(e->ctx, ch, CIB_NTS, &h.def), CIB_OK, NULL);
}

void mode_set(tenv *e, const char *ch, int mode)
{
    cib_availability_def d = CIB_AVAILABILITY_DEF_INIT;
    d.mode = mode;
    expect_status(e, cib_channel_set_availability(e->ctx, ch, CIB_NTS, &d), CIB_OK, NULL);
}

void chat_add(tenv *e, const char *id)
{
    add_channel(e, id, "sales", CIB_CHANNEL_CHAT, NULL);
}

void hours_chat_add(tenv *e, const char *id, const char *tz, const range *r, size_t n)
{
    chat_add(e, id);
    hours_set(e, id, tz, r, n);
}

int open_at(tenv *e, const char *ch, int64_t when)
{
    e->now = when;
    int a = 99;
    expect_status(e, cib_chat_available(e->ctx, ch, CIB_NTS, &a), CIB_OK, NULL);
    if (a != 0 && a != 1)
        fail_msg("cib_chat_available('%s') set %d", ch, a);
    return a;
}

void expect_open_at(tenv *e, const char *ch, int64_t when, int want, int line)
{
    int got = open_at(e, ch, when);
    if (got != want) {
        time_t t = (time_t)(when / 1000 - (when % 1000 < 0));
        struct tm tm;
        char buf[64] = "?";
        if (gmtime_r(&t, &tm))
            strftime(buf, sizeof buf, "%Y-%m-%d %a %H:%M:%S", &tm);
        fail_msg("line %d: channel '%s' at %sZ (+%lld ms): want %s, got %s", line, ch, buf,
                 (long long)(((when % 1000) + 1000) % 1000), want ? "open" : "closed",
                 got ? "open" : "closed");
    }
}

long minutes_open(tenv *e, const char *ch, int64_t from, int64_t to)
{
    long n = 0;
    for (int64_t t = from; t < to; t += MINUTE_MS)
        n += open_at(e, ch, t);
    return n;
}

void chat_info(tenv *e, const char *ch, cib_channel_info *out)
{
    cib_channel_info init = CIB_CHANNEL_INFO_INIT;
    *out = init;
    expect_status(e, cib_channel_get(e->ctx, ch, CIB_NTS, out), CIB_OK, NULL);
}

tenv *env_sales(void)
{
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    return e;
}

void rule_set(tenv *e, const char *ch, int mode, const int *kinds, const char *const *ids, size_t n,
              int only_available)
{
    cib_routing_def r = CIB_ROUTING_DEF_INIT;
    r.mode = mode;
    r.target_kinds = kinds;
    r.target_ids = ids;
    r.n_targets = n;
    r.only_available = only_available;
    expect_status(e, cib_channel_set_routing(e->ctx, ch, CIB_NTS, &r), CIB_OK, NULL);
}

void expect_refused(tenv *e, int rc, int status, const char *needle, const char *what,
                    const char *call)
{
    if (rc != status || (needle && !strstr(cib_errmsg(e->ctx), needle)))
        fail_msg("%s, %s: want %s '...%s...', got %s '%s'", what, call, cib_status_name(status),
                 needle ? needle : "", cib_status_name(rc), cib_errmsg(e->ctx));
}
