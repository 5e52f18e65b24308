import Checkpoint

/// One tensor of a PyTorch library's state dict and how it is made from canonical tensors:
/// each part is a canonical tensor viewed in another shape (merging axes, such as attention
/// heads), its axes permuted (Dense `(in, out)` → Linear `(out, in)`, Conv HWIO → OIHW), and the
/// parts stacked along the first axis (timm's fused `qkv`). A tensor with no part belongs to an
/// identity layer the library's model has and the original has not: an identity matrix (a
/// weight) or zeros (a bias).
struct LibraryTensor: Equatable {
  /// A canonical tensor's contribution.
  struct Part: Equatable {
    /// Canonical name.
    var canonical: String
    /// The canonical tensor's shape, regrouped (same element order).
    var view: [Int]
    /// Output axis `i` is view axis `permutation[i]`.
    var permutation: [Int]

    /// An attention kernel, `(D, h, d)` (query, key, value) or `(h, d, D)` (output), as a
    /// `(D, D)` Linear weight: its head axes merged (head-major), then transposed.
    static func attentionKernel(_ canonical: String, width: Int) -> Part {
      Part(canonical: canonical, view: [width, width], permutation: [1, 0])
    }

    /// A tensor flattened: an attention bias `(h, d)` as `(D,)`.
    static func flattened(_ canonical: String, count: Int) -> Part {
      Part(canonical: canonical, view: [count], permutation: [0])
    }

    /// The part's shape in the library tensor.
    var shape: [Int] { permutation.map { view[$0] } }

    /// The part's bytes in the library layout, from the canonical tensor's bytes.
    func libraryBytes(_ canonical: UnsafeRawBufferPointer, itemSize: Int) -> [UInt8] {
      AxisOrder.permuted(canonical, shape: view, permutation: permutation, itemSize: itemSize)
    }

    /// The canonical tensor's bytes, from the part's bytes in the library tensor.
    func canonicalBytes(_ library: UnsafeRawBufferPointer, itemSize: Int) -> [UInt8] {
      var inverse = permutation
      for (axis, source) in permutation.enumerated() { inverse[source] = axis }
      return AxisOrder.permuted(library, shape: shape, permutation: inverse, itemSize: itemSize)
    }
  }

  /// The library's name (`blocks.0.attn.qkv.weight`).
  var name: String
  var shape: [Int]
  /// The canonical tensors stacked along axis 0; empty for an identity layer's parameter.
  var parts: [Part]

  /// A canonical tensor copied as it is.
  static func copy(_ name: String, _ canonical: String, _ shape: [Int]) -> LibraryTensor {
    LibraryTensor(
      name: name, shape: shape, parts: [Part(canonical: canonical, view: shape, permutation: Array(shape.indices))])
  }

  /// A Dense kernel `(in, out)` as a Linear weight `(out, in)`.
  static func linear(_ name: String, _ canonical: String, _ shape: [Int]) -> LibraryTensor {
    stacked(name, [Part(canonical: canonical, view: shape, permutation: [1, 0])])
  }

  /// A convolution kernel HWIO as OIHW.
  static func conv(_ name: String, _ canonical: String, _ shape: [Int]) -> LibraryTensor {
    stacked(name, [Part(canonical: canonical, view: shape, permutation: [3, 2, 0, 1])])
  }

  /// Parts stacked along the first axis.
  static func stacked(_ name: String, _ parts: [Part]) -> LibraryTensor {
    let first = parts[0].shape
    return LibraryTensor(name: name, shape: [parts.reduce(0) { $0 + $1.shape[0] }] + first.dropFirst(), parts: parts)
  }

  /// An identity layer's parameter: an `n × n` identity weight, or a bias of `n` zeros.
  static func identity(_ name: String, _ shape: [Int]) -> LibraryTensor {
    precondition(
      shape.count == 1 || (shape.count == 2 && shape[0] == shape[1]), "\(name): an identity layer has no \(shape)")
    return LibraryTensor(name: name, shape: shape, parts: [])
  }

  /// The identity layer parameter's values in `dtype`.
  func identityBytes(_ dtype: DType) -> [UInt8] {
    precondition(parts.isEmpty, "\(name) is made of canonical tensors")
    var values = [Float](repeating: 0, count: shape.reduce(1, *))
    if shape.count == 2 { for i in 0..<shape[0] { values[i * shape[0] + i] = 1 } }
    var bytes = [UInt8](repeating: 0, count: values.count * dtype.itemSize)
    bytes.withUnsafeMutableBytes { out in
      values.withUnsafeBufferPointer {
        _ = ElementConversion.encode($0.baseAddress!, count: values.count, as: dtype, into: out.baseAddress!)
      }
    }
    return bytes
  }
}
