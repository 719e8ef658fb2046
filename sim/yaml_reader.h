// A hardened YAML reader for untrusted scenario files.
//
// yaml-cpp 0.7's tree loader accepts duplicate keys, extra documents, aliases
// that expand into billions of nodes, and deep nesting that exhausts the
// stack. So files are read through yaml-cpp's event parser (YAML::Parser +
// our own YAML::EventHandler) into a small tree of our own, enforcing:
//   - a regular file only (no FIFO, directory or device), read with a size cap;
//   - UTF-8 only: NUL bytes, invalid UTF-8, UTF-16/32 (BOMs or NUL patterns)
//     and tabs used for indentation are errors with a line and column;
//   - one document; no directives (%YAML, %TAG), anchors, aliases, or tags
//     other than the implicit ones; merge keys ("<<") are errors;
//   - a depth cap, a node-count cap and a scalar-size cap;
//   - duplicate keys in a mapping are errors naming both places;
//   - mapping keys are plain or quoted scalars (not collections or null).
// Every error is a ScenarioError at file:line:col with what was wrong and
// what was expected. Scalars stay text here; the strict conversions below
// turn them into numbers, dates and booleans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/error.h"

namespace switchcost::sim {

struct ReadLimits {
  std::size_t max_file_bytes = 4u << 20;     // 4 MiB
  std::size_t max_scalar_bytes = 64u << 10;  // 64 KiB
  int max_depth = 64;                        // nested collections
  std::size_t max_nodes = 500'000;
};

struct Node {
  enum class Kind { null, scalar, sequence, mapping };
  Kind kind = Kind::null;
  Location where;      // where the node starts
  std::string text;    // scalar text (empty for the others)
  bool quoted = false; // scalar was single- or double-quoted (or a block scalar)
  std::vector<Node> items;                      // sequence items, in order
  std::vector<std::pair<Node, Node>> entries;   // mapping (key, value), in order; keys are scalars

  bool is_null() const noexcept { return kind == Kind::null; }
  bool is_scalar() const noexcept { return kind == Kind::scalar; }
  bool is_sequence() const noexcept { return kind == Kind::sequence; }
  bool is_mapping() const noexcept { return kind == Kind::mapping; }
  // Value for key in a mapping, or nullptr.
  const Node* find(std::string_view key) const noexcept;
};

// "a mapping", "a sequence", "a number", "a string", "null": for messages.
std::string describe_kind(const Node& node);

// Reads and parses a file. `display_name` is what messages call it (defaults
// to path).
Node read_yaml_file(const std::string& path, const ReadLimits& limits = {},
                    const std::string& display_name = "");
// Parses text already in memory (embedded scenarios, tests, the fuzzer).
Node read_yaml_text(std::string_view text, const std::string& display_name,
                    const ReadLimits& limits = {});

// Strict scalar conversions; each throws ScenarioError at the node.
// A number: optional sign, decimal digits with an optional fraction and
// exponent ("350", "-0.5", "1e5", "1_000" is rejected); no leading zeros
// ("010" is rejected: octal in YAML 1.1), no .nan/.inf, hex or octal, no
// quoted numbers; must be finite after conversion (1e400 is an error).
double to_number(const Node& node);
// A number that is a whole number in [min, max].
std::int64_t to_integer(const Node& node, std::int64_t min, std::int64_t max);
// true or false only (yes/no/on/off are errors that say so).
bool to_bool(const Node& node);
// A scalar (plain or quoted) as text; numbers are accepted as their text only
// when quoted is not required. Non-scalars are errors.
std::string to_text(const Node& node);
// An ISO date YYYY-MM-DD that exists on the calendar, as days since
// 1970-01-01.
std::int64_t to_date(const Node& node);
// Days since 1970-01-01 -> "YYYY-MM-DD".
std::string format_date(std::int64_t days_since_epoch);

// The closest of `known` to `word` by edit distance when it is close enough
// to be a likely typo (distance <= max(1, word.size() / 3)), else "".
std::string suggest(std::string_view word, const std::vector<std::string_view>& known);

}  // namespace switchcost::sim
