/* outbound.c - rendering replies and delivering them through the host. */
#include "outbound.h"

#include <string.h>

#include "channel.h"
#include "error.h"

static const char *type_slot_name(int type)
{
    switch (type) {
    case CIB_CHANNEL_CHAT:
        return "chat";
    case CIB_CHANNEL_FORM:
        return "form";
    case CIB_CHANNEL_MESSENGER:
        return "messenger";
    case CIB_CHANNEL_CUSTOM:
        return "custom";
    default:
        return "email";
    }
}

static cib_send_fn slot(const cib_ctx *ctx, int type)
{
    if (!ctx->has_sender)
        return NULL;
    switch (type) {
    case CIB_CHANNEL_CHAT:
        return ctx->sender.chat;
    case CIB_CHANNEL_FORM:
        return ctx->sender.form;
    case CIB_CHANNEL_MESSENGER:
        return ctx->sender.messenger;
    case CIB_CHANNEL_CUSTOM:
        return ctx->sender.custom;
    default:
        return ctx->sender.email;
    }
}

int cib__outbound_ready(cib_ctx *ctx, const cib__channel *ch)
{
    if (slot(ctx, ch->type))
        return CIB_OK;
    return cib__fail(ctx, CIB_EINVAL,
                     "invalid argument: no sender for %s channels is configured "
                     "(cib_options.sender)",
                     type_slot_name(ch->type));
}

/* First name: up to the first space; last name: after the last one. */
static void name_parts(const char *full, cib__str *first, cib__str *last)
{
    size_t n = strlen(full);
    const char *sp = strchr(full, ' '), *lsp = strrchr(full, ' ');
    first->p = full;
    first->n = sp ? (size_t)(sp - full) : n;
    last->p = lsp ? lsp + 1 : full + n;
    last->n = lsp ? n - (size_t)(lsp + 1 - full) : 0;
}

void cib__outbound_from_name(const cib__channel *ch, const cib__user *agent, cib__buf *b)
{
    const char *company = ch->company ? ch->company : ch->inbox->name;
    if (ch->sender_display == CIB_DISPLAY_AGENT_AND_COMPANY) {
        cib__buf_str(b, agent->name);
        cib__buf_str(b, " at ");
    }
    cib__buf_str(b, company);
}

void cib__outbound_signature(const cib__channel *ch, const cib__user *agent, cib__buf *b)
{
    if (!ch->signature)
        return;
    cib__str first, last;
    name_parts(agent->name, &first, &last);
    const struct {
        const char *token;
        const char *text;
        size_t len;
    } tokens[] = {
        {"{full_name}", agent->name, strlen(agent->name)},
        {"{first_name}", first.p, first.n},
        {"{last_name}", last.p, last.n},
    };
    const char *s = ch->signature;
    while (*s) {
        size_t i;
        for (i = 0; i < sizeof tokens / sizeof tokens[0]; i++) {
            size_t tn = strlen(tokens[i].token);
            if (strncmp(s, tokens[i].token, tn) == 0) {
                cib__buf_add(b, tokens[i].text, tokens[i].len);
                s += tn;
                break;
            }
        }
        if (i == sizeof tokens / sizeof tokens[0])
            cib__buf_add(b, s++, 1);
    }
}

int cib__outbound_send(cib_ctx *ctx, const cib__channel *ch, const cib__conv *cv,
                       const cib__user *agent, const char *to, uint64_t message, cib__str text)
{
    cib_send_fn send = slot(ctx, ch->type);
    cib__buf body, from;
    cib__buf_init(&body, &ctx->mem);
    cib__buf_init(&from, &ctx->mem);
    cib__buf_add(&body, text.p, text.n);
    if (cib__channel_is_email(ch->type)) {
        cib__outbound_from_name(ch, agent, &from);
        if (ch->signature) {
            cib__buf_str(&body, "\n\n");
            cib__outbound_signature(ch, agent, &body);
        }
    }
    if (body.failed || from.failed) {
        cib__buf_free(&body);
        cib__buf_free(&from);
        return cib__nomem(ctx);
    }
    cib_outbound m;
    memset(&m, 0, sizeof m);
    m.size = sizeof m;
    m.channel_type = ch->type;
    m.channel = ch->id;
    m.from_address = ch->address;
    m.from_name = from.p;
    m.to = to;
    m.user = agent->id;
    m.conversation = cv->id;
    m.message = message;
    m.text = body.p ? body.p : "";
    m.text_len = body.n;
    int rc = send(ctx->sender.user_data, &m);
    cib__buf_free(&body);
    cib__buf_free(&from);
    if (rc == CIB_OK)
        return CIB_OK;
    int status = rc < 0 && rc >= CIB_ENOMEM ? rc : CIB_ESTORAGE;
    if (ctx->has_cbmsg)
        return cib__fail(ctx, status, "sender.%s: %s", type_slot_name(ch->type), ctx->cbmsg);
    if (status == rc)
        return cib__fail(ctx, status, "sender.%s returned %s", type_slot_name(ch->type),
                         cib_status_name(rc));
    return cib__fail(ctx, status, "sender.%s returned %d", type_slot_name(ch->type), rc);
}
