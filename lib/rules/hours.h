/* hours.h - when a chat channel is available (R-CHAN-7): always, while a
 * user its routing rule names is available, or in business hours. */
#ifndef CIB_HOURS_H
#define CIB_HOURS_H

#include "index.h"
#include "store.h"
#include "tz.h"

/* Ranges per channel, at most. */
#define CIB__MAX_RANGES 64

typedef struct cib__range {
    unsigned days;     /* bit 0: Monday ... bit 6: Sunday */
    unsigned from, to; /* minutes after local midnight; to <= from: overnight */
} cib__range;

typedef struct cib__hours {
    int mode;        /* enum cib_chat_mode */
    char *tz;        /* business hours: the zone's name */
    cib__zone *zone; /* NULL when a stored zone could not be loaded */
    cib__range ranges[CIB__MAX_RANGES];
    size_t n_ranges;
} cib__hours;

/* Check a def (NULL: always) into a new object. CIB_OK, CIB_EINVAL,
 * CIB_ENOMEM. When `loading` a stored def, a zone that cannot be loaded (the
 * system's tzdata changed) is kept by name with no zone: the channel is then
 * never open, rather than the account failing to open. */
int cib__hours_make(cib_ctx *ctx, const cib_availability_def *def, int loading, cib__hours **out);
void cib__hours_free(cib_ctx *ctx, cib__hours *h);
/* The def stored in a channel row (strings borrowed; ranges into the
 * caller's arrays of CIB__MAX_RANGES). *has: 0 when the row has none. */
int cib__hours_def_from_row(cib_ctx *ctx, const cib_row *row, cib_availability_def *d,
                            unsigned *days, unsigned *from, unsigned *to, int *has);
/* Storage for the hours items of a row until it is written. */
typedef struct cib__hours_tmp {
    cib__idlist items;
    char *block;
} cib__hours_tmp;

/* Add availability, tz and hours ("mon,tue 09:00-17:30") to a channel row (h
 * NULL: not a chat channel, all NULL). CIB_OK or CIB_ENOMEM; free tmp after
 * the row is written. */
int cib__hours_row(cib_ctx *ctx, cib__rowb *b, const cib__hours *h, cib__hours_tmp *tmp);
void cib__hours_row_free(cib_ctx *ctx, cib__hours_tmp *tmp);
/* Within the business hours at this instant (ms)? -1: the zone is missing. */
int cib__hours_open(const cib__hours *h, int64_t now_ms);

#endif
