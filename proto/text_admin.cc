// Server-wide commands: flush_all, version, verbosity, quit, watch, shutdown, stats, slabs,
// cache_memlimit, refresh_certs, debugtime.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "proto/commands.h"
#include "proto/settings.h"
#include "proto/slab_classes.h"
#include "proto/text_handlers.h"
#include "proto/text_numbers.h"
#include "proto/text_replies.h"
#include "proto/watch_log.h"

namespace cuckood::proto::text {

namespace {

// slabs reassign <src> <dst>: checked as memcached checks it. cuckood's items live in
// log-structured segments, not slab pages, so no class ever has a page to spare.
void slabs_reassign(TextRequest& r, const Tokens& t) noexcept {
  int32_t src = 0, dst = 0;
  if (!parse_strtol32(t[2], src) || !parse_strtol32(t[3], dst)) {
    r.out.append(kBadFormat);
    return;
  }
  // Class ids run from memcached's global page pool (0) to its largest class. memcached's src
  // -1 ("pick any class with a spare page") finds none, so stays invalid.
  const size_t largest = slab_classes(r.w.settings).size();
  const auto valid = [largest](int32_t id) {
    return id >= 0 && static_cast<size_t>(id) <= largest;
  };
  if (src == dst) {
    r.out.append(kReassignSame);
  } else if (!valid(src) || !valid(dst)) {
    r.out.append(kReassignBadClass);
  } else {
    r.out.append(kReassignNoSpare);
  }
}

// slabs automove <0|1|2> | slabs automove ratio <ratio> [noreply]: validated and acknowledged
// as memcached does; with no slab pages to move, the setting has nothing to steer.
void slabs_automove(TextRequest& r, const Tokens& t) noexcept {
  r.noreply = t.noreply();
  if (t[2] == "ratio") {
    double ratio = 0;
    if (t.count() < 4 || !parse_strtod(t[3], ratio)) {
      r.reply(kError);
      return;
    }
  } else {
    uint32_t level = 0;
    if (!parse_strtoul32(t[2], level)) {
      r.reply(kBadFormat);
      return;
    }
    if (level > 2) {
      r.reply(kError);
      return;
    }
  }
  r.reply(kOk);
}

}  // namespace

// slabs reassign|automove ...: anything else is unknown (ERROR), as in memcached.
void handle_slabs(TextRequest& r, const Tokens& t) noexcept {
  if (t.count() == 4 && t[1] == "reassign") {
    slabs_reassign(r, t);
  } else if (t.count() >= 3 && t[1] == "automove") {
    slabs_automove(r, t);
  } else {
    r.out.append(kError);
  }
}

// flush_all [delay] [noreply]
void handle_flush_all(TextRequest& r, const Tokens& t) noexcept {
  r.noreply = t.noreply();
  std::optional<int64_t> delay = 0;
  int32_t parsed = 0;
  if (t.count() != (r.noreply ? 2u : 1u)) {
    delay = parse_strtol32(t[1], parsed) ? std::optional<int64_t>(parsed) : std::nullopt;
  }
  switch (flush_all(r.w, delay, FlushCount::kEveryRequest)) {
    case FlushStatus::kFlushed:
      r.reply(kOk);
      break;
    case FlushStatus::kDisabled:
      r.reply(kFlushDisabled);
      break;
    case FlushStatus::kBadDelay:
      r.reply(kInvalidExptime);
      break;
  }
}

void handle_version(TextRequest& r, const Tokens&) noexcept {
  r.out.append(kVersionPrefix);
  r.out.append(kVersion);
  r.out.append(kCrlf);
}

void handle_verbosity(TextRequest& r, const Tokens& t) noexcept {
  r.noreply = t.noreply();
  uint32_t level = 0;
  if (!parse_strtoul32(t[1], level)) {
    r.reply(kBadFormat);
    return;
  }
  set_verbosity(r.w, level);
  r.reply(kOk);
}

// debugtime <seconds>|p|r: without --debug-time, unknown ("ERROR"), as in a memcached built
// without MEMCACHED_DEBUG.
void handle_debugtime(TextRequest& r, const Tokens& t) noexcept {
  DebugTime op = DebugTime::kShift;
  int64_t seconds = 0;
  if (t[1] == "p") {
    op = DebugTime::kPause;
  } else if (t[1] == "r") {
    op = DebugTime::kResume;
  } else if (!parse_strtoll(t[1], seconds)) {
    r.out.append(kError);
    return;
  }
  r.out.append(debug_time(r.w, op, seconds) ? kOk : kError);
}

// Closes the connection once pending replies are sent; nothing after it is read.
void handle_quit(TextRequest& r, const Tokens&) noexcept {
  r.control.close = true;
  r.control.quit = true;
}

// watch [kind...]: memcached's live log. OK, then this connection only receives log lines
// (proto/watch_log.h); the rest of its input is dropped.
void handle_watch(TextRequest& r, const Tokens& t) noexcept {
  if (!r.w.settings.watch_enabled) {
    r.out.append(kWatchDisabled);
    return;
  }
  // memcached refuses when replies of earlier pipelined requests are still unsent.
  if (r.output.size() != 0) {
    r.out.append(kWatchAfterPipeline);
    return;
  }
  const std::optional<LogFlags> flags = parse_watch_flags(t.split.span().subspan(1));
  if (!flags) {
    r.out.append(kError);
    return;
  }
  const std::optional<size_t> watcher =
      r.w.server.watch_log.attach(*flags, r.w.settings.watcher_logbuf_size);
  if (!watcher) {
    r.out.append(kWatcherTooMany);
    return;
  }
  r.out.append(kOk);
  r.control.watcher = static_cast<int>(*watcher);
}

// shutdown [graceful]: honoured only with -A; the connection closes without a reply.
void handle_shutdown(TextRequest& r, const Tokens& t) noexcept {
  if (!r.w.settings.allow_shutdown) {
    r.out.append(kShutdownDisabled);
    return;
  }
  if (t.count() == 1 || (t.count() == 2 && t[1] == "graceful")) {
    request_shutdown(r.w);
    r.control.close = true;
    return;
  }
  r.out.append(kInvalidShutdownMode);
}

// stats detail on|off|dump
void stats_detail(TextRequest& r, const Tokens& t) noexcept {
  const std::string_view action = t.count() > 2 ? t[2] : std::string_view{};
  if (action == "on" || action == "off") {
    set_detail(r.w, action == "on");
    r.out.append(kOk);
  } else if (action == "dump") {
    r.out.append(detail_dump(r.w));
  } else {
    r.out.append(kStatsDetailUsage);
  }
}

// stats [group]: "STAT <name> <value>\r\n" lines and END.
void handle_stats(TextRequest& r, const Tokens& t) noexcept {
  std::string_view group;
  if (t.count() > 1) {
    group = t[1];
    if (group == "reset") {
      reset_stats(r.w);
      r.out.append(kReset);
      return;
    }
    if (group == "cachedump") {
      stats_cachedump(r, t);
      return;
    }
    if (group == "detail") {
      stats_detail(r, t);
      return;
    }
  }
  std::string& out = r.out;
  const auto line = [&out](std::string_view name, std::string_view value) {
    out.append(kStatPrefix);
    out.append(name);
    out.push_back(' ');
    out.append(value);
    out.append(kCrlf);
  };
  if (group == "conns") {
    collect_connection_stats(r.w, line);
    out.append(kEnd);
    return;
  }
  if (group == "hotkeys") {  // a count that is no number: ERROR
    out.append(collect_hot_key_stats(r.w, t.count() > 2 ? t[2] : std::string_view{}, line)
                   ? kEnd
                   : kError);
    return;
  }
  out.append(collect_stats(r.w, group, line) ? kEnd : kError);
}

// cache_memlimit <megabytes> [noreply]
void handle_cache_memlimit(TextRequest& r, const Tokens& t) noexcept {
  r.noreply = t.noreply();
  uint32_t megabytes = 0;
  if (!parse_strtoul32(t[1], megabytes)) {
    r.reply(kError);
    return;
  }
  switch (set_memory_limit(r.w, megabytes)) {
    case MemlimitStatus::kOk:
      r.reply(kOk);
      break;
    case MemlimitStatus::kTooSmall:
      r.reply(kMemlimitTooSmall);
      break;
    case MemlimitStatus::kNotMegabytes:
      r.reply(kMemlimitNotMegabytes);
      break;
    case MemlimitStatus::kFailed:
      r.reply(kMemlimitFailed);
      break;
  }
}

// refresh_certs [noreply]: -Z's certificate files loaded again; memcached's (a TLS build's)
// answer without -Z.
void handle_refresh_certs(TextRequest& r, const Tokens& t) noexcept {
  r.noreply = t.noreply();
  CertificateReloader* certificates = r.w.server.certificates;
  std::string error;
  if (certificates == nullptr) {
    error = "Error TLS not enabled";
  } else if (certificates->reload(error)) {
    r.w.server.certificates_loaded_at.store(r.w.ctx.now(), std::memory_order_relaxed);
    r.reply(kOk);
    return;
  }
  r.out.append(error);  // sent even with noreply, as memcached sends it
  r.out.append(kCrlf);
}

}  // namespace cuckood::proto::text
