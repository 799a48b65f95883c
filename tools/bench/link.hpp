// One benchmark connection as the scenario code sees it. Each implementation (ENet, Kettle)
// provides one, so both run exactly the same application logic (roles.cpp) and differ only
// in the library underneath.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "bench/options.hpp"
#include "core/address.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/time.hpp"

namespace kettle::bench {

inline constexpr int kReliableChannel = 0;
inline constexpr int kUnreliableChannel = 1;

enum class SendOutcome { sent, would_block, failed };

using MessageSink = std::function<void(int channel, Bytes data)>;

class Link {
 public:
  virtual ~Link() = default;

  // Binds 127.0.0.1:0 and returns the port (receiver) — or binds an ephemeral port (sender).
  virtual Result<std::uint16_t> bind_loopback() = 0;
  // Sender: connect to `to` and wait for the handshake. Receiver: wait for one incoming peer.
  virtual Status connect(const Address& to, Instant deadline) = 0;
  virtual Status accept(Instant deadline) = 0;

  // Queues one message. would_block: flow control says not now; poll() and retry.
  virtual SendOutcome send(int channel, bool reliable, Bytes payload) = 0;
  // Puts whatever is queued on the wire now (latency-sensitive sends call this).
  virtual void flush() = 0;
  // Waits up to max_wait for network activity or timers, processes them and hands every
  // delivered message to `sink`. Errors: closed (the peer went away), io.
  virtual Status poll(Duration max_wait, const MessageSink& sink) = 0;
  // Graceful close: keeps servicing until everything sent is acknowledged or the deadline.
  virtual void close(Instant deadline) = 0;

  // Implementation counters for the report (retransmissions, RTT estimate, ...).
  virtual nlohmann::json stats() const = 0;
};

struct LinkOptions {
  std::uint64_t seed = 1;
  bool initiator = false;  // the sender connects; the receiver accepts
  std::size_t enet_window_bytes = 8u << 20;
  std::size_t kettle_send_buffer_bytes = 0;  // 0 = transport::Config default
  int kettle_busy_poll_us = -1;              // -1 = net::LoopOptions default
};

Result<std::unique_ptr<Link>> make_enet_link(const LinkOptions& o);
// Empty result with Errc::unsupported when this build has no Kettle transport yet.
Result<std::unique_ptr<Link>> make_kettle_link(const LinkOptions& o);

}  // namespace kettle::bench
