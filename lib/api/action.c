/* action.c - what agents do to conversations: reply, comment, assign, close,
 * reopen (R-CONV-4), each checked against the inbox's access (R-ACCESS-*). */
#include <string.h>

#include "account.h"
#include "caps.h"
#include "channel.h"
#include "contact.h"
#include "conversation.h"
#include "error.h"
#include "inbox.h"
#include "message.h"
#include "op.h"
#include "outbound.h"
#include "route.h"
#include "user.h"

/* Messenger's window (R-CHAN-8): the 24 hours from the contact's last
 * message, its start included, its end excluded. */
#define WINDOW_MS (24LL * 3600 * 1000)

/* The conversation an action is about: open (in memory) or read from the
 * store (detached, freed by target_release). */
typedef struct target {
    cib__conv *cv;
    int open;
    int64_t closed_at;
} target;

static void target_release(cib_ctx *ctx, target *t)
{
    if (t->cv && !t->open)
        cib__conv_free(ctx, t->cv);
    t->cv = NULL;
}

/* Find the acting user and the conversation, and check that the user may do
 * `action` (R-ACCESS-3: without access to the inbox, "forbidden"). */
static int begin_action(cib_ctx *ctx, const char *user, size_t user_len, uint64_t id, int action,
                        cib__user **u, target *t)
{
    cib__str su;
    t->cv = NULL;
    int rc = cib__arg_id(ctx, "user", user, user_len, &su);
    if (rc)
        return rc;
    if (!(*u = cib__user_find(ctx, su.p, su.n)))
        return cib__fail(ctx, CIB_ENOTFOUND, "user '%.*s' not found", (int)su.n, su.p);
    t->open = 1;
    t->closed_at = 0;
    if (!(t->cv = cib__conv_find(ctx, id))) {
        int status;
        rc = id ? cib__conv_read(ctx, id, &t->cv, &status, &t->closed_at) : CIB_ENOTFOUND;
        if (rc == CIB_ENOTFOUND)
            return cib__fail(ctx, CIB_ENOTFOUND, "conversation %llu not found",
                             (unsigned long long)id);
        if (rc)
            return rc;
        t->open = status == CIB_STATUS_OPEN; /* cannot be: open ones are in memory */
    }
    const cib__inbox *ib = t->cv->channel->inbox;
    if (!cib__inbox_may(ib, *u, CIB_ACTION_VIEW)) { /* R-ACCESS-3 */
        target_release(ctx, t);
        return cib__fail(ctx, CIB_EFORBIDDEN, "user '%s' has no access to inbox '%s'", (*u)->id,
                         ib->id);
    }
    if (!cib__inbox_may(ib, *u, action)) {
        target_release(ctx, t);
        return cib__fail(ctx, CIB_EFORBIDDEN, "user '%s' may not %s in inbox '%s'", (*u)->id,
                         action == CIB_ACTION_REPLY     ? "reply"
                         : action == CIB_ACTION_COMMENT ? "comment"
                         : action == CIB_ACTION_ASSIGN  ? "assign conversations"
                         : action == CIB_ACTION_CLOSE   ? "close or reopen conversations"
                                                        : "reassign conversations",
                         ib->id);
    }
    return CIB_OK;
}

/* After the op that reopened a detached conversation, or updated an open
 * one: make memory match `next`. Cannot fail. */
static void apply(cib_ctx *ctx, target *t, const cib__conv *next, int reopened)
{
    cib__conv *cv = t->cv;
    cv->n_messages = next->n_messages;
    cv->first_reply_at = next->first_reply_at;
    if (reopened) {
        cib__conv_link(ctx, cv);
        t->open = 1;
    }
}

/* Write a message and the conversation's new state at time `now`; for a
 * reply, deliver it first. Reopens a closed conversation when `reopen`.
 * `window_extra`: this reply is the contact's one Messenger message after 24
 * hours (R-CHAN-8). One op: the room a reopened conversation takes and the
 * message's id (undone with it), the rows; memory follows after the op (none
 * of that can fail) and the events with it. */
static int add_message(cib_ctx *ctx, target *t, cib__user *u, int kind, cib__channel *ch,
                       const char *to, cib__str text, int window_extra, int64_t now, uint64_t *out)
{
    int reopen = kind == CIB_MESSAGE_REPLY && !t->open;
    cib__conv next = *t->cv;
    next.n_messages++;
    if (kind == CIB_MESSAGE_REPLY && !next.first_reply_at)
        next.first_reply_at = now;
    int rc = reopen ? cib__cap_conversation(ctx, 0) : CIB_OK;
    uint64_t id = 0;
    cib__op op;
    if (!rc && !(rc = cib__op_begin(ctx, &op))) {
        if (reopen)
            rc = cib__conv_reserve_op(&op, t->cv);
        if (!rc)
            rc = cib__ids_take_op(&op, 1, &id);
        if (!rc)
            rc = cib__conv_write(
                ctx, &next, t->open || reopen ? CIB_STATUS_OPEN : CIB_STATUS_CLOSED, t->closed_at);
        cib__msg m;
        memset(&m, 0, sizeof m);
        m.id = id;
        m.conv = t->cv;
        m.kind = kind;
        m.channel = ch;
        m.author = u;
        m.text = text;
        m.created_at = now;
        if (!rc)
            rc = cib__message_write(ctx, &m);
        if (!rc && window_extra) {
            cib__contact_state st = cib__contact_state_of(t->cv->contact);
            st.window_extra = 1;
            rc = cib__contact_window_reserve(ctx, t->cv->contact);
            if (!rc)
                rc = cib__contact_write(ctx, t->cv->contact, &st);
        }
        if (!rc && kind == CIB_MESSAGE_REPLY)
            rc = cib__outbound_send(ctx, ch, t->cv, u, to, id, text);
        rc = cib__op_end(&op, rc);
    }
    if (rc)
        return rc;
    apply(ctx, t, &next, reopen);
    if (window_extra)
        cib__contact_window_set(t->cv->contact, cib__contact_window_at(t->cv->contact), 1);
    if (reopen)
        cib__conv_emit(ctx, CIB_EVENT_REOPENED, t->cv, u, 0, 0);
    cib__conv_emit(ctx, CIB_EVENT_MESSAGE_ADDED, t->cv, u, id, kind);
    if (out)
        *out = id;
    return CIB_OK;
}

static int check_body(cib_ctx *ctx, const char *text, size_t len, cib__str *out)
{
    int rc = cib__cap_text(ctx, "text", text, len);
    if (rc)
        return rc;
    return cib__check_text(ctx, "text", -1, text, len, ctx->lim.max_text_len, CIB__TEXT_MULTILINE,
                           out);
}

int cib_reply(cib_ctx *ctx, const char *user, size_t user_len, uint64_t conversation,
              const char *text, size_t text_len, const char *channel, size_t channel_len,
              uint64_t *out_message)
{
    CIB__ENTER_WRITE(ctx, "cib_reply");
    cib__str body, sch;
    int rc = check_body(ctx, text, text_len, &body);
    if (!rc)
        rc = cib__check_text(ctx, "channel", -1, channel, channel_len, ctx->lim.max_id_len,
                             CIB__TEXT_OPTIONAL, &sch);
    cib__user *u;
    target t;
    if (!rc)
        rc = begin_action(ctx, user, user_len, conversation, CIB_ACTION_REPLY, &u, &t);
    if (rc)
        return rc;
    cib__channel *ch = t.cv->channel;
    if (sch.p && !(ch = cib__channel_find(ctx, sch.p, sch.n)))
        rc = cib__fail(ctx, CIB_ENOTFOUND, "channel '%.*s' not found", (int)sch.n, sch.p);
    else if (ch->inbox != t.cv->channel->inbox)
        rc = cib__fail(ctx, CIB_EINVAL,
                       "invalid argument: channel '%s' is not in the conversation's inbox", ch->id);
    else if (ch->status == CIB_CHANNEL_DISABLED) /* R-CHAN-3 */
        rc = cib__fail(ctx, CIB_EDISABLED, "channel '%s' is disabled: nothing can be sent", ch->id);
    if (!rc)
        rc = cib__outbound_ready(ctx, ch);
    /* R-CHAN-11: the contact needs an address on the reply's channel. */
    const char *to = rc ? NULL : cib__contact_address_for(t.cv->contact, ch);
    if (!rc && !to)
        rc = cib__fail(ctx, CIB_EINVAL,
                       "invalid argument: contact '%s' has no address on channel '%s'",
                       t.cv->contact->id, ch->id);
    /* R-CHAN-8: from 24 hours after the contact's last message (decided:
     * the window excludes its end, so at exactly 24 h it is closed), one
     * more. */
    const cib__contact *c = t.cv->contact;
    int extra = 0;
    int64_t now = 0;
    if (!rc)
        rc = cib__now(ctx, &now);
    /* Both times are in CIB_TIME_MIN..CIB_TIME_MAX: the difference fits. */
    if (!rc && ch->type == CIB_CHANNEL_MESSENGER && now - cib__contact_window_at(c) >= WINDOW_MS) {
        if (cib__contact_window_extra(c))
            rc = cib__fail(ctx, CIB_EWINDOW,
                           "the Messenger window of contact '%s' is closed: they last wrote more "
                           "than 24 hours ago and the one extra message is sent",
                           c->id);
        extra = 1;
    }
    if (!rc)
        rc = add_message(ctx, &t, u, CIB_MESSAGE_REPLY, ch, to, body, extra, now, out_message);
    target_release(ctx, &t);
    return rc;
}

int cib_comment(cib_ctx *ctx, const char *user, size_t user_len, uint64_t conversation,
                const char *text, size_t text_len, uint64_t *out_message)
{
    CIB__ENTER_WRITE(ctx, "cib_comment");
    cib__str body;
    int rc = check_body(ctx, text, text_len, &body);
    cib__user *u;
    target t;
    if (!rc)
        rc = begin_action(ctx, user, user_len, conversation, CIB_ACTION_COMMENT, &u, &t);
    if (rc)
        return rc;
    int64_t now;
    rc = cib__now(ctx, &now);
    if (!rc)
        rc = add_message(ctx, &t, u, CIB_MESSAGE_COMMENT, t.cv->channel, NULL, body, 0, now,
                         out_message);
    target_release(ctx, &t);
    return rc;
}

int cib_assign(cib_ctx *ctx, const char *user, size_t user_len, uint64_t conversation,
               const char *to, size_t to_len)
{
    CIB__ENTER_WRITE(ctx, "cib_assign");
    cib__str sto;
    int rc =
        cib__check_text(ctx, "to", -1, to, to_len, ctx->lim.max_id_len, CIB__TEXT_OPTIONAL, &sto);
    cib__user *target_user = NULL;
    if (!rc && sto.p && !(target_user = cib__user_find(ctx, sto.p, sto.n)))
        rc = cib__fail(ctx, CIB_ENOTFOUND, "user '%.*s' not found", (int)sto.n, sto.p);
    /* Which right: taking an unassigned conversation, or changing one. */
    cib__conv *open = rc ? NULL : cib__conv_find(ctx, conversation);
    int action = open && !open->assignee ? CIB_ACTION_ASSIGN : CIB_ACTION_REASSIGN;
    cib__user *u;
    target t;
    if (!rc)
        rc = begin_action(ctx, user, user_len, conversation, action, &u, &t);
    if (rc)
        return rc;
    const cib__inbox *ib = t.cv->channel->inbox;
    if (!t.open)
        rc = cib__fail(ctx, CIB_EINVAL, "invalid argument: conversation %llu is closed",
                       (unsigned long long)conversation);
    else if (target_user && !cib__inbox_may(ib, target_user, CIB_ACTION_REPLY))
        rc = cib__fail(ctx, CIB_EFORBIDDEN, "user '%s' may not act in inbox '%s'", target_user->id,
                       ib->id);
    if (rc || t.cv->assignee == target_user) {
        target_release(ctx, &t);
        return rc;
    }
    /* It leaves a waiting queue, if in one; the previous assignee's room
     * may take waiting work (R-ROUTE-8). Written in the op, applied after it
     * (nothing of that can fail). */
    int reason = target_user ? CIB_REASON_MANUAL : CIB_REASON_NONE;
    uint64_t seq = ctx->seq + 1;
    cib__conv next = *t.cv;
    next.assignee = target_user;
    next.reason = (uint8_t)reason;
    next.wait = NULL;
    cib__plan plan;
    cib__plan_init(ctx, &plan);
    rc = cib__plan_move(ctx, &plan, t.cv->assignee, target_user, seq);
    cib__op op;
    if (!rc && !(rc = cib__op_begin(ctx, &op))) {
        rc = cib__conv_write(ctx, &next, CIB_STATUS_OPEN, 0);
        if (!rc && target_user)
            rc = cib__route_write_pick(ctx, NULL, target_user, seq);
        if (!rc)
            rc = cib__plan_write(ctx, &plan);
        rc = cib__op_end(&op, rc);
    }
    if (rc) {
        cib__plan_free(ctx, &plan);
        return rc;
    }
    cib__wait_drop(ctx, t.cv);
    if (target_user)
        cib__route_apply_pick(ctx, NULL, target_user, seq);
    cib__conv_set_assignee(ctx, t.cv, target_user, reason);
    cib__plan_apply(ctx, &plan);
    cib__conv_emit(ctx, CIB_EVENT_ASSIGNED, t.cv, target_user, 0, 0);
    cib__plan_emit(ctx, &plan);
    cib__plan_free(ctx, &plan);
    return CIB_OK;
}

int cib_close(cib_ctx *ctx, const char *user, size_t user_len, uint64_t conversation)
{
    CIB__ENTER_WRITE(ctx, "cib_close");
    cib__user *u;
    target t;
    int rc = begin_action(ctx, user, user_len, conversation, CIB_ACTION_CLOSE, &u, &t);
    if (rc)
        return rc;
    if (!t.open) {
        target_release(ctx, &t);
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: conversation %llu is already closed",
                         (unsigned long long)conversation);
    }
    int64_t now;
    if ((rc = cib__now(ctx, &now))) {
        target_release(ctx, &t);
        return rc;
    }
    /* The assignee's room may take waiting work (R-ROUTE-8). Written in the
     * op, applied after it (nothing of that can fail). */
    cib__plan plan;
    cib__plan_init(ctx, &plan);
    rc = cib__plan_move(ctx, &plan, t.cv->assignee, NULL, 0);
    cib__op op;
    if (!rc && !(rc = cib__op_begin(ctx, &op))) {
        rc = cib__conv_write(ctx, t.cv, CIB_STATUS_CLOSED, now);
        if (!rc)
            rc = cib__plan_write(ctx, &plan);
        rc = cib__op_end(&op, rc);
    }
    if (rc) {
        cib__plan_free(ctx, &plan);
        return rc;
    }
    cib__conv_emit(ctx, CIB_EVENT_CLOSED, t.cv, u, 0, 0);
    cib__conv_evict(ctx, t.cv);
    cib__plan_apply(ctx, &plan);
    cib__plan_emit(ctx, &plan);
    cib__plan_free(ctx, &plan);
    return CIB_OK;
}

int cib_reopen(cib_ctx *ctx, const char *user, size_t user_len, uint64_t conversation)
{
    CIB__ENTER_WRITE(ctx, "cib_reopen");
    cib__user *u;
    target t;
    int rc = begin_action(ctx, user, user_len, conversation, CIB_ACTION_CLOSE, &u, &t);
    if (rc)
        return rc;
    if (t.open)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: conversation %llu is already open",
                         (unsigned long long)conversation);
    /* All of it in one op: undone, the conversation is detached again (and
     * freed below), its event dropped. */
    rc = cib__cap_conversation(ctx, 0);
    cib__op op;
    if (!rc && !(rc = cib__op_begin(ctx, &op))) {
        rc = cib__conv_reserve_op(&op, t.cv);
        if (!rc)
            rc = cib__conv_write(ctx, t.cv, CIB_STATUS_OPEN, 0);
        if (!rc)
            rc = cib__conv_link_op(&op, t.cv);
        if (!rc)
            cib__conv_emit(ctx, CIB_EVENT_REOPENED, t.cv, u, 0, 0);
        rc = cib__op_end(&op, rc);
    }
    if (rc)
        target_release(ctx, &t);
    return rc;
}
