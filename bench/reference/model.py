"""The switchcost default model (one MSP: scenarios/kaspersky-2024/msp-350.yaml),
written the way a NumPy user writes a Monte Carlo cost model (in the style of
pyfair or riskquant): every input is an array over trials drawn with
numpy.random.Generator's own samplers, and every formula is an array
expression. Python loops run over chunks of 8,192 trials, MSPs,
competitors, volume tiers and the horizon's years, never over single trials
(bench/reference/README.md, "How model.py is written for speed").

It is a reference for speed and for the model's meaning, not part of the
product. The formulas follow models/*.h and sim/engine/engine.cpp:

  labor         models/labor.h         learning-curve hours, capacity, duration
  lost updates  models/lost_updates.h  unprotected endpoints after the cut-off,
                                       decaying protection, Poisson incidents,
                                       lognormal incident cost
  pricing       models/pricing.h       new vs old price over the horizon in PV
  stranded      models/stranded.h      prepaid licences and client refunds
  extras        models/extras.h        extra line items (none in the default)
  downtime      models/downtime.h      client downtime during the swap

Wiring as in sim/engine/engine.cpp: market inputs (technician rate, discount rate,
threat inputs) and competitor prices are drawn once per trial and shared by
every MSP; everything else is drawn per MSP and trial;
capacity = technicians x capacity_hours_per_technician_week;
cutoff_day = (updates_end - migration_start) - start_delay_days;
incidents = Poisson(expected_incidents); each incident's cost is a draw of
market.threat.incident_cost (above 10,000 incidents in one trial, the normal
approximation of their sum, as the engine does).

Differences from the C++ engine (see README.md):
  * random numbers: NumPy's PCG64 and its samplers (beta for PERT, lognormal,
    poisson, uniform) instead of the engine's Philox streams and inverse CDFs,
    so the two agree in distribution, not trial by trial;
  * the lost-updates integral is 48-node Gauss-Legendre quadrature on the
    endpoint phase after the cut-off (the engine: closed forms plus graded
    16-node panels); the default scenario's draws give the same expected
    incidents to about 1e-9 relative (README.md).

Usage:
  import model
  out = model.simulate(trials=100_000, msps=1, seed=1)
  out["total_cost"].mean()
"""

import ctypes
import datetime
import statistics

import numpy as np


def keep_freed_heap():
    """Ask glibc to keep freed heap memory (mallopt M_TRIM_THRESHOLD, 256 MB)
    instead of returning whatever is free above 128 KB at the top of the heap
    to the kernel. Each chunk frees its temporaries (about a megabyte), so the
    default returns them after every chunk and the next chunk faults the same
    pages in again: about 13,000 page faults per 100,000 trials, 40% of the
    time on the 2-core VM (bench/reference/README.md). Anything but glibc: a
    no-op."""
    try:
        return ctypes.CDLL("libc.so.6").mallopt(-1, 256 << 20) == 1  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):
        return False


HEAP_KEPT = keep_freed_heap()

# ---------------------------------------------------------------------------
# Distributions: specs as tuples, drawn with numpy.random.Generator samplers.
# ---------------------------------------------------------------------------


def const(value):
    return ("const", float(value))


def uniform(lo, hi):
    return ("uniform", float(lo), float(hi))


def pert(lo, mode, hi, lam=4.0):
    """Beta-PERT: lo + (hi - lo) Beta(1 + lam (mode-lo)/(hi-lo), 1 + lam (hi-mode)/(hi-lo)),
    as sim/random/distribution.h (lambda 4 by default)."""
    width = hi - lo
    return ("pert", float(lo), float(hi), 1.0 + lam * (mode - lo) / width, 1.0 + lam * (hi - mode) / width,
            float(mode), float(lam))


def lognormal_percentiles(p_lo, x_lo, p_hi, x_hi):
    """Lognormal through two percentiles (e.g. {p50: 30000, p95: 574000}), as
    Distribution::lognormal_percentiles: sigma from the two, mu anchored at the
    one nearer the median."""
    z_lo = statistics.NormalDist().inv_cdf(p_lo)
    z_hi = statistics.NormalDist().inv_cdf(p_hi)
    sigma = (np.log(x_hi) - np.log(x_lo)) / (z_hi - z_lo)
    mu = np.log(x_lo) - sigma * z_lo if abs(z_lo) <= abs(z_hi) else np.log(x_hi) - sigma * z_hi
    return ("lognormal", float(mu), float(sigma), {f"p{round(100 * p_lo)}": x_lo, f"p{round(100 * p_hi)}": x_hi})


def draw(rng, spec, n):
    kind = spec[0]
    if kind == "const":
        return np.full(n, spec[1])
    if kind == "uniform":
        return rng.uniform(spec[1], spec[2], n)
    if kind == "pert":
        lo, hi, a, b = spec[1:5]
        return lo + (hi - lo) * rng.beta(a, b, n)
    if kind == "lognormal":
        return rng.lognormal(spec[1], spec[2], n)
    raise ValueError(f"unknown distribution {kind}")


def dist_mean(spec):
    kind = spec[0]
    if kind == "const":
        return spec[1]
    if kind == "uniform":
        return 0.5 * (spec[1] + spec[2])
    if kind == "pert":
        lo, hi, a, b = spec[1:5]
        return lo + (hi - lo) * a / (a + b)
    if kind == "lognormal":
        return float(np.exp(spec[1] + spec[2] ** 2 / 2))
    raise ValueError(kind)


def dist_sd(spec):
    if spec[0] == "lognormal":
        mu, s = spec[1], spec[2]
        return float(np.sqrt(np.expm1(s * s) * np.exp(2 * mu + s * s)))
    raise ValueError(spec[0])


# ---------------------------------------------------------------------------
# The default scenario, scenarios/kaspersky-2024/msp-350.yaml with its includes.
# ---------------------------------------------------------------------------


def default_scenario():
    return {
        # timeline.yaml
        "timeline": {
            "updates_end": datetime.date(2024, 9, 29),      # timeline.updates_end
            "migration_start": datetime.date(2024, 7, 1),   # timeline.migration_start
            "horizon_months": 36,                           # timeline.horizon_months
        },
        # market.yaml
        "market": {
            "technician_cost_per_hour": pert(35, 42, 60),                  # market.technician_cost_per_hour
            "discount_rate_per_year": const(0.08),                         # market.discount_rate_per_year
            "encounters_per_endpoint_day": pert(0.00007, 0.00012, 0.00028),  # market.threat.encounters_per_endpoint_day
            "miss_rate_supported": pert(0.01, 0.03, 0.05),                 # market.threat.miss_rate_supported
            "frozen_miss_multiplier": pert(2, 5, 20),                      # market.threat.frozen_miss_multiplier
            "protection_decay_days": pert(14, 45, 120),                    # market.threat.protection_decay_days
            "incident_cost": lognormal_percentiles(0.50, 30000, 0.95, 574000),  # market.threat.incident_cost {p50, p95}
        },
        # prices/list.yaml: only the products an MSP uses are drawn (as in the
        # engine): the incumbent kaspersky and the target bitdefender.
        "competitors": {
            "kaspersky": {
                "price_per_endpoint_month": pert(0.64, 2.50, 4.17),  # competitors.kaspersky.price_per_endpoint_month
                "setup_fee_per_endpoint": const(0),                  # competitors.kaspersky.setup_fee_per_endpoint
                "setup_fee_per_msp": const(0),                       # competitors.kaspersky.setup_fee_per_msp
                "annual_price_escalation": pert(0, 0.03, 0.08),      # competitors.kaspersky.annual_price_escalation
                "promo_months": const(0),                            # competitors.kaspersky.promo_months
                "promo_discount": const(0),                          # competitors.kaspersky.promo_discount
                "minimum_term_months": const(0),                     # not set in prices/list.yaml: monthly
                "volume_tiers": [],                                  # none in prices/list.yaml
            },
            "bitdefender": {
                "price_per_endpoint_month": pert(2.25, 3.15, 4.05),  # competitors.bitdefender.price_per_endpoint_month
                "setup_fee_per_endpoint": const(0),                  # competitors.bitdefender.setup_fee_per_endpoint
                "setup_fee_per_msp": const(0),                       # competitors.bitdefender.setup_fee_per_msp
                "annual_price_escalation": pert(0, 0.03, 0.08),      # competitors.bitdefender.annual_price_escalation
                "promo_months": const(0),                            # competitors.bitdefender.promo_months
                "promo_discount": const(0),                          # competitors.bitdefender.promo_discount
                "minimum_term_months": const(0),                     # not set in prices/list.yaml: monthly
                "volume_tiers": [],                                  # none in prices/list.yaml
            },
        },
        # msp-350.yaml (msps[0]) over msp-defaults.yaml (msp_defaults)
        "msp": {
            "name": "msp-350",
            "incumbent": "kaspersky",                                   # msp_defaults.incumbent
            "target": "bitdefender",                                    # msp_defaults.target
            "endpoints": const(350),                                    # msp-350.yaml endpoints
            "clients": const(25),                                       # msp-350.yaml clients
            "start_delay_days": pert(0, 20, 120),                       # msp-350.yaml start_delay_days
            "first_endpoint_hours": pert(0.25, 0.5, 1.0),               # msp_defaults.labor.first_endpoint_hours
            "learning_rate": pert(0.75, 0.85, 0.95),                    # msp_defaults.labor.learning_rate
            "setup_hours": pert(4, 8, 24),                              # msp_defaults.labor.setup_hours
            "config_hours_per_client": pert(1, 3, 8),                   # msp_defaults.labor.config_hours_per_client
            "failed_install_share": pert(0.03, 0.05, 0.15),             # msp_defaults.labor.failed_install_share
            "rework_hours_per_failed_install": pert(0.5, 1, 2),         # msp_defaults.labor.rework_hours_per_failed_install
            "broken_app_client_share": pert(0, 0.1, 0.3),               # msp_defaults.labor.broken_app_client_share
            "fix_hours_per_broken_client": pert(1, 3, 8),               # msp_defaults.labor.fix_hours_per_broken_client
            "overhead_hours_per_client": pert(0.5, 1, 3),               # msp_defaults.labor.overhead_hours_per_client
            "technician_cost_per_hour": None,                           # not set: the market's rate
            "billable_share": pert(0, 0.1, 0.5),                        # msp_defaults.labor.billable_share
            "cost_basis": "loaded",                                     # msp_defaults.labor.cost_basis
            "billing_rate_per_hour": const(0),                          # not set (read with forgone_billing only)
            "displaced_billable_share": const(0),                       # not set (read with forgone_billing only)
            "technicians": const(2),                                    # msp-350.yaml labor.technicians
            "capacity_hours_per_technician_week": pert(7.5, 13, 18.5),  # msp-350.yaml labor.capacity_hours_per_technician_week
            "share_passed_to_clients": pert(0, 0.2, 0.6),               # msp_defaults.licences.share_passed_to_clients
            "overlap_months": pert(0, 0.5, 2),                          # msp_defaults.licences.overlap_months
            "prepaid_share": pert(0, 0.05, 0.3),                        # msp_defaults.licences.prepaid_share
            "prepaid_months_remaining": uniform(0, 12),                 # msp_defaults.licences.prepaid_months_remaining
            "recovered_share": pert(0, 0.1, 0.5),                       # msp_defaults.licences.recovered_share
            "client_prepaid_share": pert(0, 0.1, 0.3),                  # msp_defaults.refunds.client_prepaid_share
            "client_prepaid_months_remaining": uniform(0, 12),          # msp_defaults.refunds.client_prepaid_months_remaining
            "client_price_per_endpoint_month": const(5),                # msp_defaults.refunds.client_price_per_endpoint_month
            "refund_share": pert(0, 0.05, 0.3),                         # msp_defaults.refunds.refund_share
            "downtime_minutes_per_endpoint": pert(5, 15, 45),           # msp_defaults.downtime.minutes_per_endpoint
            "downtime_user_cost_per_hour": pert(25, 35, 50),            # msp_defaults.downtime.user_cost_per_hour
            "downtime_billable_share": pert(0, 0.1, 0.5),               # msp_defaults.downtime.billable_share
            "extras": [],                                               # none (msp-defaults.yaml has only a comment)
        },
    }


DAYS_PER_WEEK = 7.0
MONTHS_PER_YEAR = 12
EXACT_INCIDENT_LIMIT = 10_000  # sim/engine/engine.cpp exact_incident_limit


# ---------------------------------------------------------------------------
# Labor (models/labor.h)
# ---------------------------------------------------------------------------


def learning_exponent(learning_rate):
    """p = b + 1 with b = log2(learning_rate) (Wright curve: n-th endpoint takes t1 n^b)."""
    return np.log2(learning_rate) + 1.0


def learning_curve_sum(endpoints, p):
    """S(E) = ((E + 1/2)^p - (1/2)^p) / p = 2^-p expm1(p log1p(2E)) / p  (p in (0, 1] here)."""
    return np.exp2(-p) * np.expm1(p * np.log1p(2.0 * endpoints)) / p


def learning_curve_endpoints(work_units, p):
    """N(s) = (p s + (1/2)^p)^(1/p) - 1/2 = expm1(log1p(p s 2^p) / p) / 2, the inverse of S."""
    return 0.5 * np.expm1(np.log1p(p * work_units * np.exp2(p)) / p)


def migration_labor(x):
    p = learning_exponent(x["learning_rate"])
    endpoint_hours = x["first_endpoint_hours"] * learning_curve_sum(x["endpoints"], p)
    hours = (x["setup_hours"] + endpoint_hours
             + x["clients"] * x["config_hours_per_client"]
             + x["endpoints"] * x["failed_install_share"] * x["rework_hours_per_failed_install"]
             + x["clients"] * x["broken_app_client_share"] * x["fix_hours_per_broken_client"]
             + x["clients"] * x["overhead_hours_per_client"])
    per_day = x["capacity_hours_per_week"] / DAYS_PER_WEEK
    # labor.cost_basis: loaded, or forgone_billing (displaced billable hours at the billing rate)
    hour_rate = x["technician_cost_per_hour"]
    if x["cost_basis"] == "forgone_billing":
        share = x["displaced_billable_share"]
        hour_rate = share * x["billing_rate_per_hour"] + (1.0 - share) * hour_rate
    return {
        "p": p,
        "endpoint_hours": endpoint_hours,
        "hours": hours,
        "cost": hours * (1.0 - x["billable_share"]) * hour_rate,
        "setup_days": x["setup_hours"] / per_day,
        "duration_days": hours / per_day,
    }


# ---------------------------------------------------------------------------
# Lost updates (models/lost_updates.h)
# ---------------------------------------------------------------------------

GAUSS_NODES, GAUSS_WEIGHTS = np.polynomial.legendre.leggauss(48)


QUAD_ROWS = 1024  # 1,024 x 48 doubles: 384 KB per buffer
_QUAD_T = np.empty((QUAD_ROWS, GAUSS_NODES.size))
_QUAD_U = np.empty((QUAD_ROWS, GAUSS_NODES.size))


def phi(y):
    """integral_0^y (1 - exp(-s)) ds = y - (1 - exp(-y)), with a series for small y."""
    small = y < 1e-3
    return np.where(small, y * y * (0.5 - y / 6.0 + y * y / 24.0), y + np.expm1(-y))


def expected_incidents(x, lab, cutoff_day, encounters, miss_supported, frozen_multiplier, decay):
    """encounters * integral_{t_c}^{t_end} (E - n(t)) (m_frozen - m_supported) (1 - exp(-(t - t_c)/decay)) dt."""
    n = cutoff_day.shape[0]
    excess = np.maximum(0.0, np.minimum(1.0, miss_supported * frozen_multiplier) - miss_supported)
    scale = encounters * excess
    out = np.zeros(n)
    # Only trials still migrating after the cut-off contribute (a few percent by default).
    live = np.flatnonzero((x["endpoints"] > 0) & (lab["duration_days"] > cutoff_day) & (scale > 0))
    if live.size == 0:
        return out
    E = x["endpoints"][live]
    t_c = cutoff_day[live]
    t_s = lab["setup_days"][live]
    t_e = lab["duration_days"][live]
    tau = decay[live]
    p = lab["p"][live]

    # Before the endpoint phase nothing has moved (E - n = E): closed form.
    pre = np.maximum(0.0, np.minimum(t_s, t_e) - t_c)
    weighted = E * tau * phi(pre / tau)

    # Endpoint phase after the cut-off, [a, t_end], by Gauss-Legendre quadrature
    # over (trials x nodes) arrays, QUAD_ROWS trials at a time in two buffers
    # reused in place. n(t) is the schedule of models/labor.h:
    # W(t) = endpoint_share (t - t_setup) capacity / 7, n = min(E, N(W / t1)).
    a = np.maximum(t_c, t_s)
    half = 0.5 * (t_e - a)
    mid = 0.5 * (t_e + a)
    rate = schedule_rate(x, lab)[live]
    two_p = np.exp2(p)
    integral = np.empty(live.size)
    for r0 in range(0, live.size, QUAD_ROWS):
        r1 = min(r0 + QUAD_ROWS, live.size)
        rows = slice(r0, r1)
        t = np.multiply.outer(half[rows], GAUSS_NODES, out=_QUAD_T[:r1 - r0])  # t = mid + half x_k
        t += mid[rows, None]
        u = np.subtract(t, t_s[rows, None], out=_QUAD_U[:r1 - r0])  # work units rate (t - t_s), >= 0
        u *= rate[rows, None]
        np.maximum(u, 0.0, out=u)
        u *= p[rows, None]                                            # N(u) = expm1(log1p(p u 2^p) / p) / 2
        u *= two_p[rows, None]
        np.log1p(u, out=u)
        u /= p[rows, None]
        np.expm1(u, out=u)
        u *= 0.5
        np.minimum(u, E[rows, None], out=u)                          # done = min(E, N)
        np.subtract(E[rows, None], u, out=u)                         # E - done
        t -= t_c[rows, None]                                         # 1 - exp(-(t - t_c) / decay)
        t /= tau[rows, None]
        np.negative(t, out=t)
        np.expm1(t, out=t)
        u *= t                                                       # -(E - done) (1 - exp(...))
        np.dot(u, GAUSS_WEIGHTS, out=integral[rows])
    weighted -= half * integral

    out[live] = scale[live] * weighted
    return out


def incident_costs(rng, counts, cost_spec):
    """Total cost per trial of counts[i] incidents, each a draw of cost_spec."""
    counts = counts.astype(np.int64)
    exact = np.where(counts <= EXACT_INCIDENT_LIMIT, counts, 0)
    total_draws = int(exact.sum())
    if total_draws:
        costs = draw(rng, cost_spec, total_draws)
        total = np.bincount(np.repeat(np.arange(counts.size), exact), weights=costs, minlength=counts.size)
    else:
        total = np.zeros(counts.size)
    big = counts > EXACT_INCIDENT_LIMIT
    if big.any():  # normal approximation of the sum (central limit theorem), as the engine
        k = counts[big].astype(float)
        z = rng.standard_normal(k.size)
        total[big] = np.maximum(0.0, k * dist_mean(cost_spec) + np.sqrt(k) * dist_sd(cost_spec) * z)
    return total


# ---------------------------------------------------------------------------
# Pricing (models/pricing.h)
# ---------------------------------------------------------------------------


def volume_discount(tiers, endpoints):
    """Discount of the qualifying tier with the largest min_endpoints (ties: larger discount)."""
    best_min = np.full(endpoints.shape, -np.inf)
    best = np.zeros(endpoints.shape)
    for tier_min, tier_discount in tiers:
        better = (tier_min <= endpoints) & ((tier_min > best_min) | ((tier_min == best_min) & (tier_discount > best)))
        best_min = np.where(better, tier_min, best_min)
        best = np.where(better, tier_discount, best)
    return best


def endpoints_migrated_by(x, lab, day):
    """n(t) of models/labor.h: endpoints migrated by the MSP's day t (trials x months)."""
    E = x["endpoints"][:, None]
    setup = lab["setup_days"][:, None]
    other = lab["hours"] - x["setup_hours"]
    share = np.where(other > 0, lab["endpoint_hours"] / np.where(other > 0, other, 1.0), 0.0)
    units = (share * x["capacity_hours_per_week"] / DAYS_PER_WEEK / x["first_endpoint_hours"])[:, None]
    s = np.maximum(units * (day - setup), 0.0)
    p = lab["p"][:, None]
    n = np.where(p == 1.0, s, learning_curve_endpoints(s, p))
    n = np.where(day > setup, np.minimum(E, n), 0.0)
    return np.where(day >= lab["duration_days"][:, None], E, n)


DAYS_PER_MONTH = 365.25 / 12.0


def schedule_rate(x, lab):
    """Work units per day of the endpoint phase: n(t) = min(E, N(rate (t - t_setup)))."""
    other = lab["hours"] - x["setup_hours"]
    share = np.where(other > 0, lab["endpoint_hours"] / np.where(other > 0, other, 1.0), 0.0)
    return share * x["capacity_hours_per_week"] / DAYS_PER_WEEK / x["first_endpoint_hours"]


def first_month(day, bound, strict, horizon_months):
    """First month m in 0..H (H: none) with day(m) > bound (strict) or >= bound,
    for day(m) = m D + c increasing in m: the real-valued root, then corrected
    on the very floating-point expression the direct form compares."""
    c = day(np.zeros_like(bound))
    m = np.clip(np.ceil((bound - c) / DAYS_PER_MONTH), 0.0, horizon_months)
    hit = (lambda d: d > bound) if strict else (lambda d: d >= bound)
    m = np.where((m > 0) & hit(day(np.maximum(m - 1.0, 0.0))), m - 1.0, m)
    m = np.where((m < horizon_months) & ~hit(day(m)), m + 1.0, m)
    return m


def scheduled_licence_pv(day, E, setup, duration, rate, p, log_v, log_g, horizon_months):
    """sum_{m=0}^{H-1} v^m g^floor(m/12) n(day(m)) for the schedule n(t) of
    models/labor.h (0 up to t_setup, the learning curve, E from t_end on).
    day(m) rises with m, so the months split into three runs: n = 0 below
    m_start (the first month with day > t_setup), n = E from m_full (the first
    with day >= t_end), and the curve months in between (about 3 per trial by
    default), evaluated one by one on a flat array. The months at n = E are a
    geometric series within each year y (g^y constant):
      sum_{m=lo}^{hi-1} v^m = v^lo (1 - v^(hi-lo)) / (1 - v) = v^lo expm1(k log v) / expm1(log v),
    k = hi - lo (k when v = 1)."""
    n = E.shape[0]
    m_full = first_month(day, duration, False, horizon_months)
    m_start = first_month(day, setup, True, horizon_months)

    # n = E from m_full on: per-year geometric sums.
    full = np.zeros(n)
    denom = np.expm1(log_v)
    flat_rate = denom == 0.0
    safe = np.where(flat_rate, 1.0, denom)
    for year in range(-(-horizon_months // MONTHS_PER_YEAR)):
        y0 = year * MONTHS_PER_YEAR
        y1 = min(y0 + MONTHS_PER_YEAR, horizon_months)
        lo = np.clip(m_full, y0, y1)
        k = y1 - lo
        geo = np.where(flat_rate, k, np.expm1(log_v * k) / safe)
        full += np.exp(log_v * lo + log_g * year) * geo
    total = E * full

    # The curve months m_start <= m < m_full, flat over (trial, month).
    count = np.maximum(m_full - m_start, 0.0).astype(np.int64)
    points = int(count.sum())
    if points:
        trial = np.repeat(np.arange(n), count)
        first = np.cumsum(count) - count
        m = m_start[trial] + (np.arange(points) - first[trial])
        d = day(m, trial)
        s = np.maximum(rate[trial] * (d - setup[trial]), 0.0)
        pt = p[trial]
        curve = np.where(pt == 1.0, s, learning_curve_endpoints(s, pt))
        curve = np.minimum(E[trial], curve)
        weight = np.exp(log_v[trial] * m) * np.exp(log_g[trial] * np.floor(m / MONTHS_PER_YEAR)) * curve
        total += np.bincount(trial, weights=weight, minlength=n)
    return total


def competitor_pricing(endpoints, new, old, share_passed, discount_rate, horizon_months, x, lab):
    """PV over months m = 0..H-1 (payments at the start of each month) of
    new(m) new_count(m) - old(m) (E - old_count(m)), both licences on the
    migration schedule (models/pricing.h): old_count(m) = E - n(s_m - overlap),
    new_count(m) = n(s_m + D) or E while a minimum term runs,
    s_m = m D - start_delay_days, new(m) = price (1 + escalation)^floor(m/12)
    (1 - promo discount while a promotion runs), v = (1 + rate)^(-1/12).
    Without promotions or minimum terms (the default scenario) each licence is
    price x scheduled_licence_pv; with them, the direct (trials x months) form."""
    if np.any((new["promo_discount"] != 0) & (new["promo_months"] > 0)) or np.any(new["minimum_term_months"] > 0):
        return competitor_pricing_direct(endpoints, new, old, share_passed, discount_rate, horizon_months, x, lab)
    log_v = -np.log1p(discount_rate) / MONTHS_PER_YEAR
    rate = schedule_rate(x, lab)
    delay = x["start_delay_days"]
    overlap_days = x["overlap_months"] * DAYS_PER_MONTH

    def new_day(m, trial=None):  # s_m + D, as the direct form computes it
        return (m * DAYS_PER_MONTH - (delay if trial is None else delay[trial])) + DAYS_PER_MONTH

    def old_day(m, trial=None):  # s_m - overlap
        if trial is None:
            return (m * DAYS_PER_MONTH - delay) - overlap_days
        return (m * DAYS_PER_MONTH - delay[trial]) - overlap_days[trial]

    common = (endpoints, lab["setup_days"], lab["duration_days"], rate, lab["p"], log_v)
    new_pv = scheduled_licence_pv(new_day, *common, np.log1p(new["annual_price_escalation"]), horizon_months)
    old_pv = scheduled_licence_pv(old_day, *common, np.log1p(old["annual_price_escalation"]), horizon_months)
    new_price = new["price_per_endpoint_month"] * (1.0 - volume_discount(new["volume_tiers"], endpoints))
    price_delta_pv = new_price * new_pv - old["price_per_endpoint_month"] * old_pv
    return ((1.0 - share_passed) * price_delta_pv
            + new["setup_fee_per_endpoint"] * endpoints + new["setup_fee_per_msp"])


def competitor_pricing_direct(endpoints, new, old, share_passed, discount_rate, horizon_months, x, lab):
    """The direct form of competitor_pricing, kept for promotions and minimum
    terms (none in the default scenario). PV over months m = 0..H-1 (payments at the start of each month) of
    new(m) new_count(m) - old(m) (E - old_count(m)), both licences on the
    migration schedule (models/pricing.h), as (trials x months) arrays:
    old_count(m) = E - n(s_m - overlap), new_count(m) = n(s_m + D) or E while
    a minimum term runs, s_m = m D - start_delay_days."""
    m = np.arange(horizon_months, dtype=float)
    year = np.floor(m / MONTHS_PER_YEAR)
    log_v = -np.log1p(discount_rate) / MONTHS_PER_YEAR                # log monthly discount factor
    discount = np.exp(log_v[:, None] * m[None, :])                      # v^m
    promo = np.clip(new["promo_months"][:, None] - m[None, :], 0.0, 1.0)  # f_promo(m)
    new_month = (np.exp(np.log1p(new["annual_price_escalation"])[:, None] * year[None, :])
                 * (1.0 - new["promo_discount"][:, None] * promo))
    old_month = np.exp(np.log1p(old["annual_price_escalation"])[:, None] * year[None, :])
    days_per_month = 365.25 / 12.0
    start = m[None, :] * days_per_month - x["start_delay_days"][:, None]             # s_m, the MSP's day
    overlap_days = (x["overlap_months"] * days_per_month)[:, None]
    term_days = (new["minimum_term_months"] * days_per_month)[:, None]
    committed = (term_days > 0) & (start + days_per_month > 0) & (start < term_days)
    E = endpoints[:, None]
    new_count = np.where(committed, E, endpoints_migrated_by(x, lab, start + days_per_month))
    stopped_old = endpoints_migrated_by(x, lab, start - overlap_days)                # E - old_count(m)
    new_price = new["price_per_endpoint_month"] * (1.0 - volume_discount(new["volume_tiers"], endpoints))
    price_delta_pv = ((discount * (new_price[:, None] * new_month * new_count
                                   - old["price_per_endpoint_month"][:, None] * old_month * stopped_old))
                      .sum(axis=1))
    return ((1.0 - share_passed) * price_delta_pv
            + new["setup_fee_per_endpoint"] * endpoints + new["setup_fee_per_msp"])


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------

MARKET_KEYS = ["technician_cost_per_hour", "discount_rate_per_year", "encounters_per_endpoint_day",
               "miss_rate_supported", "frozen_miss_multiplier", "protection_decay_days"]
COMPETITOR_KEYS = ["price_per_endpoint_month", "setup_fee_per_endpoint", "setup_fee_per_msp",
                   "annual_price_escalation", "promo_months", "promo_discount", "minimum_term_months"]
MSP_KEYS = ["endpoints", "clients", "start_delay_days", "first_endpoint_hours", "learning_rate", "setup_hours",
            "config_hours_per_client", "failed_install_share", "rework_hours_per_failed_install",
            "broken_app_client_share", "fix_hours_per_broken_client", "overhead_hours_per_client",
            "billable_share", "billing_rate_per_hour", "displaced_billable_share", "technicians",
            "capacity_hours_per_technician_week", "share_passed_to_clients", "overlap_months",
            "prepaid_share", "prepaid_months_remaining", "recovered_share", "client_prepaid_share",
            "client_prepaid_months_remaining", "client_price_per_endpoint_month", "refund_share",
            "downtime_minutes_per_endpoint", "downtime_user_cost_per_hour", "downtime_billable_share"]
OUTPUTS = ["labor_cost", "pricing_cost", "lost_updates_cost", "stranded_cost", "refund_cost", "extras_cost",
           "downtime_cost", "total_cost", "labor_hours", "duration_days", "incidents"]
EXTRA_MULTIPLIER = {"endpoint": "endpoints", "client": "clients"}


def draw_market(rng, scenario, trials, competitor_names):
    mkt = {k: draw(rng, scenario["market"][k], trials) for k in MARKET_KEYS}
    comps = {}
    for name in sorted(competitor_names):
        c = scenario["competitors"][name]
        comps[name] = {k: draw(rng, c[k], trials) for k in COMPETITOR_KEYS}
        comps[name]["volume_tiers"] = c["volume_tiers"]
    return mkt, comps


def simulate_msp(rng, scenario, msp, mkt, comps, trials):
    """One MSP's outputs for every trial (arrays of length `trials`)."""
    x = {k: draw(rng, msp[k], trials) for k in MSP_KEYS}
    x["cost_basis"] = msp["cost_basis"]
    own_rate = msp.get("technician_cost_per_hour")
    x["technician_cost_per_hour"] = (draw(rng, own_rate, trials) if own_rate is not None
                                     else mkt["technician_cost_per_hour"])
    x["capacity_hours_per_week"] = x["technicians"] * x["capacity_hours_per_technician_week"]
    lab = migration_labor(x)

    tl = scenario["timeline"]
    cutoff_day = (tl["updates_end"] - tl["migration_start"]).days - x["start_delay_days"]
    expected = expected_incidents(x, lab, cutoff_day, mkt["encounters_per_endpoint_day"],
                                  mkt["miss_rate_supported"], mkt["frozen_miss_multiplier"],
                                  mkt["protection_decay_days"])
    incidents = rng.poisson(expected)
    lost = incident_costs(rng, incidents, scenario["market"]["incident_cost"])
    # E[lost | the trial's inputs]: the engine's reported mean of this compound cost
    # (docs/output-format.md, "Means of compound costs").
    lost_expected = expected * dist_mean(scenario["market"]["incident_cost"])

    new, old = comps[msp["target"]], comps[msp["incumbent"]]
    pricing = competitor_pricing(x["endpoints"], new, old, x["share_passed_to_clients"],
                                 mkt["discount_rate_per_year"], tl["horizon_months"], x, lab)

    E = x["endpoints"]
    stranded = E * x["prepaid_share"] * x["prepaid_months_remaining"] * old["price_per_endpoint_month"] * (
        1.0 - x["recovered_share"])
    refunds = E * x["client_prepaid_share"] * x["client_prepaid_months_remaining"] * x[
        "client_price_per_endpoint_month"] * x["refund_share"]

    # Client downtime: E x minutes / 60 x cost per user-hour x (1 - billable share).
    downtime = E * x["downtime_minutes_per_endpoint"] / 60.0 * x["downtime_user_cost_per_hour"] * (
        1.0 - x["downtime_billable_share"])

    extras = np.zeros(trials)
    for spec, per in msp["extras"]:
        amount = draw(rng, spec, trials)
        extras += amount * (x[EXTRA_MULTIPLIER[per]] if per in EXTRA_MULTIPLIER
                            else tl["horizon_months"] if per == "month" else 1.0)

    return {
        "labor_cost": lab["cost"],
        "pricing_cost": pricing,
        "lost_updates_cost": lost,
        "stranded_cost": stranded,
        "refund_cost": refunds,
        "extras_cost": extras,
        "downtime_cost": downtime,
        "total_cost": lab["cost"] + pricing + lost + stranded + refunds + extras + downtime,
        "lost_updates_expected_cost": lost_expected,
        "total_expected_cost": lab["cost"] + pricing + lost_expected + stranded + refunds + extras + downtime,
        "labor_hours": lab["hours"],
        "duration_days": lab["duration_days"],
        "completion_offset_days": x["start_delay_days"] + lab["duration_days"],  # after migration_start
        "incidents": incidents.astype(float),
        "expected_incidents": expected,
    }


def simulate_block(rng, scenario, trials, msps):
    msp = scenario["msp"]
    mkt, comps = draw_market(rng, scenario, trials, {msp["incumbent"], msp["target"]})
    portfolio = None
    for _ in range(msps):  # loop over MSPs; each MSP is vectorised over trials
        out = simulate_msp(rng, scenario, msp, mkt, comps, trials)
        if portfolio is None:
            portfolio = out
        else:
            for k, v in out.items():
                if k in ("duration_days", "completion_offset_days"):
                    np.maximum(portfolio[k], v, out=portfolio[k])
                else:
                    portfolio[k] += v
    return portfolio


def simulate(trials=100_000, msps=1, seed=1, scenario=None, chunk=8192):
    """Portfolio of `msps` copies of the scenario's MSP, each vectorised over trials.
    Returns per-trial arrays: costs, hours and incidents summed over MSPs;
    duration_days and completion_offset_days the last MSP's (as the engine's
    portfolio). Trials go in chunks of `chunk` (8,192 by default: each chunk's
    temporaries are 64 KB, so they stay in cache and reuse the allocator's
    memory instead of faulting in fresh pages), written into output arrays
    allocated once."""
    scenario = scenario or default_scenario()
    rng = np.random.default_rng(seed)
    out = None
    for first in range(0, trials, chunk):
        n = min(chunk, trials - first)
        part = simulate_block(rng, scenario, n, msps)
        if out is None:
            out = {k: np.empty(trials) for k in part}
        for k, v in part.items():
            out[k][first:first + n] = v
    return out


if __name__ == "__main__":
    import sys
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    r = simulate(n)
    for k in OUTPUTS:
        v = r[k]
        print(f"{k:18s} mean {v.mean():12.4f}  se {v.std(ddof=1) / np.sqrt(n):10.4f}")
