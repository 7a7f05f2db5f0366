// Server-wide commands: flush_all, version, verbosity, quit, shutdown, stats, debugtime,
// cache_memlimit, slabs.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string_view>

#include "proto/commands.h"
#include "proto/settings.h"
#include "proto/text_handlers.h"
#include "proto/text_numbers.h"
#include "proto/text_replies.h"

namespace cuckood::proto::text {

namespace {

// memcached's MAX_VERBOSITY_LEVEL: higher levels are clamped, not refused.
constexpr uint32_t kMaxVerbosity = 2;

}  // namespace

// flush_all [delay] [noreply]
void handle_flush_all(TextRequest& r, const Tokens& t) noexcept {
  r.noreply = t.noreply();
  std::optional<int64_t> delay = 0;
  int32_t parsed = 0;
  if (t.count != (r.noreply ? 2u : 1u)) {
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
  set_verbosity(r.w, static_cast<int>(std::min(level, kMaxVerbosity)));
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
}

// shutdown [graceful]: honoured only with -A; the connection closes without a reply.
void handle_shutdown(TextRequest& r, const Tokens& t) noexcept {
  if (!r.w.settings.allow_shutdown) {
    r.out.append(kShutdownDisabled);
    return;
  }
  if (t.count == 1 || (t.count == 2 && t[1] == "graceful")) {
    request_shutdown(r.w);
    r.control.close = true;
    return;
  }
  r.out.append(kInvalidShutdownMode);
}

// stats detail on|off|dump
void stats_detail(TextRequest& r, const Tokens& t) noexcept {
  const std::string_view action = t.count > 2 ? t[2] : std::string_view{};
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
  if (t.count > 1) {
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
  const bool known =
      collect_stats(r.w, group, [&out](std::string_view name, std::string_view value) {
        out.append(kStatPrefix);
        out.append(name);
        out.push_back(' ');
        out.append(value);
        out.append(kCrlf);
      });
  out.append(known ? kEnd : kError);
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

// slabs reassign <src> <dst> | slabs automove <0|1|2> | slabs automove ratio <r>: cuckood has
// no slab pages to move between classes, so it answers as a memcached without slab_reassign
// (reassign refused) and accepts automove's settings with their checks, which change nothing.
void handle_slabs(TextRequest& r, const Tokens& t) noexcept {
  if (t.count == 4 && t[1] == "reassign") {
    r.out.append(kSlabReassignDisabled);
    return;
  }
  if (t.count < 3 || t[1] != "automove") {
    r.out.append(kError);
    return;
  }
  r.noreply = t.noreply();
  if (t[2] == "ratio") {
    double ratio = 0;
    if (t.count < 4 || !parse_strtod(t[3], ratio)) {
      r.reply(kError);
      return;
    }
    r.reply(kOk);
    return;
  }
  uint32_t level = 0;
  if (!parse_strtoul32(t[2], level)) {
    r.reply(kBadFormat);
    return;
  }
  r.reply(level <= 2 ? kOk : kError);
}

}  // namespace cuckood::proto::text
