/*
 * fuzz_tzif.c - the tzif fuzz target: the input is a TZif file (tzfile(5),
 * RFC 8536), written as zone "Fuzz/Zone" into a private zoneinfo
 * directory, loaded by lib/rules/tz.c directly and as a chat channel's business
 * hours, then asked for offsets and availability at many instants, from the
 * earliest to the latest a clock can give (outside CIB_TIME_MIN..MAX the
 * library must refuse the clock).
 *
 * Checked, with abort() on a violation: the internal loader and the public
 * cib_channel_set_availability() agree on whether the file is a zone; a
 * refused file fails with CIB_EINVAL and a message, leaking nothing; every
 * offset is one the zone defines (a type of the file or its footer's
 * standard or daylight offset), within -25 h .. +26 h, and at each
 * transition it is that transition's type; cib_chat_available() answers 0
 * or 1 at every instant; a context reloaded from the store answers the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzzenv.h"
#include "tz.h"

static char dir[4096];
static char path[4300];

static void remove_dir(void)
{
    unlink(path);
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/Fuzz", dir);
    rmdir(sub);
    rmdir(dir);
}

static void make_dir(void)
{
    if (dir[0])
        return;
    const char *tmp = getenv("TMPDIR");
    int n = snprintf(dir, sizeof dir, "%s/cib-fuzz-tz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    FZ_CHECK(n > 0 && (size_t)n < sizeof dir && mkdtemp(dir), "cannot make a temporary directory");
    char sub[4200];
    snprintf(sub, sizeof sub, "%s/Fuzz", dir);
    FZ_CHECK(mkdir(sub, 0700) == 0, "cannot make %s", sub);
    snprintf(path, sizeof path, "%s/Zone", sub);
    atexit(remove_dir);
}

static int64_t now_ms;

static int64_t clock_fn(void *ud)
{
    (void)ud;
    return now_ms;
}

/* Instants to ask, in ms: fixed extremes, then some from the input. */
static const int64_t fixed_ms[] = {
    INT64_MIN,
    INT64_MIN + 1,
    INT64_MIN / 2,
    -62135596800000LL, /* 0001-01-01 */
    -2208988800000LL,  /* 1900-01-01 */
    -1,
    0,
    1,
    951782400000LL,    /* 2000-02-29 */
    1767571200000LL,   /* 2026-01-05 */
    1774746000000LL,   /* 2026-03-29T01:00Z, a European switch */
    2147483647000LL,   /* 2038-01-19, the 32-bit end */
    4102444800000LL,   /* 2100-01-01 */
    253402300799000LL, /* 9999-12-31 */
    INT64_MAX / 2,
    INT64_MAX - 1,
    INT64_MAX,
};

static int offset_known(const cib__zone *z, int32_t off)
{
    for (size_t i = 0; i < z->n_types; i++)
        if (z->offsets[i] == off)
            return 1;
    return z->has_rule && (off == z->std_off || (z->has_dst && off == z->dst_off));
}

static void check_offset(const cib__zone *z, int64_t t)
{
    int32_t off = cib__zone_offset(z, t);
    FZ_CHECK(off >= -26 * 3600 && off <= 27 * 3600, "offset %d at %lld", off, (long long)t);
    FZ_CHECK(offset_known(z, off), "offset %d at %lld is none of the zone's", off, (long long)t);
}

static void check_zone(const cib__zone *z, fz_in *in)
{
    FZ_CHECK(z->n_types >= 1 && z->offsets, "a zone without types");
    for (size_t i = 0; i < z->n_trans; i++) {
        FZ_CHECK(i == 0 || z->trans[i] > z->trans[i - 1], "transitions out of order");
        if (!z->has_rule || i + 1 < z->n_trans)
            FZ_CHECK(cib__zone_offset(z, z->trans[i]) == z->offsets[z->types[i]],
                     "the offset at transition %zu is not its type's", i);
        check_offset(z, z->trans[i] - 1);
    }
    for (size_t i = 0; i < sizeof fixed_ms / sizeof fixed_ms[0]; i++)
        check_offset(z, fixed_ms[i] / 1000);
    for (int i = 0; i < 32 && !fz_done(in); i++)
        check_offset(z, (int64_t)fz_u64(in) / 1000);
}

static void ask_channel(cib_ctx *ctx, fz_in *in, int *answers, size_t n_answers)
{
    for (size_t i = 0; i < n_answers; i++) {
        if (i < sizeof fixed_ms / sizeof fixed_ms[0])
            now_ms = fixed_ms[i];
        else
            now_ms = (int64_t)fz_u64(in);
        int avail = -1;
        int rc = cib_chat_available(ctx, "chat", CIB_NTS, &avail);
        if (now_ms < CIB_TIME_MIN || now_ms > CIB_TIME_MAX) {
            FZ_CHECK(rc == CIB_EINVAL && cib_errmsg(ctx)[0],
                     "cib_chat_available at %lld, outside the clock's range: %s", (long long)now_ms,
                     cib_status_name(rc));
            continue;
        }
        FZ_CHECK(rc == CIB_OK, "cib_chat_available: %s (%s)", cib_status_name(rc), cib_errmsg(ctx));
        FZ_CHECK(avail == 0 || avail == 1, "available %d", avail);
        if (answers[i] >= 0)
            FZ_CHECK(answers[i] == avail, "at %lld the reloaded context says %d, before %d",
                     (long long)now_ms, avail, answers[i]);
        answers[i] = avail;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    make_dir();
    /* The file is the whole input. Its last 12 bytes (of an input of 64 or
     * more; a TZif reader ignores what follows the footer) choose three
     * business-hours ranges, and its bytes read again give the instants. */
    fz_in in = {data + (size >= 64 ? size - 12 : size), size >= 64 ? 12 : 0};
    unsigned days[3], from[3], to[3];
    for (int i = 0; i < 3; i++) {
        days[i] = 1 + fz_u8(&in) % 127;
        from[i] = fz_u8(&in) * 1439u / 255;
        to[i] = fz_u8(&in) * 1440u / 255;
    }
    FILE *f = fopen(path, "wb");
    FZ_CHECK(f && fwrite(data, 1, size, f) == size && fclose(f) == 0, "cannot write %s", path);
    fz_in tail = {data, size};

    now_ms = 1767571200000LL; /* the account is created at a valid time */
    fz_alloc fa = {0, -1, 0, 0};
    cib_allocator alloc = fz_allocator(&fa);
    cib_store mem;
    FZ_CHECK(cib_memstore_new(&alloc, &mem) == CIB_OK, "cib_memstore_new");
    cib_options o = CIB_OPTIONS_INIT;
    o.allocator = &alloc;
    o.store = &mem;
    o.clock = clock_fn;
    o.zoneinfo_dir = dir;
    o.hash_seed = 1;
    cib_ctx *ctx = NULL;
    FZ_CHECK(cib_ctx_new(&o, &ctx) == CIB_OK, "cib_ctx_new");

    long live = fa.live;
    cib__zone *z = NULL;
    int direct = cib__zone_load(ctx, "Fuzz/Zone", 9, &z);
    FZ_CHECK(direct == CIB_OK || direct == CIB_EINVAL, "cib__zone_load: %d", direct);
    if (direct == CIB_OK) {
        check_zone(z, &tail);
        cib__zone_free(ctx, z);
    } else {
        FZ_CHECK(z == NULL && cib_errmsg(ctx)[0], "a refused zone left a zone or no message");
    }
    FZ_CHECK(fa.live == live, "loading the zone leaked %ld blocks", fa.live - live);

    cib_channel_def c = CIB_CHANNEL_DEF_INIT;
    c.id = "chat";
    c.inbox = "default";
    c.type = CIB_CHANNEL_CHAT;
    FZ_CHECK(cib_channel_add(ctx, &c) == CIB_OK, "cib_channel_add: %s", cib_errmsg(ctx));
    cib_availability_def av = CIB_AVAILABILITY_DEF_INIT;
    av.mode = CIB_CHAT_BUSINESS_HOURS;
    av.tz = "Fuzz/Zone";
    av.range_days = days;
    av.range_from = from;
    av.range_to = to;
    av.n_ranges = 3;
    int rc = cib_channel_set_availability(ctx, "chat", CIB_NTS, &av);
    FZ_CHECK(rc == direct, "set_availability: %s, the loader: %s (%s)", cib_status_name(rc),
             cib_status_name(direct), cib_errmsg(ctx));
    if (rc == CIB_OK) {
        enum { N = 48 };
        int answers[N];
        memset(answers, -1, sizeof answers);
        fz_in again = tail;
        ask_channel(ctx, &tail, answers, N);
        /* The same answers from a context that loads the zone again. */
        cib_ctx_free(ctx);
        ctx = NULL;
        now_ms = 1767571200000LL;
        FZ_CHECK(cib_ctx_new(&o, &ctx) == CIB_OK, "reloading the account");
        ask_channel(ctx, &again, answers, N);
    }
    cib_ctx_free(ctx);
    mem.close(mem.user_data);
    FZ_CHECK(fa.live == 0, "%ld blocks never freed", fa.live);
    return 0;
}
