// Loading networks for the subcommands, atomic output files and shared flag parsing.
#include "cli/common.h"

#include <CLI/CLI.hpp>

#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "frontend/grad/load.h"
#ifdef GRADGEN_HAVE_CLANG
#include "frontend/clang/load_cpp.h"
#endif
#include "ir/printer.h"
#include "passes/bind_dims.h"
#include "passes/pipeline.h"
#include "support/diagnostics.h"
#include "support/files.h"
#include "support/error.h"
#include "support/numbers.h"

namespace gg::cli {

Program load_network(const std::string& path) {
#ifdef GRADGEN_HAVE_CLANG
  if (is_cpp_file(path)) {  // the C++ front end (frontend/clang) lowers annotated functions
    Diagnostics cpp_diags;
    std::string rendered;
    std::optional<Program> p = load_cpp_network(path, command_line_cpp_options(), cpp_diags, rendered);
    std::cerr << rendered;
    if (!p) throw Reported{kInputError};
    return std::move(*p);
  }
  // Refused rather than ignored, as .grad-only flags are on a C++ input.
  const CppOptions& cpp = command_line_cpp_options();
  if (!cpp.function.empty() || !cpp.clang_args.empty())
    throw UsageError(std::string(!cpp.function.empty() ? "--function applies" : "arguments after -- apply") +
                     " to C++ inputs, not to .grad networks ('" + path + "')");
#endif
  Diagnostics diags;
  std::optional<Program> p = load_grad_file(path, diags);
  if (!p || diags.has_errors()) {
    std::cerr << diags.render();
    // model.c, feed.json given where the network goes: say how the file was read.
    if (path != kStdinPath && std::filesystem::path(path).extension() != ".grad")
      std::cerr << "note: '" << path << "' was read as a .grad network (C++ inputs end in .cpp, .cc, .cxx, .C or another of g++'s C++ "
                   "extensions)\n";
    throw Reported{kInputError};
  }
  std::cerr << diags.render_warnings();
  return std::move(*p);
}

std::string list_text(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i == 0 ? "" : i + 1 == items.size() ? " and " : ", ") + items[i];
  return out;
}

bool is_cpp_input(const std::string& path) {
#ifdef GRADGEN_HAVE_CLANG
  return is_cpp_file(path);
#else
  (void)path;
  return false;
#endif
}

void refuse_grad_only_flags(const std::string& path, const std::vector<std::pair<const char*, bool>>& flags,
                            const std::string& why) {
#ifdef GRADGEN_HAVE_CLANG
  if (!is_cpp_file(path)) return;
  std::vector<std::string> given;
  for (const auto& [flag, on] : flags)
    if (on) given.push_back(flag);
  if (!given.empty())
    throw UsageError(list_text(given) + (given.size() == 1 ? " applies" : " apply") + " to .grad networks, not to C++ inputs" + why);
#else
  (void)path, (void)flags, (void)why;
#endif
}

const std::vector<std::string>& dump_pass_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> all{"bind_dims"};  // before the pipeline, with --bind
    all.insert(all.end(), pass_names().begin(), pass_names().end());
    return all;
  }();
  return names;
}

Program load_and_differentiate(const std::string& path, const std::vector<std::string>& dump_after,
                               std::ostream& dump_to, const DimBindings& bind) {
  const std::vector<std::string>& known = dump_pass_names();
  for (const std::string& pass : dump_after)
    if (std::find(known.begin(), known.end(), pass) == known.end())
      throw UsageError(fmt::format("unknown pass '{}' for --dump-after (passes: {})", pass, fmt::join(known, ", ")));
  Program p = load_network(path);
  if (!bind.empty()) {  // as generate does, so that explain --bind prints its equations
    check_bind_flags(p, bind);
    bind_dims(p, bind);
  }
  if (std::find(dump_after.begin(), dump_after.end(), "bind_dims") != dump_after.end())
    dump_to << "; ---- after bind_dims" << (bind.empty() ? " (no --bind: nothing bound)" : "") << " ----\n"
            << print_ir(p);
  PipelineOptions opts;
  std::copy_if(dump_after.begin(), dump_after.end(), std::back_inserter(opts.dump_after),
               [](const std::string& pass) { return pass != "bind_dims"; });
  opts.dump = opts.dump_after.empty() ? nullptr : &dump_to;
  differentiate_and_optimize(p, opts);
  return p;
}

namespace {

// A hidden name beside `target` for this process: ".NAME" + tag + pid.
std::filesystem::path beside(const std::filesystem::path& target, const std::string& tag) {
  return target.parent_path() / ("." + target.filename().string() + tag + std::to_string(getpid()));
}

void write_temp(const std::filesystem::path& tmp, const std::string& text, const std::filesystem::path& shown) {
  std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) {
    int err = errno;
    std::remove(tmp.c_str());
    throw InputError("cannot write '" + shown.string() + "': " + std::strerror(err));
  }
}

// One target of write_files_atomic: its temporary, and the old file kept by a second name (a
// hard link) so that a failed rename of a later target can put it back.
struct Staged {
  std::filesystem::path target, temp, old;
  bool existed = false, placed = false;
};

// After a failed rename: every target already placed gets its old file back (or is removed
// if it had none); temporaries and kept old files are removed.
void roll_back(std::vector<Staged>& staged) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (Staged& s : staged) {
    if (s.placed && !s.old.empty()) fs::rename(s.old, s.target, ec);
    if (s.placed && !s.existed) fs::remove(s.target, ec);
    fs::remove(s.temp, ec);
    if (!s.old.empty()) fs::remove(s.old, ec);
  }
}

// Where a write to `path` lands: symbolic links are followed (a dangling one to the file it
// names), so that writing through a link updates its target instead of replacing the link.
// An existing target is found with realpath, which also resolves /proc's links to open files
// (/dev/stdout redirected to a file).
std::filesystem::path write_target(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_symlink(fs::symlink_status(path, ec))) return path;
  if (fs::exists(fs::status(path, ec))) {
    fs::path real = fs::canonical(path, ec);
    if (!ec) return real;
  }
  fs::path p = path;
  for (int hops = 0; fs::is_symlink(fs::symlink_status(p, ec)); ++hops) {
    const fs::path to = fs::read_symlink(p, ec);
    if (ec || hops == 40)
      throw InputError("cannot write '" + path.string() + "': " + (ec ? ec.message() : "too many levels of symbolic links"));
    p = to.is_absolute() ? to : p.parent_path() / to;
  }
  return p;
}

// A device, pipe or socket (/dev/null, /dev/stdout on a terminal or pipe): written in place,
// since renaming a file over it would replace the device with a plain file.
bool is_special_file(const std::filesystem::path& p) {
  std::error_code ec;
  const auto st = std::filesystem::status(p, ec);
  return !ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st) &&
         !std::filesystem::is_directory(st);
}

void write_in_place(const std::filesystem::path& target, const std::string& text, const std::filesystem::path& shown) {
  std::ofstream out(target, std::ios::binary);
  out << text;
  out.close();
  if (!out) throw InputError("cannot write '" + shown.string() + "': " + std::strerror(errno));
}

// Whether `target` is a regular file holding exactly `text`: such a file is left as it is, so
// that its time stamp stays and a build that regenerates on every edit of the .grad (a comment)
// recompiles nothing.
bool holds_already(const std::filesystem::path& target, const std::string& text) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(target, ec) || std::filesystem::file_size(target, ec) != text.size() || ec)
    return false;
  std::ifstream in(target, std::ios::binary);
  std::string old(text.size(), '\0');
  return in.read(old.data(), static_cast<std::streamsize>(old.size())) && old == text;
}

}  // namespace

void write_files_atomic(const std::string& dir, const std::vector<std::pair<std::string, std::string>>& files) {
  namespace fs = std::filesystem;
  const fs::path folder(dir);  // empty: the current folder
  std::vector<Staged> staged;
  std::vector<std::pair<fs::path, const std::string*>> special;  // written last, in place
  std::error_code ec;
  for (const auto& [name, text] : files) {
    if (is_special_file(folder / name)) {  // opened by its own name: /proc's links are not paths
      special.emplace_back(folder / name, &text);
      continue;
    }
    const fs::path target = write_target(folder / name);
    if (holds_already(target, text)) continue;
    Staged s{target, beside(target, ".tmp"), {}, fs::exists(target, ec), false};
    try {
      write_temp(s.temp, text, folder / name);
    } catch (const InputError&) {
      roll_back(staged);
      throw;
    }
    staged.push_back(std::move(s));
  }
  for (Staged& s : staged) {
    if (!s.existed || staged.size() == 1) continue;
    s.old = beside(s.target, ".old");
    fs::create_hard_link(s.target, s.old, ec);
    if (ec) s.old.clear();  // no hard links here: a failed rename cannot restore this one
  }
  for (Staged& s : staged) {
    fs::rename(s.temp, s.target, ec);
    if (ec) {
      const std::string why = ec.message();
      roll_back(staged);
      throw InputError("cannot write '" + s.target.string() + "': " + why);
    }
    s.placed = true;
  }
  for (Staged& s : staged)
    if (!s.old.empty()) fs::remove(s.old, ec);
  for (const auto& [target, text] : special) write_in_place(target, *text, target);
}

void add_bind_option(CLI::App* app, std::vector<std::string>& values, const std::string& help) {
  // One dim per --bind (repeat it for more): CLI11's "TEXT ..." suggested `--bind n=4 m=3`.
  app->add_option("--bind", values, help)
      ->type_name("DIM=SIZE")
      ->expected(1)
      ->allow_extra_args(false)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
}

std::string require_path(const std::string& value) {
  return value.empty() ? std::string("expects a path, got ''") : std::string();
}

void write_file_atomic(const std::string& path, const std::string& text) {
  const std::filesystem::path target(path);
  write_files_atomic(target.parent_path().string(), {{target.filename().string(), text}});
}

void check_bind_flags(const Program& p, const DimBindings& bind) {
  try {
    check_bindings(p, bind);
  } catch (const InputError& e) {
    throw UsageError(e.what());
  }
}

DimBindings parse_bindings(const std::vector<std::string>& specs) {
  DimBindings b;
  for (const std::string& s : specs) {
    size_t eq = s.find('=');
    std::string name = s.substr(0, eq);
    int64_t size = 0;
    const char* first = eq == std::string::npos ? nullptr : s.data() + eq + 1;
    const char* last = s.data() + s.size();
    auto r = first ? std::from_chars(first, last, size) : std::from_chars_result{last, std::errc::invalid_argument};
    if (name.empty() || !first || r.ec != std::errc() || r.ptr != last || size < 1)
      throw UsageError("--bind expects NAME=SIZE with a positive integer size, got '" + s + "'");
    if (b.count(name)) throw UsageError("--bind gives dimension '" + name + "' twice");
    b[name] = size;
  }
  return b;
}

uint64_t parse_seed(const std::string& s) {
  uint64_t seed = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), seed);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size())
    throw UsageError("--seed expects an integer from 0 to 18446744073709551615, got '" + s + "'");
  return seed;
}

Precision parse_precision(const std::string& s) {
  if (s == "f32") return Precision::F32;
  if (s == "f64") return Precision::F64;
  throw UsageError("--precision must be f32 or f64, got '" + s + "'");
}

namespace {

constexpr int64_t kMaxEvalScalars = int64_t{1} << 27;

// Scalars of `s` at `dims`, saturating at kMaxEvalScalars + 1.
int64_t capped_numel(const Shape& s, const DimBindings& dims) {
  int64_t n = 1;
  for (int64_t d : concrete(s, dims)) n = d > 0 && n > kMaxEvalScalars / d ? kMaxEvalScalars + 1 : n * d;
  return n;
}

}  // namespace

std::vector<std::string> dims_of_params(const Program& p) {
  std::vector<std::string> dims;
  for (const Leaf& l : p.leaves)
    if (l.kind == LeafKind::Param)
      for (const Dim& d : l.node->shape)
        if (d.is_symbolic() && std::find(dims.begin(), dims.end(), d.symbol) == dims.end()) dims.push_back(d.symbol);
  return dims;
}

namespace {

// The numbers in d's expression (its own nodes: the walk stops at other definitions, `defs`)
// that f32 cannot hold.
std::set<double> past_f32(const Definition& d, const std::set<const Node*>& defs) {
  std::set<double> out;
  std::vector<const Node*> stack{d.node};
  std::set<const Node*> seen;
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (!seen.insert(n).second) continue;
    const bool has_number = n->op == Op::Const || n->op == Op::Pow || n->op == Op::LeakyRelu;
    if (has_number && std::isfinite(n->attrs.value) && std::isinf(nearest_float(n->attrs.value)))
      out.insert(n->attrs.value);
    for (const Node* in : n->inputs)
      if (!defs.count(in)) stack.push_back(in);
  }
  return out;
}

bool before(const SourceLoc& a, const SourceLoc& b) { return std::tie(a.line, a.col) < std::tie(b.line, b.col); }

// Where the number v (or -v) that the statement at `stmt` uses is written: in the statement
// itself (before the next statement of the program), else the first place in the source (a
// const's value), else `stmt` (a value computed from others, or a network that is not a .grad
// file).
SourceLoc written_at(const Program& p, double v, const SourceLoc& stmt) {
  std::optional<SourceLoc> next;
  auto bound = [&](const SourceLoc& at) {
    if (before(stmt, at) && at.line > stmt.line && (!next || before(at, *next))) next = at;
  };
  for (const Leaf& l : p.leaves) bound(l.loc);
  for (const Definition& d : p.definitions) bound(d.loc);
  std::optional<SourceLoc> first;
  for (const auto& [number, loc] : p.source_numbers) {
    if (number != std::fabs(v)) continue;
    if (!before(loc, stmt) && (!next || before(loc, *next))) return loc;
    if (!first) first = loc;
  }
  return first ? *first : stmt;
}

using Located = std::vector<std::pair<SourceLoc, std::string>>;  // as render_located takes them

// Every number f32 cannot hold (in an unfed param's init or a definition), once, at the first
// place it is written (a const's value at the const).
Located numbers_past_f32(const Program& p, const std::vector<std::string>& fed, bool precision_flag) {
  const char* remedy = p.flat_values    ? "make the function double, or use"
                       : precision_flag ? "use --precision f64 or"
                                        : "declare 'precision f64' or use";
  const std::string advice =
      fmt::format(" is past the range of f32 (largest {}); {} a smaller value", std::numeric_limits<float>::max(), remedy);
  Located errors;
  std::set<std::tuple<std::string, int, int>> reported;
  auto add = [&](const SourceLoc& at, const std::string& message) {
    if (reported.insert({at.file, at.line, at.col}).second) errors.emplace_back(at, message);
  };
  for (const Leaf& l : p.leaves) {
    if (l.kind != LeafKind::Param || std::find(fed.begin(), fed.end(), l.name) != fed.end()) continue;
    for (double arg : l.init.args)
      if (std::isinf(nearest_float(arg)))
        add(written_at(p, arg, l.loc),
            fmt::format("'{}' init={}({}): {}{}", l.name, l.init.kind, fmt::join(l.init.args, ", "), arg, advice));
    // A normal init's mean and std may each fit while its samples do not: past 6 std a draw
    // is about one in 10^9, well within reach of a large param.
    constexpr double kSigmas = 6;
    const float largest = std::numeric_limits<float>::max();
    if (l.init.kind == "normal" && l.init.args.size() == 2 &&
        std::fabs(l.init.args[0]) + kSigmas * std::fabs(l.init.args[1]) > static_cast<double>(largest) &&
        std::isfinite(nearest_float(l.init.args[1])))
      add(written_at(p, l.init.args[1], l.loc),
          fmt::format("'{}' init=normal({}): draws within {} std of the mean reach past the range of f32 (largest {}), "
                      "where they would be infinite; {} a smaller std",
                      l.name, fmt::join(l.init.args, ", "), kSigmas, largest, remedy));
  }
  std::set<const Node*> defs;
  for (const Definition& d : p.definitions) defs.insert(d.node);
  for (const Definition& d : p.definitions)
    for (double v : past_f32(d, defs))
      add(written_at(p, v, d.loc), fmt::format("the number {} (used by '{}'){}", v, d.name, advice));
  return errors;
}

// Throws the one error as a LocatedError, or prints several as parse errors are printed.
void throw_located(const Located& errors) {
  if (errors.empty()) return;
  if (errors.size() == 1) throw LocatedError(errors.front().first, errors.front().second);
  std::cerr << render_located(errors);
  throw Reported{kInputError};
}

}  // namespace

std::string flush_stdout() {
  errno = 0;
  std::cout.flush();
  if (std::fflush(stdout) == 0 && !std::ferror(stdout) && std::cout.good()) return "";
  const std::string why = errno != 0 ? std::string(": ") + std::strerror(errno) : std::string();
  std::clearerr(stdout), std::cout.clear();
  return "cannot write the standard output" + why;
}

std::string render_located(const std::vector<std::pair<SourceLoc, std::string>>& errors) {
  Diagnostics diags;
  for (const auto& [at, message] : errors) {
    diags.error(at, message);
    if (const std::string* text = gg::text_read_from(at.file)) {
      diags.add_source(at.file, *text);
    } else {
      std::ifstream in(at.file, std::ios::binary);
      if (in) diags.add_source(at.file, std::string(std::istreambuf_iterator<char>(in), {}));
    }
  }
  return diags.render();
}

void require_f32_range(const Program& p, const std::vector<std::string>& fed, bool precision_flag) {
  if (p.precision == Precision::F32) throw_located(numbers_past_f32(p, fed, precision_flag));
}

void require_f32_optimizer(const Program& p, bool precision_flag) {
  if (p.precision != Precision::F32) return;
  // What the rule of each setting says of its value as float holds it (empty: fine).
  auto broken = [](const std::string& key, double v) -> std::string {
    const double f = nearest_float(v);
    if (std::isinf(f)) return fmt::format("is past the range of f32 (largest {})", std::numeric_limits<float>::max());
    if (key == "eps" && f == 0) return "rounds to 0 in f32, and it must be positive";
    if (key == "lr" && f == 0 && v != 0) return "rounds to 0 in f32, which would freeze the params";
    if (key != "lr" && key != "eps" && f >= 1) return "rounds to 1 in f32, and it must be in [0, 1)";
    return {};
  };
  const std::string advice =
      precision_flag ? "; use --precision f64 or choose another value" : "; declare 'precision f64' or choose another value";
  Located errors;
  for (const auto& [key, v] : p.optimizer.args)
    if (std::string why = broken(key, v); !why.empty())
      errors.emplace_back(written_at(p, v, p.optimizer.loc),
                          fmt::format("optimizer {}: {} = {} {}{}", p.optimizer.kind, key, v, why, advice));
  for (const Leaf& l : p.leaves)
    if (l.lr)
      if (std::string why = broken("lr", *l.lr); !why.empty())
        errors.emplace_back(written_at(p, *l.lr, l.loc), fmt::format("'{}' lr = {} {}{}", l.name, *l.lr, why, advice));
  std::stable_sort(errors.begin(), errors.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.line, a.first.col) < std::tie(b.first.line, b.first.col);
  });
  throw_located(errors);
}

void require_evaluable(const Program& p, const DimBindings& dims, const std::string& command) {
  // `what` names the tensor and its shape.
  auto refuse = [&](const SourceLoc& loc, const std::string& what, const Shape& s) {
    std::string at;
    for (const auto& [d, size] : dims)
      if (std::count(s.begin(), s.end(), Dim::named(d))) at += (at.empty() ? " at " : ", ") + d + " = " + std::to_string(size);
    throw LocatedError(loc, fmt::format("{} holds more than {} scalars{}: too large for `gradgen {}`, which keeps "
                                        "every value in memory (generate the code and run it instead)",
                                        what, grouped(kMaxEvalScalars), at, command));
  };
  for (const Leaf& l : p.leaves)
    if (capped_numel(l.node->shape, dims) > kMaxEvalScalars)
      refuse(l.loc, "'" + l.name + "' " + shape_str(l.node->shape), l.node->shape);
  // A definition's unnamed parts (the product inside `sum(X @ W)`) count against it.
  std::set<const Node*> seen;
  for (const Definition& d : p.definitions) {
    std::vector<const Node*> stack{d.node};
    while (!stack.empty()) {
      const Node* n = stack.back();
      stack.pop_back();
      if (!seen.insert(n).second) continue;
      if (capped_numel(n->shape, dims) > kMaxEvalScalars)
        refuse(d.loc,
               n == d.node ? "'" + d.name + "' " + shape_str(n->shape)
                           : "a " + shape_str(n->shape) + " value in the definition of '" + d.name + "'",
               n->shape);
      for (const Node* in : n->inputs) stack.push_back(in);
    }
  }
}

std::string nonfinite_loss_note(double loss, bool cpp_input) {
  if (std::isfinite(loss)) return "";
  return std::string("  note: the loss is NaN or infinite at the check point (a function outside its domain: log or\n"
                     "  sqrt of a negative number, a fractional pow of a negative number, division by zero); try\n") +
         (cpp_input ? "  another --seed (a C++ function is checked at a random point)\n"
                    : "  another --seed or inits that stay in range\n");
}

}  // namespace gg::cli
