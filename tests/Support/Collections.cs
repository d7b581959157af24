using Xunit;

namespace Interp.Tests;

/// <summary>
/// The GEMM and attention-kernel tests force kernel paths through global switches (Gemm.ForcedPath,
/// CpuBackend.ShortAttention); they run alone, never beside other tests,
/// whose results (bit-identical resumes, same-seed losses) would otherwise depend on which kernel happened to run.
/// </summary>
[CollectionDefinition("Gemm", DisableParallelization = true)]
public sealed class GemmCollection;

/// <summary>Tests that capture Console (the walkthroughs, the CLI verbs): one at a time, never beside another test.</summary>
[CollectionDefinition("Console", DisableParallelization = true)]
public sealed class ConsoleCollection;
