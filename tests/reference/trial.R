# Golden values for compassion_scales.analyses.trial.trial (tests/test_trial.py).
# Run once from the repository root:  Rscript tests/reference/trial.R
# R calls recorded in the "r_call" column of every fixture.
#   ANCOVA:      lm(post ~ pre + arm) with the reference arm as the first factor level,
#                confint(fit); adjusted means by emmeans::emmeans(fit, "arm")
#   Unadjusted:  t.test(post[arm], post[ref], var.equal = FALSE)   (Welch)
#   Within arm:  t.test(post, pre, paired = TRUE); d_z = mean(d)/sd(d); 95% CI for d_z by
#                inverting the noncentral t (uniroot on pt(t, df, ncp)), divided by sqrt(n)
#   smd:         adjusted difference / pooled within-arm SD of baseline (the two arms compared)
# Datasets: MASS::anorexia (72 girls, CBT/Cont/FT, pre/post weight in lb; reference Cont)
#           carData::Baumann (66 children, Basal/DRTA/Strat, two reading tests; reference Basal),
#           with post.test.1 removed for rows 3, 25 and 50 to exercise complete-case handling.
suppressPackageStartupMessages({library(MASS); library(carData); library(emmeans)})
out <- "tests/reference"
fmt <- function(x) format(x, digits = 17)

data(anorexia, package = "MASS")
an <- anorexia; an$id <- seq_len(nrow(an))
an_long <- rbind(data.frame(id = an$id, arm = an$Treat, time = "pre", weight = an$Prewt),
                 data.frame(id = an$id, arm = an$Treat, time = "post", weight = an$Postwt))
write.csv(an_long, file.path(out, "data/anorexia_long.csv"), row.names = FALSE)

data(Baumann, package = "carData")
ba <- Baumann; ba$id <- seq_len(nrow(ba))
ba$post.test.1[c(3, 25, 50)] <- NA
ba_long <- rbind(data.frame(id = ba$id, group = ba$group, time = "T0",
                            test1 = ba$pretest.1, test2 = ba$pretest.2),
                 data.frame(id = ba$id, group = ba$group, time = "T1",
                            test1 = ba$post.test.1, test2 = ba$post.test.2))
write.csv(ba_long, file.path(out, "data/baumann_long.csv"), row.names = FALSE)

dz_ci <- function(t, n, level = 0.95) {
  a <- (1 - level) / 2; df <- n - 1
  lo <- uniroot(function(ncp) pt(t, df, ncp) - (1 - a), c(t - 50, t + 50), tol = 1e-12)$root
  hi <- uniroot(function(ncp) pt(t, df, ncp) - a, c(t - 50, t + 50), tol = 1e-12)$root
  c(lo, hi) / sqrt(n)
}

golden <- function(pre, post, arm, ref, score, dataset) {
  arm <- relevel(factor(as.character(arm)), ref)
  ok <- !is.na(pre) & !is.na(post)
  pre <- pre[ok]; post <- post[ok]; arm <- droplevels(arm[ok])
  fit <- lm(post ~ pre + arm)
  ci <- confint(fit); s <- summary(fit)$coefficients
  em <- as.data.frame(emmeans(fit, "arm"))
  others <- setdiff(levels(arm), ref)
  anc <- do.call(rbind, lapply(others, function(a) {
    k <- paste0("arm", a)
    p1 <- pre[arm == a]; p0 <- pre[arm == ref]
    psd <- sqrt(((length(p1) - 1) * var(p1) + (length(p0) - 1) * var(p0)) / (length(p1) + length(p0) - 2))
    data.frame(score = score, arm = a, reference = ref, diff = fmt(s[k, 1]), se = fmt(s[k, 2]),
               ci_low = fmt(ci[k, 1]), ci_high = fmt(ci[k, 2]), t = fmt(s[k, 3]),
               df = fit$df.residual, p_val = fmt(s[k, 4]), baseline_coef = fmt(s["pre", 1]),
               adj_mean_arm = fmt(em$emmean[em$arm == a]),
               adj_mean_reference = fmt(em$emmean[em$arm == ref]),
               n_obs = length(post), pooled_baseline_sd = fmt(psd), smd = fmt(s[k, 1] / psd),
               r_call = sprintf("lm(post ~ pre + arm), arm reference '%s'; confint(); emmeans(fit, 'arm')", ref))
  }))
  wel <- do.call(rbind, lapply(others, function(a) {
    tt <- t.test(post[arm == a], post[arm == ref], var.equal = FALSE)
    data.frame(score = score, arm = a, reference = ref,
               diff = fmt(unname(tt$estimate[1] - tt$estimate[2])), ci_low = fmt(tt$conf.int[1]),
               ci_high = fmt(tt$conf.int[2]), t = fmt(unname(tt$statistic)),
               df = fmt(unname(tt$parameter)), p_val = fmt(tt$p.value),
               r_call = "t.test(post[arm == a], post[arm == ref], var.equal = FALSE)")
  }))
  wit <- do.call(rbind, lapply(levels(arm), function(a) {
    d <- post[arm == a] - pre[arm == a]; n <- length(d)
    tt <- t.test(post[arm == a], pre[arm == a], paired = TRUE)
    dz <- dz_ci(unname(tt$statistic), n)
    data.frame(score = score, arm = a, n = n, mean_change = fmt(mean(d)), sd_change = fmt(sd(d)),
               ci_low = fmt(tt$conf.int[1]), ci_high = fmt(tt$conf.int[2]),
               t = fmt(unname(tt$statistic)), p_val = fmt(tt$p.value), d_z = fmt(mean(d) / sd(d)),
               d_z_ci_low = fmt(dz[1]), d_z_ci_high = fmt(dz[2]),
               r_call = "t.test(post, pre, paired = TRUE); d_z CI by noncentral t inversion (uniroot on pt)")
  }))
  list(ancova = anc, welch = wel, within = wit)
}

write_all <- function(parts, dataset) {
  for (nm in names(parts)) {
    write.csv(parts[[nm]], file.path(out, sprintf("trial_%s_%s.csv", nm, dataset)), row.names = FALSE)
  }
}

write_all(golden(an$Prewt, an$Postwt, an$Treat, "Cont", "weight"), "anorexia")
b1 <- golden(ba$pretest.1, ba$post.test.1, ba$group, "Basal", "test1")
b2 <- golden(ba$pretest.2, ba$post.test.2, ba$group, "Basal", "test2")
write_all(list(ancova = rbind(b1$ancova, b2$ancova), welch = rbind(b1$welch, b2$welch),
               within = rbind(b1$within, b2$within)), "baumann")
cat("done\n")
