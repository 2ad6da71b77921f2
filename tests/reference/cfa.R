# Golden values for compassion_scales.analyses.cfa (cfa) and
# compassion_scales.analyses.invariance (invariance), from lavaan.
# Run once from the repository root:  Rscript tests/reference/cfa.R
# Writes tests/reference/cfa_*.json and exports the input datasets to
# tests/reference/data/ (HolzingerSwineford1939.csv; bfi.csv if not already there).
suppressPackageStartupMessages({library(lavaan); library(psych); library(jsonlite)})
out <- "tests/reference"
dat <- file.path(out, "data")
dir.create(dat, showWarnings = FALSE, recursive = TRUE)

HS <- lavaan::HolzingerSwineford1939
write.csv(HS, file.path(dat, "HolzingerSwineford1939.csv"), row.names = FALSE, na = "")
bfi_file <- file.path(dat, "bfi.csv")
if (!file.exists(bfi_file)) write.csv(psych::bfi, bfi_file, row.names = FALSE, na = "")

FM <- c("npar", "chisq", "df", "pvalue", "baseline.chisq", "baseline.df", "cfi", "tli",
        "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue", "srmr", "logl",
        "unrestricted.logl", "aic", "bic", "ntotal")

dump_fit <- function(fit, call, file, n_mi = 30) {
  pe <- parameterEstimates(fit, standardized = FALSE)
  ss <- standardizedSolution(fit, type = "std.all")
  mi <- modindices(fit, sort. = TRUE, maximum.number = n_mi)
  res <- list(
    call = call,
    lavaan_version = as.character(packageVersion("lavaan")),
    fit = as.list(fitMeasures(fit, FM)),
    params = pe[, intersect(c("lhs", "op", "rhs", "group", "est", "se", "z", "pvalue"), names(pe))],
    std = ss[, intersect(c("lhs", "op", "rhs", "group", "est.std", "se", "z", "pvalue"), names(ss))],
    mi = as.data.frame(mi)[, intersect(c("lhs", "op", "rhs", "group", "mi", "epc", "sepc.all"), names(mi))]
  )
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
             file.path(out, file))
}

hs_model <- "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
fit <- cfa(hs_model, data = HS)
dump_fit(fit, 'cfa(hs_model, data = HolzingerSwineford1939)', "cfa_ml_marker_hs.json")
fit <- cfa(hs_model, data = HS, std.lv = TRUE)
dump_fit(fit, 'cfa(hs_model, data = HolzingerSwineford1939, std.lv = TRUE)', "cfa_ml_stdlv_hs.json")

bfi_model <- paste(
  "agree =~ A1 + A2 + A3 + A4 + A5",
  "consc =~ C1 + C2 + C3 + C4 + C5",
  "extra =~ E1 + E2 + E3 + E4 + E5",
  "neuro =~ N1 + N2 + N3 + N4 + N5",
  "open =~ O1 + O2 + O3 + O4 + O5", sep = "\n")
fit <- cfa(bfi_model, data = psych::bfi, missing = "listwise")
dump_fit(fit, 'cfa(bfi_model, data = psych::bfi, missing = "listwise")', "cfa_ml_marker_bfi.json")

# full-information ML on the items with their natural missingness (rows missing every item dropped)
fit <- cfa(bfi_model, data = psych::bfi, missing = "fiml")
dump_fit(fit, 'cfa(bfi_model, data = psych::bfi, missing = "fiml")', "cfa_fiml_marker_bfi.json")
# FIML with groups (by gender) for the multi-group code path
fit <- cfa(bfi_model, data = psych::bfi, missing = "fiml", group = "gender", group.equal = "loadings")
dump_fit(fit, 'cfa(bfi_model, data = psych::bfi, missing = "fiml", group = "gender", group.equal = "loadings")',
         "cfa_fiml_metric_gender_bfi.json", n_mi = 10)

# measurement invariance across schools
steps <- list(configural = NULL, metric = "loadings",
              scalar = c("loadings", "intercepts"),
              strict = c("loadings", "intercepts", "residuals"))
fits <- list()
for (s in names(steps)) {
  ge <- steps[[s]]
  fits[[s]] <- if (is.null(ge)) cfa(hs_model, data = HS, group = "school") else
    cfa(hs_model, data = HS, group = "school", group.equal = ge)
  call <- sprintf('cfa(hs_model, data = HolzingerSwineford1939, group = "school"%s)',
                  if (is.null(ge)) "" else sprintf(", group.equal = c(%s)",
                                                   paste0('"', ge, '"', collapse = ", ")))
  dump_fit(fits[[s]], call, sprintf("cfa_invariance_%s_hs.json", s), n_mi = 10)
}
# partial scalar invariance: intercept of x3 released (the largest score test)
fit_p <- cfa(hs_model, data = HS, group = "school", group.equal = c("loadings", "intercepts"),
             group.partial = c("x3~1"))
dump_fit(fit_p, 'cfa(hs_model, data = HolzingerSwineford1939, group = "school", group.equal = c("loadings", "intercepts"), group.partial = c("x3~1"))',
         "cfa_invariance_partial_x3_hs.json", n_mi = 10)
lrt <- lavTestLRT(fits$configural, fits$metric, fits$scalar, fits$strict)
lrt <- data.frame(model = rownames(lrt), as.data.frame(lrt), check.names = FALSE)
# univariate score tests for releasing each equality constraint (partial invariance)
score_tab <- function(fit) {
  st <- lavTestScore(fit)$uni
  pt <- parTable(fit)
  lab <- function(x) {
    r <- pt[pt$plabel == x, ]
    paste0(r$lhs, r$op, r$rhs, "@g", r$group)
  }
  data.frame(lhs_param = sapply(st$lhs, lab), rhs_param = sapply(st$rhs, lab),
             X2 = st$X2, df = st$df, p.value = st$p.value)
}
res <- list(
  call = 'lavTestLRT(configural, metric, scalar, strict); lavTestScore(metric)$uni; lavTestScore(scalar)$uni',
  lavaan_version = as.character(packageVersion("lavaan")),
  lrt = lrt,
  group_labels = lavInspect(fits$configural, "group.label"),
  score_metric = score_tab(fits$metric),
  score_scalar = score_tab(fits$scalar),
  score_strict = score_tab(fits$strict))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           file.path(out, "cfa_invariance_lrt_hs.json"))
cat("done\n")
