#include "p2p/session_manager.hpp"

#include <ifaddrs.h>
#include <netinet/in.h>
#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "core/log.hpp"
#include "p2p/session_path.hpp"

namespace kettle::p2p {

using namespace detail;  // NOLINT(google-build-using-namespace): this directory's own constants

SessionManager::SessionManager(Shared& shared, Host& host, Timing timing)
    : shared_(shared), host_(host), timing_(timing) {}

SessionManager::~SessionManager() = default;

void SessionManager::on_logged_on(SteamID self, std::uint32_t app_id, const Address& reflexive,
                                  const Address& local_socket) {
  self_ = self;
  app_id_ = app_id;
  reflexive_ = reflexive;
  local_ = local_socket;
}

// ---- candidates and paths ----

std::vector<Address> SessionManager::own_candidates() const {
  std::vector<Address> out;
  auto add = [&](const Address& a) {
    if (a.is_set() && a.port != 0 && out.size() < kMaxCandidates && std::find(out.begin(), out.end(), a) == out.end())
      out.push_back(a);
  };
  const bool wildcard = local_.family == Address::Family::v4 && local_.v4_host_order() == 0;
  if (!wildcard) {
    add(local_);
  } else {
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) == 0) {
      for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
        const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
        const std::uint32_t ip = ntohl(sin->sin_addr.s_addr);
        // Loopback only helps a peer on this host, and the reflexive address covers that when
        // the server is local; elsewhere it would aim punches at the peer's own machine.
        if ((ip >> 24) == 127 &&
            !(reflexive_.family == Address::Family::v4 && (reflexive_.v4_host_order() >> 24) == 127))
          continue;
        add(Address::v4(ip, local_.port));
      }
      freeifaddrs(list);
    }
  }
  add(reflexive_);
  return out;
}

SessionManager::Path& SessionManager::path_for(SteamID peer, Instant now) {
  auto& slot = paths_[peer];
  if (!slot) {
    slot = std::make_unique<Path>();
    slot->own_id = random_id();
    slot->ids.push_back(slot->own_id);
    by_session_id_[slot->own_id] = peer;
    slot->give_up = now + timing_.connect_timeout;
  }
  return *slot;
}

void SessionManager::start_path(SteamID peer, Path& p, Instant now) {
  if (p.conn != 0) return;
  p.give_up = std::max(p.give_up, now + timing_.connect_timeout);
  if (p.next_offer == kInstantNever || now >= p.next_offer) send_offer(peer, p, SignalKind::offer, now);
  if (p.direct_deadline == kInstantNever) p.direct_deadline = now + timing_.direct_timeout;
}

void SessionManager::send_offer(SteamID peer, Path& p, SignalKind kind, Instant now) {
  Signal s;
  s.kind = kind;
  s.session = p.own_id;
  s.flags = static_cast<std::uint8_t>((shared_.allow_relay || timing_.relay_only ? kFlagRelayAllowed : 0) |
                                      (timing_.relay_only ? kFlagRelayOnly : 0));
  if (!timing_.relay_only) s.candidates = own_candidates();
  const bool sent = host_.send_signal(peer, encode(s), now);
  logger("p2p")->debug("{} to {} with {} candidates{}", kind == SignalKind::offer ? "OFFER" : "ANSWER", peer.value(),
                       s.candidates.size(), sent ? "" : " NOT SENT (offline)");
  if (kind == SignalKind::offer) p.next_offer = now + timing_.offer_retry;
}

void SessionManager::learn_candidates(SteamID peer, Path& p, const Signal& s, Instant now) {
  if (std::find(p.ids.begin(), p.ids.end(), s.session) == p.ids.end()) {
    p.ids.push_back(s.session);
    by_session_id_[s.session] = peer;
  }
  for (const auto& a : s.candidates)
    if (std::find(p.remote.begin(), p.remote.end(), a) == p.remote.end()) p.remote.push_back(a);
  p.remote_known = true;
  p.remote_allows_relay = (s.flags & kFlagRelayAllowed) != 0;
  p.remote_relay_only = (s.flags & kFlagRelayOnly) != 0;
  p.give_up = std::max(p.give_up, now + timing_.connect_timeout);
  if (p.relay_only(timing_)) {
    p.direct_deadline = now;  // straight to the relay
  } else if (p.direct_deadline == kInstantNever) {
    p.direct_deadline = now + timing_.direct_timeout;
  }
  if (p.conn == 0) punch(p, now);
}

void SessionManager::punch(Path& p, Instant now) {
  p.next_punch = now + timing_.punch_interval;
  if (p.relay_only(timing_)) return;
  const auto bytes = encode(Punch{p.own_id, false});
  for (const auto& a : p.remote) host_.send_raw(bytes, a);
}

void SessionManager::try_connect(SteamID peer, Path& p, const Address& to, bool relayed, Instant now) {
  if (p.conn != 0) return;
  if (p.attempt != 0) {
    if (!relayed) return;  // a direct handshake is under way; the relay replaces it only if asked
    (void)host_.endpoint().close(p.attempt, kCloseReplaced, "relay path chosen", now);
    by_conn_.erase(p.attempt);
    p.attempt = 0;
  }
  auto id = host_.endpoint().connect(to, now);
  if (!id) {
    logger("p2p")->warn("connect to {} for {} failed: {}", to.to_string(), peer.value(), id.error().message);
    return;
  }
  p.attempt = *id;
  by_conn_[*id] = peer;
}

void SessionManager::path_up(SteamID peer, Path& p, transport::ConnectionId conn, const Address& addr, Instant now) {
  if (p.conn != 0 && p.conn != conn) {
    (void)host_.endpoint().close(p.conn, kCloseReplaced, "replaced by a newer connection", now);
    by_conn_.erase(p.conn);
  }
  if (p.attempt != 0 && p.attempt != conn) {
    (void)host_.endpoint().close(p.attempt, kCloseReplaced, "another path won", now);
    by_conn_.erase(p.attempt);
  }
  p.attempt = 0;
  if (p.conn != conn) p.read_paused = false;  // a new connection starts unpaused
  p.conn = conn;
  p.addr = addr;
  p.relayed = is_virtual(addr);
  by_conn_[conn] = peer;
  logger("p2p")->info("path to {} up via {}{}", peer.value(), p.relayed ? "relay " : "",
                      p.relayed && p.relay ? p.relay->relay.to_string() : addr.to_string());
  auto it = shared_.sessions.find(peer);
  if (it == shared_.sessions.end()) return;
  Session& s = it->second;
  s.path_up = true;
  p.show_in(s);
  apply_read_pause(peer, s, now);
  flush_out(peer, s, now);
}

// A relayed session whose punches now get through moves its one transport connection to the
// direct address (the initiator decides, as for the first path; the responder's transport
// follows the first authentic packet from there). The relay allocation is left to expire.
void SessionManager::upgrade_to_direct(SteamID peer, Path& p, const Address& to, Instant now) {
  if (auto st = host_.endpoint().migrate(p.conn, to, now); !st) {
    logger("p2p")->debug("moving {} to {} failed: {}", peer.value(), to.to_string(), st.error().message);
    return;
  }
  logger("p2p")->info("path to {} moved from the relay to direct {}", peer.value(), to.to_string());
  if (auto it = shared_.sessions.find(peer); it != shared_.sessions.end()) follow_path_address(peer, p, it->second, to);
}

void SessionManager::follow_path_address(SteamID peer, Path& p, Session& s, const Address& now_at) {
  if (now_at == p.addr || !now_at.is_set()) return;
  const bool was_relayed = p.relayed;
  p.addr = now_at;
  p.relayed = is_virtual(now_at);
  if (was_relayed && !p.relayed) logger("p2p")->info("path to {} is direct now: {}", peer.value(), now_at.to_string());
  p.show_in(s);
}

void SessionManager::drop_path(SteamID peer, Instant now, std::uint16_t close_code) {
  auto it = paths_.find(peer);
  if (it == paths_.end()) return;
  Path& p = *it->second;
  logger("p2p")->debug("dropping path to {} (conn {}, attempt {})", peer.value(), p.conn, p.attempt);
  for (auto conn : {p.conn, p.attempt}) {
    if (conn == 0) continue;
    (void)host_.endpoint().close(conn, close_code, close_code == kCloseIgnored ? "not accepted" : "session closed",
                                 now);
    by_conn_.erase(conn);
    closing_[conn] = peer;
  }
  for (auto id : p.ids) by_session_id_.erase(id);
  if (p.relay) by_allocation_.erase(p.relay->allocation);
  paths_.erase(it);
  if (auto s = shared_.sessions.find(peer); s != shared_.sessions.end()) {
    s->second.path_up = false;
    s->second.using_relay = false;
  }
}

// ---- sessions ----

void SessionManager::flush_out(SteamID peer, Session& s, Instant now) {
  auto p = paths_.find(peer);
  if (p == paths_.end() || p->second->conn == 0) return;
  const auto conn = p->second->conn;
  while (!s.out.empty()) {
    OutMessage& m = s.out.front();
    auto st = host_.endpoint().send(conn, m.channel, m.type, m.data, now);
    if (!st && st.code() == Errc::would_block) break;  // transport buffer full: retry next tick
    s.out_bytes -= m.data.size();
    s.out.pop_front();
  }
}

void SessionManager::fail(SteamID peer, Session& s, int error, Instant now) {
  s.state = State::failed;
  s.last_error = error;
  s.out.clear();
  s.out_bytes = 0;
  s.deadline = kInstantNever;
  s.opted_in_announced = false;
  drop_path(peer, now);
  host_.post_connect_fail(peer, error);
}

void SessionManager::activate(SteamID peer, Session& s, Instant now) {
  s.state = State::active;
  s.last_error = 0;
  s.deadline = kInstantNever;
  if (!s.opted_in_announced) send_accept(peer, now);
  s.opted_in_announced = true;
  flush_out(peer, s, now);
}

void SessionManager::send_accept(SteamID peer, Instant now) {
  auto it = paths_.find(peer);
  Signal sig;
  sig.kind = SignalKind::accept;
  sig.session = it != paths_.end() ? it->second->own_id : random_id();
  host_.send_signal(peer, encode(sig), now);
}

void SessionManager::deliver(SteamID peer, Session& s, int channel, std::vector<std::uint8_t>&& data, bool reliable) {
  // Above the unread cap unreliable data is dropped; reliable data is kept: it was acknowledged
  // already (at most what was in flight when delivery paused, see apply_read_pause).
  if (!reliable && s.unread_bytes + data.size() > kMaxUnreadBytes) return;
  s.unread_bytes += data.size();
  s.open_channels.set(static_cast<std::size_t>(channel));
  shared_.readable[static_cast<std::size_t>(channel)].push_back(Packet{peer, channel, std::move(data), reliable});
  shared_.notify_readable();
}

// Spec §2.7: over the unread cap (or, unaccepted, the held cap) delivery from the user pauses —
// the transport stops acknowledging its reliable data, so the sender's queue fills and its
// SendP2PPacket pushes back — and resumes once the game has read it down to half the cap.
void SessionManager::apply_read_pause(SteamID peer, Session& s, Instant now) {
  const bool pending = s.state == State::pending_incoming;
  if (pending ? s.held_bytes >= kMaxHeldBytes : s.unread_bytes >= kMaxUnreadBytes) {
    s.read_paused = true;
  } else if (s.read_paused && (pending ? s.held_bytes < kMaxHeldBytes : s.unread_bytes < kResumeUnreadBytes)) {
    s.read_paused = false;
  }
  auto pit = paths_.find(peer);
  if (pit == paths_.end() || pit->second->conn == 0) return;
  Path& p = *pit->second;
  if (p.read_paused == s.read_paused) return;
  if (host_.endpoint().set_read_paused(p.conn, s.read_paused, now)) p.read_paused = s.read_paused;
  logger("p2p")->debug("delivery from {} {}", peer.value(), s.read_paused ? "paused (unread cap)" : "resumed");
}

void SessionManager::maybe_post_request(SteamID peer, Session& s, Instant now) {
  if (s.request_posted) return;
  s.request_posted = true;
  if (host_.persona_known(peer)) {
    host_.post_session_request(peer);
  } else {
    requests_waiting_.push_back(peer);
    (void)now;
  }
}

// ---- transport input ----

void SessionManager::on_connected(const transport::Connected& c, Instant now) {
  std::lock_guard lock(shared_.mu);
  const SteamID peer = c.peer.steam_id;
  if (auto it = by_conn_.find(c.conn); !c.incoming && it != by_conn_.end() && it->second != peer) {
    // Our handshake to the address that answered our punches reached a certificate for someone
    // else: the player we dialed could not be authenticated there (error 0, p2p-api.md). Left
    // as it was, the attempt would block every other path until the connect timeout (error 4).
    const SteamID wanted = it->second;
    logger("p2p")->warn("connection to {} for {} authenticated as {}: closing it", c.peer_address.to_string(),
                        wanted.value(), peer.value());
    (void)host_.endpoint().close(c.conn, kCloseReplaced, "unexpected peer", now);
    by_conn_.erase(it);
    auto pit = paths_.find(wanted);
    if (pit == paths_.end() || pit->second->attempt != c.conn) return;
    Path& p = *pit->second;
    p.attempt = 0;
    if (auto s = shared_.sessions.find(wanted); s != shared_.sessions.end() && s->second.state == State::connecting) {
      fail(wanted, s->second, 0, now);
      return;
    }
    if (p.next_working < p.working.size()) try_connect(wanted, p, p.working[p.next_working++], false, now);
    return;
  }
  if (!peer.BIndividualAccount() || peer == self_ || c.peer.app_id != app_id_) {
    // Another app's player (or a confused one) looks exactly like a peer that never answers.
    (void)host_.endpoint().close(c.conn, kCloseWrongApp, "not a player of this app", now);
    by_conn_.erase(c.conn);
    // Our own attempt must not stay "in flight": other answered addresses may still work.
    if (auto pit = paths_.find(peer); !c.incoming && pit != paths_.end() && pit->second->attempt == c.conn) {
      Path& p = *pit->second;
      p.attempt = 0;
      if (p.next_working < p.working.size()) try_connect(peer, p, p.working[p.next_working++], false, now);
    }
    return;
  }
  if (!c.incoming) {
    auto it = by_conn_.find(c.conn);
    if (it == by_conn_.end() || it->second != peer) {
      (void)host_.endpoint().close(c.conn, kCloseReplaced, "unexpected peer", now);
      by_conn_.erase(c.conn);
      return;
    }
  }
  Path& p = path_for(peer, now);
  path_up(peer, p, c.conn, c.peer_address, now);
  if (auto e = early_.find(c.conn); e != early_.end()) {
    auto msgs = std::move(e->second);
    early_.erase(e);
    for (auto& m : msgs) on_message_locked(m, now);
  }
}

void SessionManager::on_closed(const transport::Closed& c, Instant now) {
  std::lock_guard lock(shared_.mu);
  early_.erase(c.conn);
  closing_.erase(c.conn);
  auto owner = by_conn_.find(c.conn);
  if (owner == by_conn_.end()) return;
  const SteamID peer = owner->second;
  by_conn_.erase(owner);
  auto pit = paths_.find(peer);
  if (pit == paths_.end()) return;
  Path& p = *pit->second;
  auto sit = shared_.sessions.find(peer);
  Session* s = sit == shared_.sessions.end() ? nullptr : &sit->second;
  if (c.conn == p.attempt) {
    p.attempt = 0;
    if (s != nullptr && s->state == State::connecting &&
        (c.reason == transport::CloseReason::version_mismatch || c.reason == transport::CloseReason::auth_failed)) {
      fail(peer, *s, 0, now);
      return;
    }
    if (p.next_working < p.working.size()) try_connect(peer, p, p.working[p.next_working++], false, now);
    return;
  }
  if (c.conn != p.conn) return;
  p.conn = 0;
  if (s != nullptr) {
    s->path_up = false;
    s->using_relay = false;
  }
  logger("p2p")->info("path to {} closed: {} {} \"{}\"{}", peer.value(), transport::close_reason_name(c.reason),
                      c.app_code, c.message, c.by_peer ? " (by peer)" : "");
  const bool peer_closed_session = c.by_peer && c.reason == transport::CloseReason::application &&
                                   (c.app_code == kCloseSession || c.app_code == kCloseWrongApp);
  drop_path(peer, now);
  if (s == nullptr) return;
  if (peer_closed_session) {
    if (s->state == State::active || s->state == State::connecting) {
      s->state = State::remote_closed;
      s->deadline = kInstantNever;
      s->out.clear();
      s->out_bytes = 0;
      s->opted_in_announced = false;
    }
    return;
  }
  if (s->state == State::active) {
    fail(peer, *s, 4, now);
  } else if (s->state == State::connecting) {
    start_path(peer, path_for(peer, now), now);  // keep trying until the connect timeout
  }
}

void SessionManager::on_message(transport::Message& m, Instant now) {
  std::lock_guard lock(shared_.mu);
  on_message_locked(m, now);
}

void SessionManager::on_message_locked(transport::Message& m, Instant now) {
  SteamID peer;
  if (auto o = by_conn_.find(m.conn); o != by_conn_.end()) {
    peer = o->second;
  } else if (auto c = closing_.find(m.conn); c != closing_.end()) {
    peer = c->second;
  } else {
    // Not announced yet (its Connected event comes later in this step). The transport's own
    // receive bound applies to what the peer can push before that; 1024 messages is plenty.
    auto& e = early_[m.conn];
    if (e.size() < 1024) e.push_back(transport::Message{m.conn, m.channel, m.reliable, std::move(m.data)});
    return;
  }
  auto [it, created] = shared_.sessions.try_emplace(peer);
  Session& s = it->second;
  if (created) {
    s.state = State::pending_incoming;
    s.deadline = now + timing_.pending_hold;
    if (auto p = paths_.find(peer); p != paths_.end() && p->second->conn != 0) {
      s.path_up = true;
      p->second->show_in(s);
    }
  }
  switch (s.state) {
    case State::pending_incoming:
      if (s.held_bytes >= kMaxHeldBytes && !m.reliable) return;
      s.held_bytes += m.data.size();
      s.held.push_back(Packet{peer, m.channel, std::move(m.data), m.reliable});
      maybe_post_request(peer, s, now);
      apply_read_pause(peer, s, now);
      return;
    case State::pre_accepted:
    case State::connecting:
    case State::failed:
    case State::remote_closed:
      activate(peer, s, now);
      break;
    case State::active:
      break;
  }
  deliver(peer, s, m.channel, std::move(m.data), m.reliable);
  if (s.unread_bytes >= kMaxUnreadBytes) apply_read_pause(peer, s, now);
}

// ---- signaling ----

void SessionManager::on_signal(SteamID from, Bytes payload, Instant now) {
  auto sig = decode_signal(payload);
  if (!sig) {
    logger("p2p")->warn("bad signal from {}: {}", from.value(), sig.error().message);
    return;
  }
  logger("p2p")->debug("signal {} from {}", static_cast<int>(sig->kind), from.value());
  std::lock_guard lock(shared_.mu);
  switch (sig->kind) {
    case SignalKind::offer: {
      if (auto old = paths_.find(from);
          old != paths_.end() && old->second->conn != 0 &&
          std::find(old->second->ids.begin(), old->second->ids.end(), sig->session) == old->second->ids.end()) {
        // A new attempt while we hold a connection: the peer has no path to us any more (it
        // restarted, or its CLOSE was lost). Ours is stale; start over with this offer.
        logger("p2p")->info("{} offers a new session while ours is up: replacing the old path", from.value());
        drop_path(from, now, kCloseReplaced);
        if (auto s = shared_.sessions.find(from); s != shared_.sessions.end() && s->second.state == State::active) {
          s->second.state = State::remote_closed;  // its side of the old session is gone
          s->second.opted_in_announced = false;
        }
      }
      Path& p = path_for(from, now);
      learn_candidates(from, p, *sig, now);
      send_offer(from, p, SignalKind::answer, now);
      break;
    }
    case SignalKind::answer: {
      Path& p = path_for(from, now);
      learn_candidates(from, p, *sig, now);
      break;
    }
    case SignalKind::accept: {
      auto it = shared_.sessions.find(from);
      if (it != shared_.sessions.end() && it->second.state == State::connecting) {
        it->second.opted_in_announced = true;  // the peer knows: we sent to it
        activate(from, it->second, now);
      }
      break;
    }
    case SignalKind::close:
      break;  // reserved: closes travel as transport CLOSE
  }
}

void SessionManager::on_signal_failed(SteamID to, SignalFailure why, Instant now) {
  std::lock_guard lock(shared_.mu);
  auto it = shared_.sessions.find(to);
  if (it == shared_.sessions.end() || it->second.state != State::connecting) return;
  // Otherwise (and when the server withholds the reason) the OFFER is retried until the connect
  // timeout: the peer may still log in or start the app.
  if (!timing_.precise_errors) return;
  if (why == SignalFailure::not_logged_on) fail(to, it->second, 3, now);
  if (why == SignalFailure::not_running_app) fail(to, it->second, 1, now);
}

// ---- API changes and timers ----

void SessionManager::handle_api_closes(Instant now) {
  auto closes = std::move(shared_.closed_by_api);
  shared_.closed_by_api.clear();
  for (auto& c : closes) {
    auto pit = paths_.find(c.peer);
    if (pit != paths_.end() && pit->second->conn != 0 && c.was_active) {
      for (auto& m : c.reliable_out) (void)host_.endpoint().send(pit->second->conn, m.channel, m.type, m.data, now);
    }
    drop_path(
        c.peer, now,
        c.was_pending ? kCloseIgnored : kCloseSession);  // CLOSE after linger: queued reliable data is still delivered
  }
}

void SessionManager::handle_dirty(Instant now) {
  auto dirty = std::move(shared_.dirty);
  shared_.dirty.clear();
  std::sort(dirty.begin(), dirty.end());
  dirty.erase(std::unique(dirty.begin(), dirty.end()), dirty.end());
  for (SteamID peer : dirty) {
    auto it = shared_.sessions.find(peer);
    if (it == shared_.sessions.end()) continue;
    Session& s = it->second;
    if (s.state == State::connecting && !shared_.subscribed) {
      fail(peer, s, 2, now);
      continue;
    }
    if (s.state == State::active && !s.opted_in_announced) {
      send_accept(peer, now);  // accepted a pending session: the peer's side becomes active
      s.opted_in_announced = true;
    }
    if (s.state == State::connecting || s.state == State::active) {
      Path& p = path_for(peer, now);
      if (p.conn == 0) start_path(peer, p, now);
      flush_out(peer, s, now);
    }
    apply_read_pause(peer, s, now);  // reads below the cap, or an accept that moved held data
  }
}

void SessionManager::handle_timers(Instant now) {
  for (auto it = shared_.sessions.begin(); it != shared_.sessions.end();) {
    Session& s = it->second;
    if (s.state == State::connecting && now >= s.deadline) {
      fail(it->first, s, 4, now);
    } else if (s.state == State::pending_incoming && now >= s.deadline) {
      drop_path(it->first, now, kCloseIgnored);
      it = shared_.sessions.erase(it);  // ignored: held data discarded, no callback
      continue;
    } else if (!s.out.empty()) {
      flush_out(it->first, s, now);  // the transport had no room last time
    }
    if (auto pit = paths_.find(it->first); pit != paths_.end() && pit->second->conn != 0) {
      if (auto st = host_.endpoint().connection_stats(pit->second->conn)) {
        s.transport_unacked = st->queued_reliable_bytes;
        s.transport_unsent = st->queued_unreliable_bytes;
        // The transport follows a peer that moved (the initiator took a relayed session
        // direct, or a NAT rebinding): report where the session really goes.
        follow_path_address(it->first, *pit->second, s, st->peer_address);
      }
    } else {
      s.transport_unacked = 0;
      s.transport_unsent = 0;
    }
    ++it;
  }
  std::vector<SteamID> expired;
  for (auto& [peer, pp] : paths_) {
    Path& p = *pp;
    if (p.conn != 0) {
      if (p.relay && p.relayed && now >= p.next_bind) {
        send_bind(*p.relay);
        p.next_bind = now + kBindInterval;
      }
      if (p.relayed && p.remote_known && !p.relay_only(timing_) && now >= p.next_punch) {
        punch(p, now);  // a direct path may open later (NAT state, a firewall rule lifted)
        p.next_punch = now + timing_.upgrade_probe_interval;
      }
      continue;
    }
    if (now >= p.give_up) {
      expired.push_back(peer);
      continue;
    }
    if (p.remote_known && now >= p.next_punch) punch(p, now);
    auto sit = shared_.sessions.find(peer);
    const bool wanted =
        sit != shared_.sessions.end() && (sit->second.state == State::connecting || sit->second.state == State::active);
    if (wanted && !p.remote_known && now >= p.next_offer) send_offer(peer, p, SignalKind::offer, now);
    if (is_initiator(peer) && !p.relay_requested && now >= p.direct_deadline && p.remote_known && shared_.allow_relay &&
        p.remote_allows_relay) {
      p.relay_requested = host_.request_relay(peer, now);
    }
    if (p.relay && now >= p.next_bind) {
      send_bind(*p.relay);
      p.next_bind = now + kBindInterval;
    }
  }
  for (SteamID peer : expired) drop_path(peer, now);
  for (auto it = requests_waiting_.begin(); it != requests_waiting_.end();) {
    auto sit = shared_.sessions.find(*it);
    if (sit == shared_.sessions.end() || sit->second.state != State::pending_incoming) {
      it = requests_waiting_.erase(it);
      continue;
    }
    const bool waited_enough = now + timing_.pending_hold - timing_.request_name_wait >= sit->second.deadline;
    if (host_.persona_known(*it) || waited_enough) {
      host_.post_session_request(*it);
      it = requests_waiting_.erase(it);
    } else {
      ++it;
    }
  }
}

void SessionManager::tick(Instant now) {
  std::lock_guard lock(shared_.mu);
  handle_api_closes(now);
  handle_dirty(now);
  handle_timers(now);
}

Instant SessionManager::next_deadline() const {
  std::lock_guard lock(shared_.mu);
  Instant next = kInstantNever;
  for (const auto& [peer, s] : shared_.sessions) {
    if (s.state == State::connecting || s.state == State::pending_incoming) next = std::min(next, s.deadline);
    if (!s.out.empty()) next = std::min(next, monotonic_now() + ms(5));
  }
  for (const auto& [peer, pp] : paths_) {
    const Path& p = *pp;
    if (p.relay && (p.conn == 0 || p.relayed)) next = std::min(next, p.next_bind);  // binds stop once direct
    if (p.conn != 0) {
      if (p.relayed && p.remote_known && !p.relay_only(timing_)) next = std::min(next, p.next_punch);
      continue;
    }
    next = std::min(next, p.give_up);
    if (p.remote_known)
      next = std::min(next, p.next_punch);
    else
      next = std::min(next, p.next_offer);
    if (!p.relay_requested && p.remote_known) next = std::min(next, p.direct_deadline);
  }
  if (!requests_waiting_.empty()) next = std::min(next, monotonic_now() + ms(50));
  return next;
}

void SessionManager::close_all(Instant now) {
  std::lock_guard lock(shared_.mu);
  std::vector<SteamID> peers;
  for (auto& [peer, p] : paths_) peers.push_back(peer);
  for (SteamID peer : peers) {
    // A request this client never accepted is not a session it can close: the requester must
    // only see its timeout (spec §2.5 rules 4, 14), as with CloseP2PSessionWithUser.
    const auto s = shared_.sessions.find(peer);
    const bool unaccepted = s != shared_.sessions.end() && s->second.state == State::pending_incoming;
    drop_path(peer, now, unaccepted ? kCloseIgnored : kCloseSession);
  }
}

}  // namespace kettle::p2p
