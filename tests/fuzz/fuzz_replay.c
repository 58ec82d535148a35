/*
 * fuzz_replay.c - the replay fuzz target: arbitrary JSON Lines through
 * convinbox-replay's line handler (examples/replay/session.c), on the
 * in-memory store behind the tool's own "fail_storage" wrapper.
 *
 * Checked for every line, with abort() on a violation: a line the tool
 * refuses ("ok":false, whether the tool or the library refused it) leaves
 * the account (cib_dump) and every stored row byte for byte as they were;
 * a result is an object with "ok" and, when refused, an error name and a
 * message; and at the end a context loaded from the store has the same
 * cib_dump as the one in memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../examples/replay/replay.h"
#include "fuzzenv.h"

enum { MAX_LINES = 64 };

static void check_result(json_t *out)
{
    FZ_CHECK(json_is_object(out), "a result that is not an object");
    json_t *ok = json_object_get(out, "ok");
    FZ_CHECK(json_is_boolean(ok), "a result without \"ok\"");
    if (json_is_false(ok)) {
        FZ_CHECK(json_is_string(json_object_get(out, "error")), "a refusal without an error");
        json_t *m = json_object_get(out, "message");
        FZ_CHECK(json_is_string(m) && json_string_length(m) > 0, "a refusal without a message");
    }
}

/* The account loaded again from the store is the one in memory. */
static void check_reload(rp *r)
{
    r->fail_calls = 0;
    char *mem = NULL;
    FZ_CHECK(cib_dump(r->ctx, &mem, NULL) == CIB_OK, "cib_dump: %s", cib_errmsg(r->ctx));
    cib_options o = CIB_OPTIONS_INIT;
    o.store = &r->mem;
    o.hash_seed = 0x5eed;
    o.zoneinfo_dir = getenv("CONVINBOX_ZONEINFO");
    char err[256] = "";
    o.error_buffer = err;
    o.error_buffer_size = sizeof err;
    cib_ctx *again = NULL;
    /* The tool's context stays open: the load only reads, and the second
     * context is freed before the first is used again. */
    int rc = cib_ctx_new(&o, &again);
    FZ_CHECK(rc == CIB_OK, "reloading the account: %s: %s", cib_status_name(rc), err);
    char *loaded = NULL;
    FZ_CHECK(cib_dump(again, &loaded, NULL) == CIB_OK, "cib_dump of the reloaded account");
    fz_expect_same(mem, loaded, "the account reloaded from the store differs from memory");
    cib_free(again, loaded);
    cib_ctx_free(again);
    cib_free(r->ctx, mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rp r;
    if (rp_open(&r, getenv("CONVINBOX_ZONEINFO"), NULL) != 0)
        abort();
    char *line = malloc(size + 1);
    FZ_CHECK(line != NULL, "out of memory");
    size_t at = 0;
    while (at < size && r.line < MAX_LINES) {
        const uint8_t *nl = memchr(data + at, '\n', size - at);
        size_t len = nl ? (size_t)(nl - (data + at)) + 1 : size - at;
        memcpy(line, data + at, len);
        line[len] = '\0';
        at += len;
        r.line++;
        char *before = fz_snapshot(r.ctx, &r.mem);
        json_t *out = NULL;
        json_error_t jerr;
        int ran = rp_line(&r, line, len, &out, &jerr);
        if (out) {
            check_result(out);
            if (json_is_false(json_object_get(out, "ok"))) {
                long calls = r.fail_calls;
                r.fail_calls = 0; /* the dumps read the store directly */
                char *after = fz_snapshot(r.ctx, &r.mem);
                if (strcmp(before, after) != 0) {
                    char *text = json_dumps(out, JSON_COMPACT);
                    fprintf(stderr, "line %ld refused: %s\n", r.line, text ? text : "?");
                    free(text);
                    fz_expect_same(before, after, "a refused line changed the account");
                }
                free(after);
                r.fail_calls = calls;
            }
            json_decref(out);
        } else {
            FZ_CHECK(ran == RP_LINE_SKIPPED || ran == RP_LINE_NOT_JSON, "no result: %d", ran);
        }
        free(before);
    }
    free(line);
    check_reload(&r);
    rp_close(&r);
    return 0;
}
