/*
 * api.h - the api fuzz target: the input is a program of library calls.
 * fuzz_api.c runs the program and checks the invariants around every call;
 * api_ops.c decodes each call's arguments from the input.
 */
#ifndef FUZZ_API_H
#define FUZZ_API_H

#include "fuzzenv.h"

/* The longest raw string the input can give (beyond the default limits). */
#define API_RAW_MAX 300

typedef struct fz_str {
    const char *s;
    size_t n;
} fz_str;

/* Classes of strings: each picks mostly from its own small dictionary, so
 * that calls name objects that exist, and sometimes from raw input bytes or
 * a list of malformed strings. */
enum api_class {
    S_USER,
    S_TEAM,
    S_CONTACT,
    S_PIPELINE,
    S_STAGE,
    S_INBOX,
    S_CHANNEL,
    S_EMAIL,
    S_NAME,
    S_TEXT,
    S_ZONE,
    S_PROPKEY,
    S_MSGID,
    S_THREAD,
    S_FROM,
    S_TARGET,
    S_CLASSES
};

typedef struct api {
    fz_in in;
    fz_alloc fa;
    cib_allocator alloc;
    cib_store mem;
    fz_store fs;
    cib_store store;
    cib_options opts;
    cib_sender sender;
    cib_ctx *ctx;
    char zoneinfo[256];
    int64_t now;
    int64_t clock_step; /* added after each clock read */
    uint64_t convs[8];  /* library ids seen: conversations, messages, tickets */
    uint64_t msgs[4];
    uint64_t tickets[4];
    unsigned n_convs, n_msgs, n_tickets;
    /* Raw strings of the current call, NUL-terminated. */
    char pool[48][API_RAW_MAX + 1];
    unsigned pool_next;
    /* The next call fails this allocation / storage call (-1: none). */
    long arm_alloc, arm_store;
    int send_rc;      /* what the sender returns */
    int probe_events; /* event callback: try a mutating call (refused) */
    long events;
    long ops;
} api;

/* A string of a class; NULL (with length CIB_NTS) now and then. */
fz_str api_str(api *a, int cls);
/* A conversation id: mostly one seen before. */
uint64_t api_conv(api *a);
uint64_t api_ticket(api *a);
/* A time: near now, or any int64 (the library refuses those outside
 * CIB_TIME_MIN..CIB_TIME_MAX). */
int64_t api_time(api *a);
void api_seen_conv(api *a, uint64_t id);

/* Run the call opcode `op` (api_ops.c); returns its status. `mutating` is
 * set to 1 when the call may change the account. */
int api_call(api *a, unsigned op, int *mutating);
/* How many opcodes api_call knows. */
extern const unsigned api_n_ops;
/* The name of an opcode, for messages. */
const char *api_op_name(unsigned op);

#endif
