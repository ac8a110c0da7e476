// ProxyEngine: the JS face of splice::Engine (see src/native/AddonTypes.ts).
// While running it holds a reference to itself and a ref'd thread-safe
// function, so like a listening net.Server it keeps Node alive until stop()
// resolves; close events reach onEvents through the same function.
#pragma once

#include <memory>
#include <thread>

#include <napi.h>

#include "engine.h"

namespace qplug::splice {

struct EngineMessage;

class ProxyEngine : public Napi::ObjectWrap<ProxyEngine> {
  public:
    static Napi::Function DefineClass(Napi::Env env);

    explicit ProxyEngine(const Napi::CallbackInfo &info);
    ~ProxyEngine() override;

  private:
    Napi::Value AddBackend(const Napi::CallbackInfo &info);
    Napi::Value AddFrontend(const Napi::CallbackInfo &info);
    Napi::Value Start(const Napi::CallbackInfo &info);
    Napi::Value SetServer(const Napi::CallbackInfo &info);
    Napi::Value Stats(const Napi::CallbackInfo &info);
    Napi::Value PauseListeners(const Napi::CallbackInfo &info);
    Napi::Value ResumeListeners(const Napi::CallbackInfo &info);
    Napi::Value CloseListeners(const Napi::CallbackInfo &info);
    Napi::Value ListenerFds(const Napi::CallbackInfo &info);
    Napi::Value Stop(const Napi::CallbackInfo &info);

    // Runs on the JS thread for every message the workers or the joiner send.
    static void CallJs(Napi::Env env, Napi::Function onEvents, ProxyEngine *self,
                       EngineMessage *message);
    void OnStopped(Napi::Env env);

    using Tsfn = Napi::TypedThreadSafeFunction<ProxyEngine, EngineMessage, &ProxyEngine::CallJs>;

    std::unique_ptr<Engine> engine_;
    Napi::FunctionReference onEvents_;
    Tsfn tsfn_;
    bool tsfnActive_ = false;
    std::thread joiner_;
    Napi::ObjectReference stopPromise_;
    std::unique_ptr<Napi::Promise::Deferred> stopDeferred_;
};

// Argument parsing (engine_args.cpp): TypeError/RangeError on bad input.
EngineOptions ParseEngineOptions(const Napi::CallbackInfo &info, Napi::Function *onEvents);
BackendSpec ParseBackendSpec(const Napi::CallbackInfo &info);
FrontendSpec ParseFrontendSpec(const Napi::CallbackInfo &info);
// Stats and events as JS values (engine_stats.cpp).
Napi::Object StatsToJs(Napi::Env env, Engine &engine);
Napi::Array EventsToJs(Napi::Env env, const std::vector<CloseEvent> &events);

} // namespace qplug::splice
