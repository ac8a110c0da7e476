#include "errors.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <netlink/errno.h>
#include <netlink/netlink.h>

namespace qplug {

namespace {

std::string ComposeMessage(const std::string &call, const std::string &description,
                           const std::string &code, const std::string &kernelMessage,
                           const std::string &detail) {
    std::string message = call + ": " + description + " (" + code + ")";
    if (!detail.empty())
        message += ": " + detail;
    if (!kernelMessage.empty())
        message += ": " + kernelMessage;
    return message;
}

std::string SystemDescription(int errnum) {
    char buffer[128];
    // GNU strerror_r: thread-safe, may return a static string instead of buffer.
    return strerror_r(errnum, buffer, sizeof buffer);
}

// Best errno for a libnl failure that did not come from a kernel error message.
int ErrnoForLibnlError(int nlError) {
    switch (std::abs(nlError)) {
    case NLE_INTR:
    case NLE_DUMP_INTR:
        return EINTR;
    case NLE_BAD_SOCK:
        return EBADF;
    case NLE_AGAIN:
        return EAGAIN;
    case NLE_NOMEM:
        return ENOMEM;
    case NLE_EXIST:
        return EEXIST;
    case NLE_INVAL:
    case NLE_MISSING_ATTR:
        return EINVAL;
    case NLE_RANGE:
        return ERANGE;
    case NLE_MSGSIZE:
    case NLE_MSG_TOOSHORT:
    case NLE_MSG_TRUNC:
        return EMSGSIZE;
    case NLE_OPNOTSUPP:
        return EOPNOTSUPP;
    case NLE_AF_NOSUPPORT:
        return EAFNOSUPPORT;
    case NLE_OBJ_NOTFOUND:
        return ENOENT;
    case NLE_NOATTR:
        return ENODATA;
    case NLE_NOACCESS:
        return EACCES;
    case NLE_PERM:
        return EPERM;
    case NLE_PKTLOC_FILE:
        return ENOENT;
    case NLE_PROTO_MISMATCH:
        return EPROTONOSUPPORT;
    case NLE_NOADDR:
        return EADDRNOTAVAIL;
    case NLE_BUSY:
        return EBUSY;
    case NLE_NODEV:
        return ENODEV;
    case NLE_IMMUTABLE:
        return EROFS;
    default:
        return EIO;
    }
}

} // namespace

NativeFailure::NativeFailure(std::string call, int errnum, std::string code,
                             std::string description, std::string kernelMessage, std::string detail)
    : std::runtime_error(ComposeMessage(call, description, code, kernelMessage, detail)),
      call_(std::move(call)), errnum_(errnum), code_(std::move(code)),
      kernelMessage_(std::move(kernelMessage)) {}

std::string ErrnoName(int errnum) {
    switch (errnum) {
#define QPLUG_ERRNO_CASE(name)                                                                     \
    case name:                                                                                     \
        return #name;
        QPLUG_ERRNO_CASE(EPERM)
        QPLUG_ERRNO_CASE(ENOENT)
        QPLUG_ERRNO_CASE(ESRCH)
        QPLUG_ERRNO_CASE(EINTR)
        QPLUG_ERRNO_CASE(EIO)
        QPLUG_ERRNO_CASE(ENXIO)
        QPLUG_ERRNO_CASE(E2BIG)
        QPLUG_ERRNO_CASE(EBADF)
        QPLUG_ERRNO_CASE(EAGAIN)
        QPLUG_ERRNO_CASE(ENOMEM)
        QPLUG_ERRNO_CASE(EACCES)
        QPLUG_ERRNO_CASE(EFAULT)
        QPLUG_ERRNO_CASE(EBUSY)
        QPLUG_ERRNO_CASE(EEXIST)
        QPLUG_ERRNO_CASE(ENODEV)
        QPLUG_ERRNO_CASE(ENOTDIR)
        QPLUG_ERRNO_CASE(EISDIR)
        QPLUG_ERRNO_CASE(EINVAL)
        QPLUG_ERRNO_CASE(ENFILE)
        QPLUG_ERRNO_CASE(EMFILE)
        QPLUG_ERRNO_CASE(ENOSPC)
        QPLUG_ERRNO_CASE(EROFS)
        QPLUG_ERRNO_CASE(EPIPE)
        QPLUG_ERRNO_CASE(ERANGE)
        QPLUG_ERRNO_CASE(ENAMETOOLONG)
        QPLUG_ERRNO_CASE(ENOSYS)
        QPLUG_ERRNO_CASE(ELOOP)
        QPLUG_ERRNO_CASE(ENODATA)
        QPLUG_ERRNO_CASE(EPROTO)
        QPLUG_ERRNO_CASE(EBADMSG)
        QPLUG_ERRNO_CASE(EOVERFLOW)
        QPLUG_ERRNO_CASE(ENOTSOCK)
        QPLUG_ERRNO_CASE(EMSGSIZE)
        QPLUG_ERRNO_CASE(EPROTOTYPE)
        QPLUG_ERRNO_CASE(ENOPROTOOPT)
        QPLUG_ERRNO_CASE(EPROTONOSUPPORT)
        QPLUG_ERRNO_CASE(EOPNOTSUPP) // == ENOTSUP on Linux
        QPLUG_ERRNO_CASE(EAFNOSUPPORT)
        QPLUG_ERRNO_CASE(EADDRINUSE)
        QPLUG_ERRNO_CASE(EADDRNOTAVAIL)
        QPLUG_ERRNO_CASE(ENETDOWN)
        QPLUG_ERRNO_CASE(ENETUNREACH)
        QPLUG_ERRNO_CASE(ENOBUFS)
        QPLUG_ERRNO_CASE(ETIMEDOUT)
        QPLUG_ERRNO_CASE(ECONNREFUSED)
        QPLUG_ERRNO_CASE(EALREADY)
        QPLUG_ERRNO_CASE(EINPROGRESS)
        QPLUG_ERRNO_CASE(ENOTEMPTY)
#undef QPLUG_ERRNO_CASE
    case 524: // the kernel-internal ENOTSUPP, which some tc paths leak to user space
        return "ENOTSUPP";
    default:
        return "E" + std::to_string(errnum);
    }
}

NativeFailure SystemFailure(const std::string &call, int errnum, const std::string &detail) {
    return NativeFailure(call, errnum, ErrnoName(errnum), SystemDescription(errnum), "", detail);
}

NativeFailure LibnlFailure(const std::string &call, int nlError, int kernelErrno,
                           const std::string &kernelMessage) {
    const int errnum = kernelErrno > 0 ? kernelErrno : ErrnoForLibnlError(nlError);
    // libnl folds many errnos into NLE_FAILURE; its text is useless then.
    const std::string description = std::abs(nlError) == NLE_FAILURE
                                        ? SystemDescription(errnum)
                                        : std::string(nl_geterror(nlError));
    return NativeFailure(call, errnum, ErrnoName(errnum), description, kernelMessage, "");
}

NativeFailure ClosedFailure(const std::string &method) {
    return NativeFailure(method, EBADF, kClosedCode, "socket is closed", "", "");
}

Napi::Error ToJsError(Napi::Env env, const NativeFailure &failure) {
    Napi::Error error = Napi::Error::New(env, failure.what());
    Napi::Object object = error.Value();
    object.Set("code", failure.code());
    object.Set("errno", failure.errnum());
    object.Set("call", failure.call());
    if (!failure.kernelMessage().empty())
        object.Set("kernelMessage", failure.kernelMessage());
    return error;
}

} // namespace qplug
