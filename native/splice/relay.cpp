// Moving bytes: the splice path (socket -> pipe -> socket, no payload in user
// space) and the copy path (recv/send through a pooled buffer); half-close,
// errors, and closing a connection with everything it holds.
#include <cerrno>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "balancer.h"
#include "engine.h"
#include "listener.h"
#include "worker.h"

namespace qplug::splice {

namespace {

// Like HAProxy: ask for far more than a pipe holds; the kernel fills the pipe.
constexpr size_t kSpliceAtOnce = size_t(1) << 30;
constexpr unsigned kSpliceFlags = SPLICE_F_MOVE | SPLICE_F_NONBLOCK;

CloseResult ResultFor(const Endpoint &endpoint, int err) {
    if (err == ECONNRESET || err == EPIPE)
        return endpoint.kind == PollKind::Client ? CloseResult::ClientReset
                                                 : CloseResult::ServerReset;
    return CloseResult::Error;
}

} // namespace

void Worker::Touch(const Endpoint &endpoint) {
    (endpoint.kind == PollKind::Client ? endpoint.conn->lastClientMs
                                       : endpoint.conn->lastServerMs) = now_;
}

bool Worker::Fail(Endpoint &endpoint, int err) {
    Close(*endpoint.conn, ResultFor(endpoint, err), err);
    return false;
}

void Worker::Pump(Connection &conn) {
    if (conn.state != ConnState::Relaying)
        return;
    const bool alive = conn.splice ? PumpSplice(conn.request) && PumpSplice(conn.response)
                                   : PumpCopy(conn.request) && PumpCopy(conn.response);
    if (!alive)
        return;
    if (conn.request.shut && conn.response.shut)
        Close(conn, CloseResult::Ok);
}

bool Worker::PumpCopy(Direction &d) {
    Endpoint &src = *d.src;
    Endpoint &dst = *d.dst;
    const uint32_t size = engine_.Pool().BufferSize();
    for (;;) {
        bool progress = false;
        if (d.tail > d.head && dst.writable) {
            const size_t want = d.tail - d.head;
            const ssize_t n = send(dst.fd, d.buffer + d.head, want, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0) {
                d.head += uint32_t(n);
                d.bytes += uint64_t(n);
                if (d.head == d.tail)
                    d.head = d.tail = 0;
                if (size_t(n) < want)
                    dst.writable = false; // socket buffer full: wait for EPOLLOUT
                Touch(dst);
                progress = true;
            } else if (errno == EINTR) {
                continue;
            } else if (errno == EAGAIN) {
                dst.writable = false;
            } else {
                return Fail(dst, errno);
            }
        }
        if (!d.eof && src.readable && d.tail < size && !d.waiting) {
            if (!d.buffer && !(d.buffer = engine_.Pool().Acquire(nullptr))) {
                // Pool exhausted. Queue only if bytes are there: an EOF or an
                // empty socket needs no buffer.
                char probe;
                const ssize_t peeked = recv(src.fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
                if (peeked > 0) {
                    if (!(d.buffer = engine_.Pool().Acquire(&d)))
                        break; // waiting: stop reading this side until a grant
                } else if (peeked == 0) {
                    d.eof = true;
                    Touch(src);
                    progress = true;
                    continue;
                } else if (errno == EAGAIN) {
                    src.readable = false;
                    continue;
                } else if (errno == EINTR) {
                    continue;
                } else {
                    return Fail(src, errno);
                }
            }
            const size_t want = size - d.tail;
            const ssize_t n = recv(src.fd, d.buffer + d.tail, want, MSG_DONTWAIT);
            if (n > 0) {
                d.tail += uint32_t(n);
                // Edge-triggered: a short read drained the socket; new data brings a new edge.
                if (size_t(n) < want && !src.hangup)
                    src.readable = false;
                Touch(src);
                progress = true;
            } else if (n == 0) {
                d.eof = true;
                Touch(src);
                progress = true;
            } else if (errno == EINTR) {
                continue;
            } else if (errno == EAGAIN) {
                src.readable = false;
            } else {
                return Fail(src, errno);
            }
        }
        if (!progress)
            break;
    }
    if (d.buffer && d.head == d.tail)
        ReleaseBuffer(d);
    if (d.eof && !d.Pending() && !d.shut)
        PassEof(d);
    return true;
}

bool Worker::PumpSplice(Direction &d) {
    Endpoint &src = *d.src;
    Endpoint &dst = *d.dst;
    for (;;) {
        bool progress = false;
        if (d.pipeBytes > 0 && dst.writable) {
            const ssize_t n =
                ::splice(d.pipeRead, nullptr, dst.fd, nullptr, d.pipeBytes, kSpliceFlags);
            if (n > 0) {
                d.pipeBytes -= uint32_t(n);
                d.bytes += uint64_t(n);
                if (d.pipeBytes > 0)
                    dst.writable = false;
                Touch(dst);
                progress = true;
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && errno == EAGAIN) {
                dst.writable = false;
            } else {
                return Fail(dst, n == 0 ? EPIPE : errno);
            }
        }
        // With bytes stuck in the pipe, wait for dst before reading more: a
        // splice into a full pipe only says EAGAIN (HAProxy's WAIT_ROOM).
        if (!d.eof && src.readable && (d.pipeBytes == 0 || dst.writable)) {
            if (d.pipeRead < 0) {
                int fds[2];
                if (!engine_.Pipes().Take(fds)) {
                    const int err = errno;
                    Close(*d.conn, CloseResult::Error, err);
                    return false;
                }
                d.pipeRead = fds[0];
                d.pipeWrite = fds[1];
            }
            const ssize_t n =
                ::splice(src.fd, nullptr, d.pipeWrite, nullptr, kSpliceAtOnce, kSpliceFlags);
            if (n > 0) {
                d.pipeBytes += uint32_t(n);
                Touch(src);
                progress = true;
            } else if (n == 0) {
                d.eof = true;
                Touch(src);
                progress = true;
            } else if (errno == EINTR) {
                continue;
            } else if (errno == EAGAIN) {
                // EAGAIN means an empty socket or a full pipe. With bytes in the
                // pipe, assume full (HAProxy does too): retry once it drained.
                if (d.pipeBytes == 0)
                    src.readable = false;
            } else {
                return Fail(src, errno);
            }
        }
        if (!progress)
            break;
    }
    if (d.eof && d.pipeBytes == 0 && !d.shut) {
        PassEof(d);
        ReleaseDirection(d); // the pipe goes back to the pool now, empty
    }
    return true;
}

void Worker::PassEof(Direction &d) {
    d.shut = true;
    const Direction &other = d.index == 0 ? d.conn->response : d.conn->request;
    // The last direction to finish needs no shutdown: close() follows at once
    // and sends the FIN itself (both receive queues are empty by then).
    if (!other.shut)
        shutdown(d.dst->fd, SHUT_WR); // ENOTCONN after a reset shows up on the next call
}

void Worker::FlushByteCounters(Connection &conn) {
    const uint64_t in = conn.request.bytes - conn.reportedIn;
    const uint64_t out = conn.response.bytes - conn.reportedOut;
    if (!in && !out)
        return;
    conn.reportedIn = conn.request.bytes;
    conn.reportedOut = conn.response.bytes;
    Bump(conn.frontend->bytesIn, in);
    Bump(conn.frontend->bytesOut, out);
    Bump(conn.backend->bytesIn, in);
    Bump(conn.backend->bytesOut, out);
    if (conn.lastSrv) {
        Bump(conn.lastSrv->bytesIn, in);
        Bump(conn.lastSrv->bytesOut, out);
    }
}

void Worker::Deliver(const std::optional<Grant> &grant) {
    if (grant)
        engine_.Deliver(*grant);
}

void Worker::ReleaseBuffer(Direction &d) {
    char *buffer = d.buffer;
    d.buffer = nullptr;
    d.head = d.tail = 0;
    Deliver(engine_.Pool().Release(buffer));
}

void Worker::ReleaseDirection(Direction &d) {
    if (d.waiting)
        engine_.Pool().CancelWait(d);
    if (d.buffer)
        ReleaseBuffer(d);
    if (d.pipeRead >= 0) {
        int fds[2] = {d.pipeRead, d.pipeWrite};
        engine_.Pipes().Give(fds, d.pipeBytes == 0);
        d.pipeRead = d.pipeWrite = -1;
        d.pipeBytes = 0;
    }
}

void Worker::Close(Connection &conn, CloseResult result, int err) {
    if (conn.state == ConnState::Closed || conn.state == ConnState::Free)
        return;
    if (conn.state == ConnState::Queued)
        conn.backend->Unqueue(conn); // false: a grant in flight is released on arrival
    FlushByteCounters(conn);
    ReleaseDirection(conn.request);
    ReleaseDirection(conn.response);
    if (conn.srv) {
        Deliver(conn.backend->Release(*conn.srv));
        conn.srv = nullptr;
    }
    conn.frontend->ReleaseSlot();
    conn.backend->current.fetch_sub(1, std::memory_order_relaxed);
    engine_.connCurrent.fetch_sub(1, std::memory_order_relaxed);
    if (conn.connected)
        (conn.splice ? engine_.connSplice : engine_.connCopy)
            .fetch_sub(1, std::memory_order_relaxed);

    CloseEvent event;
    event.result = result;
    if (engine_.Options().events) {
        event.id = conn.id;
        event.frontend = conn.frontend->Spec().name;
        event.backend = conn.backend->Spec().name;
        if (conn.lastSrv)
            event.server = conn.lastSrv->spec.name;
        event.path = conn.connected ? (conn.splice ? "splice" : "copy") : nullptr;
        event.bytesIn = conn.request.bytes;
        event.bytesOut = conn.response.bytes;
        event.connectAttempts = conn.attempts;
        event.queuedMs = conn.queuedMs;
        event.durationMs = now_ - conn.acceptedMs;
        event.errnum = result == CloseResult::Ok ? 0 : err;
    }
    engine_.RecordClose(std::move(event));

    // Last: once a peer sees the close, stats() already counts it.
    if (conn.client.fd >= 0)
        close(conn.client.fd);
    if (conn.server.fd >= 0)
        close(conn.server.fd);
    conn.client.fd = conn.server.fd = -1;

    conn.state = ConnState::Closed;
    (conn.prev ? conn.prev->next : active_) = conn.next;
    if (conn.next)
        conn.next->prev = conn.prev;
    conn.prev = conn.next = nullptr;
    --activeCount_;
    closed_.push_back(&conn);
}

} // namespace qplug::splice
