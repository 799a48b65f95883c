// Session-record edits that more than one caller makes: the Networking API's
// AcceptP2PSessionWithUser and the client's automatic acceptance of lobby members (spec
// p2p-api.md §5) must do exactly the same thing. The caller holds `Shared::mu`.
#pragma once

#include "core/steam_id.hpp"
#include "p2p/shared.hpp"

namespace kettle::p2p {

// Moves a pending session's held packets to the readable queues, in arrival order.
void release_held(Shared& sh, Session& s);

// AcceptP2PSessionWithUser (spec §2.2): a pending request becomes active (held data readable);
// an unknown user is pre-accepted (no connection attempt). Returns true if the I/O side must
// look at the session (it is in `dirty`; wake the I/O thread).
bool accept_session(Shared& sh, SteamID remote);

}  // namespace kettle::p2p
