import CZlib

/// gzip (RFC 1952) through zlib: deflate with a gzip header and CRC-32 trailer, as `gzip -d` and `tar -z` read it.
public enum Gzip {
  /// zlib's `windowBits` for a 32 KiB window with gzip framing (15 + 16).
  static let gzipWindowBits: Int32 = 31
  /// For inflate: 15 + 32 reads gzip or zlib framing.
  static let detectWindowBits: Int32 = 47

  /// Compresses bytes into one gzip member. The corresponding C functions are `deflateInit2(3)`, `deflate(3)` and
  /// `deflateEnd(3)`.
  public static func compress(_ input: [UInt8], level: Int32 = 6) throws(GzipError) -> [UInt8] {
    var stream = z_stream()
    let initialized = deflateInit2_(&stream, level, Z_DEFLATED, gzipWindowBits, 8, Z_DEFAULT_STRATEGY, zlibVersion(),
                                    Int32(MemoryLayout<z_stream>.size))
    guard initialized == Z_OK else { throw GzipError(call: "deflateInit2", code: initialized) }
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))))
    var input = input  // zlib's next_in is not const
    let status = input.withUnsafeMutableBufferPointer { source in
      output.withUnsafeMutableBufferPointer { destination in
        stream.next_in = source.baseAddress
        stream.avail_in = uInt(source.count)
        stream.next_out = destination.baseAddress
        stream.avail_out = uInt(destination.count)
        // With the output at least deflateBound() long, one Z_FINISH call ends the stream.
        return deflate(&stream, Z_FINISH)
      }
    }
    guard status == Z_STREAM_END else { throw GzipError(call: "deflate", code: status) }
    output.removeSubrange(Int(stream.total_out)...)
    return output
  }

  /// Decompresses gzip (or zlib) data, every member of it; `limit` caps the output so a hostile file cannot use
  /// up memory. The corresponding C functions are `inflateInit2(3)`, `inflate(3)` and `inflateEnd(3)`.
  public static func decompress(_ input: [UInt8], limit: Int = 1 << 30) throws(GzipError) -> [UInt8] {
    var output: [UInt8] = []
    var remaining = input[...]
    while !remaining.isEmpty {
      let (member, used) = try inflateMember(Array(remaining), limit: limit - output.count)
      output += member
      remaining = remaining.dropFirst(used)
    }
    return output
  }

  /// One gzip member: its bytes and how much input it used.
  private static func inflateMember(_ input: [UInt8], limit: Int) throws(GzipError) -> ([UInt8], Int) {
    var stream = z_stream()
    let initialized = inflateInit2_(&stream, detectWindowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
    guard initialized == Z_OK else { throw GzipError(call: "inflateInit2", code: initialized) }
    defer { inflateEnd(&stream) }
    var input = input
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    var status: Int32 = Z_OK
    input.withUnsafeMutableBufferPointer { source in
      stream.next_in = source.baseAddress
      stream.avail_in = uInt(source.count)
      repeat {
        let produced = chunk.withUnsafeMutableBufferPointer { destination -> Int in
          stream.next_out = destination.baseAddress
          stream.avail_out = uInt(destination.count)
          status = inflate(&stream, Z_NO_FLUSH)
          return destination.count - Int(stream.avail_out)
        }
        output += chunk[0..<produced]
      } while status == Z_OK && output.count <= limit && (stream.avail_in > 0 || stream.avail_out == 0)
    }
    if output.count > limit { throw GzipError(call: "inflate", code: Z_BUF_ERROR, detail: "more than \(limit) bytes") }
    guard status == Z_STREAM_END else {
      throw GzipError(call: "inflate", code: status == Z_OK ? Z_DATA_ERROR : status, detail: status == Z_OK ? "truncated" : nil)
    }
    return (output, Int(stream.total_in))
  }
}

/// A zlib call that failed, with zlib's code (`Z_DATA_ERROR`, ...).
public struct GzipError: Error, Hashable, Sendable, CustomStringConvertible {
  public var call: String
  public var code: Int32
  public var detail: String?

  public init(call: String, code: Int32, detail: String? = nil) {
    self.call = call
    self.code = code
    self.detail = detail
  }

  public var description: String {
    let name = switch code {
    case Z_STREAM_ERROR: "Z_STREAM_ERROR"
    case Z_DATA_ERROR: "Z_DATA_ERROR"
    case Z_MEM_ERROR: "Z_MEM_ERROR"
    case Z_BUF_ERROR: "Z_BUF_ERROR"
    case Z_VERSION_ERROR: "Z_VERSION_ERROR"
    default: "zlib error \(code)"
    }
    return "\(call): \(name)" + (detail.map { " (\($0))" } ?? "")
  }
}
