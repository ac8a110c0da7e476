#include "buffer_pool.h"

#include <cerrno>
#include <algorithm>
#include <cstdint>
#include <cstdlib>

#include <fcntl.h>
#include <unistd.h>


namespace qplug::splice {

BufferPool::BufferPool(uint32_t bufferSize, uint32_t maxBuffers)
    : bufferSize_(bufferSize), maxBuffers_(maxBuffers) {}

BufferPool::~BufferPool() {
    for (char *buffer : all_)
        std::free(buffer);
}

char *BufferPool::Acquire(Direction *waiter) {
    std::lock_guard<std::mutex> lock(mutex_);
    char *buffer = nullptr;
    if (!free_.empty()) {
        buffer = free_.back();
        free_.pop_back();
    } else if (all_.size() < maxBuffers_) {
        buffer = static_cast<char *>(std::malloc(bufferSize_));
        if (buffer)
            all_.push_back(buffer);
    }
    if (buffer) {
        if (++inUse_ > peakInUse_)
            peakInUse_ = inUse_;
        return buffer;
    }
    if (waiter && !waiter->waiting) {
        waiter->waiting = true;
        waiter->waitNext = nullptr;
        waiter->waitPrev = waitTail_;
        (waitTail_ ? waitTail_->waitNext : waitHead_) = waiter;
        waitTail_ = waiter;
        ++waiting_;
        ++waits_;
    }
    return nullptr;
}

std::optional<Grant> BufferPool::Release(char *buffer) {
    std::lock_guard<std::mutex> lock(mutex_);
    Direction *waiter = waitHead_;
    if (!waiter) {
        --inUse_;
        free_.push_back(buffer);
        return std::nullopt;
    }
    waitHead_ = waiter->waitNext;
    (waitHead_ ? waitHead_->waitPrev : waitTail_) = nullptr;
    waiter->waiting = false;
    waiter->waitNext = waiter->waitPrev = nullptr;
    --waiting_;
    // Read under the mutex: a waiter's connection cannot be recycled while linked.
    Grant grant;
    grant.kind = Grant::BufferGrant;
    grant.worker = waiter->conn->worker;
    grant.conn = waiter->conn;
    grant.gen = waiter->conn->gen;
    grant.direction = waiter->index;
    grant.buffer = buffer;
    return grant;
}

void BufferPool::CancelWait(Direction &direction) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!direction.waiting)
        return;
    (direction.waitPrev ? direction.waitPrev->waitNext : waitHead_) = direction.waitNext;
    (direction.waitNext ? direction.waitNext->waitPrev : waitTail_) = direction.waitPrev;
    direction.waitNext = direction.waitPrev = nullptr;
    direction.waiting = false;
    --waiting_;
}

BufferPool::Stats BufferPool::Snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return Stats{maxBuffers_ - inUse_, inUse_, peakInUse_, waiting_, waits_};
}

PipePool::~PipePool() { CloseIdle(); }

bool PipePool::Take(int fds[2]) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!idle_.empty()) {
            fds[0] = idle_.back().first;
            fds[1] = idle_.back().second;
            idle_.pop_back();
            ++inUse_;
            return true;
        }
    }
    if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0)
        return false;
    // Best effort, like HAProxy's tune.pipesize: a refused size keeps the default.
    if (pipeSize_ > 0)
        fcntl(fds[0], F_SETPIPE_SZ, static_cast<int>(std::min<uint32_t>(pipeSize_, INT32_MAX)));
    std::lock_guard<std::mutex> lock(mutex_);
    ++inUse_;
    ++created_;
    return true;
}

void PipePool::Give(int fds[2], bool empty) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        --inUse_;
        if (empty && idle_.size() < maxIdle_) {
            idle_.emplace_back(fds[0], fds[1]);
            fds[0] = fds[1] = -1;
            return;
        }
    }
    close(fds[0]);
    close(fds[1]);
    fds[0] = fds[1] = -1;
}

void PipePool::CloseIdle() {
    std::lock_guard<std::mutex> lock(mutex_);
    for (auto &[readEnd, writeEnd] : idle_) {
        close(readEnd);
        close(writeEnd);
    }
    idle_.clear();
}

PipePool::Stats PipePool::Snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return Stats{inUse_, idle_.size(), created_};
}

} // namespace qplug::splice
