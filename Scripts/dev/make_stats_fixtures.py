#!/usr/bin/env python3
"""Generates the reference fixtures of the Stats module under Tests/Fixtures/stats/.

Run with the dev venv (the script installs mpmath and scipy into it when they are missing):

    /work/main/.venv-dev/bin/python Scripts/dev/make_stats_fixtures.py

What it writes (deterministic: fixed grids, no randomness):

* ``distributions.json`` - for each distribution and parameter set of the grid below, at points x:
  cdf, sf, logcdf, logsf and pdf/logpdf (pmf/logpmf for the discrete ones); at the probabilities
  ``PROBABILITIES``: ppf and isf, each with its condition number; and the mean and variance.
* ``special_functions.json`` - log-gamma, log-beta, erf/erfc/erfcx, the regularized incomplete
  gamma P/Q and beta I/(1 - I) functions and the normal quantile.

Every reference is computed with mpmath at ``DPS`` significant digits, independently of scipy:
incomplete beta values are the positive series x^a y^b/(a B(a, b)) 2F1(a+b, 1; a+1; x) taken on the
side whose tail is small (never 1 minus a value near 1), incomplete gamma values are mpmath's
``gammainc``, binomial tails are sums of exact-ratio terms and hypergeometric values are exact
rationals (Python integers). scipy is used only for starting points of the quantile searches, which
mpmath then refines by Newton steps to a residual below 1e-40 relative (checked), so the references
do not depend on scipy's accuracy. Inputs (x, p, parameters) are doubles and the references are for
those exact binary values. Values are written as strings with 20 significant digits; non-finite
values as "inf", "-inf" or "nan".

Condition numbers: for a quantile x of a tail probability t (the smaller of p and 1 - p), cond is
|t / (x f(x))|, the relative change of x per relative change of t. Tests widen the tolerance of a
quantile in proportion to cond where that number says double precision cannot reach 1e-12.

``--check`` re-evaluates a sample of the references at 80 digits and with scipy (for orientation) and
prints the largest differences.
"""

import json
import os
import subprocess
import sys
import time


def ensure_packages():
    """Installs mpmath and scipy into the running interpreter's environment when missing."""
    missing = []
    for name in ("mpmath", "scipy"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + missing)


ensure_packages()

import mpmath as mp  # noqa: E402
from scipy import stats  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(ROOT, "Tests", "Fixtures", "stats")
DPS = 60
DIGITS = 20
mp.mp.dps = DPS

PROBABILITIES = [1e-300, 1e-20, 1e-8, 0.025, 0.5, 0.975, 1 - 1e-10]


def s(v):
    """A reference value as a string with DIGITS significant digits."""
    if isinstance(v, str):
        return v
    v = mp.mpf(v)
    if mp.isnan(v):
        return "nan"
    if mp.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    return mp.nstr(v, DIGITS, min_fixed=-4, max_fixed=8)


def d(x):
    """An input as the exact string of a double."""
    return repr(float(x))


def M(x):
    """The exact value of a double as an mpf."""
    return mp.mpf(float(x))


def log_or_ninf(v):
    return mp.log(v) if v > 0 else mp.ninf


# ---------------------------------------------------------------------------------------------
# Incomplete functions at high precision
# ---------------------------------------------------------------------------------------------

def beta_series(a, b, x):
    """I_x(a, b) = x^a (1-x)^b/(a B(a,b)) 2F1(a+b, 1; a+1; x): positive terms, for 0 < x < 1.
    mpmath's hyp2f1 for x <= 0.75; above, the terms are summed directly (mpmath would transform)."""
    log_pref = a * mp.log(x) + b * mp.log1p(-x) - mp.log(mp.beta(a, b))
    if x <= 0.75:
        series = mp.hyp2f1(a + b, 1, a + 1, x, maxterms=10**7)
    else:
        series = term = mp.mpf(1)
        n = 0
        eps = mp.mpf(10) ** (-DPS - 5)
        while True:
            term = term * (a + b + n) / (a + 1 + n) * x
            series += term
            n += 1
            if term < eps * series and (a + b + n) * x < (a + 1 + n):
                break
    return mp.exp(log_pref) / a * series


def series_cost(a, b, x, one_minus_x):
    """About how many terms beta_series(a, b, x) sums: up to the largest term, then the decay."""
    if one_minus_x <= 0:
        return mp.inf
    growth = max(0, ((a + b) * x - a) / one_minus_x)
    return growth + (0 if x <= 0.75 else 160 / -mp.log1p(-one_minus_x))


def beta_tails(a, b, x, y=None):
    """(I_x(a, b), 1 - I_x(a, b)): the cheaper side from its series, the other as the complement
    unless that is below 1e-30 (then from its own series too), so no tail loses digits."""
    if y is None:
        y = 1 - x
    if x <= 0:
        return mp.mpf(0), mp.mpf(1)
    if y <= 0:
        return mp.mpf(1), mp.mpf(0)
    tiny = mp.mpf(10) ** -30
    if series_cost(a, b, x, y) <= series_cost(b, a, y, x):
        lower = beta_series(a, b, x)
        upper = 1 - lower
        if upper < tiny:
            upper = beta_series(b, a, y)
    else:
        upper = beta_series(b, a, y)
        lower = 1 - upper
        if lower < tiny:
            lower = beta_series(a, b, x)
    return lower, upper


def gamma_tails(k, z):
    if z <= 0:
        return mp.mpf(0), mp.mpf(1)
    lower = mp.gammainc(k, 0, z, regularized=True)
    upper = mp.gammainc(k, z, mp.inf, regularized=True)
    return lower, upper


# ---------------------------------------------------------------------------------------------
# Distributions in mpmath: tails(x) -> (P(X <= x), P(X > x)), density(x), moments
# ---------------------------------------------------------------------------------------------

class Normal:
    name = "normal"

    def __init__(self, mean, sd):
        self.params = {"mean": mean, "sd": sd}
        self.mu, self.sd = M(mean), M(sd)
        self.scipy = stats.norm(mean, sd)

    def tails(self, x):
        z = (x - self.mu) / self.sd
        return mp.erfc(-z / mp.sqrt(2)) / 2, mp.erfc(z / mp.sqrt(2)) / 2

    def density(self, x):
        z = (x - self.mu) / self.sd
        return mp.exp(-z * z / 2) / (self.sd * mp.sqrt(2 * mp.pi))

    def moments(self):
        return self.mu, self.sd ** 2

    support = (-mp.inf, mp.inf)


class StudentT:
    name = "t"

    def __init__(self, df):
        self.params = {"df": df}
        self.df = M(df)
        self.scipy = stats.t(df)

    def tails(self, t):
        if t == 0:
            return mp.mpf(1) / 2, mp.mpf(1) / 2
        nu = self.df
        x = nu / (nu + t * t)
        y = t * t / (nu + t * t)
        both, _ = beta_tails(nu / 2, mp.mpf(1) / 2, x, y)  # P(|T| > |t|)
        small = both / 2
        return (1 - small, small) if t > 0 else (small, 1 - small)

    def density(self, t):
        nu = self.df
        c = mp.exp(mp.loggamma((nu + 1) / 2) - mp.loggamma(nu / 2)) / mp.sqrt(nu * mp.pi)
        return c * mp.power(1 + t * t / nu, -(nu + 1) / 2)

    def moments(self):
        nu = self.df
        mean = mp.mpf(0) if nu > 1 else mp.nan
        var = nu / (nu - 2) if nu > 2 else (mp.inf if nu > 1 else mp.nan)
        return mean, var

    support = (-mp.inf, mp.inf)


class GammaDist:
    name = "gamma"

    def __init__(self, shape, scale):
        self.params = {"shape": shape, "scale": scale}
        self.k, self.theta = M(shape), M(scale)
        self.scipy = stats.gamma(shape, scale=scale)

    def tails(self, x):
        return gamma_tails(self.k, x / self.theta)

    def density(self, x):
        z = x / self.theta
        return mp.exp((self.k - 1) * mp.log(z) - z - mp.loggamma(self.k)) / self.theta

    def moments(self):
        return self.k * self.theta, self.k * self.theta ** 2

    support = (0, mp.inf)


class ChiSquared(GammaDist):
    name = "chi2"

    def __init__(self, df):
        GammaDist.__init__(self, df / 2, 2.0)
        self.params = {"df": df}
        self.scipy = stats.chi2(df)


class FDist:
    name = "f"

    def __init__(self, df1, df2):
        self.params = {"df1": df1, "df2": df2}
        self.d1, self.d2 = M(df1), M(df2)
        self.scipy = stats.f(df1, df2)

    def tails(self, f):
        if f <= 0:
            return mp.mpf(0), mp.mpf(1)
        x = self.d1 * f / (self.d1 * f + self.d2)
        y = self.d2 / (self.d1 * f + self.d2)
        return beta_tails(self.d1 / 2, self.d2 / 2, x, y)

    def density(self, f):
        a, b = self.d1 / 2, self.d2 / 2
        x = self.d1 * f / (self.d1 * f + self.d2)
        y = self.d2 / (self.d1 * f + self.d2)
        return mp.exp(a * mp.log(x) + b * mp.log(y) - mp.log(mp.beta(a, b))) / f

    def moments(self):
        d1, d2 = self.d1, self.d2
        mean = d2 / (d2 - 2) if d2 > 2 else mp.inf
        if d2 > 4:
            var = 2 * d2 ** 2 * (d1 + d2 - 2) / (d1 * (d2 - 2) ** 2 * (d2 - 4))
        else:
            var = mp.inf if d2 > 2 else mp.nan
        return mean, var

    support = (0, mp.inf)


class BetaDist:
    name = "beta"

    def __init__(self, a, b):
        self.params = {"a": a, "b": b}
        self.a, self.b = M(a), M(b)
        self.scipy = stats.beta(a, b)

    def tails(self, x):
        return beta_tails(self.a, self.b, x)

    def density(self, x):
        a, b = self.a, self.b
        return mp.exp((a - 1) * mp.log(x) + (b - 1) * mp.log1p(-x) - mp.log(mp.beta(a, b)))

    def moments(self):
        a, b = self.a, self.b
        return a / (a + b), a * b / ((a + b) ** 2 * (a + b + 1))

    support = (0, 1)


class Binomial:
    name = "binomial"
    discrete = True

    def __init__(self, n, p):
        self.params = {"n": n, "p": p}
        self.n, self.p = n, M(p)
        self.q = 1 - self.p
        self.scipy = stats.binom(n, p)
        self.lo, self.hi = 0, n

    def pmf(self, k):
        if k < 0 or k > self.n:
            return mp.mpf(0)
        return mp.binomial(self.n, k) * self.p ** k * self.q ** (self.n - k)

    def tails(self, k):
        """(P(X <= k), P(X > k)) by summing exact-ratio terms of the smaller side."""
        n, p, q = self.n, self.p, self.q
        if k < 0:
            return mp.mpf(0), mp.mpf(1)
        if k >= n:
            return mp.mpf(1), mp.mpf(0)
        eps = mp.mpf(10) ** (-DPS)
        if k <= n * p:
            term = self.pmf(k)
            total = term
            j = k
            while j > 0:
                term = term * j / (n - j + 1) * q / p
                total += term
                if term < eps * total:
                    break
                j -= 1
            return total, 1 - total
        term = self.pmf(k + 1)
        total = term
        j = k + 1
        while j < n:
            term = term * (n - j) / (j + 1) * p / q
            total += term
            if term < eps * total:
                break
            j += 1
        return 1 - total, total

    def moments(self):
        return self.n * self.p, self.n * self.p * self.q


class Hypergeometric:
    name = "hypergeometric"
    discrete = True

    def __init__(self, population, successes, draws):
        self.params = {"population": population, "successes": successes, "draws": draws}
        self.N, self.K, self.n = population, successes, draws
        self.scipy = stats.hypergeom(population, successes, draws)  # scipy's (M, n, N)
        self.lo = max(0, draws - (population - successes))
        self.hi = min(draws, successes)
        from fractions import Fraction
        from math import comb
        total = comb(population, draws)
        counts = [comb(successes, k) * comb(population - successes, draws - k) for k in range(self.lo, self.hi + 1)]
        self.weights = {k: mp.mpf(c) / total for k, c in zip(range(self.lo, self.hi + 1), counts)}
        self.prefix = []  # exact P(X <= k) for k = lo..hi
        running = 0
        for c in counts:
            running += c
            self.prefix.append(Fraction(running, total))

    def pmf(self, k):
        return self.weights.get(k, mp.mpf(0))

    def tails(self, k):
        from fractions import Fraction
        if k < self.lo:
            low = Fraction(0)
        else:
            low = self.prefix[min(k, self.hi) - self.lo]
        lower = mp.mpf(low.numerator) / low.denominator
        up = 1 - low
        upper = mp.mpf(up.numerator) / up.denominator
        return lower, upper

    def moments(self):
        N, K, n = mp.mpf(self.N), mp.mpf(self.K), mp.mpf(self.n)
        return n * K / N, n * (K / N) * ((N - K) / N) * ((N - n) / (N - 1))


# ---------------------------------------------------------------------------------------------
# Quantiles
# ---------------------------------------------------------------------------------------------

def continuous_quantile(dist, target, upper, start):
    """The x with T(x) = target (T the lower or upper tail), by Newton steps on log T in the
    logarithm of the distance to the nearest finite end of the support, from a double start."""
    lo_end, hi_end = dist.support
    tgt = mp.mpf(target)

    def tail(x):
        t = dist.tails(x)
        return t[1] if upper else t[0]

    x = M(start)
    if not (lo_end < x < hi_end) or not mp.isfinite(x):
        raise ValueError("bad start %r for %s %r" % (start, dist.name, dist.params))
    for _ in range(200):
        t = tail(x)
        if t == 0 or x == lo_end or x == hi_end:
            # The root is closer to the end of the support than DPS digits resolve (e.g. a beta
            # quantile 1 - 1e-600): the double result is the end itself.
            end = hi_end if abs(hi_end - x) < abs(x - lo_end) else lo_end
            if abs(end - x) > mp.mpf(10) ** -30:
                raise ValueError("quantile search left the support: %s %r" % (dist.name, dist.params))
            return end, mp.nan
        f = dist.density(x)
        slope = (-f if upper else f) / t
        r = mp.log(t / tgt)
        dx = -r / slope
        if mp.isfinite(lo_end) and (not mp.isfinite(hi_end) or x - lo_end <= hi_end - x):
            dist_lo = x - lo_end
            step = max(min(dx / dist_lo, 10**5), -10**5)
            nx = lo_end + dist_lo * mp.exp(step)
        elif mp.isfinite(hi_end):
            dist_hi = hi_end - x
            step = max(min(-dx / dist_hi, 10**5), -10**5)
            nx = hi_end - dist_hi * mp.exp(step)
        else:
            nx = x + dx
        if abs(nx - x) <= mp.mpf(10) ** (-(DPS - 8)) * abs(x):
            x = nx
            break
        x = nx
    t = tail(x)
    residual = abs(t / tgt - 1)
    if residual > mp.mpf(10) ** -35:
        raise ValueError("quantile did not converge: %s %r target %r residual %s"
                         % (dist.name, dist.params, target, mp.nstr(residual, 5)))
    f = dist.density(x)
    cond = abs(t / (x * f)) if x != 0 else mp.inf
    return x, cond


def discrete_quantile(dist, q, upper, start):
    """ppf: smallest k with cdf(k) >= q; isf: smallest k with sf(k) <= q (scipy's conventions).
    Returns (k, tie) where tie flags a value within 1e-12 relative of the threshold."""
    qq = mp.mpf(q)

    def ok(k):
        lower, up = dist.tails(k)
        return (up <= qq) if upper else (lower >= qq)

    lo, hi = dist.lo - 1, dist.hi  # ok(hi) holds; the answer is in (lo, hi]
    k = int(min(max(start, dist.lo), dist.hi))
    if ok(k):
        hi = k
        if k - 1 >= dist.lo and not ok(k - 1):
            lo = k - 1
    else:
        lo = k
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    k = hi

    def near(j):  # the tail compared with q is within 1e-12 of it, measured on the smaller side
        lower, up = dist.tails(j)
        val = up if upper else lower
        if qq > 0.5:
            return abs((1 - val) / (1 - qq) - 1) < mp.mpf(10) ** -12
        return abs(val / qq - 1) < mp.mpf(10) ** -12

    return k, near(k) or near(k - 1)


# ---------------------------------------------------------------------------------------------
# The grid
# ---------------------------------------------------------------------------------------------

def around(center, spread, multiples):
    return [center + m * spread for m in multiples]


def grid():
    cases = []
    z = [-37, -30, -20, -9, -5, -3, -1.5, -0.6, -1e-3, 0, 1e-10, 0.3, 0.7, 1, 1.96, 3, 5, 9, 15, 20, 30, 37,
         38.4, 40, 50]
    cases.append((Normal(0.0, 1.0), z, True))
    cases.append((Normal(2.5, 0.7), [2.5 + 0.7 * v for v in (-30, -8, -2, -0.5, 0.1, 1, 3, 8, 20)], True))
    cases.append((Normal(-1000.0, 3.0), [-1000 + 3 * v for v in (-25, -6, -1, 0.25, 2, 7, 25)], True))
    cases.append((Normal(1e-3, 1e-5), [1e-3 + 1e-5 * v for v in (-12, -2, 0.5, 4, 12)], True))

    t_points = [-1e10, -1e5, -50, -5, -2, -0.5, 1e-8, 0.3, 1, 2.2, 4, 10, 100, 1e5, 1e20]
    for df in (1.0, 2.5, 30.0):
        cases.append((StudentT(df), t_points, True))
    cases.append((StudentT(0.5), [-1e10, -30, -1, 0.2, 3, 1e3, 1e30], True))
    cases.append((StudentT(2.0), [-40, -2, 0.5, 3, 1e4], True))
    cases.append((StudentT(7.3), [-12, -3, -0.4, 1.5, 6, 40], True))
    cases.append((StudentT(1e6), [-37, -20, -9, -3, -1, -1e-3, 0.5, 2, 5, 10, 30, 37], True))

    for df in (0.5, 1.0, 2.0, 3.0, 10.0, 100.0, 1000.0):
        sd = (2 * df) ** 0.5
        pts = [1e-12, 1e-4, 0.01 * df, 0.3 * df, df, df + sd, df + 3 * sd, df + 10 * sd, df + 30 * sd, 5 * df + 100,
               50 * df + 600]
        if df >= 100:
            pts += [df - 3 * sd, df - 8 * sd, df - 12 * sd]
        cases.append((ChiSquared(df), sorted(set(pts)), True))
    cases.append((ChiSquared(0.01), [1e-300, 1e-100, 1e-20, 1e-3, 0.5, 5, 50, 600], True))

    for (d1, d2) in ((1.0, 1.0), (2.0, 5.0), (5.0, 2.0), (10.0, 30.0), (0.5, 3.5), (100.0, 1000.0),
                     (1e4, 1e4), (3.0, 1e6)):
        pts = [1e-8, 1e-3, 0.1, 0.5, 0.9, 1, 1.1, 2, 5, 50, 1e4, 1e8]
        if d1 >= 1e3:
            pts = [0.9, 0.95, 0.98, 0.99, 1, 1.01, 1.02, 1.05, 1.1, 1.2]
        cases.append((FDist(d1, d2), pts, True))

    for (a, b) in ((0.5, 0.5), (1.0, 1.0), (2.0, 3.0), (1e-3, 1e-3), (1e-3, 1e3), (1e3, 1e-3), (0.1, 50.0),
                   (50.0, 0.1), (20.0, 25.0), (1e5, 10.0), (1e5, 1e5), (1e6, 1e6), (3e6, 4.5)):
        m = a / (a + b)
        sd = (a * b / ((a + b) ** 2 * (a + b + 1))) ** 0.5
        pts = [1e-300, 1e-100, 1e-20, 1e-8, 1e-3, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999, 1 - 1e-8, 1 - 1e-12]
        if min(a, b) >= 5:
            pts = [v for v in around(m, sd, (-30, -10, -5, -2, -0.5, 0.1, 1, 3, 6, 12, 30)) if 0 < v < 1]
        cases.append((BetaDist(a, b), sorted(set(pts)), True))

    for (k, theta) in ((1e-3, 1.0), (0.1, 1.0), (1.0, 1.0), (2.5, 1.0), (10.0, 1.0), (100.0, 1.0), (1e4, 1.0),
                       (3.7, 2.5), (0.4, 0.25)):
        sd = k ** 0.5
        pts = [1e-300, 1e-50, 1e-8, 1e-3, 0.1, 0.5 * k, k, k + sd, k + 4 * sd, k + 15 * sd, 10 * k + 100,
               20 * k + 700]
        if k >= 10:
            pts += [k - 3 * sd, k - 8 * sd, k - 0.5 * sd]
        pts = [theta * v for v in pts]
        cases.append((GammaDist(k, theta), sorted(set(pts)), True))

    for (n, p) in ((10, 0.3), (100, 0.5), (1000, 1e-3), (1000000, 1e-6), (1000000, 0.5), (1000000, 0.3),
                   (50, 0.999), (1000000, 1 - 1e-6), (20, 1e-10)):
        mean = n * p
        sd = (n * p * (1 - p)) ** 0.5
        pts = {0, 1, n - 1, n, int(mean)}
        for m in (-40, -12, -6, -3, -1, 1, 3, 6, 12, 40):
            k = int(round(mean + m * max(sd, 1)))
            if 0 <= k <= n:
                pts.add(k)
        cases.append((Binomial(n, p), sorted(pts), False))

    for (N, K, n) in ((20, 7, 12), (500, 50, 100), (10000, 4000, 3000), (1000, 10, 990), (200, 150, 60)):
        h = Hypergeometric(N, K, n)
        lo, hi = h.lo, h.hi
        mean = n * K / N
        sd = (n * (K / N) * ((N - K) / N) * ((N - n) / (N - 1))) ** 0.5
        pts = {lo, hi, lo + 1, hi - 1, int(mean)}
        for m in (-20, -8, -4, -2, -1, 1, 2, 4, 8, 20):
            k = int(round(mean + m * sd))
            if lo <= k <= hi:
                pts.add(k)
        cases.append((h, sorted(pts), False))
    return cases


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------

def distribution_entry(dist, points, continuous):
    entry = {"name": dist.name, "params": {k: (v if isinstance(v, int) else d(v)) for k, v in dist.params.items()}}
    mean, var = dist.moments()
    entry["mean"], entry["variance"] = s(mean), s(var)
    rows = []
    for x in points:
        if continuous:
            xd = float(x)
            xm = M(xd)
            if not (dist.support[0] < xm < dist.support[1]):
                continue
            lower, upper = dist.tails(xm)
            dens = dist.density(xm)
            row = {"x": d(xd), "pdf": s(dens), "logpdf": s(log_or_ninf(dens))}
        else:
            lower, upper = dist.tails(x)
            pm = dist.pmf(x)
            row = {"x": str(x), "pmf": s(pm), "logpmf": s(log_or_ninf(pm))}
        # The larger tail holds 1 - (smaller) to DPS digits only: its log comes from the smaller one.
        if lower <= upper:
            log_lower, log_upper = log_or_ninf(lower), mp.log1p(-lower)
        else:
            log_lower, log_upper = mp.log1p(-upper), log_or_ninf(upper)
        row.update({"cdf": s(lower), "sf": s(upper), "logcdf": s(log_lower), "logsf": s(log_upper)})
        rows.append(row)
    entry["points"] = rows
    quants = []
    for p in PROBABILITIES:
        row = {"p": d(p)}
        for kind in ("ppf", "isf"):
            if continuous:
                upper = (p > 0.5) if kind == "ppf" else (p <= 0.5)
                target = (1 - mp.mpf(p)) if (kind == "ppf") == upper else mp.mpf(p)
                start = dist.scipy.ppf(p) if kind == "ppf" else dist.scipy.isf(p)
                start = improve_start(dist, float(start), float(target), upper)
                if upper and dist.support[1] == 1:
                    # 1 - x has too few digits near 1: solve the lower tail of Beta(b, a) for y = 1 - x.
                    mirror = BetaDist(float(dist.b), float(dist.a))
                    y, _ = continuous_quantile(mirror, target, False, improve_start(mirror, 1 - start, float(target), False))
                    x = 1 - y
                    f = dist.density(x) if 0 < x < 1 else mp.nan
                    cond = abs(target / (x * f)) if mp.isfinite(f) and f > 0 else mp.nan
                else:
                    x, cond = continuous_quantile(dist, target, upper, start)
                row[kind] = s(x)
                row[kind + "_cond"] = s(cond)
            else:
                start = dist.scipy.ppf(p) if kind == "ppf" else dist.scipy.isf(p)
                k, tie = discrete_quantile(dist, p, kind == "isf", int(start) if start == start else dist.lo)
                row[kind] = str(k)
                if tie:
                    row[kind + "_tie"] = True
        quants.append(row)
    entry["quantiles"] = quants
    return entry


def improve_start(dist, start, target, upper):
    """A usable double start for the mpmath Newton search when scipy's is off the support: a
    bracket from a ladder of powers of ten, then bisection (geometric within one sign)."""
    lo_end, hi_end = dist.support
    if start == start and lo_end < start < hi_end and abs(start) < 1e300 and start != lo_end:
        return start
    ladder = [10.0 ** j for j in range(-300, 301, 5)]
    if hi_end == 1:
        ladder = [v for v in ladder if v < 0.5] + [1 - v for v in reversed(ladder) if v < 0.5 and 1 - v < 1]
    if lo_end == -mp.inf:
        ladder = [-v for v in reversed(ladder)] + [0.0] + ladder

    def above(x):  # x lies beyond the root
        t = dist.tails(M(x))
        val = float(t[1] if upper else t[0])
        return val < target if upper else val > target

    prev = None
    for x in ladder:
        if above(x):
            lo, hi = (prev if prev is not None else x), x
            break
        prev = x
    else:
        return ladder[-1]
    for _ in range(200):
        mid = (lo * hi) ** 0.5 if lo > 0 and hi > 0 else (-((lo * hi) ** 0.5) if lo < 0 and hi < 0 else (lo + hi) / 2)
        if mid <= lo or mid >= hi:
            break
        if above(mid):
            hi = mid
        else:
            lo = mid
        if hi - lo <= 1e-13 * max(abs(hi), abs(lo)):
            break
    return (lo + hi) / 2


def special_functions():
    out = {}
    lg = [1e-300, 1e-10, 1e-3, 0.1, 0.5, 0.9999, 1.0, 1.0001, 1.5, 1.9999, 2.0, 2.0001, 2.5, 3.7, 9.99, 10.0, 10.5,
          100.25, 1e5, 1e15, 1e300, -0.5, -2.5, -10.3]
    out["logGamma"] = [{"x": d(x), "value": s(mp.log(abs(mp.gamma(M(x)))) if x < 0 else mp.loggamma(M(x)))}
                       for x in lg]
    pairs = [(0.5, 0.5), (1e-3, 1e3), (2.0, 3.0), (1e-8, 1e-8), (10.0, 1e6), (1e6, 1e6), (0.3, 1e12), (1e5, 7.5),
             (25.0, 40.0)]
    out["logBeta"] = [{"a": d(a), "b": d(b), "value": s(mp.log(mp.beta(M(a), M(b))))} for a, b in pairs]
    ex = [-5.0, -1.0, -0.3, -1e-10, 1e-300, 1e-8, 0.2, 0.46875, 0.5, 1.0, 2.0, 3.9, 4.0, 4.1, 6.0, 10.0, 26.0, 27.0,
          1e5]
    out["erf"] = [{"x": d(x), "value": s(mp.erf(M(x)))} for x in ex]
    out["erfc"] = [{"x": d(x), "value": s(mp.erfc(M(x)))} for x in ex]
    out["erfcx"] = [{"x": d(x), "value": s(mp.exp(M(x) ** 2) * mp.erfc(M(x)))} for x in ex if x < 26.6]
    gp = [(1e-3, 1e-5), (1e-3, 0.5), (0.1, 1e-3), (0.5, 2.0), (1.0, 1e-10), (2.5, 0.1), (10.0, 9.0), (10.0, 30.0),
          (100.0, 80.0), (100.0, 130.0), (1e4, 9800.0), (1e4, 1.05e4), (0.3, 200.0), (5.0, 1e-20)]
    out["gamma"] = []
    for a, x in gp:
        lower, upper = gamma_tails(M(a), M(x))
        out["gamma"].append({"a": d(a), "x": d(x), "p": s(lower), "q": s(upper)})
    bi = [(0.5, 0.5, 1e-10), (0.5, 0.5, 0.999), (2.0, 3.0, 0.4), (1e-3, 1e3, 1e-4), (1e-3, 1e-3, 0.3),
          (50.0, 0.1, 0.99), (1e5, 1e5, 0.499), (1e5, 1e5, 0.502), (5.0, 1e6, 1e-5), (1e6, 5.0, 1 - 1e-5),
          (0.2, 0.7, 0.9999999)]
    out["beta"] = []
    for a, b, x in bi:
        lower, upper = beta_tails(M(a), M(b), M(x))
        out["beta"].append({"a": d(a), "b": d(b), "x": d(x), "value": s(lower), "complement": s(upper)})
    out["normalQuantile"] = []
    for p in (1e-300, 1e-100, 1e-20, 1e-8, 0.01, 0.025, 0.3, 0.5, 0.5 + 1e-12, 0.7, 0.975, 1 - 1e-10):
        dist = Normal(0.0, 1.0)
        upper = p > 0.5
        target = 1 - mp.mpf(p) if upper else mp.mpf(p)
        if p == 0.5:
            x = mp.mpf(0)
        else:
            x, _ = continuous_quantile(dist, target, upper, float(stats.norm.ppf(p)))
        out["normalQuantile"].append({"p": d(p), "value": s(x)})
    return out


def write(name, payload):
    os.makedirs(OUT, exist_ok=True)
    path = os.path.join(OUT, name)
    with open(path, "w") as f:
        json.dump(payload, f, indent=None, separators=(",", ":"), sort_keys=False)
        f.write("\n")
    print("wrote %s (%d bytes)" % (os.path.relpath(path, ROOT), os.path.getsize(path)))


def main():
    header = {"generator": "Scripts/dev/make_stats_fixtures.py", "mpmath": mp.__version__, "dps": DPS,
              "probabilities": [d(p) for p in PROBABILITIES]}
    dists = []
    for dist, points, continuous in grid():
        started = time.time()
        dists.append(distribution_entry(dist, points, continuous))
        print("  %s %s: %d points (%.1fs)" % (dist.name, dist.params, len(dists[-1]["points"]),
                                            time.time() - started), flush=True)
    write("distributions.json", dict(header, distributions=dists))
    write("special_functions.json", dict(header, **special_functions()))


def check():
    """Re-evaluates a sample of the fixtures at 80 digits and prints the largest differences."""
    with open(os.path.join(OUT, "distributions.json")) as f:
        data = json.load(f)
    mp.mp.dps = 80
    classes = {"normal": lambda p: Normal(float(p["mean"]), float(p["sd"])),
               "t": lambda p: StudentT(float(p["df"])), "chi2": lambda p: ChiSquared(float(p["df"])),
               "f": lambda p: FDist(float(p["df1"]), float(p["df2"])),
               "beta": lambda p: BetaDist(float(p["a"]), float(p["b"])),
               "gamma": lambda p: GammaDist(float(p["shape"]), float(p["scale"])),
               "binomial": lambda p: Binomial(p["n"], float(p["p"])),
               "hypergeometric": lambda p: Hypergeometric(p["population"], p["successes"], p["draws"])}
    worst, worst_scipy = {}, {}
    for entry in data["distributions"]:
        dist = classes[entry["name"]](entry["params"])
        for i, row in enumerate(entry["points"]):
            discrete = entry["name"] in ("binomial", "hypergeometric")
            x = int(row["x"]) if discrete else M(float(row["x"]))
            lower, upper = dist.tails(x) if i % 3 == 0 else (None, None)
            for key, v, sp in (("cdf", lower, dist.scipy.cdf), ("sf", upper, dist.scipy.sf)):
                ref = mp.mpf(row[key])
                if ref == 0 or abs(ref) < mp.mpf("2.3e-308"):
                    continue
                if v is not None:
                    worst[entry["name"]] = max(worst.get(entry["name"], 0), abs(v / ref - 1))
                got = mp.mpf(float(sp(int(x) if discrete else float(x))))
                worst_scipy[entry["name"]] = max(worst_scipy.get(entry["name"], 0), abs(got / ref - 1))
    for k in worst:
        print("%-15s max rel diff, 80 digits vs fixture: %-10s scipy vs fixture: %s"
              % (k, mp.nstr(worst[k], 3), mp.nstr(worst_scipy.get(k, 0), 3)))


if __name__ == "__main__":
    if "--check" in sys.argv:
        check()
    else:
        main()
