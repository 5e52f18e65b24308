/// Bytes per piece when a file's contents are streamed through memory — read, checksummed and
/// written a piece at a time. A piece this size is still in L2 for each pass over it: with
/// 4 MiB pieces the kernel's copy of each `write` into the page cache read from memory and took
/// 14% of a conversion's CPU samples instead of 4.5% (Mixer-B/16 conversion, median of 11
/// interleaved runs: 0.65 s → 0.46 s).
public let streamingChunkBytes = 1 << 20
