// Defensive checks of ProxyEngine's arguments. The TypeScript layer validates
// first; these make sure bad input from any caller ends in a TypeError (wrong
// type) or RangeError (value out of range), never in undefined behaviour.
#include <cmath>
#include <limits>

#include "proxy_engine.h"

namespace qplug::splice {

namespace {

constexpr double kMaxTimeoutMs = 2147483647.0;

class ObjectReader {
  public:
    ObjectReader(Napi::Env env, std::string where, const Napi::Value &value)
        : env_(env), where_(std::move(where)) {
        if (!value.IsObject() || value.IsArray() || value.IsFunction())
            ThrowType("must be an object");
        object_ = value.As<Napi::Object>();
    }

    Napi::Value Get(const char *key) const { return object_.Get(key); }
    bool Has(const char *key) const { return !Get(key).IsUndefined(); }

    std::string String(const char *key, bool allowEmpty = false) const {
        const Napi::Value value = Get(key);
        if (!value.IsString())
            ThrowType(std::string(key) + " must be a string");
        std::string text = value.As<Napi::String>();
        if ((!allowEmpty && text.empty()) || text.find('\0') != std::string::npos)
            ThrowRange(std::string(key) + " must be a non-empty string without NUL");
        return text;
    }

    double Number(const char *key, double min, double max) const {
        const Napi::Value value = Get(key);
        const std::string range = std::string(key) + " must be an integer from " +
                                  std::to_string(int64_t(min)) + " to " +
                                  std::to_string(int64_t(max));
        if (!value.IsNumber())
            ThrowType(range);
        const double number = value.As<Napi::Number>().DoubleValue();
        if (!std::isfinite(number) || number != std::floor(number) || number < min ||
            number > max)
            ThrowRange(range);
        return number;
    }
    uint32_t U32(const char *key, double min, double max) const {
        return static_cast<uint32_t>(Number(key, min, max));
    }
    uint32_t OptionalU32(const char *key, double min, double max, uint32_t fallback) const {
        return Has(key) ? U32(key, min, max) : fallback;
    }

    bool Bool(const char *key) const {
        const Napi::Value value = Get(key);
        if (!value.IsBoolean())
            ThrowType(std::string(key) + " must be a boolean");
        return value.As<Napi::Boolean>().Value();
    }
    bool OptionalBool(const char *key, bool fallback) const {
        return Has(key) ? Bool(key) : fallback;
    }

    [[noreturn]] void ThrowType(const std::string &what) const {
        throw Napi::TypeError::New(env_, where_ + ": " + what);
    }
    [[noreturn]] void ThrowRange(const std::string &what) const {
        throw Napi::RangeError::New(env_, where_ + ": " + what);
    }

  private:
    Napi::Env env_;
    std::string where_;
    Napi::Object object_;
};

} // namespace

EngineOptions ParseEngineOptions(const Napi::CallbackInfo &info, Napi::Function *onEvents) {
    const ObjectReader reader(info.Env(), "ProxyEngine options", info[0]);
    EngineOptions options;
    options.threads = static_cast<int>(reader.Number("threads", 1, 256));
    options.bufferSize = reader.U32("bufferSize", 1024, 64 * 1024 * 1024);
    options.poolBuffers = reader.U32("poolBuffers", 1, kMaxTimeoutMs);
    options.pipeSize = reader.U32("pipeSize", 0, 4294967295.0);
    options.maxIdlePipes = reader.U32("maxIdlePipes", 0, kMaxTimeoutMs);
    options.eventIntervalMs = reader.OptionalU32("eventIntervalMs", 1, 60000, 100);
    const Napi::Value callback = reader.Get("onEvents");
    if (!callback.IsUndefined()) {
        if (!callback.IsFunction())
            reader.ThrowType("onEvents must be a function");
        *onEvents = callback.As<Napi::Function>();
        options.events = true;
    }
    return options;
}

BackendSpec ParseBackendSpec(const Napi::CallbackInfo &info) {
    const ObjectReader reader(info.Env(), "addBackend", info[0]);
    BackendSpec spec;
    spec.name = reader.String("name");
    const std::string balance = reader.String("balance");
    if (balance != "roundrobin" && balance != "leastconn")
        reader.ThrowRange("balance must be 'roundrobin' or 'leastconn'");
    spec.leastconn = balance == "leastconn";
    spec.splice = reader.Bool("splice");
    spec.retries = reader.U32("retries", 0, 1000);
    spec.redispatch = reader.Bool("redispatch");
    spec.connectTimeoutMs = reader.U32("connectTimeoutMs", 0, kMaxTimeoutMs);
    spec.serverTimeoutMs = reader.U32("serverTimeoutMs", 0, kMaxTimeoutMs);
    spec.queueTimeoutMs = reader.U32("queueTimeoutMs", 0, kMaxTimeoutMs);
    const Napi::Value servers = reader.Get("servers");
    if (!servers.IsArray())
        reader.ThrowType("servers must be an array");
    const Napi::Array list = servers.As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
        const ObjectReader server(info.Env(), "addBackend: servers[" + std::to_string(i) + "]",
                                  list.Get(i));
        ServerSpec entry;
        entry.name = server.String("name");
        entry.host = server.String("host");
        entry.port = static_cast<int>(server.Number("port", 1, 65535));
        entry.weight = server.U32("weight", 0, 256);
        entry.maxconn = server.U32("maxconn", 0, kMaxTimeoutMs);
        SocketAddress address;
        if (!ParseAddress(entry.host, entry.port, address))
            server.ThrowRange("host must be an IPv4 or IPv6 literal");
        for (const ServerSpec &other : spec.servers)
            if (other.name == entry.name)
                server.ThrowRange("duplicate server name '" + entry.name + "'");
        spec.servers.push_back(std::move(entry));
    }
    return spec;
}

FrontendSpec ParseFrontendSpec(const Napi::CallbackInfo &info) {
    const ObjectReader reader(info.Env(), "addFrontend", info[0]);
    FrontendSpec spec;
    spec.name = reader.String("name");
    if (reader.Has("fd"))
        spec.fd = static_cast<int>(reader.Number("fd", 0, std::numeric_limits<int>::max()));
    if (spec.fd < 0 || reader.Has("host"))
        spec.host = reader.String("host");
    spec.port = spec.fd < 0 || reader.Has("port")
                    ? static_cast<int>(reader.Number("port", 0, 65535))
                    : 0;
    SocketAddress address;
    if (spec.fd < 0 && !ParseAddress(spec.host, spec.port, address))
        reader.ThrowRange("host must be an IPv4 or IPv6 literal");
    spec.reusePort = reader.OptionalBool("reusePort", false);
    spec.backlog = static_cast<int>(reader.Number("backlog", 1, 65535));
    spec.maxconn = reader.U32("maxconn", 0, kMaxTimeoutMs);
    spec.clientTimeoutMs = reader.U32("clientTimeoutMs", 0, kMaxTimeoutMs);
    spec.splice = reader.Bool("splice");
    spec.backend = reader.String("backend");
    return spec;
}

} // namespace qplug::splice
