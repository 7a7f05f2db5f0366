// net/listener and net/stop_signal: memcached's -l list syntax, SO_REUSEPORT listeners (and -U's
// UDP sockets) per worker for every address, the unix socket with its mask, the one-line
// port-in-use error, and the stop switch every worker watches (SIGHUP ignored, SIGUSR1 a stop).
#include "net/listener.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "net/stop_signal.h"

namespace cuckood::net {
namespace {

uint16_t local_port(int fd) {
  sockaddr_in addr{};
  socklen_t len = sizeof(addr);
  EXPECT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  return ntohs(addr.sin_port);
}

// A port the kernel just handed out, free again (as the integration harness picks ports).
uint16_t free_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return local_port(fd.get());
}

proto::Settings tcp_settings(const std::string& list, int port, int threads) {
  proto::Settings s;
  s.listen_address = list;
  s.port = port;
  s.threads = threads;
  return s;
}

bool has_ipv6_loopback() {
  UniqueFd fd(::socket(AF_INET6, SOCK_STREAM, 0));
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  return fd.valid() && ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
}

TEST(ListenerTest, OneListenerPerWorkerOnTheSamePort) {
  const uint16_t port = free_port();
  const ListenerSet set = open_listeners(tcp_settings("127.0.0.1", port, 3));
  ASSERT_EQ(set.per_worker.size(), 3u);
  for (const std::vector<Listener>& mine : set.per_worker) {
    ASSERT_EQ(mine.size(), 1u);
    EXPECT_EQ(local_port(mine[0].fd.get()), port);
  }
  ASSERT_EQ(set.addresses.size(), 1u);
  EXPECT_EQ(set.addresses[0].name, "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(set.addresses[0].family, AF_INET);
  EXPECT_EQ(set.addresses[0].port, port);
}

TEST(ListenerTest, EveryEntryOfAListForEveryWorker) {
  const uint16_t port = free_port();
  const uint16_t other = free_port();
  const std::string list = "127.0.0.1;proto[binary]:127.0.0.2:" + std::to_string(other);
  const ListenerSet set = open_listeners(tcp_settings(list, port, 2));
  ASSERT_EQ(set.per_worker.size(), 2u);
  for (const std::vector<Listener>& mine : set.per_worker) {
    ASSERT_EQ(mine.size(), 2u);
    EXPECT_EQ(local_port(mine[0].fd.get()), port);
    EXPECT_EQ(mine[0].protocol, proto::BindingProtocol::kAuto);
    EXPECT_EQ(local_port(mine[1].fd.get()), other);
    EXPECT_EQ(mine[1].protocol, proto::BindingProtocol::kBinary);
  }
  EXPECT_EQ(set.addresses.size(), 2u);
}

TEST(ListenerTest, IpV6LoopbackAndDuplicates) {
  if (!has_ipv6_loopback()) GTEST_SKIP() << "no IPv6 loopback";
  const uint16_t port = free_port();
  // "localhost" may resolve to both loopbacks, which the explicit entries already bound.
  const ListenerSet set = open_listeners(tcp_settings("127.0.0.1,::1,[::1]", port, 1));
  ASSERT_EQ(set.per_worker.size(), 1u);
  EXPECT_EQ(set.per_worker[0].size(), 2u);
  ASSERT_EQ(set.addresses.size(), 2u);
  EXPECT_EQ(set.addresses[0].name, "127.0.0.1:" + std::to_string(port));
  EXPECT_EQ(set.addresses[1].name, "[::1]:" + std::to_string(port));
  EXPECT_EQ(set.addresses[1].family, AF_INET6);
}

TEST(ListenerTest, PortZeroEntryGetsOnePortForAllWorkers) {
  const ListenerSet set = open_listeners(tcp_settings("127.0.0.1:0", 11211, 3));
  const uint16_t port = local_port(set.per_worker[0][0].fd.get());
  EXPECT_NE(port, 0);
  for (const std::vector<Listener>& mine : set.per_worker) {
    EXPECT_EQ(local_port(mine[0].fd.get()), port);
  }
  EXPECT_EQ(set.addresses[0].port, port);
  // -p -1: the same for every entry without a port of its own.
  proto::Settings ephemeral = tcp_settings("127.0.0.1", 0, 2);
  ephemeral.port = -1;
  const ListenerSet picked = open_listeners(ephemeral);
  ASSERT_EQ(picked.addresses.size(), 1u);
  EXPECT_NE(picked.addresses[0].port, 0);
  EXPECT_EQ(local_port(picked.per_worker[1][0].fd.get()), picked.addresses[0].port);
}

TEST(ListenerTest, NoTcpWithPortZero) {
  const ListenerSet set = open_listeners(tcp_settings("127.0.0.1", 0, 2));
  ASSERT_EQ(set.per_worker.size(), 2u);
  EXPECT_TRUE(set.per_worker[0].empty());
  EXPECT_TRUE(set.addresses.empty());
}

TEST(ListenerTest, PortInUseIsOneLineNamingAddressAndFlag) {
  const uint16_t port = free_port();
  const ListenerSet first = open_listeners(tcp_settings("127.0.0.1", port, 2));
  try {
    open_listeners(tcp_settings("127.0.0.1", port, 2));  // a second server, even SO_REUSEPORT
    FAIL() << "second server got the port";
  } catch (const ListenError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
    EXPECT_NE(what.find("-p"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}

int socket_type(int fd) {
  int type = 0;
  socklen_t len = sizeof(type);
  EXPECT_EQ(::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len), 0);
  return type;
}

TEST(ListenerTest, NoUdpUnlessAsked) {
  const ListenerSet set = open_listeners(tcp_settings("127.0.0.1", free_port(), 2));
  ASSERT_EQ(set.udp_per_worker.size(), 2u);
  EXPECT_TRUE(set.udp_per_worker[0].empty());
  EXPECT_TRUE(set.udp_per_worker[1].empty());
  for (const ListenAddress& a : set.addresses) EXPECT_FALSE(a.udp);
}

// -U: per address one UDP socket per worker, all on the same port (SO_REUSEPORT), listed after
// the TCP addresses; an entry's own port applies to UDP too, as in memcached.
TEST(ListenerTest, UdpSocketPerWorkerAndAddress) {
  const uint16_t udp_port = free_port();
  const uint16_t other = free_port();
  proto::Settings s = tcp_settings("127.0.0.1,127.0.0.2:" + std::to_string(other), 0, 3);
  s.udp_port = udp_port;
  const ListenerSet set = open_listeners(s);
  ASSERT_EQ(set.udp_per_worker.size(), 3u);
  for (size_t w = 0; w < 3; ++w) {
    EXPECT_TRUE(set.per_worker[w].empty());  // -p 0: no TCP
    ASSERT_EQ(set.udp_per_worker[w].size(), 2u);
    EXPECT_EQ(socket_type(set.udp_per_worker[w][0].get()), SOCK_DGRAM);
    EXPECT_EQ(local_port(set.udp_per_worker[w][0].get()), udp_port);
    EXPECT_EQ(local_port(set.udp_per_worker[w][1].get()), other);
  }
  ASSERT_EQ(set.addresses.size(), 2u);
  EXPECT_TRUE(set.addresses[0].udp);
  EXPECT_EQ(set.addresses[0].name, "127.0.0.1:" + std::to_string(udp_port));
  EXPECT_EQ(set.addresses[1].name, "127.0.0.2:" + std::to_string(other));
}

TEST(ListenerTest, UdpAndTcpOnOnePortAndAPickedUdpPort) {
  const uint16_t port = free_port();
  proto::Settings s = tcp_settings("127.0.0.1", port, 2);
  s.udp_port = port;
  const ListenerSet same = open_listeners(s);
  ASSERT_EQ(same.addresses.size(), 2u);
  EXPECT_FALSE(same.addresses[0].udp);
  EXPECT_TRUE(same.addresses[1].udp);
  EXPECT_EQ(same.addresses[1].port, port);

  proto::Settings picked = tcp_settings("127.0.0.1", 0, 2);
  picked.udp_port = -1;
  const ListenerSet set = open_listeners(picked);
  ASSERT_EQ(set.addresses.size(), 1u);
  EXPECT_NE(set.addresses[0].port, 0);
  EXPECT_EQ(local_port(set.udp_per_worker[0][0].get()), set.addresses[0].port);
  EXPECT_EQ(local_port(set.udp_per_worker[1][0].get()), set.addresses[0].port);
}

TEST(ListenerTest, UdpPortInUseIsAnError) {
  UniqueFd holder(::socket(AF_INET, SOCK_DGRAM, 0));
  const int one = 1;
  // Even a holder that allows sharing: SO_REUSEADDR would let a second UDP bind succeed.
  ASSERT_EQ(::setsockopt(holder.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(holder.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  proto::Settings s = tcp_settings("127.0.0.1", 0, 2);
  s.udp_port = local_port(holder.get());
  try {
    open_listeners(s);
    FAIL() << "the UDP port was shared";
  } catch (const ListenError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("UDP 127.0.0.1:" + std::to_string(s.udp_port)), std::string::npos) << what;
  }
}

TEST(ListenerTest, BadAddressIsAnError) {
  EXPECT_THROW(open_listeners(tcp_settings("not an address", 1, 1)), ListenError);
}

TEST(ListenerTest, UnixSocketWithMaskForEveryWorker) {
  char dir_template[] = "/tmp/cuckood-listener-XXXXXX";
  ASSERT_NE(::mkdtemp(dir_template), nullptr);
  const std::string path = std::string(dir_template) + "/sock";
  proto::Settings s = tcp_settings("127.0.0.1", 11211, 2);
  s.udp_port = 11211;
  s.unix_socket = path;
  s.unix_mask = 0640;
  {
    const ListenerSet set = open_listeners(s);
    ASSERT_EQ(set.per_worker.size(), 2u);
    EXPECT_EQ(set.per_worker[0].size(), 1u);  // no TCP listener with -s
    EXPECT_EQ(set.per_worker[1].size(), 1u);
    EXPECT_TRUE(set.udp_per_worker[0].empty());  // nor UDP, even with -U
    EXPECT_TRUE(set.udp_per_worker[1].empty());
    ASSERT_EQ(set.addresses.size(), 1u);
    EXPECT_EQ(set.addresses[0].name, path);
    EXPECT_EQ(set.addresses[0].family, AF_UNIX);
    struct stat st {};
    ASSERT_EQ(::lstat(path.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0640u);
  }
  // A socket file left behind by an earlier run is replaced.
  EXPECT_EQ(open_listeners(s).addresses.size(), 1u);
  ::unlink(path.c_str());
  ::rmdir(dir_template);
}

TEST(ListenerTest, ParsesMemcachedListSyntax) {
  using proto::BindingProtocol;
  const auto specs = parse_listen_list(
      "127.0.0.1,10.0.0.1:99;[::1]:98,::1,*,[fe80::1],host.example:97,proto[ascii]:*:96,"
      "tag[web]:127.0.0.1,notls:127.0.0.1:95,,",
      11211, BindingProtocol::kAuto);
  ASSERT_EQ(specs.size(), 10u);
  auto expect = [&](size_t i, const std::string& host, uint16_t port,
                    BindingProtocol protocol = BindingProtocol::kAuto) {
    EXPECT_EQ(specs[i].host, host) << i;
    EXPECT_EQ(specs[i].port, port) << i;
    EXPECT_EQ(specs[i].protocol, protocol) << i;
  };
  expect(0, "127.0.0.1", 11211);
  expect(1, "10.0.0.1", 99);
  expect(2, "::1", 98);
  expect(3, "::1", 11211);
  expect(4, "", 11211);
  expect(5, "fe80::1", 11211);
  expect(6, "host.example", 97);
  expect(7, "", 96, BindingProtocol::kAscii);
  expect(8, "127.0.0.1", 11211);
  expect(9, "127.0.0.1", 95);
  EXPECT_EQ(parse_listen_list("a", 5, BindingProtocol::kBinary)[0].protocol,
            BindingProtocol::kBinary);
  for (const char* bad :
       {"127.0.0.1:x", "127.0.0.1:70000", "[::1", "proto[http]:a", "tag[toolongtag]:a", ",", ""}) {
    EXPECT_THROW(parse_listen_list(bad, 1, BindingProtocol::kAuto), ListenError) << bad;
  }
}

TEST(ListenerTest, FormatsAddresses) {
  EXPECT_EQ(format_address("127.0.0.1", 11211), "127.0.0.1:11211");
  EXPECT_EQ(format_address("::1", 11211), "[::1]:11211");
}

TEST(StopSignalTest, RequestWakesEveryWatcher) {
  StopSignal stop;
  pollfd fds[2] = {{stop.fd(), POLLIN, 0}, {stop.fd(), POLLIN, 0}};
  EXPECT_EQ(::poll(fds, 2, 0), 0);
  stop.request();
  stop.request();  // idempotent
  EXPECT_EQ(::poll(fds, 2, 0), 2);
  EXPECT_EQ(stop.wait(), 0);
  EXPECT_EQ(::poll(fds, 1, 0), 1);  // stays readable: never consumed
}

TEST(StopSignalTest, SighupIsIgnoredAndSigusr1Stops) {
  StopSignal stop;
  ASSERT_EQ(::raise(SIGHUP), 0);   // logged, waited past
  ASSERT_EQ(::raise(SIGUSR1), 0);  // the graceful stop
  EXPECT_EQ(stop.wait(), SIGUSR1);
  pollfd fd{stop.fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&fd, 1, 0), 1);
}

TEST(StopSignalTest, SigtermIsReadNotDelivered) {
  StopSignal stop;
  ASSERT_EQ(::raise(SIGTERM), 0);  // blocked: pending, read by wait()
  EXPECT_EQ(stop.wait(), SIGTERM);
  pollfd fd{stop.fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&fd, 1, 0), 1);
}

}  // namespace
}  // namespace cuckood::net
