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

// Per near filter: (missing or unparsable, |value - target|); smaller is nearer.
using Nearness = std::pair<bool, std::uint64_t>;

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

  // Every search scans the app's lobbies; what keeps it cheap is no allocation per hit (the
  // near values of all hits share one array) and ordering only the results returned.
  struct Hit {
    const Lobby* lobby = nullptr;
    std::size_t near_at = 0;  // this hit's nearness values start here in `nearness`
  };
  std::vector<Hit> hits;
  std::vector<Nearness> nearness;
  for (const auto& [id, l] : lobbies_) {
    if (l->app_id != a.app_id || !l->joinable || l->full()) continue;
    if (l->type != control::LobbyType::public_lobby && l->type != control::LobbyType::invisible) continue;
    if (!matches(l->data, l->max_members - l->members.size(), m.filters)) continue;
    hits.push_back(Hit{l.get(), nearness.size()});
    for (const LobbyFilter* f : near) {
      const auto v = number_at(l->data, f->key);
      nearness.emplace_back(!v, v ? distance(*v, f->number) : 0);
    }
  }
  std::size_t count = m.max_results == 0 ? control::kDefaultLobbyResults : m.max_results;
  count = std::min<std::size_t>({count, control::kMaxLobbyResults, hits.size()});
  // Earlier near filters first, then newest first (also the whole order without near filters).
  const std::size_t n_near = near.size();
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(count), hits.end(),
                    [&](const Hit& x, const Hit& y) {
                      for (std::size_t i = 0; i < n_near; ++i) {
                        const Nearness& nx = nearness[x.near_at + i];
                        const Nearness& ny = nearness[y.near_at + i];
                        if (nx != ny) return nx < ny;
                      }
                      return x.lobby->created_seq > y.lobby->created_seq;
                    });

  control::LobbyList out;
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < count; ++i) {
    const Lobby& l = *hits[i].lobby;
    // Lobby data only (not the members'): a summary carries no member data.
    bytes += control::kLobbySummaryOverheadBytes + data_cost(l.data);
    if (bytes > control::kMaxLobbyListBytes) break;  // the reply must fit one message
    out.lobbies.push_back(summary_of(l));
  }
  return out;
}

}  // namespace kettle::server::lobby
