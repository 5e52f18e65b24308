import Foundation
import Testing

@testable import Kernels

@Suite struct GemmTests {
  /// Sizes that are multiples of no tile, cross the K, M and N blocks, and degenerate ones.
  static let shapes: [(Int, Int, Int)] = [
    (1, 1, 1), (1, 7, 1), (7, 1, 3), (2, 3, 1), (13, 17, 19), (14, 32, 256), (15, 33, 257), (97, 101, 103),
    (170, 40, 300), (5, 3100, 9), (196, 64, 768), (3, 5, 600),
    // Last cache blocks just over and just under half a block (AVX-512 blocking: mc 192, kc and
    // nc 384; the AVX2 and portable ones: kc 256), which join the one before.
    (290, 577, 577), (280, 575, 575), (290, 390, 390), (280, 380, 380),
    // Last panels of B a quarter or an eighth of a tile wide or less on every CPU level (196 and
    // 197 tokens, 1000 classes), over short and full row panels.
    (29, 196, 40), (25, 197, 33), (13, 1000, 20), (30, 66, 17), (7, 34, 9),
  ]

  @Test(arguments: computes)
  func matchesNaiveDoubleProductForEveryShapeAndOrientation(compute: Compute) {
    var random = Random(1)
    for (m, n, k) in Self.shapes {
      let a = random.tensor([m, k])
      let b = random.tensor([k, n])
      let expected = naiveMatmul(a.scalars, b.scalars, m: m, n: n, k: k)
      let tolerance = 2e-7 * Double(k) + 1e-6
      #expect(maxDifference(compute.matmul(a, b).scalars, expected) < tolerance, "\(compute.path) \(m)×\(n)×\(k)")
      // The same product with each operand given as a transposed view of its transpose.
      let at = compute.transpose(a, 0, 1)
      let bt = compute.transpose(b, 0, 1)
      #expect(maxDifference(compute.matmul(at, b, transposeA: true).scalars, expected) < tolerance)
      #expect(maxDifference(compute.matmul(a, bt, transposeB: true).scalars, expected) < tolerance)
      #expect(maxDifference(compute.matmul(at, bt, transposeA: true, transposeB: true).scalars, expected) < tolerance)
    }
  }

  @Test(arguments: computes)
  func accumulatesIntoASubBlockWithoutTouchingTheRest(compute: Compute) {
    var random = Random(2)
    let (m, n, k, ldc) = (29, 45, 70, 53)
    let a = random.tensor([m, k])
    let b = random.tensor([k, n])
    var c = random.tensor([m + 1, ldc])
    let before = c.scalars
    c.scalars.withUnsafeMutableBufferPointer { pc in
      a.scalars.withUnsafeBufferPointer { pa in
        b.scalars.withUnsafeBufferPointer { pb in
          compute.gemm(
            MatrixView(rowMajor: pa.baseAddress!, rows: m, columns: k),
            MatrixView(rowMajor: pb.baseAddress!, rows: k, columns: n),
            into: MutableMatrixView(pc.baseAddress! + 3, rows: m, columns: n, rowStride: ldc), accumulate: true)
        }
      }
    }
    let product = naiveMatmul(a.scalars, b.scalars, m: m, n: n, k: k)
    for i in 0..<(m + 1) {
      for j in 0..<ldc {
        let inBlock = i < m && j >= 3 && j < 3 + n
        let expected = Double(before[i * ldc + j]) + (inBlock ? product[i * n + j - 3] : 0)
        #expect(abs(Double(c.scalars[i * ldc + j]) - expected) < 3e-5, "(\(i), \(j))")
      }
    }
  }

  /// A product of many rows whose B is wider than a packed block of columns packs B whole first
  /// (the threads packing blocks of it) and runs as a pre-packed product: every value has the
  /// bits of the same columns multiplied in slices narrow enough to pack B a block at a time,
  /// with bias and GELU, over several `kc` slices, into a strided C (overwritten or added to),
  /// for row-major operands and transposed views of them, on one to three threads.
  @Test(arguments: KernelPath.allCases.filter(\.isSupported))
  func wideProductHasTheBitsOfNarrowSlices(path: KernelPath) {
    var random = Random(25)
    let (n, k, ldc) = (1000, 700, 1003)
    let m = 4 * Compute(path: path, threads: 1).table.blockRows + 5
    let a = random.tensor([m, k])
    let b = random.tensor([k, n])
    let at = Tensor(shape: [k, m], scalars: (0..<(k * m)).map { a.scalars[($0 % m) * k + $0 / m] })
    let bt = Tensor(shape: [n, k], scalars: (0..<(n * k)).map { b.scalars[($0 % k) * n + $0 / k] })
    let bias = random.tensor([n])
    let start = random.tensor([m, ldc])
    let narrow = stride(from: 0, to: n, by: 200).map { $0..<min($0 + 200, n) }
    for threads in [1, 2, 3] {
      let compute = Compute(path: path, threads: threads)
      #expect(compute.packsWholeB(m, n, k) && !compute.packsWholeB(m, 200, k))
      for (transposedA, transposedB, accumulate) in [
        (false, false, true), (true, false, false), (false, true, false), (true, true, true),
      ] {
        /// `start` with the product over `slices` (each a range of B's columns) put or added at column 2.
        func product(_ slices: [Range<Int>]) -> [Float] {
          var c = start
          c.scalars.withUnsafeMutableBufferPointer { pc in
            (transposedA ? at : a).scalars.withUnsafeBufferPointer { pa in
              (transposedB ? bt : b).scalars.withUnsafeBufferPointer { pb in
                bias.scalars.withUnsafeBufferPointer { pbias in
                  for slice in slices {
                    let (aRow, aColumn) = transposedA ? (1, m) : (k, 1)
                    let (bRow, bColumn) = transposedB ? (1, k) : (n, 1)
                    compute.gemm(
                      MatrixView(pa.baseAddress!, rows: m, columns: k, rowStride: aRow, columnStride: aColumn),
                      MatrixView(
                        pb.baseAddress! + slice.lowerBound * bColumn, rows: k, columns: slice.count, rowStride: bRow,
                        columnStride: bColumn),
                      into: MutableMatrixView(
                        pc.baseAddress! + 2 + slice.lowerBound, rows: m, columns: slice.count, rowStride: ldc),
                      accumulate: accumulate, bias: pbias.baseAddress! + slice.lowerBound, gelu: true)
                  }
                }
              }
            }
          }
          return c.scalars
        }
        let differing = zip(product([0..<n]), product(narrow)).filter { $0.bitPattern != $1.bitPattern }.count
        #expect(
          differing == 0,
          "\(path), \(threads) threads, transposed A \(transposedA), B \(transposedB): \(differing) values differ")
      }
    }
  }

  @Test(arguments: computes)
  func zeroDepthProductClearsOrKeeps(compute: Compute) {
    let a = Tensor(shape: [3, 0], scalars: [])
    let b = Tensor(shape: [0, 4], scalars: [])
    #expect(compute.matmul(a, b).scalars == [Float](repeating: 0, count: 12))
  }

  @Test(arguments: computes)
  func denseAddsTheBias(compute: Compute) {
    var random = Random(3)
    let x = random.tensor([2, 5, 7])
    let kernel = random.tensor([7, 11])
    let bias = random.tensor([11])
    let y = compute.dense(x, kernel: kernel, bias: bias)
    #expect(y.shape == [2, 5, 11])
    var expected = naiveMatmul(x.scalars, kernel.scalars, m: 10, n: 11, k: 7)
    for i in expected.indices { expected[i] += Double(bias.scalars[i % 11]) }
    #expect(maxDifference(y.scalars, expected) < 1e-5)
  }

  @Test func fmaPeakLoopRuns() {
    for compute in computes {
      let (madds, value) = compute.measureFMAPeak(iterations: 1000)
      let lanes = compute.path == .avx512 ? 16 : compute.path == .avx2 ? 8 : 4
      #expect(madds == 1000 * 12 * lanes)
      // Every chain ran every iteration: chain i starts at i/1000 and steps a ← a·0.999999 + 1e-7,
      // fused where the path has FMA (each lane of a chain the same).
      var expected = 0.0
      for chain in 0..<12 {
        var a = Float(Double(chain) / 1000)
        for _ in 0..<1000 {
          a = compute.path == .portable ? a * 0.999_999 + 1e-7 : Float(1e-7).addingProduct(a, 0.999_999)
        }
        expected += Double(a) * Double(lanes)
      }
      #expect(abs(Double(value) - expected) < 1e-6 * expected)
    }
  }

  @Test func selectedPathIsTheFastestSupported() {
    #expect(KernelPath.selected.isSupported)
    if KernelPath.avx512.isSupported { #expect(KernelPath.selected == .avx512) }
  }
}

@Suite struct PackedGemmTests {
  static func gelu(_ x: Double) -> Double {
    0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
  }

  /// Shapes with one and several packed column blocks, edge tiles in M and N, K beyond one
  /// slice, and enough rows (800) that two threads split the rows instead of the columns.
  static let shapes: [(Int, Int, Int)] = [
    (1, 1, 1), (13, 17, 19), (196, 3072, 768), (37, 1000, 400), (300, 65, 513),
    (2, 1600, 3), (800, 70, 40),
  ]

  @Test(arguments: computes)
  func prepackedProductWithEpilogueMatchesNaive(compute: Compute) {
    var random = Random(21)
    for (m, n, k) in Self.shapes {
      let a = random.tensor([m, k])
      let b = random.tensor([k, n])
      let bias = random.tensor([n])
      let start = random.tensor([m, n])
      let packed = compute.pack(b)
      let product = naiveMatmul(a.scalars, b.scalars, m: m, n: n, k: k)
      let tolerance = 2e-7 * Double(k) + 1e-6
      for (accumulate, gelu) in [(false, false), (false, true), (true, false)] {
        var c = start
        c.scalars.withUnsafeMutableBufferPointer { pc in
          a.scalars.withUnsafeBufferPointer { pa in
            bias.scalars.withUnsafeBufferPointer { pb in
              compute.gemm(
                MatrixView(rowMajor: pa.baseAddress!, rows: m, columns: k), packed,
                into: MutableMatrixView(pc.baseAddress!, rows: m, columns: n), accumulate: accumulate,
                bias: pb.baseAddress, gelu: gelu)
            }
          }
        }
        var expected = product
        for i in 0..<(m * n) {
          expected[i] += Double(bias.scalars[i % n]) + (accumulate ? Double(start.scalars[i]) : 0)
          if gelu { expected[i] = Self.gelu(expected[i]) }
        }
        #expect(
          maxDifference(c.scalars, expected) < tolerance,
          "\(compute.path) \(m)×\(n)×\(k) acc \(accumulate) gelu \(gelu)")
      }
    }
  }

  /// The sweeps of a pre-packed product (each prefetching the panel of the one after it) read
  /// every packed float of their columns once per block of A's rows and nothing else: over the
  /// whole width, and over a thread's range of columns that starts and ends inside blocks.
  @Test(arguments: KernelPath.allCases.filter(\.isSupported))
  func prepackedSweepsReadEachPanelOncePerBlockOfRows(path: KernelPath) {
    let table = path.table
    let nr = table.tile.columns
    for (m, k, n) in [(196, 768, 3072), (3 * table.blockRows, 1000, 700), (5, 3, 40), (197, 400, 1000)] {
      var rowBlocks = 0
      var rowsLeft = m
      while rowsLeft > 0 {
        rowsLeft -= rowsLeft < table.blockRows * 3 / 2 ? rowsLeft : table.blockRows
        rowBlocks += 1
      }
      for columns in [0..<n, nr..<(n - 3)] {
        var reads = [Int](repeating: 0, count: table.packedCount(k, n))
        table.prepackedPanels(m, k, columns.lowerBound, columns.upperBound, n) { first, end in
          #expect(first >= 0 && first <= end && end <= reads.count, "\(path) panel \(first)..<\(end)")
          guard first >= 0, first <= end, end <= reads.count else { return }
          for float in first..<end { reads[float] += 1 }
        }
        let read = reads.filter { $0 > 0 }
        #expect(read.allSatisfy { $0 == rowBlocks }, "\(path) \(m)×\(k)×\(n) over \(columns)")
        #expect(read.count == k * ((columns.count + nr - 1) / nr * nr), "\(path) \(m)×\(k)×\(n) over \(columns)")
      }
    }
  }

  /// The bias and GELU fused into the product's last slice (each tile's, full or at an edge, in
  /// one pass) give the bits of the product followed by the separate bias and GELU steps: the
  /// same float operations on every value, in the same order.
  @Test(arguments: computes)
  func fusedEpilogueHasTheBitsOfTheSeparateSteps(compute: Compute) {
    var random = Random(24)
    for (m, n, k) in [(196, 3072, 768), (37, 1000, 400), (13, 17, 19), (300, 65, 513)] {
      let a = random.tensor([m, k])
      let packed = compute.pack(random.tensor([k, n]))
      let bias = random.tensor([n])
      let fused = compute.dense(a, packed: packed, bias: bias, gelu: true)
      let separate = compute.gelu(compute.addBias(compute.dense(a, packed: packed, bias: nil), bias))
      let differing = zip(fused.scalars, separate.scalars).filter { $0.bitPattern != $1.bitPattern }.count
      #expect(differing == 0, "\(compute.path) \(m)×\(n)×\(k): \(differing) values differ")
    }
  }

  /// Two and three threads split a tall product by rows and a short one by columns (with A
  /// packed once for all the column parts, by the threads together), several parts per thread;
  /// either way every value has the bits of the one-thread product, for a row-major A and a
  /// transposed view of one, over one `kc` slice and several.
  @Test(arguments: KernelPath.allCases.filter(\.isSupported))
  func threadSplitDoesNotChangeBits(path: KernelPath) {
    var random = Random(23)
    for m in [196, 800] {
      for k in [130, 600] {
        let n = 300
        let a = random.tensor([m, k])
        let b = random.tensor([k, n])
        let bias = random.tensor([n])
        let results = [1, 2, 3].map { threads in
          let compute = Compute(path: path, threads: threads)
          return compute.dense(a, packed: compute.pack(b), bias: bias, gelu: true).scalars
        }
        #expect(results[0] == results[1] && results[0] == results[2], "\(path) \(m)×\(n)×\(k)")
        let transposed = Tensor(shape: [k, m], scalars: (0..<(k * m)).map { a.scalars[($0 % m) * k + $0 / m] })
        let viaView = [1, 2, 3].map { threads in
          let compute = Compute(path: path, threads: threads)
          let packed = compute.pack(b)
          var out = Tensor(shape: [m, n])
          out.scalars.withUnsafeMutableBufferPointer { po in
            transposed.scalars.withUnsafeBufferPointer { pt in
              bias.scalars.withUnsafeBufferPointer { pb in
                compute.gemm(
                  MatrixView(pt.baseAddress!, rows: m, columns: k, rowStride: 1, columnStride: m), packed,
                  into: MutableMatrixView(po.baseAddress!, rows: m, columns: n), bias: pb.baseAddress, gelu: true)
              }
            }
          }
          return out.scalars
        }
        #expect(
          viaView[0] == results[0] && viaView[1] == results[0] && viaView[2] == results[0], "\(path) transposed A")
      }
    }
  }

  @Test(arguments: KernelPath.allCases.filter(\.isSupported))
  func aRangeOfPackedColumnsGivesTheWholeProductsValues(path: KernelPath) {
    var random = Random(24)
    // Narrow products, and wide ones whose ranges start past a block of columns and sum over
    // several depth slices (ViT-B/16's keys and values: columns 768 on of 2304, depth 768).
    for (m, k, panels, threads) in [
      (197, 96, 3, 1), (1, 96, 3, 1), (600, 70, 3, 2), (2, 300, 3, 2), (200, 800, 31, 1), (30, 800, 31, 2),
    ] {
      let compute = Compute(path: path, threads: threads)
      let width = panels * compute.columnAlignment + 5
      let b = random.tensor([k, width])
      let a = random.tensor([m, k])
      let bias = random.tensor([width])
      let packed = compute.pack(b)
      let whole = compute.dense(a, packed: packed, bias: bias, gelu: true).scalars
      for start in [0, compute.columnAlignment, 3 * compute.columnAlignment, 24 * compute.columnAlignment]
      where start < width {
        for end in [start + 1, start + compute.columnAlignment, width] where end <= width {
          // Written into the middle of a wider buffer: the untouched columns stay NaN.
          var out = [Float](repeating: .nan, count: m * (width + 2))
          out.withUnsafeMutableBufferPointer { po in
            a.scalars.withUnsafeBufferPointer { pa in
              bias.scalars.withUnsafeBufferPointer { pb in
                compute.gemm(
                  MatrixView(rowMajor: pa.baseAddress!, rows: m, columns: k), packed, columns: start..<end,
                  into: MutableMatrixView(po.baseAddress! + 1, rows: m, columns: end - start, rowStride: width + 2),
                  bias: pb.baseAddress! + start, gelu: true)
              }
            }
          }
          for i in 0..<m {
            let row = out[(i * (width + 2))..<((i + 1) * (width + 2))]
            let written = Array(row.dropFirst().prefix(end - start))
            #expect(
              written == Array(whole[(i * width + start)..<(i * width + end)]),
              "\(path) \(m)×\(k) row \(i), columns \(start)..<\(end)")
            #expect(
              row.first!.isNaN && row.dropFirst(1 + end - start).allSatisfy(\.isNaN),
              "\(path) wrote outside its columns")
          }
        }
      }
    }
  }

  @Test(arguments: computes)
  func transposedActivationsTimesPackedWeights(compute: Compute) {
    // The executor's token mixing: A is a transposed view of activations (row stride 1).
    var random = Random(22)
    let (s, d, hidden) = (49, 70, 30)
    let x = random.tensor([s, d])
    let w = random.tensor([s, hidden])
    let packed = compute.pack(w)
    var out = Tensor(shape: [d, hidden])
    out.scalars.withUnsafeMutableBufferPointer { po in
      x.scalars.withUnsafeBufferPointer { px in
        compute.gemm(
          MatrixView(px.baseAddress!, rows: d, columns: s, rowStride: 1, columnStride: d), packed,
          into: MutableMatrixView(po.baseAddress!, rows: d, columns: hidden))
      }
    }
    let expected = naiveMatmul(compute.transpose(x, 0, 1).scalars, w.scalars, m: d, n: hidden, k: s)
    #expect(maxDifference(out.scalars, expected) < 1e-5)
  }
}
