// SqliteStore on real files: accounts, credentials, tokens, apps and grants, persistence,
// concurrent use.
#include "server/store/store.hpp"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include "server/store/credentials.hpp"
#include "server/store/store_test_util.hpp"

namespace kettle::server {
namespace {

using test::raw_query;
using test::TempDir;

std::unique_ptr<Store> open_ok(const std::string& path) {
  auto s = open_sqlite_store(path);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().to_string());
  return s.ok() ? std::move(*s) : nullptr;
}

Account create_ok(Store& s, std::string_view name, std::int64_t now = 1000) {
  auto a = s.create_account(name, CredentialKind::none, "", now);
  EXPECT_TRUE(a.ok()) << name << ": " << (a.ok() ? "" : a.error().to_string());
  return a.ok() ? *a : Account{};
}

const std::string kHashA = hash_token("kt_a");
const std::string kHashB = hash_token("kt_b");

TEST(SqliteStore, CreateFindAndListAccounts) {
  TempDir dir;
  auto s = open_ok(dir.file("k.db"));
  ASSERT_TRUE(s);
  const Account alice = create_ok(*s, "alice", 1700000000);
  const Account bob = create_ok(*s, "bob", 1700000005);
  EXPECT_GE(alice.account_id, 1u);
  EXPECT_GT(bob.account_id, alice.account_id);
  EXPECT_EQ(alice.persona_name, "alice");
  EXPECT_EQ(alice.created_unix_s, 1700000000);
  EXPECT_EQ(alice.last_seen_unix_s, 0);
  EXPECT_EQ(alice.steam_id(), SteamID::individual(alice.account_id));

  auto by_name = s->find_account("bob");
  ASSERT_TRUE(by_name.ok());
  ASSERT_TRUE(by_name->has_value());
  EXPECT_EQ((*by_name)->account_id, bob.account_id);
  EXPECT_EQ((*by_name)->created_unix_s, 1700000005);

  auto by_id = s->find_account(alice.account_id);
  ASSERT_TRUE(by_id.ok());
  ASSERT_TRUE(by_id->has_value());
  EXPECT_EQ((*by_id)->login_name, "alice");

  auto missing = s->find_account("carol");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
  auto missing_id = s->find_account(bob.account_id + 100);
  ASSERT_TRUE(missing_id.ok());
  EXPECT_FALSE(missing_id->has_value());

  auto all = s->list_accounts();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].login_name, "alice");
  EXPECT_EQ((*all)[1].login_name, "bob");
}

TEST(SqliteStore, DuplicateAndInvalidNamesAreRefusedAndStoreNothing) {
  TempDir dir;
  auto s = open_ok(dir.file("k.db"));
  ASSERT_TRUE(s);
  create_ok(*s, "alice");
  auto dup = s->create_account("alice", CredentialKind::none, "", 1);
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.code(), Errc::invalid_argument);
  EXPECT_NE(dup.error().message.find("already taken"), std::string::npos) << dup.error().message;
  // Case-sensitive, as documented.
  create_ok(*s, "Alice");

  const std::string too_long(65, 'x');
  for (std::string_view bad : {std::string_view(""), std::string_view(too_long), std::string_view("a\nb"),
                               std::string_view("\xff\xfe"), std::string_view("   ")}) {
    auto r = s->create_account(bad, CredentialKind::none, "", 1);
    ASSERT_FALSE(r.ok()) << "accepted '" << bad << "'";
    EXPECT_EQ(r.code(), Errc::invalid_argument);
    EXPECT_NE(r.error().message.find("login name"), std::string::npos) << r.error().message;
  }
  EXPECT_TRUE(s->create_account(std::string(64, 'x'), CredentialKind::none, "", 1).ok());
  // A password account needs a hash; a dev account takes none.
  EXPECT_EQ(s->create_account("p", CredentialKind::password, "", 1).code(), Errc::invalid_argument);
  EXPECT_EQ(s->create_account("q", CredentialKind::none, "xyz", 1).code(), Errc::invalid_argument);

  auto all = s->list_accounts();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
}

TEST(SqliteStore, AccountIdsAreMonotonicAndNeverReused) {
  TempDir dir;
  const std::string path = dir.file("k.db");
  std::uint32_t last = 0;
  {
    auto s = open_ok(path);
    ASSERT_TRUE(s);
    for (int i = 0; i < 20; ++i) {
      const Account a = create_ok(*s, "user" + std::to_string(i));
      EXPECT_GT(a.account_id, last);
      last = a.account_id;
      EXPECT_FALSE(s->create_account("user" + std::to_string(i), CredentialKind::none, "", 1).ok());
    }
  }
  // Kettle never deletes accounts, but an operator might by hand; a new account must still not
  // inherit the deleted id (someone's SteamID), which AUTOINCREMENT guarantees.
  raw_query(path, "DELETE FROM accounts WHERE account_id = " + std::to_string(last));
  auto s = open_ok(path);
  ASSERT_TRUE(s);
  const Account next = create_ok(*s, "newcomer");
  EXPECT_GT(next.account_id, last);
}

TEST(SqliteStore, PersonaNameAndTouch) {
  TempDir dir;
  auto s = open_ok(dir.file("k.db"));
  ASSERT_TRUE(s);
  const Account a = create_ok(*s, "alice");
  ASSERT_TRUE(s->set_persona_name(a.account_id, "Alice \xe2\x98\x95").ok());
  EXPECT_EQ(s->set_persona_name(a.account_id, "").code(), Errc::invalid_argument);
  EXPECT_EQ(s->set_persona_name(a.account_id, std::string(129, 'n')).code(), Errc::invalid_argument);
  EXPECT_EQ(s->set_persona_name(a.account_id + 1, "ghost").code(), Errc::invalid_argument);
  ASSERT_TRUE(s->touch(a.account_id, 1234567).ok());
  EXPECT_EQ(s->touch(a.account_id + 1, 1).code(), Errc::invalid_argument);

  auto got = s->find_account(a.account_id);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->persona_name, "Alice \xe2\x98\x95");
  EXPECT_EQ((*got)->login_name, "alice");
  EXPECT_EQ((*got)->last_seen_unix_s, 1234567);
}

TEST(SqliteStore, TouchManyWritesEveryUpdateInOneBatchAndSkipsUnknownAccounts) {
  TempDir dir;
  auto s = open_ok(dir.file("t.db"));
  ASSERT_TRUE(s);
  auto a = s->create_account("alice", CredentialKind::none, "", 10);
  auto b = s->create_account("bob", CredentialKind::none, "", 10);
  ASSERT_TRUE(a.ok() && b.ok());
  const std::vector<Store::Touch> batch{{a->account_id, 100}, {999, 5}, {b->account_id, 200}, {a->account_id, 300}};
  ASSERT_TRUE(s->touch_many(batch).ok());
  EXPECT_TRUE(s->touch_many({}).ok());
  auto ga = s->find_account(a->account_id);
  auto gb = s->find_account(b->account_id);
  ASSERT_TRUE(ga.ok() && ga->has_value() && gb.ok() && gb->has_value());
  EXPECT_EQ((*ga)->last_seen_unix_s, 300) << "later entries win";
  EXPECT_EQ((*gb)->last_seen_unix_s, 200);
  EXPECT_FALSE(s->find_account(999u).value().has_value());
}

TEST(SqliteStore, Credentials) {
  TempDir dir;
  auto s = open_ok(dir.file("k.db"));
  ASSERT_TRUE(s);
  auto a = s->create_account("alice", CredentialKind::password, "$argon2id$fake", 1);
  ASSERT_TRUE(a.ok());
  auto c = s->credential(a->account_id);
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->kind, CredentialKind::password);
  EXPECT_EQ((*c)->hash, "$argon2id$fake");

  ASSERT_TRUE(s->set_credential(a->account_id, CredentialKind::none, "").ok());
  c = s->credential(a->account_id);
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->kind, CredentialKind::none);
  EXPECT_EQ((*c)->hash, "");
  EXPECT_EQ(s->set_credential(a->account_id + 1, CredentialKind::none, "").code(), Errc::invalid_argument);

  auto none = s->credential(a->account_id + 1);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST(SqliteStore, Tokens) {
  TempDir dir;
  auto s = open_ok(dir.file("k.db"));
  ASSERT_TRUE(s);
  const Account a = create_ok(*s, "alice");
  const Account b = create_ok(*s, "bob");
  ASSERT_TRUE(s->add_token(a.account_id, kHashA, 10).ok());
  ASSERT_TRUE(s->add_token(b.account_id, kHashB, 10).ok());
  EXPECT_EQ(s->add_token(b.account_id, kHashA, 10).code(), Errc::invalid_argument);  // already stored
  EXPECT_EQ(s->add_token(b.account_id + 1, hash_token("kt_c"), 10).code(), Errc::invalid_argument);
  // A raw token is a secret: it must never be stored by mistake.
  EXPECT_EQ(s->add_token(a.account_id, generate_token(), 10).code(), Errc::invalid_argument);

  auto fa = s->find_token(kHashA);
  ASSERT_TRUE(fa.ok() && fa->has_value());
  EXPECT_EQ(**fa, a.account_id);
  auto fb = s->find_token(kHashB);
  ASSERT_TRUE(fb.ok() && fb->has_value());
  EXPECT_EQ(**fb, b.account_id);
  auto unknown = s->find_token(hash_token("kt_nope"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
  auto garbage = s->find_token("not a hash");
  ASSERT_TRUE(garbage.ok());
  EXPECT_FALSE(garbage->has_value());
}

TEST(SqliteStore, AppsAndGrants) {
  TempDir dir;
  auto s = open_ok(dir.file("k.db"));
  ASSERT_TRUE(s);
  const Account a = create_ok(*s, "alice");
  ASSERT_TRUE(s->upsert_app(App{480, "Spacewar", true}).ok());
  ASSERT_TRUE(s->upsert_app(App{7, "Closed beta", false}).ok());
  EXPECT_EQ(s->upsert_app(App{0, "zero", true}).code(), Errc::invalid_argument);
  EXPECT_EQ(s->upsert_app(App{9, "", true}).code(), Errc::invalid_argument);

  auto app = s->find_app(480);
  ASSERT_TRUE(app.ok() && app->has_value());
  EXPECT_EQ((*app)->name, "Spacewar");
  EXPECT_TRUE((*app)->open);
  ASSERT_TRUE(s->upsert_app(App{480, "Spacewar 2", false}).ok());  // update in place
  app = s->find_app(480);
  ASSERT_TRUE(app.ok() && app->has_value());
  EXPECT_EQ((*app)->name, "Spacewar 2");
  EXPECT_FALSE((*app)->open);
  auto none = s->find_app(9);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());

  auto apps = s->list_apps();
  ASSERT_TRUE(apps.ok());
  ASSERT_EQ(apps->size(), 2u);
  EXPECT_EQ((*apps)[0].app_id, 7u);
  EXPECT_EQ((*apps)[1].app_id, 480u);

  auto g = s->has_grant(7, a.account_id);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(*g);
  ASSERT_TRUE(s->grant(7, a.account_id).ok());
  ASSERT_TRUE(s->grant(7, a.account_id).ok());  // idempotent
  g = s->has_grant(7, a.account_id);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(*g);
  g = s->has_grant(480, a.account_id);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(*g);
  EXPECT_EQ(s->grant(99, a.account_id).code(), Errc::invalid_argument);     // no such app
  EXPECT_EQ(s->grant(7, a.account_id + 1).code(), Errc::invalid_argument);  // no such account
  ASSERT_TRUE(s->revoke(7, a.account_id).ok());
  ASSERT_TRUE(s->revoke(7, a.account_id).ok());  // idempotent
  g = s->has_grant(7, a.account_id);
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(*g);
}

TEST(SqliteStore, EverythingPersistsAcrossCloseAndReopen) {
  TempDir dir;
  const std::string path = dir.file("k.db");
  std::uint32_t id = 0;
  {
    auto s = open_ok(path);
    ASSERT_TRUE(s);
    auto a = s->create_account("alice", CredentialKind::password, "$argon2id$h", 50);
    ASSERT_TRUE(a.ok());
    id = a->account_id;
    ASSERT_TRUE(s->set_persona_name(id, "Queen Alice").ok());
    ASSERT_TRUE(s->touch(id, 99).ok());
    ASSERT_TRUE(s->add_token(id, kHashA, 60).ok());
    ASSERT_TRUE(s->upsert_app(App{480, "Spacewar", false}).ok());
    ASSERT_TRUE(s->grant(480, id).ok());
  }
  auto s = open_ok(path);
  ASSERT_TRUE(s);
  auto a = s->find_account("alice");
  ASSERT_TRUE(a.ok() && a->has_value());
  EXPECT_EQ((*a)->account_id, id);
  EXPECT_EQ((*a)->persona_name, "Queen Alice");
  EXPECT_EQ((*a)->created_unix_s, 50);
  EXPECT_EQ((*a)->last_seen_unix_s, 99);
  auto c = s->credential(id);
  ASSERT_TRUE(c.ok() && c->has_value());
  EXPECT_EQ((*c)->hash, "$argon2id$h");
  auto t = s->find_token(kHashA);
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ(**t, id);
  auto app = s->find_app(480);
  ASSERT_TRUE(app.ok() && app->has_value());
  EXPECT_FALSE((*app)->open);
  auto g = s->has_grant(480, id);
  ASSERT_TRUE(g.ok());
  EXPECT_TRUE(*g);
}

TEST(SqliteStore, TwoStoresOnOneFileSeeEachOthersWrites) {
  TempDir dir;
  const std::string path = dir.file("k.db");
  auto s1 = open_ok(path);
  auto s2 = open_ok(path);
  ASSERT_TRUE(s1 && s2);
  const Account a = create_ok(*s1, "alice");
  auto seen = s2->find_account("alice");
  ASSERT_TRUE(seen.ok() && seen->has_value());
  EXPECT_EQ((*seen)->account_id, a.account_id);
  EXPECT_FALSE(s2->create_account("alice", CredentialKind::none, "", 1).ok());
}

TEST(SqliteStore, InMemoryStoresArePrivate) {
  auto m1 = open_ok(":memory:");
  auto m2 = open_ok(":memory:");
  ASSERT_TRUE(m1 && m2);
  create_ok(*m1, "alice");
  auto in1 = m1->find_account("alice");
  auto in2 = m2->find_account("alice");
  ASSERT_TRUE(in1.ok() && in2.ok());
  EXPECT_TRUE(in1->has_value());
  EXPECT_FALSE(in2->has_value());
}

TEST(SqliteStore, ConcurrentUseFromFourThreads) {
  TempDir dir;
  auto s = open_ok(dir.file("k.db"));
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->upsert_app(App{480, "Spacewar", false}).ok());
  constexpr int kThreads = 4;
  constexpr int kAccountsPerThread = 50;  // each account: create, persona, touch, token, grant, 5 reads
  std::atomic<int> failures{0};
  std::atomic<int> ops{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto check = [&](bool ok) {
        ++ops;
        if (!ok) ++failures;
      };
      for (int i = 0; i < kAccountsPerThread; ++i) {
        // Not "t" + ...: GCC 12 -O2 reports a false -Wrestrict on literal + std::string here.
        const std::string name = std::to_string(t) + "_" + std::to_string(i) + "_user";
        auto a = s->create_account(name, CredentialKind::none, "", i);
        check(a.ok());
        if (!a.ok()) continue;
        const std::uint32_t id = a->account_id;
        check(s->set_persona_name(id, "P " + name).ok());
        check(s->touch(id, 1000 + i).ok());
        check(s->add_token(id, hash_token("kt_" + name), i).ok());
        check(s->grant(480, id).ok());
        auto f = s->find_account(name);
        check(f.ok() && f->has_value() && (*f)->account_id == id && (*f)->persona_name == "P " + name);
        auto tok = s->find_token(hash_token("kt_" + name));
        check(tok.ok() && tok->has_value() && **tok == id);
        auto g = s->has_grant(480, id);
        check(g.ok() && *g);
        auto by_id = s->find_account(id);
        check(by_id.ok() && by_id->has_value() && (*by_id)->last_seen_unix_s == 1000 + i);
        check(s->list_apps().ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(ops.load(), kThreads * kAccountsPerThread * 10);
  auto all = s->list_accounts();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), static_cast<std::size_t>(kThreads * kAccountsPerThread));
  // Every id distinct.
  std::vector<std::uint32_t> ids;
  for (const auto& a : *all) ids.push_back(a.account_id);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

// Not a pass/fail benchmark (sanitizer builds are slow); prints the rates for the report and
// checks every call succeeded.
TEST(SqliteStore, MeasureLookupAndTouchRates) {
  TempDir dir;
  auto s = open_ok(dir.file("k.db"));
  ASSERT_TRUE(s);
  constexpr int kAccounts = 200;
  std::vector<std::uint32_t> ids;
  for (int i = 0; i < kAccounts; ++i) ids.push_back(create_ok(*s, "user" + std::to_string(i)).account_id);
  using Clock = std::chrono::steady_clock;
  constexpr int kLookups = 20000;
  auto t0 = Clock::now();
  int found = 0;
  for (int i = 0; i < kLookups; ++i) {
    auto a = s->find_account("user" + std::to_string(i % kAccounts));
    found += (a.ok() && a->has_value()) ? 1 : 0;
  }
  const double lookup_s = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_EQ(found, kLookups);
  constexpr int kTouches = 2000;
  t0 = Clock::now();
  int touched = 0;
  for (int i = 0; i < kTouches; ++i) touched += s->touch(ids[i % kAccounts], 5000 + i).ok() ? 1 : 0;
  const double touch_s = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_EQ(touched, kTouches);
  std::cout << "[ rates    ] find_account(name): " << static_cast<long>(kLookups / lookup_s)
            << "/s, touch(): " << static_cast<long>(kTouches / touch_s) << "/s (file DB, WAL, synchronous=NORMAL)\n";
}

}  // namespace
}  // namespace kettle::server
