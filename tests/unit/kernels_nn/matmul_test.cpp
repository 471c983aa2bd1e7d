// MatMul, Gemm and Einsum against double-precision references: broadcast batch dims,
// 1-D operands, prepacked constant B, transposes, every C broadcast form, non-f32 dtypes,
// Einsum's contraction/transpose/reduction/diagonal forms, empty tensors and bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>

#include "kernels/cpu_features.h"
#include "nn_op_runner.h"

namespace braid::detail {
namespace {

Tensor random_f32(const Shape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  Tensor t = Tensor::empty(DataType::kFloat32, shape).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = d(rng);
  return t;
}

template <class T>
Tensor random_typed(DataType dt, const Shape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  Tensor t = Tensor::empty(dt, shape).value();
  for (int64_t i = 0; i < t.numel(); ++i) t.data<T>()[i] = static_cast<T>(static_cast<int>(rng() % 9) - 4);
  return t;
}

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Row-major multi-index of flat index i in shape s.
std::vector<int64_t> unravel(int64_t i, const Shape& s) {
  std::vector<int64_t> idx(s.size());
  for (size_t d = s.size(); d-- > 0;) {
    idx[d] = i % s[d];
    i /= s[d];
  }
  return idx;
}

// numpy matmul in double.
std::vector<double> matmul_reference(const Tensor& a, const Tensor& b, Shape& out_shape) {
  Shape as = a.shape(), bs = b.shape();
  const bool av = as.size() == 1, bv = bs.size() == 1;
  if (av) as.insert(as.begin(), 1);
  if (bv) bs.push_back(1);
  const int64_t m = as[as.size() - 2], k = as.back(), n = bs.back();
  const size_t r = std::max(as.size(), bs.size()) - 2;
  Shape batch(r, 1), ab(r, 1), bb(r, 1);
  for (size_t i = 0; i < as.size() - 2; ++i) ab[r - (as.size() - 2) + i] = as[i];
  for (size_t i = 0; i < bs.size() - 2; ++i) bb[r - (bs.size() - 2) + i] = bs[i];
  for (size_t i = 0; i < r; ++i) batch[i] = std::max(ab[i], bb[i]);
  out_shape = batch;
  if (!av) out_shape.push_back(m);
  if (!bv) out_shape.push_back(n);
  std::vector<double> y(static_cast<size_t>(numel(batch) * m * n));
  for (int64_t bi = 0; bi < numel(batch); ++bi) {
    const auto idx = unravel(bi, batch);
    int64_t ao = 0, bo = 0;
    for (size_t d = 0; d < r; ++d) {
      ao = ao * ab[d] + (ab[d] == 1 ? 0 : idx[d]);
      bo = bo * bb[d] + (bb[d] == 1 ? 0 : idx[d]);
    }
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p)
          s += static_cast<double>(a.data<float>()[ao * m * k + i * k + p]) * b.data<float>()[bo * k * n + p * n + j];
        y[static_cast<size_t>(bi * m * n + i * n + j)] = s;
      }
  }
  return y;
}

void expect_close(const Tensor& t, const std::vector<double>& ref, double tol, const std::string& what) {
  ASSERT_EQ(t.numel(), static_cast<int64_t>(ref.size())) << what;
  for (size_t i = 0; i < ref.size(); ++i)
    ASSERT_NEAR(t.data<float>()[i], ref[i], tol * (1 + std::fabs(ref[i]))) << what << " at " << i;
}

TEST(MatMul, BroadcastBatchDimsAndVectors) {
  const std::vector<std::pair<Shape, Shape>> cases = {
      {{3, 4}, {4, 5}},          {{2, 3, 4}, {2, 4, 5}},    {{1, 2, 3, 4}, {1, 2, 4, 3}},
      {{2, 1, 3, 4}, {5, 4, 2}}, {{7, 33, 17}, {17, 31}},   {{4}, {4, 6}},
      {{3, 4}, {4}},             {{5}, {5}},                {{2, 3, 5}, {5}},
      {{5}, {3, 5, 2}},          {{1, 1}, {1, 1}},          {{65, 300}, {300, 70}},
  };
  uint32_t seed = 1;
  for (const auto& [as, bs] : cases) {
    for (bool constant_b : {false, true}) {
      Tensor a = random_f32(as, seed++), b = random_f32(bs, seed++);
      Shape want;
      const auto ref = matmul_reference(a, b, want);
      OpRunner r("MatMul", 13);
      r.input(a);
      if (constant_b) r.constant(b);
      else r.input(b);
      auto y = r.run(2);
      ASSERT_TRUE(y.ok()) << y.status().to_string();
      ASSERT_EQ((*y)[0].shape(), want) << shape_to_string(as) << " x " << shape_to_string(bs);
      expect_close((*y)[0], ref, 1e-5, shape_to_string(as) + " x " + shape_to_string(bs));
    }
  }
}

TEST(MatMul, EveryIsaVariant) {
  for (const char* isa : {"scalar", "avx2", "avx512"}) {
    set_isa_cap_for_testing(isa);
    Tensor a = random_f32({3, 17, 33}, 5), b = random_f32({33, 65}, 6);
    Shape want;
    const auto ref = matmul_reference(a, b, want);
    OpRunner r("MatMul", 13);
    r.input(a).constant(b);
    auto y = r.run();
    ASSERT_TRUE(y.ok());
    expect_close((*y)[0], ref, 1e-5, isa);
  }
  set_isa_cap_for_testing("");
}

TEST(MatMul, ManyRowsTakeDeeperKBlocks) {
  // 2 x 40 = 80 rows known at load and K = 600: B is packed in K blocks of 512 (two blocks,
  // the second short), on every variant.
  for (const char* isa : {"scalar", "avx2", "avx512"}) {
    set_isa_cap_for_testing(isa);
    Tensor a = random_f32({2, 40, 600}, 7), b = random_f32({600, 70}, 8);
    Shape want;
    const auto ref = matmul_reference(a, b, want);
    OpRunner r("MatMul", 13);
    r.input(a).constant(b);
    auto y = r.run(2);
    ASSERT_TRUE(y.ok());
    expect_close((*y)[0], ref, 1e-4, isa);
  }
  set_isa_cap_for_testing("");
}

TEST(MatMul, IntegerAndDoubleDtypes) {
  Tensor a = random_typed<int64_t>(DataType::kInt64, {2, 3, 4}, 1), b = random_typed<int64_t>(DataType::kInt64, {4, 2}, 2);
  OpRunner r("MatMul", 13);
  r.input(a).input(b);
  auto y = r.run();
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  for (int64_t bi = 0; bi < 2; ++bi)
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 2; ++j) {
        int64_t s = 0;
        for (int64_t p = 0; p < 4; ++p) s += a.data<int64_t>()[bi * 12 + i * 4 + p] * b.data<int64_t>()[p * 2 + j];
        EXPECT_EQ((*y)[0].data<int64_t>()[bi * 6 + i * 2 + j], s);
      }
  Tensor ad = Tensor::empty(DataType::kFloat64, {2, 3}).value(), bd = Tensor::empty(DataType::kFloat64, {3, 1}).value();
  for (int i = 0; i < 6; ++i) ad.data<double>()[i] = 0.5 * i;
  for (int i = 0; i < 3; ++i) bd.data<double>()[i] = 1.0 + i;
  OpRunner rd("MatMul", 13);
  rd.input(ad).input(bd);
  auto yd = rd.run();
  ASSERT_TRUE(yd.ok());
  EXPECT_DOUBLE_EQ((*yd)[0].data<double>()[0], 0.0 * 1 + 0.5 * 2 + 1.0 * 3);
  EXPECT_DOUBLE_EQ((*yd)[0].data<double>()[1], 1.5 * 1 + 2.0 * 2 + 2.5 * 3);
}

TEST(MatMul, EmptyAndZeroK) {
  OpRunner r("MatMul", 13);
  r.input(Tensor::empty(DataType::kFloat32, {0, 4}).value()).input(random_f32({4, 3}, 1));
  auto y = r.run();
  ASSERT_TRUE(y.ok());
  EXPECT_EQ((*y)[0].shape(), (Shape{0, 3}));
  OpRunner rk("MatMul", 13);
  rk.input(Tensor::empty(DataType::kFloat32, {2, 0}).value()).input(Tensor::empty(DataType::kFloat32, {0, 3}).value());
  auto yk = rk.run();
  ASSERT_TRUE(yk.ok());
  for (int i = 0; i < 6; ++i) EXPECT_EQ((*yk)[0].data<float>()[i], 0.0f);
}

TEST(MatMul, RejectsBadInput) {
  OpRunner r("MatMul", 13);
  r.input(random_f32({2, 3}, 1)).input(random_f32({4, 2}, 2));
  auto y = r.run();
  ASSERT_FALSE(y.ok());
  EXPECT_EQ(y.status().code(), StatusCode::kInvalidArgument);
  OpRunner rb("MatMul", 13);
  rb.input(random_f32({2, 2, 3}, 1)).input(random_f32({3, 3, 2}, 2));
  EXPECT_EQ(rb.run().status().code(), StatusCode::kInvalidArgument);
  OpRunner rs("MatMul", 13);
  rs.input(random_f32({}, 1)).input(random_f32({3}, 2));
  EXPECT_EQ(rs.run().status().code(), StatusCode::kInvalidArgument);
  OpRunner rt("MatMul", 13);
  rt.input(Tensor::zeros(DataType::kBool, {2, 2}).value()).input(Tensor::zeros(DataType::kBool, {2, 2}).value());
  EXPECT_EQ(rt.create().code(), StatusCode::kUnsupportedOp);
}

// ---------------------------------------------------------------- Gemm

TEST(Gemm, TransposesAlphaBetaAndEveryCBroadcast) {
  const int64_t m = 7, n = 19, k = 33;
  const std::vector<Shape> c_shapes = {{}, {1}, {n}, {1, n}, {m, 1}, {m, n}};
  uint32_t seed = 10;
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (const Shape& cs : c_shapes)
        for (float beta : {1.0f, 0.5f, 0.0f})
          for (bool constant : {false, true}) {
            Tensor a = random_f32(ta ? Shape{k, m} : Shape{m, k}, seed++);
            Tensor b = random_f32(tb ? Shape{n, k} : Shape{k, n}, seed++);
            Tensor c = random_f32(cs, seed++);
            const float alpha = 0.75f;
            OpRunner r("Gemm", 13);
            r.input(a);
            if (constant) r.constant(b).constant(c);
            else r.input(b).input(c);
            r.attr_int("transA", ta).attr_int("transB", tb).attr_float("alpha", alpha).attr_float("beta", beta);
            auto y = r.run();
            ASSERT_TRUE(y.ok()) << y.status().to_string();
            std::vector<double> ref(static_cast<size_t>(m * n));
            for (int64_t i = 0; i < m; ++i)
              for (int64_t j = 0; j < n; ++j) {
                double s = 0;
                for (int64_t p = 0; p < k; ++p)
                  s += static_cast<double>(ta ? a.data<float>()[p * m + i] : a.data<float>()[i * k + p]) *
                       (tb ? b.data<float>()[j * k + p] : b.data<float>()[p * n + j]);
                const int64_t ci = cs.size() == 2 && cs[0] != 1 ? i : 0;
                const int64_t cj = !cs.empty() && cs.back() != 1 ? j : 0;
                const int64_t cols = cs.empty() ? 1 : cs.back();
                ref[static_cast<size_t>(i * n + j)] = alpha * s + beta * c.data<float>()[ci * cols + cj];
              }
            expect_close((*y)[0], ref, 1e-5, "Gemm C" + shape_to_string(cs));
          }
}

TEST(Gemm, OptionalCAndOtherDtypes) {
  OpRunner r("Gemm", 13);
  r.input(random_f32({4, 5}, 1)).input(random_f32({5, 3}, 2));
  auto y = r.run();
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ((*y)[0].shape(), (Shape{4, 3}));
  OpRunner r6("Gemm", 6);
  r6.input(random_f32({4, 5}, 1)).input(random_f32({5, 3}, 2));
  EXPECT_EQ(r6.create().code(), StatusCode::kInvalidArgument);  // C required before opset 11
  Tensor a = random_typed<int32_t>(DataType::kInt32, {2, 3}, 3), b = random_typed<int32_t>(DataType::kInt32, {3, 2}, 4);
  Tensor c = random_typed<int32_t>(DataType::kInt32, {2}, 5);
  OpRunner ri("Gemm", 13);
  ri.input(a).input(b).input(c).attr_float("alpha", 2.0f);
  auto yi = ri.run();
  ASSERT_TRUE(yi.ok()) << yi.status().to_string();
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      int32_t s = 0;
      for (int p = 0; p < 3; ++p) s += a.data<int32_t>()[i * 3 + p] * b.data<int32_t>()[p * 2 + j];
      EXPECT_EQ((*yi)[0].data<int32_t>()[i * 2 + j], 2 * s + c.data<int32_t>()[j]);
    }
}

TEST(Gemm, RejectsBadInput) {
  OpRunner r("Gemm", 13);
  r.input(random_f32({4, 5}, 1)).input(random_f32({6, 3}, 2));
  EXPECT_EQ(r.run().status().code(), StatusCode::kInvalidArgument);
  OpRunner rc("Gemm", 13);
  rc.input(random_f32({4, 5}, 1)).input(random_f32({5, 3}, 2)).input(random_f32({2, 3}, 3));
  EXPECT_EQ(rc.run().status().code(), StatusCode::kInvalidArgument);
  OpRunner r3("Gemm", 13);
  r3.input(random_f32({2, 4, 5}, 1)).input(random_f32({5, 3}, 2));
  EXPECT_EQ(r3.run().status().code(), StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------- Einsum

struct EinsumCase {
  std::string equation;
  std::vector<Shape> shapes;
  Shape out;
  // Reference: value at output multi-index from the inputs.
  std::function<double(const std::vector<Tensor>&, const std::vector<int64_t>&)> at;
};

double f(const Tensor& t, std::initializer_list<int64_t> idx) {
  int64_t off = 0;
  size_t d = 0;
  for (int64_t i : idx) off = off * t.dim(d++) + i;
  return t.data<float>()[off];
}

TEST(Einsum, CommonFormsMatchReference) {
  const std::vector<EinsumCase> cases = {
      {"ij,jk->ik", {{5, 7}, {7, 3}}, {5, 3},
       [](const auto& in, const auto& o) {
         double s = 0;
         for (int64_t j = 0; j < 7; ++j) s += f(in[0], {o[0], j}) * f(in[1], {j, o[1]});
         return s;
       }},
      {"bij,bjk->bik", {{2, 3, 4}, {2, 4, 5}}, {2, 3, 5},
       [](const auto& in, const auto& o) {
         double s = 0;
         for (int64_t j = 0; j < 4; ++j) s += f(in[0], {o[0], o[1], j}) * f(in[1], {o[0], j, o[2]});
         return s;
       }},
      {"ij,kj", {{3, 4}, {5, 4}}, {3, 5},  // implicit output "ik"
       [](const auto& in, const auto& o) {
         double s = 0;
         for (int64_t j = 0; j < 4; ++j) s += f(in[0], {o[0], j}) * f(in[1], {o[1], j});
         return s;
       }},
      {"bhqd,bhkd->bhqk", {{1, 2, 3, 4}, {1, 2, 5, 4}}, {1, 2, 3, 5},
       [](const auto& in, const auto& o) {
         double s = 0;
         for (int64_t d = 0; d < 4; ++d) s += f(in[0], {o[0], o[1], o[2], d}) * f(in[1], {o[0], o[1], o[3], d});
         return s;
       }},
      {"ij->ji", {{3, 4}}, {4, 3}, [](const auto& in, const auto& o) { return f(in[0], {o[1], o[0]}); }},
      {"ij->", {{3, 4}}, {},
       [](const auto& in, const auto&) {
         double s = 0;
         for (int64_t i = 0; i < 12; ++i) s += in[0].template data<float>()[i];
         return s;
       }},
      {"ij->i", {{3, 4}}, {3},
       [](const auto& in, const auto& o) {
         double s = 0;
         for (int64_t j = 0; j < 4; ++j) s += f(in[0], {o[0], j});
         return s;
       }},
      {"ii->i", {{4, 4}}, {4}, [](const auto& in, const auto& o) { return f(in[0], {o[0], o[0]}); }},
      {"...ii->...i", {{3, 5, 5}}, {3, 5}, [](const auto& in, const auto& o) { return f(in[0], {o[0], o[1], o[1]}); }},
      {"i,i", {{5}, {5}}, {},
       [](const auto& in, const auto&) {
         double s = 0;
         for (int64_t i = 0; i < 5; ++i) s += f(in[0], {i}) * f(in[1], {i});
         return s;
       }},
      {"i,j->ij", {{3}, {4}}, {3, 4}, [](const auto& in, const auto& o) { return f(in[0], {o[0]}) * f(in[1], {o[1]}); }},
      {"...ij,...jk->...ik", {{1, 2, 3}, {4, 3, 2}}, {4, 2, 2},
       [](const auto& in, const auto& o) {
         double s = 0;
         for (int64_t j = 0; j < 3; ++j) s += f(in[0], {0, o[1], j}) * f(in[1], {o[0], j, o[2]});
         return s;
       }},
      {"ij,jk,kl->il", {{2, 3}, {3, 4}, {4, 2}}, {2, 2},
       [](const auto& in, const auto& o) {
         double s = 0;
         for (int64_t j = 0; j < 3; ++j)
           for (int64_t k = 0; k < 4; ++k) s += f(in[0], {o[0], j}) * f(in[1], {j, k}) * f(in[2], {k, o[1]});
         return s;
       }},
      {"ij,jk->ki", {{33, 20}, {20, 17}}, {17, 33},
       [](const auto& in, const auto& o) {
         double s = 0;
         for (int64_t j = 0; j < 20; ++j) s += f(in[0], {o[1], j}) * f(in[1], {j, o[0]});
         return s;
       }},
  };
  uint32_t seed = 50;
  for (const EinsumCase& c : cases) {
    std::vector<Tensor> in;
    OpRunner r("Einsum", 12);
    for (const Shape& s : c.shapes) {
      in.push_back(random_f32(s, seed++));
      r.input(in.back());
    }
    r.attr_string("equation", c.equation);
    auto y = r.run();
    ASSERT_TRUE(y.ok()) << c.equation << ": " << y.status().to_string();
    ASSERT_EQ((*y)[0].shape(), c.out) << c.equation;
    for (int64_t i = 0; i < numel(c.out); ++i) {
      const double want = c.at(in, unravel(i, c.out));
      ASSERT_NEAR((*y)[0].data<float>()[i], want, 1e-5 * (1 + std::fabs(want))) << c.equation << " at " << i;
    }
  }
}

TEST(Einsum, DoubleDtype) {
  Tensor a = Tensor::empty(DataType::kFloat64, {2, 3}).value(), b = Tensor::empty(DataType::kFloat64, {3, 2}).value();
  for (int i = 0; i < 6; ++i) {
    a.data<double>()[i] = i + 1;
    b.data<double>()[i] = 0.5 * i;
  }
  OpRunner r("Einsum", 12);
  r.input(a).input(b).attr_string("equation", "ij,jk->ik");
  auto y = r.run();
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_DOUBLE_EQ((*y)[0].data<double>()[0], 1 * 0.0 + 2 * 1.0 + 3 * 2.0);
}

TEST(Einsum, RejectsBadInput) {
  OpRunner r("Einsum", 12);
  r.input(random_f32({2, 3}, 1)).input(random_f32({4, 2}, 2)).attr_string("equation", "ij,jk->ik");
  EXPECT_EQ(r.run().status().code(), StatusCode::kInvalidArgument);  // j: 3 vs 4
  OpRunner r2("Einsum", 12);
  r2.input(random_f32({2, 3}, 1)).attr_string("equation", "ij,jk->ik");
  EXPECT_EQ(r2.create().code(), StatusCode::kInvalidArgument);  // two operands, one input
  OpRunner r3("Einsum", 12);
  r3.input(random_f32({2, 3}, 1)).attr_string("equation", "ij->iz");
  EXPECT_EQ(r3.run().status().code(), StatusCode::kInvalidArgument);
  OpRunner r4("Einsum", 12);
  r4.input(random_f32({2, 3, 4}, 1)).attr_string("equation", "ij->i");
  EXPECT_EQ(r4.run().status().code(), StatusCode::kInvalidArgument);
  OpRunner r5("Einsum", 12);
  r5.input(random_f32({2, 3}, 1)).attr_string("equation", "i1->i");
  EXPECT_EQ(r5.create().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace braid::detail
