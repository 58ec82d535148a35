/* header_c.c - the public headers compile alone as C11 (-pedantic), and their
 * INIT macros fill every member. */
#include "convinbox/store.h"
#include "convinbox.h"

int main(void)
{
    cib_options o = CIB_OPTIONS_INIT;
    cib_allocator a = CIB_ALLOCATOR_INIT;
    cib_store s = CIB_STORE_INIT;
    cib_user_def u = CIB_USER_DEF_INIT;
    cib_team_def t = CIB_TEAM_DEF_INIT;
    cib_contact_def c = CIB_CONTACT_DEF_INIT;
    cib_pipeline_def p = CIB_PIPELINE_DEF_INIT;
    cib_access_def ac = CIB_ACCESS_DEF_INIT;
    cib_inbox_def i = CIB_INBOX_DEF_INIT;
    cib_channel_def ch = CIB_CHANNEL_DEF_INIT;
    cib_user_info ui = CIB_USER_INFO_INIT;
    cib_contact_info ci = CIB_CONTACT_INFO_INIT;
    cib_inbox_info ii = CIB_INBOX_INFO_INIT;
    cib_channel_info chi = CIB_CHANNEL_INFO_INIT;
    int ok = o.size == sizeof o && a.version == CIB_ALLOCATOR_VERSION &&
             s.version == CIB_STORE_VERSION && u.size == sizeof u && u.id_len == CIB_NTS &&
             u.seat == CIB_SEAT_PAID && t.size == sizeof t && c.owner_len == CIB_NTS &&
             p.size == sizeof p && ac.everyone == 1 && i.access == NULL &&
             ch.status == CIB_CHANNEL_ENABLED && ch.sender_name_len == CIB_NTS &&
             ui.size == sizeof ui && ci.size == sizeof ci && ii.size == sizeof ii &&
             chi.size == sizeof chi && CIB_OK == 0 && CIB_ENOMEM == -11;
    return ok ? 0 : 1;
}
