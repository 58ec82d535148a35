/* test_tz.c - white-box tests of loading time zones (lib/rules/tz.c), which
 * business hours (R-CHAN-7) use to find local time: TZif versions, time sizes
 * and skipped records, refused names and files, truncated and corrupt files,
 * a missing footer, a custom zoneinfo directory and allocation failures.
 * Offsets, against glibc and worked out by hand, are in test_tz_offsets.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/tztest.h"

/* Loading s[0..n) fails with CIB_EINVAL, a message containing `needle`, no
 * zone and nothing left allocated. */
static void load_refused(tzenv *e, const char *s, size_t n, const char *needle)
{
    long live = e->fa.live;
    cib__zone *z = (cib__zone *)&z; /* must be reset to NULL */
    int rc = cib__zone_load(e->ctx, s, n, &z);
    if (rc != CIB_EINVAL) {
        if (rc == CIB_OK)
            cib__zone_free(e->ctx, z);
        fail_msg("loading '%.*s' (%zu bytes): %d, want CIB_EINVAL", (int)n, s, n, rc);
    }
    assert_null(z);
    const char *msg = cib_errmsg(e->ctx);
    if (!strstr(msg, needle))
        fail_msg("loading '%.*s': message '%s' lacks '%s'", (int)n, s, msg, needle);
    assert_int_equal(e->fa.live, live);
}

/* A whole file into a malloc()ed buffer. */
static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t cap = 1 << 16;
    unsigned char *p = malloc(cap);
    assert_non_null(p);
    *n = fread(p, 1, cap, f);
    assert_true(*n > 44 && *n < cap);
    fclose(f);
    return p;
}

/* ---- the file format ---- */

/* Version 1 files (32-bit times), version 2+ files whose 32-bit block must
 * be skipped, 64-bit times before 1901, leap-second records and
 * indicators that the parser must step over to find the footer. */
static void test_tzif_versions_time_sizes_and_skipped_records_R_CHAN_7(void **state)
{
    (void)state;
    tmp_init();
    tmp_mkdir("F");
    tzenv e;
    env_open(&e, tmp_dir());
    static tzbuf b;
    const int64_t t32[] = {-2000000000, 1000000000};
    const unsigned char i32[] = {1, 2};
    const int32_t o32[] = {100, -3600, 7200};
    const tzblock v1 = {2, t32, i32, 3, o32, 2, 1};

    make_tzif(&b, '\0', &v1, NULL, NULL);
    tmp_write("F/V1", b.p, b.n);
    cib__zone *z = load_ok(&e, "F/V1");
    assert_int_equal(z->n_trans, 2);
    assert_int_equal(z->trans[0], -2000000000); /* sign-extended */
    assert_false(z->has_rule);
    expect_offset(z, INT64_C(-9000000000000000), 100);
    expect_switch(z, -2000000000, 100, -3600);
    expect_switch(z, 1000000000, -3600, 7200);
    expect_offset(z, INT64_C(9000000000000000), 7200);
    cib__zone_free(e.ctx, z);

    /* The v2 block disagrees with the v1 block: the v2 block counts. */
    const int64_t t64[] = {INT64_C(-5000000000), 0, INT64_C(5000000000)};
    const unsigned char i64[] = {1, 0, 1};
    const int32_t o64[] = {3600, 5400};
    const tzblock v2 = {3, t64, i64, 2, o64, 3, 1};
    for (char version = '2'; version <= '4'; version++) {
        make_tzif(&b, version, &v1, &v2, "<+01>-1<+0130>-1:30,M3.5.0,M10.5.0/3");
        tmp_write("F/V2", b.p, b.n);
        z = load_ok(&e, "F/V2");
        assert_int_equal(z->n_trans, 3);
        assert_int_equal(z->n_types, 2);
        assert_true(z->has_rule && z->has_dst);
        assert_int_equal(z->std_off, 3600);
        assert_int_equal(z->dst_off, 5400);
        expect_switch(z, INT64_C(-5000000000), 3600, 5400);
        expect_switch(z, 0, 5400, 3600);
        expect_offset(z, -2000000000, 5400);
        expect_offset(z, 1000000000, 3600);
        /* From the last transition (2128-06-11, in summer) the rule. */
        expect_offset(z, INT64_C(5000000000), 5400);
        expect_switch(z, utc(2128, 10, 31, 1, 30, 0), 5400, 3600); /* 03:00 at +1:30 */
        expect_switch(z, utc(2129, 3, 27, 1, 0, 0), 3600, 5400);
        cib__zone_free(e.ctx, z);
    }

    /* An empty footer: no rule, the last type stays. */
    make_tzif(&b, '2', &v1, &v2, "");
    tmp_write("F/Empty", b.p, b.n);
    z = load_ok(&e, "F/Empty");
    assert_false(z->has_rule);
    expect_offset(z, INT64_C(9000000000000000), 5400);
    cib__zone_free(e.ctx, z);

    /* No transitions, no rule: type 0 always. */
    const tzblock none = {0, NULL, NULL, 1, o32, 0, 0};
    make_tzif(&b, '2', &minimal_v1, &none, "");
    tmp_write("F/None", b.p, b.n);
    z = load_ok(&e, "F/None");
    expect_offset(z, INT64_C(-9000000000000000), 100);
    expect_offset(z, INT64_C(9000000000000000), 100);
    cib__zone_free(e.ctx, z);
    env_close(&e);
}

/* ---- refused names and files ---- */

static void test_bad_zone_names_refused_R_CHAN_7(void **state)
{
    (void)state;
    tzenv e;
    env_open(&e, NULL);
    const char *bad_name = "not a time zone name";
    static const char *const names[] = {
        "",
        "../etc/passwd",
        "/etc/localtime",
        "/usr/share/zoneinfo/UTC",
        "Europe/../Europe/Berlin",
        "Europe/./Berlin",
        "Europe//Berlin",
        "Europe/Berlin/",
        "./UTC",
        ".",
        "..",
        "America/New York",
        "Europe/Z\xc3\xbcrich",
        "Europe/Berlin\n",
        "Europe\\Berlin",
        "UTC;rm",
        "Etc/GMT+5*",
        "~/UTC",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        load_refused(&e, names[i], strlen(names[i]), bad_name);
    /* The length counts, not a NUL: an embedded NUL, and a name whose
     * first bytes alone would be valid. */
    load_refused(&e, "Europe/Berlin\0x", 15, bad_name);
    load_refused(&e, "UTC\0", 4, bad_name);
    load_refused(&e, "Europe/Berlin", 14, bad_name);
    /* 255 bytes is the limit: 256 is a bad name, 255 merely unknown. */
    char longname[300];
    memset(longname, 'a', sizeof longname);
    for (size_t i = 1; i < sizeof longname; i += 10)
        longname[i] = '/';
    load_refused(&e, longname, 256, bad_name);
    load_refused(&e, longname, 299, bad_name);
    load_refused(&e, longname, 255, "is unknown");
    /* Valid names with '+', '-', '_' and '.' load. */
    static const char *const good[] = {"Etc/GMT+5", "Etc/GMT-14", "America/Port-au-Prince",
                                       "America/Port_of_Spain", "UTC"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        long live = e.fa.live;
        cib__zone *z = load_ok(&e, good[i]);
        cib__zone_free(e.ctx, z);
        assert_int_equal(e.fa.live, live);
    }
    /* A name that is a prefix of a longer argument loads by its length. */
    cib__zone *z = NULL;
    assert_int_equal(cib__zone_load(e.ctx, "UTCxyz", 3, &z), CIB_OK);
    assert_string_equal(z->name, "UTC");
    cib__zone_free(e.ctx, z);
    cib__zone_free(e.ctx, NULL);
    env_close(&e);
}

static void test_unknown_zones_directories_and_non_tzif_files_refused_R_CHAN_7(void **state)
{
    (void)state;
    tzenv e;
    env_open(&e, NULL);
    load_refused(&e, "Nope/Nowhere", 12, "is unknown");
    load_refused(&e, "Europe/Nowhere", 14, "is unknown");
    load_refused(&e, "europe/berlin", 13, "is unknown");
    load_refused(&e, "Europe", 6, "not a valid TZif file");
    load_refused(&e, "America/Argentina", 17, "not a valid TZif file");
    load_refused(&e, "zone.tab", 8, "not a valid TZif file");
    load_refused(&e, "iso3166.tab", 11, "not a valid TZif file");
    load_refused(&e, "tzdata.zi", 9, "not a valid TZif file");
    /* The message names the zone. */
    load_refused(&e, "Nope/Nowhere", 12, "'Nope/Nowhere'");
    load_refused(&e, "zone.tab", 8, "'zone.tab'");
    env_close(&e);
}

/* A copy of Europe/Berlin under a made-up name in a directory of our own;
 * the directory is the only one searched. */
static void test_custom_zoneinfo_dir_is_used_R_CHAN_7(void **state)
{
    (void)state;
    size_t n;
    unsigned char *p = slurp("/usr/share/zoneinfo/Europe/Berlin", &n);
    tmp_init();
    tmp_mkdir("Test");
    tmp_write("Test/Zone", p, n);
    free(p);
    tzenv e;
    env_open(&e, tmp_dir());
    cib__zone *z = load_ok(&e, "Test/Zone");
    expect_switch(z, utc(2026, 3, 29, 1, 0, 0), 3600, 7200);
    expect_switch(z, utc(2026, 10, 25, 1, 0, 0), 7200, 3600);
    expect_switch(z, utc(2040, 3, 25, 1, 0, 0), 3600, 7200);
    cib__zone_free(e.ctx, z);
    load_refused(&e, "Europe/Berlin", 13, "is unknown");
    load_refused(&e, "Test", 4, "not a valid TZif file");
    env_close(&e);
    /* The default directory knows no Test/Zone. */
    env_open(&e, NULL);
    load_refused(&e, "Test/Zone", 9, "is unknown");
    env_close(&e);
    /* A directory that does not exist. */
    env_open(&e, "/nonexistent/zoneinfo");
    load_refused(&e, "UTC", 3, "is unknown");
    env_close(&e);
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Where a version 2+ file's second header starts: after the first header
 * and the 32-bit data block (RFC 8536 3.2). */
static size_t second_header(const unsigned char *p)
{
    uint32_t isut = get32(p + 20), isstd = get32(p + 24), leapcnt = get32(p + 28);
    uint32_t timecnt = get32(p + 32), typecnt = get32(p + 36), charcnt = get32(p + 40);
    size_t at = 44 + timecnt * 5 + typecnt * 6 + charcnt + leapcnt * 8 + isstd + isut;
    assert_memory_equal(p + at, "TZif", 4);
    return at;
}

/* The offset of the footer's leading newline in a TZif file. */
static size_t footer_at(const unsigned char *p, size_t n)
{
    assert_int_equal(p[n - 1], '\n');
    size_t f = n - 2;
    while (p[f] != '\n')
        f--;
    return f;
}

/* Every proper prefix of a real file but one (see the next test), and
 * synthetic files broken in each way the parser checks. */
static void test_truncated_and_corrupt_tzif_files_refused_R_CHAN_7(void **state)
{
    (void)state;
    const char *invalid = "not a valid TZif file";
    size_t n;
    unsigned char *p = slurp("/usr/share/zoneinfo/Europe/Berlin", &n);
    size_t footer = footer_at(p, n);
    tmp_init();
    tmp_mkdir("Test");
    tzenv e;
    env_open(&e, tmp_dir());
    for (size_t len = 0; len < n; len++) {
        if (len == footer)
            continue;
        tmp_write("Test/Cut", p, len);
        load_refused(&e, "Test/Cut", 8, invalid);
    }
    /* A bad magic in the first or the second header. */
    p[0] = 'X';
    tmp_write("Test/Bad", p, n);
    load_refused(&e, "Test/Bad", 8, invalid);
    p[0] = 'T';
    tmp_write("Test/Bad", p, n);
    cib__zone *z = load_ok(&e, "Test/Bad");
    cib__zone_free(e.ctx, z);
    p[second_header(p) + 3] = 'F';
    tmp_write("Test/Bad", p, n);
    load_refused(&e, "Test/Bad", 8, invalid);
    free(p);

    static tzbuf b;
    const int64_t trans[] = {-100, 0, 100};
    const unsigned char idx[] = {1, 0, 1};
    const unsigned char bad_idx[] = {1, 2, 1};
    const int64_t same[] = {-100, 0, 0};
    const int64_t down[] = {-100, 100, 0};
    const int32_t offs[] = {3600, 7200};
    const int32_t too_east[] = {3600, 26 * 3600 + 1};
    const int32_t too_west[] = {-25 * 3600 - 1, 7200};
    const int32_t edges[] = {-25 * 3600, 26 * 3600};
    const tzblock good = {3, trans, idx, 2, offs, 1, 1};
    const struct {
        tzblock k;
        int ok;
    } blocks[] = {
        {good, 1},
        {{3, trans, bad_idx, 2, offs, 1, 1}, 0}, /* a type index >= typecnt */
        {{3, same, idx, 2, offs, 0, 0}, 0},      /* transitions not increasing */
        {{3, down, idx, 2, offs, 0, 0}, 0},
        {{3, trans, idx, 2, too_east, 0, 0}, 0}, /* offsets beyond -25 h .. +26 h */
        {{3, trans, idx, 2, too_west, 0, 0}, 0},
        {{3, trans, idx, 2, edges, 0, 0}, 1},
    };
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        make_tzif(&b, '2', &minimal_v1, &blocks[i].k, "CET-1CEST,M3.5.0,M10.5.0/3");
        tmp_write("Test/Syn", b.p, b.n);
        if (blocks[i].ok) {
            z = load_ok(&e, "Test/Syn");
            cib__zone_free(e.ctx, z);
        } else {
            load_refused(&e, "Test/Syn", 8, invalid);
        }
        /* The same in a version 1 file. */
        make_tzif(&b, '\0', &blocks[i].k, NULL, NULL);
        tmp_write("Test/Syn1", b.p, b.n);
        if (blocks[i].ok) {
            z = load_ok(&e, "Test/Syn1");
            cib__zone_free(e.ctx, z);
        } else {
            load_refused(&e, "Test/Syn1", 9, invalid);
        }
    }

    /* Header counts: typecnt 0, indicator counts other than 0 or typecnt,
     * and counts beyond the limits or the file. The v2 header's counts
     * start at byte 20 of the second header. */
    static const struct {
        size_t field; /* 0 isut, 1 isstd, 2 leap, 3 time, 4 type, 5 chr */
        uint32_t value;
    } counts[] = {{4, 0},     {4, 257},   {0, 1}, {1, 3}, {3, 100001},
                  {5, 65537}, {2, 10001}, {3, 4}, {2, 5}, {5, 1000}};
    make_tzif(&b, '2', &minimal_v1, &good, "CET-1CEST,M3.5.0,M10.5.0/3");
    size_t v2_header = second_header(b.p);
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        for (int which = 0; which < 2; which++) {
            static tzbuf c;
            c = b;
            unsigned char *q = c.p + (which ? v2_header : 0) + 20 + 4 * counts[i].field;
            uint32_t v = counts[i].value;
            q[0] = (unsigned char)(v >> 24);
            q[1] = (unsigned char)(v >> 16);
            q[2] = (unsigned char)(v >> 8);
            q[3] = (unsigned char)v;
            tmp_write("Test/Hdr", c.p, c.n);
            load_refused(&e, "Test/Hdr", 8, invalid);
        }
    }

    /* Footers the rule parser refuses. */
    static const char *const footers[] = {
        "!!!",
        "CET",                            /* no offset */
        "CE-1",                           /* a name of 2 letters */
        "<+01-1",                         /* an unterminated <name> */
        "CET+25",                         /* more than 24 hours */
        "CET-1:60",                       /* 60 minutes */
        "CET-1:00:60",                    /* 60 seconds */
        "CET-1CEST",                      /* DST without rules */
        "CET-1CEST,M3.5.0",               /* one rule */
        "CET-1CEST,M13.5.0,M10.5.0/3",    /* month 13 */
        "CET-1CEST,M0.5.0,M10.5.0/3",     /* month 0 */
        "CET-1CEST,M3.0.0,M10.5.0/3",     /* week 0 */
        "CET-1CEST,M3.6.0,M10.5.0/3",     /* week 6 */
        "CET-1CEST,M3.5.7,M10.5.0/3",     /* weekday 7 */
        "CET-1CEST,M3.5,M10.5.0/3",       /* no weekday */
        "CET-1CEST,J0,J300",              /* J counts from 1 */
        "CET-1CEST,J366,J300",            /* up to 365 */
        "CET-1CEST,366,300",              /* n: 0 to 365 */
        "CET-1CEST,M3.5.0/168,M10.5.0/3", /* times within +-167 h */
        "CET-1CEST,M3.5.0/-168,M10.5.0/3",
        "CET-1CEST,M3.5.0,M10.5.0/3x", /* trailing text */
        "CET-1CEST,M3.5.0,M10.5.0/",   /* no time after '/' */
        "CET-1CEST-2x,M3.5.0,M10.5.0", /* text after the DST offset */
        "CET-1CEST+25,M3.5.0,M10.5.0",
        "CET-1 CEST,M3.5.0,M10.5.0",
    };
    for (size_t i = 0; i < sizeof footers / sizeof footers[0]; i++) {
        make_tzif(&b, '2', &minimal_v1, &good, footers[i]);
        tmp_write("Test/Foot", b.p, b.n);
        load_refused(&e, "Test/Foot", 9, invalid);
    }
    /* A footer without its closing newline. */
    make_tzif(&b, '2', &minimal_v1, &good, NULL);
    put(&b, "\nCET-1CEST,M3.5.0,M10.5.0/3", 27);
    tmp_write("Test/Foot", b.p, b.n);
    load_refused(&e, "Test/Foot", 9, invalid);
    /* The limits themselves are accepted. */
    make_tzif(&b, '2', &minimal_v1, &good, "<-24>24<+24>-24,M3.5.0/167,M10.5.0/-167");
    tmp_write("Test/Foot", b.p, b.n);
    z = load_ok(&e, "Test/Foot");
    assert_int_equal(z->std_off, -24 * 3600);
    assert_int_equal(z->dst_off, 24 * 3600);
    assert_int_equal(z->start.time, 167 * 3600);
    assert_int_equal(z->end.time, -167 * 3600);
    cib__zone_free(e.ctx, z);
    env_close(&e);
}

/* RFC 8536 3.3: a version 2+ file ends with a footer, a TZ string (maybe
 * empty) between newlines. A copy cut just before it, or one where other
 * bytes follow the data block, is not a valid TZif file: accepting it
 * silently drops the zone's DST after its last transition. */
static void test_v2_file_without_footer_refused_R_CHAN_7(void **state)
{
    (void)state;
    size_t n;
    unsigned char *p = slurp("/usr/share/zoneinfo/Europe/Berlin", &n);
    size_t footer = footer_at(p, n);
    tmp_init();
    tmp_mkdir("Test");
    tmp_write("Test/Cut", p, footer);
    p[footer] = 'X';
    tmp_write("Test/NoNL", p, n);
    free(p);
    /* Load both before asserting, so that a failure leaks nothing. */
    static const char *const names[] = {"Test/Cut", "Test/NoNL"};
    int rc[2];
    char msg[2][512];
    tzenv e;
    env_open(&e, tmp_dir());
    for (int i = 0; i < 2; i++) {
        cib__zone *z = NULL;
        rc[i] = cib__zone_load(e.ctx, names[i], strlen(names[i]), &z);
        snprintf(msg[i], sizeof msg[i], "%s", rc[i] ? cib_errmsg(e.ctx) : "");
        cib__zone_free(e.ctx, z);
    }
    env_close(&e);
    for (int i = 0; i < 2; i++) {
        if (rc[i] != CIB_EINVAL)
            fail_msg("loading '%s': %d, want CIB_EINVAL", names[i], rc[i]);
        assert_non_null(strstr(msg[i], "not a valid TZif file"));
    }
}

/* ---- allocation failures ---- */

/* Fail the 1st, 2nd, ... allocation of a load until it succeeds: each is
 * CIB_ENOMEM with "out of memory", no zone, nothing leaked. */
static void zone_load_sweep(const char *dir, const char *name, long min_allocs)
{
    tzenv e;
    env_open(&e, dir);
    long k = 0;
    for (;; k++) {
        long live = e.fa.live, failed = e.fa.failed;
        e.fa.fail_at = e.fa.count + k;
        cib__zone *z = (cib__zone *)&z;
        int rc = cib__zone_load(e.ctx, name, strlen(name), &z);
        e.fa.fail_at = -1;
        if (e.fa.failed == failed) {
            assert_int_equal(rc, CIB_OK);
            assert_string_equal(z->name, name);
            cib__zone_free(e.ctx, z);
            assert_int_equal(e.fa.live, live);
            break;
        }
        if (rc != CIB_ENOMEM)
            fail_msg("%s, allocation %ld failing: %d", name, k + 1, rc);
        assert_null(z);
        assert_string_equal(cib_errmsg(e.ctx), "out of memory");
        assert_int_equal(e.fa.live, live);
    }
    if (k < min_allocs)
        fail_msg("%s: only %ld allocations", name, k);
    env_close(&e);
}

static void test_zone_load_out_of_memory_at_each_allocation_R_CHAN_7(void **state)
{
    (void)state;
    zone_load_sweep(NULL, "Europe/Berlin", 6); /* file, zone, 3 arrays, name */
    zone_load_sweep(NULL, "UTC", 6);           /* no transitions */
    tmp_init();
    tmp_mkdir("T");
    static tzbuf b;
    make_tzif(&b, '\0', &minimal_v1, NULL, NULL);
    tmp_write("T/V1", b.p, b.n);
    zone_load_sweep(tmp_dir(), "T/V1", 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_tzif_versions_time_sizes_and_skipped_records_R_CHAN_7,
                                  tmp_remove),
        cmocka_unit_test(test_bad_zone_names_refused_R_CHAN_7),
        cmocka_unit_test(test_unknown_zones_directories_and_non_tzif_files_refused_R_CHAN_7),
        cmocka_unit_test_teardown(test_custom_zoneinfo_dir_is_used_R_CHAN_7, tmp_remove),
        cmocka_unit_test_teardown(test_truncated_and_corrupt_tzif_files_refused_R_CHAN_7,
                                  tmp_remove),
        cmocka_unit_test_teardown(test_v2_file_without_footer_refused_R_CHAN_7, tmp_remove),
        cmocka_unit_test_teardown(test_zone_load_out_of_memory_at_each_allocation_R_CHAN_7,
                                  tmp_remove),
    };
    return TENV_RUN(tests);
}
