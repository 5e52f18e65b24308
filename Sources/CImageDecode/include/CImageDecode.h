#ifndef CIMAGEDECODE_H
#define CIMAGEDECODE_H

#include <stddef.h>
#include <stdint.h>

/// A decoded image: 8-bit RGB, row-major, `width * height * 3` bytes (free with
/// mc_image_free), or an error message.
typedef struct {
  uint8_t *pixels;
  uint32_t width;
  uint32_t height;
  char message[256];
} mc_image;

/// Decodes a JPEG (baseline or progressive; grayscale or YCbCr) held in memory to RGB with
/// libjpeg's defaults (accurate integer IDCT, fancy upsampling), as tf.io.decode_jpeg does.
/// Refuses images of more than `max_pixels` pixels before allocating them. Returns 0 on
/// success, nonzero with `message` set otherwise.
int mc_decode_jpeg(const uint8_t *data, size_t size, uint64_t max_pixels, mc_image *image);

/// Decodes a PNG held in memory to RGB exactly as tf.io.decode_png(channels=3): palette
/// expanded, gray replicated, 1/2/4-bit samples scaled to 8 bits, 16-bit samples reduced to
/// their high byte, alpha (or tRNS transparency) dropped. Interlaced images are handled. A
/// CRC error in a critical chunk, a zlib error or truncation is an error. Returns 0 on
/// success, nonzero with `message` set otherwise.
int mc_decode_png(const uint8_t *data, size_t size, uint64_t max_pixels, mc_image *image);

/// Frees the pixels of a decoded image.
void mc_image_free(mc_image *image);

/// The libjpeg-turbo version this program was built against (libjpeg has no run-time query).
const char *mc_libjpeg_version(void);

/// The libpng version this program runs with.
const char *mc_libpng_version(void);

#endif
