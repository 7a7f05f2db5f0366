// The fixed reply lines of memcached's text protocol, worded byte for byte as memcached 1.6.18
// sends them (each with its "\r\n"). Codecs append these; nothing else spells them out.
#pragma once

#include <string_view>

namespace cuckood::proto::text {

inline constexpr std::string_view kCrlf = "\r\n";

// Classic command outcomes.
inline constexpr std::string_view kStored = "STORED\r\n";
inline constexpr std::string_view kNotStored = "NOT_STORED\r\n";
inline constexpr std::string_view kExists = "EXISTS\r\n";
inline constexpr std::string_view kNotFound = "NOT_FOUND\r\n";
inline constexpr std::string_view kDeleted = "DELETED\r\n";
inline constexpr std::string_view kTouched = "TOUCHED\r\n";
inline constexpr std::string_view kOk = "OK\r\n";
inline constexpr std::string_view kEnd = "END\r\n";
inline constexpr std::string_view kReset = "RESET\r\n";
inline constexpr std::string_view kValuePrefix = "VALUE ";
inline constexpr std::string_view kStatPrefix = "STAT ";
inline constexpr std::string_view kVersionPrefix = "VERSION ";

// Errors.
inline constexpr std::string_view kError = "ERROR\r\n";
inline constexpr std::string_view kBadFormat = "CLIENT_ERROR bad command line format\r\n";
inline constexpr std::string_view kBadDataChunk = "CLIENT_ERROR bad data chunk\r\n";
inline constexpr std::string_view kInvalidExptime = "CLIENT_ERROR invalid exptime argument\r\n";
inline constexpr std::string_view kFlushDisabled = "CLIENT_ERROR flush_all not allowed\r\n";
inline constexpr std::string_view kBadCommandLine = "CLIENT_ERROR bad command line\r\n";
inline constexpr std::string_view kCachedumpDisabled =
    "CLIENT_ERROR stats cachedump not allowed\r\n";
inline constexpr std::string_view kReassignSame = "SAME src and dst class are identical\r\n";
inline constexpr std::string_view kReassignBadClass = "BADCLASS invalid src or dst class id\r\n";
inline constexpr std::string_view kReassignNoSpare = "NOSPARE source class has no spare pages\r\n";
inline constexpr std::string_view kIllegalSlabId = "CLIENT_ERROR Illegal slab id\r\n";
inline constexpr std::string_view kInvalidDelta = "CLIENT_ERROR invalid numeric delta argument\r\n";
inline constexpr std::string_view kNonNumeric =
    "CLIENT_ERROR cannot increment or decrement non-numeric value\r\n";
inline constexpr std::string_view kDeleteUsage =
    "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n";
inline constexpr std::string_view kStatsDetailUsage =
    "CLIENT_ERROR usage: stats detail on|off|dump\r\n";
inline constexpr std::string_view kShutdownDisabled = "ERROR: shutdown not enabled\r\n";
inline constexpr std::string_view kInvalidShutdownMode = "CLIENT_ERROR invalid shutdown mode\r\n";
inline constexpr std::string_view kWatchDisabled = "CLIENT_ERROR watch commands not allowed\r\n";
inline constexpr std::string_view kWatchAfterPipeline =
    "ERROR cannot pipeline other commands before watch\r\n";
inline constexpr std::string_view kWatcherTooMany =
    "WATCHER_TOO_MANY log watcher limit reached\r\n";
inline constexpr std::string_view kTooLarge = "SERVER_ERROR object too large for cache\r\n";
inline constexpr std::string_view kStoreNoMemory = "SERVER_ERROR out of memory storing object\r\n";
inline constexpr std::string_view kArithNoMemory = "SERVER_ERROR out of memory\r\n";
inline constexpr std::string_view kNoMemoryToCreate =
    "SERVER_ERROR Out of memory allocating new item\r\n";

// Operator commands (cache_memlimit, lru_crawler, slabs).
inline constexpr std::string_view kMemlimitTooSmall =
    "MEMLIMIT_TOO_SMALL cannot set maxbytes to less than 8m\r\n";
inline constexpr std::string_view kMemlimitNotMegabytes =
    "MEMLIMIT_ADJUST_FAILED input value is megabytes not bytes\r\n";
inline constexpr std::string_view kMemlimitFailed =
    "MEMLIMIT_ADJUST_FAILED out of bounds or unable to adjust\r\n";
inline constexpr std::string_view kCrawlerDisabled = "CLIENT_ERROR lru crawler disabled\r\n";
inline constexpr std::string_view kCrawlerBusy = "BUSY currently processing crawler request\r\n";
inline constexpr std::string_view kBadClass = "BADCLASS invalid class id\r\n";
inline constexpr std::string_view kCrawlerError = "ERROR an unknown error happened\r\n";
inline constexpr std::string_view kCrawlerNotStarted =
    "ERROR failed to start lru crawler thread\r\n";
inline constexpr std::string_view kMetadumpDisabled = "ERROR metadump not allowed\r\n";
inline constexpr std::string_view kMetadumpPipelined =
    "ERROR cannot pipeline other commands before metadump\r\n";
inline constexpr std::string_view kCrawlerSleepTooLong =
    "CLIENT_ERROR sleep must be one second or less\r\n";

}  // namespace cuckood::proto::text
