// JPEG and PNG decoding through libjpeg(-turbo) and libpng. Both report errors by longjmp
// from their error callbacks, which must land in C: each decoder sets its jump point here,
// and the Swift side only sees a status and a message.
#include "CImageDecode.h"

#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

void mc_image_free(mc_image *image) {
  free(image->pixels);
  image->pixels = NULL;
}

static int too_large(uint32_t width, uint32_t height, uint64_t max_pixels, mc_image *image) {
  if (width == 0 || height == 0) {
    snprintf(image->message, sizeof image->message, "image has no pixels (%u × %u)", width, height);
    return 1;
  }
  if ((uint64_t)width * height > max_pixels) {
    snprintf(image->message, sizeof image->message,
             "image declares %u × %u pixels, more than the %llu accepted", width, height,
             (unsigned long long)max_pixels);
    return 1;
  }
  return 0;
}

// MARK: JPEG

typedef struct {
  struct jpeg_error_mgr manager;
  jmp_buf jump;
  mc_image *image;
} jpeg_failure;

static void jpeg_fail(j_common_ptr info) {
  jpeg_failure *failure = (jpeg_failure *)info->err;
  char text[JMSG_LENGTH_MAX];
  info->err->format_message(info, text);
  snprintf(failure->image->message, sizeof failure->image->message, "not a readable JPEG: %s", text);
  longjmp(failure->jump, 1);
}

// A premature end of data, which libjpeg only warns about (and pads with gray), is an error
// here: a damaged image must not be classified as if it were whole. Other corrupt-data
// warnings, common in camera files, are ignored as tf.io.decode_jpeg ignores them.
static void jpeg_warn(j_common_ptr info, int level) {
  if (level < 0 && info->err->msg_code == JWRN_JPEG_EOF) jpeg_fail(info);
}

// A progressive JPEG of a few kilobytes can hold thousands of tiny scans, each a full pass
// over the coefficients: minutes of CPU from a small file. Real encoders write about ten.
#define MC_JPEG_MAX_SCANS 1000

static void jpeg_count_scans(j_common_ptr common) {
  j_decompress_ptr info = (j_decompress_ptr)common;
  if (info->input_scan_number > MC_JPEG_MAX_SCANS) {
    jpeg_failure *failure = (jpeg_failure *)common->err;
    snprintf(failure->image->message, sizeof failure->image->message,
             "not a readable JPEG: more than %d progressive scans", MC_JPEG_MAX_SCANS);
    longjmp(failure->jump, 1);
  }
}

int mc_decode_jpeg(const uint8_t *data, size_t size, uint64_t max_pixels, mc_image *image) {
  struct jpeg_decompress_struct info;
  jpeg_failure failure;
  memset(image, 0, sizeof *image);
  info.err = jpeg_std_error(&failure.manager);
  failure.manager.error_exit = jpeg_fail;
  failure.manager.emit_message = jpeg_warn;
  failure.image = image;
  if (setjmp(failure.jump)) {
    jpeg_destroy_decompress(&info);
    mc_image_free(image);
    return 1;
  }
  jpeg_create_decompress(&info);
  struct jpeg_progress_mgr progress = {.progress_monitor = jpeg_count_scans};
  info.progress = &progress;
  jpeg_mem_src(&info, data, (unsigned long)size);
  jpeg_read_header(&info, TRUE);
  if (info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK) {
    snprintf(image->message, sizeof image->message, "CMYK JPEGs are not supported: convert the image to RGB");
    jpeg_destroy_decompress(&info);
    return 1;
  }
  if (too_large(info.image_width, info.image_height, max_pixels, image)) {
    jpeg_destroy_decompress(&info);
    return 1;
  }
  info.out_color_space = JCS_RGB;
  jpeg_start_decompress(&info);
  image->width = info.output_width;
  image->height = info.output_height;
  size_t stride = (size_t)info.output_width * 3;
  image->pixels = malloc(stride * info.output_height);
  if (!image->pixels) {
    snprintf(image->message, sizeof image->message, "out of memory for %u × %u pixels", image->width, image->height);
    jpeg_destroy_decompress(&info);
    return 1;
  }
  while (info.output_scanline < info.output_height) {
    JSAMPROW row = image->pixels + stride * info.output_scanline;
    jpeg_read_scanlines(&info, &row, 1);
  }
  jpeg_finish_decompress(&info);
  jpeg_destroy_decompress(&info);
  return 0;
}

// MARK: PNG

typedef struct {
  const uint8_t *data;
  size_t size;
  size_t offset;
  mc_image *image;
  jmp_buf jump;
} png_source;

static void png_fail(png_structp png, png_const_charp text) {
  png_source *source = png_get_error_ptr(png);
  snprintf(source->image->message, sizeof source->image->message, "not a readable PNG: %s", text);
  longjmp(source->jump, 1);
}

static void png_warn(png_structp png, png_const_charp text) {
  (void)png;
  (void)text;
}

static void png_read_memory(png_structp png, png_bytep out, png_size_t count) {
  png_source *source = png_get_io_ptr(png);
  if (count > source->size - source->offset) png_error(png, "file is truncated");
  memcpy(out, source->data + source->offset, count);
  source->offset += count;
}

static uint32_t big_endian(const uint8_t *bytes) {
  return (uint32_t)bytes[0] << 24 | (uint32_t)bytes[1] << 16 | (uint32_t)bytes[2] << 8 | bytes[3];
}

int mc_decode_png(const uint8_t *data, size_t size, uint64_t max_pixels, mc_image *image) {
  png_source source = {data, size, 0, image};
  memset(image, 0, sizeof *image);
  // The size is in the first chunk, IHDR, at a fixed place: refuse a huge image before libpng
  // reads further.
  if (size >= 24 && memcmp(data + 12, "IHDR", 4) == 0 &&
      too_large(big_endian(data + 16), big_endian(data + 20), max_pixels, image)) {
    return 1;
  }
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &source, png_fail, png_warn);
  png_infop info = png ? png_create_info_struct(png) : NULL;
  if (!png || !info) {
    snprintf(image->message, sizeof image->message, "libpng cannot start");
    png_destroy_read_struct(&png, &info, NULL);
    return 1;
  }
  png_bytep *volatile rows = NULL;
  if (setjmp(source.jump)) {
    free(rows);
    png_destroy_read_struct(&png, &info, NULL);
    mc_image_free(image);
    return 1;
  }
  png_set_read_fn(png, &source, png_read_memory);
  png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
  // Only the pixels matter: every ancillary chunk but tRNS is skipped unread, and no chunk may
  // claim more than the whole file. Without both, libpng allocated what an sPLT chunk's length
  // claimed (its length check is only a warning): the fuzzer found 1.9 GB in a 220-byte file.
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
  png_set_chunk_malloc_max(png, size > 0 ? size : 1);
  png_read_info(png, info);
  png_uint_32 width, height;
  int depth, color;
  png_get_IHDR(png, info, &width, &height, &depth, &color, NULL, NULL, NULL);
  if (too_large(width, height, max_pixels, image)) {
    png_destroy_read_struct(&png, &info, NULL);
    return 1;
  }
  // The transformations of tf.io.decode_png with channels = 3.
  if ((color & PNG_COLOR_MASK_ALPHA) || png_get_valid(png, info, PNG_INFO_tRNS)) png_set_strip_alpha(png);
  if (depth > 8) png_set_strip_16(png);
  png_set_packing(png);
  if (color == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if (!(color & PNG_COLOR_MASK_COLOR)) {
    if (depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    png_set_gray_to_rgb(png);
  }
  int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  size_t stride = (size_t)width * 3;
  if (png_get_channels(png, info) != 3 || png_get_bit_depth(png, info) != 8 || png_get_rowbytes(png, info) != stride) {
    snprintf(image->message, sizeof image->message, "libpng did not produce 8-bit RGB rows");
    longjmp(source.jump, 1);
  }
  image->width = width;
  image->height = height;
  image->pixels = malloc(stride * height);
  rows = malloc(sizeof(png_bytep) * height);
  if (!image->pixels || !rows) {
    snprintf(image->message, sizeof image->message, "out of memory for %u × %u pixels", width, height);
    longjmp(source.jump, 1);
  }
  for (png_uint_32 y = 0; y < height; y++) rows[y] = image->pixels + stride * y;
  for (int pass = 0; pass < passes; pass++) {
    for (png_uint_32 y = 0; y < height; y++) png_read_row(png, rows[y], NULL);
  }
  png_read_end(png, NULL);
  free(rows);
  png_destroy_read_struct(&png, &info, NULL);
  return 0;
}

#define MC_STRING(x) #x
#define MC_VERSION(x) MC_STRING(x)

const char *mc_libjpeg_version(void) { return MC_VERSION(LIBJPEG_TURBO_VERSION); }

const char *mc_libpng_version(void) { return png_get_libpng_ver(NULL); }
