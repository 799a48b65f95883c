// Puts one sender's messages back in order across its TCP stream and its UDP datagrams
// (docs/protocol.md §16.2). Every message carries `seq` (over both sockets) and `tcp_before`
// (TCP messages the sender had sent before it). A missing seq is a lost datagram — and is
// skipped — exactly when some later message shows that every TCP message before it has
// arrived; otherwise it is a TCP message still on its way. No timers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <utility>

namespace kettle::agent {

template <class Msg>
class Reorder {
 public:
  // Datagrams held waiting for a gap to close; more than this from the one game means a bug
  // in it, and the newest are dropped.
  static constexpr std::size_t kMaxHeld = 4096;

  // False when the message is a duplicate, too old, inconsistent or over the hold limit.
  bool add(std::uint64_t seq, std::uint64_t tcp_before, bool via_tcp, Msg msg) {
    if (seq < expected_ || held_.count(seq) != 0) return false;
    if (tcp_before > seq) return false;
    if (via_tcp) {
      // TCP is in order: the n-th TCP message has tcp_before == n.
      if (tcp_before != tcp_received_) return false;
      ++tcp_received_;
    } else if (held_.size() >= kMaxHeld) {
      return false;
    }
    held_.emplace(seq, Held{tcp_before, std::move(msg)});
    return true;
  }

  std::optional<Msg> next() {
    while (!held_.empty()) {
      auto first = held_.begin();
      if (first->first == expected_) {
        Msg m = std::move(first->second.msg);
        held_.erase(first);
        ++expected_;
        return m;
      }
      // seq expected_ is missing. If every TCP message sent before `first` is here, it was a datagram.
      if (first->second.tcp_before > tcp_received_) return std::nullopt;
      ++lost_;
      ++expected_;
    }
    return std::nullopt;
  }

  std::uint64_t tcp_received() const noexcept { return tcp_received_; }
  std::uint64_t lost() const noexcept { return lost_; }
  std::size_t held() const noexcept { return held_.size(); }

 private:
  struct Held {
    std::uint64_t tcp_before = 0;
    Msg msg;
  };
  std::uint64_t expected_ = 0;
  std::uint64_t tcp_received_ = 0;
  std::uint64_t lost_ = 0;
  std::map<std::uint64_t, Held> held_;
};

}  // namespace kettle::agent
