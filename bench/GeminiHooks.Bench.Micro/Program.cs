using BenchmarkDotNet.Running;

// bench/run.sh micro passes "--filter * --job short"; any BenchmarkDotNet arguments work.
BenchmarkSwitcher.FromAssembly(typeof(GeminiHooks.Bench.Micro.VerifierBenchmarks).Assembly).Run(args);
