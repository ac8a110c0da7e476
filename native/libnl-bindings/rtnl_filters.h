// The tc filter (classifier) requests behind RouteSocket's filter methods, in
// plain C++ like rtnl_requests.h. Filters are created as u32 only; listing
// reports every kind.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rtnl_requests.h"

namespace qplug {

// tc's own limit on keys per u32 filter; it also keeps the request within
// libnl's one-page message buffer.
inline constexpr size_t kMaxU32Keys = 128;

// One u32 key: the 32-bit word at offset, ANDed with mask, equals value.
// value and mask in host byte order; offset in bytes from the network header.
struct U32Key {
    uint32_t value = 0;
    uint32_t mask = 0;
    int32_t offset = 0;
};

struct U32FilterSpec {
    uint16_t priority = 0;
    uint16_t protocol = 0;          // ethertype, host byte order
    std::vector<U32Key> keys;       // all must match; none matches every packet
    uint32_t classid = 0;           // where matching packets go
    std::optional<uint32_t> handle; // unset: the kernel picks one
};

// The filters attached to one qdisc or class (parent) of one device.
struct FilterParent {
    int ifindex = 0;
    uint32_t parent = 0;
};

struct FilterInfo {
    std::string kind;
    uint16_t priority = 0;
    uint16_t protocol = 0; // host byte order
    uint32_t handle = 0;
    std::optional<uint32_t> classid; // a u32 element's target class, if it has one
};

void AddU32Filter(RequestContext &context, const FilterParent &parent, const U32FilterSpec &spec);
// Every element the kernel dumps, as tc filter show prints them.
std::vector<FilterInfo> ListFilters(RequestContext &context, const FilterParent &parent);
// Deletes the u32 filters at priority; protocol 0 matches any protocol.
void DeleteU32Filters(RequestContext &context, const FilterParent &parent, uint16_t priority,
                      uint16_t protocol);

} // namespace qplug
