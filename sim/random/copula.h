// Rank correlation between inputs by a copula (docs/scenario-format.md,
// "Correlations"). Each input keeps its own uniform stream and its own
// marginal; the copula only moves the uniforms of a correlated group
// jointly, trial by trial, before each marginal's quantile function:
//
//   z_i  = Phi^-1(u_i)                  each input's own uniform
//   x    = A z                          A A^T = R, R the Pearson matrix
//   u'_i = Phi(x_i)                     Gaussian copula
//   u'_i = T_dof(x_i / sqrt(W / dof))   t copula, W ~ chi2(dof) = 2 Gamma(dof/2)^-1(u_W)
//
// with R_ij = 2 sin(pi rho_ij / 6) for the Spearman rank correlations rho
// the file gives (exact for the Gaussian copula: its Spearman correlation is
// (6/pi) asin(R_ij / 2)), and u'_i clamped to [2^-54, 1 - 2^-53], the range
// of the engine's own uniforms (sim/random/random.h), so every marginal's
// extreme quantiles stay those the reader checked. A is the factor of
// Eigen's LDLT with pivoting, A = P^T L D^(1/2), so a positive
// semi-definite R with zero eigenvalues (rho = +-1) is factored too.
// Every u'_i is a pure function of the group's uniforms of the same trial:
// correlated draws stay a function of (seed, variables, trial).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace switchcost::sim {

enum class CopulaKind { gaussian, t };
const char* to_string(CopulaKind kind) noexcept;  // "gaussian", "t"

// A square matrix, row-major: at(i, j) = values[i * n + j].
struct SquareMatrix {
  std::size_t n = 0;
  std::vector<double> values;

  SquareMatrix() = default;
  explicit SquareMatrix(std::size_t size, double fill = 0) : n(size), values(size * size, fill) {}
  double& at(std::size_t i, std::size_t j) { return values[i * n + j]; }
  double at(std::size_t i, std::size_t j) const { return values[i * n + j]; }
  static SquareMatrix identity(std::size_t size);
};

// 2 sin(pi rho / 6): the Pearson correlation of a Gaussian copula whose
// Spearman rank correlation is rho; and its inverse, (6 / pi) asin(r / 2).
double spearman_to_pearson(double rho) noexcept;
double pearson_to_spearman(double r) noexcept;
// Entry by entry (the diagonal stays 1).
SquareMatrix spearman_to_pearson(const SquareMatrix& spearman);
SquareMatrix pearson_to_spearman(const SquareMatrix& pearson);

// The smallest eigenvalue of a symmetric matrix (Eigen's SelfAdjointEigenSolver).
double smallest_eigenvalue(const SquareMatrix& symmetric);

// Eigenvalues above -psd_tolerance count as positive semi-definite: the
// rounding of a matrix written with 6 decimals, not a real violation.
inline constexpr double psd_tolerance = 1e-9;

// The nearest correlation matrix to a symmetric one, by Higham's alternating
// projections with Dykstra's correction (N. J. Higham, "Computing the
// nearest correlation matrix", IMA J. Numer. Anal. 22 (2002) 329-343):
// alternately onto the matrices with eigenvalues >= eigenvalue_floor and
// those with a unit diagonal, until a step moves the matrix less than 1e-12
// (Frobenius, relative) or after 1,000 iterations; then its eigenvalues are
// raised to the floor once more and it is rescaled to a unit diagonal, so
// the result is a correlation matrix whose smallest eigenvalue is about the
// floor. The floor (1e-4 by default) keeps it positive semi-definite after
// its entries are rounded to 6 decimals for printing.
SquareMatrix nearest_correlation(const SquareMatrix& symmetric, double eigenvalue_floor = 1e-4);

// A with A A^T = pearson (see the top of this file); pearson must be a
// positive semi-definite correlation matrix.
SquareMatrix copula_factor(const SquareMatrix& pearson);

// The copula's transform of one group over n trials: in[i][t] is input i's
// own uniform of trial t, out[i][t] its correlated uniform u'; chi2_u[t] is
// the t copula's uniform for W (unused, may be null, for the Gaussian one).
// `z` is scratch of at least factor.n * n doubles.
void copula_uniforms(const SquareMatrix& factor, CopulaKind kind, double dof, const double* const* in,
                     const double* chi2_u, std::size_t n, double* const* out, double* z);

}  // namespace switchcost::sim
