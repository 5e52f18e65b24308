// Shared backend source (see Gemm.swift). Row-wise reductions: LayerNorm and softmax.

/// Sum of `count` floats with `Vec`-wide partial sums.
@inline(__always)
func vsum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
  let raw = UnsafeRawPointer(x)
  var acc0 = Vec(repeating: 0)
  var acc1 = Vec(repeating: 0)
  var i = 0
  while i + 2 * Vec.scalarCount <= count {
    acc0 += raw.loadUnaligned(fromByteOffset: 4 * i, as: Vec.self)
    acc1 += raw.loadUnaligned(fromByteOffset: 4 * (i + Vec.scalarCount), as: Vec.self)
    i += 2 * Vec.scalarCount
  }
  var total = horizontalSum(acc0 + acc1)
  while i < count {
    total += x[i]
    i += 1
  }
  return total
}

/// LayerNorm of each of `rows` rows of `cols` floats: `(x − mean)/√(var + ε)·scale + bias`,
/// with the biased variance. Stable for large means: values are shifted by the row's first
/// element (exact, the values being close), so both the mean and the centred values are
/// computed from small numbers, and the variance is a second pass over centred values.
/// `input` and `output` may be the same buffer.
@inline(__always)
func layerNormRows(
  _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, _ rows: Int, _ cols: Int,
  _ scale: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ epsilon: Float
) {
  for row in 0..<rows {
    let x = input + row * cols
    let y = output + row * cols
    let rawX = UnsafeRawPointer(x)
    let shift = x[0]
    let shiftVec = Vec(repeating: shift)
    var acc0 = Vec(repeating: 0)
    var acc1 = Vec(repeating: 0)
    var i = 0
    while i + 2 * Vec.scalarCount <= cols {
      acc0 += rawX.loadUnaligned(fromByteOffset: 4 * i, as: Vec.self) - shiftVec
      acc1 += rawX.loadUnaligned(fromByteOffset: 4 * (i + Vec.scalarCount), as: Vec.self) - shiftVec
      i += 2 * Vec.scalarCount
    }
    var sum = horizontalSum(acc0 + acc1)
    while i < cols {
      sum += x[i] - shift
      i += 1
    }
    // mean = shift + offset; centred values are (x − shift) − offset.
    let offset = sum / Float(cols)
    let offsetVec = Vec(repeating: offset)
    var acc = Vec(repeating: 0)
    i = 0
    // Multiply, then add (not `madd`), like the scalar tails: a column's result does not depend
    // on whether it falls in a vector or the tail.
    while i + Vec.scalarCount <= cols {
      let d = (rawX.loadUnaligned(fromByteOffset: 4 * i, as: Vec.self) - shiftVec) - offsetVec
      acc = d * d + acc
      i += Vec.scalarCount
    }
    var squares = horizontalSum(acc)
    while i < cols {
      let d = (x[i] - shift) - offset
      squares += d * d
      i += 1
    }
    let inverse = 1 / (squares / Float(cols) + epsilon).squareRoot()
    let invVec = Vec(repeating: inverse)
    let rawY = UnsafeMutableRawPointer(y)
    let rawScale = UnsafeRawPointer(scale)
    let rawBias = UnsafeRawPointer(bias)
    i = 0
    while i + Vec.scalarCount <= cols {
      let d = ((rawX.loadUnaligned(fromByteOffset: 4 * i, as: Vec.self) - shiftVec) - offsetVec) * invVec
      let s = rawScale.loadUnaligned(fromByteOffset: 4 * i, as: Vec.self)
      let b = rawBias.loadUnaligned(fromByteOffset: 4 * i, as: Vec.self)
      rawY.storeBytes(of: d * s + b, toByteOffset: 4 * i, as: Vec.self)
      i += Vec.scalarCount
    }
    while i < cols {
      y[i] = ((x[i] - shift) - offset) * inverse * scale[i] + bias[i]
      i += 1
    }
  }
}

/// The largest of `count` floats (−∞ for none), with `Vec`-wide running maxima.
@inline(__always)
func vmaximum(_ x: UnsafePointer<Float>, _ count: Int) -> Float {
  let raw = UnsafeRawPointer(x)
  var best = Vec(repeating: -.infinity)
  var i = 0
  while i + Vec.scalarCount <= count {
    let v = raw.loadUnaligned(fromByteOffset: 4 * i, as: Vec.self)
    best = best.replacing(with: v, where: v .> best)
    i += Vec.scalarCount
  }
  var maximum = -Float.infinity
  for lane in 0..<Vec.scalarCount { maximum = max(maximum, best[lane]) }
  while i < count {
    maximum = max(maximum, x[i])
    i += 1
  }
  return maximum
}

/// Softmax of each row in place, with the row maximum subtracted first.
@inline(__always)
func softmaxRows(_ x: UnsafeMutablePointer<Float>, _ rows: Int, _ cols: Int) {
  for row in 0..<rows {
    let r = x + row * cols
    let maximum = vmaximum(r, cols)
    let shift = Vec(repeating: maximum)
    mapInPlace(r, cols) { vexp($0 - shift) }
    let inverse = 1 / vsum(r, cols)
    mapInPlace(r, cols) { $0 * Vec(repeating: inverse) }
  }
}
