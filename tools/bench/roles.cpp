#include "bench/roles.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <vector>

#include "bench/link.hpp"
#include "bench/payload.hpp"
#include "bench/report.hpp"

namespace kettle::bench {
namespace {

// How long a sender waits for a pong before counting the ping lost and sending the next one.
// Far above any loopback RTT, far below the run's budget.
constexpr Duration kPingTimeout = ms(200);
// Sender: poll the network (without blocking) after this many bytes of back-to-back sends, as
// a game loop would between frames, so the library can move data while the app produces it.
constexpr std::size_t kPollEveryBytes = 64 * 1024;
// After the data phase, the graceful close may take this long (ENet disconnect_later, Kettle
// close linger) before the process gives up on it.
constexpr Duration kCloseBudget = secs(3);

double steady_us() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

struct RoleContext {
  const Options& o;
  Scenario scenario;
  Link& link;
  Instant deadline;
  nlohmann::json result = nlohmann::json::object();
  std::uint64_t failures = 0;
};

// Sends a reliable control message, polling while flow control is closed.
Status send_reliable(RoleContext& c, Bytes msg, const MessageSink& sink) {
  for (;;) {
    switch (c.link.send(kReliableChannel, true, msg)) {
      case SendOutcome::sent:
        c.link.flush();
        return {};
      case SendOutcome::failed:
        return make_error(Errc::io, "send failed");
      case SendOutcome::would_block:
        break;
    }
    if (monotonic_now() >= c.deadline) return make_error(Errc::timed_out, "send blocked until the deadline");
    KETTLE_TRY(c.link.poll(ms(1), sink));
  }
}

// Receiver of bulk/small/loss: verify the ordered stream until the end marker.
Status receive_stream(RoleContext& c) {
  OrderedStreamVerifier verifier(c.o.seed, scenario_message_size(c.scenario));
  double t_first_us = 0, t_end_us = 0;
  std::uint64_t stray = 0;
  const MessageSink sink = [&](int channel, Bytes data) {
    if (channel != kReliableChannel) {
      ++stray;
      return;
    }
    if (t_first_us == 0) t_first_us = steady_us();
    verifier.on_message(data);
    if (verifier.finished() && t_end_us == 0) t_end_us = steady_us();
  };
  while (!verifier.finished()) {
    if (monotonic_now() >= c.deadline) {
      return make_error(Errc::timed_out,
                        fmt::format("receiver timed out after {} verified messages", verifier.messages()));
    }
    KETTLE_TRY(c.link.poll(ms(50), sink));
  }
  c.failures += verifier.failures() + stray;
  c.result["messages"] = verifier.messages();
  c.result["bytes"] = verifier.bytes();
  c.result["t_first_us"] = t_first_us;
  c.result["t_end_us"] = t_end_us;
  std::uint8_t done[kEndMarkerSize];
  fill_done_marker(c.failures, done);
  return send_reliable(c, done, [](int, Bytes) {});
}

// Receiver of pingpong: verify each ping and echo it back unreliably.
Status echo_pings(RoleContext& c) {
  std::vector<std::vector<std::uint8_t>> to_echo;
  std::optional<std::uint64_t> last_seq;
  std::optional<std::uint64_t> end_count;
  std::uint64_t echoed = 0;
  const MessageSink sink = [&](int channel, Bytes data) {
    if (channel == kReliableChannel) {
      end_count = parse_end_marker(data);
      if (!end_count) ++c.failures;
      return;
    }
    const auto seq = payload_seq(data);
    // Pings are sent one at a time, so a seq at or below the last one is a duplicate.
    if (data.size() != kPingMessageSize || !seq || (last_seq && *seq <= *last_seq) ||
        !check_payload(c.o.seed, *seq, data)) {
      ++c.failures;
      return;
    }
    last_seq = seq;
    to_echo.emplace_back(data.begin(), data.end());
  };
  while (!end_count) {
    if (monotonic_now() >= c.deadline) return make_error(Errc::timed_out, "echo side timed out");
    KETTLE_TRY(c.link.poll(ms(50), sink));
    for (const auto& m : to_echo) {
      if (c.link.send(kUnreliableChannel, false, m) == SendOutcome::failed) return make_error(Errc::io, "echo failed");
      ++echoed;
    }
    if (!to_echo.empty()) c.link.flush();
    to_echo.clear();
  }
  if (echoed > *end_count) ++c.failures;  // more pings echoed than were sent
  c.result["messages"] = echoed;
  std::uint8_t done[kEndMarkerSize];
  fill_done_marker(c.failures, done);
  return send_reliable(c, done, [](int, Bytes) {});
}

// Sender side: wait for the receiver's done marker, which also carries its failure count.
Status await_done(RoleContext& c, const MessageSink& data_sink) {
  std::optional<std::uint64_t> peer_failures;
  const MessageSink sink = [&](int channel, Bytes data) {
    if (channel == kReliableChannel) {
      peer_failures = parse_done_marker(data);
      if (!peer_failures) ++c.failures;
      return;
    }
    data_sink(channel, data);
  };
  while (!peer_failures) {
    if (monotonic_now() >= c.deadline) return make_error(Errc::timed_out, "no completion from the receiver");
    KETTLE_TRY(c.link.poll(ms(50), sink));
  }
  c.result["receiver_failures"] = *peer_failures;
  return {};
}

// Sender of bulk/small/loss: push messages as fast as flow control allows for the duration.
Status send_stream(RoleContext& c) {
  const std::size_t size = scenario_message_size(c.scenario);
  const double duration_s = c.scenario == Scenario::loss ? c.o.loss_duration_s : c.o.duration_s;
  std::vector<std::uint8_t> buf(size);
  std::uint64_t seq = 0;
  std::size_t since_poll = 0;
  fill_payload(c.o.seed, seq, buf);
  const MessageSink sink = [&](int, Bytes) { ++c.failures; };  // the receiver sends nothing until done
  const double t_start_us = steady_us();
  const double t_stop_us = t_start_us + duration_s * 1e6;
  while (steady_us() < t_stop_us) {
    switch (c.link.send(kReliableChannel, true, buf)) {
      case SendOutcome::sent:
        fill_payload(c.o.seed, ++seq, buf);
        since_poll += size;
        if (since_poll >= kPollEveryBytes) {
          since_poll = 0;
          KETTLE_TRY(c.link.poll(Duration::zero(), sink));
        }
        break;
      case SendOutcome::would_block:
        since_poll = 0;
        if (monotonic_now() >= c.deadline) return make_error(Errc::timed_out, "sender blocked until the deadline");
        KETTLE_TRY(c.link.poll(ms(1), sink));
        break;
      case SendOutcome::failed:
        return make_error(Errc::io, "send failed");
    }
  }
  std::uint8_t end[kEndMarkerSize];
  fill_end_marker(seq, end);
  KETTLE_TRY(send_reliable(c, end, sink));
  c.result["t_start_us"] = t_start_us;
  c.result["messages_sent"] = seq;
  return await_done(c, sink);
}

// Sender of pingpong: one ping in flight at a time; RTT from send to verified pong.
Status send_pings(RoleContext& c) {
  std::vector<std::uint8_t> buf(kPingMessageSize);
  std::vector<double> rtts_us;
  rtts_us.reserve(static_cast<std::size_t>(c.o.pings));
  std::uint64_t lost = 0;
  std::uint64_t current = 0;
  bool answered = false;
  double sent_at_us = 0;
  const MessageSink sink = [&](int channel, Bytes data) {
    const auto seq = payload_seq(data);
    if (channel != kUnreliableChannel || data.size() != kPingMessageSize || !seq || *seq > current ||
        !check_payload(c.o.seed, *seq, data)) {
      ++c.failures;
      return;
    }
    if (*seq == current && !answered) {  // a late pong for an earlier ping is verified but not timed
      answered = true;
      rtts_us.push_back(steady_us() - sent_at_us);
    }
  };
  const double t_start_us = steady_us();
  for (current = 0; current < static_cast<std::uint64_t>(c.o.pings); ++current) {
    if (monotonic_now() >= c.deadline) return make_error(Errc::timed_out, "pingpong ran out of time");
    fill_payload(c.o.seed, current, buf);
    answered = false;
    sent_at_us = steady_us();
    if (c.link.send(kUnreliableChannel, false, buf) == SendOutcome::failed) return make_error(Errc::io, "ping failed");
    c.link.flush();
    const Instant give_up = monotonic_now() + kPingTimeout;
    while (!answered) {
      const Instant now = monotonic_now();
      if (now >= give_up) {
        ++lost;
        break;
      }
      KETTLE_TRY(c.link.poll(give_up - now, sink));
    }
  }
  const double t_end_us = steady_us();
  std::uint8_t end[kEndMarkerSize];
  fill_end_marker(current, end);
  KETTLE_TRY(send_reliable(c, end, sink));
  c.result["t_start_us"] = t_start_us;
  c.result["t_end_us"] = t_end_us;
  c.result["round_trips"] = rtts_us.size();
  c.result["pings_lost"] = lost;
  c.result["rtt_p50_us"] = percentile(rtts_us, 50);
  c.result["rtt_p99_us"] = percentile(rtts_us, 99);
  return await_done(c, sink);
}

void print_line(const std::string& s) {
  std::fputs(s.c_str(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

}  // namespace

int run_role(const Options& o) {
  const Scenario scenario = o.scenarios.at(0);
  const Impl impl = o.impls.at(0);
  const Instant deadline =
      monotonic_now() + std::chrono::duration_cast<Duration>(std::chrono::duration<double>(o.timeout_s));
  nlohmann::json out;
  out["role"] = role_name(o.role);

  auto fail = [&](const Error& e) {
    out["error"] = e.to_string();
    print_line(out.dump());
    return 1;
  };

  LinkOptions lo;
  lo.seed = o.seed;
  lo.initiator = o.role == Role::sender;
  lo.enet_window_bytes = enet_window_bytes(o, scenario);
  lo.kettle_send_buffer_bytes = o.kettle_send_buffer_kb * 1024;
  lo.kettle_busy_poll_us = o.kettle_busy_poll_us;
  auto made = impl == Impl::enet ? make_enet_link(lo) : make_kettle_link(lo);
  if (!made) return fail(made.error());
  Link& link = **made;
  auto port = link.bind_loopback();
  if (!port) return fail(port.error());

  if (o.role == Role::receiver) {
    print_line(fmt::format("listening 127.0.0.1:{}", *port));
    if (auto st = link.accept(deadline); !st) return fail(st.error());
  } else {
    auto to = Address::parse(o.connect);
    if (!to) return fail(to.error());
    if (auto st = link.connect(*to, deadline); !st) return fail(st.error());
  }

  RoleContext c{o, scenario, link, deadline};
  Status st;
  if (o.role == Role::receiver) {
    st = scenario == Scenario::pingpong ? echo_pings(c) : receive_stream(c);
  } else {
    st = scenario == Scenario::pingpong ? send_pings(c) : send_stream(c);
  }
  if (!st) return fail(st.error());
  link.close(std::min(deadline, monotonic_now() + kCloseBudget));

  out.update(c.result);
  out["failures"] = c.failures;
  out["stats"] = link.stats();
  print_line(out.dump());
  return c.failures == 0 ? 0 : 1;
}

}  // namespace kettle::bench
