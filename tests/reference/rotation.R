# Golden values for compassion_scales.stats.rotation.rotate (issue #11: one rotation kernel).
# Unrotated 4-factor minres loadings of Harman74 (psych::fa, rotate = "none"), then each
# rotation exactly as psych::fa calls it. Run: Rscript tests/reference/rotation.R
suppressMessages({library(psych); library(GPArotation); library(jsonlite)})
r <- as.matrix(read.csv("tests/reference/data/harman74_cor.csv", row.names = 1))
L <- unclass(fa(r, nfactors = 4, n.obs = 145, fm = "minres", rotate = "none")$loadings)
out <- list(
  call = "L = fa(Harman74.cor, 4, fm = 'minres', rotate = 'none')$loadings; then each rotation",
  versions = list(R = R.version.string, psych = as.character(packageVersion("psych")),
                  GPArotation = as.character(packageVersion("GPArotation"))),
  unrotated = L)
o <- oblimin(L); out$oblimin <- list(loadings = unclass(o$loadings), phi = o$Phi)
g <- geominQ(L); out$geomin_obl <- list(loadings = unclass(g$loadings), phi = g$Phi)
t <- geominT(L); out$geomin_ort <- list(loadings = unclass(t$loadings))
v <- varimax(L); out$varimax <- list(loadings = unclass(v$loadings))
p <- kaiser(L, rotate = "Promax"); out$promax <- list(loadings = unclass(p$loadings), phi = p$Phi)
writeLines(toJSON(out, digits = NA, matrix = "rowmajor", auto_unbox = TRUE),
           "tests/reference/rotation_harman74_psych.json")
