if (args.Length > 0 && args[0] == "modadd-step")
{
    Interp.Bench.ModAddStep.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "eis7-steps")
{
    Interp.Bench.Eis7Steps.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "eis7-rules")
{
    Interp.Bench.Eis7Rules.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "gemm-quick")
{
    Interp.Bench.GemmQuick.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "conv-parts")
{
    Interp.Bench.ConvParts.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "code-lm-step")
{
    Interp.Bench.CodeLmStep.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "gpt-step")
{
    Interp.Bench.GptStep.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "gpt2-small")
{
    Interp.Bench.Gpt2Small.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "device-tests")
    return Interp.Bench.DeviceTests.Run(args[1..]);
if (args.Length > 0 && args[0] == "gpu")
{
    Interp.Bench.GpuSideBySide.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "sae-parts")
{
    Interp.Bench.SaeParts.Run(args[1..]);
    return 0;
}
if (args.Length > 0 && args[0] == "cnn-step")
{
    Interp.Bench.CnnStep.Run(args[1..]);
    return 0;
}
try
{
    if (args.Length > 0 && args[0] == "ptx-info")
        return Interp.Bench.PtxInfo.Run(args[1..]);
    if (args.Length > 0 && args[0] == "side-by-side")
        return Interp.Bench.SideBySide.SideBySideRunner.Run(args[1..]);
    if (args.Length > 0 && args[0] == "workload")
    {
        Interp.Bench.SideBySide.WorkloadProcess.Run(args[1..]);
        return 0;
    }
}
catch (Exception e) when (e is ArgumentException or FileNotFoundException)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
BenchmarkDotNet.Running.BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
