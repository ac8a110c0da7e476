// One worker thread: its own epoll, edge-triggered, with every listener shared
// (EPOLLEXCLUSIVE) and the connections it accepted. Connection objects come
// from a free list; nothing on the relay path allocates or takes a lock,
// except the buffer pool's when a copy direction takes or returns a buffer.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "connection.h"
#include "engine_types.h"

namespace qplug::splice {

class Engine;
class Frontend;

// CLOCK_MONOTONIC_COARSE in ms: timeouts only need ~10 ms precision.
int64_t NowMs();

class Worker {
  public:
    Worker(Engine &engine, int index);
    ~Worker();
    Worker(const Worker &) = delete;
    Worker &operator=(const Worker &) = delete;

    // Creates the epoll and mailbox fds; errno on failure.
    int Init();
    int EpollFd() const { return epfd_; }
    void Start();
    void Join();
    // Hands a grant to this worker from any thread (itself included).
    void Post(const Grant &grant);
    void Wake();
    // After Join: resources still sitting in the mailbox go back.
    void ReleaseMailbox();

  private:
    void Run();
    void HandleEvent(PollTarget *target, uint32_t events);
    void HandleMailbox();
    void RunLocalGrants();
    void ApplyGrant(const Grant &grant);
    void Sweep();
    void SweepConnection(Connection &conn);
    void RecycleClosed();
    Connection *Allocate();

    // worker_connect.cpp: accept, balance, connect, retry.
    void OnListener(Frontend &frontend);
    void OnAccepted(Frontend &frontend, int fd);
    void Dispatch(Connection &conn, Server *avoid);
    void StartConnect(Connection &conn);
    void OnConnected(Connection &conn);
    void OnConnectFailed(Connection &conn, int err);
    void OnEndpointEvent(Endpoint &endpoint, uint32_t events);

    // relay.cpp: moving bytes, closing.
    void Pump(Connection &conn);
    bool PumpCopy(Direction &direction);
    bool PumpSplice(Direction &direction);
    bool Fail(Endpoint &endpoint, int err);
    void PassEof(Direction &direction);
    void Touch(const Endpoint &endpoint);
    void FlushByteCounters(Connection &conn);
    void ReleaseBuffer(Direction &direction);
    void ReleaseDirection(Direction &direction);
    void Close(Connection &conn, CloseResult result, int err = 0);
    void Deliver(const std::optional<Grant> &grant);

    Engine &engine_;
    const int index_;
    int epfd_ = -1;
    int eventFd_ = -1;
    PollTarget mailboxTarget_{PollKind::Mailbox};
    std::thread thread_;
    int64_t now_ = 0;

    std::mutex mailboxMutex_;
    std::vector<Grant> mailbox_; // from other threads
    std::vector<Grant> incoming_;
    std::vector<Grant> local_;   // from this thread
    std::vector<Grant> localRunning_;

    std::vector<std::unique_ptr<Connection[]>> chunks_;
    Connection *free_ = nullptr;
    Connection *active_ = nullptr;
    size_t activeCount_ = 0;
    std::vector<Connection *> closed_; // recycled after the current epoll batch
    std::vector<Frontend *> starved_;
};

} // namespace qplug::splice
