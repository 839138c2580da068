// Reading an input file whole (see files.h).
#include "support/files.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>

#include <sys/stat.h>
#include <unistd.h>

namespace gg {
namespace {

struct ReadTexts {
  std::mutex mutex;
  std::map<std::string, std::string> by_path;
};

ReadTexts& read_texts() {
  static ReadTexts texts;
  return texts;
}

// The whole of `in`, in chunks, so that a pipe or a device is cut off at the limit too.
bool read_stream(std::istream& in, std::string& text, std::string& why) {
  std::string buf(1 << 16, '\0');
  text.clear();
  while (in.read(buf.data(), static_cast<std::streamsize>(buf.size())) || in.gcount() > 0) {
    text.append(buf.data(), static_cast<size_t>(in.gcount()));
    if (static_cast<std::int64_t>(text.size()) > kMaxInputBytes) {
      why = "it is larger than " + std::to_string(kMaxInputBytes >> 20) + " MiB";
      text.clear();
      return false;
    }
  }
  if (in.bad()) {
    why = "read error";
    return false;
  }
  return true;
}

// The standard input, whole. Closed (EBADF) or a directory, it would read as empty text, not
// as the error it is.
bool read_stdin(std::string& text, std::string& why) {
  struct stat st;
  if (fstat(STDIN_FILENO, &st) != 0) {
    why = std::strerror(errno);
    return false;
  }
  if (S_ISDIR(st.st_mode)) {
    why = "it is a directory";
    return false;
  }
  std::cin.clear();
  return read_stream(std::cin, text, why);
}

bool read_file(const std::string& path, std::string& text, std::string& why) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec) {
    why = ec.message();
    return false;
  }
  if (fs::is_directory(st)) {
    why = "it is a directory";
    return false;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    why = std::strerror(errno);
    return false;
  }
  return read_stream(in, text, why);
}

}  // namespace

const std::string* text_read_from(const std::string& path) {
  ReadTexts& texts = read_texts();
  std::lock_guard<std::mutex> lock(texts.mutex);
  auto it = texts.by_path.find(path);
  return it == texts.by_path.end() ? nullptr : &it->second;
}

bool read_input_file(const std::string& path, std::string& text, std::string& why) {
  if (path == kStdinPath) {
    if (const std::string* read = text_read_from(path)) {  // a pipe cannot be read twice
      text = *read;
      return true;
    }
    if (!read_stdin(text, why)) return false;
  } else if (!read_file(path, text, why)) {
    return false;
  }
  // A UTF-8 byte-order mark (some editors write one) is not part of the text: neither JSON nor
  // the .grad lexer reads it, and columns count from after it, as editors show them.
  if (text.compare(0, 3, "\xEF\xBB\xBF") == 0) text.erase(0, 3);
  ReadTexts& texts = read_texts();
  std::lock_guard<std::mutex> lock(texts.mutex);
  texts.by_path[path] = text;
  return true;
}

std::string runtime_include_dir() {
  const char* env = std::getenv("GRADGEN_RUNTIME_INCLUDE");
  if (env && *env) return env;
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    std::filesystem::path inc = exe.parent_path().parent_path() / "include";
    if (std::filesystem::exists(inc / "gradgen" / "matmul.hpp", ec)) return inc.string();
  }
#ifdef GRADGEN_RUNTIME_INCLUDE_DIR
  return GRADGEN_RUNTIME_INCLUDE_DIR;
#else
  return "include";
#endif
}

}  // namespace gg
