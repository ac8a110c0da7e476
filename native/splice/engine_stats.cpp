// stats() and close events as JS objects. stats() reads atomics and short
// mutex-guarded snapshots: it never waits for a worker.
#include "proxy_engine.h"

namespace qplug::splice {

namespace {

// Counters stay far below 2^53 in practice; doubles are what JS has.
Napi::Number Num(Napi::Env env, uint64_t value) {
    return Napi::Number::New(env, static_cast<double>(value));
}

/** A JS array of `convert(env, *item)` for each owned pointer in `items`. */
template <typename Items, typename Convert>
Napi::Array ListToJs(Napi::Env env, const Items &items, Convert convert) {
    Napi::Array list = Napi::Array::New(env, items.size());
    for (size_t i = 0; i < items.size(); ++i)
        list.Set(static_cast<uint32_t>(i), convert(env, *items[i]));
    return list;
}

Napi::Object ServerToJs(Napi::Env env, const Server &server) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("name", server.spec.name);
    out.Set("host", server.spec.host);
    out.Set("port", server.spec.port);
    out.Set("weight", server.weight.load());
    out.Set("maxconn", server.spec.maxconn);
    out.Set("enabled", server.enabled.load());
    out.Set("current", server.current.load());
    out.Set("peak", Num(env, Read(server.peak)));
    out.Set("total", Num(env, Read(server.total)));
    out.Set("bytesIn", Num(env, Read(server.bytesIn)));
    out.Set("bytesOut", Num(env, Read(server.bytesOut)));
    out.Set("connectErrors", Num(env, Read(server.connectErrors)));
    return out;
}

Napi::Object BackendToJs(Napi::Env env, const Backend &backend) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("name", backend.Spec().name);
    out.Set("current", Num(env, Read(backend.current)));
    out.Set("total", Num(env, Read(backend.total)));
    out.Set("bytesIn", Num(env, Read(backend.bytesIn)));
    out.Set("bytesOut", Num(env, Read(backend.bytesOut)));
    out.Set("connectErrors", Num(env, Read(backend.connectErrors)));
    out.Set("retries", Num(env, Read(backend.retries)));
    out.Set("redispatches", Num(env, Read(backend.redispatches)));
    Napi::Object queue = Napi::Object::New(env);
    queue.Set("current", Num(env, Read(backend.queueCurrent)));
    queue.Set("peak", Num(env, Read(backend.queuePeak)));
    queue.Set("total", Num(env, Read(backend.queueTotal)));
    queue.Set("timeouts", Num(env, Read(backend.queueTimeouts)));
    out.Set("queue", queue);
    out.Set("servers", ListToJs(env, backend.Servers(), ServerToJs));
    return out;
}

Napi::Object FrontendToJs(Napi::Env env, const Frontend &frontend) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("name", frontend.Spec().name);
    out.Set("host", frontend.Host());
    out.Set("port", frontend.Port());
    out.Set("listening", frontend.Listening());
    out.Set("current", frontend.current.load());
    out.Set("peak", Num(env, Read(frontend.peak)));
    out.Set("total", Num(env, Read(frontend.total)));
    out.Set("bytesIn", Num(env, Read(frontend.bytesIn)));
    out.Set("bytesOut", Num(env, Read(frontend.bytesOut)));
    return out;
}

} // namespace

Napi::Object StatsToJs(Napi::Env env, Engine &engine) {
    Napi::Object out = Napi::Object::New(env);
    out.Set("uptimeMs", Num(env, static_cast<uint64_t>(engine.UptimeMs())));
    out.Set("threads", engine.Options().threads);

    Napi::Object connections = Napi::Object::New(env);
    connections.Set("current", Num(env, Read(engine.connCurrent)));
    connections.Set("splice", Num(env, Read(engine.connSplice)));
    connections.Set("copy", Num(env, Read(engine.connCopy)));
    connections.Set("total", Num(env, Read(engine.connTotal)));
    out.Set("connections", connections);

    out.Set("frontends", ListToJs(env, engine.Frontends(), FrontendToJs));
    out.Set("backends", ListToJs(env, engine.Backends(), BackendToJs));

    const BufferPool::Stats buffers = engine.Pool().Snapshot();
    Napi::Object pool = Napi::Object::New(env);
    pool.Set("bufferSize", engine.Pool().BufferSize());
    pool.Set("buffers", engine.Pool().MaxBuffers());
    pool.Set("free", Num(env, buffers.free));
    pool.Set("inUse", Num(env, buffers.inUse));
    pool.Set("peakInUse", Num(env, buffers.peakInUse));
    pool.Set("waiting", Num(env, buffers.waiting));
    pool.Set("waits", Num(env, buffers.waits));
    out.Set("pool", pool);

    const PipePool::Stats pipeStats = engine.Pipes().Snapshot();
    Napi::Object pipes = Napi::Object::New(env);
    pipes.Set("inUse", Num(env, pipeStats.inUse));
    pipes.Set("idle", Num(env, pipeStats.idle));
    pipes.Set("created", Num(env, pipeStats.created));
    out.Set("pipes", pipes);

    Napi::Object results = Napi::Object::New(env);
    for (size_t i = 0; i < kCloseResultCount; ++i)
        results.Set(CloseResultName(static_cast<CloseResult>(i)),
                    Num(env, Read(engine.results[i])));
    out.Set("results", results);
    return out;
}

Napi::Array EventsToJs(Napi::Env env, const std::vector<CloseEvent> &events) {
    Napi::Array list = Napi::Array::New(env, events.size());
    for (size_t i = 0; i < events.size(); ++i) {
        const CloseEvent &event = events[i];
        Napi::Object out = Napi::Object::New(env);
        out.Set("type", "close");
        out.Set("id", Num(env, event.id));
        out.Set("frontend", event.frontend);
        out.Set("backend", event.backend);
        out.Set("server", event.server.empty() ? env.Null() : Napi::String::New(env, event.server));
        out.Set("path", event.path ? Napi::String::New(env, event.path) : env.Null());
        out.Set("bytesIn", Num(env, event.bytesIn));
        out.Set("bytesOut", Num(env, event.bytesOut));
        out.Set("connectAttempts", event.connectAttempts);
        out.Set("queuedMs", Num(env, static_cast<uint64_t>(event.queuedMs)));
        out.Set("durationMs", Num(env, static_cast<uint64_t>(event.durationMs)));
        out.Set("result", CloseResultName(event.result));
        if (event.errnum)
            out.Set("errorCode", ErrnoCode(event.errnum));
        list.Set(static_cast<uint32_t>(i), out);
    }
    return list;
}

} // namespace qplug::splice
