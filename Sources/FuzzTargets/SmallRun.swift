import Kernels
import Runtime

extension FuzzTargets {
  /// Runs `plan` on one image of the export's input shape `[-1, H, W, 3]` when that takes
  /// little time and memory (the fuzzer's own limits are 2 GB and seconds): at most 2^16
  /// pixels and an estimated 256 MiB. Whatever it throws is expected; a trap is a bug.
  static func runSmall(_ plan: ExecutionPlan, inputShape shape: [Int], compute: Compute) {
    guard shape[1] * shape[2] <= 1 << 16, let needed = plan.memory?.bytes(batch: 1, threads: 1), needed <= 1 << 28
    else { return }
    let image = Tensor(
      shape: [1, shape[1], shape[2], 3], scalars: [Float](repeating: 0.5, count: shape[1] * shape[2] * 3))
    _ = try? PlanExecutor(plan: plan, compute: compute).run(image)
  }
}
