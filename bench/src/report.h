// The result table: one row per (workload, threads, implementation), printed as aligned text.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "impl.h"
#include "problem.h"

namespace bench {

struct Result {
  std::string workload;   // "W1 n=4"
  std::string title;      // "[2,3,1] sigmoid, mse"
  double flops = 0;       // per step
  int threads = 1;
  std::string impl;
  Role role = Role::Gradgen;
  double seconds = 0;     // median per step
  int reps = 0;           // repetitions the median is taken over
  long long heap = 0;     // bytes
  std::vector<double> losses;
  double loss_diff = 0;  // largest relative difference from the reference baseline's losses
  double round_peak = 0;  // GFLOP/s: median of the FMA bursts run between this group's rounds

  Result(const Problem& p, int t, std::string name, Role role, double sec, int reps, long long h,
         std::vector<double> l, double diff);
  double gflops() const { return flops / seconds * 1e-9; }
};

struct Report {
  std::string machine;
  std::string reps;
  std::map<int, double> peak;  // threads -> GFLOP/s, best of the trials before timing
  std::vector<Result> rows;

  void add(Result r) { rows.push_back(std::move(r)); }
  void print(std::FILE* out) const;
  /// The targets, each as a ratio of two rows of this run, with "met" or "NOT met".
  void print_targets(std::FILE* out) const;
};

std::string format_time(double seconds);
/// CPU model, CPU count, load average, OpenBLAS build/kernel and the OPENBLAS_* environment.
std::string describe_machine();

}  // namespace bench
