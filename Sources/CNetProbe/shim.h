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

static inline struct cmsghdr *nt_cmsg_firsthdr(struct msghdr *msg) { return CMSG_FIRSTHDR(msg); }
static inline struct cmsghdr *nt_cmsg_nxthdr(struct msghdr *msg, struct cmsghdr *cmsg) { return CMSG_NXTHDR(msg, cmsg); }
static inline unsigned char *nt_cmsg_data(struct cmsghdr *cmsg) { return CMSG_DATA(cmsg); }
static inline size_t nt_cmsg_space(size_t length) { return CMSG_SPACE(length); }
// The offender address follows the extended error inside the control message.
static inline struct sockaddr *nt_so_ee_offender(struct sock_extended_err *ee) { return SO_EE_OFFENDER(ee); }
#endif
