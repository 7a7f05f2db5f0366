// net/listener and net/stop_signal: SO_REUSEPORT listeners, the one-line port-in-use error,
// and the stop switch every worker watches.
#include "net/listener.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

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

TEST(ListenerTest, OneListenerPerWorkerOnTheSamePort) {
  const uint16_t port = free_port();
  const std::vector<UniqueFd> listeners = open_listeners("127.0.0.1", port, 3);
  ASSERT_EQ(listeners.size(), 3u);
  for (const UniqueFd& fd : listeners) EXPECT_EQ(local_port(fd.get()), port);
}

TEST(ListenerTest, PortInUseIsOneLineNamingAddressAndFlag) {
  const uint16_t port = free_port();
  const std::vector<UniqueFd> first = open_listeners("127.0.0.1", port, 2);
  try {
    open_listeners("127.0.0.1", port, 2);  // a second server, even with SO_REUSEPORT
    FAIL() << "second server got the port";
  } catch (const ListenError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << what;
    EXPECT_NE(what.find("-p"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
}

TEST(ListenerTest, BadAddressIsAnError) {
  EXPECT_THROW(open_listeners("not an address", 1, 1), ListenError);
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

TEST(StopSignalTest, SigtermIsReadNotDelivered) {
  StopSignal stop;
  ASSERT_EQ(::raise(SIGTERM), 0);  // blocked: pending, read by wait()
  EXPECT_EQ(stop.wait(), SIGTERM);
  pollfd fd{stop.fd(), POLLIN, 0};
  EXPECT_EQ(::poll(&fd, 1, 0), 1);
}

}  // namespace
}  // namespace cuckood::net
