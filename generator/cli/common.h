// Shared pieces of the gradgen subcommands: loading a network (diagnostics on stderr),
// exit statuses, atomic file output and the flag parsers the subcommands have in common.
#pragma once

#include <functional>
#include <iostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "ir/program.h"
#include "ir/shape.h"

namespace CLI {
class App;
}

namespace gg::cli {

/// Exit statuses of spec §6 (4 is gradgen's own: a bug, reported as "internal error:").
enum Exit : int { kOk = 0, kInputError = 1, kUsageError = 2, kCheckFailed = 3, kInternalError = 4 };

/// Thrown once an error has already been reported on stderr; main exits with `code`.
struct Reported {
  int code;
};

/// A bad flag value found after parsing (exit 2), e.g. an unknown --dump-after pass.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A subcommand: it adds itself to the root app and returns the action run when chosen.
/// The action returns the exit status; errors are thrown (InputError, UsageError, Reported).
struct Subcommand {
  CLI::App* app;
  std::function<int()> run;
};

/// Reads and loads a .grad file. On any error prints the rendered diagnostics on stderr and
/// throws Reported{1}.
Program load_network(const std::string& path);

/// "a", "a and b", "a, b and c".
std::string list_text(const std::vector<std::string>& items);

/// Whether `path` is read by the C++ front end (false in a build without it).
bool is_cpp_input(const std::string& path);

/// `flags` (name, whether given) that only .grad networks take: on a C++ input any given one is
/// a UsageError "--bind and --precision apply to .grad networks, not to C++ inputs<why>",
/// refused rather than ignored.
void refuse_grad_only_flags(const std::string& path, const std::vector<std::pair<const char*, bool>>& flags,
                            const std::string& why = "");

/// The passes --dump-after takes: bind_dims (run before the pipeline, with --bind), then the
/// pipeline's (pass_names()).
const std::vector<std::string>& dump_pass_names();

/// load_network, dims fixed by `bind` (checked as check_bind_flags does), then autodiff and
/// the simplification pipeline; IR dumps after the passes named in `dump_after` go to
/// `dump_to`. An unknown pass name is a UsageError.
Program load_and_differentiate(const std::string& path, const std::vector<std::string>& dump_after = {},
                               std::ostream& dump_to = std::cout, const DimBindings& bind = {});

/// Writes `text` to `path` atomically (temporary file in the same folder, then rename):
/// on failure nothing is left behind and an InputError names the path. A symbolic link is
/// written through (its target replaced, the link kept); a device or pipe (/dev/null,
/// /dev/stdout) is written in place.
void write_file_atomic(const std::string& path, const std::string& text);

/// Writes files (name, text) into the existing folder `dir` all or nothing: each to a
/// temporary first, then renamed into place. If one cannot be written or renamed, the files
/// renamed before it get their old contents back (or are removed if new), no temporary is
/// left, and an InputError names the file and says why.
void write_files_atomic(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files);

/// A CLI11 check for an option naming a file or folder: an empty value is refused (exit 2)
/// rather than read as "no option" or as the current folder.
std::string require_path(const std::string& value);

/// check_bindings (passes/bind_dims.h) for dims given with --bind: a name the network does not
/// declare or a size out of range is a usage error (exit 2), as a malformed NAME=SIZE is.
void check_bind_flags(const Program& p, const DimBindings& bind);

/// Adds `--bind NAME=SIZE` to `app` into `values`: one value per occurrence, repeatable, so
/// that a network file after it is never taken as a second value.
void add_bind_option(CLI::App* app, std::vector<std::string>& values, const std::string& help);

/// Every subcommand's input, in its --help.
inline constexpr const char* kNetworkHelp =
    "the network: a .grad file (- reads it from the standard input), or a C++ file marking GRADGEN_DIFFERENTIATE "
    "functions (with it: --function NAME, "
    "and -- CLANG_ARGS at the end)";

/// Parses `--bind n=4` values ("name=size", size a positive integer); UsageError otherwise.
DimBindings parse_bindings(const std::vector<std::string>& specs);

/// `--seed S`: an integer in [0, 2^64) (CLI11 alone wraps -1 and saturates 2^64); UsageError otherwise.
uint64_t parse_seed(const std::string& s);

/// "f32" or "f64"; UsageError otherwise.
Precision parse_precision(const std::string& s);

/// For `check` and `eval`, which hold every value of the network in memory: a LocatedError at
/// the declaration or definition of the first tensor that would hold more than 2^27 scalars
/// (1 GiB in f64) at `dims`, rather than running out of memory. `generate` has no such limit.
void require_evaluable(const Program& p, const DimBindings& dims, const std::string& command);

/// The dims that params' shapes mention, in declaration order, once each. Generated code has
/// fixed-size params, so compiled check and eval bind these (to 4, or to the feed's sizes).
std::vector<std::string> dims_of_params(const Program& p);

/// For an f32 network: an error at each number past float's range, where it is written: a
/// param's init=constant/uniform/normal argument (params named in `fed` aside), where every
/// value drawn would be infinite, and a number a definition uses (1e39, a const, pow's
/// exponent, leaky_relu's alpha), which would silently be infinite. One is thrown as a
/// LocatedError; several are printed, then Reported{1} is thrown. f64 networks take any
/// finite number.
/// `precision_flag`: f32 came from --precision (which the advice then names).
void require_f32_range(const Program& p, const std::vector<std::string>& fed = {}, bool precision_flag = false);

/// Flushes stdout: "" when everything printed was written, else "cannot write the standard
/// output: REASON" (a full disk, a closed pipe), with the stream's error cleared, so that it is
/// said once.
std::string flush_stdout();

/// Errors at source locations as parse errors print: FILE:LINE:COL: error: MESSAGE, the line
/// quoted from the file (as it was read, else read again here) and a caret.
std::string render_located(const std::vector<std::pair<SourceLoc, std::string>>& errors);

/// For `generate` of an f32 network: the optimizer's settings and the params' lr= as float
/// holds them keep their rules (lr and eps positive, beta1, beta2 and momentum below 1) and
/// are finite; else an error at each such number (adam's beta1 = 0.99999999 is 1.0f), whose advice
/// names --precision where `precision_flag` (f32 came from it).
void require_f32_optimizer(const Program& p, bool precision_flag = false);

/// For `check`: a line saying why no gradient can agree when the loss at the check point is
/// NaN or infinite (a function evaluated outside its domain); nothing when it is finite.
std::string nonfinite_loss_note(double loss, bool cpp_input = false);

}  // namespace gg::cli
