# Golden values for compassion_scales.analyses.correlations.polychoric (and ordinal alpha / omega)
# when items do not use the same answer categories: psych then sets global = FALSE
# (per-pair thresholds, 0.5 added to empty cells) and warns.
# Run once from the repository root:  Rscript tests/reference/polychoric_unequal.R
# Writes tests/reference/polychoric_unequal_psych.json and the two input data sets
# tests/reference/data/hs_cut_unequal.csv, fcs_sim_unequal.csv and fcs_sim_sparse.csv.
suppressPackageStartupMessages({library(psych); library(jsonlite); library(GPArotation)})
out <- "tests/reference"
dat <- file.path(out, "data")
HS <- read.csv(file.path(dat, "HolzingerSwineford1939.csv"))

# 1. HolzingerSwineford1939 x1-x9 cut at their quantiles into 5, 5, 4, 5, 3, 5, 4, 5, 5
#    categories (values 1..k): items reach different highest answers.
cuts <- c(5, 5, 4, 5, 3, 5, 4, 5, 5)
hs <- as.data.frame(mapply(function(v, k)
  as.integer(cut(v, quantile(v, probs = seq(0, 1, length.out = k + 1)), include.lowest = TRUE)),
  HS[, paste0("x", 1:9)], cuts))
colnames(hs) <- paste0("x", 1:9)
write.csv(hs, file.path(dat, "hs_cut_unequal.csv"), row.names = FALSE)

# 2. Simulated FCS-shaped 0-4 sets (one factor, 8 items, loadings .4-.8), n = 300, 3% of
#    answers missing at random. In "fcs_sim_unequal" items 4 and 6 use only 0-3 (cut at
#    quantiles so every category they use is well filled); in "fcs_sim_sparse" (n = 160)
#    some top categories hold one or two answers, so the 0.5 correction pushes a pair's
#    cumulative proportion to 1 or beyond: psych then either stops with an error or
#    returns a correlation that depends on rounding error (not a golden value).
sim_fcs <- function(n, props, seed) {
  set.seed(seed)
  f <- rnorm(n)
  lam <- c(.8, .7, .75, .6, .5, .65, .4, .7)
  x <- sapply(1:8, function(j) {
    z <- lam[j] * f + sqrt(1 - lam[j]^2) * rnorm(n)
    p <- props[[j]]
    as.integer(cut(z, c(-Inf, qnorm(cumsum(p)[-length(p)]), Inf))) - 1L
  })
  colnames(x) <- paste0("fcs", 1:8)
  x[matrix(runif(length(x)) < .03, n)] <- NA
  x
}
p5 <- c(.25, .25, .2, .15, .15); p4 <- c(.3, .3, .25, .15)
write.csv(sim_fcs(300, list(p5, p5, p5, p4, p5, p4, p5, p5), 20261202),
          file.path(dat, "fcs_sim_unequal.csv"), row.names = FALSE, na = "")
set.seed(20261201)
sparse <- sapply(c(0, 0, .3, 0.9, 0, 1.1, 0, 0.4), function(s) s)  # shifts
f <- rnorm(160)
lam <- c(.8, .7, .75, .6, .5, .65, .4, .7)
xs <- sapply(1:8, function(j) {
  z <- lam[j] * f + sqrt(1 - lam[j]^2) * rnorm(160) - sparse[j]
  as.integer(cut(z, c(-Inf, -0.3, 0.4, 1.1, 1.9, Inf))) - 1L
})
colnames(xs) <- paste0("fcs", 1:8)
xs[matrix(runif(length(xs)) < .03, 160)] <- NA
write.csv(xs, file.path(dat, "fcs_sim_sparse.csv"), row.names = FALSE, na = "")
fcs <- read.csv(file.path(dat, "fcs_sim_unequal.csv"))
fcs_sparse <- read.csv(file.path(dat, "fcs_sim_sparse.csv"))

versions <- list(R = R.version.string, psych = as.character(packageVersion("psych")))
case <- function(data, call, nfactors) {
  w <- character()
  p <- withCallingHandlers(psych::polychoric(data),
    warning = function(e) { w <<- c(w, conditionMessage(e)); invokeRestart("muffleWarning") })
  o <- suppressMessages(suppressWarnings(
    psych::omega(data, nfactors = nfactors, poly = TRUE, plot = FALSE)))
  list(call = call, items = colnames(data), rho = unname(p$rho), tau = unname(p$tau),
       n_obs = p$n.obs, warnings = w,
       ordinal_alpha = psych::alpha(p$rho, warnings = FALSE)$total$std.alpha,
       omega_call = sprintf("omega(data, nfactors = %d, poly = TRUE)", nfactors),
       nfactors = nfactors, omega_tot = o$omega.tot, omega_h = o$omega_h, alpha = o$alpha,
       G6 = o$G6)
}
res <- list(
  hs_cut_unequal = case(hs, "polychoric(hs_cut_unequal)  # HS x1-x9 cut into 5,5,4,5,3,5,4,5,5 categories", 3),
  fcs_sim_unequal = case(fcs, "polychoric(fcs_sim_unequal)  # simulated 0-4 items, n = 300, fcs4 and fcs6 use 0-3", 1),
  versions = versions)
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(out, "polychoric_unequal_psych.json"))

# The sparse set: psych's rho for reference only (rounding-dependent pairs), see the comment above.
sp <- suppressWarnings(psych::polychoric(fcs_sparse))
writeLines(toJSON(list(call = "polychoric(fcs_sim_sparse)", rho = unname(sp$rho), versions = versions),
                  digits = NA, auto_unbox = TRUE, pretty = TRUE),
           file.path(out, "polychoric_sparse_psych.json"))
