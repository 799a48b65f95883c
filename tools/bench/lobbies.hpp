// The `lobbies` scenario: a real kettle-server process (dev mode, fresh SQLite file, so the
// lobby write-behind store is the SQLite one) and, in this process, --lobby-clients clients
// that log in and then, for --duration s, play a matchmaking mix against it (lobby_bot.cpp):
// hosts create lobbies, the others search (RequestLobbyList: mode = "bench", a free slot, near
// a level) and join; inside they chat, set member data and (the owner) lobby data, then leave.
//
// The clients speak the control protocol directly (docs/protocol.md §12, §15) over shared
// transport endpoints (100 connections per UDP socket, like `login`), encrypted as always; the
// server sees one connection and session per client. kettle::Client would add an I/O thread
// and a callback queue per client — 2,000 of them on this 2-core machine would measure the
// client process's scheduling, not the server. An operation's latency ends where the game's
// callback would fire (see README.md "lobbies").
#pragma once

#include <string>

#include "bench/options.hpp"
#include "bench/report.hpp"

namespace kettle::bench {

Figures run_lobbies(const Options& o, const std::string& server_path);

}  // namespace kettle::bench
