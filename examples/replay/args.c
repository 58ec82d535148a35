/* args.c - reading an op's keys: typed, checked, unknown ones refused. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

int rp_fail(json_t *out, const char *error, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_object_set_new(out, "ok", json_false());
    json_object_set_new(out, "error", json_string(error));
    json_object_set_new(out, "message", json_string(msg));
    return -1;
}

/* The library's message with conversation ids shown as scenario names:
 * "conversation 17" -> "conversation c1". */
int rp_lib_fail(rp *r, json_t *out, int rc)
{
    const char *msg = cib_errmsg(r->ctx), *word = "conversation ";
    char buf[1024];
    size_t n = 0;
    while (*msg && n < sizeof buf - 1) {
        size_t wl = strlen(word);
        if (!strncmp(msg, word, wl) && msg[wl] >= '0' && msg[wl] <= '9') {
            char *end;
            unsigned long long id = strtoull(msg + wl, &end, 10);
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%s", word, rp_conv_name(r, id));
            n = n < sizeof buf ? n : sizeof buf - 1;
            msg = end;
            continue;
        }
        buf[n++] = *msg++;
    }
    buf[n] = '\0';
    return rp_fail(out, cib_status_name(rc), "%s", buf);
}

int arg_only(json_t *in, json_t *out, const char *const *allowed)
{
    const char *key;
    json_t *v;
    json_object_foreach(in, key, v)
    {
        (void)v;
        if (!strcmp(key, "op") || !strcmp(key, "expect"))
            continue;
        int known = 0;
        for (size_t i = 0; allowed && allowed[i] && !known; i++)
            known = !strcmp(key, allowed[i]);
        if (!known)
            return rp_fail(out, "invalid", "unknown key '%s'", key);
    }
    return 0;
}

/* The value of `key`, or NULL when missing or null (refused if required). */
static int get(json_t *in, json_t *out, const char *key, int required, json_t **v)
{
    *v = json_object_get(in, key);
    if (*v && json_is_null(*v))
        *v = NULL;
    if (!*v && required)
        return rp_fail(out, "invalid", "missing key '%s'", key);
    return 0;
}

int arg_str(json_t *in, json_t *out, const char *key, int required, const char **v)
{
    json_t *j;
    if (get(in, out, key, required, &j))
        return -1;
    if (!j)
        return 0;
    if (!json_is_string(j))
        return rp_fail(out, "invalid", "key '%s' must be a string", key);
    /* Strings go to the library with their length: an embedded NUL is
     * refused there, not truncated here. */
    if (strlen(json_string_value(j)) != json_string_length(j))
        return rp_fail(out, "invalid", "key '%s' holds a NUL character", key);
    *v = json_string_value(j);
    return 0;
}

int arg_int(json_t *in, json_t *out, const char *key, int required, long long min, long long max,
            long long *v)
{
    json_t *j;
    if (get(in, out, key, required, &j))
        return -1;
    if (!j)
        return 0;
    if (!json_is_integer(j))
        return rp_fail(out, "invalid", "key '%s' must be an integer", key);
    long long x = json_integer_value(j);
    if (x < min || x > max)
        return rp_fail(out, "invalid", "key '%s' must be from %lld to %lld, not %lld", key, min,
                       max, x);
    *v = x;
    return 0;
}

int arg_bool(json_t *in, json_t *out, const char *key, int required, int *v)
{
    json_t *j;
    if (get(in, out, key, required, &j))
        return -1;
    if (!j)
        return 0;
    if (!json_is_boolean(j))
        return rp_fail(out, "invalid", "key '%s' must be true or false", key);
    *v = json_is_true(j);
    return 0;
}

int arg_obj(json_t *in, json_t *out, const char *key, int required, json_t **v)
{
    json_t *j;
    if (get(in, out, key, required, &j))
        return -1;
    *v = NULL;
    if (!j)
        return 0;
    if (!json_is_object(j))
        return rp_fail(out, "invalid", "key '%s' must be an object", key);
    *v = j;
    return 0;
}

int arg_strs(json_t *in, json_t *out, const char *key, int required, const char ***v, size_t *n)
{
    json_t *j;
    if (get(in, out, key, required, &j))
        return -1;
    if (!j)
        return 0;
    if (!json_is_array(j))
        return rp_fail(out, "invalid", "key '%s' must be an array of strings", key);
    size_t count = json_array_size(j);
    const char **items = malloc((count ? count : 1) * sizeof *items);
    if (!items)
        return rp_fail(out, "nomem", "out of memory reading '%s'", key);
    for (size_t i = 0; i < count; i++) {
        json_t *s = json_array_get(j, i);
        if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s)) {
            free(items);
            return rp_fail(out, "invalid", "key '%s': item %zu must be a string without NUL", key,
                           i);
        }
        items[i] = json_string_value(s);
    }
    *v = items;
    *n = count;
    return 0;
}

int arg_enum(json_t *in, json_t *out, const char *key, int required, const char *const *names,
             size_t count, int *v)
{
    const char *s = NULL;
    if (arg_str(in, out, key, required, &s))
        return -1;
    if (!s)
        return 0;
    for (size_t i = 1; i < count; i++)
        if (!strcmp(s, names[i])) {
            *v = (int)i;
            return 0;
        }
    char all[512] = "";
    for (size_t i = 1; i < count; i++) {
        size_t len = strlen(all);
        snprintf(all + len, sizeof all - len, "%s%s", i > 1 ? ", " : "", names[i]);
    }
    return rp_fail(out, "invalid", "key '%s' is '%s'; one of: %s", key, s, all);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        *v = *v * 10 + (s[i] - '0');
    }
    return 0;
}

int rp_parse_time(const char *s, int64_t *ms)
{
    int y, mo, d, h, mi, se;
    if (strlen(s) < 20 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') || digits(s + 11, 2, &h) ||
        s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' || digits(s + 17, 2, &se))
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
        h > 23 || mi > 59 || se > 59)
        return -1;
    const char *p = s + 19;
    int frac_ms = 0;
    if (*p == '.') {
        int n = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 3)
                frac_ms = frac_ms * 10 + (*p - '0');
        if (n == 0)
            return -1;
        for (; n < 3; n++)
            frac_ms *= 10;
    }
    int offset = 0;
    if ((*p == 'Z' || *p == 'z') && p[1] == '\0') {
        offset = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        offset = (oh * 60 + om) * (*p == '-' ? -1 : 1);
    } else {
        return -1;
    }
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - (int64_t)offset * 60;
    *ms = secs * 1000 + frac_ms;
    return 0;
}

int rp_parse_hhmm(const char *s, unsigned *minutes)
{
    int h, m;
    if (strlen(s) != 5 || digits(s, 2, &h) || s[2] != ':' || digits(s + 3, 2, &m) || m > 59 ||
        h > 24 || (h == 24 && m != 0))
        return -1;
    *minutes = (unsigned)(h * 60 + m);
    return 0;
}
