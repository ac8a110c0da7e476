// Captures the kernel's own answer to a failed request. libnl turns the errno
// of an NLMSG_ERROR into a coarser NLE_* code and drops the extended-ack text;
// a per-socket error callback keeps both.
#pragma once

#include <string>

#include <netlink/socket.h>

namespace qplug {

struct KernelErrorRecord {
    int errnum = 0;      // positive errno from the last NLMSG_ERROR, 0 if none
    std::string message; // NLMSGERR_ATTR_MSG of that error, "" if none

    void Reset() {
        errnum = 0;
        message.clear();
    }
};

// Routes kernel error messages received on sock into *record and asks the
// kernel for extended-ack messages. Call after nl_connect. record must outlive
// sock. Returns 0 or a negative NLE_* code.
int InstallKernelErrorCapture(nl_sock *sock, KernelErrorRecord *record);

} // namespace qplug
