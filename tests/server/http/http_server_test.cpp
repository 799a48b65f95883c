// kettle-server's HTTP endpoint on a real loopback socket, queried with httplib::Client.
#include "server/http/http_server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <map>
#include <set>
#include <sstream>

namespace kettle::server {
namespace {

std::unique_ptr<HttpServer> start_server(const Metrics& m, HttpServer::StatusFn status = {}) {
  auto s = HttpServer::start(Address::loopback_v4(0), m, std::move(status));
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().to_string());
  return s.ok() ? std::move(*s) : nullptr;
}

httplib::Client client_for(const HttpServer& s) {
  httplib::Client c("127.0.0.1", s.address().port);
  c.set_connection_timeout(5, 0);
  c.set_read_timeout(5, 0);
  return c;
}

bool is_name(std::string_view s) {
  if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
  for (char ch : s) {
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_' && ch != ':') return false;
  }
  return true;
}

// `{a="x",b="y"}` with label names and values free of quotes and backslashes (ours are).
bool is_label_set(std::string_view s) {
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') return false;
  s = s.substr(1, s.size() - 2);
  while (true) {
    const auto eq = s.find("=\"");
    if (eq == std::string_view::npos || !is_name(s.substr(0, eq)) || s.substr(0, eq).find(':') != s.npos) return false;
    s.remove_prefix(eq + 2);
    const auto close = s.find('"');
    if (close == std::string_view::npos || s.substr(0, close).find('\\') != s.npos) return false;
    s.remove_prefix(close + 1);
    if (s.empty()) return true;
    if (s.front() != ',') return false;
    s.remove_prefix(1);
  }
}

// Parses Prometheus text 0.0.4: every sample line is `name{labels} value`, and every sample's
// family was announced by # HELP and # TYPE lines before it. Returns "name{labels}" → value.
std::map<std::string, std::uint64_t> parse_metrics(const std::string& text) {
  std::map<std::string, std::uint64_t> out;
  std::set<std::string> helped, typed;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string a, b, c, d;
    words >> a >> b >> c;
    if (a == "#" && b == "HELP") {
      EXPECT_TRUE(is_name(c)) << line;
      std::getline(words, d);
      EXPECT_GT(d.size(), 1u) << "empty help: " << line;
      helped.insert(c);
      continue;
    }
    if (a == "#" && b == "TYPE") {
      EXPECT_TRUE(helped.count(c)) << "TYPE before HELP: " << line;
      words >> d;
      EXPECT_TRUE(d == "counter" || d == "gauge") << line;
      if (d == "counter") {
        EXPECT_TRUE(c.ends_with("_total")) << line;
      }
      typed.insert(c);
      continue;
    }
    // A sample: exactly two fields, "name{labels}" and a decimal integer.
    const auto space = line.find(' ');
    if (space == std::string::npos) {
      ADD_FAILURE() << "not a Prometheus line: '" << line << "'";
      continue;
    }
    const std::string series = line.substr(0, space), value = line.substr(space + 1);
    const auto brace = series.find('{');
    const std::string name = series.substr(0, brace);
    EXPECT_TRUE(is_name(name)) << line;
    if (brace != std::string::npos) {
      EXPECT_TRUE(is_label_set(std::string_view(series).substr(brace))) << line;
    }
    EXPECT_TRUE(!value.empty() && value.find_first_not_of("0123456789") == std::string::npos) << line;
    EXPECT_TRUE(typed.count(name)) << "sample without # TYPE: " << line;
    EXPECT_TRUE(out.emplace(series, std::stoull(value)).second) << "duplicate: " << line;
  }
  EXPECT_TRUE(text.empty() || text.back() == '\n');
  return out;
}

TEST(HttpServer, PortZeroReportsTheBoundPort) {
  Metrics m;
  auto s = start_server(m);
  ASSERT_NE(s, nullptr);
  EXPECT_NE(s->address().port, 0);
  EXPECT_EQ(s->address().v4_host_order(), 0x7F000001u);
}

TEST(HttpServer, Healthz) {
  Metrics m;
  auto s = start_server(m);
  ASSERT_NE(s, nullptr);
  auto c = client_for(*s);
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "ok\n");
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain");
}

TEST(HttpServer, MetricsParseAndFollowTheCounters) {
  Metrics m;
  auto s = start_server(m);
  ASSERT_NE(s, nullptr);
  auto c = client_for(*s);
  auto r = c.Get("/metrics");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  auto before = parse_metrics(r->body);
  const std::vector<std::string> names = {
      "kettle_clients_online",
      "kettle_connections",
      "kettle_logins_total{result=\"ok\"}",
      "kettle_logins_total{result=\"failed\"}",
      "kettle_messages_total{direction=\"in\"}",
      "kettle_messages_total{direction=\"out\"}",
      "kettle_bytes_total{direction=\"in\"}",
      "kettle_bytes_total{direction=\"out\"}",
      "kettle_errors_total",
      "kettle_signals_relayed_total",
      "kettle_certificates_issued_total",
      "kettle_relay_allocations",
      "kettle_relay_allocations_total",
      "kettle_relay_forwarded_datagrams_total",
      "kettle_relay_forwarded_bytes_total",
      "kettle_relay_dropped_total{reason=\"malformed\"}",
      "kettle_relay_dropped_total{reason=\"oversized\"}",
      "kettle_relay_dropped_total{reason=\"unknown_allocation\"}",
      "kettle_relay_dropped_total{reason=\"bad_token\"}",
      "kettle_relay_dropped_total{reason=\"peer_unbound\"}",
      "kettle_relay_dropped_total{reason=\"rate_limited\"}",
      "kettle_relay_dropped_total{reason=\"send_buffer_full\"}",
  };
  EXPECT_EQ(before.size(), names.size());
  for (const auto& n : names) {
    ASSERT_TRUE(before.count(n)) << n;
    EXPECT_EQ(before[n], 0u) << n;
  }

  // Distinct values so a field wired to the wrong sample shows up.
  m.clients_online = 3;
  m.connections = 5;
  m.logins_ok = 7;
  m.logins_failed = 11;
  m.messages_in = 13;
  m.messages_out = 17;
  m.bytes_in = 19;
  m.bytes_out = 23;
  m.errors = 29;
  m.signals_relayed = 31;
  m.certificates_issued = 18446744073709551615ull;  // full 64-bit range survives
  m.relay_allocations = 37;
  m.relay_allocations_total = 41;
  m.relay_forwarded_datagrams = 43;
  m.relay_forwarded_bytes = 47;
  for (std::size_t i = 0; i < m.relay_dropped.size(); ++i) m.relay_dropped[i] = 53 + i;
  r = c.Get("/metrics");
  ASSERT_TRUE(r);
  auto after = parse_metrics(r->body);
  const std::vector<std::uint64_t> expected = {3,  5,  7,  11, 13, 17, 19, 23, 29, 31, 18446744073709551615ull,
                                               37, 41, 43, 47, 53, 54, 55, 56, 57, 58, 59};
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ(after[names[i]], expected[i]) << names[i];
  EXPECT_EQ(render_metrics(m), r->body);
}

TEST(HttpServer, StatusIsTheCallbacksJson) {
  Metrics m;
  int calls = 0;
  auto s = start_server(m, [&calls] { return "{\"calls\":" + std::to_string(++calls) + "}"; });
  ASSERT_NE(s, nullptr);
  auto c = client_for(*s);
  auto r = c.Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(r->body, "{\"calls\":1}");
  r = c.Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "{\"calls\":2}");
}

TEST(HttpServer, ThrowingStatusCallbackGives500AndServerKeepsServing) {
  Metrics m;
  auto s = start_server(m, []() -> std::string { throw std::runtime_error("db gone"); });
  ASSERT_NE(s, nullptr);
  auto c = client_for(*s);
  auto r = c.Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("db gone"), std::string::npos);
  r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(HttpServer, UnknownPathsAndMethodsAre404) {
  Metrics m;
  auto s = start_server(m);
  ASSERT_NE(s, nullptr);
  auto c = client_for(*s);
  for (const char* path : {"/", "/metrics/", "/api", "/api/status/x", "/healthz?probe=1"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    if (std::string(path).starts_with("/healthz?")) {
      EXPECT_EQ(r->status, 200) << path;  // a query string does not change the route
    } else {
      EXPECT_EQ(r->status, 404) << path;
      EXPECT_EQ(r->body, "not found\n") << path;
    }
  }
  auto r = c.Post("/metrics", "x", "text/plain");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST(HttpServer, PortInUseIsAnIoErrorNamingTheAddress) {
  Metrics m;
  auto first = start_server(m);
  ASSERT_NE(first, nullptr);
  auto second = HttpServer::start(first->address(), m, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), Errc::io);
  EXPECT_NE(second.error().message.find("HTTP " + first->address().to_string()), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find("in use"), std::string::npos) << second.error().message;
  // The first keeps serving.
  auto c = client_for(*first);
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(HttpServer, StopIsIdempotentAndClosesThePort) {
  Metrics m;
  auto s = start_server(m);
  ASSERT_NE(s, nullptr);
  const Address addr = s->address();
  s->stop();
  s->stop();
  httplib::Client c("127.0.0.1", addr.port);
  c.set_connection_timeout(2, 0);
  EXPECT_FALSE(c.Get("/healthz"));
  // The port is free again.
  auto again = HttpServer::start(addr, m, {});
  EXPECT_TRUE(again.ok()) << (again.ok() ? "" : again.error().to_string());
}

TEST(HttpServer, StopRightAfterStartDoesNotHang) {
  Metrics m;
  for (int i = 0; i < 20; ++i) {
    auto s = HttpServer::start(Address::loopback_v4(0), m, {});
    ASSERT_TRUE(s.ok());
    (*s)->stop();
  }
}

TEST(HttpServer, StopIsBoundedByTheReadTimeoutWhileAClientStalls) {
  Metrics m;
  auto s = start_server(m);
  ASSERT_NE(s, nullptr);
  // A client that sends half a request and goes quiet holds a worker thread.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(s->address().port);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::send(fd, "GET /hea", 8, 0), 8);
  // Other clients are still served meanwhile.
  auto c = client_for(*s);
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const auto t0 = std::chrono::steady_clock::now();
  s->stop();
  const auto took = std::chrono::steady_clock::now() - t0;
  ::close(fd);
  // The server's read timeout is 2 s; allow slack for a loaded sanitizer build.
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(HttpServer, Ipv6Loopback) {
  Metrics m;
  auto addr = Address::parse("[::1]:0");
  ASSERT_TRUE(addr.ok());
  auto s = HttpServer::start(*addr, m, {});
  if (!s.ok()) {
    // Hosts without IPv6 on loopback: the error must still name the address.
    EXPECT_EQ(s.code(), Errc::io);
    EXPECT_NE(s.error().message.find("[::1]:0"), std::string::npos);
    return;
  }
  EXPECT_NE((*s)->address().port, 0);
  httplib::Client c("::1", (*s)->address().port);
  c.set_address_family(AF_INET6);
  auto r = c.Get("/healthz");
  ASSERT_TRUE(r) << httplib::to_string(r.error());
  EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace kettle::server
