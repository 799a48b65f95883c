// A minimal control-protocol client for the server tests: one transport Endpoint over a real
// UDP socket with any number of connections to kettle-server, each with its own identity key
// (the endpoint's identity is swapped before every connect). Single-threaded: the test thread
// pumps it while the Server runs on its own thread. Not the real client (src/client).
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "control/messages.hpp"
#include "core/time.hpp"
#include "crypto/certificate.hpp"
#include "net/event_loop.hpp"
#include "net/transport_driver.hpp"

namespace kettle::server::test {

struct ClientConn {
  transport::ConnectionId id = 0;
  crypto::SigningKeyPair key;
  bool connected = false;
  bool closed = false;
  transport::Closed close_info{};
  std::deque<control::Message> inbox;  // replies and notifications not yet taken
  std::uint32_t next_request_id = 1;
};

class ControlNode {
 public:
  // Trusts `server_key` (the server's certificate must be signed by it).
  static std::unique_ptr<ControlNode> create(const crypto::SigningPublicKey& server_key);

  // Closes every open connection and pumps briefly so the server hears CLOSE at once, as a
  // real client shutting down does.
  ~ControlNode();

  const Address& local_address() const { return driver_->local_address(); }

  // Starts a handshake with an anonymous certificate for `key` (a fresh key if null).
  transport::ConnectionId start_connect(const Address& server, const crypto::SigningKeyPair* key = nullptr);
  // start_connect and wait until connected; 0 on failure.
  transport::ConnectionId connect(const Address& server, const crypto::SigningKeyPair* key = nullptr);

  void pump(Duration max_wait);
  // Pumps until cond() or the timeout; returns cond().
  bool wait(const std::function<bool()>& cond, Duration timeout = secs(10));

  std::uint32_t send(transport::ConnectionId c, control::Body body);
  Status send_raw(transport::ConnectionId c, Bytes bytes);
  // The reply with this request id (removed from the inbox), or nullopt after the timeout.
  // Request id 0 takes the first ErrorReply the server could not tie to a request (the
  // server answers an undecodable message with request id 0).
  std::optional<control::Message> wait_reply(transport::ConnectionId c, std::uint32_t request_id,
                                             Duration timeout = secs(10));
  std::optional<control::Message> request(transport::ConnectionId c, control::Body body, Duration timeout = secs(10));
  // The first notification (request id 0) of type T matching pred, removed from the inbox.
  template <class T>
  std::optional<T> wait_notification(transport::ConnectionId c, const std::function<bool(const T&)>& pred,
                                     Duration timeout = secs(10));

  void close(transport::ConnectionId c);
  ClientConn& conn(transport::ConnectionId c) { return conns_.at(c); }

 private:
  ControlNode() = default;
  void drain();

  crypto::SigningPublicKey server_key_;
  std::unique_ptr<net::EventLoop> loop_;
  std::unique_ptr<net::TransportDriver> driver_;  // destroyed before loop_
  std::map<transport::ConnectionId, ClientConn> conns_;
  transport::Message msg_;
};

template <class T>
std::optional<T> ControlNode::wait_notification(transport::ConnectionId c, const std::function<bool(const T&)>& pred,
                                                Duration timeout) {
  std::optional<T> found;
  wait(
      [&] {
        auto& inbox = conns_.at(c).inbox;
        for (auto it = inbox.begin(); it != inbox.end(); ++it) {
          const T* body = std::get_if<T>(&it->body);
          if (it->request_id == 0 && body != nullptr && pred(*body)) {
            found = *body;
            inbox.erase(it);
            return true;
          }
        }
        return false;
      },
      timeout);
  return found;
}

// Shorthands for building requests.
control::Login dev_login(std::string name, std::uint32_t app_id = 480);
control::Login password_login(std::string name, std::string password, std::uint32_t app_id = 480);

}  // namespace kettle::server::test
