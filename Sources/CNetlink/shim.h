// The libnl-3 / libnl-route-3 headers Trellis uses, plus static inline shims for what Swift
// cannot call directly (macros). Link flags come from pkg-config (libnl-route-3.0); release
// builds link Debian's static archives instead (see the Makefile).
#ifndef TRELLIS_CNETLINK_SHIM_H
#define TRELLIS_CNETLINK_SHIM_H

#include <netlink/netlink.h>
#include <netlink/errno.h>
#include <netlink/socket.h>
#include <netlink/msg.h>
#include <netlink/cache.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/link/vxlan.h>
#include <netlink/route/addr.h>
#include <netlink/route/route.h>
#include <netlink/route/nexthop.h>
#include <netlink/route/neighbour.h>
#include <linux/if.h>
#include <linux/if_arp.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <linux/nexthop.h>
#include <linux/if_addr.h>
#include <sys/syscall.h>
#include <unistd.h>

/// setns(fd, CLONE_NEWNET): glibc declares setns only under _GNU_SOURCE, which Swift's Glibc
/// module does not define; the raw system call is the same thing.
static inline int trellis_enter_netns(int fd) {
    return (int)syscall(SYS_setns, fd, 0x40000000 /* CLONE_NEWNET */);
}

#endif
