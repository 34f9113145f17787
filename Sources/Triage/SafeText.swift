/// Text from outside (names, DNS answers, banners, typed input) made safe to print on a terminal: control
/// characters, escapes and bidirectional overrides are shown as `\u{..}`, never sent raw.
public enum SafeText {
  public static func escape(_ text: String) -> String {
    var output = ""
    output.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
      if isUnsafe(scalar) {
        output += "\\u{" + String(scalar.value, radix: 16) + "}"
      } else if scalar == "\\" {
        output += "\\\\"
      } else {
        output.unicodeScalars.append(scalar)
      }
    }
    return output
  }

  static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.value {
    case 0x00...0x1F, 0x7F...0x9F: return true  // C0 and C1 controls, ESC and CSI among them
    case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true  // bidirectional overrides
    default: return false
    }
  }
}
