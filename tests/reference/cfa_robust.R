# Golden values for robust ML (estimator = "MLR") in compassion_scales.analyses.cfa (cfa) and
# compassion_scales.analyses.invariance (invariance), from lavaan 0.6-14.
# MLR = ML estimates, Huber-White sandwich standard errors (observed information as bread,
# first-order information as meat) and the Yuan-Bentler scaled chi-square (Mplus variant,
# test = "yuan.bentler.mplus"), robust CFI/TLI/RMSEA as fitMeasures' ".robust" columns.
# Run once from the repository root:  Rscript tests/reference/cfa_robust.R
# Writes tests/reference/cfa_mlr_*.json and tests/reference/data/fcs_sim_cfa.csv.
suppressPackageStartupMessages({library(lavaan); library(psych); library(jsonlite)})
out <- "tests/reference"
dat <- file.path(out, "data")
HS <- read.csv(file.path(dat, "HolzingerSwineford1939.csv"))
bfi <- read.csv(file.path(dat, "bfi.csv"))

# A simulated FCS-shaped set: 3 correlated factors (6, 5, 7 items), answers 0-4 cut from
# normal responses with skewed thresholds (many 0s, as FCS data), n = 450, two groups.
set.seed(20261203)
n <- 450
Phi <- matrix(c(1, .5, .4, .5, 1, .6, .4, .6, 1), 3)
F <- MASS::mvrnorm(n, rep(0, 3), Phi)
lam <- list(c(.8, .7, .75, .6, .65, .7), c(.7, .8, .6, .55, .75), c(.8, .75, .7, .65, .6, .7, .55))
cuts <- c(-0.2, 0.5, 1.1, 1.7)
cols <- list(); k <- 0
for (f in 1:3) for (j in seq_along(lam[[f]])) {
  k <- k + 1
  z <- lam[[f]][j] * F[, f] + sqrt(1 - lam[[f]][j]^2) * rnorm(n)
  cols[[sprintf("%s_%d", c("oth", "from", "self")[f], j)]] <- findInterval(z, cuts)
}
fcs <- as.data.frame(cols)
fcs$group <- rep(c("a", "b"), length.out = n)
write.csv(fcs, file.path(dat, "fcs_sim_cfa.csv"), row.names = FALSE)
fcs <- read.csv(file.path(dat, "fcs_sim_cfa.csv"))

FM <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
        "chisq.scaling.factor", "baseline.chisq", "baseline.df", "baseline.chisq.scaled",
        "baseline.chisq.scaling.factor", "cfi", "tli", "cfi.scaled", "tli.scaled",
        "cfi.robust", "tli.robust", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
        "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "rmsea.robust",
        "rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "srmr", "logl", "aic", "bic", "ntotal")

dump_fit <- function(fit, call, file) {
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit, type = "std.all")
  res <- list(
    call = call, lavaan_version = as.character(packageVersion("lavaan")),
    fit = as.list(fitMeasures(fit, FM)),
    params = pe[, intersect(c("lhs", "op", "rhs", "group", "est", "se", "z", "pvalue"), names(pe))],
    std = ss[, intersect(c("lhs", "op", "rhs", "group", "est.std", "se", "z", "pvalue"), names(ss))])
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
             file.path(out, file))
}

hs_model <- "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
bfi_model <- paste(
  "agree =~ A1 + A2 + A3 + A4 + A5", "consc =~ C1 + C2 + C3 + C4 + C5",
  "extra =~ E1 + E2 + E3 + E4 + E5", "neuro =~ N1 + N2 + N3 + N4 + N5",
  "open =~ O1 + O2 + O3 + O4 + O5", sep = "\n")
fcs_model <- paste(
  "others =~ oth_1 + oth_2 + oth_3 + oth_4 + oth_5 + oth_6",
  "from =~ from_1 + from_2 + from_3 + from_4 + from_5",
  "self =~ self_1 + self_2 + self_3 + self_4 + self_5 + self_6 + self_7", sep = "\n")

dump_fit(cfa(hs_model, data = HS, estimator = "MLR"),
         'cfa(hs_model, data = HolzingerSwineford1939, estimator = "MLR")', "cfa_mlr_hs.json")
dump_fit(cfa(hs_model, data = HS, estimator = "MLR", std.lv = TRUE),
         'cfa(hs_model, data = HolzingerSwineford1939, estimator = "MLR", std.lv = TRUE)',
         "cfa_mlr_stdlv_hs.json")
dump_fit(cfa(bfi_model, data = bfi, estimator = "MLR", missing = "listwise"),
         'cfa(bfi_model, data = bfi, estimator = "MLR", missing = "listwise")', "cfa_mlr_bfi.json")
dump_fit(cfa(fcs_model, data = fcs, estimator = "MLR"),
         'cfa(fcs_model, data = fcs_sim_cfa, estimator = "MLR")', "cfa_mlr_fcs.json")
dump_fit(cfa(bfi_model, data = bfi, estimator = "MLR", missing = "fiml"),
         'cfa(bfi_model, data = bfi, estimator = "MLR", missing = "fiml")', "cfa_mlr_fiml_bfi.json")

# invariance with MLR: the four steps and lavTestLRT (Satorra-Bentler 2001 scaled differences)
inv_case <- function(model, data, group, name, label) {
  steps <- list(configural = NULL, metric = "loadings", scalar = c("loadings", "intercepts"),
                strict = c("loadings", "intercepts", "residuals"))
  fits <- lapply(steps, function(ge)
    if (is.null(ge)) cfa(model, data = data, group = group, estimator = "MLR") else
      cfa(model, data = data, group = group, group.equal = ge, estimator = "MLR"))
  lrt <- lavTestLRT(fits$configural, fits$metric, fits$scalar, fits$strict)
  lrt <- data.frame(model = rownames(lrt), as.data.frame(lrt), check.names = FALSE)
  res <- list(call = sprintf('lavTestLRT(<4 steps of cfa(model, data = %s, group = "%s", estimator = "MLR", group.equal = ...)>)',
                             label, group),
              lavaan_version = as.character(packageVersion("lavaan")),
              method = attr(lavTestLRT(fits$configural, fits$metric), "heading"),
              lrt = lrt,
              fits = lapply(fits, function(f) as.list(fitMeasures(f, FM))),
              params_scalar = parameterEstimates(fits$scalar)[, c("lhs", "op", "rhs", "group", "est", "se")])
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
             file.path(out, name))
}
inv_case(hs_model, HS, "school", "cfa_mlr_invariance_hs.json", "HolzingerSwineford1939")
inv_case(fcs_model, fcs, "group", "cfa_mlr_invariance_fcs.json", "fcs_sim_cfa")

# MLR with FIML across groups: HS with 6% of the x1-x9 answers removed at random (seed below)
set.seed(20261204)
HSm <- HS
X <- as.matrix(HSm[, paste0("x", 1:9)])
X[matrix(runif(length(X)) < .06, nrow(X))] <- NA
HSm[, paste0("x", 1:9)] <- X
write.csv(HSm, file.path(dat, "hs_missing.csv"), row.names = FALSE, na = "")
HSm <- read.csv(file.path(dat, "hs_missing.csv"))
f1 <- cfa(hs_model, data = HSm, group = "school", estimator = "MLR", missing = "fiml")
f2 <- cfa(hs_model, data = HSm, group = "school", group.equal = "loadings", estimator = "MLR", missing = "fiml")
lrt <- lavTestLRT(f1, f2)
res <- list(call = 'cfa(hs_model, data = hs_missing, group = "school", estimator = "MLR", missing = "fiml"[, group.equal = "loadings"]); lavTestLRT',
            lavaan_version = as.character(packageVersion("lavaan")),
            lrt = data.frame(model = rownames(lrt), as.data.frame(lrt), check.names = FALSE),
            fits = list(configural = as.list(fitMeasures(f1, FM)), metric = as.list(fitMeasures(f2, FM))),
            params_metric = parameterEstimates(f2)[, c("lhs", "op", "rhs", "group", "est", "se")])
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           file.path(out, "cfa_mlr_fiml_invariance_hs.json"))
