#include "net/udp_proxy.hpp"

#include <fmt/format.h>

#include "core/log.hpp"

namespace kettle::net {
namespace {

// Receive batches per readiness event before forwarding, so one busy socket cannot starve the
// other direction or the timer (8 x 32 slots, each up to 64 KiB with GRO).
constexpr int kMaxRecvRounds = 8;
constexpr std::size_t kRecvSlots = 32;
// Largest UDP payload; the send queue keeps this much room before taking another datagram.
constexpr std::size_t kMaxDatagramBytes = 65536;
// Stats snapshots for other threads are refreshed at most this often while running.
constexpr Duration kPublishInterval = ms(10);

Address any_address_like(const Address& a) {
  Address any;
  any.family = a.family == Address::Family::v6 ? Address::Family::v6 : Address::Family::v4;
  return any;
}

std::uint64_t session_seed(std::uint64_t seed, std::uint64_t index) {
  return seed ^ (0x9e3779b97f4a7c15ULL * (index + 1));  // distinct, reproducible streams per session
}

void add_socket_counters(ProxyStats& st, const SocketCounters& c) {
  st.recv_truncated += c.recv_truncated;
  st.send_errors += c.send_errors;
  st.gso_fallbacks += c.gso_fallbacks;
}

}  // namespace

Status ProxyConfig::validate() const {
  if (!upstream.is_set()) return Error{Errc::invalid_argument, "proxy upstream address is unset"};
  if (!listen.is_set()) return Error{Errc::invalid_argument, "proxy listen address is unset"};
  if (max_clients == 0) return Error{Errc::invalid_argument, "proxy max_clients must be >= 1"};
  if (client_idle_timeout <= Duration::zero())
    return Error{Errc::invalid_argument, "proxy client_idle_timeout must be > 0"};
  if (timer_slack < Duration::zero() || timer_slack > ms(10))
    return Error{Errc::invalid_argument, "proxy timer_slack must be in [0, 10ms]"};
  if (auto st = links.up.validate(); !st.ok()) return Error{Errc::invalid_argument, "up: " + st.error().message};
  if (auto st = links.down.validate(); !st.ok()) return Error{Errc::invalid_argument, "down: " + st.error().message};
  return {};
}

std::string ProxyStats::to_string() const {
  return fmt::format("up: {} | down: {} | clients={} rejected={} expired={} truncated={} send_errors={} stray={}",
                     up.to_string(), down.to_string(), clients_accepted, clients_rejected, clients_expired,
                     recv_truncated, send_errors, stray_dropped);
}

Result<std::unique_ptr<UdpProxy>> UdpProxy::create(const ProxyConfig& config) {
  KETTLE_TRY(config.validate());
  auto listen = UdpSocket::bind(config.listen, config.socket_options);
  if (!listen.ok()) return std::move(listen).error();
  // No spinning: the proxy shares the machine with both endpoints it sits between, and the
  // delays it adds dwarf the wake-up cost busy polling saves.
  auto loop = EventLoop::create(LoopOptions{.busy_poll = Duration::zero()});
  if (!loop.ok()) return std::move(loop).error();
  auto p = std::make_unique<UdpProxy>(Key{}, config, std::move(listen).value(), std::move(loop).value());
  KETTLE_TRY(p->loop_->add(p->listen_.fd(), [self = p.get()](unsigned events) {
    const Instant now = monotonic_now();
    if (events & EventLoop::kWritable) self->flush_clients();
    if (events & (EventLoop::kReadable | EventLoop::kError)) self->on_listen_readable(now);
    self->pump(now);
  }));
  return p;
}

UdpProxy::UdpProxy(Key, ProxyConfig config, UdpSocket listen, std::unique_ptr<EventLoop> loop)
    : config_(std::move(config)), listen_(std::move(listen)), loop_(std::move(loop)), rx_(kRecvSlots, kGroSlotBytes) {}

UdpProxy::~UdpProxy() {
  for (auto& [client, s] : sessions_) loop_->remove(s->socket.fd());
}

void UdpProxy::record_error(const Error& e) { logger("net")->warn("proxy: {}", e.to_string()); }

UdpProxy::Session* UdpProxy::session_for(const Address& client, Instant now) {
  if (auto it = sessions_.find(client); it != sessions_.end()) return it->second.get();
  if (sessions_.size() >= config_.max_clients) {
    ++own_.clients_rejected;
    return nullptr;
  }
  auto sock = UdpSocket::bind(any_address_like(config_.upstream), config_.socket_options);
  if (!sock.ok()) {
    record_error(sock.error());
    ++own_.clients_rejected;
    return nullptr;
  }
  auto links = ConditionerPair::create(config_.links, session_seed(config_.seed, sessions_created_++));
  if (!links.ok()) {  // validated in create(); kept as a value check rather than an assert
    record_error(links.error());
    return nullptr;
  }
  auto s = std::make_unique<Session>(
      Session{client, std::move(sock).value(), std::move(links).value(), TxQueue{}, now, false});
  Session* raw = s.get();
  auto added = loop_->add(raw->socket.fd(), [this, raw](unsigned events) {
    const Instant t = monotonic_now();
    if (events & EventLoop::kWritable) flush_session(*raw);
    if (events & (EventLoop::kReadable | EventLoop::kError)) on_upstream_readable(*raw, t);
    pump(t);
  });
  if (!added.ok()) {
    record_error(added.error());
    return nullptr;
  }
  sessions_.emplace(client, std::move(s));
  ++own_.clients_accepted;
  if (next_sweep_ == kInstantNever) next_sweep_ = now + config_.client_idle_timeout / 4;
  logger("net")->info("proxy: new client {} via {}", client.to_string(), raw->socket.local_address().to_string());
  return raw;
}

void UdpProxy::close_session(const Address& client) {
  auto it = sessions_.find(client);
  if (it == sessions_.end()) return;
  Session& s = *it->second;
  retired_.up += s.links.up.counters();
  retired_.down += s.links.down.counters();
  add_socket_counters(retired_, s.socket.counters());
  loop_->remove(s.socket.fd());
  sessions_.erase(it);
}

void UdpProxy::on_listen_readable(Instant now) {
  for (int round = 0; round < kMaxRecvRounds; ++round) {
    auto n = listen_.recv_batch(rx_.slots());
    if (!n.ok()) return record_error(n.error());
    for (std::size_t i = 0; i < *n; ++i) {
      const RecvSlot& slot = rx_.slots()[i];
      if (slot.truncated) continue;  // counted by the socket
      Session* s = session_for(slot.from, now);
      if (s == nullptr) continue;
      s->last_active = now;
      slot.for_each_segment([&](Bytes d) { s->links.up.push(d, now); });
    }
    if (*n < rx_.slots().size()) break;
  }
}

void UdpProxy::on_upstream_readable(Session& s, Instant now) {
  for (int round = 0; round < kMaxRecvRounds; ++round) {
    auto n = s.socket.recv_batch(rx_.slots());
    if (!n.ok()) return record_error(n.error());
    for (std::size_t i = 0; i < *n; ++i) {
      const RecvSlot& slot = rx_.slots()[i];
      // Only the upstream may answer through a session socket; anything else is not ours to relay.
      if (slot.truncated) continue;
      if (slot.from != config_.upstream) {
        ++own_.stray_dropped;
        continue;
      }
      s.last_active = now;
      slot.for_each_segment([&](Bytes d) { s.links.down.push(d, now); });
    }
    if (*n < rx_.slots().size()) break;
  }
}

void UdpProxy::flush_session(Session& s) {
  auto r = s.to_upstream.flush(s.socket);
  if (!r.ok()) return record_error(r.error());
  if (*r == !s.blocked) return;  // no change in writability interest
  s.blocked = !*r;
  if (auto st = loop_->set_want_write(s.socket.fd(), s.blocked); !st.ok()) record_error(st.error());
}

void UdpProxy::flush_clients() {
  auto r = to_clients_.flush(listen_);
  if (!r.ok()) return record_error(r.error());
  if (*r == !clients_blocked_) return;
  clients_blocked_ = !*r;
  if (auto st = loop_->set_want_write(listen_.fd(), clients_blocked_); !st.ok()) record_error(st.error());
}

void UdpProxy::pump(Instant now) {
  for (auto& [client, sp] : sessions_) {
    Session& s = *sp;
    while (!s.blocked && s.links.up.next_ready() <= now) {
      if (s.to_upstream.free_bytes() < kMaxDatagramBytes) {
        flush_session(s);
        if (s.to_upstream.free_bytes() < kMaxDatagramBytes) break;  // blocked or failed: retry later
      }
      s.links.up.pop_ready(now, scratch_);
      s.to_upstream.push(scratch_.data, config_.upstream);
    }
    if (!s.blocked) flush_session(s);
    while (!clients_blocked_ && s.links.down.next_ready() <= now) {
      if (to_clients_.free_bytes() < kMaxDatagramBytes) {
        flush_clients();
        if (to_clients_.free_bytes() < kMaxDatagramBytes) break;
      }
      s.links.down.pop_ready(now, scratch_);
      to_clients_.push(scratch_.data, s.client);
    }
  }
  if (!clients_blocked_) flush_clients();

  if (now >= next_sweep_) {
    std::vector<Address> idle;
    for (auto& [client, s] : sessions_) {
      if (now - s->last_active >= config_.client_idle_timeout && s->links.up.pending() == 0 &&
          s->links.down.pending() == 0 && s->to_upstream.empty())
        idle.push_back(client);
    }
    for (const Address& a : idle) {
      logger("net")->info("proxy: client {} idle, session closed", a.to_string());
      close_session(a);
      ++own_.clients_expired;
    }
    next_sweep_ = sessions_.empty() ? kInstantNever : now + config_.client_idle_timeout / 4;
  }
  arm_timer(now);
}

void UdpProxy::arm_timer(Instant now) {
  (void)now;
  Instant next = kInstantNever;
  for (auto& [client, s] : sessions_) {
    if (!s->blocked) next = std::min(next, s->links.up.next_ready());
    if (!clients_blocked_) next = std::min(next, s->links.down.next_ready());
  }
  if (next != kInstantNever) next += config_.timer_slack;
  loop_->set_timer(std::min(next, next_sweep_), [this](Instant t) { pump(t); });
}

void UdpProxy::publish_stats() {
  ProxyStats st = retired_;
  st.clients_accepted = own_.clients_accepted;
  st.clients_rejected = own_.clients_rejected;
  st.clients_expired = own_.clients_expired;
  st.stray_dropped = own_.stray_dropped;
  add_socket_counters(st, listen_.counters());
  for (auto& [client, s] : sessions_) {
    st.up += s->links.up.counters();
    st.down += s->links.down.counters();
    add_socket_counters(st, s->socket.counters());
  }
  std::lock_guard lock(stats_mu_);
  published_ = st;
}

ProxyStats UdpProxy::stats() const {
  std::lock_guard lock(stats_mu_);
  return published_;
}

Status UdpProxy::run_once(Instant wait_until) {
  auto it = loop_->run_once(wait_until);
  publish_stats();
  if (!it.ok()) return std::move(it).error();
  return {};
}

Status UdpProxy::run() {
  Instant last_publish = kInstantZero;
  while (!loop_->take_stop_request()) {
    auto it = loop_->run_once(kInstantNever);
    if (!it.ok()) return std::move(it).error();
    const Instant now = monotonic_now();
    if (now - last_publish >= kPublishInterval) {
      publish_stats();
      last_publish = now;
    }
  }
  publish_stats();
  return {};
}

}  // namespace kettle::net
