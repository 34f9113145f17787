#if canImport(Glibc)
import Glibc
#endif

/// `20250102-030405`: a time for file and folder names, sortable, with no characters a shell or tar minds.
public enum CompactTimestamp {
  /// `secondsSinceEpoch` in UTC, or in this machine's time zone (as `ls -l` shows the file's time) when `utc` is false.
  public static func string(secondsSinceEpoch: Int64, utc: Bool) -> String {
    var seconds = time_t(secondsSinceEpoch)
    var parts = tm()
    if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
    func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
    return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))-"
      + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))"
  }
}
