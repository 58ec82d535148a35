/* test_text.c - white-box tests of the text checks and id keys that every
 * call's arguments and every row key go through (lib/base/text.c,
 * lib/api/conversation.c): the eight-bytes-at-a-time ASCII scan of
 * cib__check_text() against a byte-by-byte model at every offset around the
 * word boundaries, and cib__id_key() against snprintf at every digit count.
 * Bad input is refused with a message naming the offset (R-HOST-1). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conversation.h"
#include "support/testenv.h"
#include "text.h"

/* The byte-by-byte model: is s[0..n) acceptable single-line text? (Only
 * the bytes used below: printable ASCII, controls, DEL, a two-byte é, a
 * lone continuation byte.) */
static int model_ok(const unsigned char *s, size_t n, size_t *bad)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= 0x20 && s[i] < 0x7F)
            continue;
        if (s[i] == 0xC3 && i + 1 < n && s[i + 1] == 0xA9) {
            i++;
            continue;
        }
        *bad = i;
        return 0;
    }
    return 1;
}

static void test_check_text_every_offset(void **state)
{
    (void)state;
    cib_ctx *ctx;
    assert_int_equal(cib_ctx_new(NULL, &ctx), CIB_OK);
    static const unsigned char odd[] = {0x00, 0x01, 0x09, 0x0A, 0x1F, 0x7F, 0x80, 0xFF, 0xC3};
    unsigned char buf[40];
    for (size_t n = 1; n <= 33; n++) {
        for (size_t at = 0; at < n; at++) {
            for (size_t k = 0; k < sizeof odd; k++) {
                memset(buf, 'a' + (int)(at % 26), sizeof buf);
                buf[at] = odd[k];
                if (odd[k] == 0xC3 && at + 1 < n)
                    buf[at + 1] = 0xA9; /* a whole é: accepted */
                size_t bad = SIZE_MAX;
                int want = model_ok(buf, n, &bad);
                cib__str out = {NULL, 0};
                int rc = cib__check_text(ctx, "text", -1, (const char *)buf, n, 100, 0, &out);
                if (want) {
                    assert_int_equal(rc, CIB_OK);
                    assert_ptr_equal(out.p, (const char *)buf);
                    assert_int_equal(out.n, n);
                } else {
                    assert_int_equal(rc, CIB_EINVAL);
                    assert_null(out.p);
                    char offset[32];
                    snprintf(offset, sizeof offset, "offset %zu", bad);
                    assert_non_null(strstr(cib_errmsg(ctx), offset));
                }
            }
        }
    }
    /* Every printable byte, in every lane of a word. */
    for (int c = 0x20; c < 0x7F; c++) {
        memset(buf, c, sizeof buf);
        cib__str out = {NULL, 0};
        assert_int_equal(cib__check_text(ctx, "text", -1, (const char *)buf, 37, 100, 0, &out),
                         CIB_OK);
    }
    /* Tabs and newlines only in multi-line text. */
    const char *body = "line one\nline two\ttabbed\r\n";
    cib__str out = {NULL, 0};
    assert_int_equal(cib__check_text(ctx, "text", -1, body, strlen(body), 100, 0, &out),
                     CIB_EINVAL);
    assert_int_equal(
        cib__check_text(ctx, "text", -1, body, strlen(body), 100, CIB__TEXT_MULTILINE, &out),
        CIB_OK);
    cib_ctx_free(ctx);
}

/* The cases beside the all-ASCII fast path of cib__check_text: CIB_NTS,
 * the length bound, empty and NULL strings by flag, and tabs at every
 * offset of multi-line text of 1 to 20 bytes. */
static void test_check_text_flags_and_bounds(void **state)
{
    (void)state;
    cib_ctx *ctx;
    assert_int_equal(cib_ctx_new(NULL, &ctx), CIB_OK);
    char buf[40];
    cib__str out;
    for (size_t n = 0; n <= 20; n++) {
        memset(buf, 'q', sizeof buf);
        buf[n] = '\0';
        /* NUL-terminated, bounded at 20 and at n */
        int rc = cib__check_text(ctx, "t", -1, buf, CIB_NTS, 20, 0, &out);
        if (n == 0) {
            assert_int_equal(rc, CIB_EINVAL);
            assert_non_null(strstr(cib_errmsg(ctx), "'t' is empty"));
            assert_int_equal(
                cib__check_text(ctx, "t", -1, buf, CIB_NTS, 20, CIB__TEXT_EMPTY_OK, &out), CIB_OK);
            assert_int_equal(out.n, 0);
        } else {
            assert_int_equal(rc, CIB_OK);
            assert_int_equal(out.n, n);
            assert_ptr_equal(out.p, buf);
            assert_int_equal(cib__check_text(ctx, "t", -1, buf, n, n, 0, &out), CIB_OK);
            out.p = buf;
            assert_int_equal(cib__check_text(ctx, "t", 3, buf, n, n - 1, 0, &out), CIB_EINVAL);
            assert_null(out.p);
            char want[64];
            snprintf(want, sizeof want, "'t[3]' is longer than %zu bytes", n - 1);
            assert_non_null(strstr(cib_errmsg(ctx), want));
            buf[n] = 'q'; /* longer than the bound before its NUL */
            buf[21] = '\0';
            assert_int_equal(cib__check_text(ctx, "t", -1, buf, CIB_NTS, n, 0, &out), CIB_EINVAL);
            buf[n] = '\0';
        }
        for (size_t at = 0; at < n; at++) {
            memset(buf, 'q', sizeof buf);
            buf[at] = '\t';
            assert_int_equal(cib__check_text(ctx, "t", -1, buf, n, 20, 0, &out), CIB_EINVAL);
            char want[64];
            snprintf(want, sizeof want, "control character at offset %zu", at);
            assert_non_null(strstr(cib_errmsg(ctx), want));
            assert_int_equal(cib__check_text(ctx, "t", -1, buf, n, 20, CIB__TEXT_MULTILINE, &out),
                             CIB_OK);
            assert_int_equal(out.n, n);
        }
    }
    out.p = "x";
    assert_int_equal(cib__check_text(ctx, "t", -1, NULL, 3, 20, CIB__TEXT_OPTIONAL, &out), CIB_OK);
    assert_null(out.p);
    assert_int_equal(out.n, 0);
    assert_int_equal(cib__check_text(ctx, "t", -1, NULL, 3, 20, 0, &out), CIB_EINVAL);
    assert_non_null(strstr(cib_errmsg(ctx), "'t' is NULL"));
    cib_ctx_free(ctx);
}

static void test_id_key_every_length(void **state)
{
    (void)state;
    char want[32], got[32];
    uint64_t p = 1;
    for (int digits = 1; digits <= 20; digits++) {
        uint64_t vals[] = {p, p + 1, p * 2 - 1 > p ? p * 2 - 1 : p, p - 1 + (p == 1),
                           digits < 20 ? p * 10 - 1 : UINT64_MAX};
        for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
            memset(got, 'x', sizeof got);
            size_t n = cib__id_key(vals[i], got);
            snprintf(want, sizeof want, "%" PRIu64, vals[i]);
            assert_string_equal(got, want);
            assert_int_equal(n, strlen(want));
            assert_int_equal(got[n + 1], 'x'); /* nothing written past the NUL */
        }
        if (digits < 20)
            p *= 10;
    }
    memset(got, 'x', sizeof got);
    assert_int_equal(cib__id_key(0, got), 1);
    assert_string_equal(got, "0");
    uint64_t s = 99;
    for (int i = 0; i < 10000; i++) {
        s = s * 6364136223846793005u + 1442695040888963407u;
        uint64_t v = s >> (i % 64);
        cib__id_key(v, got);
        snprintf(want, sizeof want, "%" PRIu64, v);
        assert_string_equal(got, want);
    }
}

/* Edge values of cib__id_key, where the digit count or the 8-digit split
 * changes: exactly the digits and the NUL are written. */
static void test_id_key_edges(void **state)
{
    (void)state;
    static const uint64_t vals[] = {0,
                                    1,
                                    9,
                                    10,
                                    11,
                                    99,
                                    100,
                                    101,
                                    999,
                                    1000,
                                    9999,
                                    10000,
                                    10001,
                                    99999999,
                                    100000000,
                                    100000001,
                                    4294967295u,
                                    4294967296u,
                                    4294967297u,
                                    9999999999999999u,
                                    10000000000000000u,
                                    10000000000000001u,
                                    9999999999999999999u,
                                    10000000000000000000u,
                                    UINT64_MAX - 1,
                                    UINT64_MAX};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        char want[32], got[32];
        memset(got, 'x', sizeof got);
        size_t n = cib__id_key(vals[i], got);
        snprintf(want, sizeof want, "%" PRIu64, vals[i]);
        assert_string_equal(got, want);
        assert_int_equal(n, strlen(want));
        for (size_t j = n + 1; j < sizeof got; j++)
            assert_int_equal(got[j], 'x');
        uint64_t back = 0;
        assert_int_equal(cib__id_parse(got, n, &back), 0);
        assert_true(back == vals[i]);
    }
    /* Every value below 100,000. */
    for (uint64_t v = 0; v < 100000; v++) {
        char want[32], got[32];
        cib__id_key(v, got);
        snprintf(want, sizeof want, "%" PRIu64, v);
        assert_string_equal(got, want);
    }
}

/* The email check as written out byte by byte: 0 and the lower-cased
 * address, or 1 with the offset of a refused character, or 2 for a
 * misplaced '.'. Only called on texts with one '@' in the middle. */
static int model_email(const char *s, size_t n, size_t at, char *out, size_t *bad)
{
    static const char refused[] = "\"(),:;<>[\\]@";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i != at && c < 0x80 && (c <= ' ' || strchr(refused, c))) {
            *bad = i;
            return 1;
        }
    }
    if (s[0] == '.' || s[at - 1] == '.' || s[at + 1] == '.' || s[n - 1] == '.' || strstr(s, ".."))
        return 2;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
    out[n] = '\0';
    return 0;
}

/* cib__arg_email (R-CONV-1: addresses compare in lower case; bad input is
 * refused naming the offset) against the model, with every printable ASCII
 * byte at every offset of a local part and a domain, and dots anywhere. */
static void test_email_every_byte_every_offset_R_CONV_1(void **state)
{
    (void)state;
    cib_ctx *ctx;
    assert_int_equal(cib_ctx_new(NULL, &ctx), CIB_OK);
    const char base[] = "Ab.cD@Ex.aMPle.Test";
    size_t n = sizeof base - 1, at = 5;
    char s[sizeof base], want[sizeof base];
    int checked[3] = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        if (i == at)
            continue;
        for (int c = 0x20; c < 0x7F; c++) {
            if (c == '@')
                continue; /* a second '@' is the model's case 1 too, below */
            memcpy(s, base, sizeof base);
            s[i] = (char)c;
            size_t bad = 0;
            int m = model_email(s, n, at, want, &bad);
            cib__email out;
            int rc = cib__arg_email(ctx, "email", s, n, 0, &out);
            checked[m]++;
            if (m == 0) {
                assert_int_equal(rc, CIB_OK);
                assert_int_equal(out.n, n);
                assert_string_equal(out.s, want);
            } else {
                assert_int_equal(rc, CIB_EINVAL);
                assert_int_equal(out.n, 0);
                char frag[64];
                if (m == 1)
                    snprintf(frag, sizeof frag, "at offset %zu", bad);
                else
                    snprintf(frag, sizeof frag, "misplaced '.'");
                if (!strstr(cib_errmsg(ctx), frag))
                    fail_msg("'%s': want '%s' in: %s", s, frag, cib_errmsg(ctx));
            }
        }
    }
    /* A second '@' anywhere is refused at its own offset. */
    memcpy(s, base, sizeof base);
    s[12] = '@';
    cib__email out;
    assert_int_equal(cib__arg_email(ctx, "email", s, n, 0, &out), CIB_EINVAL);
    assert_non_null(strstr(cib_errmsg(ctx), "at offset 12"));
    /* Every outcome was reached: the dots at either end of each part and
     * beside each of the three dots. */
    assert_true(checked[0] > 1000 && checked[1] > 100 && checked[2] >= 8);
    cib_ctx_free(ctx);
}

/* Checks one address against the model (s NUL-terminated, its one '@' at
 * `at`), counting the outcome. */
static void expect_email(cib_ctx *ctx, const char *s, size_t n, size_t at, int *checked)
{
    char want[80];
    size_t bad = 0;
    int m = model_email(s, n, at, want, &bad);
    cib__email out;
    int rc = cib__arg_email(ctx, "email", s, n, 0, &out);
    checked[m]++;
    if (m == 0) {
        if (rc != CIB_OK)
            fail_msg("'%s': refused: %s", s, cib_errmsg(ctx));
        assert_int_equal(out.n, n);
        assert_memory_equal(out.s, want, n + 1);
        return;
    }
    assert_int_equal(rc, CIB_EINVAL);
    assert_int_equal(out.n, 0);
    assert_int_equal(out.s[0], '\0');
    char frag[64];
    if (m == 1)
        snprintf(frag, sizeof frag, "at offset %zu", bad);
    else
        snprintf(frag, sizeof frag, "misplaced '.'");
    if (!strstr(cib_errmsg(ctx), frag))
        fail_msg("'%s': want '%s' in: %s", s, frag, cib_errmsg(ctx));
}

/* The email check at every length from 3 to 40 bytes (around the 8-byte
 * words it is scanned in), the '@' near either end and in the middle: every
 * printable ASCII byte, a two-byte UTF-8 letter, a NUL, a lone
 * continuation byte and two dots at every offset (R-CONV-1). */
static void test_email_every_length_R_CONV_1(void **state)
{
    (void)state;
    cib_ctx *ctx;
    assert_int_equal(cib_ctx_new(NULL, &ctx), CIB_OK);
    static const char fill[] = "aB3-xZ9q/Kt0";
    int checked[3] = {0, 0, 0};
    char s[48];
    for (size_t n = 3; n <= 40; n++) {
        size_t ats[3] = {1, n / 2, n - 2};
        for (int k = 0; k < 3; k++) {
            size_t at = ats[k];
            char base[48];
            for (size_t i = 0; i < n; i++)
                base[i] = fill[(i * 5 + n) % (sizeof fill - 1)];
            base[at] = '@';
            base[n] = '\0';
            expect_email(ctx, base, n, at, checked);
            for (size_t i = 0; i < n; i++) {
                if (i == at)
                    continue;
                for (int c = 0x20; c < 0x7F; c++) {
                    if (c == '@' && i < at)
                        continue; /* it would be the first '@' */
                    memcpy(s, base, n + 1);
                    s[i] = (char)c;
                    expect_email(ctx, s, n, at, checked);
                }
                if (i + 1 < n && i + 1 != at) {
                    memcpy(s, base, n + 1);
                    s[i] = '.';
                    s[i + 1] = '.';
                    expect_email(ctx, s, n, at, checked);
                    s[i] = (char)0xC3; /* é, taken as it is */
                    s[i + 1] = (char)0xA9;
                    expect_email(ctx, s, n, at, checked);
                }
                const char odd[2] = {0x00, (char)0x80};
                const char *what[2] = {"NUL byte at offset", "not valid UTF-8 at offset"};
                for (int j = 0; j < 2; j++) {
                    memcpy(s, base, n + 1);
                    s[i] = odd[j];
                    cib__email out;
                    assert_int_equal(cib__arg_email(ctx, "email", s, n, 0, &out), CIB_EINVAL);
                    assert_int_equal(out.n, 0);
                    char frag[64];
                    snprintf(frag, sizeof frag, "%s %zu", what[j], i);
                    if (!strstr(cib_errmsg(ctx), frag))
                        fail_msg("want '%s' in: %s", frag, cib_errmsg(ctx));
                }
            }
        }
    }
    assert_true(checked[0] > 10000 && checked[1] > 10000 && checked[2] > 1000);
    cib_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check_text_every_offset),
        cmocka_unit_test(test_check_text_flags_and_bounds),
        cmocka_unit_test(test_id_key_every_length),
        cmocka_unit_test(test_id_key_edges),
        cmocka_unit_test(test_email_every_byte_every_offset_R_CONV_1),
        cmocka_unit_test(test_email_every_length_R_CONV_1),
    };
    return TENV_RUN(tests);
}
