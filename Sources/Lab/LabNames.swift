/// Names and places the lab uses: a fixed prefix, so it only ever touches its own namespaces, links and files.
public enum LabNames {
  /// Every namespace, link and /etc/netns directory of the lab starts with this.
  public static let prefix = "ntlab-"
  /// Where `ip netns` keeps its namespace files.
  public static let namespaceDirectory = "/run/netns"
  /// Where `ip netns exec` finds per-namespace files it bind-mounts over /etc (resolv.conf, hosts, nsswitch.conf).
  public static let netnsConfigurationDirectory = "/etc/netns"
  /// The lab's state file, logs, rulesets and lock.
  public static let stateDirectory = "/run/nettriage-lab"
  public static let stateFile = stateDirectory + "/state.json"
  public static let ipPath = "/usr/sbin/ip"
  public static let nftPath = "/usr/sbin/nft"
  /// The kernel's limit on interface names (IFNAMSIZ - 1).
  public static let maximumInterfaceNameLength = 15

  /// Whether a namespace, link or directory name is the lab's.
  public static func isLabName(_ name: String) -> Bool { name.hasPrefix(prefix) && name.count > prefix.count }

  /// The directory `ip netns exec` reads for a lab namespace's /etc files.
  public static func configurationDirectory(of namespace: String) -> String {
    netnsConfigurationDirectory + "/" + namespace
  }
}
