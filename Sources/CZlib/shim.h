#include <zlib.h>

/// Initialises a raw-deflate stream (no zlib header), as ZIP members store it.
/// `deflateInit2` is a macro, which Swift cannot call.
static inline int czlib_deflate_init_raw(z_streamp stream, int level) {
  return deflateInit2(stream, level, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
}
