/* rowpack.c - the packed row format of the in-memory store (rowpack.h). */
#include "rowpack.h"

#include <string.h>

enum { P_NULL, P_I8, P_I32, P_I64, P_TEXT, P_LIST };

#define NAME_ESC 0xff

/* ---- the name table ---- */

static unsigned name_home(const char *name)
{
    uint64_t x = (uint64_t)(uintptr_t)name * UINT64_C(0x9E3779B97F4A7C15);
    return (unsigned)(x >> 55) & (CIB__NAMES_SLOTS - 1);
}

/* The name's index, interning it; NAME_ESC when the table is full. */
static inline unsigned name_id(cib__names *t, const char *name)
{
    for (unsigned i = name_home(name);; i = (i + 1) & (CIB__NAMES_SLOTS - 1)) {
        unsigned v = t->slot[i];
        if (!v) {
            if (t->n == CIB__NAMES_MAX)
                return NAME_ESC;
            t->name[t->n] = name;
            t->slot[i] = (uint8_t)++t->n;
            return t->n - 1;
        }
        if (t->name[v - 1] == name)
            return v - 1;
    }
}

/* ---- packing ---- */

static inline unsigned char *put_varint(unsigned char *p, size_t n)
{
    while (n >= 0x80) {
        *p++ = (unsigned char)(n | 0x80);
        n >>= 7;
    }
    *p++ = (unsigned char)n;
    return p;
}

/* Most texts are ids and addresses of a few bytes: copy those with two
 * overlapping loads instead of a call. */
static inline unsigned char *put_bytes(unsigned char *p, const char *s, size_t n)
{
    p = put_varint(p, n);
    if (n >= 8 && n <= 16) {
        uint64_t a, b;
        memcpy(&a, s, 8);
        memcpy(&b, s + n - 8, 8);
        memcpy(p, &a, 8);
        memcpy(p + n - 8, &b, 8);
    } else if (n >= 4 && n < 8) {
        uint32_t a, b;
        memcpy(&a, s, 4);
        memcpy(&b, s + n - 4, 4);
        memcpy(p, &a, 4);
        memcpy(p + n - 4, &b, 4);
    } else if (n > 0) {
        memcpy(p, s, n);
    }
    p[n] = '\0';
    return p + n + 1;
}

/* The most one field takes besides its text: an escaped name (9 bytes), the
 * type, and an 8-byte integer or a 10-byte varint. */
#define FIELD_MAX 20

/* The slow path of room for `need` more bytes at o: grow the buffer, at
 * most to the format's 32-bit size. Returns the new o, or NULL with *rc. */
#if defined(__GNUC__)
__attribute__((noinline, cold))
#endif
static unsigned char *
grow(cib__pbuf *b, unsigned char *o, size_t need, int *rc)
{
    size_t used = (size_t)(o - b->p);
    if (need > UINT32_MAX - used) {
        *rc = CIB_EINVAL;
        return NULL;
    }
    size_t cap = b->cap;
    while (cap - used < need)
        cap = cap > UINT32_MAX / 2 ? UINT32_MAX : cap * 2;
    unsigned char *p = cib__realloc(b->mem, b->p, cap);
    if (!p) {
        *rc = CIB_ENOMEM;
        return NULL;
    }
    b->p = p;
    b->cap = cap;
    return p + used;
}

int cib__pbuf_init(cib__pbuf *b, const cib__mem *mem)
{
    b->mem = mem;
    b->cap = 1024;
    b->p = cib__malloc(mem, b->cap);
    return b->p ? CIB_OK : CIB_ENOMEM;
}

void cib__pbuf_free(cib__pbuf *b)
{
    cib__free(b->mem, b->p);
    b->p = NULL;
    b->cap = 0;
}

/* Room for need more bytes at o; the buffer's capacity is never above
 * UINT32_MAX, so a packed row's size always fits its header. */
#define ROOM(need)                                                                                 \
    do {                                                                                           \
        if ((size_t)(end - o) < (need)) {                                                          \
            if (!(o = grow(b, o, (need), &rc)))                                                    \
                return rc;                                                                         \
            end = b->p + b->cap;                                                                   \
        }                                                                                          \
    } while (0)

int cib__pack(cib__names *names, cib__pbuf *b, const cib_row *r)
{
    if (!r->key || (r->n_fields && !r->fields) || r->n_fields > UINT32_MAX)
        return CIB_EINVAL;
    if (!b->p && cib__pbuf_init(b, b->mem)) /* released after a large row */
        return CIB_ENOMEM;
    unsigned char *o = b->p + sizeof(cib__prow), *end = b->p + b->cap;
    size_t items = 0;
    int rc = CIB_OK;
    for (size_t i = 0; i < r->n_fields; i++) {
        const cib_field *f = &r->fields[i];
        if (!f->name)
            return CIB_EINVAL;
        switch (f->type) {
        case CIB_FIELD_INT:
        case CIB_FIELD_NULL:
            ROOM(FIELD_MAX);
            break;
        case CIB_FIELD_TEXT:
            if (!f->text)
                return CIB_EINVAL;
            ROOM(FIELD_MAX + f->len + 1);
            break;
        case CIB_FIELD_LIST:
            if (f->n_items && !f->items)
                return CIB_EINVAL;
            ROOM(FIELD_MAX);
            break;
        default:
            return CIB_EINVAL;
        }
        unsigned id = name_id(names, f->name);
        *o++ = (unsigned char)id;
        if (id == NAME_ESC) {
            memcpy(o, &f->name, sizeof f->name);
            o += sizeof f->name;
        }
        if (f->type == CIB_FIELD_TEXT) {
            *o++ = P_TEXT;
            o = put_bytes(o, f->text, f->len);
        } else if (f->type == CIB_FIELD_INT) {
            int64_t v = f->i;
            if (v >= INT8_MIN && v <= INT8_MAX) {
                o[0] = P_I8;
                o[1] = (unsigned char)(int8_t)v;
                o += 2;
            } else if (v >= INT32_MIN && v <= INT32_MAX) {
                int32_t w = (int32_t)v;
                *o++ = P_I32;
                memcpy(o, &w, 4);
                o += 4;
            } else {
                *o++ = P_I64;
                memcpy(o, &v, 8);
                o += 8;
            }
        } else if (f->type == CIB_FIELD_NULL) {
            *o++ = P_NULL;
        } else {
            *o++ = P_LIST;
            o = put_varint(o, f->n_items);
            for (size_t k = 0; k < f->n_items; k++) {
                const char *s = f->items[k];
                if (!s)
                    return CIB_EINVAL;
                size_t len = f->item_lens ? f->item_lens[k] : strlen(s);
                ROOM(FIELD_MAX + len + 1);
                o = put_bytes(o, s, len);
            }
            items += f->n_items;
        }
    }
    if (items > UINT32_MAX)
        return CIB_EINVAL;
    cib__prow *p = (cib__prow *)(void *)b->p;
    p->n_fields = (uint32_t)r->n_fields;
    p->n_items = (uint32_t)items;
    p->size = (uint32_t)(o - b->p);
    return CIB_OK;
}

/* ---- unpacking ---- */

static const unsigned char *get_varint(const unsigned char *p, size_t *out)
{
    size_t v = 0;
    unsigned shift = 0;
    unsigned char b;
    do {
        b = *p++;
        v |= (size_t)(b & 0x7f) << shift;
        shift += 7;
    } while (b & 0x80);
    *out = v;
    return p;
}

void cib__unpack(const cib__names *names, const cib__prow *p, cib_field *fields, const char **items,
                 size_t *lens)
{
    const unsigned char *o = p->data;
    for (uint32_t i = 0; i < p->n_fields; i++) {
        cib_field *f = &fields[i];
        memset(f, 0, sizeof *f);
        unsigned id = *o++;
        if (id == NAME_ESC) {
            memcpy(&f->name, o, sizeof f->name);
            o += sizeof f->name;
        } else {
            f->name = names->name[id];
        }
        switch (*o++) {
        case P_NULL:
            f->type = CIB_FIELD_NULL;
            break;
        case P_I8:
            f->type = CIB_FIELD_INT;
            f->i = (int8_t)*o++;
            break;
        case P_I32: {
            int32_t v;
            memcpy(&v, o, 4);
            o += 4;
            f->type = CIB_FIELD_INT;
            f->i = v;
            break;
        }
        case P_I64:
            f->type = CIB_FIELD_INT;
            memcpy(&f->i, o, 8);
            o += 8;
            break;
        case P_TEXT:
            f->type = CIB_FIELD_TEXT;
            o = get_varint(o, &f->len);
            f->text = (const char *)o;
            o += f->len + 1;
            break;
        default: /* P_LIST */
            f->type = CIB_FIELD_LIST;
            o = get_varint(o, &f->n_items);
            f->items = items;
            f->item_lens = lens;
            for (size_t k = 0; k < f->n_items; k++) {
                o = get_varint(o, lens);
                *items++ = (const char *)o;
                o += *lens++ + 1;
            }
            break;
        }
    }
}
