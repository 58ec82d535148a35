/* test_props.c - a channel's default properties (R-CHAN-10) are one shared,
 * immutable set: its conversations refer to it, before and after a restart,
 * and a channel update gives new conversations a new set while the older
 * ones keep theirs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

#define N_CONV 2000

static void set_props(tenv *e, const char *const *keys, const char *const *values, size_t n)
{
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "chat";
    d.inbox = "support";
    d.type = CIB_CHANNEL_CHAT;
    d.property_keys = keys;
    d.property_values = values;
    d.n_properties = n;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
}

static const char *const keys1[] = {"source", "priority", "region", "team"};
static const char *const values1[] = {"web", "normal", "eu", "first-line"};
static const char *const values2[] = {"app", "high", "us", "second-line"};

static uint64_t open_one(tenv *e, int i)
{
    char id[32], from[32];
    snprintf(id, sizeof id, "m%d", i);
    snprintf(from, sizeof from, "visitor-%d", i);
    return ingest_msg(e, "chat", id, from, NULL).conversation;
}

/* A property's value in a conversation, as cib_conversation_properties()
 * gives it. */
struct lookup {
    const char *key;
    char value[64];
    int n;
};

static int on_prop(void *ud, const char *key, const char *value)
{
    struct lookup *l = ud;
    l->n++;
    if (strcmp(key, l->key) == 0)
        snprintf(l->value, sizeof l->value, "%s", value);
    return 0;
}

static void expect_prop(tenv *e, uint64_t conv, const char *key, const char *want, int n)
{
    struct lookup l = {key, "", 0};
    expect_status(e, cib_conversation_properties(e->ctx, NULL, 0, conv, on_prop, &l), CIB_OK, NULL);
    assert_string_equal(l.value, want);
    assert_int_equal(l.n, n);
}

/* R-CHAN-10: N_CONV open conversations of a channel with four default
 * properties, half of them from before a change of those properties. A
 * context reopened on the store holds as many blocks as the live one did
 * (the conversations share the two sets; before, each held its own copy, 13
 * blocks more per conversation), and the sets stay copy-on-write: a change
 * of the channel's properties reaches new conversations only. */
static void test_shared_after_restart_R_CHAN_10(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_inbox(e, "support", "Support");
    add_channel(e, "chat", "support", CIB_CHANNEL_CHAT, NULL);
    set_props(e, keys1, values1, 4);
    uint64_t oldest = open_one(e, 0), first = 0, last = 0;
    for (int i = 1; i < N_CONV / 2; i++)
        first = open_one(e, i);
    set_props(e, keys1, values2, 4);
    for (int i = N_CONV / 2; i < N_CONV; i++)
        last = open_one(e, i);
    long live = e->fa.live, count = e->fa.count;
    tenv_reopen(e);
    long reloaded = e->fa.live;
    printf("# blocks: %ld live, %ld after a restart (which allocated %ld), for %d "
           "conversations\n",
           live, reloaded, e->fa.count - count, N_CONV);
    /* Hash tables and trees may be sized differently after a load; a copy
     * per conversation would be 13 blocks each. */
    assert_true(reloaded <= live + N_CONV / 100);
    expect_prop(e, first, "source", "web", 4);
    expect_prop(e, last, "source", "app", 4);
    /* Change the channel's properties after the restart: the new set is for
     * new conversations only. */
    const char *const keys3[] = {"source"};
    const char *const values3[] = {"email"};
    set_props(e, keys3, values3, 1);
    uint64_t newer = open_one(e, N_CONV);
    expect_prop(e, newer, "source", "email", 1);
    expect_prop(e, first, "source", "web", 4);
    expect_prop(e, last, "source", "app", 4);
    /* And all of it again after another restart. */
    char *before = tenv_snapshot(e);
    tenv_reopen(e);
    char *after = tenv_snapshot(e);
    assert_string_equal(before, after);
    free(before);
    free(after);
    expect_prop(e, newer, "source", "email", 1);
    expect_prop(e, first, "source", "web", 4);
    expect_prop(e, last, "source", "app", 4);
    /* Closing one drops its reference only. */
    expect_status(e, cib_close(e->ctx, "alice", CIB_NTS, first), CIB_OK, NULL);
    expect_prop(e, first, "source", "web", 4);
    expect_prop(e, oldest, "source", "web", 4);
    expect_status(e, cib_reopen(e->ctx, "alice", CIB_NTS, first), CIB_OK, NULL);
    expect_prop(e, first, "source", "web", 4);
    tenv_free(e);
}

/* R-HOST-1: loading conversations that share sets fails cleanly at every
 * allocation (the references it holds while loading are released), and
 * the final load equals the account that wrote the store. */
static void test_load_allocation_sweep_R_CHAN_10_R_HOST_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "support", "Support");
    add_channel(e, "chat", "support", CIB_CHANNEL_CHAT, NULL);
    set_props(e, keys1, values1, 4);
    for (int i = 0; i < 3; i++)
        open_one(e, i);
    set_props(e, keys1, values2, 4);
    for (int i = 3; i < 6; i++)
        open_one(e, i);
    set_props(e, keys1, values1, 2);
    open_one(e, 6);
    char *want = tenv_snapshot(e);
    cib_ctx_free(e->ctx);
    e->ctx = NULL;
    for (long n = 0;; n++) {
        assert_true(n < 10000);
        long live = e->fa.live;
        e->fa.fail_at = e->fa.count + n;
        int rc = cib_ctx_new(&e->opts, &e->ctx);
        e->fa.fail_at = -1;
        if (rc == CIB_OK)
            break;
        assert_int_equal(rc, CIB_ENOMEM);
        assert_null(e->ctx);
        assert_int_equal(e->fa.live, live);
    }
    e->fs.ctx = e->ctx;
    char *got = tenv_snapshot(e);
    assert_string_equal(want, got);
    free(want);
    free(got);
    tenv_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shared_after_restart_R_CHAN_10),
        cmocka_unit_test(test_load_allocation_sweep_R_CHAN_10_R_HOST_1),
    };
    return TENV_RUN(tests);
}
