#include "proxy_engine.h"

#include <cerrno>

#include "libnl-bindings/errors.h"

namespace qplug::splice {

struct EngineMessage {
    enum Kind { Events, Stopped } kind = Events;
    std::vector<CloseEvent> events;
};

namespace {

[[noreturn]] void ThrowType(Napi::Env env, const std::string &what) {
    throw Napi::TypeError::New(env, what);
}

// Runs a call into the engine, turning its failures into structured JS errors.
template <typename Call> decltype(auto) Guarded(Napi::Env env, Call &&call) {
    try {
        return call();
    } catch (const NativeFailure &failure) {
        throw ToJsError(env, failure);
    }
}

} // namespace

Napi::Function ProxyEngine::DefineClass(Napi::Env env) {
    return ObjectWrap<ProxyEngine>::DefineClass(
        env, "ProxyEngine",
        {
            InstanceMethod<&ProxyEngine::AddBackend>("addBackend"),
            InstanceMethod<&ProxyEngine::AddFrontend>("addFrontend"),
            InstanceMethod<&ProxyEngine::Start>("start"),
            InstanceMethod<&ProxyEngine::SetServer>("setServer"),
            InstanceMethod<&ProxyEngine::Stats>("stats"),
            InstanceMethod<&ProxyEngine::PauseListeners>("pauseListeners"),
            InstanceMethod<&ProxyEngine::ResumeListeners>("resumeListeners"),
            InstanceMethod<&ProxyEngine::CloseListeners>("closeListeners"),
            InstanceMethod<&ProxyEngine::ListenerFds>("listenerFds"),
            InstanceMethod<&ProxyEngine::Stop>("stop"),
        });
}

ProxyEngine::ProxyEngine(const Napi::CallbackInfo &info) : ObjectWrap<ProxyEngine>(info) {
    Napi::Function onEvents;
    const EngineOptions options = ParseEngineOptions(info, &onEvents);
    if (!onEvents.IsEmpty())
        onEvents_ = Napi::Persistent(onEvents);
    engine_ = std::make_unique<Engine>(options);
}

ProxyEngine::~ProxyEngine() {
    // Normally stop() has run: a running engine holds a reference to itself.
    if (joiner_.joinable())
        joiner_.join();
    if (engine_) {
        engine_->eventSink = nullptr;
        engine_.reset(); // aborts and joins workers if any
    }
    if (tsfnActive_) {
        tsfn_.Release();
        tsfnActive_ = false;
    }
}

Napi::Value ProxyEngine::AddBackend(const Napi::CallbackInfo &info) {
    BackendSpec spec = ParseBackendSpec(info);
    Guarded(info.Env(), [&] { engine_->AddBackend(std::move(spec)); });
    return info.Env().Undefined();
}

Napi::Value ProxyEngine::AddFrontend(const Napi::CallbackInfo &info) {
    FrontendSpec spec = ParseFrontendSpec(info);
    Frontend &frontend = Guarded(info.Env(), [&]() -> Frontend & {
        return engine_->AddFrontend(std::move(spec));
    });
    Napi::Object result = Napi::Object::New(info.Env());
    result.Set("fd", frontend.Fd());
    result.Set("host", frontend.Host());
    result.Set("port", frontend.Port());
    return result;
}

Napi::Value ProxyEngine::Start(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (engine_->Started() || engine_->Stopped()) {
        Guarded(env, [&] { engine_->Start(); }); // throws the right error
    }
    Napi::Function callback = onEvents_.IsEmpty()
                                  ? Napi::Function::New(env, [](const Napi::CallbackInfo &) {})
                                  : onEvents_.Value();
    tsfn_ = Tsfn::New(env, callback, "qplugProxyEngine", 0, 1, this);
    tsfnActive_ = true;
    engine_->eventSink = [this](std::vector<CloseEvent> &&events) {
        auto *message = new EngineMessage{EngineMessage::Events, std::move(events)};
        if (tsfn_.NonBlockingCall(message) != napi_ok)
            delete message;
    };
    try {
        engine_->Start();
    } catch (const NativeFailure &failure) {
        engine_->eventSink = nullptr;
        tsfn_.Release();
        tsfnActive_ = false;
        throw ToJsError(env, failure);
    }
    Ref(); // like a listening server: not collected while it runs
    return env.Undefined();
}

Napi::Value ProxyEngine::SetServer(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString() || !info[1].IsString())
        ThrowType(env, "setServer: backend and server must be strings");
    if (!info[2].IsObject() || info[2].IsArray() || info[2].IsFunction())
        ThrowType(env, "setServer: change must be an object");
    Napi::Object change = info[2].As<Napi::Object>();
    std::optional<bool> enabled;
    std::optional<uint32_t> weight;
    const Napi::Value enabledValue = change.Get("enabled");
    if (!enabledValue.IsUndefined()) {
        if (!enabledValue.IsBoolean())
            ThrowType(env, "setServer: change.enabled must be a boolean");
        enabled = enabledValue.As<Napi::Boolean>().Value();
    }
    const Napi::Value weightValue = change.Get("weight");
    if (!weightValue.IsUndefined()) {
        if (!weightValue.IsNumber())
            ThrowType(env, "setServer: change.weight must be a number");
        const double number = weightValue.As<Napi::Number>().DoubleValue();
        if (!(number >= 0 && number <= 256) || number != static_cast<uint32_t>(number))
            throw Napi::RangeError::New(
                env, "setServer: change.weight must be an integer from 0 to 256");
        weight = static_cast<uint32_t>(number);
    }
    const std::string backend = info[0].As<Napi::String>();
    const std::string server = info[1].As<Napi::String>();
    Guarded(env, [&] { engine_->SetServer(backend, server, enabled, weight); });
    return env.Undefined();
}

Napi::Value ProxyEngine::Stats(const Napi::CallbackInfo &info) {
    return StatsToJs(info.Env(), *engine_);
}

Napi::Value ProxyEngine::PauseListeners(const Napi::CallbackInfo &info) {
    engine_->SetListenersPaused(true);
    return info.Env().Undefined();
}

Napi::Value ProxyEngine::ResumeListeners(const Napi::CallbackInfo &info) {
    engine_->SetListenersPaused(false);
    return info.Env().Undefined();
}

Napi::Value ProxyEngine::CloseListeners(const Napi::CallbackInfo &info) {
    engine_->CloseListeners();
    return info.Env().Undefined();
}

Napi::Value ProxyEngine::ListenerFds(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    const auto fds = engine_->ListenerFds();
    Napi::Array result = Napi::Array::New(env, fds.size());
    for (size_t i = 0; i < fds.size(); ++i) {
        Napi::Object entry = Napi::Object::New(env);
        entry.Set("frontend", fds[i].first);
        entry.Set("fd", fds[i].second);
        result.Set(static_cast<uint32_t>(i), entry);
    }
    return result;
}

Napi::Value ProxyEngine::Stop(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber())
        ThrowType(env, "stop: graceMs must be a number");
    const double grace = info[0].As<Napi::Number>().DoubleValue();
    if (!(grace >= 0 && grace <= 2147483647.0))
        throw Napi::RangeError::New(env, "stop: graceMs must be from 0 to 2147483647");
    if (!stopPromise_.IsEmpty())
        return stopPromise_.Value(); // idempotent
    auto deferred = std::make_unique<Napi::Promise::Deferred>(env);
    stopPromise_ = Napi::Persistent(deferred->Promise().As<Napi::Object>());
    if (!engine_->Started()) {
        engine_->BeginStop(0);
        engine_->Join();
        deferred->Resolve(env.Undefined());
        return stopPromise_.Value();
    }
    stopDeferred_ = std::move(deferred);
    engine_->BeginStop(static_cast<uint32_t>(grace));
    // Joining waits for the grace period: not on the JS thread, not in libuv's pool.
    joiner_ = std::thread([this] {
        engine_->Join(); // flushes the last events first
        tsfn_.BlockingCall(new EngineMessage{EngineMessage::Stopped, {}});
        tsfn_.Release();
    });
    return stopPromise_.Value();
}

void ProxyEngine::OnStopped(Napi::Env env) {
    if (joiner_.joinable())
        joiner_.join();
    tsfnActive_ = false;
    engine_->eventSink = nullptr;
    if (stopDeferred_) {
        stopDeferred_->Resolve(env.Undefined());
        stopDeferred_.reset();
    }
    Unref();
}

void ProxyEngine::CallJs(Napi::Env env, Napi::Function onEvents, ProxyEngine *self,
                         EngineMessage *message) {
    std::unique_ptr<EngineMessage> owned(message);
    if (static_cast<napi_env>(env) == nullptr || !owned)
        return; // the function is being torn down
    if (owned->kind == EngineMessage::Stopped) {
        self->OnStopped(env);
        return;
    }
    if (!self->onEvents_.IsEmpty())
        onEvents.Call({EventsToJs(env, owned->events)});
}

} // namespace qplug::splice
