/*
 * hourstest.h - what the chat availability tests (test_hours.c,
 * test_hours_defs.c, test_zones.c) share: civil times in milliseconds
 * computed without the library, availability defs with their range arrays,
 * chat channels with business hours, and asking whether a chat is open at an
 * instant of the test clock (R-CHAN-7, R-AVAIL-3).
 */
#ifndef HOURSTEST_H
#define HOURSTEST_H

#include "testenv.h"

/* ---- time helpers (independent of the library) ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
int64_t civil_days(int64_t y, int m, int d);
/* A UTC civil time in milliseconds since the epoch. */
int64_t utc(int y, int mo, int d, int h, int mi, int s);

#define HM(h, m)            ((unsigned)((h)*60 + (m)))
#define MINUTE_MS           60000LL
#define HOUR_MS             3600000LL
#define DAY_MS              86400000LL
#define WEEK_MS             (7 * DAY_MS)
/* Day k (0: Monday 2026-01-05) of the test clock's first week, at h:m:s UTC. */
#define WEEKDAY(k, h, m, s) (TENV_EPOCH_MS + (k)*DAY_MS + ((h)*3600LL + (m)*60LL + (s)) * 1000)

/* ---- availability defs ---- */

typedef struct range {
    unsigned days, from, to;
} range;

/* A def with its range arrays; `def` points into the struct: do not copy it. */
typedef struct hours {
    unsigned days[80], from[80], to[80];
    cib_availability_def def;
} hours;

void hours_init(hours *h, int mode, const char *tz, const range *r, size_t n);
/* Set business hours on channel ch, asserting CIB_OK. */
void hours_set(tenv *e, const char *ch, const char *tz, const range *r, size_t n);
/* Set a mode without zone or ranges (always, status based). */
void mode_set(tenv *e, const char *ch, int mode);
/* A chat channel in "sales". */
void chat_add(tenv *e, const char *id);
/* A chat channel in "sales" with business hours. */
void hours_chat_add(tenv *e, const char *id, const char *tz, const range *r, size_t n);
/* A routing rule on channel ch, asserting CIB_OK. */
void rule_set(tenv *e, const char *ch, int mode, const int *kinds, const char *const *ids, size_t n,
              int only_available);

/* ---- asking ---- */

/* Is channel ch available at `when` (ms)? Sets the clock and asks. */
int open_at(tenv *e, const char *ch, int64_t when);
/* Fails, naming the line and the instant, unless open_at() gives `want`. */
void expect_open_at(tenv *e, const char *ch, int64_t when, int want, int line);

#define OPEN(e, ch, when)   expect_open_at((e), (ch), (when), 1, __LINE__)
#define CLOSED(e, ch, when) expect_open_at((e), (ch), (when), 0, __LINE__)

/* Minutes open in [from, to), sampled at the start of every minute. */
long minutes_open(tenv *e, const char *ch, int64_t from, int64_t to);

void chat_info(tenv *e, const char *ch, cib_channel_info *out);

/* A context with the inbox "sales". */
tenv *env_sales(void);

/* Fails unless rc is `status` with a message containing `needle` (NULL: any);
 * what and call name the case. */
void expect_refused(tenv *e, int rc, int status, const char *needle, const char *what,
                    const char *call);

#endif
