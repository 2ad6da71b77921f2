# Golden values for compassion_scales.analyses.model_omega.model_omega, from semTools::compRelSEM
# (continuous items, tau.eq = FALSE) on lavaan ML fits.
# Run once from the repository root:  Rscript tests/reference/model_omega.R
# Writes tests/reference/model_omega_semtools.json.
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
out <- "tests/reference"
dat <- file.path(out, "data")
HS <- read.csv(file.path(dat, "HolzingerSwineford1939.csv"))
bfi <- read.csv(file.path(dat, "bfi.csv"))
fcs <- read.csv(file.path(dat, "fcs_sim_cfa.csv"))
hs_model <- "visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9"
bfi_model <- paste("agree =~ A1 + A2 + A3 + A4 + A5", "consc =~ C1 + C2 + C3 + C4 + C5",
                   "extra =~ E1 + E2 + E3 + E4 + E5", "neuro =~ N1 + N2 + N3 + N4 + N5",
                   "open =~ O1 + O2 + O3 + O4 + O5", sep = "\n")
fcs_model <- paste("others =~ oth_1 + oth_2 + oth_3 + oth_4 + oth_5 + oth_6",
                   "from =~ from_1 + from_2 + from_3 + from_4 + from_5",
                   "self =~ self_1 + self_2 + self_3 + self_4 + self_5 + self_6 + self_7", sep = "\n")
case <- function(fit, call) list(call = call, obs_var = as.list(compRelSEM(fit)),
                                 model_var = as.list(compRelSEM(fit, obs.var = FALSE)))
res <- list(
  hs = case(cfa(hs_model, data = HS), "compRelSEM(cfa(hs_model, data = HolzingerSwineford1939)[, obs.var = FALSE])"),
  bfi = case(cfa(bfi_model, data = bfi), "compRelSEM(cfa(bfi_model, data = bfi)[, obs.var = FALSE])  # listwise"),
  fcs = case(cfa(fcs_model, data = fcs), "compRelSEM(cfa(fcs_model, data = fcs_sim_cfa)[, obs.var = FALSE])"),
  versions = list(lavaan = as.character(packageVersion("lavaan")),
                  semTools = as.character(packageVersion("semTools"))))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out, "model_omega_semtools.json"))
