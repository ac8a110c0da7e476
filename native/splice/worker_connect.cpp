// Accepting, balancing, connecting and retrying.
#include <cerrno>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "balancer.h"
#include "engine.h"
#include "listener.h"
#include "worker.h"

namespace qplug::splice {

namespace {

// Accepts per wakeup: other listeners and connections get their turn.
constexpr int kMaxAccepts = 64;
// Every socket is registered once, for everything, edge-triggered.
constexpr uint32_t kSocketEvents = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;

int SocketError(int fd) {
    int err = 0;
    socklen_t length = sizeof err;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &length) < 0)
        return errno;
    return err;
}

} // namespace

void Worker::OnListener(Frontend &frontend) {
    const int listenFd = frontend.Enter();
    if (listenFd < 0)
        return;
    for (int i = 0; i < kMaxAccepts; ++i) {
        if (!frontend.TryReserve())
            break; // disarmed at maxconn: the kernel queues the rest
        const int fd = accept4(listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            OnAccepted(frontend, fd);
            continue;
        }
        const int err = errno;
        frontend.ReleaseSlot();
        if (err == EINTR || err == ECONNABORTED || err == EPROTO)
            continue;
        if (err == EMFILE || err == ENFILE || err == ENOBUFS || err == ENOMEM) {
            frontend.Starve();
            starved_.push_back(&frontend);
        }
        break; // EAGAIN: drained
    }
    frontend.Leave();
}

void Worker::OnAccepted(Frontend &frontend, int fd) {
    Connection &conn = *Allocate();
    conn.frontend = &frontend;
    conn.backend = frontend.GetBackend();
    conn.id = engine_.NextId();
    conn.acceptedMs = conn.lastClientMs = conn.lastServerMs = now_;
    conn.client.fd = fd;
    conn.client.writable = true;
    conn.state = ConnState::Queued; // until a server is chosen
    Bump(frontend.total);
    Bump(conn.backend->total);
    Bump(conn.backend->current);
    Bump(engine_.connTotal);
    Bump(engine_.connCurrent);
    epoll_event event{};
    event.events = kSocketEvents;
    event.data.ptr = static_cast<PollTarget *>(&conn.client);
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &event) < 0) {
        Close(conn, CloseResult::Error, errno);
        return;
    }
    Dispatch(conn, nullptr);
}

void Worker::Dispatch(Connection &conn, Server *avoid) {
    Server *server = nullptr;
    switch (conn.backend->Acquire(conn, avoid, server)) {
    case Backend::Pick::Granted:
        conn.srv = server;
        if (avoid && server != avoid)
            Bump(conn.backend->redispatches);
        StartConnect(conn);
        return;
    case Backend::Pick::Queued:
        conn.state = ConnState::Queued;
        conn.queuedAtMs = now_;
        return;
    case Backend::Pick::NoServer:
        if (conn.attempts > 0)
            Close(conn, CloseResult::ConnectFailed, conn.lastErrno);
        else
            Close(conn, CloseResult::NoServer);
        return;
    }
}

void Worker::StartConnect(Connection &conn) {
    Server &server = *conn.srv;
    ++conn.attempts;
    conn.lastSrv = &server;
    conn.state = ConnState::Connecting;
    conn.connectStartMs = now_;
    conn.server.readable = conn.server.writable = conn.server.hangup = false;
    const int fd =
        socket(server.address.Family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        OnConnectFailed(conn, errno);
        return;
    }
    conn.server.fd = fd;
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, server.address.Get(), server.address.length) < 0 && errno != EINPROGRESS &&
        errno != EINTR) {
        OnConnectFailed(conn, errno);
        return;
    }
    epoll_event event{};
    event.events = kSocketEvents;
    event.data.ptr = static_cast<PollTarget *>(&conn.server);
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, fd, &event) < 0)
        OnConnectFailed(conn, errno);
    // Connected or refused, the first event tells (ADD reports a ready socket at once).
}

void Worker::OnConnected(Connection &conn) {
    conn.state = ConnState::Relaying;
    conn.connected = true;
    conn.server.writable = true;
    conn.lastServerMs = now_;
    conn.splice = conn.frontend->Spec().splice && conn.backend->Spec().splice;
    Bump(conn.splice ? engine_.connSplice : engine_.connCopy);
    Pump(conn);
}

void Worker::OnConnectFailed(Connection &conn, int err) {
    if (conn.server.fd >= 0) {
        close(conn.server.fd);
        conn.server.fd = -1;
    }
    conn.server.readable = conn.server.writable = false;
    conn.lastErrno = err;
    Backend &backend = *conn.backend;
    Bump(conn.srv->connectErrors);
    Bump(backend.connectErrors);
    const CloseResult failure =
        err == ETIMEDOUT ? CloseResult::ConnectTimeout : CloseResult::ConnectFailed;
    if (conn.attempts > backend.Spec().retries) {
        Close(conn, failure, err);
        return;
    }
    Bump(backend.retries);
    if (!backend.Spec().redispatch) {
        StartConnect(conn);
        return;
    }
    Server *failed = conn.srv;
    conn.srv = nullptr;
    Deliver(backend.Release(*failed));
    Dispatch(conn, failed);
}

void Worker::OnEndpointEvent(Endpoint &endpoint, uint32_t events) {
    Connection &conn = *endpoint.conn;
    const bool client = endpoint.kind == PollKind::Client;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        endpoint.readable = true;
    if (events & (EPOLLRDHUP | EPOLLHUP))
        endpoint.hangup = true;
    if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        endpoint.writable = true;
    switch (conn.state) {
    case ConnState::Queued:
    case ConnState::Connecting:
        if (client) {
            // Data and a FIN may come before the server is there; a reset may not.
            if (events & (EPOLLERR | EPOLLHUP)) {
                const int err = SocketError(endpoint.fd);
                Close(conn, CloseResult::ClientReset, err ? err : ECONNRESET);
            }
            return;
        }
        if (conn.state != ConnState::Connecting)
            return;
        if (events & (EPOLLERR | EPOLLHUP)) {
            const int err = SocketError(endpoint.fd);
            OnConnectFailed(conn, err ? err : ECONNREFUSED);
        } else if (events & EPOLLOUT) {
            OnConnected(conn);
        }
        return;
    case ConnState::Relaying:
        if (events & EPOLLERR) {
            if (const int err = SocketError(endpoint.fd)) {
                Fail(endpoint, err);
                return;
            }
        }
        Pump(conn);
        return;
    default:
        return; // closed earlier in this batch
    }
}

} // namespace qplug::splice
