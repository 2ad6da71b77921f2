# Golden values for tests/test_norms.py and tests/test_tracking.py (issue 15), base R only.
# Run: Rscript tests/reference/norms_tracking.R  (writes norms_tracking.json beside this file)
x <- c(18, 10, 6, 11); m <- 10; s <- 4                      # clinic_a norm sample (test data)
z <- (x - m) / s
out <- list(
  call_norms = "z = (x - 10) / 4; T = 50 + 10 * z; pct = 100 * pnorm(z)",
  z = z, t = 50 + 10 * z, pct = 100 * pnorm(z),
  # worked example (docs/clinical-change.md): SE_diff = SD * sqrt(2) * sqrt(1 - r)
  call_rci = "(post - first) / (SD * sqrt(2) * sqrt(1 - r)); SD 10 / r .875 (fcs_self), SD 8 / r .875 (ceas)",
  se_fcs = 10 * sqrt(2) * sqrt(1 - 0.875), se_ceas = 8 * sqrt(2) * sqrt(1 - 0.875),
  rci_A_fcs = (c(34, 30, 22, 18) - 34) / (10 * sqrt(2) * sqrt(1 - 0.875)),
  rci_A_ceas = (c(28, 30, 33, 40) - 28) / (8 * sqrt(2) * sqrt(1 - 0.875)),
  cutoff_c_fcs = (10 * 14 + 6 * 30) / (10 + 6), cutoff_c_ceas = (8 * 42 + 8 * 30) / (8 + 8)
)
con <- file("norms_tracking.json", "w")
writeLines(paste0("{", paste(sprintf('"%s": %s', names(out), sapply(out, function(v)
  if (is.character(v)) sprintf('"%s"', v) else sprintf("[%s]", paste(sprintf("%.15g", v), collapse = ", ")))),
  collapse = ",\n "), "}"), con)
close(con)
