// Passing file descriptors (SCM_RIGHTS) plus a small JSON payload between
// processes over a unix stream socket: the reload handoff gives the listening
// sockets of the old proxy worker to the new one, so no listener is ever closed.
//
//   receiveFds(path, timeoutMs): binds and listens on `path` before it returns
//     (so a sender may connect as soon as the call returns), then, off the JS
//     thread, accepts one peer of the same uid, reads one message, answers with
//     one ack byte and resolves { fds, payload }. The socket file is unlinked.
//   sendFds(path, fds, payload, timeoutMs): dups fds on the JS thread, then off
//     it connects, sends them with the payload and resolves once the receiver
//     acknowledged (it holds its own copies by then).
//
// Every wait is bounded by timeoutMs (ETIMEDOUT). Work runs as a one-shot
// AsyncWorker: bounded, so it may borrow a libuv pool thread.
#pragma once

#include <napi.h>

namespace qplug::splice {

// Adds sendFds and receiveFds to the module's exports.
void RegisterFdPassing(Napi::Env env, Napi::Object exports);

} // namespace qplug::splice
