/* test_pipeline.c - ticket pipelines and their ordered stages (R-TICKET-2):
 * add, remove, reading stages through cib_list_*, bad input, sweeps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

/* ---- helpers ---- */

static int pipeline_add(tenv *e, const char *id, const char *const *stages, size_t n)
{
    cib_pipeline_def d = CIB_PIPELINE_DEF_INIT;
    d.id = id;
    d.stages = stages;
    d.n_stages = n;
    return cib_pipeline_add(e->ctx, &d);
}

static void add_pipeline(tenv *e, const char *id, const char *const *stages, size_t n)
{
    expect_status(e, pipeline_add(e, id, stages, n), CIB_OK, NULL);
    assert_string_equal(cib_errmsg(e->ctx), "");
}

/* The pipeline's stages are exactly `want`, in this order. */
static void expect_stages(tenv *e, const char *id, const char *const *want, size_t n)
{
    size_t count = 12345;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_PIPELINE_STAGES, id, CIB_NTS, &count), CIB_OK,
                  NULL);
    assert_int_equal(count, n);
    for (size_t i = 0; i < n; i++) {
        const char *stage = NULL;
        expect_status(e, cib_list_item(e->ctx, CIB_LIST_PIPELINE_STAGES, id, CIB_NTS, i, &stage),
                      CIB_OK, NULL);
        assert_non_null(stage);
        assert_string_equal(stage, want[i]);
    }
    const char *past = "sentinel";
    expect_status(e, cib_list_item(e->ctx, CIB_LIST_PIPELINE_STAGES, id, CIB_NTS, n, &past),
                  CIB_ENOTFOUND, "past the end");
    assert_null(past);
}

static void expect_no_pipeline(tenv *e, const char *id)
{
    size_t count = 12345;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_PIPELINE_STAGES, id, CIB_NTS, &count),
                  CIB_ENOTFOUND, id);
    const char *stage = "sentinel";
    expect_status(e, cib_list_item(e->ctx, CIB_LIST_PIPELINE_STAGES, id, CIB_NTS, 0, &stage),
                  CIB_ENOTFOUND, id);
    assert_null(stage);
}

static int has(const char *haystack, const char *needle)
{
    return strstr(haystack, needle) != NULL;
}

/* ---- stages ---- */

/* R-TICKET-2: a pipeline is an ordered list of stages, kept in the host's
 * order in memory, in the store, and across a restart; a ticket rule will be
 * validated against exactly these names. */
static void test_stages_ordered_R_TICKET_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    const char *sales[] = {"lead", "qualified", "proposal", "won", "lost"};
    add_pipeline(e, "sales", sales, 5);
    expect_stages(e, "sales", sales, 5);
    /* The same names in another order, in another pipeline, keep that order. */
    const char *rev[] = {"lost", "won", "proposal", "qualified", "lead"};
    add_pipeline(e, "reverse", rev, 5);
    expect_stages(e, "reverse", rev, 5);
    expect_stages(e, "sales", sales, 5);
    /* Not sorted: a stage order that is neither alphabetical nor by length. */
    const char *support[] = {"new", "waiting on customer", "in progress", "closed", "Águas"};
    add_pipeline(e, "support", support, 5);
    expect_stages(e, "support", support, 5);
    /* One stage is enough. */
    const char *single[] = {"only"};
    add_pipeline(e, "single", single, 1);
    expect_stages(e, "single", single, 1);

    /* The store holds the order. */
    char *rows = tenv_store_dump(e);
    assert_true(has(rows, "pipeline \"sales\" stages=[\"lead\",\"qualified\",\"proposal\","
                          "\"won\",\"lost\"]"));
    assert_true(has(rows, "pipeline \"reverse\" stages=[\"lost\",\"won\",\"proposal\","
                          "\"qualified\",\"lead\"]"));
    free(rows);
    char *snap = tenv_snapshot(e);
    assert_true(has(snap, "pipeline \"support\" stages=[\"new\",\"waiting on customer\","
                          "\"in progress\",\"closed\",\"Águas\"]"));

    /* A restart rebuilds the same pipelines with the same orders. */
    tenv_reopen(e);
    char *again = tenv_snapshot(e);
    assert_string_equal(snap, again);
    expect_stages(e, "sales", sales, 5);
    expect_stages(e, "reverse", rev, 5);
    expect_stages(e, "support", support, 5);
    free(snap);
    free(again);
    tenv_free(e);
}

/* Stage names with explicit lengths; the caller's buffers are copied. */
static void test_stage_lengths_and_copies(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    char b0[] = "newXXX", b1[] = "openYYY", b2[] = "done";
    const char *stages[] = {b0, b1, b2};
    const size_t lens[] = {3, 4, 4};
    cib_pipeline_def d = CIB_PIPELINE_DEF_INIT;
    d.id = "supportZZZ";
    d.id_len = 7;
    d.stages = stages;
    d.stage_lens = lens;
    d.n_stages = 3;
    expect_status(e, cib_pipeline_add(e->ctx, &d), CIB_OK, NULL);
    memset(b0, 'x', sizeof b0 - 1);
    memset(b1, 'x', sizeof b1 - 1);
    memset(b2, 'x', sizeof b2 - 1);
    const char *want[] = {"new", "open", "done"};
    expect_stages(e, "support", want, 3);
    expect_no_pipeline(e, "supportZZZ");
    /* Prefixes of one buffer are different stages. */
    const char *same[] = {"abc", "abc"};
    const size_t plens[] = {1, 2};
    d.id = "prefixes";
    d.id_len = CIB_NTS;
    d.stages = same;
    d.stage_lens = plens;
    d.n_stages = 2;
    expect_status(e, cib_pipeline_add(e->ctx, &d), CIB_OK, NULL);
    const char *pwant[] = {"a", "ab"};
    expect_stages(e, "prefixes", pwant, 2);
    tenv_reopen(e);
    expect_stages(e, "support", want, 3);
    expect_stages(e, "prefixes", pwant, 2);
    tenv_free(e);
}

static void test_needs_a_stage(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    char *before = tenv_snapshot(e);
    const char *stages[] = {"new"};
    expect_status(e, pipeline_add(e, "empty", stages, 0), CIB_EINVAL, "at least one stage");
    expect_status(e, pipeline_add(e, "empty", NULL, 0), CIB_EINVAL, "at least one stage");
    expect_unchanged(e, before);
    expect_no_pipeline(e, "empty");
    free(before);
    tenv_free(e);
}

static void test_stage_listed_twice(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    char *before = tenv_snapshot(e);
    const char *twice[] = {"new", "open", "new"};
    expect_status(e, pipeline_add(e, "p", twice, 3), CIB_EINVAL, "'stages[2]' repeats stage 'new'");
    const char *adjacent[] = {"new", "new"};
    expect_status(e, pipeline_add(e, "p", adjacent, 2), CIB_EINVAL, "repeats stage 'new'");
    /* Equal by length, though the buffers differ. */
    const char *buf[] = {"open", "openly"};
    const size_t lens[] = {4, 4};
    cib_pipeline_def d = CIB_PIPELINE_DEF_INIT;
    d.id = "p";
    d.stages = buf;
    d.stage_lens = lens;
    d.n_stages = 2;
    expect_status(e, cib_pipeline_add(e->ctx, &d), CIB_EINVAL, "repeats stage 'open'");
    expect_unchanged(e, before);
    expect_no_pipeline(e, "p");
    /* Different pipelines may share stage names. */
    const char *a[] = {"new", "closed"};
    add_pipeline(e, "a", a, 2);
    add_pipeline(e, "b", a, 2);
    expect_stages(e, "b", a, 2);
    free(before);
    tenv_free(e);
}

static void test_at_most_100_stages(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    static char names[1001][16];
    const char *stages[1001];
    for (int i = 0; i < 1001; i++) {
        snprintf(names[i], sizeof names[i], "stage-%d", i);
        stages[i] = names[i];
    }
    char *before = tenv_snapshot(e);
    expect_status(e, pipeline_add(e, "big", stages, 101), CIB_EINVAL, "at most 100 stages");
    expect_status(e, pipeline_add(e, "big", stages, 1001), CIB_EINVAL, "at most 100 stages");
    expect_status(e, pipeline_add(e, "big", NULL, (size_t)-1), CIB_EINVAL, NULL);
    expect_unchanged(e, before);
    expect_no_pipeline(e, "big");
    /* Exactly 100 is allowed, in order. */
    add_pipeline(e, "big", stages, 100);
    expect_stages(e, "big", stages, 100);
    const char *last = NULL;
    expect_status(e, cib_list_item(e->ctx, CIB_LIST_PIPELINE_STAGES, "big", CIB_NTS, 99, &last),
                  CIB_OK, NULL);
    assert_string_equal(last, "stage-99");
    tenv_reopen(e);
    expect_stages(e, "big", stages, 100);
    free(before);
    tenv_free(e);
}

static void test_duplicate_id_conflicts(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    const char *stages[] = {"new", "closed"};
    add_pipeline(e, "support", stages, 2);
    char *before = tenv_snapshot(e);
    const char *other[] = {"a", "b", "c"};
    expect_status(e, pipeline_add(e, "support", other, 3), CIB_ECONFLICT,
                  "pipeline 'support' already exists");
    expect_status(e, pipeline_add(e, "support", stages, 2), CIB_ECONFLICT, "already exists");
    expect_unchanged(e, before);
    expect_stages(e, "support", stages, 2);
    /* Ids are compared byte for byte. */
    add_pipeline(e, "Support", other, 3);
    expect_stages(e, "Support", other, 3);
    expect_stages(e, "support", stages, 2);
    free(before);
    tenv_free(e);
}

static void test_remove(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    const char *s1[] = {"new", "closed"};
    const char *s2[] = {"lead", "won"};
    add_pipeline(e, "support", s1, 2);
    add_pipeline(e, "sales", s2, 2);
    expect_status(e, cib_pipeline_remove(e->ctx, "support", CIB_NTS), CIB_OK, NULL);
    assert_string_equal(cib_errmsg(e->ctx), "");
    expect_no_pipeline(e, "support");
    expect_stages(e, "sales", s2, 2);
    char *rows = tenv_store_dump(e);
    assert_false(has(rows, "pipeline \"support\""));
    assert_true(has(rows, "pipeline \"sales\""));
    free(rows);

    /* Unknown ids, including the removed one. */
    char *before = tenv_snapshot(e);
    expect_status(e, cib_pipeline_remove(e->ctx, "support", CIB_NTS), CIB_ENOTFOUND,
                  "pipeline 'support' not found");
    expect_status(e, cib_pipeline_remove(e->ctx, "Sales", CIB_NTS), CIB_ENOTFOUND,
                  "'Sales' not found");
    expect_status(e, cib_pipeline_remove(e->ctx, "sale", CIB_NTS), CIB_ENOTFOUND, "'sale'");
    expect_unchanged(e, before);

    /* The id may be used again, with other stages. */
    const char *s3[] = {"open"};
    add_pipeline(e, "support", s3, 1);
    expect_stages(e, "support", s3, 1);
    /* By explicit length. */
    expect_status(e, cib_pipeline_remove(e->ctx, "salesXYZ", 5), CIB_OK, NULL);
    expect_no_pipeline(e, "sales");
    /* Survives a restart. */
    tenv_reopen(e);
    expect_no_pipeline(e, "sales");
    expect_stages(e, "support", s3, 1);
    free(before);
    tenv_free(e);
}

/* Reading stages: past the end, unknown owners, bad arguments. */
static void test_list_reading(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    const char *stages[] = {"new", "open", "closed"};
    add_pipeline(e, "support", stages, 3);
    const char *out = "sentinel";
    const size_t past[] = {3, 4, 1000, (size_t)-1};
    for (size_t i = 0; i < sizeof past / sizeof past[0]; i++) {
        out = "sentinel";
        expect_status(
            e, cib_list_item(e->ctx, CIB_LIST_PIPELINE_STAGES, "support", CIB_NTS, past[i], &out),
            CIB_ENOTFOUND, "past the end of the list (3 items)");
        assert_null(out);
    }
    /* Unknown pipeline. */
    expect_no_pipeline(e, "nope");
    /* A pipeline id is not a team's or an inbox's. */
    size_t n = 99;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_TEAM_MEMBERS, "support", CIB_NTS, &n),
                  CIB_ENOTFOUND, "'support'");
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_INBOX_CHANNELS, "support", CIB_NTS, &n),
                  CIB_ENOTFOUND, "'support'");
    /* Unknown lists. */
    expect_status(e, cib_list_count(e->ctx, 0, "support", CIB_NTS, &n), CIB_EINVAL, "'list'");
    expect_status(e, cib_list_count(e->ctx, 99, "support", CIB_NTS, &n), CIB_EINVAL, "'list'");
    out = "sentinel";
    expect_status(e, cib_list_item(e->ctx, -1, "support", CIB_NTS, 0, &out), CIB_EINVAL, "'list'");
    assert_null(out);
    /* NULL outputs and context. */
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_PIPELINE_STAGES, "support", CIB_NTS, NULL),
                  CIB_EINVAL, "'out_count' is NULL");
    expect_status(e, cib_list_item(e->ctx, CIB_LIST_PIPELINE_STAGES, "support", CIB_NTS, 0, NULL),
                  CIB_EINVAL, "'out' is NULL");
    assert_int_equal(cib_list_count(NULL, CIB_LIST_PIPELINE_STAGES, "support", CIB_NTS, &n),
                     CIB_EINVAL);
    assert_int_equal(cib_list_item(NULL, CIB_LIST_PIPELINE_STAGES, "support", CIB_NTS, 0, &out),
                     CIB_EINVAL);
    /* Owner by explicit length. */
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_PIPELINE_STAGES, "supportXX", 7, &n), CIB_OK,
                  NULL);
    assert_int_equal(n, 3);
    /* Reading changes nothing. */
    expect_stages(e, "support", stages, 3);
    tenv_free(e);
}

static int call_count_owner(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    size_t count = 0;
    return cib_list_count(ctx, CIB_LIST_PIPELINE_STAGES, s, n, &count);
}

static int call_item_owner(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    const char *out = "sentinel";
    int rc = cib_list_item(ctx, CIB_LIST_PIPELINE_STAGES, s, n, 0, &out);
    *(int *)arg += out != NULL;
    return rc;
}

static void test_list_bad_owner_strings(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    const char *stages[] = {"new"};
    add_pipeline(e, "support", stages, 1);
    int filled = 0;
    expect_bad_strings(e, "owner", call_count_owner, NULL);
    expect_bad_strings(e, "owner", call_item_owner, &filled);
    assert_int_equal(filled, 0);
    tenv_free(e);
}

/* ---- bad input ---- */

typedef struct stagearg {
    size_t index; /* which of three stages is the bad one */
} stagearg;

static int call_add_id(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    const char *stages[] = {"new", "closed"};
    cib_pipeline_def d = CIB_PIPELINE_DEF_INIT;
    d.id = s;
    d.id_len = n;
    d.stages = stages;
    d.n_stages = 2;
    return cib_pipeline_add(ctx, &d);
}

static int call_add_stage(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    const stagearg *a = arg;
    const char *stages[] = {"first", "second", "third"};
    size_t lens[] = {5, 6, 5};
    stages[a->index] = s;
    lens[a->index] = n;
    cib_pipeline_def d = CIB_PIPELINE_DEF_INIT;
    d.id = "new-pipeline";
    d.stages = stages;
    /* NUL-terminated strings go without lengths, as the header describes. */
    d.stage_lens = n == CIB_NTS ? NULL : lens;
    d.n_stages = 3;
    return cib_pipeline_add(ctx, &d);
}

static int call_remove(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    (void)arg;
    return cib_pipeline_remove(ctx, s, n);
}

static void test_bad_strings(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    const char *stages[] = {"new"};
    add_pipeline(e, "support", stages, 1);
    expect_bad_strings(e, "id", call_add_id, NULL);
    stagearg first = {0}, middle = {1}, last = {2};
    expect_bad_strings(e, "stages", call_add_stage, &first);
    expect_bad_strings(e, "stages", call_add_stage, &middle);
    expect_bad_strings(e, "stages", call_add_stage, &last);
    /* The message names the bad stage's index. */
    expect_status(e, call_add_stage(e->ctx, "", CIB_NTS, &last), CIB_EINVAL,
                  "'stages[2]' is empty");
    expect_status(e, call_add_stage(e->ctx, NULL, CIB_NTS, &first), CIB_EINVAL,
                  "'stages[0]' is NULL");
    expect_bad_strings(e, "id", call_remove, NULL);
    expect_no_pipeline(e, "new-pipeline");
    expect_stages(e, "support", stages, 1);
    /* The callbacks do work with good strings. */
    expect_status(e, call_add_stage(e->ctx, "middle", CIB_NTS, &middle), CIB_OK, NULL);
    const char *want[] = {"first", "middle", "third"};
    expect_stages(e, "new-pipeline", want, 3);
    expect_status(e, call_add_id(e->ctx, "by-id", CIB_NTS, NULL), CIB_OK, NULL);
    expect_status(e, call_remove(e->ctx, "by-id", CIB_NTS, NULL), CIB_OK, NULL);
    expect_no_pipeline(e, "by-id");
    tenv_free(e);
}

/* A stage name is a name: limited by max_name_len, not max_id_len. */
static void test_stage_name_limit(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    cib_ctx_free(e->ctx);
    e->opts.max_name_len = 16; /* the smallest allowed */
    e->opts.max_id_len = 17;
    e->ctx = NULL;
    tenv_reopen(e);
    const char *ok[] = {"0123456789abcdef"};
    add_pipeline(e, "p1", ok, 1);
    char *before = tenv_snapshot(e);
    const char *too_long[] = {"ok", "0123456789abcdefg"};
    expect_status(e, pipeline_add(e, "p2", too_long, 2), CIB_EINVAL,
                  "'stages[1]' is longer than 16 bytes");
    /* Ids have their own limit. */
    const char *long_stage[] = {"12345678"};
    expect_status(e, pipeline_add(e, "0123456789abcdefgh", long_stage, 1), CIB_EINVAL,
                  "'id' is longer than 17 bytes");
    expect_unchanged(e, before);
    expect_no_pipeline(e, "p2");
    /* The limits hold after a restart with the same options. */
    tenv_reopen(e);
    expect_stages(e, "p1", ok, 1);
    expect_status(e, pipeline_add(e, "p2", too_long, 2), CIB_EINVAL, "longer than 16 bytes");
    free(before);
    tenv_free(e);
}

static void test_bad_structs_and_pointers(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    const char *stages[] = {"new", "closed"};
    add_pipeline(e, "support", stages, 2);
    char *before = tenv_snapshot(e);
    /* NULL stages with n_stages > 0. */
    expect_status(e, pipeline_add(e, "p", NULL, 1), CIB_EINVAL, "'stages' is NULL");
    expect_status(e, pipeline_add(e, "p", NULL, 3), CIB_EINVAL, "'stages' is NULL");
    /* NULL def, def->size 0. */
    expect_status(e, cib_pipeline_add(e->ctx, NULL), CIB_EINVAL, "'def' is NULL");
    cib_pipeline_def d = CIB_PIPELINE_DEF_INIT;
    d.id = "p";
    d.stages = stages;
    d.n_stages = 2;
    d.size = 0;
    expect_status(e, cib_pipeline_add(e->ctx, &d), CIB_EINVAL, "'def->size' is 0");
    /* A def from a newer header with members this version does not know. */
    struct {
        cib_pipeline_def d;
        uint64_t future;
    } big;
    memset(&big, 0, sizeof big);
    big.d = d;
    big.d.size = sizeof big;
    big.future = 7;
    expect_status(e, cib_pipeline_add(e->ctx, &big.d), CIB_EINVAL, "does not know");
    /* NULL context. */
    d.size = sizeof d;
    assert_int_equal(cib_pipeline_add(NULL, &d), CIB_EINVAL);
    assert_int_equal(cib_pipeline_remove(NULL, "support", CIB_NTS), CIB_EINVAL);
    expect_unchanged(e, before);
    expect_no_pipeline(e, "p");
    expect_stages(e, "support", stages, 2);
    /* The same newer def with a zero tail is accepted. */
    big.future = 0;
    expect_status(e, cib_pipeline_add(e->ctx, &big.d), CIB_OK, NULL);
    expect_stages(e, "p", stages, 2);
    /* An older def without stage_lens and n_stages has no stages. */
    cib_pipeline_def old = CIB_PIPELINE_DEF_INIT;
    old.size = offsetof(cib_pipeline_def, stage_lens);
    old.id = "old";
    old.stages = stages;
    old.n_stages = 2; /* beyond size: not read */
    expect_status(e, cib_pipeline_add(e->ctx, &old), CIB_EINVAL, "at least one stage");
    free(before);
    tenv_free(e);
}

/* ---- failure sweeps ---- */

static void sweep_setup(tenv *e)
{
    const char *s1[] = {"new", "open", "closed"};
    add_pipeline(e, "support", s1, 3);
    const char *s2[] = {"lead"};
    add_pipeline(e, "sales", s2, 1);
}

static int op_add(cib_ctx *ctx, void *arg)
{
    (void)arg;
    const char *stages[] = {"todo", "doing", "review", "done"};
    cib_pipeline_def d = CIB_PIPELINE_DEF_INIT;
    d.id = "dev";
    d.stages = stages;
    d.n_stages = 4;
    return cib_pipeline_add(ctx, &d);
}

static int op_remove(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_pipeline_remove(ctx, "support", CIB_NTS);
}

static void test_add_sweep(void **state)
{
    (void)state;
    sweep_op(sweep_setup, op_add, NULL);
    sweep_op(NULL, op_add, NULL); /* the first pipeline of the account */
}

static void test_remove_sweep(void **state)
{
    (void)state;
    sweep_op(sweep_setup, op_remove, NULL);
}

/* What the sweeps' successful calls did. */
static void test_sweep_results(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    sweep_setup(e);
    expect_status(e, op_add(e->ctx, NULL), CIB_OK, NULL);
    const char *want[] = {"todo", "doing", "review", "done"};
    expect_stages(e, "dev", want, 4);
    expect_status(e, op_remove(e->ctx, NULL), CIB_OK, NULL);
    expect_no_pipeline(e, "support");
    const char *s2[] = {"lead"};
    expect_stages(e, "sales", s2, 1);
    tenv_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stages_ordered_R_TICKET_2),
        cmocka_unit_test(test_stage_lengths_and_copies),
        cmocka_unit_test(test_needs_a_stage),
        cmocka_unit_test(test_stage_listed_twice),
        cmocka_unit_test(test_at_most_100_stages),
        cmocka_unit_test(test_duplicate_id_conflicts),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_list_reading),
        cmocka_unit_test(test_list_bad_owner_strings),
        cmocka_unit_test(test_bad_strings),
        cmocka_unit_test(test_stage_name_limit),
        cmocka_unit_test(test_bad_structs_and_pointers),
        cmocka_unit_test(test_add_sweep),
        cmocka_unit_test(test_remove_sweep),
        cmocka_unit_test(test_sweep_results),
    };
    return TENV_RUN(tests);
}
