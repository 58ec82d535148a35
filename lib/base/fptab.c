/* fptab.c - fingerprint tables (see fptab.h). */
#include "fptab.h"

#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "convinbox.h"

/* memcpy for the short parts of a key (most are under 16 bytes), inline:
 * two overlapping copies of 8 or 4 bytes, or up to three single bytes. */
static void copy_short(unsigned char *dst, const char *src, size_t n)
{
    if (n > 16) {
        memcpy(dst, src, n);
    } else if (n >= 8) {
        uint64_t a, b;
        memcpy(&a, src, 8);
        memcpy(&b, src + n - 8, 8);
        memcpy(dst, &a, 8);
        memcpy(dst + n - 8, &b, 8);
    } else if (n >= 4) {
        uint32_t a, b;
        memcpy(&a, src, 4);
        memcpy(&b, src + n - 4, 4);
        memcpy(dst, &a, 4);
        memcpy(dst + n - 4, &b, 4);
    } else if (n) {
        dst[0] = (unsigned char)src[0];
        dst[n / 2] = (unsigned char)src[n / 2];
        dst[n - 1] = (unsigned char)src[n - 1];
    }
}

cib__fp cib__fingerprint(uint64_t seed, const char *const *parts, const size_t *lens, size_t n)
{
    /* Each part is preceded by its length, so ["ab","c"] != ["a","bc"]. Short
     * keys (nearly all) are joined on the stack and hashed in one call. */
    unsigned char buf[512];
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += sizeof(uint64_t) + lens[i];
    XXH128_hash_t h;
    if (total <= sizeof buf) {
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            uint64_t len = lens[i];
            memcpy(buf + at, &len, sizeof len);
            copy_short(buf + at + sizeof len, parts[i], lens[i]);
            at += sizeof len + lens[i];
        }
        h = XXH3_128bits_withSeed(buf, total, seed);
    } else {
        XXH3_state_t st;
        XXH3_INITSTATE(&st); /* required before a seeded reset on the stack */
        XXH3_128bits_reset_withSeed(&st, seed);
        for (size_t i = 0; i < n; i++) {
            uint64_t len = lens[i];
            XXH3_128bits_update(&st, &len, sizeof len);
            XXH3_128bits_update(&st, parts[i], lens[i]);
        }
        h = XXH3_128bits_digest(&st);
    }
    cib__fp fp = {h.low64, h.high64};
    if (!fp.lo && !fp.hi)
        fp.lo = 1;
    return fp;
}

/* splitmix64: spreads a seed into independent-looking keys. */
static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void cib__fp_keys(uint64_t seed, uint64_t use, uint64_t k[3])
{
    uint64_t s = seed ^ (use * 0xd6e8feb86659fd93ull);
    for (int i = 0; i < 3; i++)
        k[i] = splitmix(&s);
}

void cib__fptab_init(cib__fptab *t, int with_value, uint64_t seed)
{
    t->slots = NULL;
    t->cap = t->count = 0;
    t->stride = with_value ? sizeof(cib__fp) + sizeof(void *) : sizeof(cib__fp);
    cib__fp_keys(seed, 1, t->k);
}

void cib__fptab_free(const cib__mem *m, cib__fptab *t)
{
    cib__free(m, t->slots);
    t->slots = NULL;
    t->cap = t->count = 0;
}

static unsigned char *slot(const cib__fptab *t, size_t i)
{
    return t->slots + i * t->stride;
}

static cib__fp slot_fp(const unsigned char *s)
{
    cib__fp fp;
    memcpy(&fp, s, sizeof fp);
    return fp;
}

static int fp_empty(cib__fp fp)
{
    return !fp.lo && !fp.hi;
}

static int fp_eq(cib__fp a, cib__fp b)
{
    return a.lo == b.lo && a.hi == b.hi;
}

/* The slot where fp's probe starts (t->cap > 0): keyed, see fptab.h. */
static size_t home(const cib__fptab *t, cib__fp fp)
{
    return (size_t)cib__fp_keyed(t->k, fp) & (t->cap - 1);
}

size_t cib__fptab_home(const cib__fptab *t, cib__fp fp)
{
    return home(t, fp);
}

/* The slot holding fp, or the free slot where it would go. */
static size_t probe(const cib__fptab *t, cib__fp fp)
{
    size_t mask = t->cap - 1, i = home(t, fp);
    for (;;) {
        cib__fp cur = slot_fp(slot(t, i));
        if (fp_empty(cur) || fp_eq(cur, fp))
            return i;
        i = (i + 1) & mask;
    }
}

static void put_slot(cib__fptab *t, size_t i, cib__fp fp, void *value)
{
    unsigned char *s = slot(t, i);
    memcpy(s, &fp, sizeof fp);
    if (t->stride > sizeof fp)
        memcpy(s + sizeof fp, &value, sizeof value);
}

int cib__fptab_reserve(const cib__mem *m, cib__fptab *t, size_t extra)
{
    if (extra > SIZE_MAX / 4 - t->count)
        return CIB_ENOMEM;
    size_t need = t->count + extra;
    if (need <= t->cap / 2)
        return CIB_OK;
    size_t cap = t->cap ? t->cap : 16;
    while (need > cap / 2) {
        if (cap > SIZE_MAX / 2 / t->stride)
            return CIB_ENOMEM;
        cap *= 2;
    }
    unsigned char *slots = cib__calloc(m, cap, t->stride);
    if (!slots)
        return CIB_ENOMEM;
    cib__fptab old = *t;
    t->slots = slots;
    t->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        unsigned char *s = slot(&old, i);
        cib__fp fp = slot_fp(s);
        if (fp_empty(fp))
            continue;
        unsigned char *d = slot(t, probe(t, fp));
        memcpy(d, s, t->stride);
    }
    cib__free(m, old.slots);
    return CIB_OK;
}

void cib__fptab_insert(cib__fptab *t, cib__fp fp, void *value)
{
    size_t i = probe(t, fp);
    if (fp_empty(slot_fp(slot(t, i))))
        t->count++;
    put_slot(t, i, fp, value);
}

int cib__fptab_find(const cib__fptab *t, cib__fp fp, void **value)
{
    if (!t->cap)
        return 0;
    const unsigned char *s = slot(t, probe(t, fp));
    if (fp_empty(slot_fp(s)))
        return 0;
    if (value && t->stride > sizeof fp)
        memcpy(value, s + sizeof fp, sizeof *value);
    return 1;
}

void cib__fptab_prefetch(const cib__fptab *t, cib__fp fp)
{
#if defined(__GNUC__)
    if (t->cap)
        __builtin_prefetch(slot(t, home(t, fp)));
#else
    (void)t;
    (void)fp;
#endif
}

void cib__fptab_set(cib__fptab *t, cib__fp fp, void *value)
{
    if (cib__fptab_find(t, fp, NULL))
        put_slot(t, probe(t, fp), fp, value);
}

void cib__fptab_remove(cib__fptab *t, cib__fp fp)
{
    if (!t->cap)
        return;
    size_t mask = t->cap - 1, i = probe(t, fp);
    if (fp_empty(slot_fp(slot(t, i))))
        return;
    /* Backward-shift deletion: move later entries of the run into the gap
     * when their home slot does not lie cyclically in (gap, j]. */
    size_t j = i;
    for (;;) {
        memset(slot(t, i), 0, t->stride);
        for (;;) {
            j = (j + 1) & mask;
            cib__fp cur = slot_fp(slot(t, j));
            if (fp_empty(cur)) {
                t->count--;
                return;
            }
            size_t h = home(t, cur);
            int stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
            if (!stays)
                break;
        }
        memcpy(slot(t, i), slot(t, j), t->stride);
        i = j;
    }
}

/* The 8 hex digits of v, the first (most significant) in the lowest byte of
 * the word: each nibble spread to a byte, then '0' or 'a' - 10 added. */
static uint64_t hex8(uint32_t v)
{
    uint64_t x = v;
    x = (x | x << 16) & 0x0000FFFF0000FFFFull;
    x = (x | x << 8) & 0x00FF00FF00FF00FFull;
    x = (x | x << 4) & 0x0F0F0F0F0F0F0F0Full; /* nibble i of v in byte i */
    const uint64_t ones = 0x0101010101010101ull;
    uint64_t letter = ((x + 6 * ones) >> 4) & ones; /* nibble >= 10 */
    x += 0x30 * ones + letter * ('a' - '0' - 10);
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap64(x);
#else
    uint64_t r = 0; /* byte i to byte 7 - i */
    for (int i = 0; i < 8; i++)
        r |= ((x >> (8 * i)) & 0xFF) << (8 * (7 - i));
    return r;
#endif
}

static void put8(char *p, uint64_t w)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    memcpy(p, &w, 8);
#else
    for (int i = 0; i < 8; i++)
        p[i] = (char)((w >> (8 * i)) & 0xFF);
#endif
}

void cib__fp_hex(cib__fp fp, char *buf)
{
    put8(buf, hex8((uint32_t)(fp.hi >> 32)));
    put8(buf + 8, hex8((uint32_t)fp.hi));
    put8(buf + 16, hex8((uint32_t)(fp.lo >> 32)));
    put8(buf + 24, hex8((uint32_t)fp.lo));
    buf[32] = '\0';
}

/* 16 lower-case hex digits to 64 bits, 8 at a time in a word; -1 unless
 * each is one of 0-9a-f (checked by encoding the result back). */
static int hex16(const char *s, uint64_t *out)
{
    uint64_t r = 0;
    for (int half = 0; half < 2; half++) {
        uint64_t x;
        memcpy(&x, s + half * 8, 8);
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        x = __builtin_bswap64(x); /* the first digit in the top byte */
#else
        const unsigned char *b = (const unsigned char *)s + half * 8;
        x = 0;
        for (int i = 0; i < 8; i++)
            x = x << 8 | b[i];
#endif
        const uint64_t ones = 0x0101010101010101ull;
        uint64_t v = (x & 0x0f0f0f0f0f0f0f0full) + ((x >> 6) & ones) * 9; /* nibbles */
        uint64_t letter = ((v + 0x06 * ones) >> 4) & ones;                /* v >= 10 */
        if ((v & 0x1010101010101010ull) || v + 0x30 * ones + letter * 0x27 != x)
            return -1; /* 'g' gives 16 */
        uint64_t t = (v | v >> 4) & 0x00ff00ff00ff00ffull;
        t = (t | t >> 8) & 0x0000ffff0000ffffull;
        t = (t | t >> 16) & 0xffffffffull;
        r = r << 32 | t;
    }
    *out = r;
    return 0;
}

int cib__fp_parse(const char *s, size_t n, cib__fp *out)
{
    cib__fp fp;
    if (n != 32 || hex16(s, &fp.hi) || hex16(s + 16, &fp.lo) || fp_empty(fp))
        return -1;
    *out = fp;
    return 0;
}

/* ---- filters over fingerprints ---- */

void cib__fpfilter_init(cib__fpfilter *f, uint64_t seed)
{
    f->slots = NULL;
    f->cap = f->count = 0;
    f->bits = 0;
    cib__fp_keys(seed, 2, f->k);
}

void cib__fpfilter_free(const cib__mem *m, cib__fpfilter *f)
{
    cib__free(m, f->slots);
    f->slots = NULL;
    f->cap = f->count = 0;
    f->bits = 0;
}

uint32_t cib__fpfilter_value(const cib__fpfilter *f, cib__fp fp)
{
    uint32_t v = (uint32_t)(cib__fp_keyed(f->k, fp) >> 32);
    return v ? v : 1;
}

static size_t vhome(unsigned bits, uint32_t v)
{
    return bits ? (size_t)(v >> (32 - bits)) : 0;
}

int cib__fpfilter_reserve(const cib__mem *m, cib__fpfilter *f, size_t extra)
{
    if (extra > SIZE_MAX / 2 - f->count)
        return CIB_ENOMEM;
    size_t need = f->count + extra;
    if (need <= f->cap / 4 * 3)
        return CIB_OK;
    unsigned bits = f->bits ? f->bits : 6;
    while (need > ((size_t)1 << bits) / 4 * 3)
        bits++;
    if (bits > 31)
        return CIB_ENOMEM;
    size_t cap = (size_t)1 << bits;
    uint32_t *slots = cib__calloc(m, cap, sizeof *slots);
    if (!slots)
        return CIB_ENOMEM;
    for (size_t n = 0; n < f->cap; n++) { /* any order makes a valid table */
        uint32_t v = f->slots[n];
        if (!v)
            continue;
        size_t i = vhome(bits, v);
        while (slots[i])
            i = (i + 1) & (cap - 1);
        slots[i] = v;
    }
    cib__free(m, f->slots);
    f->slots = slots;
    f->cap = cap;
    f->bits = bits;
    return CIB_OK;
}

void cib__fpfilter_add(cib__fpfilter *f, uint32_t v)
{
    size_t i = vhome(f->bits, v);
    while (f->slots[i])
        i = (i + 1) & (f->cap - 1);
    f->slots[i] = v;
    f->count++;
}

/* The slot holding v, or the free slot ending its run. */
static size_t vprobe(const cib__fpfilter *f, uint32_t v)
{
    size_t i = vhome(f->bits, v);
    while (f->slots[i] && f->slots[i] != v)
        i = (i + 1) & (f->cap - 1);
    return i;
}

int cib__fpfilter_has(const cib__fpfilter *f, uint32_t v)
{
    return f->cap && f->slots[vprobe(f, v)] == v;
}

void cib__fpfilter_prefetch(const cib__fpfilter *f, uint32_t v)
{
#if defined(__GNUC__)
    if (f->cap)
        __builtin_prefetch(&f->slots[vhome(f->bits, v)]);
#else
    (void)f;
    (void)v;
#endif
}

void cib__fpfilter_remove(cib__fpfilter *f, uint32_t v)
{
    if (!f->cap)
        return;
    size_t mask = f->cap - 1, i = vprobe(f, v), j = i;
    if (f->slots[i] != v)
        return;
    /* Backward-shift deletion, as in cib__fptab_remove. */
    for (;;) {
        f->slots[i] = 0;
        for (;;) {
            j = (j + 1) & mask;
            uint32_t cur = f->slots[j];
            if (!cur) {
                f->count--;
                return;
            }
            size_t h = vhome(f->bits, cur);
            int stays = i <= j ? (i < h && h <= j) : (i < h || h <= j);
            if (!stays)
                break;
        }
        f->slots[i] = f->slots[j];
        i = j;
    }
}
