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

// The gradgen row the others are compared with: same workload and threads, else 1 thread.
const Result* reference(const std::vector<Result>& rows, const Result& r) {
  const Result* one = nullptr;
  for (const Result& g : rows) {
    if (!g.gradgen || g.workload != r.workload) continue;
    if (g.threads == r.threads) return &g;
    if (g.threads == 1 && !one) one = &g;
  }
  return one;
}

}  // namespace

Result::Result(const Problem& p, int t, std::string name, bool gg, double sec, int n, long long h,
               std::vector<double> l, double diff)
    : workload(p.id + " n=" + std::to_string(p.batch)), title(p.title), flops(p.flops_per_step()),
      threads(t), impl(std::move(name)), gradgen(gg), seconds(sec), reps(n), heap(h), losses(std::move(l)),
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
  std::fprintf(out, "\ntime = median over %s\nx gradgen = time / the bound gradgen variant's time (>1: slower than gradgen)\n\n",
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
    const double gflops = r.flops / r.seconds * 1e-9;
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

}  // namespace bench
