/* contact.h - contacts: the people who write in, and their addresses. */
#ifndef CIB_CONTACT_H
#define CIB_CONTACT_H

#include "mem.h"
#include "store.h"

/*
 * Addresses in canonical form, unambiguous because ids hold no newline:
 *   "email\n<lower-case address>"
 *   "visitor\n<key>"                  chat visitors without an email
 *   "messenger\n<channel id>\n<id>"   scoped to the Messenger page
 *   "custom\n<channel id>\n<id>"      scoped to the custom channel
 * An address is at most CIB__ADDR_MAX bytes.
 */
#define CIB__ADDR_MAX (2 * CIB__ID_MAX + 16)

/* The canonical address of `value` as a sender on channel ch (value already
 * checked; emails already lower case). Returns its length. */
size_t cib__address(char *buf, const cib__channel *ch, const char *value, size_t len, int is_email);

cib__contact *cib__contact_find(cib_ctx *ctx, const char *id, size_t len);
/* The contact with this canonical address, or NULL. */
cib__contact *cib__contact_by_address(cib_ctx *ctx, const char *addr, size_t len);
/* Looking ahead (cib_ingest_batch()): the fingerprint of an address, with
 * its index slot prefetched; later, cib__contact_prefetch() prefetches the
 * contact that slot names now. Hints: they change nothing. */
cib__fp cib__contact_prefetch_slot(cib_ctx *ctx, const char *addr, size_t len);
void cib__contact_prefetch(cib_ctx *ctx, cib__fp fp);
/* The contact's address to reply to on channel ch (R-CHAN-11), or NULL. */
const char *cib__contact_address_for(const cib__contact *c, const cib__channel *ch);

/* Ingest: a new contact "cib:c<number>" with one address, in the contacts
 * table but not yet in the address index. Fallible; on failure nothing. */
int cib__contact_create_auto(cib_ctx *ctx, uint64_t number, const char *addr, size_t len,
                             int64_t now, cib__contact **out);
/* Undo cib__contact_create_auto(). */
void cib__contact_discard(cib_ctx *ctx, cib__contact *c);
/* The changeable part of a contact's row. A change is written from a copy
 * of this (cib__contact_state_of(), then edit) before memory is touched. */
typedef struct cib__contact_state {
    const char *email; /* or NULL */
    const cib__user *owner;
    int64_t window_at;
    int window_extra;
} cib__contact_state;

cib__contact_state cib__contact_state_of(const cib__contact *c);
/* Write the contact's row (inside a transaction): its id, creation time
 * and addresses with `st`, or with its own state when st is NULL. */
int cib__contact_write(cib_ctx *ctx, const cib__contact *c, const cib__contact_state *st);

static inline size_t cib__contact_n_addrs(const cib__contact *c)
{
    return c->more ? c->more->n_addrs : 0;
}
static inline int64_t cib__contact_window_at(const cib__contact *c)
{
    return c->more ? c->more->window_at : 0;
}
static inline int cib__contact_window_extra(const cib__contact *c)
{
    return c->more ? c->more->window_extra : 0;
}
/* Give c room for a Messenger window (a no-op when it has one). Fallible;
 * an unused room changes nothing anyone can see. */
int cib__contact_window_reserve(cib_ctx *ctx, cib__contact *c);
/* Set the window (after a cib__contact_window_reserve(); cannot fail). */
void cib__contact_window_set(cib__contact *c, int64_t at, int extra);
/* Make room for n more addresses in the index (before a commit). */
int cib__contact_reserve(cib_ctx *ctx, size_t n);
/* Index every address of c (after the commit; after a reserve). */
void cib__contact_index(cib_ctx *ctx, cib__contact *c);

/* Inside an op (op.h), with their undo; CIB_OK or CIB_ENOMEM, and on
 * failure nothing changed: cib__contact_create_auto() (discarded if the op
 * is undone) and cib__contact_index(). */
typedef struct cib__op cib__op;
int cib__contact_create_auto_op(cib__op *op, uint64_t number, const char *addr, size_t len,
                                int64_t now, cib__contact **out);
int cib__contact_index_op(cib__op *op, cib__contact *c);
/* Removing user u: write every contact u owns without an owner (inside a
 * transaction), then, after the commit, clear the owner in memory. */
int cib__contact_write_without_owner(cib_ctx *ctx, const cib__user *u);
void cib__contact_drop_owner(cib_ctx *ctx, const cib__user *u);

int cib__contact_load(cib_ctx *ctx, const cib_row *row);
void cib__contact_dump(cib_ctx *ctx, cib__buf *b);
void cib__contact_free_all(cib_ctx *ctx);

#endif
