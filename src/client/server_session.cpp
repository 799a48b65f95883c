#include "client/server_session.hpp"

#include <algorithm>
#include <cstdio>

#include "core/log.hpp"
#include "crypto/keys.hpp"
#include "kettle/callbacks.hpp"
#include "p2p/session_api.hpp"
#include "server/session.hpp"  // the server's CLOSE app codes

namespace kettle::client {
namespace {

auto log() { return logger("client"); }

transport::Config transport_config(const SessionConfig& c) {
  transport::Config t;
  // One endpoint carries the server connection and every P2P connection, and the transport's
  // idle timeout is per endpoint: the shorter of the two liveness settings applies to both.
  t.idle_timeout = std::min(c.backend_liveness, c.p2p_liveness);
  // A few keepalives per liveness period so one lost PING never looks like a dead peer.
  t.keepalive_interval = std::min<Duration>(secs(1), t.idle_timeout / 4);
  t.handshake_timeout = std::clamp<Duration>(c.login_timeout, ms(250), secs(120));
  return t;
}

std::string close_text(const transport::Closed& c) {
  std::string s(transport::close_reason_name(c.reason));
  if (c.by_peer) s += " by the server";
  if (!c.message.empty()) s += ": " + c.message;
  return s;
}

}  // namespace

std::string seconds_text(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(to_us(d)) / 1e6);
  return buf;
}

ServerSession::ServerSession(const SessionConfig& config, ClientState& state, CallbackQueue& callbacks,
                             p2p::Shared& p2p, LobbyShared& lobbies)
    : config_(config),
      state_(state),
      callbacks_(callbacks),
      key_(crypto::SigningKeyPair::generate()),
      p2p_shared_(p2p),
      lobbies_(lobbies),
      backoff_(config.reconnect_min) {}

ServerSession::~ServerSession() {
  if (driver_) driver_->set_tap(nullptr);
}

Result<std::unique_ptr<ServerSession>> ServerSession::create(const SessionConfig& config, ClientState& state,
                                                             CallbackQueue& callbacks, p2p::Shared& p2p,
                                                             LobbyShared& lobbies) {
  KETTLE_TRY(crypto::init());
  std::unique_ptr<ServerSession> s(new ServerSession(config, state, callbacks, p2p, lobbies));
  auto loop = net::EventLoop::create();
  if (!loop) return std::move(loop).error();
  s->loop_ = std::move(*loop);
  auto ep = transport::Endpoint::create(transport_config(config),
                                        crypto::Identity::anonymous(s->key_, config.server_key), crypto::random_u64());
  if (!ep) return std::move(ep).error();
  auto driver = net::TransportDriver::create(*s->loop_, std::move(*ep), config.local_bind);
  if (!driver) return std::move(driver).error();
  s->driver_ = std::move(*driver);
  p2p::Host& host = *s;
  s->p2p_ = std::make_unique<p2p::SessionManager>(p2p, host, config.p2p);
  s->driver_->set_tap(s->p2p_.get());
  s->lobby_io_ = std::make_unique<LobbyIo>(lobbies, callbacks, config.lobby);
  return s;
}

// ------------------------------------------------------------------ connect and login

void ServerSession::begin_init(Instant now) {
  initializing_ = true;
  init_outcome_.reset();
  start_connect(now);
}

bool ServerSession::certificate_usable() const {
  // A margin so a certificate does not expire between the handshake and the Login.
  return certificate_ && certificate_->expiry_unix_s > server_now_s() + 5;
}

std::uint64_t ServerSession::server_now_s() const {
  return static_cast<std::uint64_t>(static_cast<std::int64_t>(unix_now_s()) + time_offset_s_);
}

void ServerSession::start_connect(Instant now) {
  if (!certificate_usable()) endpoint().set_identity(crypto::Identity::anonymous(key_, config_.server_key));
  auth_drops_at_connect_ = endpoint().stats().dropped_auth_failed;
  pending_.clear();
  auto id = endpoint().connect(config_.server, now);
  if (!id) {
    if (initializing_) return fail_init(k_ESteamAPIInitResult_FailedGeneric, "cannot connect: " + id.error().message);
    return attempt_failed(id.error().message, now);
  }
  conn_ = *id;
  phase_ = Phase::connecting;
  attempt_deadline_ = now + config_.login_timeout;
  flush(now);
}

std::uint32_t ServerSession::send_request(control::Body body, Pending pending, Instant now) {
  const std::uint32_t id = next_request_id_++;
  if (next_request_id_ == 0) next_request_id_ = 1;  // 0 marks notifications
  const auto bytes = control::encode(control::Message{id, std::move(body)});
  const Status st = endpoint().send(conn_, control::kControlChannel, transport::SendType::reliable, bytes, now);
  if (!st) {
    log()->warn("control request to {} not sent: {}", config_.server_text, st.error().to_string());
    return 0;
  }
  pending_.emplace(id, std::move(pending));
  return id;
}

void ServerSession::send_login(Instant now, bool allow_resume) {
  control::Login login;
  login.app_id = config_.app_id;
  if (allow_resume && certificate_usable()) {
    login.method = control::LoginMethod::certificate;
    login.certificate = certificate_;
  } else {
    login.method = config_.method;
    login.name = config_.login_name;
    login.secret = config_.secret;
  }
  const auto method = login.method;
  send_request(std::move(login), LoginRequest{method}, now);
  phase_ = Phase::logging_in;
}

void ServerSession::on_login_ok(const control::LoginOk& ok, Instant now) {
  time_offset_s_ = static_cast<std::int64_t>(ok.server_time_unix_s) - static_cast<std::int64_t>(unix_now_s());
  install_certificate(ok.certificate, now);
  phase_ = Phase::online;
  backoff_ = config_.reconnect_min;
  bool name_changed = false;
  SteamID own;
  {
    std::lock_guard lock(state_.mu);
    if (state_.steam_id.IsValid() && state_.steam_id != ok.steam_id) {
      log()->warn("server gave a new SteamID on re-login ({} → {})", state_.steam_id.value(), ok.steam_id.value());
    }
    state_.steam_id = ok.steam_id;
    own = ok.steam_id;
    // A rename the server has not confirmed is resent below; keep showing it meanwhile.
    if (!unacked_name_ && state_.persona != ok.persona_name) {
      name_changed = !initializing_;
      state_.persona = ok.persona_name;
    }
    state_.subscribed = ok.subscribed;
    state_.app_id = config_.app_id;
    state_.reflexive = ok.reflexive;
    state_.local_socket = driver_->local_address();
    state_.server_time_offset_s = time_offset_s_;
    state_.logged_on = true;
  }
  {
    std::lock_guard lock(p2p_shared_.mu);
    p2p_shared_.self = ok.steam_id;
    p2p_shared_.subscribed = ok.subscribed;
    p2p_shared_.logged_on = true;
  }
  p2p_->on_logged_on(ok.steam_id, config_.app_id, ok.reflexive, driver_->local_address());
  lobby_io_->on_logged_on();
  log()->info("logged on to {} as {}", config_.server_text, ok.steam_id.value());
  if (initializing_) {
    initializing_ = false;
    init_outcome_ =
        InitResult{k_ESteamAPIInitResult_OK, "logged on to kettle-server at " + config_.server_text + " as " +
                                                 ok.persona_name + " (" + ok.steam_id.to_string() + ")"};
  } else {
    callbacks_.post(SteamServersConnected_t{});
    if (name_changed) callbacks_.post(PersonaStateChange_t{own.value(), k_EPersonaChangeName});
    resend_after_login(now);
  }
}

void ServerSession::on_login_error(const control::ErrorReply& e, control::LoginMethod method, Instant now) {
  std::string msg = e.message.empty() ? std::string(control::result_code_name(e.code)) : e.message;
  if (initializing_) {
    const auto code = e.code == control::ResultCode::unsupported ? k_ESteamAPIInitResult_VersionMismatch
                                                                 : k_ESteamAPIInitResult_FailedGeneric;
    return fail_init(code, msg);
  }
  if (method == control::LoginMethod::certificate) {
    // The server no longer takes our certificate (restarted with a new key, expired): log in
    // again with the credentials on the same connection.
    log()->info("certificate resume refused ({}); logging in with credentials", msg);
    certificate_.reset();
    return send_login(now, false);
  }
  attempt_failed("login refused: " + msg, now);
}

void ServerSession::install_certificate(const crypto::Certificate& cert, Instant now) {
  certificate_ = cert;
  endpoint().set_identity(crypto::Identity{cert, key_, config_.server_key});
  refresh_in_flight_ = false;
  const auto server_now = static_cast<std::int64_t>(server_now_s());
  const auto remaining_s = std::max<std::int64_t>(0, static_cast<std::int64_t>(cert.expiry_unix_s) - server_now);
  // Refresh at 2/3 of the lifetime, so a slow or lost reply still leaves a third of it.
  refresh_at_ = now + std::chrono::duration_cast<Duration>(std::chrono::seconds(remaining_s) * 2 / 3);
}

void ServerSession::resend_after_login(Instant now) {
  if (unacked_name_) send_request(control::SetPersonaName{*unacked_name_}, SetNameRequest{*unacked_name_}, now);
  // Re-subscribe to the users we know and finish fetches the lost connection interrupted.
  std::vector<SteamID> ids;
  {
    std::lock_guard lock(state_.mu);
    for (const auto& [id, entry] : state_.personas) ids.push_back(id);
    for (const auto& id : state_.fetching) {
      if (!state_.personas.contains(id)) ids.push_back(id);
    }
  }
  retry_at_ = kInstantNever;  // everything pending is sent again right here
  retry_fetch_.clear();
  retry_name_ = false;
  send_fetch(ids, now);
}

void ServerSession::send_fetch(const std::vector<SteamID>& ids, Instant now) {
  for (std::size_t i = 0; i < ids.size(); i += control::kMaxListItems) {
    const auto end = std::min(ids.size(), i + control::kMaxListItems);
    std::vector<SteamID> chunk(ids.begin() + static_cast<std::ptrdiff_t>(i),
                               ids.begin() + static_cast<std::ptrdiff_t>(end));
    send_request(control::GetPersonas{chunk}, FetchRequest{chunk}, now);
  }
}

void ServerSession::schedule_retry(Instant now) {
  // The server's request budget refills continuously; one second is plenty for a batch.
  if (retry_at_ == kInstantNever) retry_at_ = now + secs(1);
}

// ------------------------------------------------------------------ failures

void ServerSession::fail_init(ESteamAPIInitResult code, std::string message) {
  initializing_ = false;
  init_outcome_ = InitResult{code, std::move(message)};
  if (conn_ != 0) {
    const Instant now = monotonic_now();
    (void)endpoint().close(conn_, 0, "login failed", now);
    flush(now);
  }
  conn_ = 0;
  phase_ = Phase::closed;
}

void ServerSession::on_connection_lost(std::string why, Instant now) {
  log()->warn("lost kettle-server at {}: {}", config_.server_text, why);
  {
    std::lock_guard lock(state_.mu);
    state_.logged_on = false;
  }
  for (const auto& [id, p] : pending_) {  // an online-list asker must not wait for an answer that cannot come
    if (std::holds_alternative<ListOnlineRequest>(p)) callbacks_.post(KettleOnlineList_t{k_EResultNoConnection, {}});
  }
  pending_.clear();
  lobby_io_->on_connection_lost();
  refresh_at_ = kInstantNever;
  conn_ = 0;
  callbacks_.post(SteamServersDisconnected_t{k_EResultNoConnection});
  backoff_ = config_.reconnect_min;
  reconnect_at_ = now + backoff_;
  phase_ = Phase::waiting;
}

void ServerSession::on_logged_in_elsewhere() {
  log()->warn("kettle-server at {}: this account logged in elsewhere; not reconnecting", config_.server_text);
  {
    std::lock_guard lock(state_.mu);
    state_.logged_on = false;
  }
  pending_.clear();
  lobby_io_->on_connection_lost();
  refresh_at_ = kInstantNever;
  reconnect_at_ = kInstantNever;
  conn_ = 0;
  phase_ = Phase::closed;
  callbacks_.post(SteamServersDisconnected_t{k_EResultLoggedInElsewhere});
}

void ServerSession::attempt_failed(std::string why, Instant now) {
  log()->info("reconnect to {} failed: {} (next try in {})", config_.server_text, why, seconds_text(backoff_));
  if (conn_ != 0) (void)endpoint().close(conn_, 0, "reconnect attempt abandoned", now);
  conn_ = 0;
  pending_.clear();
  callbacks_.post(SteamServerConnectFailure_t{k_EResultNoConnection, true});
  backoff_ = std::min(backoff_ * 2, config_.reconnect_max);
  reconnect_at_ = now + backoff_;
  phase_ = Phase::waiting;
}

// ------------------------------------------------------------------ the loop

void ServerSession::step(Instant wait_until) {
  Instant now = monotonic_now();
  apply_commands(now);
  flush(now);
  const Instant until = std::min(wait_until, next_timer());
  if (auto st = driver_->run_once(until); !st) {
    if (!io_error_logged_) log()->error("client socket failed: {}", st.error().to_string());
    io_error_logged_ = true;
    // The driver keeps returning its error; wait on the bare loop so a broken socket cannot spin.
    (void)loop_->run_once(std::min(until, monotonic_now() + ms(100)));
  }
  now = monotonic_now();
  // Messages before events: a server's ErrorReply arrives ahead of its CLOSE and explains it.
  handle_messages(now);
  handle_events(now);
  handle_messages(now);
  handle_timers(now);
  p2p_->tick(now);
  flush(now);
}

Instant ServerSession::next_timer() const {
  const Instant p2p =
      std::min(p2p_->next_deadline(), phase_ == Phase::online ? lobby_io_->next_timer() : kInstantNever);
  switch (phase_) {
    case Phase::connecting:
    case Phase::logging_in:
      return std::min(p2p, attempt_deadline_);
    case Phase::waiting:
      return std::min(p2p, reconnect_at_);
    case Phase::online:
      return std::min({p2p, refresh_in_flight_ ? kInstantNever : refresh_at_, retry_at_});
    default:
      return p2p;
  }
}

void ServerSession::handle_timers(Instant now) {
  if ((phase_ == Phase::connecting || phase_ == Phase::logging_in) && now >= attempt_deadline_) {
    if (!initializing_) return attempt_failed("no answer within " + seconds_text(config_.login_timeout), now);
    if (phase_ == Phase::connecting && endpoint().stats().dropped_auth_failed > auth_drops_at_connect_) {
      return fail_init(k_ESteamAPIInitResult_FailedGeneric,
                       "kettle-server at " + config_.server_text +
                           " answered, but its identity does not match server_key (wrong key, or another "
                           "server on that port)");
    }
    return fail_init(k_ESteamAPIInitResult_NoSteamClient, "kettle-server at " + config_.server_text +
                                                              " did not answer" +
                                                              (phase_ == Phase::logging_in ? " the login" : "") +
                                                              " within " + seconds_text(config_.login_timeout));
  }
  if (phase_ == Phase::waiting && now >= reconnect_at_) {
    reconnect_at_ = kInstantNever;
    return start_connect(now);
  }
  if (phase_ == Phase::online && now >= retry_at_) {
    retry_at_ = kInstantNever;
    if (retry_name_ && unacked_name_) {
      send_request(control::SetPersonaName{*unacked_name_}, SetNameRequest{*unacked_name_}, now);
    }
    retry_name_ = false;
    std::vector<SteamID> ids;
    {
      std::lock_guard lock(state_.mu);
      for (const SteamID id : retry_fetch_) {
        if (state_.fetching.contains(id) && std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(id);
      }
    }
    retry_fetch_.clear();
    send_fetch(ids, now);
    auto signals = std::move(retry_signals_);
    retry_signals_.clear();
    for (auto& sg : signals) send_signal(sg.to, std::move(sg.payload), now);
  }
  if (phase_ == Phase::online) lobby_io_->on_timers(now);
  if (phase_ == Phase::online && !refresh_in_flight_ && now >= refresh_at_) {
    if (send_request(control::RefreshCertificate{}, RefreshRequest{}, now) != 0)
      refresh_in_flight_ = true;
    else
      refresh_at_ = now + secs(5);
  }
}

void ServerSession::handle_events(Instant now) {
  while (auto ev = endpoint().poll_event()) {
    if (const auto* c = std::get_if<transport::Connected>(&*ev)) {
      if (c->conn == conn_ && phase_ == Phase::connecting) {
        send_login(now, !initializing_);
      } else if (c->conn != conn_) {
        p2p_->on_connected(*c, now);  // a player (incoming, or a path we started)
      }
      continue;
    }
    const auto& cl = std::get<transport::Closed>(*ev);
    if (cl.conn != conn_ || conn_ == 0) {
      p2p_->on_closed(cl, now);
      continue;
    }
    conn_ = 0;
    const std::string why = close_text(cl);
    if (initializing_) {
      const std::string at = "kettle-server at " + config_.server_text;
      if (cl.reason == transport::CloseReason::version_mismatch) {
        fail_init(k_ESteamAPIInitResult_VersionMismatch, at + " speaks an incompatible protocol version");
      } else if (cl.reason == transport::CloseReason::handshake_timeout) {
        if (endpoint().stats().dropped_auth_failed > auth_drops_at_connect_) {
          fail_init(k_ESteamAPIInitResult_FailedGeneric,
                    at + " answered, but its identity does not match server_key (wrong key, or another server on "
                         "that port)");
        } else {
          fail_init(k_ESteamAPIInitResult_NoSteamClient,
                    at + " did not answer within " + seconds_text(config_.login_timeout));
        }
      } else if (phase_ == Phase::logging_in) {
        fail_init(k_ESteamAPIInitResult_FailedGeneric, at + " closed the connection during login (" + why + ")");
      } else {
        fail_init(k_ESteamAPIInitResult_NoSteamClient, at + ": connection failed (" + why + ")");
      }
    } else if (cl.by_peer && cl.reason == transport::CloseReason::application &&
               cl.app_code == server::kCloseLoggedInElsewhere) {
      // Another client logged in to this account and took over. Reconnecting would take it
      // back and start a tug of war, so this client stays off (Steam does the same).
      on_logged_in_elsewhere();
    } else if (phase_ == Phase::online) {
      on_connection_lost(why, now);
    } else if (phase_ == Phase::connecting || phase_ == Phase::logging_in) {
      attempt_failed(why, now);
    }
  }
}

void ServerSession::handle_messages(Instant now) {
  while (endpoint().poll_message(rx_)) {
    if (rx_.conn != conn_ || conn_ == 0) {
      p2p_->on_message(rx_, now);
      continue;
    }
    if (rx_.channel != control::kControlChannel) continue;
    auto m = control::decode(rx_.data);
    if (!m) {
      log()->warn("undecodable control message from {}: {}", config_.server_text, m.error().to_string());
      continue;
    }
    handle_message(std::move(*m), now);
  }
}

void ServerSession::handle_message(control::Message m, Instant now) {
  if (m.request_id == 0) {
    if (const auto* pc = std::get_if<control::PersonaChanged>(&m.body)) on_persona_changed(*pc);
    if (const auto* sf = std::get_if<control::SignalFrom>(&m.body)) p2p_->on_signal(sf->from, sf->payload, now);
    if (const auto* ro = std::get_if<control::RelayOffer>(&m.body); ro && ro->relay_port != 0)
      p2p_->on_relay_offer(grant(ro->allocation, ro->token, ro->relay_port, ro->from), now);
    learn_lobby_names(m.body);
    (void)lobby_io_->on_notification(m.body);
    return;
  }
  auto it = pending_.find(m.request_id);
  if (it == pending_.end()) return;
  Pending pending = std::move(it->second);
  pending_.erase(it);
  const auto* err = std::get_if<control::ErrorReply>(&m.body);

  if (std::holds_alternative<LobbyRequest>(pending)) {
    learn_lobby_names(m.body);
    (void)lobby_io_->on_reply(m.request_id, m.body);
    return;
  }
  if (const auto* login = std::get_if<LoginRequest>(&pending)) {
    if (const auto* ok = std::get_if<control::LoginOk>(&m.body)) return on_login_ok(*ok, now);
    if (err) return on_login_error(*err, login->method, now);
    if (initializing_) return fail_init(k_ESteamAPIInitResult_FailedGeneric, "unexpected reply to Login");
    return attempt_failed("unexpected reply to Login", now);
  }
  if (std::holds_alternative<RefreshRequest>(pending)) {
    refresh_in_flight_ = false;
    if (const auto* ci = std::get_if<control::CertificateIssued>(&m.body))
      return install_certificate(ci->certificate, now);
    log()->warn("certificate refresh failed: {}", err ? err->message : "unexpected reply");
    refresh_at_ = now + secs(30);
    return;
  }
  const bool throttled = err && err->code == control::ResultCode::limit_exceeded;
  if (auto* rr = std::get_if<RelayRequest>(&pending)) {
    const auto* ra = std::get_if<control::RelayAllocated>(&m.body);
    if (ra != nullptr && ra->relay_port != 0) {
      p2p_->on_relay_allocated(grant(ra->allocation, ra->token, ra->relay_port, rr->peer), now);
    } else {
      p2p_->on_relay_failed(rr->peer, now);
    }
    return;
  }
  if (auto* sg = std::get_if<SignalRequest>(&pending)) {
    if (throttled) {
      retry_signals_.push_back(std::move(*sg));
      return schedule_retry(now);
    }
    if (err) {
      using Why = p2p::SessionManager::SignalFailure;
      const Why why = err->code == control::ResultCode::not_logged_on     ? Why::not_logged_on
                      : err->code == control::ResultCode::not_running_app ? Why::not_running_app
                                                                          : Why::unknown;
      p2p_->on_signal_failed(sg->to, why, now);
    }
    return;
  }
  if (const auto* sn = std::get_if<SetNameRequest>(&pending)) {
    if (throttled && unacked_name_ == sn->name) {
      retry_name_ = true;
      return schedule_retry(now);
    }
    if (err) log()->warn("server refused persona name: {}", err->message);
    if (unacked_name_ == sn->name) unacked_name_.reset();
    return;
  }
  if (std::holds_alternative<ListOnlineRequest>(pending)) {
    KettleOnlineList_t out;
    if (const auto* ol = std::get_if<control::OnlineList>(&m.body)) {
      for (const auto& p : ol->personas) out.m_users.push_back(KettleOnlineUser{p.steam_id, p.name, p.app_id});
    } else {
      out.m_eResult = err && err->code == control::ResultCode::access_denied ? k_EResultAccessDenied : k_EResultFail;
    }
    callbacks_.post(out);
    return;
  }
  if (const auto* fr = std::get_if<FetchRequest>(&pending)) {
    if (const auto* ps = std::get_if<control::Personas>(&m.body)) return on_personas(ps->personas, fr->ids);
    if (throttled) {  // the ids stay in `fetching`: ask again later rather than cache a non-answer
      retry_fetch_.insert(retry_fetch_.end(), fr->ids.begin(), fr->ids.end());
      return schedule_retry(now);
    }
    if (err) log()->warn("persona lookup failed: {}", err->message);
    on_personas({}, fr->ids);
  }
}

// ------------------------------------------------------------------ personas

void ServerSession::apply_commands(Instant now) {
  std::vector<Command> commands;
  {
    std::lock_guard lock(state_.mu);
    if (phase_ != Phase::online) return;  // kept until logged on
    commands.swap(state_.commands);
  }
  std::vector<SteamID> fetch;
  for (auto& c : commands) {
    if (auto* sn = std::get_if<SetNameCommand>(&c)) {
      unacked_name_ = sn->name;
      send_request(control::SetPersonaName{sn->name}, SetNameRequest{sn->name}, now);
    } else if (auto* lo = std::get_if<ListOnlineCommand>(&c)) {
      send_request(control::ListOnline{lo->app_id}, ListOnlineRequest{}, now);
    } else {
      const SteamID id = std::get<FetchCommand>(c).id;
      if (std::find(fetch.begin(), fetch.end(), id) == fetch.end()) fetch.push_back(id);
    }
  }
  send_fetch(fetch, now);
  lobby_io_->flush([this, now](control::Body body) { return send_request(std::move(body), LobbyRequest{}, now); }, now);
}

void ServerSession::learn_lobby_names(const control::Body& body) {
  std::vector<const control::LobbyMember*> members;
  if (const auto* e = std::get_if<control::LobbyEntered>(&body); e && e->state) {
    for (const auto& m : e->state->members) members.push_back(&m);
  } else if (const auto* u = std::get_if<control::LobbyMemberUpdate>(&body); u && u->entered) {
    members.push_back(&*u->entered);
  }
  if (members.empty()) return;
  std::lock_guard lock(state_.mu);
  for (const auto* m : members) {
    if (m->id == state_.steam_id || m->persona_name.empty()) continue;
    auto& entry = state_.personas[m->id];
    entry.name = m->persona_name;
    entry.state = k_EPersonaStateOnline;  // a lobby member is logged on
  }
}

void ServerSession::on_personas(const std::vector<control::PersonaInfo>& personas, const std::vector<SteamID>& asked) {
  std::vector<PersonaStateChange_t> posts;
  {
    std::lock_guard lock(state_.mu);
    for (const SteamID id : asked) {
      if (id == state_.steam_id) continue;
      const control::PersonaInfo* info = nullptr;
      for (const auto& p : personas) {
        if (p.steam_id == id) info = &p;
      }
      // Spec §1.2 rule 5: a user the server cannot name is cached under the decimal ID.
      PersonaEntry fresh;
      fresh.name = info && info->exists && !info->name.empty() ? info->name : id.to_string();
      fresh.state =
          info && info->state == control::PersonaState::online ? k_EPersonaStateOnline : k_EPersonaStateOffline;
      const bool was_fetching = state_.fetching.erase(id) > 0;
      auto [it, inserted] = state_.personas.try_emplace(id, fresh);
      int flags = 0;
      if (inserted) {
        flags = k_EPersonaChangeName;
      } else {
        if (it->second.name != fresh.name) flags |= k_EPersonaChangeName;
        if (it->second.state != fresh.state) flags |= k_EPersonaChangeStatus;
        it->second = fresh;
      }
      if (flags == 0 && was_fetching) flags = k_EPersonaChangeName;  // RequestUserInformation promised one
      if (flags != 0) posts.push_back(PersonaStateChange_t{id.value(), flags});
    }
    for (const auto& p : posts) callbacks_.post(p);  // under state.mu, as in on_persona_changed
  }
}

void ServerSession::on_persona_changed(const control::PersonaChanged& pc) {
  const SteamID id = pc.persona.steam_id;
  if (!id.BIndividualAccount()) return;
  {
    std::lock_guard lock(state_.mu);
    if (id == state_.steam_id) {
      // Our own name changed elsewhere (another session of this account).
      if ((pc.flags & control::kPersonaChangeName) == 0 || unacked_name_ || pc.persona.name == state_.persona) return;
      state_.persona = pc.persona.name;
    } else {
      auto& e = state_.personas[id];
      e.name = pc.persona.exists && !pc.persona.name.empty() ? pc.persona.name : id.to_string();
      e.state = pc.persona.state == control::PersonaState::online ? k_EPersonaStateOnline : k_EPersonaStateOffline;
      state_.fetching.erase(id);
    }
    // Queued before the lock is released: whoever sees the new name or state through a getter
    // also gets its callback from the next RunCallbacks (the queue's lock nests inside state.mu).
    callbacks_.post(PersonaStateChange_t{id.value(), static_cast<int>(pc.flags)});
  }
}

// ------------------------------------------------------------------ P2P host

void ServerSession::send_raw(Bytes datagram, const Address& to) { (void)driver_->send_raw(datagram, to); }

bool ServerSession::send_signal(SteamID to, std::vector<std::uint8_t> payload, Instant now) {
  if (phase_ != Phase::online || conn_ == 0) return false;
  SignalRequest pending{to, payload};
  return send_request(control::SendSignal{to, std::move(payload)}, std::move(pending), now) != 0;
}

bool ServerSession::request_relay(SteamID peer, Instant now) {
  if (phase_ != Phase::online || conn_ == 0) return false;
  return send_request(control::AllocateRelay{peer}, RelayRequest{peer}, now) != 0;
}

p2p::RelayGrant ServerSession::grant(std::uint64_t allocation, const control::RelayToken& token, std::uint16_t port,
                                     SteamID peer) const {
  p2p::RelayGrant g;
  g.allocation = allocation;
  std::copy(token.begin(), token.end(), g.token.begin());
  g.relay = config_.server;  // the server's address as this client reaches it, with the relay port
  g.relay.port = port;
  g.peer = peer;
  return g;
}

bool ServerSession::persona_known(SteamID id) {
  bool start = false;
  {
    std::lock_guard lock(state_.mu);
    if (state_.personas.contains(id)) return true;
    start = state_.fetching.insert(id).second;
  }
  if (start && phase_ == Phase::online) send_fetch({id}, monotonic_now());
  return false;
}

// With SetAutoAcceptLobbyMembers on (spec §5), a request from someone sharing a lobby is
// accepted as the callback is delivered, just before the game's handlers see it: the lobby copy
// is current then (its updates were queued before this request), which it is not yet here.
void ServerSession::post_session_request(SteamID from) {
  callbacks_.post_applying(P2PSessionRequest_t{from}, [p2p = &p2p_shared_, lobbies = &lobbies_, from] {
    std::lock_guard lock(p2p->mu);  // lock order: p2p.mu, then lobbies.mu
    if (!p2p->auto_accept_lobby_members) return;
    bool member = false;
    {
      std::lock_guard lobby_lock(lobbies->mu);
      member = shares_lobby(*lobbies, from);
    }
    // The I/O thread is woken by Client::RunCallbacks once delivery ends (p2p.dirty not empty).
    if (member) (void)p2p::accept_session(*p2p, from);
  });
}

void ServerSession::post_connect_fail(SteamID remote, int error) {
  callbacks_.post(P2PSessionConnectFail_t{remote, static_cast<uint8>(error)});
}

// ------------------------------------------------------------------ teardown

void ServerSession::flush(Instant now) {
  if (auto st = driver_->flush(now); !st && !io_error_logged_) {
    log()->error("client socket failed: {}", st.error().to_string());
    io_error_logged_ = true;
  }
}

void ServerSession::close(std::string_view why) {
  {
    std::lock_guard lock(state_.mu);
    state_.logged_on = false;
  }
  p2p_->close_all(monotonic_now());  // peers see our sessions closed, not a silent timeout
  const transport::ConnectionId conn = conn_;
  conn_ = 0;
  phase_ = Phase::closed;
  initializing_ = false;
  if (conn == 0) return;
  Instant now = monotonic_now();
  if (!endpoint().close(conn, 0, why, now)) return;
  flush(now);
  // Wait (briefly) for the CLOSE to leave, so the server marks us offline at once instead of
  // after backend_liveness.
  const Instant deadline = now + ms(250);
  for (;;) {
    while (auto ev = endpoint().poll_event()) {
      if (const auto* cl = std::get_if<transport::Closed>(&*ev); cl && cl->conn == conn) return;
    }
    while (endpoint().poll_message(rx_)) {
    }
    now = monotonic_now();
    if (now >= deadline || !driver_->run_once(deadline)) return;
  }
}

}  // namespace kettle::client
