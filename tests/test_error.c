/* test_error.c - status codes, names and messages (R-HOST-4), versions. */
#include <string.h>

#include "support/testenv.h"

/* R-HOST-4: every error name of the spec exists, with its pinned value. */
static void test_status_names_pinned_R_HOST_4(void **state)
{
    (void)state;
    const struct {
        int status, value;
        const char *name;
    } want[] = {
        {CIB_OK, 0, "ok"},
        {CIB_EINVAL, -1, "invalid"},
        {CIB_ENOTFOUND, -2, "not_found"},
        {CIB_ECONFLICT, -3, "conflict"},
        {CIB_EFORBIDDEN, -4, "forbidden"},
        {CIB_EDISABLED, -5, "disabled"},
        {CIB_ESEAT, -6, "seat_required"},
        {CIB_ELIMIT, -7, "limit"},
        {CIB_EWINDOW, -8, "window_closed"},
        {CIB_EDUPLICATE, -9, "duplicate"},
        {CIB_ESTORAGE, -10, "storage"},
        {CIB_ENOMEM, -11, "nomem"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        assert_int_equal(want[i].status, want[i].value);
        assert_string_equal(cib_status_name(want[i].status), want[i].name);
        const char *text = cib_strerror(want[i].status);
        assert_non_null(text);
        assert_true(strlen(text) > 3);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(text, cib_strerror(want[k].status));
    }
}

static void test_unknown_status_R_HOST_4(void **state)
{
    (void)state;
    assert_string_equal(cib_status_name(-12), "unknown");
    assert_string_equal(cib_status_name(1), "unknown");
    assert_string_equal(cib_strerror(12345), "unknown status");
}

static void test_errmsg_is_set_and_cleared_R_HOST_4(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    assert_string_equal(cib_errmsg(e->ctx), "");
    int rc = cib_user_remove(e->ctx, "ghost", CIB_NTS);
    expect_status(e, rc, CIB_ENOTFOUND, "user 'ghost' not found");
    add_user(e, "alice", NULL, CIB_SEAT_PAID, CIB_ROLE_MEMBER);
    assert_string_equal(cib_errmsg(e->ctx), "");
    assert_string_equal(cib_errmsg(NULL), "invalid argument: 'ctx' is NULL");
    tenv_free(e);
}

static int add_zed(tenv *e)
{
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "zed";
    d.name = "Zed";
    e->fs.fail_at = e->fs.calls + 1; /* begin succeeds, put fails */
    return cib_user_add(e->ctx, &d);
}

/* R-HOST-4: a host callback can explain its failure; the message is kept
 * within bounds and never carries a NUL. */
static void test_callback_error_message_R_HOST_4(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    e->fs.cb_message = 1;
    e->fs.cb_text = "quota exceeded\0and more";
    e->fs.cb_len = 24;
    expect_status(e, add_zed(e), CIB_ESTORAGE, "storage.put: quota exceeded");
    assert_int_equal(e->fs.cb_rc, CIB_OK);
    assert_null(strstr(cib_errmsg(e->ctx), "and more"));

    static char longer[600];
    memset(longer, 'x', sizeof longer - 1);
    e->fs.cb_text = longer;
    e->fs.cb_len = CIB_NTS;
    expect_status(e, add_zed(e), CIB_ESTORAGE, "storage.put: xxxx");
    assert_int_equal(strlen(cib_errmsg(e->ctx)), strlen("storage.put: ") + 255);

    e->fs.cb_text = NULL; /* the harness then passes "disk on fire" */
    e->fs.cb_message = 0;
    assert_int_equal(cib_set_callback_error(e->ctx, NULL, 3), CIB_EINVAL);
    /* Without a message from the callback, the generic one. */
    expect_status(e, add_zed(e), CIB_ESTORAGE, "storage.put returned -100");
    /* A message set outside a failing callback does not leak into a later
     * call. */
    assert_int_equal(cib_set_callback_error(e->ctx, "stale", CIB_NTS), CIB_OK);
    expect_status(e, add_zed(e), CIB_ESTORAGE, "storage.put returned -100");
    tenv_free(e);
}

/* R-HOST-4: every way of calling cib_set_callback_error() wrongly is refused
 * with a message naming the argument. */
static void test_callback_error_arguments_R_HOST_4(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    assert_int_equal(cib_set_callback_error(NULL, NULL, 0), CIB_EINVAL);
    assert_int_equal(cib_set_callback_error(NULL, "x", CIB_NTS), CIB_EINVAL);
    const size_t lens[] = {0, 3, CIB_NTS};
    for (size_t i = 0; i < 3; i++)
        expect_status(e, cib_set_callback_error(e->ctx, NULL, lens[i]), CIB_EINVAL,
                      "invalid argument: 'msg' is NULL");
    expect_status(e, cib_set_callback_error(e->ctx, "quota", 0), CIB_EINVAL, "'msg' is empty");
    expect_status(e, cib_set_callback_error(e->ctx, "", CIB_NTS), CIB_EINVAL, "'msg' is empty");
    expect_status(e, cib_set_callback_error(e->ctx, "\0late", 5), CIB_EINVAL, "'msg' is empty");
    expect_status(e, cib_set_callback_error(e->ctx, "bad \xff byte", CIB_NTS), CIB_EINVAL, "'msg'");
    expect_status(e, cib_set_callback_error(e->ctx, "bell \a", CIB_NTS), CIB_EINVAL, "'msg'");
    /* Tabs and newlines are fine. */
    assert_int_equal(cib_set_callback_error(e->ctx, "two\nlines", CIB_NTS), CIB_OK);
    assert_int_equal(cib_set_callback_error(e->ctx, NULL, 0), CIB_EINVAL);
    e->fs.fail_at = e->fs.calls + 1;
    e->fs.cb_message = 1;
    e->fs.cb_text = "\xc3";
    e->fs.cb_len = 1; /* refused inside the callback: the generic message */
    cib_user_def d = CIB_USER_DEF_INIT;
    d.id = "zed";
    d.name = "Zed";
    expect_status(e, cib_user_add(e->ctx, &d), CIB_ESTORAGE, "storage.put returned -100");
    assert_int_equal(e->fs.cb_rc, CIB_EINVAL);
    /* A long message is cut between two characters: 254 bytes and a 2-byte
     * character do not fit in 255. */
    static char longer[300];
    memset(longer, 'x', 254);
    memcpy(longer + 254, "\xc3\xa9tail", 6);
    e->fs.fail_at = e->fs.calls + 1;
    e->fs.cb_text = longer;
    e->fs.cb_len = CIB_NTS;
    expect_status(e, cib_user_add(e->ctx, &d), CIB_ESTORAGE, "storage.put: xxx");
    assert_int_equal(e->fs.cb_rc, CIB_OK);
    assert_int_equal(strlen(cib_errmsg(e->ctx)), strlen("storage.put: ") + 254);
    tenv_free(e);
}

static void test_version(void **state)
{
    (void)state;
    assert_string_equal(cib_version(), CIB_VERSION_STRING);
    assert_string_equal(cib_version(), MESON_PROJECT_VERSION);
    assert_int_equal(cib_version_number(), CIB_VERSION_NUMBER);
    assert_int_equal(CIB_VERSION_NUMBER,
                     CIB_VERSION_MAJOR * 10000 + CIB_VERSION_MINOR * 100 + CIB_VERSION_PATCH);
}

static void test_null_ctx_everywhere(void **state)
{
    (void)state;
    cib_user_def u = CIB_USER_DEF_INIT;
    cib_team_def t = CIB_TEAM_DEF_INIT;
    cib_contact_def c = CIB_CONTACT_DEF_INIT;
    cib_pipeline_def p = CIB_PIPELINE_DEF_INIT;
    cib_inbox_def i = CIB_INBOX_DEF_INIT;
    cib_access_def a = CIB_ACCESS_DEF_INIT;
    cib_channel_def ch = CIB_CHANNEL_DEF_INIT;
    cib_user_info ui = CIB_USER_INFO_INIT;
    cib_contact_info ci = CIB_CONTACT_INFO_INIT;
    cib_inbox_info ii = CIB_INBOX_INFO_INIT;
    cib_channel_info chi = CIB_CHANNEL_INFO_INIT;
    const char *s = NULL;
    size_t n = 0;
    int allowed = 0;
    char *dump = NULL;
    assert_int_equal(cib_user_add(NULL, &u), CIB_EINVAL);
    assert_int_equal(cib_user_update(NULL, &u), CIB_EINVAL);
    assert_int_equal(cib_user_remove(NULL, "a", CIB_NTS), CIB_EINVAL);
    assert_int_equal(cib_user_get(NULL, "a", CIB_NTS, &ui), CIB_EINVAL);
    assert_int_equal(cib_team_add(NULL, &t), CIB_EINVAL);
    assert_int_equal(cib_team_update(NULL, &t), CIB_EINVAL);
    assert_int_equal(cib_team_remove(NULL, "a", CIB_NTS), CIB_EINVAL);
    assert_int_equal(cib_contact_add(NULL, &c), CIB_EINVAL);
    assert_int_equal(cib_contact_update(NULL, &c), CIB_EINVAL);
    assert_int_equal(cib_contact_remove(NULL, "a", CIB_NTS), CIB_EINVAL);
    assert_int_equal(cib_contact_get(NULL, "a", CIB_NTS, &ci), CIB_EINVAL);
    assert_int_equal(cib_contact_find_email(NULL, "a@b", CIB_NTS, &s), CIB_EINVAL);
    assert_int_equal(cib_pipeline_add(NULL, &p), CIB_EINVAL);
    assert_int_equal(cib_pipeline_remove(NULL, "a", CIB_NTS), CIB_EINVAL);
    assert_int_equal(cib_inbox_add(NULL, &i), CIB_EINVAL);
    assert_int_equal(cib_inbox_rename(NULL, "a", CIB_NTS, "b", CIB_NTS), CIB_EINVAL);
    assert_int_equal(cib_inbox_remove(NULL, "a", CIB_NTS, "b", CIB_NTS), CIB_EINVAL);
    assert_int_equal(cib_inbox_set_access(NULL, "a", CIB_NTS, &a), CIB_EINVAL);
    assert_int_equal(cib_inbox_get(NULL, "a", CIB_NTS, &ii), CIB_EINVAL);
    assert_int_equal(cib_inbox_foreach(NULL, NULL, 0, NULL, NULL), CIB_EINVAL);
    assert_int_equal(cib_access_check(NULL, "a", CIB_NTS, "b", CIB_NTS, 1, &allowed), CIB_EINVAL);
    assert_int_equal(cib_channel_add(NULL, &ch), CIB_EINVAL);
    assert_int_equal(cib_channel_set_status(NULL, "a", CIB_NTS, 1), CIB_EINVAL);
    assert_int_equal(cib_channel_get(NULL, "a", CIB_NTS, &chi), CIB_EINVAL);
    assert_int_equal(cib_list_count(NULL, 1, "a", CIB_NTS, &n), CIB_EINVAL);
    assert_int_equal(cib_list_item(NULL, 1, "a", CIB_NTS, 0, &s), CIB_EINVAL);
    assert_int_equal(cib_dump(NULL, &dump, NULL), CIB_EINVAL);
    assert_int_equal(cib_set_callback_error(NULL, "x", CIB_NTS), CIB_EINVAL);
    cib_free(NULL, NULL);
    cib_ctx_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_names_pinned_R_HOST_4),
        cmocka_unit_test(test_unknown_status_R_HOST_4),
        cmocka_unit_test(test_errmsg_is_set_and_cleared_R_HOST_4),
        cmocka_unit_test(test_callback_error_message_R_HOST_4),
        cmocka_unit_test(test_callback_error_arguments_R_HOST_4),
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_null_ctx_everywhere),
    };
    return TENV_RUN(tests);
}
