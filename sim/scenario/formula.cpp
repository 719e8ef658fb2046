#include "sim/scenario/formula.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "sim/scenario/scenario.h"
#include "sim/scenario/yaml_reader.h"

namespace switchcost::sim {

namespace {

using models::FormulaOp;
using models::FormulaOperand;

[[noreturn]] void fail(const Location& where, const std::string& message) { throw ScenarioError(where, message); }

// The place of byte `offset` of a formula's text, where the file has it
// (columns in characters, not bytes, as the reader counts them).
Location location_at(const FormulaSource& src, std::size_t offset) {
  return text_location(src.where, src.segments, src.text, offset);
}

struct Function {
  std::string_view name;
  FormulaOp op;
  int min_args, max_args;  // max_args -1: any number
};
constexpr Function functions[] = {
    {"min", FormulaOp::min, 2, -1},  {"max", FormulaOp::max, 2, -1},   {"clamp", FormulaOp::clamp, 3, 3},
    {"if", FormulaOp::select, 3, 3}, {"exp", FormulaOp::exp, 1, 1},     {"log", FormulaOp::log, 1, 1},
    {"sqrt", FormulaOp::sqrt, 1, 1}, {"pow", FormulaOp::pow, 2, 2},     {"sin", FormulaOp::sin, 1, 1},
    {"cos", FormulaOp::cos, 1, 1},
};

// A node of a formula's syntax tree (kept in one vector, children by index).
struct Expr {
  enum class Kind { number, symbol, formula, draw, op } kind = Kind::number;
  double value = 0;          // number
  int index = 0;             // symbol: into symbols; formula: into sources; draw: into draws
  FormulaOp op = FormulaOp::add;
  std::vector<int> kids;
  std::size_t offset = 0;    // in the text, for messages
};

// What the parser knows of the whole set.
struct Names {
  const std::vector<std::string>& known;
  const std::map<std::string, int, std::less<>>& formulas;  // name -> index in sources
  const std::string& stream_prefix;
  FormulaSet& set;
  std::map<std::string, int, std::less<>> symbol_index;   // into set.symbols
};

class Parser {
 public:
  Parser(const FormulaSource& src, Names& names, const FormulaLimits& limits)
      : src_(src), text_(src.text), names_(names), limits_(limits) {}

  // Parses the whole text; returns the root. Fills refs (formulas read, with offsets).
  int parse() {
    skip_space();
    if (pos_ == text_.size()) fail(at(pos_), "formula '" + src_.name + "' is empty; write an expression");
    const int root = parse_or(1);
    skip_space();
    if (pos_ != text_.size()) fail(at(pos_), "unexpected '" + printable(text_.substr(pos_, 1)) +
                                                 "' in formula '" + src_.name + "'; expected an operator or the end");
    return root;
  }

  std::vector<Expr> nodes;
  std::vector<std::pair<int, std::size_t>> refs;  // (formula index, offset)

 private:
  const FormulaSource& src_;
  std::string_view text_;
  Names& names_;
  const FormulaLimits& limits_;
  std::size_t pos_ = 0;
  int draws_ = 0;

  Location at(std::size_t offset) const { return location_at(src_, offset); }

  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r'))
      ++pos_;
  }
  bool accept(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }
  void expect(char c, const std::string& what) {
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return;
    }
    fail(at(pos_), "expected " + what + " in formula '" + src_.name + "', got " +
                       (pos_ < text_.size() ? "'" + printable(text_.substr(pos_, 1)) + "'" : "the end"));
  }
  void check_depth(int depth) const {
    if (depth > limits_.max_depth)
      fail(at(pos_), "formula '" + src_.name + "' is nested more than " + std::to_string(limits_.max_depth) +
                         " levels deep; split it into intermediate formulas");
  }
  int add(Expr e) {
    if (nodes.size() >= limits_.max_nodes)
      fail(at(e.offset), "formula '" + src_.name + "' has more than " + std::to_string(limits_.max_nodes) +
                             " terms; split it into intermediate formulas");
    nodes.push_back(std::move(e));
    return int(nodes.size() - 1);
  }
  int op(FormulaOp o, std::size_t offset, std::vector<int> kids) {
    Expr e;
    e.kind = Expr::Kind::op;
    e.op = o;
    e.offset = offset;
    e.kids = std::move(kids);
    return add(std::move(e));
  }

  int parse_or(int depth) {
    check_depth(depth);
    int left = parse_and(depth + 1);
    for (;;) {
      skip_space();
      const std::size_t where = pos_;
      if (!accept("||")) return left;
      left = op(FormulaOp::or_, where, {left, parse_and(depth + 1)});
    }
  }
  int parse_and(int depth) {
    check_depth(depth);
    int left = parse_compare(depth + 1);
    for (;;) {
      skip_space();
      const std::size_t where = pos_;
      if (!accept("&&")) return left;
      left = op(FormulaOp::and_, where, {left, parse_compare(depth + 1)});
    }
  }
  int parse_compare(int depth) {
    check_depth(depth);
    const int left = parse_sum(depth + 1);
    skip_space();
    const std::size_t where = pos_;
    static constexpr std::pair<std::string_view, FormulaOp> comparisons[] = {
        {"<=", FormulaOp::le}, {">=", FormulaOp::ge}, {"==", FormulaOp::eq},
        {"!=", FormulaOp::ne}, {"<", FormulaOp::lt},  {">", FormulaOp::gt}};
    for (const auto& [token, o] : comparisons)
      if (accept(token)) {
        const int right = parse_sum(depth + 1);
        skip_space();
        for (const auto& [t2, o2] : comparisons)
          if (text_.substr(pos_, t2.size()) == t2)
            fail(at(pos_), "comparisons do not chain in formula '" + src_.name +
                               "'; write (a < b) && (b < c)");
        return op(o, where, {left, right});
      }
    if (text_.substr(pos_, 1) == "=")
      fail(at(pos_), "'=' in formula '" + src_.name + "'; compare with '==' (formulas assign nothing)");
    return left;
  }
  int parse_sum(int depth) {
    check_depth(depth);
    int left = parse_product(depth + 1);
    for (;;) {
      skip_space();
      const std::size_t where = pos_;
      if (accept("+")) left = op(FormulaOp::add, where, {left, parse_product(depth + 1)});
      else if (accept("-")) left = op(FormulaOp::sub, where, {left, parse_product(depth + 1)});
      else return left;
    }
  }
  int parse_product(int depth) {
    check_depth(depth);
    int left = parse_unary(depth + 1);
    for (;;) {
      skip_space();
      const std::size_t where = pos_;
      if (accept("*")) left = op(FormulaOp::mul, where, {left, parse_unary(depth + 1)});
      else if (accept("/")) left = op(FormulaOp::div, where, {left, parse_unary(depth + 1)});
      else return left;
    }
  }
  int parse_unary(int depth) {
    check_depth(depth);
    skip_space();
    const std::size_t where = pos_;
    if (text_.substr(pos_, 2) != "!=" && accept("!")) return op(FormulaOp::not_, where, {parse_unary(depth + 1)});
    if (accept("-")) {
      const int kid = parse_unary(depth + 1);
      if (nodes[std::size_t(kid)].kind == Expr::Kind::number) {  // a negative number, not an operation
        nodes[std::size_t(kid)].value = -nodes[std::size_t(kid)].value;
        nodes[std::size_t(kid)].offset = where;
        return kid;
      }
      return op(FormulaOp::neg, where, {kid});
    }
    return parse_primary(depth + 1);
  }

  static bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
  static bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

  // A number's text, read by the scenario's own rule (to_number).
  std::pair<double, std::size_t> number() {
    const std::size_t start = pos_;
    auto digits = [&] {
      while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    };
    digits();
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      digits();
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      digits();
    }
    Node n;
    n.kind = Node::Kind::scalar;
    n.text = std::string(text_.substr(start, pos_ - start));
    n.where = at(start);
    if (pos_ < text_.size() && name_char(text_[pos_]))
      fail(at(pos_), "a number runs into '" + printable(text_.substr(pos_, 1)) + "' in formula '" + src_.name +
                         "'; put an operator between them");
    return {to_number(n), start};
  }

  std::string name() {
    const std::size_t start = pos_;
    for (;;) {
      while (pos_ < text_.size() && name_char(text_[pos_])) ++pos_;
      if (pos_ + 1 < text_.size() && text_[pos_] == '.' && name_start(text_[pos_ + 1])) {
        ++pos_;
        continue;
      }
      break;
    }
    return std::string(text_.substr(start, pos_ - start));
  }

  int parse_primary(int depth) {
    check_depth(depth);
    skip_space();
    const std::size_t where = pos_;
    if (pos_ == text_.size()) fail(at(pos_), "formula '" + src_.name + "' ends where a value was expected");
    const char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      const int inner = parse_or(depth + 1);
      expect(')', "')' closing the '(' at column " + std::to_string(at(where).column));
      return inner;
    }
    if (std::isdigit(static_cast<unsigned char>(c))) {
      Expr e;
      std::tie(e.value, e.offset) = number();
      return add(std::move(e));
    }
    if (!name_start(c))
      fail(at(pos_), "unexpected '" + printable(text_.substr(pos_, 1)) + "' in formula '" + src_.name +
                         "'; expected a number, a name or '('");
    const std::string word = name();
    skip_space();
    if (pos_ < text_.size() && text_[pos_] == '(') return call(word, where, depth);
    return symbol(word, where);
  }

  int symbol(const std::string& word, std::size_t where) {
    Expr e;
    e.offset = where;
    if (const auto f = names_.formulas.find(word); f != names_.formulas.end()) {
      e.kind = Expr::Kind::formula;
      e.index = f->second;
      refs.emplace_back(f->second, where);
      return add(std::move(e));
    }
    if (std::find(names_.known.begin(), names_.known.end(), word) == names_.known.end()) {
      std::vector<std::string_view> candidates(names_.known.begin(), names_.known.end());
      for (const auto& [n, i] : names_.formulas) candidates.push_back(n);
      const std::string near = suggest(word, candidates);
      fail(at(where), "unknown name '" + printable(word) + "' in formula '" + src_.name + "'" +
                          (near.empty() ? "; it is neither an input, a model output nor a formula"
                                        : "; did you mean '" + near + "'?"));
    }
    e.kind = Expr::Kind::symbol;
    auto [it, inserted] = names_.symbol_index.try_emplace(word, int(names_.set.symbols.size()));
    if (inserted) names_.set.symbols.push_back(word);
    e.index = it->second;
    return add(std::move(e));
  }

  int call(const std::string& word, std::size_t where, int depth) {
    const auto& kinds = distribution_kind_names();
    if (std::find(kinds.begin(), kinds.end(), word) != kinds.end()) return draw(word, where);
    const Function* fn = nullptr;
    for (const auto& f : functions)
      if (f.name == word) fn = &f;
    if (!fn) {
      std::vector<std::string_view> candidates(kinds.begin(), kinds.end());
      for (const auto& f : functions) candidates.push_back(f.name);
      const std::string near = suggest(word, candidates);
      fail(at(where), "unknown function '" + printable(word) + "' in formula '" + src_.name + "'" +
                          (near.empty() ? "; the functions are min, max, clamp, if, exp, log, sqrt, pow, sin, cos and the "
                                          "distribution kinds"
                                        : "; did you mean '" + near + "'?"));
    }
    expect('(', "'('");
    std::vector<int> args;
    skip_space();
    if (!accept(")")) {
      do args.push_back(parse_or(depth + 1));
      while (accept(","));
      expect(')', "',' or ')' in the arguments of " + word + "(...)");
    }
    const int n = int(args.size());
    if (n < fn->min_args || (fn->max_args >= 0 && n > fn->max_args))
      fail(at(where), word + "(...) takes " +
                          (fn->max_args < 0 ? "at least " + std::to_string(fn->min_args)
                                            : std::to_string(fn->min_args)) +
                          " argument" + (fn->min_args == 1 ? "" : "s") + ", got " + std::to_string(n) +
                          " in formula '" + src_.name + "'");
    if (fn->max_args >= 0) return op(fn->op, where, std::move(args));
    int acc = args[0];  // min and max of several: folded from the left
    for (std::size_t k = 1; k < args.size(); ++k) acc = op(fn->op, where, {acc, args[k]});
    return acc;
  }

  // kind(number, ...) or kind(name: number, ...): read as {kind: [number, ...]}
  // or {kind: {name: number, ...}} are read elsewhere.
  int draw(const std::string& kind, std::size_t where) {
    expect('(', "'('");
    Node args;
    args.kind = Node::Kind::sequence;
    args.where = at(pos_ - 1);
    skip_space();
    if (!accept(")")) {
      std::size_t count = 0;
      do {
        skip_space();
        const std::size_t start = pos_;
        Node key;
        if (pos_ < text_.size() && name_start(text_[pos_])) {  // a named parameter
          key.kind = Node::Kind::scalar;
          key.where = at(pos_);
          key.text = name();
          skip_space();
          if (!accept(":"))
            fail(key.where, "the arguments of " + kind + "(...) in formula '" + src_.name +
                                "' are numbers, positional or named (" + kind +
                                "(name: number, ...)); a drawn variable's parameters are fixed");
          skip_space();
        }
        const std::size_t value_start = pos_;
        const bool negative = accept("-");
        skip_space();
        if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_])))
          fail(at(pos_), "the arguments of " + kind + "(...) in formula '" + src_.name +
                             "' are numbers (a drawn variable's parameters are fixed); use if() or arithmetic "
                             "on the draw instead");
        const std::size_t digits = pos_;
        number();
        Node n;
        n.kind = Node::Kind::scalar;
        n.text = (negative ? "-" : "") + std::string(text_.substr(digits, pos_ - digits));
        n.where = at(value_start);
        const bool named = key.kind == Node::Kind::scalar;
        if (count > 0 && named != args.is_mapping())
          fail(at(start), "the arguments of " + kind + "(...) in formula '" + src_.name +
                              "' are all named or all positional");
        if (named) {
          args.kind = Node::Kind::mapping;
          args.entries.emplace_back(std::move(key), std::move(n));
        } else {
          args.items.push_back(std::move(n));
        }
        if (++count > limits_.max_nodes)
          fail(at(start), kind + "(...) has more than " + std::to_string(limits_.max_nodes) + " arguments");
      } while (accept(","));
      expect(')', "',' or ')' in the arguments of " + kind + "(...)");
    }
    Node key;
    key.kind = Node::Kind::scalar;
    key.text = kind;
    key.where = at(where);
    Node spec;
    spec.kind = Node::Kind::mapping;
    spec.where = at(where);
    spec.entries.emplace_back(std::move(key), std::move(args));
    FormulaDraw d{distribution_from_node(spec),
                  names_.stream_prefix + "formulas." + src_.name + "." + std::to_string(draws_++), at(where)};
    Expr e;
    e.kind = Expr::Kind::draw;
    e.offset = where;
    e.index = int(names_.set.draws.size());
    names_.set.draws.push_back(std::move(d));
    return add(std::move(e));
  }
};

// Emits a formula's tree as instructions; temporaries are freed as soon as
// read (each node of a tree is read once), so a formula needs about as many
// temporaries as its tree is deep.
class Emitter {
 public:
  Emitter(const std::vector<Expr>& nodes, const FormulaSet& set, const std::vector<int>& formula_slot,
          models::FormulaProgram& program)
      : nodes_(nodes), set_(set), formula_slot_(formula_slot), program_(program) {}

  FormulaOperand emit(int index) {
    const Expr& e = nodes_[std::size_t(index)];
    switch (e.kind) {
      case Expr::Kind::number:
        program_.constants.push_back(e.value);
        return {FormulaOperand::Kind::constant, int(program_.constants.size() - 1)};
      case Expr::Kind::symbol: return {FormulaOperand::Kind::slot, e.index};
      case Expr::Kind::draw: return {FormulaOperand::Kind::slot, set_.draw_slot(std::size_t(e.index))};
      case Expr::Kind::formula: return {FormulaOperand::Kind::slot, formula_slot_[std::size_t(e.index)]};
      case Expr::Kind::op: break;
    }
    models::FormulaInstr in;
    in.op = e.op;
    FormulaOperand* operands[] = {&in.a, &in.b, &in.c};
    for (std::size_t k = 0; k < e.kids.size(); ++k) *operands[k] = emit(e.kids[k]);
    for (std::size_t k = 0; k < e.kids.size(); ++k) release(*operands[k]);
    in.out = acquire();
    program_.code.push_back(in);
    return {FormulaOperand::Kind::temp, in.out};
  }

 private:
  const std::vector<Expr>& nodes_;
  const FormulaSet& set_;
  const std::vector<int>& formula_slot_;
  models::FormulaProgram& program_;
  std::vector<int> free_;

  int acquire() {
    if (free_.empty()) return program_.temp_count++;
    const int t = free_.back();
    free_.pop_back();
    return t;
  }
  void release(const FormulaOperand& o) {
    if (o.kind == FormulaOperand::Kind::temp) free_.push_back(o.index);
  }
};

}  // namespace

const std::vector<FormulaSymbol>& formula_model_symbols() {
  static const std::vector<FormulaSymbol> symbols = {
      {"labor.hours", "[h] all migration labor"},
      {"labor.cost", "[USD] migration labor borne by the MSP"},
      {"labor.duration_days", "[days] from the MSP's start to completion"},
      {"lost_updates.expected_incidents", "[incidents] expected excess incidents after the cut-off"},
      {"pricing.cost", "[USD] PV of the licence price change borne by the MSP, plus setup fees"},
      {"stranded.cost", "[USD] prepaid licences that cannot be used"},
      {"refunds.cost", "[USD] refunds owed to clients"},
      {"old_price_per_endpoint_month", "[USD/(endpoint month)] the incumbent's list price"},
      {"new_price_per_endpoint_month", "[USD/(endpoint month)] the target's list price"},
      {"start_day", "[days since 1970-01-01] the MSP's migration start"},
      {"completion_day", "[days since 1970-01-01] the MSP's completion"},
      {"timeline.sales_end", "[days since 1970-01-01]"},
      {"timeline.updates_end", "[days since 1970-01-01] updates stop at 00:00 of this day"},
      {"timeline.migration_start", "[days since 1970-01-01]"},
      {"timeline.horizon_months", "[months]"},
  };
  return symbols;
}

const std::vector<std::string>& msp_formula_symbols() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& spec : msp_param_specs()) v.emplace_back(spec.key);
    for (const auto& s : formula_model_symbols()) v.emplace_back(s.name);
    return v;
  }();
  return names;
}

bool same_formulas(const FormulaSet* a, const FormulaSet* b) {
  if (a == b) return true;
  if (!a || !b || a->symbols != b->symbols || a->costs != b->costs || a->draws.size() != b->draws.size() ||
      a->formulas.size() != b->formulas.size())
    return false;
  for (std::size_t k = 0; k < a->draws.size(); ++k)
    if (a->draws[k].stream != b->draws[k].stream || !a->draws[k].dist.same_quantiles(b->draws[k].dist)) return false;
  for (std::size_t k = 0; k < a->formulas.size(); ++k) {
    const CompiledFormula &x = a->formulas[k], &y = b->formulas[k];
    if (x.name != y.name || x.cost != y.cost || x.slot != y.slot || !(x.program == y.program)) return false;
  }
  return true;
}

const std::vector<std::string>& market_formula_symbols() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& spec : market_param_specs())
      if (spec.key != "threat.incident_cost") v.push_back("market." + std::string(spec.key));
    for (const char* date : {"timeline.sales_end", "timeline.updates_end", "timeline.migration_start",
                             "timeline.horizon_months"})
      v.emplace_back(date);
    return v;
  }();
  return names;
}

FormulaSet compile_formulas(const std::vector<FormulaSource>& sources, const std::vector<std::string>& known,
                            const std::string& stream_prefix, const FormulaLimits& limits) {
  FormulaSet set;
  if (sources.size() > limits.max_formulas)
    fail(sources[limits.max_formulas].where,
         "more than " + std::to_string(limits.max_formulas) + " formulas in one block");
  std::map<std::string, int, std::less<>> by_name;
  for (std::size_t i = 0; i < sources.size(); ++i) {
    const auto& s = sources[i];
    if (std::find(known.begin(), known.end(), s.name) != known.end())
      fail(s.where, "formula '" + printable(s.name) + "' has the name of an input or model output; rename it");
    if (!by_name.emplace(s.name, int(i)).second)
      fail(s.where, "formula '" + printable(s.name) + "' is defined twice");
  }
  Names names{known, by_name, stream_prefix, set, {}};
  std::vector<std::vector<Expr>> trees(sources.size());
  std::vector<int> roots(sources.size());
  std::vector<std::vector<std::pair<int, std::size_t>>> refs(sources.size());
  for (std::size_t i = 0; i < sources.size(); ++i) {
    Parser p(sources[i], names, limits);
    roots[i] = p.parse();
    trees[i] = std::move(p.nodes);
    refs[i] = std::move(p.refs);
  }

  // Order: each formula after those it reads (depth-first); a formula met
  // again while its own reads are being ordered closes a cycle.
  enum class Mark { none, open, done };
  std::vector<Mark> mark(sources.size(), Mark::none);
  std::vector<int> order, path;
  std::vector<std::size_t> path_offset;  // offset of the reference that led to the next formula on the path
  auto visit = [&](auto&& self, int f) -> void {
    mark[std::size_t(f)] = Mark::open;
    path.push_back(f);
    for (const auto& [g, offset] : refs[std::size_t(f)]) {
      if (mark[std::size_t(g)] == Mark::done) continue;
      path_offset.push_back(offset);
      if (mark[std::size_t(g)] == Mark::open) {
        const auto start = std::size_t(std::find(path.begin(), path.end(), g) - path.begin());
        std::string cycle;
        for (std::size_t k = start; k < path.size(); ++k) cycle += sources[std::size_t(path[k])].name + " -> ";
        cycle += sources[std::size_t(g)].name;
        const int first = path[start];
        fail(location_at(sources[std::size_t(first)], path_offset[start]),
             "formula '" + sources[std::size_t(first)].name + "' refers to itself: " + cycle);
      }
      self(self, g);
      path_offset.pop_back();
    }
    path.pop_back();
    mark[std::size_t(f)] = Mark::done;
    order.push_back(f);
  };
  for (std::size_t i = 0; i < sources.size(); ++i)
    if (mark[i] == Mark::none) visit(visit, int(i));

  std::vector<int> formula_slot(sources.size());
  const int first_formula_slot = int(set.symbols.size() + set.draws.size());
  for (std::size_t k = 0; k < order.size(); ++k) formula_slot[std::size_t(order[k])] = first_formula_slot + int(k);
  for (const int f : order) {
    CompiledFormula c;
    c.name = sources[std::size_t(f)].name;
    c.where = sources[std::size_t(f)].where;
    c.cost = sources[std::size_t(f)].cost;
    c.slot = formula_slot[std::size_t(f)];
    Emitter emitter(trees[std::size_t(f)], set, formula_slot, c.program);
    c.program.result = emitter.emit(roots[std::size_t(f)]);
    set.formulas.push_back(std::move(c));
  }
  std::vector<std::size_t> position(sources.size());  // of source i in `formulas`
  for (std::size_t k = 0; k < order.size(); ++k) position[std::size_t(order[k])] = k;
  for (std::size_t i = 0; i < sources.size(); ++i)
    if (sources[i].cost) set.costs.push_back(position[i]);
  return set;
}

}  // namespace switchcost::sim
