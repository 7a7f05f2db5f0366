// See stop_signal.h. The eventfd is never read, so it stays readable for every watcher.
#include "net/stop_signal.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

#include "net/log.h"

namespace cuckood::net {

namespace {
sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGHUP);
  return set;
}
}  // namespace

StopSignal::StopSignal() {
  const sigset_t set = stop_signals();
  if (const int rc = pthread_sigmask(SIG_BLOCK, &set, &old_mask_); rc != 0) {
    throw std::system_error(rc, std::generic_category(), "pthread_sigmask");
  }
  event_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!event_fd_.valid()) throw std::system_error(errno, std::generic_category(), "eventfd");
  signal_fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!signal_fd_.valid()) throw std::system_error(errno, std::generic_category(), "signalfd");
}

StopSignal::~StopSignal() {
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void StopSignal::request() noexcept {
  const uint64_t one = 1;
  // Cannot fail short of a counter overflow, which 2^64 - 1 requests would need.
  [[maybe_unused]] const ssize_t n = ::write(event_fd_.get(), &one, sizeof(one));
}

int StopSignal::wait() noexcept {
  pollfd fds[2] = {{signal_fd_.get(), POLLIN, 0}, {event_fd_.get(), POLLIN, 0}};
  for (;;) {
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return 0;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (::read(signal_fd_.get(), &info, sizeof(info)) == sizeof(info)) {
        const int signo = static_cast<int>(info.ssi_signo);
        if (signo == SIGHUP) {
          if (hangup_) {
            hangup_();
          } else {
            log_line("SIGHUP received: ignored (cuckood has nothing to reload)");
          }
          continue;
        }
        if (signo == SIGUSR1) log_line("Gracefully stopping");  // memcached's words
        request();
        return signo;
      }
    }
    if (fds[1].revents & POLLIN) return 0;
  }
}

}  // namespace cuckood::net
