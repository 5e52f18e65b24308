import ArgumentParser
import Conversion
import Parity

/// The inputs and tolerance of a parity check: `verify`, and `convert` with `--verify`.
struct ParityArguments: ParsableArguments {
  @Option(help: "Seed of the generated inputs (uniform in [-1, 1); default 0).")
  var seed: UInt64?

  @Option(help: "Batch size of the generated inputs (default 2).")
  var batch: Int?

  @Option(help: "Use this NHWC .npy (float or integer, converted to float32) as input instead.")
  var input: String?

  @Option(help: "Absolute tolerance (default 1e-5).")
  var atol: Double?

  @Option(help: "Tolerance relative to the largest |output| of the original (default 1e-5).")
  var rtol: Double?

  func validate() throws {
    if let batch, batch < 1 { throw ValidationError("--batch must be at least 1") }
    if input != nil, let flag = batch != nil ? "--batch" : seed != nil ? "--seed" : nil {
      throw ValidationError(
        "\(flag) describes generated inputs; it cannot be combined with --input, whose batch is its own")
    }
    for (flag, value) in [("--atol", atol), ("--rtol", rtol)] {
      if let value, !(value >= 0 && value.isFinite) {
        throw ValidationError("\(flag) must be a finite number, not negative (got \(value))")
      }
    }
  }

  /// The flags given, in the order of the help.
  var givenFlags: [String] {
    let given: [(flag: String, isSet: Bool)] = [
      ("--seed", seed != nil), ("--batch", batch != nil), ("--input", input != nil), ("--atol", atol != nil),
      ("--rtol", rtol != nil),
    ]
    return given.filter(\.isSet).map(\.flag)
  }

  /// Refuses these options where they would be ignored: a conversion without `--verify` runs
  /// no model.
  func refuseWithoutVerify(_ verify: Bool) throws {
    guard !verify, let flag = givenFlags.first else { return }
    throw ValidationError("\(flag) applies with --verify (converting runs no model)")
  }

  /// `request` with these inputs and tolerance, and `running`'s threads and checks.
  func request(_ request: VerificationRequest, running: ModelRunArguments) -> VerificationRequest {
    var request = request
    request.opening = running.opening
    request.threads = running.threads
    if let seed { request.seed = seed }
    if let batch { request.batch = batch }
    request.input = input
    if atol != nil || rtol != nil {
      request.tolerance = Tolerance(
        atol: atol ?? Verifier.defaultTolerance.atol, rtol: rtol ?? Verifier.defaultTolerance.rtol)
    }
    return request
  }

  /// The verification of `request`, made by ``request(_:running:)``; a given input outside the
  /// model's range is warned about on standard error.
  func verify(_ request: VerificationRequest) throws -> ParityReportOutput {
    let output = ParityReportOutput(try Verifier.verify(request))
    if let input { Console.warnOutsideRange(output.report.inputOutsideRange, input: input) }
    return output
  }
}
