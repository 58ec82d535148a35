/* ctx.c - creating and freeing a context; options; clock; versioned structs. */
#include "ctx.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <xxhash.h>

#include "account.h"
#include "caps.h"
#include "error.h"
#include "heap.h"
#include "op.h"
#include "store.h"
#include "ticket.h"

static int64_t system_clock(void *ud)
{
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cib__time_ok(int64_t t)
{
    return t >= CIB_TIME_MIN && t <= CIB_TIME_MAX;
}

int cib__now(cib_ctx *ctx, int64_t *out)
{
    int64_t t = ctx->clock(ctx->clock_user_data);
    *out = t;
    if (cib__time_ok(t))
        return CIB_OK;
    *out = 0;
    int rc =
        cib__fail(ctx, CIB_EINVAL,
                  "invalid argument: the clock returned %lld, outside CIB_TIME_MIN..CIB_TIME_MAX "
                  "(%lld..%lld ms since the epoch)",
                  (long long)t, (long long)CIB_TIME_MIN, (long long)CIB_TIME_MAX);
    if (ctx->batch) /* the batch as a whole fails: the clock is not the message's fault */
        ctx->batch_failed = rc;
    return rc;
}

static int limit(uint32_t v, uint32_t dflt, uint32_t min, uint32_t max, uint32_t *out)
{
    if (v == 0)
        v = dflt;
    if (v < min || v > max)
        return 0;
    *out = v;
    return 1;
}

/* Bytes of a host vtable of each version: a host built against an older
 * header passes a shorter struct, so only the slots of its version are read
 * (slots are only appended; the later ones stay NULL). */
static size_t store_size(int version)
{
    return version == 1   ? offsetof(cib_store, find_page)
           : version == 2 ? offsetof(cib_store, apply)
                          : sizeof(cib_store);
}

static size_t sender_size(int version)
{
    (void)version; /* 1: the whole struct of this header */
    return sizeof(cib_sender);
}

/* Check a host's store and copy it by version into *out; on CIB_EINVAL the
 * reason is in why. */
static int store_copy(const cib_store *s, cib_store *out, char *why, size_t n)
{
    if (s->version < 1 || s->version > CIB_STORE_VERSION) {
        snprintf(why, n,
                 "invalid argument: 'opts->store->version' is %d: this library accepts versions "
                 "1 to %d (CIB_STORE_VERSION)",
                 s->version, CIB_STORE_VERSION);
        return CIB_EINVAL;
    }
    memset(out, 0, sizeof *out);
    memcpy(out, s, store_size(s->version));
    const char *missing = !out->begin      ? "begin"
                          : !out->commit   ? "commit"
                          : !out->rollback ? "rollback"
                          : !out->put      ? "put"
                          : !out->del      ? "del"
                          : !out->get      ? "get"
                          : !out->scan     ? "scan"
                                           : NULL;
    if (missing) {
        snprintf(why, n,
                 "invalid argument: 'opts->store->%s' is NULL: a store needs begin, commit, "
                 "rollback, put, del, get and scan",
                 missing);
        return CIB_EINVAL;
    }
    return CIB_OK;
}

static int sender_copy(const cib_sender *s, cib_sender *out, char *why, size_t n)
{
    if (s->version < 1 || s->version > CIB_SENDER_VERSION) {
        snprintf(why, n,
                 "invalid argument: 'opts->sender->version' is %d: this library accepts "
                 "versions 1 to %d (CIB_SENDER_VERSION)",
                 s->version, CIB_SENDER_VERSION);
        return CIB_EINVAL;
    }
    memset(out, 0, sizeof *out);
    memcpy(out, s, sender_size(s->version));
    return CIB_OK;
}

/* Write the reason ctx_new failed to the caller's buffer, if any. */
static int new_failed(const cib_options *o, const char *msg, int rc)
{
    if (o && o->size >= sizeof *o && o->error_buffer && o->error_buffer_size) {
        size_t n = strlen(msg);
        if (n >= o->error_buffer_size)
            n = o->error_buffer_size - 1;
        memcpy(o->error_buffer, msg, n);
        o->error_buffer[n] = '\0';
    }
    return rc;
}

int cib_ctx_new(const cib_options *opts, cib_ctx **out)
{
    return cib__ctx_new_with(opts, out, cib__os_entropy);
}

int cib__ctx_new_with(const cib_options *opts, cib_ctx **out, cib__entropy_fn entropy)
{
    if (!out)
        return new_failed(opts, "invalid argument: 'out' is NULL", CIB_EINVAL);
    *out = NULL;
    cib_options o = CIB_OPTIONS_INIT;
    if (opts) {
        int bad = opts->size < sizeof(size_t);
        if (opts->size > sizeof o) {
            const unsigned char *tail = (const unsigned char *)opts + sizeof o;
            for (size_t i = 0; !bad && i < opts->size - sizeof o; i++)
                bad = tail[i] != 0;
        }
        if (bad)
            return new_failed(opts,
                              "invalid argument: 'opts->size' is wrong: initialise "
                              "the options with CIB_OPTIONS_INIT",
                              CIB_EINVAL);
        memcpy(&o, opts, opts->size < sizeof o ? opts->size : sizeof o);
        o.size = sizeof o;
    }
    cib__mem mem;
    char why[256];
    cib_store store = CIB_STORE_INIT;
    cib_sender sender = CIB_SENDER_INIT;
    if (cib__mem_init_arg(&mem, o.allocator, "opts->allocator", why, sizeof why) ||
        (o.store && store_copy(o.store, &store, why, sizeof why)) ||
        (o.sender && sender_copy(o.sender, &sender, why, sizeof why)))
        return new_failed(opts, why, CIB_EINVAL);
    cib_ctx *ctx = cib__calloc(&mem, 1, sizeof *ctx);
    if (!ctx)
        return new_failed(opts, "out of memory", CIB_ENOMEM);
    ctx->mem = mem;
    uint32_t recent;
    if (!limit(o.max_inboxes, 100, 1, UINT32_MAX, &ctx->lim.max_inboxes) ||
        !limit(o.max_id_len, 255, CIB__LIMIT_MIN, CIB__ID_MAX, &ctx->lim.max_id_len) ||
        !limit(o.max_name_len, 255, CIB__LIMIT_MIN, CIB__ID_MAX, &ctx->lim.max_name_len) ||
        !limit(o.max_text_len, CIB__TEXT_DEFAULT, 1, CIB__TEXT_MAX, &ctx->lim.max_text_len) ||
        !limit(o.dedup_recent, CIB__DEDUP_RECENT_DEFAULT, 1, CIB__DEDUP_RECENT_MAX, &recent)) {
        cib__free(&mem, ctx);
        return new_failed(opts, "invalid argument: a limit in 'opts' is outside its range",
                          CIB_EINVAL);
    }
    /* The tables' seed: fresh and never stored (hash.h), unless the host
     * fixes it. No entropy, no context: a guessable seed would let chosen
     * keys collide. */
    ctx->entropy = entropy;
    ctx->seed = o.hash_seed;
    int erc = o.hash_seed ? 0 : entropy(&ctx->seed, sizeof ctx->seed);
    if (erc) {
        cib__free(&mem, ctx);
        char msg[200];
        snprintf(msg, sizeof msg,
                 "no random seed for the hash tables: the operating system gave no "
                 "random bytes (%s); pass a random opts->hash_seed",
                 strerror(erc));
        return new_failed(opts, msg, CIB_ENOMEM);
    }
    ctx->clock = o.clock ? o.clock : system_clock;
    ctx->clock_user_data = o.clock ? o.clock_user_data : NULL;
    ctx->on_event = o.on_event;
    ctx->event_user_data = o.event_user_data;
    ctx->dedup_window = o.dedup_window_ms; /* 0: forever (R-CONV-3) */
    if (o.sender) {
        ctx->sender = sender;
        ctx->has_sender = 1;
    }
    if (o.dedup_window_ms < 0 || o.dedup_window_ms > CIB_TIME_MAX) {
        cib__free(&mem, ctx);
        return new_failed(opts,
                          "invalid argument: 'opts->dedup_window_ms' is negative or over "
                          "CIB_TIME_MAX",
                          CIB_EINVAL);
    }
    const char *zdir = o.zoneinfo_dir ? o.zoneinfo_dir : "/usr/share/zoneinfo";
    if (strlen(zdir) >= sizeof ctx->zoneinfo_dir) {
        cib__free(&mem, ctx);
        return new_failed(opts, "invalid argument: 'opts->zoneinfo_dir' is too long", CIB_EINVAL);
    }
    strcpy(ctx->zoneinfo_dir, zdir);
    int rc = cib__caps_init(ctx, &o); /* last: it may install the heap budget */
    if (rc) {
        new_failed(opts, ctx->errmsg, rc);
        cib__free(&mem, ctx);
        return rc;
    }
    cib__fptab_init(&ctx->contact_index, 1, ctx->seed);
    cib__fptab_init(&ctx->threads, 1, ctx->seed);
    cib__dedup_init(ctx, recent);
    if (o.store) {
        ctx->store = store;
    } else {
        uint64_t ms_seed[2] = {ctx->seed, 0x6d656d73746f7265ull}; /* "memstore" */
        rc = cib__memstore_new_seeded(ctx->heap ? &ctx->mem.a : o.allocator,
                                      XXH3_64bits(ms_seed, sizeof ms_seed), &ctx->store);
        if (rc) {
            cib__nomem(ctx); /* "out of memory", naming a heap budget that refused */
            new_failed(opts, ctx->errmsg, rc);
            cib__heap_unwrap(&ctx->mem, ctx->heap);
            cib__free(&mem, ctx);
            return rc;
        }
        ctx->owns_store = 1;
        ctx->store_skips = 1u << CIB_KIND_ACCOUNT | 1u << CIB_KIND_USER | 1u << CIB_KIND_TEAM |
                           1u << CIB_KIND_CONTACT | 1u << CIB_KIND_PIPELINE | 1u << CIB_KIND_INBOX |
                           1u << CIB_KIND_CHANNEL | 1u << CIB_KIND_ROUTING;
        ctx->store_skips_open = 1;
    }
    const char *inbox_name = o.default_inbox_name ? o.default_inbox_name : "Inbox";
    rc = cib__account_open(ctx, inbox_name);
    if (rc) {
        new_failed(opts, ctx->errmsg, rc);
        cib_ctx_free(ctx);
        return rc;
    }
    *out = ctx;
    return CIB_OK;
}

void cib_ctx_free(cib_ctx *ctx)
{
    if (!ctx)
        return;
    if (ctx->in_tx)
        ctx->store.rollback(ctx->store.user_data);
    cib__account_free(ctx);
    cib__ticket_scratch_free(ctx);
    cib__op_free_all(ctx);
    cib__txbuf_reset(ctx);
    if (ctx->owns_store && ctx->store.close)
        ctx->store.close(ctx->store.user_data);
    cib__mem mem = ctx->mem;
    cib__heap_unwrap(&mem, ctx->heap); /* the context itself is the host's block */
    cib__free(&mem, ctx);
}

void cib_free(cib_ctx *ctx, void *ptr)
{
    if (ctx)
        cib__free(&ctx->mem, ptr);
}

int cib__def_read(cib_ctx *ctx, const char *arg, const void *def, size_t known, void *out)
{
    if (!def)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: '%s' is NULL", arg);
    size_t size;
    memcpy(&size, def, sizeof size);
    if (size < sizeof(size_t))
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: '%s->size' is %zu: initialise it with its "
                         "CIB_*_INIT macro",
                         arg, size);
    if (size > known) {
        const unsigned char *tail = (const unsigned char *)def + known;
        for (size_t i = 0; i < size - known; i++)
            if (tail[i])
                return cib__fail(ctx, CIB_EINVAL,
                                 "invalid argument: '%s' sets members this library version "
                                 "(%s) does not know",
                                 arg, CIB_VERSION_STRING);
    }
    memcpy(out, def, size < known ? size : known);
    memcpy(out, &known, sizeof known);
    return CIB_OK;
}

int cib__info_write(cib_ctx *ctx, const char *arg, void *out, const void *full, size_t known)
{
    if (!out)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: '%s' is NULL", arg);
    size_t size;
    memcpy(&size, out, sizeof size);
    if (size < sizeof(size_t))
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: '%s->size' is %zu: initialise it with its "
                         "CIB_*_INFO_INIT macro",
                         arg, size);
    size_t n = size < known ? size : known;
    memcpy((char *)out + sizeof size, (const char *)full + sizeof size, n - sizeof size);
    return CIB_OK;
}
