# Golden values for the default-prior JZS Bayes factor of compassion_scales.compare
# (column bf10, two groups), from R BayesFactor.
# Run once from the repository root:  Rscript tests/reference/bayes_factor.R
# Writes tests/reference/bayes_factor_ttest.json. Tests never run R.
#   sat_act: psych::sat.act as exported by flows.R (tests/reference/data/sat_act.csv),
#            gender 1 vs 2 for ACT, SATV, SATQ (rows with the score present);
#            BayesFactor::ttestBF(x, y, rscale = "medium")  (r = sqrt(2)/2 = 0.707).
#   tstat:   BayesFactor::ttest.tstat(t, n1, n2, rscale = "medium") over a grid of t and n,
#            small and large samples, null-favouring and very large Bayes factors.
suppressPackageStartupMessages({library(BayesFactor); library(jsonlite)})
out <- "tests/reference"
sat <- read.csv(file.path(out, "data", "sat_act.csv"))
res <- list()
for (s in c("ACT", "SATV", "SATQ")) {
  x <- sat[sat$gender == 1 & !is.na(sat[[s]]), s]
  y <- sat[sat$gender == 2 & !is.na(sat[[s]]), s]
  bf <- ttestBF(x = x, y = y, rscale = "medium")
  res[[s]] <- list(bf10 = exp(bf@bayesFactor$bf), n1 = length(x), n2 = length(y),
                   call = sprintf("ttestBF(x = sat.act$%s[gender == 1], y = sat.act$%s[gender == 2], rscale = 'medium')", s, s))
}
# the doctest of group_comparison.compare: a = 1..4, b = 3..6
small <- ttestBF(x = c(1, 2, 3, 4), y = c(3, 4, 5, 6), rscale = "medium")
res[["doctest"]] <- list(bf10 = exp(small@bayesFactor$bf), n1 = 4, n2 = 4,
                         call = "ttestBF(x = c(1, 2, 3, 4), y = c(3, 4, 5, 6), rscale = 'medium')")
grid <- expand.grid(t = c(0, 0.5, -1.3, 2.5, 4, 8), n1 = c(5, 20, 150), n2 = c(7, 20, 400))
grid$bf10 <- mapply(function(t, n1, n2) exp(ttest.tstat(t, n1, n2, rscale = "medium")$bf),
                    grid$t, grid$n1, grid$n2)
writeLines(toJSON(list(data = res, tstat = grid, rscale = sqrt(2) / 2,
                       call_tstat = "exp(ttest.tstat(t, n1, n2, rscale = 'medium')$bf)",
                       versions = list(R = R.version.string,
                                       BayesFactor = as.character(packageVersion("BayesFactor")))),
                  digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(out, "bayes_factor_ttest.json"))
