#include "engine.h"

#include <algorithm>
#include <cerrno>

#include "libnl-bindings/errors.h"
#include "worker.h"

namespace qplug::splice {

namespace {

NativeFailure Invalid(const std::string &call, const std::string &why) {
    return NativeFailure(call, EINVAL, "EINVAL", why, "", "");
}

NativeFailure StoppedFailure(const std::string &call) {
    return NativeFailure(call, EBADF, "ECLOSED", "the engine is stopped", "", "");
}

} // namespace

Engine::Engine(const EngineOptions &options)
    : options_(options), pool_(options.bufferSize, options.poolBuffers),
      pipes_(options.pipeSize, options.maxIdlePipes) {}

Engine::~Engine() {
    if (started_ && !joined_) {
        BeginStop(0);
        Join();
    }
    // Frontends close their own fds; idle pipes close with pipes_.
}

Backend *Engine::FindBackend(const std::string &name) const {
    for (const auto &backend : backends_)
        if (backend->Spec().name == name)
            return backend.get();
    return nullptr;
}

void Engine::UpdateTick(uint32_t timeoutMs) {
    // Sweep about ten times per shortest timeout, within 10..100 ms.
    if (timeoutMs == 0)
        return;
    const int tick = std::clamp<int>(static_cast<int>(timeoutMs / 10), 10, 100);
    int seen = tickMs_.load();
    while (tick < seen && !tickMs_.compare_exchange_weak(seen, tick)) {
    }
}

void Engine::AddBackend(BackendSpec spec) {
    if (Stopped())
        throw StoppedFailure("addBackend");
    if (started_)
        throw Invalid("addBackend", "backends can only be added before start()");
    if (FindBackend(spec.name))
        throw Invalid("addBackend", "a backend named '" + spec.name + "' exists already");
    UpdateTick(spec.connectTimeoutMs);
    UpdateTick(spec.serverTimeoutMs);
    UpdateTick(spec.queueTimeoutMs);
    backends_.push_back(std::make_unique<Backend>(std::move(spec)));
}

Frontend &Engine::AddFrontend(FrontendSpec spec) {
    if (Stopped())
        throw StoppedFailure("addFrontend");
    for (const auto &frontend : frontends_)
        if (frontend->Spec().name == spec.name)
            throw Invalid("addFrontend", "a frontend named '" + spec.name + "' exists already");
    Backend *backend = FindBackend(spec.backend);
    if (!backend)
        throw NativeFailure("addFrontend", ENOENT, "ENOENT", "no such backend", "", spec.backend);
    UpdateTick(spec.clientTimeoutMs);
    auto frontend = std::make_unique<Frontend>(std::move(spec), backend);
    frontend->Open();
    frontends_.push_back(std::move(frontend));
    Frontend &added = *frontends_.back();
    if (started_) {
        std::vector<int> epollFds;
        for (const auto &worker : workers_)
            epollFds.push_back(worker->EpollFd());
        added.Attach(epollFds);
    }
    return added;
}

void Engine::Start() {
    if (Stopped())
        throw StoppedFailure("start");
    if (started_)
        throw Invalid("start", "the engine is running already");
    if (options_.events)
        UpdateTick(options_.eventIntervalMs);
    for (int i = 0; i < options_.threads; ++i) {
        auto worker = std::make_unique<Worker>(*this, i);
        if (const int err = worker->Init()) {
            workers_.clear();
            throw SystemFailure(err == EMFILE || err == ENFILE ? "eventfd" : "epoll_create1", err);
        }
        workers_.push_back(std::move(worker));
    }
    std::vector<int> epollFds;
    for (const auto &worker : workers_)
        epollFds.push_back(worker->EpollFd());
    started_ = true;
    startedAtMs_ = NowMs();
    nextEventFlush_.store(startedAtMs_ + options_.eventIntervalMs);
    for (const auto &worker : workers_)
        worker->Start();
    for (const auto &frontend : frontends_)
        frontend->Attach(epollFds);
}

void Engine::SetServer(const std::string &backendName, const std::string &serverName,
                       std::optional<bool> enabled, std::optional<uint32_t> weight) {
    Backend *backend = FindBackend(backendName);
    if (!backend)
        throw NativeFailure("setServer", ENOENT, "ENOENT", "no such backend", "", backendName);
    Server *server = backend->FindServer(serverName);
    if (!server)
        throw NativeFailure("setServer", ENOENT, "ENOENT", "no such server", "",
                            backendName + "/" + serverName);
    for (const Grant &grant : backend->SetServer(*server, enabled, weight))
        Deliver(grant);
}

void Engine::SetListenersPaused(bool paused) {
    for (const auto &frontend : frontends_)
        frontend->SetPaused(paused);
}

void Engine::CloseListeners() {
    for (const auto &frontend : frontends_)
        frontend->Close();
}

std::vector<std::pair<std::string, int>> Engine::ListenerFds() const {
    std::vector<std::pair<std::string, int>> fds;
    for (const auto &frontend : frontends_)
        if (frontend->Fd() >= 0)
            fds.emplace_back(frontend->Spec().name, frontend->Fd());
    return fds;
}

void Engine::BeginStop(uint32_t graceMs) {
    CloseListeners();
    if (stopRequested_.load())
        return;
    stopDeadline_.store(NowMs() + graceMs, std::memory_order_release);
    stopRequested_.store(true, std::memory_order_release);
    for (const auto &worker : workers_)
        worker->Wake();
}

void Engine::Join() {
    if (joined_)
        return;
    for (const auto &worker : workers_)
        worker->Join();
    // Grants posted after a worker left (stale by then) give their resources back.
    for (const auto &worker : workers_)
        worker->ReleaseMailbox();
    for (const auto &frontend : frontends_)
        frontend->Detach();
    workers_.clear(); // closes the epoll and mailbox fds
    pipes_.CloseIdle();
    FlushEvents(0, true);
    joined_ = true;
}

int64_t Engine::UptimeMs() const { return started_ ? NowMs() - startedAtMs_ : 0; }

void Engine::Deliver(const Grant &grant) { grant.worker->Post(grant); }

void Engine::RecordClose(CloseEvent &&event) {
    Bump(results[static_cast<size_t>(event.result)]);
    if (!options_.events)
        return;
    std::lock_guard<std::mutex> lock(eventsMutex_);
    events_.push_back(std::move(event));
    eventsPending_.store(true, std::memory_order_relaxed);
}

void Engine::FlushEvents(int64_t now, bool force) {
    if (!options_.events || !eventsPending_.load(std::memory_order_relaxed))
        return;
    int64_t due = nextEventFlush_.load(std::memory_order_relaxed);
    if (!force) {
        // One flusher per interval, whichever worker gets there first.
        if (now < due ||
            !nextEventFlush_.compare_exchange_strong(due, now + options_.eventIntervalMs))
            return;
    }
    std::vector<CloseEvent> batch;
    {
        std::lock_guard<std::mutex> lock(eventsMutex_);
        batch.swap(events_);
        eventsPending_.store(false, std::memory_order_relaxed);
    }
    if (!batch.empty() && eventSink)
        eventSink(std::move(batch));
}

} // namespace qplug::splice
