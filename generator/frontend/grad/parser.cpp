// Recursive-descent parser for .grad (grammar in parser.h), with statement-level recovery.
#include "frontend/grad/parser.h"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <optional>
#include <string_view>
#include <utility>

#include "frontend/grad/suggest.h"

namespace gg::grad {

namespace {

// Words that start a line in Python or C but never in .grad (`import torch`, `print(z)` is a
// call, but `print z` and `def f(x):` are not); without this `import` reads as a misspelt `input`.
bool is_other_language_word(std::string_view w) {
  static constexpr std::string_view kWords[] = {"import", "from",  "print", "def",  "return", "class",
                                                "for",    "while", "if",    "elif", "else",   "with", "lambda"};
  return std::find(std::begin(kWords), std::end(kWords), w) != std::end(kWords);
}

}  // namespace

Parser::Parser(std::string_view src, const std::string& file, Diagnostics& diags)
    : lex_(src, file, diags), diags_(diags) {
  tok_ = lex_.next();
}

// "column 16" on the error's own line, else "15:16" (a statement that ran on to the next line).
std::string Parser::place_of(const Token& t) const {
  return t.line == tok_.line ? "column " + std::to_string(t.col) : std::to_string(t.line) + ":" + std::to_string(t.col);
}

Token Parser::take() {
  Token t = tok_;
  last_ = t;
  if (t.kind == Tok::Ident && t.text == "loss") saw_loss_word_ = true;
  if (pushed_) {
    tok_ = *pushed_;
    pushed_.reset();
  } else if (tok_.kind != Tok::End) {
    tok_ = lex_.next();
  }
  return t;
}

void Parser::unget(const Token& t) {
  pushed_ = tok_;
  tok_ = t;
}

void Parser::fail(const Token& t, const std::string& message) {
  // An Error token was already reported by the lexer; stay silent to avoid a cascade.
  if (t.kind == Tok::Error) throw Abort{};
  SourceLoc at = lex_.loc(t);
  // "got end of line" just past the last token of the line, not past a comment after it.
  if ((t.kind == Tok::Newline || t.kind == Tok::End) && last_ && last_->line == t.line)
    at.col = last_->col + static_cast<int>(last_->text.size());
  diags_.error(at, message);
  throw Abort{};
}

Token Parser::expect(Tok k, const char* what) {
  if (!at(k)) fail(tok_, std::string("expected ") + what + ", got " + describe(tok_));
  return take();
}

Ident Parser::ident(const char* what) {
  if (at(Tok::Ident) && is_keyword(tok_.text)) {
    keyword_name_ = Ident{std::string(tok_.text), lex_.loc(tok_)};  // its later uses stay silent
    fail(tok_, "'" + std::string(tok_.text) + "' is a keyword and cannot be used as a name");
  }
  Token t = expect(Tok::Ident, what);
  return {std::string(t.text), lex_.loc(t)};
}

void Parser::enter(const Token& t) {
  if (++nesting_ > kMaxNesting)
    fail(t, "expression is nested too deeply (more than " + std::to_string(kMaxNesting) + " levels)");
}

std::optional<Stmt> Parser::next() {
  while (at(Tok::Newline)) take();
  if (at(Tok::End) || diags_.at_limit()) return std::nullopt;
  Stmt s;
  s.loc = lex_.loc(tok_);
  nesting_ = 0;
  keyword_name_.reset();
  saw_loss_word_ = false;
  try {
    statement(s);
  } catch (const Abort&) {
    s.broken_kind = s.kind;
    s.kind = StmtKind::Broken;
    if (keyword_name_) s.names.push_back(*keyword_name_);
    skip_statement();
    s.has_loss_word = saw_loss_word_;
  }
  return s;
}

void Parser::skip_statement() {
  lex_.set_quiet(true);
  // A token put back (unget) comes before the lexer's next one: it may be this line's end.
  while (!at(Tok::Newline) && !at(Tok::End)) {
    if (at(Tok::Ident) && tok_.text == "loss") saw_loss_word_ = true;
    if (pushed_) {
      tok_ = *pushed_;
      pushed_.reset();
    } else {
      tok_ = lex_.next();
    }
  }
  lex_.set_quiet(false);
  if (at(Tok::Newline)) take();
}

void Parser::end_of_statement() {
  if (at(Tok::End)) return;
  if (!at(Tok::Newline)) fail(tok_, "expected end of line, got " + describe(tok_));
  take();
}

/// stmt ::= keyword-statement | ident '=' expr
void Parser::statement(Stmt& s) {
  if (at(Tok::Ident) && is_keyword(tok_.text)) return keyword_statement(s, take());
  if (!at(Tok::Ident)) {
    const bool continued = at(Tok::Plus) || at(Tok::Minus) || at(Tok::Star) || at(Tok::Slash) || at(Tok::At);
    fail(tok_, "expected a statement, got " + describe(tok_) +
                   (continued ? "; a statement continues onto the next line only inside (...) or [...]" : ""));
  }
  s.kind = StmtKind::Def;
  const Token first = tok_;
  s.names.push_back(ident("a name"));
  if (at(Tok::Ident) && is_other_language_word(first.text))
    fail(first, "'" + std::string(first.text) +
                    "' is not a .grad statement: a line is NAME = EXPR or starts with one of network, precision, "
                    "dim, input, target, param, const, output, loss, grad, optimizer");
  if (at(Tok::Ident)) misspelt_keyword(s, first);  // returns when the word is like no keyword (`z2 X @ W`)
  if (at(Tok::Ident)) {  // `let z2 = ...`: a word before a definition, whose name stays silent later
    const Token name = take();
    if (at(Tok::Assign)) {
      s.names = {Ident{std::string(name.text), lex_.loc(name)}};
      fail(first, "unknown word '" + std::string(first.text) + "' before the definition of '" + std::string(name.text) +
                      "' (a definition is NAME = EXPR)");
    }
    unget(name);
  }
  expect(Tok::Assign, "'=' after the name");
  s.expr = expr();
  end_of_statement();
}

namespace {

// The statements a keyword starts (the lexer's keywords).
constexpr std::pair<std::string_view, StmtKind> kStatementKeywords[] = {
    {"network", StmtKind::Network}, {"precision", StmtKind::Precision}, {"dim", StmtKind::Dim},
    {"input", StmtKind::Input},     {"target", StmtKind::Target},       {"param", StmtKind::Param},
    {"const", StmtKind::Const},     {"output", StmtKind::Output},       {"loss", StmtKind::Loss},
    {"grad", StmtKind::Grad},       {"optimizer", StmtKind::Optimizer}};

StmtKind statement_kind(std::string_view keyword) {
  for (const auto& [word, kind] : kStatementKeywords)
    if (word == keyword) return kind;
  return StmtKind::Broken;
}

}  // namespace

// `Input X[2, 2]`, `los J = sum(X)`: a name followed by a name starts no statement; when the
// first is close to a keyword it was most likely that keyword, misspelt. The statement is then
// taken as that keyword's, broken: the name it declares stays silent in later uses, and a
// misspelt `loss` or `network` is not also reported missing.
void Parser::misspelt_keyword(Stmt& s, const Token& word) {
  std::vector<std::string> keywords;
  for (const auto& [keyword, kind] : kStatementKeywords) keywords.emplace_back(keyword);
  const std::string text(word.text);
  std::string lower = text;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const std::optional<std::string> meant = statement_kind(lower) != StmtKind::Broken ? lower : closest(text, keywords);
  if (!meant) return;
  s.names = {Ident{std::string(tok_.text), lex_.loc(tok_)}};
  s.kind = statement_kind(*meant);
  fail(word, "unknown statement '" + text + "'; did you mean '" + *meant + "'?");
}

void Parser::keyword_statement(Stmt& s, const Token& kw) {
  std::string_view w = kw.text;
  s.kind = statement_kind(w);
  // `loss = sum(x)`: a loss (output, const) without its name, not a definition of 'loss'.
  if (at(Tok::Assign) && (s.kind == StmtKind::Loss || s.kind == StmtKind::Output || s.kind == StmtKind::Const))
    fail(tok_, "expected a name after '" + std::string(w) + "': " + std::string(w) + " NAME = EXPR");
  if (at(Tok::Assign)) fail(kw, "'" + std::string(w) + "' is a keyword and cannot be used as a name");
  switch (s.kind) {
    case StmtKind::Network:
    case StmtKind::Precision:
      s.names.push_back(ident(s.kind == StmtKind::Network ? "a network name" : "'f32' or 'f64'"));
      break;
    case StmtKind::Dim:
      names_list(s, "a name");
      if (at(Tok::Assign))
        fail(tok_, "a dim has no value here: it is bound at run time, or when generating with --bind NAME=SIZE");
      break;
    case StmtKind::Grad: names_list(s, "a name"); break;
    case StmtKind::Input:
    case StmtKind::Target:
    case StmtKind::Param: declaration(s); break;
    case StmtKind::Const:
    case StmtKind::Output:
    case StmtKind::Loss:
      s.names.push_back(ident("a name"));
      expect(Tok::Assign, "'=' after the name");
      s.expr = expr();
      break;
    case StmtKind::Optimizer: s.expr = expr(); break;
    case StmtKind::Def:
    case StmtKind::Broken: fail(kw, "internal error: '" + std::string(w) + "' starts no statement");  // not a keyword
  }
  end_of_statement();
}

/// decl ::= ident [shape] {ident '=' expr}
void Parser::declaration(Stmt& s) {
  s.names.push_back(ident("a tensor name"));
  if (at(Tok::LParen)) fail(tok_, "a shape is written in brackets, as in X[n, 2]");
  if (at(Tok::LBracket)) shape(s);
  while (at(Tok::Ident)) {
    Token key = take();
    expect(Tok::Assign, "'=' after the option name");
    s.options.push_back({std::string(key.text), lex_.loc(key), expr()});
  }
}

/// shape ::= '[' [dim {',' dim}] ']'
void Parser::shape(Stmt& s) {
  take();
  if (at(Tok::RBracket)) {
    take();
    return;
  }
  while (true) {
    if (!at(Tok::Number) && !at(Tok::Ident))
      fail(tok_, "expected a dimension (a positive integer or a dim name), got " + describe(tok_));
    Token d = take();
    s.dims.push_back({std::string(d.text), lex_.loc(d), d.kind == Tok::Ident, d.integer});
    if (at(Tok::RBracket)) break;
    expect(Tok::Comma, "',' or ']' in the shape");
  }
  take();
}

void Parser::names_list(Stmt& s, const char* what) {
  s.names.push_back(ident(what));
  while (at(Tok::Comma)) {
    take();
    s.names.push_back(ident(what));
  }
}

ExprPtr Parser::node(Expr::Kind kind, const Token& t) {
  auto e = std::make_unique<Expr>();
  e->kind = kind;
  e->loc = lex_.loc(t);
  return e;
}

// Height bounds the recursion of every later walk over the tree (lowering, destruction).
void Parser::grow(Expr& e, const Token& t) {
  int h = 0;
  for (const ExprPtr& a : e.args) h = std::max(h, a->height);
  for (const KwArg& k : e.kwargs) h = std::max(h, k.value->height);
  e.height = h + 1;
  if (e.height - 1 > kMaxHeight)  // operators above the leaves (height 1)
    fail(t, "expression is too deep (more than " + std::to_string(kMaxHeight) +
                " levels: each operator of a chain such as a + b + c is one); split it into definitions");
}

/// expr ::= term {('+'|'-') term}
ExprPtr Parser::expr() {
  ExprPtr lhs = term();
  while (at(Tok::Plus) || at(Tok::Minus)) {
    Token op = take();
    ExprPtr b = node(Expr::Binary, op);
    b->op = op.text[0];
    b->args.push_back(std::move(lhs));
    b->args.push_back(term());
    grow(*b, op);
    lhs = std::move(b);
  }
  return lhs;
}

/// term ::= unary {('*'|'/'|'@') unary}
ExprPtr Parser::term() {
  ExprPtr lhs = unary();
  while (at(Tok::Star) || at(Tok::Slash) || at(Tok::At)) {
    Token op = take();
    if (op.kind == Tok::Star && at(Tok::Star) && tok_.line == op.line && tok_.col == op.col + 1)
      fail(op, "'**' is not an operator; for a power write pow(x, p) or square(x)");
    ExprPtr b = node(Expr::Binary, op);
    b->op = op.text[0];
    b->args.push_back(std::move(lhs));
    b->args.push_back(unary());
    grow(*b, op);
    lhs = std::move(b);
  }
  return lhs;
}

/// unary ::= '-' unary | postfix
ExprPtr Parser::unary() {
  if (!at(Tok::Minus)) return postfix();
  Token op = take();
  enter(op);
  ExprPtr n = node(Expr::Neg, op);
  n->args.push_back(unary());
  grow(*n, op);
  --nesting_;
  return n;
}

// After `x.`: what a PyTorch or numpy user most likely meant by a word other than T.
std::string Parser::not_a_transpose_hint(const Token& t) {
  if (t.kind != Tok::Ident) return "";
  const std::string_view w = t.text;
  if (w == "t" || w == "transpose" || w == "permute") return "; write x.T for a transpose";
  if (w == "mm" || w == "matmul" || w == "dot") return "; write a @ b for a matrix product";
  return "; .grad has no modules or methods: call functions by their own name, as in relu(x)";
}

/// postfix ::= primary {'(' args ')' | '.' 'T'}
ExprPtr Parser::postfix() {
  ExprPtr e = primary();
  while (at(Tok::LParen) || at(Tok::Dot) || at(Tok::LBracket)) {
    if (at(Tok::LBracket)) fail(tok_, "indexing and slicing (x[...]) are not part of .grad");
    if (at(Tok::Dot)) {
      Token dot = take();
      if (!at_word("T")) fail(tok_, "expected 'T' after '.', got " + describe(tok_) + not_a_transpose_hint(tok_));
      take();
      ExprPtr t = node(Expr::Transpose, dot);
      t->args.push_back(std::move(e));
      grow(*t, dot);
      e = std::move(t);
      continue;
    }
    if (e->kind == Expr::Transpose) fail(tok_, "'.T' is not a method: write x.T without ()");
    if (e->kind != Expr::Name) fail(tok_, "only a function name can be called");
    e->kind = Expr::Call;
    call_args(*e);
  }
  return e;
}

/// primary ::= number | ident | '(' expr ')'
ExprPtr Parser::primary() {
  if (at(Tok::Number)) {
    Token t = take();
    ExprPtr n = node(Expr::Number, t);
    n->number = t.number;
    n->integer = t.integer;
    return n;
  }
  if (at(Tok::Ident)) {
    if (is_keyword(tok_.text)) fail(tok_, "'" + std::string(tok_.text) + "' is a keyword, not a value");
    Token t = take();
    ExprPtr n = node(Expr::Name, t);
    n->name = std::string(t.text);
    return n;
  }
  if (!at(Tok::LParen)) fail(tok_, "expected an expression, got " + describe(tok_));
  Token open = take();
  enter(open);
  ExprPtr e = expr();
  if (!at(Tok::RParen)) fail(tok_, "expected ')' to close the '(' at " + place_of(open) + ", got " + describe(tok_));
  take();
  --nesting_;
  return e;
}

/// args ::= [arg {',' arg}]   arg ::= [ident '='] expr   (keyword arguments last)
void Parser::call_args(Expr& call) {
  Token open = take();
  enter(open);
  while (!at(Tok::RParen)) {
    bool keyword = false;
    if (at(Tok::Ident)) {
      Token key = take();
      if (at(Tok::Assign)) {
        take();
        call.kwargs.push_back({std::string(key.text), lex_.loc(key), expr()});
        keyword = true;
      } else {
        unget(key);
      }
    }
    if (!keyword) {
      if (!call.kwargs.empty()) fail(tok_, "positional argument after keyword arguments");
      call.args.push_back(expr());
    }
    if (at(Tok::RParen)) break;
    if (at(Tok::Newline) || at(Tok::End))
      fail(tok_, "expected ')' to close the '(' at " + place_of(open) + ", got " + describe(tok_));
    expect(Tok::Comma, "',' or ')' in the argument list");
  }
  take();
  --nesting_;
  grow(call, open);
}

}  // namespace gg::grad
