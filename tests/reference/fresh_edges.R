# Golden values for the edge cases an independent checker tries (benchmarks/fidelity_fresh.py,
# item 3 of the fresh-data brief), from psych and base R stats:
#   fresh_two_items.csv           two Likert items, two answers missing: alpha, Feldt, r.drop,
#                                 Spearman-Brown of the inter-item r (= psych's std.alpha);
#   fresh_negative_covariance.csv four items with a negative average inter-item covariance:
#                                 negative alpha; psych warns about items whose first principal
#                                 component loading is negative (pc_negative);
#   fresh_constant_group.csv      three groups, everyone in group "a" has the same value:
#                                 oneway.test gives NaN, the other tests still run;
#   fresh_scs_sf_raw.csv          SCS-SF answers (1-5) with the six reverse-worded items NOT
#                                 reversed: psych's check.keys would flip them; alpha with the
#                                 instrument's keys (keys = reverse items, 6 - x).
# Run once from the repository root:  Rscript tests/reference/fresh_edges.R
# Writes tests/reference/fresh_edges_psych.json.
suppressPackageStartupMessages({library(psych); library(jsonlite)})
out <- "tests/reference"
rd <- function(f) read.csv(file.path(out, "data", f))
num <- function(x) unname(as.numeric(x))
alpha_of <- function(x, keys = NULL) {
  a <- suppressWarnings(psych::alpha(x, keys = keys, warnings = FALSE))
  list(raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha, g6 = a$total[["G6(smc)"]],
       average_r = a$total$average_r, ase = a$total$ase, feldt_low = a$feldt$lower.ci[[1]],
       feldt_high = a$feldt$upper.ci[[1]], r_drop = num(a$item.stats$r.drop),
       raw_r = num(a$item.stats$raw.r))
}
flips <- function(x) {
  ck <- suppressWarnings(psych::alpha(x, check.keys = TRUE, warnings = FALSE))
  sub("^-", "", grep("^-", ck$keys[[1]], value = TRUE))
}
pc_negative <- function(x) colnames(x)[num(suppressWarnings(psych::principal(x))$loadings) < 0]

two <- rd("fresh_two_items.csv")
C <- cov(two, use = "pairwise"); r12 <- C[1, 2] / sqrt(C[1, 1] * C[2, 2])
neg <- rd("fresh_negative_covariance.csv")
cg <- rd("fresh_constant_group.csv")
ow <- oneway.test(y ~ g, cg); kw <- kruskal.test(y ~ factor(g), cg); av <- summary(aov(y ~ g, cg))[[1]]
pw <- pairwise.t.test(cg$y, cg$g, pool.sd = FALSE, p.adjust.method = "holm")$p.value
ab <- t.test(cg$y[cg$g == "a"], cg$y[cg$g == "b"])
scs <- rd("fresh_scs_sf_raw.csv")[, paste0("scs_sf_", 1:12)]
rev <- paste0("scs_sf_", c(1, 4, 8, 9, 11, 12))
res <- list(
  two_items = c(list(call = "alpha(x); cov(x, use = 'pairwise') for the split half"),
                alpha_of(two), list(r_halves = r12, split_half_sb = 2 * r12 / (1 + r12))),
  negative_covariance = c(list(call = "alpha(x); principal(x)$loadings < 0; alpha(x, check.keys = TRUE)"),
                          alpha_of(neg), list(pc_negative = pc_negative(neg), check_keys = flips(neg))),
  constant_group = list(call = "oneway.test(y ~ g); kruskal.test; aov; pairwise.t.test(pool.sd = FALSE); t.test(a, b)",
                        welch_f = num(ow$statistic), kruskal_h = num(kw$statistic), kruskal_p = kw$p.value,
                        aov_f = av[1, "F value"], aov_p = av[1, "Pr(>F)"],
                        pairwise_holm = c(pw[1, 1], pw[2, 1], pw[2, 2]),
                        t_ab = num(ab$statistic), df_ab = num(ab$parameter), p_ab = ab$p.value),
  scs_sf_raw = c(list(call = "alpha(x, keys = reverse items); alpha(x, check.keys = TRUE)",
                      reverse = rev, check_keys = flips(scs)), alpha_of(scs, keys = rev)),
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych"))))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(out, "fresh_edges_psych.json"))
