// One kettle-demo endpoint process (`kettle-demo --role a|b`). B listens and prints
// "listening ADDR"; A connects (through the proxy). Both send every send type on two channels
// for the configured time, verify what the other sends, and print one JSON summary line.
// A also prints a "stats ..." line every second.
#pragma once

#include <cstdint>
#include <string>

namespace kettle::demo {

struct PeerOptions {
  bool initiator = false;  // role a
  std::string connect;     // role a: where B (or the proxy in front of it) listens
  std::uint64_t seed = 1;
  double seconds = 10;
  double timeout_s = 60;
};

// Returns the process exit status: 0 when everything received verified.
int run_peer(const PeerOptions& o);

}  // namespace kettle::demo
