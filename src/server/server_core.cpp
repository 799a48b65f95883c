#include "server/server_core.hpp"

#include <algorithm>
#include <utility>

#include "core/log.hpp"

namespace kettle::server {

using control::ResultCode;

namespace {

constexpr std::uint64_t kServerCertificateYears = 100;

std::string hex_u8(std::uint8_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  return {'0', 'x', kDigits[v >> 4], kDigits[v & 15]};
}

// request_id of a message decode() refused, if its header is intact, so the error reply can
// still be matched by a client that merely sent a kind this server does not know.
std::uint32_t peek_request_id(Bytes data) {
  if (data.size() < 5) return 0;
  return static_cast<std::uint32_t>(data[1]) | static_cast<std::uint32_t>(data[2]) << 8 |
         static_cast<std::uint32_t>(data[3]) << 16 | static_cast<std::uint32_t>(data[4]) << 24;
}

bool known_kind(std::uint8_t kind) { return control::kind_name(kind) != "unknown"; }

}  // namespace

crypto::Identity server_identity(const crypto::SigningKeyPair& key, std::uint64_t now_unix_s) {
  crypto::Identity id;
  id.key = key;
  id.trust_root = key.pub;
  id.cert = crypto::Certificate::issue(key, kServerSteamID, 0, key.pub,
                                       now_unix_s + kServerCertificateYears * 365 * 24 * 3600);
  return id;
}

ServerCore::ServerCore(const ServerOptions& options, Store& store, Metrics& metrics, transport::Endpoint& endpoint,
                       AuthPool& auth, relay::RelayTable* relay, std::uint16_t relay_port,
                       lobby::LobbyStore* lobby_store)
    : options_(options),
      store_(store),
      metrics_(metrics),
      endpoint_(endpoint),
      auth_(auth),
      relay_(relay),
      relay_port_(relay_port),
      own_lobby_store_(lobby_store == nullptr ? lobby::make_memory_lobby_store() : nullptr),
      lobby_store_(lobby_store != nullptr ? *lobby_store : *own_lobby_store_),
      lobbies_(lobby_store_) {
  for (const auto& app : options_.apps) {
    auto& names = app_allow_[app.app_id];
    names.insert(app.allow.begin(), app.allow.end());
    if (app.precise_session_errors) precise_apps_.insert(app.app_id);
  }
}

Session* ServerCore::find(Conn c) {
  auto it = sessions_.find(c);
  return it == sessions_.end() ? nullptr : it->second.get();
}

void ServerCore::process(Instant now) {
  for (auto& done : auth_.take_completions()) done();
  while (auto ev = endpoint_.poll_event()) on_event(*ev, now);
  while (endpoint_.poll_message(msg_)) on_message(msg_, now);
  expire_logins(now);
  if (relay_ != nullptr) relay_->expire(now);
  // A message may have closed a connection (logout, replaced session): pick up its event now.
  while (auto ev = endpoint_.poll_event()) on_event(*ev, now);
  if (now >= touch_flush_at_) flush_touches();
}

Instant ServerCore::next_deadline() const noexcept {
  const Instant relay = relay_ != nullptr ? relay_->next_deadline() : kInstantNever;
  return std::min({touch_flush_at_, relay, login_deadlines_.empty() ? kInstantNever : login_deadlines_.front().at});
}

void ServerCore::touch_later(std::uint32_t account_id, Instant now) {
  touches_.push_back(Store::Touch{account_id, static_cast<std::int64_t>(unix_now_s())});
  if (touch_flush_at_ == kInstantNever) touch_flush_at_ = now + secs(1);
}

void ServerCore::flush_touches() {
  touch_flush_at_ = kInstantNever;
  if (touches_.empty()) return;
  if (auto st = store_.touch_many(touches_); !st) {
    logger("server")->warn("last_seen batch of {} failed error=\"{}\"", touches_.size(), st.error().to_string());
  }
  touches_.clear();
}

// A client connects only to log in, so one that has not within backend_liveness is closed: it
// would otherwise hold a connection slot for as long as it keeps the transport alive.
void ServerCore::expire_logins(Instant now) {
  while (!login_deadlines_.empty() && login_deadlines_.front().at <= now) {
    const LoginDeadline d = login_deadlines_.front();
    login_deadlines_.pop_front();
    Session* s = find(d.conn);
    if (s == nullptr || s->serial != d.serial || s->logged_in || s->account_id != 0) continue;
    if (s->login_pending) {  // the auth queue is slow, not the client: give it another round
      login_deadlines_.push_back({now + options_.backend_liveness, d.conn, d.serial});
      continue;
    }
    logger("server")->info("login timeout conn={} addr={}", s->conn, s->peer_address.to_string());
    (void)endpoint_.close(s->conn, kCloseLoginTimeout, "no login within the server's liveness timeout", now);
  }
}

void ServerCore::on_event(const transport::Event& ev, Instant now) {
  if (const auto* c = std::get_if<transport::Connected>(&ev)) {
    auto s = std::make_unique<Session>();
    s->conn = c->conn;
    s->serial = next_serial_++;
    s->peer_key = c->peer.public_key;
    s->peer_address = c->peer_address;
    logger("server")->debug("connected conn={} addr={}", c->conn, c->peer_address.to_string());
    login_deadlines_.push_back({now + options_.backend_liveness, c->conn, s->serial});
    sessions_[c->conn] = std::move(s);
    update_gauges();
    return;
  }
  const auto& cl = std::get<transport::Closed>(ev);
  Session* s = find(cl.conn);
  if (s == nullptr) return;
  logger("server")->debug("closed conn={} account={} reason={} by_peer={}", cl.conn, s->account_id,
                          transport::close_reason_name(cl.reason), cl.by_peer);
  // A client that closed on purpose (Shutdown) left its lobbies; one the server lost disconnected.
  const bool on_purpose = cl.by_peer && cl.reason == transport::CloseReason::application;
  leave_lobbies(*s, on_purpose ? control::MemberChange::left : control::MemberChange::disconnected, now);
  go_offline(*s, now);
  drop_relays(*s);
  unwatch_all(*s);
  sessions_.erase(cl.conn);
  update_gauges();
}

void ServerCore::on_message(const transport::Message& m, Instant now) {
  Session* s = find(m.conn);
  if (s == nullptr) return;
  metrics_.messages_in.fetch_add(1, std::memory_order_relaxed);
  metrics_.bytes_in.fetch_add(m.data.size(), std::memory_order_relaxed);
  if (m.channel != control::kControlChannel) {
    // Only the control channel is defined on a server connection; ignore the rest.
    metrics_.errors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto decoded = control::decode(m.data);
  if (!decoded) {
    const std::uint8_t kind = m.data.empty() ? 0 : m.data[0];
    if (!m.data.empty() && control::is_request_kind(kind) && !known_kind(kind)) {
      send_error(*s, peek_request_id(m.data), ResultCode::unsupported,
                 "unknown message kind " + hex_u8(kind) + " (control protocol version " +
                     std::to_string(control::kControlVersion) + ")",
                 now);
      return;
    }
    logger("server")->info("malformed conn={} account={} error=\"{}\"", s->conn, s->account_id,
                           decoded.error().to_string());
    send_error(*s, 0, ResultCode::invalid_param, decoded.error().to_string(), now);
    return;
  }
  dispatch(*s, std::move(*decoded), now);
}

void ServerCore::dispatch(Session& s, control::Message m, Instant now) {
  const std::uint32_t rid = m.request_id;
  if (auto* login = std::get_if<control::Login>(&m.body)) {
    handle_login(s, rid, std::move(*login), now);
    return;
  }
  if (!s.logged_in) {
    send_error(s, rid, ResultCode::access_denied, "log in first", now);
    return;
  }
  const auto* lookup = std::get_if<control::GetPersonas>(&m.body);
  const double cost = 1.0 + (lookup != nullptr ? static_cast<double>(lookup->steam_ids.size()) / 10.0 : 0.0);
  if (!s.requests.take(cost, now)) {
    send_error(s, rid, ResultCode::limit_exceeded, "too many requests: slow down", now);
    return;
  }
  if (handle_lobby(s, rid, m.body, now)) return;
  std::visit(
      [&](auto& body) {
        using T = std::decay_t<decltype(body)>;
        if constexpr (std::is_same_v<T, control::RefreshCertificate>) {
          handle_refresh(s, rid, now);
        } else if constexpr (std::is_same_v<T, control::SetPersonaName>) {
          handle_set_persona(s, rid, body, now);
        } else if constexpr (std::is_same_v<T, control::GetPersonas>) {
          handle_get_personas(s, rid, body, now);
        } else if constexpr (std::is_same_v<T, control::ListOnline>) {
          handle_list_online(s, rid, body, now);
        } else if constexpr (std::is_same_v<T, control::SendSignal>) {
          handle_send_signal(s, rid, std::move(body), now);
        } else if constexpr (std::is_same_v<T, control::Logout>) {
          handle_logout(s, rid, now);
        } else if constexpr (std::is_same_v<T, control::AllocateRelay>) {
          handle_allocate_relay(s, rid, body, now);
        } else if (const std::uint8_t kind = control::kind_of(body); control::is_request_kind(kind)) {
          // A request this server decodes but does not handle yet (lobbies, §15): the same answer
          // as for a kind it does not know.
          send_error(s, rid, ResultCode::unsupported,
                     "message " + std::string(control::kind_name(kind)) + " is not supported by this server", now);
        } else {
          send_error(s, rid, ResultCode::invalid_param,
                     "unexpected message " + std::string(control::kind_name(kind)) + " (server-to-client kind)", now);
        }
      },
      m.body);
}

void ServerCore::send(Session& s, std::uint32_t request_id, control::Body body, Instant now) {
  const auto bytes = control::encode(control::Message{request_id, std::move(body)});
  const Status st = endpoint_.send(s.conn, control::kControlChannel, transport::SendType::reliable, bytes, now);
  if (st) {
    metrics_.messages_out.fetch_add(1, std::memory_order_relaxed);
    metrics_.bytes_out.fetch_add(bytes.size(), std::memory_order_relaxed);
    return;
  }
  if (st.code() == Errc::would_block) {
    // The client stopped reading (4 MiB unacknowledged): drop it rather than buffer more.
    logger("server")->warn("send buffer full conn={} account={}: closing", s.conn, s.account_id);
    (void)endpoint_.close(s.conn, kCloseSendBufferFull, "send buffer full: client is not reading", now);
  }
}

void ServerCore::send_error(Session& s, std::uint32_t request_id, ResultCode code, std::string message, Instant now) {
  metrics_.errors.fetch_add(1, std::memory_order_relaxed);
  if (message.size() > control::kMaxErrorMessageBytes) message.resize(control::kMaxErrorMessageBytes);
  send(s, request_id, control::ErrorReply{code, std::move(message)}, now);
}

// ---------------------------------------------------------------- requests after login

void ServerCore::handle_refresh(Session& s, std::uint32_t rid, Instant now) {
  metrics_.certificates_issued.fetch_add(1, std::memory_order_relaxed);
  send(s, rid, control::CertificateIssued{issue_certificate(s)}, now);
}

void ServerCore::handle_set_persona(Session& s, std::uint32_t rid, const control::SetPersonaName& m, Instant now) {
  if (auto st = control::validate_name(m.name, control::kMaxPersonaNameBytes); !st) {
    send_error(s, rid, ResultCode::invalid_name, "persona name: " + st.error().message, now);
    return;
  }
  if (auto st = store_.set_persona_name(s.account_id, m.name); !st) {
    logger("server")->error("set_persona_name account={} error=\"{}\"", s.account_id, st.error().to_string());
    send_error(s, rid, ResultCode::fail, "could not store the name", now);
    return;
  }
  s.persona_name = m.name;
  send(s, rid, control::Ok{}, now);
  notify_watchers(s.account_id, persona_of(s), control::kPersonaChangeName, now);
}

void ServerCore::handle_get_personas(Session& s, std::uint32_t rid, const control::GetPersonas& m, Instant now) {
  control::Personas reply;
  reply.personas.reserve(m.steam_ids.size());
  for (const SteamID id : m.steam_ids) {
    control::PersonaInfo info;
    info.steam_id = id;
    info.exists = false;
    if (!id.BIndividualAccount()) {
      reply.personas.push_back(std::move(info));
      continue;
    }
    const std::uint32_t account = id.account_id();
    if (auto it = online_.find(account); it != online_.end()) {
      info = persona_of(*sessions_.at(it->second));
    } else if (auto found = store_.find_account(account); found && found->has_value()) {
      info.name = (*found)->persona_name;
      info.exists = true;
    }
    if (s.watching.size() < kMaxWatchedPerSession && s.watching.insert(account).second) {
      watchers_[account].insert(s.conn);
    }
    reply.personas.push_back(std::move(info));
  }
  send(s, rid, std::move(reply), now);
}

void ServerCore::handle_list_online(Session& s, std::uint32_t rid, const control::ListOnline& m, Instant now) {
  if (!options_.allow_list_online) {
    send_error(s, rid, ResultCode::access_denied, "listing online users is disabled on this server", now);
    return;
  }
  // The first kMaxListItems by account id, so a long list is cut the same way every time.
  std::vector<std::pair<std::uint32_t, const Session*>> found;
  for (const auto& [account, conn] : online_) {
    const Session& other = *sessions_.at(conn);
    if (m.app_id == 0 || other.app_id == m.app_id) found.emplace_back(account, &other);
  }
  const std::size_t n = std::min<std::size_t>(found.size(), control::kMaxListItems);
  std::partial_sort(found.begin(), found.begin() + static_cast<std::ptrdiff_t>(n), found.end(),
                    [](const auto& a, const auto& b) { return a.first < b.first; });
  control::OnlineList reply;
  for (std::size_t i = 0; i < n; ++i) reply.personas.push_back(persona_of(*found[i].second));
  send(s, rid, std::move(reply), now);
}

void ServerCore::handle_send_signal(Session& s, std::uint32_t rid, control::SendSignal m, Instant now) {
  if (!s.signals.take(1, now)) {
    send_error(s, rid, ResultCode::limit_exceeded, "too many signals: slow down", now);
    return;
  }
  Session* target = online_in_app(m.to, s.app_id);
  if (target == nullptr) {
    // By default offline, unknown and "in another app" get the same answer (privacy, §14.5).
    if (!precise_errors_for(s.app_id)) {
      send_error(s, rid, ResultCode::no_connection, "user not online", now);
    } else if (online_in_app(m.to, std::nullopt) != nullptr) {
      send_error(s, rid, ResultCode::not_running_app, "user is running another app", now);
    } else {
      send_error(s, rid, ResultCode::not_logged_on, "user not logged on", now);
    }
    return;
  }
  send(*target, 0, control::SignalFrom{s.steam_id(), std::move(m.payload)}, now);
  metrics_.signals_relayed.fetch_add(1, std::memory_order_relaxed);
  send(s, rid, control::Ok{}, now);
}

bool ServerCore::precise_errors_for(std::uint32_t app_id) const {
  return options_.precise_session_errors || precise_apps_.contains(app_id);
}

Session* ServerCore::online_in_app(SteamID id, std::optional<std::uint32_t> app_id) {
  if (!id.BIndividualAccount()) return nullptr;
  auto it = online_.find(id.account_id());
  if (it == online_.end()) return nullptr;
  Session* s = find(it->second);
  return s != nullptr && s->logged_in && (!app_id || s->app_id == *app_id) ? s : nullptr;
}

// docs/protocol.md §13.1. The caller is member 0, the peer member 1; each learns only its own
// token. Tokens are never logged.
void ServerCore::handle_allocate_relay(Session& s, std::uint32_t rid, const control::AllocateRelay& m, Instant now) {
  if (relay_ == nullptr) {
    send_error(s, rid, ResultCode::unsupported, "the relay is disabled on this server", now);
    return;
  }
  if (m.peer == s.steam_id()) {
    send_error(s, rid, ResultCode::invalid_param, "cannot allocate a relay to yourself", now);
    return;
  }
  // An allocation puts a notification on the peer's connection, like a signal: same budget.
  if (!s.signals.take(1, now)) {
    send_error(s, rid, ResultCode::limit_exceeded, "too many signals: slow down", now);
    return;
  }
  Session* peer = online_in_app(m.peer, s.app_id);
  if (peer == nullptr) {
    send_error(s, rid, ResultCode::no_connection, "user not online", now);
    return;
  }
  auto grant = relay_->allocate(s.serial, peer->serial, now, s.peer_address, peer->peer_address);
  if (!grant) {
    send_error(s, rid, ResultCode::limit_exceeded, grant.error().message, now);
    return;
  }
  logger("server")->info("relay allocated allocation={:016x} account={} peer={} app={}", grant->allocation,
                         s.account_id, peer->account_id, s.app_id);
  send(s, rid, control::RelayAllocated{grant->allocation, grant->token0, relay_port_, peer->steam_id()}, now);
  send(*peer, 0, control::RelayOffer{grant->allocation, grant->token1, relay_port_, s.steam_id()}, now);
}

void ServerCore::drop_relays(const Session& s) {
  if (relay_ == nullptr) return;
  const std::size_t before = relay_->live();
  relay_->drop_owner(s.serial);
  if (relay_->live() != before) {
    logger("server")->debug("relay dropped {} allocations account={} conn={}", before - relay_->live(), s.account_id,
                            s.conn);
  }
}

void ServerCore::handle_logout(Session& s, std::uint32_t rid, Instant now) {
  logger("server")->info("logout account={} conn={}", s.account_id, s.conn);
  send(s, rid, control::Ok{}, now);
  leave_lobbies(s, control::MemberChange::left, now);
  go_offline(s, now);
  (void)endpoint_.close(s.conn, kCloseLogout, "logged out", now);  // graceful: the Ok goes first
}

// ---------------------------------------------------------------- presence

control::PersonaInfo ServerCore::persona_of(const Session& s) const {
  control::PersonaInfo info;
  info.steam_id = s.steam_id();
  info.name = s.persona_name;
  info.state = s.logged_in ? control::PersonaState::online : control::PersonaState::offline;
  info.app_id = s.logged_in ? s.app_id : 0;
  info.exists = true;
  return info;
}

void ServerCore::go_offline(Session& s, Instant now) {
  if (!s.logged_in) return;
  s.logged_in = false;
  if (auto it = online_.find(s.account_id); it != online_.end() && it->second == s.conn) online_.erase(it);
  drop_relays(s);
  touch_later(s.account_id, now);
  update_gauges();
  notify_watchers(s.account_id, persona_of(s), control::kPersonaChangeGoneOffline, now);
}

void ServerCore::notify_watchers(std::uint32_t account_id, const control::PersonaInfo& info, std::uint32_t flags,
                                 Instant now) {
  auto it = watchers_.find(account_id);
  if (it == watchers_.end()) return;
  // send() may close a watcher whose buffer is full; that only queues an event, so the set
  // stays valid while we iterate.
  for (const Conn c : it->second) {
    if (Session* w = find(c); w != nullptr && w->logged_in) send(*w, 0, control::PersonaChanged{info, flags}, now);
  }
}

void ServerCore::unwatch_all(Session& s) {
  for (const std::uint32_t account : s.watching) {
    auto it = watchers_.find(account);
    if (it == watchers_.end()) continue;
    it->second.erase(s.conn);
    if (it->second.empty()) watchers_.erase(it);
  }
  s.watching.clear();
}

void ServerCore::update_gauges() {
  metrics_.connections.store(sessions_.size(), std::memory_order_relaxed);
  metrics_.clients_online.store(online_.size(), std::memory_order_relaxed);
}

void ServerCore::close_all(Instant now) {
  for (auto& [conn, s] : sessions_) {
    (void)endpoint_.close(conn, kCloseServerShutdown, "server shutting down", now);
  }
}

void ServerCore::finish_closes(Instant now) {
  for (auto& [conn, s] : sessions_) (void)endpoint_.finish_close(conn, now);
}

}  // namespace kettle::server
