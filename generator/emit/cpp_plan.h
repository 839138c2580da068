// Statement scheduling for one generated entry point (forward or loss_and_grad): which nodes
// get a buffer, in what order they are computed, which fuse into one loop (cpp_fusion.cpp),
// and where each one is stored (a result pointer, the workspace, or a loop-local scalar).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "emit/cpp_memory.h"
#include "emit/cpp_names.h"
#include "emit/equations.h"
#include "ir/program.h"

namespace gg::cpp {

/// How a materialised node is computed: an elementwise/index-mapping loop, a matrix product
/// (transposed operands folded into the kernel variant), a reduction, a row-wise softmax, a loss,
/// or a pack of scalars into a small static tensor (one store per element).
enum class Kind { Map, MatMul, Reduce, RowWise, Loss, Pack };
Kind kind_of(Op op);

/// Ops that only re-index their operand (never materialised unless they are a result).
bool is_view(Op op);

/// Identifiers shared by every entry point of one network.
struct Names {
  Namer namer;
  std::map<std::string, std::string> dim;   // dim symbol -> identifier
  std::map<std::string, std::string> leaf;  // leaf name -> identifier
  std::map<const Node*, std::string> node;  // node named by an equation -> identifier
  std::map<const Node*, std::vector<const Equation*>> eqs;  // node -> its equations, in seq order
  std::map<const Equation*, std::string> eq_ident;          // every equation -> identifier
};
/// `reserved`: identifiers the caller declares itself (f_grad's parameters), kept from every
/// name given here.
Names make_names(const Program& p, const EquationSet& eqs, const std::vector<std::string>& dim_args,
                 const std::vector<std::string>& reserved = {});

/// One value an entry point hands back: written through `dest` (a pointer expression).
struct Result {
  const Node* node;  // nullptr: identically zero
  Shape shape;
  std::string dest;
  std::string hint;  // identifier to use for the node if it has none
};

struct Group {
  Kind kind;
  std::vector<const Node*> members;  // computed in this order inside one loop nest
  bool gemm = false;                 // a MatMul group lowered to a GEMM call, then its epilogue loop
};

/// A Map or MatMul group's last member of the loop's own shape: its members may end with
/// reductions over leading axes accumulated inside the loop (see fuse), which are not.
const Node* loop_tail(const Group& g);

/// For a softmax, log_softmax or cross-entropy along the last axis: the operand it reads a row
/// of (such nodes on one operand share one loop over rows and one logsumexp); else nullptr.
const Node* row_operand(const Node* n);

/// For a reduction that keeps the innermost varying axis of its operand (a column sum, a
/// sum_to of a broadcast bias): true, and it is computed output-stationary — the output
/// zeroed, then `out[kept] += x` in row-major order over the operand (contiguous, vectorisable),
/// which lets it join the loop that produces its operand.
bool reduces_leading_axes(const Node* r);

/// For a reduction: which axes of its operand it sums over.
std::vector<bool> reduced_axes(const Node* r);

/// Who computes a large matrix product (gradgen generate --gemm).
enum class GemmBackend {
  Gradgen,  // gradgen's blocked kernel, gradgen/gemm.hpp (the default)
  Blas,     // CBLAS (--blas)
  Loops,    // no GEMM calls: every product is a loop with its epilogue fused in
};

/// Backend choices that change the schedule's text (not its values).
struct PlanOptions {
  GemmBackend gemm = GemmBackend::Gradgen;
  // --fuse-step: the param whose gradient each result is ("" for none), indexed like the
  // results. A product that is a param's whole gradient is then scheduled after the last read
  // of that param, so the optimizer update can follow it at once (see defer_gradients).
  std::vector<std::string> result_param;
};

/// True for products big enough to be worth a GEMM call of `backend` rather than a loop with
/// its epilogue fused in: at least 32768 multiply-adds (fixed dims multiplied, a symbolic dim —
/// the batch — counted as 64); never for Loops. (W2's 64 × 128 × 10 products took 46 µs more
/// per step as loops than as GEMMs.)
bool worth_gemm(const Node* matmul, GemmBackend backend);

/// What to do after all groups: zero-fill or copy into a result that does not own its node.
struct Finish {
  size_t result;
  const Node* from;  // nullptr: zero fill; a leaf or a stored node: copy
};

struct Plan {
  std::vector<const Node*> order;  // materialised nodes, dependencies first
  std::vector<Group> groups;
  std::set<const Node*> materialised;
  std::map<const Node*, std::string> name;       // materialised node -> identifier
  std::map<const Node*, std::string> dest;       // node owned by a result -> pointer expression
  std::set<const Node*> stored;                  // written to memory (others are loop locals)
  std::vector<const Node*> workspace;            // stored nodes that live in the workspace
  std::map<const Node*, std::vector<const Node*>> consumers;  // materialised users
  std::vector<Finish> finishes;
  std::set<const Node*> closure;                 // every node the results need
  MemoryPlan memory;                             // where each workspace buffer lives (cpp_memory.cpp)
};

/// Schedules the computation of `results`. Deterministic: equation order, then result order.
Plan make_plan(const Program& p, const EquationSet& eqs, const Names& names, const std::vector<Result>& results,
               const PlanOptions& opts = {});

/// Groups consecutive scheduled nodes into fused loops (cpp_fusion.cpp) and decides storage.
void fuse(Plan& plan, const std::vector<Result>& results);

/// The params that `v`'s computation reads (through inline nodes).
std::set<std::string> params_read(const Plan& plan, const Node* v);

/// For each param read by some group: the index of the last group that reads it.
std::map<std::string, size_t> last_param_reads(const Plan& plan);

/// The group that writes result `r` into its destination, or groups.size() when a finish does.
size_t result_group(const Plan& plan, const Result& r);

/// The materialised nodes that `v`'s computation reads (through inline nodes).
std::vector<const Node*> direct_deps(const Plan& plan, const Node* v);

/// `o` with inline transposes stripped (the matmul operand actually read) and whether it is transposed.
std::pair<const Node*, bool> strip_transposes(const Plan& plan, const Node* o);

/// Equations shown as comments only: forward ones the plan needs but computes inline or reads
/// (leaves), and with `backward` the backward ones it does not store: gradients that are
/// identically zero, and those folded into every use (dJ/da = broadcast(1, [2]) for
/// J = sum(a)). explain numbers them all, and so must the code.
std::set<const Equation*> comment_only(const EquationSet& eqs, const Plan& plan, bool backward);

}  // namespace gg::cpp
