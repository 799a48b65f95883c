// kettle-agent's loopback sockets (docs/protocol.md §16.1-16.2): the TCP listener that hands
// out one authenticated connection, the non-blocking length-prefixed TCP stream, the tagged UDP
// socket and the handshake file. Plain POSIX; no Kettle types beyond Result.
#pragma once

#include <netinet/in.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace kettle::agent {

inline constexpr std::size_t kTokenBytes = 32;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::size_t kHelloBytes = 40;  // "KTLA", version, dialect, u16 0, token
inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kMaxFrame = (2u << 20) + 4096;  // 1 MiB packet as Variant, with room
inline constexpr std::size_t kMaxDatagram = 1400;

using Token = std::array<std::uint8_t, kTokenBytes>;
using Tag = std::array<std::uint8_t, kTagBytes>;

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd();
  int get() const noexcept { return fd_; }
  int release() noexcept {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

// What a hello says once its token matched.
struct Hello {
  std::uint8_t dialect = 3;
};
// Checks the 40-byte hello (constant-time token comparison). nullopt: not ours.
std::optional<Hello> check_hello(std::span<const std::uint8_t> bytes, const Token& token);

// 127.0.0.1:0 sockets.
Result<Fd> listen_loopback_tcp(std::uint16_t* port);
Result<Fd> bind_loopback_udp(std::uint16_t* port);

// `kettle-agent 1 TCP UDP TOKENHEX\n` to path.tmp (0600), renamed to path.
Status write_handshake_file(const std::string& path, std::uint16_t tcp_port, std::uint16_t udp_port,
                            const Token& token);

// A connected non-blocking TCP socket with u32-length framing and an output queue, so the
// agent never blocks on a game that is busy writing to it.
class Stream {
 public:
  explicit Stream(Fd fd);
  int fd() const noexcept { return fd_.get(); }
  bool closed() const noexcept { return closed_; }
  const std::string& close_reason() const noexcept { return close_reason_; }
  // Reads what the socket has. Complete frames come out of next_frame().
  void read_available();
  // Reads exactly n raw bytes if they are there (the hello), without framing.
  std::optional<std::vector<std::uint8_t>> take_raw(std::size_t n);
  std::optional<std::vector<std::uint8_t>> next_frame();
  void send_frame(std::span<const std::uint8_t> body);
  void flush();  // writes what the socket takes now
  bool wants_write() const noexcept { return out_off_ < out_.size(); }
  void close(std::string reason);

 private:
  Fd fd_;
  std::vector<std::uint8_t> in_;
  std::size_t in_off_ = 0;
  std::vector<std::uint8_t> out_;
  std::size_t out_off_ = 0;
  bool closed_ = false;
  std::string close_reason_;
};

// The agent's UDP socket. Accepts datagrams that start with the tag; the first one fixes the
// game's address, and later ones from anywhere else are dropped.
class Datagrams {
 public:
  Datagrams(Fd fd, Tag tag) : fd_(std::move(fd)), tag_(tag) {}
  int fd() const noexcept { return fd_.get(); }
  const Tag& tag() const noexcept { return tag_; }
  // The next valid datagram's body (tag removed), nullopt when the socket is drained.
  std::optional<std::vector<std::uint8_t>> receive();
  // Sends tag ‖ body to the game; false if the game's address is unknown or the socket is full.
  bool send(std::span<const std::uint8_t> body);

 private:
  Fd fd_;
  Tag tag_;
  std::optional<sockaddr_in> peer_;
  std::vector<std::uint8_t> buf_ = std::vector<std::uint8_t>(65536);
};

}  // namespace kettle::agent
