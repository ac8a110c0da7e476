// The rtnetlink requests behind RouteSocket's methods, in plain C++: no N-API,
// so they can run on any thread. Each throws NativeFailure on error.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <netlink/socket.h>

#include "errors.h"
#include "kernel_error.h"

namespace qplug {

// One socket's view for the duration of one request. The caller holds the
// socket's lock, so the kernel error record belongs to this request alone.
class RequestContext {
  public:
    RequestContext(nl_sock *sock, KernelErrorRecord *kernelError)
        : sock_(sock), kernelError_(kernelError) {}

    nl_sock *sock() const { return sock_; }

    // Runs one libnl call that talks to the kernel; throws a NativeFailure
    // named after call when it returns a negative NLE_* code.
    template <typename LibnlCall> int Call(const char *call, LibnlCall &&libnlCall) {
        // A stale record from an earlier call must not be blamed on this one.
        kernelError_->Reset();
        const int result = libnlCall();
        if (result < 0) {
            throw LibnlFailure(call, result, kernelError_->errnum, kernelError_->message);
        }
        return result;
    }

  private:
    nl_sock *sock_;
    KernelErrorRecord *kernelError_;
};

struct LinkInfo {
    int ifindex = 0;
    std::string name;
    bool up = false;
    uint32_t mtu = 0;
    uint32_t txQueueLen = 0;
};

struct QdiscStatsInfo {
    uint64_t bytes = 0;
    uint64_t packets = 0;
    uint64_t backlogBytes = 0;
    uint64_t backlogPackets = 0;
    uint64_t drops = 0;
    uint64_t overlimits = 0;
    uint64_t requeues = 0;
};

struct QdiscInfo {
    int ifindex = 0;
    std::string dev;
    std::string kind;
    uint32_t handle = 0;
    uint32_t parent = 0;
    QdiscStatsInfo stats;
};

// Which qdisc a request is about. handle 0 leaves the handle unspecified.
struct QdiscAddress {
    int ifindex = 0;
    uint32_t parent = 0;
    uint32_t handle = 0;
};

enum class PlugAction { Buffer, ReleaseOne, ReleaseIndefinite, Limit };

// The kernel's limits for prio (TCQ_MIN_PRIO_BANDS, TCQ_PRIO_BANDS, TC_PRIO_MAX + 1).
inline constexpr uint32_t kMinPrioBands = 2;
inline constexpr uint32_t kMaxPrioBands = 16;
inline constexpr size_t kPrioMapSize = 16;

// A prio qdisc's tc_prio_qopt: every priomap entry is a band below bands.
struct PrioSpec {
    uint32_t bands = 0;
    std::array<uint8_t, kPrioMapSize> priomap{};
};

// name is used when ifindex is 0.
LinkInfo GetLink(RequestContext &context, int ifindex, const std::string &name);
std::vector<LinkInfo> ListLinks(RequestContext &context);
// ifindex 0: the qdiscs of every device.
std::vector<QdiscInfo> ListQdiscs(RequestContext &context, int ifindex);
// limitBytes 0: no TCA_OPTIONS, so the kernel picks its default limit.
void AddPlug(RequestContext &context, const QdiscAddress &address, uint32_t limitBytes);
// limitBytes is only sent with PlugAction::Limit.
void ChangePlug(RequestContext &context, const QdiscAddress &address, PlugAction action,
                uint32_t limitBytes);
void DeleteQdisc(RequestContext &context, const QdiscAddress &address);
// Expects prio already checked against the kernel's limits.
void AddPrio(RequestContext &context, const QdiscAddress &address, const PrioSpec &prio);

} // namespace qplug
