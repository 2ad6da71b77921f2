# Golden values for compassion_scales.analyses.flows (flows) and
# compassion_scales.analyses.compare (compare).
# Run once from the repository root:  Rscript tests/reference/flows.R
# Writes tests/reference/flows_*.json and compare_*.json, and exports the input datasets to
# tests/reference/data/:
#   obk_phase_wide.csv  afex::obk.long (O'Brien & Kaiser 1985; 16 people, treatment
#                       control/A/B = 5/4/7, unbalanced), value averaged over the 5 hours
#                       within each phase (pre, post, fup): one row per person.
#   obk_long.csv        afex::obk.long as shipped (for the two-time-point correlation test).
#   sai_xray.csv        psychTools::sai, study XRAY (200 people, times 1 and 2), items only.
#   sat_act.csv         psych::sat.act (700 people; SATQ has 13 missing values).
# Each fixture records the R call that produced it. Tests never run R.
suppressPackageStartupMessages({library(afex); library(car); library(psych);
  library(psychTools); library(jsonlite); library(lme4)})
out <- "tests/reference"
dat <- file.path(out, "data")
dir.create(dat, showWarnings = FALSE, recursive = TRUE)
versions <- list(R = R.version.string, afex = as.character(packageVersion("afex")),
                 car = as.character(packageVersion("car")),
                 psych = as.character(packageVersion("psych")),
                 lme4 = as.character(packageVersion("lme4")))
save_json <- function(x, name) {
  x$versions <- versions
  writeLines(toJSON(x, digits = NA, auto_unbox = TRUE, na = "null", pretty = TRUE),
             file.path(out, name))
}
afex_options(include_aov = TRUE)

# ------------------------------------------------------------------ data
obk <- afex::obk.long
write.csv(obk, file.path(dat, "obk_long.csv"), row.names = FALSE)
agg <- aggregate(value ~ id + treatment + gender + phase, data = obk, FUN = mean)
wide <- reshape(agg, idvar = c("id", "treatment", "gender"), timevar = "phase",
                direction = "wide")
names(wide) <- sub("^value\\.", "", names(wide))
wide <- wide[order(as.integer(as.character(wide$id))), c("id", "treatment", "gender", "pre", "post", "fup")]
write.csv(wide, file.path(dat, "obk_phase_wide.csv"), row.names = FALSE)
obk_l <- reshape(wide, direction = "long", varying = c("pre", "post", "fup"), v.names = "value",
                 timevar = "phase", times = c("pre", "post", "fup"), idvar = "id")
obk_l$phase <- factor(obk_l$phase, levels = c("pre", "post", "fup"))
obk_l$id <- factor(obk_l$id)

# ------------------------------------------------------------------ mixed ANOVA, Type III (afex)
anova_rows <- function(fit, observed = NULL) {
  tab <- anova(fit, es = c("pes", "ges"), correction = "none", observed = observed, intercept = FALSE)
  s <- summary(fit$Anova, multivariate = FALSE)
  uni <- s$univariate.tests
  adj <- s$pval.adjustments
  sph <- s$sphericity.tests
  rows <- list()
  for (term in rownames(tab)) {
    r <- list(term = term, df1 = tab[term, "num Df"], df2 = tab[term, "den Df"],
              ss = uni[term, "Sum Sq"], ss_error = uni[term, "Error SS"],
              f = tab[term, "F"], p_val = tab[term, "Pr(>F)"],
              pes = tab[term, "pes"], ges = tab[term, "ges"])
    if (term %in% rownames(adj)) {
      r$gg_eps <- adj[term, "GG eps"]; r$p_gg <- adj[term, "Pr(>F[GG])"]
      r$hf_eps <- adj[term, "HF eps"]; r$p_hf <- adj[term, "Pr(>F[HF])"]
    }
    rows[[length(rows) + 1]] <- r
  }
  list(rows = rows, mauchly_w = unname(sph[1, "Test statistic"]),
       mauchly_p = unname(sph[1, "p-value"]))
}
fit3 <- aov_ez(id = "id", dv = "value", data = obk_l, between = "treatment", within = "phase",
               type = 3)
a3 <- anova_rows(fit3)
a3$call <- paste('afex::aov_ez(id = "id", dv = "value", data = obk_phase (long), between = "treatment",',
                 'within = "phase", type = 3); anova(fit, es = c("pes", "ges"), correction = "none");',
                 'summary(fit$Anova, multivariate = FALSE) for Mauchly, GG and HF')
save_json(a3, "flows_anova_type3_obk.json")

a3o <- anova_rows(fit3, observed = "treatment")
a3o$call <- 'same fit as flows_anova_type3_obk.json; anova(fit, es = c("pes","ges"), observed = "treatment")'
save_json(a3o, "flows_anova_type3_observed_obk.json")

# one-way repeated measures (no group)
fit0 <- aov_ez(id = "id", dv = "value", data = obk_l, within = "phase", type = 3)
a0 <- anova_rows(fit0)
a0$call <- 'afex::aov_ez(id = "id", dv = "value", data = obk_phase (long), within = "phase", type = 3)'
save_json(a0, "flows_anova_oneway_obk.json")

# ------------------------------------------------------------------ mixed ANOVA, Type I (aov)
fit1 <- aov(value ~ treatment * phase + Error(id / phase), data = obk_l)
s1 <- summary(fit1)
b <- s1[["Error: id"]][[1]]; w <- s1[["Error: id:phase"]][[1]]
rn <- function(x) trimws(rownames(x))
rownames(b) <- rn(b); rownames(w) <- rn(w)
sse_b <- b["Residuals", "Sum Sq"]; sse_w <- w["Residuals", "Sum Sq"]
mk <- function(tab, term, sse, dfe) {
  ss <- tab[term, "Sum Sq"]
  list(term = term, df1 = tab[term, "Df"], df2 = dfe, ss = ss, ss_error = sse,
       f = tab[term, "F value"], p_val = tab[term, "Pr(>F)"],
       pes = ss / (ss + sse), ges = ss / (ss + sse_b + sse_w))
}
a1 <- list(rows = list(mk(b, "treatment", sse_b, b["Residuals", "Df"]),
                       mk(w, "phase", sse_w, w["Residuals", "Df"]),
                       mk(w, "treatment:phase", sse_w, w["Residuals", "Df"])),
           call = paste("summary(aov(value ~ treatment * phase + Error(id / phase), data = obk_phase (long)));",
                        "pes = SS / (SS + SS_error); ges = SS / (SS + SS_error(id) + SS_error(id:phase))"))
save_json(a1, "flows_anova_type1_obk.json")

# ------------------------------------------------------------------ post hoc
levels_phase <- c("pre", "post", "fup")
pairs_phase <- combn(levels_phase, 2, simplify = FALSE)
paired <- list()
for (g in levels(wide$treatment)) {
  sub <- wide[wide$treatment == g, ]
  for (pp in pairs_phase) {
    tt <- t.test(sub[[pp[1]]], sub[[pp[2]]], paired = TRUE)
    paired[[length(paired) + 1]] <- list(group = g, a = pp[1], b = pp[2], t = unname(tt$statistic),
                                         df = unname(tt$parameter), p_val = tt$p.value,
                                         mean_diff = unname(tt$estimate))
  }
}
welch <- list()
groups <- levels(wide$treatment)
for (f in levels_phase) for (gp in combn(groups, 2, simplify = FALSE)) {
  x <- wide[wide$treatment == gp[1], f]; y <- wide[wide$treatment == gp[2], f]
  tt <- t.test(x, y, var.equal = FALSE)
  d2 <- data.frame(v = c(x, y), grp = c(rep(2, length(x)), rep(1, length(y))))  # psych: group 2 minus group 1
  cd <- psych::cohen.d(d2$v, d2$grp)
  dd <- unname(cd$hedges.g[1, "effect"])
  n1 <- length(x); n2 <- length(y)
  tval <- dd / sqrt(1 / n1 + 1 / n2)
  ncp_lo <- uniroot(function(q) pt(tval, n1 + n2 - 2, ncp = q) - 0.975, c(-50, 50), tol = 1e-13)$root
  ncp_hi <- uniroot(function(q) pt(tval, n1 + n2 - 2, ncp = q) - 0.025, c(-50, 50), tol = 1e-13)$root
  welch[[length(welch) + 1]] <- list(flow = f, a = gp[1], b = gp[2], t = unname(tt$statistic),
    df = unname(tt$parameter), p_val = tt$p.value,
    d = dd, d_ci_low_psych = unname(cd$hedges.g[1, "lower"]),
    d_ci_high_psych = unname(cd$hedges.g[1, "upper"]),
    d_ci_low = ncp_lo * sqrt(1 / n1 + 1 / n2), d_ci_high = ncp_hi * sqrt(1 / n1 + 1 / n2))
}
save_json(list(paired = paired, welch = welch,
  call = paste("t.test(x, y, paired = TRUE) per treatment; t.test(x, y, var.equal = FALSE) per phase;",
               "psych::cohen.d(value, group)$hedges.g (pooled SD with n1 + n2 - 2, no small-sample",
               "correction; psych's CI uses uniroot's default tolerance, so d_ci_low/high repeat its",
               "noncentral-t method with uniroot(tol = 1e-13))")),
  "flows_posthoc_obk.json")

# ------------------------------------------------------------------ correlations
cors <- list()
for (g in levels(wide$treatment)) {
  sub <- wide[wide$treatment == g, c("pre", "post", "fup")]
  m <- cor(sub)
  for (pp in pairs_phase) {
    ct <- cor.test(sub[[pp[1]]], sub[[pp[2]]])
    cors[[length(cors) + 1]] <- list(group = g, a = pp[1], b = pp[2], r = unname(ct$estimate),
      n = nrow(sub), p_val = ct$p.value, ci_low = ct$conf.int[1], ci_high = ct$conf.int[2])
  }
}
# Fisher z, independent groups: psych::sat.act, r(SATV, SATQ) females vs males (pairwise complete)
sat <- psych::sat.act
write.csv(sat, file.path(dat, "sat_act.csv"), row.names = FALSE, na = "")
cc <- sat[complete.cases(sat[, c("SATV", "SATQ")]), ]
m_ <- cc[cc$gender == 1, ]; f_ <- cc[cc$gender == 2, ]
r_m <- cor(m_$SATV, m_$SATQ); r_f <- cor(f_$SATV, f_$SATQ)
fz <- psych::r.test(n = nrow(m_), r12 = r_m, r34 = r_f, n2 = nrow(f_))
fisher <- list(r1 = r_m, n1 = nrow(m_), r2 = r_f, n2 = nrow(f_), z_abs = fz$z, p_val = fz$p,
  call = "psych::r.test(n = n_male, r12 = r_male(SATV, SATQ), r34 = r_female, n2 = n_female); sat.act complete SATV/SATQ, gender 1 = male, 2 = female")
# Steiger (1980), dependent non-overlapping correlations: psychTools::sai XRAY,
# r(tension, worry) at time 1 vs time 2 in the same 200 people
sai <- psychTools::sai
x <- sai[sai$study == "XRAY", c("id", "time", "calm", "secure", "tense", "regretful", "at.ease", "upset",
  "worrying", "rested", "anxious", "comfortable", "nervous", "jittery", "high.strung", "relaxed",
  "worried", "rattled")]
write.csv(x, file.path(dat, "sai_xray.csv"), row.names = FALSE, na = "")
tension <- c("tense", "nervous", "jittery", "high.strung")
worry <- c("worrying", "worried", "upset", "regretful", "rattled")
calm <- c("calm", "secure", "at.ease", "relaxed", "rested", "comfortable")
x$tension <- rowSums(x[, tension]); x$worry <- rowSums(x[, worry]); x$calm <- rowSums(x[, calm])
t1 <- x[x$time == 1, c("id", "tension", "worry", "calm")]; t2 <- x[x$time == 2, c("id", "tension", "worry", "calm")]
mm <- merge(t1, t2, by = "id", suffixes = c("_1", "_2"))
mm <- mm[complete.cases(mm), ]
steiger <- list()
for (pp in combn(c("tension", "worry", "calm"), 2, simplify = FALSE)) {
  a1 <- mm[[paste0(pp[1], "_1")]]; b1 <- mm[[paste0(pp[2], "_1")]]
  a2 <- mm[[paste0(pp[1], "_2")]]; b2 <- mm[[paste0(pp[2], "_2")]]
  r12 <- cor(a1, b1); r34 <- cor(a2, b2); r13 <- cor(a1, a2); r14 <- cor(a1, b2)
  r23 <- cor(b1, a2); r24 <- cor(b1, b2)
  st <- psych::r.test(n = nrow(mm), r12 = r12, r34 = r34, r13 = r13, r14 = r14, r23 = r23, r24 = r24)
  steiger[[length(steiger) + 1]] <- list(a = pp[1], b = pp[2], n = nrow(mm), r_time1 = r12, r_time2 = r34,
                                         z = st$z, p_val = st$p)
}
save_json(list(cors = cors, fisher = fisher, steiger = steiger,
  call_cors = "cor.test(x, y) per treatment on obk_phase_wide",
  call_steiger = paste("psych::r.test(n, r12, r34, r13, r14, r23, r24) (pooled = TRUE); scales are item sums of",
                       "psychTools::sai XRAY: tension = tense+nervous+jittery+high.strung;",
                       "worry = worrying+worried+upset+regretful+rattled;",
                       "calm = calm+secure+at.ease+relaxed+rested+comfortable; 1 = time 1, 2 = time 2")),
  "flows_correlations.json")

# ------------------------------------------------------------------ linear mixed model with time
lx <- rbind(
  data.frame(id = x$id, time = x$time, flow = "tension", value = x$tension / 4),
  data.frame(id = x$id, time = x$time, flow = "worry", value = x$worry / 5),
  data.frame(id = x$id, time = x$time, flow = "calm", value = x$calm / 6))
lx$flow <- factor(lx$flow, levels = c("calm", "tension", "worry"))
lx$time <- factor(lx$time)
options(contrasts = c("contr.sum", "contr.poly"))
lm1 <- lme4::lmer(value ~ flow * time + (1 | id), data = lx, REML = TRUE)
fe <- summary(lm1)$coefficients
save_json(list(term = rownames(fe), estimate = unname(fe[, 1]), se = unname(fe[, 2]),
  sigma = sigma(lm1), var_id = as.data.frame(VarCorr(lm1))$vcov[1],
  call = paste("options(contrasts = c('contr.sum', 'contr.poly'));",
               "lme4::lmer(value ~ flow * time + (1 | id), REML = TRUE); value = mean item score",
               "(tension/4, worry/5, calm/6) of sai XRAY; flow levels calm, tension, worry")),
  "flows_lmm_sai.json")
options(contrasts = c("contr.treatment", "contr.poly"))

# ------------------------------------------------------------------ compare(): sat.act
eta_ci <- function(F, df1, df2, level = 0.95) {
  a <- (1 - level) / 2
  f <- function(l, target) pf(F, df1, df2, ncp = l) - target
  lo <- if (f(0, 1 - a) <= 0) 0 else uniroot(f, c(0, 1e4), target = 1 - a, tol = 1e-13)$root
  hi <- if (f(0, a) <= 0) 0 else uniroot(f, c(0, 1e4), target = a, tol = 1e-13)$root
  N <- df1 + df2 + 1
  c(lo / (lo + N), hi / (hi + N))
}
cmp <- list()
for (v in c("ACT", "SATV", "SATQ")) {
  d <- sat[!is.na(sat[[v]]), ]
  # two groups: gender
  x <- d[d$gender == 1, v]; y <- d[d$gender == 2, v]
  tt <- t.test(x, y, var.equal = FALSE)
  wt <- wilcox.test(x, y, exact = FALSE, correct = TRUE)
  cd <- psych::cohen.d(d[[v]], d$gender)   # group 2 minus group 1
  n1 <- length(x); n2 <- length(y)
  dd <- unname(cd$hedges.g[1, "effect"])
  tval <- dd / sqrt(1 / n1 + 1 / n2)
  lo <- uniroot(function(q) pt(tval, n1 + n2 - 2, ncp = q) - 0.975, c(-50, 50), tol = 1e-13)$root
  hi <- uniroot(function(q) pt(tval, n1 + n2 - 2, ncp = q) - 0.025, c(-50, 50), tol = 1e-13)$root
  two <- list(score = v, n1 = n1, n2 = n2, mean1 = mean(x), mean2 = mean(y), sd1 = sd(x), sd2 = sd(y),
    t = unname(tt$statistic), df = unname(tt$parameter), p_val = tt$p.value,
    u = unname(wt$statistic), p_u = wt$p.value, d_21 = dd,
    d_21_ci_low = lo * sqrt(1 / n1 + 1 / n2), d_21_ci_high = hi * sqrt(1 / n1 + 1 / n2),
    d_21_ci_low_psych = unname(cd$hedges.g[1, "lower"]), d_21_ci_high_psych = unname(cd$hedges.g[1, "upper"]))
  # six groups: education
  d$education <- factor(d$education)
  ow <- oneway.test(as.formula(paste(v, "~ education")), data = d, var.equal = FALSE)
  kw <- kruskal.test(as.formula(paste(v, "~ education")), data = d)
  av <- summary(aov(as.formula(paste(v, "~ education")), data = d))[[1]]
  ssb <- av[1, "Sum Sq"]; ssw <- av[2, "Sum Sq"]; dfb <- av[1, "Df"]; dfw <- av[2, "Df"]
  msw <- ssw / dfw
  ci <- eta_ci(av[1, "F value"], dfb, dfw)
  many <- list(score = v, welch_f = unname(ow$statistic), welch_df1 = unname(ow$parameter[1]),
    welch_df2 = unname(ow$parameter[2]), welch_p = ow$p.value,
    kw_h = unname(kw$statistic), kw_df = unname(kw$parameter), kw_p = kw$p.value,
    f = av[1, "F value"], df1 = dfb, df2 = dfw, p_f = av[1, "Pr(>F)"],
    eta_sq = ssb / (ssb + ssw), omega_sq = (ssb - dfb * msw) / (ssb + ssw + msw),
    eta_sq_ci_low = ci[1], eta_sq_ci_high = ci[2])
  cmp[[v]] <- list(two = two, many = many)
}
save_json(list(results = cmp, call = paste(
  "sat.act, each score with its own complete cases. gender (1, 2): t.test(var.equal = FALSE),",
  "wilcox.test(exact = FALSE, correct = TRUE), psych::cohen.d(value, gender)$hedges.g (group 2 minus 1),",
  "CI by noncentral t with uniroot(tol = 1e-13). education (6 levels): oneway.test(var.equal = FALSE),",
  "kruskal.test, aov; eta_sq = SSb/SSt; omega_sq = (SSb - dfb MSw)/(SSt + MSw); eta_sq CI:",
  "noncentral F (Steiger 2004), lambda/(lambda + N), two-sided 95%, uniroot(tol = 1e-13)")),
  "compare_sat_act.json")
cat("done\n")
