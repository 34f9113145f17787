import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import NetProbe
import TestSupport

@Suite struct TCPCountersTests {
  static let netstatFixture = """
    TcpExt: SyncookiesSent SyncookiesRecv SyncookiesFailed ListenOverflows ListenDrops TCPReqQFullDrop
    TcpExt: 3 2 1 46 47 0
    IpExt: InNoRoutes InOctets
    IpExt: 0 18446744073709551615
    MPTcpExt: MPCapableSYNRX
    MPTcpExt: 5

    """

  static let snmpFixture = """
    Ip: Forwarding DefaultTTL
    Ip: 1 64
    Icmp: InMsgs InErrors
    Icmp: 10 0
    Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors
    Tcp: 1 200 120000 -1 2522736 2514332 8347 22885 3 100 200 169 0 295801 0
    Udp: InDatagrams
    Udp: 7
    """

  @Test func headerAndValueLinesPairUp() {
    let netstat = ProcNetCounters(parsing: Self.netstatFixture)
    #expect(netstat["TcpExt", "ListenOverflows"] == 46)
    #expect(netstat["TcpExt", "SyncookiesSent"] == 3)
    #expect(netstat["MPTcpExt", "MPCapableSYNRX"] == 5)
    #expect(netstat["IpExt", "InOctets"] == -1, "an unsigned value past Int64 wraps rather than vanishing")
    #expect(netstat.groups.keys.sorted() == ["IpExt", "MPTcpExt", "TcpExt"])

    let snmp = ProcNetCounters(parsing: Self.snmpFixture)
    #expect(snmp["Tcp", "MaxConn"] == -1)
    #expect(snmp["Tcp", "RetransSegs"] == 169)
    #expect(snmp["Tcp", "OutRsts"] == 295_801)
    #expect(snmp["Icmp", "InMsgs"] == 10)
    #expect(snmp["Udp", "InDatagrams"] == 7)
  }

  @Test(arguments: [
    ("", [String: [String: Int64]]()),
    ("TcpExt: A B\n", [:]),                                             // a header without values
    ("TcpExt: A B\nTcpExt: 1\n", ["TcpExt": ["A": 1]]),                  // fewer values than names
    ("TcpExt: A\nTcpExt: 1 2\n", ["TcpExt": ["A": 1]]),                  // more values than names
    ("TcpExt: A B\nTcpExt: x 2\n", ["TcpExt": ["B": 2]]),                // a value that is not a number
    ("TcpExt: A\nIpExt: 1\n", [:]),                                     // prefixes that do not match
    ("garbage\nTcp: A\nTcp: 4\n", ["Tcp": ["A": 4]]),
  ])
  func oddInputParsesWhatItCan(text: String, expected: [String: [String: Int64]]) {
    #expect(ProcNetCounters(parsing: text).groups == expected)
  }

  @Test func theRealProcFilesHaveEveryWatchedCounter() throws {
    for path in ["/proc/net/netstat", "/proc/net/snmp"] {
      let text = try SocketProcFiles.read(path).get()
      let counters = ProcNetCounters(parsing: text)
      #expect(!counters.groups.isEmpty, "\(path)")
      let headerLines = text.split(separator: "\n").count / 2
      #expect(counters.groups.count == headerLines, "\(path): every header/value pair parsed")
    }
    let sample = try TCPCounterSample.read()
    let counters = TCPCounters(before: nil, after: sample)
    #expect(counters.missing.isEmpty, "kernel 4.x and later report all of \(counters.missing)")
    #expect(counters.counters.count == TCPCounters.watched.count)
    #expect(counters.intervalSeconds == nil)
    #expect(counters.counters.allSatisfy { $0.change == nil && $0.perSecond == nil && $0.value >= 0 })
  }

  @Test func twoSamplesGiveChangesAndRates() {
    let start = ContinuousClock.now
    let before = TCPCounterSample(counters: ProcNetCounters(parsing: Self.netstatFixture + Self.snmpFixture), takenAt: start)
    var later = before.counters
    later.groups["TcpExt"]?["ListenOverflows"] = 56
    later.groups["Tcp"]?["RetransSegs"] = 174
    let after = TCPCounterSample(counters: later, takenAt: start + .seconds(2))
    let counters = TCPCounters(before: before, after: after)
    #expect(counters.intervalSeconds == 2)
    #expect(counters["ListenOverflows"]?.change == 10)
    #expect(counters["ListenOverflows"]?.perSecond == 5)
    #expect(counters["RetransSegs"]?.change == 5)
    #expect(counters["ListenDrops"]?.change == 0)
    #expect(counters["ListenOverflows"]?.group == "TcpExt")
    #expect(counters["RetransSegs"]?.group == "Tcp")
    // The fixture lacks these: they are named as missing, not shown as zero.
    #expect(counters.missing == ["TCPReqQFullDoCookies", "TCPTimeouts", "TCPSynRetrans"])
    #expect(counters["TCPTimeouts"] == nil)
  }

  @Test(arguments: [("4096\n", 4096), ("0", 0), (" 6 \n", 6), ("", nil), ("x\n", nil)] as [(String, Int?)])
  func sysctlNumbersParse(text: String, expected: Int?) {
    #expect(TCPSysctls.integer(text) == expected)
  }

  @Test(arguments: [("32768\t60999\n", TCPSysctls.PortRange(low: 32768, high: 60999)), ("1024 65535", .init(low: 1024, high: 65535)),
                    ("32768\n", nil), ("a b", nil)] as [(String, TCPSysctls.PortRange?)])
  func portRangesParse(text: String, expected: TCPSysctls.PortRange?) {
    #expect(TCPSysctls.portRange(text) == expected)
  }

  @Test func theRealSysctlsRead() {
    let sysctls = TCPSysctls.read()
    #expect((sysctls.somaxconn ?? 0) > 0)
    #expect((sysctls.tcpMaxSynBacklog ?? 0) > 0)
    #expect(sysctls.tcpSyncookies.map { (0...2).contains($0) } == true)
    #expect((sysctls.tcpSynRetries ?? 0) > 0)
    #expect((sysctls.tcpSynackRetries ?? 0) > 0)
    #expect((sysctls.tcpFinTimeout ?? 0) > 0)
    let range = sysctls.ipLocalPortRange
    #expect(range.map { $0.low > 0 && $0.low <= $0.high && $0.high <= 65535 } == true)
    #expect(sysctls.entries.count == 7)
    #expect(sysctls.entries.allSatisfy { $0.value != "?" })
  }

  /// A listener with backlog 1 that never accepts: its queue takes two connections, then the kernel drops
  /// the SYNs of the rest and counts them.
  @Test func overflowingAListenerRaisesTheCounters() async throws {
    let listener = try SocketTestKit.Listener(address: .v4(127, 0, 0, 1), backlog: 1)
    let before = try TCPCounterSample.read()
    var clients: [Int32] = []
    defer { clients.forEach { close($0) } }
    for _ in 0..<6 {
      let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
      _ = withSockAddr(listener.socketAddress) { connect(descriptor, $0, $1) }
      clients.append(descriptor)
    }
    // Generous: the drops happen within milliseconds on loopback.
    let deadline = ContinuousClock.now + .seconds(10)
    var counters = TCPCounters(before: before, after: try TCPCounterSample.read())
    while (counters["ListenOverflows"]?.change ?? 0) == 0 && ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(100))
      counters = TCPCounters(before: before, after: try TCPCounterSample.read())
    }
    #expect((counters["ListenOverflows"]?.change ?? 0) > 0)
    #expect((counters["ListenDrops"]?.change ?? 0) > 0)
    #expect((counters["ListenOverflows"]?.perSecond ?? 0) > 0)

    let row = try SocketTable.read(filter: SocketFilter(listeningOnly: true, port: listener.port)).rows
      .first { $0.local == listener.socketAddress }
    #expect(row?.backlog == 1)
    #expect(row?.acceptQueue == 2, "the kernel queues backlog + 1")
    #expect(row?.isAcceptQueueFull == true)
  }
}
