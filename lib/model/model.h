/*
 * model.h - the account's working set in memory.
 *
 * Every object is owned by its primary table in the context (keyed by the
 * host's id, or by the library's id for conversations) and points at the
 * objects it refers to. Strings are owned, NUL-terminated copies. Secondary
 * keys that can change (emails, external addresses) live in cib__ref tables
 * or, where there can be millions (contact addresses, threads), in
 * fingerprint tables.
 */
#ifndef CIB_MODEL_H
#define CIB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "fptab.h"
#include "hash.h"
#include "tree.h"

typedef struct cib__user cib__user;
typedef struct cib__team cib__team;
typedef struct cib__contact cib__contact;
typedef struct cib__pipeline cib__pipeline;
typedef struct cib__inbox cib__inbox;
typedef struct cib__channel cib__channel;
typedef struct cib__conv cib__conv;
typedef struct cib__rule cib__rule;
typedef struct cib__member cib__member;
typedef struct cib__wait cib__wait;
typedef struct cib__hours cib__hours;
typedef struct cib__tickets cib__tickets;

/* An immutable set of key=value properties, shared by reference count: a
 * channel's defaults are shared by the conversations it creates. */
typedef struct cib__props {
    unsigned refs;
    size_t n;
    char **keys, **values;
    size_t *key_lens, *value_lens;
} cib__props;

struct cib__user {
    UT_hash_handle hh; /* ctx->users */
    char *id;
    size_t id_len;
    char *name;
    char *email;         /* lower case, or NULL */
    cib__ref *email_ref; /* in ctx->user_emails, or NULL */
    int seat;            /* enum cib_seat */
    int role;            /* enum cib_role */
    int64_t created_at;
    size_t n_owned;     /* contacts whose owner this user is */
    cib__tree assigned; /* open conversations assigned to this user; its
                           count is the user's load */
    int status;         /* enum cib_availability */
    int reassign_replies;
    uint32_t capacity;        /* 0: no limit */
    uint64_t seq;             /* order of the last assignment (or of creation) */
    cib__member *memberships; /* the routing rules that name this user */
    unsigned access_mark;     /* scratch, as mark */
    uint32_t plan_slot;       /* scratch: index + 1 in a hand-out plan, else 0 */
    unsigned mark;            /* scratch: duplicate detection in lists, always 0
                                 between calls */
};

struct cib__team {
    UT_hash_handle hh; /* ctx->teams */
    char *id;
    size_t id_len;
    cib__user **members; /* in the host's order */
    size_t n_members;
    unsigned mark; /* scratch, as cib__user.mark */
};

/*
 * What a contact has beyond an email, out of line because most contacts
 * write by email only and pay one pointer for it. One block: this header,
 * the address pointers, then the addresses themselves.
 */
typedef struct cib__contact_more {
    /* Messenger's window (R-CHAN-8): the contact's last message on a
     * Messenger channel (0: none), and whether the one message after 24
     * hours has been sent. Messenger ids are per page: one page a contact. */
    int64_t window_at;
    uint8_t window_extra;
    uint32_t n_addrs;
    /* learned addresses (the forms of contact.h other than email), also in
     * ctx->contact_index; fixed when the contact is made */
    char *addrs[];
} cib__contact_more;

/* A contact is one block with its id: contacts are the most numerous object
 * and every byte here counts a million times (bench/README.md). Never copy
 * one by value: the id is part of the block. */
struct cib__contact {
    UT_hash_handle hh;       /* ctx->contacts */
    char *email;             /* lower case, or NULL; in ctx->contact_index */
    cib__user *owner;        /* or NULL */
    int64_t created_at;      /* ms */
    cib__contact_more *more; /* or NULL: no learned address, window never opened */
    uint32_t id_len;
    char id[]; /* NUL-terminated */
};

struct cib__pipeline {
    UT_hash_handle hh; /* ctx->pipelines */
    char *id;
    size_t id_len;
    char **stages;
    size_t *stage_lens;
    size_t n_stages;
};

struct cib__inbox {
    UT_hash_handle hh; /* ctx->inboxes, ordered by (created_at, id) */
    char *id;
    size_t id_len;
    char *name;
    size_t name_len;
    int is_default;
    int everyone;
    cib__user **users; /* specific access */
    size_t n_users;
    cib__team **teams;
    size_t n_teams;
    cib__channel **channels; /* ordered by (created_at, id) */
    size_t n_channels;
    int64_t created_at;
    cib__tree open;       /* its open conversations, by id */
    cib__tree unassigned; /* those of them without an assignee */
};

struct cib__channel {
    UT_hash_handle hh; /* ctx->channels */
    char *id;
    size_t id_len;
    cib__inbox *inbox;
    int type;           /* enum cib_channel_type */
    int status;         /* enum cib_channel_status */
    char *address;      /* emails in lower case; or NULL */
    cib__ref *addr_ref; /* in ctx->channel_addrs, or NULL */
    char *sender_name;  /* fallback email only */
    int64_t created_at;
    int sender_display; /* email types; else 0 */
    char *company;      /* email types; else NULL */
    char *signature;    /* or NULL */
    int log_forward_to_original;
    int threading;         /* custom channels; else 0 */
    cib__props *props;     /* default conversation properties, or NULL */
    cib__rule *rule;       /* routing (never NULL) */
    cib__tickets *tickets; /* ticket rule, or NULL */
    cib__hours *hours;     /* chat channels' availability, else NULL */
};

/*
 * An open conversation: what decisions and views need, and no more. Closed
 * conversations and every message body live only in the store.
 */
struct cib__conv {
    UT_hash_handle hh; /* ctx->convs, keyed by id */
    uint64_t id;
    cib__channel *channel; /* its inbox is channel->inbox */
    cib__contact *contact;
    cib__user *assignee; /* or NULL */
    cib__props *props;
    cib__fp thread; /* {0, 0}: none; else in ctx->threads */
    int64_t created_at;
    int64_t last_inbound_at;
    int64_t first_reply_at; /* 0: none */
    uint32_t n_messages;
    uint8_t reason; /* enum cib_reason */

    cib__wait *wait;     /* in its rule's queue (R-ROUTE-8), or NULL */
    uint64_t ticket;     /* its ticket, or 0 */
    cib__tnode in_inbox; /* inbox->open */
    cib__tnode in_queue; /* inbox->unassigned or assignee->assigned */
};

#endif
