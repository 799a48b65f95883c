// A BBR(v1)-like controller (docs/protocol.md §8). Model: bottleneck bandwidth =
// windowed max of delivery-rate samples over kBwWindowRounds round trips; RTprop =
// windowed min RTT over kMinRttWindow. States STARTUP → DRAIN → PROBE_BW with the
// paper's gains. cwnd = cwnd_gain × BDP (with RTT ≥ 1 ms) + 3 packets for ACK aggregation.
// Deliberate deviations from BBRv1 (documented in §8.2): no PROBE_RTT state (the
// min-RTT filter simply expires to the current window's minimum) and no packet
// conservation on loss — random loss is not a congestion signal here.
#include <algorithm>
#include <array>
#include <cmath>

#include "core/rng.hpp"
#include "transport/congestion.hpp"

namespace kettle::transport {

namespace {

constexpr double kHighGain = 2.885;  // 2/ln 2: doubles the delivery rate every round in STARTUP
constexpr double kDrainGain = 1.0 / kHighGain;
constexpr double kCwndGain = 2.0;
constexpr std::array<double, 8> kProbeBwGains = {1.25, 0.75, 1, 1, 1, 1, 1, 1};
constexpr std::size_t kBwWindowRounds = 10;
constexpr Duration kMinRttWindow = secs(10);
constexpr std::uint64_t kInitialCwndPackets = 32;  // ~40 KB: one loopback GSO batch, small on a WAN
// Floor: BBR's 4 packets, raised so that delayed ACKs (every 2nd packet) and a
// lost ACK never stall a sender.
constexpr std::uint64_t kMinCwndPackets = 16;
constexpr std::uint64_t kAckAggregationPackets = 3;
// The window's BDP uses at least this RTT. Below ~1 ms the measured min RTT (20-50 µs on
// loopback) says nothing about the ACK turnaround under load, which is set by OS
// scheduling and receive batching; with the raw value the window (≈ 40 KB) starves a
// 500 MB/s loopback flow. On any WAN path min RTT ≫ 1 ms and this changes nothing;
// on a LAN it allows at most ~2 ms of queue at the pacing rate.
constexpr Duration kMinWindowRtt = ms(1);
constexpr double kFullBwGrowth = 1.25;
constexpr double kStartupLossRatio = 0.15;           // of a round's bytes (random loss is ~5 %)
constexpr std::uint64_t kStartupLossMinPackets = 8;  // ignore rounds too small to judge
constexpr int kFullBwRounds = 3;

class Bbr final : public CongestionController {
 public:
  Bbr(std::size_t mss, std::uint64_t seed) : mss_(mss), rng_(seed) { cwnd_ = kInitialCwndPackets * mss_; }

  std::string_view name() const noexcept override { return "bbr"; }
  void set_initial_rtt(Duration rtt) noexcept override { initial_rtt_ = std::max(rtt, us(1)); }

  void on_packet_sent(Instant, std::size_t, std::uint64_t) noexcept override {}

  void on_ack(const AckEvent& ev) noexcept override {
    update_round(ev);
    update_bw(ev);
    update_min_rtt(ev);
    check_full_pipe(ev);
    update_mode(ev);
    update_pacing_rate();
    update_cwnd(ev);
    round_start_ = false;
  }

  void on_loss(Instant, std::uint64_t lost_bytes, std::uint64_t) noexcept override { round_lost_ += lost_bytes; }

  std::uint64_t cwnd_bytes() const noexcept override { return cwnd_; }
  double pacing_rate_bytes_per_s() const noexcept override {
    return pacing_rate_ > 0 ? pacing_rate_ : initial_pacing_rate();
  }
  double bandwidth_bytes_per_s() const noexcept override { return bw(); }

 private:
  enum class Mode { startup, drain, probe_bw };

  // Before the first sample: the initial window per (handshake) RTT, at STARTUP gain.
  double initial_pacing_rate() const noexcept {
    return kHighGain * static_cast<double>(kInitialCwndPackets * mss_) * 1e6 / static_cast<double>(to_us(initial_rtt_));
  }
  double bw() const noexcept { return *std::max_element(bw_rounds_.begin(), bw_rounds_.end()); }
  double bdp_bytes() const noexcept {
    if (!has_min_rtt_ || bw() <= 0) return static_cast<double>(kInitialCwndPackets * mss_);
    return bw() * static_cast<double>(to_us(min_rtt_)) * 1e-6;
  }
  // The BDP the window is sized for (see kMinWindowRtt).
  double window_bdp_bytes() const noexcept {
    if (!has_min_rtt_ || bw() <= 0) return static_cast<double>(kInitialCwndPackets * mss_);
    return bw() * static_cast<double>(to_us(std::max(min_rtt_, kMinWindowRtt))) * 1e-6;
  }

  void update_round(const AckEvent& ev) noexcept {
    if (ev.rate.prior_delivered >= next_round_delivered_ && ev.bytes_acked > 0) {
      next_round_delivered_ = ev.delivered;
      ++round_;
      round_start_ = true;
      check_startup_loss();
      round_lost_ = round_acked_ = 0;
    }
    round_acked_ += ev.bytes_acked;
  }
  void update_bw(const AckEvent& ev) noexcept {
    const double r = ev.rate.delivery_rate_bytes_per_s;
    if (r <= 0) return;
    if (ev.rate.app_limited && r < bw()) return;
    // The window slides only when a sample is fed (as Linux's minmax filter): an
    // idle or app-limited stretch keeps the last estimate instead of decaying to
    // the keepalive rate.
    if (round_ != last_fed_round_) {
      const std::uint64_t steps = std::min<std::uint64_t>(round_ - last_fed_round_, kBwWindowRounds);
      for (std::uint64_t i = 1; i <= steps; ++i) bw_rounds_[(last_fed_round_ + i) % kBwWindowRounds] = 0;
      last_fed_round_ = round_;
    }
    double& slot = bw_rounds_[round_ % kBwWindowRounds];
    slot = std::max(slot, r);
  }
  void update_min_rtt(const AckEvent& ev) noexcept {
    if (ev.latest_rtt <= Duration{0}) return;
    if (!has_min_rtt_ || ev.latest_rtt <= min_rtt_ || ev.now - min_rtt_stamp_ > kMinRttWindow) {
      // On expiry the estimate restarts from the current window's samples.
      min_rtt_ = ev.latest_rtt;
      min_rtt_stamp_ = ev.now;
      has_min_rtt_ = true;
    }
  }
  // BBRv2's STARTUP exit on loss, with a threshold far above random loss: when
  // STARTUP overflows a bottleneck buffer, a round loses a large share of its packets
  // at once (tail drop). Random loss (5 % in the benchmark) never gets near it, so it
  // still cannot end STARTUP early and starve the connection.
  void check_startup_loss() noexcept {
    if (filled_pipe_) return;
    const std::uint64_t total = round_acked_ + round_lost_;
    if (round_lost_ >= kStartupLossMinPackets * mss_ &&
        static_cast<double>(round_lost_) > kStartupLossRatio * static_cast<double>(total)) {
      filled_pipe_ = true;
    }
  }
  void check_full_pipe(const AckEvent& ev) noexcept {
    if (filled_pipe_ || !round_start_ || ev.rate.app_limited) return;
    if (bw() >= full_bw_ * kFullBwGrowth) {
      full_bw_ = bw();
      full_bw_count_ = 0;
      return;
    }
    if (++full_bw_count_ >= kFullBwRounds) filled_pipe_ = true;
  }
  void update_mode(const AckEvent& ev) noexcept {
    if (mode_ == Mode::startup && filled_pipe_) {
      mode_ = Mode::drain;
      pacing_gain_ = kDrainGain;
      cwnd_gain_ = kHighGain;
    }
    if (mode_ == Mode::drain && static_cast<double>(ev.bytes_in_flight) <= bdp_bytes()) {
      mode_ = Mode::probe_bw;
      cwnd_gain_ = kCwndGain;
      // Any phase but the draining one (index 1), as in BBR.
      cycle_index_ = static_cast<std::size_t>(rng_.below(kProbeBwGains.size() - 1));
      if (cycle_index_ >= 1) ++cycle_index_;
      cycle_stamp_ = ev.now;
      pacing_gain_ = kProbeBwGains[cycle_index_];
    }
    if (mode_ == Mode::probe_bw) advance_cycle(ev);
  }
  void advance_cycle(const AckEvent& ev) noexcept {
    const bool elapsed = ev.now - cycle_stamp_ > min_rtt_;
    bool next = elapsed;
    if (pacing_gain_ > 1) next = elapsed && static_cast<double>(ev.rate.prior_in_flight) >= pacing_gain_ * bdp_bytes();
    if (pacing_gain_ < 1) next = elapsed || static_cast<double>(ev.bytes_in_flight) <= bdp_bytes();
    // Never stay probing up forever on an app- or window-limited flow.
    if (pacing_gain_ > 1 && ev.now - cycle_stamp_ > min_rtt_ * 4) next = true;
    if (!next) return;
    cycle_index_ = (cycle_index_ + 1) % kProbeBwGains.size();
    cycle_stamp_ = ev.now;
    pacing_gain_ = kProbeBwGains[cycle_index_];
  }
  void update_pacing_rate() noexcept {
    if (pacing_rate_ <= 0) pacing_rate_ = initial_pacing_rate();
    if (bw() <= 0) return;
    const double rate = pacing_gain_ * bw();
    if (filled_pipe_ || rate > pacing_rate_) pacing_rate_ = rate;
  }
  void update_cwnd(const AckEvent& ev) noexcept {
    const double target = cwnd_gain_ * window_bdp_bytes() + static_cast<double>(kAckAggregationPackets * mss_);
    const auto target_bytes = static_cast<std::uint64_t>(target);
    if (filled_pipe_) {
      cwnd_ = std::min(cwnd_ + ev.bytes_acked, target_bytes);
    } else if (cwnd_ < target_bytes || ev.delivered < kInitialCwndPackets * mss_) {
      cwnd_ += ev.bytes_acked;
    }
    cwnd_ = std::max(cwnd_, kMinCwndPackets * mss_);
  }

  std::size_t mss_;
  Rng rng_;
  Mode mode_ = Mode::startup;
  double pacing_gain_ = kHighGain;
  double cwnd_gain_ = kHighGain;
  std::array<double, kBwWindowRounds> bw_rounds_{};
  std::uint64_t round_ = 0;
  std::uint64_t last_fed_round_ = 0;
  std::uint64_t next_round_delivered_ = 0;
  bool round_start_ = false;
  double full_bw_ = 0;
  int full_bw_count_ = 0;
  bool filled_pipe_ = false;
  std::uint64_t round_acked_ = 0;  // bytes acked / lost in the current round
  std::uint64_t round_lost_ = 0;
  Duration min_rtt_{0};
  Instant min_rtt_stamp_{};
  bool has_min_rtt_ = false;
  Duration initial_rtt_ = ms(100);
  std::size_t cycle_index_ = 0;
  Instant cycle_stamp_{};
  std::uint64_t cwnd_ = 0;
  double pacing_rate_ = 0;
};

}  // namespace

std::unique_ptr<CongestionController> make_bbr(std::size_t datagram_size, std::uint64_t seed) {
  return std::make_unique<Bbr>(datagram_size, seed);
}

}  // namespace kettle::transport
