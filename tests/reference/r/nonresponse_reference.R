# Reference values for the weighting-class adjustment in tests/test_weighted.py.
#
# Run from the repository root (R 4.2 with Debian's r-cran-survey 4.1):
#   Rscript tests/reference/r/nonresponse_reference.R > tests/reference/nonresponse_r.csv
# tests/reference/nonresponse_sample.csv holds a sample of 12 units in three weighting
# classes; unit 6 did not answer. postStratify() of the respondents' design to each
# class's total of design weights (over all sampled units) gives the adjusted weights;
# svyciprop/svymean on a design with those weights gives the adjusted estimate, and on
# the respondents with their design weights the unadjusted one.
suppressMessages(library(survey))
s <- read.csv("tests/reference/nonresponse_sample.csv", comment.char = "#")
totals <- aggregate(w ~ class, data = s, FUN = sum)
names(totals) <- c("class", "Freq")
resp <- s[s$responded == 1, ]
d <- svydesign(ids = ~1, weights = ~w, data = resp)
ps <- postStratify(d, ~class, totals)
cat(sprintf("# R %s.%s, survey %s; produced by tests/reference/r/nonresponse_reference.R\n",
            R.version$major, R.version$minor, packageVersion("survey")))
cat("# weights(postStratify(svydesign(ids = ~1, weights = ~w, data = resp), ~class, totals)) per unit,\n")
cat("# then, per row 'estimate', svymean(~y, d) and svyciprop(~y, d, method = 'logit') of d =\n")
cat("# svydesign(ids = ~1, weights = ~w, data = resp) (unadjusted) or ~w_adjusted (adjusted)\n")
cat("kind,unit,value,se,low,high\n")
for (i in seq_len(nrow(resp))) cat(sprintf("weight,%d,%.17g,,,\n", resp$unit[i], weights(ps)[i]))
resp$w_adjusted <- weights(ps)
for (k in c("unadjusted", "adjusted")) {
  dk <- if (k == "adjusted") svydesign(ids = ~1, weights = ~w_adjusted, data = resp) else d
  m <- svymean(~y, dk)
  ci <- attr(svyciprop(~y, dk, method = "logit"), "ci")
  cat(sprintf("%s,,%.17g,%.17g,%.17g,%.17g\n", k, coef(m)[1], SE(m)[1], ci[1], ci[2]))
}
