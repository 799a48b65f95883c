// A protocol-agnostic UDP proxy that runs every datagram through the network conditioner:
//   client ──► listen socket ──[up conditioner]──► session socket ──► upstream
//   client ◄── listen socket ◄─[down conditioner]── session socket ◄── upstream
//
// Several clients are supported, told apart by source address. Each client gets a session with
// its own upstream socket (so the upstream sees one distinct address per client) and its own
// ConditionerPair seeded from (seed, client index), so a run is reproducible for a given order of
// first contact. A session idle in both directions for client_idle_timeout is closed; clients
// beyond max_clients are dropped and counted.
//
// One thread, one epoll loop: batched receive (recvmmsg + GRO), batched send (sendmmsg + GSO
// runs via TxQueue), and the loop's single timer set to the earliest conditioner deadline.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/address.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "net/conditioner.hpp"
#include "net/event_loop.hpp"
#include "net/link_settings.hpp"
#include "net/tx_queue.hpp"
#include "net/udp_socket.hpp"

namespace kettle::net {

struct ProxyConfig {
  Address listen = Address::loopback_v4(0);
  Address upstream;
  LinkPairSettings links;  // up = client→upstream, down = upstream→client
  std::uint64_t seed = 1;
  std::size_t max_clients = 64;             // bounds sockets and memory per proxy
  Duration client_idle_timeout = secs(60);  // longer than any transport idle timeout we use
  // Delayed datagrams may leave up to this much late so that ones due close together share one
  // wakeup and one sendmmsg instead of one each; small against any latency worth emulating.
  Duration timer_slack = us(200);
  // 32 MiB per socket: ~160 ms of 1200 B datagrams at 100 MB/s (kernel truesize included), so a
  // descheduled proxy on a busy machine does not drop. Needs root or a raised net.core.rmem_max.
  SocketOptions socket_options{32u << 20, 32u << 20, true, true};

  // Errors: invalid_argument (unset upstream, max_clients 0, bad link settings with "up: "/"down: ").
  Status validate() const;
};

struct ProxyStats {
  ConditionerCounters up;  // summed over all sessions, closed ones included
  ConditionerCounters down;
  std::uint64_t clients_accepted = 0;
  std::uint64_t clients_rejected = 0;  // max_clients reached
  std::uint64_t clients_expired = 0;
  std::uint64_t recv_truncated = 0;  // datagrams larger than a receive slot (cut, dropped)
  std::uint64_t send_errors = 0;     // datagrams the kernel refused to send
  std::uint64_t gso_fallbacks = 0;
  std::uint64_t stray_dropped = 0;  // arrived on a session socket from someone other than upstream
  // One line: "up: passed=... | down: passed=... | clients=N rejected=N ..."
  std::string to_string() const;
};

class UdpProxy {
  struct Key {  // only create() can construct one (lets it use make_unique)
    explicit Key() = default;
  };

 public:
  // Binds the listen socket. Errors: invalid_argument (config), io (bind/epoll).
  static Result<std::unique_ptr<UdpProxy>> create(const ProxyConfig& config);
  UdpProxy(Key, ProxyConfig config, UdpSocket listen, std::unique_ptr<EventLoop> loop);
  ~UdpProxy();

  const Address& local_address() const noexcept { return listen_.local_address(); }

  // Runs until stop(). Errors: io (epoll or a socket failed beyond recovery).
  Status run();
  // One loop iteration waiting at most until `wait_until`, for tests that pump manually.
  Status run_once(Instant wait_until);
  // Thread-safe and async-signal-safe.
  void stop() noexcept { loop_->stop(); }

  // Thread-safe snapshot, refreshed after every loop iteration.
  ProxyStats stats() const;

 private:
  struct Session {
    Address client;
    UdpSocket socket;  // to/from upstream
    ConditionerPair links;
    TxQueue to_upstream;
    Instant last_active;
    bool blocked = false;  // to_upstream is waiting for writability
  };

  void on_listen_readable(Instant now);
  void on_upstream_readable(Session& s, Instant now);
  Session* session_for(const Address& client, Instant now);
  void close_session(const Address& client);
  // Moves due datagrams from the conditioners into the send queues and flushes them.
  void pump(Instant now);
  void flush_session(Session& s);
  void flush_clients();
  void arm_timer(Instant now);
  void publish_stats();
  void record_error(const Error& e);

  ProxyConfig config_;
  UdpSocket listen_;
  std::unique_ptr<EventLoop> loop_;
  RecvBuffers rx_;
  TxQueue to_clients_;
  bool clients_blocked_ = false;
  std::unordered_map<Address, std::unique_ptr<Session>> sessions_;
  std::uint64_t sessions_created_ = 0;  // seeds each session's conditioners
  ProxyStats retired_;                  // counters of closed sessions
  ProxyStats own_;                      // counters not tied to a session
  Instant next_sweep_ = kInstantNever;
  Datagram scratch_;
  Status fatal_;  // first unrecoverable error; ends run()

  mutable std::mutex stats_mu_;
  ProxyStats published_;
};

}  // namespace kettle::net
