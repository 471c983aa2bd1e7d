// Implicit im2col packing, AVX-512 variant (compiled with -mavx512f -mavx512bw -mavx512vl
// -mfma). The block's columns are cut once into segments (a piece of one output row inside
// one 16-lane half-panel); then every patch row costs one masked load (stride 1), two
// loads and a deinterleave (stride 2) or a masked gather, and one masked store per
// segment. Masked-off lanes (the padding) are never read.
// With stride 1 along x (2-D), im2col_padded_pack_avx512 packs from a zero-padded copy of
// the input instead: no bounds checks, one masked load per output row a half-panel touches.
// split_parity_planes_avx512 writes a stride-2 input's parity planes for the direct GEMM.
#include <immintrin.h>

#include <vector>

#include "kernels/ops/nn_im2col.h"

namespace braid::detail {
namespace {

// The first `lanes` lanes (none when lanes <= 0).
inline __mmask16 lane_mask(int64_t lanes) {
  return lanes >= 16 ? static_cast<__mmask16>(0xFFFF)
                     : static_cast<__mmask16>((1u << (lanes > 0 ? lanes : 0)) - 1u);
}

// A piece of one output row that lands in one 16-lane half of a panel: where it goes in
// the packed block and where its first output reads the input (before the kernel offset).
struct Segment {
  int64_t dst;       // float offset of its first lane in a packed row (k = 0)
  int64_t iz0, iy0;  // oz * sd - pd, oy * sh - ph
  int64_t ix0;       // ox * sw - pw of the first output
  __mmask16 lanes;   // lanes of the half-panel it fills (from bit 0)
};

// Segments of block columns [n0, n0 + nc), grown once per thread and reused.
thread_local std::vector<Segment> t_segments;

const std::vector<Segment>& segments_for(const Im2colSource& s, int64_t n0, int64_t nc, int nr, int64_t kc) {
  std::vector<Segment>& segs = t_segments;
  segs.clear();
  const int shift = __builtin_ctz(static_cast<unsigned>(nr));
  int64_t ox = n0 % s.ow, oy = (n0 / s.ow) % s.oh, oz = n0 / (s.ow * s.oh);
  for (int64_t j = 0; j < nc;) {
    const int64_t lane = j & (nr - 1);
    int64_t len = nc - j;
    if (len > s.ow - ox) len = s.ow - ox;        // stay in one output row
    if (len > 16 - (lane & 15)) len = 16 - (lane & 15);  // stay in one half-panel
    Segment seg;
    seg.dst = (j >> shift) * kc * nr + lane;
    seg.iz0 = oz * s.sd - s.pd;
    seg.iy0 = oy * s.sh - s.ph;
    seg.ix0 = ox * s.sw - s.pw;
    seg.lanes = static_cast<__mmask16>((1u << len) - 1u);
    segs.push_back(seg);
    j += len;
    ox += len;
    if (ox == s.ow) {
      ox = 0;
      if (++oy == s.oh) {
        oy = 0;
        ++oz;
      }
    }
  }
  // The zero columns that pad the last panel.
  const int64_t padded = (nc + nr - 1) / nr * nr;
  for (int64_t j = nc; j < padded;) {
    const int64_t lane = j & (nr - 1);
    int64_t len = padded - j;
    if (len > 16 - (lane & 15)) len = 16 - (lane & 15);
    Segment seg;
    seg.dst = (j >> shift) * kc * nr + lane;
    seg.iz0 = seg.iy0 = -(int64_t{1} << 40);  // never inside: stores zeros
    seg.ix0 = 0;
    seg.lanes = static_cast<__mmask16>((1u << len) - 1u);
    segs.push_back(seg);
    j += len;
  }
  return segs;
}

template <int S>
void pack(const Im2colSource& s, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* dst) {
  const std::vector<Segment>& segs = segments_for(s, n0, nc, nr, kc);
  const int64_t plane = s.id * s.ih * s.iw;
  const __m512 zero = _mm512_setzero_ps();
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i iota_s = _mm512_mullo_epi32(iota, _mm512_set1_epi32(static_cast<int>(s.sw)));
  const __m512i width = _mm512_set1_epi32(static_cast<int>(s.iw));
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  // Patch rows that differ only in kx read the same input row: handle such a run of rows
  // per segment, so the row lookup and its bounds check are done once for all of them.
  for (int64_t kk = 0; kk < kc;) {
    const int64_t k = k0 + kk;
    const int64_t kx0 = k % s.kw, ky = (k / s.kw) % s.kh, kz = (k / (s.kw * s.kh)) % s.kd;
    const int64_t c = k / (s.kw * s.kh * s.kd);
    const int64_t count = s.kw - kx0 < kc - kk ? s.kw - kx0 : kc - kk;
    const float* xc = s.x + c * plane;
    float* rows_dst = dst + kk * nr;
    const int64_t dz = kz * s.dd, dy = ky * s.dh;
    for (const Segment& seg : segs) {
      const int64_t iz = seg.iz0 + dz, iy = seg.iy0 + dy;
      float* out = rows_dst + seg.dst;
      if (iz < 0 || iz >= s.id || iy < 0 || iy >= s.ih) {
        for (int64_t t = 0; t < count; ++t) _mm512_mask_storeu_ps(out + t * nr, seg.lanes, zero);
        continue;
      }
      const float* xrow = xc + (iz * s.ih + iy) * s.iw;
      for (int64_t t = 0; t < count; ++t) {
        const int64_t b = seg.ix0 + (kx0 + t) * s.dw;
        // Row positions read by the lanes: consecutive for S = 1 and S = 2 (two loads),
        // strided for the gather.
        const __m512i pos = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(b)), S == 0 ? iota_s : iota);
        __m512 v;
        if constexpr (S == 1) {
          const __mmask16 m = seg.lanes & _mm512_cmpge_epi32_mask(pos, _mm512_setzero_si512()) &
                              _mm512_cmplt_epi32_mask(pos, width);
          v = _mm512_maskz_loadu_ps(m, xrow + b);
        } else if constexpr (S == 2) {
          // Inputs b .. b + 31: validity of each of the two loads' lanes.
          const __m512i p1 = _mm512_add_epi32(pos, _mm512_set1_epi32(16));
          const __mmask16 m0 = _mm512_cmpge_epi32_mask(pos, _mm512_setzero_si512()) & _mm512_cmplt_epi32_mask(pos, width);
          const __mmask16 m1 = _mm512_cmpge_epi32_mask(p1, _mm512_setzero_si512()) & _mm512_cmplt_epi32_mask(p1, width);
          v = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(m0, xrow + b), even, _mm512_maskz_loadu_ps(m1, xrow + b + 16));
        } else {
          const __mmask16 m = seg.lanes & _mm512_cmpge_epi32_mask(pos, _mm512_setzero_si512()) &
                              _mm512_cmplt_epi32_mask(pos, width);
          v = _mm512_mask_i32gather_ps(zero, m, pos, xrow, 4);
        }
        _mm512_mask_storeu_ps(out + t * nr, seg.lanes, v);
      }
    }
    kk += count;
  }
}

}  // namespace

namespace {

// Stride 1 along x: the positions of a panel that share an output row read consecutive
// inputs, so each such run is one masked load into its lanes (no gather). The runs' masks
// and offsets depend on the kernel tap only, so they are tabulated once per panel for every
// tap (kd * kh * kw <= kMaxTaps) and the patch rows are walked by counters: no division and
// no bounds check per patch row (these were ~15% of a 7 x 7 layer's time).
constexpr int kMaxTaps = 64;

void pack_t_stride1(const Im2colSource& s, int64_t m0, int64_t mc, int64_t k0, int64_t kc, int mr, float* dst) {
  const int64_t plane = s.id * s.ih * s.iw;
  const int64_t taps = s.kd * s.kh * s.kw;
  struct Run {
    int r0, len;            // lanes [r0, r0 + len)
    int64_t iz0, iy0, ix0;  // window start of lane r0
  };
  // Per tap and run: the lanes that read the input, and the element offset (from the
  // channel's plane) that lane 0 would read; lane i reads offset + i.
  struct TapRun {
    __mmask16 mask;
    int64_t offset;
  };
  TapRun table[kMaxTaps][16];
  const uintptr_t x_addr = reinterpret_cast<uintptr_t>(s.x);
  for (int64_t i0 = 0; i0 < mc; i0 += mr) {
    const int64_t rows = mc - i0 < mr ? mc - i0 : mr;
    const __mmask16 row_mask = static_cast<__mmask16>((1u << rows) - 1u);
    float* out = dst + i0 * kc;
    Run runs[16];
    int nruns = 0;
    for (int64_t r = 0; r < rows;) {
      const int64_t q = m0 + i0 + r;
      const int64_t ox = q % s.ow;
      int64_t len = s.ow - ox;
      if (len > rows - r) len = rows - r;
      runs[nruns++] = Run{static_cast<int>(r), static_cast<int>(len), q / (s.ow * s.oh) * s.sd - s.pd,
                          (q / s.ow) % s.oh * s.sh - s.ph, ox - s.pw};
      r += len;
    }
    int64_t t = 0;
    for (int64_t kz = 0; kz < s.kd; ++kz)
      for (int64_t ky = 0; ky < s.kh; ++ky)
        for (int64_t kx = 0; kx < s.kw; ++kx, ++t)
          for (int i = 0; i < nruns; ++i) {
            const Run& run = runs[i];
            const int64_t iz = run.iz0 + kz * s.dd, iy = run.iy0 + ky * s.dh, ix = run.ix0 + kx * s.dw;
            TapRun& tr = table[t][i];
            tr.mask = 0;
            tr.offset = 0;
            if (iz < 0 || iz >= s.id || iy < 0 || iy >= s.ih) continue;
            // Lanes of the run whose input column is inside the row.
            const int64_t lo = ix < 0 ? -ix : 0;
            const int64_t hi = s.iw - ix < run.len ? s.iw - ix : run.len;
            if (hi <= lo) continue;
            tr.mask = static_cast<__mmask16>((((1u << hi) - 1u) & ~((1u << lo) - 1u)) << run.r0);
            tr.offset = (iz * s.ih + iy) * s.iw + ix - run.r0;
          }
    int64_t c = k0 / taps;
    int64_t tap = k0 % taps;
    for (int64_t kk = 0; kk < kc; ++kk) {
      const uintptr_t xc = x_addr + static_cast<uintptr_t>(c * plane) * sizeof(float);
      const TapRun* tr = table[tap];
      __m512 v = _mm512_setzero_ps();
      for (int i = 0; i < nruns; ++i) {
        // Masked-off lanes are not read, so lane 0's address may lie outside the input.
        const float* at = reinterpret_cast<const float*>(xc + static_cast<uintptr_t>(tr[i].offset) * sizeof(float));
        v = _mm512_mask_loadu_ps(v, tr[i].mask, at);
      }
      _mm512_mask_storeu_ps(out + kk * rows, row_mask, v);
      if (++tap == taps) {
        tap = 0;
        ++c;
      }
    }
  }
}

}  // namespace

void im2col_t_pack_avx512(const void* ctx, int64_t m0, int64_t mc, int64_t k0, int64_t kc, int mr, float* dst) {
  if (mr > 16) return im2col_t_pack_scalar(ctx, m0, mc, k0, kc, mr, dst);
  const Im2colSource& s = *static_cast<const Im2colSource*>(ctx);
  if (s.sw == 1 && s.kd * s.kh * s.kw <= kMaxTaps) return pack_t_stride1(s, m0, mc, k0, kc, mr, dst);
  // Other strides: one masked gather per patch row (its lanes' masks and offsets
  // tabulated per kernel tap when there are at most kMaxTaps).
  const int64_t plane = s.id * s.ih * s.iw;
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i zero_i = _mm512_setzero_si512();
  const __m512i vid = _mm512_set1_epi32(static_cast<int>(s.id)), vih = _mm512_set1_epi32(static_cast<int>(s.ih));
  const __m512i viw = _mm512_set1_epi32(static_cast<int>(s.iw));
  for (int64_t i0 = 0; i0 < mc; i0 += mr) {
    const int64_t rows = mc - i0 < mr ? mc - i0 : mr;
    const __mmask16 row_mask = static_cast<__mmask16>((1u << rows) - 1u);
    float* out = dst + i0 * kc;
    // Per lane (output position): where its window starts in the input.
    const __m512i p = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(m0 + i0)), iota);
    alignas(64) int32_t pz[16], py[16], px[16];
    alignas(64) int32_t pos[16];
    _mm512_store_si512(pos, p);
    for (int r = 0; r < 16; ++r) {
      const int64_t q = pos[r];
      pz[r] = static_cast<int32_t>(q / (s.ow * s.oh) * s.sd - s.pd);
      py[r] = static_cast<int32_t>((q / s.ow) % s.oh * s.sh - s.ph);
      px[r] = static_cast<int32_t>(q % s.ow * s.sw - s.pw);
    }
    const __m512i z0 = _mm512_load_si512(pz), y0 = _mm512_load_si512(py), x0 = _mm512_load_si512(px);
    // Element offset of each window start (may be negative: only read where valid).
    const __m512i base = _mm512_add_epi32(
        _mm512_mullo_epi32(_mm512_add_epi32(_mm512_mullo_epi32(z0, vih), y0), viw), x0);
    const int64_t taps = s.kd * s.kh * s.kw;
    if (taps <= kMaxTaps) {
      // The lanes' valid masks and offsets depend on the kernel tap only: tabulate them
      // for the panel, then one gather per patch row, no division or compare.
      __m512i tap_idx[kMaxTaps];
      __mmask16 tap_valid[kMaxTaps];
      int64_t t = 0;
      for (int64_t kz = 0; kz < s.kd; ++kz)
        for (int64_t ky = 0; ky < s.kh; ++ky)
          for (int64_t kx = 0; kx < s.kw; ++kx, ++t) {
            const __m512i iz = _mm512_add_epi32(z0, _mm512_set1_epi32(static_cast<int>(kz * s.dd)));
            const __m512i iy = _mm512_add_epi32(y0, _mm512_set1_epi32(static_cast<int>(ky * s.dh)));
            const __m512i ix = _mm512_add_epi32(x0, _mm512_set1_epi32(static_cast<int>(kx * s.dw)));
            tap_valid[t] = row_mask & _mm512_cmpge_epi32_mask(iz, zero_i) & _mm512_cmplt_epi32_mask(iz, vid) &
                           _mm512_cmpge_epi32_mask(iy, zero_i) & _mm512_cmplt_epi32_mask(iy, vih) &
                           _mm512_cmpge_epi32_mask(ix, zero_i) & _mm512_cmplt_epi32_mask(ix, viw);
            const int64_t shift = (kz * s.dd * s.ih + ky * s.dh) * s.iw + kx * s.dw;
            tap_idx[t] = _mm512_add_epi32(base, _mm512_set1_epi32(static_cast<int>(shift)));
          }
      int64_t c = k0 / taps, tap = k0 % taps;
      for (int64_t kk = 0; kk < kc; ++kk) {
        const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), tap_valid[tap], tap_idx[tap], s.x + c * plane, 4);
        _mm512_mask_storeu_ps(out + kk * rows, row_mask, v);
        if (++tap == taps) {
          tap = 0;
          ++c;
        }
      }
      continue;
    }
    for (int64_t kk = 0; kk < kc; ++kk) {
      const int64_t k = k0 + kk;
      const int64_t kx = k % s.kw, ky = (k / s.kw) % s.kh, kz = (k / (s.kw * s.kh)) % s.kd;
      const int64_t c = k / (s.kw * s.kh * s.kd);
      const __m512i iz = _mm512_add_epi32(z0, _mm512_set1_epi32(static_cast<int>(kz * s.dd)));
      const __m512i iy = _mm512_add_epi32(y0, _mm512_set1_epi32(static_cast<int>(ky * s.dh)));
      const __m512i ix = _mm512_add_epi32(x0, _mm512_set1_epi32(static_cast<int>(kx * s.dw)));
      const __mmask16 valid = row_mask & _mm512_cmpge_epi32_mask(iz, zero_i) & _mm512_cmplt_epi32_mask(iz, vid) &
                              _mm512_cmpge_epi32_mask(iy, zero_i) & _mm512_cmplt_epi32_mask(iy, vih) &
                              _mm512_cmpge_epi32_mask(ix, zero_i) & _mm512_cmplt_epi32_mask(ix, viw);
      const int64_t shift = (kz * s.dd * s.ih + ky * s.dh) * s.iw + kx * s.dw;
      const __m512i idx = _mm512_add_epi32(base, _mm512_set1_epi32(static_cast<int>(shift)));
      const __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), valid, idx, s.x + c * plane, 4);
      _mm512_mask_storeu_ps(out + kk * rows, row_mask, v);
    }
  }
}

namespace {

// 16 block columns (one half of a 32-lane panel) as seen in the padded input: lane i of
// run r reads xp + k_offset + base + r * gap + i, where gap = sh * wp - ow is the jump at
// each output-row break. Lanes past the block's columns are in no run (zeros).
struct Half {
  int64_t base;
  int64_t dst;  // float offset of its first lane in a packed row (k = 0)
  int nruns;
  __mmask16 runs[17];
};

thread_local std::vector<Half> t_halves;
thread_local std::vector<int64_t> t_row_offsets;
thread_local std::vector<__mmask16> t_pad_masks;

}  // namespace

void im2col_pad_input_avx512(Im2colSource& s, float* xp) {
  // The lanes of each 16-column chunk of a padded row: which are stored (inside wp) and
  // which load the input (0 <= ix < iw); the same for every row.
  const int64_t chunks = (s.wp + 15) / 16;
  std::vector<__mmask16>& masks = t_pad_masks;
  masks.resize(static_cast<size_t>(2 * chunks));
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  const __m512i width = _mm512_set1_epi32(static_cast<int>(s.iw));
  for (int64_t i = 0; i < chunks; ++i) {
    const int64_t px = 16 * i;
    const __mmask16 store = px + 16 <= s.wp ? static_cast<__mmask16>(0xFFFF)
                                            : static_cast<__mmask16>((1u << (s.wp - px)) - 1u);
    const __m512i ix = _mm512_add_epi32(_mm512_set1_epi32(static_cast<int>(px - s.pw)), iota);
    masks[static_cast<size_t>(2 * i)] = store;
    masks[static_cast<size_t>(2 * i + 1)] =
        store & _mm512_cmpge_epi32_mask(ix, _mm512_setzero_si512()) & _mm512_cmplt_epi32_mask(ix, width);
  }
  for (int64_t c = 0; c < s.channels; ++c) {
    const float* xc = s.x + c * s.ih * s.iw;
    for (int64_t py = 0; py < s.hp; ++py) {
      float* out = xp + (c * s.hp + py) * s.wp;
      const int64_t iy = py - s.ph;
      if (iy < 0 || iy >= s.ih) {
        for (int64_t i = 0; i < chunks; ++i)
          _mm512_mask_storeu_ps(out + 16 * i, masks[static_cast<size_t>(2 * i)], _mm512_setzero_ps());
        continue;
      }
      const float* xrow = xc + iy * s.iw - s.pw;  // lanes outside the row are never read
      for (int64_t i = 0; i < chunks; ++i)
        _mm512_mask_storeu_ps(out + 16 * i, masks[static_cast<size_t>(2 * i)],
                              _mm512_maskz_loadu_ps(masks[static_cast<size_t>(2 * i + 1)], xrow + 16 * i));
    }
  }
  s.xp = xp;
}

void split_parity_planes_avx512(const ParityPlanes& p, const float* x, float* out) {
  const int64_t chunks = (p.ws + 15) / 16;
  const int64_t plane = p.hs * p.ws;
  const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  for (int s = 0; s < p.kept_count; ++s) {
    const int py = p.kept_py[s], px = p.kept_px[s];
    // Lane l of chunk i is column 16 i + l: input column (16 i + l) * sx + px, read from the
    // 16 * sx floats at row + 16 i * sx (two vectors when sx = 2, then the lanes of parity px).
    const __m512i pick = _mm512_add_epi32(p.sx == 2 ? _mm512_add_epi32(iota, iota) : iota, _mm512_set1_epi32(px));
    for (int64_t c = 0; c < p.channels; ++c) {
      const float* xc = x + c * p.ih * p.iw;
      float* oc = out + (c * p.kept_count + s) * plane;
      for (int64_t y = 0; y < p.hs; ++y) {
        float* orow = oc + y * p.ws;
        const int64_t iy = y * p.sy + py;
        if (iy >= p.ih) {  // the last row of an odd height's odd plane
          for (int64_t i = 0; i < chunks; ++i)
            _mm512_mask_storeu_ps(orow + 16 * i, lane_mask(p.ws - 16 * i), _mm512_setzero_ps());
          continue;
        }
        const float* row = xc + iy * p.iw;
        for (int64_t i = 0; i < chunks; ++i) {
          const __mmask16 store = lane_mask(p.ws - 16 * i);
          const int64_t first = 16 * i * p.sx;  // input column of the chunk's first float
          __m512 v;
          if (p.sx == 2) {
            const __m512 lo = _mm512_maskz_loadu_ps(lane_mask(p.iw - first), row + first);
            const __m512 hi = _mm512_maskz_loadu_ps(lane_mask(p.iw - first - 16), row + first + 16);
            v = _mm512_permutex2var_ps(lo, pick, hi);
          } else {
            v = _mm512_maskz_loadu_ps(lane_mask(p.iw - first), row + first);
          }
          _mm512_mask_storeu_ps(orow + 16 * i, store, v);
        }
      }
    }
  }
}

void im2col_padded_pack_avx512(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* dst) {
  const Im2colSource& s = *static_cast<const Im2colSource*>(ctx);
  if (nr % 16 != 0) return im2col_pack_avx512(ctx, k0, kc, n0, nc, nr, dst);
  const int64_t halves = (nc + nr - 1) / nr * (nr / 16);
  const int64_t gap = s.sh * s.wp - s.ow;
  std::vector<Half>& hs = t_halves;
  hs.resize(static_cast<size_t>(halves));
  for (int64_t h = 0; h < halves; ++h) {
    Half& d = hs[static_cast<size_t>(h)];
    const int64_t q0 = n0 + 16 * h;
    const int64_t valid = nc - 16 * h < 16 ? (nc - 16 * h > 0 ? nc - 16 * h : 0) : 16;
    const int64_t oy = q0 / s.ow, ox = q0 % s.ow;
    d.base = oy * s.sh * s.wp + ox;
    d.dst = h / (nr / 16) * kc * nr + h % (nr / 16) * 16;
    d.nruns = 0;
    for (int64_t lane = 0, end = s.ow - ox; lane < valid; lane = end, end += s.ow) {
      const int64_t hi = end < valid ? end : valid;
      d.runs[d.nruns++] = static_cast<__mmask16>(((1u << hi) - 1u) & ~((1u << lane) - 1u));
    }
  }
  // Input offset of every patch row of the block, then one half-panel at a time down all
  // its rows: the stores run sequentially through the panel and the half's masks stay in
  // registers.
  std::vector<int64_t>& koff = t_row_offsets;
  koff.resize(static_cast<size_t>(kc));
  const int64_t plane = s.hp * s.wp;
  int64_t kx = k0 % s.kw, ky = (k0 / s.kw) % s.kh, c = k0 / (s.kw * s.kh);
  for (int64_t kk = 0; kk < kc; ++kk) {
    koff[static_cast<size_t>(kk)] = c * plane + ky * s.dh * s.wp + kx * s.dw;
    if (++kx == s.kw) {
      kx = 0;
      if (++ky == s.kh) {
        ky = 0;
        ++c;
      }
    }
  }
  const int64_t* off = koff.data();
  for (int64_t h = 0; h < halves; ++h) {
    const Half& d = hs[static_cast<size_t>(h)];
    const float* src = s.xp + d.base;
    float* out = dst + d.dst;
    if (d.nruns <= 2) {
      // Output rows of >= 16 positions: at most one row break in 16 lanes.
      const __mmask16 m0 = d.nruns > 0 ? d.runs[0] : 0, m1 = d.nruns > 1 ? d.runs[1] : 0;
      for (int64_t kk = 0; kk < kc; ++kk) {
        const float* p = src + off[kk];
        const __m512 v = _mm512_mask_loadu_ps(_mm512_maskz_loadu_ps(m0, p), m1, p + gap);
        _mm512_storeu_ps(out + kk * nr, v);
      }
    } else {
      for (int64_t kk = 0; kk < kc; ++kk) {
        const float* p = src + off[kk];
        __m512 v = _mm512_maskz_loadu_ps(d.runs[0], p);
        for (int r = 1; r < d.nruns; ++r) v = _mm512_mask_loadu_ps(v, d.runs[r], p + r * gap);
        _mm512_storeu_ps(out + kk * nr, v);
      }
    }
  }
}

void im2col_pack_avx512(const void* ctx, int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* dst) {
  const Im2colSource& s = *static_cast<const Im2colSource*>(ctx);
  if (s.sw == 1) pack<1>(s, k0, kc, n0, nc, nr, dst);
  else if (s.sw == 2) pack<2>(s, k0, kc, n0, nc, nr, dst);
  else pack<0>(s, k0, kc, n0, nc, nr, dst);
}

}  // namespace braid::detail
