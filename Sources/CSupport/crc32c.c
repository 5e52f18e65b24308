#include "CSupport.h"

#include <pthread.h>
#include <string.h>

/* Reflected CRC-32C polynomial (Castagnoli). */
#define CRC32C_POLY 0x82F63B78u

static uint32_t crc32c_table[8][256];
static pthread_once_t crc32c_table_once = PTHREAD_ONCE_INIT;

static void crc32c_build_table(void) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
    crc32c_table[0][n] = c;
  }
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = crc32c_table[0][n];
    for (int t = 1; t < 8; t++) {
      c = crc32c_table[0][c & 0xFF] ^ (c >> 8);
      crc32c_table[t][n] = c;
    }
  }
}

uint32_t csupport_crc32c_portable(uint32_t crc, const void *data, size_t length) {
  pthread_once(&crc32c_table_once, crc32c_build_table);
  const unsigned char *p = data;
  uint32_t c = ~crc;
  while (length >= 8) {
    uint64_t word;
    memcpy(&word, p, 8);
    uint32_t lo = (uint32_t)word ^ c, hi = (uint32_t)(word >> 32);
    c = crc32c_table[7][lo & 0xFF] ^ crc32c_table[6][(lo >> 8) & 0xFF] ^
        crc32c_table[5][(lo >> 16) & 0xFF] ^ crc32c_table[4][lo >> 24] ^
        crc32c_table[3][hi & 0xFF] ^ crc32c_table[2][(hi >> 8) & 0xFF] ^
        crc32c_table[1][(hi >> 16) & 0xFF] ^ crc32c_table[0][hi >> 24];
    p += 8;
    length -= 8;
  }
  while (length--) c = crc32c_table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
  return ~c;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const void *data, size_t length) {
  const unsigned char *p = data;
  uint64_t c = ~crc;
  while (length >= 8) {
    uint64_t word;
    memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
    p += 8;
    length -= 8;
  }
  uint32_t c32 = (uint32_t)c;
  while (length--) c32 = _mm_crc32_u8(c32, *p++);
  return ~c32;
}

uint32_t csupport_crc32c(uint32_t crc, const void *data, size_t length) {
  __builtin_cpu_init();
  if (__builtin_cpu_supports("sse4.2")) return crc32c_sse42(crc, data, length);
  return csupport_crc32c_portable(crc, data, length);
}
#else
uint32_t csupport_crc32c(uint32_t crc, const void *data, size_t length) {
  return csupport_crc32c_portable(crc, data, length);
}
#endif
