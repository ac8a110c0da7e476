#include "kernel_error.h"

#include <cstddef>
#include <cstring>

#include <linux/netlink.h>
#include <netlink/attr.h>
#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <sys/socket.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

namespace qplug {

namespace {

// NLMSGERR_ATTR_MSG from the TLVs the kernel appends to an NLMSG_ERROR when
// NETLINK_EXT_ACK is on. Returns "" when there is none or the message is malformed.
std::string ExtendedAckMessage(const nlmsghdr *header, const nlmsgerr *error) {
    if (!(header->nlmsg_flags & NLM_F_ACK_TLVS))
        return "";

    // The TLVs follow the echoed request: just its header when the kernel
    // capped the echo (NETLINK_CAP_ACK), the whole request otherwise.
    size_t offset = NLMSG_HDRLEN + sizeof(nlmsgerr);
    if (!(header->nlmsg_flags & NLM_F_CAPPED)) {
        if (error->msg.nlmsg_len < NLMSG_HDRLEN)
            return "";
        offset += error->msg.nlmsg_len - NLMSG_HDRLEN;
    }
    offset = NLMSG_ALIGN(offset);
    if (offset >= header->nlmsg_len)
        return "";

    auto *attrs = reinterpret_cast<nlattr *>(
        const_cast<char *>(reinterpret_cast<const char *>(header) + offset));
    const int length = static_cast<int>(header->nlmsg_len - offset);
    nlattr *text = nla_find(attrs, length, NLMSGERR_ATTR_MSG);
    if (!text || nla_len(text) <= 0)
        return "";

    const char *data = static_cast<const char *>(nla_data(text));
    return std::string(data, strnlen(data, static_cast<size_t>(nla_len(text))));
}

int RecordKernelError(sockaddr_nl * /*peer*/, nlmsgerr *error, void *arg) {
    auto *record = static_cast<KernelErrorRecord *>(arg);
    record->errnum = -error->error;
    // libnl hands us nlmsg_data() of the message; its header sits right before.
    auto *header =
        reinterpret_cast<const nlmsghdr *>(reinterpret_cast<const char *>(error) - NLMSG_HDRLEN);
    try {
        record->message = ExtendedAckMessage(header, error);
    } catch (...) {
        // No C++ exception may unwind through libnl; the errno alone will do.
        record->message.clear();
    }
    // NL_STOP makes libnl end the receive loop with its own NLE_* code.
    return NL_STOP;
}

} // namespace

int InstallKernelErrorCapture(nl_sock *sock, KernelErrorRecord *record) {
    const int fd = nl_socket_get_fd(sock);
    const int on = 1;
    // Best effort: kernels before 4.12 lack NETLINK_EXT_ACK (before 4.3,
    // NETLINK_CAP_ACK); errors then simply carry no kernel message.
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
    // Errors need not echo the whole request back.
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
    return nl_socket_modify_err_cb(sock, NL_CB_CUSTOM, RecordKernelError, record);
}

} // namespace qplug
