#include "net/link_settings.hpp"

#include <gtest/gtest.h>

namespace kettle::net {
namespace {

TEST(LinkSettings, ParsesTheFullExample) {
  auto s = LinkSettings::parse("loss=5%,latency=25ms,jitter=5ms,dup=1%,reorder=2%,rate=10MB/s");
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_EQ(s->loss_percent, 5);
  EXPECT_EQ(s->latency, ms(25));
  EXPECT_EQ(s->jitter, ms(5));
  EXPECT_EQ(s->duplicate_percent, 1);
  EXPECT_EQ(s->reorder_percent, 2);
  EXPECT_EQ(s->rate_bytes_per_s, 10'000'000u);
  EXPECT_EQ(s->effective_queue_bytes(), 500'000u);  // default 50 ms at 10 MB/s
  EXPECT_FALSE(s->is_passthrough());
}

TEST(LinkSettings, EmptyAndNoneArePassthrough) {
  for (const char* spec : {"", "none", "  "}) {
    auto s = LinkSettings::parse(spec);
    ASSERT_TRUE(s.ok()) << spec;
    EXPECT_TRUE(s->is_passthrough());
    EXPECT_EQ(*s, LinkSettings{});
  }
  EXPECT_EQ(LinkSettings{}.to_string(), "none");
}

TEST(LinkSettings, UnitsAndSpacing) {
  auto s = LinkSettings::parse(" loss = 0.5 , latency=1.5s, jitter=250us, rate=100Mbit/s, queue=64KiB ");
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  EXPECT_DOUBLE_EQ(s->loss_percent, 0.5);
  EXPECT_EQ(s->latency, ms(1500));
  EXPECT_EQ(s->jitter, us(250));
  EXPECT_EQ(s->rate_bytes_per_s, 12'500'000u);
  EXPECT_EQ(s->queue_bytes, 65536u);
  EXPECT_EQ(LinkSettings::parse("rate=2MiB/s")->rate_bytes_per_s, 2u << 20);
  EXPECT_EQ(LinkSettings::parse("rate=1GB/s")->rate_bytes_per_s, 1'000'000'000u);
  EXPECT_EQ(LinkSettings::parse("rate=0")->rate_bytes_per_s, 0u);
  EXPECT_EQ(LinkSettings::parse("latency=0")->latency, Duration::zero());
  auto q = LinkSettings::parse("rate=1MB/s,queue=20ms");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->queue_delay, ms(20));
  EXPECT_EQ(q->effective_queue_bytes(), 20'000u);
  EXPECT_EQ(LinkSettings::parse("loss=1%,loss=2%")->loss_percent, 2);  // later wins
}

TEST(LinkSettings, ToStringRoundTrips) {
  for (const char* spec : {"loss=5%,latency=25ms,jitter=5ms,dup=1%,reorder=2%,rate=10MB/s",
                           "latency=1500us,reorder=0.25%,reorder_delay=3ms,rate=12345B/s,queue=7KB",
                           "rate=1MB/s,queue=20ms,max_pending=1MiB", "none"}) {
    auto s = LinkSettings::parse(spec);
    ASSERT_TRUE(s.ok()) << spec;
    auto again = LinkSettings::parse(s->to_string());
    ASSERT_TRUE(again.ok()) << s->to_string();
    EXPECT_EQ(*again, *s) << spec << " -> " << s->to_string();
  }
  EXPECT_EQ(LinkSettings::parse("loss=5%,latency=25ms")->to_string(), "loss=5%,latency=25ms");
}

struct BadSpec {
  const char* spec;
  const char* must_mention;
};

TEST(LinkSettings, BadSpecsGiveClearErrors) {
  const BadSpec cases[] = {
      {"loss=150%", "[0%, 100%]"},
      {"loss=-1%", "'loss'"},
      {"loss=five", "percentage"},
      {"loss=5%%", "'loss'"},
      {"latency=25", "duration like"},
      {"latency=25parsecs", "duration like"},
      {"latency=11s", "[0ms, 10s]"},
      {"jitter=1h", "'jitter'"},
      {"rate=10MB", "rate like"},
      {"rate=200GB/s", "'rate'"},
      {"queue=lots", "'queue'"},
      {"queue=0", "queue_delay"},
      {"max_pending=1KB", "'max_pending'"},
      {"bogus=1", "unknown option 'bogus'"},
      {"loss", "key=value"},
      {"loss=5%,,latency=1ms", "key=value"},
      {"rate=1B/s,queue=1ms", "less than one byte"},
  };
  for (const auto& c : cases) {
    auto s = LinkSettings::parse(c.spec);
    ASSERT_FALSE(s.ok()) << c.spec;
    EXPECT_EQ(s.code(), Errc::invalid_argument) << c.spec;
    EXPECT_NE(s.error().message.find(c.must_mention), std::string::npos)
        << c.spec << " -> " << s.error().message << " (expected to mention " << c.must_mention << ")";
  }
}

TEST(LinkSettings, ValidateNamesOptionAndRange) {
  LinkSettings s;
  s.jitter = -ms(1);
  auto st = s.validate();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("'jitter'"), std::string::npos) << st.error().message;
  s = LinkSettings{};
  s.duplicate_percent = 100.5;
  EXPECT_NE(s.validate().error().message.find("'dup'"), std::string::npos);
  EXPECT_TRUE(LinkSettings{}.validate().ok());
}

}  // namespace
}  // namespace kettle::net
