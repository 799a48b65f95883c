// The `login` scenario: a real kettle-server process (dev mode, a fresh SQLite file, its own
// key) and, in this process, `login_clients` clients that each connect with their own key
// (anonymous certificate), log in with a distinct dev name and stay online. At most
// `login_concurrency` logins are in flight at once (a closed loop: a finished login starts the
// next), so the latency figures describe a server under steady load rather than one burst.
// Clients share a few UDP sockets (one transport Endpoint per 100 clients, identity swapped
// before each connect) to keep this process light; the server sees one connection per client.
#pragma once

#include <string>

#include "bench/options.hpp"
#include "bench/report.hpp"

namespace kettle::bench {

Figures run_login(const Options& o, const std::string& server_path);

}  // namespace kettle::bench
