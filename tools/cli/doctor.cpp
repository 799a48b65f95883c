// kettle-cli doctor: what this machine's network looks like to a P2P session, from what the
// client API and the OS can tell: the reflexive address the server saw, the socket, the
// interfaces and the route towards the server.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>

#include "cli/internal.hpp"
#include "core/address.hpp"

namespace kettle::cli {
namespace {

bool is_private(std::uint32_t ip) {
  return (ip >> 24) == 10 || (ip >> 20) == 0xAC1 /* 172.16/12 */ || (ip >> 16) == 0xC0A8 /* 192.168/16 */ ||
         (ip >> 22) == (0x6440 >> 6) /* 100.64/10, carrier-grade NAT */ || (ip >> 16) == 0xA9FE /* link-local */;
}
bool is_loopback(std::uint32_t ip) { return (ip >> 24) == 127; }

std::string dotted(std::uint32_t ip) {
  in_addr a{htonl(ip)};
  char buf[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a, buf, sizeof buf);
  return buf;
}

// The local IPv4 address the OS would send from towards `to` (a connected UDP socket; nothing is
// sent). Empty when there is no route.
std::optional<std::uint32_t> route_source(std::uint32_t to_ip, std::uint16_t to_port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(to_ip);
  a.sin_port = htons(to_port);
  std::optional<std::uint32_t> out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    sockaddr_in local{};
    socklen_t len = sizeof local;
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0) out = ntohl(local.sin_addr.s_addr);
  }
  ::close(fd);
  return out;
}

}  // namespace

Outcome run_doctor(Client& c, const Options& o) {
  nlohmann::ordered_json out;
  out["server"] = o.embedded ? "embedded" : o.server;
  out["steam_id"] = std::to_string(c.GetSteamID().ConvertToUint64());
  out["logged_on"] = c.BLoggedOn();
  out["relay_only"] = o.relay_only;

  // IPv4 interfaces: the client offers these (with its socket's port) as host candidates when
  // its socket is bound to 0.0.0.0, loopback only when the server is on loopback too.
  nlohmann::ordered_json interfaces = nlohmann::ordered_json::array();
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) == 0) {
    for (ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
      const std::uint32_t ip = ntohl(reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr);
      interfaces.push_back({{"name", i->ifa_name}, {"ip", dotted(ip)}});
    }
    ::freeifaddrs(list);
  }
  out["interfaces"] = interfaces;

  std::optional<std::uint32_t> server_ip, source;
  if (!o.embedded) {
    if (auto a = Address::parse(o.server); a && a->family == Address::Family::v4) {
      server_ip = a->v4_host_order();
      source = route_source(*server_ip, a->port);
    }
  }
  out["route_source_ip"] = source ? nlohmann::ordered_json(dotted(*source)) : nlohmann::ordered_json(nullptr);
  const Client::NetworkInfo net = c.GetNetworkInfo();
  out["reflexive_address"] = net.reflexive;
  out["local_socket"] = net.local_socket;
  // The reflexive IP is one of ours: nothing rewrites our address on the way to the server.
  bool reflexive_is_local = false;
  if (auto r = Address::parse(net.reflexive); r && r->family == Address::Family::v4) {
    for (const auto& i : interfaces)
      if (i["ip"] == dotted(r->v4_host_order())) reflexive_is_local = true;
  }
  out["nat"] = net.reflexive.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(!reflexive_is_local);

  std::string path, why;
  if (o.relay_only) {
    path = "relay";
    why = "--relay-only: every session goes through the server's relay, peers never learn this address";
  } else if (o.embedded || (server_ip && is_loopback(*server_ip))) {
    path = "direct";
    why =
        "the server runs on this machine: peers on this machine connect directly over loopback; the NAT "
        "towards other machines cannot be judged from here";
  } else if (!source) {
    path = "unknown";
    why = "no IPv4 route towards the server";
  } else if (reflexive_is_local && !is_private(*source)) {
    path = "direct";
    why = "this machine sends from a public address (" + dotted(*source) +
          "), so no NAT is in the way: peers can reach it directly unless a firewall drops inbound UDP, then "
          "the relay takes over after p2p_direct_timeout (3 s)";
  } else if (server_ip && is_private(*server_ip)) {
    path = "direct or relay";
    why = "the server is on a private network like this machine (" + dotted(*source) +
          "): peers on that network connect directly; whether others can depends on the NAT, which needs the "
          "reflexive address to judge";
  } else {
    path = "hole punching, relay fallback";
    why = "this machine sends from a private address (" + dotted(*source) +
          ") to a public server, so a NAT is in the way: both sides punch; symmetric NATs or firewalls make "
          "the session fall back to the relay after p2p_direct_timeout (3 s)";
  }
  out["likely_path"] = path;
  out["why"] = why;
  return Outcome{kExitOk, out.dump(), {}};
}

}  // namespace kettle::cli
