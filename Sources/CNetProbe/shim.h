#ifndef NETTRIAGE_CNETPROBE_SHIM_H
#define NETTRIAGE_CNETPROBE_SHIM_H
// Kernel headers Glibc's module does not export, and inline forms of the macros Swift cannot import.
#include <sys/socket.h>
#include <sys/eventfd.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/neighbour.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <ifaddrs.h>
#include <linux/capability.h>

static inline struct cmsghdr *nt_cmsg_firsthdr(struct msghdr *msg) { return CMSG_FIRSTHDR(msg); }
static inline struct cmsghdr *nt_cmsg_nxthdr(struct msghdr *msg, struct cmsghdr *cmsg) { return CMSG_NXTHDR(msg, cmsg); }
static inline unsigned char *nt_cmsg_data(struct cmsghdr *cmsg) { return CMSG_DATA(cmsg); }
static inline size_t nt_cmsg_space(size_t length) { return CMSG_SPACE(length); }
// The offender address follows the extended error inside the control message.
static inline struct sockaddr *nt_so_ee_offender(struct sock_extended_err *ee) { return SO_EE_OFFENDER(ee); }

// setns(2) is declared only under _GNU_SOURCE; the lab and namespace tests join network namespaces with it.
extern int setns(int fd, int nstype);
static inline int nt_setns_network(int fd) { return setns(fd, 0x40000000 /* CLONE_NEWNET */); }

// pthread_setname_np(3) is declared only under _GNU_SOURCE too; a named thread shows in top -H and gdb.
extern int pthread_setname_np(pthread_t thread, const char *name);
static inline int nt_set_thread_name(pthread_t thread, const char *name) { return pthread_setname_np(thread, name); }

// Netlink alignment helpers (NLMSG_*, RTA_* are function-like macros that do not import).
static inline unsigned int nt_nlmsg_align(unsigned int length) { return NLMSG_ALIGN(length); }
static inline unsigned int nt_nlmsg_hdrlen(void) { return NLMSG_HDRLEN; }
static inline unsigned int nt_rta_align(unsigned int length) { return RTA_ALIGN(length); }

// A TPACKET_V2 ring frame's status word is shared with the kernel, which fills the frame and then sets the word:
// read it with acquire order (the frame's bytes are read after it) and hand the frame back with release order
// (after they were read). Swift has no atomics for memory it does not own.
static inline unsigned int nt_tpacket2_status(const struct tpacket2_hdr *frame) {
  return __atomic_load_n(&frame->tp_status, __ATOMIC_ACQUIRE);
}
static inline void nt_tpacket2_give_back(struct tpacket2_hdr *frame) {
  __atomic_store_n(&frame->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
}
#endif
