/* Compiled with -std=c99 -Wpedantic -Werror (CMakeLists.txt): kettle.h is plain C99. */
#include "kettle/kettle.h"

typedef char kettle_c99_check_state_has_port[sizeof(((kettle_p2p_session_state*)0)->m_nRemotePort) == 2 ? 1 : -1];
