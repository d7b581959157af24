if (args.Length > 0 && args[0] == "modadd-step")
{
    Interp.Bench.ModAddStep.Run(args[1..]);
    return;
}
if (args.Length > 0 && args[0] == "gemm-quick")
{
    Interp.Bench.GemmQuick.Run(args[1..]);
    return;
}
BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
