using Xunit;

namespace Interp.Tests.Gpu;

/// <summary>A fact that runs only where a CUDA device exists; elsewhere it is reported as skipped (never as passed).</summary>
public sealed class CudaFactAttribute : FactAttribute
{
    public CudaFactAttribute()
    {
        if (!Interp.Gpu.Gpu.CudaAvailable) Skip = "no CUDA device on this machine (Interp.Gpu.Gpu.CudaAvailable is false)";
    }
}

/// <summary>A theory that runs only where a CUDA device exists; elsewhere it is reported as skipped.</summary>
public sealed class CudaTheoryAttribute : TheoryAttribute
{
    public CudaTheoryAttribute()
    {
        if (!Interp.Gpu.Gpu.CudaAvailable) Skip = "no CUDA device on this machine (Interp.Gpu.Gpu.CudaAvailable is false)";
    }
}

/// <summary>A fact about a machine without a CUDA device; where one exists it is reported as skipped (never as passed).</summary>
public sealed class NoCudaFactAttribute : FactAttribute
{
    public NoCudaFactAttribute()
    {
        if (Interp.Gpu.Gpu.CudaAvailable) Skip = "this machine has a CUDA device (the test checks what happens without one)";
    }
}
