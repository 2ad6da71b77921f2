# lavaan 0.6-14 on an item answered by 4 of 120 people, with FIML (missing = "ml"): the golden for
# cscore's refusal (tests/stats/test_sem_fiml.py::test_fiml_item_answered_by_four_people_is_refused_in_words).
# Run once from the repository root:  Rscript tests/reference/cfa_fiml_sparse_item.R
# Data: tests/reference/data/ordinal_edges_n120.csv (as numbers) with y2 kept only in rows 1-4 (answers
# 1, 2, 3, 4). The EM estimate of the unrestricted model runs into a singular covariance matrix (y2
# is predicted exactly by the seven other items from four people): lavaan reports a fit, with
# warnings about the coverage and about the EM covariance matrix's smallest eigenvalue (below 1e-5).
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
out <- "tests/reference"
d <- read.csv(file.path(out, "data", "ordinal_edges_n120.csv"))
d$y2 <- NA; d$y2[1:4] <- 1:4
model <- "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8"
warn <- character()
fit <- withCallingHandlers(cfa(model, data = d, missing = "ml", estimator = "ML"),
                           warning = function(w) { warn <<- c(warn, conditionMessage(w)); invokeRestart("muffleWarning") })
res <- list(call = 'd$y2 <- NA; d$y2[1:4] <- 1:4; cfa(model, data = d, missing = "ml", estimator = "ML")',
            lavaan_version = as.character(packageVersion("lavaan")),
            converged = lavInspect(fit, "converged"),
            fit = as.list(fitMeasures(fit, c("chisq", "df", "cfi", "rmsea"))),
            em_sigma_min_eigen = min(eigen(lavInspect(fit, "sampstat")$cov, only.values = TRUE)$values),
            warnings = gsub("\\s+", " ", warn))
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           file.path(out, "cfa_fiml_sparse_item.json"))
