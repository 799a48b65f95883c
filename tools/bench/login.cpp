#include "bench/login.hpp"

#include <map>
#include <random>

#include "bench/dev_server.hpp"
#include "control/messages.hpp"
#include "crypto/certificate.hpp"
#include "net/event_loop.hpp"
#include "net/transport_driver.hpp"

namespace kettle::bench {
namespace {

constexpr int kClientsPerEndpoint = 100;

struct Attempt {
  std::size_t shard = 0;
  transport::ConnectionId conn = 0;
  Instant started{};
  bool logged_in = false;
};

class LoginLoad {
 public:
  LoginLoad(const Options& o, Address server, crypto::SigningPublicKey key) : o_(o), server_(server), key_(key) {}

  Status run(Figures& f) {
    auto loop = net::EventLoop::create();
    if (!loop) return std::move(loop).error();
    loop_ = std::move(*loop);
    const int shards = (o_.login_clients + kClientsPerEndpoint - 1) / kClientsPerEndpoint;
    for (int s = 0; s < shards; ++s) {
      auto ep = transport::Endpoint::create(transport::Config{}, anonymous(crypto::SigningKeyPair::generate()),
                                            o_.seed * 1000 + static_cast<std::uint64_t>(s));
      if (!ep) return std::move(ep).error();
      auto d = net::TransportDriver::create(*loop_, std::move(*ep), Address::loopback_v4(0));
      if (!d) return std::move(d).error();
      drivers_.push_back(std::move(*d));
      by_conn_.emplace_back();
    }
    // Keys up front, so key generation is not timed.
    std::vector<crypto::SigningKeyPair> keys;
    keys.reserve(static_cast<std::size_t>(o_.login_clients));
    for (int i = 0; i < o_.login_clients; ++i) keys.push_back(crypto::SigningKeyPair::generate());

    const Instant deadline = monotonic_now() + us(static_cast<std::int64_t>(o_.timeout_s * 1e6));
    const double cpu0 = cpu_seconds_self();
    std::size_t next = 0, done = 0, in_flight = 0;
    const auto total = static_cast<std::size_t>(o_.login_clients);
    attempts_.resize(total);
    const Instant t0 = monotonic_now();
    Instant last_ok = t0;
    while (done < total) {
      const Instant now = monotonic_now();
      if (now >= deadline) {
        return make_error(Errc::timed_out, std::to_string(done) + " of " + std::to_string(total) +
                                               " logins completed before the timeout");
      }
      while (next < total && in_flight < static_cast<std::size_t>(o_.login_concurrency)) {
        Attempt& a = attempts_[next];
        a.shard = next % drivers_.size();
        auto& ep = drivers_[a.shard]->endpoint();
        ep.set_identity(anonymous(keys[next]));
        auto id = ep.connect(server_, monotonic_now());
        if (!id) return std::move(id).error();
        a.conn = *id;
        a.started = monotonic_now();
        by_conn_[a.shard][a.conn] = next;
        ++next;
        ++in_flight;
      }
      for (auto& d : drivers_) KETTLE_TRY(d->flush(monotonic_now()));
      // Sleep in the first driver until any socket is readable or a deadline is due; then let
      // every driver handle its input and timers without blocking.
      Instant wake = deadline;
      for (auto& d : drivers_) wake = std::min(wake, d->endpoint().next_deadline());
      KETTLE_TRY(drivers_[0]->run_once(wake));
      for (std::size_t s = 1; s < drivers_.size(); ++s) KETTLE_TRY(drivers_[s]->run_once(monotonic_now()));
      for (std::size_t s = 0; s < drivers_.size(); ++s) {
        auto r = drain(s);
        if (!r) return std::move(r).error();
        for (std::size_t i : *r) {
          latencies_us_.push_back(static_cast<double>(to_us(monotonic_now() - attempts_[i].started)));
          last_ok = monotonic_now();
          ++done;
          --in_flight;
        }
      }
    }
    const double elapsed_s = static_cast<double>(to_us(last_ok - t0)) / 1e6;
    f.messages = done;
    f.elapsed_s = elapsed_s;
    f.logins_per_s = elapsed_s > 0 ? static_cast<double>(done) / elapsed_s : 0;
    f.login_p50_us = percentile(latencies_us_, 50);
    f.login_p99_us = percentile(latencies_us_, 99);
    f.extra["client_cpu_s"] = cpu_seconds_self() - cpu0;
    f.extra["client_sockets"] = drivers_.size();
    f.extra["concurrency"] = o_.login_concurrency;
    return {};
  }

 private:
  crypto::Identity anonymous(crypto::SigningKeyPair k) const { return crypto::Identity::anonymous(std::move(k), key_); }

  // Handles shard s's events and messages; returns the attempts that just logged in.
  Result<std::vector<std::size_t>> drain(std::size_t s) {
    std::vector<std::size_t> finished;
    auto& ep = drivers_[s]->endpoint();
    while (auto ev = ep.poll_event()) {
      if (const auto* c = std::get_if<transport::Connected>(&*ev)) {
        auto it = by_conn_[s].find(c->conn);
        if (it == by_conn_[s].end()) continue;
        KETTLE_TRY(send_dev_login(ep, c->conn, "bench-" + std::to_string(o_.seed) + "-" + std::to_string(it->second)));
      } else if (const auto* cl = std::get_if<transport::Closed>(&*ev)) {
        auto it = by_conn_[s].find(cl->conn);
        if (it != by_conn_[s].end() && !attempts_[it->second].logged_in) {
          return make_error(
              Errc::closed,
              "login connection closed: " + std::string(transport::close_reason_name(cl->reason)) + " " + cl->message);
        }
      }
    }
    while (ep.poll_message(msg_)) {
      auto it = by_conn_[s].find(msg_.conn);
      if (it == by_conn_[s].end()) continue;
      auto m = control::decode(msg_.data);
      if (!m) return make_error(Errc::malformed, "undecodable reply: " + m.error().message);
      if (const auto* err = std::get_if<control::ErrorReply>(&m->body)) {
        return make_error(Errc::auth_failed, "login refused: " + err->message);
      }
      if (std::holds_alternative<control::LoginOk>(m->body) && !attempts_[it->second].logged_in) {
        attempts_[it->second].logged_in = true;
        finished.push_back(it->second);
      }
    }
    return finished;
  }

  const Options& o_;
  Address server_;
  crypto::SigningPublicKey key_;
  std::unique_ptr<net::EventLoop> loop_;
  std::vector<std::unique_ptr<net::TransportDriver>> drivers_;  // destroyed before loop_
  std::vector<std::map<transport::ConnectionId, std::size_t>> by_conn_;
  std::vector<Attempt> attempts_;
  std::vector<double> latencies_us_;
  transport::Message msg_;
};

}  // namespace

Figures run_login(const Options& o, const std::string& server_path) {
  Figures f;
  f.scenario = Scenario::login;
  f.impl = Impl::kettle;
  const Instant deadline = monotonic_now() + us(static_cast<std::int64_t>(o.timeout_s * 1e6));
  DevServer server;
  if (auto st = server.start(server_path, "login", deadline); !st) {
    f.error = st.error().message;
    return f;
  }
  LoginLoad load(o, server.address(), server.key());
  if (auto st = load.run(f); !st) f.error = st.error().to_string();
  server.stop_into(f);
  return f;
}

}  // namespace kettle::bench
