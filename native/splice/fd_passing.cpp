#include "fd_passing.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "libnl-bindings/errors.h"

namespace qplug::splice {

namespace {

constexpr size_t kMaxFds = 253; // SCM_MAX_FD
constexpr uint32_t kMaxPayload = 64 * 1024;
constexpr double kMaxTimeoutMs = 600000;
constexpr char kAck = 'k';

using Clock = std::chrono::steady_clock;

// Milliseconds left until deadline (0 when past it), for poll().
int Remaining(Clock::time_point deadline) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on fd; throws ETIMEDOUT (naming `call`) when the deadline passes.
void WaitFor(int fd, short events, Clock::time_point deadline, const char *call) {
    for (;;) {
        pollfd p{fd, events, 0};
        const int n = poll(&p, 1, Remaining(deadline));
        if (n > 0)
            return; // ready, or an error the next call reports
        if (n == 0)
            throw SystemFailure(call, ETIMEDOUT, "no peer within the timeout");
        if (errno != EINTR)
            throw SystemFailure("poll", errno);
    }
}

sockaddr_un UnixAddress(const std::string &path) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof address.sun_path)
        throw SystemFailure("bind", ENAMETOOLONG,
                            "a unix socket path needs 1 to " +
                                std::to_string(sizeof address.sun_path - 1) + " bytes");
    std::memcpy(address.sun_path, path.data(), path.size());
    return address;
}

// Closes an fd on scope exit.
class FdGuard {
  public:
    explicit FdGuard(int fd = -1) : fd_(fd) {}
    ~FdGuard() { Reset(); }
    FdGuard(const FdGuard &) = delete;
    FdGuard &operator=(const FdGuard &) = delete;
    int Get() const { return fd_; }
    int Release() {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }
    void Reset(int fd = -1) {
        if (fd_ >= 0)
            close(fd_);
        fd_ = fd;
    }

  private:
    int fd_;
};

void CloseAll(std::vector<int> &fds) {
    for (int fd : fds)
        if (fd >= 0)
            close(fd);
    fds.clear();
}

// Settles a promise from an AsyncWorker, with structured errors (code/errno/call).
class PromiseWorker : public Napi::AsyncWorker {
  public:
    explicit PromiseWorker(Napi::Env env)
        : Napi::AsyncWorker(env, "qplugFdPassing"), deferred_(Napi::Promise::Deferred::New(env)) {}
    Napi::Promise Promise() const { return deferred_.Promise(); }

  protected:
    void Execute() override {
        try {
            Run();
        } catch (const NativeFailure &failure) {
            failure_.emplace(failure);
        }
    }
    void OnOK() override {
        Napi::Env env = Env();
        if (failure_)
            deferred_.Reject(ToJsError(env, *failure_).Value());
        else
            deferred_.Resolve(Result(env));
    }
    virtual void Run() = 0;
    virtual Napi::Value Result(Napi::Env env) = 0;

  private:
    Napi::Promise::Deferred deferred_;
    std::optional<NativeFailure> failure_;
};

class SendWorker : public PromiseWorker {
  public:
    SendWorker(Napi::Env env, std::string path, std::vector<int> fds, std::string payload,
               double timeoutMs)
        : PromiseWorker(env), path_(std::move(path)), fds_(std::move(fds)),
          payload_(std::move(payload)),
          deadline_(Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(timeoutMs))) {}
    ~SendWorker() override { CloseAll(fds_); }

  protected:
    void Run() override {
        const sockaddr_un address = UnixAddress(path_);
        FdGuard sock(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (sock.Get() < 0)
            throw SystemFailure("socket", errno);
        for (;;) {
            if (connect(sock.Get(), reinterpret_cast<const sockaddr *>(&address), sizeof address) ==
                0)
                break;
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) { // the receiver's backlog is full: retry until the deadline
                if (Remaining(deadline_) == 0)
                    throw SystemFailure("connect", ETIMEDOUT, path_);
                usleep(1000);
                continue;
            }
            throw SystemFailure("connect", errno, path_);
        }

        std::string message(4, '\0');
        const uint32_t length = static_cast<uint32_t>(payload_.size());
        for (int i = 0; i < 4; ++i)
            message[i] = static_cast<char>((length >> (24 - 8 * i)) & 0xff);
        message += payload_;

        size_t sent = 0;
        bool fdsSent = fds_.empty();
        std::vector<char> control(CMSG_SPACE(sizeof(int) * (fds_.empty() ? 1 : fds_.size())));
        while (sent < message.size()) {
            iovec iov{message.data() + sent, message.size() - sent};
            msghdr header{};
            header.msg_iov = &iov;
            header.msg_iovlen = 1;
            if (!fdsSent) { // the fds ride on the first byte that goes out
                std::fill(control.begin(), control.end(), 0);
                header.msg_control = control.data();
                header.msg_controllen = CMSG_SPACE(sizeof(int) * fds_.size());
                cmsghdr *cmsg = CMSG_FIRSTHDR(&header);
                cmsg->cmsg_level = SOL_SOCKET;
                cmsg->cmsg_type = SCM_RIGHTS;
                cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fds_.size());
                std::memcpy(CMSG_DATA(cmsg), fds_.data(), sizeof(int) * fds_.size());
            }
            const ssize_t n = sendmsg(sock.Get(), &header, MSG_NOSIGNAL);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN) {
                    WaitFor(sock.Get(), POLLOUT, deadline_, "sendmsg");
                    continue;
                }
                throw SystemFailure("sendmsg", errno, path_);
            }
            fdsSent = true;
            sent += static_cast<size_t>(n);
        }

        // The ack: the receiver holds its own copies of the fds.
        for (;;) {
            char ack = 0;
            const ssize_t n = recv(sock.Get(), &ack, 1, 0);
            if (n == 1 && ack == kAck)
                return;
            if (n == 1 || n == 0)
                throw SystemFailure("recv", EPROTO, "the receiver closed without acknowledging");
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                throw SystemFailure("recv", errno, path_);
            WaitFor(sock.Get(), POLLIN, deadline_, "recv");
        }
    }
    Napi::Value Result(Napi::Env env) override { return env.Undefined(); }

  private:
    std::string path_;
    std::vector<int> fds_; // our own dups, closed when done
    std::string payload_;
    Clock::time_point deadline_;
};

class ReceiveWorker : public PromiseWorker {
  public:
    ReceiveWorker(Napi::Env env, std::string path, int listenFd, double timeoutMs)
        : PromiseWorker(env), path_(std::move(path)), listen_(listenFd),
          deadline_(Clock::now() + std::chrono::milliseconds(static_cast<int64_t>(timeoutMs))) {}
    ~ReceiveWorker() override {
        CloseAll(fds_); // only left when not handed to JS
        if (!unlinked_)
            unlink(path_.c_str());
    }

  protected:
    void Run() override {
        // One peer only: once it is in (or the wait is over) the socket file goes.
        struct Unlink {
            ReceiveWorker *self;
            ~Unlink() {
                unlink(self->path_.c_str());
                self->unlinked_ = true;
                self->listen_.Reset();
            }
        } unlinkOnExit{this};
        FdGuard peer;
        for (;;) {
            WaitFor(listen_.Get(), POLLIN, deadline_, "accept");
            const int fd = accept4(listen_.Get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd >= 0) {
                peer.Reset(fd);
                break;
            }
            if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
                throw SystemFailure("accept4", errno);
        }
        ucred credentials{};
        socklen_t length = sizeof credentials;
        if (getsockopt(peer.Get(), SOL_SOCKET, SO_PEERCRED, &credentials, &length) < 0)
            throw SystemFailure("getsockopt", errno);
        if (credentials.uid != geteuid())
            throw SystemFailure("accept4", EPERM, "the peer runs as another user");

        std::vector<char> data;
        size_t expected = 4;
        std::vector<char> control(CMSG_SPACE(sizeof(int) * kMaxFds));
        char buffer[16384];
        while (data.size() < expected) {
            iovec iov{buffer, std::min(sizeof buffer, expected - data.size())};
            msghdr header{};
            header.msg_iov = &iov;
            header.msg_iovlen = 1;
            header.msg_control = control.data();
            header.msg_controllen = control.size();
            const ssize_t n = recvmsg(peer.Get(), &header, MSG_CMSG_CLOEXEC);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno != EAGAIN)
                    throw SystemFailure("recvmsg", errno);
                WaitFor(peer.Get(), POLLIN, deadline_, "recvmsg");
                continue;
            }
            for (cmsghdr *cmsg = CMSG_FIRSTHDR(&header); cmsg; cmsg = CMSG_NXTHDR(&header, cmsg)) {
                if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
                    continue;
                const size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                const int *received = reinterpret_cast<const int *>(CMSG_DATA(cmsg));
                for (size_t i = 0; i < count; ++i)
                    fds_.push_back(received[i]);
            }
            if (header.msg_flags & MSG_CTRUNC)
                throw SystemFailure("recvmsg", EMSGSIZE, "more fds than fit (or the fd limit)");
            if (n == 0)
                throw SystemFailure("recvmsg", EPROTO, "the sender closed mid-message");
            data.insert(data.end(), buffer, buffer + n);
            if (expected == 4 && data.size() >= 4) {
                const auto *bytes = reinterpret_cast<const unsigned char *>(data.data());
                const uint32_t payload = (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) |
                                         (uint32_t(bytes[2]) << 8) | uint32_t(bytes[3]);
                if (payload > kMaxPayload)
                    throw SystemFailure("recvmsg", EMSGSIZE, "payload larger than 64 KiB");
                expected = 4 + payload;
            }
        }
        payload_.assign(data.begin() + 4, data.end());
        for (;;) {
            const ssize_t n = send(peer.Get(), &kAck, 1, MSG_NOSIGNAL);
            if (n == 1)
                break;
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0 && errno == EAGAIN) {
                WaitFor(peer.Get(), POLLOUT, deadline_, "send");
                continue;
            }
            throw SystemFailure("send", n < 0 ? errno : EPROTO);
        }
    }

    Napi::Value Result(Napi::Env env) override {
        Napi::Object result = Napi::Object::New(env);
        Napi::Array fds = Napi::Array::New(env, fds_.size());
        for (size_t i = 0; i < fds_.size(); ++i)
            fds.Set(static_cast<uint32_t>(i), fds_[i]);
        fds_.clear(); // JS owns them now
        result.Set("fds", fds);
        result.Set("payload", payload_);
        return result;
    }

  private:
    std::string path_;
    FdGuard listen_;
    bool unlinked_ = false;
    std::vector<int> fds_;
    std::string payload_;
    Clock::time_point deadline_;
};

double TimeoutArgument(const Napi::CallbackInfo &info, size_t index, const char *function) {
    if (!info[index].IsNumber())
        throw Napi::TypeError::New(info.Env(), std::string(function) + ": timeoutMs must be a number");
    const double timeout = info[index].As<Napi::Number>().DoubleValue();
    if (!(timeout >= 1 && timeout <= kMaxTimeoutMs))
        throw Napi::RangeError::New(info.Env(), std::string(function) +
                                                    ": timeoutMs must be from 1 to 600000");
    return timeout;
}

std::string PathArgument(const Napi::CallbackInfo &info, const char *function) {
    if (!info[0].IsString())
        throw Napi::TypeError::New(info.Env(), std::string(function) + ": path must be a string");
    return info[0].As<Napi::String>();
}

Napi::Value SendFds(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    const std::string path = PathArgument(info, "sendFds");
    if (!info[1].IsArray())
        throw Napi::TypeError::New(env, "sendFds: fds must be an array of fd numbers");
    if (!info[2].IsString())
        throw Napi::TypeError::New(env, "sendFds: payload must be a string");
    const double timeout = TimeoutArgument(info, 3, "sendFds");
    const Napi::Array list = info[1].As<Napi::Array>();
    if (list.Length() > kMaxFds)
        throw Napi::RangeError::New(env, "sendFds: at most 253 fds");
    std::string payload = info[2].As<Napi::String>();
    if (payload.size() > kMaxPayload)
        throw Napi::RangeError::New(env, "sendFds: payload larger than 64 KiB");
    std::vector<int> fds;
    for (uint32_t i = 0; i < list.Length(); ++i) {
        const Napi::Value value = list.Get(i);
        const double number = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : -1;
        if (!(number >= 0 && number <= 2147483647.0) || number != static_cast<int>(number)) {
            CloseAll(fds);
            throw Napi::TypeError::New(env, "sendFds: fds[" + std::to_string(i) +
                                                "] must be a non-negative integer");
        }
        // Our own copy: the caller may close its fd while the send is under way.
        const int dup = fcntl(static_cast<int>(number), F_DUPFD_CLOEXEC, 0);
        if (dup < 0) {
            const int err = errno;
            CloseAll(fds);
            throw ToJsError(env, SystemFailure("fcntl", err, "fds[" + std::to_string(i) + "]"));
        }
        fds.push_back(dup);
    }
    auto *worker = new SendWorker(env, path, std::move(fds), std::move(payload), timeout);
    const Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
}

Napi::Value ReceiveFds(const Napi::CallbackInfo &info) {
    Napi::Env env = info.Env();
    const std::string path = PathArgument(info, "receiveFds");
    const double timeout = TimeoutArgument(info, 1, "receiveFds");
    // Bound before returning, so the caller can tell a sender to go ahead at once.
    try {
        const sockaddr_un address = UnixAddress(path);
        FdGuard sock(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        if (sock.Get() < 0)
            throw SystemFailure("socket", errno);
        if (bind(sock.Get(), reinterpret_cast<const sockaddr *>(&address), sizeof address) < 0)
            throw SystemFailure("bind", errno, path);
        if (chmod(path.c_str(), 0600) < 0 || listen(sock.Get(), 4) < 0) {
            const int err = errno;
            unlink(path.c_str());
            throw SystemFailure("listen", err, path);
        }
        auto *worker = new ReceiveWorker(env, path, sock.Release(), timeout);
        const Napi::Promise promise = worker->Promise();
        worker->Queue();
        return promise;
    } catch (const NativeFailure &failure) {
        throw ToJsError(env, failure);
    }
}

} // namespace

void RegisterFdPassing(Napi::Env env, Napi::Object exports) {
    exports.Set("sendFds", Napi::Function::New<SendFds>(env, "sendFds"));
    exports.Set("receiveFds", Napi::Function::New<ReceiveFds>(env, "receiveFds"));
}

} // namespace qplug::splice
