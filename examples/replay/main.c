/*
 * main.c - convinbox-replay: read a scenario (JSON Lines), run each line
 * against libconvinbox, print one result line per input line, check the
 * lines' expectations. Exit 0: every expectation held; 1: some did not; 2:
 * the file could not be read, or a line is not JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

/* The manual, in parts (C limits the length of one string literal). */
static const char *const usage[] = {
    "usage: convinbox-replay [--db PATH] [--summary] [--quiet] FILE.jsonl | -\n"
    "\n"
    "Runs a scenario against libconvinbox through its public API: one JSON\n"
    "object per line in, one JSON result per line out (stdout). '-' reads\n"
    "standard input. Empty lines and lines starting with '#' are skipped.\n"
    "\n"
    "  --summary  after the run, print tables: conversations per inbox and\n"
    "             channel, assignments per agent, unassigned and waiting at the\n"
    "             end, tickets per pipeline and stage, first-response times,\n"
    "             messages processed per second\n"
    "  --quiet    print only the results whose expectations failed\n"
    "  --db PATH  keep the account in this SQLite database (created if\n"
    "             there is no such file): a second run continues the same\n"
    "             account; a file that lost its account is refused\n"
    "  --sync full|normal  how --db commits: full (the default) survives\n"
    "             power loss; normal is faster and may lose the last calls\n"
    "  --help     this text\n"
    "\n"
    "Every line has \"op\", and may have \"expect\":{...}: each key in it must\n"
    "equal the same key of the line's result (JSON deep equality, arrays in\n"
    "order); a line that fails prints \"expect_failed\":[keys] and the run exits\n"
    "1 at the end. A line that is not JSON stops the run with exit 2, naming the\n"
    "line. A line that is JSON but breaks the rules below (not an object, an\n"
    "unknown op, an unknown, missing or mistyped key) gets\n"
    "{\"ok\":false,\"error\":\"invalid\",\"message\":...} naming the key, and the run\n"
    "goes on. Results: {\"line\":N,\"op\":...,\"ok\":true,...} or\n"
    "{\"line\":N,\"op\":...,\"ok\":false,\"error\":NAME,\"message\":...}; NAME is\n"
    "invalid, not_found, conflict, forbidden, disabled, seat_required, limit,\n"
    "window_closed, duplicate, storage or nomem. A failed line changes nothing.\n"
    "\n",
    "Time (the clock starts at 2026-01-05T00:00:00Z, a Monday):\n"
    "  clock    now: RFC 3339 time (\"2026-11-23T09:00:00Z\", \"...+01:00\")\n"
    "  advance  seconds: N >= 0\n"
    "Account (ids are the scenario's own and are kept):\n"
    "  user     id, name (default: the id), email, seat paid|free, role\n"
    "           member|admin|super_admin, capacity (0: none). On an existing\n"
    "           id: changes the keys given (e.g. capacity). New users are\n"
    "           offline.\n"
    "  team     id, members: [user ids]. On an existing id: new members.\n"
    "  pipeline id, stages: [names]\n"
    "  contact  id, email, owner (a user id)\n"
    "  status   user, status available|away|offline, reassign_replies: bool\n",
    "Inboxes and channels (the default inbox has id \"default\"):\n"
    "  inbox          id, name, access: \"everyone\" (default) or\n"
    "                 {\"users\":[...],\"teams\":[...]}\n"
    "  inbox.rename   inbox, name\n"
    "  inbox.delete   inbox, confirm (the exact name)\n"
    "  inbox.access   inbox, access\n"
    "  channel        id, inbox, type email|chat|form|messenger|custom|\n"
    "                 fallback_email, address, status enabled|disabled,\n"
    "                 routing, tickets, availability (chat), threading\n"
    "                 key|new (custom), sender {display agent_and_company|\n"
    "                 company, company, signature, name (fallback email's\n"
    "                 sender name)}, log_forward_to_original: bool,\n"
    "                 properties: {key: value}\n"
    "  channel.status       channel, status\n"
    "  channel.routing      channel, routing\n"
    "  channel.tickets      channel, tickets (null: off)\n"
    "  channel.availability channel, availability\n"
    "  routing: {\"mode\":\"unassigned\"} | {\"mode\":\"specific\",\"targets\":\n"
    "    [\"user:ID\",\"team:ID\"],\"only_available\":true,\"strategy\":\n"
    "    first_available|round_robin|least_loaded,\"queue\":false} |\n"
    "    {\"mode\":\"contact_owner\",\"fallback\":{\"targets\":[...]} or null,\n"
    "    \"only_available\":true,\"strategy\":...,\"queue\":false}\n"
    "  tickets: {\"auto\":true,\"pipeline\":ID,\"stage\":NAME,\"owner\":\n"
    "    \"assignee\"|\"none\"|\"user:ID\",\"properties\":{...}}\n"
    "  availability: {\"mode\":\"always\"} | {\"mode\":\"status_based\"} |\n"
    "    {\"mode\":\"business_hours\",\"tz\":\"Europe/Berlin\",\"hours\":\n"
    "    [{\"days\":[\"mon\",...],\"from\":\"09:00\",\"to\":\"17:30\"}]} (from\n"
    "    included, to excluded, \"24:00\" allowed; to not after from runs past\n"
    "    midnight)\n",
    "Traffic:\n"
    "  inbound  channel, msg_id, from, text, as (names the conversation it\n"
    "           creates), thread, forwarded_by, cc: [emails], attachments:\n"
    "           [{\"kind\":audio|voice|sticker|image|video|file,\"name\":...,\n"
    "           \"bytes\":N}]. Result: conversation, created, contact (its\n"
    "           scenario id, or for a contact the library created, its email or\n"
    "           sender key), contact_created, assignee, reason (rule|owner|\n"
    "           fallback|reassigned_offline|null: set only when this message\n"
    "           changed the assignee), notified: [user ids], ticket\n"
    "           {pipeline,stage,owner} or null, duplicate, queued, assigned.\n"
    "  reply    user, conversation, text, channel (answer on another channel)\n"
    "  comment  user, conversation, text\n"
    "  assign   user, conversation, to (a user id; null unassigns)\n"
    "  close    user, conversation\n"
    "  reopen   user, conversation\n"
    "  Conversations are named by \"as\"; one created without a name is\n"
    "  \"#<library id>\", which other lines may use too. A name, once given,\n"
    "  stays with its conversation: \"as\" on a message that joins one, or on\n"
    "  a duplicate, names nothing. Messages name conversations this way too.\n"
    "  \"assigned\":[{\"conversation\":...,\"assignee\":...}] lists the waiting\n"
    "  conversations an op handed out (R-ROUTE-8); it is in the results of\n"
    "  inbound, user, team, status, inbox.delete, inbox.access,\n"
    "  channel.routing, assign and close.\n",
    "Questions (change nothing):\n"
    "  get             conversation, user (optional: the account's view) ->\n"
    "                  inbox, channel, status open|closed, assignee, messages,\n"
    "                  ticket\n"
    "  view            view all|unassigned|mine, user, inbox, channel, status\n"
    "                  open|closed -> conversations: [names], oldest first\n"
    "  chat.available  channel -> available\n"
    "  explain         channel -> candidates: [{user, eligible, reason}]\n"
    "  waiting         channel -> conversations: [names], oldest first\n"
    "  report          inbox, from, to (RFC 3339; [from, to)) -> received,\n"
    "                  replies: {user: N}, first_response_s: {median, p90}\n"
    "                  (nearest rank; null when none)\n"
    "Faults:\n"
    "  fail_storage    calls: N, after: K (default 0). After K more calls go\n"
    "                  through, the next N calls into the storage callbacks\n"
    "                  fail; the ops they belong to fail with \"storage\" and\n"
    "                  change nothing. \"calls\":0 cancels.\n",
    NULL,
};

static void print_usage(FILE *f)
{
    for (size_t i = 0; usage[i]; i++)
        fputs(usage[i], f);
}

int main(int argc, char **argv)
{
    int summary = 0, quiet = 0;
    const char *path = NULL, *db = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--summary")) {
            summary = 1;
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strcmp(argv[i], "--sync") && i + 1 < argc &&
                   (!strcmp(argv[i + 1], "full") || !strcmp(argv[i + 1], "normal"))) {
            rp_db_sync = !strcmp(argv[++i], "full") ? 2 : 1; /* CIB_SQLITE_FULL, _NORMAL */
        } else if (!path && (argv[i][0] != '-' || !strcmp(argv[i], "-"))) {
            path = argv[i];
        } else {
            fprintf(stderr, "convinbox-replay: unknown argument '%s'\n", argv[i]);
            print_usage(stderr);
            return 2;
        }
    }
    if (!path) {
        print_usage(stderr);
        return 2;
    }
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) {
        fprintf(stderr, "convinbox-replay: cannot read '%s'\n", path);
        return 2;
    }
    rp r;
    if (rp_open(&r, getenv("CONVINBOX_ZONEINFO"), db)) {
        if (f != stdin)
            fclose(f);
        return 2;
    }
    int status = 0;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    double started = rp_now_s();
    while ((len = getline(&buf, &cap, f)) >= 0) {
        r.line++;
        json_error_t jerr;
        json_t *out;
        int ran = rp_line(&r, buf, (size_t)len, &out, &jerr);
        if (ran == RP_LINE_SKIPPED)
            continue;
        if (ran == RP_LINE_NOT_JSON) {
            fflush(stdout);
            fprintf(stderr, "convinbox-replay: line %ld is not JSON: %s (column %d)\n", r.line,
                    jerr.text, jerr.column);
            status = 2;
            break;
        }
        if (ran == RP_LINE_EXPECT_FAILED)
            status = 1;
        if (!quiet || ran == RP_LINE_EXPECT_FAILED) {
            char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
            if (text)
                puts(text);
            free(text);
        }
        json_decref(out);
    }
    double elapsed = rp_now_s() - started;
    if (status != 2 && ferror(f)) {
        fprintf(stderr, "convinbox-replay: error reading '%s'\n", path);
        status = 2;
    }
    free(buf);
    if (f != stdin)
        fclose(f);
    if (summary && status != 2) {
        r.stats.seconds = r.stats.seconds > 0 ? r.stats.seconds : elapsed;
        rp_summary_print(&r);
    }
    rp_close(&r);
    return status;
}
