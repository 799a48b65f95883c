// kettle-cli lobby (the binary, real processes) through a real kettle-server process: create
// with data and search with every filter (exact fields and counts), a full lobby, what a watcher
// sees (entered, data, owner, chat, left), a `lobby join` that ends (SIGTERM or SIGKILL) reported
// as DISCONNECTED, `members`, and usage errors.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.hpp"

namespace kettle::integration {
namespace {

using nlohmann::json;

json parse_line(const std::string& line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  EXPECT_TRUE(j.is_object() || j.is_array()) << "not JSON: '" << line << "'";
  return j.is_discarded() ? json::object() : j;
}

void expect_clean(const std::string& err) {
  EXPECT_EQ(err.find("Sanitizer"), std::string::npos) << err;
  EXPECT_EQ(err.find("runtime error"), std::string::npos) << err;
}

void expect_usage_error(const RunResult& r, const std::string& needle) {
  EXPECT_EQ(r.exit, 1) << "stdout: " << r.out << "\nstderr: " << r.err;
  EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  expect_clean(r.err);
}

json member(const std::string& id, const std::string& name) { return json{{"steam_id", id}, {"name", name}}; }

class KettleCliLobby : public IntegrationTest {
 protected:
  // --backend-liveness 2: a silent client is dropped (DISCONNECTED) after 2 s, not 20.
  void start_server() {
    server_ = std::make_unique<ServerProcess>(dir(), std::vector<std::string>{"--dev", "--backend-liveness", "2"});
    ASSERT_TRUE(server_->started());
  }
  ServerProcess& server() { return *server_; }

  // A long-running `kettle-cli --name NAME lobby ARGS...`; stderr into the test dir.
  std::unique_ptr<Process> spawn(const std::string& name, const std::vector<std::string>& args) {
    std::vector<std::string> a = {"--server", server_->udp(), "--server-key", server_->key(), "--name", name, "lobby"};
    a.insert(a.end(), args.begin(), args.end());
    return std::make_unique<Process>(kCliPath, a, clean_environment({{"KETTLE_LOG", "warn"}}),
                                     path(name + "-" + std::to_string(++spawned_) + ".log"));
  }
  RunResult lobby(const std::string& name, const std::vector<std::string>& args) {
    std::vector<std::string> a = {"--name", name, "lobby"};
    a.insert(a.end(), args.begin(), args.end());
    return cli(*server_, a);
  }
  std::string steam_id(const std::string& name) { return parse(cli(*server_, {"--name", name, "whoami"}))["steam_id"]; }
  // `lobby create ARGS` as NAME, running; the lobby id from its first line.
  std::string create(const std::string& name, const std::vector<std::string>& args, std::unique_ptr<Process>& p) {
    std::vector<std::string> a = {"create"};
    a.insert(a.end(), args.begin(), args.end());
    p = spawn(name, a);
    const json first = parse_line(p->read_line(in_secs(20)));
    EXPECT_EQ(first.size(), 1u) << first.dump();
    return first.value("lobby_id", "");
  }
  json next(Process& p, double timeout_s = 10) { return parse_line(p.read_line(in_secs(timeout_s))); }
  json list(const std::vector<std::string>& args) {
    std::vector<std::string> a = {"list"};
    a.insert(a.end(), args.begin(), args.end());
    const RunResult r = lobby("lister", a);
    json j = parse(r);
    EXPECT_TRUE(j.is_array()) << r.out;
    return j;
  }
  static std::vector<std::string> ids(const json& lobbies) {
    std::vector<std::string> out;
    for (const auto& l : lobbies) out.push_back(l.value("lobby_id", ""));
    return out;
  }

 private:
  std::unique_ptr<ServerProcess> server_;
  int spawned_ = 0;
};

TEST_F(KettleCliLobby, CreateWithDataThenListShowsExactFieldsAndEveryFilterCounts) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  std::unique_ptr<Process> a, b, c;
  const std::string alpha = create("alice", {"--max", "3", "--data", "mode=ctf", "--data", "name=Alpha"}, a);
  const std::string beta = create("bob", {"--data", "mode=dm", "--data", "score=10"}, b);
  const std::string hidden = create("carol", {"--type", "private", "--data", "mode=ctf"}, c);
  ASSERT_FALSE(alpha.empty());
  ASSERT_FALSE(beta.empty());
  ASSERT_FALSE(hidden.empty());

  // Newest first; the private lobby is not listed. alice and bob are the server's first two
  // accounts (each create waits for its lobby id before the next logs in).
  const json all = list({});
  ASSERT_EQ(all.size(), 2u) << all.dump();
  EXPECT_EQ(all[0], (json{{"lobby_id", beta},
                          {"owner", kSecondAccount},
                          {"members", 1},
                          {"max_members", 250},
                          {"data", {{"mode", "dm"}, {"score", "10"}}}}));
  EXPECT_EQ(all[1], (json{{"lobby_id", alpha},
                          {"owner", kFirstAccount},
                          {"members", 1},
                          {"max_members", 3},
                          {"data", {{"mode", "ctf"}, {"name", "Alpha"}}}}));

  EXPECT_EQ(ids(list({"--filter", "mode=ctf"})), std::vector<std::string>{alpha});
  EXPECT_EQ(ids(list({"--filter-not", "mode=ctf"})), std::vector<std::string>{beta});
  EXPECT_EQ(ids(list({"--filter", "mode=ctf", "--filter", "name=Beta"})), std::vector<std::string>{});
  EXPECT_EQ(ids(list({"--numeric", "score>=10"})), std::vector<std::string>{beta});
  EXPECT_EQ(ids(list({"--numeric", "score>10"})), std::vector<std::string>{});
  EXPECT_EQ(ids(list({"--numeric", "score!=3"})), std::vector<std::string>{beta});  // alpha has no score
  EXPECT_EQ(ids(list({"--count", "1"})), std::vector<std::string>{beta});
  EXPECT_EQ(ids(list({"--slots", "3"})), std::vector<std::string>{beta});  // alpha has 2 free
  EXPECT_EQ(ids(list({"--slots", "2"})), (std::vector<std::string>{beta, alpha}));
  // Near: lobbies without the key come last.
  EXPECT_EQ(ids(list({"--near", "score=0"})), (std::vector<std::string>{beta, alpha}));

  // A creator that is interrupted leaves; its lobby, now empty, is gone from the list.
  b->signal(SIGTERM);
  EXPECT_EQ(b->wait_exit(in_secs(20)), 0) << b->err();
  EXPECT_EQ(ids(list({})), std::vector<std::string>{alpha});
  for (auto* p : {a.get(), c.get()}) {
    p->signal(SIGINT);
    EXPECT_EQ(p->wait_exit(in_secs(20)), 0) << p->err();
    expect_clean(p->err());
  }
}

TEST_F(KettleCliLobby, JoinRefusedWhenFullOrUnknownWithTheResponseAndExit3) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  std::unique_ptr<Process> a;
  const std::string id = create("alice", {"--max", "1"}, a);
  ASSERT_FALSE(id.empty());

  RunResult r = lobby("bob", {"join", id});
  EXPECT_EQ(r.exit, 3) << r.out << r.err;
  EXPECT_EQ(parse_line(r.out), (json{{"lobby_id", id}, {"response", "full"}}));
  EXPECT_NE(r.err.find("could not join lobby " + id + ": full"), std::string::npos) << r.err;
  expect_clean(r.err);

  // A well-formed lobby id nobody created.
  const std::string unknown = std::to_string(std::stoull(id) + 1000);
  r = lobby("bob", {"watch", unknown});
  EXPECT_EQ(r.exit, 3) << r.out << r.err;
  EXPECT_EQ(parse_line(r.out), (json{{"lobby_id", unknown}, {"response", "doesnt_exist"}}));
  r = lobby("bob", {"members", unknown});
  EXPECT_EQ(r.exit, 3) << r.out << r.err;
  r = lobby("bob", {"chat", unknown, "hi"});
  EXPECT_EQ(r.exit, 3) << r.out << r.err;
  EXPECT_TRUE(a->running());  // the creator is unharmed
}

TEST_F(KettleCliLobby, WatcherSeesEnteredDataChatOwnerAndLeftInOrder) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  const std::string bob = steam_id("bob");
  const std::string carol = steam_id("carol");
  const std::string dave = steam_id("dave");

  // The owner is a Client in this process, so the test can change lobby data (no cli action
  // writes data after `create`).
  auto owner = Client::Create();
  ASSERT_EQ(owner->Init(server().client_config("alice")).code, k_ESteamAPIInitResult_OK);
  const std::string alice = std::to_string(owner->GetSteamID().ConvertToUint64());
  auto& mm = owner->matchmaking();
  SteamID lobby_id;
  bool entered = false;
  owner->On<LobbyEnter_t>([&](const LobbyEnter_t& cb) {
    lobby_id = SteamID(cb.m_ulSteamIDLobby);
    entered = true;
  });
  mm.CreateLobby(k_ELobbyTypePublic, 8);
  ASSERT_TRUE(pump_until({owner.get()}, 10, [&] { return entered; }));
  ASSERT_TRUE(mm.SetLobbyData(lobby_id, "map", "dust"));
  const std::string id = std::to_string(lobby_id.ConvertToUint64());

  // The watcher's first line: the lobby as it joined it.
  auto watcher = spawn("carol", {"watch", id});
  json first = next(*watcher, 20);
  int owner_joins = 0;
  owner->On<LobbyChatUpdate_t>([&](const LobbyChatUpdate_t& cb) {
    if (cb.m_rgfChatMemberStateChange == k_EChatMemberStateChangeEntered) ++owner_joins;
  });
  ASSERT_TRUE(pump_until({owner.get()}, 10, [&] { return owner_joins == 1; }));
  EXPECT_EQ(first, (json{{"lobby_id", id},
                         {"response", "success"},
                         {"owner", alice},
                         {"members", {member(alice, "alice"), member(carol, "carol")}},
                         {"max_members", 8},
                         {"data", {{"map", "dust"}}}}));

  // Data from the owner.
  ASSERT_TRUE(mm.SetLobbyData(lobby_id, "map", "inferno"));
  ASSERT_TRUE(mm.SetLobbyData(lobby_id, "round", "2"));
  EXPECT_EQ(next(*watcher),
            (json{{"event", "data"}, {"lobby_id", id}, {"data", {{"map", "inferno"}, {"round", "2"}}}}));

  // Another cli process chats: it enters, its message arrives, it leaves.
  const RunResult chat = lobby("bob", {"chat", id, "hello lobby"});
  EXPECT_EQ(parse(chat), (json{{"lobby_id", id}, {"sent", true}}));
  EXPECT_EQ(next(*watcher), (json{{"event", "entered"}, {"lobby_id", id}, {"user", bob}, {"name", "bob"}}));
  EXPECT_EQ(next(*watcher),
            (json{{"event", "chat"}, {"lobby_id", id}, {"from", bob}, {"name", "bob"}, {"text", "hello lobby"}}));
  EXPECT_EQ(next(*watcher), (json{{"event", "left"}, {"lobby_id", id}, {"user", bob}, {"name", "bob"}}));

  // `members` joins to read the list (so it is in it) and leaves again.
  const json members = parse(lobby("dave", {"members", id}));
  EXPECT_EQ(members["owner"], alice);
  EXPECT_EQ(members["members"], (json{member(alice, "alice"), member(carol, "carol"), member(dave, "dave")}));
  EXPECT_EQ(members["data"], (json{{"map", "inferno"}, {"round", "2"}}));
  EXPECT_EQ(next(*watcher)["event"], "entered");
  EXPECT_EQ(next(*watcher), (json{{"event", "left"}, {"lobby_id", id}, {"user", dave}, {"name", "dave"}}));

  // The owner leaves: the new owner (carol, longest present) first, then the departure.
  mm.LeaveLobby(lobby_id);
  EXPECT_EQ(next(*watcher), (json{{"event", "owner"}, {"lobby_id", id}, {"owner", carol}, {"previous", alice}}));
  EXPECT_EQ(next(*watcher), (json{{"event", "left"}, {"lobby_id", id}, {"user", alice}, {"name", "alice"}}));

  // An interrupted watcher leaves cleanly and prints nothing more.
  watcher->signal(SIGTERM);
  EXPECT_EQ(watcher->wait_exit(in_secs(20)), 0) << watcher->err();
  expect_clean(watcher->err());
  EXPECT_TRUE(ids(list({})).empty());  // carol was the last member: the lobby is gone
  owner->Shutdown();
}

TEST_F(KettleCliLobby, AJoinProcessThatEndsOrIsKilledIsReportedDisconnected) {
  ASSERT_NO_FATAL_FAILURE(start_server());
  const std::string bob = steam_id("bob");
  const std::string dave = steam_id("dave");
  std::unique_ptr<Process> creator;
  const std::string id = create("alice", {}, creator);
  ASSERT_FALSE(id.empty());
  auto watcher = spawn("carol", {"watch", id});
  EXPECT_EQ(next(*watcher, 20)["response"], "success");

  struct Case {
    std::string name, id;
    int sig;
  };
  for (const Case& k : {Case{"bob", bob, SIGTERM}, Case{"dave", dave, SIGKILL}}) {
    SCOPED_TRACE(k.name);
    auto joiner = spawn(k.name, {"join", id});
    const json first = next(*joiner, 20);
    EXPECT_EQ(first["response"], "success") << first.dump();
    EXPECT_EQ(next(*watcher), (json{{"event", "entered"}, {"lobby_id", id}, {"user", k.id}, {"name", k.name}}));
    const auto t0 = Clock::now();
    joiner->signal(k.sig);
    EXPECT_EQ(joiner->wait_exit(in_secs(20)), k.sig == SIGTERM ? 0 : 128 + SIGKILL) << joiner->err();
    expect_clean(joiner->err());
    // Not a clean leave: the server notices the silence after --backend-liveness (2 s).
    EXPECT_EQ(next(*watcher, 15),
              (json{{"event", "disconnected"}, {"lobby_id", id}, {"user", k.id}, {"name", k.name}}));
    const double s = std::chrono::duration<double>(Clock::now() - t0).count();
    EXPECT_GE(s, 1.0) << "reported too early for a lost session";
    EXPECT_LE(s, 8.0);
    std::printf("[ info ] %s after %s: disconnected reported in %.2f s\n", k.name.c_str(),
                k.sig == SIGTERM ? "SIGTERM" : "SIGKILL", s);
  }

  // `--for` ends a join the same way; the creator is still the owner and unharmed.
  auto brief = spawn("erin", {"join", id, "--for", "0.5"});
  EXPECT_EQ(next(*brief, 20)["response"], "success");
  EXPECT_EQ(brief->wait_exit(in_secs(20)), 0) << brief->err();
  EXPECT_EQ(next(*watcher)["event"], "entered");
  EXPECT_EQ(next(*watcher, 15)["event"], "disconnected");
  EXPECT_TRUE(creator->running());
  const json listed = list({});
  ASSERT_EQ(listed.size(), 1u) << listed.dump();
  EXPECT_EQ(listed[0]["members"], 2);  // alice and carol
}

TEST_F(KettleCliLobby, BadArgumentsAreUsageErrorsBeforeAnyLogin) {
  // Nothing listens there: a usage error must come before any attempt to log in.
  const std::vector<std::string> base = {"--server", "127.0.0.1:9", "--server-key", std::string(64, 'a'),
                                         "--name",   "alice",       "lobby"};
  auto run = [&](const std::vector<std::string>& args) {
    std::vector<std::string> a = base;
    a.insert(a.end(), args.begin(), args.end());
    return run_process(kCliPath, a, clean_environment(), 30);
  };
  expect_usage_error(run({"join", "abc"}), "'abc' is not a lobby id");
  expect_usage_error(run({"join", "76561197960265729"}), "is not a lobby id");  // a user id
  expect_usage_error(run({"watch", "-"}), "");
  expect_usage_error(run({"members", "18446744073709551616"}), "is not a lobby id");  // overflow
  expect_usage_error(run({"create", "--max", "0"}), "--max must be 1-250");
  expect_usage_error(run({"create", "--max", "251"}), "--max must be 1-250");
  expect_usage_error(run({"create", "--type", "secret"}), "--type must be private, friends, public or invisible");
  expect_usage_error(run({"create", "--data", "novalue"}), "is not KEY=VALUE");
  expect_usage_error(run({"create", "--data", "=x"}), "the key is empty");
  expect_usage_error(run({"create", "--data", std::string(256, 'k') + "=v"}), "the key is 256 bytes");
  expect_usage_error(run({"create", "--data", "k=" + std::string(8192, 'v')}), "the value is 8192 bytes");
  expect_usage_error(run({"chat", "109775240917205004", std::string(4096, 'x')}), "the chat text is 4096 bytes");
  expect_usage_error(run({"chat", "109775240917205004", ""}), "the chat text is empty");
  expect_usage_error(run({"chat", "109775240917205004"}), "lobby chat takes 2 argument(s), got 1");
  expect_usage_error(run({"list", "--count", "501"}), "--count must be 1-500");
  expect_usage_error(run({"list", "--numeric", "score~3"}), "is not KEY<op>N");
  expect_usage_error(run({"list", "--near", "score=high"}), "is not KEY=N");
  expect_usage_error(run({"list", "--max", "3"}), "--max");  // not a list option
  expect_usage_error(run({"dance"}), "lobby needs an action");
  expect_usage_error(run({}), "lobby needs an action");
}

}  // namespace
}  // namespace kettle::integration
