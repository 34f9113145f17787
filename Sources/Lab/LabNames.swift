/// Names the lab gives what it creates: a fixed prefix, so it only ever touches its own namespaces and links.
public enum LabNames {
  /// Every namespace, link and state file of the lab starts with this.
  public static let prefix = "ntlab-"
}
