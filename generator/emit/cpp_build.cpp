// Temporary directories, argv process spawning (posix_spawnp) and tool locations.
#include "emit/cpp_build.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace gg::cpp {
namespace fs = std::filesystem;

TempDir::TempDir(const std::string& prefix) {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (!mkdtemp(buf.data()))
    throw std::runtime_error("cannot create a temporary folder " + tmpl + ": " + std::strerror(errno));
  path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

namespace {

volatile std::sig_atomic_t g_signal = 0;  // the signal that arrived under the guard, or 0
volatile pid_t g_child = 0;               // the process run_process waits for, or 0
constexpr int kGuarded[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[std::size(kGuarded)];

extern "C" void on_interrupt(int sig) {
  g_signal = sig;
  const pid_t child = g_child;
  if (child > 0) kill(child, sig);
}

}  // namespace

InterruptGuard::InterruptGuard() {
  g_signal = 0;
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: waitpid returns EINTR, and run_process looks at the flag
  for (size_t i = 0; i < std::size(kGuarded); ++i) {
    sigaction(kGuarded[i], nullptr, &g_previous[i]);
    // A signal ignored by whoever started us (nohup, a background job) stays ignored.
    if (g_previous[i].sa_handler != SIG_IGN) sigaction(kGuarded[i], &sa, nullptr);
  }
}

InterruptGuard::~InterruptGuard() {
  for (size_t i = 0; i < std::size(kGuarded); ++i) sigaction(kGuarded[i], &g_previous[i], nullptr);
  if (g_signal != 0) {
    signal(g_signal, SIG_DFL);
    raise(g_signal);
  }
}

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) throw std::runtime_error("cannot write " + path);
}

ProcessResult run_process(const std::vector<std::string>& argv, const std::string& scratch_dir) {
  if (g_signal != 0) throw Interrupted{g_signal};
  ProcessResult r;
  std::string out_path = scratch_dir + "/.stdout", err_path = scratch_dir + "/.stderr";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&fa, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&fa, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    r.err = "cannot run '" + argv[0] + "'";
    return r;
  }
  g_child = pid;
  if (g_signal != 0) kill(pid, g_signal);  // arrived between the spawn and the line above
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  g_child = 0;
  if (g_signal != 0) throw Interrupted{g_signal};
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  r.out = slurp(out_path);
  r.err = slurp(err_path);
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  return r;
}

std::vector<std::string> cxx_command() {
  std::vector<std::string> cmd;
  const char* cxx = std::getenv("CXX");
  std::istringstream words(cxx && *cxx ? cxx : "c++");
  for (std::string w; words >> w;) cmd.push_back(w);
  if (cmd.empty()) cmd.push_back("c++");
  return cmd;
}

}  // namespace gg::cpp
