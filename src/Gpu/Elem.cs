using ILGPU;

namespace Interp.Gpu;

/// <summary>
/// How a kernel reads, writes and atomically adds one element type. Kernels compute in double and are instantiated
/// per element type with one of these structs (ILGPU specialises the generic kernel, so the calls are free).
/// </summary>
public interface IElem<T> where T : unmanaged
{
    double Load(T v);
    T Store(double v);
    void AtomicAdd(ref T target, double v);
    /// <summary>a·b + acc in T itself (the GEMM's inner loop stays in float for float32).</summary>
    T MulAdd(T a, T b, T acc);
}

public struct F32 : IElem<float>
{
    public readonly double Load(float v) => v;
    public readonly float Store(double v) => (float)v;
    public readonly void AtomicAdd(ref float target, double v) => Atomic.Add(ref target, (float)v);
    public readonly float MulAdd(float a, float b, float acc) => a * b + acc;
}

public struct F64 : IElem<double>
{
    public readonly double Load(double v) => v;
    public readonly double Store(double v) => v;
    public readonly void AtomicAdd(ref double target, double v) => Atomic.Add(ref target, v);
    public readonly double MulAdd(double a, double b, double acc) => a * b + acc;
}

public struct I32 : IElem<int>
{
    public readonly double Load(int v) => v;
    public readonly int Store(double v) => (int)v;
    public readonly void AtomicAdd(ref int target, double v) => Atomic.Add(ref target, (int)v);
    public readonly int MulAdd(int a, int b, int acc) => a * b + acc;
}
