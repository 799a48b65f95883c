// Persistent state of kettle-server: accounts, credentials, apps and entitlements.
// SqliteStore (sqlite_store.cpp) is the default; a Redis store for multi-node scale-out comes
// with a later issue behind this same interface. Every call is synchronous and may be slow
// (disk); the server calls it from its I/O thread for cheap operations and from its auth
// workers for password checks. Implementations must be safe to call from several threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/steam_id.hpp"

namespace kettle::server {

inline constexpr std::size_t kMaxAppNameBytes = 128;  // App::name, same rules as a persona name

struct Account {
  std::uint32_t account_id = 0;  // SteamID::individual(account_id); ≥ 1, never reused
  std::string login_name;        // unique, case-sensitive, ≤ control::kMaxLoginNameBytes
  std::string persona_name;      // shown to others; initially the login name
  std::int64_t created_unix_s = 0;
  std::int64_t last_seen_unix_s = 0;

  SteamID steam_id() const noexcept { return SteamID::individual(account_id); }
};

enum class CredentialKind : std::uint8_t {
  none = 0,      // dev-mode account: logs in by name only, and only while the server runs --dev
  password = 1,  // hash = crypto_pwhash_str output (Argon2id, self-describing)
};

struct App {
  std::uint32_t app_id = 0;
  std::string name;
  bool open = true;  // every account is entitled; else only those granted
};

class Store {
 public:
  virtual ~Store() = default;

  // ---- accounts ----
  // Errors: invalid_argument (name rules, see control::validate_name; or "login name already
  // taken"), io (database failure).
  virtual Result<Account> create_account(std::string_view login_name, CredentialKind kind,
                                         std::string_view credential_hash, std::int64_t now_unix_s) = 0;
  virtual Result<std::optional<Account>> find_account(std::string_view login_name) = 0;
  virtual Result<std::optional<Account>> find_account(std::uint32_t account_id) = 0;
  virtual Result<std::vector<Account>> list_accounts() = 0;
  // The stored credential (kind + hash); nullopt if the account does not exist.
  struct Credential {
    CredentialKind kind = CredentialKind::none;
    std::string hash;
  };
  virtual Result<std::optional<Credential>> credential(std::uint32_t account_id) = 0;
  virtual Status set_credential(std::uint32_t account_id, CredentialKind kind, std::string_view hash) = 0;
  virtual Status set_persona_name(std::uint32_t account_id, std::string_view name) = 0;
  virtual Status touch(std::uint32_t account_id, std::int64_t now_unix_s) = 0;  // last_seen
  // Many last_seen updates in one transaction (the server batches them: one commit per second
  // instead of one per login/logout). Accounts that no longer exist are skipped.
  struct Touch {
    std::uint32_t account_id = 0;
    std::int64_t now_unix_s = 0;
  };
  virtual Status touch_many(std::span<const Touch> touches) = 0;

  // ---- access tokens (stored as BLAKE2b hashes; the token itself is shown once) ----
  virtual Status add_token(std::uint32_t account_id, std::string_view token_hash, std::int64_t now_unix_s) = 0;
  // The account a token hash belongs to, if any.
  virtual Result<std::optional<std::uint32_t>> find_token(std::string_view token_hash) = 0;

  // ---- apps and entitlements ----
  virtual Status upsert_app(const App& app) = 0;
  virtual Result<std::optional<App>> find_app(std::uint32_t app_id) = 0;
  virtual Result<std::vector<App>> list_apps() = 0;
  virtual Status grant(std::uint32_t app_id, std::uint32_t account_id) = 0;
  virtual Status revoke(std::uint32_t app_id, std::uint32_t account_id) = 0;
  virtual Result<bool> has_grant(std::uint32_t app_id, std::uint32_t account_id) = 0;
};

// Opens (creating if needed) the SQLite database at `path` in WAL mode and applies pending
// schema migrations (versioned in code, recorded in `schema_migrations`). ":memory:" gives a
// private in-memory database. Errors: io (cannot create/open: path, directory, permissions
// named in the message), malformed ("not a Kettle database" / "database file is corrupt"),
// unsupported (schema newer than this binary).
Result<std::unique_ptr<Store>> open_sqlite_store(const std::string& path);

}  // namespace kettle::server
