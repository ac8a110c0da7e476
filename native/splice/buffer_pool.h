// The copy path's bounded buffer pool, shared by every worker. A direction
// holds a buffer only while it has unsent bytes; when none is free it waits in
// FIFO order and the next released buffer goes straight to the first waiter.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "connection.h"
#include "engine_types.h"

namespace qplug::splice {

class BufferPool {
  public:
    BufferPool(uint32_t bufferSize, uint32_t maxBuffers);
    ~BufferPool();
    BufferPool(const BufferPool &) = delete;
    BufferPool &operator=(const BufferPool &) = delete;

    uint32_t BufferSize() const { return bufferSize_; }
    uint32_t MaxBuffers() const { return maxBuffers_; }

    // A buffer, or nullptr after putting waiter (if any) on the wait list.
    char *Acquire(Direction *waiter);
    // Gives buffer back; when somebody waits it is handed over and the grant
    // returned, to be delivered to the waiter's worker.
    std::optional<Grant> Release(char *buffer);
    // Takes direction off the wait list (it closes).
    void CancelWait(Direction &direction);

    struct Stats {
        uint64_t free, inUse, peakInUse, waiting, waits;
    };
    Stats Snapshot() const;

  private:
    const uint32_t bufferSize_;
    const uint32_t maxBuffers_;
    mutable std::mutex mutex_;
    std::vector<char *> free_;  // allocated lazily, never more than maxBuffers_
    std::vector<char *> all_;
    uint32_t inUse_ = 0;
    uint32_t peakInUse_ = 0;
    uint32_t waiting_ = 0;
    uint64_t waits_ = 0;
    Direction *waitHead_ = nullptr;
    Direction *waitTail_ = nullptr;
};

// Idle splice pipes kept for reuse; only empty pipes come back here.
class PipePool {
  public:
    PipePool(uint32_t pipeSize, uint32_t maxIdle) : pipeSize_(pipeSize), maxIdle_(maxIdle) {}
    ~PipePool();
    PipePool(const PipePool &) = delete;
    PipePool &operator=(const PipePool &) = delete;

    // fds[0] read end, fds[1] write end; false with errno set on failure.
    bool Take(int fds[2]);
    // Back to the idle list when empty and there is room, else closed.
    void Give(int fds[2], bool empty);
    void CloseIdle();

    struct Stats {
        uint64_t inUse, idle, created;
    };
    Stats Snapshot() const;

  private:
    const uint32_t pipeSize_;
    const uint32_t maxIdle_;
    mutable std::mutex mutex_;
    std::vector<std::pair<int, int>> idle_;
    uint64_t inUse_ = 0;
    uint64_t created_ = 0;
};

} // namespace qplug::splice
