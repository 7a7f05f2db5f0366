#include "bench/load/bigmem_run.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <thread>

#include "bench/load/bigmem_records.h"
#include "bench/load/buffer.h"
#include "bench/load/client_thread.h"
#include "bench/load/connection.h"
#include "bench/load/text_client.h"

namespace cuckood::load::bigmem {
namespace {

constexpr uint64_t kWindowNs = static_cast<uint64_t>(kWindowSeconds * 1e9);
constexpr size_t kRecvChunk = 64 * 1024;
constexpr size_t kVerifyBatch = 100;

// A connection in blocking mode with an input buffer.
class BlockingConn {
 public:
  bool open(const std::string& address, std::string& error) {
    fd_ = connect_to(address, error);
    if (fd_ < 0) return false;
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
    return true;
  }
  ~BlockingConn() {
    if (fd_ >= 0) ::close(fd_);
  }

  bool send_all(std::string_view data) noexcept {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Appends what the socket has to in(); false on EOF or error.
  bool receive() noexcept {
    for (;;) {
      const ssize_t n = ::recv(fd_, in_.prepare(kRecvChunk), kRecvChunk, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      in_.commit(static_cast<size_t>(n));
      return true;
    }
  }
  // The next CRLF-terminated line (without CRLF), reading as needed; false when the
  // connection ends first. The view lasts until the next call.
  bool read_line(std::string_view& line) noexcept {
    for (;;) {
      const std::string_view data = in_.readable();
      if (const size_t eol = data.find("\r\n"); eol != std::string_view::npos) {
        line = data.substr(0, eol);
        pending_consume_ = eol + 2;
        return true;
      }
      if (!receive()) return false;
    }
  }
  void consume_line() noexcept {
    in_.consume(pending_consume_);
    pending_consume_ = 0;
  }
  Buffer& in() noexcept { return in_; }

 private:
  int fd_ = -1;
  Buffer in_;
  size_t pending_consume_ = 0;
};

void append_request(std::string& out, BigmemMode mode, const Record& r) {
  char key[kKeySize];
  char value[kValueSize];
  key_name(r.key, key);
  record_value(r.key, r.occurrence, value);
  const std::string_view k(key, kKeySize);
  if (mode == BigmemMode::kMeta) {
    out.append("ms ").append(k).append(" 16 MA N0\r\n");
  } else {
    out.append(r.occurrence == 0 ? "set " : "append ").append(k).append(" 0 0 16\r\n");
  }
  out.append(value, kValueSize).append("\r\n");
}

struct Lane {
  BlockingConn conn;
  std::unique_ptr<LaneStream> stream;
  uint32_t pending = 0;
};

// What one thread measured.
struct ThreadTally {
  uint64_t stored = 0;
  uint64_t failed = 0;
  std::string first_failure;
  std::string error;
  std::vector<uint64_t> windows;
  uint64_t last_ns = 0;
};

void drive(const Options& o, std::vector<std::unique_ptr<Lane>>& lanes, Occurrences& seen,
           uint64_t start_ns, ThreadTally& tally) {
  const std::string_view success = o.bigmem_mode == BigmemMode::kMeta ? "HD" : "STORED";
  std::string out;
  for (;;) {
    bool sent = false;
    for (auto& lane : lanes) {
      out.clear();
      while (lane->pending < static_cast<uint32_t>(o.depth) && !lane->stream->done()) {
        append_request(out, o.bigmem_mode, lane->stream->next(seen));
        ++lane->pending;
      }
      if (out.empty()) continue;
      if (!lane->conn.send_all(out)) {
        tally.error = "send failed: " + std::string(std::strerror(errno));
        return;
      }
      sent = true;
    }
    if (!sent) return;
    uint64_t answered = 0;
    for (auto& lane : lanes) {
      for (; lane->pending > 0; --lane->pending, ++answered) {
        std::string_view line;
        if (!lane->conn.read_line(line)) {
          tally.error = "connection closed by the server";
          return;
        }
        if (line == success) {
          ++tally.stored;
        } else if (tally.failed++ == 0) {
          tally.first_failure = std::string(line);
        }
        lane->conn.consume_line();
      }
    }
    tally.last_ns = now_ns();
    const size_t window = (tally.last_ns - start_ns) / kWindowNs;
    if (tally.windows.size() <= window) tally.windows.resize(window + 1, 0);
    tally.windows[window] += answered;
  }
}

// Reads back the sampled keys over one connection and tallies the checks into `result`.
bool verify(const Options& o, const Occurrences& seen, Result& result) {
  BlockingConn conn;
  if (!conn.open(o.servers[0], result.error)) return false;
  const std::vector<uint64_t> sample = sample_keys(o.keys, o.verify, o.seed + 7);
  char names[kVerifyBatch][kKeySize];
  for (size_t first = 0; first < sample.size(); first += kVerifyBatch) {
    const size_t n = std::min(kVerifyBatch, sample.size() - first);
    Buffer request;
    for (size_t i = 0; i < n; ++i) {
      key_name(sample[first + i], names[i]);
      text::append_get(request, std::string_view(names[i], kKeySize));
    }
    if (!conn.send_all(request.readable())) {
      result.error = "send failed while verifying";
      return false;
    }
    for (size_t i = 0; i < n; ++i) {
      const uint64_t key = sample[first + i];
      const Expected expected{true, std::string_view(names[i], kKeySize), 0};
      Reply reply;
      ParseStatus status;
      while ((status = text::parse(conn.in().readable(), expected, reply)) ==
             ParseStatus::kNeedMore) {
        if (!conn.receive()) {
          result.error = "connection closed while verifying";
          return false;
        }
      }
      if (status == ParseStatus::kInvalid || reply.kind == ReplyKind::kError) {
        result.error = "unexpected reply while verifying";
        return false;
      }
      ++result.verified;
      switch (check_value(key, seen.count(key), reply.kind == ReplyKind::kHit, reply.value)) {
        case Check::kMatch:
          ++result.matched;
          break;
        case Check::kMissing:
          ++result.missing;
          break;
        case Check::kUnexpected:
          ++result.unexpected;
          break;
        case Check::kWrong:
          ++result.wrong;
          break;
      }
      conn.in().consume(reply.consumed);
    }
  }
  return true;
}

}  // namespace

Result run(const Options& o) {
  Result result;
  const auto lanes = static_cast<uint32_t>(o.connections);
  const auto threads = static_cast<uint32_t>(o.threads);
  Occurrences seen(o.keys);
  // Thread t drives lanes t, t + threads, ...
  std::vector<std::vector<std::unique_ptr<Lane>>> owned(threads);
  for (uint32_t l = 0; l < lanes; ++l) {
    auto lane = std::make_unique<Lane>();
    if (!lane->conn.open(o.servers[0], result.error)) return result;
    lane->stream = std::make_unique<LaneStream>(o.records, o.keys, lanes, l, o.seed);
    owned[l % threads].push_back(std::move(lane));
  }
  std::vector<ThreadTally> tallies(threads);
  const uint64_t start = now_ns();
  std::vector<std::thread> pool;
  for (uint32_t t = 0; t < threads; ++t)
    pool.emplace_back([&, t] { drive(o, owned[t], seen, start, tallies[t]); });
  for (auto& th : pool) th.join();

  uint64_t last = start;
  for (const ThreadTally& tally : tallies) {
    if (!tally.error.empty() && result.error.empty()) result.error = tally.error;
    result.stored += tally.stored;
    result.failed += tally.failed;
    if (result.first_failure.empty()) result.first_failure = tally.first_failure;
    if (result.windows.size() < tally.windows.size()) result.windows.resize(tally.windows.size());
    for (size_t w = 0; w < tally.windows.size(); ++w) result.windows[w] += tally.windows[w];
    last = std::max(last, tally.last_ns);
  }
  result.seconds = static_cast<double>(last - start) / 1e9;
  result.keys_written = seen.written();
  if (!result.error.empty()) return result;
  result.ok = verify(o, seen, result);
  return result;
}

}  // namespace cuckood::load::bigmem
