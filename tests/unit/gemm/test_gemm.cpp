// gg::gemm from gradgen/gemm.hpp (gradgen's own blocked GEMM) against a naive long-double
// reference on random data: all four transposition pairs, shapes on both sides of the register
// tiles (8, 6 or 4 rows with AVX-512, AVX2 or neither; 2 vectors of columns: 32 / 16 / 8 f32,
// half that f64) and of the cache blocks (k blocks of at most KC = 1024 f32 or 384 f64; column
// blocks of packed op(B) sized to half the L2, b_block_columns; op(A) packed once across
// column blocks; shapes taken from the build's own constants), narrow C (at
// most two registers of columns: its own kernel, with tiles of 4 to 16 rows and k blocks of
// 128 to 1024), alpha in {1, -0.01, 2}, beta in {0, 1, 0.5} (beta == 0 with C full
// of NaN: C must not be read), k == 0, 1 to 3 threads splitting rows or columns, and guard cells
// on both sides of C that must stay untouched.
//
// tests/CMakeLists.txt compiles this file into one executable per instruction set the header
// has a path for: test_gemm (-mno-avx2 -mno-fma: the portable Scalar4 path), test_gemm_avx2
// (-mavx2 -mfma -mno-avx512f) and test_gemm_avx512 (-mavx512f). GG_GEMM_ISA_AVX2 and
// GG_GEMM_ISA_AVX512 say which one this is; the preprocessor checks below make sure the flags
// really select it.
#include <gradgen/gemm.hpp>

#include <catch2/catch.hpp>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#if defined(GG_GEMM_ISA_AVX512)
#if !defined(__AVX512F__)
#error "test_gemm_avx512 must be compiled with -mavx512f"
#endif
#define GG_TEST_ISA "avx512"
#elif defined(GG_GEMM_ISA_AVX2)
#if !defined(__AVX2__) || !defined(__FMA__) || defined(__AVX512F__)
#error "test_gemm_avx2 must be compiled with -mavx2 -mfma and without -mavx512f"
#endif
#define GG_TEST_ISA "avx2"
#else
#if defined(__AVX2__) || defined(__AVX512F__)
#error "test_gemm (the portable path) must be compiled without AVX2 and AVX-512"
#endif
#define GG_TEST_ISA "portable"
#endif

namespace {

using Index = std::int64_t;

// Whether this CPU runs the instructions this executable was compiled for; when it does not,
// each test says so (WARN) and passes without calling gg::gemm.
bool cpu_runs_this_isa() {
#if defined(GG_GEMM_ISA_AVX512)
  return __builtin_cpu_supports("avx512f");
#elif defined(GG_GEMM_ISA_AVX2)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return true;
#endif
}

#define GG_REQUIRE_ISA()                                                        \
  do {                                                                          \
    if (!cpu_runs_this_isa()) {                                                 \
      WARN("this CPU lacks " GG_TEST_ISA ": the " GG_TEST_ISA " path is not tested here"); \
      return;                                                                   \
    }                                                                           \
  } while (0)

// Deterministic values in [-1, 1) (splitmix64).
struct Rng {
  std::uint64_t s;
  double next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return -1.0 + 2.0 * static_cast<double>(z >> 11) / 9007199254740992.0;
  }
};

template <class T>
std::vector<T> random_values(Index n, Rng& r) {
  std::vector<T> v(static_cast<size_t>(n));
  for (T& x : v) x = static_cast<T>(r.next());
  return v;
}

template <class T>
const char* type_name() {
  return sizeof(T) == 4 ? "float" : "double";
}

constexpr Index kGuard = 19;  // sentinel cells on each side of C
constexpr double kSentinel = -777.25;

// C (m·p cells) between two runs of guard cells.
template <class T>
struct GuardedC {
  std::vector<T> cells;
  explicit GuardedC(Index mp) : cells(static_cast<size_t>(mp + 2 * kGuard), T(kSentinel)) {}
  T* data() { return cells.data() + kGuard; }
  const T* data() const { return cells.data() + kGuard; }
  // The guard cells still hold the sentinel, bit for bit.
  bool guards_intact(Index mp) const {
    const T s = T(kSentinel);
    for (Index i = 0; i < kGuard; ++i)
      if (std::memcmp(&cells[size_t(i)], &s, sizeof(T)) != 0 ||
          std::memcmp(&cells[size_t(kGuard + mp + i)], &s, sizeof(T)) != 0)
        return false;
    return true;
  }
};

struct Shape {
  Index m, k, p;
};

std::string describe(const char* type, bool ta, bool tb, Shape s, double alpha, double beta, int threads) {
  std::ostringstream o;
  o << GG_TEST_ISA << " " << type << " gemm(ta=" << ta << ", tb=" << tb << ", m=" << s.m << ", k=" << s.k
    << ", p=" << s.p << ", alpha=" << alpha << ", beta=" << beta << ") on " << threads << " thread(s)";
  return o.str();
}

// One product C = alpha·op(A)·op(B) + beta·C on random data; C starts as NaN when beta == 0
// (it must not be read), else random.
template <class T>
struct Run {
  std::vector<T> a, b, c0, c;  // c0: C before, c: after (m·p cells each)
  bool guards_intact = false;
};

template <class T>
Run<T> run_gemm(bool ta, bool tb, Shape s, double alpha, double beta, std::uint64_t seed) {
  const Index m = s.m, k = s.k, p = s.p;
  Rng r{seed};
  Run<T> out;
  // A and B exactly sized, so a sanitized build reports any read past them.
  out.a = random_values<T>(m * k, r);
  out.b = random_values<T>(k * p, r);
  GuardedC<T> c(m * p);
  for (Index i = 0; i < m * p; ++i)
    c.data()[i] = T(beta) == T(0) ? std::numeric_limits<T>::quiet_NaN() : static_cast<T>(r.next());
  out.c0.assign(c.data(), c.data() + m * p);
  gg::gemm(ta, tb, m, k, p, T(alpha), out.a.data(), out.b.data(), T(beta), c.data());
  out.c.assign(c.data(), c.data() + m * p);
  out.guards_intact = c.guards_intact(m * p);
  return out;
}

Index count_nans(const std::vector<float>& v) {
  Index n = 0;
  for (float x : v) n += std::isnan(x);
  return n;
}
Index count_nans(const std::vector<double>& v) {
  Index n = 0;
  for (double x : v) n += std::isnan(x);
  return n;
}

// run_gemm checked against the long-double reference; returns the run for comparisons.
template <class T>
Run<T> check_gemm(bool ta, bool tb, Shape s, double alpha_d, double beta_d, std::uint64_t seed) {
  const Run<T> run = run_gemm<T>(ta, tb, s, alpha_d, beta_d, seed);
  const T alpha = T(alpha_d), beta = T(beta_d);
  const Index m = s.m, k = s.k, p = s.p;
  INFO(describe(type_name<T>(), ta, tb, s, alpha_d, beta_d, gg::gemm_threads()));
  CHECK(run.guards_intact);
  CHECK(count_nans(run.c) == 0);
  // Error bound of a k-term dot product in precision T (FMA or not, any summation order),
  // plus alpha's and beta's roundings: (k + 2)·eps·(|alpha|·Σ|a·b| + |beta·c|), eps = 2u.
  const long double eps = std::numeric_limits<T>::epsilon();
  Index bad = 0;
  std::ostringstream first;
  for (Index i = 0; i < m; ++i)
    for (Index j = 0; j < p; ++j) {
      long double sum = 0, mag = 0;
      for (Index l = 0; l < k; ++l) {
        const long double x = ta ? run.a[size_t(l * m + i)] : run.a[size_t(i * k + l)];
        const long double y = tb ? run.b[size_t(j * k + l)] : run.b[size_t(l * p + j)];
        sum += x * y;
        mag += std::fabs(x * y);
      }
      const long double old = run.c0[size_t(i * p + j)];
      const long double want = alpha * sum + (beta == T(0) ? 0.0L : beta * old);
      const long double scale = std::fabs(alpha) * mag + (beta == T(0) ? 0.0L : std::fabs(beta * old));
      const long double tol = (k + 2) * eps * scale;
      const long double got = run.c[size_t(i * p + j)];
      if (!(std::fabs(got - want) <= tol) && bad++ == 0)
        first << "C[" << i << ", " << j << "] = " << static_cast<double>(got) << ", expected "
              << static_cast<double>(want) << " (tolerance " << static_cast<double>(tol) << ")";
    }
  INFO(bad << " of " << m * p << " cells wrong; first: " << first.str());
  CHECK(bad == 0);
  return run;
}

const double kAlphas[] = {1, -0.01, 2};
const double kBetas[] = {0, 1, 0.5};

// Tile edges: rows 4 / 6 / 8, columns 8 to 32 (the cache blocks' edges: see "gemm at the edges
// of its k and column blocks").
const Index kEdges[] = {1, 2, 4, 5, 6, 7, 8, 9, 12, 13, 15, 16, 17, 31, 32, 33, 63, 65, 129, 257};

// Every shape with the four transposition pairs; the nine (alpha, beta) pairs take turns.
template <class T>
void check_shapes(const std::vector<Shape>& shapes, std::uint64_t seed) {
  int turn = 0;
  for (const Shape& s : shapes)
    for (int t = 0; t < 4; ++t, ++turn)
      check_gemm<T>(t & 1, t & 2, s, kAlphas[turn % 3], kBetas[turn / 3 % 3], seed + std::uint64_t(turn));
}

// Each of m, k and p runs through kEdges with the other two fixed at off-tile sizes, and m once
// more with a narrow C (3 columns).
template <class T>
void sweep_edges() {
  std::vector<Shape> shapes;
  for (Index e : kEdges) {
    shapes.push_back({e, 17, 33});
    shapes.push_back({9, e, 33});
    shapes.push_back({9, 17, e});
    shapes.push_back({e, 17, 3});
  }
  check_shapes<T>(shapes, 1000);
}

// Restores one thread however the test ends.
struct Threads {
  explicit Threads(int n) {
    gg::set_gemm_threads(n);
    REQUIRE(gg::gemm_threads() == n);
  }
  ~Threads() { gg::set_gemm_threads(1); }
};

}  // namespace

TEST_CASE("gemm matches a long-double reference at every tile and block edge", "[gemm]") {
  GG_REQUIRE_ISA();
  sweep_edges<float>();
  sweep_edges<double>();
}

TEST_CASE("gemm: every alpha and beta, beta == 0 never reads C (C full of NaN)", "[gemm]") {
  GG_REQUIRE_ISA();
  // k = 1100 is two k blocks (f32 and f64): the second adds to what the first stored over the NaNs.
  for (Shape s : {Shape{9, 17, 33}, Shape{9, 1100, 17}, Shape{33, 8, 65}})
    for (int t = 0; t < 4; ++t)
      for (double alpha : kAlphas)
        for (double beta : kBetas) {
          check_gemm<float>(t & 1, t & 2, s, alpha, beta, 7 + std::uint64_t(t));
          check_gemm<double>(t & 1, t & 2, s, alpha, beta, 11 + std::uint64_t(t));
        }
}

TEST_CASE("gemm spanning several cache blocks", "[gemm]") {
  GG_REQUIRE_ISA();
  // 300 rows: many row tiles; k = 520: one k block (f32) or two (f64); 3100 columns: several
  // column blocks; narrow C with k = 1100: 2 to 9 k blocks of its kernel (one register of
  // columns, then two), 70 rows: an edge tile. {70, 800, 1100}: op(A) packed once in the first
  // block of columns (of 3 to 7) and read back for the others.
  int turn = 0;
  for (Shape s : {Shape{300, 520, 20}, Shape{9, 33, 3100}, Shape{70, 1100, 10}, Shape{70, 1100, 20}, Shape{70, 800, 1100}})
    for (int t = 0; t < 4; ++t, ++turn) {
      const double alpha = kAlphas[turn % 3], beta = kBetas[(turn + 1) % 3];
      check_gemm<float>(t & 1, t & 2, s, alpha, beta, 40 + std::uint64_t(turn));
      check_gemm<double>(t & 1, t & 2, s, alpha, beta, 80 + std::uint64_t(turn));
    }
}

// k on both sides of one and two k blocks, and columns on both sides of one and two column
// blocks, from the constants this build uses (Blocking<T>::KC, b_block_columns<T>).
template <class T>
void sweep_block_edges(std::uint64_t seed) {
  using gg::gemm_detail::Blocking;
  constexpr Index KC = Blocking<T>::KC;
  std::vector<Shape> shapes;
  for (Index k : {KC - 1, KC, KC + 1, 2 * KC + 3}) shapes.push_back({9, k, 33});
  const Index nc = gg::gemm_detail::b_block_columns<T>(KC);
  for (Index p : {nc - 1, nc, nc + 1, 2 * nc + 5}) shapes.push_back({17, KC, p});
  check_shapes<T>(shapes, seed);
}

TEST_CASE("gemm at the edges of its k and column blocks", "[gemm]") {
  GG_REQUIRE_ISA();
  // The blocks are what the tests below are built around: f32 takes k = 1024 in one block,
  // f64 384, and a column block is whole panels (two registers of columns).
  REQUIRE(gg::gemm_detail::Blocking<float>::KC == 1024);
  REQUIRE(gg::gemm_detail::Blocking<double>::KC == 384);
  REQUIRE(gg::gemm_detail::b_block_columns<float>(1024) % gg::gemm_detail::Blocking<float>::NR == 0);
  REQUIRE(gg::gemm_detail::b_block_columns<double>(384) >= gg::gemm_detail::Blocking<double>::NR);
  sweep_block_edges<float>(500);
  sweep_block_edges<double>(600);
}

// Shapes on both sides of each limit of reads_b_in_place (rows of B up to kDirectRowBytes, not a
// multiple of 1 KiB; up to kDirectMaxTiles rows of tiles), each asserted to take the path it is
// meant to, with whole and edge panels and two k blocks.
template <class T>
void sweep_b_in_place(std::uint64_t seed) {
  using namespace gg::gemm_detail;
  constexpr Index MR = Blocking<T>::MR, NR = Blocking<T>::NR, KC = Blocking<T>::KC;
  constexpr Index most_rows = kDirectMaxTiles * MR, widest = kDirectRowBytes / Index(sizeof(T));
  const Index aligned = 1024 / Index(sizeof(T));  // rows 1 KiB long: packed
  struct Case {
    Shape shape;
    bool in_place;
  };
  const Case cases[] = {{{most_rows, 40, 2 * NR}, true},        {{most_rows + 1, 40, 2 * NR}, false},
                        {{9, 23, widest - 3}, true},            {{9, 23, widest + 1}, false},
                        {{9, 23, aligned}, false},              {{9, 23, aligned + 1}, true},
                        {{2 * MR + 3, KC + 5, 3 * NR + 7}, true}, {{1, 7, NR}, true}};
  std::vector<Shape> shapes;
  for (const Case& c : cases) {
    INFO("m = " << c.shape.m << ", p = " << c.shape.p);
    // B is k × p, so its rows are p long; a transposed B is never read in place.
    REQUIRE(reads_b_in_place<T>(false, c.shape.p, c.shape.m) == c.in_place);
    REQUIRE_FALSE(reads_b_in_place<T>(true, c.shape.k, c.shape.m));
    shapes.push_back(c.shape);
  }
  check_shapes<T>(shapes, seed);
}

TEST_CASE("gemm reads short rows of op(B) in place for few rows of tiles, and packs the rest", "[gemm]") {
  GG_REQUIRE_ISA();
  sweep_b_in_place<float>(700);
  sweep_b_in_place<double>(800);
}

TEST_CASE("gemm with k == 0 sets C to beta·C, with m == 0 or p == 0 touches nothing", "[gemm]") {
  GG_REQUIRE_ISA();
  for (double beta : kBetas)
    for (int t = 0; t < 4; ++t) {
      check_gemm<float>(t & 1, t & 2, {7, 0, 33}, 2, beta, 3);
      check_gemm<double>(t & 1, t & 2, {33, 0, 9}, -0.01, beta, 4);
    }
  // No cells at all: only the guards, which must stay as they were.
  for (Shape s : {Shape{0, 5, 7}, Shape{7, 5, 0}, Shape{0, 0, 0}}) {
    check_gemm<float>(false, false, s, 1, 0.5, 5);
    check_gemm<double>(true, true, s, 1, 0, 6);
  }
}

TEST_CASE("gemm on 2 and 3 threads: the same C as on one thread", "[gemm][threads]") {
  GG_REQUIRE_ISA();
  // Large enough (>= 2^18 multiply-adds, at least two register tiles per thread) that C is
  // split between the threads: in columns (the first three; the second spans two k blocks),
  // in rows (the fourth), and a narrow C (the fifth). One thread's C is checked against the
  // reference.
  const Shape shapes[] = {{8, 33, 1000}, {9, 1100, 200}, {130, 16, 130}, {600, 40, 24}, {1000, 30, 10}};
  int turn = 0;
  for (const Shape& s : shapes)
    for (int t = 0; t < 4; ++t, ++turn) {
      const double alpha = kAlphas[turn % 3], beta = kBetas[turn % 3];
      const Run<float> f1 = check_gemm<float>(t & 1, t & 2, s, alpha, beta, 200 + std::uint64_t(turn));
      const Run<double> d1 = check_gemm<double>(t & 1, t & 2, s, alpha, beta, 300 + std::uint64_t(turn));
      for (int threads : {2, 3}) {
        Threads use(threads);
        const Run<float> f = run_gemm<float>(t & 1, t & 2, s, alpha, beta, 200 + std::uint64_t(turn));
        const Run<double> d = run_gemm<double>(t & 1, t & 2, s, alpha, beta, 300 + std::uint64_t(turn));
        INFO(describe("float and double", t & 1, t & 2, s, alpha, beta, threads) << " vs 1 thread");
        CHECK(f.guards_intact);
        CHECK(d.guards_intact);
        CHECK(f.c == f1.c);  // no NaN (checked on one thread): == compares every cell
        CHECK(d.c == d1.c);
      }
    }
  CHECK(gg::gemm_threads() == 1);
}

// One sample's products (m <= 3 rows: forward and input gradient) and outer products (k <= 2:
// a weight gradient at batch 1) skip tiles and packing (row_by_row): every transposition pair,
// alpha and beta (beta == 0 over NaNs), k long enough for the four-chain dot products.
TEST_CASE("gemm of one to three rows, or of k <= 2, row by row", "[gemm]") {
  GG_REQUIRE_ISA();
  int turn = 0;
  for (Index m : {1, 2, 3})
    for (Index k : {1, 2, 5, 100, 300})
      for (Index p : {1, 3, 33, 100})
        for (int t = 0; t < 4; ++t, ++turn) {
          check_gemm<float>(t & 1, t & 2, {m, k, p}, kAlphas[turn % 3], kBetas[turn / 3 % 3], 5000 + std::uint64_t(turn));
          check_gemm<double>(t & 1, t & 2, {m, k, p}, kAlphas[turn % 3], kBetas[turn / 3 % 3], 7000 + std::uint64_t(turn));
        }
  for (Index k : {1, 2})
    for (Shape s : {Shape{9, k, 33}, Shape{300, k, 100}, Shape{70, k, 5}})
      for (int t = 0; t < 4; ++t)
        for (double beta : kBetas) check_gemm<float>(t & 1, t & 2, s, 2, beta, 9000 + std::uint64_t(turn++));
}

// The transposing copy behind every packed op(Bᵀ) and op(A): 16 × 16 register blocks (AVX-512
// floats), 8 × 8 (AVX2 floats) or 4 × 4 (AVX2 doubles), then the strips they leave, for every
// size from 0 to 40 on both sides; and into a panel of op(A) (destination stride 8: AVX-512
// floats transpose 8 × 16 blocks). Nothing outside the destination is written.
template <class T>
void check_copy_transposed(Index dst_stride, Index max_rows) {
  constexpr Index kStride = 50, kMaxCols = 40;
  int bad = 0;
  std::ostringstream first;
  for (Index rows = 0; rows <= max_rows; ++rows)
    for (Index cols = 0; cols <= kMaxCols; ++cols) {
      std::vector<T> src(std::size_t(kStride * (max_rows + 1))), dst(std::size_t(dst_stride * (kMaxCols + 1)), T(-1));
      for (std::size_t i = 0; i < src.size(); ++i) src[i] = T(i);
      gg::gemm_detail::copy_transposed<T>(src.data(), kStride, rows, cols, dst.data(), dst_stride);
      for (Index c = 0; c <= kMaxCols; ++c)
        for (Index r = 0; r < dst_stride; ++r) {
          const T want = r < rows && c < cols ? src[std::size_t(r * kStride + c)] : T(-1);
          if (dst[std::size_t(c * dst_stride + r)] != want && bad++ == 0)
            first << "rows " << rows << ", cols " << cols << ": dst[" << c << ", " << r << "]";
        }
    }
  INFO(bad << " cells wrong; first: " << first.str());
  CHECK(bad == 0);
}

TEST_CASE("gemm's transposing copy, every block size and edge", "[gemm]") {
  GG_REQUIRE_ISA();
  check_copy_transposed<float>(47, 40);
  check_copy_transposed<double>(47, 40);
  check_copy_transposed<float>(8, 8);
  check_copy_transposed<double>(8, 8);
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
// A worker thread that cannot be started (here: no address space left for its stack) leaves the
// pool with the threads it has, instead of ending the program with an uncaught std::system_error.
// Run in a child process, whose address space is capped a few MiB above what it already uses.
TEST_CASE("gemm threads that cannot be started: the product runs on the ones that did", "[gemm][threads]") {
  GG_REQUIRE_ISA();
  const Shape s{130, 16, 130};
  const Run<float> one = run_gemm<float>(false, false, s, 1.0, 0.0, 7);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    long pages = 0;
    if (std::FILE* statm = std::fopen("/proc/self/statm", "r")) {
      if (std::fscanf(statm, "%ld", &pages) != 1) pages = 0;
      std::fclose(statm);
    }
    const rlim_t cap = static_cast<rlim_t>(pages) * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (rlim_t{4} << 20);
    const rlimit limit{cap, cap};
    if (pages == 0 || setrlimit(RLIMIT_AS, &limit) != 0) _exit(3);
    // Each new worker's stack (8 MiB by default) is past the cap. glibc gives the child the
    // stacks of the parent's other threads (earlier tests' workers) for reuse, which need no
    // new address space: so ask for more threads than those could be.
    constexpr int kAsked = 16;
    gg::set_gemm_threads(kAsked);
    const bool fewer = gg::gemm_threads() < kAsked;
    const Run<float> got = run_gemm<float>(false, false, s, 1.0, 0.0, 7);
    _exit(!fewer ? 11 : !got.guards_intact ? 12 : got.c != one.c ? 13 : 0);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  INFO("child status " << status << " (exit 11: all threads started, 12: C's guards overwritten, 13: C differs)");
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
#endif
