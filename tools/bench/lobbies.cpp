#include "bench/lobbies.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include "bench/dev_server.hpp"
#include "bench/lobby_bot.hpp"
#include "control/messages.hpp"
#include "crypto/certificate.hpp"
#include "net/event_loop.hpp"
#include "net/transport_driver.hpp"

namespace kettle::bench {
namespace {

constexpr int kClientsPerEndpoint = 100;
constexpr std::size_t kLoginsInFlight = 64;  // per worker, as the login scenario's default

struct OpStats {
  std::uint64_t in_window = 0;  // completed between start and end: the ops/s figure
  std::uint64_t errors = 0;
  std::uint64_t refused = 0;
  std::vector<double> latency_us;  // every operation started in the window (the tail drained)
};
using AllStats = std::array<OpStats, kLobbyOps>;

// When the mix starts: 0 until every worker has logged its clients in.
struct Clock {
  std::atomic<std::int64_t> start_us{0};
  std::atomic<int> ready{0};
  std::atomic<bool> abort{false};
};

// One thread's share of the clients: its own event loop, sockets and bots.
class Worker {
 public:
  Worker(const Options& o, Address server, crypto::SigningPublicKey key, std::uint32_t first, std::uint32_t count,
         std::size_t concurrency)
      : o_(o), server_(server), key_(key), first_(first), concurrency_(concurrency) {
    bots_.reserve(count);
    for (std::uint32_t i = 0; i < count; ++i) bots_.emplace_back(first + i, o.seed * 1'000'003 + first + i);
  }

  // Logs in every client, tells `clock` it is ready, keeps the connections served until the
  // start, runs the mix until start + duration and then drains the operations in flight.
  Status run(Clock& clock, Instant deadline) {
    KETTLE_TRY(setup());
    KETTLE_TRY(login_all(clock, deadline));
    clock.ready.fetch_add(1);
    while (clock.start_us.load() == 0) {
      if (clock.abort.load()) return {};
      if (monotonic_now() >= deadline) return make_error(Errc::timed_out, "the other workers never logged in");
      KETTLE_TRY(pump(monotonic_now() + ms(1)));
    }
    start_ = Instant(Duration(clock.start_us.load()));
    end_ = start_ + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o_.duration_s));
    std::size_t cursor = 0;
    for (;;) {
      const Instant now = monotonic_now();
      if (clock.abort.load()) return {};
      if (now >= end_ && in_flight_ == 0) break;
      if (now >= deadline) {
        return make_error(Errc::timed_out, fmt::format("{} lobby operations unanswered at the timeout", in_flight_));
      }
      Instant wake = end_;
      if (now >= start_ && now < end_) {
        for (std::size_t scanned = 0; in_flight_ < concurrency_ && scanned < bots_.size(); ++scanned) {
          const std::size_t i = cursor;
          cursor = (cursor + 1) % bots_.size();
          if (bots_[i].busy()) continue;
          if (now < next_allowed_[i]) {  // a real client stays under the server's request rate
            wake = std::min(wake, next_allowed_[i]);
            continue;
          }
          next_allowed_[i] = now + kMinOpGap;
          const auto bytes = control::encode(bots_[i].start(monotonic_now()));
          auto& d = *drivers_[shard_of(i)];
          KETTLE_TRY(d.endpoint().send(conns_[i], control::kControlChannel, transport::SendType::reliable, bytes, now));
          ++in_flight_;
        }
      }
      KETTLE_TRY(pump(now < start_ ? start_ : now < end_ ? wake : deadline));
    }
    return {};
  }

  AllStats& stats() noexcept { return stats_; }
  const std::vector<LobbyBot>& bots() const noexcept { return bots_; }
  const std::string& first_error() const noexcept { return first_error_; }

 private:
  std::size_t shard_of(std::size_t bot) const noexcept { return bot / kClientsPerEndpoint; }

  Status setup() {
    auto loop = net::EventLoop::create();
    if (!loop) return std::move(loop).error();
    loop_ = std::move(*loop);
    const std::size_t shards = (bots_.size() + kClientsPerEndpoint - 1) / kClientsPerEndpoint;
    for (std::size_t s = 0; s < shards; ++s) {
      auto ep = transport::Endpoint::create(transport::Config{}, anonymous(crypto::SigningKeyPair::generate()),
                                            o_.seed * 7919 + first_ + s);
      if (!ep) return std::move(ep).error();
      auto d = net::TransportDriver::create(*loop_, std::move(*ep), Address::loopback_v4(0));
      if (!d) return std::move(d).error();
      drivers_.push_back(std::move(*d));
      by_conn_.emplace_back();
    }
    conns_.assign(bots_.size(), 0);
    next_allowed_.assign(bots_.size(), kInstantZero);
    return {};
  }

  crypto::Identity anonymous(crypto::SigningKeyPair k) const { return crypto::Identity::anonymous(std::move(k), key_); }

  Status login_all(Clock& clock, Instant deadline) {
    std::size_t next = 0;
    while (logged_in_ < bots_.size()) {
      if (clock.abort.load()) return {};
      if (monotonic_now() >= deadline) {
        return make_error(Errc::timed_out,
                          fmt::format("{} of {} clients logged in before the timeout", logged_in_, bots_.size()));
      }
      while (next < bots_.size() && next - logged_in_ < kLoginsInFlight) {
        auto& ep = drivers_[shard_of(next)]->endpoint();
        ep.set_identity(anonymous(crypto::SigningKeyPair::generate()));
        auto id = ep.connect(server_, monotonic_now());
        if (!id) return std::move(id).error();
        conns_[next] = *id;
        by_conn_[shard_of(next)][*id] = next;
        ++next;
      }
      KETTLE_TRY(pump(deadline));
    }
    return {};
  }

  // Sends what is queued, waits for input or a timer (any socket of the loop wakes it), then
  // handles every shard's events and messages.
  Status pump(Instant wait_until) {
    const Instant now = monotonic_now();
    Instant wake = wait_until;
    for (auto& d : drivers_) {
      KETTLE_TRY(d->flush(now));
      wake = std::min(wake, d->endpoint().next_deadline());
    }
    KETTLE_TRY(drivers_[0]->run_once(wake));
    for (std::size_t s = 1; s < drivers_.size(); ++s) KETTLE_TRY(drivers_[s]->run_once(monotonic_now()));
    for (std::size_t s = 0; s < drivers_.size(); ++s) KETTLE_TRY(drain(s));
    return {};
  }

  Status drain(std::size_t s) {
    auto& ep = drivers_[s]->endpoint();
    while (auto ev = ep.poll_event()) {
      if (const auto* c = std::get_if<transport::Connected>(&*ev)) {
        auto it = by_conn_[s].find(c->conn);
        if (it == by_conn_[s].end()) continue;
        KETTLE_TRY(send_dev_login(ep, c->conn, fmt::format("lobby-{}-{}", o_.seed, first_ + it->second)));
      } else if (const auto* cl = std::get_if<transport::Closed>(&*ev)) {
        if (by_conn_[s].count(cl->conn) != 0) {
          return make_error(Errc::closed, fmt::format("client connection closed: {} {}",
                                                      transport::close_reason_name(cl->reason), cl->message));
        }
      }
    }
    while (ep.poll_message(msg_)) {
      auto it = by_conn_[s].find(msg_.conn);
      if (it == by_conn_[s].end()) continue;
      auto m = control::decode(msg_.data);
      if (!m) return make_error(Errc::malformed, "undecodable server message: " + m.error().message);
      LobbyBot& bot = bots_[it->second];
      if (bot.id().value() == 0) {  // still logging in
        if (const auto* ok = std::get_if<control::LoginOk>(&m->body)) {
          bot.set_id(ok->steam_id);
          ++logged_in_;
        } else if (const auto* err = std::get_if<control::ErrorReply>(&m->body)) {
          return make_error(Errc::auth_failed, "login refused: " + err->message);
        }
        continue;
      }
      auto done = bot.on_message(*m, monotonic_now());
      if (!done) return std::move(done).error();
      if (*done) record(**done);
    }
    return {};
  }

  void record(const LobbyOpDone& d) {
    --in_flight_;
    OpStats& st = stats_[static_cast<std::size_t>(d.op)];
    const Instant finished = d.started + d.latency;
    if (finished < end_) ++st.in_window;
    st.latency_us.push_back(static_cast<double>(to_us(d.latency)));
    if (d.refused) ++st.refused;
    if (d.error) {
      ++st.errors;
      if (first_error_.empty()) first_error_ = d.error_text;
    }
  }

  const Options& o_;
  Address server_;
  crypto::SigningPublicKey key_;
  std::uint32_t first_;
  std::size_t concurrency_;
  // kettle-server allows a client 500 requests/s (burst 1000); bots stay at 400/s each, so a fast
  // build measures the server instead of its rate limiter (which answers "slow down").
  static constexpr Duration kMinOpGap = std::chrono::microseconds(2500);
  std::vector<Instant> next_allowed_;
  std::vector<LobbyBot> bots_;
  std::vector<transport::ConnectionId> conns_;
  std::unique_ptr<net::EventLoop> loop_;
  std::vector<std::unique_ptr<net::TransportDriver>> drivers_;  // destroyed before loop_
  std::vector<std::map<transport::ConnectionId, std::size_t>> by_conn_;
  std::size_t logged_in_ = 0;
  std::size_t in_flight_ = 0;
  Instant start_{}, end_{};
  AllStats stats_;
  std::string first_error_;
  transport::Message msg_;
};

double server_cpu(const DevServer& server) {
  auto c = server.cpu_seconds();
  return c ? *c : 0.0;
}

void sleep_until(Instant t) {
  const Instant now = monotonic_now();
  if (t > now) std::this_thread::sleep_for(t - now);
}

// Runs the workers on their threads against a started server; fills the figures.
Status run_workers(const Options& o, DevServer& server, Figures& f) {
  const Instant deadline =
      monotonic_now() + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.timeout_s));
  const auto threads = static_cast<std::uint32_t>(std::min(o.lobby_threads, o.lobby_clients));
  const auto clients = static_cast<std::uint32_t>(o.lobby_clients);
  std::vector<std::unique_ptr<Worker>> workers;
  for (std::uint32_t t = 0; t < threads; ++t) {
    const std::uint32_t first = clients * t / threads, last = clients * (t + 1) / threads;
    const std::size_t share = static_cast<std::size_t>(o.lobby_concurrency) * (t + 1) / threads -
                              static_cast<std::size_t>(o.lobby_concurrency) * t / threads;
    workers.push_back(std::make_unique<Worker>(o, server.address(), server.key(), first, last - first,
                                               std::max<std::size_t>(share, 1)));
  }
  Clock clock;
  std::vector<Status> results(threads);
  std::vector<std::thread> pool;
  const Instant login_start = monotonic_now();
  for (std::uint32_t t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      results[t] = workers[t]->run(clock, deadline);
      if (!results[t]) clock.abort.store(true);
    });
  }
  // The workers pump their own connections meanwhile; this thread only watches the counter.
  while (clock.ready.load() < static_cast<int>(threads) && !clock.abort.load() && monotonic_now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  double server_cpu0 = 0, server_cpu1 = 0, self_cpu0 = 0, self_cpu1 = 0;
  double login_s = 0;
  if (clock.ready.load() == static_cast<int>(threads)) {
    login_s = static_cast<double>(to_us(monotonic_now() - login_start)) / 1e6;
    const Instant start = monotonic_now() + ms(5);
    const Instant end = start + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.duration_s));
    clock.start_us.store(to_us(start));
    // Phase boundaries for the CPU readings: the window is fixed, so reading at its edges is
    // timing, not synchronisation.
    sleep_until(start);
    server_cpu0 = server_cpu(server);
    self_cpu0 = cpu_seconds_self();
    sleep_until(end);
    server_cpu1 = server_cpu(server);
    self_cpu1 = cpu_seconds_self();
  }
  for (auto& th : pool) th.join();
  for (const auto& r : results) KETTLE_TRY(r);

  AllStats total;
  std::string first_error;
  std::set<std::uint64_t> lobbies;  // the lobbies the clients are in at the end
  std::uint64_t in_lobby = 0, empty_searches = 0;
  for (auto& w : workers) {
    for (const auto& b : w->bots()) {
      empty_searches += b.empty_searches();
      if (b.lobby().value() == 0) continue;
      lobbies.insert(b.lobby().value());
      ++in_lobby;
    }
  }
  for (auto& w : workers) {
    for (std::size_t k = 0; k < kLobbyOps; ++k) {
      auto& src = w->stats()[k];
      total[k].in_window += src.in_window;
      total[k].errors += src.errors;
      total[k].refused += src.refused;
      total[k].latency_us.insert(total[k].latency_us.end(), src.latency_us.begin(), src.latency_us.end());
    }
    if (first_error.empty()) first_error = w->first_error();
  }
  std::vector<double> all_latencies;
  std::uint64_t ops = 0, errors = 0;
  for (std::size_t k = 0; k < kLobbyOps; ++k) {
    auto& st = total[k];
    nlohmann::json j;
    j["count"] = st.in_window;
    j["ops_per_s"] = std::round(static_cast<double>(st.in_window) / o.duration_s * 10) / 10;
    j["p50_us"] = percentile(st.latency_us, 50);
    j["p99_us"] = percentile(st.latency_us, 99);
    j["errors"] = st.errors;
    if (static_cast<LobbyOp>(k) == LobbyOp::join) j["refused"] = st.refused;
    f.ops[std::string(lobby_op_name(static_cast<LobbyOp>(k)))] = j;
    ops += st.in_window;
    errors += st.errors;
    all_latencies.insert(all_latencies.end(), st.latency_us.begin(), st.latency_us.end());
  }
  f.messages = ops;
  f.elapsed_s = o.duration_s;
  f.ops_per_s = static_cast<double>(ops) / o.duration_s;
  f.op_p50_us = percentile(all_latencies, 50);
  f.op_p99_us = percentile(all_latencies, 99);
  f.extra["clients"] = o.lobby_clients;
  f.extra["concurrency"] = o.lobby_concurrency;
  f.extra["client_threads"] = threads;
  f.extra["login_s"] = login_s;
  f.extra["server_cpu_s"] = server_cpu1 - server_cpu0;  // during the mix only
  f.extra["server_cpu_us_per_op"] = ops > 0 ? (server_cpu1 - server_cpu0) * 1e6 / static_cast<double>(ops) : 0.0;
  f.extra["client_cpu_s"] = self_cpu1 - self_cpu0;
  f.extra["lobbies_at_end"] = lobbies.size();  // the ones with a member among our clients
  f.extra["clients_in_lobbies_at_end"] = in_lobby;
  f.extra["empty_searches"] = empty_searches;  // whole run, including before the window
  if (errors > 0) f.error = fmt::format("{} lobby operations answered with an error, first: {}", errors, first_error);
  return {};
}

}  // namespace

Figures run_lobbies(const Options& o, const std::string& server_path) {
  Figures f;
  f.scenario = Scenario::lobbies;
  f.impl = Impl::kettle;
  DevServer server;
  if (auto st = server.start(server_path, "lobbies", monotonic_now() + secs(10)); !st) {
    f.error = st.error().message;
    return f;
  }
  if (auto st = run_workers(o, server, f); !st) f.error = st.error().to_string();
  server.stop_into(f);
  return f;
}

}  // namespace kettle::bench
