// cuckood's entry point: parse the flags, build the cache, start the network front end, log
// one line saying where it listens, serve until SIGINT/SIGTERM or `shutdown`.
// Exit status: 0 after a clean stop, 1 when it cannot serve (e.g. port in use), 2 for a bad
// command line.
#include <cstdio>
#include <exception>
#include <memory>
#include <span>

#include "cache/cache.h"
#include "cache/cuckoo_cache.h"
#include "net/listener.h"
#include "net/net_server.h"
#include "net/stop_signal.h"
#include "proto/settings.h"
#include "proto/stats.h"
#include "server/flags.h"

namespace {

using cuckood::server::Options;

// The one place that decides which Cache implementation serves.
std::unique_ptr<cuckood::cache::Cache> make_cache(const cuckood::proto::Settings& settings,
                                                  const cuckood::proto::ServerClock& clock) {
  cuckood::cache::CacheConfig config;
  config.memory_limit = settings.memory_limit;
  config.max_item_size = settings.max_item_size;
  config.evict = settings.evictions;  // -M
  config.clock = [&clock] { return clock.now(); };
  return std::make_unique<cuckood::cache::CuckooCache>(config);
}

int serve(const Options& options) {
  const cuckood::proto::Settings& settings = options.settings;
  // First: blocks SIGINT/SIGTERM before any thread exists (the cache may start one), so every
  // thread inherits the mask and the signals reach only the stop signal's signalfd.
  cuckood::net::StopSignal stop;
  cuckood::proto::ServerState state;
  const std::unique_ptr<cuckood::cache::Cache> cache = make_cache(settings, state.clock);
  state.verbosity.store(options.verbosity);
  cuckood::net::NetServer server(*cache, settings, state, stop);
  std::fprintf(stderr, "cuckood %.*s listening on %s (%.*s, %d threads)\n",
               static_cast<int>(cuckood::proto::kVersion.size()), cuckood::proto::kVersion.data(),
               cuckood::net::format_address(settings.listen_address, settings.port).c_str(),
               static_cast<int>(server.engine_name().size()), server.engine_name().data(),
               settings.threads);
  server.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const char* program = argc > 0 ? argv[0] : "cuckood";
  Options options;
  try {
    options = cuckood::server::parse_flags(
        std::span<const char* const>(argv + 1, argc > 0 ? static_cast<size_t>(argc - 1) : 0));
  } catch (const cuckood::server::FlagError& e) {
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
    case Options::Action::kRun:
      break;
  }
  try {
    return serve(options);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cuckood: %s\n", e.what());
    return 1;
  }
}
