// header_cpp.cpp - the public headers compile alone as C++ and link.
#include "convinbox.h"
#include "convinbox/store.h"

int main()
{
    cib_options o = CIB_OPTIONS_INIT;
    cib_user_def u = CIB_USER_DEF_INIT;
    cib_channel_def ch = CIB_CHANNEL_DEF_INIT;
    cib_store s = CIB_STORE_INIT;
    cib_ctx *ctx = nullptr;
    if (cib_ctx_new(&o, &ctx) != CIB_OK)
        return 1;
    u.id = "alice";
    u.name = "Alice";
    int rc = cib_user_add(ctx, &u);
    cib_ctx_free(ctx);
    return rc == CIB_OK && ch.size == sizeof ch && s.version == CIB_STORE_VERSION ? 0 : 1;
}
