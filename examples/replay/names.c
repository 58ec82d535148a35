/* names.c - scenario names of conversations and contacts. Users, teams,
 * inboxes, channels, pipelines and contacts a scenario creates keep their
 * scenario ids in the library; conversations get library ids, and contacts
 * the library creates get "cib:c<N>". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

static void id_key(uint64_t id, char *buf, size_t size)
{
    snprintf(buf, size, "%" PRIu64, id);
}

const char *rp_conv_name(rp *r, uint64_t id)
{
    char key[32];
    id_key(id, key, sizeof key);
    json_t *name = json_object_get(r->conv_names, key);
    if (name)
        return json_string_value(name);
    char def[40];
    snprintf(def, sizeof def, "#%" PRIu64, id);
    json_object_set_new(r->conv_names, key, json_string(def));
    return json_string_value(json_object_get(r->conv_names, key));
}

int rp_conv_bind(rp *r, uint64_t id, const char *name)
{
    if (!name)
        return 0;
    char key[32];
    id_key(id, key, sizeof key);
    json_object_set_new(r->conv_ids, name, json_integer((json_int_t)id));
    json_object_set_new(r->conv_names, key, json_string(name));
    return 0;
}

int rp_conv_find(rp *r, json_t *out, const char *name, uint64_t *id)
{
    json_t *v = json_object_get(r->conv_ids, name);
    if (v) {
        *id = (uint64_t)json_integer_value(v);
        return 0;
    }
    if (name[0] == '#') {
        char *end;
        unsigned long long x = strtoull(name + 1, &end, 10);
        char key[32];
        id_key(x, key, sizeof key);
        if (name[1] && !*end && json_object_get(r->conv_names, key)) {
            *id = x;
            return 0;
        }
    }
    return rp_fail(out, "not_found", "conversation '%s' not found", name);
}

const char *rp_contact_name(rp *r, const char *id)
{
    json_t *a = json_object_get(r->contact_addrs, id);
    return a ? json_string_value(a) : id;
}

void rp_contact_bind(rp *r, const char *id, const char *address)
{
    if (strncmp(id, "cib:", 4) == 0 && !json_object_get(r->contact_addrs, id))
        json_object_set_new(r->contact_addrs, id, json_string(address));
}
