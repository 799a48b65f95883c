// The datagrams a player's socket gets that are not the transport's: punches and pongs
// (docs/protocol.md §14), and the relay's framing (§13.2) — unwrapped on the way in, virtual
// peer addresses wrapped on the way out (net::DatagramTap).
#include <cstring>

#include "core/log.hpp"
#include "p2p/session_manager.hpp"
#include "p2p/session_path.hpp"

namespace kettle::p2p {

using namespace detail;  // NOLINT(google-build-using-namespace): this directory's own constants

// ---- relay ----

Address SessionManager::virtual_address(std::uint64_t allocation) const {
  Address a;
  a.family = Address::Family::v6;
  std::copy(kVirtualPrefix.begin(), kVirtualPrefix.end(), a.ip.begin());
  store_le64(a.ip.data() + 8, allocation);
  a.port = 1;
  return a;
}

bool SessionManager::is_virtual(const Address& to) const {
  return to.family == Address::Family::v6 && std::equal(kVirtualPrefix.begin(), kVirtualPrefix.end(), to.ip.begin());
}

std::size_t SessionManager::wrap_header(const Address& to, MutBytes header, Address& real_to) {
  const std::uint64_t allocation = load_le64(to.ip.data() + 8);
  auto owner = by_allocation_.find(allocation);
  if (owner == by_allocation_.end() || header.size() < kToRelayHeaderBytes) return 0;
  auto p = paths_.find(owner->second);
  if (p == paths_.end() || !p->second->relay) return 0;
  const RelayGrant& g = *p->second->relay;
  header[0] = kToRelay;
  header[1] = kRelayVersion;
  store_le64(header.data() + 2, g.allocation);
  std::memcpy(header.data() + 10, g.token.data(), g.token.size());
  real_to = g.relay;
  return kToRelayHeaderBytes;
}

void SessionManager::send_bind(const RelayGrant& g) {
  std::array<std::uint8_t, kToRelayHeaderBytes> bind{};
  Address to;
  if (wrap_header(virtual_address(g.allocation), bind, to) == kToRelayHeaderBytes) host_.send_raw(bind, to);
}

void SessionManager::on_relay_allocated(const RelayGrant& grant, Instant now) {
  std::lock_guard lock(shared_.mu);
  auto it = paths_.find(grant.peer);
  if (it == paths_.end() || it->second->conn != 0) return;  // a direct path won meanwhile
  Path& p = *it->second;
  p.relay = grant;
  by_allocation_[grant.allocation] = grant.peer;
  send_bind(grant);  // bind
  p.next_bind = now + kBindInterval;
  try_connect(grant.peer, p, virtual_address(grant.allocation), true, now);
}

void SessionManager::on_relay_offer(const RelayGrant& grant, Instant now) {
  std::lock_guard lock(shared_.mu);
  Path& p = path_for(grant.peer, now);
  if (p.relay) by_allocation_.erase(p.relay->allocation);
  p.relay = grant;
  by_allocation_[grant.allocation] = grant.peer;
  send_bind(grant);  // bind, so the relay knows where we are
  p.next_bind = now + kBindInterval;
  replay_early_relay(grant, now);
}

void SessionManager::replay_early_relay(const RelayGrant& grant, Instant now) {
  for (auto it = early_relay_.begin(); it != early_relay_.end();) {
    if (it->allocation == grant.allocation && it->from == grant.relay) {
      host_.endpoint().on_datagram(it->payload, virtual_address(grant.allocation), now);
      it = early_relay_.erase(it);
    } else {
      ++it;
    }
  }
}

void SessionManager::on_relay_failed(SteamID peer, Instant now) {
  std::lock_guard lock(shared_.mu);
  (void)now;
  logger("p2p")->info("relay to {} refused by the server; direct attempts continue", peer.value());
}

// ---- datagrams outside the transport ----

bool SessionManager::on_receive(Bytes datagram, const Address& from, Instant now, Bytes& inner, Address& inner_from) {
  if (datagram.empty()) return false;
  if (datagram[0] == kPunchType) {
    auto punch_msg = decode_punch(datagram);
    if (!punch_msg || timing_.relay_only) return true;  // relay-only: never reveal we are here
    logger("p2p")->debug("{} from {}", punch_msg->pong ? "pong" : "punch", from.to_string());
    std::lock_guard lock(shared_.mu);
    auto owner = by_session_id_.find(punch_msg->session);
    if (owner == by_session_id_.end()) return true;
    const SteamID peer = owner->second;
    auto pit = paths_.find(peer);
    if (pit == paths_.end()) return true;
    Path& p = *pit->second;
    if (p.relay_only(timing_)) return true;
    if (!punch_msg->pong) {
      host_.send_raw(encode(Punch{punch_msg->session, true}), from);
      if (std::find(p.remote.begin(), p.remote.end(), from) == p.remote.end() && p.remote.size() < 16)
        p.remote.push_back(from);  // peer-reflexive
    }
    if (is_initiator(peer) && p.conn != 0 && p.relayed) {
      upgrade_to_direct(peer, p, from, now);
    } else if (is_initiator(peer) && p.conn == 0) {
      if (std::find(p.working.begin(), p.working.end(), from) == p.working.end()) p.working.push_back(from);
      if (p.attempt == 0 && p.next_working < p.working.size())
        try_connect(peer, p, p.working[p.next_working++], false, now);
    }
    return true;
  }
  if (datagram[0] == kFromRelay) {
    if (datagram.size() <= kFromRelayHeaderBytes || datagram[1] != kRelayVersion) return true;
    const std::uint64_t allocation = load_le64(datagram.data() + 2);
    auto owner = by_allocation_.find(allocation);
    if (owner == by_allocation_.end()) {
      std::erase_if(early_relay_, [&](const EarlyRelay& e) { return now - e.at > secs(2); });
      if (early_relay_.size() < 16) {
        const Bytes payload = datagram.subspan(kFromRelayHeaderBytes);
        early_relay_.push_back(EarlyRelay{allocation, from, now, {payload.begin(), payload.end()}});
      }
      return true;
    }
    auto pit = paths_.find(owner->second);
    if (pit == paths_.end() || !pit->second->relay || !(pit->second->relay->relay == from)) return true;
    inner = datagram.subspan(kFromRelayHeaderBytes);
    inner_from = virtual_address(allocation);
    return false;
  }
  return false;
}

}  // namespace kettle::p2p
