#include "server/config/server_config.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

namespace kettle::server {

namespace {

using Json = nlohmann::json;

Error bad(std::string message) { return Error{Errc::invalid_argument, std::move(message)}; }

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// ---- one setter per value kind; `label` names the source ("--udp", "KETTLE_UDP", "config file F: udp") ----

Status set_address(const std::string& label, const std::string& text, Address& out) {
  auto a = Address::parse(text);
  if (!a) return bad(label + ": '" + text + "' is not HOST:PORT (e.g. 127.0.0.1:27015)");
  out = *a;
  return {};
}

Status set_http(const std::string& label, const std::string& text, std::optional<Address>& out) {
  if (lower(text) == "off") {
    out.reset();
    return {};
  }
  auto a = Address::parse(text);
  if (!a) return bad(label + ": '" + text + "' is not HOST:PORT or 'off'");
  out = *a;
  return {};
}

// "off" disables the relay; "auto" is the default (udp's host, udp's port + 1).
Status set_relay(const std::string& label, const std::string& text, std::optional<Address>& out) {
  const std::string v = lower(text);
  if (v == "off") {
    out.reset();
    return {};
  }
  if (v == "auto") {
    out = Address{};
    return {};
  }
  auto a = Address::parse(text);
  if (!a) return bad(label + ": '" + text + "' is not HOST:PORT, 'auto' or 'off'");
  out = *a;
  return {};
}

Status set_bool(const std::string& label, const std::string& text, bool& out) {
  const std::string v = lower(text);
  if (v == "1" || v == "true" || v == "yes" || v == "on") {
    out = true;
  } else if (v == "0" || v == "false" || v == "no" || v == "off") {
    out = false;
  } else {
    return bad(label + ": '" + text + "' is not a boolean (true/false, 1/0, yes/no, on/off)");
  }
  return {};
}

// Whole numbers up to 2^32-1; the real range of each option is ServerOptions::validate()'s.
Result<std::uint32_t> parse_uint(const std::string& label, const std::string& text) {
  std::uint32_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (text.empty() || ec != std::errc{} || p != end) {
    return bad(label + ": '" + text + "' is not a whole number in 0..4294967295");
  }
  return v;
}

Status set_nonempty(const std::string& label, const std::string& text, std::string& out) {
  if (text.empty()) return bad(label + ": must not be empty");
  out = text;
  return {};
}

Status set_log_level(const std::string& label, const std::string& text, std::string& out) {
  static constexpr const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "off"};
  for (const char* l : kLevels) {
    if (text == l) {
      out = text;
      return {};
    }
  }
  return bad(label + ": '" + text + "' is not one of trace, debug, info, warn, error, off");
}

Status set_log_format(const std::string& label, const std::string& text, std::string& out) {
  if (text != "text" && text != "logfmt") return bad(label + ": '" + text + "' is not one of text, logfmt");
  out = text;
  return {};
}

// The string-valued settings shared by flags and environment, in one table so both stay in step.
struct StringSetting {
  const char* flag;  // "--udp"
  const char* env;   // "KETTLE_UDP"
  Status (*apply)(const std::string& label, const std::string& text, ServerConfig& cfg);
};

const StringSetting kSettings[] = {
    {"--udp", "KETTLE_UDP",
     [](const std::string& l, const std::string& t, ServerConfig& c) { return set_address(l, t, c.options.udp); }},
    {"--http", "KETTLE_HTTP",
     [](const std::string& l, const std::string& t, ServerConfig& c) { return set_http(l, t, c.options.http); }},
    {"--db", "KETTLE_DB",
     [](const std::string& l, const std::string& t, ServerConfig& c) { return set_nonempty(l, t, c.options.db_path); }},
    {"--dev", "KETTLE_DEV",
     [](const std::string& l, const std::string& t, ServerConfig& c) { return set_bool(l, t, c.options.dev); }},
    {"--key", "KETTLE_KEY",
     [](const std::string& l, const std::string& t, ServerConfig& c) { return set_nonempty(l, t, c.key_path); }},
    {"--log-level", "KETTLE_LOG_LEVEL",
     [](const std::string& l, const std::string& t, ServerConfig& c) { return set_log_level(l, t, c.log_level); }},
    {"--log-format", "KETTLE_LOG_FORMAT",
     [](const std::string& l, const std::string& t, ServerConfig& c) { return set_log_format(l, t, c.log_format); }},
    {"--certificate-lifetime", "KETTLE_CERTIFICATE_LIFETIME_S",
     [](const std::string& l, const std::string& t, ServerConfig& c) -> Status {
       auto v = parse_uint(l, t);
       if (!v) return std::move(v).error();
       c.options.certificate_lifetime = secs(*v);
       return {};
     }},
    {"--backend-liveness", "KETTLE_BACKEND_LIVENESS_S",
     [](const std::string& l, const std::string& t, ServerConfig& c) -> Status {
       auto v = parse_uint(l, t);
       if (!v) return std::move(v).error();
       c.options.backend_liveness = secs(*v);
       return {};
     }},
    {"--auth-threads", "KETTLE_AUTH_THREADS",
     [](const std::string& l, const std::string& t, ServerConfig& c) -> Status {
       auto v = parse_uint(l, t);
       if (!v) return std::move(v).error();
       c.options.auth_threads = *v;
       return {};
     }},
    {"--max-clients", "KETTLE_MAX_CLIENTS",
     [](const std::string& l, const std::string& t, ServerConfig& c) -> Status {
       auto v = parse_uint(l, t);
       if (!v) return std::move(v).error();
       c.options.max_clients = *v;
       return {};
     }},
    {"--allow-list-online", "KETTLE_ALLOW_LIST_ONLINE",
     [](const std::string& l, const std::string& t, ServerConfig& c) {
       return set_bool(l, t, c.options.allow_list_online);
     }},
    {"--precise-session-errors", "KETTLE_PRECISE_SESSION_ERRORS",
     [](const std::string& l, const std::string& t, ServerConfig& c) {
       return set_bool(l, t, c.options.precise_session_errors);
     }},
    {"--relay", "KETTLE_RELAY",
     [](const std::string& l, const std::string& t, ServerConfig& c) { return set_relay(l, t, c.options.relay); }},
    {"--relay-rate-bytes", "KETTLE_RELAY_RATE_BYTES",
     [](const std::string& l, const std::string& t, ServerConfig& c) -> Status {
       auto v = parse_uint(l, t);
       if (!v) return std::move(v).error();
       c.options.relay_rate_bytes = *v;
       return {};
     }},
    {"--relay-idle-timeout", "KETTLE_RELAY_IDLE_TIMEOUT_S",
     [](const std::string& l, const std::string& t, ServerConfig& c) -> Status {
       auto v = parse_uint(l, t);
       if (!v) return std::move(v).error();
       c.options.relay_idle_timeout = secs(*v);
       return {};
     }},
    {"--relay-max-allocations", "KETTLE_RELAY_MAX_ALLOCATIONS",
     [](const std::string& l, const std::string& t, ServerConfig& c) -> Status {
       auto v = parse_uint(l, t);
       if (!v) return std::move(v).error();
       c.options.relay_max_allocations = *v;
       return {};
     }},
};

// ---- the config file ----

std::string json_kind(const Json& j) {
  if (j.is_object()) return "an object";
  if (j.is_array()) return "an array";
  if (j.is_string()) return "a string";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  return "null";
}

Result<std::string> want_string(const std::string& label, const Json& j) {
  if (!j.is_string()) return bad(label + " must be a string, not " + json_kind(j));
  return j.get<std::string>();
}

Result<bool> want_bool(const std::string& label, const Json& j) {
  if (!j.is_boolean()) return bad(label + " must be true or false, not " + json_kind(j));
  return j.get<bool>();
}

Result<std::uint32_t> want_uint(const std::string& label, const Json& j, std::uint32_t min = 0) {
  const std::string range = std::to_string(min) + "..4294967295";
  if (!j.is_number_integer()) return bad(label + " must be " + range + " (a whole number), not " + json_kind(j));
  if (j.is_number_unsigned()) {
    const auto v = j.get<std::uint64_t>();
    if (v >= min && v <= std::numeric_limits<std::uint32_t>::max()) return static_cast<std::uint32_t>(v);
  }
  return bad(label + " must be " + range);
}

Status apply_app(const std::string& label, const Json& j, AppRule& app) {
  if (!j.is_object()) return bad(label + " must be an object, not " + json_kind(j));
  if (!j.contains("app_id")) return bad(label + ".app_id is missing");
  for (const auto& [key, value] : j.items()) {
    const std::string l = label + "." + key;
    if (key == "app_id") {
      auto v = want_uint(l, value, 1);
      if (!v) return std::move(v).error();
      app.app_id = *v;
    } else if (key == "name") {
      auto v = want_string(l, value);
      if (!v) return std::move(v).error();
      app.name = *v;
    } else if (key == "open") {
      auto v = want_bool(l, value);
      if (!v) return std::move(v).error();
      app.open = *v;
    } else if (key == "precise_session_errors") {
      auto v = want_bool(l, value);
      if (!v) return std::move(v).error();
      app.precise_session_errors = *v;
    } else if (key == "allow") {
      if (!value.is_array()) return bad(l + " must be an array of login names, not " + json_kind(value));
      for (std::size_t i = 0; i < value.size(); ++i) {
        auto v = want_string(l + "[" + std::to_string(i) + "]", value[i]);
        if (!v) return std::move(v).error();
        app.allow.push_back(*v);
      }
    } else {
      return bad(label + ": unknown key '" + key + "' (known: app_id, name, open, allow, precise_session_errors)");
    }
  }
  return {};
}

Status apply_file_key(const std::string& prefix, const std::string& key, const Json& value, ServerConfig& cfg) {
  const std::string label = prefix + key;
  // Keys holding strings with the same syntax as their flag reuse the string setters.
  static const std::map<std::string, std::string> kStringKeys = {
      {"udp", "--udp"},    {"http", "--http"},           {"db", "--db"},
      {"key", "--key"},    {"log_level", "--log-level"}, {"log_format", "--log-format"},
      {"relay", "--relay"}};
  if (auto it = kStringKeys.find(key); it != kStringKeys.end()) {
    auto s = want_string(label, value);
    if (!s) return std::move(s).error();
    for (const auto& setting : kSettings) {
      if (it->second == setting.flag) return setting.apply(label, *s, cfg);
    }
  }
  if (key == "dev" || key == "allow_list_online" || key == "precise_session_errors") {
    auto b = want_bool(label, value);
    if (!b) return std::move(b).error();
    (key == "dev"                 ? cfg.options.dev
     : key == "allow_list_online" ? cfg.options.allow_list_online
                                  : cfg.options.precise_session_errors) = *b;
    return {};
  }
  if (key == "certificate_lifetime_s" || key == "backend_liveness_s" || key == "auth_threads" || key == "max_clients" ||
      key == "relay_rate_bytes" || key == "relay_idle_timeout_s" || key == "relay_max_allocations") {
    auto v = want_uint(label, value);
    if (!v) return std::move(v).error();
    if (key == "certificate_lifetime_s") cfg.options.certificate_lifetime = secs(*v);
    if (key == "backend_liveness_s") cfg.options.backend_liveness = secs(*v);
    if (key == "auth_threads") cfg.options.auth_threads = *v;
    if (key == "max_clients") cfg.options.max_clients = *v;
    if (key == "relay_rate_bytes") cfg.options.relay_rate_bytes = *v;
    if (key == "relay_idle_timeout_s") cfg.options.relay_idle_timeout = secs(*v);
    if (key == "relay_max_allocations") cfg.options.relay_max_allocations = *v;
    return {};
  }
  if (key == "apps") {
    if (!value.is_array()) return bad(label + " must be an array, not " + json_kind(value));
    cfg.options.apps.clear();
    for (std::size_t i = 0; i < value.size(); ++i) {
      AppRule app;
      KETTLE_TRY(apply_app(label + "[" + std::to_string(i) + "]", value[i], app));
      cfg.options.apps.push_back(std::move(app));
    }
    return {};
  }
  return bad(prefix + "unknown key '" + key +
             "' (known: udp, http, db, dev, key, log_level, log_format, certificate_lifetime_s, "
             "backend_liveness_s, auth_threads, max_clients, allow_list_online, precise_session_errors, relay, "
             "relay_rate_bytes, "
             "relay_idle_timeout_s, relay_max_allocations, apps)");
}

Status apply_file(const std::string& path, ServerConfig& cfg) {
  const std::string prefix = "config file " + path + ": ";
  std::ifstream in(path, std::ios::binary);
  if (!in) return bad(prefix + "cannot read: " + std::strerror(errno));
  std::stringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return bad(prefix + "cannot read: " + std::strerror(errno));

  Json doc;
  try {
    doc = Json::parse(buf.str());
  } catch (const Json::parse_error& e) {
    // nlohmann's text: "[json.exception.parse_error.101] parse error at line 3, column 5: ...".
    std::string what = e.what();
    const auto at = what.find("at line ");
    return bad(prefix + (at == std::string::npos ? what : what.substr(at + 3)));
  }
  if (!doc.is_object()) return bad(prefix + "must be a JSON object, not " + json_kind(doc));
  for (const auto& [key, value] : doc.items()) KETTLE_TRY(apply_file_key(prefix, key, value, cfg));
  cfg.config_file = path;
  return {};
}

std::string help_of(const CLI::App& app) {
  // CLI11 delegates to the selected subcommand's help.
  return app.help();
}

}  // namespace

Environment kettle_environment(char** envp) {
  Environment env;
  for (char** e = envp; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    const auto eq = kv.find('=');
    if (eq == std::string_view::npos || !kv.starts_with("KETTLE_")) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

Result<ServerConfig> parse_server_config(const std::vector<std::string>& args, const Environment& env) {
  ServerConfig cfg;

  CLI::App app{
      "kettle-server: accounts, login, presence and peer signalling for Kettle clients.\n"
      "Precedence: flags > KETTLE_* environment > --config file > defaults.",
      "kettle-server"};
  app.fallthrough();                         // global flags may follow a subcommand: `account list --db x.db`
  std::map<std::string, std::string> given;  // flag → text, for the flags taking a value
  auto value_flag = [&](const char* name, const char* type, const std::string& help) {
    app.add_option_function<std::string>(
           name, [&given, name](const std::string& v) { given[name] = v; }, help)
        ->type_name(type)
        ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);  // a repeated flag: the last one wins
  };
  value_flag("--udp", "HOST:PORT", "UDP address for clients (default 127.0.0.1:27015)");
  value_flag("--http", "HOST:PORT|off", "HTTP address for /healthz, /metrics, /api/status (default 127.0.0.1:27080)");
  value_flag("--db", "PATH", "SQLite database file (default kettle.db; :memory: for a throwaway one)");
  value_flag("--key", "PATH", "server signing key file, created (mode 0600) if missing (default kettle-server.key)");
  value_flag("--config", "FILE", "JSON configuration file");
  value_flag("--log-level", "LEVEL", "trace|debug|info|warn|error|off (default info)");
  value_flag("--log-format", "FORMAT", "text|logfmt (default text)");
  value_flag("--certificate-lifetime", "SECONDS", "client certificate lifetime (default 3600)");
  value_flag("--backend-liveness", "SECONDS", "a silent client goes offline after this (default 20)");
  value_flag("--auth-threads", "N", "password hashing workers (default 2)");
  value_flag("--max-clients", "N", "connections, including pending handshakes (default 10000)");
  value_flag("--allow-list-online", "BOOL", "serve the online list to clients (default true)");
  value_flag("--precise-session-errors", "BOOL",
             "tell precise_session_errors clients of every app whether a peer is offline or in another app "
             "(default false; per app: apps[].precise_session_errors)");
  value_flag("--relay", "HOST:PORT|auto|off",
             "UDP address of the relay for players who cannot connect directly (default auto: --udp's host, "
             "its port + 1)");
  value_flag("--relay-rate-bytes", "N", "relay bytes per second per allocation, 1 s burst (default 8000000)");
  value_flag("--relay-idle-timeout", "SECONDS", "a relay allocation with no traffic is dropped (default 60)");
  value_flag("--relay-max-allocations", "N", "relay allocations one session may ask for (default 64)");
  bool dev_flag = false, print_key = false;
  app.add_flag("--dev", dev_flag, "development mode: any name logs in without a password, every app is open");
  app.add_flag("--print-public-key", print_key, "print the server's public key (64 hex) and exit");

  std::string password_env, app_id_text, app_name;
  auto* account = app.add_subcommand("account", "manage accounts in the --db file (server may be stopped)");
  account->require_subcommand(1);
  auto* account_add = account->add_subcommand("add", "create an account");
  account_add->add_option("NAME", cfg.admin.name, "login name")->required();
  account_add->add_option("--password-env", password_env,
                          "environment variable holding the password (without: no password; use a token)");
  auto* account_token = account->add_subcommand("token", "issue a new access token (printed once)");
  account_token->add_option("NAME", cfg.admin.name, "login name")->required();
  auto* account_passwd = account->add_subcommand("passwd", "set an account's password");
  account_passwd->add_option("NAME", cfg.admin.name, "login name")->required();
  account_passwd->add_option("--password-env", password_env, "environment variable holding the new password")
      ->required();
  auto* account_list = account->add_subcommand("list", "list accounts");
  auto* app_cmd = app.add_subcommand("app", "manage apps in the --db file");
  app_cmd->require_subcommand(1);
  auto* app_add = app_cmd->add_subcommand("add", "add or update an app");
  app_add->add_option("APP_ID", app_id_text, "app id, 1..4294967295")->required();
  app_add->add_option("--name", app_name, "display name");
  app_add->add_flag("--closed", cfg.admin.closed, "only granted accounts may use it");
  app_add->add_option("--grant", cfg.admin.grants, "login name to entitle (repeatable)");

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 consumes from the back
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    cfg.command = Command::help;
    cfg.help_text = help_of(app);
    return cfg;
  } catch (const CLI::CallForAllHelp&) {
    cfg.command = Command::help;
    cfg.help_text = app.help("", CLI::AppFormatMode::All);
    return cfg;
  } catch (const CLI::ParseError& e) {
    return bad(e.what());
  }

  // Which command.
  if (account_add->parsed()) {
    cfg.command = Command::account_add;
    if (!password_env.empty()) cfg.admin.password_env = password_env;
  } else if (account_token->parsed()) {
    cfg.command = Command::account_token;
  } else if (account_passwd->parsed()) {
    cfg.command = Command::account_passwd;
    cfg.admin.password_env = password_env;
  } else if (account_list->parsed()) {
    cfg.command = Command::account_list;
  } else if (app_add->parsed()) {
    cfg.command = Command::app_add;
    auto id = parse_uint("app add: APP_ID", app_id_text);
    if (!id || *id == 0) return bad("app add: APP_ID '" + app_id_text + "' must be 1..4294967295");
    cfg.admin.app_id = *id;
    if (app_add->count("--name") > 0) cfg.admin.app_name = app_name;
  }
  if (print_key) {
    if (cfg.command != Command::serve) return bad("--print-public-key cannot be combined with a subcommand");
    cfg.command = Command::print_public_key;
  }

  // Layers, lowest first: file, environment, flags.
  std::optional<std::string> config_path;
  if (auto it = env.find("KETTLE_CONFIG"); it != env.end() && !it->second.empty()) config_path = it->second;
  if (auto it = given.find("--config"); it != given.end()) {
    if (it->second.empty()) return bad("--config: must not be empty");
    config_path = it->second;
  }
  if (config_path) KETTLE_TRY(apply_file(*config_path, cfg));
  for (const auto& s : kSettings) {
    // An empty variable counts as unset (`KETTLE_HTTP= kettle-server` keeps the default).
    if (auto it = env.find(s.env); it != env.end() && !it->second.empty()) KETTLE_TRY(s.apply(s.env, it->second, cfg));
  }
  for (const auto& s : kSettings) {
    if (auto it = given.find(s.flag); it != given.end()) KETTLE_TRY(s.apply(s.flag, it->second, cfg));
  }
  if (dev_flag) cfg.options.dev = true;
  return cfg;
}

}  // namespace kettle::server
