// gradgen_bench: times one training step (forward + backward + SGD update) of each workload
// for the gradgen-generated code and the baselines, in one process, after checking that all
// implementations produce the same losses from the same weights. See bench/README.md.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <xmmintrin.h>
#include <pmmintrin.h>

#include "impl.h"
#include "machine.h"
#include "report.h"

namespace bench {
namespace {

struct Options {
  int reps = 15;               // timed repetitions per implementation; the median is reported
  double rep_seconds = 0.02;   // each repetition runs enough steps to last about this long
  double max_seconds = 5;      // per implementation: fewer repetitions (at least 3) past this
  int check_steps = 3;         // steps whose losses must agree before anything is timed
  int peak_trials = 5;
  std::vector<int> threads{1, 2};
  std::string only;            // comma-separated workload ids; empty = all
  bool check_only = false;     // only the loss agreement check: no timing, no table
  bool blas_kernel = false;    // print the OpenBLAS kernel chosen at start-up and exit
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "gradgen_bench: %s\nusage: gradgen_bench [--quick] [--reps N] [--rep-ms MS] "
               "[--threads 1,2] [--only W1,W2,W3] [--check-steps N] [--check-only] [--blas-kernel]\n",
               msg);
  std::exit(2);
}

std::vector<int> parse_ints(const std::string& s) {
  std::vector<int> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = s.find(',', i);
    if (j == std::string::npos) j = s.size();
    out.push_back(std::stoi(s.substr(i, j - i)));
    i = j + 1;
  }
  return out;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value after " + a).c_str());
      return argv[++i];
    };
    try {
      if (a == "--quick") o.reps = 5, o.rep_seconds = 0.005, o.peak_trials = 2, o.max_seconds = 1;
      else if (a == "--reps") o.reps = std::max(1, std::stoi(value()));
      else if (a == "--rep-ms") o.rep_seconds = std::max(0.1, std::stod(value())) / 1000;
      else if (a == "--threads") o.threads = parse_ints(value());
      else if (a == "--only") o.only = "," + value() + ",";
      else if (a == "--check-steps") o.check_steps = std::max(2, std::stoi(value()));
      else if (a == "--check-only") o.check_only = true;
      else if (a == "--blas-kernel") o.blas_kernel = true;
      else if (a == "--help" || a == "-h") usage("help");
      else usage(("unknown argument " + a).c_str());
    } catch (const std::logic_error&) {
      usage(("bad value for " + a).c_str());
    }
  }
  return o;
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// How one implementation is timed: steps per repetition and how many repetitions.
struct Calibration {
  long inner = 1;
  int reps = 1;
};

// Warms up while sizing the inner loop so that a repetition lasts about rep_seconds; fewer
// repetitions (but at least 3) when they would take more than max_seconds, so that a slow
// implementation does not stall the run.
Calibration calibrate(Impl& impl, const Options& o) {
  long n = 1;
  double t = 0;
  for (;;) {
    const auto t0 = Clock::now();
    for (long i = 0; i < n; ++i) impl.step();
    t = seconds_since(t0);
    if (t >= o.rep_seconds / 4 || n >= (1L << 26)) break;
    n *= 4;
  }
  const double per_step = t / static_cast<double>(n);
  const long inner = std::max(1L, std::lround(o.rep_seconds / per_step));
  return {inner, std::clamp(static_cast<int>(o.max_seconds / (per_step * inner)), std::min(3, o.reps), o.reps)};
}

// One repetition: an untimed step (this implementation's data back in cache after another
// one ran), then `inner` timed steps; seconds per step.
double time_rep(Impl& impl, long inner) {
  impl.step();
  const auto t0 = Clock::now();
  for (long i = 0; i < inner; ++i) impl.step();
  return seconds_since(t0) / static_cast<double>(inner);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The heap footprint of one implementation, independent of what the others hold: what it keeps
// after construction plus the largest transient allocation of its steps.
struct Entry {
  ImplSpec spec;
  std::unique_ptr<Impl> impl;
  std::vector<double> losses;
  long long heap_construct = 0, heap_state = 0, heap_steps = 0;
  long long heap() const { return std::max(heap_construct, heap_state + heap_steps); }
};

template <class F>
long long transient_peak(F&& f) {
  const long long before = heap_live();
  reset_heap_peak();
  f();
  return heap_peak() - before;
}

std::vector<ImplSpec> specs_for(const Problem& p) {
  std::vector<ImplSpec> s = gradgen_impls(p);
  if (p.id == "W1")
    s.push_back({"hand-written, specialised B=" + std::to_string(p.batch), Role::Hand, false, make_hand_w1});
  s.push_back({p.id == "W1" ? "OpenBLAS sgemm" : "hand-written + OpenBLAS sgemm", Role::Blas, true, make_blas_mlp});
  s.push_back({"libtorch " + torch_version(), Role::Torch, true, make_torch_mlp});
  return s;
}

// Largest relative difference between two loss sequences.
double loss_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (size_t s = 0; s < a.size() && s < b.size(); ++s)
    d = std::max(d, std::fabs(a[s] - b[s]) / std::max({std::fabs(a[s]), std::fabs(b[s]), 1e-30}));
  return std::isnan(d) ? INFINITY : d;
}

// Every implementation's losses must match the first baseline's, step by step, before
// anything is timed: f32 sums in different orders agree to ~1e-5 after a few SGD steps.
const Entry& check_losses(const Problem& p, int threads, const std::vector<Entry>& es) {
  constexpr double kRtol = 2e-4;
  const Entry& ref = *std::find_if(es.begin(), es.end(), [](const Entry& e) { return !e.spec.gradgen(); });
  bool ok = true;
  for (const Entry& e : es)
    ok = ok && e.losses.size() == ref.losses.size() && loss_diff(e.losses, ref.losses) <= kRtol;
  if (ok) return ref;
  std::fprintf(stderr, "\ngradgen_bench: LOSS MISMATCH on %s batch %d (%d thread%s): relative tolerance %g, "
               "reference %s\n", p.id.c_str(), p.batch, threads, threads > 1 ? "s" : "", kRtol, ref.spec.name.c_str());
  for (const Entry& e : es) {
    std::fprintf(stderr, "  %-40s", e.spec.name.c_str());
    for (double l : e.losses) std::fprintf(stderr, " %.9g", l);
    std::fprintf(stderr, "  (max rel diff %.3g)\n", loss_diff(e.losses, ref.losses));
  }
  std::exit(1);
}

// With several threads, each repetition starts once the other implementations' idle workers
// have gone to sleep: OpenBLAS's spin for about 2^28 cycles after each call (gradgen's GEMM
// pool for a few ms), and a spinning worker holds a core, so the next row's threads would
// share the other one (seen: gradgen's 2-thread W3 rows at 1-thread speed right after the
// OpenBLAS rows). A program uses one library; every row gets the same pause.
void settle(int threads) {
  if (threads > 1) std::this_thread::sleep_for(std::chrono::milliseconds(250));
}

void run_group(const Problem& p, int threads, const Options& o, Report& rep) {
  std::vector<Entry> es;
  for (const ImplSpec& s : specs_for(p)) {
    if (threads > 1 && !s.threaded) continue;
    Entry e{s, nullptr, {}, 0, 0, 0};
    const long long before = heap_live();
    e.heap_construct = transient_peak([&] { e.impl = s.make(p, threads); });
    e.heap_state = heap_live() - before;
    es.push_back(std::move(e));
  }
  for (Entry& e : es) {
    e.impl->activate();
    e.losses.reserve(static_cast<size_t>(o.check_steps));  // the bench's own vector: not billed
    e.heap_steps = transient_peak([&] {
      for (int s = 0; s < o.check_steps; ++s) {
        e.impl->step();
        e.losses.push_back(e.impl->loss());
      }
    });
  }
  const Entry& ref = check_losses(p, threads, es);
  if (o.check_only) {
    double worst = 0;
    for (const Entry& e : es) worst = std::max(worst, loss_diff(e.losses, ref.losses));
    std::printf("%s n=%d, %d thread%s: %zu implementations agree over %d steps (max rel diff %.2g)\n", p.id.c_str(),
                p.batch, threads, threads > 1 ? "s" : "", es.size(), o.check_steps, worst);
    return;
  }
  // Repetitions are interleaved, one of each implementation per round, so that a slow drift of
  // the machine (clock, other processes) lands on every implementation alike, not on whichever
  // happened to run during it. The vectors are reserved here: the harness allocates nothing
  // while it times.
  std::vector<Calibration> cal(es.size());
  std::vector<std::vector<double>> samples(es.size());
  int rounds = 0;
  for (size_t i = 0; i < es.size(); ++i) {
    settle(threads);
    es[i].impl->activate();
    es[i].heap_steps = std::max(es[i].heap_steps, transient_peak([&] { cal[i] = calibrate(*es[i].impl, o); }));
    samples[i].reserve(static_cast<size_t>(cal[i].reps));
    rounds = std::max(rounds, cal[i].reps);
  }
  // Each round ends with a short FMA burst: %peak divides by what the cores delivered while the
  // steps ran, not by a best case from another moment.
  std::vector<double> bursts;
  bursts.reserve(static_cast<size_t>(rounds));
  for (int r = 0; r < rounds; ++r) {
    for (size_t i = 0; i < es.size(); ++i) {
      if (r >= cal[i].reps) continue;
      settle(threads);
      es[i].impl->activate();
      double t = 0;
      es[i].heap_steps = std::max(es[i].heap_steps, transient_peak([&] { t = time_rep(*es[i].impl, cal[i].inner); }));
      samples[i].push_back(t);
    }
    settle(threads);
    bursts.push_back(measure_fp32_burst(threads));
  }
  const double round_peak = median(bursts);
  for (size_t i = 0; i < es.size(); ++i) {
    const Entry& e = es[i];
    const double t = median(samples[i]);
    Result row(p, threads, e.spec.name, e.spec.role, t, cal[i].reps, e.heap(), e.losses,
               loss_diff(e.losses, ref.losses));
    row.round_peak = round_peak;
    rep.add(std::move(row));
    std::fprintf(stderr, "  %s b=%d t=%d %-40s %s\n", p.id.c_str(), p.batch, threads, e.spec.name.c_str(),
                 format_time(t).c_str());
  }
  std::fprintf(stderr, "  %s b=%d t=%d FMA bursts between rounds: median %.1f GFLOP/s (min %.1f, max %.1f)\n",
               p.id.c_str(), p.batch, threads, round_peak, *std::min_element(bursts.begin(), bursts.end()),
               *std::max_element(bursts.begin(), bursts.end()));
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  const Options o = parse(argc, argv);
  if (o.blas_kernel) {  // for bench/run-bench.sh, which may then pick a better one
    std::printf("%s\n", openblas_get_corename());
    return 0;
  }
  // Flush denormals: thousands of SGD steps on one batch drive gradients towards zero, and
  // denormal arithmetic would time the FPU's slow path instead of the implementations.
  _MM_SET_FLUSH_ZERO_MODE(_MM_FLUSH_ZERO_ON);
  _MM_SET_DENORMALS_ZERO_MODE(_MM_DENORMALS_ZERO_ON);

  Report rep;
  rep.machine = describe_machine();
  if (o.check_only) std::printf("%s", rep.machine.c_str());
  rep.reps = std::to_string(o.reps) + " interleaved repetitions (one per implementation per round) of >= " + format_time(o.rep_seconds) + " (fewer, at least 3, where they would take over " +
             format_time(o.max_seconds) + ": column reps)";
  if (!o.check_only)
    for (int t : o.threads) rep.peak[t] = measure_fp32_peak(t, o.peak_trials);
  torch_warm_up();

  const std::vector<Problem> problems = {make_w1(4), make_w1(64), make_w2(64), make_w3(256)};
  for (const Problem& p : problems) {
    if (!o.only.empty() && o.only.find("," + p.id + ",") == std::string::npos) continue;
    for (int t : o.threads) {
      if (t > 1 && p.id == "W1") continue;  // a few hundred FLOPs: nothing to split across threads
      run_group(p, t, o, rep);
    }
  }
  if (!o.check_only) {
    rep.print(stdout);
    rep.print_targets(stdout);
  }
  return 0;
}
