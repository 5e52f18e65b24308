#include "CSupport.h"

#include <pthread.h>
#include <string.h>

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the CRC tables read 8 bytes at a time as a little-endian word"
#endif

/* Reflected 32-bit CRCs: CRC-32 (zip, zlib, PNG) and CRC-32C (Castagnoli), one code for both.

   Portable path: slicing-by-8 tables.

   x86-64 with PCLMULQDQ: carry-less folding. A 16-byte block read little-endian is, in the
   reflected convention, a polynomial whose bit i is the coefficient of x^(127-i): its low
   quadword H holds the high terms (x^127..x^64), its high quadword L the low ones. A block X
   that stands D bits before the block Y it is folded into contributes X·x^D, and
   X·x^D ≡ H·(x^(64+D) mod P) + L·(x^D mod P); each product is below degree 96, so it fits 128
   bits and is XORed into Y. A reflected carry-less product carries one extra factor x, so the
   constants are x^(64+D-1) mod P and x^(D-1) mod P. Four lanes fold 64 bytes per step
   (D = 512), then fold into one (D = 128); the folded 16-byte value and the input's last few
   bytes go through the tables, starting from zero (the folded value stands for everything
   before it). Other CPUs, and x86-64 without PCLMULQDQ, use the tables throughout. The running
   CRC enters as an XOR into the first four bytes. Constants are computed from the polynomial
   at first use.

   With VPCLMULQDQ and AVX-512 the same folds run four blocks to a 64-byte register: four
   registers fold 256 bytes per step (D = 2048), then into one (D = 512), whose four blocks
   are the four lanes above. */

typedef struct {
  uint32_t polynomial; /* reflected */
  pthread_once_t once;
  int folds; /* the CPU has PCLMULQDQ */
  uint32_t table[8][256];
  uint64_t fold512[2]; /* reflected x^(575) mod P, x^(511) mod P, each in the upper half */
  uint64_t fold128[2]; /* the same for D = 128 */
  uint64_t fold2048[2]; /* the same for D = 2048 */
  int folds_wide; /* the CPU has VPCLMULQDQ and AVX-512 */
} crc_kind;

static crc_kind crc32_zip = {0xEDB88320u, PTHREAD_ONCE_INIT};
static crc_kind crc32_castagnoli = {0x82F63B78u, PTHREAD_ONCE_INIT};

static uint32_t reverse32(uint32_t v) {
  uint32_t r = 0;
  for (int i = 0; i < 32; i++) r |= ((v >> i) & 1u) << (31 - i);
  return r;
}

/* x^n mod P as a folding operand: bit i of the 64-bit value is the coefficient of x^(63-i). */
static uint64_t power_operand(uint32_t reflected_polynomial, int n) {
  uint32_t normal = reverse32(reflected_polynomial); /* x^32 implied */
  uint32_t r = 1;                                    /* x^0 */
  for (int k = 0; k < n; k++) r = (r & 0x80000000u) ? (r << 1) ^ normal : r << 1;
  return (uint64_t)reverse32(r) << 32;
}

static void build_zip(void);
static void build_castagnoli(void);

static void build(crc_kind *kind) {
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ kind->polynomial : c >> 1;
    kind->table[0][n] = c;
  }
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = kind->table[0][n];
    for (int t = 1; t < 8; t++) {
      c = kind->table[0][c & 0xFF] ^ (c >> 8);
      kind->table[t][n] = c;
    }
  }
  kind->fold512[0] = power_operand(kind->polynomial, 64 + 512 - 1);
  kind->fold512[1] = power_operand(kind->polynomial, 512 - 1);
  kind->fold128[0] = power_operand(kind->polynomial, 64 + 128 - 1);
  kind->fold128[1] = power_operand(kind->polynomial, 128 - 1);
  kind->fold2048[0] = power_operand(kind->polynomial, 64 + 2048 - 1);
  kind->fold2048[1] = power_operand(kind->polynomial, 2048 - 1);
#if defined(__x86_64__)
  __builtin_cpu_init();
  kind->folds = __builtin_cpu_supports("pclmul");
  kind->folds_wide = kind->folds && __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("avx512f");
#endif
}

static void build_zip(void) { build(&crc32_zip); }
static void build_castagnoli(void) { build(&crc32_castagnoli); }

static const crc_kind *ready(crc_kind *kind) {
  pthread_once(&kind->once, kind == &crc32_zip ? build_zip : build_castagnoli);
  return kind;
}

/* Table CRC of the raw register `c` (not inverted). */
static uint32_t table_update(const crc_kind *kind, uint32_t c, const unsigned char *p, size_t length) {
  while (length >= 8) {
    uint64_t word;
    memcpy(&word, p, 8);
    uint32_t lo = (uint32_t)word ^ c, hi = (uint32_t)(word >> 32);
    c = kind->table[7][lo & 0xFF] ^ kind->table[6][(lo >> 8) & 0xFF] ^ kind->table[5][(lo >> 16) & 0xFF] ^
        kind->table[4][lo >> 24] ^ kind->table[3][hi & 0xFF] ^ kind->table[2][(hi >> 8) & 0xFF] ^
        kind->table[1][(hi >> 16) & 0xFF] ^ kind->table[0][hi >> 24];
    p += 8;
    length -= 8;
  }
  while (length--) c = kind->table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
  return c;
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("pclmul")))
static inline __m128i fold(__m128i x, __m128i constants, __m128i next) {
  __m128i high = _mm_clmulepi64_si128(x, constants, 0x00);
  __m128i low = _mm_clmulepi64_si128(x, constants, 0x11);
  return _mm_xor_si128(_mm_xor_si128(high, low), next);
}

/* The four lanes of a 64-byte step and the rest of the input after them, for both widths. */
__attribute__((target("pclmul")))
static uint32_t finish_lanes(
    const crc_kind *kind, __m128i lane0, __m128i lane1, __m128i lane2, __m128i lane3, const unsigned char *p,
    size_t length) {
  __m128i k512 = _mm_loadu_si128((const __m128i *)kind->fold512);
  __m128i k128 = _mm_loadu_si128((const __m128i *)kind->fold128);
  while (length >= 64) {
    lane0 = fold(lane0, k512, _mm_loadu_si128((const __m128i *)p));
    lane1 = fold(lane1, k512, _mm_loadu_si128((const __m128i *)(p + 16)));
    lane2 = fold(lane2, k512, _mm_loadu_si128((const __m128i *)(p + 32)));
    lane3 = fold(lane3, k512, _mm_loadu_si128((const __m128i *)(p + 48)));
    p += 64;
    length -= 64;
  }
  __m128i x = fold(fold(fold(lane0, k128, lane1), k128, lane2), k128, lane3);
  while (length >= 16) {
    x = fold(x, k128, _mm_loadu_si128((const __m128i *)p));
    p += 16;
    length -= 16;
  }
  unsigned char last[16];
  _mm_storeu_si128((__m128i *)last, x);
  return table_update(kind, table_update(kind, 0, last, 16), p, length);
}

__attribute__((target("pclmul")))
static uint32_t folding_update(const crc_kind *kind, uint32_t c, const unsigned char *p, size_t length) {
  __m128i lane0 = _mm_xor_si128(_mm_loadu_si128((const __m128i *)p), _mm_cvtsi32_si128((int)c));
  return finish_lanes(
      kind, lane0, _mm_loadu_si128((const __m128i *)(p + 16)), _mm_loadu_si128((const __m128i *)(p + 32)),
      _mm_loadu_si128((const __m128i *)(p + 48)), p + 64, length - 64);
}

__attribute__((target("avx512f,vpclmulqdq")))
static inline __m512i fold_wide(__m512i x, __m512i constants, __m512i next) {
  __m512i high = _mm512_clmulepi64_epi128(x, constants, 0x00);
  __m512i low = _mm512_clmulepi64_epi128(x, constants, 0x11);
  return _mm512_ternarylogic_epi64(high, low, next, 0x96); /* high ^ low ^ next */
}

/* At least 256 bytes. */
__attribute__((target("avx512f,vpclmulqdq,pclmul")))
static uint32_t wide_folding_update(const crc_kind *kind, uint32_t c, const unsigned char *p, size_t length) {
  __m512i k2048 = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)kind->fold2048));
  __m512i k512 = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)kind->fold512));
  __m512i reg0 = _mm512_xor_si512(_mm512_loadu_si512(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128((int)c)));
  __m512i reg1 = _mm512_loadu_si512(p + 64);
  __m512i reg2 = _mm512_loadu_si512(p + 128);
  __m512i reg3 = _mm512_loadu_si512(p + 192);
  p += 256;
  length -= 256;
  while (length >= 256) {
    reg0 = fold_wide(reg0, k2048, _mm512_loadu_si512(p));
    reg1 = fold_wide(reg1, k2048, _mm512_loadu_si512(p + 64));
    reg2 = fold_wide(reg2, k2048, _mm512_loadu_si512(p + 128));
    reg3 = fold_wide(reg3, k2048, _mm512_loadu_si512(p + 192));
    p += 256;
    length -= 256;
  }
  __m512i x = fold_wide(fold_wide(fold_wide(reg0, k512, reg1), k512, reg2), k512, reg3);
  return finish_lanes(
      kind, _mm512_extracti32x4_epi32(x, 0), _mm512_extracti32x4_epi32(x, 1), _mm512_extracti32x4_epi32(x, 2),
      _mm512_extracti32x4_epi32(x, 3), p, length);
}

static uint32_t update(crc_kind *kind, uint32_t crc, const void *data, size_t length) {
  const crc_kind *k = ready(kind);
  if (length >= 256 && k->folds_wide) {
    return ~wide_folding_update(k, ~crc, data, length);
  }
  if (length >= 64 && k->folds) {
    return ~folding_update(k, ~crc, data, length);
  }
  return ~table_update(k, ~crc, data, length);
}
#else
static uint32_t update(crc_kind *kind, uint32_t crc, const void *data, size_t length) {
  return ~table_update(ready(kind), ~crc, data, length);
}
#endif

uint32_t csupport_crc32(uint32_t crc, const void *data, size_t length) {
  return update(&crc32_zip, crc, data, length);
}

uint32_t csupport_crc32c(uint32_t crc, const void *data, size_t length) {
  return update(&crc32_castagnoli, crc, data, length);
}

uint32_t csupport_crc32_portable(uint32_t crc, const void *data, size_t length) {
  return ~table_update(ready(&crc32_zip), ~crc, data, length);
}

uint32_t csupport_crc32c_portable(uint32_t crc, const void *data, size_t length) {
  return ~table_update(ready(&crc32_castagnoli), ~crc, data, length);
}
