# Golden values for compassion_scales.analyses.efa (EFA, parallel analysis, KMO, Bartlett).
# Run once from the repository root:  Rscript tests/reference/efa.R
# R 4.2.2, psych 2.2.9, GPArotation 2022.10-2 (Debian r-cran-psych, r-cran-gparotation).
# Each fixture starts with "# call: ..." lines recording the R call that made it
# (read them with pandas.read_csv(..., comment="#")).
suppressPackageStartupMessages({library(psych); library(GPArotation)})
out <- "tests/reference"
dir.create(file.path(out, "data"), showWarnings = FALSE)

write_fixture <- function(df, file, call) {
  path <- file.path(out, file)
  con <- file(path, "w")
  writeLines(paste0("# call: ", call), con)
  writeLines(paste0("# R ", R.version$major, ".", R.version$minor, ", psych ", packageVersion("psych"),
                    ", GPArotation ", packageVersion("GPArotation")), con)
  close(con)
  suppressWarnings(write.table(df, path, sep = ",", row.names = FALSE, append = TRUE, na = "",
                               quote = TRUE, col.names = TRUE))
}

# ---- datasets -------------------------------------------------------------
bfi_path <- file.path(out, "data", "bfi.csv")
if (!file.exists(bfi_path)) {
  # all 28 columns of psych::bfi (25 items, gender, education, age); NA written as empty
  write.csv(psych::bfi, bfi_path, row.names = FALSE, na = "")
}
items <- psych::bfi[, 1:25]
h74 <- datasets::Harman74.cor$cov   # 24 ability tests, n = 145
write.csv(data.frame(item = rownames(h74), h74, check.names = FALSE),
          file.path(out, "data", "harman74_cor.csv"), row.names = FALSE)

# ---- EFA solutions --------------------------------------------------------
solution <- function(x, nf, fm, rotate, tag, dataset, call, n.obs = NA) {
  f <- fa(x, nfactors = nf, fm = fm, rotate = rotate, n.obs = n.obs, warnings = FALSE)
  L <- unclass(f$loadings)
  k <- ncol(L)
  colnames(L) <- paste0("factor_", seq_len(k))
  df <- data.frame(item = rownames(L), L, communality = f$communality,
                   uniqueness = f$uniquenesses, complexity = f$complexity, check.names = FALSE)
  stem <- paste(fm, tag, nf, dataset, sep = "_")
  write_fixture(df, paste0("loadings_", stem, ".csv"), call)
  if (!is.null(f$Phi)) {
    P <- f$Phi; colnames(P) <- paste0("factor_", seq_len(k))
    write_fixture(data.frame(factor = paste0("factor_", seq_len(k)), P, check.names = FALSE),
                  paste0("phi_", stem, ".csv"), call)
  }
  V <- f$Vaccounted
  vdf <- data.frame(factor = paste0("factor_", seq_len(k)), ss_loadings = V[1, ])
  if (k > 1) {
    vdf$proportion_var <- V[2, ]; vdf$cumulative_var <- V[3, ]; vdf$proportion_explained <- V[4, ]
  } else {
    vdf$proportion_var <- V[2, ]
  }
  write_fixture(vdf, paste0("variance_", stem, ".csv"), call)
  nz <- function(x) if (is.null(x)) NA else x
  fit <- data.frame(n_obs = nz(f$n.obs), df = f$dof, objective = f$objective, chi2 = nz(f$STATISTIC),
                    p_val = nz(f$PVAL), tli = nz(f$TLI), rmsea = nz(f$RMSEA[1]),
                    rmsea_ci_low = nz(f$RMSEA[2]), rmsea_ci_high = nz(f$RMSEA[3]), bic = nz(f$BIC),
                    null_chi2 = nz(f$null.chisq), null_df = f$null.dof, rms = f$rms, crms = f$crms,
                    fit_off = f$fit.off, harmonic_n = f$nh)
  write_fixture(fit, paste0("fit_", stem, ".csv"), call)
  ev <- data.frame(number = seq_along(f$e.values), eigenvalue = f$e.values, fa_eigenvalue = f$values)
  write_fixture(ev, paste0("eigenvalues_", stem, ".csv"), call)
  invisible(f)
}

runs <- list(
  list(3, "minres", "oblimin"), list(5, "minres", "oblimin"), list(1, "minres", "none"),
  list(5, "minres", "none"), list(5, "minres", "promax"), list(5, "minres", "varimax"),
  list(5, "minres", "geominQ"), list(5, "minres", "geominT"),
  list(3, "ml", "varimax"), list(5, "ml", "varimax"), list(5, "ml", "oblimin"),
  list(5, "pa", "varimax"), list(5, "pa", "oblimin")
)
for (r in runs) {
  call <- sprintf('fa(psych::bfi[, 1:25], nfactors = %d, fm = "%s", rotate = "%s")  # pairwise Pearson r',
                  r[[1]], r[[2]], r[[3]])
  solution(items, r[[1]], r[[2]], r[[3]], r[[3]], "bfi", call)
}
# listwise deletion
cc <- na.omit(items)
solution(cc, 5, "minres", "oblimin", "oblimin", "bfi_listwise",
         'fa(na.omit(psych::bfi[, 1:25]), nfactors = 5, fm = "minres", rotate = "oblimin")  # listwise, n = 2436')
# correlation-matrix input
solution(h74, 4, "ml", "varimax", "varimax", "harman74",
         'fa(datasets::Harman74.cor$cov, nfactors = 4, fm = "ml", rotate = "varimax", n.obs = 145)', n.obs = 145)
solution(h74, 4, "minres", "oblimin", "oblimin", "harman74",
         'fa(datasets::Harman74.cor$cov, nfactors = 4, fm = "minres", rotate = "oblimin", n.obs = 145)', n.obs = 145)

# ---- KMO and Bartlett ------------------------------------------------------
k <- KMO(items)
write_fixture(data.frame(item = c("overall", names(k$MSAi)), msa = c(k$MSA, k$MSAi)),
              "kmo_pairwise_bfi.csv", "KMO(psych::bfi[, 1:25])  # pairwise Pearson r")
k2 <- KMO(cc)
write_fixture(data.frame(item = c("overall", names(k2$MSAi)), msa = c(k2$MSA, k2$MSAi)),
              "kmo_listwise_bfi.csv", "KMO(na.omit(psych::bfi[, 1:25]))")
b1 <- cortest.bartlett(cor(items, use = "pairwise"), n = nrow(items))
b2 <- cortest.bartlett(cor(cc), n = nrow(cc))
write_fixture(data.frame(missing = c("pairwise", "listwise"), n_obs = c(nrow(items), nrow(cc)),
                         chi2 = c(b1$chisq, b2$chisq), df = c(b1$df, b2$df), p_val = c(b1$p.value, b2$p.value)),
              "bartlett_bfi.csv",
              'cortest.bartlett(cor(x, use = "pairwise"), n = nrow(x)) for x = psych::bfi[, 1:25] and na.omit(x)')

# ---- parallel analysis -----------------------------------------------------
options(mc.cores = 1)  # fa.parallel uses mclapply; one core makes set.seed reproducible
set.seed(42)
pa <- fa.parallel(items, fm = "minres", fa = "both", n.iter = 100, quant = 0.95, plot = FALSE)
# pa$values: one row per iteration; columns = resampled pc, resampled fa, simulated pc, simulated fa
q <- apply(pa$values, 2, quantile, 0.95)
write_fixture(data.frame(number = seq_along(pa$fa.values), observed_pc = pa$pc.values,
                         observed_fa = pa$fa.values, simulated_pc_mean = pa$pc.sim, simulated_fa_mean = pa$fa.sim,
                         resampled_pc_mean = pa$pc.simr, resampled_fa_mean = pa$fa.simr,
                         resampled_pc_q95 = q[1:25], resampled_fa_q95 = q[26:50],
                         simulated_pc_q95 = q[51:75], simulated_fa_q95 = q[76:100],
                         n_factors = pa$nfact, n_components = pa$ncomp),
              "parallel_minres_bfi.csv",
              'options(mc.cores = 1); set.seed(42); fa.parallel(psych::bfi[, 1:25], fm = "minres", fa = "both", n.iter = 100, quant = 0.95)')
cat("done\n")
