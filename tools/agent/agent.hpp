// kettle-agent: serves one Godot game over loopback (docs/protocol.md §16). One thread: a
// poll() loop over the listener, the game's TCP stream, the UDP socket and an eventfd the
// client's packet listener writes. The client's own I/O thread does the networking.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/ipc.hpp"
#include "agent/reorder.hpp"
#include "agent/steam_api.hpp"
#include "godot/variant.hpp"

namespace kettle::agent {

struct AgentOptions {
  std::string handshake_file;
  AgentConfig config;
  double game_connect_timeout_s = 30;  // no game by then: exit 1
  double hello_timeout_s = 5;          // a connection must send its hello this fast
};

// Message kinds (docs/protocol.md §16.3).
enum GameKind : int { kCall = 1, kSend = 2, kCallbackDone = 3, kUdpHello = 4, kConsumed = 5 };
enum AgentKind : int { kReply = 1, kPacket = 2, kCallback = 3, kWelcome = 4 };

class Agent {
 public:
  explicit Agent(AgentOptions options);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // Binds the sockets and writes the handshake file.
  Status start();
  // Waits for the game, serves it until it goes; the process exit code.
  int run();

  // Test hooks: the token and ports start() chose.
  const Token& token() const noexcept { return token_; }
  std::uint16_t tcp_port() const noexcept { return tcp_port_; }
  std::uint16_t udp_port() const noexcept { return udp_port_; }

 private:
  struct Incoming {
    godot::Array fields;  // [kind, seq, tcp_before, ...]
  };

  bool wait_for_game();
  // One poll round (timeout in ms, -1 = until something happens): reads sockets, queues
  // messages, pushes packets. Handling happens in serve_until.
  void poll_once(int timeout_ms);
  // Handles messages in order until `done` or the game is gone.
  void serve_until(const std::function<bool()>& done);
  void handle(const godot::Array& msg);
  void on_call(const godot::Array& msg);
  void run_callbacks();
  void emit(std::string_view signal, godot::Array args);
  void push_packets();
  void send(int kind, godot::Array payload, bool may_use_udp);
  void take_frames();
  void take_datagrams();
  bool game_gone() const;

  AgentOptions options_;
  Token token_{};
  std::uint16_t tcp_port_ = 0;
  std::uint16_t udp_port_ = 0;
  Fd listener_;
  Fd event_fd_;
  std::optional<Stream> game_;
  std::optional<Datagrams> udp_;
  godot::Dialect dialect_ = godot::Dialect::godot3;
  std::unique_ptr<SteamApi> api_;

  Reorder<godot::Array> in_order_;
  std::uint64_t out_seq_ = 0;
  std::uint64_t out_tcp_ = 0;
  bool in_callbacks_ = false;
  bool callback_done_ = false;
  std::uint64_t pushed_bytes_ = 0;
  std::uint64_t consumed_bytes_ = 0;
  std::vector<std::uint8_t> packet_buf_;
  std::string protocol_error_;
};

}  // namespace kettle::agent
