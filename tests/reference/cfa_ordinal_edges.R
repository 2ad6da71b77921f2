# Golden values for ordinal CFA edge cases (cfa(..., ordered=True)), from lavaan 0.6-14 and semTools.
# Run once from the repository root:  Rscript tests/reference/cfa_ordinal_edges.R
# Input: tests/reference/data/ordinal_edges_n120.csv, simulated with numpy (default_rng(101); two
# factors correlated .4, loadings U(.5, .85), latent responses cut at -0.8, 0, 0.7, 1.4): n = 120,
# two factors of four 1-5 items, where nobody answered 1 on y1 (recoded to 2), nobody answered 3
# on y2 (recoded to 2: an empty middle category), y5 is binary (cut at 0.3) and y6 has rare
# extreme answers (cut at -2.3, -1, 1, 2.3: nobody chose 1, 3 people chose 5).
# Writes cfa_ordinal_wlsmv_marker_edges.json, cfa_ordinal_ulsmv_stdlv_edges.json and
# cfa_ordinal_degenerate.json: the same data with y3 recoded so that one person (row 1) chose 2
# and everyone else 1. lavaan cannot fit that set (the sampling variance of a polychoric
# correlation is zero): WLSMV does not converge, ULSMV stops with an error in eigen().
# Also cfa_ordinal_wlsmv_heywood_edges.json: the same data with y8 = y7 capped at 4 (two items
# answered almost alike), where the delta solution has a negative residual variance for y8 (a
# Heywood case), and cfa_ordinal_theta_heywood.json: lavaan's theta fit of it, which cannot express
# that solution (residual variances 1) and stops with a larger chi-square and loadings of 45-65.
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
out <- "tests/reference"
dat <- file.path(out, "data")

FM <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
        "chisq.scaling.factor", "chisq.shift.parameters", "baseline.chisq", "baseline.df",
        "baseline.chisq.scaled", "baseline.df.scaled", "baseline.chisq.scaling.factor",
        "cfi", "tli", "cfi.scaled", "tli.scaled", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
        "rmsea.pvalue", "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled",
        "rmsea.pvalue.scaled", "cfi.robust", "tli.robust", "rmsea.robust", "rmsea.ci.lower.robust",
        "rmsea.ci.upper.robust", "rmsea.pvalue.robust", "srmr", "ntotal")

dump_fit <- function(fit, call, file, omega = TRUE, gamma = FALSE) {
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit, type = "std.all")
  ss <- ss[, intersect(c("lhs", "op", "rhs", "group", "est.std", "se"), names(ss))]
  res <- list(
    call = call,
    lavaan_version = as.character(packageVersion("lavaan")),
    semtools_version = as.character(packageVersion("semTools")),
    parameterization = lavInspect(fit, "options")$parameterization,
    fit = as.list(fitMeasures(fit, FM)),
    params = pe[, intersect(c("lhs", "op", "rhs", "group", "est", "se", "z", "pvalue"), names(pe))],
    std = ss,
    thresholds = as.list(lavInspect(fit, "sampstat")$th),
    polychoric = unname(lavInspect(fit, "sampstat")$cov),
    ov_names = lavNames(fit, "ov")
  )
  ts <- lavInspect(fit, "test")$scaled.shifted
  res$scaled_shifted <- ts[c("stat", "df", "scaling.factor", "shift.parameter", "trace.UGamma", "trace.UGamma2")]
  if (gamma) res$gamma <- unname(lavInspect(fit, "gamma"))
  if (omega) {
    om <- compRelSEM(fit, ord.scale = TRUE)
    res$omega_categorical <- as.list(om)
    res$omega_call <- "compRelSEM(fit, ord.scale = TRUE)"
  }
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
             file.path(out, file))
}

edges <- read.csv(file.path(dat, "ordinal_edges_n120.csv"))
edges_model <- "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8"
items <- paste0("y", 1:8)
fit <- cfa(edges_model, data = edges, ordered = items, estimator = "WLSMV")
dump_fit(fit, 'cfa(edges_model, data = ordinal_edges_n120, ordered = paste0("y", 1:8), estimator = "WLSMV")',
         "cfa_ordinal_wlsmv_marker_edges.json")
fit <- cfa(edges_model, data = edges, ordered = items, estimator = "ULSMV", std.lv = TRUE)
dump_fit(fit, 'cfa(edges_model, data = ordinal_edges_n120, ordered = paste0("y", 1:8), estimator = "ULSMV", std.lv = TRUE)',
         "cfa_ordinal_ulsmv_stdlv_edges.json")

single <- edges
single$y3 <- ifelse(seq_len(nrow(single)) == 1, 2L, 1L)
attempt <- function(estimator) {
  tryCatch({
    f <- suppressWarnings(cfa(edges_model, data = single, ordered = items, estimator = estimator))
    list(converged = lavInspect(f, "converged"), min_gamma_diag = min(diag(lavInspect(f, "gamma"))))
  }, error = function(e) list(error = conditionMessage(e)))
}
res <- list(call = 'single <- ordinal_edges_n120; single$y3 <- ifelse(seq_len(nrow(single)) == 1, 2L, 1L); cfa(edges_model, data = single, ordered = paste0("y", 1:8), estimator = ...)',
            lavaan_version = as.character(packageVersion("lavaan")),
            WLSMV = attempt("WLSMV"), ULSMV = attempt("ULSMV"))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           file.path(out, "cfa_ordinal_degenerate.json"))

heywood <- edges
heywood$y8 <- pmin(heywood$y7, 4L)
fit <- cfa(edges_model, data = heywood, ordered = items, estimator = "WLSMV")
dump_fit(fit, 'heywood <- ordinal_edges_n120; heywood$y8 <- pmin(heywood$y7, 4L); cfa(edges_model, data = heywood, ordered = paste0("y", 1:8), estimator = "WLSMV")',
         "cfa_ordinal_wlsmv_heywood_edges.json")
ft <- suppressWarnings(cfa(edges_model, data = heywood, ordered = items, estimator = "WLSMV", parameterization = "theta"))
pe <- parameterEstimates(ft)
res <- list(call = 'cfa(edges_model, data = heywood, ordered = paste0("y", 1:8), estimator = "WLSMV", parameterization = "theta")',
            lavaan_version = as.character(packageVersion("lavaan")), converged = lavInspect(ft, "converged"),
            fit = as.list(fitMeasures(ft, c("chisq", "chisq.scaled"))),
            loadings_f2 = pe$est[pe$lhs == "f2" & pe$op == "=~"])
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           file.path(out, "cfa_ordinal_theta_heywood.json"))
