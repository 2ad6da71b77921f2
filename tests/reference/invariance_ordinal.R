# Golden values for ordinal measurement invariance (WLSMV, Wu & Estabrook 2016 identification as
# semTools' measEq.syntax), from lavaan 0.6-14 and semTools, on three data sets:
#   hs  : tests/reference/data/hs_ordinal.csv (HolzingerSwineford1939 cut into 4 categories), group = school
#   bfi : tests/reference/data/bfi.csv (psych::bfi), A1-A5 and C1-C5 as ordered (6 categories),
#         group = gender, listwise deletion
#   fcs : tests/reference/data/fcs_sim_cfa.csv (simulated FCS-shaped, 0-4), group = group
#   bfi3: bfi C1-C5 by education in three groups (1-2 low, 3 mid, 4-5 high), listwise
#   cat3: simulated, every item with 3 categories (tests/reference/data/ordinal_3cat_groups.csv, written
#         here), group = grp: the thresholds step is then equivalent to the configural one (same df;
#         lavTestLRT returns the plain difference, df 0 and p NA)
#   diverge: tests/reference/data/ordinal_edges_n120.csv with y5 = y7 capped at 3 (two items answered
#         almost alike: their polychoric correlation is near 1), group = grp (rows alternately "a", "b"),
#         and in group a one person each on 1 and 5 of y3 (written here as
#         tests/reference/data/ordinal_diverging_2grp.csv). In the strict (theta) step the minimum lies at
#         infinity (a loading of y5 grows without bound); lavaan stops early there (chisq 48.339).
# Run once from the repository root:  Rscript tests/reference/invariance_ordinal.R [hs bfi fcs bfi3 cat3 diverge]
# Writes tests/reference/invariance_ordinal_{hs,bfi,fcs,bfi3,cat3,diverge}.json. In each file:
#   steps : configural, thresholds, metric, scalar with parameterization = "delta" and strict with
#           parameterization = "theta" (measEq.syntax refuses equal residual variances in the delta
#           parameterisation); lrt: lavTestLRT of each step against the previous one
#   theta : the five steps, all with parameterization = "theta"; lrt_theta likewise
# Step names -> measEq.syntax group.equal: configural "", thresholds "thresholds",
#   metric c("thresholds","loadings"), scalar c(...,"intercepts"), strict c(...,"residuals").
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
out <- "tests/reference"
FM <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
        "chisq.scaling.factor", "chisq.shift.parameters", "baseline.chisq", "baseline.df",
        "baseline.chisq.scaled", "baseline.chisq.scaling.factor", "baseline.chisq.shift.parameters",
        "cfi", "tli", "cfi.scaled", "tli.scaled", "rmsea", "rmsea.scaled", "rmsea.ci.lower",
        "rmsea.ci.upper", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "srmr", "ntotal")
GE <- list(configural = "", thresholds = "thresholds", metric = c("thresholds", "loadings"),
           scalar = c("thresholds", "loadings", "intercepts"),
           strict = c("thresholds", "loadings", "intercepts", "residuals"))

run_set <- function(name, data, model, items, group, data_desc) {
  fit_step <- function(step, pz) {
    syn <- measEq.syntax(configural.model = model, data = data, ordered = items, parameterization = pz,
                         ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = group,
                         group.equal = GE[[step]])
    cfa(as.character(syn), data = data, ordered = items, estimator = "WLSMV", group = group,
        parameterization = pz)
  }
  describe <- function(fit, step, pz) {
    pe <- parameterEstimates(fit)
    ts <- lavInspect(fit, "test")$scaled.shifted
    list(call = paste0("measEq.syntax(configural.model = model, data = ", data_desc, ", ordered = items, ",
                       "parameterization = '", pz, "', ID.fac = 'std.lv', ID.cat = 'Wu.Estabrook.2016', group = '",
                       group, "', group.equal = ", deparse(GE[[step]]), "); cfa(syntax, ordered = items, ",
                       "estimator = 'WLSMV', group = '", group, "', parameterization = '", pz, "')"),
         parameterization = pz,
         fit = as.list(fitMeasures(fit, FM)),
         scaled_shifted = ts[c("stat", "df", "scaling.factor", "shift.parameter", "trace.UGamma", "trace.UGamma2")],
         params = pe[, intersect(c("lhs", "op", "rhs", "group", "label", "est", "se"), names(pe))])
  }
  lrt <- function(fits, a, b) {
    t <- lavTestLRT(fits[[a]], fits[[b]])
    list(call = paste0("lavTestLRT(fit_", a, ", fit_", b, ")  # method satorra.2000 (scaled.shifted)"),
         chisq_diff = t[["Chisq diff"]][2], df_diff = t[["Df diff"]][2], p = t[["Pr(>Chisq)"]][2])
  }
  pz_delta <- c(configural = "delta", thresholds = "delta", metric = "delta", scalar = "delta", strict = "theta")
  fd <- lapply(names(GE), function(s) fit_step(s, pz_delta[[s]])); names(fd) <- names(GE)
  ft <- lapply(names(GE), function(s) fit_step(s, "theta")); names(ft) <- names(GE)
  res <- list(data = data_desc, model = model, items = items, group = group,
              group_levels = lavInspect(fd$configural, "group.label"),
              steps = lapply(names(GE), function(s) describe(fd[[s]], s, pz_delta[[s]])),
              theta = lapply(names(GE), function(s) describe(ft[[s]], s, "theta")))
  names(res$steps) <- names(GE); names(res$theta) <- names(GE)
  pairs <- list(c("configural", "thresholds"), c("thresholds", "metric"), c("metric", "scalar"),
                c("scalar", "strict"))
  res$lrt <- lapply(pairs, function(p) lrt(fd, p[1], p[2]))
  res$lrt_theta <- lapply(pairs, function(p) lrt(ft, p[1], p[2]))
  names(res$lrt) <- names(res$lrt_theta) <- sapply(pairs, function(p) paste0(p[2], "_vs_", p[1]))
  res$lavaan_version <- as.character(packageVersion("lavaan"))
  res$semtools_version <- as.character(packageVersion("semTools"))
  writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null", dataframe = "columns"),
             file.path(out, paste0("invariance_ordinal_", name, ".json")))
}

sets <- commandArgs(trailingOnly = TRUE)   # e.g. Rscript tests/reference/invariance_ordinal.R bfi3
if (!length(sets)) sets <- c("hs", "bfi", "fcs", "bfi3", "cat3")
if ("hs" %in% sets) {
  hs <- read.csv(file.path(out, "data", "hs_ordinal.csv"))
  run_set("hs", hs, "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9",
          paste0("x", 1:9), "school", "hs_ordinal.csv")
}
ac <- c(paste0("A", 1:5), paste0("C", 1:5))
if ("bfi" %in% sets) {
  bfi <- read.csv(file.path(out, "data", "bfi.csv"))
  bfi <- na.omit(bfi[, c(ac, "gender")])
  run_set("bfi", bfi, "agree =~ A1 + A2 + A3 + A4 + A5\n consc =~ C1 + C2 + C3 + C4 + C5", ac, "gender",
          "na.omit(bfi.csv[, c(A1-A5, C1-C5, gender)])")
}
if ("fcs" %in% sets) {
  fcs <- read.csv(file.path(out, "data", "fcs_sim_cfa.csv"))
  run_set("fcs", fcs, paste0("others =~ ", paste0("oth_", 1:6, collapse = " + "),
                             "\n from =~ ", paste0("from_", 1:5, collapse = " + "),
                             "\n self =~ ", paste0("self_", 1:7, collapse = " + ")),
          names(fcs)[1:18], "group", "fcs_sim_cfa.csv")
}
if ("bfi3" %in% sets) {  # three groups: education 1-2 "low", 3 "mid", 4-5 "high"
  b3 <- read.csv(file.path(out, "data", "bfi.csv"))
  b3 <- na.omit(b3[, c(paste0("C", 1:5), "education")])
  b3$edu3 <- c("low", "low", "mid", "high", "high")[b3$education]
  run_set("bfi3", b3, "consc =~ C1 + C2 + C3 + C4 + C5", paste0("C", 1:5), "edu3",
          "na.omit(bfi.csv[, c(C1-C5, education)]) with edu3 = c(low, low, mid, high, high)[education]")
}
if ("cat3" %in% sets) {  # 2 factors x 4 items, all with 3 categories (skewed), two groups
  set.seed(20261202)
  n <- 700
  grp <- sample(c("a", "b"), n, replace = TRUE)
  eta <- matrix(rnorm(n * 2), n) %*% chol(matrix(c(1, .45, .45, 1), 2))
  lam <- c(.75, .65, .70, .55, .80, .60, .70, .50)
  ys <- sapply(1:8, function(j) lam[j] * eta[, (j - 1) %/% 4 + 1] + sqrt(1 - lam[j]^2) * rnorm(n))
  c3 <- as.data.frame(apply(ys, 2, function(y) findInterval(y, c(-0.2, 1.1)) + 1L))
  names(c3) <- paste0("u", 1:8)
  c3$grp <- grp
  write.csv(c3, file.path(out, "data", "ordinal_3cat_groups.csv"), row.names = FALSE)
  c3 <- read.csv(file.path(out, "data", "ordinal_3cat_groups.csv"))
  run_set("cat3", c3, "f1 =~ u1 + u2 + u3 + u4\n f2 =~ u5 + u6 + u7 + u8", paste0("u", 1:8), "grp",
          "ordinal_3cat_groups.csv")
}
if ("diverge" %in% sets) {
  dv <- read.csv(file.path(out, "data", "ordinal_edges_n120.csv"))
  dv$y5 <- pmin(dv$y7, 3L)
  dv$grp <- ifelse(seq_len(nrow(dv)) %% 2 == 1, "a", "b")
  a5 <- which(dv$grp == "a" & dv$y3 == 5); dv$y3[a5[-1]] <- 4L
  a1 <- which(dv$grp == "a" & dv$y3 == 1); dv$y3[a1[-1]] <- 2L
  write.csv(dv, file.path(out, "data", "ordinal_diverging_2grp.csv"), row.names = FALSE)
  run_set("diverge", dv, "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8", paste0("y", 1:8), "grp",
          "ordinal_diverging_2grp.csv")
}
cat("done\n")
