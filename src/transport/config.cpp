// The option table: one row per Config field with unit, range and why. validate()
// and the docs (docs/protocol.md §9.3) both come from it.
#include "transport/config.hpp"

#include <array>
#include <cstdint>
#include <string>

#include "transport/config_table.hpp"

namespace kettle::transport {

namespace {
std::int64_t dur(Duration d) { return to_us(d); }
}  // namespace

// clang-format off
const std::array<ConfigOption, kConfigOptionCount>& config_options() {
  static const std::array<ConfigOption, kConfigOptionCount> table = {{
    {"idle_timeout", "us", dur(ms(500)), dur(secs(3600)),
     "close when nothing is heard this long; ≥ 500 ms so a few lost keepalives never kill a healthy link",
     [](const Config& c) { return dur(c.idle_timeout); }},
    {"keepalive_interval", "us", dur(ms(50)), dur(secs(600)),
     "PING after this long without sending; must be below idle_timeout (checked) so idle links survive",
     [](const Config& c) { return dur(c.keepalive_interval); }},
    {"handshake_timeout", "us", dur(ms(250)), dur(secs(120)),
     "give up connect() after this long; HELLO is retransmitted at 250 ms, 500 ms, 1 s, ...",
     [](const Config& c) { return dur(c.handshake_timeout); }},
    {"nagle_delay", "us", 0, dur(secs(1)),
     "send type 3 coalescing limit; Steam documents ~200 ms; 0 disables Nagle",
     [](const Config& c) { return dur(c.nagle_delay); }},
    {"close_linger", "us", 0, dur(secs(60)),
     "after close(), keep delivering queued reliable data this long before sending CLOSE",
     [](const Config& c) { return dur(c.close_linger); }},
    {"max_datagram_size", "bytes", 1240, 1472,
     "UDP payload; ≥ 1240 so a 1200-byte unreliable message plus headers fits; ≤ 1472 (Ethernet MTU)",
     [](const Config& c) { return static_cast<std::int64_t>(c.max_datagram_size); }},
    {"max_send_buffer_bytes", "bytes", 1 << 20, std::int64_t{1} << 32,
     "per connection: queued + unacked reliable + queued unreliable; ≥ one 1 MiB message",
     [](const Config& c) { return static_cast<std::int64_t>(c.max_send_buffer_bytes); }},
    {"max_recv_buffer_bytes", "bytes", 64 << 10, std::int64_t{1} << 32,
     "per connection: out-of-order stream bytes (also the sender's flow window, §7.6); ≥ 64 KiB",
     [](const Config& c) { return static_cast<std::int64_t>(c.max_recv_buffer_bytes); }},
    {"channels", "count", 1, 256,
     "valid channels are [0, channels); the wire carries the channel in one byte",
     [](const Config& c) { return static_cast<std::int64_t>(c.channels); }},
    {"max_connections", "count", 1, 1 << 20,
     "connections (including pending handshakes) per endpoint",
     [](const Config& c) { return static_cast<std::int64_t>(c.max_connections); }},
    {"cookie_policy", "enum", 0, 2,
     "0 never, 1 under_load, 2 always (see CookiePolicy)",
     [](const Config& c) { return static_cast<std::int64_t>(c.cookie_policy); }},
    {"cookie_load_threshold", "count", 0, 1 << 20,
     "pending responder handshakes before cookies are demanded (under_load)",
     [](const Config& c) { return static_cast<std::int64_t>(c.cookie_load_threshold); }},
  }};
  return table;
}
// clang-format on

Status Config::validate() const {
  for (const ConfigOption& o : config_options()) {
    const std::int64_t v = o.get(*this);
    if (v < o.min || v > o.max) {
      return make_error(Errc::invalid_argument, "Config::" + std::string(o.name) + " = " + std::to_string(v) + " " +
                                                    o.unit + " is outside [" + std::to_string(o.min) + ", " +
                                                    std::to_string(o.max) + "] " + o.unit);
    }
  }
  if (keepalive_interval >= idle_timeout) {
    return make_error(Errc::invalid_argument,
                      "Config::keepalive_interval (" + std::to_string(to_us(keepalive_interval)) +
                          " us) must be below idle_timeout (" + std::to_string(to_us(idle_timeout)) + " us)");
  }
  return {};
}

}  // namespace kettle::transport
