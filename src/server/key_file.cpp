// The server key file (a 32-byte Ed25519 seed as hex) and the public key's hex form.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>

#include "crypto/keys.hpp"
#include "server/server.hpp"

namespace kettle::server {

namespace {

constexpr std::size_t kSeedBytes = 32;

Error io_error(const std::string& path, std::string_view what) {
  return make_error(Errc::io, "key file " + path + ": " + std::string(what) + ": " + std::strerror(errno));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Wipes its buffer: the seed is the server's signing secret.
struct SecretText {
  std::string text;
  ~SecretText() { crypto::secure_wipe({reinterpret_cast<std::uint8_t*>(text.data()), text.size()}); }
};

Result<crypto::SigningKeyPair> create_key(const std::string& path) {
  crypto::SecretBytes<kSeedBytes> seed;
  crypto::random_bytes(seed.bytes);
  SecretText hex;
  static constexpr char kDigits[] = "0123456789abcdef";
  for (const std::uint8_t b : seed.bytes) {
    hex.text.push_back(kDigits[b >> 4]);
    hex.text.push_back(kDigits[b & 15]);
  }
  hex.text.push_back('\n');
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return io_error(path, "cannot create");
  std::size_t off = 0;
  while (off < hex.text.size()) {
    const ssize_t n = ::write(fd, hex.text.data() + off, hex.text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Error e = io_error(path, "cannot write");
      ::close(fd);
      ::unlink(path.c_str());
      return e;
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) return io_error(path, "cannot write");
  return crypto::SigningKeyPair::from_seed(seed.bytes);
}

}  // namespace

Result<crypto::SigningKeyPair> load_or_create_key(const std::string& path) {
  KETTLE_TRY(crypto::init());
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return create_key(path);
    return io_error(path, "cannot stat");
  }
  if ((st.st_mode & 077) != 0) {
    return make_error(Errc::invalid_argument,
                      "key file " + path + " is readable by group or others: chmod 600 " + path);
  }
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error(path, "cannot open");
  SecretText text;
  std::array<char, 256> buf{};
  for (;;) {
    const ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Error e = io_error(path, "cannot read");
      ::close(fd);
      return e;
    }
    if (n == 0) break;
    text.text.append(buf.data(), static_cast<std::size_t>(n));
    if (text.text.size() > 4096) break;  // not a key file; the length check below says so
  }
  ::close(fd);
  crypto::secure_wipe({reinterpret_cast<std::uint8_t*>(buf.data()), buf.size()});
  while (!text.text.empty() && (text.text.back() == '\n' || text.text.back() == '\r' || text.text.back() == ' ')) {
    text.text.pop_back();
  }
  const Error malformed =
      make_error(Errc::malformed, "key file " + path + ": server key must be 64 hex characters (a 32-byte seed)");
  if (text.text.size() != kSeedBytes * 2) return malformed;
  crypto::SecretBytes<kSeedBytes> seed;
  for (std::size_t i = 0; i < kSeedBytes; ++i) {
    const int hi = hex_value(text.text[2 * i]);
    const int lo = hex_value(text.text[2 * i + 1]);
    if (hi < 0 || lo < 0) return malformed;
    seed.bytes[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return crypto::SigningKeyPair::from_seed(seed.bytes);
}

std::string public_key_hex(const crypto::SigningPublicKey& key) { return key.to_hex(); }

Result<crypto::SigningPublicKey> parse_public_key_hex(std::string_view hex) {
  auto key = crypto::SigningPublicKey::from_hex(hex);
  if (!key) return make_error(Errc::malformed, "server key must be 64 hex characters");
  return key;
}

}  // namespace kettle::server
