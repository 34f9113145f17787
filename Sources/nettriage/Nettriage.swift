import ArgumentParser
import NetProbe
import Triage
import TriageTUI
#if canImport(Glibc)
import Glibc
#endif

@main
struct Nettriage: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nettriage",
    abstract: "Find out why a TCP/IP connection fails, in plain words, with the evidence and the fix.",
    discussion: """
      Examples:
        nettriage probe tcp 127.0.0.1:8080            # four handshakes, then a summary
        nettriage probe tcp https://localhost/ -n 0   # until Ctrl-C
        nettriage probe udp 127.0.0.1 53 --payload hello
        nettriage probe unix /run/app.sock
        nettriage resolve localhost

      Exit status: 0 when the target answered, 1 when it did not, 2 for bad input.
      """,
    version: NettriageVersion.current,
    subcommands: [CheckCommand.self, Probe.self, Resolve.self, SubnetCommand.self, LabCommand.self, ExplainCommand.self, TUICommand.self],
    defaultSubcommand: TUICommand.self
  )

  /// Parses and runs; usage errors become one line on stderr and exit status 2 (ArgumentParser would use 64).
  static func main() async {
    do {
      var command = try parseAsRoot()
      if var asyncCommand = command as? AsyncParsableCommand {
        try await asyncCommand.run()
      } else {
        try command.run()
      }
    } catch let exit as ExitCode {
      Glibc.exit(exit.rawValue)
    } catch let failure as UsageFailure {
      printError(failure.message)
      Glibc.exit(2)
    } catch {
      let code = exitCode(for: error)
      if code == .success {
        exit(withError: error)  // --help, --version
      }
      let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "invalid arguments"
      printError("\(message) (see nettriage --help)")
      Glibc.exit(2)
    }
  }
}

enum NettriageVersion {
  static let current = "0.1.0"
}

/// Bad input found after argument parsing (a target that does not parse): one line, exit status 2.
struct UsageFailure: Error {
  let message: String
}

/// Writes `nettriage: MESSAGE` to stderr with control characters escaped.
func printError(_ message: String) {
  writeAll("nettriage: " + SafeText.escape(message) + "\n", to: STDERR_FILENO)
}

/// Writes the whole text to a descriptor, unbuffered, so lines reach a pipe as they are made.
func writeAll(_ text: String, to descriptor: Int32) {
  var text = text
  text.withUTF8 { buffer in
    var offset = 0
    while offset < buffer.count {
      let written = write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        return  // a closed pipe: nothing more to say
      }
      offset += written
    }
  }
}
