// The in-process LobbyStore: the same operations as the SQLite one, applied to maps, so tests
// can hold both to the table's state.
#include <map>

#include "server/lobby/lobby_store.hpp"

namespace kettle::server::lobby {
namespace {

struct StoredMember {
  SteamID user;
  std::string persona_name;
  std::map<std::string, std::string> data;
};

struct StoredLobby {
  PutLobby meta;
  std::map<std::uint64_t, StoredMember> members;  // by join_seq
  std::map<std::string, std::string> data;
};

void put(std::map<std::string, std::string>& data, const std::string& key, const std::string& value) {
  if (value.empty()) {
    data.erase(key);
  } else {
    data.insert_or_assign(key, value);
  }
}

std::vector<control::LobbyEntry> entries(const std::map<std::string, std::string>& data) {
  std::vector<control::LobbyEntry> out;
  for (const auto& [k, v] : data) out.push_back(control::LobbyEntry{k, v});
  return out;
}

class MemoryLobbyStore final : public LobbyStore {
 public:
  Status flush() override {
    for (const StoreOp& op : pending_) std::visit([this](const auto& o) { apply(o); }, op);
    pending_.clear();
    return {};
  }

  Status clear() override {
    lobbies_.clear();
    pending_.clear();
    return {};
  }

  Result<std::vector<control::LobbyState>> load_all() override {
    std::vector<control::LobbyState> out;
    for (const auto& [id, l] : lobbies_) {
      control::LobbyState s;
      s.lobby = id;
      s.type = l.meta.type;
      s.max_members = l.meta.max_members;
      s.joinable = l.meta.joinable;
      s.owner = l.meta.owner;
      for (const auto& [seq, m] : l.members) {
        s.members.push_back(control::LobbyMember{m.user, m.persona_name, entries(m.data)});
      }
      s.data = entries(l.data);
      out.push_back(std::move(s));
    }
    return out;
  }

 private:
  void apply(const PutLobby& o) { lobbies_[o.lobby].meta = o; }
  void apply(const DeleteLobby& o) { lobbies_.erase(o.lobby); }
  void apply(const PutMember& o) {
    const auto it = lobbies_.find(o.lobby);
    if (it == lobbies_.end()) return;  // as SQLite: a member row without its lobby is never loaded
    auto& members = it->second.members;
    std::erase_if(members, [&](const auto& kv) { return kv.second.user == o.user; });
    members[o.join_seq] = StoredMember{o.user, o.persona_name, {}};
  }
  void apply(const RemoveMember& o) {
    const auto it = lobbies_.find(o.lobby);
    if (it == lobbies_.end()) return;
    std::erase_if(it->second.members, [&](const auto& kv) { return kv.second.user == o.user; });
  }
  void apply(const PutData& o) {
    const auto it = lobbies_.find(o.lobby);
    if (it == lobbies_.end()) return;
    if (!o.member.IsValid()) {
      put(it->second.data, o.key, o.value);
      return;
    }
    for (auto& [seq, m] : it->second.members) {
      if (m.user == o.member) put(m.data, o.key, o.value);
    }
  }

  std::map<SteamID, StoredLobby> lobbies_;  // by id, as load_all() lists them
};

}  // namespace

std::unique_ptr<LobbyStore> make_memory_lobby_store() { return std::make_unique<MemoryLobbyStore>(); }

}  // namespace kettle::server::lobby
