// kettle-demo: two Kettle endpoints in separate processes exchange every send type (0-3) on
// two channels over real UDP on loopback, through kettle-proxy (2% loss each way, 40 ms RTT by
// default). Prints a stats line per second from endpoint A, then what each side verified.
// Exit status: 0 verified, 1 verification or run failure, 2 bad arguments.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "bench/child.hpp"
#include "demo/peer.hpp"

namespace {

using kettle::Instant;
using kettle::bench::ChildProcess;

struct DemoOptions {
  std::string role;  // "", "a" or "b"
  std::string connect;
  std::uint64_t seed = 1;
  double seconds = 10;
  double loss_pct = 2;
  int rtt_ms = 40;
  double timeout_s = 60;
  std::string proxy;
};

std::string find_proxy(const std::string& self) {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
#ifdef KETTLE_PROXY_PATH
  candidates.emplace_back(KETTLE_PROXY_PATH);
#endif
  candidates.push_back(fs::path(self).parent_path() / "kettle-proxy");
  for (const auto& c : candidates) {
    if (::access(c.c_str(), X_OK) == 0) return c.string();
  }
  return {};
}

std::vector<std::string> peer_args(const DemoOptions& o, const std::string& role, const std::string& connect) {
  std::vector<std::string> a{"--role",    role,
                             "--seed",    std::to_string(o.seed),
                             "--seconds", fmt::format("{}", o.seconds),
                             "--timeout", fmt::format("{}", o.timeout_s)};
  if (!connect.empty()) {
    a.push_back("--connect");
    a.push_back(connect);
  }
  return a;
}

// One line per channel and direction; returns whether that side verified.
bool print_side(const char* direction, const nlohmann::json& r) {
  if (r.contains("error")) std::printf("  %s: ERROR %s\n", direction, r["error"].get<std::string>().c_str());
  const auto chans = r.value("channels", nlohmann::json::array());
  for (std::size_t c = 0; c < chans.size(); ++c) {
    const auto& ch = chans[c];
    const auto rel = ch.value("reliable_delivered", 0ULL), rel_sent = ch.value("reliable_sent", 0ULL);
    const auto ud = ch.value("unreliable_delivered", std::vector<std::uint64_t>{0, 0});
    const auto us = ch.value("unreliable_sent", std::vector<std::uint64_t>{0, 0});
    const auto failures = ch.value("failures", 0ULL);
    const bool summary = ch.value("summary_received", false);
    const bool ok = failures == 0 && summary && rel == rel_sent;
    // Without the sender's summary the sent counts are unknown.
    auto sent = [&](std::uint64_t v) { return summary ? std::to_string(v) : std::string("?"); };
    std::printf(
        "  %s ch%zu: reliable (types 2+3) %llu/%s delivered in order, byte-exact | unreliable type 0 %llu/%s, "
        "type 1 %llu/%s delivered, no duplicates | %llu failures  %s\n",
        direction, c, static_cast<unsigned long long>(rel), sent(rel_sent).c_str(),
        static_cast<unsigned long long>(ud[0]), sent(us[0]).c_str(), static_cast<unsigned long long>(ud[1]),
        sent(us[1]).c_str(), static_cast<unsigned long long>(failures), ok ? "OK" : "FAILED");
  }
  return r.value("verified", false);
}

int run_parent(const DemoOptions& o) {
  auto self = kettle::bench::self_exe_path();
  if (!self) {
    std::fprintf(stderr, "kettle-demo: %s\n", self.error().to_string().c_str());
    return 1;
  }
  const std::string proxy = o.proxy.empty() ? find_proxy(*self) : o.proxy;
  if (proxy.empty()) {
    std::fprintf(stderr, "kettle-demo: kettle-proxy not found (pass --proxy PATH)\n");
    return 1;
  }
  const Instant deadline = kettle::monotonic_now() + std::chrono::duration_cast<kettle::Duration>(
                                                         std::chrono::duration<double>(o.timeout_s + 10));
  auto fail = [](const std::string& what) {
    std::fprintf(stderr, "kettle-demo: %s\n", what.c_str());
    return 1;
  };
  auto b = ChildProcess::spawn(*self, peer_args(o, "b", {}));
  if (!b) return fail("spawn B: " + b.error().message);
  auto b_line = b->read_line(deadline);
  if (!b_line || b_line->rfind("listening ", 0) != 0) return fail("B did not start listening");
  const std::string b_addr = b_line->substr(10);

  const std::string spec = fmt::format("loss={}%,latency={}ms", o.loss_pct, o.rtt_ms / 2.0);
  auto px = ChildProcess::spawn(proxy, {"--listen", "127.0.0.1:0", "--upstream", b_addr, "--up", spec, "--down", spec,
                                        "--seed", std::to_string(o.seed)});
  if (!px) return fail("spawn kettle-proxy: " + px.error().message);
  auto px_line = px->read_line(deadline);
  if (!px_line || px_line->rfind("listening ", 0) != 0) return fail("kettle-proxy did not start listening");
  const std::string px_addr = px_line->substr(10);

  std::printf("kettle-demo: A <-> kettle-proxy (%s each way) <-> B, %.0f s, send types 0-3 on channels 0 and 1\n",
              spec.c_str(), o.seconds);
  std::fflush(stdout);
  auto a = ChildProcess::spawn(*self, peer_args(o, "a", px_addr));
  if (!a) return fail("spawn A: " + a.error().message);

  nlohmann::json ra, rb;
  for (;;) {  // relay A's stats lines until its JSON summary
    auto line = a->read_line(deadline);
    if (!line) return fail("A: " + line.error().message);
    if (line->rfind("stats ", 0) == 0) {
      std::printf("%s\n", line->c_str() + 6);
      std::fflush(stdout);
      continue;
    }
    ra = nlohmann::json::parse(*line, nullptr, false);
    break;
  }
  auto b_result = b->read_line(deadline);
  if (b_result) rb = nlohmann::json::parse(*b_result, nullptr, false);
  auto a_exit = a->wait(deadline);
  auto b_exit = b->wait(deadline);
  px->kill();
  if (ra.is_discarded() || !ra.is_object()) ra = nlohmann::json::object();
  if (rb.is_discarded() || !rb.is_object()) rb = nlohmann::json{{"error", "B printed no summary"}};

  std::printf("verification:\n");
  const bool b_ok = print_side("A->B", rb);  // B verified what A sent
  const bool a_ok = print_side("B->A", ra);
  const bool exits_ok = a_exit && b_exit && a_exit->exited_ok() && b_exit->exited_ok();
  const bool ok = a_ok && b_ok && exits_ok;
  std::printf("result: %s\n",
              ok ? "PASS (every reliable message in order and byte-exact, no unreliable duplicates)" : "FAIL");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  DemoOptions o;
  CLI::App app{"kettle-demo: two Kettle endpoints in separate processes exchange every send type through a lossy proxy",
               "kettle-demo"};
  app.add_option("--seconds", o.seconds, "length of the exchange")
      ->check(CLI::Range(1.0, 600.0))
      ->capture_default_str();
  app.add_option("--loss", o.loss_pct, "proxy loss in percent, each way")
      ->check(CLI::Range(0.0, 50.0))
      ->capture_default_str();
  app.add_option("--rtt-ms", o.rtt_ms, "added round-trip time (half each way)")
      ->check(CLI::Range(0, 5000))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed for payloads, keys and the proxy")->capture_default_str();
  app.add_option("--timeout", o.timeout_s, "seconds before a side gives up")
      ->check(CLI::Range(5.0, 3600.0))
      ->capture_default_str();
  app.add_option("--proxy", o.proxy, "kettle-proxy binary (default: the one built alongside)");
  app.add_option("--role", o.role, "internal")->check(CLI::IsMember({"a", "b"}))->group("");
  app.add_option("--connect", o.connect, "internal")->group("");
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::printf("%s", app.help().c_str());
    return 0;
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "kettle-demo: %s\nRun with --help for more information.\n", e.what());
    return 2;
  }
  if (o.role == "a" && o.connect.empty()) {
    std::fprintf(stderr, "kettle-demo: --role a needs --connect\n");
    return 2;
  }
  if (o.role.empty()) return run_parent(o);
  kettle::demo::PeerOptions p;
  p.initiator = o.role == "a";
  p.connect = o.connect;
  p.seed = o.seed;
  p.seconds = o.seconds;
  p.timeout_s = o.timeout_s;
  return kettle::demo::run_peer(p);
}
