// kettle-server's configuration: precedence flags > environment > file > defaults, the apps
// list, subcommands, and every error path with its message.
#include "server/config/server_config.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace kettle::server {
namespace {

namespace fs = std::filesystem;

class ServerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "kettle-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = (fs::path(dir_) / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::string dir_;
};

ServerConfig parse_ok(const std::vector<std::string>& args, const Environment& env = {}) {
  auto r = parse_server_config(args, env);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(*r) : ServerConfig{};
}

std::string parse_error(const std::vector<std::string>& args, const Environment& env = {}) {
  auto r = parse_server_config(args, env);
  if (r.ok()) return "(parsed without error)";
  EXPECT_EQ(r.code(), Errc::invalid_argument);
  return r.error().message;
}

Address addr(const char* text) { return *Address::parse(text); }

TEST_F(ServerConfigTest, Defaults) {
  auto c = parse_ok({});
  EXPECT_EQ(c.command, Command::serve);
  EXPECT_EQ(c.options.udp, addr("127.0.0.1:27015"));
  ASSERT_TRUE(c.options.http.has_value());
  EXPECT_EQ(*c.options.http, addr("127.0.0.1:27080"));
  EXPECT_EQ(c.options.db_path, "kettle.db");
  EXPECT_FALSE(c.options.dev);
  EXPECT_EQ(c.key_path, "kettle-server.key");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.log_format, "text");
  EXPECT_EQ(c.options.certificate_lifetime, secs(3600));
  EXPECT_EQ(c.options.backend_liveness, secs(20));
  EXPECT_EQ(c.options.auth_threads, 2u);
  EXPECT_TRUE(c.options.allow_list_online);
  EXPECT_FALSE(c.options.precise_session_errors);  // privacy by default
  EXPECT_TRUE(c.options.apps.empty());
  EXPECT_FALSE(c.config_file.has_value());
}

// For several fields: file sets one value, environment another, the flag a third; each layer
// is peeled off in turn and the next one down must show through.
TEST_F(ServerConfigTest, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  const std::string file = write("k.json", R"({"udp": "127.0.0.1:1001", "http": "127.0.0.1:2001", "db": "file.db",
      "key": "file.key", "log_level": "debug", "auth_threads": 3, "certificate_lifetime_s": 601,
      "max_clients": 11, "log_format": "logfmt", "backend_liveness_s": 31, "allow_list_online": false})");
  const Environment env = {{"KETTLE_CONFIG", file},           {"KETTLE_UDP", "127.0.0.1:1002"},
                           {"KETTLE_HTTP", "127.0.0.1:2002"}, {"KETTLE_DB", "env.db"},
                           {"KETTLE_KEY", "env.key"},         {"KETTLE_LOG_LEVEL", "warn"},
                           {"KETTLE_AUTH_THREADS", "4"},      {"KETTLE_CERTIFICATE_LIFETIME_S", "602"}};
  const std::vector<std::string> flags = {"--udp",
                                          "127.0.0.1:1003",
                                          "--http",
                                          "127.0.0.1:2003",
                                          "--db",
                                          "flag.db",
                                          "--key",
                                          "flag.key",
                                          "--log-level",
                                          "error",
                                          "--auth-threads",
                                          "5",
                                          "--certificate-lifetime",
                                          "603"};

  auto c = parse_ok(flags, env);
  EXPECT_EQ(c.options.udp, addr("127.0.0.1:1003"));
  EXPECT_EQ(*c.options.http, addr("127.0.0.1:2003"));
  EXPECT_EQ(c.options.db_path, "flag.db");
  EXPECT_EQ(c.key_path, "flag.key");
  EXPECT_EQ(c.log_level, "error");
  EXPECT_EQ(c.options.auth_threads, 5u);
  EXPECT_EQ(c.options.certificate_lifetime, secs(603));
  // Fields set only by the file show through every layer above.
  EXPECT_EQ(c.options.max_clients, 11u);
  EXPECT_EQ(c.log_format, "logfmt");
  EXPECT_EQ(c.options.backend_liveness, secs(31));
  EXPECT_FALSE(c.options.allow_list_online);
  EXPECT_EQ(c.config_file, file);

  c = parse_ok({}, env);
  EXPECT_EQ(c.options.udp, addr("127.0.0.1:1002"));
  EXPECT_EQ(*c.options.http, addr("127.0.0.1:2002"));
  EXPECT_EQ(c.options.db_path, "env.db");
  EXPECT_EQ(c.key_path, "env.key");
  EXPECT_EQ(c.log_level, "warn");
  EXPECT_EQ(c.options.auth_threads, 4u);
  EXPECT_EQ(c.options.certificate_lifetime, secs(602));

  c = parse_ok({}, {{"KETTLE_CONFIG", file}});
  EXPECT_EQ(c.options.udp, addr("127.0.0.1:1001"));
  EXPECT_EQ(*c.options.http, addr("127.0.0.1:2001"));
  EXPECT_EQ(c.options.db_path, "file.db");
  EXPECT_EQ(c.key_path, "file.key");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.options.auth_threads, 3u);
  EXPECT_EQ(c.options.certificate_lifetime, secs(601));

  c = parse_ok({});
  EXPECT_EQ(c.options.udp, addr("127.0.0.1:27015"));
  EXPECT_EQ(c.options.db_path, "kettle.db");
}

TEST_F(ServerConfigTest, RepeatedFlagLastOneWins) {
  // Wrapper scripts append overrides to a fixed command line.
  auto c = parse_ok({"--db", "a.db", "--http", "off", "--db", "b.db", "--http", "127.0.0.1:1"});
  EXPECT_EQ(c.options.db_path, "b.db");
  ASSERT_TRUE(c.options.http.has_value());
  EXPECT_EQ(*c.options.http, addr("127.0.0.1:1"));
}

TEST_F(ServerConfigTest, ConfigFlagBeatsConfigEnvironment) {
  const std::string a = write("a.json", R"({"db": "a.db"})");
  const std::string b = write("b.json", R"({"db": "b.db"})");
  auto c = parse_ok({"--config", b}, {{"KETTLE_CONFIG", a}});
  EXPECT_EQ(c.options.db_path, "b.db");
  EXPECT_EQ(c.config_file, b);
}

TEST_F(ServerConfigTest, DevPrecedence) {
  const std::string on = write("on.json", R"({"dev": true})");
  EXPECT_TRUE(parse_ok({"--config", on}).options.dev);
  EXPECT_FALSE(parse_ok({"--config", on}, {{"KETTLE_DEV", "false"}}).options.dev);      // env beats file
  EXPECT_TRUE(parse_ok({"--config", on, "--dev"}, {{"KETTLE_DEV", "0"}}).options.dev);  // flag beats env
  EXPECT_TRUE(parse_ok({}, {{"KETTLE_DEV", "yes"}}).options.dev);
  EXPECT_TRUE(parse_ok({}, {{"KETTLE_DEV", "ON"}}).options.dev);
  EXPECT_FALSE(parse_ok({}, {{"KETTLE_DEV", ""}}).options.dev);  // empty counts as unset
}

TEST_F(ServerConfigTest, HttpOffFromEachSource) {
  const std::string off = write("off.json", R"({"http": "off"})");
  EXPECT_FALSE(parse_ok({"--config", off}).options.http.has_value());
  EXPECT_FALSE(parse_ok({}, {{"KETTLE_HTTP", "OFF"}}).options.http.has_value());
  EXPECT_FALSE(parse_ok({"--http", "off"}).options.http.has_value());
  // ... and a flag turns it back on over an env "off".
  auto c = parse_ok({"--http", "127.0.0.1:0"}, {{"KETTLE_HTTP", "off"}});
  ASSERT_TRUE(c.options.http.has_value());
  EXPECT_EQ(c.options.http->port, 0);
}

TEST_F(ServerConfigTest, RelayFromEachSource) {
  auto d = parse_ok({});
  ASSERT_TRUE(d.options.relay.has_value());
  EXPECT_FALSE(d.options.relay->is_set());  // auto
  EXPECT_EQ(d.options.relay_bind_address(), addr("127.0.0.1:27016"));
  EXPECT_EQ(d.options.relay_rate_bytes, 8'000'000u);
  EXPECT_EQ(d.options.relay_idle_timeout, secs(60));
  EXPECT_EQ(d.options.relay_max_allocations, 64u);
  // auto follows --udp; udp port 0 gives an ephemeral relay port.
  EXPECT_EQ(parse_ok({"--udp", "0.0.0.0:4000"}).options.relay_bind_address(), addr("0.0.0.0:4001"));
  EXPECT_EQ(parse_ok({"--udp", "127.0.0.1:0"}).options.relay_bind_address(), addr("127.0.0.1:0"));

  const std::string file = write("relay.json", R"({"relay": "off", "relay_rate_bytes": 100000,
                                                  "relay_idle_timeout_s": 5, "relay_max_allocations": 3})");
  auto f = parse_ok({"--config", file});
  EXPECT_FALSE(f.options.relay.has_value());
  EXPECT_FALSE(f.options.relay_bind_address().has_value());
  EXPECT_EQ(f.options.relay_rate_bytes, 100000u);
  EXPECT_EQ(f.options.relay_idle_timeout, secs(5));
  EXPECT_EQ(f.options.relay_max_allocations, 3u);
  auto e = parse_ok({"--config", file}, {{"KETTLE_RELAY", "127.0.0.1:5000"}, {"KETTLE_RELAY_MAX_ALLOCATIONS", "9"}});
  EXPECT_EQ(e.options.relay, addr("127.0.0.1:5000"));
  EXPECT_EQ(e.options.relay_max_allocations, 9u);
  auto g = parse_ok({"--relay", "AUTO", "--relay-rate-bytes", "2000", "--relay-idle-timeout", "7"},
                    {{"KETTLE_RELAY", "off"}});
  ASSERT_TRUE(g.options.relay.has_value());
  EXPECT_FALSE(g.options.relay->is_set());
  EXPECT_EQ(g.options.relay_rate_bytes, 2000u);
  EXPECT_EQ(g.options.relay_idle_timeout, secs(7));
  EXPECT_EQ(parse_error({"--relay", "nowhere"}), "--relay: 'nowhere' is not HOST:PORT, 'auto' or 'off'");
}

TEST_F(ServerConfigTest, AppsList) {
  const std::string file = write("apps.json", R"({
    "apps": [{"app_id": 480, "name": "Spacewar", "open": true, "precise_session_errors": true},
             {"app_id": 1000, "open": false, "allow": ["alice", "bob"]},
             {"app_id": 4294967295}]})");
  auto c = parse_ok({"--config", file});
  ASSERT_EQ(c.options.apps.size(), 3u);
  EXPECT_EQ(c.options.apps[0].app_id, 480u);
  EXPECT_EQ(c.options.apps[0].name, "Spacewar");
  EXPECT_TRUE(c.options.apps[0].open);
  EXPECT_TRUE(c.options.apps[0].allow.empty());
  EXPECT_TRUE(c.options.apps[0].precise_session_errors);
  EXPECT_FALSE(c.options.apps[1].precise_session_errors);  // default
  EXPECT_EQ(c.options.apps[1].app_id, 1000u);
  EXPECT_FALSE(c.options.apps[1].open);
  EXPECT_EQ(c.options.apps[1].allow, (std::vector<std::string>{"alice", "bob"}));
  EXPECT_EQ(c.options.apps[2].app_id, 4294967295u);
  EXPECT_TRUE(c.options.apps[2].open);  // default
}

TEST_F(ServerConfigTest, PreciseSessionErrorsFromEachSource) {
  const std::string file = write("p.json", R"({"precise_session_errors": true})");
  EXPECT_TRUE(parse_ok({"--config", file}).options.precise_session_errors);
  EXPECT_TRUE(parse_ok({}, {{"KETTLE_PRECISE_SESSION_ERRORS", "yes"}}).options.precise_session_errors);
  EXPECT_FALSE(parse_ok({"--precise-session-errors", "off"}, {{"KETTLE_CONFIG", file}}).options.precise_session_errors);
  EXPECT_EQ(parse_error({"--precise-session-errors", "maybe"}),
            "--precise-session-errors: 'maybe' is not a boolean (true/false, 1/0, yes/no, on/off)");
  const std::string bad = write("pb.json", R"({"apps": [{"app_id": 480, "precise_session_errors": 1}]})");
  EXPECT_EQ(parse_error({"--config", bad}),
            "config file " + bad + ": apps[0].precise_session_errors must be true or false, not a number");
}

TEST_F(ServerConfigTest, BadAddressesNameTheirSource) {
  EXPECT_EQ(parse_error({"--udp", "abc"}), "--udp: 'abc' is not HOST:PORT (e.g. 127.0.0.1:27015)");
  EXPECT_EQ(parse_error({}, {{"KETTLE_UDP", "1.2.3.4"}}),
            "KETTLE_UDP: '1.2.3.4' is not HOST:PORT (e.g. 127.0.0.1:27015)");
  EXPECT_EQ(parse_error({"--http", "127.0.0.1:99999"}), "--http: '127.0.0.1:99999' is not HOST:PORT or 'off'");
  const std::string f = write("udp.json", R"({"udp": "nowhere"})");
  EXPECT_EQ(parse_error({"--config", f}),
            "config file " + f + ": udp: 'nowhere' is not HOST:PORT (e.g. 127.0.0.1:27015)");
}

TEST_F(ServerConfigTest, BadScalarsNameTheirSource) {
  EXPECT_EQ(parse_error({"--auth-threads", "two"}), "--auth-threads: 'two' is not a whole number in 0..4294967295");
  EXPECT_EQ(parse_error({"--max-clients", "-1"}), "--max-clients: '-1' is not a whole number in 0..4294967295");
  EXPECT_EQ(parse_error({"--certificate-lifetime", "4294967296"}),
            "--certificate-lifetime: '4294967296' is not a whole number in 0..4294967295");
  EXPECT_EQ(parse_error({}, {{"KETTLE_BACKEND_LIVENESS_S", "20s"}}),
            "KETTLE_BACKEND_LIVENESS_S: '20s' is not a whole number in 0..4294967295");
  EXPECT_EQ(parse_error({}, {{"KETTLE_DEV", "maybe"}}),
            "KETTLE_DEV: 'maybe' is not a boolean (true/false, 1/0, yes/no, on/off)");
  EXPECT_EQ(parse_error({"--allow-list-online", "2"}),
            "--allow-list-online: '2' is not a boolean (true/false, 1/0, yes/no, on/off)");
  EXPECT_EQ(parse_error({"--log-level", "verbose"}),
            "--log-level: 'verbose' is not one of trace, debug, info, warn, error, off");
  EXPECT_EQ(parse_error({"--log-format", "xml"}), "--log-format: 'xml' is not one of text, logfmt");
  EXPECT_EQ(parse_error({"--db", ""}), "--db: must not be empty");
  EXPECT_EQ(parse_error({"--config", ""}), "--config: must not be empty");
}

TEST_F(ServerConfigTest, FileTypeErrors) {
  struct Case {
    const char* json;
    const char* message;  // after "config file F: "
  };
  const Case cases[] = {
      {R"({"udp": 27015})", "udp must be a string, not a number"},
      {R"({"dev": "yes"})", "dev must be true or false, not a string"},
      {R"({"auth_threads": 2.5})", "auth_threads must be 0..4294967295 (a whole number), not a number"},
      {R"({"auth_threads": -1})", "auth_threads must be 0..4294967295"},
      {R"({"max_clients": 4294967296})", "max_clients must be 0..4294967295"},
      {R"({"certificate_lifetime_s": null})",
       "certificate_lifetime_s must be 0..4294967295 (a whole number), not null"},
      {R"({"apps": {}})", "apps must be an array, not an object"},
      {R"({"apps": [7]})", "apps[0] must be an object, not a number"},
      {R"({"apps": [{"app_id": 1}, {"app_id": 0}]})", "apps[1].app_id must be 1..4294967295"},
      {R"({"apps": [{"app_id": 1}, {"app_id": 4294967296}]})", "apps[1].app_id must be 1..4294967295"},
      {R"({"apps": [{"app_id": "480"}]})", "apps[0].app_id must be 1..4294967295 (a whole number), not a string"},
      {R"({"apps": [{"name": "x"}]})", "apps[0].app_id is missing"},
      {R"({"apps": [{"app_id": 1, "open": 1}]})", "apps[0].open must be true or false, not a number"},
      {R"({"apps": [{"app_id": 1, "allow": "alice"}]})", "apps[0].allow must be an array of login names, not a string"},
      {R"({"apps": [{"app_id": 1, "allow": ["alice", 3]}]})", "apps[0].allow[1] must be a string, not a number"},
      {R"({"apps": [{"app_id": 1, "grants": []}]})",
       "apps[0]: unknown key 'grants' (known: app_id, name, open, allow, precise_session_errors)"},
      {R"([1, 2])", "must be a JSON object, not an array"},
  };
  int i = 0;
  for (const auto& c : cases) {
    const std::string f = write("t" + std::to_string(i++) + ".json", c.json);
    EXPECT_EQ(parse_error({"--config", f}), "config file " + f + ": " + c.message) << c.json;
  }
}

TEST_F(ServerConfigTest, UnknownFileKeyIsNamed) {
  const std::string f = write("u.json", R"({"udp": "127.0.0.1:1", "ttp": "off"})");
  const std::string e = parse_error({"--config", f});
  EXPECT_TRUE(e.starts_with("config file " + f + ": unknown key 'ttp' (known: udp, http,")) << e;
}

TEST_F(ServerConfigTest, SyntaxErrorNamesLineAndColumn) {
  const std::string f = write("s.json", "{\n  \"udp\": \"127.0.0.1:1\",\n  \"db\": oops\n}\n");
  const std::string e = parse_error({"--config", f});
  EXPECT_TRUE(e.starts_with("config file " + f + ": line 3, column ")) << e;
  EXPECT_NE(e.find("syntax error"), std::string::npos) << e;
  EXPECT_EQ(e.find("json.exception"), std::string::npos) << e;
}

TEST_F(ServerConfigTest, MissingAndEmptyFiles) {
  const std::string missing = dir_ + "/nope.json";
  EXPECT_EQ(parse_error({"--config", missing}), "config file " + missing + ": cannot read: No such file or directory");
  EXPECT_EQ(parse_error({}, {{"KETTLE_CONFIG", missing}}),
            "config file " + missing + ": cannot read: No such file or directory");
  const std::string empty = write("empty.json", "");
  EXPECT_TRUE(parse_error({"--config", empty}).starts_with("config file " + empty + ": line 1, column 1: "));
}

TEST_F(ServerConfigTest, UnknownFlagAndMissingValue) {
  EXPECT_NE(parse_error({"--bogus"}).find("--bogus"), std::string::npos);
  EXPECT_NE(parse_error({"--udp"}).find("--udp"), std::string::npos);
  EXPECT_NE(parse_error({"stray"}).find("stray"), std::string::npos);
}

TEST_F(ServerConfigTest, PrintPublicKeyAndHelp) {
  auto c = parse_ok({"--print-public-key", "--key", "k"});
  EXPECT_EQ(c.command, Command::print_public_key);
  EXPECT_EQ(c.key_path, "k");
  c = parse_ok({"--help"});
  EXPECT_EQ(c.command, Command::help);
  EXPECT_NE(c.help_text.find("--udp"), std::string::npos);
  EXPECT_NE(c.help_text.find("account"), std::string::npos);
  c = parse_ok({"account", "add", "--help"});
  EXPECT_EQ(c.command, Command::help);
  EXPECT_NE(c.help_text.find("--password-env"), std::string::npos);
}

TEST_F(ServerConfigTest, AdminSubcommands) {
  auto c = parse_ok({"account", "add", "alice", "--password-env", "PW", "--db", "x.db"});
  EXPECT_EQ(c.command, Command::account_add);
  EXPECT_EQ(c.admin.name, "alice");
  EXPECT_EQ(c.admin.password_env, "PW");
  EXPECT_EQ(c.options.db_path, "x.db");  // global flags after the subcommand still apply

  c = parse_ok({"--db", "y.db", "account", "add", "bob"});
  EXPECT_EQ(c.command, Command::account_add);
  EXPECT_FALSE(c.admin.password_env.has_value());
  EXPECT_EQ(c.options.db_path, "y.db");

  c = parse_ok({"account", "token", "alice"});
  EXPECT_EQ(c.command, Command::account_token);
  EXPECT_EQ(c.admin.name, "alice");
  EXPECT_EQ(parse_ok({"account", "list"}).command, Command::account_list);
  c = parse_ok({"account", "passwd", "alice", "--password-env", "NEW_PW"});
  EXPECT_EQ(c.command, Command::account_passwd);
  EXPECT_EQ(c.admin.name, "alice");
  EXPECT_EQ(c.admin.password_env, "NEW_PW");
  EXPECT_NE(parse_error({"account", "passwd", "alice"}).find("--password-env"), std::string::npos);

  c = parse_ok({"app", "add", "480", "--name", "Spacewar", "--closed", "--grant", "alice", "--grant", "bob"});
  EXPECT_EQ(c.command, Command::app_add);
  EXPECT_EQ(c.admin.app_id, 480u);
  EXPECT_EQ(c.admin.app_name, "Spacewar");
  EXPECT_TRUE(c.admin.closed);
  EXPECT_EQ(c.admin.grants, (std::vector<std::string>{"alice", "bob"}));
  c = parse_ok({"app", "add", "7"});
  EXPECT_FALSE(c.admin.closed);
  EXPECT_FALSE(c.admin.app_name.has_value());

  EXPECT_EQ(parse_error({"app", "add", "0"}), "app add: APP_ID '0' must be 1..4294967295");
  EXPECT_EQ(parse_error({"app", "add", "x"}), "app add: APP_ID 'x' must be 1..4294967295");
  EXPECT_NE(parse_error({"account"}).find("subcommand"), std::string::npos);
  EXPECT_NE(parse_error({"account", "add"}).find("NAME"), std::string::npos);
  EXPECT_EQ(parse_error({"account", "list", "--print-public-key"}),
            "--print-public-key cannot be combined with a subcommand");
}

TEST(KettleEnvironment, KeepsOnlyKettleVariables) {
  std::string a = "KETTLE_UDP=127.0.0.1:5", b = "HOME=/root", c = "KETTLE_DB=", d = "KETTLE_WEIRD";
  char* envp[] = {a.data(), b.data(), c.data(), d.data(), nullptr};
  const Environment env = kettle_environment(envp);
  EXPECT_EQ(env, (Environment{{"KETTLE_UDP", "127.0.0.1:5"}, {"KETTLE_DB", ""}}));
}

}  // namespace
}  // namespace kettle::server
