# Reference values for tests/test_weighted.py from R's survey package.
#
# Run from the repository root (R 4.2 with Debian's r-cran-survey 4.1):
#   Rscript tests/reference/r/survey_reference.R > tests/reference/survey_r.csv
# It reads tests/reference/survey_designs.csv (one row per sampled unit: design, y, w,
# stratum, N, domain) and writes one row per (design, domain, lonely_psu, method, level):
# the estimate, its standard error, the interval, the degrees of freedom and the design
# effects, each printed with 17 significant digits. Every row says the R call in `call`.
# R's "likelihood" interval interpolates a profile computed on a coarse grid (5 steps of
# the standard error up to the cut-off), which moves a bound by up to about 5e-3 in these
# small designs; the rows with method "likelihood_fine" profile the same svyglm fit on a
# grid of 0.005 standard errors (arguments del and maxsteps of survey's profiler), so
# that they come within about 1e-6 of the exact bounds.
suppressMessages(library(survey))
units <- read.csv("tests/reference/survey_designs.csv", stringsAsFactors = FALSE, comment.char = "#")
fmt <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) "NA" else sprintf("%.17g", x)
cat(sprintf("# R %s, survey %s; produced by tests/reference/r/survey_reference.R\n",
            paste(R.version$major, R.version$minor, sep = "."), packageVersion("survey")))
cat("design,domain,lonely_psu,method,level,estimate,se,low,high,df,deff,deff_replace,call\n")
make <- function(dat) {
  has_fpc <- !all(is.na(dat$N))
  if (has_fpc) svydesign(ids = ~1, strata = ~stratum, weights = ~w, fpc = ~N, data = dat)
  else svydesign(ids = ~1, strata = ~stratum, weights = ~w, data = dat)
}
row <- function(design, domain, lonely, method, level, d, call) {
  ci <- if (method == "likelihood_fine") tryCatch({
      g <- svyglm(y ~ 1, d, family = quasibinomial)
      as.numeric(plogis(confint(g, 1, level = level, method = "likelihood", ddf = degf(d),
                                del = 0.005, maxsteps = 4000)))
    }, error = function(e) c(NA, NA))
  else tryCatch(attr(svyciprop(~y, d, method = method, level = level), "ci"),
                error = function(e) c(NA, NA))
  m <- svymean(~y, d, deff = TRUE)
  mr <- svymean(~y, d, deff = "replace")
  cat(paste(design, domain, lonely, method, level, fmt(coef(m)[1]), fmt(SE(m)[1]),
            fmt(ci[1]), fmt(ci[2]), fmt(degf(d)), fmt(deff(m)[1]), fmt(deff(mr)[1]),
            shQuote(call, type = "cmd"), sep = ","), "\n", sep = "")
}
methods <- c("mean", "logit", "likelihood", "beta")
for (name in unique(units$design)) {
  dat <- units[units$design == name, ]
  lonely_options <- if (grepl("^lonely", name)) c("certainty", "adjust", "average") else "fail"
  for (lonely in lonely_options) {
    options(survey.lonely.psu = lonely)
    d <- make(dat)
    fpc <- if (all(is.na(dat$N))) "" else ", fpc = ~N"
    design_call <- sprintf("options(survey.lonely.psu = '%s'); d <- svydesign(ids = ~1, strata = ~stratum, weights = ~w%s, data = %s)",
                           lonely, fpc, name)
    for (level in c(0.95, 0.9)) for (method in methods) {
      row(name, "", lonely, method, level, d,
          sprintf("%s; svyciprop(~y, d, method = '%s', level = %s); svymean(~y, d, deff = TRUE)",
                  design_call, method, level))
      if (method == "likelihood") row(name, "", lonely, "likelihood_fine", level, d,
          sprintf("%s; plogis(confint(svyglm(y ~ 1, d, family = quasibinomial), 1, level = %s, method = 'likelihood', ddf = degf(d), del = 0.005, maxsteps = 4000))",
                  design_call, level))
    }
    if (any(dat$domain != "")) for (g in sort(unique(dat$domain))) for (method in methods) {
      dd <- subset(d, domain == g)
      row(name, g, lonely, method, 0.95, dd,
          sprintf("%s; svyciprop(~y, subset(d, domain == '%s'), method = '%s')", design_call, g, method))
      if (method == "likelihood") row(name, g, lonely, "likelihood_fine", 0.95, dd,
          sprintf("%s; dd <- subset(d, domain == '%s'); plogis(confint(svyglm(y ~ 1, dd, family = quasibinomial), 1, method = 'likelihood', ddf = degf(dd), del = 0.005, maxsteps = 4000))",
                  design_call, g))
    }
  }
}
