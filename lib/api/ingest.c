/*
 * ingest.c - accepting an inbound message.
 *
 * cib_ingest() reads top to bottom: check the message and its channel, look
 * for a duplicate, find the contact, find or open the conversation, then
 * write everything in one transaction, apply it to memory and report. Each
 * step's logic lives in its module; this file only orders the steps and
 * undoes the memory side when the transaction fails.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "account.h"
#include "caps.h"
#include "channel.h"
#include "contact.h"
#include "conversation.h"
#include "dedup.h"
#include "ingest.h"
#include "error.h"
#include "message.h"
#include "op.h"
#include "props.h"
#include "route.h"
#include "ticket.h"

/* Attachments and CC addresses per message, at most. */
#define MAX_LIST 100

/* A checked inbound message. */
typedef struct inbound {
    cib__channel *ch;
    cib__str msg_id, thread, text, fwd;
    cib__email from_email; /* when the sender is an email address */
    cib__str from;         /* otherwise */
    cib__str *cc;          /* n_cc entries (a block of the context's heap), or NULL */
    size_t n_cc;
    cib_attachment *atts; /* n_atts entries (a block), or NULL */
    size_t n_atts;
} inbound;

/* The lists of a checked message live on the heap, and only when the
 * message has them, so that the path of a plain message keeps a small
 * stack frame. */
static void inbound_free(cib_ctx *ctx, inbound *in)
{
    cib__free(&ctx->mem, in->cc);
    cib__free(&ctx->mem, in->atts);
    in->cc = NULL;
    in->atts = NULL;
}

/* What the message will do, and what to undo if the transaction fails. */
typedef struct plan {
    size_t addr_len;
    cib__contact *contact;
    int contact_new;
    enum { JOIN, REOPEN, NEW } how;
    cib__conv *conv; /* JOIN: the open conversation; else a new object */
    cib__conv next;  /* JOIN: its state after the message */
    cib__fp dedup;
    int dedup_known; /* CIB__DEDUP_* */
    uint64_t message;
    /* Routing (R-ROUTE-*, R-AVAIL-2) and the ticket (R-TICKET-*): */
    cib__decision route;
    uint64_t seq;      /* route.assignee's new assignment order */
    cib__wait *wait;   /* route.queue: the conversation's queue node */
    cib__plan handout; /* a reassigned conversation frees room (R-ROUTE-8) */
    const cib__tickets *tickets;
    uint64_t ticket;
    cib__user *ticket_owner;
    char *addr;           /* the contact's address, canonical: in addr_small, or a block */
    char addr_small[256]; /* (last: not zeroed) */
} plan;

/* ---- checking ---- */

/* Channels whose senders are always email addresses. */
static int email_channel(const cib__channel *ch)
{
    return cib__channel_is_email(ch->type) || ch->type == CIB_CHANNEL_FORM;
}

static int check_email_list(cib_ctx *ctx, const cib_inbound *m, inbound *in)
{
    if (m->n_cc > MAX_LIST)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'cc' has %zu addresses; at most %d",
                         m->n_cc, MAX_LIST);
    if (m->n_cc && !m->cc)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'cc' is NULL but n_cc is %zu",
                         m->n_cc);
    if (m->n_cc && !(in->cc = cib__malloc(&ctx->mem, m->n_cc * sizeof *in->cc)))
        return cib__nomem(ctx);
    for (size_t i = 0; i < m->n_cc; i++) {
        cib__email e;
        char arg[40];
        snprintf(arg, sizeof arg, "cc[%zu]", i);
        int rc = cib__arg_email(ctx, arg, m->cc[i], m->cc_lens ? m->cc_lens[i] : CIB_NTS, 0, &e);
        if (rc)
            return rc;
        in->cc[i].p = m->cc[i];
        in->cc[i].n = e.n;
    }
    in->n_cc = m->n_cc;
    return CIB_OK;
}

static int check_attachments(cib_ctx *ctx, const cib_inbound *m, inbound *in)
{
    int rc = cib__cap_attachments(ctx, m->n_attachments); /* at most MAX_LIST */
    if (rc)
        return rc;
    if (m->n_attachments && !m->attachments)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: 'attachments' is NULL but n_attachments is %zu",
                         m->n_attachments);
    /* Elements are the caller's sizeof(cib_attachment): read the stride
     * from the first. */
    size_t stride = m->n_attachments ? m->attachments[0].size : 0;
    if (m->n_attachments &&
        !(in->atts = cib__malloc(&ctx->mem, m->n_attachments * sizeof *in->atts)))
        return cib__nomem(ctx);
    for (size_t i = 0; i < m->n_attachments; i++) {
        const void *p = (const char *)m->attachments + i * stride;
        cib_attachment a = CIB_ATTACHMENT_INIT;
        char arg[40];
        snprintf(arg, sizeof arg, "attachments[%zu]", i);
        rc = cib__def_read(ctx, arg, p, sizeof a, &a);
        if (!rc && a.size != stride)
            rc = cib__fail(ctx, CIB_EINVAL, "invalid argument: '%s' has another size", arg);
        if (!rc && !cib__attachment_kind_name(a.kind))
            rc = cib__fail(ctx, CIB_EINVAL,
                           "invalid argument: '%s' has kind %d, not a cib_attachment_kind", arg,
                           a.kind);
        cib__str name;
        if (!rc)
            rc = cib__check_text(ctx, "attachment name", (long)i, a.name, a.name_len,
                                 ctx->lim.max_name_len, CIB__TEXT_OPTIONAL, &name);
        if (rc)
            return rc;
        a.name = name.p;
        a.name_len = name.n;
        in->atts[i] = a;
    }
    in->n_atts = m->n_attachments;
    return CIB_OK;
}

/* Check every field; then the channel must exist and be enabled (R-CHAN-3). */
static int check(cib_ctx *ctx, const cib_inbound *msg, inbound *in)
{
    cib_inbound m = CIB_INBOUND_INIT;
    cib__str chan;
    int rc = cib__def_read(ctx, "msg", msg, sizeof m, &m);
    if (!rc)
        rc = cib__arg_id(ctx, "channel", m.channel, m.channel_len, &chan);
    if (!rc)
        rc = cib__arg_id(ctx, "msg_id", m.msg_id, m.msg_id_len, &in->msg_id);
    if (!rc)
        rc = cib__check_text(ctx, "thread", -1, m.thread, m.thread_len, ctx->lim.max_id_len,
                             CIB__TEXT_OPTIONAL, &in->thread);
    if (!rc)
        rc = cib__cap_text(ctx, "text", m.text, m.text_len);
    if (!rc)
        rc = cib__check_text(ctx, "text", -1, m.text ? m.text : "", m.text ? m.text_len : 0,
                             ctx->lim.max_text_len, CIB__TEXT_MULTILINE | CIB__TEXT_EMPTY_OK,
                             &in->text);
    if (!rc)
        rc = check_attachments(ctx, &m, in);
    if (rc)
        return rc;
    if (!(in->ch = cib__channel_find(ctx, chan.p, chan.n)))
        return cib__fail(ctx, CIB_ENOTFOUND, "channel '%.*s' not found", (int)chan.n, chan.p);
    int email = email_channel(in->ch);
    in->from_email.n = 0;
    in->from.p = NULL;
    in->from.n = 0;
    if (email || (in->ch->type == CIB_CHANNEL_CHAT && m.from &&
                  memchr(m.from, '@', m.from_len == CIB_NTS ? strlen(m.from) : m.from_len)))
        rc = cib__arg_email(ctx, "from", m.from, m.from_len, 0, &in->from_email);
    else
        rc = cib__arg_id(ctx, "from", m.from, m.from_len, &in->from);
    cib__email fwd = {"", 0};
    in->fwd.p = NULL;
    in->fwd.n = 0;
    in->n_cc = 0;
    if (!rc && !cib__channel_is_email(in->ch->type) && (m.forwarded_by || m.n_cc))
        rc = cib__fail(ctx, CIB_EINVAL,
                       "invalid argument: 'forwarded_by' and 'cc' are for email channels only");
    if (!rc)
        rc = cib__arg_email(ctx, "forwarded_by", m.forwarded_by, m.forwarded_by_len, 1, &fwd);
    if (!rc && fwd.n) {
        in->fwd.p = m.forwarded_by;
        in->fwd.n = fwd.n;
    }
    if (!rc)
        rc = check_email_list(ctx, &m, in);
    if (!rc && in->ch->status == CIB_CHANNEL_DISABLED)
        rc = cib__fail(ctx, CIB_EDISABLED,
                       "channel '%s' is disabled: the message is not shown and not logged",
                       in->ch->id);
    return rc;
}

/* ---- planning ---- */

/* R-CONV-1, R-CHAN-6: the contact is the sender, or the forwarder of a
 * forwarded email when the channel logs against forwarders. */
static int find_contact(cib_ctx *ctx, const inbound *in, plan *p)
{
    /* The longest address: a prefix, the channel id, the value. */
    size_t value_len = in->fwd.p && !in->ch->log_forward_to_original ? in->fwd.n
                       : in->from_email.n                            ? in->from_email.n
                                                                     : in->from.n;
    size_t need = 16 + in->ch->id_len + value_len + 1;
    p->addr = need <= sizeof p->addr_small ? p->addr_small : cib__malloc(&ctx->mem, need);
    if (!p->addr)
        return cib__nomem(ctx);
    if (in->fwd.p && !in->ch->log_forward_to_original) {
        cib__email e;
        cib__ascii_lower(e.s, in->fwd.p, in->fwd.n);
        p->addr_len = cib__address(p->addr, in->ch, e.s, in->fwd.n, 1);
    } else if (in->from_email.n) {
        p->addr_len = cib__address(p->addr, in->ch, in->from_email.s, in->from_email.n, 1);
    } else {
        p->addr_len = cib__address(p->addr, in->ch, in->from.p, in->from.n, 0);
    }
    p->contact = cib__contact_by_address(ctx, p->addr, p->addr_len);
    p->contact_new = p->contact == NULL;
    return CIB_OK;
}

/* The THREAD row of a closed conversation: its id, if the row is this
 * channel's and thread's. */
struct thread_row {
    const inbound *in;
    uint64_t conversation;
};

static int read_thread(cib_ctx *ctx, const cib_row *row, void *arg)
{
    struct thread_row *t = arg;
    cib__str channel, thread, conv;
    int rc = cib__row_text(ctx, row, "channel", 0, &channel);
    if (!rc)
        rc = cib__row_text(ctx, row, "thread", 0, &thread);
    if (!rc)
        rc = cib__row_text(ctx, row, "conversation", 0, &conv);
    if (rc)
        return rc;
    if (cib__streq(channel.p, channel.n, t->in->ch->id, t->in->ch->id_len) &&
        cib__streq(thread.p, thread.n, t->in->thread.p, t->in->thread.n) &&
        cib__id_parse(conv.p, conv.n, &t->conversation))
        return cib__fail(ctx, CIB_ESTORAGE, "store holds a thread row with a malformed id");
    return CIB_OK;
}

/* R-CONV-2, R-CHAN-9: join the thread's open conversation, reopen its closed
 * one, or open a new one. */
static int find_conversation(cib_ctx *ctx, const inbound *in, plan *p, cib__fp *thread)
{
    *thread = (cib__fp){0, 0};
    p->how = NEW;
    int threaded = in->thread.p &&
                   !(in->ch->type == CIB_CHANNEL_CUSTOM && in->ch->threading == CIB_THREADING_NEW);
    if (!threaded)
        return CIB_OK;
    *thread = cib__thread_fp(ctx, in->ch, in->thread.p, in->thread.n);
    if ((p->conv = cib__conv_by_thread(ctx, *thread))) {
        p->how = JOIN;
        return CIB_OK;
    }
    char hex[33];
    cib__fp_hex(*thread, hex);
    struct thread_row t = {in, 0};
    int rc = cib__store_get(ctx, CIB_KIND_THREAD, hex, 32, read_thread, &t);
    if (rc == CIB_ENOTFOUND || (!rc && !t.conversation))
        return CIB_OK;
    if (rc)
        return rc;
    int status;
    int64_t closed_at;
    if ((rc = cib__conv_read(ctx, t.conversation, &p->conv, &status, &closed_at)))
        return rc == CIB_ENOTFOUND
                   ? cib__fail(ctx, CIB_ESTORAGE, "store holds a thread of a missing conversation")
                   : rc;
    p->how = REOPEN;
    return CIB_OK;
}

/* R-ROUTE-*: route a new conversation; R-AVAIL-2: route a chat
 * conversation again when its assignee is away and reassigns replies. A
 * reassignment frees room for waiting work (R-ROUTE-8). */
static void undo_wait_new(cib_ctx *ctx, const cib__undo *u)
{
    cib__free(&ctx->mem, u->p);
}

static int decide(cib__op *op, const inbound *in, plan *p)
{
    cib_ctx *ctx = op->ctx;
    if (p->how == NEW)
        cib__route_new(ctx, in->ch, p->contact, &p->route);
    else
        cib__route_again(ctx, p->conv, &p->route);
    if (p->route.assignee || p->route.queue)
        p->seq = ctx->seq + 1;
    if (p->route.queue) {
        int rc = cib__wait_new(ctx, &p->wait);
        if (!rc && (rc = cib__op_undo(op, undo_wait_new, p->wait, NULL, 0, 0)))
            cib__free(&ctx->mem, p->wait);
        if (rc)
            return rc;
    }
    if (p->route.assignee && p->how == JOIN)
        return cib__plan_move(ctx, &p->handout, p->conv->assignee, p->route.assignee, p->seq);
    return CIB_OK;
}

/* ---- writing ---- */

/* Not inlined: its row stays out of the ingest path's own frame. */
__attribute__((noinline)) static int write_thread(cib_ctx *ctx, const inbound *in,
                                                  const cib__conv *cv)
{
    char hex[33], key[21];
    cib__fp_hex(cv->thread, hex);
    size_t n = cib__id_key(cv->id, key);
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_THREAD, hex, 32);
    cib__rowb_textn(&b, "inbox", in->ch->inbox->id, in->ch->inbox->id_len);
    cib__rowb_textn(&b, "channel", in->ch->id, in->ch->id_len);
    cib__rowb_textn(&b, "thread", in->thread.p, in->thread.n);
    cib__rowb_textn(&b, "conversation", key, n);
    return cib__tx_put(ctx, &b.row);
}

/* Inside the op: ids, new objects (reserved in memory), rows. */
static int write(cib__op *op, const inbound *in, plan *p, cib__fp thread, int64_t now)
{
    cib_ctx *ctx = op->ctx;
    uint64_t first;
    const cib__tickets *t = in->ch->tickets;
    p->tickets = p->how == NEW && t && t->automatic ? t : NULL; /* R-TICKET-1, 4 */
    size_t n_ids = 1 + (p->how == NEW) + p->contact_new + (p->tickets != NULL);
    /* next_id and id_limit, side by side, in one entry */
    _Static_assert(offsetof(cib_ctx, id_limit) == offsetof(cib_ctx, next_id) + sizeof(uint64_t),
                   "next_id and id_limit are adjacent");
    int rc = cib__op_save(op, &ctx->next_id, 2 * sizeof(uint64_t));
    if (!rc)
        rc = cib__ids_take(ctx, n_ids, &first);
    if (rc)
        return rc;
    p->message = first++;
    int messenger = in->ch->type == CIB_CHANNEL_MESSENGER;
    if (p->contact_new) {
        if ((rc = cib__contact_reserve(ctx, 1)) ||
            (rc = cib__contact_create_auto_op(op, first++, p->addr, p->addr_len, now, &p->contact)))
            return rc;
        if (messenger) { /* R-CHAN-8; not yet indexed: set its window now */
            if ((rc = cib__contact_window_reserve(ctx, p->contact)))
                return rc;
            cib__contact_window_set(p->contact, now, 0);
        }
        if ((rc = cib__contact_write(ctx, p->contact, NULL)))
            return rc;
    } else if (messenger) {
        /* R-CHAN-8: the contact wrote: the window restarts. */
        if ((rc = cib__contact_window_reserve(ctx, p->contact)))
            return rc;
        cib__contact_state st = cib__contact_state_of(p->contact);
        st.window_at = now;
        st.window_extra = 0;
        if ((rc = cib__contact_write(ctx, p->contact, &st)))
            return rc;
    }
    if (p->how == NEW) {
        p->conv = cib__conv_new(ctx, first, in->ch, p->contact, in->ch->props, now);
        if (!p->conv)
            return cib__nomem(ctx);
        if ((rc = cib__conv_own_op(op, p->conv))) {
            p->conv = NULL;
            return rc;
        }
        p->conv->thread = thread;
    }
    cib__conv *cv = p->conv;
    if (p->how != JOIN && (rc = cib__conv_reserve_op(op, cv)))
        return rc;
    /* The conversation after this message (R-CHAN-8: the window restarts),
     * routed, with its ticket (R-TICKET-5: in the same transaction). */
    p->next = *cv;
    p->next.n_messages++;
    p->next.last_inbound_at = now;
    cib__user *assignee = p->route.assignee;
    if (assignee) {
        p->next.assignee = assignee;
        p->next.reason = (uint8_t)p->route.reason;
    } else if (p->wait) {
        p->wait->seq = p->seq;
        p->next.wait = p->wait;
    }
    if (p->tickets) {
        p->ticket = first + 1;
        p->next.ticket = p->ticket;
        p->ticket_owner = cib__ticket_owner(p->tickets, assignee);
        if ((rc = cib__ticket_write(ctx, p->ticket, cv, p->tickets, p->ticket_owner, now)))
            return rc;
    }
    /* A message into an open conversation changes a few of its fields: a
     * store that takes patches gets only those. */
    if ((rc = p->how == JOIN && cib__store_patches(ctx)
                  ? cib__conv_write_inbound(ctx, &p->next)
                  : cib__conv_write(ctx, &p->next, CIB_STATUS_OPEN, 0)))
        return rc;
    /* An owner's assignment does not move a round-robin rule's turn. */
    if (assignee &&
        (rc = cib__route_write_pick(ctx, p->route.reason == CIB_REASON_OWNER ? NULL : p->route.rule,
                                    assignee, p->seq)))
        return rc;
    if ((rc = cib__plan_write(ctx, &p->handout)))
        return rc;
    if (p->how == NEW && (thread.lo || thread.hi) && (rc = write_thread(ctx, in, cv)))
        return rc;
    cib__msg m;
    memset(&m, 0, sizeof m);
    m.id = p->message;
    m.conv = cv;
    m.kind = CIB_MESSAGE_INBOUND;
    m.channel = in->ch;
    m.contact = p->contact;
    m.msg_id = in->msg_id;
    m.text = in->text;
    m.created_at = now;
    m.forwarded_by = in->fwd;
    m.cc = in->cc;
    m.n_cc = in->n_cc;
    m.attachments = in->atts;
    m.n_attachments = in->n_atts;
    if ((rc = cib__message_write(ctx, &m)) || (rc = cib__dedup_reserve(ctx)))
        return rc;
    return cib__dedup_write(ctx, p->dedup, in->ch, in->msg_id.p, in->msg_id.n, p->message, cv->id,
                            now);
}

/* The op's change of memory (after write()), each step logged for undo. */
static int apply_route(cib__op *op, plan *p)
{
    cib__conv *cv = p->conv;
    cib__user *u = p->route.assignee;
    int rc;
    /* A new or reopened conversation is the op's own object, dropped if
     * the op is undone: only a joined one needs its fields saved. */
    if (p->how == JOIN && (rc = cib__op_save(op, &cv->ticket, sizeof cv->ticket)))
        return rc;
    cv->ticket = p->next.ticket;
    if (p->wait) {
        if ((rc = cib__op_save(op, &op->ctx->seq, sizeof op->ctx->seq)) ||
            (rc = cib__wait_push_op(op, cv, p->wait, p->seq)))
            return rc;
        if (p->seq > op->ctx->seq)
            op->ctx->seq = p->seq;
        p->wait = NULL;
    }
    if (!u)
        return CIB_OK;
    /* The assignee's order and turn first: the load change that follows
     * refreshes their place in the rules once. An owner's assignment does
     * not move a round-robin rule's turn. */
    rc = cib__route_apply_pick_op(op, p->route.reason == CIB_REASON_OWNER ? NULL : p->route.rule, u,
                                  p->seq);
    if (rc)
        return rc;
    if (p->how == JOIN)
        return cib__conv_set_assignee_op(op, cv, u, p->route.reason);
    cv->assignee = u; /* linked next; the object is dropped if the op is undone */
    cv->reason = (uint8_t)p->route.reason;
    return CIB_OK;
}

static int apply(cib__op *op, const inbound *in, plan *p, int64_t now)
{
    cib_ctx *ctx = op->ctx;
    cib__conv *cv = p->conv;
    int rc = CIB_OK;
    if (p->contact_new && (rc = cib__contact_index_op(op, p->contact)))
        return rc;
    if (in->ch->type == CIB_CHANNEL_MESSENGER && !p->contact_new) {
        cib__contact *c = p->contact; /* its window has room (write()) */
        if ((rc = cib__op_save(op, &c->more->window_at, sizeof c->more->window_at)) ||
            (rc = cib__op_save(op, &c->more->window_extra, sizeof c->more->window_extra)))
            return rc;
        cib__contact_window_set(c, now, 0);
    }
    if (p->how == JOIN &&
        ((rc = cib__op_save(op, &cv->n_messages, sizeof cv->n_messages)) ||
         (rc = cib__op_save(op, &cv->last_inbound_at, sizeof cv->last_inbound_at))))
        return rc;
    cv->n_messages = p->next.n_messages;
    cv->last_inbound_at = p->next.last_inbound_at;
    if ((rc = apply_route(op, p)))
        return rc;
    if (p->how != JOIN && (rc = cib__conv_link_op(op, cv)))
        return rc;
    if (p->how == NEW) {
        if ((rc = cib__op_save(op, &ctx->n_convs, sizeof ctx->n_convs)))
            return rc;
        cib__caps_conversations(ctx, 1, 0);
    }
    if ((rc = cib__plan_apply_op(op, &p->handout)))
        return rc;
    return cib__dedup_commit_op(op, p->dedup, p->dedup_known, p->message, cv->id, now);
}

static void emit_route(cib_ctx *ctx, const plan *p, cib_ingest_result *r)
{
    cib__conv *cv = p->conv;
    if (p->route.assignee) {
        r->reason = p->route.reason;
        cib__conv_emit(ctx, CIB_EVENT_ASSIGNED, cv, p->route.assignee, 0, 0);
    }
    if (p->route.notify) { /* R-ROUTE-3 */
        r->notified = p->route.notify->id;
        cib__conv_emit(ctx, CIB_EVENT_NOTIFICATION, cv, p->route.notify, 0, 0);
    }
    if (p->ticket) {
        r->ticket = p->ticket;
        cib__conv_emit(ctx, CIB_EVENT_TICKET_CREATED, cv, p->ticket_owner, 0, 0);
    }
    r->queued = cv->wait != NULL;
}

/* ---- the whole path ---- */

/* R-CONV-3: describe the first delivery. Ids are taken in one rising
 * sequence, message first: a message that opened its conversation has the
 * smaller id, and only such a message opened a ticket. A closed
 * conversation is read back from the store. */
static int report_duplicate(cib_ctx *ctx, uint64_t message, uint64_t conversation,
                            cib_ingest_result *r)
{
    r->duplicate = 1;
    r->message = message;
    r->conversation = conversation;
    r->created = message < conversation;
    /* A contact the first delivery created took the id after its message. */
    char mine[32];
    int n = snprintf(mine, sizeof mine, "cib:c%llu", (unsigned long long)(message + 1));
    cib__conv *cv = cib__conv_find(ctx, conversation);
    int detached = 0, status;
    int64_t closed_at;
    if (!cv) {
        int rc = cib__conv_read(ctx, conversation, &cv, &status, &closed_at);
        if (rc == CIB_ENOTFOUND)
            return CIB_OK; /* gone with its inbox */
        if (rc)
            return rc;
        detached = 1;
    }
    r->contact = cv->contact->id;
    r->contact_created = cib__streq(cv->contact->id, cv->contact->id_len, mine, (size_t)n);
    r->assignee = cv->assignee ? cv->assignee->id : NULL;
    r->ticket = r->created ? cv->ticket : 0;
    if (detached)
        cib__conv_free(ctx, cv);
    return CIB_OK;
}

/* ---- looking ahead (cib_ingest_batch) ---- */

/* A string argument's length; more than max means too long to look at. */
static size_t ahead_len(const char *s, size_t len, size_t max)
{
    if (!s)
        return 0;
    return len == CIB_NTS ? strnlen(s, max + 1) : len;
}

void cib__ingest_prefetch(cib_ctx *ctx, const cib_inbound *msg, cib__ahead *a)
{
    a->has_contact = 0;
    if (!msg || msg->size < sizeof *msg)
        return;
    size_t cn = ahead_len(msg->channel, msg->channel_len, ctx->lim.max_id_len),
           mn = ahead_len(msg->msg_id, msg->msg_id_len, ctx->lim.max_id_len),
           fn = ahead_len(msg->from, msg->from_len, CIB__EMAIL_MAX);
    if (!cn || cn > ctx->lim.max_id_len || !mn || mn > ctx->lim.max_id_len)
        return;
    const cib__channel *ch = cib__channel_find(ctx, msg->channel, cn);
    if (!ch)
        return;
    cib__dedup_prefetch(ctx, cib__dedup_fp(ctx, ch, msg->msg_id, mn));
    if (!email_channel(ch) || msg->forwarded_by || !fn || fn > CIB__EMAIL_MAX)
        return;
    char lower[CIB__EMAIL_MAX + 1], addr[CIB__EMAIL_MAX + 8];
    cib__ascii_lower(lower, msg->from, fn);
    size_t n = cib__address(addr, ch, lower, fn, 1);
    a->contact = cib__contact_prefetch_slot(ctx, addr, n);
    a->has_contact = 1;
}

void cib__ingest_prefetch_contact(cib_ctx *ctx, const cib__ahead *a)
{
    if (a->has_contact)
        cib__contact_prefetch(ctx, a->contact);
}

int cib_ingest(cib_ctx *ctx, const cib_inbound *msg, cib_ingest_result *out)
{
    CIB__ENTER_WRITE(ctx, "cib_ingest");
    return cib__ingest_one(ctx, msg, out);
}

static int ingest(cib_ctx *ctx, const cib_inbound *msg, cib_ingest_result *out, inbound *in,
                  plan *p);

int cib__ingest_one(cib_ctx *ctx, const cib_inbound *msg, cib_ingest_result *out)
{
    CIB__NOT_NULL(ctx, out, "out");
    inbound in;
    plan p;
    in.cc = NULL;
    in.atts = NULL;
    memset(&p, 0, offsetof(plan, addr_small));
    int rc = ingest(ctx, msg, out, &in, &p);
    inbound_free(ctx, &in);
    if (p.addr != p.addr_small)
        cib__free(&ctx->mem, p.addr);
    return rc;
}

static int ingest(cib_ctx *ctx, const cib_inbound *msg, cib_ingest_result *out, inbound *in,
                  plan *p)
{
    cib_ingest_result r = CIB_INGEST_RESULT_INIT;
    int rc = cib__info_write(ctx, "out", out, &r, sizeof r);
    if (!rc)
        rc = check(ctx, msg, in);
    /* R-CONV-3: a message id already accepted on this channel. */
    int delivered = 0;
    uint64_t first_message = 0, first_conv = 0;
    if (!rc) {
        p->dedup = cib__dedup_fp(ctx, in->ch, in->msg_id.p, in->msg_id.n);
        rc = cib__dedup_check(ctx, p->dedup, in->ch, in->msg_id.p, in->msg_id.n, &delivered,
                              &p->dedup_known, &first_message, &first_conv);
    }
    if (rc)
        return rc;
    if (delivered) {
        if ((rc = report_duplicate(ctx, first_message, first_conv, &r)))
            return rc;
        return cib__info_write(ctx, "out", out, &r, sizeof r);
    }
    int64_t now;
    if ((rc = cib__now(ctx, &now)))
        return rc;
    cib__fp thread;
    if ((rc = find_contact(ctx, in, p)) || (rc = find_conversation(ctx, in, p, &thread)))
        return rc;
    /* The caps ("Limits" in convinbox.h), before anything is written. */
    if ((p->contact_new && (rc = cib__cap_contact(ctx))) ||
        (p->how != JOIN && (rc = cib__cap_conversation(ctx, p->how == NEW)))) {
        if (p->how == REOPEN)
            cib__conv_free(ctx, p->conv);
        return rc;
    }
    /* One op (op.h): the writes, then memory, each step logged; any
     * failure undoes them all. */
    cib__op op;
    if ((rc = cib__op_begin(ctx, &op))) {
        if (p->how == REOPEN)
            cib__conv_free(ctx, p->conv);
        return rc;
    }
    cib__plan_init(ctx, &p->handout);
    if (p->how == REOPEN)
        rc = cib__conv_own_op(&op, p->conv);
    if (!rc)
        rc = decide(&op, in, p);
    if (!rc)
        rc = write(&op, in, p, thread, now);
    if (!rc)
        rc = apply(&op, in, p, now);
    cib__conv *cv = p->conv;
    if (!rc && p->how != JOIN)
        cib__conv_emit(ctx, p->how == NEW ? CIB_EVENT_CONVERSATION_CREATED : CIB_EVENT_REOPENED, cv,
                       NULL, 0, 0);
    if (!rc) {
        emit_route(ctx, p, &r);
        cib__conv_emit(ctx, CIB_EVENT_MESSAGE_ADDED, cv, NULL, p->message, CIB_MESSAGE_INBOUND);
        cib__plan_emit(ctx, &p->handout);
    }
    rc = cib__op_end(&op, rc);
    cib__plan_free(ctx, &p->handout);
    if (rc)
        return rc;
    r.conversation = cv->id;
    r.created = p->how == NEW;
    r.reopened = p->how == REOPEN;
    r.message = p->message;
    r.contact = p->contact->id;
    r.contact_created = p->contact_new;
    r.assignee = cv->assignee ? cv->assignee->id : NULL;
    return cib__info_write(ctx, "out", out, &r, sizeof r);
}
