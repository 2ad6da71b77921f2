# Golden values for compassion_scales.analyses.efa.efa(method="ml") when a uniqueness reaches
# the optimiser's lower bound (0.005, a Heywood case), and for correlation-matrix input
# whose row names differ from its column names (psych's Harman.8 is shipped that way).
# Run once from the repository root:  Rscript tests/reference/efa_heywood.R
# Writes tests/reference/efa_heywood_psych.json and tests/reference/data/harman8_cor.csv,
# tests/reference/data/harman_political_cor.csv (row names kept as the first column).
suppressPackageStartupMessages({library(psych); library(psychTools); library(jsonlite)})
out <- "tests/reference"
dat <- file.path(out, "data")
write.csv(Harman.8, file.path(dat, "harman8_cor.csv"))
write.csv(Harman.political, file.path(dat, "harman_political_cor.csv"))
bfi <- read.csv(file.path(dat, "bfi.csv"))
ability <- read.csv(file.path(dat, "ability.csv"))
case <- function(x, nf, call, n.obs = NA) {
  f <- suppressWarnings(suppressMessages(fa(x, nfactors = nf, fm = "ml", rotate = "none", n.obs = n.obs)))
  list(call = call, nfactors = nf, objective = unname(f$criteria["objective"]),
       uniquenesses = unname(f$uniquenesses), communalities = unname(f$communality),
       chi = f$STATISTIC, dof = f$dof, n_obs = f$n.obs, rms = f$rms, tli = f$TLI,
       rmsea = unname(f$RMSEA[1]))
}
res <- list(
  ability_5 = case(ability, 5, 'fa(psychTools::ability, nfactors = 5, fm = "ml", rotate = "none")'),
  bfi_E_O_5 = case(bfi[, 11:20], 5, 'fa(bfi[, 11:20], nfactors = 5, fm = "ml", rotate = "none")'),
  bfi_E_O_4 = case(bfi[, 11:20], 4, 'fa(bfi[, 11:20], nfactors = 4, fm = "ml", rotate = "none")'),
  harman8_3 = case(Harman.8, 3, 'fa(Harman.8, nfactors = 3, n.obs = 305, fm = "ml", rotate = "none")', 305),
  harman_political_3 = case(Harman.political, 3,
    'fa(Harman.political, nfactors = 3, n.obs = 147, fm = "ml", rotate = "none")', 147),
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych"))))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
           file.path(out, "efa_heywood_psych.json"))
