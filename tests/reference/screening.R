# Golden values for compassion_scales.stats.careless (careless-responding indices).
# Run once from the repository root:  Rscript tests/reference/screening.R
# R 4.2.2, psych 2.2.9 (Debian r-cran-psych).
#
# R's careless package (Yentes & Wilhelm) is not installable here (not in Debian, CRAN
# unreachable). Mahalanobis D2 comes from psych::outlier, which careless::mahad calls.
# The other indices are computed below with base R exactly as careless 1.2 defines them
# (source read at github.com/ryentes/careless, R/longstring.R, R/irv.R, R/evenodd.R,
# R/psychsyn.R); each block names the careless function it stands for.
suppressPackageStartupMessages(library(psych))
out <- "tests/reference"

x <- as.matrix(psych::bfi[1:400, 1:25])           # 25 items, 6-point, some NA
keys <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5") # reverse-keyed in psych::bfi
xk <- x
xk[, keys] <- 7 - xk[, keys]

# careless::longstring(x, avg = TRUE): max and mean of rle(x)$lengths per row
ls <- t(apply(x, 1, function(r) { l <- rle(r)$lengths; c(max(l), mean(l)) }))

# careless::irv(x): sd of each row (na.rm: careless 1.2.1 "now handles NA values")
irv <- apply(x, 1, sd, na.rm = TRUE)

# careless::evenodd(xk, rep(5, 5)): per factor, mean of even- and odd-numbered items;
# r = cor(even, odd) over factors (pairwise); r_sb = 2r / (1 + r), bounded at -1; index = -r_sb
eo <- apply(xk, 1, function(r) {
  f <- t(sapply(0:4, function(j) { s <- r[(5 * j + 1):(5 * j + 5)]
    c(mean(s[c(2, 4)], na.rm = TRUE), mean(s[c(1, 3, 5)], na.rm = TRUE)) }))
  v <- suppressWarnings(cor(f[, 1], f[, 2], use = "pairwise.complete.obs"))
  v <- 2 * v / (1 + v)
  if (!is.na(v) && v < -1) v <- -1
  -v
})

# careless::psychsyn(x, critval, anto): pairs from the lower triangle of cor(x, pairwise);
# per row, cor over the pairs both answered when more than 2 (no resampling)
psychsyn <- function(x, critval, anto = FALSE) {
  r <- cor(x, use = "pairwise.complete.obs")
  r[upper.tri(r, diag = TRUE)] <- NA
  tab <- as.data.frame(as.table(r))
  hit <- if (anto) which(tab$Freq < -critval) else which(tab$Freq > critval)
  p1 <- match(tab$Var1[hit], colnames(x)); p2 <- match(tab$Var2[hit], colnames(x))
  apply(x, 1, function(row) {
    a <- row[p1]; b <- row[p2]
    if (sum(!(is.na(a) | is.na(b))) > 2) suppressWarnings(cor(a, b, use = "pairwise.complete.obs")) else NA
  })
}
syn <- psychsyn(x, 0.5)
ant <- psychsyn(x, 0.4, anto = TRUE)

# careless::mahad(x) = psych::outlier(x, plot = FALSE, bad = 0)
d2 <- psych::outlier(x, plot = FALSE)
p <- pchisq(d2, df = ncol(x), lower.tail = FALSE)

# person-total correlation (Curran 2016): cor(row, colMeans of the other rows)
pt <- sapply(seq_len(nrow(x)), function(i) {
  m <- colMeans(x[-i, ], na.rm = TRUE)
  ok <- !is.na(x[i, ])
  if (sum(ok) > 2) cor(x[i, ok], m[ok]) else NA
})

res <- data.frame(longstr = ls[, 1], avgstr = ls[, 2], irv = irv, evenodd = eo,
                  psychsyn = syn, psychant = ant, mahad = as.numeric(d2), mahad_p = as.numeric(p),
                  person_total = pt, complete = complete.cases(x))
path <- file.path(out, "careless_indices_bfi400.csv")
con <- file(path, "w")
writeLines("# call: see tests/reference/screening.R (psych::bfi[1:400, 1:25]; evenodd on keyed items, factors rep(5, 5); psychsyn critval .5; psychant critval .4)", con)
writeLines(paste0("# R ", R.version$major, ".", R.version$minor, ", psych ", packageVersion("psych")), con)
close(con)
suppressWarnings(write.table(res, path, sep = ",", row.names = FALSE, append = TRUE,
                             na = "", quote = FALSE, col.names = TRUE))
cat("pairs syn:", sum(!is.na(syn)), " ant:", sum(!is.na(ant)), "\n")
