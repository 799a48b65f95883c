#include "core/address.hpp"

#include <gtest/gtest.h>

#include <unordered_set>

namespace kettle {
namespace {

TEST(Address, ParseAndPrintV4V6) {
  auto a = Address::parse("127.0.0.1:27015");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->v4_host_order(), 0x7F000001u);
  EXPECT_EQ(a->port, 27015);
  EXPECT_EQ(a->to_string(), "127.0.0.1:27015");
  EXPECT_EQ(*a, Address::loopback_v4(27015));
  auto b = Address::parse("[::1]:9");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->family, Address::Family::v6);
  EXPECT_EQ(b->to_string(), "[::1]:9");
  EXPECT_EQ(Address::parse("localhost:1")->v4_host_order(), 0x7F000001u);
}

TEST(Address, ParseRejectsGarbageWithClearMessage) {
  for (const char* bad : {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:70000", "1.2.3.4:12x", "nohost:5", "[::1]5"}) {
    auto r = Address::parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.code(), Errc::invalid_argument);
    EXPECT_FALSE(r.error().message.empty());
  }
}

TEST(Address, HashDistinguishesPorts) {
  std::unordered_set<Address> s{Address::loopback_v4(1), Address::loopback_v4(2), Address::loopback_v4(1)};
  EXPECT_EQ(s.size(), 2u);
}

}  // namespace
}  // namespace kettle
