import ArgumentParser
import NetProbe
import Triage
import TriageTUI

@main
struct Nettriage: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "nettriage",
    abstract: "Find out why a TCP/IP connection fails, in plain words, with the evidence and the fix.",
    version: NettriageVersion.current,
    subcommands: []
  )
}

enum NettriageVersion {
  static let current = "0.1.0"
}
