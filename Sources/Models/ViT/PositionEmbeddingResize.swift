import Graph
import Kernels

/// Resizes a ViT position embedding to another patch grid exactly as the original repository's
/// `interpolate_posembed` does: the class-token row (classifier `token` only) is kept apart; the
/// remaining rows, a square `from × from` grid in row-major order, are resampled to `to × to`
/// with separable linear interpolation whose corners are aligned (`scipy.ndimage.zoom` with
/// `order=1`: output index `j` samples input coordinate `j·(from − 1)/(to − 1)`), computed in
/// double precision and stored as float32; the class row is put back in front.
public struct PositionEmbeddingResize: Sendable, Equatable {
  /// Side of the stored patch grid.
  public let from: Int
  /// Side of the new patch grid.
  public let to: Int
  /// Whether row 0 is the class token's and is kept unchanged.
  public let classToken: Bool

  public init(from: Int, to: Int, classToken: Bool) {
    self.from = from
    self.to = to
    self.classToken = classToken
  }

  /// How graph.json records it.
  public var record: WeightTransform {
    WeightTransform(
      kind: "resize_position_embedding", fromGrid: from, toGrid: to, classTokenRow: classToken,
      interpolation: "linear_aligned_corners", description: description)
  }

  /// In words.
  public var description: String {
    "position embedding resized from a \(from)×\(from) to a \(to)×\(to) patch grid by linear interpolation with "
      + "aligned corners (scipy.ndimage.zoom order=1, as vit_jax's interpolate_posembed)"
      + (classToken ? ", class-token row kept unchanged" : "")
  }

  /// The resized embedding, shape (1, to² + class row, D).
  public func apply(_ embedding: Tensor) -> Tensor {
    let d = embedding.shape[2]
    let extra = classToken ? 1 : 0
    precondition(
      embedding.shape == [1, from * from + extra, d], "resize: embedding \(embedding.shape) is not a \(from)² grid")
    let grid = embedding.scalars[(extra * d)...].map(Double.init)
    // Sample positions and weights along one axis.
    let taps: [(Int, Int, Double)] = (0..<to).map { j in
      let position = to > 1 ? Double(j) * Double(from - 1) / Double(to - 1) : 0
      let low = min(Int(position), from - 1)
      let high = min(low + 1, from - 1)
      return (low, high, position - Double(low))
    }
    var out = Array(embedding.scalars[0..<(extra * d)])
    out.reserveCapacity((to * to + extra) * d)
    for (y0, y1, wy) in taps {
      for (x0, x1, wx) in taps {
        for c in 0..<d {
          let top = grid[(y0 * from + x0) * d + c] * (1 - wx) + grid[(y0 * from + x1) * d + c] * wx
          let bottom = grid[(y1 * from + x0) * d + c] * (1 - wx) + grid[(y1 * from + x1) * d + c] * wx
          out.append(Float(top * (1 - wy) + bottom * wy))
        }
      }
    }
    return Tensor(shape: [1, to * to + extra, d], scalars: out)
  }
}
