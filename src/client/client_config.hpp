// ClientConfig → SessionConfig: every check Init makes before touching the network, each
// failing with a message that names the field and the rule.
#pragma once

#include "client/server_session.hpp"
#include "core/result.hpp"
#include "kettle/client.hpp"

namespace kettle::client {

// Resolves server == "embedded" through EmbeddedServer::shared() (starting it if needed).
// Errors: invalid_argument (a field; message names it), io (the embedded server failed to start).
Result<SessionConfig> resolve_config(const ClientConfig& cfg);

}  // namespace kettle::client
