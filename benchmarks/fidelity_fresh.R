# Reference numbers for benchmarks/fidelity_fresh.py (run by it, once, on a temp folder):
#   Rscript benchmarks/fidelity_fresh.R DIR
# DIR/manifest.json lists the jobs (data file + options); DIR/r_results.json gets the answers.
# Each job uses the R call the library's documentation names as its equivalent.
suppressPackageStartupMessages({library(psych); library(jsonlite); library(GPArotation)
  library(BayesFactor)})
args <- commandArgs(trailingOnly = TRUE)
dir <- args[1]
jobs <- fromJSON(file.path(dir, "manifest.json"), simplifyVector = FALSE)
rd <- function(f) read.csv(file.path(dir, f), check.names = FALSE)
num <- function(x) unname(as.numeric(x))

alpha_job <- function(j) {
  d <- rd(j$file)
  if (!is.null(j$subset)) d <- d[!is.na(d[[j$subset$column]]) & d[[j$subset$column]] == j$subset$value, ]
  x <- d[, unlist(j$items), drop = FALSE]
  if (j$missing == "listwise") x <- na.omit(x)
  x <- x[rowSums(!is.na(x)) > 0, , drop = FALSE]
  keys <- if (length(j$keys)) unlist(j$keys) else NULL
  a <- suppressWarnings(psych::alpha(x, keys = keys, warnings = FALSE, check.keys = FALSE))
  if (!is.null(keys)) {  # the keyed data psych analysed: max + min - x over all items
    x[, keys] <- max(x, na.rm = TRUE) + min(x, na.rm = TRUE) - x[, keys]
  }
  C <- cov(x, use = "pairwise")
  k <- ncol(x); odd <- seq(1, k, 2); even <- seq(2, k, 2)
  rh <- sum(C[odd, even]) / sqrt(sum(C[odd, odd]) * sum(C[even, even]))
  out <- list(raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
              g6 = a$total[["G6(smc)"]], average_r = a$total$average_r,
              median_r = a$total$median_r, sn = a$total[["S/N"]], ase = a$total$ase,
              feldt_low = a$feldt$lower.ci[[1]], feldt_high = a$feldt$upper.ci[[1]],
              r_drop = num(a$item.stats$r.drop), raw_r = num(a$item.stats$raw.r),
              std_r = num(a$item.stats$std.r), item_mean = num(a$item.stats$mean),
              item_sd = num(a$item.stats$sd),
              alpha_drop = num(a$alpha.drop$raw_alpha), std_alpha_drop = num(a$alpha.drop$std.alpha),
              r_halves = rh, split_half_sb = 2 * rh / (1 + rh), n_obs = nrow(x),
              pc_negative = {
                p1 <- suppressWarnings(psych::principal(x))
                as.list(colnames(x)[num(p1$loadings) < 0])
              },
              check_keys_flips = {
                ck <- suppressWarnings(psych::alpha(x, check.keys = TRUE, warnings = FALSE))
                as.list(sub("^-", "", grep("^-", ck$keys[[1]], value = TRUE)))
              })
  if (isTRUE(j$ordinal)) {  # psych::polychoric can fail on sparse tables: then no reference
    try({
      pc <- suppressWarnings(psych::polychoric(x))
      out$ordinal_alpha <- psych::alpha(pc$rho, warnings = FALSE)$total$std.alpha
      out$ordinal_omega <- suppressMessages(suppressWarnings(
        psych::omega(x, nfactors = 1, poly = TRUE, plot = FALSE)))$omega.tot
    }, silent = TRUE)
  }
  if (k >= 3) {
    o1 <- suppressMessages(suppressWarnings(psych::omega(x, nfactors = 1, plot = FALSE)))
    out$omega_total_1 <- o1$omega.tot
  }
  if (!is.null(j$omega_nf) && k >= 2 * j$omega_nf + 1) {
    o <- suppressMessages(suppressWarnings(psych::omega(x, nfactors = j$omega_nf, plot = FALSE)))
    out$omega_total_nf <- o$omega.tot; out$omega_h_nf <- o$omega_h
  }
  out
}

efa_job <- function(j) {
  x <- rd(j$file)[, unlist(j$items), drop = FALSE]
  if (identical(j$missing, "listwise")) x <- na.omit(x)
  x <- x[rowSums(!is.na(x)) > 0, , drop = FALSE]
  r <- cor(x, use = "pairwise")
  km <- suppressMessages(tryCatch(psych::KMO(r), error = function(e) list(MSA = NA, MSAi = NA)))
  res <- list(kmo = km$MSA, kmo_items = num(km$MSAi),
              bartlett = psych::cortest.bartlett(x)$chisq,
              bartlett_p = psych::cortest.bartlett(x)$p.value, bartlett_df = psych::cortest.bartlett(x)$df,
              pa_values = num(suppressWarnings(psych::fa(r, 1, fm = "minres", warnings = FALSE))$values),
              fits = list())
  if (isTRUE(j$corr_input)) {  # the matrix itself, with n.obs: psych weights nothing by pair counts
    f <- suppressMessages(suppressWarnings(psych::fa(r, nfactors = 2, n.obs = nrow(x), warnings = FALSE)))
    res$corr_fit <- list(chisq = f$STATISTIC, tli = f$TLI, rmsea = num(f$RMSEA[1:3]), bic = f$BIC,
                         rms = f$rms, crms = f$crms, loadings = unname(unclass(f$loadings)))
    write.csv(r, file.path(dir, paste0("corr_", j$file)))
  }
  for (s in j$solutions) {
    f <- tryCatch(suppressMessages(suppressWarnings(psych::fa(x, nfactors = s$nf, fm = s$fm,
                                                     rotate = s$rotate, warnings = FALSE))),
                  error = function(e) conditionMessage(e))
    if (is.character(f)) {
      res$fits[[length(res$fits) + 1]] <- list(nf = s$nf, fm = s$fm, rotate = s$rotate, error = f)
      next
    }
    L <- unclass(f$loadings)
    res$fits[[length(res$fits) + 1]] <- list(
      nf = s$nf, fm = s$fm, rotate = s$rotate, loadings = unname(L),
      communality = num(f$communality), uniquenesses = num(f$uniquenesses),
      phi = if (is.null(f$Phi)) NULL else unname(f$Phi),
      chisq = f$STATISTIC, dof = f$dof, p = f$PVAL, tli = f$TLI,
      rmsea = num(f$RMSEA[1]), rmsea_low = num(f$RMSEA[2]), rmsea_high = num(f$RMSEA[3]),
      bic = f$BIC, rms = f$rms, crms = f$crms, null_chisq = f$null.chisq,
      values = num(f$values), e_values = num(f$e.values), objective = f$objective,
      fit_off = f$fit.off, complexity = num(f$complexity),
      structure = if (is.null(f$Structure)) NULL else unname(unclass(f$Structure)),
      vaccounted = unname(f$Vaccounted))
  }
  res
}

exact_d_ci <- function(d, n1, n2, level = 0.95) {
  s <- sqrt(1 / n1 + 1 / n2); t <- d / s; df <- n1 + n2 - 2; a <- (1 - level) / 2
  lo <- uniroot(function(q) pt(t, df, q) - (1 - a), c(t - 10, t), tol = 1e-13)$root
  hi <- uniroot(function(q) pt(t, df, q) - a, c(t, t + 10), tol = 1e-13)$root
  c(lo * s, hi * s)
}

group_ci <- function(y, g, lv) lapply(lv, function(l) num(t.test(y[g == l])$conf.int))

# Steiger (2004) noncentral-F interval for the proportion of variance, by hand
eta_ci <- function(f, df1, df2, level = 0.95) {
  a <- (1 - level) / 2; N <- df1 + df2 + 1
  bound <- function(target) {
    if (pf(f, df1, df2) <= target) return(0)
    uniroot(function(l) pf(f, df1, df2, ncp = l) - target, c(0, max(100, 50 * f * df1)),
            tol = 1e-12)$root
  }
  l <- c(bound(1 - a), bound(a)); l / (l + N)
}

multi_job <- function(j) {
  d <- rd(j$file); g <- d[[j$group]]; lv <- sort(unique(g))
  p <- np <- c()
  for (sc in unlist(j$scores)) {
    y <- d[[sc]]; ok <- !is.na(y)
    if (length(lv) == 2) {
      p <- c(p, t.test(y[ok & g == lv[1]], y[ok & g == lv[2]])$p.value)
      np <- c(np, wilcox.test(y[ok & g == lv[1]], y[ok & g == lv[2]], exact = FALSE)$p.value)
    } else {
      p <- c(p, oneway.test(y ~ factor(g), subset = ok)$p.value)
      np <- c(np, kruskal.test(y[ok], factor(g[ok]))$p.value)
    }
  }
  out <- list()
  for (m in c("holm", "BH", "bonferroni")) {
    out[[paste0("p_", m)]] <- p.adjust(p, m); out[[paste0("np_", m)]] <- p.adjust(np, m)
  }
  out
}

icc_job <- function(j) {
  x <- rd(j$file)
  ic <- psych::ICC(na.omit(x), lmer = FALSE)$results  # psych stops on missing data: listwise as cscore
  list(n = nrow(na.omit(x)), icc = num(ic$ICC), f = num(ic$F), df1 = num(ic$df1), df2 = num(ic$df2),
       p = num(ic$p), low = num(ic[["lower bound"]]), high = num(ic[["upper bound"]]))
}

compare_job <- function(j) {
  d <- rd(j$file)
  y <- d[[j$score]]; g <- d[[j$group]]
  ok <- !is.na(y) & !is.na(g); y <- y[ok]; g <- g[ok]
  lv <- sort(unique(g))
  if (length(lv) == 2) {
    y1 <- y[g == lv[1]]; y2 <- y[g == lv[2]]
    tt <- t.test(y1, y2)
    w <- wilcox.test(y1, y2, exact = FALSE, correct = TRUE)
    cd <- suppressWarnings(psych::cohen.d(data.frame(y = y, g = match(g, lv)), "g"))
    n1 <- length(y1); n2 <- length(y2)
    dd <- (mean(y1) - mean(y2)) / sqrt(((n1 - 1) * var(y1) + (n2 - 1) * var(y2)) / (n1 + n2 - 2))
    J <- exp(lgamma((n1 + n2 - 2) / 2) - lgamma((n1 + n2 - 3) / 2)) / sqrt((n1 + n2 - 2) / 2)
    ci <- exact_d_ci(dd, n1, n2)
    bf <- BayesFactor::ttestBF(x = y1, y = y2)@bayesFactor$bf / log(10)
    rb <- 2 * num(w$statistic) / (n1 * n2) - 1
    list(t = num(tt$statistic), df = num(tt$parameter), p = tt$p.value,
         w = num(w$statistic), w_p = w$p.value, psych_hedges_g = -num(cd$hedges.g[1, 2]),
         psych_d_ci = -rev(num(cd$hedges.g[1, c(1, 3)])), d = dd, g = J * dd,
         g_ci = J * ci, log10_bf10 = bf, rank_biserial = rb, mean_ci = group_ci(y, g, lv))
  } else {
    ow <- oneway.test(y ~ factor(g))
    kw <- kruskal.test(y, factor(g))
    av <- summary(aov(y ~ factor(g)))[[1]]
    pw <- pairwise.t.test(y, factor(g), pool.sd = FALSE, p.adjust.method = "holm")
    pr <- pairwise.t.test(y, factor(g), pool.sd = FALSE, p.adjust.method = "none")
    pairs <- list()
    for (a in seq_along(lv)) for (b in seq_along(lv)) if (a < b)
      pairs[[length(pairs) + 1]] <- c(pr$p.value[b - 1, a], pw$p.value[b - 1, a])
    ssb <- av[1, "Sum Sq"]; ssw <- av[2, "Sum Sq"]
    list(f = num(ow$statistic), df1 = num(ow$parameter[1]), df2 = num(ow$parameter[2]),
         p = ow$p.value, h = num(kw$statistic), h_p = kw$p.value,
         f_classic = av[1, "F value"], f_p = av[1, "Pr(>F)"],
         eta_sq = ssb / (ssb + ssw),
         omega_sq = (ssb - av[1, "Df"] * av[2, "Mean Sq"]) / (ssb + ssw + av[2, "Mean Sq"]),
         pairs_p = lapply(pairs, function(v) v[1]), pairs_p_holm = lapply(pairs, function(v) v[2]),
         eta_ci = eta_ci(av[1, "F value"], av[1, "Df"], av[2, "Df"]), mean_ci = group_ci(y, g, lv))
  }
}

sums <- function(d, items) { s <- rowSums(d[, items]); s }  # NA when any item is missing

retest_job <- function(j) {
  a <- rd(j$file1); b <- rd(j$file2)
  out <- list()
  for (sc in j$scores) {
    m <- merge(data.frame(id = a$id, t1 = sums(a, unlist(sc$items))),
               data.frame(id = b$id, t2 = sums(b, unlist(sc$items))), by = "id")
    m <- m[complete.cases(m), ]
    ic <- psych::ICC(m[, c("t1", "t2")], lmer = FALSE)$results
    ct <- cor.test(m$t1, m$t2)
    out[[sc$id]] <- list(n = nrow(m), icc = num(ic$ICC), f = num(ic$F), df1 = num(ic$df1),
                         df2 = num(ic$df2), p = num(ic$p), low = num(ic[["lower bound"]]),
                         high = num(ic[["upper bound"]]), r = num(ct$estimate),
                         r_ci = num(ct$conf.int))
  }
  out
}

change_job <- function(j) {
  a <- rd(j$file1); b <- rd(j$file2)
  out <- list()
  for (sc in j$scores) {
    it <- unlist(sc$items)
    m <- merge(data.frame(id = a$id, pre = sums(a, it)), data.frame(id = b$id, post = sums(b, it)),
               by = "id")
    cm <- m[complete.cases(m), ]
    sdp <- sd(cm$pre)
    pre_items <- a[a$id %in% cm$id, it]
    rel <- suppressWarnings(psych::alpha(pre_items, warnings = FALSE, check.keys = FALSE))$total$raw_alpha
    se <- sdp * sqrt(2) * sqrt(1 - rel)
    cm <- cm[order(cm$id), ]
    rci <- (cm$post - cm$pre) / se
    # clinical significance with given norms (higher is worse): a, b, c of Jacobson & Truax
    mc <- j$clinical[[1]]; sc_ <- j$clinical[[2]]; mf <- j$functional[[1]]; sf <- j$functional[[2]]
    cut_a <- mc - 2 * sc_; cut_b <- mf + 2 * sf; cut_c <- (sc_ * mf + sf * mc) / (sc_ + sf)
    rel_dir <- ifelse(rci < -1.96, "improved", ifelse(rci > 1.96, "deteriorated", "unchanged"))
    crossed <- cm$pre >= cut_c & cm$post < cut_c
    cat <- ifelse(rel_dir == "improved" & crossed, "recovered", rel_dir)
    out[[sc$id]] <- list(sd = sdp, reliability = rel, se_diff = se, ids = cm$id, rci = rci,
                         cut_a = cut_a, cut_b = cut_b, cut_c = cut_c, category = cat,
                         n_pairs = nrow(cm))
  }
  out
}

res <- list()
for (j in jobs) {
  if (nzchar(Sys.getenv("FIDELITY_DEBUG"))) message(j$name)
  res[[j$name]] <- switch(j$kind, alpha = alpha_job(j), efa = efa_job(j),
                          compare = compare_job(j), icc = icc_job(j), multi = multi_job(j), retest = retest_job(j), change = change_job(j))
}
res$versions <- list(R = R.version.string, psych = as.character(packageVersion("psych")),
                     GPArotation = as.character(packageVersion("GPArotation")),
                     BayesFactor = as.character(packageVersion("BayesFactor")))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, na = "null", null = "null"),
           file.path(dir, "r_results.json"))
