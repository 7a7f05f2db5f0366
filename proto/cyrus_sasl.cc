#include "proto/cyrus_sasl.h"

#include <sasl/sasl.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>

namespace cuckood::proto {

namespace {

constexpr const char* kService = "memcached";

void* mutex_alloc() {
  return new (std::nothrow) std::mutex;
}
int mutex_lock(void* mutex) {
  static_cast<std::mutex*>(mutex)->lock();
  return SASL_OK;
}
int mutex_unlock(void* mutex) {
  static_cast<std::mutex*>(mutex)->unlock();
  return SASL_OK;
}
void mutex_free(void* mutex) {
  delete static_cast<std::mutex*>(mutex);
}

using Config = CyrusSasl::Config;

int get_conf_path(void* context, char** path) {
  const Config& config = *static_cast<const Config*>(context);
  const bool verbose = config.verbosity.load(std::memory_order_relaxed) > 0;
  if (config.conf_path.empty()) {
    if (verbose) std::fprintf(stderr, "Failed to locate a config path\n");
    return SASL_FAIL;
  }
  if (verbose) std::fprintf(stderr, "Reading configuration from: <%s>\n", config.conf_path.c_str());
  // Cyrus only reads the path.
  *path = const_cast<char*>(config.conf_path.c_str());
  return SASL_OK;
}

// memcached's sasl_log: failures and warnings at -v, notes, debug and traces at -vv.
int log_line(void* context, int level, const char* message) {
  const int verbosity =
      static_cast<const Config*>(context)->verbosity.load(std::memory_order_relaxed);
  int needed = 0;
  switch (level) {
    case SASL_LOG_NONE:
      return SASL_OK;
    case SASL_LOG_PASS:
    case SASL_LOG_TRACE:
    case SASL_LOG_DEBUG:
    case SASL_LOG_NOTE:
      needed = 2;
      break;
    case SASL_LOG_WARN:
    case SASL_LOG_FAIL:
      needed = 1;
      break;
    default:
      break;
  }
  if (verbosity >= needed) std::fprintf(stderr, "SASL (severity %d): %s\n", level, message);
  return SASL_OK;
}

template <class F>
sasl_callback_t callback(unsigned long id, F* function, const Config* config) {
  // Cyrus's callback table holds every callback as int(*)(); it casts each back by its id.
  // (Through void(*)(), the type compilers accept as "any function".)
  const auto any = reinterpret_cast<void (*)()>(function);
  return {id, reinterpret_cast<int (*)()>(any), const_cast<Config*>(config)};
}

class CyrusExchange final : public SaslExchange {
 public:
  explicit CyrusExchange(sasl_conn_t* conn) noexcept : conn_(conn) {}
  ~CyrusExchange() override { sasl_dispose(&conn_); }
  CyrusExchange(const CyrusExchange&) = delete;
  CyrusExchange& operator=(const CyrusExchange&) = delete;

  bool list_mechanisms(std::string& out) override {
    const char* list = nullptr;
    unsigned length = 0;
    if (sasl_listmech(conn_, nullptr, "", " ", "", &list, &length, nullptr) != SASL_OK) {
      return false;
    }
    out.assign(list, length);
    return true;
  }

  SaslReply start(const std::string& mechanism, std::string_view data) override {
    const char* out = nullptr;
    unsigned out_length = 0;
    const int result = sasl_server_start(conn_, mechanism.c_str(), bytes(data),
                                         static_cast<unsigned>(data.size()), &out, &out_length);
    return reply(result, out, out_length);
  }

  SaslReply step(std::string_view data) override {
    const char* out = nullptr;
    unsigned out_length = 0;
    const int result =
        sasl_server_step(conn_, bytes(data), static_cast<unsigned>(data.size()), &out, &out_length);
    return reply(result, out, out_length);
  }

 private:
  // As memcached: no data is a null pointer, not an empty string.
  static const char* bytes(std::string_view data) noexcept {
    return data.empty() ? nullptr : data.data();
  }
  static SaslReply reply(int result, const char* out, unsigned length) noexcept {
    const std::string_view data =
        out == nullptr ? std::string_view() : std::string_view(out, length);
    switch (result) {
      case SASL_OK:
        return {SaslOutcome::kAuthenticated, data};
      case SASL_CONTINUE:
        return {SaslOutcome::kContinue, data};
      default:
        return {SaslOutcome::kFailed, {}};
    }
  }

  sasl_conn_t* conn_;
};

}  // namespace

std::string memcached_sasl_conf_path() {
  if (const char* path = std::getenv("SASL_CONF_PATH"); path != nullptr) return path;
  for (const std::string dir : {"/etc/sasl", "/etc/sasl2"}) {
    const std::string conf = dir + "/memcached.conf";
    if (::access((conf + "/memcached.conf").c_str(), F_OK) == 0) return conf;
    if (::access(conf.c_str(), F_OK) == 0) return dir;
  }
  return {};
}

struct CyrusSasl::Callbacks {
  std::array<sasl_callback_t, 3> table;
};

CyrusSasl::CyrusSasl(std::string conf_path, const std::atomic<int>& verbosity)
    : config_{std::move(conf_path), verbosity}, callbacks_(std::make_unique<Callbacks>()) {
  callbacks_->table = {callback(SASL_CB_LOG, log_line, &config_),
                       callback(SASL_CB_GETCONFPATH, get_conf_path, &config_),
                       sasl_callback_t{SASL_CB_LIST_END, nullptr, nullptr}};
  std::array<char, 1025> host{};
  if (::gethostname(host.data(), host.size() - 1) == 0) realm_ = host.data();
  sasl_set_mutex(mutex_alloc, mutex_lock, mutex_unlock, mutex_free);
  if (sasl_server_init(callbacks_->table.data(), kService) != SASL_OK) {
    throw SaslInitError("Error initializing sasl.");
  }
  if (verbosity.load(std::memory_order_relaxed) > 0) std::fprintf(stderr, "Initialized SASL.\n");
}

CyrusSasl::~CyrusSasl() {
  sasl_server_done();
}

std::unique_ptr<SaslExchange> CyrusSasl::open() {
  sasl_conn_t* conn = nullptr;
  if (sasl_server_new(kService, nullptr, realm_.empty() ? nullptr : realm_.c_str(), nullptr,
                      nullptr, nullptr, 0, &conn) != SASL_OK) {
    if (conn != nullptr) sasl_dispose(&conn);
    if (config_.verbosity.load(std::memory_order_relaxed) > 0) {
      std::fprintf(stderr, "Failed to initialize SASL conn.\n");
    }
    return nullptr;
  }
  return std::make_unique<CyrusExchange>(conn);
}

}  // namespace cuckood::proto
