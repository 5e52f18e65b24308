import Dispatch

/// Seeded, reproducible values for synthetic checkpoints.
///
/// Each element is a function of the seed, the parameter path and the element index only, so
/// tensors can be filled in any order and in parallel with identical results. Values follow
/// the scheme of the shared fixtures, with `n` a unit-variance, roughly normal draw:
/// scale `1 + 0.2·n`, bias `0.1·n`, kernel `clip(1/√fan_in, 0.02, 0.5)·n`, embeddings `0.2·n`.
/// That keeps activations O(1) through every layer, so forward passes of synthetic models
/// produce meaningful, non-degenerate logits.
///
/// `n` is the sum of four independent 16-bit uniforms, centred and scaled to unit variance
/// (Irwin–Hall with four terms): bell-shaped, bounded by ±3.46, and cheap enough to fill a
/// 600-million-parameter model in about a second.
public struct SyntheticValues: Sendable {
  /// The seed every value derives from.
  public let seed: UInt64

  public init(seed: UInt64) { self.seed = seed }

  /// Fills `destination` with the values of `spec`.
  public func fill(_ spec: ParamSpec, into destination: UnsafeMutableBufferPointer<Float>) {
    precondition(destination.count == spec.elementCount)
    let key = Self.mix(seed ^ Self.fingerprint(spec.path))
    let (offset, scale) = Self.affine(for: spec.role)
    let count = destination.count
    let chunk = 1 << 16
    let chunks = (count + chunk - 1) / chunk
    let base = UnsafeSendablePointer(destination.baseAddress)
    DispatchQueue.concurrentPerform(iterations: max(chunks, 1)) { c in
      guard let out = base.pointer else { return }
      for i in (c * chunk)..<min(count, (c + 1) * chunk) {
        out[i] = offset + scale * Self.normal(key, i)
      }
    }
  }

  /// The values of `spec` as a new array.
  public func values(_ spec: ParamSpec) -> [Float] {
    [Float](unsafeUninitializedCapacity: spec.elementCount) { buffer, initialized in
      fill(spec, into: buffer)
      initialized = spec.elementCount
    }
  }

  private static func affine(for role: ParamRole) -> (offset: Float, scale: Float) {
    switch role {
    case .scale: (1, 0.2)
    case .bias: (0, 0.1)
    case .embedding: (0, 0.2)
    case .kernel(let fanIn): (0, min(max(1 / Float(fanIn).squareRoot(), 0.02), 0.5))
    }
  }

  @inline(__always)
  private static func normal(_ key: UInt64, _ index: Int) -> Float {
    let bits = mix(key &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
    let sum = (bits & 0xFFFF) + (bits >> 16 & 0xFFFF) + (bits >> 32 & 0xFFFF) + (bits >> 48)
    // The sum of four uniforms on [0, 1) has mean 2 and variance 1/3.
    return (Float(sum) * (1 / 65536) - 2) * 1.732_050_8
  }

  /// The SplitMix64 finaliser: a bijective mix with full avalanche.
  @inline(__always)
  static func mix(_ x: UInt64) -> UInt64 {
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// FNV-1a over the path, so each parameter gets its own stream.
  private static func fingerprint(_ path: String) -> UInt64 {
    var hash: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in path.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
    return hash
  }
}

/// A pointer handed to concurrent workers that write disjoint ranges.
struct UnsafeSendablePointer: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Float>?
  init(_ pointer: UnsafeMutablePointer<Float>?) { self.pointer = pointer }
}

extension SyntheticValues {
  /// Reproducible inputs uniform in [-1, 1) (the range of the original models' inputs), as
  /// `verify` feeds them.
  public func uniformInput(count: Int) -> [Float] {
    let key = Self.mix(seed ^ 0x5EED_1A7E_D1A6_0000)
    return (0..<count).map { i in
      let bits = Self.mix(key &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15)
      return Float(bits >> 40) * (2 / Float(1 << 24)) - 1
    }
  }
}
