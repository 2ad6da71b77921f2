# Golden values for compassion_scales.analyses.ordinal_cfa (cfa(..., ordered=..., estimator="WLSMV"/"ULSMV")),
# from lavaan 0.6-14 and semTools.
# Run once from the repository root:  Rscript tests/reference/cfa_ordinal.R
# Writes tests/reference/cfa_ordinal_*.json and the ordinal input data sets
# tests/reference/data/hs_ordinal.csv and tests/reference/data/fcs_sim_ordinal.csv.
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
out <- "tests/reference"
dat <- file.path(out, "data")

# 1. HolzingerSwineford1939 cut into categories: x1-x5 into 4 (mean + c(-1, 0, 1) sd),
#    x6-x9 into 3 (mean -/+ 0.5 sd); categories coded 1..K
HS <- read.csv(file.path(dat, "HolzingerSwineford1939.csv"))
hs <- HS[, c("school", paste0("x", 1:9))]
for (v in paste0("x", 1:5)) {
  x <- HS[[v]]; hs[[v]] <- findInterval(x, mean(x) + c(-1, 0, 1) * sd(x)) + 1L
}
for (v in paste0("x", 6:9)) {
  x <- HS[[v]]; hs[[v]] <- findInterval(x, mean(x) + c(-0.5, 0.5) * sd(x)) + 1L
}
write.csv(hs, file.path(dat, "hs_ordinal.csv"), row.names = FALSE)

# 2. psych::bfi items (6 categories), listwise (lavaan's default with ordered items)
bfi <- read.csv(file.path(dat, "bfi.csv"))

# 3. simulated FCS-shaped data: 3 factors x 6 items, answers 0-4, positively skewed
set.seed(20261201)
n <- 600
Phi <- matrix(c(1, .45, .30, .45, 1, .55, .30, .55, 1), 3)
lam <- c(.80, .72, .65, .58, .70, .50, .75, .68, .62, .55, .78, .45, .82, .70, .66, .60, .74, .52)
fac <- rep(1:3, each = 6)
eta <- matrix(rnorm(n * 3), n) %*% chol(Phi)
ystar <- sapply(1:18, function(j) lam[j] * eta[, fac[j]] + rnorm(n, sd = sqrt(1 - lam[j]^2)))
cuts <- c(-0.25, 0.45, 1.05, 1.65)
fcs <- as.data.frame(apply(ystar, 2, function(y) findInterval(y, cuts)))
names(fcs) <- c(paste0("co", 1:6), paste0("fo", 1:6), paste0("se", 1:6))
fcs$sex <- sample(c("f", "m"), n, replace = TRUE, prob = c(.6, .4))
write.csv(fcs, file.path(dat, "fcs_sim_ordinal.csv"), row.names = FALSE)

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

hs_model <- "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
hs_items <- paste0("x", 1:9)
fit <- cfa(hs_model, data = hs, ordered = hs_items, estimator = "WLSMV")
dump_fit(fit, 'cfa(hs_model, data = hs_ordinal, ordered = paste0("x", 1:9), estimator = "WLSMV")',
         "cfa_ordinal_wlsmv_marker_hs.json", gamma = TRUE)
fit <- cfa(hs_model, data = hs, ordered = hs_items, estimator = "WLSMV", std.lv = TRUE)
dump_fit(fit, 'cfa(hs_model, data = hs_ordinal, ordered = paste0("x", 1:9), estimator = "WLSMV", std.lv = TRUE)',
         "cfa_ordinal_wlsmv_stdlv_hs.json")
fit <- cfa(hs_model, data = hs, ordered = hs_items, estimator = "ULSMV")
dump_fit(fit, 'cfa(hs_model, data = hs_ordinal, ordered = paste0("x", 1:9), estimator = "ULSMV")',
         "cfa_ordinal_ulsmv_marker_hs.json")
fit <- cfa(paste(hs_model, "\n x7 ~~ x8"), data = hs, ordered = hs_items, estimator = "WLSMV")
dump_fit(fit, 'cfa(paste(hs_model, "\\n x7 ~~ x8"), data = hs_ordinal, ordered = paste0("x", 1:9), estimator = "WLSMV")',
         "cfa_ordinal_wlsmv_rescov_hs.json")
fit <- cfa(hs_model, data = hs, ordered = hs_items, estimator = "WLSMV", parameterization = "theta")
dump_fit(fit, 'cfa(hs_model, data = hs_ordinal, ordered = paste0("x", 1:9), estimator = "WLSMV", parameterization = "theta")',
         "cfa_ordinal_wlsmv_theta_hs.json", omega = FALSE)

# binary items (2 x 2 tables): x1-x9 split at their means
hsb <- hs
for (v in paste0("x", 1:9)) hsb[[v]] <- as.integer(HS[[v]] > mean(HS[[v]]))
write.csv(hsb, file.path(dat, "hs_binary.csv"), row.names = FALSE)
fit <- cfa(hs_model, data = hsb, ordered = hs_items, estimator = "WLSMV", std.lv = TRUE)
dump_fit(fit, 'cfa(hs_model, data = hs_binary, ordered = paste0("x", 1:9), estimator = "WLSMV", std.lv = TRUE)',
         "cfa_ordinal_wlsmv_stdlv_hsbinary.json")

bfi_model <- paste(
  "agree =~ A1 + A2 + A3 + A4 + A5",
  "consc =~ C1 + C2 + C3 + C4 + C5",
  "extra =~ E1 + E2 + E3 + E4 + E5",
  "neuro =~ N1 + N2 + N3 + N4 + N5",
  "open =~ O1 + O2 + O3 + O4 + O5", sep = "\n")
bfi_items <- c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5), paste0("N", 1:5), paste0("O", 1:5))
fit <- cfa(bfi_model, data = bfi, ordered = bfi_items, estimator = "WLSMV")
dump_fit(fit, 'cfa(bfi_model, data = psych::bfi, ordered = bfi_items, estimator = "WLSMV")',
         "cfa_ordinal_wlsmv_marker_bfi.json")

fcs_model <- paste("others =~ co1 + co2 + co3 + co4 + co5 + co6",
                   "from =~ fo1 + fo2 + fo3 + fo4 + fo5 + fo6",
                   "self =~ se1 + se2 + se3 + se4 + se5 + se6", sep = "\n")
fcs_items <- names(fcs)[1:18]
fit <- cfa(fcs_model, data = fcs, ordered = fcs_items, estimator = "WLSMV", std.lv = TRUE)
dump_fit(fit, 'cfa(fcs_model, data = fcs_sim_ordinal, ordered = TRUE, estimator = "WLSMV", std.lv = TRUE)',
         "cfa_ordinal_wlsmv_stdlv_fcs.json")
fit <- cfa(fcs_model, data = fcs, ordered = fcs_items, estimator = "ULSMV")
dump_fit(fit, 'cfa(fcs_model, data = fcs_sim_ordinal, ordered = TRUE, estimator = "ULSMV")',
         "cfa_ordinal_ulsmv_marker_fcs.json")
cat("done\n")
