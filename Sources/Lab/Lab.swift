import FoundationEssentials
import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// Builds, inspects and removes the fault lab. Every change happens inside `ntlab-` namespaces or files the
/// lab records; the machine's own interfaces, routes, firewall and resolver are never touched.
public struct Lab: Sendable {
  /// The nettriage executable the services run as (`nettriage lab serve-...`).
  public var executable: String
  /// Where the state file, logs and rulesets live.
  public var stateDirectory: String
  /// Receives one line per phase of `up` and `down` (the CLI prints them unless --json).
  public var progress: @Sendable (String) -> Void

  public init(executable: String, stateDirectory: String = LabNames.stateDirectory,
              progress: @escaping @Sendable (String) -> Void = { _ in }) {
    self.executable = executable
    self.stateDirectory = stateDirectory
    self.progress = progress
  }

  /// The path of the running executable (`/proc/self/exe` resolved), for starting services.
  public static var currentExecutable: String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
  }

  /// Refuses to go on unless the process runs as root: namespaces, veths and nftables need it.
  public static func requireRoot() throws(LabError) {
    guard geteuid() == 0 else {
      throw LabError("the lab needs root (it creates network namespaces, links and firewall rules): run it with sudo")
    }
  }

  private var stateFile: String { stateDirectory + "/state.json" }

  /// The recorded state, if a lab is (or was being) built.
  public func state() -> LabState? { LabState.load(from: stateFile) }

  // MARK: up

  /// Clears whatever lab exists, then builds the topology, the scenario's fault and its services. On failure the
  /// partial lab is removed and the error names the step that failed.
  @discardableResult
  public func up(_ scenario: Scenario, parameters: ScenarioParameters = .standard, hidden: Bool = false) throws(LabError) -> LabState {
    try Self.requireRoot()
    if let reason = scenario.unavailable { throw LabError("\(scenario.name) cannot be built here: \(reason)") }
    try FileSystem.makeDirectory(stateDirectory, mode: 0o700)
    let lock = try LabLock(path: stateDirectory + "/lock")
    defer { withExtendedLifetime(lock) {} }
    let previous = removeEverything()
    if !previous.isEmpty { progress("cleared the previous lab: \(previous.summary)") }

    var state = LabState(scenario: scenario.name, hidden: hidden, parameters: parameters)
    do {
      try state.save(to: stateFile)
      progress("building the topology: 5 namespaces, 2 subnets, both families")
      for step in LabTopology.buildSteps { try perform(step, state: &state) }
      if !scenario.setup.isEmpty { progress(hidden ? "making the fault" : "making the fault: \(scenario.setup.count) step(s)") }
      for step in scenario.setup { try perform(step, state: &state) }
      for service in scenario.services { try start(service, state: &state) }
      state.complete = true
      try state.save(to: stateFile)
    } catch {
      _ = removeEverything()
      throw LabError("\(error.message) (the partial lab was removed)")
    }
    return state
  }

  private func perform(_ step: LabStep, state: inout LabState) throws(LabError) {
    switch step {
    case let .namespace(name):
      precondition(LabNames.isLabName(name), "the lab only makes ntlab- namespaces")
      state.namespaces.append(name)
      try state.save(to: stateFile)
      try runChecked(LabNames.ipPath, ["netns", "add", name])
    case let .ip(arguments):
      try runChecked(LabNames.ipPath, arguments)
    case let .sysctl(namespace, settings):
      try NamespaceThread.setSysctls(settings.map { ($0.key, $0.value) }, in: namespace)
    case let .nftables(namespace, ruleset):
      let path = "\(stateDirectory)/\(namespace).nft"
      state.files.append(path)
      try state.save(to: stateFile)
      try FileSystem.replace(path, with: Data(ruleset.utf8), mode: 0o600)
      try runChecked(LabNames.ipPath, ["netns", "exec", namespace, LabNames.nftPath, "-f", path])
    case let .file(path, contents):
      // Record every directory this creates (/etc/netns itself may be new), outermost first.
      var missing: [String] = []
      var directory = FileAccess.directoryName(of: path)
      while !FileSystem.exists(directory) && directory != "/" {
        missing.insert(directory, at: 0)
        directory = FileAccess.directoryName(of: directory)
      }
      if !missing.isEmpty {
        state.directories += missing
        try state.save(to: stateFile)
        try FileSystem.makeDirectory(missing.last!)
      }
      if !state.files.contains(path) {
        state.files.append(path)
        try state.save(to: stateFile)
      }
      try FileSystem.replace(path, with: Data(contents.utf8), mode: 0o644)
    }
  }

  /// Runs a program and turns a non-zero exit into an error naming the command and its first line of complaint.
  private func runChecked(_ path: String, _ arguments: [String]) throws(LabError) {
    let result = try Spawn.run(path, arguments)
    guard result.status == 0 else {
      let complaint = result.stderr.split(separator: "\n").first.map(String.init) ?? "exit status \(result.status)"
      throw LabError("\(path.split(separator: "/").last.map(String.init) ?? path) \(arguments.joined(separator: " ")): \(complaint)")
    }
  }

  /// Starts a service inside its namespace (`ip netns exec NS nettriage lab ARGS`), records its pid, and waits
  /// for its "ready" line.
  private func start(_ service: LabService, state: inout LabState) throws(LabError) {
    let log = "\(stateDirectory)/\(service.role).log"
    if !state.files.contains(log) { state.files.append(log) }
    let logDescriptor = try FileSystem.openLog(log)
    defer { close(logDescriptor) }
    let pipe = try Spawn.makePipe()
    defer { close(pipe.read) }
    let arguments = ["netns", "exec", service.host.namespace, executable, "lab"] + service.arguments
    let pid: pid_t
    do {
      pid = try Spawn.background(LabNames.ipPath, arguments, stdout: pipe.write, stderr: logDescriptor)
    } catch {
      close(pipe.write)
      throw error
    }
    close(pipe.write)
    state.processes.append(LabProcess(role: service.role, host: service.host, pid: pid,
                                      startTime: ProcessTable.startTime(of: pid) ?? 0,
                                      arguments: [executable, "lab"] + service.arguments, log: log))
    try state.save(to: stateFile)
    guard waitForReadyLine(pipe.read, timeout: .seconds(10)) else {
      Spawn.reapIfChild(pid)
      let reason = FileSystem.lastLine(of: log) ?? "it did not say it was ready within 10 s"
      throw LabError("service \(service.role) in \(service.host.namespace) failed: \(reason)")
    }
    progress(state.hidden ? "started a service in \(service.host.namespace) (pid \(pid))"
                          : "started \(service.role) in \(service.host.namespace) (pid \(pid))")
  }

  /// Reads the service's stdout until the ready line, end of file, or the timeout.
  private func waitForReadyLine(_ descriptor: Int32, timeout: Duration) -> Bool {
    let deadline = ContinuousClock.now + timeout
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 256)
    while ContinuousClock.now < deadline {
      var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
      let remaining = deadline - ContinuousClock.now
      let milliseconds = Int32(remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000) + 1
      let result = poll(&ready, 1, milliseconds)
      if result < 0 && errno == EINTR { continue }
      if result <= 0 { return false }
      let count = read(descriptor, &buffer, buffer.count)
      if count < 0 && errno == EINTR { continue }
      if count <= 0 { return false }
      received += buffer[0..<count]
      if String(decoding: received, as: UTF8.self).split(separator: "\n").contains(Substring(ServiceReadiness.line)) {
        return true
      }
    }
    return false
  }

  // MARK: down

  /// Ends every lab process, deletes every lab namespace and removes the lab's files; safe to run at any time,
  /// also when nothing is up or after a crash.
  @discardableResult
  public func down() throws(LabError) -> LabRemoval {
    try Self.requireRoot()
    guard FileSystem.exists(stateDirectory) || !Self.presentNamespaces().isEmpty else { return LabRemoval() }
    try FileSystem.makeDirectory(stateDirectory, mode: 0o700)
    let lock = try LabLock(path: stateDirectory + "/lock")
    defer { withExtendedLifetime(lock) {} }
    return removeEverything()
  }

  /// The lab namespaces that exist now (by name in /run/netns).
  public static func presentNamespaces() -> [String] {
    FileSystem.list(LabNames.namespaceDirectory).filter(LabNames.isLabName)
  }

  /// Removes what the state file records and whatever else carries the lab's prefix. Called with the lock held.
  private func removeEverything() -> LabRemoval {
    let state = self.state()
    var removal = LabRemoval()
    let namespaces = Array(Set((state?.namespaces ?? []) + Self.presentNamespaces()).filter(LabNames.isLabName)).sorted()

    // Processes: the recorded services, and anything else living in a lab namespace (a `lab exec` shell, a
    // service whose pid was never written down because up was killed at that instant).
    let recorded = (state?.processes ?? []).filter(\.isRunning)
    let namespaceIDs = Set(namespaces.compactMap { ProcessTable.networkNamespace(atPath: LabNames.namespaceDirectory + "/" + $0) })
    let me = getpid()
    let strays = namespaceIDs.isEmpty ? [] : ProcessTable.allProcesses().filter { pid in
      pid != me && !recorded.contains { $0.pid == pid } && ProcessTable.networkNamespace(of: pid).map(namespaceIDs.contains) == true
    }
    let stopped = ProcessTable.stop(recorded.map(\.pid) + strays)
    removal.processes = stopped.map { pid in
      recorded.first { $0.pid == pid }.map { "\($0.role) (pid \(pid))" } ?? "pid \(pid)"
    }

    for namespace in namespaces where FileSystem.exists(LabNames.namespaceDirectory + "/" + namespace) {
      if let result = try? Spawn.run(LabNames.ipPath, ["netns", "del", namespace]), result.status == 0 {
        removal.namespaces.append(namespace)
      } else {
        removal.failures.append("ip netns del \(namespace) failed")
      }
    }

    // Files: the recorded ones, the resolver files in any ntlab- /etc/netns directory, and the lab's own directory.
    var files = Set(state?.files ?? [])
    var directories = Set(state?.directories ?? [])
    for name in FileSystem.list(LabNames.netnsConfigurationDirectory) where LabNames.isLabName(name) {
      let directory = LabNames.configurationDirectory(of: name)
      directories.insert(directory)
      for file in ["resolv.conf", "hosts", "nsswitch.conf"] { files.insert(directory + "/" + file) }
    }
    for name in FileSystem.list(stateDirectory) where name != "lock" { files.insert(stateDirectory + "/" + name) }
    for file in files.sorted() where FileSystem.exists(file) {
      FileSystem.remove(file)
      if !file.hasPrefix(stateDirectory + "/") { removal.files.append(file) }
    }
    // Deepest first; a directory that is not empty (someone else's files) stays.
    for directory in directories.sorted(by: { $0.count > $1.count }) where FileSystem.exists(directory) {
      FileSystem.removeDirectory(directory)
      if !FileSystem.exists(directory) { removal.files.append(directory + "/") }
    }
    if state != nil { removal.scenario = state!.hidden ? "(hidden practice scenario)" : state!.scenario }
    return removal
  }

  // MARK: status

  /// What is up now, checked against the kernel: the namespaces that exist, the services that still run.
  public func status() -> LabStatus {
    let state = self.state()
    let present = Set(Self.presentNamespaces())
    var status = LabStatus()
    if let state {
      status.scenario = state.hidden ? nil : state.scenario
      status.hidden = state.hidden
      status.complete = state.complete
      status.startedAt = state.startedAt.formatted(.iso8601)
      if let scenario = Scenario.named(state.scenario, parameters: state.parameters) {
        status.target = scenario.target
        status.complaint = scenario.complaint
      }
      status.namespaces = state.namespaces.map { LabStatus.NamespaceState(name: $0, present: present.contains($0)) }
      status.processes = state.processes.map {
        LabStatus.ProcessState(role: state.hidden ? "service" : $0.role, namespace: $0.host.namespace, pid: $0.pid,
                               running: $0.isRunning)
      }
    }
    status.leftovers = present.subtracting(state?.namespaces ?? []).sorted()
    return status
  }
}

/// What `lab down` removed.
public struct LabRemoval: Codable, Sendable, Hashable {
  public var scenario: String?
  public var processes: [String] = []
  public var namespaces: [String] = []
  public var files: [String] = []
  public var failures: [String] = []

  public init() {}

  public var isEmpty: Bool { processes.isEmpty && namespaces.isEmpty && files.isEmpty && failures.isEmpty }

  /// `3 processes, 5 namespaces, 3 files`
  public var summary: String {
    "\(processes.count) process(es), \(namespaces.count) namespace(s), \(files.count) file(s)"
  }
}

/// The lab as the kernel shows it now, beside what the state file says.
public struct LabStatus: Codable, Sendable, Hashable {
  public struct NamespaceState: Codable, Sendable, Hashable {
    public var name: String
    public var present: Bool
  }

  public struct ProcessState: Codable, Sendable, Hashable {
    public var role: String
    public var namespace: String
    public var pid: Int32
    public var running: Bool
  }

  /// The scenario's name; nil when nothing is up or the run is a hidden practice.
  public var scenario: String?
  public var hidden = false
  public var complete = false
  /// When `lab up` began, ISO 8601 in UTC.
  public var startedAt: String?
  public var target: String?
  public var complaint: String?
  public var namespaces: [NamespaceState] = []
  public var processes: [ProcessState] = []
  /// Lab namespaces that exist but the state file does not list (from a crash): `lab down` removes them.
  public var leftovers: [String] = []

  public init() {}

  /// Whether a lab is up and whole: built to the end, every namespace present, every service running.
  public var isUp: Bool {
    complete && !namespaces.isEmpty && namespaces.allSatisfy(\.present) && processes.allSatisfy(\.running)
  }

  /// Whether nothing of the lab exists.
  public var isEmpty: Bool { namespaces.isEmpty && processes.isEmpty && leftovers.isEmpty }
}

extension Lab {
  /// Ends the secrecy of a practice run: the state file stops hiding the name. Returns the state.
  public func reveal() throws(LabError) -> LabState {
    try Self.requireRoot()
    guard var state = state() else { throw LabError("no lab is up: start one with nettriage lab practice") }
    if state.hidden {
      let lock = try LabLock(path: stateDirectory + "/lock")
      defer { withExtendedLifetime(lock) {} }
      state.hidden = false
      try state.save(to: stateFile)
    }
    return state
  }

  /// A fault for practice, chosen at random among the scenarios that can be built and have something to find.
  public static func practiceScenario<G: RandomNumberGenerator>(parameters: ScenarioParameters = .standard,
                                                               using generator: inout G) -> Scenario {
    let candidates = Scenario.catalog(parameters).filter { $0.isAvailable && !$0.isBaseline }
    return candidates.randomElement(using: &generator)!
  }
}

extension Scenario {
  /// The scenarios with nothing wrong (healthy, reachable-v6): never picked for practice.
  public var isBaseline: Bool { diagnosis == "reachable" && secondary.isEmpty && setup.isEmpty && services == LabService.standard() }
}

extension Lab {
  /// Replaces this process with `command` run inside the host's namespace (`ip netns exec NS COMMAND...`);
  /// returns only when that could not start.
  public static func execute(in host: LabHost, _ command: [String]) -> LabError {
    let error = Spawn.replaceProcess(LabNames.ipPath, ["ip", "netns", "exec", host.namespace] + command)
    return LabError("cannot run \(LabNames.ipPath): \(error)")
  }
}
