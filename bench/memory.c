/*
 * memory.c - bytes of working set per contact, per open conversation and per
 * idempotency key.
 *
 * The context gets a counting allocator; its store gets another, so only the
 * working set is counted (the store holds the message bodies). Each figure is
 * the growth of live bytes over N objects divided by N, hash-table growth
 * included, both as requested from the allocator and as glibc really
 * reserves them (malloc_usable_size plus its 8-byte chunk header).
 *
 *   memory [N]     (default 100000)
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convinbox.h"
#include "convinbox/store.h"

typedef struct counter {
    long long requested, reserved;
} counter;

static size_t reserved_size(void *p)
{
    return malloc_usable_size(p) + sizeof(size_t);
}

static void *c_malloc(void *ud, size_t n)
{
    counter *c = ud;
    void *p = malloc(n + 16);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    c->requested += (long long)n;
    c->reserved += (long long)reserved_size(p);
    return (char *)p + 16;
}

static void c_free(void *ud, void *q)
{
    counter *c = ud;
    if (!q)
        return;
    void *p = (char *)q - 16;
    size_t n;
    memcpy(&n, p, sizeof n);
    c->requested -= (long long)n;
    c->reserved -= (long long)reserved_size(p);
    free(p);
}

static void *c_realloc(void *ud, void *q, size_t n)
{
    if (!q)
        return c_malloc(ud, n);
    void *r = c_malloc(ud, n);
    if (!r)
        return NULL;
    size_t old;
    memcpy(&old, (char *)q - 16, sizeof old);
    memcpy(r, q, old < n ? old : n);
    c_free(ud, q);
    return r;
}

static int64_t now_ms = 1767571200000LL;

static int64_t clock_fn(void *ud)
{
    (void)ud;
    return now_ms;
}

static void check(int rc, cib_ctx *ctx, const char *what)
{
    if (rc) {
        fprintf(stderr, "%s: %s: %s\n", what, cib_status_name(rc), cib_errmsg(ctx));
        exit(1);
    }
}

static void ingest(cib_ctx *ctx, const char *from, const char *msg_id, const char *thread)
{
    cib_inbound m = CIB_INBOUND_INIT;
    m.channel = "mail";
    m.msg_id = msg_id;
    m.from = from;
    m.thread = thread;
    m.text = "Hello, I need help with my order.";
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    check(cib_ingest(ctx, &m, &r), ctx, "cib_ingest");
}

static void report(const char *what, counter before, counter after, long n)
{
    printf("| %-46s | %8.1f | %8.1f |\n", what, (double)(after.requested - before.requested) / n,
           (double)(after.reserved - before.reserved) / n);
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    if (n < 1000)
        n = 1000;
    counter c = {0, 0};
    cib_allocator a = CIB_ALLOCATOR_INIT;
    a.user_data = &c;
    a.malloc_fn = c_malloc;
    a.realloc_fn = c_realloc;
    a.free_fn = c_free;
    cib_store store;
    if (cib_memstore_new(NULL, &store))
        return 1;
    cib_options o = CIB_OPTIONS_INIT;
    o.allocator = &a;
    o.store = &store;
    o.clock = clock_fn;
    cib_ctx *ctx = NULL;
    check(cib_ctx_new(&o, &ctx), ctx, "cib_ctx_new");
    cib_inbox_def ib = CIB_INBOX_DEF_INIT;
    ib.id = "support";
    ib.name = "Support";
    check(cib_inbox_add(ctx, &ib), ctx, "cib_inbox_add");
    cib_channel_def ch = CIB_CHANNEL_DEF_INIT;
    ch.id = "mail";
    ch.inbox = "support";
    ch.type = CIB_CHANNEL_EMAIL;
    ch.address = "help@acme.test";
    check(cib_channel_add(ctx, &ch), ctx, "cib_channel_add");
    char id[64], email[64], msg[64];

    printf("Working set per object, N = %ld (bytes)\n\n", n);
    printf("| %-46s | %8s | %8s |\n", "object", "asked", "reserved");
    printf("|%s|%s|%s|\n", "------------------------------------------------", "----------",
           "----------");

    /* Contacts the host adds, with an email. */
    counter before = c;
    for (long i = 0; i < n; i++) {
        snprintf(id, sizeof id, "contact-%ld", i);
        snprintf(email, sizeof email, "person%ld@example.test", i);
        cib_contact_def d = CIB_CONTACT_DEF_INIT;
        d.id = id;
        d.email = email;
        check(cib_contact_add(ctx, &d), ctx, "cib_contact_add");
    }
    report("contact (host id, email)", before, c, n);

    /* Idempotency keys: messages joining one open conversation. */
    ingest(ctx, "person0@example.test", "warm-up", "one-thread");
    before = c;
    for (long i = 0; i < n; i++) {
        snprintf(msg, sizeof msg, "<key-%ld@mail.example.test>", i);
        ingest(ctx, "person0@example.test", msg, "one-thread");
    }
    counter keys = c;
    double per_key = (double)(keys.reserved - before.reserved) / n;
    report("idempotency key", before, c, n);

    /* Open conversations without a thread key (each message opens one). */
    before = c;
    for (long i = 0; i < n; i++) {
        snprintf(email, sizeof email, "person%ld@example.test", i);
        snprintf(msg, sizeof msg, "<new-%ld@mail.example.test>", i);
        ingest(ctx, email, msg, NULL);
    }
    counter plain = c;
    printf("| %-46s | %8.1f | %8.1f |\n", "open conversation (no thread key)",
           (double)(plain.requested - before.requested) / n - per_key,
           (double)(plain.reserved - before.reserved) / n - per_key);

    /* Open conversations with a thread key. */
    before = c;
    for (long i = 0; i < n; i++) {
        snprintf(email, sizeof email, "person%ld@example.test", i);
        snprintf(msg, sizeof msg, "<thr-%ld@mail.example.test>", i);
        snprintf(id, sizeof id, "<thread-%ld@mail.example.test>", i);
        ingest(ctx, email, msg, id);
    }
    printf("| %-46s | %8.1f | %8.1f |\n", "open conversation (thread key)",
           (double)(c.requested - before.requested) / n - per_key,
           (double)(c.reserved - before.reserved) / n - per_key);

    /* Contacts created by inbound messages (with their conversation). */
    before = c;
    for (long i = 0; i < n; i++) {
        snprintf(email, sizeof email, "stranger%ld@example.test", i);
        snprintf(msg, sizeof msg, "<auto-%ld@mail.example.test>", i);
        ingest(ctx, email, msg, NULL);
    }
    double conv = (double)(plain.reserved - keys.reserved) / n - per_key;
    printf("| %-46s | %8s | %8.1f |\n", "contact (created by an inbound message)", "",
           (double)(c.reserved - before.reserved) / n - per_key - conv);
    printf("\n(open conversation and key figures subtract the measured key cost;\n"
           " per-object figures include amortised hash-table growth)\n");
    cib_ctx_free(ctx);
    store.close(store.user_data);
    return 0;
}
