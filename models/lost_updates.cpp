#include "models/lost_updates.h"

#include "models/fastmath.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace switchcost::models {

namespace {
using In = LostUpdatesInputs;
constexpr InputLevel market = InputLevel::market;

constexpr InputSpec<In> lost_updates_table[] = {
    // key, unit, min, max, required, fallback, level, column
    {"start_delay_days", "[days]", 0, 3650, false, 0, InputLevel::msp, &In::start_delay_days},
    {"threat.encounters_per_endpoint_day", "[1/(endpoint day)]", 0, unbounded, true, 0, market,
     &In::encounters_per_endpoint_day},
    {"threat.miss_rate_supported", "[-]", 0, 1, true, 0, market, &In::miss_rate_supported},
    {"threat.frozen_miss_multiplier", "[-]", 1, unbounded, true, 0, market, &In::frozen_miss_multiplier},
    {"threat.protection_decay_days", "[days]", 0.01, unbounded, true, 0, market, &In::protection_decay_days},
};
}  // namespace

InputTable<LostUpdatesInputs> lost_updates_inputs() noexcept { return lost_updates_table; }

void set_cutoff_day(LostUpdatesInputs& in, double updates_end_from_start_days) {
  in.cutoff_day = updates_end_from_start_days - in.start_delay_days;
}

void LostUpdatesInputs::resize(Eigen::Index n) {
  for (const auto& spec : lost_updates_table) (this->*spec.column).resize(n);
  cutoff_day.resize(n);
}

void LostUpdatesResult::resize(Eigen::Index n) {
  unprotected_endpoint_days.resize(n);
  expected_incidents.resize(n);
}

namespace {

// Method (per trial, all O(1)):
//
// With x = n + 1/2, X = E + 1/2 and k = S(E) / (t_end - t_setup) the first-endpoint
// equivalents done per day in the endpoint phase, S(E) - S(n(t)) = k (t_end - t), i.e.
//   x(t)^p = X^p - p k (t_end - t),
// so x(t) / X = exp(ell(t)) with ell(t) = log1p(-p k (t_end - t) / X^p) / p <= 0 and
//   E - n(t) = X - x(t) = -X expm1(ell(t)),
// computed without cancellation even just before t_end. It is the schedule of
// models/labor.h anchored at its end (n(t_end) = E exactly) instead of at its start.
//
// Unprotected endpoint-days on [a, t_end] inside the endpoint phase: with dt = x^(p-1) dx / k,
//   integral_a^t_end (X - x(t)) dt = X^(p+1) B(z) / k,  z = 1 - x(a) / X,
//   B(z) = integral_0^z w (1 - w)^(p-1) dw = (1 - (1-z)^p) / p - (1 - (1-z)^(p+1)) / (p+1),
// with a series for small z, where the closed form cancels.
//
// Expected incidents weight E - n(t) by 1 - exp(-(t - t_c) / decay):
//  * before the endpoint phase (E - n = E) in closed form: E decay phi((t_setup - t_c) / decay),
//    phi(y) = y - (1 - exp(-y));
//  * from t_c + tail_decays * decay on (exp(-40) < 5e-18) with the closed form above;
//  * in between, composite Gauss-Legendre quadrature (16 nodes per panel). The integrand is
//    analytic there, but x(t) = w(t)^(1/p) with w = x^p linear in t has a branch point where
//    w = 0, w(a) / (p k) days before a: about the time of one early endpoint, tiny next to the
//    phase when E is large and p < 1. Panels therefore grow geometrically away from it (w grows
//    by at most panel_growth per panel: about 9 panels at E = 1e7), and none is longer than
//    panel_decays decay times, which resolves the exponential (at most 2 such panels, as the
//    quadrature covers at most tail_decays decay times).
//    A trial whose whole interval is at most 4 decay times long and starts at least its own
//    length after the branch point (the point 2 or more half-lengths before the panel, i.e.
//    the cut-off in the later half of the endpoint phase) takes one panel of 8 nodes instead.
//    Gauss-Legendre's error falls as rho^(-2n), rho the Bernstein ellipse through the
//    branch point; on a model of the integrand, (X - (s + d)^(1/p)) (1 - exp(-(tau + s) /
//    decay)) over p in [0.26, 1], branch distances of 2 to 30 half-lengths, up to 4 decay
//    times and any tau, 8 nodes measured relative errors below 7e-15 against a 200-node
//    reference on 16 graded panels (16 nodes: 2e-15), i.e. rounding; at 1 half-length they
//    reach 5e-12, so the rule stops at 2.
// The quadrature's relative error was below 1e-10 in a sweep over E in [0.3, 1e7],
// learning_rate in [0.6, 1], decay in [0.01, 1e4] days, phases of 0.5 to 5000 days and
// cut-offs before, in and at the end of the schedule (tests/models_test.cpp checks < 1e-8
// against an independent adaptive integration). Cost: one panel of 8 nodes, or 1 to about 11
// panels of 16 nodes, a trial.
//
// Speed: expm1 and log1p are fastmath::expm1 / fastmath::log1p (models/fastmath.h: plain
// arithmetic, within 1.3 and 1 ulp; libm's are within 0.8), so a panel's 16 nodes are
// branch-free and call-free: ell() is written with selects, and the nodes are evaluated in
// stages (ell at the nodes; expm1 of both arguments; the products and the sums), each a
// loop that GCC vectorises (4 or 8 doubles per instruction in panel_sums' AVX2 and
// AVX-512 clones, SWITCHCOST_SIMD_CLONES). One loop over the whole chain was
// latency-bound (225 ns a panel against 150 ns staged; libm's 690 ns, on the development VM).
// The stages run over up to 64 panels of many trials at once (PanelChunk), with the
// vector lanes across panels (lane l: the same node of panel j + l), not over one trial's
// nodes: most trials need one panel of 8 nodes, which alone left the vector units idle,
// and a panel's sum in node order is then one lane's accumulator, not a scalar chain.
// (The same bits as one trial's loop; 2026-12-03, lanes across panels 2026-12-04.)
// Once-per-trial expm1 / log1p (B(z), phi, ell_min) use them too. Measured in one session
// against the libm version (medians of 3, twice): BM_Model_LostUpdates 307-312 -> 168-175 ns
// a trial (1.8x), BM_Engine_Portfolio1000/1 416 -> 338 ns an MSP-trial (-19%). The per-trial
// set-up before the quadrature (ell and B(z) at two points, X^p) is computed for a batch of
// trials at a time in one vectorised loop (PhaseBatch below), not as one scalar chain per
// trial: BM_Model_LostUpdates 149 -> 108 ns a trial, the same bits (2026-11-30).

constexpr std::size_t gauss_nodes = 16;
constexpr double tail_decays = 40.0;   // exp(-40) = 4.2e-18: beyond, 1 - exp(..) is 1 in double
constexpr double panel_decays = 20.0;  // longest panel in decay times
constexpr double panel_growth = 8.0;   // w(end) / w(start) of a panel at most this
constexpr int max_panels = 64;         // bound on the work per trial
// The short rule: one panel of 8 nodes where the trial's whole interval is at
// most short_panel_decays decay times long and ends at most
// short_panel_growth times as far from the branch point as it starts (the
// branch point at least 2 half-lengths before the panel): there 8 nodes reach
// the 16 nodes' accuracy (see the method above).
constexpr std::size_t short_gauss_nodes = 8;
constexpr double short_panel_decays = 4.0;
constexpr double short_panel_growth = 2.0;

template <std::size_t N>
struct GaussLegendre {
  std::array<double, N> x{};  // nodes on [-1, 1]
  std::array<double, N> w{};  // weights, summing to 2
};

// Nodes and weights by Newton's method on the Legendre polynomial, in long double.
template <std::size_t N>
GaussLegendre<N> make_gauss_legendre() {
  GaussLegendre<N> g;
  constexpr int n = int(N);
  const long double pi = 3.141592653589793238462643383279502884L;
  for (int i = 0; i < (n + 1) / 2; ++i) {
    long double z = std::cos(pi * (static_cast<long double>(i) + 0.75L) / (static_cast<long double>(n) + 0.5L));
    long double derivative = 0.0L;
    for (int iteration = 0; iteration < 100; ++iteration) {
      long double p0 = 1.0L, p1 = z;
      for (int j = 2; j <= n; ++j) {
        const long double p2 = ((2.0L * j - 1.0L) * z * p1 - (j - 1.0L) * p0) / static_cast<long double>(j);
        p0 = p1;
        p1 = p2;
      }
      derivative = static_cast<long double>(n) * (z * p1 - p0) / (z * z - 1.0L);
      const long double step = p1 / derivative;
      z -= step;
      if (std::fabs(step) < 1e-19L) break;
    }
    const long double weight = 2.0L / ((1.0L - z * z) * derivative * derivative);
    g.x[std::size_t(i)] = -static_cast<double>(z);
    g.x[std::size_t(n - 1 - i)] = static_cast<double>(z);
    g.w[std::size_t(i)] = g.w[std::size_t(n - 1 - i)] = static_cast<double>(weight);
  }
  return g;
}

template <std::size_t N>
const GaussLegendre<N>& gauss_legendre() {
  static const GaussLegendre<N> g = make_gauss_legendre<N>();
  return g;
}

// expm1(q y) / q, and its limit y at q = 0.
double expm1_over(double q, double y) noexcept { return q == 0.0 ? y : fastmath::expm1(q * y) / q; }

// B(z) = integral_0^z w (1 - w)^(p-1) dw for z = 1 - exp(ell), ell <= 0: in closed form,
//   B = expm1((p+1) ell) / (p+1) - expm1(p ell) / p,
// except for z < series_below, where the two terms cancel and the series is summed:
// (1 - w)^b = sum_j c_j w^j with c_j = c_(j-1) (j - 1 - b) / j >= 0 for b = p - 1 <= 0.
constexpr double series_below = 0.05;
double beta_2p_series(double z, double p) noexcept {
  const double b = p - 1.0;
  double c = 1.0, power = z * z, sum = 0.0;
  for (int j = 0; j < 60; ++j) {
    const double term = c * power / (j + 2.0);
    sum += term;
    if (term <= 1e-17 * sum) break;
    c *= (j - b) / (j + 1.0);
    power *= z;
  }
  return sum;
}

// phi(y) = y - (1 - exp(-y)) = integral_0^y (1 - exp(-s)) ds, y >= 0.
double phi(double y) noexcept {
  if (y < 0.05) {
    double term = y * y / 2.0, sum = 0.0;  // sum_{j>=2} (-1)^j y^j / j!
    for (int j = 3; j < 30; ++j) {
      sum += term;
      if (std::fabs(term) <= 1e-17 * sum) break;
      term *= -y / j;
    }
    return sum;
  }
  return y + fastmath::expm1(-y);
}

// The endpoint phase of one trial, anchored at t_end (see above).
struct EndpointPhase {
  double endpoints;  // E > 0
  double p;          // learning exponent b + 1
  double x_end;      // X = E + 1/2
  double x_end_p;    // X^p
  double x_end_p1;   // X^(p+1) = X^p X
  double rate;       // k [first-endpoint equivalents per day]
  double ell_min;    // log((1/2) / X): ell at the start of the phase

  // ell = log(x / X) at delta days before t_end, 0 <= delta <= t_end - t_setup.
  // Branch-free (selects, fastmath::log1p) so that the quadrature's node loop vectorises.
  double ell(double delta) const noexcept {
    const double y = w_change(delta);
    return ell_of(delta, y, fastmath::log1p(y) / p);
  }
  // ell from y = w_change(delta) and log1p(y) / p, however computed: the
  // quadrature's nodes multiply by reciprocals computed once per trial instead
  // of dividing by X^p and by p (an ulp or so apart from ell(); dividing was
  // most of a node's cost, as divisions are the slowest vector operation).
  double ell_of(double delta, double y, double log_over_p) const noexcept {
    const double log_branch = y <= -1.0 ? ell_min : log_over_p;
    double value = p == 0.0 ? -rate * delta : log_branch;
    value = value < ell_min ? ell_min : value;  // std::clamp(value, ell_min, 0.0)
    return 0.0 < value ? 0.0 : value;
  }
  // y = x(t)^p / X^p - 1 at delta days before t_end (w = x^p is linear in t).
  double w_change(double delta) const noexcept { return -p * rate * delta / x_end_p; }
};

// encounters_per_endpoint_day x (m_frozen - m_supported): the weighted integral's factor.
double incident_scale(const LostUpdatesInputs& in, Eigen::Index i) noexcept {
  const double supported = in.miss_rate_supported[i];
  const double frozen = std::min(1.0, supported * in.frozen_miss_multiplier[i]);
  const double excess = std::max(0.0, frozen - supported);  // m_frozen - m_supported >= 0
  return in.encounters_per_endpoint_day[i] * excess;
}

// The trials of a block that reach the endpoint phase after the cut-off, a
// batch at a time, as columns: their per-trial set-up (the learning exponent,
// X^p, ell and B(z) at a and at the tail start) is computed for the whole
// batch in one loop that vectorises (phase_setup), instead of one scalar
// chain per trial. The operations per trial are those of the scalar code, in
// the same order (floating-point contraction is off project-wide), so the
// same bits.
constexpr std::size_t batch_trials = 256;
struct PhaseBatch {
  std::size_t n = 0;
  std::array<Eigen::Index, batch_trials> trial;  // index in the block
  std::array<bool, batch_trials> need_weighted;
  // Inputs.
  std::array<double, batch_trials> endpoints, p, x_end_p, learning_sum, t_setup, t_end, t_cut, decay;
  // phase_setup: the phase's constants, and at a and at the tail start t_tail:
  // ell, z = 1 - x / X, and (at the tail start) B(z) in closed form (the series replaces it
  // for z < 0.05).
  std::array<double, batch_trials> x_end, x_end_p1, rate, ell_min, a, delta_a, t_tail;
  std::array<double, batch_trials> ell_a, z_a, z_tail, closed_tail;
  // Also in phase_setup's vectorised loop, for finish_batch and queue_panels (whose
  // per-trial code would divide in scalar): the phase's unprotected endpoint-days
  // with B(z_a) in closed form, X^(p+1) closed_a / k; the nodes' reciprocals
  // (EndpointPhase::ell_of): y = node_slope delta, log1p(y) / p = log1p(y) inverse_p
  // (inf at p = 0, where it is selected away); and the branch point's distance
  // before a where ell(a) is not clamped (queue_panels).
  std::array<double, batch_trials> closed_days, node_slope, inverse_p, inverse_decay, branch_days;
  // finish_batch: the quadrature's sum, 0 where there is none.
  std::array<double, batch_trials> quadrature;
};

SWITCHCOST_SIMD_CLONES void phase_setup(PhaseBatch& q) noexcept {
  for (std::size_t k = 0; k < q.n; ++k) {
    EndpointPhase ph;
    ph.endpoints = q.endpoints[k];
    ph.p = q.p[k];  // p and X^p from the labor model (LaborResult)
    ph.x_end = ph.endpoints + 0.5;
    ph.x_end_p = q.x_end_p[k];
    ph.x_end_p1 = ph.x_end_p * ph.x_end;
    ph.rate = q.learning_sum[k] / (q.t_end[k] - q.t_setup[k]);
    ph.ell_min = -fastmath::log1p(2.0 * ph.endpoints);
    const double a = q.t_cut[k] < q.t_setup[k] ? q.t_setup[k] : q.t_cut[k];  // std::max(t_cut, t_setup)
    const double delta_a = q.t_end[k] - a;
    const double ell_a = a == q.t_setup[k] ? ph.ell_min : ph.ell(delta_a);
    const double t_tail = q.t_cut[k] + tail_decays * q.decay[k];
    q.x_end[k] = ph.x_end;
    q.x_end_p1[k] = ph.x_end_p1;
    q.rate[k] = ph.rate;
    q.ell_min[k] = ph.ell_min;
    q.a[k] = a;
    q.delta_a[k] = delta_a;
    q.t_tail[k] = t_tail;
    q.ell_a[k] = ell_a;
    q.z_a[k] = -fastmath::expm1(ell_a);
    const double closed_a = expm1_over(ph.p + 1.0, ell_a) - expm1_over(ph.p, ell_a);
    q.closed_days[k] = ph.x_end_p1 * closed_a / ph.rate;
    q.node_slope[k] = -ph.p * ph.rate / ph.x_end_p;
    q.inverse_p[k] = 1.0 / ph.p;
    q.inverse_decay[k] = 1.0 / q.decay[k];
    q.branch_days[k] = ph.x_end_p * (1.0 + ph.w_change(delta_a)) / (ph.p * ph.rate);
  }
  // finish_batch reads z_tail and closed_tail only where the decay ends before the schedule.
  bool any_tail = false;
  for (std::size_t k = 0; k < q.n; ++k) any_tail = any_tail || q.t_tail[k] < q.t_end[k];
  if (!any_tail) return;
  for (std::size_t k = 0; k < q.n; ++k) {
    EndpointPhase ph;  // what EndpointPhase::ell reads
    ph.p = q.p[k];
    ph.x_end_p = q.x_end_p[k];
    ph.rate = q.rate[k];
    ph.ell_min = q.ell_min[k];
    const double t_tail = q.t_tail[k];
    const double ell_tail = t_tail <= q.a[k] ? q.ell_a[k] : ph.ell(q.t_end[k] - t_tail);
    q.z_tail[k] = -fastmath::expm1(ell_tail);
    q.closed_tail[k] = expm1_over(ph.p + 1.0, ell_tail) - expm1_over(ph.p, ell_tail);
  }
}

// The quadrature part of the weighted integral, on [a, min(t_end, t_tail)] in s = t - a
// (see the method above), panel by panel: the panels of many trials are queued
// (queue_panels) with their trial's node constants, and evaluated a chunk at a
// time (panel_sums) with the vector lanes running across panels: lane l of a
// vector holds node i of panel j + l, and each panel's weighted sum
// accumulates in its lane, in node order. So the loops read contiguous columns
// (no gathers through the owner index), each stage (panel_sums_body) is one loop
// over the chunk's lanes, and no panel's sum of its nodes is a scalar chain, as it
// was with the lanes across one panel's nodes (most trials need one panel).
// Per node the operations are those of one trial's panel loop,
// in the same order, and each trial's panel sums are added in panel order, so
// the bits do not depend on how panels fall into chunks or lanes.
constexpr std::size_t panel_lanes = 8;  // AVX-512's doubles per vector; chunks are padded to it
template <std::size_t N>
struct PanelChunk {
  static constexpr std::size_t capacity = 64;  // a multiple of panel_lanes
  std::size_t n = 0;
  std::array<std::size_t, capacity> owner;  // the trial's index in its PhaseBatch
  // Per panel: its midpoint and half-length (in s), and its trial's constants
  // (EndpointPhase::ell_of's p, rate and ell_min; delta_a = t_end - a, tau_a = a - t_c;
  // the reciprocals of queue_panels; X).
  alignas(64) std::array<double, capacity> mid, half, delta_a, tau_a, node_slope, inverse_p, inverse_decay;
  alignas(64) std::array<double, capacity> p, rate, ell_min, x_end;
  alignas(64) std::array<double, capacity> sum;  // panel_sums: the weighted sum of the panel's nodes
};

// sum[j] = sum over panel j's N nodes, in node order, of
// weight x (E - n(t)) x (1 - exp(-(t - t_c) / decay)), for the first `lanes` panels
// (c.n rounded up to panel_lanes; the padding lanes repeat a real panel). In stages
// (ell and the decay's argument at the nodes; expm1 of both; the products and sums),
// each a loop over the panels whose iterations are independent: one loop over the
// whole chain of a node is latency-bound (the chain of log1p, expm1 and the sum is
// longer than the out-of-order window reaches).
template <std::size_t N>
[[gnu::always_inline]] inline void panel_sums_body(PanelChunk<N>& c, std::size_t lanes) noexcept {
  const GaussLegendre<N>& gl = gauss_legendre<N>();
  constexpr std::size_t capacity = PanelChunk<N>::capacity;
  // arg[i][j]: ell(t) at panel j's node i, and arg[N + i][j]: -(t - t_c) / decay there;
  // then their expm1.
  alignas(64) std::array<std::array<double, capacity>, 2 * N> arg;
  for (std::size_t i = 0; i < N; ++i) {
    const double node = gl.x[i];
    for (std::size_t j = 0; j < lanes; ++j) {
      EndpointPhase ph;  // what EndpointPhase::ell_of reads
      ph.p = c.p[j];
      ph.rate = c.rate[j];
      ph.ell_min = c.ell_min[j];
      const double s = c.mid[j] + c.half[j] * node;
      const double delta = c.delta_a[j] - s, y = c.node_slope[j] * delta;
      arg[i][j] = ph.ell_of(delta, y, fastmath::log1p(y) * c.inverse_p[j]);
      arg[N + i][j] = -(c.tau_a[j] + s) * c.inverse_decay[j];
    }
  }
  for (auto& row : arg)
    for (std::size_t j = 0; j < lanes; ++j) row[j] = fastmath::expm1(row[j]);
  for (std::size_t j = 0; j < lanes; ++j) c.sum[j] = 0.0;
  for (std::size_t i = 0; i < N; ++i) {
    const double weight = gl.w[i];
    for (std::size_t j = 0; j < lanes; ++j) {
      const double remaining = -c.x_end[j] * arg[i][j];  // E - n(t)
      c.sum[j] += weight * remaining * -arg[N + i][j];
    }
  }
}
SWITCHCOST_SIMD_CLONES void panel_sums(PanelChunk<gauss_nodes>& c, std::size_t lanes) noexcept {
  panel_sums_body(c, lanes);
}
SWITCHCOST_SIMD_CLONES void panel_sums(PanelChunk<short_gauss_nodes>& c, std::size_t lanes) noexcept {
  panel_sums_body(c, lanes);
}

// Evaluates the queued panels and adds each, times its half-length, to its
// trial's quadrature sum (in queue order, which is panel order per trial).
template <std::size_t N>
void flush_panels(PhaseBatch& q, PanelChunk<N>& c) noexcept {
  if (c.n == 0) return;
  // Pad to whole vectors with copies of the last panel (finite, ignored).
  const std::size_t lanes = (c.n + panel_lanes - 1) / panel_lanes * panel_lanes;
  for (std::size_t j = c.n; j < lanes; ++j) {
    for (auto* column : {&c.mid, &c.half, &c.delta_a, &c.tau_a, &c.node_slope, &c.inverse_p, &c.inverse_decay,
                         &c.p, &c.rate, &c.ell_min, &c.x_end})
      (*column)[j] = (*column)[c.n - 1];
  }
  panel_sums(c, lanes);
  for (std::size_t j = 0; j < c.n; ++j) q.quadrature[c.owner[j]] += c.half[j] * c.sum[j];
  c.n = 0;
}

// A trial's constants that its panels' nodes read (see PanelChunk).
struct NodeConstants {
  double delta_a, tau_a, node_slope, inverse_p, inverse_decay, p, rate, ell_min, x_end;
};

// Queues the panel [s0, s1] of trial k, flushing a full chunk.
template <std::size_t N>
void queue_panel(PhaseBatch& q, PanelChunk<N>& c, std::size_t k, const NodeConstants& t, double s0,
                 double s1) noexcept {
  const std::size_t j = c.n++;
  c.owner[j] = k;
  c.half[j] = 0.5 * (s1 - s0);
  c.mid[j] = 0.5 * (s0 + s1);
  c.delta_a[j] = t.delta_a;
  c.tau_a[j] = t.tau_a;
  c.node_slope[j] = t.node_slope;
  c.inverse_p[j] = t.inverse_p;
  c.inverse_decay[j] = t.inverse_decay;
  c.p[j] = t.p;
  c.rate[j] = t.rate;
  c.ell_min[j] = t.ell_min;
  c.x_end[j] = t.x_end;
  if (c.n == PanelChunk<N>::capacity) flush_panels(q, c);
}

// Queues the panels of trial k's quadrature (ph: its phase; delta_a = t_end - a, ell_a = ell
// at a, from the batch), with the node constants panel_sums reads. Panels grow
// geometrically away from the branch point and are at most panel_decays decay times long
// (see the method above); with the short rule when every one of its panels keeps to it and
// that needs fewer nodes.
void queue_panels(const EndpointPhase& ph, std::size_t k, PhaseBatch& q, PanelChunk<gauss_nodes>& c,
                  PanelChunk<short_gauss_nodes>& short_c) noexcept {
  const double a = q.a[k], delta_a = q.delta_a[k], ell_a = q.ell_a[k], decay = q.decay[k];
  const double length = std::min(q.t_end[k], q.t_tail[k]) - a;
  // Distance (in days) before a of the branch point w = x^p = 0; none when x(t) is
  // linear (p = 1) or exponential (p = 0) in t.
  // w(a) = x(a)^p = X^p (1 + y(a)) where ell was not clamped (x(a) > 1/2),
  // else (1/2)^p = X^p exp(p ell_min); the distance is w(a) / (p k).
  // (phase_setup computed the first case.)
  const bool branch = ph.p != 1.0 && ph.p > 0.0;
  const double branch_days = !branch              ? 0.0
                             : ell_a > ph.ell_min ? q.branch_days[k]
                                                  : ph.x_end_p * std::exp(ph.p * ph.ell_min) / (ph.p * ph.rate);
  // tau_a = a - t_c: days since the cut-off at a.
  const NodeConstants t{delta_a, a - q.t_cut[k], q.node_slope[k], q.inverse_p[k], q.inverse_decay[k],
                        ph.p,    ph.rate,        ph.ell_min,      ph.x_end};
  // One short panel where the whole interval keeps to the short rule (p = 0, outside the
  // valid range, takes the long rule).
  const bool short_panel = (branch || ph.p == 1.0) && length <= short_panel_decays * decay &&
                           (!branch || length <= (short_panel_growth - 1.0) * branch_days);
  if (short_panel) {
    queue_panel(q, short_c, k, t, 0.0, length);
    return;
  }
  double s0 = 0.0;
  for (int panel = 0; panel < max_panels && s0 < length; ++panel) {
    double s1 = std::min(length, s0 + panel_decays * decay);
    if (branch) s1 = std::min(s1, (s0 + branch_days) * panel_growth - branch_days);
    if (panel == max_panels - 1 || !(s1 > s0)) s1 = length;  // the cap; or a branch distance that underflowed
    queue_panel(q, c, k, t, s0, s1);
    s0 = s1;
  }
}

// The batch's endpoint-phase integrals, added to out's accumulators (which
// hold the part before the phase).
void finish_batch(PhaseBatch& q, LostUpdatesResult& out) {
  phase_setup(q);
  PanelChunk<gauss_nodes> panels;
  PanelChunk<short_gauss_nodes> short_panels;
  std::array<bool, batch_trials> has_quadrature;
  for (std::size_t k = 0; k < q.n; ++k) {
    q.quadrature[k] = 0.0;
    has_quadrature[k] = false;
    const double rate = q.rate[k];
    if (!std::isfinite(rate) || !(rate > 0.0)) continue;  // a phase too short to represent
    const Eigen::Index i = q.trial[k];
    const double p = q.p[k];
    // remaining_endpoint_days(ell) = X^(p+1) B(z) / k.
    out.unprotected_endpoint_days[i] +=
        q.z_a[k] < series_below ? q.x_end_p1[k] * beta_2p_series(q.z_a[k], p) / rate : q.closed_days[k];
    if (!q.need_weighted[k]) continue;
    double& weighted = out.expected_incidents[i];
    // From t_tail on the decay factor is 1 in double precision.
    const double t_tail = q.t_tail[k], t_end = q.t_end[k], a = q.a[k];
    if (t_tail < t_end) {
      const double beta_tail = q.z_tail[k] < series_below ? beta_2p_series(q.z_tail[k], p) : q.closed_tail[k];
      weighted += q.x_end_p1[k] * beta_tail / rate;
    }
    if (!(a < t_tail)) continue;
    EndpointPhase ph;
    ph.endpoints = q.endpoints[k];
    ph.p = p;
    ph.x_end = q.x_end[k];
    ph.x_end_p = q.x_end_p[k];
    ph.x_end_p1 = q.x_end_p1[k];
    ph.rate = rate;
    ph.ell_min = q.ell_min[k];
    has_quadrature[k] = true;
    queue_panels(ph, k, q, panels, short_panels);
  }
  flush_panels(q, panels);
  flush_panels(q, short_panels);
  for (std::size_t k = 0; k < q.n; ++k)
    if (has_quadrature[k]) out.expected_incidents[q.trial[k]] += q.quadrature[k];
  q.n = 0;
}

}  // namespace

// Per trial (see the method above): the part before the endpoint phase here,
// the phase itself in batches (PhaseBatch); expected_incidents holds the
// weighted integral until the trial's scale multiplies it at the end.
void lost_updates(const LaborInputs& labor_in, const LaborResult& labor_out, const LostUpdatesInputs& in,
                  LostUpdatesResult& out) {
  const Eigen::Index n = in.cutoff_day.size();
  out.resize(n);
  PhaseBatch q;
  for (Eigen::Index i = 0; i < n; ++i) {
    double unprotected = 0.0, weighted = 0.0;
    const double endpoints = labor_in.endpoints[i];
    const double t_setup = labor_out.setup_days[i], t_end = labor_out.duration_days[i];
    const double t_cut = in.cutoff_day[i], decay = in.protection_decay_days[i];
    const bool need_weighted = incident_scale(in, i) > 0.0;
    const bool after_cut = endpoints > 0.0 && t_end > t_cut;
    // Nothing moves before the end of setup (nor before the migration starts): E - n = E.
    if (after_cut && t_cut < t_setup) {
      const double length = std::min(t_setup, t_end) - t_cut;
      unprotected += endpoints * length;
      if (need_weighted) weighted += endpoints * decay * phi(length / decay);
    }
    // The trial is written to the batch's next slot whether or not it reaches the
    // endpoint phase after the cut-off, and the slot kept only if it does: a branch on
    // that (taken in about half the trials of the shipped MSPs) was mispredicted often.
    const double a = std::max(t_cut, t_setup);  // start of the endpoint phase part after the cut-off
    const bool in_phase = after_cut & (a < t_end) & (t_end - t_setup > 0.0);
    const std::size_t k = q.n;
    q.trial[k] = i;
    q.need_weighted[k] = need_weighted;
    q.endpoints[k] = endpoints;
    q.p[k] = labor_out.learning_exponent[i];
    q.x_end_p[k] = labor_out.end_power[i];
    q.learning_sum[k] = labor_out.learning_sum[i];
    q.t_setup[k] = t_setup;
    q.t_end[k] = t_end;
    q.t_cut[k] = t_cut;
    q.decay[k] = decay;
    q.n += std::size_t{in_phase};
    out.unprotected_endpoint_days[i] = unprotected;
    out.expected_incidents[i] = weighted;
    if (q.n == batch_trials) finish_batch(q, out);
  }
  finish_batch(q, out);
  for (Eigen::Index i = 0; i < n; ++i) {
    const double scale = incident_scale(in, i);
    out.expected_incidents[i] = scale > 0.0 ? scale * out.expected_incidents[i] : 0.0;
  }
}

}  // namespace switchcost::models
