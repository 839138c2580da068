// Recursive-descent parser for .grad: one statement at a time, as a small AST.
// Syntax errors are reported and the parser skips to the next statement (a newline
// outside brackets), handing back a Broken statement naming what it failed to define.
//
//   file       ::= { stmt? NEWLINE }
//   stmt       ::= 'network' ident | 'precision' ident | 'dim' ident {',' ident}
//                | ('input'|'target'|'param') ident [shape] {ident '=' expr}
//                | 'const' ident '=' expr | ['output'|'loss'] ident '=' expr
//                | 'grad' ident {',' ident} | 'optimizer' expr
//   shape      ::= '[' [dim {',' dim}] ']'          dim ::= integer | ident
//   expr       ::= term {('+'|'-') term}
//   term       ::= unary {('*'|'/'|'@') unary}
//   unary      ::= '-' unary | postfix
//   postfix    ::= primary {'(' args ')' | '.' 'T'}
//   primary    ::= number | ident | '(' expr ')'
//   args       ::= [arg {',' arg}]                  arg ::= [ident '='] expr
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frontend/grad/lexer.h"

namespace gg::grad {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// `key=value` in a call or after a declaration.
struct KwArg {
  std::string key;
  SourceLoc loc;
  ExprPtr value;
};

struct Expr {
  enum Kind { Number, Name, Neg, Binary, Call, Transpose };
  Kind kind;
  SourceLoc loc;          // the operator for Neg/Binary/Transpose, the name for Call
  double number = 0;      // Number
  bool integer = false;   // Number written as an integer
  std::string name;       // Name, Call
  char op = 0;            // Binary: + - * / @
  std::vector<ExprPtr> args;  // operands; Call: positional arguments
  std::vector<KwArg> kwargs;  // Call: keyword arguments, in source order
  int height = 1;             // longest path to a leaf (bounds recursion when lowering)
};

struct Ident {
  std::string name;
  SourceLoc loc;
};

/// One dimension as written: an integer literal (text kept for range checks) or a name.
struct DimSpec {
  std::string text;
  SourceLoc loc;
  bool is_name = false;
  bool integer = false;  // literal written as an integer
};

enum class StmtKind { Network, Precision, Dim, Input, Target, Param, Const, Def, Output, Loss, Grad, Optimizer, Broken };

struct Stmt {
  StmtKind kind = StmtKind::Broken;
  SourceLoc loc;             // the statement's first token
  std::vector<Ident> names;  // the defined/declared/listed names
  std::vector<DimSpec> dims;
  std::vector<KwArg> options;  // init=, lr= after a declaration
  ExprPtr expr;                // right-hand side; optimizer's call
  StmtKind broken_kind = StmtKind::Broken;  // Broken: what it tried to be (names[0] is poisoned)
  bool has_loss_word = false;  // Broken: the word 'loss' is among its tokens (it may have swallowed the loss)
};

/// Limits that keep hostile input cheap: bracket/unary nesting and expression height.
inline constexpr int kMaxNesting = 256;
inline constexpr int kMaxHeight = 1024;

class Parser {
 public:
  Parser(std::string_view src, const std::string& file, Diagnostics& diags);
  /// The next statement, or nullopt at end of file. Empty lines are skipped.
  std::optional<Stmt> next();
  /// Every number read so far, with its place (errors about a value point at it).
  const std::vector<std::pair<double, SourceLoc>>& numbers() const { return lex_.numbers(); }

 private:
  struct Abort {};  // thrown after an error is reported, caught in next()

  const Token& peek() const { return tok_; }
  Token take();
  std::string place_of(const Token& t) const;
  void unget(const Token& t);  // push `t` back in front of the current token
  void enter(const Token& t);  // one more level of nesting; fails past kMaxNesting
  bool at(Tok k) const { return tok_.kind == k; }
  bool at_word(std::string_view w) const { return tok_.kind == Tok::Ident && tok_.text == w; }
  Token expect(Tok k, const char* what);
  Ident ident(const char* what);
  [[noreturn]] void fail(const Token& t, const std::string& message);
  void end_of_statement();
  void skip_statement();

  void statement(Stmt& s);
  void keyword_statement(Stmt& s, const Token& kw);
  void misspelt_keyword(Stmt& s, const Token& word);
  void declaration(Stmt& s);
  void shape(Stmt& s);
  void names_list(Stmt& s, const char* what);

  ExprPtr expr();
  ExprPtr term();
  ExprPtr unary();
  ExprPtr postfix();
  ExprPtr primary();
  void call_args(Expr& call);
  ExprPtr node(Expr::Kind kind, const Token& at);
  void grow(Expr& e, const Token& at);

  Lexer lex_;
  Diagnostics& diags_;
  Token tok_;
  std::optional<Token> pushed_;
  std::optional<Token> last_;  // the last token taken
  static std::string not_a_transpose_hint(const Token& t);
  std::optional<Ident> keyword_name_;  // a keyword used as a name in this statement
  bool saw_loss_word_ = false;          // the word 'loss' among this statement's tokens
  int nesting_ = 0;
};

}  // namespace gg::grad
