// The proxy engine without its JS face: configuration, worker threads,
// listeners, shared pools and counters. Configuration and control calls come
// from the JS thread; workers reach back only through the pools, backends,
// Deliver() and RecordClose().
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "balancer.h"
#include "buffer_pool.h"
#include "engine_types.h"
#include "listener.h"

namespace qplug::splice {

class Worker;

class Engine {
  public:
    explicit Engine(const EngineOptions &options);
    ~Engine(); // aborts and joins workers still running
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    const EngineOptions &Options() const { return options_; }

    // JS thread. Failures throw qplug::NativeFailure.
    void AddBackend(BackendSpec spec);
    Frontend &AddFrontend(FrontendSpec spec);
    void Start();
    void SetServer(const std::string &backend, const std::string &server,
                   std::optional<bool> enabled, std::optional<uint32_t> weight);
    void SetListenersPaused(bool paused);
    void CloseListeners();
    std::vector<std::pair<std::string, int>> ListenerFds() const;
    // Closes the listeners and lets connections finish until now + graceMs.
    void BeginStop(uint32_t graceMs);
    // Blocks until every worker is gone; then no fd or pipe of the engine is open.
    void Join();
    bool Started() const { return started_; }
    bool Stopped() const { return stopRequested_.load(); }

    const std::vector<std::unique_ptr<Frontend>> &Frontends() const { return frontends_; }
    const std::vector<std::unique_ptr<Backend>> &Backends() const { return backends_; }
    Backend *FindBackend(const std::string &name) const;
    int64_t UptimeMs() const;

    // Called with batches of close events, from a worker or the joining thread.
    std::function<void(std::vector<CloseEvent> &&)> eventSink;

    // Workers.
    BufferPool &Pool() { return pool_; }
    PipePool &Pipes() { return pipes_; }
    void Deliver(const Grant &grant);
    uint64_t NextId() { return nextId_.fetch_add(1, std::memory_order_relaxed) + 1; }
    bool Stopping() const { return stopRequested_.load(std::memory_order_acquire); }
    int64_t StopDeadlineMs() const { return stopDeadline_.load(std::memory_order_acquire); }
    int TickMs() const { return tickMs_.load(std::memory_order_relaxed); }
    void RecordClose(CloseEvent &&event);
    void FlushEvents(int64_t now, bool force);

    Counter connCurrent{0}, connSplice{0}, connCopy{0}, connTotal{0};
    Counter results[kCloseResultCount] = {};

  private:
    void UpdateTick(uint32_t timeoutMs);

    EngineOptions options_;
    BufferPool pool_;
    PipePool pipes_;
    std::vector<std::unique_ptr<Backend>> backends_;
    std::vector<std::unique_ptr<Frontend>> frontends_;
    std::vector<std::unique_ptr<Worker>> workers_;
    bool started_ = false;
    bool joined_ = false;
    int64_t startedAtMs_ = 0;
    std::atomic<bool> stopRequested_{false};
    std::atomic<int64_t> stopDeadline_{0};
    std::atomic<int> tickMs_{100};
    std::atomic<uint64_t> nextId_{0};

    std::mutex eventsMutex_;
    std::vector<CloseEvent> events_;
    std::atomic<bool> eventsPending_{false};
    std::atomic<int64_t> nextEventFlush_{0};
};

} // namespace qplug::splice
