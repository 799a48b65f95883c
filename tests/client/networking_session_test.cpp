// P2P session edge cases (issue 5 acceptance): a peer that goes silent, a peer that restarts,
// close with data still queued, precise errors, 100 concurrent sessions on one client.
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "client_test_util.hpp"
#include "kettle/client.hpp"

namespace kettle::testing {
namespace {

bool active(Client& c, SteamID peer) {
  P2PSessionState_t s;
  return c.networking().GetP2PSessionState(peer, &s) && s.m_bConnectionActive == 1;
}

TEST(NetworkingSession, SilentPeerFailsWithTimeoutAfterLiveness) {
  auto server = start_server();
  auto ca = config_for(*server, "alice");
  ca.p2p_liveness_timeout_s = 1.5;
  auto cb = config_for(*server, "bob");
  cb.manual_pump = true;  // bob's network only moves when he is pumped: stopping = a crash
  auto alice = logged_in(ca);
  auto bob = logged_in(cb);
  std::vector<P2PSessionConnectFail_t> fails;
  alice->On<P2PSessionConnectFail_t>([&](const P2PSessionConnectFail_t& f) { fails.push_back(f); });
  const SteamID a = alice->GetSteamID(), b = bob->GetSteamID();
  ASSERT_TRUE(bob->networking().AcceptP2PSessionWithUser(a));
  const std::uint8_t x = 1;
  ASSERT_TRUE(alice->networking().SendP2PPacket(b, &x, 1, k_EP2PSendReliable, 0));
  std::vector<std::uint8_t> got;
  SteamID from;
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] { return read_one(*bob, 0, got, from); }));
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] { return active(*alice, b); }));

  const auto frozen_at = std::chrono::steady_clock::now();
  ASSERT_TRUE(run_until(
      {alice.get()}, [&] { return !fails.empty(); }, std::chrono::seconds(8)));
  EXPECT_GE(std::chrono::steady_clock::now() - frozen_at, std::chrono::milliseconds(1400));
  EXPECT_EQ(fails.front().m_steamIDRemote, b);
  EXPECT_EQ(fails.front().m_eP2PSessionError, k_EP2PSessionErrorTimeout);
  P2PSessionState_t st;
  ASSERT_TRUE(alice->networking().GetP2PSessionState(b, &st));
  EXPECT_EQ(st.m_bConnectionActive, 0);
  EXPECT_EQ(st.m_eP2PSessionError, k_EP2PSessionErrorTimeout);
}

TEST(NetworkingSession, PeerRestartsAndTheSessionIsMadeAgain) {
  auto server = start_server();
  auto alice = logged_in(config_for(*server, "alice"));
  auto bob = logged_in(config_for(*server, "bob"));
  const SteamID a = alice->GetSteamID(), b = bob->GetSteamID();
  const std::uint8_t one = 1, two = 2;
  ASSERT_TRUE(bob->networking().AcceptP2PSessionWithUser(a));
  ASSERT_TRUE(alice->networking().SendP2PPacket(b, &one, 1, k_EP2PSendReliable, 0));
  std::vector<std::uint8_t> got;
  SteamID from;
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] { return read_one(*bob, 0, got, from); }));

  bob->Shutdown();  // peers end in REMOTE_CLOSED (spec §2.5 rule 14)
  ASSERT_TRUE(run_until({alice.get()}, [&] {
    P2PSessionState_t s;
    return alice->networking().GetP2PSessionState(b, &s) && s.m_bConnectionActive == 0 && s.m_bConnecting == 0;
  }));

  auto bob2 = logged_in(config_for(*server, "bob"));
  ASSERT_EQ(bob2->GetSteamID(), b) << "dev login gives the same account";
  std::vector<SteamID> requests;
  bob2->On<P2PSessionRequest_t>([&](const P2PSessionRequest_t& r) {
    requests.push_back(r.m_steamIDRemote);
    bob2->networking().AcceptP2PSessionWithUser(r.m_steamIDRemote);  // as the tutorial does
  });
  ASSERT_TRUE(alice->networking().SendP2PPacket(b, &two, 1, k_EP2PSendReliable, 0));
  ASSERT_TRUE(run_until({alice.get(), bob2.get()}, [&] { return read_one(*bob2, 0, got, from); }));
  EXPECT_EQ(got, std::vector<std::uint8_t>{2});
  EXPECT_EQ(requests, std::vector<SteamID>{a});
  ASSERT_TRUE(run_until({alice.get(), bob2.get()}, [&] { return active(*alice, b); }));
}

TEST(NetworkingSession, CloseWithQueuedReliableDataStillDeliversIt) {
  auto server = start_server();
  auto alice = logged_in(config_for(*server, "alice"));
  auto bob = logged_in(config_for(*server, "bob"));
  const SteamID a = alice->GetSteamID(), b = bob->GetSteamID();
  const std::uint8_t x = 1;
  ASSERT_TRUE(bob->networking().AcceptP2PSessionWithUser(a));
  ASSERT_TRUE(alice->networking().SendP2PPacket(b, &x, 1, k_EP2PSendReliable, 0));
  std::vector<std::uint8_t> got;
  SteamID from;
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] { return read_one(*bob, 0, got, from); }));
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] { return active(*alice, b); }));

  std::vector<std::uint8_t> big(512 * 1024);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<std::uint8_t>(i * 7);
  ASSERT_TRUE(alice->networking().SendP2PPacket(b, big.data(), static_cast<uint32>(big.size()), k_EP2PSendReliable, 1));
  ASSERT_TRUE(alice->networking().CloseP2PSessionWithUser(b));
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] { return read_one(*bob, 1, got, from); }));
  EXPECT_TRUE(got == big) << "reliable data queued before the close is delivered (linger)";
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] {
    P2PSessionState_t s;
    return bob->networking().GetP2PSessionState(a, &s) && s.m_bConnectionActive == 0;
  })) << "bob ends in remote-closed";
}

TEST(NetworkingSession, PreciseErrorsReportOfflineAtOnce) {
  auto server = start_server();
  auto ca = config_for(*server, "alice");
  ca.precise_session_errors = true;
  auto alice = logged_in(ca);
  std::vector<P2PSessionConnectFail_t> fails;
  alice->On<P2PSessionConnectFail_t>([&](const P2PSessionConnectFail_t& f) { fails.push_back(f); });
  const std::uint8_t x = 1;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(alice->networking().SendP2PPacket(SteamID::individual(777), &x, 1, k_EP2PSendReliable, 0));
  ASSERT_TRUE(run_until(
      {alice.get()}, [&] { return !fails.empty(); }, std::chrono::seconds(5)));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5)) << "well before the 20 s timeout";
  EXPECT_EQ(fails.front().m_eP2PSessionError, k_EP2PSessionErrorDestinationNotLoggedIn_DELETED);
}

TEST(NetworkingSession, PreciseErrorsReportAPeerInAnotherAppAtOnce) {
  auto server = start_server();
  auto ca = config_for(*server, "alice");
  ca.precise_session_errors = true;
  auto cb = config_for(*server, "bob");
  cb.app_id = 570;
  auto alice = logged_in(ca);
  auto bob = logged_in(cb);
  std::vector<P2PSessionConnectFail_t> fails;
  alice->On<P2PSessionConnectFail_t>([&](const P2PSessionConnectFail_t& f) { fails.push_back(f); });
  const std::uint8_t x = 1;
  ASSERT_TRUE(alice->networking().SendP2PPacket(bob->GetSteamID(), &x, 1, k_EP2PSendReliable, 0));
  ASSERT_TRUE(run_until(
      {alice.get(), bob.get()}, [&] { return !fails.empty(); }, std::chrono::seconds(5)));
  EXPECT_EQ(fails.front().m_steamIDRemote, bob->GetSteamID());
  EXPECT_EQ(fails.front().m_eP2PSessionError, k_EP2PSessionErrorNotRunningApp_DELETED);
  P2PSessionState_t st;
  ASSERT_TRUE(alice->networking().GetP2PSessionState(bob->GetSteamID(), &st));
  EXPECT_EQ(st.m_eP2PSessionError, k_EP2PSessionErrorNotRunningApp_DELETED);
}

TEST(NetworkingSession, PreciseErrorsWithoutTheServersConsentEndInTimeout) {
  EmbeddedServer::Options o;
  o.precise_session_errors = false;  // a server whose policy withholds the reason (§5)
  auto server = start_server(o);
  auto ca = config_for(*server, "alice");
  ca.precise_session_errors = true;
  ca.p2p_connect_timeout_s = 2;
  auto cb = config_for(*server, "bob");
  cb.app_id = 570;
  auto alice = logged_in(ca);
  auto bob = logged_in(cb);
  std::vector<P2PSessionConnectFail_t> fails;
  alice->On<P2PSessionConnectFail_t>([&](const P2PSessionConnectFail_t& f) { fails.push_back(f); });
  const std::uint8_t x = 1;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(alice->networking().SendP2PPacket(bob->GetSteamID(), &x, 1, k_EP2PSendReliable, 0));
  ASSERT_TRUE(alice->networking().SendP2PPacket(SteamID::individual(777), &x, 1, k_EP2PSendReliable, 0));
  ASSERT_TRUE(run_until(
      {alice.get(), bob.get()}, [&] { return fails.size() == 2; }, std::chrono::seconds(8)));
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1900)) << "not at once";
  for (const auto& f : fails) EXPECT_EQ(f.m_eP2PSessionError, k_EP2PSessionErrorTimeout);
}

// Spec §2.7: a game that stops reading one user holds at most the unread cap from them; the
// sender is pushed back (its queue stays full) instead of data being lost, and everything
// arrives, in order, once the game reads again. The session never fails over it.
TEST(NetworkingSession, AReaderThatFallsBehindPausesTheSenderAndLosesNothing) {
  auto server = start_server();
  auto cb = config_for(*server, "bob");
  cb.manual_pump = true;  // bob's network moves only when pumped: what he holds can be counted
  auto alice = logged_in(config_for(*server, "alice"));
  auto bob = logged_in(cb);
  const SteamID a = alice->GetSteamID(), b = bob->GetSteamID();
  ASSERT_TRUE(bob->networking().AcceptP2PSessionWithUser(a));
  constexpr std::size_t kMsg = 1 << 20;
  constexpr int kMax = 40;  // far more than the 8 MiB cap + alice's 4 MiB queue + what is in flight
  auto message = [&](int i) { return pattern(kMsg, static_cast<std::uint8_t>(i)); };
  int queued = 0;
  bool pushed_back = false;
  // alice queues 1 MiB messages while bob's client runs but the game never reads; stalling
  // at a full queue for a second (nothing drains it) is the push back.
  while (queued < kMax && !pushed_back) {
    const auto m = message(queued);
    if (alice->networking().SendP2PPacket(b, m.data(), kMsg, k_EP2PSendReliable, 1)) {
      ++queued;
      continue;
    }
    pushed_back = !run_until(
        {alice.get(), bob.get()},
        [&] { return alice->networking().SendP2PPacket(b, m.data(), kMsg, k_EP2PSendReliable, 1) && ++queued; },
        std::chrono::seconds(1));
  }
  ASSERT_TRUE(pushed_back) << "alice queued all " << kMax << " MiB: nothing pushed back";
  EXPECT_GT(alice->networking().GetP2PUnacknowledgedBytes(b), 0u);
  // What bob holds now (his network does not move while he reads without pumping).
  std::size_t held = 0;
  int next = 0;
  std::vector<std::uint8_t> got;
  SteamID from;
  while (read_one(*bob, 1, got, from)) {
    EXPECT_TRUE(got == message(next)) << "message " << next;
    held += got.size();
    ++next;
  }
  EXPECT_GE(held, 7u * kMsg) << "delivery paused well before the cap";
  EXPECT_LE(held, 8u * kMsg + 2u * kMsg) << "the 8 MiB cap, plus what was already in flight";
  // Reading resumes delivery: the rest arrives in order, byte-exact, and alice's backlog drains.
  ASSERT_TRUE(run_until(
      {alice.get(), bob.get()},
      [&] {
        while (read_one(*bob, 1, got, from)) {
          EXPECT_TRUE(got == message(next)) << "message " << next;
          ++next;
        }
        return next == queued && alice->networking().GetP2PUnacknowledgedBytes(b) == 0;
      },
      std::chrono::seconds(30)))
      << next << " of " << queued << " read";
  EXPECT_TRUE(active(*alice, b));
  EXPECT_TRUE(active(*bob, a));
}

TEST(NetworkingSession, HundredConcurrentSessionsOnOneClient) {
  auto server = start_server();
  auto hub = logged_in(config_for(*server, "hub"));
  const SteamID h = hub->GetSteamID();
  hub->On<P2PSessionRequest_t>(
      [&](const P2PSessionRequest_t& r) { hub->networking().AcceptP2PSessionWithUser(r.m_steamIDRemote); });
  constexpr int kPeers = 100;
  std::vector<std::unique_ptr<Client>> peers;
  for (int i = 0; i < kPeers; ++i) {
    peers.push_back(logged_in(config_for(*server, "peer" + std::to_string(i))));
    ASSERT_TRUE(peers.back()->BLoggedOn());
  }
  for (int i = 0; i < kPeers; ++i) {
    const std::uint8_t v = static_cast<std::uint8_t>(i);
    ASSERT_TRUE(peers[i]->networking().SendP2PPacket(h, &v, 1, k_EP2PSendReliable, 0));
  }
  std::set<std::uint64_t> senders;
  std::vector<std::uint8_t> got;
  SteamID from;
  ASSERT_TRUE(run_until(
      {hub.get()},
      [&] {
        while (read_one(*hub, 0, got, from)) {
          senders.insert(from.value());
          // Each peer's byte is its index; the session is per user.
          EXPECT_EQ(got.size(), 1u);
        }
        return senders.size() == kPeers;
      },
      std::chrono::seconds(30)))
      << senders.size() << " of " << kPeers << " sessions delivered";
  // The hub answers every peer over the same sessions.
  for (auto& p : peers) {
    const std::uint8_t v = 42;
    ASSERT_TRUE(hub->networking().SendP2PPacket(p->GetSteamID(), &v, 1, k_EP2PSendReliable, 3));
  }
  int answered = 0;
  for (auto& p : peers) {
    if (run_until(
            {hub.get(), p.get()}, [&] { return read_one(*p, 3, got, from); }, std::chrono::seconds(10)) &&
        from == h)
      ++answered;
  }
  EXPECT_EQ(answered, kPeers);
}

TEST(NetworkingSession, CrashedPeerThatRestartsAndSendsFirstIsHeardAtOnceOverTheRelay) {
  auto server = start_server();
  auto ca = config_for(*server, "alice");
  ca.p2p_relay_only = true;  // relayed: a crash leaves the relay path looking alive to bob
  ca.manual_pump = true;     // stop pumping = crash
  auto cb = config_for(*server, "bob");
  auto bob = logged_in(cb);  // first: the lower SteamID, so bob is the initiator who must notice
  auto alice = logged_in(ca);
  const SteamID a = alice->GetSteamID(), b = bob->GetSteamID();
  ASSERT_LT(b.value(), a.value());
  const std::uint8_t one = 1;
  ASSERT_TRUE(bob->networking().AcceptP2PSessionWithUser(a));
  ASSERT_TRUE(alice->networking().SendP2PPacket(b, &one, 1, k_EP2PSendReliable, 0));
  std::vector<std::uint8_t> got;
  SteamID from;
  ASSERT_TRUE(run_until({alice.get(), bob.get()}, [&] { return read_one(*bob, 0, got, from); }));
  P2PSessionState_t st;
  ASSERT_TRUE(bob->networking().GetP2PSessionState(a, &st));
  ASSERT_EQ(st.m_bUsingRelay, 1);

  // Alice "crashes" (never pumped again) and a new alice process logs in and sends first.
  auto ca2 = ca;
  ca2.manual_pump = false;
  auto alice2 = logged_in(ca2);
  ASSERT_EQ(alice2->GetSteamID(), a);
  const std::uint8_t two = 2;
  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(alice2->networking().SendP2PPacket(b, &two, 1, k_EP2PSendReliable, 0));
  ASSERT_TRUE(run_until(
      {alice2.get(), bob.get()}, [&] { return read_one(*bob, 0, got, from); }, std::chrono::seconds(4)))
      << "bob must take the new session well before his liveness timeout (5 s here)";
  EXPECT_EQ(got, std::vector<std::uint8_t>{2});
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(4));
}

}  // namespace
}  // namespace kettle::testing
