// RequestLobbyList (spec §3.6): which lobbies a search finds and in which order.
#include <algorithm>
#include <charconv>
#include <optional>

#include "server/lobby/lobby_detail.hpp"
#include "server/lobby/lobby_table.hpp"

namespace kettle::server::lobby {
namespace {

using control::LobbyComparison;
using control::LobbyFilter;
using control::LobbyFilterKind;

bool valid_comparison(LobbyComparison c) noexcept {
  const auto v = static_cast<std::int8_t>(c);
  return v >= static_cast<std::int8_t>(LobbyComparison::equal_or_less) &&
         v <= static_cast<std::int8_t>(LobbyComparison::not_equal);
}

// `order` is the lobby's value compared with the filter's: <0, 0, >0.
bool holds(LobbyComparison c, int order) noexcept {
  switch (c) {
    case LobbyComparison::equal_or_less:
      return order <= 0;
    case LobbyComparison::less:
      return order < 0;
    case LobbyComparison::equal:
      return order == 0;
    case LobbyComparison::greater:
      return order > 0;
    case LobbyComparison::equal_or_greater:
      return order >= 0;
    case LobbyComparison::not_equal:
      return order != 0;
  }
  return false;
}

// The whole value as base-10 int64, or nothing ("12abc", " 12", "+1", overflow).
std::optional<std::int64_t> parse_int(std::string_view s) {
  std::int64_t v = 0;
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, v, 10);
  if (ec != std::errc() || ptr != end || s.empty()) return std::nullopt;
  return v;
}

std::optional<std::int64_t> number_at(const DataMap& data, const std::string& key) {
  const auto it = data.find(key);
  if (it == data.end()) return std::nullopt;
  return parse_int(it->second);
}

bool matches(const DataMap& data, std::size_t free_slots, const std::vector<LobbyFilter>& filters) {
  for (const LobbyFilter& f : filters) {
    switch (f.kind) {
      case LobbyFilterKind::string: {
        const auto it = data.find(f.key);
        if (it == data.end()) {
          if (f.comparison != LobbyComparison::not_equal) return false;
          break;
        }
        // std::string::compare is a byte (unsigned char) comparison.
        const int c = it->second.compare(f.text);
        if (!holds(f.comparison, c < 0 ? -1 : (c > 0 ? 1 : 0))) return false;
        break;
      }
      case LobbyFilterKind::numerical: {
        const auto v = number_at(data, f.key);
        if (!v) return false;
        if (!holds(f.comparison, *v < f.number ? -1 : (*v > f.number ? 1 : 0))) return false;
        break;
      }
      case LobbyFilterKind::slots_available:
        if (f.number > 0 && free_slots < static_cast<std::uint64_t>(f.number)) return false;
        break;
      case LobbyFilterKind::near_value:  // orders, never excludes
      case LobbyFilterKind::distance:    // one region: no effect
        break;
    }
  }
  return true;
}

// |a - b| without overflow: the difference of two int64 always fits in uint64.
std::uint64_t distance(std::int64_t a, std::int64_t b) noexcept {
  const auto ua = static_cast<std::uint64_t>(a);
  const auto ub = static_cast<std::uint64_t>(b);
  return a >= b ? ua - ub : ub - ua;
}

struct Hit {
  SteamID id;
  std::uint64_t created_seq = 0;
  // Per near filter, in filter order: (missing or unparsable, |value - target|).
  std::vector<std::pair<bool, std::uint64_t>> nearness;
};

}  // namespace

Reply LobbyTable::list(const Actor& a, const control::RequestLobbyList& m) const {
  if (m.filters.size() > control::kMaxLobbyFilters) {
    return control::ErrorReply{control::ResultCode::invalid_param, "more than 64 filters"};
  }
  std::vector<const LobbyFilter*> near;
  for (const LobbyFilter& f : m.filters) {
    if (static_cast<std::uint8_t>(f.kind) > static_cast<std::uint8_t>(LobbyFilterKind::distance)) {
      return control::ErrorReply{control::ResultCode::invalid_param, "unknown filter kind"};
    }
    if ((f.kind == LobbyFilterKind::string || f.kind == LobbyFilterKind::numerical) &&
        !valid_comparison(f.comparison)) {
      return control::ErrorReply{control::ResultCode::invalid_param, "unknown comparison"};
    }
    if (f.kind == LobbyFilterKind::near_value) near.push_back(&f);
  }

  std::vector<Hit> hits;
  for (const auto& [id, l] : lobbies_) {
    if (l->app_id != a.app_id || !l->joinable || l->full()) continue;
    if (l->type != control::LobbyType::public_lobby && l->type != control::LobbyType::invisible) continue;
    if (!matches(l->data, l->max_members - l->members.size(), m.filters)) continue;
    Hit h{id, l->created_seq, {}};
    h.nearness.reserve(near.size());
    for (const LobbyFilter* f : near) {
      const auto v = number_at(l->data, f->key);
      h.nearness.emplace_back(!v, v ? distance(*v, f->number) : 0);
    }
    hits.push_back(std::move(h));
  }
  // Earlier near filters first, then newest first (also the whole order without near filters).
  std::sort(hits.begin(), hits.end(), [](const Hit& x, const Hit& y) {
    if (x.nearness != y.nearness) return x.nearness < y.nearness;
    return x.created_seq > y.created_seq;
  });

  std::size_t count = m.max_results == 0 ? control::kDefaultLobbyResults : m.max_results;
  count = std::min<std::size_t>(count, control::kMaxLobbyResults);
  control::LobbyList out;
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < hits.size() && i < count; ++i) {
    const Lobby& l = *lobbies_.at(hits[i].id);
    // Lobby data only (not the members'): a summary carries no member data.
    bytes += control::kLobbySummaryOverheadBytes + data_cost(l.data);
    if (bytes > control::kMaxLobbyListBytes) break;  // the reply must fit one message
    out.lobbies.push_back(summary_of(l));
  }
  return out;
}

}  // namespace kettle::server::lobby
