// The I/O-thread side of lobbies: sends what the Matchmaking API queued, turns the server's
// replies and notifications (docs/protocol.md §15) into callbacks that apply their change to
// LobbyShared as they are delivered, and runs the request timeouts of spec §0.4
// (lobby_join_timeout, lobby_list_timeout, and the same bound for create).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>

#include "client/callback_queue.hpp"
#include "client/lobby_shared.hpp"
#include "control/messages.hpp"
#include "core/time.hpp"

namespace kettle::client {

struct LobbyTiming {
  Duration join_timeout = secs(10);
  Duration list_timeout = secs(20);
  Duration data_batch = ms(100);
};

class LobbyIo {
 public:
  // send: queues a control request on the server connection and returns its request id (0:
  // not sent, e.g. not logged on).
  using Send = std::function<std::uint32_t(control::Body)>;
  LobbyIo(LobbyShared& shared, CallbackQueue& callbacks, LobbyTiming timing)
      : shared_(shared), callbacks_(callbacks), timing_(timing) {}

  // Logged on: sends the outbox and due data batches.
  void flush(const Send& send, Instant now);
  // A reply to a request this object sent; false if the id is not one of ours.
  bool on_reply(std::uint32_t request_id, const control::Body& body);
  // A lobby notification; false if the body is not one.
  bool on_notification(const control::Body& body);
  void on_timers(Instant now);
  Instant next_timer() const;
  // The server connection was lost: requests in flight fail (join → error 5, list → io
  // failure, create → 3) and, as the server forgot this user's lobbies, each joined lobby gets
  // LobbyKicked_t (due to disconnect) once logged on again (on_logged_on).
  void on_connection_lost();
  void on_logged_on();

 private:
  enum class Kind { create, join, list, data, other };
  struct InFlight {
    Kind kind = Kind::other;
    SteamID lobby;
    Instant deadline = kInstantNever;
  };
  void on_entered(const InFlight& f, const control::LobbyEntered& e);
  void fail(const InFlight& f);

  LobbyShared& shared_;
  CallbackQueue& callbacks_;
  LobbyTiming timing_;
  std::unordered_map<std::uint32_t, InFlight> in_flight_;
  std::uint32_t list_request_ = 0;  // the one RequestLobbyList whose answer counts
  bool kick_on_logon_ = false;
};

}  // namespace kettle::client
