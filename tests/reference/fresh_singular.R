# Golden values for squared multiple correlations (compassion_scales.stats.correlation.smc) and
# what uses them -- Guttman's lambda-6 in reliability/cronbach_alpha/omega, principal-axis start
# values -- on SINGULAR correlation matrices, found by benchmarks/fidelity_fresh.py (fresh data):
#   fresh_total_column.csv: 5 Likert items (1-5, n = 200) plus their sum "total" (a user who
#       leaves the total-score column among the items);
#   fresh_fewer_people.csv: 10 continuous items answered by 8 people (n < k).
# psych::smc always inverts with psych::Pinv (SVD, singular values below sqrt(eps) x the largest
# dropped); cscore used numpy's inverse, which on such matrices returns huge meaningless values
# instead of failing, so lambda-6 was 1.0 (psych: 0.7695) for the total-score data.
# psych::KMO's solve() fails on these matrices ("computationally singular"); cscore raises its
# documented AnalysisError (recorded here as kmo_error).
# psych::fa.stats smooths a singular matrix (cor.smooth) before the chi-square: R's smallest
# eigenvalue of it is rounding noise below machine epsilon; numpy's fell just above, so cscore
# did not smooth and reported chisq 5480 where psych reports 3301 (pa_fit, total_column).
# Run once from the repository root:  Rscript tests/reference/fresh_singular.R
# Writes tests/reference/fresh_singular_psych.json.
suppressPackageStartupMessages({library(psych); library(jsonlite)})
out <- "tests/reference"
case <- function(file, call) {
  x <- read.csv(file.path(out, "data", file))
  a <- suppressWarnings(psych::alpha(x, warnings = FALSE))
  r <- cor(x)
  pa <- suppressMessages(suppressWarnings(psych::fa(x, 1, fm = "pa", warnings = FALSE)))
  o <- suppressMessages(suppressWarnings(psych::omega(x, nfactors = 1, plot = FALSE)))
  kmo <- tryCatch({solve(r); "invertible"}, error = function(e) conditionMessage(e))
  list(call = call, file = file, items = colnames(x), n_obs = nrow(x),
       raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
       g6 = a$total[["G6(smc)"]], smc = unname(suppressMessages(psych::smc(r))),
       pa_loadings = unname(c(unclass(pa$loadings))), pa_communality = unname(pa$communality),
       omega_g6 = o$G6, kmo_error = kmo,
       pa_fit = list(objective = pa$objective, chisq = unname(pa$STATISTIC), dof = pa$dof,
                     null_chisq = pa$null.chisq, tli = pa$TLI, rmsea = unname(pa$RMSEA[1]),
                     bic = pa$BIC, min_eigenvalue_R = min(eigen(r)$values)))
}
res <- list(
  total_column = case("fresh_total_column.csv",
    "alpha(x)$total; smc(cor(x)); fa(x, 1, fm = 'pa'); omega(x, 1)$G6  # x = fresh_total_column.csv"),
  fewer_people = case("fresh_fewer_people.csv",
    "alpha(x)$total; smc(cor(x)); fa(x, 1, fm = 'pa'); omega(x, 1)$G6  # x = fresh_fewer_people.csv"),
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych"))))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(out, "fresh_singular_psych.json"))
