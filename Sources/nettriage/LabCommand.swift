import ArgumentParser
import FoundationEssentials
import Lab
import NetProbe
import Triage

/// `nettriage lab ...`: the fault lab in network namespaces (root only).
struct LabCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lab",
    abstract: "Build real network faults in namespaces, to practise on and to test against (root).",
    discussion: """
      The lab is five network namespaces: ntlab-client and ntlab-client2 on 198.18.1.0/24 and \
      fd00:18:1::/64, ntlab-server and ntlab-server2 on 198.18.2.0/24 and fd00:18:2::/64, and ntlab-router \
      between them (.1 and ::1 on both). The server runs TCP listeners (80, 443, 8080), a UDP echo (7) and a \
      DNS server for lab.test, which the client resolves through. Nothing is linked to the outside, and \
      nothing without the ntlab- prefix is touched. Each scenario adds one fault to a fresh topology.

      Examples:
        nettriage lab list
        sudo nettriage lab up port-closed
        sudo nettriage lab exec -- nettriage probe tcp 198.18.2.10:80
        sudo nettriage lab status
        sudo nettriage lab practice          # a random fault, name hidden
        sudo nettriage lab reveal
        sudo nettriage lab down

      Exit status: 0 when the command did its work, 1 when it failed (or nothing is up, for status), \
      2 for bad input or without root.
      """,
    subcommands: [List.self, Up.self, Status.self, Down.self, Exec.self, Practice.self, Reveal.self,
                  ServeTCP.self, ServeUDPEcho.self, ServeDNS.self, ServeBacklog.self, ServeStall.self,
                  StallSend.self, DelayLineCommand.self]
  )
}

/// Refuses to go on without root: one line, exit status 2, before anything is printed.
private func requireRoot() throws(UsageFailure) {
  do {
    try Lab.requireRoot()
  } catch {
    throw UsageFailure(message: error.message)
  }
}

/// Runs a lab operation (after `requireRoot()`); a lab error is printed and exits 1.
private func runLab<T>(_ body: () throws(LabError) -> T) throws -> T {
  do {
    return try body()
  } catch {
    printError(error.message)
    throw ExitCode(1)
  }
}

private func makeLab(json: Bool) -> Lab {
  let output = Output(json: json)
  return Lab(executable: Lab.currentExecutable) { line in
    if !json { output.line("  " + line) }
  }
}

private func scenarioNamed(_ name: String, parameters: ScenarioParameters) throws(UsageFailure) -> Scenario {
  guard let scenario = Scenario.named(name, parameters: parameters) else {
    throw UsageFailure(message: "no scenario named \"\(name)\": nettriage lab list shows them all")
  }
  return scenario
}

/// What `lab list --json` prints for each scenario.
private struct ScenarioSummary: Encodable {
  let name: String
  let summary: String
  let complaint: String
  let diagnosis: String
  let secondary: [String]
  let target: String
  let probe: [String]
  let expectedOutcome: String
  let available: Bool
  let unavailable: String?

  init(_ scenario: Scenario) {
    name = scenario.name
    summary = scenario.summary
    complaint = scenario.complaint
    diagnosis = scenario.diagnosis
    secondary = scenario.secondary
    target = scenario.target
    probe = scenario.probe
    expectedOutcome = scenario.expectedOutcome
    available = scenario.isAvailable
    unavailable = scenario.unavailable
  }
}

/// Options for the scenarios that take a value.
struct ScenarioOptions: ParsableArguments {
  @Option(name: .customLong("delay-ms"), help: "high-latency: milliseconds each packet is held, each way.")
  var delayMilliseconds: Int = ScenarioParameters.standard.delayMilliseconds

  @Option(name: .customLong("loss-percent"), help: "packet-loss: percent of forwarded packets dropped.")
  var lossPercent: Int = ScenarioParameters.standard.lossPercent

  func validate() throws {
    guard (1...5000).contains(delayMilliseconds) else { throw ValidationError("--delay-ms must be 1-5000") }
    guard (1...100).contains(lossPercent) else { throw ValidationError("--loss-percent must be 1-100") }
  }

  var parameters: ScenarioParameters { ScenarioParameters(delayMilliseconds: delayMilliseconds, lossPercent: lossPercent) }
}

extension LabCommand {
  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "list",
      abstract: "List every scenario with its diagnosis id and a one-line description (no root needed).",
      discussion: """
        Examples:
          nettriage lab list
          nettriage lab list --json
        """
    )

    @Flag(help: "Print one JSON object.")
    var json = false

    private struct Listing: Encodable { let scenarios: [ScenarioSummary] }

    func run() throws {
      let catalog = Scenario.catalog()
      let output = Output(json: json)
      if json {
        output.object(type: "lab-scenarios", Listing(scenarios: catalog.map(ScenarioSummary.init)))
        return
      }
      let nameWidth = catalog.map(\.name.count).max()! + 2
      let idWidth = catalog.map { $0.diagnosis.count }.max()! + 2
      output.line("SCENARIO".padded(to: nameWidth)
                  + "DIAGNOSIS".padded(to: idWidth) + "WHAT IS WRONG")
      for scenario in catalog {
        var text = scenario.summary
        if !scenario.secondary.isEmpty { text += " [+ \(scenario.secondary.joined(separator: ", "))]" }
        if let reason = scenario.unavailable { text += " (not built yet: \(reason))" }
        output.line(scenario.name.padded(to: nameWidth)
                    + scenario.diagnosis.padded(to: idWidth) + text)
      }
    }
  }

  struct Up: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "up",
      abstract: "Build the lab with one fault, after removing whatever lab was up.",
      discussion: """
        Examples:
          sudo nettriage lab up healthy
          sudo nettriage lab up admin-prohibited
          sudo nettriage lab up high-latency --delay-ms 25     # 25 ms each way: RTT about 50 ms
          sudo nettriage lab up packet-loss --loss-percent 10 --json
        """
    )

    @Argument(help: "The scenario (see nettriage lab list).")
    var scenario: String

    @OptionGroup var options: ScenarioOptions

    @Flag(help: "Print one JSON object when done.")
    var json = false

    private struct Report: Encodable {
      let scenario: ScenarioSummary
      let parameters: ScenarioParameters
      let namespaces: [String]
      let processes: [LabProcess]
    }

    func run() throws {
      let scenario = try scenarioNamed(self.scenario, parameters: options.parameters)
      try requireRoot()
      if let reason = scenario.unavailable {
        throw UsageFailure(message: "\(scenario.name) cannot be built yet: \(reason)")
      }
      let output = Output(json: json)
      let lab = makeLab(json: json)
      if !json { output.line("lab up \(scenario.name): \(scenario.summary)") }
      let state = try runLab { () throws(LabError) in try lab.up(scenario, parameters: options.parameters) }
      if json {
        output.object(type: "lab-up", Report(scenario: ScenarioSummary(scenario), parameters: state.parameters,
                                             namespaces: state.namespaces, processes: state.processes))
        return
      }
      output.line("ready. From the client:")
      output.line("  nettriage lab exec -- nettriage \(scenario.probe.joined(separator: " "))")
      output.line("expected: \(scenario.expectedOutcome); diagnosis \(scenario.diagnosis)"
                  + (scenario.secondary.isEmpty ? "" : " (+ \(scenario.secondary.joined(separator: ", ")))"))
    }
  }

  struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "status",
      abstract: "Show what is up: the scenario, its namespaces and services, checked against the kernel.",
      discussion: """
        Exit status: 0 when a lab is up and whole, 1 when nothing is up or part of it is missing.

        Examples:
          sudo nettriage lab status
          sudo nettriage lab status --json
        """
    )

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
      try requireRoot()
      let status = makeLab(json: json).status()
      let output = Output(json: json)
      if json {
        output.object(type: "lab-status", status)
        if !status.isUp { throw ExitCode(1) }
        return
      }
      if status.isEmpty {
        output.line("no lab is up (start one with nettriage lab up SCENARIO)")
        throw ExitCode(1)
      }
      if !status.namespaces.isEmpty {
        let name = status.hidden ? "a practice scenario (hidden: nettriage lab reveal names it)" : status.scenario ?? "?"
        output.line("scenario    \(name)\(status.complete ? "" : " - NOT COMPLETE: lab up did not finish")")
        if let startedAt = status.startedAt { output.line("up since    \(startedAt)") }
        if let target = status.target { output.line("target      \(target)") }
        if status.hidden, let complaint = status.complaint { output.line("complaint   \(complaint)") }
        let missing = status.namespaces.filter { !$0.present }.map(\.name)
        output.line("namespaces  \(status.namespaces.map(\.name).joined(separator: " "))"
                    + (missing.isEmpty ? "" : " - MISSING: \(missing.joined(separator: " "))"))
        for process in status.processes {
          output.line("service     \(process.role) in \(process.namespace), pid \(process.pid), "
                      + (process.running ? "running" : "NOT RUNNING"))
        }
      }
      if !status.leftovers.isEmpty {
        output.line("leftovers   \(status.leftovers.joined(separator: " ")) (not in the state file: nettriage lab down removes them)")
      }
      if !status.isUp { throw ExitCode(1) }
    }
  }

  struct Down: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "down",
      abstract: "End the lab's processes, delete its namespaces and remove its files (also after a crash).",
      discussion: """
        Examples:
          sudo nettriage lab down
          sudo nettriage lab down --json
        """
    )

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
      try requireRoot()
      let removal = try runLab { () throws(LabError) in try makeLab(json: json).down() }
      let output = Output(json: json)
      if json {
        output.object(type: "lab-down", removal)
      } else if removal.isEmpty {
        output.line("nothing to remove: no lab is up")
      } else {
        output.line("lab down\(removal.scenario.map { " (\($0))" } ?? ""): removed \(removal.summary)")
        if !removal.processes.isEmpty { output.line("  processes   \(removal.processes.joined(separator: ", "))") }
        if !removal.namespaces.isEmpty { output.line("  namespaces  \(removal.namespaces.joined(separator: " "))") }
        if !removal.files.isEmpty { output.line("  files       \(removal.files.joined(separator: " "))") }
        for failure in removal.failures { output.line("  FAILED      \(failure)") }
      }
      if !removal.failures.isEmpty { throw ExitCode(1) }
    }
  }

  struct Exec: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "exec",
      abstract: "Run a command inside a lab namespace (the client unless --host says otherwise).",
      discussion: """
        The command runs as `ip netns exec ntlab-HOST COMMAND ARGS...`, with the client's resolv.conf, \
        hosts and nsswitch.conf in place; `nettriage` as the command means this nettriage. The exit \
        status is the command's.

        Examples:
          sudo nettriage lab exec -- nettriage probe tcp 198.18.2.10:80
          sudo nettriage lab exec -- nettriage resolve www.lab.test
          sudo nettriage lab exec --host server -- nettriage probe sockets
          sudo nettriage lab exec -- bash
        """
    )

    @Option(help: "The lab machine: client, client2, router, server or server2.")
    var host: String = "client"

    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.")
    var command: [String] = []

    func run() throws {
      guard let labHost = LabHost(rawValue: host) else {
        throw UsageFailure(message: "--host \"\(host)\" is not a lab machine: use client, client2, router, server or server2")
      }
      var command = self.command
      guard let program = command.first, !program.isEmpty else {
        throw UsageFailure(message: "give the command after --, e.g. nettriage lab exec -- nettriage probe tcp 198.18.2.10:80")
      }
      if program == "nettriage" { command[0] = Lab.currentExecutable }
      try requireRoot()
      let error: LabError = try runLab { () throws(LabError) in
        guard Lab.presentNamespaces().contains(labHost.namespace) else {
          throw LabError("\(labHost.namespace) does not exist: start the lab with nettriage lab up SCENARIO")
        }
        return Lab.execute(in: labHost, command)
      }
      printError(error.message)
      throw ExitCode(127)
    }
  }

  struct Practice: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "practice",
      abstract: "Bring up a random fault and hide its name; find it, then check with nettriage lab reveal.",
      discussion: """
        Examples:
          sudo nettriage lab practice
          sudo nettriage lab exec -- nettriage check 198.18.2.10:80
          sudo nettriage lab reveal
        """
    )

    @Flag(help: "Print one JSON object when done (without the scenario's name).")
    var json = false

    private struct Report: Encodable {
      let complaint: String
      let target: String
    }

    func run() throws {
      try requireRoot()
      var generator = SystemRandomNumberGenerator()
      let scenario = Lab.practiceScenario(using: &generator)
      let output = Output(json: json)
      let lab = makeLab(json: json)
      if !json { output.line("lab practice: building a fault whose name stays hidden") }
      _ = try runLab { () throws(LabError) in try lab.up(scenario, hidden: true) }
      if json {
        output.object(type: "lab-practice", Report(complaint: scenario.complaint, target: scenario.target))
        return
      }
      output.line("ready. The user on ntlab-client says: \"\(scenario.complaint)\"")
      output.line("Find out why, from the client, e.g.:")
      output.line("  nettriage lab exec -- nettriage check \(scenario.target)")
      output.line("  nettriage lab exec -- nettriage probe tcp \(scenario.target)")
      output.line("Then: nettriage lab reveal")
    }
  }

  struct Reveal: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "reveal",
      abstract: "Name the scenario that is up (a practice run's hidden fault), why, and how it was made.",
      discussion: """
        Examples:
          sudo nettriage lab reveal
          sudo nettriage lab reveal --json
        """
    )

    @Flag(help: "Print one JSON object.")
    var json = false

    private struct Report: Encodable {
      let scenario: ScenarioSummary
      let explanation: String
      let steps: [String]
      let services: [String]
    }

    func run() throws {
      try requireRoot()
      let state = try runLab { () throws(LabError) in try makeLab(json: json).reveal() }
      guard let scenario = Scenario.named(state.scenario, parameters: state.parameters) else {
        printError("the state file names an unknown scenario \"\(state.scenario)\": nettriage lab down clears it")
        throw ExitCode(1)
      }
      let steps = scenario.setup.map(\.commandLine)
      let services = scenario.services.map(\.commandLine)
      let output = Output(json: json)
      if json {
        output.object(type: "lab-reveal", Report(scenario: ScenarioSummary(scenario), explanation: scenario.explanation,
                                                 steps: steps, services: services))
        return
      }
      output.line("scenario   \(scenario.name): \(scenario.summary)")
      output.line("diagnosis  \(scenario.diagnosis)" + (scenario.secondary.isEmpty ? "" : " (+ \(scenario.secondary.joined(separator: ", ")))"))
      output.line("probe      nettriage \(scenario.probe.joined(separator: " ")) -> \(scenario.expectedOutcome)")
      output.line("why        \(scenario.explanation)")
      output.line("made by    " + (steps.isEmpty ? "(no extra step: the fault is in the target or the services)" : steps.joined(separator: "\n           ")))
      output.line("services   " + services.joined(separator: "\n           "))
    }
  }
}

// MARK: services the lab runs inside its namespaces (hidden from --help)

/// Runs a lab service until it is ended; a failure goes to its log (stderr) and exits 1.
private func serve(_ body: () throws(LabError) -> Never) throws -> Never {
  do {
    try body()
  } catch {
    printError(error.message)
    throw ExitCode(1)
  }
}

extension LabCommand {
  struct ServeTCP: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve-tcp", abstract: "Lab service: TCP listeners that send a banner and close.", shouldDisplay: false)
    @Option(help: "A port to listen on (repeatable).") var port: [UInt16] = []
    @Option(help: "The line sent to each connection.") var banner = "ntlab server"
    func run() throws {
      guard !port.isEmpty else { throw UsageFailure(message: "give at least one --port") }
      try serve { () throws(LabError) -> Never in try TCPListeners.run(ports: port, banner: banner) }
    }
  }

  struct ServeUDPEcho: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve-udp-echo", abstract: "Lab service: UDP echo.", shouldDisplay: false)
    @Option(help: "The port.") var port: UInt16 = 7
    func run() throws { try serve { () throws(LabError) -> Never in try UDPEcho.run(port: port) } }
  }

  struct ServeDNS: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve-dns", abstract: "Lab service: the DNS server for lab.test.", shouldDisplay: false)
    @Option(help: "answer, nxdomain, servfail, refused, silent or truncated.") var mode = "answer"
    @Option(help: "The port.") var port: UInt16 = 53
    @Option(help: "An address to serve on (repeatable).") var address: [String] = []
    func run() throws {
      guard let mode = DNSResponder.Mode(rawValue: mode) else { throw UsageFailure(message: "unknown --mode \(mode)") }
      let addresses = address.compactMap(IPAddress.init)
      guard !addresses.isEmpty, addresses.count == address.count else { throw UsageFailure(message: "give --address with IP addresses") }
      try serve { () throws(LabError) -> Never in try DNSService.run(addresses: addresses, port: port, mode: mode) }
    }
  }

  struct ServeBacklog: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve-backlog", abstract: "Lab service: an accept queue that is full most of the time.", shouldDisplay: false)
    @Option(help: "The port.") var port: UInt16 = 80
    @Option(help: "The listen backlog.") var backlog: Int32 = 1
    @Option(name: .customLong("accept-every-ms"), help: "Take one connection off the queue this often (0: never).") var acceptEvery = 0
    @Option(name: .customLong("crowd-refill-ms"), help: "Refill the freed place this long after each accept.") var crowdRefill = 0
    func run() throws {
      guard acceptEvery >= 0, crowdRefill >= 0, acceptEvery == 0 || crowdRefill < acceptEvery else {
        throw UsageFailure(message: "--crowd-refill-ms must be shorter than --accept-every-ms")
      }
      let every: Duration? = acceptEvery > 0 ? .milliseconds(acceptEvery) : nil
      try serve { () throws(LabError) -> Never in
        try BacklogListener.run(port: port, backlog: backlog, acceptEvery: every, crowdRefill: .milliseconds(crowdRefill))
      }
    }
  }

  struct ServeStall: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve-stall", abstract: "Lab service: accepts and never reads.", shouldDisplay: false)
    @Option(help: "The port.") var port: UInt16 = 8080
    func run() throws { try serve { () throws(LabError) -> Never in try StallServer.run(port: port) } }
  }

  struct StallSend: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stall-sender", abstract: "Lab service: keeps sending to the stall server.", shouldDisplay: false)
    @Option(help: "The stall server's address.") var address: String
    @Option(help: "Its port.") var port: UInt16 = 8080
    func run() throws {
      guard let target = IPAddress(address) else { throw UsageFailure(message: "--address \(address) is not an IP address") }
      try serve { () throws(LabError) -> Never in try StallSender.run(address: target, port: port) }
    }
  }

  struct DelayLineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delay-line", abstract: "Lab service: holds each packet of a TUN device.", shouldDisplay: false)
    @Option(help: "The TUN device.") var device: String
    @Option(name: .customLong("delay-ms"), help: "Milliseconds to hold each packet.") var delayMilliseconds: Int = 100
    func run() throws {
      try serve { () throws(LabError) -> Never in try DelayLine.run(device: device, delay: .milliseconds(delayMilliseconds)) }
    }
  }
}
