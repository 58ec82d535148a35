/*
 * helpdesk-day.c - writes a scenario for convinbox-replay: one working day
 * of a 40-agent support organisation.
 *
 *   build/examples/helpdesk-day | build/examples/convinbox-replay --summary --quiet -
 *
 * With --state FILE the days follow one another: the first run writes the
 * organisation and Monday 2026-11-23, each later run the next working day
 * of the same organisation (FILE counts them), to be replayed into the same
 * database (convinbox-replay --db). Delete both to start over.
 *
 * Three inboxes (sales, support, billing) with email, chat, form and
 * Messenger channels; five teams; two shifts with lunch breaks; agents going
 * away and coming back; 5,000 customers writing about 21,000 messages; agents
 * replying and closing. Routing uses every mode and strategy, queues, capacity
 * and contact owners; chat in sales keeps business hours in Berlin, chat in
 * support shows while someone is there. Every line expects to succeed, so the
 * day checks itself. The output is the same on every run (a fixed seed).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AGENTS    40
#define CUSTOMERS 5000
#define OWNED     500   /* customers registered as contacts with an owner */
#define MAX_CONVS 20000 /* conversations, at most */
#define DAY_START (6 * 60)
#define DAY_END   (19 * 60 + 30)

/* ---- a fixed-seed generator ---- */

static uint64_t seed = 0x2026112309ULL;
static int day;       /* working days since Monday 2026-11-23 */
static char date[32]; /* its date, "2026-11-23" */

static uint32_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return (uint32_t)(seed >> 16);
}

static int chance(int percent)
{
    return (int)(rnd() % 100) < percent;
}

static int pick(int n)
{
    return (int)(rnd() % (uint32_t)n);
}

/* ---- the organisation ---- */

enum { SALES, SUPPORT, BILLING, INBOXES };
static const char *const inbox_ids[] = {"sales", "support", "billing"};

typedef struct channel {
    const char *id;
    int inbox;
    const char *kind; /* email, chat, form, messenger */
    int share;        /* of the day's traffic, per mille */
} channel;

static const channel channels[] = {
    {"sales-mail", SALES, "email", 150},     {"sales-chat", SALES, "chat", 100},
    {"support-mail", SUPPORT, "email", 250}, {"support-chat", SUPPORT, "chat", 150},
    {"support-form", SUPPORT, "form", 80},   {"support-fb", SUPPORT, "messenger", 120},
    {"billing-mail", BILLING, "email", 100}, {"billing-form", BILLING, "form", 50},
};
#define CHANNELS (int)(sizeof channels / sizeof channels[0])

typedef struct agent {
    char id[8];
    int team; /* 0 sales, 1 support-l1, 2 support-l2, 3 billing, 4 chat */
    int free_seat;
    int start, lunch, end; /* minutes after midnight UTC */
    int status;            /* 0 offline, 1 available, 2 away */
} agent;

static agent agents[AGENTS];
static const char *const team_ids[] = {"sales", "support-l1", "support-l2", "billing", "chat"};
static const char *const first_names[] = {
    "Ada",  "Ben",  "Cleo", "Dan",   "Eva",  "Finn", "Gia",   "Hugo", "Ida",  "Jon",
    "Kai",  "Lea",  "Max",  "Nina",  "Otto", "Pia",  "Quinn", "Rosa", "Sam",  "Tara",
    "Uwe",  "Vera", "Will", "Xenia", "Yuri", "Zoe",  "Anton", "Bea",  "Carl", "Dora",
    "Emil", "Fay",  "Gerd", "Hanna", "Ivo",  "Jana", "Kurt",  "Lina", "Mats", "Nora"};

/* May this agent reply in that inbox? (The inboxes' access lists.) */
static int may_act(const agent *a, int inbox)
{
    if (inbox == SUPPORT)
        return 1;
    if (inbox == SALES)
        return a->team == 0 || a->team == 4;
    return a->team == 3 || !strcmp(a->id, "a23");
}

/* ---- conversations the customers open ---- */

typedef struct conv {
    int channel, customer;
    int open;
    int pending_since; /* -1: nothing to answer */
    int close_at;      /* -1: none planned */
    int replies;
} conv;

static conv convs[MAX_CONVS];
static int n_convs;
static int n_msgs;

static void address_of(int customer, int ch, char *buf, size_t size)
{
    if (!strcmp(channels[ch].kind, "messenger"))
        snprintf(buf, size, "psid-%05d", customer);
    else if (!strcmp(channels[ch].kind, "chat") && customer % 3 == 0)
        snprintf(buf, size, "visitor-%05d", customer);
    else
        snprintf(buf, size, "customer%05d@example.com", customer);
}

static const char *const topics[] = {
    "Where is my order?", "Invoice question", "Cannot log in",   "Price for 50 seats?",
    "Refund please",      "Feature request",  "The app crashes", "Change my plan",
};

static void inbound(int t, int c, int first)
{
    conv *cv = &convs[c];
    char from[64];
    address_of(cv->customer, cv->channel, from, sizeof from);
    printf("{\"op\":\"inbound\",\"channel\":\"%s\",\"msg_id\":\"d%d-m%06d\",\"from\":\"%s\","
           "\"text\":\"%s\",\"thread\":\"d%d-t%05d\"",
           channels[cv->channel].id, day, ++n_msgs, from, topics[pick(8)], day, c);
    if (first)
        printf(",\"as\":\"d%d-c%05d\"", day, c);
    printf(",\"expect\":{\"ok\":true}}\n");
    cv->open = 1;
    if (cv->pending_since < 0)
        cv->pending_since = t;
    cv->close_at = -1;
}

/* Each channel has its own customers (so each customer has one address and
 * is one contact): a slice of the 5,000 in proportion to its traffic. Sales
 * email's slice starts with the key accounts. */
static int pool_start(int ch)
{
    int start = 0;
    for (int c = 0; c < ch; c++)
        start += channels[c].share * CUSTOMERS / 1000;
    return start;
}

/* A customer writes: a new conversation (most of the time) or a follow-up. */
static void customer_writes(int t, int ch)
{
    static int next_new[CHANNELS]; /* every customer writes at least once */
    if (n_convs > 200 && chance(30)) {
        for (int tries = 0; tries < 8; tries++) {
            int c = n_convs - 1 - pick(n_convs < 400 ? n_convs : 400);
            if (convs[c].channel == ch) {
                inbound(t, c, 0);
                return;
            }
        }
    }
    if (n_convs == MAX_CONVS)
        return;
    conv *cv = &convs[n_convs];
    cv->channel = ch;
    int size = channels[ch].share * CUSTOMERS / 1000;
    /* A prime step visits every customer of the slice once, shuffled. */
    int k = next_new[ch] < size ? (int)((uint64_t)next_new[ch]++ * 2654435761u % (uint64_t)size)
                                : pick(size);
    cv->customer = pool_start(ch) + k;
    cv->pending_since = -1;
    cv->close_at = -1;
    cv->replies = 0;
    inbound(t, n_convs++, 1);
}

/* Traffic per minute: a morning peak, a lunch dip, an afternoon peak. */
static int weight(int t)
{
    int h = t / 60;
    static const int by_hour[24] = {0,  0,  0,  0,  0,  0,  6, 14, 26, 32, 32, 30,
                                    22, 26, 30, 28, 22, 14, 8, 4,  0,  0,  0,  0};
    return by_hour[h];
}

/* Sales chat keeps business hours: Mon-Fri 08:00-18:00 in Berlin (UTC+1). */
static int sales_chat_open(int t)
{
    return t >= 7 * 60 && t < 17 * 60;
}

/* Support chat shows while a chat or first-line agent with a paid seat is
 * available (the rule names those teams). */
static int support_chat_open(void)
{
    for (int i = 0; i < AGENTS; i++)
        if (agents[i].status == 1 && !agents[i].free_seat &&
            (agents[i].team == 4 || agents[i].team == 1))
            return 1;
    return 0;
}

static void set_status(agent *a, int status)
{
    static const char *const names[] = {"offline", "available", "away"};
    a->status = status;
    printf("{\"op\":\"status\",\"user\":\"%s\",\"status\":\"%s\",\"expect\":{\"ok\":true}}\n",
           a->id, names[status]);
}

static void shifts(int t)
{
    for (int i = 0; i < AGENTS; i++) {
        agent *a = &agents[i];
        if (t == a->start || t == a->lunch + 45)
            set_status(a, 1);
        else if (t == a->lunch)
            set_status(a, 2);
        else if (t == a->end)
            set_status(a, 0);
        else if (a->status == 1 && chance(1) && chance(20))
            set_status(a, 2); /* a coffee, a meeting */
        else if (a->status == 2 && t > a->lunch + 45 && t < a->end && chance(15))
            set_status(a, 1);
    }
}

/* Available agents answer the oldest waiting conversations they may act
 * in, and close some of those they answered a while ago. */
static void agents_work(int t)
{
    for (int turn = 0; turn < 2 * AGENTS; turn++) {
        agent *a = &agents[turn % AGENTS]; /* up to two answers a minute */
        if (a->status != 1 || !chance(turn < AGENTS ? 90 : 60))
            continue;
        int best = -1;
        for (int k = n_convs - 1, seen = 0; k >= 0 && seen < 600; k--, seen++) {
            conv *cv = &convs[k];
            if (cv->pending_since >= 0 && cv->pending_since < t &&
                may_act(a, channels[cv->channel].inbox) &&
                (best < 0 || cv->pending_since <= convs[best].pending_since))
                best = k;
        }
        if (best < 0)
            continue;
        conv *cv = &convs[best];
        printf("{\"op\":\"reply\",\"user\":\"%s\",\"conversation\":\"d%d-c%05d\",\"text\":"
               "\"Thanks, we are on it.\",\"expect\":{\"ok\":true}}\n",
               a->id, day, best);
        cv->pending_since = -1;
        cv->open = 1; /* a reply reopens */
        cv->replies++;
        if (chance(85))
            cv->close_at = t + 2 + pick(20);
    }
    for (int k = 0; k < n_convs; k++) {
        conv *cv = &convs[k];
        if (cv->close_at != t || !cv->open || cv->pending_since >= 0)
            continue;
        for (int tries = 0; tries < 40; tries++) {
            agent *a = &agents[pick(AGENTS)];
            if (a->status == 0 || a->free_seat || !may_act(a, channels[cv->channel].inbox))
                continue;
            printf("{\"op\":\"close\",\"user\":\"%s\",\"conversation\":\"d%d-c%05d\","
                   "\"expect\":{\"ok\":true}}\n",
                   a->id, day, k);
            cv->open = 0;
            break;
        }
        cv->close_at = -1;
    }
}

/* ---- set-up ---- */

/* The agents, and their shifts of the day. */
static void agents_init(void)
{
    for (int i = 0; i < AGENTS; i++) {
        agent *a = &agents[i];
        snprintf(a->id, sizeof a->id, "a%02d", i + 1);
        a->team = i < 8 ? 0 : i < 22 ? 1 : i < 30 ? 2 : i < 36 ? 3 : 4;
        a->free_seat = i == 20 || i == 21 || i == 28 || i == 29;
        a->start = (i % 2 ? 10 * 60 : 7 * 60) + pick(4) * 15;
        a->lunch = a->start + 4 * 60 + pick(4) * 10;
        a->end = a->start + 8 * 60 + 30;
        a->status = 0;
    }
}

/* The organisation, written once (the first day). */
static void setup(void)
{
    for (int i = 0; i < AGENTS; i++) {
        agent *a = &agents[i];
        printf("{\"op\":\"user\",\"id\":\"%s\",\"name\":\"%s Example\",\"email\":\"%s@acme.test\","
               "\"seat\":\"%s\",\"role\":\"%s\"",
               a->id, first_names[i], a->id, a->free_seat ? "free" : "paid",
               i == 0 || i == 22 ? "admin" : "member");
        if (a->team == 4)
            printf(",\"capacity\":3");
        else if (a->team == 1)
            printf(",\"capacity\":12");
        printf(",\"expect\":{\"ok\":true}}\n");
    }
    for (int t = 0; t < 5; t++) {
        printf("{\"op\":\"team\",\"id\":\"%s\",\"members\":[", team_ids[t]);
        for (int i = 0, n = 0; i < AGENTS; i++)
            if (agents[i].team == t || (t == 4 && (i == 2 || i == 3)))
                printf("%s\"%s\"", n++ ? "," : "", agents[i].id);
        printf("],\"expect\":{\"ok\":true}}\n");
    }
    printf("{\"op\":\"pipeline\",\"id\":\"support\",\"stages\":[\"new\",\"open\",\"waiting\","
           "\"solved\"]}\n");
    printf("{\"op\":\"pipeline\",\"id\":\"billing\",\"stages\":[\"new\",\"resolved\"]}\n");
    printf("{\"op\":\"inbox\",\"id\":\"sales\",\"name\":\"Sales\",\"access\":{\"teams\":"
           "[\"sales\",\"chat\"]}}\n");
    printf("{\"op\":\"inbox\",\"id\":\"support\",\"name\":\"Support\",\"access\":\"everyone\"}\n");
    printf("{\"op\":\"inbox\",\"id\":\"billing\",\"name\":\"Billing\",\"access\":{\"teams\":"
           "[\"billing\"],\"users\":[\"a23\"]}}\n");
    const char *const defs[CHANNELS] = {
        "\"address\":\"sales@acme.test\",\"routing\":{\"mode\":\"contact_owner\",\"fallback\":"
        "{\"targets\":[\"team:sales\"]},\"strategy\":\"round_robin\"}",
        "\"routing\":{\"mode\":\"specific\",\"targets\":[\"team:chat\",\"team:sales\"],"
        "\"strategy\":\"least_loaded\",\"queue\":true},\"availability\":{\"mode\":"
        "\"business_hours\",\"tz\":\"Europe/Berlin\",\"hours\":[{\"days\":[\"mon\",\"tue\","
        "\"wed\",\"thu\",\"fri\"],\"from\":\"08:00\",\"to\":\"18:00\"}]}",
        "\"address\":\"support@acme.test\",\"routing\":{\"mode\":\"specific\",\"targets\":"
        "[\"team:support-l1\",\"team:support-l2\"],\"strategy\":\"least_loaded\",\"queue\":true}",
        "\"routing\":{\"mode\":\"specific\",\"targets\":[\"team:chat\",\"team:support-l1\"],"
        "\"strategy\":\"round_robin\",\"queue\":true},\"availability\":{\"mode\":"
        "\"status_based\"}",
        "\"routing\":{\"mode\":\"specific\",\"targets\":[\"team:support-l2\"],\"strategy\":"
        "\"least_loaded\",\"queue\":true},\"tickets\":{\"auto\":true,\"pipeline\":\"support\","
        "\"stage\":\"new\",\"properties\":{\"source\":\"form\"}}",
        "\"address\":\"acme-page\",\"routing\":{\"mode\":\"specific\",\"targets\":"
        "[\"team:support-l1\"]}",
        "\"address\":\"billing@acme.test\",\"routing\":{\"mode\":\"specific\",\"targets\":"
        "[\"team:billing\"],\"strategy\":\"round_robin\",\"queue\":true},\"tickets\":{\"auto\":"
        "true,\"pipeline\":\"billing\",\"stage\":\"new\",\"properties\":{\"priority\":\"normal\"}}",
        "\"routing\":{\"mode\":\"specific\",\"targets\":[\"team:billing\"],\"strategy\":"
        "\"least_loaded\",\"queue\":true},\"tickets\":{\"auto\":true,\"pipeline\":\"billing\","
        "\"stage\":\"new\",\"owner\":\"none\"}",
    };
    for (int c = 0; c < CHANNELS; c++)
        printf("{\"op\":\"channel\",\"id\":\"%s\",\"inbox\":\"%s\",\"type\":\"%s\",%s,"
               "\"expect\":{\"ok\":true}}\n",
               channels[c].id, inbox_ids[channels[c].inbox], channels[c].kind, defs[c]);
    /* Key accounts: registered contacts owned by sales agents. */
    for (int k = 0; k < OWNED; k++) {
        char email[64];
        address_of(k, 0, email, sizeof email);
        printf("{\"op\":\"contact\",\"id\":\"acct-%04d\",\"email\":\"%s\",\"owner\":\"a%02d\"}\n",
               k, email, 1 + k % 8);
    }
    /* The chat agents reassign their replies when they step away. */
    for (int i = 36; i < AGENTS; i++)
        printf("{\"op\":\"status\",\"user\":\"%s\",\"status\":\"offline\",\"reassign_replies\":"
               "true,\"expect\":{\"ok\":true}}\n",
               agents[i].id);
}

/* The n-th working day from Monday 2026-11-23, as "YYYY-MM-DD". */
static void working_day(int n, char *out, size_t size)
{
    int64_t days = 20780 + n + 2 * (n / 5); /* 2026-11-23 is day 20780 of 1970 */
    /* Civil date from days (proleptic Gregorian). */
    int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153, d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    int64_t y = (int64_t)yoe + era * 400 + (m <= 2);
    snprintf(out, size, "%04lld-%02u-%02u", (long long)y, m, d);
}

/* --state FILE: which day this is, and count it. */
static int next_day(const char *path)
{
    int n = 0;
    FILE *f = fopen(path, "r");
    if (f) {
        if (fscanf(f, "%d", &n) != 1 || n < 0)
            n = 0;
        fclose(f);
    }
    f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "helpdesk-day: cannot write '%s'\n", path);
        exit(2);
    }
    fprintf(f, "%d\n", n + 1);
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--state")) {
        day = next_day(argv[2]);
    } else if (argc != 1) {
        fprintf(stderr, "usage: helpdesk-day [--state FILE]\n");
        return 2;
    }
    seed ^= (uint64_t)day * 0x9e3779b97f4a7c15ULL;
    working_day(day, date, sizeof date);
    printf("# helpdesk-day: working day %d, %s, generated by examples/helpdesk-day.c\n", day, date);
    printf("{\"op\":\"clock\",\"now\":\"%sT05:00:00Z\"}\n", date);
    agents_init();
    if (day == 0)
        setup();
    printf("{\"op\":\"clock\",\"now\":\"%sT06:00:00Z\"}\n", date);
    long carry = 0;
    for (int t = DAY_START; t < DAY_END; t++) {
        if (t % 60 == 0) {
            printf("# %02d:00 UTC\n", t / 60);
            printf("{\"op\":\"chat.available\",\"channel\":\"sales-chat\",\"expect\":"
                   "{\"available\":%s}}\n",
                   sales_chat_open(t) ? "true" : "false");
        }
        shifts(t);
        /* About 21,000 messages over the day. */
        carry += weight(t) * 50;
        while (carry >= 40) {
            carry -= 40;
            int r = pick(1000), ch = 0;
            while (ch < CHANNELS - 1 && r >= channels[ch].share) {
                r -= channels[ch].share;
                ch++;
            }
            if (!strcmp(channels[ch].id, "sales-chat") && !sales_chat_open(t))
                continue; /* the widget is hidden */
            if (!strcmp(channels[ch].id, "support-chat") && !support_chat_open())
                continue;
            customer_writes(t, ch);
        }
        agents_work(t);
        printf("{\"op\":\"advance\",\"seconds\":60}\n");
    }
    for (int i = 0; i < AGENTS; i++)
        if (agents[i].status != 0)
            set_status(&agents[i], 0);
    return 0;
}
