// Formulas written in a scenario, compiled to a flat sequence of vector
// operations over the columns of one block of trials (element i of every
// column is trial i). The scenario reader parses and checks the text
// (sim/scenario/formula.h) and emits a FormulaProgram; this file only runs it.
//   operands: a slot (a column the caller gives: an input, a drawn variable,
//   another formula's result), a temporary of the workspace, or a constant;
//   each instruction writes one temporary:
//     neg: -a    add: a + b    sub: a - b    mul: a * b    div: a / b
//     lt le gt ge eq ne: 1 where the comparison holds, else 0
//     and_: 1 where a != 0 and b != 0    or_: 1 where a != 0 or b != 0
//     not_: 1 where a == 0               select: b where a != 0, else c
//     min max: elementwise                clamp: min(max(a, b), c)
//     exp log sqrt: of a                  pow: a to the power b
//     sin cos: of a (radians)
// Every operation is elementwise and evaluated per element with the same
// scalar function wherever the element sits in the block (exp, log, pow,
// sin and cos through std::), so a trial's value does not depend on the block size.
// Non-finite values are the caller's to check (first_non_finite).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "models/common.h"

namespace switchcost::models {

enum class FormulaOp : std::uint8_t {
  neg, add, sub, mul, div, lt, le, gt, ge, eq, ne, and_, or_, not_, select, min, max, clamp, exp, log, sqrt, pow, sin, cos
};

// Number of operands an operation reads (1, 2 or 3).
int formula_arity(FormulaOp op) noexcept;

struct FormulaOperand {
  enum class Kind : std::uint8_t { slot, temp, constant };
  Kind kind = Kind::constant;
  int index = 0;  // into the caller's slots, the workspace's temporaries or the program's constants
  bool operator==(const FormulaOperand&) const = default;
};

struct FormulaInstr {
  FormulaOp op = FormulaOp::add;
  int out = 0;  // temporary written
  FormulaOperand a, b, c;
  bool operator==(const FormulaInstr&) const = default;
};

// One formula: its instructions in order, then the result operand.
struct FormulaProgram {
  std::vector<FormulaInstr> code;
  std::vector<double> constants;
  int temp_count = 0;  // temporaries the workspace needs
  FormulaOperand result;
  bool operator==(const FormulaProgram&) const = default;  // the same operations on the same constants
};

// Columns reused between evaluations (one per thread).
struct FormulaWorkspace {
  std::vector<Column> temps;
  std::vector<Column> constants;
};

// out = the program over slots, each a column of `trials` values. Pure apart
// from the workspace.
void evaluate_formula(const FormulaProgram& program, std::span<const Column* const> slots, Eigen::Index trials,
                      FormulaWorkspace& workspace, Column& out);

// Index of the first element of `values` that is not finite, or -1.
Eigen::Index first_non_finite(const Column& values) noexcept;

}  // namespace switchcost::models
