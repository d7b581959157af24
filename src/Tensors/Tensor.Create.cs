namespace Interp;

public sealed partial class Tensor
{
    /// <summary>A new tensor of the given shape on a device; contents undefined unless <paramref name="zeroed"/>.</summary>
    public static Tensor Empty(int[] shape, DType dtype = DType.Float32, Device? device = null, bool zeroed = false) =>
        Allocate("empty", shape, dtype, device, zeroed);

    static Tensor Allocate(string op, int[] shape, DType dtype, Device? device, bool zeroed)
    {
        CheckSizes(op, shape);
        var dev = device ?? Device.Cpu;
        return new Tensor(dev.Backend.Allocate(dtype, ShapeUtil.Numel(shape), zeroed), (int[])shape.Clone());
    }

    /// <summary>Throws, naming the factory, when a size is negative.</summary>
    static void CheckSizes(string op, int[] shape)
    {
        foreach (var d in shape)
            if (d < 0) throw new ArgumentException($"{op}: negative size {d} in shape {ShapeUtil.Format(shape)}");
    }

    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false) =>
        WithGrad(Allocate("zeros", shape, dtype, device, zeroed: true), requiresGrad);

    public static Tensor Ones(int[] shape, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false) =>
        FullOf("ones", shape, 1.0, dtype, device, requiresGrad);

    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false) =>
        FullOf("full", shape, value, dtype, device, requiresGrad);

    static Tensor FullOf(string op, int[] shape, double value, DType dtype, Device? device, bool requiresGrad)
    {
        var t = Allocate(op, shape, dtype, device, zeroed: false);
        t.Backend.Fill(t, value);
        return WithGrad(t, requiresGrad);
    }

    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false) =>
        Full([], value, dtype, device, requiresGrad);

    public static Tensor ZerosLike(Tensor t) => Zeros(t.ShapeArray, t.DType, t.Device);
    public static Tensor OnesLike(Tensor t) => Ones(t.ShapeArray, t.DType, t.Device);
    public static Tensor FullLike(Tensor t, double value) => Full(t.ShapeArray, value, t.DType, t.Device);

    /// <summary>Values start, start+step, ... below end (as torch.arange).</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32, Device? device = null)
    {
        if (step == 0) throw new ArgumentException("arange: step must be non-zero");
        int n = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var v = new double[n];
        for (int i = 0; i < n; i++) v[i] = start + i * step;
        return FromDoubles(v, [n], dtype, device);
    }

    public static Tensor Arange(int end, DType dtype = DType.Float32, Device? device = null) => Arange(0, end, 1, dtype, device);

    /// <summary>
    /// The causal mask [queries, keys] as int32: 1 where key j lies after query i, whose absolute position is
    /// <paramref name="offset"/> + i (offset: positions cached before the first query), else 0. On an accelerator it is
    /// made once per shape and device and the same tensor returned after (a copy from the host in every forward pass
    /// would stall it): read it, never write into it.
    /// </summary>
    public static Tensor CausalMask(int queries, int keys, int offset = 0, Device? device = null)
    {
        var dev = device ?? Device.Cpu;
        if (dev == Device.Cpu) return HostCausalMask(queries, keys, offset, dev);
        var key = (dev, queries, keys, offset);
        if (deviceMasks.TryGetValue(key, out var cached)) return cached;
        if (deviceMasks.Count >= 256) deviceMasks.Clear();   // bounded: a generation loop makes one shape per offset
        return deviceMasks[key] = HostCausalMask(queries, keys, offset, dev);
    }

    static readonly System.Collections.Concurrent.ConcurrentDictionary<(Device, int, int, int), Tensor> deviceMasks = new();

    static Tensor HostCausalMask(int queries, int keys, int offset, Device device)
    {
        var mask = new int[queries * keys];
        for (int i = 0; i < queries; i++)
            for (int j = offset + i + 1; j < keys; j++) mask[i * keys + j] = 1;
        return FromArray(mask, [queries, keys], device);
    }

    /// <summary><paramref name="steps"/> evenly spaced values from start to end inclusive (as torch.linspace).</summary>
    public static Tensor Linspace(double start, double end, int steps, DType dtype = DType.Float32, Device? device = null)
    {
        if (steps < 0) throw new ArgumentException($"linspace: steps must be non-negative, got {steps}");
        var v = new double[steps];
        double step = steps > 1 ? (end - start) / (steps - 1) : 0;
        for (int i = 0; i < steps; i++) v[i] = i < steps / 2 ? start + i * step : end - (steps - 1 - i) * step;
        return FromDoubles(v, [steps], dtype, device);
    }

    public static Tensor Eye(int n, int? m = null, DType dtype = DType.Float32, Device? device = null)
    {
        int cols = m ?? n;
        var v = new double[n * cols];
        for (int i = 0; i < Math.Min(n, cols); i++) v[i * cols + i] = 1;
        return FromDoubles(v, [n, cols], dtype, device);
    }

    /// <summary>Uniform samples in [0, 1).</summary>
    public static Tensor Rand(int[] shape, Generator? gen = null, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false) =>
        Uniform(shape, 0, 1, gen, dtype, device, requiresGrad);

    public static Tensor Uniform(int[] shape, double low, double high, Generator? gen = null, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false)
    {
        CheckSizes("uniform", shape);
        var g = gen ?? Generator.Default;
        var v = new double[ShapeUtil.Numel(shape)];
        for (int i = 0; i < v.Length; i++) v[i] = low + (high - low) * g.NextDouble();
        return WithGrad(FromDoubles(v, shape, dtype, device), requiresGrad);
    }

    /// <summary>Standard normal samples.</summary>
    public static Tensor Randn(int[] shape, Generator? gen = null, DType dtype = DType.Float32, Device? device = null, bool requiresGrad = false)
    {
        CheckSizes("randn", shape);
        var g = gen ?? Generator.Default;
        var v = new double[ShapeUtil.Numel(shape)];
        for (int i = 0; i < v.Length; i++) v[i] = g.NextNormal();
        return WithGrad(FromDoubles(v, shape, dtype, device), requiresGrad);
    }

    /// <summary>Uniform integers in [low, high) as int32 (token ids, labels).</summary>
    public static Tensor RandInt(int low, int high, int[] shape, Generator? gen = null, Device? device = null)
    {
        if (high <= low) throw new ArgumentException($"randint: empty range [{low}, {high})");
        CheckSizes("randint", shape);
        var g = gen ?? Generator.Default;
        var v = new int[ShapeUtil.Numel(shape)];
        for (int i = 0; i < v.Length; i++) v[i] = low + g.NextInt(high - low);
        return FromArray(v, shape, device);
    }

    /// <summary>Resets the default generator of this thread, like torch.manual_seed.</summary>
    public static void ManualSeed(ulong seed) => Generator.Default.Seed(seed);

    public static Tensor FromArray(float[] data, int[]? shape = null, Device? device = null, bool requiresGrad = false) =>
        WithGrad(FromHost(data, shape, DType.Float32, device), requiresGrad);

    public static Tensor FromArray(double[] data, int[]? shape = null, Device? device = null, bool requiresGrad = false) =>
        WithGrad(FromHost(data, shape, DType.Float64, device), requiresGrad);

    public static Tensor FromArray(int[] data, int[]? shape = null, Device? device = null) =>
        FromHost(data, shape, DType.Int32, device);

    public static Tensor FromArray(float[,] data) => FromArray(Flatten<float>(data), [data.GetLength(0), data.GetLength(1)]);
    public static Tensor FromArray(double[,] data) => FromArray(Flatten<double>(data), [data.GetLength(0), data.GetLength(1)]);

    static T[] Flatten<T>(Array a) where T : unmanaged
    {
        var r = new T[a.Length];
        Buffer.BlockCopy(a, 0, r, 0, a.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
        return r;
    }

    /// <summary>Copies doubles into a new tensor of any dtype (values rounded to the dtype).</summary>
    public static Tensor FromDoubles(double[] data, int[] shape, DType dtype = DType.Float32, Device? device = null) => dtype switch
    {
        DType.Float64 => FromHost(data, shape, dtype, device),
        DType.Float32 => FromHost(Array.ConvertAll(data, x => (float)x), shape, dtype, device),
        _ => FromHost(Array.ConvertAll(data, x => checked((int)x)), shape, dtype, device),
    };

    static Tensor FromHost<T>(T[] data, int[]? shape, DType dtype, Device? device) where T : unmanaged
    {
        shape ??= [data.Length];
        CheckSizes("from_array", shape);
        if (ShapeUtil.Numel(shape) != data.Length)
            throw new ArgumentException($"from_array: {data.Length} values do not fill shape {ShapeUtil.Format(shape)} ({ShapeUtil.Numel(shape)} elements)");
        var cpu = CpuStorage.Allocate(dtype, data.Length, zeroed: false);
        data.AsSpan().CopyTo(cpu.As<T>());
        var t = new Tensor(cpu, (int[])shape.Clone());
        return device is null || device == Device.Cpu ? t : t.CopyToDevice(device);
    }

    static Tensor WithGrad(Tensor t, bool requiresGrad)
    {
        if (requiresGrad) t.RequiresGrad = true;
        return t;
    }
}
