// One proxied connection: its two sockets, one relay direction each way, and
// the intrusive links that put it on its worker's lists, a backend queue or the
// buffer pool's wait list without allocating.
#pragma once

#include <atomic>
#include <cstdint>

#include "engine_types.h"

namespace qplug::splice {

class Worker;
class Frontend;
class Backend;
struct Server;
struct Connection;

// What an epoll_event's data.ptr points at.
enum class PollKind : uint8_t { Listener, Client, Server, Mailbox };
struct PollTarget {
    explicit PollTarget(PollKind k) : kind(k) {}
    PollKind kind;
};

struct Endpoint : PollTarget {
    explicit Endpoint(PollKind k) : PollTarget(k) {}
    Connection *conn = nullptr;
    int fd = -1;
    // Edge-triggered readiness: set by events, cleared when a call says EAGAIN.
    bool readable = false;
    bool writable = false;
    // The peer's FIN was reported: a short read no longer means "drained",
    // since no further edge will announce the EOF.
    bool hangup = false;
};

struct Direction {
    Connection *conn = nullptr;
    uint8_t index = 0; // 0: request (client to server), 1: response
    Endpoint *src = nullptr;
    Endpoint *dst = nullptr;
    // Copy path: bytes [head, tail) of buffer wait to be written.
    char *buffer = nullptr;
    uint32_t head = 0;
    uint32_t tail = 0;
    // Splice path.
    int pipeRead = -1;
    int pipeWrite = -1;
    uint32_t pipeBytes = 0;
    bool eof = false;  // src said EOF
    bool shut = false; // EOF passed on: shutdown(dst, SHUT_WR) done
    // Buffer-pool wait list, guarded by the pool's mutex. waiting is also read
    // by the owner without it (another thread may clear it when granting).
    Direction *waitPrev = nullptr;
    Direction *waitNext = nullptr;
    std::atomic<bool> waiting{false};
    uint64_t bytes = 0;

    bool Pending() const { return tail > head || pipeBytes > 0; }
};

enum class ConnState : uint8_t { Free, Queued, Connecting, Relaying, Closed };

struct Connection {
    Connection() : client(PollKind::Client), server(PollKind::Server) {}

    Worker *worker = nullptr;
    uint32_t gen = 0; // bumped on reuse: grants for an older gen are stale
    ConnState state = ConnState::Free;
    Endpoint client;
    Endpoint server;
    Direction request;
    Direction response;
    Frontend *frontend = nullptr;
    Backend *backend = nullptr;
    Server *srv = nullptr;      // holds a slot of srv while set
    Server *lastSrv = nullptr;  // last server tried, for the close event
    Server *avoid = nullptr;    // redispatch: the server that just failed (backend mutex)
    bool splice = false;
    bool connected = false;
    uint64_t id = 0;
    uint32_t attempts = 0;
    int lastErrno = 0;
    // Bytes already added to the frontend/backend/server counters.
    uint64_t reportedIn = 0;
    uint64_t reportedOut = 0;
    int64_t acceptedMs = 0;
    int64_t queuedAtMs = 0;
    int64_t queuedMs = 0;
    int64_t connectStartMs = 0;
    int64_t lastClientMs = 0;
    int64_t lastServerMs = 0;
    // Backend queue, guarded by the backend's mutex.
    Connection *queuePrev = nullptr;
    Connection *queueNext = nullptr;
    bool queued = false;
    // Worker-local lists: active connections, or the free list (next only).
    Connection *prev = nullptr;
    Connection *next = nullptr;
};

// A resource handed to a connection by another party (maybe another thread):
// a copy buffer, or a server slot when it leaves a backend queue.
struct Grant {
    enum Kind : uint8_t { BufferGrant, ServerGrant } kind = BufferGrant;
    Worker *worker = nullptr;
    Connection *conn = nullptr;
    uint32_t gen = 0;
    uint8_t direction = 0;
    char *buffer = nullptr;
    Server *server = nullptr;
    Backend *backend = nullptr; // the server's
};

} // namespace qplug::splice
