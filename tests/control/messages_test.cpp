#include "control/messages.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "control/hex.hpp"
#include "control/sample_messages.hpp"

namespace kettle::control {
namespace {

using Buf = std::vector<std::uint8_t>;
using testing::pinned_login;
using testing::pinned_login_ok;
using testing::sample_certificate;
using testing::sample_messages;
using testing::to_hex;

Buf from_hex(std::string_view hex) {
  Buf out;
  auto nib = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(nib(hex[i]) << 4 | nib(hex[i + 1])));
  }
  return out;
}

// Encoding `m` decodes back to `m` and re-encodes to the same bytes.
void expect_round_trip(const Message& m) {
  const Buf bytes = encode(m);
  auto back = decode(bytes);
  ASSERT_TRUE(back.ok()) << back.error().to_string() << " for " << kind_name(kind_of(m.body));
  EXPECT_TRUE(*back == m) << kind_name(kind_of(m.body));
  EXPECT_EQ(encode(*back), bytes);
}

Errc decode_code(const Message& m) { return decode(encode(m)).code(); }

TEST(ControlMessages, EveryKindRoundTrips) {
  std::set<std::size_t> covered;
  for (const auto& [name, m] : sample_messages()) {
    SCOPED_TRACE(name);
    expect_round_trip(m);
    const Buf bytes = encode(m);
    EXPECT_EQ(bytes[0], kind_of(m.body));
    EXPECT_EQ(load_le32(bytes.data() + 1), m.request_id);
    covered.insert(m.body.index());
  }
  EXPECT_EQ(covered.size(), std::variant_size_v<Body>) << "a Body alternative has no sample";
}

TEST(ControlMessages, KindsAreTheDocumentedNumbers) {
  const std::pair<Body, std::uint8_t> kinds[] = {
      {Login{}, 0x01},
      {RefreshCertificate{}, 0x02},
      {SetPersonaName{}, 0x03},
      {GetPersonas{}, 0x04},
      {ListOnline{}, 0x05},
      {SendSignal{}, 0x06},
      {Logout{}, 0x07},
      {AllocateRelay{}, 0x08},
      {CreateLobby{}, 0x09},
      {JoinLobby{}, 0x0a},
      {LeaveLobby{}, 0x0b},
      {SetLobbyData{}, 0x0c},
      {SetLobbyMemberData{}, 0x0d},
      {SetLobbySetting{}, 0x0e},
      {SendLobbyChat{}, 0x0f},
      {RequestLobbyList{}, 0x10},
      {RequestLobbyData{}, 0x11},
      {InviteToLobby{}, 0x12},
      {SendJoinIntent{}, 0x13},
      {LoginOk{}, 0x81},
      {CertificateIssued{}, 0x82},
      {Ok{}, 0x83},
      {ErrorReply{}, 0x84},
      {Personas{}, 0x85},
      {OnlineList{}, 0x86},
      {PersonaChanged{}, 0x87},
      {SignalFrom{}, 0x88},
      {RelayAllocated{}, 0x89},
      {RelayOffer{}, 0x8a},
      {LobbyEntered{}, 0x8b},
      {LobbyMemberUpdate{}, 0x8c},
      {LobbyDataUpdate{}, 0x8d},
      {LobbyChat{}, 0x8e},
      {LobbyList{}, 0x8f},
      {LobbyData{}, 0x90},
      {LobbyInvite{}, 0x91},
      {LobbyJoinRequested{}, 0x92},
      {LobbyKicked{}, 0x93},
  };
  static_assert(std::size(kinds) == std::variant_size_v<Body>);
  for (const auto& [body, kind] : kinds) {
    EXPECT_EQ(kind_of(body), kind);
    EXPECT_NE(kind_name(kind), "unknown");
    EXPECT_EQ(is_request_kind(kind), kind < 0x80);
  }
  EXPECT_EQ(kind_name(kKindLogin), "Login");
  EXPECT_EQ(kind_name(kKindErrorReply), "Error");
  EXPECT_EQ(kind_name(0x00), "unknown");
  EXPECT_EQ(kind_name(kKindCreateLobby), "CreateLobby");
  EXPECT_EQ(kind_name(kKindLobbyKicked), "LobbyKicked");
  EXPECT_EQ(kind_name(0x14), "unknown");
  EXPECT_EQ(kind_name(0x94), "unknown");
}

TEST(ControlMessages, UnknownKindsAreMalformed) {
  int known = 0;
  for (int kind = 0; kind < 256; ++kind) {
    const Buf header = {static_cast<std::uint8_t>(kind), 1, 0, 0, 0};
    auto r = decode(header);
    if (kind_name(static_cast<std::uint8_t>(kind)) == "unknown") {
      EXPECT_EQ(r.code(), Errc::malformed) << kind;
    } else {
      ++known;
      // Only the empty bodies decode from a bare header; the rest need more bytes.
      const bool empty_body = kind == kKindRefreshCertificate || kind == kKindLogout || kind == kKindOk;
      EXPECT_EQ(r.code(), empty_body ? Errc::ok : Errc::truncated) << kind;
    }
  }
  EXPECT_EQ(known, static_cast<int>(std::variant_size_v<Body>));
}

TEST(ControlMessages, EveryTruncationFailsAsTruncated) {
  for (const auto& [name, m] : sample_messages()) {
    SCOPED_TRACE(name);
    const Buf bytes = encode(m);
    for (std::size_t n = 0; n < bytes.size(); ++n) {
      EXPECT_EQ(decode(Bytes(bytes).first(n)).code(), Errc::truncated) << "prefix of " << n << " bytes";
    }
  }
}

TEST(ControlMessages, TrailingBytesAreMalformed) {
  for (const auto& [name, m] : sample_messages()) {
    SCOPED_TRACE(name);
    Buf bytes = encode(m);
    bytes.push_back(0);
    auto r = decode(bytes);
    EXPECT_EQ(r.code(), Errc::malformed);
    if (!r.ok()) {
      EXPECT_NE(r.error().message.find("trailing"), std::string::npos) << r.error().message;
    }
  }
}

// ---- limits: at the limit decodes, one over is malformed ----

TEST(ControlLimits, LoginNameAndSecret) {
  Login l{kControlVersion,
          480,
          LoginMethod::password,
          std::string(kMaxLoginNameBytes, 'a'),
          std::string(kMaxSecretBytes, '\xff'),
          {}};
  expect_round_trip(Message{1, l});
  l.name += 'a';
  EXPECT_EQ(decode_code(Message{1, l}), Errc::malformed);
  l.name.pop_back();
  l.secret += 's';
  EXPECT_EQ(decode_code(Message{1, l}), Errc::malformed);
}

TEST(ControlLimits, PersonaNameEverywhere) {
  const std::string at(kMaxPersonaNameBytes, 'p');
  const std::string over(kMaxPersonaNameBytes + 1, 'p');
  expect_round_trip(Message{1, SetPersonaName{at}});
  EXPECT_EQ(decode_code(Message{1, SetPersonaName{over}}), Errc::malformed);

  LoginOk ok{SteamID::individual(1), at, sample_certificate(), true, Address::loopback_v4(1), 5};
  expect_round_trip(Message{1, ok});
  ok.persona_name = over;
  EXPECT_EQ(decode_code(Message{1, ok}), Errc::malformed);

  PersonaInfo p{SteamID::individual(1), at, PersonaState::online, 480, true};
  expect_round_trip(Message{0, PersonaChanged{p, kPersonaChangeName}});
  p.name = over;
  EXPECT_EQ(decode_code(Message{0, PersonaChanged{p, kPersonaChangeName}}), Errc::malformed);
  EXPECT_EQ(decode_code(Message{1, Personas{{p}}}), Errc::malformed);
}

TEST(ControlLimits, ErrorMessage) {
  ErrorReply e{ResultCode::limit_exceeded, std::string(kMaxErrorMessageBytes, 'e')};
  expect_round_trip(Message{1, e});
  e.message += 'e';
  EXPECT_EQ(decode_code(Message{1, e}), Errc::malformed);
}

TEST(ControlLimits, SignalPayloadBothDirections) {
  std::vector<std::uint8_t> at(kMaxSignalBytes, 0x5a);
  expect_round_trip(Message{1, SendSignal{SteamID::individual(2), at}});
  expect_round_trip(Message{0, SignalFrom{SteamID::individual(2), at}});
  expect_round_trip(Message{0, SignalFrom{SteamID::individual(2), {}}});
  at.push_back(0);
  EXPECT_EQ(decode_code(Message{1, SendSignal{SteamID::individual(2), at}}), Errc::malformed);
  EXPECT_EQ(decode_code(Message{0, SignalFrom{SteamID::individual(2), at}}), Errc::malformed);
}

TEST(ControlLimits, Lists) {
  GetPersonas g;
  for (std::uint32_t i = 0; i < kMaxListItems; ++i) g.steam_ids.push_back(SteamID::individual(i + 1));
  expect_round_trip(Message{1, g});
  g.steam_ids.push_back(SteamID::individual(5000));
  EXPECT_EQ(decode_code(Message{1, g}), Errc::malformed);

  std::vector<PersonaInfo> list(kMaxListItems, testing::sample_persona(9, "Nine", true));
  expect_round_trip(Message{1, Personas{list}});
  expect_round_trip(Message{1, OnlineList{list}});
  list.push_back(list.back());
  EXPECT_EQ(decode_code(Message{1, Personas{list}}), Errc::malformed);
  EXPECT_EQ(decode_code(Message{1, OnlineList{list}}), Errc::malformed);
}

// A count is checked against the limit and the bytes actually present before anything is
// allocated: a 10-byte message cannot make the decoder reserve 1000 entries.
TEST(ControlLimits, CountsAreCheckedBeforeAllocating) {
  const Buf claims_1000_ids = {kKindGetPersonas, 0, 0, 0, 0, 0xe8, 0x07, 1, 2, 3};
  EXPECT_EQ(decode(claims_1000_ids).code(), Errc::truncated);
  const Buf claims_1000_personas = {kKindOnlineList, 0, 0, 0, 0, 0xe8, 0x07};
  EXPECT_EQ(decode(claims_1000_personas).code(), Errc::truncated);
  const Buf huge = {kKindGetPersonas, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  EXPECT_EQ(decode(huge).code(), Errc::malformed);
  const Buf overflow = {kKindSetPersonaName, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};
  EXPECT_EQ(decode(overflow).code(), Errc::malformed);
}

// ---- malformed fields ----

TEST(ControlMalformed, NonCanonicalLengthVarint) {
  Buf bytes = encode(Message{1, SetPersonaName{"ab"}});
  ASSERT_EQ(bytes[5], 2);
  bytes[5] = 0x82;
  bytes.insert(bytes.begin() + 6, 0x00);  // 2 spelled as two varint groups
  EXPECT_EQ(decode(bytes).code(), Errc::malformed);
}

TEST(ControlMalformed, BadEnumValues) {
  // Login: kind, id(4), version(2), app_id(4), method at 11.
  Buf login = encode(pinned_login());
  login[11] = 4;
  EXPECT_EQ(decode(login).code(), Errc::malformed);

  // PersonaChanged for "Bob": kind, id(4), steam_id(8), len 3 at 13, "Bob", state at 17,
  // app_id(4), exists at 22, flags(4).
  const Buf changed = encode(Message{0, PersonaChanged{testing::sample_persona(2, "Bob", true), 1}});
  ASSERT_EQ(changed.size(), 27u);
  Buf bad = changed;
  bad[17] = 2;
  EXPECT_EQ(decode(bad).code(), Errc::malformed);
  bad = changed;
  bad[22] = 2;
  EXPECT_EQ(decode(bad).code(), Errc::malformed);

  // LoginOk "Alice": steam_id, len at 13, name 14..18, certificate 19..135, subscribed at 136,
  // address family at 137.
  const Buf ok = encode(pinned_login_ok());
  bad = ok;
  bad[136] = 2;
  EXPECT_EQ(decode(bad).code(), Errc::malformed);
  bad = ok;
  bad[137] = 5;
  EXPECT_EQ(decode(bad).code(), Errc::malformed);
  bad = ok;
  bad[19] = 2;  // certificate version
  EXPECT_EQ(decode(bad).code(), Errc::malformed);
}

TEST(ControlMalformed, UnknownResultCodesStillDecode) {
  // A newer server may send a code this client does not name; it maps it, it does not drop it.
  expect_round_trip(Message{1, ErrorReply{static_cast<ResultCode>(9999), "new"}});
  EXPECT_EQ(result_code_name(static_cast<ResultCode>(9999)), "unknown");
  EXPECT_EQ(result_code_name(ResultCode::invalid_certificate), "invalid_certificate");
  EXPECT_EQ(result_code_name(ResultCode::invalid_password), "invalid_password");
}

TEST(ControlMalformed, InvalidNamesOnTheWire) {
  const char* bad_names[] = {"\xc0\xaf", "ab\xed\xa0\x80", "x\xe6\x97", "new\nline", "\x7f", "   ", ""};
  for (const char* n : bad_names) {
    SCOPED_TRACE(n);
    EXPECT_EQ(decode_code(Message{1, SetPersonaName{n}}), Errc::malformed);
    EXPECT_EQ(decode_code(Message{1, Login{kControlVersion, 0, LoginMethod::dev, n, "", {}}}), Errc::malformed);
    if (*n != '\0') {  // empty is "no name" in persona info, anything else must be valid
      PersonaInfo p{SteamID::individual(1), n, PersonaState::online, 1, true};
      EXPECT_EQ(decode_code(Message{0, PersonaChanged{p, 1}}), Errc::malformed);
      EXPECT_EQ(decode_code(Message{1, LoginOk{SteamID::individual(1), n, sample_certificate(), true, {}, 0}}),
                Errc::malformed);
    }
  }
}

// ---- login certificate presence ----

TEST(ControlLogin, CertificatePresentIffMethodIsCertificate) {
  const Message by_cert = sample_messages()[3].second;
  ASSERT_EQ(std::get<Login>(by_cert.body).method, LoginMethod::certificate);
  auto back = decode(encode(by_cert));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(std::get<Login>(back->body).certificate.has_value());

  // Another method never carries one: the field is not sent.
  Message pw = pinned_login();
  std::get<Login>(pw.body).certificate = sample_certificate();
  EXPECT_EQ(encode(pw), encode(pinned_login()));
  back = decode(encode(pw));
  ASSERT_TRUE(back.ok());
  EXPECT_FALSE(std::get<Login>(back->body).certificate.has_value());

  // A certificate login with a name is allowed (the name is ignored) if the name is valid.
  Login named{kControlVersion, 480, LoginMethod::certificate, "alice", "", sample_certificate()};
  expect_round_trip(Message{1, named});
}

TEST(ControlAddress, FamiliesRoundTrip) {
  for (const Address& a : {Address::v4(0x0A000001, 1), testing::sample_v6(), Address{}}) {
    expect_round_trip(Message{1, LoginOk{SteamID::individual(1), "x", sample_certificate(), true, a, 0}});
  }
}

// ---- pinned vectors (docs/protocol.md §12.6): the wire format cannot drift silently ----

// Field by field as in the doc. The certificate is issued by the Ed25519 key with seed 32 × 0x01
// for the key with seed 32 × 0x02; its signature was checked independently with OpenSSL.
constexpr std::string_view kLoginHex =
    "01"                 // kind Login
    "01000000"           // request id 1
    "0100"               // version 1
    "e0010000"           // app id 480
    "01"                 // method password
    "05616c696365"       // "alice"
    "0768756e74657232";  // "hunter2"

constexpr std::string_view kLoginOkHex =
    "81"                                                                // kind LoginOk
    "01000000"                                                          // request id 1
    "0700000001001001"                                                  // steam id 76561197960265735
    "05416c696365"                                                      // "Alice"
    "01"                                                                // certificate: version 1
    "0700000001001001"                                                  //   steam id
    "e0010000"                                                          //   app id 480
    "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394"  // subject key
    "00b33f7100000000"                                                  //   expiry 1 900 000 000
    "9126cdafbed87aef5914e3511e6dc3db0cbb1a6921669fae2d03164cdda2c6ec"  //   signature
    "dd9bce57f245b55d71c444720075c165c3a14c027577325a1159997b88b0400e"
    "01"                 // subscribed
    "04c0a80102"         // IPv4 192.168.1.2
    "8769"               // port 27015
    "00d2496b00000000";  // server time 1 800 000 000

TEST(ControlVectors, LoginIsPinned) {
  const Buf bytes = encode(pinned_login());
  EXPECT_EQ(to_hex(bytes), std::string(kLoginHex));
  auto back = decode(from_hex(kLoginHex));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == pinned_login());
}

TEST(ControlVectors, LoginOkIsPinned) {
  const Buf bytes = encode(pinned_login_ok());
  EXPECT_EQ(to_hex(bytes), std::string(kLoginOkHex));
  auto back = decode(from_hex(kLoginOkHex));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == pinned_login_ok());
}

// docs/protocol.md §13.1: allocation u64 | token [16] | relay_port u16 | steam_id.
TEST(ControlVectors, RelayAllocatedIsPinned) {
  constexpr std::string_view kHex =
      "89"                                // kind RelayAllocated
      "0c000000"                          // request id 12
      "efcdab8967452301"                  // allocation 0x0123456789abcdef
      "101112131415161718191a1b1c1d1e1f"  // token
      "8869"                              // relay port 27016
      "0200000001001001";                 // peer steam id 76561197960265730
  const Message m{
      12, RelayAllocated{0x0123456789ABCDEFull, testing::sample_relay_token(0x10), 27016, SteamID::individual(2)}};
  EXPECT_EQ(to_hex(encode(m)), std::string(kHex));
  auto back = decode(from_hex(kHex));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == m);
  // RelayOffer has the same layout under its own kind.
  const Message offer{0, RelayOffer{1, testing::sample_relay_token(0), 0, SteamID::individual(7)}};
  EXPECT_EQ(to_hex(encode(offer)),
            "8a00000000"
            "0100000000000000"
            "000102030405060708090a0b0c0d0e0f"
            "0000"
            "0700000001001001");
}

TEST(ControlVectors, AllocateRelayIsPinned) {
  EXPECT_EQ(to_hex(encode(Message{3, AllocateRelay{SteamID::individual(2)}})), "08030000000200000001001001");
}

// ---- the fuzz seeds (fuzz/corpus/control) are all valid messages of the current format ----

TEST(ControlFuzzSeeds, EverySeedDecodesAndReencodes) {
  const auto dir = std::filesystem::path(KETTLE_SOURCE_DIR) / "fuzz/corpus/control";
  std::set<std::uint8_t> kinds;
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream f(entry.path(), std::ios::binary);
    const Buf bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    auto m = decode(bytes);
    ASSERT_TRUE(m.ok()) << entry.path() << ": " << m.error().to_string()
                        << " (regenerate with control_make_corpus fuzz/corpus/control)";
    EXPECT_EQ(encode(*m), bytes) << entry.path();
    kinds.insert(bytes[0]);
    ++seeds;
  }
  EXPECT_EQ(kinds.size(), std::variant_size_v<Body>);
  EXPECT_EQ(seeds, static_cast<int>(sample_messages().size()));
}

}  // namespace
}  // namespace kettle::control
