// See connection.h. The common case — a recv buffer holding whole requests, nothing pending —
// parses straight out of the kernel-filled buffer; only a partial request's tail is copied.
#include "net/connection.h"

#include <algorithm>
#include <atomic>
#include <cstdint>

#include "net/log.h"

namespace cuckood::net {

namespace {
// Input this far past the largest legal request without a request boundary is not a client
// speaking the protocol; the decoders refuse long lines well before.
constexpr size_t kRequestSlack = 64 * 1024;
constexpr size_t kTraceBytes = 200;
constexpr size_t kNoteBytes = 512;
// Held input is offered to the parser this much at a time (see process_pending).
constexpr size_t kProcessSlice = 16 * 1024;
// TLS's largest record payload: plaintext per SSL_write when -o ssl_wbuf_size is 0.
constexpr size_t kMaxTlsRecord = 16 * 1024;
}  // namespace

void Connection::receive(std::string_view data) noexcept {
  if (tls_) {
    receive_tls(data);
  } else {
    receive_plain(data);
  }
}

// bytes_read and bytes_written count plaintext, as memcached counts what SSL_read and
// SSL_write return.
void Connection::receive_plain(std::string_view data) noexcept {
  worker_.stats.bytes_read.add(data.size());
  if (session_.should_close() || broken_) return;  // memcached ignores input after quit/errors
  begin_event();
  refill_budget();
  if (proto::StateTrace* trace = state_trace()) trace->data_arrived();
  if (paused_ || !input_.empty()) {
    input_.append(data, session_.bytes_wanted());
    if (!paused_) process_pending();
  } else {
    consume_direct(data);
  }
  end_event();
}

// After an event's requests: pause or not by the backlog, publish what the connection now
// waits for, and (-vvv) report the read answered unless some requests wait for the
// connection's next turn.
void Connection::end_event() noexcept {
  update_pause();
  publish_state();
  proto::StateTrace* trace = state_trace();
  if (trace != nullptr && !yielded_ && !paused_) {
    trace->read_done(session_.input_left(!input_.empty()));
  }
}

void Connection::begin_event() noexcept {
  info_.set_state(ConnState::kParseCmd);
  info_.set_last_cmd(worker_.ctx.now());
}

void Connection::publish_state() noexcept {
  ConnState state = ConnState::kRead;
  if (session_.watching()) {
    state = ConnState::kWatch;
  } else if (session_.should_close() || broken_) {
    state = ConnState::kClosing;
  } else if (paused_) {
    state = ConnState::kMwrite;
  } else if (session_.bytes_wanted() != 0) {
    state = ConnState::kNread;
  }
  info_.set_state(state);
}

bool Connection::pump_log() noexcept {
  if (!session_.watching() || has_unsent()) return false;
  return session_.drain_watch(output_, kLogChunk) != 0;
}

proto::CloseReason Connection::close_reason() const noexcept {
  if (broken_) return proto::CloseReason::kError;
  if (session_.should_close() && !session_.closed_by_quit()) return proto::CloseReason::kError;
  return proto::CloseReason::kNormal;  // quit, or the client ended its side
}

// An empty output string about to receive responses takes a spare large buffer when the worker
// has one: a large value then goes into memory already mapped instead of a fresh allocation
// (and its regrowth) per response. Small responses merely borrow it until sent.
// The session stops decoding once the backlog passes kHighWater (the pause then holds the
// rest), so requests that each produce megabytes cannot take the backlog far past it.
void Connection::prepare_output() noexcept {
  if (output_.empty() && output_.bytes.capacity() <= kKeepOutputCapacity && !pool_.empty()) {
    output_.bytes = pool_.take();
  }
  const size_t unsent = backlog() - output_.size();  // ciphertext too, under TLS
  session_.set_output_limit(unsent < kHighWater ? kHighWater - unsent : 0);
}

proto::RequestLog* Connection::request_log() noexcept {
  return worker_.server.verbosity.load(std::memory_order_relaxed) < 2 ? nullptr : &trace_;
}

void Connection::consume_direct(std::string_view data) noexcept {
  prepare_output();
  const size_t consumed = session_.process(data, output_, request_log());
  if (consumed < data.size() && !session_.should_close()) {
    input_.append(data.substr(consumed), session_.bytes_wanted());
    if (session_.request_budget() == 0) yield();
  }
}

// A new event: a fresh budget of -R requests, and whatever yielded before is decoded under it.
void Connection::refill_budget() noexcept {
  const int per_event = worker_.settings.reqs_per_event;
  session_.set_request_budget(per_event > 0 ? static_cast<size_t>(per_event) : SIZE_MAX);
  yielded_ = false;
}

void Connection::yield() noexcept {
  yielded_ = true;
  worker_.stats.conn_yields.add();
}

void Connection::resume() noexcept {
  if (!yielded_ || session_.should_close() || broken_) return;
  begin_event();
  refill_budget();
  process_pending();
  end_event();
}

// Held input is parsed a slice at a time, re-checking the backlog in between: input held while
// paused (up to a buffer ring's worth under io_uring) must not turn into an unbounded burst of
// output when the connection resumes.
void Connection::process_pending() noexcept {
  while (!input_.empty() && !paused_ && !session_.should_close()) {
    if (session_.request_budget() == 0) {
      yield();
      return;
    }
    const size_t wanted = session_.bytes_wanted();
    if (wanted != 0 && input_.size() < wanted) return;
    size_t slice = wanted > kProcessSlice ? wanted : kProcessSlice;
    size_t consumed;
    prepare_output();
    for (;;) {
      const std::string_view offered = input_.view().substr(0, slice);
      consumed = session_.process(offered, output_, request_log());
      if (consumed > 0 || slice >= input_.size()) break;
      slice *= 2;  // a request longer than the slice: offer more of it
    }
    input_.consume(consumed);
    if (consumed == 0) {
      check_boundary();
      return;
    }
    update_pause();
  }
}

void Connection::check_boundary() noexcept {
  const size_t limit = worker_.settings.max_item_size + kRequestSlack;
  if (session_.bytes_wanted() == 0 && input_.size() > limit) {
    broken_ = true;
    if (worker_.server.verbosity.load(std::memory_order_relaxed) > 0) {
      log_line("<%d no request boundary in %zu bytes; closing", fd_, input_.size());
    }
  }
}

void Connection::update_pause() noexcept {
  if (!paused_ && backlog() > kHighWater) paused_ = true;
}

std::string_view Connection::piece(size_t p) const noexcept {
  const auto& slices = sending_.slices;
  const size_t i = p / 2;
  if (p % 2 == 1) return {slices[i].data, slices[i].size};
  const size_t begin = i == 0 ? 0 : slices[i - 1].offset;
  const size_t end = i < slices.size() ? slices[i].offset : sending_.bytes.size();
  return std::string_view(sending_.bytes).substr(begin, end - begin);
}

std::span<const iovec> Connection::unsent() noexcept {
  return tls_ ? tls_unsent() : plain_unsent();
}

void Connection::sent(size_t n) noexcept {
  if (!tls_) {
    plain_sent(n);
    return;
  }
  cipher_sent_ += n;
  if (cipher_sent_ == cipher_.size()) {
    cipher_.clear();
    cipher_sent_ = 0;
    if (cipher_.capacity() > kKeepOutputCapacity) pool_.give(cipher_);
  }
}

std::span<const iovec> Connection::plain_unsent() noexcept {
  if (sent_ == sending_.size()) {
    sending_.clear();  // every slice was released as it went out
    sending_.swap(output_);
    sent_ = 0;
    piece_ = 0;
    piece_sent_ = 0;
    if (output_.bytes.capacity() > kKeepOutputCapacity) pool_.give(output_.bytes);
  }
  iov_.clear();
  size_t skip = piece_sent_;
  for (size_t p = piece_; p < piece_count() && iov_.size() < kMaxIovecs; ++p, skip = 0) {
    const std::string_view bytes = piece(p);
    if (bytes.size() > skip) {
      iov_.push_back({const_cast<char*>(bytes.data()) + skip, bytes.size() - skip});
    }
  }
  return iov_;
}

void Connection::plain_sent(size_t n) noexcept {
  worker_.stats.bytes_written.add(n);
  sent_ += n;
  // Advance over whole pieces (releasing each slice once its last byte is out), then into the
  // piece the send stopped in.
  while (piece_ < piece_count()) {
    const size_t size = piece(piece_).size();
    if (piece_sent_ + n < size) {
      piece_sent_ += n;
      break;
    }
    n -= size - piece_sent_;
    if (piece_ % 2 == 1) sending_.release_slice(sending_.slices[piece_ / 2]);
    ++piece_;
    piece_sent_ = 0;
  }
  if (sent_ == sending_.size()) {
    sending_.clear();
    sent_ = 0;
    piece_ = 0;
    piece_sent_ = 0;
    if (sending_.bytes.capacity() > kKeepOutputCapacity) pool_.give(sending_.bytes);
  }
  if (paused_ && backlog() <= kLowWater) {
    paused_ = false;
    begin_event();
    refill_budget();
    process_pending();
    end_event();
  }
}

// A failed handshake or a protocol error closes the connection at once, sending nothing (a
// plaintext client on a TLS port gets no answer); close_notify is the peer's end of input.
void Connection::receive_tls(std::string_view data) noexcept {
  if (session_.should_close() || broken_) return;
  const TlsChannel::Status status =
      tls_->receive(data, [this](std::string_view plain) { receive_plain(plain); });
  if (status == TlsChannel::Status::kFailed) {
    broken_ = true;
    if (worker_.server.verbosity.load(std::memory_order_relaxed) > 0) {
      log_line("<%d TLS error; closing", fd_);
    }
  } else if (status == TlsChannel::Status::kClosed) {
    peer_closed_ = true;
  }
  publish_state();
}

// The ciphertext handed out stays untouched until all of it is sent; only then is the next
// batch encrypted (handshake records first), so the engine's iovec stays valid.
std::span<const iovec> Connection::tls_unsent() noexcept {
  if (cipher_sent_ == cipher_.size()) {
    cipher_.clear();
    cipher_sent_ = 0;
    if (cipher_.capacity() <= kKeepOutputCapacity && !pool_.empty()) cipher_ = pool_.take();
    tls_->take_ciphertext(cipher_);
    encrypt_output();
  }
  iov_.clear();
  if (cipher_sent_ < cipher_.size()) {
    iov_.push_back({cipher_.data() + cipher_sent_, cipher_.size() - cipher_sent_});
  }
  return iov_;
}

// Plaintext is gathered into records of up to -o ssl_wbuf_size (small replies share a record)
// and encrypted until kCipherBatch bytes wait; each slice is released once encrypted.
void Connection::encrypt_output() noexcept {
  if (!tls_->handshake_done()) return;
  const size_t record =
      worker_.settings.tls.wbuf_size > 0 ? worker_.settings.tls.wbuf_size : kMaxTlsRecord;
  thread_local std::string stage;
  while (cipher_.size() < kCipherBatch && plain_unsent_left() && !broken_) {
    size_t taken = 0;
    for (const iovec& v : plain_unsent()) {
      std::string_view bytes(static_cast<const char*>(v.iov_base), v.iov_len);
      while (!bytes.empty()) {
        const size_t n = std::min(bytes.size(), record - stage.size());
        stage.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        taken += n;
        if (stage.size() == record) {
          broken_ = !tls_->send(stage);
          stage.clear();
        }
      }
    }
    if (!stage.empty()) broken_ = broken_ || !tls_->send(stage);
    stage.clear();
    plain_sent(taken);
    tls_->take_ciphertext(cipher_);
  }
}

// -vv: memcached's "<fd request" and ">fd reply" lines, data blocks left out by the codec.
void Connection::TraceLog::request(std::string_view line) noexcept {
  log_line("<%d %s", fd_, printable(line, kTraceBytes).c_str());
}

void Connection::TraceLog::reply(std::string_view line) noexcept {
  log_line(">%d %s", fd_, printable(line, kTraceBytes).c_str());
}

// Notes name keys, which memcached prints whole.
void Connection::TraceLog::note(std::string_view line) noexcept {
  log_line("%s", printable(line, kNoteBytes).c_str());
}

}  // namespace cuckood::net
