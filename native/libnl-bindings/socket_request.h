// One Promise-returning RouteSocket call: the libnl work runs in Execute() on
// libuv's thread pool, the result or error becomes JS in OnOK() on the JS thread.
#pragma once

#include <cerrno>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

#include <napi.h>

#include "errors.h"
#include "route_socket.h"
#include "rtnl_requests.h"

namespace qplug {

// Result of requests that only succeed or fail.
struct Done {};

template <typename Result, typename Request, typename ToJs>
class SocketRequest final : public Napi::AsyncWorker {
  public:
    // Queues the request and returns its promise. self is owner's JS object,
    // kept alive until the request has settled.
    static Napi::Promise Start(RouteSocket *owner, const Napi::Object &self, const char *method,
                               Request request, ToJs toJs) {
        auto *worker = new SocketRequest(owner, self, method, std::move(request), std::move(toJs));
        Napi::Promise promise = worker->deferred_.Promise();
        // The turn is taken last, right before queueing, when nothing else can fail.
        worker->turn_ = owner->TakeTurn();
        try {
            worker->Queue(); // the worker deletes itself after OnOK
        } catch (...) {
            owner->AbandonTurn(worker->turn_);
            delete worker;
            throw;
        }
        return promise;
    }

  protected:
    void Execute() override {
        try {
            result_.emplace(owner_->Run(turn_, method_, request_));
        } catch (const NativeFailure &failure) {
            failure_.emplace(failure);
        } catch (const std::bad_alloc &) {
            failure_.emplace(SystemFailure(method_, ENOMEM));
        } catch (const std::exception &error) {
            failure_.emplace(NativeFailure(method_, EIO, ErrnoName(EIO), error.what(), "", ""));
        }
    }

    void OnOK() override {
        const Napi::Env env = Env();
        Napi::HandleScope scope(env);
        if (failure_) {
            deferred_.Reject(ToJsError(env, *failure_).Value());
            return;
        }
        try {
            deferred_.Resolve(toJs_(env, *result_));
        } catch (const Napi::Error &error) {
            deferred_.Reject(error.Value());
        }
    }

  private:
    SocketRequest(RouteSocket *owner, const Napi::Object &self, const char *method, Request request,
                  ToJs toJs)
        : Napi::AsyncWorker(self.Env(), method), owner_(owner), self_(Napi::Persistent(self)),
          method_(method), request_(std::move(request)), toJs_(std::move(toJs)),
          deferred_(Napi::Promise::Deferred::New(self.Env())) {}

    RouteSocket *owner_;         // valid while self_ holds its JS object
    Napi::ObjectReference self_; // released on the JS thread when the worker is deleted
    const char *method_;         // a string literal
    uint64_t turn_ = 0;          // this request's place in the socket's order
    Request request_;
    ToJs toJs_;
    Napi::Promise::Deferred deferred_;
    std::optional<Result> result_;
    std::optional<NativeFailure> failure_;
};

// Deduces the template arguments: request(RequestContext&) -> Result, toJs(Env, const Result&).
template <typename Request, typename ToJs>
Napi::Promise StartSocketRequest(RouteSocket *owner, const Napi::Object &self, const char *method,
                                 Request request, ToJs toJs) {
    using Result = std::decay_t<std::invoke_result_t<Request &, RequestContext &>>;
    return SocketRequest<Result, Request, ToJs>::Start(owner, self, method, std::move(request),
                                                       std::move(toJs));
}

} // namespace qplug
