/* pipeline.h - ticket pipelines and their stages. */
#ifndef CIB_PIPELINE_H
#define CIB_PIPELINE_H

#include "mem.h"
#include "store.h"

cib__pipeline *cib__pipeline_find(cib_ctx *ctx, const char *id, size_t len);

int cib__pipeline_load(cib_ctx *ctx, const cib_row *row);
void cib__pipeline_dump(cib_ctx *ctx, cib__buf *b);
void cib__pipeline_free_all(cib_ctx *ctx);

#endif
