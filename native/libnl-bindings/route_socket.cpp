#include "route_socket.h"

#include <vector>

#include "js_args.h"
#include "netns_socket.h"
#include "rtnl_filters.h"
#include "socket_request.h"

namespace qplug {

namespace {

// u64 kernel counters become doubles: exact up to 2^53, plenty for counters.
Napi::Number U64ToJs(Napi::Env env, uint64_t value) {
    return Napi::Number::New(env, static_cast<double>(value));
}

Napi::Object LinkToJs(Napi::Env env, const LinkInfo &link) {
    Napi::Object object = Napi::Object::New(env);
    object.Set("ifindex", link.ifindex);
    object.Set("name", link.name);
    object.Set("up", link.up);
    object.Set("mtu", link.mtu);
    object.Set("txQueueLen", link.txQueueLen);
    return object;
}

Napi::Object QdiscToJs(Napi::Env env, const QdiscInfo &qdisc) {
    Napi::Object stats = Napi::Object::New(env);
    stats.Set("bytes", U64ToJs(env, qdisc.stats.bytes));
    stats.Set("packets", U64ToJs(env, qdisc.stats.packets));
    stats.Set("backlogBytes", U64ToJs(env, qdisc.stats.backlogBytes));
    stats.Set("backlogPackets", U64ToJs(env, qdisc.stats.backlogPackets));
    stats.Set("drops", U64ToJs(env, qdisc.stats.drops));
    stats.Set("overlimits", U64ToJs(env, qdisc.stats.overlimits));
    stats.Set("requeues", U64ToJs(env, qdisc.stats.requeues));

    Napi::Object object = Napi::Object::New(env);
    object.Set("ifindex", qdisc.ifindex);
    object.Set("dev", qdisc.dev);
    object.Set("kind", qdisc.kind);
    object.Set("handle", qdisc.handle);
    object.Set("parent", qdisc.parent);
    object.Set("stats", stats);
    return object;
}

Napi::Object FilterToJs(Napi::Env env, const FilterInfo &filter) {
    Napi::Object object = Napi::Object::New(env);
    object.Set("kind", filter.kind);
    object.Set("priority", filter.priority);
    object.Set("protocol", filter.protocol);
    object.Set("handle", filter.handle);
    object.Set("classid",
               filter.classid ? Napi::Value(Napi::Number::New(env, *filter.classid)) : env.Null());
    return object;
}

template <typename Item, typename Convert>
Napi::Array ArrayToJs(Napi::Env env, const std::vector<Item> &items, Convert convert) {
    Napi::Array array = Napi::Array::New(env, items.size());
    for (size_t i = 0; i < items.size(); ++i)
        array.Set(static_cast<uint32_t>(i), convert(env, items[i]));
    return array;
}

Napi::Value UndefinedToJs(Napi::Env env, const Done &) {
    return env.Undefined();
}

QdiscAddress ReadAddress(const ArgReader &args) {
    return QdiscAddress{args.Ifindex(0, "ifindex"), args.U32(1, "parent"), args.U32(2, "handle")};
}

FilterParent ReadFilterParent(const ArgReader &args) {
    return FilterParent{args.Ifindex(0, "ifindex"), args.U32(1, "parent")};
}

} // namespace

Napi::Function RouteSocket::DefineClass(Napi::Env env) {
    return ObjectWrap<RouteSocket>::DefineClass(
        env, "RouteSocket",
        {
            InstanceAccessor<&RouteSocket::Netns>("netns"),
            InstanceAccessor<&RouteSocket::NetnsInode>("netnsInode"),
            InstanceMethod<&RouteSocket::GetLink>("getLink"),
            InstanceMethod<&RouteSocket::ListLinks>("listLinks"),
            InstanceMethod<&RouteSocket::ListQdiscs>("listQdiscs"),
            InstanceMethod<&RouteSocket::AddPlug>("addPlug"),
            InstanceMethod<&RouteSocket::ChangePlug>("changePlug"),
            InstanceMethod<&RouteSocket::ChangePlugSync>("changePlugSync"),
            InstanceMethod<&RouteSocket::DeleteQdisc>("deleteQdisc"),
            InstanceMethod<&RouteSocket::AddPrio>("addPrio"),
            InstanceMethod<&RouteSocket::AddU32Filter>("addU32Filter"),
            InstanceMethod<&RouteSocket::ListFilters>("listFilters"),
            InstanceMethod<&RouteSocket::DeleteFilters>("deleteFilters"),
            InstanceMethod<&RouteSocket::Close>("close"),
        });
}

RouteSocket::RouteSocket(const Napi::CallbackInfo &info) : ObjectWrap<RouteSocket>(info) {
    netnsPath_ = ArgReader(info, "RouteSocket").NetnsOption(0);
    try {
        NamespacedSocket connected = ConnectRouteSocket(netnsPath_, &kernelError_);
        sock_ = std::move(connected.sock);
        netnsInode_ = connected.netnsInode;
    } catch (const NativeFailure &failure) {
        throw ToJsError(info.Env(), failure);
    }
}

RouteSocket::~RouteSocket() {
    // Normally no request can be running (each holds a reference to this
    // object), but at environment teardown finalizers run regardless.
    std::lock_guard<std::mutex> lock(mutex_);
    sock_.reset();
}

uint64_t RouteSocket::TakeTurn() {
    std::lock_guard<std::mutex> lock(mutex_);
    return nextTurn_++;
}

void RouteSocket::AbandonTurn(uint64_t turn) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (turn == nowServing_) {
        AdvanceTurnLocked();
    } else {
        abandoned_.insert(turn);
    }
}

void RouteSocket::AdvanceTurnLocked() {
    ++nowServing_;
    while (abandoned_.erase(nowServing_) > 0)
        ++nowServing_;
    turnChanged_.notify_all();
}

Napi::Value RouteSocket::Netns(const Napi::CallbackInfo &info) {
    if (!netnsPath_)
        return info.Env().Null();
    return Napi::String::New(info.Env(), *netnsPath_);
}

Napi::Value RouteSocket::NetnsInode(const Napi::CallbackInfo &info) {
    return Napi::Number::New(info.Env(), static_cast<double>(netnsInode_));
}

Napi::Value RouteSocket::GetLink(const Napi::CallbackInfo &info) {
    const ArgReader args(info, "getLink");
    int ifindex = 0;
    std::string name;
    if (info[0].IsString()) {
        name = info[0].As<Napi::String>().Utf8Value();
        // libnl sends the name as a C string: an embedded NUL would cut it short.
        if (name.empty() || name.find('\0') != std::string::npos) {
            args.ThrowRange("dev must be a non-empty interface name without NUL characters");
        }
    } else if (info[0].IsNumber()) {
        ifindex = args.Ifindex(0, "dev");
    } else {
        args.ThrowType("dev must be an interface name (string) or index (number)");
    }
    return StartSocketRequest(
        this, Value(), "getLink",
        [ifindex, name](RequestContext &context) { return qplug::GetLink(context, ifindex, name); },
        LinkToJs);
}

Napi::Value RouteSocket::ListLinks(const Napi::CallbackInfo &info) {
    return StartSocketRequest(
        this, Value(), "listLinks",
        [](RequestContext &context) { return qplug::ListLinks(context); },
        [](Napi::Env env, const std::vector<LinkInfo> &links) {
            return ArrayToJs(env, links, LinkToJs);
        });
}

Napi::Value RouteSocket::ListQdiscs(const Napi::CallbackInfo &info) {
    const int ifindex = ArgReader(info, "listQdiscs").Ifindex(0, "ifindex", true);
    return StartSocketRequest(
        this, Value(), "listQdiscs",
        [ifindex](RequestContext &context) { return qplug::ListQdiscs(context, ifindex); },
        [](Napi::Env env, const std::vector<QdiscInfo> &qdiscs) {
            return ArrayToJs(env, qdiscs, QdiscToJs);
        });
}

Napi::Value RouteSocket::AddPlug(const Napi::CallbackInfo &info) {
    const ArgReader args(info, "addPlug");
    const QdiscAddress address = ReadAddress(args);
    const uint32_t limitBytes = args.U32(3, "limitBytes");
    return StartSocketRequest(
        this, Value(), "addPlug",
        [address, limitBytes](RequestContext &context) {
            qplug::AddPlug(context, address, limitBytes);
            return Done{};
        },
        UndefinedToJs);
}

Napi::Value RouteSocket::ChangePlug(const Napi::CallbackInfo &info) {
    const ArgReader args(info, "changePlug");
    const QdiscAddress address = ReadAddress(args);
    const PlugAction action = args.Action(3, "action");
    const uint32_t limitBytes = args.U32(4, "limitBytes");
    return StartSocketRequest(
        this, Value(), "changePlug",
        [address, action, limitBytes](RequestContext &context) {
            qplug::ChangePlug(context, address, action, limitBytes);
            return Done{};
        },
        UndefinedToJs);
}

Napi::Value RouteSocket::ChangePlugSync(const Napi::CallbackInfo &info) {
    const ArgReader args(info, "changePlugSync");
    const QdiscAddress address = ReadAddress(args);
    const PlugAction action = args.Action(3, "action");
    const uint32_t limitBytes = args.U32(4, "limitBytes");
    try {
        // Waits for the requests made before it, like any other request.
        Run(TakeTurn(), "changePlugSync", [&](RequestContext &context) {
            qplug::ChangePlug(context, address, action, limitBytes);
        });
    } catch (const NativeFailure &failure) {
        throw ToJsError(info.Env(), failure);
    }
    return info.Env().Undefined();
}

Napi::Value RouteSocket::DeleteQdisc(const Napi::CallbackInfo &info) {
    const QdiscAddress address = ReadAddress(ArgReader(info, "deleteQdisc"));
    return StartSocketRequest(
        this, Value(), "deleteQdisc",
        [address](RequestContext &context) {
            qplug::DeleteQdisc(context, address);
            return Done{};
        },
        UndefinedToJs);
}

Napi::Value RouteSocket::AddPrio(const Napi::CallbackInfo &info) {
    const ArgReader args(info, "addPrio");
    const QdiscAddress address = ReadAddress(args);
    PrioSpec prio;
    prio.bands = args.U32In(3, "bands", kMinPrioBands, kMaxPrioBands);
    prio.priomap = args.Priomap(4, "priomap", prio.bands);
    return StartSocketRequest(
        this, Value(), "addPrio",
        [address, prio](RequestContext &context) {
            qplug::AddPrio(context, address, prio);
            return Done{};
        },
        UndefinedToJs);
}

Napi::Value RouteSocket::AddU32Filter(const Napi::CallbackInfo &info) {
    const ArgReader args(info, "addU32Filter");
    const FilterParent parent = ReadFilterParent(args);
    U32FilterSpec spec = args.U32Filter(2, "options");
    return StartSocketRequest(
        this, Value(), "addU32Filter",
        [parent, spec = std::move(spec)](RequestContext &context) {
            qplug::AddU32Filter(context, parent, spec);
            return Done{};
        },
        UndefinedToJs);
}

Napi::Value RouteSocket::ListFilters(const Napi::CallbackInfo &info) {
    const FilterParent parent = ReadFilterParent(ArgReader(info, "listFilters"));
    return StartSocketRequest(
        this, Value(), "listFilters",
        [parent](RequestContext &context) { return qplug::ListFilters(context, parent); },
        [](Napi::Env env, const std::vector<FilterInfo> &filters) {
            return ArrayToJs(env, filters, FilterToJs);
        });
}

Napi::Value RouteSocket::DeleteFilters(const Napi::CallbackInfo &info) {
    const ArgReader args(info, "deleteFilters");
    const FilterParent parent = ReadFilterParent(args);
    // Priority 0 would ask the kernel to flush every filter of the parent,
    // which it refuses once a kind is given.
    const auto priority = static_cast<uint16_t>(args.U32In(2, "priority", 1, 65535));
    const auto protocol = static_cast<uint16_t>(args.U32In(3, "protocol", 0, 65535));
    return StartSocketRequest(
        this, Value(), "deleteFilters",
        [parent, priority, protocol](RequestContext &context) {
            qplug::DeleteU32Filters(context, parent, priority, protocol);
            return Done{};
        },
        UndefinedToJs);
}

Napi::Value RouteSocket::Close(const Napi::CallbackInfo &info) {
    // Takes no turn: waits only for the request in flight, not for the queued
    // ones, which then find no socket and settle with ECLOSED.
    std::lock_guard<std::mutex> lock(mutex_);
    sock_.reset();
    return info.Env().Undefined();
}

} // namespace qplug
