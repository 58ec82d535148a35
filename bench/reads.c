/*
 * reads.c - reading one conversation's messages (cib_conversation_messages)
 * as the other messages of the account grow, on the in-memory store, with
 * and without the store's find() (convinbox/store.h):
 *
 *   find   the store answers "messages of this conversation" itself
 *   scan   find NULL: the library scans every message and filters
 *
 * The account: one chat channel of the default inbox; the conversation
 * read has 3 messages; the others are N messages in conversations of 10
 * (N / 10 visitors, one thread key each). Each read is checked to deliver exactly the 3 messages.
 * Also printed: the bytes the store asked of its allocator, per message of
 * the account (every row of the account counted, divided by the messages).
 *
 *   reads [--quick] [--reps N] [--jsonl FILE] [N...]
 *
 * N defaults to 1000 100000 1000000 (--quick: 1000). The account grows from
 * one N to the next, so give them in ascending order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convinbox/store.h"
#include "harness.h"

/* The store's allocator: counts the bytes it asks for and holds. */
typedef struct counted {
    size_t size;
    size_t pad; /* keeps the block 16-byte aligned */
} counted;

static long long live_bytes;

static void *c_malloc(void *ud, size_t n)
{
    (void)ud;
    counted *c = malloc(sizeof *c + n);
    if (!c)
        return NULL;
    c->size = n;
    live_bytes += (long long)n;
    return c + 1;
}

static void c_free(void *ud, void *p)
{
    (void)ud;
    if (!p)
        return;
    counted *c = (counted *)p - 1;
    live_bytes -= (long long)c->size;
    free(c);
}

static void *c_realloc(void *ud, void *p, size_t n)
{
    if (!p)
        return c_malloc(ud, n);
    counted *c = (counted *)p - 1;
    size_t old = c->size;
    counted *d = realloc(c, sizeof *d + n);
    if (!d)
        return NULL;
    d->size = n;
    live_bytes += (long long)n - (long long)old;
    return d + 1;
}

enum { TARGET_MESSAGES = 3, PER_CONV = 10, B = 1000 };

static cib_ctx *open_ctx(cib_store *st)
{
    cib_options o = CIB_OPTIONS_INIT;
    o.store = st;
    o.hash_seed = 7;
    cib_ctx *ctx;
    bh_check(cib_ctx_new(&o, &ctx), NULL, "cib_ctx_new");
    return ctx;
}

/* Messages first..n-1 of the others (visitor i / PER_CONV), in batches. */
static void fill(cib_ctx *ctx, long first, long n)
{
    static cib_inbound msgs[B];
    static cib_ingest_result res[B];
    static int statuses[B];
    static char ids[B][24], from[B][48], thread[B][24];
    for (long done = first; done < n; done += B) {
        long k = n - done < B ? n - done : B;
        for (long i = 0; i < k; i++) {
            cib_inbound m = CIB_INBOUND_INIT;
            cib_ingest_result r = CIB_INGEST_RESULT_INIT;
            snprintf(ids[i], sizeof ids[i], "m%ld", done + i);
            snprintf(from[i], sizeof from[i], "visitor-%ld", (done + i) / PER_CONV);
            m.channel = "chat";
            m.msg_id = ids[i];
            m.from = from[i];
            snprintf(thread[i], sizeof thread[i], "k%ld", (done + i) / PER_CONV);
            m.thread = thread[i];
            m.thread_len = strlen(thread[i]);
            m.text = "Hello, I have a question about my order.";
            msgs[i] = m;
            res[i] = r;
        }
        bh_check(cib_ingest_batch(ctx, msgs, (size_t)k, res, statuses), ctx, "cib_ingest_batch");
        for (long i = 0; i < k; i++)
            bh_check(statuses[i], ctx, "a message of the batch");
    }
}

/* The account and the conversation read; returns its id. */
static uint64_t setup(cib_ctx *ctx)
{
    cib_channel_def d = CIB_CHANNEL_DEF_INIT;
    d.id = "chat";
    d.inbox = "default";
    d.type = CIB_CHANNEL_CHAT;
    bh_check(cib_channel_add(ctx, &d), ctx, "cib_channel_add");
    cib_user_def u = CIB_USER_DEF_INIT;
    u.id = "admin";
    u.name = "Admin";
    u.role = CIB_ROLE_ADMIN;
    bh_check(cib_user_add(ctx, &u), ctx, "cib_user_add");
    uint64_t conv = 0;
    for (int i = 0; i < TARGET_MESSAGES; i++) {
        char id[16];
        snprintf(id, sizeof id, "t%d", i);
        cib_inbound m = CIB_INBOUND_INIT;
        cib_ingest_result r = CIB_INGEST_RESULT_INIT;
        m.channel = "chat";
        m.msg_id = id;
        m.from = "target";
        m.thread = "target";
        m.thread_len = 6;
        m.text = "Where is my parcel?";
        bh_check(cib_ingest(ctx, &m, &r), ctx, "cib_ingest");
        if (conv && r.conversation != conv) {
            fprintf(stderr, "reads: the target's messages went to two conversations\n");
            exit(1);
        }
        conv = r.conversation;
    }
    return conv;
}

static int count_msg(void *data, const cib_message_info *m)
{
    (void)m;
    ++*(long *)data;
    return 0;
}

static void measure(cib_store st, int use_find, uint64_t conv, long others)
{
    /* A read that visits every message: fewer of them. */
    long ops = use_find && st.find ? 1000 : others >= 100000 ? 2 : 50;
    if (!use_find)
        st.find = NULL;
    cib_ctx *ctx = open_ctx(&st);
    if (bh_quick())
        ops = 4;
    char params[160];
    snprintf(params, sizeof params, "store=memory method=%s others=%ld messages=%d",
             use_find ? "find" : "scan", others, TARGET_MESSAGES);
    bh_meas m;
    bh_begin(&m, "conversation.messages", params, ops);
    while (bh_next(&m)) {
        long got = 0;
        bh_start(&m);
        for (long i = 0; i < ops; i++)
            bh_check(cib_conversation_messages(ctx, "admin", CIB_NTS, conv, count_msg, &got), ctx,
                     "cib_conversation_messages");
        bh_stop(&m);
        if (got != ops * TARGET_MESSAGES) {
            fprintf(stderr, "reads: %ld messages delivered, want %ld\n", got,
                    ops * TARGET_MESSAGES);
            exit(1);
        }
    }
    bh_end(&m);
    cib_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    argc = bh_init("reads", argc, argv, 5);
    long sizes[16] = {1000, 100000, 1000000};
    int n_sizes = 3;
    if (bh_quick())
        n_sizes = 1;
    if (argc > 1) {
        n_sizes = 0;
        for (int i = 1; i < argc && n_sizes < 16; i++)
            sizes[n_sizes++] = atol(argv[i]);
    }
    cib_allocator a = CIB_ALLOCATOR_INIT;
    a.malloc_fn = c_malloc;
    a.realloc_fn = c_realloc;
    a.free_fn = c_free;
    cib_store st;
    bh_check(cib_memstore_new(&a, &st), NULL, "cib_memstore_new");
    cib_ctx *ctx = open_ctx(&st);
    uint64_t conv = setup(ctx);
    long have = 0;
    bh_table("One conversation's 3 messages (cib_conversation_messages)");
    for (int i = 0; i < n_sizes; i++) {
        if (sizes[i] < have) {
            fprintf(stderr, "reads: give N in ascending order\n");
            return 2;
        }
        if (!ctx)
            ctx = open_ctx(&st);
        fill(ctx, have, sizes[i]);
        have = sizes[i];
        cib_ctx_free(ctx);
        ctx = NULL;
        char params[96];
        snprintf(params, sizeof params, "store=memory others=%ld", have);
        bh_value("store.bytes_per_message", params,
                 (double)live_bytes / (double)(have + TARGET_MESSAGES), "B");
        measure(st, 1, conv, have);
        measure(st, 0, conv, have);
    }
    st.close(st.user_data);
    return 0;
}
