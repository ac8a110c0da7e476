#include "netns_socket.h"

#include <cerrno>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <napi.h>
#include <netlink/netlink.h>

#include "errors.h"

namespace qplug {

namespace {

constexpr const char *kOwnNetnsPath = "/proc/thread-self/ns/net";

class UniqueFd {
  public:
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(const UniqueFd &) = delete;
    UniqueFd &operator=(const UniqueFd &) = delete;
    ~UniqueFd() {
        // Not retried on EINTR: on Linux the descriptor is gone either way.
        if (fd_ >= 0)
            close(fd_);
    }
    int get() const { return fd_; }

  private:
    int fd_;
};

template <typename Syscall> int RetryOnEintr(Syscall &&syscall) {
    int result;
    do {
        result = syscall();
    } while (result < 0 && errno == EINTR);
    return result;
}

UniqueFd OpenNamespace(const std::string &path) {
    const int fd = RetryOnEintr([&] { return open(path.c_str(), O_RDONLY | O_CLOEXEC); });
    if (fd < 0)
        throw SystemFailure("open", errno, path);
    return UniqueFd(fd);
}

uint64_t InodeOf(const UniqueFd &fd, const std::string &path) {
    struct stat info {};
    if (fstat(fd.get(), &info) != 0)
        throw SystemFailure("fstat", errno, path);
    return static_cast<uint64_t>(info.st_ino);
}

NlSockPtr ConnectHere(KernelErrorRecord *record) {
    NlSockPtr sock(nl_socket_alloc());
    if (!sock)
        throw SystemFailure("nl_socket_alloc", ENOMEM);
    record->Reset();
    if (const int err = nl_connect(sock.get(), NETLINK_ROUTE); err < 0) {
        throw LibnlFailure("nl_connect", err, 0, "");
    }
    if (const int err = InstallKernelErrorCapture(sock.get(), record); err < 0) {
        throw LibnlFailure("nl_socket_modify_err_cb", err, 0, "");
    }
    return sock;
}

} // namespace

NamespacedSocket ConnectRouteSocket(const std::optional<std::string> &netnsPath,
                                    KernelErrorRecord *record) {
    const UniqueFd own = OpenNamespace(kOwnNetnsPath);
    if (!netnsPath)
        return NamespacedSocket{ConnectHere(record), InodeOf(own, kOwnNetnsPath)};

    const UniqueFd target = OpenNamespace(*netnsPath);
    const uint64_t inode = InodeOf(target, *netnsPath);
    if (RetryOnEintr([&] { return setns(target.get(), CLONE_NEWNET); }) != 0) {
        throw SystemFailure("setns", errno, *netnsPath);
    }

    NlSockPtr sock;
    std::optional<NativeFailure> failure;
    try {
        sock = ConnectHere(record);
    } catch (const NativeFailure &connectFailure) {
        failure = connectFailure;
    }

    if (RetryOnEintr([&] { return setns(own.get(), CLONE_NEWNET); }) != 0) {
        // The JS thread would go on working in the wrong namespace, and later
        // sockets would silently be created there: stop rather than do that.
        Napi::Error::Fatal("qplug RouteSocket",
                           "cannot return the thread to its original network namespace");
    }
    if (failure)
        throw *failure;
    return NamespacedSocket{std::move(sock), inode};
}

} // namespace qplug
