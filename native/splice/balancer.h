// A backend: its servers, the balancing algorithm and the FIFO queue where
// connections wait while every usable server is at maxconn. One mutex per
// backend, taken once or twice per connection, never per byte.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "connection.h"
#include "engine_types.h"

namespace qplug::splice {

struct Server {
    ServerSpec spec;
    SocketAddress address;
    // Written under the backend's mutex; atomics so stats() reads them without it.
    std::atomic<bool> enabled{true};
    std::atomic<uint32_t> weight{1};
    std::atomic<uint32_t> current{0};
    int64_t smoothWeight = 0; // smooth weighted round robin state (mutex)
    Counter peak{0}, total{0}, bytesIn{0}, bytesOut{0}, connectErrors{0};

    bool Usable() const { return enabled.load(std::memory_order_relaxed) && weight.load() > 0; }
    bool Full() const { return spec.maxconn > 0 && current.load() >= spec.maxconn; }
};

class Backend {
  public:
    explicit Backend(BackendSpec spec); // servers' addresses are checked by the caller

    const BackendSpec &Spec() const { return spec_; }
    const std::vector<std::unique_ptr<Server>> &Servers() const { return servers_; }
    Server *FindServer(const std::string &name) const;

    enum class Pick { Granted, Queued, NoServer };
    // Takes a slot on a server for conn (avoid is skipped when another is usable),
    // or queues conn when every usable server is full.
    Pick Acquire(Connection &conn, Server *avoid, Server *&chosen);
    // Frees a slot on server; the first queued connection may get one: the
    // grant then has to be delivered to its worker.
    std::optional<Grant> Release(Server &server);
    // Removes conn from the queue; false when it already left with a grant.
    bool Unqueue(Connection &conn);
    // Operational change; connections that can leave the queue now are returned.
    std::vector<Grant> SetServer(Server &server, std::optional<bool> enabled,
                                 std::optional<uint32_t> weight);

    Counter current{0}, total{0}, bytesIn{0}, bytesOut{0}, connectErrors{0}, retries{0},
        redispatches{0};
    Counter queueCurrent{0}, queuePeak{0}, queueTotal{0}, queueTimeouts{0};
    std::mutex mutex; // also held by stats() for a consistent server list

  private:
    Server *PickLocked(Server *avoid);
    void TakeSlotLocked(Server &server);
    std::optional<Grant> DequeueLocked();

    BackendSpec spec_;
    std::vector<std::unique_ptr<Server>> servers_;
    Connection *queueHead_ = nullptr;
    Connection *queueTail_ = nullptr;
    uint32_t rrStart_ = 0; // rotates leastconn ties
};

} // namespace qplug::splice
