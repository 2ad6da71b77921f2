# Golden values for compassion_scales.stats.lmm (random-intercept linear mixed model) as used by
# compassion_scales.flows(..., time=...). Run once from the repository root:
#   Rscript tests/reference/lmm.R
# Writes tests/reference/lmm_*.json and the simulated input tests/reference/data/lmm_sim.csv.
# Each fixture records the R call. Tests never run R.
suppressPackageStartupMessages({library(lme4); library(jsonlite)})
out <- "tests/reference"
dat <- file.path(out, "data")
versions <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")))
save_json <- function(x, name) {
  x$versions <- versions
  writeLines(toJSON(x, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
             file.path(out, name))
}
fit_json <- function(fit, call) {
  fe <- summary(fit)$coefficients
  list(term = rownames(fe), estimate = unname(fe[, 1]), se = unname(fe[, 2]),
       sigma = sigma(fit), var_id = as.data.frame(VarCorr(fit))$vcov[1],
       theta = unname(getME(fit, "theta")), loglik = as.numeric(logLik(fit)),
       n_obs = nobs(fit), call = call)
}
options(contrasts = c("contr.sum", "contr.poly"))
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhobeg = 2e-4, rhoend = 2e-12))

# ---------------------------------------------------------------- simulated: unbalanced, 3 x 3 x 3
# 150 people in three arms (unequal sizes), three time points, three flows; about 12% of the flow
# values missing at random and some people missing whole occasions.
set.seed(16)
n <- 150
arm <- sample(c("cft", "tau", "wait"), n, replace = TRUE, prob = c(0.5, 0.3, 0.2))
u <- rnorm(n, 0, 0.6)
wide <- expand.grid(time = 1:3, id = 1:n)[, c("id", "time")]
wide$arm <- arm[wide$id]
mu <- c(self = 3.0, to_others = 3.6, from_others = 3.3)
for (f in names(mu)) {
  wide[[f]] <- round(mu[[f]] + 0.15 * (wide$time - 1) * (wide$arm == "cft") + u[wide$id] +
                       rnorm(nrow(wide), 0, 0.8), 3)
  wide[[f]][runif(nrow(wide)) < 0.12] <- NA
}
wide <- wide[runif(nrow(wide)) > 0.08, ]  # whole occasions missing
write.csv(wide, file.path(dat, "lmm_sim.csv"), row.names = FALSE, na = "")
long <- do.call(rbind, lapply(names(mu), function(f)
  data.frame(id = wide$id, arm = wide$arm, time = wide$time, flow = f, value = wide[[f]])))
long <- long[!is.na(long$value), ]
long$flow <- factor(long$flow, levels = names(mu))
long$arm <- factor(long$arm, levels = c("cft", "tau", "wait"))
long$time <- factor(long$time)
for (reml in c(TRUE, FALSE)) {
  fit <- lmer(value ~ flow * arm * time + (1 | id), data = long, REML = reml, control = ctrl)
  save_json(fit_json(fit, paste0("options(contrasts = c('contr.sum', 'contr.poly')); ",
                                 "lme4::lmer(value ~ flow * arm * time + (1 | id), REML = ", reml,
                                 ", control = lmerControl(optimizer = 'bobyqa', optCtrl = list(rhobeg = ",
                                 "2e-4, rhoend = 2e-12))); long form of data/lmm_sim.csv, flow levels ",
                                 "self, to_others, from_others")),
            sprintf("lmm_%s_sim.json", if (reml) "reml" else "ml"))
}

# ---------------------------------------------------------------- psychTools::sai XRAY, ML
x <- read.csv(file.path(dat, "sai_xray.csv"))
x$tension <- x$tense + x$nervous + x$jittery + x$high.strung
x$worry <- x$worrying + x$worried + x$upset + x$regretful + x$rattled
x$calm <- x$calm + x$secure + x$at.ease + x$relaxed + x$rested + x$comfortable
lx <- rbind(
  data.frame(id = x$id, time = x$time, flow = "tension", value = x$tension / 4),
  data.frame(id = x$id, time = x$time, flow = "worry", value = x$worry / 5),
  data.frame(id = x$id, time = x$time, flow = "calm", value = x$calm / 6))
lx <- lx[!is.na(lx$value), ]
lx$flow <- factor(lx$flow, levels = c("calm", "tension", "worry"))
lx$time <- factor(lx$time)
fit <- lmer(value ~ flow * time + (1 | id), data = lx, REML = FALSE, control = ctrl)
save_json(fit_json(fit, paste("options(contrasts = c('contr.sum', 'contr.poly'));",
                              "lme4::lmer(value ~ flow * time + (1 | id), REML = FALSE, control as lmm_reml_sim);",
                              "value = mean item score (tension/4, worry/5, calm/6) of sai XRAY")),
          "lmm_ml_sai.json")

# ---------------------------------------------------------------- singular fit: theta at 0
# within-person values negatively related: the random-intercept variance estimate is zero
set.seed(7)
m <- 60
d0 <- data.frame(id = rep(1:m, each = 2), time = factor(rep(1:2, m)))
e <- rnorm(m)
d0$value <- round(5 + rnorm(2 * m, 0, 1) + c(rbind(e, -e)), 3)
write.csv(d0, file.path(dat, "lmm_singular.csv"), row.names = FALSE)
fit <- suppressMessages(lmer(value ~ time + (1 | id), data = d0, REML = TRUE, control = ctrl))
save_json(fit_json(fit, "lme4::lmer(value ~ time + (1 | id), data = data/lmm_singular.csv, REML = TRUE); singular fit"),
          "lmm_reml_singular.json")

# ---------------------------------------------------------------- Wald intervals at another level
# flows(level = 0.90, time = ...) reports lme4's Wald intervals of the fixed effects at that level
# (issue #16: they used to be 95% whatever the level).
fit <- lmer(value ~ flow * time + (1 | id), data = lx, REML = FALSE, control = ctrl)
ci <- confint(fit, method = "Wald", level = 0.90)
ci <- ci[rownames(ci) %in% names(fixef(fit)), ]
save_json(list(term = rownames(ci), ci_low = unname(ci[, 1]), ci_high = unname(ci[, 2]), level = 0.90,
               call = paste("confint(lme4::lmer(value ~ flow * time + (1 | id), REML = FALSE, control",
                            "as lmm_reml_sim), method = 'Wald', level = 0.90); data as lmm_ml_sai")),
          "lmm_ml_sai_wald90.json")
