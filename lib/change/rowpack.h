/*
 * rowpack.h - a row packed into one block of bytes: the in-memory store's
 * row format.
 *
 * A cib_row handed to put() is an array of 64-byte cib_field structs that
 * point at text elsewhere. Kept as it is, a conversation row would cost over
 * a kilobyte and a copy of every field. Packed, each field is a name byte, a
 * type byte and its value:
 *
 *   name   the field name's index in the store's name table (field names are
 *          the library's string constants, so the table holds pointers and
 *          is compared by pointer); NAME_ESC and the 8-byte pointer when the
 *          table is full (a host putting rows with many names of its own)
 *   type   P_NULL | P_I8 | P_I32 | P_I64 (1, 4 or 8 bytes, the smallest that
 *          holds the value) | P_TEXT (varint length, bytes, NUL) | P_LIST
 *          (varint count, then each item as a TEXT)
 *
 * Packing is one pass into the store's growable buffer, which the store
 * then copies into a block of the exact size; unpacking rebuilds cib_field
 * structs that point into the block.
 */
#ifndef CIB_ROWPACK_H
#define CIB_ROWPACK_H

#include <stddef.h>
#include <stdint.h>

#include "convinbox/store.h"
#include "mem.h"

#define CIB__NAMES_MAX   255 /* interned names; later ones are escaped */
#define CIB__NAMES_SLOTS 512 /* a power of two, at least twice the maximum */

/* Field names seen by one store, by pointer. Names are never removed: they
 * are constants, and interning one changes nothing a reader can observe. */
typedef struct cib__names {
    const char *name[CIB__NAMES_MAX];
    uint8_t slot[CIB__NAMES_SLOTS]; /* index + 1 into name[], 0: empty */
    unsigned n;
} cib__names;

typedef struct cib__prow {
    uint32_t size;     /* bytes of the block, header included */
    uint32_t n_items;  /* list items over all LIST fields */
    uint32_t n_fields; /* fields */
    unsigned char data[];
} cib__prow;

/* A growable buffer a row is packed into before it is copied to its block. */
typedef struct cib__pbuf {
    const cib__mem *mem;
    unsigned char *p; /* a cib__prow once packed */
    size_t cap;
} cib__pbuf;

int cib__pbuf_init(cib__pbuf *b, const cib__mem *mem); /* CIB_OK, CIB_ENOMEM */
/* Release the buffer; cib__pack() allocates it again when it needs it. */
void cib__pbuf_free(cib__pbuf *b);

/* Pack r into b (one pass, growing b as needed). Returns CIB_OK (the row is
 * the cib__prow at b->p, its size bytes), CIB_EINVAL when r is malformed (a
 * NULL key, name, text or item, an unknown type, or more than the format's
 * 32-bit counts hold) or CIB_ENOMEM. Nothing else changes but the name
 * table, which no reader can observe. */
int cib__pack(cib__names *names, cib__pbuf *b, const cib_row *r);

/* Rebuild the fields of p: fields has p->n_fields entries, items and lens
 * p->n_items. The fields point into p (texts are NUL-terminated). */
void cib__unpack(const cib__names *names, const cib__prow *p, cib_field *fields, const char **items,
                 size_t *lens);

#endif
