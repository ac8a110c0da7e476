#include "rtnl_filters.h"

#include <arpa/inet.h>
#include <cerrno>

#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/tc.h>

#include "libnl_handles.h"

namespace qplug {

namespace {

constexpr const char *kU32Kind = "u32";

// Applies a libnl call that only builds the request, so any failure is local:
// there is no kernel answer to capture.
void ApplySetting(const char *call, int result) {
    if (result < 0)
        throw LibnlFailure(call, result, 0, "");
}

// A u32 filter object addressed by device, parent, priority and protocol.
RtnlClsPtr NewU32Filter(const FilterParent &parent, uint16_t priority, uint16_t protocol) {
    RtnlClsPtr cls(rtnl_cls_alloc());
    if (!cls)
        throw SystemFailure("rtnl_cls_alloc", ENOMEM);
    rtnl_tc_set_ifindex(TC_CAST(cls.get()), parent.ifindex);
    rtnl_tc_set_parent(TC_CAST(cls.get()), parent.parent);
    rtnl_cls_set_prio(cls.get(), priority);
    // Set even when 0: left unset, libnl would send ETH_P_ALL instead.
    rtnl_cls_set_protocol(cls.get(), protocol);
    ApplySetting("rtnl_tc_set_kind", rtnl_tc_set_kind(TC_CAST(cls.get()), kU32Kind));
    return cls;
}

void AddKey(rtnl_cls *cls, const U32Key &key) {
    // libnl stores value and mask as given, and the kernel compares them with
    // packet words in network byte order.
    ApplySetting("rtnl_u32_add_key",
                 rtnl_u32_add_key(cls, htonl(key.value), htonl(key.mask), key.offset, 0));
}

} // namespace

void AddU32Filter(RequestContext &context, const FilterParent &parent, const U32FilterSpec &spec) {
    const RtnlClsPtr cls = NewU32Filter(parent, spec.priority, spec.protocol);
    if (spec.handle)
        rtnl_tc_set_handle(TC_CAST(cls.get()), *spec.handle);
    for (const U32Key &key : spec.keys)
        AddKey(cls.get(), key);
    // tc's "match u32 0 0": libnl sends the selector only once a key was
    // added, and the kernel refuses a u32 filter without one.
    if (spec.keys.empty())
        AddKey(cls.get(), U32Key{});
    ApplySetting("rtnl_u32_set_classid", rtnl_u32_set_classid(cls.get(), spec.classid));
    // Without it a match would only be remembered and the search would go on
    // to later filters, as tc's "*flowid" does.
    ApplySetting("rtnl_u32_set_cls_terminal", rtnl_u32_set_cls_terminal(cls.get()));
    context.Call("rtnl_cls_add", [&] {
        return rtnl_cls_add(context.sock(), cls.get(), NLM_F_CREATE | NLM_F_EXCL);
    });
}

std::vector<FilterInfo> ListFilters(RequestContext &context, const FilterParent &parent) {
    nl_cache *raw = nullptr;
    context.Call("rtnl_cls_alloc_cache", [&] {
        return rtnl_cls_alloc_cache(context.sock(), parent.ifindex, parent.parent, &raw);
    });
    const NlCachePtr cache(raw);

    std::vector<FilterInfo> result;
    for (nl_object *object = nl_cache_get_first(cache.get()); object;
         object = nl_cache_get_next(object)) {
        auto *cls = reinterpret_cast<rtnl_cls *>(object);
        FilterInfo info;
        const char *kind = rtnl_tc_get_kind(TC_CAST(cls));
        info.kind = kind ? kind : "";
        info.priority = rtnl_cls_get_prio(cls);
        info.protocol = rtnl_cls_get_protocol(cls);
        info.handle = rtnl_tc_get_handle(TC_CAST(cls));
        // rtnl_u32_get_classid reads the kind's private data as u32's: only
        // safe on a u32 element.
        uint32_t classid = 0;
        if (info.kind == kU32Kind && rtnl_u32_get_classid(cls, &classid) == 0)
            info.classid = classid;
        result.push_back(std::move(info));
    }
    return result;
}

void DeleteU32Filters(RequestContext &context, const FilterParent &parent, uint16_t priority,
                      uint16_t protocol) {
    // No handle: the kernel removes the whole filter at that priority, every
    // element with it. The kind makes it refuse to remove another kind's.
    const RtnlClsPtr cls = NewU32Filter(parent, priority, protocol);
    context.Call("rtnl_cls_delete", [&] { return rtnl_cls_delete(context.sock(), cls.get(), 0); });
}

} // namespace qplug
