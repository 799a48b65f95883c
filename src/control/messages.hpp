// The control protocol between a client and kettle-server (docs/protocol.md §12).
//
// Every control message is one reliable transport message on channel 0 of the client's
// connection to the server: kind u8, request_id u32 (LE), then the body. A reply echoes the
// request's id; server-initiated messages (notifications) carry request_id 0. Strings are a
// varint length then UTF-8 bytes; lists are a varint count then the items. Unknown kinds,
// trailing bytes and out-of-range lengths are errors: decode() is fuzzed (fuzz/control).
//
// The lobby messages (§15) are declared in lobby_messages.hpp. Later issues add kinds; a peer
// that receives a kind it does not know answers Error{unsupported} to a request and ignores a
// notification.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "control/lobby_messages.hpp"
#include "core/address.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/steam_id.hpp"
#include "crypto/certificate.hpp"

namespace kettle::control {

inline constexpr std::uint16_t kControlVersion = 1;
inline constexpr int kControlChannel = 0;

// Limits checked by decode() and by the server (docs/protocol.md §12.3).
inline constexpr std::size_t kMaxLoginNameBytes = 64;     // [1, 64] bytes, UTF-8, no control chars
inline constexpr std::size_t kMaxPersonaNameBytes = 128;  // [1, 128] bytes, UTF-8, no control chars
inline constexpr std::size_t kMaxSecretBytes = 1024;      // password or token
inline constexpr std::size_t kMaxSignalBytes = 1024;      // signaling payload
inline constexpr std::size_t kMaxListItems = 1000;        // steam ids per lookup, entries per reply
inline constexpr std::size_t kMaxErrorMessageBytes = 512;

// A relay allocation member's secret (docs/protocol.md §13): raw bytes, never logged.
inline constexpr std::size_t kRelayTokenBytes = 16;
using RelayToken = std::array<std::uint8_t, kRelayTokenBytes>;

// Result codes carried by Error; values are Steam's EResult where one fits.
enum class ResultCode : std::uint16_t {
  ok = 1,
  fail = 2,
  no_connection = 3,
  invalid_password = 5,  // wrong password/token, or unknown account outside dev mode
  invalid_param = 8,
  access_denied = 15,  // e.g. listing presence is disabled on this server
  timeout = 16,
  service_unavailable = 20,
  limit_exceeded = 25,
  expired = 27,  // certificate expired
  invalid_name = 40,
  unsupported = 44,           // unknown message kind / protocol version (EResult "InvalidProtocolVer")
  not_logged_on = 21,         // precise signal answer: the user is offline or unknown (§14.5)
  invalid_certificate = 100,  // Kettle: certificate not signed by this server's key
  not_running_app = 101,      // Kettle, precise signal answer: the user is online in another app
};
std::string_view result_code_name(ResultCode c) noexcept;

enum class LoginMethod : std::uint8_t {
  dev = 0,          // name only; the server must run with --dev (auto-creates the account)
  password = 1,     // secret = password (checked with crypto_pwhash_str_verify)
  token = 2,        // secret = an access token the server issued (`kettle-server account token`)
  certificate = 3,  // resume: `certificate` issued earlier by this server for this connection's key
};

enum class PersonaState : std::uint8_t { offline = 0, online = 1 };

// crypto::Certificate has no operator==; messages compare certificates field by field.
bool same_certificate(const crypto::Certificate& a, const crypto::Certificate& b) noexcept;

// Steam's EPersonaChange flags used in PersonaChanged (and PersonaStateChange_t).
inline constexpr std::uint32_t kPersonaChangeName = 0x1;
inline constexpr std::uint32_t kPersonaChangeStatus = 0x2;
inline constexpr std::uint32_t kPersonaChangeComeOnline = 0x4;
inline constexpr std::uint32_t kPersonaChangeGoneOffline = 0x8;

struct PersonaInfo {
  SteamID steam_id;
  std::string name;  // empty only if the account does not exist
  PersonaState state = PersonaState::offline;
  std::uint32_t app_id = 0;  // game the user is in while online, else 0
  bool exists = true;
  friend bool operator==(const PersonaInfo&, const PersonaInfo&) = default;
};

// ---- client → server ----
struct Login {
  std::uint16_t version = kControlVersion;
  std::uint32_t app_id = 0;
  LoginMethod method = LoginMethod::dev;
  std::string name;                                // login name (dev/password/token); ignored for certificate
  std::string secret;                              // password or token; never logged
  std::optional<crypto::Certificate> certificate;  // present iff method == certificate
  friend bool operator==(const Login& a, const Login& b) noexcept {
    return a.version == b.version && a.app_id == b.app_id && a.method == b.method && a.name == b.name &&
           a.secret == b.secret && a.certificate.has_value() == b.certificate.has_value() &&
           (!a.certificate || same_certificate(*a.certificate, *b.certificate));
  }
};
struct RefreshCertificate {
  friend bool operator==(const RefreshCertificate&, const RefreshCertificate&) = default;
};
struct SetPersonaName {
  std::string name;
  friend bool operator==(const SetPersonaName&, const SetPersonaName&) = default;
};
struct GetPersonas {  // also subscribes the caller to PersonaChanged for these ids
  std::vector<SteamID> steam_ids;
  friend bool operator==(const GetPersonas&, const GetPersonas&) = default;
};
struct ListOnline {
  std::uint32_t app_id = 0;  // 0 = every app
  friend bool operator==(const ListOnline&, const ListOnline&) = default;
};
struct SendSignal {
  SteamID to;
  std::vector<std::uint8_t> payload;
  friend bool operator==(const SendSignal&, const SendSignal&) = default;
};
struct Logout {
  friend bool operator==(const Logout&, const Logout&) = default;
};
struct AllocateRelay {  // docs/protocol.md §13.1; the caller is member 0, `peer` member 1
  SteamID peer;
  friend bool operator==(const AllocateRelay&, const AllocateRelay&) = default;
};

// ---- server → client ----
struct LoginOk {
  SteamID steam_id;
  std::string persona_name;
  crypto::Certificate certificate;  // for this connection's key and the requested app
  bool subscribed = true;           // entitled to app_id (IsSubscribedApp)
  Address reflexive;                // the client's address as the server sees it
  std::uint64_t server_time_unix_s = 0;
  friend bool operator==(const LoginOk& a, const LoginOk& b) noexcept {
    return a.steam_id == b.steam_id && a.persona_name == b.persona_name &&
           same_certificate(a.certificate, b.certificate) && a.subscribed == b.subscribed &&
           a.reflexive == b.reflexive && a.server_time_unix_s == b.server_time_unix_s;
  }
};
struct CertificateIssued {  // reply to RefreshCertificate
  crypto::Certificate certificate;
  friend bool operator==(const CertificateIssued& a, const CertificateIssued& b) noexcept {
    return same_certificate(a.certificate, b.certificate);
  }
};
struct Ok {  // reply to SetPersonaName, SendSignal, Logout
  friend bool operator==(const Ok&, const Ok&) = default;
};
struct ErrorReply {
  ResultCode code = ResultCode::fail;
  std::string message;  // human-readable, for logs and Init's message
  friend bool operator==(const ErrorReply&, const ErrorReply&) = default;
};
struct Personas {  // reply to GetPersonas, in request order
  std::vector<PersonaInfo> personas;
  friend bool operator==(const Personas&, const Personas&) = default;
};
struct OnlineList {
  std::vector<PersonaInfo> personas;
  friend bool operator==(const OnlineList&, const OnlineList&) = default;
};
struct PersonaChanged {  // notification (request_id 0)
  PersonaInfo persona;
  std::uint32_t flags = 0;  // kPersonaChange*
  friend bool operator==(const PersonaChanged&, const PersonaChanged&) = default;
};
struct SignalFrom {  // notification
  SteamID from;
  std::vector<std::uint8_t> payload;
  friend bool operator==(const SignalFrom&, const SignalFrom&) = default;
};
struct RelayAllocated {  // reply to AllocateRelay: the caller's (member 0's) side
  std::uint64_t allocation = 0;
  RelayToken token{};
  std::uint16_t relay_port = 0;  // on the server's IP address; 0 = no relay
  SteamID peer;
  friend bool operator==(const RelayAllocated&, const RelayAllocated&) = default;
};
struct RelayOffer {  // notification to the peer (member 1) of a new allocation
  std::uint64_t allocation = 0;
  RelayToken token{};  // the peer's own token, not the caller's
  std::uint16_t relay_port = 0;
  SteamID from;
  friend bool operator==(const RelayOffer&, const RelayOffer&) = default;
};

using Body = std::variant<
    // requests, kinds 0x01..
    Login, RefreshCertificate, SetPersonaName, GetPersonas, ListOnline, SendSignal, Logout, AllocateRelay, CreateLobby,
    JoinLobby, LeaveLobby, SetLobbyData, SetLobbyMemberData, SetLobbySetting, SendLobbyChat, RequestLobbyList,
    RequestLobbyData, InviteToLobby, SendJoinIntent,
    // replies and notifications, kinds 0x81..
    LoginOk, CertificateIssued, Ok, ErrorReply, Personas, OnlineList, PersonaChanged, SignalFrom, RelayAllocated,
    RelayOffer, LobbyEntered, LobbyMemberUpdate, LobbyDataUpdate, LobbyChat, LobbyList, LobbyData, LobbyInvite,
    LobbyJoinRequested, LobbyKicked>;

struct Message {
  std::uint32_t request_id = 0;
  Body body;
  friend bool operator==(const Message&, const Message&) = default;
};

// Wire kinds (docs/protocol.md §12.2): requests 0x01.., replies and notifications 0x81...
// Kind k is the Body alternative with index k - 0x01 (requests) or k - 0x81 + 19 (server): new
// request kinds go after the last request, new server kinds at the end, so no kind ever changes.
inline constexpr std::uint8_t kKindLogin = 0x01;
inline constexpr std::uint8_t kKindRefreshCertificate = 0x02;
inline constexpr std::uint8_t kKindSetPersonaName = 0x03;
inline constexpr std::uint8_t kKindGetPersonas = 0x04;
inline constexpr std::uint8_t kKindListOnline = 0x05;
inline constexpr std::uint8_t kKindSendSignal = 0x06;
inline constexpr std::uint8_t kKindLogout = 0x07;
inline constexpr std::uint8_t kKindAllocateRelay = 0x08;
inline constexpr std::uint8_t kKindCreateLobby = 0x09;  // lobbies: §15
inline constexpr std::uint8_t kKindJoinLobby = 0x0a;
inline constexpr std::uint8_t kKindLeaveLobby = 0x0b;
inline constexpr std::uint8_t kKindSetLobbyData = 0x0c;
inline constexpr std::uint8_t kKindSetLobbyMemberData = 0x0d;
inline constexpr std::uint8_t kKindSetLobbySetting = 0x0e;
inline constexpr std::uint8_t kKindSendLobbyChat = 0x0f;
inline constexpr std::uint8_t kKindRequestLobbyList = 0x10;
inline constexpr std::uint8_t kKindRequestLobbyData = 0x11;
inline constexpr std::uint8_t kKindInviteToLobby = 0x12;
inline constexpr std::uint8_t kKindSendJoinIntent = 0x13;
inline constexpr std::uint8_t kKindLoginOk = 0x81;
inline constexpr std::uint8_t kKindCertificateIssued = 0x82;
inline constexpr std::uint8_t kKindOk = 0x83;
inline constexpr std::uint8_t kKindErrorReply = 0x84;
inline constexpr std::uint8_t kKindPersonas = 0x85;
inline constexpr std::uint8_t kKindOnlineList = 0x86;
inline constexpr std::uint8_t kKindPersonaChanged = 0x87;
inline constexpr std::uint8_t kKindSignalFrom = 0x88;
inline constexpr std::uint8_t kKindRelayAllocated = 0x89;
inline constexpr std::uint8_t kKindRelayOffer = 0x8a;
inline constexpr std::uint8_t kKindLobbyEntered = 0x8b;  // lobbies: §15
inline constexpr std::uint8_t kKindLobbyMemberUpdate = 0x8c;
inline constexpr std::uint8_t kKindLobbyDataUpdate = 0x8d;
inline constexpr std::uint8_t kKindLobbyChat = 0x8e;
inline constexpr std::uint8_t kKindLobbyList = 0x8f;
inline constexpr std::uint8_t kKindLobbyData = 0x90;
inline constexpr std::uint8_t kKindLobbyInvite = 0x91;
inline constexpr std::uint8_t kKindLobbyJoinRequested = 0x92;
inline constexpr std::uint8_t kKindLobbyKicked = 0x93;
// True for 0x01..0x7f: the sender expects a reply (used to answer an unknown kind).
inline constexpr bool is_request_kind(std::uint8_t kind) noexcept { return kind >= 0x01 && kind < 0x80; }

std::uint8_t kind_of(const Body& b) noexcept;
std::string_view kind_name(std::uint8_t kind) noexcept;

// Does not validate: a body over a limit encodes, and the receiver's decode() rejects it.
std::vector<std::uint8_t> encode(const Message& m);
// Errors: truncated, malformed (unknown kind, trailing bytes, bad enum, string/list over its
// limit, invalid UTF-8 in a name), unsupported never (version is checked by the server).
Result<Message> decode(Bytes data);

// Name rules shared by server and client: non-empty, ≤ max bytes, valid UTF-8, no control
// characters (U+0000–U+001F, U+007F), not only whitespace. Error: invalid_argument with why.
Status validate_name(std::string_view name, std::size_t max_bytes);

}  // namespace kettle::control
