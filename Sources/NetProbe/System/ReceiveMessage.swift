import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// One `recvmsg(2)` into one data buffer, with an optional address buffer and a control buffer: the call every
/// reader of control messages makes (kernel timestamps, queued errors, TTLs). `eachControl` sees every control
/// message. Returns what `recvmsg` returned (with `MSG_TRUNC`, the datagram's full length); nil when it failed.
func receiveMessage(_ descriptor: Int32, flags: Int32, data: UnsafeMutableRawBufferPointer, control: UnsafeMutableRawBufferPointer,
                    name: UnsafeMutableRawPointer? = nil, nameLength: Int = 0,
                    eachControl: (UnsafeMutablePointer<cmsghdr>) -> Void) -> Int? {
  var vector = iovec(iov_base: data.baseAddress, iov_len: data.count)
  return withUnsafeMutablePointer(to: &vector) { vectorPointer -> Int? in
    var message = msghdr()
    message.msg_name = name
    message.msg_namelen = socklen_t(nameLength)
    message.msg_iov = vectorPointer
    message.msg_iovlen = 1
    message.msg_control = control.baseAddress
    message.msg_controllen = control.count
    guard case let .success(read) = syscallResult({ recvmsg(descriptor, &message, flags) }) else { return nil }
    var header = nt_cmsg_firsthdr(&message)
    while let cmsg = header {
      eachControl(cmsg)
      header = nt_cmsg_nxthdr(&message, cmsg)
    }
    return read
  }
}

/// The kernel's receive timestamp in an `SCM_TIMESTAMPNS` control message, in nanoseconds since the Unix epoch;
/// nil for any other control message.
func kernelTimestampNanoseconds(_ cmsg: UnsafeMutablePointer<cmsghdr>) -> Int64? {
  guard cmsg.pointee.cmsg_level == SOL_SOCKET, cmsg.pointee.cmsg_type == SCM_TIMESTAMPNS, let data = nt_cmsg_data(cmsg) else { return nil }
  let stamp = UnsafeRawPointer(data).loadUnaligned(as: timespec.self)
  return Int64(stamp.tv_sec) * 1_000_000_000 + Int64(stamp.tv_nsec)
}
