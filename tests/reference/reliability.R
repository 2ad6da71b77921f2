# Golden values for compassion_scales.analyses.reliability (reliability, cronbach_alpha,
# omega), compassion_scales.analyses.correlations (polychoric) and
# compassion_scales.analyses.retest (icc, retest), from R's psych.
# Run once from the repository root:  Rscript tests/reference/reliability.R
# Writes tests/reference/reliability_*.json and exports the input datasets to
# tests/reference/data/ (bfi.csv and HolzingerSwineford1939.csv if not already there,
# ability.csv, shrout_fleiss.csv, sai_xray_time1.csv, sai_xray_time2.csv).
suppressPackageStartupMessages({library(psych); library(psychTools); library(jsonlite);
  library(GPArotation)})
set.seed(20261122)
out <- "tests/reference"
dat <- file.path(out, "data")
dir.create(dat, showWarnings = FALSE, recursive = TRUE)

bfi_file <- file.path(dat, "bfi.csv")
if (!file.exists(bfi_file)) write.csv(psych::bfi, bfi_file, row.names = FALSE, na = "")
hs_file <- file.path(dat, "HolzingerSwineford1939.csv")
if (!file.exists(hs_file)) write.csv(lavaan::HolzingerSwineford1939, hs_file, row.names = FALSE, na = "")
bfi <- read.csv(bfi_file)
HS <- read.csv(hs_file)
ability <- as.data.frame(psychTools::ability)
write.csv(ability, file.path(dat, "ability.csv"), row.names = FALSE, na = "")

versions <- list(R = R.version.string, psych = as.character(packageVersion("psych")),
                 GPArotation = as.character(packageVersion("GPArotation")))
save_json <- function(x, name) {
  x$versions <- versions
  writeLines(toJSON(x, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
             file.path(out, name))
}

# ---------------------------------------------------------------- alpha
alpha_case <- function(data, keys, use, call) {
  a <- suppressWarnings(psych::alpha(data, keys = keys, use = use, warnings = FALSE))
  list(call = call, items = colnames(data), keys = if (is.null(keys)) list() else keys,
       use = use, n_rows = nrow(data),
       total = as.list(a$total),
       feldt = list(lower = a$feldt$lower.ci[[1]], upper = a$feldt$upper.ci[[1]]),
       item_stats = cbind(item = colnames(data), a$item.stats),
       alpha_drop = cbind(item = colnames(data), a$alpha.drop))
}
A <- bfi[, c("A1", "A2", "A3", "A4", "A5")]
C <- bfi[, c("C1", "C2", "C3", "C4", "C5")]
N <- bfi[, c("N1", "N2", "N3", "N4", "N5")]
alpha_cases <- list(
  bfi_agreeableness = alpha_case(A, c("A1"), "pairwise",
    'alpha(bfi[, c("A1","A2","A3","A4","A5")], keys = c("A1"))'),
  bfi_agreeableness_listwise = alpha_case(na.omit(A), c("A1"), "pairwise",
    'alpha(na.omit(bfi[, c("A1","A2","A3","A4","A5")]), keys = c("A1"))'),
  bfi_conscientiousness = alpha_case(C, c("C4", "C5"), "pairwise",
    'alpha(bfi[, c("C1","C2","C3","C4","C5")], keys = c("C4","C5"))'),
  bfi_neuroticism = alpha_case(N, NULL, "pairwise",
    'alpha(bfi[, c("N1","N2","N3","N4","N5")])'),
  # psych counts rows with no answer at all in n (Feldt CI, ase); cscore drops them,
  # so the reference is computed on the 1509 rows with at least one answer.
  ability = alpha_case(ability[rowSums(!is.na(ability)) > 0, ], NULL, "pairwise",
    "alpha(ability[rowSums(!is.na(ability)) > 0, ])  # ability = psychTools::ability"),
  hs_visual_textual_speed = alpha_case(HS[, paste0("x", 1:9)], NULL, "pairwise",
    'alpha(HolzingerSwineford1939[, paste0("x", 1:9)])')
)
save_json(alpha_cases, "reliability_alpha_psych.json")

# ---------------------------------------------------------------- omega
omega_case <- function(data, nfactors, call, poly = FALSE, key = NULL) {
  o <- suppressMessages(suppressWarnings(
    psych::omega(data, nfactors = nfactors, poly = poly, plot = FALSE, key = key)))
  list(call = call, items = colnames(data), nfactors = nfactors, poly = poly,
       omega_h = o$omega_h, omega_tot = o$omega.tot, alpha = o$alpha, G6 = o$G6,
       omega_lim = o$omega.lim, ECV = unname(o$ECV),
       sl = cbind(item = colnames(data), as.data.frame(unclass(o$schmid$sl))))
}
bfi25 <- bfi[, 1:25]
keys25 <- ifelse(colnames(bfi25) %in% c("A1", "C4", "C5", "E1", "E2", "O2", "O5"), -1, 1)
bfi25k <- as.data.frame(t(t(bfi25) * keys25 + (keys25 < 0) * 7))
omega_cases <- list(
  bfi25_keyed_5 = omega_case(bfi25k, 5,
    'omega(bfi25 with A1,C4,C5,E1,E2,O2,O5 reversed as 7 - x, nfactors = 5)'),
  hs_3 = omega_case(HS[, paste0("x", 1:9)], 3,
    'omega(HolzingerSwineford1939[, paste0("x", 1:9)], nfactors = 3)'),
  bfi_neuroticism_1 = omega_case(N, 1, 'omega(bfi[, c("N1","N2","N3","N4","N5")], nfactors = 1)'),
  ability_3 = omega_case(ability, 3, "omega(psychTools::ability, nfactors = 3)"),
  bfi_neuroticism_poly_1 = omega_case(N, 1,
    'omega(bfi[, c("N1","N2","N3","N4","N5")], nfactors = 1, poly = TRUE)', poly = TRUE)
)
save_json(omega_cases, "reliability_omega_psych.json")

# ---------------------------------------------------------------- polychoric
poly_case <- function(data, call) {
  p <- suppressWarnings(psych::polychoric(data))
  r <- p$rho
  std_alpha <- psych::alpha(r, warnings = FALSE)$total$std.alpha
  list(call = call, items = colnames(data), rho = unname(r), tau = unname(p$tau),
       n_obs = p$n.obs, ordinal_alpha = std_alpha)
}
Ak <- A; Ak$A1 <- 7 - Ak$A1
poly_cases <- list(
  bfi_neuroticism = poly_case(N, 'polychoric(bfi[, c("N1","N2","N3","N4","N5")])'),
  bfi_agreeableness_keyed = poly_case(Ak,
    'polychoric(bfi[, c("A1","A2","A3","A4","A5")] with A1 reversed as 7 - A1)'),
  bfi_openness = poly_case(bfi[, c("O1", "O2", "O3", "O4", "O5")],
    'polychoric(bfi[, c("O1","O2","O3","O4","O5")])')
)
save_json(poly_cases, "reliability_polychoric_psych.json")

# ---------------------------------------------------------------- ICC / retest
sf <- matrix(c(9, 2, 5, 8, 6, 1, 3, 2, 8, 4, 6, 8, 7, 1, 2, 6, 10, 5, 6, 9, 6, 2, 4, 7),
             ncol = 4, byrow = TRUE)
colnames(sf) <- paste0("J", 1:4)
write.csv(sf, file.path(dat, "shrout_fleiss.csv"), row.names = FALSE)

sai <- psychTools::sai
anx <- c("tense", "regretful", "upset", "worrying", "anxious", "nervous", "jittery",
         "high.strung", "worried", "rattled")
x1 <- sai[sai$study == "XRAY" & sai$time == 1, ]
x2 <- sai[sai$study == "XRAY" & sai$time == 2, ]
write.csv(x1[, c("id", "time", anx)], file.path(dat, "sai_xray_time1.csv"), row.names = FALSE, na = "")
write.csv(x2[, c("id", "time", anx)], file.path(dat, "sai_xray_time2.csv"), row.names = FALSE, na = "")
m <- merge(data.frame(id = x1$id, t1 = rowMeans(x1[, anx])),
           data.frame(id = x2$id, t2 = rowMeans(x2[, anx])), by = "id")
m <- m[complete.cases(m), ]

icc_case <- function(x, call) {
  i <- psych::ICC(x, lmer = FALSE)
  res <- i$results
  colnames(res) <- c("type", "icc", "f", "df1", "df2", "p_val", "ci_low", "ci_high")
  list(call = call, n_obs = i$n.obs, n_raters = i$n.judge, results = res,
       pearson_r = if (ncol(x) == 2) cor(x[, 1], x[, 2]) else NULL)
}
icc_cases <- list(
  shrout_fleiss = icc_case(sf, "ICC(sf, lmer = FALSE)  # Shrout & Fleiss (1979) table 2"),
  sai_xray_anxiety = icc_case(as.matrix(m[, c("t1", "t2")]),
    paste0("ICC(cbind(t1, t2), lmer = FALSE); t1, t2 = rowMeans of psychTools::sai ",
           "anxiety items (", paste(anx, collapse = ","), ") for study XRAY, time 1 and 2, ",
           "joined on id, complete cases"))
)
icc_cases$sai_xray_anxiety$n_pairs <- nrow(m)
save_json(icc_cases, "reliability_icc_psych.json")

# ---------------------------------------------------------------- bootstrap (timing reference only)
cat("done\n")
