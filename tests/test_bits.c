/* test_bits.c - white-box tests of the hierarchical bitmap (lib/base/bits.c) that
 * holds a routing rule's "eligible now" members, where first available and
 * round robin take the next eligible position (R-ROUTE-7): random set and
 * clear against a model of bools around the word and level boundaries, the
 * summary levels' invariant, the largest size, and allocation failure. */
#include <stdlib.h>
#include <string.h>

#include "bits.h"
#include "support/testenv.h"

#define MAX_BITS ((size_t)64 * 64 * 64 * 64)

/* xorshift64 (Marsaglia): a fixed-seed generator independent of the C library. */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static size_t rng_below(uint64_t *s, size_t n)
{
    return (size_t)(rng_next(s) % n);
}

/* An allocator that counts live blocks and can fail a chosen call. */
typedef struct env {
    failalloc fa;
    cib_allocator a;
    cib__mem m;
} env;

static void env_init(env *e)
{
    memset(e, 0, sizeof *e);
    e->fa.fail_at = -1;
    e->a = failalloc_allocator(&e->fa);
    assert_int_equal(cib__mem_init(&e->m, &e->a), CIB_OK);
}

static void init_ok(env *e, cib__bits *b, size_t n)
{
    long live = e->fa.live;
    assert_int_equal(cib__bits_init(&e->m, b, n), CIB_OK);
    assert_int_equal(e->fa.live, live + 1); /* one block for all levels */
}

static void free_ok(env *e, cib__bits *b)
{
    long live = e->fa.live;
    cib__bits_free(&e->m, b);
    assert_int_equal(e->fa.live, live - 1);
    static const cib__bits zero;
    assert_memory_equal(b, &zero, sizeof zero);
}

/* Levels and words per level: 64 positions per word at level 0, one bit
 * per word of the level below above it, up to a single top word. */
static void check_shape(const cib__bits *b, size_t n)
{
    assert_int_equal(b->n, n);
    size_t words = (n ? n : 1) / 64 + ((n ? n : 1) % 64 != 0);
    int l = 0;
    for (;;) {
        assert_true(l < b->levels);
        assert_int_equal(b->nwords[l], words);
        if (l > 0)
            assert_ptr_equal(b->level[l], b->level[l - 1] + b->nwords[l - 1]);
        if (words == 1)
            break;
        words = words / 64 + (words % 64 != 0);
        l++;
    }
    assert_int_equal(b->levels, l + 1);
    assert_ptr_equal(b->level[0], b->words);
    for (l = b->levels; l < CIB__BITS_LEVELS; l++) {
        assert_null(b->level[l]);
        assert_int_equal(b->nwords[l], 0);
    }
}

/* A bit at level l > 0 is set exactly when its word at level l - 1 is not
 * empty; no bit is set past the positions (or words) it covers. */
static void check_summary(const cib__bits *b)
{
    for (size_t w = 0; w < b->nwords[0]; w++) {
        size_t first = w * 64;
        for (unsigned k = 0; k < 64; k++)
            if (first + k >= b->n && ((b->level[0][w] >> k) & 1))
                fail_msg("level 0: bit %zu set, n is %zu", first + k, b->n);
    }
    for (int l = 1; l < b->levels; l++) {
        for (size_t j = 0; j < b->nwords[l] * 64; j++) {
            int bit = (b->level[l][j / 64] >> (j % 64)) & 1;
            int want = j < b->nwords[l - 1] && b->level[l - 1][j] != 0;
            if (bit != want)
                fail_msg("level %d bit %zu is %d, word %zu below %s", l, j, bit, j,
                         want ? "is not empty" : "is empty or absent");
        }
    }
}

/* cib__bits_test at every position and cib__bits_next from every start,
 * against a scan of the model; positions at and past n are never set. */
static void check_model(const cib__bits *b, const unsigned char *model, size_t n)
{
    check_summary(b);
    size_t next = SIZE_MAX, count = 0;
    for (size_t i = n; i-- > 0;) {
        if (model[i]) {
            next = i;
            count++;
        }
        if (cib__bits_test(b, i) != model[i])
            fail_msg("n %zu: test(%zu) is %d, want %d", n, i, cib__bits_test(b, i), model[i]);
        size_t got = cib__bits_next(b, i);
        if (got != next)
            fail_msg("n %zu: next(%zu) is %zu, want %zu", n, i, got, next);
    }
    static const size_t past[] = {0, 1, 63, 64, 65, 4096};
    for (size_t k = 0; k < sizeof past / sizeof past[0]; k++) {
        assert_false(cib__bits_test(b, n + past[k]));
        assert_int_equal(cib__bits_next(b, n + past[k]), SIZE_MAX);
    }
    assert_false(cib__bits_test(b, SIZE_MAX));
    assert_int_equal(cib__bits_next(b, SIZE_MAX), SIZE_MAX);
    assert_int_equal(cib__bits_next(b, SIZE_MAX - 1), SIZE_MAX);
    /* Walking with next() visits the set positions, in order. */
    size_t seen = 0;
    for (size_t i = cib__bits_next(b, 0); i != SIZE_MAX; i = cib__bits_next(b, i + 1)) {
        assert_true(i < n && model[i]);
        seen++;
    }
    assert_int_equal(seen, count);
}

static void set(cib__bits *b, unsigned char *model, size_t i)
{
    cib__bits_set(b, i);
    model[i] = 1;
}

static void clear(cib__bits *b, unsigned char *model, size_t i)
{
    cib__bits_clear(b, i);
    model[i] = 0;
}

static const size_t sizes[] = {0,   1,    2,    63,   64,     65,     127,    128,
                               129, 4095, 4096, 4097, 262143, 262144, 262145, 300001};

/* Rounds of random operations at densities from sparse (long jumps through
 * the upper levels) to nearly full, with runs that fill and empty whole
 * words; then everything cleared again in random order. */
static void test_random_set_clear_matches_bool_model_R_ROUTE_7(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        size_t n = sizes[s];
        uint64_t rng = UINT64_C(0x9e3779b97f4a7c15) ^ n;
        cib__bits b;
        init_ok(&e, &b, n);
        check_shape(&b, n);
        unsigned char *model = calloc(n ? n : 1, 1);
        assert_non_null(model);
        check_model(&b, model, n);
        if (n == 0) {
            free(model);
            free_ok(&e, &b);
            continue;
        }
        static const unsigned per_mille[] = {2, 30, 500, 950, 0};
        for (size_t r = 0; r < sizeof per_mille / sizeof per_mille[0]; r++) {
            size_t ops = n < 64 ? 200 : n;
            for (size_t k = 0; k < ops; k++) {
                size_t i = rng_below(&rng, n);
                if (rng_below(&rng, 1000) < per_mille[r])
                    set(&b, model, i);
                else
                    clear(&b, model, i);
            }
            /* A run of one kind, across word and level boundaries. */
            size_t from = rng_below(&rng, n), len = 1 + rng_below(&rng, n - from);
            if (len > 5000)
                len = 5000;
            for (size_t i = from; i < from + len; i++) {
                if (r % 2)
                    set(&b, model, i);
                else
                    clear(&b, model, i);
            }
            check_model(&b, model, n);
        }
        /* Fill, then empty in random order. */
        for (size_t i = 0; i < n; i++)
            set(&b, model, i);
        check_model(&b, model, n);
        size_t *order = malloc(n * sizeof *order);
        assert_non_null(order);
        for (size_t i = 0; i < n; i++)
            order[i] = i;
        for (size_t i = n; i > 1; i--) {
            size_t j = rng_below(&rng, i), t = order[i - 1];
            order[i - 1] = order[j];
            order[j] = t;
        }
        for (size_t i = 0; i < n; i++) {
            clear(&b, model, order[i]);
            if (i == n / 2 || i + 2 == n)
                check_model(&b, model, n);
        }
        free(order);
        check_model(&b, model, n);
        for (int l = 0; l < b.levels; l++)
            for (size_t w = 0; w < b.nwords[l]; w++)
                assert_int_equal(b.level[l][w], 0);
        free(model);
        free_ok(&e, &b);
    }
    assert_int_equal(e.fa.live, 0);
}

/* Setting a set bit and clearing a clear one change nothing, also when the
 * word around it is empty or has other bits. */
static void test_repeated_set_and_clear_are_idempotent_R_ROUTE_7(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    cib__bits b;
    size_t n = 262150; /* four levels */
    init_ok(&e, &b, n);
    unsigned char *model = calloc(n, 1);
    assert_non_null(model);
    static const size_t pos[] = {0, 1, 63, 64, 4095, 4096, 262143, 262144};
    for (size_t k = 0; k < sizeof pos / sizeof pos[0]; k++) {
        clear(&b, model, pos[k]); /* clear in an empty word */
        check_model(&b, model, n);
        set(&b, model, pos[k]);
        set(&b, model, pos[k]);
        check_model(&b, model, n);
        size_t other = pos[k] % 64 ? pos[k] - 1 : pos[k] + 1; /* in the same word */
        set(&b, model, other);
        clear(&b, model, pos[k]);
        clear(&b, model, pos[k]); /* clear a clear bit in a non-empty word */
        check_model(&b, model, n);
        clear(&b, model, other);
        check_model(&b, model, n);
    }
    free(model);
    free_ok(&e, &b);
}

/* One bit in a four-level bitmap is found from every start before it, and
 * nothing after it; the bits around each word and level boundary. */
static void test_next_finds_single_bit_through_all_levels_R_ROUTE_7(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    cib__bits b;
    size_t n = 262145;
    init_ok(&e, &b, n);
    assert_int_equal(b.levels, 4);
    static const size_t pos[] = {0,      1,      63,     64,     65,     4095,   4096,  4097,
                                 131071, 131072, 200000, 262079, 262080, 262143, 262144};
    for (size_t k = 0; k < sizeof pos / sizeof pos[0]; k++) {
        size_t p = pos[k];
        cib__bits_set(&b, p);
        check_summary(&b);
        for (size_t i = 0; i < n; i++) {
            size_t got = cib__bits_next(&b, i), want = i <= p ? p : SIZE_MAX;
            if (got != want)
                fail_msg("bit %zu alone: next(%zu) is %zu", p, i, got);
        }
        assert_true(cib__bits_test(&b, p));
        cib__bits_clear(&b, p);
        for (int l = 0; l < b.levels; l++)
            for (size_t w = 0; w < b.nwords[l]; w++)
                assert_int_equal(b.level[l][w], 0);
        assert_int_equal(cib__bits_next(&b, 0), SIZE_MAX);
    }
    free_ok(&e, &b);
}

/* The shape of the levels at each boundary size, up to 64^4 positions. */
static void test_level_shapes_at_boundary_sizes_R_ROUTE_7(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    static const struct {
        size_t n;
        int levels;
    } cases[] = {{0, 1},    {1, 1},      {64, 1},     {65, 2},           {4096, 2},
                 {4097, 3}, {262144, 3}, {262145, 4}, {MAX_BITS - 1, 4}, {MAX_BITS, 4}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cib__bits b;
        init_ok(&e, &b, cases[k].n);
        assert_int_equal(b.levels, cases[k].levels);
        check_shape(&b, cases[k].n);
        free_ok(&e, &b);
    }
    assert_int_equal(e.fa.live, 0);
}

/* The largest bitmap, 64^4 positions: its first and last positions. */
static void test_largest_size_first_and_last_positions_R_ROUTE_7(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    cib__bits b;
    size_t n = MAX_BITS;
    init_ok(&e, &b, n);
    assert_int_equal(b.nwords[0], 262144);
    assert_int_equal(b.nwords[3], 1);
    assert_int_equal(cib__bits_next(&b, 0), SIZE_MAX);
    cib__bits_set(&b, n - 1);
    assert_int_equal(cib__bits_next(&b, 0), n - 1);
    assert_int_equal(cib__bits_next(&b, n - 1), n - 1);
    assert_int_equal(cib__bits_next(&b, n), SIZE_MAX);
    assert_int_equal(b.level[3][0], UINT64_C(1) << 63);
    cib__bits_set(&b, 0);
    assert_int_equal(cib__bits_next(&b, 0), 0);
    assert_int_equal(cib__bits_next(&b, 1), n - 1);
    cib__bits_set(&b, n / 2);
    assert_int_equal(cib__bits_next(&b, 1), n / 2);
    assert_int_equal(cib__bits_next(&b, n / 2 + 1), n - 1);
    cib__bits_clear(&b, n - 1);
    cib__bits_clear(&b, n / 2);
    assert_int_equal(cib__bits_next(&b, 1), SIZE_MAX);
    assert_int_equal(b.level[3][0], 1);
    check_summary(&b);
    free_ok(&e, &b);
}

/* An allocation that fails: CIB_ENOMEM, the struct as it was, nothing
 * allocated; the same for more positions than four levels hold. */
static void test_init_out_of_memory_leaves_bits_untouched_R_ROUTE_7(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    cib__bits b, before;
    memset(&before, 0xa5, sizeof before);
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        memcpy(&b, &before, sizeof b);
        e.fa.fail_at = e.fa.count;
        long failed = e.fa.failed;
        assert_int_equal(cib__bits_init(&e.m, &b, sizes[s]), CIB_ENOMEM);
        assert_int_equal(e.fa.failed, failed + 1);
        assert_memory_equal(&b, &before, sizeof b);
        assert_int_equal(e.fa.live, 0);
    }
    e.fa.fail_at = -1;
    /* An allocator whose every allocation fails. */
    cib_allocator none = nomem_allocator();
    cib__mem m;
    assert_int_equal(cib__mem_init(&m, &none), CIB_OK);
    memcpy(&b, &before, sizeof b);
    assert_int_equal(cib__bits_init(&m, &b, 100), CIB_ENOMEM);
    assert_memory_equal(&b, &before, sizeof b);
    /* Past 64^4 positions: refused without allocating. */
    static const size_t big[] = {MAX_BITS + 1, MAX_BITS * 64, SIZE_MAX / 2, SIZE_MAX - 63};
    for (size_t k = 0; k < sizeof big / sizeof big[0]; k++) {
        long count = e.fa.count;
        memcpy(&b, &before, sizeof b);
        assert_int_equal(cib__bits_init(&e.m, &b, big[k]), CIB_ENOMEM);
        assert_int_equal(e.fa.count, count);
        assert_memory_equal(&b, &before, sizeof b);
    }
    /* And a failure does not stop the next init. */
    init_ok(&e, &b, 4097);
    check_shape(&b, 4097);
    free_ok(&e, &b);
    assert_int_equal(e.fa.live, 0);
}

/* The sizes within 63 of SIZE_MAX are past 64^4 too and must be refused;
 * (n + 63) / 64 wraps around for them. */
static void test_init_refuses_sizes_near_size_max_R_ROUTE_7(void **state)
{
    (void)state;
    env e;
    env_init(&e);
    static const size_t big[] = {SIZE_MAX, SIZE_MAX - 1, SIZE_MAX - 62};
    for (size_t k = 0; k < sizeof big / sizeof big[0]; k++) {
        cib__bits b;
        memset(&b, 0, sizeof b);
        int rc = cib__bits_init(&e.m, &b, big[k]);
        if (rc == CIB_OK) {
            size_t words = b.nwords[0];
            cib__bits_free(&e.m, &b);
            fail_msg("init(SIZE_MAX - %zu) is CIB_OK with %zu words for the positions",
                     SIZE_MAX - big[k], words);
        }
        assert_int_equal(rc, CIB_ENOMEM);
    }
    assert_int_equal(e.fa.live, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_set_clear_matches_bool_model_R_ROUTE_7),
        cmocka_unit_test(test_repeated_set_and_clear_are_idempotent_R_ROUTE_7),
        cmocka_unit_test(test_next_finds_single_bit_through_all_levels_R_ROUTE_7),
        cmocka_unit_test(test_level_shapes_at_boundary_sizes_R_ROUTE_7),
        cmocka_unit_test(test_largest_size_first_and_last_positions_R_ROUTE_7),
        cmocka_unit_test(test_init_out_of_memory_leaves_bits_untouched_R_ROUTE_7),
        cmocka_unit_test(test_init_refuses_sizes_near_size_max_R_ROUTE_7),
    };
    return TENV_RUN(tests);
}
