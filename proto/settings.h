// Server settings that protocol handlers need to answer (stats settings, limits, shutdown) and
// that net/ needs to listen and serve. Filled once at start-up by server/; read-only afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cuckood::proto {

inline constexpr std::string_view kVersion = "1.6.18-cuckood-0.1";

// -B: which protocol a connection speaks. kAuto lets its first byte decide (0x80 binary, else
// text); kAscii and kBinary fix it, so a request of the other protocol is read as garbage of
// this one, as memcached does (binary bytes get text's ERROR; text closes a binary connection).
enum class BindingProtocol { kAuto, kAscii, kBinary };

// memcached's names in `stats settings`.
constexpr std::string_view binding_protocol_name(BindingProtocol protocol) noexcept {
  switch (protocol) {
    case BindingProtocol::kAscii:
      return "ascii";
    case BindingProtocol::kBinary:
      return "binary";
    case BindingProtocol::kAuto:
      break;
  }
  return "auto-negotiate";
}

// -Z and memcached's -o ssl_* sub-options, as given (`stats settings` prints them back).
struct TlsSettings {
  // Not an aggregate: GCC 12 (-O3) wrongly sees the strings of a defaulted, moved Settings as
  // maybe-uninitialized otherwise.
  TlsSettings() noexcept = default;

  bool enabled = false;            // -Z
  std::string chain_cert;          // -o ssl_chain_cert (empty: not given)
  std::string key;                 // -o ssl_key
  int verify_mode = 0;             // -o ssl_verify_mode: 0 none, 1 request, 2 require, 3 once
  int keyformat = 1;               // -o ssl_keyformat: OpenSSL's SSL_FILETYPE_* (1 = PEM)
  std::string ciphers;             // -o ssl_ciphers (empty: OpenSSL's default list)
  std::string ca_cert;             // -o ssl_ca_cert
  uint32_t wbuf_size = 16 * 1024;  // -o ssl_wbuf_size (given in KiB): plaintext per TLS write
  bool session_cache = false;      // -o ssl_session_cache
  bool kernel_tls = false;         // -o ssl_kernel_tls
  int min_version = 2;             // -o ssl_min_version: 0..3 = TLS 1.0..1.3
};

struct Settings {
  // -l as given (repeated -l joined with ','), memcached's `inter`; net/listener.h parses it.
  std::string listen_address = "127.0.0.1";
  int port = 11211;         // 0: no TCP listener; -1: a port the kernel picks (as memcached)
  int udp_port = 0;         // -U: 0 off, -1 a port the kernel picks
  std::string unix_socket;  // -s: listen here instead of TCP
  int unix_mask = 0700;     // -a: permissions of the socket file
  int backlog = 1024;       // -b: listen(2) backlog
  int reqs_per_event = 20;  // -R: requests per connection per event before yielding; 0: no
                            // limit (tests; -R itself takes 1 and up)
  BindingProtocol binding_protocol = BindingProtocol::kAuto;  // -B
  int idle_timeout = 0;         // -o idle_timeout: seconds before an idle client is closed; 0 off
  int hashpower_init = 0;       // -o hashpower: initial index size 2^n slots; 0 = from -m
  char detail_delimiter = ':';  // -D: `stats detail` key prefix delimiter
  bool detail_enabled = false;  // -D turns `stats detail` collection on
  int threads = 4;
  size_t memory_limit = size_t{64} << 20;
  size_t max_item_size = size_t{1} << 20;
  // Size classes of `stats items`/`stats slabs` (proto/slab_classes.h), as memcached's slab
  // classes: -n, -f and -o slab_chunk_max (bytes; -o no_modern: a whole page).
  int chunk_size = 48;
  double growth_factor = 1.25;
  int slab_chunk_max = 512 * 1024;
  // -o lru_crawler / no_lru_crawler (no_modern turns it off), lru_crawler_sleep, _tocrawl: the
  // start values of what `lru_crawler` changes at run time (RuntimeSettings).
  bool lru_crawler = true;
  uint32_t lru_crawler_sleep = 100;
  uint32_t lru_crawler_tocrawl = 0;
  // -o slab_reassign / lru_maintainer and their no_ forms (no_modern turns both off): cuckood
  // has neither memcached's slab mover nor its LRU maintainer, but memcached prints their
  // figures in `stats` only while they are on, so the keys follow the flags.
  bool slab_reassign = true;
  bool lru_maintainer = true;
  int max_connections = 1024;
  bool allow_shutdown = false;  // -A: the `shutdown` command is honoured
  bool debug_time = false;      // --debug-time: the `debugtime` command may move the clock
  bool evictions = true;        // -M turns it off: a full cache refuses stores instead
  bool cas_enabled = true;      // -C turns it off: no cas uniques
  bool flush_enabled = true;    // -F turns it off: flush_all is refused
  bool dump_enabled = true;     // -X turns it off: cachedump/metadump are refused
  std::string auth_file;        // -Y: text connections authenticate against it; empty = off
  bool sasl = false;            // -S: binary connections authenticate by SASL first
  TlsSettings tls;
  bool watch_enabled = true;  // -W turns it off: `watch` is refused
  // -o watcher_logbuf_size (given in KiB): each watcher's buffer per producer (WatchLog).
  size_t watcher_logbuf_size = size_t{256} << 10;
  std::string io_engine = "uring";
};

}  // namespace cuckood::proto
