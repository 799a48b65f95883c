// kettle-cli send / listen: P2P packets through kettle::Client::networking().
#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

#include "cli/internal.hpp"
#include "core/address.hpp"

namespace kettle::cli {
namespace {

bool reliable_type(int type) { return type == k_EP2PSendReliable || type == k_EP2PSendReliableWithBuffering; }

const char* session_error_name(int e) {
  switch (e) {
    case k_EP2PSessionErrorNone:
      return "none";
    case k_EP2PSessionErrorNotRunningApp_DELETED:
      return "peer not running the app";
    case k_EP2PSessionErrorNoRightsToApp:
      return "no rights to the app";
    case k_EP2PSessionErrorDestinationNotLoggedIn_DELETED:
      return "destination not logged in";
    case k_EP2PSessionErrorTimeout:
      return "timeout: the peer did not answer (offline, not accepting, or unreachable)";
    default:
      return "unknown";
  }
}

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[p[i] >> 4]);
    out.push_back(kDigits[p[i] & 15]);
  }
  return out;
}

std::string sha256_hex(const std::uint8_t* data, std::size_t n) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, data, n);
  return hex(digest, sizeof digest);
}

std::string describe(const P2PSessionState_t& s) {
  return std::string(s.m_bConnectionActive ? "active"
                     : s.m_bConnecting     ? "connecting"
                                           : "not active") +
         (s.m_bUsingRelay ? ", relayed" : "") + ", " + std::to_string(s.m_nBytesQueuedForSend) + " bytes queued";
}

}  // namespace

SteamID parse_user_id(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos || text.size() > 20) return SteamID();
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text.c_str(), &end, 10);
  if (errno != 0 || *end != '\0') return SteamID();
  const SteamID id(v);
  return id.BIndividualAccount() ? id : SteamID();
}

nlohmann::ordered_json session_json(const P2PSessionState_t& s) {
  std::string address;
  if (s.m_nRemoteIP != 0 || s.m_nRemotePort != 0) address = Address::v4(s.m_nRemoteIP, s.m_nRemotePort).to_string();
  return nlohmann::ordered_json{{"connection_active", s.m_bConnectionActive},
                                {"connecting", s.m_bConnecting},
                                {"session_error", s.m_eP2PSessionError},
                                {"using_relay", s.m_bUsingRelay},
                                {"bytes_queued_for_send", s.m_nBytesQueuedForSend},
                                {"packets_queued_for_send", s.m_nPacketsQueuedForSend},
                                {"remote_ip", s.m_nRemoteIP},
                                {"remote_port", s.m_nRemotePort},
                                {"remote_address", address}};
}

// ---- send ----

std::optional<Outcome> prepare_send(const SendOptions& o, std::vector<std::uint8_t>& payload) {
  if (o.to.empty()) return fail(kExitUsage, "send needs --to STEAMID");
  if (!parse_user_id(o.to).IsValid())
    return fail(kExitUsage, "--to '" + o.to + "' is not a user SteamID64 (e.g. 76561197960265729)");
  if (o.type < 0 || o.type > 3)
    return fail(kExitUsage,
                "--type must be 0-3 (0 unreliable, 1 unreliable no-delay, 2 reliable, 3 reliable buffered)");
  if (o.channel < 0 || o.channel > k_nMaxP2PChannel) return fail(kExitUsage, "--channel must be 0-255");
  if (o.count == 0) return fail(kExitUsage, "--count must be at least 1");
  if (!(o.timeout_s > 0)) return fail(kExitUsage, "--timeout must be more than 0 seconds");
  const int given = int{o.text.has_value()} + int{o.file.has_value()} + int{o.bytes.has_value()};
  if (given != 1) return fail(kExitUsage, "send needs exactly one of --text T, --file F, --bytes N");

  const std::uint64_t limit = reliable_type(o.type) ? k_cbMaxP2PReliable : k_cbMaxP2PUnreliable;
  std::uint64_t size = 0;
  if (o.text) {
    size = o.text->size();
  } else if (o.bytes) {
    size = *o.bytes;
  } else {
    std::ifstream in(*o.file, std::ios::binary | std::ios::ate);
    if (!in) return fail(kExitUsage, "cannot read --file '" + *o.file + "': " + std::strerror(errno));
    const auto end = in.tellg();
    if (end < 0) return fail(kExitUsage, "cannot read --file '" + *o.file + "' (not a regular file?)");
    size = static_cast<std::uint64_t>(end);
  }
  // The same limits SendP2PPacket applies, checked first so the message can say which applies.
  if (size == 0) return fail(kExitUsage, "the payload is empty (a P2P packet carries at least 1 byte)");
  if (size > limit) {
    return fail(kExitUsage, "the payload is " + std::to_string(size) + " bytes; a type-" + std::to_string(o.type) +
                                (reliable_type(o.type) ? " (reliable) packet holds at most 1048576 bytes"
                                                       : " (unreliable) packet holds at most 1200 bytes (--type 2 "
                                                         "sends up to 1 MiB reliably)"));
  }
  payload.resize(size);
  if (o.text) {
    std::copy(o.text->begin(), o.text->end(), payload.begin());
  } else if (o.bytes) {
    for (std::uint64_t i = 0; i < size; ++i) payload[i] = pattern_byte(i);
  } else {
    std::ifstream in(*o.file, std::ios::binary);
    in.read(reinterpret_cast<char*>(payload.data()), static_cast<std::streamsize>(size));
    if (static_cast<std::uint64_t>(in.gcount()) != size)
      return fail(kExitUsage, "cannot read --file '" + *o.file + "': it changed while being read");
  }
  return std::nullopt;
}

Outcome run_send(Client& c, const SendOptions& o, const std::vector<std::uint8_t>& payload) {
  auto& net = c.networking();
  const SteamID to = parse_user_id(o.to);
  if (to == c.GetSteamID()) return fail(kExitUsage, "--to is this user's own SteamID; send to another user");
  const auto deadline = after_seconds(o.timeout_s);
  const auto size = static_cast<uint32>(payload.size());

  std::optional<int> failed;  // EP2PSessionError of a P2PSessionConnectFail_t for `to`
  c.Subscribe<P2PSessionConnectFail_t>([&](const P2PSessionConnectFail_t& cb) {
    if (cb.m_steamIDRemote == to) failed = cb.m_eP2PSessionError;
  });
  P2PSessionState_t st{};
  auto active = [&] { return failed.has_value() || (net.GetP2PSessionState(to, &st) && st.m_bConnectionActive); };
  auto failure = [&] {
    return fail(kExitFailure, "P2P session with " + o.to + " failed: error " + std::to_string(*failed) + " (" +
                                  session_error_name(*failed) + ")");
  };
  auto timed_out = [&](const std::string& what) {
    net.GetP2PSessionState(to, &st);
    return fail(kExitFailure, "timed out after " + nlohmann::json(o.timeout_s).dump() + " s " + what + " (session " +
                                  describe(st) + ")");
  };

  std::uint64_t sent = 0;
  for (std::uint64_t i = 0; i < o.count; ++i) {
    if (i > 0 && o.interval_s > 0) {
      // Keeps the client running (callbacks, failures) while it waits for the next tick.
      const auto tick = std::min(after_seconds(o.interval_s), deadline);
      (void)pump_until(c, tick, [&] { return failed.has_value(); });
      if (failed) return failure();
      if (Clock::now() >= deadline) return timed_out("sending --count packets --interval apart");
    }
    auto type = static_cast<EP2PSend>(o.type);
    if (type == k_EP2PSendUnreliableNoDelay) {
      // NoDelay data is dropped unless it can go out at once (Steam's rule, kept by Kettle): the
      // first packet goes as plain unreliable, which opens the session and waits for it; each
      // later one waits until the session is active and nothing is queued ahead of it.
      if (i > 0) {
        auto idle = [&] { return active() && (failed || st.m_nBytesQueuedForSend == 0); };
        if (!pump_until(c, deadline, idle)) return timed_out("waiting for the session to send");
        if (failed) return failure();
      } else {
        type = k_EP2PSendUnreliable;
      }
    }
    // A full send queue (4 MiB per user) refuses the packet; it takes it once some has left.
    bool accepted = net.SendP2PPacket(to, payload.data(), size, type, o.channel);
    if (!accepted) {
      auto retry = [&] {
        if (failed) return true;
        accepted = net.SendP2PPacket(to, payload.data(), size, type, o.channel);
        return accepted;
      };
      if (!pump_until(c, deadline, retry)) {
        if (!c.BLoggedOn()) return fail(kExitFailure, "lost the connection to the server while sending");
        return timed_out("with the send queue full");
      }
      if (failed) return failure();
    }
    sent += size;
  }

  // Done when the session is active and the data has left: acknowledged for reliable types (the
  // Kettle extension GetP2PUnacknowledgedBytes), handed to the transport for unreliable ones.
  const bool reliable = reliable_type(o.type);
  auto settled = [&] {
    if (!active()) return false;
    if (failed) return true;
    return reliable ? net.GetP2PUnacknowledgedBytes(to) == 0 : st.m_nBytesQueuedForSend == 0;
  };
  if (!pump_until(c, deadline, settled)) {
    if (failed) return failure();
    return timed_out(reliable ? "waiting for the peer to acknowledge the data" : "waiting for the data to go out");
  }
  if (failed) return failure();
  net.GetP2PSessionState(to, &st);
  nlohmann::ordered_json out{{"sent", sent}, {"session", session_json(st)}};
  return Outcome{kExitOk, out.dump(), {}};
}

// ---- listen ----

std::optional<Outcome> check_listen(const ListenOptions& o) {
  if (o.channel < 0 || o.channel > k_nMaxP2PChannel) return fail(kExitUsage, "--channel must be 0-255");
  if (o.accept != "all" && o.accept != "none") return fail(kExitUsage, "--accept must be 'all' or 'none'");
  if (o.timeout_s < 0) return fail(kExitUsage, "--timeout must not be negative (0: no limit)");
  return std::nullopt;
}

Outcome run_listen(Client& c, const ListenOptions& o, const Io& io) {
  auto& net = c.networking();
  std::string collected;  // the lines, when the caller gave no sink
  auto emit = [&](const std::string& line) {
    if (io.line) {
      io.line(line);
    } else {
      collected += line;
      collected += '\n';
    }
  };
  const std::string self = std::to_string(c.GetSteamID().ConvertToUint64());

  std::uint64_t requests = 0;
  c.Subscribe<P2PSessionRequest_t>([&](const P2PSessionRequest_t& cb) {
    ++requests;
    if (o.accept == "all") net.AcceptP2PSessionWithUser(cb.m_steamIDRemote);
  });

  if (o.json) {
    emit(nlohmann::ordered_json{{"listening", true}, {"steam_id", self}, {"channel", o.channel}}.dump());
  } else {
    emit("listening as " + self + " on channel " + std::to_string(o.channel) + " (accept " + o.accept + ")");
  }

  const bool limited = o.timeout_s > 0;
  const auto deadline = limited ? after_seconds(o.timeout_s) : Clock::time_point::max();
  std::vector<std::uint8_t> buf;
  std::uint64_t received = 0;
  SteamID last;
  bool stopped = false;
  bool timed_out = false;
  const bool enough = [&] {
    while (true) {
      if (o.count != 0 && received >= o.count) return true;
      if (io.stop != nullptr && io.stop->load()) {
        stopped = true;
        return false;
      }
      if (Clock::now() >= deadline) {
        timed_out = true;
        return false;
      }
      c.RunCallbacks();
      uint32 size = 0;
      bool any = false;
      while ((o.count == 0 || received < o.count) && net.IsP2PPacketAvailable(&size, o.channel)) {
        buf.resize(std::max<uint32>(size, 1));
        SteamID from;
        uint32 got = 0;
        if (!net.ReadP2PPacket(buf.data(), static_cast<uint32>(buf.size()), &got, &from, o.channel)) break;
        any = true;
        ++received;
        last = from;
        const std::string sender = std::to_string(from.ConvertToUint64());
        const std::string digest = sha256_hex(buf.data(), got);
        if (o.json) {
          emit(nlohmann::ordered_json{{"from", sender}, {"channel", o.channel}, {"size", got}, {"sha256", digest}}
                   .dump());
        } else {
          emit("from " + sender + " channel " + std::to_string(o.channel) + ": " + std::to_string(got) +
               " bytes, sha256 " + digest);
        }
      }
      if (!any) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }();

  P2PSessionState_t st{};
  if (last.IsValid()) net.GetP2PSessionState(last, &st);
  if (enough) {
    // The transport acknowledges within max_ack_delay (at most 25 ms); leaving before the ACK
    // for the last packet is out would leave its sender waiting for an acknowledgement that
    // never comes. A bounded linger lets it go (like SO_LINGER, not a synchronization).
    const auto linger = Clock::now() + std::chrono::milliseconds(100);
    while (Clock::now() < linger) {
      c.RunCallbacks();
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }
  const bool ok = enough || (o.count == 0 && (stopped || timed_out));
  nlohmann::ordered_json done{{"done", true}, {"received", received}, {"requests", requests}};
  if (last.IsValid()) {
    done["last_from"] = std::to_string(last.ConvertToUint64());
    done["session"] = session_json(st);
  }
  const std::string final_line = o.json ? done.dump()
                                        : "done: " + std::to_string(received) + " packet(s)" +
                                              (last.IsValid() ? ", last session " + describe(st) : std::string());
  Outcome out{ok ? kExitOk : kExitFailure, collected + final_line, {}};
  if (!ok) {
    out.error = (stopped ? "interrupted" : "timed out after " + nlohmann::json(o.timeout_s).dump() + " s") +
                std::string(" with ") + std::to_string(received) + " of " + std::to_string(o.count) + " packet(s)" +
                (requests == 0 ? " (no session request arrived)" : "");
  }
  return out;
}

}  // namespace kettle::cli
