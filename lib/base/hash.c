/* hash.c - secondary index entries and hash seeds. */
#define _DEFAULT_SOURCE /* open, read, O_CLOEXEC under -std=c11 */
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

cib__ref *cib__ref_add(const cib__mem *m, uint64_t seed, cib__ref **table, const char *key,
                       size_t len, void *target)
{
    cib__ref *r = cib__malloc(m, sizeof *r + len + 1);
    if (!r)
        return NULL;
    memset(r, 0, sizeof *r);
    r->target = target;
    r->key_len = len;
    memcpy(r->key, key, len);
    r->key[len] = '\0';
    int ok;
    CIB_HASH_ADD(m, seed, hh, *table, r->key, len, r, ok);
    if (!ok) {
        cib__free(m, r);
        return NULL;
    }
    return r;
}

void *cib__ref_find(uint64_t seed, cib__ref *table, const char *key, size_t len)
{
    cib__ref *r = NULL;
    CIB_HASH_FIND(seed, hh, table, key, len, r);
    return r ? r->target : NULL;
}

void cib__ref_del(const cib__mem *m, cib__ref **table, cib__ref *ref)
{
    if (!ref)
        return;
    CIB_HASH_DEL(m, hh, *table, ref);
    cib__free(m, ref);
}

void cib__ref_clear(const cib__mem *m, cib__ref **table)
{
    cib__ref *r, *tmp;
    HASH_ITER (hh, *table, r, tmp) {
        cib__ref_del(m, table, r);
    }
}

int cib__rekey_prepare(const cib__mem *m, uint64_t seed, cib__ref **table, const char *old,
                       const char *next, size_t next_len, void *target, cib__rekey *rk)
{
    size_t old_len = old ? strlen(old) : 0;
    rk->changed = !(old_len == next_len && (!next_len || memcmp(old, next, next_len) == 0));
    rk->key = NULL;
    rk->ref = NULL;
    if (!rk->changed || !next_len)
        return 0;
    rk->key = cib__strndup(m, next, next_len);
    if (rk->key)
        rk->ref = cib__ref_add(m, seed, table, rk->key, next_len, target);
    if (!rk->ref) {
        cib__free(m, rk->key);
        rk->key = NULL;
        return -1;
    }
    return 0;
}

void cib__rekey_finish(const cib__mem *m, cib__ref **table, char **slot, cib__ref **slot_ref,
                       cib__rekey *rk)
{
    if (!rk->changed)
        return;
    cib__ref_del(m, table, *slot_ref);
    cib__free(m, *slot);
    *slot = rk->key;
    *slot_ref = rk->ref;
    rk->key = NULL;
    rk->ref = NULL;
}

void cib__rekey_abort(const cib__mem *m, cib__ref **table, cib__rekey *rk)
{
    cib__ref_del(m, table, rk->ref);
    cib__free(m, rk->key);
    rk->key = NULL;
    rk->ref = NULL;
}

int cib__file_entropy(void *buf, size_t n, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno;
    unsigned char *p = buf;
    size_t got = 0;
    int err = EIO; /* the file ended */
    while (got < n) {
        ssize_t r = read(fd, p + got, n - got);
        if (r > 0)
            got += (size_t)r;
        else if (r < 0 && errno == EINTR)
            continue;
        else {
            if (r < 0)
                err = errno;
            break;
        }
    }
    close(fd);
    return got == n ? 0 : err;
}

int cib__os_entropy(void *buf, size_t n)
{
    unsigned char *p = buf;
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(p + got, n - got, 0);
        if (r > 0)
            got += (size_t)r;
        else if (!(r < 0 && errno == EINTR))
            break;
    }
    /* No getrandom (ENOSYS: a kernel before 3.17, or a filter). */
    return got == n ? 0 : cib__file_entropy(buf, n, "/dev/urandom");
}
