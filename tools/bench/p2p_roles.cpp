// The two player processes of p2p-bulk, p2p-relay-bulk and p2p-relay-small (`kettle-bench
// --role sender|receiver --scenario p2p-bulk --connect SERVER --server-key HEX`): each a kettle::Client with its I/O
// thread, as a game would run it. The application loop polls the API; when it has nothing to do
// it sleeps kIdleSleep, like a game between frames, so its own CPU stays small next to the
// library's.
//
// Protocol with the parent (p2p.cpp), one line each way at a time:
//   child → "player STEAMID"   (logged in)
//   parent → "peer STEAMID"    (the other player)
//   receiver → "ready"         (it has pre-accepted the sender; only then is the sender told)
//   child → one JSON result line (same keys as the socket roles, see runner.cpp)
// Data: message n is fill_payload(seed, n) of --p2p-message-kb KiB, reliable, channel 0; then
// an end marker; the receiver replies with a done marker carrying its failure count.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/p2p.hpp"
#include "bench/payload.hpp"
#include "core/result.hpp"
#include "core/time.hpp"
#include "kettle/client.hpp"

namespace kettle::bench {
namespace {

constexpr auto kIdleSleep = std::chrono::microseconds(50);
constexpr Duration kSettleGrace = secs(2);

// user+sys CPU seconds of this process so far (all threads: the client's I/O thread too).
double cpu_seconds_self() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double steady_us() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void print_line(const std::string& s) {
  std::fputs(s.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// "peer STEAMID" from the parent (blocking: the parent answers within its own deadline, and a
// parent that dies takes this process with it, PR_SET_PDEATHSIG).
Result<SteamID> read_peer() {
  std::string line;
  if (!std::getline(std::cin, line)) return make_error(Errc::closed, "stdin closed before 'peer STEAMID'");
  if (line.rfind("peer ", 0) != 0) return make_error(Errc::malformed, "expected 'peer STEAMID', got '" + line + "'");
  try {
    return SteamID(std::stoull(line.substr(5)));
  } catch (const std::exception&) {
    return make_error(Errc::malformed, "bad steamid in '" + line + "'");
  }
}

class Player {
 public:
  Player(const Options& o, Instant deadline) : o_(o), deadline_(deadline) {}

  Status login() {
    client_ = Client::Create();
    ClientConfig cfg;
    cfg.server = o_.connect;
    cfg.server_key = o_.server_key;
    cfg.login_name = std::string("bench-") + std::string(role_name(o_.role)) + "-" + std::to_string(::getpid());
    cfg.p2p_relay_only = o_.scenarios.at(0) != Scenario::p2p_bulk;
    const auto r = client_->Init(cfg);
    if (r.code != k_ESteamAPIInitResult_OK) return make_error(Errc::auth_failed, "login: " + r.message);
    client_->On<P2PSessionConnectFail_t>(
        [this](const P2PSessionConnectFail_t& f) { session_error_ = f.m_eP2PSessionError; });
    print_line("player " + std::to_string(client_->GetSteamID().ConvertToUint64()));
    auto peer = read_peer();
    if (!peer) return std::move(peer).error();
    peer_ = *peer;
    return {};
  }

  // Sends one reliable message, waiting while the 4 MiB send queue is full.
  Status send(Bytes msg) {
    while (!try_send(msg, k_EP2PSendReliable, 0)) KETTLE_TRY(idle("the send queue stayed full"));
    return {};
  }

  bool try_send(Bytes msg, EP2PSend type, int channel) {
    return client_->networking().SendP2PPacket(peer_, msg.data(), static_cast<uint32>(msg.size()), type, channel);
  }

  // The next message on `channel` if one is readable (valid until the next read).
  Result<std::optional<Bytes>> try_read(int channel) {
    if (buf_.empty()) buf_.resize(k_cbMaxP2PReliable);
    uint32 size = 0;
    SteamID from;
    if (!client_->networking().ReadP2PPacket(buf_.data(), static_cast<uint32>(buf_.size()), &size, &from, channel))
      return std::optional<Bytes>();
    if (from != peer_) return make_error(Errc::malformed, "a packet from an unexpected user");
    return std::optional<Bytes>(Bytes(buf_.data(), size));
  }

  // The next message on channel 0 into buf_, waiting for it.
  Result<Bytes> receive() {
    auto& net = client_->networking();
    if (buf_.empty()) buf_.resize(k_cbMaxP2PReliable);
    for (;;) {
      uint32 size = 0;
      SteamID from;
      if (net.ReadP2PPacket(buf_.data(), static_cast<uint32>(buf_.size()), &size, &from, 0)) {
        if (from != peer_) return make_error(Errc::malformed, "a packet from an unexpected user");
        return Bytes(buf_.data(), size);
      }
      KETTLE_TRY(idle("nothing arrived"));
    }
  }

  // Waits (at most kSettleGrace) until everything sent has been acknowledged or the session
  // ended. The last message of a two-party exchange can never be known to have arrived: the
  // sender leaves once it has read our answer, and its close can overtake the acknowledgement
  // (over the relay the close may not arrive at all, and the session would linger until the
  // liveness timeout).
  Status settle() {
    const Instant until = std::min(deadline_, monotonic_now() + kSettleGrace);
    while (client_->networking().GetP2PUnacknowledgedBytes(peer_) != 0) {
      client_->RunCallbacks();
      P2PSessionState_t st;
      if (session_error_ != 0 || !client_->networking().GetP2PSessionState(peer_, &st) || st.m_bConnectionActive == 0 ||
          monotonic_now() >= until)
        return {};
      std::this_thread::sleep_for(kIdleSleep);
    }
    return {};
  }

  nlohmann::json session_stats() {
    P2PSessionState_t st;
    nlohmann::json j = nlohmann::json::object();
    if (client_->networking().GetP2PSessionState(peer_, &st)) {
      j["active"] = st.m_bConnectionActive == 1;
      j["using_relay"] = st.m_bUsingRelay == 1;
    }
    return j;
  }

  Client& client() { return *client_; }
  SteamID peer() const { return peer_; }

  // One idle step of the application loop; an error if the session failed or time ran out.
  Status idle(const char* what) {
    client_->RunCallbacks();
    if (session_error_ != 0)
      return make_error(Errc::closed, "P2P session failed with EP2PSessionError " + std::to_string(session_error_));
    if (monotonic_now() >= deadline_) return make_error(Errc::timed_out, what);
    std::this_thread::sleep_for(kIdleSleep);
    return {};
  }

 private:
  const Options& o_;
  Instant deadline_;
  std::unique_ptr<Client> client_;
  SteamID peer_;
  int session_error_ = 0;
  std::vector<std::uint8_t> buf_;
};

Status run_sender(Player& p, const Options& o, nlohmann::json& out) {
  const std::size_t size = o.p2p_message_kb * 1024;
  const std::uint64_t count = o.p2p_mib * 1024 / o.p2p_message_kb;
  std::vector<std::uint8_t> msg(size);
  const double cpu0 = cpu_seconds_self();
  out["t_start_us"] = steady_us();
  for (std::uint64_t seq = 0; seq < count; ++seq) {
    fill_payload(o.seed, seq, msg);
    KETTLE_TRY(p.send(msg));
  }
  std::uint8_t marker[kEndMarkerSize];
  fill_end_marker(count, marker);
  KETTLE_TRY(p.send(marker));
  // The path while the session is surely up: once the receiver has answered and left, the
  // session may already be closed.
  out["stats"] = p.session_stats();
  out["messages"] = count;
  auto reply = p.receive();
  if (!reply) return std::move(reply).error();
  out["data_cpu_s"] = cpu_seconds_self() - cpu0;
  const auto failures = parse_done_marker(*reply);
  if (!failures) return make_error(Errc::malformed, "the receiver's reply is not a done marker");
  out["receiver_failures"] = *failures;
  out["failures"] = 0;
  return {};
}

// p2p-relay-small: 100-byte unreliable packets on channel 1 for --duration seconds, as fast as
// SendP2PPacket takes them; then the count in a reliable end marker on channel 0.
Status run_small_sender(Player& p, const Options& o, nlohmann::json& out) {
  std::vector<std::uint8_t> msg(kP2PSmallMessageSize);
  const double cpu0 = cpu_seconds_self();
  out["t_start_us"] = steady_us();
  const Instant until =
      monotonic_now() + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.duration_s));
  std::uint64_t seq = 0;
  while (monotonic_now() < until) {
    for (int burst = 0; burst < 64; ++burst) {
      fill_payload(o.seed, seq, msg);
      if (!p.try_send(msg, k_EP2PSendUnreliable, 1)) {
        KETTLE_TRY(p.idle("the send queue stayed full"));
        break;
      }
      ++seq;
    }
  }
  std::uint8_t marker[kEndMarkerSize];
  fill_end_marker(seq, marker);
  KETTLE_TRY(p.send(marker));
  out["stats"] = p.session_stats();
  out["messages"] = seq;
  auto reply = p.receive();
  if (!reply) return std::move(reply).error();
  out["data_cpu_s"] = cpu_seconds_self() - cpu0;
  const auto failures = parse_done_marker(*reply);
  if (!failures) return make_error(Errc::malformed, "the receiver's reply is not a done marker");
  out["receiver_failures"] = *failures;
  out["failures"] = 0;
  return {};
}

// Counts and checks the unreliable packets (loss is reported, not a failure; a wrong byte is);
// after the end marker, drains what is still on its way for up to kSmallDrain.
Status run_small_receiver(Player& p, const Options& o, nlohmann::json& out) {
  constexpr Duration kSmallDrain = ms(50);
  const double cpu0 = cpu_seconds_self();
  std::uint64_t received = 0, failures = 0;
  std::optional<std::uint64_t> sent;
  Instant drain_until = kInstantNever;
  double t_last_us = 0;
  for (;;) {
    bool any = false;
    for (;;) {
      auto m = p.try_read(1);
      if (!m) return std::move(m).error();
      if (!*m) break;
      any = true;
      t_last_us = steady_us();
      const auto seq = payload_seq(**m);
      if (seq && (*m)->size() == kP2PSmallMessageSize && check_payload(o.seed, *seq, **m)) {
        ++received;
      } else {
        ++failures;
      }
    }
    if (!sent) {
      auto m = p.try_read(0);
      if (!m) return std::move(m).error();
      if (*m) {
        any = true;
        sent = parse_end_marker(**m);
        if (!sent) return make_error(Errc::malformed, "expected the end marker on channel 0");
        drain_until = monotonic_now() + kSmallDrain;
      }
    }
    if (sent && (received >= *sent || monotonic_now() >= drain_until)) break;
    if (!any) KETTLE_TRY(p.idle("nothing arrived"));
  }
  out["t_end_us"] = t_last_us;
  out["data_cpu_s"] = cpu_seconds_self() - cpu0;
  out["stats"] = p.session_stats();
  out["messages"] = received;
  out["bytes"] = received * kP2PSmallMessageSize;
  out["failures"] = failures;
  std::uint8_t done[kEndMarkerSize];
  fill_done_marker(failures, done);
  KETTLE_TRY(p.send(done));
  KETTLE_TRY(p.settle());
  return {};
}

Status run_receiver(Player& p, const Options& o, nlohmann::json& out) {
  OrderedStreamVerifier verifier(o.seed, o.p2p_message_kb * 1024);
  const double cpu0 = cpu_seconds_self();
  double t_first_us = 0;
  while (!verifier.finished()) {
    auto m = p.receive();
    if (!m) return std::move(m).error();
    if (t_first_us == 0) t_first_us = steady_us();
    verifier.on_message(*m);  // failures are counted and reported
  }
  out["t_end_us"] = steady_us();
  out["data_cpu_s"] = cpu_seconds_self() - cpu0;
  out["stats"] = p.session_stats();  // before the sender can hear the answer and close
  out["t_first_us"] = t_first_us;
  out["messages"] = verifier.messages();
  out["bytes"] = verifier.bytes();
  out["failures"] = verifier.failures();
  std::uint8_t done[kEndMarkerSize];
  fill_done_marker(verifier.failures(), done);
  KETTLE_TRY(p.send(done));
  KETTLE_TRY(p.settle());  // the sender waits for the done marker; see that it got there
  return {};
}

}  // namespace

int run_p2p_role(const Options& o) {
  const Instant deadline =
      monotonic_now() + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.timeout_s));
  nlohmann::json out;
  out["role"] = role_name(o.role);
  Player p(o, deadline);
  Status st = p.login();
  if (st && o.role == Role::receiver) {
    if (!p.client().networking().AcceptP2PSessionWithUser(p.peer())) {
      st = make_error(Errc::invalid_argument, "AcceptP2PSessionWithUser refused the sender");
    } else {
      print_line("ready");
    }
  }
  if (st) {
    const bool small = o.scenarios.at(0) == Scenario::p2p_relay_small;
    if (o.role == Role::sender) {
      st = small ? run_small_sender(p, o, out) : run_sender(p, o, out);
    } else {
      st = small ? run_small_receiver(p, o, out) : run_receiver(p, o, out);
    }
  }
  if (!st) out["error"] = st.error().to_string();
  print_line(out.dump());
  return st && out.value("failures", 0) == 0 ? 0 : 1;
}

}  // namespace kettle::bench
