#include "rtnl_requests.h"

#include <cerrno>
#include <net/if.h>

#include <netlink/attr.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/plug.h>
#include <netlink/route/qdisc/prio.h>
#include <netlink/route/tc.h>

#include "libnl_handles.h"

namespace qplug {

namespace {

constexpr const char *kPlugKind = "plug";
constexpr const char *kPrioKind = "prio";

LinkInfo DescribeLink(rtnl_link *link) {
    LinkInfo info;
    info.ifindex = rtnl_link_get_ifindex(link);
    const char *name = rtnl_link_get_name(link);
    info.name = name ? name : "";
    info.up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
    info.mtu = rtnl_link_get_mtu(link);
    info.txQueueLen = rtnl_link_get_txqlen(link);
    return info;
}

NlCachePtr FetchLinkCache(RequestContext &context) {
    nl_cache *cache = nullptr;
    context.Call("rtnl_link_alloc_cache",
                 [&] { return rtnl_link_alloc_cache(context.sock(), AF_UNSPEC, &cache); });
    return NlCachePtr(cache);
}

RtnlQdiscPtr NewQdisc(const QdiscAddress &address) {
    RtnlQdiscPtr qdisc(rtnl_qdisc_alloc());
    if (!qdisc)
        throw SystemFailure("rtnl_qdisc_alloc", ENOMEM);
    // ifindex and parent are always set: libnl asserts on their absence.
    rtnl_tc_set_ifindex(TC_CAST(qdisc.get()), address.ifindex);
    rtnl_tc_set_parent(TC_CAST(qdisc.get()), address.parent);
    if (address.handle != 0)
        rtnl_tc_set_handle(TC_CAST(qdisc.get()), address.handle);
    return qdisc;
}

void SetKind(rtnl_qdisc *qdisc, const char *kind) {
    if (const int err = rtnl_tc_set_kind(TC_CAST(qdisc), kind); err < 0) {
        throw LibnlFailure("rtnl_tc_set_kind", err, 0, "");
    }
}

// Applies a libnl qdisc setter, whose failures are all local (allocation, a
// missing or out-of-range attribute): there is no kernel answer to capture.
void ApplySetting(const char *setter, int result) {
    if (result < 0)
        throw LibnlFailure(setter, result, 0, "");
}

} // namespace

LinkInfo GetLink(RequestContext &context, int ifindex, const std::string &name) {
    rtnl_link *raw = nullptr;
    const char *byName = ifindex == 0 ? name.c_str() : nullptr;
    context.Call("rtnl_link_get_kernel",
                 [&] { return rtnl_link_get_kernel(context.sock(), ifindex, byName, &raw); });
    const RtnlLinkPtr link(raw);
    return DescribeLink(link.get());
}

std::vector<LinkInfo> ListLinks(RequestContext &context) {
    const NlCachePtr cache = FetchLinkCache(context);
    std::vector<LinkInfo> links;
    for (nl_object *object = nl_cache_get_first(cache.get()); object;
         object = nl_cache_get_next(object)) {
        links.push_back(DescribeLink(reinterpret_cast<rtnl_link *>(object)));
    }
    return links;
}

std::vector<QdiscInfo> ListQdiscs(RequestContext &context, int ifindex) {
    nl_cache *rawQdiscs = nullptr;
    context.Call("rtnl_qdisc_alloc_cache",
                 [&] { return rtnl_qdisc_alloc_cache(context.sock(), &rawQdiscs); });
    const NlCachePtr qdiscs(rawQdiscs);
    // Names come from the same socket, hence the same namespace, as the qdiscs.
    const NlCachePtr links = FetchLinkCache(context);

    std::vector<QdiscInfo> result;
    for (nl_object *object = nl_cache_get_first(qdiscs.get()); object;
         object = nl_cache_get_next(object)) {
        rtnl_tc *tc = TC_CAST(object);
        const int qdiscIfindex = rtnl_tc_get_ifindex(tc);
        if (ifindex != 0 && qdiscIfindex != ifindex)
            continue;

        QdiscInfo info;
        info.ifindex = qdiscIfindex;
        char name[IFNAMSIZ] = "";
        if (rtnl_link_i2name(links.get(), qdiscIfindex, name, sizeof name))
            info.dev = name;
        const char *kind = rtnl_tc_get_kind(tc);
        info.kind = kind ? kind : "";
        info.handle = rtnl_tc_get_handle(tc);
        info.parent = rtnl_tc_get_parent(tc);
        info.stats.bytes = rtnl_tc_get_stat(tc, RTNL_TC_BYTES);
        info.stats.packets = rtnl_tc_get_stat(tc, RTNL_TC_PACKETS);
        info.stats.backlogBytes = rtnl_tc_get_stat(tc, RTNL_TC_BACKLOG);
        info.stats.backlogPackets = rtnl_tc_get_stat(tc, RTNL_TC_QLEN);
        info.stats.drops = rtnl_tc_get_stat(tc, RTNL_TC_DROPS);
        info.stats.overlimits = rtnl_tc_get_stat(tc, RTNL_TC_OVERLIMITS);
        info.stats.requeues = rtnl_tc_get_stat(tc, RTNL_TC_REQUEUES);
        result.push_back(std::move(info));
    }
    return result;
}

void AddPlug(RequestContext &context, const QdiscAddress &address, uint32_t limitBytes) {
    const RtnlQdiscPtr qdisc = NewQdisc(address);
    const int flags = NLM_F_CREATE | NLM_F_EXCL;

    if (limitBytes > 0) {
        SetKind(qdisc.get(), kPlugKind);
        // libnl's int parameter; the kernel reads it back as the u32 it was.
        ApplySetting("rtnl_qdisc_plug_set_limit",
                     rtnl_qdisc_plug_set_limit(qdisc.get(), static_cast<int>(limitBytes)));
        context.Call("rtnl_qdisc_add",
                     [&] { return rtnl_qdisc_add(context.sock(), qdisc.get(), flags); });
        return;
    }

    // With kind "plug" set, libnl always sends a tc_plug_qopt, zero-filled when
    // no setter ran, and the kernel would take limit 0 (drop everything)
    // instead of its tx_queue_len * mtu default. So the request is built
    // without a kind, which leaves libnl's plug module out, and TCA_KIND is
    // appended by hand: the same RTM_NEWQDISC minus TCA_OPTIONS.
    nl_msg *raw = nullptr;
    if (const int err = rtnl_qdisc_build_add_request(qdisc.get(), flags, &raw); err < 0) {
        throw LibnlFailure("rtnl_qdisc_build_add_request", err, 0, "");
    }
    NlMsgPtr message(raw);
    if (const int err = nla_put_string(message.get(), TCA_KIND, kPlugKind); err < 0) {
        throw LibnlFailure("nla_put_string", err, 0, "");
    }
    // nl_send_sync frees the message whatever happens.
    context.Call("rtnl_qdisc_add", [&] { return nl_send_sync(context.sock(), message.release()); });
}

void ChangePlug(RequestContext &context, const QdiscAddress &address, PlugAction action,
                uint32_t limitBytes) {
    const RtnlQdiscPtr target = NewQdisc(address);
    const RtnlQdiscPtr change = NewQdisc(address);
    // The kind must match the existing qdisc's; it also selects libnl's plug
    // module, which puts the tc_plug_qopt into TCA_OPTIONS.
    SetKind(change.get(), kPlugKind);
    switch (action) {
    case PlugAction::Buffer:
        ApplySetting("rtnl_qdisc_plug_buffer", rtnl_qdisc_plug_buffer(change.get()));
        break;
    case PlugAction::ReleaseOne:
        ApplySetting("rtnl_qdisc_plug_release_one", rtnl_qdisc_plug_release_one(change.get()));
        break;
    case PlugAction::ReleaseIndefinite:
        ApplySetting("rtnl_qdisc_plug_release_indefinite",
                     rtnl_qdisc_plug_release_indefinite(change.get()));
        break;
    case PlugAction::Limit:
        ApplySetting("rtnl_qdisc_plug_set_limit",
                     rtnl_qdisc_plug_set_limit(change.get(), static_cast<int>(limitBytes)));
        break;
    }
    // Flags 0: neither NLM_F_CREATE nor NLM_F_EXCL, so tc_modify_qdisc finds the
    // qdisc by parent/handle and goes to qdisc_change, or fails with ENOENT; it
    // never creates or replaces one. One send, one wait for the ack.
    context.Call("rtnl_qdisc_update",
                 [&] { return rtnl_qdisc_update(context.sock(), target.get(), change.get(), 0); });
}

void DeleteQdisc(RequestContext &context, const QdiscAddress &address) {
    const RtnlQdiscPtr qdisc = NewQdisc(address);
    context.Call("rtnl_qdisc_delete",
                 [&] { return rtnl_qdisc_delete(context.sock(), qdisc.get()); });
}

void AddPrio(RequestContext &context, const QdiscAddress &address, const PrioSpec &prio) {
    const RtnlQdiscPtr qdisc = NewQdisc(address);
    // The kind selects libnl's prio module, which sends bands and priomap as
    // the tc_prio_qopt that prio_init/prio_tune read from TCA_OPTIONS.
    SetKind(qdisc.get(), kPrioKind);
    rtnl_qdisc_prio_set_bands(qdisc.get(), static_cast<int>(prio.bands));
    // libnl wants a mutable array, and only checks entries <= bands; the
    // kernel wants < bands, which the caller has checked.
    std::array<uint8_t, kPrioMapSize> priomap = prio.priomap;
    ApplySetting(
        "rtnl_qdisc_prio_set_priomap",
        rtnl_qdisc_prio_set_priomap(qdisc.get(), priomap.data(), static_cast<int>(priomap.size())));
    context.Call("rtnl_qdisc_add", [&] {
        return rtnl_qdisc_add(context.sock(), qdisc.get(), NLM_F_CREATE | NLM_F_EXCL);
    });
}

} // namespace qplug
