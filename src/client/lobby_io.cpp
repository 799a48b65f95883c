#include "client/lobby_io.hpp"

#include <algorithm>
#include <limits>
#include <type_traits>
#include <utility>

#include "kettle/matchmaking.hpp"

namespace kettle::client {

namespace {

EResult created_result(const control::ErrorReply& e) {
  switch (e.code) {
    case control::ResultCode::invalid_param:
      return k_EResultInvalidParam;
    case control::ResultCode::access_denied:
      return k_EResultAccessDenied;
    case control::ResultCode::limit_exceeded:
      return k_EResultLimitExceeded;
    case control::ResultCode::no_connection:
      return k_EResultNoConnection;
    default:
      return k_EResultFail;
  }
}

// The server already enforced the key limit: an update never needs refusing here.
void apply_entry(std::vector<control::LobbyEntry>& list, const control::LobbyEntry& change) {
  bool changed = false;
  (void)write_entry(list, change.key, change.value, std::numeric_limits<std::size_t>::max(), changed);
}

control::LobbyMember* member_of(control::LobbyState& s, SteamID id) {
  for (auto& m : s.members)
    if (m.id == id) return &m;
  return nullptr;
}

}  // namespace

void LobbyIo::flush(const Send& send, Instant now) {
  std::deque<control::Body> outbox;
  {
    std::lock_guard lock(shared_.mu);
    outbox.swap(shared_.outbox);
    if (now >= shared_.batch_due) {
      // The batch goes after everything queued before it was due (a leave, a new lobby's join).
      for (auto& [lobby, changes] : shared_.data_batch) {
        control::SetLobbyData m{lobby, {}};
        for (auto& [k, v] : changes) m.changes.push_back({k, v});
        outbox.emplace_back(std::move(m));
      }
      for (auto& [lobby, changes] : shared_.member_batch) {
        control::SetLobbyMemberData m{lobby, {}};
        for (auto& [k, v] : changes) m.changes.push_back({k, v});
        outbox.emplace_back(std::move(m));
      }
      shared_.data_batch.clear();
      shared_.member_batch.clear();
      shared_.batch_due = kInstantNever;
    }
  }
  for (auto& body : outbox) {
    InFlight f;
    if (const auto* c = std::get_if<control::CreateLobby>(&body)) {
      (void)c;
      f = {Kind::create, SteamID(), now + timing_.join_timeout};
    } else if (const auto* j = std::get_if<control::JoinLobby>(&body)) {
      f = {Kind::join, j->lobby, now + timing_.join_timeout};
    } else if (std::holds_alternative<control::RequestLobbyList>(body)) {
      f = {Kind::list, SteamID(), now + timing_.list_timeout};
    } else if (const auto* d = std::get_if<control::RequestLobbyData>(&body)) {
      f = {Kind::data, d->lobby, now + timing_.join_timeout};
    }
    const std::uint32_t id = send(std::move(body));
    if (id == 0) {
      fail(f);
      continue;
    }
    if (f.kind == Kind::list) list_request_ = id;
    in_flight_.emplace(id, f);
  }
}

bool LobbyIo::on_reply(std::uint32_t request_id, const control::Body& body) {
  auto it = in_flight_.find(request_id);
  if (it == in_flight_.end()) return false;
  const InFlight f = it->second;
  in_flight_.erase(it);
  const auto* err = std::get_if<control::ErrorReply>(&body);
  switch (f.kind) {
    case Kind::create:
    case Kind::join:
      if (const auto* e = std::get_if<control::LobbyEntered>(&body)) {
        on_entered(f, *e);
      } else if (f.kind == Kind::create) {
        LobbyCreated_t cb;
        cb.m_eResult = err ? created_result(*err) : k_EResultFail;
        callbacks_.post(cb);
      } else {
        fail(f);
      }
      break;
    case Kind::list: {
      if (request_id != list_request_) break;  // cancelled by a newer RequestLobbyList
      list_request_ = 0;
      std::vector<control::LobbySummary> lobbies;
      if (const auto* l = std::get_if<control::LobbyList>(&body)) lobbies = l->lobbies;
      LobbyMatchList_t cb;
      cb.m_nLobbiesMatching = static_cast<uint32>(lobbies.size());
      callbacks_.post_applying(cb, [sh = &shared_, lobbies = std::move(lobbies)] {
        std::lock_guard lock(sh->mu);
        sh->results.clear();
        for (const auto& s : lobbies) {
          sh->results.push_back(s.lobby);
          sh->snapshots[s.lobby] = s;
        }
      });
      break;
    }
    case Kind::data: {
      const auto* d = std::get_if<control::LobbyData>(&body);
      const bool exists = d != nullptr && d->exists;
      LobbyDataUpdate_t cb;
      cb.m_ulSteamIDLobby = cb.m_ulSteamIDMember = f.lobby.value();
      cb.m_bSuccess = exists ? 1 : 0;
      control::LobbySummary summary = exists ? d->summary : control::LobbySummary{};
      callbacks_.post_applying(cb, [sh = &shared_, exists, lobby = f.lobby, summary = std::move(summary)] {
        std::lock_guard lock(sh->mu);
        if (exists) {
          sh->snapshots[lobby] = summary;
        } else {
          sh->snapshots.erase(lobby);
        }
      });
      break;
    }
    case Kind::other:
      break;  // Ok, or a refusal of a write the API already checked (ownership changed meanwhile)
  }
  return true;
}

void LobbyIo::on_entered(const InFlight& f, const control::LobbyEntered& e) {
  const bool ok = e.response == control::EnterResponse::success && e.state.has_value();
  auto enter = [sh = &shared_, state = e.state.value_or(control::LobbyState{})] {
    std::lock_guard lock(sh->mu);
    // Joining (or creating) a regular lobby left the previous one on the server; here too.
    if (state.type != control::LobbyType::invisible) {
      std::erase_if(sh->joined, [](const auto& kv) { return kv.second.type != control::LobbyType::invisible; });
    }
    sh->joined[state.lobby] = state;
  };
  LobbyEnter_t cb;
  cb.m_ulSteamIDLobby = e.lobby.value();
  cb.m_EChatRoomEnterResponse = static_cast<uint32>(e.response);
  cb.m_bLocked = ok && e.state->type == control::LobbyType::private_only;
  if (f.kind == Kind::create) {
    LobbyCreated_t created;
    created.m_eResult = ok ? k_EResultOK : k_EResultFail;
    created.m_ulSteamIDLobby = ok ? e.lobby.value() : 0;
    if (!ok) {
      callbacks_.post(created);
      return;
    }
    // The creator is owner and member from LobbyCreated_t on: games set lobby data there.
    callbacks_.post_applying(created, enter);
    callbacks_.post(cb);
    return;
  }
  if (ok) {
    callbacks_.post_applying(cb, enter);
  } else {
    callbacks_.post(cb);
  }
}

bool LobbyIo::on_notification(const control::Body& body) {
  if (const auto* u = std::get_if<control::LobbyMemberUpdate>(&body)) {
    LobbyChatUpdate_t cb;
    cb.m_ulSteamIDLobby = u->lobby.value();
    cb.m_ulSteamIDUserChanged = u->member.value();
    cb.m_ulSteamIDMakingChange = u->making_change.value();
    cb.m_rgfChatMemberStateChange = static_cast<uint32>(u->change);
    if (u->change == control::MemberChange::entered) {
      callbacks_.post_applying(
          cb, [sh = &shared_, lobby = u->lobby, m = u->entered.value_or(control::LobbyMember{u->member})] {
            std::lock_guard lock(sh->mu);
            auto it = sh->joined.find(lobby);
            if (it != sh->joined.end() && member_of(it->second, m.id) == nullptr) it->second.members.push_back(m);
          });
      return true;
    }
    auto remove = [sh = &shared_, lobby = u->lobby, member = u->member, owner = u->new_owner] {
      std::lock_guard lock(sh->mu);
      auto it = sh->joined.find(lobby);
      if (it == sh->joined.end()) return;
      std::erase_if(it->second.members, [&](const control::LobbyMember& m) { return m.id == member; });
      if (owner.IsValid()) it->second.owner = owner;
    };
    if (u->new_owner.IsValid()) {
      // Host migration: the owner's data update first, with the leaver already gone (§3.2).
      LobbyDataUpdate_t du;
      du.m_ulSteamIDLobby = du.m_ulSteamIDMember = u->lobby.value();
      du.m_bSuccess = 1;
      callbacks_.post_applying(du, remove);
      callbacks_.post(cb);
    } else {
      callbacks_.post_applying(cb, remove);
    }
    return true;
  }
  if (const auto* d = std::get_if<control::LobbyDataUpdate>(&body)) {
    LobbyDataUpdate_t cb;
    cb.m_ulSteamIDLobby = d->lobby.value();
    cb.m_ulSteamIDMember = d->member.value();
    cb.m_bSuccess = 1;
    callbacks_.post_applying(cb, [sh = &shared_, d = *d] {
      std::lock_guard lock(sh->mu);
      auto it = sh->joined.find(d.lobby);
      if (it == sh->joined.end()) return;
      control::LobbyState& s = it->second;
      // Keys this client wrote again since (still in its unsent batch) keep the newer value.
      const auto& pending = d.member == d.lobby ? sh->data_batch : sh->member_batch;
      const auto mine = pending.find(d.lobby);
      auto newer = [&](const std::string& key) { return mine != pending.end() && mine->second.contains(key); };
      if (d.member == d.lobby) {
        for (const auto& c : d.changes)
          if (!newer(c.key)) apply_entry(s.data, c);
        s.owner = d.owner;
        s.max_members = d.max_members;
        s.joinable = d.joinable;
        s.type = d.type;
      } else if (auto* m = member_of(s, d.member)) {
        for (const auto& c : d.changes)
          if (!newer(c.key)) apply_entry(m->data, c);
      }
    });
    return true;
  }
  if (const auto* c = std::get_if<control::LobbyChat>(&body)) {
    std::uint32_t id = 0;
    {
      std::lock_guard lock(shared_.mu);
      id = shared_.next_chat_id++;
      shared_.chat.emplace(id, LobbyChatEntry{c->lobby, c->from, c->body});
    }
    LobbyChatMsg_t cb;
    cb.m_ulSteamIDLobby = c->lobby.value();
    cb.m_ulSteamIDUser = c->from.value();
    cb.m_iChatID = id;
    // Retrievable until the RunCallbacks after the one that delivers it (§3.5).
    callbacks_.post_applying(cb, [sh = &shared_, cbq = &callbacks_, id] {
      cbq->at_next_run([sh, id] {
        std::lock_guard lock(sh->mu);
        sh->chat.erase(id);
      });
    });
    return true;
  }
  if (const auto* i = std::get_if<control::LobbyInvite>(&body)) {
    LobbyInvite_t cb;
    cb.m_ulSteamIDUser = i->from.value();
    cb.m_ulSteamIDLobby = i->lobby.value();
    cb.m_ulGameID = i->app_id;
    callbacks_.post(cb);
    return true;
  }
  if (const auto* j = std::get_if<control::LobbyJoinRequested>(&body)) {
    GameLobbyJoinRequested_t cb;
    cb.m_steamIDLobby = j->lobby;
    cb.m_steamIDFriend = j->from;
    callbacks_.post(cb);
    return true;
  }
  if (const auto* k = std::get_if<control::LobbyKicked>(&body)) {
    LobbyKicked_t cb;
    cb.m_ulSteamIDLobby = k->lobby.value();
    cb.m_ulSteamIDAdmin = k->admin.value();
    callbacks_.post_applying(cb, [sh = &shared_, lobby = k->lobby] {
      std::lock_guard lock(sh->mu);
      sh->joined.erase(lobby);
    });
    return true;
  }
  return false;
}

void LobbyIo::fail(const InFlight& f) {
  switch (f.kind) {
    case Kind::create: {
      LobbyCreated_t cb;
      cb.m_eResult = k_EResultTimeout;
      callbacks_.post(cb);
      break;
    }
    case Kind::join: {
      LobbyEnter_t cb;
      cb.m_ulSteamIDLobby = f.lobby.value();
      cb.m_EChatRoomEnterResponse = k_EChatRoomEnterResponseError;
      callbacks_.post(cb);
      break;
    }
    case Kind::list: {
      LobbyMatchList_t cb;
      cb.m_bIOFailure = true;
      callbacks_.post_applying(cb, [sh = &shared_] {
        std::lock_guard lock(sh->mu);
        sh->results.clear();
      });
      break;
    }
    case Kind::data: {
      LobbyDataUpdate_t cb;
      cb.m_ulSteamIDLobby = cb.m_ulSteamIDMember = f.lobby.value();
      callbacks_.post(cb);
      break;
    }
    case Kind::other:
      break;
  }
}

void LobbyIo::on_timers(Instant now) {
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    if (now >= it->second.deadline) {
      if (it->second.kind != Kind::list || it->first == list_request_) fail(it->second);
      it = in_flight_.erase(it);
    } else {
      ++it;
    }
  }
}

Instant LobbyIo::next_timer() const {
  Instant next = kInstantNever;
  {
    std::lock_guard lock(shared_.mu);
    next = shared_.batch_due;
  }
  for (const auto& [id, f] : in_flight_) next = std::min(next, f.deadline);
  return next;
}

void LobbyIo::on_connection_lost() {
  for (const auto& [id, f] : in_flight_) {
    if (f.kind != Kind::list || id == list_request_) fail(f);
  }
  in_flight_.clear();
  list_request_ = 0;
  std::lock_guard lock(shared_.mu);
  kick_on_logon_ = kick_on_logon_ || !shared_.joined.empty();
}

void LobbyIo::on_logged_on() {
  if (!kick_on_logon_) return;
  kick_on_logon_ = false;
  std::vector<SteamID> lobbies;
  {
    std::lock_guard lock(shared_.mu);
    for (const auto& [id, s] : shared_.joined) lobbies.push_back(id);
  }
  // The server dropped this user from its lobbies with the lost connection (§3.2 LobbyKicked_t).
  for (const SteamID lobby : lobbies) {
    LobbyKicked_t cb;
    cb.m_ulSteamIDLobby = lobby.value();
    cb.m_ulSteamIDAdmin = lobby.value();
    cb.m_bKickedDueToDisconnect = 1;
    callbacks_.post_applying(cb, [sh = &shared_, lobby] {
      std::lock_guard lock(sh->mu);
      sh->joined.erase(lobby);
    });
  }
}

}  // namespace kettle::client
