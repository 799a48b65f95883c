// kettle-agent's loop (docs/protocol.md §16). Why one thread and nested serving: GodotSteam
// handlers may call the API while a callback is being delivered, and a handler must see the
// state exactly as a C++ handler would. So while the client's RunCallbacks() sits inside one
// callback, the agent keeps serving the game's calls until the game says the signal is done.
#include "agent/agent.hpp"

#include <poll.h>
#include <sodium.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>

#include "core/log.hpp"

namespace kettle::agent {
namespace {

using godot::Array;
using godot::Variant;
using Clock = std::chrono::steady_clock;

constexpr std::uint64_t kMaxUnconsumed = 8u << 20;  // spec §2.7's unread cap, on the game's side
constexpr std::size_t kMaxUdpPacket = 1200;         // unreliable payload limit (spec §0.7)

std::shared_ptr<spdlog::logger> log() { return logger("agent"); }

std::optional<std::int64_t> int_at(const Array& a, std::size_t i) {
  if (i >= a.size()) return std::nullopt;
  if (const auto* v = a[i].as_int()) return *v;
  return std::nullopt;
}

int ms_until(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left) + 1;
}

}  // namespace

Agent::Agent(AgentOptions options) : options_(std::move(options)) {}

Agent::~Agent() {
  // The client (inside api_) may still call the packet listener: detach it before event_fd_ goes.
  if (api_ && api_->client() != nullptr) api_->client()->SetP2PPacketListener({});
}

Status Agent::start() {
  if (sodium_init() < 0) return make_error(Errc::internal, "libsodium failed to initialise");
  randombytes_buf(token_.data(), token_.size());
  auto l = listen_loopback_tcp(&tcp_port_);
  if (!l) return std::move(l).error();
  listener_ = std::move(*l);
  auto u = bind_loopback_udp(&udp_port_);
  if (!u) return std::move(u).error();
  Tag tag{};
  randombytes_buf(tag.data(), tag.size());
  udp_.emplace(std::move(*u), tag);
  event_fd_ = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!event_fd_) return make_error(Errc::io, std::string("eventfd: ") + std::strerror(errno));
  if (!options_.handshake_file.empty()) {
    if (auto s = write_handshake_file(options_.handshake_file, tcp_port_, udp_port_, token_); !s) return s;
  }
  return {};
}

// Accepts connections until one sends the right hello; wrong ones are closed and forgotten.
bool Agent::wait_for_game() {
  struct Candidate {
    Stream stream;
    Clock::time_point deadline;
  };
  std::vector<Candidate> candidates;
  const auto give_up =
      Clock::now() + std::chrono::milliseconds(static_cast<int>(options_.game_connect_timeout_s * 1000));
  while (Clock::now() < give_up) {
    std::vector<pollfd> fds{{listener_.get(), POLLIN, 0}};
    Clock::time_point next = give_up;
    for (auto& c : candidates) {
      fds.push_back({c.stream.fd(), POLLIN, 0});
      next = std::min(next, c.deadline);
    }
    ::poll(fds.data(), fds.size(), ms_until(next));
    if (fds[0].revents & POLLIN) {
      for (;;) {
        int fd = ::accept4(listener_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;
        if (candidates.size() >= 8) {  // someone is flooding the port; the oldest waits longest
          candidates.erase(candidates.begin());
        }
        const auto hello_deadline =
            Clock::now() + std::chrono::milliseconds(static_cast<int>(options_.hello_timeout_s * 1000));
        candidates.push_back({Stream(Fd(fd)), hello_deadline});
      }
    }
    const auto now = Clock::now();
    for (auto it = candidates.begin(); it != candidates.end();) {
      it->stream.read_available();
      auto raw = it->stream.take_raw(kHelloBytes);
      if (raw) {
        if (auto hello = check_hello(*raw, token_)) {
          dialect_ = hello->dialect == 4 ? godot::Dialect::godot4 : godot::Dialect::godot3;
          game_.emplace(std::move(it->stream));
          listener_ = Fd();  // one game per agent
          return true;
        }
        log()->warn("a local connection sent a wrong hello; closed");
        it = candidates.erase(it);
      } else if (it->stream.closed() || now >= it->deadline) {
        it = candidates.erase(it);
      } else {
        ++it;
      }
    }
  }
  return false;
}

int Agent::run() {
  if (!wait_for_game()) {
    log()->error("no game connected within {} s", options_.game_connect_timeout_s);
    return 1;
  }
  api_ = std::make_unique<SteamApi>(options_.config, [this](std::string_view s, Array a) { emit(s, std::move(a)); });
  api_->on_client_ready([this](Client& c) {
    const int efd = event_fd_.get();
    c.SetP2PPacketListener([efd] {
      const std::uint64_t one = 1;
      [[maybe_unused]] auto n = ::write(efd, &one, sizeof one);
    });
  });
  std::vector<std::uint8_t> tag(udp_->tag().begin(), udp_->tag().end());
  send(kWelcome, Array{Variant::bytes(std::move(tag)), Variant::string(KETTLE_AGENT_VERSION)}, false);
  serve_until([] { return false; });
  if (!protocol_error_.empty()) log()->error("{}", protocol_error_);
  if (api_ && api_->client() != nullptr) api_->client()->SetP2PPacketListener({});
  api_.reset();  // Shutdown: leaves lobbies, closes sessions
  return protocol_error_.empty() ? 0 : 3;
}

bool Agent::game_gone() const { return !game_ || game_->closed() || !protocol_error_.empty(); }

void Agent::serve_until(const std::function<bool()>& done) {
  while (!game_gone() && !done()) {
    if (auto msg = in_order_.next()) {
      handle(*msg);
      continue;
    }
    poll_once(-1);
  }
}

void Agent::poll_once(int timeout_ms) {
  pollfd fds[3] = {{game_->fd(), static_cast<short>(POLLIN | (game_->wants_write() ? POLLOUT : 0)), 0},
                   {udp_->fd(), POLLIN, 0},
                   {event_fd_.get(), POLLIN, 0}};
  const int n = ::poll(fds, 3, timeout_ms);
  if (n < 0) return;
  if (fds[0].revents & POLLOUT) game_->flush();
  if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
    game_->read_available();
    take_frames();
  }
  // Always, not only on POLLIN: a datagram sent before a TCP message just read may have landed
  // after poll() returned, and the reorder rule would otherwise give it up as lost.
  take_datagrams();
  // Packets become readable only behind this wake-up, or inside a CALL or CONSUMED, which push
  // for themselves; so the 256 queues are scanned only when it fired.
  if (fds[2].revents & POLLIN) {
    std::uint64_t count = 0;
    [[maybe_unused]] auto r = ::read(event_fd_.get(), &count, sizeof count);
    push_packets();
  }
}

void Agent::take_frames() {
  while (game_ && !game_->closed()) {
    auto frame = game_->next_frame();
    if (!frame) return;
    auto v = godot::decode(*frame, dialect_);
    const Array* a = v ? v->as_array() : nullptr;
    const auto seq = a ? int_at(*a, 1) : std::nullopt;
    const auto before = a ? int_at(*a, 2) : std::nullopt;
    if (!seq || !before || *seq < 0 || *before < 0 ||
        !in_order_.add(static_cast<std::uint64_t>(*seq), static_cast<std::uint64_t>(*before), true, *a)) {
      protocol_error_ = "the game sent a malformed message on TCP (" +
                        (v ? std::string("bad header") : v.error().message) + "); closing";
      return;
    }
  }
}

void Agent::take_datagrams() {
  while (auto body = udp_->receive()) {
    auto v = godot::decode(*body, dialect_);
    const Array* a = v ? v->as_array() : nullptr;
    const auto seq = a ? int_at(*a, 1) : std::nullopt;
    const auto before = a ? int_at(*a, 2) : std::nullopt;
    if (!seq || !before || *seq < 0 || *before < 0) continue;  // a datagram may be garbage: drop it
    in_order_.add(static_cast<std::uint64_t>(*seq), static_cast<std::uint64_t>(*before), false, *a);
  }
}

void Agent::handle(const Array& msg) {
  switch (int_at(msg, 0).value_or(0)) {
    case kCall:
      return on_call(msg);
    case kSend:
      if (msg.size() >= 7 && api_) {
        Array args(msg.begin() + 3, msg.begin() + 7);  // steam_id, data, send_type, channel
        auto r = api_->call("sendP2PPacket", args);
        if (!r.error.empty()) log()->debug("unreliable send refused: {}", r.error);
      }
      return;
    case kCallbackDone:
      callback_done_ = true;
      return;
    case kConsumed:
      if (auto n = int_at(msg, 3); n && *n >= 0) {
        consumed_bytes_ = std::max(consumed_bytes_, static_cast<std::uint64_t>(*n));
      }
      push_packets();  // packets left in the client for want of room may go now
      return;
    case kUdpHello:
    default:
      return;
  }
}

void Agent::on_call(const Array& msg) {
  const std::string* name = msg.size() > 3 ? msg[3].as_string() : nullptr;
  const Array* args = msg.size() > 4 ? msg[4].as_array() : nullptr;
  CallResult r;
  if (name == nullptr || args == nullptr) {
    r.error = "kettle-agent: a CALL needs a function name and an argument array";
  } else if (*name == "run_callbacks") {
    run_callbacks();
  } else {
    r = api_->call(*name, *args);
  }
  push_packets();  // what this call made readable reaches the game before the reply
  send(kReply, Array{std::move(r.value), Variant::string(std::move(r.error))}, false);
}

void Agent::run_callbacks() {
  if (in_callbacks_ || api_->client() == nullptr) return;  // nested: returns at once (spec §0.5 rule 3)
  in_callbacks_ = true;
  api_->client()->RunCallbacks();
  in_callbacks_ = false;
}

void Agent::emit(std::string_view signal, Array args) {
  if (game_gone()) return;
  push_packets();
  send(kCallback, Array{Variant::string(std::string(signal)), Variant::array(std::move(args))}, false);
  callback_done_ = false;
  serve_until([this] { return callback_done_; });
}

void Agent::push_packets() {
  Client* c = api_ ? api_->client() : nullptr;
  if (c == nullptr || game_gone()) return;
  P2PPacketInfo info;
  while (pushed_bytes_ - std::min(pushed_bytes_, consumed_bytes_) < kMaxUnconsumed &&
         c->networking().ReadNextP2PPacket(packet_buf_, &info)) {
    pushed_bytes_ += packet_buf_.size();
    const bool udp = !info.reliable && packet_buf_.size() <= kMaxUdpPacket;
    send(kPacket,
         Array{Variant::integer(static_cast<std::int64_t>(info.remote.ConvertToUint64())),
               Variant::integer(info.channel), Variant::bytes(std::move(packet_buf_))},
         udp);
    packet_buf_.clear();
  }
}

void Agent::send(int kind, Array payload, bool may_use_udp) {
  if (!game_ || game_->closed()) return;
  Array msg{Variant::integer(kind), Variant::integer(static_cast<std::int64_t>(out_seq_)),
            Variant::integer(static_cast<std::int64_t>(out_tcp_))};
  for (auto& p : payload) msg.push_back(std::move(p));
  auto bytes = godot::encode(Variant::array(std::move(msg)), dialect_);
  if (!bytes) {
    protocol_error_ = "kettle-agent could not encode a message: " + bytes.error().message;
    return;
  }
  ++out_seq_;
  // A datagram the kernel refuses (game's socket full, address not learned yet) goes by TCP.
  if (may_use_udp && bytes->size() + kTagBytes <= kMaxDatagram && udp_->send(*bytes)) return;
  ++out_tcp_;
  game_->send_frame(*bytes);
}

}  // namespace kettle::agent
