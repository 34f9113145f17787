/// One classic BPF instruction, laid out as the kernel's `struct sock_filter`.
public struct BPFInstruction: Hashable, Sendable, Codable, CustomStringConvertible {
  public var code: UInt16
  /// Instructions to skip when a conditional jump's test holds.
  public var jumpTrue: UInt8
  /// Instructions to skip when it does not.
  public var jumpFalse: UInt8
  public var k: UInt32

  public init(code: UInt16, jumpTrue: UInt8 = 0, jumpFalse: UInt8 = 0, k: UInt32 = 0) {
    self.code = code
    self.jumpTrue = jumpTrue
    self.jumpFalse = jumpFalse
    self.k = k
  }

  /// `{ 0x15, 0, 3, 0x00000800 }`, as `tcpdump -dd` prints it.
  public var description: String {
    "{ 0x\(String(code, radix: 16)), \(jumpTrue), \(jumpFalse), 0x\(String(k, radix: 16)) }"
  }
}

/// Classic BPF opcodes (linux/bpf_common.h, linux/filter.h); written out here so the assembler and its interpreter
/// share one table.
public enum BPFCode {
  // Instruction classes.
  public static let load: UInt16 = 0x00, loadIndex: UInt16 = 0x01, alu: UInt16 = 0x04, jump: UInt16 = 0x05
  public static let ret: UInt16 = 0x06, misc: UInt16 = 0x07
  // Load sizes.
  public static let word: UInt16 = 0x00, half: UInt16 = 0x08, byte: UInt16 = 0x10
  // Load modes.
  public static let immediate: UInt16 = 0x00, absolute: UInt16 = 0x20, indirect: UInt16 = 0x40, length: UInt16 = 0x80
  /// `ldx 4*([k]&0xf)`: the IPv4 header length.
  public static let ipHeaderLength: UInt16 = 0xa0
  // Jumps.
  public static let always: UInt16 = 0x00, equal: UInt16 = 0x10, greater: UInt16 = 0x20, greaterOrEqual: UInt16 = 0x30
  public static let bitsSet: UInt16 = 0x40
  // Operand source: the constant k, or the index register X.
  public static let constant: UInt16 = 0x00, indexRegister: UInt16 = 0x08
  // ALU operations.
  public static let and: UInt16 = 0x50
  // Return what: the constant, or the accumulator.
  public static let accumulator: UInt16 = 0x10
  // Register moves (misc class).
  public static let tax: UInt16 = 0x00, txa: UInt16 = 0x80
  /// Loads from `ancillaryBase + n` read packet metadata instead of bytes (`SKF_AD_OFF`).
  public static let ancillaryBase: UInt32 = 0xffff_f000
  /// `SKF_AD_PROTOCOL`: the frame's EtherType (`skb->protocol`, host order).
  public static let ancillaryProtocol: UInt32 = 0
  /// `SKF_AD_PKTTYPE`: `skb->pkt_type` (PACKET_HOST 0 ... PACKET_OUTGOING 4).
  public static let ancillaryPacketType: UInt32 = 4
  /// `SKF_AD_HATYPE`: the device's ARPHRD type (ARPHRD_ETHER 1, ARPHRD_LOOPBACK 772).
  public static let ancillaryHardwareType: UInt32 = 28
  /// The kernel's limit on a classic program's length (`BPF_MAXINSNS`).
  public static let maximumInstructions = 4096
}

/// A classic BPF program: what `SO_ATTACH_FILTER` takes. Built with `BPFAssembler`; `run` interprets it as the
/// kernel would, so tests can check a filter against packet fixtures without a socket.
public struct BPFProgram: Hashable, Sendable, Codable {
  public var instructions: [BPFInstruction]

  public init(instructions: [BPFInstruction]) { self.instructions = instructions }

  /// A program that accepts nothing.
  public static let rejectAll = BPFProgram(instructions: [BPFInstruction(code: BPFCode.ret | BPFCode.constant, k: 0)])

  /// Runs the program on a packet that starts at its network header (as a `SOCK_DGRAM` packet socket's filter sees
  /// it), with `etherType` as the frame's protocol and `packetType`/`hardwareType` as its `pkt_type` and device type
  /// (by default a packet received on an Ethernet device). Returns the bytes to keep: 0 drops the packet. A load
  /// past the end drops it too, as in the kernel.
  public func run(on packet: [UInt8], etherType: UInt16, packetType: UInt16 = 0, hardwareType: UInt16 = 1) -> UInt32 {
    var a: UInt32 = 0, x: UInt32 = 0
    var pc = 0
    func load(_ offset: Int, size: UInt16) -> UInt32? {
      let width = size == BPFCode.word ? 4 : size == BPFCode.half ? 2 : 1
      guard offset >= 0, offset <= packet.count - width else { return nil }
      return (0..<width).reduce(UInt32(0)) { $0 << 8 | UInt32(packet[offset + $1]) }
    }
    while pc < instructions.count {
      let instruction = instructions[pc]
      let code = instruction.code, k = instruction.k
      pc += 1
      switch code & 0x07 {
      case BPFCode.load:
        let size = code & 0x18
        switch code & 0xe0 {
        case BPFCode.immediate: a = k
        case BPFCode.length: a = UInt32(packet.count)
        case BPFCode.absolute:
          if k == BPFCode.ancillaryBase + BPFCode.ancillaryProtocol {
            a = UInt32(etherType)
          } else if k == BPFCode.ancillaryBase + BPFCode.ancillaryPacketType {
            a = UInt32(packetType)
          } else if k == BPFCode.ancillaryBase + BPFCode.ancillaryHardwareType {
            a = UInt32(hardwareType)
          } else {
            guard let value = load(Int(k), size: size) else { return 0 }
            a = value
          }
        case BPFCode.indirect:
          guard let value = load(Int(x) + Int(k), size: size) else { return 0 }
          a = value
        default: return 0
        }
      case BPFCode.loadIndex:
        switch code & 0xe0 {
        case BPFCode.immediate: x = k
        case BPFCode.ipHeaderLength:
          guard let value = load(Int(k), size: BPFCode.byte) else { return 0 }
          x = (value & 0x0f) * 4
        default: return 0
        }
      case BPFCode.alu:
        guard code & 0xf0 == BPFCode.and else { return 0 }
        a &= code & BPFCode.indexRegister != 0 ? x : k
      case BPFCode.jump:
        let operand = code & BPFCode.indexRegister != 0 ? x : k
        let taken: Bool
        switch code & 0xf0 {
        case BPFCode.always:
          pc += Int(k)
          continue
        case BPFCode.equal: taken = a == operand
        case BPFCode.greater: taken = a > operand
        case BPFCode.greaterOrEqual: taken = a >= operand
        case BPFCode.bitsSet: taken = a & operand != 0
        default: return 0
        }
        pc += Int(taken ? instruction.jumpTrue : instruction.jumpFalse)
      case BPFCode.ret:
        return code & BPFCode.accumulator != 0 ? a : k
      case BPFCode.misc:
        if code & 0xf8 == BPFCode.txa { a = x } else { x = a }
      default:
        return 0
      }
    }
    return 0
  }
}

/// Why a program could not be assembled.
public enum BPFAssemblyError: Error, Hashable, Sendable, CustomStringConvertible {
  case unknownLabel(String)
  case duplicateLabel(String)
  /// Classic BPF jumps only forward, at most 255 instructions.
  case jumpOutOfRange(from: Int, to: String)
  case empty
  case tooLong(Int)
  /// The last instruction must return, or the kernel refuses the program.
  case missingReturn

  public var description: String {
    switch self {
    case let .unknownLabel(name): return "BPF: no label \(name)"
    case let .duplicateLabel(name): return "BPF: label \(name) defined twice"
    case let .jumpOutOfRange(from, to): return "BPF: jump from instruction \(from) to \(to) is backwards or over 255 instructions"
    case .empty: return "BPF: empty program"
    case let .tooLong(count): return "BPF: \(count) instructions (the kernel allows \(BPFCode.maximumInstructions))"
    case .missingReturn: return "BPF: the last instruction does not return"
    }
  }
}

/// Builds a classic BPF program from named steps; jump targets are labels, resolved to offsets by `assemble()`.
///
/// ```
/// var asm = BPFAssembler()
/// asm.loadEtherType()
/// asm.jump(ifEqual: 0x0800, then: .next, else: "reject")
/// asm.accept(snapLength: 262_144)
/// asm.label("reject"); asm.reject()
/// let program = try asm.assemble()
/// ```
public struct BPFAssembler: Sendable {
  /// Where a jump goes: the next instruction, or a label.
  public enum Target: Hashable, Sendable, ExpressibleByStringLiteral {
    case next
    case label(String)
    public init(stringLiteral value: String) { self = .label(value) }
  }

  private enum Step: Sendable {
    case instruction(BPFInstruction)
    case conditional(code: UInt16, k: UInt32, then: Target, otherwise: Target)
    case label(String)
  }

  private var steps: [Step] = []

  public init() {}

  /// `ld [offset]`, `ldh [offset]` or `ldb [offset]`: bytes at a fixed offset from the network header.
  public mutating func load(_ size: UInt16, at offset: UInt32) {
    steps.append(.instruction(BPFInstruction(code: BPFCode.load | size | BPFCode.absolute, k: offset)))
  }

  /// `ldh [x + offset]` (or another size): bytes at an offset past the index register.
  public mutating func loadIndexed(_ size: UInt16, at offset: UInt32) {
    steps.append(.instruction(BPFInstruction(code: BPFCode.load | size | BPFCode.indirect, k: offset)))
  }

  /// `ld proto`: the frame's EtherType.
  public mutating func loadEtherType() {
    steps.append(.instruction(BPFInstruction(code: BPFCode.load | BPFCode.word | BPFCode.absolute,
                                             k: BPFCode.ancillaryBase + BPFCode.ancillaryProtocol)))
  }

  /// `ld type`: the frame's `pkt_type` (PACKET_OUTGOING 4 for a frame this host sent).
  public mutating func loadPacketType() {
    steps.append(.instruction(BPFInstruction(code: BPFCode.load | BPFCode.word | BPFCode.absolute,
                                             k: BPFCode.ancillaryBase + BPFCode.ancillaryPacketType)))
  }

  /// `ld hatype`: the device's ARPHRD type.
  public mutating func loadHardwareType() {
    steps.append(.instruction(BPFInstruction(code: BPFCode.load | BPFCode.word | BPFCode.absolute,
                                             k: BPFCode.ancillaryBase + BPFCode.ancillaryHardwareType)))
  }

  /// `ldx 4*([offset]&0xf)`: X becomes the IPv4 header length, so `loadIndexed` reads the transport header.
  public mutating func loadIPv4HeaderLengthIntoIndex(at offset: UInt32 = 0) {
    steps.append(.instruction(BPFInstruction(code: BPFCode.loadIndex | BPFCode.byte | BPFCode.ipHeaderLength, k: offset)))
  }

  public mutating func jump(ifEqual value: UInt32, then: Target, else otherwise: Target) {
    steps.append(.conditional(code: BPFCode.jump | BPFCode.equal | BPFCode.constant, k: value, then: then, otherwise: otherwise))
  }

  public mutating func jump(ifGreaterOrEqual value: UInt32, then: Target, else otherwise: Target) {
    steps.append(.conditional(code: BPFCode.jump | BPFCode.greaterOrEqual | BPFCode.constant, k: value, then: then, otherwise: otherwise))
  }

  public mutating func jump(ifAnySet mask: UInt32, then: Target, else otherwise: Target) {
    steps.append(.conditional(code: BPFCode.jump | BPFCode.bitsSet | BPFCode.constant, k: mask, then: then, otherwise: otherwise))
  }

  /// An unconditional jump.
  public mutating func jump(to target: Target) {
    steps.append(.conditional(code: BPFCode.jump | BPFCode.always, k: 0, then: target, otherwise: .next))
  }

  /// `ret #snapLength`: keep the packet, up to that many bytes.
  public mutating func accept(snapLength: UInt32) {
    steps.append(.instruction(BPFInstruction(code: BPFCode.ret | BPFCode.constant, k: snapLength)))
  }

  /// `ret #0`: drop the packet.
  public mutating func reject() {
    steps.append(.instruction(BPFInstruction(code: BPFCode.ret | BPFCode.constant, k: 0)))
  }

  /// Names the next instruction.
  public mutating func label(_ name: String) { steps.append(.label(name)) }

  /// Resolves labels to forward offsets and checks what the kernel's verifier checks for classic programs.
  public func assemble() throws(BPFAssemblyError) -> BPFProgram {
    var positions: [String: Int] = [:]
    var count = 0
    for step in steps {
      switch step {
      case let .label(name):
        guard positions[name] == nil else { throw .duplicateLabel(name) }
        positions[name] = count
      case .instruction, .conditional:
        count += 1
      }
    }
    func offset(from index: Int, to target: Target) throws(BPFAssemblyError) -> Int {
      guard case let .label(name) = target else { return 0 }
      guard let position = positions[name] else { throw .unknownLabel(name) }
      let distance = position - index - 1
      guard distance >= 0 else { throw .jumpOutOfRange(from: index, to: name) }
      return distance
    }
    var instructions: [BPFInstruction] = []
    for step in steps {
      switch step {
      case .label:
        continue
      case let .instruction(instruction):
        instructions.append(instruction)
      case let .conditional(code, k, then, otherwise):
        let index = instructions.count
        let whenTrue = try offset(from: index, to: then), whenFalse = try offset(from: index, to: otherwise)
        if code & 0xf0 == BPFCode.always {
          instructions.append(BPFInstruction(code: code, k: UInt32(whenTrue)))
          continue
        }
        guard whenTrue <= 255 else { throw .jumpOutOfRange(from: index, to: "\(then)") }
        guard whenFalse <= 255 else { throw .jumpOutOfRange(from: index, to: "\(otherwise)") }
        instructions.append(BPFInstruction(code: code, jumpTrue: UInt8(whenTrue), jumpFalse: UInt8(whenFalse), k: k))
      }
    }
    guard !instructions.isEmpty else { throw .empty }
    guard instructions.count <= BPFCode.maximumInstructions else { throw .tooLong(instructions.count) }
    guard instructions[instructions.count - 1].code & 0x07 == BPFCode.ret else { throw .missingReturn }
    return BPFProgram(instructions: instructions)
  }
}
