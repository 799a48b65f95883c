// Opening a SqliteStore: WAL, migrations, and every way the file can be wrong. Each bad file
// must give a clear error value, no crash, and be left as it was.
#include <filesystem>
#include <random>
#include <thread>

#include "server/store/migrations.hpp"
#include "server/store/store.hpp"
#include "server/store/store_test_util.hpp"

namespace kettle::server {
namespace {

using test::raw_query;
using test::read_bytes;
using test::TempDir;
using test::write_bytes;

bool contains(const std::string& s, std::string_view part) { return s.find(part) != std::string::npos; }

std::string make_real_db(const std::string& path, int accounts) {
  auto s = open_sqlite_store(path);
  EXPECT_TRUE(s.ok());
  if (!s.ok()) return {};
  for (int i = 0; i < accounts; ++i) {
    EXPECT_TRUE(
        (*s)->create_account("account_with_a_longish_name_" + std::to_string(i), CredentialKind::none, "", i).ok());
  }
  return path;
}

TEST(SqliteStoreOpen, WalModeIsOn) {
  TempDir dir;
  const std::string path = dir.file("k.db");
  auto s = open_sqlite_store(path);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  // journal_mode=WAL is persistent in the file; another connection sees it.
  EXPECT_EQ(raw_query(path, "PRAGMA journal_mode"), std::vector<std::string>{"wal"});
  ASSERT_TRUE((*s)->create_account("alice", CredentialKind::none, "", 1).ok());
  EXPECT_TRUE(std::filesystem::exists(path + "-wal"));
}

TEST(SqliteStoreOpen, MigrationsAreRecordedOnceEach) {
  TempDir dir;
  const std::string path = dir.file("k.db");
  const auto before =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  { ASSERT_TRUE(open_sqlite_store(path).ok()); }
  { ASSERT_TRUE(open_sqlite_store(path).ok()); }  // reopening applies nothing new
  const int latest = sqlite::latest_schema_version();
  ASSERT_GE(latest, 1);
  std::vector<std::string> expected;
  for (int v = 1; v <= latest; ++v) expected.push_back(std::to_string(v));
  EXPECT_EQ(raw_query(path, "SELECT version FROM schema_migrations ORDER BY version"), expected);
  for (const auto& t : raw_query(path, "SELECT applied_unix_s FROM schema_migrations")) {
    EXPECT_GE(std::stoll(t), before);
    EXPECT_LE(std::stoll(t), before + 600);
  }
  const auto tables = raw_query(path, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  for (const char* t : {"accounts", "apps", "grants", "schema_migrations", "tokens"}) {
    EXPECT_NE(std::find(tables.begin(), tables.end(), t), tables.end()) << t;
  }
}

// Two servers started against one new file at once: each step is applied exactly once (the
// second opener waits on BEGIN IMMEDIATE, then finds nothing pending).
TEST(SqliteStoreOpen, ConcurrentOpensOfANewFileMigrateOnce) {
  TempDir dir;
  const std::string path = dir.file("k.db");
  constexpr int kOpeners = 4;
  std::vector<Result<std::unique_ptr<Store>>> results;
  for (int i = 0; i < kOpeners; ++i) results.emplace_back(Errc::internal, "not run");
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) threads.emplace_back([&, i] { results[i] = open_sqlite_store(path); });
  for (auto& t : threads) t.join();
  for (auto& r : results) ASSERT_TRUE(r.ok()) << r.error().to_string();
  const int latest = sqlite::latest_schema_version();
  EXPECT_EQ(raw_query(path, "SELECT count(*) FROM schema_migrations"),
            std::vector<std::string>{std::to_string(latest)});
  // And they all work on the same data.
  ASSERT_TRUE((*results[0])->create_account("alice", CredentialKind::none, "", 1).ok());
  auto seen = (*results[kOpeners - 1])->find_account("alice");
  ASSERT_TRUE(seen.ok());
  EXPECT_TRUE(seen->has_value());
}

TEST(SqliteStoreOpen, NewerSchemaIsUnsupported) {
  TempDir dir;
  const std::string path = make_real_db(dir.file("k.db"), 1);
  const int future = sqlite::latest_schema_version() + 1;
  raw_query(path, "INSERT INTO schema_migrations(version, applied_unix_s) VALUES(" + std::to_string(future) + ", 0)");
  auto s = open_sqlite_store(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Errc::unsupported);
  const std::string& m = s.error().message;
  EXPECT_TRUE(contains(m, path)) << m;
  EXPECT_TRUE(contains(m, "schema version " + std::to_string(future))) << m;
  EXPECT_TRUE(contains(m, "newer kettle-server")) << m;
  // Nothing was touched: the account is still there, the future row too.
  EXPECT_EQ(raw_query(path, "SELECT count(*) FROM accounts"), std::vector<std::string>{"1"});
  EXPECT_EQ(raw_query(path, "SELECT max(version) FROM schema_migrations"),
            std::vector<std::string>{std::to_string(future)});
}

TEST(SqliteStoreOpen, GarbageFileIsMalformedAndUntouched) {
  TempDir dir;
  const std::string path = dir.file("garbage.db");
  std::mt19937 rng(12345);
  std::vector<char> bytes(8192);
  for (auto& b : bytes) b = static_cast<char>(rng());
  write_bytes(path, bytes);
  auto s = open_sqlite_store(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Errc::malformed);
  const std::string& m = s.error().message;
  EXPECT_TRUE(contains(m, "database file " + path + " is corrupt or not a Kettle database")) << m;
  EXPECT_EQ(read_bytes(path), bytes);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(SqliteStoreOpen, TextFileIsMalformed) {
  TempDir dir;
  const std::string path = dir.file("notes.txt");
  const std::string text = "this is a config file, not a database\n";
  write_bytes(path, std::vector<char>(text.begin(), text.end()));
  auto s = open_sqlite_store(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Errc::malformed) << s.error().to_string();
  EXPECT_TRUE(contains(s.error().message, "corrupt or not a Kettle database")) << s.error().message;
}

TEST(SqliteStoreOpen, TruncatedDatabaseIsMalformed) {
  TempDir dir;
  const std::string path = make_real_db(dir.file("k.db"), 400);  // many pages
  const auto full = read_bytes(path);
  ASSERT_GT(full.size(), 8u * 4096u);
  for (std::size_t keep : {full.size() / 2, std::size_t{4096} * 2 + 100, std::size_t{4096} + 1}) {
    SCOPED_TRACE("kept " + std::to_string(keep) + " of " + std::to_string(full.size()) + " bytes");
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");
    const std::vector<char> cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(keep));
    write_bytes(path, cut);
    auto s = open_sqlite_store(path);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.code(), Errc::malformed) << s.error().to_string();
    EXPECT_TRUE(contains(s.error().message, "corrupt or not a Kettle database")) << s.error().message;
  }
}

TEST(SqliteStoreOpen, ForeignSqliteDatabaseIsRefusedAndUntouched) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  raw_query(path, "CREATE TABLE photos(id INTEGER PRIMARY KEY, title TEXT); INSERT INTO photos(title) VALUES('x')");
  auto s = open_sqlite_store(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Errc::malformed);
  EXPECT_TRUE(contains(s.error().message, "not a Kettle database")) << s.error().message;
  EXPECT_EQ(raw_query(path, "SELECT name FROM sqlite_schema WHERE type = 'table'"), std::vector<std::string>{"photos"});
}

TEST(SqliteStoreOpen, PathUnderARegularFileIsIoWithTheOsReason) {
  TempDir dir;
  const std::string file = dir.file("plain");
  write_bytes(file, {'x'});
  const std::string path = file + "/k.db";  // root ignores permissions; ENOTDIR it cannot
  auto s = open_sqlite_store(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Errc::io);
  EXPECT_TRUE(contains(s.error().message, path)) << s.error().message;
  EXPECT_TRUE(contains(s.error().message, "Not a directory")) << s.error().message;
}

TEST(SqliteStoreOpen, MissingDirectoryIsIoWithTheOsReason) {
  TempDir dir;
  const std::string path = dir.file("no/such/dir/k.db");
  auto s = open_sqlite_store(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Errc::io);
  EXPECT_TRUE(contains(s.error().message, path)) << s.error().message;
  EXPECT_TRUE(contains(s.error().message, "No such file or directory")) << s.error().message;
}

TEST(SqliteStoreOpen, DirectoryAsPathIsIo) {
  TempDir dir;
  auto s = open_sqlite_store(dir.path().string());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Errc::io) << s.error().to_string();
  EXPECT_TRUE(contains(s.error().message, dir.path().string())) << s.error().message;
}

TEST(SqliteStoreOpen, EmptyPathIsInvalid) { EXPECT_EQ(open_sqlite_store("").code(), Errc::invalid_argument); }

}  // namespace
}  // namespace kettle::server
