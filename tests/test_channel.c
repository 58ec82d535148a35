/* test_channel.c - channels: linking, addresses, status, fallback senders. */
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

/* A form channel, with the ticket rule a form needs (R-TICKET-4). */
static void add_form(tenv *e, const char *id, const char *inbox)
{
    const char *stages[] = {"new"};
    cib_pipeline_def p = CIB_PIPELINE_DEF_INIT;
    p.id = "forms";
    p.stages = stages;
    p.n_stages = 1;
    int rc = cib_pipeline_add(e->ctx, &p);
    assert_true(rc == CIB_OK || rc == CIB_ECONFLICT);
    cib_ticket_def t = CIB_TICKET_DEF_INIT;
    t.automatic = 1;
    t.pipeline = "forms";
    t.stage = "new";
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = id;
    d.inbox = inbox;
    d.type = CIB_CHANNEL_FORM;
    d.tickets = &t;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
}

static void channels_are(tenv *e, const char *inbox, const char *const *want, size_t n)
{
    size_t count = 99;
    expect_status(e, cib_list_count(e->ctx, CIB_LIST_INBOX_CHANNELS, inbox, CIB_NTS, &count),
                  CIB_OK, NULL);
    assert_int_equal(count, n);
    for (size_t i = 0; i < n; i++) {
        const char *id = NULL;
        expect_status(e, cib_list_item(e->ctx, CIB_LIST_INBOX_CHANNELS, inbox, CIB_NTS, i, &id),
                      CIB_OK, NULL);
        assert_string_equal(id, want[i]);
    }
}

/* R-CHAN-1: any number of channels, each in exactly one inbox, linked at
 * any time after the inbox exists. */
static void test_link_channels_R_CHAN_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    add_inbox(e, "support", "Support");
    e->now += 1;
    add_channel(e, "mail", "sales", CIB_CHANNEL_EMAIL, "Sales@Acme.TEST");
    e->now += 1;
    add_channel(e, "chat", "sales", CIB_CHANNEL_CHAT, NULL);
    add_form(e, "form", "sales");
    e->now += 1;
    add_channel(e, "fb", "sales", CIB_CHANNEL_MESSENGER, "page-123");
    add_channel(e, "app", "support", CIB_CHANNEL_CUSTOM, "acct-9");
    const char *sales[] = {"mail", "chat", "form", "fb"}, *support[] = {"app"};
    channels_are(e, "sales", sales, 4);
    channels_are(e, "support", support, 1);
    cib_channel_info ch = CIB_CHANNEL_INFO_INIT;
    expect_status(e, cib_channel_get(e->ctx, "mail", CIB_NTS, &ch), CIB_OK, NULL);
    assert_string_equal(ch.inbox, "sales");
    assert_int_equal(ch.type, CIB_CHANNEL_EMAIL);
    assert_string_equal(ch.address, "sales@acme.test");
    assert_int_equal(ch.status, CIB_CHANNEL_ENABLED);
    assert_null(ch.sender_name);
    assert_int_equal(ch.created_at, TENV_EPOCH_MS + 1);
    expect_status(e, cib_channel_get(e->ctx, "chat", CIB_NTS, &ch), CIB_OK, NULL);
    assert_null(ch.address);
    /* A channel id is unique across the account, not per inbox. */
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "mail";
    d.inbox = "support";
    d.type = CIB_CHANNEL_CHAT;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_ECONFLICT, "channel 'mail' already exists");
    d.id = "x";
    d.inbox = "nowhere";
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_ENOTFOUND, "inbox 'nowhere' not found");
    /* Order survives a restart. */
    tenv_reopen(e);
    channels_are(e, "sales", sales, 4);
    tenv_free(e);
}

/* R-CHAN-2: an external address cannot be linked twice in the account. */
static void test_address_unique_R_CHAN_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    add_inbox(e, "support", "Support");
    add_channel(e, "mail", "sales", CIB_CHANNEL_EMAIL, "team@acme.test");
    add_channel(e, "fb", "sales", CIB_CHANNEL_MESSENGER, "page-1");
    add_channel(e, "app", "sales", CIB_CHANNEL_CUSTOM, "acct-1");
    char *before = tenv_snapshot(e);
    const struct {
        int type;
        const char *address;
        const char *owner;
    } taken[] = {
        {CIB_CHANNEL_EMAIL, "team@acme.test", "mail"},
        {CIB_CHANNEL_EMAIL, "TEAM@ACME.test", "mail"},          /* case-insensitive */
        {CIB_CHANNEL_FALLBACK_EMAIL, "team@acme.test", "mail"}, /* shared namespace */
        {CIB_CHANNEL_MESSENGER, "page-1", "fb"},
        {CIB_CHANNEL_CUSTOM, "acct-1", "app"},
    };
    for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++) {
        cib_channel_def d = CIB_CHANNEL_DEF_INIT;
        d.id = "again";
        d.inbox = "support"; /* another inbox: still the same account */
        d.type = taken[i].type;
        d.address = taken[i].address;
        int rc = cib_channel_add(e->ctx, &d);
        if (rc != CIB_ECONFLICT || !strstr(cib_errmsg(e->ctx), taken[i].owner))
            fail_msg("#%zu: %s %s", i, cib_status_name(rc), cib_errmsg(e->ctx));
    }
    expect_unchanged(e, before);
    free(before);
    /* Other namespaces do not clash; Messenger ids are case-sensitive. */
    add_channel(e, "fb2", "support", CIB_CHANNEL_MESSENGER, "PAGE-1");
    add_channel(e, "app2", "support", CIB_CHANNEL_CUSTOM, "page-1");
    add_channel(e, "chat", "support", CIB_CHANNEL_CHAT, "page-1");
    tenv_free(e);
}

/* R-CHAN-2: a team email may not be a user's own email. */
static void test_address_not_a_users_email_R_CHAN_2(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_inbox(e, "sales", "Sales");
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "mail";
    d.inbox = "sales";
    d.type = CIB_CHANNEL_EMAIL;
    d.address = "ALICE@acme.test";
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_ECONFLICT, "email of user 'alice'");
    d.type = CIB_CHANNEL_FALLBACK_EMAIL;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_ECONFLICT, "email of user 'alice'");
    /* Not an email namespace: no clash. */
    d.type = CIB_CHANNEL_CUSTOM;
    d.address = "alice@acme.test";
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    /* Once the user is gone the address can be linked. */
    expect_status(e, cib_user_remove(e->ctx, "alice", CIB_NTS), CIB_OK, NULL);
    add_channel(e, "mail2", "sales", CIB_CHANNEL_EMAIL, "alice@acme.test");
    tenv_free(e);
}

/* Which types need an address, and what an address must look like. */
static void test_address_rules(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    const struct {
        int type;
        const char *address;
        int status;
        const char *needle;
    } cases[] = {
        {CIB_CHANNEL_EMAIL, NULL, CIB_EINVAL, "'address' is NULL"},
        {CIB_CHANNEL_EMAIL, "not-an-email", CIB_EINVAL, "'address' is not an email"},
        {CIB_CHANNEL_MESSENGER, NULL, CIB_EINVAL, "'address' is NULL"},
        {CIB_CHANNEL_CUSTOM, NULL, CIB_EINVAL, "'address' is NULL"},
        {CIB_CHANNEL_FALLBACK_EMAIL, "nope", CIB_EINVAL, "not an email"},
        {0, NULL, CIB_EINVAL, "'type' is 0"},
        {7, NULL, CIB_EINVAL, "'type' is 7"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cib_channel_def d = CIB_CHANNEL_DEF_INIT;
        d.id = "c";
        d.inbox = "sales";
        d.type = cases[i].type;
        d.address = cases[i].address;
        expect_status(e, cib_channel_add(e->ctx, &d), cases[i].status, cases[i].needle);
    }
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "c";
    d.inbox = "sales";
    d.type = CIB_CHANNEL_CHAT;
    d.sender_name = "Acme";
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_EINVAL, "'sender_name' does not apply");
    d.sender_name = NULL;
    d.status = 3;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_EINVAL, "'status' is 3");
    tenv_free(e);
}

/* R-CHAN-3: a channel is enabled or disabled; the status is stored. */
static void test_status_R_CHAN_3(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "chat";
    d.inbox = "sales";
    d.type = CIB_CHANNEL_CHAT;
    d.status = CIB_CHANNEL_DISABLED;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    cib_channel_info ch = CIB_CHANNEL_INFO_INIT;
    expect_status(e, cib_channel_get(e->ctx, "chat", CIB_NTS, &ch), CIB_OK, NULL);
    assert_int_equal(ch.status, CIB_CHANNEL_DISABLED);
    expect_status(e, cib_channel_set_status(e->ctx, "chat", CIB_NTS, CIB_CHANNEL_ENABLED), CIB_OK,
                  NULL);
    expect_status(e, cib_channel_get(e->ctx, "chat", CIB_NTS, &ch), CIB_OK, NULL);
    assert_int_equal(ch.status, CIB_CHANNEL_ENABLED);
    expect_status(e, cib_channel_set_status(e->ctx, "chat", CIB_NTS, CIB_CHANNEL_DISABLED), CIB_OK,
                  NULL);
    tenv_reopen(e);
    expect_status(e, cib_channel_get(e->ctx, "chat", CIB_NTS, &ch), CIB_OK, NULL);
    assert_int_equal(ch.status, CIB_CHANNEL_DISABLED);
    expect_status(e, cib_channel_set_status(e->ctx, "chat", CIB_NTS, 0), CIB_EINVAL,
                  "'status' is 0");
    expect_status(e, cib_channel_set_status(e->ctx, "nope", CIB_NTS, CIB_CHANNEL_ENABLED),
                  CIB_ENOTFOUND, "channel 'nope' not found");
    tenv_free(e);
}

/* R-CHAN-5: fallback email sender names are unique (ignoring case). */
static void test_fallback_sender_unique_R_CHAN_5(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    add_inbox(e, "support", "Support");
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "fb1";
    d.inbox = "sales";
    d.type = CIB_CHANNEL_FALLBACK_EMAIL;
    d.sender_name = "Acme Sales";
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    d.id = "fb2";
    d.inbox = "support";
    d.sender_name = "ACME sales";
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_ECONFLICT,
                  "sender name 'ACME sales' is already used by fallback email channel 'fb1'");
    /* The default inbox's fallback is named after its inbox: "Inbox". */
    d.sender_name = "inbox";
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_ECONFLICT, "'default-fallback'");
    /* Without a sender name, the inbox's name is used. */
    d.sender_name = NULL;
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    cib_channel_info ch = CIB_CHANNEL_INFO_INIT;
    expect_status(e, cib_channel_get(e->ctx, "fb2", CIB_NTS, &ch), CIB_OK, NULL);
    assert_string_equal(ch.sender_name, "Support");
    assert_null(ch.address);
    /* Email channels have no such rule. */
    add_channel(e, "m1", "sales", CIB_CHANNEL_EMAIL, "a@acme.test");
    add_channel(e, "m2", "sales", CIB_CHANNEL_EMAIL, "b@acme.test");
    tenv_free(e);
}

enum { C_ID, C_INBOX, C_ADDRESS, C_SENDER, C_STATUS_ID, C_GET_ID };

static int call(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    int which = *(const int *)arg;
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "new";
    d.inbox = "sales";
    d.type = which == C_SENDER ? CIB_CHANNEL_FALLBACK_EMAIL : CIB_CHANNEL_MESSENGER;
    d.address = which == C_SENDER ? NULL : "page";
    cib_channel_info ch = CIB_CHANNEL_INFO_INIT;
    switch (which) {
    case C_ID:
        d.id = s;
        d.id_len = n;
        break;
    case C_INBOX:
        d.inbox = s;
        d.inbox_len = n;
        break;
    case C_ADDRESS:
        d.address = s;
        d.address_len = n;
        break;
    case C_SENDER:
        d.sender_name = s;
        d.sender_name_len = n;
        break;
    case C_STATUS_ID:
        return cib_channel_set_status(ctx, s, n, CIB_CHANNEL_DISABLED);
    default:
        return cib_channel_get(ctx, s, n, &ch);
    }
    return cib_channel_add(ctx, &d);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    static const int id = C_ID, inbox = C_INBOX, address = C_ADDRESS, sender = C_SENDER,
                     status = C_STATUS_ID, get = C_GET_ID;
    expect_bad_strings(e, "id", call, (void *)&id);
    expect_bad_strings(e, "inbox", call, (void *)&inbox);
    expect_bad_strings(e, "address", call, (void *)&address);
    expect_bad_optional_strings(e, "sender_name", call, (void *)&sender);
    expect_bad_strings(e, "id", call, (void *)&status);
    expect_bad_strings(e, "id", call, (void *)&get);
    expect_status(e, cib_channel_add(e->ctx, NULL), CIB_EINVAL, "'def' is NULL");
    expect_status(e, cib_channel_get(e->ctx, "default-fallback", CIB_NTS, NULL), CIB_EINVAL,
                  "'out' is NULL");
    tenv_free(e);
}

/* cib_channel_update: settings change, identity does not (R-CHAN-4, 10). */
static void test_update_settings(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    add_inbox(e, "other", "Other");
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "mail";
    d.inbox = "sales";
    d.type = CIB_CHANNEL_EMAIL;
    d.address = "sales@acme.test";
    expect_status(e, cib_channel_add(e->ctx, &d), CIB_OK, NULL);
    const char *keys[] = {"team"}, *values[] = {"emea"};
    d.address = "SALES@acme.test"; /* the same address, any case */
    d.sender_display = CIB_DISPLAY_COMPANY;
    d.company = "Acme";
    d.signature = "Regards, {first_name}";
    d.log_forward_to_original = 0;
    d.status = CIB_CHANNEL_DISABLED;
    d.property_keys = keys;
    d.property_values = values;
    d.n_properties = 1;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_OK, NULL);
    cib_channel_info ch = CIB_CHANNEL_INFO_INIT;
    expect_status(e, cib_channel_get(e->ctx, "mail", CIB_NTS, &ch), CIB_OK, NULL);
    assert_int_equal(ch.sender_display, CIB_DISPLAY_COMPANY);
    assert_string_equal(ch.company, "Acme");
    assert_string_equal(ch.signature, "Regards, {first_name}");
    assert_int_equal(ch.log_forward_to_original, 0);
    assert_int_equal(ch.status, CIB_CHANNEL_DISABLED);
    assert_int_equal(ch.n_properties, 1);
    const char *item = NULL;
    expect_status(e, cib_list_item(e->ctx, CIB_LIST_CHANNEL_PROPERTIES, "mail", CIB_NTS, 1, &item),
                  CIB_OK, NULL);
    assert_string_equal(item, "emea");
    char *before = tenv_snapshot(e);
    d.address = "other@acme.test";
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_EINVAL, "cannot change");
    d.address = "sales@acme.test";
    d.inbox = "other";
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_EINVAL, "cannot change");
    d.inbox = "sales";
    d.type = CIB_CHANNEL_FALLBACK_EMAIL;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_EINVAL, "cannot change");
    d.type = CIB_CHANNEL_EMAIL;
    d.id = "nope";
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_ENOTFOUND, "channel 'nope' not found");
    d.id = "mail";
    const char *dup[] = {"team", "team"}, *two[] = {"a", "b"};
    d.property_keys = dup;
    d.property_values = two;
    d.n_properties = 2;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_EINVAL, "given twice");
    const char *badkey[] = {"bad key"};
    d.property_keys = badkey;
    d.n_properties = 1;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_EINVAL, "only letters, digits");
    d.n_properties = 65;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_EINVAL, "at most 64");
    d.n_properties = 0;
    d.threading = CIB_THREADING_NEW;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_EINVAL, "'threading' does not apply");
    d.threading = CIB_THREADING_KEY;
    d.sender_display = 9;
    expect_status(e, cib_channel_update(e->ctx, &d), CIB_EINVAL, "'sender_display' is 9");
    expect_status(e, cib_channel_update(e->ctx, NULL), CIB_EINVAL, "'def' is NULL");
    expect_unchanged(e, before);
    free(before);
    /* Settings survive a restart. */
    tenv_reopen(e);
    expect_status(e, cib_channel_get(e->ctx, "mail", CIB_NTS, &ch), CIB_OK, NULL);
    assert_string_equal(ch.signature, "Regards, {first_name}");
    assert_int_equal(ch.n_properties, 1);
    tenv_free(e);
}

enum { S_COMPANY, S_SIGNATURE, S_PROP_KEY, S_PROP_VALUE };

static int call_setting(cib_ctx *ctx, const char *s, size_t n, void *arg)
{
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "mail";
    d.inbox = "sales";
    d.type = CIB_CHANNEL_EMAIL;
    d.address = "sales@acme.test";
    const char *k[] = {"key"}, *v[] = {"value"};
    size_t kl[] = {CIB_NTS}, vl[] = {CIB_NTS};
    d.property_keys = k;
    d.property_values = v;
    d.property_key_lens = kl;
    d.property_value_lens = vl;
    d.n_properties = 1;
    switch (*(const int *)arg) {
    case S_COMPANY:
        d.company = s;
        d.company_len = n;
        break;
    case S_SIGNATURE:
        d.signature = s;
        d.signature_len = n;
        break;
    case S_PROP_KEY:
        k[0] = s;
        kl[0] = n;
        break;
    default:
        v[0] = s;
        vl[0] = n;
        break;
    }
    return cib_channel_update(ctx, &d);
}

static void test_settings_bad_inputs(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_inbox(e, "sales", "Sales");
    add_channel(e, "mail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    static const int company = S_COMPANY, signature = S_SIGNATURE, key = S_PROP_KEY;
    expect_bad_optional_strings(e, "company", call_setting, (void *)&company);
    expect_bad_text(e, "signature", call_setting, (void *)&signature, 4096,
                    BAD_OPTIONAL | BAD_MULTILINE);
    expect_bad_text(e, "property key", call_setting, (void *)&key, 64, 0);
    tenv_free(e);
}

static void setup_channels(tenv *e)
{
    add_user(e, "alice", "alice@acme.test", CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    add_inbox(e, "sales", "Sales");
    add_channel(e, "mail", "sales", CIB_CHANNEL_EMAIL, "sales@acme.test");
    add_channel(e, "chat", "sales", CIB_CHANNEL_CHAT, NULL);
}

static int op_add(cib_ctx *ctx, void *arg)
{
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "new";
    d.inbox = "sales";
    d.type = *(const int *)arg;
    d.address = d.type == CIB_CHANNEL_FALLBACK_EMAIL ? "fallback@acme.test" : "page-7";
    return cib_channel_add(ctx, &d);
}

static int op_update(cib_ctx *ctx, void *arg)
{
    (void)arg;
    const char *keys[] = {"a", "b"}, *values[] = {"1", "2"};
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "mail";
    d.inbox = "sales";
    d.type = CIB_CHANNEL_EMAIL;
    d.address = "sales@acme.test";
    d.signature = "-- {full_name}";
    d.company = "Acme";
    d.property_keys = keys;
    d.property_values = values;
    d.n_properties = 2;
    return cib_channel_update(ctx, &d);
}

static int op_status(cib_ctx *ctx, void *arg)
{
    (void)arg;
    return cib_channel_set_status(ctx, "mail", CIB_NTS, CIB_CHANNEL_DISABLED);
}

static void test_sweep_add_R_HOST_1(void **state)
{
    (void)state;
    static const int messenger = CIB_CHANNEL_MESSENGER, fallback = CIB_CHANNEL_FALLBACK_EMAIL;
    sweep_op(setup_channels, op_add, (void *)&messenger);
    sweep_op(setup_channels, op_add, (void *)&fallback);
}

static void test_sweep_update_R_HOST_1(void **state)
{
    (void)state;
    sweep_op(setup_channels, op_update, NULL);
}

static void test_sweep_status_R_HOST_1_R_CHAN_3(void **state)
{
    (void)state;
    sweep_op(setup_channels, op_status, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_link_channels_R_CHAN_1),
        cmocka_unit_test(test_address_unique_R_CHAN_2),
        cmocka_unit_test(test_address_not_a_users_email_R_CHAN_2),
        cmocka_unit_test(test_address_rules),
        cmocka_unit_test(test_status_R_CHAN_3),
        cmocka_unit_test(test_fallback_sender_unique_R_CHAN_5),
        cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_sweep_add_R_HOST_1),
        cmocka_unit_test(test_sweep_status_R_HOST_1_R_CHAN_3),
        cmocka_unit_test(test_update_settings),
        cmocka_unit_test(test_settings_bad_inputs),
        cmocka_unit_test(test_sweep_update_R_HOST_1),
    };
    return TENV_RUN(tests);
}
