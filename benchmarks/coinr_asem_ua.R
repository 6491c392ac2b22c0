# COINr's uncertainty analysis of its ASEM example with its vignette's SA_specs
# (vignettes/sensitivity.Rmd, COINr 1.1.14), for benchmarks/bench_coinr.py.
# Usage: Rscript benchmarks/coinr_asem_ua.R [N]
# Prints "in-process seconds: S" and "in-process cpu seconds: C", the elapsed and the CPU
# (user + system) time of get_sensitivity() alone; the whole process (R start-up,
# library(COINr), building the coin) is timed by the caller.
args <- commandArgs(trailingOnly = TRUE)
N <- if (length(args) > 0) as.integer(args[1]) else 100L
suppressPackageStartupMessages(library(COINr))
# get_sensitivity() asks y/n on stdin when an SA_specs address is NULL (the example's
# aggregation weights); under Rscript there is nobody to answer, so the question is skipped.
assignInNamespace("require_user_input", function(address, message_fragment) invisible(NULL),
                  "COINr")
coin <- build_example_coin(quietly = TRUE)
set.seed(1)
l_winmax <- list(Address = "$Log$Treat$global_specs$f1_para$winmax",
                 Distribution = 1:5, Type = "discrete")
norm_alts <- list(list(f_n = "n_minmax", f_n_para = list(c(1, 100))),
                  list(f_n = "n_zscore", f_n_para = list(c(10, 2))))
l_norm <- list(Address = "$Log$Normalise$global_specs", Distribution = norm_alts,
               Type = "discrete")
noise_specs <- data.frame(Level = c(2, 3), NoiseFactor = c(0.25, 0.25))
noisy_wts <- get_noisy_weights(w = coin$Meta$Weights$Original, noise_specs = noise_specs,
                               Nrep = N)
l_weights <- list(Address = "$Log$Aggregate$w", Distribution = noisy_wts, Type = "discrete")
l_agg <- list(Address = "$Log$Aggregate$f_ag", Distribution = c("a_amean", "a_gmean"),
              Type = "discrete")
SA_specs <- list(Winmax = l_winmax, Normalisation = l_norm, Weights = l_weights,
                 Aggregation = l_agg)
timing <- system.time(
  SA_res <- get_sensitivity(coin, SA_specs = SA_specs, N = N, SA_type = "UA",
                            dset = "Aggregated", iCode = "Index", Nboot = NULL,
                            quietly = TRUE)
)
cat(sprintf("in-process seconds: %.3f\n", timing[["elapsed"]]))
cat(sprintf("in-process cpu seconds: %.3f\n", timing[["user.self"]] + timing[["sys.self"]]))
cat(sprintf("units: %d\n", nrow(SA_res$RankStats)))
