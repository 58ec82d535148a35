/* settings.h - reading a channel's settings from JSON into library defs:
 * routing, tickets, availability, sender, properties. Strings point into
 * the JSON; arrays are malloc'ed and freed with the buffer. */
#ifndef REPLAY_SETTINGS_H
#define REPLAY_SETTINGS_H

#include "replay.h"

typedef struct routing_buf {
    cib_routing_def def;
    int *kinds;
    const char **ids;
} routing_buf;

typedef struct props_buf {
    const char **keys, **values;
    size_t n;
} props_buf;

typedef struct tickets_buf {
    cib_ticket_def def;
    props_buf props;
} tickets_buf;

typedef struct hours_buf {
    cib_availability_def def;
    unsigned days[64], from[64], to[64];
} hours_buf;

typedef struct channel_buf {
    cib_channel_def def;
    routing_buf routing;
    tickets_buf tickets;
    hours_buf hours;
    props_buf props;
    int has_routing, has_tickets;
} channel_buf;

/* Each returns 0, or -1 with the result set to an "invalid" error. */
int read_routing(json_t *v, json_t *out, routing_buf *b);
void routing_buf_free(routing_buf *b);
int read_tickets(json_t *v, json_t *out, tickets_buf *b);
void tickets_buf_free(tickets_buf *b);
int read_hours(json_t *v, json_t *out, hours_buf *b);
int read_props(json_t *v, json_t *out, const char *key, props_buf *b);
void props_buf_free(props_buf *b);
/* The whole "channel" op. */
int read_channel(json_t *in, json_t *out, channel_buf *b);
void channel_buf_free(channel_buf *b);

#endif
