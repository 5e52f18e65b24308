// The layer attributes kernels take (GELU form, window padding) are shared with the graph
// document; whoever uses the kernels sees them too.
@_exported import LayerAttributes
