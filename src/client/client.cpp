// kettle::Client: the public facade. API calls read ClientState under its mutex and queue
// commands for the ServerSession, which runs on the I/O thread (or inside Pump/RunCallbacks
// with manual_pump). Callbacks go through CallbackQueue and reach user code only in RunCallbacks.
#include "kettle/client.hpp"

#include "client/client_config.hpp"
#include "client/client_impl.hpp"
#include "control/messages.hpp"
#include "core/log.hpp"

namespace kettle {

Client::Client() : impl_(std::make_unique<Impl>()) {}
Client::~Client() { Shutdown(); }

std::unique_ptr<Client> Client::Create() { return std::unique_ptr<Client>(new Client()); }

InitResult Client::Init(const ClientConfig& cfg) {
  auto& m = *impl_;
  std::lock_guard life(m.lifecycle_mu);
  if (m.running.load())
    return {k_ESteamAPIInitResult_FailedGeneric, "Init called twice: this client is already logged in"};
  auto resolved = client::resolve_config(cfg);
  if (!resolved) return {k_ESteamAPIInitResult_FailedGeneric, resolved.error().message};
  auto created = client::ServerSession::create(*resolved, m.state, m.callbacks, m.p2p, m.lobbies);
  if (!created) {
    return {k_ESteamAPIInitResult_FailedGeneric, "cannot open the client socket: " + created.error().message};
  }
  std::shared_ptr<client::ServerSession> s = std::move(*created);
  {
    std::lock_guard lock(m.state.mu);
    m.reset_state_locked();
    m.session = s;
  }
  m.reset_p2p();
  m.reset_lobbies();
  m.lobby_data_batch = resolved->lobby.data_batch;
  {
    std::lock_guard lock(m.p2p.mu);
    m.p2p.connect_timeout = resolved->p2p.connect_timeout;
  }
  m.callbacks.clear();
  m.manual = cfg.manual_pump;

  s->begin_init(monotonic_now());
  while (!s->init_outcome()) s->step(kInstantNever);  // the session's own deadline bounds each wait
  InitResult result = *s->init_outcome();
  if (result.code != k_ESteamAPIInitResult_OK) {
    {
      std::lock_guard lock(m.state.mu);
      m.session.reset();
      m.reset_state_locked();
    }
    m.reset_p2p();
    return result;
  }
  m.running.store(true, std::memory_order_release);
  if (!m.manual) {
    m.stop_io.store(false);
    m.io = std::thread([&m, s] {
      while (!m.stop_io.load(std::memory_order_acquire)) s->step(kInstantNever);
    });
  }
  return result;
}

void Client::Shutdown() {
  auto& m = *impl_;
  std::lock_guard life(m.lifecycle_mu);
  if (!m.running.exchange(false)) return;
  if (m.io.joinable()) {
    m.stop_io.store(true, std::memory_order_release);
    m.wake();
    m.io.join();
  }
  std::shared_ptr<client::ServerSession> s;
  {
    std::lock_guard pump(m.pump_mu);  // no Pump() is inside the session now
    {
      std::lock_guard lock(m.state.mu);
      s = m.session;
    }
    if (s) s->close("shutdown");
    std::lock_guard lock(m.state.mu);
    m.session.reset();
    m.reset_state_locked();
  }
  m.reset_p2p();
  m.reset_lobbies();
  m.callbacks.clear();
}

void Client::RunCallbacks() {
  auto& m = *impl_;
  if (!m.running.load(std::memory_order_acquire) || m.callbacks.delivering()) return;
  if (m.manual) m.pump();
  m.callbacks.run();
  // A callback applied at delivery may have accepted a session (SetAutoAcceptLobbyMembers):
  // the I/O thread must send the acceptance now, not at its next timer.
  bool dirty = false;
  {
    std::lock_guard lock(m.p2p.mu);
    dirty = !m.p2p.dirty.empty();
  }
  if (dirty) m.wake();
}

void Client::Pump() {
  if (impl_->manual) impl_->pump();
}

bool Client::BLoggedOn() const {
  auto& m = *impl_;
  if (!m.running.load(std::memory_order_acquire)) return false;
  std::lock_guard lock(m.state.mu);
  return m.state.logged_on;
}

SteamID Client::GetSteamID() const {
  auto& m = *impl_;
  if (!m.running.load(std::memory_order_acquire)) return SteamID();
  std::lock_guard lock(m.state.mu);
  return m.state.steam_id;
}

std::string Client::GetPersonaName() const {
  auto& m = *impl_;
  if (!m.running.load(std::memory_order_acquire)) return {};
  std::lock_guard lock(m.state.mu);
  return m.state.persona;
}

SteamAPICall_t Client::SetPersonaName(std::string_view name) {
  auto& m = *impl_;
  if (!m.running.load(std::memory_order_acquire)) return k_uAPICallInvalid;
  if (!control::validate_name(name, control::kMaxPersonaNameBytes)) return k_uAPICallInvalid;
  SteamID own;
  {
    std::lock_guard lock(m.state.mu);
    if (!m.state.logged_on) return k_uAPICallInvalid;
    own = m.state.steam_id;
    m.state.persona = std::string(name);
    m.state.commands.push_back(client::SetNameCommand{std::string(name)});
  }
  m.callbacks.post(PersonaStateChange_t{own.value(), k_EPersonaChangeName});
  m.wake();
  return m.next_call.fetch_add(1);
}

bool Client::RequestOnlineList(AppId_t app_id) {
  auto& m = *impl_;
  if (!m.running.load(std::memory_order_acquire)) return false;
  {
    std::lock_guard lock(m.state.mu);
    if (!m.state.logged_on) return false;
    m.state.commands.push_back(client::ListOnlineCommand{app_id});
  }
  m.wake();
  return true;
}

std::string Client::GetFriendPersonaName(SteamID id) {
  auto& m = *impl_;
  if (!m.running.load(std::memory_order_acquire)) return {};
  {
    std::lock_guard lock(m.state.mu);
    if (id == m.state.steam_id) return m.state.persona;
    if (auto it = m.state.personas.find(id); it != m.state.personas.end()) return it->second.name;
    if (!id.BIndividualAccount()) return {};
    m.fetch_locked(id);
  }
  m.wake();
  return {};
}

EPersonaState Client::GetFriendPersonaState(SteamID id) {
  auto& m = *impl_;
  if (!m.running.load(std::memory_order_acquire)) return k_EPersonaStateOffline;
  std::lock_guard lock(m.state.mu);
  if (id == m.state.steam_id) return m.state.logged_on ? k_EPersonaStateOnline : k_EPersonaStateOffline;
  if (auto it = m.state.personas.find(id); it != m.state.personas.end()) return it->second.state;
  return k_EPersonaStateOffline;
}

EPersonaState Client::GetPersonaState() const { return BLoggedOn() ? k_EPersonaStateOnline : k_EPersonaStateOffline; }

bool Client::RequestUserInformation(SteamID id, bool /*name_only: names and states come together*/) {
  auto& m = *impl_;
  if (!m.running.load(std::memory_order_acquire) || !id.BIndividualAccount()) return false;
  {
    std::lock_guard lock(m.state.mu);
    if (id == m.state.steam_id || m.state.personas.contains(id)) return false;
    m.fetch_locked(id);
  }
  m.wake();
  return true;
}

Client::NetworkInfo Client::GetNetworkInfo() const {
  auto& m = *impl_;
  if (!m.running.load(std::memory_order_acquire)) return {};
  std::lock_guard lock(m.state.mu);
  return {m.state.local_socket.is_set() ? m.state.local_socket.to_string() : std::string(),
          m.state.reflexive.is_set() ? m.state.reflexive.to_string() : std::string()};
}

bool Client::BIsSubscribedApp(AppId_t app_id) const {
  auto& m = *impl_;
  if (!m.running.load(std::memory_order_acquire)) return false;
  std::lock_guard lock(m.state.mu);
  return app_id != 0 && app_id == m.state.app_id && m.state.subscribed;
}

AppId_t Client::GetAppID() const {
  auto& m = *impl_;
  if (!m.running.load(std::memory_order_acquire)) return 0;
  std::lock_guard lock(m.state.mu);
  return m.state.app_id;
}

CallbackHandle Client::subscribe_raw(int callback_id, std::function<void(const void*)> fn) {
  return impl_->callbacks.subscribe(callback_id, std::move(fn));
}

void Client::Unsubscribe(CallbackHandle h) { impl_->callbacks.unsubscribe(h); }

void Client::SetP2PPacketListener(std::function<void()> fn) {
  std::lock_guard lock(impl_->p2p.mu);
  impl_->p2p.on_readable = std::move(fn);
}

}  // namespace kettle
