#if canImport(Glibc)
import Glibc
#endif

/// Well-known TCP ports by service name and by URL scheme.
///
/// The built-in tables come first so that results do not depend on the host's `/etc/services`
/// (minimal containers often ship without it); other names fall back to the system's list.
public enum ServiceTable {
  /// The TCP port for a service name (`https`, `SSH`, `postgres`), ignoring case; nil when unknown.
  public static func port(for name: String) -> UInt16? {
    let lowercased = name.lowercased()
    if let port = builtInServices[lowercased] { return port }
    // A few /etc/services entries are not lowercase (`Clearcase`), so also try the name as typed.
    return systemPort(for: lowercased) ?? (lowercased == name ? nil : systemPort(for: name))
  }

  /// The port a URL scheme implies when the URL gives none (`https` → 443), ignoring case; nil when unknown.
  ///
  /// Schemes are not looked up in `/etc/services`: many (`file`, `mailto`) name no TCP service.
  public static func defaultPort(forScheme scheme: String) -> UInt16? {
    schemeDefaultPorts[scheme.lowercased()]
  }

  static let builtInServices: [String: UInt16] = [
    "ftp": 21, "ftps": 990, "ssh": 22, "sftp": 22, "telnet": 23,
    "smtp": 25, "smtps": 465, "submission": 587,
    "dns": 53, "domain": 53, "gopher": 70, "http": 80, "ws": 80, "kerberos": 88,
    "pop3": 110, "pop3s": 995, "nntp": 119, "ntp": 123, "imap": 143, "imaps": 993, "snmp": 161, "bgp": 179,
    "ldap": 389, "ldaps": 636, "https": 443, "wss": 443, "smb": 445, "rtsp": 554, "rsync": 873,
    "socks": 1080, "mssql": 1433, "oracle": 1521, "mqtt": 1883, "mqtts": 8883, "nfs": 2049,
    "zookeeper": 2181, "etcd": 2379, "mysql": 3306, "mariadb": 3306, "rdp": 3389, "svn": 3690,
    "nats": 4222, "sip": 5060, "sips": 5061, "xmpp": 5222, "postgres": 5432, "postgresql": 5432,
    "amqps": 5671, "amqp": 5672, "vnc": 5900, "couchdb": 5984, "winrm": 5985, "winrms": 5986,
    "redis": 6379, "kubernetes": 6443, "irc": 6667, "ircs": 6697, "http-alt": 8080, "consul": 8500,
    "cassandra": 9042, "kafka": 9092, "elasticsearch": 9200, "git": 9418, "memcached": 11211,
    "mongodb": 27017,
  ]

  static let schemeDefaultPorts: [String: UInt16] = [
    "ftp": 21, "ftps": 990, "ssh": 22, "sftp": 22, "git+ssh": 22, "ssh+git": 22, "svn+ssh": 22,
    "telnet": 23, "smtp": 25, "smtps": 465, "gopher": 70, "http": 80, "ws": 80,
    "pop3": 110, "pop3s": 995, "nntp": 119, "imap": 143, "imaps": 993, "ldap": 389, "ldaps": 636,
    "https": 443, "wss": 443, "smb": 445, "rtsp": 554, "mssql": 1433, "sqlserver": 1433,
    "mqtt": 1883, "mqtts": 8883, "nfs": 2049, "mysql": 3306, "mariadb": 3306, "rdp": 3389, "svn": 3690,
    "nats": 4222, "sip": 5060, "sips": 5061, "xmpp": 5222, "postgres": 5432, "postgresql": 5432,
    "amqps": 5671, "amqp": 5672, "vnc": 5900, "redis": 6379, "rediss": 6380, "irc": 6667, "ircs": 6697,
    "git": 9418, "mongodb": 27017,
  ]

  /// Looks the name up with `getservbyname_r(3)`, the reentrant form, so concurrent probes need no lock.
  private static func systemPort(for name: String) -> UInt16? {
    var entry = servent()
    var found: UnsafeMutablePointer<servent>?
    var buffer = [CChar](repeating: 0, count: 1024)
    while true {
      let status = getservbyname_r(name, "tcp", &entry, &buffer, buffer.count, &found)
      // ERANGE: an entry with many aliases did not fit; retry with a bigger buffer.
      if status == ERANGE && buffer.count < 1 << 16 {
        buffer = [CChar](repeating: 0, count: buffer.count * 4)
        continue
      }
      guard status == 0, found != nil else { return nil }
      // s_port holds the 16-bit port in network byte order inside an int.
      return UInt16(bigEndian: UInt16(truncatingIfNeeded: entry.s_port))
    }
  }
}
