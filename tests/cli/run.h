// Runs the built gradgen binary (GG_GRADGEN_EXE) with an argv, no shell, capturing its exit
// status, stdout and stderr; plus a scratch folder per test.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern char** environ;

namespace gg::test {

struct Result {
  int status = -1;  // exit status; -1 if it did not exit normally (a crash)
  std::string out, err;
  double seconds = 0;
  bool hung = false;  // still running after kHangSeconds: killed
};

/// A child still running after this long is killed and reported as hung. A hang guard, not a
/// timing: tests never assert on speed (a sanitized build on a loaded machine is slow).
constexpr double kHangSeconds = 300;

/// Whether `piece` occurs in `text`.
inline bool has(const std::string& text, const std::string& piece) { return text.find(piece) != std::string::npos; }

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void spit(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

/// A fresh empty folder under the build tree, removed at the end of the test.
struct Scratch {
  std::filesystem::path dir;
  Scratch() {
    static int counter = 0;
    dir = std::filesystem::path(GG_BINARY_DIR) / "test_cli_tmp" /
          (std::to_string(getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string path(const std::string& name) const { return (dir / name).string(); }
  std::string write(const std::string& name, const std::string& text) const {
    spit(path(name), text);
    return path(name);
  }
};

/// Runs argv (argv[0] searched on PATH, no shell) with stdin from /dev/null and stdout and
/// stderr to files in `dir`, then reads them back; stdout to `stdout_to` instead when given
/// (such as /dev/full).
inline Result run_argv(std::vector<std::string> all, const Scratch& dir, const std::string& stdout_to = "") {
  std::string out = stdout_to.empty() ? dir.path("stdout") : stdout_to, err = dir.path("stderr");
  std::vector<char*> argv;
  for (std::string& a : all) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  Result r;
  auto start = std::chrono::steady_clock::now();
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    r.err = "posix_spawnp failed for " + all[0];
    return r;
  }
  int status = 0;
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
  for (useconds_t pause = 100; waitpid(pid, &status, WNOHANG) != pid; pause = std::min<useconds_t>(pause * 2, 5000)) {
    if (elapsed() > kHangSeconds) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      r.hung = true;
      break;
    }
    usleep(pause);
  }
  r.seconds = elapsed();
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (stdout_to.empty()) r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

/// gradgen ARGS..., stdout and stderr to files in a private folder, then read back; stdout to
/// `stdout_to` instead when given.
inline Result gradgen(const std::vector<std::string>& args, const std::string& stdout_to = "") {
  std::vector<std::string> all{GG_GRADGEN_EXE};
  all.insert(all.end(), args.begin(), args.end());
  return run_argv(std::move(all), Scratch{}, stdout_to);
}

/// gradgen ARGS... with its stack limited to 1 MiB, so that a walk recursing once per node of
/// a long chain fails (a crash) instead of passing on a large stack.
inline Result gradgen_small_stack(const std::vector<std::string>& args, const Scratch& s) {
  std::vector<std::string> all{"sh", "-c", "ulimit -s 1024 && exec \"$0\" \"$@\"", GG_GRADGEN_EXE};
  all.insert(all.end(), args.begin(), args.end());
  return run_argv(all, s);
}

/// gradgen ARGS... `mode`: "--interp" (the reference interpreter) or "" (compiled code).
inline Result gradgen_in(std::vector<std::string> args, const char* mode) {
  if (*mode) args.push_back(mode);
  return gradgen(args);
}

inline std::string example(const std::string& name) { return std::string(GG_SOURCE_DIR) + "/examples/" + name; }

}  // namespace gg::test
