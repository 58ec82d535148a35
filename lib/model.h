/*
 * model.h - the account's working set in memory.
 *
 * Every object is owned by its primary table in the context (keyed by the
 * host's id) and points at the objects it refers to. Strings are owned,
 * NUL-terminated copies. Secondary keys that can change (emails, external
 * addresses) live in cib__ref tables.
 */
#ifndef CIB_MODEL_H
#define CIB_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "hash.h"

typedef struct cib__user cib__user;
typedef struct cib__team cib__team;
typedef struct cib__contact cib__contact;
typedef struct cib__pipeline cib__pipeline;
typedef struct cib__inbox cib__inbox;
typedef struct cib__channel cib__channel;

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
    size_t n_owned; /* contacts whose owner this user is */
    unsigned mark;  /* scratch: duplicate detection in lists, always 0
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

struct cib__contact {
    UT_hash_handle hh; /* ctx->contacts */
    char *id;
    size_t id_len;
    char *email;         /* lower case, or NULL */
    cib__ref *email_ref; /* in ctx->contact_emails, or NULL */
    cib__user *owner;    /* or NULL */
    int64_t created_at;
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
};

#endif
