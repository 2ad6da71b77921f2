# Golden values for ordinal measurement invariance (WLSMV, delta parameterisation, Wu & Estabrook 2016
# identification), from lavaan 0.6-14 and semTools.
# Run once from the repository root:  Rscript tests/reference/invariance_ordinal.R
# Writes tests/reference/invariance_ordinal_hs.json.
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
out <- "tests/reference"
hs <- read.csv(file.path(out, "data", "hs_ordinal.csv"))
hs_model <- "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
items <- paste0("x", 1:9)
FM <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
        "chisq.scaling.factor", "chisq.shift.parameters", "baseline.chisq", "baseline.df",
        "baseline.chisq.scaled", "cfi", "tli", "cfi.scaled", "tli.scaled", "rmsea", "rmsea.scaled",
        "srmr", "ntotal")
steps <- list(configural = "", thresholds = "thresholds", loadings = c("thresholds", "loadings"))
fits <- list(); res <- list()
for (s in names(steps)) {
  syn <- measEq.syntax(configural.model = hs_model, data = hs, ordered = items, parameterization = "delta",
                       ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = "school",
                       group.equal = steps[[s]])
  fit <- cfa(as.character(syn), data = hs, ordered = items, estimator = "WLSMV", group = "school",
             parameterization = "delta")
  fits[[s]] <- fit
  pe <- parameterEstimates(fit)
  ts <- lavInspect(fit, "test")$scaled.shifted
  res[[s]] <- list(
    call = paste0('measEq.syntax(configural.model = hs_model, data = hs_ordinal, ordered = paste0("x", 1:9), ',
                  'parameterization = "delta", ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = "school", ',
                  'group.equal = ', deparse(steps[[s]]), '); cfa(syntax, ordered = ..., estimator = "WLSMV", group = "school")'),
    fit = as.list(fitMeasures(fit, FM)),
    scaled_shifted = ts[c("stat", "df", "scaling.factor", "shift.parameter", "trace.UGamma", "trace.UGamma2")],
    params = pe[, intersect(c("lhs", "op", "rhs", "group", "label", "est", "se"), names(pe))])
}
lrt <- function(a, b) {
  t <- lavTestLRT(fits[[a]], fits[[b]])
  list(call = paste0("lavTestLRT(fit_", a, ", fit_", b, ")  # method satorra.2000 (scaled.shifted)"),
       chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2], p = t[["Pr(>Chisq)"]][2])
}
res$lrt <- list(thresholds_vs_configural = lrt("configural", "thresholds"),
                loadings_vs_thresholds = lrt("thresholds", "loadings"))
res$lavaan_version <- as.character(packageVersion("lavaan"))
res$semtools_version <- as.character(packageVersion("semTools"))
res$group_levels <- lavInspect(fits$configural, "group.label")
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           file.path(out, "invariance_ordinal_hs.json"))
cat("done\n")
