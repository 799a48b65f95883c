// SteamApi: looks the GodotSteam function up in one table (filled by the family files
// steam_api_init/p2p/lobby.cpp), checks the argument count and initialisation, runs it, and
// turns any recorded argument error into the function's failure value plus the error text.
#include "steam_api.hpp"

#include <algorithm>
#include <exception>
#include <string>

#include "steam_api_impl.hpp"

namespace kettle::agent {

godot::Variant failure_value(Failure f) {
  switch (f) {
    case Failure::boolean:
      return godot::Variant::boolean(false);
    case Failure::integer:
      return godot::Variant::integer(0);
    case Failure::string:
      return godot::Variant::string("");
    case Failure::dictionary:
      return godot::Variant::dictionary({});
    case Failure::nil:
    case Failure::own_result:
      break;
  }
  return {};
}

namespace {

std::vector<Function> build_table() {
  std::vector<Function> t;
  add_init_functions(t);
  add_p2p_functions(t);
  add_lobby_functions(t);
  std::sort(t.begin(), t.end(), [](const Function& a, const Function& b) { return a.name < b.name; });
  return t;
}

const Function* find_function(std::string_view name) {
  static const std::vector<Function> table = build_table();
  const auto it = std::lower_bound(table.begin(), table.end(), name,
                                   [](const Function& f, std::string_view n) { return f.name < n; });
  return it != table.end() && it->name == name ? &*it : nullptr;
}

}  // namespace

struct SteamApi::Impl : ApiState {};

SteamApi::SteamApi(AgentConfig config, Emit emit) : impl_(std::make_unique<Impl>()) {
  impl_->config = std::move(config);
  impl_->emit = std::move(emit);
}

SteamApi::~SteamApi() {
  if (impl_->client) impl_->client->Shutdown();
}

Client* SteamApi::client() noexcept { return impl_->client.get(); }

void SteamApi::on_client_ready(std::function<void(Client&)> fn) {
  if (impl_->client) fn(*impl_->client);
  impl_->ready_hooks.push_back(std::move(fn));
}

CallResult SteamApi::call(std::string_view name, const godot::Array& args) {
  try {
    const Function* f = find_function(name);
    if (f == nullptr) return {godot::Variant(), "Steam." + std::string(name) + ": not provided by Kettle"};
    Call c(f->name, args);
    c.at_most(f->max_args);
    if (!c.ok()) return {failure_value(f->failure), c.error()};
    // Handlers check their arguments before they look for the client, so a call before
    // steamInit with bad arguments still says what is wrong with them.
    const bool had_client = impl_->client != nullptr;
    godot::Variant v = f->run(*impl_, c);
    if (!c.ok()) return {f->failure == Failure::own_result ? std::move(v) : failure_value(f->failure), c.error()};
    if (f->needs_client && !had_client) {
      return {failure_value(f->failure),
              "Steam." + std::string(name) + ": called before steamInit (or after steamShutdown)"};
    }
    return {std::move(v), {}};
  } catch (const std::exception& e) {
    return {godot::Variant(), "Steam." + std::string(name) + ": internal error (" + e.what() + ")"};
  } catch (...) {
    return {godot::Variant(), "Steam." + std::string(name) + ": internal error"};
  }
}

}  // namespace kettle::agent
