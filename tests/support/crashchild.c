/* crashchild.c - the child side of the crash test (see crashchild.h): the
 * stream, and the loop that runs it and reports each call. */
#include "crashchild.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "convinbox/sqlite.h"

/* The stream's fixed seed (each test seeds its delays itself). */
#define STREAM_SEED 0x5eedc0ffee123457ULL

/* ------------------------------------------------------------------------ */
/* The stream: a pure function of the position                              */
/* ------------------------------------------------------------------------ */

uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t hash_at(unsigned pos, unsigned salt)
{
    return mix64(STREAM_SEED ^ ((uint64_t)pos << 8) ^ salt);
}

enum step_kind {
    STEP_INBOUND = 1,
    STEP_BATCH,
    STEP_REPLY,
    STEP_COMMENT,
    STEP_CLOSE,
    STEP_ASSIGN,
    STEP_STATUS,
    STEP_INBOX
};

static int in_batch_block(unsigned pos)
{
    return hash_at(pos / BLOCK, 1) % 4 == 0;
}

static int step_kind(unsigned pos)
{
    if (in_batch_block(pos))
        return STEP_BATCH;
    unsigned h = (unsigned)(hash_at(pos, 2) % 100);
    if (hash_at(pos, 5) % 400 == 0)
        return STEP_INBOX;
    return h < 78   ? STEP_INBOUND
           : h < 86 ? STEP_REPLY
           : h < 89 ? STEP_COMMENT
           : h < 94 ? STEP_CLOSE
           : h < 97 ? STEP_ASSIGN
                    : STEP_STATUS;
}

/* The inbound message at a position (see crashchild.h). */
void message_at(unsigned pos, msgbuf *b, cib_inbound *m)
{
    uint64_t h = hash_at(pos, 3);
    int chat = h % 10 < 3;
    unsigned r = (unsigned)(h >> 8) % 100, who = (unsigned)(h >> 16) % 50;
    unsigned t = (unsigned)(h >> 24) % 100, back = 1 + (unsigned)(h >> 32) % 40;
    snprintf(b->msg_id, sizeof b->msg_id, "m%06u", pos);
    if (chat && r < 45)
        snprintf(b->from, sizeof b->from, "v%u", who % 30);
    else if (r < 80)
        snprintf(b->from, sizeof b->from, "s%u@example.com", who);
    else
        snprintf(b->from, sizeof b->from, "n%u@example.com", pos);
    if (t < 40 || (t < 85 && pos < back))
        snprintf(b->thread, sizeof b->thread, "t%u", pos);
    else if (t < 85)
        snprintf(b->thread, sizeof b->thread, "t%u", pos - back);
    else
        b->thread[0] = '\0';
    snprintf(b->text, sizeof b->text, "message %u\nsecond line", pos);
    cib_inbound init = CIB_INBOUND_INIT;
    *m = init;
    m->channel = chat ? "chat" : "mail";
    m->msg_id = b->msg_id;
    m->from = b->from;
    m->thread = b->thread[0] ? b->thread : NULL;
    m->text = b->text;
}

/* ------------------------------------------------------------------------ */
/* The child                                                                */
/* ------------------------------------------------------------------------ */

static void say(int fd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* One record, in one write(2): a record is shorter than PIPE_BUF, so it is
 * in the pipe whole or not at all. */
static void say(int fd, const char *fmt, ...)
{
    char line[384];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        _exit(5);
    size_t left = (size_t)n < sizeof line ? (size_t)n : sizeof line - 1;
    const char *p = line;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            _exit(4);
        p += w;
        left -= (size_t)w;
    }
}

static int send_ok(void *user_data, const cib_outbound *msg)
{
    (void)user_data;
    (void)msg;
    return 0;
}

/* Conversations this child has seen, the targets of its actions. */
typedef struct recent {
    uint64_t ids[32];
    size_t n, next;
} recent;

static void recent_add(recent *r, uint64_t id)
{
    if (!id) /* a duplicate whose conversation is gone */
        return;
    for (size_t i = 0; i < r->n; i++)
        if (r->ids[i] == id)
            return;
    r->ids[r->next] = id;
    r->next = (r->next + 1) % 32;
    if (r->n < 32)
        r->n++;
}

static void child_fail(int fd, cib_ctx *ctx, unsigned pos, int rc)
{
    say(fd, "err %u %d %s\n", pos, rc, cib_errmsg(ctx));
    _exit(3);
}

static void child_inbound(cib_ctx *ctx, int fd, unsigned pos, recent *rc_convs)
{
    msgbuf b;
    cib_inbound m;
    message_at(pos, &b, &m);
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    say(fd, "start %u 1\n", pos);
    int rc = cib_ingest(ctx, &m, &r);
    if (rc != CIB_OK)
        child_fail(fd, ctx, pos, rc);
    say(fd, "%s %u %llu\n", r.duplicate ? "dup" : "ok", pos, (unsigned long long)r.message);
    recent_add(rc_convs, r.conversation);
}

static void child_batch(cib_ctx *ctx, int fd, unsigned pos, unsigned end, recent *rc_convs)
{
    msgbuf b[BLOCK];
    cib_inbound m[BLOCK];
    cib_ingest_result r[BLOCK];
    int statuses[BLOCK];
    unsigned n = end - pos;
    for (unsigned i = 0; i < n; i++) {
        cib_ingest_result init = CIB_INGEST_RESULT_INIT;
        message_at(pos + i, &b[i], &m[i]);
        r[i] = init;
    }
    say(fd, "start %u %u\n", pos, n);
    int rc = cib_ingest_batch(ctx, m, n, r, statuses);
    if (rc != CIB_OK)
        child_fail(fd, ctx, pos, rc);
    for (unsigned i = 0; i < n; i++) {
        if (statuses[i] != CIB_OK)
            child_fail(fd, ctx, pos + i, statuses[i]);
        say(fd, "%s %u %llu\n", r[i].duplicate ? "dup" : "ok", pos + i,
            (unsigned long long)r[i].message);
        recent_add(rc_convs, r[i].conversation);
    }
}

static void child_action(cib_ctx *ctx, int fd, unsigned pos, int kind, const recent *convs)
{
    uint64_t h = hash_at(pos, 4);
    char user[8], to[8];
    snprintf(user, sizeof user, "u%u", (unsigned)(h % USERS));
    snprintf(to, sizeof to, "u%u", (unsigned)((h >> 8) % USERS));
    if (kind == STEP_INBOX) {
        char id[16], name[24];
        snprintf(id, sizeof id, "x%06u", pos);
        snprintf(name, sizeof name, "Inbox %u", pos);
        cib_inbox_def ib = CIB_INBOX_DEF_INIT;
        ib.id = id;
        ib.name = name;
        say(fd, "start %u 1\n", pos);
        int rc = cib_inbox_add(ctx, &ib);
        if (rc == CIB_ELIMIT) { /* the account's 100 inboxes */
            say(fd, "skip %u %d\n", pos, rc);
            return;
        }
        if (rc != CIB_OK)
            child_fail(fd, ctx, pos, rc);
        say(fd, "inbox %u\n", pos);
        return;
    }
    if (kind == STEP_STATUS) {
        say(fd, "start %u 1\n", pos);
        int rc = cib_user_set_status(ctx, user, CIB_NTS, (h >> 16) & 1 ? CIB_AVAILABLE : CIB_AWAY);
        if (rc != CIB_OK)
            child_fail(fd, ctx, pos, rc);
        say(fd, "act %u\n", pos);
        return;
    }
    if (!convs->n) {
        say(fd, "skip %u 0\n", pos);
        return;
    }
    uint64_t cv = convs->ids[(h >> 24) % convs->n];
    uint64_t msg = 0;
    char text[64];
    snprintf(text, sizeof text, "answer %u", pos);
    say(fd, "start %u 1\n", pos);
    int rc;
    switch (kind) {
    case STEP_REPLY:
        rc = cib_reply(ctx, user, CIB_NTS, cv, text, CIB_NTS, NULL, 0, &msg);
        break;
    case STEP_COMMENT:
        rc = cib_comment(ctx, user, CIB_NTS, cv, text, CIB_NTS, &msg);
        break;
    case STEP_CLOSE:
        rc = cib_close(ctx, user, CIB_NTS, cv);
        break;
    default:
        rc = cib_assign(ctx, user, CIB_NTS, cv, to, CIB_NTS);
        break;
    }
    /* Closing a closed conversation, assigning one: refused, as documented. */
    if (rc == CIB_EINVAL && (kind == STEP_CLOSE || kind == STEP_ASSIGN)) {
        say(fd, "skip %u %d\n", pos, rc);
        return;
    }
    if (rc != CIB_OK)
        child_fail(fd, ctx, pos, rc);
    if (kind == STEP_REPLY || kind == STEP_COMMENT) {
        say(fd, "%s %u %llu\n", kind == STEP_REPLY ? "reply" : "comment", pos,
            (unsigned long long)msg);
    } else if (kind == STEP_CLOSE) {
        /* Closed with this many messages: a later one may reopen it. */
        cib_conversation_info ci = CIB_CONVERSATION_INFO_INIT;
        if ((rc = cib_conversation_get(ctx, NULL, 0, cv, &ci)) != CIB_OK)
            child_fail(fd, ctx, pos, rc);
        say(fd, "close %u %llu %u\n", pos, (unsigned long long)cv, (unsigned)ci.n_messages);
    } else {
        say(fd, "act %u\n", pos);
    }
}

void child_main(const char *path, int sync, const char *vfs, unsigned start, int fd)
{
    cib_sqlite_options so = CIB_SQLITE_OPTIONS_INIT;
    so.synchronous = sync;
    so.vfs = vfs;
    cib_store st;
    char err[512];
    if (cib_sqlite_open(path, &so, &st, err, sizeof err) != CIB_OK) {
        say(fd, "err %u -10 cib_sqlite_open: %s\n", start, err);
        _exit(2);
    }
    cib_sender snd = CIB_SENDER_INIT;
    snd.email = send_ok;
    snd.chat = send_ok;
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &st;
    o.sender = &snd;
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    cib_ctx *ctx = NULL;
    int rc = cib_ctx_new(&o, &ctx);
    if (rc != CIB_OK) {
        say(fd, "err %u %d cib_ctx_new: %s\n", start, rc, err);
        _exit(2);
    }
    say(fd, "ready\n");
    recent convs = {{0}, 0, 0};
    unsigned pos = start;
    while (pos < STREAM_LEN) {
        int kind = step_kind(pos);
        if (kind == STEP_BATCH) {
            unsigned end = (pos / BLOCK + 1) * BLOCK;
            if (end > STREAM_LEN)
                end = STREAM_LEN;
            child_batch(ctx, fd, pos, end, &convs);
            pos = end;
            continue;
        }
        if (kind == STEP_INBOUND)
            child_inbound(ctx, fd, pos, &convs);
        else
            child_action(ctx, fd, pos, kind, &convs);
        pos++;
    }
    say(fd, "done\n");
    cib_ctx_free(ctx);
    st.close(st.user_data);
    _exit(0);
}
