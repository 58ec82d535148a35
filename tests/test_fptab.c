/* test_fptab.c - white-box tests of the fingerprint tables (lib/base/fptab.c):
 * probing runs and backward-shift deletion (also across the end of the
 * table), growth and its failure, hex form and fingerprints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "fptab.h"
#include "support/testenv.h"

/* splitmix64: a fixed-seed generator independent of the C library. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static cib__fp mkfp(uint64_t lo, uint64_t hi)
{
    cib__fp fp = {lo, hi};
    return fp;
}

/* The seed of the tables under test. */
#define TSEED 0x5eedULL

/* A fingerprint whose home slot in a table of `cap` slots (seed TSEED) is
 * `home`, found by trying; `id` makes it unique. Homes are keyed hashes of
 * the fingerprint, so a table of cap slots and one of 2 * cap agree on the
 * home's low bits. */
static cib__fp homed(size_t cap, size_t home, uint64_t id)
{
    cib__fptab probe;
    cib__fptab_init(&probe, 0, TSEED);
    probe.cap = cap;
    for (uint64_t lo = 1;; lo++) {
        cib__fp fp = mkfp(lo, 0xf00d000000000000ULL ^ id);
        if (cib__fptab_home(&probe, fp) == home)
            return fp;
    }
}

static int fp_eq(cib__fp a, cib__fp b)
{
    return a.lo == b.lo && a.hi == b.hi;
}

/* Values are the addresses of these. */
static char vals[4096];

/* An allocator that counts live blocks and can fail a chosen call. */
typedef struct env {
    failalloc fa;
    cib_allocator a;
    cib__mem m;
} env;

static void env_init(env *e)
{
    e->fa.count = 0;
    e->fa.fail_at = -1;
    e->fa.failed = 0;
    e->fa.live = 0;
    e->a = failalloc_allocator(&e->fa);
    assert_int_equal(cib__mem_init(&e->m, &e->a), CIB_OK);
}

static void env_done(env *e)
{
    assert_int_equal(e->fa.live, 0);
}

static void reserve_ok(env *e, cib__fptab *t, size_t extra)
{
    assert_int_equal(cib__fptab_reserve(&e->m, t, extra), CIB_OK);
    assert_true(t->count + extra <= t->cap / 2);
}

static cib__fp slot_fp_at(const cib__fptab *t, size_t i)
{
    cib__fp fp;
    memcpy(&fp, t->slots + i * t->stride, sizeof fp);
    return fp;
}

static int slot_used(const cib__fptab *t, size_t i)
{
    cib__fp fp = slot_fp_at(t, i);
    return fp.lo || fp.hi;
}

/* The table's own invariants, read from its slots: the count, the load
 * factor, unique fingerprints, and no free slot between any entry's home and
 * the slot it sits in (else a probe would stop short of it). */
static void check_table(const cib__fptab *t)
{
    if (!t->cap) {
        assert_null(t->slots);
        assert_int_equal(t->count, 0);
        return;
    }
    assert_non_null(t->slots);
    assert_int_equal(t->cap & (t->cap - 1), 0);
    assert_true(t->count <= t->cap / 2);
    size_t mask = t->cap - 1, used = 0;
    for (size_t j = 0; j < t->cap; j++) {
        if (!slot_used(t, j))
            continue;
        used++;
        cib__fp fp = slot_fp_at(t, j);
        for (size_t i = cib__fptab_home(t, fp); i != j; i = (i + 1) & mask)
            assert_true(slot_used(t, i));
        if (t->cap <= 1024)
            for (size_t k = j + 1; k < t->cap; k++)
                assert_false(fp_eq(fp, slot_fp_at(t, k)));
    }
    assert_int_equal(used, t->count);
}

/* Each fps[i] with live[i] is found with value &vals[i]; the others are not
 * found. */
static void expect_contents(const cib__fptab *t, const cib__fp *fps, const unsigned char *live,
                            size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        void *v = &vals[sizeof vals - 1];
        if (live[i]) {
            count++;
            assert_int_equal(cib__fptab_find(t, fps[i], &v), 1);
            if (t->stride > sizeof(cib__fp))
                assert_ptr_equal(v, &vals[i]);
            assert_int_equal(cib__fptab_find(t, fps[i], NULL), 1);
        } else {
            assert_int_equal(cib__fptab_find(t, fps[i], &v), 0);
            assert_ptr_equal(v, &vals[sizeof vals - 1]);
        }
    }
    assert_int_equal(t->count, count);
    check_table(t);
}

static void test_insert_find_remove_with_values(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    cib__fptab t;
    cib__fptab_init(&t, 1, TSEED);
    assert_int_equal(t.stride, sizeof(cib__fp) + sizeof(void *));
    void *v = &vals[9];
    assert_int_equal(cib__fptab_find(&t, mkfp(1, 2), &v), 0);
    assert_ptr_equal(v, &vals[9]);
    reserve_ok(&e, &t, 3);
    assert_int_equal(t.cap, 16);
    cib__fp fps[3] = {mkfp(1, 0), mkfp(0, 1), mkfp(UINT64_MAX, UINT64_MAX)};
    unsigned char live[3] = {1, 1, 1};
    for (size_t i = 0; i < 3; i++)
        cib__fptab_insert(&t, fps[i], &vals[i]);
    expect_contents(&t, fps, live, 3);
    /* A NULL value is a value. */
    reserve_ok(&e, &t, 1);
    cib__fptab_insert(&t, mkfp(5, 5), NULL);
    assert_int_equal(cib__fptab_find(&t, mkfp(5, 5), &v), 1);
    assert_null(v);
    cib__fptab_remove(&t, mkfp(5, 5));
    assert_int_equal(cib__fptab_find(&t, mkfp(5, 5), NULL), 0);
    for (size_t i = 0; i < 3; i++) {
        cib__fptab_remove(&t, fps[i]);
        live[i] = 0;
        expect_contents(&t, fps, live, 3);
    }
    assert_int_equal(t.count, 0);
    /* Reinsert after removal. */
    cib__fptab_insert(&t, fps[1], &vals[1]);
    live[1] = 1;
    expect_contents(&t, fps, live, 3);
    cib__fptab_free(&e.m, &t);
    assert_null(t.slots);
    assert_int_equal(t.cap, 0);
    assert_int_equal(t.count, 0);
    env_done(&e);
}

static void test_insert_find_remove_without_values(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    cib__fptab t;
    cib__fptab_init(&t, 0, TSEED);
    assert_int_equal(t.stride, sizeof(cib__fp));
    enum { N = 100 };
    cib__fp fps[N];
    unsigned char live[N];
    uint64_t rng = 42;
    for (size_t i = 0; i < N; i++) {
        fps[i] = mkfp(rng_next(&rng), rng_next(&rng));
        live[i] = 0;
    }
    for (size_t i = 0; i < N; i++) {
        reserve_ok(&e, &t, 1);
        cib__fptab_insert(&t, fps[i], NULL);
        live[i] = 1;
    }
    expect_contents(&t, fps, live, N);
    /* find leaves *value alone when the table holds no values. */
    void *v = &vals[7];
    assert_int_equal(cib__fptab_find(&t, fps[3], &v), 1);
    assert_ptr_equal(v, &vals[7]);
    for (size_t i = 0; i < N; i += 2) {
        cib__fptab_remove(&t, fps[i]);
        live[i] = 0;
    }
    expect_contents(&t, fps, live, N);
    cib__fptab_free(&e.m, &t);
    env_done(&e);
}

/* Build a table of cap 64 and insert fps[0..n) in order with values. */
static void fill64(env *e, cib__fptab *t, const cib__fp *fps, size_t n)
{
    cib__fptab_init(t, 1, TSEED);
    reserve_ok(e, t, 32);
    assert_int_equal(t->cap, 64);
    for (size_t i = 0; i < n; i++)
        cib__fptab_insert(t, fps[i], &vals[i]);
}

/* Remove each entry in turn from a fresh copy of the table, then all of them
 * in several orders, checking every remaining entry each time. */
static void remove_each_and_all(env *e, const cib__fp *fps, size_t n, uint64_t seed)
{
    unsigned char live[64];
    cib__fptab t;
    assert_true(n <= 64);
    for (size_t k = 0; k < n; k++) {
        fill64(e, &t, fps, n);
        memset(live, 1, n);
        expect_contents(&t, fps, live, n);
        cib__fptab_remove(&t, fps[k]);
        live[k] = 0;
        expect_contents(&t, fps, live, n);
        cib__fptab_free(&e->m, &t);
    }
    uint64_t rng = seed;
    for (int round = 0; round < 20; round++) {
        size_t order[64];
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        for (size_t i = n - 1; i > 0; i--) {
            size_t j = (size_t)(rng_next(&rng) % (i + 1)), tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        fill64(e, &t, fps, n);
        memset(live, 1, n);
        for (size_t i = 0; i < n; i++) {
            cib__fptab_remove(&t, fps[order[i]]);
            live[order[i]] = 0;
            expect_contents(&t, fps, live, n);
        }
        cib__fptab_free(&e->m, &t);
    }
}

/* Fingerprints that share a home slot form one long probe run; entries with
 * homes inside the run are pushed along it. Removing from anywhere in the run
 * must shift back exactly the entries that would otherwise be cut off. */
static void test_shared_home_long_run_backward_shift(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    cib__fp fps[24];
    size_t n = 0;
    for (uint64_t k = 0; k < 6; k++)
        fps[n++] = homed(64, 10, k);
    fps[n++] = homed(64, 12, 100); /* lands inside the run of home 10 */
    fps[n++] = homed(64, 17, 101); /* lands at its home, later overrun */
    for (uint64_t k = 6; k < 14; k++)
        fps[n++] = homed(64, 10, k);
    fps[n++] = homed(64, 13, 102);
    fps[n++] = homed(64, 9, 103); /* before the run: stays put */
    fps[n++] = homed(64, 30, 104);
    fps[n++] = homed(64, 31, 105);
    /* An entry whose home lies right after the run's end. */
    fps[n++] = homed(64, 27, 106);
    cib__fptab t;
    fill64(&e, &t, fps, n);
    /* Slots 9..29 are one unbroken run. */
    for (size_t i = 9; i < 9 + n - 2; i++)
        assert_true(slot_used(&t, i));
    assert_false(slot_used(&t, 8));
    cib__fptab_free(&e.m, &t);
    remove_each_and_all(&e, fps, n, 7);
    env_done(&e);
}

/* A run that starts near the end of the table and wraps to slot 0, mixing
 * homes before and after the wrap: entries must move back across the end,
 * and entries at their home just after the wrap must stay. */
static void test_wrapping_run_backward_shift(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    const size_t homes[] = {61, 63, 61, 61, 0, 62, 0, 1, 61, 3, 62, 0, 63, 60};
    enum { N = sizeof homes / sizeof homes[0] };
    cib__fp fps[N];
    for (size_t i = 0; i < N; i++)
        fps[i] = homed(64, homes[i], i);
    cib__fptab t;
    fill64(&e, &t, fps, N);
    assert_true(slot_used(&t, 63));
    assert_true(slot_used(&t, 0));
    assert_true(slot_used(&t, 8));
    cib__fptab_free(&e.m, &t);
    remove_each_and_all(&e, fps, N, 11);

    /* The smallest case where the wrapped test matters: a gap at 62, an
     * entry at its home 0 must stay where it is. */
    cib__fp small[3] = {homed(64, 62, 1), homed(64, 62, 2), homed(64, 0, 3)};
    fill64(&e, &t, small, 3);
    assert_true(fp_eq(slot_fp_at(&t, 0), small[2]));
    cib__fptab_remove(&t, small[0]);
    assert_true(fp_eq(slot_fp_at(&t, 62), small[1]));
    assert_false(slot_used(&t, 63));
    assert_true(fp_eq(slot_fp_at(&t, 0), small[2]));
    unsigned char live[3] = {0, 1, 1};
    expect_contents(&t, small, live, 3);
    cib__fptab_free(&e.m, &t);
    /* And the converse: entries with home 63 after the wrap must move back
     * into slot 63. */
    cib__fp back[3] = {homed(64, 63, 1), homed(64, 63, 2), homed(64, 63, 3)};
    fill64(&e, &t, back, 3);
    cib__fptab_remove(&t, back[0]);
    assert_true(fp_eq(slot_fp_at(&t, 63), back[1]));
    assert_true(fp_eq(slot_fp_at(&t, 0), back[2]));
    assert_false(slot_used(&t, 1));
    unsigned char live2[3] = {0, 1, 1};
    expect_contents(&t, back, live2, 3);
    cib__fptab_free(&e.m, &t);
    env_done(&e);
}

/* Random inserts and removes of fingerprints crowded onto a few homes,
 * against a model, through several growths. */
static void test_random_clustered_operations_match_model(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    enum { N = 600 };
    cib__fp *fps = calloc(N, sizeof *fps);
    unsigned char *live = calloc(N, 1);
    assert_non_null(fps);
    assert_non_null(live);
    uint64_t rng = 0xc0ffee;
    for (size_t i = 0; i < N; i++) {
        /* Homes from 8 values at every capacity up to 4096 (they collide),
         * unique by i. */
        fps[i] = homed(4096, (rng_next(&rng) % 8) * 3, i);
    }
    cib__fptab t;
    cib__fptab_init(&t, 1, TSEED);
    size_t count = 0;
    for (int step = 0; step < 6000; step++) {
        size_t i = (size_t)(rng_next(&rng) % N);
        int grow = step < 3000 ? 75 : 35;
        if ((int)(rng_next(&rng) % 100) < grow) {
            if (live[i])
                continue;
            size_t cap = t.cap;
            reserve_ok(&e, &t, 1);
            assert_true(t.cap == cap || t.cap == (cap ? cap * 2 : 16));
            cib__fptab_insert(&t, fps[i], &vals[i]);
            live[i] = 1;
            count++;
        } else {
            cib__fptab_remove(&t, fps[i]);
            if (live[i])
                count--;
            live[i] = 0;
        }
        assert_int_equal(t.count, count);
        if (step % 50 == 0)
            expect_contents(&t, fps, live, N);
    }
    expect_contents(&t, fps, live, N);
    assert_true(t.cap >= 512);
    cib__fptab_free(&e.m, &t);
    free(fps);
    free(live);
    env_done(&e);
}

static void test_reserve_doubles_capacity_and_keeps_contents(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    cib__fptab t;
    cib__fptab_init(&t, 1, TSEED);
    /* Nothing to make room for: no allocation. */
    assert_int_equal(cib__fptab_reserve(&e.m, &t, 0), CIB_OK);
    assert_int_equal(t.cap, 0);
    assert_null(t.slots);
    assert_int_equal(e.fa.count, 0);

    enum { N = 300 };
    cib__fp fps[N];
    unsigned char live[N];
    for (size_t i = 0; i < N; i++) {
        /* Half crowd onto home 5 of every capacity up to 1024. */
        fps[i] = i % 2 ? homed(1024, 5, i) : mkfp(0x1234567ULL * (i + 1), i);
        live[i] = 0;
    }
    size_t cap = 0;
    long allocs = 0;
    for (size_t i = 0; i < N; i++) {
        unsigned char *before = t.slots;
        reserve_ok(&e, &t, 1);
        if (t.cap != cap) {
            assert_int_equal(t.cap, cap ? cap * 2 : 16);
            /* It grew only when needed: the old table was half full. */
            assert_int_equal(t.count, cap / 2);
            allocs++;
            expect_contents(&t, fps, live, N);
        } else {
            assert_ptr_equal(t.slots, before);
        }
        cap = t.cap;
        assert_int_equal(e.fa.count, allocs);
        assert_int_equal(e.fa.live, 1);
        cib__fptab_insert(&t, fps[i], &vals[i]);
        live[i] = 1;
        assert_true(t.count <= t.cap / 2);
    }
    assert_int_equal(t.cap, 1024);
    expect_contents(&t, fps, live, N);
    /* One reserve can double several times, to the smallest capacity that
     * keeps the load at most 1/2. */
    reserve_ok(&e, &t, 2000 - N);
    assert_int_equal(t.cap, 4096);
    assert_int_equal(t.count, N);
    expect_contents(&t, fps, live, N);
    reserve_ok(&e, &t, 2048 - N);
    assert_int_equal(t.cap, 4096);
    reserve_ok(&e, &t, 2049 - N);
    assert_int_equal(t.cap, 8192);
    expect_contents(&t, fps, live, N);
    assert_int_equal(e.fa.live, 1);
    cib__fptab_free(&e.m, &t);
    env_done(&e);
}

static void test_reserve_failure_leaves_table_unchanged(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    cib__fptab t;
    /* From empty. */
    cib__fptab_init(&t, 1, TSEED);
    e.fa.fail_at = e.fa.count;
    assert_int_equal(cib__fptab_reserve(&e.m, &t, 1), CIB_ENOMEM);
    assert_int_equal(e.fa.failed, 1);
    assert_null(t.slots);
    assert_int_equal(t.cap, 0);
    assert_int_equal(t.count, 0);
    assert_int_equal(cib__fptab_find(&t, mkfp(1, 1), NULL), 0);
    e.fa.fail_at = -1;

    /* From a full table (count == cap / 2), with crowded homes. */
    enum { N = 32 };
    cib__fp fps[N];
    unsigned char live[N];
    for (size_t i = 0; i < N; i++) {
        fps[i] = i % 3 ? homed(64, 60, i) : mkfp(0xabcdefULL * (i + 1), ~(uint64_t)i);
        live[i] = 1;
    }
    fill64(&e, &t, fps, N);
    expect_contents(&t, fps, live, N);
    unsigned char *copy = malloc(t.cap * t.stride);
    assert_non_null(copy);
    memcpy(copy, t.slots, t.cap * t.stride);
    cib__fptab saved = t;
    for (size_t extra = 1; extra <= 200; extra += 67) {
        long before = e.fa.count;
        e.fa.fail_at = e.fa.count;
        assert_int_equal(cib__fptab_reserve(&e.m, &t, extra), CIB_ENOMEM);
        assert_int_equal(e.fa.count, before + 1);
        assert_ptr_equal(t.slots, saved.slots);
        assert_int_equal(t.cap, saved.cap);
        assert_int_equal(t.count, saved.count);
        assert_int_equal(t.stride, saved.stride);
        assert_memory_equal(t.slots, copy, t.cap * t.stride);
        expect_contents(&t, fps, live, N);
        assert_int_equal(e.fa.live, 1);
    }
    assert_int_equal(e.fa.failed, 4);
    e.fa.fail_at = -1;
    /* A size that cannot be allocated fails before allocating. */
    long before = e.fa.count;
    assert_int_equal(cib__fptab_reserve(&e.m, &t, SIZE_MAX / 8), CIB_ENOMEM);
    assert_int_equal(e.fa.count, before);
    assert_ptr_equal(t.slots, saved.slots);
    assert_int_equal(t.cap, saved.cap);
    assert_memory_equal(t.slots, copy, t.cap * t.stride);
    /* Once memory is back, the same reserve works. */
    reserve_ok(&e, &t, 1);
    assert_int_equal(t.cap, 128);
    expect_contents(&t, fps, live, N);
    free(copy);
    cib__fptab_free(&e.m, &t);
    env_done(&e);
}

/* cib__fp_hex against snprintf: every nibble value at every one of the 32
 * positions, and random fingerprints; exactly 32 digits and the NUL. */
static void test_fp_hex_every_nibble(void **state)
{
    (void)state;
    char want[40], got[40];
    uint64_t rng = 11;
    for (int i = 0; i < 32 * 16 + 1000; i++) {
        cib__fp fp;
        if (i < 32 * 16) {
            uint64_t nib = (uint64_t)(i % 16) << (i / 16 % 16 * 4);
            fp = i / 16 < 16 ? mkfp(nib, 0) : mkfp(0, nib);
        } else {
            fp = mkfp(rng_next(&rng), rng_next(&rng));
        }
        memset(got, 'x', sizeof got);
        cib__fp_hex(fp, got);
        snprintf(want, sizeof want, "%016llx%016llx", (unsigned long long)fp.hi,
                 (unsigned long long)fp.lo);
        assert_string_equal(got, want);
        assert_int_equal(got[33], 'x');
    }
}

static void test_fp_hex_parse_round_trip(void **state)
{
    (void)state;
    char buf[40];
    memset(buf, 'x', sizeof buf);
    cib__fp fp = mkfp(0x0123456789abcdefULL, 0xfedcba9876543210ULL);
    cib__fp_hex(fp, buf);
    assert_string_equal(buf, "fedcba98765432100123456789abcdef");
    assert_int_equal(buf[32], '\0');
    assert_int_equal(buf[33], 'x');
    cib__fp back = {0, 0};
    assert_int_equal(cib__fp_parse(buf, 32, &back), 0);
    assert_true(fp_eq(back, fp));
    /* Only n bytes are read. */
    buf[32] = '9';
    assert_int_equal(cib__fp_parse(buf, 32, &back), 0);
    assert_true(fp_eq(back, fp));

    cib__fp_hex(mkfp(1, 0), buf);
    assert_string_equal(buf, "00000000000000000000000000000001");
    cib__fp_hex(mkfp(0, 1), buf);
    assert_string_equal(buf, "00000000000000010000000000000000");
    cib__fp_hex(mkfp(UINT64_MAX, UINT64_MAX), buf);
    assert_string_equal(buf, "ffffffffffffffffffffffffffffffff");

    uint64_t rng = 3;
    cib__fp edge[] = {mkfp(1, 0), mkfp(0, 1), mkfp(UINT64_MAX, 0), mkfp(0, UINT64_MAX),
                      mkfp(UINT64_MAX, UINT64_MAX)};
    for (int i = 0; i < 200; i++) {
        fp = i < 5 ? edge[i] : mkfp(rng_next(&rng), rng_next(&rng));
        cib__fp_hex(fp, buf);
        assert_int_equal(strlen(buf), 32);
        assert_int_equal(strspn(buf, "0123456789abcdef"), 32);
        back = mkfp(0, 0);
        assert_int_equal(cib__fp_parse(buf, strlen(buf), &back), 0);
        assert_true(fp_eq(back, fp));
    }
}

static void test_fp_parse_rejects_malformed(void **state)
{
    (void)state;
    const char *good = "0123456789abcdef0123456789abcdef";
    cib__fp out;
    assert_int_equal(cib__fp_parse(good, 32, &out), 0);
    /* Wrong length. */
    const char *longer = "0123456789abcdef0123456789abcdef0";
    assert_int_equal(cib__fp_parse(good, 0, &out), -1);
    assert_int_equal(cib__fp_parse(good, 31, &out), -1);
    assert_int_equal(cib__fp_parse(longer, 33, &out), -1);
    assert_int_equal(cib__fp_parse(longer, 64, &out), -1);
    /* Upper case, and characters next to the digit and letter ranges, at
     * the first, a middle and the last position. */
    const char bad[] = {'A', 'F', 'G', 'g', '/', ':', '`', '@', ' ', '-', 'x', '\0', '\n'};
    const size_t pos[] = {0, 15, 16, 31};
    char buf[33];
    for (size_t b = 0; b < sizeof bad; b++) {
        for (size_t p = 0; p < sizeof pos / sizeof pos[0]; p++) {
            memcpy(buf, good, 33);
            buf[pos[p]] = bad[b];
            assert_int_equal(cib__fp_parse(buf, 32, &out), -1);
        }
    }
    assert_int_equal(cib__fp_parse("0123456789ABCDEF0123456789abcdef", 32, &out), -1);
    /* Every byte value at every position (the digits are decoded 8 at a
     * time): accepted exactly when it is 0-9 or a-f, with its value. */
    for (size_t p = 0; p < 32; p++)
        for (int c = 0; c < 256; c++) {
            memcpy(buf, good, 33);
            buf[p] = (char)c;
            int digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            assert_int_equal(cib__fp_parse(buf, 32, &out), digit ? 0 : -1);
            if (!digit)
                continue;
            uint64_t want = (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
            uint64_t word = p < 16 ? out.hi : out.lo;
            assert_true(((word >> (4 * (15 - p % 16))) & 15) == want);
        }
    /* The all-zero fingerprint marks a free slot: never valid. */
    assert_int_equal(cib__fp_parse("00000000000000000000000000000000", 32, &out), -1);
    assert_int_equal(cib__fp_parse("00000000000000000000000000000001", 32, &out), 0);
    assert_true(fp_eq(out, mkfp(1, 0)));
    assert_int_equal(cib__fp_parse("10000000000000000000000000000000", 32, &out), 0);
    assert_true(fp_eq(out, mkfp(0, 1ULL << 60)));
}

static cib__fp fp_of(uint64_t seed, const char *a, const char *b, size_t n)
{
    const char *parts[2] = {a, b};
    size_t lens[2] = {a ? strlen(a) : 0, b ? strlen(b) : 0};
    return cib__fingerprint(seed, parts, lens, n);
}

static void test_fingerprint_deterministic_seeded_length_aware(void **state)
{
    (void)state;
    cib__fp x = fp_of(77, "ab", "c", 2);
    assert_true(x.lo || x.hi);
    /* Same seed and parts: same fingerprint, including from other buffers. */
    char a[] = "ab", c[] = "c";
    assert_true(fp_eq(fp_of(77, a, c, 2), x));
    /* Another seed: another fingerprint. */
    assert_false(fp_eq(fp_of(78, "ab", "c", 2), x));
    assert_false(fp_eq(fp_of(0, "ab", "c", 2), x));
    /* Part boundaries matter: the lengths are hashed. */
    assert_false(fp_eq(fp_of(77, "a", "bc", 2), x));
    assert_false(fp_eq(fp_of(77, "abc", NULL, 1), x));
    assert_false(fp_eq(fp_of(77, "", "abc", 2), fp_of(77, "abc", "", 2)));
    assert_false(fp_eq(fp_of(77, "", "", 2), fp_of(77, "", NULL, 1)));
    assert_false(fp_eq(fp_of(77, "", NULL, 1), fp_of(77, NULL, NULL, 0)));
    /* Order matters. */
    assert_false(fp_eq(fp_of(77, "c", "ab", 2), x));
    /* No parts at all is still a fingerprint, and deterministic. */
    cib__fp none = fp_of(5, NULL, NULL, 0);
    assert_true(none.lo || none.hi);
    assert_true(fp_eq(fp_of(5, NULL, NULL, 0), none));
    /* Only the first lens[i] bytes of a part count. */
    const char *parts[1] = {"abcdef"};
    size_t lens[1] = {2};
    assert_true(fp_eq(cib__fingerprint(77, parts, lens, 1), fp_of(77, "ab", NULL, 1)));
}

/* The bytes hashed, whatever the lengths of the parts (0 to 40 bytes, one
 * to three parts): each part's 8-byte length, then its bytes, as a
 * reference join with memcpy gives them; only lens[i] bytes are read. */
static void test_fingerprint_bytes_every_length(void **state)
{
    (void)state;
    char src[3][48];
    for (int k = 0; k < 3; k++)
        for (int i = 0; i < 48; i++)
            src[k][i] = (char)(0x21 + (i * 7 + k * 13) % 90);
    for (size_t n = 1; n <= 3; n++)
        for (size_t len = 0; len <= 40; len++) {
            size_t lens[3] = {len, n > 1 ? 40 - len : 0, n > 2 ? len / 2 : 0};
            const char *parts[3];
            char *copies[3];
            unsigned char ref[3 * (8 + 48)];
            size_t at = 0;
            for (size_t i = 0; i < n; i++) {
                copies[i] = malloc(lens[i] ? lens[i] : 1); /* exactly the bytes to read */
                assert_non_null(copies[i]);
                memcpy(copies[i], src[i], lens[i]);
                parts[i] = copies[i];
                uint64_t l = lens[i];
                memcpy(ref + at, &l, 8);
                memcpy(ref + at + 8, src[i], lens[i]);
                at += 8 + lens[i];
            }
            XXH128_hash_t h = XXH3_128bits_withSeed(ref, at, 99);
            cib__fp fp = cib__fingerprint(99, parts, lens, n);
            assert_true(fp.lo == h.low64 && fp.hi == h.high64);
            for (size_t i = 0; i < n; i++)
                free(copies[i]);
        }
}

/* The same properties for long keys (hundreds of bytes). */
static void test_fingerprint_long_parts_deterministic_seeded_length_aware(void **state)
{
    (void)state;
    enum { L = 700 };
    char *s = malloc(L + 2), *t = malloc(L + 2);
    assert_non_null(s);
    assert_non_null(t);
    for (size_t i = 0; i < L + 1; i++)
        s[i] = t[i] = (char)('a' + i % 26);
    s[L + 1] = t[L + 1] = '\0';
    for (size_t cut = 1; cut < L; cut += 97) {
        const char *p[2] = {s, s + cut};
        size_t l1[2] = {cut, L - cut}, l2[2] = {cut + 1, L - cut - 1};
        cib__fp x = cib__fingerprint(1234, p, l1, 2);
        assert_true(fp_eq(cib__fingerprint(1234, p, l1, 2), x));
        /* The same bytes from another buffer. */
        const char *q[2] = {t, t + cut};
        assert_true(fp_eq(cib__fingerprint(1234, q, l1, 2), x));
        assert_false(fp_eq(cib__fingerprint(1235, p, l1, 2), x));
        /* The same joined bytes, split one byte later. */
        const char *p2[2] = {s, s + cut + 1};
        assert_false(fp_eq(cib__fingerprint(1234, p2, l2, 2), x));
        /* One byte changed at the end. */
        t[L - 1] ^= 1;
        assert_false(fp_eq(cib__fingerprint(1234, q, l1, 2), x));
        t[L - 1] ^= 1;
    }
    free(s);
    free(t);
}

/* The reference: XXH3-128 of each part's length (a native uint64) followed
 * by the part, joined, under the seed; {0, 0} becomes {1, 0}. */
static cib__fp ref_fingerprint(uint64_t seed, const char *const *parts, const size_t *lens,
                               size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += sizeof(uint64_t) + lens[i];
    unsigned char *buf = malloc(total ? total : 1);
    assert_non_null(buf);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t len = lens[i];
        memcpy(buf + at, &len, sizeof len);
        if (lens[i])
            memcpy(buf + at + sizeof len, parts[i], lens[i]);
        at += sizeof len + lens[i];
    }
    XXH128_hash_t h = XXH3_128bits_withSeed(buf, total, seed);
    free(buf);
    cib__fp fp = {h.low64, h.high64};
    if (!fp.lo && !fp.hi)
        fp.lo = 1;
    return fp;
}

/* Fingerprints are stored, so their definition is pinned: checked for
 * joined lengths below, at and above every size a fast path might use. */
static void test_fingerprint_matches_reference_at_all_sizes(void **state)
{
    (void)state;
    enum { MAX = 1100 };
    char *s = malloc(MAX);
    assert_non_null(s);
    uint64_t rng = 99;
    for (size_t i = 0; i < MAX; i++)
        s[i] = (char)rng_next(&rng);
    for (size_t total = 0; total < MAX; total += total < 600 ? 1 : 37) {
        for (size_t n = 1; n <= 3; n++) {
            const char *parts[3] = {s, s + 1, s + 2};
            size_t lens[3] = {0, 0, 0};
            size_t left = total;
            for (size_t i = 0; i < n; i++) {
                lens[i] = i + 1 < n ? left / 2 : left;
                left -= lens[i];
            }
            for (int k = 0; k < 2; k++) {
                uint64_t seed = k ? rng_next(&rng) : 0x5ec2e7;
                cib__fp want = ref_fingerprint(seed, parts, lens, n);
                assert_true(fp_eq(cib__fingerprint(seed, parts, lens, n), want));
            }
        }
    }
    free(s);
    /* No parts. */
    assert_true(fp_eq(cib__fingerprint(8, NULL, NULL, 0), ref_fingerprint(8, NULL, NULL, 0)));
}

static void test_set_replaces_value_only_when_present(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    cib__fptab t;
    cib__fp fps[6];
    unsigned char live[6] = {1, 1, 1, 1, 1, 1};
    for (size_t i = 0; i < 6; i++)
        fps[i] = homed(64, 20, i);
    fill64(&e, &t, fps, 6);
    cib__fptab_set(&t, fps[3], &vals[100]);
    void *v = NULL;
    assert_int_equal(cib__fptab_find(&t, fps[3], &v), 1);
    assert_ptr_equal(v, &vals[100]);
    cib__fptab_set(&t, fps[3], NULL);
    assert_int_equal(cib__fptab_find(&t, fps[3], &v), 1);
    assert_null(v);
    cib__fptab_set(&t, fps[3], &vals[3]);
    expect_contents(&t, fps, live, 6);
    /* An absent fingerprint (homed in the same run) is not inserted. */
    cib__fp absent = homed(64, 20, 50);
    cib__fptab_set(&t, absent, &vals[1]);
    assert_int_equal(cib__fptab_find(&t, absent, NULL), 0);
    assert_int_equal(t.count, 6);
    expect_contents(&t, fps, live, 6);
    cib__fptab_free(&e.m, &t);
    /* On a table with no slots, set does nothing. */
    cib__fptab_init(&t, 1, TSEED);
    cib__fptab_set(&t, absent, &vals[1]);
    assert_int_equal(t.count, 0);
    assert_null(t.slots);
    env_done(&e);
}

static void test_remove_absent_is_noop(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    cib__fptab t;
    /* On a table with no slots. */
    cib__fptab_init(&t, 1, TSEED);
    cib__fptab_remove(&t, mkfp(1, 1));
    assert_null(t.slots);
    assert_int_equal(t.count, 0);
    /* Absent fingerprints whose home is in a run, at its end, and free. */
    cib__fp fps[8];
    unsigned char live[8];
    for (size_t i = 0; i < 8; i++) {
        fps[i] = homed(64, i < 5 ? 62 : 1, i);
        live[i] = 1;
    }
    fill64(&e, &t, fps, 8);
    unsigned char *copy = malloc(t.cap * t.stride);
    assert_non_null(copy);
    memcpy(copy, t.slots, t.cap * t.stride);
    const cib__fp absent[] = {homed(64, 62, 90), homed(64, 63, 91), homed(64, 1, 92),
                              homed(64, 5, 93),  homed(64, 30, 94), mkfp(fps[2].lo, 0)};
    for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++) {
        cib__fptab_remove(&t, absent[i]);
        assert_int_equal(t.count, 8);
        assert_memory_equal(t.slots, copy, t.cap * t.stride);
    }
    expect_contents(&t, fps, live, 8);
    /* Removing twice: the second is a no-op. */
    cib__fptab_remove(&t, fps[2]);
    live[2] = 0;
    memcpy(copy, t.slots, t.cap * t.stride);
    cib__fptab_remove(&t, fps[2]);
    assert_memory_equal(t.slots, copy, t.cap * t.stride);
    expect_contents(&t, fps, live, 8);
    free(copy);
    cib__fptab_free(&e.m, &t);
    env_done(&e);
}

static void test_free_empty_and_reuse(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    cib__fptab t;
    /* Never allocated. */
    cib__fptab_init(&t, 0, TSEED);
    cib__fptab_free(&e.m, &t);
    assert_null(t.slots);
    assert_int_equal(t.cap, 0);
    assert_int_equal(t.count, 0);
    cib__fptab_free(&e.m, &t); /* twice */
    assert_int_equal(e.fa.count, 0);
    /* Allocated but emptied. */
    cib__fptab_init(&t, 1, TSEED);
    reserve_ok(&e, &t, 1);
    cib__fptab_insert(&t, mkfp(3, 4), &vals[0]);
    cib__fptab_remove(&t, mkfp(3, 4));
    assert_int_equal(e.fa.live, 1);
    cib__fptab_free(&e.m, &t);
    assert_int_equal(e.fa.live, 0);
    assert_int_equal(cib__fptab_find(&t, mkfp(3, 4), NULL), 0);
    /* A freed table can be used again. */
    reserve_ok(&e, &t, 1);
    cib__fptab_insert(&t, mkfp(3, 4), &vals[1]);
    void *v = NULL;
    assert_int_equal(cib__fptab_find(&t, mkfp(3, 4), &v), 1);
    assert_ptr_equal(v, &vals[1]);
    cib__fptab_free(&e.m, &t);
    env_done(&e);
    /* The C library's allocator too. */
    cib__mem m;
    assert_int_equal(cib__mem_init(&m, NULL), CIB_OK);
    cib__fptab_init(&t, 1, TSEED);
    cib__fptab_free(&m, &t);
    assert_int_equal(cib__fptab_reserve(&m, &t, 10), CIB_OK);
    cib__fptab_insert(&t, mkfp(9, 9), &vals[2]);
    assert_int_equal(cib__fptab_find(&t, mkfp(9, 9), &v), 1);
    assert_ptr_equal(v, &vals[2]);
    cib__fptab_free(&m, &t);
}

/* ---- filters over fingerprints ---- */

/* The filter's invariants: count, load at most 3/4, no free slot between a
 * value's home (its top bits) and its slot. */
static void check_filter(const cib__fpfilter *f)
{
    if (!f->cap) {
        assert_null(f->slots);
        assert_int_equal(f->count, 0);
        return;
    }
    assert_int_equal(f->cap, (size_t)1 << f->bits);
    assert_true(f->count <= f->cap / 4 * 3);
    size_t used = 0, mask = f->cap - 1;
    for (size_t j = 0; j < f->cap; j++) {
        uint32_t v = f->slots[j];
        if (!v)
            continue;
        used++;
        for (size_t i = v >> (32 - f->bits); i != j; i = (i + 1) & mask)
            assert_true(f->slots[i] != 0);
    }
    assert_int_equal(used, f->count);
}

/* Values from few top-bit groups (long runs), some near the top of the
 * range (runs that wrap past the end), repeated values (counted), added and
 * removed at random against a model of counts; growth from 64 slots on. */
static void test_filter_multiset_matches_model(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    enum { N = 3000 };
    uint32_t *vals32 = calloc(N, sizeof *vals32);
    unsigned *copies = calloc(N, sizeof *copies);
    assert_non_null(vals32);
    assert_non_null(copies);
    uint64_t rng = 0xf117e5;
    for (size_t i = 0; i < N; i++) {
        uint32_t top = (uint32_t)(rng_next(&rng) % 6);
        uint32_t v = (top == 5 ? 0xffff0000u : top << 29) | (uint32_t)(rng_next(&rng) & 0xffff);
        vals32[i] = v ? v : 1;
        if (i % 7 == 3)
            vals32[i] = vals32[i - 1]; /* an equal value from another key */
    }
    cib__fpfilter f;
    cib__fpfilter_init(&f, TSEED);
    size_t count = 0;
    for (int step = 0; step < 20000; step++) {
        size_t i = (size_t)(rng_next(&rng) % N);
        if ((int)(rng_next(&rng) % 100) < (step < 10000 ? 70 : 30)) {
            assert_int_equal(cib__fpfilter_reserve(&e.m, &f, 1), CIB_OK);
            cib__fpfilter_add(&f, vals32[i]);
            copies[i]++;
            count++;
        } else {
            int had = cib__fpfilter_has(&f, vals32[i]);
            size_t before = f.count;
            cib__fpfilter_remove(&f, vals32[i]);
            assert_int_equal(f.count, before - (size_t)had);
            if (had) {
                /* one copy of this value went: take it from any key with it */
                for (size_t k = 0; k < N; k++)
                    if (vals32[k] == vals32[i] && copies[k]) {
                        copies[k]--;
                        break;
                    }
                count--;
            }
        }
        assert_int_equal(f.count, count);
        if (step % 2000 == 0) {
            check_filter(&f);
            for (size_t k = 0; k < N; k++) {
                int want = 0;
                for (size_t m = 0; m < N && !want; m++)
                    want = vals32[m] == vals32[k] && copies[m];
                assert_int_equal(cib__fpfilter_has(&f, vals32[k]), want);
            }
        }
    }
    check_filter(&f);
    assert_true(f.cap >= 2048);
    cib__fpfilter_prefetch(&f, vals32[0]);
    cib__fpfilter_free(&e.m, &f);
    assert_int_equal(cib__fpfilter_has(&f, vals32[0]), 0);
    cib__fpfilter_remove(&f, vals32[0]); /* empty: a no-op */
    cib__fpfilter_prefetch(&f, vals32[0]);
    free(vals32);
    free(copies);
    env_done(&e);
}

/* Growth fails cleanly (out of memory, or beyond 2^31 slots) and leaves the
 * filter as it was; values are keyed, never 0, and differ between seeds. */
static void test_filter_reserve_failure_and_values(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    cib__fpfilter f;
    cib__fpfilter_init(&f, TSEED);
    e.fa.fail_at = e.fa.count;
    assert_int_equal(cib__fpfilter_reserve(&e.m, &f, 1), CIB_ENOMEM);
    assert_null(f.slots);
    e.fa.fail_at = -1;
    for (uint32_t v = 1; v <= 48; v++) {
        assert_int_equal(cib__fpfilter_reserve(&e.m, &f, 1), CIB_OK);
        cib__fpfilter_add(&f, v * 0x05000000u);
    }
    assert_int_equal(f.cap, 64);
    uint32_t *saved = f.slots;
    e.fa.fail_at = e.fa.count;
    assert_int_equal(cib__fpfilter_reserve(&e.m, &f, 1), CIB_ENOMEM);
    e.fa.fail_at = -1;
    assert_ptr_equal(f.slots, saved);
    assert_int_equal(f.count, 48);
    long before = e.fa.count;
    assert_int_equal(cib__fpfilter_reserve(&e.m, &f, SIZE_MAX), CIB_ENOMEM);
    assert_int_equal(cib__fpfilter_reserve(&e.m, &f, (size_t)1 << 31), CIB_ENOMEM);
    assert_int_equal(e.fa.count, before);
    for (uint32_t v = 1; v <= 48; v++)
        assert_true(cib__fpfilter_has(&f, v * 0x05000000u));
    check_filter(&f);
    cib__fpfilter_free(&e.m, &f);
    cib__fpfilter g;
    cib__fpfilter_init(&f, 1);
    cib__fpfilter_init(&g, 2);
    size_t differ = 0;
    for (uint64_t i = 1; i <= 100; i++) {
        uint32_t a = cib__fpfilter_value(&f, mkfp(i, 0)), b = cib__fpfilter_value(&g, mkfp(i, 0));
        assert_true(a != 0 && b != 0);
        differ += a != b;
    }
    assert_true(differ >= 99);
    env_done(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_insert_find_remove_with_values),
        cmocka_unit_test(test_insert_find_remove_without_values),
        cmocka_unit_test(test_shared_home_long_run_backward_shift),
        cmocka_unit_test(test_wrapping_run_backward_shift),
        cmocka_unit_test(test_random_clustered_operations_match_model),
        cmocka_unit_test(test_reserve_doubles_capacity_and_keeps_contents),
        cmocka_unit_test(test_reserve_failure_leaves_table_unchanged),
        cmocka_unit_test(test_fp_hex_parse_round_trip),
        cmocka_unit_test(test_fp_hex_every_nibble),
        cmocka_unit_test(test_fp_parse_rejects_malformed),
        cmocka_unit_test(test_fingerprint_deterministic_seeded_length_aware),
        cmocka_unit_test(test_fingerprint_bytes_every_length),
        cmocka_unit_test(test_fingerprint_long_parts_deterministic_seeded_length_aware),
        cmocka_unit_test(test_fingerprint_matches_reference_at_all_sizes),
        cmocka_unit_test(test_set_replaces_value_only_when_present),
        cmocka_unit_test(test_remove_absent_is_noop),
        cmocka_unit_test(test_free_empty_and_reuse),
        cmocka_unit_test(test_filter_multiset_matches_model),
        cmocka_unit_test(test_filter_reserve_failure_and_values),
    };
    return TENV_RUN(tests);
}
