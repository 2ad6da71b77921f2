# Golden values for compassion_scales.analyses.efa.efa fit statistics when the correlation matrix
# is not positive definite, so psych::fa.stats smooths it with psych::cor.smooth (default
# eig.tol = 1e-12) before the objective, chi-square, RMSEA, TLI and BIC (issue #11).
# Run once from the repository root:  Rscript tests/reference/efa_nonpd.R
# Writes tests/reference/efa_nonpd_psych.json and tests/reference/data/nonpd_cor.csv.
suppressPackageStartupMessages({library(psych); library(jsonlite)})
out <- "tests/reference"
r <- matrix(c(1, .99, .7, .4, .4, .4,
              .99, 1, .5, .4, .4, .4,
              .7, .5, 1, .4, .4, .4,
              .4, .4, .4, 1, .4, .4,
              .4, .4, .4, .4, 1, .4,
              .4, .4, .4, .4, .4, 1), 6, dimnames = list(paste0("V", 1:6), paste0("V", 1:6)))
write.csv(r, file.path(out, "data", "nonpd_cor.csv"))
case <- function(fm, call) {
  f <- suppressWarnings(suppressMessages(fa(r, nfactors = 1, n.obs = 200, fm = fm, rotate = "none")))
  list(call = call, method = fm, min_eigenvalue = min(eigen(r)$values),
       objective = unname(f$objective), chi = unname(f$STATISTIC), dof = f$dof, rms = f$rms,
       rmsea = unname(f$RMSEA[1]), tli = f$TLI, bic = f$BIC, uniquenesses = unname(f$uniquenesses))
}
res <- list(
  minres_1 = case("minres", 'fa(r, nfactors = 1, n.obs = 200, fm = "minres", rotate = "none")'),
  pa_1 = case("pa", 'fa(r, nfactors = 1, n.obs = 200, fm = "pa", rotate = "none")'),
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych"))))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(out, "efa_nonpd_psych.json"))
