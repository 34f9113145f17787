#if canImport(Glibc)
import Glibc
#endif

/// What netlink's route family does not say about a link, read from `/sys/class/net` (wireless needs nl80211).
enum NetlinkSysfs {
  /// Whether `/sys/class/net/NAME` has a `wireless` or `phy80211` entry. `/sys` shows the namespace it was mounted
  /// in, which need not be the caller's: the entry counts only when its `ifindex` matches the netlink index.
  static func isWireless(name: String, index: Int) -> Bool {
    // Interface names never hold "/"; refuse anything that could walk out of the directory.
    guard !name.isEmpty, !name.contains("/"), name != ".", name != ".." else { return false }
    let directory = "/sys/class/net/" + name
    guard readInteger(directory + "/ifindex") == index else { return false }
    return exists(directory + "/wireless") || exists(directory + "/phy80211")
  }

  /// The corresponding C function is `access(2)`.
  private static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

  /// A small sysfs file holding one decimal number. The corresponding C functions are `open(2)` and `read(2)`.
  private static func readInteger(_ path: String) -> Int? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var buffer = [UInt8](repeating: 0, count: 32)
    let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
    guard count > 0 else { return nil }
    let text = String(decoding: buffer.prefix(count), as: UTF8.self).filter { !$0.isWhitespace }
    return Int(text)
  }
}
