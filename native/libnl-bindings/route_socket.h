// RouteSocket: one rtnetlink socket per JS object, opened in one network
// namespace for its whole life. Requests on it run one at a time, in the order
// they were made, whether they run on libuv's pool (the Promise methods) or on
// the JS thread (changePlugSync): a buffer followed by a release must not
// reach the kernel the other way round because two pool threads raced.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

#include <napi.h>

#include "errors.h"
#include "kernel_error.h"
#include "libnl_handles.h"
#include "rtnl_requests.h"

namespace qplug {

class RouteSocket : public Napi::ObjectWrap<RouteSocket> {
  public:
    static Napi::Function DefineClass(Napi::Env env);

    explicit RouteSocket(const Napi::CallbackInfo &info);
    ~RouteSocket() override;

    // Reserves the next place in the request order. JS thread, when the
    // request is made; every turn taken must be Run or Abandoned.
    uint64_t TakeTurn();
    // Gives up a turn whose request will never run, so later ones do not wait for it.
    void AbandonTurn(uint64_t turn);

    // Waits for turn, then runs request(RequestContext&) with the socket
    // locked. Throws NativeFailure, ECLOSED once the socket is closed. Any thread.
    template <typename Request> auto Run(uint64_t turn, const char *method, Request &&request) {
        std::unique_lock<std::mutex> lock(mutex_);
        turnChanged_.wait(lock, [&] { return nowServing_ == turn; });
        // Declared after lock, so the next turn begins before the lock is released.
        const TurnEnd end(*this);
        if (!sock_)
            throw ClosedFailure(method);
        RequestContext context(sock_.get(), &kernelError_);
        return std::forward<Request>(request)(context);
    }

  private:
    // Ends the turn being served; mutex_ must be held.
    class TurnEnd {
      public:
        explicit TurnEnd(RouteSocket &socket) : socket_(socket) {}
        TurnEnd(const TurnEnd &) = delete;
        TurnEnd &operator=(const TurnEnd &) = delete;
        ~TurnEnd() { socket_.AdvanceTurnLocked(); }

      private:
        RouteSocket &socket_;
    };
    void AdvanceTurnLocked();

    Napi::Value Netns(const Napi::CallbackInfo &info);
    Napi::Value NetnsInode(const Napi::CallbackInfo &info);
    Napi::Value GetLink(const Napi::CallbackInfo &info);
    Napi::Value ListLinks(const Napi::CallbackInfo &info);
    Napi::Value ListQdiscs(const Napi::CallbackInfo &info);
    Napi::Value AddPlug(const Napi::CallbackInfo &info);
    Napi::Value ChangePlug(const Napi::CallbackInfo &info);
    Napi::Value ChangePlugSync(const Napi::CallbackInfo &info);
    Napi::Value DeleteQdisc(const Napi::CallbackInfo &info);
    Napi::Value AddPrio(const Napi::CallbackInfo &info);
    Napi::Value AddU32Filter(const Napi::CallbackInfo &info);
    Napi::Value ListFilters(const Napi::CallbackInfo &info);
    Napi::Value DeleteFilters(const Napi::CallbackInfo &info);
    Napi::Value Close(const Napi::CallbackInfo &info);

    std::mutex mutex_;
    std::condition_variable turnChanged_;
    uint64_t nextTurn_ = 0;         // guarded by mutex_
    uint64_t nowServing_ = 0;       // guarded by mutex_
    std::set<uint64_t> abandoned_;  // guarded by mutex_; turns no request will run
    NlSockPtr sock_;                // guarded by mutex_; null once closed
    KernelErrorRecord kernelError_; // guarded by mutex_; filled by libnl callbacks
    std::optional<std::string> netnsPath_;
    uint64_t netnsInode_ = 0;
};

} // namespace qplug
