import Foundation
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Triage

/// The JSON of real runs validates against Resources/report.schema.json (embedded in the binary).
@Suite struct CheckReportTests {
  static func report(for text: String, transport: Evidence.Transport = .tcp) async throws -> [String: Any] {
    let target = CheckTarget(text: text, target: try Target.parse(text), transport: transport)
    let snapshot = await ChecklistRun(target: target).run()
    let diagnosis = try #require(snapshot.diagnosis)
    let knowledge = KnowledgeText.render(diagnosis)
    let report = CheckReport(snapshot: snapshot, target: target, version: "test", startedAt: Date(), privileges: .current(),
                             title: knowledge.title, fixes: knowledge.fixes)
    let data = try JSONEncoder().encode(report)
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
  }

  static let validator = try! JSONSchemaValidator(schema: Data(PackageResources.report_schema_json))

  @Test func reachableRunValidates() async throws {
    let listener = try LoopbackTCPListener()
    let object = try await Self.report(for: "127.0.0.1:\(listener.port)")
    #expect(Self.validator.validate(object) == [])
    #expect((object["diagnosis"] as? [String: Any])?["id"] as? String == "reachable")
    #expect((object["target"] as? [String: Any])?["port"] as? Int == Int(listener.port))
  }

  @Test func closedPortRunValidates() async throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let object = try await Self.report(for: "localhost:\(port)")
    #expect(Self.validator.validate(object) == [])
    #expect((object["diagnosis"] as? [String: Any])?["id"] as? String == "port-closed")
    #expect((object["target"] as? [String: Any])?["numeric"] as? Bool == false)
  }

  @Test func unixRunValidates() async throws {
    let directory = TemporaryDirectory()
    let object = try await Self.report(for: "unix:\(directory.path)/x.sock", transport: .unix)
    #expect(Self.validator.validate(object) == [])
  }

  @Test func validatorCatchesAWrongDocument() async throws {
    let listener = try LoopbackTCPListener()
    var object = try await Self.report(for: "127.0.0.1:\(listener.port)")
    var diagnosis = object["diagnosis"] as! [String: Any]
    diagnosis["id"] = "connection-refused"  // not in the vocabulary
    object["diagnosis"] = diagnosis
    object["extra"] = 1
    object.removeValue(forKey: "steps")
    let errors = Self.validator.validate(object)
    #expect(errors.contains { $0.contains("$.diagnosis.id") })
    #expect(errors.contains { $0.contains("unexpected extra") })
    #expect(errors.contains { $0.contains("missing steps") })
  }

  @Test func schemaListsTheWholeVocabulary() throws {
    let schema = try JSONSerialization.jsonObject(with: Data(PackageResources.report_schema_json)) as! [String: Any]
    let ids = ((schema["$defs"] as? [String: Any])?["diagnosisID"] as? [String: Any])?["enum"] as? [String]
    #expect(ids == DiagnosisID.allCases.map(\.rawValue))
    let steps = ((((schema["$defs"] as? [String: Any])?["step"] as? [String: Any])?["properties"] as? [String: Any])?["id"] as? [String: Any])?["enum"] as? [String]
    #expect(steps == StepID.allCases.map(\.rawValue))
  }
}
