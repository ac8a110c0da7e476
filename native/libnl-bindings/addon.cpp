// Module registration only; the work lives in route_socket.cpp.
#include <napi.h>
#include <netlink/version.h>

#include "route_socket.h"
#include "splice/fd_passing.h"
#include "splice/proxy_engine.h"

namespace {

#ifdef LIBNL_VERSION
constexpr const char *kLibnlVersion = LIBNL_VERSION;
#else
#define QPLUG_STRINGIFY_(x) #x
#define QPLUG_STRINGIFY(x) QPLUG_STRINGIFY_(x)
constexpr const char *kLibnlVersion = QPLUG_STRINGIFY(LIBNL_VER_MAJ) "." QPLUG_STRINGIFY(
    LIBNL_VER_MIN) "." QPLUG_STRINGIFY(LIBNL_VER_MIC);
#endif

Napi::Object Init(Napi::Env env, Napi::Object exports) {
    exports.Set("RouteSocket", qplug::RouteSocket::DefineClass(env));
    exports.Set("ProxyEngine", qplug::splice::ProxyEngine::DefineClass(env));
    qplug::splice::RegisterFdPassing(env, exports);
    exports.Set("libnlVersion", Napi::String::New(env, kLibnlVersion));
    return exports;
}

} // namespace

NODE_API_MODULE(qplug_native, Init)
