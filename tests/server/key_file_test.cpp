// The server key file: created 0600, reloaded identically, refused when others can read it.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "server/server.hpp"

namespace kettle::server {
namespace {

class KeyFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/kettle-key-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/server.key";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string dir_, path_;
};

TEST_F(KeyFileTest, CreatedWithMode0600AndReloadedIdentically) {
  auto k1 = load_or_create_key(path_);
  ASSERT_TRUE(k1) << k1.error().to_string();
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_EQ(std::filesystem::file_size(path_), 65u);
  auto k2 = load_or_create_key(path_);
  ASSERT_TRUE(k2);
  EXPECT_EQ(k1->pub, k2->pub);
  const auto hex = public_key_hex(k1->pub);
  EXPECT_EQ(hex.size(), 64u);
  auto parsed = parse_public_key_hex(hex);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(*parsed, k1->pub);
}

TEST_F(KeyFileTest, GroupReadableFileIsRefused) {
  ASSERT_TRUE(load_or_create_key(path_));
  ASSERT_EQ(::chmod(path_.c_str(), 0640), 0);
  auto k = load_or_create_key(path_);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.code(), Errc::invalid_argument);
  EXPECT_NE(k.error().message.find("chmod 600 " + path_), std::string::npos) << k.error().message;
}

TEST_F(KeyFileTest, MalformedFileIsRefused) {
  {
    std::ofstream f(path_);
    f << "not a key\n";
  }
  ASSERT_EQ(::chmod(path_.c_str(), 0600), 0);
  auto k = load_or_create_key(path_);
  ASSERT_FALSE(k);
  EXPECT_EQ(k.code(), Errc::malformed);
  EXPECT_NE(k.error().message.find("64 hex characters"), std::string::npos);
}

TEST_F(KeyFileTest, MissingDirectoryIsAnIoError) {
  auto k = load_or_create_key(dir_ + "/nope/server.key");
  ASSERT_FALSE(k);
  EXPECT_EQ(k.code(), Errc::io);
}

TEST(PublicKeyHex, BadHexIsMalformed) {
  EXPECT_EQ(parse_public_key_hex("abc").code(), Errc::malformed);
  EXPECT_EQ(parse_public_key_hex(std::string(64, 'g')).code(), Errc::malformed);
}

}  // namespace
}  // namespace kettle::server
