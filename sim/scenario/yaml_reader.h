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
//
// Details of the rules:
//   - Lines and columns are 1-based; a column counts characters (not bytes,
//     unlike yaml-cpp's marks), and a UTF-8 BOM is not a column. Errors about
//     the whole file (not found, not a regular file, too large, UTF-16/32,
//     empty) are at the file, line 0.
//   - Besides NUL and invalid UTF-8, control characters other than tab, LF
//     and CR (yaml-cpp reads 0x04 as the end of the input), and a CR not
//     followed by LF (yaml-cpp 0.7 would keep it in the text) are errors.
//   - A tab in the leading white space of a line is "used for indentation",
//     except inside a block scalar (| or >) or on a blank line. This also
//     refuses a tab at the start of a continuation line of a multi-line
//     quoted string or flow collection, which YAML would allow.
//   - Any line starting with '%' is refused as a directive (yaml-cpp 0.7
//     would silently drop such a line after the document has begun).
//   - A quoted string left open is an error at its opening quote (yaml-cpp
//     0.7 would end it silently at the end of the file).
//   - The root must be a mapping; an empty file (or only comments, or "---"
//     alone) is an error.
//   - The root mapping is depth 1; every node (each key, each value, each
//     collection, the root) counts toward max_nodes. read_yaml_text applies
//     max_file_bytes to the text too.
//   - `key:` with nothing after it is a null placed at its key.
//   - Where yaml-cpp 0.7 accepts invalid YAML or misreads valid YAML (found
//     with the YAML test suite, tests/conformance), the reader checks the
//     source itself: a '#' not after a blank is no comment (an error after a
//     closing quote, a flow indicator or a block header); a block mapping
//     line without ':' is an error, not `line: null`; continuation lines of
//     quoted scalars and flow collections must be indented more than their
//     block parent; undefined escapes ("\'"), a plain '-' and empty entries
//     in flow sequences, and block scalars whose leading blank lines are
//     wider than their text are errors. Block scalars are read by YAML 1.2's
//     rules, and a file without a final line break reads as if it had one.
//   - Outside the subset, with messages naming the feature: multi-line or
//     empty keys in flow mappings, a '?' in a plain scalar in flow context,
//     collections or null as keys (docs/scenario-format.md lists them all).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/base/error.h"

namespace switchcost::sim {

struct ReadLimits {
  std::size_t max_file_bytes = 4u << 20;     // 4 MiB
  std::size_t max_scalar_bytes = 64u << 10;  // 64 KiB
  int max_depth = 64;                        // nested collections (the root is 1)
  std::size_t max_nodes = 500'000;           // keys, values and collections
};

// The work one read did, counted as it goes (plain counters, filled in even
// when the read fails): tests bound the reader's cost with these instead of
// with a clock, and see a limit stop a hostile file before the rest of it is
// read. Each stays proportional to the input read; one that grows faster
// shows where the reader has gone quadratic.
struct ReadStats {
  std::size_t bytes_read = 0;    // read from the file (0 when refused from its size or type)
  std::size_t bytes_parsed = 0;  // handed to the YAML parser (in windows of 4 KiB, so rounded up)
  std::size_t text_steps = 0;    // characters stepped over to find lines, columns and closing quotes
  std::size_t nodes = 0;         // nodes counted toward max_nodes (the one over the limit included)
  std::size_t key_probes = 0;    // keys already in the mapping that duplicate-key lookups compared with
};

// Where a piece of a scalar's text was written: from byte `offset` of the
// text on, its characters sit on `line` from `column`, one column per
// character, up to the next segment's offset.
struct TextSegment {
  std::size_t offset = 0;
  int line = 0, column = 0;
};

struct Node {
  enum class Kind { null, scalar, sequence, mapping };
  Kind kind = Kind::null;
  Location where;      // where the node starts
  std::string text;    // scalar text (empty for the others)
  bool quoted = false; // scalar was single- or double-quoted (or a block scalar)
  // A scalar whose text does not simply start at `where` on one line (a
  // quoted one, a block scalar, a plain one over several lines): where each
  // piece of its text was written (a new piece after each line break and
  // escape), so that a place inside it (a formula's error) is exact. Empty
  // for a plain scalar on one line.
  std::vector<TextSegment> segments;
  std::vector<Node> items;                      // sequence items, in order
  std::vector<std::pair<Node, Node>> entries;   // mapping (key, value), in order; keys are scalars

  // Declared so that clang with libstdc++ 12 accepts the type: with only the
  // implicit one, std::pair<Node, Node>'s default-constructor check needs
  // Node's implicit destructor while the pair is still incomplete (a hard
  // error in every file that creates a Node). Build nodes member by member.
  Node() = default;

  bool is_null() const noexcept { return kind == Kind::null; }
  bool is_scalar() const noexcept { return kind == Kind::scalar; }
  bool is_sequence() const noexcept { return kind == Kind::sequence; }
  bool is_mapping() const noexcept { return kind == Kind::mapping; }
  // Value for key in a mapping, or nullptr.
  const Node* find(std::string_view key) const noexcept;
};

// The place of byte `offset` of a scalar's text written at `where` with
// `segments` (Node::segments): the last segment at or before it, plus one
// column per character after it.
Location text_location(const Location& where, const std::vector<TextSegment>& segments, std::string_view text,
                       std::size_t offset);

// "a mapping", "a sequence", "a number", "a string", "null": for messages.
std::string describe_kind(const Node& node);

// Reads and parses a file. `display_name` is what messages call it (defaults
// to path). With `stats`, the work done is written there (reset first).
Node read_yaml_file(const std::string& path, const ReadLimits& limits = {},
                    const std::string& display_name = "", ReadStats* stats = nullptr);
// Parses text already in memory (embedded scenarios, tests, the fuzzer).
Node read_yaml_text(std::string_view text, const std::string& display_name,
                    const ReadLimits& limits = {}, ReadStats* stats = nullptr);

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
