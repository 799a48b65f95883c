// kettle-bench: Kettle vs ENet over real UDP on 127.0.0.1, two processes per run.
// See options.cpp (--help) for the flags and README.md "Benchmark" for the output format.
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "bench/child.hpp"
#include "bench/godot_rtt.hpp"
#include "bench/lobbies.hpp"
#include "bench/login.hpp"
#include "bench/options.hpp"
#include "bench/p2p.hpp"
#include "bench/report.hpp"
#include "bench/roles.hpp"
#include "bench/runner.hpp"

namespace {

using namespace kettle::bench;

std::string find_proxy(const Options& o, const std::string& self) {
  if (!o.proxy_path.empty()) return o.proxy_path;
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
#ifdef KETTLE_PROXY_PATH
  candidates.emplace_back(KETTLE_PROXY_PATH);  // the one built alongside (CMake generator expression)
#endif
  const fs::path dir = fs::path(self).parent_path();
  candidates.push_back(dir / "kettle-proxy");
  candidates.push_back(dir.parent_path() / "proxy" / "kettle-proxy");
  for (const auto& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c.string();
  }
  return {};
}

std::string find_server(const Options& o, const std::string& self) {
  if (!o.server_path.empty()) return o.server_path;
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
#ifdef KETTLE_SERVER_PATH
  candidates.emplace_back(KETTLE_SERVER_PATH);
#endif
  const fs::path dir = fs::path(self).parent_path();
  candidates.push_back(dir / "kettle-server");
  for (const auto& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c.string();
  }
  return {};
}

void print(const std::string& s) {
  std::fputs(s.c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const ParseOutcome parsed = parse_args(argc, argv);
  if (!parsed.options) {
    std::fputs(parsed.message.c_str(), parsed.exit_code == 0 ? stdout : stderr);
    std::fputc('\n', parsed.exit_code == 0 ? stdout : stderr);
    return parsed.exit_code;
  }
  const Options& o = *parsed.options;
  if (o.role != Role::none) return is_p2p(o.scenarios.at(0)) ? run_p2p_role(o) : run_role(o);

  auto self = self_exe_path();
  if (!self) {
    std::fprintf(stderr, "kettle-bench: %s\n", self.error().to_string().c_str());
    return 1;
  }
  const RunPaths paths{*self, find_proxy(o, *self), find_server(o, *self)};
  std::vector<Figures> all;
  bool ok = true;
  for (Scenario s : o.scenarios) {
    for (Impl impl : o.impls) {
      if (!has_enet(s) && impl == Impl::enet) continue;  // nothing to compare with
      if (o.table && !o.json)
        std::fprintf(stderr, "running %s / %s ...\n", std::string(scenario_name(s)).c_str(),
                     std::string(impl_name(impl)).c_str());
      std::vector<Figures> figs;
      if (s == Scenario::login) {
        figs.push_back(run_login(o, paths.server));
      } else if (s == Scenario::lobbies) {
        figs.push_back(run_lobbies(o, paths.server));
      } else if (s == Scenario::godot_rtt) {
        figs.push_back(run_godot_rtt(o, paths));
      } else if (is_p2p(s)) {
        figs = run_p2p(o, s, paths);
      } else {
        figs.push_back(run_scenario(o, s, impl, paths));
      }
      for (auto& f : figs) {
        ok = ok && f.ok();
        if (o.json) print(figures_json(f).dump() + "\n");
        all.push_back(std::move(f));
      }
    }
    if (o.json && o.impls.size() == 2 && has_enet(s)) {
      const Figures& a = all[all.size() - 2];
      const Figures& b = all.back();
      const Figures& k = a.impl == Impl::kettle ? a : b;
      const Figures& e = a.impl == Impl::kettle ? b : a;
      print(ratio_json(s, kettle_vs_enet_ratio(k, e)).dump() + "\n");
    }
  }
  // The relay's cost over the direct path, when both bulk variants ran.
  const Figures* direct = nullptr;
  const Figures* relay = nullptr;
  for (const auto& f : all) {
    if (f.scenario == Scenario::p2p_bulk) direct = &f;
    if (f.scenario == Scenario::p2p_relay_bulk) relay = &f;
  }
  if (o.json && direct != nullptr && relay != nullptr)
    print(relay_cost_json(relay_vs_direct(*direct, *relay)).dump() + "\n");
  if (o.table) print(format_table(all));
  return ok ? 0 : 1;
}
