// The I/O side of P2P sessions: turns the API's session records (shared.hpp) into transport
// connections between players — signaling through kettle-server, punching, the initiator's
// connect to the first candidate that answers, relay fallback — and turns what arrives back
// into readable packets, session states and callbacks. docs/protocol.md §13-14 is the wire
// contract; ../shared/spec/p2p-api.md §2 the behaviour.
//
// Runs on the client's I/O thread only, inside ServerSession::step. It shares the client's one
// UDP socket and transport endpoint with the server connection (so the reflexive address the
// server saw is the one peers must use), and takes every connection that is not the server's.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/address.hpp"
#include "core/bytes.hpp"
#include "core/steam_id.hpp"
#include "core/time.hpp"
#include "net/transport_driver.hpp"
#include "p2p/shared.hpp"
#include "p2p/signal.hpp"
#include "transport/endpoint.hpp"

namespace kettle::p2p {

struct Timing {
  Duration connect_timeout = secs(20);  // p2p_connect_timeout
  Duration pending_hold = secs(20);     // p2p_pending_hold
  Duration direct_timeout = secs(3);    // no direct path by then → relay (if allowed)
  Duration punch_interval = ms(250);
  Duration upgrade_probe_interval = secs(1);  // punches while relayed: a direct path may open later
  Duration offer_retry = secs(2);             // OFFER again while the peer has not answered
  Duration request_name_wait = secs(2);       // hold a request this long for the requester's name
  bool precise_errors = false;                // spec §5 precise_session_errors
  bool relay_only = false;                    // never go direct (hides this player's address from peers)
};

// What the manager needs from its owner (the ServerSession).
class Host {
 public:
  virtual ~Host() = default;
  virtual transport::Endpoint& endpoint() = 0;
  virtual void send_raw(Bytes datagram, const Address& to) = 0;
  // Through the server (control SendSignal); false if not logged on.
  virtual bool send_signal(SteamID to, std::vector<std::uint8_t> payload, Instant now) = 0;
  // Control AllocateRelay; the answer comes back as on_relay_allocated / on_relay_failed.
  virtual bool request_relay(SteamID peer, Instant now) = 0;
  // Persona cache: true if the name is known; otherwise starts a fetch.
  virtual bool persona_known(SteamID id) = 0;
  virtual void post_session_request(SteamID from) = 0;
  virtual void post_connect_fail(SteamID remote, int error) = 0;
};

struct RelayGrant {
  std::uint64_t allocation = 0;
  std::array<std::uint8_t, 16> token{};
  Address relay;  // server IP, relay port
  SteamID peer;
};

class SessionManager final : public net::DatagramTap {
 public:
  SessionManager(Shared& shared, Host& host, Timing timing);
  ~SessionManager() override;

  // Login facts: own id and app, the reflexive address the server saw, the local socket.
  void on_logged_on(SteamID self, std::uint32_t app_id, const Address& reflexive, const Address& local_socket);

  // Transport events/messages for connections that are not the server's.
  void on_connected(const transport::Connected& c, Instant now);
  void on_closed(const transport::Closed& c, Instant now);
  void on_message(transport::Message& m, Instant now);
  void on_message_locked(transport::Message& m, Instant now);
  bool owns(transport::ConnectionId conn) const { return by_conn_.contains(conn); }

  // Signaling through the server.
  void on_signal(SteamID from, Bytes payload, Instant now);
  // The server refused to pass a signal on: the peer is not online in this app. It says why
  // only if its policy allows (docs/protocol.md §14.5).
  enum class SignalFailure { unknown, not_logged_on, not_running_app };
  void on_signal_failed(SteamID to, SignalFailure why, Instant now);
  void on_relay_allocated(const RelayGrant& grant, Instant now);
  void on_relay_offer(const RelayGrant& grant, Instant now);
  void on_relay_failed(SteamID peer, Instant now);

  // API changes (dirty sessions), timers, outbound data. Call after every batch of input.
  void tick(Instant now);
  Instant next_deadline() const;

  // Closes every P2P connection (Shutdown: peers see remote close).
  void close_all(Instant now);

  // net::DatagramTap
  bool on_receive(Bytes datagram, const Address& from, Instant now, Bytes& inner, Address& inner_from) override;
  bool is_virtual(const Address& to) const override;
  std::size_t wrap_header(const Address& to, MutBytes header, Address& real_to) override;

 private:
  struct Path;
  Path& path_for(SteamID peer, Instant now);
  void start_path(SteamID peer, Path& p, Instant now);
  void send_offer(SteamID peer, Path& p, SignalKind kind, Instant now);
  void learn_candidates(SteamID peer, Path& p, const Signal& s, Instant now);
  void punch(Path& p, Instant now);
  void try_connect(SteamID peer, Path& p, const Address& to, bool relayed, Instant now);
  void path_up(SteamID peer, Path& p, transport::ConnectionId conn, const Address& addr, Instant now);
  void upgrade_to_direct(SteamID peer, Path& p, const Address& to, Instant now);
  void follow_path_address(SteamID peer, Path& p, Session& s, const Address& now_at);
  void drop_path(SteamID peer, Instant now, std::uint16_t close_code = 1);
  void flush_out(SteamID peer, Session& s, Instant now);
  void fail(SteamID peer, Session& s, int error, Instant now);
  void activate(SteamID peer, Session& s, Instant now);
  void deliver(SteamID peer, Session& s, int channel, std::vector<std::uint8_t>&& data, bool reliable);
  void apply_read_pause(SteamID peer, Session& s, Instant now);
  void maybe_post_request(SteamID peer, Session& s, Instant now);
  void send_accept(SteamID peer, Instant now);
  void handle_api_closes(Instant now);
  void handle_dirty(Instant now);
  void handle_timers(Instant now);
  std::vector<Address> own_candidates() const;
  Address virtual_address(std::uint64_t allocation) const;
  void send_bind(const RelayGrant& g);
  bool is_initiator(SteamID peer) const { return self_.value() < peer.value(); }

  Shared& shared_;
  Host& host_;
  Timing timing_;
  SteamID self_;
  std::uint32_t app_id_ = 0;
  Address reflexive_;
  Address local_;
  std::unordered_map<SteamID, std::unique_ptr<Path>> paths_;
  std::unordered_map<transport::ConnectionId, SteamID> by_conn_;
  // Connections we closed that are still lingering: data the peer sent before it saw our CLOSE
  // is a new attempt from that peer (spec §2.5 rule 12), not noise.
  std::unordered_map<transport::ConnectionId, SteamID> closing_;
  std::unordered_map<std::uint64_t, SteamID> by_session_id_;
  std::unordered_map<std::uint64_t, SteamID> by_allocation_;
  // Messages polled before their connection's Connected event (the owner drains messages
  // before events), replayed once the peer is known.
  std::unordered_map<transport::ConnectionId, std::vector<transport::Message>> early_;
  // Relayed datagrams for an allocation we do not know yet: the peer's first HELLO can beat the
  // server's RelayOffer to us. Held briefly (at most 16, 2 s) and replayed when it comes.
  struct EarlyRelay {
    std::uint64_t allocation = 0;
    Address from;
    Instant at{};
    std::vector<std::uint8_t> payload;
  };
  std::vector<EarlyRelay> early_relay_;
  void replay_early_relay(const RelayGrant& grant, Instant now);
  std::vector<SteamID> requests_waiting_;  // request callbacks held for the requester's name
};

}  // namespace kettle::p2p
