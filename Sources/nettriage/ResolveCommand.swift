import ArgumentParser
import NetProbe
import Triage

struct Resolve: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "resolve",
    abstract: "Resolve a name to every address, in the order the system prefers, and time it.",
    discussion: """
      Uses getaddrinfo: the hosts file and DNS, in the order /etc/nsswitch.conf gives. A numeric address is
      returned as it is, without asking any resolver. Failures name the EAI_* case.

      Examples:
        nettriage resolve localhost
        nettriage resolve localhost -4 --json

      Exit status: 0 when the name resolved, 1 when it did not, 2 for bad input.
      """
  )

  @Argument(help: "The host name (or a URL or HOST:PORT: the host part is used).")
  var name: String

  @Option(name: [.customShort("t"), .long], help: "Seconds to wait for the resolver.")
  var timeout: Double = 10

  @Flag(name: .customShort("4"), help: "IPv4 addresses only.")
  var ipv4Only = false

  @Flag(name: .customShort("6"), help: "IPv6 addresses only.")
  var ipv6Only = false

  @Flag(help: "Print the result as one JSON object.")
  var json = false

  func validate() throws {
    guard timeout > 0, timeout <= 600, timeout.isFinite else { throw ValidationError("--timeout must be more than 0 and at most 600 seconds") }
    guard !(ipv4Only && ipv6Only) else { throw ValidationError("-4 and -6 exclude each other") }
  }

  func run() async throws {
    let host: TargetHost
    do {
      guard case let .inet(target) = try Target.parse(name, requirePort: false) else {
        throw UsageFailure(message: "\(name) is a unix socket path, not a host name")
      }
      host = target.host
    } catch let error as TargetParseError {
      throw UsageFailure(message: error.description)
    }
    let output = Output(json: json)
    do {
      let resolution = try await Resolver.resolve(host, family: ipv4Only ? .ipv4 : ipv6Only ? .ipv6 : nil,
                                                  timeout: .microseconds(Int64(timeout * 1_000_000)))
      if json {
        output.object(type: "resolution", resolution)
      } else {
        output.line(ProbeText.resolution(resolution))
      }
    } catch {
      if json {
        output.object(type: "resolution-error", error)
      } else {
        output.line("\(SafeText.escape(host.description)): \(error.symbol) (\(error.code)) \(error.message) after \(ProbeText.milliseconds(error.elapsedMicroseconds))")
      }
      throw ExitCode(1)
    }
  }
}
