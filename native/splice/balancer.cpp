#include "balancer.h"

namespace qplug::splice {

Backend::Backend(BackendSpec spec) : spec_(std::move(spec)) {
    for (const ServerSpec &serverSpec : spec_.servers) {
        auto server = std::make_unique<Server>();
        server->spec = serverSpec;
        ParseAddress(serverSpec.host, serverSpec.port, server->address);
        server->weight.store(serverSpec.weight);
        servers_.push_back(std::move(server));
    }
}

Server *Backend::FindServer(const std::string &name) const {
    for (const auto &server : servers_)
        if (server->spec.name == name)
            return server.get();
    return nullptr;
}

Server *Backend::PickLocked(Server *avoid) {
    Server *best = nullptr;
    bool avoided = false;      // avoid has a free slot
    bool othersUsable = false; // another server could take it, now or later
    if (spec_.leastconn) {
        // Lowest current/weight, compared by cross-multiplying; ties rotate.
        const size_t count = servers_.size();
        for (size_t step = 0; step < count; ++step) {
            Server *server = servers_[(rrStart_ + step) % count].get();
            if (!server->Usable())
                continue;
            if (server == avoid) {
                avoided = !server->Full();
                continue;
            }
            othersUsable = true;
            if (server->Full())
                continue;
            if (!best || uint64_t(server->current) * best->weight <
                             uint64_t(best->current) * server->weight)
                best = server;
        }
        if (count)
            rrStart_ = (rrStart_ + 1) % count;
    } else {
        // Smooth weighted round robin (nginx): every usable server gains its
        // weight, the richest is picked and pays the total.
        int64_t total = 0;
        for (const auto &server : servers_) {
            if (!server->Usable())
                continue;
            if (server.get() == avoid) {
                avoided = !server->Full();
                continue;
            }
            othersUsable = true;
            if (server->Full())
                continue;
            const int64_t weight = server->weight.load();
            server->smoothWeight += weight;
            total += weight;
            if (!best || server->smoothWeight > best->smoothWeight)
                best = server.get();
        }
        if (best)
            best->smoothWeight -= total;
    }
    // Retry the failed server only when no other one could ever take the connection.
    if (!best && avoided && !othersUsable)
        best = avoid;
    return best;
}

void Backend::TakeSlotLocked(Server &server) {
    const uint32_t now = server.current.fetch_add(1) + 1;
    RaisePeak(server.peak, now);
    Bump(server.total);
}

Backend::Pick Backend::Acquire(Connection &conn, Server *avoid, Server *&chosen) {
    std::lock_guard<std::mutex> lock(mutex);
    chosen = queueHead_ ? nullptr : PickLocked(avoid); // FIFO: never overtake the queue
    if (chosen) {
        TakeSlotLocked(*chosen);
        return Pick::Granted;
    }
    bool anyUsable = false;
    for (const auto &server : servers_)
        anyUsable = anyUsable || server->Usable();
    if (!anyUsable)
        return Pick::NoServer;
    conn.avoid = avoid; // still avoided when it leaves the queue
    conn.queued = true;
    conn.queueNext = nullptr;
    conn.queuePrev = queueTail_;
    (queueTail_ ? queueTail_->queueNext : queueHead_) = &conn;
    queueTail_ = &conn;
    const uint64_t length = queueCurrent.fetch_add(1, std::memory_order_relaxed) + 1;
    RaisePeak(queuePeak, length);
    Bump(queueTotal);
    return Pick::Queued;
}

std::optional<Grant> Backend::DequeueLocked() {
    Connection *conn = queueHead_;
    if (!conn)
        return std::nullopt;
    Server *server = PickLocked(conn->avoid);
    if (!server)
        return std::nullopt;
    TakeSlotLocked(*server);
    queueHead_ = conn->queueNext;
    (queueHead_ ? queueHead_->queuePrev : queueTail_) = nullptr;
    conn->queued = false;
    conn->queueNext = conn->queuePrev = nullptr;
    queueCurrent.fetch_sub(1, std::memory_order_relaxed);
    Grant grant;
    grant.kind = Grant::ServerGrant;
    grant.worker = conn->worker;
    grant.conn = conn;
    grant.gen = conn->gen;
    grant.server = server;
    grant.backend = this;
    return grant;
}

std::optional<Grant> Backend::Release(Server &server) {
    std::lock_guard<std::mutex> lock(mutex);
    server.current.fetch_sub(1);
    return DequeueLocked();
}

bool Backend::Unqueue(Connection &conn) {
    std::lock_guard<std::mutex> lock(mutex);
    if (!conn.queued)
        return false;
    (conn.queuePrev ? conn.queuePrev->queueNext : queueHead_) = conn.queueNext;
    (conn.queueNext ? conn.queueNext->queuePrev : queueTail_) = conn.queuePrev;
    conn.queued = false;
    conn.queueNext = conn.queuePrev = nullptr;
    queueCurrent.fetch_sub(1, std::memory_order_relaxed);
    return true;
}

std::vector<Grant> Backend::SetServer(Server &server, std::optional<bool> enabled,
                                      std::optional<uint32_t> weight) {
    std::lock_guard<std::mutex> lock(mutex);
    if (enabled)
        server.enabled.store(*enabled);
    if (weight)
        server.weight.store(*weight);
    server.smoothWeight = 0;
    std::vector<Grant> grants;
    while (auto grant = DequeueLocked())
        grants.push_back(*grant);
    return grants;
}

} // namespace qplug::splice
