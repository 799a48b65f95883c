// The 1-RTT authenticated key exchange (docs/protocol.md §4).
//
//   initiator                                   responder
//   HELLO (always exactly 1200 bytes)  ───────►
//                                      ◄─────── COOKIE  (only if the responder demands
//   HELLO + cookie (1200 bytes)        ───────►          address validation; ~36 bytes)
//                                      ◄─────── WELCOME (≈300 bytes)
//   DATA (sealed)                      ◄──────► DATA
//
// HELLO carries the initiator's ephemeral X25519 key, its certificate and an
// Ed25519 signature over the message; WELCOME carries the responder's ephemeral
// key, certificate and a signature over (HELLO || WELCOME-so-far). Both sides
// check the peer certificate against their trust root. Every reply is smaller
// than the HELLO that caused it, so the handshake can't amplify a spoofed flood,
// and the responder keeps no state for a HELLO until it accepts it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "core/address.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/aead.hpp"
#include "crypto/certificate.hpp"
#include "crypto/cookie.hpp"
#include "crypto/keys.hpp"

namespace kettle::crypto {

inline constexpr std::uint8_t kProtocolVersion = 1;
inline constexpr std::size_t kHelloSize = 1200;

// First byte of every Kettle datagram.
enum class PacketType : std::uint8_t {
  hello = 0x01,
  cookie = 0x02,
  welcome = 0x03,
  data = 0x04,  // sealed short-header packet, see src/transport
  version_mismatch = 0x05,
};

// Byte offset of the initiator's connection id in COOKIE, WELCOME and
// VERSION_MISMATCH (type u8, version u8, initiator_conn_id u32), so an endpoint
// can route a reply before parsing it.
inline constexpr std::size_t kReplyConnIdOffset = 2;

// Exact datagram sizes (docs/protocol.md §4).
inline constexpr std::size_t kCookiePacketSize = 1 + 1 + 4 + CookieJar::kSize;                        // 30
inline constexpr std::size_t kWelcomeSize = 1 + 1 + 4 + 4 + 1 + 32 + Certificate::kEncodedSize + 64;  // 224
inline constexpr std::size_t kVersionMismatchSize = 1 + 1 + 4;                                        // 6
static_assert(kCookiePacketSize < kHelloSize && kWelcomeSize < kHelloSize && kVersionMismatchSize < kHelloSize);

struct Established {
  SessionKeys keys;
  Certificate peer;                // verified against our trust root
  std::uint32_t peer_conn_id = 0;  // put this in the header of every DATA packet we send
};

class HandshakeInitiator {
 public:
  // `me` must outlive the initiator. Generates a fresh ephemeral key.
  HandshakeInitiator(const Identity& me, std::uint32_t local_conn_id);
  // With a given ephemeral key: only for deterministic fixtures and fuzz seeds.
  HandshakeInitiator(const Identity& me, std::uint32_t local_conn_id, KxKeyPair ephemeral);

  // Writes the HELLO (exactly kHelloSize bytes, including any cookie received) into out.
  // The bytes are identical until a COOKIE arrives (Ed25519 is deterministic), so a
  // retransmission is just another call. Error: too_large if out is smaller than kHelloSize.
  Result<std::size_t> write_hello(MutBytes out) const;

  struct Retry {};  // a COOKIE arrived and was stored: send write_hello() again now
  // Handles COOKIE, WELCOME or VERSION_MISMATCH for this attempt.
  // Errors: malformed/truncated (ignore the datagram; includes a wrong conn id, a
  // suite we did not offer and a COOKIE identical to the one we hold), auth_failed
  // (bad signature or certificate: ignore it; a forged reply must not kill the
  // attempt), expired (peer certificate expired), unsupported (VERSION_MISMATCH:
  // fail the attempt). On any error the initiator's state is unchanged.
  Result<std::variant<Retry, Established>> on_reply(Bytes datagram, std::uint64_t now_unix_s);

  std::uint32_t local_conn_id() const noexcept { return local_conn_id_; }

 private:
  void build_hello();

  const Identity* me_;
  std::uint32_t local_conn_id_;
  KxKeyPair eph_;
  std::vector<std::uint8_t> cookie_;
  std::vector<std::uint8_t> last_hello_;  // what write_hello sends; transcript for WELCOME's signature
};

class HandshakeResponder {
 public:
  // With accept_anonymous, a HELLO carrying an anonymous certificate (Certificate::anonymous)
  // is accepted after checking it against its own key; Established::peer then has steam_id 0.
  explicit HandshakeResponder(const Identity& me, bool accept_anonymous = false);

  struct SendCookie {
    std::size_t size;  // bytes written to `out`
  };
  struct Accept {
    std::size_t size;  // WELCOME bytes written to `out`; keep them to answer a retransmitted HELLO
    Established session;
    std::uint32_t initiator_conn_id = 0;
    std::array<std::uint8_t, 32> initiator_ephemeral{};  // identifies a retransmitted HELLO
  };
  struct SendVersionMismatch {
    std::size_t size;
  };

  // Stateless: decides from the HELLO alone. `local_conn_id` is the id the new
  // connection would get. With require_cookie and no valid cookie in the HELLO
  // (missing, wrong MAC, expired), the reply is a fresh COOKIE and no signature is
  // checked, so address validation stays cheap. A HELLO of another version that is
  // at least kHelloSize bytes gets SendVersionMismatch. `out` must hold kHelloSize
  // bytes; every reply is smaller than the HELLO. Errors (send nothing):
  // truncated/malformed (not a HELLO, wrong size, nonzero padding), too_large (out
  // too small), auth_failed (signature/certificate), expired (certificate),
  // unsupported (no common suite).
  Result<std::variant<SendCookie, Accept, SendVersionMismatch>> on_hello(Bytes datagram, const Address& from,
                                                                         std::uint32_t local_conn_id,
                                                                         bool require_cookie, std::uint64_t now_unix_s,
                                                                         MutBytes out);

 private:
  const Identity* me_;
  bool accept_anonymous_;
  CookieJar cookies_;
};

}  // namespace kettle::crypto
