// kettle::Networking between real clients through an in-process kettle-server on loopback:
// the session lifecycle of spec p2p-api.md §2.5, channels, sizes, bad input (§2.6).
#include <gtest/gtest.h>

#include <atomic>
#include <numeric>
#include <vector>

#include "client_test_util.hpp"
#include "kettle/client.hpp"

namespace kettle::testing {
namespace {

struct Pair {
  std::unique_ptr<EmbeddedServer> server = start_server();
  std::unique_ptr<Client> alice;
  std::unique_ptr<Client> bob;
  std::vector<SteamID> bob_requests;
  std::vector<SteamID> alice_requests;
  std::vector<P2PSessionConnectFail_t> alice_fails;
  std::string name_seen_in_request;

  explicit Pair(double connect_timeout_s = 20, double hold_s = 20) {
    auto ca = config_for(*server, "alice");
    auto cb = config_for(*server, "bob");
    ca.p2p_connect_timeout_s = cb.p2p_connect_timeout_s = connect_timeout_s;
    ca.p2p_pending_hold_s = cb.p2p_pending_hold_s = hold_s;
    alice = logged_in(ca);
    bob = logged_in(cb);
    bob->On<P2PSessionRequest_t>([this](const P2PSessionRequest_t& r) {
      bob_requests.push_back(r.m_steamIDRemote);
      name_seen_in_request = bob->GetFriendPersonaName(r.m_steamIDRemote);
    });
    alice->On<P2PSessionRequest_t>(
        [this](const P2PSessionRequest_t& r) { alice_requests.push_back(r.m_steamIDRemote); });
    alice->On<P2PSessionConnectFail_t>([this](const P2PSessionConnectFail_t& f) { alice_fails.push_back(f); });
  }
  bool run(const std::function<bool()>& cond, std::chrono::milliseconds t = std::chrono::seconds(10)) {
    return run_until({alice.get(), bob.get()}, cond, t);
  }
};

TEST(Networking, FirstSendRaisesRequestAndDataWaitsForAccept) {
  Pair p;
  const SteamID alice = p.alice->GetSteamID(), bob = p.bob->GetSteamID();
  const auto hello = pattern(100, 1);
  ASSERT_TRUE(p.alice->networking().SendP2PPacket(bob, hello.data(), 100, k_EP2PSendReliable, 3));

  ASSERT_TRUE(p.run([&] { return !p.bob_requests.empty(); })) << "no P2PSessionRequest_t";
  EXPECT_EQ(p.bob_requests, std::vector<SteamID>{alice});
  EXPECT_EQ(p.name_seen_in_request, "alice") << "the requester's name is cached before the request";
  uint32 size = 0;
  EXPECT_FALSE(p.bob->networking().IsP2PPacketAvailable(&size, 3)) << "unaccepted data must not be readable";
  P2PSessionState_t st;
  EXPECT_FALSE(p.bob->networking().GetP2PSessionState(alice, &st)) << "pending incoming reports no session";
  ASSERT_TRUE(p.alice->networking().GetP2PSessionState(bob, &st));
  EXPECT_EQ(st.m_bConnecting, 1);
  EXPECT_EQ(st.m_bConnectionActive, 0);

  ASSERT_TRUE(p.bob->networking().AcceptP2PSessionWithUser(alice));
  std::vector<std::uint8_t> got;
  SteamID from;
  ASSERT_TRUE(read_one(*p.bob, 3, got, from));
  EXPECT_EQ(got, hello);
  EXPECT_EQ(from, alice);
  EXPECT_FALSE(p.bob->networking().IsP2PPacketAvailable(&size, 0)) << "channels are separate queues";

  // The accept reaches alice's side without any data from bob.
  ASSERT_TRUE(p.run([&] {
    P2PSessionState_t s;
    return p.alice->networking().GetP2PSessionState(bob, &s) && s.m_bConnectionActive == 1;
  }));
  ASSERT_TRUE(p.alice->networking().GetP2PSessionState(bob, &st));
  EXPECT_EQ(st.m_bUsingRelay, 0);
  EXPECT_EQ(st.m_nRemoteIP, 0x7F000001u);
  EXPECT_NE(st.m_nRemotePort, 0);
  EXPECT_EQ(st.m_eP2PSessionError, 0);
  EXPECT_TRUE(p.alice_requests.empty()) << "bob never sent data, so alice gets no request";
}

TEST(Networking, OneMebibyteReliableAndUnreliableBothWays) {
  Pair p;
  const SteamID alice = p.alice->GetSteamID(), bob = p.bob->GetSteamID();
  ASSERT_TRUE(p.bob->networking().AcceptP2PSessionWithUser(alice));  // pre-accept: no request
  const auto big = pattern(k_cbMaxP2PReliable, 7);
  ASSERT_TRUE(
      p.alice->networking().SendP2PPacket(bob, big.data(), static_cast<uint32>(big.size()), k_EP2PSendReliable, 0));
  std::vector<std::uint8_t> got;
  SteamID from;
  ASSERT_TRUE(p.run([&] { return read_one(*p.bob, 0, got, from); }, std::chrono::seconds(20)));
  EXPECT_EQ(got.size(), big.size());
  EXPECT_TRUE(got == big) << "1 MiB must arrive byte-exact";
  EXPECT_TRUE(p.bob_requests.empty()) << "pre-accepted sessions raise no request";

  // Reply with unreliable packets; the session is active on both sides now.
  int received = 0;
  for (int i = 0; i < 200; ++i) {
    auto pkt = pattern(1200, static_cast<std::uint8_t>(i));
    ASSERT_TRUE(p.bob->networking().SendP2PPacket(alice, pkt.data(), 1200, k_EP2PSendUnreliable, 1));
  }
  p.run([&] {
    while (read_one(*p.alice, 1, got, from)) {
      EXPECT_EQ(got.size(), 1200u);
      EXPECT_EQ(from, bob);
      ++received;
    }
    return received == 200;
  });
  EXPECT_GE(received, 190) << "loopback should lose (almost) nothing";
  EXPECT_TRUE(p.alice_requests.empty()) << "alice opted in by sending first";
}

// The bridge extensions (kettle-agent): the listener fires when data becomes readable — at
// accept for held data — and ReadNextP2PPacket hands out every packet with channel and
// reliability, lowest channel first, per-channel order kept.
TEST(Networking, PacketListenerAndReadNextSeeEveryPacket) {
  Pair p;
  const SteamID alice = p.alice->GetSteamID(), bob = p.bob->GetSteamID();
  std::atomic<int> notified{0};
  p.bob->SetP2PPacketListener([&] { notified.fetch_add(1); });
  const auto a = pattern(10, 1), b = pattern(20, 2), c = pattern(30, 3);
  ASSERT_TRUE(p.alice->networking().SendP2PPacket(bob, a.data(), 10, k_EP2PSendReliable, 7));
  ASSERT_TRUE(p.alice->networking().SendP2PPacket(bob, b.data(), 20, k_EP2PSendReliable, 7));
  ASSERT_TRUE(p.run([&] { return !p.bob_requests.empty(); }));
  EXPECT_EQ(notified.load(), 0) << "held data of an unaccepted session is not readable";
  ASSERT_TRUE(p.bob->networking().AcceptP2PSessionWithUser(alice));
  EXPECT_GE(notified.load(), 1) << "accept makes the held data readable and must say so";
  ASSERT_TRUE(p.alice->networking().SendP2PPacket(bob, c.data(), 30, k_EP2PSendUnreliable, 2));
  std::vector<std::pair<P2PPacketInfo, std::vector<uint8>>> got;
  ASSERT_TRUE(p.run([&] {
    std::vector<uint8> out;
    P2PPacketInfo info;
    while (p.bob->networking().ReadNextP2PPacket(out, &info)) got.emplace_back(info, out);
    return got.size() >= 3;
  }));
  ASSERT_EQ(got.size(), 3u);
  // The unreliable packet on channel 2 may arrive before or after the held ones were released.
  std::vector<std::vector<uint8>> on7;
  for (const auto& [info, data] : got) {
    EXPECT_EQ(info.remote, alice);
    if (info.channel == 2) {
      EXPECT_FALSE(info.reliable);
      EXPECT_EQ(data, c);
    } else {
      EXPECT_EQ(info.channel, 7);
      EXPECT_TRUE(info.reliable);
      on7.push_back(data);
    }
  }
  EXPECT_EQ(on7, (std::vector<std::vector<uint8>>{a, b}));
  EXPECT_GE(notified.load(), 2);
  std::vector<uint8> untouched{9};
  EXPECT_FALSE(p.bob->networking().ReadNextP2PPacket(untouched, nullptr));
  EXPECT_EQ(untouched, std::vector<uint8>{9});
  p.bob->SetP2PPacketListener({});
}

TEST(Networking, BothSendFirstNoRequests) {
  Pair p;
  const SteamID alice = p.alice->GetSteamID(), bob = p.bob->GetSteamID();
  const std::uint8_t a = 'a', b = 'b';
  ASSERT_TRUE(p.alice->networking().SendP2PPacket(bob, &a, 1, k_EP2PSendReliable, 0));
  ASSERT_TRUE(p.bob->networking().SendP2PPacket(alice, &b, 1, k_EP2PSendReliable, 0));
  std::vector<std::uint8_t> ga, gb;
  SteamID from;
  bool got_a = false, got_b = false;
  ASSERT_TRUE(p.run([&] {
    got_a = got_a || read_one(*p.alice, 0, ga, from);
    got_b = got_b || read_one(*p.bob, 0, gb, from);
    return got_a && got_b;
  }));
  EXPECT_EQ(ga, std::vector<std::uint8_t>{'b'});
  EXPECT_EQ(gb, std::vector<std::uint8_t>{'a'});
  EXPECT_TRUE(p.alice_requests.empty());
  EXPECT_TRUE(p.bob_requests.empty());
}

TEST(Networking, CloseMakesPeerRemoteClosedAndNextSendRequestsAgain) {
  Pair p;
  const SteamID alice = p.alice->GetSteamID(), bob = p.bob->GetSteamID();
  const std::uint8_t x = 'x';
  ASSERT_TRUE(p.bob->networking().AcceptP2PSessionWithUser(alice));
  ASSERT_TRUE(p.alice->networking().SendP2PPacket(bob, &x, 1, k_EP2PSendReliable, 0));
  std::vector<std::uint8_t> got;
  SteamID from;
  ASSERT_TRUE(p.run([&] { return read_one(*p.bob, 0, got, from); }));
  ASSERT_TRUE(p.run([&] {
    P2PSessionState_t s;
    return p.alice->networking().GetP2PSessionState(bob, &s) && s.m_bConnectionActive == 1;
  }));

  ASSERT_TRUE(p.bob->networking().CloseP2PSessionWithUser(alice));
  EXPECT_FALSE(p.bob->networking().CloseP2PSessionWithUser(alice)) << "no session any more";
  ASSERT_TRUE(p.run([&] {
    P2PSessionState_t s;
    return p.alice->networking().GetP2PSessionState(bob, &s) && s.m_bConnectionActive == 0 && s.m_bConnecting == 0;
  })) << "alice should see remote-closed";
  EXPECT_TRUE(p.alice_fails.empty()) << "a remote close posts no callback";

  // Alice sends again: bob has no record, so he gets a (new) request.
  ASSERT_TRUE(p.alice->networking().SendP2PPacket(bob, &x, 1, k_EP2PSendReliable, 0));
  ASSERT_TRUE(p.run([&] { return !p.bob_requests.empty(); }));
  EXPECT_EQ(p.bob_requests.front(), alice);
}

// Spec §2.5 rules 4 and 14: a request the peer never accepted ends with 4 at the connect
// timeout, even when the peer shuts down (and closes everything) while it is pending. Found by the
// Godot two-instance test: the stranger's attempt used to sit in remote-closed forever.
TEST(Networking, UnacceptedAttemptFailsWithFourWhenThePeerShutsDown) {
  Pair p(/*connect_timeout_s=*/2.0);
  const SteamID bob = p.bob->GetSteamID();
  const std::uint8_t x = 'x';
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(p.alice->networking().SendP2PPacket(bob, &x, 1, k_EP2PSendReliable, 0));
  ASSERT_TRUE(p.run([&] { return !p.bob_requests.empty(); }));
  p.bob->Shutdown();  // bob ignored the request and quits
  ASSERT_TRUE(run_until(
      {p.alice.get()}, [&] { return !p.alice_fails.empty(); }, std::chrono::seconds(6)))
      << "the attempt must fail, not hang";
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(2000)) << "at the timeout, not before";
  EXPECT_EQ(p.alice_fails.front().m_steamIDRemote, bob);
  EXPECT_EQ(p.alice_fails.front().m_eP2PSessionError, k_EP2PSessionErrorTimeout);
}

TEST(Networking, UnknownPeerTimesOutWithErrorFour) {
  Pair p(/*connect_timeout_s=*/1.0);
  const SteamID ghost = SteamID::individual(4000);
  const std::uint8_t x = 1;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(p.alice->networking().SendP2PPacket(ghost, &x, 1, k_EP2PSendReliable, 0)) << "spec §2.6: true";
  ASSERT_TRUE(p.run([&] { return !p.alice_fails.empty(); }, std::chrono::seconds(5)));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, std::chrono::milliseconds(1000)) << "not before the connect timeout";
  EXPECT_EQ(p.alice_fails.front().m_steamIDRemote, ghost);
  EXPECT_EQ(p.alice_fails.front().m_eP2PSessionError, k_EP2PSessionErrorTimeout);
  P2PSessionState_t st;
  ASSERT_TRUE(p.alice->networking().GetP2PSessionState(ghost, &st));
  EXPECT_EQ(st.m_eP2PSessionError, k_EP2PSessionErrorTimeout);
  EXPECT_EQ(st.m_nBytesQueuedForSend, 0) << "queued data is dropped on failure";
}

TEST(Networking, IgnoredRequestExpiresAndSenderTimesOut) {
  Pair p(/*connect_timeout_s=*/1.5, /*hold_s=*/1.0);
  const SteamID alice = p.alice->GetSteamID(), bob = p.bob->GetSteamID();
  const std::uint8_t x = 1;
  ASSERT_TRUE(p.alice->networking().SendP2PPacket(bob, &x, 1, k_EP2PSendReliable, 0));
  ASSERT_TRUE(p.run([&] { return !p.alice_fails.empty(); }, std::chrono::seconds(6)));
  EXPECT_EQ(p.alice_fails.front().m_eP2PSessionError, k_EP2PSessionErrorTimeout);
  EXPECT_EQ(p.bob_requests.size(), 1u) << "one request per hold window";
  // The held data was discarded: accepting now finds nothing to read.
  ASSERT_TRUE(p.bob->networking().AcceptP2PSessionWithUser(alice));
  uint32 size = 0;
  EXPECT_FALSE(p.bob->networking().IsP2PPacketAvailable(&size, 0));
}

TEST(Networking, SmallBufferTruncatesAndConsumes) {
  Pair p;
  const SteamID self = p.alice->GetSteamID();
  const auto data = pattern(50, 3);
  ASSERT_TRUE(p.alice->networking().SendP2PPacket(self, data.data(), 50, k_EP2PSendUnreliable, 9)) << "loopback";
  std::uint8_t buf[20];
  uint32 size = 99;
  SteamID from;
  ASSERT_TRUE(p.alice->networking().ReadP2PPacket(buf, sizeof buf, &size, &from, 9));
  EXPECT_EQ(size, 20u);
  EXPECT_EQ(from, self);
  EXPECT_TRUE(std::equal(buf, buf + 20, data.begin()));
  EXPECT_FALSE(p.alice->networking().IsP2PPacketAvailable(&size, 9)) << "the rest was discarded";
  EXPECT_TRUE(p.bob_requests.empty() && p.alice_requests.empty()) << "loopback posts no request";
}

TEST(Networking, BadInputReturnsTheSpecValuesAndHarmsNothing) {
  Pair p;
  auto& net = p.alice->networking();
  const SteamID bob = p.bob->GetSteamID();
  std::vector<std::uint8_t> big(k_cbMaxP2PReliable + 1, 1);
  const std::uint8_t x = 1;
  // A good packet queued first must survive everything below.
  ASSERT_TRUE(p.bob->networking().AcceptP2PSessionWithUser(p.alice->GetSteamID()));
  ASSERT_TRUE(net.SendP2PPacket(bob, &x, 1, k_EP2PSendReliable, 5));

  EXPECT_FALSE(net.SendP2PPacket(bob, &x, 0, k_EP2PSendReliable, 0)) << "size 0";
  EXPECT_FALSE(net.SendP2PPacket(bob, nullptr, 5, k_EP2PSendReliable, 0)) << "null data";
  EXPECT_FALSE(net.SendP2PPacket(bob, big.data(), 1201, k_EP2PSendUnreliable, 0)) << "unreliable 1201";
  EXPECT_FALSE(net.SendP2PPacket(bob, big.data(), 1201, k_EP2PSendUnreliableNoDelay, 0));
  EXPECT_FALSE(net.SendP2PPacket(bob, big.data(), static_cast<uint32>(big.size()), k_EP2PSendReliable, 0));
  EXPECT_FALSE(net.SendP2PPacket(bob, &x, 1, static_cast<EP2PSend>(4), 0)) << "type 4";
  EXPECT_FALSE(net.SendP2PPacket(bob, &x, 1, static_cast<EP2PSend>(-1), 0));
  EXPECT_FALSE(net.SendP2PPacket(SteamID(), &x, 1, k_EP2PSendReliable, 0)) << "invalid id";
  EXPECT_FALSE(net.SendP2PPacket(SteamID(0x0186000000000001ULL), &x, 1, k_EP2PSendReliable, 0)) << "lobby id";
  EXPECT_FALSE(net.SendP2PPacket(bob, &x, 1, k_EP2PSendReliable, 256)) << "channel 256";
  EXPECT_FALSE(net.SendP2PPacket(bob, &x, 1, k_EP2PSendReliable, -1));
  uint32 size = 7;
  EXPECT_FALSE(net.IsP2PPacketAvailable(&size, 256));
  EXPECT_EQ(size, 0u);
  EXPECT_FALSE(net.IsP2PPacketAvailable(nullptr, 0)) << "null size allowed";
  std::uint8_t buf[4];
  SteamID from;
  EXPECT_FALSE(net.ReadP2PPacket(buf, 4, &size, &from, 0)) << "nothing waiting";
  EXPECT_FALSE(net.ReadP2PPacket(nullptr, 4, &size, &from, 0));
  EXPECT_FALSE(net.ReadP2PPacket(buf, 0, &size, &from, 0));
  EXPECT_FALSE(net.AcceptP2PSessionWithUser(SteamID()));
  EXPECT_FALSE(net.CloseP2PSessionWithUser(SteamID()));
  EXPECT_FALSE(net.CloseP2PSessionWithUser(SteamID::individual(999))) << "no session";
  EXPECT_FALSE(net.CloseP2PChannelWithUser(bob, 300));
  P2PSessionState_t st;
  st.m_bConnecting = 9;
  EXPECT_FALSE(net.GetP2PSessionState(SteamID(), &st));
  EXPECT_EQ(st.m_bConnecting, 0) << "zero-filled";

  // Unaffected: the queued packet still arrives.
  std::vector<std::uint8_t> got;
  ASSERT_TRUE(p.run([&] { return read_one(*p.bob, 5, got, from); }));
  EXPECT_EQ(got, std::vector<std::uint8_t>{1});
}

TEST(Networking, CallsBeforeInitFail) {
  auto c = Client::Create();
  auto& net = c->networking();
  const std::uint8_t x = 1;
  const SteamID someone = SteamID::individual(5);
  EXPECT_FALSE(net.SendP2PPacket(someone, &x, 1, k_EP2PSendReliable, 0));
  uint32 size = 3;
  EXPECT_FALSE(net.IsP2PPacketAvailable(&size, 0));
  EXPECT_EQ(size, 0u);
  EXPECT_FALSE(net.AcceptP2PSessionWithUser(someone));
  EXPECT_FALSE(net.CloseP2PSessionWithUser(someone));
  EXPECT_FALSE(net.AllowP2PPacketRelay(false));
  P2PSessionState_t st;
  EXPECT_FALSE(net.GetP2PSessionState(someone, &st));
}

TEST(Networking, RelayOnlySessionGoesThroughTheServerRelayEndToEnd) {
  auto server = start_server();
  auto ca = config_for(*server, "alice");
  auto cb = config_for(*server, "bob");
  ca.p2p_relay_only = true;  // alice hides her address: the session must use the relay
  auto alice = logged_in(ca);
  auto bob = logged_in(cb);
  const SteamID a = alice->GetSteamID(), b = bob->GetSteamID();
  ASSERT_TRUE(bob->networking().AcceptP2PSessionWithUser(a));
  const auto big = pattern(300000, 9);
  ASSERT_TRUE(alice->networking().SendP2PPacket(b, big.data(), static_cast<uint32>(big.size()), k_EP2PSendReliable, 2));
  std::vector<std::uint8_t> got;
  SteamID from;
  ASSERT_TRUE(run_until(
      {alice.get(), bob.get()}, [&] { return read_one(*bob, 2, got, from); }, std::chrono::seconds(15)));
  EXPECT_TRUE(got == big);
  EXPECT_EQ(from, a);
  // Bob answers unreliably over the same relayed path.
  const auto small = pattern(1000, 4);
  ASSERT_TRUE(bob->networking().SendP2PPacket(a, small.data(), 1000, k_EP2PSendUnreliable, 0));
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] { return read_one(*alice, 0, got, from); }));
  EXPECT_EQ(got, small);

  P2PSessionState_t sa, sb;
  ASSERT_TRUE(alice->networking().GetP2PSessionState(b, &sa));
  ASSERT_TRUE(bob->networking().GetP2PSessionState(a, &sb));
  EXPECT_EQ(sa.m_bUsingRelay, 1);
  EXPECT_EQ(sb.m_bUsingRelay, 1);
  EXPECT_EQ(sa.m_bConnectionActive, 1);
  // The remote address is the relay's (the server's IP, relay port), never the peer's socket.
  const std::string server_addr = server->address();
  const int server_port = std::stoi(server_addr.substr(server_addr.find(':') + 1));
  EXPECT_EQ(sb.m_nRemoteIP, 0x7F000001u);
  EXPECT_NE(sb.m_nRemotePort, 0);
  EXPECT_NE(static_cast<int>(sb.m_nRemotePort), server_port);
  EXPECT_EQ(sb.m_nRemotePort, sa.m_nRemotePort) << "both sides talk to the same relay port";
}

}  // namespace
}  // namespace kettle::testing
