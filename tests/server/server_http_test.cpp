// The Server with its HTTP endpoint on: /api/status and /metrics reflect the live sessions.
#include <gtest/gtest.h>
#include <httplib.h>

#include <nlohmann/json.hpp>

#include "server/server_fixture.hpp"

namespace kettle::server::test {
namespace {

TEST_F(ServerTest, StatusAndMetricsOverHttp) {
  options_.http = Address::loopback_v4(0);
  ASSERT_NO_FATAL_FAILURE(start());
  ASSERT_TRUE(server_->http_address());
  ASSERT_NE(server_->http_address()->port, 0);
  ASSERT_NE(login("alice"), 0u);
  httplib::Client http("127.0.0.1", server_->http_address()->port);
  auto r = http.Get("/api/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  const auto j = nlohmann::json::parse(r->body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r->body;
  EXPECT_EQ(j.value("clients_online", 0), 1);
  EXPECT_EQ(j.value("public_key", std::string()), public_key_hex(server_->public_key()));
  EXPECT_EQ(j.value("dev", false), true);
  EXPECT_EQ(j.value("udp", std::string()), server_->udp_address().to_string());
  ASSERT_TRUE(server_->relay_address());
  EXPECT_EQ(j.value("relay", std::string()), server_->relay_address()->to_string());
  EXPECT_EQ(j.value("relay_allocations", -1), 0);
  auto m = http.Get("/metrics");
  ASSERT_TRUE(m);
  EXPECT_NE(m->body.find("kettle_logins_total{result=\"ok\"} 1"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("kettle_relay_forwarded_datagrams_total 0\n"), std::string::npos) << m->body;
  EXPECT_NE(m->body.find("kettle_relay_dropped_total{reason=\"send_buffer_full\"} 0\n"), std::string::npos) << m->body;
}

}  // namespace
}  // namespace kettle::server::test
