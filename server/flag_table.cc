// See flag_table.h. The help texts follow `memcached -h`; the reasons say what cuckood does
// instead, in one line each (they are logged at start and printed in the README's table).
#include "server/flag_table.h"

#include <cstdint>
#include <limits>

namespace cuckood::server {

namespace {

constexpr double kIntMax = std::numeric_limits<int32_t>::max();
constexpr double kUint32Max = std::numeric_limits<uint32_t>::max();
constexpr double kHuge = std::numeric_limits<double>::max();

constexpr std::string_view kSlabs = "items live in log-structured segments, not slab classes";
constexpr std::string_view kLru = "eviction is CLOCK over whole segments, not a segmented LRU";
constexpr std::string_view kCrawler =
    "the crawler walks the index in short steps, without pauses or a per-class cap; the value "
    "is shown by `stats settings`";
constexpr std::string_view kExtstore = "no external storage (extstore): items live in memory";
constexpr std::string_view kSandbox = "no seccomp sandbox; privileges are dropped by -u only";

constexpr FlagRow kFlags[] = {
    {'p', "port", "<num>",
     "TCP port to listen on (default: 11211; 0: no TCP; -1: a free port, written with the "
     "others to $MEMCACHED_PORT_FILENAME if set)",
     ""},
    {'U', "udp-port", "<num>", "UDP port to listen on (default: 0, off; -1: a free port)", ""},
    {'s', "unix-socket", "<file>", "UNIX socket to listen on (disables network support)", ""},
    {'a', "unix-mask", "<mask>", "access mask for UNIX socket, in octal (default: 700)", ""},
    {'A', "enable-shutdown", "", "enable ascii \"shutdown\" command", ""},
    {'l', "listen", "<addr>",
     "interface to listen on (default: 127.0.0.1); a list separated by ',' or ';' and "
     "repeated -l add more: host, host:port, [v6addr]:port, * for all; a name binds every "
     "address it resolves to; with -Z, a notls:<addr> entry listens without TLS",
     ""},
    {'d', "daemon", "", "run as a daemon", ""},
    {'r', "enable-coredumps", "", "maximize core file limit", ""},
    {'u', "user", "<user>", "assume identity of <username> (only when run as root)", ""},
    {'m', "memory-limit", "<num>", "item memory in megabytes (default: 64)", ""},
    {'M', "disable-evictions", "", "return error on memory exhausted instead of evicting", ""},
    {'c', "conn-limit", "<num>", "max simultaneous connections (default: 1024)", ""},
    {'k', "lock-memory", "", "lock down all paged memory", ""},
    {'v', "verbose", "",
     "verbose (print errors/warnings while in event loop); -vv: also client commands and "
     "responses; -vvv: also memcached's internal state transitions and item lookups",
     ""},
    {'h', "help", "", "print this help and exit", ""},
    {'i', "license", "", "print the license and exit", ""},
    {'V', "version", "", "print version and exit", ""},
    {'P', "pidfile", "<file>", "save PID in <file>, removed at a clean exit", ""},
    {'f', "slab-growth-factor", "<num>",
     "chunk size growth factor (default: 1.25) of the size classes `stats items` and `stats "
     "slabs` report by (items of every size share the segments)",
     ""},
    {'n', "slab-min-size", "<bytes>",
     "min space used for key+value+flags (default: 48): the first of those size classes", ""},
    {'L', "enable-largepages", "", "try to use large memory pages for item memory", ""},
    {'D', "", "<char>",
     "use <char> as the delimiter between key prefixes and IDs in per-prefix stats "
     "(default: ':'); turns their collection on",
     ""},
    {'t', "threads", "<num>", "number of threads to use (default: 4)", ""},
    {'R', "max-reqs-per-event", "<num>",
     "maximum number of requests per event, limits the requests processed per connection to "
     "prevent starvation (default: 20)",
     ""},
    {'C', "disable-cas", "", "disable use of CAS", ""},
    {'b', "listen-backlog", "<num>", "set the backlog queue limit (default: 1024)", ""},
    {'B', "protocol", "<name>",
     "protocol - one of ascii, binary, or auto (default: auto-negotiate)", ""},
    {'I', "max-item-size", "<num>", "adjusts max item size (default: 1m, min: 1k, max: 1024m)", ""},
    {'S', "enable-sasl", "",
     "turn on Sasl authentication (binary protocol only; Cyrus SASL reads memcached.conf in "
     "$SASL_CONF_PATH, else /etc/sasl or /etc/sasl2)",
     ""},
    {'F', "disable-flush-all", "", "disable flush_all command", ""},
    {'X', "disable-dumping", "", "disable stats cachedump and lru_crawler metadump", ""},
    {'W', "disable-watch", "", "disable watch commands (live logging)", ""},
    {'Y', "auth-file", "<file>",
     "require text-protocol clients to authenticate with a user:password line of <file> "
     "(reloaded on SIGHUP)",
     ""},
    {'e', "memory-file", "<file>", "mmap a file for item memory (restartable cache)",
     "no restartable cache: item memory is anonymous and lost at exit"},
    {'Z', "enable-ssl", "", "enable TLS/SSL", ""},
    {'o', "extended", "<opts>", "comma separated list of extended options (below)", ""},
    {'N', "napi-ids", "<num>", "number of napi ids",
     "connections are spread over workers by SO_REUSEPORT, not by NAPI ID"},
    {'\0', "io", "uring|epoll", "I/O engine (default: uring, epoll if unavailable)", ""},
    {'\0', "metrics-port", "<num>",
     "serve Prometheus metrics (memcached_exporter's names) at GET /metrics on this TCP port "
     "(default: 0, off)",
     ""},
    {'\0', "metrics-listen", "<addr>",
     "interface(s) for --metrics-port, as -l takes them (default: 127.0.0.1)", ""},
    {'\0', "no-huge-pages", "",
     "item memory without transparent huge pages (default: asked for; -L turns them back on)", ""},
    {'\0', "debug-time", "", "allow the debugtime command to move the clock (tests only)", ""},
};

constexpr SubOptionRow kSubOptions[] = {
    {"maxconns_fast", SubValue::kNone, "immediately close new connections after limit",
     "always so: connections beyond -c are refused at once"},
    {"no_maxconns_fast", SubValue::kNone, "queue new connections beyond the limit",
     "connections beyond -c are always refused at once"},
    {"hashpower", SubValue::kInt, "initial index size: 2^<n> slots (12..32)", "", 12, 32},
    {"no_hashexpand", SubValue::kNone, "disable hash table expansion",
     "the index must grow to hold more items; growing blocks no reader"},
    {"slab_reassign", SubValue::kNone, "allow moving slab pages between classes", kSlabs},
    {"no_slab_reassign", SubValue::kNone, "", kSlabs},
    {"slab_automove", SubValue::kOptional, "automatic slab page moves (0..2)", kSlabs, 0, 2},
    {"no_slab_automove", SubValue::kNone, "", kSlabs},
    {"slab_automove_ratio", SubValue::kDouble, "", kSlabs, 0, 1},
    {"slab_automove_window", SubValue::kInt, "", kSlabs, 3, kIntMax},
    {"slab_automove_freeratio", SubValue::kDouble, "", kSlabs, -kHuge, kHuge},
    {"slab_sizes", SubValue::kText, "", kSlabs},
    {"slab_chunk_max", SubValue::kInt,
     "largest size class of `stats items` and `stats slabs`, in bytes (default: 524288)", "", 0,
     kIntMax},
    {"no_chunked_items", SubValue::kNone, "slab_chunk_max becomes a whole page (1 MB)", ""},
    {"tail_repair_time", SubValue::kInt, "seconds before a stuck LRU tail item is killed",
     "no LRU tail: items carry no reference counts to repair", 10, kIntMax},
    {"hash_algorithm", SubValue::kText, "jenkins, murmur3 or xxh3",
     "the index always hashes with XXH3 and a random per-process seed"},
    {"lru_crawler", SubValue::kNone,
     "enable `lru_crawler crawl` and `lru_crawler metadump` (the default)", ""},
    {"no_lru_crawler", SubValue::kNone, "disable them (`lru_crawler enable` turns them on)", ""},
    {"lru_crawler_sleep", SubValue::kInt, "", kCrawler, 0, 1000000},
    {"lru_crawler_tocrawl", SubValue::kInt, "", kCrawler, 0, kUint32Max},
    {"lru_maintainer", SubValue::kNone, "", kLru},
    {"no_lru_maintainer", SubValue::kNone, "", kLru},
    {"hot_lru_pct", SubValue::kInt, "", kLru, 1, 79},
    {"warm_lru_pct", SubValue::kInt, "", kLru, 1, 79},
    {"hot_max_factor", SubValue::kDouble, "", kLru, 0, kHuge},
    {"warm_max_factor", SubValue::kDouble, "", kLru, 0, kHuge},
    {"temporary_ttl", SubValue::kInt, "", kLru, -kIntMax, kIntMax},
    {"idle_timeout", SubValue::kInt, "close connections idle this many seconds (default: 0, off)",
     "", 0, kIntMax},
    {"watcher_logbuf_size", SubValue::kInt,
     "size in kilobytes of each watcher's buffer per worker (default: 256)", "", 0, kUint32Max},
    {"worker_logbuf_size", SubValue::kInt, "",
     "log entries go straight to each watcher's buffer: there is no per-worker one", 0, kUint32Max},
    {"track_sizes", SubValue::kNone, "", "no `stats sizes` histogram"},
    {"no_inline_ascii_resp", SubValue::kNone, "", "a dead setting in memcached 1.6 as well"},
    {"inline_ascii_resp", SubValue::kNone, "", "a dead setting in memcached 1.6 as well"},
    {"modern", SubValue::kNone, "memcached's defaults (changes nothing)", ""},
    {"no_modern", SubValue::kNone,
     "memcached's older defaults: no_lru_crawler, and slab_chunk_max a whole page unless given",
     ""},
    {"drop_privileges", SubValue::kNone, "", kSandbox},
    {"no_drop_privileges", SubValue::kNone, "", kSandbox},
    {"relaxed_privileges", SubValue::kNone, "(memcached-debug)", kSandbox},
    {"resp_obj_mem_limit", SubValue::kNone, "", "deprecated in memcached 1.6 as well"},
    {"read_buf_mem_limit", SubValue::kInt, "",
     "buffers are bounded per connection (backpressure), not by a global limit", 0, kUint32Max},
    {"sock_cookie_id", SubValue::kText, "", "listening sockets carry no cookie"},
    {"ssl_chain_cert", SubValue::kText, "certificate chain file in PEM format", ""},
    {"ssl_key", SubValue::kText, "private key, if not part of the -ssl_chain_cert", ""},
    {"ssl_verify_mode", SubValue::kInt,
     "peer certificate verification mode, default is 0(None); valid values are 0(None), "
     "1(Request), 2(Require) or 3(Once)",
     "", -kIntMax, kIntMax},
    {"ssl_keyformat", SubValue::kInt,
     "private key format (OpenSSL's SSL_FILETYPE_*: 1 PEM, 2 DER) (default: PEM)", "", -kIntMax,
     kIntMax},
    {"ssl_ciphers", SubValue::kText, "specify cipher list to be used", ""},
    {"ssl_ca_cert", SubValue::kText, "PEM format file of acceptable client CA's", ""},
    {"ssl_wbuf_size", SubValue::kInt,
     "size in kilobytes of plaintext per TLS record write (default: 16)", "", 0, kUint32Max},
    {"ssl_session_cache", SubValue::kNone,
     "enable server-side SSL session cache, to support session resumption", ""},
    {"ssl_kernel_tls", SubValue::kNone, "",
     "TLS runs in user space over memory buffers, so that io_uring keeps doing the socket I/O"},
    {"ssl_min_version", SubValue::kInt,
     "minimum protocol version to accept (default: tlsv1.2); valid values are 0(tlsv1.0), "
     "1(tlsv1.1), 2(tlsv1.2), or 3(tlsv1.3)",
     "", -kIntMax, kIntMax},
    {"ext_page_size", SubValue::kInt, "", kExtstore, 0, kUint32Max},
    {"ext_wbuf_size", SubValue::kInt, "", kExtstore, 0, kUint32Max},
    {"ext_threads", SubValue::kInt, "", kExtstore, 0, kUint32Max},
    {"ext_io_depth", SubValue::kInt, "", kExtstore, 0, kUint32Max},
    {"ext_path", SubValue::kText, "", kExtstore},
    {"ext_item_size", SubValue::kInt, "", kExtstore, 0, kUint32Max},
    {"ext_item_age", SubValue::kInt, "", kExtstore, 0, kUint32Max},
    {"ext_low_ttl", SubValue::kInt, "", kExtstore, 0, kUint32Max},
    {"ext_recache_rate", SubValue::kInt, "", kExtstore, 0, kUint32Max},
    {"ext_compact_under", SubValue::kInt, "", kExtstore, 0, kUint32Max},
    {"ext_drop_under", SubValue::kInt, "", kExtstore, 0, kUint32Max},
    {"ext_max_sleep", SubValue::kInt, "", kExtstore, 0, kUint32Max},
    {"ext_max_frag", SubValue::kDouble, "", kExtstore, -kHuge, kHuge},
    {"ext_drop_unread", SubValue::kNone, "", kExtstore},
};

}  // namespace

std::span<const FlagRow> flag_rows() noexcept {
  return kFlags;
}

std::span<const SubOptionRow> sub_option_rows() noexcept {
  return kSubOptions;
}

}  // namespace cuckood::server
