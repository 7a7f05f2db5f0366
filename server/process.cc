// See process.h. The daemon's readiness travels over a pipe: one byte from the child when it
// serves; end-of-file without it means the child died, and the parent reports its status.
#include "server/process.h"

#include <fcntl.h>
#include <grp.h>
#include <malloc.h>
#include <pwd.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace cuckood::server {

void return_large_blocks_to_the_system() {
  constexpr int kMmapThreshold = 128 * 1024;  // glibc's own starting value
  ::mallopt(M_MMAP_THRESHOLD, kMmapThreshold);
  ::mallopt(M_TRIM_THRESHOLD, 2 * kMmapThreshold);
}

size_t private_cache_bytes() {
  constexpr size_t kUsual = size_t{1} << 20;
  size_t largest = 0;
  for (int index = 0;; ++index) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index);
    std::ifstream shared(dir + "/shared_cpu_list");
    std::ifstream size(dir + "/size");
    if (!shared || !size) break;
    std::string cpus;
    std::string text;
    shared >> cpus;
    size >> text;
    // Private: shared with no other CPU ("0"), whatever the numbering.
    if (cpus.find_first_of(",-") != std::string::npos) continue;
    size_t bytes = std::strtoull(text.c_str(), nullptr, 10);
    if (!text.empty() && (text.back() == 'K' || text.back() == 'k')) bytes <<= 10;
    if (!text.empty() && text.back() == 'M') bytes <<= 20;
    largest = std::max(largest, bytes);
  }
  return largest != 0 ? largest : kUsual;
}

void raise_core_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_CORE, &limit) == 0) {
    const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
    if (::setrlimit(RLIMIT_CORE, &unlimited) != 0) {
      const rlimit hard{limit.rlim_max, limit.rlim_max};
      ::setrlimit(RLIMIT_CORE, &hard);
    }
  }
  if (::getrlimit(RLIMIT_CORE, &limit) != 0 || limit.rlim_cur == 0) {
    throw StartError("failed to ensure corefile creation", kExitOsError);
  }
}

std::optional<Identity> target_identity(const std::string& user) {
  if (user.empty() || (::getuid() != 0 && ::geteuid() != 0)) return std::nullopt;
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<size_t>(size) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  while (::getpwnam_r(user.c_str(), &entry, buffer.data(), buffer.size(), &found) == ERANGE) {
    buffer.resize(buffer.size() * 2);
  }
  if (found == nullptr) {
    throw StartError("can't find the user " + user + " to switch to", kExitNoUser);
  }
  return Identity{user, found->pw_uid, found->pw_gid};
}

void drop_privileges(const Identity& who, bool keep_dumpable) {
  if (::initgroups(who.name.c_str(), who.gid) != 0 || ::setgid(who.gid) != 0 ||
      ::setuid(who.uid) != 0) {
    throw StartError("failed to assume identity of user " + who.name + ": " + std::strerror(errno),
                     kExitOsError);
  }
  if (keep_dumpable) ::prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
}

void raise_memlock_limit() noexcept {
  const rlimit unlimited{RLIM_INFINITY, RLIM_INFINITY};
  ::setrlimit(RLIMIT_MEMLOCK, &unlimited);  // only root may; otherwise the limit stands
}

void lock_memory() noexcept {
  if (::mlockall(MCL_CURRENT | MCL_FUTURE) != 0) {
    std::fprintf(stderr, "warning: -k invalid, mlockall() failed: %s\n", std::strerror(errno));
  }
}

Daemon Daemon::start(bool keep_cwd) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw StartError(std::string("failed to daemonize: pipe: ") + std::strerror(errno),
                     kExitOsError);
  }
  net::UniqueFd from_child(fds[0]);
  net::UniqueFd to_parent(fds[1]);
  const pid_t child = ::fork();
  if (child < 0) {
    throw StartError(std::string("failed to daemonize: fork: ") + std::strerror(errno),
                     kExitOsError);
  }
  if (child > 0) {
    to_parent.reset();
    char byte = 0;
    ssize_t n;
    while ((n = ::read(from_child.get(), &byte, 1)) < 0 && errno == EINTR) {
    }
    if (n == 1) std::_Exit(EXIT_SUCCESS);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    std::_Exit(WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : EXIT_FAILURE);
  }
  from_child.reset();
  if (::setsid() < 0) {
    throw StartError(std::string("failed to daemonize: setsid: ") + std::strerror(errno),
                     kExitOsError);
  }
  if (!keep_cwd && ::chdir("/") != 0) {
    throw StartError(std::string("failed to daemonize: chdir: ") + std::strerror(errno),
                     kExitOsError);
  }
  return Daemon(std::move(to_parent));
}

void Daemon::ready(bool keep_stderr) noexcept {
  const int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    if (!keep_stderr) ::dup2(null, STDERR_FILENO);
    ::close(null);
  }
  const char byte = 1;
  while (::write(to_parent_.get(), &byte, 1) < 0 && errno == EINTR) {
  }
  to_parent_.reset();
}

PidFile::PidFile(const std::string& path, const std::optional<Identity>& owner) {
  if (FILE* old = std::fopen(path.c_str(), "r")) {
    char line[64];
    if (std::fgets(line, sizeof(line), old) != nullptr) {
      char* end = nullptr;
      const long pid = std::strtol(line, &end, 10);
      if (pid > 0 && end != line && ::kill(static_cast<pid_t>(pid), 0) == 0) {
        std::fprintf(stderr, "WARNING: The pid file contained the following (running) pid: %ld\n",
                     pid);
      }
    }
    std::fclose(old);
  }
  // Written under a temporary name and renamed, so that a reader never finds it empty.
  const std::string temporary = path + ".tmp";
  FILE* file = std::fopen(temporary.c_str(), "w");
  if (file == nullptr) {
    std::fprintf(stderr, "Could not open the pid file %s for writing: %s\n", temporary.c_str(),
                 std::strerror(errno));
    return;
  }
  std::fprintf(file, "%ld\n", static_cast<long>(::getpid()));
  if (std::fclose(file) != 0) {
    std::fprintf(stderr, "Could not close the pid file %s: %s\n", temporary.c_str(),
                 std::strerror(errno));
  }
  if (owner && ::chown(temporary.c_str(), owner->uid, owner->gid) != 0) {
    std::fprintf(stderr, "Could not give the pid file %s to %s: %s\n", temporary.c_str(),
                 owner->name.c_str(), std::strerror(errno));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    std::fprintf(stderr, "Could not rename the pid file from %s to %s: %s\n", temporary.c_str(),
                 path.c_str(), std::strerror(errno));
    ::unlink(temporary.c_str());
    return;
  }
  path_ = path;
}

void PidFile::remove() noexcept {
  if (path_.empty()) return;
  if (::unlink(path_.c_str()) != 0) {
    std::fprintf(stderr, "Could not remove the pid file %s: %s\n", path_.c_str(),
                 std::strerror(errno));
  }
  path_.clear();
}

}  // namespace cuckood::server
