// kernel_entry_probe: what a system call costs the user code that runs after it on this machine,
// printed as one line for `make bench` beside its user-share column. Where the kernel entry
// flushes the TLB (page-table isolation without PCID; a guest under shadow paging) or the caches,
// every page and line a server touches after each io_uring_enter is paid for again, so its user
// CPU per request carries a share that grows with its kernel entries, like its kernel CPU.
//
// Two chains of 64 dependent loads, each load one cache line: one chain inside a single 4 KiB
// page, the other on 64 pages (4 KiB pages, huge pages declined). Each chain is timed warm (run
// again and again) and right after a getppid() system call, whose own time is subtracted.
// Exit status: 0, or 2 when the memory cannot be had.
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>

namespace {

constexpr size_t kLine = 64;
constexpr size_t kPage = 4096;
constexpr size_t kLoads = kPage / kLine;  // one chain fills exactly one page
constexpr int kIterations = 20000;
constexpr int kRepetitions = 7;

// Links the lines at `offsets` (from `base`) into a cycle in a shuffled order; returns its start.
void* link_chain(char* base, const std::vector<size_t>& offsets) {
  std::vector<size_t> order(offsets.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::shuffle(order.begin(), order.end(), std::mt19937_64(42));
  for (size_t i = 0; i < order.size(); ++i) {
    *reinterpret_cast<void**>(base + offsets[order[i]]) =
        base + offsets[order[(i + 1) % order.size()]];
  }
  return base + offsets[order[0]];
}

// Nanoseconds per iteration, the fastest of kRepetitions: a getppid() first if `enter_kernel`,
// then one walk of the chain at `start` (none when it is null).
double time_iteration(void* start, bool enter_kernel) {
  double best = 1e30;
  for (int r = 0; r < kRepetitions; ++r) {
    void* volatile sink = nullptr;
    const auto began = std::chrono::steady_clock::now();
    for (int i = 0; i < kIterations; ++i) {
      if (enter_kernel) syscall(SYS_getppid);
      void* p = start;
      if (p != nullptr) {
        for (size_t n = 0; n < kLoads; ++n) p = *static_cast<void**>(p);
      }
      sink = p;
    }
    (void)sink;
    const std::chrono::duration<double, std::nano> took = std::chrono::steady_clock::now() - began;
    best = std::min(best, took.count() / kIterations);
  }
  return best;
}

}  // namespace

int main() {
  // Page 0 holds the one-page chain, pages 1 to kLoads the other.
  const size_t bytes = (1 + kLoads) * kPage;
  void* mapped = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) {
    std::perror("kernel_entry_probe: mmap");
    return 2;
  }
  madvise(mapped, bytes, MADV_NOHUGEPAGE);
  char* base = static_cast<char*>(mapped);
  std::vector<size_t> one_page(kLoads), many_pages(kLoads);
  for (size_t i = 0; i < kLoads; ++i) {
    one_page[i] = i * kLine;
    // Line i on page 1 + i, at a different offset on each page so that the lines spread over
    // the cache's sets rather than sharing one.
    many_pages[i] = (1 + i) * kPage + i * kLine;
  }
  void* dense = link_chain(base, one_page);
  void* sparse = link_chain(base, many_pages);

  const double kernel = time_iteration(nullptr, true);
  const double dense_warm = time_iteration(dense, false) / kLoads;
  // Clamped at zero: where a system call leaves the caches and the TLB alone, the difference
  // is the noise around nothing.
  const double dense_after = std::max(0.0, time_iteration(dense, true) - kernel) / kLoads;
  const double sparse_warm = time_iteration(sparse, false) / kLoads;
  const double sparse_after = std::max(0.0, time_iteration(sparse, true) - kernel) / kLoads;
  std::printf(
      "a system call (getppid) takes %.0f ns; after each one a dependent load costs %.1f ns on one "
      "4 KiB page (warm %.1f) and %.1f ns with each load on its own page (warm %.1f)\n",
      kernel, dense_after, dense_warm, sparse_after, sparse_warm);
  munmap(mapped, bytes);
  return 0;
}
