#include "bench/lobby_bot.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace kettle::bench {

std::string_view lobby_op_name(LobbyOp op) noexcept {
  constexpr std::array<std::string_view, kLobbyOps> kNames{"create",      "join", "leave", "lobby_data",
                                                           "member_data", "chat", "list"};
  return kNames[static_cast<std::size_t>(op)];
}

// The mix: every fifth player hosts — outside a lobby it creates one (public, 8 places) and
// writes its mode and level first. The others search (mode, a free slot, near a random level)
// and join one of the results; an empty search or a full / vanished lobby sends them back to
// searching. Inside, everybody does 4-16 operations — chat, its member data, the lobby data when
// it owns the lobby — and leaves; a host that leaves hands its lobby to the longest-present member
// and creates the next one. So about clients / 5 lobbies are open, with several members each.
LobbyOp LobbyBot::choose() {
  if (!in_lobby()) {
    if (host_) return LobbyOp::create;
    return candidates_.empty() ? LobbyOp::list : LobbyOp::join;
  }
  if (needs_setup_) return LobbyOp::lobby_data;
  if (ops_left_inside_ <= 0) return LobbyOp::leave;
  if (owner_ && chance(25)) return LobbyOp::lobby_data;
  return chance(55) ? LobbyOp::chat : LobbyOp::member_data;
}

control::Message LobbyBot::start(Instant now) {
  op_ = choose();
  busy_ = true;
  refused_ = false;
  started_ = now;
  request_id_ = request_id_ == 0xFFFFFFFFu ? 1 : request_id_ + 1;
  need_reply_ = true;
  need_echo_ = false;
  echo_ = fmt::format("b{}:{}", index_, ++seq_);
  if (in_lobby() && op_ != LobbyOp::leave) --ops_left_inside_;

  control::Message m;
  m.request_id = request_id_;
  switch (op_) {
    case LobbyOp::create:
      m.body = control::CreateLobby{control::LobbyType::public_lobby, kBenchLobbyMembers};
      break;
    case LobbyOp::join: {
      const SteamID pick = candidates_[rng_.below(candidates_.size())];
      candidates_.clear();  // one attempt per search, like a player clicking one entry
      m.body = control::JoinLobby{pick};
      break;
    }
    case LobbyOp::leave:
      m.body = control::LeaveLobby{lobby_};
      break;
    case LobbyOp::lobby_data: {
      control::SetLobbyData d{lobby_, {}};
      if (needs_setup_) {
        d.changes.push_back({"level", std::to_string(1 + rng_.below(10))});
        d.changes.push_back({"mode", "bench"});
        needs_setup_ = false;
      }
      d.changes.push_back({"round", echo_});
      m.body = std::move(d);
      need_echo_ = true;
      break;
    }
    case LobbyOp::member_data:
      m.body = control::SetLobbyMemberData{lobby_, {{"ready", echo_}}};
      need_echo_ = true;
      break;
    case LobbyOp::chat: {
      const std::string text = echo_ + " gl hf, ready when you are";
      echo_ = text;
      m.body = control::SendLobbyChat{lobby_, std::vector<std::uint8_t>(text.begin(), text.end())};
      need_echo_ = true;
      break;
    }
    case LobbyOp::list: {
      control::RequestLobbyList r;
      control::LobbyFilter mode;
      mode.kind = control::LobbyFilterKind::string;
      mode.key = "mode";
      mode.text = "bench";
      mode.comparison = control::LobbyComparison::equal;
      control::LobbyFilter slots;
      slots.kind = control::LobbyFilterKind::slots_available;
      slots.number = 1;
      control::LobbyFilter near;
      near.kind = control::LobbyFilterKind::near_value;
      near.key = "level";
      near.number = static_cast<std::int64_t>(1 + rng_.below(10));
      r.filters = {mode, slots, near};
      r.max_results = kBenchListResults;
      m.body = std::move(r);
      break;
    }
  }
  return m;
}

LobbyOpDone LobbyBot::finish(Instant now) {
  busy_ = false;
  LobbyOpDone d;
  d.op = op_;
  d.started = started_;
  d.latency = now - started_;
  d.refused = refused_;
  return d;
}

std::optional<LobbyOpDone> LobbyBot::maybe_finish(Instant now) {
  if (!busy_ || need_reply_ || need_echo_) return std::nullopt;
  return finish(now);
}

Result<std::optional<LobbyOpDone>> LobbyBot::on_message(const control::Message& m, Instant now) {
  if (m.request_id != 0) {
    if (!busy_ || m.request_id != request_id_ || !need_reply_) {
      return make_error(Errc::malformed, fmt::format("bot {}: reply {} matches no request in flight", index_,
                                                     control::kind_name(control::kind_of(m.body))));
    }
    need_reply_ = false;
    if (const auto* err = std::get_if<control::ErrorReply>(&m.body)) {
      LobbyOpDone d = finish(now);
      d.error = true;
      d.error_text = fmt::format("{} → {}: {}", lobby_op_name(op_), control::result_code_name(err->code), err->message);
      if (op_ == LobbyOp::lobby_data && err->code == control::ResultCode::access_denied) owner_ = false;
      return std::optional<LobbyOpDone>(std::move(d));
    }
    if (const auto* e = std::get_if<control::LobbyEntered>(&m.body)) {
      if (e->response == control::EnterResponse::success && e->state) {
        lobby_ = e->lobby;
        owner_ = e->state->owner == id_;
        needs_setup_ = op_ == LobbyOp::create;
        ops_left_inside_ = 4 + static_cast<int>(rng_.below(13));
      } else {
        refused_ = true;
      }
    } else if (const auto* l = std::get_if<control::LobbyList>(&m.body)) {
      candidates_.clear();
      for (const auto& s : l->lobbies) {
        if (s.members < s.max_members) candidates_.push_back(s.lobby);
      }
      if (candidates_.empty()) ++empty_searches_;
    } else if (std::holds_alternative<control::Ok>(m.body)) {
      if (op_ == LobbyOp::leave) {
        lobby_ = SteamID{};
        owner_ = false;
      }
    } else {
      return make_error(Errc::malformed, fmt::format("bot {}: unexpected reply {}", index_,
                                                     control::kind_name(control::kind_of(m.body))));
    }
    return maybe_finish(now);
  }

  // Notifications: keep the ownership current and spot our own echo.
  if (const auto* u = std::get_if<control::LobbyDataUpdate>(&m.body)) {
    if (u->lobby != lobby_) return std::optional<LobbyOpDone>{};
    if (u->member == u->lobby) owner_ = u->owner == id_;
    if (busy_ && need_echo_ && (op_ == LobbyOp::lobby_data || op_ == LobbyOp::member_data) &&
        std::any_of(u->changes.begin(), u->changes.end(), [&](const auto& c) { return c.value == echo_; })) {
      need_echo_ = false;
    }
  } else if (const auto* c = std::get_if<control::LobbyChat>(&m.body)) {
    if (busy_ && need_echo_ && op_ == LobbyOp::chat && c->lobby == lobby_ && c->from == id_ &&
        std::equal(c->body.begin(), c->body.end(), echo_.begin(), echo_.end())) {
      need_echo_ = false;
    }
  } else if (const auto* mu = std::get_if<control::LobbyMemberUpdate>(&m.body)) {
    if (mu->lobby == lobby_ && mu->new_owner.value() != 0) owner_ = mu->new_owner == id_;
  } else if (const auto* k = std::get_if<control::LobbyKicked>(&m.body)) {
    if (k->lobby == lobby_) {
      lobby_ = SteamID{};
      owner_ = false;
    }
  }
  return maybe_finish(now);
}

}  // namespace kettle::bench
