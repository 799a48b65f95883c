#include "net/link_settings.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <span>

#include "core/rng.hpp"  // u128

namespace kettle::net {
namespace {

enum class Kind { percent, duration, rate, bytes };

// One row per option. Values are in the kind's base unit: percent, microseconds, bytes/s, bytes.
struct Option {
  std::string_view name;
  Kind kind;
  double min, max;
  double (*get)(const LinkSettings&);
  void (*set)(LinkSettings&, double);
  std::string_view why;
};

double us_of(Duration d) { return static_cast<double>(to_us(d)); }
Duration dur(double v) { return Duration(static_cast<std::int64_t>(std::llround(v))); }
std::uint64_t u64(double v) { return static_cast<std::uint64_t>(std::llround(v)); }

constexpr double kMaxDelayUs = 10e6;  // 10 s: longer than any idle timeout we test
constexpr std::array<Option, 10> kOptions{{
    {"loss", Kind::percent, 0, 100, [](const LinkSettings& s) { return s.loss_percent; },
     [](LinkSettings& s, double v) { s.loss_percent = v; }, "independent random loss per datagram"},
    {"latency", Kind::duration, 0, kMaxDelayUs, [](const LinkSettings& s) { return us_of(s.latency); },
     [](LinkSettings& s, double v) { s.latency = dur(v); }, "one-way delay (half the added RTT)"},
    {"jitter", Kind::duration, 0, kMaxDelayUs, [](const LinkSettings& s) { return us_of(s.jitter); },
     [](LinkSettings& s, double v) { s.jitter = dur(v); }, "delay spread around latency; keeps order"},
    {"dup", Kind::percent, 0, 100, [](const LinkSettings& s) { return s.duplicate_percent; },
     [](LinkSettings& s, double v) { s.duplicate_percent = v; }, "chance a datagram arrives twice"},
    {"reorder", Kind::percent, 0, 100, [](const LinkSettings& s) { return s.reorder_percent; },
     [](LinkSettings& s, double v) { s.reorder_percent = v; }, "chance a datagram is held back by reorder_delay"},
    {"reorder_delay", Kind::duration, 0, kMaxDelayUs, [](const LinkSettings& s) { return us_of(s.reorder_delay); },
     [](LinkSettings& s, double v) { s.reorder_delay = dur(v); }, "extra delay of a reordered datagram"},
    {"rate", Kind::rate, 0, 100e9, [](const LinkSettings& s) { return static_cast<double>(s.rate_bytes_per_s); },
     [](LinkSettings& s, double v) { s.rate_bytes_per_s = u64(v); }, "bottleneck bandwidth; 0 = unlimited"},
    {"queue_bytes", Kind::bytes, 0, 1073741824.0,
     [](const LinkSettings& s) { return static_cast<double>(s.queue_bytes); },
     [](LinkSettings& s, double v) { s.queue_bytes = u64(v); },
     "drop-tail queue before the bottleneck; 0 = use queue_delay"},
    {"queue_delay", Kind::duration, 1000, kMaxDelayUs, [](const LinkSettings& s) { return us_of(s.queue_delay); },
     [](LinkSettings& s, double v) { s.queue_delay = dur(v); }, "queue limit as time at `rate` (router buffer)"},
    {"max_pending", Kind::bytes, 65536, 4294967296.0,
     [](const LinkSettings& s) { return static_cast<double>(s.max_pending_bytes); },
     [](LinkSettings& s, double v) { s.max_pending_bytes = u64(v); }, "memory bound on held datagrams"},
}};

struct Unit {
  std::string_view suffix;
  double scale;  // to the base unit
};
constexpr Unit kDurationUnits[] = {{"us", 1}, {"ms", 1e3}, {"s", 1e6}};
constexpr Unit kRateUnits[] = {{"B/s", 1},          {"KB/s", 1e3},        {"MB/s", 1e6},           {"GB/s", 1e9},
                               {"KiB/s", 1024.0},   {"MiB/s", 1048576.0}, {"GiB/s", 1073741824.0}, {"bit/s", 1 / 8.0},
                               {"kbit/s", 1e3 / 8}, {"Mbit/s", 1e6 / 8},  {"Gbit/s", 1e9 / 8},     {"kbps", 1e3 / 8},
                               {"Mbps", 1e6 / 8},   {"Gbps", 1e9 / 8}};
constexpr Unit kByteUnits[] = {{"B", 1},        {"KB", 1e3},        {"MB", 1e6},          {"GB", 1e9},
                               {"KiB", 1024.0}, {"MiB", 1048576.0}, {"GiB", 1073741824.0}};

std::span<const Unit> units_of(Kind k) {
  switch (k) {
    case Kind::duration:
      return kDurationUnits;
    case Kind::rate:
      return kRateUnits;
    case Kind::bytes:
      return kByteUnits;
    case Kind::percent:
      break;
  }
  return {};
}

std::string_view forms_of(Kind k) {
  switch (k) {
    case Kind::percent:
      return "a percentage like 5% or 0.5";
    case Kind::duration:
      return "a duration like 25ms, 500us or 1.5s";
    case Kind::rate:
      return "a rate like 10MB/s, 512KiB/s or 100Mbit/s (0 = unlimited)";
    case Kind::bytes:
      return "a size like 64KB, 1MiB or 1500B";
  }
  return "";
}

std::string format_value(Kind k, double v) {
  switch (k) {
    case Kind::percent:
      return fmt::format("{}%", v);
    case Kind::duration: {
      const auto u = static_cast<std::int64_t>(v);
      if (u != 0 && u % 1000000 == 0) return fmt::format("{}s", u / 1000000);
      if (u % 1000 == 0) return fmt::format("{}ms", u / 1000);
      return fmt::format("{}us", u);
    }
    case Kind::rate:
      return fmt::format("{}B/s", static_cast<std::uint64_t>(v));
    case Kind::bytes:
      return fmt::format("{}B", static_cast<std::uint64_t>(v));
  }
  return "";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string option_list() {
  std::string out;
  for (const auto& o : kOptions) {
    if (!out.empty()) out += ", ";
    out += o.name;
  }
  return out + ", queue";
}

Error range_error(const Option& o, double v) {
  return Error{Errc::invalid_argument,
               fmt::format("conditioner option '{}' must be in [{}, {}] ({}), got {}", o.name,
                           format_value(o.kind, o.min), format_value(o.kind, o.max), o.why, format_value(o.kind, v))};
}

// Parses "<number><unit>" for kind `k`; on success `out` is in the base unit.
bool parse_value(Kind k, std::string_view text, double& out) {
  double num = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, num);
  if (ec != std::errc{} || !std::isfinite(num) || num < 0) return false;
  const std::string_view suffix = trim(std::string_view(p, static_cast<std::size_t>(end - p)));
  if (k == Kind::percent) {
    if (!suffix.empty() && suffix != "%") return false;
    out = num;
    return true;
  }
  if (suffix.empty()) {  // a bare number is only unambiguous when it is zero
    out = 0;
    return num == 0;
  }
  for (const Unit& u : units_of(k)) {
    if (u.suffix == suffix) {
      out = num * u.scale;
      return true;
    }
  }
  return false;
}

const Option* find_option(std::string_view name) {
  for (const auto& o : kOptions)
    if (o.name == name) return &o;
  return nullptr;
}

}  // namespace

Status LinkSettings::validate() const {
  for (const auto& o : kOptions) {
    const double v = o.get(*this);
    if (!(v >= o.min && v <= o.max)) return range_error(o, v);
  }
  if (rate_bytes_per_s > 0 && effective_queue_bytes() == 0)
    return Error{Errc::invalid_argument, fmt::format("conditioner queue_delay {} at rate {} holds less than one byte",
                                                     format_value(Kind::duration, us_of(queue_delay)),
                                                     format_value(Kind::rate, static_cast<double>(rate_bytes_per_s)))};
  return {};
}

std::uint64_t LinkSettings::effective_queue_bytes() const noexcept {
  if (rate_bytes_per_s == 0) return 0;
  if (queue_bytes != 0) return queue_bytes;
  return static_cast<std::uint64_t>(static_cast<u128>(rate_bytes_per_s) *
                                    static_cast<std::uint64_t>(to_us(queue_delay)) / 1000000);
}

bool LinkSettings::is_passthrough() const noexcept {
  return loss_percent == 0 && latency == Duration::zero() && jitter == Duration::zero() && duplicate_percent == 0 &&
         reorder_percent == 0 && rate_bytes_per_s == 0;
}

Result<LinkSettings> LinkSettings::parse(std::string_view spec) {
  LinkSettings s;
  spec = trim(spec);
  if (spec.empty() || spec == "none") return s;
  while (!spec.empty()) {
    const auto comma = spec.find(',');
    const std::string_view item = trim(spec.substr(0, comma));
    spec = comma == std::string_view::npos ? std::string_view{} : spec.substr(comma + 1);
    const auto eq = item.find('=');
    if (eq == std::string_view::npos)
      return Error{Errc::invalid_argument, fmt::format("conditioner spec: expected key=value, got '{}'", item)};
    const std::string_view key = trim(item.substr(0, eq));
    const std::string_view value = trim(item.substr(eq + 1));
    const Option* o = find_option(key);
    if (key == "queue") {  // bytes or a duration, told apart by the unit
      double v = 0;
      if (parse_value(Kind::bytes, value, v) && v > 0) {
        o = find_option("queue_bytes");
      } else if (parse_value(Kind::duration, value, v)) {
        o = find_option("queue_delay");
        s.queue_bytes = 0;
      } else {
        return Error{Errc::invalid_argument, fmt::format("conditioner option 'queue': expected {} or {}, got '{}'",
                                                         forms_of(Kind::bytes), forms_of(Kind::duration), value)};
      }
    }
    if (o == nullptr)
      return Error{Errc::invalid_argument,
                   fmt::format("conditioner: unknown option '{}' (options: {})", key, option_list())};
    double v = 0;
    if (!parse_value(o->kind, value, v))
      return Error{Errc::invalid_argument,
                   fmt::format("conditioner option '{}': expected {}, got '{}'", o->name, forms_of(o->kind), value)};
    if (!(v >= o->min && v <= o->max)) return range_error(*o, v);
    o->set(s, v);
  }
  KETTLE_TRY(s.validate());
  return s;
}

std::string LinkSettings::to_string() const {
  const LinkSettings defaults;
  std::string out;
  for (const auto& o : kOptions) {
    const double v = o.get(*this);
    if (v == o.get(defaults)) continue;
    if (!out.empty()) out += ',';
    out += fmt::format("{}={}", o.name, format_value(o.kind, v));
  }
  return out.empty() ? "none" : out;
}

}  // namespace kettle::net
