#include "listener.h"

#include <cerrno>

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "libnl-bindings/errors.h"

namespace qplug::splice {

namespace {

void SetOption(int fd, int level, int name, int value) {
    setsockopt(fd, level, name, &value, sizeof value);
}

} // namespace

Frontend::Frontend(FrontendSpec spec, Backend *backend)
    : PollTarget(PollKind::Listener), spec_(std::move(spec)), backend_(backend) {}

Frontend::~Frontend() {
    const int fd = fd_.exchange(-1);
    if (fd >= 0)
        close(fd);
}

void Frontend::Open() {
    int fd = -1;
    if (spec_.fd >= 0) {
        fd = fcntl(spec_.fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0)
            throw SystemFailure("dup", errno);
        int listening = 0;
        socklen_t length = sizeof listening;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) < 0) {
            const int err = errno;
            close(fd);
            throw SystemFailure("getsockopt", err);
        }
        if (!listening && listen(fd, spec_.backlog) < 0) {
            const int err = errno;
            close(fd);
            throw SystemFailure("listen", err);
        }
        // Shared with the process that handed it over: it must cope with O_NONBLOCK.
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    } else {
        SocketAddress address;
        if (!ParseAddress(spec_.host, spec_.port, address))
            throw SystemFailure("inet_pton", EINVAL, spec_.host);
        fd = socket(address.Family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            throw SystemFailure("socket", errno);
        SetOption(fd, SOL_SOCKET, SO_REUSEADDR, 1);
        if (spec_.reusePort)
            SetOption(fd, SOL_SOCKET, SO_REUSEPORT, 1);
        if (bind(fd, address.Get(), address.length) < 0) {
            const int err = errno;
            close(fd);
            throw SystemFailure("bind", err, spec_.host + ":" + std::to_string(spec_.port));
        }
        if (listen(fd, spec_.backlog) < 0) {
            const int err = errno;
            close(fd);
            throw SystemFailure("listen", err);
        }
    }
    // Accepted sockets inherit TCP_NODELAY: one setsockopt less per connection.
    SetOption(fd, IPPROTO_TCP, TCP_NODELAY, 1);
    SocketAddress bound;
    bound.length = sizeof bound.storage;
    getsockname(fd, reinterpret_cast<sockaddr *>(&bound.storage), &bound.length);
    host_ = AddressHost(bound);
    port_ = AddressPort(bound);
    fd_.store(fd);
}

bool Frontend::Listening() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return !closed_.load() && !paused_ && fd_.load() >= 0;
}

int Frontend::Enter() {
    users_.fetch_add(1);
    if (closed_.load()) {
        Leave();
        return -1;
    }
    return fd_.load();
}

void Frontend::Leave() {
    if (users_.fetch_sub(1) == 1 && closed_.load())
        CloseFdIfUnused();
}

void Frontend::CloseFdIfUnused() {
    // Under the mutex: Close() must have taken the fd out of every epoll first.
    std::lock_guard<std::mutex> lock(mutex_);
    if (users_.load() != 0)
        return;
    const int fd = fd_.exchange(-1);
    if (fd >= 0)
        close(fd);
}

bool Frontend::TryReserve() {
    const uint32_t limit = spec_.maxconn;
    uint32_t seen = current.load();
    for (;;) {
        if (limit && seen >= limit) {
            // Dekker with ReleaseSlot: set full_, then re-read current (in UpdateArming).
            full_.store(true);
            UpdateArming();
            return false;
        }
        if (current.compare_exchange_weak(seen, seen + 1)) {
            RaisePeak(peak, seen + 1);
            return true;
        }
    }
}

void Frontend::ReleaseSlot() {
    current.fetch_sub(1);
    if (full_.load())
        UpdateArming();
}

void Frontend::Starve() {
    std::lock_guard<std::mutex> lock(mutex_);
    starved_ = true;
    UpdateArmingLocked();
}

void Frontend::Unstarve() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        starved_ = false;
    }
    UpdateArming();
}

void Frontend::Attach(const std::vector<int> &epollFds) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        epollFds_ = epollFds;
    }
    UpdateArming();
}

void Frontend::Detach() {
    std::lock_guard<std::mutex> lock(mutex_);
    epollFds_.clear();
    armed_ = false;
}

void Frontend::SetPaused(bool paused) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        paused_ = paused;
    }
    UpdateArming();
}

void Frontend::Close() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        closed_.store(true);
        UpdateArmingLocked(); // before anyone may close the fd
    }
    CloseFdIfUnused();
}

void Frontend::UpdateArming() {
    std::lock_guard<std::mutex> lock(mutex_);
    UpdateArmingLocked();
}

void Frontend::UpdateArmingLocked() {
    const uint32_t limit = spec_.maxconn;
    const bool atLimit = limit && current.load() >= limit;
    full_.store(atLimit);
    const int fd = fd_.load();
    const bool want = !closed_.load() && !paused_ && !starved_ && !atLimit && fd >= 0 &&
                      !epollFds_.empty();
    if (want == armed_)
        return;
    for (int epfd : epollFds_) {
        if (want) {
            epoll_event event{};
            event.events = EPOLLIN | EPOLLEXCLUSIVE;
            event.data.ptr = static_cast<PollTarget *>(this);
            epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &event);
        } else {
            epoll_ctl(epfd, EPOLL_CTL_DEL, fd, nullptr);
        }
    }
    armed_ = want;
}

} // namespace qplug::splice
