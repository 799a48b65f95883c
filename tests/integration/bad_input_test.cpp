// Garbage UDP datagrams at a running kettle-server process while clients are logged in: every
// size from empty to 1500 bytes, every first byte, from several source ports. The server keeps
// running, logged-in clients stay logged in and keep being served.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <random>

#include "harness.hpp"

namespace kettle::integration {
namespace {

class BadInput : public IntegrationTest {};

class UdpSender {
 public:
  explicit UdpSender(const std::string& to) : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
    const auto colon = to.rfind(':');
    dest_.sin_family = AF_INET;
    dest_.sin_port = htons(static_cast<std::uint16_t>(std::stoi(to.substr(colon + 1))));
    ::inet_pton(AF_INET, to.substr(0, colon).c_str(), &dest_.sin_addr);
  }
  ~UdpSender() { ::close(fd_); }
  bool send(const std::vector<std::uint8_t>& bytes) {
    return ::sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<const sockaddr*>(&dest_), sizeof dest_) ==
           static_cast<ssize_t>(bytes.size());
  }

 private:
  int fd_;
  sockaddr_in dest_{};
};

TEST_F(BadInput, GarbageDatagramsHarmNobody) {
  ServerProcess server(dir(), {"--dev"});
  ASSERT_TRUE(server.started());
  auto alice = Client::Create();
  auto bob = Client::Create();
  ASSERT_EQ(alice->Init(server.client_config("alice")).code, k_ESteamAPIInitResult_OK);
  ASSERT_EQ(bob->Init(server.client_config("bob")).code, k_ESteamAPIInitResult_OK);
  int disconnects = 0;
  alice->Subscribe<SteamServersDisconnected_t>([&](const auto&) { ++disconnects; });

  std::mt19937 rng(20261127);
  std::uniform_int_distribution<int> byte(0, 255);
  auto random_bytes = [&](std::size_t n) {
    std::vector<std::uint8_t> v(n);
    for (auto& b : v) b = static_cast<std::uint8_t>(byte(rng));
    return v;
  };
  std::vector<std::unique_ptr<UdpSender>> senders;
  for (int i = 0; i < 4; ++i) senders.push_back(std::make_unique<UdpSender>(server.udp()));
  int sent = 0;
  auto send = [&](const std::vector<std::uint8_t>& bytes) {
    if (senders[static_cast<std::size_t>(sent) % senders.size()]->send(bytes)) ++sent;
  };
  for (std::size_t n :
       {0,   1,   2,   3,   4,   7,   8,   15,   16,   31,   32,   33,   47,   48,   63,   64,   65,
        100, 127, 128, 255, 256, 511, 512, 1023, 1024, 1199, 1200, 1201, 1280, 1400, 1472, 1499, 1500}) {
    send(random_bytes(n));
    send(std::vector<std::uint8_t>(n, 0x00));
    send(std::vector<std::uint8_t>(n, 0xff));
  }
  // Every first byte (the packet type), with short and full-size random rests.
  for (int first = 0; first < 256; ++first) {
    for (std::size_t n : {1, 5, 40, 200, 1200, 1500}) {
      auto bytes = random_bytes(n);
      bytes[0] = static_cast<std::uint8_t>(first);
      send(bytes);
    }
  }
  EXPECT_GE(sent, 1600);

  // Served after the garbage: the lookup's request is queued behind it on the server's socket.
  const SteamID bob_id = bob->GetSteamID();
  ASSERT_TRUE(alice->RequestUserInformation(bob_id, true));
  ASSERT_TRUE(pump_until({alice.get(), bob.get()}, 10, [&] { return alice->GetFriendPersonaName(bob_id) == "bob"; }));
  ASSERT_NE(bob->SetPersonaName("still here"), k_uAPICallInvalid);
  ASSERT_TRUE(
      pump_until({alice.get(), bob.get()}, 10, [&] { return alice->GetFriendPersonaName(bob_id) == "still here"; }));
  EXPECT_TRUE(alice->BLoggedOn());
  EXPECT_TRUE(bob->BLoggedOn());
  EXPECT_EQ(disconnects, 0);
  EXPECT_TRUE(server.process().running());
  EXPECT_EQ(server.http_get("/healthz"), "ok\n");
  EXPECT_EQ(server.metric("kettle_clients_online"), 2);

  // A new client still gets in, and the server still stops cleanly (no sanitizer report).
  auto carol = Client::Create();
  EXPECT_EQ(carol->Init(server.client_config("carol")).code, k_ESteamAPIInitResult_OK);
  carol->Shutdown();
  alice->Shutdown();
  bob->Shutdown();
  EXPECT_EQ(server.stop(SIGTERM), 0);
  const std::string log = server_log();
  EXPECT_EQ(log.find("Sanitizer"), std::string::npos);
  EXPECT_EQ(log.find("runtime error"), std::string::npos);
  // Junk is not worth a log line per datagram (a flood must not fill the disk).
  std::size_t lines = 0;
  for (char ch : log) lines += ch == '\n' ? 1 : 0;
  EXPECT_LT(lines, 200u) << "the server logged " << lines << " lines for " << sent << " junk datagrams";
}

}  // namespace
}  // namespace kettle::integration
