/* hours.c - chat availability (see hours.h). */
#include "hours.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

static const char *const day_names[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
static const char *const mode_names[] = {NULL, "always", "status_based", "business_hours"};

/* Check ranges and the zone; on success *out owns a new zone (or NULL). */
static int ranges_check(cib_ctx *ctx, int mode, const char *tz, size_t tz_len, const unsigned *days,
                        const unsigned *from, const unsigned *to, size_t n, cib__hours *h)
{
    h->mode = mode;
    h->zone = NULL;
    h->n_ranges = 0;
    if (mode != CIB_CHAT_BUSINESS_HOURS) {
        if (tz || n)
            return cib__fail(ctx, CIB_EINVAL,
                             "invalid argument: 'tz' and ranges are for business hours only");
        return CIB_OK;
    }
    if (n == 0 || n > CIB__MAX_RANGES)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: business hours need 1 to %d ranges, not %zu",
                         CIB__MAX_RANGES, n);
    if (!days || !from || !to)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: a range array is NULL");
    for (size_t i = 0; i < n; i++) {
        if (days[i] == 0 || days[i] > CIB_EVERY_DAY)
            return cib__fail(ctx, CIB_EINVAL,
                             "invalid argument: range %zu has days %u; use CIB_MONDAY..SUNDAY bits",
                             i, days[i]);
        if (from[i] >= 1440 || to[i] > 1440)
            return cib__fail(ctx, CIB_EINVAL,
                             "invalid argument: range %zu runs from %u to %u; minutes after "
                             "midnight are 0..1439 (from) and 0..1440 (to)",
                             i, from[i], to[i]);
        h->ranges[i] = (cib__range){days[i], from[i], to[i]};
    }
    h->n_ranges = n;
    cib__str name;
    int rc = cib__check_text(ctx, "tz", -1, tz, tz_len, 255, 0, &name);
    if (!rc && !(h->tz = cib__strndup(&ctx->mem, name.p, name.n)))
        rc = cib__nomem(ctx);
    if (!rc)
        rc = cib__zone_load(ctx, name.p, name.n, &h->zone);
    return rc;
}

int cib__hours_make(cib_ctx *ctx, const cib_availability_def *def, int loading, cib__hours **out)
{
    *out = NULL;
    cib_availability_def d = CIB_AVAILABILITY_DEF_INIT;
    if (def) {
        int rc = cib__def_read(ctx, "availability", def, sizeof d, &d);
        if (rc)
            return rc;
    }
    if (d.mode < CIB_CHAT_ALWAYS || d.mode > CIB_CHAT_BUSINESS_HOURS)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'availability->mode' is %d, not a cib_chat_mode",
                         d.mode);
    cib__hours *h = cib__calloc(&ctx->mem, 1, sizeof *h);
    if (!h)
        return cib__nomem(ctx);
    int rc = ranges_check(ctx, d.mode, d.tz, d.tz_len, d.range_days, d.range_from, d.range_to,
                          d.n_ranges, h);
    if (rc == CIB_EINVAL && loading && h->tz)
        rc = CIB_OK; /* the name checked out; its file did not */
    if (rc) {
        cib__hours_free(ctx, h);
        return rc;
    }
    *out = h;
    return CIB_OK;
}

void cib__hours_free(cib_ctx *ctx, cib__hours *h)
{
    if (!h)
        return;
    cib__zone_free(ctx, h->zone);
    cib__free(&ctx->mem, h->tz);
    cib__free(&ctx->mem, h);
}

/* "mon,tue 09:00-17:30" */
static size_t format_range(const cib__range *r, char *buf)
{
    size_t n = 0;
    for (int d = 0; d < 7; d++)
        if (r->days & (1u << d))
            n += (size_t)sprintf(buf + n, "%s%s", n ? "," : "", day_names[d]);
    n += (size_t)sprintf(buf + n, " %02u:%02u-%02u:%02u", r->from / 60, r->from % 60, r->to / 60,
                         r->to % 60);
    return n;
}

static int parse_range(const char *s, size_t n, cib__range *r)
{
    char buf[64];
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *sp = strchr(buf, ' ');
    unsigned fh, fm, th, tm;
    char tail;
    if (!sp || sscanf(sp + 1, "%2u:%2u-%2u:%2u%c", &fh, &fm, &th, &tm, &tail) != 4)
        return -1;
    *sp = '\0';
    r->days = 0;
    for (char *tok = buf; tok && *tok;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        int found = 0;
        for (int d = 0; d < 7; d++)
            if (strcmp(tok, day_names[d]) == 0) {
                r->days |= 1u << d;
                found = 1;
            }
        if (!found)
            return -1;
        tok = comma ? comma + 1 : NULL;
    }
    if (fm > 59 || tm > 59)
        return -1;
    r->from = fh * 60 + fm;
    r->to = th * 60 + tm;
    return r->days && r->from < 1440 && r->to <= 1440 ? 0 : -1;
}

int cib__hours_row(cib_ctx *ctx, cib__rowb *b, const cib__hours *h, cib__hours_tmp *tmp)
{
    tmp->block = NULL;
    int rc = cib__idlist_init(ctx, &tmp->items, h ? h->n_ranges : 0);
    if (rc)
        return rc;
    if (h && h->n_ranges) {
        char *p = tmp->block = cib__malloc(&ctx->mem, h->n_ranges * 48);
        if (!p) {
            cib__idlist_free(ctx, &tmp->items);
            return cib__nomem(ctx);
        }
        for (size_t i = 0; i < h->n_ranges; i++) {
            size_t n = format_range(&h->ranges[i], p);
            cib__idlist_push(&tmp->items, p, n);
            p += n + 1;
        }
    }
    cib__rowb_text(b, "availability", h ? mode_names[h->mode] : NULL);
    cib__rowb_text(b, "tz", h ? h->tz : NULL);
    cib__rowb_list(b, "hours", tmp->items.items, tmp->items.lens, tmp->items.n);
    return CIB_OK;
}

void cib__hours_row_free(cib_ctx *ctx, cib__hours_tmp *tmp)
{
    cib__idlist_free(ctx, &tmp->items);
    cib__free(&ctx->mem, tmp->block);
    tmp->block = NULL;
}

int cib__hours_def_from_row(cib_ctx *ctx, const cib_row *row, cib_availability_def *d,
                            unsigned *days, unsigned *from, unsigned *to, int *has)
{
    cib__str mode, tz;
    const cib_field *hours;
    *has = 0;
    int rc = cib__row_text(ctx, row, "availability", 1, &mode);
    if (!rc)
        rc = cib__row_text(ctx, row, "tz", 1, &tz);
    if (!rc)
        rc = cib__row_list(ctx, row, "hours", &hours);
    if (rc || !mode.p)
        return rc;
    if (hours->n_items > CIB__MAX_RANGES)
        return cib__fail(ctx, CIB_EINVAL, "more than %d business-hour ranges", CIB__MAX_RANGES);
    for (size_t i = 0; i < hours->n_items; i++) {
        cib__range r;
        size_t len = hours->item_lens ? hours->item_lens[i] : strlen(hours->items[i]);
        if (parse_range(hours->items[i], len, &r))
            return cib__fail(ctx, CIB_EINVAL, "business-hour range %zu is malformed", i);
        days[i] = r.days;
        from[i] = r.from;
        to[i] = r.to;
    }
    cib_availability_def init = CIB_AVAILABILITY_DEF_INIT;
    *d = init;
    d->mode = 0;
    for (int m = 1; m <= CIB_CHAT_BUSINESS_HOURS; m++)
        if (cib__streq(mode.p, mode.n, mode_names[m], strlen(mode_names[m])))
            d->mode = m;
    d->tz = tz.p;
    d->tz_len = tz.n;
    d->range_days = days;
    d->range_from = from;
    d->range_to = to;
    d->n_ranges = hours->n_items;
    *has = 1;
    return CIB_OK;
}

int cib__hours_open(const cib__hours *h, int64_t now_ms)
{
    if (!h->zone)
        return -1;
    int64_t t = now_ms / 1000 - (now_ms % 1000 < 0);
    int64_t local = t + cib__zone_offset(h->zone, t);
    int64_t day = local / 86400 - (local % 86400 < 0);
    unsigned minute = (unsigned)((local - day * 86400) / 60);
    unsigned today = 1u << ((day % 7 + 7 + 3) % 7); /* 1970-01-01: a Thursday */
    unsigned yesterday = today == 1 ? 64 : today >> 1;
    for (size_t i = 0; i < h->n_ranges; i++) {
        const cib__range *r = &h->ranges[i];
        if (r->from < r->to) {
            if ((r->days & today) && minute >= r->from && minute < r->to)
                return 1;
        } else if (((r->days & today) && minute >= r->from) ||
                   ((r->days & yesterday) && minute < r->to)) {
            return 1; /* a range past midnight, its first or second day */
        }
    }
    return 0;
}
