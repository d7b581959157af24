if (args.Length > 0 && args[0] == "gemm-quick")
{
    Interp.Bench.GemmQuick.Run(args[1..]);
    return;
}
BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
