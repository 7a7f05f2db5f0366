// One client connection's byte flow, shared by both I/O engines: received bytes go to the
// protocol Session (parsed in place when no partial request is pending), responses collect in
// an Output (bytes plus slices of pinned item memory, proto/output.h) that the engine sends
// once per loop turn (or less often, see send_due) as one sendmsg: iovecs over the bytes and
// the slices, in order, at most kMaxIovecs per call. A slice is unpinned as soon as its last
// byte is sent; whatever is still pinned is released when the connection is destroyed (closed,
// reset, aborted, shut down), so the Connection must be destroyed on its worker's thread while
// the cache context exists.
// Fairness (-R): each event (bytes received, a resume, output drained) lets the session
// decode at most reqs_per_event requests; with more complete input left the connection
// *yields* (counted in conn_yields) and the engine resumes it next loop turn, after the other
// connections' events. Also the backpressure rule (slice bytes count): when
// the unsent output passes kHighWater, input is held (and the engine stops reading) until it
// drains below kLowWater. No socket calls here: the engine owns the fd and its I/O.
//
// Also counted and published here: bytes_read and bytes_written as they cross the socket
// (memcached counts them where it reads and writes), and the connection's state and last
// command time for `stats conns` (ConnectionInfo, once per event). A `watch` connection takes
// log lines (pump_log) whenever its earlier output has gone out.
//
// TLS (-Z): a connection from a TLS listener owns a TlsChannel (net/tls.h). What the engine
// receives is ciphertext, decrypted before the session sees it; unsent() hands the engine
// ciphertext: the handshake's records, then the output above encrypted a batch (at most
// kCipherBatch) at a time, each slice unpinned once encrypted. The engines see no difference.
//
// Threading: used by its worker's thread only.
#pragma once

#include <sys/uio.h>

#include <atomic>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/buffer_pool.h"
#include "net/connection_directory.h"
#include "net/input_buffer.h"
#include "net/tls.h"
#include "proto/log_entries.h"
#include "proto/output.h"
#include "proto/request_log.h"
#include "proto/session.h"
#include "proto/state_trace.h"
#include "proto/worker.h"

namespace cuckood::net {

class Connection {
 public:
  // Stop reading above this backlog; resume at or below the low mark. The backlog a worker fills
  // for one connection in one turn is work every other connection of the worker waits for
  // (copied values, fresh pages), and its large values stay pinned until sent (past the pin cap
  // they are copied too): a small mark keeps both short, and the socket is still never idle.
  static constexpr size_t kHighWater = size_t{1} << 20;
  static constexpr size_t kLowWater = size_t{256} << 10;
  // Kept by an emptied output string; above it the memory goes back (idle connections stay
  // small).
  static constexpr size_t kKeepOutputCapacity = 64 * 1024;
  // iovecs per send (well under IOV_MAX); the rest goes next turn.
  static constexpr size_t kMaxIovecs = 64;
  // Log lines a watcher takes per pump.
  static constexpr size_t kLogChunk = 64 * 1024;
  // TLS: output encrypted per unsent() call, at most (the ciphertext buffer's bound).
  static constexpr size_t kCipherBatch = 256 * 1024;
  // Output a yielded connection holds back (see send_due); from this much on it goes out.
  static constexpr size_t kYieldedHoldLimit = 16 * 1024;

  // `pool` is the worker's (it must outlive the connection): large input and output buffers
  // are taken from it and given back to it. `unix_socket`: accepted from the -s socket. `tls`:
  // the connection speaks TLS with that context (which must outlive it).
  Connection(int fd, proto::Worker& worker, BufferPool& pool,
             proto::BindingProtocol protocol = proto::BindingProtocol::kAuto,
             bool unix_socket = false, const TlsContext* tls = nullptr)
      : fd_(fd),
        worker_(worker),
        pool_(pool),
        session_(worker, protocol, fd),
        input_(&pool),
        info_(fd, unix_socket, worker.ctx.now()),
        trace_(fd, worker.server.verbosity) {
    output_.enable_slices(worker.cache, worker.ctx);
    sending_.enable_slices(worker.cache, worker.ctx);
    if (tls != nullptr) {
      tls_ = std::make_unique<TlsChannel>(
          *tls, TlsCounters{&worker.stats.ssl_handshake_errors, &worker.stats.ssl_new_sessions});
    }
  }
  // Unpins every slice not yet sent (the Outputs' destructors).
  ~Connection() {
    pool_.give(output_.bytes);
    pool_.give(sending_.bytes);
    pool_.give(cipher_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  int fd() const noexcept { return fd_; }
  const ConnectionInfo& info() const noexcept { return info_; }

  // Bytes arrived: parsed now, or held while the output backlog is over the high-water mark.
  // `data` is only used during the call.
  void receive(std::string_view data) noexcept;

  // The peer will send nothing more (EOF). The connection finishes once the requests it sent
  // are answered and the output is sent.
  void peer_closed() noexcept { peer_closed_ = true; }

  // Requests were left undecoded for fairness (-R); resume() decodes the next batch.
  bool yielded() const noexcept { return yielded_; }
  void resume() noexcept;

  // Waiting for a request (-o idle_timeout may close it): nothing to send, nothing held back,
  // not watching (memcached hands watchers to its logger thread, out of the idle check).
  bool idle() const noexcept {
    return !has_unsent() && !paused_ && !yielded_ && !session_.watching();
  }

  // `watch`: the engine pumps log lines into this connection (below) until it closes.
  bool watching() const noexcept { return session_.watching(); }
  // A watcher with nothing unsent takes the log lines waiting for it (up to kLogChunk); true
  // when it has something to send now. A watcher whose client does not read takes nothing,
  // and the log drops its lines (memcached's "skipped").
  bool pump_log() noexcept;

  // Why it closes, in `watch connevents` words (at close time).
  proto::CloseReason close_reason() const noexcept;

  // -vvv: the connection is about to close (before memcached's "connection closed." line),
  // and has closed (after it).
  void trace_closing() noexcept {
    if (proto::StateTrace* trace = state_trace()) trace->closing();
  }
  void trace_closed() noexcept {
    if (proto::StateTrace* trace = state_trace()) trace->closed();
  }

  // Whether the engine should be reading: not paused by backlog, not closing, peer open.
  bool wants_input() const noexcept {
    return !paused_ && !peer_closed_ && !session_.should_close() && !broken_;
  }

  bool has_unsent() const noexcept {
    return plain_unsent_left() ||
           (tls_ && (cipher_sent_ < cipher_.size() || tls_->pending_ciphertext() != 0));
  }

  // Whether the engine should send this turn. A connection that yielded (-R) holds its output
  // back until its held requests are decoded, up to kYieldedHoldLimit: a deep pipeline's
  // replies to one read then leave in one send rather than one per reqs_per_event requests
  // (each send costs the kernel, and wakes the client, whatever its size). -R still bounds how
  // long the other connections wait; a long pipeline's replies still stream, 16 KiB at a time.
  // Engines ask ConnectionTable::send_due, which also covers stopping (no resume then). A
  // connection closed as broken (input past every request size limit, a TLS failure) sends
  // nothing more, its held output included.
  bool send_due() const noexcept {
    return has_unsent() && (!yielded_ || backlog() >= kYieldedHoldLimit);
  }

  // The bytes to send next, as at most kMaxIovecs iovecs (never empty when has_unsent());
  // the iovecs and the memory they point at stay valid and unchanged until sent() is called,
  // even if more output is produced meanwhile (io_uring reads them asynchronously).
  std::span<const iovec> unsent() noexcept;

  // `n` bytes of unsent() went out (any n up to their total, across iovec boundaries). Slices
  // fully sent are unpinned. May resume held input once the backlog has drained.
  void sent(size_t n) noexcept;

  // Nothing more will happen on this connection: close it now.
  bool finished() const noexcept {
    return broken_ ||
           (((peer_closed_ && !yielded_) || session_.should_close()) && !paused_ && !has_unsent());
  }

  size_t backlog() const noexcept {
    return sending_.size() - sent_ + output_.size() + (cipher_.size() - cipher_sent_);
  }

  // Bytes of buffer memory this connection holds (what an idle connection costs).
  size_t buffer_memory() const noexcept {
    return input_.capacity() + output_.bytes.capacity() + sending_.bytes.capacity() +
           cipher_.capacity();
  }

 private:
  // The byte flow between the engine (or, with TLS, the TlsChannel) and the session.
  void receive_plain(std::string_view data) noexcept;
  bool plain_unsent_left() const noexcept { return sent_ < sending_.size() || !output_.empty(); }
  std::span<const iovec> plain_unsent() noexcept;
  void plain_sent(size_t n) noexcept;
  // TLS: ciphertext received; the next ciphertext to send; n bytes of it sent.
  void receive_tls(std::string_view data) noexcept;
  std::span<const iovec> tls_unsent() noexcept;
  void encrypt_output() noexcept;

  void process_pending() noexcept;
  void consume_direct(std::string_view data) noexcept;
  void prepare_output() noexcept;
  void update_pause() noexcept;
  void refill_budget() noexcept;
  void yield() noexcept;
  void check_boundary() noexcept;
  // `stats conns`: an event's requests are being answered; then, what it waits for.
  void begin_event() noexcept;
  void publish_state() noexcept;
  // Closes every event that ran requests (a read, a resume, a drained backlog).
  void end_event() noexcept;
  // The log the session reports to: trace_ at -vv, else none.
  proto::RequestLog* request_log() noexcept;
  // sending_ is cut into pieces: even piece 2i = the bytes before slice i (after slice i - 1),
  // odd piece 2i + 1 = slice i; 2k + 1 pieces for k slices.
  size_t piece_count() const noexcept { return 2 * sending_.slices.size() + 1; }
  std::string_view piece(size_t p) const noexcept;

  // -vvv: memcached's state machine for this connection, or null below verbosity 3.
  proto::StateTrace* state_trace() noexcept { return trace_.state_trace(); }

  // -vv: each request and its reply on stderr, as memcached prints them; -vvv: its state
  // transitions and lookups too (proto/state_trace.h).
  class TraceLog final : public proto::RequestLog {
   public:
    // `verbosity` is the server's (it outlives the log).
    TraceLog(int fd, const std::atomic<int>& verbosity) noexcept
        : fd_(fd), verbosity_(verbosity), state_trace_(fd, *this) {}
    void request(std::string_view line) noexcept override;
    void reply(std::string_view line) noexcept override;
    void note(std::string_view line) noexcept override;
    // As memcached checks its verbosity at each transition: a `verbosity` command takes
    // effect at once.
    proto::StateTrace* state_trace() noexcept override {
      return verbosity_.load(std::memory_order_relaxed) > 2 ? &state_trace_ : nullptr;
    }

   private:
    int fd_;
    const std::atomic<int>& verbosity_;
    proto::StateTrace state_trace_;
  };

  int fd_;
  proto::Worker& worker_;
  BufferPool& pool_;
  proto::Session session_;
  InputBuffer input_;       // partial request, or input held while paused
  proto::Output output_;    // responses not yet handed to the engine
  proto::Output sending_;   // handed to the engine by unsent(); stable until sent
  size_t sent_ = 0;         // bytes of sending_ (slices included) already sent
  size_t piece_ = 0;        // the first piece of sending_ not wholly sent
  size_t piece_sent_ = 0;   // bytes of it sent
  std::vector<iovec> iov_;  // what unsent() returned
  bool paused_ = false;
  bool peer_closed_ = false;
  bool broken_ = false;  // input without a request boundary beyond any legal size
  bool yielded_ = false;
  std::unique_ptr<TlsChannel> tls_;  // -Z listeners' connections only
  std::string cipher_;               // TLS records being sent (stable until sent)
  size_t cipher_sent_ = 0;           // bytes of cipher_ already sent
  ConnectionInfo info_;
  TraceLog trace_;
};

}  // namespace cuckood::net
