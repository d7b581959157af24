using System.Runtime.CompilerServices;
using System.Numerics;
using System.Runtime.Intrinsics;
using Interp.Cpu;

namespace Interp.Backends;

public sealed unsafe partial class CpuBackend
{
    public Tensor Unary(UnaryOp op, Tensor x, double p1 = 0, double p2 = 0)
    {
        RequireFloat(op.ToString().ToLowerInvariant(), x);
        var o = Tensor.Empty(x.ShapeArray, x.DType);
        switch (op)
        {
            case UnaryOp.Neg: Unary<UnaryFns.Neg>(x, o, p1, p2); break;
            case UnaryOp.Exp: Unary<UnaryFns.Exp>(x, o, p1, p2); break;
            case UnaryOp.Log: Unary<UnaryFns.Log>(x, o, p1, p2); break;
            case UnaryOp.Sqrt: Unary<UnaryFns.Sqrt>(x, o, p1, p2); break;
            case UnaryOp.Rsqrt: Unary<UnaryFns.Rsqrt>(x, o, p1, p2); break;
            case UnaryOp.Abs: Unary<UnaryFns.Abs>(x, o, p1, p2); break;
            case UnaryOp.Sign: Unary<UnaryFns.Sign>(x, o, p1, p2); break;
            case UnaryOp.Tanh: Unary<UnaryFns.Tanh>(x, o, p1, p2); break;
            case UnaryOp.Sigmoid: Unary<UnaryFns.Sigmoid>(x, o, p1, p2); break;
            case UnaryOp.Relu: Unary<UnaryFns.Relu>(x, o, p1, p2); break;
            case UnaryOp.Square: Unary<UnaryFns.Square>(x, o, p1, p2); break;
            case UnaryOp.Reciprocal: Unary<UnaryFns.Reciprocal>(x, o, p1, p2); break;
            case UnaryOp.Gelu: Unary<UnaryFns.Gelu>(x, o, p1, p2); break;
            case UnaryOp.GeluTanh: Unary<UnaryFns.GeluTanh>(x, o, p1, p2); break;
            case UnaryOp.GeluGrad: Unary<UnaryFns.GeluGrad>(x, o, p1, p2); break;
            case UnaryOp.GeluTanhGrad: Unary<UnaryFns.GeluTanhGrad>(x, o, p1, p2); break;
            case UnaryOp.Erf: Unary<UnaryFns.Erf>(x, o, p1, p2); break;
            case UnaryOp.PowScalar: Unary<UnaryFns.PowScalar>(x, o, p1, p2); break;
            case UnaryOp.Clamp: Unary<UnaryFns.Clamp>(x, o, p1, p2); break;
            case UnaryOp.InRange: Unary<UnaryFns.InRange>(x, o, p1, p2); break;
            default: throw new NotSupportedException($"unary op {op} has no CPU kernel");
        }
        return o;
    }

    static void Unary<F>(Tensor x, Tensor o, double p1, double p2) where F : IUnaryFn
    {
        if (x.DType == DType.Float32) UnaryTyped<float, F>(x, o, (float)p1, (float)p2);
        else UnaryTyped<double, F>(x, o, p1, p2);
    }

    static void UnaryTyped<T, F>(Tensor x, Tensor o, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> where F : IUnaryFn
    {
        T* px = Ptr<T>(x), po = Ptr<T>(o);
        using var alive = new KeepAlive(x, o);
        new StridedLoop(x.shape, x.strides, o.strides).Run([x.Offset, 0], (off, n, st) =>
            UnaryRun<T, F>(px + off[0], st[0], po + off[1], n, p1, p2));
    }

    /// <summary>Whether functions with a 512-bit float form (GELU's and its backward's) use it; tests switch it off to reach the 256-bit lanes.</summary>
    internal static bool WideElementwise { get; set; } = Vector512.IsHardwareAccelerated;

    // optimised at its first call: its vector math (F.Apply, VMath's exp/tanh) is inlined only into optimised code, and
    // the tier-up of a loop method (OSR) left those callees at tier 0 for whole GPT-2 forwards (gelu_tanh 4x slower)
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void UnaryRun<T, F>(T* x, int sx, T* o, int n, T p1, T p2) where T : unmanaged, IFloatingPointIeee754<T> where F : IUnaryFn
    {
        int i = 0;
        if (typeof(T) == typeof(float) && F.HasVector512Float && sx == 1 && WideElementwise)
        {
            float* xf = (float*)x, of = (float*)o;
            for (; i <= n - Vector512<float>.Count; i += Vector512<float>.Count)
                Vector512.Store(F.Apply512(Vector512.Load(xf + i)), of + i);
        }
        if (F.HasVector && sx == 1 && Vector256.IsHardwareAccelerated)
        {
            var v1 = Vector256.Create(p1);
            var v2 = Vector256.Create(p2);
            for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
                Vector256.Store(F.Apply(Vector256.Load(x + i), v1, v2), o + i);
        }
        for (; i < n; i++) o[i] = F.Apply(x[i * sx], p1, p2);
    }

    public Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        string name = op.ToString().ToLowerInvariant();
        if (a.DType != b.DType)
            throw new ArgumentException($"{name}: dtypes differ ({a.DType.Name()} {ShapeUtil.Format(a.shape)} and {b.DType.Name()} {ShapeUtil.Format(b.shape)})");
        var shape = ShapeUtil.Broadcast(name, a.shape, b.shape);
        if (a.DType == DType.Int32)
        {   // int32 arithmetic and comparisons go through float64, which holds every int32 exactly
            var r = Binary(op, ToDType(a, DType.Float64), ToDType(b, DType.Float64));
            return ToDType(r, DType.Int32);   // division truncates toward zero
        }
        var o = Tensor.Empty(shape, a.DType);
        switch (op)
        {
            case BinaryOp.Add: Binary<BinaryFns.Add>(a, b, o); break;
            case BinaryOp.Sub: Binary<BinaryFns.Sub>(a, b, o); break;
            case BinaryOp.Mul: Binary<BinaryFns.Mul>(a, b, o); break;
            case BinaryOp.Div: Binary<BinaryFns.Div>(a, b, o); break;
            case BinaryOp.Pow: Binary<BinaryFns.Pow>(a, b, o); break;
            case BinaryOp.Maximum: Binary<BinaryFns.Maximum>(a, b, o); break;
            case BinaryOp.Minimum: Binary<BinaryFns.Minimum>(a, b, o); break;
            case BinaryOp.Eq: Binary<BinaryFns.Eq>(a, b, o); break;
            case BinaryOp.Ne: Binary<BinaryFns.Ne>(a, b, o); break;
            case BinaryOp.Lt: Binary<BinaryFns.Lt>(a, b, o); break;
            case BinaryOp.Le: Binary<BinaryFns.Le>(a, b, o); break;
            case BinaryOp.Gt: Binary<BinaryFns.Gt>(a, b, o); break;
            case BinaryOp.Ge: Binary<BinaryFns.Ge>(a, b, o); break;
            case BinaryOp.MulSign: Binary<BinaryFns.MulSign>(a, b, o); break;
            case BinaryOp.GeluBackward: Binary<BinaryFns.GeluBackward>(a, b, o); break;
            default: throw new NotSupportedException($"binary op {op} has no CPU kernel");
        }
        return o;
    }

    Tensor ToDType(Tensor t, DType dtype)
    {
        var r = Tensor.Empty(t.ShapeArray, dtype);
        Copy(t, r);
        return r;
    }

    static void Binary<F>(Tensor a, Tensor b, Tensor o) where F : IBinaryFn
    {
        if (a.DType == DType.Float32) BinaryTyped<float, F>(a, b, o);
        else BinaryTyped<double, F>(a, b, o);
    }

    static void BinaryTyped<T, F>(Tensor a, Tensor b, Tensor o) where T : unmanaged, IFloatingPointIeee754<T> where F : IBinaryFn
    {
        T* pa = Ptr<T>(a), pb = Ptr<T>(b), po = Ptr<T>(o);
        using var alive = new KeepAlive(a, b, o);
        var sa = ShapeUtil.BroadcastStrides("binary", a.shape, a.strides, o.shape);
        var sb = ShapeUtil.BroadcastStrides("binary", b.shape, b.strides, o.shape);
        new StridedLoop(o.shape, sa, sb, o.strides).Run([a.Offset, b.Offset, 0], (off, n, st) =>
            BinaryRun<T, F>(pa + off[0], st[0], pb + off[1], st[1], po + off[2], n));
    }

    /// <summary>
    /// o[i] = f(a[i·sa], b[i·sb]); SIMD when each input is contiguous (stride 1) or a broadcast scalar (stride 0), on
    /// 512-bit lanes first where f has them (both contiguous).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    static void BinaryRun<T, F>(T* a, int sa, T* b, int sb, T* o, int n) where T : unmanaged, IFloatingPointIeee754<T> where F : IBinaryFn
    {
        int i = 0, w = Vector256<T>.Count;
        if (typeof(T) == typeof(float) && F.HasVector512Float && WideElementwise && sa <= 1 && sb <= 1 && sa + sb > 0)
            i = BinaryRun512<F>((float*)a, sa, (float*)b, sb, (float*)o, n);
        if (F.HasVector && Vector256.IsHardwareAccelerated && sa <= 1 && sb <= 1)
        {
            if (sa == 1 && sb == 1)
                for (; i <= n - w; i += w) Vector256.Store(F.Apply(Vector256.Load(a + i), Vector256.Load(b + i)), o + i);
            else if (sa == 0 && sb == 1)
            {
                var va = Vector256.Create(*a);
                for (; i <= n - w; i += w) Vector256.Store(F.Apply(va, Vector256.Load(b + i)), o + i);
            }
            else if (sa == 1 && sb == 0)
            {
                var vb = Vector256.Create(*b);
                for (; i <= n - w; i += w) Vector256.Store(F.Apply(Vector256.Load(a + i), vb), o + i);
            }
        }
        for (; i < n; i++) o[i] = F.Apply(a[i * sa], b[i * sb]);
    }

    /// <summary>The 512-bit part of <see cref="BinaryRun"/> (one input may be a broadcast scalar); returns where it stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static int BinaryRun512<F>(float* a, int sa, float* b, int sb, float* o, int n) where F : IBinaryFn
    {
        int i = 0, w = Vector512<float>.Count;
        var (va, vb) = (Vector512.Create(*a), Vector512.Create(*b));
        for (; i <= n - w; i += w)
            Vector512.Store(F.Apply512(sa == 0 ? va : Vector512.Load(a + i), sb == 0 ? vb : Vector512.Load(b + i)), o + i);
        return i;
    }

    public Tensor Where(Tensor cond, Tensor a, Tensor b)
    {
        if (a.DType != b.DType)
            throw new ArgumentException($"where: dtypes differ ({a.DType.Name()} and {b.DType.Name()})");
        var shape = ShapeUtil.Broadcast("where", ShapeUtil.Broadcast("where", cond.shape, a.shape), b.shape);
        if (cond.DType != a.DType) cond = ToDType(cond, a.DType);
        var o = Tensor.Empty(shape, a.DType);
        switch (a.DType)
        {
            case DType.Float32: WhereTyped<float>(cond, a, b, o); break;
            case DType.Float64: WhereTyped<double>(cond, a, b, o); break;
            default: WhereTyped<int>(cond, a, b, o); break;
        }
        return o;
    }

    static void WhereTyped<T>(Tensor c, Tensor a, Tensor b, Tensor o) where T : unmanaged, INumberBase<T>
    {
        T* pc = Ptr<T>(c), pa = Ptr<T>(a), pb = Ptr<T>(b), po = Ptr<T>(o);
        using var alive = new KeepAlive(c, a, b, o);
        var sc = ShapeUtil.BroadcastStrides("where", c.shape, c.strides, o.shape);
        var sa = ShapeUtil.BroadcastStrides("where", a.shape, a.strides, o.shape);
        var sb = ShapeUtil.BroadcastStrides("where", b.shape, b.strides, o.shape);
        new StridedLoop(o.shape, sc, sa, sb, o.strides).Run([c.Offset, a.Offset, b.Offset, 0], (off, n, st) =>
        {
            T* cc = pc + off[0], aa = pa + off[1], bb = pb + off[2], oo = po + off[3];
            for (int i = 0; i < n; i++) oo[i] = cc[i * st[0]] != T.Zero ? aa[i * st[1]] : bb[i * st[2]];
        });
    }
}

