/*
 * memory.c - bytes of working set per contact, per open conversation and per
 * idempotency key, and the peak resident set of a process holding N contacts
 * and N open conversations with the in-memory store.
 *
 *   memory [--quick] [--jsonl FILE] [N]
 *
 * N objects of each kind: default 1,000,000, --quick 2,000; an N given on
 * the command line wins over --quick. --reps is accepted and changes nothing
 * (memory figures do not vary between repetitions).
 *
 * Peak RSS (runs first, so that the process's high-water mark is its own).
 * One context with the in-memory store: N contacts added by the host (id and
 * email), then one email from each, with a thread key, opening N
 * conversations (and N idempotency keys). Then the process's peak resident
 * set (getrusage ru_maxrss; VmHWM in /proc/self/status agrees), its current
 * resident set (VmRSS), and what is live in the context's allocator (the
 * working set) and in the store's (rows: contacts, conversations, message
 * bodies, keys, threads). Both allocators count what glibc reserves
 * (malloc_usable_size plus the 8-byte chunk header) and add nothing to the
 * blocks, so the process's memory is what it would be without counting.
 *
 * Per object. Contexts with a counting allocator that keeps each block's
 * size in a 16-byte header, so both what the library asks for and what
 * glibc reserves are known. Their store keeps nothing (every write succeeds,
 * every read finds nothing, as the in-memory store answers for these new
 * keys): the working set does not depend on what the store holds, and
 * N = 1,000,000 then needs no gigabytes of rows. Each figure is the growth
 * of live bytes over N objects divided by N, hash-table growth included:
 *   - contacts the host adds (id, email);
 *   - idempotency keys: after one warm-up message, N messages joining its
 *     open conversation;
 *   - open conversations of known contacts, without and with a thread key,
 *     one message each, less the key cost;
 *   - contacts created by an inbound message, less the cost of a
 *     conversation without thread key and of its key.
 * Each measurement of ingest has a context of its own, starting after the
 * same warm-up message as the keys: tables that several measurements grow
 * (conversations by id, keys) are then at the same point of their
 * power-of-two growth in a measurement and in the key cost subtracted from
 * it, so the subtraction leaves the object's own bytes.
 * "Reserved" is the chunk glibc gives a request of the asked size: below the
 * mmap threshold a chunk for n + 16 bytes is exactly 16 bytes larger than
 * one for n, so the header is taken off again.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "convinbox/store.h"
#include "harness.h"

#define HEADER     16 /* bytes before each block of the sized allocator */
#define MIB        (1024.0 * 1024.0)
#define N_DEFAULT  1000000L
#define N_QUICK    2000L
#define N_MIN      1000L
#define N_MAX      100000000L
#define HASH_SEED  0x243f6a8885a308d3ull /* fixed: hash-table growth is reproducible */
#define START_TIME 1767571200000LL

/* Live bytes of one allocator. */
typedef struct counter {
    long long asked;    /* requested (sized allocator only) */
    long long reserved; /* what glibc sets aside for them */
} counter;

/* ---- the sized allocator: asked and reserved, a header per block ---- */

static size_t sized_reserved(void *block)
{
    return malloc_usable_size(block) + sizeof(size_t) - HEADER;
}

static void *sized_malloc(void *ud, size_t n)
{
    counter *c = ud;
    void *p = malloc(n + HEADER);
    if (!p)
        return NULL;
    memcpy(p, &n, sizeof n);
    c->asked += (long long)n;
    c->reserved += (long long)sized_reserved(p);
    return (char *)p + HEADER;
}

static void sized_free(void *ud, void *q)
{
    counter *c = ud;
    if (!q)
        return;
    void *p = (char *)q - HEADER;
    size_t n;
    memcpy(&n, p, sizeof n);
    c->asked -= (long long)n;
    c->reserved -= (long long)sized_reserved(p);
    free(p);
}

static void *sized_realloc(void *ud, void *q, size_t n)
{
    if (!q)
        return sized_malloc(ud, n);
    void *r = sized_malloc(ud, n);
    if (!r)
        return NULL;
    size_t old;
    memcpy(&old, (char *)q - HEADER, sizeof old);
    memcpy(r, q, old < n ? old : n);
    sized_free(ud, q);
    return r;
}

/* ---- the lean allocator: reserved only, blocks as malloc makes them ---- */

static long long lean_reserved(void *p)
{
    return p ? (long long)(malloc_usable_size(p) + sizeof(size_t)) : 0;
}

static void *lean_malloc(void *ud, size_t n)
{
    counter *c = ud;
    void *p = malloc(n);
    c->reserved += lean_reserved(p);
    return p;
}

static void lean_free(void *ud, void *p)
{
    counter *c = ud;
    c->reserved -= lean_reserved(p);
    free(p);
}

static void *lean_realloc(void *ud, void *q, size_t n)
{
    counter *c = ud;
    long long old = lean_reserved(q);
    void *p = realloc(q, n);
    if (!p)
        return NULL;
    c->reserved += lean_reserved(p) - old;
    return p;
}

static cib_allocator allocator(counter *c, int sized)
{
    cib_allocator a = CIB_ALLOCATOR_INIT;
    a.user_data = c;
    a.malloc_fn = sized ? sized_malloc : lean_malloc;
    a.realloc_fn = sized ? sized_realloc : lean_realloc;
    a.free_fn = sized ? sized_free : lean_free;
    return a;
}

/* ---- a store that keeps nothing ---- */

static int null_tx(void *ud)
{
    (void)ud;
    return CIB_OK;
}

static void null_rollback(void *ud)
{
    (void)ud;
}

static int null_put(void *ud, const cib_row *row)
{
    (void)ud;
    (void)row;
    return CIB_OK;
}

static int null_del(void *ud, int kind, const char *key, size_t key_len)
{
    (void)ud;
    (void)kind;
    (void)key;
    (void)key_len;
    return CIB_OK;
}

static int null_get(void *ud, int kind, const char *key, size_t key_len, cib_row_fn fn,
                    void *cb_data)
{
    (void)ud;
    (void)kind;
    (void)key;
    (void)key_len;
    (void)fn;
    (void)cb_data;
    return CIB_ENOTFOUND;
}

static int null_scan(void *ud, int kind, cib_row_fn fn, void *cb_data)
{
    (void)ud;
    (void)kind;
    (void)fn;
    (void)cb_data;
    return CIB_OK;
}

static cib_store null_store(void)
{
    cib_store s = CIB_STORE_INIT;
    s.begin = null_tx;
    s.commit = null_tx;
    s.rollback = null_rollback;
    s.put = null_put;
    s.del = null_del;
    s.get = null_get;
    s.scan = null_scan;
    return s;
}

/* ---- the account ---- */

static int64_t clock_fn(void *ud)
{
    (void)ud;
    return START_TIME;
}

/* A context with one inbox and its email channel "mail". */
static cib_ctx *account(const cib_allocator *a, const cib_store *store)
{
    cib_options o = CIB_OPTIONS_INIT;
    o.allocator = a;
    o.store = store;
    o.clock = clock_fn;
    o.hash_seed = HASH_SEED;
    cib_ctx *ctx = NULL;
    bh_check(cib_ctx_new(&o, &ctx), ctx, "cib_ctx_new");
    cib_inbox_def ib = CIB_INBOX_DEF_INIT;
    ib.id = "support";
    ib.name = "Support";
    bh_check(cib_inbox_add(ctx, &ib), ctx, "cib_inbox_add");
    cib_channel_def ch = CIB_CHANNEL_DEF_INIT;
    ch.id = "mail";
    ch.inbox = "support";
    ch.type = CIB_CHANNEL_EMAIL;
    ch.address = "help@acme.test";
    bh_check(cib_channel_add(ctx, &ch), ctx, "cib_channel_add");
    return ctx;
}

static void add_contacts(cib_ctx *ctx, long n)
{
    char id[64], email[64];
    for (long i = 0; i < n; i++) {
        snprintf(id, sizeof id, "contact-%ld", i);
        snprintf(email, sizeof email, "person%ld@example.test", i);
        cib_contact_def d = CIB_CONTACT_DEF_INIT;
        d.id = id;
        d.email = email;
        bh_check(cib_contact_add(ctx, &d), ctx, "cib_contact_add");
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
    bh_check(cib_ingest(ctx, &m, &r), ctx, "cib_ingest");
}

/* One message from each of "<sender>0@example.test" .. "<sender>(n-1)@...",
 * message ids "<tag>-<i>", each opening a conversation; with a thread key
 * "<thread>-<i>" when `thread` is not NULL. */
static void open_conversations(cib_ctx *ctx, const char *sender, const char *tag,
                               const char *thread, long n)
{
    char email[64], msg[64], key[64];
    for (long i = 0; i < n; i++) {
        snprintf(email, sizeof email, "%s%ld@example.test", sender, i);
        snprintf(msg, sizeof msg, "<%s-%ld@mail.example.test>", tag, i);
        if (thread)
            snprintf(key, sizeof key, "<%s-%ld@mail.example.test>", thread, i);
        ingest(ctx, email, msg, thread ? key : NULL);
    }
}

static void free_account(cib_ctx *ctx, const counter *c, const char *what)
{
    cib_ctx_free(ctx);
    if (c->asked || c->reserved) {
        fprintf(stderr,
                "memory: %s: %lld bytes (%lld reserved) still allocated after cib_ctx_free\n", what,
                c->asked, c->reserved);
        exit(1);
    }
}

/* ---- peak resident set ---- */

/* A "Name:   N kB" line of /proc/self/status in bytes, or -1. */
static double proc_status(const char *name)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    size_t len = strlen(name);
    double v = -1;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, name, len) && line[len] == ':') {
            v = strtod(line + len + 1, NULL) * 1024.0;
            break;
        }
    fclose(f);
    return v;
}

static void peak(long n)
{
    counter work = {0, 0}, rows = {0, 0};
    cib_allocator wa = allocator(&work, 0), sa = allocator(&rows, 0);
    cib_store store;
    if (cib_memstore_new(&sa, &store)) {
        fprintf(stderr, "memory: cib_memstore_new failed\n");
        exit(1);
    }
    double start = proc_status("VmRSS");
    cib_ctx *ctx = account(&wa, &store);
    add_contacts(ctx, n);
    open_conversations(ctx, "person", "msg", "thread", n);

    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double maxrss = (double)ru.ru_maxrss * 1024.0; /* KiB on Linux */
    double hwm = proc_status("VmHWM"), rss = proc_status("VmRSS");
    char params[128], title[160];
    snprintf(params, sizeof params, "contacts=%ld conversations=%ld store=memory thread=yes", n, n);
    snprintf(title, sizeof title,
             "Peak RSS: %ld contacts and %ld open conversations in one context, "
             "in-memory store (MiB)",
             n, n);
    bh_table(title);
    bh_value("memory.peak_rss", params, maxrss / MIB, "MiB");
    if (hwm >= 0)
        bh_value("memory.peak_rss.vmhwm", params, hwm / MIB, "MiB");
    if (rss >= 0)
        bh_value("memory.rss", params, rss / MIB, "MiB");
    if (start >= 0)
        bh_value("memory.rss.start", params, start / MIB, "MiB");
    bh_value("memory.working_set", params, (double)work.reserved / MIB, "MiB");
    bh_value("memory.store", params, (double)rows.reserved / MIB, "MiB");
    printf("\n(peak_rss: ru_maxrss, the high-water mark since the process started; rss: VmRSS\n"
           " now, rss.start: VmRSS before the context was made. working_set and store:\n"
           " bytes glibc reserves for the live blocks of the context's and the store's\n"
           " allocators. The peak includes the moments when a growing table and its\n"
           " successor are both allocated.)\n");
    fflush(stdout);
    free_account(ctx, &work, "peak: context");
    store.close(store.user_data);
    if (rows.reserved) {
        fprintf(stderr, "memory: peak: %lld bytes still allocated by the store after close\n",
                rows.reserved);
        exit(1);
    }
}

/* ---- bytes per object ---- */

typedef struct cost {
    double asked, reserved;
} cost;

static cost per(counter before, counter after, long n)
{
    return (cost){(double)(after.asked - before.asked) / (double)n,
                  (double)(after.reserved - before.reserved) / (double)n};
}

static void row(const char *name, const char *params, const char *unit, cost v)
{
    char u[64];
    snprintf(u, sizeof u, "bytes/%s (asked)", unit);
    bh_value(name, params, v.asked, u);
    snprintf(u, sizeof u, "bytes/%s (reserved)", unit);
    bh_value(name, params, v.reserved, u);
}

/* A context for one measurement: the sized allocator (counting into *c),
 * a store that keeps nothing, and `contacts` contacts the host added. */
static cib_ctx *fresh(counter *c, long contacts)
{
    *c = (counter){0, 0};
    cib_allocator a = allocator(c, 1);
    cib_store store = null_store();
    cib_ctx *ctx = account(&a, &store);
    add_contacts(ctx, contacts);
    return ctx;
}

/* Every measurement of ingest starts after this one message: one open
 * conversation (with a thread key), one key. */
static void warm_up(cib_ctx *ctx)
{
    ingest(ctx, "person0@example.test", "warm-up", "one-thread");
}

/* `n` conversations of `sender`s, measured after a warm-up, less the key
 * cost and `minus`. */
static cost conversations(long n, long contacts, const char *sender, const char *thread, cost key,
                          cost minus)
{
    counter c;
    cib_ctx *ctx = fresh(&c, contacts);
    warm_up(ctx);
    counter before = c;
    open_conversations(ctx, sender, "new", thread, n);
    cost v = per(before, c, n);
    v.asked -= key.asked + minus.asked;
    v.reserved -= key.reserved + minus.reserved;
    free_account(ctx, &c, sender);
    return v;
}

static void objects(long n)
{
    char title[128], params[64], msg[64];
    snprintf(title, sizeof title, "Working set per object, N = %ld (bytes)", n);
    bh_table(title);

    /* Contacts the host adds, with an email. */
    counter c;
    cib_ctx *ctx = fresh(&c, 0);
    counter before = c;
    add_contacts(ctx, n);
    snprintf(params, sizeof params, "n=%ld added_by=host", n);
    row("memory.contact", params, "contact", per(before, c, n));

    /* Idempotency keys: messages joining one open conversation. */
    warm_up(ctx);
    before = c;
    for (long i = 0; i < n; i++) {
        snprintf(msg, sizeof msg, "<key-%ld@mail.example.test>", i);
        ingest(ctx, "person0@example.test", msg, "one-thread");
    }
    cost key = per(before, c, n);
    snprintf(params, sizeof params, "n=%ld", n);
    row("memory.idempotency_key", params, "key", key);
    free_account(ctx, &c, "contacts and keys");

    /* Open conversations of known contacts, without and with a thread key. */
    cost none = {0, 0};
    cost plain = conversations(n, n, "person", NULL, key, none);
    snprintf(params, sizeof params, "n=%ld thread=no", n);
    row("memory.conversation", params, "conversation", plain);
    cost threaded = conversations(n, n, "person", "thread", key, none);
    snprintf(params, sizeof params, "n=%ld thread=yes", n);
    row("memory.conversation", params, "conversation", threaded);

    /* Contacts created by inbound messages, less their conversation. */
    cost created = conversations(n, 0, "stranger", NULL, key, plain);
    snprintf(params, sizeof params, "n=%ld added_by=ingest", n);
    row("memory.contact", params, "contact", created);

    printf("\n(each measurement has a context of its own, so its tables grow from the same\n"
           " start as in the key measurement; conversation figures subtract the key cost,\n"
           " the contact created by an inbound message also that of a conversation without\n"
           " thread key; figures include amortised hash-table growth)\n");
    fflush(stdout);
}

static void usage(void)
{
    fprintf(stderr,
            "usage: memory [--quick] [--jsonl FILE] [N]\n"
            "  N: objects of each kind, %ld to %ld (default %ld; --quick: %ld)\n",
            N_MIN, N_MAX, N_DEFAULT, N_QUICK);
    exit(2);
}

int main(int argc, char **argv)
{
    argc = bh_init("memory", argc, argv, 1);
    long n = bh_quick() ? N_QUICK : N_DEFAULT;
    if (argc > 2)
        usage();
    if (argc == 2) {
        char *end;
        errno = 0;
        n = strtol(argv[1], &end, 10);
        if (argv[1][0] < '0' || argv[1][0] > '9' || errno || *end || n < N_MIN || n > N_MAX)
            usage();
    }
    peak(n);
    objects(n);
    return 0;
}
