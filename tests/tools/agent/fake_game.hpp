// The game's side of docs/protocol.md §16 in C++, as Steam.gd does it in GDScript: hello,
// WELCOME, CALL with callbacks served in between, SEND over UDP, packets queued per channel.
// Real loopback sockets against a real Agent. Speaks either Variant dialect (3.x by default, as
// godot/addons/kettle/Steam.gd; 4.x as godot/addons/kettle/godot4/Steam.gd).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agent/agent.hpp"
#include "agent/reorder.hpp"
#include "godot/variant.hpp"

namespace kettle::agent::testing {

using godot::Array;
using godot::Variant;

struct GamePacket {
  std::int64_t from = 0;
  std::vector<std::uint8_t> data;
  bool via_udp = false;
};

class FakeGame {
 public:
  // Called for each CALLBACK while a call is in progress; may call() again (nested).
  std::function<void(const std::string& signal, const Array& args)> on_signal;
  std::vector<std::string> errors;  // REPLY error texts
  std::map<int, std::deque<GamePacket>> packets;
  // Sees the Variant bytes of every message from the agent (TCP frame body, or datagram after
  // the tag) before it is decoded, to check what the agent writes in this game's dialect.
  std::function<void(std::span<const std::uint8_t> variant, bool via_tcp)> on_raw;
  int undecodable = 0;  // messages from the agent that did not decode as an Array in this dialect

  explicit FakeGame(godot::Dialect dialect = godot::Dialect::godot3) : dialect_(dialect) {}
  ~FakeGame() { close(); }
  FakeGame(const FakeGame&) = delete;
  FakeGame& operator=(const FakeGame&) = delete;

  // Connects and sends `hello`; true once WELCOME arrived (false if the agent hung up).
  bool connect(std::uint16_t tcp_port, std::uint16_t udp_port, const std::vector<std::uint8_t>& hello) {
    tcp_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a = loopback(tcp_port);
    if (::connect(tcp_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) return false;
    int one = 1;
    ::setsockopt(tcp_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::send(tcp_, hello.data(), hello.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(hello.size())) return false;
    udp_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in u = loopback(udp_port);
    ::connect(udp_, reinterpret_cast<sockaddr*>(&u), sizeof u);
    auto welcome = read_tcp_message(std::chrono::seconds(10));
    if (!welcome || welcome->size() < 5 || *(*welcome)[0].as_int() != kWelcome) return false;
    const auto* tag = (*welcome)[3].as_bytes();
    if (tag == nullptr || tag->size() != kTagBytes) return false;
    tag_ = *tag;
    send_udp(Array{Variant::integer(kUdpHello)});
    return true;
  }

  // The hello of a game speaking `dialect` (the FakeGame itself speaks the dialect it was made with).
  static std::vector<std::uint8_t> hello_for(const Token& token, std::uint8_t dialect = 3) {
    std::vector<std::uint8_t> h{'K', 'T', 'L', 'A', kProtocolVersion, dialect, 0, 0};
    h.insert(h.end(), token.begin(), token.end());
    return h;
  }

  // A CALL; serves CALLBACKs (on_signal + CALLBACK_DONE) until the REPLY. nullopt: agent gone.
  std::optional<Variant> call(const std::string& name, Array args) {
    send_tcp(Array{Variant::integer(kCall), Variant::string(name), Variant::array(std::move(args))});
    for (;;) {
      auto m = next_message(std::chrono::seconds(30));
      if (!m) return std::nullopt;
      const Array& f = *m;
      switch (*f[0].as_int()) {
        case kReply:
          if (const auto* e = f[4].as_string(); e != nullptr && !e->empty()) errors.push_back(*e);
          return f[3];
        case kCallback:
          if (on_signal) on_signal(*f[3].as_string(), *f[4].as_array());
          send_tcp(Array{Variant::integer(kCallbackDone)});
          break;
        default:
          take_packet(f);
      }
    }
  }

  void send_unreliable(std::int64_t to, std::vector<std::uint8_t> data, int type, int channel) {
    send_udp(Array{Variant::integer(kSend), Variant::integer(to), Variant::bytes(std::move(data)),
                   Variant::integer(type), Variant::integer(channel)});
  }

  // Reads whatever the sockets have into the packet queues, waiting up to `wait` for the first.
  void pump(std::chrono::milliseconds wait) {
    pollfd fds[2] = {{tcp_, POLLIN, 0}, {udp_, POLLIN, 0}};
    ::poll(fds, 2, static_cast<int>(wait.count()));
    read_sockets(false);
    while (auto m = in_.next()) take_packet(*m);
  }

  void close() {
    if (tcp_ >= 0) ::close(tcp_);
    if (udp_ >= 0) ::close(udp_);
    tcp_ = udp_ = -1;
  }
  // True once the agent closed the TCP connection (or it was never open).
  bool agent_hung_up(std::chrono::milliseconds wait) {
    pollfd p{tcp_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
    char c;
    return ::recv(tcp_, &c, 1, MSG_PEEK) == 0;
  }
  int tcp_fd() const { return tcp_; }

 private:
  static sockaddr_in loopback(std::uint16_t port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
  }

  Array header(Array payload, bool tcp) {
    Array m{payload[0], Variant::integer(static_cast<std::int64_t>(seq_)),
            Variant::integer(static_cast<std::int64_t>(tcp_sent_))};
    for (std::size_t i = 1; i < payload.size(); ++i) m.push_back(payload[i]);
    ++seq_;
    if (tcp) ++tcp_sent_;
    return m;
  }
  void send_tcp(Array payload) {
    auto body = *godot::encode(Variant::array(header(std::move(payload), true)), dialect_);
    const auto n = static_cast<std::uint32_t>(body.size());
    std::vector<std::uint8_t> frame{static_cast<std::uint8_t>(n), static_cast<std::uint8_t>(n >> 8),
                                    static_cast<std::uint8_t>(n >> 16), static_cast<std::uint8_t>(n >> 24)};
    frame.insert(frame.end(), body.begin(), body.end());
    ::send(tcp_, frame.data(), frame.size(), MSG_NOSIGNAL);
  }
  void send_udp(Array payload) {
    auto body = *godot::encode(Variant::array(header(std::move(payload), false)), dialect_);
    std::vector<std::uint8_t> d = tag_;
    d.insert(d.end(), body.begin(), body.end());
    ::send(udp_, d.data(), d.size(), 0);
  }
  void take_packet(const Array& f) {
    if (*f[0].as_int() != kPacket) return;
    GamePacket p{*f[3].as_int(), *f[5].as_bytes(), f.size() > 6};
    packets[static_cast<int>(*f[4].as_int())].push_back(std::move(p));
  }
  // Reads TCP bytes (blocking up to the deadline if `block`) and all datagrams into `in_`.
  bool read_sockets(bool block, std::chrono::milliseconds wait = std::chrono::milliseconds(0)) {
    if (block) {
      pollfd p{tcp_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) return false;
    }
    std::uint8_t buf[65536];
    for (;;) {
      const ssize_t n = ::recv(tcp_, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) {
        closed_ = true;
        break;
      }
      if (n < 0) break;
      stream_.insert(stream_.end(), buf, buf + n);
    }
    while (stream_.size() >= 4) {
      const std::uint32_t len =
          stream_[0] | stream_[1] << 8 | stream_[2] << 16 | static_cast<std::uint32_t>(stream_[3]) << 24;
      if (stream_.size() < 4 + len) break;
      const auto body = std::span<const std::uint8_t>(stream_).subspan(4, len);
      if (on_raw) on_raw(body, true);
      auto v = godot::decode(body, dialect_);
      stream_.erase(stream_.begin(), stream_.begin() + 4 + len);
      if (!v || v->as_array() == nullptr || v->as_array()->size() < 3) {
        ++undecodable;
        closed_ = true;  // a lost TCP message would stall the order forever: give up on the link
        break;
      }
      const Array& a = *v->as_array();
      in_.add(static_cast<std::uint64_t>(*a[1].as_int()), static_cast<std::uint64_t>(*a[2].as_int()), true, a);
    }
    for (;;) {
      const ssize_t n = ::recv(udp_, buf, sizeof buf, MSG_DONTWAIT);
      if (n < static_cast<ssize_t>(kTagBytes)) break;
      const auto body = std::span<const std::uint8_t>(buf + kTagBytes, static_cast<std::size_t>(n) - kTagBytes);
      if (on_raw) on_raw(body, false);
      auto v = godot::decode(body, dialect_);
      if (!v || v->as_array() == nullptr || v->as_array()->size() < 3) {
        ++undecodable;
        continue;
      }
      Array a = *v->as_array();
      if (*a[0].as_int() == kPacket) a.push_back(Variant::boolean(true));
      in_.add(static_cast<std::uint64_t>(*a[1].as_int()), static_cast<std::uint64_t>(*a[2].as_int()), false, a);
    }
    return true;
  }
  std::optional<Array> next_message(std::chrono::milliseconds wait) {
    const auto deadline = std::chrono::steady_clock::now() + wait;
    for (;;) {
      if (auto m = in_.next()) return m;
      if (closed_ || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      read_sockets(true, std::chrono::milliseconds(100));
    }
  }
  std::optional<Array> read_tcp_message(std::chrono::milliseconds wait) { return next_message(wait); }

  godot::Dialect dialect_;
  int tcp_ = -1;
  int udp_ = -1;
  std::vector<std::uint8_t> tag_;
  std::vector<std::uint8_t> stream_;
  bool closed_ = false;
  std::uint64_t seq_ = 0;
  std::uint64_t tcp_sent_ = 0;
  Reorder<Array> in_;
};

}  // namespace kettle::agent::testing
