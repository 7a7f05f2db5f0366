// cuckood-load: parse the options, run, print. Exit status: 0 after a run, 1 when the run could
// not start (e.g. connection refused), 2 on a usage error, 3 when any value read back did not
// match what was written (the server returned wrong data) or, in the bigmem workload, when a
// record was refused, or in the soak workload when anything read back was wrong or any request
// failed.
#include <sys/resource.h>

#include <csignal>
#include <cstdio>

#include "bench/load/bigmem_report.h"
#include "bench/load/bigmem_run.h"
#include "bench/load/options.h"
#include "bench/load/report.h"
#include "bench/load/run.h"
#include "bench/load/soak_run.h"

namespace {

int run_bigmem(const cuckood::load::Options& o) {
  namespace bigmem = cuckood::load::bigmem;
  const bigmem::Result result = bigmem::run(o);
  const std::string text =
      o.json ? bigmem::format_json(o, result) : bigmem::format_human(o, result);
  std::fputs(text.c_str(), stdout);
  if (!result.ok) {
    std::fprintf(stderr, "cuckood-load: %s\n", result.error.c_str());
    return 1;
  }
  return result.failed + result.missing + result.unexpected + result.wrong > 0 ? 3 : 0;
}

int run_soak(const cuckood::load::Options& o) {
  namespace soak = cuckood::load::soak;
  const soak::SoakResult result = soak::run(o);
  std::fputs(soak::format_table(result).c_str(), stdout);
  return result.failed() ? 3 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cuckood::load;
  const ParseResult parsed = parse_options(argc, argv);
  if (parsed.help) {
    std::fputs(usage().data(), stdout);
    return 0;
  }
  if (!parsed.ok) {
    std::fprintf(stderr, "cuckood-load: %s (try --help)\n", parsed.error.c_str());
    return 2;
  }
  const Options& o = parsed.options;
  // OpenSSL writes to its sockets with write(): a connection the server reset must come back
  // as an error (a disconnect, counted) rather than kill the generator.
  std::signal(SIGPIPE, SIG_IGN);
  // Hundreds of connections per server (several servers, plus the preload's) can pass the
  // usual soft limit of 1024 descriptors; the hard limit is ours to take.
  rlimit files{};
  if (getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    setrlimit(RLIMIT_NOFILE, &files);
  }
  if (o.workload == Workload::kBigmem) return run_bigmem(o);
  if (o.workload == Workload::kSoak) return run_soak(o);
  const RunResult result = run(o);
  if (!result.ok) {
    std::fprintf(stderr, "cuckood-load: %s\n", result.error.c_str());
    return 1;
  }
  const std::string text = o.json ? format_json(o, result) : format_human(o, result);
  std::fputs(text.c_str(), stdout);
  return result.counters.mismatches + result.preload.mismatches > 0 ? 3 : 0;
}
