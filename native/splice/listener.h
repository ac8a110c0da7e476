// A frontend's listening socket, shared by every worker's epoll with
// EPOLLEXCLUSIVE. It is polled ("armed") only while it may accept: not paused,
// not closed, below maxconn. Otherwise connections wait in the kernel's accept
// queue, which the reload handoff relies on.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "connection.h"
#include "engine_types.h"

namespace qplug::splice {

class Frontend : public PollTarget {
  public:
    Frontend(FrontendSpec spec, Backend *backend);
    ~Frontend();
    Frontend(const Frontend &) = delete;
    Frontend &operator=(const Frontend &) = delete;

    // Binds and listens, or adopts a dup of spec.fd. Throws NativeFailure.
    void Open();

    const FrontendSpec &Spec() const { return spec_; }
    Backend *GetBackend() const { return backend_; }
    const std::string &Host() const { return host_; }
    int Port() const { return port_; }
    int Fd() const { return fd_.load(); }
    bool Listening() const;

    // Workers: bracket every use of the fd, so closing never races an accept4
    // on a recycled fd number. Enter returns -1 when closed.
    int Enter();
    void Leave();
    // A connection slot below maxconn; false (and the listener disarmed) at the limit.
    bool TryReserve();
    // A connection closed, or an accept failed after TryReserve.
    void ReleaseSlot();
    // Out of fds or memory: stop polling until Unstarve (next sweep), else a
    // level-triggered listener would spin.
    void Starve();
    void Unstarve();

    // JS thread.
    void Attach(const std::vector<int> &epollFds);
    void Detach();
    void SetPaused(bool paused);
    void Close();

    std::atomic<uint32_t> current{0};
    Counter peak{0}, total{0}, bytesIn{0}, bytesOut{0};

  private:
    void UpdateArming();
    void UpdateArmingLocked();
    void CloseFdIfUnused();

    FrontendSpec spec_;
    Backend *backend_;
    std::string host_;
    int port_ = 0;
    std::atomic<int> fd_{-1};
    std::atomic<int> users_{0};
    std::atomic<bool> closed_{false};
    std::atomic<bool> full_{false};
    mutable std::mutex mutex_; // arming state and epoll_ctl calls
    std::vector<int> epollFds_;
    bool paused_ = false;
    bool starved_ = false;
    bool armed_ = false;
};

} // namespace qplug::splice
