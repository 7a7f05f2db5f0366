// cuckood's entry point: parse the flags, become the process they ask for (server/process.h:
// core limit, listeners, daemon, pid file, identity, locked memory), build the cache, start
// the network front end, log one line saying where it listens, serve until a stop signal
// (SIGINT, SIGTERM, SIGUSR1) or `shutdown`.
// Exit status: 0 after a clean stop, 1 when it cannot serve (e.g. port in use), 2 for a bad
// command line; memcached's status where memcached's own check failed (a bad -o sub-option 1,
// an unknown -u user 67, an OS refusal 71).
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "cache/cache.h"
#include "cache/cuckoo_cache.h"
#include "net/listener.h"
#include "net/metrics_endpoint.h"
#include "net/net_server.h"
#include "net/stop_signal.h"
#include "net/tls.h"
#include "proto/cyrus_sasl.h"
#include "proto/log_entries.h"
#include "proto/settings.h"
#include "proto/slab_classes.h"
#include "proto/stats.h"
#include "server/flags.h"
#include "server/process.h"

namespace {

using cuckood::server::Options;

constexpr int kUsageExitStatus = 64;  // memcached's EX_USAGE

// The one place that decides which Cache implementation serves.
std::unique_ptr<cuckood::cache::CuckooCache> make_cache(
    const Options& options, const cuckood::proto::ServerClock& clock,
    cuckood::cache::EvictionObserver& evictions) {
  cuckood::cache::CacheConfig config;
  config.memory_limit = options.settings.memory_limit;
  config.max_item_size = options.settings.max_item_size;
  config.evict = options.settings.evictions;  // -M
  config.hashpower = static_cast<unsigned>(options.settings.hashpower_init);
  config.size_classes = cuckood::proto::slab_classes(options.settings);
  // -k locks every mapped page: no address space beyond -m is reserved then, so cache_memlimit
  // cannot raise the limit above it.
  if (options.lock_memory) config.memory_reserve = options.settings.memory_limit;
  config.clock = [&clock] { return clock.now(); };
  config.eviction_observer = &evictions;
  config.prefetch_from_bytes = cuckood::server::private_cache_bytes();
  // Huge pages spare TLB misses on every look-up; an operator whose kernel stalls on their
  // compaction turns them off.
  config.huge_pages = options.large_pages || !options.no_huge_pages;
  return std::make_unique<cuckood::cache::CuckooCache>(config);
}

// -L (memcached: try to use large pages; item memory asks for them always): say so when the
// kernel will not back the item memory with huge pages.
void report_huge_pages(const cuckood::cache::CuckooCache& cache) {
  if (const int err = cache.segment_store().huge_pages_error(); err != 0) {
    std::fprintf(stderr, "-L: large pages unavailable (madvise: %s); using normal pages\n",
                 std::strerror(err));
    return;
  }
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode;
  std::getline(thp, mode);
  if (!thp || mode.find("[never]") != std::string::npos) {
    std::fprintf(stderr,
                 "-L: large pages unavailable (transparent huge pages are off); using normal "
                 "pages\n");
  }
}

std::string joined(const std::vector<cuckood::net::ListenAddress>& addresses) {
  if (addresses.empty()) return "nothing (-p 0)";
  std::string out;
  for (const auto& a : addresses) {
    out.append(out.empty() ? "" : ", ").append(a.udp ? "udp " : "").append(a.name);
  }
  return out;
}

// memcached's MEMCACHED_PORT_FILENAME (its test suite reads the ports of -p -1 and -U -1 from
// it): one "TCP INET: <port>" or "TCP INET6: <port>" line per TCP address, then "UDP INET..."
// lines likewise per UDP address, written to <file>.lck and renamed into place.
void write_port_file(const std::vector<cuckood::net::ListenAddress>& addresses) {
  const char* path = std::getenv("MEMCACHED_PORT_FILENAME");
  if (path == nullptr) return;
  const std::string temporary = std::string(path) + ".lck";
  FILE* file = std::fopen(temporary.c_str(), "a");
  if (file == nullptr) {
    std::fprintf(stderr, "Failed to open \"%s\": %s\n", temporary.c_str(), std::strerror(errno));
    return;
  }
  for (const auto& a : addresses) {
    if (a.family == AF_INET || a.family == AF_INET6) {
      std::fprintf(file, "%s INET%s: %u\n", a.udp ? "UDP" : "TCP", a.family == AF_INET6 ? "6" : "",
                   a.port);
    }
  }
  std::fclose(file);
  std::rename(temporary.c_str(), path);
}

// -Y: memcached's messages and exit status when the file cannot be used.
bool load_auth_file(cuckood::proto::AuthFile& auth, const std::string& path) {
  switch (auth.load(path)) {
    case cuckood::proto::AuthFileStatus::kOk:
      return true;
    case cuckood::proto::AuthFileStatus::kOpenFailed:
      std::fprintf(stderr, "Could not open authfile [%s] for reading, error %s\n", path.c_str(),
                   std::strerror(errno));
      return false;
    case cuckood::proto::AuthFileStatus::kMalformed:
      std::fprintf(stderr, "Authfile [%s] has a malformed entry. Should be 'user:password'\n",
                   path.c_str());
      return false;
  }
  return false;
}

int serve(const Options& options) {
  const cuckood::proto::Settings& settings = options.settings;
  // First: blocks the stop signals before any listener exists (a client may connect, and then
  // signal, as soon as one does) and before any thread exists (the cache starts one), so every
  // thread inherits the mask and the signals reach only the stop signal's signalfd. A daemon's
  // child inherits both the mask and the signalfd, which then reads the child's signals.
  cuckood::net::StopSignal stop;
  cuckood::server::return_large_blocks_to_the_system();
  for (const std::string& notice : options.notices) std::fprintf(stderr, "%s\n", notice.c_str());
  if (options.raise_core_limit) cuckood::server::raise_core_limit();
  const std::optional<cuckood::server::Identity> identity =
      cuckood::server::target_identity(options.user);

  // -Z: as memcached's ssl_init, before listening and as the user who started the server (the
  // key may be readable by it only).
  std::shared_ptr<cuckood::net::TlsContext> tls;
  if (settings.tls.enabled) {
    try {
      tls = std::make_shared<cuckood::net::TlsContext>(settings.tls);
    } catch (const cuckood::net::TlsError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return kUsageExitStatus;
    }
  }
  cuckood::net::ListenerSet listeners = cuckood::net::open_listeners(settings, tls);
  write_port_file(listeners.addresses);
  if (identity && !settings.unix_socket.empty() &&
      ::chown(settings.unix_socket.c_str(), identity->uid, identity->gid) != 0) {
    std::fprintf(stderr, "cannot give %s to %s: %s\n", settings.unix_socket.c_str(),
                 identity->name.c_str(), std::strerror(errno));
  }
  std::optional<cuckood::server::Daemon> daemon;
  if (options.daemonize) daemon = cuckood::server::Daemon::start(options.raise_core_limit);
  cuckood::server::PidFile pid_file;
  if (!options.pid_file.empty()) pid_file = cuckood::server::PidFile(options.pid_file, identity);
  if (identity) {
    if (options.lock_memory) cuckood::server::raise_memlock_limit();
    cuckood::server::drop_privileges(*identity, options.raise_core_limit);
  } else if (::geteuid() == 0) {
    std::fprintf(stderr,
                 "warning: running as root without -u (memcached would refuse); use -u to run as "
                 "an unprivileged user\n");
  }

  cuckood::proto::ServerState state;
  state.verbosity.store(options.verbosity);
  state.certificates = tls.get();
  state.certificates_loaded_at.store(state.clock.now());
  // -S: after the drop to -u's user, as memcached, so Cyrus reads its files as that user; it
  // outlives the workers (declared before the server).
  std::optional<cuckood::proto::CyrusSasl> sasl;
  if (settings.sasl) {
    try {
      sasl.emplace(cuckood::proto::memcached_sasl_conf_path(), state.verbosity);
    } catch (const cuckood::proto::SaslInitError& e) {
      std::fprintf(stderr, "%s\n", e.what());
      return EXIT_FAILURE;
    }
    state.sasl = &*sasl;
  }
  if (!settings.auth_file.empty()) {
    if (!load_auth_file(state.auth_file, settings.auth_file)) return EXIT_FAILURE;
    // As memcached: a file that no longer loads keeps the credentials loaded before.
    stop.on_hangup([&state, &settings] {
      if (load_auth_file(state.auth_file, settings.auth_file)) {
        std::fprintf(stderr, "SIGHUP received: reloaded %s\n", settings.auth_file.c_str());
      }
    });
  }
  state.runtime.apply(options.settings);
  cuckood::proto::EvictionLog evictions(state.watch_log);
  const std::unique_ptr<cuckood::cache::CuckooCache> cache =
      make_cache(options, state.clock, evictions);
  if (options.large_pages) report_huge_pages(*cache);
  const std::string where = joined(listeners.addresses);
  cuckood::net::NetServer server(*cache, settings, state, stop, std::move(listeners));
  std::optional<cuckood::net::MetricsEndpoint> metrics;
  if (options.metrics_port != 0) {
    metrics.emplace(options.metrics_listen, options.metrics_port, *cache, settings, state);
  }
  if (options.lock_memory) cuckood::server::lock_memory();
  std::fprintf(stderr, "cuckood %.*s listening on %s (%.*s, %d threads)\n",
               static_cast<int>(cuckood::proto::kVersion.size()), cuckood::proto::kVersion.data(),
               where.c_str(), static_cast<int>(server.engine_name().size()),
               server.engine_name().data(), settings.threads);
  if (daemon) daemon->ready(options.verbosity > 0);
  server.run();
  pid_file.remove();
  return 0;
}

constexpr const char* kLicense =
    "cuckood: a memcached-compatible cache server.\n"
    "It speaks memcached's protocols and takes memcached's command line; it contains no\n"
    "memcached code. memcached is Copyright (c) 2003, Danga Interactive, Inc., under the\n"
    "BSD 3-clause license.\n";

}  // namespace

int main(int argc, char** argv) {
  const char* program = argc > 0 ? argv[0] : "cuckood";
  Options options;
  try {
    options = cuckood::server::parse_flags(
        std::span<const char* const>(argv + 1, argc > 0 ? static_cast<size_t>(argc - 1) : 0));
  } catch (const cuckood::server::FlagError& e) {
    if (e.memcached_style()) {
      std::fprintf(stderr, "%s\n", e.what());
      return e.exit_status();
    }
    std::fprintf(stderr, "cuckood: %s\n", e.what());
    if (e.show_usage()) std::fputs(cuckood::server::usage(program).c_str(), stderr);
    return 2;
  }
  switch (options.action) {
    case Options::Action::kHelp:
      std::fputs(cuckood::server::usage(program).c_str(), stdout);
      return 0;
    case Options::Action::kVersion:
      std::printf("cuckood %.*s\n", static_cast<int>(cuckood::proto::kVersion.size()),
                  cuckood::proto::kVersion.data());
      return 0;
    case Options::Action::kLicense:
      std::fputs(kLicense, stdout);
      return 0;
    case Options::Action::kRun:
      break;
  }
  try {
    return serve(options);
  } catch (const cuckood::server::StartError& e) {
    std::fprintf(stderr, "cuckood: %s\n", e.what());
    return e.exit_status();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cuckood: %s\n", e.what());
    return 1;
  }
}
