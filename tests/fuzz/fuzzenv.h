/*
 * fuzzenv.h - what the fuzz targets share: a reader that turns the input
 * bytes into choices, an allocator and a store wrapper that fail the call the
 * input picks (as tests/support/testenv.c does for the sweeps, without
 * cmocka), a dump of every stored row, and checks that abort.
 */
#ifndef FUZZENV_H
#define FUZZENV_H

#include <stddef.h>
#include <stdint.h>

#include "convinbox.h"
#include "convinbox/store.h"

/* The libFuzzer entry point each target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant: on violation print where and why, then abort(). */
#define FZ_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                                       \
    } while (0)
#if defined(__GNUC__)
__attribute__((noreturn, format(printf, 4, 5)))
#endif
void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...);

/* ---- the input as a stream of choices; past its end every read is 0 ---- */

typedef struct fz_in {
    const uint8_t *p;
    size_t n;
} fz_in;

uint8_t fz_u8(fz_in *in);
uint32_t fz_u32(fz_in *in);
uint64_t fz_u64(fz_in *in);
/* Up to `max` raw bytes: *len is how many (the first byte says). */
const uint8_t *fz_bytes(fz_in *in, size_t max, size_t *len);
int fz_done(const fz_in *in);

/* ---- an allocator that fails the allocation numbered fail_at ---- */

typedef struct fz_alloc {
    long count;   /* allocations so far */
    long fail_at; /* -1: none */
    long failed;  /* how many failed */
    long live;    /* blocks not freed */
} fz_alloc;

cib_allocator fz_allocator(fz_alloc *fa);

/* ---- a store wrapper that fails the call numbered fail_at ---- */

typedef struct fz_store {
    cib_store inner;
    long calls;
    long fail_at;    /* -1: none */
    long failed;     /* how many failed */
    int fail_with;   /* the status a failing call returns */
    cib_ctx *ctx;    /* for cib_set_callback_error; NULL: none */
    const char *msg; /* a failing call sets it as the callback error */
    size_t msg_len;  /* (msg NULL: none) */
} fz_store;

cib_store fz_store_wrap(fz_store *fs, const cib_store *inner);

/* Every row of every kind, one sorted line each, bytes other than printable
 * ASCII escaped. malloc()ed. */
char *fz_store_dump(const cib_store *s);
/* cib_dump() followed by fz_store_dump(), malloc()ed; aborts on failure.
 * Call with no fault armed. */
char *fz_snapshot(cib_ctx *ctx, const cib_store *s);
/* Abort, showing both, unless the snapshots are equal. */
void fz_expect_same(const char *before, const char *after, const char *what);

#endif
