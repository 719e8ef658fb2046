// Typed errors, caught once in main, which picks the exit code.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>
#include <string_view>

namespace switchcost::sim {

// A place in an input file; line and column are 1-based (0 = unknown).
struct Location {
  std::string file;
  int line = 0;
  int column = 0;
};

// "file:line:col"; "file" when the line is unknown (0), "file:line" when
// only the column is.
std::string to_string(const Location& where);

// Text with control characters escaped (\n, \t, \r, \xNN for C0 controls,
// DEL and bytes that are not UTF-8; \uXXXX for C1 controls, the
// bidirectional controls and U+FEFF: is_invisible_control in sim/base/format.h),
// so a message or a table cell from untrusted input stays one line, cannot
// steer the terminal and cannot reorder what follows it. Every error message
// and every name in a terminal table passes through it.
std::string printable(std::string_view text);

// Bad scenario data: exit code 65. what() is "file:line:col: message" (the
// location as to_string writes it; just the message if that is empty).
class ScenarioError : public std::runtime_error {
 public:
  ScenarioError(Location where, const std::string& message);
  const Location& where() const noexcept { return where_; }
  const std::string& message() const noexcept { return message_; }

 private:
  Location where_;
  std::string message_;
};

// Several errors of one scenario, in the order found: what() is each
// error's what() on a line of its own, then a count when there are more
// than one; where() and message() are the first's.
class ScenarioErrors : public ScenarioError {
 public:
  explicit ScenarioErrors(std::vector<ScenarioError> errors, bool stopped_at_limit);
  const char* what() const noexcept override { return text_.c_str(); }
  const std::vector<ScenarioError>& errors() const noexcept { return errors_; }

 private:
  std::vector<ScenarioError> errors_;
  std::string text_;
};

// Bad command line: exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An output could not be written: exit code 74.
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A finite input whose result overflows, or a request that would not fit in
// memory: exit code 65 (it is the scenario or the request that is impossible).
class LimitError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace switchcost::sim
