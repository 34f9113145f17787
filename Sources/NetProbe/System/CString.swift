extension String {
  /// Decodes a C character buffer up to its first NUL (invalid UTF-8 becomes U+FFFD).
  init(nulTerminated buffer: [CChar]) {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    self.init(decoding: bytes, as: UTF8.self)
  }
}
