// Owning smart pointers for the libnl objects the bindings allocate, so every
// early return and exception path frees them.
#pragma once

#include <memory>

#include <netlink/cache.h>
#include <netlink/msg.h>
#include <netlink/route/classifier.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/socket.h>

namespace qplug {

struct NlSockDeleter {
    void operator()(nl_sock *sock) const { nl_socket_free(sock); }
};
struct NlCacheDeleter {
    void operator()(nl_cache *cache) const { nl_cache_free(cache); }
};
struct NlMsgDeleter {
    void operator()(nl_msg *msg) const { nlmsg_free(msg); }
};
struct RtnlLinkDeleter {
    void operator()(rtnl_link *link) const { rtnl_link_put(link); }
};
struct RtnlQdiscDeleter {
    void operator()(rtnl_qdisc *qdisc) const { rtnl_qdisc_put(qdisc); }
};
struct RtnlClsDeleter {
    void operator()(rtnl_cls *cls) const { rtnl_cls_put(cls); }
};

using NlSockPtr = std::unique_ptr<nl_sock, NlSockDeleter>;
using NlCachePtr = std::unique_ptr<nl_cache, NlCacheDeleter>;
using NlMsgPtr = std::unique_ptr<nl_msg, NlMsgDeleter>;
using RtnlLinkPtr = std::unique_ptr<rtnl_link, RtnlLinkDeleter>;
using RtnlQdiscPtr = std::unique_ptr<rtnl_qdisc, RtnlQdiscDeleter>;
using RtnlClsPtr = std::unique_ptr<rtnl_cls, RtnlClsDeleter>;

} // namespace qplug
