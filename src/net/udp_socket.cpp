#include "net/udp_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/log.hpp"

namespace kettle::net {

socklen_t to_sockaddr(const Address& addr, sockaddr_storage& out, bool v6_socket) noexcept {
  std::memset(&out, 0, sizeof out);
  if (addr.family == Address::Family::v4 && !v6_socket) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(addr.port);
    std::memcpy(&sin->sin_addr, addr.ip.data(), 4);
    return sizeof(sockaddr_in);
  }
  if (addr.family == Address::Family::v4 || addr.family == Address::Family::v6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(addr.port);
    if (addr.family == Address::Family::v6) {
      std::memcpy(&sin6->sin6_addr, addr.ip.data(), 16);
    } else {  // ::ffff:a.b.c.d
      sin6->sin6_addr.s6_addr[10] = 0xff;
      sin6->sin6_addr.s6_addr[11] = 0xff;
      std::memcpy(&sin6->sin6_addr.s6_addr[12], addr.ip.data(), 4);
    }
    return sizeof(sockaddr_in6);
  }
  return 0;
}

Address from_sockaddr(const sockaddr_storage& in, socklen_t len) noexcept {
  Address a;
  if (in.ss_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&in);
    a.family = Address::Family::v4;
    std::memcpy(a.ip.data(), &sin->sin_addr, 4);
    a.port = ntohs(sin->sin_port);
  } else if (in.ss_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&in);
    a.port = ntohs(sin6->sin6_port);
    if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
      a.family = Address::Family::v4;
      std::memcpy(a.ip.data(), &sin6->sin6_addr.s6_addr[12], 4);
    } else {
      a.family = Address::Family::v6;
      std::memcpy(a.ip.data(), &sin6->sin6_addr, 16);
    }
  }
  return a;
}

Error errno_error(std::string_view what, int err) {
  return Error{Errc::io, std::string(what) + ": " + std::strerror(err) + " (errno " + std::to_string(err) + ")"};
}

RecvBuffers::RecvBuffers(std::size_t slots, std::size_t slot_bytes)
    : storage_(std::make_unique_for_overwrite<std::uint8_t[]>(slots * slot_bytes)), slots_(slots) {
  for (std::size_t i = 0; i < slots; ++i) slots_[i].buf = MutBytes{storage_.get() + i * slot_bytes, slot_bytes};
}

namespace {

// Requests `bytes` for SO_RCVBUF/SO_SNDBUF; the *FORCE variant bypasses rmem_max/wmem_max when
// privileged. Returns what the kernel reports back (Linux doubles the request for bookkeeping).
std::size_t size_buffer(int fd, int force_opt, int opt, std::size_t bytes) {
  const int v = static_cast<int>(std::min<std::size_t>(bytes, 1u << 30));
  if (setsockopt(fd, SOL_SOCKET, force_opt, &v, sizeof v) != 0) (void)setsockopt(fd, SOL_SOCKET, opt, &v, sizeof v);
  int got = 0;
  socklen_t len = sizeof got;
  if (getsockopt(fd, SOL_SOCKET, opt, &got, &len) != 0) return 0;
  return static_cast<std::size_t>(got);
}

bool is_gso_rejection(int err) { return err == EIO || err == EINVAL || err == ENOPROTOOPT || err == EOPNOTSUPP; }
bool is_socket_fatal(int err) { return err == EBADF || err == ENOTSOCK || err == EFAULT; }

// Control-message space for one UDP_SEGMENT (u16) or UDP_GRO (int) value.
constexpr std::size_t kCmsgSpace = CMSG_SPACE(sizeof(int));
struct alignas(cmsghdr) CmsgBuf {
  char bytes[kCmsgSpace];
};

}  // namespace

Result<UdpSocket> UdpSocket::bind(const Address& local, const SocketOptions& options) {
  if (!local.is_set()) return Error{Errc::invalid_argument, "bind address is unset"};
  const bool v6 = local.family == Address::Family::v6;
  const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return errno_error("socket", errno);
  UdpSocket s(fd, local);
  s.v6_ = v6;
  if (v6) {  // dual-stack, so "[::]:0" also serves IPv4 peers (as v4-mapped addresses)
    const int off = 0;
    (void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  }
  s.rcvbuf_bytes_ = size_buffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, options.recv_buffer_bytes);
  s.sndbuf_bytes_ = size_buffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, options.send_buffer_bytes);

  sockaddr_storage ss;
  const socklen_t len = to_sockaddr(local, ss, v6);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0)
    return errno_error("bind " + local.to_string(), errno);
  socklen_t got_len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &got_len) != 0) return errno_error("getsockname", errno);
  s.local_ = from_sockaddr(ss, got_len);
  if (v6) s.local_.family = Address::Family::v6;  // report [::]:port, not a mapped v4 form

  if (options.enable_gso) {  // setting size 0 is a no-op that tells us whether UDP_SEGMENT exists
    const int zero = 0;
    s.gso_ = setsockopt(fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof zero) == 0;
  }
  if (options.enable_gro) {
    const int one = 1;
    s.gro_ = setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
  }
  logger("net")->debug("udp socket {} bound: rcvbuf={} sndbuf={} gso={} gro={}", s.local_.to_string(), s.rcvbuf_bytes_,
                       s.sndbuf_bytes_, s.gso_, s.gro_);
  return s;
}

UdpSocket::UdpSocket(UdpSocket&& other) noexcept { *this = std::move(other); }

UdpSocket& UdpSocket::operator=(UdpSocket&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    local_ = other.local_;
    v6_ = other.v6_;
    gso_ = other.gso_;
    gro_ = other.gro_;
    rcvbuf_bytes_ = other.rcvbuf_bytes_;
    sndbuf_bytes_ = other.sndbuf_bytes_;
    counters_ = other.counters_;
  }
  return *this;
}

UdpSocket::~UdpSocket() { close(); }

void UdpSocket::close() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<SendProgress> UdpSocket::send_batch(std::span<const OutDatagram> batch) {
  // One sendmmsg entry ("part") covers [off, end) of batch[entry]: a whole datagram, one
  // GSO chunk of at most kGsoMaxSegments segments, or (without GSO) a single segment.
  struct Part {
    std::size_t entry, off, end, segments;
    bool gso;
  };
  mmsghdr msgs[kMaxBatch];
  iovec iovs[kMaxBatch];
  sockaddr_storage addrs[kMaxBatch];
  CmsgBuf cmsgs[kMaxBatch];
  Part parts[kMaxBatch];

  std::size_t entry = 0, off = 0;  // cursor: first unsent byte
  while (entry < batch.size()) {
    // Build up to kMaxBatch parts from the cursor.
    std::size_t n = 0;
    for (std::size_t e = entry, o = off; e < batch.size() && n < kMaxBatch;) {
      const OutDatagram& d = batch[e];
      const std::size_t size = d.data.size();
      const bool segmented = d.segment_size != 0 && d.segment_size < size;
      std::size_t end = size;
      if (segmented) {
        const std::size_t per_part =
            gso_ ? std::max<std::size_t>(1, std::min(kGsoMaxSegments, kGsoMaxBytes / d.segment_size)) : 1;
        end = std::min(size, o + per_part * d.segment_size);
      }
      const std::size_t seg = segmented ? d.segment_size : std::max<std::size_t>(size, 1);
      Part& p = parts[n];
      p = Part{e, o, end, std::max<std::size_t>(1, (end - o + seg - 1) / seg), gso_ && segmented && end - o > seg};
      iovs[n] = iovec{const_cast<std::uint8_t*>(d.data.data()) + o, end - o};
      msghdr& h = msgs[n].msg_hdr;
      h = msghdr{};
      h.msg_name = &addrs[n];
      h.msg_namelen = to_sockaddr(d.to, addrs[n], v6_);
      h.msg_iov = &iovs[n];
      h.msg_iovlen = 1;
      if (p.gso) {
        h.msg_control = cmsgs[n].bytes;
        h.msg_controllen = CMSG_SPACE(sizeof(std::uint16_t));
        cmsghdr* c = CMSG_FIRSTHDR(&h);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(std::uint16_t));
        const auto seg16 = static_cast<std::uint16_t>(d.segment_size);
        std::memcpy(CMSG_DATA(c), &seg16, sizeof seg16);
      }
      ++n;
      if (end >= size) {
        ++e;
        o = 0;
      } else {
        o = end;
      }
    }

    const int sent = ::sendmmsg(fd_, msgs, static_cast<unsigned>(n), MSG_DONTWAIT);
    ++counters_.send_calls;
    const std::size_t ok_parts = sent > 0 ? static_cast<std::size_t>(sent) : 0;
    for (std::size_t i = 0; i < ok_parts; ++i) {
      counters_.datagrams_sent += parts[i].segments;
      counters_.bytes_sent += parts[i].end - parts[i].off;
    }
    auto advance_past = [&](const Part& p) {
      if (p.end >= batch[p.entry].data.size()) {
        entry = p.entry + 1;
        off = 0;
      } else {
        entry = p.entry;
        off = p.end;
      }
    };
    if (ok_parts > 0) {
      advance_past(parts[ok_parts - 1]);
      continue;  // the kernel reports an error for a later message on the next call
    }
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) break;
    if (is_socket_fatal(err)) return errno_error("sendmmsg", err);
    if (parts[0].gso && is_gso_rejection(err)) {
      // Some paths (e.g. devices without checksum offload) refuse GSO; resend split from here on.
      logger("net")->info("udp {}: GSO rejected ({}), falling back to one datagram per segment", local_.to_string(),
                          std::strerror(err));
      gso_ = false;
      ++counters_.gso_fallbacks;
      continue;
    }
    counters_.send_errors += parts[0].segments;  // this datagram alone is undeliverable; skip it
    logger("net")->debug("udp {}: dropped datagram to {}: {}", local_.to_string(), batch[parts[0].entry].to.to_string(),
                         std::strerror(err));
    advance_past(parts[0]);
  }
  return SendProgress{entry, off};
}

Result<bool> UdpSocket::send_to(Bytes data, const Address& to) {
  const OutDatagram d{to, data, 0};
  auto r = send_batch({&d, 1});
  if (!r.ok()) return std::move(r).error();
  return r->entries == 1;
}

Result<std::size_t> UdpSocket::recv_batch(std::span<RecvSlot> slots) {
  const std::size_t n = std::min(slots.size(), kMaxBatch);
  if (n == 0) return std::size_t{0};
  mmsghdr msgs[kMaxBatch];
  iovec iovs[kMaxBatch];
  sockaddr_storage addrs[kMaxBatch];
  CmsgBuf cmsgs[kMaxBatch];
  for (std::size_t i = 0; i < n; ++i) {
    iovs[i] = iovec{slots[i].buf.data(), slots[i].buf.size()};
    msghdr& h = msgs[i].msg_hdr;
    h = msghdr{};
    h.msg_name = &addrs[i];
    h.msg_namelen = sizeof addrs[i];
    h.msg_iov = &iovs[i];
    h.msg_iovlen = 1;
    if (gro_) {
      h.msg_control = cmsgs[i].bytes;
      h.msg_controllen = sizeof cmsgs[i].bytes;
    }
  }
  int got;
  do {
    got = ::recvmmsg(fd_, msgs, static_cast<unsigned>(n), MSG_DONTWAIT, nullptr);
  } while (got < 0 && errno == EINTR);
  ++counters_.recv_calls;
  if (got < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return std::size_t{0};
    return errno_error("recvmmsg", errno);
  }
  for (int i = 0; i < got; ++i) {
    RecvSlot& s = slots[i];
    const msghdr& h = msgs[i].msg_hdr;
    s.from = from_sockaddr(addrs[i], h.msg_namelen);
    s.size = std::min<std::size_t>(msgs[i].msg_len, s.buf.size());
    s.segment_size = s.size;
    s.truncated = (h.msg_flags & MSG_TRUNC) != 0;
    if (gro_) {
      msghdr& hm = msgs[i].msg_hdr;
      for (cmsghdr* c = CMSG_FIRSTHDR(&hm); c != nullptr; c = CMSG_NXTHDR(&hm, c)) {
        if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
          int seg = 0;
          std::memcpy(&seg, CMSG_DATA(c), sizeof seg);
          if (seg > 0) s.segment_size = static_cast<std::size_t>(seg);
        }
      }
    }
    if (s.truncated) ++counters_.recv_truncated;
    counters_.datagrams_received += s.segment_size == 0 ? 1 : (s.size + s.segment_size - 1) / s.segment_size;
    counters_.bytes_received += s.size;
  }
  return static_cast<std::size_t>(got);
}

}  // namespace kettle::net
