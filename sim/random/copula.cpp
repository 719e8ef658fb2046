#include "sim/random/copula.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <Eigen/Dense>

#include "sim/random/special_functions.h"

namespace switchcost::sim {

namespace {
using Matrix = Eigen::MatrixXd;

Matrix to_eigen(const SquareMatrix& m) {
  Matrix out(Eigen::Index(m.n), Eigen::Index(m.n));
  for (std::size_t i = 0; i < m.n; ++i)
    for (std::size_t j = 0; j < m.n; ++j) out(Eigen::Index(i), Eigen::Index(j)) = m.at(i, j);
  return out;
}

SquareMatrix from_eigen(const Matrix& m) {
  SquareMatrix out(std::size_t(m.rows()));
  for (std::size_t i = 0; i < out.n; ++i)
    for (std::size_t j = 0; j < out.n; ++j) out.at(i, j) = m(Eigen::Index(i), Eigen::Index(j));
  return out;
}

// The projection onto the symmetric matrices with eigenvalues >= floor.
Matrix clip_eigenvalues(const Matrix& m, double floor) {
  const Eigen::SelfAdjointEigenSolver<Matrix> eigen(m);
  const Eigen::VectorXd clipped = eigen.eigenvalues().cwiseMax(floor);
  return eigen.eigenvectors() * clipped.asDiagonal() * eigen.eigenvectors().transpose();
}

// The range of the engine's uniforms (sim/random/random.h).
constexpr double u_lowest = 0x1p-54;
constexpr double u_highest = 1.0 - 0x1p-53;
}  // namespace

const char* to_string(CopulaKind kind) noexcept { return kind == CopulaKind::t ? "t" : "gaussian"; }

SquareMatrix SquareMatrix::identity(std::size_t size) {
  SquareMatrix m(size);
  for (std::size_t i = 0; i < size; ++i) m.at(i, i) = 1;
  return m;
}

double spearman_to_pearson(double rho) noexcept { return 2 * std::sin(std::numbers::pi * rho / 6); }
double pearson_to_spearman(double r) noexcept { return 6 / std::numbers::pi * std::asin(std::clamp(r, -1.0, 1.0) / 2); }

SquareMatrix spearman_to_pearson(const SquareMatrix& spearman) {
  SquareMatrix out = spearman;
  for (std::size_t i = 0; i < out.n; ++i)
    for (std::size_t j = 0; j < out.n; ++j) out.at(i, j) = i == j ? 1.0 : spearman_to_pearson(spearman.at(i, j));
  return out;
}

SquareMatrix pearson_to_spearman(const SquareMatrix& pearson) {
  SquareMatrix out = pearson;
  for (std::size_t i = 0; i < out.n; ++i)
    for (std::size_t j = 0; j < out.n; ++j) out.at(i, j) = i == j ? 1.0 : pearson_to_spearman(pearson.at(i, j));
  return out;
}

double smallest_eigenvalue(const SquareMatrix& symmetric) {
  if (symmetric.n == 0) return 0;
  const Eigen::SelfAdjointEigenSolver<Matrix> eigen(to_eigen(symmetric), Eigen::EigenvaluesOnly);
  return eigen.eigenvalues().minCoeff();
}

SquareMatrix nearest_correlation(const SquareMatrix& symmetric, double eigenvalue_floor) {
  const Matrix a = to_eigen(symmetric);
  Matrix y = a;
  Matrix correction = Matrix::Zero(a.rows(), a.cols());  // Dykstra's
  for (int iteration = 0; iteration < 1000; ++iteration) {
    const Matrix r = y - correction;
    const Matrix x = clip_eigenvalues(r, eigenvalue_floor);
    correction = x - r;
    const Matrix previous = y;
    y = x;
    y.diagonal().setOnes();
    if ((y - previous).norm() <= 1e-12 * std::max(1.0, y.norm())) break;
  }
  Matrix x = clip_eigenvalues(y, eigenvalue_floor);
  const Eigen::VectorXd scale = x.diagonal().cwiseSqrt().cwiseInverse();
  x = scale.asDiagonal() * x * scale.asDiagonal();
  x = ((x + x.transpose()) / 2).eval();  // eval: x.transpose() aliases x
  x.diagonal().setOnes();
  return from_eigen(x);
}

SquareMatrix copula_factor(const SquareMatrix& pearson) {
  const Eigen::LDLT<Matrix> ldlt(to_eigen(pearson));
  const Eigen::VectorXd root_d = ldlt.vectorD().cwiseMax(0.0).cwiseSqrt();
  Matrix l = ldlt.matrixL();
  Matrix a = l * root_d.asDiagonal();
  // R = P^T L D L^T P: A = P^T L D^(1/2).
  a = ldlt.transpositionsP().transpose() * a;
  return from_eigen(a);
}

void copula_uniforms(const SquareMatrix& factor, CopulaKind kind, double dof, const double* const* in,
                     const double* chi2_u, std::size_t n, double* const* out, double* z) {
  const std::size_t k = factor.n;
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t t = 0; t < n; ++t) z[i * n + t] = normal_quantile(in[i][t]);
  // The factor's zeros are skipped (a block of pairs is mostly zeros); the
  // sum runs over j in order, so the bits do not depend on which are zero.
  for (std::size_t i = 0; i < k; ++i) {
    double* o = out[i];
    std::fill(o, o + n, 0.0);
    for (std::size_t j = 0; j < k; ++j) {
      const double a = factor.at(i, j);
      if (a == 0) continue;
      const double* zj = z + j * n;
      for (std::size_t t = 0; t < n; ++t) o[t] += a * zj[t];
    }
  }
  if (kind == CopulaKind::gaussian) {
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t t = 0; t < n; ++t) out[i][t] = std::clamp(normal_cdf(out[i][t]), u_lowest, u_highest);
    return;
  }
  // t copula: one W per trial, shared by the group.
  for (std::size_t t = 0; t < n; ++t) {
    const double w = 2 * gamma_quantile(dof / 2, chi2_u[t]);
    const double scale = 1 / std::sqrt(std::max(w, 1e-300) / dof);
    for (std::size_t i = 0; i < k; ++i)
      out[i][t] = std::clamp(student_t_cdf(dof, out[i][t] * scale), u_lowest, u_highest);
  }
}

}  // namespace switchcost::sim
