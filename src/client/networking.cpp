// kettle::Networking: the P2P API (spec p2p-api.md §2). Every call validates its arguments,
// edits the session records in p2p::Shared under its mutex and wakes the I/O thread; the
// p2p::SessionManager there does the network work.
#include "kettle/networking.hpp"

#include <algorithm>
#include <cstring>

#include "client/client_impl.hpp"
#include "p2p/session_api.hpp"

namespace kettle {
namespace {

bool valid_channel(int channel) { return channel >= 0 && channel <= k_nMaxP2PChannel; }

void drop_readable(p2p::Shared& sh, SteamID from, int only_channel = -1) {
  for (int ch = 0; ch < p2p::kChannels; ++ch) {
    if (only_channel >= 0 && ch != only_channel) continue;
    auto& q = sh.readable[static_cast<std::size_t>(ch)];
    q.erase(std::remove_if(q.begin(), q.end(), [&](const p2p::Packet& p) { return p.from == from; }), q.end());
  }
}

// Removes the session (spec §2.2 CloseP2PSessionWithUser); the caller holds sh.mu.
void close_session(p2p::Shared& sh, SteamID remote) {
  auto it = sh.sessions.find(remote);
  p2p::Shared::ApiClose c;
  c.peer = remote;
  c.was_active = it->second.state == p2p::State::active;
  c.was_pending = it->second.state == p2p::State::pending_incoming;
  for (auto& m : it->second.out) {
    if (m.type == transport::SendType::reliable || m.type == transport::SendType::reliable_buffered)
      c.reliable_out.push_back(std::move(m));
  }
  sh.sessions.erase(it);
  drop_readable(sh, remote);
  sh.closed_by_api.push_back(std::move(c));
}

// A packet from `from` of `bytes` left the readable queues; the caller holds sh.mu. True when
// the I/O thread must be woken to resume a paused delivery.
bool note_read(p2p::Shared& sh, SteamID from, std::size_t bytes) {
  auto it = sh.sessions.find(from);
  if (it == sh.sessions.end()) return false;
  p2p::Session& s = it->second;
  s.unread_bytes -= std::min(s.unread_bytes, bytes);
  if (s.read_paused && s.unread_bytes < p2p::kResumeUnreadBytes) {
    s.read_paused = false;  // the manager resumes the connection on its next step
    sh.dirty.push_back(from);
    return true;
  }
  return false;
}

}  // namespace

bool Networking::SendP2PPacket(SteamID remote, const void* data, uint32 size, EP2PSend type, int channel) {
  auto& m = *client_.impl_;
  if (!m.running.load(std::memory_order_acquire)) return false;
  if (!remote.BIndividualAccount() || data == nullptr || size == 0 || !valid_channel(channel)) return false;
  if (type < k_EP2PSendUnreliable || type > k_EP2PSendReliableWithBuffering) return false;
  const bool reliable = type == k_EP2PSendReliable || type == k_EP2PSendReliableWithBuffering;
  if (size > (reliable ? k_cbMaxP2PReliable : k_cbMaxP2PUnreliable)) return false;
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  {
    std::lock_guard lock(m.p2p.mu);
    auto& sh = m.p2p;
    if (remote == sh.self) {  // loopback (Kettle decision, spec §2.2)
      sh.readable[static_cast<std::size_t>(channel)].push_back(
          p2p::Packet{remote, channel, std::vector<std::uint8_t>(bytes, bytes + size), reliable});
      sh.notify_readable();
      return true;
    }
    auto [it, created] = sh.sessions.try_emplace(remote);
    p2p::Session& s = it->second;
    if (s.out_bytes + size > p2p::kMaxQueuedSendBytes) {
      if (created) sh.sessions.erase(it);
      return false;
    }
    const Instant now = monotonic_now();
    if (created) {
      s.state = p2p::State::connecting;
      s.deadline = now + sh.connect_timeout;
    } else {
      switch (s.state) {
        case p2p::State::pending_incoming:
          s.state = p2p::State::active;  // sending accepts (rule 3)
          s.deadline = kInstantNever;
          s.last_error = 0;
          p2p::release_held(sh, s);
          break;
        case p2p::State::pre_accepted:
        case p2p::State::failed:
        case p2p::State::remote_closed:
          s.state = p2p::State::connecting;
          s.deadline = now + sh.connect_timeout;
          break;
        case p2p::State::connecting:
        case p2p::State::active:
          break;
      }
    }
    sh.dirty.push_back(remote);
    if (type == k_EP2PSendUnreliableNoDelay && (s.state != p2p::State::active || !s.path_up || !s.out.empty())) {
      // Never queued: not active yet, or data already waiting means it could not go out now.
    } else {
      s.out.push_back(p2p::OutMessage{channel, static_cast<transport::SendType>(type),
                                      std::vector<std::uint8_t>(bytes, bytes + size)});
      s.out_bytes += size;
    }
    s.open_channels.set(static_cast<std::size_t>(channel));
  }
  m.wake();
  return true;
}

bool Networking::IsP2PPacketAvailable(uint32* msg_size, int channel) {
  auto& m = *client_.impl_;
  if (msg_size != nullptr) *msg_size = 0;
  if (!m.running.load(std::memory_order_acquire) || !valid_channel(channel)) return false;
  std::lock_guard lock(m.p2p.mu);
  const auto& q = m.p2p.readable[static_cast<std::size_t>(channel)];
  if (q.empty()) return false;
  if (msg_size != nullptr) *msg_size = static_cast<uint32>(q.front().data.size());
  return true;
}

bool Networking::ReadP2PPacket(void* dest, uint32 dest_size, uint32* msg_size, SteamID* remote, int channel) {
  auto& m = *client_.impl_;
  if (msg_size != nullptr) *msg_size = 0;
  if (remote != nullptr) *remote = SteamID();
  if (!m.running.load(std::memory_order_acquire) || !valid_channel(channel) || dest == nullptr || dest_size == 0)
    return false;
  std::lock_guard lock(m.p2p.mu);
  auto& q = m.p2p.readable[static_cast<std::size_t>(channel)];
  if (q.empty()) return false;
  p2p::Packet pkt = std::move(q.front());
  q.pop_front();
  // Too small a buffer: the rest of the packet is discarded (spec §2.2, Kettle decision).
  const std::size_t n = std::min<std::size_t>(dest_size, pkt.data.size());
  std::memcpy(dest, pkt.data.data(), n);
  if (msg_size != nullptr) *msg_size = static_cast<uint32>(n);
  if (remote != nullptr) *remote = pkt.from;
  if (note_read(m.p2p, pkt.from, pkt.data.size())) m.wake();
  return true;
}

bool Networking::ReadNextP2PPacket(std::vector<uint8>& out, P2PPacketInfo* info) {
  auto& m = *client_.impl_;
  if (!m.running.load(std::memory_order_acquire)) return false;
  std::lock_guard lock(m.p2p.mu);
  for (auto& q : m.p2p.readable) {
    if (q.empty()) continue;
    p2p::Packet pkt = std::move(q.front());
    q.pop_front();
    if (info != nullptr) *info = P2PPacketInfo{pkt.from, pkt.channel, pkt.reliable};
    if (note_read(m.p2p, pkt.from, pkt.data.size())) m.wake();
    out = std::move(pkt.data);
    return true;
  }
  return false;
}

bool Networking::AcceptP2PSessionWithUser(SteamID remote) {
  auto& m = *client_.impl_;
  if (!m.running.load(std::memory_order_acquire) || !remote.BIndividualAccount()) return false;
  bool wake = false;
  {
    std::lock_guard lock(m.p2p.mu);
    wake = p2p::accept_session(m.p2p, remote);
  }
  if (wake) m.wake();
  return true;
}

bool Networking::CloseP2PSessionWithUser(SteamID remote) {
  auto& m = *client_.impl_;
  if (!m.running.load(std::memory_order_acquire) || !remote.BIndividualAccount()) return false;
  {
    std::lock_guard lock(m.p2p.mu);
    if (!m.p2p.sessions.contains(remote)) return false;
    close_session(m.p2p, remote);
  }
  m.wake();
  return true;
}

bool Networking::CloseP2PChannelWithUser(SteamID remote, int channel) {
  auto& m = *client_.impl_;
  if (!m.running.load(std::memory_order_acquire) || !remote.BIndividualAccount() || !valid_channel(channel))
    return false;
  {
    std::lock_guard lock(m.p2p.mu);
    auto& sh = m.p2p;
    auto it = sh.sessions.find(remote);
    if (it == sh.sessions.end()) return false;
    p2p::Session& s = it->second;
    drop_readable(sh, remote, channel);
    std::size_t unread = 0;
    for (const auto& q : sh.readable)
      for (const auto& p : q)
        if (p.from == remote) unread += p.data.size();
    s.unread_bytes = unread;
    // Unsent unreliable data on the channel goes; reliable data still follows the close rule.
    auto& out = s.out;
    for (auto o = out.begin(); o != out.end();) {
      const bool unreliable =
          o->type == transport::SendType::unreliable || o->type == transport::SendType::unreliable_no_delay;
      if (o->channel == channel && unreliable) {
        s.out_bytes -= o->data.size();
        o = out.erase(o);
      } else {
        ++o;
      }
    }
    s.open_channels.reset(static_cast<std::size_t>(channel));
    if (s.open_channels.none()) close_session(sh, remote);
  }
  m.wake();
  return true;
}

bool Networking::GetP2PSessionState(SteamID remote, P2PSessionState_t* state) {
  auto& m = *client_.impl_;
  if (state != nullptr) *state = P2PSessionState_t{};
  if (!m.running.load(std::memory_order_acquire) || !remote.BIndividualAccount()) return false;
  std::lock_guard lock(m.p2p.mu);
  auto it = m.p2p.sessions.find(remote);
  if (it == m.p2p.sessions.end() || it->second.state == p2p::State::pending_incoming) return false;
  if (state == nullptr) return true;
  const p2p::Session& s = it->second;
  state->m_bConnectionActive = s.state == p2p::State::active ? 1 : 0;
  state->m_bConnecting = s.state == p2p::State::connecting ? 1 : 0;
  state->m_eP2PSessionError =
      (s.state == p2p::State::connecting || s.state == p2p::State::failed) ? static_cast<uint8>(s.last_error) : 0;
  state->m_bUsingRelay = s.path_up && s.using_relay ? 1 : 0;
  // Not yet on the wire: still in our queue, or unreliable data the transport holds back
  // (pacing). Reliable data handed to the transport counts as sent, as with Steam.
  state->m_nBytesQueuedForSend = static_cast<int32>(s.out_bytes + s.transport_unsent);
  state->m_nPacketsQueuedForSend = static_cast<int32>(s.out.size());
  if (s.path_up && s.remote.family == Address::Family::v4) {
    state->m_nRemoteIP = s.remote.v4_host_order();
    state->m_nRemotePort = s.remote.port;
  }
  return true;
}

bool Networking::AllowP2PPacketRelay(bool allow) {
  auto& m = *client_.impl_;
  if (!m.running.load(std::memory_order_acquire)) return false;
  std::lock_guard lock(m.p2p.mu);
  m.p2p.allow_relay = allow;
  return true;
}

bool Networking::SetAutoAcceptLobbyMembers(bool enable) {
  auto& m = *client_.impl_;
  if (!m.running.load(std::memory_order_acquire)) return false;
  std::lock_guard lock(m.p2p.mu);
  m.p2p.auto_accept_lobby_members = enable;
  return true;
}

uint64 Networking::GetP2PUnacknowledgedBytes(SteamID remote) {
  auto& m = *client_.impl_;
  if (!m.running.load(std::memory_order_acquire)) return 0;
  std::lock_guard lock(m.p2p.mu);
  auto it = m.p2p.sessions.find(remote);
  if (it == m.p2p.sessions.end()) return 0;
  return it->second.out_bytes + it->second.transport_unacked + it->second.transport_unsent;
}

}  // namespace kettle
