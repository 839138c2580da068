// Reading an input file whole, refusing a directory and anything too large to be a network
// or a feed (a pipe or device is read up to that limit: /dev/zero ends instead of filling memory).
#pragma once

#include <cstdint>
#include <string>

namespace gg {

/// Inputs larger than this are refused (a network or feed is text a person writes or a tool
/// exports; a feed of a 1000-image MNIST batch is about 6 MiB).
constexpr std::int64_t kMaxInputBytes = std::int64_t(64) << 20;

/// The path that names the standard input, as in most command-line tools (a file named "-" is
/// "./-"); messages call it kStdinName.
inline constexpr const char* kStdinPath = "-";
inline constexpr const char* kStdinName = "<stdin>";

/// Reads `path` into `text` ("-": the standard input, read once; a later call returns the same
/// text). On failure returns false and sets `why` to the reason, e.g. "it is a directory", "it
/// is larger than 64 MiB", "No such file or directory".
bool read_input_file(const std::string& path, std::string& text, std::string& why);

/// The text read_input_file last read from `path` in this process, or nullptr. An error found
/// after reading quotes the input as it was read: a pipe (/dev/stdin) cannot be read twice.
const std::string* text_read_from(const std::string& path);

/// Directory holding the runtime headers (gradgen/*.hpp), which compiled eval/check and the
/// C++ front end need: $GRADGEN_RUNTIME_INCLUDE, else <exe>/../include when it has them (an
/// installed gradgen), else the source tree's runtime/include (a build tree).
std::string runtime_include_dir();

}  // namespace gg
