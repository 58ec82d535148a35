/*
 * workload.h - accounts and message streams for the benchmarks, built with
 * the public API only. Building is never measured.
 *
 * An account: `users` paid users "u1".."uN" (all available), one team
 * "everyone" of all of them, an inbox "support" and an email channel "mail"
 * routed to the team with the given strategy (0: unassigned) and, when
 * `tickets`, opening a ticket for each new conversation in pipeline
 * "support" at stage "new". Warm contacts "k0".."kM-1" have the emails
 * "c0@example.test".. .
 *
 * A stream: message ids and sender addresses formatted in advance, so the
 * measured loop spends nothing on formatting.
 */
#ifndef BENCH_WORKLOAD_H
#define BENCH_WORKLOAD_H

#include "harness.h"

typedef struct wl_spec {
    long users;
    int strategy; /* enum cib_strategy; 0: the channel is unassigned */
    int queue;    /* the rule's waiting queue (R-ROUTE-8) */
    int tickets;  /* a ticket per new conversation */
    long contacts;
} wl_spec;

/* A new context with the account of `spec` (the in-memory store). */
cib_ctx *wl_account(const wl_spec *spec);

/* The id of user i (0-based): "u1".. . Static buffer, overwritten per call. */
const char *wl_user(long i);

typedef struct wl_stream {
    long n;
    char (*msg_id)[24];
    char (*from)[48];
    char (*thread)[16]; /* NULL: no thread keys */
    cib_inbound *msgs;
} wl_stream;

/* n messages on "mail" with ids "<prefix><first + i>". Senders: with
 * contacts > 0, "c<k>@example.test" for k drawn from [0, contacts) (uniform,
 * from *seed); with contacts == 0, a new sender per message
 * ("n<first + i>@example.test"). thread_keys > 0: each message carries the
 * thread key "t<k>", k drawn from [0, thread_keys). */
void wl_stream_make(wl_stream *s, long n, const char *prefix, long first, long contacts,
                    long thread_keys, uint64_t *seed);
void wl_stream_free(wl_stream *s);

/* Ingests every message of the stream, checking each. */
void wl_ingest_all(cib_ctx *ctx, const wl_stream *s);

#endif
