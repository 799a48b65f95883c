// Control protocol codec (docs/protocol.md §12). encode() sizes the message in a first pass so
// the second writes into an exact buffer; decode() checks every count against its limit and the
// bytes left before allocating, because the input comes from the network.
#include "control/messages.hpp"

#include <cassert>
#include <type_traits>

#include "control/codec_primitives.hpp"
#include "control/lobby_codec.hpp"

namespace kettle::control {

bool same_certificate(const crypto::Certificate& a, const crypto::Certificate& b) noexcept {
  return a.steam_id == b.steam_id && a.app_id == b.app_id && a.public_key == b.public_key &&
         a.expiry_unix_s == b.expiry_unix_s && a.signature == b.signature;
}

namespace {

using namespace detail;
// The lobby bodies' overloads (lobby_codec.cpp) join this file's in put_message / decode_body.
using detail::get_body;
using detail::put_body;

// steam_id(8) name length(≥1) state(1) app_id(4) exists(1)
constexpr std::size_t kPersonaInfoMinBytes = 8 + 1 + 1 + 4 + 1;
constexpr std::size_t kRequestKinds = 19;  // Body alternatives before the first server message
static_assert(std::is_same_v<std::variant_alternative_t<kRequestKinds - 1, Body>, SendJoinIntent> &&
                  std::is_same_v<std::variant_alternative_t<kRequestKinds, Body>, LoginOk>,
              "kRequestKinds must split Body between the last request and the first server message");

// ---------------------------------------------------------------- encoding

void put_cert(SizeCounter& w, const crypto::Certificate&) { w.add(crypto::Certificate::kEncodedSize); }
void put_cert(ByteWriter& w, const crypto::Certificate& c) { c.encode(w); }

template <class W>
void put_address(W& w, const Address& a) {
  w.u8(static_cast<std::uint8_t>(a.family));
  switch (a.family) {
    case Address::Family::v4:
      w.bytes(Bytes(a.ip).first(4));
      w.u16(a.port);
      break;
    case Address::Family::v6:
      w.bytes(Bytes(a.ip));
      w.u16(a.port);
      break;
    case Address::Family::none:
      break;
  }
}

template <class W>
void put_persona(W& w, const PersonaInfo& p) {
  w.u64(p.steam_id.value());
  put_str(w, p.name);
  w.u8(static_cast<std::uint8_t>(p.state));
  w.u32(p.app_id);
  put_bool(w, p.exists);
}

template <class W>
void put_personas(W& w, const std::vector<PersonaInfo>& list) {
  w.varint(list.size());
  for (const auto& p : list) put_persona(w, p);
}

template <class W>
void put_body(W& w, const Login& m) {
  w.u16(m.version);
  w.u32(m.app_id);
  w.u8(static_cast<std::uint8_t>(m.method));
  put_str(w, m.name);
  put_str(w, m.secret);
  // Presence follows the method, so a certificate with another method is not sent and a
  // certificate login without one cannot be encoded; default-construct so the receiver
  // rejects it by signature instead of by parse.
  if (m.method == LoginMethod::certificate) put_cert(w, m.certificate.value_or(crypto::Certificate{}));
}
template <class W>
void put_body(W&, const RefreshCertificate&) {}
template <class W>
void put_body(W& w, const SetPersonaName& m) {
  put_str(w, m.name);
}
template <class W>
void put_body(W& w, const GetPersonas& m) {
  w.varint(m.steam_ids.size());
  for (SteamID id : m.steam_ids) w.u64(id.value());
}
template <class W>
void put_body(W& w, const ListOnline& m) {
  w.u32(m.app_id);
}
template <class W>
void put_body(W& w, const SendSignal& m) {
  w.u64(m.to.value());
  put_blob(w, m.payload);
}
template <class W>
void put_body(W&, const Logout&) {}
template <class W>
void put_body(W& w, const AllocateRelay& m) {
  w.u64(m.peer.value());
}
template <class W>
void put_body(W& w, const LoginOk& m) {
  w.u64(m.steam_id.value());
  put_str(w, m.persona_name);
  put_cert(w, m.certificate);
  put_bool(w, m.subscribed);
  put_address(w, m.reflexive);
  w.u64(m.server_time_unix_s);
}
template <class W>
void put_body(W& w, const CertificateIssued& m) {
  put_cert(w, m.certificate);
}
template <class W>
void put_body(W&, const Ok&) {}
template <class W>
void put_body(W& w, const ErrorReply& m) {
  w.u16(static_cast<std::uint16_t>(m.code));
  put_str(w, m.message);
}
template <class W>
void put_body(W& w, const Personas& m) {
  put_personas(w, m.personas);
}
template <class W>
void put_body(W& w, const OnlineList& m) {
  put_personas(w, m.personas);
}
template <class W>
void put_body(W& w, const PersonaChanged& m) {
  put_persona(w, m.persona);
  w.u32(m.flags);
}
template <class W>
void put_body(W& w, const SignalFrom& m) {
  w.u64(m.from.value());
  put_blob(w, m.payload);
}

template <class W>
void put_body(W& w, const RelayAllocated& m) {
  w.u64(m.allocation);
  w.bytes(Bytes(m.token));
  w.u16(m.relay_port);
  w.u64(m.peer.value());
}
template <class W>
void put_body(W& w, const RelayOffer& m) {
  w.u64(m.allocation);
  w.bytes(Bytes(m.token));
  w.u16(m.relay_port);
  w.u64(m.from.value());
}

template <class W>
void put_message(W& w, const Message& m) {
  w.u8(kind_of(m.body));
  w.u32(m.request_id);
  std::visit([&w](const auto& body) { put_body(w, body); }, m.body);
}

// ---------------------------------------------------------------- decoding

Status get_cert(ByteReader& r, std::string_view what, crypto::Certificate& out) {
  auto c = crypto::Certificate::decode(r);
  if (!c.ok()) {
    if (c.code() == Errc::truncated) return truncated(what);
    return malformed(what, c.error().message);
  }
  out = *c;
  return {};
}

Status get_address(ByteReader& r, std::string_view what, Address& out) {
  const std::uint8_t family = r.u8();
  KETTLE_TRY(need(r, what));
  out = Address{};
  switch (family) {
    case 0:
      return {};
    case 4:
      out.family = Address::Family::v4;
      r.copy_to(MutBytes(out.ip).first(4));
      break;
    case 6:
      out.family = Address::Family::v6;
      r.copy_to(MutBytes(out.ip));
      break;
    default:
      return malformed(what, "address family " + std::to_string(family));
  }
  out.port = r.u16();
  return need(r, what);
}

Status get_persona(ByteReader& r, PersonaInfo& p) {
  KETTLE_TRY(get_steam_id(r, "persona steam id", p.steam_id));
  KETTLE_TRY(get_name(r, "persona name", kMaxPersonaNameBytes, true, p.name));
  const std::uint8_t state = r.u8();
  p.app_id = r.u32();
  KETTLE_TRY(need(r, "persona"));
  if (state > static_cast<std::uint8_t>(PersonaState::online)) {
    return malformed("persona", "state " + std::to_string(state));
  }
  p.state = static_cast<PersonaState>(state);
  return get_bool(r, "persona exists", p.exists);
}

Status get_personas(ByteReader& r, std::vector<PersonaInfo>& out) {
  std::size_t n = 0;
  KETTLE_TRY(get_count(r, "persona list", kMaxListItems, kPersonaInfoMinBytes, n));
  out.resize(n);
  for (auto& p : out) KETTLE_TRY(get_persona(r, p));
  return {};
}

Status get_body(ByteReader& r, Login& m) {
  m.version = r.u16();
  m.app_id = r.u32();
  const std::uint8_t method = r.u8();
  KETTLE_TRY(need(r, "login"));
  if (method > static_cast<std::uint8_t>(LoginMethod::certificate)) {
    return malformed("login", "method " + std::to_string(method));
  }
  m.method = static_cast<LoginMethod>(method);
  const bool by_cert = m.method == LoginMethod::certificate;
  KETTLE_TRY(get_name(r, "login name", kMaxLoginNameBytes, by_cert, m.name));
  KETTLE_TRY(get_str(r, "login secret", kMaxSecretBytes, m.secret));
  if (by_cert) {
    m.certificate.emplace();
    KETTLE_TRY(get_cert(r, "login certificate", *m.certificate));
  }
  return {};
}
Status get_body(ByteReader&, RefreshCertificate&) { return {}; }
Status get_body(ByteReader& r, SetPersonaName& m) {
  return get_name(r, "persona name", kMaxPersonaNameBytes, false, m.name);
}
Status get_body(ByteReader& r, GetPersonas& m) {
  std::size_t n = 0;
  KETTLE_TRY(get_count(r, "steam id list", kMaxListItems, 8, n));
  m.steam_ids.resize(n);
  for (auto& id : m.steam_ids) id = SteamID(r.u64());
  return need(r, "steam id list");
}
Status get_body(ByteReader& r, ListOnline& m) {
  m.app_id = r.u32();
  return need(r, "list online");
}
Status get_body(ByteReader& r, SendSignal& m) {
  KETTLE_TRY(get_steam_id(r, "signal recipient", m.to));
  return get_blob(r, "signal payload", kMaxSignalBytes, m.payload);
}
Status get_body(ByteReader&, Logout&) { return {}; }
Status get_body(ByteReader& r, AllocateRelay& m) { return get_steam_id(r, "relay peer", m.peer); }
Status get_body(ByteReader& r, LoginOk& m) {
  KETTLE_TRY(get_steam_id(r, "login ok steam id", m.steam_id));
  KETTLE_TRY(get_name(r, "login ok persona name", kMaxPersonaNameBytes, true, m.persona_name));
  KETTLE_TRY(get_cert(r, "login ok certificate", m.certificate));
  KETTLE_TRY(get_bool(r, "login ok subscribed", m.subscribed));
  KETTLE_TRY(get_address(r, "login ok reflexive address", m.reflexive));
  m.server_time_unix_s = r.u64();
  return need(r, "login ok server time");
}
Status get_body(ByteReader& r, CertificateIssued& m) { return get_cert(r, "issued certificate", m.certificate); }
Status get_body(ByteReader&, Ok&) { return {}; }
Status get_body(ByteReader& r, ErrorReply& m) {
  // Any code is accepted: a newer server may send one this client does not name yet.
  m.code = static_cast<ResultCode>(r.u16());
  KETTLE_TRY(need(r, "error code"));
  return get_str(r, "error message", kMaxErrorMessageBytes, m.message);
}
Status get_body(ByteReader& r, Personas& m) { return get_personas(r, m.personas); }
Status get_body(ByteReader& r, OnlineList& m) { return get_personas(r, m.personas); }
Status get_body(ByteReader& r, PersonaChanged& m) {
  KETTLE_TRY(get_persona(r, m.persona));
  m.flags = r.u32();
  return need(r, "persona change flags");
}
Status get_body(ByteReader& r, SignalFrom& m) {
  KETTLE_TRY(get_steam_id(r, "signal sender", m.from));
  return get_blob(r, "signal payload", kMaxSignalBytes, m.payload);
}

// allocation u64 | token [16] | relay_port u16 | steam_id: RelayAllocated and RelayOffer share it.
Status get_relay_grant(ByteReader& r, std::string_view what, std::uint64_t& allocation, RelayToken& token,
                       std::uint16_t& port, SteamID& other) {
  allocation = r.u64();
  r.copy_to(MutBytes(token));
  port = r.u16();
  KETTLE_TRY(need(r, what));
  return get_steam_id(r, what, other);
}
Status get_body(ByteReader& r, RelayAllocated& m) {
  return get_relay_grant(r, "relay allocated", m.allocation, m.token, m.relay_port, m.peer);
}
Status get_body(ByteReader& r, RelayOffer& m) {
  return get_relay_grant(r, "relay offer", m.allocation, m.token, m.relay_port, m.from);
}

// Body alternative index for a wire kind, or -1.
int index_of_kind(std::uint8_t kind) noexcept {
  if (kind >= 0x01 && kind <= kRequestKinds) return kind - 0x01;
  constexpr std::size_t kServerKinds = std::variant_size_v<Body> - kRequestKinds;
  if (kind >= 0x81 && kind < 0x81 + kServerKinds) return static_cast<int>(kind - 0x81 + kRequestKinds);
  return -1;
}

template <std::size_t I = 0>
Status decode_body(ByteReader& r, std::size_t index, Body& out) {
  if constexpr (I < std::variant_size_v<Body>) {
    if (index == I) {
      auto& body = out.emplace<I>();
      return get_body(r, body);
    }
    return decode_body<I + 1>(r, index, out);
  } else {
    return make_error(Errc::internal, "control: body index out of range");
  }
}

}  // namespace

std::uint8_t kind_of(const Body& b) noexcept {
  const std::size_t i = b.index();
  return static_cast<std::uint8_t>(i < kRequestKinds ? 0x01 + i : 0x81 + (i - kRequestKinds));
}

std::string_view kind_name(std::uint8_t kind) noexcept {
  switch (kind) {
    case kKindLogin:
      return "Login";
    case kKindRefreshCertificate:
      return "RefreshCertificate";
    case kKindSetPersonaName:
      return "SetPersonaName";
    case kKindGetPersonas:
      return "GetPersonas";
    case kKindListOnline:
      return "ListOnline";
    case kKindSendSignal:
      return "SendSignal";
    case kKindLogout:
      return "Logout";
    case kKindAllocateRelay:
      return "AllocateRelay";
    case kKindCreateLobby:
      return "CreateLobby";
    case kKindJoinLobby:
      return "JoinLobby";
    case kKindLeaveLobby:
      return "LeaveLobby";
    case kKindSetLobbyData:
      return "SetLobbyData";
    case kKindSetLobbyMemberData:
      return "SetLobbyMemberData";
    case kKindSetLobbySetting:
      return "SetLobbySetting";
    case kKindSendLobbyChat:
      return "SendLobbyChat";
    case kKindRequestLobbyList:
      return "RequestLobbyList";
    case kKindRequestLobbyData:
      return "RequestLobbyData";
    case kKindInviteToLobby:
      return "InviteToLobby";
    case kKindSendJoinIntent:
      return "SendJoinIntent";
    case kKindLoginOk:
      return "LoginOk";
    case kKindCertificateIssued:
      return "CertificateIssued";
    case kKindOk:
      return "Ok";
    case kKindErrorReply:
      return "Error";
    case kKindPersonas:
      return "Personas";
    case kKindOnlineList:
      return "OnlineList";
    case kKindPersonaChanged:
      return "PersonaChanged";
    case kKindSignalFrom:
      return "SignalFrom";
    case kKindRelayAllocated:
      return "RelayAllocated";
    case kKindRelayOffer:
      return "RelayOffer";
    case kKindLobbyEntered:
      return "LobbyEntered";
    case kKindLobbyMemberUpdate:
      return "LobbyMemberUpdate";
    case kKindLobbyDataUpdate:
      return "LobbyDataUpdate";
    case kKindLobbyChat:
      return "LobbyChat";
    case kKindLobbyList:
      return "LobbyList";
    case kKindLobbyData:
      return "LobbyData";
    case kKindLobbyInvite:
      return "LobbyInvite";
    case kKindLobbyJoinRequested:
      return "LobbyJoinRequested";
    case kKindLobbyKicked:
      return "LobbyKicked";
    default:
      return "unknown";
  }
}

std::string_view result_code_name(ResultCode c) noexcept {
  switch (c) {
    case ResultCode::ok:
      return "ok";
    case ResultCode::fail:
      return "fail";
    case ResultCode::no_connection:
      return "no_connection";
    case ResultCode::invalid_password:
      return "invalid_password";
    case ResultCode::invalid_param:
      return "invalid_param";
    case ResultCode::access_denied:
      return "access_denied";
    case ResultCode::timeout:
      return "timeout";
    case ResultCode::service_unavailable:
      return "service_unavailable";
    case ResultCode::limit_exceeded:
      return "limit_exceeded";
    case ResultCode::expired:
      return "expired";
    case ResultCode::invalid_name:
      return "invalid_name";
    case ResultCode::unsupported:
      return "unsupported";
    case ResultCode::invalid_certificate:
      return "invalid_certificate";
    case ResultCode::not_logged_on:
      return "not_logged_on";
    case ResultCode::not_running_app:
      return "not_running_app";
  }
  return "unknown";
}

std::vector<std::uint8_t> encode(const Message& m) {
  SizeCounter counter;
  put_message(counter, m);
  std::vector<std::uint8_t> out(counter.size());
  ByteWriter w(out);
  put_message(w, m);
  assert(w.ok() && w.size() == out.size());
  return out;
}

Result<Message> decode(Bytes data) {
  ByteReader r(data);
  const std::uint8_t kind = r.u8();
  Message m;
  m.request_id = r.u32();
  if (!r.ok()) return truncated("header");
  const int index = index_of_kind(kind);
  if (index < 0)
    return malformed(
        "header", "unknown kind 0x" + [kind] {
          static constexpr char kHex[] = "0123456789abcdef";
          return std::string{kHex[kind >> 4], kHex[kind & 0xf]};
        }());
  KETTLE_TRY(decode_body(r, static_cast<std::size_t>(index), m.body));
  if (!r.empty()) {
    return malformed(kind_name(kind), std::to_string(r.remaining()) + " trailing bytes");
  }
  return m;
}

}  // namespace kettle::control
