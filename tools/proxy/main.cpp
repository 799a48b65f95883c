// kettle-proxy: forwards UDP between clients and one upstream through the network conditioner.
//
//   kettle-proxy --listen 127.0.0.1:0 --upstream 127.0.0.1:27015
//                --up "loss=2%,latency=20ms,jitter=2ms" --down "loss=2%,latency=20ms"
//
// The first stdout line is machine-readable, "listening ADDR:PORT", so a parent can pass port 0.
// SIGINT/SIGTERM end it cleanly with a one-line stats summary on stdout. Exit codes: 0 clean,
// 1 runtime failure, 2 bad arguments.
#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <string>

#include "net/udp_proxy.hpp"

namespace {

kettle::net::UdpProxy* g_proxy = nullptr;  // for the signal handler; stop() is async-signal-safe

extern "C" void on_signal(int) {
  if (g_proxy != nullptr) g_proxy->stop();
}

kettle::Result<kettle::net::LinkSettings> parse_link(const std::string& spec, const char* flag) {
  auto s = kettle::net::LinkSettings::parse(spec);
  if (!s.ok()) return kettle::Error{kettle::Errc::invalid_argument, std::string(flag) + ": " + s.error().message};
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"kettle-proxy: UDP proxy with a network conditioner per direction"};
  std::string listen = "127.0.0.1:0", upstream, both, up, down;
  std::uint64_t seed = 1;
  std::size_t max_clients = 64;
  double idle_timeout_s = 60;
  app.add_option("--listen", listen, "address to listen on for clients (port 0 = ephemeral)")->capture_default_str();
  app.add_option("--upstream", upstream, "server address to forward to")->required();
  app.add_option("--both", both, "conditioner spec for both directions (overridden by --up/--down)");
  app.add_option("--up", up,
                 "client->server spec, e.g. \"loss=5%,latency=25ms,jitter=5ms,dup=1%,reorder=2%,rate=10MB/s\"");
  app.add_option("--down", down, "server->client spec (same syntax)");
  app.add_option("--seed", seed, "RNG seed for the conditioners")->capture_default_str();
  app.add_option("--max-clients", max_clients, "distinct client addresses served at once")->capture_default_str();
  app.add_option("--idle-timeout", idle_timeout_s, "seconds before an idle client's session is dropped")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  kettle::net::ProxyConfig config;
  auto listen_addr = kettle::Address::parse(listen);
  auto upstream_addr = kettle::Address::parse(upstream);
  auto up_link = parse_link(up.empty() ? both : up, "--up");
  auto down_link = parse_link(down.empty() ? both : down, "--down");
  for (const kettle::Error* e :
       {listen_addr.ok() ? nullptr : &listen_addr.error(), upstream_addr.ok() ? nullptr : &upstream_addr.error(),
        up_link.ok() ? nullptr : &up_link.error(), down_link.ok() ? nullptr : &down_link.error()}) {
    if (e != nullptr) {
      std::fprintf(stderr, "kettle-proxy: %s\n", e->to_string().c_str());
      return 2;
    }
  }
  if (!(idle_timeout_s > 0 && idle_timeout_s <= 86400)) {
    std::fprintf(stderr, "kettle-proxy: --idle-timeout must be in (0, 86400] seconds\n");
    return 2;
  }
  config.listen = *listen_addr;
  config.upstream = *upstream_addr;
  config.links = {*up_link, *down_link};
  config.seed = seed;
  config.max_clients = max_clients;
  config.client_idle_timeout = kettle::Duration(static_cast<std::int64_t>(idle_timeout_s * 1e6));

  auto proxy = kettle::net::UdpProxy::create(config);
  if (!proxy.ok()) {
    std::fprintf(stderr, "kettle-proxy: %s\n", proxy.error().to_string().c_str());
    return proxy.code() == kettle::Errc::invalid_argument ? 2 : 1;
  }
  g_proxy = proxy->get();
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  std::printf("listening %s\n", (*proxy)->local_address().to_string().c_str());
  std::fprintf(stderr, "kettle-proxy: %s -> %s up=[%s] down=[%s]\n", (*proxy)->local_address().to_string().c_str(),
               config.upstream.to_string().c_str(), config.links.up.to_string().c_str(),
               config.links.down.to_string().c_str());
  std::fflush(stdout);

  const kettle::Status st = (*proxy)->run();
  g_proxy = nullptr;
  std::printf("kettle-proxy stats: %s\n", (*proxy)->stats().to_string().c_str());
  std::fflush(stdout);
  if (!st.ok()) {
    std::fprintf(stderr, "kettle-proxy: %s\n", st.error().to_string().c_str());
    return 1;
  }
  return 0;
}
