# Golden values for compassion_scales.analyses.compare.pairwise_welch (compare() post hoc).
# Run from the repository root: Rscript tests/reference/posthoc.R
# Writes tests/reference/compare_posthoc_sat_act.json.
# Input: tests/reference/data/sat_act.csv (psych::sat.act, exported by flows.R).
library(jsonlite)
d <- read.csv("tests/reference/data/sat_act.csv")
d$education <- factor(d$education)
out <- list()
for (v in c("ACT", "SATV", "SATQ")) {
  for (m in c("holm", "bonferroni", "BH")) {
    pw <- pairwise.t.test(d[[v]], d$education, pool.sd = FALSE, p.adjust.method = m)
    pm <- pw$p.value
    for (i in rownames(pm)) for (j in colnames(pm)) if (!is.na(pm[i, j])) {
      out[[length(out) + 1]] <- list(score = v, method = m, group_1 = j, group_2 = i, p_adj = pm[i, j])
    }
  }
  lv <- levels(d$education)
  for (a in seq_along(lv)) for (b in seq_along(lv)) if (a < b) {
    x <- d[[v]][d$education == lv[a]]; y <- d[[v]][d$education == lv[b]]
    tt <- t.test(x, y, var.equal = FALSE)
    out[[length(out) + 1]] <- list(score = v, method = "t.test", group_1 = lv[a], group_2 = lv[b],
                                   t = unname(tt$statistic), df = unname(tt$parameter),
                                   p_val = tt$p.value, mean_diff = unname(tt$estimate[1] - tt$estimate[2]))
  }
}
write_json(list(call = paste("pairwise.t.test(y, education, pool.sd = FALSE, p.adjust.method = m);",
                             "t.test(x, y, var.equal = FALSE) per pair"),
                results = out), "tests/reference/compare_posthoc_sat_act.json", digits = NA, auto_unbox = TRUE)
