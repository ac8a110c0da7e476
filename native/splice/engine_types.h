// Plain types of the proxy engine: the specs parsed from JS, close results,
// addresses and the relaxed counters that stats() reads while workers write.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include <sys/socket.h>

namespace qplug::splice {

// Order matches kCloseResultNames in engine_types.cpp.
enum class CloseResult : uint8_t {
    Ok,
    ClientTimeout,
    ServerTimeout,
    ConnectTimeout,
    ConnectFailed,
    QueueTimeout,
    NoServer,
    ClientReset,
    ServerReset,
    Error,
    Stopped,
    Count,
};
inline constexpr size_t kCloseResultCount = static_cast<size_t>(CloseResult::Count);
const char *CloseResultName(CloseResult result);
// "ECONNRESET" for any errno glibc knows (the shared ErrnoName lacks the
// socket errors a relay meets); "E<number>" otherwise.
std::string ErrnoCode(int errnum);

// Statistics only: nobody synchronises through them, so relaxed is enough.
using Counter = std::atomic<uint64_t>;
inline void Bump(Counter &counter, uint64_t by = 1) {
    counter.fetch_add(by, std::memory_order_relaxed);
}
inline uint64_t Read(const Counter &counter) { return counter.load(std::memory_order_relaxed); }
// Raises peak to at least value.
inline void RaisePeak(Counter &peak, uint64_t value) {
    uint64_t seen = peak.load(std::memory_order_relaxed);
    while (value > seen && !peak.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
    }
}

struct SocketAddress {
    sockaddr_storage storage{};
    socklen_t length = 0;

    int Family() const { return storage.ss_family; }
    const sockaddr *Get() const { return reinterpret_cast<const sockaddr *>(&storage); }
};
// An IPv4 or IPv6 literal; false when host is neither.
bool ParseAddress(const std::string &host, int port, SocketAddress &out);
std::string AddressHost(const SocketAddress &address);
int AddressPort(const SocketAddress &address);

struct EngineOptions {
    int threads = 1;
    uint32_t bufferSize = 16384;
    uint32_t poolBuffers = 1024;
    uint32_t pipeSize = 0;
    uint32_t maxIdlePipes = 0;
    bool events = false;
    uint32_t eventIntervalMs = 100;
};

struct ServerSpec {
    std::string name;
    std::string host;
    int port = 0;
    uint32_t weight = 1;
    uint32_t maxconn = 0;
};

struct BackendSpec {
    std::string name;
    bool leastconn = false;
    bool splice = false;
    uint32_t retries = 0;
    bool redispatch = false;
    uint32_t connectTimeoutMs = 5000;
    uint32_t serverTimeoutMs = 0;
    uint32_t queueTimeoutMs = 0;
    std::vector<ServerSpec> servers;
};

struct FrontendSpec {
    std::string name;
    std::string host;
    int port = 0;
    int fd = -1; // adopt (dup) this listening socket when >= 0
    bool reusePort = false;
    int backlog = 511;
    uint32_t maxconn = 0;
    uint32_t clientTimeoutMs = 0;
    bool splice = false;
    std::string backend;
};

// One closed connection, as delivered to onEvents.
struct CloseEvent {
    uint64_t id = 0;
    std::string frontend;
    std::string backend;
    std::string server; // empty: none was tried
    const char *path = nullptr; // "splice", "copy" or null
    uint64_t bytesIn = 0;
    uint64_t bytesOut = 0;
    uint32_t connectAttempts = 0;
    int64_t queuedMs = 0;
    int64_t durationMs = 0;
    CloseResult result = CloseResult::Ok;
    int errnum = 0;
};

} // namespace qplug::splice
