// Compiling and running generated code without a shell: a private temporary directory that
// removes itself, argv-based process spawning, and where the compiler and runtime headers are.
#pragma once

#include <string>
#include <vector>

namespace gg::cpp {

/// A fresh private directory (mkdtemp under $TMPDIR or /tmp), removed with its contents by the
/// destructor on every path. Throws std::runtime_error if it cannot be created.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "gradgen");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

/// While alive, SIGINT, SIGTERM and SIGHUP do not end the process at once: the child that
/// run_process waits for gets the signal, run_process then throws Interrupted, and the
/// guard's destructor (after the destructors of what was made since, such as a TempDir that
/// removes its files) ends the process with that signal. Create it before the TempDir.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
};

/// Thrown by run_process when a signal arrived under an InterruptGuard.
struct Interrupted {
  int signal;
};

struct ProcessResult {
  int exit_code = -1;  // -1: could not start; 128+N: killed by signal N
  std::string out, err;
};

/// Runs argv[0] (searched in PATH) with `argv`, stdin from /dev/null, capturing stdout and
/// stderr through files in `scratch_dir`. No shell is involved.
ProcessResult run_process(const std::vector<std::string>& argv, const std::string& scratch_dir);

/// The C++ compiler command: $CXX split at spaces, or {"c++"}.
std::vector<std::string> cxx_command();

/// Writes `text` to `path`; throws std::runtime_error on failure.
void write_text(const std::string& path, const std::string& text);

}  // namespace gg::cpp
