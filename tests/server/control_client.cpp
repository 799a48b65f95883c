#include "server/control_client.hpp"

#include <algorithm>

namespace kettle::server::test {

std::unique_ptr<ControlNode> ControlNode::create(const crypto::SigningPublicKey& server_key) {
  if (!crypto::init()) return nullptr;
  std::unique_ptr<ControlNode> n(new ControlNode());
  n->server_key_ = server_key;
  auto loop = net::EventLoop::create();
  if (!loop) return nullptr;
  n->loop_ = std::move(*loop);
  auto ep = transport::Endpoint::create(transport::Config{},
                                        crypto::Identity::anonymous(crypto::SigningKeyPair::generate(), server_key),
                                        crypto::random_u64());
  if (!ep) return nullptr;
  auto d = net::TransportDriver::create(*n->loop_, std::move(*ep), Address::loopback_v4(0));
  if (!d) return nullptr;
  n->driver_ = std::move(*d);
  return n;
}

ControlNode::~ControlNode() {
  if (!driver_) return;
  bool any = false;
  for (auto& [id, c] : conns_) {
    if (c.closed) continue;
    (void)driver_->endpoint().close(id, 0, "client shutting down", monotonic_now());
    any = true;
  }
  if (!any) return;
  (void)driver_->flush(monotonic_now());
  wait([&] { return std::all_of(conns_.begin(), conns_.end(), [](const auto& kv) { return kv.second.closed; }); },
       secs(1));
  (void)driver_->flush(monotonic_now());
}

transport::ConnectionId ControlNode::start_connect(const Address& server, const crypto::SigningKeyPair* key) {
  crypto::SigningKeyPair k = key != nullptr ? *key : crypto::SigningKeyPair::generate();
  driver_->endpoint().set_identity(crypto::Identity::anonymous(k, server_key_));
  auto id = driver_->endpoint().connect(server, monotonic_now());
  if (!id) return 0;
  ClientConn c;
  c.id = *id;
  c.key = k;
  conns_[*id] = std::move(c);
  (void)driver_->flush(monotonic_now());
  return *id;
}

transport::ConnectionId ControlNode::connect(const Address& server, const crypto::SigningKeyPair* key) {
  const auto id = start_connect(server, key);
  if (id == 0) return 0;
  if (!wait([&] { return conns_.at(id).connected || conns_.at(id).closed; })) return 0;
  return conns_.at(id).connected ? id : 0;
}

void ControlNode::pump(Duration max_wait) {
  (void)driver_->run_once(monotonic_now() + max_wait);
  drain();
}

void ControlNode::drain() {
  while (auto ev = driver_->endpoint().poll_event()) {
    if (const auto* c = std::get_if<transport::Connected>(&*ev)) {
      if (auto it = conns_.find(c->conn); it != conns_.end()) it->second.connected = true;
    } else {
      const auto& cl = std::get<transport::Closed>(*ev);
      if (auto it = conns_.find(cl.conn); it != conns_.end()) {
        it->second.closed = true;
        it->second.close_info = cl;
      }
    }
  }
  while (driver_->endpoint().poll_message(msg_)) {
    auto it = conns_.find(msg_.conn);
    if (it == conns_.end() || msg_.channel != control::kControlChannel) continue;
    auto m = control::decode(msg_.data);
    if (m) it->second.inbox.push_back(std::move(*m));
  }
}

bool ControlNode::wait(const std::function<bool()>& cond, Duration timeout) {
  const Instant deadline = monotonic_now() + timeout;
  for (;;) {
    if (cond()) return true;
    const Instant now = monotonic_now();
    if (now >= deadline) return false;
    pump(std::min<Duration>(deadline - now, ms(50)));
  }
}

std::uint32_t ControlNode::send(transport::ConnectionId c, control::Body body) {
  auto& conn = conns_.at(c);
  const std::uint32_t rid = conn.next_request_id++;
  const auto bytes = control::encode(control::Message{rid, std::move(body)});
  (void)send_raw(c, bytes);
  return rid;
}

Status ControlNode::send_raw(transport::ConnectionId c, Bytes bytes) {
  KETTLE_TRY(
      driver_->endpoint().send(c, control::kControlChannel, transport::SendType::reliable, bytes, monotonic_now()));
  return driver_->flush(monotonic_now());
}

std::optional<control::Message> ControlNode::wait_reply(transport::ConnectionId c, std::uint32_t request_id,
                                                        Duration timeout) {
  std::optional<control::Message> found;
  wait(
      [&] {
        auto& inbox = conns_.at(c).inbox;
        auto it = std::find_if(inbox.begin(), inbox.end(),
                               [&](const control::Message& m) { return m.request_id == request_id; });
        if (it == inbox.end()) return false;
        found = std::move(*it);
        inbox.erase(it);
        return true;
      },
      timeout);
  return found;
}

std::optional<control::Message> ControlNode::request(transport::ConnectionId c, control::Body body, Duration timeout) {
  return wait_reply(c, send(c, std::move(body)), timeout);
}

void ControlNode::close(transport::ConnectionId c) {
  (void)driver_->endpoint().close(c, 0, "test done", monotonic_now());
  (void)driver_->flush(monotonic_now());
}

control::Login dev_login(std::string name, std::uint32_t app_id) {
  control::Login l;
  l.app_id = app_id;
  l.method = control::LoginMethod::dev;
  l.name = std::move(name);
  return l;
}

control::Login password_login(std::string name, std::string password, std::uint32_t app_id) {
  control::Login l;
  l.app_id = app_id;
  l.method = control::LoginMethod::password;
  l.name = std::move(name);
  l.secret = std::move(password);
  return l;
}

}  // namespace kettle::server::test
