#include "transport/config.hpp"

#include <gtest/gtest.h>

#include "transport/config_table.hpp"

namespace kettle::transport {
namespace {

TEST(Config, DefaultsAreValidAndInsideTheTable) {
  const Config c;
  EXPECT_TRUE(c.validate().ok());
  for (const auto& o : config_options()) {
    const auto v = o.get(c);
    EXPECT_GE(v, o.min) << o.name;
    EXPECT_LE(v, o.max) << o.name;
  }
}

TEST(Config, OutOfRangeValuesNameTheOptionAndRange) {
  Config c;
  c.max_datagram_size = 1200;
  auto s = c.validate();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Errc::invalid_argument);
  EXPECT_NE(s.error().message.find("max_datagram_size"), std::string::npos);
  EXPECT_NE(s.error().message.find("[1240, 1472]"), std::string::npos);

  Config d;
  d.channels = 257;
  EXPECT_NE(d.validate().error().message.find("channels"), std::string::npos);
  d.channels = 0;
  EXPECT_FALSE(d.validate().ok());
  d.channels = 256;
  EXPECT_TRUE(d.validate().ok());  // both sides of the boundary

  Config e;
  e.keepalive_interval = e.idle_timeout;
  EXPECT_NE(e.validate().error().message.find("keepalive_interval"), std::string::npos);
}

}  // namespace
}  // namespace kettle::transport
