/* pipeline.c - ticket pipelines with ordered stages; load and dump. */
#include "pipeline.h"

#include <string.h>

#include "error.h"
#include "op.h"
#include "ticket.h"

/* Stages per pipeline, at most. */
#define MAX_STAGES 100

cib__pipeline *cib__pipeline_find(cib_ctx *ctx, const char *id, size_t len)
{
    cib__pipeline *p = NULL;
    CIB_HASH_FIND(ctx->seed, hh, ctx->pipelines, id, len, p);
    return p;
}

static void pipeline_free(cib_ctx *ctx, cib__pipeline *p)
{
    if (!p)
        return;
    for (size_t i = 0; p->stages && i < p->n_stages; i++)
        cib__free(&ctx->mem, p->stages[i]);
    cib__free(&ctx->mem, p->stages);
    cib__free(&ctx->mem, p->stage_lens);
    cib__free(&ctx->mem, p->id);
    cib__free(&ctx->mem, p);
}

/* Check the stage list: 1..MAX_STAGES names, none twice. */
static int stages_check(cib_ctx *ctx, const char *const *stages, const size_t *lens, size_t n,
                        cib__str *out)
{
    if (n == 0)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: a pipeline needs at least one stage");
    if (n > MAX_STAGES)
        return cib__fail(ctx, CIB_EINVAL,
                         "invalid argument: a pipeline has at most %d stages, not %zu", MAX_STAGES,
                         n);
    if (!stages)
        return cib__fail(ctx, CIB_EINVAL, "invalid argument: 'stages' is NULL");
    for (size_t i = 0; i < n; i++) {
        int rc = cib__arg_item(ctx, "stages", stages, lens, i, ctx->lim.max_name_len, &out[i]);
        if (rc)
            return rc;
        for (size_t k = 0; k < i; k++)
            if (cib__streq(out[k].p, out[k].n, out[i].p, out[i].n))
                return cib__fail(ctx, CIB_EINVAL,
                                 "invalid argument: 'stages[%zu]' repeats stage '%.*s'", i,
                                 (int)out[i].n, out[i].p);
    }
    return CIB_OK;
}

/* Create and index a pipeline. Fallible; on failure nothing changed. */
static int pipeline_create(cib_ctx *ctx, cib__str id, const cib__str *stages, size_t n,
                           cib__pipeline **out)
{
    cib__pipeline *p = cib__calloc(&ctx->mem, 1, sizeof *p);
    if (!p)
        return cib__nomem(ctx);
    p->id = cib__strndup(&ctx->mem, id.p, id.n);
    p->id_len = id.n;
    p->stages = cib__calloc(&ctx->mem, n, sizeof *p->stages);
    p->stage_lens = cib__calloc(&ctx->mem, n, sizeof *p->stage_lens);
    int ok = p->id && p->stages && p->stage_lens;
    if (ok) {
        p->n_stages = n;
        for (size_t i = 0; i < n && ok; i++) {
            p->stages[i] = cib__strndup(&ctx->mem, stages[i].p, stages[i].n);
            p->stage_lens[i] = stages[i].n;
            ok = p->stages[i] != NULL;
        }
    }
    if (ok)
        CIB_HASH_ADD(&ctx->mem, ctx->seed, hh, ctx->pipelines, p->id, p->id_len, p, ok);
    if (!ok) {
        pipeline_free(ctx, p);
        return cib__nomem(ctx);
    }
    *out = p;
    return CIB_OK;
}

static void pipeline_destroy(cib_ctx *ctx, cib__pipeline *p)
{
    CIB_HASH_DEL(&ctx->mem, hh, ctx->pipelines, p);
    pipeline_free(ctx, p);
}

static int pipeline_put(cib_ctx *ctx, const cib__pipeline *p)
{
    cib__rowb b;
    cib__rowb_init(&b, CIB_KIND_PIPELINE, p->id, p->id_len);
    cib__rowb_list(&b, "stages", (const char *const *)p->stages, p->stage_lens, p->n_stages);
    return cib__tx_put(ctx, &b.row);
}

int cib_pipeline_add(cib_ctx *ctx, const cib_pipeline_def *def)
{
    CIB__ENTER_WRITE(ctx, "cib_pipeline_add");
    cib_pipeline_def d = CIB_PIPELINE_DEF_INIT;
    int rc = cib__def_read(ctx, "def", def, sizeof d, &d);
    cib__str id, stages[MAX_STAGES];
    if (!rc)
        rc = cib__arg_id(ctx, "id", d.id, d.id_len, &id);
    if (!rc)
        rc = stages_check(ctx, d.stages, d.stage_lens, d.n_stages, stages);
    if (rc)
        return rc;
    if (cib__pipeline_find(ctx, id.p, id.n))
        return cib__fail(ctx, CIB_ECONFLICT, "pipeline '%.*s' already exists", (int)id.n, id.p);
    cib__pipeline *p;
    if ((rc = pipeline_create(ctx, id, stages, d.n_stages, &p)))
        return rc;
    cib__op op;
    if (!(rc = cib__op_begin(ctx, &op)))
        rc = cib__op_end(&op, pipeline_put(ctx, p));
    if (rc)
        pipeline_destroy(ctx, p);
    return rc;
}

int cib_pipeline_remove(cib_ctx *ctx, const char *id, size_t id_len)
{
    CIB__ENTER_WRITE(ctx, "cib_pipeline_remove");
    cib__str sid;
    int rc = cib__arg_id(ctx, "id", id, id_len, &sid);
    if (rc)
        return rc;
    cib__pipeline *p = cib__pipeline_find(ctx, sid.p, sid.n);
    if (!p)
        return cib__fail(ctx, CIB_ENOTFOUND, "pipeline '%.*s' not found", (int)sid.n, sid.p);
    const cib__channel *by;
    if (cib__tickets_use_pipeline(ctx, p, &by))
        return cib__fail(ctx, CIB_ECONFLICT,
                         "pipeline '%s' is used by the ticket rule of channel '%s'; change that "
                         "rule first",
                         p->id, by->id);
    cib__op op;
    if (!(rc = cib__op_begin(ctx, &op)))
        rc = cib__op_end(&op, cib__tx_del(ctx, CIB_KIND_PIPELINE, p->id, p->id_len));
    if (rc == CIB_OK)
        pipeline_destroy(ctx, p);
    return rc;
}

int cib__pipeline_load(cib_ctx *ctx, const cib_row *row)
{
    const cib_field *f;
    int rc = cib__row_list(ctx, row, "stages", &f);
    if (rc)
        return rc;
    cib__str id, stages[MAX_STAGES];
    rc = cib__arg_id(ctx, "id", row->key, row->key_len, &id);
    if (!rc && cib__pipeline_find(ctx, id.p, id.n))
        rc = cib__fail(ctx, CIB_ECONFLICT, "the id is stored twice");
    if (!rc)
        rc = stages_check(ctx, f->items, f->item_lens, f->n_items, stages);
    if (rc)
        return cib__row_refused(ctx, row, rc);
    cib__pipeline *p;
    return pipeline_create(ctx, id, stages, f->n_items, &p);
}

void cib__pipeline_dump(cib_ctx *ctx, cib__buf *b)
{
    cib__pipeline *p, *tmp;
    HASH_ITER (hh, ctx->pipelines, p, tmp) {
        cib__buf_str(b, "pipeline ");
        cib__buf_quote(b, p->id, p->id_len);
        cib__buf_str(b, " stages=[");
        for (size_t i = 0; i < p->n_stages; i++) {
            if (i)
                cib__buf_str(b, ",");
            cib__buf_quote(b, p->stages[i], p->stage_lens[i]);
        }
        cib__buf_str(b, "]\n");
    }
}

void cib__pipeline_free_all(cib_ctx *ctx)
{
    cib__pipeline *p, *tmp;
    HASH_ITER (hh, ctx->pipelines, p, tmp) {
        pipeline_destroy(ctx, p);
    }
}
