//! Small dense linear algebra: Gaussian elimination, Cholesky, symmetric
//! eigen-decomposition (Jacobi), Higham's nearest correlation matrix and the
//! spectral radius of a square matrix. Matrices are row-major `n × n` slices.
//! The sizes here are tens to a few hundred: clarity over blocking.

/// Solves `a · x = b` in place (`b` becomes `x`) by Gaussian elimination with
/// partial pivoting. Returns `None` when `a` is numerically singular.
pub fn solve(a: &mut [f64], b: &mut [f64], n: usize) -> Option<()> {
    for col in 0..n {
        let (piv, max) = (col..n)
            .map(|r| (r, a[r * n + col].abs()))
            .fold((col, -1.0), |acc, x| if x.1 > acc.1 { x } else { acc });
        if max.is_nan() || max <= 1e-12 {
            return None;
        }
        if piv != col {
            for j in 0..n {
                a.swap(col * n + j, piv * n + j);
            }
            b.swap(col, piv);
        }
        let d = a[col * n + col];
        for r in col + 1..n {
            let f = a[r * n + col] / d;
            if f != 0.0 {
                for j in col..n {
                    a[r * n + j] -= f * a[col * n + j];
                }
                b[r] -= f * b[col];
            }
        }
    }
    for col in (0..n).rev() {
        let s: f64 = (col + 1..n).map(|j| a[col * n + j] * b[j]).sum();
        b[col] = (b[col] - s) / a[col * n + col];
    }
    Some(())
}

/// Cholesky factor `L` (row-major lower triangle) of a symmetric matrix, or
/// `None` when a pivot is not strictly positive (the matrix is not positive
/// definite).
pub fn cholesky(c: &[f64], n: usize) -> Option<Vec<f64>> {
    cholesky_sweep(c, n, |d| (!d.is_nan() && d > 0.0).then(|| d.sqrt()))
}

/// Cholesky factor of a positive *semi*-definite matrix: pivots below `tol`
/// are treated as exact zeros (that direction carries no variance), so
/// `L·Lᵀ` reproduces the matrix up to `tol`.
pub fn cholesky_semidefinite(c: &[f64], n: usize, tol: f64) -> Vec<f64> {
    let sweep = cholesky_sweep(c, n, |d| Some(if d > tol { d.sqrt() } else { 0.0 }));
    // Every pivot is accepted, so the sweep always completes.
    sweep.unwrap_or_else(|| vec![0.0; n * n])
}

/// The row-by-row Cholesky sweep both factorisations share: `pivot` turns
/// the reduced diagonal `c_ii − Σ_k l_ik²` into `l_ii`, or refuses it
/// (`None` ends the sweep); an entry under a zero pivot is 0.
fn cholesky_sweep(c: &[f64], n: usize, pivot: impl Fn(f64) -> Option<f64>) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                l[i * n + i] = pivot(c[i * n + i] - s)?;
            } else {
                let p = l[j * n + j];
                l[i * n + j] = if p > 0.0 { (c[i * n + j] - s) / p } else { 0.0 };
            }
        }
    }
    Some(l)
}

/// Eigenvalues and eigenvectors of a symmetric matrix by cyclic Jacobi
/// rotations. Returns `(values, vectors)` with eigenvector `k` in column `k`
/// of the row-major `vectors`.
pub fn symmetric_eigen(a: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut m = a.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    let scale: f64 = m.iter().map(|x| x * x).sum::<f64>().max(f64::MIN_POSITIVE);
    for _sweep in 0..100 {
        let off: f64 = (0..n)
            .flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| m[i * n + j] * m[i * n + j])
            .sum();
        if off <= 1e-30 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = m[p * n + q];
                if apq.abs() <= 1e-300 {
                    continue;
                }
                let theta = (m[q * n + q] - m[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let mkp = m[k * n + p];
                    let mkq = m[k * n + q];
                    m[k * n + p] = c * mkp - s * mkq;
                    m[k * n + q] = s * mkp + c * mkq;
                }
                for k in 0..n {
                    let mpk = m[p * n + k];
                    let mqk = m[q * n + k];
                    m[p * n + k] = c * mpk - s * mqk;
                    m[q * n + k] = s * mpk + c * mqk;
                }
                for k in 0..n {
                    let vkp = v[k * n + p];
                    let vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| m[i * n + i]).collect(), v)
}

/// `V · diag(max(λ, floor)) · Vᵀ`: projection onto the matrices whose
/// eigenvalues are at least `floor`.
fn clip_eigen(a: &[f64], n: usize, floor: f64) -> Vec<f64> {
    let (vals, vecs) = symmetric_eigen(a, n);
    let mut out = vec![0.0; n * n];
    for k in 0..n {
        let lam = vals[k].max(floor);
        if lam == 0.0 {
            continue;
        }
        for i in 0..n {
            let vik = vecs[i * n + k] * lam;
            for j in 0..n {
                out[i * n + j] += vik * vecs[j * n + k];
            }
        }
    }
    out
}

/// Higham's (2002) alternating projections with Dykstra's correction: the
/// correlation matrix (unit diagonal, positive semi-definite) nearest to `a`
/// in the Frobenius norm.
pub fn nearest_correlation(a: &[f64], n: usize) -> Vec<f64> {
    let mut y = a.to_vec();
    let mut ds = vec![0.0; n * n];
    let mut x = y.clone();
    for _ in 0..500 {
        let r: Vec<f64> = y.iter().zip(&ds).map(|(y, d)| y - d).collect();
        x = clip_eigen(&r, n, 0.0);
        for k in 0..n * n {
            ds[k] = x[k] - r[k];
        }
        let mut y_new = x.clone();
        for i in 0..n {
            y_new[i * n + i] = 1.0;
        }
        let diff: f64 = y_new.iter().zip(&y).map(|(a, b)| (a - b).powi(2)).sum();
        y = y_new;
        if diff.sqrt() < 1e-12 * (n as f64) {
            break;
        }
    }
    // `x` is PSD, `y` has a unit diagonal; they agree at convergence. Rescale
    // the PSD one to an exact unit diagonal (keeps it PSD).
    let d: Vec<f64> = (0..n).map(|i| x[i * n + i].max(1e-300).sqrt()).collect();
    for i in 0..n {
        for j in 0..n {
            x[i * n + j] /= d[i] * d[j];
        }
    }
    x
}

/// Spectral radius of a square matrix by Gelfand's formula
/// `ρ = lim ‖M^p‖^(1/p)` on `p = 2^14`, renormalising at every squaring.
pub fn spectral_radius(m: &[f64], n: usize) -> f64 {
    let norm = |a: &[f64]| a.iter().map(|x| x * x).sum::<f64>().sqrt();
    let mut a = m.to_vec();
    // M^p = a · exp(log_s)
    let mut log_s = 0.0;
    let mut p = 1.0f64;
    for _ in 0..14 {
        let s = norm(&a);
        if s == 0.0 {
            return 0.0;
        }
        if !s.is_finite() {
            return f64::INFINITY;
        }
        for x in &mut a {
            *x /= s;
        }
        log_s += s.ln();
        a = mat_mul(&a, &a, n);
        log_s *= 2.0;
        p *= 2.0;
    }
    let s = norm(&a);
    if s == 0.0 {
        0.0
    } else {
        ((log_s + s.ln()) / p).exp()
    }
}

/// `a · b` of two row-major `n × n` matrices, accumulated over `k` in order
/// for each `(i, j)` and skipping the zero entries of `a`.
pub(crate) fn mat_mul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    let mut out = vec![0.0; n * n];
    for i in 0..n {
        for k in 0..n {
            let aik = a[i * n + k];
            if aik != 0.0 {
                for j in 0..n {
                    out[i * n + j] += aik * b[k * n + j];
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_recovers_known_solution() {
        let mut a = vec![2.0, 1.0, 0.0, 1.0, 3.0, 1.0, 0.0, 1.0, 4.0];
        let x = [1.0, -2.0, 0.5];
        let mut b: Vec<f64> = (0..3)
            .map(|i| (0..3).map(|j| a[i * 3 + j] * x[j]).sum())
            .collect();
        solve(&mut a, &mut b, 3).unwrap();
        for i in 0..3 {
            assert!((b[i] - x[i]).abs() < 1e-12);
        }
    }

    #[test]
    fn cholesky_reproduces_matrix_and_refuses_indefinite() {
        let c = [1.0, 0.5, 0.5, 1.0];
        let l = cholesky(&c, 2).unwrap();
        assert!((l[2] * l[2] + l[3] * l[3] - 1.0).abs() < 1e-14);
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2).is_none());
    }

    #[test]
    fn jacobi_finds_eigenvalues_of_a_known_matrix() {
        let (mut vals, _) = symmetric_eigen(&[2.0, 1.0, 1.0, 2.0], 2);
        vals.sort_by(f64::total_cmp);
        assert!((vals[0] - 1.0).abs() < 1e-12 && (vals[1] - 3.0).abs() < 1e-12);
    }

    #[test]
    fn nearest_correlation_of_an_indefinite_matrix_is_psd_with_unit_diagonal() {
        // Pairwise-consistent but jointly impossible correlations.
        let a = [1.0, 0.9, -0.9, 0.9, 1.0, 0.9, -0.9, 0.9, 1.0];
        let x = nearest_correlation(&a, 3);
        let (vals, _) = symmetric_eigen(&x, 3);
        assert!(vals.iter().all(|&v| v > -1e-10), "{vals:?}");
        for i in 0..3 {
            assert!((x[i * 3 + i] - 1.0).abs() < 1e-12);
        }
    }

    #[test]
    fn spectral_radius_of_companion_matrix() {
        // x_t = 0.5 x_{t-1} + 0.3 x_{t-2}: roots of z² - 0.5z - 0.3.
        let r = spectral_radius(&[0.5, 0.3, 1.0, 0.0], 2);
        let expected = (0.5 + (0.25f64 + 1.2).sqrt()) / 2.0;
        assert!((r - expected).abs() < 1e-3, "{r} vs {expected}");
        assert!(spectral_radius(&[1.2, 0.0, 1.0, 0.0], 2) > 1.0);
    }
}
