using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Interp.Cpu;

/// <summary>
/// A SIMD vector of T of one width, so that a kernel is written once and run with 256-bit or 512-bit vectors: the JIT
/// compiles a generic method once per struct type argument, with the wrapper's calls inlined away.
/// </summary>
internal unsafe interface ILanes<TV, T> where TV : unmanaged, ILanes<TV, T> where T : unmanaged, INumber<T>
{
    static abstract int Count { get; }
    static abstract TV Zero { get; }
    static abstract TV Load(T* p);
    static abstract TV Create(T s);
    void Store(T* p);
    static abstract TV operator +(TV a, TV b);
    static abstract TV operator -(TV a, TV b);
    static abstract TV operator *(TV a, T s);
    static abstract TV operator *(TV a, TV b);
}

/// <summary>Vector256 lanes: 8 floats or 4 doubles (AVX2, or the JIT's software fallback).</summary>
internal readonly unsafe struct Lanes256<T>(Vector256<T> v) : ILanes<Lanes256<T>, T> where T : unmanaged, INumber<T>
{
    readonly Vector256<T> v = v;
    public static int Count => Vector256<T>.Count;
    public static Lanes256<T> Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> Load(T* p) => new(Vector256.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> Create(T s) => new(Vector256.Create(s));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(T* p) => Vector256.Store(v, p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> operator +(Lanes256<T> a, Lanes256<T> b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> operator -(Lanes256<T> a, Lanes256<T> b) => new(a.v - b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> operator *(Lanes256<T> a, T s) => new(a.v * s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes256<T> operator *(Lanes256<T> a, Lanes256<T> b) => new(a.v * b.v);
}

/// <summary>Vector512 lanes: 16 floats or 8 doubles (AVX-512).</summary>
internal readonly unsafe struct Lanes512<T>(Vector512<T> v) : ILanes<Lanes512<T>, T> where T : unmanaged, INumber<T>
{
    readonly Vector512<T> v = v;
    public static int Count => Vector512<T>.Count;
    public static Lanes512<T> Zero => default;
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> Load(T* p) => new(Vector512.Load(p));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> Create(T s) => new(Vector512.Create(s));
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public void Store(T* p) => Vector512.Store(v, p);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> operator +(Lanes512<T> a, Lanes512<T> b) => new(a.v + b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> operator -(Lanes512<T> a, Lanes512<T> b) => new(a.v - b.v);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> operator *(Lanes512<T> a, T s) => new(a.v * s);
    [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Lanes512<T> operator *(Lanes512<T> a, Lanes512<T> b) => new(a.v * b.v);
}
