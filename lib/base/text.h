/* text.h - checking strings that cross the API: ids, names, emails. */
#ifndef CIB_TEXT_H
#define CIB_TEXT_H

#include <stddef.h>

#include "ctx.h"

/* A borrowed string with its length. */
typedef struct cib__str {
    const char *p;
    size_t n;
} cib__str;

enum {
    CIB__TEXT_OPTIONAL = 1,  /* NULL is allowed and gives {NULL, 0} */
    CIB__TEXT_MULTILINE = 2, /* tab, CR and LF are allowed (message bodies) */
    CIB__TEXT_EMPTY_OK = 4   /* an empty string is allowed */
};

/*
 * Check a string argument: not NULL (unless optional), resolve CIB_NTS, not
 * empty, at most `max` bytes, no NUL byte, valid UTF-8, no control
 * characters. `arg` names it in the message; `index` >= 0 prints "arg[index]".
 * Returns CIB_OK or CIB_EINVAL.
 */
int cib__check_text(cib_ctx *ctx, const char *arg, long index, const char *p, size_t n, size_t max,
                    int flags, cib__str *out);

/* An id (at most max_id_len bytes). */
int cib__arg_id(cib_ctx *ctx, const char *arg, const char *p, size_t n, cib__str *out);
/* A name (at most max_name_len bytes). */
int cib__arg_name(cib_ctx *ctx, const char *arg, const char *p, size_t n, cib__str *out);
/* Item `index` of a string list (lens may be NULL: NUL-terminated items). */
int cib__arg_item(cib_ctx *ctx, const char *arg, const char *const *items, const size_t *lens,
                  size_t index, size_t max, cib__str *out);

/* A normalised email address: ASCII letters folded to lower case. */
typedef struct cib__email {
    char s[CIB__EMAIL_MAX + 1];
    size_t n; /* 0: no address */
} cib__email;

/* Check and normalise an email address; optional: NULL gives n == 0. */
int cib__arg_email(cib_ctx *ctx, const char *arg, const char *p, size_t n, int optional,
                   cib__email *out);

/* Fold ASCII letters to lower case. */
void cib__ascii_lower(char *dst, const char *src, size_t n);
/* 1 if a and b are equal ignoring ASCII case. */
int cib__ascii_caseeq(const char *a, size_t an, const char *b, size_t bn);
/* 1 if a and b are equal byte for byte. */
int cib__streq(const char *a, size_t an, const char *b, size_t bn);

#endif
