# Reference numbers for benchmarks/fidelity_fresh_trial_flows.py (run by it, once, on a temp folder):
#   Rscript benchmarks/fidelity_fresh_trial_flows.R DIR
# DIR/manifest.json lists the jobs; DIR/r_results.json gets the answers. R calls:
#   trial:  lm(post ~ pre + arm) (reference = first level), summary(), confint(); adjusted means
#           at mean(pre) by predict() (what emmeans(fit, "arm") gives with one covariate; emmeans
#           is not installed here); t.test(var.equal = FALSE); t.test(paired = TRUE); d_z CI by
#           uniroot on pt(t, df, ncp) as tests/reference/trial.R
#   flows:  t.test CI per cell; cor.test; psych::r.test(n, r12, r34, n2) (Fisher z) and
#           psych::r.test(n, r12, r34, r13, r14, r23, r24) (Steiger); t.test Welch / paired;
#           psych::cohen.d-style pooled d; lme4::lmer(value ~ flow * group * time + (1 | subject),
#           contrasts contr.sum, REML = TRUE / FALSE): fixef, SE, VarCorr, logLik
#   anova (flows without time; complete cases): car::Anova(lm(cbind(flows) ~ group, contrasts
#           contr.sum), idata, idesign = ~flow, type = 3) + summary(multivariate = FALSE) (what
#           afex::aov_ez(type = 3) runs; afex is not installed here); Type I: summary(aov(value ~
#           group * flow + Error(id / flow))); ges = SS / (SS + all error SS) as afex
#   retest: psych::ICC(lmer = FALSE) and cor.test on the complete pairs
suppressPackageStartupMessages({library(psych); library(jsonlite); library(lme4); library(car)})
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
jobs <- fromJSON(file.path(dir, "manifest.json"), simplifyVector = FALSE)
rd <- function(f) read.csv(file.path(dir, f), check.names = FALSE, stringsAsFactors = FALSE)
num <- function(x) unname(as.numeric(x))
sums <- function(d, items) rowSums(d[, items, drop = FALSE])   # NA when any item is missing

dz_ci <- function(t, n, level = 0.95) {
  a <- (1 - level) / 2; df <- n - 1
  lo <- uniroot(function(ncp) pt(t, df, ncp) - (1 - a), c(t - 50, t + 50), tol = 1e-13)$root
  hi <- uniroot(function(ncp) pt(t, df, ncp) - a, c(t - 50, t + 50), tol = 1e-13)$root
  c(lo, hi) / sqrt(n)
}

trial_job <- function(j) {
  d <- rd(j$file)
  out <- list()
  for (sc in j$scores) {
    d$s <- sums(d, unlist(sc$items))
    b <- d[d$wave == j$occasions[[1]], c("id", "arm", "s")]
    f <- d[d$wave == j$occasions[[2]], c("id", "s")]
    m <- merge(b, f, by = "id", all.x = TRUE, suffixes = c("_pre", "_post"))
    m <- m[!is.na(m$s_pre) & !is.na(m$s_post), ]
    ref <- if (is.null(j$reference)) levels(factor(m$arm))[1] else j$reference
    arm <- relevel(factor(m$arm), ref); pre <- m$s_pre; post <- m$s_post
    fit <- lm(post ~ pre + arm)
    s <- summary(fit)$coefficients; ci <- confint(fit)
    others <- setdiff(levels(arm), ref)
    adj <- predict(fit, newdata = data.frame(pre = mean(pre), arm = factor(levels(arm), levels(arm))))
    names(adj) <- levels(arm)
    anc <- lapply(others, function(a) {
      k <- paste0("arm", a)
      p1 <- pre[arm == a]; p0 <- pre[arm == ref]
      psd <- sqrt(((length(p1) - 1) * var(p1) + (length(p0) - 1) * var(p0)) / (length(p1) + length(p0) - 2))
      tt <- t.test(post[arm == a], post[arm == ref], var.equal = FALSE)
      list(arm = a, n_arm = sum(arm == a), n_reference = sum(arm == ref), diff = s[k, 1], se = s[k, 2],
           t = s[k, 3], p = s[k, 4], ci = num(ci[k, ]), df = fit$df.residual,
           baseline_coef = s["pre", 1], adj_arm = num(adj[a]), adj_ref = num(adj[ref]),
           psd = psd, smd = s[k, 1] / psd, smd_ci = num(ci[k, ]) / psd, r2 = summary(fit)$r.squared,
           w_diff = num(tt$estimate[1] - tt$estimate[2]), w_se = num(tt$stderr), w_t = num(tt$statistic),
           w_df = num(tt$parameter), w_p = tt$p.value, w_ci = num(tt$conf.int))
    })
    wit <- lapply(levels(arm), function(a) {
      x <- post[arm == a]; y <- pre[arm == a]; dd <- x - y
      tt <- t.test(x, y, paired = TRUE)
      list(arm = a, n = length(dd), mean_change = mean(dd), sd_change = sd(dd), t = num(tt$statistic),
           p = tt$p.value, ci = num(tt$conf.int), d_z = mean(dd) / sd(dd),
           d_z_ci = dz_ci(num(tt$statistic), length(dd)))
    })
    out[[sc$id]] <- list(reference = ref, ancova = anc, within = wit, n_obs = nrow(m))
  }
  out
}

flows_job <- function(j) {
  d <- rd(j$file)
  flows <- unlist(j$flows)
  for (fl in flows) d[[fl]] <- sums(d, unlist(j$items[[fl]])) / length(j$items[[fl]])
  grouped <- !is.null(j$group)
  d$g <- if (grouped) as.character(d$grp) else "all"
  d$t <- as.character(d$wave)
  gl <- sort(unique(d$g)); tl <- sort(unique(d$t))
  desc <- list(); cors <- list(); gtests <- list(); ttests <- list(); welch <- list(); paired <- list()
  for (tm in tl) for (g in gl) {
    sub <- d[d$t == tm & d$g == g, ]
    for (fl in flows) {
      x <- sub[[fl]][!is.na(sub[[fl]])]
      tt <- t.test(x)
      desc[[length(desc) + 1]] <- list(flow = fl, group = g, time = tm, n = length(x), mean = mean(x),
                                       sd = sd(x), ci = num(tt$conf.int))
    }
    for (p in combn(flows, 2, simplify = FALSE)) {
      ok <- !is.na(sub[[p[1]]]) & !is.na(sub[[p[2]]])
      ct <- cor.test(sub[[p[1]]][ok], sub[[p[2]]][ok])
      cors[[length(cors) + 1]] <- list(group = g, time = tm, flow_a = p[1], flow_b = p[2], n = sum(ok),
                                       r = num(ct$estimate), ci = num(ct$conf.int), p = ct$p.value)
      x <- sub[[p[1]]][ok]; y <- sub[[p[2]]][ok]
      pt_ <- t.test(x, y, paired = TRUE)
      paired[[length(paired) + 1]] <- list(group = g, time = tm, a = p[1], b = p[2], t = num(pt_$statistic),
                                           p = pt_$p.value)
    }
  }
  for (tm in tl) {
    at <- d[d$t == tm, ]
    if (length(gl) > 1) for (p in combn(flows, 2, simplify = FALSE)) for (gg in combn(gl, 2, simplify = FALSE)) {
      rr <- lapply(gg, function(g) { s <- at[at$g == g & !is.na(at[[p[1]]]) & !is.na(at[[p[2]]]), ]
        c(cor(s[[p[1]]], s[[p[2]]]), nrow(s)) })
      rt <- psych::r.test(n = rr[[1]][2], r12 = rr[[1]][1], r34 = rr[[2]][1], n2 = rr[[2]][2])
      gtests[[length(gtests) + 1]] <- list(time = tm, flow_a = p[1], flow_b = p[2], group_1 = gg[1],
                                           group_2 = gg[2], z = num(rt$z), p = num(rt$p))
    }
    if (length(gl) > 1) for (fl in flows) for (gg in combn(gl, 2, simplify = FALSE)) {
      x <- at[[fl]][at$g == gg[1] & !is.na(at[[fl]])]; y <- at[[fl]][at$g == gg[2] & !is.na(at[[fl]])]
      tt <- t.test(x, y)
      nx <- length(x); ny <- length(y)
      dpool <- (mean(x) - mean(y)) / sqrt(((nx - 1) * var(x) + (ny - 1) * var(y)) / (nx + ny - 2))
      m <- nx + ny - 2; J <- exp(lgamma(m / 2) - log(sqrt(m / 2)) - lgamma((m - 1) / 2))
      welch[[length(welch) + 1]] <- list(time = tm, flow = fl, a = gg[1], b = gg[2], t = num(tt$statistic),
                                         df = num(tt$parameter), p = tt$p.value, g = J * dpool)
    }
  }
  for (g in gl) for (tp in combn(tl, 2, simplify = FALSE)) {
    w1 <- d[d$g == g & d$t == tp[1], c("id", flows)]; w2 <- d[d$g == g & d$t == tp[2], c("id", flows)]
    both <- merge(w1, w2, by = "id", suffixes = c("__1", "__2"))
    for (p in combn(flows, 2, simplify = FALSE)) {
      m <- na.omit(both[, c(paste0(p[1], "__1"), paste0(p[2], "__1"), paste0(p[1], "__2"), paste0(p[2], "__2"))])
      r <- cor(m)
      rt <- psych::r.test(n = nrow(m), r12 = r[1, 2], r34 = r[3, 4], r13 = r[1, 3], r14 = r[1, 4],
                          r23 = r[2, 3], r24 = r[2, 4])
      ttests[[length(ttests) + 1]] <- list(group = g, flow_a = p[1], flow_b = p[2], time_1 = tp[1],
                                           time_2 = tp[2], n = nrow(m), r_1 = r[1, 2], r_2 = r[3, 4],
                                           z = num(rt$z), p = num(rt$p))
    }
  }
  long <- do.call(rbind, lapply(flows, function(fl) data.frame(subject = as.character(d$id), group = d$g,
                                                             time = d$t, flow = fl, value = d[[fl]])))
  long <- long[!is.na(long$value), ]
  long$flow <- factor(long$flow, levels = flows)
  long$group <- factor(long$group, levels = gl); long$time <- factor(long$time, levels = tl)
  fml <- if (length(gl) > 1) value ~ flow * group * time + (1 | subject) else value ~ flow * time + (1 | subject)
  ctr <- if (length(gl) > 1) list(flow = "contr.sum", group = "contr.sum", time = "contr.sum")
         else list(flow = "contr.sum", time = "contr.sum")
  lmm <- list()
  for (reml in c(TRUE, FALSE)) {
    fit <- lmer(fml, data = long, REML = reml, contrasts = ctr)  # lme4's default optimiser (nloptwrap)
    vc <- as.data.frame(VarCorr(fit))
    lmm[[if (reml) "reml" else "ml"]] <- list(names = names(fixef(fit)), beta = num(fixef(fit)),
      se = num(sqrt(diag(as.matrix(vcov(fit))))), tau2 = vc$vcov[1], sigma2 = vc$vcov[2],
      loglik = num(logLik(fit)), n_obs = nrow(long))
  }
  list(desc = desc, cors = cors, gtests = gtests, ttests = ttests, welch = welch, paired = paired, lmm = lmm)
}

retest_job <- function(j) {
  d <- rd(j$file)
  out <- list()
  for (sc in j$scores) {
    d$s <- sums(d, unlist(sc$items))
    m <- merge(d[d$wave == j$occasions[[1]], c("id", "s")], d[d$wave == j$occasions[[2]], c("id", "s")],
               by = "id", suffixes = c("1", "2"))
    m <- m[complete.cases(m), ]
    ic <- psych::ICC(m[, c("s1", "s2")], lmer = FALSE)$results
    ct <- cor.test(m$s1, m$s2)
    out[[sc$id]] <- list(n = nrow(m), icc = num(ic$ICC), f = num(ic$F), df1 = num(ic$df1),
                         df2 = num(ic$df2), p = num(ic$p), low = num(ic[["lower bound"]]),
                         high = num(ic[["upper bound"]]), r = num(ct$estimate), r_ci = num(ct$conf.int))
  }
  out
}

anova_job <- function(j) {
  d <- rd(j$file)
  flows <- unlist(j$flows)
  for (fl in flows) d[[fl]] <- sums(d, unlist(j$items[[fl]])) / length(j$items[[fl]])
  grouped <- !is.null(j$group)
  w <- d[complete.cases(d[, c(flows, if (grouped) "grp")]), ]
  if (grouped) w$grp <- factor(w$grp)
  Y <- as.matrix(w[, flows])
  mlm <- if (grouped) lm(Y ~ grp, data = w, contrasts = list(grp = "contr.sum")) else lm(Y ~ 1)
  idata <- data.frame(flow = factor(flows, levels = flows))
  s <- summary(car::Anova(mlm, idata = idata, idesign = ~flow, type = 3), multivariate = FALSE)
  uni <- unclass(s$univariate.tests); adj <- unclass(s$pval.adjustments); sph <- unclass(s$sphericity.tests)
  terms <- if (grouped) c("grp", "flow", "grp:flow") else "flow"
  err_all <- sum(unique(uni[, "Error SS"]))
  t3 <- lapply(terms, function(tm) {
    r <- list(term = sub("grp", "group", tm), df1 = uni[tm, "num Df"], df2 = uni[tm, "den Df"],
              ss = uni[tm, "Sum Sq"], ss_error = uni[tm, "Error SS"], f = uni[tm, "F value"],
              p = uni[tm, "Pr(>F)"], pes = uni[tm, "Sum Sq"] / (uni[tm, "Sum Sq"] + uni[tm, "Error SS"]),
              ges = uni[tm, "Sum Sq"] / (uni[tm, "Sum Sq"] + err_all))
    if (tm %in% rownames(adj)) r <- c(r, list(gg_eps = adj[tm, "GG eps"], p_gg = adj[tm, "Pr(>F[GG])"],
                                            hf_eps = adj[tm, "HF eps"], p_hf = adj[tm, "Pr(>F[HF])"]))
    r
  })
  long <- do.call(rbind, lapply(flows, function(fl) data.frame(id = factor(w$id), flow = fl, value = w[[fl]],
                                                             grp = if (grouped) w$grp else "all")))
  long$flow <- factor(long$flow, levels = flows)
  a1 <- summary(if (grouped) aov(value ~ grp * flow + Error(id / flow), data = long)
                else aov(value ~ flow + Error(id / flow), data = long))
  b <- a1[["Error: id"]][[1]]; wi <- a1[["Error: id:flow"]][[1]]
  rownames(b) <- trimws(rownames(b)); rownames(wi) <- trimws(rownames(wi))
  t1 <- lapply(terms, function(tm) {
    tab <- if (tm == "grp") b else wi
    list(term = sub("grp", "group", tm), ss = tab[tm, "Sum Sq"], f = tab[tm, "F value"], p = tab[tm, "Pr(>F)"])
  })
  list(n = nrow(w), type3 = t3, type1 = t1, mauchly_w = unname(sph[1, "Test statistic"]),
       mauchly_p = unname(sph[1, "p-value"]))
}

res <- list()
for (j in jobs) {
  res[[j$name]] <- switch(j$kind, trial = trial_job(j), flows = flows_job(j), retest = retest_job(j),
                          anova = anova_job(j))
}
res$versions <- list(R = R.version.string, psych = as.character(packageVersion("psych")),
                     lme4 = as.character(packageVersion("lme4")))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null", null = "null"),
           file.path(dir, "r_results.json"))
