// What both I/O engines keep about their connections, whatever moves the bytes: the records by
// slot (a small integer the engine stores in its io_uring user_data or epoll_event), the list
// of slots with work for the end of the loop turn, closing, and the stop. The engine files add
// only how bytes move (io_uring submissions and completions, epoll readiness) and decide when a
// connection may be closed.
//
// A loop turn: the engine services every scheduled slot (its one send of the turn, read
// interest, closing), asks whether the loop is done, waits at most wait_timeout() for events,
// and schedules each slot an event touched.
//
// Closing a slot releases the connection from the -c count (logging at -v), closes its fd and
// destroys its Connection, which unpins the item memory its unsent output still holds; only
// then is the slot reused, so a late event for it cannot reach another connection as long as
// the engine closes no slot with a request in flight.
//
// Stop: reading ends, every connection is serviced once more and closed once its output is
// sent (done()); the loop ends when none is left or kDrainTimeout has passed, and the table's
// destructor closes whatever remains.
//
// Yields (-R): a connection that stopped decoding for fairness is noted when serviced and
// resumed by resume_yielded(), which the engine calls after handling the next wait's events;
// meanwhile the wait does not block, and its small output waits too (send_due).
//
// Idle clients (-o idle_timeout): each connection's last event time is kept (a clock read per
// event, only when the option is on); about once a second the table closes connections idle
// longer than the timeout that are waiting for a request (memcached's idle_kicks).
//
// Watchers (`watch`): a connection that became one is listed; at the start of each turn the
// table pumps log lines into those with nothing unsent (Connection::pump_log) and schedules
// them, and while any is listed the wait lasts at most kWatchPoll. Log lines thus reach a
// watcher within a poll period, without any wake-up on the producers' side.
//
// Idle ticks: when a wait passes kIdleTick with no event, idle_tick() frees the worker's
// spare buffers and, when large buffers were freed since the last one, asks glibc to hand free
// heap pages back (malloc_trim).
//
// The table also keeps its worker's ConnectionBook (`stats conns`) and raises `watch
// connevents` entries as connections are admitted and closed.
//
// Threading: used by its worker's thread only, and destroyed on it while its WorkerState (the
// cache context that pins belong to) exists.
#pragma once

#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "cache/sanitizer.h"
#include "net/buffer_pool.h"
#include "net/conn_events.h"
#include "net/connection.h"
#include "net/engine.h"
#include "net/listener.h"
#include "net/worker_state.h"

namespace cuckood::net {

// While draining, how often the loop wakes to check the deadline.
inline constexpr std::chrono::milliseconds kDrainPoll{20};
// While a connection watches the log, how often the loop looks for new lines.
inline constexpr std::chrono::milliseconds kWatchPoll{10};

// The part of an engine's connection record the table uses; an engine derives its record
// (Entry below) from it and adds the state of its own I/O.
struct ConnectionEntry {
  ConnectionEntry(int fd, proto::Worker& worker, BufferPool& pool, const Listener& listener)
      : conn(fd, worker, pool, listener.protocol, listener.unix_socket, listener.tls.get()) {}
  Connection conn;
  bool queued = false;          // in the end-of-turn list
  bool aborted = false;         // reset or I/O error, or idle too long: close without sending
  bool idle_kicked = false;     // closed by -o idle_timeout
  bool watcher_listed = false;  // in the table's list of watchers
  PeerName peer;                // for `watch connevents`: known once an entry needed it
  std::chrono::steady_clock::time_point last_event;  // only kept with -o idle_timeout
};

template <class Entry>
class ConnectionTable {
 public:
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  explicit ConnectionTable(WorkerState& state) noexcept
      : state_(state), idle_timeout_(std::chrono::seconds(state.env().settings.idle_timeout)) {}
  // Closes every connection still open (see Stop above).
  ~ConnectionTable();
  ConnectionTable(const ConnectionTable&) = delete;
  ConnectionTable& operator=(const ConnectionTable&) = delete;

  // A freshly accepted `fd`, from `listener`: admitted against -c (WorkerState::admit) and
  // given a slot, which is returned; or refused and closed, kNoSlot.
  uint32_t admit(int fd, const Listener& listener) noexcept;

  // The record in an open slot.
  Entry& operator[](uint32_t slot) noexcept { return *entries_[slot]; }

  // Queues an open slot for the end of the turn, once however often it is called.
  void schedule(uint32_t slot) noexcept;

  // Calls service(slot) once for each slot queued since the last call, in the order queued
  // (first closing idle clients, see above). `service` may close its slot; it must not
  // schedule.
  template <class Service>
  void service_scheduled(Service&& service) noexcept;

  // Resumes the connections that yielded when last serviced (see above) and schedules them.
  void resume_yielded() noexcept;

  // Whether a connection has nothing more to do as far as its bytes go: aborted, finished,
  // or, once stopping, everything sent. (The engine may still have to wait for its I/O.)
  bool done(const Entry& e) const noexcept {
    return e.aborted || e.conn.finished() || (stopping_ && !e.conn.has_unsent());
  }

  // Whether the engine sends e's output this turn: when Connection::send_due says so, and
  // whatever is unsent once stopping (yielded connections are no longer resumed then).
  bool send_due(const Entry& e) const noexcept {
    return stopping_ ? e.conn.has_unsent() : e.conn.send_due();
  }

  // Releases and closes the connection in an open slot and frees the slot.
  void close(uint32_t slot) noexcept;

  // The stop signal fired: services every connection once more and starts the drain clock.
  // The engine stops accepting, and stops reading while stopping().
  void begin_stop() noexcept;
  bool stopping() const noexcept { return stopping_; }

  // Whether the loop should end: stopping, and every connection closed or the drain time up.
  bool drained() const noexcept {
    return stopping_ && (open_ == 0 || std::chrono::steady_clock::now() >= drain_deadline_);
  }

  // The loop waited a whole kIdleTick with no event (see above): a burst's memory does not
  // stay with an idle server.
  void idle_tick() noexcept {
    if (pool_.release_all()) trim_heap();
  }

  // The longest the loop may wait for events: kIdleTick, while draining kDrainPoll, while
  // someone watches kWatchPoll, and not at all while a yielded connection waits to be resumed.
  std::chrono::milliseconds wait_timeout() const noexcept {
    if (!yielded_.empty()) return std::chrono::milliseconds(0);
    if (stopping_) return kDrainPoll;
    return watchers_.empty() ? kIdleTick : kWatchPoll;
  }

 private:
  // glibc's malloc_trim knows only glibc's heap: under a sanitizer that replaces malloc that
  // heap was never set up, and trimming it crashes, so idle ticks do not trim there.
  static void trim_heap() noexcept {
#ifndef CUCKOOD_SANITIZED
    ::malloc_trim(0);
#endif
  }

  // Leaves the book first (see net/connection_directory.h), then releases and closes the fd.
  void close_fd(Entry& e) noexcept {
    if (state_.worker().log.wants(proto::kLogConnEvents)) {
      log_conn_event(state_.worker().log, e.conn, e.peer, /*opened=*/false, close_reason(e));
    }
    state_.connections().remove(e.conn.info());
    e.conn.trace_closing();
    state_.release(e.conn.fd());
    e.conn.trace_closed();
    ::close(e.conn.fd());
  }
  proto::CloseReason close_reason(const Entry& e) const noexcept {
    if (e.idle_kicked) return proto::CloseReason::kIdleTimeout;
    if (stopping_) return proto::CloseReason::kShutdown;
    return e.aborted ? proto::CloseReason::kError : e.conn.close_reason();
  }
  void close_idle() noexcept;
  void pump_watchers() noexcept;

  WorkerState& state_;
  const std::chrono::steady_clock::duration idle_timeout_;  // zero: off
  std::chrono::steady_clock::time_point next_idle_sweep_{};
  std::vector<uint32_t> yielded_;
  std::vector<uint32_t> watchers_;
  BufferPool pool_;  // declared before the records, which give their buffers back to it
  std::vector<std::unique_ptr<Entry>> entries_;  // by slot; empty when free
  std::vector<uint32_t> free_slots_;
  std::vector<uint32_t> scheduled_;
  size_t open_ = 0;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point drain_deadline_;
};

// Implementation.

template <class Entry>
ConnectionTable<Entry>::~ConnectionTable() {
  for (auto& e : entries_) {
    if (e) close_fd(*e);
  }
}

template <class Entry>
uint32_t ConnectionTable<Entry>::admit(int fd, const Listener& listener) noexcept {
  if (!state_.admit(fd, listener.protocol)) return kNoSlot;
  uint32_t slot;
  if (free_slots_.empty()) {
    slot = static_cast<uint32_t>(entries_.size());
    entries_.emplace_back();
    state_.connections().set_slots(entries_.size());
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  entries_[slot] = std::make_unique<Entry>(fd, state_.worker(), pool_, listener);
  Entry& e = *entries_[slot];
  if (idle_timeout_.count() != 0) e.last_event = std::chrono::steady_clock::now();
  state_.connections().add(e.conn.info());
  if (state_.worker().log.wants(proto::kLogConnEvents)) {
    log_conn_event(state_.worker().log, e.conn, e.peer, /*opened=*/true, {});
  }
  ++open_;
  return slot;
}

template <class Entry>
void ConnectionTable<Entry>::schedule(uint32_t slot) noexcept {
  Entry& e = *entries_[slot];
  if (idle_timeout_.count() != 0) e.last_event = std::chrono::steady_clock::now();
  if (e.queued) return;
  e.queued = true;
  scheduled_.push_back(slot);
}

template <class Entry>
template <class Service>
void ConnectionTable<Entry>::service_scheduled(Service&& service) noexcept {
  if (idle_timeout_.count() != 0 && !stopping_) close_idle();
  if (!watchers_.empty()) pump_watchers();
  for (const uint32_t slot : scheduled_) {
    entries_[slot]->queued = false;
    service(slot);
    Entry* e = entries_[slot].get();
    if (e == nullptr) continue;
    if (e->conn.yielded() && !stopping_) yielded_.push_back(slot);
    if (e->conn.watching() && !e->watcher_listed) {
      e->watcher_listed = true;
      watchers_.push_back(slot);
    }
  }
  scheduled_.clear();
}

template <class Entry>
void ConnectionTable<Entry>::pump_watchers() noexcept {
  // A listed slot whose entry is gone (or is a new connection in a reused slot) is dropped.
  std::erase_if(watchers_, [this](uint32_t slot) {
    Entry* e = entries_[slot].get();
    if (e == nullptr || !e->watcher_listed) return true;
    if (!done(*e) && e->conn.pump_log()) schedule(slot);
    return false;
  });
}

template <class Entry>
void ConnectionTable<Entry>::resume_yielded() noexcept {
  for (const uint32_t slot : yielded_) {
    // Closing happens only in service(), so the slot still holds the connection that yielded.
    Entry& e = *entries_[slot];
    if (done(e)) continue;
    e.conn.resume();
    schedule(slot);
  }
  yielded_.clear();
}

template <class Entry>
void ConnectionTable<Entry>::close_idle() noexcept {
  const auto now = std::chrono::steady_clock::now();
  if (now < next_idle_sweep_) return;
  next_idle_sweep_ =
      now + std::min<std::chrono::steady_clock::duration>(idle_timeout_, std::chrono::seconds(1));
  for (uint32_t slot = 0; slot < entries_.size(); ++slot) {
    Entry* e = entries_[slot].get();
    if (e == nullptr || done(*e) || now - e->last_event <= idle_timeout_ || !e->conn.idle()) {
      continue;
    }
    state_.idle_kicked(e->conn.fd());
    e->aborted = true;
    e->idle_kicked = true;
    schedule(slot);
  }
}

template <class Entry>
void ConnectionTable<Entry>::close(uint32_t slot) noexcept {
  close_fd(*entries_[slot]);
  entries_[slot].reset();
  free_slots_.push_back(slot);
  --open_;
}

template <class Entry>
void ConnectionTable<Entry>::begin_stop() noexcept {
  stopping_ = true;
  drain_deadline_ = std::chrono::steady_clock::now() + kDrainTimeout;
  for (uint32_t slot = 0; slot < entries_.size(); ++slot) {
    if (entries_[slot]) schedule(slot);
  }
}

}  // namespace cuckood::net
