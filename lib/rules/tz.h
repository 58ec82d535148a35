/*
 * tz.h - IANA time zones from the system's TZif files (tzfile(5)), for
 * business hours (R-CHAN-7). No setenv("TZ"), no localtime(): a zone is read
 * once into memory and asked for its UTC offset at an instant. Instants after
 * the file's last transition follow its POSIX TZ rule footer.
 */
#ifndef CIB_TZ_H
#define CIB_TZ_H

#include <stddef.h>
#include <stdint.h>

#include "ctx.h"

/* A rule for one switch of a POSIX TZ string: Jn, n or Mm.w.d at a time. */
typedef struct cib__tzdate {
    char kind;    /* 'J' (1..365, no Feb 29), 'N' (0..365), 'M' */
    int day;      /* J, N: the day; M: weekday 0 (Sunday) .. 6 */
    int month;    /* M: 1..12 */
    int week;     /* M: 1..5 (5: the last) */
    int32_t time; /* seconds after local midnight; may be negative or > 24 h */
} cib__tzdate;

typedef struct cib__zone {
    char *name;
    size_t n_trans;
    int64_t *trans;   /* UTC seconds, increasing */
    uint8_t *types;   /* the type in force from each transition */
    int32_t *offsets; /* per type: seconds east of UTC */
    size_t n_types;
    int has_rule;             /* a POSIX TZ footer */
    int32_t std_off, dst_off; /* seconds east of UTC */
    int has_dst;
    cib__tzdate start, end;
} cib__zone;

/*
 * Load zone `name` from the context's zoneinfo directory. The name must look
 * like an IANA name ("Europe/Berlin"): letters, digits, '/', '_', '+', '-',
 * '.', no empty, "." or ".." component, not absolute. Returns CIB_OK,
 * CIB_EINVAL (a bad name, no such zone, not a TZif file), CIB_ENOMEM.
 */
int cib__zone_load(cib_ctx *ctx, const char *name, size_t len, cib__zone **out);
void cib__zone_free(cib_ctx *ctx, cib__zone *z);
/* The zone's offset from UTC (seconds east) at a UTC instant (seconds). */
int32_t cib__zone_offset(const cib__zone *z, int64_t t);
/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
int64_t cib__days_from_civil(int64_t y, unsigned m, unsigned d);

#endif
