// kettle-tutorial: the GodotSteam P2P tutorial's flow (../shared/spec/seed-godotsteam-p2p-tutorial.txt)
// in C++ over Kettle's Matchmaking and Networking APIs. The parent starts an embedded
// kettle-server and two player processes: "host" creates a public lobby (with the tutorial's
// "name" lobby data), accepts session requests from lobby members only (printing the
// requester's name as the tutorial's _on_p2p_session_request does) and answers; "guest" finds
// the lobby by lobby search, joins it, sends the handshake to the lobby's owner, three chat
// lines and a burst of unreliable state updates, then "bye", and leaves the lobby. Each side
// prints lobby events (who entered, left), what it sends and receives, and its session state.
// Exit status: 0 both players finished the flow, 1 a player failed, 2 bad arguments.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/child.hpp"
#include "kettle/client.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr int kStateUpdates = 100;
constexpr const char* kDemoGame = "kettle-tutorial";  // lobby data the guest searches for

struct Options {
  std::string role;  // "", "host" or "guest"
  std::string name;
  std::string peer_name;
  std::string server;
  std::string key;
  double timeout_s = 30;
};

void say(const Options& o, const std::string& text) {
  std::printf("[%s] %s\n", o.name.c_str(), text.c_str());
  std::fflush(stdout);
}

std::string state_text(kettle::Client& c, kettle::SteamID peer) {
  kettle::P2PSessionState_t s;
  if (!c.networking().GetP2PSessionState(peer, &s)) return "no session";
  const std::uint32_t ip = s.m_nRemoteIP;
  return fmt::format("active={} connecting={} error={} relay={} queued={}B remote={}.{}.{}.{}:{}",
                     s.m_bConnectionActive, s.m_bConnecting, s.m_eP2PSessionError, s.m_bUsingRelay,
                     s.m_nBytesQueuedForSend, ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255, s.m_nRemotePort);
}

bool send_json(kettle::Client& c, kettle::SteamID to, const json& j, kettle::EP2PSend type, int channel) {
  const std::string text = j.dump();
  return c.networking().SendP2PPacket(to, text.data(), static_cast<kettle::uint32>(text.size()), type, channel);
}

// Reads every waiting packet on `channel` into `out`; returns how many.
int read_json(kettle::Client& c, int channel, std::vector<std::pair<kettle::SteamID, json>>& out) {
  int n = 0;
  kettle::uint32 size = 0;
  while (c.networking().IsP2PPacketAvailable(&size, channel)) {
    std::string buf(size, '\0');
    kettle::SteamID from;
    if (!c.networking().ReadP2PPacket(buf.data(), size, &size, &from, channel)) break;
    buf.resize(size);
    out.emplace_back(from, json::parse(buf, nullptr, false));
    ++n;
  }
  return n;
}

// The tutorial's membership check: is `user` among the lobby's members?
bool in_lobby(kettle::Client& c, kettle::SteamID lobby, kettle::SteamID user) {
  const int n = c.matchmaking().GetNumLobbyMembers(lobby);
  for (int i = 0; i < n; ++i)
    if (c.matchmaking().GetLobbyMemberByIndex(lobby, i) == user) return true;
  return false;
}

// Runs frames until `done` or the deadline.
bool frames_until(kettle::Client& c, Clock::time_point deadline, const std::function<bool()>& done) {
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    c.RunCallbacks();
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a frame
  }
  return true;
}

// Host: CreateLobby, then the tutorial's lobby data in the LobbyCreated_t handler.
bool host_lobby(kettle::Client& c, const Options& o, Clock::time_point deadline, kettle::SteamID& lobby) {
  auto& mm = c.matchmaking();
  bool entered = false;
  c.On<kettle::LobbyCreated_t>([&](const kettle::LobbyCreated_t& cb) {
    if (cb.m_eResult != kettle::k_EResultOK) return say(o, fmt::format("create_lobby failed: result {}", cb.m_eResult));
    mm.SetLobbyData(kettle::SteamID(cb.m_ulSteamIDLobby), "name", o.name + "'s lobby");
    mm.SetLobbyData(kettle::SteamID(cb.m_ulSteamIDLobby), "game", kDemoGame);
  });
  c.On<kettle::LobbyEnter_t>([&](const kettle::LobbyEnter_t& cb) {
    lobby = kettle::SteamID(cb.m_ulSteamIDLobby);
    entered = cb.m_EChatRoomEnterResponse == kettle::k_EChatRoomEnterResponseSuccess;
  });
  mm.CreateLobby(kettle::k_ELobbyTypePublic, 4);
  if (!frames_until(c, deadline, [&] { return entered; })) return say(o, "could not create the lobby"), false;
  say(o, fmt::format("created public lobby {} \"{}\"; waiting for players", lobby.value(),
                     mm.GetLobbyData(lobby, "name")));
  return true;
}

// Guest: lobby search (string filter on the demo's "game" data) until the host's lobby shows
// up, then JoinLobby; `host` is the lobby's owner.
bool join_lobby(kettle::Client& c, const Options& o, Clock::time_point deadline, kettle::SteamID& lobby,
                kettle::SteamID& host) {
  auto& mm = c.matchmaking();
  int matches = -1;
  c.On<kettle::LobbyMatchList_t>(
      [&](const kettle::LobbyMatchList_t& l) { matches = static_cast<int>(l.m_nLobbiesMatching); });
  while (!lobby.IsValid()) {
    matches = -1;
    mm.AddRequestLobbyListStringFilter("game", kDemoGame, kettle::k_ELobbyComparisonEqual);
    mm.RequestLobbyList();
    if (!frames_until(c, deadline, [&] { return matches >= 0; })) return say(o, "lobby search failed"), false;
    if (matches > 0) {
      lobby = mm.GetLobbyByIndex(0);
      break;
    }
    // Not created yet: search again after some frames.
    frames_until(c, std::min(deadline, Clock::now() + std::chrono::milliseconds(200)), [] { return false; });
    if (Clock::now() >= deadline) return say(o, "no lobby found"), false;
  }
  say(o, fmt::format("lobby search found {} \"{}\" ({}/{} members): joining", lobby.value(),
                     mm.GetLobbyData(lobby, "name"), mm.GetNumLobbyMembers(lobby), mm.GetLobbyMemberLimit(lobby)));
  int response = 0;
  c.On<kettle::LobbyEnter_t>(
      [&](const kettle::LobbyEnter_t& cb) { response = static_cast<int>(cb.m_EChatRoomEnterResponse); });
  mm.JoinLobby(lobby);
  if (!frames_until(c, deadline, [&] { return response != 0; }) || response != kettle::k_EChatRoomEnterResponseSuccess)
    return say(o, fmt::format("join failed: response {}", response)), false;
  host = mm.GetLobbyOwner(lobby);
  std::string names;
  for (int i = 0; i < mm.GetNumLobbyMembers(lobby); ++i)
    names += (i ? ", " : "") + c.GetFriendPersonaName(mm.GetLobbyMemberByIndex(lobby, i));
  say(o, fmt::format("joined the lobby; members: {}", names));
  return true;
}

int run_player(const Options& o) {
  auto client = kettle::Client::Create();
  kettle::ClientConfig cfg;
  cfg.server = o.server;
  cfg.server_key = o.key;
  cfg.login_name = o.name;
  if (auto r = client->Init(cfg); r.code != kettle::k_ESteamAPIInitResult_OK) {
    say(o, "login failed: " + r.message);
    return 1;
  }
  say(o, fmt::format("logged in as {} ({})", client->GetPersonaName(), client->GetSteamID().value()));
  const auto deadline =
      Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.timeout_s));
  kettle::SteamID peer;
  bool failed = false;
  client->On<kettle::P2PSessionConnectFail_t>([&](const kettle::P2PSessionConnectFail_t& f) {
    say(o, fmt::format("p2p_session_connect_fail from {}: error {}", f.m_steamIDRemote.value(), f.m_eP2PSessionError));
    failed = true;
  });
  kettle::SteamID lobby_id;  // the lobby both players are in, once they are
  client->On<kettle::P2PSessionRequest_t>([&](const kettle::P2PSessionRequest_t& r) {
    // The tutorial's _on_p2p_session_request: name first, then accept lobby members only
    // (kettle::LobbySessionPolicy does the same in one line).
    const std::string name = client->GetFriendPersonaName(r.m_steamIDRemote);
    if (!in_lobby(*client, lobby_id, r.m_steamIDRemote)) {
      say(o, fmt::format("p2p_session_request from {}: not in our lobby, refusing", name));
      client->networking().CloseP2PSessionWithUser(r.m_steamIDRemote);
      return;
    }
    say(o, fmt::format("p2p_session_request from {} ({}): a lobby member, accepting", name, r.m_steamIDRemote.value()));
    client->networking().AcceptP2PSessionWithUser(r.m_steamIDRemote);
    peer = r.m_steamIDRemote;
  });

  std::vector<std::pair<kettle::SteamID, json>> inbox;
  auto& mm = client->matchmaking();
  kettle::SteamID& lobby = lobby_id;
  bool guest_left = false;
  client->On<kettle::LobbyChatUpdate_t>([&](const kettle::LobbyChatUpdate_t& u) {
    const kettle::SteamID who(u.m_ulSteamIDUserChanged);
    const char* what = u.m_rgfChatMemberStateChange == kettle::k_EChatMemberStateChangeEntered ? "entered"
                       : u.m_rgfChatMemberStateChange == kettle::k_EChatMemberStateChangeLeft  ? "left"
                                                                                               : "dropped out of";
    say(o, fmt::format("{} {} the lobby ({} members now)", client->GetFriendPersonaName(who), what,
                       mm.GetNumLobbyMembers(lobby)));
    if (u.m_rgfChatMemberStateChange != kettle::k_EChatMemberStateChangeEntered) guest_left = true;
  });
  if (!(o.role == "host" ? host_lobby(*client, o, deadline, lobby) : join_lobby(*client, o, deadline, lobby, peer)))
    return 1;
  if (o.role == "guest") {
    say(o, fmt::format("sending handshake to the lobby owner {}", client->GetFriendPersonaName(peer)));
    send_json(*client, peer, {{"message", "handshake"}, {"from", client->GetSteamID().value()}},
              kettle::k_EP2PSendReliable, 0);
  }

  int chats = 0, states = 0;
  bool handshake_back = false, bye = false, sent_rest = false;
  while (Clock::now() < deadline && !failed && !bye) {
    client->RunCallbacks();
    inbox.clear();
    states += read_json(*client, 1, inbox);  // first: the bye on channel 0 reports the count
    inbox.clear();
    read_json(*client, 0, inbox);
    for (auto& [from, msg] : inbox) {
      const std::string kind = msg.value("message", "");
      const std::string who = client->GetFriendPersonaName(from);
      say(o, fmt::format("received {} from {}: {}", kind, who.empty() ? o.peer_name : who, msg.dump()));
      if (kind == "handshake" && o.role == "host") {
        peer = from;
        send_json(*client, from, {{"message", "handshake"}, {"from", client->GetSteamID().value()}},
                  kettle::k_EP2PSendReliable, 0);
      } else if (kind == "handshake") {
        handshake_back = true;
      } else if (kind == "chat") {
        ++chats;
        if (o.role == "host")
          send_json(*client, from, {{"message", "chat"}, {"text", "got: " + msg.value("text", "")}},
                    kettle::k_EP2PSendReliable, 0);
      } else if (kind == "bye") {
        if (o.role == "host") {
          say(o, fmt::format("state updates received: {} of {}", states, kStateUpdates));
          send_json(*client, from, {{"message", "bye"}, {"states", states}}, kettle::k_EP2PSendReliable, 0);
          // Linger until the guest has it: it closes first.
        } else {
          say(o, fmt::format("host saw {} of {} state updates", msg.value("states", 0), kStateUpdates));
          bye = true;
        }
      }
    }
    if (o.role == "guest" && handshake_back && !sent_rest) {
      for (int i = 1; i <= 3; ++i) {
        const std::string line = fmt::format("chat line {}", i);
        say(o, "sending chat: " + line);
        send_json(*client, peer, {{"message", "chat"}, {"text", line}}, kettle::k_EP2PSendReliable, 0);
      }
      say(o, fmt::format("sending {} unreliable state updates on channel 1", kStateUpdates));
      for (int i = 0; i < kStateUpdates; ++i)
        send_json(*client, peer, {{"message", "state"}, {"tick", i}, {"x", i * 0.5}}, kettle::k_EP2PSendUnreliable, 1);
      send_json(*client, peer, {{"message", "bye"}}, kettle::k_EP2PSendReliable, 0);
      sent_rest = true;
    }
    if (o.role == "host" && peer.IsValid()) {
      kettle::P2PSessionState_t s;
      // The guest closed its side after reading our bye: the host is done too.
      if (states > 0 && chats >= 3 && guest_left && client->networking().GetP2PSessionState(peer, &s) &&
          s.m_bConnectionActive == 0 && s.m_bConnecting == 0)
        bye = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // a frame
  }
  if (peer.IsValid()) say(o, "session state: " + state_text(*client, peer));
  if (!bye) return say(o, failed ? "session failed" : "timed out"), 1;
  if (o.role == "guest") {
    say(o, fmt::format("chat replies: {}; leaving the lobby and closing the session", chats));
    mm.LeaveLobby(lobby);
    client->networking().CloseP2PSessionWithUser(peer);
    if (chats < 3) return 1;
  }
  client->Shutdown();
  say(o, "done");
  return 0;
}

int run_parent(const std::string& self, const Options& o) {
  kettle::EmbeddedServer::Options so;
  std::string err;
  auto server = kettle::EmbeddedServer::Start(so, &err);
  if (!server) return std::fprintf(stderr, "kettle-tutorial: embedded server failed: %s\n", err.c_str()), 1;
  std::printf("embedded kettle-server at %s; starting host \"bob\" and guest \"alice\"\n", server->address().c_str());
  std::fflush(stdout);
  auto spawn = [&](const std::string& role, const std::string& name, const std::string& peer) {
    return kettle::bench::ChildProcess::spawn(
        self, {"--role", role, "--name", name, "--peer-name", peer, "--server", server->address(), "--server-key",
               server->public_key(), "--timeout", fmt::format("{}", o.timeout_s)});
  };
  auto host = spawn("host", "bob", "alice");
  if (!host) return std::fprintf(stderr, "spawn failed: %s\n", host.error().message.c_str()), 1;
  // The guest starts once the host's lobby exists (it would search again until then).
  const auto deadline = kettle::monotonic_now() + kettle::secs(static_cast<long>(o.timeout_s) + 5);
  for (;;) {
    auto line = host->read_line(deadline);
    if (!line) return std::fprintf(stderr, "host: %s\n", line.error().message.c_str()), 1;
    std::printf("%s\n", line->c_str());
    if (line->find("waiting for players") != std::string::npos) break;
  }
  auto guest = spawn("guest", "alice", "bob");
  if (!guest) return std::fprintf(stderr, "spawn failed: %s\n", guest.error().message.c_str()), 1;
  // Interleave both outputs as they come (one reader thread per child).
  std::thread th([&] {
    while (auto l = host->read_line(deadline)) std::printf("%s\n", l->c_str()), std::fflush(stdout);
  });
  while (auto l = guest->read_line(deadline)) std::printf("%s\n", l->c_str()), std::fflush(stdout);
  th.join();
  auto hx = host->wait(deadline);
  auto gx = guest->wait(deadline);
  const bool ok = hx && gx && hx->exited_ok() && gx->exited_ok();
  std::printf("%s\n", ok ? "tutorial flow complete: both players exited 0" : "tutorial flow FAILED");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"kettle-tutorial: the GodotSteam P2P tutorial flow between two processes"};
  app.add_option("--role", o.role, "internal: host or guest")->check(CLI::IsMember({"host", "guest"}));
  app.add_option("--name", o.name, "internal: login name");
  app.add_option("--peer-name", o.peer_name, "internal: the other player's name");
  app.add_option("--server", o.server, "internal: server address");
  app.add_option("--server-key", o.key, "internal: server key");
  app.add_option("--timeout", o.timeout_s, "seconds before giving up")->check(CLI::Range(1.0, 600.0));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (!o.role.empty()) return run_player(o);
  auto self = kettle::bench::self_exe_path();
  if (!self) return std::fprintf(stderr, "kettle-tutorial: %s\n", self.error().message.c_str()), 1;
  return run_parent(*self, o);
}
