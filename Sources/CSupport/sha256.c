#include "CSupport.h"

#include <stdlib.h>
#include <string.h>

/* SHA-256 (FIPS 180-4) with the x86 SHA extensions, for one stream or two at once, and in
   plain C on CPUs without them.

   SHA256RNDS2 runs two rounds; each depends on the one before, so one stream waits on the
   instruction's latency. Two independent streams interleaved fill those waits: on Zen 4 one
   thread hashes two streams at 3.2-3.3 GB/s together against 1.8 GB/s for one (measured here,
   256 MiB each way; BoringSSL's one-stream figure is the same 1.8).

   The state is kept in the order the instructions want: one register holds the words
   (A, B, E, F), the other (C, D, G, H), each with A or C in the top lane. */

static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static const uint32_t initial_state[8] = {
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

#if defined(__x86_64__)
#include <immintrin.h>

#define SHA_TARGET __attribute__((target("sha,sse4.1,ssse3")))

int csupport_sha256_accelerated(void) {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sha") && __builtin_cpu_supports("sse4.1") && __builtin_cpu_supports("ssse3");
}

typedef struct {
  __m128i abef, cdgh;
} lanes;

SHA_TARGET static inline lanes load_state(const uint32_t s[8]) {
  __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)s), 0xB1);
  __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)(s + 4)), 0x1B);
  lanes l = {_mm_alignr_epi8(dcba, efgh, 8), _mm_blend_epi16(efgh, dcba, 0xF0)};
  return l;
}

SHA_TARGET static inline void store_state(lanes l, uint32_t s[8]) {
  __m128i feba = _mm_shuffle_epi32(l.abef, 0x1B);
  __m128i dchg = _mm_shuffle_epi32(l.cdgh, 0xB1);
  _mm_storeu_si128((__m128i *)s, _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128((__m128i *)(s + 4), _mm_alignr_epi8(dchg, feba, 8));
}

/* Compresses `blocks` 64-byte blocks of each of N streams into their states, the streams'
   rounds interleaved. Group i is rounds 4i..4i+3; w[s][i % 4] holds that group's message
   words, computed from the four groups before it once i >= 4. */
#define COMPRESS_STREAMS(N)                                                                          \
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);           \
  lanes st[N];                                                                                       \
  for (int s = 0; s < N; s++) st[s] = load_state(states[s]);                                        \
  for (size_t b = 0; b < blocks; b++) {                                                              \
    __m128i w[N][4];                                                                                 \
    lanes saved[N];                                                                                  \
    for (int s = 0; s < N; s++) saved[s] = st[s];                                                    \
    _Pragma("GCC unroll 16") for (int i = 0; i < 16; i++) {                                          \
      const __m128i k = _mm_loadu_si128((const __m128i *)(round_constants + 4 * i));                 \
      _Pragma("GCC unroll 2") for (int s = 0; s < N; s++) {                                          \
        __m128i words;                                                                               \
        if (i < 4) {                                                                                 \
          words = _mm_loadu_si128((const __m128i *)(data[s] + 64 * b + 16 * i));                     \
          words = w[s][i] = _mm_shuffle_epi8(words, byte_swap);                                      \
        } else {                                                                                     \
          words = _mm_sha256msg1_epu32(w[s][i % 4], w[s][(i + 1) % 4]);                              \
          words = _mm_add_epi32(words, _mm_alignr_epi8(w[s][(i + 3) % 4], w[s][(i + 2) % 4], 4));    \
          words = w[s][i % 4] = _mm_sha256msg2_epu32(words, w[s][(i + 3) % 4]);                      \
        }                                                                                            \
        __m128i x = _mm_add_epi32(words, k);                                                         \
        st[s].cdgh = _mm_sha256rnds2_epu32(st[s].cdgh, st[s].abef, x);                               \
        st[s].abef = _mm_sha256rnds2_epu32(st[s].abef, st[s].cdgh, _mm_shuffle_epi32(x, 0x0E));      \
      }                                                                                              \
    }                                                                                                \
    for (int s = 0; s < N; s++) {                                                                    \
      st[s].abef = _mm_add_epi32(st[s].abef, saved[s].abef);                                         \
      st[s].cdgh = _mm_add_epi32(st[s].cdgh, saved[s].cdgh);                                         \
    }                                                                                                \
  }                                                                                                  \
  for (int s = 0; s < N; s++) store_state(st[s], states[s]);

SHA_TARGET static void compress_one(uint32_t *const states[1], const uint8_t *const data[1], size_t blocks) {
  COMPRESS_STREAMS(1)
}

SHA_TARGET static void compress_two(uint32_t *const states[2], const uint8_t *const data[2], size_t blocks) {
  COMPRESS_STREAMS(2)
}
#else
int csupport_sha256_accelerated(void) { return 0; }

static void compress_one(uint32_t *const states[1], const uint8_t *const data[1], size_t blocks) {
  (void)states, (void)data, (void)blocks;
  abort(); /* never reached: here every SHA-256 is started portable */
}

static void compress_two(uint32_t *const states[2], const uint8_t *const data[2], size_t blocks) {
  (void)states, (void)data, (void)blocks;
  abort();
}
#endif

#define ROTATE(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

/* One round of FIPS 180-4's section 6.2.2, step 3, with Ch and Maj in equivalent forms of fewer
   operations. Instead of shifting the eight words along, the caller renames them: the round
   adds T1 to d (the next e) and leaves T1 + T2 in h (the next a). */
#define ROUND(a, b, c, d, e, f, g, h, i)                                                                 \
  do {                                                                                                   \
    uint32_t t1 = h + (ROTATE(e, 6) ^ ROTATE(e, 11) ^ ROTATE(e, 25)) + (g ^ (e & (f ^ g))) +             \
                  round_constants[i] + w[i];                                                             \
    uint32_t t2 = (ROTATE(a, 2) ^ ROTATE(a, 13) ^ ROTATE(a, 22)) + ((a & b) | (c & (a | b)));            \
    d += t1;                                                                                             \
    h = t1 + t2;                                                                                         \
  } while (0)

/* The compression function in plain C, one block at a time: about 250 MB/s on a Xeon of 2023
   (eight rounds to an iteration with the words renamed; 215 with them shifted along). */
static void compress_portable(uint32_t state[8], const uint8_t *data, size_t blocks) {
  for (size_t block = 0; block < blocks; block++, data += 64) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++) {
      const uint8_t *q = data + 4 * i;
      w[i] = (uint32_t)q[0] << 24 | (uint32_t)q[1] << 16 | (uint32_t)q[2] << 8 | q[3];
    }
    for (int i = 16; i < 64; i++) {
      uint32_t s0 = ROTATE(w[i - 15], 7) ^ ROTATE(w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = ROTATE(w[i - 2], 17) ^ ROTATE(w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];
    for (int i = 0; i < 64; i += 8) {
      ROUND(a, b, c, d, e, f, g, h, i);
      ROUND(h, a, b, c, d, e, f, g, i + 1);
      ROUND(g, h, a, b, c, d, e, f, i + 2);
      ROUND(f, g, h, a, b, c, d, e, i + 3);
      ROUND(e, f, g, h, a, b, c, d, i + 4);
      ROUND(d, e, f, g, h, a, b, c, i + 5);
      ROUND(c, d, e, f, g, h, a, b, i + 6);
      ROUND(b, c, d, e, f, g, h, a, i + 7);
    }
    state[0] += a, state[1] += b, state[2] += c, state[3] += d;
    state[4] += e, state[5] += f, state[6] += g, state[7] += h;
  }
}

/* Compresses `blocks` whole blocks at `p` into h's state, by the path h was started on. */
static void compress(csupport_sha256 *h, const uint8_t *p, size_t blocks) {
  if (blocks == 0) return;
  if (h->portable) {
    compress_portable(h->state, p, blocks);
  } else {
    uint32_t *states[1] = {h->state};
    const uint8_t *data[1] = {p};
    compress_one(states, data, blocks);
  }
}

void csupport_sha256_init_portable(csupport_sha256 *h) {
  memcpy(h->state, initial_state, sizeof initial_state);
  h->length = 0;
  h->pending_count = 0;
  h->portable = 1;
}

void csupport_sha256_init(csupport_sha256 *h) {
  csupport_sha256_init_portable(h);
  h->portable = !csupport_sha256_accelerated();
}

/* Adds bytes to the pending block until it is full or the bytes run out, compressing a full
   one; returns how many bytes it took. */
static size_t top_up(csupport_sha256 *h, const uint8_t *p, size_t n) {
  if (h->pending_count == 0 || n == 0) return 0;
  size_t take = 64 - h->pending_count < n ? 64 - h->pending_count : n;
  memcpy(h->pending + h->pending_count, p, take);
  h->pending_count += (uint32_t)take;
  if (h->pending_count == 64) {
    compress(h, h->pending, 1);
    h->pending_count = 0;
  }
  return take;
}

static void keep_pending(csupport_sha256 *h, const uint8_t *p, size_t n) {
  if (n == 0) return;
  memcpy(h->pending + h->pending_count, p, n);
  h->pending_count += (uint32_t)n;
}

void csupport_sha256_update(csupport_sha256 *h, const void *bytes, size_t n) {
  if (n == 0) return;
  const uint8_t *p = bytes;
  h->length += n;
  size_t taken = top_up(h, p, n);
  p += taken, n -= taken;
  compress(h, p, n / 64);
  keep_pending(h, p + n / 64 * 64, n % 64);
}

void csupport_sha256_update_pair(
    csupport_sha256 *a, const void *a_bytes, size_t a_count, csupport_sha256 *b, const void *b_bytes,
    size_t b_count) {
  if (a->portable || b->portable) {
    csupport_sha256_update(a, a_bytes, a_count);
    csupport_sha256_update(b, b_bytes, b_count);
    return;
  }
  const uint8_t *p = a_bytes, *q = b_bytes;
  a->length += a_count, b->length += b_count;
  size_t taken = top_up(a, p, a_count);
  p += taken, a_count -= taken;
  taken = top_up(b, q, b_count);
  q += taken, b_count -= taken;
  size_t a_blocks = a_count / 64, b_blocks = b_count / 64;
  size_t both = a_blocks < b_blocks ? a_blocks : b_blocks;
  uint32_t *states[2] = {a->state, b->state};
  const uint8_t *data[2] = {p, q};
  if (both > 0) {
    compress_two(states, data, both);
    data[0] = p + both * 64, data[1] = q + both * 64;
  }
  if (a_blocks > both) compress_one(&states[0], &data[0], a_blocks - both);
  if (b_blocks > both) compress_one(&states[1], &data[1], b_blocks - both);
  if (a_count % 64) keep_pending(a, p + a_blocks * 64, a_count % 64);
  if (b_count % 64) keep_pending(b, q + b_blocks * 64, b_count % 64);
}

void csupport_sha256_finish(const csupport_sha256 *h, uint8_t digest[32]) {
  csupport_sha256 last = *h;
  uint64_t bits = h->length * 8;
  uint8_t padding[72] = {0x80};
  size_t zeros = (last.pending_count < 56 ? 56 : 120) - last.pending_count;
  for (int i = 0; i < 8; i++) padding[zeros + i] = (uint8_t)(bits >> (56 - 8 * i));
  csupport_sha256_update(&last, padding, zeros + 8);
  for (int i = 0; i < 8; i++) {
    for (int j = 0; j < 4; j++) digest[4 * i + j] = (uint8_t)(last.state[i] >> (24 - 8 * j));
  }
}
