/* lists.h - a list of strings as a JSON array ('["a","b\n"]'), for SQLite
 * columns a host can read with json_each(). */
#ifndef CIB_SQLITE_LISTS_H
#define CIB_SQLITE_LISTS_H

#include <stddef.h>

/* A growing byte buffer. */
typedef struct sq_buf {
    char *p;
    size_t n, cap;
} sq_buf;

/* Room for `more` bytes after b->n: 0, or -1 when out of memory or when
 * b->n + more is over SIZE_MAX / 2 (b is then unchanged). */
int sq_buf_reserve(sq_buf *b, size_t more);
void sq_buf_free(sq_buf *b);

/* Append the JSON array of items[0..n) (lens NULL: NUL-terminated) to b. */
int sq_list_encode(sq_buf *b, const char *const *items, const size_t *lens, size_t n);

/*
 * Decode a JSON array of strings, appending the strings to `text`
 * (NUL-terminated, one after the other) and, per item, two size_t (its
 * offset in `text` and its length) to `meta`. Returns the number of items,
 * -1 when the text is not a JSON array of strings, -2 when out of memory.
 */
long sq_list_decode(const char *json, size_t len, sq_buf *text, sq_buf *meta);

#endif
