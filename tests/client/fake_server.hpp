// A stand-in kettle-server for faults the real one cannot be made to produce: a server that
// never answers the login, answers with a future protocol version, issues certificates that
// live only seconds (the real server's minimum is 60 s), or drops a client on command. Real
// transport over real UDP on 127.0.0.1; only the control-protocol answers are scripted.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "control/messages.hpp"
#include "core/time.hpp"
#include "crypto/certificate.hpp"
#include "crypto/keys.hpp"
#include "net/event_loop.hpp"
#include "net/transport_driver.hpp"

namespace kettle::testing {

class FakeServer {
 public:
  // Called on the fake's thread for every control request; `peer` is the client's identity key.
  // Returning nullopt sends nothing.
  using Handler =
      std::function<std::optional<control::Body>(const control::Message&, const crypto::SigningPublicKey& peer)>;

  explicit FakeServer(Handler handler) : handler_(std::move(handler)) {
    EXPECT_TRUE(crypto::init());
    key_ = crypto::SigningKeyPair::generate();
    auto loop = net::EventLoop::create();
    EXPECT_TRUE(loop.ok());
    loop_ = std::move(*loop);
    transport::Config config;
    config.accept_anonymous_peers = true;
    crypto::Identity id{crypto::Certificate::issue(key_, SteamID(1), 0, key_.pub, unix_now_s() + 86400), key_,
                        key_.pub};
    auto ep = transport::Endpoint::create(config, id, 7);
    EXPECT_TRUE(ep.ok());
    auto driver = net::TransportDriver::create(*loop_, std::move(*ep), Address::loopback_v4(0));
    EXPECT_TRUE(driver.ok());
    driver_ = std::move(*driver);
    thread_ = std::thread([this] { run(); });
  }
  ~FakeServer() {
    stop_ = true;
    loop_->wake();
    thread_.join();
  }

  std::string address() const { return driver_->local_address().to_string(); }
  std::string public_key() const { return key_.pub.to_hex(); }
  const crypto::SigningKeyPair& key() const { return key_; }

  // Requests received so far (copies).
  std::vector<control::Message> received() const {
    std::lock_guard lock(mu_);
    return received_;
  }
  std::size_t count(std::uint8_t kind) const {
    std::lock_guard lock(mu_);
    std::size_t n = 0;
    for (const auto& m : received_) n += control::kind_of(m.body) == kind;
    return n;
  }
  // Closes every connection (as a server shutting down would), on the fake's thread.
  void drop_all() {
    drop_ = true;
    loop_->wake();
  }

 private:
  void run() {
    transport::Message msg;
    while (!stop_) {
      (void)driver_->run_once(monotonic_now() + ms(100));
      const Instant now = monotonic_now();
      auto& ep = driver_->endpoint();
      while (auto ev = ep.poll_event()) {
        if (const auto* c = std::get_if<transport::Connected>(&*ev)) peers_[c->conn] = c->peer.public_key;
      }
      while (ep.poll_message(msg)) {
        auto m = control::decode(msg.data);
        if (!m) continue;
        {
          std::lock_guard lock(mu_);
          received_.push_back(*m);
        }
        if (auto reply = handler_(*m, peers_[msg.conn])) {
          const auto bytes = control::encode(control::Message{m->request_id, std::move(*reply)});
          (void)ep.send(msg.conn, control::kControlChannel, transport::SendType::reliable, bytes, now);
        }
      }
      if (drop_.exchange(false)) {
        for (const auto& [conn, key] : peers_) (void)ep.close(conn, 2, "fake server drops everyone", now);
        peers_.clear();
      }
      (void)driver_->flush(monotonic_now());
    }
  }

  Handler handler_;
  crypto::SigningKeyPair key_;
  std::unique_ptr<net::EventLoop> loop_;
  std::unique_ptr<net::TransportDriver> driver_;
  std::unordered_map<transport::ConnectionId, crypto::SigningPublicKey> peers_;  // fake's thread only
  mutable std::mutex mu_;
  std::vector<control::Message> received_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> drop_{false};
  std::thread thread_;
};

}  // namespace kettle::testing
