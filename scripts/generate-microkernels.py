#!/usr/bin/env python3
"""Writes the GEMM micro-kernels of the three kernel builds.

Each `Sources/Kernels<LEVEL>/MicroKernel.swift` is generated from the table below: the tile
shape of that CPU level (rows of A × vectors of B per row) and its vector width. The kernels
are unrolled by hand, with every accumulator a named local, because that is the form in which
the Swift compiler keeps all of them in registers for the whole K loop; writing them by hand
invites drift between the shape, the code and the comments.

    scripts/generate-microkernels.py            rewrite the three files (`make kernels`)
    scripts/generate-microkernels.py --check    exit 1 if a file differs from what would be written
"""

import argparse
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


class Level:
    """One kernel build: its module, vector lanes, and micro-tile (rows × vectors per row);
    `short_rows` maps the height of each short kernel (for the last rows of A) to the products
    whose last rows it is for; `load_rows` loads one step of a packed A panel, with the
    functions of `intrinsics` (a module to import, or None)."""

    def __init__(self, module, lanes, rows, vectors, short_rows, load_rows, intrinsics):
        self.module = module
        self.lanes = lanes
        self.rows = rows
        self.vectors = vectors
        self.short_rows = short_rows
        self.load_rows = load_rows
        self.intrinsics = intrinsics

    @property
    def columns(self):
        return self.lanes * self.vectors


LEVELS = [
    # Zen 4, one thread, batch 1, Mixer-B/16: the 4-row kernel took 26% fewer samples than
    # the 6-row one on the same last 4 rows of 196 (its 8 multiply-adds a step against 12).
    Level("KernelsAVX512", lanes=16, rows=12, vectors=2,
          short_rows={4: "196 tokens, or a batch of 8 images' 1576, leave 4 rows after the 12-row panels",
                      5: "197 tokens leave 5 rows after sixteen 12-row panels",
                      6: "a batch of 6 images of 197 tokens (1182 rows) leaves 6 rows after the 12-row panels"},
          load_rows="_mm512_maskz_loadu_ps(0x0FFF, p)", intrinsics="_Builtin_intrinsics.intel"),
    Level("KernelsAVX2", lanes=8, rows=6, vectors=2, short_rows={3: "the head's product on up to 3 images"},
          load_rows="_mm256_maskload_ps(p, _mm256_setr_epi32(-1, -1, -1, -1, -1, -1, 0, 0))",
          intrinsics="_Builtin_intrinsics.intel"),
    Level("KernelsPortable", lanes=4, rows=4, vectors=2, short_rows={2: "the head's product on up to 2 images"},
          load_rows="UnsafeRawPointer(p).loadUnaligned(as: Vec.self)", intrinsics=None),
]


# Steps of K ahead at which a kernel prefetches the packed B panel into L1. The panel streams
# from L2 (or L3 for a batch-1 product's weights) and the hardware prefetchers bring it only as
# far as L2; fetching 8 steps ahead (1 KiB on the AVX-512 tile, past the panel's end into the
# next one the sweep reads) measured 2-6% faster on whole products, 10-20% on a kernel fed
# from L3 (Intel Xeon, family 6 model 207); the AVX2 build on the same CPU as fast or faster,
# the portable one within noise.
PREFETCH_STEPS = 8

# Bytes of the next panel of B the full-tile kernel prefetches per step (`ahead`): one cache
# line. A batch-1 product streams each weight from memory once, and the first row of A's
# micro-panels to sweep a panel waited on it; the sweep points `ahead` at the next panel while
# the later rows run. Measured on Zen 4 in a C model of a 197-row sweep over weights streamed
# from memory: without it, 1.05 x the time with it; the locality-3 hint (prefetcht0) better than
# the others, one line a step better than one every other step. Whole forward passes at batch 1
# on one thread: 0.97-0.99 of the time without.
AHEAD_BYTES = 64

# Steps before the end of its K loop at which the full-tile kernel starts prefetching its C tile
# (one line a step) for the stores that follow the loop: C is a large matrix read back from L3
# once per slice and written after, and the loads and stores after the loop waited on it.
# Measured on Zen 4 in a C model of a 192×768×3072 product: without it, 1.03 × the time with
# it (C kept in L1 instead: 1.05); 96 steps ahead no better than 48.
C_LEAD_STEPS = 48


def header(name, doc, ahead=False):
    """The doc comment and signature every micro-kernel shares (`C (+)= A·B` over `kc` steps),
    with the prefetch cursor `ahead` for the full-tile kernel."""
    return ["/// " + line for line in doc] + [
        "@inline(never)",
        f"func {name}(",
        "  _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,",
        "  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool" + (", _ ahead: UnsafeRawPointer" if ahead else ""),
        ") {",
    ]


def kernel(level, name, rows, vectors, doc, ahead=False):
    """One micro-kernel: `rows` rows of A against `vectors` B vectors per step, reading panels
    packed for the full tile (`level.rows` values of A and `level.columns` of B per step); with
    `ahead`, it also prefetches `AHEAD_BYTES` a step from the `ahead` pointer."""
    width = 4 * level.lanes  # bytes per vector
    out = header(name, doc, ahead)
    for i in range(rows):
        out.append("  var " + ", ".join(f"c{i}_{v} = Vec()" for v in range(vectors)))
    step = width * level.vectors  # bytes of the packed B panel per step

    def body(indent):
        lines = [f"csupport_prefetch(pb + {PREFETCH_STEPS * step})"]
        if ahead:
            lines += ["csupport_prefetch(pn)", f"pn += {AHEAD_BYTES}"]
        for v in range(vectors):
            lines.append(f"let b{v} = pb.loadUnaligned(fromByteOffset: {v * width}, as: Vec.self)")
        for i in range(rows):
            lines.append(f"let a{i} = Vec(repeating: pa[{i}])")
            lines.append("; ".join(f"c{i}_{v} = madd(a{i}, b{v}, c{i}_{v})" for v in range(vectors)))
        lines += [f"pa += {level.rows}", f"pb += {step}"]
        return [indent + line for line in lines]

    out += ["  var pa = a", "  var pb = UnsafeRawPointer(b)"] + (["  var pn = ahead"] if ahead else [])
    if ahead:
        # The full tile: the last C_LEAD_STEPS steps also prefetch the C tile, a line a step.
        lines_per_row = max(1, width * vectors // 64)
        tile_lines = rows * lines_per_row
        line = "c + step * ldc" if lines_per_row == 1 else \
            f"c + (step / {lines_per_row}) * ldc + (step % {lines_per_row}) * 16"
        out += [f"  let lead = min(kc, {max(C_LEAD_STEPS, tile_lines)})", "  for _ in 0..<(kc - lead) {"]
        out += body("    ")
        out += ["  }", "  for step in 0..<lead {",
                f"    if step < {tile_lines} {{ csupport_prefetch_for_write({line}) }}"]
        out += body("    ")
        out += ["  }"]
    else:
        out += ["  for _ in 0..<kc {"] + body("    ") + ["  }"]
    out += ["  let out = UnsafeMutableRawPointer(c)", "  if accumulate {"]

    def offset(i, v):
        if i == 0:
            return str(v * width)
        return f"4 * ({i} * ldc + {v * level.lanes})"

    for i in range(rows):
        for v in range(vectors):
            o = offset(i, v)
            out.append(f"    out.storeBytes(of: c{i}_{v} + out.loadUnaligned(fromByteOffset: {o}, as: Vec.self), "
                       f"toByteOffset: {o}, as: Vec.self)")
    out.append("  } else {")
    for i in range(rows):
        for v in range(vectors):
            out.append(f"    out.storeBytes(of: c{i}_{v}, toByteOffset: {offset(i, v)}, as: Vec.self)")
    out += ["  }", "}"]
    return out


def column_kernel(level, name, columns, doc):
    """A micro-kernel for the last few columns of B, computed down the rows: each step loads the
    `level.rows` values of the packed A panel into one vector (`panelRows`) and multiplies it by
    `columns` broadcast values of the packed B panel, one accumulator per column. It costs
    `columns` multiply-adds a step where the narrow kernel costs `level.rows`, and sums in the
    same order (the same results); the tile comes out transposed and is stored lane by lane."""
    step = 4 * level.columns  # bytes of the packed B panel per step
    out = header(name, doc)
    out += [
        "  var " + ", ".join(f"c{j} = Vec()" for j in range(columns)),
        "  var pa = a",
        "  var pb = b",
        "  for _ in 0..<kc {",
        f"    csupport_prefetch(UnsafeRawPointer(pb) + {PREFETCH_STEPS * step})",
        "    let rows = panelRows(pa)",
    ]
    for j in range(columns):
        out.append(f"    c{j} = madd(rows, Vec(repeating: pb[{j}]), c{j})")
    out += [f"    pa += {level.rows}", f"    pb += {level.columns}", "  }",
            f"  for i in 0..<{level.rows} {{", "    let row = c + i * ldc", "    if accumulate {"]
    out.append("      " + "; ".join(f"row[{j}] += c{j}[i]" for j in range(columns)))
    out.append("    } else {")
    out.append("      " + "; ".join(f"row[{j}] = c{j}[i]" for j in range(columns)))
    out += ["    }", "  }", "}"]
    return out


def short_name(height):
    """The name of the short micro-kernel `height` rows tall."""
    return f"microKernel{height}Rows"


def short_dispatch(level):
    """`shortMicroKernel(rows:…)`: the shortest short kernel that covers `rows`."""
    heights = sorted(level.short_rows)
    call = "(kc, a, b, c, ldc, accumulate)"
    out = [
        "/// The last panel of A, of `rows` rows (at most ``Tile/shortRows``), times a packed panel of B",
        "/// through the shortest short kernel that covers them: " + ", ".join(
            f"``{short_name(h)}(_:_:_:_:_:_:)``" for h in heights) + ".",
        "/// It writes all that kernel's rows of `c`.",
        "@inline(__always)",
        "func shortMicroKernel(",
        "  rows: Int, _ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,",
        "  _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ accumulate: Bool",
        ") {",
    ]
    out += [f"  if rows <= {h} {{ return {short_name(h)}{call} }}" for h in heights[:-1]]
    out += [f"  {short_name(heights[-1])}{call}", "}"]
    return out


def source(level):
    mr, nr, sr = level.rows, level.columns, max(level.short_rows)
    half = level.lanes * (level.vectors // 2)
    lines = [
        f"// Generated by scripts/generate-microkernels.py (`make kernels`) for {level.module}; do not edit.",
        "// Every accumulator is a named local so the compiler keeps all of them in registers for the",
        "// whole K loop.",
        "// swift-format-ignore-file",
        "",
        "import CSupport",
    ]
    if level.intrinsics:
        lines.append(f"import {level.intrinsics}")
    lines += [
        "",
        "extension Tile {",
        "  /// Rows of the micro-kernel tile.",
        f"  static var mr: Int {{ {mr} }}",
        "  /// Columns of the micro-kernel tile.",
        f"  static var nr: Int {{ {nr} }}",
        "  /// Rows of the tallest short micro-kernel, for the last rows of A.",
        f"  static var shortRows: Int {{ {sr} }}",
        "  /// Bytes ``microKernel(_:_:_:_:_:_:_:)`` prefetches from its `ahead` pointer per step.",
        f"  static var aheadBytes: Int {{ {AHEAD_BYTES} }}",
        "}",
        "",
        f"/// The {mr} values of one step of a packed {mr}-row panel of A, in the low lanes of a vector",
        "/// (the lanes above are zero, and nothing past the step is read).",
        "@inline(__always)",
        f"func panelRows(_ p: UnsafePointer<Float>) -> Vec {{ {level.load_rows} }}",
        "",
    ]
    lines += kernel(level, "microKernel", mr, level.vectors, [
        f"`C[{mr}×{nr}] (+)= Apanel · Bpanel` over `kc` steps: {mr * level.vectors} accumulators, "
        f"{level.vectors} B loads and",
        f"{mr} broadcasts of A per step. `a` is a packed {mr}-row panel of A, `b` a packed {nr}-column",
        "panel of B; `c` is row-major with leading dimension `ldc`. Each step also prefetches the",
        f"next {AHEAD_BYTES} bytes from `ahead` (memory the caller wants in cache soon; any address), and",
        f"the last {C_LEAD_STEPS} steps the C tile, a line a step, for the stores after the loop.",
    ], ahead=True)
    lines.append("")
    lines += kernel(level, "narrowMicroKernel", mr, level.vectors // 2, [
        f"The left {half} columns of ``microKernel(_:_:_:_:_:_:_:)``, for the last panel of B when it holds",
        f"{half} columns or fewer: half the multiply-adds, reading the same packed panel.",
    ])
    lines.append("")
    lines += short_dispatch(level)
    heights = sorted(level.short_rows)
    for height, shorter in zip(heights, [0] + heights):
        held = f"{height} rows" if shorter == height - 1 else f"{shorter + 1} to {height} rows"
        if shorter == 0:
            held = f"{height} rows or fewer"
        lines.append("")
        lines += kernel(level, short_name(height), height, level.vectors, [
            f"The top {height} rows of ``microKernel(_:_:_:_:_:_:_:)``, for the last panel of A when it holds",
            f"{held}, reading the same packed panel ({level.short_rows[height]}).",
        ])
    for name, width in (("quarterMicroKernel", nr // 4), ("eighthMicroKernel", nr // 8)):
        lines.append("")
        columns = f"{width} column" + ("s" if width > 1 else "")
        lines += column_kernel(level, name, width, [
            f"The left {columns} of ``microKernel(_:_:_:_:_:_:_:)``, for the last panel of B when it holds",
            f"no more, computed down the rows: one vector of A's {mr} rows times {width} broadcast",
            f"value{'s' if width > 1 else ''} of B per step ({width} multiply-add{'s' if width > 1 else ''} where ``narrowMicroKernel(_:_:_:_:_:_:)`` takes {mr}),",
            "reading the same packed panels.",
        ])
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    stale = []
    for level in LEVELS:
        path = ROOT / "Sources" / level.module / "MicroKernel.swift"
        text = source(level)
        if args.check:
            if not path.exists() or path.read_text() != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text)
    if stale:
        print("generate-microkernels: out of date (run `make kernels`): " + ", ".join(stale), file=sys.stderr)
        return 1
    print("generate-microkernels: " + ("up to date" if args.check else "written") + ": "
          + ", ".join(level.module for level in LEVELS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
