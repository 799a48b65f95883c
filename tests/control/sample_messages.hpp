// One or more messages of every control kind (the lobby ones from lobby_samples.hpp) with non-trivial values, shared by
// the codec tests and the fuzz seed generator (make_control_corpus). Everything is deterministic (Ed25519 signing is),
// so the pinned hex vectors and the seed files never change by accident.
#pragma once

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "control/lobby_samples.hpp"
#include "control/messages.hpp"

namespace kettle::control::testing {

inline crypto::SigningKeyPair key_from_byte(std::uint8_t b) {
  std::array<std::uint8_t, 32> seed{};
  seed.fill(b);
  return crypto::SigningKeyPair::from_seed(seed);
}

// Issued by the key with seed 0x01.. for the key with seed 0x02..
inline crypto::Certificate sample_certificate(SteamID id = SteamID::individual(7), std::uint32_t app_id = 480,
                                              std::uint64_t expiry = 1'900'000'000) {
  return crypto::Certificate::issue(key_from_byte(0x01), id, app_id, key_from_byte(0x02).pub, expiry);
}

inline Address sample_v6() {
  Address a;
  a.family = Address::Family::v6;
  a.ip = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34};
  a.port = 27015;
  return a;
}

inline PersonaInfo sample_persona(std::uint32_t account, std::string name, bool online) {
  return PersonaInfo{SteamID::individual(account), std::move(name),
                     online ? PersonaState::online : PersonaState::offline, online ? 480u : 0u, true};
}

// 16 bytes counting up from `first`.
inline RelayToken sample_relay_token(std::uint8_t first) {
  RelayToken t{};
  for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<std::uint8_t>(first + i);
  return t;
}

// The pinned vectors of docs/protocol.md §12.6.
inline Message pinned_login() {
  return Message{1, Login{kControlVersion, 480, LoginMethod::password, "alice", "hunter2", std::nullopt}};
}
inline Message pinned_login_ok() {
  return Message{1, LoginOk{SteamID::individual(7), "Alice", sample_certificate(), true, Address::v4(0xC0A80102, 27015),
                            1'800'000'000}};
}

inline std::vector<std::pair<std::string, Message>> sample_messages() {
  std::vector<std::pair<std::string, Message>> out;
  out.emplace_back("login_password", pinned_login());
  out.emplace_back("login_dev", Message{2, Login{kControlVersion, 0, LoginMethod::dev, "Zoë 日本", "", std::nullopt}});
  out.emplace_back("login_token",
                   Message{3, Login{kControlVersion, 730, LoginMethod::token, "bob", std::string(40, 't'), {}}});
  out.emplace_back("login_certificate",
                   Message{0xFFFFFFFF, Login{2, 480, LoginMethod::certificate, "", "", sample_certificate()}});
  out.emplace_back("refresh_certificate", Message{5, RefreshCertificate{}});
  out.emplace_back("set_persona_name", Message{6, SetPersonaName{"The 🫖 Kettle"}});
  out.emplace_back("get_personas",
                   Message{7, GetPersonas{{SteamID::individual(1), SteamID::individual(0xFFFFFFFF), SteamID(0)}}});
  out.emplace_back("list_online", Message{8, ListOnline{480}});
  out.emplace_back("send_signal", Message{9, SendSignal{SteamID::individual(2), {0x00, 0xFF, 0x10, 0x20, 0x7F}}});
  out.emplace_back("logout", Message{10, Logout{}});
  out.emplace_back("login_ok", pinned_login_ok());
  out.emplace_back("login_ok_v6", Message{11, LoginOk{SteamID::individual(8), "", sample_certificate(), false,
                                                      sample_v6(), 0xFFFFFFFFFFFFFFFFull}});
  out.emplace_back("certificate_issued",
                   Message{5, CertificateIssued{sample_certificate(SteamID::individual(7), 0, 2'000'000'000)}});
  out.emplace_back("ok", Message{6, Ok{}});
  out.emplace_back("error", Message{1, ErrorReply{ResultCode::invalid_password, "wrong password for \"alice\""}});
  out.emplace_back("personas", Message{7, Personas{{sample_persona(1, "Alice", true), sample_persona(2, "Bob", false),
                                                    PersonaInfo{SteamID(0), "", PersonaState::offline, 0, false}}}});
  out.emplace_back("online_list",
                   Message{8, OnlineList{{sample_persona(1, "Alice", true), sample_persona(3, "Ĉarlie", true)}}});
  out.emplace_back("persona_changed", Message{0, PersonaChanged{sample_persona(2, "Bob", true),
                                                                kPersonaChangeStatus | kPersonaChangeComeOnline}});
  out.emplace_back("signal_from", Message{0, SignalFrom{SteamID::individual(2), std::vector<std::uint8_t>(300, 0xAB)}});
  out.emplace_back("allocate_relay", Message{12, AllocateRelay{SteamID::individual(2)}});
  out.emplace_back("relay_allocated", Message{12, RelayAllocated{0x0123456789ABCDEFull, sample_relay_token(0x10), 27016,
                                                                 SteamID::individual(2)}});
  out.emplace_back("relay_offer",
                   Message{0, RelayOffer{0x0123456789ABCDEFull, sample_relay_token(0xA0), 0, SteamID::individual(7)}});
  for (auto& sample : lobby_sample_messages()) out.push_back(std::move(sample));
  return out;
}

}  // namespace kettle::control::testing
