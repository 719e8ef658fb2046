#include "sim/scenario/scenario.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>
#include <utility>

#include "models/registry.h"
#include "models/labor.h"
#include "models/lost_updates.h"
#include "models/pricing.h"
#include "models/stranded.h"
#include "sim/scenario/builtin.h"
#include "sim/random/random.h"

namespace switchcost::sim {
namespace {

constexpr double inf = std::numeric_limits<double>::infinity();
// Largest magnitude any draw may reach: far beyond any plausible money,
// hours or count here, and small enough that sums over a portfolio of
// millions of endpoints stay finite.
constexpr double value_cap = 1e15;
// The most extreme uniforms the engine can draw (sim/random/random.h: 53 bits).
constexpr double u_lowest = 0x1p-54;
constexpr double u_highest = 1.0 - 0x1p-53;  // the largest double below 1
constexpr int max_include_depth = 32;
constexpr int max_file_loads = 256;
// The expanded scenario's size limits (docs/scenario-format.md, "Limits"),
// checked before anything is expanded, so that a small file cannot ask for
// gigabytes: an MSP takes a few KB loaded, every MSP copies the defaults'
// distributions (a discrete one with all its points) and its extra items,
// and each distinct PERT or Beta shape gets a 64 KiB quantile table when run.
// All far above real use: the shipped population has 200 MSPs and 29 shapes.
constexpr std::size_t max_msps = 100'000;
constexpr std::size_t max_extra_entries = 1'000'000;     // MSPs x their extra items
constexpr std::size_t max_formula_draws = 1'000'000;     // MSPs x the inline draws of their formulas
constexpr std::size_t max_discrete_points = 10'000'000;  // over every MSP's copies
constexpr std::size_t max_beta_shapes = 4'096;           // distinct tabulated shapes
// Counts per MSP: whole numbers (an endpoint is not divisible) up to these.
constexpr double max_endpoints = 10'000'000;
constexpr double max_technicians = 100'000;
// Inputs one correlations: block may name: more than the model has at
// either level (about 25 per MSP, 6 per competitor), and small enough that
// checking the matrix (eigenvalues, Higham's projections) stays fast.
constexpr std::size_t max_correlated_inputs = 100;

const char* const name_rule = "1 to 64 letters, digits, '-', '_' or '.'";

[[noreturn]] void fail(const Location& where, const std::string& message) {
  throw ScenarioError(where, message);
}
[[noreturn]] void fail(const Node& at, const std::string& message) { fail(at.where, message); }

// A size limit reached (loads, nesting, MSPs, shapes, points): the load stops
// there, whatever other errors it has kept (going on could only repeat it).
class ScenarioLimitError : public ScenarioError {
 public:
  using ScenarioError::ScenarioError;
};
[[noreturn]] void fail_limit(const Location& where, const std::string& message) {
  throw ScenarioLimitError(where, message);
}
[[noreturn]] void fail_limit(const Node& at, const std::string& message) { fail_limit(at.where, message); }

// Every error a load finds, not only the first: while a Loader runs, the
// errors of independent parts (a key, an MSP, a section, a file) are kept
// here and the load goes on with the next part; load_scenario throws them
// together (ScenarioErrors) before the checks across the whole scenario,
// which a part left out could only make fail again. At most
// max_reported_errors are gathered; the load stops at that many.
constexpr std::size_t max_reported_errors = 20;
thread_local std::vector<ScenarioError>* collected_errors = nullptr;

// Keeps `e` when a load collects errors (true), else false: the caller throws.
bool keep_going(const ScenarioError& e) {
  if (!collected_errors) return false;
  collected_errors->push_back(e);
  if (collected_errors->size() >= max_reported_errors) throw ScenarioErrors(*collected_errors, true);
  return true;
}

// The files being applied, innermost last: one pushed for the scope of its
// application, popped however that ends (an error kept, the load going on).
struct Applying {
  Applying(std::vector<std::string>& stack, const std::string& identity) : stack_(stack) { stack_.push_back(identity); }
  ~Applying() { stack_.pop_back(); }
  Applying(const Applying&) = delete;
  Applying& operator=(const Applying&) = delete;
  std::vector<std::string>& stack_;
};

// Runs one independent part of a load; its error is kept and the load goes on.
template <class F>
void recoverable(F&& part) {
  try {
    part();
  } catch (const ScenarioErrors&) {
    throw;
  } catch (const ScenarioLimitError&) {
    throw;
  } catch (const ScenarioError& e) {
    if (!keep_going(e)) throw;
  }
}

std::string join(const std::vector<std::string_view>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ", ";
    out += w;
  }
  return out;
}

std::string format_number(double x) {
  std::ostringstream s;
  s.precision(10);
  s << x;
  return s.str();
}

std::string format_range(double lo, double hi) {
  return (std::isinf(lo) ? std::string("(-inf") : "[" + format_number(lo)) + ", " +
         (std::isinf(hi) ? std::string("inf)") : format_number(hi) + "]");
}

// Every key of `map` must be one of `known`; else an error at the key with
// the likely intended one, or the full list.
// Unknown keys are errors; with `each`, while a load collects errors, every
// one is reported (an unknown key is simply not read), else the first.
void check_keys(const Node& map, const std::vector<std::string_view>& known, const std::string& what,
                bool each = true) {
  for (const auto& [key, value] : map.entries) {
    if (std::find(known.begin(), known.end(), key.text) != known.end()) continue;
    std::string message = "unknown key '" + key.text + "' in " + what;
    const std::string near = suggest(key.text, known);
    if (!near.empty())
      message += "; did you mean '" + near + "'?";
    else
      message += "; expected one of: " + join(known);
    const ScenarioError e(key.where, message);
    if (!each || !keep_going(e)) throw e;
  }
}

const Node& expect_mapping(const Node& node, const std::string& what) {
  if (!node.is_mapping()) fail(node, "expected " + what + " (a mapping), got " + describe_kind(node));
  return node;
}

const Node& expect_sequence(const Node& node, const std::string& what) {
  if (!node.is_sequence()) fail(node, "expected " + what + " (a list), got " + describe_kind(node));
  return node;
}

// Names of MSPs, competitors and extra items become stream names and report
// labels: keep them plain.
std::string to_name(const Node& node, const std::string& what) {
  if (!node.is_scalar()) fail(node, "expected " + what + " (a name), got " + describe_kind(node));
  const std::string name = to_text(node);
  if (!valid_name(name)) fail(node, what + " '" + name + "' must be " + name_rule);
  return name;
}

// What a load has made so far that the size limits count, filled by the
// distribution readers while a Loader is active on this thread (none when
// distribution_from_node is called on its own).
struct LoadStats {
  std::set<std::pair<double, double>> beta_shapes;  // distinct tabulated (alpha, beta)
  // Points of each discrete distribution, by where it is written (file, line, column).
  std::map<std::tuple<std::string, int, int>, std::size_t> discrete_points;
};
thread_local LoadStats* load_stats = nullptr;

// A PERT or Beta shape: one more quantile table unless already seen.
void note_beta_shape(double alpha, double beta, const Node& at) {
  if (!load_stats || !beta_table_info(alpha, beta).tabulated) return;
  load_stats->beta_shapes.emplace(alpha, beta);
  if (load_stats->beta_shapes.size() > max_beta_shapes)
    fail_limit(at, "more than " + std::to_string(max_beta_shapes) +
                 " distinct PERT and Beta shapes in one scenario (each needs a 64 KiB quantile table); "
                 "reuse shapes or use fewer distinct distributions");
}

// ---------------------------------------------------------------------------
// Distributions

const std::vector<std::string_view>& distribution_kinds() { return distribution_kind_names(); }

// A distribution's parameters (the node after its kind's name) as each
// kind's parse() reads them (sim/random/distribution.h), every failure at the node
// it is about.
class NodeParamReader final : public ParamReader {
 public:
  explicit NodeParamReader(const Node& args) : args_(args) {}

  // Written positionally ([1, 2, 4]) or by name ({min: 1, mode: 2, max: 4});
  // a bare number when the kind has one main parameter ({poisson: 3}).
  ParamValues args(std::string_view kind_name, const std::vector<std::string_view>& names, std::size_t required,
                   bool scalar_ok) const override {
    const std::string kind(kind_name);
    const std::string form = signature(names, required);
    ParamValues values;
    if (args_.is_scalar() && scalar_ok) {
      values.set(names[0], to_number(args_));
    } else if (args_.is_sequence()) {
      if (args_.items.size() < required || args_.items.size() > names.size())
        sim::fail(args_, kind + " takes " + form + ", got " + std::to_string(args_.items.size()) +
                             (args_.items.size() == 1 ? " value" : " values"));
      for (std::size_t i = 0; i < args_.items.size(); ++i) values.set(names[i], to_number(args_.items[i]));
    } else if (args_.is_mapping()) {
      check_keys(names, kind + " parameters");  // DistArgs: strict, the first error only
      for (const auto& [key, value] : args_.entries) values.set(key.text, to_number(value));
      for (std::size_t i = 0; i < required; ++i)
        if (!args_.find(std::string(names[i])))
          sim::fail(args_, kind + " needs '" + std::string(names[i]) + "'; it takes " + form);
    } else {
      sim::fail(args_, kind + " takes " + form + ", got " + describe_kind(args_));
    }
    return values;
  }
  bool is_mapping() const override { return args_.is_mapping(); }
  bool has(std::string_view key) const override { return args_.is_mapping() && args_.find(std::string(key)); }
  std::vector<std::string> keys() const override {
    std::vector<std::string> out;
    for (const auto& entry : args_.entries) out.push_back(entry.first.text);
    return out;
  }
  double number(std::string_view key) const override { return to_number(*args_.find(std::string(key))); }
  std::vector<double> numbers(std::string_view key, const std::string& what) const override {
    const Node& list = *args_.find(std::string(key));
    expect_sequence(list, what);
    std::vector<double> out;
    for (const Node& item : list.items) out.push_back(to_number(item));
    return out;
  }
  void check_keys(const std::vector<std::string_view>& allowed, const std::string& what) const override {
    sim::check_keys(args_, allowed, what, false);  // a distribution's first error only: the rest would follow from it
  }
  [[noreturn]] void fail(const std::string& message) const override { sim::fail(args_, message); }
  [[noreturn]] void fail_unknown_key(std::string_view key, const std::string& what,
                                     const std::vector<std::string_view>& known,
                                     const std::string& otherwise) const override {
    const std::string k(key);
    const std::string near = suggest(k, known);
    for (const auto& entry : args_.entries)
      if (entry.first.text == k)
        sim::fail(entry.first, "unknown key '" + k + "' in " + what +
                                   (near.empty() ? otherwise : "; did you mean '" + near + "'?"));
    sim::fail(args_, "unknown key '" + k + "' in " + what);
  }
  std::string describe() const override { return describe_kind(args_); }

 private:
  static std::string signature(const std::vector<std::string_view>& names, std::size_t required) {
    std::string s = "[";
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (i) s += ", ";
      s += names[i];
      if (i >= required) s += " (optional)";
    }
    return s + "] or {" + join(names) + "}";
  }

  const Node& args_;
};

// ---------------------------------------------------------------------------
// The schema

const ParamSpec* find_spec(const std::vector<ParamSpec>& specs, std::string_view key) {
  for (const auto& s : specs)
    if (s.key == key) return &s;
  return nullptr;
}

// Checks that every value `dist` can take lies in the parameter's range
// (hard limits: shares in [0, 1], counts >= 0, ...), and that even at the
// most extreme uniform the engine can draw it stays within +-value_cap, which
// is what keeps unbounded distributions (lognormal, gamma) from overflowing
// the cost arithmetic.
void check_range(const Distribution& dist, const ParamSpec& spec, const std::string& full_key, const Node& at) {
  const double lo = dist.support_min();
  const double hi = dist.support_max();
  if (lo < spec.min || hi > spec.max) {
    std::string message = full_key + " must lie in " + format_range(spec.min, spec.max) + " " +
                          std::string(spec.unit) + ", but " + dist.describe() + " can take values in " +
                          format_range(lo, hi);
    if (std::isinf(lo) || std::isinf(hi))
      message += "; give it bounds (normal with min/max, pert, triangular, uniform or beta)";
    fail(at, message);
  }
  const double q_lo = dist.quantile(u_lowest);
  const double q_hi = dist.quantile(u_highest);
  if (!std::isfinite(q_lo) || !std::isfinite(q_hi) || std::fabs(q_lo) > value_cap || std::fabs(q_hi) > value_cap)
    fail(at, full_key + ": " + dist.describe() + " reaches values beyond +-" + format_number(value_cap) +
                 " in its tails, which would overflow the cost arithmetic; narrow it");
}

// A count (endpoints, clients) takes whole values only: a whole number, or a
// discrete distribution of whole numbers, in the spec's range; a fraction would otherwise be used as it is (120.5 endpoints)
// and an MSP of 0 endpoints would report a cost of migrating nothing.
void check_count(const Distribution& dist, const ParamSpec& spec, const Node& at) {
  const std::string key(spec.key);
  const std::string range = "a whole number from " + format_number(spec.min) + " to " + format_number(spec.max);
  auto whole = [](double x) { return std::isfinite(x) && x == std::floor(x); };
  if (dist.is<Constant>()) {
    const double x = dist.mean();
    if (!whole(x) || x < spec.min || x > spec.max)
      fail(at, key + " is a count: " + range + ", got " + format_number(x) +
                   (x == 0 && key == "endpoints" ? " (an MSP with no endpoints has nothing to migrate)" : ""));
    return;
  }
  if (dist.is<Discrete>()) {
    for (const Node& v : at.entries.front().second.find("values")->items)
      if (!whole(to_number(v))) fail(v, key + " is a count: every value must be " + range + ", got " + v.text);
    return;
  }
  fail(at, key + " is a count: " + range + ", or a discrete distribution of such numbers; got " + dist.describe());
}

// Collects the parameters of one object (an MSP, a competitor, the market)
// from a mapping whose keys are parameter names or sections ("labor") that
// hold them. `extra` are keys the caller handles itself.
void read_params(const Node& map, const std::string& prefix, const std::vector<ParamSpec>& specs,
                 const std::vector<std::string_view>& extra, const std::string& what, Params& out) {
  // `extra` holds keys read elsewhere, in full ("labor.cost_basis"): those
  // at this level are known and skipped here.
  std::vector<std::string_view> known;
  for (const std::string_view e : extra)
    if (e.substr(0, prefix.size()) == prefix && e.find('.', prefix.size()) == std::string_view::npos)
      known.push_back(e.substr(prefix.size()));
  std::set<std::string, std::less<>> sections;
  for (const auto& spec : specs) {
    if (spec.key.substr(0, prefix.size()) != prefix) continue;
    const std::string_view rest = spec.key.substr(prefix.size());
    const std::string_view first = rest.substr(0, rest.find('.'));
    if (std::find(known.begin(), known.end(), first) == known.end()) known.push_back(first);
    if (first.size() != rest.size()) sections.emplace(first);
  }
  check_keys(map, known, what);
  for (const auto& entry : map.entries) {
    // Named references, not a structured binding: lambdas below capture them.
    const auto& key = entry.first;
    const auto& value = entry.second;
    const std::string full = prefix + key.text;
    if (std::find(extra.begin(), extra.end(), full) != extra.end()) continue;
    if (std::find(known.begin(), known.end(), key.text) == known.end()) continue;  // reported by check_keys
    if (sections.count(key.text)) {
      recoverable([&] {
        expect_mapping(value, "the '" + full + "' section");
        read_params(value, full + ".", specs, extra, what + " section '" + key.text + "'", out);
      });
      continue;
    }
    const ParamSpec* spec = find_spec(specs, full);
    if (!spec) continue;  // a key of `extra` at this level, read elsewhere
    recoverable([&] {
      Distribution dist = distribution_from_node(value);
      if (full == "endpoints" || full == "clients") check_count(dist, *spec, value);
      check_range(dist, *spec, full, value);
      out[full] = Var{std::move(dist), value.where, ""};
    });
  }
}

// Fills the parameters `specs` lacks in `params` with their fallbacks, or
// fails for a missing required one.
void complete_params(Params& params, const std::vector<ParamSpec>& specs, const std::string& stream_prefix,
                     const Location& owner, const std::string& what, const Params* defaults = nullptr,
                     const std::set<std::string_view>& optional = {}) {
  for (const auto& spec : specs) {
    const std::string key(spec.key);
    auto it = params.find(key);
    if (it == params.end() && defaults) {
      auto d = defaults->find(key);
      if (d != defaults->end()) it = params.emplace(key, d->second).first;
    }
    if (it == params.end()) {
      if (optional.count(spec.key)) continue;
      if (spec.required)
        fail(owner, what + " has no '" + key + "' " + std::string(spec.unit) +
                        (defaults ? " (and msp_defaults gives none)" : "") + "; add it");
      it = params.emplace(key, Var{Distribution::constant(spec.fallback), owner, ""}).first;
    }
    it->second.stream = stream_prefix + key;
  }
}

// ---------------------------------------------------------------------------
// Correlations

// A number in [-1, 1] (a rank correlation), else an error at the node.
double read_rho(const Node& node) {
  const double rho = to_number(node);
  if (!(rho >= -1 && rho <= 1)) fail(node, "a rank correlation must lie in [-1, 1], got " + format_number(rho));
  return rho;
}

// A `correlations:` block (docs/scenario-format.md, "Correlations"): a list
// of pairs, or a mapping with `pairs:` or `keys:` and `matrix:`, and
// optionally `copula: gaussian | t` with `dof:`. Checks everything that
// depends on the block alone, the matrix positive semi-definite included;
// the keys are checked against their owner's inputs by the caller.
std::shared_ptr<const Correlations> read_correlations(const Node& block) {
  auto c = std::make_shared<Correlations>();
  c->where = block.where;
  const Node* pairs = nullptr;
  const Node* keys = nullptr;
  const Node* matrix = nullptr;
  if (block.is_sequence()) {
    pairs = &block;
  } else {
    expect_mapping(block, "correlations: a list of [KEY, KEY, rho] pairs, or a mapping with pairs or keys and matrix");
    check_keys(block, {"copula", "dof", "pairs", "keys", "matrix"}, "correlations", false);
    pairs = block.find("pairs");
    keys = block.find("keys");
    matrix = block.find("matrix");
    if (pairs && (keys || matrix))
      fail(*pairs, "correlations take either pairs or keys with a matrix, not both");
    if (!pairs && !(keys && matrix))
      fail(block, "correlations need 'pairs' (a list of [KEY, KEY, rho]) or both 'keys' and 'matrix'");
    const Node* copula = block.find("copula");
    const Node* dof = block.find("dof");
    if (copula) {
      const std::string kind = copula->is_scalar() ? to_text(*copula) : std::string();
      if (kind == "gaussian") c->copula = CopulaKind::gaussian;
      else if (kind == "t") c->copula = CopulaKind::t;
      else {
        const std::string near = suggest(kind, {"gaussian", "t"});
        fail(*copula, "copula must be gaussian or t, got '" + printable(kind) + "'" +
                          (near.empty() ? std::string() : "; did you mean '" + near + "'?"));
      }
    }
    if (c->copula == CopulaKind::t) {
      if (!dof) fail(*copula, "the t copula needs 'dof', its degrees of freedom (e.g. dof: 5; lower: more tail dependence)");
      c->dof = to_number(*dof);
      if (!(c->dof >= 1 && c->dof <= 1e6)) fail(*dof, "dof must lie in [1, 1e6], got " + format_number(c->dof));
    } else if (dof) {
      fail(*dof, "dof is the t copula's; add 'copula: t' or remove it");
    }
  }
  // A key: its index, added when first named.
  auto key_index = [&](const Node& node) {
    if (!node.is_scalar()) fail(node, "expected an input's scenario key (such as labor.setup_hours), got " + describe_kind(node));
    const std::string key = to_text(node);
    const auto it = std::find(c->keys.begin(), c->keys.end(), key);
    if (it != c->keys.end()) return std::size_t(it - c->keys.begin());
    if (c->keys.size() == max_correlated_inputs)
      fail_limit(node, "a correlations block names at most " + std::to_string(max_correlated_inputs) + " inputs");
    c->keys.push_back(key);
    c->key_where.push_back(node.where);
    return c->keys.size() - 1;
  };
  if (pairs) {
    expect_sequence(*pairs, "correlations: a list of [KEY, KEY, rho] pairs");
    if (pairs->items.empty()) fail(*pairs, "correlations: the list of pairs is empty");
    struct Pair {
      std::size_t a, b;
      double rho;
      Location where;
    };
    std::vector<Pair> read;
    for (const Node& item : pairs->items) {
      const Node *first = nullptr, *second = nullptr, *rho = nullptr;
      if (item.is_sequence() && item.items.size() == 3) {
        first = &item.items[0];
        second = &item.items[1];
        rho = &item.items[2];
      } else if (item.is_mapping()) {
        check_keys(item, {"between", "rho"}, "a correlation pair", false);
        const Node* between = item.find("between");
        rho = item.find("rho");
        if (!between || !rho || !between->is_sequence() || between->items.size() != 2)
          fail(item, "a correlation pair is [KEY, KEY, rho] or {between: [KEY, KEY], rho: R}");
        first = &between->items[0];
        second = &between->items[1];
      } else {
        fail(item, "a correlation pair is [KEY, KEY, rho] or {between: [KEY, KEY], rho: R}, got " + describe_kind(item));
      }
      const std::size_t a = key_index(*first);
      const std::size_t b = key_index(*second);
      if (a == b) fail(*second, "'" + printable(c->keys[a]) + "' is named twice in one pair; an input's correlation with itself is 1");
      for (const Pair& p : read)
        if ((p.a == a && p.b == b) || (p.a == b && p.b == a))
          fail(item, "the pair of '" + printable(c->keys[a]) + "' and '" + printable(c->keys[b]) +
                         "' is given twice (first at " + to_string(p.where) + ")");
      read.push_back(Pair{a, b, read_rho(*rho), item.where});
    }
    c->spearman = SquareMatrix::identity(c->keys.size());
    for (const Pair& p : read) c->spearman.at(p.a, p.b) = c->spearman.at(p.b, p.a) = p.rho;
  } else {
    expect_sequence(*keys, "correlations.keys: a list of input keys");
    if (keys->items.size() < 2) fail(*keys, "correlations.keys names at least two inputs");
    for (const Node& k : keys->items) {
      const std::size_t before = c->keys.size();
      const std::size_t i = key_index(k);
      if (c->keys.size() == before)
        fail(k, "'" + printable(c->keys[i]) + "' is named twice in correlations.keys (first at " +
                    to_string(c->key_where[i]) + ")");
    }
    const std::size_t n = c->keys.size();
    expect_sequence(*matrix, "correlations.matrix: a list of rows");
    if (matrix->items.size() != n)
      fail(*matrix, "correlations.matrix has " + std::to_string(matrix->items.size()) + " rows for " +
                        std::to_string(n) + " keys; it is keys x keys");
    c->spearman = SquareMatrix(n);
    for (std::size_t i = 0; i < n; ++i) {
      const Node& row = expect_sequence(matrix->items[i], "a row of correlations.matrix");
      if (row.items.size() != n)
        fail(row, "row " + std::to_string(i + 1) + " of correlations.matrix has " + std::to_string(row.items.size()) +
                      " entries for " + std::to_string(n) + " keys");
      for (std::size_t j = 0; j < n; ++j) {
        const double rho = read_rho(row.items[j]);
        if (i == j && rho != 1)
          fail(row.items[j], "the diagonal of correlations.matrix is 1 (an input's correlation with itself), got " +
                                 format_number(rho));
        c->spearman.at(i, j) = rho;
      }
    }
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < i; ++j)
        if (c->spearman.at(i, j) != c->spearman.at(j, i))
          fail(matrix->items[i].items[j], "correlations.matrix is not symmetric: row " + std::to_string(i + 1) +
                                              " column " + std::to_string(j + 1) + " is " +
                                              format_number(c->spearman.at(i, j)) + ", row " + std::to_string(j + 1) +
                                              " column " + std::to_string(i + 1) + " is " +
                                              format_number(c->spearman.at(j, i)));
  }
  const SquareMatrix pearson = spearman_to_pearson(c->spearman);
  const double smallest = smallest_eigenvalue(pearson);
  if (!(smallest >= -psd_tolerance)) {
    // The nearest valid matrix, as rank correlations, to paste over the block.
    const SquareMatrix nearest = pearson_to_spearman(nearest_correlation(pearson));
    // One line (messages are kept to one), in YAML's flow style.
    std::ostringstream fix;
    fix << "correlations are not a valid correlation matrix: the copula's Pearson matrix (2 sin(pi rho / 6) of each "
           "rank correlation) is not positive semi-definite, its smallest eigenvalue is "
        << format_number(smallest) << "; the nearest valid matrix (Higham 2002), to paste in place of the block: "
        << "correlations: {";
    if (c->copula == CopulaKind::t) fix << "copula: t, dof: " << format_number(c->dof) << ", ";
    fix << "keys: [";
    for (std::size_t i = 0; i < c->keys.size(); ++i) fix << (i ? ", " : "") << c->keys[i];
    fix << "], matrix: [";
    char cell[32];
    for (std::size_t i = 0; i < nearest.n; ++i) {
      fix << (i ? ", [" : "[");
      for (std::size_t j = 0; j < nearest.n; ++j) {
        std::snprintf(cell, sizeof cell, "%.6f", nearest.at(std::min(i, j), std::max(i, j)));
        fix << (j ? ", " : "") << (i == j ? "1" : cell);
      }
      fix << "]";
    }
    fix << "]}";
    fail(block, fix.str());
  }
  c->factor = copula_factor(pearson);
  return c;
}

// Checks a block's keys against its owner's inputs: each must be one of
// `known` (else did-you-mean), be drawn (not a constant), and not be one of
// `other_level` (an input of the other level, with where it belongs).
// `params(key)` is the owner's input for a key of `known`, or null.
template <class Lookup>
void check_correlation_keys(const Correlations& c, const std::vector<std::string>& known,
                            const std::vector<std::string>& other_level, const std::string& other_hint,
                            const std::string& owner, Lookup params) {
  std::vector<std::string_view> names(known.begin(), known.end());
  for (std::size_t i = 0; i < c.keys.size(); ++i) {
    const std::string& key = c.keys[i];
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      if (std::find(other_level.begin(), other_level.end(), key) != other_level.end())
        fail(c.key_where[i], "'" + key + "' " + other_hint);
      const std::string near = suggest(key, names);
      if (!near.empty()) fail(c.key_where[i], "unknown input '" + printable(key) + "' in correlations; did you mean '" + near + "'?");
      // Else the inputs of the section it names ("labor."), or all of them.
      const std::string section = key.substr(0, key.rfind('.') + 1);
      std::vector<std::string_view> same_section;
      for (const auto& k : known)
        if (!section.empty() && k.rfind(section, 0) == 0) same_section.push_back(k);
      fail(c.key_where[i], "unknown input '" + printable(key) + "' in correlations; " +
                               (same_section.empty() ? "inputs here are: " + join(names)
                                                     : "the " + section.substr(0, section.size() - 1) +
                                                           " inputs are: " + join(same_section)));
    }
    const Var* var = params(key);
    if (!var)
      fail(c.key_where[i], owner + " has no input '" + key + "' of its own (it takes the market's); give it one to correlate it");
    if (var->dist.is_constant())
      fail(c.key_where[i], "'" + key + "' is a constant for " + owner + " (" + var->dist.describe() + ", set at " +
                               to_string(var->where) + "); only drawn inputs can be correlated");
  }
}

// ---------------------------------------------------------------------------
// Loading

struct Source {
  std::string display;   // what messages call it
  std::string identity;  // for cycle detection
  std::string dir;       // where relative includes resolve ("builtin:dir" for embedded files)
  bool builtin = false;
  std::string_view text;  // embedded files only
};

template <class T>
struct Placed {
  T value{};
  Location where;
};

// An MSP (or msp_defaults) as written, before defaults and checks.
struct PartialMsp {
  std::string name;
  Location where;
  Params params;
  std::optional<Placed<std::string>> incumbent, target;
  std::optional<Placed<models::CostBasis>> cost_basis;  // labor.cost_basis
  std::optional<std::vector<Node>> extras;  // items as written, read per MSP
  std::optional<Node> formulas;             // the block as written, compiled per MSP
  std::optional<Node> correlations;         // the block as written, read once
};

std::string builtin_list() {
  std::string list;
  for (const auto& f : builtin_files()) list += (list.empty() ? "" : ", ") + std::string(f.path);
  return list;
}

// For a relative include that cannot be read: how to include the built-in
// file of that name instead (a shipped file copied out of the repository
// loses its neighbours), or "" when there is none.
std::string builtin_hint(const std::string& ref) {
  namespace fs = std::filesystem;
  if (ref.empty() || ref[0] == '/' || ref.rfind(builtin_prefix, 0) == 0) return "";
  const std::string rel = fs::path(ref).lexically_normal().generic_string();
  if (rel.rfind("..", 0) == 0) return "";
  for (const auto& f : builtin_files()) {
    const std::string_view path = f.path;
    if (path == rel || (path.size() > rel.size() && path.substr(path.size() - rel.size()) == rel &&
                        path[path.size() - rel.size() - 1] == '/'))
      return "; did you mean 'builtin:" + std::string(path) + "' (the copy built into switchcost)?";
  }
  return "";
}

class Loader {
 public:
  explicit Loader(const ReadLimits& limits)
      : limits_(limits), outer_stats_(load_stats), outer_errors_(collected_errors) {
    load_stats = &stats_;
    collected_errors = &errors_;
  }
  ~Loader() {
    load_stats = outer_stats_;
    collected_errors = outer_errors_;
  }
  // The errors kept so far (see keep_going).
  const std::vector<ScenarioError>& errors() const noexcept { return errors_; }
  Loader(const Loader&) = delete;
  Loader& operator=(const Loader&) = delete;

  void load_top(const std::string& path) {
    const Source source = resolve(path, nullptr, nullptr);
    load(source, nullptr);
  }

  // A document given as text (an overlay made by the program), applied like
  // a file; its relative includes resolve among the built-in files.
  void load_overlay(const Overlay& overlay) {
    if (!overlay.set_key.empty() || overlay.name.rfind("--set ", 0) == 0) {
      load_setting(overlay);
      return;
    }
    if (!overlay.target.empty()) {
      // Structural: the name is checked as a name and never parsed.
      const Location where{overlay.name, 0, 0};
      if (scenario_.files.empty()) first_file_ = where;
      scenario_.files.push_back(overlay.name);
      overrides_.target = Placed<std::string>{overlay.target, where};
      if (!valid_name(overlay.target))
        fail(where, "target '" + overlay.target + "' is not a name: " + name_rule);
      return;
    }
    Source source;
    source.display = overlay.name;
    source.identity = overlay.name;
    source.builtin = true;
    source.text = overlay.text;
    load(source, nullptr);
  }

  Scenario finish();

 private:
  void load_setting(const Overlay& overlay);
  void check_expansion() const;
  void check_competitor_typos() const;
  Source resolve(const std::string& ref, const Source* parent, const Node* at);
  void load(const Source& source, const Node* include_node);
  void apply(const Node& root, const Source& source);
  void apply_timeline(const Node& map);
  void apply_competitors(const Node& map);
  void apply_decisions(const Node& map);
  void apply_msp_fields(const Node& map, PartialMsp& msp, const std::string& what, bool is_default);
  void add_population(const Node& map);
  void add_msp(PartialMsp msp, const Node& name_node);

  ReadLimits limits_;
  LoadStats stats_;
  LoadStats* outer_stats_;
  std::vector<ScenarioError> errors_;
  std::vector<ScenarioError>* outer_errors_;
  std::vector<std::string> stack_;  // identities of files being applied
  int loads_ = 0;
  Scenario scenario_;
  Location first_file_;
  std::optional<Placed<std::int64_t>> sales_end_, updates_end_, migration_start_;
  std::optional<Placed<int>> horizon_months_;
  std::map<std::string, Competitor> competitors_;
  std::vector<std::string> competitor_order_;  // names in the order first defined
  std::optional<Node> correlations_;           // the top level's block: a later file's replaces it
  std::optional<Node> market_formulas_;        // the top level's `formulas:`, likewise
  PartialMsp defaults_;
  PartialMsp overrides_;
  std::vector<PartialMsp> msps_;
  std::map<std::string, Location> msp_names_;  // for duplicate names
};

Source Loader::resolve(const std::string& ref, const Source* parent, const Node* at) {
  namespace fs = std::filesystem;
  const bool to_builtin = ref.rfind(builtin_prefix, 0) == 0 || (parent && parent->builtin && !ref.empty() && ref[0] != '/');
  if (to_builtin) {
    std::string rel = ref.rfind(builtin_prefix, 0) == 0 ? ref.substr(builtin_prefix.size())
                                                       : (fs::path(parent->dir) / ref).string();
    rel = fs::path(rel).lexically_normal().generic_string();
    for (const auto& f : builtin_files()) {
      if (f.path == rel) {
        Source s;
        s.display = std::string(builtin_prefix) + rel;
        s.identity = s.display;
        s.dir = fs::path(rel).parent_path().generic_string();
        s.builtin = true;
        s.text = f.text;
        return s;
      }
    }
    const std::string message = "no built-in scenario file '" + rel + "'; built-in files are: " + builtin_list();
    if (at) fail(*at, message);
    fail(Location{ref, 0, 0}, message);
  }
  fs::path p = parent ? fs::path(parent->dir) / ref : fs::path(ref);
  Source s;
  s.display = p.lexically_normal().string();
  std::error_code ec;
  const fs::path canonical = fs::weakly_canonical(p, ec);
  s.identity = ec ? s.display : canonical.string();
  s.dir = p.parent_path().string();
  return s;
}

namespace {

// Moves every location of a tree read from "v: VALUE" to where VALUE sits
// in the --set argument: the same line, columns shifted.
void place_value(Node& node, const std::string& file, int shift) {
  node.where = Location{file, 1, node.where.line == 1 ? node.where.column + shift : 0};
  for (Node& item : node.items) place_value(item, file, shift);
  for (auto& [key, value] : node.entries) {
    place_value(key, file, shift);
    place_value(value, file, shift);
  }
}

}  // namespace

void Loader::load_setting(const Overlay& overlay) {
  const std::string& name = overlay.name;  // "--set KEY=VALUE"
  const std::string& key = overlay.set_key;
  const int key_column = 1, value_column = int(key.size()) + 2;  // in "KEY=VALUE", 1-based
  auto at = [&](int column) { return Location{name, 1, column}; };
  // The path: non-empty segments of key characters.
  std::vector<std::pair<std::string, int>> path;  // segment, its column
  for (std::size_t start = 0;;) {
    const std::size_t dot = key.find('.', start);
    const std::string segment = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const bool word = !segment.empty() && std::all_of(segment.begin(), segment.end(), [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
    if (!word)
      fail(at(key_column + int(start)), "--set takes KEY=VALUE with KEY a dotted path of names, such as "
                                        "labor.technicians or market.technician_cost_per_hour; got '" + key + "'");
    path.emplace_back(segment, key_column + int(start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  static const std::vector<std::string> sections = {"timeline", "market", "competitors", "msp_defaults",
                                                    "msp_overrides"};
  if (path.front().first == "msps" || path.front().first == "populations" || path.front().first == "include")
    fail(at(key_column), "--set cannot change '" + path.front().first +
                             "' (a list); msp_overrides.KEY (or just KEY) sets an MSP key for every MSP");
  if (std::find(sections.begin(), sections.end(), path.front().first) == sections.end())
    path.insert(path.begin(), {"msp_overrides", key_column});  // an MSP key, for every MSP
  if (path.size() < 2) fail(at(key_column), "--set " + key + " names a section, not a value in it");
  // The value: one line of YAML, read as the value of a one-key document.
  const std::string& value = overlay.set_value;
  if (value.find_first_of("\n\r") != std::string::npos)
    fail(at(value_column), "a --set value is one line");
  Node document;
  try {
    document = read_yaml_text("v: " + value, name, limits_);
  } catch (const ScenarioError& e) {
    const Location& w = e.where();
    throw ScenarioError(w.line == 1 ? at(std::max(value_column, w.column - 3 + value_column - 1)) : at(value_column),
                        e.message());
  }
  if (!document.is_mapping() || document.entries.size() != 1 || document.entries.front().first.text != "v")
    fail(at(value_column), "a --set value is one YAML value (a number, a date, a word or a flow mapping "
                           "such as {pert: [1, 2, 3]}), got '" + value + "'");
  Node node = std::move(document.entries.front().second);
  place_value(node, name, value_column - 4);
  // The tree, innermost first: {segment: node} for each segment of the path.
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    Node key_node;
    key_node.kind = Node::Kind::scalar;
    key_node.text = it->first;
    key_node.where = at(it->second);
    Node map;
    map.kind = Node::Kind::mapping;
    map.where = key_node.where;
    map.entries.emplace_back(std::move(key_node), std::move(node));
    node = std::move(map);
  }
  Source source;
  source.display = name;
  source.identity = name;
  source.builtin = true;
  if (scenario_.files.empty()) first_file_ = Location{name, 0, 0};
  scenario_.files.push_back(name);
  const Applying applying(stack_, name);
  apply(node, source);
}

void Loader::load(const Source& source, const Node* include_node) {
  if (std::find(stack_.begin(), stack_.end(), source.identity) != stack_.end()) {
    std::string chain;
    for (const auto& id : stack_) chain += id + " -> ";
    fail(*include_node, "include cycle: " + chain + source.identity);
  }
  if (int(stack_.size()) >= max_include_depth)
    fail_limit(*include_node, "includes nest more than " + std::to_string(max_include_depth) + " deep");
  if (++loads_ > max_file_loads)
    fail_limit(*include_node, "more than " + std::to_string(max_file_loads) +
                            " file loads in one scenario; is the same file included many times?");
  Node root;
  if (source.builtin) {
    root = read_yaml_text(source.text, source.display, limits_);
  } else if (include_node) {
    try {
      root = read_yaml_file(source.display, limits_);
    } catch (const ScenarioError& e) {
      if (e.where().line != 0) throw;  // an error inside the included file
      fail(*include_node, "cannot include '" + include_node->text + "': " + e.message() +
                              builtin_hint(to_text(*include_node)));
    }
  } else {
    root = read_yaml_file(source.display, limits_);
  }
  if (scenario_.files.empty()) first_file_ = Location{source.display, 0, 0};
  scenario_.files.push_back(source.display);
  const Applying applying(stack_, source.identity);
  apply(root, source);
}

void Loader::apply(const Node& root, const Source& source) {
  expect_mapping(root, "a mapping of scenario keys at the top level");
  check_keys(root, {"include", "timeline", "market", "competitors", "msp_defaults", "msp_overrides", "msps", "populations",
                    "decisions", "correlations", "formulas"},
             "the top level");
  if (const Node* inc = root.find("include")) {
    std::vector<const Node*> refs;
    if (inc->is_scalar())
      refs.push_back(inc);
    else
      for (const Node& item : expect_sequence(*inc, "include: a file name or a list of them").items) refs.push_back(&item);
    for (const Node* ref : refs)
      recoverable([&] {
        if (!ref->is_scalar()) fail(*ref, "expected a file name to include, got " + describe_kind(*ref));
        load(resolve(to_text(*ref), &source, ref), ref);
      });
  }
  for (const auto& [key, value] : root.entries) recoverable([&, &key = key, &value = value] {
    if (key.text == "timeline") {
      apply_timeline(expect_mapping(value, "the timeline"));
    } else if (key.text == "market") {
      read_params(expect_mapping(value, "the market"), "", market_param_specs(), {}, "market", scenario_.market);
    } else if (key.text == "correlations") {
      read_correlations(value);  // its errors at once, in this file
      correlations_ = value;
    } else if (key.text == "formulas") {
      market_formulas_ = value;  // compiled once the files are read (a later file's replaces it)
    } else if (key.text == "competitors") {
      apply_competitors(expect_mapping(value, "competitors: a mapping from name to prices"));
    } else if (key.text == "msp_defaults") {
      apply_msp_fields(expect_mapping(value, "msp_defaults"), defaults_, "msp_defaults", true);
    } else if (key.text == "msp_overrides") {
      apply_msp_fields(expect_mapping(value, "msp_overrides"), overrides_, "msp_overrides", true);
    } else if (key.text == "decisions") {
      apply_decisions(expect_mapping(value, "decisions: {vary: {KEY: [V1, V2, ...]}, require: [\"p_done >= 0.9\"]}"));
    } else if (key.text == "populations") {
      for (const Node& item : expect_sequence(value, "populations: a list of MSP populations").items)
        recoverable([&] { add_population(expect_mapping(item, "a population")); });
    } else if (key.text == "msps") {
      for (const Node& item : expect_sequence(value, "msps: a list of MSPs").items)
        recoverable([&] {
          expect_mapping(item, "an MSP");
          const Node* name = item.find("name");
          if (!name) fail(item, "an MSP needs a 'name'");
          PartialMsp msp;
          msp.name = to_name(*name, "an MSP name");
          msp.where = name->where;
          apply_msp_fields(item, msp, "MSP '" + msp.name + "'", false);
          add_msp(std::move(msp), *name);
        });
    }
  });
}

namespace {

// A node as one line of flow YAML that the reader reads back as the same
// tree: a decision value becomes an --vary value (docs/plan.md). Plain
// scalars stay plain when nothing in them has a meaning in flow context;
// others are double-quoted, escaped.
void append_flow(std::string& out, const Node& node) {
  if (node.is_mapping()) {
    out += '{';
    for (std::size_t i = 0; i < node.entries.size(); ++i) {
      if (i) out += ", ";
      append_flow(out, node.entries[i].first);
      out += ": ";
      append_flow(out, node.entries[i].second);
    }
    out += '}';
  } else if (node.is_sequence()) {
    out += '[';
    for (std::size_t i = 0; i < node.items.size(); ++i) {
      if (i) out += ", ";
      append_flow(out, node.items[i]);
    }
    out += ']';
  } else if (node.is_null()) {
    out += "null";
  } else {
    const std::string& t = node.text;
    bool plain = !node.quoted && !t.empty() && t.front() != ' ' && t.back() != ' ' && t.rfind("- ", 0) != 0;
    for (const char c : t)
      plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || (c != '\0' && std::strchr("._-+/ ", c)));
    if (plain) {
      out += t;
      return;
    }
    out += '"';
    for (const char c : t) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += c;
      } else if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') {
        static constexpr char hex[] = "0123456789ABCDEF";
        out += "\\x";
        out += hex[static_cast<unsigned char>(c) >> 4];
        out += hex[static_cast<unsigned char>(c) & 15];
      } else {
        out += c;
      }
    }
    out += '"';
  }
}

}  // namespace

// decisions: {vary: {KEY: [V1, V2, ...]}, require: [TEXT, ...]} (see
// Decisions). Keys and values are checked by `plan`, which applies them as
// --vary would; here only the shape.
void Loader::apply_decisions(const Node& map) {
  check_keys(map, {"vary", "require"}, "decisions");
  if (const Node* vary = map.find("vary")) {
    expect_mapping(*vary, "decisions.vary: a mapping from a key (labor.technicians, target, start, ...) to its values");
    for (const auto& [key, values] : vary->entries) recoverable([&, &key = key, &values = values] {
      DecisionVariable variable{key.text, key.where, {}};
      const Node& list = expect_sequence(values, "the values of decision '" + key.text + "' (a list, e.g. [1, 2, 3])");
      if (list.items.empty()) fail(values, "decision '" + key.text + "' has no values");
      for (const Node& item : list.items) {
        DecisionValue v{"", item.where, item.is_scalar() ? item.text : std::string()};
        append_flow(v.text, item);
        variable.values.push_back(std::move(v));
      }
      auto& all = scenario_.decisions.vary;
      const auto same = std::find_if(all.begin(), all.end(), [&](const DecisionVariable& d) { return d.key == key.text; });
      if (same != all.end())
        *same = std::move(variable);
      else
        all.push_back(std::move(variable));
    });
  }
  if (const Node* require = map.find("require")) {
    std::vector<const Node*> items;
    if (require->is_scalar())
      items.push_back(require);
    else
      for (const Node& item : expect_sequence(*require, "decisions.require: a constraint or a list of them").items)
        items.push_back(&item);
    std::vector<DecisionValue> constraints;
    for (const Node* item : items) {
      if (!item->is_scalar())
        fail(*item, "expected a constraint such as \"p_done >= 0.9\", got " + describe_kind(*item));
      constraints.push_back(DecisionValue{item->text, item->where, item->text});
    }
    scenario_.decisions.require = std::move(constraints);
  }
}

void Loader::add_msp(PartialMsp msp, const Node& name_node) {
  if (msps_.size() >= max_msps)
    fail_limit(name_node, "more than " + std::to_string(max_msps) + " MSPs in one scenario");
  const auto [it, added] = msp_names_.emplace(msp.name, msp.where);
  if (!added) fail(name_node, "MSP '" + msp.name + "' is defined twice (first at " + to_string(it->second) + ")");
  msps_.push_back(std::move(msp));
}

// A population: `count` MSPs whose size is drawn once per MSP (not per
// trial) from the given distributions with the population's own seed, so the
// same file gives the same MSPs whatever the run's --seed. MSP i (1-based)
// is named <name_prefix>-<i zero-padded>; its endpoints, clients and
// technicians are constants:
//   endpoints   = max(1, round(q_endpoints(u)))
//   clients     = max(1, round(endpoints / q_endpoints_per_client(u')))
//   technicians = max(1, round(endpoints / q_endpoints_per_technician(u'')))
// with u = uniform(seed, "population.<prefix>.<field>", trial = i); the
// target is drawn from `targets` weights the same way (else msp_defaults').
// Everything else comes from msp_defaults, drawn per MSP and per trial.
void Loader::add_population(const Node& map) {
  check_keys(map, {"name_prefix", "count", "seed", "endpoints", "endpoints_per_client", "endpoints_per_technician",
                   "targets"},
             "a population");
  auto need = [&](const char* key) -> const Node& {
    const Node* n = map.find(key);
    if (!n) fail(map, std::string("a population needs '") + key + "'");
    return *n;
  };
  const Node& prefix_node = need("name_prefix");
  const std::string prefix = to_name(prefix_node, "a population name_prefix");
  const Node& count_node = need("count");
  const auto count = to_integer(count_node, 1, std::int64_t(max_msps));
  if (msps_.size() + std::size_t(count) > max_msps)
    fail_limit(count_node, "this population brings the scenario to " + std::to_string(msps_.size() + std::size_t(count)) +
                         " MSPs; a scenario holds at most " + std::to_string(max_msps));
  const auto seed = std::uint64_t(to_integer(need("seed"), 0, std::numeric_limits<std::int64_t>::max()));
  struct Field {
    const char* key;
    Distribution dist;
    ParamSpec spec;
  };
  std::vector<Field> fields;
  for (const char* key : {"endpoints", "endpoints_per_client", "endpoints_per_technician"}) {
    const Node& n = need(key);
    Field f{key, distribution_from_node(n), ParamSpec{key, key == std::string("endpoints") ? 0.0 : 1e-3, inf, true, 0, ""}};
    check_range(f.dist, f.spec, std::string("populations.") + key, n);
    fields.push_back(std::move(f));
  }
  std::vector<std::string> targets;
  std::vector<double> weights;
  if (const Node* t = map.find("targets")) {
    expect_mapping(*t, "targets: competitor names with weights");
    for (const auto& [name, weight] : t->entries) {
      targets.push_back(to_name(name, "a competitor name"));
      weights.push_back(to_number(weight));
      if (!(weights.back() >= 0)) fail(weight, "a target weight must be >= 0");
    }
  }
  Distribution choice;
  if (!targets.empty()) {
    std::vector<double> index(targets.size());
    for (std::size_t i = 0; i < index.size(); ++i) index[i] = double(i);
    try {
      choice = Distribution::discrete(index, weights);
    } catch (const DistributionError& e) {
      fail(*map.find("targets"), e.what());
    }
  }
  const int digits = int(std::to_string(count).size());
  auto draw = [&](const std::string& field, std::int64_t i, const Distribution& d) {
    return d.quantile(uniform(Stream{seed, variable_id("population." + prefix + "." + field)}, std::uint64_t(i), 0));
  };
  for (std::int64_t i = 1; i <= count; ++i) {
    std::string number = std::to_string(i);
    PartialMsp msp;
    msp.name = prefix + "-" + std::string(std::size_t(digits) - number.size(), '0') + number;
    msp.where = prefix_node.where;
    const double endpoints = std::max(1.0, std::round(draw("endpoints", i, fields[0].dist)));
    const double clients = std::max(1.0, std::round(endpoints / draw("endpoints_per_client", i, fields[1].dist)));
    const double technicians =
        std::max(1.0, std::round(endpoints / draw("endpoints_per_technician", i, fields[2].dist)));
    if (endpoints > max_endpoints || technicians > max_technicians)
      fail(endpoints > max_endpoints ? *map.find("endpoints") : *map.find("endpoints_per_technician"),
           "MSP " + msp.name + " is drawn with " + format_number(endpoints) + " endpoints and " +
               format_number(technicians) + " technicians; an MSP has at most " + format_number(max_endpoints) +
               " endpoints and " + format_number(max_technicians) + " technicians: narrow the distribution");
    msp.params["endpoints"] = Var{Distribution::constant(endpoints), map.find("endpoints")->where, ""};
    msp.params["clients"] = Var{Distribution::constant(clients), map.find("endpoints_per_client")->where, ""};
    msp.params["labor.technicians"] =
        Var{Distribution::constant(technicians), map.find("endpoints_per_technician")->where, ""};
    if (!targets.empty()) {
      const auto k = std::size_t(draw("target", i, choice));
      msp.target = Placed<std::string>{targets[k], map.find("targets")->where};
    }
    add_msp(std::move(msp), prefix_node);
  }
}

void Loader::apply_timeline(const Node& map) {
  check_keys(map, {"sales_end", "updates_end", "migration_start", "horizon_months"}, "the timeline");
  for (const auto& [key, value] : map.entries) recoverable([&, &key = key, &value = value] {
    if (key.text == "horizon_months") {
      horizon_months_ = Placed<int>{int(to_integer(value, 0, 120)), value.where};
      return;
    }
    if (key.text != "sales_end" && key.text != "updates_end" && key.text != "migration_start") return;  // unknown
    Placed<std::int64_t> day{to_date(value), value.where};
    if (key.text == "sales_end") sales_end_ = day;
    if (key.text == "updates_end") updates_end_ = day;
    if (key.text == "migration_start") migration_start_ = day;
  });
}

void Loader::apply_competitors(const Node& map) {
  for (const auto& [key, value] : map.entries) {
    const std::string name = to_name(key, "a competitor name");
    Competitor& competitor = competitors_[name];
    if (competitor.name.empty()) {
      competitor.name = name;
      competitor.where = key.where;
      competitor_order_.push_back(name);
    }
    const std::string what = "competitor '" + name + "'";
    expect_mapping(value, what);
    read_params(value, "", competitor_param_specs(), {"volume_tiers"}, what, competitor.params);
    if (const Node* tiers = value.find("volume_tiers")) {
      competitor.volume_tiers.clear();
      for (const Node& tier : expect_sequence(*tiers, "volume_tiers: a list of {min_endpoints, discount}").items) {
        expect_mapping(tier, "a volume tier {min_endpoints, discount}");
        check_keys(tier, {"min_endpoints", "discount"}, "a volume tier");
        const Node* min_endpoints = tier.find("min_endpoints");
        const Node* discount = tier.find("discount");
        if (!min_endpoints || !discount) fail(tier, "a volume tier needs 'min_endpoints' and 'discount'");
        models::VolumeTier t{to_number(*min_endpoints), to_number(*discount)};
        if (t.min_endpoints < 0) fail(*min_endpoints, "min_endpoints must be >= 0");
        if (t.discount < 0 || t.discount >= 1) fail(*discount, "a volume discount must lie in [0, 1)");
        competitor.volume_tiers.push_back(t);
      }
    }
  }
}

void Loader::apply_msp_fields(const Node& map, PartialMsp& msp, const std::string& what, bool is_default) {
  std::vector<std::string_view> extra = {"incumbent", "target", "extras", "formulas", "correlations", "labor.cost_basis"};
  if (!is_default) extra.insert(extra.begin(), "name");
  read_params(map, "", msp_param_specs(), extra, what, msp.params);
  if (const Node* labor = map.find("labor"); labor && labor->is_mapping())
    if (const Node* n = labor->find("cost_basis")) {
      const std::string basis = n->is_scalar() ? to_text(*n) : std::string();
      if (basis == "loaded") msp.cost_basis = Placed<models::CostBasis>{models::CostBasis::loaded, n->where};
      else if (basis == "forgone_billing")
        msp.cost_basis = Placed<models::CostBasis>{models::CostBasis::forgone_billing, n->where};
      else {
        const std::string near = suggest(basis, {"loaded", "forgone_billing"});
        fail(*n, "labor.cost_basis must be loaded or forgone_billing, got '" + basis + "'" +
                     (near.empty() ? std::string() : "; did you mean '" + near + "'?"));
      }
    }
  if (const Node* n = map.find("incumbent")) msp.incumbent = Placed<std::string>{to_name(*n, "a competitor name"), n->where};
  if (const Node* n = map.find("target")) msp.target = Placed<std::string>{to_name(*n, "a competitor name"), n->where};
  if (const Node* n = map.find("extras")) {
    msp.extras = expect_sequence(*n, "extras: a list of {name, cost, per}").items;
  }
  if (const Node* n = map.find("formulas")) msp.formulas = *n;
  if (const Node* n = map.find("correlations")) {
    read_correlations(*n);  // its errors at once, in this file
    msp.correlations = *n;
  }
}

// A `formulas:` block: {costs: {NAME: TEXT, ...}, values: {NAME: TEXT, ...}},
// compiled once over the `known` symbols (an MSP's: its inline draws'
// streams named "formulas.NAME.k", under each MSP by the engine; the
// market's, values only, under "market.").
std::shared_ptr<const FormulaSet> read_formulas(const Node& block, const std::vector<std::string>& known,
                                                bool market = false) {
  expect_mapping(block, "formulas: a mapping with 'costs' and/or 'values', each of NAME: formula");
  if (market) {
    if (const Node* costs = block.find("costs"))
      fail(*costs, "the top level's formulas are values that MSP formulas read (as market.formulas.NAME); "
                   "a cost line is an MSP's: put it under msp_defaults: formulas: costs:");
    check_keys(block, {"values"}, "formulas", false);
  } else {
    check_keys(block, {"costs", "values"}, "formulas", false);
  }
  std::vector<FormulaSource> sources;
  for (const auto& [section, entries] : block.entries) {
    expect_mapping(entries, "formulas." + section.text + ": a mapping of NAME: formula");
    for (const auto& [key, value] : entries.entries) {
      const std::string& name = key.text;
      const bool symbol_name =
          !name.empty() && name.size() <= 64 && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
          std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
      if (!symbol_name)
        fail(key, "a formula name is 1 to 64 letters, digits or '_', not starting with a digit; got '" +
                      printable(name) + "'");
      if (!value.is_scalar() || value.text.empty())
        fail(value, "formula '" + name + "' is text such as 'endpoints * 2.5', got " + describe_kind(value));
      // Where each piece of the text was written (after a quote, on the
      // lines of a block scalar), so that errors point inside it exactly.
      sources.push_back(FormulaSource{name, value.text, text_location(value.where, value.segments, value.text, 0),
                                      section.text == "costs", value.segments});
    }
  }
  return std::make_shared<const FormulaSet>(compile_formulas(sources, known, market ? "market." : ""));
}

ExtraItem read_extra(const Node& item, const std::string& msp_name, std::set<std::string>& seen) {
  expect_mapping(item, "an extra item {name, cost, per}");
  check_keys(item, {"name", "cost", "per"}, "an extra item");
  const Node* name = item.find("name");
  const Node* cost = item.find("cost");
  const Node* per = item.find("per");
  if (!name || !cost || !per) fail(item, "an extra item needs 'name', 'cost' and 'per'");
  ExtraItem extra;
  extra.name = to_name(*name, "an extra item name");
  if (!seen.insert(extra.name).second)
    fail(*name, "extra item '" + extra.name + "' is listed twice for MSP '" + msp_name + "'");
  extra.cost = Var{distribution_from_node(*cost), cost->where, "msps." + msp_name + ".extras." + extra.name};
  static const ParamSpec cost_spec{"cost", -inf, inf, true, 0, "[USD]"};
  check_range(extra.cost.dist, cost_spec, "extras." + extra.name + ".cost", *cost);
  const std::string p = to_text(*per);
  if (p == "endpoint") extra.per = models::ExtraPer::endpoint;
  else if (p == "client") extra.per = models::ExtraPer::client;
  else if (p == "msp") extra.per = models::ExtraPer::msp;
  else if (p == "month") extra.per = models::ExtraPer::month;
  else {
    const std::string near = suggest(p, {"endpoint", "client", "msp", "month"});
    fail(*per, "per must be endpoint, client, msp or month, got '" + p + "'" +
                   (near.empty() ? std::string() : "; did you mean '" + near + "'?"));
  }
  return extra;
}

// The size of what finish() expands, before it is expanded: every MSP
// copies the distributions it takes from msp_defaults and msp_overrides (a
// discrete one with all its points) and reads its list of extra items anew.
// Fails at the value or list that takes the total over its limit.
void Loader::check_expansion() const {
  auto points_at = [&](const Location& where) -> std::size_t {
    auto it = stats_.discrete_points.find({where.file, where.line, where.column});
    return it == stats_.discrete_points.end() ? 0 : it->second;
  };
  std::size_t entries = 0, points = 0;
  auto add_points = [&](std::size_t n, const Location& where, std::size_t msp_index) {
    points += n;
    if (points > max_discrete_points)
      fail_limit(where, "the expanded scenario holds more than " + std::to_string(max_discrete_points) +
                      " discrete points in total (each MSP copies the discrete distributions it uses; this one has " +
                      std::to_string(n) + " points, and " + std::to_string(msp_index + 1) + " MSPs are counted so far)");
  };
  auto add_params = [&](const Params& params, const Params* skip1, const Params* skip2, std::size_t m) {
    for (const auto& [key, var] : params) {
      if (!var.dist.is<Discrete>()) continue;
      if ((skip1 && skip1->count(key)) || (skip2 && skip2->count(key))) continue;
      add_points(points_at(var.where), var.where, m);
    }
  };
  for (std::size_t m = 0; m < msps_.size(); ++m) {
    const PartialMsp& partial = msps_[m];
    const auto& extras = overrides_.extras ? overrides_.extras : partial.extras ? partial.extras : defaults_.extras;
    if (extras && !extras->empty()) {
      entries += extras->size();
      if (entries > max_extra_entries)
        fail_limit(extras->front(), "the expanded scenario has more than " + std::to_string(max_extra_entries) +
                                  " extra items over all its MSPs (this list of " + std::to_string(extras->size()) +
                                  " items is used by " + std::to_string(m + 1) + " MSPs so far)");
      for (const Node& item : *extras) {
        const Node* cost = item.is_mapping() ? item.find("cost") : nullptr;
        const Node* d = cost && cost->is_mapping() ? cost->find("discrete") : nullptr;
        const Node* values = d && d->is_mapping() ? d->find("values") : nullptr;
        if (values && values->is_sequence()) add_points(values->items.size(), values->where, m);
      }
    }
    add_params(overrides_.params, nullptr, nullptr, m);
    add_params(partial.params, &overrides_.params, nullptr, m);
    add_params(defaults_.params, &overrides_.params, &partial.params, m);
  }
}

// A competitor no MSP can use (as incumbent or target) whose name is a
// likely typo of one defined before it ("esett" in a price set over one that
// has "eset") is an error: its prices would silently change nothing.
void Loader::check_competitor_typos() const {
  std::set<std::string, std::less<>> used;
  for (const PartialMsp& p : msps_) {
    for (const auto* ref : {&overrides_.incumbent, &p.incumbent, &defaults_.incumbent})
      if (*ref) {
        used.insert((*ref)->value);
        break;
      }
    for (const auto* ref : {&overrides_.target, &p.target, &defaults_.target})
      if (*ref) {
        used.insert((*ref)->value);
        break;
      }
  }
  std::vector<std::string_view> earlier;
  for (const std::string& name : competitor_order_) {
    if (!used.count(name)) {
      const std::string near = suggest(name, earlier);
      if (!near.empty())
        fail(competitors_.at(name).where, "competitor '" + name +
                                              "' is used by no MSP and is not a competitor defined before it; "
                                              "did you mean '" + near + "'?");
    }
    earlier.push_back(name);
  }
}

Scenario Loader::finish() {
  Scenario& s = scenario_;
  auto need = [&](const auto& field, const char* key) {
    if (!field) fail(first_file_, "the timeline has no '" + std::string(key) + "'; add it under timeline:");
  };
  need(sales_end_, "sales_end");
  need(updates_end_, "updates_end");
  need(migration_start_, "migration_start");
  s.timeline.sales_end = sales_end_->value;
  s.timeline.updates_end = updates_end_->value;
  s.timeline.migration_start = migration_start_->value;
  s.timeline.horizon_months = horizon_months_ ? horizon_months_->value : 36;
  if (s.timeline.updates_end < s.timeline.sales_end)
    fail(updates_end_->where, "updates_end " + format_date(s.timeline.updates_end) + " is before sales_end " +
                                  format_date(s.timeline.sales_end) + " (set at " + to_string(sales_end_->where) +
                                  "); dates must be in order");

  complete_params(s.market, market_param_specs(), "market.", first_file_, "the market");
  check_competitor_typos();
  for (auto& [name, c] : competitors_) {
    complete_params(c.params, competitor_param_specs(), "competitors." + name + ".", c.where,
                    "competitor '" + name + "'");
    s.competitors.emplace(name, std::move(c));
  }

  // Market and competitor inputs only: "market.KEY", "competitors.NAME.KEY".
  if (correlations_) {
    s.correlations = read_correlations(*correlations_);
    std::vector<std::string> known, msp_keys;
    for (const auto& spec : market_param_specs())
      if (spec.key != "threat.incident_cost") known.push_back("market." + std::string(spec.key));
    for (const auto& [name, c] : s.competitors)
      for (const auto& spec : competitor_param_specs())
        known.push_back("competitors." + name + "." + std::string(spec.key));
    for (const auto& spec : msp_param_specs()) msp_keys.push_back(std::string(spec.key));
    msp_keys.push_back("market.threat.incident_cost");
    check_correlation_keys(
        *s.correlations, known, msp_keys,
        "is not a market input drawn once per trial: an MSP's inputs are correlated in msp_defaults' or the MSP's "
        "own correlations (within each MSP), and threat.incident_cost is drawn once per incident",
        "the market", [&](const std::string& key) -> const Var* {
          if (key.rfind("market.", 0) == 0) return &s.market.at(key.substr(7));
          const std::string rest = key.substr(12);  // after "competitors."
          const std::size_t dot = rest.find('.');
          return &s.competitors.at(rest.substr(0, dot)).params.at(rest.substr(dot + 1));
        });
  }

  if (msps_.empty()) fail(first_file_, "the scenario defines no MSP; add one under msps:");
  s.beta_shapes.assign(stats_.beta_shapes.begin(), stats_.beta_shapes.end());
  std::vector<std::string_view> competitor_names;
  for (const auto& [name, c] : s.competitors) competitor_names.push_back(name);
  auto check_competitor = [&](const Placed<std::string>& ref, const std::string& role) {
    if (s.competitors.count(ref.value)) return;
    const std::string near = suggest(ref.value, competitor_names);
    fail(ref.where, role + " '" + ref.value + "' is not a competitor in this scenario" +
                        (near.empty() ? "; competitors are: " + join(competitor_names)
                                      : "; did you mean '" + near + "'?"));
  };
  check_expansion();
  // Each formulas block as written, compiled once (see Msp::formulas).
  std::map<const Node*, std::shared_ptr<const FormulaSet>> compiled_formulas;
  std::map<const Node*, std::shared_ptr<const Correlations>> read_blocks;  // correlations, each block read once
  std::vector<std::string> msp_keys, market_keys;
  for (const auto& spec : msp_param_specs()) msp_keys.push_back(std::string(spec.key));
  for (const auto& spec : market_param_specs()) market_keys.push_back("market." + std::string(spec.key));
  for (const auto& [name, c] : s.competitors)
    for (const auto& spec : competitor_param_specs()) market_keys.push_back("competitors." + name + "." + std::string(spec.key));
  std::size_t formula_draws = 0;
  // The market's formulas first: MSP formulas may read their values.
  std::vector<std::string> msp_formula_known = msp_formula_symbols();
  if (market_formulas_) {
    s.market_formulas = read_formulas(*market_formulas_, market_formula_symbols(), true);
    for (const auto& f : s.market_formulas->formulas)
      msp_formula_known.push_back(std::string(market_formula_prefix) + f.name);
    formula_draws += s.market_formulas->draws.size();
  }
  for (PartialMsp& partial : msps_) {
    Msp msp;
    msp.name = partial.name;
    msp.where = partial.where;
    const std::string what = "MSP '" + msp.name + "'";
    // Precedence: msp_overrides, then the MSP's own values, then msp_defaults.
    const auto incumbent =
        overrides_.incumbent ? overrides_.incumbent : partial.incumbent ? partial.incumbent : defaults_.incumbent;
    const auto target = overrides_.target ? overrides_.target : partial.target ? partial.target : defaults_.target;
    if (!incumbent) fail(msp.where, what + " has no 'incumbent' (the competitor it leaves); add it");
    if (!target) fail(msp.where, what + " has no 'target' (the competitor it moves to); add it");
    check_competitor(*incumbent, "incumbent");
    check_competitor(*target, "target");
    if (incumbent->value == target->value)
      fail(target->where, what + ": target '" + target->value + "' is the incumbent; pick the competitor it moves to");
    msp.incumbent = incumbent->value;
    msp.target = target->value;
    msp.params = std::move(partial.params);
    for (const auto& [key, var] : overrides_.params) msp.params[key] = var;
    const auto basis = overrides_.cost_basis ? overrides_.cost_basis
                       : partial.cost_basis  ? partial.cost_basis
                                             : defaults_.cost_basis;
    if (basis) {
      msp.cost_basis = basis->value;
      // Forgone billing needs the billing rate: its fallback of 0 would value displaced hours at nothing.
      if (basis->value == models::CostBasis::forgone_billing && !msp.params.count("labor.billing_rate_per_hour") &&
          !defaults_.params.count("labor.billing_rate_per_hour"))
        fail(basis->where, what + ": labor.cost_basis forgone_billing needs labor.billing_rate_per_hour [USD/h]; add it");
    }
    complete_params(msp.params, msp_param_specs(), "msps." + msp.name + ".", msp.where, what, &defaults_.params,
                    msp_market_default_keys());
    const auto& extras = overrides_.extras ? overrides_.extras : partial.extras ? partial.extras : defaults_.extras;
    std::set<std::string> seen;
    if (extras)
      for (const Node& item : *extras) msp.extras.push_back(read_extra(item, msp.name, seen));
    const auto& formulas =
        overrides_.formulas ? overrides_.formulas : partial.formulas ? partial.formulas : defaults_.formulas;
    if (formulas) {
      auto& compiled = compiled_formulas[&*formulas];
      if (!compiled) compiled = read_formulas(*formulas, msp_formula_known);
      msp.formulas = compiled;
      // Each MSP draws the block's inline variables on streams of its own.
      formula_draws += compiled->draws.size();
      if (formula_draws > max_formula_draws)
        fail_limit(formulas->where, "the expanded scenario draws more than " + std::to_string(max_formula_draws) +
                                        " inline variables of formulas over all its MSPs (this block has " +
                                        std::to_string(compiled->draws.size()) + ", used by " +
                                        std::to_string(s.msps.size() + 1) + " MSPs so far)");
    }
    const auto& correlations = overrides_.correlations ? overrides_.correlations
                               : partial.correlations ? partial.correlations
                                                      : defaults_.correlations;
    if (correlations) {
      auto& read = read_blocks[&*correlations];
      if (!read) read = read_correlations(*correlations);
      check_correlation_keys(*read, msp_keys, market_keys,
                             "is a market input, drawn once per trial for every MSP: correlate it in the top "
                             "level's correlations; a block in msp_defaults or an MSP correlates that MSP's own inputs",
                             what, [&](const std::string& key) -> const Var* {
                               const auto it = msp.params.find(key);
                               return it == msp.params.end() ? nullptr : &it->second;
                             });
      msp.correlations = read;
    }
    s.msps.push_back(std::move(msp));
  }
  return std::move(scenario_);
}

}  // namespace

Distribution distribution_from_node(const Node& node) {
  if (node.is_scalar()) return Distribution::constant(to_number(node));
  if (!node.is_mapping())
    fail(node, "expected a number or a distribution such as {pert: [min, mode, max]}, got " + describe_kind(node));
  if (node.entries.size() != 1)
    fail(node, "a distribution is a mapping with one key naming its kind, such as {pert: [1, 2, 4]}; got " +
                   std::to_string(node.entries.size()) + " keys");
  const auto& [key, args] = node.entries.front();
  const auto& kinds = distribution_kinds();
  if (std::find(kinds.begin(), kinds.end(), key.text) == kinds.end()) {
    const std::string near = suggest(key.text, kinds);
    fail(key, "unknown distribution '" + key.text + "'" +
                  (near.empty() ? "; expected one of: " + join(kinds) : "; did you mean '" + near + "'?"));
  }
  try {
    Distribution d = parse_distribution(key.text, NodeParamReader(args));
    if (const auto shape = d.beta_shape()) note_beta_shape(shape->first, shape->second, args);
    if (load_stats && d.is<Discrete>())
      load_stats->discrete_points[{node.where.file, node.where.line, node.where.column}] =
          args.find("values")->items.size();
    return d;
  } catch (const DistributionError& e) {
    fail(args, e.what());
  }
}

namespace {
// The rows of a model's input table at `level`, as the reader's schema.
template <class Inputs>
void add_specs(std::vector<ParamSpec>& out, models::InputTable<Inputs> table, models::InputLevel level) {
  for (const auto& in : table)
    if (in.level == level) out.push_back(ParamSpec{in.key, in.min, in.max, in.required, in.fallback, in.unit});
}

// Per-MSP keys that, when absent, leave the value to a market-level input.
template <class Inputs>
void add_market_defaults(std::set<std::string_view>& out, models::InputTable<Inputs> table) {
  for (const auto& in : table)
    if (in.market_default) out.insert(in.key);
}
}  // namespace

const std::vector<ParamSpec>& msp_param_specs() {
  static const std::vector<ParamSpec> specs = [] {
    std::vector<ParamSpec> v;
    add_specs(v, models::labor_inputs(), models::InputLevel::msp);
    add_specs(v, models::lost_updates_inputs(), models::InputLevel::msp);
    add_specs(v, models::pricing_inputs(), models::InputLevel::msp);
    add_specs(v, models::stranded_inputs(), models::InputLevel::msp);
    models::for_each_cost_line([&]<std::size_t, class Line>() { add_specs(v, Line::inputs(), models::InputLevel::msp); });
    return v;
  }();
  return specs;
}

const std::set<std::string_view>& msp_market_default_keys() {
  static const std::set<std::string_view> keys = [] {
    std::set<std::string_view> k;
    add_market_defaults(k, models::labor_inputs());
    models::for_each_cost_line([&]<std::size_t, class Line>() { add_market_defaults(k, Line::inputs()); });
    return k;
  }();
  return keys;
}

const std::vector<ParamSpec>& competitor_param_specs() {
  static const std::vector<ParamSpec> specs = [] {
    std::vector<ParamSpec> v;
    add_specs(v, models::competitor_inputs(), models::InputLevel::competitor);
    return v;
  }();
  return specs;
}

const std::vector<ParamSpec>& market_param_specs() {
  static const std::vector<ParamSpec> specs = [] {
    std::vector<ParamSpec> v;
    add_specs(v, models::labor_inputs(), models::InputLevel::market);
    add_specs(v, models::pricing_inputs(), models::InputLevel::market);
    add_specs(v, models::lost_updates_inputs(), models::InputLevel::market);
    models::for_each_cost_line([&]<std::size_t, class Line>() { add_specs(v, Line::inputs(), models::InputLevel::market); });
    // Drawn per incident by the engine, not a model's column.
    v.push_back({"threat.incident_cost", 0, inf, true, 0, "[USD per incident]"});
    return v;
  }();
  return specs;
}

bool has_correlations(const Scenario& scenario) noexcept {
  if (scenario.correlations) return true;
  return std::any_of(scenario.msps.begin(), scenario.msps.end(), [](const Msp& m) { return m.correlations != nullptr; });
}

bool valid_name(std::string_view name) noexcept {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

Scenario load_scenario(const std::vector<std::string>& paths, const ReadLimits& limits,
                       const std::vector<Overlay>& overlays) {
  Loader loader(limits);
  for (const auto& path : paths) recoverable([&] { loader.load_top(path); });
  for (const auto& overlay : overlays) recoverable([&] { loader.load_overlay(overlay); });
  if (!loader.errors().empty()) {
    // In reading order: by file (as first met), line and column.
    std::vector<ScenarioError> errors = loader.errors();
    std::vector<std::string> files;
    for (const auto& e : errors)
      if (std::find(files.begin(), files.end(), e.where().file) == files.end()) files.push_back(e.where().file);
    auto rank = [&](const ScenarioError& e) {
      return std::tuple(std::find(files.begin(), files.end(), e.where().file) - files.begin(), e.where().line,
                        e.where().column);
    };
    std::stable_sort(errors.begin(), errors.end(),
                     [&](const ScenarioError& a, const ScenarioError& b) { return rank(a) < rank(b); });
    throw ScenarioErrors(std::move(errors), false);
  }
  return loader.finish();
}

}  // namespace switchcost::sim
