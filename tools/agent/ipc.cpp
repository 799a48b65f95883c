#include "agent/ipc.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sodium.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace kettle::agent {
namespace {

Error os_error(const char* what) { return make_error(Errc::io, std::string(what) + ": " + std::strerror(errno)); }

sockaddr_in loopback(std::uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

Result<std::uint16_t> local_port(int fd) {
  sockaddr_in a{};
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return os_error("getsockname");
  return ntohs(a.sin_port);
}

}  // namespace

Fd& Fd::operator=(Fd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.release();
  }
  return *this;
}

Fd::~Fd() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<Hello> check_hello(std::span<const std::uint8_t> b, const Token& token) {
  if (b.size() != kHelloBytes) return std::nullopt;
  // Compare everything before deciding, so timing says nothing about which part was wrong.
  const bool magic = b[0] == 'K' && b[1] == 'T' && b[2] == 'L' && b[3] == 'A';
  const bool version = b[4] == kProtocolVersion;
  const bool dialect = b[5] == 3 || b[5] == 4;
  const bool token_ok = sodium_memcmp(b.data() + 8, token.data(), kTokenBytes) == 0;
  if (!(magic && version && dialect && token_ok)) return std::nullopt;
  return Hello{b[5]};
}

Result<Fd> listen_loopback_tcp(std::uint16_t* port) {
  Fd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return os_error("socket");
  const sockaddr_in a = loopback(0);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return os_error("bind 127.0.0.1");
  if (::listen(fd.get(), 8) != 0) return os_error("listen");
  auto p = local_port(fd.get());
  if (!p) return std::move(p).error();
  *port = *p;
  return fd;
}

Result<Fd> bind_loopback_udp(std::uint16_t* port) {
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return os_error("socket");
  const sockaddr_in a = loopback(0);
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) return os_error("bind 127.0.0.1");
  // Room for a burst of small packets while the game is between frames.
  int rcv = 1 << 20;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
  auto p = local_port(fd.get());
  if (!p) return std::move(p).error();
  *port = *p;
  return fd;
}

Status write_handshake_file(const std::string& path, std::uint16_t tcp_port, std::uint16_t udp_port,
                            const Token& token) {
  std::string hex(kTokenBytes * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), token.data(), token.size());
  hex.pop_back();
  const std::string line =
      "kettle-agent 1 " + std::to_string(tcp_port) + " " + std::to_string(udp_port) + " " + hex + "\n";
  const std::string tmp = path + ".tmp";
  Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  sodium_memzero(hex.data(), hex.size());
  if (!fd) return os_error(("cannot write handshake file " + tmp).c_str());
  const ssize_t n = ::write(fd.get(), line.data(), line.size());
  std::string wipe = line;
  sodium_memzero(wipe.data(), wipe.size());
  if (n != static_cast<ssize_t>(line.size())) return os_error("write handshake file");
  fd = Fd();
  if (::rename(tmp.c_str(), path.c_str()) != 0) return os_error("rename handshake file");
  return {};
}

Stream::Stream(Fd fd) : fd_(std::move(fd)) {
  int one = 1;
  ::setsockopt(fd_.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const int flags = ::fcntl(fd_.get(), F_GETFL);
  ::fcntl(fd_.get(), F_SETFL, flags | O_NONBLOCK);
}

void Stream::read_available() {
  if (closed_) return;
  std::uint8_t buf[65536];
  for (;;) {
    const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
    if (n > 0) {
      if (in_off_ > 0 && in_off_ == in_.size()) {
        in_.clear();
        in_off_ = 0;
      }
      in_.insert(in_.end(), buf, buf + n);
      continue;
    }
    if (n == 0) return close("the game closed the connection");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    return close(std::string("read: ") + std::strerror(errno));
  }
}

std::optional<std::vector<std::uint8_t>> Stream::take_raw(std::size_t n) {
  if (in_.size() - in_off_ < n) return std::nullopt;
  std::vector<std::uint8_t> out(in_.begin() + static_cast<std::ptrdiff_t>(in_off_),
                                in_.begin() + static_cast<std::ptrdiff_t>(in_off_ + n));
  in_off_ += n;
  return out;
}

std::optional<std::vector<std::uint8_t>> Stream::next_frame() {
  const std::size_t avail = in_.size() - in_off_;
  if (avail < 4) return std::nullopt;
  const std::uint8_t* p = in_.data() + in_off_;
  const std::uint32_t len = static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
                            static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
  if (len > kMaxFrame) {
    close("a frame of " + std::to_string(len) + " bytes is over the limit of " + std::to_string(kMaxFrame));
    return std::nullopt;
  }
  if (avail < 4 + static_cast<std::size_t>(len)) return std::nullopt;
  std::vector<std::uint8_t> body(p + 4, p + 4 + len);
  in_off_ += 4 + len;
  if (in_off_ == in_.size()) {
    in_.clear();
    in_off_ = 0;
  }
  return body;
}

void Stream::send_frame(std::span<const std::uint8_t> body) {
  if (closed_) return;
  if (out_off_ > 0 && out_off_ == out_.size()) {
    out_.clear();
    out_off_ = 0;
  }
  const auto len = static_cast<std::uint32_t>(body.size());
  const std::uint8_t hdr[4] = {static_cast<std::uint8_t>(len), static_cast<std::uint8_t>(len >> 8),
                               static_cast<std::uint8_t>(len >> 16), static_cast<std::uint8_t>(len >> 24)};
  out_.insert(out_.end(), hdr, hdr + 4);
  out_.insert(out_.end(), body.begin(), body.end());
  flush();
}

void Stream::flush() {
  while (!closed_ && out_off_ < out_.size()) {
    const ssize_t n = ::send(fd_.get(), out_.data() + out_off_, out_.size() - out_off_, MSG_NOSIGNAL);
    if (n > 0) {
      out_off_ += static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    return close(std::string("write: ") + std::strerror(errno));
  }
  if (out_off_ == out_.size()) {
    out_.clear();
    out_off_ = 0;
  }
}

void Stream::close(std::string reason) {
  if (closed_) return;
  closed_ = true;
  close_reason_ = std::move(reason);
  fd_ = Fd();
}

std::optional<std::vector<std::uint8_t>> Datagrams::receive() {
  for (;;) {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    const ssize_t n = ::recvfrom(fd_.get(), buf_.data(), buf_.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return std::nullopt;  // drained (or an error the next poll reports again)
    }
    if (static_cast<std::size_t>(n) < kTagBytes || static_cast<std::size_t>(n) > kMaxDatagram) continue;
    if (sodium_memcmp(buf_.data(), tag_.data(), kTagBytes) != 0) continue;
    if (from.sin_addr.s_addr != htonl(INADDR_LOOPBACK)) continue;
    if (!peer_) {
      peer_ = from;
    } else if (peer_->sin_port != from.sin_port) {
      continue;  // the tag leaked to a second local process: keep talking to the first
    }
    return std::vector<std::uint8_t>(buf_.begin() + kTagBytes, buf_.begin() + n);
  }
}

bool Datagrams::send(std::span<const std::uint8_t> body) {
  if (!peer_ || body.size() + kTagBytes > kMaxDatagram) return false;
  std::uint8_t out[kMaxDatagram];
  std::memcpy(out, tag_.data(), kTagBytes);
  std::memcpy(out + kTagBytes, body.data(), body.size());
  const ssize_t n =
      ::sendto(fd_.get(), out, kTagBytes + body.size(), 0, reinterpret_cast<const sockaddr*>(&*peer_), sizeof *peer_);
  return n == static_cast<ssize_t>(kTagBytes + body.size());
}

}  // namespace kettle::agent
