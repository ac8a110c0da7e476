// Structured errors: captured as plain C++ values wherever a call fails (often
// on a libuv worker thread), turned into JS Errors on the JS thread.
#pragma once

#include <stdexcept>
#include <string>

#include <napi.h>

namespace qplug {

// code of every error raised by a call on a closed RouteSocket.
inline constexpr const char *kClosedCode = "ECLOSED";

class NativeFailure : public std::runtime_error {
  public:
    NativeFailure(std::string call, int errnum, std::string code, std::string description,
                  std::string kernelMessage, std::string detail);

    const std::string &call() const { return call_; }
    int errnum() const { return errnum_; }
    const std::string &code() const { return code_; }
    const std::string &kernelMessage() const { return kernelMessage_; }

  private:
    std::string call_;
    int errnum_;
    std::string code_;
    std::string kernelMessage_;
};

// Symbolic name of an errno value ("ENOENT"); "E<number>" when unknown.
std::string ErrnoName(int errnum);

// A failed system call; errnum is the errno it left. detail (e.g. a path) goes
// into the message only.
NativeFailure SystemFailure(const std::string &call, int errnum, const std::string &detail = "");

// A failed libnl call. nlError is its negative NLE_* result; kernelErrno and
// kernelMessage are what the kernel's NLMSG_ERROR said (0 and "" when the
// failure happened locally), and take precedence over libnl's lossy mapping.
NativeFailure LibnlFailure(const std::string &call, int nlError, int kernelErrno,
                           const std::string &kernelMessage);

// A call on a RouteSocket after close().
NativeFailure ClosedFailure(const std::string &method);

// Error with code, errno, call and (if any) kernelMessage properties.
Napi::Error ToJsError(Napi::Env env, const NativeFailure &failure);

} // namespace qplug
