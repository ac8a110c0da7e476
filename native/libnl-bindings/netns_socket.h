// Creating an rtnetlink socket inside a given network namespace. A netlink
// socket belongs to the namespace its creating thread was in, for good, so the
// thread only needs to visit the namespace while the socket is made.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kernel_error.h"
#include "libnl_handles.h"

namespace qplug {

struct NamespacedSocket {
    NlSockPtr sock;
    uint64_t netnsInode = 0; // st_ino of the namespace the socket lives in
};

// Connects a NETLINK_ROUTE socket in the namespace at netnsPath (the calling
// thread's own namespace when empty) with kernel error capture into *record.
// Throws NativeFailure. The calling thread is back in its own namespace when
// this returns or throws.
NamespacedSocket ConnectRouteSocket(const std::optional<std::string> &netnsPath,
                                    KernelErrorRecord *record);

} // namespace qplug
