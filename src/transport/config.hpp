// Transport options: one table (config.cpp) with name, default, min, max, unit and
// why. validate() rejects out-of-range values with a message naming the option and
// its range; nothing is silently clamped. Defaults are tuned for a consumer
// broadband link (10-200 ms RTT, 1-100 Mbit/s) and still run at full speed on loopback.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/result.hpp"
#include "core/time.hpp"

namespace kettle::transport {

enum class CookiePolicy : std::uint8_t {
  never = 0,       // accept every valid HELLO directly (1 RTT)
  under_load = 1,  // demand a cookie once pending handshakes exceed cookie_load_threshold
  always = 2,      // every HELLO must carry a valid cookie (2 RTT, stateless until then)
};

struct Config {
  Duration idle_timeout = secs(10);              // close when nothing is heard this long
  Duration keepalive_interval = secs(1);         // send PING after this long without sending
  Duration handshake_timeout = secs(10);         // give up a connect() after this long
  Duration nagle_delay = ms(200);                // send type 3 coalescing limit (Steam: "~200ms")
  Duration close_linger = secs(2);               // deliver queued reliable data this long after close()
  std::size_t max_datagram_size = 1300;          // UDP payload bytes; must fit a 1200 B unreliable message
  std::size_t max_send_buffer_bytes = 4u << 20;  // per connection: queued + unacked reliable + unreliable
  std::size_t max_recv_buffer_bytes = 8u << 20;  // per connection: out-of-order + undelivered
  int channels = 256;                            // valid channels are [0, channels)
  std::uint32_t max_connections = 4096;
  CookiePolicy cookie_policy = CookiePolicy::under_load;
  std::uint32_t cookie_load_threshold = 64;  // pending handshakes before cookies are demanded
  // Accept peers holding an anonymous certificate (crypto::Certificate::anonymous); only
  // kettle-server's endpoint sets this, so clients can log in before they have a certificate.
  bool accept_anonymous_peers = false;

  Status validate() const;
};

}  // namespace kettle::transport
