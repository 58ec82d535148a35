/* test_stack.c - the ingest path runs in a small stack (R-HOST-1): a host
 * may call the library from threads of its own with small stacks (an event
 * loop's workers, coroutines), so a message, even with the most CC
 * addresses and attachments and ids of the longest length, must not need
 * a large frame. Each ingest runs on a thread whose stack is STACK bytes;
 * a frame too large overruns the guard page and crashes the test. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/testenv.h"

/* The stack given to each call. Sanitizers' red zones make frames several
 * times larger: there the size only guards against unbounded growth. */
#if defined(__SANITIZE_ADDRESS__)
#define STACK (256 * 1024)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define STACK (256 * 1024)
#endif
#endif
#ifndef STACK
#define STACK (16 * 1024)
#endif

typedef struct job {
    cib_ctx *ctx;
    const cib_inbound *msg;
    int rc;
} job;

static void *run(void *arg)
{
    job *j = arg;
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    j->rc = cib_ingest(j->ctx, j->msg, &r);
    return NULL;
}

static int ingest_small(cib_ctx *ctx, const cib_inbound *m)
{
    pthread_attr_t a;
    pthread_t t;
    job j = {ctx, m, -999};
    assert_int_equal(pthread_attr_init(&a), 0);
    assert_int_equal(pthread_attr_setstacksize(&a, STACK), 0);
    assert_int_equal(pthread_create(&t, &a, run, &j), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_attr_destroy(&a);
    return j.rc;
}

static void test_small_stack_R_HOST_1(void **state)
{
    (void)state;
    tenv *e = tenv_new();
    add_channel(e, "mail", "default", CIB_CHANNEL_EMAIL, "help@acme.test");
    add_channel(e, "page", "default", CIB_CHANNEL_MESSENGER, "page-1");
    /* A plain message, then the largest one: 100 CC addresses, 100
     * attachments, a thread and ids of the longest length allowed. */
    cib_inbound m = inbound_msg("mail", "m1", "carol@example.test", "t1");
    expect_status(e, ingest_small(e->ctx, &m), CIB_OK, NULL);
    static char cc_buf[100][32];
    static const char *cc[100];
    static cib_attachment att[100];
    for (int i = 0; i < 100; i++) {
        snprintf(cc_buf[i], sizeof cc_buf[i], "cc%d@example.test", i);
        cc[i] = cc_buf[i];
        cib_attachment a = CIB_ATTACHMENT_INIT;
        a.kind = CIB_ATTACH_FILE;
        a.name = "report.pdf";
        a.bytes = 1000;
        att[i] = a;
    }
    static char long_id[256], long_from[256];
    memset(long_id, 'i', 255);
    memset(long_from, 'v', 255);
    cib_inbound big = inbound_msg("mail", long_id, "dave@example.test", long_id);
    big.cc = cc;
    big.n_cc = 100;
    big.attachments = att;
    big.n_attachments = 100;
    big.text = "with everything";
    expect_status(e, ingest_small(e->ctx, &big), CIB_OK, NULL);
    /* A Messenger sender with the longest id: the address is longer than
     * the path's own buffer for it. */
    cib_inbound fb = inbound_msg("page", "f1", long_from, NULL);
    expect_status(e, ingest_small(e->ctx, &fb), CIB_OK, NULL);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    cib_inbound again = inbound_msg("page", "f2", long_from, NULL);
    expect_status(e, cib_ingest(e->ctx, &again, &r), CIB_OK, NULL);
    assert_false(r.contact_created); /* the long address found its contact */
    tenv_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_stack_R_HOST_1),
    };
    return TENV_RUN(tests);
}
