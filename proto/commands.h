// The command layer: memcached's semantics for every command, shared by the text, meta and
// binary codecs. A codec decodes a request, calls one of these, and encodes the outcome in its
// own words (text: "STORED"/"EXISTS"..., binary: status codes). Semantics and statistics live
// here only, so the protocols cannot drift apart, and no codec touches the cache: each rule is
// a cache::Mutation (commands.cc) over the cache's storage primitives.
//
// Threading: called on the worker's own thread with its Worker. Keys are at most
// kMaxKeyLength bytes (the codecs check; they own the error wording). `exptime` arguments are
// as the client sent them (relative or absolute, see cache/expiry.h).
//
// Settings that change the rules, as in memcached:
// - -C (Settings::cas_enabled false): items have no cas. Every cas a client is shown (item
//   views, StoreResult, ArithResult) is 0; a delete's or incr's cas is compared with 0 (any
//   non-zero one is kExists); a store's cas is dropped, so a `cas` never matches. The cache
//   still issues uniques (its updates rely on them): this layer hides them.
// - -M (Settings::evictions false) is the cache's (CacheConfig::evict): a store it cannot make
//   room for ends kNoMemory here.
// - -F (flush_enabled false): flush_all is refused. -X (dump_enabled false): see dump_allowed.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cache/function_ref.h"
#include "cache/types.h"
#include "proto/command_results.h"
#include "proto/hot_keys.h"
#include "proto/worker.h"

namespace cuckood::proto {

// Marks the meta commands keep on an item (cache::ItemView::marks), as memcached's item flags.
namespace item_marks {
// md I, or ms I with an older cas: the value is stale; mg shows X, and the first client to
// see it since it became stale wins the right to recache it (W).
inline constexpr cache::Marks kStale = 1;
// A client was told to recache the item (mg W); others see Z until a new version replaces it.
inline constexpr cache::Marks kWinSent = 2;
// Stored by ms with a base64 key (b): mg's k and me show the key base64-encoded.
inline constexpr cache::Marks kBinaryKey = 4;
}  // namespace item_marks

// The requests of one read are about to look `keys` up (proto/request_keys.h found them):
// hashes them and starts loading the memory those look-ups touch (proto/prefetched_keys.h).
// Counts nothing and changes no reply; a batch of fewer than two keys has no misses to overlap
// and only clears the batch before.
void prefetch(Worker& w, std::span<const std::string_view> keys) noexcept;

// get/gets/getk (counts cmd_get, get_hits/get_misses).
bool get(Worker& w, std::string_view key, cache::ItemVisitor visit) noexcept;

// me (meta debug): shows the live item without recording an access, as memcached's
// DONT_UPDATE lookup; counts only cmd_meta (memcached 1.6.18 counts nothing else there).
bool peek(Worker& w, std::string_view key, cache::ItemVisitor visit) noexcept;

// gat/gats/GAT: counted as touches only (cmd_touch, touch_hits/touch_misses), as memcached 1.6
// counts them (mg with T counts otherwise: see meta_get).
bool get_and_touch(Worker& w, std::string_view key, int64_t exptime,
                   cache::ItemVisitor visit) noexcept;

// mg: memcached's meta get with its item-changing flags. T (new deadline), N (vivify on miss:
// an empty item whose creator wins, W) and R (win when the remaining lifetime is below R) are
// applied in the order the request names them, as memcached does: an R after a T judges the
// new deadline. A stale item hands a win to the first client that sees it; a win is handed out
// once per item version (later clients see Z), decided atomically. A read of a fresh item
// without T or N writes nothing shared; the win, T and N go through one atomic cache update.
// Counts as memcached: a hit as a touch with T (cmd_touch, touch_hits), else as a get hit (a
// vivified item too); a miss as a get miss.
enum class MetaGetStep : uint8_t { kTouch, kVivify, kRecache };
struct MetaGetArgs {
  std::string_view key;
  std::array<MetaGetStep, 3> steps{};  // the first step_count, in request order
  size_t step_count = 0;
  int64_t touch_exptime = 0;   // T
  int64_t vivify_exptime = 0;  // N
  int64_t recache_below = 0;   // R, an exptime: wins while the item's deadline is before it
  bool record_access = true;   // false (meta u): the item's fetched and last access stay
};
// What mg shows of a hit. `item` is the item after this request's changes, except that its
// fetched and last-access state are as before it (meta h and l); `exptime_before` is its
// deadline before T or N applied (a t named before them shows that one).
struct MetaGetHit {
  const cache::ItemView& item;
  cache::Time exptime_before = 0;
  bool created = false;   // N created it
  bool won = false;       // W: this client is to recache it
  bool win_sent = false;  // Z: another client already won
  bool stale = false;     // X
};
using MetaGetVisitor = FunctionRef<void(const MetaGetHit&)>;
bool meta_get(Worker& w, const MetaGetArgs& args, MetaGetVisitor visit) noexcept;

// What a store that carries a cas does with it, as memcached: set and replace compare it like
// `cas` (and count as cas); append and prepend compare it themselves; add ignores it in text
// and meta, while in the binary protocol any cas turns Add into a compare-and-swap as well.
// Under -C memcached drops a binary request's cas (it copies it into the new item, which has
// no cas), so kCompared changes no mode; meta's C flag still makes set/replace a cas.
enum class CasOnAdd { kIgnored, kCompared };
StoreMode mode_with_cas(const Worker& w, StoreMode mode, CasOnAdd on_add) noexcept;

// Which command family a request comes from, where memcached 1.6.18 accounts the two apart:
// `stats detail` counts classic text and binary requests only; an ms refused for size removes
// the old item in every mode (classic: a set's only); a cas mismatch of md counts as a delete
// miss (the binary delete's counts nothing).
enum class Family { kClassic, kMeta };

// set/add/replace/append/prepend/cas. Values larger than the item limit are refused with
// kTooLarge and, as memcached does, any existing item under the key is removed; so is it when
// a kSet finds no memory (kNoMemory: a full cache under -M).
//
// Meta's ms adds two options. `invalidate` (I): a kCas whose cas is non-zero and older than the
// item's stores anyway, as a stale value that keeps the item's deadline and win state (counted
// as a cas hit). `binary_key` (b): the item remembers that its key came base64-encoded (not for
// append/prepend, whose joined item memcached builds afresh). `vivify` (N in append or prepend
// mode, from memcached releases after 1.6.18): a miss stores the value as a new item with the
// request's flags and `exptime` (the caller passes N's TTL), whatever cas the request carries.
// `family` is kMeta for every ms.
struct MetaStoreOptions {
  bool invalidate = false;
  bool binary_key = false;
  bool vivify = false;
  Family family = Family::kClassic;
};
StoreResult store(Worker& w, StoreMode mode, std::string_view key, uint32_t flags, int64_t exptime,
                  std::string_view value, uint64_t cas, MetaStoreOptions meta = {}) noexcept;

// Whether a value of `value_size` bytes could ever be stored under a key of `key_size` bytes.
// Codecs use it to refuse a too-large value before its bytes arrive, then call refuse_too_large.
bool fits(const Worker& w, size_t key_size, size_t value_size) noexcept;

// Accounts a store refused for size and removes the item under `key` as memcached does, so that
// a client does not read the value the failed store meant to replace (Family says when).
void refuse_too_large(Worker& w, StoreMode mode, std::string_view key, Family family) noexcept;

// delete; a `cas`, when given, must match the item's, 0 included (meta's md C0: memcached
// answers EX unless cas is off, where every item shows 0; the binary protocol's 0 means none,
// so its codec gives no cas then). Counted as `family` is (Family).
DeleteStatus remove(Worker& w, std::string_view key, std::optional<uint64_t> cas,
                    Family family = Family::kClassic) noexcept;

// md I: marks the item stale instead of removing it (a new cas, the win token free again),
// with a new deadline if `exptime` is given; a `cas`, when given, must match. kStored when marked,
// kNotFound, kExists, or kNoMemory when no room could be made for the stale copy (memcached
// marks in place; only a full cache under -M refuses). Counts a miss or a cas mismatch as a
// delete miss, and a success as nothing, as memcached does.
StoreStatus invalidate(Worker& w, std::string_view key, std::optional<uint64_t> cas,
                       std::optional<int64_t> exptime) noexcept;

struct ArithArgs {
  std::string_view key;
  uint64_t delta = 0;
  bool increment = true;
  uint64_t cas = 0;
  bool create = false;  // binary and meta N: store `initial` when absent...
  uint64_t initial = 0;
  int64_t exptime = 0;  // ...with this exptime
  // meta T: an existing item's exptime becomes this, in the same atomic step as the arithmetic
  // (a created one takes `exptime`).
  std::optional<int64_t> new_exptime;
};
// incr/decr; the result carries the item's new value, cas and deadline.
ArithResult arith(Worker& w, const ArithArgs& args) noexcept;

bool touch(Worker& w, std::string_view key, int64_t exptime) noexcept;

// touch that also shows the touched item to `visit` (the binary Touch answers with the item's
// flags and cas). Counts as touch only, like the overload above.
bool touch(Worker& w, std::string_view key, int64_t exptime, cache::ItemVisitor visit) noexcept;

// Where flush_all counts cmd_flush, as memcached does: its text protocol counts every
// flush_all line (one refused by -F or with a malformed delay too), its binary protocol only a
// flush carried out.
enum class FlushCount : uint8_t { kEveryRequest, kWhenFlushed };

// flush_all [delay]: the delay follows the exptime rule (0 = now); nullopt when the client's
// was malformed (kBadDelay). Under -F every flush is refused (kDisabled), before the delay is
// looked at. Under -C a flush also takes what is stored in the rest of the second it takes
// effect in, as memcached's does.
FlushStatus flush_all(Worker& w, std::optional<int64_t> delay, FlushCount count) noexcept;

// flush_all with an absolute time at or before the server started (memcached's realtime()
// maps it to its first second, so its oldest_live becomes 0): a pending delayed flush is
// withdrawn and nothing is flushed. True if `delay` is such a time.
bool flush_cancels(const Worker& w, int64_t delay) noexcept;

// Whether the item dump commands (`stats cachedump`, `lru_crawler metadump`) may run: not
// under -X.
bool dump_allowed(const Worker& w) noexcept;

// cache_memlimit <megabytes>, as memcached's process_memlimit_command.
enum class MemlimitStatus { kOk, kTooSmall, kNotMegabytes, kFailed };
MemlimitStatus set_memory_limit(Worker& w, uint64_t megabytes) noexcept;

// lru_crawler crawl <"all" | class ids separated by commas>: reclaims the dead items of those
// classes in the background (Cache::start_crawl); lru_crawler_running says when it is done.
enum class CrawlStatus { kOk, kDisabled, kBusy, kBadClass, kError };
CrawlStatus start_crawl(Worker& w, std::string_view classes) noexcept;
// The size classes (bit id-1 for class id) of a crawl or metadump argument: "all" and "hash"
// every class, else class ids 1..63 separated by commas; false on anything else (BADCLASS).
bool parse_class_list(std::string_view spec, uint64_t& mask) noexcept;

// Every live item of the classes in `class_mask`, for the dumps (metadump, cachedump): the
// index is walked in short critical sections, so writers are never held back for long; an
// item moved by a concurrent writer may be missed or seen twice. `visit` returns false to
// stop. Records no access.
using DumpVisitor = FunctionRef<bool(const cache::ItemView&, const cache::WalkedItem&)>;
void dump_items(Worker& w, uint64_t class_mask, DumpVisitor visit) noexcept;

// Sets the verbosity of every connection; levels above memcached's MAX_VERBOSITY_LEVEL (2) are
// clamped to it, not refused (-vvv's level 3 is for the command line only, as in memcached).
void set_verbosity(Worker& w, uint32_t level) noexcept;

// Emits the statistics of `group` ("" = general, "settings", "items", "slabs", "sizes") as
// name/value pairs in memcached's order, or cuckood's own "index" group (the key index:
// index_buckets, index_slots, index_bytes, index_growths, index_growing; memcached's general
// hash_* keys describe it too). Returns false for an unknown group.
// `stats reset` is reset_stats().
using StatSink = FunctionRef<void(std::string_view name, std::string_view value)>;
bool collect_stats(Worker& w, std::string_view group, StatSink sink);
void reset_stats(Worker& w) noexcept;

// `stats conns` (text only: memcached's binary Stat does not know the group): per connection
// and listening socket, by fd, "<fd>:addr", "<fd>:listen_addr" (connections), "<fd>:state"
// and "<fd>:secs_since_last_cmd", from ServerState::connections.
void collect_connection_stats(Worker& w, StatSink sink);

// stats detail on|off|dump: per-prefix counts (proto/detail_stats.h) while on; the dump is
// memcached's text ("PREFIX ..." lines and END).
void set_detail(Worker& w, bool on) noexcept;
std::string detail_dump(Worker& w);
// `stats hotkeys [N]`: the `n` keys read most in the last complete interval, merged over the
// workers, with their estimated reads (proto/hot_keys.h).
std::vector<HotKey> hot_keys(Worker& w, size_t n);
// The group as both protocols answer it: hotkeys_interval, hotkeys_sample_every, then
// "key:<key>" with its estimated reads, most read first. `count` is N as the client wrote it
// (memcached's unsigned parsing; empty: 10); false, and nothing emitted, if it is no number.
bool collect_hot_key_stats(Worker& w, std::string_view count, StatSink sink);

// `stats settings` oldest: memcached's oldest_live, seconds from its process start to the
// last flush_all's cutoff (0: none).
uint64_t oldest_live(const Worker& w) noexcept;

// `debugtime <seconds>|p|r` (memcached-debug's test aid): shifts the server clock, pauses or
// resumes it. false (and nothing changes) unless --debug-time was given. This worker sees the
// new time at once, the others from their next event-loop turn.
enum class DebugTime { kShift, kPause, kResume };
bool debug_time(Worker& w, DebugTime op, int64_t seconds) noexcept;

// `shutdown`: true if honoured (-A given); the net layer then stops the server.
bool request_shutdown(Worker& w) noexcept;

}  // namespace cuckood::proto
