namespace Interp;

public sealed partial class Tensor
{
    /// <summary>This tensor's values on the CPU, contiguous (the tensor itself when it already is).</summary>
    public Tensor ToCpuContiguous()
    {
        if (Device == Device.Cpu && IsContiguous && Offset == 0 && Storage.Length == Numel) return this;
        return Device == Device.Cpu ? CpuBackendCopy() : Backend.ToCpu(this);
    }

    Tensor CpuBackendCopy()
    {
        var r = Empty(ShapeArray, DType);
        Backend.Copy(this, r);
        return r;
    }

    /// <summary>Copies the elements in row-major order, converting to T (float, double or int).</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        var c = ToCpuContiguous();
        var s = (CpuStorage)c.Storage;
        if (typeof(T) == typeof(float)) return (T[])(object)Convert(s, x => (float)x, x => x, x => x);
        if (typeof(T) == typeof(double)) return (T[])(object)Convert(s, x => x, x => x, x => x);
        if (typeof(T) == typeof(int)) return (T[])(object)Convert(s, x => checked((int)x), x => checked((int)x), x => x);
        throw new NotSupportedException($"ToArray: element type {typeof(T).Name} is not supported (use float, double or int)");
    }

    static R[] Convert<R>(CpuStorage s, Func<double, R> fromD, Func<float, R> fromF, Func<int, R> fromI)
    {
        var converted = s.DType switch
        {
            DType.Float64 => ConvertAll(s.As<double>(), fromD),
            DType.Float32 => ConvertAll(s.As<float>(), fromF),
            _ => ConvertAll(s.As<int>(), fromI),
        };
        GC.KeepAlive(s);   // the array goes back to the pool when the storage dies
        return converted;
    }

    static R[] ConvertAll<S, R>(ReadOnlySpan<S> source, Func<S, R> convert)
    {
        var r = new R[source.Length];
        for (int i = 0; i < r.Length; i++) r[i] = convert(source[i]);
        return r;
    }

    public float[] ToFloatArray() => ToArray<float>();
    public double[] ToDoubleArray() => ToArray<double>();
    public int[] ToIntArray() => ToArray<int>();

    /// <summary>The value of a one-element tensor (as tensor.item()).</summary>
    public double Item()
    {
        if (Numel != 1) throw new InvalidOperationException($"item: the tensor has {Numel} elements ({ShapeUtil.Format(shape)}), expected exactly one");
        return ToArray<double>()[0];
    }

    /// <summary>One element by its full index (negative indices count from the end).</summary>
    public double GetValue(params int[] index)
    {
        if (index.Length != Rank)
            throw new ArgumentException($"get_value: {index.Length} indices for a tensor of rank {Rank} ({ShapeUtil.Format(shape)})");
        int off = Offset;
        for (int d = 0; d < Rank; d++)
        {
            int i = index[d] < 0 ? index[d] + shape[d] : index[d];
            if (i < 0 || i >= shape[d])
                throw new IndexOutOfRangeException($"get_value: index {index[d]} is out of range for dim {d} of size {shape[d]}");
            off += i * strides[d];
        }
        var one = new Tensor(Storage, [], [], off);
        return one.ToArray<double>()[0];
    }

    /// <summary>Copies this tensor to another device, not recorded by autograd: the differentiable <c>x.To(device)</c> is an extension in the autograd library.</summary>
    internal Tensor CopyToDevice(Device device)
    {
        if (device == Device) return this;
        if (Device == Device.Cpu) return device.Backend.FromCpu(ToCpuContiguous());
        var cpu = Backend.ToCpu(this);
        return device == Device.Cpu ? cpu : device.Backend.FromCpu(cpu);
    }

    /// <summary>
    /// Moves a contiguous leaf's data to <paramref name="device"/> in place (as PyTorch's <c>module.to(device)</c> does
    /// to parameters): the same Tensor object, so every module field that holds it follows. Its gradient is dropped.
    /// </summary>
    public void MoveDataTo(Device device)
    {
        if (device == Device) return;
        if (!IsLeaf) throw new InvalidOperationException($"MoveDataTo: only leaf tensors can move in place; this one was made by {GradFn!.Op}");
        if (!IsContiguous) throw new InvalidOperationException($"MoveDataTo: the tensor [{string.Join(", ", shape)}] is a non-contiguous view; move its base instead");
        var moved = CopyToDevice(device);
        Storage = moved.Storage;
        Offset = moved.Offset;
        Grad = null;
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// Makes this leaf a view of <paramref name="source"/>'s memory (its storage, strides and offset), as PyTorch's
    /// <c>param.data = source</c> and <c>load_state_dict(assign=True)</c> do: no copy, and every module field that holds
    /// this Tensor object sees the new values. Shape, dtype and device must already match; the gradient is dropped.
    /// </summary>
    public void SetData(Tensor source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!IsLeaf) throw new InvalidOperationException($"SetData: only leaf tensors can take new data; this one was made by {GradFn!.Op}");
        if (!ShapeUtil.SameShape(shape, source.shape) || DType != source.DType || Device != source.Device)
            throw new ArgumentException($"SetData: the new data is {source.DType.Name()} {ShapeUtil.Format(source.shape)} on {source.Device}, " +
                $"this tensor is {DType.Name()} {ShapeUtil.Format(shape)} on {Device}");
        Storage = source.Storage;
        Offset = source.Offset;
        strides = source.strides;
        Grad = null;
    }
}

public sealed partial class Tensor
{
    /// <summary>
    /// Whether this int32 tensor's values are known, without reading them, to lie in [min, maxExclusive): true for a
    /// tensor on an accelerator copied from the host and not written since. Index and token checks use it to skip a
    /// copy back to the host (which would stall the device) and read the values only when it is false.
    /// </summary>
    public bool ValuesKnownWithin(int min, int maxExclusive) =>
        Storage.UploadedRange is { } r && r.Min >= min && r.Max < maxExclusive;
}
