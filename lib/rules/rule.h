/*
 * rule.h - routing rules: their configuration, and the structures that make
 * a decision O(1) or O(log n) in the number of users they name.
 *
 * A rule's targets (users and teams, in order) expand to members: each user
 * once, at the position of their first appearance, free seats of teams
 * skipped. Every member caches why it is or is not eligible (enum cib_why);
 * the rule keeps a bitmap of its eligible positions (first available, round
 * robin) and a tree of its eligible members keyed by (load, last assignment)
 * (least loaded). Each user links to their memberships, so a change of one
 * user's status, load, capacity or seat updates only the rules that name
 * them. Changes of rule lists, teams or access rebuild rules (rare, O(n)).
 */
#ifndef CIB_RULE_H
#define CIB_RULE_H

#include "bits.h"
#include "index.h"
#include "store.h"

/* Targets per rule, at most. */
#define CIB__MAX_TARGETS 1000

typedef struct cib__member cib__member;
typedef struct cib__wait cib__wait;

struct cib__member {
    cib__user *user;
    cib__rule *rule;
    uint32_t pos;
    uint8_t why;        /* enum cib_why, for the live state */
    uint8_t has_access; /* the user may act in the rule's inbox */
    uint8_t available;  /* counted in rule->n_available */
    uint64_t key;       /* least loaded: (load << 40) | seq */
    cib__tnode by_load; /* in rule->by_load while eligible */
    cib__member *next_of_user, *prev_of_user;
};

/* A conversation waiting in a rule's queue (R-ROUTE-8). */
struct cib__wait {
    cib__wait *prev, *next;
    cib__conv *conv;
    uint64_t seq; /* enqueue order, stored in the conversation row */
};

struct cib__rule {
    cib__channel *channel;
    int mode, strategy, only_available, queue;
    cib__user **tusers; /* target i: tusers[i] or tteams[i] */
    cib__team **tteams;
    char **labels; /* target i as "user:ID" or "team:ID" (one block) */
    size_t n_targets;
    cib__member *members;
    size_t n_members;
    cib__bits eligible;
    cib__tree by_load;
    cib__user *cursor;  /* round robin: this rule's last pick, or NULL; it
                           may have left the rule since (then the next pick
                           starts from the top) */
    size_t n_available; /* members available, with a paid seat and access */
    cib__wait *wait_head, *wait_tail;
    size_t n_waiting;
    int linked; /* members are on their users' lists */
};

/* Eligibility of user u for a rule under a given state. */
int cib__rule_why(const cib__rule *r, const cib__member *m, int status, int seat, uint32_t capacity,
                  uint32_t load);
/* The least-loaded key of a user state. */
uint64_t cib__rule_key(uint32_t load, uint64_t seq);

/*
 * Make a rule for channel ch from a def (NULL: unassigned), checking targets
 * (CIB_ENOTFOUND, CIB_EINVAL, CIB_ESEAT). Nothing is linked yet; install it
 * after the commit, or free it.
 */
int cib__rule_make(cib_ctx *ctx, cib__channel *ch, const cib_routing_def *def, cib__rule **out);
/* As cib__rule_make() for a stored rule: a user named directly whose seat has
 * become free since is kept (and is not eligible). */
int cib__rule_load(cib_ctx *ctx, cib__channel *ch, const cib_routing_def *def, cib__rule **out);
/*
 * The change a rebuild is made for: the account as it is in memory, with
 * this change in it. A rebuild reads the live objects and never edits them;
 * what the change replaces it reads from here. Zero what is not changed
 * (CIB__CHANGE_NONE).
 */
typedef struct cib__change {
    const cib__user *drop_user; /* being removed: out of targets and teams */
    const cib__team *drop_team; /* being removed: out of targets and access */
    const cib__user *user;      /* gets seat `seat` (enum cib_seat) */
    int seat;
    const cib__team *team; /* gets members[0..n_members) */
    cib__user *const *members;
    size_t n_members;
    const cib__inbox *inbox;  /* gets the access of `access` (everyone, */
    const cib__inbox *access; /* users and teams; nothing else is read) */
} cib__change;

#define CIB__CHANGE_NONE ((cib__change){0})

/* The same rule rebuilt from the current account with change c in it. */
int cib__rule_remake(cib_ctx *ctx, const cib__rule *old, const cib__change *c, cib__rule **out);
/* Rebuilding every rule after a change of teams, access, users or seats. */
typedef struct cib__rebuild {
    cib__rule **v;
    size_t n;
} cib__rebuild;

/* Remake every channel's rule from the current account with change c in it.
 * CIB_OK or CIB_ENOMEM; nothing installed yet. */
int cib__rules_remake(cib_ctx *ctx, const cib__change *c, cib__rebuild *rb);
/* Inside the transaction: the rows of channels whose targets changed, and of
 * those whose ticket rule names `drop_owner` (which revert to the default
 * owner policy, the assignee). */
int cib__rules_write(cib_ctx *ctx, const cib__rebuild *rb, const cib__user *drop_owner);
/* After the commit: ticket rules naming `drop_owner` revert to the default. */
void cib__rules_drop_owner(cib_ctx *ctx, const cib__user *drop_owner);
/* After the commit: install them all. */
void cib__rules_install(cib_ctx *ctx, cib__rebuild *rb);
void cib__rules_discard(cib_ctx *ctx, cib__rebuild *rb);

/* After the commit: replace ch's rule, keeping its cursor (even when its user
 * is no longer a member) and its queue. */
void cib__rule_install(cib_ctx *ctx, cib__channel *ch, cib__rule *r);
void cib__rule_free(cib_ctx *ctx, cib__rule *r);

/* After a change of u's status, load, capacity or seat: update every rule
 * that names u. Infallible. */
void cib__rule_refresh_user(cib_ctx *ctx, cib__user *u);
/* The member of r for user u, or NULL. */
cib__member *cib__rule_member(const cib__rule *r, const cib__user *u);

/* Add routing_* fields to a channel row (borrowing r's labels). */
void cib__rule_row(cib__rowb *b, const cib__rule *r);
/* Read a stored channel row's routing fields into a def (strings borrowed
 * from the row; arrays in the caller's buffers of CIB__MAX_TARGETS). */
int cib__rule_def_from_row(cib_ctx *ctx, const cib_row *row, cib_routing_def *d, int *kinds,
                           const char **ids, size_t *lens);

#endif
