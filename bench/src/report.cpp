// Formats the benchmark table and the machine description that heads it.
#include "report.h"

#include <cblas.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "machine.h"

namespace bench {
namespace {

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string format_bytes(long long b) {
  if (b < 10 * 1024) return std::to_string(b) + " B";
  if (b < 10 * 1024 * 1024) return fmt("%.1f KiB", b / 1024.0);
  return fmt("%.1f MiB", b / (1024.0 * 1024.0));
}

std::string first_line_of(const char* path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    if (key.empty() || line.rfind(key, 0) == 0) return key.empty() ? line : line.substr(line.find(':') + 2);
  return "?";
}

std::string env_or_unset(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::string(name) + "=" + v : std::string(name) + " unset";
}

// The row with `role` in the workload of r: same threads, else 1 thread; nullptr if none.
const Result* find_row(const std::vector<Result>& rows, const std::string& workload, int threads, Role role) {
  const Result* one = nullptr;
  for (const Result& g : rows) {
    if (g.role != role || g.workload != workload) continue;
    if (g.threads == threads) return &g;
    if (g.threads == 1 && !one) one = &g;
  }
  return one;
}

// The gradgen row the others are compared with: the reference variant, or the only generated
// one when the bench was built without the bound variants.
const Result* reference(const std::vector<Result>& rows, const Result& r) {
  const Result* g = find_row(rows, r.workload, r.threads, Role::Reference);
  return g ? g : find_row(rows, r.workload, r.threads, Role::GradgenFree);
}

}  // namespace

Result::Result(const Problem& p, int t, std::string name, Role rl, double sec, int n, long long h,
               std::vector<double> l, double diff)
    : workload(p.id + " n=" + std::to_string(p.batch)), title(p.title), flops(p.flops_per_step()),
      threads(t), impl(std::move(name)), role(rl), seconds(sec), reps(n), heap(h), losses(std::move(l)),
      loss_diff(diff) {}

std::string format_time(double s) {
  if (s < 1e-6) return fmt("%.1f ns", s * 1e9);
  if (s < 1e-3) return fmt("%.2f us", s * 1e6);
  if (s < 1) return fmt("%.3f ms", s * 1e3);
  return fmt("%.3f s", s);
}

std::string describe_machine() {
  std::string s = "cpu: " + first_line_of("/proc/cpuinfo", "model name") + ", " +
                  std::to_string(std::thread::hardware_concurrency()) + " logical CPUs; load average " +
                  first_line_of("/proc/loadavg", "") + "\n";
  s += std::string("OpenBLAS: ") + openblas_get_config() + "; kernel in use: " + openblas_get_corename() +
       " (" + env_or_unset("OPENBLAS_CORETYPE") + ", " + env_or_unset("OPENBLAS_L2_SIZE") + "); " +
       env_or_unset("OMP_WAIT_POLICY") + "\n";
  return s;
}

void Report::print(std::FILE* out) const {
  std::fprintf(out, "\n== gradgen bench: one training step = forward + backward + SGD update, fp32 ==\n");
  std::fprintf(out, "%s", machine.c_str());
  std::fprintf(out, "fp32 peak (%s register-blocked loop, best of the trials before timing, per-thread CPU time):",
               peak_isa());
  for (const auto& [t, g] : peak) std::fprintf(out, "  %d thread%s %.1f GFLOP/s", t, t > 1 ? "s" : "", g);
  std::fprintf(out, "\n%%peak = GFLOP/s / the median of the same loop's bursts run between the rounds of that "
                    "workload (column 'peak'); %%best = GFLOP/s / the best-of peak above");
  std::fprintf(out, "\ntime = median over %s\nx gradgen = time / the time of the workload's first row, gradgen --bind --fuse-step (>1: slower than gradgen)\n\n",
               reps.c_str());
  const char* head = "%-9s %-36s %-40s %3s %11s %4s %9s %8s %6s %6s %6s %10s %11s %8s\n";
  std::fprintf(out, head, "workload", "network", "implementation", "thr", "time/step", "reps", "x gradgen",
               "GFLOP/s", "peak", "%peak", "%best", "heap peak", "loss@check", "rel.diff");
  std::string last;
  for (const Result& r : rows) {
    if (!last.empty() && last != r.workload) std::fprintf(out, "\n");
    last = r.workload;
    const Result* g = reference(rows, r);
    std::string ratio = g ? fmt("%.3g", r.seconds / g->seconds) + (g->threads != r.threads ? "*" : "") : "n/a";
    const double gflops = r.gflops();
    auto pk = peak.find(r.threads);
    std::fprintf(out, "%-9s %-36s %-40s %3d %11s %4d %9s %8.2f %6.1f %5.1f%% %5.1f%% %10s %11.6g %8.1e\n",
                 r.workload.c_str(), r.title.c_str(), r.impl.c_str(), r.threads, format_time(r.seconds).c_str(), r.reps,
                 ratio.c_str(), gflops, r.round_peak, r.round_peak > 0 ? 100.0 * gflops / r.round_peak : 0.0,
                 pk == peak.end() ? 0.0 : 100.0 * gflops / pk->second, format_bytes(r.heap).c_str(),
                 r.losses.empty() ? 0.0 : r.losses.back(), r.loss_diff);
  }
  std::fprintf(out,
               "\nnotes: GFLOP/s counts model FLOPs (3 matmuls per layer, 2 for the first, plus the update),\n"
               "  not elementwise work. heap peak = bytes from the malloc family (libraries included) held\n"
               "  by the implementation's state plus its largest transient during steps; OpenBLAS's own\n"
               "  mmap'd buffers are not seen. '*' = gradgen is single-threaded: ratio to its 1-thread time.\n"
               "  loss@check = loss after the check steps; rel.diff = largest relative difference of any\n"
               "  check-step loss from the first baseline's (the run stops before timing if one exceeds 2e-4).\n"
               "  Shared machine: other processes on these cores make the timings indicative only.\n");
  std::fprintf(out, "process max RSS %s; load average at end %s\n", format_bytes(max_rss()).c_str(),
               first_line_of("/proc/loadavg", "").c_str());
}

namespace {

const char* role_label(Role r) {
  switch (r) {
    case Role::Reference: return "train_step";
    case Role::Gradgen: return "gradgen";
    case Role::GradgenFree: return "train_step, n at run time";
    case Role::Hand: return "hand-written";
    case Role::Blas: return "OpenBLAS";
    case Role::Torch: return "libtorch";
  }
  return "?";
}

// One target: the time of row `num` over the time of row `den` (or, with `den` == num, the
// reference row's fraction of the FMA peak), at most or at least `bound`.
struct Target {
  const char* workload;
  int threads;
  Role num, den;
  double bound;
  bool at_most;
};

// The targets of the performance issue (bench/README.md). "train_step" is the generated step
// with the batch bound and the update fused, as the hand-written and OpenBLAS baselines do it.
const Target kTargets[] = {
    {"W1 n=4", 1, Role::Reference, Role::Hand, 1.1, true},
    {"W1 n=4", 1, Role::Torch, Role::Reference, 500, false},
    {"W1 n=4", 1, Role::GradgenFree, Role::Hand, 1.5, true},
    {"W2 n=64", 1, Role::Reference, Role::Blas, 1.0, true},
    {"W2 n=64", 1, Role::Torch, Role::Reference, 1.5, false},
    {"W3 n=256", 1, Role::Reference, Role::Blas, 1.0, true},
    {"W3 n=256", 2, Role::Reference, Role::Blas, 1.0, true},
    {"W3 n=256", 1, Role::Reference, Role::Reference, 0.85, false},
};

}  // namespace

void Report::print_targets(std::FILE* out) const {
  std::fprintf(out, "\ntargets (bench/README.md), ratios of this run's medians:\n");
  for (const Target& t : kTargets) {
    const Result* num = find_row(rows, t.workload, t.threads, t.num);
    const Result* den = find_row(rows, t.workload, t.threads, t.den);
    if (!num || !den || num->threads != t.threads || den->threads != t.threads) continue;
    const bool of_peak = t.num == t.den;
    if (of_peak && den->round_peak <= 0) continue;
    const double v = of_peak ? num->gflops() / den->round_peak : num->seconds / den->seconds;
    const std::string what = of_peak ? std::string(role_label(t.num)) + " GFLOP/s / peak (%peak)"
                                  : std::string(role_label(t.num)) + " / " + role_label(t.den);
    const std::string value = of_peak ? fmt("%.1f%%", 100 * v) : fmt(v < 10 ? "%.3f" : v < 100 ? "%.2f" : "%.0f", v);
    const std::string bound = std::string(t.at_most ? "<= " : ">= ") + (of_peak ? fmt("%.0f%%", 100 * t.bound) : fmt("%g", t.bound));
    const bool met = t.at_most ? v <= t.bound : v >= t.bound;
    std::fprintf(out, "  %-9s %d thr  %-44s %8s  %-7s %s\n", t.workload, t.threads, what.c_str(), value.c_str(),
                 bound.c_str(), met ? "met" : "NOT met");
  }
  std::fprintf(out, "  every implementation's loss matched the first baseline's at every check step: met\n");
}

}  // namespace bench
