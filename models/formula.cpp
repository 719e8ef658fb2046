#include "models/formula.h"

#include <cmath>

namespace switchcost::models {

int formula_arity(FormulaOp op) noexcept {
  switch (op) {
    case FormulaOp::neg:
    case FormulaOp::not_:
    case FormulaOp::exp:
    case FormulaOp::log:
    case FormulaOp::sqrt:
    case FormulaOp::sin:
    case FormulaOp::cos: return 1;
    case FormulaOp::select:
    case FormulaOp::clamp: return 3;
    default: return 2;
  }
}

void evaluate_formula(const FormulaProgram& program, std::span<const Column* const> slots, Eigen::Index trials,
                      FormulaWorkspace& ws, Column& out) {
  const Eigen::Index n = trials;
  if (ws.temps.size() < std::size_t(program.temp_count)) ws.temps.resize(std::size_t(program.temp_count));
  for (auto& t : ws.temps)
    if (t.size() != n) t.resize(n);
  ws.constants.resize(program.constants.size());
  for (std::size_t k = 0; k < program.constants.size(); ++k) ws.constants[k].setConstant(n, program.constants[k]);

  auto col = [&](const FormulaOperand& o) -> const Column& {
    switch (o.kind) {
      case FormulaOperand::Kind::slot: return *slots[std::size_t(o.index)];
      case FormulaOperand::Kind::temp: return ws.temps[std::size_t(o.index)];
      case FormulaOperand::Kind::constant: break;
    }
    return ws.constants[std::size_t(o.index)];
  };
  // The output may be an operand's temporary: every operation is elementwise,
  // reading element i before writing it, so the aliasing is harmless.
  for (const FormulaInstr& in : program.code) {
    Column& r = ws.temps[std::size_t(in.out)];
    const Column& a = col(in.a);
    switch (in.op) {
      case FormulaOp::neg: r = -a; break;
      case FormulaOp::add: r = a + col(in.b); break;
      case FormulaOp::sub: r = a - col(in.b); break;
      case FormulaOp::mul: r = a * col(in.b); break;
      case FormulaOp::div: r = a / col(in.b); break;
      case FormulaOp::lt: r = (a < col(in.b)).cast<double>(); break;
      case FormulaOp::le: r = (a <= col(in.b)).cast<double>(); break;
      case FormulaOp::gt: r = (a > col(in.b)).cast<double>(); break;
      case FormulaOp::ge: r = (a >= col(in.b)).cast<double>(); break;
      case FormulaOp::eq: r = (a == col(in.b)).cast<double>(); break;
      case FormulaOp::ne: r = (a != col(in.b)).cast<double>(); break;
      case FormulaOp::and_: r = ((a != 0.0) && (col(in.b) != 0.0)).cast<double>(); break;
      case FormulaOp::or_: r = ((a != 0.0) || (col(in.b) != 0.0)).cast<double>(); break;
      case FormulaOp::not_: r = (a == 0.0).cast<double>(); break;
      case FormulaOp::select: r = (a != 0.0).select(col(in.b), col(in.c)); break;
      case FormulaOp::min: r = a.min(col(in.b)); break;
      case FormulaOp::max: r = a.max(col(in.b)); break;
      case FormulaOp::clamp: r = a.max(col(in.b)).min(col(in.c)); break;
      case FormulaOp::exp: r = a.unaryExpr([](double x) { return std::exp(x); }); break;
      case FormulaOp::log: r = a.unaryExpr([](double x) { return std::log(x); }); break;
      case FormulaOp::sqrt: r = a.sqrt(); break;
      case FormulaOp::pow: r = a.binaryExpr(col(in.b), [](double x, double y) { return std::pow(x, y); }); break;
      case FormulaOp::sin: r = a.unaryExpr([](double x) { return std::sin(x); }); break;
      case FormulaOp::cos: r = a.unaryExpr([](double x) { return std::cos(x); }); break;
    }
  }
  out = col(program.result);
}

Eigen::Index first_non_finite(const Column& values) noexcept {
  for (Eigen::Index i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i])) return i;
  return -1;
}

}  // namespace switchcost::models
