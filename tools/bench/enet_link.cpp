// ENet behind the benchmark Link, used the way its documentation suggests: one host, two
// channels, unlimited bandwidth (0), enet_host_service as the loop, ENET_PACKET_FLAG_RELIABLE
// for reliable data and UNSEQUENCED for pings, enet_host_flush after latency-sensitive sends.
//
// The one addition is a send window. enet_peer_send never pushes back: it queues without
// bound, so a sender that pushes "as fast as flow control allows" would buffer its whole run in
// memory. We count bytes handed to ENet until ENet frees the packet (its last fragment acked)
// and stop at enet_window_bytes. The defaults (enet_window_bytes() in options.cpp) are the
// values that measured best for ENet in each scenario; --enet-window-kb overrides them.
#include <arpa/inet.h>
#include <enet/enet.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "bench/link.hpp"

namespace kettle::bench {
namespace {

class EnetLink final : public Link {
 public:
  explicit EnetLink(const LinkOptions& o) : window_bytes_(o.enet_window_bytes) {}
  ~EnetLink() override {
    for (auto& e : early_) enet_packet_destroy(e.second);
    // Destroying the host frees queued packets, which runs on_packet_free with this link.
    if (host_ != nullptr) enet_host_destroy(host_);
  }

  Result<std::uint16_t> bind_loopback() override {
    ENetAddress addr{};
    enet_address_set_host_ip(&addr, "127.0.0.1");
    addr.port = 0;
    host_ = enet_host_create(&addr, 1, kChannels, 0, 0);
    if (host_ == nullptr) return make_error(Errc::io, "enet_host_create failed");
    ENetAddress bound{};
    if (enet_socket_get_address(host_->socket, &bound) != 0) return make_error(Errc::io, "enet_socket_get_address");
    return static_cast<std::uint16_t>(bound.port);
  }

  Status connect(const Address& to, Instant deadline) override {
    ENetAddress addr{};
    if (to.family != Address::Family::v4) return make_error(Errc::invalid_argument, "ENet link: IPv4 only");
    addr.host = htonl(to.v4_host_order());  // ENet keeps the host in network order
    addr.port = to.port;
    peer_ = enet_host_connect(host_, &addr, kChannels, 0);
    if (peer_ == nullptr) return make_error(Errc::io, "enet_host_connect failed");
    return wait_for_connect(deadline);
  }

  Status accept(Instant deadline) override { return wait_for_connect(deadline); }

  SendOutcome send(int channel, bool reliable, Bytes payload) override {
    if (peer_ == nullptr) return SendOutcome::failed;
    if (reliable && in_flight_bytes_ > 0 && in_flight_bytes_ + payload.size() > window_bytes_) {
      return SendOutcome::would_block;
    }
    const enet_uint32 flags = reliable ? ENET_PACKET_FLAG_RELIABLE : ENET_PACKET_FLAG_UNSEQUENCED;
    ENetPacket* packet = enet_packet_create(payload.data(), payload.size(), flags);
    if (packet == nullptr) return SendOutcome::failed;
    if (reliable) {
      packet->userData = this;
      packet->freeCallback = &EnetLink::on_packet_free;
      in_flight_bytes_ += payload.size();
    }
    if (enet_peer_send(peer_, static_cast<enet_uint8>(channel), packet) != 0) {
      enet_packet_destroy(packet);  // runs on_packet_free, undoing the count
      return SendOutcome::failed;
    }
    return SendOutcome::sent;
  }

  void flush() override { enet_host_flush(host_); }

  Status poll(Duration max_wait, const MessageSink& sink) override {
    // ENet's clock is in milliseconds; round a positive wait up so we never busy-spin.
    const auto timeout_ms = static_cast<enet_uint32>(std::max<std::int64_t>(0, (to_us(max_wait) + 999) / 1000));
    for (auto [channel, packet] : early_) {
      sink(channel, Bytes(packet->data, packet->dataLength));
      enet_packet_destroy(packet);
    }
    early_.clear();
    ENetEvent ev;
    int r = enet_host_service(host_, &ev, timeout_ms);
    while (r > 0) {
      handle(ev, sink);
      r = enet_host_check_events(host_, &ev);
    }
    if (r < 0) return make_error(Errc::io, "enet_host_service failed");
    if (disconnected_) return make_error(Errc::closed, "ENet peer disconnected");
    return {};
  }

  void close(Instant deadline) override {
    snapshot_ = stats();  // the peer's fields reset on disconnect
    if (peer_ == nullptr || disconnected_) return;
    enet_peer_disconnect_later(peer_, 0);
    const MessageSink ignore = [](int, Bytes) {};
    while (!disconnected_ && monotonic_now() < deadline) {
      if (!poll(ms(10), ignore).ok()) break;
    }
  }

  nlohmann::json stats() const override {
    if (!snapshot_.is_null()) return snapshot_;
    nlohmann::json j;
    if (peer_ != nullptr) {
      j["rtt_ms"] = peer_->roundTripTime;
      j["packet_loss"] = static_cast<double>(peer_->packetLoss) / static_cast<double>(ENET_PEER_PACKET_LOSS_SCALE);
    }
    if (host_ != nullptr) {
      j["datagrams_sent"] = host_->totalSentPackets;
      j["datagrams_received"] = host_->totalReceivedPackets;
    }
    return j;
  }

 private:
  static constexpr std::size_t kChannels = 2;  // kReliableChannel, kUnreliableChannel

  static void on_packet_free(ENetPacket* packet) {
    auto* self = static_cast<EnetLink*>(packet->userData);
    if (self != nullptr) self->in_flight_bytes_ -= std::min(self->in_flight_bytes_, packet->dataLength);
  }

  Status wait_for_connect(Instant deadline) {
    while (!connected_) {
      if (monotonic_now() >= deadline) return make_error(Errc::timed_out, "ENet connect timed out");
      ENetEvent ev;
      const int r = enet_host_service(host_, &ev, 10);
      if (r < 0) return make_error(Errc::io, "enet_host_service failed");
      if (r == 0) continue;
      if (ev.type == ENET_EVENT_TYPE_RECEIVE) {
        // Data can arrive in the same service call as the CONNECT event; keep it for poll().
        early_.emplace_back(ev.channelID, ev.packet);
      } else {
        handle(ev, [](int, Bytes) {});
      }
    }
    return {};
  }

  void handle(ENetEvent& ev, const MessageSink& sink) {
    switch (ev.type) {
      case ENET_EVENT_TYPE_CONNECT:
        if (peer_ == nullptr) peer_ = ev.peer;
        connected_ = connected_ || ev.peer == peer_;
        break;
      case ENET_EVENT_TYPE_RECEIVE:
        sink(ev.channelID, Bytes(ev.packet->data, ev.packet->dataLength));
        enet_packet_destroy(ev.packet);
        break;
      case ENET_EVENT_TYPE_DISCONNECT:
        if (ev.peer == peer_) disconnected_ = true;
        break;
      case ENET_EVENT_TYPE_NONE:
        break;
    }
  }

  nlohmann::json snapshot_;  // stats taken just before close()
  std::size_t window_bytes_;
  std::size_t in_flight_bytes_ = 0;
  ENetHost* host_ = nullptr;
  ENetPeer* peer_ = nullptr;
  std::vector<std::pair<int, ENetPacket*>> early_;  // data received while waiting for CONNECT
  bool connected_ = false;
  bool disconnected_ = false;
};

}  // namespace

Result<std::unique_ptr<Link>> make_enet_link(const LinkOptions& o) {
  static const bool initialized = enet_initialize() == 0;
  if (!initialized) return make_error(Errc::internal, "enet_initialize failed");
  return std::unique_ptr<Link>(std::make_unique<EnetLink>(o));
}

}  // namespace kettle::bench
