// Becoming a server process the way memcached's flags ask: -r (core size), -d (daemon), -P
// (pid file), -u (identity), -k (locked memory). main calls these in this order: raise the core
// limit, look the user up, bind the listeners, daemonize, write the pid file, drop privileges,
// build the cache and workers, lock memory, report readiness. Binding before daemonizing keeps
// every start-up error on the shell's stderr and in its exit status; binding before dropping
// privileges lets an unprivileged server listen on a port below 1024.
//
// Errors are StartError: a message and memcached's exit status (EX_USAGE 64, EX_NOUSER 67,
// EX_OSERR 71). All of this runs on the main thread; Daemon::start before any other thread
// exists.
#pragma once

#include <cstddef>

#include <sys/types.h>

#include <optional>
#include <stdexcept>
#include <string>

#include "net/unique_fd.h"

namespace cuckood::server {

inline constexpr int kExitNoUser = 67;   // EX_NOUSER
inline constexpr int kExitOsError = 71;  // EX_OSERR

class StartError : public std::runtime_error {
 public:
  StartError(const std::string& message, int exit_status)
      : std::runtime_error(message), exit_status_(exit_status) {}
  int exit_status() const noexcept { return exit_status_; }

 private:
  int exit_status_;
};

// glibc's allocator told to hand large blocks straight back to the system: by default it raises
// its mmap and trim thresholds after each large free, so the reply buffers of a burst (slow
// readers of megabytes of output) would stay in the heap for good. Fixed thresholds keep large
// blocks in their own mappings, unmapped on free; the workers' buffer pools reuse them while
// traffic lasts (net/buffer_pool.h). Call before any thread starts.
void return_large_blocks_to_the_system();

// Bytes of the largest CPU cache private to one core (sysfs; the usual 1 MiB when it says
// nothing): the working set below which the cache's batched prefetch does not pay
// (cache::CacheConfig::prefetch_from_bytes).
size_t private_cache_bytes();

// -r: the core file size limit raised to unlimited, else to the hard limit, as memcached does.
// Throws StartError (memcached's "failed to ensure corefile creation") if it stays 0.
void raise_core_limit();

// -u: whom to become.
struct Identity {
  std::string name;
  uid_t uid;
  gid_t gid;
};

// The identity to drop to: the user named by -u when running as root, else none (memcached
// ignores -u without root). Throws StartError(kExitNoUser) for an unknown user.
std::optional<Identity> target_identity(const std::string& user);

// Drops to `who`: its supplementary groups (initgroups), its group, its user. With
// `keep_dumpable` (-r) the process stays dumpable, which setuid would otherwise turn off.
// Throws StartError(kExitOsError).
void drop_privileges(const Identity& who, bool keep_dumpable);

// -k: mlockall(MCL_CURRENT | MCL_FUTURE); a failure is a warning on stderr, as in memcached.
// raise_memlock_limit(), called while still root, lets it succeed after the drop.
void raise_memlock_limit() noexcept;
void lock_memory() noexcept;

// -d. start() forks: the parent never returns — it waits for the child's ready() and exits 0,
// or, if the child exits first, exits with the child's status (the child's errors went to the
// stderr both share). The child returns, in a new session, in "/" unless `keep_cwd` (-r, so
// that a core file lands in the start directory, as memcached). ready() sends stdin, stdout
// and (unless `keep_stderr`, -v) stderr to /dev/null, then releases the parent.
class Daemon {
 public:
  static Daemon start(bool keep_cwd);
  void ready(bool keep_stderr) noexcept;

 private:
  explicit Daemon(net::UniqueFd to_parent) noexcept : to_parent_(std::move(to_parent)) {}
  net::UniqueFd to_parent_;
};

// -P: written as memcached writes it (the pid and a newline, through a temporary file renamed
// into place, a warning if the old file names a running process), owned by `owner` when given
// so that the server can still remove it after dropping privileges; removed by remove() at a
// clean exit. Failures are warnings on stderr, as in memcached.
class PidFile {
 public:
  PidFile() = default;
  PidFile(const std::string& path, const std::optional<Identity>& owner);
  void remove() noexcept;

 private:
  std::string path_;
};

}  // namespace cuckood::server
