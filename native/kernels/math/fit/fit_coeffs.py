#!/usr/bin/env python3
"""Fits the polynomial coefficients of native/kernels/math/*.h and writes math_coeffs.h.

Each fit is a discrete minimax problem solved as a linear program (scipy's HiGHS) on a dense grid,
then the coefficients are rounded to float32 one at a time, lowest degree first, re-solving the
LP for the rest after each rounding so the later coefficients absorb the rounding error. The
reported error evaluates the float32 Horner scheme with fused multiply-adds (simulated in float64,
where a float32 product is exact), the same arithmetic the kernels do.

Rerun:  python3 native/kernels/math/fit/fit_coeffs.py   (numpy, scipy)
"""
import math
import os
import sys

import numpy as np
from scipy.optimize import linprog
from scipy.special import erf, erfc

F32 = np.float32
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "math_coeffs.h")


def f32(v):
    return float(F32(v))


def minimax(xs, target, weight, deg, fixed):
    """Coefficients c[0..deg] minimizing max |weight * (sum c_k x^k - target)|; `fixed` maps
    degree -> value for coefficients already chosen. The LP solves for a correction to the
    least-squares fit, in the variable x / max|x| and scaled to O(1): the errors sought (~1e-8)
    are far below the solver's own tolerances otherwise."""
    free = [k for k in range(deg + 1) if k not in fixed]
    h = float(np.max(np.abs(xs))) or 1.0
    s = xs / h
    rest = target - sum(v * xs**k for k, v in fixed.items())
    a = np.stack([weight * s**k for k in free], axis=1)
    b = weight * rest
    ls = np.linalg.lstsq(a, b, rcond=None)[0]
    r = b - a @ ls
    scale = float(np.max(np.abs(r))) or 1.0
    r = r / scale
    n = len(free)
    # variables: corrections d to the free coefficients, then the bound e;
    # minimize e s.t. -e <= a d - r <= e
    cost = np.zeros(n + 1)
    cost[-1] = 1.0
    ones = np.ones((len(xs), 1))
    a_ub = np.vstack([np.hstack([a, -ones]), np.hstack([-a, -ones])])
    b_ub = np.concatenate([r, -r])
    bounds = [(None, None)] * n + [(0, None)]
    res = linprog(cost, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    if not res.success:
        sys.exit(f"LP failed: {res.message}")
    c = dict(fixed)
    for k, v0, d in zip(free, ls, res.x[:-1]):
        c[k] = (v0 + d * scale) / h**k
    return [c[k] for k in range(deg + 1)]


def fit_f32(xs, target, weight, deg, fixed=None):
    fixed = dict(fixed or {})
    for k in range(deg + 1):
        if k in fixed:
            continue
        c = minimax(xs, target, weight, deg, fixed)
        fixed[k] = f32(c[k])
    return [fixed[k] for k in range(deg + 1)]


def horner_f32(c, t):
    """float32 Horner with FMA: p = fma(p, t, c_k), simulated exactly enough in float64."""
    t = t.astype(F32).astype(np.float64)
    p = np.full_like(t, c[-1])
    for ck in reversed(c[:-1]):
        p = (p * t + ck).astype(F32).astype(np.float64)
    return p


# ---- exp(r) on the Cody-Waite remainder |r| <= ln2/2 (degree 5), ln2/32 beside the table (degree 3) ----
def fit_exp(h, deg):
    xs = np.linspace(-h, h, 4001)
    c = fit_f32(xs, np.exp(xs), np.exp(-xs), deg, {0: 1.0})
    err = np.max(np.abs(horner_f32(c, xs) / np.exp(xs) - 1))
    return c, err


# ---- 2^f on |f| <= h (relative error): h = 1/2 (degree 5), 1/32 beside a table of 2^(j/16) (degree 3) ----
def fit_exp2(h, deg):
    xs = np.linspace(-h, h, 4001)
    c = fit_f32(xs, np.exp2(xs), np.exp2(-xs), deg, {0: 1.0})
    err = np.max(np.abs(horner_f32(c, xs) / np.exp2(xs) - 1))
    return c, err


def exp2_table16():
    """2^(j/16) rounded to float32, minus j << 19 in its bit pattern: adding the bits of
    t = 1.5 * 2^19 + n + j/16 shifted left by 19 (n << 23 | j << 19) then gives 2^(n + j/16)."""
    out = []
    for j in range(16):
        b = np.array([2.0 ** (j / 16)], dtype=F32).view(np.uint32)[0] - np.uint32(j << 19)
        out.append(float(np.array([b], dtype=np.uint32).view(F32)[0]))
    return out


# ---- log1p(e) = e * P(e) on e in [0, 1] (relative error) ----
def fit_log1p(deg):
    xs = np.linspace(0, 1, 4001)
    xs[0] = 1e-9
    target = np.log1p(xs) / xs
    c = fit_f32(xs, target, 1 / target, deg, {0: 1.0})
    p = horner_f32(c, xs)
    err = np.max(np.abs(p / target - 1))
    return c, err


def phi(a):
    return np.exp(-0.5 * a * a) / math.sqrt(2 * math.pi)


def gelu_h(a):
    """Phi(a) - 1/2: x * Phi(x) = x/2 + |x| * H(|x|)."""
    return 0.5 * erf(a / math.sqrt(2))


def gelu_g(a):
    """g(a) - 1/2 with g = Phi + x phi the GELU derivative: g(x) = 1/2 + sign(x) G(|x|)."""
    return gelu_h(a) + a * phi(a)


def fit_table(fn, w, deg):
    """16 intervals centred on k*w (k = round(a/w)); the last one is the constant 1/2 that the
    function reaches (within float32) past 14.5 w. Returns per-degree 16-entry tables."""
    w = f32(w)
    invw = f32(1 / w)
    tables = [[0.0] * 16 for _ in range(deg + 1)]
    worst = 0.0
    for k in range(15):
        lo = max(0.0, (k - 0.5) / invw)
        hi = (k + 0.5) / invw
        pad = 1e-4 * w
        xs = np.linspace(max(0.0, lo - pad), hi + pad, 1500)
        ts = xs - k * w
        c = fit_f32(ts, fn(xs), np.ones_like(xs), deg)
        err = np.max(np.abs(horner_f32(c, ts) - fn(xs)))
        worst = max(worst, err)
        for d in range(deg + 1):
            tables[d][k] = c[d]
    tables[0][15] = 0.5
    tail = 0.5 - fn(14.5 * w)
    return w, invw, tables, worst, tail


def fit_gauss_q(deg):
    """Q(a) = Phi(-a) e^(a^2/2) on [0, 6.5] as a polynomial in t = a - 3.25, for the table-free H and G
    (gauss.h): weighted by e^(-a^2/2), the absolute error of H = 1/2 - e^(-a^2/2) Q. The error is
    evaluated as SIMD128 computes (float32 multiply and add, not fused)."""
    a = np.linspace(0, 6.5, 6501)
    w = np.exp(-0.5 * a * a)
    q = 0.5 * erfc(a / math.sqrt(2)) / w
    c = fit_f32(a - 3.25, q, w, deg)
    t = (a.astype(F32) - F32(3.25)).astype(F32)
    p = np.full_like(t, F32(c[-1]))
    for ck in reversed(c[:-1]):
        p = ((p * t).astype(F32) + F32(ck)).astype(F32)
    err = np.max(np.abs(w * (p.astype(np.float64) - q)))
    return c, err


def fmt(v):
    """Exact C++ hex-float literal of the float32 value, trailing zero digits dropped."""
    h = float(F32(v)).hex()
    mant, exp = h.split("p")
    if "." in mant:
        mant = mant.rstrip("0").rstrip(".")
    return f"{mant}p{exp}f"


def main():
    lines = [
        "// Generated by native/kernels/math/fit/fit_coeffs.py: do not edit by hand, rerun the script.",
        "// Minimax polynomial coefficients, float32, used by every tier (so every tier gives the same bits).",
        "#pragma once",
        "",
        "namespace smelu {",
        "namespace mathc {",
        "",
    ]
    c, err = fit_exp(math.log(2) / 2 * 1.0005, 5)
    print(f"exp deg 5: max rel err {err:.3g}")
    lines.append(f"// exp(r), |r| <= ln2/2, degree 5, c0 = 1: max relative error {err:.2g}")
    lines.append("inline constexpr float kExp[6] = {" + ", ".join(fmt(v) for v in c) + "};")
    lines.append("")

    c, err = fit_exp(math.log(2) / 32 * 1.001, 3)
    print(f"exp fine deg 3: max rel err {err:.3g}")
    lines.append(f"// exp(r), |r| <= ln2/32, degree 3, c0 = 1: max relative error {err:.2g}")
    lines.append("inline constexpr float kExpFine[4] = {" + ", ".join(fmt(v) for v in c) + "};")
    lines.append("")

    c, err = fit_exp2(0.5, 5)
    print(f"exp2 deg 5: max rel err {err:.3g}")
    lines.append(f"// 2^f, |f| <= 1/2, degree 5, c0 = 1: max relative error {err:.2g}")
    lines.append("inline constexpr float kExp2[6] = {" + ", ".join(fmt(v) for v in c) + "};")
    lines.append("")

    c, err = fit_exp2(1 / 32 * 1.001, 3)
    print(f"exp2 fine deg 3: max rel err {err:.3g}")
    lines.append(f"// 2^f, |f| <= 1/32, degree 3, c0 = 1: max relative error {err:.2g}")
    lines.append("inline constexpr float kExp2Fine[4] = {" + ", ".join(fmt(v) for v in c) + "};")
    lines.append("// 2^(j/16), j = 0..15, each minus j << 19 in its bit pattern (exp.h's ExpScaled adds it back")
    lines.append("// with the exponent): not a fit, float32 rounding of the exact values.")
    lines.append("inline constexpr float kExp2Table16[16] = {" + ", ".join(fmt(v) for v in exp2_table16()) + "};")
    lines.append("")

    for deg in (7, 8, 9, 10):
        c, err = fit_log1p(deg)
        print(f"log1p deg {deg}: max rel err {err:.3g}")
    deg = int(os.environ.get("LOG1P_DEG", "8"))
    c, err = fit_log1p(deg)
    lines.append(f"// log1p(e) = e * P(e), e in [0, 1], P of degree {deg}, c0 = 1: max relative error {err:.2g}")
    lines.append(f"inline constexpr int kLog1pDegree = {deg};")
    lines.append("inline constexpr float kLog1p[" + str(deg + 1) + "] = {" + ", ".join(fmt(v) for v in c) + "};")
    lines.append("")

    for name, fn, w, what in (
        ("GeluH", gelu_h, 99 / 256, "H(a) = Phi(a) - 1/2"),
        ("GeluG", gelu_g, 106 / 256, "G(a) = Phi(a) + a phi(a) - 1/2"),
    ):
        w, invw, tables, worst, tail = fit_table(fn, w, 5)
        print(f"{name}: w {w}, max abs err {worst:.3g}, tail 1/2 - f(14.5 w) = {tail:.3g}")
        lines.append(f"// {what} on 16 intervals centred on k w, degree 5 in t = a - k w;")
        lines.append(f"// interval 15 is the constant 1/2 (error there <= {tail:.2g}); max abs error {worst:.2g}")
        lines.append(f"inline constexpr float k{name}Step = {fmt(w)};")
        lines.append(f"inline constexpr float k{name}InvStep = {fmt(invw)};")
        lines.append(f"inline constexpr float k{name}[6][16] = {{")
        for d in range(6):
            lines.append("    {" + ", ".join(fmt(v) for v in tables[d]) + "},")
        lines.append("};")
        lines.append("")

    c, err = fit_gauss_q(11)
    print(f"gauss Q deg 11: max abs err of H {err:.3g}")
    lines.append("// Q(a) = Phi(-a) e^(a^2/2), a in [0, 6.5], degree 11 in t = a - 3.25 (the table-free H and G of")
    lines.append(f"// gauss.h): max absolute error of H = 1/2 - e^(-a^2/2) Q in float32 without fma {err:.2g}")
    lines.append("inline constexpr float kGaussQ[12] = {" + ", ".join(fmt(v) for v in c) + "};")
    lines.append("")

    lines += ["}  // namespace mathc", "}  // namespace smelu", ""]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))
    print("wrote", OUT)


if __name__ == "__main__":
    main()
