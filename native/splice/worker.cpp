#include "worker.h"

#include <cerrno>
#include <csignal>
#include <ctime>

#include <pthread.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "balancer.h"
#include "engine.h"
#include "listener.h"

namespace qplug::splice {

namespace {

constexpr int kMaxEvents = 256;
constexpr size_t kChunk = 256; // connections allocated at a time, never freed before exit

thread_local Worker *currentWorker = nullptr;

} // namespace

int64_t NowMs() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    return int64_t(now.tv_sec) * 1000 + now.tv_nsec / 1000000;
}

Worker::Worker(Engine &engine, int index) : engine_(engine), index_(index) {}

Worker::~Worker() {
    if (thread_.joinable())
        thread_.join();
    if (epfd_ >= 0)
        close(epfd_);
    if (eventFd_ >= 0)
        close(eventFd_);
}

int Worker::Init() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0)
        return errno;
    eventFd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (eventFd_ < 0)
        return errno;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.ptr = &mailboxTarget_;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, eventFd_, &event) < 0)
        return errno;
    return 0;
}

void Worker::Start() { thread_ = std::thread([this] { Run(); }); }

void Worker::Join() {
    if (thread_.joinable())
        thread_.join();
}

void Worker::Wake() {
    const uint64_t one = 1;
    while (write(eventFd_, &one, sizeof one) < 0 && errno == EINTR) {
    }
}

void Worker::Post(const Grant &grant) {
    if (currentWorker == this) {
        local_.push_back(grant);
        return;
    }
    bool first;
    {
        std::lock_guard<std::mutex> lock(mailboxMutex_);
        first = mailbox_.empty();
        mailbox_.push_back(grant);
    }
    if (first)
        Wake();
}

void Worker::HandleMailbox() {
    uint64_t count;
    while (read(eventFd_, &count, sizeof count) < 0 && errno == EINTR) {
    }
    {
        std::lock_guard<std::mutex> lock(mailboxMutex_);
        incoming_.swap(mailbox_);
    }
    for (const Grant &grant : incoming_)
        ApplyGrant(grant);
    incoming_.clear();
}

void Worker::RunLocalGrants() {
    // Applying a grant may release resources that produce more local grants.
    while (!local_.empty()) {
        localRunning_.swap(local_); // both keep their capacity: no allocation
        for (const Grant &grant : localRunning_)
            ApplyGrant(grant);
        localRunning_.clear();
    }
}

void Worker::ReleaseMailbox() {
    std::vector<Grant> grants;
    {
        std::lock_guard<std::mutex> lock(mailboxMutex_);
        grants.swap(mailbox_);
    }
    grants.insert(grants.end(), local_.begin(), local_.end());
    local_.clear();
    for (const Grant &grant : grants) {
        if (grant.kind == Grant::BufferGrant)
            engine_.Pool().Release(grant.buffer); // nobody waits any more
        else
            grant.backend->Release(*grant.server);
    }
}

void Worker::ApplyGrant(const Grant &grant) {
    Connection &conn = *grant.conn;
    const bool current = conn.gen == grant.gen;
    if (grant.kind == Grant::BufferGrant) {
        if (!current || conn.state != ConnState::Relaying) {
            Deliver(engine_.Pool().Release(grant.buffer));
            return;
        }
        Direction &direction = grant.direction == 0 ? conn.request : conn.response;
        if (direction.buffer) { // cannot happen: a waiting direction holds none
            Deliver(engine_.Pool().Release(grant.buffer));
            return;
        }
        direction.buffer = grant.buffer;
        direction.head = direction.tail = 0;
        Pump(conn);
        return;
    }
    if (!current || conn.state != ConnState::Queued) {
        Deliver(grant.backend->Release(*grant.server));
        return;
    }
    conn.srv = grant.server;
    conn.queuedMs += now_ - conn.queuedAtMs;
    if (conn.avoid && grant.server != conn.avoid)
        Bump(conn.backend->redispatches); // a retry that queued, then went elsewhere
    StartConnect(conn);
}

Connection *Worker::Allocate() {
    if (!free_) {
        chunks_.emplace_back(new Connection[kChunk]);
        Connection *chunk = chunks_.back().get();
        for (size_t i = 0; i < kChunk; ++i) {
            chunk[i].next = free_;
            free_ = &chunk[i];
        }
    }
    Connection *conn = free_;
    free_ = conn->next;
    const uint32_t gen = conn->gen + 1;
    conn->~Connection();
    new (conn) Connection();
    conn->gen = gen;
    conn->worker = this;
    conn->client.conn = conn->server.conn = conn;
    conn->request.conn = conn->response.conn = conn;
    conn->request.index = 0;
    conn->request.src = &conn->client;
    conn->request.dst = &conn->server;
    conn->response.index = 1;
    conn->response.src = &conn->server;
    conn->response.dst = &conn->client;
    // Active list.
    conn->prev = nullptr;
    conn->next = active_;
    if (active_)
        active_->prev = conn;
    active_ = conn;
    ++activeCount_;
    return conn;
}

void Worker::RecycleClosed() {
    for (Connection *conn : closed_) {
        conn->state = ConnState::Free;
        conn->next = free_;
        free_ = conn;
    }
    closed_.clear();
}

void Worker::HandleEvent(PollTarget *target, uint32_t events) {
    switch (target->kind) {
    case PollKind::Listener:
        OnListener(*static_cast<Frontend *>(target));
        break;
    case PollKind::Client:
    case PollKind::Server:
        OnEndpointEvent(*static_cast<Endpoint *>(target), events);
        break;
    case PollKind::Mailbox:
        HandleMailbox();
        break;
    }
}

void Worker::Sweep() {
    for (Frontend *frontend : starved_)
        frontend->Unstarve();
    starved_.clear();
    // EPOLLEXCLUSIVE wakes one waiter per arriving connection. When that waiter
    // stops accepting before it accepts (the old worker of a handoff reload,
    // pausing on the same socket), nothing wakes us for that connection until
    // the next one arrives: an accept attempt per sweep bounds its wait to a tick.
    for (const auto &frontend : engine_.Frontends())
        if (frontend->Listening())
            OnListener(*frontend);
    Connection *conn = active_;
    while (conn) {
        Connection *next = conn->next; // conn may close (and unlink) below
        SweepConnection(*conn);
        conn = next;
    }
}

void Worker::SweepConnection(Connection &conn) {
    const Backend &backend = *conn.backend;
    const BackendSpec &spec = backend.Spec();
    const auto expired = [this](int64_t since, uint32_t timeout) {
        return timeout > 0 && now_ - since >= timeout;
    };
    switch (conn.state) {
    case ConnState::Queued: {
        const uint32_t timeout = spec.queueTimeoutMs ? spec.queueTimeoutMs : spec.connectTimeoutMs;
        // A failed Unqueue means a grant is on its way: let it win.
        if (expired(conn.queuedAtMs, timeout) && conn.backend->Unqueue(conn)) {
            Bump(conn.backend->queueTimeouts);
            conn.queuedMs += now_ - conn.queuedAtMs;
            Close(conn, CloseResult::QueueTimeout);
        }
        return;
    }
    case ConnState::Connecting:
        if (expired(conn.connectStartMs, spec.connectTimeoutMs))
            OnConnectFailed(conn, ETIMEDOUT);
        return;
    case ConnState::Relaying: {
        // A side times out only while we wait for it: to send (we want to read
        // and hold nothing) or to receive (we hold bytes for it).
        const auto awaits = [](const Direction &from, const Direction &to) {
            return (!from.eof && !from.Pending()) || to.Pending();
        };
        const uint32_t clientTimeout = conn.frontend->Spec().clientTimeoutMs;
        if (awaits(conn.request, conn.response) && expired(conn.lastClientMs, clientTimeout)) {
            Close(conn, CloseResult::ClientTimeout);
            return;
        }
        if (awaits(conn.response, conn.request) &&
            expired(conn.lastServerMs, spec.serverTimeoutMs)) {
            Close(conn, CloseResult::ServerTimeout);
            return;
        }
        FlushByteCounters(conn);
        return;
    }
    default:
        return;
    }
}

void Worker::Run() {
    // Signals belong to Node's main thread. A splice to a reset socket raises
    // SIGPIPE on this thread (splice has no MSG_NOSIGNAL): blocked, it is moot.
    sigset_t blocked;
    sigfillset(&blocked);
    for (int fault : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP})
        sigdelset(&blocked, fault);
    pthread_sigmask(SIG_BLOCK, &blocked, nullptr);
    currentWorker = this;
    epoll_event events[kMaxEvents];
    now_ = NowMs();
    int64_t nextSweep = now_ + engine_.TickMs();
    for (;;) {
        const int timeout = static_cast<int>(std::max<int64_t>(0, nextSweep - now_));
        const int count = epoll_wait(epfd_, events, kMaxEvents, timeout);
        now_ = NowMs();
        for (int i = 0; i < count; ++i)
            HandleEvent(static_cast<PollTarget *>(events[i].data.ptr), events[i].events);
        RunLocalGrants();
        RecycleClosed();
        if (now_ >= nextSweep) {
            Sweep();
            RunLocalGrants();
            RecycleClosed();
            nextSweep = now_ + engine_.TickMs();
        }
        engine_.FlushEvents(now_, false);
        if (engine_.Stopping()) {
            if (now_ >= engine_.StopDeadlineMs()) {
                while (active_)
                    Close(*active_, CloseResult::Stopped);
                RunLocalGrants();
                RecycleClosed();
            }
            if (activeCount_ == 0)
                break;
        }
    }
    // Grants that arrived for closed connections give their resources back.
    HandleMailbox();
    RunLocalGrants();
    RecycleClosed();
    currentWorker = nullptr;
}

} // namespace qplug::splice
