#include "engine_types.h"

#include <cstring>

#include <arpa/inet.h>
#include <netinet/in.h>

namespace qplug::splice {

namespace {

constexpr const char *kCloseResultNames[kCloseResultCount] = {
    "ok",           "client-timeout", "server-timeout", "connect-timeout",
    "connect-failed", "queue-timeout", "no-server",      "client-reset",
    "server-reset", "error",          "stopped",
};

} // namespace

const char *CloseResultName(CloseResult result) {
    const size_t index = static_cast<size_t>(result);
    return index < kCloseResultCount ? kCloseResultNames[index] : "error";
}

std::string ErrnoCode(int errnum) {
    const char *name = strerrorname_np(errnum);
    return name ? name : "E" + std::to_string(errnum);
}

bool ParseAddress(const std::string &host, int port, SocketAddress &out) {
    out = SocketAddress{};
    if (host.find('\0') != std::string::npos || port < 0 || port > 65535)
        return false;
    auto *v4 = reinterpret_cast<sockaddr_in *>(&out.storage);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(port));
        out.length = sizeof(sockaddr_in);
        return true;
    }
    auto *v6 = reinterpret_cast<sockaddr_in6 *>(&out.storage);
    if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(port));
        out.length = sizeof(sockaddr_in6);
        return true;
    }
    return false;
}

std::string AddressHost(const SocketAddress &address) {
    char text[INET6_ADDRSTRLEN] = "";
    if (address.Family() == AF_INET) {
        const auto *v4 = reinterpret_cast<const sockaddr_in *>(&address.storage);
        inet_ntop(AF_INET, &v4->sin_addr, text, sizeof text);
    } else if (address.Family() == AF_INET6) {
        const auto *v6 = reinterpret_cast<const sockaddr_in6 *>(&address.storage);
        inet_ntop(AF_INET6, &v6->sin6_addr, text, sizeof text);
    }
    return text;
}

int AddressPort(const SocketAddress &address) {
    if (address.Family() == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in *>(&address.storage)->sin_port);
    if (address.Family() == AF_INET6)
        return ntohs(reinterpret_cast<const sockaddr_in6 *>(&address.storage)->sin6_port);
    return 0;
}

} // namespace qplug::splice
