// kettle-cli online against a real kettle-server process: the logged-in users (the caller
// included), updated when one logs off; refused (exit 3) where the server disables listing.
#include <nlohmann/json.hpp>

#include "harness.hpp"

namespace kettle::integration {
namespace {

using nlohmann::json;

class KettleCliOnline : public IntegrationTest {};

TEST_F(KettleCliOnline, ListsTheLoggedInUsers) {
  ServerProcess server(dir(), {"--dev"});
  ASSERT_TRUE(server.started());
  auto alice = Client::Create();
  ASSERT_EQ(alice->Init(server.client_config("alice")).code, k_ESteamAPIInitResult_OK);

  json list = parse(cli(server, {"--name", "bob", "online"}));
  ASSERT_TRUE(list["online"].is_array()) << list.dump();
  std::map<std::string, std::string> names;
  for (const auto& u : list["online"]) names[u["steam_id"].get<std::string>()] = u["persona_name"].get<std::string>();
  EXPECT_EQ(names[kFirstAccount], "alice") << list.dump();
  EXPECT_EQ(names[kSecondAccount], "bob") << list.dump();  // the caller is online too

  alice->Shutdown();  // waits for its CLOSE to leave: the server drops alice at once
  list = parse(cli(server, {"--name", "bob", "online"}));
  for (const auto& u : list["online"]) EXPECT_NE(u["steam_id"], kFirstAccount) << list.dump();
}

TEST_F(KettleCliOnline, DisabledOnTheServerExitsThree) {
  ServerProcess server(dir(), {"--dev", "--http", "off", "--allow-list-online", "false"});
  ASSERT_TRUE(server.started());
  const RunResult r = cli(server, {"--name", "bob", "online"});
  EXPECT_EQ(r.exit, 3) << r.err;
  EXPECT_NE(r.err.find("allow_list_online is off"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

}  // namespace
}  // namespace kettle::integration
